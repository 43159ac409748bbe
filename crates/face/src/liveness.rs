//! Passive liveness: is the face in a photo a live person in front of the
//! camera, or a photo of a photo or of a screen held up to it?
//!
//! Two MiniFASNet networks (Minivision's Silent-Face-Anti-Spoofing,
//! Apache-2.0) each look at an 80x80 crop around the face, at a different
//! scale of the detector's box: V2 at 2.7 times it, V1SE at 4.0 times it, so
//! they see the paper's or screen's edge, the hand and the background around
//! the face as well as its texture. Each gives three logits (class 1 is a
//! real face); the softmax outputs are averaged and the real-face class is
//! the score, as the original does.
//!
//! The networks were trained on another detector's box than YuNet's, so
//! [`LivenessOptions::box_scale`] widens YuNet's box first; the bench
//! (`BENCH_ONLY=liveness`) measures how the choice moves the scores.

use image::RgbImage;
use serde::Serialize;

use crate::detect::Face;
use crate::models::{MINIFASNET_V1SE, MINIFASNET_V2};
use crate::nn::{Network, Value};
use crate::FaceError;

/// Side of the square crop both networks take.
pub const LIVENESS_INPUT: u32 = 80;

/// A face whose fused score is below this is not taken as live: the photo
/// may be of a photo or a screen, and the punch is flagged for review.
///
/// The networks' own decision point (the real class wins a two-way
/// split). On the bench's liveness set (`BENCH_ONLY=liveness`, figures in
/// `docs/BENCHMARKS.md`) it refused 3.3% of the reporting half's live faces
/// and let through 4-24% of each kind of synthetic attack; the threshold
/// chosen on the other half for a BPCER of 2% (0.588) refused 9.8% there: the
/// set's live half is too small (61 faces) to tune finer, so 0.5 is kept.
pub const LIVENESS_THRESHOLD: f32 = 0.5;

/// Crop scales of the two networks, relative to the (widened) face box, as
/// they were trained.
const V2_SCALE: f32 = 2.7;
const V1SE_SCALE: f32 = 4.0;

/// How the face box is turned into the networks' crops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LivenessOptions {
    /// YuNet's box is multiplied by this about its centre before the
    /// networks' own scales (2.7 and 4.0) are applied.
    pub box_scale: f32,
    /// The box's centre is moved down by this fraction of its height first
    /// (YuNet's box sits higher on the face than the one MiniFASNet saw).
    pub shift_down: f32,
    /// The flag threshold ([`LIVENESS_THRESHOLD`] by default).
    pub threshold: f32,
}

impl Default for LivenessOptions {
    fn default() -> Self {
        LivenessOptions { box_scale: 1.0, shift_down: 0.0, threshold: LIVENESS_THRESHOLD }
    }
}

/// The passive liveness of one face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Liveness {
    /// Fused probability that the face is live, 0 to 1 (the mean of both
    /// networks' real-face probabilities).
    pub score: f32,
    /// The threshold the score was held against.
    pub threshold: f32,
    /// Whether `score >= threshold`.
    pub live: bool,
    /// MiniFASNet V2's real-face probability alone (crop 2.7x).
    pub v2: f32,
    /// MiniFASNet V1SE's real-face probability alone (crop 4.0x).
    pub v1se: f32,
}

/// Both networks, loaded once.
pub(crate) struct LivenessModels {
    v2: Network,
    v1se: Network,
    options: LivenessOptions,
}

impl LivenessModels {
    /// Loads both bundled networks, checking their SHA-256; `int8` as in
    /// [`crate::EngineOptions::int8`].
    pub(crate) fn load(options: LivenessOptions, int8: bool) -> Result<LivenessModels, FaceError> {
        Ok(LivenessModels { v2: MINIFASNET_V2.load_int8(int8)?, v1se: MINIFASNET_V1SE.load_int8(int8)?, options })
    }

