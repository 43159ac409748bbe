//! The admin pages' server logic: signing in with a cookie, its flags, CSRF on every form,
//! redirects for the signed-out, photos by cookie and company, errors shown as pages.

use crate::helpers::*;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// A browser-like client that does not follow redirects, so tests see them.
fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// `name=value` of the first `Set-Cookie` for `name`, with its attributes.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A signed-in browser: its session cookie and its CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &TestApp, email: &str, forwarded_https: bool) -> (Response, Option<Browser>) {
    let client = client();
    let page = client.get(app.url("/admin/sign-in")).send().await.unwrap();
    let pre = set_cookie(&page, "cf_signin").unwrap();
    let pre = pre.split(';').next().unwrap().to_owned();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf");
    let mut request = client.post(app.url("/admin/sign-in")).header(COOKIE, &pre).form(&[
        ("_csrf", csrf.as_str()),
        ("email", email),
        ("password", "correct horse battery"),
        ("next", "/admin/roles"),
    ]);
    if forwarded_https {
        request = request.header("x-forwarded-proto", "https");
    }
    let response = request.send().await.unwrap();
    let Some(session) = set_cookie(&response, "cf_session") else { return (response, None) };
    let cookie = session.split(';').next().unwrap().to_owned();
    let roles = client.get(app.url("/admin/roles")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(roles.status(), StatusCode::OK);
    let csrf = hidden(&roles.text().await.unwrap(), "_csrf");
    (response, Some(Browser { cookie, csrf }))
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_signed_out_pages_redirect() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.admin("ana@acme.test").await;

    let page = client().get(app.url("/admin/employees?search=a")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/admin/sign-in?next=%2Fadmin%2Femployees%3Fsearch%3Da");

    let (response, browser) = sign_in(&app, "ana@acme.test", false).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/admin/roles");
    let cookie = set_cookie(&response, "cf_session").unwrap();
    assert!(cookie.starts_with("cf_session=cfs_"), "the same kind of token as the API's: {cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/admin"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert!(browser.is_some());

    let (response, _) = sign_in(&app, "ana@acme.test", true).await;
    assert!(set_cookie(&response, "cf_session").unwrap().contains("; Secure"), "behind a TLS proxy the cookie is Secure");
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_a_message() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.admin("ana@acme.test").await;
    let client = client();
    let page = client.get(app.url("/admin/sign-in")).send().await.unwrap();
    let pre = set_cookie(&page, "cf_signin").unwrap().split(';').next().unwrap().to_owned();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf");
    let response = client
        .post(app.url("/admin/sign-in"))
        .header(COOKIE, &pre)
        .form(&[("_csrf", csrf.as_str()), ("email", "ana@acme.test"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&response, "cf_session").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("The e-mail address or the password is wrong."));
    assert!(html.contains("value=\"ana@acme.test\""), "what was typed is kept");

    // Without the sign-in form's token, nothing is tried at all.
    let forged = client
        .post(app.url("/admin/sign-in"))
        .form(&[("email", "ana@acme.test"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_form_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let client = client();
    let roles_before = app.get(&admin.token, "/api/v1/roles").await.json::<Value>().await.unwrap().as_array().unwrap().len();

    for csrf in [None, Some("wrong"), Some("")] {
        let mut form = vec![("name", "Sneaky")];
        if let Some(csrf) = csrf {
            form.push(("_csrf", csrf));
        }
        let response = client.post(app.url("/admin/roles")).header(COOKIE, &browser.cookie).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(response.text().await.unwrap().contains("Not allowed"));
    }
    let roles = app.get(&admin.token, "/api/v1/roles").await.json::<Value>().await.unwrap();
    assert_eq!(roles.as_array().unwrap().len(), roles_before, "nothing was created");

    // With the token the same form works.
    let response = client
        .post(app.url("/admin/roles"))
        .header(COOKIE, &browser.cookie)
        .form(&[("name", "Crew lead"), ("_csrf", browser.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let roles = app.get(&admin.token, "/api/v1/roles").await.json::<Value>().await.unwrap();
    assert_eq!(roles.as_array().unwrap().len(), roles_before + 1);

    // Signing out is a form too, and ends the session for the API as well.
    let out = client.post(app.url("/admin/sign-out")).header(COOKIE, &browser.cookie).form(&[("_csrf", "nope")]).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    let out = client
        .post(app.url("/admin/sign-out"))
        .header(COOKIE, &browser.cookie)
        .form(&[("_csrf", browser.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&out, "cf_session").unwrap().contains("Max-Age=0"));
    let after = client.get(app.url("/admin/roles")).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

async fn photos_are_served_by_cookie_to_their_company_only_and_turn_for_display_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    app.admin("zed@other.test").await;
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, Some("4321")).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let stored: Value =
        app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(1)), FACE_JPEG, "image/jpeg").await.json().await.unwrap();
    let sha = stored["punch"]["photo_sha256"].as_str().unwrap().to_owned();
    let url = format!("/admin/photos/{sha}");
    let client = client();

    assert_eq!(client.get(app.url(&url)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let (_, theirs) = sign_in(&app, "zed@other.test", false).await;
    let theirs = client.get(app.url(&url)).header(COOKIE, theirs.unwrap().cookie).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);

    let (_, mine) = sign_in(&app, "ana@acme.test", false).await;
    let mine = mine.unwrap();
    let photo = client.get(app.url(&url)).header(COOKIE, &mine.cookie).send().await.unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["cache-control"], "no-store", "a photo of a person is never kept in a cache");
    assert_eq!(photo.bytes().await.unwrap().as_ref(), FACE_JPEG, "the original bytes");

    // The time card shows the photo beside the start time.
    let week = day_of_hours_ago(1);
    let card =
        client.get(app.url(&format!("/admin/time-cards?employee={worker}&from={week}"))).header(COOKIE, &mine.cookie).send().await.unwrap();
    let html = card.text().await.unwrap();
    assert!(html.contains(&format!("src=\"{url}?on=time_card\"")), "{html}");
    assert!(html.contains("class=\"rot-0\"") && (html.contains("Waiting for verification") || html.contains("Not enrolled")));
    // Seen there, the audit log says where.
    let seen = client.get(app.url(&format!("{url}?on=time_card"))).header(COOKIE, &mine.cookie).send().await.unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    let views: Vec<Value> = app.get(&admin.token, "/api/v1/audit?kind=photo.viewed").await.json().await.unwrap();
    let details: Vec<&str> = views.iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert!(details.contains(&"seen on a time card") && details.contains(&"opened on the admin pages"), "{details:?}");

    // Turning it changes only how it is shown.
    let back = format!("/admin/time-cards?employee={worker}&from={week}");
    let turn = client
        .post(app.url(&format!("{url}/rotate")))
        .header(COOKIE, &mine.cookie)
        .form(&[("_csrf", mine.csrf.as_str()), ("turn", "right"), ("back", back.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(turn.status(), StatusCode::SEE_OTHER);
    assert_eq!(turn.headers()[LOCATION], back.as_str());
    let html = client.get(app.url(&back)).header(COOKIE, &mine.cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("class=\"rot-90\""));
    let photo = client.get(app.url(&url)).header(COOKIE, &mine.cookie).send().await.unwrap();
    assert_eq!(photo.bytes().await.unwrap().as_ref(), FACE_JPEG, "the bytes stay as they were");
}

#[tokio::test]
async fn photos_are_served_by_cookie_to_their_company_only_and_turn_for_display() {
    photos_are_served_by_cookie_to_their_company_only_and_turn_for_display_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn photos_are_served_by_cookie_to_their_company_only_and_turn_for_display_with_photos_in_s3() {
    photos_are_served_by_cookie_to_their_company_only_and_turn_for_display_on(Backend::PostgresS3).await;
}

#[tokio::test]
async fn a_duplicate_pin_is_refused_beside_the_field_and_nothing_raw_is_shown() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    app.employee(&admin, "Ana", "1", &role, Some("1234")).await;
    let bob = app.employee(&admin, "Bob", "2", &role, None).await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let response = client()
        .post(app.url(&format!("/admin/employees/{bob}")))
        .header(COOKIE, &browser.cookie)
        .form(&[
            ("_csrf", browser.csrf.as_str()),
            ("name", "Bob Typed"),
            ("number", "2"),
            ("role_id", role.as_str()),
            ("active", "on"),
            ("pin", "1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"pin-error\">Another employee of the company already uses this PIN"), "{html}");
    assert!(html.contains("value=\"Bob Typed\""), "what was typed is kept");
    let stored = app.get(&admin.token, &format!("/api/v1/employees/{bob}")).await.json::<Value>().await.unwrap();
    assert_eq!((stored["name"].as_str(), stored["has_pin"].as_bool()), (Some("Bob"), Some(false)));

    // An unknown or malformed id is a 404 page, not an error dump.
    let missing = client().get(app.url("/admin/employees/not-an-id")).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let html = missing.text().await.unwrap();
    assert!(html.contains("Not found") && !html.contains("uuid"));
}

#[tokio::test]
async fn a_foremans_crew_is_set_on_the_form_and_their_clock_for_punch_names_them() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let roles = app.get(&admin.token, "/api/v1/roles").await.json::<Value>().await.unwrap();
    let foreman_role =
        roles.as_array().unwrap().iter().find(|r| r["abilities"]["clock_for"] == true).unwrap()["id"].as_str().unwrap().to_owned();
    let worker_role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let foreman = app.employee(&admin, "Fred Foreman", "1", &foreman_role, Some("1111")).await;
    let worker = app.employee(&admin, "Wendy Worker", "2", &worker_role, Some("2222")).await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let client = client();

    let edit = client.get(app.url(&format!("/admin/employees/{foreman}"))).header(COOKIE, &browser.cookie).send().await.unwrap();
    let html = edit.text().await.unwrap();
    assert!(html.contains("id=\"crew\">"), "the crew is shown for a Clock For role");
    assert!(html.contains(&format!("name=\"crew\" value=\"{worker}\"")));
    let saved = client
        .post(app.url(&format!("/admin/employees/{foreman}")))
        .header(COOKIE, &browser.cookie)
        .form(&[
            ("_csrf", browser.csrf.as_str()),
            ("name", "Fred Foreman"),
            ("number", "1"),
            ("role_id", foreman_role.as_str()),
            ("active", "on"),
            ("pin", ""),
            ("crew_shown", "1"),
            ("crew", worker.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let crew = app.get(&admin.token, &format!("/api/v1/employees/{foreman}/crew")).await.json::<Value>().await.unwrap();
    assert_eq!(crew["members"], json!([worker]));
    let stored = app.get(&admin.token, &format!("/api/v1/employees/{foreman}")).await.json::<Value>().await.unwrap();
    assert_eq!(stored["has_pin"], true, "an empty PIN field keeps the PIN");

    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let mut body = punch_body(&worker, "in", &hours_ago(1));
    body["clock_for_by"] = json!(foreman);
    let response = app.punch(&device, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let week = day_of_hours_ago(1);
    let card = client
        .get(app.url(&format!("/admin/time-cards?employee={worker}&from={week}")))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    let html = card.text().await.unwrap();
    assert!(html.contains("No photo — Clocked by Fred Foreman (Clock For)"), "{html}");
}

const OBAMA_1: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-1.jpg");
const BIDEN: &[u8] = include_bytes!("../../../face/tests/fixtures/biden-1.jpg");

/// A multipart enrolment upload from the page, with `csrf` as its token (or none).
async fn upload_enrolment(app: &TestApp, browser: &Browser, employee: &str, csrf: Option<&str>) -> Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(csrf) = csrf {
        form = form.text("_csrf", csrf.to_owned());
    }
    let photo = reqwest::multipart::Part::bytes(OBAMA_1.to_vec()).file_name("obama.jpg").mime_str("image/jpeg").unwrap();
    client()
        .post(app.url(&format!("/admin/employees/{employee}/enrolment")))
        .header(COOKIE, &browser.cookie)
        .multipart(form.part("photo", photo))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn face_verification_forms_need_the_csrf_token_and_a_review_decision_is_recorded() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let client = client();
    app.publish_policy(&admin).await;
    let release_url = app.url(&format!("/admin/employees/{worker}/release"));
    let version = clockface_domain::privacy::RELEASE_VERSION;

    // Signing the release, upload and delete refuse a missing or wrong token and change nothing.
    for csrf in [None, Some("wrong")] {
        let mut form = vec![("release_version", version), ("decision", "signed"), ("signed_name", "Barack Obama"), ("reason", "asked")];
        if let Some(csrf) = csrf {
            form.push(("_csrf", csrf));
        }
        let response = client.post(&release_url).header(COOKIE, &browser.cookie).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "release, csrf {csrf:?}");
        let response = upload_enrolment(&app, &browser, &worker, csrf).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "upload, csrf {csrf:?}");
        let response = client
            .post(app.url(&format!("/admin/employees/{worker}/biometrics/delete")))
            .header(COOKIE, &browser.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "delete, csrf {csrf:?}");
    }
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "not_asked", "no release was recorded");

    // With the token: the employee signs, then the upload enrols.
    let response = client
        .post(&release_url)
        .header(COOKIE, &browser.cookie)
        .form(&[("_csrf", browser.csrf.as_str()), ("release_version", version), ("decision", "signed"), ("signed_name", "Barack Obama")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = upload_enrolment(&app, &browser, &worker, Some(&browser.csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());
    let enrolment: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/enrolment")).await.json().await.unwrap();
    assert_eq!(enrolment["templates"].as_array().unwrap().len(), 1);

    // Someone else's face waits for review.
    app.sync(&device).await;
    let response = app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(1)), BIDEN, "image/jpeg").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let punch = response.json::<Value>().await.unwrap()["punch"]["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
        if queue.as_array().unwrap().iter().any(|item| item["punch"]["id"] == punch.as_str()) {
            break;
        }
        if std::time::Instant::now() > deadline {
            let verdict = app.get(&admin.token, &format!("/api/v1/punches/{punch}/verification")).await.text().await.unwrap();
            panic!("the punch did not reach the review queue in time: {queue} {verdict}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = client.get(app.url("/admin/review")).header(COOKIE, &browser.cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Barack Obama") && page.contains("Mismatch"), "the review page shows the item");
    assert!(page.contains("class=\"count-badge\""), "the menu counts it");

    let review_url = app.url(&format!("/admin/review/{punch}"));
    let refused = client.post(&review_url).header(COOKIE, &browser.cookie).form(&[("decision", "not_them")]).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1, "still waiting");

    let decided = client
        .post(&review_url)
        .header(COOKIE, &browser.cookie)
        .form(&[("_csrf", browser.csrf.as_str()), ("decision", "not_them")])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    assert_eq!(decided.headers()[LOCATION], "/admin/review?done=not_them");
    let review =
        app.running.state.store.review(admin.company_id.parse().unwrap(), punch.parse().unwrap()).await.unwrap().expect("recorded");
    assert_eq!(review.decision, clockface_store::ReviewDecision::NotThem);
    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert!(queue.as_array().unwrap().is_empty(), "the item left the queue");
    let page = client.get(app.url("/admin/review")).header(COOKIE, &browser.cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Nothing to review"), "{page}");
}

/// The face in `photo` turned a quarter turn clockwise, as a phone held sideways takes it.
fn turned_quarter(photo: &[u8]) -> Vec<u8> {
    let turned = image::load_from_memory(photo).unwrap().rotate90();
    let mut out = std::io::Cursor::new(Vec::new());
    turned.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A mismatch stands out on the time card itself, and a sideways photo is shown upright (by the
/// verdict's turn) on the time card and in the review queue alike, with the score said once.
#[tokio::test]
async fn a_doubtful_verdict_is_marked_on_the_card_and_its_photo_shown_upright_on_both_pages() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.publish_policy(&admin).await;
    app.sign_release(&admin, &worker).await;
    let form = reqwest::multipart::Form::new()
        .part("photo", reqwest::multipart::Part::bytes(OBAMA_1.to_vec()).file_name("face.jpg").mime_str("image/jpeg").unwrap());
    let enrolled = app
        .client
        .post(app.url(&format!("/api/v1/employees/{worker}/enrolment")))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    app.sync(&device).await;
    let response = app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(2)), &turned_quarter(BIDEN), "image/jpeg").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let punch = response.json::<Value>().await.unwrap()["punch"]["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let verdict: Value = loop {
        let answer = app.get(&admin.token, &format!("/api/v1/punches/{punch}/verification")).await;
        if answer.status() == StatusCode::OK {
            break answer.json().await.unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "no verdict in time");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(verdict["verdict"], "mismatch", "{verdict}");
    let turn = verdict["engine_rotation"].as_i64().unwrap();
    assert_ne!(turn, 0, "the engine turned the sideways photo: {verdict}");

    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let card = client()
        .get(app.url(&format!("/admin/time-cards?employee={worker}&from={}", day_of_hours_ago(2))))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let flag = card.find("verdict-flag").expect("the card marks the mismatch beside the time, not only in the hover");
    assert!(
        card[flag..].starts_with("verdict-flag\" title=") && card[flag..flag + 200].contains("Mismatch"),
        "{}",
        &card[flag..flag + 200]
    );
    assert!(card.contains(&format!("class=\"rot-{turn}\"")), "the time card shows the photo upright");

    let review = client().get(app.url("/admin/review")).header(COOKIE, &browser.cookie).send().await.unwrap().text().await.unwrap();
    assert!(review.contains(&format!("class=\"rot-{turn}\" src=\"/admin/photos/")), "the review queue shows it upright too");
    assert_eq!(review.matches("· threshold").count(), 1, "the score is said once");
    let score = format!("score {:.2} · threshold", verdict["score"].as_f64().unwrap());
    assert!(review.contains(&score), "with the same precision as the time card: {score}");
    assert!(card.contains(&score));
}

#[tokio::test]
async fn the_front_page_leads_to_the_admin_sign_in_and_names_the_clocks_address() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = client().get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("href=\"/admin/sign-in\""), "{page}");
    assert!(page.contains(&format!("{}/clock/", app.base)), "the clock's full address: {page}");
    let forwarded =
        client().get(app.url("/")).header("x-forwarded-proto", "https").header("host", "clock.acme.example").send().await.unwrap();
    assert!(forwarded.text().await.unwrap().contains("https://clock.acme.example/clock/"));
}

/// A release signed on paper is recorded from the employee's page with its date, language and
/// scan (the CSRF token required), shown as such, and its scan is seen only by a signed-in admin.
#[tokio::test]
async fn a_release_signed_on_paper_is_recorded_with_its_scan() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    app.publish_policy(&admin).await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let page = client().get(app.url(&format!("/admin/employees/{worker}"))).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("They signed it on paper"));

    let scan = b"%PDF-1.4\n% a signed page\n".to_vec();
    let upload = |csrf: Option<&str>, bytes: Vec<u8>, signed_on: &str| {
        let mut form = reqwest::multipart::Form::new().text("signed_on", signed_on.to_owned()).text("language", "es");
        if let Some(csrf) = csrf {
            form = form.text("_csrf", csrf.to_owned());
        }
        let part = reqwest::multipart::Part::bytes(bytes).file_name("release.pdf").mime_str("application/pdf").unwrap();
        client()
            .post(app.url(&format!("/admin/employees/{worker}/release/paper")))
            .header(COOKIE, &browser.cookie)
            .multipart(form.part("scan", part))
            .send()
    };
    assert_eq!(upload(None, scan.clone(), "2026-12-01").await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF token");
    let not_a_scan = upload(Some(&browser.csrf), b"hello".to_vec(), "2026-12-01").await.unwrap();
    assert_eq!(not_a_scan.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_a_scan.text().await.unwrap().contains("PDF, JPEG or PNG"), "the page says what was wrong");
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "not_asked", "nothing recorded");

    let recorded = upload(Some(&browser.csrf), scan.clone(), "2026-12-01").await.unwrap();
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    let release: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/release")).await.json().await.unwrap();
    assert_eq!(release["status"], "signed");
    assert_eq!(release["release"]["signed_name"], "Barack Obama", "signed by the name on file");
    assert_eq!(release["release"]["language"], "es");
    assert!(release["release"]["paper_scan_sha256"].is_string());
    let page = client().get(app.url(&format!("/admin/employees/{worker}"))).header(COOKIE, &browser.cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("on paper, recorded by ana@acme.test") && html.contains("See the signed page"), "{html}");
    let seen =
        client().get(app.url(&format!("/admin/employees/{worker}/release/scan"))).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    assert_eq!(seen.headers()["content-type"], "application/pdf");
    assert_eq!(seen.bytes().await.unwrap().to_vec(), scan, "the scan as uploaded");
    let anonymous = client().get(app.url(&format!("/admin/employees/{worker}/release/scan"))).send().await.unwrap();
    assert_ne!(anonymous.status(), StatusCode::OK, "not without signing in");
    let audit: Vec<Value> = app.get(&admin.token, &format!("/api/v1/audit?employee={worker}")).await.json().await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"release.signed_on_paper") && actions.contains(&"release_scan.viewed"), "{actions:?}");
}

/// The time-off pages' forms: each needs the session's CSRF token; a refused answer, holiday or
/// adjustment is said beside its field and writes nothing; a request answered on the page is
/// answered for the API too, and the menu counts what waits.
#[tokio::test]
async fn time_off_forms_need_the_csrf_token_and_a_refusal_writes_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let ada = app.employee(&admin, "Ada Lovelace", "1", &role, Some("1357")).await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let types: Value = app.get(&admin.token, "/api/v1/time-off/types").await.json().await.unwrap();
    let vacation = types[0]["id"].as_str().unwrap().to_owned();
    let first = (chrono::Utc::now() + chrono::Duration::days(21)).date_naive().to_string();
    let asked = app.post(&admin.token, "/api/v1/time-off/requests", json!({"employee_id": ada, "type_id": vacation, "first": first})).await;
    assert_eq!(asked.status(), StatusCode::CREATED);
    let request = asked.json::<Value>().await.unwrap()["request"]["id"].as_str().unwrap().to_owned();
    let post =
        |path: String, form: Vec<(&'static str, String)>| client().post(app.url(&path)).header(COOKIE, &browser.cookie).form(&form).send();
    let status_of = || async {
        app.get(&admin.token, &format!("/api/v1/time-off/requests/{request}")).await.json::<Value>().await.unwrap()["status"].clone()
    };

    let list = client().get(app.url("/admin/time-off")).header(COOKIE, &browser.cookie).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(r#"<span class="count-badge" aria-label="1 waiting">1</span>"#), "the menu counts it");
    let answer = format!("/admin/time-off/requests/{request}");
    let forged = post(answer.clone(), vec![("answer", "approve".into()), ("_csrf", "wrong".into())]).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let bare =
        post(answer.clone(), vec![("answer", "decline".into()), ("note", " ".into()), ("_csrf", browser.csrf.clone())]).await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY, "a decline needs its note");
    assert!(bare.text().await.unwrap().contains(r#"aria-invalid="true""#), "said beside the note");
    assert_eq!(status_of().await, "requested", "nothing was answered");
    let declined =
        post(answer, vec![("answer", "decline".into()), ("note", "inventory".into()), ("_csrf", browser.csrf.clone())]).await.unwrap();
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of().await, "declined");

    // A holiday outside its year, and an adjustment without a reason: refused, nothing stored.
    let year = chrono::Utc::now().date_naive().format("%Y").to_string();
    let holiday = |date: String, csrf: String| {
        vec![("date", date), ("name", "Founders Day".into()), ("hours", "8".into()), ("year", year.clone()), ("_csrf", csrf)]
    };
    let forged = post("/admin/time-off/holidays".into(), holiday(format!("{year}-07-03"), String::new())).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let refused = post("/admin/time-off/holidays".into(), holiday("2001-02-30".into(), browser.csrf.clone())).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let calendar: Value = app.get(&admin.token, &format!("/api/v1/time-off/holidays?year={year}")).await.json().await.unwrap();
    assert_eq!(calendar["holidays"], json!([]), "nothing was added");
    let added = post("/admin/time-off/holidays".into(), holiday(format!("{year}-07-03"), browser.csrf.clone())).await.unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let calendar: Value = app.get(&admin.token, &format!("/api/v1/time-off/holidays?year={year}")).await.json().await.unwrap();
    assert_eq!(calendar["holidays"][0]["name"], "Founders Day");

    let kept = json!({"kind": "vacation", "name": "Vacation", "paid": true, "codes": types[0]["codes"].clone(),
        "policy": {"method": {"method": "none"}, "allow_negative": false}});
    assert_eq!(app.put(&admin.token, &format!("/api/v1/time-off/types/{vacation}"), kept).await.status(), StatusCode::OK);
    let adjust = format!("/admin/employees/{ada}/time-off/adjust");
    let form = |reason: &str| {
        vec![
            ("type_id", vacation.clone()),
            ("kind", "starting".into()),
            ("hours", "8".into()),
            ("reason", reason.into()),
            ("_csrf", browser.csrf.clone()),
        ]
    };
    let ledger = || async {
        let balances: Value = app.get(&admin.token, &format!("/api/v1/employees/{ada}/time-off/balances")).await.json().await.unwrap();
        balances[0]["ledger"]["lines"].as_array().unwrap().len()
    };
    let refused = post(adjust.clone(), form("")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().await.unwrap().contains(r#"name="reason" value="" maxlength="500" required aria-invalid="true""#),
        "beside the reason"
    );
    assert_eq!(ledger().await, 0, "nothing was written");
    assert_eq!(post(adjust, form("from the old system")).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(ledger().await, 1);
}

/// The settings form of a time-off type, as a browser sends it; `id` empty adds one.
fn type_form<'a>(csrf: &'a str, id: &'a str, name: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form =
        vec![("_csrf", csrf), ("id", id), ("name", name), ("kind", "custom"), ("paid", "on"), ("active", "on"), ("accrual", "none")];
    for (field, value) in changes {
        form.retain(|(f, _)| f != field);
        form.push((field, value));
    }
    form
}

async fn time_off_types_are_set_in_payroll_settings_with_each_refusal_beside_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let (_, browser) = sign_in(&app, "ana@acme.test", false).await;
    let browser = browser.unwrap();
    let types = || async { app.get(&admin.token, "/api/v1/time-off/types").await.json::<Value>().await.unwrap() };
    let post = |form: Vec<(&str, &str)>| {
        let request = client().post(app.url("/admin/payroll/time-off-types")).header(COOKIE, &browser.cookie).form(&form);
        async move { request.send().await.unwrap() }
    };

    // The page lists the four types a company starts with, each in its form, and one to add.
    let page = client().get(app.url("/admin/payroll/settings")).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for name in ["Vacation", "Sick", "Holiday", "Unpaid"] {
        assert!(html.contains(&format!("name=\"name\" value=\"{name}\"")), "{name}");
    }
    assert!(html.contains("id=\"type-new\"") && html.contains("value=\"VAC\""));
    let before = types().await;

    // Without the session's token: refused, nothing added.
    let response = post(type_form("wrong", "", "Jury duty", &[])).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Bad hours and a code that starts like a formula: each refusal beside its field, what was
    // typed kept, nothing added.
    let bad = [("accrual", "yearly_grant"), ("accrual_hours", "forty"), ("cap", "4.125"), ("adp_run_earnings_code", "=SUM(1)")];
    let response = post(type_form(&browser.csrf, "", "Jury duty", &bad)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for field in ["accrual_hours", "cap", "adp_run_earnings_code"] {
        assert!(html.contains(&format!("class=\"field-error\" id=\"new-{field}-error\"")), "{field}: {html}");
    }
    assert!(html.contains("id=\"type-new\" open") && html.contains("value=\"Jury duty\"") && html.contains("value=\"forty\""));
    assert_eq!(types().await, before, "a refusal changes nothing");

    // Added: 1 hour per 30 worked, capped at 40, 16 carried over, with its pay codes.
    let good = [
        ("accrual", "per_hour_worked"),
        ("earned", "1"),
        ("per_worked", "30"),
        ("cap", "40"),
        ("carry_over", "16"),
        ("adp_wfn_hours_code", "J"),
        ("adp_run_earnings_code", "JUR"),
        ("paychex_pay_component", "Jury"),
        ("gusto_column", "jury_hours"),
        ("quickbooks_payroll_item", "Jury Duty"),
    ];
    let response = post(type_form(&browser.csrf, "", "Jury duty", &good)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/admin/payroll/settings?type_saved=1#type-list");
    let listed = types().await;
    let jury = listed.as_array().unwrap().iter().find(|t| t["name"] == "Jury duty").expect("added").clone();
    assert_eq!(
        jury["policy"],
        json!({"method": {"method": "per_hour_worked", "earned_seconds": 3600, "per_worked_seconds": 108_000},
               "cap_seconds": 144_000, "carry_over_seconds": 57_600, "allow_negative": false})
    );
    assert_eq!(
        (jury["codes"]["adp_run_earnings_code"].as_str(), jury["codes"]["gusto_column"].as_str()),
        (Some("JUR"), Some("jury_hours"))
    );

    // Vacation renamed to a name the company has: refused beside the name; then its code changed.
    let vacation = before[0]["id"].as_str().unwrap();
    let response = post(type_form(&browser.csrf, vacation, "sick", &[("kind", "vacation")])).await;
    assert!(response.status().is_client_error());
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("id=\"{vacation}-name-error\"")), "{html}");
    assert_eq!(types().await, listed);
    let response = post(type_form(&browser.csrf, vacation, "Vacation", &[("kind", "vacation"), ("adp_run_earnings_code", "PTO")])).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(types().await[0]["codes"]["adp_run_earnings_code"], "PTO");
    let page = client().get(app.url("/admin/payroll/settings?type_saved=1")).header(COOKIE, &browser.cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Time-off type saved.") && html.contains("value=\"PTO\"") && html.contains("value=\"Jury duty\""));
}

#[tokio::test]
async fn time_off_types_are_set_in_payroll_settings_with_each_refusal_beside_its_field_on_sqlite() {
    time_off_types_are_set_in_payroll_settings_with_each_refusal_beside_its_field(Backend::Sqlite).await;
}

#[tokio::test]
async fn time_off_types_are_set_in_payroll_settings_with_each_refusal_beside_its_field_on_postgres() {
    time_off_types_are_set_in_payroll_settings_with_each_refusal_beside_its_field(Backend::Postgres).await;
}
