//! Who may see a FaceFront photo, without a server: an admin of its company sees it, a supervisor
//! only when it is of one of their employees, anyone else finds nothing (as for a photo that does
//! not exist); each view is written to the audit log about the employee seen, a refusal writes
//! nothing, and a destroyed photo is gone and says when. Each test becomes `<name>::sqlite` and
//! `<name>::postgres`, on a fresh database and photo folder. What only HTTP can show (401 without
//! a session, 404 and 410 answers, `Cache-Control: no-store`) stays in the API tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use clockface_app::photos::{photo_in_reach, view_photo, Viewer};
use clockface_app::AppError;
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId, PunchId};
use clockface_domain::punch::{Punch, PunchKind};
use clockface_domain::user::{Reach, UserRole};
use clockface_store::blobs::BlobStore;
use clockface_store::{AuditEntry, Destruction, EmployeeFields, NewCompany, NewDevice, PhotoRecord, PinChange, Store};
use std::sync::Arc;

/// A company (Acme) with its admin, two employees each with a punch photo, and another company.
struct World {
    store: Arc<dyn Store>,
    blobs: BlobStore,
    _folder: tempfile::TempDir,
    acme: CompanyId,
    admin: AdminId,
    other: CompanyId,
    ana: EmployeeId,
    bo: EmployeeId,
    /// The photos of Ana's and Bo's punches.
    ana_photo: String,
    bo_photo: String,
}

impl World {
    async fn new(store: Arc<dyn Store>, folder: tempfile::TempDir) -> World {
        let blobs = BlobStore::local(&folder.path().join("photos")).unwrap();
        let (acme, admin) = company(&store, "ana@acme.test").await;
        let (other, _) = company(&store, "zed@other.test").await;
        let role = store.roles(acme).await.unwrap()[0].0.id;
        let mut employees = Vec::new();
        for (name, number) in [("Ana Lopez", "1"), ("Bo Diaz", "2")] {
            let fields = EmployeeFields {
                name: EmployeeName::parse(name).unwrap(),
                number: EmployeeNumber::parse(number).unwrap(),
                role_id: role,
                active: true,
                pin: PinChange::Keep,
            };
            employees.push(store.create_employee(acme, &fields).await.unwrap().id);
        }
        store.create_registration_code(acme, "code", t0(), t0() + chrono::Duration::hours(1)).await.unwrap();
        let new = NewDevice { id: DeviceId::new(), name: "Site tablet".into(), token_hash: "token".into(), has_front_camera: true };
        let device = store.register_device("code", &new, t0()).await.unwrap().id;
        let mut photos = Vec::new();
        for employee in &employees {
            let sha = blobs.put(acme, bytes::Bytes::from(format!("jpeg of {employee}"))).await.unwrap();
            store.insert_punch(&punch(acme, *employee, device, &sha), Some(&record(acme, &sha))).await.unwrap();
            photos.push(sha);
        }
        World {
            store,
            blobs,
            _folder: folder,
            acme,
            admin,
            other,
            ana: employees[0],
            bo: employees[1],
            ana_photo: photos[0].clone(),
            bo_photo: photos[1].clone(),
        }
    }

    async fn view(&self, company: CompanyId, reach: &Reach, sha256: &str) -> Result<clockface_app::photos::Photo, AppError> {
        let viewer = Viewer { company, user: self.admin, reach };
        view_photo(self.store.as_ref(), &self.blobs, viewer, sha256, "seen on a time card").await
    }

    /// The company's audit lines about photos being viewed, newest first.
    async fn views(&self, company: CompanyId) -> Vec<AuditEntry> {
        self.store.audit_log(company, 100).await.unwrap().into_iter().filter(|e| e.action == "photo.viewed").collect()
    }

    /// A supervisor to whom only `employee` is assigned.
    fn supervisor_of(&self, employee: EmployeeId) -> Reach {
        Reach::of(AdminId::new(), UserRole::Supervisor, [employee])
    }
}

async fn company(store: &Arc<dyn Store>, email: &str) -> (CompanyId, AdminId) {
    let new = NewCompany {
        name: CompanyName::parse("Acme Paving").unwrap(),
        time_zone: chrono_tz::America::Chicago,
        admin_email: Email::parse(email).unwrap(),
        admin_password_hash: "$argon2id$fake".into(),
        now: t0(),
        min_pin_digits: 6,
    };
    let (company, admin) = store.create_company(new).await.unwrap();
    (company.id, admin)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap()
}

fn record(company: CompanyId, sha256: &str) -> PhotoRecord {
    PhotoRecord {
        company_id: company,
        sha256: sha256.to_owned(),
        content_type: "image/jpeg".into(),
        byte_size: 20,
        width: 640,
        height: 480,
        display_rotation: clockface_domain::device::Rotation::R0,
        created_at: t0(),
    }
}

