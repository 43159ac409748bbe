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
    /// Several fields' values are not acceptable at once (two or more of [`DomainError::Invalid`]):
    /// a form says each beside its field rather than one at a time.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<DomainError>),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }

    /// The value of a check that passed; a refusal goes to `refused` (for [`DomainError::all`]).
    pub fn keep<T>(result: Result<T, DomainError>, refused: &mut Vec<DomainError>) -> Option<T> {
        result.map_err(|e| refused.push(e)).ok()
    }

    /// Ok when nothing was refused; the one refusal; or all of them as [`DomainError::Several`]
    /// (one level: refusals that were several already are taken apart).
    pub fn all(refused: Vec<DomainError>) -> Result<(), DomainError> {
        let mut refused: Vec<DomainError> = refused
            .into_iter()
            .flat_map(|e| match e {
                DomainError::Several(inner) => inner,
                one => vec![one],
            })
            .collect();
        match refused.len() {
            0 => Ok(()),
            1 => Err(refused.remove(0)),
            _ => Err(DomainError::Several(refused)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_refusals_are_one_error_that_names_each() {
        assert_eq!(DomainError::all(Vec::new()), Ok(()));
        let one = DomainError::invalid("name", "must not be empty");
        assert_eq!(DomainError::all(vec![one.clone()]), Err(one.clone()));
        let two = DomainError::all(vec![one, DomainError::invalid("radius_m", "must be a number")]).unwrap_err();
        assert_eq!(two.to_string(), "name: must not be empty; radius_m: must be a number");
    }
}
