//! A company's web-app users (rows of `admins`), their invitation links and the employees
//! assigned to supervisors.

use super::audit::insert_audit;
use super::Db;
use crate::error::unique_violation;
use crate::records::{AdminLoginRow, UserRow};
use crate::{convert_all, new_id, AdminLogin, AuditEntry, NewInvitation, NewUser, StoreError, Unique, User};
use chrono::{DateTime, Utc};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::user::UserRole;
use sqlx::Pool;

type Connection = <Db as sqlx::Database>::Connection;

/// What a user row is read with: whether they have a password, their unused invitation's
/// expiry, and how many employees are assigned to them.
const USER_SELECT: &str = "SELECT a.id, a.company_id, a.email, a.name, a.role, a.invited_by, a.created_at, a.last_sign_in_at, \
     a.disabled_at, a.password_hash <> '' AS has_password, i.expires_at AS invitation_expires_at, \
     (SELECT COUNT(*) FROM supervisor_employees s WHERE s.admin_id = a.id) AS assigned \
     FROM admins a LEFT JOIN invitations i ON i.admin_id = a.id";

pub(super) async fn users(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<User>, StoreError> {
    let rows: Vec<UserRow> =
        sqlx::query_as(&format!("{USER_SELECT} WHERE a.company_id = $1 ORDER BY a.email")).bind(company.0).fetch_all(pool).await?;
    convert_all(rows)
}

pub(super) async fn user<'c, E>(executor: E, company: CompanyId, user: AdminId) -> Result<User, StoreError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let row: UserRow = sqlx::query_as(&format!("{USER_SELECT} WHERE a.company_id = $1 AND a.id = $2"))
        .bind(company.0)
        .bind(user.0)
        .fetch_optional(executor)
        .await?
        .ok_or(StoreError::NotFound)?;
    row.try_into()
}

