//! Payroll: settings, corrections, approvals (which lock a card), exports, and the whole
//! company's punches for a period in one query.

use super::audit::insert_audit;
use super::Db;
use crate::{Approval, ApprovalOf, AuditEntry, ExportRecord, NewApproval, PeriodApprovals, StoreError, UnfrozenApproval};
use chrono::{DateTime, NaiveDate, Utc};
use clockface_domain::approval::ApprovedFigures;
use clockface_domain::correction::{Correction, CorrectionAction, Reason, Replaces};
use clockface_domain::ids::{AdminId, CompanyId, CorrectionId, EmployeeId, PunchId};
use clockface_domain::payroll::{
    parse_weekday, weekday_str, ExportCodes, MealDeduction, OvertimeRule, PayFrequency, PayPeriod, PaySchedule, PayrollSettings,
};
use clockface_domain::punch::PunchKind;
use sqlx::Pool;
use uuid::Uuid;

type Connection = <Db as sqlx::Database>::Connection;

type SettingsRow = (String, NaiveDate, String, String, Option<i64>, Option<i64>, bool, String, bool);

pub(super) async fn payroll_settings(pool: &Pool<Db>, company: CompanyId) -> Result<PayrollSettings, StoreError> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT pay_frequency, period_anchor, workweek_starts, overtime_rule, meal_after_minutes, meal_minutes, breaks_paid, export_codes, \
         require_approval_before_export FROM payroll_settings WHERE company_id = $1",
    )
    .bind(company.0)
    .fetch_optional(pool)
    .await?;
    let Some((frequency, anchor, workweek, overtime, meal_after, meal_minutes, breaks_paid, codes, require_approval)) = row else {
        return Ok(PayrollSettings::default());
    };
    let meal = match (meal_after, meal_minutes) {
        (Some(after), Some(minutes)) => Some(MealDeduction::new(after, minutes)?),
        _ => None,
    };
    Ok(PayrollSettings {
        schedule: PaySchedule { frequency: PayFrequency::parse(&frequency)?, anchor, workweek_starts: parse_weekday(&workweek)? },
        overtime: OvertimeRule::parse(&overtime)?,
        meal,
        breaks_paid,
        codes: serde_json::from_str::<ExportCodes>(&codes).map_err(|e| StoreError::Corrupt(format!("export codes: {e}")))?,
        require_approval_before_export: require_approval,
    })
}

pub(super) async fn set_payroll_settings(
    pool: &Pool<Db>,
    company: CompanyId,
    settings: &PayrollSettings,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let codes = serde_json::to_string(&settings.codes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = super::begin(pool).await?;
    sqlx::query(
        "INSERT INTO payroll_settings (company_id, pay_frequency, period_anchor, workweek_starts, overtime_rule, meal_after_minutes, \
         meal_minutes, export_codes, updated_at, breaks_paid, require_approval_before_export) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (company_id) DO UPDATE SET pay_frequency = $2, period_anchor = $3, workweek_starts = $4, overtime_rule = $5, \
         meal_after_minutes = $6, meal_minutes = $7, export_codes = $8, updated_at = $9, breaks_paid = $10, \
         require_approval_before_export = $11",
    )
    .bind(company.0)
    .bind(settings.schedule.frequency.as_str())
    .bind(settings.schedule.anchor)
    .bind(weekday_str(settings.schedule.workweek_starts))
    .bind(settings.overtime.as_str())
    .bind(settings.meal.map(|m| m.after_minutes))
    .bind(settings.meal.map(|m| m.minutes))
    .bind(codes)
    .bind(now)
    .bind(settings.breaks_paid)
    .bind(settings.require_approval_before_export)
    .execute(&mut *tx)
    .await?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the employee's card for the period starting `start` is locked (its card or the whole period approved).
pub(super) async fn locked<'c, E>(executor: E, company: CompanyId, employee: EmployeeId, start: NaiveDate) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM card_approvals WHERE company_id = $1 AND employee_id = $2 AND period_start = $3) \
         + (SELECT COUNT(*) FROM period_approvals WHERE company_id = $1 AND period_start = $3)",
    )
    .bind(company.0)
    .bind(employee.0)
    .bind(start)
    .fetch_one(executor)
    .await?;
    Ok(n > 0)
}

