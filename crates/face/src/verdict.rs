//! Decisions: is the person in this photo the enrolled employee, and which
//! face in a crew photo belongs to whom.

use serde::Serialize;

use crate::embed::{compare, Embedding};
use crate::engine::{AnalysedFace, Analysis};
use crate::liveness::Liveness;
use crate::quality::QualityIssue;

/// A second face narrower than this, relative to the largest, is a
/// bystander whatever else is true of it (the rule before issue 16, kept).
pub const SEVERAL_FACES_RATIO: f32 = 0.6;

/// A second face narrower than this, relative to the largest, is still a
/// bystander when the largest face is also clearly nearer the photo's centre
/// ([`CENTRE_MARGIN`]); at or above it (faces of about the same size) nobody
/// clearly dominates and the verdict is [`Verdict::SeveralFaces`].
///
/// Measured with `examples/bench.rs` (figures in the crate README): two dev
/// crops side by side at the same size gave width ratios (second face to
/// largest) of 0.84 to 1.04, and the 11 crew photos of `groups/` 0.82 to
/// 1.04, so 0.8 keeps every one of them `several_faces`; a bystander pasted
/// at 60-75% size just behind the subject came out at 0.51 to 0.77.
pub const DOMINANT_RATIO: f32 = 0.8;

/// How much nearer the photo's centre (in fractions of its width and
/// height) the largest face must be for a face between
/// [`SEVERAL_FACES_RATIO`] and [`DOMINANT_RATIO`] of its width to count as a
/// bystander. Two people side by side were within 0.05 of each other (either
/// way) in every composite of the bench; bystanders behind a centred subject
/// were 0.21 to 0.29 further out, bystanders in a corner 0.47 to 0.60.
pub const CENTRE_MARGIN: f32 = 0.1;

/// The outcome of checking one probe photo against one employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Same person.
    Match,
    /// A usable face, but not this person.
    Mismatch,
    /// No face in the photo.
    NoFace,
    /// Several faces could be the person punching.
    SeveralFaces,
    /// A face, but not good enough to decide.
    PoorQuality(QualityIssue),
    /// The employee has no enrolled face to compare with.
    NotEnrolled,
}

impl Verdict {
    /// A short message for the worker or the reviewer.
    pub fn message(&self) -> &'static str {
        match self {
            Verdict::Match => "Face matches.",
            Verdict::Mismatch => "Face does not match the enrolled photos.",
            Verdict::NoFace => QualityIssue::NoFace.message(),
            Verdict::SeveralFaces => QualityIssue::SeveralFaces.message(),
            Verdict::PoorQuality(issue) => issue.message(),
            Verdict::NotEnrolled => "No face is enrolled for this employee yet.",
        }
    }
}

/// A verdict with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// What was decided.
    pub verdict: Verdict,
    /// Best cosine similarity against the enrolled embeddings, when compared.
    pub score: Option<f32>,
    /// Threshold the score was held against.
    pub threshold: f32,
    /// Human-readable explanation.
    pub message: &'static str,
    /// Faces seen besides the one that was checked (bystanders the subject
    /// clearly dominates); 0 unless a face was compared.
    pub other_faces: usize,
}

impl Analysis {
    /// The face of the person punching, or why there is no usable one: no
    /// face, several faces none of which clearly dominates, or a quality
    /// problem. The subject is the largest face; every other face must be a
    /// bystander ([`Analysis::dominates`]).
    pub fn subject(&self) -> Result<&AnalysedFace, Verdict> {
        let Some(first) = self.faces.first() else {
            return Err(Verdict::NoFace);
        };
        if !self.faces.iter().skip(1).all(|f| self.dominates(first, f)) {
            return Err(Verdict::SeveralFaces);
        }
        match first.quality.issue() {
            Some(issue) => Err(Verdict::PoorQuality(issue)),
            None => Ok(first),
        }
    }

    /// Where the subject is in [`Analysis::faces`], when there is one.
    pub fn subject_index(&self) -> Option<usize> {
        // The subject is always the largest face; this names it for the callers that must follow it.
        self.subject().ok().map(|_| 0)
    }

    /// How many faces besides the subject were seen (and ignored), when
    /// there is a subject; 0 otherwise.
    pub fn others_seen(&self) -> usize {
        if self.subject().is_ok() {
            self.faces.len() - 1
        } else {
            0
        }
    }

