//! Time off's use cases (issue 29): the company's types and their pay codes, asking (an employee
//! on the clock for themselves, an admin or supervisor for someone they reach) with the balance
//! before and after, the lists a supervisor answers from, approving, declining, withdrawing and
//! cancelling, each employee's balances and their ledgers, an admin's starting balances and
//! adjustments, and the holiday calendar.
//!
//! Every rule is the domain's (`domain::timeoff`); this module reads what the rules need, calls
//! them, and hands each change to the store with its audit line (one transaction). A day in an
//! approved pay period is refused until the period (or card) is reopened: checked here to name
//! the day, and again by the store inside the write's transaction. Whole days follow the default
//! [`WorkSchedule`] (8 hours, Monday to Friday) and skip company holidays; a company's own
//! schedule is not a setting yet.

use crate::audit::audit_entry;
use crate::scope::Scope;
use crate::timecards::{card_rules, card_window};
use crate::AppError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_domain::correction::apply_corrections;
use clockface_domain::ids::{CompanyId, EmployeeId, TimeOffRequestId, TimeOffTypeId};
use clockface_domain::payroll::{PayPeriod, PayrollSettings};
use clockface_domain::timecard::build_time_card;
use clockface_domain::timeoff::accrual::{check_balance, ledger, preview, AdjustmentKind, LedgerInputs, Taken, Worked};
use clockface_domain::timeoff::holiday::HolidayInput;
use clockface_domain::timeoff::kind::{check_unique_name, default_types, TimeOffTypeInput};
use clockface_domain::timeoff::request::{overlaps, Actor, PunchOverlap, RequestEvent, RequestInput, RequestedDay};
use clockface_domain::timeoff::{
    fmt_hours, parse_hours, AccrualPolicy, Adjustment, BalancePreview, CardTimeOff, HolidayCalendar, Ledger, RequestSpan, RequestStatus,
    TimeOffKind, TimeOffRequest, TimeOffType, WorkSchedule,
};
use clockface_domain::DomainError;
use clockface_store::{Store, StoreError, StoredAdjustment};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Who acts on time off: an employee on the clock, or a user of the web app with their reach.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// An employee on a registered clock of their company, signed in there.
    Employee { company: CompanyId, employee: EmployeeId },
    /// An admin or supervisor.
    User(Scope<'a>),
}

impl Caller<'_> {
    pub fn company(&self) -> CompanyId {
        match self {
            Caller::Employee { company, .. } => *company,
            Caller::User(scope) => scope.company,
        }
    }

    /// The audit log's name for the caller.
    fn actor_text(&self) -> String {
        match self {
            Caller::Employee { employee, .. } => format!("employee:{employee}"),
            Caller::User(scope) => scope.actor(),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Caller::Employee { employee, .. } => Actor::Employee(*employee),
            Caller::User(scope) => Actor::User(scope.user),
        }
    }

    /// Nothing, or not found: an employee reaches themselves, a user whom their scope reaches.
    fn reach(&self, employee: EmployeeId) -> Result<(), AppError> {
        match self {
            Caller::Employee { employee: me, .. } if *me == employee => Ok(()),
            Caller::Employee { .. } => Err(StoreError::NotFound.into()),
            Caller::User(scope) => scope.employee(employee),
        }
    }
}

/// The company's time-off types, in the order they were made. A company that has none yet (one
/// made before time off existed, or a new one) is given the domain's defaults first, in one
/// transaction with its audit line.
pub async fn types(store: &dyn Store, company: CompanyId, now: DateTime<Utc>) -> Result<Vec<TimeOffType>, AppError> {
    let found = store.time_off_types(company).await?;
    if !found.is_empty() {
        return Ok(found);
    }
    let defaults = default_types();
    let names: Vec<&str> = defaults.iter().map(|t| t.name.as_str()).collect();
    let line = audit_entry(company, "system", "time_off.types_created", "time_off_types", &format!("the defaults: {}", names.join(", ")));
    store.seed_time_off_types(company, &defaults, now, &line).await?;
    Ok(store.time_off_types(company).await?)
}

/// Adds a type (`id` none) or changes one: an admin's, in Payroll settings. Its name is unique in
/// the company, case aside; its pay codes are checked like the other export codes.
pub async fn save_type(
    store: &dyn Store,
    scope: Scope<'_>,
    id: Option<TimeOffTypeId>,
    input: TimeOffTypeInput,
    now: DateTime<Utc>,
) -> Result<TimeOffType, AppError> {
    scope.require_admin("change time-off types")?;
    let existing = types(store, scope.company, now).await?;
    if let Some(id) = id {
        existing.iter().find(|t| t.id == id).ok_or(StoreError::NotFound)?;
    }
    let fields = input.parse()?;
    check_unique_name(&fields.name, existing.iter().filter(|t| Some(t.id) != id).map(|t| &t.name))?;
    let detail = format!(
        "{} ({}, {}); codes: ADP WFN {:?}, ADP RUN {:?}, Paychex {:?}, Gusto {:?}, QuickBooks {:?}; policy: {}; {}",
        fields.name.as_str(),
        fields.kind.as_str(),
        if fields.paid { "paid" } else { "unpaid" },
        fields.codes.adp_wfn_hours_code,
        fields.codes.adp_run_earnings_code,
        fields.codes.paychex_pay_component,
        fields.codes.gusto_column,
        fields.codes.quickbooks_payroll_item,
        fields.policy.map_or_else(|| "none".to_owned(), |p| serde_json::to_string(&p).unwrap_or_default()),
        if fields.active { "active" } else { "inactive" },
    );
    let action = if id.is_some() { "time_off.type_changed" } else { "time_off.type_added" };
    let line = audit_entry(scope.company, &scope.actor(), action, "time_off_types", &detail);
    Ok(store.save_time_off_type(scope.company, id, &fields, now, &line).await?)
}

