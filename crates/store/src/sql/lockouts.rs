//! Wrong PINs counted per employee and per device, and the lockouts they cause.

use super::Db;
use crate::{LockScope, PinFailures, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::employee::LockoutPolicy;
use sqlx::Pool;

pub(super) async fn pin_locked_until(pool: &Pool<Db>, scope: LockScope, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
    let (kind, id) = scope.parts();
    let until: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT locked_until FROM pin_failures WHERE scope = $1 AND scope_id = $2")
            .bind(kind)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(until.flatten().filter(|until| *until > now))
}

pub(super) async fn record_pin_failure(
    pool: &Pool<Db>,
    scope: LockScope,
    now: DateTime<Utc>,
    policy: LockoutPolicy,
) -> Result<PinFailures, StoreError> {
    let (kind, id) = scope.parts();
    // Failures older than one lock period, or from before an expired lock, start the count afresh.
    let fresh_after = now - policy.lock_for;
    let mut tx = pool.begin().await?;
    let (failures, locked_until): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "INSERT INTO pin_failures (scope, scope_id, failures, locked_until, updated_at) VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (scope, scope_id) DO UPDATE SET \
           failures = CASE WHEN pin_failures.updated_at <= $4 OR pin_failures.locked_until <= $3 THEN 1 ELSE pin_failures.failures + 1 END, \
           locked_until = CASE WHEN pin_failures.locked_until <= $3 THEN NULL ELSE pin_failures.locked_until END, \
           updated_at = $3 \
         RETURNING failures, locked_until",
    )
    .bind(kind)
    .bind(id)
    .bind(now)
    .bind(fresh_after)
    .fetch_one(&mut *tx)
    .await?;
    let locked_until = if failures >= policy.max_failures && locked_until.is_none() {
        let until = now + policy.lock_for;
        sqlx::query("UPDATE pin_failures SET locked_until = $3 WHERE scope = $1 AND scope_id = $2")
            .bind(kind)
            .bind(id)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        Some(until)
    } else {
        locked_until
    };
    tx.commit().await?;
    Ok(PinFailures { failures, locked_until })
}

pub(super) async fn clear_pin_failures(pool: &Pool<Db>, scope: LockScope) -> Result<(), StoreError> {
    let (kind, id) = scope.parts();
    sqlx::query("DELETE FROM pin_failures WHERE scope = $1 AND scope_id = $2").bind(kind).bind(id).execute(pool).await?;
    Ok(())
}