/// Stores a correction and its audit line in one transaction, unless the card is locked for
/// `period` ([`StoreError::Locked`]) or what it replaces is not this employee's ([`StoreError::NotFound`]).
pub(super) async fn insert_correction(
    pool: &Pool<Db>,
    correction: &Correction,
    target_at: Option<DateTime<Utc>>,
    period: PayPeriod,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let c = correction;
    let (punch, added) = match c.replaces {
        Some(Replaces::Punch(id)) => (Some(id.0), None),
        Some(Replaces::Added(id)) => (None, Some(id.0)),
        None => (None, None),
    };
    let mut tx = super::begin(pool).await?;
    // The audit line first: it takes the company's audit head (and SQLite its write lock), which
    // an approval takes too, so a correction and an approval of the same card cannot pass each
    // other. Then the correction, then the checks it must pass; a failed check rolls all back.
    insert_audit(&mut tx, audit).await?;
    sqlx::query(
        "INSERT INTO corrections (id, company_id, employee_id, action, replaces_punch_id, replaces_correction_id, kind, at, \
         target_at, reason, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.id.0)
    .bind(c.company_id.0)
    .bind(c.employee_id.0)
    .bind(c.action.as_str())
    .bind(punch)
    .bind(added)
    .bind(c.kind.as_str())
    .bind(c.at.map(crate::to_micros))
    .bind(target_at.map(crate::to_micros))
    .bind(c.reason.as_str())
    .bind(c.made_by.0)
    .bind(crate::to_micros(c.made_at))
    .execute(&mut *tx)
    .await?;
    if let Some(punch) = punch {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM punches WHERE company_id = $1 AND employee_id = $2 AND id = $3")
            .bind(c.company_id.0)
            .bind(c.employee_id.0)
            .bind(punch)
            .fetch_one(&mut *tx)
            .await?;
        if found == 0 {
            return Err(StoreError::NotFound);
        }
    }
    if let Some(added) = added {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM corrections WHERE company_id = $1 AND employee_id = $2 AND id = $3 AND action = 'add'",
        )
        .bind(c.company_id.0)
        .bind(c.employee_id.0)
        .bind(added)
        .fetch_one(&mut *tx)
        .await?;
        if found == 0 {
            return Err(StoreError::NotFound);
        }
    }
    if locked(&mut *tx, c.company_id, c.employee_id, period.start).await? {
        return Err(StoreError::Locked);
    }
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: Uuid,
    company_id: Uuid,
    employee_id: Uuid,
    action: String,
    replaces_punch_id: Option<Uuid>,
    replaces_correction_id: Option<Uuid>,
    kind: String,
    at: Option<DateTime<Utc>>,
    reason: String,
    made_by: Uuid,
    made_at: DateTime<Utc>,
}

const CORRECTION_COLUMNS: &str =
    "id, company_id, employee_id, action, replaces_punch_id, replaces_correction_id, kind, at, reason, made_by, made_at";

impl TryFrom<CorrectionRow> for Correction {
    type Error = StoreError;
    fn try_from(row: CorrectionRow) -> Result<Self, StoreError> {
        let replaces = match (row.replaces_punch_id, row.replaces_correction_id) {
            (Some(p), _) => Some(Replaces::Punch(PunchId(p))),
            (None, Some(c)) => Some(Replaces::Added(CorrectionId(c))),
            (None, None) => None,
        };
        Ok(Correction {
            id: CorrectionId(row.id),
            company_id: CompanyId(row.company_id),
            employee_id: EmployeeId(row.employee_id),
            action: CorrectionAction::parse(&row.action)?,
            replaces,
            kind: PunchKind::parse(&row.kind)?,
            at: row.at,
            reason: Reason::stored(row.reason),
            made_by: AdminId(row.made_by),
            made_at: row.made_at,
        })
    }
}

