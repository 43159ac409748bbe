//! Biometric privacy in the service: where an employee stands on the written release, signing or
//! declining it, publishing the company's retention policy, the daily destruction job, deletion on
//! request, and the export of everything stored about one employee. The rules live in
//! `clockface_domain::privacy`; the records in the store; what the API and the pages share of the
//! policy, the release's answer and the audit viewer in `clockface_app::privacy`. Also the two
//! downloads both faces answer with: an employee's export (a ZIP) and the audit log's CSV.

use crate::{ApiError, AppState};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use clockface_app::audit::audit_entry;
use clockface_app::privacy::{policy_path, policy_path_in, ReleaseAnswer};
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId};
use clockface_domain::language::Language;
use clockface_domain::privacy::{
    check_signature_name, parse_signature, photos_due_before, release_text, templates_destroyed_on, EmployeeFacts, ReleaseStatus,
    RetentionSettings, RELEASE_VERSION,
};
use clockface_domain::DomainError;
use clockface_store::{AuditFilter, Destruction, Policy, Release, ReleaseDecision, StoreError};
use serde::Serialize;

/// Where an employee stands on the release: decided by the company's policy and their latest decision.
pub async fn release_status(state: &AppState, company: CompanyId, employee: EmployeeId) -> Result<ReleaseStatus, StoreError> {
    let policy = state.store.policy(company, None).await?;
    let release = state.store.release(company, employee).await?;
    Ok(status_of(policy.as_ref(), release.as_ref()))
}

fn status_of(policy: Option<&Policy>, release: Option<&Release>) -> ReleaseStatus {
    ReleaseStatus::of(
        policy.map(|p| p.settings),
        release.map(|r| (r.release_version.as_str(), r.decision == ReleaseDecision::Signed, r.withdrawn.is_some())),
    )
}

/// What an employee reads before signing or declining: the current release and the policy it
/// points to, in English (`text`, `policy_url`) and in every language (`texts`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReleaseNotice {
    /// Send this back as `release_version` when signing or declining.
    pub release_version: &'static str,
    pub policy_version: i64,
    /// The English text (the same as `texts`' `en`).
    pub text: String,
    /// The public policy page (no sign-in), in English.
    pub policy_url: String,
    /// The release in each language: the clock shows the one in its language, and sends back
    /// its `language` and `text_sha256` with the answer.
    pub texts: Vec<ReleaseText>,
    /// Set when this employee is asked again after their face data was deleted on request (the
    /// company's policy allows it): when that was, so the clock can say why it asks.
    pub withdrawn_on: Option<DateTime<Utc>>,
}

/// The release in one language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReleaseText {
    pub language: Language,
    pub text: String,
    /// The SHA-256 (hex) of `text`'s UTF-8 bytes.
    pub text_sha256: String,
    /// The public policy page in this language.
    pub policy_url: String,
}

impl ReleaseNotice {
    /// The text in `language`.
    pub fn text_in(&self, language: Language) -> Option<&ReleaseText> {
        self.texts.iter().find(|t| t.language == language)
    }
}

/// The SHA-256 (hex) of a text's UTF-8 bytes.
pub fn text_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn notice_of(company_name: &str, company: CompanyId, policy: &Policy) -> ReleaseNotice {
    let texts: Vec<ReleaseText> = Language::ALL
        .into_iter()
        .map(|language| {
            let policy_url = policy_path_in(company, language);
            let text = release_text(company_name, policy.settings, &policy_url, language);
            ReleaseText { language, text_sha256: text_sha256(&text), text, policy_url }
        })
        .collect();
    ReleaseNotice {
        release_version: RELEASE_VERSION,
        policy_version: policy.version,
        text: texts[0].text.clone(),
        policy_url: policy_path(company),
        texts,
        withdrawn_on: None,
    }
}

/// The release the company's employees are asked to sign, or `None` before it published a policy.
pub async fn release_notice(state: &AppState, company: CompanyId) -> Result<Option<ReleaseNotice>, StoreError> {
    let Some(policy) = state.store.policy(company, None).await? else { return Ok(None) };
    let name = state.store.company(company).await?.name.as_str().to_owned();
    Ok(Some(notice_of(&name, company, &policy)))
}

/// Who recorded a decision on the release: the employee on a clock, or an admin on their page
/// (with the employee there, typing their name).
#[derive(Debug, Clone, Copy)]
pub enum Signer {
    Device(DeviceId),
    Admin(AdminId),
}

