//! The clock's question before a FaceFront punch whose role may want a head turn: is the passive
//! check unsure of this photo (ask for a head turn), or did this burst show the head turn (or ask
//! once more)? Only advice for the clock: every punch's photo and burst are judged again when the
//! punch arrives, and a punch is never refused or held back for liveness.

use crate::api::punches::read_parts;
use crate::auth::DeviceAuth;
use crate::error::{parse_json, ErrorBody, Json};
use crate::punching::BurstBody;
use crate::{ApiError, AppState};
use axum::extract::{DefaultBodyLimit, Request, State};
use clockface_domain::ids::EmployeeId;
use clockface_domain::privacy::ReleaseStatus;
use clockface_domain::role::LivenessCheck;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(settings: &crate::WebSettings) -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(probe)).layer(DefaultBodyLimit::max(settings.photo_limits.upload_limit()))
}

/// Whose photo or burst this is, and for a burst, the head turn it was taken for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeBody {
    pub employee_id: EmployeeId,
    /// With a `burst` part: the direction asked and the frames it holds (as on a punch).
    #[serde(default)]
    pub burst: Option<BurstBody>,
}

/// The server's advice.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProbeAnswer {
    /// Whether the server looked at all. Not when the employee's role checks no liveness or asks
    /// for no head turn, nor when their biometric release does not allow their face to be
    /// analysed: then ask nothing more (a person checks their photos).
    pub checked: bool,
    /// For a photo: ask for a head turn (the passive check is unsure of it, or found no clear face).
    pub ask_head_turn: bool,
    /// For a burst: whether the head turn was seen, live, of the same person throughout. When it
    /// was not and the role says so, the clock asks once more (the other way).
    pub passed: Option<bool>,
}

/// Ask whether a FaceFront photo needs a head turn, or whether a head-turn burst passed.
///
/// `multipart/form-data` with a `probe` part (JSON) and either a `photo` part or a `burst` part
/// (the frames tiled four to a row, as on a punch). Nothing is stored.
#[utoipa::path(post, path = "/device/liveness", tag = "device", security(("device" = [])), request_body = ProbeBody,
    responses((status = 200, body = ProbeAnswer), (status = 422, description = "unknown employee, corrupt image", body = ErrorBody)))]
async fn probe(State(state): State<AppState>, auth: DeviceAuth, request: Request) -> Result<Json<ProbeAnswer>, ApiError> {
    let mut parts = read_parts(request, &state).await?;
    let body = parts.remove("probe").ok_or_else(|| ApiError::bad_request("missing_part", "the multipart upload has no `probe` part"))?;
    let body: ProbeBody = parse_json(&body)?;
    let image = match (parts.remove("photo"), parts.remove("burst"), &body.burst) {
        (Some(photo), None, None) => crate::verification::Probed::Photo(photo),
        (None, Some(burst), Some(said)) => crate::verification::Probed::Burst(burst, *said),
        (None, Some(_), None) => {
            return Err(ApiError::unprocessable("invalid", "a `burst` part needs `burst` in the probe (the prompt and the frames)")
                .with_field("burst"))
        }
        _ => return Err(ApiError::bad_request("missing_part", "send either a `photo` part or a `burst` part with the `probe`")),
    };
    if let Some(name) = parts.keys().next() {
        return Err(ApiError::bad_request(
            "unknown_part",
            format!("unexpected multipart part `{name}`; send `probe` and `photo` or `burst`"),
        ));
    }
    let company = auth.device.company_id;
    let employee = state.store.employee(company, body.employee_id).await.map_err(|error| match error {
        clockface_store::StoreError::NotFound => {
            ApiError::unprocessable("unknown_employee", "employee_id is not an employee of this company").with_field("employee_id")
        }
        other => other.into(),
    })?;
    let role = state.store.role(company, employee.role_id).await?;
    let asks = role.abilities.face_front && matches!(role.abilities.liveness, LivenessCheck::StepUp | LivenessCheck::Active);
    let released = crate::privacy::release_status(&state, company, employee.id).await? == ReleaseStatus::Signed;
    if !asks || !released {
        return Ok(Json(ProbeAnswer { checked: false, ask_head_turn: false, passed: None }));
    }
    let rotation = i32::try_from(auth.device.photo_rotation.degrees()).unwrap_or(0);
    Ok(Json(crate::verification::probe(&state, company, employee.id, image, rotation).await?))
}
