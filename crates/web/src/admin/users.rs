//! Manage → Users: the company's web-app users; invite one as Admin or Supervisor (the link is
//! shown once to copy, and e-mailed when an SMTP server is configured); a user's page sets the
//! role, turns access off or on, makes a new link, and picks a supervisor's employees. And the
//! invitation page the link opens, where the invited person chooses a password and is signed in.
//! The use case is `clockface_app::users` (as for the API).

use super::devices::local;
use super::session::{cookie, set_session_cookie, SIGN_IN_COOKIE};
use super::{parse_id, render, see_other, AdminSession, FormData, FormErrors, Layout, PageError, SignedForm};
use crate::admin::words::{self, Words};
use crate::guard::{origin, over_tls, ClientAddr};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use clockface_app::sign_in::{NewSession, SignIn};
use clockface_app::tokens::new_token;
use clockface_app::users::{AcceptBody, Acting, InviteBody, Invited};
use clockface_domain::ids::{AdminId, EmployeeId};
use clockface_domain::user::{UserRole, UserStatus};
use clockface_store::User;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(invite_form))
        .route("/admin/users/{id}", get(user_page).post(save_form))
        .route("/admin/users/{id}/invitation", post(renew_form))
        .route("/admin/users/{id}/employees", post(assign_form))
        .route("/admin/invitations/{token}", get(invitation_page).post(accept_form))
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    status: &'static str,
    status_class: &'static str,
    last_sign_in: String,
    assigned: i64,
    supervisor: bool,
    me: bool,
}

fn status_class(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "green",
        UserStatus::Invited => "blue",
        UserStatus::InvitationExpired => "amber",
        UserStatus::Off => "grey",
    }
}

fn row(user: &User, admin: &AdminSession) -> UserRow {
    let status = user.status(chrono::Utc::now());
    UserRow {
        id: user.id.to_string(),
        name: user.display_name().to_owned(),
        email: user.email.clone(),
        role: user.role.label(),
        status: status.label(),
        status_class: status_class(status),
        last_sign_in: user.last_sign_in_at.map_or_else(|| "Never".to_owned(), |t| local(t, admin.company.time_zone)),
        assigned: user.assigned,
        supervisor: user.role == UserRole::Supervisor,
        me: user.id == admin.session.admin_id,
    }
}

/// An invitation link just made, shown once.
struct LinkView {
    url: String,
    email: String,
    expires: String,
    emailed: bool,
    mail_error: Option<String>,
}

fn link_view(invited: Invited, admin: &AdminSession) -> LinkView {
    LinkView {
        url: invited.invitation_url,
        email: invited.user.email,
        expires: local(invited.expires_at, admin.company.time_zone),
        emailed: invited.emailed,
        mail_error: invited.mail_error,
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    link: Option<LinkView>,
    email: String,
    name: String,
    role: String,
    errors: FormErrors,
    mail_configured: bool,
}

async fn list(state: &AppState, admin: &AdminSession) -> Result<UsersPage, PageError> {
    let users = state.users().list(admin.company_id()).await?;
    Ok(UsersPage {
        layout: Layout::new(admin, "users", words::en("base.users")),
        users: users.iter().map(|u| row(u, admin)).collect(),
        link: None,
        email: String::new(),
        name: String::new(),
        role: "supervisor".to_owned(),
        errors: FormErrors::default(),
        mail_configured: state.settings.mail.is_some(),
    })
}

async fn users_page(State(state): State<AppState>, admin: AdminSession) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &list(&state, &admin).await?))
}

/// The admin signed in, as the use cases take them.
fn acting(admin: &AdminSession) -> Acting<'_> {
    Acting { company: admin.company_id(), user: admin.session.admin_id, email: &admin.session.admin_email }
}

/// The link is shown in the answer to the POST and nowhere else.
async fn invite_form(State(state): State<AppState>, headers: HeaderMap, uri: Uri, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let body = InviteBody { email: form.get("email").to_owned(), name: form.get("name").to_owned(), role: form.get("role").to_owned() };
    let result = state.users().invite(acting(&admin), &body, &origin(&state, &headers, &uri), Utc::now()).await;
    let mut page = list(&state, &admin).await?;
    match result {
        Ok(invited) => {
            page.link = Some(link_view(invited, &admin));
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            page.errors = errors.shown_on(&["email", "name", "role"]);
            (page.email, page.name, page.role) = (body.email, body.name, body.role);
            Ok(render(status, &page))
        }
    }
}

struct EmployeeCheck {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    user: UserRow,
    invited_by: Option<String>,
    pending: bool,
    active: bool,
    employees: Vec<EmployeeCheck>,
    link: Option<LinkView>,
    errors: FormErrors,
    notice: Option<&'static str>,
}

async fn user_view(state: &AppState, admin: &AdminSession, id: AdminId) -> Result<UserPage, PageError> {
    let company = admin.company_id();
    let user = state.store.user(company, id).await?;
    let assigned = state.store.assigned_employees(company, id).await?;
    let employees = state
        .store
        .employees(company, None)
        .await?
        .into_iter()
        .filter(|e| e.active || assigned.contains(&e.id))
        .map(|e| EmployeeCheck { id: e.id.to_string(), name: e.name.as_str().to_owned(), checked: assigned.contains(&e.id) })
        .collect();
    let invited_by = match user.invited_by {
        Some(by) => state.store.user(company, by).await.ok().map(|u| u.display_name().to_owned()),
        None => None,
    };
    let status = user.status(chrono::Utc::now());
    Ok(UserPage {
        layout: Layout::new(admin, "users", user.display_name().to_owned()),
        user: row(&user, admin),
        invited_by,
        pending: matches!(status, UserStatus::Invited | UserStatus::InvitationExpired),
        active: user.disabled_at.is_none(),
        employees,
        link: None,
        errors: FormErrors::default(),
        notice: None,
    })
}

