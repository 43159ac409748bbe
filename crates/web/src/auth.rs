//! Who is calling: web-app users (admins and supervisors) with a session token, devices with a
//! device token. Tokens are random, shown once, and stored only as their SHA-256. Also the keyed
//! digest that finds an employee by PIN.

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use clockface_app::tokens::{token_hash, ADMIN_TOKEN_PREFIX, DEVICE_TOKEN_PREFIX};
use clockface_app::users::Acting;
use clockface_domain::device::Device;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::user::{Reach, UserRole};
use clockface_store::Session;

/// The keyed digest that finds an employee by PIN within a company, with this server's PIN key
/// (`clockface_app::employees::pin_lookup`).
pub fn pin_lookup(state: &AppState, company: CompanyId, pin: &str) -> String {
    clockface_app::employees::pin_lookup(&state.settings.pin_key, company, pin)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

/// A signed-in user of the web app over the API (an admin or a supervisor), and whose cards they
/// reach; the extractor answers 401 without a valid session. Handlers a supervisor may use take
/// this and check each employee with [`UserAuth::employee`]; all others take [`AdminAuth`].
#[derive(Debug, Clone)]
pub struct UserAuth {
    pub session: Session,
    pub reach: Reach,
}

impl UserAuth {
    pub fn company(&self) -> CompanyId {
        self.session.company_id
    }

    pub fn user(&self) -> AdminId {
        self.session.admin_id
    }

    pub fn role(&self) -> UserRole {
        self.session.role
    }

    /// The audit log's name for this user.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.session.admin_id)
    }

    /// Nothing, or a 404 when the employee's card is out of this user's reach: a supervisor asking
    /// for someone else's employee learns no more than about an employee who does not exist.
    pub fn employee(&self, employee: EmployeeId) -> Result<(), ApiError> {
        if self.reach.includes(employee) {
            Ok(())
        } else {
            Err(clockface_store::StoreError::NotFound.into())
        }
    }

    /// This user as the use cases a supervisor may use take them: company, who, role and reach.
    pub fn scope(&self) -> clockface_app::scope::Scope<'_> {
        clockface_app::scope::Scope { company: self.company(), user: self.user(), role: self.role(), reach: &self.reach }
    }

    /// Nothing for an admin; a 403 that says so for anyone else.
    pub fn require_admin(&self, what: &str) -> Result<(), ApiError> {
        if self.role().is_admin() {
            Ok(())
        } else {
            Err(admins_only(what))
        }
    }
}

/// The 403 a supervisor gets where only admins may go.
pub fn admins_only(what: &str) -> ApiError {
    clockface_app::AppError::admins_only(what).into()
}

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let missing = || {
            ApiError::unauthorized(
                "not_signed_in",
                "sign in as an admin: send `Authorization: Bearer <token>` from POST /api/v1/auth/login",
            )
        };
        let token = bearer(parts).filter(|t| t.starts_with(ADMIN_TOKEN_PREFIX)).ok_or_else(missing)?;
        let accounts = state.accounts();
        let session = accounts
            .session(token, Utc::now())
            .await?
            .ok_or_else(|| ApiError::unauthorized("session_expired", "the session is unknown or has expired; sign in again"))?;
        let reach = accounts.reach(&session).await?;
        Ok(UserAuth { session, reach })
    }
}

/// A signed-in **admin** over the API; a supervisor gets 403 `admins_only`.
#[derive(Debug, Clone)]
pub struct AdminAuth(pub UserAuth);

impl AdminAuth {
    /// An admin's authority from a page's session (the pages call the API's services).
    pub fn of_session(session: Session) -> Self {
        AdminAuth(UserAuth { session, reach: Reach::Company })
    }

    /// This admin, as the use cases that act in their name take them.
    pub fn acting(&self) -> Acting<'_> {
        Acting { company: self.company(), user: self.user(), email: &self.session.admin_email }
    }
}

impl std::ops::Deref for AdminAuth {
    type Target = UserAuth;
    fn deref(&self) -> &UserAuth {
        &self.0
    }
}

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = UserAuth::from_request_parts(parts, state).await?;
        if !user.role().is_admin() {
            return Err(admins_only("do this"));
        }
        Ok(AdminAuth(user))
    }
}

/// A registered, unrevoked device; the extractor answers 401 otherwise.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device: Device,
}

impl DeviceAuth {
    pub fn company(&self) -> CompanyId {
        self.device.company_id
    }
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).filter(|t| t.starts_with(DEVICE_TOKEN_PREFIX)).ok_or_else(|| {
            ApiError::unauthorized("not_registered", "this call needs a device token: register the device with a code from an admin")
        })?;
        let Some(device) = state.store.device_by_token(&token_hash(token)).await? else {
            crate::security_event!("revoked_device_token", crate::guard::ClientAddr::of(parts, state.settings.trust_forwarded_for));
            return Err(ApiError::unauthorized("device_revoked", "this device's token is unknown or was revoked; register it again"));
        };
        Ok(DeviceAuth { device })
    }
}

/// Runs argon2 (slow by design) off the async workers.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}
