//! Prometheus metrics: what an operator of several nodes watches. The names are recorded here
//! (through the `metrics` crate's global recorder, which the binary installs), and served as
//! Prometheus text by [`router`] on a listener of their own, never on the public one.
//!
//! - `clockface_punches_total{outcome}`: punches by outcome (`created`, `resent`, `refused` for a
//!   4xx, `failed` for a 5xx).
//! - `clockface_http_request_duration_seconds{method,route,status}`: request latency by route
//!   (the route's pattern, `/api/v1/punches/{id}`, never the address itself).
//! - `clockface_verification_queue_depth` and `clockface_verification_oldest_job_age_seconds`:
//!   read from the database when scraped, so every node reports the whole installation's queue.
//! - `clockface_verdicts_total{verdict}`: verdicts this node gave.
//! - `clockface_face_engine_seconds`: the face engine's time per photo.
//! - `clockface_store_errors_total{kind}`: database and photo store failures (`database`,
//!   `photo_store`, ...), whatever request or job met them.

use crate::{ApiError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clockface_domain::verification::Verdict;
use clockface_store::StoreError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::time::Instant;

pub const PUNCHES: &str = "clockface_punches_total";
pub const REQUEST_SECONDS: &str = "clockface_http_request_duration_seconds";
pub const QUEUE_DEPTH: &str = "clockface_verification_queue_depth";
pub const OLDEST_JOB_SECONDS: &str = "clockface_verification_oldest_job_age_seconds";
pub const VERDICTS: &str = "clockface_verdicts_total";
pub const ENGINE_SECONDS: &str = "clockface_face_engine_seconds";
pub const STORE_ERRORS: &str = "clockface_store_errors_total";

/// Histogram buckets for request latency and engine time, in seconds.
pub const SECONDS_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Gives every metric its help text, so that a scrape explains itself.
pub fn describe() {
    metrics::describe_counter!(PUNCHES, "Punches received, by outcome: created, resent (already stored), refused (4xx), failed (5xx).");
    metrics::describe_histogram!(REQUEST_SECONDS, metrics::Unit::Seconds, "HTTP request latency by method, route pattern and status.");
    metrics::describe_gauge!(QUEUE_DEPTH, "Verification jobs waiting or in hand, in the whole installation (read from the database).");
    metrics::describe_gauge!(OLDEST_JOB_SECONDS, metrics::Unit::Seconds, "Age of the oldest verification job (0 when the queue is empty).");
    metrics::describe_counter!(VERDICTS, "Face verification verdicts this node gave, by verdict.");
    metrics::describe_histogram!(ENGINE_SECONDS, metrics::Unit::Seconds, "Face engine time per photo.");
    metrics::describe_counter!(STORE_ERRORS, "Database and photo store failures met by requests and jobs, by kind.");
    // Every known label starts at 0, so that a rate over the first failure, and a dashboard
    // before anything happened, see a series rather than nothing.
    for outcome in ["created", "resent", "refused", "failed"] {
        metrics::counter!(PUNCHES, "outcome" => outcome).absolute(0);
    }
    for verdict in Verdict::ALL {
        metrics::counter!(VERDICTS, "verdict" => verdict.as_str()).absolute(0);
    }
    for kind in STORE_ERROR_KINDS {
        metrics::counter!(STORE_ERRORS, "kind" => kind).absolute(0);
    }
}

/// The kinds of [`STORE_ERRORS`].
const STORE_ERROR_KINDS: [&str; 3] = ["database", "photo_store", "corrupt"];

/// Counts one punch by what became of it.
pub fn punch_outcome<T>(outcome: &Result<T, ApiError>, created: impl FnOnce(&T) -> bool) {
    let outcome = match outcome {
        Ok(recorded) if created(recorded) => "created",
        Ok(_) => "resent",
        Err(error) if error.status.is_server_error() => "failed",
        Err(_) => "refused",
    };
    metrics::counter!(PUNCHES, "outcome" => outcome).increment(1);
}

/// Counts a verdict given.
pub fn verdict(verdict: Verdict) {
    metrics::counter!(VERDICTS, "verdict" => verdict.as_str()).increment(1);
}

/// Records the face engine's time for one photo.
pub fn engine_time(seconds: f64) {
    metrics::histogram!(ENGINE_SECONDS).record(seconds);
}

/// Counts a store failure (not an answer such as "not found" or "already taken").
pub fn store_error(error: &StoreError) {
    if let Some(kind) = failure_kind(error) {
        metrics::counter!(STORE_ERRORS, "kind" => kind).increment(1);
    }
}

/// The kind of a store error that is a failure, or `None` for an answer.
fn failure_kind(error: &StoreError) -> Option<&'static str> {
    match error {
        StoreError::Database(_) | StoreError::Migrate(_) => Some(STORE_ERROR_KINDS[0]),
        StoreError::Blob(_) | StoreError::ObjectStore(_) => Some(STORE_ERROR_KINDS[1]),
        StoreError::Corrupt(_) => Some(STORE_ERROR_KINDS[2]),
        _ => None,
    }
}

/// Middleware: the latency of every request, labelled by its route's pattern.
pub async fn track_latency(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route, "status" => status).record(started.elapsed().as_secs_f64());
    response
}

/// `/metrics`, for the metrics listener only.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state((state, handle))
}

/// Reads the queue's depth and age from the database, then renders every metric.
async fn scrape(State((state, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    match state.store.verification_queue(chrono::Utc::now()).await {
        Ok(queue) => {
            metrics::gauge!(QUEUE_DEPTH).set(queue.depth as f64);
            metrics::gauge!(OLDEST_JOB_SECONDS).set(queue.oldest_age_seconds);
        }
        Err(error) => {
            store_error(&error);
            tracing::warn!(%error, "cannot read the verification queue for /metrics");
        }
    }
    handle.run_upkeep();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}