/// A request as asked: whose (none: the caller's own, on the clock), of which type, which days.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    /// Whose time off: required from a user of the web app; on the clock, the employee signed in.
    #[serde(default)]
    pub employee_id: Option<EmployeeId>,
    pub type_id: TimeOffTypeId,
    /// The first day, `YYYY-MM-DD`.
    pub first: String,
    /// The last day (none: the first).
    #[serde(default)]
    pub last: Option<String>,
    /// Hours of one day (`4.5`); none: whole days.
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub note: String,
    /// The clock's id for the request, made on the device when it was asked (a UUID), which
    /// becomes the request's id: a resend of a request kept offline answers the one already
    /// asked ([`asked_before`]) and never makes a second.
    #[serde(default)]
    pub client_id: Option<TimeOffRequestId>,
}

/// What a request would do, shown while it is asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The days it takes and the hours of each (weekends and company holidays cost nothing).
    pub days: Vec<RequestedDay>,
    pub requested_seconds: i64,
    /// The type's balance before and after (none: the type keeps no balance).
    pub balance: Option<BalancePreview>,
    /// Days on which the employee also has punched hours.
    pub overlaps: Vec<OverlapView>,
}

/// A requested day with punched hours, and what a supervisor is told.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverlapView {
    #[serde(flatten)]
    pub overlap: PunchOverlap,
    pub message: String,
}

/// A request as the lists and the clock show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    pub id: TimeOffRequestId,
    pub employee_id: EmployeeId,
    pub type_id: TimeOffTypeId,
    /// The type's name ("Vacation").
    pub type_name: String,
    pub span: RequestSpan,
    pub status: RequestStatus,
    /// What the asker wrote.
    pub note: String,
    /// The latest answer (what the employee sees on the clock).
    pub answer: Option<RequestEvent>,
    /// Asked, then each answer, in order.
    pub history: Vec<RequestEvent>,
    pub days: Vec<RequestedDay>,
    pub requested_seconds: i64,
}

/// A request asked, with what it showed while asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Asked {
    pub request: RequestView,
    pub preview: Preview,
}

/// What a request's rules are read from: the company's time zone and payroll settings, the work
/// schedule and the holidays of the years concerned.
struct Context {
    zone: Tz,
    settings: PayrollSettings,
    schedule: WorkSchedule,
    holidays: Vec<HolidayCalendar>,
}

async fn context(store: &dyn Store, company: CompanyId, first: NaiveDate, last: NaiveDate) -> Result<Context, AppError> {
    let zone = store.company(company).await?.time_zone;
    let settings = store.payroll_settings(company).await?;
    let holidays = store.holidays(company, first.year(), last.year()).await?;
    Ok(Context { zone, settings, schedule: WorkSchedule::default(), holidays })
}

