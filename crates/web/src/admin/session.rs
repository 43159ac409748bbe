//! Signing in and out of the admin pages, the session cookie, and CSRF protection.
//!
//! The cookie holds the same kind of session token as the API's bearer token (a `Session` in
//! the store). It is `HttpOnly`, `SameSite=Lax`, scoped to `/admin`, and `Secure` when the request
//! came over TLS (or through a proxy that says `X-Forwarded-Proto: https`). Every form carries the
//! session's CSRF token in a hidden field; [`SignedForm`] refuses a POST without the right one.
//! The sign-in form, which has no session yet, uses a random token in a short-lived cookie.

use super::{render, see_other, FormData, FormErrors, PageError};
use crate::admin::words::Words;
use crate::auth::{admins_only, UserAuth};
use crate::guard::{over_tls, ClientAddr};
use crate::photo::multipart_error;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use clockface_app::sign_in::{NewSession, SecondFactor, SignIn};
use clockface_app::tokens::new_token;
use clockface_domain::company::Company;
use clockface_domain::ids::EmployeeId;
use clockface_domain::user::Reach;
use clockface_store::{Session, SignInHistory};
use serde::Deserialize;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cf_session";
/// The CSRF cookie of the forms used before signing in (sign-in, accepting an invitation).
pub(crate) const SIGN_IN_COOKIE: &str = "cf_signin";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/admin/sign-in/code", post(sign_in_code_submit))
        .route("/admin/sign-out", post(sign_out))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value for the admin pages: `max_age` seconds, 0 to delete.
fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")).ok()
}

/// The session the cookie names, if it is valid now.
pub async fn session_from_cookie(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ApiError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.accounts().session(token, Utc::now()).await?)
}

/// Compares secrets in time that does not depend on where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in user (admin or supervisor) on a page. Without a valid session cookie the page
/// redirects to the sign-in page, which comes back here afterwards. Pages a supervisor may open
/// take this and check each employee with [`UserSession::employee`]; all others take
/// [`AdminSession`].
#[derive(Debug, Clone)]
pub struct UserSession {
    pub session: Session,
    pub company: Company,
    /// How many punches wait in the user's review queue (for the menu's badge), up to a limit.
    pub review_waiting: usize,
    /// How many time-off requests wait for the user's answer (the menu's count).
    pub time_off_waiting: usize,
    /// Security notices (locks after wrong PINs) no admin has marked seen yet; 0 for a supervisor.
    pub security_notices: usize,
    /// Whose time cards the user reaches.
    pub reach: Reach,
}

impl UserSession {
    pub fn company_id(&self) -> clockface_domain::ids::CompanyId {
        self.session.company_id
    }

    pub fn is_admin(&self) -> bool {
        self.session.role.is_admin()
    }

    /// The user's authority as the API's services take it.
    pub fn auth(&self) -> UserAuth {
        UserAuth { session: self.session.clone(), reach: self.reach.clone() }
    }

    /// Nothing, or the "no such page" a supervisor gets for someone else's employee.
    pub fn employee(&self, employee: EmployeeId) -> Result<(), PageError> {
        self.auth().employee(employee).map_err(PageError)
    }
}

