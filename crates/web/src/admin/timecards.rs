//! Time Cards: an employee's pay period (the company's schedule, previous/next), one row per day
//! with each shift's start and stop, hours, daily and period totals by pay rate, meal
//! deductions and issues. Beside a time with a FaceFront photo stands an "i" whose card shows
//! the photo right side up; a punch without one says why. A corrected time is marked, and its
//! mark shows the original time and the reason; each time can be moved or voided, a missed
//! punch added, and a missing clock-out fixed in two clicks (open, save: the time and a reason
//! come filled in). The card itself is `api::timecards::time_card`; corrections go through
//! `api::corrections::make_correction`, as over the API.

use super::devices::local;
use super::verdicts::{upright_degrees, VerdictView};
use super::{hours, render, see_other, FormErrors, Layout, PageError, SignedForm, UserSession};
use crate::admin::words::{self, Words};
use crate::api::corrections::{make_correction, CorrectionBody};
use crate::api::timecards::{time_card, CardPunch};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use clockface_domain::correction::{CorrectionAction, Replaces};
use clockface_domain::ids::EmployeeId;
use clockface_domain::punch::{NoPhotoReason, Punch};
use clockface_domain::timecard::{ShiftStatus, TimedPunch};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/time-cards", get(time_cards_page)).route("/admin/time-cards/corrections", post(correct))
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
    /// The missing photo is itself what the punch is flagged for (the camera refused, a late
    /// settings sync), not only without one for an ordinary reason.
    no_photo_flagged: bool,
    flagged: bool,
    /// What the server could not vouch for when it arrived: (label, detail).
    flags: Vec<(&'static str, String)>,
    verdict: VerdictView,
    /// The correction in force on it, if any.
    correction: Option<CorrectionView>,
    /// It reached the server after the card was approved.
    late: bool,
    /// What a correction of it names: (`punch` or `added`, id).
    target: (&'static str, String),
    /// The form that moves or voids it, filled in with its local date and time.
    fix: FixForm,
    /// Where it was made, when the device gave a position.
    position: Option<PositionView>,
    /// Why it has no position, when its role records GPS.
    no_position: Option<&'static str>,
}

/// A punch's position as the hover shows it, with links that open it in a maps app (no tiles are loaded).
struct PositionView {
    text: String,
    accuracy: Option<String>,
    distance: Option<String>,
    osm: String,
    geo: String,
}

fn position_view(punch: &clockface_domain::punch::Punch) -> Option<PositionView> {
    let p = punch.position?;
    let (lat, lon) = (format!("{:.6}", p.latitude), format!("{:.6}", p.longitude));
    Some(PositionView {
        text: format!("{lat}, {lon}"),
        accuracy: p.accuracy_m.map(|a| format!("±{} m", a.round())),
        distance: punch.fence_distance_m.map(|d| format!("{} m from the job's fence centre", d.round())),
        osm: format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"),
        geo: format!("geo:{lat},{lon}"),
    })
}

/// One of the card's correction forms as it is shown: filled in from the card, or, after the
/// server refused what was sent from it, open again with what was typed and the refusal beside
/// the field it names.
#[derive(Default)]
struct FixForm {
    /// Names the form among the card's (`edit-punch-<id>`, `out-<id>`, `add`).
    key: String,
    open: bool,
    date: String,
    time: String,
    kind: String,
    reason: String,
    errors: FormErrors,
}

impl FixForm {
    fn new(key: String, date: String, time: String) -> Self {
        Self { key, date, time, ..Self::default() }
    }

    /// What was wrong with its date and time: a time the correction cannot have (`at`), or one
    /// not given in the form's format (`date`, `time`).
    fn when_error(&self) -> Option<&str> {
        self.errors.field("at").or_else(|| self.errors.field("date")).or_else(|| self.errors.field("time"))
    }

    /// Takes back a refused submission when it came from this form; says whether it did.
    fn take(&mut self, refused: &RefusedCorrection) -> bool {
        if self.key.is_empty() || self.key != refused.key {
            return false;
        }
        self.open = true;
        self.date.clone_from(&refused.date);
        self.time.clone_from(&refused.time);
        self.kind.clone_from(&refused.kind);
        self.reason.clone_from(&refused.reason);
        self.errors = refused.errors.clone();
        true
    }
}

/// A correction the server refused: the form it came from, what was typed, and why.
struct RefusedCorrection {
    key: String,
    date: String,
    time: String,
    kind: String,
    reason: String,
    errors: FormErrors,
}

/// A correction as the card shows it on hover.
struct CorrectionView {
    /// `Added`, `Moved` or `Voided`.
    label: &'static str,
    /// What it showed before, e.g. `15:00 (device)`.
    original: Option<String>,
    reason: String,
    when: String,
    /// Who made it: the user's e-mail.
    by: String,
    count: usize,
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
    /// The meal deduction taken from it, e.g. `0:30`.
    meal: Option<String>,
    /// For a missing clock-out: the fix, filled in with a date and time eight hours on.
    fix_out: Option<FixForm>,
    /// The job and cost code it was worked on (the clock-in's, else the clock-out's), e.g. `J-1 Depot`.
    job: Option<String>,
    cost_code: Option<String>,
    /// Its breaks, e.g. `Break 12:00–12:30 (0:30 unpaid)`.
    breaks: Vec<String>,
}

struct DayView {
    label: String,
    weekend: bool,
    shifts: Vec<ShiftView>,
    hours: String,
    /// The day's hours by pay rate when some are overtime or double time (a California day over
    /// 8 hours, the day a federal week passed 40), e.g. `8:00 regular, 4:00 overtime, 1:00 double time`.
    split: Option<String>,
    rows: usize,
    /// The day's time off, each its own line: what, its hours, paid or not.
    time_off: Vec<TimeOffLine>,
}

/// A line of time off on the card: `Vacation`, `Holiday: Thanksgiving`; `8:00`; `paid`.
struct TimeOffLine {
    label: String,
    hours: String,
    pay: &'static str,
}

impl TimeOffLine {
    fn of(line: &clockface_domain::timeoff::CardTimeOff) -> Self {
        let label = match &line.holiday {
            Some(holiday) => format!("{}: {holiday}", line.name),
            None => line.name.clone(),
        };
        TimeOffLine { label, hours: hours(line.seconds), pay: if line.paid { "paid time off" } else { "unpaid time off" } }
    }
}

struct Card {
    employee: String,
    period: String,
    days: Vec<DayView>,
    total: String,
    regular: String,
    overtime: String,
    double_time: String,
    has_overtime: bool,
    has_double_time: bool,
    meal: Option<String>,
    /// The period's time off by type, e.g. `Vacation, paid time off (not in the hours above)` and `16:00`.
    time_off: Vec<(String, String)>,
    /// The period's breaks and whether the hours count them, e.g. (`0:30`, false).
    breaks: Option<(String, bool)>,
    overtime_rule: &'static str,
    issues: usize,
    prev: String,
    this_week: String,
    next: String,
    employee_id: String,
    from: String,
    /// Set when approved: who approved (card or period) and when.
    locked: Option<String>,
    /// Set when the card counted now differs from the figures it was approved with.
    changed_since_approval: Option<String>,
    voided: Vec<PunchView>,
    /// The form that adds a missed punch.
    add: FixForm,
}

impl Card {
    /// Reopens the form a refused correction came from, with what was typed and why; says
    /// whether one of the card's forms sent it.
    fn take(&mut self, refused: &RefusedCorrection) -> bool {
        let punches = self.days.iter_mut().flat_map(|d| &mut d.shifts).flat_map(|s| {
            let ShiftView { start, end, fix_out, .. } = s;
            start.iter_mut().chain(end.iter_mut()).map(|p| &mut p.fix).chain(fix_out.iter_mut())
        });
        let mut taken = false;
        for form in punches.chain(std::iter::once(&mut self.add)) {
            taken |= form.take(refused);
        }
        taken
    }
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
    /// A correction the server refused that none of the card's forms sent, and why.
    error: Option<String>,
    /// A correction was just saved.
    saved: bool,
}

#[derive(Deserialize)]
struct CardQuery {
    employee: Option<String>,
    from: Option<String>,
    saved: Option<String>,
}

async fn time_cards_page(State(state): State<AppState>, admin: UserSession, Query(query): Query<CardQuery>) -> Result<Response, PageError> {
    let page = build_page(&state, &admin, query.employee.as_deref(), query.from.as_deref(), None, query.saved.is_some()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn build_page(
    state: &AppState,
    admin: &UserSession,
    employee: Option<&str>,
    from: Option<&str>,
    refused: Option<RefusedCorrection>,
    saved: bool,
) -> Result<TimeCardPage, PageError> {
    let zone = admin.company.time_zone;
    let mut employees = state.store.employees(admin.company_id(), None).await?;
    employees.retain(|e| admin.reach.includes(e.id));
    let settings = state.store.payroll_settings(admin.company_id()).await?;
    let chosen = match employee.filter(|id| !id.is_empty()) {
        // An employee named in the address must be one the user reaches: else there is no such page.
        Some(id) => {
            let id: EmployeeId = super::parse_id(id)?;
            Some(employees.iter().find(|e| e.id == id).ok_or_else(|| PageError(ApiError::not_found("no such employee")))?)
        }
        None => employees.iter().find(|e| e.active).or(employees.first()),
    };
    let today = Utc::now().with_timezone(&zone).date_naive();
    let day = from.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(today);
    let period = settings.schedule.period_containing(day);
    let (from, to) = (period.start, period.end);
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
            let rule = settings.overtime.label();
            let mut card = card(state, admin, employee.id, &names, (from, to), today).await?;
            card.overtime_rule = rule;
            card.prev = format!("/admin/time-cards?employee={}&from={}", employee.id, settings.schedule.previous(period).start);
            card.next = format!("/admin/time-cards?employee={}&from={}", employee.id, settings.schedule.next(period).start);
            (Some(card), format!("/admin/time-cards?employee={}&from={from}", employee.id))
        }
    };
    // A refusal shows beside the field of the form that sent it; one no form of this card sent
    // (the card moved on meanwhile) at the top.
    let mut card = card;
    let error = refused.and_then(|refused| {
        let shown = card.as_mut().is_some_and(|card| card.take(&refused));
        let errors = refused.errors;
        (!shown).then(|| errors.said()).flatten()
    });
    Ok(TimeCardPage {
        layout: Layout::new(admin, "time-cards", words::en("base.time_cards")),
        employees: options,
        from: from.to_string(),
        card,
        here,
        error,
        saved,
    })
}

/// A correction from the card: the form names the action, what it replaces, the local date and
/// time, and the reason. Saved, it comes back to the card; refused, the card shows why.
async fn correct(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let employee: EmployeeId = form.get("employee").parse().map_err(|_| PageError(ApiError::not_found("no such employee")))?;
    let from = form.get("from").to_owned();
    let zone = admin.company.time_zone;
    let result = async {
        let action = CorrectionAction::parse(form.get("action"))?;
        let replaces = match (form.get("target_type"), form.get("target_id")) {
            ("punch", id) => Some(Replaces::Punch(id.parse().map_err(|_| ApiError::not_found("no such punch"))?)),
            ("added", id) => Some(Replaces::Added(id.parse().map_err(|_| ApiError::not_found("no such punch"))?)),
            _ => None,
        };
        let at = if action == CorrectionAction::Void {
            None
        } else {
            // A date or time that does not read is said together with what else is wrong (the reason).
            let mut checks = crate::error::Checks::default();
            let date = checks.take(
                NaiveDate::parse_from_str(form.get("date"), "%Y-%m-%d")
                    .map_err(|_| clockface_domain::DomainError::invalid("date", "give the date as YYYY-MM-DD")),
            );
            let time = checks.take(
                NaiveTime::parse_from_str(form.get("time"), "%H:%M")
                    .map_err(|_| clockface_domain::DomainError::invalid("time", "give the time as HH:MM")),
            );
            let local = match (date, time) {
                (Some(date), Some(time)) => checks.take(zone.from_local_datetime(&date.and_time(time)).earliest().ok_or_else(|| {
                    clockface_domain::DomainError::invalid("time", "that time does not exist on that day (clocks changed)")
                })),
                _ => None,
            };
            if checks.failed() {
                checks.take(clockface_domain::correction::Reason::parse(form.get("reason")));
                return Err(checks.refused());
            }
            local.map(|l| l.fixed_offset())
        };
        let kind = form.get("kind");
        let body = CorrectionBody {
            action: action.as_str().to_owned(),
            replaces,
            kind: if kind.is_empty() { None } else { Some(kind.to_owned()) },
            at,
            reason: form.get("reason").to_owned(),
        };
        make_correction(&state, &admin.auth(), employee, body).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/time-cards?employee={employee}&from={from}&saved=1"))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error)?;
            let typed = |name: &str| form.get(name).to_owned();
            let refused = RefusedCorrection {
                key: typed("form"),
                date: typed("date"),
                time: typed("time"),
                kind: typed("kind"),
                reason: typed("reason"),
                errors,
            };
            let page = build_page(&state, &admin, Some(&employee.to_string()), Some(&from), Some(refused), false).await?;
            Ok(render(status, &page))
        }
    }
}

