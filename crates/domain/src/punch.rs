//! Punches (one clock in or clock out) and the FaceFront rule.

use crate::ids::{CompanyId, CostCodeId, DeviceId, EmployeeId, JobId, PunchId};
use crate::DomainError;
use chrono::{DateTime, Datelike, Duration, FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Clock in or clock out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PunchKind {
    In,
    Out,
}

impl PunchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PunchKind::In => "in",
            PunchKind::Out => "out",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "in" => Ok(PunchKind::In),
            "out" => Ok(PunchKind::Out),
            _ => Err(DomainError::invalid("kind", "must be `in` or `out`")),
        }
    }
}

/// Why a punch has no FaceFront photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoPhotoReason {
    /// A foreman clocked this employee with Clock For: no photo is asked.
    ClockFor,
    /// The device has no front camera.
    NoFrontCamera,
    /// The employee's role does not have FaceFront.
    RoleWithoutFaceFront,
    /// FaceFront was required but the camera permission was refused on the device.
    CameraDenied,
    /// FaceFront was turned on (or the employee moved to a FaceFront role) after the device last synced.
    SyncedTooLate,
    /// A Start break or End break: the photo is asked at Clock In and Clock Out, not for breaks.
    Break,
}

impl NoPhotoReason {
    pub const ALL: [NoPhotoReason; 6] = [
        NoPhotoReason::ClockFor,
        NoPhotoReason::NoFrontCamera,
        NoPhotoReason::RoleWithoutFaceFront,
        NoPhotoReason::CameraDenied,
        NoPhotoReason::SyncedTooLate,
        NoPhotoReason::Break,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoPhotoReason::ClockFor => "clock_for",
            NoPhotoReason::NoFrontCamera => "no_front_camera",
            NoPhotoReason::RoleWithoutFaceFront => "role_without_face_front",
            NoPhotoReason::CameraDenied => "camera_denied",
            NoPhotoReason::SyncedTooLate => "synced_too_late",
            NoPhotoReason::Break => "break",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == raw).ok_or_else(|| {
            DomainError::invalid(
                "no_photo_reason",
                format!("`{raw}` is not one of clock_for, no_front_camera, role_without_face_front, camera_denied, synced_too_late, break"),
            )
        })
    }

    /// A photo was required and is missing: the punch is kept, and flagged for an admin to review.
    pub fn is_flagged(self) -> bool {
        matches!(self, NoPhotoReason::CameraDenied | NoPhotoReason::SyncedTooLate)
    }

    /// What an admin reads on the time card.
    pub fn describe(self) -> &'static str {
        match self {
            NoPhotoReason::ClockFor => "Clocked by a foreman (Clock For)",
            NoPhotoReason::NoFrontCamera => "Device has no front camera",
            NoPhotoReason::RoleWithoutFaceFront => "Role without FaceFront",
            NoPhotoReason::CameraDenied => "Camera permission refused on the device",
            NoPhotoReason::SyncedTooLate => "Device had not synced the FaceFront change yet",
            NoPhotoReason::Break => "Break punch (no photo asked)",
        }
    }
}

/// What the server knows, when a punch arrives, that decides whether it needs a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoContext {
    /// The employee's current role has FaceFront.
    pub role_face_front: bool,
    /// A foreman recorded this punch with Clock For.
    pub clock_for: bool,
    /// The device registered with a front camera.
    pub has_front_camera: bool,
    /// The settings the device had when it made the punch are older than the last change to
    /// the employee's FaceFront requirement (the role's FaceFront flag or the employee's role).
    pub settings_stale: bool,
    /// A Start break or End break.
    pub on_break: bool,
}

/// The decision for one punch: it carries a photo, or it is stored with the reason it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoOutcome {
    WithPhoto,
    WithoutPhoto(NoPhotoReason),
}

/// The FaceFront rule, in one place.
///
/// A photo is required only for a punch the employee makes themself, when their role has
/// FaceFront and the device has a front camera, and not for a break's start or end. A required photo that is missing is **accepted
/// and flagged** when the device states the camera permission was refused, or when the server
/// sees the device had not synced the change that made the photo required: a time record is
/// never lost. Missing with neither reason is [`DomainError::PhotoRequired`].
///
/// A photo that comes with a punch that did not need one is kept (a foreman's crew photo, say).
pub fn decide_photo(context: PhotoContext, has_photo: bool, stated_reason: Option<NoPhotoReason>) -> Result<PhotoOutcome, DomainError> {
    if has_photo {
        return Ok(PhotoOutcome::WithPhoto);
    }
    let not_required = if context.clock_for {
        Some(NoPhotoReason::ClockFor)
    } else if context.on_break {
        Some(NoPhotoReason::Break)
    } else if !context.role_face_front {
        Some(NoPhotoReason::RoleWithoutFaceFront)
    } else if !context.has_front_camera {
        Some(NoPhotoReason::NoFrontCamera)
    } else {
        None
    };
    if let Some(reason) = not_required {
        return Ok(PhotoOutcome::WithoutPhoto(reason));
    }
    if context.settings_stale {
        Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::SyncedTooLate))
    } else if stated_reason == Some(NoPhotoReason::CameraDenied) {
        Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::CameraDenied))
    } else {
        Err(DomainError::PhotoRequired)
    }
}

