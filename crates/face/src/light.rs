//! Lighting normalisation: evening out light from one side and lifting an
//! under-exposed face, on the aligned 112x112 crop before it is embedded, and
//! a brightened copy of a photo for a second look when no face was found.
//!
//! SFace reads raw pixel values: a face lit from one side, or shot in a dark
//! site, gives an embedding that drifts away from the same face in even
//! light. The crop is only ever brightened, never darkened, and only when it
//! needs it (a strong left-right imbalance, or a dark face), so crops of
//! evenly lit faces are embedded exactly as before. The thresholds come from
//! `examples/bench.rs` (figures in the crate README), which also decided
//! that the crop normalisation stays off by default
//! (`EngineOptions::normalise_light`) while the brightened second look is on.

use image::RgbImage;

use crate::align::CROP_SIZE;

/// The brighter side of the face (column means, smoothed) at least this
/// many times the darker side means light from one side, and the columns
/// are evened out.
pub const SIDE_LIGHT_RATIO: f32 = 6.0;

/// A face whose centre is darker than this on average (0-255) is lifted
/// towards [`TARGET_BRIGHTNESS`].
pub const DIM_BRIGHTNESS: f32 = 30.0;

/// Brightness the lifted face's centre is brought to.
pub const TARGET_BRIGHTNESS: f32 = 120.0;

/// No pixel is brightened more than this many times: beyond it the dark
/// side holds mostly noise.
pub const MAX_GAIN: f32 = 12.0;

// The central part of the crop, as in `quality`: eyes, nose and mouth.
const INNER: std::ops::Range<usize> = 24..88;
// Half-width of the window the column means are smoothed over.
const SMOOTH: usize = 8;

/// The crop with its light evened out, or `None` when it is evenly and
/// brightly enough lit to be embedded as it is.
pub(crate) fn normalise_crop(crop: &RgbImage) -> Option<RgbImage> {
    let n = CROP_SIZE as usize;
    if crop.dimensions() != (CROP_SIZE, CROP_SIZE) {
        return None;
    }
    let raw = crop.as_raw();
    let luma = |x: usize, y: usize| {
        let i = (y * n + x) * 3;
        0.299 * f32::from(raw[i]) + 0.587 * f32::from(raw[i + 1]) + 0.114 * f32::from(raw[i + 2])
    };
    // Mean of each column over the inner rows, then smoothed.
    let columns: Vec<f32> = (0..n).map(|x| INNER.map(|y| luma(x, y)).sum::<f32>() / INNER.len() as f32).collect();
    let smooth: Vec<f32> = (0..n)
        .map(|x| {
            let (a, b) = (x.saturating_sub(SMOOTH).max(INNER.start), (x + SMOOTH + 1).min(INNER.end));
            let (a, b) = if a < b { (a, b) } else { (INNER.start, INNER.end) };
            columns[a..b].iter().sum::<f32>() / (b - a) as f32
        })
        .collect();
    let inner = &smooth[INNER];
    let lo = inner.iter().copied().fold(f32::MAX, f32::min).max(1.0);
    let hi = inner.iter().copied().fold(0.0f32, f32::max).max(1.0);
    let mean = columns[INNER].iter().sum::<f32>() / INNER.len() as f32;
    let side_lit = hi / lo >= SIDE_LIGHT_RATIO;
    if !side_lit && mean >= DIM_BRIGHTNESS {
        return None;
    }
    // Per-column gain: every column to the bright side's level.
    let mut gain: Vec<f32> =
        (0..n).map(|x| if side_lit { (hi / smooth[x.clamp(INNER.start, INNER.end - 1)].max(1.0)).min(MAX_GAIN) } else { 1.0 }).collect();
    // Then the whole face up to the target brightness, if still dim.
    let evened = INNER.map(|x| columns[x] * gain[x]).sum::<f32>() / INNER.len() as f32;
    if evened < TARGET_BRIGHTNESS {
        let lift = (TARGET_BRIGHTNESS / evened.max(1.0)).min(MAX_GAIN);
        for g in &mut gain {
            *g = (*g * lift).min(MAX_GAIN);
        }
    }
    let mut out = crop.clone();
    for (x, _, p) in out.enumerate_pixels_mut() {
        let g = gain[x as usize];
        p.0 = p.0.map(|c| (f32::from(c) * g).round().clamp(0.0, 255.0) as u8);
    }
    Some(out)
}

/// A brightened copy of a photo for a second detection when none was found:
/// a gamma curve that lifts the shadows (0.5: a pixel at 10% comes out at
/// about 32%) leaving highlights in place. A stretch to the brightest pixels
/// before it was tried too and found fewer faces in dim, noisy photos (the
/// noise is stretched with the face).
pub(crate) fn brightened(image: &RgbImage) -> RgbImage {
    let table: [u8; 256] = std::array::from_fn(|v| (255.0 * (v as f32 / 255.0).powf(0.5)).round() as u8);
    let mut out = image.clone();
    for p in out.pixels_mut() {
        p.0 = p.0.map(|c| table[c as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn an_evenly_lit_crop_is_left_alone() {
        let crop = RgbImage::from_fn(CROP_SIZE, CROP_SIZE, |x, y| Rgb([((x * 7 + y * 3) % 80 + 100) as u8; 3]));
        assert!(normalise_crop(&crop).is_none());
    }

    #[test]
    fn light_from_one_side_is_evened_out() {
        let crop = RgbImage::from_fn(CROP_SIZE, CROP_SIZE, |x, _| Rgb([(2 + x * x / 50) as u8; 3]));
        let out = normalise_crop(&crop).expect("side-lit crop is normalised");
        let (left, right) = (out.get_pixel(30, 50)[0], out.get_pixel(80, 50)[0]);
        assert!(left.abs_diff(right) < 20, "{left} vs {right}");
    }

    #[test]
    fn brightening_lifts_shadows_and_keeps_white() {
        let image = RgbImage::from_fn(2, 1, |x, _| Rgb([if x == 0 { 25 } else { 255 }; 3]));
        let out = brightened(&image);
        assert!(out.get_pixel(0, 0)[0] > 60);
        assert_eq!(out.get_pixel(1, 0)[0], 255);
    }
}
