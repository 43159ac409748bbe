//! Payroll pages: the pay period overview (every employee's regular, overtime and double-time
//! hours, flags, approval; approve a card or the period, reopen with a reason, export in each
//! payroll system's layout, told when the period was exported before) and the payroll settings
//! (pay period, workweek, overtime rule, meal deduction, export codes, and the time-off types'
//! forms of [`super::timeoff_types`]), and job costing (the
//! period's hours by job and cost code, with the employees under each, filtered to one job, and
//! its CSV). They call the same use cases as the API (`clockface_app::payroll`).

use super::devices::local;
use super::timeoff_types::{self, TypeForm, ACCRUALS};
use super::{hours, render, see_other, AdminSession, FormErrors, Layout, PageError, SignedForm, UserSession};
use crate::admin::words::{self, Words};
use crate::payroll::{costing_csv_response, file_response};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};
use clockface_app::payroll::{
    approve, approved_periods_affected, changes_since_export, costing_for, make_export, not_approved, open_cards, overview_for, period_of,
    reopen, save_settings, AffectedPeriod, OverviewRow, SettingsBody,
};
use clockface_domain::export::{ExportChange, ExportFormat};
use clockface_domain::ids::EmployeeId;
use clockface_domain::payroll::{weekday_str, ExportCodes, OvertimeRule, PayFrequency, PayHours};
use clockface_domain::timeoff::TimeOffKind;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/payroll", get(overview_page))
        .route("/admin/payroll/approve", post(approve_form))
        .route("/admin/payroll/reopen", post(reopen_form))
        .route("/admin/payroll/export", post(export_form))
        .route("/admin/payroll/settings", get(settings_page).post(save_settings_form))
        .route("/admin/payroll/costing", get(costing_page))
        .route("/admin/payroll/costing.csv", get(costing_download))
}

struct Row {
    employee_id: String,
    name: String,
    number: String,
    regular: String,
    overtime: String,
    double_time: String,
    total: String,
    meal: Option<String>,
    missing: usize,
    photos: usize,
    corrections: usize,
    late: usize,
    approved: Option<String>,
    /// How today's count differs from the approved figures, when it does.
    changed: Option<String>,
    card: String,
}

/// Hours by pay rate in words, e.g. `32:00 regular, 2:30 overtime, 0:00 double time`.
/// An employee's change since the last export in words: `Ada: 8:00 regular, … → …`, and their
/// paid time off when it changed.
fn change_words(c: &ExportChange) -> String {
    let mut text = format!("{}: {} → {}", c.name, pay_words(c.before), pay_words(c.now));
    if c.time_off_before_seconds != c.time_off_now_seconds {
        let (before, now) = (hours(c.time_off_before_seconds), hours(c.time_off_now_seconds));
        text.push_str(&format!("; {} {before} → {now}", words::en("payroll.paid_time_off")));
    }
    text
}

pub fn pay_words(pay: PayHours) -> String {
    format!(
        "{} {}, {} {}, {} {}",
        hours(pay.regular_seconds),
        words::en("payroll.regular_hours"),
        hours(pay.overtime_seconds),
        words::en("payroll.overtime_hours"),
        hours(pay.double_time_seconds),
        words::en("payroll.double_time_hours")
    )
}

#[derive(Template)]
#[template(path = "admin/payroll.html")]
struct OverviewPage {
    layout: Layout,
    period: String,
    start: String,
    prev: String,
    next: String,
    rows: Vec<Row>,
    regular: String,
    overtime: String,
    double_time: String,
    /// The grand total of every row's hours.
    total: String,
    approved: Option<String>,
    exports: Vec<String>,
    /// Each employee whose hours differ from the latest export's: `name: before → now`.
    changed_since_export: Vec<String>,
    formats: Vec<(&'static str, &'static str)>,
    /// Cards with open flags (missing punches, shifts in progress, photos to check, late punches).
    open: Vec<OpenCardView>,
    /// The period approval was asked for while cards have open flags: list them and ask.
    confirm_approve: bool,
    /// An export that needs a word first (the period is not approved, or this file was made before).
    confirm_export: Option<ConfirmExport>,
    /// The company exports only approved periods.
    require_approval: bool,
    /// A refused reopening, shown beside the reason it was typed in (kept), with the form open.
    reopen: Option<ReopenAnswer>,
    error: Option<String>,
    notice: Option<String>,
}

