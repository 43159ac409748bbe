//! Who may see what, and who may guess: company scoping, sign-in, PIN and password lockouts
//! (each written from an attack that once worked), two-step sign-in, punch flags, headers.

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

/// One PIN sign-in; returns the status and the error code (or "ok").
async fn pin(app: &TestApp, device: &str, pin: &str, employee: Option<&str>) -> (StatusCode, String) {
    let mut body = json!({"pin": pin});
    if let Some(employee) = employee {
        body["employee_id"] = json!(employee);
    }
    let response = app.post(device, "/api/v1/device/sign-in", body).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or("ok").to_owned())
}

#[tokio::test]
async fn wrong_pins_lock_out_the_device_and_the_employee() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let first = app.device(&admin, true).await;
    let second = app.device(&admin, true).await;

    // Per device: nine wrong PINs say how many tries are left, the tenth locks the device.
    for left in (1..=9).rev() {
        let message =
            expect_error(app.post(&first, "/api/v1/device/sign-in", json!({"pin": "0000"})).await, StatusCode::UNAUTHORIZED, "wrong_pin")
                .await;
        assert!(message.contains(&format!("{left} more tr")), "{message}");
    }
    let response = app.post(&first, "/api/v1/device/sign-in", json!({"pin": "0000"})).await;
    assert!(response.headers().contains_key("retry-after"), "a lock says when to try again");
    let message = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "locked").await;
    assert!(message.contains("this device is locked for 15 minutes"), "{message}");
    // Even the right PIN waits out the lock on that device; another device is not affected.
    assert_eq!(pin(&app, &first, "4444", None).await, (StatusCode::TOO_MANY_REQUESTS, "locked".into()));
    assert_eq!(pin(&app, &second, "4444", None).await.0, StatusCode::OK);

    // Per employee: guesses at one named employee count across devices.
    let third = app.device(&admin, true).await;
    let fourth = app.device(&admin, true).await;
    for (i, device) in [&third, &fourth, &third, &fourth].into_iter().enumerate() {
        assert_eq!(pin(&app, device, &format!("100{i}"), Some(&worker)).await.1, "wrong_pin");
    }
    let fifth = app.device(&admin, true).await;
    let response = app.post(&fifth, "/api/v1/device/sign-in", json!({"pin": "1009", "employee_id": worker})).await;
    let message = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "locked").await;
    assert!(message.contains("this employee is locked"), "{message}");
    assert_eq!(pin(&app, &fifth, "4444", Some(&worker)).await, (StatusCode::TOO_MANY_REQUESTS, "locked".into()));
    app.assert_healthy().await;
}

/// Seen by an attacker: with only their own PIN, an employee on a shared tablet tried 4 wrong
/// PINs, their own, and again, forever. Their own PIN no longer resets the device's count.
#[tokio::test]
async fn an_own_right_pin_does_not_reset_the_devices_count_of_wrong_ones() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    app.employee(&admin, "Ana Cruz", "2", &role, Some("7392")).await;
    let tablet = app.device(&admin, true).await;
    let mut wrong = 0;
    let mut guesses = (1000..10_000).filter(|g| *g != 4444 && *g != 7392);
    let locked_after = 'guessing: loop {
        for _ in 0..4 {
            let guess = guesses.next().unwrap().to_string();
            match pin(&app, &tablet, &guess, None).await {
                (StatusCode::UNAUTHORIZED, _) => wrong += 1,
                // The wrong PIN that reaches the limit is answered with the lock.
                (StatusCode::TOO_MANY_REQUESTS, _) => break 'guessing wrong + 1,
                other => panic!("guess {guess}: {other:?}"),
            }
        }
        match pin(&app, &tablet, "4444", None).await.0 {
            StatusCode::OK => {}
            StatusCode::TOO_MANY_REQUESTS => break wrong,
            other => panic!("own PIN: {other}"),
        }
        assert!(wrong < 80, "80 wrong PINs answered without a lock");
    };
    assert_eq!(locked_after, 10, "the device locked after its ten wrong PINs, own right PINs in between or not");
}

