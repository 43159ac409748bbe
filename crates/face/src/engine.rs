//! The engine: both models loaded once and shared, and the pipeline from
//! image bytes to analysed faces (decode, orient, detect, align, embed,
//! measure quality).

use std::time::{Duration, Instant};

use image::RgbImage;
use serde::Serialize;

use crate::align::align;
use crate::detect::{Detector, DetectorOptions, Face};
use crate::embed::{Embedder, Embedding};
use crate::liveness::{Liveness, LivenessModels, LivenessOptions};
use crate::photo::{decode, DecodeLimits, Orientation, Photo};
use crate::quality::QualityMeasures;
use crate::verdict::{live_verdict, verdict, Decision, LiveDecision};
use crate::FaceError;

/// A detection at least this confident means the photo is upright and no
/// other rotation is tried.
///
/// YuNet does find faces turned 90, 180 or 270 degrees, and its landmarks
/// then still come out in upright order, so they cannot tell the turn. What
/// does is the score: on the fixtures and the 40 dev crops, upright faces
/// scored 0.90 to 0.95 and the same faces turned at most 0.88 (upside down)
/// and 0.85 (sideways), always at least 0.06 below upright.
pub const CONFIDENT_SCORE: f32 = 0.9;

/// At the quick look, an upright detection at least this confident is
/// taken as it is; below it the photo is also looked at turned 180, 90 and
/// 270 degrees (at the quick size, on one shrunk copy) and the turn whose
/// best face scores highest is kept. A face turned 180 degrees can score
/// 0.9 as if upright (issue 16), so one score is not trusted unless it is
/// above what turned faces reach; figures in the crate README.
pub const DECISIVE_SCORE: f32 = 0.92;

/// A turned copy replaces the photo as it came only when its best face
/// scores this much higher, so that noise never turns an upright photo.
pub const ROTATION_MARGIN: f32 = 0.03;

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineOptions {
    /// Detector settings (input size, thresholds).
    pub detector: DetectorOptions,
    /// Limits for decoding untrusted bytes.
    pub limits: DecodeLimits,
    /// Whether a face crop lit from one side or too dim is evened out
    /// before it is embedded (`light::normalise_crop`). Off by default: on
    /// the bench's hard photos it won 19 genuine pairs where half the face
    /// was in deep shadow but lost 3 in lighter shadow and let one more
    /// impostor through (crate README).
    pub normalise_light: bool,
    /// Whether a photo in which no face was found gets a second look,
    /// brightened (`light::brightened`); on by default.
    pub brighten_retry: bool,
    /// Whether [`FaceEngine::analyse_photo`] judges the subject's passive
    /// liveness ([`AnalysedFace::liveness`]); on by default.
    pub judge_liveness: bool,
    /// How the liveness networks' crops are taken, and the flag threshold.
    pub liveness: LivenessOptions,
    /// Whether the matrix products of the embedder and of both liveness
    /// networks run in 8-bit arithmetic on a processor that has the
    /// instructions for it (AVX-512 VNNI or AVX2; see `int8.rs`); on by default.
    /// Off, or on any other processor, they run in floats, as the detector
    /// always does (8 bits did not make it faster). The bench compares both
    /// (`BENCH_FLOAT=1`).
    pub int8: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            detector: DetectorOptions::default(),
            limits: DecodeLimits::default(),
            normalise_light: false,
            brighten_retry: true,
            judge_liveness: true,
            liveness: LivenessOptions::default(),
            int8: true,
        }
    }
}

/// One face found in a photo, embedded and measured.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysedFace {
    /// Where the face is, in the upright photo's pixels.
    pub face: Face,
    /// Its SFace embedding.
    #[serde(skip)]
    pub embedding: Embedding,
    /// Its quality measures; see [`QualityMeasures::issue`].
    pub quality: QualityMeasures,
    /// Its passive liveness: judged for the subject of a one-person photo
    /// ([`Analysis::subject`], the face that is verified), `None` for every
    /// other face and in crew photos.
    pub liveness: Option<Liveness>,
}

