//! Growth benchmark (not a test): does a regular operation cost what its work costs, or what the
//! history costs? One company of `--employees` employees with 1, 4 and 16 months of history, on
//! SQLite and on PostgreSQL, through the real server on loopback.
//!
//! ```text
//! cargo build --release --workspace --example growth_bench
//! target/release/examples/growth_bench [--employees 2000] [--months 1,4,16] [--backend sqlite|postgres|both] [--runs 5] [--punches 200]
//! ```
//!
//! Per size it sets the company up over the API (a FaceFront role, the employees, a device, a
//! retention policy keeping photos 14 days, biweekly pay periods with California overtime and a
//! meal deduction), stops the server and seeds the history straight into the database with one
//! SQL statement per table (seeding ten million punches through the API would take hours): every
//! employee, every day, two shifts (four punches, 13:00-17:00 and 17:30-21:30 UTC), each punch
//! with its photo's row (rows only: no photo files) and a Match verdict (its row, and on the punch); photos older than the
//! policy's 14 days marked destroyed, as the daily job would have. Then it starts the server
//! again, approves every past period over the API (their figures frozen, as payroll does), and
//! measures, each through what the product itself runs:
//!
//! - a punch: `--punches` FaceFront punches (unique ~100 KB photos) sent one after another by one
//!   device, p50 and p99 until the 201 (photo fsynced, commit fsynced);
//! - a time card (the current period's, over the API) and the overview of the current period (its
//!   thirteen seeded days and today; today is its last day), the median of `--runs`;
//! - an export of the last approved period (ADP Workforce Now), the median of `--runs`;
//! - the daily destruction job with a fixed amount due: one day's photos (4 per employee), run as
//!   of tomorrow (`destroy_due`);
//! - a node's start-up: build the state (checks, migrations, keys, the face models) and listen;
//! - `clockface backup` (SQLite; PostgreSQL is backed up with `pg_dump`, timed instead when it is
//!   installed) and the database's size on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, Utc};
use clockface::config::Config;
use clockface_domain::payroll::{MealDeduction, OvertimeRule, PayFrequency, PayrollSettings};
use clockface_store::AuditEntry;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "support/photos.rs"]
mod photos;
use photos::{base_photo, photo};
const EMAIL: &str = "growth@bench.test";
const PASSWORD: &str = "growth bench password";
/// Days the retention policy keeps a photo.
const PHOTO_DAYS: i64 = 14;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_owned())
}

