//! Trust in the record (issue 22), over HTTP and the CLI: approved figures stay frozen through a
//! change of the overtime rule until the period is reopened, and the next export says how it
//! differs from the file sent; `clockface audit verify` finds a tail cut from the audit log with
//! its head rewound, and a witnessed head whose signature does not verify; a release is signed
//! with the employee's own name; a deletion on request is its own state and the clock asks again
//! when the policy allows it; deactivating an employee destroys their templates in that request.

use crate::helpers::*;
use clockface_domain::privacy::RELEASE_VERSION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const H: i64 = 3600;

fn regular_overtime(v: &Value) -> (i64, i64) {
    (v["regular_seconds"].as_i64().unwrap(), v["overtime_seconds"].as_i64().unwrap())
}

fn line_of<'a>(overview: &'a Value, worker: &str) -> &'a Value {
    overview["employees"].as_array().unwrap().iter().find(|e| e["employee_id"] == worker).unwrap()
}

async fn approved_figures_stay_until_reopened(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Grace Hopper", "7", &role, Some("2468")).await;
    let device = app.device(&admin, true).await;
    let mut federal = payroll_settings();
    federal["overtime_rule"] = json!("federal");
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", federal.clone()).await.status(), StatusCode::OK);
    // A 13-hour Monday and four 8-hour days: 45 hours, federal 40 regular + 5 overtime.
    let mut punches = vec![("in", "2026-11-16T06:00:00-06:00".to_owned()), ("out", "2026-11-16T19:00:00-06:00".to_owned())];
    for day in 17..=20 {
        punches.push(("in", format!("2026-11-{day}T07:00:00-06:00")));
        punches.push(("out", format!("2026-11-{day}T15:00:00-06:00")));
    }
    for (kind, at) in &punches {
        assert_eq!(app.punch(&device, &punch_body(&worker, kind, at)).await.status(), StatusCode::CREATED);
    }
    let period = "/api/v1/payroll/periods?date=2026-11-16";
    let overview: Value = app.get(&admin.token, period).await.json().await.unwrap();
    assert_eq!(regular_overtime(line_of(&overview, &worker)), (40 * H, 5 * H));

    // Approved for payroll (its punches are flagged as made before the device was set up: said so, and acknowledged) and exported.
    let approve = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"acknowledge_flags": true})).await;
    assert_eq!(approve.status(), StatusCode::NO_CONTENT);
    let sent = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=gusto").await.text().await.unwrap();
    assert!(sent.contains("Grace,Hopper,40.00,5.00,0.00"), "{sent}");

    // Switching to California would count the approved card differently: refused, and the periods named.
    let mut california = federal.clone();
    california["overtime_rule"] = json!("california");
    let response = app.put(&admin.token, "/api/v1/payroll/settings", california.clone()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "approved_periods_affected");
    assert!(refused["error"]["message"].as_str().unwrap().contains("2026-11-16 to 2026-11-29"), "{refused}");
    let card = &refused["error"]["details"]["periods"][0]["cards"][0];
    assert_eq!(card["name"], "Grace Hopper");
    assert_eq!(regular_overtime(&card["approved"]), (40 * H, 5 * H));
    // California: Monday 8 + 4 overtime + 1 double, the other days 32 regular.
    assert_eq!(regular_overtime(&card["under_new_settings"]), (40 * H, 4 * H));
    let saved: Value = app.get(&admin.token, "/api/v1/payroll/settings").await.json().await.unwrap();
    assert_eq!(saved["overtime_rule"], "federal", "nothing saved");

    // Saved knowingly: the approved card, the overview and every file keep the approved figures.
    california["keep_approved_figures"] = json!(true);
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", california).await.status(), StatusCode::OK);
    let overview: Value = app.get(&admin.token, period).await.json().await.unwrap();
    assert_eq!(regular_overtime(line_of(&overview, &worker)), (40 * H, 5 * H), "the overview keeps the approved figures");
    let c: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from=2026-11-16")).await.json().await.unwrap();
    assert_eq!(c["approved_figures"], true);
    assert_eq!(regular_overtime(&c["time_card"]), (40 * H, 5 * H), "the card keeps them");
    assert_eq!(c["time_card"]["days"][0]["regular_seconds"], 13 * H, "and each day's");
    let changed = &c["changed_since_approval"][0];
    assert_eq!(regular_overtime(&changed["now"]), (40 * H, 4 * H), "the card says how it would count now");
    let again = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=gusto").await;
    assert!(again.headers().get("x-clockface-changed-since-export").is_none(), "the same figures as the file sent");
    assert_eq!(again.text().await.unwrap(), sent, "the file is the one sent, to the byte");
    let audit: Vec<Value> = app.get(&admin.token, "/api/v1/audit?kind=payroll").await.json().await.unwrap();
    assert!(
        audit.iter().any(|e| e["detail"].as_str().unwrap().contains("keep their approved figures until reopened")),
        "the change is audited with the periods it left alone: {audit:?}"
    );

    // Reopened (with a reason, audited), the period counts under the rule in force.
    let reopen = json!({"reason": "California rule from now on"});
    assert_eq!(app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/reopen", reopen).await.status(), StatusCode::NO_CONTENT);
    let overview: Value = app.get(&admin.token, period).await.json().await.unwrap();
    assert_eq!(regular_overtime(line_of(&overview, &worker)), (40 * H, 4 * H));
    let audit: Vec<Value> = app.get(&admin.token, "/api/v1/audit?kind=period").await.json().await.unwrap();
    assert!(audit.iter().any(|e| e["action"] == "period.reopened" && e["detail"].as_str().unwrap().contains("California rule")));

    // The next export says the earlier file differs, and how, per employee.
    let changed = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=gusto").await;
    let header = changed.headers()["x-clockface-changed-since-export"].to_str().unwrap().to_owned();
    assert_eq!(header, format!("7:{}/{}/0->{}/{}/{}", 40 * H, 5 * H, 40 * H, 4 * H, H));
    assert!(changed.text().await.unwrap().contains("Grace,Hopper,40.00,4.00,1.00"));
}

