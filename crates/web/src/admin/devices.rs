//! Manage → Devices: create a one-time registration code (shown once, large), the registered
//! devices with their last sync and front camera, and revoking one.

use super::{parse_id, render, see_other, AdminSession, FormErrors, Layout, PageError, SignedForm};
use crate::admin::words::{self, Words};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clockface_domain::device::Kiosk;
use clockface_domain::ids::DeviceId;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/devices", get(devices_page))
        .route("/admin/devices/codes", post(create_code))
        .route("/admin/devices/{id}/revoke", post(revoke))
        .route("/admin/devices/{id}/kiosk", post(save_kiosk))
        .route("/admin/devices/pin-policy", post(save_pin_policy))
        .route("/admin/devices/notices/seen", post(notices_seen))
        .route("/admin/devices/unlock", post(unlock))
}

/// How long a new code may stay usable: (minutes, label).
const EXPIRIES: &[(i64, &str)] = &[(60, "1 hour"), (24 * 60, "24 hours"), (7 * 24 * 60, "7 days")];

struct DeviceRow {
    id: String,
    name: String,
    front_camera: bool,
    last_sync: String,
    synced: bool,
    up_to_date: bool,
    registered: String,
    revoked: Option<String>,
    /// The kiosk choice as the form sends it: `off`, `company`, or a foreman's id.
    kiosk: String,
}

/// A choice of whom a kiosk identifies: a foreman and their crew.
struct CrewChoice {
    id: String,
    name: String,
}

struct Expiry {
    minutes: i64,
    label: &'static str,
    selected: bool,
}

struct NewCode {
    code: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/devices.html")]
struct DevicesPage {
    layout: Layout,
    devices: Vec<DeviceRow>,
    expiries: Vec<Expiry>,
    code: Option<NewCode>,
    errors: FormErrors,
    notice: Option<&'static str>,
    /// New PINs have at least this many digits.
    min_pin_digits: u8,
    /// Active employees whose PIN is shorter than that (or of a length not kept).
    short_pins: i64,
    notices: Vec<NoticeRow>,
    /// The foremen (employees who clock for a crew) a kiosk may be limited to.
    crews: Vec<CrewChoice>,
}

struct NoticeRow {
    at: String,
    detail: String,
    unseen: bool,
    /// The lock still holds: offer to lift it (`place`, `subject` for the form).
    locked: bool,
    place: String,
    subject: String,
}

/// A time as people there read it, e.g. `Mon 23 Nov 2026, 07:02`.
pub fn local(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone).format("%a %-d %b %Y, %H:%M").to_string()
}

async fn page(state: &AppState, admin: &AdminSession, chosen_minutes: i64) -> Result<DevicesPage, PageError> {
    let zone = admin.company.time_zone;
    let current = state.store.company(admin.company_id()).await?.settings_version;
    let devices = state
        .store
        .devices(admin.company_id())
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id.to_string(),
            name: d.name.clone(),
            front_camera: d.has_front_camera,
            last_sync: d.last_sync_at.map_or_else(|| "Never".to_owned(), |t| local(t, zone)),
            synced: d.last_sync_at.is_some(),
            up_to_date: d.synced_version >= current,
            registered: local(d.registered_at, zone),
            revoked: d.revoked_at.map(|t| local(t, zone)),
            kiosk: match d.kiosk {
                None => "off".to_owned(),
                Some(Kiosk { crew_of: None }) => "company".to_owned(),
                Some(Kiosk { crew_of: Some(foreman) }) => foreman.to_string(),
            },
        })
        .collect();
    let foremen: Vec<_> = state
        .store
        .roles(admin.company_id())
        .await?
        .into_iter()
        .filter(|(role, _)| role.abilities.clock_for)
        .map(|(role, _)| role.id)
        .collect();
    let crews = state
        .store
        .employees(admin.company_id(), None)
        .await?
        .into_iter()
        .filter(|e| e.active && foremen.contains(&e.role_id))
        .map(|e| CrewChoice { id: e.id.to_string(), name: e.name.as_str().to_owned() })
        .collect();
    let expiries = EXPIRIES.iter().map(|&(minutes, label)| Expiry { minutes, label, selected: minutes == chosen_minutes }).collect();
    let company = state.store.company(admin.company_id()).await?;
    let now = Utc::now();
    let notices = state
        .store
        .notices(admin.company_id(), 50)
        .await?
        .into_iter()
        .map(|n| NoticeRow {
            at: local(n.at, zone),
            detail: n.detail,
            unseen: n.seen_at.is_none(),
            locked: n.locked_until > now,
            place: n.place,
            subject: n.subject,
        })
        .collect();
    Ok(DevicesPage {
        layout: Layout::new(admin, "devices", words::en("base.devices")),
        devices,
        expiries,
        code: None,
        errors: FormErrors::default(),
        notice: None,
        min_pin_digits: company.min_pin_digits,
        short_pins: state.store.pins_shorter_than(company.id, i64::from(company.min_pin_digits)).await?,
        notices,
        crews,
    })
}

