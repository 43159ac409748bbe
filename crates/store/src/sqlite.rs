//! The SQLite backend: the default, one file under the data folder.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// clockface's store on SQLite: WAL journal with `synchronous=FULL` (every commit is fsynced
/// before it returns, so an acknowledged punch survives a power cut), a busy timeout so writers
/// wait for each other instead of failing, and foreign keys enforced.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url`, e.g. `sqlite://clockface-data/clockface.db`,
    /// and applies the migrations embedded in the binary.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The database the shared SQL in `sql/` is compiled for here.
type Db = sqlx::Sqlite;
/// The store the shared `impl Store` in `sql/` is for.
type Backend = SqliteStore;
/// What [`crate::Store::backend`] answers.
const BACKEND: &str = "sqlite";
/// Claims the oldest due verification job (`$1` is now, `$2` the end of the lease).
/// One statement under SQLite's single write lock: no two workers claim the same job.
const CLAIM_JOB: &str = "UPDATE verification_jobs SET locked_until = $2, attempts = attempts + 1 WHERE punch_id = (\
    SELECT punch_id FROM verification_jobs WHERE run_after <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
    ORDER BY run_after LIMIT 1) RETURNING punch_id, company_id, attempts";

#[allow(clippy::duplicate_mod, reason = "sql/ is compiled once per backend, each time for its own Db")]
#[path = "sql/mod.rs"]
mod sql;