impl Signer {
    fn actor(self) -> String {
        match self {
            Signer::Device(device) => format!("device:{device}"),
            Signer::Admin(admin) => format!("admin:{admin}"),
        }
    }
}

/// Records an employee's decision on the current release. Signing needs their typed full name;
/// declining destroys any template already made of them (a person checks their photos from now on).
pub async fn decide_release(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    signer: Signer,
    answer: ReleaseAnswer<'_>,
    now: DateTime<Utc>,
) -> Result<Release, ApiError> {
    let ReleaseAnswer { decision, signed_name, release_version, language, text_sha256: read } = answer;
    let on_file = state.store.employee(company, employee).await?;
    let policy = state.store.policy(company, None).await?.ok_or(DomainError::PolicyRequired)?;
    if release_version != RELEASE_VERSION {
        return Err(DomainError::ReleaseOutdated { current: RELEASE_VERSION }.into());
    }
    // The exact text in their language, as the server makes it now: what they read, unless the
    // clock says it showed another (the policy or the company's name changed meanwhile).
    let name = state.store.company(company).await?.name.as_str().to_owned();
    let notice = notice_of(&name, company, &policy);
    let shown = notice.text_in(language).ok_or_else(|| ApiError::internal("a language without a release text"))?;
    if read.is_some_and(|hash| !hash.eq_ignore_ascii_case(&shown.text_sha256)) {
        return Err(ApiError::unprocessable(
            "release_text_changed",
            "the text of the release changed since it was shown; show the current one and answer again",
        )
        .with_field("text_sha256"));
    }
    let signed_name = match decision {
        ReleaseDecision::Signed => {
            let typed = parse_signature(signed_name.unwrap_or_default())?;
            // The signature is the person's: their own name as the employer has it.
            if let Err(error) = check_signature_name(&typed, on_file.name.as_str()) {
                return Err(ApiError::unprocessable("signature_name_mismatch", error.to_string().replacen("signed_name: ", "", 1))
                    .with_field("signed_name")
                    .with_details(serde_json::json!({ "name": on_file.name.as_str() })));
            }
            Some(typed)
        }
        ReleaseDecision::Declined => None,
    };
    let (device_id, recorded_by) = match signer {
        Signer::Device(device) => (Some(device), None),
        Signer::Admin(admin) => (None, Some(admin)),
    };
    let release = Release {
        employee_id: employee,
        release_version: RELEASE_VERSION.to_owned(),
        policy_version: policy.version,
        decision,
        signed_name,
        device_id,
        recorded_by,
        decided_at: now,
        language,
        text_sha256: Some(shown.text_sha256.clone()),
        text: Some(shown.text.clone()),
        paper_scan_sha256: None,
        withdrawn: None,
    };
    let read_in = format!("read in {} (text sha256 {})", language.code(), shown.text_sha256);
    let detail = match &release.signed_name {
        Some(name) => format!("release {RELEASE_VERSION} under policy version {}, {read_in}, signed as \"{name}\"", policy.version),
        None => format!("release {RELEASE_VERSION} under policy version {}, {read_in}", policy.version),
    };
    let action = format!("release.{}", decision.as_str());
    let line = audit_entry(company, &signer.actor(), &action, &format!("employee:{employee}"), &detail);
    state.store.record_release(company, &release, &line).await?;
    if decision == ReleaseDecision::Declined {
        destroy_templates(
            state,
            company,
            employee,
            &signer.actor(),
            Some(policy.version),
            "the employee declined the biometric release",
            now,
        )
        .await?;
    }
    Ok(release)
}

/// The largest scan of a paper release taken, in bytes.
pub const MAX_SCAN_BYTES: usize = 10 * 1024 * 1024;