fn today(zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

fn view(request: TimeOffRequest, types: &[TimeOffType], ctx: &Context) -> RequestView {
    let days = request.span.requested_days(&ctx.schedule, &ctx.holidays).unwrap_or_default();
    RequestView {
        id: request.id,
        employee_id: request.employee_id,
        type_id: request.type_id,
        type_name: types.iter().find(|t| t.id == request.type_id).map(|t| t.name.as_str().to_owned()).unwrap_or_default(),
        span: request.span,
        status: request.status(),
        note: request.note().to_owned(),
        answer: request.answer().cloned(),
        requested_seconds: days.iter().map(|d| d.seconds).sum(),
        days,
        history: request.history,
    }
}

/// The views of `requests`, their days counted with the holidays of the years they span.
async fn views(
    store: &dyn Store,
    company: CompanyId,
    requests: Vec<TimeOffRequest>,
    now: DateTime<Utc>,
) -> Result<Vec<RequestView>, AppError> {
    let Some(first) = requests.iter().map(|r| r.span.first()).min() else {
        return Ok(Vec::new());
    };
    let last = requests.iter().map(|r| r.span.last()).max().unwrap_or(first);
    let ctx = context(store, company, first, last).await?;
    let types = types(store, company, now).await?;
    Ok(requests.into_iter().map(|r| view(r, &types, &ctx)).collect())
}

/// The pay periods `days` fall in, refused with `period_locked` (naming the first day) when the
/// employee's card or the whole period is approved for one of them; else their first days, for
/// the store to check again inside its transaction.
async fn unlocked_periods(
    store: &dyn Store,
    company: CompanyId,
    settings: &PayrollSettings,
    employee: EmployeeId,
    days: &[RequestedDay],
) -> Result<Vec<NaiveDate>, AppError> {
    let mut periods: Vec<(PayPeriod, NaiveDate)> = Vec::new();
    for day in days {
        let period = settings.schedule.period_containing(day.date);
        if !periods.iter().any(|(p, _)| *p == period) {
            periods.push((period, day.date));
        }
    }
    for (period, day) in &periods {
        if store.approvals(company, *period).await?.lock(employee).is_some() {
            return Err(locked(*day, Some(*period)));
        }
    }
    Ok(periods.into_iter().map(|(p, _)| p.start).collect())
}

fn locked(day: NaiveDate, period: Option<PayPeriod>) -> AppError {
    let within = period.map_or_else(String::new, |p| format!(" ({} to {})", p.start, p.end));
    AppError::conflict(
        "period_locked",
        format!("{day} is in an approved pay period{within}; reopen the period or the card before changing its time off"),
    )
}

/// The store's refusals in the words of time off.
fn answered(error: StoreError, first_day: NaiveDate) -> AppError {
    match error {
        StoreError::Locked => locked(first_day, None),
        StoreError::Conflict => AppError::conflict("request_answered", "the request was answered meanwhile; read it again"),
        other => other.into(),
    }
}

/// Hours worked per day of `from..=to` by the employee, as their time card counts them (the
/// company's rules, corrections applied).
async fn worked(
    store: &dyn Store,
    company: CompanyId,
    ctx: &Context,
    employee: EmployeeId,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Worked>, AppError> {
    if to < from {
        return Ok(Vec::new());
    }
    let (start, end) = card_window(ctx.zone, &ctx.settings, from, to);
    let punches = store.punches(company, employee, start, end).await?;
    let corrections = store.corrections(company, Some(employee), start, end).await?;
    let applied = apply_corrections(&punches, |p| p.id, &corrections);
    let card = build_time_card(&applied.counted, ctx.zone, from, to, &card_rules(&ctx.settings), now);
    Ok(card.days.iter().filter(|d| d.seconds > 0).map(|d| Worked { date: d.date, seconds: d.seconds }).collect())
}

/// What an employee's ledgers are counted from: their approved time off (with its days), the
/// admins' lines, and each type's first day.
struct History {
    taken: Vec<(TimeOffTypeId, Taken)>,
    adjustments: Vec<StoredAdjustment>,
    starts: HashMap<TimeOffTypeId, NaiveDate>,
    worked: Vec<Worked>,
}

/// Reads an employee's history through `through`, leaving out `except` (a request being asked
/// or approved, which the preview adds itself).
#[allow(clippy::too_many_arguments)]
async fn history(
    store: &dyn Store,
    company: CompanyId,
    ctx: &Context,
    employee: EmployeeId,
    types: &[TimeOffType],
    through: NaiveDate,
    except: Option<TimeOffRequestId>,
    now: DateTime<Utc>,
) -> Result<History, AppError> {
    let adjustments = store.time_off_adjustments(company, employee).await?;
    let mut starts = HashMap::new();
    for t in types.iter().filter(|t| t.policy.is_some()) {
        let created = store.time_off_type_created(company, t.id).await?.with_timezone(&ctx.zone).date_naive();
        let earliest = adjustments.iter().filter(|a| a.type_id == t.id).map(|a| a.adjustment.date).min();
        starts.insert(t.id, earliest.map_or(created, |d| d.min(created)));
    }
    let Some(from) = starts.values().min().copied() else {
        return Ok(History { taken: Vec::new(), adjustments, starts, worked: Vec::new() });
    };
    let requests = store.employee_time_off_requests(company, employee, from, through).await?;
    let holidays = store.holidays(company, from.year(), through.year().max(from.year())).await?;
    let mut taken = Vec::new();
    for r in requests.iter().filter(|r| Some(r.id) != except) {
        let days = r.span.requested_days(&ctx.schedule, &holidays).unwrap_or_default();
        taken.extend(r.taken(&days).into_iter().map(|t| (r.type_id, t)));
    }
    let per_hour =
        types.iter().filter(|t| matches!(t.policy.map(|p| p.method), Some(clockface_domain::timeoff::AccrualMethod::PerHourWorked { .. })));
    let worked_from = per_hour.filter_map(|t| starts.get(&t.id)).min().copied();
    let worked = match worked_from {
        Some(from) => self::worked(store, company, ctx, employee, from, through.min(today(ctx.zone, now)), now).await?,
        None => Vec::new(),
    };
    Ok(History { taken, adjustments, starts, worked })
}

/// The inputs of one type's ledger, owned.
struct TypeInputs {
    start: NaiveDate,
    taken: Vec<Taken>,
    adjustments: Vec<Adjustment>,
}

impl TypeInputs {
    /// The domain's view of these inputs, with the company's pay periods and the hours worked.
    fn inputs<'a>(&'a self, ctx: &'a Context, worked: &'a [Worked]) -> LedgerInputs<'a> {
        LedgerInputs { start: self.start, schedule: &ctx.settings.schedule, worked, taken: &self.taken, adjustments: &self.adjustments }
    }
}

impl History {
    fn of(&self, type_id: TimeOffTypeId, fallback_start: NaiveDate) -> TypeInputs {
        TypeInputs {
            start: self.starts.get(&type_id).copied().unwrap_or(fallback_start),
            taken: self.taken.iter().filter(|(t, _)| *t == type_id).map(|(_, t)| *t).collect(),
            adjustments: self.adjustments.iter().filter(|a| a.type_id == type_id).map(|a| a.adjustment.clone()).collect(),
        }
    }
}

