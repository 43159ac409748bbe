//! Payroll: the company's payroll settings (a change that would count an approved card
//! differently is refused unless confirmed), the pay period overview, approvals (an employee's
//! card, then the period; each freezes the figures it approves and locks corrections) and
//! reopening with a reason, the period's export in each payroll system's layout (recorded, with
//! what changed since the export before), and its job costing. The one use case behind
//! `/api/v1/payroll/*` and the admin Payroll pages; the file download is the web's to build.
//!
//! The overview is computed for a whole company in a fixed number of queries (employees,
//! settings, the period's punches with their verdicts and jobs, corrections, approvals, exports,
//! jobs, cost codes): every employee's card is built in memory with the same domain functions as
//! the time card page, so the overview and the card always agree, and job costing splits those
//! very cards' hours (`domain::costing`), so its totals are the overview's to the second.
//!
//! Every use case is told the company, or the user acting and whom they reach ([`Scope`]: a
//! supervisor sees and approves only their own employees' cards, and no period), and the time.

use crate::audit::audit_entry;
use crate::scope::Scope;
use crate::timecards::{card_rules, card_window, start_of_day};
use crate::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_domain::approval::{ApprovedFigures, FigureChange, OpenFlags};
use clockface_domain::correction::apply_corrections;
use clockface_domain::costing::{add_time_off, summarize, CostKey, CostLine};
use clockface_domain::employee::Employee;
use clockface_domain::export::{
    export, ExportChange, ExportEmployee, ExportFile, ExportFormat, ExportJob, ExportLine, ExportTimeOff, ExportedEmployee,
};
use clockface_domain::ids::{AdminId, CompanyId, CostCodeId, EmployeeId, JobId};
use clockface_domain::job::{CostCode, Job};
use clockface_domain::payroll::{
    parse_weekday, weekday_str, ExportCodes, MealDeduction, OvertimeRule, PayFrequency, PayHours, PayPeriod, PaySchedule, PayrollSettings,
};
use clockface_domain::timecard::{attach_time_off, build_time_card, ShiftStatus};
use clockface_domain::timeoff::{totals_by_type, CardTimeOff, TimeOffTotal, TimeOffType};
use clockface_domain::verification::Verdict;
use clockface_domain::DomainError;
use clockface_store::{Approval, ApprovalOf, ExportRecord, NewApproval, PeriodApprovals, PeriodPunch, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Payroll settings as the API reads and writes them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// `weekly`, `biweekly`, `semimonthly` or `monthly`.
    pub pay_frequency: String,
    /// The first day of any one two-week period (YYYY-MM-DD; used by `biweekly`).
    pub period_anchor: NaiveDate,
    /// The workweek's first day: `Mon` .. `Sun`.
    pub workweek_starts: String,
    /// `federal`, `california` or `none`.
    pub overtime_rule: String,
    /// Deduct `meal_minutes` from every shift longer than this many minutes; leave both out for none.
    pub meal_after_minutes: Option<i64>,
    pub meal_minutes: Option<i64>,
    /// Breaks taken on the clock (Start break to End break) are paid time. Left out: unpaid.
    #[serde(default)]
    pub breaks_paid: bool,
    /// The codes each payroll system needs.
    pub codes: ExportCodes,
    /// Refuse to export a pay period that is not approved for payroll (409 `period_not_approved`).
    /// Left out: false, and an unapproved period exports.
    #[serde(default)]
    pub require_approval_before_export: bool,
    /// Save although approved cards would count differently under these settings (the answer
    /// without it is a 409 `approved_periods_affected` listing them). They keep the figures they
    /// were approved with until they are reopened. Never sent back.
    #[serde(default, skip_serializing)]
    pub keep_approved_figures: bool,
}

impl From<&PayrollSettings> for SettingsBody {
    fn from(s: &PayrollSettings) -> Self {
        SettingsBody {
            pay_frequency: s.schedule.frequency.as_str().to_owned(),
            period_anchor: s.schedule.anchor,
            workweek_starts: weekday_str(s.schedule.workweek_starts).to_owned(),
            overtime_rule: s.overtime.as_str().to_owned(),
            meal_after_minutes: s.meal.map(|m| m.after_minutes),
            meal_minutes: s.meal.map(|m| m.minutes),
            breaks_paid: s.breaks_paid,
            codes: s.codes.clone(),
            require_approval_before_export: s.require_approval_before_export,
            keep_approved_figures: false,
        }
    }
}

