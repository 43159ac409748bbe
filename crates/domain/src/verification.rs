//! Face verification's vocabulary and rules: the verdicts a FaceFront photo can get, which of
//! them a person must look at, the biometric notice an employee agrees to before any face is
//! enrolled, when a first FaceFront photo enrols its employee, and how a photo is turned to be
//! shown upright. The face engine gives the evidence; these rules decide what it means; the store
//! keeps what they decided.

use crate::device::Rotation;
use crate::privacy::ReleaseStatus;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What the server concluded about one FaceFront photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The face is the employee's enrolled face.
    Match,
    /// A clear face, but not the employee's.
    Mismatch,
    /// No face in the photo.
    NoFace,
    /// Several faces, none clearly the one punching.
    SeveralFaces,
    /// A face, but too dark, blurred or small to decide.
    PoorQuality,
    /// The employee has no enrolled face to compare with (or was enrolled from this very photo).
    NotEnrolled,
    /// The photo could not be read at all, or checking it kept failing.
    Unreadable,
    /// The face may be of a photo or a screen held up to the camera (the liveness check): never a
    /// match, a person looks at it.
    PossibleSpoof,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::Match,
        Verdict::Mismatch,
        Verdict::NoFace,
        Verdict::SeveralFaces,
        Verdict::PoorQuality,
        Verdict::NotEnrolled,
        Verdict::Unreadable,
        Verdict::PossibleSpoof,
    ];

    /// The stable name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Mismatch => "mismatch",
            Verdict::NoFace => "no_face",
            Verdict::SeveralFaces => "several_faces",
            Verdict::PoorQuality => "poor_quality",
            Verdict::NotEnrolled => "not_enrolled",
            Verdict::Unreadable => "unreadable",
            Verdict::PossibleSpoof => "possible_spoof",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("verdict", format!("unknown verdict `{raw}`")))
    }

    /// Whether a person must look at the punch: every verdict but a match. A first photo that
    /// enrolled its employee is `NotEnrolled` too, so that someone confirms it is them.
    pub fn needs_review(self) -> bool {
        self != Verdict::Match
    }

    /// The verdicts that put a punch in the review queue.
    pub fn needing_review() -> impl Iterator<Item = Verdict> {
        Verdict::ALL.into_iter().filter(|v| v.needs_review())
    }

    /// A few words for the time card and the review queue.
    pub fn label(self, enrolled_now: bool) -> &'static str {
        match self {
            Verdict::Match => "Match",
            Verdict::Mismatch => "Mismatch: not the enrolled face",
            Verdict::NoFace => "No face in the photo",
            Verdict::SeveralFaces => "Several faces in the photo",
            Verdict::PoorQuality => "Photo too poor to check",
            Verdict::NotEnrolled if enrolled_now => "Enrolled from this photo",
            Verdict::NotEnrolled => "Not enrolled: no reference face yet",
            Verdict::Unreadable => "The photo could not be read",
            Verdict::PossibleSpoof => "May be a photo of a photo or a screen",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's decision on a punch in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The photo shows the employee after all.
    ThisIsThem,
    /// Someone else punched for them.
    NotThem,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::ThisIsThem => "this_is_them",
            ReviewDecision::NotThem => "not_them",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "this_is_them" => Ok(ReviewDecision::ThisIsThem),
            "not_them" => Ok(ReviewDecision::NotThem),
            _ => Err(DomainError::invalid("decision", "must be `this_is_them` or `not_them`")),
        }
    }

    /// Whether the photo may also be enrolled as a reference face: only when it is them.
    pub fn may_enrol_photo(self) -> bool {
        self == ReviewDecision::ThisIsThem
    }
}

/// Whether a FaceFront photo enrols its employee: their first usable photo, when their release
/// allows templates and they have no enrolled face yet. The punch still goes to the review queue
/// ([`Verdict::NotEnrolled`] with `enrolled_now`), for a person to confirm it is them.
pub fn first_photo_enrols(release: ReleaseStatus, has_templates: bool, usable_face: bool) -> bool {
    !has_templates && usable_face && release.may_enrol().is_ok()
}

/// How far to turn a stored photo to show it upright: the display rotation (the device's
/// setting, or an admin's turn) plus what the face engine found it still needed.
pub fn shown_rotation(display: Rotation, found_by_engine: Rotation) -> Rotation {
    display.plus(found_by_engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_have_stable_names() {
        for verdict in Verdict::ALL {
            assert_eq!(Verdict::parse(verdict.as_str()), Ok(verdict));
        }
        assert!(Verdict::parse("maybe").is_err());
        assert_eq!(serde_json_name(Verdict::SeveralFaces), "several_faces");
    }

    fn serde_json_name(verdict: Verdict) -> String {
        // The API sends the same name as the store keeps.
        format!("{verdict}")
    }

    #[test]
    fn everything_but_a_match_goes_to_a_person() {
        let review: Vec<_> = Verdict::needing_review().collect();
        assert_eq!(review.len(), Verdict::ALL.len() - 1);
        assert!(!review.contains(&Verdict::Match));
        assert!(review.contains(&Verdict::Unreadable) && review.contains(&Verdict::NotEnrolled));
    }

    #[test]
    fn review_decisions_have_stable_names_and_only_them_enrols() {
        for decision in [ReviewDecision::ThisIsThem, ReviewDecision::NotThem] {
            assert_eq!(ReviewDecision::parse(decision.as_str()), Ok(decision));
        }
        assert!(ReviewDecision::parse("maybe").is_err());
        assert!(ReviewDecision::ThisIsThem.may_enrol_photo() && !ReviewDecision::NotThem.may_enrol_photo());
    }

    #[test]
    fn only_a_first_usable_photo_with_a_signed_release_enrols() {
        assert!(first_photo_enrols(ReleaseStatus::Signed, false, true));
        assert!(!first_photo_enrols(ReleaseStatus::Signed, true, true), "already enrolled");
        assert!(!first_photo_enrols(ReleaseStatus::Signed, false, false), "no usable face");
        for status in [ReleaseStatus::NoPolicy, ReleaseStatus::NotAsked, ReleaseStatus::Outdated, ReleaseStatus::Declined] {
            assert!(!first_photo_enrols(status, false, true), "{status:?}");
        }
    }

    #[test]
    fn the_shown_rotation_adds_the_engines_turn_to_the_display_setting() {
        assert_eq!(shown_rotation(Rotation::R90, Rotation::R0), Rotation::R90);
        assert_eq!(shown_rotation(Rotation::R90, Rotation::R270), Rotation::R0);
        assert_eq!(shown_rotation(Rotation::R0, Rotation::R180), Rotation::R180);
    }
}
