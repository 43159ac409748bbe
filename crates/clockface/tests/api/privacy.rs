//! Biometric privacy over HTTP and through the destruction job with an injected clock: the public
//! policy, the release on the clock and on the admin API, destruction on the policy's day (local
//! folder and S3), two jobs at once, deletion and export on request, the audit log's chain and
//! `clockface audit verify`, and punches signed by the device.

use crate::helpers::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Duration, Utc};
use clockface_domain::privacy::RELEASE_VERSION;
use clockface_web::privacy::destroy_due;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Read;

const OBAMA_1: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-1.jpg");
const OBAMA_2: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-2.jpg");

struct Setup {
    admin: Admin,
    role: String,
    device: String,
}

async fn setup(app: &TestApp, jurisdiction: &str, photo_days: i64) -> Setup {
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let device = app.device(&admin, true).await;
    let published = app.put(&admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": jurisdiction, "photo_days": photo_days})).await;
    assert_eq!(published.status(), StatusCode::CREATED);
    app.sync(&device).await;
    Setup { admin, role, device }
}

/// A punch with a photo an hour ago; returns (punch id, photo sha256).
async fn photo_punch(app: &TestApp, device: &str, employee: &str, kind: &str, photo: &[u8]) -> (String, String) {
    photo_punch_at(app, device, employee, kind, photo, 1).await
}

fn company(admin: &Admin) -> clockface_domain::ids::CompanyId {
    admin.company_id.parse().unwrap()
}

async fn templates(app: &TestApp, admin: &Admin, employee: &str) -> usize {
    let enrolment: Value = app.get(&admin.token, &format!("/api/v1/employees/{employee}/enrolment")).await.json().await.unwrap();
    enrolment["templates"].as_array().unwrap().len()
}

/// The seconds worked on the employee's time card around today.
async fn worked_seconds(app: &TestApp, admin: &Admin, employee: &str) -> i64 {
    let day = |days: i64| (Utc::now() + Duration::days(days)).date_naive();
    let url = format!("/api/v1/employees/{employee}/timecard?from={}&to={}", day(-2), day(1));
    app.get(&admin.token, &url).await.json::<Value>().await.unwrap()["time_card"]["seconds"].as_i64().unwrap()
}

async fn destructions(app: &TestApp, admin: &Admin) -> Vec<Value> {
    app.get(&admin.token, "/api/v1/privacy/destructions").await.json::<Vec<Value>>().await.unwrap()
}

async fn deactivate(app: &TestApp, admin: &Admin, employee: &str) {
    let url = format!("/api/v1/employees/{employee}");
    let current: Value = app.get(&admin.token, &url).await.json().await.unwrap();
    let body = json!({"name": current["name"], "number": current["number"], "role_id": current["role_id"], "active": false});
    let response = app.put(&admin.token, &url, body).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_policy_page_is_public_and_versioned() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let url = format!("/policy/{}", admin.company_id);
    assert_eq!(app.client.get(app.url(&url)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "nothing published yet");
    expect_error(app.get(&admin.token, "/api/v1/privacy/policy").await, StatusCode::NOT_FOUND, "not_found").await;
    let bad = app.put(&admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": "mars", "photo_days": 30})).await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;

    let first: Value =
        app.put(&admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": "illinois", "photo_days": 90})).await.json().await.unwrap();
    assert_eq!((first["version"].as_i64(), first["url"].as_str()), (Some(1), Some(url.as_str())));
    let second = app.put(&admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": "texas", "photo_days": 30})).await;
    assert_eq!(second.status(), StatusCode::CREATED);

    // No cookie, no token: anyone can read it.
    let page = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("version 2") && page.contains("within one year after the employee"), "{page}");
    assert!(page.contains("30 days"));
    let old = app.client.get(app.url(&format!("{url}?version=1"))).send().await.unwrap().text().await.unwrap();
    assert!(old.contains("three years after their last time punch") && old.contains("90 days"), "{old}");
    let unknown = app.client.get(app.url(&format!("/policy/{}", uuid::Uuid::new_v4()))).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let log = app.running.state.store.audit_log(company(&admin), 10).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "policy.published").count(), 2);
}

/// A member of the public finds a company's policy from the front page, without its id: `/policy`
/// lists the companies that published one (only those), in English or Spanish; a registered
/// clock is told where its company's policy is.
#[tokio::test]
async fn the_front_page_leads_to_every_published_policy() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("<a href=\"/policy\">Biometric data policies</a>"), "{home}");
    let acme = app.admin("ana@acme.test").await;
    let other = app.admin("zed@other.test").await;
    let device = app.device(&acme, true).await;
    let synced: Value = app.post(&device, "/api/v1/device/sync", json!({})).await.json().await.unwrap();
    assert_eq!(synced["policy_url"], Value::Null, "nothing published yet: {synced}");
    let none = app.client.get(app.url("/policy")).send().await.unwrap().text().await.unwrap();
    assert!(none.contains("No company on this server has published a biometric data policy yet."), "{none}");

    let published = app.put(&acme.token, "/api/v1/privacy/policy", json!({"jurisdiction": "illinois", "photo_days": 90})).await;
    assert_eq!(published.status(), StatusCode::CREATED);
    let list = app.client.get(app.url("/policy")).send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    let acme_name = app.running.state.store.company(company(&acme)).await.unwrap().name.as_str().to_owned();
    assert!(list.contains(&format!("<a href=\"/policy/{}?lang=en\">{acme_name}</a>", acme.company_id)), "{list}");
    assert!(!list.contains(&other.company_id) && list.matches("<li>").count() == 1, "a company without a policy is not listed: {list}");
    let spanish = app.client.get(app.url("/policy?lang=es")).send().await.unwrap().text().await.unwrap();
    assert!(spanish.contains("Políticas de datos biométricos") && spanish.contains("?lang=es"), "{spanish}");
    let synced: Value = app.post(&device, "/api/v1/device/sync", json!({})).await.json().await.unwrap();
    assert_eq!(synced["policy_url"], format!("/policy/{}", acme.company_id));
}