    /// Whether `subject` clearly dominates `other`, so that `other` is a
    /// bystander (a co-worker behind the employee) and not a second person
    /// who could be the one punching.
    ///
    /// `other` is a bystander when its box is narrower than
    /// [`SEVERAL_FACES_RATIO`] of the subject's, or narrower than
    /// [`DOMINANT_RATIO`] of it while the subject's centre is at least
    /// [`CENTRE_MARGIN`] nearer the photo's centre (a selfie is framed on the
    /// one taking it). Faces of about the same size, as when two people pose
    /// together, never dominate each other. Size and position decide; the
    /// detection score and sharpness do not: in the crew photos both were as
    /// often higher for the second face as for the largest (bench output).
    pub fn dominates(&self, subject: &AnalysedFace, other: &AnalysedFace) -> bool {
        let ratio = other.face.width / subject.face.width.max(f32::EPSILON);
        if ratio < SEVERAL_FACES_RATIO {
            return true;
        }
        ratio < DOMINANT_RATIO && self.off_centre(other) - self.off_centre(subject) >= CENTRE_MARGIN
    }

    /// Distance of a face's centre from the photo's centre, in fractions of
    /// the photo's width and height.
    fn off_centre(&self, f: &AnalysedFace) -> f32 {
        let (w, h) = (self.width.max(1) as f32, self.height.max(1) as f32);
        let dx = (f.face.x + f.face.width / 2.0) / w - 0.5;
        let dy = (f.face.y + f.face.height / 2.0) / h - 0.5;
        dx.hypot(dy)
    }
}

/// Checks a probe photo against an employee's enrolled embeddings; the
/// score is the best cosine similarity over them.
pub fn verdict(probe: &Analysis, enrolled: &[Embedding], threshold: f32) -> Decision {
    let decide = |verdict: Verdict, score| Decision { verdict, score, threshold, message: verdict.message(), other_faces: 0 };
    if enrolled.is_empty() {
        return decide(Verdict::NotEnrolled, None);
    }
    let face = match probe.subject() {
        Ok(face) => face,
        Err(v) => return decide(v, None),
    };
    let score = best_score(&face.embedding, enrolled);
    let verdict = if score >= threshold { Verdict::Match } else { Verdict::Mismatch };
    let other_faces = probe.faces.len() - 1;
    let message = match (verdict, other_faces) {
        (_, 0) => verdict.message(),
        (Verdict::Match, _) => "Face matches. Other faces were in the picture; only the main one was checked.",
        _ => "Face does not match the enrolled photos. Other faces were in the picture; only the main one was checked.",
    };
    Decision { verdict, score: Some(score), threshold, message, other_faces }
}

/// The outcome of checking one probe photo against one employee, with its
/// passive liveness: [`Verdict`]'s outcomes, and one of its own.
///
/// Only [`live_verdict`] makes it, and it gives [`LiveVerdict::Match`] only
/// for a face that matches *and* was judged live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum LiveVerdict {
    /// Same person, and live.
    Match,
    /// The face that was checked may be a photo of a photo or of a screen
    /// (its liveness is below the threshold, or could not be judged):
    /// flagged for review whatever its face score.
    PossibleSpoof,
    /// A usable face, but not this person (and live).
    Mismatch,
    /// No face in the photo.
    NoFace,
    /// Several faces could be the person punching.
    SeveralFaces,
    /// A face, but not good enough to decide.
    PoorQuality(QualityIssue),
    /// The employee has no enrolled face to compare with.
    NotEnrolled,
}

impl LiveVerdict {
    /// A short message for the worker or the reviewer.
    pub fn message(&self) -> &'static str {
        match self {
            LiveVerdict::Match => Verdict::Match.message(),
            LiveVerdict::PossibleSpoof => "May be a photo of a photo or a screen.",
            LiveVerdict::Mismatch => Verdict::Mismatch.message(),
            LiveVerdict::NoFace => Verdict::NoFace.message(),
            LiveVerdict::SeveralFaces => Verdict::SeveralFaces.message(),
            LiveVerdict::PoorQuality(issue) => issue.message(),
            LiveVerdict::NotEnrolled => Verdict::NotEnrolled.message(),
        }
    }

    /// Whether a person should look at the punch (everything but a live match).
    pub fn needs_review(&self) -> bool {
        *self != LiveVerdict::Match
    }
}