impl SettingsBody {
    /// The settings, checked; each wrong value is named by its field, all of them at once.
    pub fn parse(&self) -> Result<PayrollSettings, AppError> {
        let mut refused = Vec::new();
        let meal = match (self.meal_after_minutes, self.meal_minutes) {
            (None, None) => None,
            (Some(after), Some(minutes)) => AppError::keep(MealDeduction::new(after, minutes), &mut refused),
            (None, Some(_)) => {
                refused.push(DomainError::invalid("meal_after_minutes", "give the shift length after which the meal is deducted").into());
                None
            }
            (Some(_), None) => {
                refused.push(DomainError::invalid("meal_minutes", "give how many minutes to deduct").into());
                None
            }
        };
        let adp = self.codes.adp_company_code.trim();
        if !adp.is_empty() && adp.chars().count() != 3 {
            refused.push(DomainError::invalid("adp_company_code", "ADP company codes are 3 characters").into());
        }
        if self.codes.paychex_client_id.trim().chars().count() > 8 {
            refused.push(DomainError::invalid("paychex_client_id", "Paychex client ids are at most 8 characters").into());
        }
        let create_time = self.codes.quickbooks_company_create_time.trim();
        if !create_time.is_empty() && (create_time.len() > 12 || !create_time.bytes().all(|b| b.is_ascii_digit())) {
            refused.push(
                DomainError::invalid(
                    "quickbooks_company_create_time",
                    "the company create time is the number (digits only) from the TIMERHDR line of a Timer list exported by QuickBooks",
                )
                .into(),
            );
        }
        let frequency = AppError::keep(PayFrequency::parse(self.pay_frequency.trim()), &mut refused);
        let workweek_starts = AppError::keep(parse_weekday(self.workweek_starts.trim()), &mut refused);
        let overtime = AppError::keep(OvertimeRule::parse(self.overtime_rule.trim()), &mut refused);
        AppError::all(refused)?;
        let (Some(frequency), Some(workweek_starts), Some(overtime)) = (frequency, workweek_starts, overtime) else {
            return Err(AppError::internal("a value was withheld although every check passed"));
        };
        let mut codes = self.codes.clone();
        codes.quickbooks_company_create_time = create_time.to_owned();
        Ok(PayrollSettings {
            schedule: PaySchedule { frequency, anchor: self.period_anchor, workweek_starts },
            overtime,
            meal,
            breaks_paid: self.breaks_paid,
            codes,
            require_approval_before_export: self.require_approval_before_export,
        })
    }
}

/// An approved card whose figures the new settings would count differently.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AffectedCard {
    pub employee_id: EmployeeId,
    pub name: String,
    /// The approved figures (what is paid and exported).
    pub approved: PayHours,
    /// What the new settings would count.
    pub under_new_settings: PayHours,
}

/// An approved pay period that a settings change would count differently.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AffectedPeriod {
    pub period: PayPeriod,
    /// Whether the whole period is approved for payroll (else only some cards).
    pub approved_for_payroll: bool,
    pub cards: Vec<AffectedCard>,
}

/// The approved periods whose approved figures `new` settings would count differently, oldest
/// first. Empty when the settings that count hours do not change.
pub async fn approved_periods_affected(
    store: &dyn Store,
    company: CompanyId,
    old: &PayrollSettings,
    new: &PayrollSettings,
    now: DateTime<Utc>,
) -> Result<Vec<AffectedPeriod>, AppError> {
    if card_rules(old) == card_rules(new) {
        return Ok(Vec::new());
    }
    let zone = store.company(company).await?.time_zone;
    let mut affected = Vec::new();
    for period in store.approved_periods(company).await? {
        let o = overview_under(store, company, zone, period, None, now, new.clone()).await?;
        let cards: Vec<AffectedCard> = o
            .rows
            .iter()
            .filter_map(|r| {
                let approved = r.approved.as_ref()?;
                (!approved.differences(&r.live).is_empty()).then(|| AffectedCard {
                    employee_id: r.employee.id,
                    name: r.employee.name.as_str().to_owned(),
                    approved: approved.pay,
                    under_new_settings: r.live.pay,
                })
            })
            .collect();
        if !cards.is_empty() {
            affected.push(AffectedPeriod { period, approved_for_payroll: o.approvals.period.is_some(), cards });
        }
    }
    Ok(affected)
}