/// A position the device attached to a punch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    /// Accuracy radius in metres, as the device reported it.
    pub accuracy_m: Option<f64>,
}

impl GeoPoint {
    pub fn validate(self) -> Result<Self, DomainError> {
        let in_range = (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
            && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
        if in_range {
            Ok(self)
        } else {
            Err(DomainError::invalid("position", "latitude must be within ±90, longitude within ±180, accuracy at least 0"))
        }
    }
}

/// Why a punch whose role records GPS has no position: the device says so, and the punch is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoPositionReason {
    /// The location permission was refused.
    PermissionDenied,
    /// No fix within the few seconds the clock waits.
    Timeout,
    /// The device has no position to give (no GPS, location off).
    Unavailable,
}

impl NoPositionReason {
    pub const ALL: [NoPositionReason; 3] = [NoPositionReason::PermissionDenied, NoPositionReason::Timeout, NoPositionReason::Unavailable];

    pub fn as_str(self) -> &'static str {
        match self {
            NoPositionReason::PermissionDenied => "permission_denied",
            NoPositionReason::Timeout => "timeout",
            NoPositionReason::Unavailable => "unavailable",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("no_position_reason", "must be permission_denied, timeout or unavailable"))
    }

    /// What an admin reads on the time card.
    pub fn describe(self) -> &'static str {
        match self {
            NoPositionReason::PermissionDenied => "No position: location permission refused",
            NoPositionReason::Timeout => "No position: no GPS fix in time",
            NoPositionReason::Unavailable => "No position: location unavailable on the device",
        }
    }
}

/// The flag for a punch outside its job's fence, with the distance in words.
pub fn fence_flag_detail(job: &str, check: crate::job::FenceCheck, accuracy_m: Option<f64>) -> PunchFlag {
    let accuracy = accuracy_m.map(|a| format!(", accuracy ±{} m", a.round())).unwrap_or_default();
    PunchFlag {
        flag: Flag::OutsideGeofence,
        detail: format!(
            "Made {} m outside the geofence of {job} ({} m from its centre{accuracy}).",
            check.outside_by_m.round(),
            check.distance_m.round()
        ),
    }
}

/// The flag of a punch whose cost code is not for its job, or `None` when it is (an inactive
/// code or job still counts as the one the device showed: only which jobs a code is for matters).
pub fn cost_code_flag(job: &crate::job::Job, code: &crate::job::CostCode) -> Option<PunchFlag> {
    if code.all_jobs || code.job_ids.contains(&job.id) {
        return None;
    }
    Some(PunchFlag {
        flag: Flag::CostCodeNotForJob,
        detail: format!("Cost code {} {} is not one for job {} {}.", code.number.as_str(), code.name, job.number.as_str(), job.name),
    })
}

/// How far ahead of the server's clock a device's clock may be before its punch is refused.
pub const MAX_CLOCK_AHEAD: Duration = Duration::hours(24);

/// Checks the time the device says the punch was made. Any past time is accepted (a device may
/// have been offline for weeks); a time far in the future means the device's date is wrong.
pub fn check_device_time(device_time: DateTime<FixedOffset>, received_at: DateTime<Utc>) -> Result<(), DomainError> {
    let ahead = device_time.with_timezone(&Utc) - received_at;
    if ahead > MAX_CLOCK_AHEAD {
        return Err(DomainError::invalid(
            "device_time",
            format!("is {} hours ahead of the server's clock; check the device's date and time", ahead.num_hours()),
        ));
    }
    if device_time.year_ce().1 < 2000 {
        return Err(DomainError::invalid("device_time", "is before the year 2000; check the device's date and time"));
    }
    Ok(())
}

/// A punch as a device describes it, already parsed. The same description sent twice under the
/// same `client_id` is one punch; a different one under the same id is a conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct PunchRequest {
    pub client_id: Uuid,
    pub employee_id: EmployeeId,
    pub kind: PunchKind,
    /// The device's local time with its UTC offset, as the device's clock read when the punch was made.
    pub device_time: DateTime<FixedOffset>,
    /// The foreman who recorded it with Clock For, if not the employee themself.
    pub clock_for_by: Option<EmployeeId>,
    pub photo_sha256: Option<String>,
    pub stated_reason: Option<NoPhotoReason>,
    /// The company settings version the device had when it made the punch.
    pub settings_version: i64,
    pub position: Option<GeoPoint>,
    /// The job picked at Clock In, and the cost code.
    pub job_id: Option<JobId>,
    pub cost_code_id: Option<CostCodeId>,
    /// Why there is no position, when the role records GPS and none could be had.
    pub no_position_reason: Option<NoPositionReason>,
    /// A clock-out that starts a break, or a clock-in that ends one.
    pub on_break: bool,
    /// The burst taken for the active liveness check.
    pub burst: Option<Burst>,
}