/// Everything the engine learnt from one photo.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Width of the upright photo.
    pub width: u32,
    /// Height of the upright photo.
    pub height: u32,
    /// Rotations applied to show the photo upright.
    pub orientation: Orientation,
    /// Faces, largest first.
    pub faces: Vec<AnalysedFace>,
}

/// The face engine. Load once (about a tenth of a second) and share: it is `Send +
/// Sync` and every method takes `&self`, so one instance serves all requests
/// and worker threads.
pub struct FaceEngine {
    detector: Detector,
    embedder: Embedder,
    liveness: LivenessModels,
    judge_liveness: bool,
    limits: DecodeLimits,
    normalise_light: bool,
    brighten_retry: bool,
    load_duration: Duration,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine")
            .field("detector", &self.detector.options())
            .field("limits", &self.limits)
            .field("normalise_light", &self.normalise_light)
            .field("brighten_retry", &self.brighten_retry)
            .field("judge_liveness", &self.judge_liveness)
            .field("liveness", &self.liveness.options())
            .field("load_duration", &self.load_duration)
            .finish()
    }
}

impl FaceEngine {
    /// Loads the bundled models (detector, embedder, both liveness networks)
    /// with default options, checking their SHA-256.
    pub fn load() -> Result<FaceEngine, FaceError> {
        FaceEngine::load_with(EngineOptions::default())
    }

    /// Loads the bundled models with `options`.
    pub fn load_with(options: EngineOptions) -> Result<FaceEngine, FaceError> {
        let started = Instant::now();
        let detector = Detector::load(options.detector)?;
        let embedder = Embedder::load(options.int8)?;
        let liveness = LivenessModels::load(options.liveness, options.int8)?;
        Ok(FaceEngine {
            detector,
            embedder,
            liveness,
            judge_liveness: options.judge_liveness,
            limits: options.limits,
            normalise_light: options.normalise_light,
            brighten_retry: options.brighten_retry,
            load_duration: started.elapsed(),
        })
    }

    /// How long [`FaceEngine::load`] took (checksums, rewrite, compiling the networks).
    pub fn load_duration(&self) -> Duration {
        self.load_duration
    }

    /// Multiply-adds in one face embedding, for comparing the embedder's
    /// speed with a processor's peak rate (the bench does).
    #[doc(hidden)]
    pub fn embedding_multiply_adds(&self) -> Result<u64, FaceError> {
        self.embedder.multiply_adds()
    }

    /// How many layers of the embedder and the liveness networks run in
    /// 8-bit arithmetic (0 when [`EngineOptions::int8`] is off or the
    /// processor lacks the instructions), for the bench and the tests.
    #[doc(hidden)]
    pub fn int8_layers(&self) -> usize {
        self.embedder.quantised_layers() + self.liveness.quantised_layers()
    }

