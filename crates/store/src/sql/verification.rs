//! The durable queue of photos to verify (enqueued with their punch, claimed by one worker at a
//! time, completed or retried) and the verdicts it produces.

use super::audit::insert_audit;
use super::faces::insert_template;
use super::{Db, Tx, CLAIM_JOB};
use crate::verification::VerificationRow;
use crate::{AuditEntry, FaceTemplate, JobLease, QueueStats, StoreError, Verification, VerificationJob};
use chrono::{DateTime, Utc};
use clockface_domain::ids::{CompanyId, PunchId};
use clockface_domain::punch::Punch;
use sqlx::Pool;
use std::collections::HashMap;
use uuid::Uuid;

const VERIFICATION_COLUMNS: &str =
    "punch_id, company_id, verdict, score, threshold, rotation, engine_rotation, faces, message, enrolled_now, decided_at, liveness_score, liveness_threshold, \
     active_passed, active_turn";

/// Queues the punch's photo for verification, due at once, in the punch's own transaction.
pub(super) async fn enqueue_job(tx: &mut Tx, punch: &Punch) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO verification_jobs (punch_id, company_id, attempts, run_after, created_at) VALUES ($1, $2, 0, $3, $3)")
        .bind(punch.id.0)
        .bind(punch.company_id.0)
        .bind(punch.received_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn claim_job(
    pool: &Pool<Db>,
    node: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<VerificationJob>, StoreError> {
    let row: Option<(Uuid, Uuid, i64)> = sqlx::query_as(CLAIM_JOB).bind(now).bind(lease_until).bind(node).fetch_optional(pool).await?;
    Ok(row.map(|(punch, company, attempts)| VerificationJob { punch_id: PunchId(punch), company_id: CompanyId(company), attempts }))
}

/// Stores a verdict and removes its job, in one transaction; with the template a first
/// FaceFront photo enrolled and its audit line. A punch keeps its first verdict: when another
/// worker finished the same job first (its lease ran out), this one changes nothing but the job.
/// A verdict that needs a person opens a review item on its punch, in the same transaction.
pub(super) async fn complete_job(
    pool: &Pool<Db>,
    verification: &Verification,
    enrolled: Option<(&FaceTemplate, &AuditEntry)>,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let stored = sqlx::query(&format!(
        "INSERT INTO verifications ({VERIFICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (punch_id) DO NOTHING"
    ))
    .bind(verification.punch_id.0)
    .bind(verification.company_id.0)
    .bind(verification.verdict.as_str())
    .bind(verification.score)
    .bind(verification.threshold)
    .bind(verification.rotation)
    .bind(verification.engine_rotation.degrees())
    .bind(verification.faces)
    .bind(&verification.message)
    .bind(verification.enrolled_now)
    .bind(verification.decided_at)
    .bind(verification.liveness.map(|l| l.0))
    .bind(verification.liveness.map(|l| l.1))
    .bind(verification.active.map(|a| a.passed))
    .bind(verification.active.map(|a| a.turn))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if stored == 1 {
        // The verdict on the punch's row too, for the readers of whole periods (migration 0021).
        sqlx::query("UPDATE punches SET verdict = $2 WHERE id = $1")
            .bind(verification.punch_id.0)
            .bind(verification.verdict.as_str())
            .execute(&mut *tx)
            .await?;
        super::reviews::open_if_verdict_needs_review(&mut tx, verification.punch_id, verification.verdict).await?;
    }
    if let (1, Some((template, audit))) = (stored, enrolled) {
        insert_template(&mut *tx, template).await?;
        insert_audit(&mut tx, audit).await?;
    }
    sqlx::query("DELETE FROM verification_jobs WHERE punch_id = $1").bind(verification.punch_id.0).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn retry_job(pool: &Pool<Db>, punch: PunchId, run_after: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE verification_jobs SET run_after = $2, locked_until = NULL, leased_by = NULL, last_error = $3 WHERE punch_id = $1")
        .bind(punch.0)
        .bind(run_after)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn pending_jobs(pool: &Pool<Db>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM verification_jobs").fetch_one(pool).await?)
}

pub(super) async fn queue_stats(pool: &Pool<Db>, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
    let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verification_jobs").fetch_one(pool).await?;
    let oldest: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT created_at FROM verification_jobs ORDER BY created_at LIMIT 1").fetch_optional(pool).await?;
    let oldest_age_seconds = oldest.map_or(0.0, |at| ((now - at).num_milliseconds().max(0) as f64) / 1000.0);
    Ok(QueueStats { depth, oldest_age_seconds })
}

pub(super) async fn leased_jobs(pool: &Pool<Db>, now: DateTime<Utc>) -> Result<Vec<JobLease>, StoreError> {
    let rows: Vec<(Uuid, Option<String>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT punch_id, leased_by, locked_until FROM verification_jobs WHERE locked_until > $1 ORDER BY locked_until")
            .bind(now)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(punch, node, until)| {
            Some(JobLease { punch_id: PunchId(punch), leased_by: node.unwrap_or_default(), locked_until: until? })
        })
        .collect())
}

pub(super) async fn verification(pool: &Pool<Db>, company: CompanyId, punch: PunchId) -> Result<Option<Verification>, StoreError> {
    let row: Option<VerificationRow> =
        sqlx::query_as(&format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE company_id = $1 AND punch_id = $2"))
            .bind(company.0)
            .bind(punch.0)
            .fetch_optional(pool)
            .await?;
    row.map(Verification::try_from).transpose()
}

/// The verdicts of many punches at once (those of the company that have one), by punch.
pub(super) async fn verifications(
    pool: &Pool<Db>,
    company: CompanyId,
    punches: &[PunchId],
) -> Result<HashMap<PunchId, Verification>, StoreError> {
    let mut found = HashMap::with_capacity(punches.len());
    // In batches, well under either backend's limit on bound parameters. Read by key alone and
    // kept when the company's: with the company in the statement, SQLite reads a long list of
    // punches through the company's verdicts (`verifications_by_company`) instead of by key.
    for batch in punches.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE punch_id IN ("));
        let mut ids = query.separated(", ");
        for punch in batch {
            ids.push_bind(punch.0);
        }
        ids.push_unseparated(")");
        let rows: Vec<VerificationRow> = query.build_query_as().fetch_all(pool).await?;
        for row in rows {
            let verification = Verification::try_from(row)?;
            if verification.company_id == company {
                found.insert(verification.punch_id, verification);
            }
        }
    }
    Ok(found)
}
