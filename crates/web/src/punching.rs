//! Recording a punch: the straight line from what a device sent to a stored punch and photo.
//! The API's punch endpoints and the demo both come through here.

use crate::photo::{check_photo, CheckedPhoto};
use crate::{ApiError, AppState};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clockface_domain::device::{Device, Rotation};
use clockface_domain::employee::Employee;
use clockface_domain::ids::{CompanyId, CostCodeId, EmployeeId, JobId, PunchId};
use clockface_domain::job::{CostCode, Job};
use clockface_domain::punch::{
    check_device_time, cost_code_flag, decide_photo, fence_flag_detail, offset_minutes, resend_differences, signed_content, vouch, Burst,
    Circumstances, GeoPoint, NoPhotoReason, NoPositionReason, PhotoContext, PhotoOutcome, Punch, PunchKind, PunchRequest, ResendSaid,
    TurnPrompt,
};
use clockface_store::{to_micros, PhotoRecord, PunchInsert, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A punch as a device sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PunchBody {
    /// Made by the device (a UUID); sending the same punch again under it never makes a second one.
    pub client_id: Uuid,
    pub employee_id: EmployeeId,
    pub kind: PunchKind,
    /// When the punch was made, by the device's clock, in RFC 3339 with its UTC offset,
    /// e.g. `2026-11-26T07:02:11-06:00`.
    pub device_time: String,
    /// The foreman who clocked this employee with Clock For.
    #[serde(default)]
    pub clock_for_by: Option<EmployeeId>,
    /// Why a photo the role asks for is missing; the server accepts `camera_denied` from a device.
    #[serde(default)]
    pub no_photo_reason: Option<NoPhotoReason>,
    /// The settings version the device had when the punch was made (from its last sync).
    /// Defaults to the version the device last synced.
    #[serde(default)]
    pub settings_version: Option<i64>,
    #[serde(default)]
    pub position: Option<GeoPoint>,
    /// The job picked at Clock In (one of the company's, from the last sync).
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// The cost code picked with the job, when the company uses cost codes.
    #[serde(default)]
    pub cost_code_id: Option<CostCodeId>,
    /// Why there is no `position` when the role records GPS: `permission_denied`, `timeout`, `unavailable`.
    #[serde(default)]
    pub no_position_reason: Option<NoPositionReason>,
    /// A break punch: with `kind` `out` it starts a break (Start break), with `in` it ends one
    /// (End break). No photo is asked for either. Paid or not is the company's payroll setting.
    #[serde(default)]
    pub on_break: bool,
    /// The device's FaceFront photo rotation setting (0, 90, 180 or 270), applied when the photo is shown.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub photo_rotation: Option<Rotation>,
    /// In a batch upload: the name of the multipart part holding this punch's photo.
    #[serde(default)]
    pub photo_part: Option<String>,
    /// The active liveness check, when the clock asked for a head turn: the direction asked and
    /// how many frames the burst holds. The frames come as one image in the `burst` part (with
    /// the photo), tiled four to a row, left to right, then the next row, each upright.
    #[serde(default)]
    pub burst: Option<BurstBody>,
    /// In a batch upload: the name of the multipart part holding this punch's burst image.
    #[serde(default)]
    pub burst_part: Option<String>,
    /// The device's ECDSA P-256 signature (base64 of `r || s`) over the punch's signed content:
    /// `clockface-punch-v1`, client_id, employee_id, kind, device_time as sent, clock_for_by (or
    /// empty) and the photo's SHA-256 in hex (or empty), joined by line feeds; then, only when the
    /// punch has a job or cost code, `job:<job_id>` and `cost_code:<cost_code_id>` (empty when absent);
    /// then, only for a break punch, `on_break`; then, only with a burst,
    /// `burst:<sha256 of the burst image>:<prompt>:<frames>`.
    #[serde(default)]
    pub signature: Option<String>,
    /// Made at a sign-in done offline: the PIN typed then, sealed to the server's key for this
    /// punch (`pin_seal_key` of the sync answer; `web::sealed_pin`). Judged when the punch
    /// arrives, under the same counts as an online sign-in: a wrong PIN keeps the punch, flagged
    /// `pin_mismatch`, for review. Not part of the fingerprint (a credential, not what happened).
    #[serde(default)]
    pub sealed_pin: Option<clockface_app::sealed_pin::SealedPin>,
}

/// The head turn a burst was taken for.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BurstBody {
    /// The direction the worker was asked to turn their head, in their own terms.
    pub prompt: TurnPrompt,
    /// How many frames the burst image holds (2 to 12).
    pub frames: u8,
}

