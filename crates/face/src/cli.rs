//! JSON reports behind `clockface face detect IMAGE` and
//! `clockface face compare A B`, so the main binary only reads files and
//! prints. The `facecli` example is a stand-alone front end for them.

use serde::Serialize;

use crate::engine::{AnalysedFace, Analysis, FaceEngine};
use crate::photo::Orientation;
use crate::quality::{QualityIssue, QualityMeasures};
use crate::verdict::{verdict, Verdict};
use crate::{Face, FaceError, MATCH_THRESHOLD};

/// One face, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct FaceReport {
    /// Box, score and landmarks in the upright photo's pixels.
    #[serde(flatten)]
    pub face: Face,
    /// Quality measures of the aligned face.
    pub quality: QualityMeasures,
    /// The quality problem, if any.
    pub issue: Option<QualityIssue>,
}

/// What was found in one image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageReport {
    /// The name the caller gave the image (usually its path).
    pub image: String,
    /// Upright width.
    pub width: u32,
    /// Upright height.
    pub height: u32,
    /// Rotations applied (EXIF, device, automatic) to show it upright.
    pub orientation: Orientation,
    /// Faces, largest first.
    pub faces: Vec<FaceReport>,
}

impl ImageReport {
    fn new(name: &str, analysis: &Analysis) -> ImageReport {
        let face = |f: &AnalysedFace| FaceReport { face: f.face.clone(), quality: f.quality, issue: f.quality.issue() };
        ImageReport {
            image: name.to_owned(),
            width: analysis.width,
            height: analysis.height,
            orientation: analysis.orientation,
            faces: analysis.faces.iter().map(face).collect(),
        }
    }
}

/// The answer to "are these the same person?".
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// Cosine similarity of the two main faces, when both photos have one.
    pub score: Option<f32>,
    /// The shipped threshold.
    pub threshold: f32,
    /// Match or Mismatch, or why no comparison was possible.
    pub verdict: Verdict,
    /// The verdict in words.
    pub message: &'static str,
    /// The two images, in the order given.
    pub images: [ImageReport; 2],
}

/// `clockface face detect IMAGE`: every face in one image (the full search
/// a crew photo gets).
pub fn detect(engine: &FaceEngine, name: &str, bytes: &[u8]) -> Result<ImageReport, FaceError> {
    Ok(ImageReport::new(name, &engine.analyse_group(bytes, 0)?))
}

/// `clockface face compare A B`: A plays the enrolled photo, B the punch.
pub fn compare(engine: &FaceEngine, a: (&str, &[u8]), b: (&str, &[u8])) -> Result<CompareReport, FaceError> {
    let first = engine.analyse(a.1, 0)?;
    let second = engine.analyse(b.1, 0)?;
    let (verdict, score, message) = match first.subject() {
        Err(problem) => (problem, None, problem.message()),
        Ok(face) => {
            let d = verdict(&second, std::slice::from_ref(&face.embedding), MATCH_THRESHOLD);
            (d.verdict, d.score, d.message)
        }
    };
    Ok(CompareReport {
        score,
        threshold: MATCH_THRESHOLD,
        verdict,
        message,
        images: [ImageReport::new(a.0, &first), ImageReport::new(b.0, &second)],
    })
}
