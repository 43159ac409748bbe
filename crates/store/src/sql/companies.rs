//! Companies, their admins and the admins' sessions; and the company's settings version, which
//! every change to roles, employees and crews raises.

use super::{Db, Tx};
use crate::error::unique_violation;
use crate::records::{AdminLoginRow, CompanyRow, SessionRow};
use crate::{new_id, AdminLogin, NewCompany, Session, SignInHistory, StoreError, Unique};
use chrono::{DateTime, Utc};
use clockface_domain::company::Company;
use clockface_domain::ids::{AdminId, CompanyId};
use clockface_domain::role::default_roles;
use sqlx::Pool;

/// Raises the company's settings version and returns the new one.
pub(super) async fn bump_version(tx: &mut Tx, company: CompanyId) -> Result<i64, StoreError> {
    sqlx::query_scalar("UPDATE companies SET settings_version = settings_version + 1 WHERE id = $1 RETURNING settings_version")
        .bind(company.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

pub(super) async fn create_company(pool: &Pool<Db>, new: NewCompany) -> Result<(Company, AdminId), StoreError> {
    let mut tx = super::begin(pool).await?;
    let company_id = CompanyId(new_id());
    sqlx::query("INSERT INTO companies (id, name, time_zone, settings_version, created_at, min_pin_digits) VALUES ($1, $2, $3, 1, $4, $5)")
        .bind(company_id.0)
        .bind(new.name.as_str())
        .bind(new.time_zone.name())
        .bind(new.now)
        .bind(i64::from(new.min_pin_digits))
        .execute(&mut *tx)
        .await?;
    let admin_id = AdminId(new_id());
    sqlx::query("INSERT INTO admins (id, company_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(admin_id.0)
        .bind(company_id.0)
        .bind(new.admin_email.as_str())
        .bind(&new.admin_password_hash)
        .bind(new.now)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, &[("email", Unique::AdminEmail)]))?;
    for (name, abilities) in default_roles() {
        sqlx::query(
            "INSERT INTO roles (id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, created_at, \
             ask_time_off) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
        )
        .bind(new_id())
        .bind(company_id.0)
        .bind(name.as_str())
        .bind(abilities.face_front)
        .bind(abilities.clock_for)
        .bind(abilities.view_own_time_card)
        .bind(abilities.record_gps)
        .bind(new.now)
        .bind(abilities.ask_time_off)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok((
        Company { id: company_id, name: new.name, time_zone: new.time_zone, settings_version: 1, min_pin_digits: new.min_pin_digits },
        admin_id,
    ))
}

pub(super) async fn company(pool: &Pool<Db>, company: CompanyId) -> Result<Company, StoreError> {
    let row: CompanyRow = sqlx::query_as("SELECT id, name, time_zone, settings_version, min_pin_digits FROM companies WHERE id = $1")
        .bind(company.0)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn admin_login(pool: &Pool<Db>, email: &str) -> Result<Option<AdminLogin>, StoreError> {
    let row: Option<AdminLoginRow> = sqlx::query_as(
        "SELECT id, company_id, email, password_hash, totp_secret, disabled_at IS NOT NULL AS disabled, role \
             FROM admins WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    row.map(AdminLogin::try_from).transpose()
}

/// Counts a wrong password (or second factor) on the account, to tell its admin at the next sign-in.
pub(super) async fn record_failed_sign_in(pool: &Pool<Db>, admin: AdminId, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE admins SET failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in_at = $2 WHERE id = $1")
        .bind(admin.0)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// A successful sign-in: returns what happened since the last one, and starts counting afresh.
pub(super) async fn record_sign_in(pool: &Pool<Db>, admin: AdminId, now: DateTime<Utc>) -> Result<SignInHistory, StoreError> {
    let mut tx = super::begin(pool).await?;
    // A write first, so that SQLite takes its write lock before the read.
    sqlx::query("UPDATE admins SET last_sign_in_at = last_sign_in_at WHERE id = $1").bind(admin.0).execute(&mut *tx).await?;
    let (failed_since_last, last_failed_at, last_sign_in_at): (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT failed_sign_ins, last_failed_sign_in_at, last_sign_in_at FROM admins WHERE id = $1")
            .bind(admin.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    sqlx::query("UPDATE admins SET failed_sign_ins = 0, last_sign_in_at = $2 WHERE id = $1")
        .bind(admin.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(SignInHistory { failed_since_last, last_failed_at, last_sign_in_at })
}

/// Turns an admin's second factor on (the encrypted secret and the hashes of fresh recovery
/// codes, which replace any earlier ones) or off (`None`).
pub(super) async fn set_totp(
    pool: &Pool<Db>,
    admin: AdminId,
    secret: Option<&[u8]>,
    recovery_code_hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    let updated = sqlx::query("UPDATE admins SET totp_secret = $2, totp_enabled_at = $3, totp_last_step = NULL WHERE id = $1")
        .bind(admin.0)
        .bind(secret)
        .bind(secret.map(|_| now))
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM recovery_codes WHERE admin_id = $1").bind(admin.0).execute(&mut *tx).await?;
    for hash in recovery_code_hashes {
        sqlx::query("INSERT INTO recovery_codes (admin_id, code_hash, used_at) VALUES ($1, $2, NULL)")
            .bind(admin.0)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Uses up one recovery code; false when it is unknown or used already.
pub(super) async fn use_recovery_code(pool: &Pool<Db>, admin: AdminId, code_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let used = sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE admin_id = $1 AND code_hash = $2 AND used_at IS NULL")
        .bind(admin.0)
        .bind(code_hash)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(used.rows_affected() == 1)
}

/// Records `step` as the admin's last used TOTP step if it is later than the last one, in one
/// statement, so that two sign-ins racing with the same code cannot both win.
pub(super) async fn use_totp_step(pool: &Pool<Db>, admin: AdminId, step: i64) -> Result<bool, StoreError> {
    let used = sqlx::query("UPDATE admins SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)")
        .bind(admin.0)
        .bind(step)
        .execute(pool)
        .await?;
    Ok(used.rows_affected() == 1)
}

/// How many unused recovery codes an admin has.
pub(super) async fn recovery_codes_left(pool: &Pool<Db>, admin: AdminId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE admin_id = $1 AND used_at IS NULL")
        .bind(admin.0)
        .fetch_one(pool)
        .await?)
}

/// A sign-in whose password was right, waiting for its second factor until `expires_at`.
pub(super) async fn create_pending_sign_in(
    pool: &Pool<Db>,
    token_hash: &str,
    admin: AdminId,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO pending_sign_ins (token_hash, admin_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(admin.0)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// The admin of a half-done sign-in that has not expired at `now`.
pub(super) async fn pending_sign_in(pool: &Pool<Db>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<AdminLogin>, StoreError> {
    let row: Option<AdminLoginRow> = sqlx::query_as(
        "SELECT a.id, a.company_id, a.email, a.password_hash, a.totp_secret, a.disabled_at IS NOT NULL AS disabled, a.role \
         FROM pending_sign_ins p JOIN admins a ON a.id = p.admin_id \
         WHERE p.token_hash = $1 AND p.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(AdminLogin::try_from).transpose()
}

pub(super) async fn delete_pending_sign_in(pool: &Pool<Db>, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM pending_sign_ins WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(())
}

pub(super) async fn create_session(pool: &Pool<Db>, session: &Session) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO admin_sessions (token_hash, admin_id, company_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.token_hash)
    .bind(session.admin_id.0)
    .bind(session.company_id.0)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn session(pool: &Pool<Db>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.token_hash, s.admin_id, s.company_id, a.email AS admin_email, a.role, s.csrf_token, s.created_at, s.expires_at \
         FROM admin_sessions s JOIN admins a ON a.id = s.admin_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(Session::try_from).transpose()
}

pub(super) async fn delete_session(pool: &Pool<Db>, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(())
}
