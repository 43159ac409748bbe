//! The SQL both backends run, written once.
//!
//! sqlx's query functions are generic over the database, but a generic `impl<DB> Store` drowns in
//! trait bounds; so this folder is compiled twice, as `sqlite::sql` and `postgres::sql` (each
//! backend includes it with `#[path]`), and names its parent's concrete types: `Db` (the sqlx
//! database), `Backend` (the store), and the few statements that differ (`CLAIM_JOB`). The
//! statements use only what SQLite and PostgreSQL share (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`). Each write transaction starts with [`begin`], so that SQLite takes its write
//! lock (waiting up to `busy_timeout`) before it has read anything.
//!
//! This file holds `impl Store`, whose methods hand over to one file per resource, and the
//! helpers those files share.

mod audit;
mod companies;
mod devices;
mod employees;
mod faces;
mod jobs;
mod keys;
mod lockouts;
mod notices;
mod payroll;
mod privacy;
mod punches;
mod reviews;
mod roles;
mod timeoff;
mod users;
mod verification;

use super::{Backend, Db, BACKEND, BEGIN_WRITE, CLAIM_JOB, LOCK_COMPANY, LOCK_PUNCH};
use crate::{
    AdminLogin, Attempt, AuditEntry, AuditFilter, AuditHead, ChainedEntry, Consent, Destruction, DeviceSync, DuePhoto, EmployeeFields,
    EnrolledEmployee, ExportRecord, FaceTemplate, JobLease, LockScope, NewApproval, NewCompany, NewDevice, NewInvitation, NewNotice,
    NewUser, Notice, PeriodApprovals, PeriodPunch, PhotoRecord, Policy, PunchInsert, QueueStats, Release, Review, Session, SignInHistory,
    Store, StoreError, StoredAdjustment, UnfrozenApproval, User, Verification, VerificationJob, Withdrawal,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use clockface_domain::company::Company;
use clockface_domain::correction::Correction;
use clockface_domain::device::{Device, Kiosk, Rotation};
use clockface_domain::employee::Employee;
use clockface_domain::ids::{
    AdminId, CompanyId, CorrectionId, CostCodeId, DeviceId, EmployeeId, JobId, PunchId, RoleId, TimeOffRequestId, TimeOffTypeId,
};
use clockface_domain::job::{CostCode, CostCodeFields, ImportSummary, Job, JobFields};
use clockface_domain::lockout::LockoutPolicy;
use clockface_domain::payroll::{PayPeriod, PayrollSettings};
use clockface_domain::privacy::RetentionSettings;
use clockface_domain::punch::Punch;
use clockface_domain::role::{Abilities, Role, RoleName};
use clockface_domain::timeoff::kind::TimeOffTypeFields;
use clockface_domain::timeoff::request::RequestEvent;
use clockface_domain::timeoff::{Adjustment, HolidayCalendar, RequestStatus, TimeOffRequest, TimeOffType};
use clockface_domain::user::UserRole;
use std::collections::HashMap;
use uuid::Uuid;

/// A transaction on the backend's pool.
type Tx = sqlx::Transaction<'static, Db>;

/// Starts a write transaction (every transaction here writes). On SQLite it takes the write
/// lock at once (`BEGIN IMMEDIATE`, waiting up to `busy_timeout` for it): a transaction that
/// read first would have to upgrade its lock later, and SQLite refuses that upgrade at once
/// ("database is locked", no waiting) when another writer committed in between.
async fn begin(pool: &sqlx::Pool<Db>) -> Result<Tx, StoreError> {
    Ok(pool.begin_with(BEGIN_WRITE).await?)
}

/// The row of `table` with this id in this company (its `columns`), read through
/// `executor`; `None` when the company has no such row.
async fn row_by_id<'c, R, E>(executor: E, columns: &str, table: &str, company: CompanyId, id: Uuid) -> Result<Option<R>, StoreError>
where
    E: sqlx::Executor<'c, Database = Db>,
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    let sql = format!("SELECT {columns} FROM {table} WHERE company_id = $1 AND id = $2");
    Ok(sqlx::query_as(&sql).bind(company.0).bind(id).fetch_optional(executor).await?)
}

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_company(&self, new: NewCompany) -> Result<(Company, AdminId), StoreError> {
        companies::create_company(&self.pool, new).await
    }

    async fn company(&self, company: CompanyId) -> Result<Company, StoreError> {
        companies::company(&self.pool, company).await
    }

    async fn admin_login(&self, email: &str) -> Result<Option<AdminLogin>, StoreError> {
        companies::admin_login(&self.pool, email).await
    }

    async fn record_failed_sign_in(&self, admin: AdminId, now: DateTime<Utc>) -> Result<(), StoreError> {
        companies::record_failed_sign_in(&self.pool, admin, now).await
    }

    async fn record_sign_in(&self, admin: AdminId, now: DateTime<Utc>) -> Result<SignInHistory, StoreError> {
        companies::record_sign_in(&self.pool, admin, now).await
    }

    async fn set_totp(
        &self,
        admin: AdminId,
        secret: Option<&[u8]>,
        recovery_code_hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        companies::set_totp(&self.pool, admin, secret, recovery_code_hashes, now).await
    }

    async fn use_recovery_code(&self, admin: AdminId, code_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        companies::use_recovery_code(&self.pool, admin, code_hash, now).await
    }

    async fn use_totp_step(&self, admin: AdminId, step: i64) -> Result<bool, StoreError> {
        companies::use_totp_step(&self.pool, admin, step).await
    }

    async fn recovery_codes_left(&self, admin: AdminId) -> Result<i64, StoreError> {
        companies::recovery_codes_left(&self.pool, admin).await
    }

    async fn create_pending_sign_in(&self, token_hash: &str, admin: AdminId, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        companies::create_pending_sign_in(&self.pool, token_hash, admin, expires_at).await
    }

    async fn pending_sign_in(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<AdminLogin>, StoreError> {
        companies::pending_sign_in(&self.pool, token_hash, now).await
    }

    async fn delete_pending_sign_in(&self, token_hash: &str) -> Result<(), StoreError> {
        companies::delete_pending_sign_in(&self.pool, token_hash).await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        companies::create_session(&self.pool, session).await
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        companies::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        companies::delete_session(&self.pool, token_hash).await
    }

    async fn users(&self, company: CompanyId) -> Result<Vec<User>, StoreError> {
        users::users(&self.pool, company).await
    }

    async fn user(&self, company: CompanyId, user: AdminId) -> Result<User, StoreError> {
        users::user(&self.pool, company, user).await
    }

    async fn invite_user(
        &self,
        company: CompanyId,
        new: &NewUser,
        invitation: &NewInvitation,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        users::invite_user(&self.pool, company, new, invitation, audit).await
    }

    async fn renew_invitation(
        &self,
        company: CompanyId,
        user: AdminId,
        invitation: &NewInvitation,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        users::renew_invitation(&self.pool, company, user, invitation, audit).await
    }

    async fn invitation(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
        users::invitation(&self.pool, token_hash, now).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<AdminLogin>, StoreError> {
        users::accept_invitation(&self.pool, token_hash, name, password_hash, now, audit).await
    }

    async fn update_user(
        &self,
        company: CompanyId,
        user: AdminId,
        role: UserRole,
        active: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        users::update_user(&self.pool, company, user, role, active, now, audit).await
    }

    async fn assigned_employees(&self, company: CompanyId, user: AdminId) -> Result<Vec<EmployeeId>, StoreError> {
        users::assigned_employees(&self.pool, company, user).await
    }

    async fn set_assigned_employees(
        &self,
        company: CompanyId,
        user: AdminId,
        employees: &[EmployeeId],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        users::set_assigned_employees(&self.pool, company, user, employees, audit).await
    }

    async fn roles(&self, company: CompanyId) -> Result<Vec<(Role, i64)>, StoreError> {
        roles::roles(&self.pool, company).await
    }

    async fn role(&self, company: CompanyId, role: RoleId) -> Result<Role, StoreError> {
        roles::role(&self.pool, company, role).await
    }

    async fn create_role(&self, company: CompanyId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError> {
        roles::create_role(&self.pool, company, name, abilities).await
    }

    async fn update_role(&self, company: CompanyId, role: RoleId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError> {
        roles::update_role(&self.pool, company, role, name, abilities).await
    }

    async fn delete_role(&self, company: CompanyId, role: RoleId) -> Result<(), StoreError> {
        roles::delete_role(&self.pool, company, role).await
    }

    async fn employees(&self, company: CompanyId, search: Option<&str>) -> Result<Vec<Employee>, StoreError> {
        employees::employees(&self.pool, company, search).await
    }

    async fn employee(&self, company: CompanyId, employee: EmployeeId) -> Result<Employee, StoreError> {
        employees::employee(&self.pool, company, employee).await
    }

    async fn create_employee(&self, company: CompanyId, new: &EmployeeFields) -> Result<Employee, StoreError> {
        employees::create_employee(&self.pool, company, new).await
    }

    async fn update_employee(&self, company: CompanyId, employee: EmployeeId, fields: &EmployeeFields) -> Result<Employee, StoreError> {
        employees::update_employee(&self.pool, company, employee, fields).await
    }

    async fn employee_by_pin(&self, company: CompanyId, pin_lookup: &str) -> Result<Option<(Employee, String)>, StoreError> {
        employees::employee_by_pin(&self.pool, company, pin_lookup).await
    }

    async fn crew(&self, company: CompanyId, foreman: EmployeeId) -> Result<Vec<EmployeeId>, StoreError> {
        employees::crew(&self.pool, company, foreman).await
    }

    async fn set_crew(&self, company: CompanyId, foreman: EmployeeId, members: &[EmployeeId]) -> Result<(), StoreError> {
        employees::set_crew(&self.pool, company, foreman, members).await
    }

    async fn create_registration_code(
        &self,
        company: CompanyId,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        devices::create_registration_code(&self.pool, company, code_hash, now, expires_at).await
    }

    async fn register_device(&self, code_hash: &str, device: &NewDevice, now: DateTime<Utc>) -> Result<Device, StoreError> {
        devices::register_device(&self.pool, code_hash, device, now).await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        devices::device_by_token(&self.pool, token_hash).await
    }

    async fn devices(&self, company: CompanyId) -> Result<Vec<Device>, StoreError> {
        devices::devices(&self.pool, company).await
    }

    async fn device(&self, company: CompanyId, device: DeviceId) -> Result<Device, StoreError> {
        devices::device(&self.pool, company, device).await
    }

    async fn record_sync(&self, company: CompanyId, device: DeviceId, sync: &DeviceSync) -> Result<Device, StoreError> {
        devices::record_sync(&self.pool, company, device, sync).await
    }

    async fn set_device_key(&self, company: CompanyId, device: DeviceId, key: &str) -> Result<bool, StoreError> {
        devices::set_device_key(&self.pool, company, device, key).await
    }

    async fn revoke_device(&self, company: CompanyId, device: DeviceId, now: DateTime<Utc>) -> Result<(), StoreError> {
        devices::revoke_device(&self.pool, company, device, now).await
    }

    async fn set_kiosk(&self, company: CompanyId, device: DeviceId, kiosk: Option<Kiosk>) -> Result<Device, StoreError> {
        devices::set_kiosk(&self.pool, company, device, kiosk).await
    }

    async fn insert_punch(&self, punch: &Punch, photo: Option<&PhotoRecord>) -> Result<PunchInsert, StoreError> {
        punches::insert_punch(&self.pool, punch, photo).await
    }

    async fn insert_punches(&self, batch: &[(Punch, Option<PhotoRecord>)]) -> Result<Vec<Result<PunchInsert, StoreError>>, StoreError> {
        punches::insert_punches(&self.pool, batch).await
    }

    async fn punch(&self, company: CompanyId, punch: PunchId) -> Result<Punch, StoreError> {
        punches::punch(&self.pool, company, punch).await
    }

    async fn punch_by_client_id(&self, company: CompanyId, client_id: Uuid) -> Result<Option<Punch>, StoreError> {
        punches::punch_by_client_id(&self.pool, company, client_id).await
    }

    async fn punches(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Punch>, StoreError> {
        punches::punches(&self.pool, company, employee, from, to).await
    }

    async fn last_punch(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Punch>, StoreError> {
        punches::last_punch(&self.pool, company, employee).await
    }

    async fn punch_before(&self, company: CompanyId, employee: EmployeeId, at: DateTime<Utc>) -> Result<Option<Punch>, StoreError> {
        punches::punch_before(&self.pool, company, employee, at).await
    }

    async fn clocked_in(&self, company: CompanyId) -> Result<Vec<Punch>, StoreError> {
        punches::clocked_in(&self.pool, company).await
    }

    async fn count_punches(&self, company: CompanyId) -> Result<i64, StoreError> {
        punches::count_punches(&self.pool, company).await
    }

    async fn photo(&self, company: CompanyId, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
        punches::photo(&self.pool, company, sha256).await
    }

    async fn photos(&self, company: CompanyId, sha256s: &[String]) -> Result<HashMap<String, PhotoRecord>, StoreError> {
        punches::photos(&self.pool, company, sha256s).await
    }

    async fn set_photo_rotation(&self, company: CompanyId, sha256: &str, rotation: Rotation) -> Result<PhotoRecord, StoreError> {
        punches::set_photo_rotation(&self.pool, company, sha256, rotation).await
    }

    async fn add_photo(&self, photo: &PhotoRecord) -> Result<(), StoreError> {
        punches::add_photo(&self.pool, photo).await
    }

    async fn punches_with_photo(&self, company: CompanyId, sha256: &str) -> Result<Vec<Punch>, StoreError> {
        punches::punches_with_photo(&self.pool, company, sha256).await
    }

    async fn photo_employees(&self, company: CompanyId, sha256: &str) -> Result<Vec<EmployeeId>, StoreError> {
        punches::photo_employees(&self.pool, company, sha256).await
    }

    async fn count_attempt(&self, scopes: &[LockScope], policy: &LockoutPolicy, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
        lockouts::count_attempt(&self.pool, scopes, policy, now).await
    }

    async fn attempt_was_wrong(
        &self,
        scopes: &[LockScope],
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<Attempt>, StoreError> {
        lockouts::attempt_was_wrong(&self.pool, scopes, policy, now).await
    }

    async fn attempt_was_right(&self, counted: &[LockScope], own: &[LockScope]) -> Result<(), StoreError> {
        lockouts::attempt_was_right(&self.pool, counted, own).await
    }

    async fn locked_until(&self, scope: &LockScope, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        lockouts::locked_until(&self.pool, scope, now).await
    }

    async fn record_consent(&self, company: CompanyId, consent: &Consent, audit: &AuditEntry) -> Result<(), StoreError> {
        faces::record_consent(&self.pool, company, consent, audit).await
    }

    async fn consent(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Consent>, StoreError> {
        faces::consent(&self.pool, company, employee).await
    }

    async fn add_template(&self, template: &FaceTemplate, audit: &AuditEntry) -> Result<(), StoreError> {
        faces::add_template(&self.pool, template, audit).await
    }

    async fn first_templates(&self, company: CompanyId, employees: &[EmployeeId]) -> Result<HashMap<EmployeeId, FaceTemplate>, StoreError> {
        faces::first_templates(&self.pool, company, employees).await
    }

    async fn templates(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<FaceTemplate>, StoreError> {
        faces::templates(&self.pool, company, employee).await
    }

    async fn gallery_templates(
        &self,
        company: CompanyId,
        crew_of: Option<EmployeeId>,
        release_version: &str,
    ) -> Result<Vec<(EmployeeId, Vec<u8>)>, StoreError> {
        faces::gallery_templates(&self.pool, company, crew_of, release_version).await
    }

    async fn gallery_stamp(&self, company: CompanyId) -> Result<String, StoreError> {
        faces::gallery_stamp(&self.pool, company).await
    }

    async fn delete_templates(&self, company: CompanyId, employee: EmployeeId, audit: &AuditEntry) -> Result<u64, StoreError> {
        faces::delete_templates(&self.pool, company, employee, audit).await
    }

    async fn claim_verification_job(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<VerificationJob>, StoreError> {
        verification::claim_job(&self.pool, node, now, lease_until).await
    }

    async fn complete_verification_job(
        &self,
        verification: &Verification,
        enrolled: Option<(&FaceTemplate, &AuditEntry)>,
    ) -> Result<(), StoreError> {
        verification::complete_job(&self.pool, verification, enrolled).await
    }

    async fn retry_verification_job(&self, punch: PunchId, run_after: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        verification::retry_job(&self.pool, punch, run_after, error).await
    }

    async fn pending_verification_jobs(&self) -> Result<i64, StoreError> {
        verification::pending_jobs(&self.pool).await
    }

    async fn verification_queue(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        verification::queue_stats(&self.pool, now).await
    }

    async fn leased_verification_jobs(&self, now: DateTime<Utc>) -> Result<Vec<JobLease>, StoreError> {
        verification::leased_jobs(&self.pool, now).await
    }

    async fn verification(&self, company: CompanyId, punch: PunchId) -> Result<Option<Verification>, StoreError> {
        verification::verification(&self.pool, company, punch).await
    }

    async fn verifications(&self, company: CompanyId, punches: &[PunchId]) -> Result<HashMap<PunchId, Verification>, StoreError> {
        verification::verifications(&self.pool, company, punches).await
    }

    async fn review_queue(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        limit: i64,
    ) -> Result<Vec<(Punch, Option<Verification>)>, StoreError> {
        reviews::review_queue(&self.pool, company, supervisor, limit).await
    }

    async fn count_review_queue(&self, company: CompanyId, supervisor: Option<AdminId>) -> Result<i64, StoreError> {
        reviews::count_review_queue(&self.pool, company, supervisor).await
    }

    async fn record_review(&self, company: CompanyId, review: &Review, audit: &AuditEntry) -> Result<(), StoreError> {
        reviews::record_review(&self.pool, company, review, audit).await
    }

    async fn review(&self, company: CompanyId, punch: PunchId) -> Result<Option<Review>, StoreError> {
        reviews::review(&self.pool, company, punch).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        audit::audit(&self.pool, entry).await
    }

    async fn jobs(&self, company: CompanyId) -> Result<Vec<Job>, StoreError> {
        jobs::jobs(&self.pool, company).await
    }

    async fn job(&self, company: CompanyId, job: JobId) -> Result<Job, StoreError> {
        jobs::job(&self.pool, company, job).await
    }

    async fn save_job(&self, company: CompanyId, id: Option<JobId>, fields: &JobFields) -> Result<Job, StoreError> {
        jobs::save_job(&self.pool, company, id, fields).await
    }

    async fn import_jobs(&self, company: CompanyId, list: &[JobFields]) -> Result<ImportSummary, StoreError> {
        jobs::import_jobs(&self.pool, company, list).await
    }

    async fn cost_codes(&self, company: CompanyId) -> Result<Vec<CostCode>, StoreError> {
        jobs::cost_codes(&self.pool, company).await
    }

    async fn cost_code(&self, company: CompanyId, id: CostCodeId) -> Result<CostCode, StoreError> {
        jobs::cost_code(&self.pool, company, id).await
    }

    async fn save_cost_code(&self, company: CompanyId, id: Option<CostCodeId>, fields: &CostCodeFields) -> Result<CostCode, StoreError> {
        jobs::save_cost_code(&self.pool, company, id, fields).await
    }

    async fn import_cost_codes(&self, company: CompanyId, codes: &[CostCodeFields]) -> Result<ImportSummary, StoreError> {
        jobs::import_cost_codes(&self.pool, company, codes).await
    }

    async fn time_off_types(&self, company: CompanyId) -> Result<Vec<TimeOffType>, StoreError> {
        timeoff::time_off_types(&self.pool, company).await
    }

    async fn time_off_type_created(&self, company: CompanyId, id: TimeOffTypeId) -> Result<DateTime<Utc>, StoreError> {
        timeoff::time_off_type_created(&self.pool, company, id).await
    }

    async fn seed_time_off_types(
        &self,
        company: CompanyId,
        defaults: &[TimeOffTypeFields],
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        timeoff::seed_time_off_types(&self.pool, company, defaults, now, audit).await
    }

    async fn save_time_off_type(
        &self,
        company: CompanyId,
        id: Option<TimeOffTypeId>,
        fields: &TimeOffTypeFields,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<TimeOffType, StoreError> {
        timeoff::save_time_off_type(&self.pool, company, id, fields, now, audit).await
    }

    async fn insert_time_off_request(
        &self,
        company: CompanyId,
        request: &TimeOffRequest,
        periods: &[NaiveDate],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        timeoff::insert_time_off_request(&self.pool, company, request, periods, audit).await
    }

    async fn answer_time_off_request(
        &self,
        company: CompanyId,
        request: TimeOffRequestId,
        from: RequestStatus,
        event: &RequestEvent,
        periods: &[NaiveDate],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        timeoff::answer_time_off_request(&self.pool, company, request, from, event, periods, audit).await
    }

    async fn time_off_request(&self, company: CompanyId, id: TimeOffRequestId) -> Result<TimeOffRequest, StoreError> {
        timeoff::time_off_request(&self.pool, company, id).await
    }

    async fn employee_time_off_requests(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TimeOffRequest>, StoreError> {
        timeoff::employee_time_off_requests(&self.pool, company, employee, from, to).await
    }

    async fn pending_time_off_requests(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        limit: i64,
    ) -> Result<Vec<TimeOffRequest>, StoreError> {
        timeoff::pending_time_off_requests(&self.pool, company, supervisor, limit).await
    }

    async fn answered_time_off_requests(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<TimeOffRequest>, StoreError> {
        timeoff::answered_time_off_requests(&self.pool, company, supervisor, since, limit).await
    }

    async fn count_pending_time_off_requests(&self, company: CompanyId, supervisor: Option<AdminId>) -> Result<i64, StoreError> {
        timeoff::count_pending_time_off_requests(&self.pool, company, supervisor).await
    }

    async fn approved_time_off(&self, company: CompanyId, from: NaiveDate, to: NaiveDate) -> Result<Vec<TimeOffRequest>, StoreError> {
        timeoff::approved_time_off(&self.pool, company, from, to).await
    }

    async fn time_off_adjustments(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<StoredAdjustment>, StoreError> {
        timeoff::time_off_adjustments(&self.pool, company, employee).await
    }

    async fn insert_time_off_adjustment(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        type_id: TimeOffTypeId,
        adjustment: &Adjustment,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<StoredAdjustment, StoreError> {
        timeoff::insert_time_off_adjustment(&self.pool, company, employee, type_id, adjustment, now, audit).await
    }

    async fn holidays(&self, company: CompanyId, from_year: i32, to_year: i32) -> Result<Vec<HolidayCalendar>, StoreError> {
        timeoff::holidays(&self.pool, company, from_year, to_year).await
    }

    async fn set_holidays(&self, company: CompanyId, calendar: &HolidayCalendar, audit: &AuditEntry) -> Result<(), StoreError> {
        timeoff::set_holidays(&self.pool, company, calendar, audit).await
    }

    async fn key_fingerprint(&self, name: &str) -> Result<Option<String>, StoreError> {
        keys::key_fingerprint(&self.pool, name).await
    }

    async fn record_key_fingerprint(&self, name: &str, fingerprint: &str, now: DateTime<Utc>) -> Result<String, StoreError> {
        keys::record_key_fingerprint(&self.pool, name, fingerprint, now).await
    }

    async fn any_pin_set(&self) -> Result<bool, StoreError> {
        keys::any_pin_set(&self.pool).await
    }

    async fn any_secret_sealed(&self) -> Result<bool, StoreError> {
        keys::any_secret_sealed(&self.pool).await
    }

    async fn audit_entries(
        &self,
        company: CompanyId,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        audit::audit_entries(&self.pool, company, filter, limit, offset).await
    }

    async fn chain_unchained_audit(&self) -> Result<u64, StoreError> {
        audit::chain_unchained(&self.pool).await
    }

    async fn verify_audit(&self) -> Result<Vec<(CompanyId, String)>, StoreError> {
        audit::verify_audit(&self.pool).await
    }

    async fn insert_notice(&self, company: CompanyId, notice: &NewNotice) -> Result<Notice, StoreError> {
        notices::insert_notice(&self.pool, company, notice).await
    }

    async fn notices(&self, company: CompanyId, limit: i64) -> Result<Vec<Notice>, StoreError> {
        notices::notices(&self.pool, company, limit).await
    }

    async fn count_unseen_notices(&self, company: CompanyId) -> Result<i64, StoreError> {
        notices::count_unseen_notices(&self.pool, company).await
    }

    async fn mark_notices_seen(&self, company: CompanyId, admin: AdminId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        notices::mark_notices_seen(&self.pool, company, admin, now).await
    }

    async fn unlock(&self, scope: &LockScope, audit: &AuditEntry) -> Result<bool, StoreError> {
        notices::unlock(&self.pool, scope, audit).await
    }

    async fn set_min_pin_digits(&self, company: CompanyId, digits: i64, audit: &AuditEntry) -> Result<(), StoreError> {
        notices::set_min_pin_digits(&self.pool, company, digits, audit).await
    }

    async fn pins_shorter_than(&self, company: CompanyId, digits: i64) -> Result<i64, StoreError> {
        notices::pins_shorter_than(&self.pool, company, digits).await
    }

    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError> {
        audit::audit_heads(&self.pool).await
    }

    async fn verify_audit_against(&self, witnessed: &[AuditHead]) -> Result<Vec<(CompanyId, String)>, StoreError> {
        audit::verify_audit_against(&self.pool, witnessed).await
    }

    async fn publish_policy(
        &self,
        company: CompanyId,
        settings: RetentionSettings,
        admin: Option<AdminId>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Policy, StoreError> {
        privacy::publish_policy(&self.pool, company, settings, admin, now, audit).await
    }

    async fn policy(&self, company: CompanyId, version: Option<i64>) -> Result<Option<Policy>, StoreError> {
        privacy::policy(&self.pool, company, version).await
    }

    async fn record_release(&self, company: CompanyId, release: &Release, audit: &AuditEntry) -> Result<(), StoreError> {
        privacy::record_release(&self.pool, company, release, audit).await
    }

    async fn withdraw_release(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        withdrawal: &Withdrawal,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        privacy::withdraw_release(&self.pool, company, employee, withdrawal, audit).await
    }

    async fn release(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Release>, StoreError> {
        privacy::release(&self.pool, company, employee).await
    }

    async fn company_ids(&self) -> Result<Vec<CompanyId>, StoreError> {
        privacy::company_ids(&self.pool).await
    }

    async fn enrolled_employees(&self, company: CompanyId) -> Result<Vec<EnrolledEmployee>, StoreError> {
        privacy::enrolled_employees(&self.pool, company).await
    }

    async fn destroy_templates(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        log: &Destruction,
        audit: &AuditEntry,
    ) -> Result<(u64, Vec<String>), StoreError> {
        privacy::destroy_templates(&self.pool, company, employee, log, audit).await
    }

    async fn photos_due(&self, company: CompanyId, before: DateTime<Utc>, limit: i64) -> Result<Vec<DuePhoto>, StoreError> {
        privacy::photos_due(&self.pool, company, before, limit).await
    }

    async fn mark_photo_destroyed(&self, company: CompanyId, sha256: &str, log: &Destruction) -> Result<bool, StoreError> {
        privacy::mark_photo_destroyed(&self.pool, company, sha256, log).await
    }

    async fn photo_destroyed(&self, company: CompanyId, sha256: &str) -> Result<Option<(DateTime<Utc>, Option<i64>)>, StoreError> {
        privacy::photo_destroyed(&self.pool, company, sha256).await
    }

    async fn destruction_log(&self, company: CompanyId, limit: i64) -> Result<Vec<Destruction>, StoreError> {
        privacy::destruction_log(&self.pool, company, limit).await
    }

    async fn employee_photos(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<String>, StoreError> {
        privacy::employee_photos(&self.pool, company, employee).await
    }

    async fn unsealed_templates(&self, limit: i64) -> Result<Vec<(Uuid, EmployeeId, Vec<u8>)>, StoreError> {
        privacy::unsealed_templates(&self.pool, limit).await
    }

    async fn seal_template(&self, id: Uuid, plain: &[u8], sealed: &[u8]) -> Result<bool, StoreError> {
        privacy::seal_template(&self.pool, id, plain, sealed).await
    }

    async fn audit_log(&self, company: CompanyId, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        audit::audit_log(&self.pool, company, limit).await
    }

    async fn payroll_settings(&self, company: CompanyId) -> Result<PayrollSettings, StoreError> {
        payroll::payroll_settings(&self.pool, company).await
    }

    async fn set_payroll_settings(
        &self,
        company: CompanyId,
        settings: &PayrollSettings,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        payroll::set_payroll_settings(&self.pool, company, settings, now, audit).await
    }

    async fn insert_correction(
        &self,
        correction: &Correction,
        target_at: Option<DateTime<Utc>>,
        period: PayPeriod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        payroll::insert_correction(&self.pool, correction, target_at, period, audit).await
    }

    async fn correction(&self, company: CompanyId, id: CorrectionId) -> Result<Correction, StoreError> {
        payroll::correction(&self.pool, company, id).await
    }

    async fn corrections(
        &self,
        company: CompanyId,
        employee: Option<EmployeeId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Correction>, StoreError> {
        payroll::corrections(&self.pool, company, employee, from, to).await
    }

    /// A window of two days or more is read as two halves at once, each on a connection (and a
    /// thread) of its own: the overview's read of 560,000 punches is mostly the driver's and our
    /// decoding, which then runs on two cores (docs/BENCHMARKS.md). The halves are disjoint (the
    /// middle instant belongs to the second), and the callers group and sort punches themselves.
    async fn period_punches(&self, company: CompanyId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<PeriodPunch>, StoreError> {
        if to - from < chrono::Duration::days(2) {
            return super::period_punches(&self.pool, company, from, to).await;
        }
        let middle = from + (to - from) / 2;
        let pool = self.pool.clone();
        let second = tokio::spawn(async move { super::period_punches(&pool, company, middle, to).await });
        let mut punches = super::period_punches(&self.pool, company, from, middle).await?;
        punches.extend(second.await.map_err(|error| StoreError::Unavailable(format!("a period's second half was not read: {error}")))??);
        Ok(punches)
    }

    async fn approve(&self, company: CompanyId, approval: &NewApproval, audit: &AuditEntry) -> Result<(), StoreError> {
        payroll::approve(&self.pool, company, approval, audit).await
    }

    async fn unfrozen_approvals(&self) -> Result<Vec<UnfrozenApproval>, StoreError> {
        payroll::unfrozen_approvals(&self.pool).await
    }

    async fn freeze_approval(
        &self,
        approval: &UnfrozenApproval,
        figures: &[(EmployeeId, clockface_domain::approval::ApprovedFigures)],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        payroll::freeze_approval(&self.pool, approval, figures, audit).await
    }

    async fn approved_periods(&self, company: CompanyId) -> Result<Vec<PayPeriod>, StoreError> {
        payroll::approved_periods(&self.pool, company).await
    }

    async fn reopen(
        &self,
        company: CompanyId,
        employee: Option<EmployeeId>,
        period: PayPeriod,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        payroll::reopen(&self.pool, company, employee, period, audit).await
    }

    async fn approvals(&self, company: CompanyId, period: PayPeriod) -> Result<PeriodApprovals, StoreError> {
        payroll::approvals(&self.pool, company, period).await
    }

    async fn record_export(
        &self,
        company: CompanyId,
        period: PayPeriod,
        record: &ExportRecord,
        audit: &AuditEntry,
    ) -> Result<Vec<ExportRecord>, StoreError> {
        payroll::record_export(&self.pool, company, period, record, audit).await
    }

    async fn exports(&self, company: CompanyId, period: PayPeriod) -> Result<Vec<ExportRecord>, StoreError> {
        payroll::exports(&self.pool, company, period).await
    }

    async fn arrived_after_approval(&self, company: CompanyId, supervisor: Option<AdminId>, limit: i64) -> Result<Vec<Punch>, StoreError> {
        payroll::arrived_after_approval(&self.pool, company, supervisor, limit).await
    }
}
