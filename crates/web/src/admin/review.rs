//! Review: the punches whose verdict is not a match and those that lacked a required photo,
//! newest first, each with its FaceFront photo beside the employee's enrolled reference photo,
//! and the two decisions, **This is them** (optionally enrolling the photo) and **Not them**.
//! The queue is `clockface_app::reviews::waiting_reviews`; the decision is still the API's (`api::faces::decide_review`).

use super::devices::local;
use super::verdicts::{upright_degrees, VerdictView};
use super::{parse_id, render, see_other, FormErrors, Layout, PageError, SignedForm, UserSession};
use crate::admin::words::{self, Words};
use crate::api::faces::decide_review;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use clockface_app::reviews::{waiting_reviews, VerificationView};
use clockface_domain::ids::PunchId;
use clockface_domain::punch::PunchKind;
use clockface_store::ReviewDecision;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/review", get(review_page)).route("/admin/review/{punch}", post(decide))
}

/// How many items the menu's badge counts at most.
pub const BADGE_LIMIT: i64 = 100;

struct Photo {
    url: String,
    rotation: i64,
}

struct Item {
    punch_id: String,
    employee: String,
    employee_id: String,
    kind: &'static str,
    when: String,
    device: String,
    photo: Option<Photo>,
    reference: Option<Photo>,
    /// The head-turn burst (one image of its frames), with what was asked and found.
    burst: Option<BurstView>,
    verdict: VerdictView,
    /// Whether the photo may be added to their enrolment (their release is signed): otherwise the
    /// page does not offer it.
    may_enrol: bool,
    /// What the server could not vouch for when the punch arrived.
    /// Each flag's label and what it says (e.g. the distance outside a geofence).
    flags: Vec<(&'static str, String)>,
}

/// A head-turn burst as the review page shows it.
struct BurstView {
    url: String,
    /// E.g. "Asked to turn to their left · 8 frames · turn measured 0.41 (at least 0.20)".
    caption: String,
}

impl BurstView {
    fn of(burst: &clockface_domain::punch::Burst, verification: Option<&VerificationView>) -> BurstView {
        let asked = match burst.prompt {
            clockface_domain::punch::TurnPrompt::Left => "Asked to turn to their left",
            clockface_domain::punch::TurnPrompt::Right => "Asked to turn to their right",
        };
        let found = match verification.and_then(|v| v.active) {
            Some(active) => format!(" · turn measured {:.2} (at least {:.2})", active.turn, active.min_turn),
            None => String::new(),
        };
        BurstView {
            url: format!("/admin/photos/{}?on=review", burst.sha256), caption: format!("{asked} · {} frames{found}", burst.frames)
        }
    }
}

/// A punch that reached the server after its card was approved.
struct LateItem {
    employee: String,
    kind: &'static str,
    when: String,
    received: String,
    card: String,
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    layout: Layout,
    items: Vec<Item>,
    late: Vec<LateItem>,
    errors: FormErrors,
    done: Option<&'static str>,
}

#[derive(Deserialize)]
struct ReviewQuery {
    done: Option<String>,
}

/// The page, read in a fixed number of queries: the queue with its verdicts, names and
/// references, then the photos' display rotations and the device names, each in one.
async fn page(state: &AppState, admin: &UserSession, errors: FormErrors, done: Option<&'static str>) -> Result<ReviewPage, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let auth = admin.auth();
    let waiting = waiting_reviews(&*state.store, auth.scope(), 200).await?;
    let shas: Vec<String> = waiting
        .iter()
        .flat_map(|w| [w.punch.photo_sha256.clone(), w.reference.as_ref().map(|t| t.photo_sha256.clone())])
        .flatten()
        .collect();
    let photos = state.store.photos(company, &shas).await?;
    let devices: HashMap<_, _> = state.store.devices(company).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let mut signed = HashMap::new();
    for employee in waiting.iter().map(|w| w.punch.employee_id) {
        if let std::collections::hash_map::Entry::Vacant(entry) = signed.entry(employee) {
            entry.insert(crate::privacy::release_status(state, company, employee).await?.may_enrol().is_ok());
        }
    }
    let photo = |sha: &str, verification: Option<&VerificationView>| Photo {
        url: format!("/admin/photos/{sha}?on=review"),
        rotation: upright_degrees(photos.get(sha), verification),
    };
    let items = waiting
        .into_iter()
        .map(|w| {
            let verification = w.verification.map(VerificationView::from);
            let punch = &w.punch;
            Item {
                punch_id: punch.id.to_string(),
                employee: w.employee_name.clone(),
                employee_id: punch.employee_id.to_string(),
                kind: if punch.kind == PunchKind::In { "Clock in" } else { "Clock out" },
                when: local(punch.occurred_at, zone),
                device: devices.get(&punch.device_id).cloned().unwrap_or_else(|| "Unknown device".to_owned()),
                photo: punch.photo_sha256.as_deref().map(|sha| photo(sha, verification.as_ref())),
                reference: w.reference.as_ref().map(|t| photo(&t.photo_sha256, None)),
                burst: punch.burst.as_ref().map(|b| BurstView::of(b, verification.as_ref())),
                may_enrol: signed.get(&punch.employee_id).copied().unwrap_or(false),
                verdict: match (&verification, punch.flags.is_empty()) {
                    (Some(v), _) => VerdictView::of(v),
                    (None, false) => VerdictView::flagged(&punch.flags.iter().map(|f| f.detail.as_str()).collect::<Vec<_>>().join(" ")),
                    (None, true) => {
                        VerdictView::missing_photo(punch.no_photo_reason.map_or("A required photo is missing.", |r| r.describe()))
                    }
                },
                flags: punch.flags.iter().map(|f| (f.flag.label(), f.detail.clone())).collect(),
            }
        })
        .collect();
    // Punches that arrived after approval, with their employees' names and the card to open.
    let late_punches = state.store.arrived_after_approval(company, admin.reach.supervisor(), 200).await?;
    let names: HashMap<_, _> =
        state.store.employees(company, None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
    let late = late_punches
        .iter()
        .map(|p| LateItem {
            employee: names.get(&p.employee_id).cloned().unwrap_or_default(),
            kind: if p.kind == PunchKind::In { "Clock in" } else { "Clock out" },
            when: local(p.occurred_at, zone),
            received: local(p.received_at, zone),
            card: format!("/admin/time-cards?employee={}&from={}", p.employee_id, p.occurred_at.with_timezone(&zone).date_naive()),
        })
        .collect();
    Ok(ReviewPage { layout: Layout::new(admin, "review", words::en("base.review")), items, late, errors, done })
}

async fn review_page(State(state): State<AppState>, admin: UserSession, Query(query): Query<ReviewQuery>) -> Result<Response, PageError> {
    let done = match query.done.as_deref() {
        Some("them") => Some("Recorded: this is them."),
        Some("enrolled") => Some("Recorded: this is them. The photo was added to their enrolment."),
        Some("not_them") => Some("Recorded: not them."),
        _ => None,
    };
    Ok(render(StatusCode::OK, &page(&state, &admin, FormErrors::default(), done).await?))
}

async fn decide(State(state): State<AppState>, Path(punch): Path<String>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let punch: PunchId = parse_id(&punch)?;
    let result = match ReviewDecision::parse(form.get("decision")) {
        Ok(decision) => {
            let add = decision.may_enrol_photo() && form.checked("add_to_enrolment");
            decide_review(&state, &admin.auth(), punch, decision, add).await.map(|(_, enrolled)| (decision, enrolled))
        }
        Err(_) => Err(ApiError::unprocessable("invalid", "choose This is them or Not them").with_field("decision")),
    };
    match result {
        Ok((ReviewDecision::NotThem, _)) => Ok(see_other("/admin/review?done=not_them")),
        Ok((_, true)) => Ok(see_other("/admin/review?done=enrolled")),
        Ok((_, false)) => Ok(see_other("/admin/review?done=them")),
        Err(error) => {
            let (status, mut errors) = FormErrors::from_error(error)?;
            if errors.form.is_none() {
                errors.form = errors.fields.first().map(|(_, m)| m.clone());
            }
            Ok(render(status, &page(&state, &admin, errors, None).await?))
        }
    }
}
