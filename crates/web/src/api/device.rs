//! The calls the mobile clock makes: register with a code, sync its settings, sign an employee
//! in by PIN (each PIN counted before it is judged, on the device, the employee and the company).

use crate::api::auth::locked_answer;
use crate::auth::{pin_lookup, DeviceAuth};
use crate::error::{json_or_default, ErrorBody, Json};
use crate::guard::ClientAddr;
use crate::privacy::{ReleaseNotice, Signer};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use clockface_app::devices::Registered;
use clockface_domain::device::{Device, Rotation};
use clockface_domain::employee::{Employee, Pin};
use clockface_domain::ids::{CompanyId, CostCodeId, EmployeeId, JobId, RoleId};
use clockface_domain::job::{CostCode, Job};
use clockface_domain::punch::Punch;
use clockface_domain::role::Role;
use clockface_domain::secret::verify_secret;
use clockface_store::{Attempt, DeviceSync, LockScope, StoreError};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(sync))
        .routes(routes!(sign_in))
        .routes(routes!(release))
        .routes(routes!(signing_key))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// The one-time code an admin created.
    pub code: String,
    /// What to call this device, e.g. "Site 4 tablet".
    pub name: String,
    pub has_front_camera: bool,
}

/// Register this device with a one-time code.
#[utoipa::path(post, path = "/device/register", tag = "device", request_body = RegisterBody,
    responses((status = 201, body = Registered), (status = 422, description = "unknown, used or expired code", body = ErrorBody)))]
async fn register(State(state): State<AppState>, Json(body): Json<RegisterBody>) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let registered = state.devices().register(&body.code, &body.name, body.has_front_camera, Utc::now()).await?;
    tracing::info!(device = %registered.device.id, "device registered");
    Ok((StatusCode::CREATED, Json(registered)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    /// Whether the device has a front camera now (it may have been refused or removed).
    pub has_front_camera: Option<bool>,
    /// The device's FaceFront photo rotation setting: 0, 90, 180 or 270.
    #[schema(value_type = Option<i64>)]
    pub photo_rotation: Option<Rotation>,
}

/// An employee as a device needs to know them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceEmployee {
    pub id: EmployeeId,
    pub name: String,
    pub number: String,
    pub role_id: RoleId,
}

impl From<&Employee> for DeviceEmployee {
    fn from(employee: &Employee) -> Self {
        Self {
            id: employee.id,
            name: employee.name.as_str().to_owned(),
            number: employee.number.as_str().to_owned(),
            role_id: employee.role_id,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CrewView {
    pub foreman_id: EmployeeId,
    pub members: Vec<EmployeeId>,
}

/// Everything a device keeps a copy of.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncResponse {
    /// Send this back as `settings_version` with each punch made under these settings.
    pub settings_version: i64,
    pub company_name: String,
    pub time_zone: String,
    pub server_time: DateTime<Utc>,
    pub device: Device,
    pub roles: Vec<Role>,
    /// Active employees (to pick a name on a shared device, and for Clock For).
    pub employees: Vec<DeviceEmployee>,
    /// Who each foreman may clock for.
    pub crews: Vec<CrewView>,
    /// The active jobs, to pick at Clock In (kept on the device for offline use).
    pub jobs: Vec<Job>,
    /// The active cost codes, each for all jobs or for its `job_ids` (`domain::job::cost_codes_for`).
    /// None: the company does not use cost codes and the clock does not ask for one.
    pub cost_codes: Vec<CostCode>,
    /// The server's public key (ECDH P-256, SEC1 uncompressed, base64) that a PIN typed at an
    /// offline sign-in is sealed to (`sealed_pin` on each punch of that sign-in; `web::sealed_pin`).
    /// The device keeps no PIN and nothing derived from one.
    pub pin_seal_key: Option<String>,
    /// The company's public biometric data policy (a path on this server, `/policy/{company}`;
    /// add `?lang=es` for Spanish), once one is published: the clock links to it.
    pub policy_url: Option<String>,
}

/// Bring this device's settings up to date and report its camera and rotation.
#[utoipa::path(post, path = "/device/sync", tag = "device", security(("device" = [])), request_body = SyncBody,
    responses((status = 200, body = SyncResponse), (status = 401, body = ErrorBody)))]