/// Seen by an attacker: after five wrong PINs locked an employee, their PIN without naming them,
/// from another device, signed them in. Now it does not.
#[tokio::test]
async fn a_locked_employees_pin_does_not_sign_in_unnamed_from_another_device() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let guesser = app.device(&admin, true).await;
    for i in 0..5 {
        pin(&app, &guesser, &format!("900{i}"), Some(&worker)).await;
    }
    let other = app.device(&admin, true).await;
    assert_eq!(pin(&app, &other, "4444", None).await, (StatusCode::UNAUTHORIZED, "wrong_pin".into()), "refused, as a wrong PIN would be");
    assert_eq!(pin(&app, &other, "4444", Some(&worker)).await, (StatusCode::TOO_MANY_REQUESTS, "locked".into()));
}

/// Seen by an attacker: 40 guesses sent at once to a fresh device got the right one accepted
/// after the limit. Every guess is now counted before it is judged: at most ten are judged.
#[tokio::test]
async fn a_burst_of_guesses_at_once_gets_no_more_judged_than_the_limit() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let role = app.role(&admin, "Crew", json!({})).await;
        app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
        let device = app.device(&admin, true).await;
        // The right PIN is the last of 40 sent at once.
        let guesses: Vec<String> = (0..39).map(|i| format!("{}", 5000 + i)).chain(["4444".to_owned()]).collect();
        let answers = futures::future::join_all(guesses.iter().map(|g| pin(&app, &device, g, None))).await;
        let judged = answers.iter().filter(|(status, _)| *status != StatusCode::TOO_MANY_REQUESTS).count();
        assert!(judged <= 10, "{backend:?}: {judged} of 40 guesses at once were judged: {answers:?}");
        let accepted = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
        assert!(accepted <= 1);
        assert_eq!(pin(&app, &device, "4444", None).await.1, "locked", "{backend:?}: the device is locked now");
    }
}

/// One API sign-in; the status, error code and body.
async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let response =
        app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Seen by an attacker: 60 wrong passwords then the right one, 50 a second, all answered.
