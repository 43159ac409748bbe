//! clockface's storage: the [`Store`] trait, written once against SQLite and PostgreSQL, and
//! the photo [`blobs::BlobStore`].
//!
//! The backend is picked once, from the database URL, by [`connect`]. Both backends run the same
//! SQL (`sql/`, one file per resource, compiled once for each backend); what differs between them
//! (connection settings, the job-claim statement, column types in the migrations) stays in
//! `sqlite.rs` and `postgres.rs`. Every method takes the caller's company and never reads or
//! writes another's rows.

pub mod blobs;
mod error;
pub mod group;
pub mod inspect;
mod payroll;
pub mod postgres;
mod privacy;
mod records;
pub mod sqlite;
pub mod testing;
mod timeoff;
pub mod verification;

pub use error::{StoreError, Unique};
pub use payroll::*;
pub use privacy::*;
pub use records::*;
pub use timeoff::*;
pub use verification::*;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use clockface_domain::company::Company;
use clockface_domain::correction::Correction;
use clockface_domain::device::{Device, Kiosk, Rotation};
use clockface_domain::employee::Employee;
use clockface_domain::ids::{
    CompanyId, CorrectionId, CostCodeId, DeviceId, EmployeeId, JobId, PunchId, RoleId, TimeOffRequestId, TimeOffTypeId,
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
use std::sync::Arc;
use uuid::Uuid;

/// Everything clockface keeps in its database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;

    // Companies and admins.
    /// Creates a company, its first admin and its default roles, all or nothing.
    async fn create_company(&self, new: NewCompany) -> Result<(Company, AdminId), StoreError>;
    async fn company(&self, company: CompanyId) -> Result<Company, StoreError>;
    async fn admin_login(&self, email: &str) -> Result<Option<AdminLogin>, StoreError>;
    /// Counts a wrong password or second factor on the account, for its admin's next sign-in.
    async fn record_failed_sign_in(&self, admin: AdminId, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// A successful sign-in: what happened on the account since the last one; counting starts afresh.
    async fn record_sign_in(&self, admin: AdminId, now: DateTime<Utc>) -> Result<SignInHistory, StoreError>;
    /// Turns an admin's second factor on (encrypted secret, hashes of new recovery codes replacing
    /// any earlier ones) or off (`None`, no codes).
    async fn set_totp(
        &self,
        admin: AdminId,
        secret: Option<&[u8]>,
        recovery_code_hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses up a recovery code; false when unknown or used already.
    async fn use_recovery_code(&self, admin: AdminId, code_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
    async fn recovery_codes_left(&self, admin: AdminId) -> Result<i64, StoreError>;
    /// Uses up a TOTP step (RFC 6238 5.2): true when `step` is later than the last step the
    /// admin's code was accepted for (and records it), false when it or a later one was used.
    async fn use_totp_step(&self, admin: AdminId, step: i64) -> Result<bool, StoreError>;
    /// A sign-in whose password was right, waiting for its second factor.
    async fn create_pending_sign_in(&self, token_hash: &str, admin: AdminId, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn pending_sign_in(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<AdminLogin>, StoreError>;
    async fn delete_pending_sign_in(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session with this token hash, if it exists and has not expired at `now`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    // Web-app users (rows of `admins`): invitations, roles, supervisors' employees.
    /// The company's users, by e-mail address.
    async fn users(&self, company: CompanyId) -> Result<Vec<User>, StoreError>;
    async fn user(&self, company: CompanyId, user: AdminId) -> Result<User, StoreError>;
    /// Adds a user with no password yet and their invitation link, with the audit line.
    async fn invite_user(
        &self,
        company: CompanyId,
        new: &NewUser,
        invitation: &NewInvitation,
        audit: &AuditEntry,
    ) -> Result<User, StoreError>;
    /// A new invitation link for a user who has not accepted yet; the old one stops working.
    async fn renew_invitation(
        &self,
        company: CompanyId,
        user: AdminId,
        invitation: &NewInvitation,
        audit: &AuditEntry,
    ) -> Result<User, StoreError>;
    /// The user a working invitation link is for.
    async fn invitation(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError>;
    /// Accepts an invitation: the user's password and name are set and the link is used up.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<AdminLogin>, StoreError>;
    /// Sets a user's role and access; turning access off ends their sessions at once.
    async fn update_user(
        &self,
        company: CompanyId,
        user: AdminId,
        role: UserRole,
        active: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<User, StoreError>;
    /// The employees whose cards a supervisor sees, corrects and approves.
    async fn assigned_employees(&self, company: CompanyId, user: AdminId) -> Result<Vec<EmployeeId>, StoreError>;
    async fn set_assigned_employees(
        &self,
        company: CompanyId,
        user: AdminId,
        employees: &[EmployeeId],
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    // Roles. Every change raises the company's settings version so devices see it at their next sync.
    /// The company's roles by name, each with how many employees hold it.
    async fn roles(&self, company: CompanyId) -> Result<Vec<(Role, i64)>, StoreError>;
    async fn role(&self, company: CompanyId, role: RoleId) -> Result<Role, StoreError>;
    async fn create_role(&self, company: CompanyId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError>;
    async fn update_role(&self, company: CompanyId, role: RoleId, name: &RoleName, abilities: Abilities) -> Result<Role, StoreError>;
    /// Deletes a role no employee holds; [`StoreError::RoleInUse`] otherwise.
    async fn delete_role(&self, company: CompanyId, role: RoleId) -> Result<(), StoreError>;

    // Employees.
    /// The company's employees by name; `search` keeps those whose name or number contains it.
    async fn employees(&self, company: CompanyId, search: Option<&str>) -> Result<Vec<Employee>, StoreError>;
    async fn employee(&self, company: CompanyId, employee: EmployeeId) -> Result<Employee, StoreError>;
    async fn create_employee(&self, company: CompanyId, new: &EmployeeFields) -> Result<Employee, StoreError>;
    async fn update_employee(&self, company: CompanyId, employee: EmployeeId, fields: &EmployeeFields) -> Result<Employee, StoreError>;
    /// The employee whose PIN has this keyed lookup digest, with their PIN's argon2 hash.
    async fn employee_by_pin(&self, company: CompanyId, pin_lookup: &str) -> Result<Option<(Employee, String)>, StoreError>;
    /// The crew a foreman may clock for.
    async fn crew(&self, company: CompanyId, foreman: EmployeeId) -> Result<Vec<EmployeeId>, StoreError>;
    async fn set_crew(&self, company: CompanyId, foreman: EmployeeId, members: &[EmployeeId]) -> Result<(), StoreError>;

    // Devices.
    async fn create_registration_code(
        &self,
        company: CompanyId,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses up a registration code and registers the device in the code's company;
    /// [`StoreError::InvalidCode`] when the code is unknown, used or expired.
    async fn register_device(&self, code_hash: &str, device: &NewDevice, now: DateTime<Utc>) -> Result<Device, StoreError>;
    /// The device with this token hash, unless revoked.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError>;
    async fn devices(&self, company: CompanyId) -> Result<Vec<Device>, StoreError>;
    async fn device(&self, company: CompanyId, device: DeviceId) -> Result<Device, StoreError>;
    async fn record_sync(&self, company: CompanyId, device: DeviceId, sync: &DeviceSync) -> Result<Device, StoreError>;
    /// Records the device's signing key, once (true when recorded, false when it had one).
    async fn set_device_key(&self, company: CompanyId, device: DeviceId, key: &str) -> Result<bool, StoreError>;
    async fn revoke_device(&self, company: CompanyId, device: DeviceId, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Turns kiosk mode on (with whom it identifies) or off (`None`); `NotFound` for a revoked device.
    async fn set_kiosk(&self, company: CompanyId, device: DeviceId, kiosk: Option<Kiosk>) -> Result<Device, StoreError>;

    // Punches and photos.
    /// Stores a punch and its photo's record in one transaction. A punch whose `client_id` is
    /// already stored is not written again: the stored one comes back as [`PunchInsert::Existing`].
    async fn insert_punch(&self, punch: &Punch, photo: Option<&PhotoRecord>) -> Result<PunchInsert, StoreError>;
    /// Stores many punches (each with its photo's record and verification job) in one
    /// transaction: one durable commit for all. Each punch succeeds or fails on its own (a
    /// failing one is rolled back alone); the outer error means the transaction itself failed and
    /// none was stored. See [`group::PunchWriter`], which batches concurrent requests into it.
    async fn insert_punches(&self, batch: &[(Punch, Option<PhotoRecord>)]) -> Result<Vec<Result<PunchInsert, StoreError>>, StoreError>;
    async fn punch(&self, company: CompanyId, punch: PunchId) -> Result<Punch, StoreError>;
    async fn punch_by_client_id(&self, company: CompanyId, client_id: Uuid) -> Result<Option<Punch>, StoreError>;
    /// An employee's punches with `from <= occurred_at < to`, oldest first.
    async fn punches(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Punch>, StoreError>;
    /// An employee's most recent punch, by the time it was made.
    async fn last_punch(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Punch>, StoreError>;
    /// An employee's latest punch made before `at`.
    async fn punch_before(&self, company: CompanyId, employee: EmployeeId, at: DateTime<Utc>) -> Result<Option<Punch>, StoreError>;
    async fn count_punches(&self, company: CompanyId) -> Result<i64, StoreError>;
    /// Every employee whose latest punch is a clock-in, with that punch, oldest first (one query).
    async fn clocked_in(&self, company: CompanyId) -> Result<Vec<Punch>, StoreError>;
    async fn photo(&self, company: CompanyId, sha256: &str) -> Result<Option<PhotoRecord>, StoreError>;
    /// The descriptions of many photos at once (those the company has), by SHA-256.
    async fn photos(&self, company: CompanyId, sha256s: &[String]) -> Result<HashMap<String, PhotoRecord>, StoreError>;
    /// Sets how a photo is turned for display (an admin's choice); the stored bytes stay as they
    /// are. [`StoreError::NotFound`] when the company has no such photo.
    async fn set_photo_rotation(&self, company: CompanyId, sha256: &str, rotation: Rotation) -> Result<PhotoRecord, StoreError>;
    /// Records a photo that belongs to no punch (an enrolment photo); nothing happens if it is known.
    async fn add_photo(&self, photo: &PhotoRecord) -> Result<(), StoreError>;
    /// The punches that carry this photo (a foreman's crew photo is shared by the crew's punches).
    async fn punches_with_photo(&self, company: CompanyId, sha256: &str) -> Result<Vec<Punch>, StoreError>;
    /// The employees a photo is of: whose punches carry it, or who were enrolled from it.
    async fn photo_employees(&self, company: CompanyId, sha256: &str) -> Result<Vec<EmployeeId>, StoreError>;

    // Guessing locked out (PINs and admin passwords; see `domain::lockout`).
    /// Counts a guess in every scope before it is judged; a locked scope, or one whose round is
    /// used up (by concurrent guesses), refuses it.
    async fn count_attempt(&self, scopes: &[LockScope], policy: &LockoutPolicy, now: DateTime<Utc>) -> Result<Attempt, StoreError>;
    /// A judged guess was wrong: locks the scopes whose round it ended; the lock now holding, if any.
    async fn attempt_was_wrong(
        &self,
        scopes: &[LockScope],
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<Attempt>, StoreError>;
    /// A judged guess was right: takes back its own count from `counted` (never more) and clears `own`.
    async fn attempt_was_right(&self, counted: &[LockScope], own: &[LockScope]) -> Result<(), StoreError>;
    /// Until when `scope` is locked, if it is at `now`.
    async fn locked_until(&self, scope: &LockScope, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError>;

    // Face verification. A change that is audited takes its audit line and commits it with the
    // change, in one transaction: a crash cannot keep the one without the other.
    /// Records (or renews) an employee's biometric consent.
    async fn record_consent(&self, company: CompanyId, consent: &Consent, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn consent(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Consent>, StoreError>;
    /// Enrols a face an admin chose.
    async fn add_template(&self, template: &FaceTemplate, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn templates(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<FaceTemplate>, StoreError>;
    /// The enrolled templates (employee, stored embedding) of everyone a kiosk may identify: the
    /// company's active employees (or `crew_of` and their crew) whose release of `release_version`
    /// is signed and not withdrawn.
    async fn gallery_templates(
        &self,
        company: CompanyId,
        crew_of: Option<EmployeeId>,
        release_version: &str,
    ) -> Result<Vec<(EmployeeId, Vec<u8>)>, StoreError>;
    /// Changes whenever the company's templates, releases, active employees or crews may have.
    async fn gallery_stamp(&self, company: CompanyId) -> Result<String, StoreError>;
    /// The first enrolled template of each of these employees that has one.
    async fn first_templates(&self, company: CompanyId, employees: &[EmployeeId]) -> Result<HashMap<EmployeeId, FaceTemplate>, StoreError>;
    /// Deletes an employee's templates and returns how many there were; the audit line's detail
    /// is completed with that number.
    async fn delete_templates(&self, company: CompanyId, employee: EmployeeId, audit: &AuditEntry) -> Result<u64, StoreError>;
    /// Claims the oldest due verification job for `node` until `lease_until`; `None` when
    /// nothing is due. A job whose lease ran out (its node died, say) is due again.
    async fn claim_verification_job(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<VerificationJob>, StoreError>;
    /// Stores a verdict (and the template a first FaceFront photo enrolled, with its audit line)
    /// and removes its job, in one transaction. A punch keeps its first verdict: completing a job
    /// another worker already completed changes nothing but removing the job.
    async fn complete_verification_job(
        &self,
        verification: &Verification,
        enrolled: Option<(&FaceTemplate, &AuditEntry)>,
    ) -> Result<(), StoreError>;
    /// Puts a job back to run again after `run_after`, noting why it failed.
    async fn retry_verification_job(&self, punch: PunchId, run_after: DateTime<Utc>, error: &str) -> Result<(), StoreError>;
    /// How many verification jobs are waiting, across all companies.
    async fn pending_verification_jobs(&self) -> Result<i64, StoreError>;
    /// The queue's depth and the age of its oldest job at `now`, across all companies.
    async fn verification_queue(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError>;
    /// The jobs whose lease is current at `now`, with the node holding each.
    async fn leased_verification_jobs(&self, now: DateTime<Utc>) -> Result<Vec<JobLease>, StoreError>;
    async fn verification(&self, company: CompanyId, punch: PunchId) -> Result<Option<Verification>, StoreError>;
    /// The verdicts of many punches at once (those of the company that have one), by punch.
    async fn verifications(&self, company: CompanyId, punches: &[PunchId]) -> Result<HashMap<PunchId, Verification>, StoreError>;
    /// Punches an admin should look at, newest first: a verdict that needs a person
    /// (`Verdict::needs_review`), or a missing photo the role required; without those already reviewed.
    async fn review_queue(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        limit: i64,
    ) -> Result<Vec<(Punch, Option<Verification>)>, StoreError>;
    /// How many punches [`Store::review_queue`] would list, counted in one query.
    async fn count_review_queue(&self, company: CompanyId, supervisor: Option<AdminId>) -> Result<i64, StoreError>;
    async fn record_review(&self, company: CompanyId, review: &Review, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn review(&self, company: CompanyId, punch: PunchId) -> Result<Option<Review>, StoreError>;
    /// Writes an audit line of its own (a change's line goes with the change, above).
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The company's audit log, newest first.
    async fn audit_log(&self, company: CompanyId, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;
    /// The company's audit log filtered, newest first, with each entry's place in the chain.
    async fn audit_entries(
        &self,
        company: CompanyId,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError>;
    /// Chains entries written before the log was chained (an upgrade); how many it chained.
    async fn chain_unchained_audit(&self) -> Result<u64, StoreError>;
    /// Checks every company's chain; what is wrong, per company (nothing: an untouched log).
    async fn verify_audit(&self) -> Result<Vec<(CompanyId, String)>, StoreError>;
    /// Records a lock the company's admins are told of.
    async fn insert_notice(&self, company: CompanyId, notice: &NewNotice) -> Result<Notice, StoreError>;
    /// The company's security notices, unseen first, newest first.
    async fn notices(&self, company: CompanyId, limit: i64) -> Result<Vec<Notice>, StoreError>;
    async fn count_unseen_notices(&self, company: CompanyId) -> Result<i64, StoreError>;
    /// Marks the company's unseen notices seen by `admin`; how many.
    async fn mark_notices_seen(&self, company: CompanyId, admin: AdminId, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Lifts a lock and forgets its count, with an audit line; false when there was none.
    async fn unlock(&self, scope: &LockScope, audit: &AuditEntry) -> Result<bool, StoreError>;
    /// Sets how many digits new PINs have at least, with an audit line.
    async fn set_min_pin_digits(&self, company: CompanyId, digits: i64, audit: &AuditEntry) -> Result<(), StoreError>;
    /// Active employees with a PIN shorter than `digits` (or of a length not kept).
    async fn pins_shorter_than(&self, company: CompanyId, digits: i64) -> Result<i64, StoreError>;
    /// Every company's audit head as the database has it.
    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError>;
    /// Compares the chain with heads witnessed outside the database (signed when they were
    /// written): a chain shorter than a witnessed head was cut, an entry whose hash is not the
    /// witnessed one was rewritten. Returns what is wrong, per company.
    async fn verify_audit_against(&self, witnessed: &[AuditHead]) -> Result<Vec<(CompanyId, String)>, StoreError>;

    // Biometric privacy.
    /// Publishes the next version of the company's retention policy, with its audit line.
    async fn publish_policy(
        &self,
        company: CompanyId,
        settings: RetentionSettings,
        admin: Option<AdminId>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Policy, StoreError>;
    /// A version of the company's policy, or its current one (`None`).
    async fn policy(&self, company: CompanyId, version: Option<i64>) -> Result<Option<Policy>, StoreError>;
    /// Records an employee's decision on the release (replacing an earlier one), with its audit line.
    async fn record_release(&self, company: CompanyId, release: &Release, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn release(&self, company: CompanyId, employee: EmployeeId) -> Result<Option<Release>, StoreError>;
    /// Withdraws a signed release (a deletion on request), with its audit line; false when no
    /// signed release stands.
    async fn withdraw_release(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        withdrawal: &Withdrawal,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Every company, for jobs that go through them all.
    async fn company_ids(&self) -> Result<Vec<CompanyId>, StoreError>;
    /// The company's employees who have face templates, with what their destruction date depends on.
    async fn enrolled_employees(&self, company: CompanyId) -> Result<Vec<EnrolledEmployee>, StoreError>;
    /// Destroys an employee's templates, logging it only if there were any; returns how many,
    /// and the photos they were made from.
    async fn destroy_templates(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        log: &Destruction,
        audit: &AuditEntry,
    ) -> Result<(u64, Vec<String>), StoreError>;
    /// FaceFront photos taken before `before`, not destroyed, that no template holds on to.
    async fn photos_due(&self, company: CompanyId, before: DateTime<Utc>, limit: i64) -> Result<Vec<DuePhoto>, StoreError>;
    /// Marks a photo destroyed and logs it, once (false: another job did, or a template holds it).
    async fn mark_photo_destroyed(&self, company: CompanyId, sha256: &str, log: &Destruction) -> Result<bool, StoreError>;
    /// When and under which policy a photo was destroyed, if it was.
    async fn photo_destroyed(&self, company: CompanyId, sha256: &str) -> Result<Option<(DateTime<Utc>, Option<i64>)>, StoreError>;
    async fn destruction_log(&self, company: CompanyId, limit: i64) -> Result<Vec<Destruction>, StoreError>;
    /// The photos kept of one employee (of their punches and templates), not destroyed.
    async fn employee_photos(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<String>, StoreError>;
    /// Templates an earlier release stored unsealed (their plain 512 bytes), across companies.
    async fn unsealed_templates(&self, limit: i64) -> Result<Vec<(Uuid, EmployeeId, Vec<u8>)>, StoreError>;
    /// Replaces a template's plain embedding with its sealed form if it is still `plain`.
    async fn seal_template(&self, id: Uuid, plain: &[u8], sealed: &[u8]) -> Result<bool, StoreError>;

    // Payroll. Each change commits with its audit line.
    /// The company's payroll settings (the defaults when none were saved).
    async fn payroll_settings(&self, company: CompanyId) -> Result<PayrollSettings, StoreError>;
    async fn set_payroll_settings(
        &self,
        company: CompanyId,
        settings: &PayrollSettings,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// Stores a correction (a new record: the punch it replaces stays as it is). `target_at` is
    /// the time of what it replaces; `period` the pay period it falls in, refused with
    /// [`StoreError::Locked`] when that card or period is approved, and [`StoreError::NotFound`]
    /// when what it replaces is not this employee's.
    async fn insert_correction(
        &self,
        correction: &Correction,
        target_at: Option<DateTime<Utc>>,
        period: PayPeriod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    async fn correction(&self, company: CompanyId, id: CorrectionId) -> Result<Correction, StoreError>;
    /// Corrections whose new time, or whose target's time, lies in `from..to`, oldest first: of
    /// one employee, or of the whole company (`None`).
    async fn corrections(
        &self,
        company: CompanyId,
        employee: Option<EmployeeId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Correction>, StoreError>;
    /// Every punch of the company made in `from..to` with its verdict, unordered (one query, or
    /// two at once for a window of two days or more).
    async fn period_punches(&self, company: CompanyId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<PeriodPunch>, StoreError>;
    /// Approves an employee's card (`Some`) or the whole period (`None`); approving again keeps the first.
    async fn approve(&self, company: CompanyId, approval: &NewApproval, audit: &AuditEntry) -> Result<(), StoreError>;
    /// Approvals made by earlier releases, whose figures were never frozen.
    async fn unfrozen_approvals(&self) -> Result<Vec<UnfrozenApproval>, StoreError>;
    /// Freezes such an approval's figures (figures frozen already stay), with an audit line.
    async fn freeze_approval(
        &self,
        approval: &UnfrozenApproval,
        figures: &[(EmployeeId, clockface_domain::approval::ApprovedFigures)],
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// The periods in which the company has an approval (a card's or the period's), oldest first.
    async fn approved_periods(&self, company: CompanyId) -> Result<Vec<PayPeriod>, StoreError>;
    /// Takes an approval back; false when there was none.
    async fn reopen(
        &self,
        company: CompanyId,
        employee: Option<EmployeeId>,
        period: PayPeriod,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The period's approvals (its own and its cards'), in one query.
    async fn approvals(&self, company: CompanyId, period: PayPeriod) -> Result<PeriodApprovals, StoreError>;
    /// Records an export; returns the period's earlier exports, newest first.
    async fn record_export(
        &self,
        company: CompanyId,
        period: PayPeriod,
        record: &ExportRecord,
        audit: &AuditEntry,
    ) -> Result<Vec<ExportRecord>, StoreError>;
    /// Punches that reached the server after the card or period they fall in was approved,
    /// newest first (listed in the review queue).
    async fn arrived_after_approval(&self, company: CompanyId, supervisor: Option<AdminId>, limit: i64) -> Result<Vec<Punch>, StoreError>;
    /// The period's exports, newest first.
    async fn exports(&self, company: CompanyId, period: PayPeriod) -> Result<Vec<ExportRecord>, StoreError>;

    // Jobs and cost codes. Every change raises the company's settings version (devices sync them).
    /// The company's jobs by name, active or not.
    async fn jobs(&self, company: CompanyId) -> Result<Vec<Job>, StoreError>;
    async fn job(&self, company: CompanyId, job: JobId) -> Result<Job, StoreError>;
    /// Adds a job (`id` None) or changes one; [`StoreError::Duplicate`] when its number is taken.
    async fn save_job(&self, company: CompanyId, id: Option<JobId>, fields: &JobFields) -> Result<Job, StoreError>;
    /// Adds or updates (found by number) every job, all or none.
    async fn import_jobs(&self, company: CompanyId, jobs: &[JobFields]) -> Result<ImportSummary, StoreError>;
    /// The company's cost codes by number, each with the jobs it is for.
    async fn cost_codes(&self, company: CompanyId) -> Result<Vec<CostCode>, StoreError>;
    async fn cost_code(&self, company: CompanyId, id: CostCodeId) -> Result<CostCode, StoreError>;
    /// Adds a cost code (`id` None) or changes one; [`StoreError::UnknownJob`] when a job is not the company's.
    async fn save_cost_code(&self, company: CompanyId, id: Option<CostCodeId>, fields: &CostCodeFields) -> Result<CostCode, StoreError>;
    /// Adds or updates (found by number) every cost code, all or none.
    async fn import_cost_codes(&self, company: CompanyId, codes: &[CostCodeFields]) -> Result<ImportSummary, StoreError>;

    // Time off. Each change commits with its audit line; `periods` are the starts of the pay
    // periods a request's days fall in, refused with [`StoreError::Locked`] when the employee's
    // card or the whole period is approved for one of them.
    /// The company's time-off types, in the order they were made.
    async fn time_off_types(&self, company: CompanyId) -> Result<Vec<TimeOffType>, StoreError>;
    /// When a type was made (its accrual counts from that day).
    async fn time_off_type_created(&self, company: CompanyId, id: TimeOffTypeId) -> Result<DateTime<Utc>, StoreError>;
    /// Gives a company with no time-off type the `defaults`, all or none; false when it has some.
    async fn seed_time_off_types(
        &self,
        company: CompanyId,
        defaults: &[TimeOffTypeFields],
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Adds a type (`id` None) or changes one; [`StoreError::Duplicate`] when its name is taken.
    async fn save_time_off_type(
        &self,
        company: CompanyId,
        id: Option<TimeOffTypeId>,
        fields: &TimeOffTypeFields,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<TimeOffType, StoreError>;
    /// Stores a new request with its first event; [`StoreError::NotFound`] when its employee or
    /// type is not the company's.
    async fn insert_time_off_request(
        &self,
        company: CompanyId,
        request: &TimeOffRequest,
        periods: &[NaiveDate],
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// Adds an answer to a request still `from` and sets its status; [`StoreError::Conflict`]
    /// when its status moved meanwhile.
    async fn answer_time_off_request(
        &self,
        company: CompanyId,
        request: TimeOffRequestId,
        from: RequestStatus,
        event: &RequestEvent,
        periods: &[NaiveDate],
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    async fn time_off_request(&self, company: CompanyId, id: TimeOffRequestId) -> Result<TimeOffRequest, StoreError>;
    /// An employee's requests, any status, with a day in `from..=to`, by first day.
    async fn employee_time_off_requests(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TimeOffRequest>, StoreError>;
    /// Requests waiting for an answer, soonest first: the company's or a supervisor's employees'.
    async fn pending_time_off_requests(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        limit: i64,
    ) -> Result<Vec<TimeOffRequest>, StoreError>;
    /// Requests approved or declined since `since`, the latest answer first (at most `limit`):
    /// the company's or a supervisor's employees'.
    async fn answered_time_off_requests(
        &self,
        company: CompanyId,
        supervisor: Option<AdminId>,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<TimeOffRequest>, StoreError>;
    /// How many requests [`Store::pending_time_off_requests`] would list, in one query.
    async fn count_pending_time_off_requests(&self, company: CompanyId, supervisor: Option<AdminId>) -> Result<i64, StoreError>;
    /// The company's approved requests with a day in `from..=to`.
    async fn approved_time_off(&self, company: CompanyId, from: NaiveDate, to: NaiveDate) -> Result<Vec<TimeOffRequest>, StoreError>;
    /// An employee's starting balances and adjustments, every type.
    async fn time_off_adjustments(&self, company: CompanyId, employee: EmployeeId) -> Result<Vec<StoredAdjustment>, StoreError>;
    /// Adds a starting balance or an adjustment to an employee's ledger of one type (never
    /// changes one); [`StoreError::NotFound`] when the employee or type is not the company's.
    async fn insert_time_off_adjustment(
        &self,
        company: CompanyId,
        employee: EmployeeId,
        type_id: TimeOffTypeId,
        adjustment: &Adjustment,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<StoredAdjustment, StoreError>;
    /// The company's holiday calendars of `from_year..=to_year`, one per year.
    async fn holidays(&self, company: CompanyId, from_year: i32, to_year: i32) -> Result<Vec<HolidayCalendar>, StoreError>;
    /// Replaces the holidays of the calendar's year.
    async fn set_holidays(&self, company: CompanyId, calendar: &HolidayCalendar, audit: &AuditEntry) -> Result<(), StoreError>;

    // Keys kept outside the database.
    /// The recorded fingerprint of the key called `name` (e.g. `pin.key`), if any.
    async fn key_fingerprint(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Records the fingerprint unless one is recorded already; returns the recorded one.
    async fn record_key_fingerprint(&self, name: &str, fingerprint: &str, now: DateTime<Utc>) -> Result<String, StoreError>;
    /// Whether any employee has a PIN (data that depends on `pin.key`).
    async fn any_pin_set(&self) -> Result<bool, StoreError>;
    /// Whether any secret sealed with `secrets.key` is stored.
    async fn any_secret_sealed(&self) -> Result<bool, StoreError>;
}

/// Opens the database at `url` (`sqlite://...` or `postgres://...`) and brings its schema up to date.
/// The server checks what it holds first ([`inspect::inspect`]), since migrating changes it.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// An admin's id (re-exported for the store's callers).
pub use clockface_domain::ids::AdminId;

/// Rounds to whole microseconds, the precision both backends keep, so a time read back equals
/// the time written.
pub fn to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}
