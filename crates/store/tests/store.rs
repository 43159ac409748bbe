//! The store test suite, written once and run against both backends: every test below becomes
//! `<name>::sqlite` and `<name>::postgres`, each on a fresh, empty database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use clockface_domain::approval::{ApprovedFigures, ApprovedRules};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::device::Rotation;
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::export::ExportedEmployee;
use clockface_domain::ids::{CompanyId, DeviceId, EmployeeId, JobId, PunchId, RoleId};
use clockface_domain::job::{CostCodeFields, CostCodeInput, Geofence, JobFields, JobInput};
use clockface_domain::language::Language;
use clockface_domain::lockout::{Limit, LockoutPolicy, Place};
use clockface_domain::payroll::{OvertimeRule, PayHours};
use clockface_domain::punch::{Flag, NoPhotoReason, Punch, PunchFlag, PunchKind};
use clockface_domain::role::{Abilities, RoleName};
use clockface_domain::user::{UserRole, UserStatus};
use clockface_domain::verification::Verdict;
use clockface_store::blobs::BlobStore;
use clockface_store::*;
use std::sync::Arc;
use uuid::Uuid;

type Db = Arc<dyn Store>;

thread_local! {
    /// The database URL of the test running on this thread (for tests that change it by hand).
    static URL: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The database URL of this test's store.
fn store_url(_store: &Db) -> String {
    URL.with(|u| u.borrow().clone())
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let folder = tempfile::tempdir().expect("temp folder");
                let url = clockface_store::testing::sqlite_url(folder.path());
                super::URL.with(|u| *u.borrow_mut() = url.clone());
                let store = clockface_store::connect(&url).await.expect("sqlite store");
                assert_eq!(store.backend(), "sqlite");
                super::$test(store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let url = clockface_store::testing::fresh_postgres_url().await;
                super::URL.with(|u| *u.borrow_mut() = url.clone());
                let store = clockface_store::connect(&url).await.expect("postgres store");
                assert_eq!(store.backend(), "postgres");
                super::$test(store).await;
            }
        }
    )*};
}

on_both_backends!(
    a_company_starts_with_default_roles_and_its_admin,
    admin_emails_are_unique,
    sessions_expire,
    role_changes_raise_the_settings_version,
    a_held_role_cannot_be_deleted,
    employees_have_unique_numbers_and_pins,
    employees_are_found_by_pin_and_search,
    a_role_change_is_versioned,
    crews_belong_to_one_company,
    registration_codes_work_once_and_expire,
    device_syncs_are_recorded,
    punches_are_stored_once_per_client_id,
    a_punch_and_its_photo_are_stored_together,
    a_batch_of_punches_commits_together_and_a_bad_one_fails_alone,
    a_batch_without_a_bad_punch_keeps_every_punch_once,
    the_punch_writer_answers_every_concurrent_request,
    a_photo_is_turned_for_display_in_its_company_only,
    punches_are_listed_by_time_range,
    every_query_is_scoped_to_its_company,
    wrong_guesses_lock_out_and_the_lock_ends,
    a_right_guess_does_not_reset_the_wrong_ones_of_others,
    locks_grow_while_wrong_guesses_go_on_and_a_company_counts_a_sliding_hour,
    concurrent_guesses_are_counted_before_they_are_judged,
    an_accounts_lock_backs_off,
    sign_ins_are_remembered_for_the_next_one,
    a_second_factor_is_kept_sealed_with_single_use_recovery_codes,
    a_punchs_flags_are_kept_with_it,
    the_audit_log_is_a_chain_that_shows_any_edit_or_deletion,
    the_audit_log_filters_by_employee_actor_kind_and_date,
    policies_are_versioned_and_releases_recorded,
    templates_and_photos_are_destroyed_once_and_logged_without_face_data,
    leaving_is_recorded_when_an_employee_is_made_inactive,
    concurrent_punches_are_all_kept,
    consent_and_templates_belong_to_an_employee,
    a_first_photo_enrols_once_with_its_audit_line,
    photos_are_read_many_at_once_within_the_company,
    a_photo_punch_queues_one_verification_job,
    jobs_are_claimed_once_and_retried,
    a_lease_names_its_node_and_a_dead_nodes_jobs_are_taken_over,
    verdicts_are_read_many_at_once_within_the_company,
    the_review_queue_holds_doubtful_punches_until_reviewed,
    a_verdict_racing_its_review_never_puts_the_punch_back_in_the_queue,
    a_punch_racing_its_cards_approval_is_always_marked_as_arrived_after_it,
    the_audit_log_is_per_company,
    payroll_settings_start_as_defaults_and_are_saved_with_their_audit_line,
    a_correction_is_a_new_record_and_the_devices_punch_stays,
    a_correction_names_only_this_employees_punches,
    an_approved_card_refuses_corrections_until_reopened,
    a_periods_punches_are_read_together_within_the_company,
    exports_are_recorded_and_earlier_ones_told,
    approvals_keep_the_figures_they_froze,
    approvals_of_earlier_releases_are_frozen_once,
    the_audit_chain_is_checked_against_heads_witnessed_outside_it,
    users_are_invited_accept_once_and_can_be_turned_off,
    a_supervisor_reaches_only_their_assigned_employees,
    jobs_have_unique_numbers_and_reach_devices,
    cost_codes_are_for_all_jobs_or_for_the_companys_own,
    imports_update_by_number_all_or_nothing,
    who_is_clocked_in_is_read_in_one_query_within_the_company,
);

/// An audit line for `company`, as the web layer makes them.
fn line(company: CompanyId, action: &str, subject: &str) -> AuditEntry {
    AuditEntry {
        company_id: company,
        at: now(),
        actor: "admin:x".into(),
        action: action.into(),
        subject: subject.into(),
        detail: "d".into(),
        employee: None,
    }
}

/// The actions in the company's audit log, oldest first.
async fn actions(store: &Db, company: CompanyId) -> Vec<String> {
    store.audit_log(company, 100).await.unwrap().into_iter().rev().map(|e| e.action).collect()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).single().unwrap()
}

async fn company(store: &Db, email: &str) -> CompanyId {
    let (company, _) = store
        .create_company(NewCompany {
            name: CompanyName::parse("Acme Paving").unwrap(),
            time_zone: chrono_tz::America::Chicago,
            admin_email: Email::parse(email).unwrap(),
            admin_password_hash: "$argon2id$fake".into(),
            now: now(),
            min_pin_digits: 6,
        })
        .await
        .unwrap();
    company.id
}

async fn first_role(store: &Db, company: CompanyId) -> RoleId {
    store.roles(company).await.unwrap()[0].0.id
}

fn fields(name: &str, number: &str, role: RoleId, pin: PinChange) -> EmployeeFields {
    EmployeeFields {
        name: EmployeeName::parse(name).unwrap(),
        number: EmployeeNumber::parse(number).unwrap(),
        role_id: role,
        active: true,
        pin,
    }
}

fn pin(lookup: &str) -> PinChange {
    PinChange::Set(PinSecret { lookup: lookup.into(), hash: format!("hash-of-{lookup}"), digits: 6 })
}

async fn employee(store: &Db, company: CompanyId, number: &str) -> EmployeeId {
    let role = first_role(store, company).await;
    store.create_employee(company, &fields(&format!("Worker {number}"), number, role, PinChange::Keep)).await.unwrap().id
}

async fn device(store: &Db, company: CompanyId, code: &str) -> DeviceId {
    store.create_registration_code(company, code, now(), now() + Duration::hours(1)).await.unwrap();
    let new = NewDevice { id: DeviceId::new(), name: "Site tablet".into(), token_hash: format!("token-{code}"), has_front_camera: true };
    store.register_device(code, &new, now()).await.unwrap().id
}

fn punch(company: CompanyId, employee: EmployeeId, device: DeviceId, kind: PunchKind, at: DateTime<Utc>) -> Punch {
    Punch {
        id: PunchId::new(),
        company_id: company,
        client_id: Uuid::new_v4(),
        employee_id: employee,
        device_id: device,
        kind,
        occurred_at: at,
        utc_offset_minutes: -360,
        received_at: now(),
        clock_for_by: None,
        photo_sha256: None,
        no_photo_reason: Some(NoPhotoReason::RoleWithoutFaceFront),
        flagged: false,
        flags: Vec::new(),
        position: None,
        job_id: None,
        cost_code_id: None,
        no_position_reason: None,
        fence_distance_m: None,
        on_break: false,
        settings_version: 1,
        photo_rotation: None,
        burst: None,
        fingerprint: "fp".into(),
    }
}

async fn a_company_starts_with_default_roles_and_its_admin(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let roles = store.roles(company).await.unwrap();
    assert!(roles.len() >= 2);
    assert!(roles.iter().all(|(role, holders)| !role.abilities.face_front && *holders == 0));
    let login = store.admin_login("ana@acme.test").await.unwrap().expect("the admin exists");
    assert_eq!(login.company_id, company);
    assert_eq!(store.company(company).await.unwrap().time_zone, chrono_tz::America::Chicago);
    assert!(store.admin_login("nobody@acme.test").await.unwrap().is_none());
}

async fn admin_emails_are_unique(store: Db) {
    company(&store, "ana@acme.test").await;
    let again = store
        .create_company(NewCompany {
            name: CompanyName::parse("Other").unwrap(),
            time_zone: chrono_tz::UTC,
            admin_email: Email::parse("ana@acme.test").unwrap(),
            admin_password_hash: "x".into(),
            now: now(),
            min_pin_digits: 6,
        })
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate(Unique::AdminEmail))), "{again:?}");
}

async fn sessions_expire(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap();
    let session = Session {
        token_hash: "abc".into(),
        admin_id: admin.id,
        company_id: company,
        admin_email: admin.email.clone(),
        role: UserRole::Admin,
        csrf_token: "csrf".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(8),
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session("abc", now()).await.unwrap(), Some(session));
    assert_eq!(store.session("abc", now() + Duration::hours(9)).await.unwrap(), None);
    store.delete_session("abc").await.unwrap();
    assert_eq!(store.session("abc", now()).await.unwrap(), None);
}

async fn role_changes_raise_the_settings_version(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let before = store.company(company).await.unwrap().settings_version;
    let name = RoleName::parse("Paving crew").unwrap();
    let role = store.create_role(company, &name, Abilities::default()).await.unwrap();
    let duplicate = store.create_role(company, &name, Abilities::default()).await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate(Unique::RoleName))), "{duplicate:?}");

    let renamed = store.update_role(company, role.id, &RoleName::parse("Paving").unwrap(), Abilities::default()).await.unwrap();
    assert_eq!(renamed.face_front_version, role.face_front_version, "a rename leaves the FaceFront version alone");
    let with_face_front = Abilities { face_front: true, ..Abilities::default() };
    let updated = store.update_role(company, role.id, &renamed.name, with_face_front).await.unwrap();
    let after = store.company(company).await.unwrap().settings_version;
    assert!(after > before);
    assert_eq!(updated.face_front_version, after, "turning FaceFront on records the version it happened at");
    assert!(updated.abilities.face_front);
    assert_eq!(store.role(company, role.id).await.unwrap(), updated);
}