impl PunchRequest {
    /// A digest of everything the device said about the punch: equal digests under one
    /// `client_id` are a resend, different ones a conflict.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        let fields = [
            self.employee_id.to_string(),
            self.kind.as_str().to_owned(),
            self.device_time.to_rfc3339(),
            self.clock_for_by.map(|id| id.to_string()).unwrap_or_default(),
            self.photo_sha256.clone().unwrap_or_default(),
            self.stated_reason.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            self.position.map(|p| format!("{}/{}/{:?}", p.latitude, p.longitude, p.accuracy_m)).unwrap_or_default(),
        ];
        // The job and cost code are added only when there are some, so a punch of a clock from
        // before jobs keeps its fingerprint (and its resend is still a resend).
        let job = (self.job_id.is_some() || self.cost_code_id.is_some()).then(|| {
            [self.job_id.map(|id| id.to_string()).unwrap_or_default(), self.cost_code_id.map(|id| id.to_string()).unwrap_or_default()]
        });
        let no_position = self.no_position_reason.map(|r| r.as_str().to_owned());
        // Likewise a break mark only when it is one.
        let on_break = self.on_break.then(|| "on_break".to_owned());
        // And a burst only when there is one.
        let burst = self.burst.as_ref().map(|b| format!("burst:{}:{}:{}", b.sha256, b.prompt.as_str(), b.frames));
        for field in fields.iter().chain(job.iter().flatten()).chain(no_position.iter()).chain(on_break.iter()).chain(burst.iter()) {
            hasher.update(field.as_bytes());
            hasher.update([0u8]);
        }
        hex::encode(hasher.finalize())
    }
}

/// Something the server could not vouch for when a punch arrived. The punch is stored anyway
/// (never dropped: a device that was offline for a week may carry it) and marked, for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The employee was inactive when the punch arrived.
    InactiveEmployee,
    /// A clock-out with no clock-in before it.
    OutWithoutIn,
    /// Made more than a day before the device was registered.
    BeforeRegistration,
    /// Made more than a day before the device's last sync, yet not sent at it.
    OlderThanLastSync,
    /// From a device that signs its punches, without a signature.
    MissingSignature,
    /// Its signature does not match its content (altered after signing, or a signature replayed
    /// from another punch).
    BadSignature,
    /// Made outside its job's geofence (flagged, never refused).
    OutsideGeofence,
    /// Its cost code is not one for its job (a device that synced before the code was changed).
    CostCodeNotForJob,
    /// Made in a sign-in done offline whose PIN, checked when the punch arrived, was not the
    /// employee's.
    PinMismatch,
    /// Made in a sign-in done offline whose PIN could not be checked when it arrived: PIN sign-in
    /// was locked by wrong guesses, or the sealed PIN did not open.
    PinNotChecked,
}

impl Flag {
    /// A few words for the time card and the review queue.
    pub fn label(self) -> &'static str {
        match self {
            Flag::InactiveEmployee => "Inactive employee",
            Flag::OutWithoutIn => "No clock-in before it",
            Flag::BeforeRegistration => "Before the device was set up",
            Flag::OlderThanLastSync => "Sent late",
            Flag::MissingSignature => "Not signed by the device",
            Flag::BadSignature => "Signature does not match",
            Flag::OutsideGeofence => "Outside the job's geofence",
            Flag::CostCodeNotForJob => "Cost code not for this job",
            Flag::PinMismatch => "PIN did not match",
            Flag::PinNotChecked => "PIN not checked",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::InactiveEmployee => "inactive_employee",
            Flag::OutWithoutIn => "out_without_in",
            Flag::BeforeRegistration => "before_registration",
            Flag::OlderThanLastSync => "older_than_last_sync",
            Flag::MissingSignature => "missing_signature",
            Flag::BadSignature => "bad_signature",
            Flag::OutsideGeofence => "outside_geofence",
            Flag::CostCodeNotForJob => "cost_code_not_for_job",
            Flag::PinMismatch => "pin_mismatch",
            Flag::PinNotChecked => "pin_not_checked",
        }
    }
}

/// A flag with what a reviewer needs to know of it, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PunchFlag {
    pub flag: Flag,
    pub detail: String,
}

/// What the server knows around a punch as it arrives, to vouch for it.
#[derive(Debug, Clone, Copy)]
pub struct Circumstances {
    pub occurred_at: DateTime<Utc>,
    pub kind: PunchKind,
    pub employee_active: bool,
    /// The employee's punch before this one in time, if any.
    pub previous: Option<PunchKind>,
    pub device_registered_at: DateTime<Utc>,
    pub device_last_sync_at: Option<DateTime<Utc>>,
    /// What the device's signature on the punch showed.
    pub signature: SignatureCheck,
}

/// A punch's device signature, checked against the device's registered public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The device registered no key (an older clock, or an API client): nothing to check.
    NoKey,
    Valid,
    Missing,
    /// Present but not of this punch's content under the device's key.
    Invalid,
}

