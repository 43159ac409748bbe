//! FaceFront photos, served only to signed-in admins of the photo's company; every view audited.

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clockface_domain::ids::{AdminId, CompanyId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_photo))
}

/// A photo's original bytes. Another company's photo, or one that does not exist, is 404.
#[utoipa::path(get, path = "/photos/{sha256}", tag = "photos", security(("admin" = [])), params(("sha256" = String, Path)),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 410, description = "destroyed under the retention policy", body = ErrorBody)))]
async fn get_photo(State(state): State<AppState>, admin: AdminAuth, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    serve_photo(&state, admin.company(), admin.session.admin_id, &sha256).await
}

/// A photo's bytes for an admin of its company, each view written to the audit log (about the
/// employee whose punch it is). A photo destroyed under the retention policy answers 410 with when.
pub async fn serve_photo(state: &AppState, company: CompanyId, admin: AdminId, sha256: &str) -> Result<Response, ApiError> {
    let record = state.store.photo(company, sha256).await?.ok_or_else(|| ApiError::not_found("no such photo"))?;
    if let Some((at, version)) = state.store.photo_destroyed(company, sha256).await? {
        let under = version.map(|v| format!(" under retention policy version {v}")).unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::GONE,
            "photo_destroyed",
            format!("This photo was destroyed on {}{under}; its punch is kept.", at.format("%Y-%m-%d")),
        ));
    }
    let bytes = state.blobs.get(company, &record.sha256).await?;
    let owner = state.store.punches_with_photo(company, sha256).await?.first().map(|p| p.employee_id);
    let mut line =
        crate::verification::audit_entry(company, &format!("admin:{admin}"), "photo.viewed", &format!("photo:{}", record.sha256), "");
    if let Some(owner) = owner {
        line = line.about(owner);
    }
    state.store.audit(&line).await?;
    Ok((
        [(CONTENT_TYPE, record.content_type), (CACHE_CONTROL, "no-store".to_owned()), (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned())],
        bytes,
    )
        .into_response())
}