fn punch(company: CompanyId, employee: EmployeeId, device: DeviceId, sha256: &str) -> Punch {
    Punch {
        id: PunchId::new(),
        company_id: company,
        client_id: uuid::Uuid::new_v4(),
        employee_id: employee,
        device_id: device,
        kind: PunchKind::In,
        occurred_at: t0(),
        utc_offset_minutes: -360,
        received_at: t0(),
        clock_for_by: None,
        photo_sha256: Some(sha256.to_owned()),
        no_photo_reason: None,
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

fn not_found<T: std::fmt::Debug>(result: &Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::NotFound(message)) if message == "no such photo")
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let folder = tempfile::tempdir().expect("temp folder");
                let store = clockface_store::connect(&clockface_store::testing::sqlite_url(folder.path())).await.expect("sqlite store");
                super::$test(super::World::new(store, folder).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let folder = tempfile::tempdir().expect("temp folder");
                let store = clockface_store::connect(&clockface_store::testing::fresh_postgres_url().await).await.expect("postgres store");
                super::$test(super::World::new(store, folder).await).await;
            }
        }
    )*};
}

on_both_backends!(
    an_admin_sees_a_photo_and_the_view_is_audited_about_its_employee,
    a_supervisor_sees_only_their_employees_photos,
    another_companys_photo_is_as_if_it_did_not_exist,
    a_destroyed_photo_is_gone_and_says_when,
);

async fn an_admin_sees_a_photo_and_the_view_is_audited_about_its_employee(world: World) {
    let photo = world.view(world.acme, &Reach::Company, &world.ana_photo).await.unwrap();
    assert_eq!(photo.content_type, "image/jpeg");
    assert_eq!(photo.bytes, world.blobs.get(world.acme, &world.ana_photo).await.unwrap(), "the stored bytes, unchanged");
    let views = world.views(world.acme).await;
    assert_eq!(views.len(), 1, "one line per view");
    assert_eq!(views[0].actor, format!("admin:{}", world.admin));
    assert_eq!(views[0].subject, format!("photo:{}", world.ana_photo));
    assert_eq!(views[0].detail, "seen on a time card");
    assert_eq!(views[0].employee, Some(world.ana), "about the employee seen");
    let (record, owners) = photo_in_reach(world.store.as_ref(), world.acme, &Reach::Company, &world.bo_photo).await.unwrap();
    assert_eq!((record.sha256, owners), (world.bo_photo.clone(), vec![world.bo]));
}

async fn a_supervisor_sees_only_their_employees_photos(world: World) {
    let reach = world.supervisor_of(world.ana);
    world.view(world.acme, &reach, &world.ana_photo).await.unwrap();
    assert!(not_found(&world.view(world.acme, &reach, &world.bo_photo).await), "Bo is not theirs");
    assert!(not_found(&photo_in_reach(world.store.as_ref(), world.acme, &reach, &world.bo_photo).await));
    let views = world.views(world.acme).await;
    assert_eq!(views.iter().map(|v| v.employee).collect::<Vec<_>>(), [Some(world.ana)], "the refusal wrote nothing");
}

async fn another_companys_photo_is_as_if_it_did_not_exist(world: World) {
    let foreign = world.view(world.other, &Reach::Company, &world.ana_photo).await;
    let unknown = world.view(world.acme, &Reach::Company, &"0".repeat(64)).await;
    assert!(not_found(&foreign) && not_found(&unknown), "{foreign:?} {unknown:?}");
    assert_eq!(foreign.unwrap_err().to_string(), unknown.unwrap_err().to_string(), "told alike");
    assert!(world.views(world.acme).await.is_empty() && world.views(world.other).await.is_empty(), "nothing audited");
}

async fn a_destroyed_photo_is_gone_and_says_when(world: World) {
    let destruction = Destruction {
        company_id: world.acme,
        at: t0(),
        kind: "photo",
        employee_id: Some(world.ana),
        count: 1,
        policy_version: Some(3),
        reason: "retention".into(),
    };
    assert!(world.store.mark_photo_destroyed(world.acme, &world.ana_photo, &destruction).await.unwrap());
    match world.view(world.acme, &Reach::Company, &world.ana_photo).await {
        Err(error @ AppError::Gone { code: "photo_destroyed", .. }) => {
            assert_eq!(error.to_string(), "This photo was destroyed on 2026-12-07 under retention policy version 3; its punch is kept.")
        }
        other => panic!("expected the photo to be gone, got {other:?}"),
    }
    // Out of reach, it is not found: being destroyed does not tell a supervisor it existed.
    assert!(not_found(&world.view(world.acme, &world.supervisor_of(world.bo), &world.ana_photo).await));
    assert!(matches!(world.view(world.acme, &world.supervisor_of(world.ana), &world.ana_photo).await, Err(AppError::Gone { .. })));
    assert!(world.views(world.acme).await.is_empty(), "nothing seen, nothing audited");
}
