//! Decoding untrusted image bytes into an upright RGB photo.
//!
//! Bytes from a phone are untrusted: the decoder runs under [`DecodeLimits`] so
//! that a small file declaring a huge canvas (a decompression bomb) is refused
//! before any pixel memory is allocated. The EXIF orientation tag (all eight
//! values) is applied first, then the rotation the device reports.

use std::io::Cursor;

use image::metadata::Orientation as ImageOrientation;
use image::{DynamicImage, ImageError, ImageFormat, ImageReader, RgbImage};
use serde::Serialize;

use crate::FaceError;

/// Size limits applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Widest accepted image, in pixels.
    pub max_width: u32,
    /// Tallest accepted image, in pixels.
    pub max_height: u32,
    /// Most memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    /// 10,000 px a side and 256 MiB: a 50-megapixel phone photo fits, a bomb does not.
    fn default() -> Self {
        DecodeLimits { max_width: 10_000, max_height: 10_000, max_alloc: 256 * 1024 * 1024 }
    }
}

/// How the stored pixels were turned to show the photo upright.
///
/// Rotations are clockwise degrees applied to the decoded pixels, in this
/// order: EXIF (with an optional mirror), then the device's, then the engine's
/// automatic one. `total_degrees` is their sum modulo 360, so a UI showing the
/// original file rotates it by `total_degrees` (after mirroring when `mirrored`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Orientation {
    /// The EXIF orientation tag (1 to 8; 1 when absent).
    pub exif_tag: u16,
    /// Clockwise rotation the EXIF tag asked for.
    pub exif_degrees: u16,
    /// Whether the EXIF tag also asked for a horizontal mirror.
    pub mirrored: bool,
    /// Clockwise rotation the device asked for.
    pub device_degrees: u16,
    /// Clockwise rotation the engine added to find an upright face.
    pub auto_degrees: u16,
    /// Sum of the three rotations, modulo 360.
    pub total_degrees: u16,
}

impl Orientation {
    fn recompute_total(&mut self) {
        self.total_degrees = (self.exif_degrees + self.device_degrees + self.auto_degrees) % 360;
    }
}

/// A decoded, upright photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Upright RGB pixels.
    pub image: RgbImage,
    /// What was done to the stored pixels to get there.
    pub orientation: Orientation,
}

impl Photo {
    /// Wraps pixels that are already upright (nothing was rotated).
    pub fn from_rgb(image: RgbImage) -> Photo {
        Photo { image, orientation: Orientation { exif_tag: 1, ..Default::default() } }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// A copy turned clockwise by `degrees` more, recorded as automatic rotation.
    pub(crate) fn rotated_auto(&self, degrees: u16) -> Photo {
        let mut orientation = self.orientation;
        orientation.auto_degrees = (orientation.auto_degrees + degrees) % 360;
        orientation.recompute_total();
        Photo { image: rotate(&self.image, degrees), orientation }
    }
}

/// Decodes JPEG, PNG or WebP bytes under `limits`, applies the EXIF
/// orientation and then the device's clockwise `extra_rotation_degrees`
/// (0, 90, 180 or 270; negative values and 360 are normalised).
pub fn decode(bytes: &[u8], limits: &DecodeLimits, extra_rotation_degrees: i32) -> Result<Photo, FaceError> {
    let device_degrees = normalise_rotation(extra_rotation_degrees)?;
    let format = image::guess_format(bytes).map_err(|_| FaceError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(FaceError::NotAnImage);
    }
    if format == ImageFormat::Jpeg && jpeg_is_truncated(bytes) {
        // The JPEG decoder fills missing data with grey instead of failing,
        // which would turn a half-uploaded photo into a misleading "no face".
        return Err(FaceError::Corrupt("the JPEG data is incomplete or damaged".into()));
    }
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits);
    let mut image = reader.decode().map_err(|e| decode_error(e, limits))?;

