//! The admin web app: server-rendered pages under `/admin` (askama templates, checked at compile
//! time and auto-escaped), a little plain JavaScript, and CSS/JS embedded in the binary.
//!
//! Pages reuse the API's services and the store; no SQL lives here. Errors are the API's
//! [`ApiError`] shown the page way ([`PageError`]): a form re-renders with the message beside the
//! field at fault and what was typed; anything else is an error page that never shows a cause.

pub mod account;
pub mod devices;
pub mod employees;
pub mod jobs;
pub mod payroll;
pub mod photos;
pub mod privacy;
pub mod review;
pub mod roles;
pub mod session;
pub mod timecards;
pub mod timeoff;
pub mod timeoff_types;
pub mod users;
pub mod verdicts;
pub mod words;
pub mod working;

use crate::{ApiError, AppState, WebSettings};
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clockface_app::AppError;
use clockface_domain::DomainError;
use clockface_store::StoreError;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use words::Words;

pub use session::{AdminSession, SignedForm, SignedUpload, UserSession};

/// Every admin page and form.
pub fn router(settings: &WebSettings) -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/", get(home))
        .route("/admin/assets/{name}", get(asset))
        .merge(session::router())
        .merge(account::router())
        .merge(roles::router())
        .merge(employees::router(settings))
        .merge(devices::router())
        .merge(jobs::router())
        .merge(timecards::router())
        .merge(timeoff::router())
        .merge(payroll::router())
        .merge(timeoff_types::router())
        .merge(photos::router())
        .merge(review::router())
        .merge(working::router())
        .merge(privacy::router())
        .merge(users::router())
        .route("/admin/{*rest}", get(not_found))
}

async fn home(_user: UserSession) -> Response {
    see_other("/admin/time-cards")
}

async fn not_found() -> PageError {
    PageError(ApiError::not_found("There is no such page."))
}

// ---------------------------------------------------------------------------------------------
// Assets

const CSS: &str = include_str!("../../assets/admin.css");
const JS: &str = include_str!("../../assets/admin.js");

/// A short hash of the embedded assets, put in their URLs so they can be cached for a year and
/// still change with each build that changes them.
pub fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let digest = Sha256::new().chain_update(CSS).chain_update(JS).finalize();
        hex::encode(&digest[..6])
    })
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match name.as_str() {
        "admin.css" => (CSS, "text/css; charset=utf-8"),
        "admin.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return PageError(ApiError::not_found("There is no such file.")).into_response(),
    };
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=31536000, immutable"), (X_CONTENT_TYPE_OPTIONS, "nosniff")], body)
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// What every signed-in page shows around its content.
pub struct Layout {
    pub company: String,
    pub email: String,
    pub csrf: String,
    /// Which menu entry is current: `roles`, `employees`, `devices`, `time-cards`, `time-off` or `review`.
    pub section: &'static str,
    pub title: String,
    pub assets: &'static str,
    /// Punches waiting in the review queue (the menu's badge shows `100+` past [`review::BADGE_LIMIT`]).
    pub review_waiting: usize,
    /// Time-off requests waiting for the user's answer (the menu's count).
    pub time_off_waiting: usize,
    /// Whether the user is an admin: a supervisor's menu holds only what they may open.
    pub admin: bool,
    /// Security notices not seen yet (the banner above every admin page).
    pub security_notices: usize,
}

impl Layout {
    pub fn new(user: &UserSession, section: &'static str, title: impl Into<String>) -> Self {
        Layout {
            company: user.company.name.as_str().to_owned(),
            email: user.session.admin_email.clone(),
            csrf: user.session.csrf_token.clone(),
            section,
            title: title.into(),
            assets: asset_version(),
            review_waiting: user.review_waiting,
            time_off_waiting: user.time_off_waiting,
            admin: user.is_admin(),
            security_notices: user.security_notices,
        }
    }

    /// Whether `section` is under the Manage menu and current.
    pub fn in_manage(&self) -> bool {
        matches!(self.section, "roles" | "employees" | "jobs" | "cost-codes" | "devices" | "users" | "privacy" | "audit")
    }

    /// The review badge's text: the count, or `100+` past the limit.
    pub fn review_badge(&self) -> String {
        if self.review_waiting as i64 >= review::BADGE_LIMIT {
            format!("{}+", review::BADGE_LIMIT)
        } else {
            self.review_waiting.to_string()
        }
    }
}

