//! Face detection with YuNet: letterboxing, output decoding and
//! non-maximum suppression.
//!
//! YuNet is fully convolutional: it sees a square `input_size` canvas (BGR,
//! raw 0-255) into which the photo is fitted, keeping its aspect ratio, and
//! padded with black at the right and bottom. Big photos are shrunk first:
//! at full phone resolution faces come out worse (see `MODELS.md`).

use image::imageops::FilterType;
use image::RgbImage;
use serde::Serialize;
use tract_onnx::prelude::*;

use crate::models::{Plan, YUNET};
use crate::FaceError;

/// A point in photo pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Horizontal position, pixels from the left.
    pub x: f32,
    /// Vertical position, pixels from the top.
    pub y: f32,
}

/// One detected face, in the coordinates of the (upright) photo it was found in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Face {
    /// Left edge of the box.
    pub x: f32,
    /// Top edge of the box.
    pub y: f32,
    /// Box width.
    pub width: f32,
    /// Box height.
    pub height: f32,
    /// Detector confidence, 0 to 1.
    pub score: f32,
    /// Right eye, left eye, nose tip, right and left mouth corner (the person's
    /// right and left: the right eye is on the left of the picture).
    pub landmarks: [Point; 5],
}

impl Face {
    fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    fn iou(&self, other: &Face) -> f32 {
        let x1 = self.x.max(other.x);
        let y1 = self.y.max(other.y);
        let x2 = (self.x + self.width).min(other.x + other.width);
        let y2 = (self.y + self.height).min(other.y + other.height);
        let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// The same face with every coordinate multiplied by `s`.
    pub(crate) fn scaled(&self, s: f32) -> Face {
        Face {
            x: self.x * s,
            y: self.y * s,
            width: self.width * s,
            height: self.height * s,
            score: self.score,
            landmarks: self.landmarks.map(|p| Point { x: p.x * s, y: p.y * s }),
        }
    }
}

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorOptions {
    /// Side of the square network input, a multiple of 32.
    ///
    /// 640 is the default. 320 detects about three times faster and did as
    /// well on the dev pairs, but lost one of four faces in a 1920 px crew
    /// photo (`examples/bench.rs`), so it only suits selfies.
    pub input_size: u32,
    /// Faces scoring below this are dropped.
    pub score_threshold: f32,
    /// Overlap above which the weaker of two boxes is dropped.
    pub nms_iou: f32,
    /// At most this many faces are returned.
    pub max_faces: usize,
}

impl Default for DetectorOptions {
    /// 640 px input, score 0.6, NMS IoU 0.3, up to 50 faces.
    fn default() -> Self {
        DetectorOptions { input_size: 640, score_threshold: 0.6, nms_iou: 0.3, max_faces: 50 }
    }
}

const STRIDES: [usize; 3] = [8, 16, 32];

/// YuNet, loaded and optimised for one input size.
pub(crate) struct Detector {
    plan: Plan,
    options: DetectorOptions,
    /// For each stride: indexes of the cls, obj, bbox and kps outputs.
    outputs: [[usize; 4]; 3],
}

impl Detector {
    pub(crate) fn load(options: DetectorOptions) -> Result<Detector, FaceError> {
        let n = options.input_size as usize;
        if n == 0 || !n.is_multiple_of(32) {
            return Err(FaceError::ModelLoad { name: YUNET.name, reason: format!("input size {n} is not a positive multiple of 32") });
        }
        let (plan, names) = YUNET.load(&[1, 3, n, n])?;
        let find = |name: String| {
            names
                .iter()
                .position(|n| *n == name)
                .ok_or_else(|| FaceError::ModelLoad { name: YUNET.name, reason: format!("missing output {name}") })
        };
        let mut outputs = [[0; 4]; 3];
        for (i, s) in STRIDES.iter().enumerate() {
            outputs[i] = [find(format!("cls_{s}"))?, find(format!("obj_{s}"))?, find(format!("bbox_{s}"))?, find(format!("kps_{s}"))?];
        }
        Ok(Detector { plan, options, outputs })
    }

    pub(crate) fn options(&self) -> DetectorOptions {
        self.options
    }