async fn a_held_role_cannot_be_deleted(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let role = first_role(&store, company).await;
    employee(&store, company, "7").await;
    assert!(matches!(store.delete_role(company, role).await, Err(StoreError::RoleInUse(1))));
    let spare = store.create_role(company, &RoleName::parse("Spare").unwrap(), Abilities::default()).await.unwrap();
    store.delete_role(company, spare.id).await.unwrap();
    assert!(matches!(store.role(company, spare.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_role(company, spare.id).await, Err(StoreError::NotFound)));
}

async fn employees_have_unique_numbers_and_pins(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let role = first_role(&store, company).await;
    let ana = store.create_employee(company, &fields("Ana", "1", role, pin("L1"))).await.unwrap();
    assert!(ana.has_pin);
    let same_number = store.create_employee(company, &fields("Bo", "1", role, PinChange::Keep)).await;
    assert!(matches!(same_number, Err(StoreError::Duplicate(Unique::EmployeeNumber))), "{same_number:?}");
    let same_pin = store.create_employee(company, &fields("Bo", "2", role, pin("L1"))).await;
    assert!(matches!(same_pin, Err(StoreError::Duplicate(Unique::EmployeePin))), "{same_pin:?}");
    // Two employees without a PIN are fine.
    store.create_employee(company, &fields("Bo", "2", role, PinChange::Keep)).await.unwrap();
    store.create_employee(company, &fields("Cy", "3", role, PinChange::Keep)).await.unwrap();
    // Another company may use the same number and PIN.
    let other = self::company(&store, "zed@other.test").await;
    let other_role = first_role(&store, other).await;
    store.create_employee(other, &fields("Ana", "1", other_role, pin("L1"))).await.unwrap();
    // A role of another company cannot be assigned.
    let foreign = store.create_employee(company, &fields("Di", "4", other_role, PinChange::Keep)).await;
    assert!(matches!(foreign, Err(StoreError::UnknownRole)), "{foreign:?}");
    // Clearing and keeping a PIN.
    let kept = store.update_employee(company, ana.id, &fields("Ana B", "1", role, PinChange::Keep)).await.unwrap();
    assert!(kept.has_pin);
    assert_eq!(kept.name.as_str(), "Ana B");
    let cleared = store.update_employee(company, ana.id, &fields("Ana B", "1", role, PinChange::Clear)).await.unwrap();
    assert!(!cleared.has_pin);
}

async fn employees_are_found_by_pin_and_search(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let role = first_role(&store, company).await;
    let ana = store.create_employee(company, &fields("Ana Lopez", "100", role, pin("L1"))).await.unwrap();
    store.create_employee(company, &fields("Bo 100% Diaz", "200", role, PinChange::Keep)).await.unwrap();
    let (found, hash) = store.employee_by_pin(company, "L1").await.unwrap().expect("found by PIN");
    assert_eq!(found.id, ana.id);
    assert_eq!(hash, "hash-of-L1");
    assert!(store.employee_by_pin(company, "L2").await.unwrap().is_none());
    let names = |list: Vec<clockface_domain::employee::Employee>| list.into_iter().map(|e| e.name.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(store.employees(company, Some("lopez")).await.unwrap()), ["Ana Lopez"]);
    assert_eq!(names(store.employees(company, Some("200")).await.unwrap()), ["Bo 100% Diaz"]);
    assert_eq!(names(store.employees(company, Some("100%")).await.unwrap()), ["Bo 100% Diaz"], "% is matched literally");
    assert_eq!(store.employees(company, None).await.unwrap().len(), 2);
}

async fn a_role_change_is_versioned(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let roles = store.roles(company).await.unwrap();
    let (first, second) = (roles[0].0.id, roles[1].0.id);
    let created = store.create_employee(company, &fields("Ana", "1", first, PinChange::Keep)).await.unwrap();
    let same_role = store.update_employee(company, created.id, &fields("Ana", "1", first, PinChange::Keep)).await.unwrap();
    assert_eq!(same_role.role_version, created.role_version);
    let moved = store.update_employee(company, created.id, &fields("Ana", "1", second, PinChange::Keep)).await.unwrap();
    assert!(moved.role_version > created.role_version);
    assert_eq!(moved.role_version, store.company(company).await.unwrap().settings_version);
}

async fn crews_belong_to_one_company(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let foreman = employee(&store, company, "1").await;
    let (a, b) = (employee(&store, company, "2").await, employee(&store, company, "3").await);
    store.set_crew(company, foreman, &[a, b]).await.unwrap();
    let mut crew = store.crew(company, foreman).await.unwrap();
    crew.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(crew, expected);
    let other = self::company(&store, "zed@other.test").await;
    let stranger = employee(&store, other, "1").await;
    assert!(matches!(store.set_crew(company, foreman, &[stranger]).await, Err(StoreError::UnknownCrewMember)));
    assert_eq!(store.crew(company, foreman).await.unwrap().len(), 2, "a failed change leaves the crew as it was");
}

async fn registration_codes_work_once_and_expire(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    store.create_registration_code(company, "code-1", now(), now() + Duration::minutes(30)).await.unwrap();
    let new = |token: &str| NewDevice { id: DeviceId::new(), name: "Phone".into(), token_hash: token.into(), has_front_camera: false };
    let device = store.register_device("code-1", &new("t1"), now()).await.unwrap();
    assert_eq!(device.synced_version, 0);
    assert!(matches!(store.register_device("code-1", &new("t2"), now()).await, Err(StoreError::InvalidCode)));
    store.create_registration_code(company, "code-2", now(), now() + Duration::minutes(30)).await.unwrap();
    assert!(matches!(store.register_device("code-2", &new("t3"), now() + Duration::hours(1)).await, Err(StoreError::InvalidCode)));
    assert!(matches!(store.register_device("nope", &new("t4"), now()).await, Err(StoreError::InvalidCode)));
    assert_eq!(store.device_by_token("t1").await.unwrap().map(|d| d.id), Some(device.id));
    store.revoke_device(company, device.id, now()).await.unwrap();
    assert!(store.device_by_token("t1").await.unwrap().is_none(), "a revoked device's token stops working");
    assert!(store.device(company, device.id).await.unwrap().revoked_at.is_some());
}

async fn device_syncs_are_recorded(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let device = device(&store, company, "c").await;
    let sync = DeviceSync { synced_version: 4, at: now(), has_front_camera: Some(false), photo_rotation: Some(Rotation::R90) };
    let synced = store.record_sync(company, device, &sync).await.unwrap();
    assert_eq!((synced.synced_version, synced.has_front_camera, synced.photo_rotation), (4, false, Rotation::R90));
    assert_eq!(synced.last_sync_at, Some(now()));
    let partial = DeviceSync { synced_version: 5, at: now(), has_front_camera: None, photo_rotation: None };
    let kept = store.record_sync(company, device, &partial).await.unwrap();
    assert_eq!((kept.synced_version, kept.has_front_camera, kept.photo_rotation), (5, false, Rotation::R90));
}

async fn punches_are_stored_once_per_client_id(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let first = punch(company, worker, device, PunchKind::In, now());
    let PunchInsert::Created(stored) = store.insert_punch(&first, None).await.unwrap() else { panic!("first insert creates") };
    assert_eq!(stored, first);
    let mut resent = first.clone();
    resent.id = PunchId::new();
    let again = store.insert_punch(&resent, None).await.unwrap();
    assert_eq!(again, PunchInsert::Existing(first.clone()), "a resend returns the stored punch");
    assert_eq!(store.count_punches(company).await.unwrap(), 1);
}

async fn a_punch_and_its_photo_are_stored_together(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let photo = PhotoRecord {
        company_id: company,
        sha256: "a".repeat(64),
        content_type: "image/jpeg".into(),
        byte_size: 1000,
        width: 640,
        height: 480,
        display_rotation: Rotation::R0,
        created_at: now(),
    };
    let mut with_photo = punch(company, worker, device, PunchKind::In, now());
    with_photo.photo_sha256 = Some(photo.sha256.clone());
    with_photo.no_photo_reason = None;
    store.insert_punch(&with_photo, Some(&photo)).await.unwrap();
    assert_eq!(store.photo(company, &photo.sha256).await.unwrap(), Some(photo.clone()));

    // A punch naming a photo that was not stored is refused whole.
    let mut dangling = punch(company, worker, device, PunchKind::Out, now());
    dangling.photo_sha256 = Some("b".repeat(64));
    dangling.no_photo_reason = None;
    assert!(store.insert_punch(&dangling, None).await.is_err());
    // A punch with neither photo nor reason is refused too.
    let mut neither = punch(company, worker, device, PunchKind::Out, now());
    neither.no_photo_reason = None;
    assert!(store.insert_punch(&neither, None).await.is_err());
    assert_eq!(store.count_punches(company).await.unwrap(), 1);
    // The same photo for a second punch is one photo row.
    let mut second = punch(company, worker, device, PunchKind::Out, now());
    second.photo_sha256 = Some(photo.sha256.clone());
    second.no_photo_reason = None;
    assert!(matches!(store.insert_punch(&second, Some(&photo)).await.unwrap(), PunchInsert::Created(_)));
}

/// Group commit: one transaction for many punches, where a failing punch is rolled back alone.
async fn a_batch_of_punches_commits_together_and_a_bad_one_fails_alone(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let good = punch(company, worker, device, PunchKind::In, now());
    let mut dangling = punch(company, worker, device, PunchKind::Out, now() + Duration::minutes(1));
    dangling.photo_sha256 = Some("b".repeat(64));
    dangling.no_photo_reason = None;
    let photo = photo_record(company, &"a".repeat(64));
    let mut with_photo = punch(company, worker, device, PunchKind::Out, now() + Duration::hours(8));
    with_photo.photo_sha256 = Some(photo.sha256.clone());
    with_photo.no_photo_reason = None;
    let resent = Punch { id: PunchId::new(), ..good.clone() };
    let batch = vec![(good.clone(), None), (dangling, None), (with_photo.clone(), Some(photo.clone())), (resent, None)];
    let results = store.insert_punches(&batch).await.unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().unwrap(), &PunchInsert::Created(good.clone()));
    assert!(results[1].is_err(), "a punch naming a photo that was not stored is refused");
    assert_eq!(results[2].as_ref().unwrap(), &PunchInsert::Created(with_photo.clone()), "the punches after it are kept");
    assert_eq!(results[3].as_ref().unwrap(), &PunchInsert::Existing(good.clone()), "a resend in the same batch finds the first");
    assert_eq!(store.count_punches(company).await.unwrap(), 2);
    assert_eq!(store.photo(company, &photo.sha256).await.unwrap(), Some(photo));
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 1, "the photo punch's job committed with it");
    assert!(store.insert_punches(&[]).await.unwrap().is_empty());
}

/// A batch written together (no punch in it fails): each punch stored once, a resend of a punch
/// stored earlier or earlier in the same batch answered with the stored one, a photo shared by
/// two punches one row, and a verification job for each punch created with a photo.
async fn a_batch_without_a_bad_punch_keeps_every_punch_once(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let earlier = punch(company, worker, device, PunchKind::In, now() - Duration::hours(30));
    store.insert_punch(&earlier, None).await.unwrap();
    let photo = photo_record(company, &"c".repeat(64));
    let with_photo =
        |kind, at| Punch { photo_sha256: Some(photo.sha256.clone()), no_photo_reason: None, ..punch(company, worker, device, kind, at) };
    let (first, second) = (with_photo(PunchKind::In, now()), with_photo(PunchKind::Out, now() + Duration::hours(8)));
    let plain = punch(company, worker, device, PunchKind::Out, now() - Duration::hours(22));
    let resent_earlier = Punch { id: PunchId::new(), ..earlier.clone() };
    let resent_first = Punch { id: PunchId::new(), received_at: now() + Duration::minutes(1), ..first.clone() };
    let batch = vec![
        (first.clone(), Some(photo.clone())),
        (resent_earlier, None),
        (plain.clone(), None),
        (resent_first, Some(photo.clone())),
        (second.clone(), Some(photo.clone())),
    ];
    let results: Vec<PunchInsert> = store.insert_punches(&batch).await.unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!(
        results,
        vec![
            PunchInsert::Created(first.clone()),
            PunchInsert::Existing(earlier),
            PunchInsert::Created(plain),
            PunchInsert::Existing(first),
            PunchInsert::Created(second),
        ]
    );
    assert_eq!(store.count_punches(company).await.unwrap(), 4);
    assert_eq!(store.photo(company, &photo.sha256).await.unwrap(), Some(photo));
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 2, "one job per punch created with a photo");
}

/// The writer that batches concurrent requests answers each with its own outcome, exactly once.
async fn the_punch_writer_answers_every_concurrent_request(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let writer =
        clockface_store::group::PunchWriter::start(store.clone(), clockface_store::group::GroupCommit::for_backend(store.backend()));
    let punches: Vec<Punch> = (0..200)
        .map(|i| punch(company, worker, device, if i % 2 == 0 { PunchKind::In } else { PunchKind::Out }, now() + Duration::minutes(i)))
        .collect();
    let answers = futures::future::join_all(punches.iter().map(|p| writer.insert(p.clone(), None))).await;
    for (punch, answer) in punches.iter().zip(&answers) {
        assert_eq!(answer.as_ref().unwrap(), &PunchInsert::Created(punch.clone()));
    }
    let again =
        futures::future::join_all(punches.iter().take(10).map(|p| writer.insert(Punch { id: PunchId::new(), ..p.clone() }, None))).await;
    assert!(again.iter().zip(&punches).all(|(a, p)| a.as_ref().unwrap() == &PunchInsert::Existing(p.clone())));
    assert_eq!(store.count_punches(company).await.unwrap(), 200);
}

async fn a_photo_is_turned_for_display_in_its_company_only(store: Db) {
    let other = company(&store, "zed@other.test").await;
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let photo = PhotoRecord {
        company_id: company,
        sha256: "c".repeat(64),
        content_type: "image/jpeg".into(),
        byte_size: 1000,
        width: 640,
        height: 480,
        display_rotation: Rotation::R0,
        created_at: now(),
    };
    let mut with_photo = punch(company, worker, device, PunchKind::In, now());
    with_photo.photo_sha256 = Some(photo.sha256.clone());
    with_photo.no_photo_reason = None;
    store.insert_punch(&with_photo, Some(&photo)).await.unwrap();

    let turned = store.set_photo_rotation(company, &photo.sha256, Rotation::R270).await.unwrap();
    assert_eq!(turned, PhotoRecord { display_rotation: Rotation::R270, ..photo.clone() }, "only the display rotation changes");
    assert_eq!(store.photo(company, &photo.sha256).await.unwrap().unwrap().display_rotation, Rotation::R270);
    // Another company cannot turn it, nor a photo that does not exist.
    assert!(matches!(store.set_photo_rotation(other, &photo.sha256, Rotation::R90).await, Err(StoreError::NotFound)));
    assert!(matches!(store.set_photo_rotation(company, &"d".repeat(64), Rotation::R90).await, Err(StoreError::NotFound)));
    assert_eq!(store.photo(company, &photo.sha256).await.unwrap().unwrap().display_rotation, Rotation::R270);
}

async fn punches_are_listed_by_time_range(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let other_worker = employee(&store, company, "2").await;
    let times = [now() - Duration::days(2), now() - Duration::hours(3), now() - Duration::hours(1)];
    for (i, at) in times.iter().enumerate().rev() {
        let kind = if i % 2 == 0 { PunchKind::In } else { PunchKind::Out };
        store.insert_punch(&punch(company, worker, device, kind, *at), None).await.unwrap();
    }
    store.insert_punch(&punch(company, other_worker, device, PunchKind::In, now()), None).await.unwrap();
    let listed = store.punches(company, worker, now() - Duration::days(1), now()).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.occurred_at).collect::<Vec<_>>(), times[1..].to_vec());
    let last = store.last_punch(company, worker).await.unwrap().unwrap();
    assert_eq!(last.occurred_at, times[2]);
    assert!(store.last_punch(company, employee(&store, company, "3").await).await.unwrap().is_none());
}

