//! Web-app users over the API: an admin invites another user as Admin or Supervisor (a link that
//! works once, for a week; e-mailed only when an SMTP server is configured), changes their role,
//! turns their access off or on, and assigns a supervisor's employees. The invited person accepts
//! the link by choosing a password. Every change is audited. Shared with the Users pages.

use crate::auth::AdminAuth;
use crate::error::{Checks, ErrorBody, Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::{DateTime, Utc};
use clockface_app::audit::audit_entry;
use clockface_app::mail;
use clockface_app::tokens::{new_token, token_hash};
use clockface_domain::company::Email;
use clockface_domain::ids::{AdminId, EmployeeId};
use clockface_domain::secret::hash_secret;
use clockface_domain::user::{check_user_change, invitation_expires, new_password, user_name, UserChange, UserRole, UserStatus};
use clockface_store::{AdminLogin, NewInvitation, NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Prefix of an invitation token.
pub const INVITATION_PREFIX: &str = "cfi_";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, invite_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(renew_invitation))
        .routes(routes!(get_assigned, put_assigned))
        .routes(routes!(accept_invitation))
}

/// A user as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: AdminId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub status: UserStatus,
    pub invited_by: Option<AdminId>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// When their unused invitation link stops working.
    pub invitation_expires_at: Option<DateTime<Utc>>,
    /// How many employees are assigned to them (what a supervisor sees).
    pub assigned_employees: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            status: u.status(Utc::now()),
            invited_by: u.invited_by,
            created_at: u.created_at,
            last_sign_in_at: u.last_sign_in_at,
            invitation_expires_at: u.invitation_expires_at,
            assigned_employees: u.assigned,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub email: String,
    /// Their name, as the pages show it (they may change it on accepting).
    #[serde(default)]
    pub name: String,
    /// `admin` or `supervisor`.
    pub role: String,
}

/// An invitation made: the link to pass on (shown once) and whether it was e-mailed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Invited {
    pub user: UserView,
    /// Works once, until `expires_at`. Shown only now.
    pub invitation_url: String,
    pub expires_at: DateTime<Utc>,
    /// Whether it went out by e-mail (only with an SMTP server configured).
    pub emailed: bool,
    /// Why the e-mail could not be sent, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_error: Option<String>,
}

/// The address links point to: the configured public address, else the one this request came to.
pub fn origin(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
    if let Some(url) = state.settings.public_url.as_deref() {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if crate::guard::over_tls(uri.scheme_str(), headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// A fresh link for `user`: its token (in the URL) and what is stored of it.
fn new_link(origin: &str) -> (String, NewInvitation) {
    let token = new_token(INVITATION_PREFIX);
    let now = Utc::now();
    let stored = NewInvitation { token_hash: token_hash(&token), created_at: now, expires_at: invitation_expires(now) };
    (format!("{origin}/admin/invitations/{token}"), stored)
}

/// E-mails the link when an SMTP server is configured: whether it went, and why not.
async fn mail_link(state: &AppState, admin: &AdminAuth, user: &User, url: &str, expires: DateTime<Utc>) -> (bool, Option<String>) {
    let Some(settings) = state.settings.mail.as_ref() else {
        return (false, None);
    };
    let company = match state.store.company(admin.company()).await {
        Ok(company) => company.name.as_str().to_owned(),
        Err(error) => return (false, Some(error.to_string())),
    };
    let role = user.role.label();
    let body = format!(
        "{inviter} invited you to {company}'s clockface as {article} {role}.\n\n\
         Open this link to choose your password and sign in (it works once, until {expires} UTC):\n\n{url}\n\n\
         If you did not expect this, you can ignore this message.\n",
        inviter = admin.session.admin_email,
        article = if role.starts_with('A') { "an" } else { "a" },
        expires = expires.format("%a %-d %b %Y %H:%M"),
    );
    match mail::send(settings, &user.email, &format!("You are invited to {company}'s clockface"), body).await {
        Ok(()) => (true, None),
        Err(error) => {
            tracing::warn!(%error, user = %user.id, "the invitation e-mail was not sent");
            (false, Some(error.to_string()))
        }
    }
}

/// Invites a user (with the audit line) and e-mails the link when it can. Shared with the pages.
pub async fn invite(state: &AppState, admin: &AdminAuth, body: &InviteBody, origin: &str) -> Result<Invited, ApiError> {
    // Every field is checked before a refusal is answered: a form with two mistakes says both.
    let mut checks = Checks::default();
    let email = checks.take(Email::parse(&body.email));
    let role = checks.take(UserRole::parse(&body.role));
    let name = checks.take(user_name(&body.name));
    let (Some(email), Some(role), Some(name)) = (email, role, name) else {
        return Err(checks.refused());
    };
    let (url, invitation) = new_link(origin);
    let new = NewUser { email: email.clone(), name, role, invited_by: admin.user(), now: invitation.created_at };
    let line = audit_entry(admin.company(), &admin.actor(), "user.invited", &format!("user:{}", email.as_str()), role.as_str());
    let user = state.store.invite_user(admin.company(), &new, &invitation, &line).await?;
    let (emailed, mail_error) = mail_link(state, admin, &user, &url, invitation.expires_at).await;
    Ok(Invited { user: UserView::from(&user), invitation_url: url, expires_at: invitation.expires_at, emailed, mail_error })
}

/// A new link for a user who has not accepted yet; the old one stops working. Shared with the pages.
pub async fn renew(state: &AppState, admin: &AdminAuth, id: AdminId, origin: &str) -> Result<Invited, ApiError> {
    let user = state.store.user(admin.company(), id).await?;
    if user.has_password || user.disabled_at.is_some() {
        return Err(ApiError::conflict(
            "not_invited",
            "this user has accepted their invitation (or their access is off): there is no link to renew",
        ));
    }
    let (url, invitation) = new_link(origin);
    let line = audit_entry(admin.company(), &admin.actor(), "user.invitation_renewed", &format!("user:{}", user.email), "");
    let user = state.store.renew_invitation(admin.company(), id, &invitation, &line).await?;
    let (emailed, mail_error) = mail_link(state, admin, &user, &url, invitation.expires_at).await;
    Ok(Invited { user: UserView::from(&user), invitation_url: url, expires_at: invitation.expires_at, emailed, mail_error })
}

/// Changes a user's role and access (audited); nobody demotes or turns off themselves. Shared with the pages.
pub async fn change(state: &AppState, admin: &AdminAuth, id: AdminId, role: UserRole, active: bool) -> Result<User, ApiError> {
    let user = state.store.user(admin.company(), id).await?;
    let current = UserChange { role: user.role, active: user.disabled_at.is_none() };
    let wanted = UserChange { role, active };
    check_user_change(admin.user(), id, current, wanted)?;
    let detail = format!("role {} → {}; access {} → {}", user.role.as_str(), role.as_str(), on_off(current.active), on_off(active));
    let line = audit_entry(admin.company(), &admin.actor(), "user.changed", &format!("user:{}", user.email), &detail);
    Ok(state.store.update_user(admin.company(), id, role, active, Utc::now(), &line).await?)
}

fn on_off(active: bool) -> &'static str {
    if active {
        "on"
    } else {
        "off"
    }
}

/// Sets the employees assigned to a user (audited). Shared with the pages.
pub async fn assign(state: &AppState, admin: &AdminAuth, id: AdminId, employees: &[EmployeeId]) -> Result<(), ApiError> {
    let user = state.store.user(admin.company(), id).await?;
    let detail = format!("{} employees assigned", employees.len());
    let line = audit_entry(admin.company(), &admin.actor(), "user.assigned", &format!("user:{}", user.email), &detail);
    state.store.set_assigned_employees(admin.company(), id, employees, &line).await?;
    Ok(())
}

/// The answer for a link that does not work (any more).
pub fn link_gone() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "invitation_gone",
        "this invitation link has expired or was already used; ask your company's admin for a new one",
    )
}

