//! The one place where errors become HTTP answers: `{"error": {"code", "message", "field"}}`.
//! A 4xx says what was wrong; a 5xx logs its cause and tells the client only that it happened.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clockface_app::AppError;
use clockface_domain::DomainError;
use clockface_store::{StoreError, Unique};
use serde::Serialize;
use std::borrow::Cow;

/// An API error: an HTTP status, a stable machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<Cow<'static, str>>,
    /// Seconds after which trying again makes sense (sent as `Retry-After`).
    pub retry_after: Option<u64>,
    /// What a program needs beyond the sentence (e.g. the periods a change would touch).
    pub details: Option<serde_json::Value>,
}

/// The JSON body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: e.g. `photo_required`, `wrong_pin`, `not_found`.
    pub code: String,
    /// For people: what was wrong and, where it helps, what to do.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Present on some errors: what a program needs beyond the sentence (each error's description says).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None, details: None }
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(Cow::Borrowed(field));
        self
    }
    /// [`ApiError::with_field`] for a field named by the request (a JSON key, a form's field).
    pub fn with_field_named(mut self, field: String) -> Self {
        self.field = Some(Cow::Owned(field));
        self
    }
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    /// 429: too much at once; try again after `seconds`.
    pub fn too_busy(message: impl Into<String>, seconds: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "busy", message).with_retry_after(seconds)
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    /// A server fault: the cause goes to the log, the client gets a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged under this response's x-request-id",
        )
    }
}

/// The refusals of one request's fields, gathered so that a request (a form) with two wrong
/// fields hears of both at once: [`Checks::finish`] answers the first as the error's `code`,
/// `field` and `message` (the message names every one) and all of them in `details.errors`
/// (`[{code, field, message}]`), which the pages show each beside its field.
#[derive(Debug, Default)]
pub struct Checks(Vec<ApiError>);

