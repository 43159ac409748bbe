//! Photos on their way in and out over HTTP, for the API and the admin pages alike: the check
//! before one is stored, the answer to an upload that could not be read, and the answer that
//! carries a photo to someone allowed to see it (who may is `clockface_app::photos`'s rule).
//!
//! The check is cheap: a JPEG, PNG or WebP by its content, within the
//! size limit, with dimensions (read from its header, no pixel decoded) within the pixel limit,
//! and whole (a JPEG's end-of-image marker, a PNG's end chunk, a WebP's length). What fails is
//! refused. A photo that passes but cannot be decoded is still stored with its punch: a time
//! record is never lost to a damaged photo, and the verification worker, which decodes every
//! photo anyway, gives it the verdict `unreadable` for a person to look at. The bytes are kept
//! exactly as they came.

use crate::auth::UserAuth;
use crate::{ApiError, AppState};
use axum::extract::multipart::MultipartError;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clockface_app::photos::{view_photo, Viewer};
use image::{ImageFormat, ImageReader};
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

    /// The largest request body that carries a photo and a head-turn burst image (a punch with
    /// the active liveness check), each of at most `max_bytes`.
    pub fn punch_upload_limit(&self) -> usize {
        self.max_bytes.saturating_mul(2).saturating_add(256 * 1024)
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

impl From<PhotoError> for ApiError {
    fn from(error: PhotoError) -> Self {
        let status = match error {
            PhotoError::TooLarge { .. } | PhotoError::TooManyPixels { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PhotoError::UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PhotoError::Empty | PhotoError::Corrupt(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error.code(), error.to_string()).with_field("photo")
    }
}

/// Checks `bytes` against `limits`: format by content (not by name), dimensions from the
/// header (no pixel is decoded), and that the file is whole. Cheap enough for the request path.
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
    check_whole(&bytes, format)?;
    Ok(CheckedPhoto { bytes, content_type, width, height })
}

/// Whether the file ends as its format says a whole file does: a cut-off upload is refused
/// (the device still has it and sends it again) rather than stored half.
fn check_whole(bytes: &[u8], format: ImageFormat) -> Result<(), PhotoError> {
    let cut = |what: &str| Err(PhotoError::Corrupt(format!("{what}: the file was cut off or damaged")));
    match format {
        // In the coded data a 0xFF byte is never followed by 0xD9, so the marker means the end is there.
        ImageFormat::Jpeg if !bytes.windows(2).any(|pair| pair == [0xFF, 0xD9]) => cut("the JPEG has no end-of-image marker"),
        ImageFormat::Png if !bytes.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]) => {
            cut("the PNG does not end with its IEND chunk")
        }
        ImageFormat::WebP => {
            let declared = bytes.get(4..8).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize + 8);
            if declared == Some(bytes.len()) {
                Ok(())
            } else {
                cut("the WebP is not as long as its header says")
            }
        }
        _ => Ok(()),
    }
}

/// A multipart body that could not be read; one over the route's limit says what the limit is.
pub(crate) fn multipart_error(error: MultipartError, limits: &PhotoLimits) -> ApiError {
    let status = error.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "body_too_large",
            format!("the upload is larger than the server accepts; photos may be at most {}", limits.max_size_text()),
        )
    } else {
        ApiError::new(status, "bad_multipart", error.body_text())
    }
}

/// A photo's bytes for `user`, as an answer that no cache keeps, if they may see it (a supervisor
/// sees only their employees' photos; any other is 404, as if it did not exist), the view audited
/// with `seen`: where it was shown (e.g. `seen on a time card`). A photo destroyed under the
/// retention policy answers 410 with when. The rules are `clockface_app::photos::view_photo`'s.
pub async fn serve_photo(state: &AppState, user: &UserAuth, sha256: &str, seen: &str) -> Result<Response, ApiError> {
    let viewer = Viewer { company: user.company(), user: user.user(), reach: &user.reach };
    let photo = view_photo(state.store.as_ref(), &state.blobs, viewer, sha256, seen).await?;
    Ok((
        [(CONTENT_TYPE, photo.content_type), (CACHE_CONTROL, "no-store".to_owned()), (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned())],
        photo.bytes,
    )
        .into_response())
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
        assert_eq!(limits(1024).punch_upload_limit(), 2 * 1024 + 256 * 1024);
    }

    fn png(width: u32, height: u32) -> Bytes {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).expect("encode png");
        Bytes::from(out.into_inner())
    }

    #[test]
    fn a_small_png_passes_with_its_size() {
        let checked = check_photo(png(64, 48), PhotoLimits::default()).expect("valid photo");
        assert_eq!((checked.width, checked.height, checked.content_type), (64, 48, "image/png"));
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
    fn a_whole_photo_that_will_not_decode_passes_the_cheap_checks() {
        // Header, dimensions and end chunk, but the image data overwritten: stored, and the
        // worker says unreadable.
        let mut hollow = png(64, 64).to_vec();
        let data = hollow.windows(4).position(|w| w == b"IDAT").expect("an image data chunk") + 4;
        hollow[data..data + 20].fill(0x5A);
        assert!(image::load_from_memory(&hollow).is_err(), "it does not decode");
        let checked = check_photo(Bytes::from(hollow), PhotoLimits::default()).expect("passes the cheap checks");
        assert_eq!((checked.width, checked.height), (64, 64));
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
