//! Mobile security roles and their abilities.

use crate::company::parse_name;
use crate::ids::{CompanyId, RoleId};
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What a mobile security role lets its holders do on the mobile clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// With a head turn: when the check fails on the clock, ask the worker once more (the other
    /// way) before the punch is sent. The punch is sent and recorded either way; a failed check
    /// is flagged for review.
    pub liveness_retry: bool,
    /// Ask for time off on the mobile clock (and see their requests and the answers). On by
    /// default: most crews ask this way, and a role is switched off on purpose.
    pub ask_time_off: bool,
}

impl Default for Abilities {
    fn default() -> Self {
        Abilities {
            face_front: false,
            clock_for: false,
            view_own_time_card: false,
            record_gps: false,
            liveness: LivenessCheck::default(),
            liveness_retry: false,
            ask_time_off: true,
        }
    }
}

/// How a role's FaceFront photos are checked for liveness: the face engine's passive check
/// (MiniFASNet, on the face that is verified) and the active check (a head turn the clock asks
/// for, sent as a burst of frames; `face::active`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LivenessCheck {
    /// The photo is only compared with the enrolled face.
    PhotoOnly,
    /// The photo is also checked for liveness: one that may be of a photo or a screen is flagged
    /// `possible_spoof` and goes to review, never a match (the punch is kept as always).
    Passive,
    /// As `passive`, and when the passive check is unsure of the photo (or the clock is offline
    /// and cannot ask), the clock asks for a head turn and sends a burst of frames, judged with
    /// the photo. The default for new roles: on the bench it lets about a sixth as many attacks
    /// through unprompted as the passive check alone lets through at all, for a two-second prompt
    /// at about one live punch in six (docs/BENCHMARKS.md, "Step-up").
    #[default]
    StepUp,
    /// As `passive`, and the clock asks for a head turn at every FaceFront punch.
    Active,
}

/// When a role's clock asks for a head turn, as stored (`roles.active_check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveCheck {
    Never,
    WhenUnsure,
    Always,
}

impl ActiveCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveCheck::Never => "never",
            ActiveCheck::WhenUnsure => "when_unsure",
            ActiveCheck::Always => "always",
        }
    }
}

impl LivenessCheck {
    pub const ALL: [LivenessCheck; 4] = [LivenessCheck::StepUp, LivenessCheck::Passive, LivenessCheck::Active, LivenessCheck::PhotoOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            LivenessCheck::PhotoOnly => "photo_only",
            LivenessCheck::Passive => "passive",
            LivenessCheck::StepUp => "step_up",
            LivenessCheck::Active => "active",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        LivenessCheck::ALL
            .into_iter()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("liveness", "must be `passive`, `step_up`, `active` or `photo_only`"))
    }

    /// The two stored columns: `roles.liveness` (`photo_only` or `passive`) and `roles.active_check`.
    pub fn columns(self) -> (&'static str, ActiveCheck) {
        match self {
            LivenessCheck::PhotoOnly => ("photo_only", ActiveCheck::Never),
            LivenessCheck::Passive => ("passive", ActiveCheck::Never),
            LivenessCheck::StepUp => ("passive", ActiveCheck::WhenUnsure),
            LivenessCheck::Active => ("passive", ActiveCheck::Always),
        }
    }

    /// Read back from the two stored columns.
    pub fn from_columns(liveness: &str, active_check: &str) -> Result<Self, DomainError> {
        match (liveness, active_check) {
            ("photo_only", "never") => Ok(LivenessCheck::PhotoOnly),
            ("passive", "never") => Ok(LivenessCheck::Passive),
            ("passive", "when_unsure") => Ok(LivenessCheck::StepUp),
            ("passive", "always") => Ok(LivenessCheck::Active),
            _ => {
                Err(DomainError::invalid("liveness", format!("`{liveness}` with active check `{active_check}` is not a liveness setting")))
            }
        }
    }

    /// Whether the passive check judges the photo (every setting but photo only).
    pub fn passive(self) -> bool {
        self != LivenessCheck::PhotoOnly
    }

    /// When the clock asks for a head turn.
    pub fn active_check(self) -> ActiveCheck {
        self.columns().1
    }

    /// In words, for the roles page.
    pub fn label(self) -> &'static str {
        match self {
            LivenessCheck::PhotoOnly => "Photo only: compared with the enrolled face",
            LivenessCheck::Passive => "Photo and liveness: a photo of a photo or of a screen is flagged for review",
            LivenessCheck::StepUp => {
                "Photo and liveness, and a head turn when unsure: the clock asks for one when the photo alone may not be live"
            }
            LivenessCheck::Active => "Photo and liveness, and a head turn every time: the clock asks for one at every clock in and out",
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
        assert!(roles.iter().all(|(_, abilities)| abilities.ask_time_off), "every default role may ask for time off");
    }

    #[test]
    fn a_role_sent_without_ask_time_off_may_ask_for_time_off() {
        let sent: Abilities = serde_json::from_str(r#"{"clock_for": true}"#).unwrap();
        assert!(sent.ask_time_off && sent.clock_for);
        let off: Abilities = serde_json::from_str(r#"{"ask_time_off": false}"#).unwrap();
        assert!(!off.ask_time_off);
    }

    #[test]
    fn role_names_are_bounded() {
        assert!(RoleName::parse("").is_err());
        assert!(RoleName::parse(&"r".repeat(61)).is_err());
        assert_eq!(RoleName::parse(" Crew ").map(|n| n.as_str().to_owned()), Ok("Crew".to_owned()));
    }
}
