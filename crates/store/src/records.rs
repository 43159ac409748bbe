//! What goes into and comes out of the store besides the domain's own types, and the rows
//! both backends read (one `FromRow` struct per table, turned into domain values here).

use crate::StoreError;
use chrono::{DateTime, Utc};
use clockface_domain::company::{parse_time_zone, Company, CompanyName, Email};
use clockface_domain::device::{Device, Kiosk, Rotation};
use clockface_domain::employee::{Employee, EmployeeName, EmployeeNumber};
use clockface_domain::ids::{AdminId, CompanyId, CostCodeId, DeviceId, EmployeeId, JobId, PunchId, RoleId};
use clockface_domain::job::{CostCode, Geofence, Job, JobNumber};
use clockface_domain::lockout::Place;
use clockface_domain::punch::{Burst, GeoPoint, NoPhotoReason, NoPositionReason, Punch, PunchKind, TurnPrompt};
use clockface_domain::role::{Abilities, Role, RoleName};
use clockface_domain::user::{UserRole, UserStatus};
use uuid::Uuid;

/// A company to create with its first admin.
#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: CompanyName,
    pub time_zone: chrono_tz::Tz,
    pub admin_email: Email,
    pub admin_password_hash: String,
    pub now: DateTime<Utc>,
    /// New PINs have at least this many digits (4 to 8; 6 unless the company chooses).
    pub min_pin_digits: u8,
}

/// What signing in needs of an admin.
#[derive(Debug, Clone)]
pub struct AdminLogin {
    pub id: AdminId,
    pub company_id: CompanyId,
    pub email: String,
    pub password_hash: String,
    /// The TOTP secret, encrypted (a second factor is required when there is one).
    pub totp_secret: Option<Vec<u8>>,
    /// An admin turned this user's access off.
    pub disabled: bool,
    pub role: UserRole,
}

/// What an admin is told on signing in: the failed attempts on their account since their last
/// sign-in, and when that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInHistory {
    pub failed_since_last: i64,
    pub last_failed_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// A signed-in admin's session. The token itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub admin_id: AdminId,
    pub company_id: CompanyId,
    pub admin_email: String,
    /// The user's role now (read with the session, so a change takes effect at once).
    pub role: UserRole,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A web-app user of a company, as the Users page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: AdminId,
    pub company_id: CompanyId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub invited_by: Option<AdminId>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// When an admin turned their access off.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Whether they have chosen a password (accepted their invitation, or were made by the CLI).
    pub has_password: bool,
    /// When their unused invitation link stops working.
    pub invitation_expires_at: Option<DateTime<Utc>>,
    /// How many employees are assigned to them (supervisors).
    pub assigned: i64,
}

impl User {
    pub fn status(&self, now: DateTime<Utc>) -> UserStatus {
        UserStatus::of(self.has_password, self.disabled_at.is_some(), self.invitation_expires_at, now)
    }

    /// The name to show: the one they gave, else their e-mail address.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            &self.email
        } else {
            &self.name
        }
    }
}

/// A user an admin invites.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: UserRole,
    pub invited_by: AdminId,
    pub now: DateTime<Utc>,
}

/// An invitation link as stored: the SHA-256 of its token and when it stops working.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A PIN as stored: a keyed digest to find the employee by (and keep PINs unique in the
/// company), and an argon2 hash to verify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinSecret {
    pub lookup: String,
    pub hash: String,
    /// How many digits the PIN has (kept, so an admin sees who has a PIN shorter than asked).
    pub digits: i64,
}

/// What to do with an employee's PIN on save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChange {
    Keep,
    Set(PinSecret),
    Clear,
}

/// An employee's editable fields.
#[derive(Debug, Clone)]
pub struct EmployeeFields {
    pub name: EmployeeName,
    pub number: EmployeeNumber,
    pub role_id: RoleId,
    pub active: bool,
    pub pin: PinChange,
}

/// A device registering with a one-time code.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: DeviceId,
    pub name: String,
    pub token_hash: String,
    pub has_front_camera: bool,
}

/// What a device reports when it syncs.
#[derive(Debug, Clone)]
pub struct DeviceSync {
    pub synced_version: i64,
    pub at: DateTime<Utc>,
    pub has_front_camera: Option<bool>,
    pub photo_rotation: Option<Rotation>,
}

