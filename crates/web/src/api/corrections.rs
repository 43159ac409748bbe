//! Corrections to a time card: add a missed punch, move a punch's time, void a punch; each with
//! a reason. The device's punch is never changed: a correction is a new record naming what it
//! replaces (`domain::correction`), stored with its audit line in one transaction, and refused
//! while the card's pay period is approved.

use crate::auth::UserAuth;
use crate::error::{Checks, ErrorBody, Json, Path};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use clockface_app::audit::audit_entry;
use clockface_domain::correction::{Correction, CorrectionAction, Reason, Replaces};
use clockface_domain::ids::{CorrectionId, EmployeeId};
use clockface_domain::punch::PunchKind;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_correction))
}

/// A correction as asked for: what to do, to what, the new time, and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// `add`, `move` or `void`.
    pub action: String,
    /// What it corrects (`move`, `void`): `{"type": "punch", "id": ...}` for a device's punch, or
    /// `{"type": "added", "id": ...}` for a punch an earlier correction added.
    pub replaces: Option<Replaces>,
    /// `in` or `out` (`add` only).
    pub kind: Option<String>,
    /// The punch's time after the correction (`add`, `move`), RFC 3339 with offset.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Why: required.
    pub reason: String,
}

/// Checks and stores a correction made by `user` to `employee`'s card (one they reach), with its
/// audit line. Shared with the time card page.
pub async fn make_correction(
    state: &AppState,
    user: &UserAuth,
    employee: EmployeeId,
    body: CorrectionBody,
) -> Result<Correction, ApiError> {
    let (company, admin) = (user.company(), user.user());
    user.employee(employee)?;
    let action = CorrectionAction::parse(body.action.trim())?;
    // The reason's and the time's refusals are said together (a form shows each beside its field).
    let mut checks = Checks::default();
    let reason = checks.take(Reason::parse(&body.reason));
    let at = body.at.map(|t| t.with_timezone(&Utc));
    if checks.take(Correction::validate(action, body.replaces, at)).is_none() {
        return Err(checks.refused());
    }
    let company_row = state.store.company(company).await?;
    state.store.employee(company, employee).await?;
    let settings = state.store.payroll_settings(company).await?;
    // What it replaces must be this employee's: otherwise it does not exist here (404).
    let (kind, target_at) = match body.replaces {
        None => {
            let kind =
                body.kind.as_deref().ok_or_else(|| clockface_domain::DomainError::invalid("kind", "give `in` or `out` for an added punch"));
            match checks.take(kind.and_then(PunchKind::parse)) {
                Some(kind) => (kind, None),
                None => return Err(checks.refused()),
            }
        }
        Some(Replaces::Punch(id)) => {
            let punch = state.store.punch(company, id).await?;
            if punch.employee_id != employee {
                return Err(ApiError::not_found("no such punch on this employee's card"));
            }
            (punch.kind, Some(punch.occurred_at))
        }
        Some(Replaces::Added(id)) => {
            let added = state.store.correction(company, id).await?;
            if added.employee_id != employee || added.action != CorrectionAction::Add {
                return Err(ApiError::not_found("no such added punch on this employee's card"));
            }
            (added.kind, added.at)
        }
    };
    let now = Utc::now();
    let zone = company_row.time_zone;
    let timely = match at {
        Some(at) => checks.take(clockface_domain::correction::check_time(at, now, zone)).is_some(),
        None => true,
    };
    if let (true, CorrectionAction::Move, Some(from), Some(to), Some(target)) = (timely, action, target_at, at, body.replaces) {
        let others = card_around(state, company, employee, from, target).await?;
        checks.take(clockface_domain::correction::check_move(kind, from, to, &others, zone));
    }
    checks.finish()?;
    let Some(reason) = reason else {
        return Err(Checks::default().refused());
    };
    let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let placed = at.or(target_at).unwrap_or_else(Utc::now);
    let period = settings.schedule.period_containing(day(placed));
    // A move out of another period must find that one open too.
    if let Some(target) = target_at {
        let from_period = settings.schedule.period_containing(day(target));
        if from_period != period && state.store.approvals(company, from_period).await?.lock(employee).is_some() {
            return Err(clockface_store::StoreError::Locked.into());
        }
    }
    let correction = Correction {
        id: CorrectionId::new(),
        company_id: company,
        employee_id: employee,
        action,
        replaces: body.replaces,
        kind,
        at,
        reason,
        made_by: admin,
        made_at: now,
    };
    let what = match body.replaces {
        Some(Replaces::Punch(id)) => format!("punch {id}"),
        Some(Replaces::Added(id)) => format!("added punch {id}"),
        None => format!("clock-{} ", kind.as_str()),
    };
    let detail = match (action, at, target_at) {
        (CorrectionAction::Add, Some(at), _) => format!("{what}at {}; reason: {}", at.to_rfc3339(), correction.reason.as_str()),
        (CorrectionAction::Move, Some(at), Some(from)) => {
            format!("{what} from {} to {}; reason: {}", from.to_rfc3339(), at.to_rfc3339(), correction.reason.as_str())
        }
        _ => format!("{what}; reason: {}", correction.reason.as_str()),
    };
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        &format!("correction.{}", action.as_str()),
        &format!("employee:{employee}"),
        &format!("correction {}: {detail}", correction.id),
    );
    state.store.insert_correction(&correction, target_at, period, &line).await?;
    Ok(correction)
}

/// The employee's punches as they count now within a week either side of `around`, without
/// `target` (the punch being moved): what a move is checked against.
async fn card_around(
    state: &AppState,
    company: clockface_domain::ids::CompanyId,
    employee: EmployeeId,
    around: DateTime<Utc>,
    target: Replaces,
) -> Result<Vec<(PunchKind, DateTime<Utc>)>, ApiError> {
    let (from, to) = (around - chrono::Duration::days(7), around + chrono::Duration::days(7));
    let punches = state.store.punches(company, employee, from, to).await?;
    let corrections = state.store.corrections(company, Some(employee), from, to).await?;
    let applied = clockface_domain::correction::apply_corrections(&punches, |p| p.id, &corrections);
    let is_target = |c: &clockface_domain::correction::Corrected<clockface_domain::punch::Punch>| match target {
        Replaces::Punch(id) => c.original.as_ref().is_some_and(|p| p.id == id),
        Replaces::Added(id) => c.original.is_none() && c.history.first().is_some_and(|first| first.id == id),
    };
    Ok(applied.counted.iter().filter(|c| !is_target(c)).map(|c| (c.kind, c.at)).collect())
}

/// Corrects an employee's time card: adds a missed punch, moves a punch's time or voids a punch,
/// with a reason. The device's punch stays as it arrived; the time card counts the correction
/// and shows both. Refused (409 `card_locked`) while the card's pay period is approved.
#[utoipa::path(post, path = "/employees/{id}/corrections", tag = "time cards", security(("admin" = [])),
    params(("id" = EmployeeId, Path)), request_body = CorrectionBody,
    responses((status = 201, description = "the correction, as stored", body = Correction),
        (status = 404, description = "no such employee, or what it replaces is not theirs", body = ErrorBody),
        (status = 409, description = "the card is approved and locked", body = ErrorBody)))]
async fn post_correction(
    State(state): State<AppState>,
    user: UserAuth,
    Path(id): Path<EmployeeId>,
    Json(body): Json<CorrectionBody>,
) -> Result<(StatusCode, Json<Correction>), ApiError> {
    let correction = make_correction(&state, &user, id, body).await?;
    Ok((StatusCode::CREATED, Json(correction)))
}
