//! Manage → Jobs and Manage → Cost codes: the lists, the form to add or edit one (a job's number,
//! name, address, optional geofence and active; a cost code's number, name, and whether it is for
//! all jobs or some), deactivating, and the CSV import of each (an upload, all lines or none, the
//! bad lines listed). Validation is the domain's (`domain::job`) and the imports the application
//! layer's (`clockface_app::jobs`), as for the API, so a page and the API accept the same things.

use super::{parse_id, render, see_other, AdminSession, FormData, FormErrors, Layout, PageError, SignedForm, SignedUpload};
use crate::admin::words::{self, Words};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use clockface_app::jobs::{import_cost_codes, import_jobs, ImportOutcome};
use clockface_domain::ids::{CostCodeId, JobId};
use clockface_domain::job::{CostCode, CostCodeFields, CostCodeInput, Geofence, ImportSummary, Job, JobFields, JobInput, LineError};
use clockface_domain::DomainError;
use serde::Deserialize;

/// A CSV file of a company's jobs is small; this is generous.
const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(jobs_page).post(create_job))
        .route("/admin/jobs/new", get(new_job_page))
        .route("/admin/jobs/{id}", get(edit_job_page).post(update_job))
        .route("/admin/jobs/{id}/deactivate", post(deactivate_job))
        .route("/admin/cost-codes", get(codes_page).post(create_code))
        .route("/admin/cost-codes/new", get(new_code_page))
        .route("/admin/cost-codes/{id}", get(edit_code_page).post(update_code))
        .route("/admin/cost-codes/{id}/deactivate", post(deactivate_code))
        .merge(
            Router::new()
                .route("/admin/jobs/import", post(upload_jobs))
                .route("/admin/cost-codes/import", post(upload_codes))
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
}

#[derive(Deserialize)]
struct Notice {
    saved: Option<String>,
    deactivated: Option<String>,
}

impl Notice {
    fn text(&self) -> Option<&'static str> {
        if self.saved.is_some() {
            Some("Saved. Devices get the change at their next sync.")
        } else if self.deactivated.is_some() {
            Some("Deactivated: it is no longer offered on the clock. Hours already booked to it stay.")
        } else {
            None
        }
    }
}

/// How an upload went, for the list page.
struct ImportResult {
    summary: Option<ImportSummary>,
    lines: Vec<LineError>,
    error: Option<String>,
}

impl ImportResult {
    fn from(outcome: Result<ImportOutcome, ApiError>) -> Result<(StatusCode, Self), PageError> {
        match outcome {
            Ok(ImportOutcome::Done(summary)) => Ok((StatusCode::OK, Self { summary: Some(summary), lines: Vec::new(), error: None })),
            Ok(ImportOutcome::Refused(lines)) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Self { summary: None, lines, error: None })),
            Err(error) => {
                let (status, errors) = FormErrors::from_error(error)?;
                let message = errors.said();
                Ok((status, Self { summary: None, lines: Vec::new(), error: message }))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs

struct JobRow {
    id: String,
    number: String,
    name: String,
    address: String,
    fence: Option<String>,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    rows: Vec<JobRow>,
    notice: Option<&'static str>,
    import: Option<ImportResult>,
}

/// "41.88000, -87.63000 · 150 m".
fn fence_text(fence: &Geofence) -> String {
    format!("{:.5}, {:.5} · {} m", fence.latitude, fence.longitude, fence.radius_m.round())
}

async fn jobs_list(
    state: &AppState,
    admin: &AdminSession,
    notice: Option<&'static str>,
    import: Option<ImportResult>,
) -> Result<JobsPage, PageError> {
    let jobs = state.store.jobs(admin.company_id()).await?;
    let rows = jobs
        .iter()
        .map(|job| JobRow {
            id: job.id.to_string(),
            number: job.number.as_str().to_owned(),
            name: job.name.clone(),
            address: job.address.clone(),
            fence: job.geofence.as_ref().map(fence_text),
            active: job.active,
        })
        .collect();
    Ok(JobsPage { layout: Layout::new(admin, "jobs", words::en("base.jobs")), rows, notice, import })
}

async fn jobs_page(State(state): State<AppState>, admin: AdminSession, Query(notice): Query<Notice>) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &jobs_list(&state, &admin, notice.text(), None).await?))
}

