//! Time off over the API (issue 29): the company's types and their pay codes, requests (asked by
//! an admin or supervisor for someone they reach, or by the employee on the clock), the list of
//! requests waiting for an answer and their count, approving, declining and cancelling with a
//! note, an employee's requests, balances and ledgers, an admin's starting balances and
//! adjustments, and the holiday calendar. The clock's calls (`/device/time-off/...`) carry the
//! device's token and the employee's PIN, judged and counted like a PIN sign-in. The use cases
//! are `clockface_app::timeoff`'s.

use crate::api::device::check_pin;
use crate::auth::{AdminAuth, DeviceAuth, UserAuth};
use crate::error::{ErrorBody, Json, Path, Query};
use crate::guard::ClientAddr;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use clockface_app::sealed_pin::SealedPin;
use clockface_app::timeoff::{self, AdjustBody, Answer, AskBody, Asked, Balance, Caller, HolidaysBody, NoteBody, Preview, RequestView};
use clockface_domain::ids::{EmployeeId, TimeOffRequestId, TimeOffTypeId};
use clockface_domain::timeoff::kind::TimeOffTypeInput;
use clockface_domain::timeoff::{HolidayCalendar, TimeOffType};
use clockface_store::StoredAdjustment;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_types, post_type))
        .routes(routes!(put_type))
        .routes(routes!(post_preview))
        .routes(routes!(get_pending, post_request))
        .routes(routes!(get_pending_count))
        .routes(routes!(get_request))
        .routes(routes!(post_approve))
        .routes(routes!(post_decline))
        .routes(routes!(post_cancel))
        .routes(routes!(get_employee_requests))
        .routes(routes!(get_balances))
        .routes(routes!(post_adjustment))
        .routes(routes!(get_holidays, put_holidays))
        .routes(routes!(device_preview))
        .routes(routes!(device_ask))
        .routes(routes!(device_mine))
        .routes(routes!(device_withdraw))
}

/// The company's time-off types (vacation, sick, holiday, unpaid and its own), each with its
/// pay code per export format and its accrual policy. A company is given the four defaults at
/// its first use.
#[utoipa::path(get, path = "/time-off/types", tag = "time off", security(("admin" = [])),
    responses((status = 200, body = Vec<TimeOffType>)))]
async fn get_types(State(state): State<AppState>, user: UserAuth) -> Result<Json<Vec<TimeOffType>>, ApiError> {
    Ok(Json(timeoff::types(&*state.store, user.company(), Utc::now()).await?))
}

/// Adds a time-off type (admins only): its name is unique in the company, case aside.
#[utoipa::path(post, path = "/time-off/types", tag = "time off", security(("admin" = [])), request_body = TimeOffTypeInput,
    responses((status = 201, body = TimeOffType), (status = 422, body = ErrorBody)))]
