//! Time off: a company's types, requests with the history of their answers, admins' ledger lines
//! and the holiday calendar. A request and its first event, an answer and the status it sets,
//! each change and its audit line commit together; a write that touches a day in an approved
//! pay period is refused inside its transaction ([`StoreError::Locked`]), after the audit head is
//! taken, so it cannot pass an approval of that card.

use super::audit::insert_audit;
use super::payroll::locked;
use super::{Db, Tx};
use crate::error::unique_violation;
use crate::timeoff::StoredAdjustment;
use crate::{new_id, AuditEntry, StoreError, Unique};
use chrono::{DateTime, NaiveDate, Utc};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId, TimeOffRequestId, TimeOffTypeId};
use clockface_domain::timeoff::accrual::AdjustmentKind;
use clockface_domain::timeoff::kind::TimeOffTypeFields;
use clockface_domain::timeoff::request::{Actor, RequestEvent, MAX_REQUEST_DAYS};
use clockface_domain::timeoff::{
    AccrualPolicy, Adjustment, Holiday, HolidayCalendar, RequestSpan, RequestStatus, TimeOffKind, TimeOffPayCodes, TimeOffRequest,
    TimeOffType, TimeOffTypeName,
};
use sqlx::Pool;
use std::collections::HashMap;
use uuid::Uuid;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

const TYPE_COLUMNS: &str = "id, company_id, kind, name, paid, pay_codes, policy, active";

type TypeRow = (Uuid, Uuid, String, String, bool, String, Option<String>, bool);

fn time_off_type((id, company_id, kind, name, paid, codes, policy, active): TypeRow) -> Result<TimeOffType, StoreError> {
    Ok(TimeOffType {
        id: TimeOffTypeId(id),
        company_id: CompanyId(company_id),
        kind: TimeOffKind::parse(&kind)?,
        name: TimeOffTypeName::parse(&name)?,
        paid,
        codes: serde_json::from_str::<TimeOffPayCodes>(&codes).map_err(|e| corrupt("pay codes", e))?,
        policy: policy.map(|p| serde_json::from_str::<AccrualPolicy>(&p)).transpose().map_err(|e| corrupt("accrual policy", e))?,
        active,
    })
}