/// The headers every page carries: nothing inline may run, nothing may frame it, and pages with
/// a session's data are not stored by shared caches.
fn page_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Renders a template as an HTML page with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            page_headers(&mut response);
            response
        }
        Err(error) => {
            let error = ApiError::internal(error);
            (error.status, "Something went wrong on the server. It has been logged; please try again.").into_response()
        }
    }
}

/// A 303 redirect (after a form, or to the sign-in page).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// A message for people from an API message: starts with a capital, ends with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// An error's message for a page that shows it above the form: in words, without the field
/// name an API message starts with (`adp_company_code: set …` reads `Set …`), capitalised.
pub fn in_words(error: &ApiError) -> String {
    let message = match &error.field {
        Some(field) => error.message.strip_prefix(field.as_ref()).and_then(|m| m.strip_prefix(": ")).unwrap_or(&error.message),
        None => &error.message,
    };
    sentence(message)
}

/// Hours and minutes, e.g. `8:05`, from seconds.
pub fn hours(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// An id from a page's address; one that does not parse is a page that does not exist.
pub fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, PageError> {
    raw.parse().map_err(|_| PageError(ApiError::not_found("no such page")))
}

// ---------------------------------------------------------------------------------------------
// Errors, the page way

/// The page adapter of the one domain error: [`ApiError`] rendered as an HTML error page.
/// A 5xx's cause was logged when the `ApiError` was made; the page tells only that it happened.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError(error.into())
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError(error.into())
    }
}

impl From<DomainError> for PageError {
    fn from(error: DomainError) -> Self {
        PageError(error.into())
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
    assets: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ApiError { status, message, .. } = self.0;
        use words::t;
        let en = clockface_domain::language::Language::English;
        let (title, message) = match status {
            StatusCode::NOT_FOUND => (t(en, "error.not_found"), t(en, "error.not_found_message").to_owned()),
            StatusCode::FORBIDDEN => (t(en, "error.not_allowed"), sentence(&message)),
            StatusCode::UNAUTHORIZED => (t(en, "error.sign_in"), sentence(&message)),
            status if status.is_server_error() => (t(en, "error.went_wrong"), t(en, "error.went_wrong_message").to_owned()),
            _ => (t(en, "error.did_not_work"), sentence(&message)),
        };
        render(status, &ErrorPage { title, message, assets: asset_version() })
    }
}

/// What a form re-render needs of an error: a message for one field, or for the whole form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub fields: Vec<(std::borrow::Cow<'static, str>, String)>,
    pub form: Option<String>,
}