#[derive(Deserialize)]
struct UserQuery {
    done: Option<String>,
}

async fn user_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Path(id): Path<String>,
    Query(query): Query<UserQuery>,
) -> Result<Response, PageError> {
    let mut page = user_view(&state, &admin, parse_id(&id)?).await?;
    page.notice = match query.done.as_deref() {
        Some("saved") => Some("Saved. The change counts at once, in every session of theirs."),
        Some("employees") => Some("Employees saved: the supervisor sees, corrects and approves these cards."),
        _ => None,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A refused change: the user's page again with the message, or an error page.
async fn refused(state: &AppState, admin: &AdminSession, id: AdminId, error: ApiError) -> Result<Response, PageError> {
    let (status, errors) = FormErrors::from_error(error)?;
    let mut page = user_view(state, admin, id).await?;
    page.errors = errors;
    Ok(render(status, &page))
}

async fn save_form(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: AdminId = parse_id(&id)?;
    let result = match UserRole::parse(form.get("role")) {
        Ok(role) => {
            state.users().change(acting(&admin), id, role, form.checked("active"), Utc::now()).await.map(|_| ()).map_err(ApiError::from)
        }
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done=saved"))),
        Err(error) => refused(&state, &admin, id, error).await,
    }
}

async fn assign_form(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: AdminId = parse_id(&id)?;
    let employees: Result<Vec<EmployeeId>, _> = form.all("employee").into_iter().map(str::parse).collect();
    let employees = employees.map_err(|_| PageError(ApiError::not_found("no such employee")))?;
    match state.users().assign(acting(&admin), id, &employees).await {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done=employees"))),
        Err(error) => refused(&state, &admin, id, error.into()).await,
    }
}

async fn renew_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    signed: SignedForm,
) -> Result<Response, PageError> {
    let admin = signed.admin;
    let id: AdminId = parse_id(&id)?;
    match state.users().renew(acting(&admin), id, &origin(&state, &headers, &uri), Utc::now()).await {
        Ok(invited) => {
            let mut page = user_view(&state, &admin, id).await?;
            page.link = Some(link_view(invited, &admin));
            Ok(render(StatusCode::OK, &page))
        }
        Err(error) => refused(&state, &admin, id, error.into()).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Accepting an invitation (no session yet)

#[derive(Template)]
#[template(path = "admin/invitation.html")]
struct InvitationPage {
    company: String,
    email: String,
    role: &'static str,
    name: String,
    token: String,
    csrf: String,
    errors: FormErrors,
    assets: &'static str,
}

async fn invitation_view(state: &AppState, token: &str, csrf: String) -> Result<InvitationPage, PageError> {
    let user = state.users().invited_user(token, Utc::now()).await?;
    let company = state.store.company(user.company_id).await?;
    Ok(InvitationPage {
        company: company.name.as_str().to_owned(),
        email: user.email.clone(),
        role: user.role.label(),
        name: user.name.clone(),
        token: token.to_owned(),
        csrf,
        errors: FormErrors::default(),
        assets: super::asset_version(),
    })
}

/// The form to choose a password. Like the sign-in form, it carries a token from a short-lived
/// cookie (against a forged form).
async fn invitation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let csrf = match cookie(&headers, SIGN_IN_COOKIE) {
        Some(token) if token.len() >= 32 => token.to_owned(),
        _ => new_token(""),
    };
    let page = invitation_view(&state, &token, csrf.clone()).await?;
    let mut response = render(StatusCode::OK, &page);
    super::session::set_sign_in_cookie(&mut response, &csrf, over_tls(uri.scheme_str(), &headers));
    Ok(response)
}

async fn accept_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    client: ClientAddr,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default().to_owned();
    if expected.is_empty() || !super::session::same_secret(form.get("_csrf"), &expected) {
        crate::security_event!("csrf_refused", client, form = "invitation");
        return Err(super::session::csrf_refused());
    }
    let body = AcceptBody {
        token: token.clone(),
        name: form.get("name").to_owned(),
        password: form.get("password").to_owned(),
        password_again: form.get("password_again").to_owned(),
    };
    let login = match state.users().accept(&body, Utc::now()).await {
        Ok(login) => login,
        Err(error) => {
            let mut page = invitation_view(&state, &token, expected).await?;
            let (status, errors) = FormErrors::from_error(error.into())?;
            page.errors = errors.shown_on(&["name", "password", "password_again"]);
            page.name = body.name;
            return Ok(render(status, &page));
        }
    };
    tracing::info!(user = %login.id, "an invitation was accepted");
    // Signed in at once with the password just chosen.
    match state.accounts().sign_in(&login.email, &body.password, None, &client.text(), Utc::now()).await? {
        SignIn::Done(NewSession { token, session, .. }) => {
            let mut response = see_other("/admin");
            set_session_cookie(&mut response, &token, &session, over_tls(uri.scheme_str(), &headers));
            Ok(response)
        }
        SignIn::NeedsCode { .. } => Ok(see_other("/admin/sign-in").into_response()),
    }
}
