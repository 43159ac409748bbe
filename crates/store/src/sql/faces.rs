//! Employees' biometric consent and their enrolled face templates.

use super::Db;
use crate::verification::{ConsentRow, TemplateRow};
use crate::{Consent, FaceTemplate, StoreError};
use clockface_domain::ids::{CompanyId, EmployeeId};
use sqlx::Pool;

pub(super) async fn record_consent(pool: &Pool<Db>, company: CompanyId, consent: &Consent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO biometric_consents (company_id, employee_id, notice_version, recorded_by, agreed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (company_id, employee_id) DO UPDATE SET notice_version = $3, recorded_by = $4, agreed_at = $5",
    )
    .bind(company.0)
    .bind(consent.employee_id.0)
    .bind(&consent.notice_version)
    .bind(consent.recorded_by.0)
    .bind(consent.agreed_at)
    .execute(pool)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

pub(super) async fn consent(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Option<Consent>, StoreError> {
    let row: Option<ConsentRow> = sqlx::query_as(
        "SELECT employee_id, notice_version, recorded_by, agreed_at FROM biometric_consents WHERE company_id = $1 AND employee_id = $2",
    )
    .bind(company.0)
    .bind(employee.0)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Consent::from))
}

/// Stores one template, through `executor`: the pool when an admin enrols a face, the
/// verdict's transaction when a verification enrols one.
pub(super) async fn insert_template<'c, E: sqlx::Executor<'c, Database = Db>>(
    executor: E,
    template: &FaceTemplate,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO face_templates (id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(template.id)
    .bind(template.company_id.0)
    .bind(template.employee_id.0)
    .bind(&template.embedding)
    .bind(&template.photo_sha256)
    .bind(template.source.as_str())
    .bind(template.created_by.map(|a| a.0))
    .bind(template.created_at)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn templates(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<Vec<FaceTemplate>, StoreError> {
    let rows: Vec<TemplateRow> = sqlx::query_as(
        "SELECT id, company_id, employee_id, embedding, photo_sha256, source, created_by, created_at FROM face_templates \
         WHERE company_id = $1 AND employee_id = $2 ORDER BY created_at, id",
    )
    .bind(company.0)
    .bind(employee.0)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(FaceTemplate::try_from).collect()
}

/// Deletes an employee's templates and returns how many there were.
pub(super) async fn delete_templates(pool: &Pool<Db>, company: CompanyId, employee: EmployeeId) -> Result<u64, StoreError> {
    let deleted = sqlx::query("DELETE FROM face_templates WHERE company_id = $1 AND employee_id = $2")
        .bind(company.0)
        .bind(employee.0)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected())
}