pub(super) async fn correction(pool: &Pool<Db>, company: CompanyId, id: CorrectionId) -> Result<Correction, StoreError> {
    let row: Option<CorrectionRow> = super::row_by_id(pool, CORRECTION_COLUMNS, "corrections", company, id.0).await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// Corrections whose new time or whose target's time lies in `from..to`: of one employee, or
/// (`None`) of the whole company. An added punch's later corrections come with it. Two index
/// searches (by time, by target's time) joined, rather than one OR that neither index serves.
pub(super) async fn corrections(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: Option<EmployeeId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Correction>, StoreError> {
    let rows: Vec<CorrectionRow> = sqlx::query_as(&format!(
        "SELECT {CORRECTION_COLUMNS} FROM corrections WHERE company_id = $1 AND (employee_id = $2 OR $2 IS NULL) AND at >= $3 AND at < $4 \
         UNION SELECT {CORRECTION_COLUMNS} FROM corrections WHERE company_id = $1 AND (employee_id = $2 OR $2 IS NULL) \
         AND target_at >= $3 AND target_at < $4 ORDER BY made_at, id"
    ))
    .bind(company.0)
    .bind(employee.map(|e| e.0))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Correction::try_from).collect()
}

/// Approves one employee's card or the whole period, with the figures it freezes and its audit
/// line, all or nothing. Approving again keeps the first approval (and its figures).
///
/// The audit line is written first: it takes the company's audit head, which a correction's
/// transaction takes before it checks the lock, so the two cannot pass each other. Then the
/// corrections in the period's window are counted again: one made since the figures were counted
/// fails the approval with [`StoreError::Conflict`] (count them again), instead of freezing
/// figures that leave it out.
pub(super) async fn approve(pool: &Pool<Db>, company: CompanyId, new: &NewApproval, audit: &AuditEntry) -> Result<(), StoreError> {
    let approval = &new.approval;
    let mut tx = super::begin(pool).await?;
    // Before anything else (so that no lock is held while waiting): the company's row, which
    // each punch being stored holds a key-share lock on until it commits. The punches that
    // arrived after this approval are then marked below or mark themselves (`punches.rs`).
    sqlx::query(super::LOCK_COMPANY).bind(company.0).execute(&mut *tx).await?;
    insert_audit(&mut tx, audit).await?;
    let employee = match new.of {
        ApprovalOf::Card(employee) => Some(employee),
        ApprovalOf::Period => None,
    };
    let counted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM corrections WHERE company_id = $1 AND (employee_id = $2 OR $2 IS NULL) \
         AND ((at >= $3 AND at < $4) OR (target_at >= $3 AND target_at < $4))",
    )
    .bind(company.0)
    .bind(employee.map(|e| e.0))
    .bind(crate::to_micros(new.counted_in.0))
    .bind(crate::to_micros(new.counted_in.1))
    .fetch_one(&mut *tx)
    .await?;
    if usize::try_from(counted).ok() != Some(new.corrections_counted) {
        return Err(StoreError::Conflict);
    }
    let figures_json = |f: &ApprovedFigures| serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()));
    let inserted =
        match new.of {
            ApprovalOf::Card(employee) => {
                let figures = new.figures.iter().find(|(e, _)| *e == employee).map(|(_, f)| figures_json(f)).transpose()?;
                sqlx::query(
                "INSERT INTO card_approvals (company_id, employee_id, period_start, period_end, approved_by, approved_at, window_start, \
                 window_end, figures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            )
            .bind(company.0)
            .bind(employee.0)
            .bind(approval.period.start)
            .bind(approval.period.end)
            .bind(approval.approved_by.0)
            .bind(crate::to_micros(approval.approved_at))
            .bind(crate::to_micros(approval.window.0))
            .bind(crate::to_micros(approval.window.1))
            .bind(figures)
            .execute(&mut *tx)
            .await?
            }
            ApprovalOf::Period => sqlx::query(
                "INSERT INTO period_approvals (company_id, period_start, period_end, approved_by, approved_at, window_start, window_end) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(company.0)
            .bind(approval.period.start)
            .bind(approval.period.end)
            .bind(approval.approved_by.0)
            .bind(crate::to_micros(approval.approved_at))
            .bind(crate::to_micros(approval.window.0))
            .bind(crate::to_micros(approval.window.1))
            .execute(&mut *tx)
            .await?,
        };
    if inserted.rows_affected() == 0 {
        // Approved already: the first approval and its figures stand; nothing to audit either.
        return Ok(());
    }
    if new.of == ApprovalOf::Period {
        for (employee, figures) in &new.figures {
            insert_period_figures(&mut tx, company, approval.period.start, *employee, &figures_json(figures)?).await?;
        }
    }
    // Punches of the window that reached the server after the approval's instant (stored while
    // it was being made, or by a node whose clock is ahead) arrived after it.
    let card = if employee.is_some() { " AND employee_id = $5" } else { "" };
    let sql = format!(
        "UPDATE punches SET after_approval = TRUE WHERE company_id = $1{card} \
         AND occurred_at >= $2 AND occurred_at < $3 AND received_at > $4 AND NOT after_approval"
    );
    let mut mark = sqlx::query(&sql)
        .bind(company.0)
        .bind(crate::to_micros(approval.window.0))
        .bind(crate::to_micros(approval.window.1))
        .bind(crate::to_micros(approval.approved_at));
    if let Some(employee) = employee {
        mark = mark.bind(employee.0);
    }
    mark.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_period_figures(
    conn: &mut Connection,
    company: CompanyId,
    start: NaiveDate,
    employee: EmployeeId,
    figures: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO period_approval_figures (company_id, period_start, employee_id, figures) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(company.0)
    .bind(start)
    .bind(employee.0)
    .bind(figures)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Approvals whose figures were never frozen: cards approved without figures, and periods
/// approved for payroll with no figures of their own (both made by earlier releases).
pub(super) async fn unfrozen_approvals(pool: &Pool<Db>) -> Result<Vec<UnfrozenApproval>, StoreError> {
    let rows: Vec<(Uuid, Option<Uuid>, NaiveDate, NaiveDate)> = sqlx::query_as(
        "SELECT company_id, employee_id, period_start, period_end FROM card_approvals WHERE figures IS NULL \
         UNION ALL SELECT a.company_id, NULL, a.period_start, a.period_end FROM period_approvals a \
         WHERE NOT EXISTS (SELECT 1 FROM period_approval_figures f WHERE f.company_id = a.company_id AND f.period_start = a.period_start)",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company, employee, start, end)| UnfrozenApproval {
            company: CompanyId(company),
            of: employee.map_or(ApprovalOf::Period, |e| ApprovalOf::Card(EmployeeId(e))),
            period: PayPeriod { start, end },
        })
        .collect())
}

/// Freezes the figures of an approval made without them; figures frozen already stay.
pub(super) async fn freeze_approval(
    pool: &Pool<Db>,
    approval: &UnfrozenApproval,
    figures: &[(EmployeeId, ApprovedFigures)],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let json = |f: &ApprovedFigures| serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()));
    let mut frozen = 0;
    for (employee, f) in figures {
        frozen += match approval.of {
            ApprovalOf::Card(card) if card == *employee => sqlx::query(
                "UPDATE card_approvals SET figures = $4 WHERE company_id = $1 AND employee_id = $2 AND period_start = $3 \
                 AND figures IS NULL",
            )
            .bind(approval.company.0)
            .bind(employee.0)
            .bind(approval.period.start)
            .bind(json(f)?)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            ApprovalOf::Card(_) => 0,
            ApprovalOf::Period => {
                insert_period_figures(&mut tx, approval.company, approval.period.start, *employee, &json(f)?).await?;
                1
            }
        };
    }
    if frozen > 0 {
        insert_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes back an approval (the audit line carries the reason); false when there was none. A
/// period's figures go with it (cards approved on their own keep theirs).
pub(super) async fn reopen(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: Option<EmployeeId>,
    period: PayPeriod,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = super::begin(pool).await?;
    insert_audit(&mut tx, audit).await?;
    let done = match employee {
        Some(employee) => {
            sqlx::query("DELETE FROM card_approvals WHERE company_id = $1 AND employee_id = $2 AND period_start = $3")
                .bind(company.0)
                .bind(employee.0)
                .bind(period.start)
                .execute(&mut *tx)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM period_approval_figures WHERE company_id = $1 AND period_start = $2")
                .bind(company.0)
                .bind(period.start)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM period_approvals WHERE company_id = $1 AND period_start = $2")
                .bind(company.0)
                .bind(period.start)
                .execute(&mut *tx)
                .await?
        }
    };
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    // The punches that arrived after this approval and fall in no other: off the list.
    sqlx::query(&format!(
        "UPDATE punches SET after_approval = FALSE WHERE company_id = $1 AND after_approval AND NOT ({})",
        in_an_approval_it_arrived_after("punches")
    ))
    .bind(company.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

type ApprovalRow = (Option<Uuid>, NaiveDate, NaiveDate, Uuid, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, Option<String>);

fn parse_figures(json: &str) -> Result<ApprovedFigures, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("approved figures: {e}")))
}

