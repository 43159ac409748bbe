//! Identification at a kiosk (issue 28): which enrolled employee, if any,
//! is the person in front of a shared tablet.
//!
//! A [`Gallery`] holds the enrolled templates of everyone the kiosk may
//! identify, decrypted once and kept in memory: their ids, and their
//! normalised 128-float embeddings one after another in a single buffer, so
//! a search is one flat pass over contiguous memory. [`Gallery::search`]
//! returns the best-scoring person and the best of everyone else;
//! [`Gallery::identify`] accepts the best only when
//!
//! - its score clears the threshold set for the gallery's size, and
//! - it beats the second-best person by the margin set for that size,
//!
//! and otherwise answers [`Identification::AskPin`] with the reason. A wrong
//! identity clocks someone else in under your name; a PIN prompt costs a few
//! seconds. So every doubt is a PIN prompt, and a gallery larger than the
//! last size of [`IDENTIFY_RULES`] is not searched at all.
//!
//! [`Gallery::identify_subject`] puts the photo's own checks in front of the
//! search: one subject that clearly dominates the photo (the rule 1:1
//! verification uses, [`Analysis::subject`]), close to the camera
//! ([`MIN_SUBJECT_SHARE`]), of usable quality, and judged live.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

use crate::embed::{Embedding, EMBEDDING_LEN};
use crate::engine::Analysis;
use crate::quality::QualityIssue;
use crate::verdict::Verdict;

/// The threshold and margin that hold for galleries of up to `people` people.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IdentifyRule {
    /// The largest gallery (distinct people) this rule is for.
    pub people: usize,
    /// The best score (cosine similarity) must be at least this.
    pub threshold: f32,
    /// The best score must exceed the second-best person's by at least this.
    pub margin: f32,
}

/// Thresholds and margins per gallery size, smallest first; a gallery takes
/// the first row whose size is at least its own, and one larger than the last
/// row is not searched ([`PinReason::GalleryTooLarge`]).
///
/// The threshold for `people` is the lowest at which a person who is not
/// enrolled is identified as someone in at most 0.1% of searches, from
/// `examples/identify.rs` (docs/BENCHMARKS.md, "Identification at a kiosk
/// (issue 28)"). The face sets we have give 2,263 non-mated comparisons, which
/// can show a false-match rate down to about 1e-3, not the 2e-5 to 2e-7 these
/// sizes need: above the 95th percentile of the non-mated scores the rate is a
/// fitted tail, the more cautious of a normal and an exponential one (the
/// normal would give 0.47, 0.52 and 0.56). A larger labelled set is what would
/// move these numbers, either way.
///
/// The margin (0.10) costs little under that model (a few tenths of a percent
/// of enrolled people more asked for their PIN), where it cuts the chance of
/// naming the wrong enrolled person by about three; no mated search of the set
/// won by less (the lowest gap was 0.127). Its real work is what the model
/// does not hold: two enrolled people who look alike.
pub const IDENTIFY_RULES: [IdentifyRule; 3] = [
    IdentifyRule { people: 50, threshold: 0.57, margin: 0.10 },
    IdentifyRule { people: 500, threshold: 0.67, margin: 0.10 },
    IdentifyRule { people: 5_000, threshold: 0.76, margin: 0.10 },
];

/// The subject's face box must be at least this wide, as a share of the
/// photo's shorter side, to be identified: the person standing at the tablet,
/// not someone further back whose face is the only one found (the worker in
/// front looking down, or stepping aside).
///
/// From a tablet camera's geometry, not from kiosk photos (we have none):
/// with a 4:3 frame and a horizontal field of view of about 65 degrees, a
/// face (about 15 cm wide) at arm's length (0.5 m) is about 30% of the
/// shorter side, at 1 m about 15%, and at 1.5 m, the next in a queue, about
/// 10%. So 0.15: a metre from the camera at most.
pub const MIN_SUBJECT_SHARE: f32 = 0.15;

