//! Biometric privacy for admins: the company's retention policy, employees' releases, deletion and
//! export on request, the destruction log and the audit log. What the pages share with it is in
//! `clockface_app::privacy`; the use cases are still in `web/privacy.rs`.

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Json, Path};
use crate::privacy::{self, audit_csv_response, zip_response, ReleaseNotice, Signer};
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use clockface_app::privacy::{policy_view, AuditQuery, PolicyView, ReleaseBody, AUDIT_PAGE};
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId};
use clockface_domain::language::Language;
use clockface_domain::privacy::{ReleaseStatus, RetentionSettings};
use clockface_store::{ChainedEntry, Destruction, Release};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(destructions))
        .routes(routes!(get_release, put_release))
        .routes(routes!(delete_biometrics))
        .routes(routes!(export))
        .routes(routes!(audit_log))
        .routes(routes!(audit_csv))
}

/// The company's current retention and destruction policy (404 before it published one).
#[utoipa::path(get, path = "/privacy/policy", tag = "privacy", security(("admin" = [])),
    responses((status = 200, body = PolicyView), (status = 404, description = "no policy published yet", body = ErrorBody)))]
async fn get_policy(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<PolicyView>, ApiError> {
    let policy = state
        .store
        .policy(admin.company(), None)
        .await?
        .ok_or_else(|| ApiError::not_found("no retention policy is published yet; PUT one to publish it"))?;
    Ok(Json(policy_view(&*state.store, &policy).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// `strictest` (the default), `illinois`, `texas`, `washington` or `gdpr`.
    pub jurisdiction: String,
    /// FaceFront photos are destroyed this many days after they were taken (1 to 3650).
    pub photo_days: i64,
    /// Ask an employee whose face data was deleted on request, at their next sign-in, whether to
    /// sign the release anew (the default); false: never ask them again.
    #[serde(default = "yes")]
    pub reconsent: bool,
}

fn yes() -> bool {
    true
}

/// Publish the next version of the retention policy from these settings. Face matching can start
/// only once a policy is published; the public page shows the newest version.
#[utoipa::path(put, path = "/privacy/policy", tag = "privacy", security(("admin" = [])), request_body = PolicyBody,
    responses((status = 201, body = PolicyView), (status = 422, body = ErrorBody)))]
async fn put_policy(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<PolicyBody>,
) -> Result<(StatusCode, Json<PolicyView>), ApiError> {
    let settings = RetentionSettings::parse(&body.jurisdiction, body.photo_days, body.reconsent)?;
    let policy = privacy::publish_policy(&state, admin.company(), admin.session.admin_id, settings).await?;
    Ok((StatusCode::CREATED, Json(policy_view(&*state.store, &policy).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DestructionView {
    pub at: DateTime<Utc>,
    /// `templates` or `photo`.
    pub kind: &'static str,
    pub employee_id: Option<EmployeeId>,
    pub count: i64,
    pub policy_version: Option<i64>,
    pub reason: String,
}

impl From<Destruction> for DestructionView {
    fn from(d: Destruction) -> Self {
        DestructionView {
            at: d.at,
            kind: d.kind,
            employee_id: d.employee_id,
            count: d.count,
            policy_version: d.policy_version,
            reason: d.reason,
        }
    }
}

/// The destruction log, newest first: what was destroyed, when and why (no face data in it).
#[utoipa::path(get, path = "/privacy/destructions", tag = "privacy", security(("admin" = [])), responses((status = 200, body = Vec<DestructionView>)))]
async fn destructions(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<DestructionView>>, ApiError> {
    Ok(Json(state.store.destruction_log(admin.company(), 1000).await?.into_iter().map(DestructionView::from).collect()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReleaseDecisionView {
    pub release_version: String,
    pub policy_version: i64,
    /// `signed` or `declined`.
    pub decision: &'static str,
    pub signed_name: Option<String>,
    /// The clock it was signed on, or the admin who recorded it.
    pub device_id: Option<DeviceId>,
    pub recorded_by: Option<AdminId>,
    pub decided_at: DateTime<Utc>,
    /// The language of the text they read (`en`, `es`).
    pub language: Language,
    /// The SHA-256 of the exact text they read, and that text (absent for decisions recorded
    /// before clockface kept them).
    pub text_sha256: Option<String>,
    pub text: Option<String>,
    /// A release signed on paper: the SHA-256 of its scan (an admin sees it on the employee's page).
    pub paper_scan_sha256: Option<String>,
    /// Set when their face data was deleted on request after they signed: when, by which admin, why.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<AdminId>,
    pub withdrawn_reason: Option<String>,
}

impl From<Release> for ReleaseDecisionView {
    fn from(r: Release) -> Self {
        ReleaseDecisionView {
            release_version: r.release_version,
            policy_version: r.policy_version,
            decision: r.decision.as_str(),
            signed_name: r.signed_name,
            device_id: r.device_id,
            recorded_by: r.recorded_by,
            decided_at: r.decided_at,
            language: r.language,
            text_sha256: r.text_sha256,
            text: r.text,
            paper_scan_sha256: r.paper_scan_sha256,
            withdrawn_at: r.withdrawn.as_ref().map(|w| w.at),
            withdrawn_by: r.withdrawn.as_ref().map(|w| w.by),
            withdrawn_reason: r.withdrawn.map(|w| w.reason),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    /// `no_policy`, `not_asked`, `outdated`, `declined`, `withdrawn` (face data deleted on request) or `signed`.
    #[schema(value_type = String)]
    pub status: ReleaseStatus,
    /// Their latest decision.
    pub release: Option<ReleaseDecisionView>,
    /// What they are asked to read and sign (absent before the company published a policy).
    pub notice: Option<ReleaseNotice>,
    /// When their face templates will be destroyed, once a date is set.
    pub templates_destroyed_on: Option<DateTime<Utc>>,
}

async fn release_view(state: &AppState, company: CompanyId, employee: EmployeeId) -> Result<ReleaseView, ApiError> {
    state.store.employee(company, employee).await?;
    Ok(ReleaseView {
        status: privacy::release_status(state, company, employee).await?,
        release: state.store.release(company, employee).await?.map(ReleaseDecisionView::from),
        notice: privacy::release_notice(state, company).await?,
        templates_destroyed_on: privacy::templates_due(state, company, employee).await?,
    })
}

/// An employee's biometric release: where they stand, their latest decision, and the notice.
#[utoipa::path(get, path = "/employees/{id}/release", tag = "privacy", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, body = ReleaseView), (status = 404, body = ErrorBody)))]
async fn get_release(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<EmployeeId>) -> Result<Json<ReleaseView>, ApiError> {
    Ok(Json(release_view(&state, admin.company(), id).await?))
}

/// Record the employee's decision on the release, read and signed (or declined) in front of the
/// admin. Declining destroys any template made of them; their photos are then checked by a person.
#[utoipa::path(put, path = "/employees/{id}/release", tag = "privacy", security(("admin" = [])), params(("id" = EmployeeId, Path)), request_body = ReleaseBody,
    responses((status = 200, body = ReleaseView), (status = 404, body = ErrorBody),
              (status = 409, description = "no retention policy published yet", body = ErrorBody),
              (status = 422, description = "no typed name, or an older release version", body = ErrorBody)))]
async fn put_release(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<ReleaseBody>,
) -> Result<Json<ReleaseView>, ApiError> {
    privacy::decide_release(&state, admin.company(), id, Signer::Admin(admin.session.admin_id), body.answer()?, Utc::now()).await?;
    Ok(Json(release_view(&state, admin.company(), id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBiometricsBody {
    /// Why (e.g. "asked by the employee on 3 May"); kept in the destruction and audit logs.
    pub reason: String,
    /// Also destroy their FaceFront and enrolment photos (the punches stay).
    #[serde(default)]
    pub photos: bool,
}

/// Delete an employee's biometric data now, on request: their templates, and their photos when
/// asked. A signed release is withdrawn.
#[utoipa::path(post, path = "/employees/{id}/biometrics/delete", tag = "privacy", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    request_body = DeleteBiometricsBody, responses((status = 200, body = privacy::Deletion), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete_biometrics(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<DeleteBiometricsBody>,
) -> Result<Json<privacy::Deletion>, ApiError> {
    Ok(Json(privacy::delete_on_request(&state, admin.company(), admin.session.admin_id, id, &body.reason, body.photos).await?))
}

/// Everything stored about one employee, as a ZIP of JSON files and photos (no template bytes).
#[utoipa::path(get, path = "/employees/{id}/export", tag = "privacy", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, description = "a ZIP", content_type = "application/zip"), (status = 404, body = ErrorBody)))]
async fn export(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<EmployeeId>) -> Result<impl IntoResponse, ApiError> {
    let employee = state.store.employee(admin.company(), id).await?;
    let bytes = privacy::export_employee(&state, admin.company(), admin.session.admin_id, id).await?;
    Ok(zip_response(employee.number.as_str(), bytes))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub employee_id: Option<EmployeeId>,
    /// This entry's hash; the next entry carries it as `prev_hash`.
    pub hash: String,
}

impl From<ChainedEntry> for AuditEntryView {
    fn from(c: ChainedEntry) -> Self {
        AuditEntryView {
            seq: c.seq,
            at: c.entry.at,
            actor: c.entry.actor,
            action: c.entry.action,
            subject: c.entry.subject,
            detail: c.entry.detail,
            employee_id: c.entry.employee,
            hash: c.hash,
        }
    }
}

/// The audit log, newest first, filtered: every photo view, release, enrolment, review decision,
/// correction, deletion, destruction and export.
#[utoipa::path(get, path = "/audit", tag = "privacy", security(("admin" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntryView>), (status = 422, description = "a filter that is not an employee id or a date", body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    admin: AdminAuth,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntryView>>, ApiError> {
    let entries = state.store.audit_entries(admin.company(), &query.filter()?, AUDIT_PAGE, query.offset.unwrap_or(0).max(0)).await?;
    Ok(Json(entries.into_iter().map(AuditEntryView::from).collect()))
}

/// The audit log as CSV, with the same filter.
#[utoipa::path(get, path = "/audit/csv", tag = "privacy", security(("admin" = [])), params(AuditQuery),
    responses((status = 200, description = "CSV: seq, at, actor, action, subject, employee_id, detail, hash", content_type = "text/csv"),
              (status = 422, description = "a filter that is not an employee id or a date", body = ErrorBody)))]
async fn audit_csv(
    State(state): State<AppState>,
    admin: AdminAuth,
    Query(query): Query<AuditQuery>,
) -> Result<impl IntoResponse, ApiError> {
    audit_csv_response(&state, admin.company(), &query.filter()?).await
}
