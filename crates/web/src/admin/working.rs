//! Who's working now: everyone whose latest punch is a clock-in (or a break's start or end), since
//! when, at which job and cost code, whether on a break, and what their clock-in was flagged for.
//! Corrections count as on the time card: an added clock-out ends a shift the device left open,
//! an added clock-in opens one. Five queries whatever the crew's size (the clocked-in punches, the
//! corrections, the employees, the jobs and the cost codes), and a few more for someone whose
//! latest punch is a break's (to find the clock-in) or whose clock-in a correction added.

use super::devices::local;
use super::{hours, render, AdminSession, Layout, PageError};
use crate::admin::words::{self, Words};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use clockface_domain::correction::{at_work, AtWork, Correction, CorrectionAction};
use clockface_domain::ids::{CompanyId, EmployeeId};
use clockface_domain::punch::{Punch, PunchKind};
use clockface_domain::timecard::TimedPunch;
use std::collections::HashMap;

/// The clock-in that began the shift `latest` is in: `latest` itself unless it is a break's start
/// or end, then the punch before, and so on (a shift has a few breaks at most; the walk stops
/// after 50 punches).
async fn shift_start(state: &AppState, latest: &Punch) -> Result<Punch, PageError> {
    let mut punch = latest.clone();
    for _ in 0..50 {
        if !punch.on_break {
            break;
        }
        match state.store.punch_before(latest.company_id, latest.employee_id, punch.occurred_at).await? {
            Some(before) => punch = before,
            None => break,
        }
    }
    Ok(punch)
}

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/working-now", get(working_page))
}

struct WorkingRow {
    employee_id: String,
    name: String,
    since: String,
    /// How long so far, e.g. `3:05`.
    so_far: String,
    job: Option<String>,
    cost_code: Option<String>,
    /// Labels of what the clock-in was flagged for, with their details.
    flags: Vec<(&'static str, String)>,
    /// Clocked in by a foreman, or on which device.
    how: String,
    /// The day the shift began, for the time card link.
    day: String,
    /// `On a break since 12:00`, when they are.
    on_break: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/working.html")]
struct WorkingPage {
    layout: Layout,
    rows: Vec<WorkingRow>,
}

async fn working_page(State(state): State<AppState>, admin: AdminSession) -> Result<Response, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let now = Utc::now();
    let at_work = at_work_now(&state, company, now).await?;
    let names: HashMap<_, _> =
        state.store.employees(company, None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
    let jobs: HashMap<_, _> =
        state.store.jobs(company).await?.into_iter().map(|j| (j.id, format!("{} {}", j.number.as_str(), j.name))).collect();
    let codes: HashMap<_, _> =
        state.store.cost_codes(company).await?.into_iter().map(|c| (c.id, format!("{} {}", c.number.as_str(), c.name))).collect();
    let rows = at_work
        .iter()
        .map(|(employee, at)| {
            let start = at.start.original.as_ref();
            let latest = at.latest.original.as_ref();
            let mut flags: Vec<(&'static str, String)> =
                start.map(|p| p.flags.iter().map(|f| (f.flag.label(), f.detail.clone())).collect()).unwrap_or_default();
            if let Some(reason) = start.and_then(|p| p.no_photo_reason).filter(|r| r.is_flagged()) {
                flags.push(("No photo", reason.describe().to_owned()));
            }
            // A role that records GPS got no position with this clock-in: say why, never "None".
            if let Some(reason) = start.and_then(|p| p.no_position_reason) {
                flags.push(("No position", reason.describe().to_owned()));
            }
            WorkingRow {
                employee_id: employee.to_string(),
                name: names.get(employee).cloned().unwrap_or_else(|| words::en("working.unknown_employee").to_owned()),
                since: local(at.start.at, zone),
                so_far: hours((now - at.start.at).num_seconds()),
                job: latest.and_then(|p| p.job_id).or(start.and_then(|p| p.job_id)).and_then(|id| jobs.get(&id).cloned()),
                cost_code: latest
                    .and_then(|p| p.cost_code_id)
                    .or(start.and_then(|p| p.cost_code_id))
                    .and_then(|id| codes.get(&id).cloned()),
                flags,
                how: match start {
                    None => words::en("working.added_by_a_correction").to_owned(),
                    Some(p) => match p.clock_for_by.and_then(|id| names.get(&id)) {
                        Some(foreman) => format!("{} {foreman}", words::en("working.clocked_in_by")),
                        None => words::en("working.own_clock_in").to_owned(),
                    },
                },
                day: at.start.at.with_timezone(&zone).date_naive().to_string(),
                on_break: (at.latest.kind == PunchKind::Out && at.latest.on_break())
                    .then(|| format!("{} {}", words::en("working.on_a_break_since"), at.latest.at.with_timezone(&zone).format("%H:%M"))),
            }
        })
        .collect();
    Ok(render(StatusCode::OK, &WorkingPage { layout: Layout::new(&admin, "working", words::en("working.who_s_working_now")), rows }))
}

/// Everyone at work at `now` as their time cards count it, oldest shift first: those whose latest
/// device punch leaves them in a shift, unless a correction ended it (an added clock-out, a voided
/// clock-in), and those a correction put at work (an added clock-in in the last day). The
/// corrections come in one query; an added clock-in costs a query for its employee's punches.
async fn at_work_now(state: &AppState, company: CompanyId, now: DateTime<Utc>) -> Result<Vec<(EmployeeId, AtWork<Punch>)>, PageError> {
    let mut device = Vec::new();
    for latest in state.store.clocked_in(company).await? {
        let start = shift_start(state, &latest).await?;
        device.push((start, latest));
    }
    let from = device.iter().map(|(start, _)| start.occurred_at).fold(now - Duration::days(1), DateTime::min);
    let mut corrections: HashMap<EmployeeId, Vec<Correction>> = HashMap::new();
    for c in state.store.corrections(company, None, from, now + Duration::days(1)).await? {
        corrections.entry(c.employee_id).or_default().push(c);
    }
    let theirs = |employee: &EmployeeId| corrections.get(employee).map(Vec::as_slice).unwrap_or_default();
    let mut found = Vec::new();
    for (start, latest) in &device {
        let punches: Vec<Punch> = if start.id == latest.id { vec![latest.clone()] } else { vec![start.clone(), latest.clone()] };
        if let Some(at) = at_work(&punches, |p| p.id, theirs(&latest.employee_id), now) {
            found.push((latest.employee_id, at));
        }
    }
    // A clock-in a correction added for someone the device shows out (they forgot to clock in).
    for (employee, list) in &corrections {
        if device.iter().any(|(_, latest)| latest.employee_id == *employee) {
            continue;
        }
        let added_in = list.iter().filter(|c| c.action == CorrectionAction::Add && c.kind == PunchKind::In).filter_map(|c| c.at);
        let Some(first) = added_in.filter(|at| *at <= now).min() else { continue };
        let punches = state.store.punches(company, *employee, first, now + Duration::days(1)).await?;
        if let Some(at) = at_work(&punches, |p| p.id, list, now) {
            found.push((*employee, at));
        }
    }
    found.sort_by_key(|(_, at)| at.start.at);
    Ok(found)
}
