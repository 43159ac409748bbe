//! Devices: registered installs of the mobile clock.

use crate::company::parse_name;
use crate::ids::{CompanyId, DeviceId, EmployeeId};
use crate::DomainError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: DeviceId,
    #[serde(skip)]
    pub company_id: CompanyId,
    pub name: String,
    pub has_front_camera: bool,
    /// The company settings version this device last synced.
    pub synced_version: i64,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// How FaceFront photos from this device are turned to be upright: 0, 90, 180 or 270 degrees clockwise.
    #[schema(value_type = i64)]
    pub photo_rotation: Rotation,
    pub registered_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The public key the device signs its punches with (ECDSA P-256, raw uncompressed point,
    /// base64), once it registered one.
    pub signing_key: Option<String>,
    /// Kiosk mode, when an admin turned it on: the device identifies the worker in front of it
    /// by face. `None`: an ordinary clock (PIN sign-in).
    pub kiosk: Option<Kiosk>,
}

/// A kiosk's setting: among whom it identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Kiosk {
    /// `None`: every employee of the company; else this foreman and their crew (the device is the
    /// crew's tablet). Either way only those who signed the release and are enrolled.
    pub crew_of: Option<EmployeeId>,
}

/// A device's display name, e.g. "Site 4 tablet".
pub fn parse_device_name(raw: &str) -> Result<String, DomainError> {
    parse_name(raw, "name", 80)
}

/// A quarter turn clockwise, as set on the device or chosen by an admin for display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum Rotation {
    #[default]
    R0,
    R90,
    R180,
    R270,
}

impl Rotation {
    pub fn degrees(self) -> i64 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }
}

impl Rotation {
    /// The quarter turn of `degrees` clockwise, any whole multiple of 90 (negative turns anticlockwise).
    pub fn from_degrees(degrees: i64) -> Result<Self, DomainError> {
        Rotation::try_from(degrees.rem_euclid(360))
    }

    /// This turn followed by `other`.
    pub fn plus(self, other: Rotation) -> Rotation {
        match (self.degrees() + other.degrees()) % 360 {
            90 => Rotation::R90,
            180 => Rotation::R180,
            270 => Rotation::R270,
            _ => Rotation::R0,
        }
    }
}

impl TryFrom<i64> for Rotation {
    type Error = DomainError;
    fn try_from(degrees: i64) -> Result<Self, DomainError> {
        match degrees {
            0 => Ok(Rotation::R0),
            90 => Ok(Rotation::R90),
            180 => Ok(Rotation::R180),
            270 => Ok(Rotation::R270),
            _ => Err(DomainError::invalid("rotation", "must be 0, 90, 180 or 270")),
        }
    }
}

impl From<Rotation> for i64 {
    fn from(rotation: Rotation) -> i64 {
        rotation.degrees()
    }
}

impl std::fmt::Display for Rotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.degrees())
    }
}