/// Saves the company's payroll settings with an audit line. A change that would count an
/// approved card differently is refused (`approved_periods_affected`, the periods and cards in
/// the refusal's details) unless `keep_approved` says to save anyway: approved cards then keep
/// their approved figures until they are reopened, and the audit line names the periods.
pub async fn save_settings(
    store: &dyn Store,
    company: CompanyId,
    admin: AdminId,
    settings: &PayrollSettings,
    keep_approved: bool,
    now: DateTime<Utc>,
) -> Result<Vec<AffectedPeriod>, AppError> {
    let old = store.payroll_settings(company).await?;
    let affected = approved_periods_affected(store, company, &old, settings, now).await?;
    let periods: Vec<String> = affected.iter().map(|a| format!("{} to {}", a.period.start, a.period.end)).collect();
    if !affected.is_empty() && !keep_approved {
        let details = serde_json::to_value(&affected).map_err(AppError::internal)?;
        return Err(AppError::conflict(
            "approved_periods_affected",
            format!(
                "these settings would count approved cards differently in {} ({}); approved cards keep the figures they were \
                 approved with until they are reopened. Save again confirming this (keep_approved_figures), or reopen those \
                 periods first",
                if periods.len() == 1 { "one pay period" } else { "several pay periods" },
                periods.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "periods": details })));
    }
    let kept = if periods.is_empty() {
        String::new()
    } else {
        format!("; approved cards of {} keep their approved figures until reopened", periods.join(", "))
    };
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "payroll.settings_changed",
        &format!("company:{company}"),
        &format!(
            "pay {}, anchor {}, workweek from {}, overtime {}, meal {}, breaks {}, export {}{kept}",
            settings.schedule.frequency.as_str(),
            settings.schedule.anchor,
            weekday_str(settings.schedule.workweek_starts),
            settings.overtime.as_str(),
            settings.meal.map_or_else(|| "none".to_owned(), |m| format!("{} min after {} min", m.minutes, m.after_minutes)),
            if settings.breaks_paid { "paid" } else { "unpaid" },
            if settings.require_approval_before_export { "after approval only" } else { "any time" },
        ),
    );
    store.set_payroll_settings(company, settings, now, &line).await?;
    Ok(affected)
}

