//! Roles and their abilities. Every change raises the company's settings version so devices see
//! it at their next sync.

use super::companies::bump_version;
use super::{row_by_id, Db, Tx};
use crate::error::unique_violation;
use crate::records::{convert_all, RoleRow};
use crate::{new_id, StoreError, Unique};
use chrono::Utc;
use clockface_domain::ids::{CompanyId, RoleId};
use clockface_domain::role::{Abilities, Role, RoleName};
use sqlx::Pool;
use uuid::Uuid;

const ROLE_COLUMNS: &str = "id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, liveness, active_check, liveness_retry, ask_time_off";

/// The company's role with this id, read in `tx`; [`StoreError::UnknownRole`] when there is none.
pub(super) async fn role_in(tx: &mut Tx, company: CompanyId, role: RoleId) -> Result<RoleRow, StoreError> {
    row_by_id(&mut **tx, ROLE_COLUMNS, "roles", company, role.0).await?.ok_or(StoreError::UnknownRole)
}

pub(super) async fn roles(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<(Role, i64)>, StoreError> {
    let rows: Vec<RoleRow> = sqlx::query_as(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE company_id = $1 ORDER BY name"))
        .bind(company.0)
        .fetch_all(pool)
        .await?;
    let holders: Vec<(Uuid, i64)> = sqlx::query_as("SELECT role_id, COUNT(*) FROM employees WHERE company_id = $1 GROUP BY role_id")
        .bind(company.0)
        .fetch_all(pool)
        .await?;
    convert_all::<_, Role>(rows)?
        .into_iter()
        .map(|role| {
            let count = holders.iter().find(|(id, _)| *id == role.id.0).map_or(0, |(_, n)| *n);
            Ok((role, count))
        })
        .collect()
}

pub(super) async fn role(pool: &Pool<Db>, company: CompanyId, role: RoleId) -> Result<Role, StoreError> {
    let row: RoleRow = row_by_id(pool, ROLE_COLUMNS, "roles", company, role.0).await?.ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn create_role(pool: &Pool<Db>, company: CompanyId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError> {
    let mut tx = super::begin(pool).await?;
    let version = bump_version(&mut tx, company).await?;
    let row: RoleRow = sqlx::query_as(&format!(
        "INSERT INTO roles (id, company_id, name, face_front, clock_for, view_own_time_card, record_gps, face_front_version, created_at, \
         liveness, active_check, liveness_retry, ask_time_off) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         RETURNING {ROLE_COLUMNS}"
    ))
    .bind(new_id())
    .bind(company.0)
    .bind(name.as_str())
    .bind(abilities.face_front)
    .bind(abilities.clock_for)
    .bind(abilities.view_own_time_card)
    .bind(abilities.record_gps)
    .bind(version)
    .bind(Utc::now())
    .bind(abilities.liveness.columns().0)
    .bind(abilities.liveness.columns().1.as_str())
    .bind(abilities.liveness_retry)
    .bind(abilities.ask_time_off)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, &[("name", Unique::RoleName)]))?;
    tx.commit().await?;
    row.try_into()
}

pub(super) async fn update_role(
    pool: &Pool<Db>,
    company: CompanyId,
    role: RoleId,
    name: &RoleName,
    abilities: Abilities,
) -> Result<Role, StoreError> {
    let mut tx = super::begin(pool).await?;
    let version = bump_version(&mut tx, company).await?;
    let current: Role = role_in(&mut tx, company, role)
        .await
        .map_err(|error| match error {
            StoreError::UnknownRole => StoreError::NotFound,
            other => other,
        })?
        .try_into()?;
    let face_front_version = if current.abilities.face_front == abilities.face_front { current.face_front_version } else { version };
    let row: RoleRow = sqlx::query_as(&format!(
        "UPDATE roles SET name = $3, face_front = $4, clock_for = $5, view_own_time_card = $6, record_gps = $7, face_front_version = $8, \
         liveness = $9, active_check = $10, liveness_retry = $11, ask_time_off = $12 WHERE company_id = $1 AND id = $2 RETURNING {ROLE_COLUMNS}"
    ))
    .bind(company.0)
    .bind(role.0)
    .bind(name.as_str())
    .bind(abilities.face_front)
    .bind(abilities.clock_for)
    .bind(abilities.view_own_time_card)
    .bind(abilities.record_gps)
    .bind(face_front_version)
    .bind(abilities.liveness.columns().0)
    .bind(abilities.liveness.columns().1.as_str())
    .bind(abilities.liveness_retry)
    .bind(abilities.ask_time_off)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, &[("name", Unique::RoleName)]))?;
    tx.commit().await?;
    row.try_into()
}

pub(super) async fn delete_role(pool: &Pool<Db>, company: CompanyId, role: RoleId) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let holders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE company_id = $1 AND role_id = $2")
        .bind(company.0)
        .bind(role.0)
        .fetch_one(&mut *tx)
        .await?;
    if holders > 0 {
        return Err(StoreError::RoleInUse(holders));
    }
    let deleted =
        sqlx::query("DELETE FROM roles WHERE company_id = $1 AND id = $2").bind(company.0).bind(role.0).execute(&mut *tx).await.map_err(
            |e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::RoleInUse(1),
                _ => StoreError::Database(e),
            },
        )?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
