//! The destruction job's "photos due" query on PostgreSQL, without and with migration 0016's
//! indexes (issue 27): one company, `--photos` photos each carried by one punch, `--punches`
//! punches in all, every photo kept (not destroyed) and none held by a template, so every photo
//! is a candidate. The rows are seeded with SQL (`generate_series`), then `ANALYZE`d; the query is
//! the store's own (`Store::photos_due`, a batch of 500 as the job asks for).
//!
//! ```sh
//! cargo run --release -p clockface-store --example destruction_bench -- --photos 25000 --punches 250000
//! ```
//! `--without-indexes` also times it with 0016's indexes dropped (what a database before 0016
//! ran; at 25,000 photos that takes minutes: `--runs 1`). Runs on a fresh database on the test server
//! (`CLOCKFACE_TEST_POSTGRES_URL`, else 127.0.0.1:5432 as `postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use chrono::{Duration, TimeZone, Utc};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::ids::DeviceId;
use clockface_domain::punch::NoPhotoReason;
use clockface_store::{EmployeeFields, NewCompany, NewDevice, PinChange};
use sqlx::Connection;
use std::time::Instant;

/// Migration 0016's indexes that the query can use.
const INDEXES: &[&str] = &["punches_by_photo", "face_templates_by_photo", "photos_kept"];

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().expect("a number"))
}

#[tokio::main]
async fn main() {
    let photos = arg("--photos", 25_000);
    let punches = arg("--punches", 250_000);
    let without = std::env::args().any(|a| a == "--without-indexes");
    let runs = arg("--runs", 3);
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().unwrap();
    let url = clockface_store::testing::fresh_postgres_url().await;
    let store = clockface_store::connect(&url).await.unwrap();
    let (company, _) = store
        .create_company(NewCompany {
            name: CompanyName::parse("Acme Paving").unwrap(),
            time_zone: chrono_tz::America::Chicago,
            admin_email: Email::parse("ana@acme.test").unwrap(),
            admin_password_hash: "$argon2id$fake".into(),
            now,
            min_pin_digits: 6,
        })
        .await
        .unwrap();
    let company = company.id;
    let role = store.roles(company).await.unwrap()[0].0.id;
    let mut employees = Vec::new();
    for n in 0..200 {
        let fields = EmployeeFields {
            name: EmployeeName::parse(&format!("Worker {n}")).unwrap(),
            number: EmployeeNumber::parse(&format!("{n}")).unwrap(),
            role_id: role,
            active: true,
            pin: PinChange::Keep,
        };
        employees.push(store.create_employee(company, &fields).await.unwrap().id.0);
    }
    store.create_registration_code(company, "code", now, now + Duration::hours(1)).await.unwrap();
    let new = NewDevice { id: DeviceId::new(), name: "Site tablet".into(), token_hash: "token".into(), has_front_camera: true };
    let device = store.register_device("code", &new, now).await.unwrap().id;

    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let seeding = Instant::now();
    // Punch i is made i minutes before now; every (punches / photos)-th carries photo i / step.
    let step = (punches / photos).max(1);
    sqlx::query(
        "INSERT INTO photos (company_id, sha256, content_type, byte_size, width, height, display_rotation, created_at) \
         SELECT $1, md5(i::text) || md5('x' || i::text), 'image/jpeg', 100000, 640, 480, 0, $2 - (i * $3) * interval '1 minute' + interval '3 seconds' \
         FROM generate_series(1, $4) i",
    )
    .bind(company.0)
    .bind(now)
    .bind(step)
    .bind(photos)
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO punches (id, company_id, client_id, employee_id, device_id, kind, occurred_at, utc_offset_minutes, received_at, \
           photo_sha256, no_photo_reason, flagged, settings_version, fingerprint) \
         SELECT gen_random_uuid(), $1, gen_random_uuid(), ($2::uuid[])[1 + i % 200], $3, CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END, \
           $4 - i * interval '1 minute', -360, $4 - i * interval '1 minute' + interval '3 seconds', \
           CASE WHEN i % $5 = 0 AND i / $5 <= $6 THEN md5((i / $5)::text) || md5('x' || (i / $5)::text) END, \
           CASE WHEN i % $5 = 0 AND i / $5 <= $6 THEN NULL ELSE $7 END, FALSE, 1, 'fp' \
         FROM generate_series(1, $8) i",
    )
    .bind(company.0)
    .bind(&employees)
    .bind(device.0)
    .bind(now)
    .bind(step)
    .bind(photos)
    .bind(NoPhotoReason::RoleWithoutFaceFront.as_str())
    .bind(punches)
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&mut db).await.unwrap();
    println!("seeded {photos} photos and {punches} punches in {:.1} s", seeding.elapsed().as_secs_f64());

    // The older half of the history is past its retention: half the photos are due (the job
    // takes them 500 at a time).
    let before = now - Duration::minutes(punches / 2);
    let time = |label: &'static str| {
        let store = store.clone();
        async move {
            for run in 1..=runs {
                let started = Instant::now();
                let due = store.photos_due(company, before, 500).await.unwrap();
                println!("{label}: run {run}: {} photos due in {:.1} ms", due.len(), started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    };
    time("with 0016's indexes").await;
    if without {
        for index in INDEXES {
            sqlx::query(&format!("DROP INDEX {index}")).execute(&mut db).await.unwrap();
        }
        time("without them (before 0016)").await;
    }
}
