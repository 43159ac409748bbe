//! What a use case answers when it does not do what was asked: named by what went wrong, never
//! by how a face shows it. `web` maps each kind once to a JSON error (`web/error.rs`), and through
//! that to a page; the `code`s are stable and the same for both.

use clockface_domain::DomainError;
use clockface_store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The input is wrong: `field` (when one is at fault) says which.
    #[error("{message}")]
    Invalid { code: &'static str, field: Option<&'static str>, message: String },
    /// The caller is not who they claim (a wrong password or code), or what vouched for them
    /// (a session, a half-done sign-in) has expired.
    #[error("{message}")]
    Unauthenticated { code: &'static str, field: Option<&'static str>, message: String },
    /// What was asked for does not exist (or is out of the caller's reach, which looks the same).
    #[error("{0}")]
    NotFound(String),
    /// What was asked for existed and is no more (e.g. a photo destroyed under the retention
    /// policy): the message says when.
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// The caller is known and may not do this.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Too many wrong attempts: refused unjudged for `retry_after` more seconds.
    #[error("{message}")]
    Locked { message: String, retry_after: u64 },
    /// Too much at once (e.g. password hashing): try again after `retry_after` seconds.
    #[error("{message}")]
    Busy { message: String, retry_after: u64 },
    /// A fault of the server's (a key that does not open what it sealed, a task that died): the
    /// cause is for the log, never for the caller.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A server fault with its cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// Bad input in `field`.
    pub fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, field: Some(field), message: message.into() }
    }

    /// The stable code of a refusal (`None` for the store's and the domain's own, and for faults).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { code, .. }
            | AppError::Unauthenticated { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Gone { code, .. } => Some(code),
            AppError::Locked { .. } => Some("locked"),
            AppError::Busy { .. } => Some("busy"),
            AppError::NotFound(_) => Some("not_found"),
            AppError::Store(_) | AppError::Domain(_) | AppError::Internal(_) => None,
        }
    }
}
