//! Employees: list and search, create, read, update (role, PIN, active), and crews. Checking the
//! fields (and hashing a new PIN) is `clockface_app::employees`'s, as for the admin pages.

use crate::auth::{AdminAuth, UserAuth};
use crate::error::{ErrorBody, Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use clockface_app::employees::EmployeeBody;
use clockface_domain::employee::Employee;
use clockface_domain::ids::EmployeeId;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_employees, create_employee))
        .routes(routes!(get_employee, update_employee))
        .routes(routes!(get_crew, set_crew))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeSearch {
    /// Keep employees whose name or number contains this (any case).
    pub search: Option<String>,
}

/// The company's employees by name (a supervisor's: the employees assigned to them).
#[utoipa::path(get, path = "/employees", tag = "employees", security(("admin" = [])), params(EmployeeSearch),
    responses((status = 200, body = Vec<Employee>)))]
async fn list_employees(
    State(state): State<AppState>,
    user: UserAuth,
    Query(query): Query<EmployeeSearch>,
) -> Result<Json<Vec<Employee>>, ApiError> {
    let search = query.search.as_deref().filter(|s| !s.trim().is_empty());
    let mut employees = state.store.employees(user.company(), search).await?;
    employees.retain(|e| user.reach.includes(e.id));
    Ok(Json(employees))
}

/// Add an employee.
#[utoipa::path(post, path = "/employees", tag = "employees", security(("admin" = [])), request_body = EmployeeBody,
    responses((status = 201, body = Employee), (status = 409, description = "number or PIN taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_employee(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<EmployeeBody>,
) -> Result<(StatusCode, Json<Employee>), ApiError> {
    let fields = state.employees().fields(admin.company(), body).await?;
    let employee = state.store.create_employee(admin.company(), &fields).await?;
    Ok((StatusCode::CREATED, Json(employee)))
}

/// One employee.
#[utoipa::path(get, path = "/employees/{id}", tag = "employees", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, body = Employee), (status = 404, body = ErrorBody)))]
async fn get_employee(State(state): State<AppState>, user: UserAuth, Path(id): Path<EmployeeId>) -> Result<Json<Employee>, ApiError> {
    user.employee(id)?;
    Ok(Json(state.store.employee(user.company(), id).await?))
}

/// Change an employee: name, number, role, active, PIN.
#[utoipa::path(put, path = "/employees/{id}", tag = "employees", security(("admin" = [])), params(("id" = EmployeeId, Path)), request_body = EmployeeBody,
    responses((status = 200, body = Employee), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_employee(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<EmployeeBody>,
) -> Result<Json<Employee>, ApiError> {
    let fields = state.employees().fields(admin.company(), body).await?;
    let employee = state.store.update_employee(admin.company(), id, &fields).await?;
    // Made inactive: templates due at the end of employment are destroyed now, in this request.
    let actor = format!("admin:{}", admin.session.admin_id);
    crate::privacy::destroy_templates_if_due(&state, admin.company(), employee.id, &actor, chrono::Utc::now()).await?;
    Ok(Json(employee))
}

/// The employees a foreman may clock for.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Crew {
    pub members: Vec<EmployeeId>,
}

/// A foreman's crew.
#[utoipa::path(get, path = "/employees/{id}/crew", tag = "employees", security(("admin" = [])), params(("id" = EmployeeId, Path)),
    responses((status = 200, body = Crew), (status = 404, body = ErrorBody)))]
async fn get_crew(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<EmployeeId>) -> Result<Json<Crew>, ApiError> {
    state.store.employee(admin.company(), id).await?;
    Ok(Json(Crew { members: state.store.crew(admin.company(), id).await? }))
}

/// Set a foreman's crew (replaces it).
#[utoipa::path(put, path = "/employees/{id}/crew", tag = "employees", security(("admin" = [])), params(("id" = EmployeeId, Path)), request_body = Crew,
    responses((status = 200, body = Crew), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_crew(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<Crew>,
) -> Result<Json<Crew>, ApiError> {
    if body.members.contains(&id) {
        return Err(ApiError::unprocessable("invalid", "a foreman cannot be in their own crew").with_field("members"));
    }
    state.store.set_crew(admin.company(), id, &body.members).await?;
    Ok(Json(Crew { members: state.store.crew(admin.company(), id).await? }))
}
