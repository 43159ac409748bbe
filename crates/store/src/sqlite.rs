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

/// The company's punches made in `from..to` with their verdicts (`Store::period_punches`), read as
/// one row per employee: each employee's punches packed into one text by `group_concat`, a line per
/// punch, its fields between `|`. Through sqlx a row costs microseconds of hand-over and decoding
/// whatever its size, so 560,000 punches read as rows took seconds (docs/BENCHMARKS.md); packed,
/// they are 10,000 rows. Each employee's punches are one index search (`punches_by_employee_and_time`),
/// and a punch's verdict is kept on its row (migration 0021): no lookup per punch.
async fn period_punches(
    pool: &SqlitePool,
    company: clockface_domain::ids::CompanyId,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<crate::PeriodPunch>, StoreError> {
    let rows: Vec<(uuid::Uuid, Option<String>)> = sqlx::query_as(
        "SELECT e.id, (SELECT group_concat(hex(p.id) || '|' || p.kind || '|' || p.occurred_at || '|' || p.received_at || '|' \
         || p.flagged || '|' || (p.photo_sha256 IS NOT NULL) || '|' \
         || COALESCE(p.verdict, '') \
         || '|' || p.on_break || '|' || COALESCE(hex(p.job_id), '') || '|' || COALESCE(hex(p.cost_code_id), ''), char(10)) \
         FROM punches p WHERE p.company_id = e.company_id AND p.employee_id = e.id AND p.occurred_at >= $2 AND p.occurred_at < $3) \
         FROM employees e WHERE e.company_id = $1",
    )
    .bind(company.0)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut punches = Vec::new();
    for (employee, packed) in rows {
        for line in packed.iter().flat_map(|p| p.split('\n')) {
            punches.push(packed_punch(clockface_domain::ids::EmployeeId(employee), line)?);
        }
    }
    Ok(punches)
}

/// One punch of [`period_punches`]'s packed text: `id|kind|occurred|received|flagged|photo|verdict|on_break|job|cost code`,
/// ids in hex, times as stored, booleans 0 or 1, an empty field for none.
fn packed_punch(employee: clockface_domain::ids::EmployeeId, line: &str) -> Result<crate::PeriodPunch, StoreError> {
    use clockface_domain::ids::{CostCodeId, JobId, PunchId};
    let corrupt = || StoreError::Corrupt(format!("a period's punch reads `{line}`"));
    let fields: Vec<&str> = line.split('|').collect();
    let [id, kind, occurred, received, flagged, photo, verdict, on_break, job, cost_code] = fields[..] else {
        return Err(corrupt());
    };
    let uuid = |hex: &str| uuid::Uuid::try_parse(hex).map_err(|_| corrupt());
    let optional = |hex: &str| if hex.is_empty() { Ok(None) } else { uuid(hex).map(Some) };
    let flag = |digit: &str| match digit {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(corrupt()),
    };
    let time = |text: &str| stored_time(text).ok_or_else(corrupt);
    Ok(crate::PeriodPunch {
        id: PunchId(uuid(id)?),
        employee_id: employee,
        kind: clockface_domain::punch::PunchKind::parse(kind)?,
        occurred_at: time(occurred)?,
        received_at: time(received)?,
        flagged: flag(flagged)?,
        has_photo: flag(photo)?,
        on_break: flag(on_break)?,
        verdict: if verdict.is_empty() { None } else { Some(clockface_domain::verification::Verdict::parse(verdict)?) },
        job_id: optional(job)?.map(JobId),
        cost_code_id: optional(cost_code)?.map(CostCodeId),
    })
}

/// A time as SQLite holds it: RFC 3339, as sqlx writes a `DateTime<Utc>` (`2026-11-16T13:00:00.25+00:00`),
/// or without an offset (UTC) in the two forms SQLite's own functions write.
fn stored_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Some(time) = utc_as_sqlx_writes_it(text) {
        return Some(time);
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&chrono::Utc));
    }
    ["%F %T%.f", "%FT%T%.f"].iter().find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok()).map(|t| t.and_utc())
}

/// The form sqlx writes every `DateTime<Utc>` in, `2026-11-16T13:00:00.25+00:00` (a fraction of
/// up to nine digits, or none), read digit by digit: the overview of 10,000 employees reads 1.1
/// million times, and a general RFC 3339 parser tries more than this form needs. Anything else is
/// `None`, for [`stored_time`]'s general parsers.
fn utc_as_sqlx_writes_it(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let b = text.as_bytes();
    let (head, rest) = (b.get(..19)?, b.get(19..)?);
    let fraction = rest.strip_suffix(b"+00:00")?;
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        head.get(range)?.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if [head[4], head[7], head[10], head[13], head[16]] != [b'-', b'-', b'T', b':', b':'] {
        return None;
    }
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) => {
            let value = digits.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
            value * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)?;
    Some(date.and_hms_nano_opt(number(11..13)?, number(14..16)?, number(17..19)?, nanos)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::{stored_time, utc_as_sqlx_writes_it};
    use chrono::{TimeZone, Utc};

    #[test]
    fn stored_times_read_back_as_sqlx_reads_them() {
        let time = Utc.with_ymd_and_hms(2026, 11, 16, 13, 0, 0).unwrap() + chrono::Duration::microseconds(250_001);
        let written = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        assert_eq!(stored_time(&written), Some(time));
        assert_eq!(stored_time("2026-11-16 13:00:00"), Some(Utc.with_ymd_and_hms(2026, 11, 16, 13, 0, 0).unwrap()));
        assert_eq!(
            stored_time("2026-11-16T13:00:00.5"),
            Some(Utc.with_ymd_and_hms(2026, 11, 16, 13, 0, 0).unwrap() + chrono::Duration::milliseconds(500))
        );
        assert_eq!(stored_time("16 Nov 2026"), None);
    }

    #[test]
    fn the_quick_reading_agrees_with_chrono_on_every_form_sqlx_writes() {
        let base = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap();
        for nanos in [0, 1_000, 250_000_000, 123_456_000, 999_999_000, 100_000_000, 7] {
            let time = base + chrono::Duration::nanoseconds(nanos);
            let written = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
            assert_eq!(utc_as_sqlx_writes_it(&written), Some(time), "{written}");
            assert_eq!(utc_as_sqlx_writes_it(&written), chrono::DateTime::parse_from_rfc3339(&written).ok().map(|t| t.to_utc()));
        }
        // Not its form: left to the general parsers, which read the offset or refuse.
        for other in [
            "2026-11-16T13:00:00+01:00",
            "2026-11-16 13:00:00",
            "2026-11-16T13:00:00.+00:00",
            "2026-13-16T13:00:00+00:00",
            "2026-11-16T13:0a:00+00:00",
            "",
        ] {
            assert_eq!(utc_as_sqlx_writes_it(other), None, "{other}");
        }
        assert_eq!(stored_time("2026-11-16T13:00:00+01:00"), Some(Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap()));
    }
}
