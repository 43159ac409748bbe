//! Published retention policies, employees' releases, and what the automatic destruction job
//! reads and writes. Every destruction is done by one statement that says how much it removed, so
//! two jobs running at once destroy (and log) each thing once.

use super::audit::insert_audit;
use super::Db;
use crate::privacy::{PolicyRow, ReleaseRow};
use crate::{AuditEntry, Destruction, DuePhoto, EnrolledEmployee, Policy, Release, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::privacy::RetentionSettings;
use sqlx::Pool;
use uuid::Uuid;

/// An employee with templates: id, left at, last punch, first template.
type EnrolledRow = (Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);
/// A destruction log row: company, at, kind, employee, count, policy version, reason.
type DestructionRow = (Uuid, DateTime<Utc>, String, Option<Uuid>, i64, Option<i64>, String);

const POLICY_COLUMNS: &str = "company_id, version, jurisdiction, photo_days, reconsent, published_at, published_by";
const RELEASE_COLUMNS: &str = "employee_id, release_version, policy_version, decision, signed_name, device_id, recorded_by, decided_at, \
     language, text_sha256, release_text, paper_scan_sha256, withdrawn_at, withdrawn_by, withdrawn_reason";

/// Publishes a new version of the company's policy (the next number), with its audit line.
pub(super) async fn publish_policy(
    pool: &Pool<Db>,
    company: CompanyId,
    settings: RetentionSettings,
    admin: Option<AdminId>,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<Policy, StoreError> {
    let mut tx = super::begin(pool).await?;
    let row: PolicyRow = sqlx::query_as(&format!(
        "INSERT INTO privacy_policies ({POLICY_COLUMNS}) \
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM privacy_policies WHERE company_id = $1 RETURNING {POLICY_COLUMNS}"
    ))
    .bind(company.0)
    .bind(settings.jurisdiction.as_str())
    .bind(settings.photo_days)
    .bind(settings.reconsent)
    .bind(now)
    .bind(admin.map(|a| a.0))
    .fetch_one(&mut *tx)
    .await?;
    let policy = Policy::try_from(row)?;
    let line = AuditEntry { detail: format!("version {}: {}", policy.version, audit.detail), ..audit.clone() };
    insert_audit(&mut tx, &line).await?;
    tx.commit().await?;
    Ok(policy)
}

/// The company's current policy (its latest version), if it published one.
pub(super) async fn policy(pool: &Pool<Db>, company: CompanyId, version: Option<i64>) -> Result<Option<Policy>, StoreError> {
    let row: Option<PolicyRow> = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM privacy_policies WHERE company_id = $1 AND (version = $2 OR $2 IS NULL) ORDER BY version DESC LIMIT 1"
    ))
    .bind(company.0)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    row.map(Policy::try_from).transpose()
}

/// Records an employee's decision on the release (replacing an earlier one), with its audit line.
pub(super) async fn record_release(pool: &Pool<Db>, company: CompanyId, release: &Release, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query(&format!(
        "INSERT INTO biometric_releases (company_id, {RELEASE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL) \
         ON CONFLICT (company_id, employee_id) DO UPDATE SET release_version = $3, policy_version = $4, decision = $5, \
         signed_name = $6, device_id = $7, recorded_by = $8, decided_at = $9, language = $10, text_sha256 = $11, release_text = $12, \
         paper_scan_sha256 = $13, withdrawn_at = NULL, withdrawn_by = NULL, withdrawn_reason = NULL"
    ))
    .bind(company.0)
    .bind(release.employee_id.0)
    .bind(&release.release_version)
    .bind(release.policy_version)
    .bind(release.decision.as_str())
    .bind(&release.signed_name)
    .bind(release.device_id.map(|d| d.0))
    .bind(release.recorded_by.map(|a| a.0))
    .bind(release.decided_at)
    .bind(release.language.code())
    .bind(&release.text_sha256)
    .bind(&release.text)
    .bind(&release.paper_scan_sha256)
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => StoreError::Database(e),
    })?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws an employee's signed release (their face data deleted on request), with its audit