async fn every_query_is_scoped_to_its_company(store: Db) {
    let mine = company(&store, "ana@acme.test").await;
    let theirs = company(&store, "zed@other.test").await;
    let (worker, device) = (employee(&store, theirs, "1").await, device(&store, theirs, "c").await);
    let role = first_role(&store, theirs).await;
    let stored = punch(theirs, worker, device, PunchKind::In, now());
    store.insert_punch(&stored, None).await.unwrap();
    assert!(matches!(store.employee(mine, worker).await, Err(StoreError::NotFound)));
    assert!(matches!(store.role(mine, role).await, Err(StoreError::NotFound)));
    assert!(matches!(store.device(mine, device).await, Err(StoreError::NotFound)));
    assert!(matches!(store.punch(mine, stored.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.update_role(mine, role, &RoleName::parse("X").unwrap(), Abilities::default()).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_role(mine, role).await, Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_device(mine, device, now()).await, Err(StoreError::NotFound)));
    let my_role = first_role(&store, mine).await;
    assert!(matches!(store.update_employee(mine, worker, &fields("X", "9", my_role, PinChange::Keep)).await, Err(StoreError::NotFound)));
    assert!(store.punches(mine, worker, now() - Duration::days(1), now() + Duration::days(1)).await.unwrap().is_empty());
    assert!(store.employees(mine, None).await.unwrap().is_empty());
    assert!(store.devices(mine).await.unwrap().is_empty());
    assert_eq!(store.count_punches(mine).await.unwrap(), 0);
}

/// A small policy for the tests: three guesses per device or employee in 15 minutes lock them
/// for 15 minutes; accounts back off from one minute.
fn policy() -> LockoutPolicy {
    let quarter = Duration::minutes(15);
    LockoutPolicy {
        device: Limit::fixed(3, quarter, quarter),
        employee: Limit::fixed(3, quarter, quarter),
        company: Limit::fixed(100, Duration::hours(1), quarter),
        account: Limit::growing(2, Duration::hours(24), Duration::minutes(1), Duration::hours(1)),
        address: Limit::fixed(50, quarter, quarter),
    }
}

async fn wrong_guesses_lock_out_and_the_lock_ends(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let scope = [LockScope::Employee(employee(&store, company, "1").await)];
    let policy = policy();
    for tries_left in [2, 1] {
        assert_eq!(store.count_attempt(&scope, &policy, now()).await.unwrap(), Attempt::Judge { tries_left, nearest: Place::Employee });
        assert_eq!(store.attempt_was_wrong(&scope, &policy, now()).await.unwrap(), None);
    }
    assert_eq!(store.count_attempt(&scope, &policy, now()).await.unwrap(), Attempt::Judge { tries_left: 0, nearest: Place::Employee });
    let locked = Attempt::Locked { place: Place::Employee, until: now() + Duration::minutes(15), first: true };
    assert_eq!(store.attempt_was_wrong(&scope, &policy, now()).await.unwrap(), Some(locked), "the third wrong guess locks, a first lock");
    let still = Attempt::Locked { place: Place::Employee, until: now() + Duration::minutes(15), first: false };
    assert_eq!(store.count_attempt(&scope, &policy, now() + Duration::minutes(1)).await.unwrap(), still, "refused unjudged while locked");
    assert_eq!(store.locked_until(&scope[0], now() + Duration::minutes(1)).await.unwrap(), Some(now() + Duration::minutes(15)));
    assert_eq!(store.locked_until(&scope[0], now() + Duration::minutes(16)).await.unwrap(), None, "the lock ends");
    let after = store.count_attempt(&scope, &policy, now() + Duration::minutes(16)).await.unwrap();
    assert_eq!(after, Attempt::Judge { tries_left: 2, nearest: Place::Employee }, "counting starts afresh after the lock");
    assert_eq!(store.locked_until(&LockScope::Device(DeviceId::new()), now()).await.unwrap(), None);
}

/// Locks that grow: while wrong guesses go on after a lock, each one locks again for twice as long
/// (up to the longest), and only a quiet stretch as long as the window forgets them; a sliding
/// count takes every guess of the last hour, however the guesses fall.
async fn locks_grow_while_wrong_guesses_go_on_and_a_company_counts_a_sliding_hour(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let day = Duration::days(1);
    let policy = LockoutPolicy {
        device: Limit::growing(2, Duration::days(3), Duration::minutes(15), day),
        company: Limit { sliding: Some(Duration::hours(1)), ..Limit::growing(3, Duration::days(3), Duration::minutes(15), day) },
        ..policy()
    };
    let device = [LockScope::Device(DeviceId::new())];
    let mut at = now();
    let mut locks = Vec::new();
    for _ in 0..12 {
        match store.count_attempt(&device, &policy, at).await.unwrap() {
            Attempt::Locked { until, .. } => at = until,
            Attempt::Judge { .. } => {
                if let Some(Attempt::Locked { until, first, .. }) = store.attempt_was_wrong(&device, &policy, at).await.unwrap() {
                    locks.push(((until - at).num_minutes(), first));
                    at = until;
                }
            }
        }
    }
    let minutes: Vec<i64> = locks.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        minutes,
        [15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440, 1440],
        "each further wrong guess locks twice as long, up to a day"
    );
    assert_eq!(locks.iter().filter(|(_, first)| *first).count(), 1, "only the first lock is news for the admins");
    // Three quiet days (after the last lock ended) forget it all: a full round again.
    let later = at + Duration::days(3) + Duration::seconds(1);
    assert_eq!(store.count_attempt(&device, &policy, later).await.unwrap(), Attempt::Judge { tries_left: 1, nearest: Place::Device });

    // The company: three wrong PINs spread over 50 minutes lock it; a fixed window from the first
    // would have let the third through after an hour, a sliding one does not.
    let whole = [LockScope::Company(company)];
    for minutes in [0, 30, 50] {
        let t = now() + Duration::minutes(minutes);
        assert!(matches!(store.count_attempt(&whole, &policy, t).await.unwrap(), Attempt::Judge { .. }));
        let wrong = store.attempt_was_wrong(&whole, &policy, t).await.unwrap();
        assert_eq!(wrong.is_some(), minutes == 50, "locked at the third wrong PIN within an hour ({minutes} min)");
    }
    // Spread wider than an hour, they do not add up.
    let other = [LockScope::Company(self::company(&store, "zed@other.test").await)];
    for minutes in [0, 40, 80, 120] {
        let t = now() + Duration::minutes(minutes);
        store.count_attempt(&other, &policy, t).await.unwrap();
        assert_eq!(store.attempt_was_wrong(&other, &policy, t).await.unwrap(), None, "{minutes} min: at most two in any hour");
    }
}

/// A right guess takes back its own count only: it never resets what others guessed wrong.
async fn a_right_guess_does_not_reset_the_wrong_ones_of_others(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let device = [LockScope::Device(DeviceId::new())];
    let policy = policy();
    for _ in 0..2 {
        store.count_attempt(&device, &policy, now()).await.unwrap();
        store.attempt_was_wrong(&device, &policy, now()).await.unwrap();
    }
    // Someone's own right PIN, again and again: the two wrong ones stay counted.
    for _ in 0..5 {
        assert_eq!(store.count_attempt(&device, &policy, now()).await.unwrap(), Attempt::Judge { tries_left: 0, nearest: Place::Device });
        store.attempt_was_right(&device, &[]).await.unwrap();
    }
    store.count_attempt(&device, &policy, now()).await.unwrap();
    assert!(matches!(store.attempt_was_wrong(&device, &policy, now()).await.unwrap(), Some(Attempt::Locked { place: Place::Device, .. })));
    // An employee's own count is cleared by their right PIN.
    let own = [LockScope::Employee(employee(&store, company, "2").await)];
    store.count_attempt(&own, &policy, now()).await.unwrap();
    store.attempt_was_wrong(&own, &policy, now()).await.unwrap();
    store.attempt_was_right(&[], &own).await.unwrap();
    assert_eq!(store.count_attempt(&own, &policy, now()).await.unwrap(), Attempt::Judge { tries_left: 2, nearest: Place::Employee });
}

/// Guesses made at once are counted at once: only a round's worth is judged.
async fn concurrent_guesses_are_counted_before_they_are_judged(store: Db) {
    let device = [LockScope::Device(DeviceId::new())];
    let policy = policy();
    let attempts = futures::future::join_all((0..20).map(|_| store.count_attempt(&device, &policy, now()))).await;
    let judged = attempts.iter().filter(|a| matches!(a.as_ref().unwrap(), Attempt::Judge { .. })).count();
    assert_eq!(judged, 3, "of 20 guesses at once, only the device's 3 are judged");
}

/// An account's lock doubles with each wrong password after the first lock (worked example in
/// `domain::lockout`), waiting each lock out.
async fn an_accounts_lock_backs_off(store: Db) {
    let account = [LockScope::Account("Ana@Acme.test".into())];
    let policy = policy();
    let mut at = now();
    let mut locks = Vec::new();
    for _ in 0..5 {
        assert!(matches!(store.count_attempt(&account, &policy, at).await.unwrap(), Attempt::Judge { .. }));
        if let Some(Attempt::Locked { until, .. }) = store.attempt_was_wrong(&account, &policy, at).await.unwrap() {
            locks.push((until - at).num_minutes());
            at = until;
        }
    }
    assert_eq!(locks, [1, 2, 4, 8], "two wrong, then each single wrong one doubles the lock");
    let same = [LockScope::Account("ana@acme.test".into())];
    assert!(
        matches!(store.count_attempt(&same, &policy, at - Duration::seconds(1)).await.unwrap(), Attempt::Locked { .. }),
        "e-mail case does not matter"
    );
}

async fn concurrent_punches_are_all_kept(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let punches: Vec<Punch> = (0..40).map(|i| punch(company, worker, device, PunchKind::In, now() - Duration::minutes(i))).collect();
    // Each punch sent twice at once, as a device retrying on a flaky network would.
    let tasks = punches.iter().chain(punches.iter()).cloned().map(|p| {
        let store = store.clone();
        tokio::spawn(async move { store.insert_punch(&p, None).await })
    });
    let results = futures::future::join_all(tasks).await;
    let created = results.into_iter().map(|r| r.unwrap().unwrap()).filter(|r| matches!(r, PunchInsert::Created(_))).count();
    assert_eq!(created, 40);
    assert_eq!(store.count_punches(company).await.unwrap(), 40);
}

macro_rules! on_both_photo_stores {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn local() {
                let folder = tempfile::tempdir().expect("temp folder");
                let blobs = clockface_store::blobs::BlobStore::local(&folder.path().join("photos")).expect("photo folder");
                super::$test(blobs).await;
            }

            /// In the S3-compatible server the test command starts (Garage).
            #[tokio::test]
            async fn s3() {
                let blobs = clockface_store::blobs::BlobStore::s3(&clockface_store::testing::s3_settings()).expect("S3 photo store");
                blobs.check().await.expect("the test S3 server answers and takes the test key");
                super::$test(blobs).await;
            }
        }
    )*};
}

on_both_photo_stores!(
    photos_are_content_addressed_per_company,
    a_photo_put_again_is_stored_once,
    large_photos_come_back_byte_for_byte,
    concurrent_photos_are_all_kept,
);

async fn photos_are_content_addressed_per_company(blobs: BlobStore) {
    let (a, b) = (CompanyId::new(), CompanyId::new());
    let bytes = format!("photo bytes {}", Uuid::new_v4());
    let sha = blobs.put(a, bytes::Bytes::from(bytes.clone())).await.unwrap();
    assert_eq!(sha, clockface_store::blobs::sha256_hex(bytes.as_bytes()));
    assert_eq!(blobs.get(a, &sha).await.unwrap(), bytes::Bytes::from(bytes));
    assert!(matches!(blobs.get(b, &sha).await, Err(StoreError::NotFound)), "another company's key finds nothing");
    assert!(matches!(blobs.get(a, &"e".repeat(64)).await, Err(StoreError::NotFound)), "a photo never stored is not found");
    assert!(matches!(blobs.get(a, "../../etc/passwd").await, Err(StoreError::NotFound)));
}

async fn a_photo_put_again_is_stored_once(blobs: BlobStore) {
    let company = CompanyId::new();
    let bytes = bytes::Bytes::from(format!("the same photo {}", Uuid::new_v4()));
    let first = blobs.put(company, bytes.clone()).await.unwrap();
    let second = blobs.put(company, bytes.clone()).await.unwrap();
    assert_eq!(first, second);
    let listed: Vec<_> = blobs.list().await.unwrap().into_iter().filter(|(key, _)| key.contains(&company.to_string())).collect();
    assert_eq!(listed, vec![(format!("photos/{company}/{}/{first}", &first[..2]), bytes.len() as u64)], "one object, under its hash");
}

async fn large_photos_come_back_byte_for_byte(blobs: BlobStore) {
    let company = CompanyId::new();
    // 9 MB, near the default photo limit (10 MiB): more than one network buffer, not one object part.
    let bytes: Vec<u8> = (0..9_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let sha = blobs.put(company, bytes::Bytes::from(bytes.clone())).await.unwrap();
    let back = blobs.get(company, &sha).await.unwrap();
    assert_eq!(back.len(), bytes.len());
    assert_eq!(clockface_store::blobs::sha256_hex(&back), sha);
}

async fn concurrent_photos_are_all_kept(blobs: BlobStore) {
    let company = CompanyId::new();
    let tasks = (0..24).map(|i| {
        let blobs = blobs.clone();
        tokio::spawn(async move {
            let bytes = bytes::Bytes::from(format!("photo {i} of {company}"));
            (blobs.put(company, bytes.clone()).await.unwrap(), bytes)
        })
    });
    for (sha, bytes) in futures::future::join_all(tasks).await.into_iter().map(Result::unwrap) {
        assert_eq!(blobs.get(company, &sha).await.unwrap(), bytes, "every photo acknowledged reads back");
    }
}

#[tokio::test]
async fn s3_with_a_wrong_key_is_refused_when_checked() {
    let mut settings = clockface_store::testing::s3_settings();
    settings.secret_access_key = "0".repeat(64).into();
    let blobs = BlobStore::s3(&settings).unwrap();
    assert!(blobs.check().await.is_err(), "a wrong secret key is found at the check, not at the first punch");
    let put = blobs.put(CompanyId::new(), bytes::Bytes::from_static(b"never stored")).await;
    assert!(put.is_err(), "a PUT the object store refused is never acknowledged");
}

#[tokio::test]
async fn nodes_starting_at_once_migrate_one_database_once() {
    let url = clockface_store::testing::fresh_postgres_url().await;
    let nodes = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { clockface_store::connect(&url).await })
    });
    let stores: Vec<_> = futures::future::join_all(nodes).await.into_iter().map(|r| r.unwrap().expect("every node starts")).collect();
    let company = company(&stores[0], "first@acme.test").await;
    for store in &stores {
        assert_eq!(store.company(company).await.unwrap().id, company, "every node sees the one schema and its rows");
    }
}

