//! Fingerprints of the keys kept outside the database (never the keys themselves), so that a
//! server can tell that the key it was given is the one the data was made with.

use super::Db;
use crate::StoreError;
use chrono::{DateTime, Utc};
use sqlx::Pool;

pub(super) async fn key_fingerprint(pool: &Pool<Db>, name: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT fingerprint FROM server_keys WHERE name = $1").bind(name).fetch_optional(pool).await?)
}

/// Records the fingerprint unless one is recorded already, and returns the one that is: two
/// servers starting at once with different new keys agree on the first, and the other refuses.
pub(super) async fn record_key_fingerprint(
    pool: &Pool<Db>,
    name: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    sqlx::query("INSERT INTO server_keys (name, fingerprint, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fingerprint)
        .bind(now)
        .execute(pool)
        .await?;
    key_fingerprint(pool, name).await?.ok_or(StoreError::NotFound)
}

/// Whether any employee of any company has a PIN (whose lookup digest depends on the PIN key).
pub(super) async fn any_pin_set(pool: &Pool<Db>) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM employees WHERE pin_lookup IS NOT NULL").fetch_one(pool).await? > 0)
}

/// Whether any secret sealed with the secrets key is stored (an admin's TOTP secret, a sealed
/// face template). Templates an earlier release stored in plain (512 bytes) do not count: they
/// were written before the key existed.
pub(super) async fn any_secret_sealed(pool: &Pool<Db>) -> Result<bool, StoreError> {
    let sql = "SELECT (SELECT COUNT(*) FROM admins WHERE totp_secret IS NOT NULL) + \
               (SELECT COUNT(*) FROM face_templates WHERE length(embedding) <> $1)";
    Ok(sqlx::query_scalar::<_, i64>(sql).bind(crate::inspect::PLAIN_TEMPLATE_BYTES).fetch_one(pool).await? > 0)
}