/// A [`LiveVerdict`] with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveDecision {
    /// What was decided.
    pub verdict: LiveVerdict,
    /// The face comparison alone, as [`verdict`] gives it (its `verdict` may
    /// be `Match` where this one is `PossibleSpoof`: use [`LiveDecision::verdict`]).
    pub face: Decision,
    /// The passive liveness of the face that was compared (the subject), when
    /// there was one and it was judged.
    pub liveness: Option<Liveness>,
    /// Human-readable explanation.
    pub message: &'static str,
}

/// Checks a probe photo against an employee's enrolled embeddings, and the
/// liveness of the very face that was compared ([`Analysis::subject`]).
///
/// A subject that is not live, or whose liveness was not judged (an analysis
/// made with liveness off, or of a crew photo), is
/// [`LiveVerdict::PossibleSpoof`] whatever its face score: a spoof is never
/// silently a match. Without a usable subject the face's own verdict stands.
pub fn live_verdict(probe: &Analysis, enrolled: &[Embedding], threshold: f32) -> LiveDecision {
    let face = verdict(probe, enrolled, threshold);
    let liveness = probe.subject().ok().and_then(|s| s.liveness);
    let compared = matches!(face.verdict, Verdict::Match | Verdict::Mismatch);
    let verdict = match face.verdict {
        _ if compared && !liveness.is_some_and(|l| l.live) => LiveVerdict::PossibleSpoof,
        Verdict::Match => LiveVerdict::Match,
        Verdict::Mismatch => LiveVerdict::Mismatch,
        Verdict::NoFace => LiveVerdict::NoFace,
        Verdict::SeveralFaces => LiveVerdict::SeveralFaces,
        Verdict::PoorQuality(issue) => LiveVerdict::PoorQuality(issue),
        Verdict::NotEnrolled => LiveVerdict::NotEnrolled,
    };
    let message = if verdict == LiveVerdict::PossibleSpoof { verdict.message() } else { face.message };
    LiveDecision { verdict, face, liveness, message }
}

fn best_score(probe: &Embedding, enrolled: &[Embedding]) -> f32 {
    enrolled.iter().map(|e| compare(probe, e)).fold(f32::MIN, f32::max)
}

/// Where a crew member was found in a group photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CrewMatch {
    /// Member's face is `face` (an index into the analysed faces).
    Found {
        /// Index into [`Analysis::faces`].
        face: usize,
        /// Cosine similarity of that face to the member.
        score: f32,
    },
    /// No remaining face reached the threshold for this member.
    NotFound {
        /// Best score any face reached, even if taken by someone else.
        best_score: Option<f32>,
    },
}

