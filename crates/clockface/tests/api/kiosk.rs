//! The kiosk over HTTP (issue 28): an admin turns a registered tablet into a kiosk; a worker who
//! signed the release and is enrolled is named from the photo taken when they press Clock in, a
//! head turn first when the passive check is unsure; a print held up, a stranger, someone who did
//! not sign, and the person behind in a queue are never named (the PIN instead, with the reason);
//! "Not me" is recorded; each decision is in the audit log; nothing is stored but the audit lines.

use crate::helpers::*;
use crate::liveness::{frame, held_print, jpeg, live_turn_right, photo, portrait, print_turned, BIDEN, OBAMA_1, OBAMA_3};
use image::imageops;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Sends a kiosk's photo (and a head turn's burst: prompt, image) and returns the answer.
async fn identify(app: &TestApp, device: &str, photo: Vec<u8>, burst: Option<(&str, Vec<u8>)>) -> reqwest::Response {
    let mut body = json!({"client_id": uuid::Uuid::new_v4(), "kind": "in"});
    let mut form = Form::new();
    if let Some((prompt, image)) = burst {
        body["burst"] = json!({"prompt": prompt, "frames": 8});
        form = form.part("burst", Part::bytes(image).file_name("burst.jpg").mime_str("image/jpeg").unwrap());
    }
    let form = form
        .part("identify", Part::text(body.to_string()).mime_str("application/json").unwrap())
        .part("photo", Part::bytes(photo).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
    app.client.post(app.url("/api/v1/device/kiosk/identify")).bearer_auth(device).multipart(form).send().await.unwrap()
}

async fn answer(app: &TestApp, device: &str, photo: Vec<u8>, burst: Option<(&str, Vec<u8>)>) -> Value {
    let response = identify(app, device, photo, burst).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Obama at arm's length with Biden's face a step behind him, smaller, to his left: the next
/// worker in the queue.
fn queue_photo() -> Vec<u8> {
    let mut front = frame(&portrait(OBAMA_1));
    let (image, face) = portrait(BIDEN);
    let s = 70.0 / face.width;
    let small =
        imageops::resize(&image, (image.width() as f32 * s) as u32, (image.height() as f32 * s) as u32, imageops::FilterType::Triangle);
    let (fx, fy) = ((face.x + face.width / 2.0) * s, (face.y + face.height / 2.0) * s);
    imageops::overlay(&mut front, &small, (110.0 - fx) as i64, (200.0 - fy) as i64);
    jpeg(&front)
}

/// Only the next worker, a step back, while the one in front stepped aside.
fn behind_only() -> Vec<u8> {
    let (image, face) = portrait(BIDEN);
    let s = 50.0 / face.width;
    let small =
        imageops::resize(&image, (image.width() as f32 * s) as u32, (image.height() as f32 * s) as u32, imageops::FilterType::Triangle);
    let mut wall = image::RgbImage::from_pixel(640, 480, image::Rgb([170, 160, 150]));
    let (fx, fy) = ((face.x + face.width / 2.0) * s, (face.y + face.height / 2.0) * s);
    imageops::overlay(&mut wall, &small, (320.0 - fx) as i64, (240.0 - fy) as i64);
    jpeg(&wall)
}

async fn audit(app: &TestApp, admin: &Admin) -> Vec<Value> {
    let response = app.get(&admin.token, "/api/v1/audit").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn kiosk_identifies_the_worker_in_front_and_nobody_else_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true, "liveness": "step_up"})).await;
    let device = app.device(&admin, true).await;
    let obama = app.employee(&admin, "Barack Obama", "1", &role, Some("2468")).await;
    let biden = app.employee(&admin, "Joe Biden", "2", &role, Some("1357")).await;
    app.publish_policy(&admin).await;
    for (worker, face) in [(&obama, OBAMA_3), (&biden, BIDEN)] {
        app.sign_release(&admin, worker).await;
        enrol(&app, &admin, worker, face).await;
    }

    // An ordinary clock is not a kiosk.
    expect_error(identify(&app, &device, photo(), None).await, StatusCode::FORBIDDEN, "not_a_kiosk").await;
    let devices: Value = app.get(&admin.token, "/api/v1/devices").await.json().await.unwrap();
    let id = devices[0]["id"].as_str().unwrap().to_owned();
    let on = app.put(&admin.token, &format!("/api/v1/devices/{id}/kiosk"), json!({"on": true})).await;
    assert_eq!(on.status(), StatusCode::OK);
    assert_eq!(app.sync(&device).await["device"]["kiosk"], json!({"crew_of": null}), "the tablet learns it at its sync");

    // Obama at the kiosk, at arm's length: his passive liveness score is sure, so he is named.
    let named = answer(&app, &device, photo(), None).await;
    assert_eq!((named["result"].as_str(), named["employee_id"].as_str()), (Some("identified"), Some(obama.as_str())), "{named}");
    assert_eq!(named["name"], "Barack Obama");

    // A print of him held up: never named. Asked for a head turn, the print turns no head.
    let print = answer(&app, &device, held_print(), None).await;
    let print =
        if print["result"] == "head_turn" { answer(&app, &device, held_print(), Some(("right", print_turned()))).await } else { print };
    assert_eq!(print["result"], "pin", "{print}");
    assert!(print.get("employee_id").is_none(), "{print}");

    // The queue: Obama in front is the one named, never Biden behind; Biden alone, a step
    // back, is too far to be the worker at the tablet.
    let mut front = answer(&app, &device, queue_photo(), None).await;
    if front["result"] == "head_turn" {
        front = answer(&app, &device, queue_photo(), Some(("right", live_turn_right()))).await;
    }
    assert_ne!(front["employee_id"].as_str(), Some(biden.as_str()), "{front}");
    assert_eq!(front["employee_id"].as_str(), Some(obama.as_str()), "{front}");
    let behind = answer(&app, &device, behind_only(), None).await;
    assert_eq!((behind["result"].as_str(), behind["reason"].as_str()), (Some("pin"), Some("too_far")), "{behind}");

    // Once Obama's release is withdrawn (his face data deleted on request) he is not named.
    let deleted =
        app.post(&admin.token, &format!("/api/v1/employees/{obama}/biometrics/delete"), json!({"reason": "asked in person"})).await;
    assert!(deleted.status().is_success(), "{}", deleted.text().await.unwrap());
    let after = answer(&app, &device, photo(), Some(("right", live_turn_right()))).await;
    assert_eq!(after["result"], "pin", "{after}");

    // "Not me" is recorded; so is each decision, with the device and the score.
    let not_me = app.post(&device, "/api/v1/device/kiosk/not-me", json!({"employee_id": biden, "client_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(not_me.status(), StatusCode::NO_CONTENT);
    let log = audit(&app, &admin).await;
    let actions: Vec<&str> = log.iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["device.kiosk", "kiosk.identified", "kiosk.not_identified", "kiosk.not_me"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    let identified = log.iter().find(|e| e["action"] == "kiosk.identified").unwrap();
    assert!(identified["detail"].as_str().unwrap().contains("best score"), "{identified}");
    assert!(identified["actor"].as_str().unwrap().starts_with("device:"), "{identified}");
    assert_eq!(app.punch_count(&admin).await, 0, "the kiosk's questions store no punch");

    // Off again: the tablet is an ordinary clock.
    let off = app.put(&admin.token, &format!("/api/v1/devices/{id}/kiosk"), json!({"on": false})).await;
    assert_eq!(off.status(), StatusCode::OK);
    expect_error(identify(&app, &device, photo(), None).await, StatusCode::FORBIDDEN, "not_a_kiosk").await;
}

#[tokio::test]
async fn kiosk_identifies_the_worker_in_front_and_nobody_else() {
    kiosk_identifies_the_worker_in_front_and_nobody_else_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn kiosk_identifies_the_worker_in_front_and_nobody_else_on_postgres() {
    kiosk_identifies_the_worker_in_front_and_nobody_else_on(Backend::Postgres).await;
}

/// A crew's kiosk names only the foreman and their crew; bad input is refused with what is wrong.
#[tokio::test]
async fn a_crews_kiosk_names_only_the_crew_and_bad_input_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let lead = app.role(&admin, "Crew lead", json!({"face_front": true, "clock_for": true, "liveness": "photo_only"})).await;
    let device = app.device(&admin, true).await;
    let biden = app.employee(&admin, "Joe Biden", "1", &lead, None).await;
    let obama = app.employee(&admin, "Barack Obama", "2", &lead, None).await;
    app.publish_policy(&admin).await;
    for (worker, face) in [(&biden, BIDEN), (&obama, OBAMA_3)] {
        app.sign_release(&admin, worker).await;
        enrol(&app, &admin, worker, face).await;
    }
    let devices: Value = app.get(&admin.token, "/api/v1/devices").await.json().await.unwrap();
    let id = devices[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/devices/{id}/kiosk");
    let kiosk = |crew_of: Value| app.put(&admin.token, &path, json!({"on": true, "crew_of": crew_of}));
    let stranger = uuid::Uuid::new_v4();
    expect_error(kiosk(json!(stranger)).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;

    // Biden's crew's tablet: Obama is enrolled and signed, but not of this crew, so a stranger here.
    assert_eq!(kiosk(json!(biden)).await.status(), StatusCode::OK);
    let outside = answer(&app, &device, photo(), None).await;
    assert_eq!((outside["result"].as_str(), outside["reason"].as_str()), (Some("pin"), Some("below_threshold")), "{outside}");
    // His own crew's tablet names him.
    assert_eq!(kiosk(json!(obama)).await.status(), StatusCode::OK);
    let named = answer(&app, &device, photo(), None).await;
    assert_eq!(named["employee_id"].as_str(), Some(obama.as_str()), "{named}");

    // A photo cut off in transit, and a burst with nothing said about it.
    let cut = photo()[..2_000].to_vec();
    expect_error(identify(&app, &device, cut, None).await, StatusCode::UNPROCESSABLE_ENTITY, "photo_corrupt").await;
    let form = Form::new()
        .part("identify", Part::text(json!({"client_id": uuid::Uuid::new_v4(), "kind": "in"}).to_string()))
        .part("photo", Part::bytes(photo()).file_name("p.jpg").mime_str("image/jpeg").unwrap())
        .part("burst", Part::bytes(live_turn_right()).file_name("b.jpg").mime_str("image/jpeg").unwrap());
    let response = app.client.post(app.url("/api/v1/device/kiosk/identify")).bearer_auth(&device).multipart(form).send().await.unwrap();
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let not_me =
        app.post(&device, "/api/v1/device/kiosk/not-me", json!({"employee_id": stranger, "client_id": uuid::Uuid::new_v4()})).await;
    expect_error(not_me, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;
}
