//! Mobile security roles and their abilities.

use crate::company::parse_name;
use crate::ids::{CompanyId, RoleId};
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What a mobile security role lets its holders do on the mobile clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Abilities {
    /// Take a FaceFront photo with the front camera at every clock in and out.
    pub face_front: bool,
    /// Clock other employees (their crew) in and out from this employee's device.
    pub clock_for: bool,
    /// See their own time card on the mobile clock.
    pub view_own_time_card: bool,
    /// Attach the device's GPS position to each punch.
    pub record_gps: bool,
    /// With FaceFront: how the server checks that the photo is of a live person, not of a photo
    /// or a screen held up to the camera.
    pub liveness: LivenessCheck,
}

/// How a role's FaceFront photos are checked for liveness (the face engine's passive check,
/// MiniFASNet, on the face that is verified).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LivenessCheck {
    /// The photo is only compared with the enrolled face.
    PhotoOnly,
    /// The photo is also checked for liveness: one that may be of a photo or a screen is flagged
    /// `possible_spoof` and goes to review, never a match (the punch is kept as always).
    #[default]
    Passive,
}

impl LivenessCheck {
    pub const ALL: [LivenessCheck; 2] = [LivenessCheck::Passive, LivenessCheck::PhotoOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            LivenessCheck::PhotoOnly => "photo_only",
            LivenessCheck::Passive => "passive",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        LivenessCheck::ALL
            .into_iter()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("liveness", "must be `passive` or `photo_only`"))
    }

    /// In words, for the roles page.
    pub fn label(self) -> &'static str {
        match self {
            LivenessCheck::PhotoOnly => "Photo only: compared with the enrolled face",
            LivenessCheck::Passive => "Photo and liveness: a photo of a photo or of a screen is flagged for review",
        }
    }
}

/// A mobile security role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: RoleId,
    #[serde(skip)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    pub name: RoleName,
    pub abilities: Abilities,
    /// The company settings version at which `face_front` last changed. A device whose
    /// settings are older than this had not heard of the change when it punched.
    pub face_front_version: i64,
}

/// A role's name: 1 to 60 characters, unique within the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_name(raw, "name", 60).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The roles a new company starts with. FaceFront is off in all of them: an admin turns it on
/// where it is wanted (flow 1 of the product).
pub fn default_roles() -> Vec<(RoleName, Abilities)> {
    let role = |name: &str, abilities| (RoleName(name.to_owned()), abilities);
    vec![
        role("Employee", Abilities { view_own_time_card: true, ..Abilities::default() }),
        role("Foreman", Abilities { clock_for: true, view_own_time_card: true, ..Abilities::default() }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_roles_have_face_front_off_and_one_may_clock_for() {
        let roles = default_roles();
        assert!(roles.iter().all(|(_, abilities)| !abilities.face_front));
        assert!(roles.iter().any(|(_, abilities)| abilities.clock_for));
    }

    #[test]
    fn role_names_are_bounded() {
        assert!(RoleName::parse("").is_err());
        assert!(RoleName::parse(&"r".repeat(61)).is_err());
        assert_eq!(RoleName::parse(" Crew ").map(|n| n.as_str().to_owned()), Ok("Crew".to_owned()));
    }
}
