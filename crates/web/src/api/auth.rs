//! Sign-in and sign-out of the web app's users (admins and supervisors), and two-step sign-in.

use crate::auth::{new_token, token_hash, UserAuth, ADMIN_TOKEN_PREFIX};
use crate::error::{ErrorBody, Json};
use crate::guard::ClientAddr;
use crate::{secrets, totp};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use clockface_domain::company::Email;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::lockout::locked_message;
use clockface_domain::secret::{hash_secret, verify_secret};
use clockface_domain::user::UserRole;
use clockface_store::{AdminLogin, Attempt, LockScope, Session, SignInHistory};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
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

/// What a right password is followed by.
pub enum SignIn {
    /// Signed in: the session's token (shown once), the session, and what to tell the admin.
    Done { token: String, session: Session, history: SignInHistory },
    /// The admin has two-step sign-in on: ask for the code, quoting this half-done sign-in.
    NeedsCode { pending: String },
}

/// The second factor as given: an authenticator code or a recovery code.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    Code(String),
    Recovery(String),
}

/// How long a half-done sign-in (right password, code still to come) lasts.
const PENDING_FOR: chrono::Duration = chrono::Duration::minutes(5);

/// Where an admin sign-in's guesses count: the account (whether or not it exists, so that the
/// answer does not tell) and the client's address.
fn sign_in_scopes(email: &str, client: ClientAddr) -> [LockScope; 2] {
    [LockScope::Account(email.trim().to_lowercase()), LockScope::Address(client.text())]
}

/// The answer for a locked place, with `Retry-After`.
pub fn locked_answer(attempt: Attempt, now: DateTime<Utc>) -> ApiError {
    match attempt {
        Attempt::Locked { place, until, .. } => {
            let left = until - now;
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "locked", locked_message(place, left))
                .with_retry_after(u64::try_from(left.num_seconds().max(1)).unwrap_or(1))
        }
        Attempt::Judge { .. } => ApiError::internal("a lock was expected"),
    }
}

/// Checks an admin's e-mail and password (and second factor, when they have one and gave it).
/// Shared by the API and the admin pages. Every attempt is counted before it is judged, per
/// account and per client address; a locked one is refused unjudged. The answer is the same
/// whether the e-mail or the password was wrong, and takes as long.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    second: Option<SecondFactor>,
    client: ClientAddr,
) -> Result<SignIn, ApiError> {
    let now = Utc::now();
    let scopes = sign_in_scopes(email, client);
    let policy = &state.settings.lockout;
    if let attempt @ Attempt::Locked { .. } = state.store.count_attempt(&scopes, policy, now).await? {
        crate::security_event!("sign_in_locked", client, account = email);
        return Err(locked_answer(attempt, now));
    }
    let login = match Email::parse(email) {
        Ok(email) => state.store.admin_login(email.as_str()).await?,
        Err(_) => None,
    };
    // Without an account a dummy hash is still checked, so the answer takes as long either way.
    static DUMMY_HASH: OnceLock<String> = OnceLock::new();
    let hash = match &login {
        Some(login) => login.password_hash.clone(),
        None => DUMMY_HASH.get_or_init(|| hash_secret("no such admin, but take the time")).clone(),
    };
    let password = password.to_owned();
    let matches = state.gates.hash(move || verify_secret(&password, &hash)).await?;
    let Some(login) = login.filter(|_| matches) else {
        return Err(wrong_credentials(state, &scopes, login_id(email, state).await, client, now).await);
    };
    if login.disabled {
        // The password was right, so the person is told why they cannot come in.
        state.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
        return Err(ApiError::forbidden(
            "access_off",
            "an admin of your company turned off your access to clockface; ask them to turn it back on",
        ));
    }
    if login.totp_secret.is_none() {
        return finish(state, &scopes, &login, client, now).await;
    }
    match second {
        Some(second) => {
            if second_factor_is_right(state, &login, &second, now).await? {
                finish(state, &scopes, &login, client, now).await
            } else {
                Err(wrong_second_factor(state, &scopes, &login, client, now).await)
            }
        }
        None => {
            // The password was right: it does not count against the account, the code will.
            state.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
            let pending = new_token("");
            state.store.create_pending_sign_in(&token_hash(&pending), login.id, now + PENDING_FOR).await?;
            Ok(SignIn::NeedsCode { pending })
        }
    }
}

