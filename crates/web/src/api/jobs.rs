//! Jobs and cost codes: list, add, read, change (deactivate with `active: false`; a job or code
//! that hours were booked to is never deleted), and CSV imports that take every line or none.
//! Every change reaches devices at their next sync. The imports are `clockface_app::jobs`'s (as
//! for the admin pages).

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, ErrorDetail, Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clockface_app::jobs::{import_cost_codes, import_jobs, ImportOutcome};
use clockface_domain::ids::{CostCodeId, JobId};
use clockface_domain::job::{CostCode, CostCodeFields, CostCodeInput, ImportSummary, Job, JobFields, JobInput, LineError};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs, create_job))
        .routes(routes!(get_job, update_job))
        .routes(routes!(import_jobs_csv))
        .routes(routes!(list_cost_codes, create_cost_code))
        .routes(routes!(get_cost_code, update_cost_code))
        .routes(routes!(import_cost_codes_csv))
}

/// An import refused: every bad line with what is wrong with it. Nothing was imported.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportErrorBody {
    pub error: ErrorDetail,
    pub lines: Vec<LineError>,
}

/// The answer to an import: its summary, or a 422 with every bad line.
fn import_answer(outcome: ImportOutcome) -> Response {
    match outcome {
        ImportOutcome::Done(summary) => Json(summary).into_response(),
        ImportOutcome::Refused(lines) => {
            let message = format!("{} line(s) cannot be imported; nothing was imported", lines.len());
            let error = ErrorDetail { code: "invalid_csv".into(), message, field: Some("file".into()), details: None };
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(ImportErrorBody { error, lines })).into_response()
        }
    }
}

/// The company's jobs by name, active or not.
#[utoipa::path(get, path = "/jobs", tag = "jobs", security(("admin" = [])), responses((status = 200, body = Vec<Job>)))]
async fn list_jobs(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<Job>>, ApiError> {
    Ok(Json(state.store.jobs(admin.company()).await?))
}

/// Add a job.
#[utoipa::path(post, path = "/jobs", tag = "jobs", security(("admin" = [])), request_body = JobInput,
    responses((status = 201, body = Job), (status = 409, description = "number taken", body = ErrorBody)))]
async fn create_job(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<JobInput>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let fields = JobFields::parse(&body)?;
    Ok((StatusCode::CREATED, Json(state.store.save_job(admin.company(), None, &fields).await?)))
}

/// One job.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", security(("admin" = [])), params(("id" = JobId, Path)),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)))]
async fn get_job(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<JobId>) -> Result<Json<Job>, ApiError> {
    Ok(Json(state.store.job(admin.company(), id).await?))
}

/// Change a job, or deactivate it (`active: false`): it is then no longer offered on the clock.
#[utoipa::path(put, path = "/jobs/{id}", tag = "jobs", security(("admin" = [])), params(("id" = JobId, Path)), request_body = JobInput,
    responses((status = 200, body = Job), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_job(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<JobId>,
    Json(body): Json<JobInput>,
) -> Result<Json<Job>, ApiError> {
    let fields = JobFields::parse(&body)?;
    Ok(Json(state.store.save_job(admin.company(), Some(id), &fields).await?))
}

/// Import jobs from CSV: a header line (`number,name,address,latitude,longitude,radius_m,active`;
/// `number` and `name` required), one job a line. A job whose number exists is updated. Every line
/// is imported, or none and every bad line is named.
#[utoipa::path(post, path = "/jobs/import", tag = "jobs", security(("admin" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummary), (status = 422, description = "bad lines; nothing imported", body = ImportErrorBody)))]
async fn import_jobs_csv(State(state): State<AppState>, admin: AdminAuth, body: axum::body::Bytes) -> Result<Response, ApiError> {
    Ok(import_answer(import_jobs(state.store.as_ref(), admin.company(), &body).await?))
}

/// The company's cost codes by number, each with the jobs it is for (none: all jobs).
#[utoipa::path(get, path = "/cost-codes", tag = "jobs", security(("admin" = [])), responses((status = 200, body = Vec<CostCode>)))]
async fn list_cost_codes(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<CostCode>>, ApiError> {
    Ok(Json(state.store.cost_codes(admin.company()).await?))
}

/// Add a cost code, for all jobs or for some.
#[utoipa::path(post, path = "/cost-codes", tag = "jobs", security(("admin" = [])), request_body = CostCodeInput,
    responses((status = 201, body = CostCode), (status = 409, description = "number taken", body = ErrorBody)))]
async fn create_cost_code(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<CostCodeInput>,
) -> Result<(StatusCode, Json<CostCode>), ApiError> {
    let fields = CostCodeFields::parse(&body)?;
    Ok((StatusCode::CREATED, Json(state.store.save_cost_code(admin.company(), None, &fields).await?)))
}

/// One cost code.
#[utoipa::path(get, path = "/cost-codes/{id}", tag = "jobs", security(("admin" = [])), params(("id" = CostCodeId, Path)),
    responses((status = 200, body = CostCode), (status = 404, body = ErrorBody)))]
async fn get_cost_code(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<CostCodeId>) -> Result<Json<CostCode>, ApiError> {
    Ok(Json(state.store.cost_code(admin.company(), id).await?))
}

/// Change a cost code, or deactivate it.
#[utoipa::path(put, path = "/cost-codes/{id}", tag = "jobs", security(("admin" = [])), params(("id" = CostCodeId, Path)),
    request_body = CostCodeInput, responses((status = 200, body = CostCode), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_cost_code(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<CostCodeId>,
    Json(body): Json<CostCodeInput>,
) -> Result<Json<CostCode>, ApiError> {
    let fields = CostCodeFields::parse(&body)?;
    Ok(Json(state.store.save_cost_code(admin.company(), Some(id), &fields).await?))
}

/// Import cost codes from CSV: `number,name,jobs,active` (`number` and `name` required; `jobs`
/// the numbers of the jobs it is for, separated by `;`, empty for all jobs). A code whose number
/// exists is updated. Every line is imported, or none and every bad line is named.
#[utoipa::path(post, path = "/cost-codes/import", tag = "jobs", security(("admin" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummary), (status = 422, description = "bad lines; nothing imported", body = ImportErrorBody)))]
async fn import_cost_codes_csv(State(state): State<AppState>, admin: AdminAuth, body: axum::body::Bytes) -> Result<Response, ApiError> {
    Ok(import_answer(import_cost_codes(state.store.as_ref(), admin.company(), &body).await?))
}
