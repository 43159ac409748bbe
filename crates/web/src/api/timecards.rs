//! Time cards: an employee's punches over a period, paired into shifts, in the company's time zone.

use crate::auth::UserAuth;
use crate::error::{ErrorBody, Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use clockface_app::timecards::{card_rules, card_window};
use clockface_domain::approval::ApprovedFigures;
use clockface_domain::correction::{apply_corrections, Corrected, Correction};
use clockface_domain::employee::Employee;
use clockface_domain::ids::{CompanyId, EmployeeId, PunchId};
use clockface_domain::payroll::{PayPeriod, PayrollSettings};
use clockface_domain::punch::{Punch, PunchKind};
use clockface_domain::timecard::{build_time_card, TimeCard, TimedPunch};
use clockface_store::Approval;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_time_card))
}

/// The longest period one time card covers.
const MAX_DAYS: i64 = 62;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day (YYYY-MM-DD); with `to` left out, the company's pay period holding that day
    /// (holding today when both are left out).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
}

/// A correction as the card shows it: the record, and the time it replaced.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionMark {
    #[serde(flatten)]
    pub correction: Correction,
    /// The local time the card showed before this correction (the device's time for a punch
    /// from a device), e.g. `07:02`; none for an added punch.
    pub original_local_time: Option<String>,
    /// How many corrections this punch has had, this one included.
    pub corrections: usize,
}

/// A punch on a time card, with what a reader needs beside it.
#[derive(Debug, Clone, Serialize)]
pub struct CardPunch {
    /// The device's punch exactly as it arrived; absent for a punch a correction added.
    #[serde(flatten)]
    pub punch: Option<Punch>,
    /// The kind the card counts.
    pub effective_kind: PunchKind,
    /// The time the card counts: the device's, or the correction's.
    pub effective_at: DateTime<Utc>,
    /// `effective_at` in the company's time zone, e.g. `07:02`.
    pub local_time: String,
    /// Where an admin fetches its FaceFront photo.
    pub photo_url: Option<String>,
    /// Why it has no photo, in words.
    pub no_photo_text: Option<&'static str>,
    /// The face verification verdict, once there is one.
    pub verification: Option<clockface_app::reviews::VerificationView>,
    /// The correction in force on it (added, moved or voided), if any.
    pub correction: Option<CorrectionMark>,
    /// It reached the server after its card (or the period) was approved.
    pub arrived_after_approval: bool,
}

impl CardPunch {
    /// The device punch's id, or for an added punch none.
    pub fn punch_id(&self) -> Option<PunchId> {
        self.punch.as_ref().map(|p| p.id)
    }
}

/// A punch's job is the device punch's (a punch a correction added has none).
impl clockface_domain::costing::CostedPunch for CardPunch {
    fn job(&self) -> Option<clockface_domain::ids::JobId> {
        self.punch.as_ref().and_then(|p| p.job_id)
    }
    fn cost_code(&self) -> Option<clockface_domain::ids::CostCodeId> {
        self.punch.as_ref().and_then(|p| p.cost_code_id)
    }
}

impl TimedPunch for CardPunch {
    fn kind(&self) -> PunchKind {
        self.effective_kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.effective_at
    }
    fn on_break(&self) -> bool {
        self.punch.as_ref().is_some_and(|p| p.on_break)
    }
}

/// Who approved a card and when, as the card says it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LockView {
    /// `card` (a supervisor's or admin's approval of this card) or `period` (the admin's, for payroll).
    pub by: &'static str,
    pub approved_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct TimeCardResponse {
    pub employee: Employee,
    pub time_card: TimeCard<CardPunch>,
    /// Punches a correction voided: kept and shown, not counted.
    pub voided: Vec<CardPunch>,
    /// The pay period that holds `from`.
    pub pay_period: PayPeriod,
    /// Set when the card is approved for that period: corrections are refused until it is reopened.
    pub locked: Option<LockView>,
    /// The card's totals (each day's, each week's and the period's) are the figures frozen when it
    /// was approved, whatever the settings or the punches say now. Only for a card of exactly the
    /// approved pay period.
    pub approved_figures: bool,
    /// When the card, counted now (today's settings, punches that arrived after the approval),
    /// differs from its approved figures: the period's and each day's differences. Reopening the
    /// card makes the count now its figures.
    pub changed_since_approval: Vec<clockface_domain::approval::FigureChange>,
}

/// The period a request means: both days given, or the pay period holding `from` (or today).
pub fn requested_period(
    settings: &PayrollSettings,
    today: NaiveDate,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (from, _) => {
            let period = settings.schedule.period_containing(from.unwrap_or(today));
            (period.start, period.end)
        }
    };
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::unprocessable(
            "invalid_period",
            format!("`to` must be on or after `from`, and a period at most {MAX_DAYS} days long"),
        ));
    }
    Ok((from, to))
}