/// The pay period holding `date` (today, in the company's time zone, by default) for the
/// company, and that time zone.
pub async fn period_of(
    store: &dyn Store,
    company: CompanyId,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(PayPeriod, Tz), AppError> {
    let zone = store.company(company).await?.time_zone;
    let settings = store.payroll_settings(company).await?;
    let day = date.unwrap_or_else(|| now.with_timezone(&zone).date_naive());
    Ok((settings.schedule.period_containing(day), zone))
}

/// The employees an overview lists for `scope`: `None` (everyone) for an admin, a supervisor's own.
pub async fn employees_in_reach(store: &dyn Store, scope: Scope<'_>) -> Result<Option<Vec<Employee>>, AppError> {
    if scope.reach.supervisor().is_none() {
        return Ok(None);
    }
    let mut employees = store.employees(scope.company, None).await?;
    employees.retain(|e| scope.reach.includes(e.id));
    Ok(Some(employees))
}

/// The overview of the pay period holding `date` as `scope` may see it: every employee's for an
/// admin, a supervisor's own employees' only.
pub async fn overview_for(store: &dyn Store, scope: Scope<'_>, date: Option<NaiveDate>, now: DateTime<Utc>) -> Result<Overview, AppError> {
    let (period, zone) = period_of(store, scope.company, date, now).await?;
    let employees = employees_in_reach(store, scope).await?;
    Ok(overview(store, scope.company, zone, period, employees, now).await?)
}

/// How many times an approval counts the figures again when a correction came in meanwhile.
const APPROVAL_ATTEMPTS: u32 = 3;

/// Approves an employee's card (a supervisor, theirs; an admin, anyone's) or, without
/// `employee`, the period for payroll (admins only), and audits it. The approval freezes the
/// figures it approves: the card's, or for the period every card's that has none of its own.
/// A period whose cards still have open flags is approved only with `acknowledge_flags`; else
/// the refusal `open_flags`, the cards in its details.
pub async fn approve(
    store: &dyn Store,
    scope: Scope<'_>,
    period: PayPeriod,
    employee: Option<EmployeeId>,
    acknowledge_flags: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let company = scope.company;
    let listed = match employee {
        Some(employee) => {
            scope.employee(employee)?;
            Some(vec![store.employee(company, employee).await?])
        }
        None => {
            scope.require_admin("approve a pay period for payroll")?;
            None
        }
    };
    let (action, subject) = match employee {
        Some(e) => ("card.approved", format!("employee:{e}")),
        None => ("period.approved", format!("period:{}", period.start)),
    };
    let zone = store.company(company).await?.time_zone;
    let window = (start_of_day(zone, period.start), start_of_day(zone, period.end + chrono::Duration::days(1)));
    // The figures are counted, then frozen in the approval's transaction, which fails when a
    // correction came in between: then they are counted again, as they stand at that moment.
    let mut now = now;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let o = overview(store, company, zone, period, listed.clone(), now).await?;
        let open = if employee.is_none() { open_cards(&o) } else { Vec::new() };
        if !open.is_empty() && !acknowledge_flags {
            let details = serde_json::to_value(&open).map_err(AppError::internal)?;
            let named: Vec<String> = open.iter().map(|c| format!("{} ({})", c.name, c.flags.describe())).collect();
            return Err(AppError::conflict(
                "open_flags",
                format!(
                    "{} still {} open flags: {}. Look at {} first, or approve again acknowledging them (acknowledge_flags)",
                    if open.len() == 1 { "one card".to_owned() } else { format!("{} cards", open.len()) },
                    if open.len() == 1 { "has" } else { "have" },
                    named.join("; "),
                    if open.len() == 1 { "it" } else { "them" },
                ),
            )
            .with_details(serde_json::json!({ "cards": details })));
        }
        let acknowledged = if open.is_empty() { String::new() } else { format!("; approved with open flags on {} card(s)", open.len()) };
        let figures: Vec<(EmployeeId, ApprovedFigures)> = o
            .rows
            .iter()
            .filter(|r| employee.is_some() || r.approval.as_ref().is_none_or(|a| a.figures.is_none()))
            .map(|r| (r.employee.id, r.live.clone()))
            .collect();
        let corrections_counted = o.corrections_counted.iter().filter(|(e, _)| employee.is_none_or(|one| one == **e)).map(|(_, n)| n).sum();
        let totals = figures.iter().fold(PayHours::default(), |mut t, (_, f)| {
            t += f.pay;
            t
        });
        let line = audit_entry(
            company,
            &scope.actor(),
            action,
            &subject,
            &format!(
                "pay period {} to {}; approved figures: {} regular, {} overtime, {} double time seconds under the {} rule{acknowledged}",
                period.start,
                period.end,
                totals.regular_seconds,
                totals.overtime_seconds,
                totals.double_time_seconds,
                o.settings.overtime.as_str()
            ),
        );
        let approval = Approval { period, window, approved_by: scope.user, approved_at: now, figures: None };
        let of = employee.map_or(ApprovalOf::Period, ApprovalOf::Card);
        let new = NewApproval { of, approval, figures, corrections_counted, counted_in: o.window };
        match store.approve(company, &new, &line).await {
            Err(StoreError::Conflict) if attempts < APPROVAL_ATTEMPTS => {
                now = now.max(Utc::now());
                continue;
            }
            Err(StoreError::Conflict) => {
                return Err(AppError::conflict("changed_meanwhile", "the card was corrected while it was being approved; approve it again"))
            }
            other => return Ok(other?),
        }
    }
}

