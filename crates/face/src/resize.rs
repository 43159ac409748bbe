//! Shrinking photos: a triangle (bilinear) filter whose support widens with
//! the scale, so every source pixel counts, as with `image`'s
//! `FilterType::Triangle`; run by `fast_image_resize`'s SIMD kernels, which
//! take about a tenth of the time on phone-sized photos.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

/// `image` resized to `width` x `height`.
pub(crate) fn resize(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    fast(image, width, height).unwrap_or_else(|| image::imageops::resize(image, width, height, image::imageops::FilterType::Triangle))
}

/// `None` only for sizes the SIMD resizer refuses (zero sides), which the
/// callers never ask for; the fallback above covers them anyway.
fn fast(image: &RgbImage, width: u32, height: u32) -> Option<RgbImage> {
    let src = ImageRef::new(image.width(), image.height(), image.as_raw(), PixelType::U8x3).ok()?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&src, &mut dst, &options).ok()?;
    RgbImage::from_raw(width, height, dst.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_like_the_triangle_filter() {
        // Vertical stripes: a 2x shrink must blend them to the mean grey.
        let stripes = RgbImage::from_fn(64, 48, |x, _| if x % 2 == 0 { image::Rgb([0, 100, 200]) } else { image::Rgb([200, 100, 0]) });
        let small = resize(&stripes, 32, 24);
        assert_eq!(small.dimensions(), (32, 24));
        // (A nearest-neighbour shrink would keep one stripe: 0 or 200.)
        for (x, y, p) in small.enumerate_pixels().filter(|(x, y, _)| (1..31).contains(x) && (1..23).contains(y)) {
            assert!(p.0.iter().all(|&v| v.abs_diff(100) <= 20), "({x}, {y}): {p:?}");
        }
        // And agrees with image's own triangle filter on a real photo.
        let photo = image::load_from_memory(include_bytes!("../tests/fixtures/obama-1.jpg")).unwrap().to_rgb8();
        let (w, h) = (photo.width() / 3, photo.height() / 3);
        let ours = resize(&photo, w, h);
        let theirs = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle);
        let diff: f64 =
            ours.as_raw().iter().zip(theirs.as_raw()).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / ours.as_raw().len() as f64;
        assert!(diff < 2.0, "mean difference {diff}");
    }
}
