//! Payroll exports: a pay period's hours written in the file layout each payroll system imports
//! (`../shared/PAYROLL.md` has the layouts and where they were read). Pure text in, text out;
//! the web layer reads the hours and serves the file.
//!
//! Hours are written with two decimals, rounded to the nearest hundredth of an hour per line.
//! A name is split into first and last at its last space (Gusto, QuickBooks); a one-word name is
//! a last name.
//!
//! Jobs and cost codes (job costing, [`crate::costing`]: a day's hours split by the job and cost
//! code they were worked on, overtime on the hours after the threshold) go where a layout has a
//! place for them: clockface's CSV (a line per employee per day per job and cost code: `job` the
//! job's number, `cost_code` the cost code's number), Paychex Flex's `JOB NUMBER` (the job's
//! number; a line per employee per job per pay component; Paychex has no cost code column) and
//! QuickBooks' `JOB` (the job's name, which must be the "Customer:Job" name QuickBooks knows; cost
//! codes are not written, since `ITEM` must name a service item that exists there). ADP (EPI and
//! RUN) and Gusto get the employee's totals without jobs: ADP's `Temp Dept` and `Worked In Dept`
//! are departments, which a job number would not name, and Gusto has no such column.
//!
//! Paid time off (approved requests and company holidays, [`ExportTimeOff`]) is written under
//! its type's pay code, never as regular or overtime hours: clockface's CSV a line per day and
//! type (`time_off_type`, `time_off_hours`), ADP Workforce Now a row per code (`Hours 3 Code`),
//! ADP RUN a row per earnings code, Paychex a line per pay component (no job), Gusto a column per
//! code, QuickBooks a row per day per payroll item (no job). A paid type with no code for the
//! format is refused, naming the type and the format. A period without time off writes exactly
//! the file it wrote before time off existed (no extra column). Unpaid time off is not given to
//! an export: it is paid nowhere.

use crate::payroll::{ExportCodes, PayFrequency, PayHours, PayPeriod};
use crate::text::{inert_cell, not_formula, starts_formula};
use crate::timeoff::TimeOffPayCodes;
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The payroll systems clockface writes files for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// clockface's own CSV: one line per employee per day worked.
    Csv,
    /// ADP Workforce Now paydata import (EPI file).
    AdpWfn,
    /// ADP RUN time sheet import.
    AdpRun,
    /// Paychex Flex pay data CSV.
    Paychex,
    /// Gusto hours CSV upload.
    Gusto,
    /// QuickBooks Desktop IIF timer activities.
    QuickbooksIif,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::Csv,
        ExportFormat::AdpWfn,
        ExportFormat::AdpRun,
        ExportFormat::Paychex,
        ExportFormat::Gusto,
        ExportFormat::QuickbooksIif,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::AdpWfn => "adp_wfn",
            ExportFormat::AdpRun => "adp_run",
            ExportFormat::Paychex => "paychex",
            ExportFormat::Gusto => "gusto",
            ExportFormat::QuickbooksIif => "quickbooks_iif",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Csv => "CSV (clockface)",
            ExportFormat::AdpWfn => "ADP Workforce Now (paydata EPI)",
            ExportFormat::AdpRun => "ADP RUN (time sheet import)",
            ExportFormat::Paychex => "Paychex Flex",
            ExportFormat::Gusto => "Gusto (hours CSV)",
            ExportFormat::QuickbooksIif => "QuickBooks Desktop (IIF timer activities)",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw).ok_or_else(|| {
            DomainError::invalid("format", format!("`{raw}` is not one of csv, adp_wfn, adp_run, paychex, gusto, quickbooks_iif"))
        })
    }
}

/// The job hours were worked on, as the exports write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub number: String,
    pub name: String,
}

/// A day's hours on one job and cost code (or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLine {
    pub date: NaiveDate,
    pub job: Option<ExportJob>,
    /// The cost code's number.
    pub cost_code: Option<String>,
    pub pay: PayHours,
}

impl ExportLine {
    /// A day's hours with no job.
    pub fn day(date: NaiveDate, pay: PayHours) -> Self {
        ExportLine { date, job: None, cost_code: None, pay }
    }
}

/// A day's paid time off of one type, as the exports write it under the type's pay code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTimeOff {
    pub date: NaiveDate,
    /// The type's name: clockface's CSV writes it, a missing code's refusal names it.
    pub type_name: String,
    pub codes: TimeOffPayCodes,
    pub seconds: i64,
}

impl ExportTimeOff {
    /// What `format` writes these hours under: the type's pay code there (refused, naming the
    /// type and the format, when it is not set), or its name in clockface's CSV.
    fn code(&self, format: ExportFormat) -> Result<&str, DomainError> {
        match self.codes.code_for(format, &self.type_name)? {
            Some(code) => {
                if let Some((field, _)) = self.codes.field_for(format) {
                    not_formula(field, code)?;
                }
                Ok(code)
            }
            None => Ok(&self.type_name),
        }
    }
}

/// What an export said of one employee: kept with the export's record, so that the next export
/// of the same period can say how its figures differ ([`changes_since`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportedEmployee {
    pub employee_id: crate::ids::EmployeeId,
    pub number: String,
    pub name: String,
    #[serde(flatten)]
    pub pay: PayHours,
    /// Paid time off in the file (none in the records of files made before time off was exported).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time_off_seconds: i64,
}

fn is_zero(seconds: &i64) -> bool {
    *seconds == 0
}

/// One employee whose hours differ between an earlier export and now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExportChange {
    pub employee_id: crate::ids::EmployeeId,
    pub number: String,
    pub name: String,
    /// What the earlier file said (zero when the employee was not in it).
    pub before: PayHours,
    /// What a file made now says (zero when the employee is no longer in it).
    pub now: PayHours,
    /// Paid time off, before and now.
    pub time_off_before_seconds: i64,
    pub time_off_now_seconds: i64,
}

