//! The front page at `/`: where a person who typed the server's address is sent on from, to the
//! admin sign-in, or to the mobile clock, whose full address it spells out for the phone.

use crate::admin::{asset_version, render, session::over_tls};
use crate::AppState;
use askama::Template;
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    assets: &'static str,
    /// The mobile clock's address as this request reached us, e.g. `https://clock.acme.example/clock/`.
    clock_url: String,
}

async fn home(uri: Uri, headers: HeaderMap) -> Response {
    let scheme = if over_tls(uri.scheme_str(), &headers) { "https" } else { "http" };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).filter(|h| is_host(h)).unwrap_or("this-server");
    render(StatusCode::OK, &HomePage { assets: asset_version(), clock_url: format!("{scheme}://{host}/clock/") })
}

/// A Host header worth repeating on the page: a name or address with an optional port.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= 255 && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_host;

    #[test]
    fn only_plain_host_names_are_repeated() {
        assert!(is_host("127.0.0.1:8080") && is_host("clock.acme.example") && is_host("[::1]:8080"));
        assert!(!is_host("evil.example/<script>") && !is_host(""));
    }
}
