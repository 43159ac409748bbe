//! Face verification over HTTP: a published policy and a signed release before enrolment, a verdict for every FaceFront photo
//! through the durable queue (also across a restart), the review queue, verified Clock For, and
//! the `clockface face` command.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OBAMA_1: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-1.jpg");
const OBAMA_2: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-2.jpg");
const BIDEN: &[u8] = include_bytes!("../../../face/tests/fixtures/biden-1.jpg");
const HOPPER: &[u8] = include_bytes!("../../../face/tests/fixtures/hopper-1.jpg");

/// A company with a FaceFront role, a synced device with a camera, and an admin.
async fn setup(app: &TestApp) -> (Admin, String, String) {
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true, "clock_for": true})).await;
    let device = app.device(&admin, true).await;
    (admin, role, device)
}

/// The employee signs the release in front of the admin (publishing the policy first if needed).
async fn consent(app: &TestApp, admin: &Admin, employee: &str) {
    app.publish_policy(admin).await;
    app.sign_release(admin, employee).await;
}

async fn enrol(app: &TestApp, admin: &Admin, employee: &str, photo: &[u8]) -> reqwest::Response {
    let form = Form::new().part("photo", Part::bytes(photo.to_vec()).file_name("face.jpg").mime_str("image/jpeg").unwrap());
    app.client
        .post(app.url(&format!("/api/v1/employees/{employee}/enrolment")))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn photo_punch(app: &TestApp, device: &str, employee: &str, photo: &[u8]) -> String {
    app.sync(device).await;
    photo_punch_at(app, device, employee, "in", photo, 1).await.0
}

async fn enrolment_needs_a_policy_a_signed_release_and_a_clear_face_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, role, _) = setup(&app).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    let refused = enrol(&app, &admin, &worker, OBAMA_1).await;
    expect_error(refused, StatusCode::CONFLICT, "policy_required").await;
    let release_url = format!("/api/v1/employees/{worker}/release");
    let early = app
        .put(
            &admin.token,
            &release_url,
            json!({"decision": "signed", "signed_name": "Barack Obama", "release_version": clockface_domain::privacy::RELEASE_VERSION}),
        )
        .await;
    expect_error(early, StatusCode::CONFLICT, "policy_required").await;
    app.publish_policy(&admin).await;
    expect_error(enrol(&app, &admin, &worker, OBAMA_1).await, StatusCode::CONFLICT, "release_required").await;

    let view: Value = app.get(&admin.token, &release_url).await.json().await.unwrap();
    assert_eq!(view["status"], "not_asked");
    let notice = &view["notice"];
    assert!(notice["text"].as_str().unwrap().contains("face template"));
    assert!(notice["text"].as_str().unwrap().contains(notice["policy_url"].as_str().unwrap()), "the release points to the policy");
    let version = notice["release_version"].as_str().unwrap();
    let old = app
        .put(&admin.token, &release_url, json!({"decision": "signed", "signed_name": "Barack Obama", "release_version": "2020-01"}))
        .await;
    expect_error(old, StatusCode::UNPROCESSABLE_ENTITY, "outdated_release").await;
    let unsigned = app.put(&admin.token, &release_url, json!({"decision": "signed", "signed_name": " ", "release_version": version})).await;
    expect_error(unsigned, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    app.sign_release(&admin, &worker).await;
    let view: Value = app.get(&admin.token, &release_url).await.json().await.unwrap();
    assert_eq!((view["status"].as_str(), view["release"]["signed_name"].as_str()), (Some("signed"), Some("Barack Obama")));

    let mut grey = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(400, 300, image::Rgb([128, 128, 128])).write_to(&mut grey, image::ImageFormat::Jpeg).unwrap();
    let message =
        expect_error(enrol(&app, &admin, &worker, &grey.into_inner()).await, StatusCode::UNPROCESSABLE_ENTITY, "unusable_photo").await;
    assert!(message.to_lowercase().contains("face"), "{message}");
    expect_error(enrol(&app, &admin, &worker, b"not an image").await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_unsupported_format").await;

    let enrolled = enrol(&app, &admin, &worker, OBAMA_1).await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let enrolment: Value = enrolled.json().await.unwrap();
    assert_eq!(enrolment["templates"].as_array().unwrap().len(), 1);
    assert_eq!(enrolment["templates"][0]["source"], "upload");
    assert_eq!(enrolment["release"], "signed");

    let deleted: Value = app
        .client
        .delete(app.url(&format!("/api/v1/employees/{worker}/enrolment")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["deleted"], 1);
    let after: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/enrolment")).await.json().await.unwrap();
    assert!(after["templates"].as_array().unwrap().is_empty());
    let log = app.running.state.store.audit_log(admin.company_id.parse().unwrap(), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["templates.deleted", "template.enrolled", "release.signed", "policy.published"]);
}

#[tokio::test]
async fn enrolment_needs_a_policy_a_signed_release_and_a_clear_face() {
    enrolment_needs_a_policy_a_signed_release_and_a_clear_face_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn enrolment_needs_a_policy_a_signed_release_and_a_clear_face_with_photos_in_s3() {
    enrolment_needs_a_policy_a_signed_release_and_a_clear_face_on(Backend::PostgresS3).await;
}

async fn every_face_front_photo_gets_a_verdict_and_doubtful_ones_are_reviewed_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.verification_workers = 1).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    consent(&app, &admin, &worker).await;
    assert_eq!(enrol(&app, &admin, &worker, OBAMA_1).await.status(), StatusCode::CREATED);

    let genuine = photo_punch(&app, &device, &worker, OBAMA_2).await;
    let impostor = photo_punch(&app, &device, &worker, BIDEN).await;
    let matched = verdict_of(&app, &admin, &genuine).await;
    assert_eq!(matched["verdict"], "match", "{matched}");
    assert!(matched["score"].as_f64().unwrap() >= matched["threshold"].as_f64().unwrap());
    let mismatched = verdict_of(&app, &admin, &impostor).await;
    assert_eq!(mismatched["verdict"], "mismatch", "{mismatched}");
    assert!(mismatched["score"].as_f64().unwrap() < mismatched["threshold"].as_f64().unwrap());

    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "only the mismatch waits for a person");
    assert_eq!(queue[0]["punch"]["id"], impostor.as_str());
    assert!(queue[0]["reference_photo_url"].is_string() && queue[0]["photo_url"].is_string());

    // The week of the punches (an hour ago can be last week's Sunday in the company's zone).
    let week = day_of_hours_ago(1);
    let card: Value =
        app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from={week}&to={week}")).await.json().await.unwrap();
    let verdicts: Vec<&str> = card["time_card"]["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["shifts"].as_array().unwrap().iter())
        .flat_map(|s| [&s["start"], &s["end"]])
        .filter_map(|p| p["verification"]["verdict"].as_str())
        .collect();
    assert!(verdicts.contains(&"match") && verdicts.contains(&"mismatch"), "the time card shows the verdicts: {verdicts:?}");

    let bad = app.post(&admin.token, &format!("/api/v1/punches/{impostor}/review"), json!({"decision": "maybe"})).await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let reviewed = app.post(&admin.token, &format!("/api/v1/punches/{impostor}/review"), json!({"decision": "not_them"})).await;
    assert_eq!(reviewed.status(), StatusCode::OK);
    let reviewed: Value = reviewed.json().await.unwrap();
    assert_eq!(reviewed["decision"], "not_them");
    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert!(queue.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn every_face_front_photo_gets_a_verdict_and_doubtful_ones_are_reviewed() {
    every_face_front_photo_gets_a_verdict_and_doubtful_ones_are_reviewed_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_face_front_photo_gets_a_verdict_and_doubtful_ones_are_reviewed_with_photos_in_s3() {
    every_face_front_photo_gets_a_verdict_and_doubtful_ones_are_reviewed_on(Backend::PostgresS3).await;
}

#[tokio::test]
async fn a_verdict_survives_a_server_restart() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    consent(&app, &admin, &worker).await;
    assert_eq!(enrol(&app, &admin, &worker, OBAMA_1).await.status(), StatusCode::CREATED);
    let punch = photo_punch(&app, &device, &worker, OBAMA_2).await;
    assert_eq!(app.running.state.store.pending_verification_jobs().await.unwrap(), 1, "queued with the punch, no worker yet");

    let app = app.restart(1).await;
    let verdict = verdict_of(&app, &admin, &punch).await;
    assert_eq!(verdict["verdict"], "match");
    assert_eq!(app.running.state.store.pending_verification_jobs().await.unwrap(), 0);
}

#[tokio::test]
async fn the_first_photo_after_the_release_enrols_and_is_marked() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    let stranger = app.employee(&admin, "No Consent", "2", &role, None).await;
    consent(&app, &admin, &worker).await;

    let first = photo_punch(&app, &device, &worker, HOPPER).await;
    let verdict = verdict_of(&app, &admin, &first).await;
    assert_eq!((verdict["verdict"].as_str(), verdict["enrolled_now"].as_bool()), (Some("not_enrolled"), Some(true)));
    let enrolment: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/enrolment")).await.json().await.unwrap();
    assert_eq!(enrolment["templates"][0]["source"], "first_punch");
    let second = photo_punch(&app, &device, &worker, HOPPER).await;
    assert_eq!(verdict_of(&app, &admin, &second).await["verdict"], "match");

    // Without a signed release nothing is enrolled, and the verdict says why.
    let unconsented = photo_punch(&app, &device, &stranger, OBAMA_2).await;
    let verdict = verdict_of(&app, &admin, &unconsented).await;
    assert_eq!((verdict["verdict"].as_str(), verdict["enrolled_now"].as_bool()), (Some("not_enrolled"), Some(false)));
    assert!(verdict["message"].as_str().unwrap().contains("not signed the biometric release"), "{verdict}");
    let log = app.running.state.store.audit_log(admin.company_id.parse().unwrap(), 10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "template.enrolled" && e.actor == "system"));
}

/// A foreman with a crew of three, each enrolled, and the punches of a Clock For of all three
/// carrying one crew photo in which Obama (another photo than his enrolment) and Hopper stand
/// side by side. Returns the admin and the three punches' ids.
async fn crew_clock_in_with_one_photo(app: &TestApp) -> (Admin, Vec<String>) {
    let (admin, role, device) = setup(app).await;
    let plain = app.role(&admin, "Crew", json!({})).await;
    let foreman = app.employee(&admin, "Fay Foreman", "F", &role, None).await;
    let mut crew = Vec::new();
    for (name, number, photo) in [("Barack Obama", "1", OBAMA_1), ("Grace Hopper", "2", HOPPER), ("Joe Biden", "3", BIDEN)] {
        let member = app.employee(&admin, name, number, &plain, None).await;
        consent(app, &admin, &member).await;
        assert_eq!(enrol(app, &admin, &member, photo).await.status(), StatusCode::CREATED);
        crew.push(member);
    }
    app.put(&admin.token, &format!("/api/v1/employees/{foreman}/crew"), json!({"members": crew})).await;
    app.sync(&device).await;

    let left = image::load_from_memory(OBAMA_2).unwrap().resize(480, 480, image::imageops::FilterType::Triangle).to_rgb8();
    let right = image::load_from_memory(HOPPER).unwrap().resize(480, 480, image::imageops::FilterType::Triangle).to_rgb8();
    let mut canvas =
        image::RgbImage::from_pixel(left.width() + right.width() + 40, left.height().max(right.height()), image::Rgb([90, 90, 90]));
    image::imageops::overlay(&mut canvas, &left, 0, 0);
    image::imageops::overlay(&mut canvas, &right, i64::from(left.width() + 40), 0);
    let mut photo = std::io::Cursor::new(Vec::new());
    canvas.write_to(&mut photo, image::ImageFormat::Jpeg).unwrap();
    let photo = photo.into_inner();

    let mut punches = Vec::new();
    for member in &crew {
        let mut body = punch_body(member, "in", &hours_ago(1));
        body["clock_for_by"] = json!(foreman);
        let response = app.punch_with_photo(&device, &body, &photo, "image/jpeg").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        punches.push(response.json::<Value>().await.unwrap()["punch"]["id"].as_str().unwrap().to_owned());
    }
    (admin, punches)
}

/// One crew photo for a Clock For of three: the two in the photo are found, the third is not.
async fn a_crew_photo_verifies_each_crew_member_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.verification_workers = 1).await;
    let (admin, punches) = crew_clock_in_with_one_photo(&app).await;
    let verdicts: Vec<Value> = futures::future::join_all(punches.iter().map(|p| verdict_of(&app, &admin, p))).await;
    assert_eq!(verdicts[0]["verdict"], "match", "Obama is in the photo: {}", verdicts[0]);
    assert_eq!(verdicts[1]["verdict"], "match", "Hopper is in the photo: {}", verdicts[1]);
    assert_eq!(verdicts[2]["verdict"], "mismatch", "Biden is not: {}", verdicts[2]);
    assert!(verdicts[2]["message"].as_str().unwrap().contains("Not found in the crew photo"));
}

