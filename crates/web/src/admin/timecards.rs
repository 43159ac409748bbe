//! Time Cards: an employee's pay period (weekly, previous/next), one row per day with each
//! shift's start and stop, hours, daily and period totals, overtime and issues. Beside a time
//! with a FaceFront photo stands an "i" whose card shows the photo right side up; a punch
//! without one says why. The card itself is `api::timecards::time_card`.

use super::devices::local;
use super::review::verdict_words;
use super::{hours, render, AdminSession, Layout, PageError};
use crate::api::timecards::{time_card, CardPunch};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use clockface_domain::ids::EmployeeId;
use clockface_domain::punch::NoPhotoReason;
use clockface_domain::timecard::{weekly_period, ShiftStatus};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/time-cards", get(time_cards_page))
}

struct EmployeeOption {
    id: String,
    name: String,
    selected: bool,
}

struct PhotoView {
    url: String,
    sha256: String,
    /// Degrees clockwise to turn it for display: 0, 90, 180 or 270.
    rotation: i64,
}

struct PunchView {
    time: String,
    when: String,
    kind: &'static str,
    device: String,
    photo: Option<PhotoView>,
    no_photo: Option<String>,
    flagged: bool,
    /// The verdict in words and its badge colour; "Waiting for verification" before there is one.
    verdict: String,
    verdict_colour: &'static str,
}

struct ShiftView {
    start: Option<PunchView>,
    end: Option<PunchView>,
    hours: String,
    issue: Option<&'static str>,
    in_progress: bool,
}

struct DayView {
    label: String,
    weekend: bool,
    shifts: Vec<ShiftView>,
    hours: String,
    rows: usize,
}

struct Card {
    employee: String,
    period: String,
    days: Vec<DayView>,
    total: String,
    regular: String,
    overtime: String,
    has_overtime: bool,
    issues: usize,
    prev: String,
    this_week: String,
    next: String,
}

#[derive(Template)]
#[template(path = "admin/time_card.html")]
struct TimeCardPage {
    layout: Layout,
    employees: Vec<EmployeeOption>,
    from: String,
    card: Option<Card>,
    /// This page's address, to come back to after turning a photo.
    here: String,
}

#[derive(Deserialize)]
struct CardQuery {
    employee: Option<String>,
    from: Option<String>,
}

async fn time_cards_page(
    State(state): State<AppState>,
    admin: AdminSession,
    Query(query): Query<CardQuery>,
) -> Result<Response, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let employees = state.store.employees(company, None).await?;
    let wanted: Option<EmployeeId> = query.employee.as_deref().and_then(|id| id.parse().ok());
    let chosen =
        wanted.and_then(|id| employees.iter().find(|e| e.id == id)).or_else(|| employees.iter().find(|e| e.active)).or(employees.first());
    let today = Utc::now().with_timezone(&zone).date_naive();
    let day = query.from.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(today);
    let (from, to) = weekly_period(day, Weekday::Mon);
    let options = employees
        .iter()
        .map(|e| EmployeeOption {
            id: e.id.to_string(),
            name: if e.active { e.name.as_str().to_owned() } else { format!("{} (inactive)", e.name.as_str()) },
            selected: Some(e.id) == chosen.map(|c| c.id),
        })
        .collect();
    let mut here = "/admin/time-cards".to_owned();
    let card = match chosen {
        None => None,
        Some(employee) => {
            here = format!("/admin/time-cards?employee={}&from={from}", employee.id);
            let response = time_card(&state, company, employee.id, Some(from), Some(to)).await?;
            let names: HashMap<EmployeeId, String> = employees.iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
            let devices: HashMap<_, _> = state.store.devices(company).await?.into_iter().map(|d| (d.id, d.name)).collect();
            let view_punch = |p: &CardPunch| -> PunchView {
                let punch = &p.punch;
                let no_photo = punch.no_photo_reason.map(|reason| match (reason, punch.clock_for_by.and_then(|id| names.get(&id))) {
                    (NoPhotoReason::ClockFor, Some(foreman)) => format!("Clocked by {foreman} (Clock For)"),
                    _ => reason.describe().to_owned(),
                });
                let (verdict, verdict_colour) = match &p.verification {
                    Some(v) => verdict_words(&v.verdict, v.score, v.threshold, v.enrolled_now),
                    None => ("Waiting for verification".to_owned(), "pending"),
                };
                PunchView {
                    verdict,
                    verdict_colour,
                    time: p.local_time.clone(),
                    when: local(punch.occurred_at, zone),
                    kind: if punch.kind == clockface_domain::punch::PunchKind::In { "Clock in" } else { "Clock out" },
                    device: devices.get(&punch.device_id).cloned().unwrap_or_else(|| "Unknown device".to_owned()),
                    photo: punch.photo_sha256.as_ref().map(|sha| PhotoView {
                        url: format!("/admin/photos/{sha}"),
                        sha256: sha.clone(),
                        rotation: 0,
                    }),
                    no_photo,
                    flagged: punch.flagged,
                }
            };
            let mut days = Vec::new();
            for day in &response.time_card.days {
                let mut shifts = Vec::new();
                for shift in &day.shifts {
                    shifts.push(ShiftView {
                        start: shift.start.as_ref().map(&view_punch),
                        end: shift.end.as_ref().map(&view_punch),
                        hours: if shift.status == ShiftStatus::Complete { hours(shift.seconds) } else { String::new() },
                        issue: match shift.status {
                            ShiftStatus::MissingClockOut => Some("Missing clock-out"),
                            ShiftStatus::MissingClockIn => Some("Missing clock-in"),
                            _ => None,
                        },
                        in_progress: shift.status == ShiftStatus::InProgress,
                    });
                }
                days.push(DayView {
                    label: day.date.format("%a %-d %b").to_string(),
                    weekend: matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun),
                    rows: shifts.len().max(1),
                    shifts,
                    hours: if day.seconds > 0 { hours(day.seconds) } else { String::new() },
                });
            }
            // Display rotations, read once per photo.
            for shift in days.iter_mut().flat_map(|d| d.shifts.iter_mut()) {
                for punch in [shift.start.as_mut(), shift.end.as_mut()].into_iter().flatten() {
                    if let Some(photo) = punch.photo.as_mut() {
                        if let Some(record) = state.store.photo(company, &photo.sha256).await? {
                            photo.rotation = record.display_rotation.degrees();
                        }
                    }
                }
            }
            let card = &response.time_card;
            let regular: i64 = card.weeks.iter().map(|w| w.regular_seconds).sum();
            let overtime: i64 = card.weeks.iter().map(|w| w.overtime_seconds).sum();
            let link = |d: NaiveDate| format!("/admin/time-cards?employee={}&from={d}", employee.id);
            Some(Card {
                employee: employee.name.as_str().to_owned(),
                period: format!("{} – {}", from.format("%a %-d %b"), to.format("%a %-d %b %Y")),
                days,
                total: hours(card.seconds),
                regular: hours(regular),
                overtime: hours(overtime),
                has_overtime: overtime > 0,
                issues: card.issues,
                prev: link(from - Duration::days(7)),
                this_week: link(today),
                next: link(from + Duration::days(7)),
            })
        }
    };
    let page =
        TimeCardPage { layout: Layout::new(&admin, "time-cards", "Time Cards"), employees: options, from: from.to_string(), card, here };
    Ok(render(StatusCode::OK, &page))
}
