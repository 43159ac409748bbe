//! Time cards: an employee's punches over a period, paired into shifts, in the company's time zone.

use crate::auth::AdminAuth;
use crate::error::{ErrorBody, Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use clockface_domain::employee::Employee;
use clockface_domain::ids::{CompanyId, EmployeeId, PunchId};
use clockface_domain::punch::Punch;
use clockface_domain::timecard::{build_time_card, weekly_period, TimeCard, TimedPunch};
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
    /// First day (YYYY-MM-DD); with `to` left out, the week (Monday to Sunday) holding today.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
}

/// A punch on a time card, with what a reader needs beside it.
#[derive(Debug, Clone, Serialize)]
pub struct CardPunch {
    #[serde(flatten)]
    pub punch: Punch,
    /// The time in the company's time zone, e.g. `07:02`.
    pub local_time: String,
    /// Where an admin fetches its FaceFront photo.
    pub photo_url: Option<String>,
    /// Why it has no photo, in words.
    pub no_photo_text: Option<&'static str>,
    /// The face verification verdict, once there is one.
    pub verification: Option<crate::api::faces::VerificationView>,
}

impl TimedPunch for CardPunch {
    fn kind(&self) -> clockface_domain::punch::PunchKind {
        self.punch.kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.punch.occurred_at
    }
}

#[derive(Serialize)]
pub struct TimeCardResponse {
    pub employee: Employee,
    pub time_card: TimeCard<CardPunch>,
}

/// Midnight at the start of `date` in `zone`, as a UTC instant.
fn start_of_day(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight).earliest().map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}

/// Builds an employee's time card for `from..=to` (the current week by default). Shared with the admin pages.
pub async fn time_card(
    state: &AppState,
    company: CompanyId,
    employee: EmployeeId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<TimeCardResponse, ApiError> {
    let company = state.store.company(company).await?;
    let employee = state.store.employee(company.id, employee).await?;
    let zone = company.time_zone;
    let now = Utc::now();
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => weekly_period(from, Weekday::Mon),
        (None, _) => weekly_period(now.with_timezone(&zone).date_naive(), Weekday::Mon),
    };
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::unprocessable(
            "invalid_period",
            format!("`to` must be on or after `from`, and a period at most {MAX_DAYS} days long"),
        ));
    }
    // A day either side, so that shifts crossing the period's edges pair up.
    let punches = state
        .store
        .punches(company.id, employee.id, start_of_day(zone, from - Duration::days(1)), start_of_day(zone, to + Duration::days(2)))
        .await?;
    let with_photo: Vec<PunchId> = punches.iter().filter(|p| p.photo_sha256.is_some()).map(|p| p.id).collect();
    let mut verdicts = state.store.verifications(company.id, &with_photo).await?;
    let mut card_punches = Vec::with_capacity(punches.len());
    for punch in punches {
        let verification = verdicts.remove(&punch.id).map(Into::into);
        card_punches.push(CardPunch {
            local_time: punch.occurred_at.with_timezone(&zone).format("%H:%M").to_string(),
            photo_url: punch.photo_sha256.as_ref().map(|sha| format!("/api/v1/photos/{sha}")),
            no_photo_text: punch.no_photo_reason.map(|r| r.describe()),
            verification,
            punch,
        });
    }
    let time_card = build_time_card(&card_punches, zone, from, to, Weekday::Mon, now);
    Ok(TimeCardResponse { employee, time_card })
}

/// An employee's time card: one entry per day with its shifts, daily, weekly and period totals
/// (in seconds), overtime beyond 40 hours a week, and the shifts with a missing clock-in or -out.
#[utoipa::path(get, path = "/employees/{id}/timecard", tag = "time cards", security(("admin" = [])), params(("id" = EmployeeId, Path), Period),
    responses((status = 200, description = "the time card", body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_time_card(
    State(state): State<AppState>,
    admin: AdminAuth,
    Path(id): Path<EmployeeId>,
    Query(period): Query<Period>,
) -> Result<Json<TimeCardResponse>, ApiError> {
    Ok(Json(time_card(&state, admin.company(), id, period.from, period.to).await?))
}
