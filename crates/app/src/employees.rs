//! An employee's fields as an admin types them (`POST`/`PUT /api/v1/employees` and the admin
//! Employees form): every field checked before any refusal is answered, so that a form with two
//! wrong fields hears of both ([`AppError::Several`]); a new PIN at least as long as the company
//! asks, its keyed digest (which finds the employee by PIN and keeps PINs unique in the company)
//! and its hash. Saving, crews and the templates due at the end of employment are still the web's.

use crate::hashing::HashGate;
use crate::AppError;
use clockface_domain::employee::{check_entered, EmployeeName, EmployeeNumber, Pin};
use clockface_domain::ids::{CompanyId, RoleId};
use clockface_domain::secret::hash_secret;
use clockface_store::{EmployeeFields, PinChange, PinSecret, Store};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;

/// What checking an employee's fields needs of the server: the store (the company's PIN length),
/// the bound on hashing, and the key of the PINs' keyed digest.
#[derive(Clone, Copy)]
pub struct Employees<'a> {
    pub store: &'a dyn Store,
    pub hashing: &'a HashGate,
    pub pin_key: &'a SecretSlice<u8>,
}

/// An employee's fields. On update, leave `pin` out to keep the PIN, send `null` to remove it,
/// or send a new one.
// Not `Debug`: it may hold a PIN.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeBody {
    pub name: String,
    pub number: String,
    /// The mobile security role.
    pub role_id: RoleId,
    #[serde(default = "yes")]
    pub active: bool,
    /// 4 to 8 digits, unique in the company; a new PIN has at least the company's PIN length
    /// (6 digits unless it chose otherwise: `PUT /security/pin-policy`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub pin: Option<Option<String>>,
}

fn yes() -> bool {
    true
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A PIN as the body asks for it, once it passed its checks.
enum TypedPin {
    Keep,
    Clear,
    Set(Pin),
}

/// The keyed digest (HMAC-SHA256) that finds an employee by PIN within a company and keeps PINs
/// unique there. The key lives outside the database: a stolen database alone cannot be used to
/// try every PIN. The PIN's argon2 hash is checked as well on sign-in.
pub fn pin_lookup(key: &SecretSlice<u8>, company: CompanyId, pin: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()) {
        Ok(mac) => mac,
        Err(error) => unreachable!("HMAC takes keys of any length: {error}"),
    };
    mac.update(company.0.as_bytes());
    mac.update(pin.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Employees<'_> {
    /// Checks the body for `company` and hashes a new PIN: the fields to store.
    pub async fn fields(&self, company: CompanyId, body: EmployeeBody) -> Result<EmployeeFields, AppError> {
        let mut refused = Vec::new();
        let name = AppError::keep(EmployeeName::parse(&body.name), &mut refused);
        let number = AppError::keep(EmployeeNumber::parse(&body.number), &mut refused);
        refused.extend(check_entered(name.as_ref(), number.as_ref()).into_iter().map(AppError::Domain));
        let pin = match body.pin {
            None => Some(TypedPin::Keep),
            Some(None) => Some(TypedPin::Clear),
            Some(Some(raw)) => match AppError::keep(Pin::parse(&raw), &mut refused) {
                None => None,
                Some(pin) => {
                    let digits = pin.expose().len();
                    let least = usize::from(self.store.company(company).await?.min_pin_digits);
                    if digits < least {
                        refused.push(AppError::invalid(
                            "pin_too_short",
                            "pin",
                            format!(
                                "a new PIN has at least {least} digits in this company (Manage → Devices → PIN sign-in); this one has {digits}"
                            ),
                        ));
                        None
                    } else {
                        Some(TypedPin::Set(pin))
                    }
                }
            },
        };
        AppError::all(refused)?;
        let (Some(name), Some(number), Some(pin)) = (name, number, pin) else {
            return Err(AppError::internal("a value was withheld although every check passed"));
        };
        let pin = match pin {
            TypedPin::Keep => PinChange::Keep,
            TypedPin::Clear => PinChange::Clear,
            TypedPin::Set(pin) => {
                let digits = pin.expose().len();
                let lookup = pin_lookup(self.pin_key, company, pin.expose());
                let hash = self.hashing.run(move || hash_secret(pin.expose())).await?;
                PinChange::Set(PinSecret { lookup, hash, digits: i64::try_from(digits).unwrap_or(8) })
            }
        };
        Ok(EmployeeFields { name, number, role_id: body.role_id, active: body.active, pin })
    }
}
