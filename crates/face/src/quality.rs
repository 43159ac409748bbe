//! Photo quality checks, with reasons a worker at the clock can act on.
//!
//! Measures are taken on the aligned 112x112 face crop, so they do not
//! depend on the photo's resolution or how far the face is from the camera,
//! except the size check, which looks at the face in the photo itself.

use image::RgbImage;
use serde::Serialize;

use crate::align::CROP_SIZE;
use crate::detect::Face;

/// Faces narrower than this (in photo pixels) carry too little detail.
pub const MIN_FACE_PIXELS: f32 = 40.0;
/// Mean brightness (0-255) of the face below which it is too dark.
///
/// Tuned on dark probes, not guessed (`examples/bench.rs`, "how dark is too
/// dark"; figures in the crate README): the 40 dev crops dimmed to 3-40% of
/// their light with sensor noise, matched against their owners' plain
/// photos. Faces measuring 20 or more were accepted in 92% or more of the
/// genuine pairs with no false accept; below 20 the embedding falls apart
/// (under half accepted below 15). The earlier 40 refused faces that
/// verified well (26 of 80 genuine pairs of a site at 25-35% light).
pub const MIN_BRIGHTNESS: f32 = 20.0;
/// Mean brightness (0-255) of the face above which it is washed out.
pub const MAX_BRIGHTNESS: f32 = 230.0;
/// Variance of the Laplacian of the face crop below which it is too blurred.
///
/// Measured on the aligned crop: the six sharp fixture portraits scored 139 to
/// 793 and the 40 dev crops 164 to 3,453; after a Gaussian blur of 3 px
/// (about a sixth of the eye distance on the dev crops) most fall to 5 to 25.
/// 25 leaves sharp photos a margin of more than five times.
pub const MIN_SHARPNESS: f32 = 25.0;

/// Faces darker than this (mean brightness) have their sharpness measured
/// as if lit to it, so that a dim but sharp face is not called blurred.
const SHARPNESS_REFERENCE_BRIGHTNESS: f32 = 80.0;

/// Why a photo cannot be used to verify someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    /// No face was found.
    NoFace,
    /// The face is too small (too far from the camera).
    FaceTooSmall,
    /// The face is too dark.
    TooDark,
    /// The face is washed out by too much light.
    TooBright,
    /// The face is blurred (movement or focus).
    TooBlurred,
    /// More than one face is close enough to the camera to be the person punching.
    SeveralFaces,
}

impl QualityIssue {
    /// A short message for the person in front of the camera.
    pub fn message(&self) -> &'static str {
        match self {
            QualityIssue::NoFace => "No face was found. Look straight at the camera.",
            QualityIssue::FaceTooSmall => "Your face is too small in the picture. Come closer to the camera.",
            QualityIssue::TooDark => "The picture is too dark to see your face. Face the light or move somewhere brighter, then try again.",
            QualityIssue::TooBright => "The picture is too bright. Move out of direct light.",
            QualityIssue::TooBlurred => "The picture is blurred. Hold the phone still and try again.",
            QualityIssue::SeveralFaces => "Several faces are in the picture. Only you should be in the photo.",
        }
    }
}

impl std::fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Measures of one face crop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityMeasures {
    /// Face box width in photo pixels.
    pub face_pixels: f32,
    /// Mean brightness of the face's centre, 0-255.
    pub brightness: f32,
    /// Variance of the Laplacian of the face's centre (for a face darker
    /// than 80, scaled as if it were lit to 80).
    pub sharpness: f32,
}

impl QualityMeasures {
    /// Measures the aligned crop of `face`.
    pub fn measure(face: &Face, crop: &RgbImage) -> QualityMeasures {
        let gray = luma(crop);
        let brightness = mean_brightness(&gray);
        // Dimming a face scales its Laplacian with the light, and its variance with the square:
        // a sharp face at a third of the light would read as blurred. Below
        // `SHARPNESS_REFERENCE_BRIGHTNESS` the variance is scaled back as if the face were lit.
        let lift = (SHARPNESS_REFERENCE_BRIGHTNESS / brightness.max(1.0)).clamp(1.0, 10.0);
        QualityMeasures { face_pixels: face.width, brightness, sharpness: laplacian_variance(&gray) * lift * lift }
    }

    /// The first problem found, if any.
    pub fn issue(&self) -> Option<QualityIssue> {
        if self.face_pixels < MIN_FACE_PIXELS {
            Some(QualityIssue::FaceTooSmall)
        } else if self.brightness < MIN_BRIGHTNESS {
            Some(QualityIssue::TooDark)
        } else if self.brightness > MAX_BRIGHTNESS {
            Some(QualityIssue::TooBright)
        } else if self.sharpness < MIN_SHARPNESS {
            Some(QualityIssue::TooBlurred)
        } else {
            None
        }
    }
}

// The central part of the crop: eyes, nose and mouth, little background.
const INNER: std::ops::Range<usize> = 24..88;

fn luma(crop: &RgbImage) -> Vec<f32> {
    crop.pixels().map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32).collect()
}

fn mean_brightness(gray: &[f32]) -> f32 {
    let n = CROP_SIZE as usize;
    let mut sum = 0.0;
    let mut count = 0.0;
    for y in INNER {
        for x in INNER {
            if let Some(v) = gray.get(y * n + x) {
                sum += v;
                count += 1.0;
            }
        }
    }
    if count > 0.0 {
        sum / count
    } else {
        0.0
    }
}

/// Variance of the 4-neighbour Laplacian over the crop's centre.
fn laplacian_variance(gray: &[f32]) -> f32 {
    let n = CROP_SIZE as usize;
    if gray.len() < n * n {
        return 0.0;
    }
    let at = |x: usize, y: usize| gray[y * n + x];
    let mut values = Vec::with_capacity(INNER.len() * INNER.len());
    for y in INNER {
        for x in INNER {
            values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / values.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_crop_is_blurred_and_checkerboard_is_sharp() {
        let flat = vec![128.0; 112 * 112];
        assert_eq!(laplacian_variance(&flat), 0.0);
        let checker: Vec<f32> = (0..112 * 112).map(|i| if (i % 112 + i / 112) % 2 == 0 { 0.0 } else { 255.0 }).collect();
        assert!(laplacian_variance(&checker) > 1000.0);
    }

    #[test]
    fn every_issue_has_a_message() {
        for issue in [
            QualityIssue::NoFace,
            QualityIssue::FaceTooSmall,
            QualityIssue::TooDark,
            QualityIssue::TooBright,
            QualityIssue::TooBlurred,
            QualityIssue::SeveralFaces,
        ] {
            assert!(issue.message().ends_with('.'));
        }
    }
}
