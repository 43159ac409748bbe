//! Payroll over the API: the company's payroll settings, the pay period overview, approvals
//! (an employee's card, then the period; each locks corrections) and reopening with a reason,
//! the period's export in each payroll system's layout, and its job costing (hours by job and
//! cost code, as JSON or CSV). The use cases are `clockface_app::payroll`'s.

use crate::auth::{AdminAuth, UserAuth};
use crate::error::{ErrorBody, Json, Path, Query};
use crate::payroll::{costing_csv_response, file_response};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use clockface_app::payroll::{
    approve, costing_for, make_export, overview_for, period_of, reopen, save_settings, Costing, Overview, SettingsBody,
};
use clockface_domain::export::ExportFormat;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::payroll::PayPeriod;
use clockface_store::Approval;
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
    save_settings(&*state.store, admin.company(), admin.session.admin_id, &settings, body.keep_approved_figures, Utc::now()).await?;
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
    /// The period's time off by type (approved requests, company holidays; the approved
    /// figures' once the card is approved), apart from the hours worked. Left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_off: Vec<clockface_domain::timeoff::TimeOffTotal>,
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
                    time_off: r.time_off.clone(),
                })
                .collect(),
        }
    }
}

/// A period named in a path by its first day: it must be the first day of one of the company's periods.
async fn period_starting(state: &AppState, company: CompanyId, start: NaiveDate) -> Result<(PayPeriod, chrono_tz::Tz), ApiError> {
    let (period, zone) = period_of(&*state.store, company, Some(start), Utc::now()).await?;
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
    let o = overview_for(&*state.store, user.scope(), q.date, Utc::now()).await?;
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
    approve(&*state.store, user.scope(), period, body.employee_id, body.acknowledge_flags, Utc::now()).await?;
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
    reopen(&*state.store, user.scope(), period, body.employee_id, &body.reason).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv`, `adp_wfn`, `adp_run`, `paychex`, `gusto` or `quickbooks_iif`.
    pub format: String,
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
    let made = make_export(&*state.store, admin.company(), admin.session.admin_id, period, zone, format, Utc::now()).await?;
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
    /// Paid time off (only ever on no job), apart from the hours worked. Left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub time_off_seconds: i64,
}

fn is_zero(seconds: &i64) -> bool {
    *seconds == 0
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingLine {
    /// None: hours worked on no job.
    pub job: Option<CostingRef>,
    pub cost_code: Option<CostingRef>,
    #[serde(flatten)]
    pub hours: CostingHours,
    /// Paid time off (only ever on no job). Left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub time_off_seconds: i64,
    /// The employees who worked them (or took paid time off, on no job), by name.
    pub employees: Vec<CostingEmployeeLine>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CostingBody {
    pub period: PayPeriod,
    /// By job number (no job last), then cost code number.
    pub lines: Vec<CostingLine>,
    /// The hours shown; with no `job` filter, the period overview's totals exactly.
    pub totals: CostingHours,
    /// Paid time off shown (on no job). Left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub time_off_seconds: i64,
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
                    time_off_seconds: g.time_off_seconds,
                    employees: g
                        .employees
                        .iter()
                        .map(|e| CostingEmployeeLine {
                            employee_id: e.employee.id,
                            name: e.employee.name.as_str().to_owned(),
                            number: e.employee.number.as_str().to_owned(),
                            hours: e.pay.into(),
                            time_off_seconds: e.time_off_seconds,
                        })
                        .collect(),
                })
                .collect(),
            totals: c.totals.into(),
            time_off_seconds: c.time_off_seconds,
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
    let (costing, _) = costing_for(&*state.store, user.scope(), q.day()?, q.job.as_deref(), Utc::now()).await?;
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
    let (costing, _) = costing_for(&*state.store, user.scope(), q.day()?, q.job.as_deref(), Utc::now()).await?;
    Ok(costing_csv_response(&costing))
}
