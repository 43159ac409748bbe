//! The pay period overview and its exports, computed for a whole company in a fixed number of
//! queries (employees, settings, the period's punches with their verdicts, corrections,
//! approvals, exports): every employee's card is built in memory with the same domain functions
//! as the time card page, so the overview and the card always agree.

use crate::api::timecards::{card_rules, card_window};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_domain::correction::apply_corrections;
use clockface_domain::employee::Employee;
use clockface_domain::export::{export, ExportEmployee, ExportFile, ExportFormat};
use clockface_domain::ids::{CompanyId, EmployeeId};
use clockface_domain::payroll::{PayHours, PayPeriod, PayrollSettings};
use clockface_domain::timecard::{build_time_card, ShiftStatus};
use clockface_domain::verification::Verdict;
use clockface_store::{Approval, ExportRecord, PeriodApprovals, PeriodPunch, Store, StoreError};
use std::collections::HashMap;

/// One employee's line in the overview.
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub employee: Employee,
    pub pay: PayHours,
    pub seconds: i64,
    pub meal_deducted_seconds: i64,
    /// Shifts with a missing clock-out (or clock-in).
    pub missing_punches: usize,
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
/// (all of the company's for an admin). Reads in seven queries, whatever the company's size.
pub async fn overview(
    store: &dyn Store,
    company: CompanyId,
    zone: Tz,
    period: PayPeriod,
    employees: Option<Vec<Employee>>,
    now: DateTime<Utc>,
) -> Result<Overview, StoreError> {
    let settings = store.payroll_settings(company).await?;
    let employees = match employees {
        Some(list) => list,
        None => store.employees(company, None).await?,
    };
    let (window_start, window_end) = card_window(zone, &settings, period.start, period.end);
    let punches = store.period_punches(company, window_start, window_end).await?;
    let corrections = store.corrections(company, None, window_start, window_end).await?;
    let approvals = store.approvals(company, period).await?;
    let exports = store.exports(company, period).await?;
    let rules = card_rules(&settings);
    let mut by_employee: HashMap<EmployeeId, Vec<PeriodPunch>> = HashMap::new();
    for p in punches {
        by_employee.entry(p.employee_id).or_default().push(p);
    }
    let mut corrections_by: HashMap<EmployeeId, Vec<_>> = HashMap::new();
    for c in corrections {
        corrections_by.entry(c.employee_id).or_default().push(c);
    }
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
        totals += card.pay;
        rows.push(OverviewRow {
            approval: approvals.cards.get(&employee.id).cloned(),
            employee,
            pay: card.pay,
            seconds: card.seconds,
            meal_deducted_seconds: card.meal_deducted_seconds,
            missing_punches: missing,
            photo_issues,
            corrections: corrected,
            arrived_after_approval: late,
            days: card.days.iter().filter(|d| d.pay.total() > 0).map(|d| (d.date, d.pay)).collect(),
        });
    }
    Ok(Overview { period, settings, approvals, exports, rows, totals })
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
            days: r.days.clone(),
        })
        .collect();
    export(format, overview.period, overview.settings.schedule.frequency, &overview.settings.codes, &employees, now)
}
