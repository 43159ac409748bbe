//! The reads of [`crate::inspect::inspect`], written once and compiled for each backend (like
//! `sql/`): each asks only for tables and columns that the applied migrations created, so that it
//! runs on a database of any earlier schema.

use super::{Db, MIGRATIONS_TABLE_EXISTS};
use crate::inspect::{self, AppliedMigration, Inspection};
use crate::StoreError;
use clockface_domain::ids::EmployeeId;
use uuid::Uuid;

type Connection = <Db as sqlx::Database>::Connection;

/// Reads the [`Inspection`] through `conn`, writing nothing.
pub(super) async fn read(conn: &mut Connection) -> Result<Inspection, StoreError> {
    let mut found = Inspection::default();
    let tables: i64 = sqlx::query_scalar(MIGRATIONS_TABLE_EXISTS).fetch_one(&mut *conn).await?;
    if tables == 0 {
        return Ok(found);
    }
    let applied: Vec<(i64, String, bool, Vec<u8>)> =
        sqlx::query_as("SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    found.applied = applied
        .into_iter()
        .map(|(version, description, success, checksum)| AppliedMigration { version, description, success, checksum })
        .collect();
    if found.has(inspect::KEY_FINGERPRINTS_SINCE) {
        found.fingerprints = sqlx::query_as("SELECT name, fingerprint FROM server_keys ORDER BY name").fetch_all(&mut *conn).await?;
    }
    if found.has(inspect::PINS_SINCE) {
        // Counted at every start: only the kept ones (migration 0016's partial index `photos_kept`),
        // so that the count follows the retention window, not the years of history.
        let kept = if found.has(inspect::DESTROYED_PHOTOS_SINCE) {
            "SELECT COUNT(*) FROM photos WHERE destroyed_at IS NULL"
        } else {
            "SELECT COUNT(*) FROM photos"
        };
        found.photos = sqlx::query_scalar(kept).fetch_one(&mut *conn).await?;
        let pins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE pin_lookup IS NOT NULL").fetch_one(&mut *conn).await?;
        found.pins_set = pins > 0;
    }
    if found.has(inspect::TEMPLATES_SINCE) {
        let (sealed, plain): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN length(embedding) <> $1 THEN 1 ELSE 0 END), 0), \
                    COALESCE(SUM(CASE WHEN length(embedding) = $1 THEN 1 ELSE 0 END), 0) FROM face_templates",
        )
        .bind(inspect::PLAIN_TEMPLATE_BYTES)
        .fetch_one(&mut *conn)
        .await?;
        (found.sealed_templates, found.plain_templates) = (sealed, plain);
        let sample: Option<(Uuid, Vec<u8>)> =
            sqlx::query_as("SELECT employee_id, embedding FROM face_templates WHERE length(embedding) <> $1 ORDER BY id LIMIT 1")
                .bind(inspect::PLAIN_TEMPLATE_BYTES)
                .fetch_optional(&mut *conn)
                .await?;
        found.sealed_template_sample = sample.map(|(employee, sealed)| (EmployeeId(employee), sealed));
    }
    if found.has(inspect::TOTP_SINCE) {
        found.totp_secrets = sqlx::query_scalar("SELECT COUNT(*) FROM admins WHERE totp_secret IS NOT NULL").fetch_one(&mut *conn).await?;
        found.totp_sample = sqlx::query_scalar("SELECT totp_secret FROM admins WHERE totp_secret IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(found)
}
