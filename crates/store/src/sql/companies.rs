//! Companies, their admins and the admins' sessions; and the company's settings version, which
//! every change to roles, employees and crews raises.

use super::{Db, Tx};
use crate::error::unique_violation;
use crate::records::{AdminLoginRow, CompanyRow, SessionRow};
use crate::{new_id, AdminLogin, NewCompany, Session, StoreError, Unique};
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
    let mut tx = pool.begin().await?;
    let company_id = CompanyId(new_id());
    sqlx::query("INSERT INTO companies (id, name, time_zone, settings_version, created_at) VALUES ($1, $2, $3, 1, $4)")
        .bind(company_id.0)
        .bind(new.name.as_str())
        .bind(new.time_zone.name())
        .bind(new.now)
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
            "INSERT INTO roles (id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
        )
        .bind(new_id())
        .bind(company_id.0)
        .bind(name.as_str())
        .bind(abilities.face_front)
        .bind(abilities.clock_for)
        .bind(abilities.view_own_time_card)
        .bind(abilities.record_gps)
        .bind(new.now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok((Company { id: company_id, name: new.name, time_zone: new.time_zone, settings_version: 1 }, admin_id))
}

pub(super) async fn company(pool: &Pool<Db>, company: CompanyId) -> Result<Company, StoreError> {
    let row: CompanyRow = sqlx::query_as("SELECT id, name, time_zone, settings_version FROM companies WHERE id = $1")
        .bind(company.0)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn admin_login(pool: &Pool<Db>, email: &str) -> Result<Option<AdminLogin>, StoreError> {
    let row: Option<AdminLoginRow> =
        sqlx::query_as("SELECT id, company_id, email, password_hash FROM admins WHERE email = $1").bind(email).fetch_optional(pool).await?;
    Ok(row.map(|r| AdminLogin { id: AdminId(r.id), company_id: CompanyId(r.company_id), email: r.email, password_hash: r.password_hash }))
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
        "SELECT s.token_hash, s.admin_id, s.company_id, a.email AS admin_email, s.csrf_token, s.created_at, s.expires_at \
         FROM admin_sessions s JOIN admins a ON a.id = s.admin_id WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Session::from))
}

pub(super) async fn delete_session(pool: &Pool<Db>, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(())
}