fn photo_record(company: CompanyId, sha: &str) -> PhotoRecord {
    PhotoRecord {
        company_id: company,
        sha256: sha.into(),
        content_type: "image/jpeg".into(),
        byte_size: 10,
        width: 640,
        height: 480,
        display_rotation: Rotation::R0,
        created_at: now(),
    }
}

/// Stores a punch with a photo (which queues its verification) and returns it.
async fn photo_punch(store: &Db, company: CompanyId, worker: EmployeeId, device: DeviceId, sha: &str, at: DateTime<Utc>) -> Punch {
    let mut punch = punch(company, worker, device, PunchKind::In, at);
    punch.photo_sha256 = Some(sha.into());
    punch.no_photo_reason = None;
    store.insert_punch(&punch, Some(&photo_record(company, sha))).await.unwrap();
    punch
}

fn verification(punch: &Punch, verdict: Verdict) -> Verification {
    Verification {
        punch_id: punch.id,
        company_id: punch.company_id,
        verdict,
        score: Some(0.2),
        threshold: 0.36,
        rotation: 90,
        engine_rotation: Rotation::R90,
        faces: 1,
        message: "words".into(),
        enrolled_now: false,
        decided_at: now(),
        liveness: Some((0.93, 0.5)),
        active: None,
    }
}

async fn consent_and_templates_belong_to_an_employee(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    let worker = employee(&store, company, "1").await;
    assert_eq!(store.consent(company, worker).await.unwrap(), None);
    let consent = Consent { employee_id: worker, notice_version: "2026-11".into(), recorded_by: admin, agreed_at: now() };
    store.record_consent(company, &consent, &line(company, "consent.recorded", "employee:w")).await.unwrap();
    assert_eq!(store.consent(company, worker).await.unwrap(), Some(consent));
    let other = self::company(&store, "zed@other.test").await;
    assert_eq!(store.consent(other, worker).await.unwrap(), None, "consent is scoped to the company");
    // A consent that cannot be stored leaves no audit line behind.
    let stranger = Consent { employee_id: EmployeeId(Uuid::new_v4()), ..store.consent(company, worker).await.unwrap().unwrap() };
    assert!(matches!(
        store.record_consent(company, &stranger, &line(company, "consent.recorded", "nobody")).await,
        Err(StoreError::NotFound)
    ));

    let template = FaceTemplate {
        id: Uuid::new_v4(),
        company_id: company,
        employee_id: worker,
        embedding: vec![1, 2, 3, 4],
        photo_sha256: "c".repeat(64),
        source: TemplateSource::Upload,
        created_by: Some(admin),
        created_at: now(),
    };
    store.add_template(&template, &line(company, "template.enrolled", "employee:w")).await.unwrap();
    let second = FaceTemplate { id: Uuid::new_v4(), created_at: now() + Duration::hours(1), ..template.clone() };
    store.add_template(&second, &line(company, "template.enrolled", "employee:w")).await.unwrap();
    assert_eq!(store.templates(company, worker).await.unwrap(), vec![template.clone(), second]);
    assert!(store.templates(other, worker).await.unwrap().is_empty());
    let nobody = employee(&store, company, "2").await;
    let firsts = store.first_templates(company, &[worker, nobody]).await.unwrap();
    assert_eq!(firsts.len(), 1, "only employees with a template");
    assert_eq!(firsts[&worker], template, "the first enrolled one");
    assert!(store.first_templates(other, &[worker]).await.unwrap().is_empty(), "scoped to the company");
    assert_eq!(store.delete_templates(other, worker, &line(other, "templates.deleted", "employee:w")).await.unwrap(), 0);
    assert_eq!(store.delete_templates(company, worker, &line(company, "templates.deleted", "employee:w")).await.unwrap(), 2);
    assert!(store.templates(company, worker).await.unwrap().is_empty());
    // Each change committed its own audit line with it; the deletion's says how many.
    assert_eq!(actions(&store, company).await, ["consent.recorded", "template.enrolled", "template.enrolled", "templates.deleted"]);
    assert_eq!(store.audit_log(company, 1).await.unwrap()[0].detail, "d: 2 template(s)");
}

async fn a_first_photo_enrols_once_with_its_audit_line(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let punch = photo_punch(&store, company, worker, device, &"a".repeat(64), now()).await;
    let template = FaceTemplate {
        id: Uuid::new_v4(),
        company_id: company,
        employee_id: worker,
        embedding: vec![9; 8],
        photo_sha256: "a".repeat(64),
        source: TemplateSource::FirstPunch,
        created_by: None,
        created_at: now(),
    };
    let enrolled = Verification { verdict: Verdict::NotEnrolled, enrolled_now: true, ..verification(&punch, Verdict::NotEnrolled) };
    let audit = line(company, "template.enrolled", "employee:w");
    store.complete_verification_job(&enrolled, Some((&template, &audit))).await.unwrap();
    // A second worker whose lease ran out finishes the same job: the first verdict stands and
    // nothing is enrolled or audited twice.
    let late = FaceTemplate { id: Uuid::new_v4(), ..template.clone() };
    store.complete_verification_job(&verification(&punch, Verdict::Match), Some((&late, &audit))).await.unwrap();
    assert_eq!(store.verification(company, punch.id).await.unwrap(), Some(enrolled));
    assert_eq!(store.templates(company, worker).await.unwrap(), vec![template]);
    assert_eq!(actions(&store, company).await, ["template.enrolled"]);
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 0);
}

async fn photos_are_read_many_at_once_within_the_company(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let other = self::company(&store, "zed@other.test").await;
    for sha in ["a", "b"] {
        store.add_photo(&photo_record(company, &sha.repeat(64))).await.unwrap();
    }
    store.add_photo(&photo_record(other, &"c".repeat(64))).await.unwrap();
    let asked = ["a".repeat(64), "b".repeat(64), "c".repeat(64), "f".repeat(64)];
    let found = store.photos(company, &asked).await.unwrap();
    let mut keys: Vec<&String> = found.keys().collect();
    keys.sort();
    assert_eq!(keys, [&"a".repeat(64), &"b".repeat(64)], "only this company's photos");
    assert_eq!(found[&"a".repeat(64)], photo_record(company, &"a".repeat(64)));
    assert!(store.photos(company, &[]).await.unwrap().is_empty());
}

async fn a_photo_punch_queues_one_verification_job(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    store.insert_punch(&punch(company, worker, device, PunchKind::In, now()), None).await.unwrap();
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 0, "a punch without a photo has nothing to verify");
    let with_photo = photo_punch(&store, company, worker, device, &"a".repeat(64), now()).await;
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 1);
    // A resend queues nothing more.
    store.insert_punch(&with_photo, Some(&photo_record(company, &"a".repeat(64)))).await.unwrap();
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 1);
}

async fn jobs_are_claimed_once_and_retried(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let punch = photo_punch(&store, company, worker, device, &"a".repeat(64), now()).await;
    let lease = now() + Duration::minutes(5);
    let job = store.claim_verification_job("test", now(), lease).await.unwrap().expect("a job is due");
    assert_eq!((job.punch_id, job.company_id, job.attempts), (punch.id, company, 1));
    assert_eq!(store.claim_verification_job("test", now(), lease).await.unwrap(), None, "a claimed job is not handed out twice");
    // A worker that died: the lease runs out and the job comes back.
    let again = store.claim_verification_job("test", lease + Duration::seconds(1), lease + Duration::minutes(5)).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    store.retry_verification_job(punch.id, now() + Duration::hours(1), "model failed").await.unwrap();
    assert_eq!(store.claim_verification_job("test", now() + Duration::minutes(59), lease).await.unwrap(), None, "not before run_after");
    let third = store.claim_verification_job("test", now() + Duration::hours(2), now() + Duration::hours(3)).await.unwrap().unwrap();
    assert_eq!(third.attempts, 3);
    store.complete_verification_job(&verification(&punch, Verdict::Match), None).await.unwrap();
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 0);
    assert_eq!(store.verification(company, punch.id).await.unwrap(), Some(verification(&punch, Verdict::Match)));
}

async fn a_lease_names_its_node_and_a_dead_nodes_jobs_are_taken_over(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let empty = store.verification_queue(now()).await.unwrap();
    assert_eq!((empty.depth, empty.oldest_age_seconds), (0, 0.0));
    let first = photo_punch(&store, company, worker, device, &"a".repeat(64), now()).await;
    let second = photo_punch(&store, company, worker, device, &"b".repeat(64), now() + Duration::seconds(1)).await;
    let queue = store.verification_queue(now() + Duration::seconds(90)).await.unwrap();
    assert_eq!((queue.depth, queue.oldest_age_seconds), (2, 90.0), "the oldest job has waited since its punch arrived");

    let lease = now() + Duration::seconds(2) + Duration::seconds(30);
    let held = store.claim_verification_job("node-a", now() + Duration::seconds(2), lease).await.unwrap().unwrap();
    assert_eq!(held.punch_id, first.id, "the oldest job first");
    let leases = store.leased_verification_jobs(now() + Duration::seconds(3)).await.unwrap();
    assert_eq!(leases, vec![JobLease { punch_id: first.id, leased_by: "node-a".into(), locked_until: lease }]);
    // node-a dies holding it: node-b takes the other job now and node-a's once its lease ran out.
    let other = store.claim_verification_job("node-b", now() + Duration::seconds(3), now() + Duration::minutes(5)).await.unwrap();
    assert_eq!(other.map(|j| j.punch_id), Some(second.id));
    let after = lease + Duration::seconds(1);
    let taken = store.claim_verification_job("node-b", after, after + Duration::seconds(30)).await.unwrap().unwrap();
    assert_eq!((taken.punch_id, taken.attempts), (first.id, 2));
    let holders: Vec<String> = store.leased_verification_jobs(after).await.unwrap().into_iter().map(|l| l.leased_by).collect();
    assert_eq!(holders, vec!["node-b", "node-b"]);
}

async fn verdicts_are_read_many_at_once_within_the_company(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let first = photo_punch(&store, company, worker, device, &"a".repeat(64), now()).await;
    let second = photo_punch(&store, company, worker, device, &"b".repeat(64), now() + Duration::hours(1)).await;
    let unverified = photo_punch(&store, company, worker, device, &"d".repeat(64), now() + Duration::hours(2)).await;
    store.complete_verification_job(&verification(&first, Verdict::Match), None).await.unwrap();
    store.complete_verification_job(&verification(&second, Verdict::Mismatch), None).await.unwrap();
    let other = self::company(&store, "zed@other.test").await;
    let (stranger, their_device) = (employee(&store, other, "1").await, self::device(&store, other, "d").await);
    let theirs = photo_punch(&store, other, stranger, their_device, &"e".repeat(64), now()).await;
    store.complete_verification_job(&verification(&theirs, Verdict::Match), None).await.unwrap();

    let asked = [first.id, second.id, unverified.id, theirs.id, PunchId(Uuid::new_v4())];
    let found = store.verifications(company, &asked).await.unwrap();
    assert_eq!(found.len(), 2, "only this company's punches that have a verdict");
    assert_eq!(found[&first.id], verification(&first, Verdict::Match));
    assert_eq!(found[&second.id], verification(&second, Verdict::Mismatch));
    assert!(store.verifications(company, &[]).await.unwrap().is_empty());
    // More ids than one batch holds.
    let many: Vec<PunchId> = std::iter::repeat_with(|| PunchId(Uuid::new_v4())).take(1200).chain([second.id]).collect();
    assert_eq!(store.verifications(company, &many).await.unwrap().keys().collect::<Vec<_>>(), vec![&second.id]);
}

async fn the_review_queue_holds_doubtful_punches_until_reviewed(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let matched = photo_punch(&store, company, worker, device, &"a".repeat(64), now() - Duration::hours(3)).await;
    let mismatched = photo_punch(&store, company, worker, device, &"b".repeat(64), now() - Duration::hours(2)).await;
    let mut missing = punch(company, worker, device, PunchKind::Out, now() - Duration::hours(1));
    missing.no_photo_reason = Some(NoPhotoReason::CameraDenied);
    missing.flagged = true;
    store.insert_punch(&missing, None).await.unwrap();
    let pending = photo_punch(&store, company, worker, device, &"d".repeat(64), now()).await;
    store.complete_verification_job(&verification(&matched, Verdict::Match), None).await.unwrap();
    // Every verdict the domain sends to a person is in the queue (checked on a company of its own).
    let elsewhere = self::company(&store, "eve@elsewhere.test").await;
    let (their_worker, their_device) = (employee(&store, elsewhere, "1").await, self::device(&store, elsewhere, "e").await);
    for (i, verdict) in Verdict::ALL.into_iter().enumerate() {
        let at = now() - Duration::hours(10) + Duration::minutes(i64::try_from(i).unwrap());
        let p = photo_punch(&store, elsewhere, their_worker, their_device, &format!("{i:064}"), at).await;
        store.complete_verification_job(&verification(&p, verdict), None).await.unwrap();
    }
    let queued: Vec<Verdict> =
        store.review_queue(elsewhere, None, 50).await.unwrap().into_iter().filter_map(|(_, v)| v.map(|v| v.verdict)).collect();
    assert_eq!(queued.len(), Verdict::ALL.len() - 1);
    assert!(queued.iter().all(|v| v.needs_review()) && !queued.contains(&Verdict::Match));
    store.complete_verification_job(&verification(&mismatched, Verdict::Mismatch), None).await.unwrap();

    let queue = store.review_queue(company, None, 50).await.unwrap();
    let ids: Vec<PunchId> = queue.iter().map(|(p, _)| p.id).collect();
    assert_eq!(ids, vec![missing.id, mismatched.id], "newest first; matches and unverified photos stay out");
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 2, "the count agrees with the list");
    assert_eq!(queue[1].1.as_ref().map(|v| v.verdict), Some(Verdict::Mismatch));
    assert!(!ids.contains(&pending.id));

    let review = Review { punch_id: mismatched.id, decision: ReviewDecision::ThisIsThem, reviewed_by: admin, reviewed_at: now() };
    store.record_review(company, &review, &line(company, "punch.reviewed", "punch:m")).await.unwrap();
    assert_eq!(actions(&store, company).await, ["punch.reviewed"], "the review and its audit line commit together");
    assert_eq!(store.review(company, mismatched.id).await.unwrap(), Some(review));
    assert_eq!(store.review_queue(company, None, 50).await.unwrap().len(), 1);
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 1);
    let other = self::company(&store, "zed@other.test").await;
    let foreign = Review { punch_id: missing.id, decision: ReviewDecision::NotThem, reviewed_by: admin, reviewed_at: now() };
    assert!(matches!(store.record_review(other, &foreign, &line(other, "punch.reviewed", "punch:x")).await, Err(StoreError::NotFound)));
    assert!(actions(&store, other).await.is_empty(), "a refused review leaves no audit line");
    assert!(store.review_queue(other, None, 50).await.unwrap().is_empty());
}