pub(super) async fn time_off_types(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<TimeOffType>, StoreError> {
    let rows: Vec<TypeRow> =
        sqlx::query_as(&format!("SELECT {TYPE_COLUMNS} FROM time_off_types WHERE company_id = $1 ORDER BY created_at, lower(name)"))
            .bind(company.0)
            .fetch_all(pool)
            .await?;
    rows.into_iter().map(time_off_type).collect()
}

/// The day a type was made, the first its accrual counts from.
pub(super) async fn time_off_type_created(pool: &Pool<Db>, company: CompanyId, id: TimeOffTypeId) -> Result<DateTime<Utc>, StoreError> {
    let at: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT created_at FROM time_off_types WHERE company_id = $1 AND id = $2")
        .bind(company.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await?;
    at.ok_or(StoreError::NotFound)
}

async fn write_type(
    tx: &mut Tx,
    company: CompanyId,
    id: Option<TimeOffTypeId>,
    fields: &TimeOffTypeFields,
    now: DateTime<Utc>,
) -> Result<TimeOffType, StoreError> {
    let sql = match id {
        None => format!(
            "INSERT INTO time_off_types (id, company_id, kind, name, paid, pay_codes, policy, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {TYPE_COLUMNS}"
        ),
        Some(_) => format!(
            "UPDATE time_off_types SET kind = $3, name = $4, paid = $5, pay_codes = $6, policy = $7, active = $8, updated_at = $9 \
             WHERE id = $1 AND company_id = $2 RETURNING {TYPE_COLUMNS}"
        ),
    };
    let policy = fields.policy.as_ref().map(serde_json::to_string).transpose().map_err(|e| corrupt("accrual policy", e))?;
    let codes = serde_json::to_string(&fields.codes).map_err(|e| corrupt("pay codes", e))?;
    let row: Option<TypeRow> = sqlx::query_as(&sql)
        .bind(id.map_or_else(new_id, |id| id.0))
        .bind(company.0)
        .bind(fields.kind.as_str())
        .bind(fields.name.as_str())
        .bind(fields.paid)
        .bind(codes)
        .bind(policy)
        .bind(fields.active)
        .bind(crate::to_micros(now))
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| unique_violation(e, &[("time_off_types_name", Unique::TimeOffTypeName), ("name", Unique::TimeOffTypeName)]))?;
    time_off_type(row.ok_or(StoreError::NotFound)?)
}

/// Gives a company that has no time-off type yet the `defaults`, with the audit line; false
/// (and nothing written) when it has some. The audit head is taken first, so two first uses at
/// once take turns and the second finds the types.
pub(super) async fn seed_time_off_types(
    pool: &Pool<Db>,
    company: CompanyId,
    defaults: &[TimeOffTypeFields],
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    let have: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM time_off_types WHERE company_id = $1").bind(company.0).fetch_one(&mut *tx).await?;
    if have > 0 {
        return Ok(false);
    }
    // One microsecond apart, so the defaults list in the order given.
    for (i, fields) in defaults.iter().enumerate() {
        write_type(&mut tx, company, None, fields, now + chrono::Duration::microseconds(i as i64)).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn save_time_off_type(
    pool: &Pool<Db>,
    company: CompanyId,
    id: Option<TimeOffTypeId>,
    fields: &TimeOffTypeFields,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<TimeOffType, StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    let saved = write_type(&mut tx, company, id, fields, now).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Refuses with [`StoreError::Locked`] when the employee's card, or the whole period, is
/// approved for any of the pay periods starting on `periods`.
async fn check_unlocked(tx: &mut Tx, company: CompanyId, employee: EmployeeId, periods: &[NaiveDate]) -> Result<(), StoreError> {
    for start in periods {
        if locked(&mut **tx, company, employee, *start).await? {
            return Err(StoreError::Locked);
        }
    }
    Ok(())
}

fn actor_columns(by: Actor) -> (Option<Uuid>, Option<Uuid>) {
    match by {
        Actor::Employee(e) => (Some(e.0), None),
        Actor::User(a) => (None, Some(a.0)),
    }
}

async fn insert_event(
    tx: &mut Tx,
    company: CompanyId,
    request: TimeOffRequestId,
    seq: i64,
    event: &RequestEvent,
) -> Result<(), StoreError> {
    let (by_employee, by_admin) = actor_columns(event.by);
    sqlx::query(
        "INSERT INTO time_off_request_events (company_id, request_id, seq, status, by_employee, by_admin, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(company.0)
    .bind(request.0)
    .bind(seq)
    .bind(event.status.as_str())
    .bind(by_employee)
    .bind(by_admin)
    .bind(crate::to_micros(event.at))
    .bind(&event.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a new request and its first event (the asking), with the audit line; refused when
/// one of `periods` is approved for the employee.
pub(super) async fn insert_time_off_request(
    pool: &Pool<Db>,
    company: CompanyId,
    request: &TimeOffRequest,
    periods: &[NaiveDate],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let asked = request.history.first().ok_or_else(|| corrupt("time-off request", "no first event"))?;
    let hours = match request.span {
        RequestSpan::Hours { seconds, .. } => Some(seconds),
        RequestSpan::Days { .. } => None,
    };
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    check_unlocked(&mut tx, company, request.employee_id, periods).await?;
    let inserted = sqlx::query(
        "INSERT INTO time_off_requests (id, company_id, employee_id, type_id, first_day, last_day, hours_seconds, status, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(request.id.0)
    .bind(company.0)
    .bind(request.employee_id.0)
    .bind(request.type_id.0)
    .bind(request.span.first())
    .bind(request.span.last())
    .bind(hours)
    .bind(request.status().as_str())
    .bind(crate::to_micros(asked.at))
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(db)) = &inserted {
        // An employee or a type that is not the company's: the composite foreign keys refuse it.
        if db.is_foreign_key_violation() {
            return Err(StoreError::NotFound);
        }
    }
    inserted?;
    for (i, event) in request.history.iter().enumerate() {
        insert_event(&mut tx, company, request.id, i as i64 + 1, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Adds an answer (approved, declined, cancelled) to a request whose status is still `from`, and
/// sets its status, with the audit line, in one transaction. [`StoreError::Conflict`] when the
/// status moved meanwhile (another answer came first), [`StoreError::Locked`] when one of
/// `periods` is approved for the employee; either way nothing is written.
pub(super) async fn answer_time_off_request(
    pool: &Pool<Db>,
    company: CompanyId,
    request: TimeOffRequestId,
    from: RequestStatus,
    event: &RequestEvent,
    periods: &[NaiveDate],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    let employee: Option<Uuid> = sqlx::query_scalar(
        "UPDATE time_off_requests SET status = $4 WHERE company_id = $1 AND id = $2 AND status = $3 RETURNING employee_id",
    )
    .bind(company.0)
    .bind(request.0)
    .bind(from.as_str())
    .bind(event.status.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(employee) = employee else {
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM time_off_requests WHERE company_id = $1 AND id = $2")
            .bind(company.0)
            .bind(request.0)
            .fetch_one(&mut *tx)
            .await?;
        return Err(if exists == 0 { StoreError::NotFound } else { StoreError::Conflict });
    };
    check_unlocked(&mut tx, company, EmployeeId(employee), periods).await?;
    let seq: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM time_off_request_events WHERE company_id = $1 AND request_id = $2")
            .bind(company.0)
            .bind(request.0)
            .fetch_one(&mut *tx)
            .await?;
    insert_event(&mut tx, company, request, seq, event).await?;
    tx.commit().await?;
    Ok(())
}

const REQUEST_COLUMNS: &str = "r.id, r.employee_id, r.type_id, r.first_day, r.last_day, r.hours_seconds";

type RequestRow = (Uuid, Uuid, Uuid, NaiveDate, NaiveDate, Option<i64>);
type EventRow = (Uuid, String, Option<Uuid>, Option<Uuid>, DateTime<Utc>, String);

fn parse_status(raw: &str) -> Result<RequestStatus, StoreError> {
    [RequestStatus::Requested, RequestStatus::Approved, RequestStatus::Declined, RequestStatus::Cancelled]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| corrupt("time-off request status", raw))
}

/// The requests of `rows` with their histories, read in batches of ids (one query per 500).
async fn with_history<'c, E>(executor: E, company: CompanyId, rows: Vec<RequestRow>) -> Result<Vec<TimeOffRequest>, StoreError>
where
    E: sqlx::Executor<'c, Database = Db> + Copy,
{
    let mut events: HashMap<Uuid, Vec<RequestEvent>> = HashMap::with_capacity(rows.len());
    for batch in rows.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new(
            "SELECT request_id, status, by_employee, by_admin, at, note FROM time_off_request_events WHERE company_id = ",
        );
        query.push_bind(company.0);
        query.push(" AND request_id IN (");
        let mut ids = query.separated(", ");
        for row in batch {
            ids.push_bind(row.0);
        }
        ids.push_unseparated(") ORDER BY request_id, seq");
        let found: Vec<EventRow> = query.build_query_as().fetch_all(executor).await?;
        for (request, status, by_employee, by_admin, at, note) in found {
            let by = match (by_employee, by_admin) {
                (Some(e), None) => Actor::Employee(EmployeeId(e)),
                (None, Some(a)) => Actor::User(AdminId(a)),
                _ => return Err(corrupt("time-off event", "not exactly one of employee and user")),
            };
            events.entry(request).or_default().push(RequestEvent { status: parse_status(&status)?, by, at, note });
        }
    }
    rows.into_iter()
        .map(|(id, employee, type_id, first, last, hours)| {
            let span = match hours {
                Some(seconds) => RequestSpan::Hours { date: first, seconds },
                None => RequestSpan::Days { first, last },
            };
            let history = events.remove(&id).filter(|h| !h.is_empty()).ok_or_else(|| corrupt("time-off request", "no history"))?;
            Ok(TimeOffRequest {
                id: TimeOffRequestId(id),
                employee_id: EmployeeId(employee),
                type_id: TimeOffTypeId(type_id),
                span,
                history,
            })
        })
        .collect()
}

pub(super) async fn time_off_request(pool: &Pool<Db>, company: CompanyId, id: TimeOffRequestId) -> Result<TimeOffRequest, StoreError> {
    let row: Option<RequestRow> =
        sqlx::query_as(&format!("SELECT {REQUEST_COLUMNS} FROM time_off_requests r WHERE r.company_id = $1 AND r.id = $2"))
            .bind(company.0)
            .bind(id.0)
            .fetch_optional(pool)
            .await?;
    let row = row.ok_or(StoreError::NotFound)?;
    with_history(pool, company, vec![row]).await?.pop().ok_or(StoreError::NotFound)
}

/// The earliest first day of a request that may still reach `from`: a request is at most
/// [`MAX_REQUEST_DAYS`] long, so the index on the first day is read over a bounded range.
fn earliest_first_day(from: NaiveDate) -> NaiveDate {
    from - chrono::Duration::days(MAX_REQUEST_DAYS)
}

/// An employee's requests (any status) with a day in `from..=to`, by first day.
pub(super) async fn employee_time_off_requests(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TimeOffRequest>, StoreError> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "SELECT {REQUEST_COLUMNS} FROM time_off_requests r WHERE r.company_id = $1 AND r.employee_id = $2 \
         AND r.first_day >= $3 AND r.first_day <= $4 AND r.last_day >= $5 ORDER BY r.first_day, r.id"
    ))
    .bind(company.0)
    .bind(employee.0)
    .bind(earliest_first_day(from))
    .bind(to)
    .bind(from)
    .fetch_all(pool)
    .await?;
    with_history(pool, company, rows).await
}

/// The clause narrowing requests `r` to a supervisor's employees (the supervisor is `$n`).
fn assigned_to(supervisor: Option<AdminId>, n: usize) -> String {
    match supervisor {
        Some(_) => format!(" AND r.employee_id IN (SELECT s.employee_id FROM supervisor_employees s WHERE s.admin_id = ${n})"),
        None => String::new(),
    }
}

/// The requests waiting for an answer, soonest first: the company's, or a supervisor's employees'.
pub(super) async fn pending_time_off_requests(
    pool: &Pool<Db>,
    company: CompanyId,
    supervisor: Option<AdminId>,
    limit: i64,
) -> Result<Vec<TimeOffRequest>, StoreError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM time_off_requests r WHERE r.company_id = $1 AND r.status = 'requested'{} \
         ORDER BY r.first_day, r.id LIMIT $2",
        assigned_to(supervisor, 3)
    );
    let mut query = sqlx::query_as(&sql).bind(company.0).bind(limit);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    let rows: Vec<RequestRow> = query.fetch_all(pool).await?;
    with_history(pool, company, rows).await
}

pub(super) async fn count_pending_time_off_requests(
    pool: &Pool<Db>,
    company: CompanyId,
    supervisor: Option<AdminId>,
) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM time_off_requests r WHERE r.company_id = $1 AND r.status = 'requested'{}",
        assigned_to(supervisor, 2)
    );
    let mut query = sqlx::query_scalar(&sql).bind(company.0);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    Ok(query.fetch_one(pool).await?)
}

/// The requests approved or declined since `since`, the latest answer first: the company's, or a
/// supervisor's employees'. Read from the answers' events of the window, by when they were given
/// (`time_off_request_events_by_time`, migration 0023), at most `limit`.
pub(super) async fn answered_time_off_requests(
    pool: &Pool<Db>,
    company: CompanyId,
    supervisor: Option<AdminId>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TimeOffRequest>, StoreError> {
    // A request is approved or declined once (a second answer is refused), so each answer event
    // of the window names a different request; one since cancelled is left out by its status.
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM time_off_request_events e JOIN time_off_requests r ON r.id = e.request_id \
         WHERE e.company_id = $1 AND e.at >= $2 AND e.status IN ('approved', 'declined') \
         AND r.company_id = $1 AND r.status IN ('approved', 'declined'){} ORDER BY e.at DESC, r.id LIMIT $3",
        assigned_to(supervisor, 4)
    );
    let mut query = sqlx::query_as(&sql).bind(company.0).bind(crate::to_micros(since)).bind(limit);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    let rows: Vec<RequestRow> = query.fetch_all(pool).await?;
    with_history(pool, company, rows).await
}

/// The company's approved requests with a day in `from..=to` (the cards and the overview).
pub(super) async fn approved_time_off(
    pool: &Pool<Db>,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TimeOffRequest>, StoreError> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "SELECT {REQUEST_COLUMNS} FROM time_off_requests r WHERE r.company_id = $1 AND r.status = 'approved' \
         AND r.first_day >= $2 AND r.first_day <= $3 AND r.last_day >= $4 ORDER BY r.first_day, r.id"
    ))
    .bind(company.0)
    .bind(earliest_first_day(from))
    .bind(to)
    .bind(from)
    .fetch_all(pool)
    .await?;
    with_history(pool, company, rows).await
}

type AdjustmentRow = (Uuid, Uuid, Uuid, String, NaiveDate, i64, String, Uuid, DateTime<Utc>);

/// An employee's starting balances and adjustments, every type, in the order they count.
pub(super) async fn time_off_adjustments(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
) -> Result<Vec<StoredAdjustment>, StoreError> {
    let rows: Vec<AdjustmentRow> = sqlx::query_as(
        "SELECT id, employee_id, type_id, kind, effective_on, seconds, reason, made_by, made_at FROM time_off_adjustments \
         WHERE company_id = $1 AND employee_id = $2 ORDER BY effective_on, made_at, id",
    )
    .bind(company.0)
    .bind(employee.0)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, employee, type_id, kind, date, seconds, reason, by, made_at)| {
            let kind = match kind.as_str() {
                "starting" => AdjustmentKind::Starting,
                "adjustment" => AdjustmentKind::Adjustment,
                other => return Err(corrupt("time-off adjustment kind", other)),
            };
            Ok(StoredAdjustment {
                id,
                employee_id: EmployeeId(employee),
                type_id: TimeOffTypeId(type_id),
                adjustment: Adjustment { date, kind, seconds, reason, by: AdminId(by) },
                made_at,
            })
        })
        .collect()
}