/// The balance preview of `days` of `time_off_type` for the employee, none when the type keeps no balance.
#[allow(clippy::too_many_arguments)]
async fn balance_preview(
    store: &dyn Store,
    company: CompanyId,
    ctx: &Context,
    employee: EmployeeId,
    time_off_type: &TimeOffType,
    days: &[RequestedDay],
    except: Option<TimeOffRequestId>,
    now: DateTime<Utc>,
) -> Result<Option<(AccrualPolicy, BalancePreview)>, AppError> {
    let Some(policy) = time_off_type.policy else {
        return Ok(None);
    };
    let through = days.iter().map(|d| d.date).max().unwrap_or_else(|| today(ctx.zone, now));
    let history = history(store, company, ctx, employee, std::slice::from_ref(time_off_type), through, except, now).await?;
    let own = history.of(time_off_type.id, today(ctx.zone, now));
    let inputs = own.inputs(ctx, &history.worked);
    Ok(Some((policy, preview(&policy, &inputs, days))))
}

/// Everything asking checks, without writing: whose, which type, which days, the lock, the
/// balance and the negative rule, the punches on those days.
async fn prepare(
    store: &dyn Store,
    caller: Caller<'_>,
    body: &AskBody,
    now: DateTime<Utc>,
) -> Result<(EmployeeId, TimeOffType, clockface_domain::timeoff::request::RequestFields, Preview, Vec<NaiveDate>), AppError> {
    let company = caller.company();
    let employee = match (caller, body.employee_id) {
        (Caller::Employee { employee, .. }, None) => employee,
        (_, Some(employee)) => employee,
        (Caller::User(_), None) => return Err(AppError::invalid("invalid", "employee_id", "say whose time off this is (employee_id)")),
    };
    caller.reach(employee)?;
    let person = store.employee(company, employee).await?;
    if let Caller::Employee { .. } = caller {
        let role = store.role(company, person.role_id).await?;
        if !role.abilities.ask_time_off {
            return Err(AppError::Forbidden {
                code: "time_off_not_allowed",
                message: format!(
                    "{}'s role ({}) may not ask for time off on the clock; ask a supervisor, or an admin to allow it on the role",
                    person.name.as_str(),
                    role.name.as_str()
                ),
            });
        }
    }
    let mut refused = Vec::new();
    let input = RequestInput { first: body.first.clone(), last: body.last.clone(), hours: body.hours.clone(), note: body.note.clone() };
    let fields = AppError::keep(input.parse(), &mut refused);
    let types = types(store, company, now).await?;
    let time_off_type = types.iter().find(|t| t.id == body.type_id && t.active).cloned();
    if time_off_type.is_none() {
        refused.push(AppError::invalid("unknown_type", "type_id", "not one of the company's active time-off types"));
    }
    if !person.active {
        refused.push(AppError::invalid("inactive", "employee_id", format!("{} is not active", person.name.as_str())));
    }
    AppError::all(refused)?;
    let (Some(fields), Some(time_off_type)) = (fields, time_off_type) else {
        return Err(AppError::internal("a request passed its checks without its fields"));
    };
    let ctx = context(store, company, fields.span.first(), fields.span.last()).await?;
    let days = fields.span.requested_days(&ctx.schedule, &ctx.holidays)?;
    let periods = unlocked_periods(store, company, &ctx.settings, employee, &days).await?;
    let balance = balance_preview(store, company, &ctx, employee, &time_off_type, &days, None, now).await?;
    if let Some((policy, seen)) = &balance {
        check_balance(policy, seen, time_off_type.name.as_str())?;
    }
    let first = fields.span.first();
    let last = fields.span.last().min(today(ctx.zone, now));
    let worked = worked(store, company, &ctx, employee, first, last, now).await?;
    let overlaps = overlap_views(&days, &worked);
    let preview = Preview { requested_seconds: days.iter().map(|d| d.seconds).sum(), days, balance: balance.map(|(_, b)| b), overlaps };
    Ok((employee, time_off_type, fields, preview, periods))
}

/// The requested days on which `worked` has hours, each with what a supervisor is told.
fn overlap_views(days: &[RequestedDay], worked: &[Worked]) -> Vec<OverlapView> {
    let on: HashMap<NaiveDate, i64> = worked.iter().map(|w| (w.date, w.seconds)).collect();
    overlaps(days, |d| on.get(&d).copied().unwrap_or(0)).into_iter().map(|o| OverlapView { message: o.message(), overlap: o }).collect()
}

/// What a request would take and leave, without asking it (the clock shows it while asking).
pub async fn preview_request(store: &dyn Store, caller: Caller<'_>, body: &AskBody, now: DateTime<Utc>) -> Result<Preview, AppError> {
    Ok(prepare(store, caller, body, now).await?.3)
}

