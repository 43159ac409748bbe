//! Decisions: is the person in this photo the enrolled employee, and which
//! face in a crew photo belongs to whom.

use serde::Serialize;

use crate::embed::{compare, Embedding};
use crate::engine::{AnalysedFace, Analysis};
use crate::quality::QualityIssue;

/// A second face at least this wide, relative to the largest, makes it
/// unclear who is punching; smaller faces are bystanders and are ignored.
pub const SEVERAL_FACES_RATIO: f32 = 0.6;

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
}

impl Analysis {
    /// The face of the person punching, or why there is no usable one: no
    /// face, several faces of similar size, or a quality problem. Faces much
    /// smaller than the largest are taken as bystanders.
    pub fn subject(&self) -> Result<&AnalysedFace, Verdict> {
        let Some(first) = self.faces.first() else {
            return Err(Verdict::NoFace);
        };
        if self.faces.iter().skip(1).any(|f| f.face.width >= SEVERAL_FACES_RATIO * first.face.width) {
            return Err(Verdict::SeveralFaces);
        }
        match first.quality.issue() {
            Some(issue) => Err(Verdict::PoorQuality(issue)),
            None => Ok(first),
        }
    }
}

/// Checks a probe photo against an employee's enrolled embeddings; the
/// score is the best cosine similarity over them.
pub fn verdict(probe: &Analysis, enrolled: &[Embedding], threshold: f32) -> Decision {
    let decide = |verdict: Verdict, score| Decision { verdict, score, threshold, message: verdict.message() };
    if enrolled.is_empty() {
        return decide(Verdict::NotEnrolled, None);
    }
    let face = match probe.subject() {
        Ok(face) => face,
        Err(v) => return decide(v, None),
    };
    let score = best_score(&face.embedding, enrolled);
    decide(if score >= threshold { Verdict::Match } else { Verdict::Mismatch }, Some(score))
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
