//! Employees, their PINs, and the crews foremen clock for. Every change raises the company's
//! settings version so devices see it at their next sync.

use super::companies::bump_version;
use super::roles::role_in;
use super::{row_by_id, Db};
use crate::error::unique_violation;
use crate::records::{convert_all, EmployeePinRow, EmployeeRow};
use crate::{new_id, EmployeeFields, PinChange, StoreError, Unique};
use chrono::Utc;
use clockface_domain::employee::Employee;
use clockface_domain::ids::{CompanyId, EmployeeId};
use sqlx::Pool;
use uuid::Uuid;

const EMPLOYEE_COLUMNS: &str = "id, company_id, name, number, role_id, role_version, active, (pin_hash IS NOT NULL) AS has_pin, left_at";

const EMPLOYEE_UNIQUES: &[(&str, Unique)] = &[("pin_lookup", Unique::EmployeePin), ("number", Unique::EmployeeNumber)];

pub(super) async fn employees(pool: &Pool<Db>, company: CompanyId, search: Option<&str>) -> Result<Vec<Employee>, StoreError> {
    let pattern = search.map(|s| format!("%{}%", s.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows: Vec<EmployeeRow> = sqlx::query_as(&format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE company_id = $1 \
         AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(number) LIKE $2 ESCAPE '\\') ORDER BY lower(name), number"
    ))
    .bind(company.0)
    .bind(pattern)
    .fetch_all(pool)
    .await?;
    convert_all(rows)
}

pub(super) async fn employee(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Employee, StoreError> {
    let row: EmployeeRow = row_by_id(pool, EMPLOYEE_COLUMNS, "employees", company, employee.0).await?.ok_or(StoreError::NotFound)?;
    row.try_into()
}

pub(super) async fn create_employee(pool: &Pool<Db>, company: CompanyId, new: &EmployeeFields) -> Result<Employee, StoreError> {
    let mut tx = super::begin(pool).await?;
    let version = bump_version(&mut tx, company).await?;
    role_in(&mut tx, company, new.role_id).await?;
    let pin = match &new.pin {
        PinChange::Set(secret) => Some(secret),
        PinChange::Keep | PinChange::Clear => None,
    };
    let row: EmployeeRow = sqlx::query_as(&format!(
        "INSERT INTO employees (id, company_id, name, number, role_id, role_version, active, pin_lookup, pin_hash, created_at, pin_digits) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {EMPLOYEE_COLUMNS}"
    ))
    .bind(new_id())
    .bind(company.0)
    .bind(new.name.as_str())
    .bind(new.number.as_str())
    .bind(new.role_id.0)
    .bind(version)
    .bind(new.active)
    .bind(pin.map(|p| p.lookup.clone()))
    .bind(pin.map(|p| p.hash.clone()))
    .bind(Utc::now())
    .bind(pin.map(|p| p.digits))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, EMPLOYEE_UNIQUES))?;
    tx.commit().await?;
    row.try_into()
}

pub(super) async fn update_employee(
    pool: &Pool<Db>,
    company: CompanyId,
    employee: EmployeeId,
    fields: &EmployeeFields,
) -> Result<Employee, StoreError> {
    let mut tx = super::begin(pool).await?;
    let version = bump_version(&mut tx, company).await?;
    let current: (Uuid, i64) = sqlx::query_as("SELECT role_id, role_version FROM employees WHERE company_id = $1 AND id = $2")
        .bind(company.0)
        .bind(employee.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    role_in(&mut tx, company, fields.role_id).await?;
    let role_version = if current.0 == fields.role_id.0 { current.1 } else { version };
    let (change_pin, lookup, hash, digits) = match &fields.pin {
        PinChange::Keep => (false, None, None, None),
        PinChange::Set(secret) => (true, Some(secret.lookup.clone()), Some(secret.hash.clone()), Some(secret.digits)),
        PinChange::Clear => (true, None, None, None),
    };
    let row: EmployeeRow = sqlx::query_as(&format!(
        "UPDATE employees SET name = $3, number = $4, role_id = $5, role_version = $6, active = $7, \
         left_at = CASE WHEN $7 THEN NULL WHEN active THEN $11 ELSE left_at END, \
         pin_lookup = CASE WHEN $8 THEN $9 ELSE pin_lookup END, pin_hash = CASE WHEN $8 THEN $10 ELSE pin_hash END, \
         pin_digits = CASE WHEN $8 THEN $12 ELSE pin_digits END \
         WHERE company_id = $1 AND id = $2 RETURNING {EMPLOYEE_COLUMNS}"
    ))
    .bind(company.0)
    .bind(employee.0)
    .bind(fields.name.as_str())
    .bind(fields.number.as_str())
    .bind(fields.role_id.0)
    .bind(role_version)
    .bind(fields.active)
    .bind(change_pin)
    .bind(lookup)
    .bind(hash)
    .bind(crate::to_micros(chrono::Utc::now()))
    .bind(digits)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, EMPLOYEE_UNIQUES))?;
    tx.commit().await?;
    row.try_into()
}

pub(super) async fn employee_by_pin(
    pool: &Pool<Db>,
    company: CompanyId,
    pin_lookup: &str,
) -> Result<Option<(Employee, String)>, StoreError> {
    let row: Option<EmployeePinRow> =
        sqlx::query_as(&format!("SELECT {EMPLOYEE_COLUMNS}, pin_hash FROM employees WHERE company_id = $1 AND pin_lookup = $2"))
            .bind(company.0)
            .bind(pin_lookup)
            .fetch_optional(pool)
            .await?;
    match row {
        Some(EmployeePinRow { employee, pin_hash: Some(hash) }) => Ok(Some((employee.try_into()?, hash))),
        _ => Ok(None),
    }
}

pub(super) async fn crew(pool: &Pool<Db>, company: CompanyId, foreman: EmployeeId) -> Result<Vec<EmployeeId>, StoreError> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT employee_id FROM crew_members WHERE company_id = $1 AND foreman_id = $2 ORDER BY employee_id")
            .bind(company.0)
            .bind(foreman.0)
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().map(EmployeeId).collect())
}

pub(super) async fn set_crew(pool: &Pool<Db>, company: CompanyId, foreman: EmployeeId, members: &[EmployeeId]) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE company_id = $1 AND id = $2")
        .bind(company.0)
        .bind(foreman.0)
        .fetch_one(&mut *tx)
        .await?;
    if known == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM crew_members WHERE company_id = $1 AND foreman_id = $2")
        .bind(company.0)
        .bind(foreman.0)
        .execute(&mut *tx)
        .await?;
    for member in members {
        sqlx::query("INSERT INTO crew_members (company_id, foreman_id, employee_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(company.0)
            .bind(foreman.0)
            .bind(member.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::UnknownCrewMember,
                _ => StoreError::Database(e),
            })?;
    }
    tx.commit().await?;
    Ok(())
}