/// Asks for time off: an employee for themselves, a user for someone they reach. Refused, with
/// nothing written, when a field is wrong, the type is not the company's, a day is in an
/// approved pay period, or the balance would go below zero where the type does not allow it.
pub async fn ask(store: &dyn Store, caller: Caller<'_>, body: &AskBody, now: DateTime<Utc>) -> Result<Asked, AppError> {
    let company = caller.company();
    let (employee, time_off_type, fields, preview, periods) = prepare(store, caller, body, now).await?;
    let mut request = TimeOffRequest::ask(employee, time_off_type.id, fields, caller.actor(), now)?;
    if let Some(id) = body.client_id {
        request.id = id;
    }
    let line = audit_entry(
        company,
        &caller.actor_text(),
        "time_off.requested",
        &format!("employee:{employee}"),
        &format!(
            "request {}: {} of {} from {} to {}",
            request.id,
            fmt_hours(preview.requested_seconds),
            time_off_type.name.as_str(),
            request.span.first(),
            request.span.last()
        ),
    );
    store.insert_time_off_request(company, &request, &periods, &line).await.map_err(|e| answered(e, request.span.first()))?;
    let ctx = context(store, company, request.span.first(), request.span.last()).await?;
    Ok(Asked { request: view(request, std::slice::from_ref(&time_off_type), &ctx), preview })
}

/// The request a resend carries (`client_id`) when it was asked already: the same employee and
/// type, the same days. None when it was not (or nothing names one); a different request under
/// the same id is refused, as a resend must carry exactly what was sent.
pub async fn asked_before(
    store: &dyn Store,
    caller: Caller<'_>,
    body: &AskBody,
    now: DateTime<Utc>,
) -> Result<Option<RequestView>, AppError> {
    let Some(id) = body.client_id else {
        return Ok(None);
    };
    let stored = match store.time_off_request(caller.company(), id).await {
        Ok(stored) => stored,
        Err(StoreError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    caller.reach(stored.employee_id)?;
    let day = |raw: &str| clockface_domain::text::parse_day("first", raw.trim()).ok();
    let same_days = Some(stored.span.first()) == day(&body.first)
        && Some(stored.span.last()) == day(body.last.as_deref().filter(|l| !l.trim().is_empty()).unwrap_or(&body.first));
    let whose = body.employee_id.or(match caller {
        Caller::Employee { employee, .. } => Some(employee),
        Caller::User(_) => None,
    });
    if whose != Some(stored.employee_id) || stored.type_id != body.type_id || !same_days {
        return Err(AppError::conflict(
            "client_id_reused",
            "a different request was already asked under this client_id; a resend must carry exactly the same request",
        ));
    }
    Ok(views(store, caller.company(), vec![stored], now).await?.pop())
}

/// How a user answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Decline,
}

/// A note with an answer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
}

/// Approves or declines a request still asked, by a user who reaches its employee (another's is
/// not found). Approving applies the negative-balance rule again (the balance may have moved
/// since it was asked) and the lock of approved pay periods; declining says why.
pub async fn answer(
    store: &dyn Store,
    scope: Scope<'_>,
    id: TimeOffRequestId,
    answer: Answer,
    note: &str,
    now: DateTime<Utc>,
) -> Result<RequestView, AppError> {
    let company = scope.company;
    let mut request = store.time_off_request(company, id).await?;
    scope.employee(request.employee_id)?;
    if request.status() != RequestStatus::Requested {
        return Err(AppError::conflict(
            "request_answered",
            format!("this request is {}; only a request still asked can be approved or declined", request.status().as_str()),
        ));
    }
    let types = types(store, company, now).await?;
    let time_off_type = types.iter().find(|t| t.id == request.type_id).cloned().ok_or(StoreError::NotFound)?;
    let ctx = context(store, company, request.span.first(), request.span.last()).await?;
    let days = request.span.requested_days(&ctx.schedule, &ctx.holidays)?;
    let periods = match answer {
        Answer::Approve => {
            let periods = unlocked_periods(store, company, &ctx.settings, request.employee_id, &days).await?;
            let balance = balance_preview(store, company, &ctx, request.employee_id, &time_off_type, &days, Some(request.id), now).await?;
            if let Some((policy, seen)) = &balance {
                check_balance(policy, seen, time_off_type.name.as_str())?;
            }
            request.approve(scope.user, now, note)?;
            periods
        }
        Answer::Decline => {
            request.decline(scope.user, now, note)?;
            Vec::new()
        }
    };
    let event = request.history.last().cloned().ok_or_else(|| AppError::internal("an answer without its event"))?;
    let line = audit_entry(
        company,
        &scope.actor(),
        &format!("time_off.{}", event.status.as_str()),
        &format!("employee:{}", request.employee_id),
        &format!(
            "request {}: {} from {} to {}; note: {}",
            request.id,
            time_off_type.name.as_str(),
            request.span.first(),
            request.span.last(),
            event.note
        ),
    );
    store
        .answer_time_off_request(company, id, RequestStatus::Requested, &event, &periods, &line)
        .await
        .map_err(|e| answered(e, request.span.first()))?;
    Ok(view(request, &types, &ctx))
}