impl Checks {
    /// The value of a check that passed; a refusal is kept for [`Checks::finish`].
    pub fn take<T, E: Into<ApiError>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Keeps a refusal (each of its own, when it carries several).
    pub fn push(&mut self, error: impl Into<ApiError>) {
        let error: ApiError = error.into();
        let several: Vec<ApiError> = error
            .details
            .as_ref()
            .and_then(|d| d.get("errors"))
            .and_then(|e| e.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|e| {
                        let mut one = ApiError::new(error.status, error.code, e.get("message")?.as_str()?);
                        one.field = e.get("field").and_then(|f| f.as_str()).map(|f| Cow::Owned(f.to_owned()));
                        Some(one)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if several.is_empty() {
            self.0.push(error);
        } else {
            self.0.extend(several);
        }
    }

    /// Whether a check failed so far.
    pub fn failed(&self) -> bool {
        !self.0.is_empty()
    }

    /// The error of checks of which one failed (a value a failed check withheld is missing);
    /// should none have failed, that is this code's mistake, answered as a server fault.
    pub fn refused(self) -> ApiError {
        self.finish().err().unwrap_or_else(|| ApiError::internal("a value was withheld although every check passed"))
    }

    /// Ok when every check passed; else one error that carries them all.
    pub fn finish(self) -> Result<(), ApiError> {
        let mut errors = self.0;
        if errors.len() <= 1 {
            return errors.pop().map_or(Ok(()), Err);
        }
        let list: Vec<serde_json::Value> =
            errors.iter().map(|e| serde_json::json!({ "code": e.code, "field": e.field.as_deref(), "message": e.message })).collect();
        let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
        let mut first = errors.swap_remove(0);
        first.message = message;
        first.details = Some(serde_json::json!({ "errors": list }));
        Err(first)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field.map(Cow::into_owned),
                details: self.details,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<AppError> for ApiError {
    /// The one mapping of the use cases' errors to HTTP (and, through `PageError`, to pages).
    fn from(error: AppError) -> Self {
        let field = |error: ApiError, field: Option<&'static str>| match field {
            Some(field) => error.with_field(field),
            None => error,
        };
        match error {
            AppError::Store(error) => error.into(),
            AppError::Domain(error) => error.into(),
            AppError::Invalid { code, field: at, message } => field(ApiError::unprocessable(code, message), at),
            AppError::Unauthenticated { code, field: at, message } => field(ApiError::unauthorized(code, message), at),
            AppError::NotFound(message) => ApiError::not_found(message),
            AppError::Forbidden { code, message } => ApiError::forbidden(code, message),
            AppError::Conflict { code, message, details } => match details {
                Some(details) => ApiError::conflict(code, message).with_details(details),
                None => ApiError::conflict(code, message),
            },
            AppError::Several(errors) => {
                let mut checks = Checks::default();
                for error in errors {
                    checks.push(error);
                }
                checks.refused()
            }
            AppError::Gone { code, message } => ApiError::new(StatusCode::GONE, code, message),
            AppError::Locked { message, retry_after } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "locked", message).with_retry_after(retry_after)
            }
            AppError::Busy { message, retry_after } => ApiError::too_busy(message, retry_after),
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid { field, .. } => ApiError::unprocessable("invalid", error.to_string()).with_field(field),
            DomainError::PhotoRequired => ApiError::unprocessable("photo_required", error.to_string()).with_field("photo"),
            DomainError::PolicyRequired => ApiError::conflict("policy_required", error.to_string()),
            DomainError::ReleaseRequired => ApiError::conflict("release_required", error.to_string()),
            DomainError::ReleaseDeclined => ApiError::conflict("release_declined", error.to_string()),
            DomainError::ReleaseWithdrawn => ApiError::conflict("release_withdrawn", error.to_string()),
            DomainError::Several(errors) => {
                let mut checks = Checks::default();
                for error in errors {
                    checks.push(error);
                }
                checks.refused()
            }
            DomainError::ReleaseOutdated { .. } => {
                ApiError::unprocessable("outdated_release", error.to_string()).with_field("release_version")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Duplicate(Unique::AdminEmail) => ApiError::conflict(
                "email_taken",
                "a user with this e-mail address already exists (e-mail addresses are unique across companies)",
            )
            .with_field("email"),
            StoreError::Duplicate(Unique::RoleName) => {
                ApiError::conflict("role_name_taken", "the company already has a role with this name").with_field("name")
            }
            StoreError::Duplicate(Unique::EmployeeNumber) => {
                ApiError::conflict("number_taken", "another employee of the company has this number").with_field("number")
            }
            StoreError::Duplicate(Unique::EmployeePin) => {
                ApiError::conflict("pin_taken", "another employee of the company already uses this PIN; choose a different one")
                    .with_field("pin")
            }
            StoreError::Duplicate(Unique::JobNumber) => {
                ApiError::conflict("job_number_taken", "another job of the company already has this number").with_field("number")
            }
            StoreError::Duplicate(Unique::CostCodeNumber) => {
                ApiError::conflict("cost_code_number_taken", "another cost code of the company already has this number")
                    .with_field("number")
            }
            StoreError::Duplicate(Unique::TimeOffTypeName) => {
                ApiError::conflict("time_off_type_name_taken", "the company already has a time-off type with this name").with_field("name")
            }
            StoreError::UnknownJob => ApiError::unprocessable("unknown_job", "a job is not one of this company's").with_field("job_ids"),
            StoreError::RoleInUse(holders) => ApiError::conflict(
                "role_in_use",
                format!("the role is held by {holders} employee(s); give them another role before deleting it"),
            ),
            StoreError::Locked => ApiError::conflict(
                "card_locked",
                "this time card is approved for the pay period and locked; reopen it (with a reason) before correcting it",
            ),
            StoreError::UnknownRole => {
                ApiError::unprocessable("unknown_role", "role_id is not a role of this company").with_field("role_id")
            }
            StoreError::UnknownCrewMember => {
                ApiError::unprocessable("unknown_employee", "a crew member is not an employee of this company").with_field("members")
            }
            StoreError::UnknownEmployee => {
                ApiError::unprocessable("unknown_employee", "an assigned employee is not an employee of this company")
                    .with_field("employee_ids")
            }
            StoreError::InvalidCode => ApiError::unprocessable(
                "invalid_registration_code",
                "this registration code is unknown, already used or expired; ask an admin for a new one",
            )
            .with_field("code"),
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "a write was not taken");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "try_again",
                    "the server could not store this just now and stored nothing; send it again (a device does so by itself)",
                )
            }
            StoreError::Blob(_) | StoreError::ObjectStore(_) => {
                crate::metrics::store_error(&error);
                tracing::error!(cause = %error, "the photo store did not answer");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "photo_store_unavailable",
                    "the photo store is not answering just now, so nothing was stored; send it again shortly (a device does so by itself)",
                )
                .with_retry_after(PHOTO_STORE_RETRY_SECONDS)
            }
            other => {
                crate::metrics::store_error(&other);
                ApiError::internal(other)
            }
        }
    }
}