/// Photos go `photo_days` after they were taken, templates when the Illinois preset says; the
/// punches stay as they were, and each destruction is logged once with its policy version.
async fn the_destruction_job_destroys_on_the_policy_day_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app, "illinois", 30).await;
    let state = &app.running.state;
    let worker = app.employee(&s.admin, "Barack Obama", "1", &s.role, None).await;
    app.sign_release(&s.admin, &worker).await;
    enrol(&app, &s.admin, &worker, OBAMA_1).await;
    let (_, sha) = photo_punch_at(&app, &s.device, &worker, "in", OBAMA_2, 3).await;
    let (_, out_sha) = photo_punch_at(&app, &s.device, &worker, "out", OBAMA_2, 1).await;
    assert_eq!(sha, out_sha, "the same photo is stored once");
    assert_eq!(worked_seconds(&app, &s.admin, &worker).await, 2 * 3600, "two hours worked");
    let employee_id = worker.parse().unwrap();
    let all = |state: &clockface_web::AppState| {
        let store = state.store.clone();
        let company = company(&s.admin);
        async move {
            let (first, last) = clockface_web::privacy::all_time();
            store.punches(company, employee_id, first, last).await.unwrap()
        }
    };
    let punches_before = all(state).await;
    let now = Utc::now();

    // The day before the photo's 30 days are up: nothing goes.
    let early = destroy_due(state, now + Duration::days(29)).await.unwrap();
    assert_eq!((early.templates, early.photos), (0, 0));
    let photo_url = format!("/api/v1/photos/{sha}");
    assert_eq!(app.get(&s.admin.token, &photo_url).await.status(), StatusCode::OK);

    // A day after: the punch photo's bytes are gone, the enrolment photo (a template holds it) stays.
    let due = destroy_due(state, now + Duration::days(31)).await.unwrap();
    assert_eq!((due.templates, due.photos), (0, 1));
    let gone = expect_error(app.get(&s.admin.token, &photo_url).await, StatusCode::GONE, "photo_destroyed").await;
    assert!(gone.contains("policy version 1"), "{gone}");
    assert!(matches!(state.blobs.get(company(&s.admin), &sha).await, Err(clockface_store::StoreError::NotFound)), "the bytes are deleted");
    assert_eq!(templates(&app, &s.admin, &worker).await, 1, "Illinois keeps templates while employed and punching");
    assert_eq!(all(state).await, punches_before, "the punches are unchanged");
    assert_eq!(worked_seconds(&app, &s.admin, &worker).await, 2 * 3600, "and so are their hours");

    // Made inactive: under Illinois the templates go the day employment ends, in that very request.
    deactivate(&app, &s.admin, &worker).await;
    assert_eq!(templates(&app, &s.admin, &worker).await, 0, "destroyed when she was made inactive");
    let release: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert!(release["templates_destroyed_on"].is_null(), "nothing left to destroy: {release}");
    let left = destroy_due(state, Utc::now() + Duration::seconds(1)).await.unwrap();
    assert_eq!(left.templates, 0, "the daily job finds nothing left");
    // Their enrolment photo is now an ordinary photo, gone after its own 30 days.
    let later = destroy_due(state, now + Duration::days(31)).await.unwrap();
    assert_eq!((later.templates, later.photos), (0, 1));

    let log = destructions(&app, &s.admin).await;
    let kinds: Vec<&str> = log.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "photo").count(), 2, "{log:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "templates").count(), 1, "{log:?}");
    assert!(log.iter().all(|d| d["policy_version"] == 1), "{log:?}");
    assert!(log.iter().filter(|d| d["kind"] == "templates").all(|d| d["employee_id"] == worker.as_str()), "{log:?}");
    assert!(!serde_json::to_string(&log).unwrap().contains("embedding"));
    assert_eq!(all(state).await, punches_before, "still every punch");
    assert_eq!(worked_seconds(&app, &s.admin, &worker).await, 2 * 3600, "and every hour");
    let audit = state.store.audit_log(company(&s.admin), 50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "templates.destroyed" && e.actor.starts_with("admin:")), "by the admin who deactivated");
    assert!(audit.iter().any(|e| e.action == "photos.destroyed" && e.actor == "system"));
}