/// Withdraws (the employee, while it is asked) or cancels (a user who reaches the employee, asked
/// or approved) a request. Cancelling approved time off changes the card: refused in an
/// approved pay period until it is reopened.
pub async fn cancel(
    store: &dyn Store,
    caller: Caller<'_>,
    id: TimeOffRequestId,
    note: &str,
    now: DateTime<Utc>,
) -> Result<RequestView, AppError> {
    let company = caller.company();
    let mut request = store.time_off_request(company, id).await?;
    caller.reach(request.employee_id)?;
    let from = request.status();
    let types = types(store, company, now).await?;
    let ctx = context(store, company, request.span.first(), request.span.last()).await?;
    let days = request.span.requested_days(&ctx.schedule, &ctx.holidays).unwrap_or_default();
    request.cancel(caller.actor(), now, note).map_err(|e| match e {
        DomainError::Invalid { field: "status", message } => AppError::conflict("request_answered", message),
        other => other.into(),
    })?;
    let periods = if from == RequestStatus::Approved {
        unlocked_periods(store, company, &ctx.settings, request.employee_id, &days).await?
    } else {
        Vec::new()
    };
    let event = request.history.last().cloned().ok_or_else(|| AppError::internal("a cancellation without its event"))?;
    let line = audit_entry(
        company,
        &caller.actor_text(),
        "time_off.cancelled",
        &format!("employee:{}", request.employee_id),
        &format!("request {} ({} before); note: {}", request.id, from.as_str(), event.note),
    );
    store.answer_time_off_request(company, id, from, &event, &periods, &line).await.map_err(|e| answered(e, request.span.first()))?;
    Ok(view(request, &types, &ctx))
}

/// One request, for whoever reaches its employee.
pub async fn request(store: &dyn Store, caller: Caller<'_>, id: TimeOffRequestId, now: DateTime<Utc>) -> Result<RequestView, AppError> {
    let request = store.time_off_request(caller.company(), id).await?;
    caller.reach(request.employee_id)?;
    Ok(views(store, caller.company(), vec![request], now).await?.remove(0))
}

/// The most requests a list of pending ones shows.
pub const PENDING_PAGE: i64 = 200;

/// The requests waiting for an answer that `scope` may answer (a supervisor's employees', every
/// one for an admin), soonest first.
pub async fn pending(store: &dyn Store, scope: Scope<'_>, now: DateTime<Utc>) -> Result<Vec<RequestView>, AppError> {
    let requests = store.pending_time_off_requests(scope.company, scope.reach.supervisor(), PENDING_PAGE).await?;
    views(store, scope.company, requests, now).await
}

/// A request waiting for an answer, with what the one answering weighs: the type's balance
/// before and after (none: the type keeps no balance) and the days the employee also punched.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub request: RequestView,
    pub balance: Option<BalancePreview>,
    pub overlaps: Vec<OverlapView>,
}

/// [`pending`], each with its balance before and after and its punched days. Each employee's
/// history is read once for all their requests (a handful of queries per employee with a
/// request waiting, not per request).
pub async fn waiting(store: &dyn Store, scope: Scope<'_>, now: DateTime<Utc>) -> Result<Vec<Waiting>, AppError> {
    let company = scope.company;
    let requests = store.pending_time_off_requests(company, scope.reach.supervisor(), PENDING_PAGE).await?;
    let (Some(first), Some(last)) = (requests.iter().map(|r| r.span.first()).min(), requests.iter().map(|r| r.span.last()).max()) else {
        return Ok(Vec::new());
    };
    let ctx = context(store, company, first, last).await?;
    let types = types(store, company, now).await?;
    let kept: Vec<TimeOffType> = types.iter().filter(|t| t.policy.is_some()).cloned().collect();
    let today = today(ctx.zone, now);
    let employees: std::collections::HashSet<EmployeeId> = requests.iter().map(|r| r.employee_id).collect();
    let mut read: HashMap<EmployeeId, (History, Vec<Worked>)> = HashMap::with_capacity(employees.len());
    for employee in employees {
        let theirs = requests.iter().filter(|r| r.employee_id == employee);
        let from = theirs.clone().map(|r| r.span.first()).min().unwrap_or(first);
        let through = theirs.map(|r| r.span.last()).max().unwrap_or(last);
        let history = history(store, company, &ctx, employee, &kept, through, None, now).await?;
        let worked = worked(store, company, &ctx, employee, from, through.min(today), now).await?;
        read.insert(employee, (history, worked));
    }
    let mut out = Vec::with_capacity(requests.len());
    for request in &requests {
        let Some((history, worked)) = read.get(&request.employee_id) else { continue };
        let days = request.span.requested_days(&ctx.schedule, &ctx.holidays).unwrap_or_default();
        let policy = kept.iter().find(|t| t.id == request.type_id).and_then(|t| t.policy);
        let balance = policy.map(|policy| {
            let own = history.of(request.type_id, today);
            let inputs = own.inputs(&ctx, &history.worked);
            preview(&policy, &inputs, &days)
        });
        out.push(Waiting { overlaps: overlap_views(&days, worked), balance, request: view(request.clone(), &types, &ctx) });
    }
    Ok(out)
}

/// How far back the list of answered requests reaches, in days.
pub const ANSWERED_DAYS: i64 = 30;

/// The requests `scope` reaches that were approved or declined in the last [`ANSWERED_DAYS`],
/// the latest answer first (at most [`PENDING_PAGE`]).
pub async fn recently_answered(store: &dyn Store, scope: Scope<'_>, now: DateTime<Utc>) -> Result<Vec<RequestView>, AppError> {
    let since = now - chrono::Duration::days(ANSWERED_DAYS);
    let requests = store.answered_time_off_requests(scope.company, scope.reach.supervisor(), since, PENDING_PAGE).await?;
    views(store, scope.company, requests, now).await
}

/// How many requests wait for `scope`'s answer (the count in the menu).
pub async fn pending_count(store: &dyn Store, scope: Scope<'_>) -> Result<i64, AppError> {
    Ok(store.count_pending_time_off_requests(scope.company, scope.reach.supervisor()).await?)
}

