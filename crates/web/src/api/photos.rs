//! FaceFront photos, served only to signed-in admins of the photo's company.

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_photo))
}

/// A photo's original bytes. Another company's photo, or one that does not exist, is 404.
#[utoipa::path(get, path = "/photos/{sha256}", tag = "photos", security(("admin" = [])), params(("sha256" = String, Path)),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_photo(State(state): State<AppState>, admin: AdminAuth, Path(sha256): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let record = state.store.photo(admin.company(), &sha256).await?.ok_or_else(|| ApiError::not_found("no such photo"))?;
    let bytes = state.blobs.get(admin.company(), &record.sha256).await?;
    // Who looked at which photo is part of the biometric privacy record.
    crate::verification::audit(
        &state,
        admin.company(),
        &format!("admin:{}", admin.session.admin_id),
        "photo.viewed",
        &format!("photo:{}", record.sha256),
        "",
    )
    .await?;
    Ok((
        [(CONTENT_TYPE, record.content_type), (CACHE_CONTROL, "no-store".to_owned()), (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned())],
        bytes,
    ))
}