/// Reopens a card or the period, with a reason, and audits it. A supervisor reopens only their
/// employees' cards, and not once the period is approved for payroll.
pub async fn reopen(
    store: &dyn Store,
    scope: Scope<'_>,
    period: PayPeriod,
    employee: Option<EmployeeId>,
    reason: &str,
) -> Result<(), AppError> {
    let company = scope.company;
    match employee {
        Some(employee) => {
            scope.employee(employee)?;
            store.employee(company, employee).await?;
            if !scope.role.is_admin() && store.approvals(company, period).await?.period.is_some() {
                return Err(AppError::admins_only("reopen a card once its pay period is approved for payroll"));
            }
        }
        None => scope.require_admin("reopen a pay period")?,
    }
    // A reopening's reason is a correction's kind of reason; an empty one is asked for as a reopening's.
    if reason.trim().is_empty() {
        return Err(DomainError::invalid("reason", "say why it is reopened").into());
    }
    let reason = clockface_domain::correction::Reason::parse(reason)?;
    let (action, subject) = match employee {
        Some(e) => ("card.reopened", format!("employee:{e}")),
        None => ("period.reopened", format!("period:{}", period.start)),
    };
    let line = audit_entry(
        company,
        &scope.actor(),
        action,
        &subject,
        &format!("pay period {} to {}; reason: {}", period.start, period.end, reason.as_str()),
    );
    if !store.reopen(company, employee, period, &line).await? {
        return Err(AppError::conflict("not_approved", "it is not approved, so there is nothing to reopen"));
    }
    Ok(())
}

/// An export made: the file, the period's earlier exports (newest first), and how the hours of
/// each employee whose hours changed since the latest earlier export that kept them differ.
#[derive(Debug)]
pub struct MadeExport {
    pub file: ExportFile,
    /// Whether the pay period was approved for payroll when the file was made (false: its hours
    /// can still change); none for a file that is not a pay period's (job costing).
    pub approved: Option<bool>,
    pub earlier: Vec<ExportRecord>,
    pub changes: Vec<ExportChange>,
}

/// Writes the period's export and records it (audited) with what it says of each employee; the
/// answer says which exports came before and, when the hours changed since the last of them (a
/// period reopened and corrected, say), who changed and how. A company that exports only
/// approved periods gets `period_not_approved` for one that is not, and nothing is recorded.
pub async fn make_export(
    store: &dyn Store,
    company: CompanyId,
    admin: AdminId,
    period: PayPeriod,
    zone: Tz,
    format: ExportFormat,
    now: DateTime<Utc>,
) -> Result<MadeExport, AppError> {
    let o = overview(store, company, zone, period, None, now).await?;
    if o.settings.require_approval_before_export && o.approvals.period.is_none() {
        return Err(not_approved(period));
    }
    let file = export_file(&o, format, now)?;
    let exported: Vec<_> = o.rows.iter().filter(|r| r.is_exported()).map(OverviewRow::exported).collect();
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "period.exported",
        &format!("period:{}", period.start),
        &format!("{} for {} to {}, {} employees", format.as_str(), period.start, period.end, exported.len()),
    );
    let record = ExportRecord { format: format.as_str().to_owned(), exported_by: admin, exported_at: now, figures: Some(exported) };
    let earlier = store.record_export(company, period, &record, &line).await?;
    let changes = changes_since_export(&earlier, record.figures.as_deref().unwrap_or_default());
    Ok(MadeExport { file, approved: Some(o.approvals.period.is_some()), earlier, changes })
}

/// How `now` differs from the latest of `earlier` (newest first) that kept its figures.
pub fn changes_since_export(earlier: &[ExportRecord], now: &[ExportedEmployee]) -> Vec<ExportChange> {
    earlier.iter().find_map(|e| e.figures.as_deref()).map(|before| clockface_domain::export::changes_since(before, now)).unwrap_or_default()
}

/// What a `job` filter names: a job of the company (else not found, whatever company it may be
/// of), `none`, or every job when left out or empty.
pub async fn job_filter(store: &dyn Store, company: CompanyId, raw: Option<&str>) -> Result<JobFilter, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(JobFilter::All),
        Some("none") => Ok(JobFilter::NoJob),
        Some(raw) => {
            let id: JobId = raw.parse().map_err(|_| AppError::Invalid {
                code: "invalid_job",
                field: None,
                message: format!("`job` must be a job id or `none`, not `{raw}`"),
            })?;
            Ok(JobFilter::Job(store.job(company, id).await?.id))
        }
    }
}

