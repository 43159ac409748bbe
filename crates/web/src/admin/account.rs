//! Account: the signed-in admin's own settings; today two-step sign-in (TOTP with recovery
//! codes), turned on by scanning a code and entering the first one, turned off with the
//! password. The use case is `clockface_app::sign_in`, as for the API.

use super::{render, see_other, FormErrors, Layout, PageError, SignedForm, UserSession};
use crate::admin::words::{self, Words};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use clockface_app::totp;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/account", get(account_page))
        .route("/admin/account/two-step", post(start))
        .route("/admin/account/two-step/confirm", post(confirm))
        .route("/admin/account/two-step/off", post(off))
}

struct Setup {
    qr_svg: String,
    secret_base32: String,
    setup: String,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    layout: Layout,
    two_step: bool,
    codes_left: i64,
    setup: Option<Setup>,
    recovery_codes: Option<Vec<String>>,
    done: Option<&'static str>,
    error: Option<String>,
}

impl AccountPage {
    async fn of(state: &AppState, admin: &UserSession) -> Result<AccountPage, PageError> {
        let login = state.store.admin_login(&admin.session.admin_email).await?;
        let two_step = login.as_ref().is_some_and(|l| l.totp_secret.is_some());
        Ok(AccountPage {
            layout: Layout::new(admin, "account", words::en("account.account")),
            two_step,
            codes_left: if two_step { state.store.recovery_codes_left(admin.session.admin_id).await? } else { 0 },
            setup: None,
            recovery_codes: None,
            done: None,
            error: None,
        })
    }
}

#[derive(Deserialize)]
struct AccountQuery {
    done: Option<String>,
}

async fn account_page(State(state): State<AppState>, admin: UserSession, Query(query): Query<AccountQuery>) -> Result<Response, PageError> {
    let mut page = AccountPage::of(&state, &admin).await?;
    page.done = (query.done.as_deref() == Some("off")).then_some("Two-step sign-in is off.");
    Ok(render(StatusCode::OK, &page))
}

/// The setup step: a fresh secret as a QR code and a key, nothing stored yet.
fn setup_view(state: &AppState, admin: &UserSession, setup: &str) -> Result<Setup, PageError> {
    let secret =
        state.accounts().setup_secret(setup).ok_or_else(|| PageError(crate::ApiError::internal("a setup just made does not open")))?;
    let url = totp::otpauth_url(&admin.session.admin_email, &secret);
    Ok(Setup { qr_svg: totp::qr_svg(&url).unwrap_or_default(), secret_base32: totp::base32(&secret), setup: setup.to_owned() })
}

async fn start(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let admin = signed.admin;
    let setup = state.accounts().start_two_step(&admin.session.admin_email)?;
    let mut page = AccountPage::of(&state, &admin).await?;
    page.setup = Some(setup_view(&state, &admin, &setup.setup)?);
    Ok(render(StatusCode::OK, &page))
}

async fn confirm(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    match state.accounts().confirm_two_step(&admin.session, form.get("setup"), form.get("code"), Utc::now()).await {
        Ok(codes) => {
            let mut page = AccountPage::of(&state, &admin).await?;
            page.recovery_codes = Some(codes);
            Ok(render(StatusCode::OK, &page))
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            let mut page = AccountPage::of(&state, &admin).await?;
            page.setup = Some(setup_view(&state, &admin, form.get("setup"))?);
            page.error = errors.said();
            Ok(render(status, &page))
        }
    }
}

async fn off(State(state): State<AppState>, signed: SignedForm<UserSession>) -> Result<Response, PageError> {
    let SignedForm { admin, form } = signed;
    match state.accounts().turn_off_two_step(&admin.session, form.get("password"), Utc::now()).await {
        Ok(()) => Ok(see_other("/admin/account?done=off")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error.into())?;
            let mut page = AccountPage::of(&state, &admin).await?;
            page.error = errors.said();
            Ok(render(status, &page))
        }
    }
}