/// A reopening refused: whose card (empty: the period's), what was typed, and why not.
struct ReopenAnswer {
    employee: String,
    reason: String,
    error: String,
}

impl OverviewPage {
    /// The refused reopening, when it is of the form for `employee` (empty: the period's form).
    fn reopen_of(&self, employee: &str) -> Option<&ReopenAnswer> {
        self.reopen.as_ref().filter(|r| r.employee == employee)
    }
}

/// A card with open flags as the page lists it, with a link to the card.
struct OpenCardView {
    name: String,
    flags: String,
    card: String,
}

/// An export to confirm: which, and why it is worth a second thought.
struct ConfirmExport {
    format: &'static str,
    label: &'static str,
    /// Each reason as a sentence, e.g. `Exported before on Tue 1 Dec 2026 14:03 (may count the hours twice).`
    reasons: Vec<String>,
    /// How many files of this format there were when asked: a yes is for that many.
    seen: usize,
}

#[derive(Deserialize)]
struct PeriodQuery {
    date: Option<String>,
    done: Option<String>,
}

async fn overview_page(State(state): State<AppState>, admin: UserSession, Query(q): Query<PeriodQuery>) -> Result<Response, PageError> {
    let date = q.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let notice = match q.done.as_deref() {
        Some("card") => Some("Card approved: it is locked for corrections.".to_owned()),
        Some("period") => Some("Pay period approved for payroll: every card in it is locked.".to_owned()),
        Some("reopened") => Some("Reopened: corrections are taken again.".to_owned()),
        _ => None,
    };
    let page = build(&state, &admin, date, None, notice).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The overview built for a form's answer: the period of `start`, with an error or a question.
async fn answer(state: &AppState, admin: &UserSession, start: NaiveDate, error: Option<String>) -> Result<OverviewPage, PageError> {
    build(state, admin, Some(start), error, None).await
}

async fn build(
    state: &AppState,
    admin: &UserSession,
    date: Option<NaiveDate>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<OverviewPage, PageError> {
    let zone = admin.company.time_zone;
    let auth = admin.auth();
    let o = overview_for(&*state.store, auth.scope(), date, Utc::now()).await?;
    let period = o.period;
    let schedule = o.settings.schedule;
    let rows = o
        .rows
        .iter()
        .map(|r| Row {
            employee_id: r.employee.id.to_string(),
            name: r.employee.name.as_str().to_owned(),
            number: r.employee.number.as_str().to_owned(),
            regular: hours(r.pay.regular_seconds),
            overtime: hours(r.pay.overtime_seconds),
            double_time: hours(r.pay.double_time_seconds),
            total: hours(r.seconds),
            meal: (r.meal_deducted_seconds > 0).then(|| hours(r.meal_deducted_seconds)),
            missing: r.missing_punches,
            photos: r.photo_issues,
            corrections: r.corrections,
            late: r.arrived_after_approval,
            approved: r.approval.as_ref().map(|a| local(a.approved_at, zone)),
            changed: r.changed_since_approval.iter().find(|c| c.date.is_none()).map(|c| {
                format!(
                    "{} {}; {} {}",
                    words::en("payroll.approved_as"),
                    pay_words(c.approved),
                    words::en("payroll.counted_now_as"),
                    pay_words(c.now)
                )
            }),
            card: format!("/admin/time-cards?employee={}&from={}", r.employee.id, period.start),
        })
        .collect();
    Ok(OverviewPage {
        layout: Layout::new(admin, "payroll", words::en("payroll.pay_period")),
        period: format!("{} – {}", period.start.format("%a %-d %b"), period.end.format("%a %-d %b %Y")),
        start: period.start.to_string(),
        prev: format!("/admin/payroll?date={}", schedule.previous(period).start),
        next: format!("/admin/payroll?date={}", schedule.next(period).start),
        rows,
        regular: hours(o.totals.regular_seconds),
        overtime: hours(o.totals.overtime_seconds),
        double_time: hours(o.totals.double_time_seconds),
        total: hours(o.totals.total()),
        approved: o.approvals.period.as_ref().map(|a| local(a.approved_at, zone)),
        exports: o
            .exports
            .iter()
            .map(|e| {
                let label = ExportFormat::parse(&e.format).map_or(e.format.as_str(), |f| f.label());
                format!("{label}, {}", local(e.exported_at, zone))
            })
            .collect(),
        changed_since_export: {
            let now: Vec<_> = o.rows.iter().filter(|r| r.is_exported()).map(OverviewRow::exported).collect();
            changes_since_export(&o.exports, &now).iter().map(change_words).collect()
        },
        formats: ExportFormat::ALL.iter().map(|f| (f.as_str(), f.label())).collect(),
        open: open_cards(&o)
            .into_iter()
            .map(|c| OpenCardView {
                name: c.name,
                flags: c.flags.describe(),
                card: format!("/admin/time-cards?employee={}&from={}", c.employee_id, period.start),
            })
            .collect(),
        confirm_approve: false,
        confirm_export: None,
        require_approval: o.settings.require_approval_before_export,
        reopen: None,
        error,
        notice,
    })
}

fn form_date(form: &super::FormData) -> Result<NaiveDate, PageError> {
    NaiveDate::parse_from_str(form.get("start"), "%Y-%m-%d").map_err(|_| PageError(ApiError::not_found("no such pay period")))
}

fn form_employee(form: &super::FormData) -> Result<Option<EmployeeId>, PageError> {
    match form.get("employee") {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| PageError(ApiError::not_found("no such employee"))),
    }
}

/// Where to go back after a card's approval: the card, when the form came from it.
fn back(form: &super::FormData, start: NaiveDate, done: &str) -> String {
    match form.get("back") {
        b if b.starts_with("/admin/time-cards?") => b.to_owned(),
        _ => format!("/admin/payroll?date={start}&done={done}"),
    }
}

/// Approves a card, or the period; a period whose cards still have open flags is approved only
/// once the admin saw them listed and said so (the list, with links to the cards, and a button).
async fn approve_form(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let start = form_date(&form)?;
    let employee = form_employee(&form)?;
    let (period, _) = period_of(&*state.store, admin.company_id(), Some(start), Utc::now()).await?;
    let auth = admin.auth();
    match approve(&*state.store, auth.scope(), period, employee, form.get("acknowledge_flags") == "yes", Utc::now())
        .await
        .map_err(ApiError::from)
    {
        Ok(()) => Ok(see_other(&back(&form, period.start, if employee.is_some() { "card" } else { "period" }))),
        Err(error) if error.code == "open_flags" => {
            let mut page = answer(&state, &admin, period.start, None).await?;
            page.confirm_approve = true;
            Ok(render(error.status, &page))
        }
        Err(error) if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND => {
            let status = error.status;
            Ok(render(status, &answer(&state, &admin, period.start, Some(super::in_words(&error))).await?))
        }
        Err(error) => Err(PageError(error)),
    }
}

async fn reopen_form(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let start = form_date(&form)?;
    let employee = form_employee(&form)?;
    let (period, _) = period_of(&*state.store, admin.company_id(), Some(start), Utc::now()).await?;
    let auth = admin.auth();
    match reopen(&*state.store, auth.scope(), period, employee, form.get("reason")).await.map_err(ApiError::from) {
        Ok(()) => Ok(see_other(&format!("/admin/payroll?date={}&done=reopened", period.start))),
        Err(error) if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND => {
            let mut page = answer(&state, &admin, period.start, None).await?;
            page.reopen = Some(ReopenAnswer {
                employee: employee.map(|e| e.to_string()).unwrap_or_default(),
                reason: form.get("reason").to_owned(),
                error: super::in_words(&error),
            });
            Ok(render(error.status, &page))
        }
        Err(error) => Err(PageError(error)),
    }
}

/// Exports the period. Before a file that deserves a second thought (the period is not approved
/// for payroll yet, or the same file was exported before) the page says why and asks; the
/// answer (`confirm=yes`) downloads it. A company that requires approval gets no file for an
/// unapproved period, and the page says why.
async fn export_form(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let start = form_date(&form)?;
    let (period, zone) = period_of(&*state.store, admin.company_id(), Some(start), Utc::now()).await?;
    let format = match ExportFormat::parse(form.get("format")) {
        Ok(format) => format,
        Err(e) => {
            let message = FormErrors::from_error(e.into())?.1.fields.into_iter().map(|(_, m)| m).next();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &answer(&state, &admin, start, message).await?));
        }
    };
    let company = admin.company_id();
    let approved = state.store.approvals(company, period).await?.period.is_some();
    if !approved && state.store.payroll_settings(company).await?.require_approval_before_export {
        let error = ApiError::from(not_approved(period));
        return Ok(render(error.status, &answer(&state, &admin, start, Some(super::in_words(&error))).await?));
    }
    let mut reasons = Vec::new();
    if !approved {
        reasons.push(words::en("payroll.export_not_approved").to_owned());
    }
    let before: Vec<String> = state
        .store
        .exports(company, period)
        .await?
        .iter()
        .filter(|e| e.format == format.as_str())
        .map(|e| local(e.exported_at, zone))
        .collect();
    if !before.is_empty() {
        reasons.push(format!("{} {} {}", words::en("payroll.exported_before_on"), before.join(", "), words::en("payroll.may_count_twice")));
    }
    // A yes counts for what was asked about: once this file was made again since (a second
    // click on the same page), the page asks again.
    let answered = form.get("confirm") == "yes" && form.get("seen") == before.len().to_string();
    if !reasons.is_empty() && !answered {
        let mut page = answer(&state, &admin, start, None).await?;
        page.confirm_export = Some(ConfirmExport { format: format.as_str(), label: format.label(), reasons, seen: before.len() });
        return Ok(render(StatusCode::OK, &page));
    }
    match make_export(&*state.store, admin.company_id(), admin.session.admin_id, period, zone, format, Utc::now())
        .await
        .map_err(ApiError::from)
    {
        Ok(made) => Ok(file_response(made)),
        Err(error) if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND => {
            let status = error.status;
            Ok(render(status, &answer(&state, &admin, start, Some(super::in_words(&error))).await?))
        }
        Err(error) => Err(PageError(error)),
    }
}

