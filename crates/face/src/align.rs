//! Face alignment: a least-squares similarity transform from the five
//! detected landmarks to SFace's canonical 112x112 positions, then bilinear
//! sampling.
//!
//! When the face in the photo is much bigger than 112 px, bilinear sampling
//! alone would skip pixels and alias; the face's neighbourhood is first shrunk
//! with an area-aware filter so that the final warp scales by about 1.

use image::{Rgb, RgbImage};

use crate::detect::{Face, Point};

/// Side of the aligned crop SFace expects.
pub const CROP_SIZE: u32 = 112;

/// Where SFace expects the five landmarks in the 112x112 crop (the
/// ArcFace/InsightFace reference, as used by OpenCV's `alignCrop`).
pub const REFERENCE: [Point; 5] = [
    Point { x: 38.2946, y: 51.6963 },
    Point { x: 73.5318, y: 51.5014 },
    Point { x: 56.0252, y: 71.7366 },
    Point { x: 41.5493, y: 92.3655 },
    Point { x: 70.7299, y: 92.2041 },
];

/// A similarity transform `dst = [a -b; b a] * src + [tx ty]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Scale times cosine of the rotation.
    pub a: f32,
    /// Scale times sine of the rotation.
    pub b: f32,
    /// Horizontal translation.
    pub tx: f32,
    /// Vertical translation.
    pub ty: f32,
}

impl Similarity {
    /// The least-squares similarity (rotation, uniform scale, translation)
    /// taking `src` onto `dst`, no reflection: the closed form that
    /// scikit-image's `SimilarityTransform.estimate` (Umeyama) gives in 2-D.
    /// Returns `None` when the source points all coincide.
    pub fn estimate(src: &[Point], dst: &[Point]) -> Option<Similarity> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let mean = |p: &[Point]| {
            let (sx, sy) = p[..n].iter().fold((0.0f64, 0.0f64), |(x, y), q| (x + q.x as f64, y + q.y as f64));
            (sx / n as f64, sy / n as f64)
        };
        let (msx, msy) = mean(src);
        let (mdx, mdy) = mean(dst);
        let (mut num_a, mut num_b, mut den) = (0.0f64, 0.0f64, 0.0f64);
        for (s, d) in src[..n].iter().zip(&dst[..n]) {
            let (px, py) = (s.x as f64 - msx, s.y as f64 - msy);
            let (qx, qy) = (d.x as f64 - mdx, d.y as f64 - mdy);
            num_a += px * qx + py * qy;
            num_b += px * qy - py * qx;
            den += px * px + py * py;
        }
        if den <= f64::EPSILON {
            return None;
        }
        let a = num_a / den;
        let b = num_b / den;
        let tx = mdx - (a * msx - b * msy);
        let ty = mdy - (b * msx + a * msy);
        Some(Similarity { a: a as f32, b: b as f32, tx: tx as f32, ty: ty as f32 })
    }

    /// The scale factor (destination pixels per source pixel).
    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }

    /// Maps a destination point back to the source.
    fn inverse_apply(&self, x: f32, y: f32) -> (f32, f32) {
        let s2 = self.a * self.a + self.b * self.b;
        let (dx, dy) = (x - self.tx, y - self.ty);
        ((self.a * dx + self.b * dy) / s2, (-self.b * dx + self.a * dy) / s2)
    }
}

