//! Manage → Employees: the table with a search by name, and the form to add or edit one (name,
//! number, active, mobile security role, PIN, and a foreman's crew when the role has Clock For).
//! Validation and PIN hashing are the application layer's (`clockface_app::employees`), as for the API. An existing
//! employee's page also has the Face verification panel: the biometric release (read and signed
//! by the employee in front of the admin, or declined), enrolment photos (a multipart upload,
//! CSRF-checked by [`SignedUpload`]), when their face data will be destroyed, deleting it now on
//! request, and the export of everything stored about them.

use super::devices::local;
use super::{parse_id, render, see_other, AdminSession, FormData, FormErrors, Layout, PageError, SignedForm, SignedUpload};
use crate::admin::words::{self, Words};
use crate::privacy::{self, ReleaseNotice, Signer};
use crate::verification;
use crate::{ApiError, AppState, WebSettings};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use clockface_app::employees::EmployeeBody;
use clockface_app::privacy::ReleaseBody;
use clockface_domain::employee::Employee;
use clockface_domain::ids::{EmployeeId, RoleId};
use clockface_domain::role::Role;
use clockface_store::TemplateSource;
use serde::Deserialize;

pub fn router(settings: &WebSettings) -> Router<AppState> {
    Router::new()
        .route("/admin/employees", get(list_page).post(create))
        .route("/admin/employees/new", get(new_page))
        .route("/admin/employees/{id}", get(edit_page).post(update))
        .route("/admin/employees/{id}/release", post(record_release))
        .route("/admin/employees/{id}/biometrics/delete", post(delete_biometrics))
        .route("/admin/employees/{id}/export", get(export))
        .merge(
            Router::new()
                .route("/admin/employees/{id}/enrolment", post(upload_enrolment))
                .layer(DefaultBodyLimit::max(settings.photo_limits.upload_limit())),
        )
        .merge(
            Router::new()
                .route("/admin/employees/{id}/release/paper", post(record_paper_release))
                .layer(DefaultBodyLimit::max(privacy::MAX_SCAN_BYTES + 64 * 1024)),
        )
        .route("/admin/employees/{id}/release/scan", get(release_scan))
}

struct EnrolledPhoto {
    url: String,
    rotation: i64,
    source: &'static str,
    created: String,
}

/// The "Face verification" panel of an existing employee.
struct FacePanel {
    /// Where they stand on the release, in words, and the badge's colour.
    release_label: &'static str,
    release_colour: &'static str,
    /// How they answered, where and when (e.g. "Signed as “Ada Lovelace” on the clock, 3 May 2026 08:00").
    release_detail: Option<String>,
    /// The release to read and sign, unless the company has no policy yet.
    notice: Option<ReleaseNotice>,
    /// The company has no published policy: nothing can be signed yet.
    no_policy: bool,
    /// A signed current release: enrolment is allowed.
    may_enrol: bool,
    /// The release is not answered (or outdated): offer to record the answer.
    asks: bool,
    /// The signed release is a paper one with its scan: where to see it.
    scan_url: Option<String>,
    /// Today, in the company's time zone, for the paper release's date field.
    today: String,
    photos: Vec<EnrolledPhoto>,
    /// When their face templates will be destroyed, once a date is set.
    destroyed_on: Option<String>,
    /// Inactive but still enrolled.
    inactive_enrolled: bool,
    message: Option<&'static str>,
    /// What was refused that no field of the panel shows beside it.
    error: Option<String>,
    /// The refusals shown beside the signed name and the deletion's reason.
    errors: FormErrors,
    /// What was typed in them, kept when refused.
    typed_name: String,
    typed_reason: String,
}

