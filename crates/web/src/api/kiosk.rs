//! The kiosk's calls (issue 28): a tablet in kiosk mode sends the photo it took when a worker
//! pressed Clock in or Clock out and is told who they are, to ask for a head turn first, or to ask
//! for the PIN; and it reports a "Not me". The punch itself is sent afterwards like any other
//! (`POST /punches` or the batch, through the clock's outbox), so a kiosk offline or a worker not
//! identified loses nothing: the PIN and the photo work as on any clock. The use case is
//! `clockface_app::kiosk`'s; the face engine's decision is `clockface_face::identify`.

use crate::api::punches::read_parts;
use crate::auth::DeviceAuth;
use crate::error::{parse_json, ErrorBody, Json};
use crate::punching::BurstBody;
use crate::verification::{analyse_upload, head_turn_passed, open_embedding, STEP_UP_BELOW};
use crate::{ApiError, AppState};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use chrono::Utc;
use clockface_app::kiosk::{self, KioskAnswer, StepUp};
use clockface_domain::device::{Device, Kiosk};
use clockface_domain::ids::EmployeeId;
use clockface_domain::punch::PunchKind;
use clockface_face::Identification;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router(settings: &crate::WebSettings) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(identify))
        .layer(DefaultBodyLimit::max(settings.photo_limits.upload_limit()))
        .routes(routes!(not_me))
}

/// What the kiosk is about to punch, sent with the photo (and the burst, after a head turn).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyBody {
    /// The client id the punch will be sent under, so the audit line names it.
    pub client_id: Uuid,
    pub kind: PunchKind,
    /// After an answer `head_turn`: the direction asked and the frames the `burst` part holds.
    #[serde(default)]
    pub burst: Option<BurstBody>,
}

/// A "Not me": the worker the kiosk named says it is not them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotMeBody {
    /// Whom the kiosk named.
    pub employee_id: EmployeeId,
    /// The punch it did not send.
    pub client_id: Uuid,
}

/// The device's kiosk setting, or a 403 saying how to get one.
fn kiosk_of(device: &Device) -> Result<Kiosk, ApiError> {
    device.kiosk.ok_or_else(|| {
        ApiError::forbidden("not_a_kiosk", "this device is not in kiosk mode: an admin turns it on in Devices; sign in with a PIN")
    })
}

/// Who is at the kiosk: the photo taken when the worker pressed Clock in or Clock out.
///
/// `multipart/form-data` with an `identify` part (JSON), a `photo` part and, after an answer
/// `head_turn`, a `burst` part (the frames tiled four to a row, as on a punch). The answer is
/// `identified` (greet them; the kiosk offers "Not me" for a few seconds, then sends the punch),
/// `head_turn` (the passive liveness check is unsure: ask for a head turn and send the photo again
/// with the burst), or `pin` (not identified, with the reason: ask for the PIN). Only employees
/// who signed the release that names identification, and are enrolled, are ever named; each
/// answer but `head_turn` is written to the audit log. Nothing else is stored.
#[utoipa::path(post, path = "/device/kiosk/identify", tag = "device", security(("device" = [])), request_body = IdentifyBody,
    responses((status = 200, body = KioskAnswer), (status = 403, description = "not a kiosk", body = ErrorBody),
        (status = 422, description = "corrupt image", body = ErrorBody)))]
async fn identify(State(state): State<AppState>, auth: DeviceAuth, request: Request) -> Result<Json<KioskAnswer>, ApiError> {
    let device = auth.device;
    let kiosk = kiosk_of(&device)?;
    let mut parts = read_parts(request, &state).await?;
    let body =
        parts.remove("identify").ok_or_else(|| ApiError::bad_request("missing_part", "the multipart upload has no `identify` part"))?;
    let body: IdentifyBody = parse_json(&body)?;
    let photo = parts.remove("photo").ok_or_else(|| ApiError::bad_request("missing_part", "send the photo in a `photo` part"))?;
    let burst = match (parts.remove("burst"), body.burst) {
        (Some(bytes), Some(said)) => Some((bytes, said)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::unprocessable("invalid", "a `burst` part needs `burst` in `identify` (the prompt and the frames)")
                .with_field("burst"))
        }
        (None, Some(_)) => return Err(ApiError::bad_request("missing_part", "`burst` in `identify` needs a `burst` part")),
    };
    if let Some(name) = parts.keys().next() {
        return Err(ApiError::bad_request(
            "unknown_part",
            format!("unexpected multipart part `{name}`; send `identify`, `photo` and `burst`"),
        ));
    }
    let company = device.company_id;
    let rotation = i32::try_from(device.photo_rotation.degrees()).unwrap_or(0);
    let analysis = analyse_upload(&state, photo, rotation).await?;
    let gallery =
        state.galleries.gallery(&*state.store, company, kiosk, |employee, stored| open_embedding(&state, employee, stored)).await?;
    let identification = gallery.identify_subject(&analysis);
    let step_up = match (&identification, burst) {
        (Identification::Identified { id, .. }, Some((bytes, said))) => {
            StepUp::Judged(head_turn_passed(&state, company, *id, bytes, said).await?)
        }
        (Identification::Identified { .. }, None) => {
            let passive = analysis.subject().ok().and_then(|s| s.liveness).map(|l| l.score);
            if passive.is_some_and(|s| s >= STEP_UP_BELOW) {
                StepUp::NotNeeded
            } else {
                StepUp::Missing
            }
        }
        (Identification::AskPin { .. }, _) => StepUp::NotNeeded,
    };
    let decision = kiosk::decide(&identification, step_up);
    Ok(Json(kiosk::answer(&*state.store, &device, &body.client_id.to_string(), decision, gallery.people(), Utc::now()).await?))
}

/// Records a "Not me" in the audit log: the kiosk named the wrong person, did not send their
/// punch, and now asks for the PIN.
#[utoipa::path(post, path = "/device/kiosk/not-me", tag = "device", security(("device" = [])), request_body = NotMeBody,
    responses((status = 204), (status = 403, description = "not a kiosk", body = ErrorBody),
        (status = 422, description = "unknown employee", body = ErrorBody)))]
async fn not_me(State(state): State<AppState>, auth: DeviceAuth, Json(body): Json<NotMeBody>) -> Result<StatusCode, ApiError> {
    kiosk_of(&auth.device)?;
    kiosk::not_me(&*state.store, &auth.device, body.employee_id, &body.client_id.to_string(), Utc::now()).await.map_err(
        |error| match error {
            clockface_store::StoreError::NotFound => {
                ApiError::unprocessable("unknown_employee", "employee_id is not an employee of this company").with_field("employee_id")
            }
            other => other.into(),
        },
    )?;
    Ok(StatusCode::NO_CONTENT)
}
