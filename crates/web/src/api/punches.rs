//! Punch upload: one punch (JSON, or multipart with its photo) or a batch from a device that
//! was offline. Every punch goes through `punching::record_punch`.

use crate::auth::{DeviceAuth, UserAuth};
use crate::error::{parse_json, ErrorBody, ErrorDetail, Json, Path};
use crate::photo::multipart_error;
use crate::punching::{record_punch, PunchBody, Recorded};
use crate::{ApiError, AppState, WebSettings};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use bytes::Bytes;
use clockface_domain::ids::PunchId;
use clockface_domain::punch::Punch;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router(settings: &WebSettings) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(create_punch)).layer(DefaultBodyLimit::max(settings.photo_limits.punch_upload_limit())))
        .merge(OpenApiRouter::new().routes(routes!(create_batch)).layer(DefaultBodyLimit::max(settings.max_batch_bytes)))
        .routes(routes!(get_punch))
}

/// Record one punch. Send JSON (a punch without a photo) or `multipart/form-data` with a `punch`
/// part (the JSON) and a `photo` part (JPEG, PNG or WebP); when the clock asked for a head turn
/// (the role's liveness `step_up` or `active`), also a `burst` part: the frames taken meanwhile as
/// one image, tiled four to a row, described by the punch's `burst`. Sending the same punch again
/// answers 200 with the stored punch and `created: false`.
#[utoipa::path(post, path = "/punches", tag = "punches", security(("device" = [])), request_body = PunchBody,
    responses((status = 201, description = "stored", body = Recorded), (status = 200, description = "already stored (a resend)", body = Recorded),
              (status = 409, description = "another punch has this client_id", body = ErrorBody),
              (status = 413, description = "photo too large", body = ErrorBody), (status = 415, description = "not JPEG, PNG or WebP", body = ErrorBody),
              (status = 422, description = "invalid punch, photo required, corrupt photo", body = ErrorBody)))]
async fn create_punch(State(state): State<AppState>, auth: DeviceAuth, request: Request) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    let (body, photo, burst) = if is_multipart(&request) {
        let mut parts = read_parts(request, &state).await?;
        let body =
            parts.remove("punch").ok_or_else(|| ApiError::bad_request("missing_part", "the multipart upload has no `punch` part"))?;
        let photo = parts.remove("photo");
        let burst = parts.remove("burst");
        if let Some(name) = parts.keys().next() {
            return Err(ApiError::bad_request(
                "unknown_part",
                format!("unexpected multipart part `{name}`; send `punch`, `photo` and (with a head turn) `burst`"),
            ));
        }
        (parse_json::<PunchBody>(&body)?, photo, burst)
    } else {
        let Json(body) = Json::<PunchBody>::from_request(request, &state).await?;
        (body, None, None)
    };
    if body.photo_part.is_some() || body.burst_part.is_some() {
        let field = if body.photo_part.is_some() { "photo_part" } else { "burst_part" };
        return Err(ApiError::bad_request(
            "invalid",
            format!("{field} belongs to batch uploads; send the photo as the `photo` part and the burst as the `burst` part"),
        )
        .with_field(field));
    }
    let recorded = record_punch(&state, &auth.device, body, photo, burst).await;
    crate::metrics::punch_outcome(&recorded, |r| r.created);
    let recorded = recorded?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(recorded)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    pub punches: Vec<serde_json::Value>,
}

/// What became of one punch of a batch.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// Its position in the batch.
    pub index: usize,
    pub client_id: Option<Uuid>,
    /// The HTTP status this punch alone would have had: 201 stored, 200 already stored, 4xx refused.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub punch: Option<Punch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub results: Vec<BatchItem>,
}

