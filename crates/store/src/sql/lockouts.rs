//! Wrong guesses counted in every place they count in (a device, an employee, a company, an
//! admin account, a client address), and the locks they cause. See `domain::lockout` for the
//! rules: a guess is counted before it is judged, and judged only within the limit.

use super::{Db, Tx};
use crate::{Attempt, LockScope, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::lockout::LockoutPolicy;
use sqlx::Pool;

/// A place's count after one more guess: guesses in this round (this one included), locks
/// earlier in the window, and the lock in force, if any.
struct Count {
    failures: i64,
    locks: i64,
    locked_until: Option<DateTime<Utc>>,
}

/// Counts one more guess in `scope`. After `window` without a guess (and no lock holding) the
/// count and the locks are forgotten; a lock that has run out starts a new round. A sliding limit
/// counts the guesses of its last stretch of time instead (one event row each, older ones pruned).
async fn count(tx: &mut Tx, scope: &LockScope, policy: &LockoutPolicy, now: DateTime<Utc>) -> Result<Count, StoreError> {
    let limit = policy.limit(scope.place());
    let window_over = now - limit.window;
    let (failures, locks, locked_until): (i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "INSERT INTO lockouts (scope, key, failures, locks, window_start, locked_until, updated_at) VALUES ($1, $2, 1, 0, $3, NULL, $3) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           failures = CASE WHEN lockouts.locked_until <= $3 OR (lockouts.locked_until IS NULL AND lockouts.updated_at <= $4) \
                      THEN 1 ELSE lockouts.failures + 1 END, \
           locks = CASE WHEN (lockouts.locked_until IS NULL OR lockouts.locked_until <= $3) AND lockouts.updated_at <= $4 \
                   THEN 0 ELSE lockouts.locks END, \
           window_start = CASE WHEN (lockouts.locked_until IS NULL OR lockouts.locked_until <= $3) AND lockouts.updated_at <= $4 \
                          THEN $3 ELSE lockouts.window_start END, \
           locked_until = CASE WHEN lockouts.locked_until <= $3 THEN NULL ELSE lockouts.locked_until END, \
           updated_at = $3 \
         RETURNING failures, locks, locked_until",
    )
    .bind(scope.place().as_str())
    .bind(scope.key())
    .bind(now)
    .bind(window_over)
    .fetch_one(&mut **tx)
    .await?;
    let failures = match limit.sliding {
        None => failures,
        Some(stretch) => {
            sqlx::query("DELETE FROM lockout_events WHERE scope = $1 AND key = $2 AND at <= $3")
                .bind(scope.place().as_str())
                .bind(scope.key())
                .bind(now - stretch)
                .execute(&mut **tx)
                .await?;
            sqlx::query("INSERT INTO lockout_events (scope, key, at) VALUES ($1, $2, $3)")
                .bind(scope.place().as_str())
                .bind(scope.key())
                .bind(now)
                .execute(&mut **tx)
                .await?;
            sqlx::query_scalar("SELECT COUNT(*) FROM lockout_events WHERE scope = $1 AND key = $2")
                .bind(scope.place().as_str())
                .bind(scope.key())
                .fetch_one(&mut **tx)
                .await?
        }
    };
    Ok(Count { failures, locks, locked_until: locked_until.filter(|until| *until > now) })
}

/// Locks `scope` until `until`, one more lock in its window.
async fn lock(tx: &mut Tx, scope: &LockScope, until: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE lockouts SET locked_until = $3, locks = locks + 1 WHERE scope = $1 AND key = $2")
        .bind(scope.place().as_str())
        .bind(scope.key())
        .bind(until)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts a guess in every scope at once, before it is judged. A scope that is locked, or whose
/// count (this guess included) is past its limit, refuses it: that scope is locked (if it was
/// not yet) and the guess must not be judged.
pub(super) async fn count_attempt(
    pool: &Pool<Db>,
    scopes: &[LockScope],
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<Attempt, StoreError> {
    let mut tx = super::begin(pool).await?;
    let mut tries_left = i64::MAX;
    let mut nearest = scopes.first().map_or(clockface_domain::lockout::Place::Device, LockScope::place);
    let mut refused = None;
    for scope in scopes {
        let limit = policy.limit(scope.place());
        let counted = count(&mut tx, scope, policy, now).await?;
        let round = limit.round(counted.locks);
        let lock = match counted.locked_until {
            Some(until) => Some((until, false)),
            // Guesses made at the same moment: those past the round are refused unjudged.
            None if counted.failures > round => {
                let until = now + limit.lock_for_round(counted.locks);
                lock(&mut tx, scope, until).await?;
                Some((until, counted.locks == 0))
            }
            None => None,
        };
        match lock {
            Some((until, first)) => refused = refused.or(Some((scope.clone(), until, first))),
            None if round - counted.failures < tries_left => {
                tries_left = round - counted.failures;
                nearest = scope.place();
            }
            None => {}
        }
    }
    tx.commit().await?;
    Ok(match refused {
        Some((scope, until, first)) => Attempt::Locked { place: scope.place(), until, first },
        None => Attempt::Judge { tries_left, nearest },
    })
}

/// A judged guess was wrong: locks every scope whose count reached its limit with it, and
/// returns the lock that now holds, if any.
pub(super) async fn attempt_was_wrong(
    pool: &Pool<Db>,
    scopes: &[LockScope],
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<Option<Attempt>, StoreError> {
    let mut tx = super::begin(pool).await?;
    let mut locked = None;
    for scope in scopes {
        let limit = policy.limit(scope.place());
        let row: Option<(i64, i64, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT failures, locks, locked_until FROM lockouts WHERE scope = $1 AND key = $2")
                .bind(scope.place().as_str())
                .bind(scope.key())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((failures, locks, locked_until)) = row else { continue };
        let failures = match limit.sliding {
            None => failures,
            Some(_) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM lockout_events WHERE scope = $1 AND key = $2")
                    .bind(scope.place().as_str())
                    .bind(scope.key())
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let until = match locked_until.filter(|until| *until > now) {
            Some(until) => Some((until, false)),
            None if failures >= limit.round(locks) => {
                let until = now + limit.lock_for_round(locks);
                lock(&mut tx, scope, until).await?;
                Some((until, locks == 0))
            }
            None => None,
        };
        if let (None, Some((until, first))) = (&locked, until) {
            locked = Some(Attempt::Locked { place: scope.place(), until, first });
        }
    }
    tx.commit().await?;
    Ok(locked)
}

/// A judged guess was right: takes back its own count from the shared scopes in `counted`
/// (never more: what others guessed wrong there stays counted), and clears `own` (the
/// employee's or the account's own count and lock).
pub(super) async fn attempt_was_right(pool: &Pool<Db>, counted: &[LockScope], own: &[LockScope]) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    for scope in counted {
        sqlx::query("UPDATE lockouts SET failures = failures - 1 WHERE scope = $1 AND key = $2 AND failures > 0")
            .bind(scope.place().as_str())
            .bind(scope.key())
            .execute(&mut *tx)
            .await?;
        // A sliding count's event of this guess goes too (the latest one: they are alike).
        sqlx::query(
            "DELETE FROM lockout_events WHERE scope = $1 AND key = $2 AND at = \
             (SELECT MAX(at) FROM lockout_events WHERE scope = $1 AND key = $2)",
        )
        .bind(scope.place().as_str())
        .bind(scope.key())
        .execute(&mut *tx)
        .await?;
    }
    for scope in own {
        sqlx::query("DELETE FROM lockouts WHERE scope = $1 AND key = $2")
            .bind(scope.place().as_str())
            .bind(scope.key())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Until when `scope` is locked, if it is at `now`.
pub(super) async fn locked_until(pool: &Pool<Db>, scope: &LockScope, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
    let until: Option<Option<DateTime<Utc>>> = sqlx::query_scalar("SELECT locked_until FROM lockouts WHERE scope = $1 AND key = $2")
        .bind(scope.place().as_str())
        .bind(scope.key())
        .fetch_optional(pool)
        .await?;
    Ok(until.flatten().filter(|until| *until > now))
}
