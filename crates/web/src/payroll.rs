//! The pay period overview, its exports and its job costing, computed for a whole company in a
//! fixed number of queries (employees, settings, the period's punches with their verdicts and
//! jobs, corrections, approvals, exports, jobs, cost codes): every employee's card is built in
//! memory with the same domain functions as the time card page, so the overview and the card
//! always agree, and job costing splits those very cards' hours (`domain::costing`), so its
//! totals are the overview's to the second.

use crate::api::timecards::{card_rules, card_window};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_domain::approval::{ApprovedFigures, FigureChange, OpenFlags};
use clockface_domain::correction::apply_corrections;
use clockface_domain::costing::{summarize, CostKey, CostLine};
use clockface_domain::employee::Employee;
use clockface_domain::export::{export, ExportEmployee, ExportFile, ExportFormat, ExportJob, ExportLine, ExportedEmployee};
use clockface_domain::ids::{CompanyId, CostCodeId, EmployeeId, JobId};
use clockface_domain::job::{CostCode, Job};
use clockface_domain::payroll::{PayHours, PayPeriod, PayrollSettings};
use clockface_domain::timecard::{build_time_card, ShiftStatus};
use clockface_domain::verification::Verdict;
use clockface_store::{Approval, ExportRecord, PeriodApprovals, PeriodPunch, Store, StoreError};
use std::collections::HashMap;

/// One employee's line in the overview. An approved card's hours are the figures frozen when it
/// was approved ([`clockface_domain::approval`]); its live count only says whether it differs.
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub employee: Employee,
    /// The hours shown, paid and exported: the approved figures, or the live count.
    pub pay: PayHours,
    pub seconds: i64,
    pub meal_deducted_seconds: i64,
    /// Shifts with a missing clock-out (or clock-in).
    pub missing_punches: usize,
    /// Shifts still running (clocked in, not out yet).
    pub in_progress: usize,
    /// Photos not verified yet, or whose verdict needs a person; and flagged punches.
    pub photo_issues: usize,
    /// Corrections in force on the card.
    pub corrections: usize,
    /// Punches that arrived after the card (or period) was approved.
    pub arrived_after_approval: usize,
    /// The card's own approval.
    pub approval: Option<Approval>,
    /// Hours by day, for the exports.
    pub days: Vec<(NaiveDate, PayHours)>,
    /// Hours by day and by job and cost code (job costing; the exports' lines).
    pub costing: Vec<CostLine>,
    /// The card counted now, by the settings in force and the punches as they stand.
    pub live: ApprovedFigures,
    /// The figures the card was approved with, when it is approved and has them.
    pub approved: Option<ApprovedFigures>,
    /// How the live count differs from the approved figures (empty when it does not, or when the
    /// card is not approved).
    pub changed_since_approval: Vec<FigureChange>,
}

impl OverviewRow {
    /// The figures the overview shows for the card: approved, else live.
    pub fn figures(&self) -> &ApprovedFigures {
        self.approved.as_ref().unwrap_or(&self.live)
    }

    /// What is still open on the card (asked about before the period is approved).
    pub fn open_flags(&self) -> OpenFlags {
        OpenFlags {
            missing_punches: self.missing_punches,
            in_progress: self.in_progress,
            photos_to_check: self.photo_issues,
            arrived_after_approval: self.arrived_after_approval,
        }
    }

    /// What an export says of this employee.
    pub fn exported(&self) -> ExportedEmployee {
        ExportedEmployee {
            employee_id: self.employee.id,
            number: self.employee.number.as_str().to_owned(),
            name: self.employee.name.as_str().to_owned(),
            pay: self.pay,
        }
    }
}

/// Every employee's hours for a pay period, with the period's approval and exports.
#[derive(Debug, Clone)]
pub struct Overview {
    pub period: PayPeriod,
    pub settings: PayrollSettings,
    pub approvals: PeriodApprovals,
    pub exports: Vec<ExportRecord>,
    pub rows: Vec<OverviewRow>,
    pub totals: PayHours,
    /// The company's jobs and cost codes (active or not: hours were booked to both), by id.
    pub jobs: HashMap<JobId, Job>,
    pub cost_codes: HashMap<CostCodeId, CostCode>,
    /// The instants punches and corrections were read in, and how many corrections of each
    /// employee were counted (an approval checks none came meanwhile).
    pub window: (DateTime<Utc>, DateTime<Utc>),
    pub corrections_counted: HashMap<EmployeeId, usize>,
}