/// A verdict that needs a person and the admin's review of the same punch, stored at the same
/// moment (the review of a missing-photo flag, say, while the photo's verdict comes in): whichever
/// commits second sees the first (they take turns on the punch's row), so a reviewed punch is
/// never left in the queue by a verdict that arrived a moment after its review.
async fn a_verdict_racing_its_review_never_puts_the_punch_back_in_the_queue(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let mut punches = Vec::new();
    for i in 0..24 {
        punches.push(photo_punch(&store, company, worker, device, &format!("{i:064}"), now() - Duration::minutes(i)).await);
    }
    for p in &punches {
        let review = Review { punch_id: p.id, decision: ReviewDecision::ThisIsThem, reviewed_by: admin, reviewed_at: now() };
        let audit = line(company, "punch.reviewed", "punch:r");
        let verdict = verification(p, Verdict::Mismatch);
        let (reviewed, judged) =
            tokio::join!(store.record_review(company, &review, &audit), store.complete_verification_job(&verdict, None));
        reviewed.unwrap();
        judged.unwrap();
    }
    for p in &punches {
        assert_eq!(store.verification(company, p.id).await.unwrap().map(|v| v.verdict), Some(Verdict::Mismatch));
        assert!(store.review(company, p.id).await.unwrap().is_some());
    }
    assert!(store.review_queue(company, None, 50).await.unwrap().is_empty(), "every punch was reviewed");
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 0);
}

async fn the_audit_log_is_per_company(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let other = self::company(&store, "zed@other.test").await;
    let entry = |company, action: &str, minutes| AuditEntry {
        company_id: company,
        at: now() + Duration::minutes(minutes),
        actor: "admin:x".into(),
        action: action.into(),
        subject: "employee:y".into(),
        detail: String::new(),
        employee: None,
    };
    store.audit(&entry(company, "consent.recorded", 0)).await.unwrap();
    store.audit(&entry(company, "photo.viewed", 1)).await.unwrap();
    store.audit(&entry(other, "photo.viewed", 2)).await.unwrap();
    let log = store.audit_log(company, 10).await.unwrap();
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["photo.viewed", "consent.recorded"]);
}

async fn sign_ins_are_remembered_for_the_next_one(store: Db) {
    company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    let first = store.record_sign_in(admin, now()).await.unwrap();
    assert_eq!(first, SignInHistory { failed_since_last: 0, last_failed_at: None, last_sign_in_at: None });
    for minutes in [5, 6, 7] {
        store.record_failed_sign_in(admin, now() + Duration::minutes(minutes)).await.unwrap();
    }
    let next = store.record_sign_in(admin, now() + Duration::hours(1)).await.unwrap();
    assert_eq!(
        next,
        SignInHistory { failed_since_last: 3, last_failed_at: Some(now() + Duration::minutes(7)), last_sign_in_at: Some(now()) }
    );
    assert_eq!(store.record_sign_in(admin, now() + Duration::hours(2)).await.unwrap().failed_since_last, 0, "told once");
}

async fn a_second_factor_is_kept_sealed_with_single_use_recovery_codes(store: Db) {
    company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    assert!(!store.any_secret_sealed().await.unwrap());
    store.set_totp(admin, Some(b"sealed bytes"), &["h1".into(), "h2".into()], now()).await.unwrap();
    assert_eq!(store.admin_login("ana@acme.test").await.unwrap().unwrap().totp_secret.as_deref(), Some(&b"sealed bytes"[..]));
    assert!(store.any_secret_sealed().await.unwrap());
    assert_eq!(store.recovery_codes_left(admin).await.unwrap(), 2);
    assert!(store.use_recovery_code(admin, "h1", now()).await.unwrap());
    assert!(!store.use_recovery_code(admin, "h1", now()).await.unwrap(), "a recovery code works once");
    assert!(!store.use_recovery_code(admin, "nope", now()).await.unwrap());
    assert_eq!(store.recovery_codes_left(admin).await.unwrap(), 1);
    store.create_pending_sign_in("pending", admin, now() + Duration::minutes(5)).await.unwrap();
    assert_eq!(store.pending_sign_in("pending", now()).await.unwrap().map(|l| l.id), Some(admin));
    assert!(store.pending_sign_in("pending", now() + Duration::minutes(6)).await.unwrap().is_none(), "it expires");
    store.delete_pending_sign_in("pending").await.unwrap();
    assert!(store.pending_sign_in("pending", now()).await.unwrap().is_none());
    store.set_totp(admin, None, &[], now()).await.unwrap();
    assert_eq!(store.admin_login("ana@acme.test").await.unwrap().unwrap().totp_secret, None);
    assert_eq!(store.recovery_codes_left(admin).await.unwrap(), 0, "turning it off removes the codes");
}

async fn a_punchs_flags_are_kept_with_it(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let mut flagged = punch(company, worker, device, PunchKind::Out, now());
    flagged.flags = vec![PunchFlag { flag: Flag::OutWithoutIn, detail: "A clock-out with no clock-in before it.".into() }];
    flagged.flagged = true;
    store.insert_punch(&flagged, None).await.unwrap();
    assert_eq!(store.punch(company, flagged.id).await.unwrap(), flagged);
    let queue = store.review_queue(company, None, 10).await.unwrap();
    assert_eq!(queue.iter().map(|(p, _)| p.id).collect::<Vec<_>>(), [flagged.id], "a flagged punch waits for review");
    let earlier = store.punch_before(company, worker, now()).await.unwrap();
    assert!(earlier.is_none());
    assert_eq!(store.punch_before(company, worker, now() + Duration::seconds(1)).await.unwrap().map(|p| p.id), Some(flagged.id));
}

/// Changes the database by hand, as someone with access to it could.
async fn by_hand(store: &Db, url: &str, sql: &str) {
    if store.backend() == "sqlite" {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

async fn the_audit_log_is_a_chain_that_shows_any_edit_or_deletion(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let other = self::company(&store, "zed@other.test").await;
    for action in ["photo.viewed", "consent.recorded", "punch.reviewed"] {
        store.audit(&line(company, action, "employee:y")).await.unwrap();
    }
    store.audit(&line(other, "photo.viewed", "employee:z")).await.unwrap();
    assert!(store.verify_audit().await.unwrap().is_empty(), "an untouched log verifies");
    let entries = store.audit_entries(company, &AuditFilter::default(), 10, 0).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(entries[0].prev_hash, entries[1].hash, "each entry carries the hash of the one before");

    let url = store_url(&store);
    by_hand(&store, &url, "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2 AND action = 'consent.recorded'").await;
    let problems = store.verify_audit().await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, company);
    assert!(problems[0].1.contains("entry 2") && problems[0].1.contains("changed"), "{problems:?}");
    by_hand(&store, &url, "DELETE FROM audit_log WHERE action = 'consent.recorded'").await;
    let problems = store.verify_audit().await.unwrap();
    assert!(problems[0].1.contains("entry 2 is missing"), "{problems:?}");
}

async fn the_audit_log_filters_by_employee_actor_kind_and_date(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let ada = employee(&store, company, "1").await;
    let bo = employee(&store, company, "2").await;
    let at = |minutes| now() + Duration::minutes(minutes);
    store.audit(&AuditEntry { at: at(0), ..line(company, "photo.viewed", "photo:a").about(ada) }).await.unwrap();
    store
        .audit(&AuditEntry { at: at(10), actor: "system".into(), ..line(company, "template.enrolled", "employee:b").about(bo) })
        .await
        .unwrap();
    store.audit(&AuditEntry { at: at(20), ..line(company, "photo.viewed", "photo:b").about(bo) }).await.unwrap();
    let actions = |entries: Vec<ChainedEntry>| entries.into_iter().map(|e| e.entry.action).collect::<Vec<_>>();
    let about_bo = AuditFilter { employee: Some(bo), ..AuditFilter::default() };
    assert_eq!(actions(store.audit_entries(company, &about_bo, 10, 0).await.unwrap()), ["photo.viewed", "template.enrolled"]);
    let by_system = AuditFilter { actor: Some("system".into()), ..AuditFilter::default() };
    assert_eq!(actions(store.audit_entries(company, &by_system, 10, 0).await.unwrap()), ["template.enrolled"]);
    let photo_views = AuditFilter { action: Some("photo".into()), ..AuditFilter::default() };
    assert_eq!(store.audit_entries(company, &photo_views, 10, 0).await.unwrap().len(), 2);
    let window = AuditFilter { from: Some(at(5)), to: Some(at(15)), ..AuditFilter::default() };
    assert_eq!(actions(store.audit_entries(company, &window, 10, 0).await.unwrap()), ["template.enrolled"]);
    assert_eq!(store.audit_entries(company, &AuditFilter::default(), 1, 1).await.unwrap().len(), 1, "paged");
}

async fn policies_are_versioned_and_releases_recorded(store: Db) {
    use clockface_domain::privacy::{Jurisdiction, RetentionSettings};
    let company = company(&store, "ana@acme.test").await;
    let admin = store.admin_login("ana@acme.test").await.unwrap().unwrap().id;
    assert_eq!(store.policy(company, None).await.unwrap(), None);
    let illinois = RetentionSettings { jurisdiction: Jurisdiction::Illinois, photo_days: 90, reconsent: true };
    let first = store.publish_policy(company, illinois, Some(admin), now(), &line(company, "policy.published", "company")).await.unwrap();
    assert_eq!((first.version, first.settings), (1, illinois));
    let texas = RetentionSettings { jurisdiction: Jurisdiction::Texas, photo_days: 30, reconsent: false };
    let second = store
        .publish_policy(company, texas, Some(admin), now() + Duration::days(1), &line(company, "policy.published", "company"))
        .await
        .unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(store.policy(company, None).await.unwrap().unwrap().version, 2, "the current one is the latest");
    assert_eq!(store.policy(company, Some(1)).await.unwrap().unwrap().settings, illinois, "older versions stay readable");
    let other = self::company(&store, "zed@other.test").await;
    assert_eq!(store.policy(other, None).await.unwrap(), None);

    let worker = employee(&store, company, "1").await;
    let signed = Release {
        employee_id: worker,
        release_version: "2026-12".into(),
        policy_version: 2,
        decision: ReleaseDecision::Signed,
        signed_name: Some("Sam Lee".into()),
        device_id: None,
        recorded_by: Some(admin),
        decided_at: now(),
        language: Language::Spanish,
        text_sha256: Some("ab".repeat(32)),
        text: Some("Acme usa clockface para comprobar que la persona que marca entrada o salida es usted.".into()),
        paper_scan_sha256: None,
        withdrawn: None,
    };
    store.record_release(company, &signed, &line(company, "release.signed", "employee:w")).await.unwrap();
    assert_eq!(store.release(company, worker).await.unwrap(), Some(signed.clone()), "the language, hash and text read are kept");
    let declined = Release {
        decision: ReleaseDecision::Declined,
        signed_name: None,
        language: Language::English,
        text: None,
        text_sha256: None,
        ..signed.clone()
    };
    store.record_release(company, &declined, &line(company, "release.declined", "employee:w")).await.unwrap();
    assert_eq!(store.release(company, worker).await.unwrap(), Some(declined));
    assert_eq!(store.release(other, worker).await.unwrap(), None, "scoped to the company");
    assert!(matches!(store.record_release(other, &signed, &line(other, "release.signed", "x")).await, Err(StoreError::NotFound)));

    // A declined release cannot be withdrawn; a signed one can, once, with its audit line.
    let withdrawal = Withdrawal { at: now(), by: admin, reason: "deleted on request: asked on 3 May".into() };
    assert!(!store.withdraw_release(company, worker, &withdrawal, &line(company, "release.withdrawn", "employee:w")).await.unwrap());
    let paper = Release { paper_scan_sha256: Some("cd".repeat(32)), ..signed.clone() };
    store.record_release(company, &paper, &line(company, "release.signed_on_paper", "employee:w")).await.unwrap();
    assert_eq!(store.release(company, worker).await.unwrap().unwrap().paper_scan_sha256, Some("cd".repeat(32)));
    let before = actions(&store, company).await.len();
    assert!(store.withdraw_release(company, worker, &withdrawal, &line(company, "release.withdrawn", "employee:w")).await.unwrap());
    assert!(!store.withdraw_release(company, worker, &withdrawal, &line(company, "release.withdrawn", "employee:w")).await.unwrap());
    assert_eq!(actions(&store, company).await.len(), before + 1, "one audit line, for the one withdrawal");
    let withdrawn = store.release(company, worker).await.unwrap().unwrap();
    assert_eq!(withdrawn.withdrawn, Some(Withdrawal { at: crate_micros(now()), ..withdrawal }));
    assert_eq!(withdrawn.decision, ReleaseDecision::Signed, "the signature stays on record");
    // Signing anew clears it.
    store.record_release(company, &signed, &line(company, "release.signed", "employee:w")).await.unwrap();
    assert_eq!(store.release(company, worker).await.unwrap().unwrap().withdrawn, None);
    assert!(!store.policy(company, Some(2)).await.unwrap().unwrap().settings.reconsent, "the policy keeps whether it asks again");
}

fn crate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    clockface_store::to_micros(at)
}

