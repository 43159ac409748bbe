//! FaceFront photos, served only to signed-in admins of the photo's company; every view audited.

use crate::auth::UserAuth;
use crate::error::{ErrorBody, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clockface_domain::ids::{CompanyId, EmployeeId};
use clockface_domain::user::Reach;
use clockface_store::PhotoRecord;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_photo))
}

/// A photo of the company that `reach` includes an employee of, with the employees it is of; 404
/// for any other, as for one that does not exist.
pub async fn photo_in_reach(
    state: &AppState,
    company: CompanyId,
    reach: &Reach,
    sha256: &str,
) -> Result<(PhotoRecord, Vec<EmployeeId>), ApiError> {
    let no_such_photo = || ApiError::not_found("no such photo");
    let record = state.store.photo(company, sha256).await?.ok_or_else(no_such_photo)?;
    let owners = state.store.photo_employees(company, sha256).await?;
    if reach.supervisor().is_some() && !owners.iter().any(|e| reach.includes(*e)) {
        return Err(no_such_photo());
    }
    Ok((record, owners))
}

/// A photo's original bytes. Another company's photo, or one that does not exist, is 404.
#[utoipa::path(get, path = "/photos/{sha256}", tag = "photos", security(("admin" = [])), params(("sha256" = String, Path)),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 410, description = "destroyed under the retention policy", body = ErrorBody)))]
async fn get_photo(State(state): State<AppState>, user: UserAuth, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    serve_photo(&state, &user, &sha256, "fetched over the API").await
}

/// A photo's bytes for a user of its company who reaches the employee it is of (a supervisor
/// sees only their employees' photos; any other is 404, as if it did not exist), each view
/// written to the audit log about that employee, with `seen`: where it was shown (e.g. `seen on a
/// time card`). A photo destroyed under the retention policy answers 410 with when.
pub async fn serve_photo(state: &AppState, user: &UserAuth, sha256: &str, seen: &str) -> Result<Response, ApiError> {
    let (company, admin) = (user.company(), user.user());
    let (record, owners) = photo_in_reach(state, company, &user.reach, sha256).await?;
    if let Some((at, version)) = state.store.photo_destroyed(company, sha256).await? {
        let under = version.map(|v| format!(" under retention policy version {v}")).unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::GONE,
            "photo_destroyed",
            format!("This photo was destroyed on {}{under}; its punch is kept.", at.format("%Y-%m-%d")),
        ));
    }
    let bytes = state.blobs.get(company, &record.sha256).await?;
    let owner = owners.into_iter().find(|e| user.reach.includes(*e));
    let mut line =
        clockface_app::audit::audit_entry(company, &format!("admin:{admin}"), "photo.viewed", &format!("photo:{}", record.sha256), seen);
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