#[tokio::test]
async fn the_destruction_job_destroys_on_the_policy_day() {
    the_destruction_job_destroys_on_the_policy_day_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_destruction_job_destroys_on_the_policy_day_on_postgres() {
    the_destruction_job_destroys_on_the_policy_day_on(Backend::Postgres).await;
}

#[tokio::test]
async fn the_destruction_job_destroys_on_the_policy_day_with_photos_in_s3() {
    the_destruction_job_destroys_on_the_policy_day_on(Backend::PostgresS3).await;
}

/// Illinois: three years after the last punch while still employed; Texas: a year after leaving.
async fn presets_set_the_day_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app, "illinois", 365).await;
    let state = &app.running.state;
    let worker = app.employee(&s.admin, "Barack Obama", "1", &s.role, None).await;
    app.sign_release(&s.admin, &worker).await;
    enrol(&app, &s.admin, &worker, OBAMA_1).await;
    let now = Utc::now();
    assert_eq!(destroy_due(state, now + Duration::days(3 * 365 - 1)).await.unwrap().templates, 0);
    assert_eq!(destroy_due(state, now + Duration::days(3 * 365 + 1)).await.unwrap().templates, 1, "3 years without a punch");

    let texan = app.employee(&s.admin, "Grace Hopper", "2", &s.role, None).await;
    let texas = app.put(&s.admin.token, "/api/v1/privacy/policy", json!({"jurisdiction": "texas", "photo_days": 365})).await;
    assert_eq!(texas.status(), StatusCode::CREATED);
    app.sign_release(&s.admin, &texan).await;
    enrol(&app, &s.admin, &texan, OBAMA_1).await;
    assert_eq!(destroy_due(state, now + Duration::days(10 * 365)).await.unwrap().templates, 0, "Texas sets no date while employed");
    deactivate(&app, &s.admin, &texan).await;
    let left = Utc::now();
    assert_eq!(destroy_due(state, left + Duration::days(364)).await.unwrap().templates, 0);
    assert_eq!(destroy_due(state, left + Duration::days(366)).await.unwrap().templates, 1, "a year after leaving");
    let log = destructions(&app, &s.admin).await;
    let texan_log = log.iter().find(|d| d["employee_id"] == texan.as_str()).expect("logged");
    assert_eq!(texan_log["policy_version"], 2, "destroyed under the Texas version: {log:?}");
}

