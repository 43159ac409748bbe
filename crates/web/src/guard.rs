//! Bounded work, and who is asking. Requests anyone can send (a sign-in, a PIN) must not be able
//! to exhaust the server: password and PIN hashing (argon2, about 19 MiB and tens of
//! milliseconds each) runs behind a small semaphore with a short queue, beyond which the answer
//! is 429 with `Retry-After`; decoding photos (in the verification worker and at enrolment)
//! shares one memory budget; and the whole server takes a bounded number of requests at once
//! (503 with `Retry-After` beyond it). Security events are logged here in one shape.

use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clockface_app::hashing::HashGate;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits on work anyone can cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Password and PIN hashes computed at once.
    pub hashing: usize,
    /// Requests waiting for a hashing slot before more are refused.
    pub hashing_queue: usize,
    /// How long a request waits for a hashing slot.
    pub hashing_wait: Duration,
    /// Memory photos may take while being decoded, all together, in MiB.
    pub decode_budget_mib: usize,
    /// Requests served at once.
    pub requests: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Limits { hashing: cores.max(1), hashing_queue: 64, hashing_wait: Duration::from_secs(5), decode_budget_mib: 256, requests: 1024 }
    }
}

/// The shared gates, one set per server.
#[derive(Debug, Clone)]
pub struct Gates {
    limits: Limits,
    hashing: HashGate,
    decoding: Arc<Semaphore>,
    requests: Arc<Semaphore>,
}

impl Gates {
    pub fn new(limits: Limits) -> Gates {
        Gates {
            limits,
            hashing: HashGate::new(limits.hashing, limits.hashing_queue, limits.hashing_wait),
            decoding: Arc::new(Semaphore::new(limits.decode_budget_mib.max(1))),
            requests: Arc::new(Semaphore::new(limits.requests.max(1))),
        }
    }

    /// Runs a password or PIN hash (CPU and memory heavy) on a blocking thread, at most
    /// `hashing` at once; when too many are waiting already, or the wait is too long, answers
    /// 429 with `Retry-After` instead.
    pub async fn hash<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        Ok(self.hashing.run(work).await?)
    }

    /// The bound on hashing, as the use cases take it.
    pub fn hashing(&self) -> &HashGate {
        &self.hashing
    }

    /// A share of the decoding budget for a photo of `pixels` pixels (about 4 bytes each, and
    /// the shrunken copy), held while it is decoded; waits while others use the budget. A photo
    /// larger than the whole budget waits for all of it.
    pub async fn decoding(&self, pixels: u64) -> OwnedSemaphorePermit {
        let mib = (pixels.saturating_mul(5) / (1024 * 1024)).max(1);
        let wanted = u32::try_from(mib.min(self.limits.decode_budget_mib as u64)).unwrap_or(u32::MAX);
        match self.decoding.clone().acquire_many_owned(wanted).await {
            Ok(permit) => permit,
            Err(_) => unreachable!("the decoding semaphore is never closed"),
        }
    }
}

/// Middleware: at most `requests` requests in the server at once; beyond that 503 with
/// `Retry-After`, so that a flood cannot take the memory of the requests already in.
pub async fn limit_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.gates.requests.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            tracing::warn!(target: "security", event = "overloaded", path = %request.uri().path(), "refused: too many requests at once");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "the server has too many requests at once; try again in a moment")
                .with_retry_after(1)
                .into_response()
        }
    }
}

/// The network address a request came from: the connection's peer, or, behind a proxy the
/// configuration trusts (`trust_forwarded_for`), the last address in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// For logs and lockout keys; `unknown` when the server was not told.
    pub fn text(&self) -> String {
        self.0.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    pub fn of(parts: &Parts, trust_forwarded_for: bool) -> ClientAddr {
        let forwarded = trust_forwarded_for
            .then(|| parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
            .flatten()
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        ClientAddr(forwarded.or(peer))
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(parts, state.settings.trust_forwarded_for))
    }
}

/// Logs a security event (target `security`, inside the request's span, which carries its id):
/// what happened and from where, never a secret.
#[macro_export]
macro_rules! security_event {
    ($event:literal, $client:expr $(, $key:ident = $value:expr)* $(,)?) => {
        tracing::warn!(target: "security", event = $event, client = %$client.text() $(, $key = %$value)*, "security event")
    };
}

/// Whether the request reached us over TLS, directly or through a proxy that says so.
pub(crate) fn over_tls(parts_uri_scheme: Option<&str>, headers: &HeaderMap) -> bool {
    let forwarded = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(|v| v.trim().eq_ignore_ascii_case("https"));
    parts_uri_scheme == Some("https") || forwarded == Some(true)
}

/// The address links point to (an invitation's): the configured public address, else the one
/// this request came to.
pub(crate) fn origin(state: &AppState, headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    if let Some(url) = state.settings.public_url.as_deref() {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if over_tls(uri.scheme_str(), headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Middleware: the headers every answer carries. `nosniff` everywhere; `Strict-Transport-Security`
/// when the request came over TLS (directly or through a proxy that says so); `no-store` on API
/// answers (they carry people's data) unless the handler chose otherwise.
pub async fn security_headers(request: Request, next: Next) -> Response {
    use axum::http::header::{CACHE_CONTROL, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS};
    use axum::http::HeaderValue;
    let tls = over_tls(request.uri().scheme_str(), request.headers());
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if tls {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if api && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
