//! The JSON face of sign-in, sessions and two-step sign-in (`clockface_app::sign_in` holds the
//! use case): the bodies, the OpenAPI document, and the answers.

use crate::auth::UserAuth;
use crate::error::{ErrorBody, Json};
use crate::guard::ClientAddr;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use clockface_app::sign_in::{self, NewSession, SecondFactor, SignIn, Whoami};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::user::UserRole;
use clockface_store::{Attempt, Session};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(two_step_start, two_step_off))
        .routes(routes!(two_step_confirm))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// The 6-digit code from the admin's authenticator app, when they turned two-step sign-in on.
    #[serde(default)]
    pub totp_code: Option<String>,
    /// Or one of their recovery codes (each works once).
    #[serde(default)]
    pub recovery_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub me: Me,
    /// Failed sign-in attempts on this account since its last sign-in, for the admin to know of.
    pub failed_attempts_since_last_sign_in: i64,
    pub last_failed_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub admin_id: AdminId,
    pub email: String,
    pub company_id: CompanyId,
    pub company_name: String,
    pub time_zone: String,
    /// Whether two-step sign-in (TOTP) is on for this admin.
    pub two_step: bool,
    /// `admin` or `supervisor`.
    pub role: UserRole,
    /// A supervisor's assigned employees (absent for an admin, who reaches everyone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_employees: Option<Vec<EmployeeId>>,
}

/// The answer for a locked place (PIN sign-in's too), with `Retry-After`.
pub fn locked_answer(attempt: Attempt, now: DateTime<Utc>) -> ApiError {
    sign_in::locked(attempt, now).into()
}

fn me_of(session: &Session, who: Whoami) -> Me {
    Me {
        admin_id: session.admin_id,
        email: session.admin_email.clone(),
        company_id: who.company.id,
        company_name: who.company.name.as_str().to_owned(),
        time_zone: who.company.time_zone.name().to_owned(),
        two_step: who.two_step,
        role: session.role,
        assigned_employees: who.assigned_employees,
    }
}

/// Sign in as a user (admin or supervisor). With two-step sign-in on, send `totp_code` (or
/// `recovery_code`) too; without it the answer is 401 `second_factor_required`. Wrong passwords
/// are counted per account and per client address: past the limit the answer is 429 with
/// `Retry-After`. A user whose access an admin turned off gets 403 `access_off`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong e-mail, password or code; or a code is needed", body = ErrorBody),
              (status = 403, description = "the user's access is turned off", body = ErrorBody),
              (status = 429, description = "locked after too many wrong attempts, or too busy", body = ErrorBody)))]
async fn login(State(state): State<AppState>, client: ClientAddr, Json(body): Json<LoginBody>) -> Result<Json<LoginResponse>, ApiError> {
    let second = match (body.totp_code, body.recovery_code) {
        (Some(code), _) => Some(SecondFactor::Code(code)),
        (None, Some(code)) => Some(SecondFactor::Recovery(code)),
        (None, None) => None,
    };
    let accounts = state.accounts();
    match accounts.sign_in(&body.email, &body.password, second, &client.text(), Utc::now()).await? {
        SignIn::Done(NewSession { token, session, history }) => {
            let me = me_of(&session, accounts.whoami(&session).await?);
            Ok(Json(LoginResponse {
                token,
                expires_at: session.expires_at,
                me,
                failed_attempts_since_last_sign_in: history.failed_since_last,
                last_failed_attempt_at: history.last_failed_at,
            }))
        }
        SignIn::NeedsCode { pending } => {
            accounts.drop_pending(&pending).await?;
            Err(ApiError::unauthorized(
                "second_factor_required",
                "this admin signs in in two steps: send the code from the authenticator app as `totp_code` (or a recovery code as `recovery_code`)",
            )
            .with_field("totp_code"))
        }
    }
}

/// End this session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("admin" = [])), responses((status = 204)))]
async fn logout(State(state): State<AppState>, admin: UserAuth) -> Result<StatusCode, ApiError> {
    state.accounts().sign_out(&admin.session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("admin" = [])), responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, admin: UserAuth) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&admin.session, state.accounts().whoami(&admin.session).await?)))
}

// ---------------------------------------------------------------------------------------------
// Two-step sign-in (TOTP): turning it on and off (`clockface_app::sign_in`, as the Account page does).

/// A second factor being set up: the secret to show (as a QR code and in base32), and the same
/// secret sealed, to hand back with the first code (nothing is stored until that code is right).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TwoStepSetup {
    /// Scan this into an authenticator app.
    pub otpauth_url: String,
    /// Or type this.
    pub secret_base32: String,
    /// Send back with the first code, to `POST /auth/two-step/confirm`.
    pub setup: String,
}

/// Start setting up two-step sign-in (TOTP) for the signed-in admin.
#[utoipa::path(post, path = "/auth/two-step", tag = "auth", security(("admin" = [])), responses((status = 200, body = TwoStepSetup)))]
async fn two_step_start(State(state): State<AppState>, admin: UserAuth) -> Result<Json<TwoStepSetup>, ApiError> {
    let setup = state.accounts().start_two_step(&admin.session.admin_email)?;
    Ok(Json(TwoStepSetup { otpauth_url: setup.otpauth_url, secret_base32: setup.secret_base32, setup: setup.setup }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoStepConfirm {
    /// `setup` from `POST /auth/two-step`.
    pub setup: String,
    /// The code the app shows now.
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Each signs in once instead of a code. Shown only now.
    pub recovery_codes: Vec<String>,
}

/// Turn two-step sign-in on with the first code from the app; answers the recovery codes.
#[utoipa::path(post, path = "/auth/two-step/confirm", tag = "auth", security(("admin" = [])), request_body = TwoStepConfirm,
    responses((status = 200, body = RecoveryCodes), (status = 422, description = "wrong code, or not a setup of this server", body = ErrorBody)))]
async fn two_step_confirm(
    State(state): State<AppState>,
    admin: UserAuth,
    Json(body): Json<TwoStepConfirm>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let recovery_codes = state.accounts().confirm_two_step(&admin.session, &body.setup, &body.code, Utc::now()).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoStepOff {
    pub password: String,
}

/// Turn two-step sign-in off (needs the password).
#[utoipa::path(delete, path = "/auth/two-step", tag = "auth", security(("admin" = [])), request_body = TwoStepOff,
    responses((status = 204), (status = 401, description = "wrong password", body = ErrorBody)))]
async fn two_step_off(State(state): State<AppState>, admin: UserAuth, Json(body): Json<TwoStepOff>) -> Result<StatusCode, ApiError> {
    state.accounts().turn_off_two_step(&admin.session, &body.password, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