/// The second step of a two-step sign-in from the pages: the half-done sign-in and its code.
pub async fn finish_with_code(
    state: &AppState,
    pending: &str,
    second: SecondFactor,
    client: ClientAddr,
) -> Result<(String, Session, SignInHistory), ApiError> {
    let now = Utc::now();
    let expired = || ApiError::unauthorized("sign_in_expired", "this sign-in has expired; enter your e-mail address and password again");
    let login = state.store.pending_sign_in(&token_hash(pending), now).await?.ok_or_else(expired)?;
    let scopes = sign_in_scopes(&login.email, client);
    if let attempt @ Attempt::Locked { .. } = state.store.count_attempt(&scopes, &state.settings.lockout, now).await? {
        crate::security_event!("sign_in_locked", client, account = login.email);
        return Err(locked_answer(attempt, now));
    }
    if !second_factor_is_right(state, &login, &second, now).await? {
        return Err(wrong_second_factor(state, &scopes, &login, client, now).await);
    }
    state.store.delete_pending_sign_in(&token_hash(pending)).await?;
    match finish(state, &scopes, &login, client, now).await? {
        SignIn::Done { token, session, history } => Ok((token, session, history)),
        SignIn::NeedsCode { .. } => Err(ApiError::internal("a finished sign-in asked for a code")),
    }
}

async fn second_factor_is_right(state: &AppState, login: &AdminLogin, second: &SecondFactor, now: DateTime<Utc>) -> Result<bool, ApiError> {
    match second {
        SecondFactor::Code(code) => {
            let secret = login.totp_secret.as_deref().and_then(|sealed| secrets::open(&state.settings.secrets_key, sealed));
            let secret = secret.ok_or_else(|| ApiError::internal("an admin's TOTP secret does not open under secrets.key"))?;
            // A code is used once (RFC 6238 5.2): its step must be later than the last one used.
            match totp::matching_step(&secret, code, u64::try_from(now.timestamp()).unwrap_or(0)) {
                Some(step) => Ok(state.store.use_totp_step(login.id, i64::try_from(step).unwrap_or(i64::MAX)).await?),
                None => Ok(false),
            }
        }
        SecondFactor::Recovery(code) => Ok(state.store.use_recovery_code(login.id, &totp::recovery_code_hash(code), now).await?),
    }
}

/// The account id behind an e-mail address, if there is one (to count its failed sign-ins).
async fn login_id(email: &str, state: &AppState) -> Option<AdminId> {
    let email = Email::parse(email).ok()?;
    state.store.admin_login(email.as_str()).await.ok().flatten().map(|l| l.id)
}

/// A wrong e-mail or password: counted, logged, and locking the account or address once its
/// limit is reached.
async fn wrong_credentials(
    state: &AppState,
    scopes: &[LockScope],
    admin: Option<AdminId>,
    client: ClientAddr,
    now: DateTime<Utc>,
) -> ApiError {
    let account = scopes.first().map(LockScope::key).unwrap_or_default();
    crate::security_event!("wrong_password", client, account = account);
    if let Some(admin) = admin {
        if let Err(error) = state.store.record_failed_sign_in(admin, now).await {
            return error.into();
        }
    }
    match state.store.attempt_was_wrong(scopes, &state.settings.lockout, now).await {
        Ok(Some(lock)) => {
            crate::security_event!("sign_in_locked", client, account = account);
            locked_answer(lock, now)
        }
        Ok(None) => ApiError::unauthorized("wrong_credentials", "the e-mail address or the password is wrong"),
        Err(error) => error.into(),
    }
}

async fn wrong_second_factor(
    state: &AppState,
    scopes: &[LockScope],
    login: &AdminLogin,
    client: ClientAddr,
    now: DateTime<Utc>,
) -> ApiError {
    crate::security_event!("wrong_second_factor", client, account = login.email);
    if let Err(error) = state.store.record_failed_sign_in(login.id, now).await {
        return error.into();
    }
    match state.store.attempt_was_wrong(scopes, &state.settings.lockout, now).await {
        Ok(Some(lock)) => locked_answer(lock, now),
        Ok(None) => ApiError::unauthorized(
            "wrong_code",
            "that code is wrong, has expired or was used already; enter the next code your app shows, or a recovery code",
        )
        .with_field("code"),
        Err(error) => error.into(),
    }
}

/// A right sign-in: the guess takes back its own count from the address and clears the
/// account's; the session is made; what happened since the last sign-in comes back.
async fn finish(
    state: &AppState,
    scopes: &[LockScope],
    login: &AdminLogin,
    client: ClientAddr,
    now: DateTime<Utc>,
) -> Result<SignIn, ApiError> {
    state.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
    let history = state.store.record_sign_in(login.id, now).await?;
    let token = new_token(ADMIN_TOKEN_PREFIX);
    let session = Session {
        token_hash: token_hash(&token),
        admin_id: login.id,
        company_id: login.company_id,
        admin_email: login.email.clone(),
        role: login.role,
        csrf_token: new_token(""),
        created_at: now,
        expires_at: now + state.settings.session_ttl,
    };
    state.store.create_session(&session).await?;
    tracing::info!(admin = %login.id, client = %client.text(), "admin signed in");
    Ok(SignIn::Done { token, session, history })
}