/// What a scan of a paper release is, by its first bytes: PDF, JPEG or PNG.
pub fn scan_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Records a release the employee signed on paper: an admin's record of who signed (the
/// employee, by their name on file), when (`signed_on`, in the company's time zone), in which
/// language, with the scan of the signed page kept in the photo store. Audited; the release is
/// the current one, so the text recorded is the one the admin printed from this page.
pub async fn record_paper_release(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    admin: AdminId,
    signed_on: chrono::NaiveDate,
    language: Language,
    scan: bytes::Bytes,
) -> Result<Release, ApiError> {
    let on_file = state.store.employee(company, employee).await?;
    let policy = state.store.policy(company, None).await?.ok_or(DomainError::PolicyRequired)?;
    let company_row = state.store.company(company).await?;
    let zone = company_row.time_zone;
    let today = Utc::now().with_timezone(&zone).date_naive();
    if signed_on > today {
        return Err(ApiError::unprocessable("invalid", "the date it was signed cannot be in the future").with_field("signed_on"));
    }
    if scan.is_empty() {
        return Err(ApiError::unprocessable("missing_scan", "attach a scan or photo of the signed page").with_field("scan"));
    }
    if scan.len() > MAX_SCAN_BYTES {
        return Err(
            ApiError::unprocessable("scan_too_large", "the scan is larger than 10 MB; scan it at a lower resolution").with_field("scan")
        );
    }
    if scan_type(&scan).is_none() {
        return Err(ApiError::unprocessable("unsupported_scan", "the scan must be a PDF, JPEG or PNG file").with_field("scan"));
    }
    let notice = notice_of(company_row.name.as_str(), company, &policy);
    let shown = notice.text_in(language).ok_or_else(|| ApiError::internal("a language without a release text"))?;
    let sha256 = state.blobs.put(company, scan).await?;
    let signed_at = clockface_app::timecards::start_of_day(zone, signed_on);
    let release = Release {
        employee_id: employee,
        release_version: RELEASE_VERSION.to_owned(),
        policy_version: policy.version,
        decision: ReleaseDecision::Signed,
        signed_name: Some(on_file.name.as_str().to_owned()),
        device_id: None,
        recorded_by: Some(admin),
        decided_at: signed_at,
        language,
        text_sha256: Some(shown.text_sha256.clone()),
        text: Some(shown.text.clone()),
        paper_scan_sha256: Some(sha256.clone()),
        withdrawn: None,
    };
    let detail = format!(
        "release {RELEASE_VERSION} under policy version {}, signed on paper on {signed_on} in {} (text sha256 {}), scan sha256 {sha256}",
        policy.version,
        language.code(),
        shown.text_sha256
    );
    let line = audit_entry(company, &Signer::Admin(admin).actor(), "release.signed_on_paper", &format!("employee:{employee}"), &detail);
    state.store.record_release(company, &release, &line).await?;
    Ok(release)
}

/// Publishes the next version of the company's retention policy from its settings.
pub async fn publish_policy(state: &AppState, company: CompanyId, admin: AdminId, settings: RetentionSettings) -> Result<Policy, ApiError> {
    let detail = format!("{}, photos kept {} days", settings.jurisdiction.as_str(), settings.photo_days);
    let line = audit_entry(company, &format!("admin:{admin}"), "policy.published", &format!("company:{company}"), &detail);
    Ok(state.store.publish_policy(company, settings, Some(admin), Utc::now(), &line).await?)
}

/// The company's settings for destruction: its policy's, or the strictest default before it published one.
async fn retention(state: &AppState, company: CompanyId) -> Result<(RetentionSettings, Option<i64>), StoreError> {
    Ok(match state.store.policy(company, None).await? {
        Some(policy) => (policy.settings, Some(policy.version)),
        None => (RetentionSettings::default(), None),
    })
}

/// When an employee's templates will be destroyed, if a date is set yet (for the admin pages).
pub async fn templates_due(state: &AppState, company: CompanyId, employee: EmployeeId) -> Result<Option<DateTime<Utc>>, StoreError> {
    let (settings, _) = retention(state, company).await?;
    let enrolled = state.store.enrolled_employees(company).await?;
    Ok(enrolled.into_iter().find(|e| e.employee_id == employee).and_then(|e| {
        templates_destroyed_on(settings, EmployeeFacts { left_at: e.left_at, last_punch_at: e.last_punch_at, enrolled_at: e.enrolled_at })
    }))
}

