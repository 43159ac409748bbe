//! Mobile security roles: list, create, read, update, delete. Every change reaches devices at
//! their next sync.

use crate::auth::AdminAuth;
use crate::error::Path;
use crate::error::{ErrorBody, Json};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use clockface_domain::ids::RoleId;
use clockface_domain::role::{Abilities, Role, RoleName};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_roles, create_role)).routes(routes!(get_role, update_role, delete_role))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub name: String,
    #[serde(default)]
    pub abilities: Abilities,
}

/// A role with how many employees hold it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleView {
    #[serde(flatten)]
    pub role: Role,
    pub holders: i64,
}

/// The company's roles.
#[utoipa::path(get, path = "/roles", tag = "roles", security(("admin" = [])), responses((status = 200, body = Vec<RoleView>)))]
async fn list_roles(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Vec<RoleView>>, ApiError> {
    let roles = state.store.roles(admin.company()).await?;
    Ok(Json(roles.into_iter().map(|(role, holders)| RoleView { role, holders }).collect()))
}

/// Add a role.
#[utoipa::path(post, path = "/roles", tag = "roles", security(("admin" = [])), request_body = RoleBody,
    responses((status = 201, body = Role), (status = 409, description = "name taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_role(
    State(state): State<AppState>,
    admin: AdminAuth,
    Json(body): Json<RoleBody>,
) -> Result<(StatusCode, Json<Role>), ApiError> {
    let name = RoleName::parse(&body.name)?;
    let role = state.store.create_role(admin.company(), &name, body.abilities).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// One role.
#[utoipa::path(get, path = "/roles/{id}", tag = "roles", security(("admin" = [])), params(("id" = RoleId, Path)),
    responses((status = 200, body = RoleView), (status = 404, body = ErrorBody)))]
async fn get_role(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<RoleId>) -> Result<Json<RoleView>, ApiError> {
    let roles = state.store.roles(admin.company()).await?;
    let (role, holders) = roles.into_iter().find(|(role, _)| role.id == id).ok_or_else(|| ApiError::not_found("no such role"))?;
    Ok(Json(RoleView { role, holders }))
}

/// Rename a role or change its abilities (turn FaceFront on, say).
#[utoipa::path(put, path = "/roles/{id}", tag = "roles", security(("admin" = [])), params(("id" = RoleId, Path)), request_body = RoleBody,
    responses((status = 200, body = Role), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_role(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<RoleId>,
    Json(body): Json<RoleBody>,
) -> Result<Json<Role>, ApiError> {
    let name = RoleName::parse(&body.name)?;
    Ok(Json(state.store.update_role(admin.company(), id, &name, body.abilities).await?))
}

/// Delete a role no employee holds.
#[utoipa::path(delete, path = "/roles/{id}", tag = "roles", security(("admin" = [])), params(("id" = RoleId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, description = "held by employees", body = ErrorBody)))]
async fn delete_role(State(state): State<AppState>, admin: AdminAuth, Path(id): Path<RoleId>) -> Result<StatusCode, ApiError> {
    state.store.delete_role(admin.company(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