/// What a device signs for a punch: every field that says who, what and when, and the photo's
/// SHA-256, one per line after a version tag. Changing any of them, or moving the signature to
/// another punch (another `client_id`), makes the signature fail. A punch with a job or cost
/// code has two more lines, `job:<id>` and `cost_code:<id>` (empty id when absent); one without
/// either signs exactly what clocks from before jobs signed, so their signatures still check.
/// A break punch (Start break, End break) ends with one more line, `on_break`; others do not.
#[allow(clippy::too_many_arguments)]
pub fn signed_content(
    client_id: &Uuid,
    employee_id: &EmployeeId,
    kind: PunchKind,
    device_time: &str,
    clock_for_by: Option<&EmployeeId>,
    photo_sha256: Option<&str>,
    job: (Option<&JobId>, Option<&CostCodeId>),
    on_break: bool,
) -> String {
    let foreman = clock_for_by.map(ToString::to_string).unwrap_or_default();
    let mut content = format!(
        "clockface-punch-v1\n{client_id}\n{employee_id}\n{}\n{device_time}\n{foreman}\n{}",
        kind.as_str(),
        photo_sha256.unwrap_or_default()
    );
    if job != (None, None) {
        let text = |id: Option<String>| id.unwrap_or_default();
        content.push_str(&format!("\njob:{}\ncost_code:{}", text(job.0.map(ToString::to_string)), text(job.1.map(ToString::to_string))));
    }
    if on_break {
        content.push_str("\non_break");
    }
    content
}

/// A device sends what it holds at every sync, so a punch made this much before the device's last
/// sync, and not sent then, is unusual; and one made this much before the device was registered
/// cannot be right. The day's grace covers a device clock that is off by hours (a wrong zone).
pub const FAR_BEFORE: Duration = Duration::hours(24);

/// The flags a punch arrives with (none for an ordinary punch). They never refuse it.
pub fn vouch(c: Circumstances) -> Vec<PunchFlag> {
    let mut flags = Vec::new();
    if !c.employee_active {
        flags.push(PunchFlag { flag: Flag::InactiveEmployee, detail: "The employee was inactive when this punch arrived.".into() });
    }
    if c.kind == PunchKind::Out && c.previous != Some(PunchKind::In) {
        flags.push(PunchFlag { flag: Flag::OutWithoutIn, detail: "A clock-out with no clock-in before it.".into() });
    }
    if c.device_registered_at - c.occurred_at > FAR_BEFORE {
        let detail = format!("Made {} before this device was registered.", span(c.device_registered_at - c.occurred_at));
        flags.push(PunchFlag { flag: Flag::BeforeRegistration, detail });
    } else if let Some(synced) = c.device_last_sync_at.filter(|synced| *synced - c.occurred_at > FAR_BEFORE) {
        let detail = format!("Made {} before this device's last sync, and not sent then.", span(synced - c.occurred_at));
        flags.push(PunchFlag { flag: Flag::OlderThanLastSync, detail });
    }
    match c.signature {
        SignatureCheck::NoKey | SignatureCheck::Valid => {}
        SignatureCheck::Missing => flags.push(PunchFlag {
            flag: Flag::MissingSignature,
            detail: "This device signs its punches, but this one came without a signature.".into(),
        }),
        SignatureCheck::Invalid => flags.push(PunchFlag {
            flag: Flag::BadSignature,
            detail:
                "The device's signature does not match this punch: it was changed after it was made, or the signature is another punch's."
                    .into(),
        }),
    }
    flags
}

/// "3 days", "5 hours", "12 minutes".
fn span(duration: Duration) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if duration.num_days() >= 2 {
        plural(duration.num_days(), "day")
    } else if duration.num_hours() >= 1 {
        plural(duration.num_hours(), "hour")
    } else {
        plural(duration.num_minutes().max(1), "minute")
    }
}

/// The direction a worker was asked to turn their head for the active liveness check, in their
/// own terms (their left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TurnPrompt {
    Left,
    Right,
}

impl TurnPrompt {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnPrompt::Left => "left",
            TurnPrompt::Right => "right",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "left" => Ok(TurnPrompt::Left),
            "right" => Ok(TurnPrompt::Right),
            _ => Err(DomainError::invalid("burst_prompt", "must be `left` or `right`")),
        }
    }
}

/// Frames a burst's image holds in one row (left to right, then the next row).
pub const BURST_COLUMNS: u32 = 4;
/// The fewest and the most frames a burst may hold (about two seconds at four frames a second).
pub const BURST_FRAMES: std::ops::RangeInclusive<u8> = 2..=12;

/// The burst of frames a punch carried for the active liveness check: the worker was asked to
/// turn their head (`prompt`) and the clock took `frames` frames meanwhile, sent as one image
/// with the frames tiled [`BURST_COLUMNS`] to a row (stored like a photo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Burst {
    /// SHA-256 of the image holding the frames.
    pub sha256: String,
    pub prompt: TurnPrompt,
    pub frames: u8,
}

impl Burst {
    /// Checks a burst's description as a device sent it.
    pub fn new(sha256: String, prompt: TurnPrompt, frames: u8) -> Result<Self, DomainError> {
        if !BURST_FRAMES.contains(&frames) {
            return Err(DomainError::invalid(
                "burst_frames",
                format!("must be from {} to {} frames", BURST_FRAMES.start(), BURST_FRAMES.end()),
            ));
        }
        Ok(Burst { sha256, prompt, frames })
    }