    let exif_tag = exif_orientation(bytes);
    let (exif_degrees, mirrored) = exif_rotation(exif_tag);
    if let Some(o) = ImageOrientation::from_exif(exif_tag as u8) {
        image.apply_orientation(o);
    }
    let rgb = match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    };
    let mut orientation = Orientation { exif_tag, exif_degrees, mirrored, device_degrees, auto_degrees: 0, total_degrees: 0 };
    orientation.recompute_total();
    let image = if device_degrees == 0 { rgb } else { rotate(&rgb, device_degrees) };
    Ok(Photo { image, orientation })
}

fn decode_error(e: ImageError, limits: &DecodeLimits) -> FaceError {
    match e {
        ImageError::Limits(_) => FaceError::TooLarge { max_width: limits.max_width, max_height: limits.max_height },
        ImageError::Unsupported(_) => FaceError::NotAnImage,
        other => FaceError::Corrupt(other.to_string()),
    }
}

/// Walks the JPEG marker segments and the entropy-coded scans to see
/// whether the end-of-image marker is reached before the bytes run out (or
/// the structure breaks).
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    let mut i = 2; // after SOI
    loop {
        // Skip fill bytes before a marker.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return true;
        };
        i += 2;
        match marker {
            EOI => return false,
            SOI | 0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = bytes.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize) else {
            return true;
        };
        i += len;
        if marker == SOS {
            // Entropy-coded data: a 0xFF is followed by 0x00 (stuffing) or a
            // restart marker; anything else is the next marker.
            loop {
                match (bytes.get(i), bytes.get(i + 1)) {
                    (None, _) | (_, None) => return true,
                    (Some(&0xFF), Some(&next)) if next != 0x00 && !(0xD0..=0xD7).contains(&next) => break,
                    _ => i += 1,
                }
            }
        }
    }
}

fn normalise_rotation(degrees: i32) -> Result<u16, FaceError> {
    let d = degrees.rem_euclid(360);
    if d % 90 == 0 {
        Ok(d as u16)
    } else {
        Err(FaceError::BadRotation(degrees))
    }
}

/// The EXIF orientation tag, or 1 when absent, unreadable or out of range:
/// a damaged EXIF block must not stop a punch photo from being read.
fn exif_orientation(bytes: &[u8]) -> u16 {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return 1;
    };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|v| (1..=8).contains(v))
        .map_or(1, |v| v as u16)
}

/// Clockwise degrees and mirror flag for each EXIF orientation value, as
/// `image` applies them (rotate first, then mirror horizontally).
fn exif_rotation(tag: u16) -> (u16, bool) {
    match tag {
        2 => (0, true),
        3 => (180, false),
        4 => (180, true),
        5 => (90, true),
        6 => (90, false),
        7 => (270, true),
        8 => (270, false),
        _ => (0, false),
    }
}

/// Rotates clockwise by a multiple of 90 degrees.
pub(crate) fn rotate(image: &RgbImage, degrees: u16) -> RgbImage {
    match degrees % 360 {
        90 => image::imageops::rotate90(image),
        180 => image::imageops::rotate180(image),
        270 => image::imageops::rotate270(image),
        _ => image.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_normalise() {
        assert_eq!(normalise_rotation(-90).unwrap(), 270);
        assert_eq!(normalise_rotation(450).unwrap(), 90);
        assert!(matches!(normalise_rotation(45), Err(FaceError::BadRotation(45))));
    }

    #[test]
    fn jpeg_truncation_is_noticed() {
        // SOI, an empty APP0, SOS with a 2-byte header, scan data with a
        // stuffed 0xFF and a restart marker, then EOI.
        let whole = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0xFF, 0xD0, 0x34, 0xFF, 0xD9];
        assert!(!jpeg_is_truncated(&whole));
        for cut in 2..whole.len() {
            assert!(jpeg_is_truncated(&whole[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn every_exif_value_has_a_rotation() {
        let all: Vec<_> = (1..=8).map(exif_rotation).collect();
        assert_eq!(all.iter().filter(|(_, m)| *m).count(), 4);
        assert_eq!(exif_rotation(6), (90, false));
        assert_eq!(exif_rotation(8), (270, false));
    }
}