#[tokio::test]
async fn a_crew_photo_verifies_each_crew_member() {
    a_crew_photo_verifies_each_crew_member_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_crew_photo_verifies_each_crew_member_with_photos_in_s3() {
    a_crew_photo_verifies_each_crew_member_on(Backend::PostgresS3).await;
}

/// The crew photo shared by three punches is analysed once: the first job gives all three their verdicts.
#[tokio::test]
async fn a_crew_photo_is_analysed_once_for_all_its_punches() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, punches) = crew_clock_in_with_one_photo(&app).await;
    let store = &app.running.state.store;
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 3);
    let now = chrono::Utc::now();
    let job = store.claim_verification_job("test", now, now + chrono::Duration::minutes(1)).await.unwrap().unwrap();
    clockface_web::verification::verify_claimed(&app.running.state, job).await;
    let company = admin.company_id.parse().unwrap();
    for punch in &punches {
        let verdict = store.verification(company, punch.parse().unwrap()).await.unwrap();
        assert!(verdict.is_some(), "punch {punch} has its verdict from the one analysis");
    }
    // The other two jobs are left with nothing to analyse: each completes from the stored verdict.
    let left = store.pending_verification_jobs().await.unwrap();
    assert!(left <= 2, "{left} jobs left");
    for _ in 0..left {
        let job = store.claim_verification_job("test", now, now + chrono::Duration::minutes(1)).await.unwrap().unwrap();
        clockface_web::verification::verify_claimed(&app.running.state, job).await;
    }
    assert_eq!(store.pending_verification_jobs().await.unwrap(), 0);
    assert_eq!(verdict_of(&app, &admin, &punches[1]).await["verdict"], "match");
}