/// A stored punch, and whether this request stored it (false: it was already stored).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub punch: Punch,
    pub created: bool,
}

/// The flag a punch made at an offline sign-in gets from its sealed PIN, judged now as an online
/// sign-in's PIN would be (counted on the device, the company and the employee): none when it is
/// the employee's.
async fn judge_sealed_pin(
    state: &AppState,
    device: &Device,
    signed_in: &Employee,
    sealed: &clockface_app::sealed_pin::SealedPin,
    client_id: &str,
) -> Result<Option<clockface_domain::punch::PunchFlag>, ApiError> {
    use crate::api::device::{judge_pin, PinJudgement};
    use clockface_domain::punch::{Flag, PunchFlag};
    let not_checked = |why: &str| Some(PunchFlag { flag: Flag::PinNotChecked, detail: why.to_owned() });
    let Some(key) = &state.settings.pin_seal else {
        return Ok(not_checked("the server has no key to open sealed PINs"));
    };
    let pin = match key.open(sealed, client_id) {
        Ok(pin) => pin,
        Err(error) => return Ok(not_checked(&format!("{error}; a person checks who made this punch"))),
    };
    let client = crate::guard::ClientAddr(None);
    Ok(match judge_pin(state, device, client, &pin, Some(signed_in)).await? {
        PinJudgement::Right(_) => None,
        PinJudgement::Wrong { .. } => Some(PunchFlag {
            flag: Flag::PinMismatch,
            detail: format!(
                "the PIN typed at the offline sign-in is not {}'s; a person checks who made this punch",
                signed_in.name.as_str()
            ),
        }),
        PinJudgement::Locked(_) => {
            not_checked("PIN sign-in was locked by wrong PINs when this punch arrived; a person checks who made this punch")
        }
    })
}