/// Whether a punch's photo still needs a person: no verdict yet, or one that needs review.
fn photo_issue(p: &PeriodPunch) -> bool {
    if p.flagged {
        return true;
    }
    if !p.has_photo {
        return false;
    }
    p.verdict.is_none_or(Verdict::needs_review)
}

/// The overview of `period` for `company` (whose time zone is `zone`), `employees` those to list
/// (all of the company's for an admin). Reads in nine queries, whatever the company's size.
pub async fn overview(
    store: &dyn Store,
    company: CompanyId,
    zone: Tz,
    period: PayPeriod,
    employees: Option<Vec<Employee>>,
    now: DateTime<Utc>,
) -> Result<Overview, StoreError> {
    let settings = store.payroll_settings(company).await?;
    overview_under(store, company, zone, period, employees, now, settings).await
}

/// [`overview`], with its live counts made under `settings` (settings about to be saved, say).
pub async fn overview_under(
    store: &dyn Store,
    company: CompanyId,
    zone: Tz,
    period: PayPeriod,
    employees: Option<Vec<Employee>>,
    now: DateTime<Utc>,
    settings: PayrollSettings,
) -> Result<Overview, StoreError> {
    let employees = match employees {
        Some(list) => list,
        None => store.employees(company, None).await?,
    };
    let (window_start, window_end) = card_window(zone, &settings, period.start, period.end);
    let punches = store.period_punches(company, window_start, window_end).await?;
    let corrections = store.corrections(company, None, window_start, window_end).await?;
    let approvals = store.approvals(company, period).await?;
    let exports = store.exports(company, period).await?;
    let jobs: HashMap<JobId, Job> = store.jobs(company).await?.into_iter().map(|j| (j.id, j)).collect();
    let cost_codes: HashMap<CostCodeId, CostCode> = store.cost_codes(company).await?.into_iter().map(|c| (c.id, c)).collect();
    let rules = card_rules(&settings);
    let mut by_employee: HashMap<EmployeeId, Vec<PeriodPunch>> = HashMap::new();
    for p in punches {
        by_employee.entry(p.employee_id).or_default().push(p);
    }
    let mut corrections_by: HashMap<EmployeeId, Vec<_>> = HashMap::new();
    for c in corrections {
        corrections_by.entry(c.employee_id).or_default().push(c);
    }
    let corrections_counted: HashMap<EmployeeId, usize> = corrections_by.iter().map(|(e, c)| (*e, c.len())).collect();
    let mut rows = Vec::with_capacity(employees.len());
    let mut totals = PayHours::default();
    for employee in employees {
        let punches = by_employee.remove(&employee.id).unwrap_or_default();
        let corrections = corrections_by.remove(&employee.id).unwrap_or_default();
        if punches.is_empty() && corrections.is_empty() && !employee.active {
            continue;
        }
        let applied = apply_corrections(&punches, |p| p.id, &corrections);
        let lock = approvals.lock(employee.id);
        let in_period = |at: DateTime<Utc>| period.contains(at.with_timezone(&zone).date_naive());
        let mut photo_issues = 0;
        let mut corrected = 0;
        let mut late = 0;
        for entry in applied.counted.iter().chain(&applied.voided) {
            if !in_period(entry.at) {
                continue;
            }
            if entry.correction.is_some() {
                corrected += 1;
            }
            if let Some(p) = &entry.original {
                if photo_issue(p) {
                    photo_issues += 1;
                }
                if lock.is_some_and(|l| p.received_at > l.approved_at) {
                    late += 1;
                }
            }
        }
        let card = build_time_card(&applied.counted, zone, period.start, period.end, &rules, now);
        let missing = card
            .days
            .iter()
            .flat_map(|d| &d.shifts)
            .filter(|s| matches!(s.status, ShiftStatus::MissingClockIn | ShiftStatus::MissingClockOut))
            .count();
        let in_progress = card.days.iter().flat_map(|d| &d.shifts).filter(|s| s.status == ShiftStatus::InProgress).count();
        let live = ApprovedFigures::of(&card, &rules);
        let approved = approvals.figures(employee.id).cloned();
        let changed_since_approval = approved.as_ref().map(|a| a.differences(&live)).unwrap_or_default();
        let shown = approved.as_ref().unwrap_or(&live);
        totals += shown.pay;
        rows.push(OverviewRow {
            approval: approvals.cards.get(&employee.id).cloned(),
            employee,
            pay: shown.pay,
            seconds: shown.seconds,
            meal_deducted_seconds: shown.meal_deducted_seconds,
            missing_punches: missing,
            in_progress,
            photo_issues,
            corrections: corrected,
            arrived_after_approval: late,
            days: shown.days.iter().filter(|d| d.pay.total() > 0).map(|d| (d.date, d.pay)).collect(),
            costing: shown.cost_lines(),
            changed_since_approval,
            approved,
            live,
        });
    }
    Ok(Overview {
        period,
        settings,
        approvals,
        exports,
        rows,
        totals,
        jobs,
        cost_codes,
        window: (window_start, window_end),
        corrections_counted,
    })
}