/// Why the kiosk asks for the PIN instead of naming someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "issue", rename_all = "snake_case")]
pub enum PinReason {
    /// Nobody may be identified here (no enrolled employee with a release).
    EmptyGallery,
    /// More people than the largest gallery size measured: no threshold is known to hold.
    GalleryTooLarge,
    /// No face in the photo.
    NoFace,
    /// Several faces could be the person at the kiosk.
    SeveralFaces,
    /// The face is too far from the camera to be the person at the kiosk.
    TooFar,
    /// A face, but not good enough to decide.
    PoorQuality(QualityIssue),
    /// The face was not judged live (a photo of a photo or a screen, or not judged).
    NotLive,
    /// Nobody's score reaches the threshold for the gallery's size.
    BelowThreshold,
    /// Two people score too close to tell apart.
    TooClose,
}

impl PinReason {
    /// A short explanation, for the audit log and the reviewer.
    pub fn message(&self) -> &'static str {
        match self {
            PinReason::EmptyGallery => "Nobody can be identified by face at this kiosk.",
            PinReason::GalleryTooLarge => "Too many people are enrolled for identification by face here.",
            PinReason::NoFace => QualityIssue::NoFace.message(),
            PinReason::SeveralFaces => QualityIssue::SeveralFaces.message(),
            PinReason::TooFar => "The face is too far from the camera.",
            PinReason::PoorQuality(issue) => issue.message(),
            PinReason::NotLive => "May be a photo of a photo or a screen.",
            PinReason::BelowThreshold => "The face is not recognised.",
            PinReason::TooClose => "The face is too close to more than one person's to be sure.",
        }
    }
}

/// One person's best score in a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate<Id> {
    /// Who.
    pub id: Id,
    /// Their best template's cosine similarity to the probe.
    pub score: f32,
}

/// What a search found: the best-scoring person and the best of all the others.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Search<Id> {
    /// The best-scoring person; `None` in an empty gallery.
    pub best: Option<Candidate<Id>>,
    /// The best-scoring person other than `best`; `None` when there is no other.
    pub second: Option<Candidate<Id>>,
}

/// The kiosk's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identification<Id> {
    /// The person is `id`.
    Identified {
        /// Who was identified.
        id: Id,
        /// Their score.
        score: f32,
        /// The second-best person's score, when the gallery has another person.
        second: Option<f32>,
        /// The rule the scores were held against.
        rule: IdentifyRule,
    },
    /// Not sure enough: ask for the PIN.
    AskPin {
        /// Why.
        reason: PinReason,
        /// The best score, when a search ran.
        best: Option<f32>,
        /// The second-best person's score, when a search ran and there was one.
        second: Option<f32>,
    },
}

impl<Id> Identification<Id> {
    /// The person identified, if any.
    pub fn id(&self) -> Option<&Id> {
        match self {
            Identification::Identified { id, .. } => Some(id),
            Identification::AskPin { .. } => None,
        }
    }

    /// Why the PIN is asked for, if it is.
    pub fn pin_reason(&self) -> Option<PinReason> {
        match self {
            Identification::Identified { .. } => None,
            Identification::AskPin { reason, .. } => Some(*reason),
        }
    }

    fn ask(reason: PinReason) -> Identification<Id> {
        Identification::AskPin { reason, best: None, second: None }
    }
}

/// The rule for a gallery of `people` people: the first of [`IDENTIFY_RULES`]
/// that covers it, `None` when it is larger than every row.
pub fn rule_for(people: usize) -> Option<IdentifyRule> {
    IDENTIFY_RULES.iter().copied().find(|r| people <= r.people)
}

/// The enrolled templates of everyone a kiosk may identify, in memory.
///
/// A person may have several templates (several enrolment photos); the
/// gallery's size for [`rule_for`] is the number of distinct people, and a
/// search scores each person by their best template.
#[derive(Debug, Clone)]
pub struct Gallery<Id> {
    /// Each distinct person once.
    people: Vec<Id>,
    /// For each template, its person's index in `people`.
    owners: Vec<u32>,
    /// The templates' normalised values, `EMBEDDING_LEN` per template, in one buffer.
    values: Vec<f32>,
}

