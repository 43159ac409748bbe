//! What a database holds, read before anything changes it: the migrations applied, the key
//! fingerprints recorded and whether data made with each key is stored, on a database of any
//! schema this project ever wrote (from migration 0001 on) or on none at all.
//!
//! The server's start-up checks (keys, a database newer than the binary) run on this before
//! [`crate::connect`] migrates, so that a start that refuses leaves the database exactly as it was.
//! [`inspect`] opens its own connection, never creates a database, writes nothing, and closes
//! the connection before it returns (for SQLite, the last connection to close removes the
//! `-wal` and `-shm` files it made).

use crate::StoreError;
use clockface_domain::ids::EmployeeId;

/// The migration that created `employees.pin_lookup` (data made with `pin.key`).
pub const PINS_SINCE: i64 = 1;
/// The migration that created `face_templates` (plain until templates were sealed with `secrets.key`).
pub const TEMPLATES_SINCE: i64 = 2;
/// The migration that created `server_keys` (the keys' fingerprints).
pub const KEY_FINGERPRINTS_SINCE: i64 = 4;
/// The migration that created `admins.totp_secret` (sealed with `secrets.key`).
pub const TOTP_SINCE: i64 = 5;
/// The migration that created `photos.destroyed_at` (a destroyed photo has no bytes left).
pub const DESTROYED_PHOTOS_SINCE: i64 = 7;
/// The size of a face template stored in plain (128 little-endian f32s), as releases before
/// sealing stored it; a sealed one is longer (nonce and tag).
pub const PLAIN_TEMPLATE_BYTES: i64 = 512;

/// A migration this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMigration {
    pub version: i64,
    pub description: String,
    /// sqlx's checksum of its SQL, as recorded when it is applied.
    pub checksum: Vec<u8>,
}

/// A migration recorded as applied in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
    /// False when it started and did not finish (sqlx marks it so).
    pub success: bool,
    pub checksum: Vec<u8>,
}

/// What [`inspect`] read. An empty database (a new install) has no migrations and no data.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    pub applied: Vec<AppliedMigration>,
    /// Recorded fingerprints by key name (`pin.key`, `secrets.key`).
    pub fingerprints: Vec<(String, String)>,
    /// Photos the database lists as kept in the photo store (not destroyed under the retention
    /// policy): as many as the policy's window holds, not the whole history's.
    pub photos: i64,
    /// Whether any employee has a PIN (its lookup digest is keyed with `pin.key`).
    pub pins_set: bool,
    /// Face templates stored sealed (with `secrets.key`).
    pub sealed_templates: i64,
    /// Face templates stored in plain by a release before sealing: they need no key to read, and
    /// are sealed at start.
    pub plain_templates: i64,
    /// Admins' TOTP secrets (always sealed with `secrets.key`).
    pub totp_secrets: i64,
    /// One sealed template and its employee, to try a key on when no fingerprint was recorded.
    pub sealed_template_sample: Option<(EmployeeId, Vec<u8>)>,
    /// One sealed TOTP secret, likewise.
    pub totp_sample: Option<Vec<u8>>,
}

impl Inspection {
    /// Whether the migration `version` was applied.
    pub fn has(&self, version: i64) -> bool {
        self.applied.iter().any(|m| m.version == version && m.success)
    }

    /// The fingerprint recorded for the key `name`.
    pub fn fingerprint(&self, name: &str) -> Option<&str> {
        self.fingerprints.iter().find(|(n, _)| n == name).map(|(_, f)| f.as_str())
    }

    /// Whether anything stored was sealed with `secrets.key` (plain templates do not count: they
    /// were written before that key existed).
    pub fn secrets_sealed(&self) -> bool {
        self.sealed_templates + self.totp_secrets > 0
    }

    /// Applied migrations this binary does not carry (a newer release migrated the database).
    pub fn unknown<'a>(&'a self, known: &[KnownMigration]) -> Vec<&'a AppliedMigration> {
        self.applied.iter().filter(|m| !known.iter().any(|k| k.version == m.version)).collect()
    }

    /// Applied migrations whose SQL differs from this binary's migration of the same number.
    pub fn differing<'a>(&'a self, known: &[KnownMigration]) -> Vec<&'a AppliedMigration> {
        self.applied.iter().filter(|m| known.iter().any(|k| k.version == m.version && k.checksum != m.checksum)).collect()
    }

    /// Migrations that started and did not finish.
    pub fn failed(&self) -> Vec<&AppliedMigration> {
        self.applied.iter().filter(|m| !m.success).collect()
    }
}

/// Reads what the database at `url` holds without creating, migrating or writing anything. A
/// SQLite file that does not exist yet is an empty [`Inspection`].
pub async fn inspect(url: &str) -> Result<Inspection, StoreError> {
    if url.starts_with("sqlite:") {
        crate::sqlite::inspect(url).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        crate::postgres::inspect(url).await
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// The migrations this binary carries for the backend of `url`, in order.
pub fn known_migrations(url: &str) -> Result<Vec<KnownMigration>, StoreError> {
    let migrator = if url.starts_with("sqlite:") {
        crate::sqlite::migrator()
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        crate::postgres::migrator()
    } else {
        return Err(StoreError::UnsupportedUrl);
    };
    Ok(migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| KnownMigration { version: m.version, description: m.description.to_string(), checksum: m.checksum.to_vec() })
        .collect())
}
