//! The front page at `/`: where a person who typed the server's address is sent on from, to the
//! admin sign-in, or to the mobile clock, whose full address it spells out for the phone. And each
//! company's public biometric retention and destruction policy at `/policy/{company}` (no sign-in),
//! its newest version or `?version=N`.

use crate::admin::PageError;
use crate::admin::{asset_version, render, session::over_tls};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clockface_domain::ids::CompanyId;
use clockface_domain::privacy::policy_text;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/policy/{company}", get(policy))
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

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    assets: &'static str,
    company: String,
    version: i64,
    published: String,
    paragraphs: Vec<String>,
    /// Earlier versions, newest first, for links.
    earlier: Vec<i64>,
}

#[derive(serde::Deserialize)]
struct PolicyQuery {
    version: Option<i64>,
}

/// A company's published policy, public: an unknown company, or one without a policy, is 404.
async fn policy(
    State(state): State<AppState>,
    Path(company): Path<String>,
    Query(query): Query<PolicyQuery>,
) -> Result<Response, PageError> {
    let missing = || ApiError::not_found("There is no published policy at this address.");
    let company: CompanyId = company.parse().map_err(|_| missing())?;
    let policy = state.store.policy(company, query.version).await?.ok_or_else(missing)?;
    let latest = state.store.policy(company, None).await?.map_or(policy.version, |p| p.version);
    let name = state.store.company(company).await?.name.as_str().to_owned();
    let page = PolicyPage {
        assets: asset_version(),
        paragraphs: policy_text(&name, policy.version, policy.settings),
        company: name,
        version: policy.version,
        published: policy.published_at.format("%B %-d, %Y").to_string(),
        earlier: (1..=latest).rev().filter(|v| *v != policy.version).collect(),
    };
    Ok(render(StatusCode::OK, &page))
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
