//! The JSON API under `/api/v1`, one file per resource, each exporting its router. The OpenAPI
//! document is generated from the handlers' annotations and served at `/api/v1/openapi.json`.

pub mod auth;
pub mod corrections;
pub mod device;
pub mod devices;
pub mod employees;
pub mod faces;
pub mod jobs;
pub mod kiosk;
pub mod liveness;
pub mod payroll;
pub mod photos;
pub mod privacy;
pub mod punches;
pub mod roles;
pub mod security;
pub mod timecards;
pub mod timeoff;
pub mod users;

use crate::{AppState, WebSettings};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "clockface API",
        description = "A self-hosted time clock for field crews. Users (admins and supervisors) sign in with `POST /auth/login` and send \
                       `Authorization: Bearer <session token>`; a supervisor reaches only the time cards, corrections, approvals, photos \
                       and review queue of the employees assigned to them (anyone else's answer 404) and gets 403 `admins_only` elsewhere; devices register with a one-time code and send their device token the same way. \
                       Every error answers `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in of the web app's users"),
        (name = "users", description = "Web-app users: invitations, Admin and Supervisor roles, a supervisor's employees (admins only)"),
        (name = "roles", description = "Mobile security roles and their abilities"),
        (name = "employees", description = "Employees, PINs and crews"),
        (name = "jobs", description = "Jobs (with their geofences) and cost codes, and their CSV imports"),
        (name = "devices", description = "Device registration codes and registered devices (admin)"),
        (name = "device", description = "Calls the mobile clock makes with its device token"),
        (name = "punches", description = "Clock in and clock out"),
        (name = "time cards", description = "Punches paired into shifts with totals"),
        (name = "photos", description = "FaceFront photos, for admins of the photo's company"),
        (name = "payroll", description = "Payroll settings, the pay period overview, approvals and exports"),
        (name = "faces", description = "Face verification: enrolment, verdicts and the review queue"),
        (name = "privacy", description = "Biometric privacy: the retention policy, releases, deletion and export on request, the destruction and audit logs"),
        (name = "time off", description = "Time off: types and pay codes, requests and their answers, balances and ledgers, holidays"),
        (name = "security", description = "Locks after wrong PINs: the notices admins get, lifting a lock, and how many digits new PINs have"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("admin", bearer());
        components.add_security_scheme("device", bearer());
    }
}

/// The error answers every operation of a kind can give, documented once: a body that is not
/// JSON (400), not JSON the operation takes (415), or JSON missing a field or with a wrong value
/// (422); a missing or expired token (401); a body larger than the limit (413). Applied to the
/// finished document, once every route has added its operations.
pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
                };
                if operation.request_body.is_some() {
                    add("400", "the body is not well-formed JSON, or a multipart body could not be read");
                    add("413", "the body is larger than the server accepts");
                    add("415", "the body is not of a content type this operation takes");
                    add("422", "the body misses a field or a value is not acceptable; `field` names it");
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "no valid token: sign in (admin) or register the device again");
                }
                let for_users =
                    operation.security.iter().flatten().any(|s| serde_json::to_value(s).is_ok_and(|v| v.get("admin").is_some()));
                if for_users {
                    add("403", "a supervisor where only admins may go (`admins_only`)");
                }
            }
        }
    }
}

/// Every API route under `/api/v1`, with the OpenAPI document that describes them.
pub fn router(settings: &WebSettings) -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .merge(auth::router())
        .merge(roles::router())
        .merge(employees::router())
        .merge(jobs::router())
        .merge(devices::router())
        .merge(device::router())
        .merge(liveness::router(settings))
        .merge(kiosk::router(settings))
        .merge(punches::router(settings))
        .merge(timecards::router())
        .merge(corrections::router())
        .merge(payroll::router())
        .merge(photos::router())
        .merge(faces::router(settings))
        .merge(privacy::router())
        .merge(users::router())
        .merge(security::router())
        .merge(timeoff::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", routes)
}