/// Destroys an employee's templates in this request when the company's policy says they are due
/// now (employment ended under a law that keeps nothing after it), as the daily job would, audited
/// in the name of `actor`; returns how many. Called when an employee is saved, so that making
/// someone inactive destroys their templates at once instead of at the next daily run.
pub async fn destroy_templates_if_due(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (settings, version) = retention(state, company).await?;
    let Some(enrolled) = state.store.enrolled_employees(company).await?.into_iter().find(|e| e.employee_id == employee) else {
        return Ok(0);
    };
    let facts = EmployeeFacts { left_at: enrolled.left_at, last_punch_at: enrolled.last_punch_at, enrolled_at: enrolled.enrolled_at };
    if templates_destroyed_on(settings, facts).is_none_or(|due| due > now) {
        return Ok(0);
    }
    let reason = match (enrolled.left_at, version) {
        (Some(_), Some(v)) => format!("employment ended (made inactive), under retention policy version {v}"),
        (Some(_), None) => "employment ended (made inactive), under the strictest default (no policy published)".to_owned(),
        (None, Some(v)) => format!("due under retention policy version {v}"),
        (None, None) => "due under the strictest default (no policy published)".to_owned(),
    };
    destroy_templates(state, company, employee, actor, version, &reason, now).await
}

/// What one run of the destruction job destroyed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DestructionRun {
    pub templates: u64,
    pub photos: u64,
}

/// How many due photos one query takes at a time.
const PHOTO_BATCH: i64 = 500;

/// Destroys, in every company, what its policy says is due at `now`: templates (deleted from the
/// database) and FaceFront photos (their bytes deleted from storage, the photo marked destroyed),
/// while the punches stay. Safe when two run at once: each destruction is one statement that says
/// whether it removed anything, and only that one logs it.
pub async fn destroy_due(state: &AppState, now: DateTime<Utc>) -> Result<DestructionRun, StoreError> {
    let mut run = DestructionRun::default();
    for company in state.store.company_ids().await? {
        let (settings, version) = retention(state, company).await?;
        let reason = match version {
            Some(v) => format!("retention policy version {v}"),
            None => "the strictest default (no policy published)".to_owned(),
        };
        for enrolled in state.store.enrolled_employees(company).await? {
            let facts =
                EmployeeFacts { left_at: enrolled.left_at, last_punch_at: enrolled.last_punch_at, enrolled_at: enrolled.enrolled_at };
            if templates_destroyed_on(settings, facts).is_some_and(|due| due <= now) {
                run.templates += destroy_templates(state, company, enrolled.employee_id, "system", version, &reason, now).await?;
            }
        }
        let cutoff = photos_due_before(settings, now);
        let mut destroyed = 0;
        loop {
            let due = state.store.photos_due(company, cutoff, PHOTO_BATCH).await?;
            let mut progressed = false;
            for photo in &due {
                if destroy_photo(state, company, &photo.sha256, photo.employee_id, version, &reason, now).await? {
                    destroyed += 1;
                    progressed = true;
                }
            }
            // A batch in which another job marked every photo first still shrank the list; one in
            // which nothing could be marked would repeat forever.
            if (due.len() as i64) < PHOTO_BATCH || !progressed {
                break;
            }
        }
        if destroyed > 0 {
            let line = audit_entry(
                company,
                "system",
                "photos.destroyed",
                &format!("company:{company}"),
                &format!("{destroyed} photo(s) under {reason}"),
            );
            state.store.audit(&line).await?;
        }
        run.photos += destroyed;
    }
    Ok(run)
}

async fn destroy_templates(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    actor: &str,
    policy_version: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let log = Destruction {
        company_id: company,
        at: now,
        kind: "templates",
        employee_id: Some(employee),
        count: 0,
        policy_version,
        reason: reason.to_owned(),
    };
    let line = audit_entry(company, actor, "templates.destroyed", &format!("employee:{employee}"), reason);
    Ok(state.store.destroy_templates(company, employee, &log, &line).await?.0)
}

/// Deletes a photo's bytes, then marks it destroyed (and logs it) once. Deleting first means a
/// photo marked destroyed never still has bytes; a second job deletes nothing and marks nothing.
async fn destroy_photo(
    state: &AppState,
    company: CompanyId,
    sha256: &str,
    employee: Option<EmployeeId>,
    policy_version: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    state.blobs.delete(company, sha256).await?;
    let log = Destruction {
        company_id: company,
        at: now,
        kind: "photo",
        employee_id: employee,
        count: 1,
        policy_version,
        reason: reason.to_owned(),
    };
    state.store.mark_photo_destroyed(company, sha256, &log).await
}

