//! Review: the punches whose verdict is not a match and those that lacked a required photo,
//! newest first, each with its FaceFront photo beside the employee's enrolled reference photo,
//! and the two decisions, **This is them** (optionally enrolling the photo) and **Not them**.
//! The queue and the decision are the API's (`api::faces::waiting_reviews`, `decide_review`).

use super::devices::local;
use super::{parse_id, render, see_other, AdminSession, FormErrors, Layout, PageError, SignedForm};
use crate::api::faces::{decide_review, waiting_reviews};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
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

/// A verdict in words, and the badge colour it is shown in.
pub fn verdict_words(verdict: &str, score: Option<f64>, threshold: f64, enrolled_now: bool) -> (String, &'static str) {
    let score = score.map(|s| format!(" (score {s:.2}, threshold {threshold:.2})")).unwrap_or_default();
    let (words, colour) = match verdict {
        "match" => (format!("Match{score}"), "green"),
        "mismatch" => (format!("Mismatch: not the enrolled face{score}"), "red"),
        "no_face" => ("No face in the photo".to_owned(), "amber"),
        "several_faces" => ("Several faces in the photo".to_owned(), "amber"),
        "poor_quality" => ("Photo too poor to check".to_owned(), "amber"),
        "not_enrolled" if enrolled_now => ("Enrolled from this photo".to_owned(), "blue"),
        "not_enrolled" => ("Not enrolled: no reference face yet".to_owned(), "amber"),
        "unreadable" => ("The photo could not be read".to_owned(), "red"),
        other => (other.replace('_', " "), "grey"),
    };
    (words, colour)
}

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
    verdict: String,
    colour: &'static str,
    message: String,
    score: String,
    threshold: String,
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    layout: Layout,
    items: Vec<Item>,
    errors: FormErrors,
    done: Option<&'static str>,
}

#[derive(Deserialize)]
struct ReviewQuery {
    done: Option<String>,
}

async fn page(state: &AppState, admin: &AdminSession, errors: FormErrors, done: Option<&'static str>) -> Result<ReviewPage, PageError> {
    let company = admin.company_id();
    let zone = admin.company.time_zone;
    let devices: HashMap<_, _> = state.store.devices(company).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let mut items = Vec::new();
    for waiting in waiting_reviews(state, company, 200).await? {
        let punch = &waiting.punch;
        let photo = match &punch.photo_sha256 {
            Some(sha) => {
                let display = state.store.photo(company, sha).await?.map_or(0, |r| r.display_rotation.degrees());
                // The verdict knows how far the photo had to turn to be upright; before one, the display setting.
                let rotation = waiting.verification.as_ref().map_or(display, |v| v.rotation.rem_euclid(360));
                Some(Photo { url: format!("/admin/photos/{sha}"), rotation })
            }
            None => None,
        };
        let reference = match &waiting.reference {
            Some(t) => {
                let rotation = state.store.photo(company, &t.photo_sha256).await?.map_or(0, |r| r.display_rotation.degrees());
                Some(Photo { url: format!("/admin/photos/{}", t.photo_sha256), rotation })
            }
            None => None,
        };
        let (verdict, colour, message, score, threshold) = match &waiting.verification {
            Some(v) => {
                let (words, colour) = verdict_words(&v.verdict, v.score, v.threshold, v.enrolled_now);
                (
                    words,
                    colour,
                    v.message.clone(),
                    v.score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "—".to_owned()),
                    format!("{:.3}", v.threshold),
                )
            }
            None => (
                "No photo".to_owned(),
                "red",
                punch.no_photo_reason.map_or("A required photo is missing.", |r| r.describe()).to_owned(),
                "—".to_owned(),
                "—".to_owned(),
            ),
        };
        items.push(Item {
            punch_id: punch.id.to_string(),
            employee: waiting.employee_name.clone(),
            employee_id: punch.employee_id.to_string(),
            kind: if punch.kind == PunchKind::In { "Clock in" } else { "Clock out" },
            when: local(punch.occurred_at, zone),
            device: devices.get(&punch.device_id).cloned().unwrap_or_else(|| "Unknown device".to_owned()),
            photo,
            reference,
            verdict,
            colour,
            message,
            score,
            threshold,
        });
    }
    Ok(ReviewPage { layout: Layout::new(admin, "review", "Review"), items, errors, done })
}

async fn review_page(State(state): State<AppState>, admin: AdminSession, Query(query): Query<ReviewQuery>) -> Result<Response, PageError> {
    let done = match query.done.as_deref() {
        Some("them") => Some("Recorded: this is them."),
        Some("enrolled") => Some("Recorded: this is them. The photo was added to their enrolment."),
        Some("not_them") => Some("Recorded: not them."),
        _ => None,
    };
    Ok(render(StatusCode::OK, &page(&state, &admin, FormErrors::default(), done).await?))
}

async fn decide(State(state): State<AppState>, Path(punch): Path<String>, signed: SignedForm) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    let punch: PunchId = parse_id(&punch)?;
    let result = match ReviewDecision::parse(form.get("decision")) {
        Ok(decision) => {
            let add = decision == ReviewDecision::ThisIsThem && form.checked("add_to_enrolment");
            decide_review(&state, admin.company_id(), admin.session.admin_id, punch, decision, add)
                .await
                .map(|(_, enrolled)| (decision, enrolled))
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
