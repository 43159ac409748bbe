//! Payroll benchmark (not a test): the pay period overview and an export for a large company,
//! on SQLite and on PostgreSQL, through the same functions the pages and the API call
//! (`clockface_app::payroll::overview` and `export_file`).
//!
//! ```text
//! cargo run -p clockface --example payroll_bench -- [--employees 10000] [--backend sqlite|postgres|both] [--runs 5] [--photos]
//! ```
//!
//! It seeds a company with `--employees` employees, each with two shifts a day (07:00-11:00 and
//! 11:30-16:00, Chicago time) on every day of one two-week pay period (4 punches a day, 56 per
//! employee: 560,000 punches for 10,000 employees) and a correction for one employee in ten, then
//! times the overview (every employee's card built with California overtime and a meal deduction)
//! and the overview plus a CSV and an ADP Workforce Now export, `--runs` times each; it prints the
//! fastest and the median. PostgreSQL is the server in `CLOCKFACE_TEST_POSTGRES_URL` (else
//! 127.0.0.1:5432), in a fresh database. With `--photos` every punch carries its own photo (a row
//! only, no file) and a verdict (a Match, written straight into `verifications` after seeding), as
//! at a company whose roles all take FaceFront photos: the overview then reads a verdict per punch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Chicago;
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::correction::{Correction, CorrectionAction, Reason};
use clockface_domain::device::Rotation;
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::export::ExportFormat;
use clockface_domain::ids::{CorrectionId, DeviceId, PunchId};
use clockface_domain::payroll::{MealDeduction, OvertimeRule, PayFrequency, PayPeriod, PayrollSettings};
use clockface_domain::punch::{NoPhotoReason, Punch, PunchKind};
use clockface_store::{AuditEntry, EmployeeFields, NewCompany, NewDevice, PhotoRecord, PinChange, Store};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_owned())
}

fn line(company: clockface_domain::ids::CompanyId, action: &str) -> AuditEntry {
    AuditEntry {
        company_id: company,
        at: Utc::now(),
        actor: "bench".into(),
        action: action.into(),
        subject: "bench".into(),
        detail: String::new(),
        employee: None,
    }
}