#[derive(Template)]
#[template(path = "admin/payroll_settings.html")]
struct SettingsPage {
    layout: Layout,
    s: SettingsBody,
    /// What the meal break's two boxes show: the saved minutes, what was typed (kept even with the
    /// deduction unticked), or the usual 360 and 30.
    meal_after: String,
    meal_minutes: String,
    frequencies: Vec<(&'static str, &'static str)>,
    rules: Vec<(&'static str, &'static str)>,
    days: Vec<&'static str>,
    /// What was refused, beside each field (and above the form for what no field shows).
    errors: FormErrors,
    saved: bool,
    /// Approved periods the typed settings would count differently: shown before saving, with a
    /// box to tick to save anyway.
    affected: Vec<AffectedView>,
    /// The company's time-off types, each in its form, then the form that adds one.
    types: Vec<TypeForm>,
    kinds: Vec<(&'static str, &'static str)>,
    accruals: Vec<(&'static str, &'static str)>,
    type_saved: bool,
}

/// An approved period a settings change would count differently, as the settings page lists it.
struct AffectedView {
    period: String,
    for_payroll: bool,
    /// `Grace Hopper: approved 34:30 regular, …; now 32:00 regular, …`.
    cards: Vec<String>,
}

fn affected_views(affected: &[AffectedPeriod]) -> Vec<AffectedView> {
    affected
        .iter()
        .map(|a| AffectedView {
            period: format!("{} – {}", a.period.start.format("%a %-d %b"), a.period.end.format("%a %-d %b %Y")),
            for_payroll: a.approved_for_payroll,
            cards: a
                .cards
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} {}; {} {}",
                        c.name,
                        words::en("payroll.approved_as"),
                        pay_words(c.approved),
                        words::en("payroll_settings.would_be"),
                        pay_words(c.under_new_settings)
                    )
                })
                .collect(),
        })
        .collect()
}

