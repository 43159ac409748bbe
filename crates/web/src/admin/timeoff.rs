//! Time off in the web app (issue 29): the list of requests waiting for an answer (an admin's:
//! every one; a supervisor's: their employees'), each with its balance before and after and the
//! days the employee also punched, answered with Approve or Decline and a note; the requests
//! answered lately; an employee's time-off page (balances with their ledgers, requests with their
//! history, asking for them with the balance shown first, an admin's starting balance or
//! adjustment); and the company's holiday calendar per year. The rules and the writes are
//! `clockface_app::timeoff`'s, as for the API.

use super::devices::local;
use super::{parse_id, render, see_other, AdminSession, FormData, FormErrors, Layout, PageError, SignedForm, UserSession};
use crate::admin::words::{self, Words};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_app::timeoff::{self, AdjustBody, Answer, AskBody, Balance, Caller, OverlapView, Preview, RequestView, Waiting};
use clockface_domain::ids::{AdminId, EmployeeId, TimeOffRequestId, TimeOffTypeId};
use clockface_domain::timeoff::accrual::{AdjustmentKind, LedgerKind};
use clockface_domain::timeoff::holiday::HolidayInput;
use clockface_domain::timeoff::request::{Actor, RequestEvent};
use clockface_domain::timeoff::{fmt_hours, BalancePreview, RequestSpan, RequestStatus, TimeOffType};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/time-off", get(list_page))
        .route("/admin/time-off/requests/{id}", post(answer))
        .route("/admin/time-off/holidays", get(holidays_page).post(add_holiday))
        .route("/admin/time-off/holidays/remove", post(remove_holiday))
        .route("/admin/employees/{id}/time-off", get(employee_page).post(ask))
        .route("/admin/employees/{id}/time-off/adjust", post(adjust))
}

// ---------------------------------------------------------------------------------------------
// Words shared by the pages

/// Who did something, as the pages name them: an employee by name, a user by e-mail.
struct Names {
    employees: HashMap<EmployeeId, String>,
    users: HashMap<AdminId, String>,
}

impl Names {
    async fn read(state: &AppState, user: &UserSession) -> Result<Names, PageError> {
        let company = user.company_id();
        let employees = state.store.employees(company, None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
        let users = state.store.users(company).await?.into_iter().map(|u| (u.id, u.email)).collect();
        Ok(Names { employees, users })
    }

    fn employee(&self, id: EmployeeId) -> String {
        self.employees.get(&id).cloned().unwrap_or_else(|| "an employee no longer here".to_owned())
    }

    fn actor(&self, actor: Actor) -> String {
        match actor {
            Actor::Employee(id) => format!("{} (on the clock)", self.employee(id)),
            Actor::User(id) => self.users.get(&id).cloned().unwrap_or_else(|| "a user no longer here".to_owned()),
        }
    }
}

fn day_text(day: NaiveDate) -> String {
    day.format("%a %-d %b %Y").to_string()
}

/// The days a request takes, in words: "Mon 14 Dec 2026 – Tue 15 Dec 2026" or "Mon 14 Dec 2026, part of the day".
fn span_text(span: &RequestSpan) -> String {
    match span {
        RequestSpan::Days { first, last } if first == last => day_text(*first),
        RequestSpan::Days { first, last } => format!("{} – {}", day_text(*first), day_text(*last)),
        RequestSpan::Hours { date, .. } => format!("{}, part of the day", day_text(*date)),
    }
}

/// The balance a request leaves, in words.
fn balance_text(type_name: &str, balance: Option<&BalancePreview>) -> String {
    match balance {
        Some(b) => format!(
            "{type_name} balance: {} before, {} after (this request takes {})",
            fmt_hours(b.before_seconds),
            fmt_hours(b.after_seconds),
            fmt_hours(b.requested_seconds)
        ),
        None => format!("{type_name} keeps no balance"),
    }
}

fn status_text(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Requested => "Waiting for an answer",
        RequestStatus::Approved => "Approved",
        RequestStatus::Declined => "Declined",
        RequestStatus::Cancelled => "Cancelled",
    }
}

