//! Devices, as admins see them over the API: one-time registration codes, the list, revoking one
//! (the use case is `clockface_app::devices`).

use crate::auth::AdminAuth;
use crate::error::{json_or_default, ErrorBody, Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use chrono::Utc;
use clockface_app::devices::RegistrationCode;
use clockface_domain::device::{Device, Kiosk};
use clockface_domain::ids::{DeviceId, EmployeeId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_code))
        .routes(routes!(list_devices))
        .routes(routes!(get_device))
        .routes(routes!(revoke_device))
        .routes(routes!(put_kiosk))
}

/// Kiosk mode for a device.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskBody {
    /// On: the tablet identifies the worker in front of it by face; off: PIN sign-in only.
    pub on: bool,
    /// Identify only this foreman and their crew (the crew's tablet); everyone in the company if left out.
    #[serde(default)]
    pub crew_of: Option<EmployeeId>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// How long the code stays usable, 5 minutes to 7 days; 24 hours if left out.
    pub expires_in_minutes: Option<i64>,
}

/// Create a one-time code to register a device with.
#[utoipa::path(post, path = "/devices/registration-codes", tag = "devices", security(("admin" = [])), request_body = CodeBody,
    responses((status = 201, body = RegistrationCode), (status = 422, body = ErrorBody)))]
async fn create_code(
    State(state): State<AppState>,
    admin: AdminAuth,
    body: Bytes,
) -> Result<(StatusCode, Json<RegistrationCode>), ApiError> {
    let body: CodeBody = json_or_default(&body)?;
    Ok((StatusCode::CREATED, Json(state.devices().new_code(admin.company(), body.expires_in_minutes, Utc::now()).await?)))
}

/// The company's devices, newest first.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("admin" = [])), responses((status = 200, body = Vec<Device>)))]
async fn list_devices(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(state.devices().list(admin.company()).await?))
}

/// One device.
#[utoipa::path(get, path = "/devices/{id}", tag = "devices", security(("admin" = [])), params(("id" = DeviceId, Path)),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody)))]
async fn get_device(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<DeviceId>) -> Result<Json<Device>, ApiError> {
    Ok(Json(state.devices().device(admin.company(), id).await?))
}

/// Revoke a device: its token stops working at once.
#[utoipa::path(post, path = "/devices/{id}/revoke", tag = "devices", security(("admin" = [])), params(("id" = DeviceId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_device(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<DeviceId>) -> Result<StatusCode, ApiError> {
    state.devices().revoke(admin.company(), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn kiosk mode on or off for a device. A kiosk identifies by face only employees who signed
/// the release that names it and are enrolled; everyone else signs in with their PIN.
#[utoipa::path(put, path = "/devices/{id}/kiosk", tag = "devices", security(("admin" = [])), params(("id" = DeviceId, Path)),
    request_body = KioskBody, responses((status = 200, body = Device), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_kiosk(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<DeviceId>,
    Json(body): Json<KioskBody>,
) -> Result<Json<Device>, ApiError> {
    let kiosk = body.on.then_some(Kiosk { crew_of: body.crew_of });
    Ok(Json(state.devices().set_kiosk(admin.company(), id, kiosk, &admin.scope().actor()).await?))
}