/// The fields the settings form shows, each with its refusal beside it.
const SETTINGS_FIELDS: &[&str] = &[
    "pay_frequency",
    "period_anchor",
    "workweek_starts",
    "overtime_rule",
    "meal_after_minutes",
    "meal_minutes",
    "adp_company_code",
    "adp_batch_id",
    "adp_double_time_code",
    "adp_run_iid",
    "adp_run_regular_code",
    "adp_run_overtime_code",
    "adp_run_double_time_code",
    "paychex_client_id",
    "paychex_regular",
    "paychex_overtime",
    "paychex_double_time",
    "quickbooks_company",
    "quickbooks_regular_item",
    "quickbooks_overtime_item",
    "quickbooks_double_time_item",
    "quickbooks_company_create_time",
];

fn settings_view(admin: &AdminSession, s: SettingsBody, errors: FormErrors, saved: bool) -> SettingsPage {
    use chrono::Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
    SettingsPage {
        layout: Layout::new(admin, "payroll", words::en("payroll.payroll_settings")),
        meal_after: s.meal_after_minutes.map_or_else(|| "360".to_owned(), |m| m.to_string()),
        meal_minutes: s.meal_minutes.map_or_else(|| "30".to_owned(), |m| m.to_string()),
        s,
        frequencies: PayFrequency::ALL.iter().map(|f| (f.as_str(), f.label())).collect(),
        rules: OvertimeRule::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        days: [Mon, Tue, Wed, Thu, Fri, Sat, Sun].into_iter().map(weekday_str).collect(),
        errors: errors.shown_on(SETTINGS_FIELDS),
        saved,
        affected: Vec::new(),
        types: Vec::new(),
        kinds: TimeOffKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        accruals: ACCRUALS.iter().map(|(value, key)| (*value, words::en(key))).collect(),
        type_saved: false,
    }
}

