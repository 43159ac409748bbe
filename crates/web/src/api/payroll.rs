//! Payroll over the API: the company's payroll settings, the pay period overview, approvals
//! (an employee's card, then the period; each locks corrections) and reopening with a reason,
//! the period's export in each payroll system's layout, and its job costing (hours by job and
//! cost code, as JSON or CSV).

use crate::api::timecards::card_rules;
use crate::auth::{AdminAuth, UserAuth};
use crate::error::{Checks, ErrorBody, Json, Path, Query};
use crate::payroll::{
    costing_csv, export_file, job_costing, not_approved, open_cards, overview, overview_under, Costing, JobFilter, Overview,
};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use clockface_app::audit::audit_entry;
use clockface_domain::employee::Employee;
use clockface_domain::export::ExportFormat;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::payroll::{
    parse_weekday, weekday_str, ExportCodes, MealDeduction, OvertimeRule, PayFrequency, PayHours, PayPeriod, PaySchedule, PayrollSettings,
};
use clockface_domain::DomainError;
use clockface_store::{Approval, ApprovalOf, ExportRecord, NewApproval, StoreError};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(get_period))
        .routes(routes!(post_approve))
        .routes(routes!(post_reopen))
        .routes(routes!(get_export))
        .routes(routes!(get_costing))
        .routes(routes!(get_costing_csv))
}

/// Payroll settings as the API reads and writes them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// `weekly`, `biweekly`, `semimonthly` or `monthly`.
    pub pay_frequency: String,
    /// The first day of any one two-week period (YYYY-MM-DD; used by `biweekly`).
    pub period_anchor: NaiveDate,
    /// The workweek's first day: `Mon` .. `Sun`.
    pub workweek_starts: String,
    /// `federal`, `california` or `none`.
    pub overtime_rule: String,
    /// Deduct `meal_minutes` from every shift longer than this many minutes; leave both out for none.
    pub meal_after_minutes: Option<i64>,
    pub meal_minutes: Option<i64>,
    /// Breaks taken on the clock (Start break to End break) are paid time. Left out: unpaid.
    #[serde(default)]
    pub breaks_paid: bool,
    /// The codes each payroll system needs.
    pub codes: ExportCodes,
    /// Refuse to export a pay period that is not approved for payroll (409 `period_not_approved`).
    /// Left out: false, and an unapproved period exports.
    #[serde(default)]
    pub require_approval_before_export: bool,
    /// Save although approved cards would count differently under these settings (the answer
    /// without it is a 409 `approved_periods_affected` listing them). They keep the figures they
    /// were approved with until they are reopened. Never sent back.
    #[serde(default, skip_serializing)]
    pub keep_approved_figures: bool,
}

impl From<&PayrollSettings> for SettingsBody {
    fn from(s: &PayrollSettings) -> Self {
        SettingsBody {
            pay_frequency: s.schedule.frequency.as_str().to_owned(),
            period_anchor: s.schedule.anchor,
            workweek_starts: weekday_str(s.schedule.workweek_starts).to_owned(),
            overtime_rule: s.overtime.as_str().to_owned(),
            meal_after_minutes: s.meal.map(|m| m.after_minutes),
            meal_minutes: s.meal.map(|m| m.minutes),
            breaks_paid: s.breaks_paid,
            codes: s.codes.clone(),
            require_approval_before_export: s.require_approval_before_export,
            keep_approved_figures: false,
        }
    }
}