async fn templates_and_photos_are_destroyed_once_and_logged_without_face_data(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let (worker, device) = (employee(&store, company, "1").await, device(&store, company, "c").await);
    let old = photo_punch(&store, company, worker, device, &"a".repeat(64), now() - Duration::days(100)).await;
    let _recent = photo_punch(&store, company, worker, device, &"b".repeat(64), now()).await;
    let enrolment = photo_record(company, &"c".repeat(64));
    store.add_photo(&enrolment).await.unwrap();
    let template = FaceTemplate {
        id: Uuid::new_v4(),
        company_id: company,
        employee_id: worker,
        embedding: vec![1, 2, 3],
        photo_sha256: "c".repeat(64),
        source: TemplateSource::Upload,
        created_by: None,
        created_at: now() - Duration::days(200),
    };
    store.add_template(&template, &line(company, "template.enrolled", "employee:w")).await.unwrap();
    let enrolled = store.enrolled_employees(company).await.unwrap();
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0].employee_id, worker);
    assert_eq!(enrolled[0].enrolled_at, template.created_at);

    // Photos older than the cut-off that no template holds on to.
    let due = store.photos_due(company, now() - Duration::days(30), 100).await.unwrap();
    assert_eq!(due.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>(), ["a".repeat(64)], "not the recent one, not the enrolment photo");
    assert_eq!(due[0].employee_id, Some(worker));
    let log = |kind, employee| Destruction {
        company_id: company,
        at: now(),
        kind,
        employee_id: employee,
        count: 1,
        policy_version: Some(1),
        reason: "retention".into(),
    };
    // Two jobs at once: the photo is marked once.
    let (a, b) = futures::future::join(
        store.mark_photo_destroyed(company, &"a".repeat(64), &log("photo", Some(worker))),
        store.mark_photo_destroyed(company, &"a".repeat(64), &log("photo", Some(worker))),
    )
    .await;
    assert_eq!(u8::from(a.unwrap()) + u8::from(b.unwrap()), 1, "one of two jobs marks it");
    assert_eq!(store.photo_destroyed(company, &"a".repeat(64)).await.unwrap(), Some((now(), Some(1))));
    assert!(store.photos_due(company, now(), 100).await.unwrap().iter().all(|p| p.sha256 != "a".repeat(64)), "not due again");
    assert_eq!(store.punch(company, old.id).await.unwrap(), old, "the punch stays");

    let audit = line(company, "templates.destroyed", "employee:w");
    let (first, second) = futures::future::join(
        store.destroy_templates(company, worker, &log("templates", Some(worker)), &audit),
        store.destroy_templates(company, worker, &log("templates", Some(worker)), &audit),
    )
    .await;
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.0 + second.0, 1, "the template is destroyed once");
    assert!(first.1 == ["c".repeat(64)] || second.1 == ["c".repeat(64)], "its photo comes back to be destroyed too");
    assert!(store.templates(company, worker).await.unwrap().is_empty());
    let destroyed = store.destruction_log(company, 10).await.unwrap();
    assert_eq!(destroyed.iter().map(|d| d.kind).collect::<Vec<_>>(), ["templates", "photo"], "logged once each, newest first");
    assert_eq!(actions(&store, company).await.iter().filter(|a| *a == "templates.destroyed").count(), 1);
}

async fn leaving_is_recorded_when_an_employee_is_made_inactive(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    let worker = employee(&store, company, "1").await;
    let current = store.employee(company, worker).await.unwrap();
    assert_eq!(current.left_at, None);
    let role = current.role_id;
    let before = Utc::now() - Duration::seconds(1);
    let left = store
        .update_employee(company, worker, &EmployeeFields { active: false, ..fields("Sam", "1", role, PinChange::Keep) })
        .await
        .unwrap();
    let left_at = left.left_at.expect("made inactive: left");
    assert!(left_at >= before);
    let again = store
        .update_employee(company, worker, &EmployeeFields { active: false, ..fields("Sam", "1", role, PinChange::Keep) })
        .await
        .unwrap();
    assert_eq!(again.left_at, Some(left_at), "saving an inactive employee again keeps the day they left");
    let back = store.update_employee(company, worker, &fields("Sam", "1", role, PinChange::Keep)).await.unwrap();
    assert_eq!(back.left_at, None, "back at work");
}

// Payroll.

use clockface_domain::correction::{Correction, CorrectionAction, Reason, Replaces};
use clockface_domain::ids::{AdminId, CorrectionId};
use clockface_domain::payroll::{MealDeduction, PayFrequency, PayPeriod, PayrollSettings};

async fn company_and_admin(store: &Db, email: &str) -> (CompanyId, AdminId) {
    let (company, admin) = store
        .create_company(NewCompany {
            name: CompanyName::parse("Acme Paving").unwrap(),
            time_zone: chrono_tz::America::Chicago,
            admin_email: Email::parse(email).unwrap(),
            admin_password_hash: "$argon2id$fake".into(),
            now: now(),
            min_pin_digits: 6,
        })
        .await
        .unwrap();
    (company.id, admin)
}

fn period() -> PayPeriod {
    PayPeriod { start: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), end: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap() }
}

fn correction(
    company: CompanyId,
    employee: EmployeeId,
    admin: AdminId,
    action: CorrectionAction,
    replaces: Option<Replaces>,
    at: Option<DateTime<Utc>>,
) -> Correction {
    Correction {
        id: CorrectionId::new(),
        company_id: company,
        employee_id: employee,
        action,
        replaces,
        kind: PunchKind::Out,
        at,
        reason: Reason::parse("forgot to clock out").unwrap(),
        made_by: admin,
        made_at: now(),
    }
}

async fn payroll_settings_start_as_defaults_and_are_saved_with_their_audit_line(store: Db) {
    let (company, _) = company_and_admin(&store, "a@acme.example").await;
    assert_eq!(store.payroll_settings(company).await.unwrap(), PayrollSettings::default());
    let mut settings = PayrollSettings::default();
    settings.schedule.frequency = PayFrequency::Biweekly;
    settings.schedule.anchor = chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    settings.schedule.workweek_starts = chrono::Weekday::Sun;
    settings.overtime = OvertimeRule::California;
    settings.meal = Some(MealDeduction::new(360, 30).unwrap());
    settings.codes.adp_company_code = "ABC".into();
    settings.codes.quickbooks_company_create_time = "1045678901".into();
    settings.require_approval_before_export = true;
    store.set_payroll_settings(company, &settings, now(), &line(company, "payroll.settings", "company")).await.unwrap();
    assert_eq!(store.payroll_settings(company).await.unwrap(), settings);
    settings.meal = None;
    store.set_payroll_settings(company, &settings, now(), &line(company, "payroll.settings", "company")).await.unwrap();
    assert_eq!(store.payroll_settings(company).await.unwrap().meal, None);
    assert_eq!(actions(&store, company).await, ["payroll.settings", "payroll.settings"]);
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    assert_eq!(store.payroll_settings(other).await.unwrap(), PayrollSettings::default());
}

async fn a_correction_is_a_new_record_and_the_devices_punch_stays(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let worker = employee(&store, company, "7").await;
    let tablet = device(&store, company, "CODE1").await;
    let out = punch(company, worker, tablet, PunchKind::Out, now());
    store.insert_punch(&out, None).await.unwrap();
    let moved = correction(company, worker, admin, CorrectionAction::Move, Some(Replaces::Punch(out.id)), Some(now() - Duration::hours(2)));
    store.insert_correction(&moved, Some(out.occurred_at), period(), &line(company, "correction.move", "employee")).await.unwrap();
    let added = correction(company, worker, admin, CorrectionAction::Add, None, Some(now() + Duration::hours(30)));
    store.insert_correction(&added, None, period(), &line(company, "correction.add", "employee")).await.unwrap();
    let again = correction(company, worker, admin, CorrectionAction::Void, Some(Replaces::Added(added.id)), None);
    store.insert_correction(&again, added.at, period(), &line(company, "correction.void", "employee")).await.unwrap();
    // The device's punch is exactly as it arrived.
    assert_eq!(store.punch(company, out.id).await.unwrap(), store.punch_by_client_id(company, out.client_id).await.unwrap().unwrap());
    assert_eq!(store.punch(company, out.id).await.unwrap().occurred_at, out.occurred_at);
    // Read back by the time they place, or by their target's time; oldest first.
    let day = store.corrections(company, Some(worker), now() - Duration::hours(12), now() + Duration::hours(12)).await.unwrap();
    assert_eq!(day, vec![moved.clone()]);
    let later = store.corrections(company, None, now() + Duration::hours(24), now() + Duration::hours(48)).await.unwrap();
    assert_eq!(later, vec![added.clone(), again.clone()]);
    assert_eq!(store.correction(company, added.id).await.unwrap(), added);
    assert_eq!(actions(&store, company).await, ["correction.move", "correction.add", "correction.void"]);
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    assert!(matches!(store.correction(other, added.id).await, Err(StoreError::NotFound)));
    assert!(store.corrections(other, None, now() - Duration::days(9), now() + Duration::days(9)).await.unwrap().is_empty());
}

async fn a_correction_names_only_this_employees_punches(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let worker = employee(&store, company, "7").await;
    let someone_else = employee(&store, company, "8").await;
    let tablet = device(&store, company, "CODE1").await;
    let theirs = punch(company, someone_else, tablet, PunchKind::In, now());
    store.insert_punch(&theirs, None).await.unwrap();
    let wrong = correction(company, worker, admin, CorrectionAction::Void, Some(Replaces::Punch(theirs.id)), None);
    let refused = store.insert_correction(&wrong, Some(now()), period(), &line(company, "correction.void", "employee")).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    // Nothing was kept of the refused correction, not even its audit line.
    assert!(store.corrections(company, None, now() - Duration::days(1), now() + Duration::days(1)).await.unwrap().is_empty());
    assert!(actions(&store, company).await.is_empty());
}

async fn an_approved_card_refuses_corrections_until_reopened(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let worker = employee(&store, company, "7").await;
    let approval = Approval {
        period: period(),
        window: (now() - Duration::days(3), now() + Duration::days(4)),
        approved_by: admin,
        approved_at: now(),
        figures: None,
    };
    store
        .approve(company, &approval_of(ApprovalOf::Card(worker), &approval, vec![]), &line(company, "card.approved", "employee"))
        .await
        .unwrap();
    let approvals = store.approvals(company, period()).await.unwrap();
    assert_eq!(approvals.cards.get(&worker), Some(&approval));
    assert_eq!(approvals.lock(worker), Some(&approval));
    let add = correction(company, worker, admin, CorrectionAction::Add, None, Some(now()));
    let refused = store.insert_correction(&add, None, period(), &line(company, "correction.add", "employee")).await;
    assert!(matches!(refused, Err(StoreError::Locked)), "{refused:?}");
    // Another period is not locked.
    let next = PayPeriod { start: period().end + Duration::days(1), end: period().end + Duration::days(7) };
    let elsewhere = correction(company, worker, admin, CorrectionAction::Add, None, Some(now() + Duration::days(7)));
    store.insert_correction(&elsewhere, None, next, &line(company, "correction.add", "employee")).await.unwrap();
    assert!(store.reopen(company, Some(worker), period(), &line(company, "card.reopened", "employee")).await.unwrap());
    assert!(!store.reopen(company, Some(worker), period(), &line(company, "card.reopened", "employee")).await.unwrap());
    store.insert_correction(&add, None, period(), &line(company, "correction.add", "employee")).await.unwrap();
    // The admin's approval of the period locks every card in it (the figures counted the one correction in its window).
    let whole = NewApproval { corrections_counted: 1, ..approval_of(ApprovalOf::Period, &approval, vec![]) };
    store.approve(company, &whole, &line(company, "period.approved", "period")).await.unwrap();
    let refused = correction(company, worker, admin, CorrectionAction::Add, None, Some(now()));
    assert!(matches!(store.insert_correction(&refused, None, period(), &line(company, "x", "y")).await, Err(StoreError::Locked)));
    assert_eq!(store.approvals(company, period()).await.unwrap().period, Some(approval));
    // A punch made in the window that reaches the server after the approval is listed; one before it is not.
    let tablet = device(&store, company, "CODE1").await;
    let on_time = punch(company, worker, tablet, PunchKind::In, now() - Duration::hours(1));
    store.insert_punch(&on_time, None).await.unwrap();
    let mut late = punch(company, worker, tablet, PunchKind::Out, now() + Duration::hours(1));
    late.received_at = now() + Duration::days(1);
    store.insert_punch(&late, None).await.unwrap();
    let listed: Vec<PunchId> = store.arrived_after_approval(company, None, 10).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(listed, vec![late.id]);
    assert_eq!(actions(&store, company).await, ["card.approved", "correction.add", "card.reopened", "correction.add", "period.approved"]);
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    assert_eq!(store.approvals(other, period()).await.unwrap(), PeriodApprovals::default());
}