    /// How many of their layers run in 8 bits.
    pub(crate) fn quantised_layers(&self) -> usize {
        self.v2.quantised_layers() + self.v1se.quantised_layers()
    }

    pub(crate) fn options(&self) -> LivenessOptions {
        self.options
    }

    /// Judges `face` of `image` (the face's coordinates in `image`'s pixels).
    pub(crate) fn judge(&self, image: &RgbImage, face: &Face) -> Result<Liveness, FaceError> {
        self.judge_with(image, face, self.options)
    }

    /// [`LivenessModels::judge`] with other crop settings (the bench compares them).
    pub(crate) fn judge_with(&self, image: &RgbImage, face: &Face, options: LivenessOptions) -> Result<Liveness, FaceError> {
        let v2 = real_probability(&self.v2, &crop(image, face, options, V2_SCALE))?;
        let v1se = real_probability(&self.v1se, &crop(image, face, options, V1SE_SCALE))?;
        let score = (v2 + v1se) / 2.0;
        Ok(Liveness { score, threshold: options.threshold, live: score >= options.threshold, v2, v1se })
    }
}

/// Runs one network on an 80x80 BGR crop and returns the softmax of its
/// real-face class.
fn real_probability(network: &Network, crop: &[f32]) -> Result<f32, FaceError> {
    let n = LIVENESS_INPUT as usize;
    let input = Value::image(n, n, 3, crop.to_vec()).map_err(FaceError::Inference)?;
    let out = network.run(input).map_err(FaceError::Inference)?;
    let logits = out.first().map(|v| v.data.as_slice()).unwrap_or_default();
    let [a, b, c] = logits[..] else {
        return Err(FaceError::Inference(format!("liveness network gave {} outputs, expected 3", logits.len())));
    };
    let m = a.max(b).max(c);
    let (ea, eb, ec) = ((a - m).exp(), (b - m).exp(), (c - m).exp());
    Ok(eb / (ea + eb + ec))
}

