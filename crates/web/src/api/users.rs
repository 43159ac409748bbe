//! Web-app users over the API: an admin invites another user as Admin or Supervisor (a link that
//! works once, for a week; e-mailed only when an SMTP server is configured), changes their role,
//! turns their access off or on, and assigns a supervisor's employees. The invited person accepts
//! the link by choosing a password. The use case is `clockface_app::users` (as for the Users pages).

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Json, Path};
use crate::guard::origin;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::Utc;
use clockface_app::users::{AcceptBody, InviteBody, Invited, UserView};
use clockface_domain::ids::{AdminId, EmployeeId};
use clockface_domain::user::UserRole;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, invite_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(renew_invitation))
        .routes(routes!(get_assigned, put_assigned))
        .routes(routes!(accept_invitation))
}

/// The company's web-app users, by e-mail address (admins only).
#[utoipa::path(get, path = "/users", tag = "users", security(("admin" = [])), responses((status = 200, body = Vec<UserView>)))]
async fn list_users(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(state.users().list(admin.company()).await?.iter().map(UserView::from).collect()))
}

/// Invite a user as `admin` or `supervisor`. The answer holds the invitation link, shown once: pass
/// it on (it is e-mailed too when the server has an SMTP server configured).
#[utoipa::path(post, path = "/users", tag = "users", security(("admin" = [])), request_body = InviteBody,
    responses((status = 201, body = Invited), (status = 409, description = "the e-mail address is taken", body = ErrorBody)))]
async fn invite_user(
    State(state): State<AppState>,
    admin: AdminAuth,
    headers: HeaderMap,
    uri: Uri,
    Json(body): Json<InviteBody>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    let invited = state.users().invite(admin.acting(), &body, &origin(&state, &headers, &uri), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(invited)))
}

/// One user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<AdminId>) -> Result<Json<UserView>, ApiError> {
    Ok(Json(UserView::from(&state.users().user(admin.company(), id).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    /// `admin` or `supervisor`.
    pub role: String,
    /// False turns their access off (their sessions end at once); true turns it back on.
    pub active: bool,
}

/// Change a user's role, or turn their access off or on. Nobody changes their own.
#[utoipa::path(put, path = "/users/{id}", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)), request_body = UserChangeBody,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<AdminId>,
    Json(body): Json<UserChangeBody>,
) -> Result<Json<UserView>, ApiError> {
    let role = UserRole::parse(&body.role)?;
    Ok(Json(UserView::from(&state.users().change(admin.acting(), id, role, body.active, Utc::now()).await?)))
}

/// A new invitation link for a user who has not accepted yet; the old link stops working.
#[utoipa::path(post, path = "/users/{id}/invitation", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)),
    responses((status = 200, body = Invited), (status = 404, body = ErrorBody), (status = 409, description = "already accepted", body = ErrorBody)))]
async fn renew_invitation(
    State(state): State<AppState>,
    admin: AdminAuth,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<AdminId>,
) -> Result<Json<Invited>, ApiError> {
    Ok(Json(state.users().renew(admin.acting(), id, &origin(&state, &headers, &uri), Utc::now()).await?))
}

/// The employees whose time cards a supervisor sees, corrects and approves.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assigned {
    pub employee_ids: Vec<EmployeeId>,
}

/// A supervisor's assigned employees.
#[utoipa::path(get, path = "/users/{id}/employees", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)),
    responses((status = 200, body = Assigned), (status = 404, body = ErrorBody)))]
async fn get_assigned(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<AdminId>) -> Result<Json<Assigned>, ApiError> {
    Ok(Json(Assigned { employee_ids: state.users().assigned(admin.company(), id).await? }))
}

/// Replace a supervisor's assigned employees.
#[utoipa::path(put, path = "/users/{id}/employees", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)), request_body = Assigned,
    responses((status = 204, description = "assigned"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_assigned(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<AdminId>,
    Json(body): Json<Assigned>,
) -> Result<StatusCode, ApiError> {
    state.users().assign(admin.acting(), id, &body.employee_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation: choose a password (at least 10 characters, typed twice). Then sign in
/// with `POST /auth/login`. A used or expired link answers 410.
#[utoipa::path(post, path = "/invitations/accept", tag = "users", request_body = AcceptBody,
    responses((status = 204, description = "accepted: sign in"), (status = 410, description = "the link expired or was used", body = ErrorBody)))]
async fn accept_invitation(State(state): State<AppState>, Json(body): Json<AcceptBody>) -> Result<StatusCode, ApiError> {
    state.users().accept(&body, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
