//! Face verification for admins: enrolment (upload a photo or promote a FaceFront photo, once the
//! employee signed the release), deleting templates, the review queue and its decisions.

use crate::auth::{AdminAuth, UserAuth};
use crate::error::{parse_json, ErrorBody, Json, Path};
use crate::photo::multipart_error;
use crate::verification;
use crate::{ApiError, AppState, WebSettings};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use clockface_app::audit::audit_entry;
use clockface_app::reviews::{waiting_reviews, VerificationView};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId, PunchId};
use clockface_domain::punch::Punch;
use clockface_store::{Review, ReviewDecision, TemplateSource};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(settings: &WebSettings) -> OpenApiRouter<AppState> {
    let upload = DefaultBodyLimit::max(settings.photo_limits.upload_limit());
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(get_enrolment, enrol, delete_enrolment)).layer(upload))
        .routes(routes!(review_queue))
        .routes(routes!(review_punch))
        .routes(routes!(get_verification))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub id: uuid::Uuid,
    /// `upload`, `punch` or `first_punch`.
    pub source: &'static str,
    pub photo_url: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// Where the employee stands on the biometric release (templates need `signed`).
    #[schema(value_type = String)]
    pub release: clockface_domain::privacy::ReleaseStatus,
    pub templates: Vec<TemplateView>,
}

async fn enrolment_of(state: &AppState, admin: &AdminAuth, id: EmployeeId) -> Result<Enrolment, ApiError> {
    state.store.employee(admin.company(), id).await?;
    let release = crate::privacy::release_status(state, admin.company(), id).await?;
    let templates = state.store.templates(admin.company(), id).await?;
    Ok(Enrolment {
        release,
        templates: templates
            .into_iter()
            .map(|t| TemplateView {
                id: t.id,
                source: t.source.as_str(),
                photo_url: format!("/api/v1/photos/{}", t.photo_sha256),
                created_at: t.created_at,
            })
            .collect(),
    })
}