#[tokio::test]
async fn approved_figures_stay_until_reopened_on_sqlite() {
    approved_figures_stay_until_reopened(Backend::Sqlite).await;
}

#[tokio::test]
async fn approved_figures_stay_until_reopened_on_postgres() {
    approved_figures_stay_until_reopened(Backend::Postgres).await;
}

/// `clockface audit verify` on a data folder: its exit code and what it printed.
fn verify(data_dir: &std::path::Path) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
        .args(["audit", "verify", "--data-dir"])
        .arg(data_dir)
        .env("CLOCKFACE_LOG", "error")
        .env_remove("CLOCKFACE_CONFIG")
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn audit_verify_finds_a_cut_tail_with_its_head_rewound_and_a_forged_witness() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    app.employee(&admin, "Grace Hopper", "7", &role, None).await;
    for days in [365, 180] {
        let policy = json!({"jurisdiction": "strictest", "photo_days": days});
        assert_eq!(app.put(&admin.token, "/api/v1/privacy/policy", policy).await.status(), StatusCode::CREATED);
    }
    let db = format!("sqlite://{}", app.data_dir().join("clockface.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let last: i64 = sqlx::query_scalar("SELECT seq FROM audit_heads").fetch_one(&pool).await.unwrap();
    assert!(last >= 2, "two versions of the policy make two entries");

    // The witness writes the head outside the database within a second or so.
    let witness = app.data_dir().join("audit-heads.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&witness).unwrap_or_default();
        if text.lines().any(|l| serde_json::from_str::<Value>(l).is_ok_and(|h| h["seq"] == last)) {
            break;
        }
        assert!(Instant::now() < deadline, "the witness did not record head {last}: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, said) = verify(app.data_dir());
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("reaches every head the witness signed"), "{said}");

    // Cut the last entry and rewind the head to the one before: the chain alone would hold.
    let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1").bind(last - 1).fetch_one(&pool).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = $1").bind(last).execute(&pool).await.unwrap();
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2").bind(last - 1).bind(&hash).execute(&pool).await.unwrap();
    let (code, said) = verify(app.data_dir());
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(&format!("entries {last} to {last} were cut off")), "the cut entry is named: {said}");

    // A witnessed head moved back by hand in the file does not verify, and is reported.
    let text = std::fs::read_to_string(&witness).unwrap();
    let mut forged: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    forged["seq"] = json!(last + 5);
    std::fs::write(&witness, format!("{text}{forged}\n")).unwrap();
    let (code, said) = verify(app.data_dir());
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("does not verify"), "{said}");
}

