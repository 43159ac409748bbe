//! Employees: list and search, create, read, update (role, PIN, active), and crews.

use crate::auth::{pin_lookup, AdminAuth, UserAuth};
use crate::error::{Checks, ErrorBody, Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;

use clockface_domain::employee::{Employee, EmployeeName, EmployeeNumber, Pin};
use clockface_domain::ids::{CompanyId, EmployeeId, RoleId};
use clockface_domain::secret::hash_secret;
use clockface_store::{EmployeeFields, PinChange, PinSecret};
use serde::{Deserialize, Deserializer, Serialize};
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

/// An employee's fields. On update, leave `pin` out to keep the PIN, send `null` to remove it,
/// or send a new one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeBody {
    pub name: String,
    pub number: String,
    /// The mobile security role.
    pub role_id: RoleId,
    #[serde(default = "yes")]
    pub active: bool,
    /// 4 to 8 digits, unique in the company; a new PIN has at least the company's PIN length
    /// (6 digits unless it chose otherwise: `PUT /security/pin-policy`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub pin: Option<Option<String>>,
}

fn yes() -> bool {
    true
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A PIN as the body asks for it, once it passed its checks.
enum TypedPin {
    Keep,
    Clear,
    Set(Pin),
}

/// Validates the body and hashes a new PIN. Shared with the admin pages. Every field is checked
/// before any refusal is answered, so that a form with two wrong fields says both
/// (`details.errors`).
pub async fn employee_fields(state: &AppState, company: CompanyId, body: EmployeeBody) -> Result<EmployeeFields, ApiError> {
    let mut checks = Checks::default();
    let name = checks.take(EmployeeName::parse(&body.name));
    let number = checks.take(EmployeeNumber::parse(&body.number));
    for refused in clockface_domain::employee::check_entered(name.as_ref(), number.as_ref()) {
        checks.push(refused);
    }
    let pin = match body.pin {
        None => Some(TypedPin::Keep),
        Some(None) => Some(TypedPin::Clear),
        Some(Some(raw)) => match checks.take(Pin::parse(&raw)) {
            None => None,
            Some(pin) => {
                let digits = pin.expose().len();
                let least = usize::from(state.store.company(company).await?.min_pin_digits);
                if digits < least {
                    checks.push(
                        ApiError::unprocessable(
                            "pin_too_short",
                            format!(
                                "a new PIN has at least {least} digits in this company (Manage → Devices → PIN sign-in); this one has {digits}"
                            ),
                        )
                        .with_field("pin"),
                    );
                    None
                } else {
                    Some(TypedPin::Set(pin))
                }
            }
        },
    };
    checks.finish()?;
    let (Some(name), Some(number), Some(pin)) = (name, number, pin) else {
        return Err(Checks::default().refused());
    };
    let pin = match pin {
        TypedPin::Keep => PinChange::Keep,
        TypedPin::Clear => PinChange::Clear,
        TypedPin::Set(pin) => {
            let digits = pin.expose().len();
            let lookup = pin_lookup(state, company, pin.expose());
            let hash = state.gates.hash(move || hash_secret(pin.expose())).await?;
            PinChange::Set(PinSecret { lookup, hash, digits: i64::try_from(digits).unwrap_or(8) })
        }
    };
    Ok(EmployeeFields { name, number, role_id: body.role_id, active: body.active, pin })
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
    let fields = employee_fields(&state, admin.company(), body).await?;
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
    let fields = employee_fields(&state, admin.company(), body).await?;
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