#[path = "../../../face/examples/bench/attacks.rs"]
pub(crate) mod attacks;

/// `name`'s portrait (a face fixture) printed and held up to a phone's camera at arm's length: a
/// 1280x960 JPEG made at run time by the face crate's attack maker (paper edge, hand, tilt, blur).
fn held_print(portrait: &[u8], seed: u64) -> Vec<u8> {
    let image = image::load_from_memory(portrait).unwrap().to_rgb8();
    let engine = clockface_face::FaceEngine::load().unwrap();
    let face = engine.detect(&clockface_face::Photo::from_rgb(image.clone())).unwrap().remove(0);
    let picture = attacks::picture(&image, (face.x, face.y, face.width, face.height));
    let scene = attacks::attack(attacks::Attack::PrintHeld, &picture, 1280, 960, 0.2, &mut attacks::Rng(seed));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&scene).unwrap();
    jpeg
}

/// A printed photo of the employee held up to the camera is never a match: the verdict is
/// `possible_spoof` with its liveness score, the punch is kept and waits in review beside the
/// enrolled face; the role's "photo only" setting turns the check off, and a live photo still matches.
async fn a_print_held_up_to_the_camera_is_flagged_not_matched_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.verification_workers = 1).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    consent(&app, &admin, &worker).await;
    assert_eq!(enrol(&app, &admin, &worker, HOPPER).await.status(), StatusCode::CREATED);
    let roles: Value = app.get(&admin.token, "/api/v1/roles").await.json().await.unwrap();
    let shown = roles.as_array().unwrap().iter().find(|r| r["id"] == role.as_str()).unwrap();
    assert_eq!(shown["abilities"]["liveness"], "step_up", "a new role checks liveness, with a head turn when unsure, unless told not to");

    let print = photo_punch(&app, &device, &worker, &held_print(HOPPER, 1)).await;
    let live = photo_punch(&app, &device, &worker, HOPPER).await;
    let flagged = verdict_of(&app, &admin, &print).await;
    assert_eq!(flagged["verdict"], "possible_spoof", "{flagged}");
    assert_eq!(flagged["message"], "May be a photo of a photo or a screen.");
    assert!(flagged["liveness"]["score"].as_f64().unwrap() < flagged["liveness"]["threshold"].as_f64().unwrap(), "{flagged}");
    let matched = verdict_of(&app, &admin, &live).await;
    assert_eq!(matched["verdict"], "match", "{matched}");
    assert!(matched["liveness"]["score"].as_f64().unwrap() >= matched["liveness"]["threshold"].as_f64().unwrap(), "{matched}");

    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "only the print waits for a person: {queue:?}");
    assert_eq!(queue[0]["punch"]["id"], print.as_str());
    assert_eq!(queue[0]["verification"]["verdict"], "possible_spoof");
    assert!(queue[0]["reference_photo_url"].is_string() && queue[0]["photo_url"].is_string(), "shown beside the enrolled face");

    // The role's setting is what decides: with "photo only" the same print is compared and matched.
    let body = json!({"name": "FaceFront", "abilities": {"face_front": true, "clock_for": true, "liveness": "photo_only"}});
    assert_eq!(app.put(&admin.token, &format!("/api/v1/roles/{role}"), body).await.status(), StatusCode::OK);
    let unchecked = photo_punch(&app, &device, &worker, &held_print(HOPPER, 1)).await;
    let unchecked = verdict_of(&app, &admin, &unchecked).await;
    assert_eq!(unchecked["verdict"], "match", "{unchecked}");
    assert!(unchecked["liveness"].is_null(), "no liveness judged: {unchecked}");
    let bad = json!({"name": "FaceFront", "abilities": {"face_front": true, "liveness": "sometimes"}});
    let refused = app.put(&admin.token, &format!("/api/v1/roles/{role}"), bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_print_held_up_to_the_camera_is_flagged_not_matched() {
    a_print_held_up_to_the_camera_is_flagged_not_matched_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_print_held_up_to_the_camera_is_flagged_not_matched_on_postgres() {
    a_print_held_up_to_the_camera_is_flagged_not_matched_on(Backend::Postgres).await;
}

/// A print that is the employee's first FaceFront photo enrols nobody: it is flagged instead.
#[tokio::test]
async fn a_print_as_the_first_photo_enrols_nobody() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    consent(&app, &admin, &worker).await;
    let print = photo_punch(&app, &device, &worker, &held_print(HOPPER, 2)).await;
    let verdict = verdict_of(&app, &admin, &print).await;
    assert_eq!((verdict["verdict"].as_str(), verdict["enrolled_now"].as_bool()), (Some("possible_spoof"), Some(false)), "{verdict}");
    let enrolment: Value = app.get(&admin.token, &format!("/api/v1/employees/{worker}/enrolment")).await.json().await.unwrap();
    assert!(enrolment["templates"].as_array().unwrap().is_empty(), "{enrolment}");
    // Their next, live photo is the one that enrols them.
    let live = photo_punch(&app, &device, &worker, HOPPER).await;
    assert_eq!(verdict_of(&app, &admin, &live).await["enrolled_now"], true);
}

/// A photo whose bytes are gone is retried with backoff, and after the last attempt gets the
/// verdict `unreadable` (a person looks at it) instead of being retried forever.
#[tokio::test]
async fn every_kind_of_failure_ends_in_a_verdict_after_the_last_attempt() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, role, device) = setup(&app).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    consent(&app, &admin, &worker).await;
    let punch = photo_punch(&app, &device, &worker, OBAMA_2).await;
    std::fs::remove_dir_all(app.data_dir().join("photos")).unwrap();
    let store = &app.running.state.store;
    let mut now = chrono::Utc::now();
    let max = clockface_web::verification::MAX_ATTEMPTS;
    for attempt in 1..=max {
        // Each claim is made after the previous retry's backoff (and lease) ran out.
        let job =
            store.claim_verification_job("test", now, now + chrono::Duration::minutes(1)).await.unwrap().expect("the job is due again");
        assert_eq!(job.attempts, attempt);
        clockface_web::verification::verify_claimed(&app.running.state, job).await;
        let verdict = store.verification(admin.company_id.parse().unwrap(), punch.parse().unwrap()).await.unwrap();
        if attempt < max {
            assert!(verdict.is_none(), "attempt {attempt} is retried");
            assert_eq!(store.pending_verification_jobs().await.unwrap(), 1);
        } else {
            let verdict = verdict.expect("the last attempt gives a verdict");
            assert_eq!(verdict.verdict, clockface_domain::verification::Verdict::Unreadable);
            assert!(verdict.message.contains(&format!("gave up after {max} attempts")), "{}", verdict.message);
            assert_eq!(store.pending_verification_jobs().await.unwrap(), 0, "no job is left to retry forever");
        }
        now += chrono::Duration::hours(3);
    }
    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue[0]["verification"]["verdict"], "unreadable", "the punch waits for a person");
}

