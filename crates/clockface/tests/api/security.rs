//! Who may see what: company scoping, sign-in, PIN lockout.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn another_companys_objects_answer_404() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mine = app.admin("ana@acme.test").await;
    let theirs = app.admin("zed@other.test").await;
    let role = app.role(&theirs, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&theirs, "Their Worker", "1", &role, None).await;
    let device = app.device(&theirs, true).await;
    app.sync(&device).await;
    let stored: Value =
        app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(1)), FACE_JPEG, "image/jpeg").await.json().await.unwrap();
    let punch = stored["punch"]["id"].as_str().unwrap();
    let sha = stored["punch"]["photo_sha256"].as_str().unwrap();
    let device_id = app.get(&theirs.token, "/api/v1/devices").await.json::<Value>().await.unwrap()[0]["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/api/v1/roles/{role}"),
        format!("/api/v1/employees/{worker}"),
        format!("/api/v1/employees/{worker}/crew"),
        format!("/api/v1/employees/{worker}/timecard"),
        format!("/api/v1/devices/{device_id}"),
        format!("/api/v1/punches/{punch}"),
        format!("/api/v1/photos/{sha}"),
    ] {
        expect_error(app.get(&mine.token, &path).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(app.get(&theirs.token, &path).await.status(), StatusCode::OK, "{path} is theirs to see");
    }
    let my_role = app.role(&mine, "Mine", json!({})).await;
    let update =
        app.put(&mine.token, &format!("/api/v1/employees/{worker}"), json!({"name": "X", "number": "9", "role_id": my_role})).await;
    expect_error(update, StatusCode::NOT_FOUND, "not_found").await;
    let revoke = app.post(&mine.token, &format!("/api/v1/devices/{device_id}/revoke"), json!({})).await;
    expect_error(revoke, StatusCode::NOT_FOUND, "not_found").await;
    let assign_foreign_role = app.post(&mine.token, "/api/v1/employees", json!({"name": "X", "number": "9", "role_id": role})).await;
    expect_error(assign_foreign_role, StatusCode::UNPROCESSABLE_ENTITY, "unknown_role").await;

    // My device cannot punch for their employee.
    let my_device = app.device(&mine, true).await;
    let response = app.punch(&my_device, &punch_body(&worker, "in", &hours_ago(1))).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;
    // Nor see their employees when it syncs.
    let sync = app.sync(&my_device).await;
    assert!(sync["employees"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn photos_need_a_signed_in_admin() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "W", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let stored: Value =
        app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(1)), FACE_JPEG, "image/jpeg").await.json().await.unwrap();
    let path = format!("/api/v1/photos/{}", stored["punch"]["photo_sha256"].as_str().unwrap());
    expect_error(app.client.get(app.url(&path)).send().await.unwrap(), StatusCode::UNAUTHORIZED, "not_signed_in").await;
    expect_error(app.get(&device, &path).await, StatusCode::UNAUTHORIZED, "not_signed_in").await;
    expect_error(app.get("cfs_made-up", &path).await, StatusCode::UNAUTHORIZED, "session_expired").await;
    let logout = app.post(&admin.token, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    expect_error(app.get(&admin.token, &path).await, StatusCode::UNAUTHORIZED, "session_expired").await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.admin("ana@acme.test").await;
    let wrong_password = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "ana@acme.test", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    let a = expect_error(wrong_password, StatusCode::UNAUTHORIZED, "wrong_credentials").await;
    let no_account = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "who@acme.test", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    let b = expect_error(no_account, StatusCode::UNAUTHORIZED, "wrong_credentials").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn wrong_pins_lock_out_the_device_and_the_employee() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let first = app.device(&admin, true).await;
    let second = app.device(&admin, true).await;

    // Per device: four wrong PINs say how many tries are left, the fifth locks the device.
    for left in (1..=4).rev() {
        let message =
            expect_error(app.post(&first, "/api/v1/device/sign-in", json!({"pin": "0000"})).await, StatusCode::UNAUTHORIZED, "wrong_pin")
                .await;
        assert!(message.contains(&format!("{left} more")), "{message}");
    }
    let message =
        expect_error(app.post(&first, "/api/v1/device/sign-in", json!({"pin": "0000"})).await, StatusCode::TOO_MANY_REQUESTS, "pin_locked")
            .await;
    assert!(message.contains("this device"), "{message}");
    // Even the right PIN waits out the lock on that device; another device is not affected.
    expect_error(app.post(&first, "/api/v1/device/sign-in", json!({"pin": "4444"})).await, StatusCode::TOO_MANY_REQUESTS, "pin_locked")
        .await;
    assert_eq!(app.post(&second, "/api/v1/device/sign-in", json!({"pin": "4444"})).await.status(), StatusCode::OK);

    // Per employee: guesses at one named employee count across devices.
    let third = app.device(&admin, true).await;
    let fourth = app.device(&admin, true).await;
    for (i, device) in [&third, &fourth, &third, &fourth].into_iter().enumerate() {
        let response = app.post(device, "/api/v1/device/sign-in", json!({"pin": format!("100{i}"), "employee_id": worker})).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    }
    let fifth = app.device(&admin, true).await;
    let response = app.post(&fifth, "/api/v1/device/sign-in", json!({"pin": "1009", "employee_id": worker})).await;
    let message = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "pin_locked").await;
    assert!(message.contains("this employee"), "{message}");
    let response = app.post(&fifth, "/api/v1/device/sign-in", json!({"pin": "4444", "employee_id": worker})).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "pin_locked").await;
    app.assert_healthy().await;
}

#[tokio::test]
async fn registration_codes_work_once_and_revoked_devices_stop() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let code: Value =
        app.post(&admin.token, "/api/v1/devices/registration-codes", json!({"expires_in_minutes": 30})).await.json().await.unwrap();
    let register = || {
        app.client
            .post(app.url("/api/v1/device/register"))
            .json(&json!({"code": code["code"], "name": "Phone", "has_front_camera": true}))
            .send()
    };
    let registered: Value = register().await.unwrap().json().await.unwrap();
    expect_error(register().await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_registration_code").await;
    let token = registered["token"].as_str().unwrap();
    app.sync(token).await;
    let device_id = registered["device"]["id"].as_str().unwrap();
    let devices: Value = app.get(&admin.token, "/api/v1/devices").await.json().await.unwrap();
    assert!(devices[0]["last_sync_at"].is_string());
    assert_eq!(app.post(&admin.token, &format!("/api/v1/devices/{device_id}/revoke"), json!({})).await.status(), StatusCode::NO_CONTENT);
    expect_error(app.post(token, "/api/v1/device/sync", json!({})).await, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let bad_ttl = app.post(&admin.token, "/api/v1/devices/registration-codes", json!({"expires_in_minutes": 1})).await;
    expect_error(bad_ttl, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
}