/// Renders the settings page with the company's time-off types in their forms (`refused`, one
/// just sent back with its refusals, in its place).
async fn render_settings(
    state: &AppState,
    admin: &AdminSession,
    mut page: SettingsPage,
    refused: Option<TypeForm>,
    status: StatusCode,
) -> Result<Response, PageError> {
    page.types = timeoff_types::forms(state, admin, refused).await?;
    Ok(render(status, &page))
}

/// The settings page as saved, with a time-off type's form sent back refused.
pub async fn settings_with_refused_type(
    state: &AppState,
    admin: &AdminSession,
    refused: TypeForm,
    status: StatusCode,
) -> Result<Response, PageError> {
    let s = SettingsBody::from(&state.store.payroll_settings(admin.company_id()).await?);
    render_settings(state, admin, settings_view(admin, s, FormErrors::default(), false), Some(refused), status).await
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
    type_saved: Option<String>,
}

async fn settings_page(State(state): State<AppState>, admin: AdminSession, Query(q): Query<SavedQuery>) -> Result<Response, PageError> {
    let s = SettingsBody::from(&state.store.payroll_settings(admin.company_id()).await?);
    let mut page = settings_view(&admin, s, FormErrors::default(), q.saved.is_some());
    page.type_saved = q.type_saved.is_some();
    render_settings(&state, &admin, page, None, StatusCode::OK).await
}

