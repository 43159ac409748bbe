//! Manage → Security Roles: the roles on the left; the selected one's name, abilities (as
//! toggles) and holders on the right; add, save, delete. Every change raises the company's
//! settings version in the store, so devices pick it up at their next sync.

use super::{parse_id, render, see_other, AdminSession, FormData, FormErrors, Layout, PageError, SignedForm};
use crate::admin::words::{self, Words};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use clockface_domain::ids::RoleId;
use clockface_domain::role::{Abilities, Role, RoleName};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/roles", get(roles_page).post(add_role))
        .route("/admin/roles/{id}", post(save_role))
        .route("/admin/roles/{id}/delete", post(delete_role))
}

/// One entry of the list on the left.
struct RoleItem {
    id: String,
    name: String,
    holders: i64,
    face_front: bool,
}

/// The selected role's form, as stored or as typed.
struct RoleForm {
    id: String,
    name: String,
    holders: i64,
    abilities: Abilities,
}

/// One ability toggle: its form name, label, what it does, and whether it is on.
struct Toggle {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    on: bool,
}

impl RoleForm {
    /// The liveness choices: (value, label, chosen).
    fn liveness_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        clockface_domain::role::LivenessCheck::ALL.iter().map(|l| (l.as_str(), l.label(), *l == self.abilities.liveness)).collect()
    }

    fn toggles(&self) -> Vec<Toggle> {
        let a = self.abilities;
        vec![
            Toggle {
                name: "face_front",
                label: "FaceFront",
                help: "Take a photo with the front camera at every clock in and out.",
                on: a.face_front,
            },
            Toggle {
                name: "clock_for",
                label: "Clock For",
                help: "Clock their crew in and out from their own device (no photo is asked).",
                on: a.clock_for,
            },
            Toggle {
                name: "view_own_time_card",
                label: "View own time card",
                help: "See their own hours on the mobile clock.",
                on: a.view_own_time_card,
            },
            Toggle { name: "record_gps", label: "Record GPS", help: "Attach the device's position to each punch.", on: a.record_gps },
            Toggle {
                name: "ask_time_off",
                label: "May ask for time off",
                help: "Ask for time off on the mobile clock and see the answers there.",
                on: a.ask_time_off,
            },
        ]
    }
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<RoleItem>,
    selected: Option<RoleForm>,
    errors: FormErrors,
    new_name: String,
    add_error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct RolesQuery {
    role: Option<String>,
    saved: Option<String>,
    added: Option<String>,
    deleted: Option<String>,
}

fn abilities_from(form: &FormData) -> Abilities {
    Abilities {
        face_front: form.checked("face_front"),
        clock_for: form.checked("clock_for"),
        view_own_time_card: form.checked("view_own_time_card"),
        record_gps: form.checked("record_gps"),
        // A form without the choice (an older page) keeps the default check.
        liveness: clockface_domain::role::LivenessCheck::parse(form.get("liveness")).unwrap_or_default(),
        liveness_retry: form.checked("liveness_retry"),
        ask_time_off: form.checked("ask_time_off"),
    }
}

async fn list(state: &AppState, admin: &AdminSession) -> Result<Vec<(Role, i64)>, PageError> {
    Ok(state.store.roles(admin.company_id()).await?)
}

fn page(admin: &AdminSession, roles: &[(Role, i64)], selected: Option<RoleForm>) -> RolesPage {
    RolesPage {
        layout: Layout::new(admin, "roles", words::en("base.security_roles")),
        roles: roles
            .iter()
            .map(|(role, holders)| RoleItem {
                id: role.id.to_string(),
                name: role.name.as_str().to_owned(),
                holders: *holders,
                face_front: role.abilities.face_front,
            })
            .collect(),
        selected,
        errors: FormErrors::default(),
        new_name: String::new(),
        add_error: None,
        notice: None,
    }
}

fn stored_form(role: &Role, holders: i64) -> RoleForm {
    RoleForm { id: role.id.to_string(), name: role.name.as_str().to_owned(), holders, abilities: role.abilities }
}

async fn roles_page(State(state): State<AppState>, admin: AdminSession, Query(query): Query<RolesQuery>) -> Result<Response, PageError> {
    let roles = list(&state, &admin).await?;
    let wanted: Option<RoleId> = query.role.as_deref().and_then(|id| id.parse().ok());
    let selected = match wanted {
        Some(id) => roles.iter().find(|(role, _)| role.id == id),
        None => roles.first(),
    };
    let selected = selected.map(|(role, holders)| stored_form(role, *holders));
    let mut page = page(&admin, &roles, selected);
    page.notice = if query.saved.is_some() {
        Some("Saved. Devices get the change at their next sync.")
    } else if query.added.is_some() {
        Some("Role added. Turn on what it may do, then Save.")
    } else if query.deleted.is_some() {
        Some("Role deleted.")
    } else {
        None
    };
    Ok(render(StatusCode::OK, &page))
}

async fn add_role(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let typed = form.get("name").to_owned();
    let created = match RoleName::parse(&typed) {
        Ok(name) => state.store.create_role(admin.company_id(), &name, Abilities::default()).await.map_err(ApiError::from),
        Err(error) => Err(ApiError::from(error)),
    };
    match created {
        Ok(role) => Ok(see_other(&format!("/admin/roles?role={}&added=1", role.id))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let roles = list(&state, &admin).await?;
            let selected = roles.first().map(|(role, holders)| stored_form(role, *holders));
            let mut page = page(&admin, &roles, selected);
            page.new_name = typed;
            page.add_error = errors.field("name").map(str::to_owned).or(errors.form);
            Ok(render(status, &page))
        }
    }
}

async fn save_role(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: RoleId = parse_id(&id)?;
    let typed = form.get("name").to_owned();
    let abilities = abilities_from(&form);
    let saved = match RoleName::parse(&typed) {
        Ok(name) => state.store.update_role(admin.company_id(), id, &name, abilities).await.map_err(ApiError::from),
        Err(error) => Err(ApiError::from(error)),
    };
    match saved {
        Ok(role) => {
            tracing::info!(role = %role.id, face_front = role.abilities.face_front, "role saved from the web app");
            Ok(see_other(&format!("/admin/roles?role={}&saved=1", role.id)))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let roles = list(&state, &admin).await?;
            let holders =
                roles.iter().find(|(role, _)| role.id == id).map(|(_, h)| *h).ok_or_else(|| ApiError::not_found("no such role"))?;
            let mut page = page(&admin, &roles, Some(RoleForm { id: id.to_string(), name: typed, holders, abilities }));
            page.errors = errors;
            Ok(render(status, &page))
        }
    }
}

async fn delete_role(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, .. } = signed;
    let id: RoleId = parse_id(&id)?;
    match state.store.delete_role(admin.company_id(), id).await.map_err(ApiError::from) {
        Ok(()) => Ok(see_other("/admin/roles?deleted=1")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let roles = list(&state, &admin).await?;
            let selected = roles.iter().find(|(role, _)| role.id == id).map(|(role, holders)| stored_form(role, *holders));
            let mut page = page(&admin, &roles, selected);
            page.errors = errors;
            Ok(render(status, &page))
        }
    }
}