/// The period's approval and its cards', with their figures, in two queries.
pub(super) async fn approvals(pool: &Pool<Db>, company: CompanyId, period: PayPeriod) -> Result<PeriodApprovals, StoreError> {
    let rows: Vec<ApprovalRow> = sqlx::query_as(
        "SELECT employee_id, period_start, period_end, approved_by, approved_at, window_start, window_end, figures \
         FROM card_approvals WHERE company_id = $1 AND period_start = $2 \
         UNION ALL SELECT NULL, period_start, period_end, approved_by, approved_at, window_start, window_end, NULL \
         FROM period_approvals WHERE company_id = $1 AND period_start = $2",
    )
    .bind(company.0)
    .bind(period.start)
    .fetch_all(pool)
    .await?;
    let mut out = PeriodApprovals::default();
    for (employee, start, end, by, at, window_start, window_end, figures) in rows {
        let approval = Approval {
            period: PayPeriod { start, end },
            window: (window_start, window_end),
            approved_by: AdminId(by),
            approved_at: at,
            figures: figures.as_deref().map(parse_figures).transpose()?,
        };
        match employee {
            Some(e) => {
                out.cards.insert(EmployeeId(e), approval);
            }
            None => out.period = Some(approval),
        }
    }
    if out.period.is_some() {
        let rows: Vec<(Uuid, String)> =
            sqlx::query_as("SELECT employee_id, figures FROM period_approval_figures WHERE company_id = $1 AND period_start = $2")
                .bind(company.0)
                .bind(period.start)
                .fetch_all(pool)
                .await?;
        for (employee, figures) in rows {
            out.period_figures.insert(EmployeeId(employee), parse_figures(&figures)?);
        }
    }
    Ok(out)
}