impl SettingsBody {
    /// The settings, checked; each wrong value is named by its field, all of them at once.
    pub fn parse(&self) -> Result<PayrollSettings, ApiError> {
        let mut checks = Checks::default();
        let meal = match (self.meal_after_minutes, self.meal_minutes) {
            (None, None) => None,
            (Some(after), Some(minutes)) => checks.take(MealDeduction::new(after, minutes)),
            (None, Some(_)) => {
                checks.push(DomainError::invalid("meal_after_minutes", "give the shift length after which the meal is deducted"));
                None
            }
            (Some(_), None) => {
                checks.push(DomainError::invalid("meal_minutes", "give how many minutes to deduct"));
                None
            }
        };
        let adp = self.codes.adp_company_code.trim();
        if !adp.is_empty() && adp.chars().count() != 3 {
            checks.push(DomainError::invalid("adp_company_code", "ADP company codes are 3 characters"));
        }
        if self.codes.paychex_client_id.trim().chars().count() > 8 {
            checks.push(DomainError::invalid("paychex_client_id", "Paychex client ids are at most 8 characters"));
        }
        let create_time = self.codes.quickbooks_company_create_time.trim();
        if !create_time.is_empty() && (create_time.len() > 12 || !create_time.bytes().all(|b| b.is_ascii_digit())) {
            checks.push(DomainError::invalid(
                "quickbooks_company_create_time",
                "the company create time is the number (digits only) from the TIMERHDR line of a Timer list exported by QuickBooks",
            ));
        }
        let frequency = checks.take(PayFrequency::parse(self.pay_frequency.trim()));
        let workweek_starts = checks.take(parse_weekday(self.workweek_starts.trim()));
        let overtime = checks.take(OvertimeRule::parse(self.overtime_rule.trim()));
        checks.finish()?;
        let (Some(frequency), Some(workweek_starts), Some(overtime)) = (frequency, workweek_starts, overtime) else {
            return Err(Checks::default().refused());
        };
        let mut codes = self.codes.clone();
        codes.quickbooks_company_create_time = create_time.to_owned();
        Ok(PayrollSettings {
            schedule: PaySchedule { frequency, anchor: self.period_anchor, workweek_starts },
            overtime,
            meal,
            breaks_paid: self.breaks_paid,
            codes,
            require_approval_before_export: self.require_approval_before_export,
        })
    }
}

/// An approved card whose figures the new settings would count differently.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AffectedCard {
    pub employee_id: EmployeeId,
    pub name: String,
    /// The approved figures (what is paid and exported).
    pub approved: PayHours,
    /// What the new settings would count.
    pub under_new_settings: PayHours,
}

/// An approved pay period that a settings change would count differently.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AffectedPeriod {
    pub period: PayPeriod,
    /// Whether the whole period is approved for payroll (else only some cards).
    pub approved_for_payroll: bool,
    pub cards: Vec<AffectedCard>,
}

/// The approved periods whose approved figures `new` settings would count differently, oldest
/// first. Empty when the settings that count hours do not change.
pub async fn approved_periods_affected(
    state: &AppState,
    company: CompanyId,
    old: &PayrollSettings,
    new: &PayrollSettings,
) -> Result<Vec<AffectedPeriod>, ApiError> {
    if card_rules(old) == card_rules(new) {
        return Ok(Vec::new());
    }
    let zone = state.store.company(company).await?.time_zone;
    let now = Utc::now();
    let mut affected = Vec::new();
    for period in state.store.approved_periods(company).await? {
        let o = overview_under(&*state.store, company, zone, period, None, now, new.clone()).await?;
        let cards: Vec<AffectedCard> = o
            .rows
            .iter()
            .filter_map(|r| {
                let approved = r.approved.as_ref()?;
                (!approved.differences(&r.live).is_empty()).then(|| AffectedCard {
                    employee_id: r.employee.id,
                    name: r.employee.name.as_str().to_owned(),
                    approved: approved.pay,
                    under_new_settings: r.live.pay,
                })
            })
            .collect();
        if !cards.is_empty() {
            affected.push(AffectedPeriod { period, approved_for_payroll: o.approvals.period.is_some(), cards });
        }
    }
    Ok(affected)
}

/// Saves the company's payroll settings with an audit line. A change that would count an
/// approved card differently is refused (409 `approved_periods_affected`, the periods and cards
/// in `details`) unless `keep_approved` says to save anyway: approved cards then keep their
/// approved figures until they are reopened, and the audit line names the periods. Shared with
/// the settings page.
pub async fn save_settings(
    state: &AppState,
    company: CompanyId,
    admin: AdminId,
    settings: &PayrollSettings,
    keep_approved: bool,
) -> Result<Vec<AffectedPeriod>, ApiError> {
    let old = state.store.payroll_settings(company).await?;
    let affected = approved_periods_affected(state, company, &old, settings).await?;
    let periods: Vec<String> = affected.iter().map(|a| format!("{} to {}", a.period.start, a.period.end)).collect();
    if !affected.is_empty() && !keep_approved {
        let details = serde_json::to_value(&affected).map_err(ApiError::internal)?;
        return Err(ApiError::conflict(
            "approved_periods_affected",
            format!(
                "these settings would count approved cards differently in {} ({}); approved cards keep the figures they were \
                 approved with until they are reopened. Save again confirming this (keep_approved_figures), or reopen those \
                 periods first",
                if periods.len() == 1 { "one pay period" } else { "several pay periods" },
                periods.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "periods": details })));
    }
    let kept = if periods.is_empty() {
        String::new()
    } else {
        format!("; approved cards of {} keep their approved figures until reopened", periods.join(", "))
    };
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "payroll.settings_changed",
        &format!("company:{company}"),
        &format!(
            "pay {}, anchor {}, workweek from {}, overtime {}, meal {}, breaks {}, export {}{kept}",
            settings.schedule.frequency.as_str(),
            settings.schedule.anchor,
            weekday_str(settings.schedule.workweek_starts),
            settings.overtime.as_str(),
            settings.meal.map_or_else(|| "none".to_owned(), |m| format!("{} min after {} min", m.minutes, m.after_minutes)),
            if settings.breaks_paid { "paid" } else { "unpaid" },
            if settings.require_approval_before_export { "after approval only" } else { "any time" },
        ),
    );
    state.store.set_payroll_settings(company, settings, Utc::now(), &line).await?;
    Ok(affected)
}