async fn face_panel(
    state: &AppState,
    admin: &AdminSession,
    employee: &Employee,
    message: Option<&'static str>,
) -> Result<FacePanel, PageError> {
    use clockface_domain::privacy::ReleaseStatus;
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let status = privacy::release_status(state, company, employee.id).await?;
    let release = state.store.release(company, employee.id).await?;
    let mut photos = Vec::new();
    for t in state.store.templates(company, employee.id).await? {
        let rotation = state.store.photo(company, &t.photo_sha256).await?.map_or(0, |r| r.display_rotation.degrees());
        photos.push(EnrolledPhoto {
            url: format!("/admin/photos/{}?on=employee", t.photo_sha256),
            rotation,
            source: match t.source {
                TemplateSource::Upload => "Uploaded",
                TemplateSource::Punch => "From a punch",
                TemplateSource::FirstPunch => "First FaceFront photo",
            },
            created: local(t.created_at, zone),
        });
    }
    let admin_names: std::collections::HashMap<_, _> = state.store.users(company).await?.into_iter().map(|u| (u.id, u.email)).collect();
    let release_detail = release.map(|r| {
        let how = match (&r.signed_name, r.decision) {
            (Some(name), _) => format!("Signed as “{name}”"),
            (None, _) => "Declined".to_owned(),
        };
        let place = match (r.device_id, r.paper_scan_sha256.is_some(), r.recorded_by.and_then(|a| admin_names.get(&a))) {
            (Some(_), _, _) => "on the clock".to_owned(),
            (None, true, Some(by)) => format!("on paper, recorded by {by}"),
            (None, _, Some(by)) => format!("on this page, recorded by {by}"),
            (None, _, None) => "on this page".to_owned(),
        };
        let withdrawn = r.withdrawn.as_ref().map_or_else(String::new, |w| {
            let by = admin_names.get(&w.by).map_or("an admin", String::as_str);
            format!(". Withdrawn {} by {by}: {}", local(w.at, zone), w.reason)
        });
        let read = match r.language {
            clockface_domain::language::Language::English => "read in English",
            clockface_domain::language::Language::Spanish => "read in Spanish",
        };
        format!(
            "{how} {place}, {}, release {} under policy version {}, {read}{withdrawn}",
            local(r.decided_at, zone),
            r.release_version,
            r.policy_version
        )
    });
    Ok(FacePanel {
        release_label: status.label(),
        release_colour: match status {
            ReleaseStatus::Signed => "green",
            ReleaseStatus::Declined | ReleaseStatus::Withdrawn { .. } => "grey",
            _ => "amber",
        },
        release_detail,
        notice: privacy::release_notice(state, company).await?,
        no_policy: status == ReleaseStatus::NoPolicy,
        may_enrol: status == ReleaseStatus::Signed,
        asks: status.asks(),
        scan_url: state
            .store
            .release(company, employee.id)
            .await?
            .and_then(|r| r.paper_scan_sha256)
            .map(|_| format!("/admin/employees/{}/release/scan", employee.id)),
        today: Utc::now().with_timezone(&zone).date_naive().to_string(),
        destroyed_on: privacy::templates_due(state, company, employee.id).await?.map(|at| local(at, zone)),
        inactive_enrolled: !employee.active && !photos.is_empty(),
        photos,
        message,
        error: None,
        errors: FormErrors::default(),
        typed_name: String::new(),
        typed_reason: String::new(),
    })
}

struct Row {
    id: String,
    name: String,
    number: String,
    role: String,
    has_pin: bool,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/employees.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    search: String,
}

#[derive(Deserialize)]
struct ListQuery {
    search: Option<String>,
}

async fn list_page(State(state): State<AppState>, admin: AdminSession, Query(query): Query<ListQuery>) -> Result<Response, PageError> {
    let search = query.search.unwrap_or_default();
    let term = Some(search.trim()).filter(|s| !s.is_empty());
    let employees = state.store.employees(admin.company_id(), term).await?;
    let roles = state.store.roles(admin.company_id()).await?;
    let role_name = |id: RoleId| roles.iter().find(|(r, _)| r.id == id).map_or("—", |(r, _)| r.name.as_str()).to_owned();
    let rows = employees
        .iter()
        .map(|e| Row {
            id: e.id.to_string(),
            name: e.name.as_str().to_owned(),
            number: e.number.as_str().to_owned(),
            role: role_name(e.role_id),
            has_pin: e.has_pin,
            active: e.active,
        })
        .collect();
    Ok(render(StatusCode::OK, &ListPage { layout: Layout::new(&admin, "employees", words::en("base.employees")), rows, search }))
}

struct RoleOption {
    id: String,
    name: String,
    clock_for: bool,
    selected: bool,
}

struct CrewOption {
    id: String,
    name: String,
    checked: bool,
}

