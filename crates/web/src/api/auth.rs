//! Admin sign-in and sign-out.

use crate::auth::{blocking, new_token, token_hash, AdminAuth, ADMIN_TOKEN_PREFIX};
use crate::error::{ErrorBody, Json};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use clockface_domain::company::Email;
use clockface_domain::ids::{AdminId, CompanyId};
use clockface_domain::secret::{hash_secret, verify_secret};
use clockface_store::Session;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub me: Me,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub admin_id: AdminId,
    pub email: String,
    pub company_id: CompanyId,
    pub company_name: String,
    pub time_zone: String,
}

/// Checks an admin's e-mail and password and creates a session. Shared by the API and the
/// admin pages; the answer is the same whether the e-mail or the password was wrong.
pub async fn sign_in(state: &AppState, email: &str, password: &str) -> Result<(String, Session), ApiError> {
    let wrong = || ApiError::unauthorized("wrong_credentials", "the e-mail address or the password is wrong");
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
    let matches = blocking(move || verify_secret(&password, &hash)).await?;
    let login = login.filter(|_| matches).ok_or_else(wrong)?;
    let token = new_token(ADMIN_TOKEN_PREFIX);
    let now = Utc::now();
    let session = Session {
        token_hash: token_hash(&token),
        admin_id: login.id,
        company_id: login.company_id,
        admin_email: login.email,
        csrf_token: new_token(""),
        created_at: now,
        expires_at: now + state.settings.session_ttl,
    };
    state.store.create_session(&session).await?;
    Ok((token, session))
}

async fn me_of(state: &AppState, session: &Session) -> Result<Me, ApiError> {
    let company = state.store.company(session.company_id).await?;
    Ok(Me {
        admin_id: session.admin_id,
        email: session.admin_email.clone(),
        company_id: company.id,
        company_name: company.name.as_str().to_owned(),
        time_zone: company.time_zone.name().to_owned(),
    })
}

/// Sign in as an admin.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong e-mail or password", body = ErrorBody)))]
async fn login(State(state): State<AppState>, Json(body): Json<LoginBody>) -> Result<Json<LoginResponse>, ApiError> {
    let (token, session) = sign_in(&state, &body.email, &body.password).await?;
    let me = me_of(&state, &session).await?;
    Ok(Json(LoginResponse { token, expires_at: session.expires_at, me }))
}

/// End this session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("admin" = [])), responses((status = 204)))]
async fn logout(State(state): State<AppState>, admin: AdminAuth) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&admin.session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("admin" = [])), responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, admin: AdminAuth) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&state, &admin.session).await?))
}
