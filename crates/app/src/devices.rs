//! Devices and their registration: the one-time code an admin creates (`POST
//! /api/v1/devices/registration-codes` and the admin Devices page), a device registering with it
//! (`POST /api/v1/device/register`), and listing and revoking devices. Syncing and a device's PIN
//! sign-in are still in `web/api/device.rs`.
//!
//! A code is 8 characters read out loud or typed once; only its SHA-256 is stored, and it is
//! used up by the first device that registers with it.

use crate::audit::audit_entry;
use crate::tokens::{new_token, token_hash, DEVICE_TOKEN_PREFIX};
use crate::AppError;
use chrono::{DateTime, Duration, Utc};
use clockface_domain::device::{parse_device_name, Device, Kiosk};
use clockface_domain::ids::{CompanyId, DeviceId};
use clockface_store::{NewDevice, Store, StoreError};
use rand::RngCore;
use serde::Serialize;

/// The shortest and the longest a code may stay usable, in minutes (5 minutes, 7 days).
pub const CODE_MINUTES: std::ops::RangeInclusive<i64> = 5..=7 * 24 * 60;

/// What managing devices needs of the server: the store, and how long a code stays usable when
/// the admin does not say.
#[derive(Clone, Copy)]
pub struct Devices<'a> {
    pub store: &'a dyn Store,
    pub code_ttl: Duration,
}

/// A new registration code, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationCode {
    /// Type it into the mobile clock once. Shown once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// A device just registered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The device's token: keep it, send it as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub device: Device,
}

/// A device registration code as an admin reads it out: 8 characters that cannot be mistaken
/// for one another (no 0/O, 1/I/L), shown as `ABCD-EFGH`.
pub fn new_registration_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// The stored form of a registration code: its SHA-256 after upper-casing and dropping dashes
/// and spaces, so `abcd efgh` and `ABCD-EFGH` are the same code.
pub fn registration_code_hash(code: &str) -> String {
    let normal: String = code.chars().filter(|c| !matches!(c, '-' | ' ')).flat_map(char::to_uppercase).collect();
    token_hash(&normal)
}

impl Devices<'_> {
    /// Creates a one-time registration code for `company`, usable from `now` for
    /// `expires_in_minutes` (within [`CODE_MINUTES`]), or for the server's default when not said.
    pub async fn new_code(
        &self,
        company: CompanyId,
        expires_in_minutes: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<RegistrationCode, AppError> {
        let ttl = match expires_in_minutes {
            None => self.code_ttl,
            Some(minutes) if CODE_MINUTES.contains(&minutes) => Duration::minutes(minutes),
            Some(_) => {
                return Err(AppError::invalid("invalid", "expires_in_minutes", "expires_in_minutes must be between 5 and 10080 (7 days)"))
            }
        };
        let code = new_registration_code();
        let expires_at = now + ttl;
        self.store.create_registration_code(company, &registration_code_hash(&code), now, expires_at).await?;
        Ok(RegistrationCode { code, expires_at })
    }

    /// Registers a device with a code (read forgivingly: case, dashes and spaces do not matter),
    /// in the code's company, and uses the code up. An unknown, used or expired code is refused.
    pub async fn register(&self, code: &str, name: &str, has_front_camera: bool, now: DateTime<Utc>) -> Result<Registered, AppError> {
        let name = parse_device_name(name)?;
        let token = new_token(DEVICE_TOKEN_PREFIX);
        let new = NewDevice { id: DeviceId::new(), name, token_hash: token_hash(&token), has_front_camera };
        let device = self.store.register_device(&registration_code_hash(code), &new, now).await?;
        Ok(Registered { token, device })
    }

    /// The company's devices, newest first.
    pub async fn list(&self, company: CompanyId) -> Result<Vec<Device>, AppError> {
        Ok(self.store.devices(company).await?)
    }

    /// One of the company's devices; another company's is not found.
    pub async fn device(&self, company: CompanyId, id: DeviceId) -> Result<Device, AppError> {
        Ok(self.store.device(company, id).await?)
    }

    /// Revokes one of the company's devices at `now`: its token stops working at once.
    pub async fn revoke(&self, company: CompanyId, id: DeviceId, now: DateTime<Utc>) -> Result<(), AppError> {
        Ok(self.store.revoke_device(company, id, now).await?)
    }

    /// Turns kiosk mode on (identifying among the company, or among `crew_of` and their crew) or
    /// off (`None`) for one of the company's devices, with an audit line by `actor`. A crew must
    /// be one of the company's employees.
    pub async fn set_kiosk(&self, company: CompanyId, id: DeviceId, kiosk: Option<Kiosk>, actor: &str) -> Result<Device, AppError> {
        let among = match kiosk.and_then(|k| k.crew_of) {
            Some(foreman) => {
                let foreman = self.store.employee(company, foreman).await.map_err(|error| match error {
                    StoreError::NotFound => AppError::invalid("unknown_employee", "crew_of", "crew_of is not an employee of this company"),
                    other => other.into(),
                })?;
                format!("{} and their crew", foreman.name.as_str())
            }
            None => "everyone in the company".to_owned(),
        };
        let device = self.store.set_kiosk(company, id, kiosk).await?;
        let detail = match kiosk {
            Some(_) => format!("kiosk mode on for \"{}\": identifies by face among {among} who signed the release", device.name),
            None => format!("kiosk mode off for \"{}\": PIN sign-in only", device.name),
        };
        self.store.audit(&audit_entry(company, actor, "device.kiosk", &format!("device:{id}"), &detail)).await?;
        Ok(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_codes_are_read_forgivingly() {
        let code = new_registration_code();
        assert_eq!(code.len(), 9);
        assert_eq!(registration_code_hash(&code), registration_code_hash(&code.to_lowercase().replace('-', " ")));
    }
}
