//! `clockface demo`: a company to try clockface with, made through the same code paths as real
//! use: roles (one with FaceFront), employees with PINs, a foreman and crew, a registered tablet
//! and a week of punches with FaceFront photos of real (public-domain) faces.

use crate::config::Config;
use crate::server::{build_state, start};
use anyhow::Context;
use bytes::Bytes;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use clockface_domain::device::Device;
use clockface_domain::ids::{CompanyId, DeviceId, EmployeeId};
use clockface_domain::punch::PunchKind;
use clockface_domain::role::{Abilities, RoleName};
use clockface_store::TemplateSource;
use clockface_store::{DeviceSync, NewDevice};
use clockface_web::api::employees::{employee_fields, EmployeeBody};
use clockface_web::auth::{new_token, registration_code_hash, token_hash, DEVICE_TOKEN_PREFIX};
use clockface_web::punching::{record_punch, PunchBody};
use clockface_web::verification::{enrol, record_consent, NOTICE_VERSION};
use clockface_web::AppState;
use uuid::Uuid;

/// The demo admin's login.
pub const DEMO_EMAIL: &str = "admin@demo.clockface.test";
pub const DEMO_PASSWORD: &str = "clockface-demo";

const HOPPER: &[u8] = include_bytes!("../assets/demo/hopper-1.jpg");
const OBAMA: &[u8] = include_bytes!("../assets/demo/obama-2.jpg");
/// Another photo of the same man, for his enrolment (public domain; see crates/face/tests/fixtures).
const OBAMA_ENROLMENT: &[u8] = include_bytes!("../../face/tests/fixtures/obama-1.jpg");
/// Someone else, clocking out for Grace Hopper once: the review queue's example.
const SOMEONE_ELSE: &[u8] = include_bytes!("../../face/tests/fixtures/biden-1.jpg");

/// Seeds the demo company (unless the data folder has it already), serves it, prints the login.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let state = build_state(config).await?;
    if state.store.admin_login(DEMO_EMAIL).await?.is_none() {
        seed(&state).await.context("cannot create the demo company")?;
    }
    let running = start(config.listen, state).await?;
    println!();
    println!("  clockface demo is running at http://{}", running.addr);
    println!("  Admin pages:  http://{}/admin", running.addr);
    println!("  Admin login:  {DEMO_EMAIL}  /  {DEMO_PASSWORD}");
    println!("  Mobile clock: http://{}/clock  (register it with a code from Manage > Devices)", running.addr);
    println!("  Employee PINs: Grace Hopper 1111, Barack Obama 2222, Ana Ruiz (foreman) 3333, Sam Lee 4444");
    println!("  Data folder:  {}  (delete it to start the demo afresh)", config.data_dir.display());
    println!("  API:          http://{}/api/v1/openapi.json", running.addr);
    println!();
    running.wait().await
}

/// What the demo made, for tests and for the printout.
pub struct Demo {
    pub company: CompanyId,
    pub device: Device,
    pub device_token: String,
    pub employees: Vec<(String, EmployeeId)>,
}