async fn run(backend: &str, employees: usize, runs: usize, photos: bool) {
    let folder = tempfile::tempdir().unwrap();
    let url = match backend {
        "sqlite" => clockface_store::testing::sqlite_url(folder.path()),
        _ => clockface_store::testing::fresh_postgres_url().await,
    };
    let store: Arc<dyn Store> = clockface_store::connect(&url).await.unwrap();
    let seeding = Instant::now();
    let start = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    let period = PayPeriod { start, end: start + Duration::days(13) };
    let (company, admin) = store
        .create_company(NewCompany {
            name: CompanyName::parse("Big Paving").unwrap(),
            time_zone: Chicago,
            admin_email: Email::parse("bench@big.example").unwrap(),
            admin_password_hash: "$argon2id$fake".into(),
            now: Utc::now(),
            min_pin_digits: 6,
        })
        .await
        .unwrap();
    let company = company.id;
    let mut settings = PayrollSettings::default();
    settings.schedule.frequency = PayFrequency::Biweekly;
    settings.schedule.anchor = start;
    settings.overtime = OvertimeRule::California;
    settings.meal = Some(MealDeduction::new(300, 30).unwrap());
    settings.codes.adp_company_code = "BIG".into();
    store.set_payroll_settings(company, &settings, Utc::now(), &line(company, "payroll.settings")).await.unwrap();
    let role = store.roles(company).await.unwrap()[0].0.id;
    store.create_registration_code(company, "BENCH", Utc::now(), Utc::now() + Duration::hours(1)).await.unwrap();
    let device = store
        .register_device(
            "BENCH",
            &NewDevice { id: DeviceId::new(), name: "Gate".into(), token_hash: "t".into(), has_front_camera: false },
            Utc::now(),
        )
        .await
        .unwrap()
        .id;
    let mut batch = Vec::new();
    let mut ids = Vec::with_capacity(employees);
    for n in 0..employees {
        let fields = EmployeeFields {
            name: EmployeeName::parse(&format!("Worker Number{n}")).unwrap(),
            number: EmployeeNumber::parse(&format!("{}", 100_000 + n)).unwrap(),
            role_id: role,
            active: true,
            pin: PinChange::Keep,
        };
        let employee = store.create_employee(company, &fields).await.unwrap().id;
        ids.push(employee);
        for day in 0..14 {
            let date = start + Duration::days(day);
            for (kind, h, m) in [(PunchKind::In, 7, 0), (PunchKind::Out, 11, 0), (PunchKind::In, 11, 30), (PunchKind::Out, 16, 0)] {
                let at = Chicago.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap()).single().unwrap().with_timezone(&Utc);
                let photo = photos.then(|| PhotoRecord {
                    company_id: company,
                    sha256: format!("{:064x}", Uuid::new_v4().as_u128()),
                    content_type: "image/jpeg".into(),
                    byte_size: 100_000,
                    width: 1280,
                    height: 960,
                    display_rotation: Rotation::R0,
                    created_at: at,
                });
                batch.push((
                    Punch {
                        id: PunchId::new(),
                        company_id: company,
                        client_id: Uuid::new_v4(),
                        employee_id: employee,
                        device_id: device,
                        kind,
                        occurred_at: at,
                        utc_offset_minutes: -360,
                        received_at: at,
                        clock_for_by: None,
                        photo_sha256: photo.as_ref().map(|p| p.sha256.clone()),
                        no_photo_reason: if photos { None } else { Some(NoPhotoReason::RoleWithoutFaceFront) },
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
                        fingerprint: "bench".into(),
                    },
                    photo,
                ));
            }
        }
        if batch.len() >= 5_600 {
            for result in store.insert_punches(&batch).await.unwrap() {
                result.unwrap();
            }
            batch.clear();
        }
    }
    if !batch.is_empty() {
        for result in store.insert_punches(&batch).await.unwrap() {
            result.unwrap();
        }
    }
    for employee in ids.iter().step_by(10) {
        let at = Chicago.from_local_datetime(&start.and_hms_opt(17, 0, 0).unwrap()).single().unwrap().with_timezone(&Utc);
        let c = Correction {
            id: CorrectionId::new(),
            company_id: company,
            employee_id: *employee,
            action: CorrectionAction::Add,
            replaces: None,
            kind: PunchKind::In,
            at: Some(at),
            reason: Reason::parse("bench").unwrap(),
            made_by: admin,
            made_at: Utc::now(),
        };
        store.insert_correction(&c, None, period, &line(company, "correction.add")).await.unwrap();
    }
    if photos {
        give_every_photo_a_match(&url, company).await;
    }
    let punches = store.count_punches(company).await.unwrap();
    println!(
        "{backend}: seeded {employees} employees, {punches} punches, {} corrections in {:.1} s",
        employees.div_ceil(10),
        seeding.elapsed().as_secs_f64()
    );

    let (window_start, window_end) = clockface_app::timecards::card_window(Chicago, &settings, period.start, period.end);
    let mut read_times = Vec::new();
    let mut overview_times = Vec::new();
    let mut export_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let rows = store.period_punches(company, window_start, window_end).await.unwrap();
        read_times.push(t.elapsed().as_secs_f64());
        assert_eq!(rows.len(), employees * 56);
        drop(rows);
        let t = Instant::now();
        let o = clockface_app::payroll::overview(&*store, company, Chicago, period, None, Utc::now()).await.unwrap();
        overview_times.push(t.elapsed().as_secs_f64());
        assert_eq!(o.rows.len(), employees);
        let t = Instant::now();
        let o = clockface_app::payroll::overview(&*store, company, Chicago, period, None, Utc::now()).await.unwrap();
        let csv = clockface_app::payroll::export_file(&o, ExportFormat::Csv, Utc::now()).unwrap();
        let adp = clockface_app::payroll::export_file(&o, ExportFormat::AdpWfn, Utc::now()).unwrap();
        export_times.push(t.elapsed().as_secs_f64());
        bytes = csv.body.len() + adp.body.len();
        // 14 days x (4 h + 4.5 h); neither shift is over 5 h, so no meal is deducted.
        let first = &o.rows[0];
        assert_eq!(first.seconds, 14 * (4 * 3600 + 4 * 3600 + 1800));
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2])
    };
    let (r_min, r_med) = stats(&mut read_times);
    let (o_min, o_med) = stats(&mut overview_times);
    let (e_min, e_med) = stats(&mut export_times);
    println!("{backend}: the period's punches (one query) fastest {r_min:.3} s, median {r_med:.3} s");
    println!("{backend}: overview    fastest {o_min:.3} s, median {o_med:.3} s ({runs} runs)");
    println!("{backend}: overview + CSV + ADP export  fastest {e_min:.3} s, median {e_med:.3} s ({bytes} bytes written)");
}

/// Writes a Match for every punch with a photo (the verification and the punch's own copy, as
/// the store does) and empties the verification queue, in three statements (the worker would take
/// hours for 560,000 photos, and what the overview reads is the same).
async fn give_every_photo_a_match(url: &str, company: clockface_domain::ids::CompanyId) {
    let verdicts =
        "INSERT INTO verifications (punch_id, company_id, verdict, score, threshold, rotation, engine_rotation, faces, message, \
                    enrolled_now, decided_at) SELECT id, company_id, 'match', 0.8, 0.363, 0, 0, 1, 'bench', FALSE, received_at \
                    FROM punches WHERE company_id = $1 AND photo_sha256 IS NOT NULL";
    let on_punches = "UPDATE punches SET verdict = 'match' WHERE company_id = $1 AND photo_sha256 IS NOT NULL";
    let queue = "DELETE FROM verification_jobs WHERE company_id = $1";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for statement in [verdicts, on_punches, queue] {
            sqlx::query(statement).bind(company.0).execute(&pool).await.unwrap();
        }
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for statement in [verdicts, on_punches, queue] {
            sqlx::query(statement).bind(company.0).execute(&pool).await.unwrap();
        }
    }
}

#[tokio::main]
async fn main() {
    let employees: usize = arg("--employees", "10000").parse().unwrap();
    let runs: usize = arg("--runs", "5").parse().unwrap();
    let backend = arg("--backend", "both");
    let photos = std::env::args().any(|a| a == "--photos");
    for b in ["sqlite", "postgres"] {
        if backend == "both" || backend == b {
            run(b, employees, runs, photos).await;
        }
    }
}
