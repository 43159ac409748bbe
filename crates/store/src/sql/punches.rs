//! Punches and the photos they carry (a photo's description; its bytes are in the blob store).
//! A punch with a photo is committed together with its verification job.

use super::verification::enqueue_job;
use super::{row_by_id, Db, Tx};
use crate::records::{convert_all, PhotoRow, PunchRow};
use crate::{PhotoRecord, PunchInsert, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::device::Rotation;
use clockface_domain::ids::{CompanyId, EmployeeId, PunchId};
use clockface_domain::punch::Punch;
use sqlx::Pool;
use std::collections::HashMap;
use uuid::Uuid;

const PUNCH_COLUMNS: &str = "id, company_id, client_id, employee_id, device_id, kind, occurred_at, utc_offset_minutes, \
     received_at, clock_for_by, photo_sha256, no_photo_reason, flagged, latitude, longitude, accuracy_m, settings_version, fingerprint, \
     flags, job_id, cost_code_id, no_position_reason, fence_distance_m, on_break, photo_rotation, burst_sha256, burst_prompt, burst_frames";
const PHOTO_COLUMNS: &str = "company_id, sha256, content_type, byte_size, width, height, display_rotation, created_at";

/// Every employee's latest punch when it is a clock-in or a Start break: who is working now (or
/// on a break), in one query. Of two punches at the same instant (Change job) the later stored wins.
/// It goes through the company's employees and reads each one's punches at their latest instant
/// (an index search each): the cost is the roster's, not the history's.
pub(super) async fn clocked_in(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<Punch>, StoreError> {
    let columns: Vec<String> = PUNCH_COLUMNS.split(',').map(|c| format!("p.{}", c.trim())).collect();
    let rows: Vec<PunchRow> = sqlx::query_as(&format!(
        "SELECT {} FROM employees e JOIN punches p ON p.company_id = e.company_id AND p.employee_id = e.id \
         AND p.occurred_at = (SELECT MAX(m.occurred_at) FROM punches m WHERE m.company_id = e.company_id AND m.employee_id = e.id) \
         WHERE e.company_id = $1 AND (p.kind = 'in' OR p.on_break) AND NOT EXISTS (\
         SELECT 1 FROM punches q WHERE q.company_id = p.company_id AND q.employee_id = p.employee_id AND q.occurred_at >= p.occurred_at \
         AND (q.occurred_at > p.occurred_at OR (q.occurred_at = p.occurred_at AND q.received_at > p.received_at) \
         OR (q.occurred_at = p.occurred_at AND q.received_at = p.received_at AND q.kind = 'in' AND q.id > p.id))) \
         ORDER BY p.occurred_at",
        columns.join(", ")
    ))
    .bind(company.0)
    .fetch_all(pool)
    .await?;
    convert_all(rows)
}

/// Records a photo's description unless the company already has it.
async fn insert_photo(tx: &mut Tx, photo: &PhotoRecord) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (company_id, sha256) DO NOTHING"
    ))
    .bind(photo.company_id.0)
    .bind(&photo.sha256)
    .bind(&photo.content_type)
    .bind(photo.byte_size)
    .bind(photo.width)
    .bind(photo.height)
    .bind(photo.display_rotation.degrees())
    .bind(photo.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes one punch in `tx`: its photo's row, the punch, and its verification job. `None` when a
/// punch with its client id is stored already (nothing was written).
///
/// The conflict clause names no constraint: the same punch written twice at once (a retry racing
/// the first attempt) collides on its id as well as its client id, and on PostgreSQL a collision
/// on a constraint the clause does not name is an error, not "already stored". Any collision
/// writes nothing; the caller then reads the punch stored under the client id, and only a
/// different punch with the same id (which time-ordered random ids never make) finds none.
async fn write_punch(tx: &mut Tx, punch: &Punch, photo: Option<&PhotoRecord>) -> Result<Option<Punch>, StoreError> {
    if let Some(photo) = photo {
        insert_photo(tx, photo).await?;
    }
    let position = punch.position;
    // A punch stored flagged is an open review item from the start (`review_open`): it has no
    // verdict or review yet.
    let created: Option<PunchRow> = sqlx::query_as(&format!(
        "INSERT INTO punches ({PUNCH_COLUMNS}, review_open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $13) \
         ON CONFLICT DO NOTHING RETURNING {PUNCH_COLUMNS}"
    ))
    .bind(punch.id.0)
    .bind(punch.company_id.0)
    .bind(punch.client_id)
    .bind(punch.employee_id.0)
    .bind(punch.device_id.0)
    .bind(punch.kind.as_str())
    .bind(punch.occurred_at)
    .bind(punch.utc_offset_minutes)
    .bind(punch.received_at)
    .bind(punch.clock_for_by.map(|id| id.0))
    .bind(&punch.photo_sha256)
    .bind(punch.no_photo_reason.map(|r| r.as_str()))
    .bind(punch.flagged)
    .bind(position.map(|p| p.latitude))
    .bind(position.map(|p| p.longitude))
    .bind(position.and_then(|p| p.accuracy_m))
    .bind(punch.settings_version)
    .bind(&punch.fingerprint)
    .bind(serde_json::to_string(&punch.flags).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(punch.job_id.map(|id| id.0))
    .bind(punch.cost_code_id.map(|id| id.0))
    .bind(punch.no_position_reason.map(|r| r.as_str()))
    .bind(punch.fence_distance_m)
    .bind(punch.on_break)
    .bind(punch.photo_rotation.map(|r| r.degrees()))
    .bind(punch.burst.as_ref().map(|b| &b.sha256))
    .bind(punch.burst.as_ref().map(|b| b.prompt.as_str()))
    .bind(punch.burst.as_ref().map(|b| i32::from(b.frames)))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = created else { return Ok(None) };
    // Every FaceFront photo gets a verdict: the job is committed with the punch.
    if punch.photo_sha256.is_some() {
        enqueue_job(tx, punch).await?;
    }
    Ok(Some(row.try_into()?))
}

pub(super) async fn insert_punch(pool: &Pool<Db>, punch: &Punch, photo: Option<&PhotoRecord>) -> Result<PunchInsert, StoreError> {
    let mut results = insert_punches(pool, &[(punch.clone(), photo.cloned())]).await?;
    results.pop().unwrap_or(Err(StoreError::NotFound))
}

/// Stores many punches in one transaction, one commit (one fsync) for all of them: group commit.
/// The batch is written with one multi-row statement per table ([`write_together`]): a few
/// round trips for the whole batch instead of five per punch, which is what bounded ingest on
/// PostgreSQL (a server process per statement). When any of it fails (a broken rule, a bad
/// reference), that attempt is rolled back and each punch is written again under a savepoint of
/// its own ([`write_one_by_one`]), so the one that fails is answered with its error while the
/// others are kept. The outer `Err` is for the transaction itself (begin or commit failed): then
/// nothing was stored.
pub(super) async fn insert_punches(
    pool: &Pool<Db>,
    batch: &[(Punch, Option<PhotoRecord>)],
) -> Result<Vec<Result<PunchInsert, StoreError>>, StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
    let results = match write_together(&mut tx, batch).await {
        Ok(results) => {
            sqlx::query("RELEASE SAVEPOINT batch").execute(&mut *tx).await?;
            results
        }
        Err(error) => {
            tracing::debug!(%error, punches = batch.len(), "a batch of punches is written one by one");
            sqlx::query("ROLLBACK TO SAVEPOINT batch").execute(&mut *tx).await?;
            sqlx::query("RELEASE SAVEPOINT batch").execute(&mut *tx).await?;
            write_one_by_one(&mut tx, batch).await?
        }
    };
    let created: Vec<&Punch> = results
        .iter()
        .filter_map(|r| match r {
            Ok(PunchInsert::Created(punch)) => Some(punch),
            _ => None,
        })
        .collect();
    mark_after_approval(&mut tx, &created).await?;
    tx.commit().await?;
    Ok(results)
}

/// Rows per multi-row statement: 29 parameters a punch stays far under SQLite's limit on a
/// statement's parameters (32,766) and PostgreSQL's (65,535).
const ROWS_PER_STATEMENT: usize = 256;

/// Writes the whole batch with one statement per table (and per [`ROWS_PER_STATEMENT`]): the
/// photos' rows, the punches, the verification jobs of the punches created with a photo. A
/// punch whose client id (or id) is stored already, earlier or by another punch of this batch,
/// is not written and comes back as the punch stored under its client id, as with
/// [`write_punch`]. Any error fails the whole attempt; the caller rolls it back.
async fn write_together(tx: &mut Tx, batch: &[(Punch, Option<PhotoRecord>)]) -> Result<Vec<Result<PunchInsert, StoreError>>, StoreError> {
    let mut photos: Vec<&PhotoRecord> = Vec::new();
    for photo in batch.iter().filter_map(|(_, photo)| photo.as_ref()) {
        if !photos.iter().any(|p| p.company_id == photo.company_id && p.sha256 == photo.sha256) {
            photos.push(photo);
        }
    }
    for chunk in photos.chunks(ROWS_PER_STATEMENT) {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO photos ({PHOTO_COLUMNS}) "));
        query.push_values(chunk, |mut row, photo| {
            row.push_bind(photo.company_id.0)
                .push_bind(&photo.sha256)
                .push_bind(&photo.content_type)
                .push_bind(photo.byte_size)
                .push_bind(photo.width)
                .push_bind(photo.height)
                .push_bind(photo.display_rotation.degrees())
                .push_bind(photo.created_at);
        });
        query.push(" ON CONFLICT (company_id, sha256) DO NOTHING");
        query.build().persistent(false).execute(&mut **tx).await?;
    }
    let mut created: HashMap<Uuid, Punch> = HashMap::new();
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO punches ({PUNCH_COLUMNS}, review_open) "));
        let mut flags = Vec::with_capacity(chunk.len());
        for (punch, _) in chunk {
            flags.push(serde_json::to_string(&punch.flags).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        query.push_values(chunk.iter().zip(&flags), |mut row, ((punch, _), flags)| {
            let position = punch.position;
            row.push_bind(punch.id.0)
                .push_bind(punch.company_id.0)
                .push_bind(punch.client_id)
                .push_bind(punch.employee_id.0)
                .push_bind(punch.device_id.0)
                .push_bind(punch.kind.as_str())
                .push_bind(punch.occurred_at)
                .push_bind(punch.utc_offset_minutes)
                .push_bind(punch.received_at)
                .push_bind(punch.clock_for_by.map(|id| id.0))
                .push_bind(&punch.photo_sha256)
                .push_bind(punch.no_photo_reason.map(|r| r.as_str()))
                .push_bind(punch.flagged)
                .push_bind(position.map(|p| p.latitude))
                .push_bind(position.map(|p| p.longitude))
                .push_bind(position.and_then(|p| p.accuracy_m))
                .push_bind(punch.settings_version)
                .push_bind(&punch.fingerprint)
                .push_bind(flags)
                .push_bind(punch.job_id.map(|id| id.0))
                .push_bind(punch.cost_code_id.map(|id| id.0))
                .push_bind(punch.no_position_reason.map(|r| r.as_str()))
                .push_bind(punch.fence_distance_m)
                .push_bind(punch.on_break)
                .push_bind(punch.photo_rotation.map(|r| r.degrees()))
                .push_bind(punch.burst.as_ref().map(|b| &b.sha256))
                .push_bind(punch.burst.as_ref().map(|b| b.prompt.as_str()))
                .push_bind(punch.burst.as_ref().map(|b| i32::from(b.frames)))
                // A punch stored flagged is an open review item from the start.
                .push_bind(punch.flagged);
        });
        query.push(format!(" ON CONFLICT DO NOTHING RETURNING {PUNCH_COLUMNS}"));
        let rows: Vec<PunchRow> = query.build_query_as().persistent(false).fetch_all(&mut **tx).await?;
        for row in rows {
            let punch: Punch = row.try_into()?;
            created.insert(punch.id.0, punch);
        }
    }
    let with_photo: Vec<&Punch> = created.values().filter(|p| p.photo_sha256.is_some()).collect();
    enqueue_jobs(tx, &with_photo).await?;
    let mut results = Vec::with_capacity(batch.len());
    for (punch, _) in batch {
        let outcome = match created.remove(&punch.id.0) {
            Some(stored) => PunchInsert::Created(stored),
            None => PunchInsert::Existing(existing(tx, punch).await?),
        };
        results.push(Ok(outcome));
    }
    Ok(results)
}

/// Every FaceFront photo gets a verdict: the jobs of the punches just created with a photo.
async fn enqueue_jobs(tx: &mut Tx, punches: &[&Punch]) -> Result<(), StoreError> {
    for chunk in punches.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            sqlx::QueryBuilder::<Db>::new("INSERT INTO verification_jobs (punch_id, company_id, attempts, run_after, created_at) ");
        query.push_values(chunk, |mut row, punch| {
            row.push_bind(punch.id.0).push_bind(punch.company_id.0).push("0").push_bind(punch.received_at).push_bind(punch.received_at);
        });
        query.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes each punch under a savepoint of its own: one that fails is rolled back alone and
/// answered with its error.
async fn write_one_by_one(tx: &mut Tx, batch: &[(Punch, Option<PhotoRecord>)]) -> Result<Vec<Result<PunchInsert, StoreError>>, StoreError> {
    let mut results = Vec::with_capacity(batch.len());
    for (punch, photo) in batch {
        sqlx::query("SAVEPOINT punch").execute(&mut **tx).await?;
        let outcome = match write_punch(tx, punch, photo.as_ref()).await {
            Ok(Some(created)) => Ok(PunchInsert::Created(created)),
            Ok(None) => existing(tx, punch).await.map(PunchInsert::Existing),
            Err(error) => Err(error),
        };
        let end = if outcome.is_ok() { "RELEASE SAVEPOINT punch" } else { "ROLLBACK TO SAVEPOINT punch" };
        sqlx::query(end).execute(&mut **tx).await?;
        if outcome.is_err() {
            sqlx::query("RELEASE SAVEPOINT punch").execute(&mut **tx).await?;
        }
        results.push(outcome);
    }
    Ok(results)
}

/// Marks the punches just stored in `tx` that fall in an approved card or period and arrived
/// after its approval (`after_approval`, read by [`super::payroll::arrived_after_approval`]).
/// Run after the punches are written: each insert holds a key-share lock on its company's row
/// (its foreign key), which an approval's lock waits for (`LOCK_COMPANY`), so this statement
/// sees every approval committed before the punches could be, and an approval made after sees
/// the punches (and marks them itself, `payroll::approve`).
async fn mark_after_approval(tx: &mut Tx, created: &[&Punch]) -> Result<(), StoreError> {
    for batch in created.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new("UPDATE punches SET after_approval = TRUE WHERE id IN (");
        let mut ids = query.separated(", ");
        for punch in batch {
            ids.push_bind(punch.id.0);
        }
        ids.push_unseparated(") AND (");
        query.push(super::payroll::in_an_approval_it_arrived_after("punches"));
        query.push(")");
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The punch already stored under `punch`'s client id.
async fn existing(tx: &mut Tx, punch: &Punch) -> Result<Punch, StoreError> {
    let row: PunchRow = sqlx::query_as(&format!("SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND client_id = $2"))
        .bind(punch.company_id.0)
        .bind(punch.client_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_into()
}

pub(super) async fn punch(pool: &Pool<Db>, company: CompanyId, punch: PunchId) -> Result<Punch, StoreError> {
    let row: PunchRow = row_by_id(pool, PUNCH_COLUMNS, "punches", company, punch.0).await?.ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn punch_by_client_id(pool: &Pool<Db>, company: CompanyId, client_id: Uuid) -> Result<Option<Punch>, StoreError> {
    let row: Option<PunchRow> = sqlx::query_as(&format!("SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND client_id = $2"))
        .bind(company.0)
        .bind(client_id)
        .fetch_optional(pool)
        .await?;
    row.map(Punch::try_from).transpose()
}

pub(super) async fn punches(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Punch>, StoreError> {
    let rows: Vec<PunchRow> = sqlx::query_as(&format!(
        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND employee_id = $2 AND occurred_at >= $3 AND occurred_at < $4 \
         ORDER BY occurred_at, id"
    ))
    .bind(company.0)
    .bind(employee.0)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    convert_all(rows)
}

pub(super) async fn last_punch(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Option<Punch>, StoreError> {
    let row: Option<PunchRow> = sqlx::query_as(&format!(
        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND employee_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT 1"
    ))
    .bind(company.0)
    .bind(employee.0)
    .fetch_optional(pool)
    .await?;
    row.map(Punch::try_from).transpose()
}

/// The employee's latest punch made before `at`.
pub(super) async fn punch_before(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    at: DateTime<Utc>,
) -> Result<Option<Punch>, StoreError> {
    let row: Option<PunchRow> = sqlx::query_as(&format!(
        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND employee_id = $2 AND occurred_at < $3 ORDER BY occurred_at DESC, id DESC LIMIT 1"
    ))
    .bind(company.0)
    .bind(employee.0)
    .bind(at)
    .fetch_optional(pool)
    .await?;
    row.map(Punch::try_from).transpose()
}

pub(super) async fn count_punches(pool: &Pool<Db>, company: CompanyId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM punches WHERE company_id = $1").bind(company.0).fetch_one(pool).await?)
}

pub(super) async fn photo(pool: &Pool<Db>, company: CompanyId, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
    let row: Option<PhotoRow> = sqlx::query_as(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE company_id = $1 AND sha256 = $2"))
        .bind(company.0)
        .bind(sha256)
        .fetch_optional(pool)
        .await?;
    row.map(PhotoRecord::try_from).transpose()
}

/// The descriptions of many photos at once (those the company has), by SHA-256.
pub(super) async fn photos(pool: &Pool<Db>, company: CompanyId, sha256s: &[String]) -> Result<HashMap<String, PhotoRecord>, StoreError> {
    let mut found = HashMap::with_capacity(sha256s.len());
    for batch in sha256s.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE company_id = "));
        query.push_bind(company.0).push(" AND sha256 IN (");
        let mut shas = query.separated(", ");
        for sha in batch {
            shas.push_bind(sha.as_str());
        }
        shas.push_unseparated(")");
        let rows: Vec<PhotoRow> = query.build_query_as().fetch_all(pool).await?;
        for row in rows {
            let photo = PhotoRecord::try_from(row)?;
            found.insert(photo.sha256.clone(), photo);
        }
    }
    Ok(found)
}

pub(super) async fn set_photo_rotation(
    pool: &Pool<Db>,
    company: CompanyId,
    sha256: &str,
    rotation: Rotation,
) -> Result<PhotoRecord, StoreError> {
    let row: PhotoRow =
        sqlx::query_as(&format!("UPDATE photos SET display_rotation = $3 WHERE company_id = $1 AND sha256 = $2 RETURNING {PHOTO_COLUMNS}"))
            .bind(company.0)
            .bind(sha256)
            .bind(rotation.degrees())
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn add_photo(pool: &Pool<Db>, photo: &PhotoRecord) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_photo(&mut tx, photo).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn punches_with_photo(pool: &Pool<Db>, company: CompanyId, sha256: &str) -> Result<Vec<Punch>, StoreError> {
    let rows: Vec<PunchRow> = sqlx::query_as(&format!(
        "SELECT {PUNCH_COLUMNS} FROM punches WHERE company_id = $1 AND photo_sha256 = $2 ORDER BY occurred_at, id"
    ))
    .bind(company.0)
    .bind(sha256)
    .fetch_all(pool)
    .await?;
    convert_all(rows)
}

/// The employees a photo is of: those whose punches carry it (as their photo or their burst) and
/// those enrolled from it.
pub(super) async fn photo_employees(pool: &Pool<Db>, company: CompanyId, sha256: &str) -> Result<Vec<EmployeeId>, StoreError> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT employee_id FROM punches WHERE company_id = $1 AND photo_sha256 = $2 \
         UNION SELECT employee_id FROM punches WHERE company_id = $1 AND burst_sha256 = $2 \
         UNION SELECT employee_id FROM face_templates WHERE company_id = $1 AND photo_sha256 = $2",
    )
    .bind(company.0)
    .bind(sha256)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(EmployeeId).collect())
}