/// An employee's requests with a day in `from..=to` (by default the year around today).
pub async fn employee_requests(
    store: &dyn Store,
    caller: Caller<'_>,
    employee: EmployeeId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Vec<RequestView>, AppError> {
    caller.reach(employee)?;
    let company = caller.company();
    store.employee(company, employee).await?;
    let zone = store.company(company).await?.time_zone;
    let day = today(zone, now);
    let from = from.unwrap_or(day - chrono::Duration::days(183));
    let to = to.unwrap_or(day + chrono::Duration::days(366));
    if to < from {
        return Err(AppError::invalid("invalid", "to", format!("the list ends on {to}, before it starts on {from}")));
    }
    let requests = store.employee_time_off_requests(company, employee, from, to).await?;
    views(store, company, requests, now).await
}

/// A type's balance for an employee, with the ledger it is the sum of.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub type_id: TimeOffTypeId,
    pub type_name: String,
    pub policy: AccrualPolicy,
    pub balance_seconds: i64,
    pub ledger: Ledger,
}

/// An employee's balance of every type that keeps one, through `through` (today by default):
/// accruals on the hours their cards count, approved time off, admins' lines, forfeits.
pub async fn balances(
    store: &dyn Store,
    caller: Caller<'_>,
    employee: EmployeeId,
    through: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Vec<Balance>, AppError> {
    caller.reach(employee)?;
    let company = caller.company();
    store.employee(company, employee).await?;
    let types = types(store, company, now).await?;
    let zone = store.company(company).await?.time_zone;
    let through = through.unwrap_or_else(|| today(zone, now));
    let ctx = context(store, company, through, through).await?;
    let kept: Vec<TimeOffType> = types.into_iter().filter(|t| t.policy.is_some()).collect();
    let history = history(store, company, &ctx, employee, &kept, through, None, now).await?;
    let mut balances = Vec::with_capacity(kept.len());
    for t in kept {
        let Some(policy) = t.policy else { continue };
        let own = history.of(t.id, through);
        let inputs = own.inputs(&ctx, &history.worked);
        let ledger = ledger(&policy, &inputs, through);
        balances.push(Balance {
            type_id: t.id,
            type_name: t.name.as_str().to_owned(),
            policy,
            balance_seconds: ledger.balance_seconds(),
            ledger,
        });
    }
    Ok(balances)
}

/// An admin's line in a ledger: a starting balance or an adjustment, with its reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBody {
    pub type_id: TimeOffTypeId,
    /// `starting` (the balance brought in) or `adjustment` (hours added or taken away).
    pub kind: AdjustmentKind,
    /// Hours (`8`, `4.5`; `-4.5` takes away).
    pub hours: String,
    pub reason: String,
    /// The day it counts from, `YYYY-MM-DD` (none: today).
    #[serde(default)]
    pub date: Option<String>,
}

/// Adds a starting balance or an adjustment to an employee's ledger of a type that keeps a
/// balance (admins only): a new line, never a number changed in place, audited.
pub async fn adjust(
    store: &dyn Store,
    scope: Scope<'_>,
    employee: EmployeeId,
    body: &AdjustBody,
    now: DateTime<Utc>,
) -> Result<StoredAdjustment, AppError> {
    scope.require_admin("set time-off balances")?;
    scope.employee(employee)?;
    let company = scope.company;
    store.employee(company, employee).await?;
    let zone = store.company(company).await?.time_zone;
    let types = types(store, company, now).await?;
    let mut refused = Vec::new();
    let time_off_type = types.iter().find(|t| t.id == body.type_id);
    match time_off_type {
        None => refused.push(AppError::invalid("unknown_type", "type_id", "not one of the company's time-off types")),
        Some(t) if t.policy.is_none() => refused.push(AppError::invalid(
            "no_balance",
            "type_id",
            format!("{} keeps no balance; give it an accrual policy (none is one) first", t.name.as_str()),
        )),
        Some(_) => {}
    }
    let raw = body.hours.trim();
    let (sign, digits) = match raw.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, raw),
    };
    let seconds = AppError::keep(parse_hours("hours", digits).map(|s| sign * s), &mut refused);
    let date = match body.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(raw) => AppError::keep(clockface_domain::text::parse_day("date", raw), &mut refused),
        None => Some(today(zone, now)),
    };
    let adjustment = match (seconds, date) {
        (Some(seconds), Some(date)) => AppError::keep(Adjustment::new(body.kind, date, seconds, &body.reason, scope.user), &mut refused),
        _ => None,
    };
    AppError::all(refused)?;
    let (Some(adjustment), Some(time_off_type)) = (adjustment, time_off_type) else {
        return Err(AppError::internal("an adjustment passed its checks without its fields"));
    };
    let kind = match adjustment.kind {
        AdjustmentKind::Starting => "starting balance",
        AdjustmentKind::Adjustment => "adjustment",
    };
    let line = audit_entry(
        company,
        &scope.actor(),
        "time_off.balance_adjusted",
        &format!("employee:{employee}"),
        &format!(
            "{kind} of {} of {} from {}; reason: {}",
            fmt_hours(adjustment.seconds),
            time_off_type.name.as_str(),
            adjustment.date,
            adjustment.reason
        ),
    );
    Ok(store.insert_time_off_adjustment(company, employee, time_off_type.id, &adjustment, now, &line).await?)
}