async fn sync(State(state): State<AppState>, auth: DeviceAuth, body: Bytes) -> Result<Json<SyncResponse>, ApiError> {
    let body: SyncBody = json_or_default(&body)?;
    let company = state.store.company(auth.company()).await?;
    // The version is read before the settings: if they change in between, the device holds newer
    // settings than its version says and simply syncs again; never the other way round.
    let roles: Vec<Role> = state.store.roles(company.id).await?.into_iter().map(|(role, _)| role).collect();
    let employees: Vec<Employee> = state.store.employees(company.id, None).await?.into_iter().filter(|e| e.active).collect();
    let jobs: Vec<Job> = state.store.jobs(company.id).await?.into_iter().filter(|job| job.active).collect();
    let cost_codes: Vec<CostCode> = state.store.cost_codes(company.id).await?.into_iter().filter(|code| code.active).collect();
    let mut crews = Vec::new();
    for foreman in &employees {
        if roles.iter().any(|role| role.id == foreman.role_id && role.abilities.clock_for) {
            crews.push(CrewView { foreman_id: foreman.id, members: state.store.crew(company.id, foreman.id).await? });
        }
    }
    let now = Utc::now();
    let record = DeviceSync {
        synced_version: company.settings_version,
        at: now,
        has_front_camera: body.has_front_camera,
        photo_rotation: body.photo_rotation,
    };
    let device = state.store.record_sync(company.id, auth.device.id, &record).await?;
    Ok(Json(SyncResponse {
        settings_version: company.settings_version,
        company_name: company.name.as_str().to_owned(),
        time_zone: company.time_zone.name().to_owned(),
        server_time: now,
        device,
        roles,
        employees: employees.iter().map(DeviceEmployee::from).collect(),
        crews,
        jobs,
        cost_codes,
        pin_seal_key: state.settings.pin_seal.as_ref().map(clockface_app::sealed_pin::PinSealKey::public_base64),
        policy_url: state.store.policy(company.id, None).await?.map(|_| format!("/policy/{}", company.id)),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub pin: String,
    /// The employee who picked their name on a shared device; wrong PINs then count against
    /// them too. Without it, the PIN alone identifies the employee.
    pub employee_id: Option<EmployeeId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub employee: DeviceEmployee,
    pub role: Role,
    /// In a shift now: their last punch is a clock-in, or a Start break (then `on_break` too).
    pub clocked_in: bool,
    /// On a break now: their last punch is a Start break. The clock offers End break.
    pub on_break: bool,
    pub last_punch: Option<Punch>,
    /// While clocked in: the job and cost code of the shift, as picked at its clock-in or at the
    /// last Change job (breaks keep them). The clock shows them on its status screen.
    pub shift_job: Option<ShiftJob>,
    /// This device will ask them for a FaceFront photo.
    pub face_front: bool,
    /// The crew they may clock for, if their role has Clock For.
    pub crew: Vec<DeviceEmployee>,
    /// The biometric release to read and sign or decline (`POST /device/release`), when their role
    /// uses FaceFront and they have not answered the current one. Answering is never required to punch.
    pub release: Option<ReleaseNotice>,
    /// Their own time card for the pay period holding today, when their role has View own time card.
    pub own_time_card: Option<OwnTimeCard>,
}

/// The job and cost code a shift is worked on (either may be absent).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShiftJob {
    pub job_id: Option<JobId>,
    pub cost_code_id: Option<CostCodeId>,
}

/// The job of the shift `last` leaves the employee in: that of its clock-in, found past the
/// breaks taken since (a shift holds a few; at most 50 are looked through). None when out.
async fn shift_job(state: &AppState, company: CompanyId, last: Option<&Punch>) -> Result<Option<ShiftJob>, ApiError> {
    let Some(mut punch) = last.filter(|p| p.leaves_in_shift()).cloned() else { return Ok(None) };
    for _ in 0..50 {
        if !punch.on_break {
            return Ok(Some(ShiftJob { job_id: punch.job_id, cost_code_id: punch.cost_code_id }));
        }
        match state.store.punch_before(company, punch.employee_id, punch.occurred_at).await? {
            Some(earlier) => punch = earlier,
            None => break,
        }
    }
    Ok(None)
}

/// An employee's own card as the clock shows it: this pay period's shifts and totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnTimeCard {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Days with shifts, oldest first.
    pub days: Vec<OwnDay>,
    pub total_seconds: i64,
    pub regular_seconds: i64,
    pub overtime_seconds: i64,
    pub double_time_seconds: i64,
    /// Taken off by the company's automatic meal deduction.
    pub meal_deducted_seconds: i64,
    /// On breaks, and whether the company pays them (then they are in `total_seconds`).
    pub break_seconds: i64,
    pub breaks_paid: bool,
    /// When the server counted it.
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnDay {
    pub date: NaiveDate,
    pub shifts: Vec<OwnShift>,
    pub seconds: i64,
}

/// A shift: the local times of its start and stop (`07:02`), absent when missing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnShift {
    pub start: Option<String>,
    pub end: Option<String>,
    pub seconds: i64,
    /// Still clocked in.
    pub in_progress: bool,
    /// Its breaks: local start and end times (no end: running now, or ended by the clock-out).
    pub breaks: Vec<OwnBreak>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnBreak {
    pub start: String,
    pub end: Option<String>,
    pub seconds: i64,
}

/// The employee's card for the pay period holding today, counted as the admin's card is.
async fn own_time_card(state: &AppState, company: CompanyId, employee: EmployeeId) -> Result<OwnTimeCard, ApiError> {
    let (period, _) = clockface_app::payroll::period_of(&*state.store, company, None, chrono::Utc::now()).await?;
    let card = crate::api::timecards::time_card(state, company, employee, Some(period.start), Some(period.end)).await?;
    let card = card.time_card;
    let local = |p: &Option<crate::api::timecards::CardPunch>| p.as_ref().map(|p| p.local_time.clone());
    let days = card
        .days
        .iter()
        .filter(|d| !d.shifts.is_empty())
        .map(|d| OwnDay {
            date: d.date,
            seconds: d.seconds,
            shifts: d
                .shifts
                .iter()
                .map(|s| OwnShift {
                    start: local(&s.start),
                    end: local(&s.end),
                    seconds: s.seconds,
                    in_progress: s.status == clockface_domain::timecard::ShiftStatus::InProgress,
                    breaks: s
                        .breaks
                        .iter()
                        .map(|b| OwnBreak {
                            start: b.start.local_time.clone(),
                            end: b.end.as_ref().map(|e| e.local_time.clone()),
                            seconds: b.seconds,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(OwnTimeCard {
        period_start: period.start,
        period_end: period.end,
        days,
        total_seconds: card.seconds,
        regular_seconds: card.pay.regular_seconds,
        overtime_seconds: card.pay.overtime_seconds,
        double_time_seconds: card.pay.double_time_seconds,
        meal_deducted_seconds: card.meal_deducted_seconds,
        break_seconds: card.break_seconds,
        breaks_paid: card.breaks_paid,
        as_of: Utc::now(),
    })
}

/// Sign an employee in by PIN. Every PIN is counted before it is judged, on the device, on the
/// employee (when they picked their name, or when the PIN is theirs) and across the company;
/// ten wrong PINs on a device or five for one employee within 15 minutes lock it for 15 minutes,
/// and a hundred wrong PINs in an hour lock the company's PIN sign-in. An employee's right PIN
/// never resets what others typed wrong on the device.
#[utoipa::path(post, path = "/device/sign-in", tag = "device", security(("device" = [])), request_body = SignInBody,
    responses((status = 200, body = SignedIn), (status = 401, description = "wrong PIN", body = ErrorBody),
              (status = 403, description = "employee inactive", body = ErrorBody), (status = 429, description = "locked out, or too busy", body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Json(body): Json<SignInBody>,
) -> Result<Json<SignedIn>, ApiError> {
    let company = auth.company();
    let employee = check_pin(&state, &auth.device, client, &body.pin, body.employee_id).await?;
    let device = &auth.device;
    let role = state.store.role(company, employee.role_id).await?;
    let last_punch = state.store.last_punch(company, employee.id).await?;
    let crew = if role.abilities.clock_for {
        let mut members = Vec::new();
        for id in state.store.crew(company, employee.id).await? {
            let member = state.store.employee(company, id).await?;
            if member.active {
                members.push(DeviceEmployee::from(&member));
            }
        }
        members
    } else {
        Vec::new()
    };
    let face_front = role.abilities.face_front && device.has_front_camera;
    let release = if face_front && crate::privacy::release_status(&state, company, employee.id).await?.asks() {
        let withdrawn_on = state.store.release(company, employee.id).await?.and_then(|r| r.withdrawn).map(|w| w.at);
        crate::privacy::release_notice(&state, company).await?.map(|notice| crate::privacy::ReleaseNotice { withdrawn_on, ..notice })
    } else {
        None
    };
    let own_time_card = if role.abilities.view_own_time_card { Some(own_time_card(&state, company, employee.id).await?) } else { None };
    Ok(Json(SignedIn {
        own_time_card,
        employee: DeviceEmployee::from(&employee),
        face_front,
        release,
        role,
        clocked_in: last_punch.as_ref().is_some_and(Punch::leaves_in_shift),
        on_break: last_punch.as_ref().is_some_and(Punch::starts_break),
        shift_job: shift_job(&state, company, last_punch.as_ref()).await?,
        last_punch,
        crew,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceReleaseBody {
    /// The employee's PIN again: only they answer for themselves.
    pub pin: String,
    pub employee_id: Option<EmployeeId>,
    /// `signed` or `declined`.
    pub decision: String,
    /// Their full name, typed, to sign.
    pub signed_name: Option<String>,
    /// The version of the release they read (from the sign-in answer).
    pub release_version: String,
    /// The language of the text they read (the notice's `texts[].language`): `en` (the default) or `es`.
    pub language: Option<String>,
    /// The SHA-256 of the text they read (`texts[].text_sha256`): refused with `release_text_changed`
    /// when it is not the current text, so a signature is always of the text the server records.
    pub text_sha256: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReleaseRecorded {
    /// `signed` or `declined`.
    pub decision: &'static str,
    pub decided_at: DateTime<Utc>,
}

/// The employee signs or declines the biometric release on this device, with their PIN (counted
/// like a sign-in). Declining never stops them clocking in: a person checks their photos.
#[utoipa::path(post, path = "/device/release", tag = "device", security(("device" = [])), request_body = DeviceReleaseBody,
    responses((status = 200, body = ReleaseRecorded), (status = 401, description = "wrong PIN", body = ErrorBody),
              (status = 409, description = "no retention policy published", body = ErrorBody),
              (status = 422, description = "no typed name, or an older release version", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn release(
    State(state): State<AppState>,
    auth: DeviceAuth,
    client: ClientAddr,
    Json(body): Json<DeviceReleaseBody>,
) -> Result<Json<ReleaseRecorded>, ApiError> {
    let employee = check_pin(&state, &auth.device, client, &body.pin, body.employee_id).await?;
    let answer = clockface_app::privacy::ReleaseAnswer::parse(
        &body.decision,
        body.signed_name.as_deref(),
        &body.release_version,
        body.language.as_deref(),
        body.text_sha256.as_deref(),
    )?;
    let recorded =
        crate::privacy::decide_release(&state, auth.company(), employee.id, Signer::Device(auth.device.id), answer, Utc::now()).await?;
    Ok(Json(ReleaseRecorded { decision: recorded.decision.as_str(), decided_at: recorded.decided_at }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyBody {
    /// The device's ECDSA P-256 public key, raw uncompressed (65 bytes, `04 || x || y`), base64.
    pub public_key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SigningKeyView {
    pub public_key: String,
}

/// Register the key this device signs its punches with. Set once: a device that has a key keeps
/// it (a stolen token cannot swap it); a second call with the same key is answered the same.
#[utoipa::path(post, path = "/device/key", tag = "device", security(("device" = [])), request_body = SigningKeyBody,
    responses((status = 200, body = SigningKeyView), (status = 409, description = "the device has another key", body = ErrorBody),
              (status = 422, description = "not a P-256 public key", body = ErrorBody)))]
async fn signing_key(
    State(state): State<AppState>,
    auth: DeviceAuth,
    Json(body): Json<SigningKeyBody>,
) -> Result<Json<SigningKeyView>, ApiError> {
    let key = clockface_app::signing::parse_public_key(&body.public_key)?;
    if state.store.set_device_key(auth.company(), auth.device.id, &key).await? {
        tracing::info!(device = %auth.device.id, "device signing key registered");
        return Ok(Json(SigningKeyView { public_key: key }));
    }
    let current = state.store.device(auth.company(), auth.device.id).await?.signing_key;
    if current.as_deref() == Some(key.as_str()) {
        Ok(Json(SigningKeyView { public_key: key }))
    } else {
        Err(ApiError::conflict("key_set", "this device already has another signing key; register the device again to change it"))
    }
}

/// What judging a PIN decided.
#[derive(Debug)]
pub enum PinJudgement {
    /// The PIN is this employee's (their own count cleared, the shared ones given back).
    Right(Employee),
    /// Not a PIN of the employee named (or of anyone): `tries_left` more wrong ones lock
    /// `nearest`, unless `locked` says this one did.
    Wrong { tries_left: i64, nearest: clockface_domain::lockout::Place, locked: Option<Attempt> },
    /// Not judged: a place it counts in is locked.
    Locked(Attempt),
}

/// Judges a PIN typed on `device`, for the employee named or (without one) whoever it is the PIN
/// of. Every PIN is counted before it is judged, so a burst of guesses at once cannot get past the
/// lock. Shared by sign-in, the release (which asks for the PIN again) and punches made at an
/// offline sign-in, whose sealed PIN is judged when they arrive.
pub async fn judge_pin(
    state: &AppState,
    device: &Device,
    client: ClientAddr,
    pin: &str,
    named: Option<&Employee>,
) -> Result<PinJudgement, ApiError> {
    let company = device.company_id;
    let now = Utc::now();
    let policy = &state.settings.lockout;
    let shared = [LockScope::Device(device.id), LockScope::Company(company)];
    let own = named.map(|e| LockScope::Employee(e.id));
    let counted: Vec<LockScope> = shared.iter().cloned().chain(own.clone()).collect();
    let (tries_left, nearest) = match state.store.count_attempt(&counted, policy, now).await? {
        attempt @ Attempt::Locked { place, until, first } => {
            crate::security_event!("pin_locked", client, device = device.id);
            if first {
                crate::security::lock_noticed(state, device, named, place, until).await?;
            }
            return Ok(PinJudgement::Locked(attempt));
        }
        Attempt::Judge { tries_left, nearest } => (tries_left, nearest),
    };
    let found = match Pin::parse(pin) {
        Ok(pin) => {
            let lookup = pin_lookup(state, company, pin.expose());
            match state.store.employee_by_pin(company, &lookup).await? {
                Some((employee, hash)) if named.is_none_or(|n| n.id == employee.id) => {
                    let verified = state.gates.hash(move || verify_secret(pin.expose(), &hash)).await?;
                    verified.then_some(employee)
                }
                _ => None,
            }
        }
        Err(_) => None,
    };
    // A right PIN of an employee locked by wrong guesses at them does not sign them in, named or
    // not, and is answered as a wrong PIN (which does not tell a guesser the PIN is someone's).
    let found = match found {
        Some(employee) if named.is_none() && state.store.locked_until(&LockScope::Employee(employee.id), now).await?.is_some() => {
            crate::security_event!("locked_employee_pin", client, device = device.id, employee = employee.id);
            None
        }
        found => found,
    };
    let Some(employee) = found else {
        crate::security_event!("wrong_pin", client, device = device.id);
        let locked = state.store.attempt_was_wrong(&counted, policy, now).await?;
        if let Some(Attempt::Locked { place, until, first }) = locked {
            crate::security_event!("pin_locked", client, device = device.id);
            if first {
                crate::security::lock_noticed(state, device, named, place, until).await?;
            }
        }
        return Ok(PinJudgement::Wrong { tries_left, nearest, locked });
    };
    // The right PIN takes back only its own count from the device and the company, and clears
    // the employee's own.
    state.store.attempt_was_right(&shared, &[LockScope::Employee(employee.id)]).await?;
    Ok(PinJudgement::Right(employee))
}

/// Judges a PIN typed on `device`: the employee it signs in, or the answer to give.
pub(crate) async fn check_pin(
    state: &AppState,
    device: &Device,
    client: ClientAddr,
    pin: &str,
    employee_id: Option<EmployeeId>,
) -> Result<Employee, ApiError> {
    let now = Utc::now();
    let named = match employee_id {
        Some(id) => Some(state.store.employee(device.company_id, id).await.map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::unprocessable("unknown_employee", "employee_id is not an employee of this company").with_field("employee_id")
            }
            other => other.into(),
        })?),
        None => None,
    };
    let employee = match judge_pin(state, device, client, pin, named.as_ref()).await? {
        PinJudgement::Right(employee) => employee,
        PinJudgement::Locked(attempt) | PinJudgement::Wrong { locked: Some(attempt), .. } => return Err(locked_answer(attempt, now)),
        PinJudgement::Wrong { tries_left, nearest, locked: None } => {
            return Err(ApiError::unauthorized("wrong_pin", state.settings.lockout.wrong_pin_message(nearest, tries_left)).with_field("pin"))
        }
    };
    if !employee.active {
        return Err(ApiError::forbidden(
            "employee_inactive",
            format!("{} is not an active employee; ask an admin", employee.name.as_str()),
        ));
    }
    Ok(employee)
}