async fn me_of(state: &AppState, session: &Session) -> Result<Me, ApiError> {
    let company = state.store.company(session.company_id).await?;
    let login = state.store.admin_login(&session.admin_email).await?;
    Ok(Me {
        admin_id: session.admin_id,
        email: session.admin_email.clone(),
        company_id: company.id,
        company_name: company.name.as_str().to_owned(),
        time_zone: company.time_zone.name().to_owned(),
        two_step: login.is_some_and(|l| l.totp_secret.is_some()),
        role: session.role,
        assigned_employees: match session.role {
            UserRole::Admin => None,
            UserRole::Supervisor => Some(state.store.assigned_employees(session.company_id, session.admin_id).await?),
        },
    })
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
    match sign_in(&state, &body.email, &body.password, second, client).await? {
        SignIn::Done { token, session, history } => {
            let me = me_of(&state, &session).await?;
            Ok(Json(LoginResponse {
                token,
                expires_at: session.expires_at,
                me,
                failed_attempts_since_last_sign_in: history.failed_since_last,
                last_failed_attempt_at: history.last_failed_at,
            }))
        }
        SignIn::NeedsCode { pending } => {
            state.store.delete_pending_sign_in(&token_hash(&pending)).await?;
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
    state.store.delete_session(&admin.session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("admin" = [])), responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, admin: UserAuth) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&state, &admin.session).await?))
}

// ---------------------------------------------------------------------------------------------
// Two-step sign-in (TOTP): turning it on and off. Shared with the admin pages' Account page.

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

/// Starts setting up two-step sign-in for `admin_email`.
pub fn start_two_step(state: &AppState, admin_email: &str) -> Result<TwoStepSetup, ApiError> {
    let secret = totp::new_secret();
    let sealed = secrets::seal(&state.settings.secrets_key, &secret).ok_or_else(|| ApiError::internal("cannot seal a TOTP secret"))?;
    Ok(TwoStepSetup {
        otpauth_url: totp::otpauth_url(admin_email, &secret),
        secret_base32: totp::base32(&secret),
        setup: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sealed),
    })
}

/// The secret of a setup handed back, if it is one this server sealed.
pub fn setup_secret(state: &AppState, setup: &str) -> Option<Vec<u8>> {
    let sealed = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, setup.trim()).ok()?;
    secrets::open(&state.settings.secrets_key, &sealed)
}

/// Turns two-step sign-in on once the first code from the app is right; returns the recovery
/// codes (shown once; only their hashes are kept). Audited.
pub async fn confirm_two_step(state: &AppState, session: &Session, setup: &str, code: &str) -> Result<Vec<String>, ApiError> {
    let now = Utc::now();
    let secret = setup_secret(state, setup)
        .ok_or_else(|| ApiError::unprocessable("invalid", "this setup is not one the server started; start again").with_field("setup"))?;
    let Some(step) = totp::matching_step(&secret, code, u64::try_from(now.timestamp()).unwrap_or(0)) else {
        return Err(
            ApiError::unprocessable("wrong_code", "that code is wrong or has expired; enter the code the app shows now").with_field("code")
        );
    };
    let sealed = secrets::seal(&state.settings.secrets_key, &secret).ok_or_else(|| ApiError::internal("cannot seal a TOTP secret"))?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    state.store.set_totp(session.admin_id, Some(&sealed), &hashes, now).await?;
    // The code that turned it on is used: it does not sign anyone in afterwards.
    state.store.use_totp_step(session.admin_id, i64::try_from(step).unwrap_or(i64::MAX)).await?;
    let line = crate::verification::audit_entry(
        session.company_id,
        &format!("admin:{}", session.admin_id),
        "two_step.on",
        &format!("admin:{}", session.admin_id),
        "",
    );
    state.store.audit(&line).await?;
    Ok(codes)
}

/// Turns two-step sign-in off, with the admin's password. Audited.
pub async fn turn_off_two_step(state: &AppState, session: &Session, password: &str) -> Result<(), ApiError> {
    let login = state.store.admin_login(&session.admin_email).await?.ok_or_else(|| ApiError::not_found("no such admin"))?;
    let (password, hash) = (password.to_owned(), login.password_hash.clone());
    if !state.gates.hash(move || verify_secret(&password, &hash)).await? {
        return Err(ApiError::unauthorized("wrong_credentials", "the password is wrong").with_field("password"));
    }
    state.store.set_totp(session.admin_id, None, &[], Utc::now()).await?;
    let line = crate::verification::audit_entry(
        session.company_id,
        &format!("admin:{}", session.admin_id),
        "two_step.off",
        &format!("admin:{}", session.admin_id),
        "",
    );
    state.store.audit(&line).await?;
    Ok(())
}

/// Start setting up two-step sign-in (TOTP) for the signed-in admin.
#[utoipa::path(post, path = "/auth/two-step", tag = "auth", security(("admin" = [])), responses((status = 200, body = TwoStepSetup)))]
async fn two_step_start(State(state): State<AppState>, admin: UserAuth) -> Result<Json<TwoStepSetup>, ApiError> {
    Ok(Json(start_two_step(&state, &admin.session.admin_email)?))
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
    Ok(Json(RecoveryCodes { recovery_codes: confirm_two_step(&state, &admin.session, &body.setup, &body.code).await? }))
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
    turn_off_two_step(&state, &admin.session, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