/// The company's holidays of `year`.
pub async fn holidays(store: &dyn Store, company: CompanyId, year: i32) -> Result<HolidayCalendar, AppError> {
    check_year(year)?;
    let mut calendars = store.holidays(company, year, year).await?;
    Ok(calendars.pop().unwrap_or(HolidayCalendar { year, holidays: Vec::new() }))
}

fn check_year(year: i32) -> Result<(), AppError> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("invalid", "year", format!("{year} is not a year between 2000 and 2100")));
    }
    Ok(())
}

/// A year's holidays, as typed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidaysBody {
    pub year: i32,
    pub holidays: Vec<HolidayInput>,
}

/// Sets the company's holidays of `year` (admins only), all or nothing: every bad line is named.
pub async fn set_holidays(store: &dyn Store, scope: Scope<'_>, year: i32, inputs: &[HolidayInput]) -> Result<HolidayCalendar, AppError> {
    scope.require_admin("set the company's holidays")?;
    check_year(year)?;
    let calendar = HolidayCalendar::parse(year, inputs)?;
    save_calendar(store, scope, calendar).await
}

/// Adds one holiday to the calendar of its year (admins only); a day that has one already, or a
/// wrong field, is refused with the calendar as it was. The cards show holidays under the
/// company's holiday type, so a company that has no types yet is given the defaults first.
pub async fn add_holiday(
    store: &dyn Store,
    scope: Scope<'_>,
    input: &HolidayInput,
    now: DateTime<Utc>,
) -> Result<HolidayCalendar, AppError> {
    scope.require_admin("set the company's holidays")?;
    let date = clockface_domain::text::parse_day("date", input.date.trim())?;
    types(store, scope.company, now).await?;
    let calendar = holidays(store, scope.company, date.year()).await?.with(input)?;
    save_calendar(store, scope, calendar).await
}

/// Removes the holiday on `date` from its year's calendar (admins only).
pub async fn remove_holiday(store: &dyn Store, scope: Scope<'_>, date: NaiveDate) -> Result<HolidayCalendar, AppError> {
    scope.require_admin("set the company's holidays")?;
    let calendar = holidays(store, scope.company, date.year()).await?;
    if calendar.on(date).is_none() {
        return Err(StoreError::NotFound.into());
    }
    save_calendar(store, scope, calendar.without(date)).await
}

/// Stores a year's calendar with its audit line (the whole year as it now stands).
async fn save_calendar(store: &dyn Store, scope: Scope<'_>, calendar: HolidayCalendar) -> Result<HolidayCalendar, AppError> {
    let listed: Vec<String> = calendar.holidays.iter().map(|h| format!("{} {} ({})", h.date, h.name, fmt_hours(h.paid_seconds))).collect();
    let line = audit_entry(
        scope.company,
        &scope.actor(),
        "time_off.holidays_set",
        &format!("holidays:{}", calendar.year),
        &if listed.is_empty() { "none".to_owned() } else { listed.join("; ") },
    );
    store.set_holidays(scope.company, &calendar, &line).await?;
    Ok(calendar)
}

/// The time off on the cards of `from..=to`: each employee's approved requests, a line per day,
/// and the company's holidays (on every card, of the company's holiday type), read in three
/// queries whatever the number of cards.
#[derive(Debug, Clone, Default)]
pub struct CardTimeOffLines {
    by_employee: HashMap<EmployeeId, Vec<CardTimeOff>>,
    holidays: Vec<CardTimeOff>,
    /// The company's types, read with them (the exports take their pay codes from these).
    pub types: Vec<TimeOffType>,
}

impl CardTimeOffLines {
    /// The lines of one employee's card: the holidays, then their approved time off.
    pub fn of(&self, employee: EmployeeId) -> Vec<CardTimeOff> {
        let mut lines = self.holidays.clone();
        lines.extend(self.by_employee.get(&employee).into_iter().flatten().cloned());
        lines
    }
}

/// Reads [`CardTimeOffLines`] for `from..=to`. A company that has no time-off types yet has
/// neither requests nor a holiday type, so its cards are as they were.
pub async fn card_time_off(store: &dyn Store, company: CompanyId, from: NaiveDate, to: NaiveDate) -> Result<CardTimeOffLines, StoreError> {
    let types = store.time_off_types(company).await?;
    if types.is_empty() {
        return Ok(CardTimeOffLines::default());
    }
    let approved = store.approved_time_off(company, from, to).await?;
    let calendars = store.holidays(company, from.year(), to.year()).await?;
    let schedule = WorkSchedule::default();
    let mut lines = CardTimeOffLines { types, ..CardTimeOffLines::default() };
    if let Some(holiday_type) = lines.types.iter().find(|t| t.kind == TimeOffKind::Holiday && t.active) {
        lines.holidays = calendars.iter().flat_map(|c| c.card_lines(from, to, holiday_type)).collect();
    }
    for request in approved {
        let Some(time_off_type) = lines.types.iter().find(|t| t.id == request.type_id) else { continue };
        let days: Vec<RequestedDay> = request
            .span
            .requested_days(&schedule, &calendars)
            .unwrap_or_default()
            .into_iter()
            .filter(|d| from <= d.date && d.date <= to)
            .collect();
        lines.by_employee.entry(request.employee_id).or_default().extend(request.card_lines(time_off_type, &days));
    }
    Ok(lines)
}