/// Inserts or replaces a user's invitation link.
async fn put_invitation(conn: &mut Connection, company: CompanyId, user: AdminId, invitation: &NewInvitation) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO invitations (token_hash, admin_id, company_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (admin_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at, \
         expires_at = excluded.expires_at",
    )
    .bind(&invitation.token_hash)
    .bind(user.0)
    .bind(company.0)
    .bind(crate::to_micros(invitation.created_at))
    .bind(crate::to_micros(invitation.expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn invite_user(
    pool: &Pool<Db>,
    company: CompanyId,
    new: &NewUser,
    invitation: &NewInvitation,
    audit: &AuditEntry,
) -> Result<User, StoreError> {
    let mut tx = super::begin(pool).await?;
    let id = AdminId(new_id());
    sqlx::query(
        "INSERT INTO admins (id, company_id, email, password_hash, created_at, role, name, invited_by) \
         VALUES ($1, $2, $3, '', $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(company.0)
    .bind(new.email.as_str())
    .bind(crate::to_micros(new.now))
    .bind(new.role.as_str())
    .bind(&new.name)
    .bind(new.invited_by.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, &[("email", Unique::AdminEmail)]))?;
    put_invitation(&mut tx, company, id, invitation).await?;
    insert_audit(&mut tx, audit).await?;
    let user = user(&mut *tx, company, id).await?;
    tx.commit().await?;
    Ok(user)
}

/// A new link for a user who has not accepted yet (the old link stops working); `NotFound` for
/// anyone else.
pub(super) async fn renew_invitation(
    pool: &Pool<Db>,
    company: CompanyId,
    target: AdminId,
    invitation: &NewInvitation,
    audit: &AuditEntry,
) -> Result<User, StoreError> {
    let mut tx = super::begin(pool).await?;
    let pending: Option<uuid::Uuid> = sqlx::query_scalar(
        "UPDATE admins SET invited_by = invited_by WHERE company_id = $1 AND id = $2 AND password_hash = '' AND disabled_at IS NULL \
         RETURNING id",
    )
    .bind(company.0)
    .bind(target.0)
    .fetch_optional(&mut *tx)
    .await?;
    if pending.is_none() {
        return Err(StoreError::NotFound);
    }
    put_invitation(&mut tx, company, target, invitation).await?;
    insert_audit(&mut tx, audit).await?;
    let user = user(&mut *tx, company, target).await?;
    tx.commit().await?;
    Ok(user)
}

/// The user an invitation link is for, while it works (unused, unexpired, access not turned off).
pub(super) async fn invitation(pool: &Pool<Db>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "{USER_SELECT} WHERE i.token_hash = $1 AND i.expires_at > $2 AND a.password_hash = '' AND a.disabled_at IS NULL"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(User::try_from).transpose()
}

/// Sets the password (and name) of the user the link is for and uses the link up, with the audit
/// line, in one transaction; `None` when the link no longer works.
pub(super) async fn accept_invitation(
    pool: &Pool<Db>,
    token_hash: &str,
    name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<Option<AdminLogin>, StoreError> {
    let mut tx = super::begin(pool).await?;
    let row: Option<AdminLoginRow> = sqlx::query_as(
        "UPDATE admins SET password_hash = $2, name = $3 \
         WHERE id = (SELECT admin_id FROM invitations WHERE token_hash = $1 AND expires_at > $4) \
         AND company_id = $5 AND password_hash = '' AND disabled_at IS NULL \
         RETURNING id, company_id, email, password_hash, totp_secret, disabled_at IS NOT NULL AS disabled, role",
    )
    .bind(token_hash)
    .bind(password_hash)
    .bind(name)
    .bind(now)
    .bind(audit.company_id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM invitations WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(Some(row.try_into()?))
}

/// Sets a user's role and whether they may sign in; turning access off ends their sessions.
pub(super) async fn update_user(
    pool: &Pool<Db>,
    company: CompanyId,
    target: AdminId,
    role: UserRole,
    active: bool,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> Result<User, StoreError> {
    let mut tx = super::begin(pool).await?;
    let sql = if active {
        "UPDATE admins SET role = $3, disabled_at = NULL WHERE company_id = $1 AND id = $2 RETURNING id"
    } else {
        "UPDATE admins SET role = $3, disabled_at = COALESCE(disabled_at, $4) WHERE company_id = $1 AND id = $2 RETURNING id"
    };
    let mut query = sqlx::query_scalar::<_, uuid::Uuid>(sql).bind(company.0).bind(target.0).bind(role.as_str());
    if !active {
        query = query.bind(crate::to_micros(now));
    }
    if query.fetch_optional(&mut *tx).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    if !active {
        sqlx::query("DELETE FROM admin_sessions WHERE admin_id = $1").bind(target.0).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM pending_sign_ins WHERE admin_id = $1").bind(target.0).execute(&mut *tx).await?;
    }
    insert_audit(&mut tx, audit).await?;
    let user = user(&mut *tx, company, target).await?;
    tx.commit().await?;
    Ok(user)
}

pub(super) async fn assigned_employees(pool: &Pool<Db>, company: CompanyId, user: AdminId) -> Result<Vec<EmployeeId>, StoreError> {
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT employee_id FROM supervisor_employees WHERE company_id = $1 AND admin_id = $2 ORDER BY employee_id")
            .bind(company.0)
            .bind(user.0)
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().map(EmployeeId).collect())
}

/// Replaces the employees assigned to a user, with the audit line; an employee who is not the
/// company's is refused and nothing changes.
pub(super) async fn set_assigned_employees(
    pool: &Pool<Db>,
    company: CompanyId,
    target: AdminId,
    employees: &[EmployeeId],
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = super::begin(pool).await?;
    sqlx::query("DELETE FROM supervisor_employees WHERE company_id = $1 AND admin_id = $2")
        .bind(company.0)
        .bind(target.0)
        .execute(&mut *tx)
        .await?;
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admins WHERE company_id = $1 AND id = $2")
        .bind(company.0)
        .bind(target.0)
        .fetch_one(&mut *tx)
        .await?;
    if known == 0 {
        return Err(StoreError::NotFound);
    }
    let unique: std::collections::BTreeSet<EmployeeId> = employees.iter().copied().collect();
    for employee in unique {
        let inserted = sqlx::query(
            "INSERT INTO supervisor_employees (company_id, admin_id, employee_id) \
             SELECT company_id, $2, id FROM employees WHERE company_id = $1 AND id = $3 ON CONFLICT DO NOTHING",
        )
        .bind(company.0)
        .bind(target.0)
        .bind(employee.0)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::UnknownEmployee);
        }
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}
