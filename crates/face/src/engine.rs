//! The engine: both models loaded once and shared, and the pipeline from
//! image bytes to analysed faces (decode, orient, detect, align, embed,
//! measure quality).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::align::align;
use crate::detect::{Detector, DetectorOptions, Face};
use crate::embed::{Embedder, Embedding};
use crate::photo::{decode, DecodeLimits, Orientation, Photo};
use crate::quality::QualityMeasures;
use crate::verdict::{verdict, Decision};
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

/// A turned copy replaces the photo as it came only when its best face
/// scores this much higher, so that noise never turns an upright photo.
pub const ROTATION_MARGIN: f32 = 0.03;

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EngineOptions {
    /// Detector settings (input size, thresholds).
    pub detector: DetectorOptions,
    /// Limits for decoding untrusted bytes.
    pub limits: DecodeLimits,
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

/// The face engine. Load once (about a quarter of a second) and share: it is `Send +
/// Sync` and every method takes `&self`, so one instance serves all requests
/// and worker threads.
pub struct FaceEngine {
    detector: Detector,
    embedder: Embedder,
    limits: DecodeLimits,
    load_duration: Duration,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine")
            .field("detector", &self.detector.options())
            .field("limits", &self.limits)
            .field("load_duration", &self.load_duration)
            .finish()
    }
}

impl FaceEngine {
    /// Loads both bundled models with default options, checking their SHA-256.
    pub fn load() -> Result<FaceEngine, FaceError> {
        FaceEngine::load_with(EngineOptions::default())
    }

    /// Loads both bundled models with `options`.
    pub fn load_with(options: EngineOptions) -> Result<FaceEngine, FaceError> {
        let started = Instant::now();
        let detector = Detector::load(options.detector)?;
        let embedder = Embedder::load()?;
        Ok(FaceEngine { detector, embedder, limits: options.limits, load_duration: started.elapsed() })
    }

    /// How long [`FaceEngine::load`] took (checksums, rewrite, compiling the networks).
    pub fn load_duration(&self) -> Duration {
        self.load_duration
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

    /// Aligns and embeds one face of `photo`, and measures its quality.
    pub fn embed(&self, photo: &Photo, face: &Face) -> Result<AnalysedFace, FaceError> {
        let crop = align(&photo.image, face).ok_or_else(|| FaceError::Inference("face landmarks are degenerate".into()))?;
        let embedding = self.embedder.embed(&crop)?;
        let quality = QualityMeasures::measure(face, &crop);
        Ok(AnalysedFace { face: face.clone(), embedding, quality })
    }

    /// Analyses a photo of one person (a FaceFront selfie, an enrolment
    /// photo): turns it upright if needed, then detects and embeds every face.
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
        let mut analysed = faces.iter().map(|f| self.embed(&photo, f)).collect::<Result<Vec<_>, _>>()?;
        analysed.sort_by(|a, b| (b.face.width * b.face.height).total_cmp(&(a.face.width * a.face.height)));
        Ok(Analysis { width: photo.width(), height: photo.height(), orientation: photo.orientation, faces: analysed })
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

    fn orient(&self, photo: Photo, quick: bool) -> Result<(Photo, Vec<Face>), FaceError> {
        let best = |faces: &[Face]| faces.iter().map(|f| f.score).fold(0.0f32, f32::max);
        let options = self.detector.options();
        if quick && options.quick_input_size > 0 && options.quick_input_size < options.input_size {
            let faces = self.detect_at(&photo, options.quick_input_size)?;
            if best(&faces) >= CONFIDENT_SCORE {
                return Ok((photo, faces));
            }
        }
        let faces = self.detect(&photo)?;
        let as_given = best(&faces);
        if as_given >= CONFIDENT_SCORE {
            return Ok((photo, faces));
        }
        let mut turned_best: Option<(f32, Photo, Vec<Face>)> = None;
        for degrees in [90, 180, 270] {
            let turned = photo.rotated_auto(degrees);
            let found = self.detect(&turned)?;
            let score = best(&found);
            let to_beat = turned_best.as_ref().map_or(as_given + ROTATION_MARGIN, |b| b.0);
            if score > to_beat {
                turned_best = Some((score, turned, found));
            }
        }
        Ok(turned_best.map_or((photo, faces), |(_, p, f)| (p, f)))
    }
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