/// One event of a request's history: "Declined by sam@acme.example on Mon 7 Dec 2026, 18:00: short-handed".
fn event_text(event: &RequestEvent, names: &Names, zone: Tz) -> String {
    let what = match event.status {
        RequestStatus::Requested => "Asked",
        other => status_text(other),
    };
    let note = if event.note.trim().is_empty() { String::new() } else { format!(": “{}”", event.note.trim()) };
    format!("{what} by {} on {}{note}", names.actor(event.by), local(event.at, zone))
}

/// A request as the lists show it.
struct RequestRow {
    id: String,
    employee: String,
    employee_id: String,
    type_name: String,
    dates: String,
    hours: String,
    note: String,
    status: &'static str,
    /// The latest answer, in words.
    answer: Option<String>,
    history: Vec<String>,
}

impl RequestRow {
    fn of(view: &RequestView, names: &Names, zone: Tz) -> RequestRow {
        RequestRow {
            id: view.id.to_string(),
            employee: names.employee(view.employee_id),
            employee_id: view.employee_id.to_string(),
            type_name: view.type_name.clone(),
            dates: span_text(&view.span),
            hours: fmt_hours(view.requested_seconds),
            note: view.note.clone(),
            status: status_text(view.status),
            answer: view.answer.as_ref().map(|e| event_text(e, names, zone)),
            history: view.history.iter().map(|e| event_text(e, names, zone)).collect(),
        }
    }
}

fn overlap_lines(overlaps: &[OverlapView]) -> Vec<String> {
    overlaps.iter().map(|o| super::sentence(&o.message)).collect()
}

// ---------------------------------------------------------------------------------------------
// The list: waiting, and answered lately

