//! The PostgreSQL backend, for companies that outgrow one machine.

use crate::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// clockface's store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url`, e.g. `postgres://clockface@db/clockface`, and applies the migrations
    /// embedded in the binary.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect(url).await?;
        migrator().run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The PostgreSQL migrations embedded in the binary.
pub(crate) fn migrator() -> &'static sqlx::migrate::Migrator {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
    &MIGRATOR
}

/// What the database at `url` holds ([`crate::inspect::inspect`]), read in one read-only
/// transaction (one snapshot, and PostgreSQL refuses any write in it); the connection is
/// closed before this returns.
pub(crate) async fn inspect(url: &str) -> Result<crate::inspect::Inspection, StoreError> {
    use sqlx::{ConnectOptions, Connection};
    let mut connection = sqlx::postgres::PgConnectOptions::from_str(url)?.connect().await?;
    sqlx::query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut connection).await?;
    let found = inspect_sql::read(&mut connection).await;
    sqlx::query("ROLLBACK").execute(&mut connection).await?;
    connection.close().await?;
    found
}

/// The database the shared SQL in `sql/` is compiled for here.
type Db = sqlx::Postgres;
/// The store the shared `impl Store` in `sql/` is for.
type Backend = PgStore;
/// What [`crate::Store::backend`] answers.
const BACKEND: &str = "postgres";
/// How a write transaction starts (`sql::begin`).
const BEGIN_WRITE: &str = "BEGIN";
/// Claims the oldest due verification job (`$1` is now, `$2` the end of the lease, `$3` the node).
/// SKIP LOCKED: workers on several servers each take a different job without waiting.
const CLAIM_JOB: &str = "UPDATE verification_jobs SET locked_until = $2, leased_by = $3, attempts = attempts + 1 WHERE punch_id = (\
    SELECT punch_id FROM verification_jobs WHERE run_after <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
    ORDER BY run_after LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING punch_id, company_id, attempts";

/// Whether the migrations' bookkeeping table exists in the schema in use (a count, 0 or 1).
const MIGRATIONS_TABLE_EXISTS: &str =
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'";

#[allow(clippy::duplicate_mod, reason = "sql/ is compiled once per backend, each time for its own Db")]
#[path = "sql/mod.rs"]
mod sql;

#[allow(clippy::duplicate_mod, reason = "compiled once per backend, like sql/")]
#[path = "inspect_sql.rs"]
mod inspect_sql;
