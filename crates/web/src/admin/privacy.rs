//! Manage → Privacy: the retention settings (jurisdiction preset, photo retention) and publishing
//! the policy made from them, the public policy's address, and the destruction log; and the audit
//! viewer (Manage → Audit log), filtered by employee, user, kind and date, with a CSV download.

use super::devices::local;
use super::{render, see_other, AdminSession, FormErrors, Layout, PageError, SignedForm};
use crate::admin::words::{self, Words};
use crate::privacy::{self, audit_csv_response};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clockface_app::privacy::{policy_view, AuditQuery, PolicyView, AUDIT_PAGE};
use clockface_domain::ids::EmployeeId;
use clockface_domain::privacy::{Jurisdiction, RetentionSettings};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/privacy", get(privacy_page).post(publish))
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit.csv", get(audit_csv))
}

struct JurisdictionOption {
    value: &'static str,
    name: &'static str,
    selected: bool,
}

struct DestructionRow {
    at: String,
    what: String,
    employee: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/privacy.html")]
struct PrivacyPage {
    layout: Layout,
    policy: Option<PolicyView>,
    jurisdictions: Vec<JurisdictionOption>,
    photo_days: String,
    reconsent: bool,
    destructions: Vec<DestructionRow>,
    errors: FormErrors,
    published: bool,
}

#[derive(Deserialize)]
struct PrivacyQuery {
    published: Option<String>,
}

async fn employee_names(state: &AppState, admin: &AdminSession) -> Result<HashMap<EmployeeId, String>, PageError> {
    Ok(state.store.employees(admin.company_id(), None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect())
}

async fn page_for(
    state: &AppState,
    admin: &AdminSession,
    typed: Option<(String, String, bool)>,
    errors: FormErrors,
    published: bool,
) -> Result<PrivacyPage, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let policy = match state.store.policy(company, None).await? {
        Some(policy) => Some(policy_view(&*state.store, &policy).await?),
        None => None,
    };
    let current = policy.as_ref().map_or(RetentionSettings::default(), |p| RetentionSettings {
        jurisdiction: p.jurisdiction,
        photo_days: p.photo_days,
        reconsent: p.reconsent,
    });
    let (jurisdiction, photo_days, reconsent) =
        typed.unwrap_or_else(|| (current.jurisdiction.as_str().to_owned(), current.photo_days.to_string(), current.reconsent));
    let names = employee_names(state, admin).await?;
    let destructions = state
        .store
        .destruction_log(company, 200)
        .await?
        .into_iter()
        .map(|d| DestructionRow {
            at: local(d.at, zone),
            what: if d.kind == "photo" { "FaceFront photo".to_owned() } else { format!("{} face template(s)", d.count) },
            employee: d.employee_id.and_then(|e| names.get(&e).cloned()).unwrap_or_else(|| "—".to_owned()),
            reason: d.reason,
        })
        .collect();
    Ok(PrivacyPage {
        layout: Layout::new(admin, "privacy", words::en("base.privacy")),
        policy,
        jurisdictions: Jurisdiction::ALL
            .into_iter()
            .map(|j| JurisdictionOption { value: j.as_str(), name: j.name(), selected: j.as_str() == jurisdiction })
            .collect(),
        photo_days,
        reconsent,
        destructions,
        errors,
        published,
    })
}

async fn privacy_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Query(query): Query<PrivacyQuery>,
) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &page_for(&state, &admin, None, FormErrors::default(), query.published.is_some()).await?))
}

async fn publish(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let (jurisdiction, photo_days) = (form.get("jurisdiction").to_owned(), form.get("photo_days").trim().to_owned());
    let reconsent = form.get("reconsent") == "on";
    let result = match photo_days.parse::<i64>() {
        Ok(days) => RetentionSettings::parse(&jurisdiction, days, reconsent).map_err(ApiError::from),
        Err(_) => Err(ApiError::unprocessable("invalid", "photo retention must be a whole number of days").with_field("photo_days")),
    };
    let result = match result {
        Ok(settings) => privacy::publish_policy(&state, admin.company_id(), admin.session.admin_id, settings).await.map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/privacy?published=1")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            Ok(render(status, &page_for(&state, &admin, Some((jurisdiction, photo_days, reconsent)), errors, false).await?))
        }
    }
}

struct AuditRow {
    at: String,
    actor: String,
    kind: String,
    subject: String,
    employee: String,
    detail: String,
}

struct EmployeeOption {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    employees: Vec<EmployeeOption>,
    actor: String,
    kind: String,
    from: String,
    to: String,
    /// The filter as a query string, for the CSV link and the next page.
    query: String,
    next_offset: Option<i64>,
}

/// Who did it, in words: the admin's e-mail, a device's name, or the system.
fn actor_name(actor: &str, admins: &HashMap<String, String>, devices: &HashMap<String, String>) -> String {
    if let Some(id) = actor.strip_prefix("admin:") {
        return admins.get(id).cloned().unwrap_or_else(|| actor.to_owned());
    }
    if let Some(id) = actor.strip_prefix("device:") {
        return devices.get(id).map_or_else(|| actor.to_owned(), |name| format!("clock “{name}”"));
    }
    actor.to_owned()
}

async fn audit_page(State(state): State<AppState>, admin: AdminSession, Query(query): Query<AuditQuery>) -> Result<Response, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let offset = query.offset.unwrap_or(0).max(0);
    let entries = state.store.audit_entries(company, &query.filter()?, AUDIT_PAGE, offset).await?;
    let names = employee_names(&state, &admin).await?;
    // Every user of the company by e-mail, supervisors as well as admins.
    let admins: HashMap<String, String> = state.store.users(company).await?.into_iter().map(|u| (u.id.to_string(), u.email)).collect();
    let devices: HashMap<String, String> =
        state.store.devices(company).await?.into_iter().map(|d| (d.id.to_string(), d.name.as_str().to_owned())).collect();
    let next_offset = (entries.len() as i64 == AUDIT_PAGE).then_some(offset + AUDIT_PAGE);
    let rows = entries
        .into_iter()
        .map(|c| AuditRow {
            at: local(c.entry.at, zone),
            actor: actor_name(&c.entry.actor, &admins, &devices),
            kind: c.entry.action,
            subject: c.entry.subject,
            employee: c.entry.employee.and_then(|e| names.get(&e).cloned()).unwrap_or_default(),
            detail: c.entry.detail,
        })
        .collect();
    let mut employees: Vec<EmployeeOption> = names
        .iter()
        .map(|(id, name)| EmployeeOption {
            id: id.to_string(),
            name: name.clone(),
            selected: query.employee.as_deref() == Some(id.to_string().as_str()),
        })
        .collect();
    employees.sort_by(|a, b| a.name.cmp(&b.name));
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let page = AuditPage {
        layout: Layout::new(&admin, "audit", words::en("base.audit_log")),
        rows,
        employees,
        actor: text(&query.actor),
        kind: text(&query.kind),
        from: text(&query.from),
        to: text(&query.to),
        query: query.query_string(),
        next_offset,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn audit_csv(State(state): State<AppState>, admin: AdminSession, Query(query): Query<AuditQuery>) -> Result<Response, PageError> {
    Ok(audit_csv_response(&state, admin.company_id(), &query.filter()?).await?.into_response())
}