fn main() {
    let employees: usize = arg("--employees", "2000").parse().expect("--employees N");
    let months: Vec<i64> = arg("--months", "1,4,16").split(',').map(|m| m.trim().parse().expect("--months 1,4,16")).collect();
    let backends: Vec<String> = match arg("--backend", "both").as_str() {
        "both" => vec!["sqlite".into(), "postgres".into()],
        one => vec![one.to_owned()],
    };
    let runs: usize = arg("--runs", "5").parse().expect("--runs N");
    let punches: usize = arg("--punches", "200").parse().expect("--punches N");
    println!(
        "| backend | months | punches stored | seed s | punch p50 / p99 ms | time card ms | overview ms | export ms | \
         destruction job ({} due) s | start-up ms | backup s | database MB |",
        employees * 4
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for backend in &backends {
        for &m in &months {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            runtime.block_on(measure(backend, m, employees, runs, punches));
        }
    }
}

/// A node of the server on `data_dir` (and `database`), started.
async fn start(config: &Config) -> clockface::server::Running {
    let state = clockface::server::build_state(config).await.unwrap();
    clockface::server::start(config.listen, state).await.unwrap()
}

/// Sends `body` (or nothing) with `token` and returns the JSON answer, which must be a success.
async fn call(http: &reqwest::Client, method: reqwest::Method, url: String, token: Option<&str>, body: Option<Value>) -> Value {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "setup call failed: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Option<Value>) -> Value {
    call(http, reqwest::Method::POST, url, token, body).await
}

/// Milliseconds of the median of `runs` calls of `work`.
async fn median_ms<F, Fut>(runs: usize, mut work: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        work().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Everything the setup over the API leaves for the measurements.
struct Company {
    id: clockface_domain::ids::CompanyId,
    admin: String,
    device: String,
    settings_version: i64,
    employees: Vec<String>,
}

async fn set_up(base: &str, http: &reqwest::Client, state: &clockface_web::AppState, employees: usize, today: NaiveDate) -> Company {
    clockface::create_company(state.store.as_ref(), "Growth Paving", "America/Chicago", EMAIL, PASSWORD).await.unwrap();
    let login = post(http, format!("{base}/api/v1/auth/login"), None, Some(json!({"email": EMAIL, "password": PASSWORD}))).await;
    let admin = login["token"].as_str().unwrap().to_owned();
    let id: clockface_domain::ids::CompanyId = login["me"]["company_id"].as_str().unwrap().parse().unwrap();
    let policy = json!({"jurisdiction": "strictest", "photo_days": PHOTO_DAYS});
    call(http, reqwest::Method::PUT, format!("{base}/api/v1/privacy/policy"), Some(&admin), Some(policy)).await;
    let mut settings = PayrollSettings::default();
    settings.schedule.frequency = PayFrequency::Biweekly;
    // Today is the last day of the current period: the overview and the card read two weeks.
    settings.schedule.anchor = today - Duration::days(13 + 7 * 104);
    settings.overtime = OvertimeRule::California;
    settings.meal = Some(MealDeduction::new(300, 30).unwrap());
    settings.codes.adp_company_code = "GRW".into();
    let line = AuditEntry {
        company_id: id,
        at: Utc::now(),
        actor: "bench".into(),
        action: "payroll.settings".into(),
        subject: "bench".into(),
        detail: String::new(),
        employee: None,
    };
    state.store.set_payroll_settings(id, &settings, Utc::now(), &line).await.unwrap();
    let role =
        post(http, format!("{base}/api/v1/roles"), Some(&admin), Some(json!({"name": "Crew", "abilities": {"face_front": true}}))).await;
    let mut ids = Vec::with_capacity(employees);
    for i in 0..employees {
        let body = json!({"name": format!("Worker {i}"), "number": format!("{i}"), "role_id": role["id"]});
        ids.push(post(http, format!("{base}/api/v1/employees"), Some(&admin), Some(body)).await["id"].as_str().unwrap().to_owned());
    }
    let code = post(http, format!("{base}/api/v1/devices/registration-codes"), Some(&admin), None).await;
    let registered = post(
        http,
        format!("{base}/api/v1/device/register"),
        None,
        Some(json!({"code": code["code"], "name": "growth", "has_front_camera": true})),
    )
    .await;
    let device = registered["token"].as_str().unwrap().to_owned();
    let sync = post(http, format!("{base}/api/v1/device/sync"), Some(&device), None).await;
    let settings_version = sync["settings_version"].as_i64().unwrap();
    Company { id, admin, device, settings_version, employees: ids }
}

/// The statements that seed `days` days of history before `today` (see the module's comment):
/// photos, punches, verdicts, in that order. `$1` the company, `$2` the first day, `$3` the
/// number of days, `$4` the first day whose photos are kept.
fn seeding(backend: &str) -> [&'static str; 3] {
    match backend {
        "postgres" => [
            "INSERT INTO photos (company_id, sha256, content_type, byte_size, width, height, display_rotation, created_at, destroyed_at) \
             SELECT e.company_id, replace(e.id::text, '-', '') || lpad(to_hex(d * 4 + s.n), 32, '0'), 'image/jpeg', 100000, 640, 480, 0, \
               (($2::date + d) + s.at) AT TIME ZONE 'UTC', \
               CASE WHEN $2::date + d < $4::date THEN (($2::date + d + 14) + s.at) AT TIME ZONE 'UTC' END \
             FROM employees e, generate_series(0, $3::int - 1) d, \
               (VALUES (0, time '13:00'), (1, time '17:00'), (2, time '17:30'), (3, time '21:30')) s(n, at) \
             WHERE e.company_id = $1",
            "INSERT INTO punches (id, company_id, client_id, employee_id, device_id, kind, occurred_at, utc_offset_minutes, received_at, \
               photo_sha256, flagged, settings_version, fingerprint, verdict) \
             SELECT gen_random_uuid(), e.company_id, gen_random_uuid(), e.id, dv.id, s.kind, (($2::date + d) + s.at) AT TIME ZONE 'UTC', -360, \
               (($2::date + d) + s.at) AT TIME ZONE 'UTC', replace(e.id::text, '-', '') || lpad(to_hex(d * 4 + s.n), 32, '0'), FALSE, 1, 'growth', 'match' \
             FROM employees e, (SELECT id FROM devices WHERE company_id = $1 LIMIT 1) dv, generate_series(0, $3::int - 1) d, \
               (VALUES (0, 'in', time '13:00'), (1, 'out', time '17:00'), (2, 'in', time '17:30'), (3, 'out', time '21:30')) s(n, kind, at) \
             WHERE e.company_id = $1 AND $4::date IS NOT NULL",
            "INSERT INTO verifications (punch_id, company_id, verdict, score, threshold, rotation, faces, message, enrolled_now, decided_at) \
             SELECT id, company_id, 'match', 0.8, 0.363, 0, 1, 'Face matches.', FALSE, received_at FROM punches \
             WHERE company_id = $1 AND fingerprint = 'growth' AND $2::date IS NOT NULL AND $3 > 0 AND $4::date IS NOT NULL",
        ],
        _ => [
            "WITH RECURSIVE days(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM days WHERE d < $3 - 1), \
               slots(n, at) AS (VALUES (0, '13:00:00'), (1, '17:00:00'), (2, '17:30:00'), (3, '21:30:00')) \
             INSERT INTO photos (company_id, sha256, content_type, byte_size, width, height, display_rotation, created_at, destroyed_at) \
             SELECT e.company_id, lower(hex(e.id)) || printf('%032x', d * 4 + n), 'image/jpeg', 100000, 640, 480, 0, \
               date($2, '+' || d || ' days') || 'T' || at || '+00:00', \
               CASE WHEN date($2, '+' || d || ' days') < $4 THEN date($2, '+' || (d + 14) || ' days') || 'T' || at || '+00:00' END \
             FROM employees e, days, slots WHERE e.company_id = $1",
            "WITH RECURSIVE days(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM days WHERE d < $3 - 1), \
               slots(n, kind, at) AS (VALUES (0, 'in', '13:00:00'), (1, 'out', '17:00:00'), (2, 'in', '17:30:00'), (3, 'out', '21:30:00')) \
             INSERT INTO punches (id, company_id, client_id, employee_id, device_id, kind, occurred_at, utc_offset_minutes, received_at, \
               photo_sha256, flagged, settings_version, fingerprint, verdict) \
             SELECT randomblob(16), e.company_id, randomblob(16), e.id, (SELECT id FROM devices WHERE company_id = $1 LIMIT 1), kind, \
               date($2, '+' || d || ' days') || 'T' || at || '+00:00', -360, date($2, '+' || d || ' days') || 'T' || at || '+00:00', \
               lower(hex(e.id)) || printf('%032x', d * 4 + n), FALSE, 1, 'growth', 'match' \
             FROM employees e, days, slots WHERE e.company_id = $1 AND $4 IS NOT NULL",
            "INSERT INTO verifications (punch_id, company_id, verdict, score, threshold, rotation, faces, message, enrolled_now, decided_at) \
             SELECT id, company_id, 'match', 0.8, 0.363, 0, 1, 'Face matches.', FALSE, received_at FROM punches \
             WHERE company_id = $1 AND fingerprint = 'growth' AND $2 IS NOT NULL AND $3 > 0 AND $4 IS NOT NULL",
        ],
    }
}

/// Seeds `days` days of history before `today` into the database at `url`; returns the seconds it took.
async fn seed(backend: &str, url: &str, company: clockface_domain::ids::CompanyId, today: NaiveDate, days: i64) -> f64 {
    let started = Instant::now();
    let first = today - Duration::days(days);
    let kept_from = today - Duration::days(PHOTO_DAYS);
    macro_rules! run_on {
        ($pool:expr) => {{
            let pool = $pool;
            for statement in seeding(backend) {
                sqlx::query(statement).bind(company.0).bind(first).bind(days).bind(kept_from).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }};
    }
    match backend {
        "postgres" => {
            run_on!(sqlx::PgPool::connect(url).await.unwrap());
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
            pool.close().await;
        }
        _ => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            run_on!(sqlx::SqlitePool::connect_with(options).await.unwrap());
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::query("ANALYZE").execute(&pool).await.unwrap();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    started.elapsed().as_secs_f64()
}

fn folder_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

async fn measure(backend: &str, months: i64, employees: usize, runs: usize, punches: usize) {
    let folder = tempfile::tempdir().unwrap();
    let data_dir: PathBuf = folder.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let database = match backend {
        "postgres" => Some(clockface_store::testing::fresh_postgres_url().await),
        _ => None,
    };
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.clone(),
        log: Some("warn".into()),
        verification_workers: 0,
        node_name: Some("growth".into()),
        database_url: database.clone().map(Into::into),
        ..Config::default()
    };
    let url = config.database_url();
    let today = Utc::now().date_naive();
    let http = reqwest::Client::new();

    // The company, set up over the API; then the history, seeded with the server stopped.
    let running = start(&config).await;
    let base = format!("http://{}", running.addr);
    let company = set_up(&base, &http, &running.state, employees, today).await;
    running.stop().await.unwrap();
    let days = months * 30;
    let seed_s = seed(backend, &url, company.id, today, days).await;

    // Every past period approved, its figures frozen.
    let running = start(&config).await;
    let base = format!("http://{}", running.addr);
    let settings = running.state.store.payroll_settings(company.id).await.unwrap();
    let current = settings.schedule.period_containing(today);
    let mut period = settings.schedule.previous(current);
    let mut last_approved = None;
    while period.end >= today - Duration::days(days) {
        let url = format!("{base}/api/v1/payroll/periods/{}/approve", period.start);
        post(&http, url, Some(&company.admin), Some(json!({"acknowledge_flags": true}))).await;
        last_approved.get_or_insert(period);
        period = settings.schedule.previous(period);
    }
    let last_approved = last_approved.expect("the history holds a whole pay period");
    // What the start's destruction job found due is gone before the measured run (the start's
    // job runs meanwhile: two at once may each stop at a batch the other marked, so until none
    // is left).
    let now = Utc::now();
    while clockface_web::privacy::destroy_due(&running.state, now).await.unwrap().photos > 0
        || !running.state.store.photos_due(company.id, now - Duration::days(PHOTO_DAYS), 1).await.unwrap().is_empty()
    {}
    let stored = running.state.store.count_punches(company.id).await.unwrap();

    // A punch, one after another from one device.
    let base_jpeg = base_photo();
    let mut latencies = Vec::with_capacity(punches);
    for i in 0..punches {
        let employee = &company.employees[i % company.employees.len()];
        let at = Utc::now() - Duration::minutes(30) + Duration::seconds(i64::try_from(i / company.employees.len()).unwrap());
        let body = json!({"client_id": uuid::Uuid::new_v4(), "employee_id": employee, "kind": "in",
                          "device_time": at.to_rfc3339(), "settings_version": company.settings_version});
        let form = Form::new()
            .part("punch", Part::text(body.to_string()).mime_str("application/json").unwrap())
            .part("photo", Part::bytes(photo(&base_jpeg, i)).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
        let sent = Instant::now();
        let response = http.post(format!("{base}/api/v1/punches")).bearer_auth(&company.device).multipart(form).send().await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED, "a punch is stored");
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1).min(latencies.len() - 1)];

    let get = |url: String| {
        let (http, admin) = (http.clone(), company.admin.clone());
        async move {
            let response = http.get(url).bearer_auth(admin).send().await.unwrap();
            assert!(response.status().is_success(), "a measured read failed: {}", response.status());
            response.bytes().await.unwrap();
        }
    };
    let card_url = format!("{base}/api/v1/employees/{}/timecard", company.employees[0]);
    let time_card = median_ms(runs, || get(card_url.clone())).await;
    let overview_url = format!("{base}/api/v1/payroll/periods?date={today}");
    let overview = median_ms(runs, || get(overview_url.clone())).await;
    let export_url = format!("{base}/api/v1/payroll/periods/{}/export?format=adp_wfn", last_approved.start);
    let export = median_ms(runs, || get(export_url.clone())).await;

    // The daily job as of tomorrow: one more day of photos is due.
    let started = Instant::now();
    let destroyed = clockface_web::privacy::destroy_due(&running.state, now + Duration::days(1)).await.unwrap();
    let destruction = started.elapsed().as_secs_f64();
    assert_eq!(destroyed.photos, u64::try_from(employees * 4).unwrap(), "one day of photos was due");
    running.stop().await.unwrap();

    // A node's start-up on the grown database.
    let started = Instant::now();
    let running = start(&config).await;
    let start_up = started.elapsed().as_secs_f64() * 1000.0;
    running.stop().await.unwrap();

    let (backup, size) = match backend {
        "postgres" => {
            let url = database.clone().unwrap();
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let (bytes,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())").fetch_one(&pool).await.unwrap();
            pool.close().await;
            let dump = folder.path().join("growth.dump");
            let started = Instant::now();
            let dumped =
                std::process::Command::new("pg_dump").args(["--format=custom", "--compress=0", "--file"]).arg(&dump).arg(&url).status();
            let backup = match dumped {
                Ok(status) if status.success() => format!("{:.1} (pg_dump)", started.elapsed().as_secs_f64()),
                _ => "pg_dump not run".to_owned(),
            };
            (backup, bytes as f64)
        }
        _ => {
            let size = folder_bytes(&data_dir) as f64;
            let dest = folder.path().join("backup");
            let keys = clockface::backup::keys_to(None, true).unwrap();
            let started = Instant::now();
            clockface::backup::backup(&config, &dest, &keys).await.unwrap();
            (format!("{:.1}", started.elapsed().as_secs_f64()), size)
        }
    };
    println!(
        "| {backend} | {months} | {stored} | {seed_s:.0} | {:.1} / {:.1} | {time_card:.1} | {overview:.0} | {export:.0} | {destruction:.1} | \
         {start_up:.0} | {backup} | {:.0} |",
        percentile(0.5),
        percentile(0.99),
        size / 1e6
    );
    if let Some(url) = database {
        drop_database(&url).await;
    }
}

/// Drops the benchmark's PostgreSQL database (tens of GB at 16 months).
async fn drop_database(url: &str) {
    let name = url.rsplit_once('/').map(|(_, name)| name.to_owned()).unwrap();
    let server = clockface_store::testing::postgres_server_url();
    let pool = sqlx::PgPool::connect(&server).await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&pool).await.unwrap();
    pool.close().await;
}