    /// The rows of frames its image holds.
    pub fn rows(&self) -> u32 {
        u32::from(self.frames).div_ceil(BURST_COLUMNS)
    }

    /// The columns of frames its image holds.
    pub fn columns(&self) -> u32 {
        u32::from(self.frames).min(BURST_COLUMNS)
    }

    /// What a device's signature covers of it, after [`signed_content`]: a line
    /// `burst:<sha256>:<prompt>:<frames>`.
    pub fn signed_line(&self) -> String {
        format!("\nburst:{}:{}:{}", self.sha256, self.prompt.as_str(), self.frames)
    }
}

/// A stored punch.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Punch {
    pub id: PunchId,
    #[serde(skip)]
    pub company_id: CompanyId,
    /// The id the device gave it; resending under this id never makes a second punch.
    pub client_id: Uuid,
    pub employee_id: EmployeeId,
    pub device_id: DeviceId,
    pub kind: PunchKind,
    /// When it was made, by the device's clock.
    pub occurred_at: DateTime<Utc>,
    /// The device's UTC offset then, in minutes (e.g. -300 for UTC-5).
    pub utc_offset_minutes: i32,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// The foreman who recorded it with Clock For; absent for a punch the employee made themself.
    pub clock_for_by: Option<EmployeeId>,
    /// SHA-256 of its FaceFront photo, if it has one.
    pub photo_sha256: Option<String>,
    /// Why it has no photo, if it has none.
    pub no_photo_reason: Option<NoPhotoReason>,
    /// An admin should look at it: a required photo is missing, or it has `flags`.
    pub flagged: bool,
    /// What the server could not vouch for when it arrived.
    pub flags: Vec<PunchFlag>,
    pub position: Option<GeoPoint>,
    /// The job picked at its clock-in (or Change job), as the device sent it. The mobile clock
    /// sends none with a clock-out or a break: a shift's job is its clock-in's (the time card,
    /// job costing and the sign-in's `shift_job` read it there), and a punch is kept as it came.
    pub job_id: Option<JobId>,
    pub cost_code_id: Option<CostCodeId>,
    /// Why it has no position, when its role records GPS.
    pub no_position_reason: Option<NoPositionReason>,
    /// How far it was from its job's fence centre, in metres, when both are known.
    pub fence_distance_m: Option<f64>,
    /// A clock-out that starts a break (Start break), or a clock-in that ends one (End break).
    pub on_break: bool,
    pub settings_version: i64,
    /// The photo rotation the device sent with it (degrees), if it sent one: what a resend must
    /// say again. (The photo's display rotation, which an admin may change, is the photo's.)
    #[serde(skip)]
    pub photo_rotation: Option<crate::device::Rotation>,
    /// The burst of frames taken for the active liveness check, when the clock asked for a head turn.
    pub burst: Option<Burst>,
    #[serde(skip)]
    pub fingerprint: String,
}

/// What a resend under a stored punch's `client_id` said beyond [`PunchRequest`]'s fields, when it said it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResendSaid {
    pub settings_version: Option<i64>,
    pub photo_rotation: Option<crate::device::Rotation>,
}

/// The fields in which a resend under a stored punch's `client_id` differs from what the first
/// send said (empty: the same punch, answered "already stored"). Compared field by field, so that
/// a conflict can say what differs; the fingerprint covers what is not stored as sent (the
/// stated reason for no photo, a reason for no position given with a position).
pub fn resend_differences(stored: &Punch, resend: &PunchRequest, said: ResendSaid) -> Vec<&'static str> {
    let mut differ = Vec::new();
    let offset = resend.device_time.offset().local_minus_utc() / 60;
    let checks = [
        ("employee_id", stored.employee_id != resend.employee_id),
        ("kind", stored.kind != resend.kind),
        (
            "device_time",
            stored.occurred_at.timestamp_micros() != resend.device_time.timestamp_micros() || stored.utc_offset_minutes != offset,
        ),
        ("clock_for_by", stored.clock_for_by != resend.clock_for_by),
        ("photo", stored.photo_sha256 != resend.photo_sha256),
        ("position", stored.position != resend.position),
        ("job_id", stored.job_id != resend.job_id),
        ("cost_code_id", stored.cost_code_id != resend.cost_code_id),
        ("on_break", stored.on_break != resend.on_break),
        ("burst", stored.burst != resend.burst),
        ("settings_version", said.settings_version.is_some_and(|v| v != stored.settings_version)),
        ("photo_rotation", stored.photo_rotation.is_some() && said.photo_rotation != stored.photo_rotation),
    ];
    differ.extend(checks.iter().filter(|(_, differs)| *differs).map(|(field, _)| *field));
    if differ.is_empty() && stored.fingerprint != resend.fingerprint() {
        differ.push(if resend.stated_reason.is_some() || stored.no_photo_reason.is_some() {
            "no_photo_reason"
        } else {
            "no_position_reason"
        });
    }
    differ
}