impl<Id> Default for Gallery<Id> {
    fn default() -> Self {
        Gallery { people: Vec::new(), owners: Vec::new(), values: Vec::new() }
    }
}

impl<Id: Clone + Eq + Hash> FromIterator<(Id, Embedding)> for Gallery<Id> {
    fn from_iter<I: IntoIterator<Item = (Id, Embedding)>>(templates: I) -> Self {
        Gallery::from_templates(templates)
    }
}

impl<Id: Clone + Eq + Hash> Gallery<Id> {
    /// Builds a gallery from (person, template) pairs, e.g. the decrypted
    /// templates of the employees who may be identified. A person may come
    /// several times, once per template.
    pub fn from_templates(templates: impl IntoIterator<Item = (Id, Embedding)>) -> Gallery<Id> {
        let templates = templates.into_iter();
        let mut gallery = Gallery::default();
        gallery.owners.reserve_exact(templates.size_hint().0);
        gallery.values.reserve_exact(templates.size_hint().0 * EMBEDDING_LEN);
        let mut index: HashMap<Id, u32> = HashMap::new();
        for (id, template) in templates {
            let next = gallery.people.len() as u32;
            let owner = *index.entry(id.clone()).or_insert_with(|| {
                gallery.people.push(id);
                next
            });
            gallery.owners.push(owner);
            gallery.values.extend_from_slice(template.as_slice());
        }
        gallery.people.shrink_to_fit();
        gallery
    }
}

impl<Id: Clone> Gallery<Id> {
    /// How many distinct people it holds: the size [`rule_for`] is asked about.
    pub fn people(&self) -> usize {
        self.people.len()
    }

    /// How many templates it holds.
    pub fn templates(&self) -> usize {
        self.owners.len()
    }

    /// Whether it holds nobody.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// Bytes of memory its buffers take, besides what each id owns on the
    /// heap (nothing for a number or a UUID): 512 bytes of values and 4 of
    /// owner per template, and one id per person.
    pub fn heap_bytes(&self) -> usize {
        self.people.capacity() * std::mem::size_of::<Id>()
            + self.owners.capacity() * std::mem::size_of::<u32>()
            + self.values.capacity() * std::mem::size_of::<f32>()
    }

    /// Scores `probe` against every template (a flat scan) and returns the
    /// best-scoring person and the best-scoring other person, each by their
    /// best template. Scores are cosine similarities, as [`crate::compare`]
    /// gives them.
    pub fn search(&self, probe: &Embedding) -> Search<Id> {
        let probe = probe.as_slice();
        // (score, person) of the best person, and of the best person other than them.
        let mut best: Option<(f32, u32)> = None;
        let mut second: Option<(f32, u32)> = None;
        for (template, &owner) in self.values.chunks_exact(EMBEDDING_LEN).zip(&self.owners) {
            let score = dot(probe, template).clamp(-1.0, 1.0);
            match best {
                Some((b, p)) if p == owner => best = Some((b.max(score), p)),
                Some((b, _)) if score <= b => match second {
                    Some((s, p)) if p == owner => second = Some((s.max(score), p)),
                    Some((s, _)) if score <= s => {}
                    _ => second = Some((score, owner)),
                },
                // A new best person (not the old best): the old best beat every other, so it is second.
                _ => {
                    second = best;
                    best = Some((score, owner));
                }
            }
        }
        let candidate = |(score, person): (f32, u32)| Candidate { id: self.people[person as usize].clone(), score };
        Search { best: best.map(candidate), second: second.map(candidate) }
    }