impl FormErrors {
    /// Splits an error into "show it on the form" (a 4xx) and "show an error page" (anything else).
    pub fn from_error(error: ApiError) -> Result<(StatusCode, FormErrors), PageError> {
        if !error.status.is_client_error() || error.status == StatusCode::NOT_FOUND {
            return Err(PageError(error));
        }
        let mut errors = FormErrors::default();
        // Several fields refused at once (`Checks`): each beside its own field.
        let several: Vec<(Option<String>, String)> = error
            .details
            .as_ref()
            .and_then(|d| d.get("errors"))
            .and_then(|e| e.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|e| {
                        let message = e.get("message")?.as_str()?.to_owned();
                        Some((e.get("field").and_then(|f| f.as_str()).map(str::to_owned), message))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if several.is_empty() {
            errors.add(error.field, &error.message);
        } else {
            for (field, message) in several {
                errors.add(field.map(std::borrow::Cow::Owned), &message);
            }
        }
        Ok((error.status, errors))
    }

    /// Adds a refusal: beside `field`, or for the whole form. Domain messages name their field
    /// ("pin: must be ..."); beside the field that is said already, so the name goes.
    fn add(&mut self, field: Option<std::borrow::Cow<'static, str>>, message: &str) {
        match field {
            Some(field) => {
                let message = message.strip_prefix(field.as_ref()).and_then(|m| m.strip_prefix(": ")).unwrap_or(message);
                let message = sentence(message);
                if self.field(&field).is_none() {
                    self.fields.push((field, message));
                }
            }
            None => {
                let message = sentence(message);
                self.form = Some(match self.form.take() {
                    Some(before) => format!("{before} {message}"),
                    None => message,
                });
            }
        }
    }

    /// Moves the messages of fields a form does not show (`shown` lists those it does) to the
    /// whole form's message, so that no refusal goes unseen.
    pub fn shown_on(mut self, shown: &[&str]) -> Self {
        let (kept, unshown): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.fields).into_iter().partition(|(f, _)| shown.contains(&f.as_ref()));
        self.fields = kept;
        for (_, message) in unshown {
            self.add(None, &message);
        }
        self
    }

    /// Everything refused, as one message (for a form that shows its refusals in one place):
    /// the form's, then each field's, in order; none when nothing was.
    pub fn said(self) -> Option<String> {
        let all: Vec<String> = self.form.into_iter().chain(self.fields.into_iter().map(|(_, message)| message)).collect();
        (!all.is_empty()).then(|| all.join(" "))
    }

    /// The message beside `field`, if any.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(name, _)| *name == field).map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }
}

// ---------------------------------------------------------------------------------------------
// Forms

/// A submitted `application/x-www-form-urlencoded` form, with repeated keys (checkbox lists) kept.
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    /// A form from fields already read (a multipart form's text parts).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        FormData(pairs)
    }

    /// The first value of `name`, or "" when it was not sent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }

    /// Whether a checkbox called `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, PageError> {
        let is_form = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_a_form", "this address takes a form")));
        }
        let body = bytes::Bytes::from_request(request, state)
            .await
            .map_err(|_| PageError(ApiError::bad_request("bad_body", "the form could not be read")))?;
        let form = FormData::parse(&body);
        // No control character reaches a handler in any field (`domain::text`; each field's
        // own check, which shows its message beside the field, says the same).
        for (key, value) in &form.0 {
            if let Some(c) = clockface_domain::text::first_control(value) {
                let message = format!("{key}: {}", clockface_domain::text::refusal(c, clockface_domain::text::Lines::Many));
                return Err(PageError(ApiError::unprocessable("invalid", message).with_field_named(key.clone())));
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_repeated_keys_and_decode() {
        let form = FormData::parse(b"name=Ana+Diaz&crew=a&crew=b&active=on&pin=");
        assert_eq!(form.get("name"), "Ana Diaz");
        assert_eq!(form.all("crew"), ["a", "b"]);
        assert!(form.checked("active") && !form.checked("inactive"));
        assert_eq!(form.get("pin"), "");
        assert_eq!(form.get("missing"), "");
    }

    #[test]
    fn messages_read_as_sentences_and_hours_as_clock_time() {
        assert_eq!(sentence("the role is held"), "The role is held.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(hours(8 * 3600 + 5 * 60 + 59), "8:05");
        assert_eq!(hours(0), "0:00");
        let error = ApiError::from(DomainError::invalid("adp_company_code", "set the ADP company code in Payroll settings"));
        assert_eq!(in_words(&error), "Set the ADP company code in Payroll settings.");
    }

    #[test]
    fn form_errors_keep_4xx_on_the_form_and_turn_5xx_into_a_page() {
        let (status, errors) = FormErrors::from_error(ApiError::conflict("pin_taken", "pin used").with_field("pin")).unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(errors.field("pin"), Some("Pin used."));
        let (_, errors) = FormErrors::from_error(ApiError::unprocessable("invalid", "pin: must be digits").with_field("pin")).unwrap();
        assert_eq!(errors.field("pin"), Some("Must be digits."));
        assert!(FormErrors::from_error(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "x")).is_err());
    }

    #[test]
    fn a_form_with_two_refused_fields_shows_both_beside_their_fields_in_words() {
        let mut checks = crate::error::Checks::default();
        checks.push(DomainError::invalid("adp_company_code", "ADP company codes are 3 characters"));
        checks.push(DomainError::invalid("meal_minutes", "give how many minutes to deduct"));
        let error = checks.finish().unwrap_err();
        assert_eq!(error.field.as_deref(), Some("adp_company_code"), "the API names the first field");
        assert!(error.message.contains("meal_minutes"), "and its message all of them: {}", error.message);
        let (status, errors) = FormErrors::from_error(error).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.field("adp_company_code"), Some("ADP company codes are 3 characters."));
        assert_eq!(errors.field("meal_minutes"), Some("Give how many minutes to deduct."));
        assert_eq!(errors.form, None);
        let errors = errors.shown_on(&["adp_company_code"]);
        assert_eq!(errors.form.as_deref(), Some("Give how many minutes to deduct."), "a field the form lacks is said for the form");
        assert!(crate::error::Checks::default().finish().is_ok());
    }
}
