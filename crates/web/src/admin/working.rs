//! Who's working now: everyone whose latest punch is a clock-in (or a break's start or end), since
//! when, at which job and cost code, whether on a break, and what their clock-in was flagged for.
//! Four queries whatever the crew's size (the clocked-in punches, the employees, the jobs and the
//! cost codes), and for someone whose latest punch is a break's, a few more to find the clock-in.

use super::devices::local;
use super::{hours, render, AdminSession, Layout, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use clockface_domain::punch::Punch;
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
    let punches = state.store.clocked_in(company).await?;
    let names: HashMap<_, _> =
        state.store.employees(company, None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
    let jobs: HashMap<_, _> =
        state.store.jobs(company).await?.into_iter().map(|j| (j.id, format!("{} {}", j.number.as_str(), j.name))).collect();
    let codes: HashMap<_, _> =
        state.store.cost_codes(company).await?.into_iter().map(|c| (c.id, format!("{} {}", c.number.as_str(), c.name))).collect();
    let now = Utc::now();
    let mut rows = Vec::with_capacity(punches.len());
    for latest in &punches {
        let punch = &shift_start(&state, latest).await?;
        rows.push({
            let mut flags: Vec<(&'static str, String)> = punch.flags.iter().map(|f| (f.flag.label(), f.detail.clone())).collect();
            if let Some(reason) = punch.no_photo_reason.filter(|r| r.is_flagged()) {
                flags.push(("No photo", reason.describe().to_owned()));
            }
            WorkingRow {
                employee_id: punch.employee_id.to_string(),
                name: names.get(&punch.employee_id).cloned().unwrap_or_else(|| "Unknown employee".to_owned()),
                since: local(punch.occurred_at, zone),
                so_far: hours((now - punch.occurred_at).num_seconds()),
                job: latest.job_id.or(punch.job_id).and_then(|id| jobs.get(&id).cloned()),
                cost_code: latest.cost_code_id.or(punch.cost_code_id).and_then(|id| codes.get(&id).cloned()),
                flags,
                how: match punch.clock_for_by.and_then(|id| names.get(&id)) {
                    Some(foreman) => format!("Clocked in by {foreman}"),
                    None => "Own clock-in".to_owned(),
                },
                day: punch.occurred_at.with_timezone(&zone).date_naive().to_string(),
                on_break: latest
                    .starts_break()
                    .then(|| format!("On a break since {}", latest.occurred_at.with_timezone(&zone).format("%H:%M"))),
            }
        });
    }
    Ok(render(StatusCode::OK, &WorkingPage { layout: Layout::new(&admin, "working", "Who's working now"), rows }))
}