/// The employees whose hours (worked, or paid time off) differ between `earlier` (an export's
/// figures) and `now`, in the order of `now` and then of the ones only `earlier` had.
pub fn changes_since(earlier: &[ExportedEmployee], now: &[ExportedEmployee]) -> Vec<ExportChange> {
    let change = |e: &ExportedEmployee, before: (PayHours, i64), now: (PayHours, i64)| ExportChange {
        employee_id: e.employee_id,
        number: e.number.clone(),
        name: e.name.clone(),
        before: before.0,
        now: now.0,
        time_off_before_seconds: before.1,
        time_off_now_seconds: now.1,
    };
    let mut changes = Vec::new();
    for e in now {
        let before = earlier.iter().find(|b| b.employee_id == e.employee_id).map(|b| (b.pay, b.time_off_seconds)).unwrap_or_default();
        if before != (e.pay, e.time_off_seconds) {
            changes.push(change(e, before, (e.pay, e.time_off_seconds)));
        }
    }
    for b in earlier.iter().filter(|b| !now.iter().any(|e| e.employee_id == b.employee_id)) {
        if b.pay.total() != 0 || b.time_off_seconds != 0 {
            changes.push(change(b, (b.pay, b.time_off_seconds), Default::default()));
        }
    }
    changes
}

/// One employee's hours for the period, by day and job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEmployee {
    pub number: String,
    pub name: String,
    /// Days with hours, in date order; a day worked on several jobs or cost codes has a line for each.
    pub lines: Vec<ExportLine>,
    /// Paid time off, a line per day and type, in date order.
    pub time_off: Vec<ExportTimeOff>,
}

impl ExportEmployee {
    pub fn totals(&self) -> PayHours {
        let mut total = PayHours::default();
        for line in &self.lines {
            total += line.pay;
        }
        total
    }

    /// The hours by job (no job first, then by job number), for layouts with a job but no date.
    fn by_job(&self) -> Vec<(Option<&ExportJob>, PayHours)> {
        let mut jobs: Vec<(Option<&ExportJob>, PayHours)> = Vec::new();
        for line in &self.lines {
            match jobs.iter_mut().find(|(job, _)| *job == line.job.as_ref()) {
                Some((_, pay)) => *pay += line.pay,
                None => jobs.push((line.job.as_ref(), line.pay)),
            }
        }
        jobs.sort_by(|a, b| a.0.map(|j| &j.number).cmp(&b.0.map(|j| &j.number)));
        jobs
    }

    /// The period's time off by the code `format` writes it under, in the order each code first
    /// appears (two types sharing a code are summed).
    fn time_off_by_code(&self, format: ExportFormat) -> Result<Vec<(&str, i64)>, DomainError> {
        let mut codes: Vec<(&str, i64)> = Vec::new();
        for line in &self.time_off {
            let code = line.code(format)?;
            match codes.iter_mut().find(|(c, _)| *c == code) {
                Some((_, seconds)) => *seconds += line.seconds,
                None => codes.push((code, line.seconds)),
            }
        }
        Ok(codes)
    }

    /// (first, last): split at the last space.
    pub fn first_last(&self) -> (&str, &str) {
        match self.name.trim().rsplit_once(' ') {
            Some((first, last)) => (first.trim(), last),
            None => ("", self.name.trim()),
        }
    }
}

/// A file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub body: String,
}

/// Hours in hundredths, from seconds, rounded to the nearest (half up).
fn hundredths(seconds: i64) -> i64 {
    (seconds * 100 + 1800).div_euclid(3600)
}

