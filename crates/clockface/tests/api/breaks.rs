//! Breaks over HTTP: Start break and End break are punches (no photo asked, even of a FaceFront
//! role), the sign-in says who is on a break, the time card keeps one shift with the break left
//! out of the hours or paid by the company's setting, an unpaid break counts toward the meal
//! deduction, the payroll overview agrees, and a break punch resent as a plain one conflicts.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn break_body(employee: &str, kind: &str, time: &str) -> Value {
    let mut body = punch_body(employee, kind, time);
    body["on_break"] = json!(true);
    body
}

async fn set_breaks(app: &TestApp, admin: &Admin, paid: bool, meal: Option<(i64, i64)>) {
    let mut settings: Value = app.get(&admin.token, "/api/v1/payroll/settings").await.json().await.unwrap();
    settings["breaks_paid"] = json!(paid);
    settings["meal_after_minutes"] = json!(meal.map(|m| m.0));
    settings["meal_minutes"] = json!(meal.map(|m| m.1));
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", settings).await.status(), StatusCode::OK);
}

async fn shift_card(app: &TestApp, admin: &Admin, worker: &str, day: &str) -> Value {
    let card: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from={day}")).await.json().await.unwrap();
    card["time_card"].clone()
}

async fn breaks_count_as_the_company_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Rosa Diaz", "7", &role, Some("2580")).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let day = day_of_hours_ago(9);
    let sign_in = || async { app.post(&device, "/api/v1/device/sign-in", json!({"pin": "2580"})).await.json::<Value>().await.unwrap() };

    // In 9 h ago, a break from 4 h ago to 3.5 h ago, out 30 min ago: 8.5 h at work, 30 min on a break.
    let mut clock_in = punch_body(&worker, "in", &minutes_ago(540));
    clock_in["no_photo_reason"] = json!("camera_denied");
    assert_eq!(app.punch(&device, &clock_in).await.status(), StatusCode::CREATED);
    let start = break_body(&worker, "out", &minutes_ago(240));
    let started = app.punch(&device, &start).await;
    assert_eq!(started.status(), StatusCode::CREATED, "a break needs no photo, even of a FaceFront role");
    let started: Value = started.json().await.unwrap();
    assert_eq!((started["punch"]["on_break"].as_bool(), started["punch"]["no_photo_reason"].as_str()), (Some(true), Some("break")));
    assert_eq!(started["punch"]["flagged"], false);
    let status = sign_in().await;
    assert_eq!((status["clocked_in"].as_bool(), status["on_break"].as_bool()), (Some(true), Some(true)));
    // A plain clock-out still needs the photo: breaks did not loosen FaceFront.
    let plain = app.punch(&device, &punch_body(&worker, "out", &minutes_ago(235))).await;
    expect_error(plain, StatusCode::UNPROCESSABLE_ENTITY, "photo_required").await;
    // The Start break resent as a plain clock-out under its id is not the same punch.
    let mut altered = start.clone();
    altered["on_break"] = json!(false);
    expect_error(app.punch(&device, &altered).await, StatusCode::CONFLICT, "client_id_conflict").await;
    let resent: Value = app.punch(&device, &start).await.json().await.unwrap();
    assert_eq!(resent["created"], false);

    assert_eq!(app.punch(&device, &break_body(&worker, "in", &minutes_ago(210))).await.status(), StatusCode::CREATED);
    let status = sign_in().await;
    assert_eq!((status["clocked_in"].as_bool(), status["on_break"].as_bool()), (Some(true), Some(false)));
    let mut clock_out = punch_body(&worker, "out", &minutes_ago(30));
    clock_out["no_photo_reason"] = json!("camera_denied");
    assert_eq!(app.punch(&device, &clock_out).await.status(), StatusCode::CREATED);

    // Unpaid (the default), with a 30-minute meal rule past 5 h: the break was the meal.
    set_breaks(&app, &admin, false, Some((300, 30))).await;
    let card = shift_card(&app, &admin, &worker, &day).await;
    let shifts: Vec<&Value> = card["days"].as_array().unwrap().iter().flat_map(|d| d["shifts"].as_array().unwrap()).collect();
    assert_eq!(shifts.len(), 1, "a break does not split the shift");
    assert_eq!(shifts[0]["breaks"].as_array().unwrap().len(), 1);
    assert_eq!(shifts[0]["breaks"][0]["seconds"], 1800);
    assert_eq!(shifts[0]["breaks"][0]["start"]["on_break"], true);
    assert_eq!((card["seconds"].as_i64(), card["meal_deducted_seconds"].as_i64()), (Some(8 * 3600), Some(0)));
    assert_eq!((card["break_seconds"].as_i64(), card["breaks_paid"].as_bool()), (Some(1800), Some(false)));

    // Paid, no meal rule: the break is in the hours.
    set_breaks(&app, &admin, true, None).await;
    let card = shift_card(&app, &admin, &worker, &day).await;
    assert_eq!((card["seconds"].as_i64(), card["breaks_paid"].as_bool()), (Some(8 * 3600 + 1800), Some(true)));
    // Paid, with the meal rule: a paid break is not the meal, so 30 minutes come off.
    set_breaks(&app, &admin, true, Some((300, 30))).await;
    let card = shift_card(&app, &admin, &worker, &day).await;
    assert_eq!((card["seconds"].as_i64(), card["meal_deducted_seconds"].as_i64()), (Some(8 * 3600), Some(1800)));

    // The payroll overview counts the same hours as the card.
    let overview: Value = app.get(&admin.token, &format!("/api/v1/payroll/periods?date={day}")).await.json().await.unwrap();
    let line = overview["employees"].as_array().unwrap().iter().find(|e| e["employee_id"] == worker.as_str()).unwrap().clone();
    let total = line["regular_seconds"].as_i64().unwrap() + line["overtime_seconds"].as_i64().unwrap();
    assert_eq!(total, card["seconds"].as_i64().unwrap());
}

#[tokio::test]
async fn breaks_count_as_the_company_says_on_sqlite() {
    breaks_count_as_the_company_says(Backend::Sqlite).await;
}

#[tokio::test]
async fn breaks_count_as_the_company_says_on_postgres() {
    breaks_count_as_the_company_says(Backend::Postgres).await;
}
