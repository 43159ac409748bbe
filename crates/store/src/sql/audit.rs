//! The company's audit log: who did what to what, and when.

use super::Db;
use crate::{new_id, AuditEntry, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::ids::CompanyId;
use sqlx::Pool;
use uuid::Uuid;

/// Writes one audit line through `executor`: the pool for a line of its own (a photo viewed), or
/// the transaction of the change it records, so that the change and its line commit together.
pub(super) async fn insert_audit<'c, E: sqlx::Executor<'c, Database = Db>>(executor: E, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (id, company_id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(entry.company_id.0)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(&entry.detail)
        .execute(executor)
        .await?;
    Ok(())
}

/// The company's audit log, newest first.
pub(super) async fn audit_log(pool: &Pool<Db>, company: CompanyId, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<(Uuid, DateTime<Utc>, String, String, String, String)> = sqlx::query_as(
        "SELECT company_id, at, actor, action, subject, detail FROM audit_log WHERE company_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(company.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company, at, actor, action, subject, detail)| AuditEntry {
            company_id: CompanyId(company),
            at,
            actor,
            action,
            subject,
            detail,
        })
        .collect())
}
