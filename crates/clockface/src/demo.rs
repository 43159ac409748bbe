//! `clockface demo`: a company to try clockface with, made through the same code paths as real
//! use: roles (one with FaceFront), employees with PINs, a foreman and crew, a registered tablet
//! and a week of punches with FaceFront photos of real (public-domain) faces; and a supervisor.

use crate::config::Config;
use crate::server::{build_state, start};
use anyhow::Context;
use bytes::Bytes;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use clockface_app::audit::audit_entry;
use clockface_app::devices::registration_code_hash;
use clockface_app::employees::EmployeeBody;
use clockface_app::privacy::ReleaseAnswer;
use clockface_app::tokens::{new_token, token_hash, DEVICE_TOKEN_PREFIX};
use clockface_domain::company::Email;
use clockface_domain::device::Device;
use clockface_domain::ids::{CompanyId, CostCodeId, DeviceId, EmployeeId, JobId};
use clockface_domain::job::{CostCodeFields, Geofence, JobFields, JobNumber};
use clockface_domain::privacy::{RetentionSettings, RELEASE_VERSION};
use clockface_domain::punch::PunchKind;
use clockface_domain::role::{Abilities, RoleName};
use clockface_domain::user::{invitation_expires, UserRole};
use clockface_store::ReleaseDecision;
use clockface_store::TemplateSource;
use clockface_store::{DeviceSync, NewDevice, NewInvitation, NewUser};
use clockface_web::privacy::{decide_release, publish_policy, Signer};
use clockface_web::punching::{record_punch, PunchBody};
use clockface_web::verification::enrol;
use clockface_web::AppState;
use uuid::Uuid;

/// The demo admin's login.
pub const DEMO_EMAIL: &str = "admin@demo.clockface.test";
pub const DEMO_PASSWORD: &str = "clockface-demo";
/// The demo supervisor's login (same password): she reaches Ana Ruiz's crew only.
pub const DEMO_SUPERVISOR: &str = "supervisor@demo.clockface.test";

const HOPPER: &[u8] = include_bytes!("../assets/demo/hopper-1.jpg");
const OBAMA: &[u8] = include_bytes!("../assets/demo/obama-2.jpg");
/// Another photo of the same man, for his enrolment (public domain; see crates/face/tests/fixtures).
const OBAMA_ENROLMENT: &[u8] = include_bytes!("../../face/tests/fixtures/obama-1.jpg");
/// Someone else, clocking out for Grace Hopper once: the review queue's example.
const SOMEONE_ELSE: &[u8] = include_bytes!("../../face/tests/fixtures/biden-1.jpg");

/// The demo's people: name, employee number, role, PIN, and the photos of their week.
struct Person {
    name: &'static str,
    number: &'static str,
    role: DemoRole,
    pin: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DemoRole {
    FaceFront,
    Foreman,
    Employee,
}

const PEOPLE: [Person; 4] = [
    Person { name: "Grace Hopper", number: "1001", role: DemoRole::FaceFront, pin: "111111" },
    Person { name: "Barack Obama", number: "1002", role: DemoRole::FaceFront, pin: "222222" },
    Person { name: "Ana Ruiz", number: "1003", role: DemoRole::Foreman, pin: "333333" },
    Person { name: "Sam Lee", number: "1004", role: DemoRole::Employee, pin: "444444" },
];

/// Seeds the demo company (unless the data folder has it already), serves it, prints the login
/// once the face verification of the seeded photos is done (so that its log lines come first).
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let state = build_state(config).await?;
    if state.store.admin_login(DEMO_EMAIL).await?.is_none() {
        seed(&state).await.context("cannot create the demo company")?;
    }
    let running = start(config.listen, state.clone()).await?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while state.store.pending_verification_jobs().await? > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let landing = landing(&state).await?;
    print!("{}", banner(&running.addr.to_string(), &landing, &config.data_dir));
    running.wait().await
}

/// The time card an admin should see first: Grace Hopper's, in the week of the demo's punches.
pub async fn landing(state: &AppState) -> anyhow::Result<String> {
    let admin = state.store.admin_login(DEMO_EMAIL).await?.context("the demo admin is missing")?;
    let company = state.store.company(admin.company_id).await?;
    let employees = state.store.employees(company.id, Some(PEOPLE[0].number)).await?;
    let first = employees.first().context("the demo's first employee is missing")?;
    let monday = demo_week(Utc::now().with_timezone(&company.time_zone).date_naive())[0];
    Ok(format!("/admin/time-cards?employee={}&from={monday}", first.id))
}