/// Now five wrong ones lock the account, even for its right password, on the API and the form.
#[tokio::test]
async fn wrong_passwords_lock_the_account_with_backoff_and_the_admin_is_told() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.admin("ana@acme.test").await;
    // Three wrong, then the right one: signed in, and told of the three.
    for _ in 0..3 {
        assert_eq!(login(&app, "ana@acme.test", "not the password").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login(&app, "ana@acme.test", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["failed_attempts_since_last_sign_in"], 3, "{body}");
    assert_eq!(login(&app, "ana@acme.test", "correct horse battery").await.1["failed_attempts_since_last_sign_in"], 0, "told once");

    for _ in 0..4 {
        assert_eq!(login(&app, "ana@acme.test", "not the password").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login(&app, "ana@acme.test", "not the password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the fifth wrong password locks: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("this account is locked for 1 minute"), "{body}");
    let (status, _) = login(&app, "ana@acme.test", "correct horse battery").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits out the lock");
    // The form says so too.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(app.url("/admin/sign-in")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let csrf = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = client
        .post(app.url("/admin/sign-in"))
        .header("cookie", cookie)
        .form(&[("_csrf", csrf.as_str()), ("email", "ana@acme.test"), ("password", "correct horse battery"), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(form.text().await.unwrap().contains("this account is locked for"), "the form shows the lock");
    // Someone else's account is not locked by it.
    app.admin("bo@acme.test").await;
    assert_eq!(login(&app, "bo@acme.test", "correct horse battery").await.0, StatusCode::OK);
}

/// Two-step sign-in: set up with the app's first code, then a code is needed to sign in; a
/// recovery code works once; turning it off needs the password.
#[tokio::test]
async fn two_step_sign_in_needs_the_code_and_recovery_codes_work_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let setup: Value = app.post(&admin.token, "/api/v1/auth/two-step", json!({})).await.json().await.unwrap();
    let secret = setup["secret_base32"].as_str().unwrap();
    assert!(setup["otpauth_url"].as_str().unwrap().contains(secret));
    let secret = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let now = || u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let wrong = app.post(&admin.token, "/api/v1/auth/two-step/confirm", json!({"setup": setup["setup"], "code": "000000"})).await;
    expect_error(wrong, StatusCode::UNPROCESSABLE_ENTITY, "wrong_code").await;
    let confirming = clockface_app::totp::code_at(&secret, now()).unwrap();
    let confirmed: Value = app
        .post(&admin.token, "/api/v1/auth/two-step/confirm", json!({"setup": setup["setup"], "code": confirming}))
        .await
        .json()
        .await
        .unwrap();
    let recovery: Vec<String> = serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);

    let (status, body) = login(&app, "ana@acme.test", "correct horse battery").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("second_factor_required")));
    let with = |extra: Value| {
        let mut body = json!({"email": "ana@acme.test", "password": "correct horse battery"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        app.client.post(app.url("/api/v1/auth/login")).json(&body).send()
    };
    assert_eq!(with(json!({"totp_code": "123456"})).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // The code that turned it on is used; the next step's code signs in (one step of skew).
    assert_eq!(with(json!({"totp_code": confirming})).await.unwrap().status(), StatusCode::UNAUTHORIZED, "the confirming code is used");
    let code = clockface_app::totp::code_at(&secret, now() + 30).unwrap();
    let signed: Value = with(json!({"totp_code": code})).await.unwrap().json().await.unwrap();
    assert_eq!(signed["me"]["two_step"], true, "{signed}");
    assert_eq!(with(json!({"recovery_code": recovery[0]})).await.unwrap().status(), StatusCode::OK);
    assert_eq!(with(json!({"recovery_code": recovery[0]})).await.unwrap().status(), StatusCode::UNAUTHORIZED, "a recovery code works once");
    // The secret is sealed in the database: no trace of it in the stored bytes.
    let stored = app.running.state.store.admin_login("ana@acme.test").await.unwrap().unwrap().totp_secret.unwrap();
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_slice()));
    let token = signed["token"].as_str().unwrap();
    let off =
        app.client.delete(app.url("/api/v1/auth/two-step")).bearer_auth(token).json(&json!({"password": "nope"})).send().await.unwrap();
    expect_error(off, StatusCode::UNAUTHORIZED, "wrong_credentials").await;
    let off = app
        .client
        .delete(app.url("/api/v1/auth/two-step"))
        .bearer_auth(token)
        .json(&json!({"password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&app, "ana@acme.test", "correct horse battery").await.0, StatusCode::OK);
}

/// The server stores what it cannot vouch for, and says why: never dropped (an offline device
/// may carry it), flagged, on the time card and in the review queue.
#[tokio::test]
async fn punches_the_server_cannot_vouch_for_are_kept_and_flagged() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let active = app.employee(&admin, "Sam Lee", "1", &role, None).await;
    let leaver = app.employee(&admin, "Lee Gone", "2", &role, None).await;
    let update = app
        .put(
            &admin.token,
            &format!("/api/v1/employees/{leaver}"),
            json!({"name": "Lee Gone", "number": "2", "role_id": role, "active": false}),
        )
        .await;
    assert_eq!(update.status(), StatusCode::OK);
    let device = app.device(&admin, false).await;
    let flags_of = |response: Value| -> Vec<String> {
        response["punch"]["flags"].as_array().unwrap().iter().map(|f| f["flag"].as_str().unwrap().to_owned()).collect()
    };
    let inactive = app.punch(&device, &punch_body(&leaver, "in", &hours_ago(2))).await;
    assert_eq!(inactive.status(), StatusCode::CREATED);
    assert_eq!(flags_of(inactive.json().await.unwrap()), ["inactive_employee"]);
    let lone_out = app.punch(&device, &punch_body(&active, "out", &hours_ago(2))).await;
    assert_eq!(lone_out.status(), StatusCode::CREATED);
    let lone_out: Value = lone_out.json().await.unwrap();
    assert_eq!(flags_of(lone_out.clone()), ["out_without_in"]);
    assert_eq!(lone_out["punch"]["flagged"], true);
    let year_2000 = app.punch(&device, &punch_body(&active, "in", "2000-03-01T08:00:00-06:00")).await;
    assert_eq!(year_2000.status(), StatusCode::CREATED);
    let year_2000: Value = year_2000.json().await.unwrap();
    assert_eq!(flags_of(year_2000.clone()), ["before_registration"]);
    assert!(year_2000["punch"]["flags"][0]["detail"].as_str().unwrap().contains("before this device was registered"));
    // An ordinary punch is not flagged.
    let ordinary: Value = app.punch(&device, &punch_body(&active, "in", &hours_ago(1))).await.json().await.unwrap();
    assert!(flags_of(ordinary.clone()).is_empty() && ordinary["punch"]["flagged"] == false, "{ordinary}");

    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 3, "the three flagged punches wait for a person: {queue}");
    let card: Value =
        app.get(&admin.token, &format!("/api/v1/employees/{active}/timecard?from={}", day_of_hours_ago(2))).await.json().await.unwrap();
    assert!(card.to_string().contains("out_without_in"), "the time card carries the flag");
}

/// Headers: no-store on answers with people's data, nosniff everywhere, a referrer policy on the
/// admin pages, HSTS when the request came over TLS.
#[tokio::test]
async fn answers_carry_the_headers_that_keep_data_out_of_caches_and_referrers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let employees = app.get(&admin.token, "/api/v1/employees").await;
    assert_eq!(employees.headers()["cache-control"], "no-store");
    assert_eq!(employees.headers()["x-content-type-options"], "nosniff");
    assert!(!employees.headers().contains_key("strict-transport-security"), "not over TLS");
    let sign_in = app.client.get(app.url("/admin/sign-in")).send().await.unwrap();
    assert_eq!(sign_in.headers()["referrer-policy"], "same-origin");
    assert_eq!(sign_in.headers()["x-content-type-options"], "nosniff");
    let over_tls = app.client.get(app.url("/healthz")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(over_tls.headers()["strict-transport-security"], "max-age=31536000");
    let clock = app.client.get(app.url("/clock/app.js")).send().await.unwrap();
    assert_eq!(clock.headers()["x-content-type-options"], "nosniff");
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

/// Security events go to the log in one shape, with the client's address and the request id,
/// and never the secret that was guessed.
#[tokio::test]
async fn security_events_are_logged_with_the_client_and_request_but_no_secret() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    crate::process::create_company(&data, &[]);
    let log = folder.path().join("server.log");
    let server = crate::process::ServerProcess::start_with_log(&data, &[], Some(&log));
    let client = reqwest::Client::new();
    let company = crate::process::prepare(&client, &server.url, 1).await;
    let wrong = client
        .post(format!("{}/api/v1/device/sign-in", server.url))
        .bearer_auth(&company.devices[0])
        .json(&json!({"pin": "864213"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let request_id = wrong.headers()["x-request-id"].to_str().unwrap().to_owned();
    let password = client
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&json!({"email": "ana@acme.test", "password": "a guessed secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), StatusCode::UNAUTHORIZED);
    let revoked = client
        .post(format!("{}/api/v1/device/sync", server.url))
        .bearer_auth("cfd_not-a-real-token")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    let mut text = String::new();
    crate::process::wait_until("the security events in the log", std::time::Duration::from_secs(20), || {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        ["wrong_pin", "wrong_password", "revoked_device_token"].iter().all(|event| text.contains(event))
    });
    let line = text.lines().find(|l| l.contains("wrong_pin")).unwrap();
    assert!(line.contains("client=127.0.0.1") && line.contains(&request_id), "{line}");
    assert!(!text.contains("864213") && !text.contains("a guessed secret"), "no secret in the log: {text}");
    server.kill9();
}

/// A new company asks six digits of new PINs; a company may choose otherwise, and the page tells
/// who still has a shorter PIN. Both backends.
async fn new_pins_have_six_digits_unless_the_company_chooses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = app.running.state.store.as_ref();
    clockface::create_company(store, "Sixes", "America/Chicago", "six@sixes.test", "correct horse battery").await.unwrap();
    let token = app.sign_in("six@sixes.test", "correct horse battery").await;
    let role =
        app.post(&token, "/api/v1/roles", json!({"name": "Crew", "abilities": {}})).await.json::<Value>().await.unwrap()["id"].clone();
    let short = app.post(&token, "/api/v1/employees", json!({"name": "Sam Lee", "number": "1", "role_id": role, "pin": "4821"})).await;
    let message = expect_error(short, StatusCode::UNPROCESSABLE_ENTITY, "pin_too_short").await;
    assert!(message.contains("at least 6 digits"), "{message}");
    let six = app.post(&token, "/api/v1/employees", json!({"name": "Sam Lee", "number": "1", "role_id": role, "pin": "482193"})).await;
    assert_eq!(six.status(), StatusCode::CREATED);
    let policy: Value = app.get(&token, "/api/v1/security/pin-policy").await.json().await.unwrap();
    assert_eq!((policy["min_pin_digits"].as_i64(), policy["shorter_pins"].as_i64()), (Some(6), Some(0)));

    let four = app.put(&token, "/api/v1/security/pin-policy", json!({"min_pin_digits": 4})).await;
    assert_eq!(four.status(), StatusCode::OK);
    let ana = app.post(&token, "/api/v1/employees", json!({"name": "Ana Ruiz", "number": "2", "role_id": role, "pin": "7392"})).await;
    assert_eq!(ana.status(), StatusCode::CREATED, "the company chose 4");
    let back: Value = app.put(&token, "/api/v1/security/pin-policy", json!({"min_pin_digits": 6})).await.json().await.unwrap();
    assert_eq!(back["shorter_pins"], 1, "Ana's 4-digit PIN still works and is counted as shorter");
    let device = app.device(&Admin { token: token.clone(), company_id: String::new() }, true).await;
    assert_eq!(pin(&app, &device, "7392", None).await.0, StatusCode::OK, "a PIN set before keeps working");
    expect_error(
        app.put(&token, "/api/v1/security/pin-policy", json!({"min_pin_digits": 3})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    let audit: Vec<Value> = app.get(&token, "/api/v1/audit?kind=pin_policy").await.json().await.unwrap();
    assert_eq!(audit.len(), 2, "both changes are audited, the refused one is not: {audit:?}");
}

#[tokio::test]
async fn new_pins_have_six_digits_unless_the_company_chooses_on_sqlite() {
    new_pins_have_six_digits_unless_the_company_chooses(Backend::Sqlite).await;
}

#[tokio::test]
async fn new_pins_have_six_digits_unless_the_company_chooses_on_postgres() {
    new_pins_have_six_digits_unless_the_company_chooses(Backend::Postgres).await;
}

/// The first lock of a device is a notice for the admins (once, not at every later lock); an
/// admin lifts it, audited, and the device signs in again.
async fn a_first_lock_is_noticed_and_an_admin_lifts_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let device = app.device(&admin, true).await;
    for _ in 0..10 {
        pin(&app, &device, "0000", None).await;
    }
    assert_eq!(pin(&app, &device, "4444", None).await, (StatusCode::TOO_MANY_REQUESTS, "locked".into()));
    let notices: Vec<Value> = app.get(&admin.token, "/api/v1/security/notices").await.json().await.unwrap();
    assert_eq!(notices.len(), 1, "one notice for the first lock, not one per refused guess: {notices:?}");
    assert_eq!(notices[0]["place"], "device");
    assert!(notices[0]["detail"].as_str().unwrap().contains("after 10 wrong PINs"), "{notices:?}");
    assert!(notices[0]["seen_at"].is_null());

    let device_id = notices[0]["subject"].as_str().unwrap().to_owned();
    let lifted: Value = app.post(&admin.token, "/api/v1/security/unlock", json!({"device_id": device_id})).await.json().await.unwrap();
    assert_eq!(lifted["lifted"], true);
    assert_eq!(pin(&app, &device, "4444", None).await.0, StatusCode::OK, "the device signs in again");
    let seen: Value = app.post(&admin.token, "/api/v1/security/notices/seen", json!({})).await.json().await.unwrap();
    assert_eq!(seen["marked"], 1);
    let audit: Vec<Value> = app.get(&admin.token, "/api/v1/audit?kind=pin_lock").await.json().await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");

    // Another company's admin finds no such device to unlock.
    let other = app.admin("zed@other.test").await;
    expect_error(
        app.post(&other.token, "/api/v1/security/unlock", json!({"device_id": device_id})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_first_lock_is_noticed_and_an_admin_lifts_it_on_sqlite() {
    a_first_lock_is_noticed_and_an_admin_lifts_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_first_lock_is_noticed_and_an_admin_lifts_it_on_postgres() {
    a_first_lock_is_noticed_and_an_admin_lifts_it(Backend::Postgres).await;
}

/// Punches made at an offline sign-in carry the PIN sealed for the server, which judges it when
/// they arrive: the right PIN passes, a wrong one or one sealed for another punch is flagged.
async fn a_sealed_offline_pin_is_judged_when_the_punch_arrives(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let device = app.device(&admin, true).await;
    let sync = app.sync(&device).await;
    assert!(sync["pin_seal_key"].as_str().is_some_and(|k| k.len() > 80), "the sync answer carries the key: {sync}");
    let key = app.running.state.settings.pin_seal.clone().unwrap();
    let sealed = |pin: &str, body: &Value, for_client: Option<&str>| {
        let mut body = body.clone();
        let client = for_client.map_or_else(|| body["client_id"].as_str().unwrap().to_owned(), str::to_owned);
        body["sealed_pin"] = serde_json::to_value(key.seal(pin, &client)).unwrap();
        body
    };
    let flags = |stored: &Value| {
        stored["punch"]["flags"].as_array().unwrap().iter().map(|f| f["flag"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };

    let right = sealed("4444", &punch_body(&worker, "in", &hours_ago(5)), None);
    let stored: Value = app.punch(&device, &right).await.json().await.unwrap();
    assert_eq!(flags(&stored), Vec::<String>::new(), "the right PIN: nothing to flag");
    let wrong = sealed("1234", &punch_body(&worker, "out", &hours_ago(4)), None);
    let stored: Value = app.punch(&device, &wrong).await.json().await.unwrap();
    assert_eq!(flags(&stored), ["pin_mismatch"]);
    assert_eq!(stored["punch"]["flagged"], true);
    let moved = sealed("4444", &punch_body(&worker, "in", &hours_ago(3)), Some("another-punch"));
    let stored: Value = app.punch(&device, &moved).await.json().await.unwrap();
    assert_eq!(flags(&stored), ["pin_not_checked"], "a sealed PIN moved from another punch does not open");
    let queue: Vec<Value> = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.len(), 2, "the wrong and the unopened PIN wait for a person: {queue:?}");
    // The wrong PIN counted like an online one: nine more on the device lock it.
    for _ in 0..8 {
        pin(&app, &device, "0000", None).await;
    }
    let message =
        expect_error(app.post(&device, "/api/v1/device/sign-in", json!({"pin": "0000"})).await, StatusCode::TOO_MANY_REQUESTS, "locked")
            .await;
    assert!(message.contains("this device is locked"), "{message}");
}

#[tokio::test]
async fn a_sealed_offline_pin_is_judged_when_the_punch_arrives_on_sqlite() {
    a_sealed_offline_pin_is_judged_when_the_punch_arrives(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_sealed_offline_pin_is_judged_when_the_punch_arrives_on_postgres() {
    a_sealed_offline_pin_is_judged_when_the_punch_arrives(Backend::Postgres).await;
}
