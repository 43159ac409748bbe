//! Employees' biometric consent and their enrolled face templates.

use super::audit::insert_audit;
use super::Db;
use crate::verification::{ConsentRow, TemplateRow};
use crate::{AuditEntry, Consent, FaceTemplate, StoreError};
use clockface_domain::ids::{CompanyId, EmployeeId};
use sqlx::Pool;
use std::collections::HashMap;

const TEMPLATE_COLUMNS: &str = "id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at";

/// Records (or renews) an employee's consent and its audit line, in one transaction.
pub(super) async fn record_consent(pool: &Pool<Db>, company: CompanyId, consent: &Consent, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query(
        "INSERT INTO biometric_consents (company_id, employee_id, notice_version, recorded_by, agreed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (company_id, employee_id) DO UPDATE SET notice_version = $3, recorded_by = $4, agreed_at = $5",
    )
    .bind(company.0)
    .bind(consent.employee_id.0)
    .bind(&consent.notice_version)
    .bind(consent.recorded_by.0)
    .bind(consent.agreed_at)
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

pub(super) async fn consent(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Option<Consent>, StoreError> {
    let row: Option<ConsentRow> = sqlx::query_as(
        "SELECT employee_id, notice_version, recorded_by, agreed_at FROM biometric_consents WHERE company_id = $1 AND employee_id = $2",
    )
    .bind(company.0)
    .bind(employee.0)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Consent::from))
}

/// Enrols a face an admin chose (upload or promoted photo) with its audit line, in one transaction.
pub(super) async fn add_template(pool: &Pool<Db>, template: &FaceTemplate, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_template(&mut *tx, template).await?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores one template, through `executor`: the transaction that enrols it (an admin's, or the
/// verdict's when a first FaceFront photo enrols its employee).
pub(super) async fn insert_template<'c, E: sqlx::Executor<'c, Database = Db>>(
    executor: E,
    template: &FaceTemplate,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO face_templates (id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(template.id)
    .bind(template.company_id.0)
    .bind(template.employee_id.0)
    .bind(&template.embedding)
    .bind(&template.photo_sha256)
    .bind(template.source.as_str())
    .bind(template.created_by.map(|a| a.0))
    .bind(template.created_at)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn templates(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Vec<FaceTemplate>, StoreError> {
    let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE company_id = $1 AND employee_id = $2 ORDER BY created_at, id"
    ))
    .bind(company.0)
    .bind(employee.0)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(FaceTemplate::try_from).collect()
}

/// The first enrolled template of each of `employees` that has one (the reference a reviewer sees).
pub(super) async fn first_templates(
    pool: &Pool<Db>,
    company: CompanyId,
    employees: &[EmployeeId],
) -> Result<HashMap<EmployeeId, FaceTemplate>, StoreError> {
    let mut found = HashMap::with_capacity(employees.len());
    for batch in employees.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE company_id = "));
        query.push_bind(company.0).push(" AND employee_id IN (");
        let mut ids = query.separated(", ");
        for employee in batch {
            ids.push_bind(employee.0);
        }
        ids.push_unseparated(") ORDER BY created_at, id");
        let rows: Vec<TemplateRow> = query.build_query_as().fetch_all(pool).await?;
        for template in rows.into_iter().map(FaceTemplate::try_from) {
            let template = template?;
            found.entry(template.employee_id).or_insert(template);
        }
    }
    Ok(found)
}

/// Deletes an employee's templates and returns how many there were, with the audit line (its
/// detail completed with that number), in one transaction.
pub(super) async fn delete_templates(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    audit: &AuditEntry,
) -> Result<u64, StoreError> {
    let mut tx = super::begin(pool).await?;
    let deleted = sqlx::query("DELETE FROM face_templates WHERE company_id = $1 AND employee_id = $2")
        .bind(company.0)
        .bind(employee.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let entry = AuditEntry {
        detail: format!("{}{deleted} template(s)", if audit.detail.is_empty() { String::new() } else { format!("{}: ", audit.detail) }),
        ..audit.clone()
    };
    insert_audit(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// The enrolled templates (employee, stored embedding) of everyone a kiosk may identify: the
/// company's active employees (or `crew_of` and their crew) whose release of `release_version`
/// is signed and not withdrawn.
pub(super) async fn gallery_templates(
    pool: &Pool<Db>,
    company: CompanyId,
    crew_of: Option<EmployeeId>,
    release_version: &str,
) -> Result<Vec<(EmployeeId, Vec<u8>)>, StoreError> {
    let rows: Vec<(uuid::Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT t.employee_id, t.embedding FROM face_templates t \
         JOIN employees e ON e.company_id = t.company_id AND e.id = t.employee_id \
         JOIN biometric_releases r ON r.company_id = t.company_id AND r.employee_id = t.employee_id \
         WHERE t.company_id = $1 AND e.active AND r.decision = 'signed' AND r.withdrawn_at IS NULL AND r.release_version = $2 \
         AND ($3 IS NULL OR e.id = $3 OR e.id IN (SELECT c.employee_id FROM crew_members c WHERE c.company_id = $1 AND c.foreman_id = $3)) \
         ORDER BY t.employee_id, t.created_at",
    )
    .bind(company.0)
    .bind(release_version)
    .bind(crew_of.map(|e| e.0))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(employee, embedding)| (EmployeeId(employee), embedding)).collect())
}

/// A value that changes whenever the company's templates, releases, active employees or crews
/// may have: a kiosk keeps its gallery in memory while this stays the same.
pub(super) async fn gallery_stamp(pool: &Pool<Db>, company: CompanyId) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(created_at) AS TEXT), '') FROM face_templates WHERE company_id = $1) \
         || '/' || (SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(decided_at) AS TEXT), '') || '/' \
                    || COALESCE(CAST(MAX(withdrawn_at) AS TEXT), '') FROM biometric_releases WHERE company_id = $1) \
         || '/' || (SELECT CAST(COUNT(*) AS TEXT) FROM employees WHERE company_id = $1 AND active) \
         || '/' || (SELECT CAST(COUNT(*) AS TEXT) FROM crew_members WHERE company_id = $1)",
    )
    .bind(company.0)
    .fetch_one(pool)
    .await?)
}
