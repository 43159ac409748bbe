//! Checks a photo before it is stored: a JPEG, PNG or WebP within the size and pixel limits
//! that decodes in full. The bytes are kept exactly as they came.

use bytes::Bytes;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// How big a photo may be.
#[derive(Debug, Clone, Copy)]
pub struct PhotoLimits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Largest width x height accepted: decoding allocates about 4 bytes per pixel, so this
    /// bounds the memory one photo can take.
    pub max_pixels: u64,
}

impl PhotoLimits {
    /// The largest request body that carries one photo: the photo, plus room for the multipart
    /// framing and the JSON beside it.
    pub fn upload_limit(&self) -> usize {
        self.max_bytes.saturating_add(256 * 1024)
    }

    /// The photo size limit for people, e.g. `10 MiB` or `512 KiB`.
    pub fn max_size_text(&self) -> String {
        let kib = self.max_bytes / 1024;
        if kib >= 1024 && kib.is_multiple_of(1024) {
            format!("{} MiB", kib / 1024)
        } else if kib >= 1 {
            format!("{kib} KiB")
        } else {
            format!("{} bytes", self.max_bytes)
        }
    }
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self { max_bytes: 10 * 1024 * 1024, max_pixels: 40_000_000 }
    }
}

/// A photo that passed the checks.
#[derive(Debug, Clone)]
pub struct CheckedPhoto {
    pub bytes: Bytes,
    pub sha256: String,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the photo is not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    #[error("the photo is {width}x{height} pixels; the limit is {limit} pixels in all")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("the photo is corrupt and cannot be decoded: {0}")]
    Corrupt(String),
}

impl PhotoError {
    /// A stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "photo_empty",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::UnsupportedFormat => "photo_unsupported_format",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
            PhotoError::Corrupt(_) => "photo_corrupt",
        }
    }
}

impl From<PhotoError> for crate::ApiError {
    fn from(error: PhotoError) -> Self {
        use axum::http::StatusCode;
        let status = match error {
            PhotoError::TooLarge { .. } | PhotoError::TooManyPixels { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PhotoError::UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PhotoError::Empty | PhotoError::Corrupt(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        crate::ApiError::new(status, error.code(), error.to_string()).with_field("photo")
    }
}

/// Checks `bytes` against `limits`: format by content (not by name), dimensions from the
/// header before any pixel is decoded, then a full decode under a memory limit. CPU-bound:
/// call it from a blocking task.
pub fn check_photo(bytes: Bytes, limits: PhotoLimits) -> Result<CheckedPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let (format, content_type) = match image::guess_format(&bytes) {
        Ok(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg"),
        Ok(ImageFormat::Png) => (ImageFormat::Png, "image/png"),
        Ok(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp"),
        _ => return Err(PhotoError::UnsupportedFormat),
    };
    let (width, height) =
        ImageReader::with_format(Cursor::new(&bytes), format).into_dimensions().map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut decode_limits = Limits::default();
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4) + 16 * 1024 * 1024);
    reader.limits(decode_limits);
    reader.decode().map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    // The JPEG decoder fills in what is missing from a cut-off file instead of failing, so look
    // for the end-of-image marker: in the coded data a 0xFF byte is never followed by 0xD9.
    if format == ImageFormat::Jpeg && !bytes.windows(2).any(|pair| pair == [0xFF, 0xD9]) {
        return Err(PhotoError::Corrupt("the JPEG has no end-of-image marker: the file was cut off or damaged".to_owned()));
    }
    let sha256 = clockface_store::blobs::sha256_hex(&bytes);
    Ok(CheckedPhoto { bytes, sha256, content_type, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_binary_units() {
        let limits = |max_bytes| PhotoLimits { max_bytes, max_pixels: 1 };
        assert_eq!(limits(10 * 1024 * 1024).max_size_text(), "10 MiB");
        assert_eq!(limits(512 * 1024).max_size_text(), "512 KiB");
        assert_eq!(limits(1500 * 1024).max_size_text(), "1500 KiB");
        assert_eq!(limits(200).max_size_text(), "200 bytes");
        assert_eq!(limits(1024).upload_limit(), 1024 + 256 * 1024);
    }

    fn png(width: u32, height: u32) -> Bytes {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).expect("encode png");
        Bytes::from(out.into_inner())
    }

    #[test]
    fn a_small_png_passes_with_its_size_and_hash() {
        let bytes = png(64, 48);
        let checked = check_photo(bytes.clone(), PhotoLimits::default()).expect("valid photo");
        assert_eq!((checked.width, checked.height, checked.content_type), (64, 48, "image/png"));
        assert_eq!(checked.sha256, clockface_store::blobs::sha256_hex(&bytes));
    }

    #[test]
    fn each_bad_photo_gets_its_reason() {
        let limits = PhotoLimits { max_bytes: 1000, max_pixels: 100 * 100 };
        assert_eq!(check_photo(Bytes::new(), limits).unwrap_err(), PhotoError::Empty);
        assert_eq!(check_photo(Bytes::from_static(b"GIF89a...."), limits).unwrap_err(), PhotoError::UnsupportedFormat);
        assert!(matches!(check_photo(Bytes::from(vec![0u8; 2000]), limits).unwrap_err(), PhotoError::TooLarge { .. }));
        assert!(matches!(
            check_photo(png(200, 200), PhotoLimits { max_bytes: 1 << 20, ..limits }).unwrap_err(),
            PhotoError::TooManyPixels { .. }
        ));
        let mut corrupt = png(20, 20).to_vec();
        corrupt.truncate(60);
        assert!(matches!(check_photo(Bytes::from(corrupt), limits).unwrap_err(), PhotoError::Corrupt(_)));
    }

    #[test]
    fn a_cut_off_jpeg_is_corrupt() {
        let image = image::RgbImage::from_pixel(64, 64, image::Rgb([10, 200, 90]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Jpeg).expect("encode jpeg");
        let whole = out.into_inner();
        assert!(check_photo(Bytes::from(whole.clone()), PhotoLimits::default()).is_ok());
        let cut = Bytes::from(whole[..whole.len() - 40].to_vec());
        assert!(matches!(check_photo(cut, PhotoLimits::default()).unwrap_err(), PhotoError::Corrupt(_)));
    }
}