/// The user a working invitation token is for.
pub async fn invited_user(state: &AppState, token: &str) -> Result<User, ApiError> {
    if !token.starts_with(INVITATION_PREFIX) {
        return Err(link_gone());
    }
    state.store.invitation(&token_hash(token), Utc::now()).await?.ok_or_else(link_gone)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The token from the invitation link (after `/admin/invitations/`).
    pub token: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
    pub password_again: String,
}

/// Accepts an invitation: checks the password, sets it and the name, uses the link up (audited).
/// Returns the user's login, to sign them in. Shared with the pages.
pub async fn accept(state: &AppState, body: &AcceptBody) -> Result<AdminLogin, ApiError> {
    let user = invited_user(state, &body.token).await?;
    let mut checks = Checks::default();
    let name = checks.take(user_name(&body.name));
    let password = checks.take(new_password(&body.password, &body.password_again));
    let (Some(name), Some(password)) = (name, password) else {
        return Err(checks.refused());
    };
    let secret = password.expose().to_owned();
    let hash = state.gates.hash(move || hash_secret(&secret)).await?;
    let line =
        audit_entry(user.company_id, &format!("admin:{}", user.id), "user.accepted", &format!("user:{}", user.email), user.role.as_str());
    state.store.accept_invitation(&token_hash(&body.token), &name, &hash, Utc::now(), &line).await?.ok_or_else(link_gone)
}

/// The company's web-app users, by e-mail address (admins only).
#[utoipa::path(get, path = "/users", tag = "users", security(("admin" = [])), responses((status = 200, body = Vec<UserView>)))]
async fn list_users(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(state.store.users(admin.company()).await?.iter().map(UserView::from).collect()))
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
    let invited = invite(&state, &admin, &body, &origin(&state, &headers, &uri)).await?;
    Ok((StatusCode::CREATED, Json(invited)))
}

/// One user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("admin" = [])), params(("id" = AdminId, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<AdminId>) -> Result<Json<UserView>, ApiError> {
    Ok(Json(UserView::from(&state.store.user(admin.company(), id).await?)))
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
    Ok(Json(UserView::from(&change(&state, &admin, id, role, body.active).await?)))
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
    Ok(Json(renew(&state, &admin, id, &origin(&state, &headers, &uri)).await?))
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
    state.store.user(admin.company(), id).await?;
    Ok(Json(Assigned { employee_ids: state.store.assigned_employees(admin.company(), id).await? }))
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
    assign(&state, &admin, id, &body.employee_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation: choose a password (at least 10 characters, typed twice). Then sign in
/// with `POST /auth/login`. A used or expired link answers 410.
#[utoipa::path(post, path = "/invitations/accept", tag = "users", request_body = AcceptBody,
    responses((status = 204, description = "accepted: sign in"), (status = 410, description = "the link expired or was used", body = ErrorBody)))]
async fn accept_invitation(State(state): State<AppState>, Json(body): Json<AcceptBody>) -> Result<StatusCode, ApiError> {
    accept(&state, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