/// The edit form as stored or as typed.
#[derive(Default)]
struct EmployeeForm {
    name: String,
    number: String,
    role_id: String,
    active: bool,
    pin: String,
    clear_pin: bool,
    crew: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/employee.html")]
struct EditPage {
    layout: Layout,
    /// None for a new employee.
    id: Option<String>,
    form: EmployeeForm,
    has_pin: bool,
    roles: Vec<RoleOption>,
    crew: Vec<CrewOption>,
    show_crew: bool,
    errors: FormErrors,
    saved: bool,
    face: Option<FacePanel>,
}

async fn edit_page_for(
    state: &AppState,
    admin: &AdminSession,
    existing: Option<&Employee>,
    form: EmployeeForm,
    errors: FormErrors,
    saved: bool,
) -> Result<EditPage, PageError> {
    let company = admin.company_id();
    let roles: Vec<Role> = state.store.roles(company).await?.into_iter().map(|(r, _)| r).collect();
    let chosen: Option<RoleId> = form.role_id.parse().ok();
    let show_crew = roles.iter().any(|r| Some(r.id) == chosen && r.abilities.clock_for);
    let role_options = roles
        .iter()
        .map(|r| RoleOption {
            id: r.id.to_string(),
            name: r.name.as_str().to_owned(),
            clock_for: r.abilities.clock_for,
            selected: Some(r.id) == chosen,
        })
        .collect();
    let own_id = existing.map(|e| e.id);
    let crew = state
        .store
        .employees(company, None)
        .await?
        .into_iter()
        .filter(|e| Some(e.id) != own_id)
        .filter(|e| e.active || form.crew.contains(&e.id.to_string()))
        .map(|e| CrewOption { checked: form.crew.contains(&e.id.to_string()), id: e.id.to_string(), name: e.name.as_str().to_owned() })
        .collect();
    let title = existing.map_or_else(|| words::en("employees.add_employee").to_owned(), |e| e.name.as_str().to_owned());
    Ok(EditPage {
        layout: Layout::new(admin, "employees", title),
        id: existing.map(|e| e.id.to_string()),
        form,
        has_pin: existing.is_some_and(|e| e.has_pin),
        roles: role_options,
        crew,
        show_crew,
        errors,
        saved,
        face: match existing {
            Some(employee) => Some(face_panel(state, admin, employee, None).await?),
            None => None,
        },
    })
}

async fn new_page(State(state): State<AppState>, admin: AdminSession) -> Result<Response, PageError> {
    let roles = state.store.roles(admin.company_id()).await?;
    let form =
        EmployeeForm { active: true, role_id: roles.first().map(|(r, _)| r.id.to_string()).unwrap_or_default(), ..Default::default() };
    let page = edit_page_for(&state, &admin, None, form, FormErrors::default(), false).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct EditQuery {
    saved: Option<String>,
    face: Option<String>,
}

/// The employee as stored, and the edit form filled in from it.
async fn stored_form(state: &AppState, admin: &AdminSession, id: EmployeeId) -> Result<(Employee, EmployeeForm), PageError> {
    let employee = state.store.employee(admin.company_id(), id).await?;
    let crew = state.store.crew(admin.company_id(), id).await?;
    let form = EmployeeForm {
        name: employee.name.as_str().to_owned(),
        number: employee.number.as_str().to_owned(),
        role_id: employee.role_id.to_string(),
        active: employee.active,
        crew: crew.iter().map(ToString::to_string).collect(),
        ..Default::default()
    };
    Ok((employee, form))
}

async fn edit_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Path(id): Path<String>,
    Query(query): Query<EditQuery>,
) -> Result<Response, PageError> {
    let id: EmployeeId = parse_id(&id)?;
    let (employee, form) = stored_form(&state, &admin, id).await?;
    let mut page = edit_page_for(&state, &admin, Some(&employee), form, FormErrors::default(), query.saved.is_some()).await?;
    if let Some(face) = page.face.as_mut() {
        face.message = match query.face.as_deref() {
            Some("signed") => Some("Release signed. Their FaceFront photos are matched from now on."),
            Some("declined") => Some("Release declined. No face template is made; a person checks their photos."),
            Some("paper") => Some("The paper release is recorded with its scan. Their FaceFront photos are matched from now on."),
            Some("destroyed") => Some("Their biometric data was deleted."),
            Some("enrolled") => Some("Enrolment photo added."),
            _ => None,
        };
    }
    Ok(render(StatusCode::OK, &page))
}

fn typed(form: &FormData) -> EmployeeForm {
    EmployeeForm {
        name: form.get("name").to_owned(),
        number: form.get("number").to_owned(),
        role_id: form.get("role_id").to_owned(),
        active: form.checked("active"),
        pin: form.get("pin").trim().to_owned(),
        clear_pin: form.checked("clear_pin"),
        crew: form.all("crew").into_iter().map(str::to_owned).collect(),
    }
}

/// Validates and saves the form: the employee, then the crew when the chosen role has Clock For.
async fn save(
    state: &AppState,
    admin: &AdminSession,
    existing: Option<EmployeeId>,
    form: &EmployeeForm,
    crew_shown: bool,
) -> Result<Employee, ApiError> {
    let company = admin.company_id();
    let role_id: RoleId =
        form.role_id.parse().map_err(|_| ApiError::unprocessable("unknown_role", "choose a role").with_field("role_id"))?;
    let pin = if form.clear_pin {
        Some(None)
    } else if form.pin.is_empty() {
        None
    } else {
        Some(Some(form.pin.clone()))
    };
    let body = EmployeeBody { name: form.name.clone(), number: form.number.clone(), role_id, active: form.active, pin };
    let fields = state.employees().fields(company, body).await?;
    let members: Vec<EmployeeId> = form
        .crew
        .iter()
        .map(|id| id.parse().map_err(|_| ApiError::unprocessable("unknown_employee", "a crew member is not known").with_field("crew")))
        .collect::<Result<_, _>>()?;
    let employee = match existing {
        Some(id) => state.store.update_employee(company, id, &fields).await?,
        None => state.store.create_employee(company, &fields).await?,
    };
    // Made inactive: templates due at the end of employment are destroyed now, in this request.
    let actor = format!("admin:{}", admin.session.admin_id);
    privacy::destroy_templates_if_due(state, company, employee.id, &actor, Utc::now()).await?;
    let role = state.store.role(company, employee.role_id).await?;
    if crew_shown && role.abilities.clock_for {
        if members.contains(&employee.id) {
            return Err(ApiError::unprocessable("invalid", "a foreman cannot be in their own crew").with_field("crew"));
        }
        state.store.set_crew(company, employee.id, &members).await?;
    }
    Ok(employee)
}

/// The fields the employee form shows, each with its refusal beside it.
const EMPLOYEE_FIELDS: &[&str] = &["name", "number", "role_id", "pin", "crew", "members"];

async fn create(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let typed = typed(&form);
    match save(&state, &admin, None, &typed, form.checked("crew_shown")).await {
        Ok(employee) => Ok(see_other(&format!("/admin/employees/{}?saved=1", employee.id))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let page = edit_page_for(&state, &admin, None, typed, errors.shown_on(EMPLOYEE_FIELDS), false).await?;
            Ok(render(status, &page))
        }
    }
}

async fn update(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: EmployeeId = parse_id(&id)?;
    let existing = state.store.employee(admin.company_id(), id).await?;
    let typed = typed(&form);
    match save(&state, &admin, Some(id), &typed, form.checked("crew_shown")).await {
        Ok(employee) => {
            tracing::info!(employee = %employee.id, "employee saved from the web app");
            Ok(see_other(&format!("/admin/employees/{}?saved=1", employee.id)))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let page = edit_page_for(&state, &admin, Some(&existing), typed, errors.shown_on(EMPLOYEE_FIELDS), false).await?;
            Ok(render(status, &page))
        }
    }
}

/// The edit page of `id` with a message or an error in its face panel.
/// The edit page of `id` with a message or an error in its face panel; a refusal keeps what was
/// typed in the panel's text fields (`typed`: the form) and says it beside the field at fault.
async fn face_result(
    state: &AppState,
    admin: &AdminSession,
    id: EmployeeId,
    result: Result<&str, ApiError>,
    typed: Option<&FormData>,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => Ok(see_other(&format!("/admin/employees/{id}?face={done}#face"))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let (employee, form) = stored_form(state, admin, id).await?;
            let mut page = edit_page_for(state, admin, Some(&employee), form, FormErrors::default(), false).await?;
            if let Some(face) = page.face.as_mut() {
                let errors = errors.shown_on(&["signed_name", "reason"]);
                face.error = errors.form.clone();
                face.errors = errors;
                if let Some(form) = typed {
                    face.typed_name = form.get("signed_name").to_owned();
                    face.typed_reason = form.get("reason").to_owned();
                }
            }
            Ok(render(status, &page))
        }
    }
}

