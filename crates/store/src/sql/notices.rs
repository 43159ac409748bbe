//! What a company's admins are told of guessing (the first lock of a device, an employee or the
//! company's PIN sign-in), and an admin lifting a lock; and the company's PIN length.

use super::audit::insert_audit;
use super::Db;
use crate::{AuditEntry, LockScope, NewNotice, Notice, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::ids::{AdminId, CompanyId};
use sqlx::Pool;
use uuid::Uuid;

type NoticeRow = (Uuid, DateTime<Utc>, String, String, DateTime<Utc>, String, Option<DateTime<Utc>>);

const COLUMNS: &str = "id, at, place, subject, locked_until, detail, seen_at";

fn notice((id, at, place, subject, locked_until, detail, seen_at): NoticeRow) -> Notice {
    Notice { id, at, place, subject, locked_until, detail, seen_at }
}

pub(super) async fn insert_notice(pool: &Pool<Db>, company: CompanyId, new: &NewNotice) -> Result<Notice, StoreError> {
    let row: NoticeRow = sqlx::query_as(&format!(
        "INSERT INTO security_notices (id, company_id, at, place, subject, locked_until, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(crate::new_id())
    .bind(company.0)
    .bind(crate::to_micros(new.at))
    .bind(new.place.as_str())
    .bind(&new.subject)
    .bind(crate::to_micros(new.locked_until))
    .bind(&new.detail)
    .fetch_one(pool)
    .await?;
    Ok(notice(row))
}

/// The company's notices, newest first (unseen ones first of all), at most `limit`.
pub(super) async fn notices(pool: &Pool<Db>, company: CompanyId, limit: i64) -> Result<Vec<Notice>, StoreError> {
    let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM security_notices WHERE company_id = $1 \
         ORDER BY (CASE WHEN seen_at IS NULL THEN 0 ELSE 1 END), at DESC LIMIT $2"
    ))
    .bind(company.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(notice).collect())
}

pub(super) async fn count_unseen_notices(pool: &Pool<Db>, company: CompanyId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM security_notices WHERE company_id = $1 AND seen_at IS NULL")
        .bind(company.0)
        .fetch_one(pool)
        .await?)
}

/// Marks every unseen notice of the company seen by `admin`; returns how many.
pub(super) async fn mark_notices_seen(pool: &Pool<Db>, company: CompanyId, admin: AdminId, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(sqlx::query("UPDATE security_notices SET seen_at = $3, seen_by = $2 WHERE company_id = $1 AND seen_at IS NULL")
        .bind(company.0)
        .bind(admin.0)
        .bind(crate::to_micros(now))
        .execute(pool)
        .await?
        .rows_affected())
}

/// Lifts a lock and forgets its count (an admin who knows why it was locked), with its audit line;
/// false when nothing was locked or counted there.
pub(super) async fn unlock(pool: &Pool<Db>, scope: &LockScope, audit: &AuditEntry) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    let removed = sqlx::query("DELETE FROM lockouts WHERE scope = $1 AND key = $2")
        .bind(scope.place().as_str())
        .bind(scope.key())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM lockout_events WHERE scope = $1 AND key = $2")
        .bind(scope.place().as_str())
        .bind(scope.key())
        .execute(&mut *tx)
        .await?;
    if removed == 0 {
        return Ok(false);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets how many digits new PINs have at least in the company, with its audit line.
pub(super) async fn set_min_pin_digits(pool: &Pool<Db>, company: CompanyId, digits: i64, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let done = sqlx::query("UPDATE companies SET min_pin_digits = $2 WHERE id = $1").bind(company.0).bind(digits).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// How many of the company's employees have a PIN shorter than `digits`, or one set before PIN
/// lengths were kept (which may be).
pub(super) async fn pins_shorter_than(pool: &Pool<Db>, company: CompanyId, digits: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees WHERE company_id = $1 AND active AND pin_lookup IS NOT NULL \
         AND (pin_digits IS NULL OR pin_digits < $2)",
    )
    .bind(company.0)
    .bind(digits)
    .fetch_one(pool)
    .await?)
}