    /// Decides who `probe` is: the best person when their score clears the
    /// threshold for this gallery's size and beats the second-best person by
    /// the margin ([`IDENTIFY_RULES`]); otherwise the PIN, with the reason.
    pub fn identify(&self, probe: &Embedding) -> Identification<Id> {
        if self.is_empty() {
            return Identification::ask(PinReason::EmptyGallery);
        }
        let Some(rule) = rule_for(self.people()) else {
            return Identification::ask(PinReason::GalleryTooLarge);
        };
        let Search { best, second } = self.search(probe);
        let Some(best) = best else {
            return Identification::ask(PinReason::EmptyGallery);
        };
        let second = second.map(|c| c.score);
        let ask = |reason| Identification::AskPin { reason, best: Some(best.score), second };
        if best.score < rule.threshold {
            ask(PinReason::BelowThreshold)
        } else if second.is_some_and(|s| best.score - s < rule.margin) {
            ask(PinReason::TooClose)
        } else {
            Identification::Identified { id: best.id, score: best.score, second, rule }
        }
    }

    /// Decides who is at the kiosk in an analysed photo: the photo's subject
    /// ([`Analysis::subject`]: one face that clearly dominates any other, of
    /// usable quality) must be close to the camera ([`MIN_SUBJECT_SHARE`]) and
    /// judged live, then [`Gallery::identify`] decides. Any other face is never
    /// searched.
    pub fn identify_subject(&self, analysis: &Analysis) -> Identification<Id> {
        if self.is_empty() {
            return Identification::ask(PinReason::EmptyGallery);
        }
        let subject = match analysis.subject() {
            Ok(subject) => subject,
            Err(Verdict::NoFace) => return Identification::ask(PinReason::NoFace),
            Err(Verdict::PoorQuality(issue)) => return Identification::ask(PinReason::PoorQuality(issue)),
            Err(_) => return Identification::ask(PinReason::SeveralFaces),
        };
        let shorter = analysis.width.min(analysis.height).max(1) as f32;
        if subject.face.width / shorter < MIN_SUBJECT_SHARE {
            return Identification::ask(PinReason::TooFar);
        }
        if !subject.liveness.is_some_and(|l| l.live) {
            return Identification::ask(PinReason::NotLive);
        }
        self.identify(&subject.embedding)
    }
}

