//! FaceFront photos over the API, for a signed-in user of the photo's company who reaches an
//! employee it is of; every view audited (the rule is `clockface_app::photos`, the answer
//! `web/photo.rs`'s).

use crate::auth::UserAuth;
use crate::error::{ErrorBody, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_photo))
}

/// A photo's original bytes. Another company's photo, or one that does not exist, is 404.
#[utoipa::path(get, path = "/photos/{sha256}", tag = "photos", security(("admin" = [])), params(("sha256" = String, Path)),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 410, description = "destroyed under the retention policy", body = ErrorBody)))]
async fn get_photo(State(state): State<AppState>, user: UserAuth, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    crate::photo::serve_photo(&state, &user, &sha256, "fetched over the API").await
}