/// Adds a line to an employee's ledger of one type, with the audit line.
pub(super) async fn insert_time_off_adjustment(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    type_id: TimeOffTypeId,
    adjustment: &Adjustment,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<StoredAdjustment, StoreError> {
    let id = new_id();
    let kind = match adjustment.kind {
        AdjustmentKind::Starting => "starting",
        AdjustmentKind::Adjustment => "adjustment",
    };
    let now = crate::to_micros(now);
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    let inserted = sqlx::query(
        "INSERT INTO time_off_adjustments (id, company_id, employee_id, type_id, kind, effective_on, seconds, reason, made_by, made_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(company.0)
    .bind(employee.0)
    .bind(type_id.0)
    .bind(kind)
    .bind(adjustment.date)
    .bind(adjustment.seconds)
    .bind(&adjustment.reason)
    .bind(adjustment.by.0)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(db)) = &inserted {
        if db.is_foreign_key_violation() {
            return Err(StoreError::NotFound);
        }
    }
    inserted?;
    tx.commit().await?;
    Ok(StoredAdjustment { id, employee_id: employee, type_id, adjustment: adjustment.clone(), made_at: now })
}

/// The company's holiday calendars of the years `from_year..=to_year` (a year with no holiday
/// has an empty calendar).
pub(super) async fn holidays(
    pool: &Pool<Db>,
    company: CompanyId,
    from_year: i32,
    to_year: i32,
) -> Result<Vec<HolidayCalendar>, StoreError> {
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(from_year, 1, 1), NaiveDate::from_ymd_opt(to_year, 12, 31)) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(NaiveDate, String, i64)> =
        sqlx::query_as("SELECT day, name, paid_seconds FROM holidays WHERE company_id = $1 AND day >= $2 AND day <= $3 ORDER BY day")
            .bind(company.0)
            .bind(first)
            .bind(last)
            .fetch_all(pool)
            .await?;
    let mut calendars: Vec<HolidayCalendar> = (from_year..=to_year).map(|year| HolidayCalendar { year, holidays: Vec::new() }).collect();
    for (date, name, paid_seconds) in rows {
        if let Some(calendar) = calendars.iter_mut().find(|c| c.year == chrono::Datelike::year(&date)) {
            calendar.holidays.push(Holiday { date, name, paid_seconds });
        }
    }
    Ok(calendars)
}

/// Replaces the company's holidays of the calendar's year with it, with the audit line.
pub(super) async fn set_holidays(
    pool: &Pool<Db>,
    company: CompanyId,
    calendar: &HolidayCalendar,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(calendar.year, 1, 1), NaiveDate::from_ymd_opt(calendar.year, 12, 31)) else {
        return Err(corrupt("holidays", "no such year"));
    };
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    sqlx::query("DELETE FROM holidays WHERE company_id = $1 AND day >= $2 AND day <= $3")
        .bind(company.0)
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
    for holiday in &calendar.holidays {
        if holiday.date < first || holiday.date > last {
            return Err(corrupt("holidays", format!("{} is not in {}", holiday.date, calendar.year)));
        }
        sqlx::query("INSERT INTO holidays (company_id, day, name, paid_seconds) VALUES ($1, $2, $3, $4)")
            .bind(company.0)
            .bind(holiday.date)
            .bind(&holiday.name)
            .bind(holiday.paid_seconds)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