/// Creates the demo company with its people, device and last week's punches.
pub async fn seed(state: &AppState) -> anyhow::Result<Demo> {
    let store = state.store.as_ref();
    let company = crate::create_company(store, "Demo Paving Co.", "America/Chicago", DEMO_EMAIL, DEMO_PASSWORD).await?;
    let roles = store.roles(company.id).await?;
    let role_named =
        |name: &str| roles.iter().find(|(role, _)| role.name.as_str() == name).map(|(role, _)| role.id).context("default role missing");
    let (employee_role, foreman_role) = (role_named("Employee")?, role_named("Foreman")?);
    let face_front = store
        .create_role(
            company.id,
            &RoleName::parse("FaceFront Crew")?,
            Abilities { face_front: true, view_own_time_card: true, ..Abilities::default() },
        )
        .await?;

    let people = [
        ("Grace Hopper", "1001", face_front.id, "1111"),
        ("Barack Obama", "1002", face_front.id, "2222"),
        ("Ana Ruiz", "1003", foreman_role, "3333"),
        ("Sam Lee", "1004", employee_role, "4444"),
    ];
    let mut employees = Vec::new();
    for (name, number, role_id, pin) in people {
        let body = EmployeeBody { name: name.into(), number: number.into(), role_id, active: true, pin: Some(Some(pin.into())) };
        let fields = employee_fields(state, company.id, body).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        employees.push((name.to_owned(), store.create_employee(company.id, &fields).await?.id));
    }
    let id_of = |name: &str| employees.iter().find(|(n, _)| n == name).map(|(_, id)| *id).context("demo employee missing");
    let (hopper, obama, ana, sam) = (id_of("Grace Hopper")?, id_of("Barack Obama")?, id_of("Ana Ruiz")?, id_of("Sam Lee")?);
    store.set_crew(company.id, ana, &[sam]).await?;

    let now = Utc::now();
    let code = "DEMO-TABLET";
    store.create_registration_code(company.id, &registration_code_hash(code), now, now + Duration::minutes(5)).await?;
    let device_token = new_token(DEVICE_TOKEN_PREFIX);
    let new =
        NewDevice { id: DeviceId::new(), name: "Site 4 tablet".into(), token_hash: token_hash(&device_token), has_front_camera: true };
    store.register_device(&registration_code_hash(code), &new, now).await?;
    let version = store.company(company.id).await?.settings_version;
    let sync = DeviceSync { synced_version: version, at: now, has_front_camera: None, photo_rotation: None };
    let device = store.record_sync(company.id, new.id, &sync).await?;

    // Consent, then enrolment, for the two FaceFront employees.
    let admin = store.admin_login(DEMO_EMAIL).await?.context("the demo admin is missing")?.id;
    for (employee, photo) in [(hopper, HOPPER), (obama, OBAMA_ENROLMENT)] {
        record_consent(state, company.id, employee, admin, NOTICE_VERSION)
            .await
            .map_err(|e| anyhow::anyhow!("demo consent refused: {e}"))?;
        enrol(state, company.id, employee, admin, Bytes::from_static(photo), TemplateSource::Upload, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo enrolment refused: {e}"))?;
    }

    // The last five weekdays before today, in the company's time zone.
    let zone = company.time_zone;
    let today = now.with_timezone(&zone).date_naive();
    let days: Vec<NaiveDate> =
        (1..=9).map(|back| today - Duration::days(back)).filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)).take(5).collect();
    for (i, day) in days.iter().enumerate() {
        let jitter = i64::try_from(i * 7 % 11).unwrap_or(0);
        let at = |hour: u32, minute: i64| {
            let local = day.and_hms_opt(hour, 0, 0).unwrap_or_default() + Duration::minutes(minute);
            zone.from_local_datetime(&local).earliest().map(|t| t.fixed_offset())
        };
        // On the most recent day someone else clocked Grace Hopper out: a mismatch to review.
        let hopper_out = if i == 0 { SOMEONE_ELSE } else { HOPPER };
        let shifts = [
            (hopper, None, Some((HOPPER, hopper_out)), at(7, jitter), at(15, 30 + jitter)),
            (obama, None, Some((OBAMA, OBAMA)), at(7, 12 - jitter), at(16, jitter)),
            (ana, None, None, at(6, 50), at(15, 40)),
            (sam, Some(ana), None, at(6, 55), at(15, 40)),
        ];
        for (employee, clock_for_by, photo, start, end) in shifts {
            let photos = [photo.map(|p| p.0), photo.map(|p| p.1)];
            for ((kind, time), photo) in [(PunchKind::In, start), (PunchKind::Out, end)].into_iter().zip(photos) {
                let time = time.context("a demo time does not exist in the time zone")?;
                let body = PunchBody {
                    client_id: Uuid::new_v4(),
                    employee_id: employee,
                    kind,
                    device_time: time.to_rfc3339(),
                    clock_for_by,
                    no_photo_reason: None,
                    settings_version: Some(version),
                    position: None,
                    photo_rotation: None,
                    photo_part: None,
                };
                record_punch(state, &device, body, photo.map(Bytes::from_static))
                    .await
                    .map_err(|e| anyhow::anyhow!("demo punch refused: {e}"))?;
            }
        }
    }
    Ok(Demo { company: company.id, device, device_token, employees })
}