/// The dot product of two templates, in eight running sums so that the
/// compiler keeps them in vector registers.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    for (x, y) in a.as_chunks::<8>().0.iter().zip(b.as_chunks::<8>().0) {
        for ((s, x), y) in sums.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    sums.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare;
    use crate::detect::{Face, Point};
    use crate::engine::AnalysedFace;
    use crate::liveness::Liveness;
    use crate::photo::Orientation;
    use crate::quality::QualityMeasures;

    /// A unit vector along axis `i`.
    fn axis(i: usize) -> Embedding {
        let mut v = vec![0.0; EMBEDDING_LEN];
        v[i] = 1.0;
        Embedding::from_vec(v).unwrap()
    }

    /// A unit vector with cosine `cos` to `axis(i)`, the rest along `axis(j)`.
    fn near(i: usize, j: usize, cos: f32) -> Embedding {
        let mut v = vec![0.0; EMBEDDING_LEN];
        v[i] = cos;
        v[j] = (1.0 - cos * cos).sqrt();
        Embedding::from_vec(v).unwrap()
    }

    /// Pseudo-random unit vectors, reproducible.
    fn random(seed: u64, n: usize) -> Vec<Embedding> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                let v = (0..EMBEDDING_LEN)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect();
                Embedding::from_vec(v).unwrap()
            })
            .collect()
    }

    fn rule(people: usize) -> IdentifyRule {
        rule_for(people).unwrap()
    }

    #[test]
    fn a_clear_winner_is_identified() {
        let gallery: Gallery<&str> = [("ana", axis(0)), ("sam", axis(1)), ("lee", axis(2))].into_iter().collect();
        let probe = near(0, 3, 0.9);
        match gallery.identify(&probe) {
            Identification::Identified { id, score, second, rule: used } => {
                assert_eq!(id, "ana");
                assert!((score - 0.9).abs() < 1e-5);
                assert_eq!(second, Some(0.0));
                assert_eq!(used, rule(3));
            }
            other => panic!("expected ana, got {other:?}"),
        }
    }

    #[test]
    fn a_close_second_asks_for_the_pin() {
        let r = rule(2);
        // The probe lies between two people: both well above the threshold, less than the margin apart.
        let a = near(0, 1, 0.8);
        let b = near(1, 0, 0.8);
        let mut mid: Vec<f32> = a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| x + y).collect();
        mid[5] = 0.05;
        let probe = Embedding::from_vec(mid).unwrap();
        let gallery: Gallery<&str> = [("ana", a.clone()), ("sam", b.clone())].into_iter().collect();
        let (sa, sb) = (compare(&probe, &a), compare(&probe, &b));
        assert!(sa >= r.threshold && sb >= r.threshold && (sa - sb).abs() < r.margin, "{sa} {sb}");
        let decision = gallery.identify(&probe);
        assert_eq!(decision.pin_reason(), Some(PinReason::TooClose), "{decision:?}");
        assert_eq!(decision.id(), None);
    }

    #[test]
    fn the_margin_is_a_gap_not_a_tie_break() {
        let r = rule(2);
        // Best just clears the margin over the second: identified; just under it: the PIN.
        for (gap, identified) in [(r.margin + 0.01, true), (r.margin - 0.01, false)] {
            let best = r.threshold + 0.1;
            let gallery: Gallery<u32> = [(1, axis(0)), (2, axis(1))].into_iter().collect();
            let mut v = vec![0.0; EMBEDDING_LEN];
            v[0] = best;
            v[1] = best - gap;
            let rest = 1.0 - best * best - (best - gap) * (best - gap);
            assert!(rest > 0.0, "the test's vector must be of unit length as it is");
            v[2] = rest.sqrt();
            let decision = gallery.identify(&Embedding::from_vec(v).unwrap());
            assert_eq!(decision.id().is_some(), identified, "gap {gap}: {decision:?}");
        }
    }

    #[test]
    fn a_score_below_the_threshold_asks_for_the_pin() {
        let gallery: Gallery<&str> = [("ana", axis(0)), ("sam", axis(1))].into_iter().collect();
        let probe = near(0, 3, rule(2).threshold - 0.02);
        let decision = gallery.identify(&probe);
        assert_eq!(decision.pin_reason(), Some(PinReason::BelowThreshold));
        match decision {
            Identification::AskPin { best, .. } => assert!(best.is_some_and(|b| b < rule(2).threshold)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_gallery_asks_for_the_pin() {
        let gallery: Gallery<u64> = Gallery::default();
        assert_eq!(gallery.identify(&axis(0)).pin_reason(), Some(PinReason::EmptyGallery));
        assert_eq!(gallery.search(&axis(0)), Search { best: None, second: None });
        let analysis = Analysis { width: 640, height: 480, orientation: Orientation::default(), faces: vec![] };
        assert_eq!(gallery.identify_subject(&analysis).pin_reason(), Some(PinReason::EmptyGallery));
    }

    #[test]
    fn the_threshold_grows_with_the_gallery_and_a_gallery_larger_than_measured_is_not_searched() {
        for pair in IDENTIFY_RULES.windows(2) {
            assert!(pair[0].people < pair[1].people);
            assert!(pair[0].threshold < pair[1].threshold, "{pair:?}");
            assert!(pair[0].margin <= pair[1].margin, "{pair:?}");
        }
        // Never looser than 1:1 verification.
        assert!(IDENTIFY_RULES.iter().all(|r| r.threshold >= crate::MATCH_THRESHOLD));
        assert_eq!(rule_for(1), Some(IDENTIFY_RULES[0]));
        assert_eq!(rule_for(50), Some(IDENTIFY_RULES[0]));
        assert_eq!(rule_for(51), Some(IDENTIFY_RULES[1]));
        assert_eq!(rule_for(5_000), Some(IDENTIFY_RULES[2]));
        assert_eq!(rule_for(5_001), None);

        // The same probe and the same best match: accepted among a few people, not among many.
        let small_t = IDENTIFY_RULES[0].threshold;
        let large_t = IDENTIFY_RULES[1].threshold;
        let score = (small_t + large_t) / 2.0;
        let probe = near(0, 1, score);
        // Everyone else is far from the probe (orthogonal to both of its axes).
        let others = random(7, 60).into_iter().map(|e| {
            let mut v = e.as_slice().to_vec();
            v[0] = 0.0;
            v[1] = 0.0;
            Embedding::from_vec(v).unwrap()
        });
        let small: Gallery<usize> =
            std::iter::once((0, axis(0))).chain(others.clone().take(9).enumerate().map(|(i, e)| (i + 1, e))).collect();
        let large: Gallery<usize> = std::iter::once((0, axis(0))).chain(others.enumerate().map(|(i, e)| (i + 1, e))).collect();
        assert_eq!(small.people(), 10);
        assert_eq!(large.people(), 61);
        assert_eq!(small.identify(&probe).id(), Some(&0));
        assert_eq!(large.identify(&probe).pin_reason(), Some(PinReason::BelowThreshold));

        let too_many: Gallery<usize> = random(3, 5_001).into_iter().enumerate().collect();
        assert_eq!(too_many.identify(&axis(0)).pin_reason(), Some(PinReason::GalleryTooLarge));
    }

    #[test]
    fn a_person_scores_by_their_best_template_and_is_never_their_own_second() {
        // Ana has two templates, both close to the probe: she must not be her own runner-up.
        let gallery: Gallery<&str> = [("ana", near(0, 1, 0.95)), ("sam", axis(2)), ("ana", near(0, 1, 0.9))].into_iter().collect();
        assert_eq!((gallery.people(), gallery.templates()), (2, 3));
        let search = gallery.search(&axis(0));
        assert_eq!(search.best.as_ref().map(|c| c.id), Some("ana"));
        assert!((search.best.unwrap().score - 0.95).abs() < 1e-5);
        assert_eq!(search.second.map(|c| c.id), Some("sam"));
        assert_eq!(gallery.identify(&axis(0)).id(), Some(&"ana"));
    }

    #[test]
    fn search_agrees_with_comparing_every_template() {
        let templates = random(11, 300);
        // 100 people, three templates each.
        let gallery: Gallery<usize> = templates.iter().cloned().enumerate().map(|(i, e)| (i % 100, e)).collect();
        for probe in random(12, 40) {
            let mut per_person = vec![f32::MIN; 100];
            for (i, t) in templates.iter().enumerate() {
                per_person[i % 100] = per_person[i % 100].max(compare(&probe, t));
            }
            let mut order: Vec<usize> = (0..100).collect();
            order.sort_by(|&a, &b| per_person[b].total_cmp(&per_person[a]));
            let search = gallery.search(&probe);
            let (best, second) = (search.best.unwrap(), search.second.unwrap());
            assert_eq!(best.id, order[0]);
            assert_eq!(second.id, order[1]);
            assert!((best.score - per_person[order[0]]).abs() < 1e-5);
            assert!((second.score - per_person[order[1]]).abs() < 1e-5);
        }
    }

    #[test]
    fn never_returns_an_id_not_in_the_gallery() {
        // Galleries of every small size, probes near and far, near twins: whatever is decided,
        // the id is one of the gallery's, and the best and second are different people in it.
        let pool = random(21, 64);
        for size in 0..12usize {
            let ids: Vec<u32> = (0..size as u32).map(|i| 1000 + i * 7).collect();
            let mut templates: Vec<(u32, Embedding)> = ids.iter().zip(&pool).map(|(&id, e)| (id, e.clone())).collect();
            if size > 1 {
                // A near twin of the first person, enrolled as someone else.
                let twin: Vec<f32> = pool[0].as_slice().iter().zip(pool[40].as_slice()).map(|(a, b)| a + 0.05 * b).collect();
                templates.push((ids[1], Embedding::from_vec(twin).unwrap()));
            }
            let gallery: Gallery<u32> = templates.into_iter().collect();
            let probes = pool.iter().take(size + 4).cloned().chain(random(size as u64 + 100, 8));
            for probe in probes {
                let search = gallery.search(&probe);
                for c in search.best.iter().chain(search.second.iter()) {
                    assert!(ids.contains(&c.id), "{} not enrolled", c.id);
                }
                if let (Some(b), Some(s)) = (&search.best, &search.second) {
                    assert_ne!(b.id, s.id);
                    assert!(b.score >= s.score);
                }
                if let Some(id) = gallery.identify(&probe).id() {
                    assert!(ids.contains(id), "{id} not enrolled");
                }
            }
        }
    }

    fn analysed(x: f32, y: f32, width: f32, embedding: Embedding, live: Option<bool>) -> AnalysedFace {
        let face = Face { x, y, width, height: width * 1.2, score: 0.9, landmarks: [Point { x, y }; 5] };
        AnalysedFace {
            face,
            embedding,
            quality: QualityMeasures { face_pixels: width, brightness: 120.0, sharpness: 100.0 },
            liveness: live.map(|live| Liveness { score: if live { 0.9 } else { 0.1 }, threshold: 0.5, live, v2: 0.9, v1se: 0.9 }),
        }
    }

    fn photo(faces: Vec<AnalysedFace>) -> Analysis {
        Analysis { width: 640, height: 480, orientation: Orientation::default(), faces }
    }

    #[test]
    fn only_the_subject_in_front_is_identified() {
        let gallery: Gallery<&str> = [("front", axis(0)), ("behind", axis(1))].into_iter().collect();
        // The worker, large and central; the next in the queue, small, off to the side.
        let queue =
            photo(vec![analysed(220.0, 120.0, 200.0, near(0, 4, 0.9), Some(true)), analysed(20.0, 20.0, 70.0, near(1, 4, 0.95), None)]);
        assert_eq!(gallery.identify_subject(&queue).id(), Some(&"front"));
        // Two people of about the same size: nobody is picked, the PIN is asked.
        let side_by_side = photo(vec![
            analysed(40.0, 120.0, 200.0, near(0, 4, 0.9), Some(true)),
            analysed(380.0, 120.0, 190.0, near(1, 4, 0.95), Some(true)),
        ]);
        assert_eq!(gallery.identify_subject(&side_by_side).pin_reason(), Some(PinReason::SeveralFaces));
        // The worker has stepped aside: the one further back is the only face, and is not identified.
        let only_behind = photo(vec![analysed(280.0, 200.0, 60.0, near(1, 4, 0.95), Some(true))]);
        assert_eq!(gallery.identify_subject(&only_behind).pin_reason(), Some(PinReason::TooFar));
    }

    #[test]
    fn a_face_not_judged_live_is_not_identified() {
        let gallery: Gallery<&str> = [("ana", axis(0))].into_iter().collect();
        for live in [Some(false), None] {
            let print = photo(vec![analysed(220.0, 120.0, 200.0, near(0, 4, 0.95), live)]);
            assert_eq!(gallery.identify_subject(&print).pin_reason(), Some(PinReason::NotLive));
        }
        let live = photo(vec![analysed(220.0, 120.0, 200.0, near(0, 4, 0.95), Some(true))]);
        assert_eq!(gallery.identify_subject(&live).id(), Some(&"ana"));
        assert_eq!(gallery.identify_subject(&photo(vec![])).pin_reason(), Some(PinReason::NoFace));
    }

    #[test]
    fn memory_is_the_templates_buffer_and_little_else() {
        let gallery: Gallery<u64> = random(5, 1_000).into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
        assert_eq!(gallery.templates(), 1_000);
        assert_eq!(gallery.heap_bytes(), 1_000 * (EMBEDDING_LEN * 4 + 4 + 8));
    }
}