/// One employee's card for the period `from..=to`, read in a fixed number of queries (the time
/// card with its corrections, approvals and verdicts, then the photos' display rotations and the
/// device names, each in one).
async fn card(
    state: &AppState,
    admin: &UserSession,
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
        .filter_map(|p| p.punch.as_ref().and_then(|p| p.photo_sha256.clone()))
        .collect();
    let photos = state.store.photos(company, &shas).await?;
    let devices: HashMap<_, _> = state.store.devices(company).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let users: HashMap<_, _> = state.store.users(company).await?.into_iter().map(|u| (u.id, u.email)).collect();
    let jobs: HashMap<_, _> =
        state.store.jobs(company).await?.into_iter().map(|j| (j.id, format!("{} {}", j.number.as_str(), j.name))).collect();
    let codes: HashMap<_, _> =
        state.store.cost_codes(company).await?.into_iter().map(|c| (c.id, format!("{} {}", c.number.as_str(), c.name))).collect();
    let shift_punch = |shift: &clockface_domain::timecard::Shift<CardPunch>| {
        [&shift.start, &shift.end]
            .into_iter()
            .flatten()
            .find_map(|p| p.punch.as_ref().filter(|p| p.job_id.is_some() || p.cost_code_id.is_some()))
            .cloned()
    };
    let view_punch = |p: &CardPunch| -> PunchView {
        let kind = Punch::label(p.effective_kind, p.on_break());
        let correction = p.correction.as_ref().map(|c| CorrectionView {
            label: c.correction.action.label(),
            original: c.original_local_time.clone(),
            reason: c.correction.reason.as_str().to_owned(),
            when: local(c.correction.made_at, zone),
            by: users.get(&c.correction.made_by).cloned().unwrap_or_else(|| "a user no longer here".to_owned()),
            count: c.corrections,
        });
        let target = match (&p.punch, &p.correction) {
            (Some(punch), _) => ("punch", punch.id.to_string()),
            (None, Some(c)) => (
                "added",
                c.correction
                    .replaces
                    .map_or(c.correction.id, |r| match r {
                        Replaces::Added(id) => id,
                        Replaces::Punch(_) => c.correction.id,
                    })
                    .to_string(),
            ),
            (None, None) => ("", String::new()),
        };
        let date = p.effective_at.with_timezone(&zone).date_naive().to_string();
        let fix = if target.0.is_empty() {
            FixForm::default()
        } else {
            FixForm::new(format!("edit-{}-{}", target.0, target.1), date, p.local_time.clone())
        };
        let Some(punch) = &p.punch else {
            return PunchView {
                verdict: VerdictView::pending(),
                time: p.local_time.clone(),
                when: local(p.effective_at, zone),
                kind,
                device: "Added by a correction".to_owned(),
                photo: None,
                no_photo: None,
                no_photo_flagged: false,
                flagged: false,
                flags: Vec::new(),
                correction,
                late: false,
                target,
                fix,
                position: None,
                no_position: None,
            };
        };
        let no_photo = punch.no_photo_reason.map(|reason| match (reason, punch.clock_for_by.and_then(|id| names.get(&id))) {
            (NoPhotoReason::ClockFor, Some(foreman)) => format!("Clocked by {foreman} (Clock For)"),
            _ => reason.describe().to_owned(),
        });
        PunchView {
            verdict: p.verification.as_ref().map_or_else(VerdictView::pending, VerdictView::of),
            time: p.local_time.clone(),
            when: local(punch.occurred_at, zone),
            kind,
            device: devices.get(&punch.device_id).cloned().unwrap_or_else(|| "Unknown device".to_owned()),
            photo: punch.photo_sha256.as_ref().map(|sha| PhotoView {
                url: format!("/admin/photos/{sha}?on=time_card"),
                sha256: sha.clone(),
                rotation: upright_degrees(photos.get(sha), p.verification.as_ref()),
            }),
            no_photo,
            no_photo_flagged: punch.no_photo_reason.is_some_and(NoPhotoReason::is_flagged),
            flagged: punch.flagged,
            flags: punch.flags.iter().map(|f| (f.flag.label(), f.detail.clone())).collect(),
            correction,
            late: p.arrived_after_approval,
            target,
            fix,
            position: position_view(punch),
            no_position: punch.no_position_reason.map(|r| r.describe()),
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
                    meal: (shift.meal_deducted_seconds > 0).then(|| hours(shift.meal_deducted_seconds)),
                    fix_out: match (shift.status, &shift.start) {
                        // Filled in with eight hours after the clock-in: the usual day, to adjust if need be.
                        (ShiftStatus::MissingClockOut, Some(start)) => {
                            let out = (start.effective_at + Duration::hours(8)).with_timezone(&zone);
                            let key = format!("out-{}", start.effective_at.timestamp());
                            Some(FixForm::new(key, out.date_naive().to_string(), out.format("%H:%M").to_string()))
                        }
                        _ => None,
                    },
                    job: shift_punch(shift).and_then(|p| p.job_id).and_then(|id| jobs.get(&id).cloned()),
                    cost_code: shift_punch(shift).and_then(|p| p.cost_code_id).and_then(|id| codes.get(&id).cloned()),
                    breaks: shift.breaks.iter().map(|b| break_text(b, shift.status, time_card.breaks_paid)).collect(),
                })
                .collect();
            DayView {
                label: day.date.format("%a %-d %b").to_string(),
                weekend: matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun),
                rows: shifts.len().max(1),
                shifts,
                hours: if day.seconds > 0 { hours(day.seconds) } else { String::new() },
                split: (day.pay.overtime_seconds > 0 || day.pay.double_time_seconds > 0).then(|| super::payroll::pay_words(day.pay)),
                time_off: day.time_off.iter().map(TimeOffLine::of).collect(),
            }
        })
        .collect();
    let pay = time_card.pay;
    let locked = response.locked.as_ref().map(|l| {
        let who = if l.by == "period" { "The pay period was approved for payroll" } else { "This card was approved" };
        let figures = if response.approved_figures { " Its hours are the figures approved then." } else { "" };
        format!("{who} on {}: corrections are locked until it is reopened.{figures}", local(l.approved_at, zone))
    });
    let changed_since_approval = response.changed_since_approval.iter().find(|c| c.date.is_none()).map(|c| {
        format!(
            "Counted now (today's payroll settings, punches that arrived since) it would be {}, not the approved {}. \
             The approved figures stay until the card is reopened.",
            super::payroll::pay_words(c.now),
            super::payroll::pay_words(c.approved)
        )
    });
    Ok(Card {
        employee: response.employee.name.as_str().to_owned(),
        period: format!("{} – {}", from.format("%a %-d %b"), to.format("%a %-d %b %Y")),
        days,
        total: hours(time_card.seconds),
        regular: hours(pay.regular_seconds),
        overtime: hours(pay.overtime_seconds),
        double_time: hours(pay.double_time_seconds),
        has_overtime: pay.overtime_seconds > 0,
        has_double_time: pay.double_time_seconds > 0,
        meal: (time_card.meal_deducted_seconds > 0).then(|| hours(time_card.meal_deducted_seconds)),
        time_off: time_card
            .time_off
            .iter()
            .map(|t| {
                let pay = if t.paid { "paid time off" } else { "unpaid time off" };
                (format!("{}, {pay} (not in the hours above)", t.name), hours(t.seconds))
            })
            .collect(),
        breaks: (time_card.break_seconds > 0).then(|| (hours(time_card.break_seconds), time_card.breaks_paid)),
        overtime_rule: "",
        issues: time_card.issues,
        prev: String::new(),
        this_week: format!("/admin/time-cards?employee={employee}&from={today}"),
        next: String::new(),
        employee_id: employee.to_string(),
        from: from.to_string(),
        locked,
        changed_since_approval,
        voided: response.voided.iter().map(view_punch).collect(),
        add: FixForm { kind: "in".to_owned(), ..FixForm::new("add".to_owned(), from.to_string(), "08:00".to_owned()) },
    })
}

/// A break as the card's notes say it: `Break 12:00–12:30 (0:30 unpaid)`; one running now,
/// `On a break since 12:00`; one a clock-out ended, `Break 12:00 until clocking out (0:20 unpaid)`.
fn break_text(b: &clockface_domain::timecard::Break<CardPunch>, status: ShiftStatus, paid: bool) -> String {
    let pay = if paid { "paid" } else { "unpaid" };
    match (&b.end, status) {
        (Some(end), _) => format!("Break {}–{} ({} {pay})", b.start.local_time, end.local_time, hours(b.seconds)),
        (None, ShiftStatus::InProgress) => format!("On a break since {}", b.start.local_time),
        (None, _) => format!("Break {} until clocking out ({} {pay})", b.start.local_time, hours(b.seconds)),
    }
}
