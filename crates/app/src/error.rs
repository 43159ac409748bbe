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
    /// What was asked cannot be done in the state things are in (e.g. renewing the link of a
    /// user who has accepted theirs); `details`, when there are some, is what a program needs
    /// beyond the sentence (e.g. the approved periods a settings change would touch).
    #[error("{message}")]
    Conflict { code: &'static str, message: String, details: Option<serde_json::Value> },
    /// Several of the input's fields are refused at once: a form says each beside its field
    /// rather than one at a time. The first is the one a caller that shows only one shows.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<AppError>),
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

    /// A refusal in the state things are in, with no details.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { code, message: message.into(), details: None }
    }

    /// This refusal with `details` (a conflict's; any other kind is left as it is).
    pub fn with_details(self, details: serde_json::Value) -> Self {
        match self {
            AppError::Conflict { code, message, .. } => AppError::Conflict { code, message, details: Some(details) },
            other => other,
        }
    }

    /// The refusal a supervisor gets where only admins may go: `what` says what they tried.
    pub fn admins_only(what: &str) -> Self {
        AppError::Forbidden { code: "admins_only", message: format!("only an admin can {what}; you are signed in as a supervisor") }
    }

    /// Bad input in `field`.
    pub fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, field: Some(field), message: message.into() }
    }

    /// Ok when nothing was refused; the one refusal; or all of them as [`AppError::Several`]
    /// (one level: refusals that were several already, the domain's too, are taken apart).
    pub fn all(refused: Vec<AppError>) -> Result<(), AppError> {
        let mut refused: Vec<AppError> = refused
            .into_iter()
            .flat_map(|e| match e {
                AppError::Several(inner) => inner,
                AppError::Domain(DomainError::Several(inner)) => inner.into_iter().map(AppError::Domain).collect(),
                one => vec![one],
            })
            .collect();
        match refused.len() {
            0 => Ok(()),
            1 => Err(refused.remove(0)),
            _ => Err(AppError::Several(refused)),
        }
    }

    /// The value of a check that passed; a refusal goes to `refused` (for [`AppError::all`]).
    pub fn keep<T, E: Into<AppError>>(result: Result<T, E>, refused: &mut Vec<AppError>) -> Option<T> {
        result.map_err(|e| refused.push(e.into())).ok()
    }

    /// The stable code of a refusal (`None` for the store's and the domain's own, and for faults).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { code, .. }
            | AppError::Unauthenticated { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Gone { code, .. } => Some(code),
            AppError::Locked { .. } => Some("locked"),
            AppError::Busy { .. } => Some("busy"),
            AppError::NotFound(_) => Some("not_found"),
            AppError::Several(errors) => errors.first().and_then(AppError::code),
            AppError::Store(_) | AppError::Domain(_) | AppError::Internal(_) => None,
        }
    }
}
