//! The front page at `/`: where a person who typed the server's address is sent on from, to the
//! admin sign-in, or to the mobile clock, whose full address it spells out for the phone. And each
//! company's public biometric retention and destruction policy at `/policy/{company}` (no sign-in),
//! its newest version or `?version=N`, in English or Spanish (`?lang=es`, else the browser's
//! Accept-Language), with a link to the other language; `/policy` lists every company's.

use crate::admin::PageError;
use crate::admin::{asset_version, render};
use crate::guard::over_tls;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, HOST};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clockface_domain::ids::CompanyId;
use clockface_domain::language::Language;
use clockface_domain::privacy::policy_text;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/policy", get(policies)).route("/policy/{company}", get(policy))
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
    /// The page's language code, for `<html lang>` and links.
    lang: &'static str,
    words: &'static PolicyWords,
    company: String,
    version: i64,
    published: String,
    paragraphs: Vec<String>,
    /// Earlier versions, newest first, for links.
    earlier: Vec<i64>,
    /// The same page in the other languages: (code, "Read in …" in that language, address).
    others: Vec<(&'static str, &'static str, String)>,
}

/// The page's own words in one language.
struct PolicyWords {
    title: &'static str,
    heading: &'static str,
    version: &'static str,
    published: &'static str,
    other_versions: &'static str,
    /// The link to this language, in it.
    read_this: &'static str,
    /// The list of every company's policy at `/policy`.
    list_heading: &'static str,
    list_intro: &'static str,
    list_none: &'static str,
}

const POLICY_EN: PolicyWords = PolicyWords {
    title: "Biometric data policy",
    heading: "Biometric data retention and destruction policy",
    version: "version",
    published: "published",
    other_versions: "Other versions:",
    read_this: "Read in English",
    list_heading: "Biometric data policies",
    list_intro: "The companies that clock their employees in on this server with FaceFront photos, each with its published policy on how long face data is kept and when it is destroyed.",
    list_none: "No company on this server has published a biometric data policy yet.",
};

const POLICY_ES: PolicyWords = PolicyWords {
    title: "Política de datos biométricos",
    heading: "Política de conservación y destrucción de datos biométricos",
    version: "versión",
    published: "publicada el",
    other_versions: "Otras versiones:",
    read_this: "Leer en español",
    list_heading: "Políticas de datos biométricos",
    list_intro: "Las empresas que registran la entrada de sus empleados en este servidor con fotos FaceFront, cada una con su política publicada sobre cuánto tiempo se conservan los datos faciales y cuándo se destruyen.",
    list_none: "Ninguna empresa de este servidor ha publicado todavía una política de datos biométricos.",
};

fn policy_words(language: Language) -> &'static PolicyWords {
    match language {
        Language::English => &POLICY_EN,
        Language::Spanish => &POLICY_ES,
    }
}

/// A date as the page's language writes it: "December 2, 2026", "2 de diciembre de 2026".
fn written_date(date: chrono::DateTime<chrono::Utc>, language: Language) -> String {
    use chrono::Datelike;
    const MESES: [&str; 12] =
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
    match language {
        Language::English => date.format("%B %-d, %Y").to_string(),
        Language::Spanish => format!("{} de {} de {}", date.day(), MESES[date.month0() as usize], date.year()),
    }
}

#[derive(serde::Deserialize)]
struct PolicyQuery {
    version: Option<i64>,
    /// `en` or `es`; without it, the browser's Accept-Language.
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    assets: &'static str,
    lang: &'static str,
    words: &'static PolicyWords,
    /// Each company with a published policy: (name, address of its policy in this language).
    companies: Vec<(String, String)>,
    others: Vec<(&'static str, &'static str, String)>,
}

/// The page's language: `?lang=`, else the browser's Accept-Language.
fn page_language(lang: Option<&str>, headers: &HeaderMap) -> Result<Language, ApiError> {
    match lang {
        Some(raw) => Language::parse(raw).map_err(|_| ApiError::bad_request("invalid_query", "lang must be en (English) or es (Spanish)")),
        None => Ok(Language::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default())),
    }
}

/// Every company's published policy, linked from the front page: a member of the public finds
/// one without knowing the company's id. Companies without a published policy are not listed.
async fn policies(State(state): State<AppState>, Query(query): Query<PolicyQuery>, headers: HeaderMap) -> Result<Response, PageError> {
    let language = page_language(query.lang.as_deref(), &headers)?;
    let mut companies = Vec::new();
    for company in state.store.company_ids().await? {
        if state.store.policy(company, None).await?.is_some() {
            let name = state.store.company(company).await?.name.as_str().to_owned();
            companies.push((name, format!("/policy/{company}?lang={}", language.code())));
        }
    }
    companies.sort();
    let page = PoliciesPage {
        assets: asset_version(),
        lang: language.code(),
        words: policy_words(language),
        companies,
        others: other_languages(language, ""),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The same page in the languages other than `language`: (code, "Read in …" in it, address
/// with `rest` of the query after its `lang`).
fn other_languages(language: Language, rest: &str) -> Vec<(&'static str, &'static str, String)> {
    Language::ALL
        .into_iter()
        .filter(|l| *l != language)
        .map(|l| (l.code(), policy_words(l).read_this, format!("?lang={}{rest}", l.code())))
        .collect()
}

/// A company's published policy, public: an unknown company, or one without a policy, is 404.
async fn policy(
    State(state): State<AppState>,
    Path(company): Path<String>,
    Query(query): Query<PolicyQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let language = page_language(query.lang.as_deref(), &headers)?;
    let missing = || ApiError::not_found("There is no published policy at this address.");
    let company: CompanyId = company.parse().map_err(|_| missing())?;
    let policy = state.store.policy(company, query.version).await?.ok_or_else(missing)?;
    let latest = state.store.policy(company, None).await?.map_or(policy.version, |p| p.version);
    let name = state.store.company(company).await?.name.as_str().to_owned();
    let version_part = query.version.map(|v| format!("&version={v}")).unwrap_or_default();
    let page = PolicyPage {
        assets: asset_version(),
        lang: language.code(),
        words: policy_words(language),
        paragraphs: policy_text(&name, policy.version, policy.settings, language),
        company: name,
        version: policy.version,
        published: written_date(policy.published_at, language),
        earlier: (1..=latest).rev().filter(|v| *v != policy.version).collect(),
        others: other_languages(language, &version_part),
    };
    Ok(render(StatusCode::OK, &page))
}

/// A Host header worth repeating on the page: a name or address with an optional port.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= 255 && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::{is_host, written_date};
    use chrono::TimeZone;
    use clockface_domain::language::Language;

    #[test]
    fn the_policy_date_is_written_in_the_page_language() {
        let day = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).single().unwrap();
        assert_eq!(written_date(day, Language::English), "December 2, 2026");
        assert_eq!(written_date(day, Language::Spanish), "2 de diciembre de 2026");
    }

    #[test]
    fn only_plain_host_names_are_repeated() {
        assert!(is_host("127.0.0.1:8080") && is_host("clock.acme.example") && is_host("[::1]:8080"));
        assert!(!is_host("evil.example/<script>") && !is_host(""));
    }
}
