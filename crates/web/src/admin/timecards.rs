//! Time Cards: an employee's pay period (weekly, previous/next), one row per day with each
//! shift's start and stop, hours, daily and period totals, overtime and issues. Beside a time
//! with a FaceFront photo stands an "i" whose card shows the photo right side up; a punch
//! without one says why. The card itself is `api::timecards::time_card`.

use super::devices::local;
use super::verdicts::{upright_degrees, VerdictView};
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
use clockface_domain::punch::{NoPhotoReason, PunchKind};
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
    /// What the server could not vouch for when it arrived: (label, detail).
    flags: Vec<(&'static str, String)>,
    verdict: VerdictView,
}

impl PunchView {
    /// Whether the card marks this punch as one to look at: flagged, or a verdict other than a match.
    fn doubtful(&self) -> bool {
        self.flagged || self.verdict.doubtful
    }
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
    let zone = admin.company.time_zone;
    let employees = state.store.employees(admin.company_id(), None).await?;
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
    let (card, here) = match chosen {
        None => (None, "/admin/time-cards".to_owned()),
        Some(employee) => {
            let names: HashMap<EmployeeId, String> = employees.iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
            let card = card(&state, &admin, employee.id, &names, (from, to), today).await?;
            (Some(card), format!("/admin/time-cards?employee={}&from={from}", employee.id))
        }
    };
    let page =
        TimeCardPage { layout: Layout::new(&admin, "time-cards", "Time Cards"), employees: options, from: from.to_string(), card, here };
    Ok(render(StatusCode::OK, &page))
}

/// One employee's card for the week `from..=to`, read in a fixed number of queries (the time
/// card with its verdicts, then the photos' display rotations and the device names, each in one).
async fn card(
    state: &AppState,
    admin: &AdminSession,
    employee: EmployeeId,
    names: &HashMap<EmployeeId, String>,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Card, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let response = time_card(state, company, employee, Some(from), Some(to)).await?;
    let time_card = &response.time_card;
    let shas: Vec<String> = time_card
        .days
        .iter()
        .flat_map(|d| &d.shifts)
        .flat_map(|s| [&s.start, &s.end])
        .flatten()
        .filter_map(|p| p.punch.photo_sha256.clone())
        .collect();
    let photos = state.store.photos(company, &shas).await?;
    let devices: HashMap<_, _> = state.store.devices(company).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let view_punch = |p: &CardPunch| -> PunchView {
        let punch = &p.punch;
        let no_photo = punch.no_photo_reason.map(|reason| match (reason, punch.clock_for_by.and_then(|id| names.get(&id))) {
            (NoPhotoReason::ClockFor, Some(foreman)) => format!("Clocked by {foreman} (Clock For)"),
            _ => reason.describe().to_owned(),
        });
        PunchView {
            verdict: p.verification.as_ref().map_or_else(VerdictView::pending, VerdictView::of),
            time: p.local_time.clone(),
            when: local(punch.occurred_at, zone),
            kind: if punch.kind == PunchKind::In { "Clock in" } else { "Clock out" },
            device: devices.get(&punch.device_id).cloned().unwrap_or_else(|| "Unknown device".to_owned()),
            photo: punch.photo_sha256.as_ref().map(|sha| PhotoView {
                url: format!("/admin/photos/{sha}"),
                sha256: sha.clone(),
                rotation: upright_degrees(photos.get(sha), p.verification.as_ref()),
            }),
            no_photo,
            flagged: punch.flagged,
            flags: punch.flags.iter().map(|f| (f.flag.label(), f.detail.clone())).collect(),
        }
    };
    let days = time_card
        .days
        .iter()
        .map(|day| {
            let shifts: Vec<ShiftView> = day
                .shifts
                .iter()
                .map(|shift| ShiftView {
                    start: shift.start.as_ref().map(&view_punch),
                    end: shift.end.as_ref().map(&view_punch),
                    hours: if shift.status == ShiftStatus::Complete { hours(shift.seconds) } else { String::new() },
                    issue: match shift.status {
                        ShiftStatus::MissingClockOut => Some("Missing clock-out"),
                        ShiftStatus::MissingClockIn => Some("Missing clock-in"),
                        _ => None,
                    },
                    in_progress: shift.status == ShiftStatus::InProgress,
                })
                .collect();
            DayView {
                label: day.date.format("%a %-d %b").to_string(),
                weekend: matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun),
                rows: shifts.len().max(1),
                shifts,
                hours: if day.seconds > 0 { hours(day.seconds) } else { String::new() },
            }
        })
        .collect();
    let regular: i64 = time_card.weeks.iter().map(|w| w.regular_seconds).sum();
    let overtime: i64 = time_card.weeks.iter().map(|w| w.overtime_seconds).sum();
    let link = |d: NaiveDate| format!("/admin/time-cards?employee={employee}&from={d}");
    Ok(Card {
        employee: response.employee.name.as_str().to_owned(),
        period: format!("{} – {}", from.format("%a %-d %b"), to.format("%a %-d %b %Y")),
        days,
        total: hours(time_card.seconds),
        regular: hours(regular),
        overtime: hours(overtime),
        has_overtime: overtime > 0,
        issues: time_card.issues,
        prev: link(from - Duration::days(7)),
        this_week: link(today),
        next: link(from + Duration::days(7)),
    })
}
