//! How the pages show a FaceFront photo's verdict: the same words, colour, score and upright
//! rotation on the time card and in the review queue. What a verdict means is the domain's
//! (`clockface_domain::verification`); this is only its look.

use clockface_app::reviews::VerificationView;
use clockface_domain::device::Rotation;
use clockface_domain::verification::{shown_rotation, Verdict};
use clockface_store::PhotoRecord;

/// A verdict as a page shows it.
pub struct VerdictView {
    /// The verdict in a few words, e.g. "Mismatch: not the enrolled face".
    pub label: &'static str,
    /// Its badge colour: `green`, `red`, `amber`, `blue` or `pending`.
    pub colour: &'static str,
    /// The score against the threshold, e.g. "score 0.81 · threshold 0.36", when it was compared.
    pub score: Option<String>,
    /// Whether a person should look at it (every verdict but a match): marked on the time card.
    pub doubtful: bool,
    /// The engine's explanation, for the review queue.
    pub message: String,
}

impl VerdictView {
    pub fn of(verification: &VerificationView) -> VerdictView {
        let verdict = verification.verdict;
        let colour = match verdict {
            Verdict::Match => "green",
            Verdict::Mismatch | Verdict::Unreadable | Verdict::PossibleSpoof => "red",
            Verdict::NotEnrolled if verification.enrolled_now => "blue",
            Verdict::NoFace | Verdict::SeveralFaces | Verdict::PoorQuality | Verdict::NotEnrolled => "amber",
        };
        VerdictView {
            label: verdict.label(verification.enrolled_now),
            colour,
            score: match (verification.score, verification.liveness) {
                (Some(score), Some(live)) => Some(format!(
                    "score {score:.2} · threshold {:.2} · liveness {:.2} (at least {:.2})",
                    verification.threshold, live.score, live.threshold
                )),
                (Some(score), None) => Some(format!("score {score:.2} · threshold {:.2}", verification.threshold)),
                (None, Some(live)) => Some(format!("liveness {:.2} (at least {:.2})", live.score, live.threshold)),
                (None, None) => None,
            },
            doubtful: verdict.needs_review(),
            message: verification.message.clone(),
        }
    }

    /// A punch in the review queue because the photo its role asked for is missing.
    pub fn missing_photo(reason: &str) -> VerdictView {
        VerdictView { label: "No photo", colour: "red", score: None, doubtful: true, message: reason.to_owned() }
    }

    /// A punch in the review queue for what the server could not vouch for (`detail`).
    pub fn flagged(detail: &str) -> VerdictView {
        VerdictView { label: "Flagged", colour: "amber", score: None, doubtful: true, message: detail.to_owned() }
    }

    /// Before the worker has looked at the photo.
    pub fn pending() -> VerdictView {
        VerdictView { label: "Waiting for verification", colour: "pending", score: None, doubtful: false, message: String::new() }
    }
}

/// Degrees clockwise to show a photo upright: its display rotation (the device's setting or an
/// admin's later turn) plus the turn the face engine found it still needed.
pub fn upright_degrees(photo: Option<&PhotoRecord>, verification: Option<&VerificationView>) -> i64 {
    let display = photo.map_or(Rotation::R0, |p| p.display_rotation);
    let engine = verification.map_or(Rotation::R0, |v| v.engine_rotation);
    shown_rotation(display, engine).degrees()
}
