//! The review queue: the punches a person looks at (a verdict other than a match, or a required
//! photo missing), newest first, with what a reviewer compares each with, and a verdict as both
//! faces show it. A supervisor's queue holds only their employees' punches. Used by `GET
//! /api/v1/review-queue` and the admin Review page. Recording a decision is still
//! `web/api/faces.rs`'s `decide_review` (it may enrol the photo, which the face engine does in
//! `web/verification.rs`).

use crate::scope::Scope;
use crate::AppError;
use chrono::{DateTime, Utc};
use clockface_domain::device::Rotation;
use clockface_domain::ids::EmployeeId;
use clockface_domain::punch::Punch;
use clockface_domain::verification::Verdict;
use clockface_store::{FaceTemplate, Store, Verification};
use serde::Serialize;
use std::collections::HashMap;

/// A verdict as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationView {
    pub verdict: Verdict,
    pub score: Option<f64>,
    pub threshold: f64,
    /// Degrees (clockwise) the photo was turned, after its EXIF orientation, to be upright when it was checked.
    pub rotation: i64,
    /// The part of `rotation` the face engine found, beyond the photo's display rotation; show the
    /// photo turned by its display rotation plus this.
    #[schema(value_type = i64)]
    pub engine_rotation: Rotation,
    pub faces: i64,
    pub message: String,
    pub enrolled_now: bool,
    pub decided_at: DateTime<Utc>,
    /// The liveness check of the verified face, when the role asks for it: its score (0 to 1,
    /// the chance the networks give it of being live) and the threshold below which the verdict
    /// is `possible_spoof`.
    pub liveness: Option<LivenessView>,
    /// The active check of the punch's head-turn burst, when it carried one.
    pub active: Option<ActiveView>,
}

/// What the active check found of a head-turn burst.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ActiveView {
    /// One face followed through the frames, the same person throughout (and the employee), the
    /// head turned the way asked, live frames.
    pub passed: bool,
    /// The head turn measured in the direction asked (the nose's sideways move, in eye spacings;
    /// negative: the other way).
    pub turn: f64,
    /// The least turn that counts.
    pub min_turn: f64,
}

/// A liveness score and the threshold it was held against.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct LivenessView {
    pub score: f64,
    pub threshold: f64,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> Self {
        VerificationView {
            verdict: v.verdict,
            score: v.score,
            threshold: v.threshold,
            rotation: v.rotation,
            engine_rotation: v.engine_rotation,
            faces: v.faces,
            message: v.message,
            enrolled_now: v.enrolled_now,
            decided_at: v.decided_at,
            liveness: v.liveness.map(|(score, threshold)| LivenessView { score, threshold }),
            active: v.active.map(|a| ActiveView { passed: a.passed, turn: a.turn, min_turn: f64::from(clockface_face::MIN_TURN) }),
        }
    }
}

/// A punch waiting in the review queue, with what a reviewer compares it with.
pub struct WaitingReview {
    pub punch: Punch,
    pub employee_name: String,
    /// The employee's first enrolled face.
    pub reference: Option<FaceTemplate>,
    /// Absent for a punch whose required photo is missing.
    pub verification: Option<Verification>,
}

/// The review queue, newest first, at most `limit` punches; a supervisor's holds only their
/// employees'. Read in a fixed number of queries, however long the queue.
pub async fn waiting_reviews(store: &dyn Store, scope: Scope<'_>, limit: i64) -> Result<Vec<WaitingReview>, AppError> {
    let company = scope.company;
    let queue = store.review_queue(company, scope.reach.supervisor(), limit).await?;
    let names: HashMap<EmployeeId, String> =
        store.employees(company, None).await?.into_iter().map(|e| (e.id, e.name.as_str().to_owned())).collect();
    let mut employees: Vec<EmployeeId> = queue.iter().map(|(punch, _)| punch.employee_id).collect();
    employees.sort_unstable();
    employees.dedup();
    let references = store.first_templates(company, &employees).await?;
    Ok(queue
        .into_iter()
        .map(|(punch, verification)| WaitingReview {
            employee_name: names.get(&punch.employee_id).cloned().unwrap_or_default(),
            reference: references.get(&punch.employee_id).cloned(),
            verification,
            punch,
        })
        .collect())
}
