//! Jobs and cost codes. Every change raises the company's settings version so devices see it at
//! their next sync; an import writes all its lines in one transaction or none.

use super::companies::bump_version;
use super::{row_by_id, Db, Tx};
use crate::error::unique_violation;
use crate::records::{convert_all, CostCodeRow, JobRow};
use crate::{new_id, StoreError, Unique};
use chrono::Utc;
use clockface_domain::ids::{CompanyId, CostCodeId, JobId};
use clockface_domain::job::{CostCode, CostCodeFields, ImportSummary, Job, JobFields};
use sqlx::Pool;
use std::collections::HashMap;
use uuid::Uuid;

const JOB_COLUMNS: &str = "id, company_id, number, name, address, fence_latitude, fence_longitude, fence_radius_m, active";
const COST_CODE_COLUMNS: &str = "id, company_id, number, name, all_jobs, active";

pub(super) async fn jobs(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<Job>, StoreError> {
    let rows: Vec<JobRow> = sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE company_id = $1 ORDER BY lower(name), number"))
        .bind(company.0)
        .fetch_all(pool)
        .await?;
    convert_all(rows)
}

pub(super) async fn job(pool: &Pool<Db>, company: CompanyId, job: JobId) -> Result<Job, StoreError> {
    let row: JobRow = row_by_id(pool, JOB_COLUMNS, "jobs", company, job.0).await?.ok_or(StoreError::NotFound)?;
    row.try_into()
}

/// Inserts a job (`id` None) or updates one, in `tx`.
async fn write_job(tx: &mut Tx, company: CompanyId, id: Option<JobId>, fields: &JobFields) -> Result<Job, StoreError> {
    let fence = fields.geofence;
    let sql = match id {
        None => format!(
            "INSERT INTO jobs (id, company_id, number, name, address, fence_latitude, fence_longitude, fence_radius_m, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {JOB_COLUMNS}"
        ),
        Some(_) => format!(
            "UPDATE jobs SET number = $3, name = $4, address = $5, fence_latitude = $6, fence_longitude = $7, fence_radius_m = $8, \
             active = $9 WHERE id = $1 AND company_id = $2 AND $10 IS NOT NULL RETURNING {JOB_COLUMNS}"
        ),
    };
    let row: Option<JobRow> = sqlx::query_as(&sql)
        .bind(id.map_or_else(new_id, |id| id.0))
        .bind(company.0)
        .bind(fields.number.as_str())
        .bind(&fields.name)
        .bind(&fields.address)
        .bind(fence.map(|f| f.latitude))
        .bind(fence.map(|f| f.longitude))
        .bind(fence.map(|f| f.radius_m))
        .bind(fields.active)
        .bind(Utc::now())
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| unique_violation(e, &[("number", Unique::JobNumber)]))?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

pub(super) async fn save_job(pool: &Pool<Db>, company: CompanyId, id: Option<JobId>, fields: &JobFields) -> Result<Job, StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let job = write_job(&mut tx, company, id, fields).await?;
    tx.commit().await?;
    Ok(job)
}

/// The ids of the company's rows of `table` by number, read in `tx`.
async fn ids_by_number(tx: &mut Tx, table: &str, company: CompanyId) -> Result<HashMap<String, Uuid>, StoreError> {
    let rows: Vec<(String, Uuid)> =
        sqlx::query_as(&format!("SELECT number, id FROM {table} WHERE company_id = $1")).bind(company.0).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().collect())
}

pub(super) async fn import_jobs(pool: &Pool<Db>, company: CompanyId, jobs: &[JobFields]) -> Result<ImportSummary, StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let known = ids_by_number(&mut tx, "jobs", company).await?;
    let mut summary = ImportSummary::default();
    for fields in jobs {
        let existing = known.get(fields.number.as_str()).copied().map(JobId);
        write_job(&mut tx, company, existing, fields).await?;
        summary.count(existing.is_some());
    }
    tx.commit().await?;
    Ok(summary)
}

