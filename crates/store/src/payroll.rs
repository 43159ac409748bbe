//! What the store keeps for payroll: approvals, exports, and the lean punch rows the pay period
//! overview and the exports read for a whole company at once.

use chrono::{DateTime, Utc};
use clockface_domain::approval::ApprovedFigures;
use clockface_domain::export::ExportedEmployee;
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
    /// A card's approval: the card's figures when it was approved (none for an approval of a
    /// release before figures were kept, until the server freezes it at start).
    pub figures: Option<ApprovedFigures>,
}

/// A period's approvals: the admin's for payroll, and each employee's card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodApprovals {
    pub period: Option<Approval>,
    pub cards: HashMap<EmployeeId, Approval>,
    /// The period's approval: the figures of each card that had none of its own then.
    pub period_figures: HashMap<EmployeeId, ApprovedFigures>,
}

impl PeriodApprovals {
    /// The approval that locks this employee's card, if any: the period's, else the card's.
    pub fn lock(&self, employee: EmployeeId) -> Option<&Approval> {
        self.period.as_ref().or_else(|| self.cards.get(&employee))
    }

    /// The figures an employee's card was approved with, if it is approved: its own approval's,
    /// else the period's.
    pub fn figures(&self, employee: EmployeeId) -> Option<&ApprovedFigures> {
        self.cards
            .get(&employee)
            .and_then(|a| a.figures.as_ref())
            .or_else(|| self.period.as_ref().and_then(|_| self.period_figures.get(&employee)))
    }
}

/// What is approved: one employee's card, or the whole period for payroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOf {
    Card(EmployeeId),
    Period,
}

/// An approval to record, with the figures it freezes and what they were counted from.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub of: ApprovalOf,
    pub approval: Approval,
    /// Each card's figures: the one card's, or for a period every card without figures of its own.
    pub figures: Vec<(EmployeeId, ApprovedFigures)>,
    /// How many corrections of the approved cards in the period's window the figures counted: a
    /// correction made meanwhile makes the approval fail with [`crate::StoreError::Conflict`], to be
    /// counted again.
    pub corrections_counted: usize,
    /// The instants those corrections were read in (their own or their target's time).
    pub counted_in: (DateTime<Utc>, DateTime<Utc>),
}

/// An approval whose figures were never frozen (made by a release before figures were kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfrozenApproval {
    pub company: clockface_domain::ids::CompanyId,
    pub of: ApprovalOf,
    pub period: clockface_domain::payroll::PayPeriod,
}

/// One export of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    pub format: String,
    pub exported_by: AdminId,
    pub exported_at: DateTime<Utc>,
    /// What the file said of each employee (none for exports of earlier releases).
    pub figures: Option<Vec<ExportedEmployee>>,
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
