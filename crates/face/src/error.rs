//! The one error type of the face engine.
//!
//! Errors are about the *input* (not an image, corrupt, too large) or about the
//! engine itself (a model that fails its checksum or does not load). "No face"
//! and "poor quality" are not errors: they are verdicts, see [`crate::Verdict`].

/// Everything that can go wrong between bytes in and a decision out.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// The bytes are not a JPEG, PNG or WebP image.
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,

    /// The format was recognised but the data could not be decoded.
    #[error("the image is damaged and cannot be read: {0}")]
    Corrupt(String),

    /// The image declares more pixels than the limits allow (decompression bomb or huge photo).
    #[error("the image is too large: at most {max_width}x{max_height} pixels are accepted")]
    TooLarge {
        /// Largest accepted width in pixels.
        max_width: u32,
        /// Largest accepted height in pixels.
        max_height: u32,
    },

    /// Rotation must be a multiple of 90 degrees.
    #[error("rotation must be 0, 90, 180 or 270 degrees, not {0}")]
    BadRotation(i32),

    /// A bundled model does not have the SHA-256 it must have.
    #[error("model {name} is damaged: SHA-256 {actual} differs from the expected {expected}")]
    ModelChecksum {
        /// File name of the model.
        name: &'static str,
        /// Expected digest (hex).
        expected: &'static str,
        /// Digest of the embedded bytes (hex).
        actual: String,
    },

    /// A model could not be parsed, rewritten or prepared by the inference engine.
    #[error("model {name} could not be loaded: {reason}")]
    ModelLoad {
        /// File name of the model.
        name: &'static str,
        /// What went wrong.
        reason: String,
    },

    /// Running a model failed (should not happen with valid inputs).
    #[error("face model failed while running: {0}")]
    Inference(String),
}

impl FaceError {
    /// A stable machine-readable code (for `{ "error": { "code", "message" } }`).
    pub fn code(&self) -> &'static str {
        match self {
            FaceError::NotAnImage => "not_an_image",
            FaceError::Corrupt(_) => "corrupt_image",
            FaceError::TooLarge { .. } => "image_too_large",
            FaceError::BadRotation(_) => "bad_rotation",
            FaceError::ModelChecksum { .. } => "model_checksum",
            FaceError::ModelLoad { .. } => "model_load",
            FaceError::Inference(_) => "inference",
        }
    }

    /// Whether the caller sent bad input (a 4xx) rather than the engine failing (a 5xx).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, FaceError::NotAnImage | FaceError::Corrupt(_) | FaceError::TooLarge { .. } | FaceError::BadRotation(_))
    }
}