/// Cuts the 112x112 aligned face out of `image` (the face's coordinates are
/// in `image`'s pixels). Returns `None` for degenerate landmarks.
pub fn align(image: &RgbImage, face: &Face) -> Option<RgbImage> {
    let t = Similarity::estimate(&face.landmarks, &REFERENCE)?;
    // Photo pixels per crop pixel; above 2 the warp would alias.
    let shrink = 1.0 / t.scale();
    if shrink <= 2.0 {
        return Some(warp(image, &t));
    }
    // Shrink only the neighbourhood the crop can reach (the crop's corners
    // mapped back, plus a margin) so big photos stay cheap.
    let corners = [(0.0, 0.0), (CROP_SIZE as f32, 0.0), (0.0, CROP_SIZE as f32), (CROP_SIZE as f32, CROP_SIZE as f32)]
        .map(|(x, y)| t.inverse_apply(x, y));
    let margin = 2.0 * shrink;
    let x0 = (corners.iter().map(|c| c.0).fold(f32::MAX, f32::min) - margin).floor().max(0.0) as u32;
    let y0 = (corners.iter().map(|c| c.1).fold(f32::MAX, f32::min) - margin).floor().max(0.0) as u32;
    let x1 = ((corners.iter().map(|c| c.0).fold(f32::MIN, f32::max) + margin).ceil() as u32).min(image.width());
    let y1 = ((corners.iter().map(|c| c.1).fold(f32::MIN, f32::max) + margin).ceil() as u32).min(image.height());
    if x1 <= x0 || y1 <= y0 {
        return Some(warp(image, &t));
    }
    let region = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    let (rw, rh) = (((region.width() as f32 / shrink).round() as u32).max(1), ((region.height() as f32 / shrink).round() as u32).max(1));
    let small = crate::resize::resize(&region, rw, rh);
    let (fx, fy) = (rw as f32 / region.width() as f32, rh as f32 / region.height() as f32);
    // Landmarks in the shrunk region's pixel grid (pixel centres line up).
    let moved = face.landmarks.map(|p| Point { x: (p.x - x0 as f32 + 0.5) * fx - 0.5, y: (p.y - y0 as f32 + 0.5) * fy - 0.5 });
    let t = Similarity::estimate(&moved, &REFERENCE)?;
    Some(warp(&small, &t))
}

/// Samples the 112x112 crop through `t` with bilinear interpolation; outside
/// the image is black, as with OpenCV's `warpAffine` default border.
fn warp(image: &RgbImage, t: &Similarity) -> RgbImage {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let pixel = |x: i64, y: i64| -> [f32; 3] {
        if x < 0 || y < 0 || x >= w || y >= h {
            [0.0; 3]
        } else {
            let p = image.get_pixel(x as u32, y as u32);
            [p[0] as f32, p[1] as f32, p[2] as f32]
        }
    };
    RgbImage::from_fn(CROP_SIZE, CROP_SIZE, |u, v| {
        let (sx, sy) = t.inverse_apply(u as f32, v as f32);
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let (p00, p10, p01, p11) = (pixel(x0, y0), pixel(x0 + 1, y0), pixel(x0, y0 + 1), pixel(x0 + 1, y0 + 1));
        let mut out = [0u8; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            out[c] = (top + (bottom - top) * fy).round().clamp(0.0, 255.0) as u8;
        }
        Rgb(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_similarity() {
        let truth = Similarity { a: 0.8, b: 0.3, tx: 5.0, ty: -2.0 };
        let src = [
            Point { x: 10.0, y: 20.0 },
            Point { x: 50.0, y: 22.0 },
            Point { x: 30.0, y: 40.0 },
            Point { x: 15.0, y: 60.0 },
            Point { x: 45.0, y: 61.0 },
        ];
        let dst = src.map(|p| Point { x: truth.a * p.x - truth.b * p.y + truth.tx, y: truth.b * p.x + truth.a * p.y + truth.ty });
        let t = Similarity::estimate(&src, &dst).unwrap();
        assert!((t.a - truth.a).abs() < 1e-4 && (t.b - truth.b).abs() < 1e-4);
        assert!((t.tx - truth.tx).abs() < 1e-3 && (t.ty - truth.ty).abs() < 1e-3);
        let (x, y) = t.inverse_apply(dst[2].x, dst[2].y);
        assert!((x - 30.0).abs() < 1e-3 && (y - 40.0).abs() < 1e-3);
    }

    #[test]
    fn coincident_points_have_no_transform() {
        let p = [Point { x: 1.0, y: 1.0 }; 5];
        assert!(Similarity::estimate(&p, &REFERENCE).is_none());
    }
}