#[tokio::test]
async fn presets_set_the_day() {
    presets_set_the_day_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn presets_set_the_day_on_postgres() {
    presets_set_the_day_on(Backend::Postgres).await;
}

/// Two jobs at once (as on two nodes) destroy and log each photo and template once.
async fn two_jobs_at_once_destroy_each_thing_once_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app, "illinois", 1).await;
    let state = &app.running.state;
    let mut shas = Vec::new();
    for i in 0..4 {
        let worker = app.employee(&s.admin, &format!("Worker {i}"), &format!("{i}"), &s.role, None).await;
        // Four different photos: the same picture turned each time.
        let turned = image::load_from_memory(OBAMA_2).unwrap().huerotate(i * 20);
        let mut bytes = std::io::Cursor::new(Vec::new());
        turned.to_rgb8().write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
        shas.push(photo_punch(&app, &s.device, &worker, "in", &bytes.into_inner()).await.1);
        if i == 0 {
            app.sign_release(&s.admin, &worker).await;
            enrol(&app, &s.admin, &worker, OBAMA_1).await;
        }
    }
    shas.sort();
    shas.dedup();
    assert_eq!(shas.len(), 4);
    // Three years and two days on, Illinois's clock has run out for the template too.
    let at = Utc::now() + Duration::days(3 * 365 + 2);
    let (a, b) = tokio::join!(destroy_due(state, at), destroy_due(state, at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.templates + b.templates, 1, "{a:?} {b:?}");
    assert_eq!(a.photos + b.photos, 5, "four punch photos and the enrolment photo: {a:?} {b:?}");
    let log = destructions(&app, &s.admin).await;
    assert_eq!(log.iter().filter(|d| d["kind"] == "photo").count(), 5, "{log:?}");
    assert_eq!(log.iter().filter(|d| d["kind"] == "templates").count(), 1, "{log:?}");
    let again = destroy_due(state, at).await.unwrap();
    assert_eq!((again.templates, again.photos), (0, 0), "nothing is destroyed twice");
}