/// Records one punch from `device`, with its photo's bytes if it has one, and its burst's.
pub async fn record_punch(
    state: &AppState,
    device: &Device,
    body: PunchBody,
    photo: Option<Bytes>,
    burst: Option<Bytes>,
) -> Result<Recorded, ApiError> {
    let company = device.company_id;
    let received_at = to_micros(Utc::now());
    let device_time = DateTime::parse_from_rfc3339(&body.device_time).map_err(|e| {
        ApiError::unprocessable("invalid", format!("device_time: `{}` is not an RFC 3339 time with a UTC offset ({e})", body.device_time))
            .with_field("device_time")
    })?;
    let photo_sha256 = photo.as_deref().map(clockface_store::blobs::sha256_hex);
    let burst_said = described_burst(body.burst, burst.as_deref(), photo.is_some())?;
    let request = PunchRequest {
        client_id: body.client_id,
        employee_id: body.employee_id,
        kind: body.kind,
        device_time,
        clock_for_by: body.clock_for_by,
        photo_sha256: photo_sha256.clone(),
        stated_reason: body.no_photo_reason,
        settings_version: body.settings_version.unwrap_or(device.synced_version),
        position: body.position,
        job_id: body.job_id,
        cost_code_id: body.cost_code_id,
        no_position_reason: body.no_position_reason,
        on_break: body.on_break,
        burst: burst_said.clone(),
    };
    let fingerprint = request.fingerprint();
    let said = ResendSaid { settings_version: body.settings_version, photo_rotation: body.photo_rotation };
    let mut signed = signed_content(
        &body.client_id,
        &body.employee_id,
        body.kind,
        &body.device_time,
        body.clock_for_by.as_ref(),
        photo_sha256.as_deref(),
        (body.job_id.as_ref(), body.cost_code_id.as_ref()),
        body.on_break,
    );
    if let Some(said) = &burst_said {
        signed.push_str(&said.signed_line());
    }

    // A resend is answered from what is stored, before the rules are applied again: they may have
    // changed since the first attempt, and the punch must not be judged twice.
    if let Some(existing) = state.store.punch_by_client_id(company, request.client_id).await? {
        return same_or_conflict(existing, &request, said);
    }

    check_device_time(device_time, received_at)?;
    let position = request.position.map(GeoPoint::validate).transpose()?;
    let employee = known_employee(state, device, request.employee_id, "employee_id").await?;
    if let Some(foreman) = request.clock_for_by {
        check_clock_for(state, device, foreman, &employee).await?;
    }
    let (job, cost_code) = check_job(state, company, request.job_id, request.cost_code_id).await?;
    let role = state.store.role(company, employee.role_id).await?;
    let context = PhotoContext {
        role_face_front: role.abilities.face_front,
        clock_for: request.clock_for_by.is_some(),
        has_front_camera: device.has_front_camera,
        settings_stale: request.settings_version < role.face_front_version.max(employee.role_version),
        on_break: request.on_break,
    };
    // The cheap checks only (format, size, dimensions, a whole file): a photo that passes them but
    // does not decode is stored with its punch, and its verdict says it could not be read.
    let checked = photo.map(|bytes| check_photo(bytes, state.settings.photo_limits)).transpose()?;
    let no_photo_reason = match decide_photo(context, checked.is_some(), request.stated_reason)? {
        PhotoOutcome::WithPhoto => None,
        PhotoOutcome::WithoutPhoto(reason) => Some(reason),
    };
    let checked_burst = match (burst, &burst_said) {
        (Some(bytes), Some(said)) if checked.is_some() => Some(check_burst(bytes, said, state.settings.photo_limits)?),
        _ => None,
    };
    let photo_record = match (&checked, &photo_sha256) {
        (Some(photo), Some(sha256)) => Some(store_photo(state, device, photo, sha256, body.photo_rotation, received_at).await?),
        _ => None,
    };
    // A burst is stored as a photo of its own, before the punch that points at it (like the
    // photo's bytes): a burst whose punch then fails is an unreferenced photo, destroyed on the
    // retention schedule like any other.
    let burst_kept = match (&checked_burst, &burst_said, &photo_record) {
        (Some(image), Some(said), Some(_)) => {
            let record = store_photo(state, device, image, &said.sha256, Some(Rotation::R0), received_at).await?;
            state.store.add_photo(&record).await?;
            Some(said.clone())
        }
        _ => None,
    };
    // What the server cannot vouch for is flagged, never refused: an offline device may carry it.
    let occurred_at = to_micros(device_time.with_timezone(&Utc));
    let previous = state.store.punch_before(company, employee.id, occurred_at).await?.map(|p| p.kind);
    let mut flags = vouch(Circumstances {
        occurred_at,
        kind: request.kind,
        employee_active: employee.active,
        previous,
        device_registered_at: device.registered_at,
        device_last_sync_at: device.last_sync_at,
        signature: clockface_app::signing::check(device.signing_key.as_deref(), &signed, body.signature.as_deref()),
    });
    // A position outside the job's fence is flagged with its distance (domain::job), never refused.
    let fence = job.as_ref().and_then(|job| Some((job, job.geofence?.check(position?))));
    if let (Some((job, check)), Some(position)) = (fence, position) {
        if check.is_outside() {
            flags.push(fence_flag_detail(&format!("{} {}", job.number.as_str(), job.name), check, position.accuracy_m));
        }
    }
    if let (Some(job), Some(code)) = (&job, &cost_code) {
        flags.extend(cost_code_flag(job, code));
    }
    if let Some(sealed) = &body.sealed_pin {
        // The PIN is of whoever signed in: the foreman for a Clock For punch.
        let signed_in = match request.clock_for_by {
            Some(foreman) => state.store.employee(company, foreman).await?,
            None => employee.clone(),
        };
        flags.extend(judge_sealed_pin(state, device, &signed_in, sealed, &request.client_id.to_string()).await?);
    }
    let punch = Punch {
        id: PunchId::new(),
        company_id: company,
        client_id: request.client_id,
        employee_id: employee.id,
        device_id: device.id,
        kind: request.kind,
        occurred_at,
        utc_offset_minutes: offset_minutes(&device_time),
        received_at,
        clock_for_by: request.clock_for_by,
        photo_sha256: photo_record.as_ref().map(|p| p.sha256.clone()),
        no_photo_reason,
        flagged: no_photo_reason.is_some_and(NoPhotoReason::is_flagged) || !flags.is_empty(),
        flags,
        position,
        job_id: request.job_id,
        cost_code_id: request.cost_code_id,
        no_position_reason: if position.is_none() { request.no_position_reason } else { None },
        fence_distance_m: fence.map(|(_, check)| check.distance_m),
        on_break: request.on_break,
        settings_version: request.settings_version,
        photo_rotation: body.photo_rotation,
        burst: burst_kept,
        fingerprint,
    };
    match state.punches.insert(punch.clone(), photo_record).await? {
        PunchInsert::Created(punch) => {
            if punch.photo_sha256.is_some() {
                state.jobs.notify_one();
            }
            tracing::info!(punch = %punch.id, employee = %punch.employee_id, kind = punch.kind.as_str(), "punch recorded");
            Ok(Recorded { punch, created: true })
        }
        // Another request with the same client id won the race.
        PunchInsert::Existing(existing) => same_or_conflict(existing, &request, said),
    }
}