/// A card with open flags, as an approval of its period lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OpenCard {
    pub employee_id: EmployeeId,
    pub name: String,
    #[serde(flatten)]
    pub flags: OpenFlags,
}

/// The overview's cards that still have open flags, in the overview's order.
pub fn open_cards(o: &Overview) -> Vec<OpenCard> {
    o.rows
        .iter()
        .filter(|r| r.open_flags().is_open())
        .map(|r| OpenCard { employee_id: r.employee.id, name: r.employee.name.as_str().to_owned(), flags: r.open_flags() })
        .collect()
}

/// The refusal of an export of a period not approved for payroll, when the company requires
/// the approval first.
pub fn not_approved(period: PayPeriod) -> crate::ApiError {
    crate::ApiError::conflict(
        "period_not_approved",
        format!(
            "the pay period {} to {} is not approved for payroll, and this company exports only approved periods (Payroll \
             settings: require approval before export); approve the period first, so the hours cannot change after the file is made",
            period.start, period.end
        ),
    )
}

/// The overview's hours written in `format`.
pub fn export_file(overview: &Overview, format: ExportFormat, now: DateTime<Utc>) -> Result<ExportFile, clockface_domain::DomainError> {
    let employees: Vec<ExportEmployee> = overview
        .rows
        .iter()
        .filter(|r| !r.days.is_empty())
        .map(|r| ExportEmployee {
            number: r.employee.number.as_str().to_owned(),
            name: r.employee.name.as_str().to_owned(),
            lines: r
                .costing
                .iter()
                .map(|line| ExportLine {
                    date: line.date,
                    job: overview.job(line.key).map(|j| ExportJob { number: j.number.as_str().to_owned(), name: j.name.clone() }),
                    cost_code: overview.cost_code(line.key).map(|c| c.number.as_str().to_owned()),
                    pay: line.pay,
                })
                .collect(),
        })
        .collect();
    export(format, overview.period, overview.settings.schedule.frequency, &overview.settings.codes, &employees, now)
}

impl Overview {
    /// The job of a costing key, when it is one of the company's (a punch's job always is).
    pub fn job(&self, key: CostKey) -> Option<&Job> {
        key.job.and_then(|id| self.jobs.get(&id))
    }

    /// The cost code of a costing key, when it is one of the company's.
    pub fn cost_code(&self, key: CostKey) -> Option<&CostCode> {
        key.cost_code.and_then(|id| self.cost_codes.get(&id))
    }
}

/// Which hours a job costing shows: every job's, one job's, or those worked on no job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFilter {
    All,
    Job(JobId),
    NoJob,
}

/// One employee's hours on a job and cost code.
#[derive(Debug, Clone)]
pub struct CostingEmployee {
    pub employee: Employee,
    pub pay: PayHours,
}

/// A job and cost code's hours over the period, with the employees who worked them.
#[derive(Debug, Clone)]
pub struct CostingGroup {
    /// None: hours on no job.
    pub job: Option<Job>,
    pub cost_code: Option<CostCode>,
    pub pay: PayHours,
    /// By name.
    pub employees: Vec<CostingEmployee>,
}

/// A pay period's job costing: the overview's hours by job and cost code.
#[derive(Debug, Clone)]
pub struct Costing {
    pub period: PayPeriod,
    /// By job number (hours on no job last), then cost code number (none first).
    pub groups: Vec<CostingGroup>,
    /// The hours shown: with no filter, the overview's totals exactly.
    pub totals: PayHours,
}