async fn record_release(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: EmployeeId = parse_id(&id)?;
    let body = ReleaseBody {
        decision: form.get("decision").to_owned(),
        signed_name: Some(form.get("signed_name").to_owned()),
        release_version: form.get("release_version").to_owned(),
        language: Some(form.get("language").to_owned()),
        text_sha256: None,
    };
    let result = match body.answer() {
        Ok(answer) => privacy::decide_release(&state, admin.company_id(), id, Signer::Admin(admin.session.admin_id), answer, Utc::now())
            .await
            .map(|r| r.decision.as_str()),
        Err(error) => Err(error.into()),
    };
    face_result(&state, &admin, id, result, Some(&form)).await
}

async fn delete_biometrics(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: EmployeeId = parse_id(&id)?;
    let result =
        privacy::delete_on_request(&state, admin.company_id(), admin.session.admin_id, id, form.get("reason"), form.checked("photos"))
            .await
            .map(|_| "destroyed");
    face_result(&state, &admin, id, result, Some(&form)).await
}

async fn export(State(state): State<AppState>, admin: AdminSession, Path(id): Path<String>) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let id: EmployeeId = parse_id(&id)?;
    let employee = state.store.employee(admin.company_id(), id).await?;
    let bytes = privacy::export_employee(&state, admin.company_id(), admin.session.admin_id, id).await?;
    Ok(privacy::zip_response(employee.number.as_str(), bytes).into_response())
}