impl Punch {
    /// A Start break: a clock-out marked `on_break`. Its employee is on a break until the next punch.
    pub fn starts_break(&self) -> bool {
        self.on_break && self.kind == PunchKind::Out
    }

    /// Still in a shift after this punch: a clock-in (an End break too) or a Start break.
    pub fn leaves_in_shift(&self) -> bool {
        self.kind == PunchKind::In || self.on_break
    }

    /// What the punch was, for people: `Clock in`, `Clock out`, `Start break`, `End break`.
    pub fn label(kind: PunchKind, on_break: bool) -> &'static str {
        match (kind, on_break) {
            (PunchKind::In, false) => "Clock in",
            (PunchKind::Out, false) => "Clock out",
            (PunchKind::In, true) => "End break",
            (PunchKind::Out, true) => "Start break",
        }
    }

    /// The device's local time of the punch.
    pub fn device_local_time(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.utc_offset_minutes * 60).unwrap_or(Utc.fix());
        self.occurred_at.with_timezone(&offset)
    }
}

/// The UTC offset of a device time, in whole minutes.
pub fn offset_minutes(time: &DateTime<FixedOffset>) -> i32 {
    time.offset().local_minus_utc() / 60
}

#[cfg(test)]
mod cost_code_tests {
    use super::*;
    use crate::ids::{CostCodeId, JobId};
    use crate::job::{CostCode, Job, JobNumber};

    fn job(number: &str) -> Job {
        let number = JobNumber::parse(number).unwrap();
        Job {
            id: JobId::new(),
            company_id: CompanyId::new(),
            number,
            name: "Depot".into(),
            address: String::new(),
            geofence: None,
            active: true,
        }
    }

    fn code(all_jobs: bool, job_ids: Vec<JobId>) -> CostCode {
        let number = JobNumber::parse("02").unwrap();
        CostCode { id: CostCodeId::new(), company_id: CompanyId::new(), number, name: "Paving".into(), all_jobs, job_ids, active: false }
    }

