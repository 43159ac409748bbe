//! What the app's test files share.

/// Runs each named test twice, as `<name>::sqlite` and `<name>::postgres`, each on a fresh
/// database, with the file's own `World` made from the store (`World::new(store)`).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let folder = tempfile::tempdir().expect("temp folder");
                let store = clockface_store::connect(&clockface_store::testing::sqlite_url(folder.path())).await.expect("sqlite store");
                super::$test(super::World::new(store).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let store = clockface_store::connect(&clockface_store::testing::fresh_postgres_url().await).await.expect("postgres store");
                super::$test(super::World::new(store).await).await;
            }
        }
    )*};
}

use chrono::{DateTime, Duration, Utc};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId};
use clockface_domain::user::UserRole;
use clockface_store::{AuditEntry, EmployeeFields, NewCompany, NewDevice, NewInvitation, NewUser, PinChange, Store};
use std::sync::Arc;

/// The company the payroll and time-off stories start from: Acme (Chicago) with its admin, two
/// employees of its first role (Ana and Bo), a supervisor (Sam) to whom Ana is assigned, and a
/// site tablet without a front camera.
#[allow(dead_code)]
pub struct Acme {
    pub store: Arc<dyn Store>,
    pub acme: CompanyId,
    pub admin: AdminId,
    pub supervisor: AdminId,
    pub ana: EmployeeId,
    pub bo: EmployeeId,
    pub device: DeviceId,
}

/// Makes [`Acme`]: the company created at `created`, Sam invited at `invited`, the tablet
/// registered at `registered`.
#[allow(dead_code)]
pub async fn acme(store: Arc<dyn Store>, created: DateTime<Utc>, invited: DateTime<Utc>, registered: DateTime<Utc>) -> Acme {
    let new = NewCompany {
        name: CompanyName::parse("Acme Paving").unwrap(),
        time_zone: chrono_tz::America::Chicago,
        admin_email: Email::parse("ana@acme.test").unwrap(),
        admin_password_hash: "$argon2id$fake".into(),
        now: created,
        min_pin_digits: 6,
    };
    let (company, admin) = store.create_company(new).await.unwrap();
    let acme = company.id;
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
    let (ana, bo) = (employees[0], employees[1]);
    let user = NewUser {
        email: Email::parse("sam@acme.test").unwrap(),
        name: "Sam".into(),
        role: UserRole::Supervisor,
        invited_by: admin,
        now: invited,
    };
    let link = NewInvitation { token_hash: "link".into(), created_at: invited, expires_at: invited + Duration::days(7) };
    let supervisor = store.invite_user(acme, &user, &link, &line(acme, "user.invited")).await.unwrap().id;
    store.set_assigned_employees(acme, supervisor, &[ana], &line(acme, "user.employees_assigned")).await.unwrap();
    store.create_registration_code(acme, "code", registered, registered + Duration::hours(1)).await.unwrap();
    let new = NewDevice { id: DeviceId::new(), name: "Site tablet".into(), token_hash: "token".into(), has_front_camera: false };
    let device = store.register_device("code", &new, registered).await.unwrap().id;
    Acme { store, acme, admin, supervisor, ana, bo, device }
}

/// An audit line in the test admin's name.
#[allow(dead_code)]
pub fn line(company: CompanyId, action: &str) -> AuditEntry {
    clockface_app::audit::audit_entry(company, "admin:test", action, "test", "")
}