/// A stored photo's description; its bytes live in the blob store under its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    pub company_id: CompanyId,
    pub sha256: String,
    pub content_type: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    /// How an admin chose to turn it for display (the bytes stay as they are).
    pub display_rotation: Rotation,
    pub created_at: DateTime<Utc>,
}

/// The result of storing a punch.
#[derive(Debug, Clone, PartialEq)]
pub enum PunchInsert {
    Created(Punch),
    /// A punch with the same client id was already stored; this is it.
    Existing(Punch),
}

/// Where a guess is counted: a place (`domain::lockout::Place`) and which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockScope {
    Employee(EmployeeId),
    Device(DeviceId),
    Company(CompanyId),
    /// An admin account, by its e-mail address (whether or not it exists), lower-cased.
    Account(String),
    /// A client's network address.
    Address(String),
}

impl LockScope {
    pub fn place(&self) -> Place {
        match self {
            LockScope::Employee(_) => Place::Employee,
            LockScope::Device(_) => Place::Device,
            LockScope::Company(_) => Place::Company,
            LockScope::Account(_) => Place::Account,
            LockScope::Address(_) => Place::Address,
        }
    }

    /// Which one of its place: an id, a lower-cased e-mail address, a network address.
    pub fn key(&self) -> String {
        match self {
            LockScope::Employee(id) => id.to_string(),
            LockScope::Device(id) => id.to_string(),
            LockScope::Company(id) => id.to_string(),
            LockScope::Account(email) => email.to_lowercase(),
            LockScope::Address(address) => address.clone(),
        }
    }
}

/// A lock the company's admins are told of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub at: DateTime<Utc>,
    /// The device, the employee or the company's PIN sign-in.
    pub place: Place,
    /// Its id.
    pub subject: String,
    pub locked_until: DateTime<Utc>,
    /// In words: what was locked, where, after what.
    pub detail: String,
}

/// A notice as the admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `device`, `employee` or `company`.
    pub place: String,
    pub subject: String,
    pub locked_until: DateTime<Utc>,
    pub detail: String,
    pub seen_at: Option<DateTime<Utc>>,
}

/// What counting a guess decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Judge it; if wrong, `tries_left` more wrong ones lock `nearest` (0: this one does).
    Judge { tries_left: i64, nearest: Place },
    /// Do not judge it: `place` is locked until `until`. `first` when this guess set the place's
    /// first lock since its count was last forgotten (what the company's admins are told of).
    Locked { place: Place, until: DateTime<Utc>, first: bool },
}

#[derive(sqlx::FromRow)]
pub(crate) struct CompanyRow {
    id: Uuid,
    name: String,
    time_zone: String,
    settings_version: i64,
    min_pin_digits: i64,
}