/// The overview's hours by job and cost code (`domain::costing`), narrowed by `filter`.
pub fn job_costing(overview: &Overview, filter: JobFilter) -> Costing {
    let employees: HashMap<EmployeeId, &Employee> = overview.rows.iter().map(|r| (r.employee.id, &r.employee)).collect();
    // A key naming something that is not the company's (which the punch path never lets in) is
    // counted as no job, so nothing of another company is ever named.
    let known = |key: CostKey| CostKey { job: overview.job(key).map(|j| j.id), cost_code: overview.cost_code(key).map(|c| c.id) };
    let lines: Vec<(EmployeeId, Vec<CostLine>)> = overview
        .rows
        .iter()
        .map(|r| {
            let lines = r
                .costing
                .iter()
                .map(|l| CostLine { key: known(l.key), ..*l })
                .filter(|l| match filter {
                    JobFilter::All => true,
                    JobFilter::Job(job) => l.key.job == Some(job),
                    JobFilter::NoJob => l.key.job.is_none(),
                })
                .collect();
            (r.employee.id, lines)
        })
        .collect();
    let summary = summarize(lines.iter().map(|(e, l)| (*e, l.as_slice())));
    let mut groups: Vec<CostingGroup> = summary
        .groups
        .into_iter()
        .map(|g| {
            let mut people: Vec<CostingEmployee> = g
                .employees
                .into_iter()
                .filter_map(|(id, pay)| employees.get(&id).map(|e| CostingEmployee { employee: (*e).clone(), pay }))
                .collect();
            people.sort_by(|a, b| a.employee.name.as_str().cmp(b.employee.name.as_str()));
            CostingGroup { job: overview.job(g.key).cloned(), cost_code: overview.cost_code(g.key).cloned(), pay: g.pay, employees: people }
        })
        .collect();
    groups.sort_by(|a, b| {
        let job = |g: &CostingGroup| (g.job.is_none(), g.job.as_ref().map(|j| j.number.as_str().to_owned()));
        let code = |g: &CostingGroup| g.cost_code.as_ref().map(|c| c.number.as_str().to_owned());
        job(a).cmp(&job(b)).then_with(|| code(a).cmp(&code(b)))
    });
    Costing { period: overview.period, groups, totals: summary.totals }
}

/// The job costing as CSV: a line per job, cost code and employee.
pub fn costing_csv(costing: &Costing) -> ExportFile {
    let lines: Vec<clockface_domain::export::CostingCsvLine> = costing
        .groups
        .iter()
        .flat_map(|g| {
            g.employees.iter().map(move |e| clockface_domain::export::CostingCsvLine {
                job: g.job.as_ref().map(|j| ExportJob { number: j.number.as_str().to_owned(), name: j.name.clone() }),
                cost_code: g.cost_code.as_ref().map(|c| (c.number.as_str().to_owned(), c.name.clone())),
                employee_number: e.employee.number.as_str().to_owned(),
                employee_name: e.employee.name.as_str().to_owned(),
                pay: e.pay,
            })
        })
        .collect();
    clockface_domain::export::costing_csv(costing.period, &lines)
}

/// Freezes the figures of approvals made by releases that did not keep them (an upgrade), as
/// counted now, with an audit line each: from then on they are approved figures like any other.
/// Idempotent and safe on several nodes at once (figures frozen already stay). Returns how many
/// approvals it froze.
pub async fn freeze_unfrozen_approvals(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let unfrozen = store.unfrozen_approvals().await?;
    for approval in &unfrozen {
        let company = store.company(approval.company).await?;
        let employees = match approval.of {
            clockface_store::ApprovalOf::Card(employee) => Some(vec![store.employee(company.id, employee).await?]),
            clockface_store::ApprovalOf::Period => None,
        };
        let o = overview(store, company.id, company.time_zone, approval.period, employees, now).await?;
        let figures: Vec<(EmployeeId, ApprovedFigures)> = o
            .rows
            .iter()
            .filter(|r| match approval.of {
                clockface_store::ApprovalOf::Card(employee) => r.employee.id == employee,
                clockface_store::ApprovalOf::Period => r.approval.as_ref().is_none_or(|a| a.figures.is_none()),
            })
            .map(|r| (r.employee.id, r.live.clone()))
            .collect();
        let subject = match approval.of {
            clockface_store::ApprovalOf::Card(employee) => format!("employee:{employee}"),
            clockface_store::ApprovalOf::Period => format!("period:{}", approval.period.start),
        };
        let line = clockface_app::audit::audit_entry(
            company.id,
            "system",
            "approval.figures_frozen",
            &subject,
            &format!(
                "pay period {} to {}, approved before figures were kept: its figures frozen as counted at the upgrade",
                approval.period.start, approval.period.end
            ),
        );
        store.freeze_approval(approval, &figures, &line).await?;
    }
    Ok(unfrozen.len())
}
