//! What the store keeps for payroll: approvals, exports, and the lean punch rows the pay period
//! overview and the exports read for a whole company at once.

use chrono::{DateTime, Utc};
use clockface_domain::ids::{AdminId, CostCodeId, EmployeeId, JobId, PunchId};
use clockface_domain::payroll::PayPeriod;
use clockface_domain::punch::PunchKind;
use std::collections::HashMap;

/// Who approved (a card, or a period) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub period: PayPeriod,
    /// The period's first instant and the instant after its last, in the company's time zone.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    pub approved_by: AdminId,
    pub approved_at: DateTime<Utc>,
}

/// A period's approvals: the admin's for payroll, and each employee's card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodApprovals {
    pub period: Option<Approval>,
    pub cards: HashMap<EmployeeId, Approval>,
}

impl PeriodApprovals {
    /// The approval that locks this employee's card, if any: the period's, else the card's.
    pub fn lock(&self, employee: EmployeeId) -> Option<&Approval> {
        self.period.as_ref().or_else(|| self.cards.get(&employee))
    }
}

/// One export of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    pub format: String,
    pub exported_by: AdminId,
    pub exported_at: DateTime<Utc>,
}

/// A punch as the overview needs it: its time, what makes it worth a look, and its job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodPunch {
    pub id: PunchId,
    pub employee_id: EmployeeId,
    pub kind: PunchKind,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub flagged: bool,
    pub has_photo: bool,
    /// A Start break or End break.
    pub on_break: bool,
    /// Its verification verdict, once there is one.
    pub verdict: Option<clockface_domain::verification::Verdict>,
    /// The job and cost code it carries (job costing).
    pub job_id: Option<JobId>,
    pub cost_code_id: Option<CostCodeId>,
}

impl clockface_domain::timecard::TimedPunch for PeriodPunch {
    fn kind(&self) -> PunchKind {
        self.kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    fn on_break(&self) -> bool {
        self.on_break
    }
}

impl clockface_domain::costing::CostedPunch for PeriodPunch {
    fn job(&self) -> Option<JobId> {
        self.job_id
    }
    fn cost_code(&self) -> Option<CostCodeId> {
        self.cost_code_id
    }
}