/// What the demo prints: where everything is, who may do what, and how to start afresh.
pub fn banner(addr: &str, landing: &str, data_dir: &std::path::Path) -> String {
    let who = |role: DemoRole| {
        PEOPLE.iter().filter(|p| p.role == role).map(|p| format!("{} (PIN {})", p.name, p.pin)).collect::<Vec<_>>().join(", ")
    };
    format!(
        "\n  clockface demo is running at http://{addr}\n\
         \n  Admin pages:   http://{addr}{landing}\n\
         \x20 Admin login:   {DEMO_EMAIL}  /  {DEMO_PASSWORD}\n\
         \x20 Supervisor:    {DEMO_SUPERVISOR}  /  {DEMO_PASSWORD}  (sees Ana Ruiz and Sam Lee only)\n\
         \x20 Mobile clock:  http://{addr}/clock/  (register it with a code from Manage > Devices)\n\
         \n  FaceFront on, faces enrolled: {}\n\
         \x20 Foreman with Clock For:       {} (crew: Sam Lee)\n\
         \x20 No FaceFront:                 {}\n\
         \x20 That week's punches (Monday to Friday) carry their photos; one clock-out photo is someone else's, waiting in Review.\n\
         \x20 Jobs:                         J-101 Riverside Library (Grace, Barack), J-102 Oak St resurfacing (Ana, Sam); see Payroll > Job costing.\n\
         \n  Data folder:   {}  (delete it to start the demo afresh)\n\
         \x20 API:           http://{addr}/api/v1/openapi.json\n\n",
        who(DemoRole::FaceFront),
        who(DemoRole::Foreman),
        who(DemoRole::Employee),
        data_dir.display(),
    )
}

/// The five weekdays of the demo's punches: Monday to Friday of the last full working week
/// before `today` (this week's when today is a Saturday or Sunday), all in one weekly pay period.
pub fn demo_week(today: NaiveDate) -> [NaiveDate; 5] {
    let this_monday = clockface_domain::timecard::week_start(today, Weekday::Mon);
    let monday = if matches!(today.weekday(), Weekday::Sat | Weekday::Sun) { this_monday } else { this_monday - Duration::days(7) };
    [0, 1, 2, 3, 4].map(|d| monday + Duration::days(d))
}

/// What the demo made, for tests and for the printout.
pub struct Demo {
    pub company: CompanyId,
    pub device: Device,
    pub device_token: String,
    pub employees: Vec<(String, EmployeeId)>,
}

