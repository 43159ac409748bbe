//! The test server and the calls tests make of it.

use chrono::{DateTime, FixedOffset};
use clockface::config::Config;
use clockface::server::Running;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A real face (public domain), shipped with the demo.
pub const FACE_JPEG: &[u8] = include_bytes!("../../assets/demo/hopper-1.jpg");
pub const OTHER_FACE_JPEG: &[u8] = include_bytes!("../../assets/demo/obama-2.jpg");

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL with photos in S3-compatible storage (the Garage the test command starts).
    PostgresS3,
}

/// Points `config` at the test S3 server (photos in Garage).
pub fn use_s3(config: &mut Config) {
    let s3 = clockface_store::testing::s3_settings();
    config.photo_store = format!("s3://{}", s3.bucket);
    config.s3_endpoint = s3.endpoint;
    config.s3_region = s3.region;
    config.s3_path_style = true;
    config.s3_access_key_id = Some(s3.access_key_id);
    config.s3_secret_access_key = Some(s3.secret_access_key);
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub running: Running,
    pub config: Config,
    _folder: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server on port 0 with a fresh database; `adjust` may change the configuration.
    /// Face verification workers are off unless `adjust` turns them on.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let folder = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: folder.path().to_owned(),
            verification_workers: 0,
            ..Config::default()
        };
        if let Backend::Postgres | Backend::PostgresS3 = backend {
            config.database_url = Some(clockface_store::testing::fresh_postgres_url().await.into());
        }
        if let Backend::PostgresS3 = backend {
            use_s3(&mut config);
        }
        adjust(&mut config);
        Self::start(config, folder).await
    }

    async fn start(config: Config, folder: tempfile::TempDir) -> TestApp {
        let state = clockface::server::build_state(&config).await.unwrap();
        let running = clockface::server::start(config.listen, state).await.unwrap();
        let app = TestApp { base: format!("http://{}", running.addr), client: Client::new(), running, config, _folder: folder };
        app.wait_healthy().await;
        app
    }

    /// Stops the server and starts it again on the same data folder and database, with
    /// `verification_workers` workers.
    pub async fn restart(self, verification_workers: usize) -> TestApp {
        let TestApp { running, mut config, _folder: folder, .. } = self;
        running.stop().await.unwrap();
        config.verification_workers = verification_workers;
        Self::start(config, folder).await
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = self.client.get(self.url("/healthz")).send().await {
                if response.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the server did not become healthy in time");
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's data folder (SQLite file, photos, keys).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Asserts the server still answers.
    pub async fn assert_healthy(&self) {
        let response = self.client.get(self.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Creates a company with an admin and signs in. The tests' PINs have four digits: this
    /// company chose 4 (the default is 6; `security.rs` tests that).
    pub async fn admin(&self, email: &str) -> Admin {
        let store = self.running.state.store.as_ref();
        clockface::create_company_with(store, "Acme Paving", "America/Chicago", email, "correct horse battery", 4).await.unwrap();
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        Admin { token: body["token"].as_str().unwrap().to_owned(), company_id: body["me"]["company_id"].as_str().unwrap().to_owned() }
    }

    /// Signs a web-app user in over the API and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let response =
            self.client.post(self.url("/api/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{email} signs in");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> Response {
        self.client.put(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    /// Publishes the company's retention policy (the strictest default, photos kept a year), unless
    /// it has one.
    pub async fn publish_policy(&self, admin: &Admin) {
        if self.get(&admin.token, "/api/v1/privacy/policy").await.status() == StatusCode::OK {
            return;
        }
        let response = self.put(&admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": "strictest", "photo_days": 365})).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    }

    /// The employee signs the current biometric release in front of the admin, with their own name.
    pub async fn sign_release(&self, admin: &Admin, employee: &str) {
        let them: Value = self.get(&admin.token, &format!("/api/v1/employees/{employee}")).await.json().await.unwrap();
        let body =
            json!({"decision": "signed", "signed_name": them["name"], "release_version": clockface_domain::privacy::RELEASE_VERSION});
        let response = self.put(&admin.token, &format!("/api/v1/employees/{employee}/release"), body).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    }

    /// Creates a role and returns its id.
    pub async fn role(&self, admin: &Admin, name: &str, abilities: Value) -> String {
        let response = self.post(&admin.token, "/api/v1/roles", json!({"name": name, "abilities": abilities})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        id(response).await
    }

    /// Creates an employee and returns their id.
    pub async fn employee(&self, admin: &Admin, name: &str, number: &str, role: &str, pin: Option<&str>) -> String {
        let mut body = json!({"name": name, "number": number, "role_id": role});
        if let Some(pin) = pin {
            body["pin"] = json!(pin);
        }
        let response = self.post(&admin.token, "/api/v1/employees", body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        id(response).await
    }

    /// Registers a device with a fresh code and returns its token.
    pub async fn device(&self, admin: &Admin, has_front_camera: bool) -> String {
        let response = self.post(&admin.token, "/api/v1/devices/registration-codes", json!({})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let code: Value = response.json().await.unwrap();
        let response = self
            .client
            .post(self.url("/api/v1/device/register"))
            .json(&json!({"code": code["code"], "name": "Site tablet", "has_front_camera": has_front_camera}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Syncs a device and returns the sync response.
    pub async fn sync(&self, device: &str) -> Value {
        let response = self.post(device, "/api/v1/device/sync", json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Sends one punch as JSON (no photo).
    pub async fn punch(&self, device: &str, punch: &Value) -> Response {
        self.post(device, "/api/v1/punches", punch.clone()).await
    }

    /// Sends one punch with a photo as multipart.
    pub async fn punch_with_photo(&self, device: &str, punch: &Value, photo: &[u8], mime: &str) -> Response {
        let form = Form::new()
            .part("punch", Part::text(punch.to_string()).mime_str("application/json").unwrap())
            .part("photo", Part::bytes(photo.to_vec()).file_name("photo").mime_str(mime).unwrap());
        self.client.post(self.url("/api/v1/punches")).bearer_auth(device).multipart(form).send().await.unwrap()
    }

    /// How many punches the company of `admin` has, read from the store.
    pub async fn punch_count(&self, admin: &Admin) -> i64 {
        self.running.state.store.count_punches(admin.company_id.parse().unwrap()).await.unwrap()
    }
}

pub struct Admin {
    pub token: String,
    pub company_id: String,
}

/// Polls a punch's verdict until the worker has given it one.
pub async fn verdict_of(app: &TestApp, admin: &Admin, punch: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let response = app.get(&admin.token, &format!("/api/v1/punches/{punch}/verification")).await;
        if response.status() == StatusCode::OK {
            return response.json().await.unwrap();
        }
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(Instant::now() < deadline, "no verdict for punch {punch} in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A punch body for `employee` at `time`.
pub fn punch_body(employee: &str, kind: &str, time: &str) -> Value {
    json!({"client_id": Uuid::new_v4(), "employee_id": employee, "kind": kind, "device_time": time})
}

pub fn time(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// Payroll settings for the tests: two-week periods from Monday 16 November 2026, California
/// overtime, no meal deduction (a test adds one where it wants it), and codes for every export.
pub fn payroll_settings() -> Value {
    json!({
        "pay_frequency": "biweekly", "period_anchor": "2026-11-16", "workweek_starts": "Mon", "overtime_rule": "california",
        "codes": {
            "adp_company_code": "ABC", "adp_batch_id": "7", "adp_double_time_code": "D",
            "adp_run_iid": "12345", "adp_run_regular_code": "REG", "adp_run_overtime_code": "OVT", "adp_run_double_time_code": "DBL",
            "paychex_client_id": "7001234", "paychex_regular": "Hourly", "paychex_overtime": "Overtime", "paychex_double_time": "Doubletime",
            "quickbooks_company": "Acme Paving", "quickbooks_regular_item": "Regular", "quickbooks_overtime_item": "Overtime Rate",
            "quickbooks_double_time_item": "Overtime Rate (2)", "quickbooks_company_create_time": ""
        },
        "require_approval_before_export": false
    })
}

/// "Now" for the times the tests write: one instant, in whole seconds, for the whole test run, so
/// that two punches written "3 hours ago" and "1 hour ago" are exactly 2 hours apart even when
/// the clock's second turns between them.
fn test_now() -> chrono::DateTime<chrono::Utc> {
    static NOW: std::sync::OnceLock<chrono::DateTime<chrono::Utc>> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap())
}

/// A time `hours_ago` hours before the run's now, as a device in UTC-6 would write it.
pub fn hours_ago(hours: i64) -> String {
    minutes_ago(hours * 60)
}

/// A time `minutes` minutes before the run's now, in whole seconds, as a device in UTC-6 would write it.
pub fn minutes_ago(minutes: i64) -> String {
    let offset = FixedOffset::west_opt(6 * 3600).unwrap();
    (test_now() - chrono::Duration::minutes(minutes)).with_timezone(&offset).to_rfc3339()
}

/// The day, in the test company's time zone (America/Chicago), of the time
/// `hours_ago` hours before now: the `from` that opens the time card week
/// holding a punch made then, even just after the week turned.
pub fn day_of_hours_ago(hours: i64) -> String {
    (test_now() - chrono::Duration::hours(hours)).with_timezone(&chrono_tz::America::Chicago).date_naive().to_string()
}

pub async fn id(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Asserts an error answer's status and code, and returns its message.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    assert!(!message.is_empty());
    message
}

/// A punch with a photo `hours` hours ago; returns (punch id, photo sha256).
pub async fn photo_punch_at(app: &TestApp, device: &str, employee: &str, kind: &str, photo: &[u8], hours: i64) -> (String, String) {
    let response = app.punch_with_photo(device, &punch_body(employee, kind, &hours_ago(hours)), photo, "image/jpeg").await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let stored: Value = response.json().await.unwrap();
    (stored["punch"]["id"].as_str().unwrap().to_owned(), stored["punch"]["photo_sha256"].as_str().unwrap().to_owned())
}

/// Uploads `photo` (a JPEG) as an enrolment photo of `employee`, which must succeed.
pub async fn enrol(app: &TestApp, admin: &Admin, employee: &str, photo: &[u8]) {
    let part = reqwest::multipart::Part::bytes(photo.to_vec()).file_name("face.jpg").mime_str("image/jpeg").unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/employees/{employee}/enrolment")))
        .bearer_auth(&admin.token)
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
}