/// Assigns each crew member (one entry per member: their enrolled
/// embeddings) at most one face of a group photo, each face to at most one
/// member.
///
/// Greedy on the highest score first: the most certain pair is settled
/// before any weaker one, which for crews of a few people gives the same
/// answer as an optimal assignment whenever the matches are clear, and is
/// easy to explain to a reviewer. Members with no enrolled face are NotFound.
pub fn match_crew(faces: &[AnalysedFace], members: &[Vec<Embedding>], threshold: f32) -> Vec<CrewMatch> {
    let mut pairs = Vec::new();
    let mut best: Vec<Option<f32>> = vec![None; members.len()];
    for (m, enrolled) in members.iter().enumerate() {
        if enrolled.is_empty() {
            continue;
        }
        for (f, face) in faces.iter().enumerate() {
            let s = best_score(&face.embedding, enrolled);
            best[m] = Some(best[m].map_or(s, |b| b.max(s)));
            if s >= threshold {
                pairs.push((s, m, f));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut result: Vec<CrewMatch> = best.iter().map(|&b| CrewMatch::NotFound { best_score: b }).collect();
    let mut face_taken = vec![false; faces.len()];
    let mut member_done = vec![false; members.len()];
    for (score, m, f) in pairs {
        if !member_done[m] && !face_taken[f] {
            member_done[m] = true;
            face_taken[f] = true;
            result[m] = CrewMatch::Found { face: f, score };
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Face, Point};
    use crate::photo::Orientation;
    use crate::quality::QualityMeasures;

    fn face(x: f32, y: f32, width: f32) -> AnalysedFace {
        let embedding = Embedding::from_vec(vec![1.0; crate::EMBEDDING_LEN]).unwrap();
        let face = Face { x, y, width, height: width * 1.2, score: 0.9, landmarks: [Point { x, y }; 5] };
        AnalysedFace {
            face,
            embedding,
            quality: QualityMeasures { face_pixels: width, brightness: 120.0, sharpness: 100.0 },
            liveness: None,
        }
    }

    fn photo(mut faces: Vec<AnalysedFace>) -> Analysis {
        faces.sort_by(|a, b| b.face.width.total_cmp(&a.face.width));
        Analysis { width: 1000, height: 800, orientation: Orientation::default(), faces }
    }

    #[test]
    fn a_clearly_smaller_face_is_a_bystander_anywhere() {
        let a = photo(vec![face(100.0, 100.0, 200.0), face(500.0, 300.0, 110.0)]);
        assert!(a.subject().is_ok());
        assert_eq!(a.others_seen(), 1);
    }

    #[test]
    fn a_somewhat_smaller_face_is_a_bystander_only_when_the_subject_is_more_central() {
        // Subject centred (centre 500, 400), the other 70% as wide in a corner.
        let centred = photo(vec![face(400.0, 280.0, 200.0), face(20.0, 20.0, 140.0)]);
        assert!(centred.subject().is_ok());
        // The larger face off to the side, the other in the middle: who is punching?
        let off = photo(vec![face(20.0, 20.0, 200.0), face(430.0, 316.0, 140.0)]);
        assert_eq!(off.subject().err(), Some(Verdict::SeveralFaces));
        assert_eq!(off.others_seen(), 0);
    }

    fn live(score: f32) -> Liveness {
        Liveness { score, threshold: 0.5, live: score >= 0.5, v2: score, v1se: score }
    }

    #[test]
    fn a_matching_face_that_is_not_live_is_never_a_match() {
        let enrolled = [Embedding::from_vec(vec![1.0; crate::EMBEDDING_LEN]).unwrap()];
        let mut probe = photo(vec![face(400.0, 280.0, 200.0)]);
        // Not judged: flagged, not matched.
        let d = live_verdict(&probe, &enrolled, 0.5);
        assert_eq!((d.face.verdict, d.verdict), (Verdict::Match, LiveVerdict::PossibleSpoof));
        probe.faces[0].liveness = Some(live(0.2));
        let d = live_verdict(&probe, &enrolled, 0.5);
        assert_eq!(d.verdict, LiveVerdict::PossibleSpoof);
        assert_eq!(d.message, "May be a photo of a photo or a screen.");
        assert!(d.verdict.needs_review());
        probe.faces[0].liveness = Some(live(0.9));
        let d = live_verdict(&probe, &enrolled, 0.5);
        assert_eq!(d.verdict, LiveVerdict::Match);
        assert_eq!(d.liveness.map(|l| l.score), Some(0.9));
    }

    #[test]
    fn liveness_is_read_from_the_subject_only() {
        let enrolled = [Embedding::from_vec(vec![1.0; crate::EMBEDDING_LEN]).unwrap()];
        // A live bystander does not make a spoofed subject live.
        let mut probe = photo(vec![face(400.0, 280.0, 200.0), face(20.0, 20.0, 90.0)]);
        probe.faces[0].liveness = Some(live(0.1));
        probe.faces[1].liveness = Some(live(0.99));
        assert_eq!(live_verdict(&probe, &enrolled, 0.5).verdict, LiveVerdict::PossibleSpoof);
        // No subject: the face's own verdict stands.
        let together = photo(vec![face(420.0, 300.0, 200.0), face(700.0, 300.0, 170.0)]);
        assert_eq!(live_verdict(&together, &enrolled, 0.5).verdict, LiveVerdict::SeveralFaces);
    }

    #[test]
    fn faces_of_about_the_same_size_never_dominate() {
        let together = photo(vec![face(420.0, 300.0, 200.0), face(700.0, 300.0, 170.0)]);
        assert_eq!(together.subject().err(), Some(Verdict::SeveralFaces));
        let d = verdict(&together, &[Embedding::from_vec(vec![1.0; crate::EMBEDDING_LEN]).unwrap()], 0.5);
        assert_eq!((d.verdict, d.other_faces), (Verdict::SeveralFaces, 0));
    }
}