#[derive(Deserialize)]
struct DevicesQuery {
    revoked: Option<String>,
    done: Option<String>,
}

async fn devices_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Query(query): Query<DevicesQuery>,
) -> Result<Response, PageError> {
    let mut page = page(&state, &admin, 24 * 60).await?;
    if query.revoked.is_some() {
        page.notice = Some("Device revoked. It can no longer send punches.");
    }
    page.notice = match query.done.as_deref() {
        Some("pins") => Some("Saved: new PINs have at least this many digits. PINs set before keep working."),
        Some("seen") => Some("The notices are marked as seen."),
        Some("kiosk") => {
            Some("Saved. The tablet takes its kiosk setting at its next sync (within five minutes, or at once from its Sync button).")
        }
        Some("unlocked") => Some("The lock is lifted and its count forgotten."),
        Some("not-locked") => Some("Nothing was locked there any more."),
        _ => page.notice,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The code is shown in the answer to the POST and nowhere else: reloading does not show it again.
async fn create_code(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let minutes = form.get("expires_in_minutes").trim().parse::<i64>().ok();
    let created = match minutes {
        Some(minutes) => state.devices().new_code(admin.company_id(), Some(minutes), Utc::now()).await.map_err(ApiError::from),
        None => Err(ApiError::unprocessable("invalid", "choose how long the code stays usable").with_field("expires_in_minutes")),
    };
    let mut page = page(&state, &admin, minutes.unwrap_or(24 * 60)).await?;
    match created {
        Ok(code) => {
            page.code = Some(NewCode { code: code.code, expires: local(code.expires_at, admin.company.time_zone) });
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            page.errors = errors;
            Ok(render(status, &page))
        }
    }
}

async fn revoke(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let id: DeviceId = parse_id(&id)?;
    state.devices().revoke(signed.admin.company_id(), id, Utc::now()).await?;
    tracing::info!(device = %id, "device revoked from the web app");
    Ok(see_other("/admin/devices?revoked=1"))
}

/// Kiosk mode for one device: off, on for everyone in the company, or on for a foreman's crew.
async fn save_kiosk(State(state): State<AppState>, Path(id): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let id: DeviceId = parse_id(&id)?;
    let kiosk = match form.get("kiosk") {
        "off" => None,
        "company" => Some(Kiosk { crew_of: None }),
        foreman => Some(Kiosk { crew_of: Some(parse_id(foreman)?) }),
    };
    let actor = format!("admin:{}", admin.session.admin_id);
    match state.devices().set_kiosk(admin.company_id(), id, kiosk, &actor).await {
        Ok(_) => Ok(see_other("/admin/devices?done=kiosk")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            let mut page = page(&state, &admin, 24 * 60).await?;
            page.errors = errors;
            Ok(render(status, &page))
        }
    }
}

async fn save_pin_policy(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let digits = form.get("min_pin_digits").trim().parse::<i64>().unwrap_or(0);
    match crate::security::set_min_pin_digits(&state, admin.company_id(), admin.session.admin_id, digits).await {
        Ok(()) => Ok(see_other("/admin/devices?done=pins#pins")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let mut page = page(&state, &admin, 24 * 60).await?;
            page.errors = errors;
            Ok(render(status, &page))
        }
    }
}

async fn notices_seen(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    crate::security::notices_seen(&state, signed.admin.company_id(), signed.admin.session.admin_id).await?;
    Ok(see_other("/admin/devices?done=seen#notices"))
}

async fn unlock(State(state): State<AppState>, signed: SignedForm) -> Result<Response, PageError> {
    use crate::security::Unlock;
    let SignedForm { admin, form } = signed;
    let what = match form.get("place") {
        "device" => Unlock::Device(parse_id(form.get("subject"))?),
        "employee" => Unlock::Employee(parse_id(form.get("subject"))?),
        "company" => Unlock::Company,
        _ => return Err(PageError(ApiError::not_found("no such lock"))),
    };
    let lifted = crate::security::unlock(&state, admin.company_id(), admin.session.admin_id, what).await?;
    Ok(see_other(if lifted { "/admin/devices?done=unlocked#notices" } else { "/admin/devices?done=not-locked#notices" }))
}