/// line; false, and nothing written, when there is no signed release standing.
pub(super) async fn withdraw_release(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    withdrawal: &crate::Withdrawal,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    let done = sqlx::query(
        "UPDATE biometric_releases SET withdrawn_at = $3, withdrawn_by = $4, withdrawn_reason = $5 \
         WHERE company_id = $1 AND employee_id = $2 AND decision = 'signed' AND withdrawn_at IS NULL",
    )
    .bind(company.0)
    .bind(employee.0)
    .bind(crate::to_micros(withdrawal.at))
    .bind(withdrawal.by.0)
    .bind(&withdrawal.reason)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn release(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Option<Release>, StoreError> {
    let row: Option<ReleaseRow> =
        sqlx::query_as(&format!("SELECT {RELEASE_COLUMNS} FROM biometric_releases WHERE company_id = $1 AND employee_id = $2"))
            .bind(company.0)
            .bind(employee.0)
            .fetch_optional(pool)
            .await?;
    row.map(Release::try_from).transpose()
}

/// Every company (the destruction job's work list: one without a policy follows the default).
pub(super) async fn company_ids(pool: &Pool<Db>) -> Result<Vec<CompanyId>, StoreError> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM companies ORDER BY id").fetch_all(pool).await?;
    Ok(ids.into_iter().map(CompanyId).collect())
}

/// The company's employees who have templates, with when they left, punched last and enrolled.
pub(super) async fn enrolled_employees(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<EnrolledEmployee>, StoreError> {
    let rows: Vec<EnrolledRow> = sqlx::query_as(
        "SELECT e.id, e.left_at, \
           (SELECT MAX(p.occurred_at) FROM punches p WHERE p.company_id = e.company_id AND p.employee_id = e.id), \
           (SELECT MIN(t.created_at) FROM face_templates t WHERE t.company_id = e.company_id AND t.employee_id = e.id) \
         FROM employees e WHERE e.company_id = $1 \
           AND EXISTS (SELECT 1 FROM face_templates t WHERE t.company_id = e.company_id AND t.employee_id = e.id)",
    )
    .bind(company.0)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, left_at, last_punch_at, enrolled_at)| EnrolledEmployee {
            employee_id: EmployeeId(id),
            left_at,
            last_punch_at,
            enrolled_at,
        })
        .collect())
}

/// Destroys an employee's templates, and logs it (destruction log and audit) only when there
/// were any: a second job doing the same finds none and logs nothing. Returns the photos their
/// templates came from that nothing else holds on to (to destroy with them).
pub(super) async fn destroy_templates(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    log: &Destruction,
    audit: &AuditEntry,
) -> Result<(u64, Vec<String>), StoreError> {
    let mut tx = super::begin(pool).await?;
    let photos: Vec<String> =
        sqlx::query_scalar("DELETE FROM face_templates WHERE company_id = $1 AND employee_id = $2 RETURNING photo_sha256")
            .bind(company.0)
            .bind(employee.0)
            .fetch_all(&mut *tx)
            .await?;
    let count = photos.len() as u64;
    if count > 0 {
        insert_destruction(&mut tx, &Destruction { count: i64::try_from(count).unwrap_or(i64::MAX), ..log.clone() }).await?;
        let line = AuditEntry { detail: format!("{}: {count} template(s)", audit.detail), ..audit.clone() };
        insert_audit(&mut tx, &line).await?;
    }
    tx.commit().await?;
    let mut photos = photos;
    photos.sort();
    photos.dedup();
    Ok((count, photos))
}

async fn insert_destruction(tx: &mut super::Tx, log: &Destruction) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO destruction_log (id, company_id, at, kind, employee_id, count, policy_version, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::new_id())
    .bind(log.company_id.0)
    .bind(log.at)
    .bind(log.kind)
    .bind(log.employee_id.map(|e| e.0))
    .bind(log.count)
    .bind(log.policy_version)
    .bind(&log.reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Photos taken before `before` (by their punch's time, a burst's too, else when they arrived) and not
/// destroyed yet that no template holds on to, oldest first.
pub(super) async fn photos_due(
    pool: &Pool<Db>,
    company: CompanyId,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DuePhoto>, StoreError> {
    let rows: Vec<(String, Option<Uuid>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT sha256, employee_id, taken_at FROM ( \
           SELECT ph.sha256, \
             COALESCE((SELECT p.employee_id FROM punches p WHERE p.company_id = ph.company_id AND p.photo_sha256 = ph.sha256 LIMIT 1), \
               (SELECT p.employee_id FROM punches p WHERE p.company_id = ph.company_id AND p.burst_sha256 = ph.sha256 LIMIT 1)) AS employee_id, \
             COALESCE((SELECT MIN(p.occurred_at) FROM punches p WHERE p.company_id = ph.company_id AND p.photo_sha256 = ph.sha256), \
               (SELECT MIN(p.occurred_at) FROM punches p WHERE p.company_id = ph.company_id AND p.burst_sha256 = ph.sha256), ph.created_at) AS taken_at \
           FROM photos ph WHERE ph.company_id = $1 AND ph.destroyed_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM face_templates t WHERE t.company_id = ph.company_id AND t.photo_sha256 = ph.sha256) \
         ) due WHERE taken_at < $2 ORDER BY taken_at LIMIT $3",
    )
    .bind(company.0)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(sha256, employee, taken_at)| DuePhoto { sha256, employee_id: employee.map(EmployeeId), taken_at }).collect())
}