async fn upload_jobs(State(state): State<AppState>, upload: SignedUpload) -> Result<Response, PageError> {
    let outcome = match upload.file("file") {
        Some(bytes) => import_jobs(state.store.as_ref(), upload.admin.company_id(), bytes).await.map_err(ApiError::from),
        None => Err(ApiError::unprocessable("no_file", "choose a CSV file to import").with_field("file")),
    };
    let (status, result) = ImportResult::from(outcome)?;
    Ok(render(status, &jobs_list(&state, &upload.admin, None, Some(result)).await?))
}

/// The job form, as stored or as typed.
struct JobForm {
    number: String,
    name: String,
    address: String,
    latitude: String,
    longitude: String,
    radius_m: String,
    active: bool,
}

impl JobForm {
    fn of(job: &Job) -> Self {
        let fence = job.geofence;
        JobForm {
            number: job.number.as_str().to_owned(),
            name: job.name.clone(),
            address: job.address.clone(),
            latitude: fence.map(|f| f.latitude.to_string()).unwrap_or_default(),
            longitude: fence.map(|f| f.longitude.to_string()).unwrap_or_default(),
            radius_m: fence.map(|f| f.radius_m.to_string()).unwrap_or_default(),
            active: job.active,
        }
    }

    fn typed(form: &FormData) -> Self {
        JobForm {
            number: form.get("number").to_owned(),
            name: form.get("name").to_owned(),
            address: form.get("address").to_owned(),
            latitude: form.get("latitude").trim().to_owned(),
            longitude: form.get("longitude").trim().to_owned(),
            radius_m: form.get("radius_m").trim().to_owned(),
            active: form.checked("active"),
        }
    }

    /// The job's fields; every field that is wrong is named, a fence's numbers with the rest.
    fn fields(&self) -> Result<JobFields, DomainError> {
        let mut refused = Vec::new();
        let mut number = |raw: &str, field: &'static str| {
            DomainError::keep(raw.parse::<f64>().map_err(|_| DomainError::invalid(field, "must be a number")), &mut refused)
        };
        let geofence = match (self.latitude.as_str(), self.longitude.as_str(), self.radius_m.as_str()) {
            ("", "", "") => None,
            (lat, lon, radius) => match (number(lat, "latitude"), number(lon, "longitude"), number(radius, "radius_m")) {
                (Some(latitude), Some(longitude), Some(radius_m)) => Some(Geofence { latitude, longitude, radius_m }),
                // The numbers that do read are checked against their ranges too (a stand-in for
                // the others, whose refusal is said already), so that every mistake is said at once.
                (latitude, longitude, radius_m) => {
                    let fence = Geofence::parse(latitude.unwrap_or(0.0), longitude.unwrap_or(0.0), radius_m.unwrap_or(100.0));
                    DomainError::keep(fence, &mut refused);
                    None
                }
            },
        };
        let input =
            JobInput { number: self.number.clone(), name: self.name.clone(), address: self.address.clone(), geofence, active: self.active };
        let fields = DomainError::keep(JobFields::parse(&input), &mut refused);
        DomainError::all(refused)?;
        fields.ok_or_else(|| DomainError::Several(Vec::new()))
    }
}

#[derive(Template)]
#[template(path = "admin/job.html")]
struct JobPage {
    layout: Layout,
    id: Option<String>,
    form: JobForm,
    errors: FormErrors,
    notice: Option<&'static str>,
}

async fn new_job_page(admin: AdminSession) -> Response {
    let form = JobForm {
        number: String::new(),
        name: String::new(),
        address: String::new(),
        latitude: String::new(),
        longitude: String::new(),
        radius_m: String::new(),
        active: true,
    };
    render(
        StatusCode::OK,
        &JobPage {
            layout: Layout::new(&admin, "jobs", words::en("jobs.add_job")),
            id: None,
            form,
            errors: FormErrors::default(),
            notice: None,
        },
    )
}

