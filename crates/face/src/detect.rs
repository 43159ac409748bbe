//! Face detection with YuNet: letterboxing, output decoding and
//! non-maximum suppression.
//!
//! YuNet is fully convolutional: the photo is fitted inside an
//! `input_size` square, keeping its aspect ratio, and padded with black at
//! the right and bottom up to the next multiple of 32 (BGR, raw 0-255). So a
//! 4:3 phone photo costs three quarters of a square one. Big photos are
//! shrunk first: at full phone resolution faces come out worse (see
//! `MODELS.md`).

use image::RgbImage;
use serde::Serialize;

use crate::models::YUNET;
use crate::nn::{Network, Value};
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
    /// Longest side of the network input for a full search, a multiple of
    /// 32: crew photos, and any photo the quick look was not sure about.
    pub input_size: u32,
    /// Longest side for the quick look at a photo of one person (a
    /// multiple of 32; 0 turns it off). A selfie's face is large, and at 320
    /// YuNet found every face of the dev set at a quarter of the cost of
    /// 640; it can miss the smaller faces of a crew photo, which is why
    /// those always get the full search (`examples/bench.rs`).
    pub quick_input_size: u32,
    /// Faces scoring below this are dropped.
    pub score_threshold: f32,
    /// Overlap above which the weaker of two boxes is dropped.
    pub nms_iou: f32,
    /// At most this many faces are returned.
    pub max_faces: usize,
}

impl Default for DetectorOptions {
    /// Full search at 640 px, quick look at 320 px, score 0.6, NMS IoU 0.3,
    /// up to 50 faces.
    fn default() -> Self {
        DetectorOptions { input_size: 640, quick_input_size: 320, score_threshold: 0.6, nms_iou: 0.3, max_faces: 50 }
    }
}

const STRIDES: [usize; 3] = [8, 16, 32];

/// YuNet, loaded and compiled; it runs at any input size.
pub(crate) struct Detector {
    network: Network,
    options: DetectorOptions,
    /// For each stride: indexes of the cls, obj, bbox and kps outputs.
    outputs: [[usize; 4]; 3],
}

impl Detector {
    pub(crate) fn load(options: DetectorOptions) -> Result<Detector, FaceError> {
        let n = options.input_size;
        if n == 0 || !n.is_multiple_of(32) || !options.quick_input_size.is_multiple_of(32) {
            let reason = format!("input sizes {n} and {} are not multiples of 32", options.quick_input_size);
            return Err(FaceError::ModelLoad { name: YUNET.name, reason });
        }
        let network = YUNET.load()?;
        let names = network.output_names();
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
        Ok(Detector { network, options, outputs })
    }

    pub(crate) fn options(&self) -> DetectorOptions {
        self.options
    }

    /// Detects faces with the photo fitted into `input_size`; boxes and
    /// landmarks are in `image`'s coordinates. Faces come sorted by
    /// decreasing score.
    pub(crate) fn detect(&self, image: &RgbImage, input_size: u32) -> Result<Vec<Face>, FaceError> {
        let n = input_size as usize;
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
            fitted = crate::resize::resize(image, sw, sh);
            &fitted
        };
        // BGR, 0-255, channels-last; what lies beyond the photo stays black.
        let (iw, ih) = (sw.next_multiple_of(32) as usize, sh.next_multiple_of(32) as usize);
        let mut data = vec![0f32; ih * iw * 3];
        for (x, y, p) in src.enumerate_pixels() {
            let i = (y as usize * iw + x as usize) * 3;
            data[i..i + 3].copy_from_slice(&[p[2], p[1], p[0]].map(f32::from));
        }
        let input = Value::image(ih, iw, 3, data).map_err(FaceError::Inference)?;
        let out = self.network.run(input).map_err(FaceError::Inference)?;
        let mut candidates = Vec::new();
        for (level, &stride) in STRIDES.iter().enumerate() {
            let view = |k: usize| {
                out.get(self.outputs[level][k]).map(|v| &v.data[..]).ok_or_else(|| FaceError::Inference("missing detector output".into()))
            };
            let (cls, obj, bbox, kps) = (view(0)?, view(1)?, view(2)?, view(3)?);
            decode_level(stride, (ih, iw), cls, obj, bbox, kps, self.options.score_threshold, &mut candidates);
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
    (height, width): (usize, usize),
    cls: &[f32],
    obj: &[f32],
    bbox: &[f32],
    kps: &[f32],
    threshold: f32,
    into: &mut Vec<Face>,
) {
    let cols = width / stride;
    let cells = (height / stride) * cols;
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
