//! Devices, as admins see them: one-time registration codes, the list, revoking one.

use crate::auth::{new_registration_code, registration_code_hash, AdminAuth};
use crate::error::{json_or_default, ErrorBody, Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use clockface_domain::device::Device;
use clockface_domain::ids::DeviceId;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_code))
        .routes(routes!(list_devices))
        .routes(routes!(get_device))
        .routes(routes!(revoke_device))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// How long the code stays usable, 5 minutes to 7 days; 24 hours if left out.
    pub expires_in_minutes: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationCode {
    /// Type it into the mobile clock once. Shown once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a one-time registration code. Shared with the admin pages.
pub async fn new_code(state: &AppState, admin: &AdminAuth, expires_in_minutes: Option<i64>) -> Result<RegistrationCode, ApiError> {
    let ttl = match expires_in_minutes {
        None => state.settings.registration_code_ttl,
        Some(minutes) if (5..=7 * 24 * 60).contains(&minutes) => Duration::minutes(minutes),
        Some(_) => {
            return Err(ApiError::unprocessable("invalid", "expires_in_minutes must be between 5 and 10080 (7 days)")
                .with_field("expires_in_minutes"))
        }
    };
    let code = new_registration_code();
    let now = Utc::now();
    let expires_at = now + ttl;
    state.store.create_registration_code(admin.company(), &registration_code_hash(&code), now, expires_at).await?;
    Ok(RegistrationCode { code, expires_at })
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
    Ok((StatusCode::CREATED, Json(new_code(&state, &admin, body.expires_in_minutes).await?)))
}

/// The company's devices, newest first.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("admin" = [])), responses((status = 200, body = Vec<Device>)))]
async fn list_devices(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(state.store.devices(admin.company()).await?))
}

/// One device.
#[utoipa::path(get, path = "/devices/{id}", tag = "devices", security(("admin" = [])), params(("id" = DeviceId, Path)),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody)))]
async fn get_device(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<DeviceId>) -> Result<Json<Device>, ApiError> {
    Ok(Json(state.store.device(admin.company(), id).await?))
}

/// Revoke a device: its token stops working at once.
#[utoipa::path(post, path = "/devices/{id}/revoke", tag = "devices", security(("admin" = [])), params(("id" = DeviceId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_device(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<DeviceId>) -> Result<StatusCode, ApiError> {
    state.store.revoke_device(admin.company(), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