async fn upload_enrolment(State(state): State<AppState>, Path(id): Path<String>, upload: SignedUpload) -> Result<Response, PageError> {
    let id: EmployeeId = parse_id(&id)?;
    let admin = &upload.admin;
    let result = match upload.file("photo") {
        Some(bytes) => {
            verification::enrol(&state, admin.company_id(), id, admin.session.admin_id, bytes.clone(), TemplateSource::Upload, Utc::now())
                .await
                .map(|_| "enrolled")
        }
        None => Err(ApiError::unprocessable("missing_photo", "choose a photo to upload").with_field("photo")),
    };
    face_result(&state, admin, id, result, None).await
}

/// Records a release signed on paper (a multipart form: the date, the language, the scan).
async fn record_paper_release(State(state): State<AppState>, Path(id): Path<String>, upload: SignedUpload) -> Result<Response, PageError> {
    let id: EmployeeId = parse_id(&id)?;
    let admin = &upload.admin;
    let signed_on = chrono::NaiveDate::parse_from_str(upload.form.get("signed_on").trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::unprocessable("invalid", "give the date it was signed").with_field("signed_on"));
    let language = clockface_domain::language::Language::parse(upload.form.get("language")).map_err(ApiError::from);
    let result = match (signed_on, language, upload.file("scan")) {
        (Ok(signed_on), Ok(language), Some(scan)) => {
            privacy::record_paper_release(&state, admin.company_id(), id, admin.session.admin_id, signed_on, language, scan.clone())
                .await
                .map(|_| "paper")
        }
        (Err(error), _, _) | (_, Err(error), _) => Err(error),
        (_, _, None) => Err(ApiError::unprocessable("missing_scan", "attach a scan or photo of the signed page").with_field("scan")),
    };
    face_result(&state, admin, id, result, None).await
}

/// The scan of a release signed on paper (an admin's, audited as viewed).
async fn release_scan(State(state): State<AppState>, Path(id): Path<String>, admin: AdminSession) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let id: EmployeeId = parse_id(&id)?;
    let company = admin.company_id();
    let release = state.store.release(company, id).await?;
    let sha256 = release.and_then(|r| r.paper_scan_sha256).ok_or_else(|| ApiError::not_found("no scan of a paper release"))?;
    let bytes = state.blobs.get(company, &sha256).await?;
    let content_type = privacy::scan_type(&bytes).unwrap_or("application/octet-stream");
    let line = clockface_app::audit::audit_entry(
        company,
        &format!("admin:{}", admin.session.admin_id),
        "release_scan.viewed",
        &format!("employee:{id}"),
        &format!("scan sha256 {sha256}, on the employee's page"),
    );
    state.store.audit(&line).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "private, no-store"),
            (axum::http::header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}
