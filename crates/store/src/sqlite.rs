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
        migrator().run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The SQLite migrations embedded in the binary.
pub(crate) fn migrator() -> &'static sqlx::migrate::Migrator {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
    &MIGRATOR
}

/// What the database at `url` holds ([`crate::inspect::inspect`]): a file that does not exist is
/// an empty database, and is not created. The connection sets no journal mode or other setting
/// that would write to the file, and is closed before this returns: as the last connection of a
/// database in WAL mode it removes the `-wal` and `-shm` files it made. When a `-wal` file is
/// already there (a server that crashed, or one running), the connection is read-only, so that
/// closing it does not fold that file's commits into the database file: its bytes stay as they are.
pub(crate) async fn inspect(url: &str) -> Result<crate::inspect::Inspection, StoreError> {
    use sqlx::{ConnectOptions, Connection};
    let mut options = SqliteConnectOptions::from_str(url)?.create_if_missing(false).busy_timeout(Duration::from_secs(30));
    let file = options.get_filename().to_owned();
    if file.as_os_str() == ":memory:" || !file.exists() {
        return Ok(crate::inspect::Inspection::default());
    }
    let mut wal = file.into_os_string();
    wal.push("-wal");
    if std::path::Path::new(&wal).exists() {
        options = options.read_only(true);
    }
    let mut connection = options.connect().await?;
    let found = inspect_sql::read(&mut connection).await;
    connection.close().await?;
    found
}

/// Writes a consistent snapshot of the running database at `url` to the new file `dest`, with
/// SQLite's `VACUUM INTO` (one read transaction: the snapshot is the database as of one commit,
/// while writers go on committing in the WAL), then fsyncs it and checks it.
pub async fn snapshot(url: &str, dest: &std::path::Path) -> Result<(), StoreError> {
    use sqlx::{ConnectOptions, Connection};
    let options = SqliteConnectOptions::from_str(url)?.busy_timeout(Duration::from_secs(30)).foreign_keys(true);
    let mut connection = options.connect().await?;
    let dest_text = dest.to_str().ok_or_else(|| StoreError::Blob(format!("{} is not a UTF-8 path", dest.display())))?;
    sqlx::query("VACUUM INTO $1").bind(dest_text).execute(&mut connection).await?;
    connection.close().await?;
    std::fs::File::open(dest)
        .and_then(|file| file.sync_all())
        .map_err(|e| StoreError::Blob(format!("cannot sync the snapshot {}: {e}", dest.display())))?;
    let mut copy = SqliteConnectOptions::new().filename(dest).read_only(true).connect().await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut copy).await?;
    copy.close().await?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!("the snapshot {} fails SQLite's integrity check: {check}", dest.display())));
    }
    Ok(())
}

/// The database file a `sqlite:` URL names.
pub fn database_file(url: &str) -> Result<std::path::PathBuf, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?.get_filename().to_owned())
}

/// The database the shared SQL in `sql/` is compiled for here.
type Db = sqlx::Sqlite;
/// The store the shared `impl Store` in `sql/` is for.
type Backend = SqliteStore;
/// What [`crate::Store::backend`] answers.
const BACKEND: &str = "sqlite";
/// How a write transaction starts (`sql::begin`).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
/// Claims the oldest due verification job (`$1` is now, `$2` the end of the lease, `$3` the node).
/// One statement under SQLite's single write lock: no two workers claim the same job.
const CLAIM_JOB: &str = "UPDATE verification_jobs SET locked_until = $2, leased_by = $3, attempts = attempts + 1 WHERE punch_id = (\
    SELECT punch_id FROM verification_jobs WHERE run_after <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
    ORDER BY run_after LIMIT 1) RETURNING punch_id, company_id, attempts";

/// Locks the company's row (`$1`) until the transaction ends: nothing to do on SQLite, whose write
/// transactions take its one write lock at their start (`BEGIN IMMEDIATE`).
const LOCK_COMPANY: &str = "SELECT id FROM companies WHERE id = $1";

/// Locks a punch's row (`$1`) until the transaction ends: nothing to do on SQLite (`BEGIN IMMEDIATE`).
const LOCK_PUNCH: &str = "SELECT id FROM punches WHERE id = $1";

/// Whether the migrations' bookkeeping table exists (a count, 0 or 1).
const MIGRATIONS_TABLE_EXISTS: &str = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";

#[allow(clippy::duplicate_mod, reason = "sql/ is compiled once per backend, each time for its own Db")]
#[path = "sql/mod.rs"]
mod sql;

#[allow(clippy::duplicate_mod, reason = "compiled once per backend, like sql/")]
#[path = "inspect_sql.rs"]
mod inspect_sql;
