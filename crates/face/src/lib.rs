//! Face engine for clockface: image bytes in, decisions out.
//!
//! No HTTP and no SQL live here. The pipeline is
//! decode ([`decode`], with size limits and EXIF orientation) → detect
//! (YuNet, with automatic rotation) → align (5-point similarity) → embed
//! (SFace, 128 numbers) → compare (cosine, [`MATCH_THRESHOLD`]) → decide
//! ([`verdict`], [`match_crew`]), with quality checks ([`QualityIssue`]) on the way.
//! At a kiosk, a [`Gallery`] of enrolled templates identifies the person in
//! front of the camera, or asks for the PIN ([`Gallery::identify_subject`]).
//!
//! Both models are compiled into the library and checked against their
//! SHA-256 when [`FaceEngine::load`] runs, so nothing is read from disk or
//! downloaded at run time.
//!
//! ```no_run
//! # fn main() -> Result<(), clockface_face::FaceError> {
//! use clockface_face::{FaceEngine, Verdict};
//! let engine = FaceEngine::load()?;
//! let enrolled = engine.analyse(&std::fs::read("enrol.jpg").unwrap_or_default(), 0)?;
//! let reference: Vec<_> = enrolled.subject().map(|f| vec![f.embedding.clone()]).unwrap_or_default();
//! let (_, decision) = engine.verify(&std::fs::read("punch.jpg").unwrap_or_default(), 0, &reference)?;
//! if decision.verdict == Verdict::Match { /* accept the punch */ }
//! # Ok(()) }
//! ```

// `deny`, not `forbid`: the one exception, the 8-bit kernels of `int8`, is allowed there alone.
#![deny(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod active;
mod align;
pub mod cli;
mod detect;
mod embed;
mod engine;
mod error;
mod gemm;
mod identify;
#[allow(unsafe_code)]
mod int8;
mod light;
mod liveness;
mod models;
mod nn;
mod onnx;
mod photo;
mod quality;
mod resize;
mod verdict;

pub use active::{nose_offset, BurstCheck, BurstFailure, BurstFrame, SheetLayout, TurnDirection, MIN_TURN};
pub use align::{align, Similarity, CROP_SIZE, REFERENCE};
pub use detect::{DetectorOptions, Face, Point};
pub use embed::{compare, Embedding, EMBEDDING_LEN, MATCH_THRESHOLD};
pub use engine::{AnalysedFace, Analysis, EngineOptions, FaceEngine, CONFIDENT_SCORE, DECISIVE_SCORE, ROTATION_MARGIN};
pub use error::FaceError;
pub use identify::{rule_for, Candidate, Gallery, Identification, IdentifyRule, PinReason, Search, IDENTIFY_RULES, MIN_SUBJECT_SHARE};
pub use light::{DIM_BRIGHTNESS, MAX_GAIN, SIDE_LIGHT_RATIO, TARGET_BRIGHTNESS};
pub use liveness::{Liveness, LivenessOptions, LIVENESS_INPUT, LIVENESS_THRESHOLD};
pub use photo::{decode, DecodeLimits, Orientation, Photo};
pub use quality::{QualityIssue, QualityMeasures, MAX_BRIGHTNESS, MIN_BRIGHTNESS, MIN_FACE_PIXELS, MIN_SHARPNESS};
pub use verdict::{
    live_verdict, match_crew, verdict, CrewMatch, Decision, LiveDecision, LiveVerdict, Verdict, CENTRE_MARGIN, DOMINANT_RATIO,
    SEVERAL_FACES_RATIO,
};