/// The burst a punch describes, checked against the image that came with it: both or neither,
/// and only with a photo (the burst is judged with the photo).
fn described_burst(body: Option<BurstBody>, image: Option<&[u8]>, with_photo: bool) -> Result<Option<Burst>, ApiError> {
    match (body, image) {
        (None, None) => Ok(None),
        (Some(_), None) => {
            Err(ApiError::unprocessable("missing_part", "`burst` describes a head-turn burst but no `burst` image came with it")
                .with_field("burst"))
        }
        (None, Some(_)) => {
            Err(ApiError::unprocessable("invalid", "a `burst` image came without `burst` saying the prompt and the frames")
                .with_field("burst"))
        }
        (Some(_), Some(_)) if !with_photo => {
            Err(ApiError::unprocessable("invalid", "a burst comes with the punch's photo; send the `photo` part too").with_field("burst"))
        }
        (Some(said), Some(image)) => Ok(Some(Burst::new(clockface_store::blobs::sha256_hex(image), said.prompt, said.frames)?)),
    }
}

/// The cheap checks of a burst image (those of a photo), and that it divides into its frames.
pub(crate) fn check_burst(bytes: Bytes, burst: &Burst, limits: crate::photo::PhotoLimits) -> Result<CheckedPhoto, ApiError> {
    let checked = check_photo(bytes, limits).map_err(|e| ApiError::from(e).with_field("burst"))?;
    if !checked.width.is_multiple_of(burst.columns()) || !checked.height.is_multiple_of(burst.rows()) {
        return Err(ApiError::unprocessable(
            "invalid",
            format!(
                "a burst of {} frames, four to a row, must divide into equal frames; a {}x{} image does not",
                burst.frames, checked.width, checked.height
            ),
        )
        .with_field("burst"));
    }
    Ok(checked)
}

