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
    /// Face matching is to start before the company published a retention policy.
    #[error("publish the company's biometric retention policy (Settings, Privacy) before anyone signs the release or is enrolled")]
    PolicyRequired,
    /// A face is to be enrolled for an employee who has not signed the current written release.
    #[error("the employee has not signed the current biometric release; they sign it on the clock after their PIN, or an admin records it on their page")]
    ReleaseRequired,
    /// A face is to be enrolled for an employee who declined the release.
    #[error("the employee declined the biometric release: no face template is made for them, a person checks their photos")]
    ReleaseDeclined,
    /// A face is to be enrolled for an employee whose face data was deleted on request.
    #[error("the employee's face data was deleted on request and their release withdrawn: no face template is made unless they sign the release anew")]
    ReleaseWithdrawn,
    /// The release an employee was shown is not the current one.
    #[error("the current biometric release is version {current}; show that one")]
    ReleaseOutdated { current: &'static str },
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}