/// Hours with two decimals: `8.00`, `1.50`.
pub fn hours_2dp(seconds: i64) -> String {
    let h = hundredths(seconds);
    format!("{}.{:02}", h / 100, h % 100)
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| csv(f.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn mdy(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

fn require(value: &str, field: &'static str, what: &str, max: usize) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, format!("set {what} in Payroll settings before exporting")));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(field, format!("{what} is at most {max} characters")));
    }
    Ok(())
}

/// Checks what an import format (ADP, Paychex, QuickBooks) would carry of each employee and
/// job: none may start a spreadsheet formula, since these files cannot mark a cell as text.
/// Such values are refused where they are entered; this refuses one stored before that rule,
/// naming the employee or job so that it can be changed.
fn importable(employees: &[ExportEmployee], format: ExportFormat) -> Result<(), DomainError> {
    let refuse = |field: &'static str, whose: String, value: &str| {
        DomainError::invalid(
            field,
            format!(
                "{whose} `{}` starts like a spreadsheet formula, which a {} file cannot carry safely; change it (without a leading =, +, -, @) before exporting",
                value.escape_debug(),
                format.label()
            ),
        )
    };
    for e in employees {
        if starts_formula(&e.number) {
            return Err(refuse("number", format!("employee {}'s number", e.name.escape_debug()), &e.number));
        }
        if starts_formula(e.name.trim()) || starts_formula(e.first_last().0) || starts_formula(e.first_last().1) {
            return Err(refuse("name", format!("the name of employee {}", e.number), &e.name));
        }
        for job in e.lines.iter().filter_map(|l| l.job.as_ref()) {
            if starts_formula(&job.number) {
                return Err(refuse("job", "a job's number".to_owned(), &job.number));
            }
            if starts_formula(&job.name) {
                return Err(refuse("job", format!("job {}'s name", job.number), &job.name));
            }
        }
    }
    Ok(())
}

/// Writes the period's file for `format`. `frequency` is the company's pay frequency (ADP RUN
/// wants it); `generated_at` goes where a layout wants a time (QuickBooks' header).
pub fn export(
    format: ExportFormat,
    period: PayPeriod,
    frequency: PayFrequency,
    codes: &ExportCodes,
    employees: &[ExportEmployee],
    generated_at: DateTime<Utc>,
) -> Result<ExportFile, DomainError> {
    let stamp = format!("{}_{}", period.start.format("%Y%m%d"), period.end.format("%Y%m%d"));
    match format {
        ExportFormat::Csv => {
            // The time-off columns come only with time off, so a file without any is the one
            // written before time off existed.
            let with_time_off = employees.iter().any(|e| !e.time_off.is_empty());
            let mut header = vec![
                "employee_number",
                "employee_name",
                "date",
                "regular_hours",
                "overtime_hours",
                "double_time_hours",
                "total_hours",
                "job",
                "cost_code",
            ];
            if with_time_off {
                header.extend(["time_off_type", "time_off_hours"]);
            }
            let mut body = csv_line(&header);
            for e in employees {
                let (number, name) = (inert_cell(&e.number), inert_cell(&e.name));
                // (date, line): a day's hours worked first, then its time off.
                let mut rows: Vec<(NaiveDate, String)> = Vec::new();
                for line in &e.lines {
                    let pay = line.pay;
                    let mut fields = vec![
                        number.clone(),
                        name.clone(),
                        line.date.to_string(),
                        hours_2dp(pay.regular_seconds),
                        hours_2dp(pay.overtime_seconds),
                        hours_2dp(pay.double_time_seconds),
                        hours_2dp(pay.total()),
                        inert_cell(line.job.as_ref().map_or("", |j| j.number.as_str())),
                        inert_cell(line.cost_code.as_deref().unwrap_or("")),
                    ];
                    if with_time_off {
                        fields.extend([String::new(), String::new()]);
                    }
                    rows.push((line.date, csv_line(&fields)));
                }
                for off in &e.time_off {
                    let none = hours_2dp(0);
                    let fields = [
                        number.clone(),
                        name.clone(),
                        off.date.to_string(),
                        none.clone(),
                        none.clone(),
                        none.clone(),
                        none,
                        String::new(),
                        String::new(),
                        inert_cell(off.code(format)?),
                        hours_2dp(off.seconds),
                    ];
                    rows.push((off.date, csv_line(&fields)));
                }
                rows.sort_by_key(|(date, _)| *date);
                body.extend(rows.into_iter().map(|(_, row)| row));
            }
            Ok(ExportFile { file_name: format!("clockface_{stamp}.csv"), content_type: "text/csv; charset=utf-8", body })
        }
        ExportFormat::AdpWfn => {
            let co = codes.adp_company_code.trim();
            if co.chars().count() != 3 {
                return Err(DomainError::invalid(
                    "adp_company_code",
                    "set the ADP Workforce Now company code (3 characters) in Payroll settings before exporting",
                ));
            }
            // The batch id is the company's prefix and the period's start (`7` -> `7261116`), so
            // each period's file has a name of its own and never overwrites another's.
            let prefix = codes.adp_batch_id.trim();
            if prefix.chars().count() > 14 {
                return Err(DomainError::invalid("adp_batch_id", "the ADP batch id prefix is at most 14 characters"));
            }
            let batch = &format!("{prefix}{}", period.start.format("%y%m%d"));
            not_formula("adp_company_code", co)?;
            not_formula("adp_batch_id", prefix)?;
            not_formula("adp_double_time_code", codes.adp_double_time_code.trim())?;
            importable(employees, format)?;
            let mut body = csv_line(&["Co Code", "Batch ID", "File #", "Reg Hours", "O/T Hours", "Hours 3 Code", "Hours 3 Amount"]);
            for e in employees {
                let pay = e.totals();
                let file = if e.number.chars().all(|c| c.is_ascii_digit()) && e.number.len() < 6 {
                    format!("{:0>6}", e.number)
                } else {
                    e.number.clone()
                };
                let (code3, amount3) = if pay.double_time_seconds > 0 {
                    (codes.adp_double_time_code.trim().to_owned(), hours_2dp(pay.double_time_seconds))
                } else {
                    (String::new(), String::new())
                };
                let time_off = e.time_off_by_code(format)?;
                // An employee with time off only has no row of hours worked.
                if pay.total() > 0 || time_off.is_empty() {
                    body.push_str(&csv_line(&[
                        co,
                        batch,
                        &file,
                        &hours_2dp(pay.regular_seconds),
                        &hours_2dp(pay.overtime_seconds),
                        &code3,
                        &amount3,
                    ]));
                }
                // Time off: a row of its own per hours code, in `Hours 3 Code` / `Hours 3 Amount`.
                for (code, seconds) in time_off {
                    body.push_str(&csv_line(&[co, batch, &file, "", "", code, &hours_2dp(seconds)]));
                }
            }
            Ok(ExportFile { file_name: format!("EPI{co}{batch}.csv"), content_type: "text/csv; charset=utf-8", body })
        }
        ExportFormat::AdpRun => {
            require(&codes.adp_run_iid, "adp_run_iid", "the ADP RUN client id (IID)", 20)?;
            not_formula("adp_run_iid", codes.adp_run_iid.trim())?;
            not_formula("adp_run_regular_code", codes.adp_run_regular_code.trim())?;
            not_formula("adp_run_overtime_code", codes.adp_run_overtime_code.trim())?;
            not_formula("adp_run_double_time_code", codes.adp_run_double_time_code.trim())?;
            importable(employees, format)?;
            let mut body = String::from("##GENERIC## V1.0\r\n");
            body.push_str(&csv_line(&[
                "IID",
                "Pay Frequency",
                "Pay Period Start Date",
                "Pay Period End Date",
                "Employee ID",
                "Earnings Code",
                "Pay Hours",
                "Dollars",
                "Separate Check",
                "Worked In Dept",
                "Rate Code",
            ]));
            for e in employees {
                let pay = e.totals();
                let worked = [
                    (codes.adp_run_regular_code.as_str(), pay.regular_seconds),
                    (codes.adp_run_overtime_code.as_str(), pay.overtime_seconds),
                    (codes.adp_run_double_time_code.as_str(), pay.double_time_seconds),
                ];
                // Time off: a row per earnings code (VAC, SCK, ...) after the hours worked.
                for (code, seconds) in worked.into_iter().chain(e.time_off_by_code(format)?) {
                    if seconds > 0 {
                        body.push_str(&csv_line(&[
                            codes.adp_run_iid.trim(),
                            frequency.adp_letter(),
                            &mdy(period.start),
                            &mdy(period.end),
                            &e.number,
                            code.trim(),
                            &hours_2dp(seconds),
                            "",
                            "0",
                            "",
                            "BASE",
                        ]));
                    }
                }
            }
            Ok(ExportFile { file_name: format!("adp_run_{stamp}.csv"), content_type: "text/csv; charset=utf-8", body })
        }
        ExportFormat::Paychex => {
            require(&codes.paychex_client_id, "paychex_client_id", "the Paychex client id", 8)?;
            not_formula("paychex_client_id", codes.paychex_client_id.trim())?;
            not_formula("paychex_regular", codes.paychex_regular.trim())?;
            not_formula("paychex_overtime", codes.paychex_overtime.trim())?;
            not_formula("paychex_double_time", codes.paychex_double_time.trim())?;
            importable(employees, format)?;
            let mut body = csv_line(&[
                "CLIENT ID",
                "WORKER ID",
                "ORG",
                "JOB NUMBER",
                "PAY COMPONENT",
                "RATE",
                "RATE NUMBER",
                "HOURS",
                "UNITS",
                "LINE DATE",
                "AMOUNT",
                "CHECK SEQ NUMBER",
                "OVERRIDE STATE",
                "OVERRIDE LOCAL",
                "OVERRIDE LOCAL JURISDICTION",
                "LABOR ASSIGNMENT",
            ]);
            for e in employees {
                if e.number.chars().count() > 10 {
                    return Err(DomainError::invalid(
                        "number",
                        format!("Paychex worker ids are at most 10 characters; {}'s number {} is longer", e.name, e.number),
                    ));
                }
                let worked = e.by_job().into_iter().flat_map(|(job, pay)| {
                    [
                        (job, codes.paychex_regular.as_str(), pay.regular_seconds),
                        (job, codes.paychex_overtime.as_str(), pay.overtime_seconds),
                        (job, codes.paychex_double_time.as_str(), pay.double_time_seconds),
                    ]
                });
                // Time off: a line per pay component after the hours worked, on no job.
                let time_off = e.time_off_by_code(format)?.into_iter().map(|(component, seconds)| (None, component, seconds));
                for (job, component, seconds) in worked.chain(time_off) {
                    if seconds <= 0 {
                        continue;
                    }
                    body.push_str(&csv_line(&[
                        codes.paychex_client_id.trim(),
                        &e.number,
                        "",
                        job.map_or("", |j| j.number.as_str()),
                        component.trim(),
                        "",
                        "",
                        &hours_2dp(seconds),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                    ]));
                }
            }
            Ok(ExportFile { file_name: format!("paychex_{stamp}.csv"), content_type: "text/csv; charset=utf-8", body })
        }
        ExportFormat::Gusto => {
            const WORKED: [&str; 5] = ["first_name", "last_name", "regular_hours", "overtime_hours", "double_overtime_hours"];
            let time_off = employees.iter().map(|e| e.time_off_by_code(format)).collect::<Result<Vec<_>, _>>()?;
            // A column per time-off code, in the order each first appears; every employee's row
            // has each (0.00 without any: a blank cell would leave Gusto's value as it was).
            let mut columns: Vec<&str> = Vec::new();
            for (code, _) in time_off.iter().flatten() {
                if WORKED.contains(code) {
                    return Err(DomainError::invalid(
                        "gusto_column",
                        format!("the Gusto column of a time-off type cannot be {code}, which holds the hours worked"),
                    ));
                }
                if !columns.contains(code) {
                    columns.push(code);
                }
            }
            let mut body = csv_line(&[&WORKED[..], &columns].concat());
            for (e, time_off) in employees.iter().zip(&time_off) {
                let pay = e.totals();
                let (first, last) = e.first_last();
                let mut fields = vec![
                    inert_cell(first),
                    inert_cell(last),
                    hours_2dp(pay.regular_seconds),
                    hours_2dp(pay.overtime_seconds),
                    hours_2dp(pay.double_time_seconds),
                ];
                for column in &columns {
                    fields.push(hours_2dp(time_off.iter().filter(|(code, _)| code == column).map(|(_, s)| s).sum()));
                }
                body.push_str(&csv_line(&fields));
            }
            Ok(ExportFile { file_name: format!("gusto_hours_{stamp}.csv"), content_type: "text/csv; charset=utf-8", body })
        }
        ExportFormat::QuickbooksIif => {
            require(&codes.quickbooks_company, "quickbooks_company", "the QuickBooks company name", 100)?;
            not_formula("quickbooks_company", codes.quickbooks_company.trim())?;
            not_formula("quickbooks_regular_item", codes.quickbooks_regular_item.trim())?;
            not_formula("quickbooks_overtime_item", codes.quickbooks_overtime_item.trim())?;
            not_formula("quickbooks_double_time_item", codes.quickbooks_double_time_item.trim())?;
            importable(employees, format)?;
            let tsv = |fields: &[&str]| -> String {
                let mut line = fields.iter().map(|f| f.replace(['\t', '\r', '\n'], " ")).collect::<Vec<_>>().join("\t");
                line.push_str("\r\n");
                line
            };
            let mut body = tsv(&["!TIMERHDR", "VER", "REL", "COMPANYNAME", "IMPORTEDBEFORE", "FROMTIMER", "COMPANYCREATETIME"]);
            // The company file's own create time when it is set (QuickBooks matches the file to
            // the company file by it), else the export's time, as before the setting existed.
            let create_time = match codes.quickbooks_company_create_time.trim() {
                "" => generated_at.timestamp().to_string(),
                set => set.to_owned(),
            };
            body.push_str(&tsv(&["TIMERHDR", "8", "0", codes.quickbooks_company.trim(), "N", "Y", &create_time]));
            body.push_str(&tsv(&[
                "!TIMEACT",
                "DATE",
                "JOB",
                "EMP",
                "ITEM",
                "PITEM",
                "DURATION",
                "PROJ",
                "NOTE",
                "XFERTOPAYROLL",
                "BILLINGSTATUS",
            ]));
            for e in employees {
                let (first, last) = e.first_last();
                let emp = if first.is_empty() { last.to_owned() } else { format!("{last}, {first}") };
                // (date, job's name, payroll item, seconds): each day's hours worked, then its time off on no job.
                let mut entries: Vec<(NaiveDate, &str, &str, i64)> = Vec::new();
                for line in &e.lines {
                    let (job, pay) = (line.job.as_ref().map_or("", |j| j.name.as_str()), line.pay);
                    entries.extend([
                        (line.date, job, codes.quickbooks_regular_item.as_str(), pay.regular_seconds),
                        (line.date, job, codes.quickbooks_overtime_item.as_str(), pay.overtime_seconds),
                        (line.date, job, codes.quickbooks_double_time_item.as_str(), pay.double_time_seconds),
                    ]);
                }
                for off in &e.time_off {
                    entries.push((off.date, "", off.code(format)?, off.seconds));
                }
                entries.sort_by_key(|(date, ..)| *date);
                for (date, job, item, seconds) in entries {
                    // At most 23:59 a row: longer durations go on several rows.
                    let mut minutes = (seconds + 30) / 60;
                    while minutes > 0 {
                        let row = minutes.min(23 * 60 + 59);
                        minutes -= row;
                        body.push_str(&tsv(&[
                            "TIMEACT",
                            &date.format("%m/%d/%y").to_string(),
                            job,
                            &emp,
                            "",
                            item.trim(),
                            &format!("{}:{:02}", row / 60, row % 60),
                            "",
                            "",
                            "Y",
                            "0",
                        ]));
                    }
                }
            }
            Ok(ExportFile { file_name: format!("quickbooks_{stamp}.iif"), content_type: "text/plain; charset=utf-8", body })
        }
    }
}

/// One line of the job costing CSV: an employee's hours on a job and cost code over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostingCsvLine {
    /// None: hours on no job.
    pub job: Option<ExportJob>,
    /// The cost code's number and name.
    pub cost_code: Option<(String, String)>,
    pub employee_number: String,
    pub employee_name: String,
    pub pay: PayHours,
    /// Paid time off (only ever on no job), apart from the hours worked.
    pub time_off_seconds: i64,
}