/// How often the destruction job runs.
pub const DESTRUCTION_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The daily destruction job: at start, then every day, until `stop`. Every node runs it.
pub async fn run_destruction_job(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match destroy_due(&state, Utc::now()).await {
            Ok(run) if run.templates + run.photos > 0 => {
                tracing::info!(templates = run.templates, photos = run.photos, "destroyed biometric data due under the retention policies");
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "the destruction job failed; it runs again in a day"),
        }
        tokio::select! {
            _ = tokio::time::sleep(DESTRUCTION_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// What a deletion on request destroyed.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Deletion {
    pub templates: u64,
    pub photos: u64,
    /// Their signed release was withdrawn (no template is made again unless they sign anew).
    pub release_withdrawn: bool,
}

/// Deletes an employee's biometric data now, on request: their templates, and their FaceFront
/// photos when asked, with the reason in the destruction log and the audit log. A signed release
/// is withdrawn, so the next punch does not make a template again.
pub async fn delete_on_request(
    state: &AppState,
    company: CompanyId,
    admin: AdminId,
    employee: EmployeeId,
    reason: &str,
    photos: bool,
) -> Result<Deletion, ApiError> {
    state.store.employee(company, employee).await?;
    let reason = clockface_domain::text::check("reason", reason.trim(), clockface_domain::text::Lines::Many)?;
    if reason.is_empty() {
        return Err(
            ApiError::unprocessable("invalid", "say why the data is deleted (e.g. the employee asked on 3 May)").with_field("reason")
        );
    }
    let reason = format!("deleted on request: {reason}");
    let actor = format!("admin:{admin}");
    let now = Utc::now();
    let policy_version = state.store.policy(company, None).await?.map(|p| p.version);
    let withdrawal = clockface_store::Withdrawal { at: now, by: admin, reason: reason.clone() };
    let line = audit_entry(company, &actor, "release.withdrawn", &format!("employee:{employee}"), &reason);
    let release_withdrawn = state.store.withdraw_release(company, employee, &withdrawal, &line).await?;
    // Their photos are listed while the templates still say which enrolment photos are theirs.
    let kept = if photos { state.store.employee_photos(company, employee).await? } else { Vec::new() };
    let templates = destroy_templates(state, company, employee, &actor, policy_version, &reason, now).await?;
    let mut destroyed_photos = 0;
    if photos {
        for sha256 in kept {
            if destroy_photo(state, company, &sha256, Some(employee), policy_version, &reason, now).await? {
                destroyed_photos += 1;
            }
        }
        let line = audit_entry(
            company,
            &actor,
            "photos.destroyed",
            &format!("employee:{employee}"),
            &format!("{destroyed_photos} photo(s), {reason}"),
        );
        state.store.audit(&line).await?;
    }
    Ok(Deletion { templates, photos: destroyed_photos, release_withdrawn })
}

/// Everything stored about one employee as a ZIP: JSON files and their photos, no template bytes.
pub async fn export_employee(state: &AppState, company: CompanyId, admin: AdminId, employee: EmployeeId) -> Result<Vec<u8>, ApiError> {
    use std::io::Write;
    let profile = state.store.employee(company, employee).await?;
    let (first, last) = all_time();
    let punches = state.store.punches(company, employee, first, last).await?;
    let ids: Vec<_> = punches.iter().map(|p| p.id).collect();
    let verdicts = state.store.verifications(company, &ids).await?;
    let mut punch_views = Vec::with_capacity(punches.len());
    for punch in &punches {
        let verification = verdicts.get(&punch.id).cloned().map(clockface_app::reviews::VerificationView::from);
        let review =
            state.store.review(company, punch.id).await?.map(
                |r| serde_json::json!({ "decision": r.decision.as_str(), "reviewed_by": r.reviewed_by, "reviewed_at": r.reviewed_at }),
            );
        punch_views.push(serde_json::json!({ "punch": punch, "verification": verification, "review": review }));
    }
    let release = state.store.release(company, employee).await?.map(|r| {
        serde_json::json!({
            "release_version": r.release_version, "policy_version": r.policy_version, "decision": r.decision.as_str(),
            "language": r.language, "text_sha256": r.text_sha256, "text": r.text,
            "signed_name": r.signed_name, "device_id": r.device_id, "recorded_by": r.recorded_by, "decided_at": r.decided_at,
        })
    });
    let consent = state
        .store
        .consent(company, employee)
        .await?
        .map(|c| serde_json::json!({ "notice_version": c.notice_version, "recorded_by": c.recorded_by, "agreed_at": c.agreed_at }));
    let templates: Vec<_> = state
        .store
        .templates(company, employee)
        .await?
        .into_iter()
        .map(|t| serde_json::json!({ "id": t.id, "source": t.source.as_str(), "photo_sha256": t.photo_sha256, "created_at": t.created_at }))
        .collect();
    let filter = AuditFilter { employee: Some(employee), ..AuditFilter::default() };
    let audit: Vec<_> = state.store.audit_entries(company, &filter, 100_000, 0).await?.into_iter().map(|c| audit_json(&c.entry)).collect();
    let destructions: Vec<_> = state
        .store
        .destruction_log(company, 100_000)
        .await?
        .into_iter()
        .filter(|d| d.employee_id == Some(employee))
        .map(
            |d| serde_json::json!({ "at": d.at, "kind": d.kind, "count": d.count, "policy_version": d.policy_version, "reason": d.reason }),
        )
        .collect();
    let photos = state.store.employee_photos(company, employee).await?;

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files: [(&str, serde_json::Value); 7] = [
        ("employee.json", serde_json::to_value(&profile).map_err(ApiError::internal)?),
        ("punches.json", serde_json::Value::Array(punch_views)),
        ("release.json", serde_json::json!({ "release": release, "earlier_consent": consent })),
        (
            "templates.json",
            serde_json::json!({ "note": "Face templates themselves are never exported; this lists when each was made and from which photo.", "templates": templates }),
        ),
        ("audit.json", serde_json::Value::Array(audit)),
        ("destructions.json", serde_json::Value::Array(destructions)),
        ("photos.json", serde_json::json!(photos.iter().map(|sha| format!("photos/{sha}.jpg")).collect::<Vec<_>>())),
    ];
    let zip_error = |e: zip::result::ZipError| ApiError::internal(e);
    let io_error = |e: std::io::Error| ApiError::internal(e);
    zip.start_file("README.txt", options).map_err(zip_error)?;
    zip.write_all(export_readme(profile.name.as_str()).as_bytes()).map_err(io_error)?;
    for (name, value) in files {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(&serde_json::to_vec_pretty(&value).map_err(ApiError::internal)?).map_err(io_error)?;
    }
    for sha256 in &photos {
        match state.blobs.get(company, sha256).await {
            Ok(bytes) => {
                zip.start_file(format!("photos/{sha256}.jpg"), stored).map_err(zip_error)?;
                zip.write_all(&bytes).map_err(io_error)?;
            }
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let bytes = zip.finish().map_err(zip_error)?.into_inner();
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "employee.exported",
        &format!("employee:{employee}"),
        &format!("{} photo(s)", photos.len()),
    );
    state.store.audit(&line).await?;
    Ok(bytes)
}

/// Every time a punch can have, in a range both databases take (from 1900 to 9999).
pub fn all_time() -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone;
    let at = |year| Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    (at(1900), at(9999))
}

fn export_readme(name: &str) -> String {
    format!(
        "Everything clockface stores about {name}.\n\n\
         employee.json      the profile\n\
         punches.json       every punch, with its photo check (verdict) and any review decision\n\
         release.json       the latest decision on the biometric release (and an earlier consent, if one was recorded)\n\
         templates.json     when face templates were made and from which photo (never the templates themselves)\n\
         audit.json         every audit log entry about them\n\
         destructions.json  what was destroyed of their data, when and why\n\
         photos/            their FaceFront and enrolment photos that are still kept\n"
    )
}

/// An audit entry as JSON (the viewer's API, the export).
pub fn audit_json(entry: &clockface_store::AuditEntry) -> serde_json::Value {
    serde_json::json!({
        "at": entry.at, "actor": entry.actor, "action": entry.action, "subject": entry.subject,
        "detail": entry.detail, "employee_id": entry.employee,
    })
}

/// The ZIP answer of an export, named after the employee's number.
pub fn zip_response(number: &str, bytes: Vec<u8>) -> impl IntoResponse {
    let name: String = number.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"clockface-employee-{name}.zip\"")),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
}

/// The audit log as a CSV download (`clockface_app::privacy::audit_csv`).
pub async fn audit_csv_response(state: &AppState, company: CompanyId, filter: &AuditFilter) -> Result<impl IntoResponse, ApiError> {
    let csv = clockface_app::privacy::audit_csv(&*state.store, company, filter).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, "attachment; filename=\"clockface-audit.csv\"".to_owned()),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv,
    ))
}