async fn post_type(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<TimeOffTypeInput>,
) -> Result<(StatusCode, Json<TimeOffType>), ApiError> {
    let saved = timeoff::save_type(&*state.store, admin.scope(), None, body, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Changes a time-off type (admins only): its name, paid or not, pay codes, policy, or whether it
/// can still be asked for.
#[utoipa::path(put, path = "/time-off/types/{id}", tag = "time off", security(("admin" = [])), params(("id" = TimeOffTypeId, Path)),
    request_body = TimeOffTypeInput, responses((status = 200, body = TimeOffType), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_type(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<TimeOffTypeId>,
    Json(body): Json<TimeOffTypeInput>,
) -> Result<Json<TimeOffType>, ApiError> {
    Ok(Json(timeoff::save_type(&*state.store, admin.scope(), Some(id), body, Utc::now()).await?))
}

/// What a request would take: its days and hours, the type's balance before and after, and the
/// days the employee also punched. Nothing is written.
#[utoipa::path(post, path = "/time-off/requests/preview", tag = "time off", security(("admin" = [])), request_body = AskBody,
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_preview(State(state): State<AppState>, user: UserAuth, Json(body): Json<AskBody>) -> Result<Json<Preview>, ApiError> {
    Ok(Json(timeoff::preview_request(&*state.store, Caller::User(user.scope()), &body, Utc::now()).await?))
}

/// Asks for time off for an employee the user reaches (`employee_id`). Refused with nothing
/// written when a field is wrong (422 naming it, `hours` when the balance may not go below zero),
/// or a day is in an approved pay period (409 `period_locked`). A resend with the same
/// `client_id` answers the request already asked (200), never a second one.
#[utoipa::path(post, path = "/time-off/requests", tag = "time off", security(("admin" = [])), request_body = AskBody,
    responses((status = 201, description = "asked", body = Asked), (status = 200, description = "already asked (a resend)", body = RequestView),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_request(State(state): State<AppState>, user: UserAuth, Json(body): Json<AskBody>) -> Result<Response, ApiError> {
    ask_once(&state, Caller::User(user.scope()), &body).await
}

/// Asks (201, [`Asked`]), or answers the request a resend names by its `client_id` (200, the
/// [`RequestView`] as it stands now) instead of asking it twice.
async fn ask_once(state: &AppState, caller: Caller<'_>, body: &AskBody) -> Result<Response, ApiError> {
    let now = Utc::now();
    if let Some(before) = timeoff::asked_before(&*state.store, caller, body, now).await? {
        return Ok((StatusCode::OK, Json(before)).into_response());
    }
    let asked = timeoff::ask(&*state.store, caller, body, now).await?;
    Ok((StatusCode::CREATED, Json(asked)).into_response())
}

/// The requests waiting for an answer that the user may answer (a supervisor's employees',
/// every one for an admin), soonest first.
#[utoipa::path(get, path = "/time-off/requests", tag = "time off", security(("admin" = [])),
    responses((status = 200, body = Vec<RequestView>)))]
async fn get_pending(State(state): State<AppState>, user: UserAuth) -> Result<Json<Vec<RequestView>>, ApiError> {
    Ok(Json(timeoff::pending(&*state.store, user.scope(), Utc::now()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PendingCount {
    pub pending: i64,
}

/// How many requests wait for the user's answer (the count in the menu).
#[utoipa::path(get, path = "/time-off/requests/count", tag = "time off", security(("admin" = [])),
    responses((status = 200, body = PendingCount)))]
async fn get_pending_count(State(state): State<AppState>, user: UserAuth) -> Result<Json<PendingCount>, ApiError> {
    Ok(Json(PendingCount { pending: timeoff::pending_count(&*state.store, user.scope()).await? }))
}

/// One request with its history.
#[utoipa::path(get, path = "/time-off/requests/{id}", tag = "time off", security(("admin" = [])), params(("id" = TimeOffRequestId, Path)),
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<TimeOffRequestId>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(timeoff::request(&*state.store, Caller::User(user.scope()), id, Utc::now()).await?))
}

/// Approves a request still asked. The balance rule is applied again (409 never: 422 `hours`
/// when the balance may not go below zero), and a day in an approved pay period answers 409
/// `period_locked` until it is reopened.
#[utoipa::path(post, path = "/time-off/requests/{id}/approve", tag = "time off", security(("admin" = [])), params(("id" = TimeOffRequestId, Path)),
    request_body = NoteBody, responses((status = 200, body = RequestView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn post_approve(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<TimeOffRequestId>,
    Json(body): Json<NoteBody>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(timeoff::answer(&*state.store, user.scope(), id, Answer::Approve, &body.note, Utc::now()).await?))
}

/// Declines a request still asked, saying why (`note`, which the employee reads on the clock).
#[utoipa::path(post, path = "/time-off/requests/{id}/decline", tag = "time off", security(("admin" = [])), params(("id" = TimeOffRequestId, Path)),
    request_body = NoteBody, responses((status = 200, body = RequestView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn post_decline(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<TimeOffRequestId>,
    Json(body): Json<NoteBody>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(timeoff::answer(&*state.store, user.scope(), id, Answer::Decline, &body.note, Utc::now()).await?))
}

/// Cancels a request asked or approved (approved time off in an approved pay period: 409
/// `period_locked` until it is reopened).
#[utoipa::path(post, path = "/time-off/requests/{id}/cancel", tag = "time off", security(("admin" = [])), params(("id" = TimeOffRequestId, Path)),
    request_body = NoteBody, responses((status = 200, body = RequestView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_cancel(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<TimeOffRequestId>,
    Json(body): Json<NoteBody>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(timeoff::cancel(&*state.store, Caller::User(user.scope()), id, &body.note, Utc::now()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Days {
    /// The first day (YYYY-MM-DD); half a year before today when left out.
    pub from: Option<NaiveDate>,
    /// The last day; a year after today when left out.
    pub to: Option<NaiveDate>,
}

/// An employee's requests with a day in `from..=to`, every status, by first day.
#[utoipa::path(get, path = "/employees/{id}/time-off", tag = "time off", security(("admin" = [])), params(("id" = EmployeeId, Path), Days),
    responses((status = 200, body = Vec<RequestView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_employee_requests(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<EmployeeId>,
    Query(days): Query<Days>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    Ok(Json(timeoff::employee_requests(&*state.store, Caller::User(user.scope()), id, days.from, days.to, Utc::now()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Through {
    /// The last day the balances count (YYYY-MM-DD); today when left out.
    pub through: Option<NaiveDate>,
}

/// An employee's balance of each type that keeps one, with every ledger line explaining itself.
#[utoipa::path(get, path = "/employees/{id}/time-off/balances", tag = "time off", security(("admin" = [])), params(("id" = EmployeeId, Path), Through),
    responses((status = 200, body = Vec<Balance>), (status = 404, body = ErrorBody)))]
async fn get_balances(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<EmployeeId>,
    Query(through): Query<Through>,
) -> Result<Json<Vec<Balance>>, ApiError> {
    Ok(Json(timeoff::balances(&*state.store, Caller::User(user.scope()), id, through.through, Utc::now()).await?))
}

/// A ledger line written by an admin, as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdjustmentView {
    pub id: uuid::Uuid,
    pub employee_id: EmployeeId,
    pub type_id: TimeOffTypeId,
    pub adjustment: clockface_domain::timeoff::Adjustment,
    pub made_at: chrono::DateTime<Utc>,
}

impl From<StoredAdjustment> for AdjustmentView {
    fn from(a: StoredAdjustment) -> Self {
        AdjustmentView { id: a.id, employee_id: a.employee_id, type_id: a.type_id, adjustment: a.adjustment, made_at: a.made_at }
    }
}

/// Sets a starting balance or adjusts one (admins only), with a reason: a new ledger line.
#[utoipa::path(post, path = "/employees/{id}/time-off/adjustments", tag = "time off", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    request_body = AdjustBody, responses((status = 201, body = AdjustmentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_adjustment(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<AdjustBody>,
) -> Result<(StatusCode, Json<AdjustmentView>), ApiError> {
    let made = timeoff::adjust(&*state.store, user.scope(), id, &body, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Year {
    /// The calendar year (2000 to 2100).
    pub year: i32,
}

/// The company's holidays of a year.
#[utoipa::path(get, path = "/time-off/holidays", tag = "time off", security(("admin" = [])), params(Year),
    responses((status = 200, body = HolidayCalendar), (status = 422, body = ErrorBody)))]
async fn get_holidays(State(state): State<AppState>, user: UserAuth, Query(year): Query<Year>) -> Result<Json<HolidayCalendar>, ApiError> {
    Ok(Json(timeoff::holidays(&*state.store, user.company(), year.year).await?))
}

/// Sets the company's holidays of a year (admins only), all or nothing: each bad line is named.
#[utoipa::path(put, path = "/time-off/holidays", tag = "time off", security(("admin" = [])),
    request_body = HolidaysBody, responses((status = 200, body = HolidayCalendar), (status = 422, body = ErrorBody)))]
async fn put_holidays(
    State(state): State<AppState>,
    user: UserAuth,
    Json(body): Json<HolidaysBody>,
) -> Result<Json<HolidayCalendar>, ApiError> {
    Ok(Json(timeoff::set_holidays(&*state.store, user.scope(), body.year, &body.holidays).await?))
}

/// A request from the clock: the employee's PIN (judged and counted like a PIN sign-in) and the request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceAskBody {
    pub employee_id: EmployeeId,
    /// The PIN typed at an online sign-in; or, for a request kept on the device since an
    /// offline sign-in, `sealed_pin` (with `client_id`).
    #[serde(default)]
    pub pin: String,
    /// The PIN typed at an offline sign-in, sealed to the server's key for this request's
    /// `client_id` (as a punch's is for its own): judged when the request arrives.
    #[serde(default)]
    pub sealed_pin: Option<SealedPin>,
    /// The device's id for the request (a UUID); a resend with it never asks twice.
    #[serde(default)]
    pub client_id: Option<TimeOffRequestId>,
    pub type_id: TimeOffTypeId,
    pub first: String,
    #[serde(default)]
    pub last: Option<String>,
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl DeviceAskBody {
    fn ask(&self) -> AskBody {
        AskBody {
            employee_id: Some(self.employee_id),
            type_id: self.type_id,
            first: self.first.clone(),
            last: self.last.clone(),
            hours: self.hours.clone(),
            note: self.note.clone(),
            client_id: self.client_id,
        }
    }

    /// The PIN to judge: as typed, or opened from its seal (bound to the request's `client_id`).
    fn pin(&self, state: &AppState) -> Result<String, ApiError> {
        let Some(sealed) = &self.sealed_pin else {
            return Ok(self.pin.clone());
        };
        let (Some(key), Some(client_id)) = (&state.settings.pin_seal, self.client_id) else {
            let refused =
                ApiError::unprocessable("pin_not_opened", "a sealed PIN needs the request's client_id and a server key to open it");
            return Err(refused.with_field("sealed_pin"));
        };
        key.open(sealed, &client_id.to_string()).map_err(|e| {
            ApiError::unprocessable("pin_not_opened", format!("{e}; sign in again and ask once more")).with_field("sealed_pin")
        })
    }
}

/// The employee signed in on the clock, their PIN judged.
async fn on_the_clock<'a>(
    state: &AppState,
    auth: &DeviceAuth,
    client: ClientAddr,
    employee: EmployeeId,
    pin: &str,
) -> Result<Caller<'a>, ApiError> {
    let employee = check_pin(state, &auth.device, client, pin, Some(employee)).await?;
    Ok(Caller::Employee { company: auth.company(), employee: employee.id })
}

/// On the clock: what a request would take (days, balance before and after, punched days); 403
/// `time_off_not_allowed` when the employee's role may not ask.
#[utoipa::path(post, path = "/device/time-off/preview", tag = "device", security(("device" = [])), request_body = DeviceAskBody,
    responses((status = 200, body = Preview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn device_preview(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Json(body): Json<DeviceAskBody>,
) -> Result<Json<Preview>, ApiError> {
    let caller = on_the_clock(&state, &auth, client, body.employee_id, &body.pin(&state)?).await?;
    Ok(Json(timeoff::preview_request(&*state.store, caller, &body.ask(), Utc::now()).await?))
}

/// On the clock: the employee asks for time off for themselves, if their role may (403
/// `time_off_not_allowed` says whose role does not). A request kept offline is sent later with
/// its `client_id` and sealed PIN; a resend answers the request already asked (200).
#[utoipa::path(post, path = "/device/time-off/requests", tag = "device", security(("device" = [])), request_body = DeviceAskBody,
    responses((status = 201, description = "asked", body = Asked), (status = 200, description = "already asked (a resend)", body = RequestView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn device_ask(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Json(body): Json<DeviceAskBody>,
) -> Result<Response, ApiError> {
    let caller = on_the_clock(&state, &auth, client, body.employee_id, &body.pin(&state)?).await?;
    ask_once(&state, caller, &body.ask()).await
}

/// The employee on the clock, by PIN.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceEmployeeBody {
    pub employee_id: EmployeeId,
    pub pin: String,
    /// A withdrawal's note.
    #[serde(default)]
    pub note: String,
}

/// What the clock shows an employee of their time off.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Mine {
    pub types: Vec<TimeOffType>,
    pub requests: Vec<RequestView>,
    pub balances: Vec<Balance>,
}

/// On the clock: the employee's requests (with each answer and its note), the types they may
/// ask for, and their balances.
#[utoipa::path(post, path = "/device/time-off/mine", tag = "device", security(("device" = [])), request_body = DeviceEmployeeBody,
    responses((status = 200, body = Mine), (status = 401, body = ErrorBody)))]
async fn device_mine(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Json(body): Json<DeviceEmployeeBody>,
) -> Result<Json<Mine>, ApiError> {
    let caller = on_the_clock(&state, &auth, client, body.employee_id, &body.pin).await?;
    let now = Utc::now();
    let store = &*state.store;
    let types = timeoff::types(store, auth.company(), now).await?.into_iter().filter(|t| t.active).collect();
    let requests = timeoff::employee_requests(store, caller, body.employee_id, None, None, now).await?;
    let balances = timeoff::balances(store, caller, body.employee_id, None, now).await?;
    Ok(Json(Mine { types, requests, balances }))
}

/// On the clock: the employee withdraws their own request while it is still asked.
#[utoipa::path(post, path = "/device/time-off/requests/{id}/withdraw", tag = "device", security(("device" = [])),
    params(("id" = TimeOffRequestId, Path)), request_body = DeviceEmployeeBody,
    responses((status = 200, body = RequestView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn device_withdraw(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Path(id): Path<TimeOffRequestId>,
    Json(body): Json<DeviceEmployeeBody>,
) -> Result<Json<RequestView>, ApiError> {
    let caller = on_the_clock(&state, &auth, client, body.employee_id, &body.pin).await?;
    Ok(Json(timeoff::cancel(&*state.store, caller, id, &body.note, Utc::now()).await?))
}