/// Marks a photo destroyed (after its bytes were deleted) and logs it, once: false when it was
/// marked already (another job got there first) or a template holds it.
pub(super) async fn mark_photo_destroyed(pool: &Pool<Db>, company: CompanyId, sha256: &str, log: &Destruction) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    let marked = sqlx::query(
        "UPDATE photos SET destroyed_at = $3, destroyed_under = $4 WHERE company_id = $1 AND sha256 = $2 AND destroyed_at IS NULL",
    )
    .bind(company.0)
    .bind(sha256)
    .bind(log.at)
    .bind(log.policy_version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if marked == 1 {
        insert_destruction(&mut tx, log).await?;
    }
    tx.commit().await?;
    Ok(marked == 1)
}

/// When and under which policy version a photo was destroyed, if it was.
pub(super) async fn photo_destroyed(
    pool: &Pool<Db>,
    company: CompanyId,
    sha256: &str,
) -> Result<Option<(DateTime<Utc>, Option<i64>)>, StoreError> {
    let row: Option<(Option<DateTime<Utc>>, Option<i64>)> =
        sqlx::query_as("SELECT destroyed_at, destroyed_under FROM photos WHERE company_id = $1 AND sha256 = $2")
            .bind(company.0)
            .bind(sha256)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(at, version)| at.map(|at| (at, version))))
}

/// The company's destruction log, newest first.
pub(super) async fn destruction_log(pool: &Pool<Db>, company: CompanyId, limit: i64) -> Result<Vec<Destruction>, StoreError> {
    let rows: Vec<DestructionRow> = sqlx::query_as(
        "SELECT company_id, at, kind, employee_id, count, policy_version, reason FROM destruction_log WHERE company_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(company.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company, at, kind, employee, count, policy_version, reason)| Destruction {
            company_id: CompanyId(company),
            at,
            kind: if kind == "photo" { "photo" } else { "templates" },
            employee_id: employee.map(EmployeeId),
            count,
            policy_version,
            reason,
        })
        .collect())
}

/// Templates whose embedding is still the plain 512 bytes an earlier release stored (128 f32s),
/// to be sealed at start-up.
pub(super) async fn unsealed_templates(pool: &Pool<Db>, limit: i64) -> Result<Vec<(Uuid, EmployeeId, Vec<u8>)>, StoreError> {
    let rows: Vec<(Uuid, Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, employee_id, embedding FROM face_templates WHERE length(embedding) = 512 LIMIT $1")
            .bind(limit)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(id, employee, embedding)| (id, EmployeeId(employee), embedding)).collect())
}

/// Replaces a template's plain embedding with its sealed form, if it is still `plain` (another
/// node may have sealed it first).
pub(super) async fn seal_template(pool: &Pool<Db>, id: Uuid, plain: &[u8], sealed: &[u8]) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE face_templates SET embedding = $3 WHERE id = $1 AND embedding = $2")
        .bind(id)
        .bind(plain)
        .bind(sealed)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The photos kept of one employee (their punches' photos and bursts, and their templates'), not
/// destroyed: found from the employee's punches (one pass by index, each row giving its photo and
/// its burst) and templates, not from all the company's photos.
pub(super) async fn employee_photos(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT ph.sha256 FROM ( \
           SELECT CASE k.n WHEN 0 THEN p.photo_sha256 ELSE p.burst_sha256 END AS sha256 \
             FROM punches p CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 AS n) k WHERE p.company_id = $1 AND p.employee_id = $2 \
           UNION SELECT t.photo_sha256 FROM face_templates t WHERE t.company_id = $1 AND t.employee_id = $2) mine \
         CROSS JOIN photos ph WHERE ph.company_id = $1 AND ph.sha256 = mine.sha256 AND ph.destroyed_at IS NULL \
         ORDER BY ph.created_at",
    )
    .bind(company.0)
    .bind(employee.0)
    .fetch_all(pool)
    .await?)
}