    /// Detects faces; boxes and landmarks are in `image`'s coordinates.
    /// Faces come sorted by decreasing score.
    pub(crate) fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, FaceError> {
        let n = self.options.input_size as usize;
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        // Fit into the input square; only ever shrink (upscaling adds nothing).
        let scale = (n as f32 / w.max(h) as f32).min(1.0);
        let (sw, sh) = (((w as f32 * scale).round() as u32).clamp(1, n as u32), ((h as f32 * scale).round() as u32).clamp(1, n as u32));
        let fitted;
        let src = if (sw, sh) == (w, h) {
            image
        } else {
            fitted = image::imageops::resize(image, sw, sh, FilterType::Triangle);
            &fitted
        };
        let plane = n * n;
        let mut data = vec![0f32; 3 * plane];
        for (x, y, p) in src.enumerate_pixels() {
            let i = y as usize * n + x as usize;
            // BGR planes.
            data[i] = p[2] as f32;
            data[plane + i] = p[1] as f32;
            data[2 * plane + i] = p[0] as f32;
        }
        let input: Tensor =
            tract_ndarray::Array4::from_shape_vec((1, 3, n, n), data).map_err(|e| FaceError::Inference(e.to_string()))?.into();
        let out = self.plan.run(tvec!(input.into())).map_err(|e| FaceError::Inference(e.to_string()))?;
        let mut candidates = Vec::new();
        for (level, &stride) in STRIDES.iter().enumerate() {
            let view = |k: usize| {
                out.get(self.outputs[level][k])
                    .ok_or_else(|| FaceError::Inference("missing detector output".into()))
                    .and_then(|t| t.try_as_plain_ram().and_then(|v| v.as_slice::<f32>()).map_err(|e| FaceError::Inference(e.to_string())))
            };
            let (cls, obj, bbox, kps) = (view(0)?, view(1)?, view(2)?, view(3)?);
            decode_level(stride, n, cls, obj, bbox, kps, self.options.score_threshold, &mut candidates);
        }
        let mut faces = nms(candidates, self.options.nms_iou, self.options.max_faces);
        let back = 1.0 / scale;
        for f in &mut faces {
            *f = f.scaled(back);
        }
        Ok(faces)
    }
}

/// Turns one stride's raw outputs into candidate faces (input coordinates).
#[allow(clippy::too_many_arguments)]
fn decode_level(
    stride: usize,
    input_size: usize,
    cls: &[f32],
    obj: &[f32],
    bbox: &[f32],
    kps: &[f32],
    threshold: f32,
    into: &mut Vec<Face>,
) {
    let cols = input_size / stride;
    let cells = cols * cols;
    if cls.len() < cells || obj.len() < cells || bbox.len() < cells * 4 || kps.len() < cells * 10 {
        return;
    }
    let s = stride as f32;
    for idx in 0..cells {
        let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
        if score < threshold {
            continue;
        }
        let (col, row) = ((idx % cols) as f32, (idx / cols) as f32);
        let b = &bbox[idx * 4..idx * 4 + 4];
        let cx = (col + b[0]) * s;
        let cy = (row + b[1]) * s;
        let w = b[2].exp() * s;
        let h = b[3].exp() * s;
        let k = &kps[idx * 10..idx * 10 + 10];
        let landmarks = std::array::from_fn(|i| Point { x: (k[2 * i] + col) * s, y: (k[2 * i + 1] + row) * s });
        into.push(Face { x: cx - w / 2.0, y: cy - h / 2.0, width: w, height: h, score, landmarks });
    }
}

/// Greedy non-maximum suppression, best score first.
fn nms(mut candidates: Vec<Face>, iou: f32, max: usize) -> Vec<Face> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for c in candidates {
        if kept.len() >= max {
            break;
        }
        if kept.iter().all(|k| k.iou(&c) <= iou) {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, score: f32) -> Face {
        Face { x, y: 0.0, width: 10.0, height: 10.0, score, landmarks: [Point { x: 0.0, y: 0.0 }; 5] }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes() {
        let kept = nms(vec![face(0.0, 0.7), face(1.0, 0.9), face(50.0, 0.8)], 0.3, 10);
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        assert_eq!(scores, vec![0.9, 0.8]);
    }
}