async fn a_periods_punches_are_read_together_within_the_company(store: Db) {
    let (company, _) = company_and_admin(&store, "a@acme.example").await;
    let a = employee(&store, company, "1").await;
    let b = employee(&store, company, "2").await;
    let tablet = device(&store, company, "CODE1").await;
    for (who, hours) in [(a, 0), (b, 1), (a, 8), (b, 9), (a, 200)] {
        store.insert_punch(&punch(company, who, tablet, PunchKind::In, now() + Duration::hours(hours)), None).await.unwrap();
    }
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    let stranger = employee(&store, other, "1").await;
    let their_tablet = device(&store, other, "CODE2").await;
    store.insert_punch(&punch(other, stranger, their_tablet, PunchKind::In, now()), None).await.unwrap();
    let rows = store.period_punches(company, now() - Duration::hours(1), now() + Duration::hours(24)).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.employee_id == a || r.employee_id == b));
    assert!(rows.iter().all(|r| !r.has_photo && r.verdict.is_none()));
    let mut a_rows: Vec<_> = rows.iter().filter(|r| r.employee_id == a).map(|r| r.occurred_at).collect();
    a_rows.sort();
    assert_eq!(a_rows, [now(), now() + Duration::hours(8)]);
    // The window holds its start and not its end; a window with no punch reads none.
    let edges = store.period_punches(company, now() + Duration::hours(1), now() + Duration::hours(8)).await.unwrap();
    assert_eq!(edges.iter().map(|r| (r.employee_id, r.occurred_at)).collect::<Vec<_>>(), [(b, now() + Duration::hours(1))]);
    assert!(store.period_punches(company, now() + Duration::days(30), now() + Duration::days(31)).await.unwrap().is_empty());
    // A window of days is read in two halves: each punch once, the middle instant's and the
    // edges' included as one window would.
    let (from, to) = (now() + Duration::days(40), now() + Duration::days(54));
    let middle = from + (to - from) / 2;
    for at in [from, middle - Duration::microseconds(1), middle, to - Duration::microseconds(1), to] {
        store.insert_punch(&punch(company, b, tablet, PunchKind::In, at), None).await.unwrap();
    }
    let mut read: Vec<_> = store.period_punches(company, from, to).await.unwrap().into_iter().map(|r| r.occurred_at).collect();
    read.sort();
    assert_eq!(read, [from, middle - Duration::microseconds(1), middle, to - Duration::microseconds(1)]);

    // Every field a card and an export read comes back as stored: a photo and its verdict, a job
    // and cost code, a flag, a break, when it arrived, and times to the microsecond.
    let job = store.save_job(company, None, &job_fields("J-7", "Depot")).await.unwrap();
    let code = store.save_cost_code(company, None, &code_fields("100", &[job.id])).await.unwrap();
    let at = now() + Duration::hours(2) + Duration::microseconds(123_457);
    let mut full = photo_punch(&store, company, a, tablet, &"c".repeat(64), at).await;
    store.complete_verification_job(&verification(&full, Verdict::Mismatch), None).await.unwrap();
    // A second worker finishing the same job later changes nothing: the punch keeps its first verdict.
    store.complete_verification_job(&verification(&full, Verdict::Match), None).await.unwrap();
    full = Punch {
        id: PunchId::new(),
        client_id: Uuid::new_v4(),
        kind: PunchKind::Out,
        occurred_at: at + Duration::minutes(30),
        received_at: now() + Duration::hours(30) + Duration::microseconds(7),
        flagged: true,
        on_break: true,
        job_id: Some(job.id),
        cost_code_id: Some(code.id),
        ..full
    };
    store.insert_punch(&full, Some(&photo_record(company, &"c".repeat(64)))).await.unwrap();
    let rows = store.period_punches(company, now() - Duration::hours(1), now() + Duration::hours(24)).await.unwrap();
    let verified = rows.iter().find(|r| r.occurred_at == at).expect("the verified photo punch");
    assert_eq!((verified.kind, verified.has_photo, verified.verdict), (PunchKind::In, true, Some(Verdict::Mismatch)));
    assert_eq!((verified.flagged, verified.on_break, verified.job_id, verified.cost_code_id), (false, false, None, None));
    let read = rows.iter().find(|r| r.id == full.id).expect("the punch with every field");
    assert_eq!(read.employee_id, a);
    assert_eq!((read.kind, read.occurred_at, read.received_at), (PunchKind::Out, full.occurred_at, full.received_at));
    assert_eq!((read.flagged, read.has_photo, read.on_break, read.verdict), (true, true, true, None));
    assert_eq!((read.job_id, read.cost_code_id), (Some(job.id), Some(code.id)));
}

/// A punch of an approved card's window that reaches the server after the approval's instant,
/// stored at the same moment as the approval is: whichever commits second sees the first (the
/// approval takes the company's row first, each punch holds a share of it), so the punch is always
/// marked as arrived after approval, never missed by both.
async fn a_punch_racing_its_cards_approval_is_always_marked_as_arrived_after_it(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let tablet = device(&store, company, "CODE1").await;
    let mut late = Vec::new();
    for n in 0..16 {
        let worker = employee(&store, company, &format!("{}", 100 + n)).await;
        let approval = Approval {
            period: period(),
            window: (now() - Duration::days(3), now() + Duration::days(4)),
            approved_by: admin,
            approved_at: now(),
            figures: None,
        };
        let mut p = punch(company, worker, tablet, PunchKind::In, now() - Duration::hours(2));
        p.received_at = now() + Duration::seconds(1);
        let new = approval_of(ApprovalOf::Card(worker), &approval, vec![]);
        let audit = line(company, "card.approved", "employee");
        let (approved, stored) = tokio::join!(store.approve(company, &new, &audit), store.insert_punch(&p, None));
        approved.unwrap();
        stored.unwrap();
        late.push(p.id);
    }
    let mut marked: Vec<PunchId> = store.arrived_after_approval(company, None, 100).await.unwrap().iter().map(|p| p.id).collect();
    marked.sort_by_key(|id| id.0);
    late.sort_by_key(|id| id.0);
    assert_eq!(marked, late, "every punch that arrived after its card's approval is marked, whichever committed first");
}

/// An approval to record, counting no corrections.
fn approval_of(of: ApprovalOf, approval: &Approval, figures: Vec<(EmployeeId, ApprovedFigures)>) -> NewApproval {
    NewApproval { of, approval: approval.clone(), figures, corrections_counted: 0, counted_in: approval.window }
}

fn figures(regular_hours: i64) -> ApprovedFigures {
    ApprovedFigures {
        rules: ApprovedRules { overtime: OvertimeRule::Federal, workweek_starts: chrono::Weekday::Mon, meal: None, breaks_paid: false },
        seconds: regular_hours * 3600,
        pay: PayHours { regular_seconds: regular_hours * 3600, overtime_seconds: 0, double_time_seconds: 0 },
        meal_deducted_seconds: 0,
        break_seconds: 0,
        days: vec![],
        weeks: vec![],
        jobs: vec![],
        time_off: None,
        time_off_codes: Vec::new(),
    }
}

async fn approvals_keep_the_figures_they_froze(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let (grace, sam) = (employee(&store, company, "1").await, employee(&store, company, "2").await);
    let approval = Approval {
        period: period(),
        window: (now() - Duration::days(3), now() + Duration::days(4)),
        approved_by: admin,
        approved_at: now(),
        figures: None,
    };
    // A card's approval keeps its figures; approving again keeps the first.
    let card = approval_of(ApprovalOf::Card(grace), &approval, vec![(grace, figures(34))]);
    store.approve(company, &card, &line(company, "card.approved", "employee")).await.unwrap();
    let again = approval_of(ApprovalOf::Card(grace), &approval, vec![(grace, figures(99))]);
    store.approve(company, &again, &line(company, "card.approved", "employee")).await.unwrap();
    let approvals = store.approvals(company, period()).await.unwrap();
    assert_eq!(approvals.figures(grace), Some(&figures(34)));
    assert_eq!(approvals.figures(sam), None, "not approved");

    // The period's approval freezes the other cards; a card's own figures stay first.
    let whole = approval_of(ApprovalOf::Period, &approval, vec![(sam, figures(40))]);
    store.approve(company, &whole, &line(company, "period.approved", "period")).await.unwrap();
    let approvals = store.approvals(company, period()).await.unwrap();
    assert_eq!((approvals.figures(grace), approvals.figures(sam)), (Some(&figures(34)), Some(&figures(40))));
    assert_eq!(store.approved_periods(company).await.unwrap(), vec![period()]);
    assert!(store.unfrozen_approvals().await.unwrap().is_empty());

    // Reopening the period drops its figures; the card approved on its own keeps its own.
    assert!(store.reopen(company, None, period(), &line(company, "period.reopened", "period")).await.unwrap());
    let approvals = store.approvals(company, period()).await.unwrap();
    assert_eq!((approvals.figures(grace), approvals.figures(sam)), (Some(&figures(34)), None));

    // A correction made after the figures were counted fails the approval, and nothing is kept.
    let add = correction(company, sam, admin, CorrectionAction::Add, None, Some(now()));
    store.insert_correction(&add, None, period(), &line(company, "correction.add", "employee")).await.unwrap();
    let stale = approval_of(ApprovalOf::Card(sam), &approval, vec![(sam, figures(40))]);
    let before = actions(&store, company).await.len();
    assert!(matches!(store.approve(company, &stale, &line(company, "card.approved", "employee")).await, Err(StoreError::Conflict)));
    assert_eq!(actions(&store, company).await.len(), before, "no audit line for an approval that was not made");
    let counted = NewApproval { corrections_counted: 1, ..stale };
    store.approve(company, &counted, &line(company, "card.approved", "employee")).await.unwrap();
    assert_eq!(store.approvals(company, period()).await.unwrap().figures(sam), Some(&figures(40)));
}

async fn approvals_of_earlier_releases_are_frozen_once(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let worker = employee(&store, company, "1").await;
    let approval = Approval {
        period: period(),
        window: (now() - Duration::days(3), now() + Duration::days(4)),
        approved_by: admin,
        approved_at: now(),
        figures: None,
    };
    store
        .approve(company, &approval_of(ApprovalOf::Card(worker), &approval, vec![]), &line(company, "card.approved", "employee"))
        .await
        .unwrap();
    store.approve(company, &approval_of(ApprovalOf::Period, &approval, vec![]), &line(company, "period.approved", "period")).await.unwrap();
    let unfrozen = store.unfrozen_approvals().await.unwrap();
    assert_eq!(unfrozen.len(), 2, "{unfrozen:?}");
    for approval in &unfrozen {
        store.freeze_approval(approval, &[(worker, figures(8))], &line(company, "approval.figures_frozen", "period")).await.unwrap();
    }
    assert!(store.unfrozen_approvals().await.unwrap().is_empty());
    let before = actions(&store, company).await.len();
    // Freezing again changes nothing and writes nothing.
    store.freeze_approval(&unfrozen[0], &[(worker, figures(99))], &line(company, "approval.figures_frozen", "period")).await.unwrap();
    assert_eq!(store.approvals(company, period()).await.unwrap().figures(worker), Some(&figures(8)));
    assert!(actions(&store, company).await.len() <= before + 1);
}

async fn the_audit_chain_is_checked_against_heads_witnessed_outside_it(store: Db) {
    let company = company(&store, "ana@acme.test").await;
    for action in ["photo.viewed", "consent.recorded", "punch.reviewed"] {
        store.audit(&line(company, action, "employee:y")).await.unwrap();
    }
    let heads = store.audit_heads().await.unwrap();
    let head = heads.iter().find(|h| h.company == company).unwrap().clone();
    assert_eq!(head.seq, 3);
    assert!(store.verify_audit_against(&heads).await.unwrap().is_empty(), "the chain reaches its witnessed head");

    // The tail cut and the head rewound to match: the chain alone holds, the witness does not.
    let url = store_url(&store);
    by_hand(&store, &url, "DELETE FROM audit_log WHERE seq = 3").await;
    let second: String = store.audit_entries(company, &AuditFilter::default(), 1, 0).await.unwrap()[0].hash.clone();
    by_hand(&store, &url, &format!("UPDATE audit_heads SET seq = 2, hash = '{second}'")).await;
    assert!(store.verify_audit().await.unwrap().is_empty(), "the chain alone cannot see a cut tail with its head rewound");
    let problems = store.verify_audit_against(std::slice::from_ref(&head)).await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].1.contains("entries 3 to 3 were cut off"), "{problems:?}");
    // A witnessed head whose entry was rewritten in place.
    let forged = AuditHead { seq: 2, hash: "0".repeat(64), ..head };
    assert!(store.verify_audit_against(&[forged]).await.unwrap()[0].1.contains("rewritten"));
}

async fn exports_are_recorded_and_earlier_ones_told(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let first = ExportRecord { format: "csv".into(), exported_by: admin, exported_at: now(), figures: None };
    assert!(store.record_export(company, period(), &first, &line(company, "period.exported", "period")).await.unwrap().is_empty());
    let worker = employee(&store, company, "12").await;
    let said = vec![ExportedEmployee {
        employee_id: worker,
        number: "12".into(),
        name: "Grace Hopper".into(),
        pay: PayHours { regular_seconds: 34 * 3600 + 1800, overtime_seconds: 0, double_time_seconds: 0 },
        time_off_seconds: 8 * 3600,
    }];
    let second =
        ExportRecord { format: "gusto".into(), exported_by: admin, exported_at: now() + Duration::minutes(5), figures: Some(said) };
    let earlier = store.record_export(company, period(), &second, &line(company, "period.exported", "period")).await.unwrap();
    assert_eq!(earlier, vec![first.clone()]);
    assert_eq!(store.exports(company, period()).await.unwrap(), vec![second, first]);
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    assert!(store.exports(other, period()).await.unwrap().is_empty());
}

fn invitation(token: &str, created: DateTime<Utc>) -> NewInvitation {
    NewInvitation { token_hash: token.into(), created_at: created, expires_at: clockface_domain::user::invitation_expires(created) }
}

async fn invite(store: &Db, company: CompanyId, by: AdminId, email: &str, role: UserRole, token: &str) -> User {
    let new = NewUser { email: Email::parse(email).unwrap(), name: String::new(), role, invited_by: by, now: now() };
    store.invite_user(company, &new, &invitation(token, now()), &line(company, "user.invited", "user")).await.unwrap()
}