async fn save_settings_form(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let text = |name: &str| form.get(name).trim().to_owned();
    let minutes = |name: &str| -> Option<i64> { form.get(name).trim().parse().ok() };
    let meal_on = form.get("meal") == "on";
    let anchor = NaiveDate::parse_from_str(form.get("period_anchor").trim(), "%Y-%m-%d");
    let typed = SettingsBody {
        pay_frequency: text("pay_frequency"),
        period_anchor: anchor.unwrap_or_default(),
        workweek_starts: text("workweek_starts"),
        overtime_rule: text("overtime_rule"),
        meal_after_minutes: if meal_on { minutes("meal_after_minutes").or(Some(0)) } else { None },
        meal_minutes: if meal_on { minutes("meal_minutes").or(Some(0)) } else { None },
        breaks_paid: form.get("breaks_paid") == "on",
        codes: ExportCodes {
            adp_company_code: text("adp_company_code"),
            adp_batch_id: text("adp_batch_id"),
            adp_double_time_code: text("adp_double_time_code"),
            adp_run_iid: text("adp_run_iid"),
            adp_run_regular_code: text("adp_run_regular_code"),
            adp_run_overtime_code: text("adp_run_overtime_code"),
            adp_run_double_time_code: text("adp_run_double_time_code"),
            paychex_client_id: text("paychex_client_id"),
            paychex_regular: text("paychex_regular"),
            paychex_overtime: text("paychex_overtime"),
            paychex_double_time: text("paychex_double_time"),
            quickbooks_company: text("quickbooks_company"),
            quickbooks_regular_item: text("quickbooks_regular_item"),
            quickbooks_overtime_item: text("quickbooks_overtime_item"),
            quickbooks_double_time_item: text("quickbooks_double_time_item"),
            quickbooks_company_create_time: text("quickbooks_company_create_time"),
        },
        require_approval_before_export: form.get("require_approval_before_export") == "on",
        keep_approved_figures: form.get("keep_approved_figures") == "on",
    };
    // Every field is checked at once, so that a form with two mistakes says both.
    let parsed = match (anchor, typed.parse()) {
        (Ok(_), parsed) => parsed.map_err(ApiError::from),
        (Err(_), parsed) => {
            let mut checks = crate::error::Checks::default();
            checks.push(clockface_domain::DomainError::invalid("period_anchor", "give the first day of a two-week period as a date"));
            if let Err(e) = parsed {
                checks.push(e);
            }
            Err(checks.refused())
        }
    };
    let result = match parsed {
        Ok(settings) => {
            save_settings(&*state.store, admin.company_id(), admin.session.admin_id, &settings, typed.keep_approved_figures, Utc::now())
                .await
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/admin/payroll/settings?saved=1")),
        Err(error) if error.code == "approved_periods_affected" => {
            // Say which approved cards would count differently, and ask before saving.
            let affected: Vec<AffectedPeriod> = match typed.parse() {
                Ok(settings) => {
                    let old = state.store.payroll_settings(admin.company_id()).await?;
                    approved_periods_affected(&*state.store, admin.company_id(), &old, &settings, Utc::now()).await?
                }
                Err(e) => return Err(PageError(e.into())),
            };
            let errors =
                FormErrors { form: Some(words::en("payroll_settings.approved_periods_affected").to_owned()), ..FormErrors::default() };
            let mut page = settings_view(&admin, typed, errors, false);
            page.affected = affected_views(&affected);
            keep_meal_typed(&mut page, &form);
            render_settings(&state, &admin, page, None, error.status).await
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let mut page = settings_view(&admin, typed, errors, false);
            keep_meal_typed(&mut page, &form);
            render_settings(&state, &admin, page, None, status).await
        }
    }
}

/// The meal break's boxes as they were typed, ticked or not.
fn keep_meal_typed(page: &mut SettingsPage, form: &super::FormData) {
    page.meal_after = form.get("meal_after_minutes").to_owned();
    page.meal_minutes = form.get("meal_minutes").to_owned();
}

struct CostingEmployeeRow {
    name: String,
    number: String,
    regular: String,
    overtime: String,
    double_time: String,
    total: String,
    time_off: String,
    card: String,
}

struct CostingRow {
    /// `J-100 Depot`, or `No job`.
    job: String,
    /// `03-100 Concrete forms`, or none.
    cost_code: Option<String>,
    regular: String,
    overtime: String,
    double_time: String,
    total: String,
    time_off: String,
    employees: Vec<CostingEmployeeRow>,
}

#[derive(Template)]
#[template(path = "admin/job_costing.html")]
struct CostingPage {
    layout: Layout,
    period: String,
    /// The period's first day, for the filter form and the download.
    date: String,
    prev: String,
    next: String,
    /// The filter's value: empty (all jobs), a job id, or `none`.
    job: String,
    /// (value, label) for the filter's options.
    jobs: Vec<(String, String)>,
    /// The name of the job filtered to, if any.
    filtered: Option<String>,
    rows: Vec<CostingRow>,
    regular: String,
    overtime: String,
    double_time: String,
    total: String,
    /// Paid time off (on no job): its column is shown only when there is some.
    with_time_off: bool,
    time_off: String,
    download: String,
}

#[derive(Deserialize)]
struct CostingQuery {
    date: Option<String>,
    job: Option<String>,
}

impl CostingQuery {
    fn date(&self) -> Option<NaiveDate> {
        self.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }

    /// The job filter as typed; an empty one is every job.
    fn job(&self) -> Option<&str> {
        self.job.as_deref().map(str::trim).filter(|j| !j.is_empty())
    }
}

fn period_link(path: &str, date: NaiveDate, job: &str) -> String {
    if job.is_empty() {
        format!("{path}?date={date}")
    } else {
        format!("{path}?date={date}&job={job}")
    }
}

async fn costing_page(State(state): State<AppState>, user: UserSession, Query(q): Query<CostingQuery>) -> Result<Response, PageError> {
    let auth = user.auth();
    let (costing, o) = costing_for(&*state.store, auth.scope(), q.date(), q.job(), Utc::now()).await?;
    let period = costing.period;
    let schedule = o.settings.schedule;
    let job = q.job().unwrap_or_default().to_owned();
    let mut jobs: Vec<_> = o.jobs.values().collect();
    jobs.sort_by(|a, b| a.number.as_str().cmp(b.number.as_str()));
    let label = |number: &str, name: &str| format!("{number} {name}");
    let filtered = match job.as_str() {
        "" => None,
        "none" => Some(words::en("job_costing.no_job").to_owned()),
        id => jobs.iter().find(|j| j.id.to_string() == id).map(|j| label(j.number.as_str(), &j.name)),
    };
    let mut options = vec![(String::new(), words::en("job_costing.all_jobs").to_owned())];
    options.extend(jobs.iter().map(|j| (j.id.to_string(), label(j.number.as_str(), &j.name))));
    options.push(("none".to_owned(), words::en("job_costing.no_job").to_owned()));
    let rows = costing
        .groups
        .iter()
        .map(|g| CostingRow {
            job: g.job.as_ref().map_or_else(|| words::en("job_costing.no_job").to_owned(), |j| label(j.number.as_str(), &j.name)),
            cost_code: g.cost_code.as_ref().map(|c| label(c.number.as_str(), &c.name)),
            regular: hours(g.pay.regular_seconds),
            overtime: hours(g.pay.overtime_seconds),
            double_time: hours(g.pay.double_time_seconds),
            total: hours(g.pay.total()),
            time_off: hours(g.time_off_seconds),
            employees: g
                .employees
                .iter()
                .map(|e| CostingEmployeeRow {
                    name: e.employee.name.as_str().to_owned(),
                    number: e.employee.number.as_str().to_owned(),
                    regular: hours(e.pay.regular_seconds),
                    overtime: hours(e.pay.overtime_seconds),
                    double_time: hours(e.pay.double_time_seconds),
                    total: hours(e.pay.total()),
                    time_off: hours(e.time_off_seconds),
                    card: format!("/admin/time-cards?employee={}&from={}", e.employee.id, period.start),
                })
                .collect(),
        })
        .collect();
    let page = CostingPage {
        layout: Layout::new(&user, "payroll", words::en("job_costing.job_costing")),
        period: format!("{} – {}", period.start.format("%a %-d %b"), period.end.format("%a %-d %b %Y")),
        date: period.start.to_string(),
        prev: period_link("/admin/payroll/costing", schedule.previous(period).start, &job),
        next: period_link("/admin/payroll/costing", schedule.next(period).start, &job),
        download: period_link("/admin/payroll/costing.csv", period.start, &job),
        job,
        jobs: options,
        filtered,
        rows,
        regular: hours(costing.totals.regular_seconds),
        overtime: hours(costing.totals.overtime_seconds),
        double_time: hours(costing.totals.double_time_seconds),
        total: hours(costing.totals.total()),
        with_time_off: costing.time_off_seconds != 0,
        time_off: hours(costing.time_off_seconds),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn costing_download(State(state): State<AppState>, user: UserSession, Query(q): Query<CostingQuery>) -> Result<Response, PageError> {
    let auth = user.auth();
    let (costing, _) = costing_for(&*state.store, auth.scope(), q.date(), q.job(), Utc::now()).await?;
    Ok(costing_csv_response(&costing))
}