/// The job costing `scope` may see for the period holding `date`: every employee's for an
/// admin, a supervisor's own employees' only; with the overview it splits.
pub async fn costing_for(
    store: &dyn Store,
    scope: Scope<'_>,
    date: Option<NaiveDate>,
    job: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Costing, Overview), AppError> {
    let filter = job_filter(store, scope.company, job).await?;
    let o = overview_for(store, scope, date, now).await?;
    Ok((job_costing(&o, filter), o))
}
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
    /// The period's time off by type (approved requests and company holidays): paid beside the
    /// worked hours, never in them nor in overtime (`timecard::attach_time_off`).
    pub time_off: Vec<TimeOffTotal>,
    /// The same, a line per day and type.
    pub time_off_days: Vec<CardTimeOff>,
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

    /// Paid time off over the period, as shown (approved or live).
    pub fn paid_time_off_seconds(&self) -> i64 {
        self.time_off.iter().filter(|t| t.paid).map(|t| t.seconds).sum()
    }

    /// Whether an export has a line for this employee: hours worked, or paid time off.
    pub fn is_exported(&self) -> bool {
        !self.days.is_empty() || self.paid_time_off_seconds() > 0
    }

    /// What an export says of this employee.
    pub fn exported(&self) -> ExportedEmployee {
        ExportedEmployee {
            employee_id: self.employee.id,
            number: self.employee.number.as_str().to_owned(),
            name: self.employee.name.as_str().to_owned(),
            pay: self.pay,
            time_off_seconds: self.paid_time_off_seconds(),
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
    /// The company's time-off types (their pay codes name time off in the exports).
    pub time_off_types: Vec<TimeOffType>,
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
/// (all of the company's for an admin). Reads in thirteen queries (the punches in two halves at once;
/// three for time off), whatever the company's size.
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
    let mut time_off = crate::timeoff::card_time_off(store, company, period.start, period.end).await?;
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
        let mut card = build_time_card(&applied.counted, zone, period.start, period.end, &rules, now);
        attach_time_off(&mut card, &time_off.of(employee.id));
        let missing = card
            .days
            .iter()
            .flat_map(|d| &d.shifts)
            .filter(|s| matches!(s.status, ShiftStatus::MissingClockIn | ShiftStatus::MissingClockOut))
            .count();
        let in_progress = card.days.iter().flat_map(|d| &d.shifts).filter(|s| s.status == ShiftStatus::InProgress).count();
        let live = ApprovedFigures::of(&card, &rules).with_codes(&time_off.types);
        let approved = approvals.figures(employee.id).cloned();
        let changed_since_approval = approved.as_ref().map(|a| a.differences(&live)).unwrap_or_default();
        let shown = approved.as_ref().unwrap_or(&live);
        totals += shown.pay;
        // The time off shown is the approved figures' (a request cancelled after the approval
        // changes nothing), or the card's as it stands.
        let card_time_off: Vec<CardTimeOff> = card.days.iter().flat_map(|d| d.time_off.iter().cloned()).collect();
        let time_off_days = shown.time_off_or(&card_time_off).to_vec();
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
            time_off: totals_by_type(&time_off_days),
            time_off_days,
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
        time_off_types: std::mem::take(&mut time_off.types),
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
pub fn not_approved(period: PayPeriod) -> AppError {
    AppError::conflict(
        "period_not_approved",
        format!(
            "the pay period {} to {} is not approved for payroll, and this company exports only approved periods (Payroll \
             settings: require approval before export); approve the period first, so the hours cannot change after the file is made",
            period.start, period.end
        ),
    )
}

/// The overview's hours written in `format`, with each employee's paid time off under its type's
/// pay code (unpaid time off is paid nowhere, so no export carries it).
pub fn export_file(overview: &Overview, format: ExportFormat, now: DateTime<Utc>) -> Result<ExportFile, DomainError> {
    let employees: Vec<ExportEmployee> = overview
        .rows
        .iter()
        .filter(|r| r.is_exported())
        .map(|r| ExportEmployee {
            time_off: overview.export_time_off(r),
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
    /// A row's paid time off as the exports write it: the hours as shown and the pay codes they
    /// were approved with (`ApprovedFigures::codes_of`), or both as they stand. A type not found
    /// has no codes, so a paid line of it is refused by name rather than exported under a guess.
    fn export_time_off(&self, row: &OverviewRow) -> Vec<ExportTimeOff> {
        row.time_off_days
            .iter()
            .filter(|t| t.paid && t.seconds > 0)
            .map(|t| {
                let now = self.time_off_types.iter().find(|k| k.id == t.type_id).map(|k| k.codes.clone()).unwrap_or_default();
                ExportTimeOff {
                    date: t.date,
                    type_name: t.name.clone(),
                    codes: row.figures().codes_of(t.type_id, &now),
                    seconds: t.seconds,
                }
            })
            .collect()
    }

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
    /// Paid time off (only ever on no job).
    pub time_off_seconds: i64,
}

/// A job and cost code's hours over the period, with the employees who worked them.
#[derive(Debug, Clone)]
pub struct CostingGroup {
    /// None: hours on no job.
    pub job: Option<Job>,
    pub cost_code: Option<CostCode>,
    pub pay: PayHours,
    /// Paid time off (only ever on no job).
    pub time_off_seconds: i64,
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
    /// Paid time off shown (on no job: with no filter or *No job*).
    pub time_off_seconds: i64,
}

/// The overview's hours by job and cost code (`domain::costing`), narrowed by `filter`; paid
/// time off is on no job (`domain::costing::add_time_off`).
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
    let mut summary = summarize(lines.iter().map(|(e, l)| (*e, l.as_slice())));
    // Time off is on no job: shown with every job's hours and with *No job*'s, not with one job's.
    if !matches!(filter, JobFilter::Job(_)) {
        add_time_off(&mut summary, overview.rows.iter().map(|r| (r.employee.id, r.paid_time_off_seconds())));
    }
    let mut groups: Vec<CostingGroup> = summary
        .groups
        .into_iter()
        .map(|g| {
            let time_off = |id: EmployeeId| g.time_off.iter().filter(|(e, _)| *e == id).map(|(_, s)| s).sum();
            let mut people: Vec<CostingEmployee> = g
                .employees
                .iter()
                .filter_map(|(id, pay)| {
                    employees.get(id).map(|e| CostingEmployee { employee: (*e).clone(), pay: *pay, time_off_seconds: time_off(*id) })
                })
                .collect();
            people.sort_by(|a, b| a.employee.name.as_str().cmp(b.employee.name.as_str()));
            CostingGroup {
                job: overview.job(g.key).cloned(),
                cost_code: overview.cost_code(g.key).cloned(),
                pay: g.pay,
                time_off_seconds: g.time_off_seconds,
                employees: people,
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        let job = |g: &CostingGroup| (g.job.is_none(), g.job.as_ref().map(|j| j.number.as_str().to_owned()));
        let code = |g: &CostingGroup| g.cost_code.as_ref().map(|c| c.number.as_str().to_owned());
        job(a).cmp(&job(b)).then_with(|| code(a).cmp(&code(b)))
    });
    Costing { period: overview.period, groups, totals: summary.totals, time_off_seconds: summary.time_off_seconds }
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
                time_off_seconds: e.time_off_seconds,
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
            ApprovalOf::Card(employee) => Some(vec![store.employee(company.id, employee).await?]),
            ApprovalOf::Period => None,
        };
        let o = overview(store, company.id, company.time_zone, approval.period, employees, now).await?;
        let figures: Vec<(EmployeeId, ApprovedFigures)> = o
            .rows
            .iter()
            .filter(|r| match approval.of {
                ApprovalOf::Card(employee) => r.employee.id == employee,
                ApprovalOf::Period => r.approval.as_ref().is_none_or(|a| a.figures.is_none()),
            })
            .map(|r| (r.employee.id, r.live.clone()))
            .collect();
        let subject = match approval.of {
            ApprovalOf::Card(employee) => format!("employee:{employee}"),
            ApprovalOf::Period => format!("period:{}", approval.period.start),
        };
        let line = audit_entry(
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
