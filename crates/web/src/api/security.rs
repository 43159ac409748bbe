//! Guessing, noticed and handled over the API: the security notices (locks after wrong PINs), an
//! admin lifting a lock, and how many digits new PINs have.

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Json};
use crate::security::Unlock;
use crate::{ApiError, AppState};
use axum::extract::State;
use chrono::{DateTime, Utc};
use clockface_domain::ids::{DeviceId, EmployeeId};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_notices))
        .routes(routes!(post_notices_seen))
        .routes(routes!(post_unlock))
        .routes(routes!(get_pin_policy, put_pin_policy))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub at: DateTime<Utc>,
    /// `device`, `employee` or `company`.
    pub place: String,
    /// The device's or employee's id, or the company's.
    pub subject: String,
    pub locked_until: DateTime<Utc>,
    pub detail: String,
    pub seen_at: Option<DateTime<Utc>>,
}

/// The company's security notices: each first lock of a device, an employee or the company's PIN
/// sign-in after wrong PINs, unseen first, newest first.
#[utoipa::path(get, path = "/security/notices", tag = "security", security(("admin" = [])), responses((status = 200, body = Vec<NoticeView>)))]
async fn get_notices(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<NoticeView>>, ApiError> {
    let notices = state.store.notices(admin.company(), 200).await?;
    Ok(Json(
        notices
            .into_iter()
            .map(|n| NoticeView {
                at: n.at,
                place: n.place,
                subject: n.subject,
                locked_until: n.locked_until,
                detail: n.detail,
                seen_at: n.seen_at,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Marks every unseen notice seen (the admin pages' banner goes away).
#[utoipa::path(post, path = "/security/notices/seen", tag = "security", security(("admin" = [])), responses((status = 200, body = Marked)))]
async fn post_notices_seen(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Marked>, ApiError> {
    Ok(Json(Marked { marked: crate::security::notices_seen(&state, admin.company(), admin.session.admin_id).await? }))
}

/// What to unlock: a device, an employee, or (neither) the company's PIN sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    pub device_id: Option<DeviceId>,
    pub employee_id: Option<EmployeeId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Unlocked {
    /// False when nothing was locked or counted there.
    pub lifted: bool,
}

/// Lifts a lock after wrong PINs and forgets its count (audited `pin_lock.lifted`).
#[utoipa::path(post, path = "/security/unlock", tag = "security", security(("admin" = [])), request_body = UnlockBody,
    responses((status = 200, body = Unlocked), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_unlock(State(state): State<AppState>, admin: AdminAuth, Json(body): Json<UnlockBody>) -> Result<Json<Unlocked>, ApiError> {
    let what = match (body.device_id, body.employee_id) {
        (Some(device), None) => Unlock::Device(device),
        (None, Some(employee)) => Unlock::Employee(employee),
        (None, None) => Unlock::Company,
        (Some(_), Some(_)) => return Err(ApiError::unprocessable("invalid", "give a device_id or an employee_id, not both")),
    };
    Ok(Json(Unlocked { lifted: crate::security::unlock(&state, admin.company(), admin.session.admin_id, what).await? }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinPolicy {
    /// New PINs have at least this many digits: 4 to 8 (6 unless the company chose otherwise).
    /// PINs set before keep working.
    pub min_pin_digits: i64,
    /// Read only: active employees with a PIN shorter than that, or set before PIN lengths were kept.
    #[serde(default, skip_deserializing)]
    pub shorter_pins: i64,
}

/// How many digits new PINs have at least.
#[utoipa::path(get, path = "/security/pin-policy", tag = "security", security(("admin" = [])), responses((status = 200, body = PinPolicy)))]
async fn get_pin_policy(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<PinPolicy>, ApiError> {
    let digits = i64::from(state.store.company(admin.company()).await?.min_pin_digits);
    Ok(Json(PinPolicy { min_pin_digits: digits, shorter_pins: state.store.pins_shorter_than(admin.company(), digits).await? }))
}

/// Sets how many digits new PINs have at least (4 to 8; audited).
#[utoipa::path(put, path = "/security/pin-policy", tag = "security", security(("admin" = [])), request_body = PinPolicy,
    responses((status = 200, body = PinPolicy), (status = 422, body = ErrorBody)))]
async fn put_pin_policy(State(state): State<AppState>, admin: AdminAuth, Json(body): Json<PinPolicy>) -> Result<Json<PinPolicy>, ApiError> {
    crate::security::set_min_pin_digits(&state, admin.company(), admin.session.admin_id, body.min_pin_digits).await?;
    get_pin_policy(State(state), admin).await
}
