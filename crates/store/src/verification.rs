//! What the store keeps for face verification: biometric consent, enrolled templates, the
//! durable queue of photos to verify, verdicts, admins' reviews and the audit log.

use crate::StoreError;
use chrono::{DateTime, Utc};
use clockface_domain::device::Rotation;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId, PunchId};
pub use clockface_domain::verification::ReviewDecision;
use clockface_domain::verification::Verdict;
use uuid::Uuid;

/// An employee's recorded biometric consent: who agreed, when, to which version of the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub employee_id: EmployeeId,
    pub notice_version: String,
    /// The admin who recorded it.
    pub recorded_by: AdminId,
    pub agreed_at: DateTime<Utc>,
}

/// Where an enrolled face came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSource {
    /// A photo an admin uploaded.
    Upload,
    /// A FaceFront photo an admin promoted ("this is them").
    Punch,
    /// The first FaceFront photo of an employee with consent and no enrolment.
    FirstPunch,
}

impl TemplateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateSource::Upload => "upload",
            TemplateSource::Punch => "punch",
            TemplateSource::FirstPunch => "first_punch",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        match raw {
            "upload" => Ok(TemplateSource::Upload),
            "punch" => Ok(TemplateSource::Punch),
            "first_punch" => Ok(TemplateSource::FirstPunch),
            other => Err(StoreError::Corrupt(format!("unknown template source {other}"))),
        }
    }
}

/// One enrolled face: its embedding (little-endian f32s) and the photo it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceTemplate {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub employee_id: EmployeeId,
    pub embedding: Vec<u8>,
    pub photo_sha256: String,
    pub source: TemplateSource,
    pub created_by: Option<AdminId>,
    pub created_at: DateTime<Utc>,
}

/// A photo waiting to be verified, claimed by one worker until its lease ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationJob {
    pub punch_id: PunchId,
    pub company_id: CompanyId,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
}

/// The verification queue at a moment, for metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueStats {
    /// Jobs waiting or in hand.
    pub depth: i64,
    /// How long the oldest job has waited, in seconds (0 when there is none).
    pub oldest_age_seconds: f64,
}

/// A job a node holds, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub punch_id: PunchId,
    pub leased_by: String,
    pub locked_until: DateTime<Utc>,
}

/// The verdict on one punch's FaceFront photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub punch_id: PunchId,
    pub company_id: CompanyId,
    /// What the domain concluded from the engine's findings.
    pub verdict: Verdict,
    pub score: Option<f64>,
    pub threshold: f64,
    /// Degrees the photo was turned to be upright (EXIF, device setting and automatic).
    pub rotation: i64,
    /// The part of `rotation` the face engine found beyond the photo's display rotation; a page
    /// shows the display rotation plus this.
    pub engine_rotation: Rotation,
    pub faces: i64,
    /// The reason, in words a worker understands.
    pub message: String,
    /// This photo enrolled the employee (their first FaceFront photo after consent).
    pub enrolled_now: bool,
    pub decided_at: DateTime<Utc>,
    /// The liveness check's score of the verified face and the threshold it was held against,
    /// when the role asks for the check.
    pub liveness: Option<(f64, f64)>,
    /// What the active check found of the punch's burst, when one was judged.
    pub active: Option<ActiveFound>,
}

/// What the active check (a head turn, a burst of frames) found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActiveFound {
    /// Every condition held: one face tracked, the same person throughout and the employee, the
    /// head turned the prompted way, live frames.
    pub passed: bool,
    /// The head turn measured in the prompted direction (nose offset; negative: the other way).
    pub turn: f64,
}

/// A recorded review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub punch_id: PunchId,
    pub decision: ReviewDecision,
    pub reviewed_by: AdminId,
    pub reviewed_at: DateTime<Utc>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub company_id: CompanyId,
    pub at: DateTime<Utc>,
    /// `admin:<id>`, `system`, ...
    pub actor: String,
    /// e.g. `consent.recorded`, `template.enrolled`, `templates.deleted`, `photo.viewed`, `punch.reviewed`.
    pub action: String,
    /// What it was done to, e.g. `employee:<id>`.
    pub subject: String,
    pub detail: String,
    /// The employee it concerns, when there is one (to find every entry about them).
    pub employee: Option<EmployeeId>,
}

impl AuditEntry {
    /// The same line, about `employee`.
    pub fn about(self, employee: EmployeeId) -> AuditEntry {
        AuditEntry { employee: Some(employee), ..self }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    employee_id: Uuid,
    notice_version: String,
    recorded_by: Uuid,
    agreed_at: DateTime<Utc>,
}

impl From<ConsentRow> for Consent {
    fn from(row: ConsentRow) -> Self {
        Consent {
            employee_id: EmployeeId(row.employee_id),
            notice_version: row.notice_version,
            recorded_by: AdminId(row.recorded_by),
            agreed_at: row.agreed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TemplateRow {
    id: Uuid,
    company_id: Uuid,
    employee_id: Uuid,
    embedding: Vec<u8>,
    photo_sha256: String,
    source: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl TryFrom<TemplateRow> for FaceTemplate {
    type Error = StoreError;
    fn try_from(row: TemplateRow) -> Result<Self, StoreError> {
        Ok(FaceTemplate {
            id: row.id,
            company_id: CompanyId(row.company_id),
            employee_id: EmployeeId(row.employee_id),
            embedding: row.embedding,
            photo_sha256: row.photo_sha256,
            source: TemplateSource::parse(&row.source)?,
            created_by: row.created_by.map(AdminId),
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct VerificationRow {
    punch_id: Uuid,
    company_id: Uuid,
    verdict: String,
    score: Option<f64>,
    threshold: f64,
    rotation: i64,
    engine_rotation: i64,
    faces: i64,
    message: String,
    enrolled_now: bool,
    decided_at: DateTime<Utc>,
    liveness_score: Option<f64>,
    liveness_threshold: Option<f64>,
    active_passed: Option<bool>,
    active_turn: Option<f64>,
}

impl TryFrom<VerificationRow> for Verification {
    type Error = StoreError;
    fn try_from(row: VerificationRow) -> Result<Self, StoreError> {
        Ok(Verification {
            punch_id: PunchId(row.punch_id),
            company_id: CompanyId(row.company_id),
            verdict: Verdict::parse(&row.verdict)?,
            score: row.score,
            threshold: row.threshold,
            rotation: row.rotation,
            engine_rotation: Rotation::from_degrees(row.engine_rotation)?,
            faces: row.faces,
            message: row.message,
            enrolled_now: row.enrolled_now,
            decided_at: row.decided_at,
            liveness: row.liveness_score.zip(row.liveness_threshold),
            active: row.active_passed.zip(row.active_turn).map(|(passed, turn)| ActiveFound { passed, turn }),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReviewRow {
    punch_id: Uuid,
    decision: String,
    reviewed_by: Uuid,
    reviewed_at: DateTime<Utc>,
}

impl TryFrom<ReviewRow> for Review {
    type Error = StoreError;
    fn try_from(row: ReviewRow) -> Result<Self, StoreError> {
        Ok(Review {
            punch_id: PunchId(row.punch_id),
            decision: ReviewDecision::parse(&row.decision)?,
            reviewed_by: AdminId(row.reviewed_by),
            reviewed_at: row.reviewed_at,
        })
    }
}