/// A request waiting for an answer, with its answer form.
struct WaitingRow {
    row: RequestRow,
    balance: String,
    overlaps: Vec<String>,
    /// The note typed with an answer the server refused, and why.
    typed_note: String,
    note_error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/time_off.html")]
struct TimeOffPage {
    layout: Layout,
    waiting: Vec<WaitingRow>,
    answered: Vec<RequestRow>,
    answered_days: i64,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    approved: Option<String>,
    declined: Option<String>,
}

/// An answer the server refused: which request, what was typed, why.
struct Refused {
    id: TimeOffRequestId,
    note: String,
    errors: FormErrors,
}

async fn list(state: &AppState, user: &UserSession, notice: Option<String>, refused: Option<Refused>) -> Result<TimeOffPage, PageError> {
    let auth = user.auth();
    let now = Utc::now();
    let zone = user.company.time_zone;
    let names = Names::read(state, user).await?;
    let waiting: Vec<Waiting> = timeoff::waiting(&*state.store, auth.scope(), now).await?;
    let answered = timeoff::recently_answered(&*state.store, auth.scope(), now).await?;
    let mut error = None;
    let mut rows: Vec<WaitingRow> = waiting
        .iter()
        .map(|w| WaitingRow {
            row: RequestRow::of(&w.request, &names, zone),
            balance: balance_text(&w.request.type_name, w.balance.as_ref()),
            overlaps: overlap_lines(&w.overlaps),
            typed_note: String::new(),
            note_error: None,
        })
        .collect();
    if let Some(refused) = refused {
        match rows.iter_mut().find(|r| r.row.id == refused.id.to_string()) {
            Some(row) => {
                let errors = refused.errors.shown_on(&["note"]);
                row.typed_note = refused.note;
                row.note_error = errors.field("note").map(str::to_owned);
                error = errors.form;
            }
            // Answered meanwhile (by someone else): said at the top.
            None => error = refused.errors.said(),
        }
    }
    Ok(TimeOffPage {
        layout: Layout::new(user, "time-off", words::en("base.time_off")),
        waiting: rows,
        answered: answered.iter().map(|r| RequestRow::of(r, &names, zone)).collect(),
        answered_days: timeoff::ANSWERED_DAYS,
        notice,
        error,
    })
}

async fn list_page(State(state): State<AppState>, user: UserSession, Query(query): Query<ListQuery>) -> Result<Response, PageError> {
    let notice = match (query.approved, query.declined) {
        (Some(who), _) => Some(format!("Approved {who}'s time off. It is on their time card, and they see the answer on the clock.")),
        (_, Some(who)) => Some(format!("Declined {who}'s request. They see the answer and your note on the clock.")),
        _ => None,
    };
    Ok(render(StatusCode::OK, &list(&state, &user, notice, None).await?))
}

/// Approve or Decline, with a note: back to the list, or the list with the refusal beside the note.
async fn answer(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin: user, form } = signed;
    let id: TimeOffRequestId = parse_id(&id)?;
    let how = match form.get("answer") {
        "approve" => Answer::Approve,
        "decline" => Answer::Decline,
        _ => return Err(PageError(ApiError::unprocessable("invalid", "answer: choose Approve or Decline").with_field("answer"))),
    };
    let note = form.get("note").to_owned();
    let auth = user.auth();
    match timeoff::answer(&*state.store, auth.scope(), id, how, &note, Utc::now()).await {
        Ok(view) => {
            let person = state.store.employee(user.company_id(), view.employee_id).await?;
            let who: String = form_urlencoded::byte_serialize(person.name.as_str().as_bytes()).collect();
            let said = if how == Answer::Approve { "approved" } else { "declined" };
            Ok(see_other(&format!("/admin/time-off?{said}={who}")))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            Ok(render(status, &list(&state, &user, None, Some(Refused { id, note, errors })).await?))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// An employee's time off

struct LedgerRow {
    date: String,
    what: &'static str,
    hours: String,
    balance: String,
    why: String,
}

struct BalanceView {
    type_name: String,
    balance: String,
    lines: Vec<LedgerRow>,
}

fn ledger_kind(kind: LedgerKind) -> &'static str {
    match kind {
        LedgerKind::Starting => "Starting balance",
        LedgerKind::Adjustment => "Adjustment",
        LedgerKind::Accrual => "Earned",
        LedgerKind::Grant => "Yearly grant",
        LedgerKind::Taken => "Taken",
        LedgerKind::Forfeit => "Over the carry-over limit",
    }
}

impl BalanceView {
    fn of(balance: &Balance, names: &Names) -> BalanceView {
        BalanceView {
            type_name: balance.type_name.clone(),
            balance: fmt_hours(balance.balance_seconds),
            lines: balance
                .ledger
                .lines
                .iter()
                .map(|l| LedgerRow {
                    date: day_text(l.date),
                    what: ledger_kind(l.kind),
                    hours: fmt_hours(l.seconds),
                    balance: fmt_hours(l.balance_seconds),
                    why: match l.by {
                        Some(by) => format!("{} ({})", l.why, names.actor(Actor::User(by))),
                        None => l.why.clone(),
                    },
                })
                .collect(),
        }
    }
}

/// A choice in a form's list.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn type_choices<'a>(types: impl Iterator<Item = &'a TimeOffType>, chosen: &str) -> Vec<Choice> {
    types.map(|t| Choice { value: t.id.to_string(), label: t.name.as_str().to_owned(), selected: t.id.to_string() == chosen }).collect()
}

/// The "ask for time off" form, as typed.
#[derive(Default)]
struct AskForm {
    type_id: String,
    first: String,
    last: String,
    hours: String,
    note: String,
    errors: FormErrors,
}

impl AskForm {
    fn typed(form: &FormData) -> AskForm {
        AskForm {
            type_id: form.get("type_id").to_owned(),
            first: form.get("first").trim().to_owned(),
            last: form.get("last").trim().to_owned(),
            hours: form.get("hours").trim().to_owned(),
            note: form.get("note").to_owned(),
            errors: FormErrors::default(),
        }
    }