#[tokio::test]
async fn two_jobs_at_once_destroy_each_thing_once() {
    two_jobs_at_once_destroy_each_thing_once_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_jobs_at_once_destroy_each_thing_once_on_postgres_and_s3() {
    two_jobs_at_once_destroy_each_thing_once_on(Backend::PostgresS3).await;
}

fn unzip(bytes: &[u8]) -> std::collections::HashMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

#[tokio::test]
async fn an_admin_exports_everything_about_an_employee_then_deletes_their_biometric_data() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = setup(&app, "strictest", 365).await;
    let worker = app.employee(&s.admin, "Barack Obama", "1", &s.role, None).await;
    app.sign_release(&s.admin, &worker).await;
    enrol(&app, &s.admin, &worker, OBAMA_1).await;
    let (_, sha) = photo_punch(&app, &s.device, &worker, "in", OBAMA_2).await;
    assert_eq!(app.get(&s.admin.token, &format!("/api/v1/photos/{sha}")).await.status(), StatusCode::OK);

    let export = app.get(&s.admin.token, &format!("/api/v1/employees/{worker}/export")).await;
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()["content-type"], "application/zip");
    let files = unzip(&export.bytes().await.unwrap());
    let json = |name: &str| serde_json::from_slice::<Value>(&files[name]).unwrap();
    assert_eq!(json("employee.json")["name"], "Barack Obama");
    assert_eq!(json("punches.json").as_array().unwrap().len(), 1);
    assert_eq!(json("release.json")["release"]["decision"], "signed");
    let templates_file = json("templates.json");
    assert_eq!(templates_file["templates"].as_array().unwrap().len(), 1);
    assert!(!String::from_utf8_lossy(&files["templates.json"]).contains("embedding"), "no template bytes");
    assert_eq!(files[&format!("photos/{sha}.jpg")], OBAMA_2, "the punch photo, byte for byte");
    assert!(json("audit.json").as_array().unwrap().iter().any(|e| e["action"] == "photo.viewed"), "the photo view is about them");
    assert!(files.contains_key("README.txt"));

    let url = format!("/api/v1/employees/{worker}/biometrics/delete");
    expect_error(app.post(&s.admin.token, &url, json!({"reason": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let deleted: Value = app.post(&s.admin.token, &url, json!({"reason": "asked on 3 May", "photos": true})).await.json().await.unwrap();
    assert_eq!(
        (deleted["templates"].as_u64(), deleted["photos"].as_u64(), deleted["release_withdrawn"].as_bool()),
        (Some(1), Some(2), Some(true))
    );
    assert_eq!(templates(&app, &s.admin, &worker).await, 0);
    expect_error(app.get(&s.admin.token, &format!("/api/v1/photos/{sha}")).await, StatusCode::GONE, "photo_destroyed").await;
    let release: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "withdrawn", "no template is made again without a new signature");
    assert_eq!(release["release"]["decision"], "signed", "the signature stays on record, withdrawn");
    let log = destructions(&app, &s.admin).await;
    assert!(log.iter().all(|d| d["reason"].as_str().unwrap().contains("asked on 3 May")), "{log:?}");
    let audit: Vec<Value> = app.get(&s.admin.token, &format!("/api/v1/audit?employee={worker}")).await.json().await.unwrap();
    let kinds: Vec<&str> = audit.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for kind in ["employee.exported", "release.withdrawn", "templates.destroyed", "photos.destroyed", "photo.viewed", "release.signed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let photos_only: Vec<Value> = app.get(&s.admin.token, "/api/v1/audit?kind=photo").await.json().await.unwrap();
    assert!(photos_only.iter().all(|e| e["action"].as_str().unwrap().starts_with("photo")), "{photos_only:?}");
    let csv = app.get(&s.admin.token, &format!("/api/v1/audit/csv?employee={worker}")).await.text().await.unwrap();
    assert!(csv.starts_with("seq,at,actor,action,subject,employee_id,detail,hash") && csv.contains("employee.exported"), "{csv}");
    expect_error(app.get(&s.admin.token, "/api/v1/audit?from=yesterday").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
}

#[tokio::test]
async fn audit_verify_passes_on_an_untouched_log_and_fails_after_an_edit_by_hand() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = setup(&app, "strictest", 365).await;
    let worker = app.employee(&s.admin, "Barack Obama", "1", &s.role, None).await;
    app.sign_release(&s.admin, &worker).await;
    enrol(&app, &s.admin, &worker, OBAMA_1).await;
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
            .args(["audit", "verify", "--data-dir"])
            .arg(app.data_dir())
            .env("CLOCKFACE_LOG", "error")
            .output()
            .unwrap()
    };
    let clean = verify();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("whole"));

    let url = format!("sqlite://{}", app.data_dir().join("clockface.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let original: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE seq = 2").fetch_one(&pool).await.unwrap();
    let edited = sqlx::query("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2").execute(&pool).await.unwrap();
    assert_eq!(edited.rows_affected(), 1);
    let tampered = verify();
    assert_eq!(tampered.status.code(), Some(1), "{}", String::from_utf8_lossy(&tampered.stdout));
    let said = String::from_utf8_lossy(&tampered.stdout);
    assert!(said.contains(&admin_company(&s.admin)), "names the company: {said}");

    sqlx::query("UPDATE audit_log SET detail = $1 WHERE seq = 2").bind(&original).execute(&pool).await.unwrap();
    assert!(verify().status.success(), "put back as it was, the chain holds again");
    sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(&pool).await.unwrap();
    assert_eq!(verify().status.code(), Some(1), "a deleted entry is found too");
}

fn admin_company(admin: &Admin) -> String {
    admin.company_id.clone()
}

/// A device key, registered; and the content a punch body signs.
struct SigningDevice {
    key: SigningKey,
}

impl SigningDevice {
    async fn register(app: &TestApp, device: &str) -> SigningDevice {
        let key = SigningKey::from_slice(&[42u8; 32]).unwrap();
        let public = STANDARD.encode(key.verifying_key().to_encoded_point(false).as_bytes());
        let registered = app.post(device, "/api/v1/device/key", json!({"public_key": public})).await;
        assert_eq!(registered.status(), StatusCode::OK);
        assert_eq!(
            app.post(device, "/api/v1/device/key", json!({"public_key": public})).await.status(),
            StatusCode::OK,
            "the same key again"
        );
        let other = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let other = STANDARD.encode(other.verifying_key().to_encoded_point(false).as_bytes());
        expect_error(app.post(device, "/api/v1/device/key", json!({"public_key": other})).await, StatusCode::CONFLICT, "key_set").await;
        expect_error(
            app.post(device, "/api/v1/device/key", json!({"public_key": "AAAA"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        )
        .await;
        SigningDevice { key }
    }

    fn sign(&self, body: &Value, photo_sha256: Option<&str>) -> String {
        let content = format!(
            "clockface-punch-v1\n{}\n{}\n{}\n{}\n{}\n{}",
            body["client_id"].as_str().unwrap(),
            body["employee_id"].as_str().unwrap(),
            body["kind"].as_str().unwrap(),
            body["device_time"].as_str().unwrap(),
            body["clock_for_by"].as_str().unwrap_or(""),
            photo_sha256.unwrap_or(""),
        );
        let signature: Signature = self.key.sign(content.as_bytes());
        STANDARD.encode(signature.to_bytes())
    }
}

async fn flags_of(app: &TestApp, device: &str, body: &Value) -> Vec<String> {
    let response = app.punch(device, body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "stored, never refused");
    let stored: Value = response.json().await.unwrap();
    stored["punch"]["flags"].as_array().unwrap().iter().map(|f| f["flag"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn altered_replayed_and_unsigned_punches_are_stored_and_flagged() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    let device = app.device(&admin, false).await;
    app.sync(&device).await;
    // Before the device has a key, an unsigned punch is ordinary.
    assert!(flags_of(&app, &device, &punch_body(&worker, "in", &hours_ago(9))).await.is_empty());
    let signer = SigningDevice::register(&app, &device).await;

    let mut good = punch_body(&worker, "out", &hours_ago(8));
    good["signature"] = json!(signer.sign(&good, None));
    assert!(flags_of(&app, &device, &good).await.is_empty(), "a signed punch is clean");

    let mut altered = punch_body(&worker, "in", &hours_ago(7));
    altered["signature"] = json!(signer.sign(&altered, None));
    altered["device_time"] = json!(hours_ago(6));
    assert_eq!(flags_of(&app, &device, &altered).await, ["bad_signature"], "content changed after signing");

    let mut replayed = punch_body(&worker, "out", &hours_ago(5));
    replayed["signature"] = good["signature"].clone();
    assert_eq!(flags_of(&app, &device, &replayed).await, ["bad_signature"], "another punch's signature");

    let unsigned = punch_body(&worker, "in", &hours_ago(4));
    assert_eq!(flags_of(&app, &device, &unsigned).await, ["missing_signature"]);

    let queue: Vec<Value> = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.len(), 3, "the three flagged punches wait for review: {queue:?}");
}

#[tokio::test]
async fn the_clock_asks_for_the_release_and_a_decliner_keeps_clocking_in_without_a_template() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let s = setup(&app, "illinois", 365).await;
    let signer = app.employee(&s.admin, "Barack Obama", "1", &s.role, Some("4821")).await;
    let decliner = app.employee(&s.admin, "Grace Hopper", "2", &s.role, Some("5932")).await;

    let signed_in: Value = app.post(&s.device, "/api/v1/device/sign-in", json!({"pin": "4821"})).await.json().await.unwrap();
    let notice = &signed_in["release"];
    assert_eq!(notice["release_version"], RELEASE_VERSION);
    assert!(notice["text"].as_str().unwrap().contains("three years after your last punch"), "{notice}");
    let answer = |pin: &str, decision: &str| json!({"pin": pin, "decision": decision, "signed_name": "Barack Obama", "release_version": RELEASE_VERSION});
    expect_error(app.post(&s.device, "/api/v1/device/release", answer("0000", "signed")).await, StatusCode::UNAUTHORIZED, "wrong_pin")
        .await;
    let recorded = app.post(&s.device, "/api/v1/device/release", answer("4821", "signed")).await;
    assert_eq!(recorded.status(), StatusCode::OK);
    let view: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{signer}/release")).await.json().await.unwrap();
    assert_eq!(view["status"], "signed");
    assert!(view["release"]["device_id"].is_string(), "signed on the clock: {view}");
    let again: Value = app.post(&s.device, "/api/v1/device/sign-in", json!({"pin": "4821"})).await.json().await.unwrap();
    assert!(again["release"].is_null(), "not asked again");

    let declined = app.post(&s.device, "/api/v1/device/release", answer("5932", "declined")).await;
    assert_eq!(declined.status(), StatusCode::OK);
    let (punch, _) = photo_punch(&app, &s.device, &decliner, "in", OBAMA_2).await;
    let verdict = verdict_of(&app, &s.admin, &punch).await;
    assert_eq!(verdict["verdict"], "not_enrolled");
    assert!(verdict["message"].as_str().unwrap().contains("declined"), "{verdict}");
    assert_eq!(templates(&app, &s.admin, &decliner).await, 0, "no template of a decliner");
}

#[tokio::test]
async fn the_release_is_signed_in_spanish_and_records_the_exact_text_read() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = setup(&app, "illinois", 90).await;
    let worker = app.employee(&s.admin, "Ana Campo", "1", &s.role, Some("4821")).await;

    let signed_in: Value = app.post(&s.device, "/api/v1/device/sign-in", json!({"pin": "4821"})).await.json().await.unwrap();
    let texts = signed_in["release"]["texts"].as_array().expect("the notice in every language").clone();
    let languages: Vec<_> = texts.iter().map(|t| t["language"].as_str().unwrap()).collect();
    assert_eq!(languages, ["en", "es"]);
    let spanish = &texts[1];
    let text = spanish["text"].as_str().unwrap();
    assert!(text.contains("tres años después de su última marcación") && text.contains("90 días"), "{text}");
    assert!(spanish["policy_url"].as_str().unwrap().ends_with("?lang=es"));
    assert_eq!(texts[0]["text"], signed_in["release"]["text"], "text stays the English one");
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    assert_eq!(spanish["text_sha256"], hash.as_str());

    let answer = |language: &str, sha: &str| {
        json!({"pin": "4821", "decision": "signed", "signed_name": "Ana Campo", "release_version": RELEASE_VERSION,
               "language": language, "text_sha256": sha})
    };
    // A text other than the current one, or a language the server does not write, records nothing.
    expect_error(
        app.post(&s.device, "/api/v1/device/release", answer("es", &"0".repeat(64))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "release_text_changed",
    )
    .await;
    expect_error(app.post(&s.device, "/api/v1/device/release", answer("fr", &hash)).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        .await;
    let before: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert!(before["release"].is_null(), "nothing recorded: {before}");

    let recorded = app.post(&s.device, "/api/v1/device/release", answer("es", &hash)).await;
    assert_eq!(recorded.status(), StatusCode::OK);
    let view: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert_eq!(view["status"], "signed");
    assert_eq!(view["release"]["language"], "es");
    assert_eq!(view["release"]["text_sha256"], hash.as_str());
    assert_eq!(view["release"]["text"], text, "the exact text read is kept");
    let audit: Value = app.get(&s.admin.token, &format!("/api/v1/audit?employee={worker}")).await.json().await.unwrap();
    assert!(audit.to_string().contains(&format!("read in es (text sha256 {hash})")), "{audit}");

    // Without a language (an older clock, the admin API) the release is the English one.
    let other = app.employee(&s.admin, "Sam Lee", "2", &s.role, Some("5932")).await;
    app.sign_release(&s.admin, &other).await;
    let english: Value = app.get(&s.admin.token, &format!("/api/v1/employees/{other}/release")).await.json().await.unwrap();
    assert_eq!(english["release"]["language"], "en");
    assert_eq!(english["release"]["text"], texts[0]["text"]);
}

/// A data folder from a release before the privacy kit: its templates were stored in plain and its
/// audit log was not chained. The new release seals the templates at start (they still match) and
/// chains the log (which then verifies), keeping every punch and photo.
#[tokio::test]
async fn an_earlier_releases_plain_templates_and_unchained_log_are_upgraded_at_start() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = setup(&app, "strictest", 365).await;
    let worker = app.employee(&s.admin, "Barack Obama", "1", &s.role, None).await;
    app.sign_release(&s.admin, &worker).await;
    enrol(&app, &s.admin, &worker, OBAMA_1).await;
    let (_, sha) = photo_punch(&app, &s.device, &worker, "in", OBAMA_2).await;
    let punches_before = app.punch_count(&s.admin).await;

    // What an earlier release wrote: the embedding's plain 512 bytes, and no chain.
    let engine = clockface_web::verification::engine().unwrap();
    let plain = engine.analyse(OBAMA_1, 0).unwrap().subject().unwrap().embedding.to_bytes();
    assert_eq!(plain.len(), 512);
    let url = format!("sqlite://{}", app.data_dir().join("clockface.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE face_templates SET embedding = $1").bind(&plain).execute(&pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL").execute(&pool).await.unwrap();
    sqlx::query("DELETE FROM audit_heads").execute(&pool).await.unwrap();
    pool.close().await;

    let app = app.restart(1).await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let stored: Vec<u8> = sqlx::query_scalar("SELECT embedding FROM face_templates").fetch_one(&pool).await.unwrap();
    assert_ne!(stored.len(), 512, "sealed at start");
    assert!(!stored.windows(16).any(|w| plain.windows(16).any(|p| p == w)), "no plain part of the embedding is left");
    let unchained: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE hash IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(unchained, 0, "every earlier entry joined the chain");
    assert!(app.running.state.store.verify_audit().await.unwrap().is_empty());
    assert_eq!(app.punch_count(&s.admin).await, punches_before);
    assert_eq!(app.get(&s.admin.token, &format!("/api/v1/photos/{sha}")).await.status(), StatusCode::OK, "the photo is kept");
    let (punch, _) = photo_punch(&app, &s.device, &worker, "out", OBAMA_2).await;
    let verdict = verdict_of(&app, &s.admin, &punch).await;
    assert_eq!(verdict["verdict"], "match", "the sealed template still matches: {verdict}");
}