    /// The instructions the 8-bit products run on ("AVX-512 VNNI" or
    /// "AVX2"), `None` when every product runs in floats.
    #[doc(hidden)]
    pub fn int8_instructions(&self) -> Option<&'static str> {
        (self.int8_layers() > 0).then(crate::int8::Kernel::detect).flatten().map(crate::int8::Kernel::name)
    }

    /// Decodes bytes with the engine's limits; see [`crate::decode`].
    pub fn decode(&self, bytes: &[u8], device_rotation_degrees: i32) -> Result<Photo, FaceError> {
        decode(bytes, &self.limits, device_rotation_degrees)
    }

    /// Finds faces in the photo as it is (no rotation is tried), best score
    /// first, in the photo's pixel coordinates; a full search at
    /// [`DetectorOptions::input_size`].
    pub fn detect(&self, photo: &Photo) -> Result<Vec<Face>, FaceError> {
        self.detect_at(photo, self.detector.options().input_size)
    }

    /// [`FaceEngine::detect`] with the photo fitted into `input_size` pixels
    /// (a multiple of 32) instead.
    pub fn detect_at(&self, photo: &Photo, input_size: u32) -> Result<Vec<Face>, FaceError> {
        if input_size == 0 || !input_size.is_multiple_of(32) {
            return Err(FaceError::Inference(format!("detector input size {input_size} is not a positive multiple of 32")));
        }
        self.detector.detect(&photo.image, input_size)
    }

    /// Finds faces at the quick size ([`DetectorOptions::quick_input_size`],
    /// or the full size when there is none), as for the frames of a burst.
    pub fn detect_quick(&self, photo: &Photo) -> Result<Vec<Face>, FaceError> {
        let options = self.detector.options();
        let size = if options.quick_input_size > 0 { options.quick_input_size } else { options.input_size };
        self.detect_at(photo, size)
    }

    /// Aligns and embeds one face of `photo`, and measures its quality.
    pub fn embed(&self, photo: &Photo, face: &Face) -> Result<AnalysedFace, FaceError> {
        let (crop, quality) = self.crop(photo, face)?;
        let embedding = self.embedder.embed(&crop)?;
        Ok(AnalysedFace { face: face.clone(), embedding, quality, liveness: None })
    }

    /// [`FaceEngine::embed`] for several faces, of one photo or of several
    /// (a burst's frames), embedded in one batch: each result is exactly
    /// what `embed` gives, and the embedder's last layer reads its 6.4
    /// million weights once for all the faces instead of once per face.
    pub fn embed_faces(&self, faces: &[(&Photo, &Face)]) -> Result<Vec<AnalysedFace>, FaceError> {
        let crops = faces.iter().map(|(photo, face)| self.crop(photo, face)).collect::<Result<Vec<_>, _>>()?;
        let embeddings = self.embedder.embed_batch(&crops.iter().map(|(crop, _)| crop).collect::<Vec<_>>())?;
        Ok(faces
            .iter()
            .zip(crops)
            .zip(embeddings)
            .map(|(((_, face), (_, quality)), embedding)| AnalysedFace { face: (*face).clone(), embedding, quality, liveness: None })
            .collect())
    }

    /// The aligned crop the embedder gets for `face`, and the face's quality.
    fn crop(&self, photo: &Photo, face: &Face) -> Result<(RgbImage, QualityMeasures), FaceError> {
        let crop = align(&photo.image, face).ok_or_else(|| FaceError::Inference("face landmarks are degenerate".into()))?;
        // Quality is measured on the crop as the camera saw it; the embedder gets it evened out.
        let quality = QualityMeasures::measure(face, &crop);
        let even = if self.normalise_light { crate::light::normalise_crop(&crop) } else { None };
        Ok((even.unwrap_or(crop), quality))
    }

    /// The passive liveness of `face` in `photo` (its coordinates in the
    /// upright photo's pixels), with the engine's crop settings and threshold.
    pub fn liveness(&self, photo: &Photo, face: &Face) -> Result<Liveness, FaceError> {
        self.liveness.judge(&photo.image, face)
    }

    /// [`FaceEngine::liveness`] with other crop settings or threshold (the
    /// bench measures them).
    pub fn liveness_with(&self, photo: &Photo, face: &Face, options: LivenessOptions) -> Result<Liveness, FaceError> {
        self.liveness.judge_with(&photo.image, face, options)
    }

    /// Analyses a photo of one person (a FaceFront selfie, an enrolment
    /// photo): turns it upright if needed, then detects and embeds every face,
    /// and judges the passive liveness of the subject, the face that
    /// [`Analysis::subject`] picks for verification (never another face, such
    /// as a larger one in a crew photo).
    ///
    /// The detector first takes a quick look at
    /// [`DetectorOptions::quick_input_size`]; when that finds no face scoring
    /// [`CONFIDENT_SCORE`], the full search runs as in
    /// [`FaceEngine::analyse_group_photo`].
    pub fn analyse_photo(&self, photo: Photo) -> Result<Analysis, FaceError> {
        self.analyse_with(photo, true)
    }

    /// Analyses a photo of several people (a foreman's crew photo): a full
    /// search at [`DetectorOptions::input_size`], which finds the smaller
    /// faces a quick look can miss.
    ///
    /// If the best face scores below [`CONFIDENT_SCORE`], the photo is also
    /// tried turned 90, 180 and 270 degrees, and the turn whose best face
    /// scores highest (by more than [`ROTATION_MARGIN`] over the photo as it
    /// came) is kept, recorded in `orientation.auto_degrees`. That costs three
    /// more detections, for photos without a face too.
    pub fn analyse_group_photo(&self, photo: Photo) -> Result<Analysis, FaceError> {
        self.analyse_with(photo, false)
    }

    /// Decodes and analyses a crew photo; see [`FaceEngine::analyse_group_photo`].
    pub fn analyse_group(&self, bytes: &[u8], device_rotation_degrees: i32) -> Result<Analysis, FaceError> {
        self.analyse_group_photo(self.decode(bytes, device_rotation_degrees)?)
    }

    fn analyse_with(&self, photo: Photo, quick: bool) -> Result<Analysis, FaceError> {
        let (photo, faces) = self.orient(photo, quick)?;
        let mut analysed = self.embed_faces(&faces.iter().map(|f| (&photo, f)).collect::<Vec<_>>())?;
        analysed.sort_by(|a, b| (b.face.width * b.face.height).total_cmp(&(a.face.width * a.face.height)));
        let mut analysis = Analysis { width: photo.width(), height: photo.height(), orientation: photo.orientation, faces: analysed };
        if quick && self.judge_liveness {
            // The face judged is the one verified: the subject, found by the same rule.
            if let Some(i) = analysis.subject_index() {
                let liveness = self.liveness.judge(&photo.image, &analysis.faces[i].face)?;
                analysis.faces[i].liveness = Some(liveness);
            }
        }
        Ok(analysis)
    }

    /// Decodes and analyses image bytes; see [`FaceEngine::analyse_photo`].
    pub fn analyse(&self, bytes: &[u8], device_rotation_degrees: i32) -> Result<Analysis, FaceError> {
        self.analyse_photo(self.decode(bytes, device_rotation_degrees)?)
    }

    /// Analyses a probe photo and decides whether it shows the employee
    /// enrolled with `enrolled`, at [`crate::MATCH_THRESHOLD`].
    pub fn verify(&self, bytes: &[u8], device_rotation_degrees: i32, enrolled: &[Embedding]) -> Result<(Analysis, Decision), FaceError> {
        let analysis = self.analyse(bytes, device_rotation_degrees)?;
        let decision = verdict(&analysis, enrolled, crate::MATCH_THRESHOLD);
        Ok((analysis, decision))
    }

    /// Analyses a probe photo and decides whether it shows the employee
    /// enrolled with `enrolled` and whether that face is live: see
    /// [`crate::live_verdict`]. A face that matches but is not judged live is
    /// [`crate::LiveVerdict::PossibleSpoof`], never a match.
    pub fn verify_live(
        &self,
        bytes: &[u8],
        device_rotation_degrees: i32,
        enrolled: &[Embedding],
    ) -> Result<(Analysis, LiveDecision), FaceError> {
        let analysis = self.analyse(bytes, device_rotation_degrees)?;
        let decision = live_verdict(&analysis, enrolled, crate::MATCH_THRESHOLD);
        Ok((analysis, decision))
    }

    fn orient(&self, photo: Photo, quick: bool) -> Result<(Photo, Vec<Face>), FaceError> {
        let options = self.detector.options();
        let q = options.quick_input_size;
        let photo = if quick && q > 0 && q < options.input_size {
            let faces = self.detect_at(&photo, q)?;
            let upright = best_score(&faces);
            if upright >= DECISIVE_SCORE {
                return Ok((photo, faces));
            }
            // Not decisive: a face turned 180 degrees can score as high as an upright one. Compare
            // the turns at the quick size, on one shrunk copy of the photo: only 180 degrees for a
            // confident upright face (faces turned sideways never scored near it), all three else.
            let turns: &[u16] = if upright >= CONFIDENT_SCORE { &[180] } else { &[180, 90, 270] };
            let turn = self.best_turn(&photo, q, upright, turns)?;
            let (photo, faces) = if turn == 0 {
                (photo, faces)
            } else {
                let turned = photo.rotated_auto(turn);
                let found = self.detect_at(&turned, q)?;
                (turned, found)
            };
            if best_score(&faces) >= CONFIDENT_SCORE {
                return Ok((photo, faces));
            }
            if !faces.is_empty() {
                // A face, but the quick look is unsure of it: the full search, on that turn only.
                let full = self.detect(&photo)?;
                return Ok(if best_score(&full) >= best_score(&faces) { (photo, full) } else { (photo, faces) });
            }
            // No face at the quick size, whichever way up: the full search below.
            photo
        } else {
            photo
        };
        let (photo, faces) = self.orient_full(photo)?;
        if !faces.is_empty() || !self.brighten_retry {
            return Ok((photo, faces));
        }
        // No face anywhere: one more look at a brightened copy (a dark site, a face in shadow).
        // The faces found there are used on the photo as it came.
        let faces = self.detector.detect(&crate::light::brightened(&photo.image), options.input_size)?;
        Ok((photo, faces))
    }

    /// The full search: the photo as it came and, when that finds no face scoring
    /// [`CONFIDENT_SCORE`], turned 90, 180 and 270 degrees.
    fn orient_full(&self, photo: Photo) -> Result<(Photo, Vec<Face>), FaceError> {
        let faces = self.detect(&photo)?;
        let as_given = best_score(&faces);
        if as_given >= CONFIDENT_SCORE {
            return Ok((photo, faces));
        }
        let mut turned_best: Option<(f32, Photo, Vec<Face>)> = None;
        for degrees in [90, 180, 270] {
            let turned = photo.rotated_auto(degrees);
            let found = self.detect(&turned)?;
            let score = best_score(&found);
            let to_beat = turned_best.as_ref().map_or(as_given + ROTATION_MARGIN, |b| b.0);
            if score > to_beat {
                turned_best = Some((score, turned, found));
            }
        }
        Ok(turned_best.map_or((photo, faces), |(_, p, f)| (p, f)))
    }

    /// The clockwise turn (0 or one of `turns`) whose best face scores highest at `size`; a
    /// turn must beat the photo as it came (`upright`) by [`ROTATION_MARGIN`]. The photo is
    /// shrunk once and the small copy turned, so each turn costs one small detection.
    fn best_turn(&self, photo: &Photo, size: u32, upright: f32, turns: &[u16]) -> Result<u16, FaceError> {
        let (w, h) = photo.image.dimensions();
        let scale = (size as f32 / w.max(h).max(1) as f32).min(1.0);
        let (sw, sh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
        let small = if (sw, sh) == (w, h) { photo.image.clone() } else { crate::resize::resize(&photo.image, sw, sh) };
        let mut chosen = (0u16, upright);
        for &degrees in turns {
            let score = best_score(&self.detector.detect(&crate::photo::rotate(&small, degrees), size)?);
            let to_beat = if chosen.0 == 0 { upright + ROTATION_MARGIN } else { chosen.1 };
            if score > to_beat {
                chosen = (degrees, score);
            }
        }
        Ok(chosen.0)
    }
}

/// The best detection score among `faces`, 0 when there are none.
fn best_score(faces: &[Face]) -> f32 {
    faces.iter().map(|f| f.score).fold(0.0f32, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FaceEngine>();
    }
}