/// When a client should try again after the photo store did not answer.
pub const PHOTO_STORE_RETRY_SECONDS: u64 = 30;

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match rejection {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_json",
            _ => "bad_body",
        };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

/// `axum::Json` whose rejections answer in the API's error format, and which refuses control
/// characters in any text of the body (`domain::text`; line breaks pass, each field's own parse
/// decides whether it may have lines): a 422 naming the key that holds it, before any handler
/// sees the body. Each text's own check says the same for the fields it knows; this one covers
/// every field, so that no NUL reaches the database however a field is handled.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| mime.trim().to_ascii_lowercase())
            .is_some_and(|mime| mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = bytes::Bytes::from_request(request, state).await.map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            status => ApiError::new(status, "bad_body", rejection.body_text()),
        })?;
        if let Ok(tree) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            check_texts(&tree, "body")?;
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Json(value))
    }
}

/// Refuses a control character (other than a line break) in any string of a JSON tree; the
/// error names the key it was found under (`parent` for the top level and array items).
pub fn check_texts(value: &serde_json::Value, parent: &str) -> Result<(), ApiError> {
    use clockface_domain::text;
    match value {
        serde_json::Value::String(text) => match text::first_control(text) {
            Some(c) => Err(ApiError::unprocessable("invalid", format!("{parent}: {}", text::refusal(c, text::Lines::Many)))
                .with_field_named(parent.to_owned())),
            None => Ok(()),
        },
        serde_json::Value::Array(items) => items.iter().try_for_each(|item| check_texts(item, parent)),
        serde_json::Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            if text::first_control(key).is_some() {
                return Err(ApiError::unprocessable("invalid", "a field's name holds a control character"));
            }
            check_texts(item, key)
        }),
        _ => Ok(()),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejections answer in the API's error format.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}

/// `axum::extract::Path` whose rejections answer in the API's error format.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Parses JSON read by hand (a multipart part, say): a syntax error is 400, a wrong shape 422.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes) {
        check_texts(&tree, "body")?;
    }
    serde_json::from_slice(bytes).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => ApiError::unprocessable("invalid_json", error.to_string()),
        _ => ApiError::bad_request("malformed_json", error.to_string()),
    })
}

/// Parses an optional JSON body: an empty one is the default.
pub fn json_or_default<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(bytes)
    }
}

/// The longest request target (path and query) the API reads; a longer one is a 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large for this endpoint; send less")
}

/// Middleware: every error answer under `/api/` is the documented JSON, whoever made it (the
/// router's 405, a body limit's 413, an extractor's plain-text rejection), and a request
/// target longer than [`MAX_URI_BYTES`] is refused with a JSON 414. Pages keep their HTML.
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    if !(path == "/api" || path.starts_with("/api/")) {
        return next.run(request).await;
    }
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the address is {target} bytes long; the API reads at most {MAX_URI_BYTES} (send long input in a body)"),
        )
        .into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "method_not_allowed", "this endpoint does not take this method (see /api/v1/openapi.json)")
        }
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::NOT_FOUND => ApiError::not_found("no such endpoint"),
        StatusCode::URI_TOO_LONG => ApiError::new(status, "uri_too_long", "the address is too long"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::new(status, "headers_too_large", "the request's headers are too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(status, "unsupported_media_type", "this endpoint does not take this content type")
        }
        _ if status.is_server_error() => ApiError::internal(format!("a {status} answer without a body")),
        _ => ApiError::new(status, "bad_request", status.canonical_reason().unwrap_or("the request was refused")),
    };
    let mut answer = error.into_response();
    // Headers that say how to do better (Allow, Retry-After) stay.
    for name in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}