impl FromRequestParts<AppState> for UserSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = session_from_cookie(state, &parts.headers).await.map_err(|e| PageError(e).into_response())?;
        let Some(session) = session else {
            let here = parts.uri.path_and_query().map_or("/admin", |pq| pq.as_str());
            // After a POST the page to come back to is the one the form was on, not the form's target.
            let next = if parts.method == axum::http::Method::GET { here } else { "/admin" };
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            return Err(see_other(&format!("/admin/sign-in?next={next}")));
        };
        let page_error = |e: ApiError| PageError(e).into_response();
        let company = state.store.company(session.company_id).await.map_err(|e| page_error(e.into()))?;
        let reach = state.accounts().reach(&session).await.map_err(|e| page_error(e.into()))?;
        let review_waiting =
            state.store.count_review_queue(session.company_id, reach.supervisor()).await.map_err(|e| page_error(e.into()))?;
        let review_waiting = usize::try_from(review_waiting).unwrap_or(usize::MAX);
        let time_off_waiting =
            state.store.count_pending_time_off_requests(session.company_id, reach.supervisor()).await.map_err(|e| page_error(e.into()))?;
        let time_off_waiting = usize::try_from(time_off_waiting).unwrap_or(usize::MAX);
        let security_notices = if session.role.is_admin() {
            let unseen = state.store.count_unseen_notices(session.company_id).await.map_err(|e| page_error(e.into()))?;
            usize::try_from(unseen).unwrap_or(usize::MAX)
        } else {
            0
        };
        Ok(UserSession { session, company, review_waiting, time_off_waiting, security_notices, reach })
    }
}

/// A signed-in **admin** on a page; a supervisor gets a 403 page that says the page is for admins.
#[derive(Debug, Clone)]
pub struct AdminSession(pub UserSession);

impl std::ops::Deref for AdminSession {
    type Target = UserSession;
    fn deref(&self) -> &UserSession {
        &self.0
    }
}

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user = UserSession::from_request_parts(parts, state).await?;
        if !user.is_admin() {
            return Err(PageError(admins_only("open this page")).into_response());
        }
        Ok(AdminSession(user))
    }
}

/// Who may submit a form: [`AdminSession`] (the default) or [`UserSession`].
pub trait SignedIn: FromRequestParts<AppState, Rejection = Response> + Send {
    fn user(&self) -> &UserSession;
}

impl SignedIn for UserSession {
    fn user(&self) -> &UserSession {
        self
    }
}

impl SignedIn for AdminSession {
    fn user(&self) -> &UserSession {
        &self.0
    }
}

/// A submitted form from a signed-in admin (or, as `SignedForm<UserSession>`, any signed-in
/// user) whose CSRF token matched. A missing or wrong token is a 403 page; nothing is changed.
pub struct SignedForm<S = AdminSession> {
    pub admin: S,
    pub form: FormData,
}

impl<S: SignedIn> FromRequest<AppState> for SignedForm<S> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let admin = S::from_request_parts(&mut parts, state).await?;
        let client = ClientAddr::of(&parts, state.settings.trust_forwarded_for);
        let form = FormData::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        if !same_secret(form.get("_csrf"), &admin.user().session.csrf_token) {
            crate::security_event!("csrf_refused", client, admin = admin.user().session.admin_id);
            return Err(csrf_refused().into_response());
        }
        Ok(SignedForm { admin, form })
    }
}

/// A submitted `multipart/form-data` form (one with a file) from a signed-in admin whose CSRF
/// token matched: its text fields as a [`FormData`] and its files by field name. A missing or
/// wrong token is a 403 page, as for [`SignedForm`].
pub struct SignedUpload {
    pub admin: AdminSession,
    pub form: FormData,
    pub files: Vec<(String, bytes::Bytes)>,
}

impl SignedUpload {
    /// The first non-empty file sent as `name`.
    pub fn file(&self, name: &str) -> Option<&bytes::Bytes> {
        self.files.iter().find(|(key, bytes)| key == name && !bytes.is_empty()).map(|(_, bytes)| bytes)
    }
}

impl FromRequest<AppState> for SignedUpload {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let admin = AdminSession::from_request_parts(&mut parts, state).await?;
        let client = ClientAddr::of(&parts, state.settings.trust_forwarded_for);
        let bad = |message: String| PageError(ApiError::bad_request("bad_multipart", message)).into_response();
        let limits = state.settings.photo_limits;
        let unreadable = |error| PageError(multipart_error(error, &limits)).into_response();
        let mut multipart = axum::extract::Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| bad(rejection.body_text()))?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                files.push((name, field.bytes().await.map_err(unreadable)?));
            } else {
                fields.push((name, field.text().await.map_err(unreadable)?));
            }
        }
        let form = FormData::from_pairs(fields);
        if !same_secret(form.get("_csrf"), &admin.session.csrf_token) {
            crate::security_event!("csrf_refused", client, admin = admin.session.admin_id);
            return Err(csrf_refused().into_response());
        }
        Ok(SignedUpload { admin, form, files })
    }
}

