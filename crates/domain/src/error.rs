//! The one error type of the domain. The web layer maps it to JSON for the API and to a
//! message beside the field for pages; nothing here knows about HTTP.

/// A rule was broken. Each variant carries what a person needs to put it right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field's value is not acceptable; `field` names it so a form can show the message beside it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The employee's role asks for a FaceFront photo, the device can take one, and none came
    /// with the punch nor any reason the server accepts for its absence.
    #[error("a FaceFront photo is required for this punch: the employee's role has FaceFront, the device has a front camera and its settings are current; send the photo, or state `camera_denied` if the camera permission was refused")]
    PhotoRequired,
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}
