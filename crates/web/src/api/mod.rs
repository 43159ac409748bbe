//! The JSON API under `/api/v1`, one file per resource, each exporting its router. The OpenAPI
//! document is generated from the handlers' annotations and served at `/api/v1/openapi.json`.

pub mod auth;
pub mod device;
pub mod devices;
pub mod employees;
pub mod faces;
pub mod photos;
pub mod punches;
pub mod roles;
pub mod timecards;

use crate::{AppState, WebSettings};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "clockface API",
        description = "A self-hosted time clock for field crews. Admins sign in with `POST /auth/login` and send \
                       `Authorization: Bearer <session token>`; devices register with a one-time code and send their device token the same way. \
                       Every error answers `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Admin sign-in"),
        (name = "roles", description = "Mobile security roles and their abilities"),
        (name = "employees", description = "Employees, PINs and crews"),
        (name = "devices", description = "Device registration codes and registered devices (admin)"),
        (name = "device", description = "Calls the mobile clock makes with its device token"),
        (name = "punches", description = "Clock in and clock out"),
        (name = "time cards", description = "Punches paired into shifts with totals"),
        (name = "photos", description = "FaceFront photos, for admins of the photo's company"),
        (name = "faces", description = "Face verification: consent, enrolment, verdicts and the review queue"),
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

/// Every API route under `/api/v1`, with the OpenAPI document that describes them.
pub fn router(settings: &WebSettings) -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .merge(auth::router())
        .merge(roles::router())
        .merge(employees::router())
        .merge(devices::router())
        .merge(device::router())
        .merge(punches::router(settings))
        .merge(timecards::router())
        .merge(photos::router())
        .merge(faces::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", routes)
}
