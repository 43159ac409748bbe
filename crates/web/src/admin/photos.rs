//! FaceFront photos for the admin pages: served to a signed-in admin of the photo's company
//! (no session: 401; another company's or unknown: 404; destroyed: 410), each view audited; and turning how a
//! photo is displayed in quarter turns (the stored bytes never change).

use super::session::session_from_cookie;
use super::{see_other, PageError, SignedForm, UserSession};
use crate::auth::UserAuth;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use clockface_app::photos::photo_in_reach;
use clockface_domain::device::Rotation;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/photos/{sha256}", get(photo)).route("/admin/photos/{sha256}/rotate", post(rotate))
}

#[derive(serde::Deserialize)]
struct PhotoQuery {
    /// The page that shows it: `time_card`, `review` or `employee` (for the audit log).
    on: Option<String>,
}

/// Where a photo was shown, as the audit log says it.
fn seen_on(page: Option<&str>) -> &'static str {
    match page {
        Some("time_card") => "seen on a time card",
        Some("review") => "seen in the review queue",
        Some("employee") => "seen on the employee's page (enrolment)",
        _ => "opened on the admin pages",
    }
}

async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
    Query(query): Query<PhotoQuery>,
) -> Result<Response, PageError> {
    let session =
        session_from_cookie(&state, &headers).await?.ok_or_else(|| ApiError::unauthorized("not_signed_in", "sign in to see photos"))?;
    let reach = state.accounts().reach(&session).await?;
    let seen = seen_on(query.on.as_deref());
    Ok(crate::photo::serve_photo(&state, &UserAuth { session, reach }, &sha256, seen).await?)
}

/// A quarter turn `left` (counter-clockwise) or `right` from `current`.
fn turned(current: Rotation, direction: &str) -> Result<Rotation, ApiError> {
    let step = match direction {
        "left" => 270,
        "right" => 90,
        _ => return Err(ApiError::unprocessable("invalid", "turn must be left or right").with_field("turn")),
    };
    Ok(Rotation::try_from((current.degrees() + step) % 360)?)
}

async fn rotate(State(state): State<AppState>, Path(sha256): Path<String>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let company = admin.company_id();
    let (record, _) = photo_in_reach(state.store.as_ref(), company, &admin.reach, &sha256).await?;
    let rotation = turned(record.display_rotation, form.get("turn"))?;
    state.store.set_photo_rotation(company, &sha256, rotation).await?;
    let back = form.get("back");
    let back = if back.starts_with("/admin/") && !back.starts_with("//") { back } else { "/admin/time-cards" };
    Ok(see_other(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_turns_wrap_around() {
        assert_eq!(turned(Rotation::R0, "right").unwrap(), Rotation::R90);
        assert_eq!(turned(Rotation::R270, "right").unwrap(), Rotation::R0);
        assert_eq!(turned(Rotation::R0, "left").unwrap(), Rotation::R270);
        assert!(turned(Rotation::R0, "up").is_err());
    }
}
