//! clockface's HTTP side: the JSON API under `/api/v1` (with its OpenAPI document), the
//! services behind it, and the server's state. Handlers check the caller, let the domain decide
//! and the store write; no SQL lives here.

pub mod admin;
pub mod api;
pub mod auth;
pub mod clock;
pub mod error;
pub mod guard;
pub mod home;
pub mod metrics;
pub mod payroll;
pub mod photo;
pub mod privacy;
pub mod punching;
pub mod refusals;
pub mod security;
pub mod state;
pub mod verification;

pub use error::ApiError;
pub use state::{AppState, WebSettings};

use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: `/healthz`, the API and its OpenAPI document, with request ids and
/// request tracing around it.
pub fn app(state: AppState) -> Router {
    let (api, mut openapi) = api::router(&state.settings).split_for_parts();
    utoipa::Modify::modify(&api::CommonErrors, &mut openapi);
    let openapi = std::sync::Arc::new(openapi);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api)
        .merge(home::router())
        .merge(clock::router())
        .merge(admin::router(&state.settings))
        .route("/api/v1/openapi.json", get(move || std::future::ready(axum::Json(openapi.as_ref().clone()))))
        .fallback(|| async { ApiError::not_found("no such page or endpoint") })
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn(metrics::track_latency))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::limit_requests))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            // At warn level, so that the request's id and path go with every warning (security
            // events among them) even when the log shows warnings only.
            tracing::warn_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Answers 200 while the database answers.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("ok")
}

/// Readiness: 200 when the database and the photo store both answer, else 503; the JSON says
/// which is down (`{"database": "ok", "photo_store": "down"}`), and the log says why.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (database, photos) = tokio::join!(state.store.ping(), state.blobs.ping());
    let word = |result: Result<(), clockface_store::StoreError>, part: &str| match result {
        Ok(()) => "ok",
        Err(error) => {
            tracing::warn!(%error, part, "not ready");
            "down"
        }
    };
    let body = serde_json::json!({"database": word(database, "database"), "photo_store": word(photos, "photo_store")});
    let status = if body.as_object().is_some_and(|parts| parts.values().all(|v| v == "ok")) {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}
