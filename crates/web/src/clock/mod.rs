//! The mobile clock: a web app (plain JavaScript modules, no build step) served at `/clock/`
//! from files embedded in the binary. It talks to the device API under `/api/v1/device` and
//! `/api/v1/punches`; everything it knows lives in `crates/web/clock/`.
//!
//! Every file is answered with an `ETag` (the hash of the whole app), so a phone revalidates
//! cheaply; the service worker's cache is named by the same hash, so a new binary with changed
//! files installs a new worker and replaces the cache in one step.

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file of the app.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, bytes: include_bytes!(concat!("../../clock/", $name)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The app's files; `sw.js` is among them and gets the version written into it.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("styles.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("store.js", JS),
    asset!("outbox.js", JS),
    asset!("camera.js", JS),
    asset!("headturn.js", JS),
    asset!("kiosk.js", JS),
    asset!("util.js", JS),
    asset!("signing.js", JS),
    asset!("pinseal.js", JS),
    asset!("mycard.js", JS),
    asset!("timeoff.js", JS),
    asset!("jobs.js", JS),
    asset!("geo.js", JS),
    asset!("i18n.js", JS),
    asset!("i18n/en.js", JS),
    asset!("i18n/es.js", JS),
    asset!("sw.js", JS),
    asset!("manifest.webmanifest", "application/manifest+json"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("icon-192.png", "image/png"),
    asset!("icon-512.png", "image/png"),
    asset!("icon-maskable-512.png", "image/png"),
];

/// Where `sw.js` expects the app's version.
const VERSION_PLACEHOLDER: &str = "__CLOCKFACE_APP_VERSION__";

/// A short hash of every file of the app: the ETag of each and the name of the worker's cache.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for asset in ASSETS {
        hash.update(asset.name.as_bytes());
        hash.update((asset.bytes.len() as u64).to_le_bytes());
        hash.update(asset.bytes);
    }
    hex::encode(&hash.finalize()[..8])
});

/// `sw.js` with the version written in.
static SERVICE_WORKER: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let source = ASSETS.iter().find(|a| a.name == "sw.js").map_or(&b""[..], |a| a.bytes);
    String::from_utf8_lossy(source).replace(VERSION_PLACEHOLDER, &VERSION).into_bytes()
});

/// The policy for the app's pages: only its own scripts, styles and API; the camera's frames
/// come through `blob:`/`mediastream:` URLs and the captured photo through `blob:`.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                   media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const SERVICE_WORKER_ALLOWED: HeaderName = HeaderName::from_static("service-worker-allowed");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// `/clock` (redirected to `/clock/`), `/clock/` (the app) and `/clock/<file>`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/clock", get(|| async { (StatusCode::PERMANENT_REDIRECT, [(LOCATION, "/clock/")]) }))
        .route("/clock/", get(|headers: HeaderMap| async move { serve("index.html", &headers) }))
        .route("/clock/{file}", get(|Path(file): Path<String>, headers: HeaderMap| async move { serve(&file, &headers) }))
        // The catalogues of the clock's words, one per language.
        .route(
            "/clock/i18n/{file}",
            get(|Path(file): Path<String>, headers: HeaderMap| async move { serve(&format!("i18n/{file}"), &headers) }),
        )
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return crate::ApiError::not_found(format!("the mobile clock has no file `{name}`")).into_response();
    };
    let etag = format!("\"{}\"", *VERSION);
    // Every file is checked with the server on each use (`no-cache` still stores it): the
    // files carry no hash in their names, and the service worker keeps the offline copy.
    // The icons change least and are fetched most by launchers, so they may be kept a day.
    let cache = if asset.content_type.starts_with("image/") { "public, max-age=86400" } else { "no-cache" };
    let mut response = if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if asset.name == "sw.js" {
        SERVICE_WORKER.as_slice().into_response()
    } else {
        asset.bytes.into_response()
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, value);
    }
    if asset.name == "index.html" {
        out.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        out.insert(PERMISSIONS_POLICY, HeaderValue::from_static("camera=(self), geolocation=(self), microphone=()"));
    }
    if asset.name == "sw.js" {
        // The worker lives at /clock/sw.js, so /clock/ is already its widest default scope;
        // saying it keeps the scope right if the worker ever moves.
        out.insert(SERVICE_WORKER_ALLOWED, HeaderValue::from_static("/clock/"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_worker_carries_the_app_version() {
        let sw = String::from_utf8_lossy(&SERVICE_WORKER).into_owned();
        assert!(!sw.contains(VERSION_PLACEHOLDER));
        assert!(sw.contains(VERSION.as_str()));
    }

    #[test]
    fn every_file_the_worker_caches_is_served() {
        let sw = String::from_utf8_lossy(&SERVICE_WORKER).into_owned();
        for asset in ASSETS {
            if asset.name != "sw.js" {
                assert!(sw.contains(&format!("'{}'", asset.name)), "sw.js does not cache {}", asset.name);
            }
        }
    }
}
