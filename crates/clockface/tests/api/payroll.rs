//! Payroll over HTTP: settings, corrections (the device's punch kept), California overtime with
//! a meal deduction on the card, approvals that lock the card, a late punch shown as arrived
//! after approval, reopening with a reason, the overview, and exports marked when repeated.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The shared settings with a 30-minute meal deducted after 6 hours and unpaid breaks.
fn settings() -> Value {
    let mut settings = payroll_settings();
    settings["meal_after_minutes"] = json!(360);
    settings["meal_minutes"] = json!(30);
    settings["breaks_paid"] = json!(false);
    settings
}

async fn card(app: &TestApp, token: &str, worker: &str) -> Value {
    let response = app.get(token, &format!("/api/v1/employees/{worker}/timecard?from=2026-11-16")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

const H: i64 = 3600;

async fn corrections_approvals_and_exports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Ada King Lovelace", "42", &role, Some("2468")).await;
    let device = app.device(&admin, true).await;

    // Settings: a wrong value is named; the good ones are kept.
    let mut wrong = settings();
    wrong["overtime_rule"] = json!("texas");
    let message =
        expect_error(app.put(&admin.token, "/api/v1/payroll/settings", wrong).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(message.contains("texas"), "{message}");
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", settings()).await.status(), StatusCode::OK);
    let saved: Value = app.get(&admin.token, "/api/v1/payroll/settings").await.json().await.unwrap();
    assert_eq!(saved, settings());

    // Monday 06:00-19:30, Tuesday 07:00 and no clock-out.
    for (kind, at) in [("in", "2026-11-16T06:00:00-06:00"), ("out", "2026-11-16T19:30:00-06:00"), ("in", "2026-11-17T07:00:00-06:00")] {
        assert_eq!(app.punch(&device, &punch_body(&worker, kind, at)).await.status(), StatusCode::CREATED);
    }
    let c = card(&app, &admin.token, &worker).await;
    assert_eq!(c["pay_period"], json!({"start": "2026-11-16", "end": "2026-11-29"}));
    assert_eq!(c["time_card"]["days"].as_array().unwrap().len(), 14);
    // 13.5 h worked, 30 min meal deducted = 13 h: 8 regular, 4 overtime (8-12 h), 1 double time (past 12 h).
    let monday = &c["time_card"]["days"][0];
    assert_eq!(monday["shifts"][0]["meal_deducted_seconds"], 1800);
    assert_eq!(
        (monday["regular_seconds"].as_i64(), monday["overtime_seconds"].as_i64(), monday["double_time_seconds"].as_i64()),
        (Some(8 * H), Some(4 * H), Some(H))
    );
    assert_eq!(c["time_card"]["issues"], 1);

    // A correction needs a reason.
    let add = |reason: &str| json!({"action": "add", "kind": "out", "at": "2026-11-17T15:30:00-06:00", "reason": reason});
    let response = app.post(&admin.token, &format!("/api/v1/employees/{worker}/corrections"), add("  ")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "reason");
    let response = app.post(&admin.token, &format!("/api/v1/employees/{worker}/corrections"), add("Forgot to clock out")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let added: Value = response.json().await.unwrap();
    assert_eq!(added["action"], "add");

    // Move Monday's clock-out to 18:30: the device's punch keeps its own time beside the correction.
    let out_id = c["time_card"]["days"][0]["shifts"][0]["end"]["id"].as_str().unwrap().to_owned();
    let response = app
        .post(
            &admin.token,
            &format!("/api/v1/employees/{worker}/corrections"),
            json!({"action": "move", "replaces": {"type": "punch", "id": out_id}, "at": "2026-11-16T18:30:00-06:00", "reason": "Left at 18:30, says the foreman"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let c = card(&app, &admin.token, &worker).await;
    let end = &c["time_card"]["days"][0]["shifts"][0]["end"];
    assert_eq!(end["local_time"], "18:30");
    assert_eq!(end["occurred_at"], "2026-11-17T01:30:00Z", "the device's time, unchanged");
    assert_eq!(end["correction"]["reason"], "Left at 18:30, says the foreman");
    assert_eq!(end["correction"]["original_local_time"], "19:30");
    let tuesday_end = &c["time_card"]["days"][1]["shifts"][0]["end"];
    assert!(tuesday_end.get("id").is_none(), "an added punch has no device punch");
    assert_eq!(tuesday_end["correction"]["reason"], "Forgot to clock out");
    // Monday 12.5 - 0.5 = 12 h: 8 + 4. Tuesday 8.5 - 0.5 = 8 h regular. Period: 16 regular, 4 overtime, 0 double.
    let t = &c["time_card"];
    assert_eq!(
        (t["regular_seconds"].as_i64(), t["overtime_seconds"].as_i64(), t["double_time_seconds"].as_i64()),
        (Some(16 * H), Some(4 * H), Some(0))
    );
    assert_eq!(t["issues"], 0);

    // Another company's admin finds neither the employee nor the punch.
    let other = app.admin("bo@other.test").await;
    let other_role = app.role(&other, "Crew", json!({})).await;
    let theirs = app.employee(&other, "Bo", "1", &other_role, None).await;
    expect_error(
        app.post(&other.token, &format!("/api/v1/employees/{worker}/corrections"), add("x")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let steal = json!({"action": "void", "replaces": {"type": "punch", "id": out_id}, "reason": "x"});
    expect_error(
        app.post(&other.token, &format!("/api/v1/employees/{theirs}/corrections"), steal).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.post(&other.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"employee_id": worker})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Approved, the card is locked.
    expect_error(app.post(&admin.token, "/api/v1/payroll/periods/2026-11-17/approve", json!({})).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    let approve = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"employee_id": worker})).await;
    assert_eq!(approve.status(), StatusCode::NO_CONTENT);
    let message = expect_error(
        app.post(&admin.token, &format!("/api/v1/employees/{worker}/corrections"), add("again")).await,
        StatusCode::CONFLICT,
        "card_locked",
    )
    .await;
    assert!(message.contains("reopen"), "{message}");
    let c = card(&app, &admin.token, &worker).await;
    assert_eq!(c["locked"]["by"], "card");

    // A device that was offline sends Wednesday's punch now: stored, and shown as arrived after approval.
    assert_eq!(app.punch(&device, &punch_body(&worker, "in", "2026-11-18T07:00:00-06:00")).await.status(), StatusCode::CREATED);
    let c = card(&app, &admin.token, &worker).await;
    assert_eq!(c["time_card"]["days"][2]["shifts"][0]["start"]["arrived_after_approval"], true);
    assert_eq!(c["time_card"]["days"][0]["shifts"][0]["start"]["arrived_after_approval"], false);
    let overview: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-20").await.json().await.unwrap();
    let line = overview["employees"].as_array().unwrap().iter().find(|e| e["employee_id"] == worker.as_str()).unwrap().clone();
    assert_eq!(line["arrived_after_approval"], 1);
    assert_eq!(line["corrections"], 2);
    assert_eq!(line["missing_punches"], 1, "Wednesday's clock-in has no clock-out");
    assert_eq!(line["regular_seconds"], 16 * H);
    assert!(line["approval"].is_object());

    // Reopening needs a reason; then corrections are taken again.
    let response = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/reopen", json!({"employee_id": worker, "reason": ""})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .post(&admin.token, "/api/v1/payroll/periods/2026-11-16/reopen", json!({"employee_id": worker, "reason": "late punch to fix"}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let fix = json!({"action": "add", "kind": "out", "at": "2026-11-18T15:00:00-06:00", "reason": "Forgot to clock out"});
    assert_eq!(app.post(&admin.token, &format!("/api/v1/employees/{worker}/corrections"), fix).await.status(), StatusCode::CREATED);

    // The admin approves the period (its punches came from before the device was set up, so it
    // asks first); exports are files in each layout; a second export says when the first was.
    expect_error(app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({})).await, StatusCode::CONFLICT, "open_flags")
        .await;
    let approve = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"acknowledge_flags": true})).await;
    assert_eq!(approve.status(), StatusCode::NO_CONTENT);
    let first = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=csv").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("x-clockface-exported-before").is_none());
    assert_eq!(first.headers()["content-disposition"], "attachment; filename=\"clockface_20261116_20261129.csv\"");
    let body = first.text().await.unwrap();
    // Wednesday 07:00-15:00 is 8 h less 30 min = 7.5 h regular.
    assert!(body.contains("42,Ada King Lovelace,2026-11-18,7.50,0.00,0.00,7.50"), "{body}");
    let again = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=adp_wfn").await;
    assert!(again.headers()["x-clockface-exported-before"].to_str().unwrap().contains("csv"));
    assert_eq!(again.headers()["content-disposition"], "attachment; filename=\"EPIABC7261116.csv\"");
    // ADP: 16 + 7.5 = 23.5 regular, 4 overtime, no double time.
    assert!(again.text().await.unwrap().contains("ABC,7261116,000042,23.50,4.00,,"));
    expect_error(
        app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=sage").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    let overview: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-16").await.json().await.unwrap();
    assert!(overview["approval"].is_object());
    assert_eq!(overview["exports"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn corrections_approvals_and_exports_on_sqlite() {
    corrections_approvals_and_exports(Backend::Sqlite).await;
}

#[tokio::test]
async fn corrections_approvals_and_exports_on_postgres() {
    corrections_approvals_and_exports(Backend::Postgres).await;
}

/// Approving a period whose cards still have open flags asks first (409 `open_flags`, each card
/// and its flags listed, nothing approved) and goes ahead when told to; a company that requires
/// approval before export gets no file for an unapproved period (and nothing is recorded); the
/// QuickBooks company create time is a setting the IIF carries; a settings body with two wrong
/// fields is refused naming both, and changes nothing.
async fn open_flags_export_approval_and_settings_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let done = app.employee(&admin, "Ada Lovelace", "42", &role, None).await;
    let open = app.employee(&admin, "Grace Hopper", "43", &role, None).await;
    let device = app.device(&admin, false).await;
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", settings()).await.status(), StatusCode::OK);
    for (who, kind, at) in [
        (&done, "in", "2026-11-16T07:00:00-06:00"),
        (&done, "out", "2026-11-16T15:00:00-06:00"),
        (&open, "in", "2026-11-17T07:00:00-06:00"),
    ] {
        assert_eq!(app.punch(&device, &punch_body(who, kind, at)).await.status(), StatusCode::CREATED);
    }

    // Asked: Grace's card has a missing clock-out; both cards' punches came from before the device
    // was set up (flagged). Nothing is approved.
    let response = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({})).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "open_flags");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Grace Hopper (1 missing punch, 1 photo or punch to check)"), "{message}");
    let cards = body["error"]["details"]["cards"].as_array().unwrap();
    let grace = cards.iter().find(|c| c["employee_id"] == open.as_str()).unwrap();
    assert_eq!((grace["missing_punches"].as_u64(), grace["photos_to_check"].as_u64()), (Some(1), Some(1)));
    assert_eq!((grace["in_progress"].as_u64(), grace["arrived_after_approval"].as_u64()), (Some(0), Some(0)));
    assert_eq!(grace["name"], "Grace Hopper");
    let overview: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-16").await.json().await.unwrap();
    assert!(overview["approval"].is_null(), "a refusal approves nothing");
    // A card alone is approved without the question (its flags are on the card the supervisor sees).
    let card = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"employee_id": done})).await;
    assert_eq!(card.status(), StatusCode::NO_CONTENT);

    // Unapproved, the period exports as it stands, and the answer says so.
    let loose = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=csv").await;
    assert_eq!(loose.status(), StatusCode::OK);
    assert_eq!(loose.headers()["x-clockface-period-approved"], "false");

    // The company requires approval before export and sets QuickBooks' company create time.
    let mut strict = settings();
    strict["require_approval_before_export"] = json!(true);
    strict["codes"]["quickbooks_company_create_time"] = json!(" 1045678901 ");
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", strict).await.status(), StatusCode::OK);
    let saved: Value = app.get(&admin.token, "/api/v1/payroll/settings").await.json().await.unwrap();
    assert_eq!(saved["require_approval_before_export"], true);
    assert_eq!(saved["codes"]["quickbooks_company_create_time"], "1045678901", "kept without the spaces");
    let message = expect_error(
        app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=quickbooks_iif").await,
        StatusCode::CONFLICT,
        "period_not_approved",
    )
    .await;
    assert!(message.contains("approve the period first"), "{message}");
    let overview: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-16").await.json().await.unwrap();
    assert_eq!(overview["exports"].as_array().unwrap().len(), 1, "a refused export is not recorded");

    // Approved, acknowledging the flags: the export goes, with the company file's create time.
    let approve = app.post(&admin.token, "/api/v1/payroll/periods/2026-11-16/approve", json!({"acknowledge_flags": true})).await;
    assert_eq!(approve.status(), StatusCode::NO_CONTENT);
    let file = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=quickbooks_iif").await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["x-clockface-period-approved"], "true");
    let text = file.text().await.unwrap();
    assert!(text.contains("TIMERHDR\t8\t0\tAcme Paving\tN\tY\t1045678901\r\n"), "{text}");

    // Two wrong fields: both named, in `details.errors`; the settings stay as they were.
    let mut wrong = settings();
    wrong["codes"]["adp_company_code"] = json!("AB");
    wrong["codes"]["quickbooks_company_create_time"] = json!("last Tuesday");
    let response = app.put(&admin.token, "/api/v1/payroll/settings", wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "adp_company_code");
    let fields: Vec<&str> = body["error"]["details"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["adp_company_code", "quickbooks_company_create_time"]);
    let after: Value = app.get(&admin.token, "/api/v1/payroll/settings").await.json().await.unwrap();
    assert_eq!(after, saved, "a refusal changes nothing");

    // An employee with two wrong fields hears of both too.
    let response = app.post(&admin.token, "/api/v1/employees", json!({"name": " ", "number": "44", "role_id": role, "pin": "12"})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["details"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "pin"]);
}

#[tokio::test]
async fn open_flags_export_approval_and_settings_errors_on_sqlite() {
    open_flags_export_approval_and_settings_errors(Backend::Sqlite).await;
}

#[tokio::test]
async fn open_flags_export_approval_and_settings_errors_on_postgres() {
    open_flags_export_approval_and_settings_errors(Backend::Postgres).await;
}