/// The periods in which the company has an approval (a card's or the period's), oldest first.
pub(super) async fn approved_periods(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<PayPeriod>, StoreError> {
    let rows: Vec<(NaiveDate, NaiveDate)> = sqlx::query_as(
        "SELECT period_start, period_end FROM card_approvals WHERE company_id = $1 \
         UNION SELECT period_start, period_end FROM period_approvals WHERE company_id = $1 ORDER BY 1",
    )
    .bind(company.0)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(start, end)| PayPeriod { start, end }).collect())
}

/// Records an export (with what it said of each employee) and its audit line; returns the
/// period's earlier exports, newest first.
pub(super) async fn record_export(
    pool: &Pool<Db>,
    company: CompanyId,
    period: PayPeriod,
    record: &ExportRecord,
    audit: &AuditEntry,
) -> Result<Vec<ExportRecord>, StoreError> {
    let figures = record.figures.as_ref().map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = super::begin(pool).await?;
    sqlx::query(
        "INSERT INTO period_exports (id, company_id, period_start, period_end, format, exported_by, exported_at, figures) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::new_id())
    .bind(company.0)
    .bind(period.start)
    .bind(period.end)
    .bind(&record.format)
    .bind(record.exported_by.0)
    .bind(crate::to_micros(record.exported_at))
    .bind(figures)
    .execute(&mut *tx)
    .await?;
    insert_audit(&mut tx, audit).await?;
    let earlier = exports_in(&mut *tx, company, period).await?;
    tx.commit().await?;
    Ok(earlier.into_iter().filter(|e| e.exported_at < crate::to_micros(record.exported_at)).collect())
}

async fn exports_in<'c, E>(executor: E, company: CompanyId, period: PayPeriod) -> Result<Vec<ExportRecord>, StoreError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let rows: Vec<(String, Uuid, DateTime<Utc>, Option<String>)> = sqlx::query_as(
        "SELECT format, exported_by, exported_at, figures FROM period_exports WHERE company_id = $1 AND period_start = $2 \
         ORDER BY exported_at DESC",
    )
    .bind(company.0)
    .bind(period.start)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(format, by, at, figures)| {
            let figures = figures
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("an export's figures: {e}")))?;
            Ok(ExportRecord { format, exported_by: AdminId(by), exported_at: at, figures })
        })
        .collect()
}