/// The job and cost code must be the company's (an inactive one is accepted: the device may
/// have synced before it was deactivated, and a time record is never lost to that).
async fn check_job(
    state: &AppState,
    company: CompanyId,
    job: Option<JobId>,
    code: Option<CostCodeId>,
) -> Result<(Option<Job>, Option<CostCode>), ApiError> {
    let unknown = |code: &'static str, field: &'static str, what: &'static str| {
        move |error| match error {
            StoreError::NotFound => ApiError::unprocessable(code, format!("the {what} is not one of this company's")).with_field(field),
            other => other.into(),
        }
    };
    let job = match job {
        Some(job) => Some(state.store.job(company, job).await.map_err(unknown("unknown_job", "job_id", "job"))?),
        None => None,
    };
    let code = match code {
        Some(code) => {
            Some(state.store.cost_code(company, code).await.map_err(unknown("unknown_cost_code", "cost_code_id", "cost code"))?)
        }
        None => None,
    };
    Ok((job, code))
}

/// A resend: the stored punch when it says the same, else a 409 naming what differs (also in
/// `details.differs`).
fn same_or_conflict(existing: Punch, request: &PunchRequest, said: ResendSaid) -> Result<Recorded, ApiError> {
    let differs = resend_differences(&existing, request, said);
    if differs.is_empty() {
        Ok(Recorded { punch: existing, created: false })
    } else {
        Err(ApiError::conflict(
            "client_id_conflict",
            format!(
                "a different punch was already stored under this client_id ({} differ); a resend must carry exactly the same punch",
                differs.join(", ")
            ),
        )
        .with_field("client_id")
        .with_details(serde_json::json!({ "differs": differs })))
    }
}

async fn known_employee(state: &AppState, device: &Device, id: EmployeeId, field: &'static str) -> Result<Employee, ApiError> {
    state.store.employee(device.company_id, id).await.map_err(|error| match error {
        StoreError::NotFound => {
            ApiError::unprocessable("unknown_employee", format!("{field} is not an employee of this company")).with_field(field)
        }
        other => other.into(),
    })
}

/// A foreman may clock a crew member when their role has Clock For and the member is in their crew.
async fn check_clock_for(state: &AppState, device: &Device, foreman_id: EmployeeId, employee: &Employee) -> Result<(), ApiError> {
    let foreman = known_employee(state, device, foreman_id, "clock_for_by").await?;
    let role = state.store.role(device.company_id, foreman.role_id).await?;
    if !role.abilities.clock_for {
        return Err(ApiError::forbidden("clock_for_not_allowed", format!("{}'s role does not have Clock For", foreman.name.as_str()))
            .with_field("clock_for_by"));
    }
    let crew = state.store.crew(device.company_id, foreman.id).await?;
    if !crew.contains(&employee.id) {
        return Err(ApiError::forbidden("not_in_crew", format!("{} is not in {}'s crew", employee.name.as_str(), foreman.name.as_str()))
            .with_field("employee_id"));
    }
    Ok(())
}

/// Writes the photo's bytes to the blob store (before the punch's row, so that a stored punch
/// never points at missing bytes; bytes whose punch then fails are unreferenced and harmless).
async fn store_photo(
    state: &AppState,
    device: &Device,
    photo: &CheckedPhoto,
    sha256: &str,
    rotation: Option<Rotation>,
    now: DateTime<Utc>,
) -> Result<PhotoRecord, ApiError> {
    state.blobs.put_hashed(device.company_id, sha256, photo.bytes.clone()).await?;
    Ok(PhotoRecord {
        company_id: device.company_id,
        sha256: sha256.to_owned(),
        content_type: photo.content_type.to_owned(),
        byte_size: i64::try_from(photo.bytes.len()).unwrap_or(i64::MAX),
        width: i64::from(photo.width),
        height: i64::from(photo.height),
        display_rotation: rotation.unwrap_or(device.photo_rotation),
        created_at: now,
    })
}