/// An employee's release status and enrolled faces.
#[utoipa::path(get, path = "/employees/{id}/enrolment", tag = "faces", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, body = Enrolment), (status = 404, body = ErrorBody)))]
async fn get_enrolment(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<EmployeeId>) -> Result<Json<Enrolment>, ApiError> {
    Ok(Json(enrolment_of(&state, &admin, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteBody {
    /// A punch of this employee whose FaceFront photo becomes a reference face.
    pub punch_id: PunchId,
}

/// Enrol a face: `multipart/form-data` with a `photo` part (one clear face), or JSON
/// `{"punch_id"}` to promote one of the employee's FaceFront photos. Needs a signed release.
#[utoipa::path(post, path = "/employees/{id}/enrolment", tag = "faces", security(("admin" = [])), params(("id" = EmployeeId, Path)), request_body = PromoteBody,
    responses((status = 201, body = Enrolment), (status = 409, description = "no policy published, or the release is not signed", body = ErrorBody),
              (status = 422, description = "no usable face in the photo", body = ErrorBody)))]
async fn enrol(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    request: Request,
) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    let multipart = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
    let (bytes, source) = if multipart {
        let mut form =
            Multipart::from_request(request, &state).await.map_err(|r| ApiError::new(r.status(), "bad_multipart", r.body_text()))?;
        let mut photo = None;
        let limits = state.settings.photo_limits;
        while let Some(field) = form.next_field().await.map_err(|e| multipart_error(e, &limits))? {
            if field.name() == Some("photo") {
                photo = Some(field.bytes().await.map_err(|e| multipart_error(e, &limits))?);
            }
        }
        (photo.ok_or_else(|| ApiError::bad_request("missing_part", "send the photo as the `photo` part"))?, TemplateSource::Upload)
    } else {
        let body =
            axum::body::to_bytes(request.into_body(), 64 * 1024).await.map_err(|e| ApiError::bad_request("bad_body", e.to_string()))?;
        let PromoteBody { punch_id } = parse_json(&body)?;
        let punch = state.store.punch(admin.company(), punch_id).await?;
        if punch.employee_id != id {
            return Err(ApiError::unprocessable("invalid", "the punch belongs to another employee").with_field("punch_id"));
        }
        let sha = punch.photo_sha256.ok_or_else(|| ApiError::unprocessable("invalid", "the punch has no photo").with_field("punch_id"))?;
        (state.blobs.get(admin.company(), &sha).await?, TemplateSource::Punch)
    };
    verification::enrol(&state, admin.company(), id, admin.session.admin_id, bytes, source, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(enrolment_of(&state, &admin, id).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// Delete an employee's enrolled faces (on request, or when they leave).
#[utoipa::path(delete, path = "/employees/{id}/enrolment", tag = "faces", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorBody)))]
async fn delete_enrolment(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<EmployeeId>) -> Result<Json<Deleted>, ApiError> {
    let deleted = delete_face_templates(&state, admin.company(), admin.session.admin_id, id).await?;
    Ok(Json(Deleted { deleted }))
}

/// Deletes an employee's enrolled faces and writes the audit line.
async fn delete_face_templates(state: &AppState, company: CompanyId, admin: AdminId, id: EmployeeId) -> Result<u64, ApiError> {
    state.store.employee(company, id).await?;
    let line = audit_entry(company, &format!("admin:{admin}"), "templates.deleted", &format!("employee:{id}"), "");
    Ok(state.store.delete_templates(company, id, &line).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub punch: Punch,
    pub employee_name: String,
    pub photo_url: Option<String>,
    /// The employee's first enrolled face, to compare with.
    pub reference_photo_url: Option<String>,
    /// The head-turn burst's frames (one image, four to a row), when the punch carried one.
    pub burst_url: Option<String>,
    /// Absent for a punch whose required photo is missing.
    pub verification: Option<VerificationView>,
}

/// The punches to look at, newest first: a verdict other than a match, or a required photo missing.
#[utoipa::path(get, path = "/review-queue", tag = "faces", security(("admin" = [])), responses((status = 200, body = Vec<ReviewItem>)))]
async fn review_queue(State(state): State<AppState>, user: UserAuth) -> Result<Json<Vec<ReviewItem>>, ApiError> {
    let items = waiting_reviews(&*state.store, user.scope(), 200)
        .await?
        .into_iter()
        .map(|w| ReviewItem {
            employee_name: w.employee_name,
            photo_url: w.punch.photo_sha256.as_ref().map(|sha| format!("/api/v1/photos/{sha}")),
            reference_photo_url: w.reference.map(|t| format!("/api/v1/photos/{}", t.photo_sha256)),
            burst_url: w.punch.burst.as_ref().map(|b| format!("/api/v1/photos/{}", b.sha256)),
            verification: w.verification.map(VerificationView::from),
            punch: w.punch,
        })
        .collect();
    Ok(Json(items))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `this_is_them` or `not_them`.
    pub decision: String,
    /// With `this_is_them`: also enrol this photo as a reference face.
    #[serde(default)]
    pub add_to_enrolment: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub decision: &'static str,
    pub reviewed_by: clockface_domain::ids::AdminId,
    pub reviewed_at: DateTime<Utc>,
    pub enrolled: bool,
}

/// Decide on a punch in the review queue: **This is them** (optionally adding the photo to the
/// employee's enrolment) or **Not them**. Recorded with who and when.
#[utoipa::path(post, path = "/punches/{id}/review", tag = "faces", security(("admin" = [])), params(("id" = PunchId, Path)), request_body = ReviewBody,
    responses((status = 200, body = ReviewView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn review_punch(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<PunchId>,
    Json(body): Json<ReviewBody>,
) -> Result<Json<ReviewView>, ApiError> {
    let decision = ReviewDecision::parse(&body.decision)?;
    let (review, enrolled) = decide_review(&state, &user, id, decision, body.add_to_enrolment).await?;
    Ok(Json(ReviewView { decision: decision.as_str(), reviewed_by: review.reviewed_by, reviewed_at: review.reviewed_at, enrolled }))
}

/// Records a user's decision on a punch in the review queue (with an audit line), first
/// enrolling its photo when asked to and the decision is "this is them" (admins only). Returns
/// the review and whether the photo was enrolled. Shared with the admin pages.
pub async fn decide_review(
    state: &AppState,
    user: &UserAuth,
    id: PunchId,
    decision: ReviewDecision,
    add_to_enrolment: bool,
) -> Result<(Review, bool), ApiError> {
    let (company, admin) = (user.company(), user.user());
    let punch = state.store.punch(company, id).await?;
    user.employee(punch.employee_id)?;
    let mut enrolled = false;
    if add_to_enrolment {
        user.require_admin("add a photo to an employee's enrolment")?;
        if !decision.may_enrol_photo() {
            return Err(ApiError::unprocessable("invalid", "only a photo that is them can be added to the enrolment")
                .with_field("add_to_enrolment"));
        }
        let sha = punch
            .photo_sha256
            .as_ref()
            .ok_or_else(|| ApiError::unprocessable("invalid", "this punch has no photo to enrol").with_field("add_to_enrolment"))?;
        let bytes = state.blobs.get(company, sha).await?;
        verification::enrol(state, company, punch.employee_id, admin, bytes, TemplateSource::Punch, Utc::now()).await?;
        enrolled = true;
    }
    let review = Review { punch_id: id, decision, reviewed_by: admin, reviewed_at: Utc::now() };
    let line = audit_entry(company, &format!("admin:{admin}"), "punch.reviewed", &format!("punch:{id}"), decision.as_str());
    state.store.record_review(company, &review, &line).await?;
    Ok((review, enrolled))
}

/// A punch's verdict (404 until the worker has given it one).
#[utoipa::path(get, path = "/punches/{id}/verification", tag = "faces", security(("admin" = [])), params(("id" = PunchId, Path)),
    responses((status = 200, body = VerificationView), (status = 404, body = ErrorBody)))]
async fn get_verification(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<PunchId>,
) -> Result<Json<VerificationView>, ApiError> {
    let punch = state.store.punch(user.company(), id).await?;
    user.employee(punch.employee_id)?;
    let verification =
        state.store.verification(user.company(), id).await?.ok_or_else(|| ApiError::not_found("this punch has no verdict yet"))?;
    Ok(Json(verification.into()))
}