/// The demo's supervisor, invited and accepted as a person would, with her employees.
async fn supervisor(state: &AppState, company: CompanyId, employees: &[EmployeeId]) -> anyhow::Result<()> {
    let store = state.store.as_ref();
    let admin = store.admin_login(DEMO_EMAIL).await?.context("the demo admin is missing")?.id;
    let now = Utc::now();
    let token = new_token("");
    let invitation = NewInvitation { token_hash: token_hash(&token), created_at: now, expires_at: invitation_expires(now) };
    let new =
        NewUser { email: Email::parse(DEMO_SUPERVISOR)?, name: "Sue Park".into(), role: UserRole::Supervisor, invited_by: admin, now };
    let line = |action: &str| audit_entry(company, &format!("admin:{admin}"), action, &format!("user:{DEMO_SUPERVISOR}"), "demo");
    let user = store.invite_user(company, &new, &invitation, &line("user.invited")).await?;
    let hash = clockface_domain::secret::hash_secret(DEMO_PASSWORD);
    store.accept_invitation(&invitation.token_hash, "Sue Park", &hash, now, &line("user.accepted")).await?;
    store.set_assigned_employees(company, user.id, employees, &line("user.assigned")).await?;
    Ok(())
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

    let mut employees = Vec::new();
    for person in &PEOPLE {
        let role_id = match person.role {
            DemoRole::FaceFront => face_front.id,
            DemoRole::Foreman => foreman_role,
            DemoRole::Employee => employee_role,
        };
        let (name, pin) = (person.name, person.pin);
        let body = EmployeeBody { name: name.into(), number: person.number.into(), role_id, active: true, pin: Some(Some(pin.into())) };
        let fields = state.employees().fields(company.id, body).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        employees.push((name.to_owned(), store.create_employee(company.id, &fields).await?.id));
    }
    let id_of = |name: &str| employees.iter().find(|(n, _)| n == name).map(|(_, id)| *id).context("demo employee missing");
    let (hopper, obama, ana, sam) = (id_of("Grace Hopper")?, id_of("Barack Obama")?, id_of("Ana Ruiz")?, id_of("Sam Lee")?);
    store.set_crew(company.id, ana, &[sam]).await?;
    supervisor(state, company.id, &[ana, sam]).await?;

    let now = Utc::now();
    // The tablet was set up before the demo's week (its punches are that week's).
    let set_up = now.with_timezone(&company.time_zone).date_naive();
    let set_up = demo_week(set_up)[0] - Duration::days(7);
    let set_up = company
        .time_zone
        .from_local_datetime(&set_up.and_hms_opt(8, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc));
    let code = "DEMO-TABLET";
    store.create_registration_code(company.id, &registration_code_hash(code), set_up, set_up + Duration::minutes(5)).await?;
    let device_token = new_token(DEVICE_TOKEN_PREFIX);
    let new =
        NewDevice { id: DeviceId::new(), name: "Site 4 tablet".into(), token_hash: token_hash(&device_token), has_front_camera: true };
    store.register_device(&registration_code_hash(code), &new, set_up).await?;
    let version = store.company(company.id).await?.settings_version;
    // Synced on setting up; its week's punches came in as they were made.
    let sync = DeviceSync { synced_version: version, at: set_up, has_front_camera: None, photo_rotation: None };
    let device = store.record_sync(company.id, new.id, &sync).await?;

    // The retention policy (the strictest default), then a signed release and enrolment for the
    // two FaceFront employees.
    let admin = store.admin_login(DEMO_EMAIL).await?.context("the demo admin is missing")?.id;
    publish_policy(state, company.id, admin, RetentionSettings::default())
        .await
        .map_err(|e| anyhow::anyhow!("demo policy refused: {e}"))?;
    for (employee, photo, name) in [(hopper, HOPPER, "Grace Hopper"), (obama, OBAMA_ENROLMENT, "Barack Obama")] {
        let answer = ReleaseAnswer {
            decision: ReleaseDecision::Signed,
            signed_name: Some(name),
            release_version: RELEASE_VERSION,
            language: Default::default(),
            text_sha256: None,
        };
        decide_release(state, company.id, employee, Signer::Admin(admin), answer, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo release refused: {e}"))?;
        enrol(state, company.id, employee, admin, Bytes::from_static(photo), TemplateSource::Upload, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo enrolment refused: {e}"))?;
    }

    // Two jobs and their cost codes: the office crew at the library (a geofence), the paving crew on Oak St.
    let fence = Some(Geofence::parse(41.8763, -87.6281, 200.0)?);
    let library = ("J-101", "Riverside Library", "400 S State St, Chicago", fence);
    let (library, site_prep) = demo_job(store, company.id, library, ("01-100", "Site prep")).await?;
    let oak_st = ("J-102", "Oak St resurfacing", "Oak St, Chicago", None);
    let (oak_st, paving) = demo_job(store, company.id, oak_st, ("03-300", "Asphalt paving")).await?;

    // Monday to Friday of the last full working week, in the company's time zone.
    let zone = company.time_zone;
    let days = demo_week(now.with_timezone(&zone).date_naive());
    for (i, day) in days.iter().rev().enumerate() {
        let jitter = i64::try_from(i * 7 % 11).unwrap_or(0);
        let at = |hour: u32, minute: i64| {
            let local = day.and_hms_opt(hour, 0, 0).unwrap_or_default() + Duration::minutes(minute);
            zone.from_local_datetime(&local).earliest().map(|t| t.fixed_offset())
        };
        // On the most recent day someone else clocked Grace Hopper out: a mismatch to review.
        let hopper_out = if i == 0 { SOMEONE_ELSE } else { HOPPER };
        let shifts = [
            (hopper, None, Some((HOPPER, hopper_out)), at(7, jitter), at(15, 30 + jitter), (library, site_prep)),
            (obama, None, Some((OBAMA, OBAMA)), at(7, 12 - jitter), at(16, jitter), (library, site_prep)),
            (ana, None, None, at(6, 50), at(15, 40), (oak_st, paving)),
            (sam, Some(ana), None, at(6, 55), at(15, 40), (oak_st, paving)),
        ];
        for (employee, clock_for_by, photo, start, end, (job, cost_code)) in shifts {
            let mut punches = vec![(PunchKind::In, start, photo.map(|p| p.0), false), (PunchKind::Out, end, photo.map(|p| p.1), false)];
            // Ana takes a half-hour lunch break on the clock (Start break, End break; no photo asked).
            if employee == ana {
                punches.insert(1, (PunchKind::Out, at(11, 30), None, true));
                punches.insert(2, (PunchKind::In, at(12, 0), None, true));
            }
            for (kind, time, photo, on_break) in punches {
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
                    // The clock-in carries the job and cost code (a break's end belongs to its shift).
                    job_id: (kind == PunchKind::In && !on_break).then_some(job),
                    cost_code_id: (kind == PunchKind::In && !on_break).then_some(cost_code),
                    no_position_reason: None,
                    on_break,
                    photo_rotation: None,
                    burst: None,
                    burst_part: None,
                    photo_part: None,
                    signature: None,
                    sealed_pin: None,
                };
                record_punch(state, &device, body, photo.map(Bytes::from_static), None)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo punch refused: {e}"))?;
            }
        }
    }
    Ok(Demo { company: company.id, device, device_token, employees })
}

/// A demo job (number, name, address, geofence) with a cost code (number, name) for it alone.
async fn demo_job(
    store: &dyn clockface_store::Store,
    company: CompanyId,
    (number, name, address, geofence): (&str, &str, &str, Option<Geofence>),
    (code, code_name): (&str, &str),
) -> anyhow::Result<(JobId, CostCodeId)> {
    let fields =
        JobFields { number: JobNumber::parse(number)?, name: name.to_owned(), address: address.to_owned(), geofence, active: true };
    let job = store.save_job(company, None, &fields).await?;
    let fields = CostCodeFields {
        number: JobNumber::parse(code)?,
        name: code_name.to_owned(),
        all_jobs: false,
        job_ids: vec![job.id],
        active: true,
    };
    Ok((job.id, store.save_cost_code(company, None, &fields).await?.id))
}