/// Record many punches at once, in order, each on its own: one refused punch does not stop the
/// others. Send JSON `{"punches": [...]}`, or `multipart/form-data` with a `punches` part (that
/// JSON) and one part per photo, named by each punch's `photo_part`. A device removes a punch
/// from its queue once its item answers 200 or 201.
#[utoipa::path(post, path = "/punches/batch", tag = "punches", security(("device" = [])), request_body = BatchBody,
    responses((status = 200, body = BatchResult), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn create_batch(State(state): State<AppState>, auth: DeviceAuth, request: Request) -> Result<Json<BatchResult>, ApiError> {
    let (items, mut photos) = if is_multipart(&request) {
        let mut parts = read_parts(request, &state).await?;
        let body =
            parts.remove("punches").ok_or_else(|| ApiError::bad_request("missing_part", "the multipart upload has no `punches` part"))?;
        (parse_json::<BatchBody>(&body)?.punches, parts)
    } else {
        let Json(body) = Json::<BatchBody>::from_request(request, &state).await?;
        (body.punches, HashMap::new())
    };
    if items.len() > state.settings.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("a batch may hold at most {} punches; this one has {}", state.settings.max_batch, items.len()),
        ));
    }
    let mut result = BatchResult { created: 0, duplicates: 0, rejected: 0, results: Vec::with_capacity(items.len()) };
    for (index, item) in items.into_iter().enumerate() {
        let client_id = item.get("client_id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok());
        let outcome = match serde_json::from_value::<PunchBody>(item) {
            Err(error) => Err(ApiError::unprocessable("invalid_json", error.to_string())),
            Ok(body) => {
                match (take_part(&mut photos, body.photo_part.as_ref(), "photo"), take_part(&mut photos, body.burst_part.as_ref(), "burst"))
                {
                    (Err(error), _) | (_, Err(error)) => Err(error),
                    (Ok(photo), Ok(burst)) => record_punch(&state, &auth.device, body, photo, burst).await,
                }
            }
        };
        crate::metrics::punch_outcome(&outcome, |r| r.created);
        let item = match outcome {
            Ok(recorded) => {
                if recorded.created {
                    result.created += 1;
                } else {
                    result.duplicates += 1;
                }
                let status = if recorded.created { 201 } else { 200 };
                BatchItem { index, client_id, status, punch: Some(recorded.punch), error: None }
            }
            Err(error) => {
                result.rejected += 1;
                let detail = ErrorDetail {
                    code: error.code.to_owned(),
                    message: error.message,
                    field: error.field.map(std::borrow::Cow::into_owned),
                    details: error.details,
                };
                BatchItem { index, client_id, status: error.status.as_u16(), punch: None, error: Some(detail) }
            }
        };
        result.results.push(item);
    }
    Ok(Json(result))
}

/// One punch (a supervisor's employees' only).
#[utoipa::path(get, path = "/punches/{id}", tag = "punches", security(("admin" = [])), params(("id" = PunchId, Path)),
    responses((status = 200, body = Punch), (status = 404, body = ErrorBody)))]
async fn get_punch(State(state): State<AppState>, user: UserAuth, Path(id): Path<PunchId>) -> Result<Json<Punch>, ApiError> {
    let punch = state.store.punch(user.company(), id).await?;
    user.employee(punch.employee_id)?;
    Ok(Json(punch))
}

/// The multipart part a batch item names for its photo or burst (none when it names none).
fn take_part(parts: &mut HashMap<String, Bytes>, name: Option<&String>, what: &'static str) -> Result<Option<Bytes>, ApiError> {
    let Some(name) = name else { return Ok(None) };
    let field = if what == "photo" { "photo_part" } else { "burst_part" };
    parts.remove(name).map(Some).ok_or_else(|| {
        ApiError::unprocessable("missing_part", format!("no multipart part named `{name}` holds this punch's {what}")).with_field(field)
    })
}

fn is_multipart(request: &Request) -> bool {
    request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Reads every part of a multipart body into memory, by name (within the route's body limit).
pub(crate) async fn read_parts(request: Request, state: &AppState) -> Result<HashMap<String, Bytes>, ApiError> {
    let mut multipart =
        Multipart::from_request(request, state).await.map_err(|r| ApiError::new(r.status(), "bad_multipart", r.body_text()))?;
    let mut parts = HashMap::new();
    let too_large = |error| multipart_error(error, &state.settings.photo_limits);
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(too_large)?;
        if parts.insert(name.clone(), bytes).is_some() {
            return Err(ApiError::bad_request("duplicate_part", format!("the multipart part `{name}` appears twice")));
        }
    }
    Ok(parts)
}