/// Turns corrected punches into the card's entries. `lock` is the approval in force, if any.
fn card_punch(
    entry: Corrected<Punch>,
    zone: Tz,
    lock: Option<&Approval>,
    period: PayPeriod,
    verdicts: &mut std::collections::HashMap<PunchId, clockface_store::Verification>,
) -> CardPunch {
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%H:%M").to_string();
    let verification = entry.original.as_ref().and_then(|p| verdicts.remove(&p.id)).map(Into::into);
    let correction = entry.correction.clone().map(|correction| {
        // The time before the latest correction: the one before it, or the device's.
        let before = entry.history.len().checked_sub(2).and_then(|i| entry.history.get(i)).and_then(|c| c.at);
        let original = before.or(entry.original.as_ref().map(|p| p.occurred_at));
        CorrectionMark {
            original_local_time: if correction.replaces.is_none() { None } else { original.map(local) },
            corrections: entry.history.len(),
            correction,
        }
    });
    let arrived_after_approval = match (lock, entry.original.as_ref()) {
        (Some(lock), Some(p)) => p.received_at > lock.approved_at && period.contains(p.occurred_at.with_timezone(&zone).date_naive()),
        _ => false,
    };
    CardPunch {
        local_time: local(entry.at),
        photo_url: entry.original.as_ref().and_then(|p| p.photo_sha256.as_ref()).map(|sha| format!("/api/v1/photos/{sha}")),
        no_photo_text: entry.original.as_ref().and_then(|p| p.no_photo_reason).map(|r| r.describe()),
        verification,
        correction,
        arrived_after_approval,
        effective_kind: entry.kind,
        effective_at: entry.at,
        punch: entry.original,
    }
}

/// Builds an employee's time card for `from..=to` (the current pay period by default), with
/// the company's overtime rule, meal deduction and the corrections made to it. Shared with the
/// admin pages.
pub async fn time_card(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<TimeCardResponse, ApiError> {
    let company = state.store.company(company).await?;
    let employee = state.store.employee(company.id, employee).await?;
    let settings = state.store.payroll_settings(company.id).await?;
    let zone = company.time_zone;
    let now = Utc::now();
    let (from, to) = requested_period(&settings, now.with_timezone(&zone).date_naive(), from, to)?;
    let (window_start, window_end) = card_window(zone, &settings, from, to);
    let punches = state.store.punches(company.id, employee.id, window_start, window_end).await?;
    let corrections = state.store.corrections(company.id, Some(employee.id), window_start, window_end).await?;
    let pay_period = settings.schedule.period_containing(from);
    let approvals = state.store.approvals(company.id, pay_period).await?;
    let lock = approvals.lock(employee.id);
    let with_photo: Vec<PunchId> = punches.iter().filter(|p| p.photo_sha256.is_some()).map(|p| p.id).collect();
    let mut verdicts = state.store.verifications(company.id, &with_photo).await?;
    let applied = apply_corrections(&punches, |p| p.id, &corrections);
    let counted: Vec<CardPunch> = applied.counted.into_iter().map(|e| card_punch(e, zone, lock, pay_period, &mut verdicts)).collect();
    let voided = applied
        .voided
        .into_iter()
        .map(|e| card_punch(e, zone, lock, pay_period, &mut verdicts))
        .filter(|p| {
            let day = p.effective_at.with_timezone(&zone).date_naive();
            from <= day && day <= to
        })
        .collect();
    let rules = card_rules(&settings);
    let mut time_card = build_time_card(&counted, zone, from, to, &rules, now);
    // Approved time off and company holidays, beside the worked hours (never in them); an
    // approved card shows the time off it was approved with instead (`apply_to`).
    let time_off = clockface_app::timeoff::card_time_off(state.store.as_ref(), company.id, from, to).await?;
    clockface_domain::timecard::attach_time_off(&mut time_card, &time_off.of(employee.id));
    let frozen = approvals.figures(employee.id).filter(|_| (from, to) == (pay_period.start, pay_period.end));
    let changed_since_approval = match frozen {
        Some(figures) => {
            let changes = figures.differences(&ApprovedFigures::of(&time_card, &rules));
            figures.apply_to(&mut time_card);
            changes
        }
        None => Vec::new(),
    };
    let locked = approvals
        .period
        .as_ref()
        .map(|a| LockView { by: "period", approved_at: a.approved_at })
        .or_else(|| approvals.cards.get(&employee.id).map(|a| LockView { by: "card", approved_at: a.approved_at }));
    Ok(TimeCardResponse { employee, time_card, voided, pay_period, locked, approved_figures: frozen.is_some(), changed_since_approval })
}

/// An employee's time card: one entry per day with its shifts, daily, weekly and period totals
/// (in seconds) by pay rate under the company's overtime rule, meal deductions, corrections (each
/// corrected punch carries the correction and the time it replaced), voided punches, whether the
/// card is approved (locked), and the shifts with a missing clock-in or -out.
#[utoipa::path(get, path = "/employees/{id}/timecard", tag = "time cards", security(("admin" = [])), params(("id" = EmployeeId, Path), Period),
    responses((status = 200, description = "the time card", body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_time_card(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<EmployeeId>,
    Query(period): Query<Period>,
) -> Result<Json<TimeCardResponse>, ApiError> {
    user.employee(id)?;
    Ok(Json(time_card(&state, user.company(), id, period.from, period.to).await?))
}