/// The square-ish region the networks look at: the face box (widened by
/// `options`) scaled by `scale` about its centre, the scale lowered when the
/// region would not fit in the photo, and the region shifted, never cut, to
/// lie inside it (Minivision's `CropImage`). Left, top, right, bottom in
/// whole pixels, inclusive.
pub(crate) fn crop_box(width: u32, height: u32, face: &Face, options: LivenessOptions, scale: f32) -> [f32; 4] {
    let (w, h) = (width as f32, height as f32);
    let bw = (face.width * options.box_scale).max(1.0);
    let bh = (face.height * options.box_scale).max(1.0);
    let cx = face.x + face.width / 2.0;
    let cy = face.y + face.height / 2.0 + options.shift_down * face.height;
    let scale = scale.min((h - 1.0) / bh).min((w - 1.0) / bw).max(0.0);
    let (nw, nh) = (bw * scale, bh * scale);
    let (mut left, mut top, mut right, mut bottom) = (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if left < 0.0 {
        right -= left;
        left = 0.0;
    }
    if top < 0.0 {
        bottom -= top;
        top = 0.0;
    }
    if right > w - 1.0 {
        left -= right - (w - 1.0);
        right = w - 1.0;
    }
    if bottom > h - 1.0 {
        top -= bottom - (h - 1.0);
        bottom = h - 1.0;
    }
    [left.max(0.0).floor(), top.max(0.0).floor(), right.floor(), bottom.floor()]
}

/// The 80x80 crop as the networks take it: channels-last BGR, raw 0-255,
/// sampled bilinearly at the pixel centres (OpenCV's `INTER_LINEAR`, which
/// the original used; it keeps the fine texture a print or a screen shows,
/// where an averaging shrink would blur it away).
pub(crate) fn crop(image: &RgbImage, face: &Face, options: LivenessOptions, scale: f32) -> Vec<f32> {
    let [left, top, right, bottom] = crop_box(image.width(), image.height(), face, options, scale);
    let n = LIVENESS_INPUT as usize;
    let (rw, rh) = (right - left + 1.0, bottom - top + 1.0);
    let (fx, fy) = (rw / n as f32, rh / n as f32);
    let (maxx, maxy) = (image.width().saturating_sub(1) as f32, image.height().saturating_sub(1) as f32);
    let raw = image.as_raw();
    let stride = image.width() as usize * 3;
    // Per output column: the two source columns and the weight of the right one.
    let columns: Vec<(usize, usize, f32)> = (0..n)
        .map(|u| {
            let sx = ((u as f32 + 0.5) * fx - 0.5).max(0.0) + left;
            let x0 = sx.floor().min(maxx);
            ((x0 as usize) * 3, ((x0 + 1.0).min(maxx) as usize) * 3, (sx - x0).clamp(0.0, 1.0))
        })
        .collect();
    let mut out = Vec::with_capacity(n * n * 3);
    for v in 0..n {
        let sy = ((v as f32 + 0.5) * fy - 0.5).max(0.0) + top;
        let y0 = sy.floor().min(maxy);
        let wy = (sy - y0).clamp(0.0, 1.0);
        let (r0, r1) = (&raw[y0 as usize * stride..][..stride], &raw[(y0 + 1.0).min(maxy) as usize * stride..][..stride]);
        for &(a, b, wx) in &columns {
            // BGR: the networks were trained on OpenCV's channel order.
            for ch in [2, 1, 0] {
                let top = f32::from(r0[a + ch]) * (1.0 - wx) + f32::from(r0[b + ch]) * wx;
                let bottom = f32::from(r1[a + ch]) * (1.0 - wx) + f32::from(r1[b + ch]) * wx;
                out.push(top * (1.0 - wy) + bottom * wy);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Point;

    fn face(x: f32, y: f32, width: f32, height: f32) -> Face {
        Face { x, y, width, height, score: 0.9, landmarks: [Point { x, y }; 5] }
    }

    #[test]
    fn the_crop_is_shifted_inside_the_photo_not_cut() {
        let o = LivenessOptions::default();
        // A face in the top-left corner: the 2.7x region keeps its size and slides right and down.
        let [l, t, r, b] = crop_box(1000, 800, &face(10.0, 10.0, 100.0, 100.0), o, 2.7);
        assert_eq!((l, t), (0.0, 0.0));
        assert!((r - 270.0).abs() <= 1.0 && (b - 270.0).abs() <= 1.0, "{r} {b}");
        // Near the bottom-right corner: it slides left and up.
        let [l, t, r, b] = crop_box(1000, 800, &face(880.0, 690.0, 100.0, 100.0), o, 2.7);
        assert_eq!((r, b), (999.0, 799.0));
        assert!((r - l - 270.0).abs() <= 1.0 && (b - t - 270.0).abs() <= 1.0);
        // A region larger than the photo: the scale is lowered to fit.
        let [l, t, r, b] = crop_box(400, 300, &face(100.0, 50.0, 150.0, 150.0), o, 4.0);
        assert!(l >= 0.0 && t >= 0.0 && r <= 399.0 && b <= 299.0);
        assert!((b - t - 299.0).abs() <= 1.0, "the height fills the photo: {t}..{b}");
    }

    #[test]
    fn the_crop_is_bgr_and_samples_the_region() {
        // Left half red, right half blue.
        let image = RgbImage::from_fn(200, 200, |x, _| if x < 100 { image::Rgb([200, 10, 0]) } else { image::Rgb([0, 10, 200]) });
        let c = crop(&image, &face(60.0, 60.0, 80.0, 80.0), LivenessOptions::default(), 2.0);
        assert_eq!(c.len(), 80 * 80 * 3);
        // First pixel: from the red half, in BGR order.
        assert_eq!(&c[..3], &[0.0, 10.0, 200.0]);
        // Last pixel of the first row: from the blue half.
        assert_eq!(&c[79 * 3..80 * 3], &[200.0, 10.0, 0.0]);
    }
}