impl TryFrom<CompanyRow> for Company {
    type Error = StoreError;
    fn try_from(row: CompanyRow) -> Result<Self, StoreError> {
        Ok(Company {
            id: CompanyId(row.id),
            name: CompanyName::parse(&row.name)?,
            time_zone: parse_time_zone(&row.time_zone)?,
            settings_version: row.settings_version,
            min_pin_digits: u8::try_from(row.min_pin_digits).unwrap_or(6),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RoleRow {
    id: Uuid,
    company_id: Uuid,
    name: String,
    face_front: bool,
    clock_for: bool,
    view_own_time_card: bool,
    record_gps: bool,
    face_front_version: i64,
    liveness: String,
    active_check: String,
    liveness_retry: bool,
    ask_time_off: bool,
}

impl TryFrom<RoleRow> for Role {
    type Error = StoreError;
    fn try_from(row: RoleRow) -> Result<Self, StoreError> {
        Ok(Role {
            id: RoleId(row.id),
            company_id: CompanyId(row.company_id),
            name: RoleName::parse(&row.name)?,
            abilities: Abilities {
                face_front: row.face_front,
                clock_for: row.clock_for,
                view_own_time_card: row.view_own_time_card,
                record_gps: row.record_gps,
                liveness: clockface_domain::role::LivenessCheck::from_columns(&row.liveness, &row.active_check)?,
                liveness_retry: row.liveness_retry,
                ask_time_off: row.ask_time_off,
            },
            face_front_version: row.face_front_version,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmployeeRow {
    id: Uuid,
    company_id: Uuid,
    name: String,
    number: String,
    role_id: Uuid,
    role_version: i64,
    active: bool,
    has_pin: bool,
    left_at: Option<DateTime<Utc>>,
}

impl TryFrom<EmployeeRow> for Employee {
    type Error = StoreError;
    fn try_from(row: EmployeeRow) -> Result<Self, StoreError> {
        Ok(Employee {
            id: EmployeeId(row.id),
            company_id: CompanyId(row.company_id),
            name: EmployeeName::parse(&row.name)?,
            number: EmployeeNumber::parse(&row.number)?,
            role_id: RoleId(row.role_id),
            role_version: row.role_version,
            active: row.active,
            has_pin: row.has_pin,
            left_at: row.left_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmployeePinRow {
    #[sqlx(flatten)]
    pub employee: EmployeeRow,
    pub pin_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceRow {
    id: Uuid,
    company_id: Uuid,
    name: String,
    has_front_camera: bool,
    synced_version: i64,
    last_sync_at: Option<DateTime<Utc>>,
    photo_rotation: i64,
    registered_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    signing_key: Option<String>,
    kiosk: bool,
    kiosk_crew_of: Option<Uuid>,
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;
    fn try_from(row: DeviceRow) -> Result<Self, StoreError> {
        Ok(Device {
            id: DeviceId(row.id),
            company_id: CompanyId(row.company_id),
            name: row.name,
            has_front_camera: row.has_front_camera,
            synced_version: row.synced_version,
            last_sync_at: row.last_sync_at,
            photo_rotation: Rotation::try_from(row.photo_rotation)?,
            registered_at: row.registered_at,
            revoked_at: row.revoked_at,
            signing_key: row.signing_key,
            kiosk: row.kiosk.then_some(Kiosk { crew_of: row.kiosk_crew_of.map(EmployeeId) }),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PunchRow {
    id: Uuid,
    company_id: Uuid,
    client_id: Uuid,
    employee_id: Uuid,
    device_id: Uuid,
    kind: String,
    occurred_at: DateTime<Utc>,
    utc_offset_minutes: i32,
    received_at: DateTime<Utc>,
    clock_for_by: Option<Uuid>,
    photo_sha256: Option<String>,
    no_photo_reason: Option<String>,
    flagged: bool,
    flags: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy_m: Option<f64>,
    settings_version: i64,
    fingerprint: String,
    job_id: Option<Uuid>,
    cost_code_id: Option<Uuid>,
    no_position_reason: Option<String>,
    fence_distance_m: Option<f64>,
    on_break: bool,
    photo_rotation: Option<i64>,
    burst_sha256: Option<String>,
    burst_prompt: Option<String>,
    burst_frames: Option<i32>,
}

impl TryFrom<PunchRow> for Punch {
    type Error = StoreError;
    fn try_from(row: PunchRow) -> Result<Self, StoreError> {
        let position = match (row.latitude, row.longitude) {
            (Some(latitude), Some(longitude)) => Some(GeoPoint { latitude, longitude, accuracy_m: row.accuracy_m }),
            _ => None,
        };
        Ok(Punch {
            id: PunchId(row.id),
            company_id: CompanyId(row.company_id),
            client_id: row.client_id,
            employee_id: EmployeeId(row.employee_id),
            device_id: DeviceId(row.device_id),
            kind: PunchKind::parse(&row.kind)?,
            occurred_at: row.occurred_at,
            utc_offset_minutes: row.utc_offset_minutes,
            received_at: row.received_at,
            clock_for_by: row.clock_for_by.map(EmployeeId),
            photo_sha256: row.photo_sha256,
            no_photo_reason: row.no_photo_reason.as_deref().map(NoPhotoReason::parse).transpose()?,
            flagged: row.flagged,
            flags: serde_json::from_str(&row.flags).map_err(|e| StoreError::Corrupt(format!("a punch's flags: {e}")))?,
            position,
            job_id: row.job_id.map(JobId),
            cost_code_id: row.cost_code_id.map(CostCodeId),
            no_position_reason: row.no_position_reason.as_deref().map(NoPositionReason::parse).transpose()?,
            fence_distance_m: row.fence_distance_m,
            on_break: row.on_break,
            settings_version: row.settings_version,
            photo_rotation: row.photo_rotation.map(Rotation::from_degrees).transpose()?,
            burst: match (row.burst_sha256, row.burst_prompt, row.burst_frames) {
                (Some(sha256), Some(prompt), Some(frames)) => Some(Burst::new(
                    sha256,
                    TurnPrompt::parse(&prompt)?,
                    u8::try_from(frames).map_err(|_| StoreError::Corrupt(format!("a burst of {frames} frames")))?,
                )?),
                _ => None,
            },
            fingerprint: row.fingerprint,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PhotoRow {
    company_id: Uuid,
    sha256: String,
    content_type: String,
    byte_size: i64,
    width: i64,
    height: i64,
    display_rotation: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<PhotoRow> for PhotoRecord {
    type Error = StoreError;
    fn try_from(row: PhotoRow) -> Result<Self, StoreError> {
        Ok(PhotoRecord {
            company_id: CompanyId(row.company_id),
            sha256: row.sha256,
            content_type: row.content_type,
            byte_size: row.byte_size,
            width: row.width,
            height: row.height,
            display_rotation: Rotation::try_from(row.display_rotation)?,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub token_hash: String,
    pub admin_id: Uuid,
    pub company_id: Uuid,
    pub admin_email: String,
    pub role: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            token_hash: row.token_hash,
            admin_id: AdminId(row.admin_id),
            company_id: CompanyId(row.company_id),
            admin_email: row.admin_email,
            role: user_role(&row.role)?,
            csrf_token: row.csrf_token,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

fn user_role(raw: &str) -> Result<UserRole, StoreError> {
    UserRole::parse(raw).map_err(|e| StoreError::Corrupt(format!("a user's role: {e}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    company_id: Uuid,
    email: String,
    name: String,
    role: String,
    invited_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    last_sign_in_at: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    has_password: bool,
    invitation_expires_at: Option<DateTime<Utc>>,
    assigned: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: AdminId(row.id),
            company_id: CompanyId(row.company_id),
            email: row.email,
            name: row.name,
            role: user_role(&row.role)?,
            invited_by: row.invited_by.map(AdminId),
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
            disabled_at: row.disabled_at,
            has_password: row.has_password,
            invitation_expires_at: row.invitation_expires_at,
            assigned: row.assigned,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AdminLoginRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub disabled: bool,
    pub role: String,
}

impl TryFrom<AdminLoginRow> for AdminLogin {
    type Error = StoreError;
    fn try_from(row: AdminLoginRow) -> Result<Self, StoreError> {
        Ok(AdminLogin {
            id: AdminId(row.id),
            company_id: CompanyId(row.company_id),
            email: row.email,
            password_hash: row.password_hash,
            totp_secret: row.totp_secret,
            disabled: row.disabled,
            role: user_role(&row.role)?,
        })
    }
}

/// Converts every row of a query's result.
pub(crate) fn convert_all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    company_id: Uuid,
    number: String,
    name: String,
    address: String,
    fence_latitude: Option<f64>,
    fence_longitude: Option<f64>,
    fence_radius_m: Option<f64>,
    active: bool,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        let geofence = match (row.fence_latitude, row.fence_longitude, row.fence_radius_m) {
            (Some(latitude), Some(longitude), Some(radius_m)) => Some(Geofence { latitude, longitude, radius_m }),
            _ => None,
        };
        Ok(Job {
            id: JobId(row.id),
            company_id: CompanyId(row.company_id),
            number: JobNumber::parse(&row.number)?,
            name: row.name,
            address: row.address,
            geofence,
            active: row.active,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CostCodeRow {
    id: Uuid,
    company_id: Uuid,
    number: String,
    name: String,
    all_jobs: bool,
    active: bool,
}

impl TryFrom<CostCodeRow> for CostCode {
    type Error = StoreError;
    fn try_from(row: CostCodeRow) -> Result<Self, StoreError> {
        Ok(CostCode {
            id: CostCodeId(row.id),
            company_id: CompanyId(row.company_id),
            number: JobNumber::parse(&row.number)?,
            name: row.name,
            all_jobs: row.all_jobs,
            job_ids: Vec::new(),
            active: row.active,
        })
    }
}