/// The company's payroll settings: pay period, workweek, overtime rule, meal deduction, export codes.
#[utoipa::path(get, path = "/payroll/settings", tag = "payroll", security(("admin" = [])),
    responses((status = 200, body = SettingsBody)))]
async fn get_settings(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<SettingsBody>, ApiError> {
    Ok(Json(SettingsBody::from(&state.store.payroll_settings(admin.company()).await?)))
}

/// Replaces the company's payroll settings. Approved cards keep the figures they were approved
/// with: a change that would count one differently answers 409 `approved_periods_affected` with
/// `details.periods` (each period, whether it is approved for payroll, and each card's approved
/// and new hours), unless `keep_approved_figures` is true.
#[utoipa::path(put, path = "/payroll/settings", tag = "payroll", security(("admin" = [])), request_body = SettingsBody,
    responses((status = 200, body = SettingsBody), (status = 409, description = "approved cards would count differently", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<SettingsBody>,
) -> Result<Json<SettingsBody>, ApiError> {
    let settings = body.parse()?;
    save_settings(&state, admin.company(), admin.session.admin_id, &settings, body.keep_approved_figures).await?;
    Ok(Json(SettingsBody::from(&settings)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// Any day of the period (YYYY-MM-DD); today when left out.
    pub date: Option<NaiveDate>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    pub approved_by: AdminId,
    pub approved_at: chrono::DateTime<Utc>,
}

impl From<&Approval> for ApprovalView {
    fn from(a: &Approval) -> Self {
        ApprovalView { approved_by: a.approved_by, approved_at: a.approved_at }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExportView {
    pub format: String,
    pub exported_by: AdminId,
    pub exported_at: chrono::DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewLine {
    pub employee_id: EmployeeId,
    pub name: String,
    pub number: String,
    pub regular_seconds: i64,
    pub overtime_seconds: i64,
    pub double_time_seconds: i64,
    pub total_seconds: i64,
    pub meal_deducted_seconds: i64,
    pub missing_punches: usize,
    pub photo_issues: usize,
    pub corrections: usize,
    pub arrived_after_approval: usize,
    pub approval: Option<ApprovalView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewBody {
    pub period: PayPeriod,
    /// The admin's approval of the period for payroll.
    pub approval: Option<ApprovalView>,
    pub exports: Vec<ExportView>,
    pub employees: Vec<OverviewLine>,
}

impl From<&Overview> for OverviewBody {
    fn from(o: &Overview) -> Self {
        OverviewBody {
            period: o.period,
            approval: o.approvals.period.as_ref().map(Into::into),
            exports: o
                .exports
                .iter()
                .map(|e| ExportView { format: e.format.clone(), exported_by: e.exported_by, exported_at: e.exported_at })
                .collect(),
            employees: o
                .rows
                .iter()
                .map(|r| OverviewLine {
                    employee_id: r.employee.id,
                    name: r.employee.name.as_str().to_owned(),
                    number: r.employee.number.as_str().to_owned(),
                    regular_seconds: r.pay.regular_seconds,
                    overtime_seconds: r.pay.overtime_seconds,
                    double_time_seconds: r.pay.double_time_seconds,
                    total_seconds: r.seconds,
                    meal_deducted_seconds: r.meal_deducted_seconds,
                    missing_punches: r.missing_punches,
                    photo_issues: r.photo_issues,
                    corrections: r.corrections,
                    arrived_after_approval: r.arrived_after_approval,
                    approval: r.approval.as_ref().map(Into::into),
                })
                .collect(),
        }
    }
}

/// The pay period holding `date` (today by default) for the company.
pub async fn period_of(state: &AppState, company: CompanyId, date: Option<NaiveDate>) -> Result<(PayPeriod, chrono_tz::Tz), ApiError> {
    let zone = state.store.company(company).await?.time_zone;
    let settings = state.store.payroll_settings(company).await?;
    let day = date.unwrap_or_else(|| Utc::now().with_timezone(&zone).date_naive());
    Ok((settings.schedule.period_containing(day), zone))
}

/// A period named in a path by its first day: it must be the first day of one of the company's periods.
async fn period_starting(state: &AppState, company: CompanyId, start: NaiveDate) -> Result<(PayPeriod, chrono_tz::Tz), ApiError> {
    let (period, zone) = period_of(state, company, Some(start)).await?;
    if period.start != start {
        return Err(ApiError::not_found(format!("no pay period starts on {start}; the one holding it starts on {}", period.start)));
    }
    Ok((period, zone))
}

/// Every employee's regular, overtime and double-time hours for the pay period holding `date`,
/// with flags (missing punches, photos to look at, corrections, punches that arrived after
/// approval) and approvals.
#[utoipa::path(get, path = "/payroll/periods", tag = "payroll", security(("admin" = [])), params(PeriodQuery),
    responses((status = 200, body = OverviewBody)))]
async fn get_period(State(state): State<AppState>, user: UserAuth, Query(q): Query<PeriodQuery>) -> Result<Json<OverviewBody>, ApiError> {
    let (period, zone) = period_of(&state, user.company(), q.date).await?;
    let employees = employees_in_reach(&state, &user).await?;
    let o = overview(&*state.store, user.company(), zone, period, employees, Utc::now()).await?;
    Ok(Json(OverviewBody::from(&o)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The employee whose card to approve; leave out to approve the whole period for payroll.
    pub employee_id: Option<EmployeeId>,
    /// Approve the period although cards still have open flags (missing punches, shifts in
    /// progress, photos or punches to check, punches that arrived after approval). Without it such
    /// an approval answers 409 `open_flags` listing the cards in `details.cards`.
    #[serde(default)]
    pub acknowledge_flags: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub employee_id: Option<EmployeeId>,
    /// Why it is reopened: required.
    pub reason: String,
}

/// The employees an overview lists for `user`: `None` (everyone) for an admin, a supervisor's own.
pub async fn employees_in_reach(state: &AppState, user: &UserAuth) -> Result<Option<Vec<Employee>>, ApiError> {
    if user.reach.supervisor().is_none() {
        return Ok(None);
    }
    let mut employees = state.store.employees(user.company(), None).await?;
    employees.retain(|e| user.reach.includes(e.id));
    Ok(Some(employees))
}

/// Approves an employee's card (a supervisor, theirs; an admin, anyone's) or, without
/// `employee`, the period for payroll (admins only), and audits it. The approval freezes the
/// figures it approves: the card's, or for the period every card's that has none of its own.
/// A period whose cards still have open flags is approved only with `acknowledge_flags`; else
/// 409 `open_flags`, the cards in `details.cards`. Shared with the pages.
pub async fn approve(
    state: &AppState,
    user: &UserAuth,
    period: PayPeriod,
    employee: Option<EmployeeId>,
    acknowledge_flags: bool,
) -> Result<(), ApiError> {
    let (company, admin) = (user.company(), user.user());
    let listed = match employee {
        Some(employee) => {
            user.employee(employee)?;
            Some(vec![state.store.employee(company, employee).await?])
        }
        None => {
            user.require_admin("approve a pay period for payroll")?;
            None
        }
    };
    let (action, subject) = match employee {
        Some(e) => ("card.approved", format!("employee:{e}")),
        None => ("period.approved", format!("period:{}", period.start)),
    };
    let zone = state.store.company(company).await?.time_zone;
    let window = (
        crate::api::timecards::start_of_day(zone, period.start),
        crate::api::timecards::start_of_day(zone, period.end + chrono::Duration::days(1)),
    );
    // The figures are counted, then frozen in the approval's transaction, which fails when a
    // correction came in between: then they are counted again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let now = Utc::now();
        let o = overview(&*state.store, company, zone, period, listed.clone(), now).await?;
        let open = if employee.is_none() { open_cards(&o) } else { Vec::new() };
        if !open.is_empty() && !acknowledge_flags {
            let details = serde_json::to_value(&open).map_err(ApiError::internal)?;
            let named: Vec<String> = open.iter().map(|c| format!("{} ({})", c.name, c.flags.describe())).collect();
            return Err(ApiError::conflict(
                "open_flags",
                format!(
                    "{} still {} open flags: {}. Look at {} first, or approve again acknowledging them (acknowledge_flags)",
                    if open.len() == 1 { "one card".to_owned() } else { format!("{} cards", open.len()) },
                    if open.len() == 1 { "has" } else { "have" },
                    named.join("; "),
                    if open.len() == 1 { "it" } else { "them" },
                ),
            )
            .with_details(serde_json::json!({ "cards": details })));
        }
        let acknowledged = if open.is_empty() { String::new() } else { format!("; approved with open flags on {} card(s)", open.len()) };
        let figures: Vec<(EmployeeId, clockface_domain::approval::ApprovedFigures)> = o
            .rows
            .iter()
            .filter(|r| employee.is_some() || r.approval.as_ref().is_none_or(|a| a.figures.is_none()))
            .map(|r| (r.employee.id, r.live.clone()))
            .collect();
        let corrections_counted = o.corrections_counted.iter().filter(|(e, _)| employee.is_none_or(|one| one == **e)).map(|(_, n)| n).sum();
        let totals = figures.iter().fold(clockface_domain::payroll::PayHours::default(), |mut t, (_, f)| {
            t += f.pay;
            t
        });
        let line = audit_entry(
            company,
            &format!("admin:{admin}"),
            action,
            &subject,
            &format!(
                "pay period {} to {}; approved figures: {} regular, {} overtime, {} double time seconds under the {} rule{acknowledged}",
                period.start,
                period.end,
                totals.regular_seconds,
                totals.overtime_seconds,
                totals.double_time_seconds,
                o.settings.overtime.as_str()
            ),
        );
        let approval = Approval { period, window, approved_by: admin, approved_at: now, figures: None };
        let of = employee.map_or(ApprovalOf::Period, ApprovalOf::Card);
        let new = NewApproval { of, approval, figures, corrections_counted, counted_in: o.window };
        match state.store.approve(company, &new, &line).await {
            Err(StoreError::Conflict) if attempts < 3 => continue,
            Err(StoreError::Conflict) => {
                return Err(ApiError::conflict("changed_meanwhile", "the card was corrected while it was being approved; approve it again"))
            }
            other => return Ok(other?),
        }
    }
}

/// Reopens a card or the period, with a reason, and audits it. A supervisor reopens only their
/// employees' cards, and not once the period is approved for payroll. Shared with the pages.
pub async fn reopen(
    state: &AppState,
    user: &UserAuth,
    period: PayPeriod,
    employee: Option<EmployeeId>,
    reason: &str,
) -> Result<(), ApiError> {
    let (company, admin) = (user.company(), user.user());
    match employee {
        Some(employee) => {
            user.employee(employee)?;
            state.store.employee(company, employee).await?;
            if !user.role().is_admin() && state.store.approvals(company, period).await?.period.is_some() {
                return Err(crate::auth::admins_only("reopen a card once its pay period is approved for payroll"));
            }
        }
        None => user.require_admin("reopen a pay period")?,
    }
    // A reopening's reason is a correction's kind of reason; an empty one is asked for as a reopening's.
    if reason.trim().is_empty() {
        return Err(DomainError::invalid("reason", "say why it is reopened").into());
    }
    let reason = clockface_domain::correction::Reason::parse(reason)?;
    let (action, subject) = match employee {
        Some(e) => ("card.reopened", format!("employee:{e}")),
        None => ("period.reopened", format!("period:{}", period.start)),
    };
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        action,
        &subject,
        &format!("pay period {} to {}; reason: {}", period.start, period.end, reason.as_str()),
    );
    if !state.store.reopen(company, employee, period, &line).await? {
        return Err(ApiError::conflict("not_approved", "it is not approved, so there is nothing to reopen"));
    }
    Ok(())
}

/// Approves an employee's card for the period starting on `start` (a supervisor: one of their
/// employees), or without `employee_id` the whole period for payroll (admins only). An approved card is locked: corrections are refused until reopened.
/// Approving the period while cards still have open flags (missing punches, shifts in progress,
/// photos or punches to check, punches that arrived after approval) answers 409 `open_flags`
/// with each such card and its flags in `details.cards`, and approves nothing; send
/// `acknowledge_flags: true` to approve it all the same (the audit line says so).
#[utoipa::path(post, path = "/payroll/periods/{start}/approve", tag = "payroll", security(("admin" = [])),
    params(("start" = String, Path, description = "the period's first day, YYYY-MM-DD")), request_body = ApproveBody,
    responses((status = 204, description = "approved"), (status = 403, description = "a supervisor approving the period", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`open_flags`: cards of the period still have open flags (`details.cards`: employee_id, name, \
            missing_punches, in_progress, photos_to_check, arrived_after_approval); nothing was approved", body = ErrorBody)))]
async fn post_approve(
    State(state): State<AppState>,
    user: UserAuth,
    Path(start): Path<NaiveDate>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    let (period, _) = period_starting(&state, user.company(), start).await?;
    approve(&state, &user, period, body.employee_id, body.acknowledge_flags).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Takes back an approval, with a reason (audited).
#[utoipa::path(post, path = "/payroll/periods/{start}/reopen", tag = "payroll", security(("admin" = [])),
    params(("start" = String, Path, description = "the period's first day, YYYY-MM-DD")), request_body = ReopenBody,
    responses((status = 204, description = "reopened"), (status = 403, description = "a supervisor reopening the period", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_reopen(
    State(state): State<AppState>,
    user: UserAuth,
    Path(start): Path<NaiveDate>,
    Json(body): Json<ReopenBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    let (period, _) = period_starting(&state, user.company(), start).await?;
    reopen(&state, &user, period, body.employee_id, &body.reason).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv`, `adp_wfn`, `adp_run`, `paychex`, `gusto` or `quickbooks_iif`.
    pub format: String,
}

/// An export made: the file, the period's earlier exports (newest first), and how the hours of
/// each employee whose hours changed since the latest earlier export that kept them differ.
#[derive(Debug)]
pub struct MadeExport {
    pub file: clockface_domain::export::ExportFile,
    /// Whether the pay period was approved for payroll when the file was made (false: its hours
    /// can still change); none for a file that is not a pay period's (job costing).
    pub approved: Option<bool>,
    pub earlier: Vec<ExportRecord>,
    pub changes: Vec<clockface_domain::export::ExportChange>,
}

/// Writes the period's export and records it (audited) with what it says of each employee; the
/// answer says which exports came before and, when the hours changed since the last of them (a
/// period reopened and corrected, say), who changed and how. Shared with the pages.
pub async fn make_export(
    state: &AppState,
    company: CompanyId,
    admin: AdminId,
    period: PayPeriod,
    zone: chrono_tz::Tz,
    format: ExportFormat,
) -> Result<MadeExport, ApiError> {
    let now = Utc::now();
    let o = overview(&*state.store, company, zone, period, None, now).await?;
    if o.settings.require_approval_before_export && o.approvals.period.is_none() {
        return Err(not_approved(period));
    }
    let file = export_file(&o, format, now)?;
    let exported: Vec<_> = o.rows.iter().filter(|r| !r.days.is_empty()).map(crate::payroll::OverviewRow::exported).collect();
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "period.exported",
        &format!("period:{}", period.start),
        &format!("{} for {} to {}, {} employees", format.as_str(), period.start, period.end, exported.len()),
    );
    let record = ExportRecord { format: format.as_str().to_owned(), exported_by: admin, exported_at: now, figures: Some(exported) };
    let earlier = state.store.record_export(company, period, &record, &line).await?;
    let changes = changes_since_export(&earlier, record.figures.as_deref().unwrap_or_default());
    Ok(MadeExport { file, approved: Some(o.approvals.period.is_some()), earlier, changes })
}

/// How `now` differs from the latest of `earlier` (newest first) that kept its figures.
pub fn changes_since_export(
    earlier: &[ExportRecord],
    now: &[clockface_domain::export::ExportedEmployee],
) -> Vec<clockface_domain::export::ExportChange> {
    earlier.iter().find_map(|e| e.figures.as_deref()).map(|before| clockface_domain::export::changes_since(before, now)).unwrap_or_default()
}

/// The file to answer: its content type, a download name, whether the period was approved for
/// payroll (`X-Clockface-Period-Approved: true` or `false`: hours that can still change), the earlier exports in
/// `X-Clockface-Exported-Before` (RFC 3339 times and formats, newest first) and, when the hours
/// changed since the last of them, `X-Clockface-Changed-Since-Export`: each changed employee's
/// number with the seconds before and now (`number:regular/overtime/double->regular/overtime/double`).
pub fn file_response(made: MadeExport) -> Response {
    let MadeExport { file, approved, earlier, changes } = made;
    let mut response = file.body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    if let Some(approved) = approved {
        headers.insert(
            HeaderName::from_static("x-clockface-period-approved"),
            HeaderValue::from_static(if approved { "true" } else { "false" }),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name.replace('"', ""))) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    let before: Vec<String> = earlier.iter().map(|e| format!("{} {}", e.exported_at.to_rfc3339(), e.format)).collect();
    if let Ok(value) = HeaderValue::from_str(&before.join(", ")) {
        if !before.is_empty() {
            headers.insert(HeaderName::from_static("x-clockface-exported-before"), value);
        }
    }
    let hours = |p: clockface_domain::payroll::PayHours| format!("{}/{}/{}", p.regular_seconds, p.overtime_seconds, p.double_time_seconds);
    let changed: Vec<String> =
        changes.iter().map(|c| format!("{}:{}->{}", c.number.replace([',', ':'], " "), hours(c.before), hours(c.now))).collect();
    if let Ok(value) = HeaderValue::from_str(&changed.join(", ")) {
        if !changed.is_empty() {
            headers.insert(HeaderName::from_static("x-clockface-changed-since-export"), value);
        }
    }
    response
}

/// The period's hours as a payroll system's import file (see `../shared/PAYROLL.md` for each
/// layout). Each export is recorded; `X-Clockface-Exported-Before` lists earlier ones. A period
/// not approved for payroll exports as it stands, said by `X-Clockface-Period-Approved: false`
/// (peers lock the period first: approve it, so the hours cannot change after the file is made),
/// unless the company requires approval before
/// export (`require_approval_before_export` in the payroll settings): then 409
/// `period_not_approved`, and nothing is recorded.
#[utoipa::path(get, path = "/payroll/periods/{start}/export", tag = "payroll", security(("admin" = [])),
    params(("start" = String, Path, description = "the period's first day, YYYY-MM-DD"), ExportQuery),
    responses((status = 200, description = "the file", content_type = "text/plain",
            headers(("X-Clockface-Period-Approved" = String, description = "`true` when the period was approved for payroll, `false` when its hours can still change"),
                ("X-Clockface-Exported-Before" = String, description = "earlier exports of the period: RFC 3339 time and format, newest first"),
                ("X-Clockface-Changed-Since-Export" = String, description = "employees whose hours changed since the last export"))),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`period_not_approved`: the company exports only periods approved for payroll", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn get_export(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(start): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    // Strictly as documented: what was not asked for exactly is not recorded as an export.
    let start = clockface_domain::text::parse_day("start", &start)?;
    let format = ExportFormat::parse(&q.format)?;
    let (period, zone) = period_starting(&state, admin.company(), start).await?;
    let made = make_export(&state, admin.company(), admin.session.admin_id, period, zone, format).await?;
    Ok(file_response(made))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CostingQuery {
    /// Any day of the period (YYYY-MM-DD); today when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<String>,
    /// One job's hours only: the job's id, or `none` for hours on no job; every job's when left out.
    pub job: Option<String>,
}

impl CostingQuery {
    /// The day asked for, strictly `YYYY-MM-DD` (422 naming `date` otherwise).
    pub fn day(&self) -> Result<Option<NaiveDate>, ApiError> {
        Ok(self.date.as_deref().map(|raw| clockface_domain::text::parse_day("date", raw)).transpose()?)
    }
}

/// What a `job` filter names: a job of the company (else 404, whatever company it may be of), or `none`.
pub async fn job_filter(state: &AppState, company: CompanyId, raw: Option<&str>) -> Result<JobFilter, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(JobFilter::All),
        Some("none") => Ok(JobFilter::NoJob),
        Some(raw) => {
            let id: clockface_domain::ids::JobId = raw
                .parse()
                .map_err(|_| ApiError::unprocessable("invalid_job", format!("`job` must be a job id or `none`, not `{raw}`")))?;
            Ok(JobFilter::Job(state.store.job(company, id).await?.id))
        }
    }
}

/// The job costing `user` may see for the period holding `date`: every employee's for an admin,
/// a supervisor's own employees' only. Shared with the pages.
pub async fn costing_for(
    state: &AppState,
    user: &UserAuth,
    date: Option<NaiveDate>,
    job: Option<&str>,
) -> Result<(Costing, Overview), ApiError> {
    let filter = job_filter(state, user.company(), job).await?;
    let (period, zone) = period_of(state, user.company(), date).await?;
    let employees = employees_in_reach(state, user).await?;
    let o = overview(&*state.store, user.company(), zone, period, employees, Utc::now()).await?;
    Ok((job_costing(&o, filter), o))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingHours {
    pub regular_seconds: i64,
    pub overtime_seconds: i64,
    pub double_time_seconds: i64,
    pub total_seconds: i64,
}

impl From<clockface_domain::payroll::PayHours> for CostingHours {
    fn from(p: clockface_domain::payroll::PayHours) -> Self {
        CostingHours {
            regular_seconds: p.regular_seconds,
            overtime_seconds: p.overtime_seconds,
            double_time_seconds: p.double_time_seconds,
            total_seconds: p.total(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingRef {
    pub id: String,
    pub number: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingEmployeeLine {
    pub employee_id: EmployeeId,
    pub name: String,
    pub number: String,
    #[serde(flatten)]
    pub hours: CostingHours,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingLine {
    /// None: hours worked on no job.
    pub job: Option<CostingRef>,
    pub cost_code: Option<CostingRef>,
    #[serde(flatten)]
    pub hours: CostingHours,
    /// The employees who worked them, by name.
    pub employees: Vec<CostingEmployeeLine>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingBody {
    pub period: PayPeriod,
    /// By job number (no job last), then cost code number.
    pub lines: Vec<CostingLine>,
    /// The hours shown; with no `job` filter, the period overview's totals exactly.
    pub totals: CostingHours,
}

impl From<&Costing> for CostingBody {
    fn from(c: &Costing) -> Self {
        CostingBody {
            period: c.period,
            lines: c
                .groups
                .iter()
                .map(|g| CostingLine {
                    job: g.job.as_ref().map(|j| CostingRef {
                        id: j.id.to_string(),
                        number: j.number.as_str().to_owned(),
                        name: j.name.clone(),
                    }),
                    cost_code: g.cost_code.as_ref().map(|c| CostingRef {
                        id: c.id.to_string(),
                        number: c.number.as_str().to_owned(),
                        name: c.name.clone(),
                    }),
                    hours: g.pay.into(),
                    employees: g
                        .employees
                        .iter()
                        .map(|e| CostingEmployeeLine {
                            employee_id: e.employee.id,
                            name: e.employee.name.as_str().to_owned(),
                            number: e.employee.number.as_str().to_owned(),
                            hours: e.pay.into(),
                        })
                        .collect(),
                })
                .collect(),
            totals: c.totals.into(),
        }
    }
}

/// Job costing: the pay period's regular, overtime and double-time hours by job and cost code,
/// with each employee's share, split from the very hours the period overview and the exports
/// count (a day's hours go to its shifts in time order, regular first). A supervisor sees their
/// own employees' hours only.
#[utoipa::path(get, path = "/payroll/costing", tag = "payroll", security(("admin" = [])), params(CostingQuery),
    responses((status = 200, body = CostingBody), (status = 404, description = "no such job in the company", body = ErrorBody),
        (status = 422, description = "a `date` that is not YYYY-MM-DD", body = ErrorBody),
        (status = 422, description = "a `job` that is neither a job id nor `none`", body = ErrorBody)))]
async fn get_costing(State(state): State<AppState>, user: UserAuth, Query(q): Query<CostingQuery>) -> Result<Json<CostingBody>, ApiError> {
    let (costing, _) = costing_for(&state, &user, q.day()?, q.job.as_deref()).await?;
    Ok(Json(CostingBody::from(&costing)))
}

/// The job costing as CSV (`job_number, job_name, cost_code, cost_code_name, employee_number,
/// employee_name, regular_hours, overtime_hours, double_time_hours, total_hours`): a line per job,
/// cost code and employee. Not recorded as a payroll export.
#[utoipa::path(get, path = "/payroll/costing/csv", tag = "payroll", security(("admin" = [])), params(CostingQuery),
    responses((status = 200, description = "the CSV file", content_type = "text/csv"),
        (status = 404, description = "no such job in the company", body = ErrorBody),
        (status = 422, description = "a `date` that is not YYYY-MM-DD", body = ErrorBody),
        (status = 422, description = "a `job` that is neither a job id nor `none`", body = ErrorBody)))]
async fn get_costing_csv(State(state): State<AppState>, user: UserAuth, Query(q): Query<CostingQuery>) -> Result<Response, ApiError> {
    let (costing, _) = costing_for(&state, &user, q.day()?, q.job.as_deref()).await?;
    Ok(file_response(MadeExport { file: costing_csv(&costing), approved: None, earlier: Vec::new(), changes: Vec::new() }))
}
