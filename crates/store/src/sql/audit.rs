//! The company's audit log: who did what to what, and when. Append-only (the store has no path
//! that updates or deletes an entry), and chained: each entry carries its number in the company's
//! log and the hash of the entry before it, and `audit_heads` keeps each company's last, so that
//! an entry edited or deleted by hand in the database breaks the chain (`verify_audit`).

use super::Db;
use crate::{AuditEntry, AuditFilter, AuditHead, ChainedEntry, StoreError};
use chrono::{DateTime, Utc};
use clockface_domain::ids::{CompanyId, EmployeeId};
use sha2::{Digest, Sha256};
use sqlx::Pool;
use uuid::Uuid;

/// The hash before a company's first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

type Connection = <Db as sqlx::Database>::Connection;

/// The hash of an entry at `seq` after `prev_hash`: every field, in a fixed order.
pub(crate) fn entry_hash(entry: &AuditEntry, seq: i64, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    let employee = entry.employee.map(|e| e.to_string()).unwrap_or_default();
    let at = crate::to_micros(entry.at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for field in [
        prev_hash,
        &seq.to_string(),
        &entry.company_id.to_string(),
        &at,
        &entry.actor,
        &entry.action,
        &entry.subject,
        &entry.detail,
        &employee,
    ] {
        hasher.update(field.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// Writes one audit line on `conn`: inside the transaction of the change it records (so that the
/// two commit together), or a transaction of its own. The company's head row is taken first,
/// which also makes concurrent lines of one company wait for each other, in order.
pub(super) async fn insert_audit(conn: &mut Connection, entry: &AuditEntry) -> Result<(), StoreError> {
    let entry = AuditEntry { at: crate::to_micros(entry.at), ..entry.clone() };
    let (seq, prev_hash): (i64, String) = sqlx::query_as(
        "INSERT INTO audit_heads (company_id, seq, hash) VALUES ($1, 1, $2) \
         ON CONFLICT (company_id) DO UPDATE SET seq = audit_heads.seq + 1 RETURNING seq, hash",
    )
    .bind(entry.company_id.0)
    .bind(GENESIS)
    .fetch_one(&mut *conn)
    .await?;
    let hash = entry_hash(&entry, seq, &prev_hash);
    sqlx::query(
        "INSERT INTO audit_log (id, company_id, at, actor, action, subject, detail, employee_id, seq, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(crate::new_id())
    .bind(entry.company_id.0)
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.subject)
    .bind(&entry.detail)
    .bind(entry.employee.map(|e| e.0))
    .bind(seq)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_heads SET hash = $2 WHERE company_id = $1").bind(entry.company_id.0).bind(&hash).execute(&mut *conn).await?;
    Ok(())
}

/// An audit line of its own, in a transaction of its own.
pub(super) async fn audit(pool: &Pool<Db>, entry: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

type Row = (Uuid, DateTime<Utc>, String, String, String, String, Option<Uuid>, Option<i64>, Option<String>, Option<String>);

const COLUMNS: &str = "company_id, at, actor, action, subject, detail, employee_id, seq, prev_hash, hash";

fn chained((company, at, actor, action, subject, detail, employee, seq, prev_hash, hash): Row) -> ChainedEntry {
    ChainedEntry {
        entry: AuditEntry { company_id: CompanyId(company), at, actor, action, subject, detail, employee: employee.map(EmployeeId) },
        seq: seq.unwrap_or(0),
        prev_hash: prev_hash.unwrap_or_default(),
        hash: hash.unwrap_or_default(),
    }
}

/// The company's audit log, newest first.
pub(super) async fn audit_log(pool: &Pool<Db>, company: CompanyId, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(audit_entries(pool, company, &AuditFilter::default(), limit, 0).await?.into_iter().map(|c| c.entry).collect())
}

/// The company's audit log filtered, newest first, `limit` entries after skipping `offset`.
pub(super) async fn audit_entries(
    pool: &Pool<Db>,
    company: CompanyId,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ChainedEntry>, StoreError> {
    let mut query = sqlx::QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM audit_log WHERE company_id = "));
    query.push_bind(company.0);
    if let Some(employee) = filter.employee {
        query.push(" AND employee_id = ").push_bind(employee.0);
    }
    if let Some(actor) = &filter.actor {
        query.push(" AND actor = ").push_bind(actor.clone());
    }
    if let Some(action) = &filter.action {
        query.push(" AND (action = ").push_bind(action.clone()).push(" OR action LIKE ").push_bind(format!("{action}.%")).push(")");
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND at < ").push_bind(to);
    }
    // In chain order alone: `seq` is unique in a company (`audit_log_chain`), and every line has
    // one once the server has started (`chain_unchained`), so no tie-break is needed, and the
    // page is read backwards along that index under LIMIT. With a tie-break (`at`, `id`) SQLite
    // had to sort, and on a larger log picked another index and read the company's whole log.
    query.push(" ORDER BY seq DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    let rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(chained).collect())
}

/// Chains the entries written before the log was chained (an upgraded install's), in the order
/// they were written, after whatever the company's chain already holds. Idempotent.
pub(super) async fn chain_unchained(pool: &Pool<Db>) -> Result<u64, StoreError> {
    let companies: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT company_id FROM audit_log WHERE seq IS NULL").fetch_all(pool).await?;
    let mut count = 0;
    for company in companies {
        let mut tx = super::begin(pool).await?;
        let rows: Vec<(Uuid, Row)> =
            sqlx::query_as::<
                _,
                (Uuid, Uuid, DateTime<Utc>, String, String, String, String, Option<Uuid>, Option<i64>, Option<String>, Option<String>),
            >(&format!("SELECT id, {COLUMNS} FROM audit_log WHERE company_id = $1 AND seq IS NULL ORDER BY at, id"))
            .bind(company)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|(id, c, at, actor, action, subject, detail, employee, seq, prev, hash)| {
                (id, (c, at, actor, action, subject, detail, employee, seq, prev, hash))
            })
            .collect();
        for (id, row) in rows {
            let entry = chained(row).entry;
            let (seq, prev_hash): (i64, String) = sqlx::query_as(
                "INSERT INTO audit_heads (company_id, seq, hash) VALUES ($1, 1, $2) \
                 ON CONFLICT (company_id) DO UPDATE SET seq = audit_heads.seq + 1 RETURNING seq, hash",
            )
            .bind(company)
            .bind(GENESIS)
            .fetch_one(&mut *tx)
            .await?;
            let hash = entry_hash(&entry, seq, &prev_hash);
            sqlx::query("UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4 WHERE id = $1")
                .bind(id)
                .bind(seq)
                .bind(&prev_hash)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE audit_heads SET hash = $2 WHERE company_id = $1").bind(company).bind(&hash).execute(&mut *tx).await?;
            count += 1;
        }
        tx.commit().await?;
    }
    Ok(count)
}

/// Checks every company's chain: numbers from 1 without a gap, each entry's hash over its fields
/// and the previous hash, and the last one the head's. Returns what is wrong, per company.
pub(super) async fn verify_audit(pool: &Pool<Db>) -> Result<Vec<(CompanyId, String)>, StoreError> {
    let heads: Vec<(Uuid, i64, String)> =
        sqlx::query_as("SELECT company_id, seq, hash FROM audit_heads ORDER BY company_id").fetch_all(pool).await?;
    let mut problems = Vec::new();
    let unchained: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT company_id FROM audit_log WHERE seq IS NULL").fetch_all(pool).await?;
    for company in unchained {
        problems.push((CompanyId(company), "entries without a place in the chain (written by hand, or not yet chained)".to_owned()));
    }
    for (company, head_seq, head_hash) in heads {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM audit_log WHERE company_id = $1 AND seq IS NOT NULL ORDER BY seq"))
                .bind(company)
                .fetch_all(pool)
                .await?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut problem = None;
        for row in rows.into_iter().map(chained) {
            if row.seq != expected_seq {
                problem = Some(format!("entry {expected_seq} is missing (the next is {})", row.seq));
                break;
            }
            if row.prev_hash != prev || entry_hash(&row.entry, row.seq, &prev) != row.hash {
                problem = Some(format!(
                    "entry {} ({} by {} at {}) was changed after it was written",
                    row.seq, row.entry.action, row.entry.actor, row.entry.at
                ));
                break;
            }
            prev = row.hash;
            expected_seq += 1;
        }
        if problem.is_none() && (expected_seq - 1 != head_seq || prev != head_hash) {
            problem = Some(format!("the log ends at entry {} but {head_seq} were written: the last ones were deleted", expected_seq - 1));
        }
        if let Some(problem) = problem {
            problems.push((CompanyId(company), problem));
        }
    }
    Ok(problems)
}

/// Every company's head.
pub(super) async fn audit_heads(pool: &Pool<Db>) -> Result<Vec<AuditHead>, StoreError> {
    let rows: Vec<(Uuid, i64, String)> =
        sqlx::query_as("SELECT company_id, seq, hash FROM audit_heads ORDER BY company_id").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(company, seq, hash)| AuditHead { company: CompanyId(company), seq, hash }).collect())
}

/// The chain against heads witnessed outside the database: for each, the entry at its number
/// must be there with its hash. The chain itself is checked by [`verify_audit`].
pub(super) async fn verify_audit_against(pool: &Pool<Db>, witnessed: &[AuditHead]) -> Result<Vec<(CompanyId, String)>, StoreError> {
    let mut problems = Vec::new();
    for head in witnessed {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE company_id = $1").bind(head.company.0).fetch_one(pool).await?;
        let last = last.unwrap_or(0);
        let stored: Option<String> =
            sqlx::query_scalar::<_, Option<String>>("SELECT hash FROM audit_log WHERE company_id = $1 AND seq = $2")
                .bind(head.company.0)
                .bind(head.seq)
                .fetch_optional(pool)
                .await?
                .flatten();
        let problem = match stored {
            None if last < head.seq => Some(format!(
                "the log ends at entry {last}, but entry {} was witnessed (signed outside the database): entries {} to {} were cut off",
                head.seq,
                last + 1,
                head.seq
            )),
            None => Some(format!("entry {} was witnessed (signed outside the database) but is missing", head.seq)),
            Some(hash) if hash != head.hash => {
                Some(format!("entry {} is not the one witnessed (signed outside the database): it was rewritten", head.seq))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            problems.push((head.company, problem));
        }
    }
    Ok(problems)
}
