//! What the store keeps for biometric privacy: each company's published retention policies,
//! employees' written releases, the destruction log (which holds no face data), and what the
//! automatic destruction job reads and does.

use crate::StoreError;
use chrono::{DateTime, Utc};
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId};
use clockface_domain::language::Language;
use clockface_domain::privacy::{Jurisdiction, RetentionSettings};
use uuid::Uuid;

/// A published retention and destruction policy: one version of a company's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub company_id: CompanyId,
    pub version: i64,
    pub settings: RetentionSettings,
    pub published_at: DateTime<Utc>,
    pub published_by: Option<AdminId>,
}

/// An employee's decision on the written release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseDecision {
    Signed,
    Declined,
}

impl ReleaseDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseDecision::Signed => "signed",
            ReleaseDecision::Declined => "declined",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        match raw {
            "signed" => Ok(ReleaseDecision::Signed),
            "declined" => Ok(ReleaseDecision::Declined),
            other => Err(StoreError::Corrupt(format!("unknown release decision {other}"))),
        }
    }
}

/// An employee's latest decision on the release: what they read (versions), and how they
/// answered, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub employee_id: EmployeeId,
    pub release_version: String,
    pub policy_version: i64,
    pub decision: ReleaseDecision,
    /// The full name they typed as their signature (when signed).
    pub signed_name: Option<String>,
    /// The device they signed on, or the admin who recorded it on the admin page.
    pub device_id: Option<DeviceId>,
    pub recorded_by: Option<AdminId>,
    pub decided_at: DateTime<Utc>,
    /// The language of the text they read.
    pub language: Language,
    /// The SHA-256 (hex) of the exact text they read, and the text; absent for decisions
    /// recorded before the text was kept.
    pub text_sha256: Option<String>,
    pub text: Option<String>,
    /// A release signed on paper and recorded by an admin: the SHA-256 of its scan, kept in the
    /// photo store under the company.
    pub paper_scan_sha256: Option<String>,
    /// Set when the employee's face data was deleted on request after they signed: the release
    /// stands withdrawn until they decide again.
    pub withdrawn: Option<Withdrawal>,
}

/// A release withdrawn by a deletion on request: when, by whom, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub by: AdminId,
    pub reason: String,
}

/// What the destruction job needs to know of an employee with templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolledEmployee {
    pub employee_id: EmployeeId,
    pub left_at: Option<DateTime<Utc>>,
    pub last_punch_at: Option<DateTime<Utc>>,
    pub enrolled_at: DateTime<Utc>,
}

/// A photo due for destruction (a FaceFront photo no template holds on to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePhoto {
    pub sha256: String,
    pub employee_id: Option<EmployeeId>,
    /// When it was taken (its punch's time), or arrived.
    pub taken_at: DateTime<Utc>,
}

/// What was destroyed, when, why: no face data, only counts and whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destruction {
    pub company_id: CompanyId,
    pub at: DateTime<Utc>,
    /// `templates` or `photo`.
    pub kind: &'static str,
    pub employee_id: Option<EmployeeId>,
    pub count: i64,
    pub policy_version: Option<i64>,
    pub reason: String,
}

/// A filter on the audit log (every part optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub employee: Option<EmployeeId>,
    /// The actor, e.g. `admin:<id>` or `system`.
    pub actor: Option<String>,
    /// The action, or its first part (`photo` matches `photo.viewed`).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The last entry of a company's audit chain: its number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub company: CompanyId,
    pub seq: i64,
    pub hash: String,
}

/// One entry of the audit log as stored: the entry, its place in the chain and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub entry: crate::AuditEntry,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub company_id: Uuid,
    pub version: i64,
    pub jurisdiction: String,
    pub photo_days: i64,
    pub reconsent: bool,
    pub published_at: DateTime<Utc>,
    pub published_by: Option<Uuid>,
}

impl TryFrom<PolicyRow> for Policy {
    type Error = StoreError;
    fn try_from(row: PolicyRow) -> Result<Self, StoreError> {
        Ok(Policy {
            company_id: CompanyId(row.company_id),
            version: row.version,
            settings: RetentionSettings {
                jurisdiction: Jurisdiction::parse(&row.jurisdiction)?,
                photo_days: row.photo_days,
                reconsent: row.reconsent,
            },
            published_at: row.published_at,
            published_by: row.published_by.map(AdminId),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReleaseRow {
    pub employee_id: Uuid,
    pub release_version: String,
    pub policy_version: i64,
    pub decision: String,
    pub signed_name: Option<String>,
    pub device_id: Option<Uuid>,
    pub recorded_by: Option<Uuid>,
    pub decided_at: DateTime<Utc>,
    pub language: String,
    pub text_sha256: Option<String>,
    pub release_text: Option<String>,
    pub paper_scan_sha256: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<Uuid>,
    pub withdrawn_reason: Option<String>,
}

impl TryFrom<ReleaseRow> for Release {
    type Error = StoreError;
    fn try_from(row: ReleaseRow) -> Result<Self, StoreError> {
        Ok(Release {
            employee_id: EmployeeId(row.employee_id),
            release_version: row.release_version,
            policy_version: row.policy_version,
            decision: ReleaseDecision::parse(&row.decision)?,
            signed_name: row.signed_name,
            device_id: row.device_id.map(DeviceId),
            recorded_by: row.recorded_by.map(AdminId),
            decided_at: row.decided_at,
            language: Language::parse(&row.language)?,
            text_sha256: row.text_sha256,
            text: row.release_text,
            paper_scan_sha256: row.paper_scan_sha256,
            withdrawn: match (row.withdrawn_at, row.withdrawn_by) {
                (Some(at), Some(by)) => Some(Withdrawal { at, by: AdminId(by), reason: row.withdrawn_reason.unwrap_or_default() }),
                _ => None,
            },
        })
    }
}