/// The company's cost codes with the jobs each is for: two queries.
pub(super) async fn cost_codes(pool: &Pool<Db>, company: CompanyId) -> Result<Vec<CostCode>, StoreError> {
    let rows: Vec<CostCodeRow> =
        sqlx::query_as(&format!("SELECT {COST_CODE_COLUMNS} FROM cost_codes WHERE company_id = $1 ORDER BY number"))
            .bind(company.0)
            .fetch_all(pool)
            .await?;
    let links: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT l.cost_code_id, l.job_id FROM cost_code_jobs l JOIN jobs j ON j.company_id = l.company_id AND j.id = l.job_id \
         WHERE l.company_id = $1 ORDER BY lower(j.name), j.number",
    )
    .bind(company.0)
    .fetch_all(pool)
    .await?;
    let mut codes: Vec<CostCode> = convert_all(rows)?;
    for code in &mut codes {
        code.job_ids = links.iter().filter(|(c, _)| *c == code.id.0).map(|(_, j)| JobId(*j)).collect();
    }
    Ok(codes)
}

pub(super) async fn cost_code(pool: &Pool<Db>, company: CompanyId, id: CostCodeId) -> Result<CostCode, StoreError> {
    cost_codes(pool, company).await?.into_iter().find(|code| code.id == id).ok_or(StoreError::NotFound)
}

/// Inserts a cost code (`id` None) or updates one, and replaces its jobs, in `tx`.
async fn write_cost_code(tx: &mut Tx, company: CompanyId, id: Option<CostCodeId>, fields: &CostCodeFields) -> Result<CostCode, StoreError> {
    let sql = match id {
        None => format!(
            "INSERT INTO cost_codes (id, company_id, number, name, all_jobs, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {COST_CODE_COLUMNS}"
        ),
        Some(_) => format!(
            "UPDATE cost_codes SET number = $3, name = $4, all_jobs = $5, active = $6 WHERE id = $1 AND company_id = $2 AND $7 IS NOT NULL \
             RETURNING {COST_CODE_COLUMNS}"
        ),
    };
    let row: Option<CostCodeRow> = sqlx::query_as(&sql)
        .bind(id.map_or_else(new_id, |id| id.0))
        .bind(company.0)
        .bind(fields.number.as_str())
        .bind(&fields.name)
        .bind(fields.all_jobs)
        .bind(fields.active)
        .bind(Utc::now())
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| unique_violation(e, &[("number", Unique::CostCodeNumber)]))?;
    let mut code: CostCode = row.ok_or(StoreError::NotFound)?.try_into()?;
    sqlx::query("DELETE FROM cost_code_jobs WHERE company_id = $1 AND cost_code_id = $2")
        .bind(company.0)
        .bind(code.id.0)
        .execute(&mut **tx)
        .await?;
    let jobs = if fields.all_jobs { &[][..] } else { &fields.job_ids[..] };
    for job in jobs {
        let known: Option<Uuid> = sqlx::query_scalar("SELECT id FROM jobs WHERE company_id = $1 AND id = $2")
            .bind(company.0)
            .bind(job.0)
            .fetch_optional(&mut **tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::UnknownJob);
        }
        sqlx::query("INSERT INTO cost_code_jobs (company_id, cost_code_id, job_id) VALUES ($1, $2, $3)")
            .bind(company.0)
            .bind(code.id.0)
            .bind(job.0)
            .execute(&mut **tx)
            .await?;
    }
    code.job_ids = jobs.to_vec();
    Ok(code)
}

pub(super) async fn save_cost_code(
    pool: &Pool<Db>,
    company: CompanyId,
    id: Option<CostCodeId>,
    fields: &CostCodeFields,
) -> Result<CostCode, StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let code = write_cost_code(&mut tx, company, id, fields).await?;
    tx.commit().await?;
    Ok(code)
}

pub(super) async fn import_cost_codes(pool: &Pool<Db>, company: CompanyId, codes: &[CostCodeFields]) -> Result<ImportSummary, StoreError> {
    let mut tx = super::begin(pool).await?;
    bump_version(&mut tx, company).await?;
    let known = ids_by_number(&mut tx, "cost_codes", company).await?;
    let mut summary = ImportSummary::default();
    for fields in codes {
        let existing = known.get(fields.number.as_str()).copied().map(CostCodeId);
        write_cost_code(&mut tx, company, existing, fields).await?;
        summary.count(existing.is_some());
    }
    tx.commit().await?;
    Ok(summary)
}