#[tokio::test]
async fn a_release_is_signed_with_the_employees_own_name_on_the_clock_and_by_an_admin() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let sally = app.employee(&admin, "Sally Kristen Ride", "7", &role, Some("2468")).await;
    let device = app.device(&admin, true).await;
    app.publish_policy(&admin).await;
    app.sync(&device).await;

    // On the clock: "xyz" is refused and the answer says what to type; nothing is recorded.
    let answer = |name: &str| json!({"pin": "2468", "decision": "signed", "signed_name": name, "release_version": RELEASE_VERSION});
    let response = app.client.post(app.url("/api/v1/device/release")).bearer_auth(&device).json(&answer("xyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["error"]["code"].as_str(), body["error"]["field"].as_str()), (Some("signature_name_mismatch"), Some("signed_name")));
    assert!(body["error"]["message"].as_str().unwrap().contains("Sally Kristen Ride"), "{body}");
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{sally}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "not_asked", "a refused signature records nothing");

    // Her name, forgiving case, accents, spaces and the middle name.
    let response =
        app.client.post(app.url("/api/v1/device/release")).bearer_auth(&device).json(&answer("  sally  RIDE ")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{sally}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "signed");

    // An admin recording it for someone else's name is refused the same way.
    let ana = app.employee(&admin, "Ana Ruiz", "8", &role, None).await;
    let wrong = json!({"decision": "signed", "signed_name": "Sally Ride", "release_version": RELEASE_VERSION});
    let message = expect_error(
        app.put(&admin.token, &format!("/api/v1/employees/{ana}/release"), wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "signature_name_mismatch",
    )
    .await;
    assert!(message.contains("Ana Ruiz"), "{message}");
}

async fn deletion_on_request_is_withdrawn_and_asked_again(reconsent: bool) -> (Value, Value) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let device = app.device(&admin, true).await;
    let policy = json!({"jurisdiction": "strictest", "photo_days": 365, "reconsent": reconsent});
    assert_eq!(app.put(&admin.token, "/api/v1/privacy/policy", policy).await.status(), StatusCode::CREATED);
    app.sync(&device).await;
    let worker = app.employee(&admin, "Grace Hopper", "7", &role, Some("2468")).await;
    app.sign_release(&admin, &worker).await;
    let deleted =
        app.post(&admin.token, &format!("/api/v1/employees/{worker}/biometrics/delete"), json!({"reason": "asked on 3 May"})).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    let signed_in: Value = app
        .client
        .post(app.url("/api/v1/device/sign-in"))
        .bearer_auth(&device)
        .json(&json!({"pin": "2468"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (release, signed_in)
}

#[tokio::test]
async fn a_deletion_on_request_is_withdrawn_not_declined_and_the_clock_asks_again_when_the_policy_allows() {
    let (release, signed_in) = deletion_on_request_is_withdrawn_and_asked_again(true).await;
    assert_eq!(release["status"], "withdrawn", "{release}");
    assert_eq!(release["release"]["withdrawn_reason"], "deleted on request: asked on 3 May");
    assert!(release["release"]["withdrawn_by"].is_string() && release["release"]["withdrawn_at"].is_string(), "{release}");
    assert!(signed_in["release"]["withdrawn_on"].is_string(), "the clock is told why it asks: {signed_in}");

    let (release, signed_in) = deletion_on_request_is_withdrawn_and_asked_again(false).await;
    assert_eq!(release["status"], "withdrawn");
    assert!(signed_in["release"].is_null(), "a policy without re-consent does not ask again: {signed_in}");
}

#[tokio::test]
async fn deactivating_an_employee_destroys_their_templates_in_that_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    app.publish_policy(&admin).await;
    let worker = app.employee(&admin, "Grace Hopper", "7", &role, None).await;
    app.sign_release(&admin, &worker).await;
    enrol(&app, &admin, &worker, FACE_JPEG).await;
    let templates = || async {
        let enrolment: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/enrolment")).await.json().await.unwrap();
        enrolment["templates"].as_array().unwrap().len()
    };
    assert_eq!(templates().await, 1);

    let inactive = json!({"name": "Grace Hopper", "number": "7", "role_id": role, "active": false});
    assert_eq!(app.put(&admin.token, &format!("/api/v1/employees/{worker}"), inactive).await.status(), StatusCode::OK);
    assert_eq!(templates().await, 0, "destroyed in the request that made her inactive, not at the next daily run");
    let audit: Vec<Value> = app.get(&admin.token, &format!("/api/v1/audit?employee={worker}")).await.json().await.unwrap();
    let destroyed = audit.iter().find(|e| e["action"] == "templates.destroyed").expect("audited");
    assert!(destroyed["actor"].as_str().unwrap().starts_with("admin:"), "in the admin's name: {destroyed}");
    assert!(destroyed["detail"].as_str().unwrap().contains("employment ended"), "{destroyed}");
}