/// The period's exports, newest first.
pub(super) async fn exports(pool: &Pool<Db>, company: CompanyId, period: PayPeriod) -> Result<Vec<ExportRecord>, StoreError> {
    exports_in(pool, company, period).await
}

/// The condition that a punch `p` (its table's name or alias) falls in an approved card or period
/// and reached the server after that approval.
pub(super) fn in_an_approval_it_arrived_after(p: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM card_approvals a WHERE a.company_id = {p}.company_id AND a.employee_id = {p}.employee_id \
         AND {p}.occurred_at >= a.window_start AND {p}.occurred_at < a.window_end AND {p}.received_at > a.approved_at) \
         OR EXISTS (SELECT 1 FROM period_approvals a WHERE a.company_id = {p}.company_id \
         AND {p}.occurred_at >= a.window_start AND {p}.occurred_at < a.window_end AND {p}.received_at > a.approved_at)"
    )
}

/// Punches that reached the server after the card (or period) they fall in was approved, newest
/// first: the review queue lists them.
///
/// Read from the punches marked when they arrived into an approved window, or when an approval
/// covered them after they arrived (`punches.after_approval`, on the partial index
/// `punches_after_approval`), never the company's whole history; a reopening takes the marks off.
/// Each marked punch is checked against the approvals again (its card's by key, the company's few
/// period approvals), so the list is exactly the approvals' even while a reopening is under way.
pub(super) async fn arrived_after_approval(
    pool: &Pool<Db>,
    company: CompanyId,
    supervisor: Option<AdminId>,
    limit: i64,
) -> Result<Vec<clockface_domain::punch::Punch>, StoreError> {
    let sql = format!(
        "SELECT p.* FROM punches p WHERE p.company_id = $1 AND p.after_approval AND ({}){} \
         ORDER BY p.received_at DESC, p.id DESC LIMIT $2",
        in_an_approval_it_arrived_after("p"),
        super::reviews::assigned_to(supervisor, 3)
    );
    let mut query = sqlx::query_as(&sql).bind(company.0).bind(limit);
    if let Some(supervisor) = supervisor {
        query = query.bind(supervisor.0);
    }
    let rows: Vec<crate::records::PunchRow> = query.fetch_all(pool).await?;
    rows.into_iter().map(clockface_domain::punch::Punch::try_from).collect()
}