/// The job costing of a period as CSV (`job_costing_<start>_<end>.csv`): a line per job, cost
/// code and employee, in the order given. Hours on no job have an empty job number and the job
/// name `No job`; a line with no cost code has both cost code columns empty. Names that would
/// start a spreadsheet formula are prefixed with `'` (`text::inert_cell`), numbers too. Paid
/// time off has a column of its own, `time_off_hours`, last, and only when there is some (so a
/// period without any writes the file it wrote before time off existed); `total_hours` stays the
/// hours worked.
pub fn costing_csv(period: PayPeriod, lines: &[CostingCsvLine]) -> ExportFile {
    let with_time_off = lines.iter().any(|l| l.time_off_seconds != 0);
    let mut header = vec![
        "job_number",
        "job_name",
        "cost_code",
        "cost_code_name",
        "employee_number",
        "employee_name",
        "regular_hours",
        "overtime_hours",
        "double_time_hours",
        "total_hours",
    ];
    if with_time_off {
        header.push("time_off_hours");
    }
    let mut body = csv_line(&header);
    for line in lines {
        let (job_number, job_name) = line.job.as_ref().map_or(("", "No job"), |j| (j.number.as_str(), j.name.as_str()));
        let (code, code_name) = line.cost_code.as_ref().map_or(("", ""), |(n, name)| (n.as_str(), name.as_str()));
        let mut fields = vec![
            inert_cell(job_number),
            inert_cell(job_name),
            inert_cell(code),
            inert_cell(code_name),
            inert_cell(&line.employee_number),
            inert_cell(&line.employee_name),
            hours_2dp(line.pay.regular_seconds),
            hours_2dp(line.pay.overtime_seconds),
            hours_2dp(line.pay.double_time_seconds),
            hours_2dp(line.pay.total()),
        ];
        if with_time_off {
            fields.push(hours_2dp(line.time_off_seconds));
        }
        body.push_str(&csv_line(&fields));
    }
    let stamp = format!("{}_{}", period.start.format("%Y%m%d"), period.end.format("%Y%m%d"));
    ExportFile { file_name: format!("job_costing_{stamp}.csv"), content_type: "text/csv; charset=utf-8", body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeoff::TimeOffKind;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn pay(regular: f64, overtime: f64, double: f64) -> PayHours {
        let s = |h: f64| (h * 3600.0).round() as i64;
        PayHours { regular_seconds: s(regular), overtime_seconds: s(overtime), double_time_seconds: s(double) }
    }

    #[test]
    fn a_later_export_names_each_employee_whose_hours_changed_since_an_earlier_one() {
        let who = |n: u128, name: &str, p| ExportedEmployee {
            employee_id: crate::ids::EmployeeId(uuid::Uuid::from_u128(n)),
            number: n.to_string(),
            name: name.to_owned(),
            pay: p,
            time_off_seconds: 0,
        };
        let earlier =
            [who(1, "Grace Hopper", pay(34.5, 0.0, 0.0)), who(2, "Sam Lee", pay(40.0, 2.0, 0.0)), who(3, "Ana Ruiz", pay(8.0, 0.0, 0.0))];
        let now =
            [who(1, "Grace Hopper", pay(32.0, 2.5, 0.0)), who(2, "Sam Lee", pay(40.0, 2.0, 0.0)), who(4, "New Hire", pay(4.0, 0.0, 0.0))];
        let changes = changes_since(&earlier, &now);
        let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Grace Hopper", "New Hire", "Ana Ruiz"], "Sam Lee's hours are the same");
        assert_eq!((changes[0].before, changes[0].now), (pay(34.5, 0.0, 0.0), pay(32.0, 2.5, 0.0)));
        assert_eq!(changes[1].before, PayHours::default(), "not in the earlier file");
        assert_eq!(changes[2].now, PayHours::default(), "no longer in the file");
        assert!(changes_since(&now, &now).is_empty());

        // Sam Lee's vacation day was cancelled and the period exported again: his hours worked
        // are the same, his paid time off is not.
        let sam = |time_off_seconds| ExportedEmployee { time_off_seconds, ..who(5, "Sam Lee", pay(32.0, 0.0, 0.0)) };
        let changes = changes_since(&[sam(8 * 3600)], &[sam(0)]);
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].time_off_before_seconds, changes[0].time_off_now_seconds), (8 * 3600, 0));
        assert_eq!(changes[0].before, changes[0].now);
        // Records of files made before time off was exported read as having none.
        let old: ExportedEmployee = serde_json::from_str(&serde_json::to_string(&sam(0)).unwrap()).unwrap();
        assert!(!serde_json::to_string(&sam(0)).unwrap().contains("time_off"));
        assert_eq!(old, sam(0));
    }

    fn depot() -> Option<ExportJob> {
        Some(ExportJob { number: "J-100".to_owned(), name: "Acme Corp:Depot".to_owned() })
    }

    fn main_st() -> Option<ExportJob> {
        Some(ExportJob { number: "J-200".to_owned(), name: "Main St".to_owned() })
    }

    /// Two employees over 16-29 Nov 2026 (see testdata/exports/README.md): Ada (number 42) worked
    /// a California-style Monday with double time on two jobs (Depot with cost code 03-100, then
    /// Main St after the 8th hour) and a Tuesday on no job; Grace (number E-7) a short week on
    /// Depot with a quarter hour's overtime.
    fn employees() -> Vec<ExportEmployee> {
        let line = |d, job, cost_code: Option<&str>, pay| ExportLine {
            date: date(2026, 11, d),
            job,
            cost_code: cost_code.map(str::to_owned),
            pay,
        };
        vec![
            ExportEmployee {
                number: "42".to_owned(),
                name: "Ada King Lovelace".to_owned(),
                lines: vec![
                    line(16, depot(), Some("03-100"), pay(8.0, 0.0, 0.0)),
                    line(16, main_st(), None, pay(0.0, 4.0, 1.0)),
                    ExportLine::day(date(2026, 11, 17), pay(8.0, 0.0, 0.0)),
                ],
                time_off: Vec::new(),
            },
            ExportEmployee {
                number: "E-7".to_owned(),
                name: "Grace Hopper".to_owned(),
                lines: vec![line(18, depot(), Some("03-100"), pay(7.5, 0.25, 0.0))],
                time_off: Vec::new(),
            },
        ]
    }

    fn codes() -> ExportCodes {
        ExportCodes {
            adp_company_code: "ABC".to_owned(),
            adp_batch_id: "7".to_owned(),
            adp_run_iid: "12345".to_owned(),
            paychex_client_id: "7001234".to_owned(),
            quickbooks_company: "Acme Paving".to_owned(),
            ..ExportCodes::default()
        }
    }

    fn golden(format: ExportFormat, file: &str) -> ExportFile {
        golden_of(format, file, &employees())
    }

    fn golden_of(format: ExportFormat, file: &str, employees: &[ExportEmployee]) -> ExportFile {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("valid");
        let out = export(format, period, PayFrequency::Biweekly, &codes(), employees, at).expect("exports");
        let path = format!("{}/testdata/exports/{file}", env!("CARGO_MANIFEST_DIR"));
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(out.body, expected, "{format:?} differs from {path}");
        out
    }

    #[test]
    fn generic_csv_matches_its_golden_file() {
        assert_eq!(golden(ExportFormat::Csv, "clockface.csv").file_name, "clockface_20261116_20261129.csv");
    }

    #[test]
    fn adp_workforce_now_epi_matches_its_golden_file() {
        // File name EPI + company code + batch id (the prefix and the period's start); file
        // numbers padded to 6 digits.
        assert_eq!(golden(ExportFormat::AdpWfn, "EPIABC7261116.csv").file_name, "EPIABC7261116.csv");
    }

    #[test]
    fn adp_run_matches_its_golden_file() {
        golden(ExportFormat::AdpRun, "adp_run.csv");
    }

    #[test]
    fn paychex_flex_matches_its_golden_file() {
        golden(ExportFormat::Paychex, "paychex.csv");
    }

    #[test]
    fn gusto_matches_its_golden_file() {
        golden(ExportFormat::Gusto, "gusto.csv");
    }

    #[test]
    fn quickbooks_iif_matches_its_golden_file() {
        golden(ExportFormat::QuickbooksIif, "quickbooks.iif");
    }

    fn time_off(d: u32, kind: TimeOffKind, name: &str, hours: i64) -> ExportTimeOff {
        ExportTimeOff { date: date(2026, 11, d), type_name: name.to_owned(), codes: TimeOffPayCodes::defaults(kind), seconds: hours * 3600 }
    }

    /// The period of [`employees`] with paid time off (see testdata/exports/README.md): Ada's
    /// sick afternoon and holiday, Grace's two vacation days and holiday, and Sam Lee, who took
    /// a vacation day and worked nothing.
    fn employees_with_time_off() -> Vec<ExportEmployee> {
        let mut employees = employees();
        employees[0].time_off =
            vec![time_off(18, TimeOffKind::Sick, "Sick leave, CA", 4), time_off(26, TimeOffKind::Holiday, "Holiday", 8)];
        employees[1].time_off = vec![
            time_off(19, TimeOffKind::Vacation, "Vacation", 8),
            time_off(20, TimeOffKind::Vacation, "Vacation", 8),
            time_off(26, TimeOffKind::Holiday, "Holiday", 8),
        ];
        employees.push(ExportEmployee {
            number: "7".to_owned(),
            name: "Sam Lee".to_owned(),
            lines: Vec::new(),
            time_off: vec![time_off(23, TimeOffKind::Vacation, "Vacation", 8)],
        });
        employees
    }

    #[test]
    fn every_format_writes_time_off_under_its_pay_code_as_in_its_golden_file() {
        for (format, file) in [
            (ExportFormat::Csv, "clockface.csv"),
            (ExportFormat::AdpWfn, "EPIABC7261116.csv"),
            (ExportFormat::AdpRun, "adp_run.csv"),
            (ExportFormat::Paychex, "paychex.csv"),
            (ExportFormat::Gusto, "gusto.csv"),
            (ExportFormat::QuickbooksIif, "quickbooks.iif"),
        ] {
            golden_of(format, &format!("time_off/{file}"), &employees_with_time_off());
        }
    }

    #[test]
    fn a_paid_type_without_a_code_for_the_format_is_refused_naming_both() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let mut employees = employees_with_time_off();
        employees[1].time_off[0].codes = TimeOffPayCodes::default();
        for (format, field) in [
            (ExportFormat::AdpWfn, "adp_wfn_hours_code"),
            (ExportFormat::AdpRun, "adp_run_earnings_code"),
            (ExportFormat::Paychex, "paychex_pay_component"),
            (ExportFormat::Gusto, "gusto_column"),
            (ExportFormat::QuickbooksIif, "quickbooks_payroll_item"),
        ] {
            match export(format, period, PayFrequency::Biweekly, &codes(), &employees, Utc::now()) {
                Err(DomainError::Invalid { field: f, message }) => {
                    assert_eq!(f, field, "{format:?}");
                    assert!(message.contains("Vacation") && message.contains(format.label()), "{format:?}: {message}");
                }
                other => panic!("{format:?}: {other:?}"),
            }
        }
        // clockface's CSV names the type itself: no code to miss.
        assert!(export(ExportFormat::Csv, period, PayFrequency::Biweekly, &codes(), &employees, Utc::now()).is_ok());
    }

    #[test]
    fn time_off_names_and_codes_cannot_smuggle_a_formula() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let mut employees = employees();
        employees[1].time_off = vec![time_off(19, TimeOffKind::Vacation, "=HYPERLINK(1)", 8)];
        let csv = export(ExportFormat::Csv, period, PayFrequency::Biweekly, &codes(), &employees, Utc::now()).expect("exports");
        assert!(csv.body.contains(",,,'=HYPERLINK(1),8.00\r\n"), "{}", csv.body);
        employees[1].time_off[0].codes.adp_run_earnings_code = "@SUM(1)".to_owned();
        let refused = export(ExportFormat::AdpRun, period, PayFrequency::Biweekly, &codes(), &employees, Utc::now());
        assert!(matches!(refused, Err(DomainError::Invalid { field: "adp_run_earnings_code", .. })), "{refused:?}");
        // A Gusto column may not take the place of the hours worked.
        employees[1].time_off[0].codes.gusto_column = "regular_hours".to_owned();
        let refused = export(ExportFormat::Gusto, period, PayFrequency::Biweekly, &codes(), &employees, Utc::now());
        assert!(matches!(refused, Err(DomainError::Invalid { field: "gusto_column", .. })), "{refused:?}");
    }

    #[test]
    fn jobs_change_no_total_in_the_layouts_without_them() {
        // The same hours with every job removed: ADP, ADP RUN and Gusto write the same files.
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("valid");
        let mut no_jobs = employees();
        for e in &mut no_jobs {
            for line in &mut e.lines {
                line.job = None;
                line.cost_code = None;
            }
        }
        for format in [ExportFormat::AdpWfn, ExportFormat::AdpRun, ExportFormat::Gusto] {
            let with = export(format, period, PayFrequency::Biweekly, &codes(), &employees(), at).expect("exports");
            let without = export(format, period, PayFrequency::Biweekly, &codes(), &no_jobs, at).expect("exports");
            assert_eq!(with.body, without.body, "{format:?}");
        }
        // Paychex without jobs: one line per pay component, Ada's two jobs' regular hours summed.
        let paychex = export(ExportFormat::Paychex, period, PayFrequency::Biweekly, &codes(), &no_jobs, at).expect("exports");
        assert!(paychex.body.contains("\r\n7001234,42,,,Hourly,,,16.00,"), "{}", paychex.body);
    }

    #[test]
    fn the_job_costing_csv_has_a_line_per_job_cost_code_and_employee() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let line = |job, cost_code: Option<(&str, &str)>, number: &str, name: &str, pay| CostingCsvLine {
            job,
            cost_code: cost_code.map(|(n, m)| (n.to_owned(), m.to_owned())),
            employee_number: number.to_owned(),
            employee_name: name.to_owned(),
            pay,
            time_off_seconds: 0,
        };
        let out = costing_csv(
            period,
            &[
                line(depot(), Some(("03-100", "Forms, concrete")), "42", "Ada King Lovelace", pay(8.0, 0.0, 0.0)),
                line(depot(), Some(("03-100", "Forms, concrete")), "9", "=HYPERLINK(1)", pay(1.0, 0.0, 0.0)),
                line(depot(), Some(("03-100", "Forms, concrete")), "E-7", "Grace Hopper", pay(7.5, 0.25, 0.0)),
                line(main_st(), None, "42", "Ada King Lovelace", pay(0.0, 4.0, 1.0)),
                line(None, None, "42", "Ada King Lovelace", pay(8.0, 0.0, 0.0)),
            ],
        );
        assert_eq!(out.file_name, "job_costing_20261116_20261129.csv");
        assert_eq!(
            out.body,
            "job_number,job_name,cost_code,cost_code_name,employee_number,employee_name,regular_hours,overtime_hours,double_time_hours,total_hours\r\n\
             J-100,Acme Corp:Depot,03-100,\"Forms, concrete\",42,Ada King Lovelace,8.00,0.00,0.00,8.00\r\n\
             J-100,Acme Corp:Depot,03-100,\"Forms, concrete\",9,'=HYPERLINK(1),1.00,0.00,0.00,1.00\r\n\
             J-100,Acme Corp:Depot,03-100,\"Forms, concrete\",E-7,Grace Hopper,7.50,0.25,0.00,7.75\r\n\
             J-200,Main St,,,42,Ada King Lovelace,0.00,4.00,1.00,5.00\r\n\
             ,No job,,,42,Ada King Lovelace,8.00,0.00,0.00,8.00\r\n"
        );
    }

    #[test]
    fn paid_time_off_has_a_column_of_its_own_in_the_job_costing_csv() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let line = |job, number: &str, name: &str, pay, time_off_seconds| CostingCsvLine {
            job,
            cost_code: None,
            employee_number: number.to_owned(),
            employee_name: name.to_owned(),
            pay,
            time_off_seconds,
        };
        let out = costing_csv(
            period,
            &[
                line(main_st(), "42", "Ada King Lovelace", pay(0.0, 4.0, 1.0), 0),
                line(None, "42", "Ada King Lovelace", pay(8.0, 0.0, 0.0), 12 * 3600),
                line(None, "7", "Sam Lee", pay(0.0, 0.0, 0.0), 8 * 3600),
            ],
        );
        assert_eq!(
            out.body,
            "job_number,job_name,cost_code,cost_code_name,employee_number,employee_name,regular_hours,overtime_hours,double_time_hours,total_hours,time_off_hours\r\n\
             J-200,Main St,,,42,Ada King Lovelace,0.00,4.00,1.00,5.00,0.00\r\n\
             ,No job,,,42,Ada King Lovelace,8.00,0.00,0.00,8.00,12.00\r\n\
             ,No job,,,7,Sam Lee,0.00,0.00,0.00,0.00,8.00\r\n"
        );
    }

    #[test]
    fn missing_codes_are_named() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let none = ExportCodes::default();
        for (format, field) in [
            (ExportFormat::AdpWfn, "adp_company_code"),
            (ExportFormat::AdpRun, "adp_run_iid"),
            (ExportFormat::Paychex, "paychex_client_id"),
            (ExportFormat::QuickbooksIif, "quickbooks_company"),
        ] {
            match export(format, period, PayFrequency::Weekly, &none, &employees(), Utc::now()) {
                Err(DomainError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{format:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn hours_round_to_hundredths_and_long_days_split_for_quickbooks() {
        // 7 h 20 min = 7.333.. h -> 7.33; 10 min = 0.1666.. -> 0.17; 18 s = 0.005 h -> 0.01 (half up).
        assert_eq!(hours_2dp(7 * 3600 + 20 * 60), "7.33");
        assert_eq!(hours_2dp(600), "0.17");
        assert_eq!(hours_2dp(18), "0.01");
        let long = ExportEmployee {
            number: "1".into(),
            name: "Solo".into(),
            lines: vec![ExportLine::day(date(2026, 11, 16), pay(30.0, 0.0, 0.0))],
            time_off: Vec::new(),
        };
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 16) };
        let out = export(ExportFormat::QuickbooksIif, period, PayFrequency::Weekly, &codes(), &[long], Utc::now()).expect("exports");
        // 30 h = 23:59 + 6:01.
        assert!(out.body.contains("\tSolo\t\tRegular\t23:59\t"));
        assert!(out.body.contains("\tSolo\t\tRegular\t6:01\t"));
    }

    #[test]
    fn quickbooks_header_carries_the_company_files_create_time_when_it_is_set() {
        let period = PayPeriod { start: date(2026, 11, 16), end: date(2026, 11, 29) };
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("valid");
        let unset = export(ExportFormat::QuickbooksIif, period, PayFrequency::Biweekly, &codes(), &employees(), at).expect("exports");
        assert!(unset.body.contains("TIMERHDR\t8\t0\tAcme Paving\tN\tY\t1796126400\r\n"), "unset: the export's time");
        let set = ExportCodes { quickbooks_company_create_time: " 1045678901 ".to_owned(), ..codes() };
        let out = export(ExportFormat::QuickbooksIif, period, PayFrequency::Biweekly, &set, &employees(), at).expect("exports");
        assert!(out.body.contains("TIMERHDR\t8\t0\tAcme Paving\tN\tY\t1045678901\r\n"), "{}", out.body);
        assert_eq!(out.body.lines().skip(2).collect::<Vec<_>>(), unset.body.lines().skip(2).collect::<Vec<_>>(), "only the header differs");
    }
}
