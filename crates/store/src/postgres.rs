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
        migrate(&pool).await?;
        Ok(Self { pool })
    }
}

/// The PostgreSQL migrations embedded in the binary.
pub(crate) fn migrator() -> &'static sqlx::migrate::Migrator {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
    &MIGRATOR
}

/// Applies the migrations. sqlx sends a migration's file as one simple query, which PostgreSQL
/// runs as one implicit transaction even when the file opts out of sqlx's transaction
/// (`-- no-transaction`), and `CREATE INDEX CONCURRENTLY` is refused inside a transaction. So
/// sqlx applies the migrations up to each no-transaction one, and [`apply_online`] applies that
/// one here, a statement at a time, recording it as sqlx does (same checksum): sqlx then finds
/// it applied, and the start-up checks (`inspect`) see an ordinary migration.
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let all = migrator();
    for online in all.iter().filter(|m| m.no_tx && m.migration_type.is_up_migration()) {
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(all.iter().filter(|m| m.version < online.version).cloned().collect()),
            // The database may hold later migrations (this is a restart): sqlx checks them below.
            ignore_missing: true,
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(pool).await?;
        apply_online(pool, online).await?;
    }
    all.run(pool).await?;
    Ok(())
}

/// The advisory lock nodes starting together take while one applies a no-transaction migration.
const ONLINE_MIGRATION_LOCK: i64 = 0x636c_6f63_6b66_6163;

/// Applies a no-transaction migration one statement at a time, unless it is recorded as applied.
/// An index that a cut-off `CREATE INDEX CONCURRENTLY` left INVALID is dropped and built again
/// (`IF NOT EXISTS` alone would keep the broken one). Nodes starting together take turns: the
/// lock is tried, not waited for in a statement, because a session waiting for a lock inside a
/// statement holds a snapshot that `CREATE INDEX CONCURRENTLY` would wait for in turn.
async fn apply_online(pool: &PgPool, migration: &sqlx::migrate::Migration) -> Result<(), StoreError> {
    let mut connection = pool.acquire().await?;
    while !sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)").bind(ONLINE_MIGRATION_LOCK).fetch_one(&mut *connection).await? {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let applied = apply_online_locked(&mut connection, migration).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(ONLINE_MIGRATION_LOCK).execute(&mut *connection).await;
    applied?;
    unlocked?;
    Ok(())
}

async fn apply_online_locked(connection: &mut sqlx::PgConnection, migration: &sqlx::migrate::Migration) -> Result<(), StoreError> {
    let recorded: Option<bool> = sqlx::query_scalar("SELECT success FROM _sqlx_migrations WHERE version = $1")
        .bind(migration.version)
        .fetch_optional(&mut *connection)
        .await?;
    if recorded.is_some() {
        return Ok(());
    }
    let start = std::time::Instant::now();
    for statement in statements(&migration.sql) {
        if let Some(index) = concurrent_index_name(&statement) {
            let invalid: Option<bool> = sqlx::query_scalar(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace",
            )
            .bind(&index)
            .fetch_optional(&mut *connection)
            .await?;
            if invalid == Some(true) {
                tracing::warn!(index, "an index build was cut off halfway: building it again");
                let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS \"{index}\"");
                sqlx::query(&drop).persistent(false).execute(&mut *connection).await?;
            }
        }
        // One statement per message: PostgreSQL runs it outside any transaction block.
        sqlx::query(&statement).persistent(false).execute(&mut *connection).await?;
    }
    let elapsed = i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX);
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, $4)")
        .bind(migration.version)
        .bind(&*migration.description)
        .bind(&*migration.checksum)
        .bind(elapsed)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The statements of a migration file, without its comment lines (statements end with `;`).
fn statements(sql: &str) -> Vec<String> {
    let code: Vec<&str> = sql.lines().filter(|line| !line.trim_start().starts_with("--")).collect();
    code.join("\n").split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The index a `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS <name> ...` statement builds.
fn concurrent_index_name(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    if upper.first().map(String::as_str) != Some("CREATE") || !upper.iter().any(|w| w == "CONCURRENTLY") {
        return None;
    }
    let exists = upper.iter().position(|w| w == "EXISTS")?;
    words.get(exists + 1).map(|name| name.trim_matches('"').to_owned())
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

/// Locks the company's row (`$1`) until the transaction ends. Every punch stored holds a key-share
/// lock on it (its foreign key) until it commits, so an approval that takes this first waits for
/// the punches being stored, and a punch stored after waits for the approval: each sees the
/// other, and no punch that arrives after an approval goes unmarked (`sql::payroll::approve`).
const LOCK_COMPANY: &str = "SELECT id FROM companies WHERE id = $1 FOR UPDATE";

/// Locks a punch's row (`$1`) until the transaction ends: a verdict and a review of the same punch
/// take turns, and the later one sees the earlier (the open review item, `sql::reviews`).
const LOCK_PUNCH: &str = "SELECT id FROM punches WHERE id = $1 FOR NO KEY UPDATE";

/// Whether the migrations' bookkeeping table exists in the schema in use (a count, 0 or 1).
const MIGRATIONS_TABLE_EXISTS: &str =
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'";

#[allow(clippy::duplicate_mod, reason = "sql/ is compiled once per backend, each time for its own Db")]
#[path = "sql/mod.rs"]
mod sql;

#[allow(clippy::duplicate_mod, reason = "compiled once per backend, like sql/")]
#[path = "inspect_sql.rs"]
mod inspect_sql;

/// The company's punches made in `from..to` with their verdicts (`Store::period_punches`), a row
/// each. Read as one row of arrays instead (`array_agg`, a column each) the server's aggregation
/// cost more than sqlx's decoding saved (docs/BENCHMARKS.md, the payroll overview), so PostgreSQL
/// reads plain rows; SQLite, whose driver costs far more a row, reads packed rows (`sqlite.rs`).
/// The verdict is on the punch's row (migration 0021).
async fn period_punches(
    pool: &PgPool,
    company: clockface_domain::ids::CompanyId,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<crate::PeriodPunch>, StoreError> {
    use clockface_domain::ids::{CostCodeId, EmployeeId, JobId, PunchId};
    type Row = (
        uuid::Uuid,
        uuid::Uuid,
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        bool,
        bool,
        Option<String>,
        bool,
        Option<uuid::Uuid>,
        Option<uuid::Uuid>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.employee_id, p.kind, p.occurred_at, p.received_at, p.flagged, p.photo_sha256 IS NOT NULL, p.verdict, p.on_break, \
         p.job_id, p.cost_code_id FROM punches p \
         WHERE p.company_id = $1 AND p.occurred_at >= $2 AND p.occurred_at < $3",
    )
    .bind(company.0)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, employee, kind, occurred_at, received_at, flagged, has_photo, verdict, on_break, job, cost_code)| {
            Ok(crate::PeriodPunch {
                id: PunchId(id),
                employee_id: EmployeeId(employee),
                kind: clockface_domain::punch::PunchKind::parse(&kind)?,
                occurred_at,
                received_at,
                flagged,
                has_photo,
                verdict: verdict.as_deref().map(clockface_domain::verification::Verdict::parse).transpose()?,
                on_break,
                job_id: job.map(JobId),
                cost_code_id: cost_code.map(CostCodeId),
            })
        })
        .collect()
}