#[test]
fn the_face_command_compares_and_detects() {
    let folder = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = folder.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let (a, b, c) = (write("a.jpg", OBAMA_1), write("b.jpg", OBAMA_2), write("c.jpg", BIDEN));
    let run =
        |args: &[&std::path::Path]| std::process::Command::new(env!("CARGO_BIN_EXE_clockface")).arg("face").args(args).output().unwrap();

    let same = run(&[std::path::Path::new("compare"), &a, &b]);
    assert!(same.status.success(), "{}", String::from_utf8_lossy(&same.stderr));
    let same: Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(same["verdict"]["kind"], "match", "{same}");
    assert!(same["score"].as_f64().unwrap() > same["threshold"].as_f64().unwrap());
    assert_eq!(same["images"][0]["faces"].as_array().unwrap().len(), 1);
    assert!(same["images"][1]["orientation"]["total_degrees"].is_number());

    let different: Value = serde_json::from_slice(&run(&[std::path::Path::new("compare"), &a, &c]).stdout).unwrap();
    assert_eq!(different["verdict"]["kind"], "mismatch", "{different}");

    let detected: Value = serde_json::from_slice(&run(&[std::path::Path::new("detect"), &b]).stdout).unwrap();
    assert_eq!(detected["faces"].as_array().unwrap().len(), 1);
    assert_eq!(detected["faces"][0]["landmarks"].as_array().map(Vec::len), Some(5), "{detected}");

    let text = write("notes.txt", b"not an image at all");
    let refused = run(&[std::path::Path::new("detect"), &text]);
    assert_eq!(refused.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&refused.stderr).unwrap();
    assert_eq!(error["error"]["code"], "not_an_image");
}