async fn edit_job_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, PageError> {
    let job = state.store.job(admin.company_id(), parse_id(&id)?).await?;
    let page = JobPage {
        layout: Layout::new(&admin, "jobs", job.name.clone()),
        id: Some(job.id.to_string()),
        form: JobForm::of(&job),
        errors: FormErrors::default(),
        notice: notice.text(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn save_job(state: &AppState, signed: SignedForm, id: Option<JobId>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let typed = JobForm::typed(&form);
    let saved = match typed.fields() {
        Ok(fields) => state.store.save_job(admin.company_id(), id, &fields).await.map_err(ApiError::from),
        Err(error) => Err(error.into()),
    };
    match saved {
        Ok(job) => Ok(see_other(&format!("/admin/jobs/{}?saved=1", job.id))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let title = if id.is_some() { typed.name.clone() } else { words::en("jobs.add_job").to_owned() };
            let errors = errors.shown_on(&["number", "name", "address", "latitude", "longitude", "radius_m"]);
            let page =
                JobPage { layout: Layout::new(&admin, "jobs", title), id: id.map(|id| id.to_string()), form: typed, errors, notice: None };
            Ok(render(status, &page))
        }
    }
}

async fn create_job(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    save_job(&state, signed, None).await
}

async fn update_job(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let id: JobId = parse_id(&id)?;
    save_job(&state, signed, Some(id)).await
}

async fn deactivate_job(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let company = signed.admin.company_id();
    let job = state.store.job(company, parse_id(&id)?).await?;
    let fields = JobFields { number: job.number, name: job.name, address: job.address, geofence: job.geofence, active: false };
    state.store.save_job(company, Some(job.id), &fields).await?;
    Ok(see_other("/admin/jobs?deactivated=1"))
}

// ---------------------------------------------------------------------------------------------
// Cost codes

struct CodeRow {
    id: String,
    number: String,
    name: String,
    /// "All jobs", or the jobs' numbers.
    jobs: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/cost_codes.html")]
struct CodesPage {
    layout: Layout,
    rows: Vec<CodeRow>,
    notice: Option<&'static str>,
    import: Option<ImportResult>,
}

async fn codes_list(
    state: &AppState,
    admin: &AdminSession,
    notice: Option<&'static str>,
    import: Option<ImportResult>,
) -> Result<CodesPage, PageError> {
    let codes = state.store.cost_codes(admin.company_id()).await?;
    let jobs = state.store.jobs(admin.company_id()).await?;
    let rows = codes
        .iter()
        .map(|code| CodeRow {
            id: code.id.to_string(),
            number: code.number.as_str().to_owned(),
            name: code.name.clone(),
            jobs: if code.all_jobs {
                "All jobs".to_owned()
            } else {
                let names: Vec<String> = code
                    .job_ids
                    .iter()
                    .filter_map(|id| jobs.iter().find(|job| job.id == *id))
                    .map(|job| format!("{} {}", job.number.as_str(), job.name))
                    .collect();
                names.join(", ")
            },
            active: code.active,
        })
        .collect();
    Ok(CodesPage { layout: Layout::new(admin, "cost-codes", words::en("base.cost_codes")), rows, notice, import })
}

async fn codes_page(State(state): State<AppState>, admin: AdminSession, Query(notice): Query<Notice>) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &codes_list(&state, &admin, notice.text(), None).await?))
}

async fn upload_codes(State(state): State<AppState>, upload: SignedUpload) -> Result<Response, PageError> {
    let outcome = match upload.file("file") {
        Some(bytes) => import_cost_codes(state.store.as_ref(), upload.admin.company_id(), bytes).await.map_err(ApiError::from),
        None => Err(ApiError::unprocessable("no_file", "choose a CSV file to import").with_field("file")),
    };
    let (status, result) = ImportResult::from(outcome)?;
    Ok(render(status, &codes_list(&state, &upload.admin, None, Some(result)).await?))
}

struct JobChoice {
    id: String,
    label: String,
    checked: bool,
    active: bool,
}

struct CodeForm {
    number: String,
    name: String,
    all_jobs: bool,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/cost_code.html")]
struct CodePage {
    layout: Layout,
    id: Option<String>,
    form: CodeForm,
    jobs: Vec<JobChoice>,
    errors: FormErrors,
    notice: Option<&'static str>,
}

fn choices(jobs: &[Job], checked: &[JobId]) -> Vec<JobChoice> {
    jobs.iter()
        .map(|job| JobChoice {
            id: job.id.to_string(),
            label: format!("{} {}", job.number.as_str(), job.name),
            checked: checked.contains(&job.id),
            active: job.active,
        })
        .collect()
}

async fn new_code_page(State(state): State<AppState>, admin: AdminSession) -> Result<Response, PageError> {
    let jobs = state.store.jobs(admin.company_id()).await?;
    let page = CodePage {
        layout: Layout::new(&admin, "cost-codes", words::en("cost_codes.add_cost_code")),
        id: None,
        form: CodeForm { number: String::new(), name: String::new(), all_jobs: true, active: true },
        jobs: choices(&jobs, &[]),
        errors: FormErrors::default(),
        notice: None,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn edit_code_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, PageError> {
    let code: CostCode = state.store.cost_code(admin.company_id(), parse_id(&id)?).await?;
    let jobs = state.store.jobs(admin.company_id()).await?;
    let page = CodePage {
        layout: Layout::new(&admin, "cost-codes", format!("{} {}", code.number.as_str(), code.name)),
        id: Some(code.id.to_string()),
        form: CodeForm { number: code.number.as_str().to_owned(), name: code.name.clone(), all_jobs: code.all_jobs, active: code.active },
        jobs: choices(&jobs, &code.job_ids),
        errors: FormErrors::default(),
        notice: notice.text(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn save_code(state: &AppState, signed: SignedForm, id: Option<CostCodeId>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let job_ids: Vec<JobId> = form.all("jobs").into_iter().filter_map(|id| id.parse().ok()).collect();
    let input = CostCodeInput {
        number: form.get("number").to_owned(),
        name: form.get("name").to_owned(),
        all_jobs: form.get("for") != "some",
        job_ids: job_ids.clone(),
        active: form.checked("active"),
    };
    let saved = match CostCodeFields::parse(&input) {
        Ok(fields) => state.store.save_cost_code(admin.company_id(), id, &fields).await.map_err(ApiError::from),
        Err(error) => Err(error.into()),
    };
    match saved {
        Ok(code) => Ok(see_other(&format!("/admin/cost-codes/{}?saved=1", code.id))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let jobs = state.store.jobs(admin.company_id()).await?;
            let title =
                if id.is_some() { format!("{} {}", input.number, input.name) } else { words::en("cost_codes.add_cost_code").to_owned() };
            let page = CodePage {
                layout: Layout::new(&admin, "cost-codes", title),
                id: id.map(|id| id.to_string()),
                form: CodeForm { number: input.number, name: input.name, all_jobs: input.all_jobs, active: input.active },
                jobs: choices(&jobs, &job_ids),
                errors: errors.shown_on(&["number", "name", "job_ids"]),
                notice: None,
            };
            Ok(render(status, &page))
        }
    }
}

async fn create_code(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    save_code(&state, signed, None).await
}

async fn update_code(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let id: CostCodeId = parse_id(&id)?;
    save_code(&state, signed, Some(id)).await
}

async fn deactivate_code(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let company = signed.admin.company_id();
    let code = state.store.cost_code(company, parse_id(&id)?).await?;
    let fields = CostCodeFields { number: code.number, name: code.name, all_jobs: code.all_jobs, job_ids: code.job_ids, active: false };
    state.store.save_cost_code(company, Some(code.id), &fields).await?;
    Ok(see_other("/admin/cost-codes?deactivated=1"))
}