    #[test]
    fn a_cost_code_only_for_another_job_is_flagged_and_one_for_all_jobs_is_not() {
        let (depot, quarry) = (job("J-1"), job("J-2"));
        assert_eq!(cost_code_flag(&depot, &code(true, vec![])), None);
        assert_eq!(cost_code_flag(&depot, &code(false, vec![depot.id])), None, "an inactive code still fits its job");
        let flag = cost_code_flag(&depot, &code(false, vec![quarry.id])).unwrap();
        assert_eq!(flag.flag, Flag::CostCodeNotForJob);
        assert_eq!(flag.detail, "Cost code 02 Paving is not one for job J-1 Depot.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(kind: PunchKind, previous: Option<PunchKind>) -> Circumstances {
        let now = Utc::now();
        Circumstances {
            occurred_at: now - Duration::hours(1),
            kind,
            employee_active: true,
            previous,
            device_registered_at: now - Duration::days(30),
            device_last_sync_at: Some(now),
            signature: SignatureCheck::Valid,
        }
    }

    #[test]
    fn a_missing_or_wrong_signature_is_flagged_and_none_expected_is_not() {
        let flags =
            |signature| vouch(Circumstances { signature, ..around(PunchKind::In, None) }).into_iter().map(|f| f.flag).collect::<Vec<_>>();
        assert_eq!(flags(SignatureCheck::NoKey), []);
        assert_eq!(flags(SignatureCheck::Valid), []);
        assert_eq!(flags(SignatureCheck::Missing), [Flag::MissingSignature]);
        assert_eq!(flags(SignatureCheck::Invalid), [Flag::BadSignature]);
    }

    #[test]
    fn the_signed_content_changes_with_every_field() {
        let (client, employee) = (Uuid::new_v4(), EmployeeId::new());
        let base =
            signed_content(&client, &employee, PunchKind::In, "2026-12-01T07:00:00.000-06:00", None, Some("ab"), (None, None), false);
        assert_ne!(
            base,
            signed_content(
                &Uuid::new_v4(),
                &employee,
                PunchKind::In,
                "2026-12-01T07:00:00.000-06:00",
                None,
                Some("ab"),
                (None, None),
                false
            )
        );
        assert_ne!(
            base,
            signed_content(&client, &employee, PunchKind::Out, "2026-12-01T07:00:00.000-06:00", None, Some("ab"), (None, None), false)
        );
        assert_ne!(
            base,
            signed_content(&client, &employee, PunchKind::In, "2026-12-01T07:00:01.000-06:00", None, Some("ab"), (None, None), false)
        );
        assert_ne!(
            base,
            signed_content(&client, &employee, PunchKind::In, "2026-12-01T07:00:00.000-06:00", None, Some("cd"), (None, None), false)
        );
        assert!(base.starts_with("clockface-punch-v1\n"));
        // A punch with no job signs exactly the seven lines clocks from before jobs signed.
        assert_eq!(base, format!("clockface-punch-v1\n{client}\n{employee}\nin\n2026-12-01T07:00:00.000-06:00\n\nab"));
        let (job, code) = (JobId::new(), CostCodeId::new());
        let with_job =
            signed_content(&client, &employee, PunchKind::In, "2026-12-01T07:00:00.000-06:00", None, Some("ab"), (Some(&job), None), false);
        assert_eq!(with_job, format!("{base}\njob:{job}\ncost_code:"));
        let with_code = signed_content(
            &client,
            &employee,
            PunchKind::In,
            "2026-12-01T07:00:00.000-06:00",
            None,
            Some("ab"),
            (Some(&job), Some(&code)),
            false,
        );
        assert_ne!(with_job, with_code);
        // A break punch says so on a line of its own, after any job; others sign as before.
        let on_break =
            signed_content(&client, &employee, PunchKind::Out, "2026-12-01T07:00:00.000-06:00", None, Some("ab"), (Some(&job), None), true);
        assert!(on_break.ends_with(&format!("\njob:{job}\ncost_code:\non_break")));
        let plain_break =
            signed_content(&client, &employee, PunchKind::Out, "2026-12-01T07:00:00.000-06:00", None, None, (None, None), true);
        assert!(plain_break.ends_with("\n\non_break"));
    }

    #[test]
    fn a_break_punch_keeps_its_employee_in_the_shift() {
        assert_eq!(Punch::label(PunchKind::Out, true), "Start break");
        assert_eq!(Punch::label(PunchKind::In, true), "End break");
        assert_eq!(Punch::label(PunchKind::Out, false), "Clock out");
    }

    #[test]
    fn an_ordinary_punch_has_no_flags() {
        assert!(vouch(around(PunchKind::In, None)).is_empty());
        assert!(vouch(around(PunchKind::In, Some(PunchKind::Out))).is_empty());
        assert!(vouch(around(PunchKind::Out, Some(PunchKind::In))).is_empty());
    }

    #[test]
    fn what_the_server_cannot_vouch_for_is_flagged_with_words() {
        let flags = |c| vouch(c).into_iter().map(|f: PunchFlag| f.flag).collect::<Vec<_>>();
        assert_eq!(flags(around(PunchKind::Out, None)), [Flag::OutWithoutIn]);
        assert_eq!(flags(around(PunchKind::Out, Some(PunchKind::Out))), [Flag::OutWithoutIn]);
        assert_eq!(flags(Circumstances { employee_active: false, ..around(PunchKind::In, None) }), [Flag::InactiveEmployee]);
        let base = around(PunchKind::In, None);
        let year_2000 = Circumstances { occurred_at: base.device_registered_at - Duration::days(9000), ..base };
        let flagged = vouch(year_2000);
        assert_eq!(flagged[0].flag, Flag::BeforeRegistration);
        assert_eq!(flagged[0].detail, "Made 9000 days before this device was registered.");
        let stale = Circumstances { occurred_at: base.device_last_sync_at.unwrap() - Duration::days(3), ..base };
        assert_eq!(vouch(stale)[0].detail, "Made 3 days before this device's last sync, and not sent then.");
        // A clock a few hours wrong, and an offline device's punch made after its last sync, are ordinary.
        assert!(vouch(Circumstances { occurred_at: base.device_registered_at - Duration::hours(5), device_last_sync_at: None, ..base })
            .is_empty());
        let offline = Circumstances { device_last_sync_at: Some(base.occurred_at - Duration::days(6)), ..base };
        assert!(vouch(offline).is_empty());
    }

    /// Every combination of role FaceFront x self or Clock For x break or not x front camera x
    /// settings current or stale, with and without a photo and with and without a stated reason.
    #[test]
    fn face_front_matrix() {
        for role_face_front in [false, true] {
            for clock_for in [false, true] {
                for has_front_camera in [false, true] {
                    for (settings_stale, on_break) in [(false, false), (true, false), (false, true), (true, true)] {
                        let context = PhotoContext { role_face_front, clock_for, has_front_camera, settings_stale, on_break };
                        let required = role_face_front && !clock_for && !on_break && has_front_camera;
                        let label = format!("{context:?}");

                        // With a photo, every case is accepted with its photo.
                        assert_eq!(decide_photo(context, true, None), Ok(PhotoOutcome::WithPhoto), "{label}");

                        // Without a photo and no stated reason.
                        let expected = if clock_for {
                            Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::ClockFor))
                        } else if on_break {
                            Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::Break))
                        } else if !role_face_front {
                            Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::RoleWithoutFaceFront))
                        } else if !has_front_camera {
                            Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::NoFrontCamera))
                        } else if settings_stale {
                            Ok(PhotoOutcome::WithoutPhoto(NoPhotoReason::SyncedTooLate))
                        } else {
                            Err(DomainError::PhotoRequired)
                        };
                        assert_eq!(decide_photo(context, false, None), expected, "{label}");

                        // Without a photo because the camera permission was refused.
                        let denied = decide_photo(context, false, Some(NoPhotoReason::CameraDenied));
                        if required {
                            let reason = if settings_stale { NoPhotoReason::SyncedTooLate } else { NoPhotoReason::CameraDenied };
                            assert_eq!(denied, Ok(PhotoOutcome::WithoutPhoto(reason)), "{label}");
                            assert!(reason.is_flagged());
                        } else {
                            assert_eq!(denied, expected, "{label}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_device_cannot_claim_a_stale_sync_the_server_does_not_see() {
        let context =
            PhotoContext { role_face_front: true, clock_for: false, has_front_camera: true, settings_stale: false, on_break: false };
        assert_eq!(decide_photo(context, false, Some(NoPhotoReason::SyncedTooLate)), Err(DomainError::PhotoRequired));
        assert_eq!(decide_photo(context, false, Some(NoPhotoReason::NoFrontCamera)), Err(DomainError::PhotoRequired));
    }

    #[test]
    fn only_missing_required_photos_are_flagged() {
        let flagged: Vec<_> = NoPhotoReason::ALL.into_iter().filter(|r| r.is_flagged()).collect();
        assert_eq!(flagged, vec![NoPhotoReason::CameraDenied, NoPhotoReason::SyncedTooLate]);
    }

    #[test]
    fn reasons_round_trip_through_their_names() {
        for reason in NoPhotoReason::ALL {
            assert_eq!(NoPhotoReason::parse(reason.as_str()), Ok(reason));
        }
        assert!(NoPhotoReason::parse("because").is_err());
    }

    fn request() -> PunchRequest {
        PunchRequest {
            client_id: Uuid::nil(),
            employee_id: EmployeeId(Uuid::nil()),
            kind: PunchKind::In,
            device_time: DateTime::parse_from_rfc3339("2026-11-26T07:00:00-05:00").expect("valid time"),
            clock_for_by: None,
            photo_sha256: None,
            stated_reason: None,
            settings_version: 3,
            position: None,
            job_id: None,
            cost_code_id: None,
            no_position_reason: None,
            on_break: false,
            burst: None,
        }
    }

    #[test]
    fn a_punch_without_a_job_keeps_the_fingerprint_it_had_before_jobs() {
        // The digest of the seven fields alone, as computed before jobs existed.
        let base = request();
        let mut hasher = Sha256::new();
        for field in [
            base.employee_id.to_string(),
            "in".into(),
            base.device_time.to_rfc3339(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ] {
            hasher.update(field.as_bytes());
            hasher.update([0u8]);
        }
        assert_eq!(base.fingerprint(), hex::encode(hasher.finalize()));
        let with_job = PunchRequest { job_id: Some(JobId::new()), ..base.clone() };
        assert_ne!(base.fingerprint(), with_job.fingerprint());
        let with_code = PunchRequest { cost_code_id: Some(CostCodeId::new()), ..with_job.clone() };
        assert_ne!(with_job.fingerprint(), with_code.fingerprint());
    }

    #[test]
    fn the_fingerprint_changes_with_content_but_not_with_settings_version() {
        let base = request();
        let mut later_sync = base.clone();
        later_sync.settings_version = 9;
        assert_eq!(base.fingerprint(), later_sync.fingerprint());
        let mut other_kind = base.clone();
        other_kind.kind = PunchKind::Out;
        assert_ne!(base.fingerprint(), other_kind.fingerprint());
        let mut other_time = base.clone();
        other_time.device_time = DateTime::parse_from_rfc3339("2026-11-26T07:00:01-05:00").expect("valid time");
        assert_ne!(base.fingerprint(), other_time.fingerprint());
        let burst = |prompt| Some(Burst::new("ab".repeat(32), prompt, 8).expect("a valid burst"));
        let with_burst = PunchRequest { burst: burst(TurnPrompt::Left), ..base.clone() };
        assert_ne!(with_burst.fingerprint(), base.fingerprint(), "a burst is part of what was said");
        assert_ne!(with_burst.fingerprint(), PunchRequest { burst: burst(TurnPrompt::Right), ..base.clone() }.fingerprint());
        // A Start break is not the plain clock-out it resembles: resending one as the other conflicts.
        let out = PunchRequest { kind: PunchKind::Out, ..base.clone() };
        let break_start = PunchRequest { on_break: true, ..out.clone() };
        assert_ne!(out.fingerprint(), break_start.fingerprint());
    }

    #[test]
    fn device_times_in_the_past_are_fine_but_not_far_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").expect("valid").with_timezone(&Utc);
        let week_ago = DateTime::parse_from_rfc3339("2026-11-19T07:00:00-05:00").expect("valid");
        assert!(check_device_time(week_ago, now).is_ok());
        let two_days_ahead = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").expect("valid");
        assert!(check_device_time(two_days_ahead, now).is_err());
        let ancient = DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").expect("valid");
        assert!(check_device_time(ancient, now).is_err());
    }

    #[test]
    fn positions_are_range_checked() {
        assert!(GeoPoint { latitude: 41.0, longitude: -87.0, accuracy_m: Some(5.0) }.validate().is_ok());
        assert!(GeoPoint { latitude: 91.0, longitude: 0.0, accuracy_m: None }.validate().is_err());
        assert!(GeoPoint { latitude: 0.0, longitude: 0.0, accuracy_m: Some(f64::NAN) }.validate().is_err());
    }
}