async fn users_are_invited_accept_once_and_can_be_turned_off(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let first = store.user(company, admin).await.unwrap();
    assert_eq!((first.role, first.status(now())), (UserRole::Admin, UserStatus::Active), "the first admin, from before users existed");
    let sue = invite(&store, company, admin, "Sue@Acme.example", UserRole::Supervisor, "hash-1").await;
    assert_eq!((sue.email.as_str(), sue.role, sue.invited_by), ("sue@acme.example", UserRole::Supervisor, Some(admin)));
    assert_eq!(sue.status(now()), UserStatus::Invited);
    assert_eq!(sue.status(now() + Duration::days(8)), UserStatus::InvitationExpired);
    assert!(!sue.has_password);
    // The e-mail address is a sign-in name: unique everywhere.
    let (other, other_admin) = company_and_admin(&store, "b@other.example").await;
    let again = NewUser {
        email: Email::parse("sue@acme.example").unwrap(),
        name: String::new(),
        role: UserRole::Admin,
        invited_by: other_admin,
        now: now(),
    };
    let taken = store.invite_user(other, &again, &invitation("hash-x", now()), &line(other, "user.invited", "user")).await;
    assert!(matches!(taken, Err(StoreError::Duplicate(Unique::AdminEmail))), "{taken:?}");
    assert!(actions(&store, other).await.is_empty(), "a refused invitation leaves no audit line");
    // A new link replaces the old one.
    store.renew_invitation(company, sue.id, &invitation("hash-2", now()), &line(company, "user.invitation_renewed", "user")).await.unwrap();
    assert!(store.invitation("hash-1", now()).await.unwrap().is_none());
    assert_eq!(store.invitation("hash-2", now()).await.unwrap().map(|u| u.id), Some(sue.id));
    assert!(store.invitation("hash-2", now() + Duration::days(8)).await.unwrap().is_none(), "an expired link does not work");
    // Accepting sets the password once; the link is used up.
    let login =
        store.accept_invitation("hash-2", "Sue Park", "$argon2id$sue", now(), &line(company, "user.accepted", "user")).await.unwrap();
    let login = login.expect("the link works");
    assert_eq!((login.id, login.password_hash.as_str(), login.disabled), (sue.id, "$argon2id$sue", false));
    assert!(store
        .accept_invitation("hash-2", "Eve", "$argon2id$eve", now(), &line(company, "user.accepted", "user"))
        .await
        .unwrap()
        .is_none());
    let sue = store.user(company, sue.id).await.unwrap();
    assert_eq!((sue.name.as_str(), sue.status(now()), sue.invitation_expires_at), ("Sue Park", UserStatus::Active, None));
    assert!(
        matches!(
            store.renew_invitation(company, sue.id, &invitation("hash-3", now()), &line(company, "x", "user")).await,
            Err(StoreError::NotFound)
        ),
        "an accepted user gets no new link"
    );
    // Turning access off ends the sessions at once, and the sign-in sees it.
    let session = Session {
        token_hash: "sue-session".into(),
        admin_id: sue.id,
        company_id: company,
        admin_email: sue.email.clone(),
        role: UserRole::Supervisor,
        csrf_token: "c".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(8),
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session("sue-session", now()).await.unwrap().map(|s| s.role), Some(UserRole::Supervisor));
    let promoted = store.update_user(company, sue.id, UserRole::Admin, true, now(), &line(company, "user.changed", "user")).await.unwrap();
    assert_eq!(promoted.role, UserRole::Admin);
    assert_eq!(store.session("sue-session", now()).await.unwrap().map(|s| s.role), Some(UserRole::Admin), "a role change counts at once");
    let off = store.update_user(company, sue.id, UserRole::Admin, false, now(), &line(company, "user.changed", "user")).await.unwrap();
    assert_eq!(off.status(now()), UserStatus::Off);
    assert!(store.session("sue-session", now()).await.unwrap().is_none());
    assert!(store.admin_login("sue@acme.example").await.unwrap().unwrap().disabled);
    let on = store.update_user(company, sue.id, UserRole::Supervisor, true, now(), &line(company, "user.changed", "user")).await.unwrap();
    assert_eq!(on.status(now()), UserStatus::Active);
    // Another company reaches none of it.
    assert!(matches!(store.user(other, sue.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.update_user(other, sue.id, UserRole::Admin, true, now(), &line(other, "x", "y")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.users(company).await.unwrap().iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["a@acme.example", "sue@acme.example"]
    );
    assert_eq!(
        actions(&store, company).await,
        ["user.invited", "user.invitation_renewed", "user.accepted", "user.changed", "user.changed", "user.changed"]
    );
}

async fn a_supervisor_reaches_only_their_assigned_employees(store: Db) {
    let (company, admin) = company_and_admin(&store, "a@acme.example").await;
    let sue = invite(&store, company, admin, "sue@acme.example", UserRole::Supervisor, "hash-1").await;
    let (mine, theirs) = (employee(&store, company, "1").await, employee(&store, company, "2").await);
    store.set_assigned_employees(company, sue.id, &[mine, mine], &line(company, "user.assigned", "user")).await.unwrap();
    assert_eq!(store.assigned_employees(company, sue.id).await.unwrap(), vec![mine]);
    assert_eq!(store.user(company, sue.id).await.unwrap().assigned, 1);
    // Someone else's employee cannot be assigned, and nothing changes.
    let (other, _) = company_and_admin(&store, "b@other.example").await;
    let stranger = employee(&store, other, "1").await;
    let refused = store.set_assigned_employees(company, sue.id, &[theirs, stranger], &line(company, "user.assigned", "user")).await;
    assert!(matches!(refused, Err(StoreError::UnknownEmployee)), "{refused:?}");
    assert_eq!(store.assigned_employees(company, sue.id).await.unwrap(), vec![mine]);
    // The review queue, its count and the late punches narrow to the supervisor's employees.
    let tablet = device(&store, company, "c").await;
    for worker in [mine, theirs] {
        let mut flagged = punch(company, worker, tablet, PunchKind::In, now() - Duration::hours(1));
        flagged.flagged = true;
        flagged.received_at = now() + Duration::days(1);
        store.insert_punch(&flagged, None).await.unwrap();
    }
    let approval = Approval {
        period: period(),
        window: (now() - Duration::days(3), now() + Duration::days(4)),
        approved_by: admin,
        approved_at: now(),
        figures: None,
    };
    store.approve(company, &approval_of(ApprovalOf::Period, &approval, vec![]), &line(company, "period.approved", "period")).await.unwrap();
    let employees_of = |punches: Vec<Punch>| punches.into_iter().map(|p| p.employee_id).collect::<Vec<_>>();
    let queue = store.review_queue(company, Some(sue.id), 50).await.unwrap();
    assert_eq!(employees_of(queue.into_iter().map(|(p, _)| p).collect()), vec![mine]);
    assert_eq!(store.count_review_queue(company, Some(sue.id)).await.unwrap(), 1);
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 2);
    assert_eq!(employees_of(store.arrived_after_approval(company, Some(sue.id), 10).await.unwrap()), vec![mine]);
    assert_eq!(store.arrived_after_approval(company, None, 10).await.unwrap().len(), 2);
    store.set_assigned_employees(company, sue.id, &[], &line(company, "user.assigned", "user")).await.unwrap();
    assert_eq!(store.count_review_queue(company, Some(sue.id)).await.unwrap(), 0, "a supervisor with nobody assigned sees nothing");
}

fn job_fields(number: &str, name: &str) -> JobFields {
    JobFields::parse(&JobInput { number: number.into(), name: name.into(), active: true, ..JobInput::default() }).unwrap()
}

fn code_fields(number: &str, jobs: &[JobId]) -> CostCodeFields {
    CostCodeFields::parse(&CostCodeInput {
        number: number.into(),
        name: format!("Code {number}"),
        all_jobs: jobs.is_empty(),
        job_ids: jobs.to_vec(),
        active: true,
    })
    .unwrap()
}

async fn jobs_have_unique_numbers_and_reach_devices(store: Db) {
    let (company, other) = (company(&store, "a@example.com").await, company(&store, "b@example.com").await);
    let before = store.company(company).await.unwrap().settings_version;
    let mut fields = job_fields("J-1", "Depot");
    fields.geofence = Some(Geofence::parse(41.88, -87.63, 150.0).unwrap());
    fields.address = "1 Main St".into();
    let job = store.save_job(company, None, &fields).await.unwrap();
    assert_eq!(job.geofence, fields.geofence);
    assert_eq!(job.address, "1 Main St");
    assert!(store.company(company).await.unwrap().settings_version > before);
    assert!(matches!(store.save_job(company, None, &job_fields("J-1", "Again")).await, Err(StoreError::Duplicate(Unique::JobNumber))));
    // The same number in another company is another job.
    store.save_job(other, None, &job_fields("J-1", "Theirs")).await.unwrap();

    let mut changed = job_fields("J-1", "Depot North");
    changed.active = false;
    let saved = store.save_job(company, Some(job.id), &changed).await.unwrap();
    assert_eq!((saved.name.as_str(), saved.active, saved.geofence), ("Depot North", false, None));
    assert_eq!(store.job(company, job.id).await.unwrap(), saved);
    assert_eq!(store.jobs(company).await.unwrap(), vec![saved]);
    // Another company's job is not found, nor changed.
    assert!(matches!(store.job(other, job.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.save_job(other, Some(job.id), &changed).await, Err(StoreError::NotFound)));
}

async fn cost_codes_are_for_all_jobs_or_for_the_companys_own(store: Db) {
    let (company, other) = (company(&store, "a@example.com").await, company(&store, "b@example.com").await);
    let a = store.save_job(company, None, &job_fields("J-1", "Alpha")).await.unwrap().id;
    let b = store.save_job(company, None, &job_fields("J-2", "Bravo")).await.unwrap().id;
    let theirs = store.save_job(other, None, &job_fields("J-9", "Theirs")).await.unwrap().id;

    let general = store.save_cost_code(company, None, &code_fields("01-000", &[])).await.unwrap();
    let forms = store.save_cost_code(company, None, &code_fields("03-100", &[b, a])).await.unwrap();
    assert!(general.all_jobs && general.job_ids.is_empty());
    let listed = store.cost_codes(company).await.unwrap();
    assert_eq!(listed.len(), 2);
    // Listed with their jobs by name.
    assert_eq!(listed[1].job_ids, vec![a, b]);
    assert!(matches!(
        store.save_cost_code(company, None, &code_fields("01-000", &[])).await,
        Err(StoreError::Duplicate(Unique::CostCodeNumber))
    ));
    // Another company's job cannot be named, and nothing is left behind.
    assert!(matches!(store.save_cost_code(company, None, &code_fields("04-000", &[theirs])).await, Err(StoreError::UnknownJob)));
    assert_eq!(store.cost_codes(company).await.unwrap().len(), 2);

    let only_a = store.save_cost_code(company, Some(forms.id), &code_fields("03-100", &[a])).await.unwrap();
    assert_eq!(store.cost_code(company, forms.id).await.unwrap().job_ids, vec![a]);
    assert_eq!(only_a.job_ids, vec![a]);
    assert!(matches!(store.cost_code(other, forms.id).await, Err(StoreError::NotFound)));
    assert!(store.cost_codes(other).await.unwrap().is_empty());
}

async fn imports_update_by_number_all_or_nothing(store: Db) {
    let (company, other) = (company(&store, "a@example.com").await, company(&store, "b@example.com").await);
    store.save_job(company, None, &job_fields("J-1", "Old name")).await.unwrap();
    let summary = store.import_jobs(company, &[job_fields("J-1", "New name"), job_fields("J-2", "Bravo")]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (1, 1));
    let jobs = store.jobs(company).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["Bravo", "New name"]);

    let theirs = store.save_job(other, None, &job_fields("J-9", "Theirs")).await.unwrap().id;
    let failed = store.import_cost_codes(company, &[code_fields("01-000", &[]), code_fields("02-000", &[theirs])]).await;
    assert!(matches!(failed, Err(StoreError::UnknownJob)));
    assert!(store.cost_codes(company).await.unwrap().is_empty(), "a failed import leaves nothing");
    let summary = store.import_cost_codes(company, &[code_fields("01-000", &[jobs[0].id])]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (1, 0));
    let summary = store.import_cost_codes(company, &[code_fields("01-000", &[])]).await.unwrap();
    assert_eq!((summary.created, summary.updated), (0, 1));
    assert!(store.cost_codes(company).await.unwrap()[0].all_jobs);
}

async fn who_is_clocked_in_is_read_in_one_query_within_the_company(store: Db) {
    let (company, other) = (company(&store, "a@example.com").await, company(&store, "b@example.com").await);
    let (ana, bo, cy) = (employee(&store, company, "1").await, employee(&store, company, "2").await, employee(&store, company, "3").await);
    let device = device(&store, company, "code-1").await;
    let at = |h: i64| now() - Duration::hours(h);
    // Ana: in. Bo: in then out. Cy: in, then Change job (out and in at the same instant).
    store.insert_punch(&punch(company, ana, device, PunchKind::In, at(3)), None).await.unwrap();
    store.insert_punch(&punch(company, bo, device, PunchKind::In, at(4)), None).await.unwrap();
    store.insert_punch(&punch(company, bo, device, PunchKind::Out, at(1)), None).await.unwrap();
    store.insert_punch(&punch(company, cy, device, PunchKind::In, at(5)), None).await.unwrap();
    store.insert_punch(&punch(company, cy, device, PunchKind::Out, at(2)), None).await.unwrap();
    let mut into = punch(company, cy, device, PunchKind::In, at(2));
    into.received_at = now() + Duration::seconds(1);
    store.insert_punch(&into, None).await.unwrap();
    let working = store.clocked_in(company).await.unwrap();
    assert_eq!(working.iter().map(|p| (p.employee_id, p.occurred_at)).collect::<Vec<_>>(), vec![(ana, at(3)), (cy, at(2))]);
    assert!(store.clocked_in(other).await.unwrap().is_empty());

    // Dee goes on a break: her Start break (a clock-out marked on_break) keeps her in the list,
    // stored and read back as a break; her End break too. A plain clock-out ends it.
    let dee = employee(&store, company, "4").await;
    store.insert_punch(&punch(company, dee, device, PunchKind::In, at(6)), None).await.unwrap();
    let break_start = Punch { on_break: true, ..punch(company, dee, device, PunchKind::Out, at(1)) };
    store.insert_punch(&break_start, None).await.unwrap();
    assert!(store.punch(company, break_start.id).await.unwrap().on_break, "on_break is stored");
    let on_break: Vec<_> = store.clocked_in(company).await.unwrap().into_iter().filter(|p| p.employee_id == dee).collect();
    assert_eq!(on_break.iter().map(|p| (p.kind, p.on_break)).collect::<Vec<_>>(), vec![(PunchKind::Out, true)]);
    let rows = store.period_punches(company, at(7), now()).await.unwrap();
    assert!(rows.iter().any(|r| r.id == break_start.id && r.on_break), "the payroll rows carry on_break");
    store.insert_punch(&punch(company, dee, device, PunchKind::Out, at(0)), None).await.unwrap();
    assert!(store.clocked_in(company).await.unwrap().iter().all(|p| p.employee_id != dee));
}
