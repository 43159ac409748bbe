//! The review queue (punches an admin should look at) and admins' reviews of them.

use super::audit::insert_audit;
use super::verification::verifications;
use super::{Db, Tx};
use crate::records::PunchRow;
use crate::verification::ReviewRow;
use crate::{AuditEntry, Review, StoreError, Verification};
use clockface_domain::ids::{AdminId, CompanyId, PunchId};
use clockface_domain::punch::Punch;
use clockface_domain::verification::Verdict;
use sqlx::Pool;

/// The punches an admin should look at that nobody has reviewed yet: a verdict the domain says
/// needs a person (`Verdict::needs_review`), or a flagged punch (a required photo missing);
/// listed and counted alike.
///
/// Read from the open review items (`punches.review_open`, on the partial index
/// `punches_to_review`), never the company's whole history. The mark is exactly the rule: a
/// punch is stored flagged or not for good, a verdict is stored once and never changed, and a
/// review is never taken back; so the mark is set by the punch's insert when it is flagged, by
/// the verdict's transaction when it needs a person and nobody reviewed it (see
/// [`open_if_verdict_needs_review`]), and taken off by the review's. Those two take the punch's
/// row lock before they read (`LOCK_PUNCH`), so a verdict stored while its punch is being
/// reviewed sees the review.
fn review_queue_clause() -> &'static str {
    "FROM punches p WHERE p.company_id = $1 AND p.review_open"
}

/// Marks the punch an open review item when its verdict (just stored in `tx`) needs a person and
/// nobody has reviewed it.
pub(super) async fn open_if_verdict_needs_review(tx: &mut Tx, punch: PunchId, verdict: Verdict) -> Result<(), StoreError> {
    if !verdict.needs_review() {
        return Ok(());
    }
    sqlx::query(super::LOCK_PUNCH).bind(punch.0).execute(&mut **tx).await?;
    sqlx::query(
        "UPDATE punches SET review_open = TRUE WHERE id = $1 AND NOT review_open \
         AND NOT EXISTS (SELECT 1 FROM punch_reviews r WHERE r.punch_id = punches.id)",
    )
    .bind(punch.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The clause narrowing a list of punches `p` to a supervisor's employees (the supervisor is `$n`).
pub(super) fn assigned_to(supervisor: Option<AdminId>, n: usize) -> String {
    match supervisor {
        Some(_) => format!(" AND p.employee_id IN (SELECT s.employee_id FROM supervisor_employees s WHERE s.admin_id = ${n})"),
        None => String::new(),
    }
}

pub(super) async fn review_queue(
    pool: &Pool<Db>,
    company: CompanyId,
    supervisor: Option<AdminId>,
    limit: i64,
) -> Result<Vec<(Punch, Option<Verification>)>, StoreError> {
    let sql = format!("SELECT p.* {}{} ORDER BY p.occurred_at DESC, p.id DESC LIMIT $2", review_queue_clause(), assigned_to(supervisor, 3));
    let mut query = sqlx::query_as(&sql).bind(company.0).bind(limit);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    let rows: Vec<PunchRow> = query.fetch_all(pool).await?;
    let punches = rows.into_iter().map(Punch::try_from).collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<PunchId> = punches.iter().map(|p| p.id).collect();
    let mut verdicts = verifications(pool, company, &ids).await?;
    Ok(punches
        .into_iter()
        .map(|p| {
            let v = verdicts.remove(&p.id);
            (p, v)
        })
        .collect())
}

pub(super) async fn count_review_queue(pool: &Pool<Db>, company: CompanyId, supervisor: Option<AdminId>) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) {}{}", review_queue_clause(), assigned_to(supervisor, 2));
    let mut query = sqlx::query_scalar(&sql).bind(company.0);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    Ok(query.fetch_one(pool).await?)
}

/// Records a review and its audit line, in one transaction.
pub(super) async fn record_review(pool: &Pool<Db>, company: CompanyId, review: &Review, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    // The punch's row lock first, as a verdict's transaction takes it (`open_if_verdict_needs_review`).
    sqlx::query(super::LOCK_PUNCH).bind(review.punch_id.0).execute(&mut *tx).await?;
    let inserted = sqlx::query(
        "INSERT INTO punch_reviews (punch_id, company_id, decision, reviewed_by, reviewed_at) \
         SELECT id, company_id, $3, $4, $5 FROM punches WHERE company_id = $1 AND id = $2 \
         ON CONFLICT (punch_id) DO UPDATE SET decision = $3, reviewed_by = $4, reviewed_at = $5",
    )
    .bind(company.0)
    .bind(review.punch_id.0)
    .bind(review.decision.as_str())
    .bind(review.reviewed_by.0)
    .bind(review.reviewed_at)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    // Reviewed: no longer an open item.
    sqlx::query("UPDATE punches SET review_open = FALSE WHERE company_id = $1 AND id = $2 AND review_open")
        .bind(company.0)
        .bind(review.punch_id.0)
        .execute(&mut *tx)
        .await?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn review(pool: &Pool<Db>, company: CompanyId, punch: PunchId) -> Result<Option<Review>, StoreError> {
    let row: Option<ReviewRow> =
        sqlx::query_as("SELECT punch_id, decision, reviewed_by, reviewed_at FROM punch_reviews WHERE company_id = $1 AND punch_id = $2")
            .bind(company.0)
            .bind(punch.0)
            .fetch_optional(pool)
            .await?;
    row.map(Review::try_from).transpose()
}