pub(crate) fn csrf_refused() -> PageError {
    PageError(ApiError::forbidden("csrf", "this form has expired or did not come from this site. Go back, reload the page and try again"))
}

/// Where to go after signing in: only a page of the admin app.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with("/admin") && !next.starts_with("//") && !next.contains('\\') && !next.starts_with("/admin/sign-");
    if ok {
        next
    } else {
        "/admin"
    }
}

#[derive(Template)]
#[template(path = "admin/sign_in.html")]
struct SignInPage {
    email: String,
    next: String,
    csrf: String,
    error: Option<String>,
    signed_out: bool,
    assets: &'static str,
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

async fn sign_in_page(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let query: SignInQuery = Query::try_from_uri(&uri).map(|q| q.0).unwrap_or(SignInQuery { next: None, signed_out: None });
    if session_from_cookie(&state, &headers).await.ok().flatten().is_some() {
        return see_other(safe_next(query.next.as_deref().unwrap_or("/admin")));
    }
    let csrf = match cookie(&headers, SIGN_IN_COOKIE) {
        Some(token) if token.len() >= 32 => token.to_owned(),
        _ => new_token(""),
    };
    let page = SignInPage {
        email: String::new(),
        next: safe_next(query.next.as_deref().unwrap_or("/admin")).to_owned(),
        csrf: csrf.clone(),
        error: None,
        signed_out: query.signed_out.is_some(),
        assets: super::asset_version(),
    };
    let mut response = render(StatusCode::OK, &page);
    set_sign_in_cookie(&mut response, &csrf, over_tls(uri.scheme_str(), &headers));
    response
}

/// Sets the short-lived CSRF cookie of a form used before signing in.
pub(crate) fn set_sign_in_cookie(response: &mut Response, csrf: &str, secure: bool) {
    if let Some(value) = set_cookie(SIGN_IN_COOKIE, csrf, 3600, secure) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Sets the session cookie of a session just made (and drops the sign-in form's cookie).
pub(crate) fn set_session_cookie(response: &mut Response, token: &str, session: &Session, secure: bool) {
    let max_age = (session.expires_at - Utc::now()).num_seconds().max(0);
    for value in [set_cookie(SESSION_COOKIE, token, max_age, secure), set_cookie(SIGN_IN_COOKIE, "", 0, secure)].into_iter().flatten() {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

#[derive(Template)]
#[template(path = "admin/sign_in_code.html")]
struct SignInCodePage {
    next: String,
    csrf: String,
    pending: String,
    error: Option<String>,
    assets: &'static str,
}

#[derive(Template)]
#[template(path = "admin/signed_in_notice.html")]
struct SignedInNotice {
    notice: String,
    next: String,
    assets: &'static str,
}

/// The sign-in page again, with the error an attempt got (a 4xx), or an error page (a 5xx).
fn sign_in_again(error: ApiError, email: String, next: String, csrf: &str) -> Response {
    match FormErrors::from_error(error) {
        Ok((status, errors)) => {
            let page =
                SignInPage { email, next, csrf: csrf.to_owned(), error: errors.said(), signed_out: false, assets: super::asset_version() };
            render(status, &page)
        }
        Err(page) => page.into_response(),
    }
}

/// Signed in: the session cookie, then the page asked for, or first a word on the failed
/// attempts on the account since its last sign-in.
fn signed_in(token: &str, session: &Session, history: SignInHistory, next: &str, secure: bool) -> Response {
    let mut response = if history.failed_since_last > 0 {
        let when = history.last_failed_at.map(|at| format!(", the last on {} UTC", at.format("%a %-d %b %Y at %H:%M"))).unwrap_or_default();
        let attempts = if history.failed_since_last == 1 {
            "There was 1 failed sign-in attempt".to_owned()
        } else {
            format!("There were {} failed sign-in attempts", history.failed_since_last)
        };
        let notice = format!("{attempts} on your account since you last signed in{when}.");
        render(StatusCode::OK, &SignedInNotice { notice, next: next.to_owned(), assets: super::asset_version() })
    } else {
        see_other(next)
    };
    set_session_cookie(&mut response, token, session, secure);
    tracing::info!(admin = %session.admin_id, "admin signed in to the web app");
    response
}

/// The sign-in form's CSRF check (a token in a short-lived cookie, against login CSRF): the
/// token, or `None` (logged) when the form did not carry it.
fn sign_in_form_token<'h>(headers: &'h HeaderMap, form: &FormData, client: ClientAddr) -> Option<&'h str> {
    let expected = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(form.get("_csrf"), expected) {
        crate::security_event!("csrf_refused", client, form = "sign-in");
        return None;
    }
    Some(expected)
}

async fn sign_in_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    client: ClientAddr,
    form: FormData,
) -> Response {
    let Some(expected) = sign_in_form_token(&headers, &form, client) else {
        return csrf_refused().into_response();
    };
    let email = form.get("email").trim().to_owned();
    let next = safe_next(form.get("next")).to_owned();
    let secure = over_tls(uri.scheme_str(), &headers);
    match state.accounts().sign_in(&email, form.get("password"), None, &client.text(), Utc::now()).await {
        Ok(SignIn::Done(NewSession { token, session, history })) => signed_in(&token, &session, history, &next, secure),
        Ok(SignIn::NeedsCode { pending }) => {
            let page = SignInCodePage { next, csrf: expected.to_owned(), pending, error: None, assets: super::asset_version() };
            render(StatusCode::OK, &page)
        }
        Err(error) => sign_in_again(error.into(), email, next, expected),
    }
}

/// The second step: the code (or a recovery code) for a sign-in whose password was right.
async fn sign_in_code_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    client: ClientAddr,
    form: FormData,
) -> Response {
    let Some(expected) = sign_in_form_token(&headers, &form, client) else {
        return csrf_refused().into_response();
    };
    let next = safe_next(form.get("next")).to_owned();
    let code = form.get("code").trim();
    // Six digits are an app's code; anything longer, one of the recovery codes.
    let second = if code.chars().filter(char::is_ascii_alphanumeric).count() > 6 {
        SecondFactor::Recovery(code.to_owned())
    } else {
        SecondFactor::Code(code.to_owned())
    };
    match state.accounts().finish_with_code(form.get("pending"), second, &client.text(), Utc::now()).await.map_err(ApiError::from) {
        Ok(NewSession { token, session, history }) => signed_in(&token, &session, history, &next, over_tls(uri.scheme_str(), &headers)),
        Err(error) if error.code == "wrong_code" => {
            let page = SignInCodePage {
                next,
                csrf: expected.to_owned(),
                pending: form.get("pending").to_owned(),
                error: Some(super::sentence(&error.message)),
                assets: super::asset_version(),
            };
            render(error.status, &page)
        }
        Err(error) => sign_in_again(error, String::new(), next, expected),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    signed: SignedForm<UserSession>,
) -> Result<Response, PageError> {
    state.accounts().sign_out(&signed.admin.session).await?;
    let mut response = see_other("/admin/sign-in?signed_out=1");
    if let Some(value) = set_cookie(SESSION_COOKIE, "", 0, over_tls(uri.scheme_str(), &headers)) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; cf_session=cfs_abc"));
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("cfs_abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn only_admin_pages_are_followed_after_sign_in() {
        assert_eq!(safe_next("/admin/employees?search=a"), "/admin/employees?search=a");
        assert_eq!(safe_next("https://evil.test/"), "/admin");
        assert_eq!(safe_next("//evil.test/admin"), "/admin");
        assert_eq!(safe_next("/admin/sign-out"), "/admin");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