    fn body(&self, employee: EmployeeId) -> Result<AskBody, FormErrors> {
        let Ok(type_id) = self.type_id.parse::<TimeOffTypeId>() else {
            let mut errors = FormErrors::default();
            errors.fields.push(("type_id".into(), "Choose a type of time off.".to_owned()));
            return Err(errors);
        };
        let optional = |raw: &str| (!raw.is_empty()).then(|| raw.to_owned());
        Ok(AskBody {
            employee_id: Some(employee),
            type_id,
            first: self.first.clone(),
            last: optional(&self.last),
            hours: optional(&self.hours),
            note: self.note.clone(),
            client_id: None,
        })
    }
}

/// The "starting balance or adjustment" form, as typed.
struct AdjustForm {
    type_id: String,
    starting: bool,
    hours: String,
    date: String,
    reason: String,
    errors: FormErrors,
}

impl AdjustForm {
    fn empty(today: NaiveDate) -> AdjustForm {
        AdjustForm {
            type_id: String::new(),
            starting: true,
            hours: String::new(),
            date: today.to_string(),
            reason: String::new(),
            errors: FormErrors::default(),
        }
    }

    fn typed(form: &FormData) -> AdjustForm {
        AdjustForm {
            type_id: form.get("type_id").to_owned(),
            starting: form.get("kind") != "adjustment",
            hours: form.get("hours").trim().to_owned(),
            date: form.get("date").trim().to_owned(),
            reason: form.get("reason").to_owned(),
            errors: FormErrors::default(),
        }
    }
}

/// What asking would do, shown before asking.
struct PreviewView {
    days: usize,
    hours: String,
    balance: String,
    overlaps: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/employee_time_off.html")]
struct EmployeeTimeOffPage {
    layout: Layout,
    employee: String,
    employee_id: String,
    balances: Vec<BalanceView>,
    requests: Vec<RequestRow>,
    ask_types: Vec<Choice>,
    ask: AskForm,
    preview: Option<PreviewView>,
    adjust_types: Vec<Choice>,
    adjust: AdjustForm,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct EmployeeQuery {
    asked: Option<String>,
    adjusted: Option<String>,
}

/// The page's forms, as they are to be shown: empty, or as typed with what the server said.
struct Forms {
    ask: AskForm,
    preview: Option<PreviewView>,
    adjust: Option<AdjustForm>,
}

async fn employee_time_off(
    state: &AppState,
    user: &UserSession,
    id: EmployeeId,
    forms: Forms,
    notice: Option<&'static str>,
) -> Result<EmployeeTimeOffPage, PageError> {
    user.employee(id)?;
    let auth = user.auth();
    let caller = Caller::User(auth.scope());
    let now = Utc::now();
    let company = user.company_id();
    let zone = user.company.time_zone;
    let person = state.store.employee(company, id).await?;
    let names = Names::read(state, user).await?;
    let types = timeoff::types(&*state.store, company, now).await?;
    let balances = timeoff::balances(&*state.store, caller, id, None, now).await?;
    let requests = timeoff::employee_requests(&*state.store, caller, id, None, None, now).await?;
    let today = now.with_timezone(&zone).date_naive();
    let adjust = forms.adjust.unwrap_or_else(|| AdjustForm::empty(today));
    Ok(EmployeeTimeOffPage {
        layout: Layout::new(user, "time-off", format!("{} · {}", words::en("base.time_off"), person.name.as_str())),
        employee: person.name.as_str().to_owned(),
        employee_id: id.to_string(),
        balances: balances.iter().map(|b| BalanceView::of(b, &names)).collect(),
        requests: requests.iter().rev().map(|r| RequestRow::of(r, &names, zone)).collect(),
        ask_types: type_choices(types.iter().filter(|t| t.active), &forms.ask.type_id),
        ask: forms.ask,
        preview: forms.preview,
        adjust_types: type_choices(types.iter().filter(|t| t.policy.is_some()), &adjust.type_id),
        adjust,
        notice,
    })
}

async fn employee_page(
    State(state): State<AppState>,
    user: UserSession,
    Path(id): Path<String>,
    Query(query): Query<EmployeeQuery>,
) -> Result<Response, PageError> {
    let notice = if query.asked.is_some() {
        Some("Asked. The request waits for an answer on the Time off page.")
    } else if query.adjusted.is_some() {
        Some("Saved: a new line in the ledger, with its reason.")
    } else {
        None
    };
    let forms = Forms { ask: AskForm::default(), preview: None, adjust: None };
    Ok(render(StatusCode::OK, &employee_time_off(&state, &user, parse_id(&id)?, forms, notice).await?))
}

fn preview_view(preview: &Preview, type_name: &str) -> PreviewView {
    PreviewView {
        days: preview.days.iter().filter(|d| d.seconds > 0).count(),
        hours: fmt_hours(preview.requested_seconds),
        balance: balance_text(type_name, preview.balance.as_ref()),
        overlaps: overlap_lines(&preview.overlaps),
    }
}

/// "Show the balance" (nothing written) or "Ask": asked, back to the page; refused, the form with
/// each refusal beside its field.
async fn ask(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin: user, form } = signed;
    let id: EmployeeId = parse_id(&id)?;
    user.employee(id)?;
    let mut typed = AskForm::typed(&form);
    let only_preview = form.get("action") == "preview";
    let auth = user.auth();
    let caller = Caller::User(auth.scope());
    let now = Utc::now();
    let result = match typed.body(id) {
        Err(errors) => Err((StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Ok(body) => {
            let done = if only_preview {
                timeoff::preview_request(&*state.store, caller, &body, now).await.map(Some)
            } else {
                timeoff::ask(&*state.store, caller, &body, now).await.map(|_| None)
            };
            match done {
                Ok(preview) => Ok(preview),
                Err(error) => Err(FormErrors::from_error(error.into())?),
            }
        }
    };
    match result {
        Ok(None) => Ok(see_other(&format!("/admin/employees/{id}/time-off?asked=1"))),
        Ok(Some(preview)) => {
            let types = timeoff::types(&*state.store, user.company_id(), now).await?;
            let name = types.iter().find(|t| t.id.to_string() == typed.type_id).map(|t| t.name.as_str().to_owned()).unwrap_or_default();
            let forms = Forms { preview: Some(preview_view(&preview, &name)), ask: typed, adjust: None };
            Ok(render(StatusCode::OK, &employee_time_off(&state, &user, id, forms, None).await?))
        }
        Err((status, errors)) => {
            typed.errors = errors.shown_on(&["type_id", "first", "last", "hours", "note"]);
            let forms = Forms { ask: typed, preview: None, adjust: None };
            Ok(render(status, &employee_time_off(&state, &user, id, forms, None).await?))
        }
    }
}

/// A starting balance or an adjustment, with its reason (admins only).
async fn adjust(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: EmployeeId = parse_id(&id)?;
    let mut typed = AdjustForm::typed(&form);
    let refused = match typed.type_id.parse::<TimeOffTypeId>() {
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.fields.push(("type_id".into(), "Choose a type that keeps a balance.".to_owned()));
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        Ok(type_id) => {
            let body = AdjustBody {
                type_id,
                kind: if typed.starting { AdjustmentKind::Starting } else { AdjustmentKind::Adjustment },
                hours: typed.hours.clone(),
                reason: typed.reason.clone(),
                date: Some(typed.date.clone()),
            };
            let auth = admin.auth();
            match timeoff::adjust(&*state.store, auth.scope(), id, &body, Utc::now()).await {
                Ok(_) => return Ok(see_other(&format!("/admin/employees/{id}/time-off?adjusted=1"))),
                Err(error) => FormErrors::from_error(error.into())?,
            }
        }
    };
    let (status, errors) = refused;
    typed.errors = errors.shown_on(&["type_id", "hours", "date", "reason"]);
    let forms = Forms { ask: AskForm::default(), preview: None, adjust: Some(typed) };
    Ok(render(status, &employee_time_off(&state, &admin, id, forms, None).await?))
}

// ---------------------------------------------------------------------------------------------
// Holidays

struct HolidayRow {
    date: String,
    day: String,
    name: String,
    hours: String,
}

/// The "add a holiday" form, as typed.
#[derive(Default)]
struct HolidayForm {
    date: String,
    name: String,
    hours: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    layout: Layout,
    year: i32,
    holidays: Vec<HolidayRow>,
    add: HolidayForm,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
    saved: Option<String>,
}

async fn holidays(state: &AppState, admin: &AdminSession, year: i32, add: HolidayForm) -> Result<HolidaysPage, PageError> {
    let calendar = timeoff::holidays(&*state.store, admin.company_id(), year).await?;
    Ok(HolidaysPage {
        layout: Layout::new(admin, "time-off", words::en("holidays.title")),
        year,
        holidays: calendar
            .holidays
            .iter()
            .map(|h| HolidayRow { date: h.date.to_string(), day: day_text(h.date), name: h.name.clone(), hours: fmt_hours(h.paid_seconds) })
            .collect(),
        add,
        notice: None,
    })
}

async fn holidays_page(State(state): State<AppState>, admin: AdminSession, Query(query): Query<YearQuery>) -> Result<Response, PageError> {
    let year = query.year.unwrap_or_else(|| Utc::now().with_timezone(&admin.company.time_zone).year());
    let add = HolidayForm { hours: "8".to_owned(), ..HolidayForm::default() };
    let mut page = holidays(&state, &admin, year, add).await?;
    page.notice = query.saved.is_some().then_some("Saved. Time cards show the company's holidays, and whole-day requests skip them.");
    Ok(render(StatusCode::OK, &page))
}

async fn add_holiday(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let input = HolidayInput {
        date: form.get("date").trim().to_owned(),
        name: form.get("name").to_owned(),
        hours: form.get("hours").trim().to_owned(),
    };
    let auth = admin.auth();
    match timeoff::add_holiday(&*state.store, auth.scope(), &input, Utc::now()).await {
        Ok(calendar) => Ok(see_other(&format!("/admin/time-off/holidays?year={}&saved=1", calendar.year))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            let year = form.get("year").parse().unwrap_or_else(|_| Utc::now().year());
            let add =
                HolidayForm { date: input.date, name: input.name, hours: input.hours, errors: errors.shown_on(&["date", "name", "hours"]) };
            Ok(render(status, &holidays(&state, &admin, year, add).await?))
        }
    }
}

async fn remove_holiday(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let date = NaiveDate::parse_from_str(form.get("date"), "%Y-%m-%d").map_err(|_| PageError(ApiError::not_found("no such holiday")))?;
    let auth = admin.auth();
    timeoff::remove_holiday(&*state.store, auth.scope(), date).await?;
    Ok(see_other(&format!("/admin/time-off/holidays?year={}&saved=1", date.year())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_s_days_read_as_dates() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        assert_eq!(span_text(&RequestSpan::Days { first: d(14), last: d(14) }), "Mon 14 Dec 2026");
        assert_eq!(span_text(&RequestSpan::Days { first: d(14), last: d(15) }), "Mon 14 Dec 2026 – Tue 15 Dec 2026");
        assert_eq!(span_text(&RequestSpan::Hours { date: d(16), seconds: 4 * 3600 }), "Wed 16 Dec 2026, part of the day");
        let b = BalancePreview { before_seconds: 40 * 3600, requested_seconds: 16 * 3600, after_seconds: 24 * 3600 };
        assert_eq!(balance_text("Vacation", Some(&b)), "Vacation balance: 40.00 h before, 24.00 h after (this request takes 16.00 h)");
        assert_eq!(balance_text("Unpaid", None), "Unpaid keeps no balance");
    }
}
