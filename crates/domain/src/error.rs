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
    /// A face is to be enrolled for an employee with no recorded consent.
    #[error("record the employee's consent to the current biometric notice before enrolling their face")]
    ConsentRequired,
    /// The employee's consent is to an older notice than the current one.
    #[error("the employee consented to an older biometric notice; show them the current one and record their consent again before enrolling their face")]
    ConsentOutdated,
    /// The notice an admin showed the employee is not the current one.
    #[error("the current biometric notice is version {current}; show that one")]
    NoticeOutdated { current: &'static str },
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}
