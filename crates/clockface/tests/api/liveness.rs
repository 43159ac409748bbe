//! The active liveness check over HTTP: a punch carries a head-turn burst (the frames tiled four to
//! a row in one image) with the prompt the clock showed; the verification worker follows the face
//! through it, and only a live head turned the way asked is a match. A print turned in the hand, a
//! burst whose person changes, a turn the other way, or a missing burst where the role asks for
//! one every time: flagged `possible_spoof`, stored, and in review beside the enrolled face. The
//! clock's advice before a punch (`POST /device/liveness`), a burst that came later from an
//! offline clock (a batch), and bursts that do not add up are here too.
//!
//! The live bursts are the closest honest thing the project ships: two real photos of one person
//! with the head at different angles (obama-1 nearly frontal, obama-2 turned to his right), four
//! frames each, the face where a steady hand keeps it (as the face crate's own test).

use crate::helpers::*;
use image::{imageops, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(crate) const OBAMA_1: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-1.jpg");
pub(crate) const OBAMA_2: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-2.jpg");
pub(crate) const OBAMA_3: &[u8] = include_bytes!("../../../face/tests/fixtures/obama-3.jpg");
pub(crate) const BIDEN: &[u8] = include_bytes!("../../../face/tests/fixtures/biden-1.jpg");

use crate::faces::attacks;

fn engine() -> clockface_face::FaceEngine {
    clockface_face::FaceEngine::load().unwrap()
}

/// A portrait's pixels and its face box.
pub(crate) fn portrait(bytes: &[u8]) -> (RgbImage, clockface_face::Face) {
    let image = image::load_from_memory(bytes).unwrap().to_rgb8();
    let face = engine().detect(&clockface_face::Photo::from_rgb(image.clone())).unwrap().remove(0);
    (image, face)
}

/// A 640x480 frame with the portrait's face scaled to 160 px wide, centred, on a plain wall.
pub(crate) fn frame((image, face): &(RgbImage, clockface_face::Face)) -> RgbImage {
    let s = 160.0 / face.width;
    let small =
        imageops::resize(image, (image.width() as f32 * s) as u32, (image.height() as f32 * s) as u32, imageops::FilterType::Triangle);
    let mut frame = RgbImage::from_pixel(640, 480, Rgb([170, 160, 150]));
    let (fx, fy) = ((face.x + face.width / 2.0) * s, (face.y + face.height / 2.0) * s);
    imageops::overlay(&mut frame, &small, (320.0 - fx) as i64, (240.0 - fy) as i64);
    frame
}

/// The frames as the clock sends them: one JPEG, four to a row.
pub(crate) fn sheet(frames: &[RgbImage]) -> Vec<u8> {
    let (w, h) = (frames[0].width(), frames[0].height());
    let rows = frames.len().div_ceil(4) as u32;
    let mut sheet = RgbImage::new(w * (frames.len().min(4) as u32), h * rows);
    for (i, f) in frames.iter().enumerate() {
        imageops::replace(&mut sheet, f, i64::from((i as u32 % 4) * w), i64::from((i as u32 / 4) * h));
    }
    jpeg(&sheet)
}

pub(crate) fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(image).unwrap();
    out
}

/// Eight frames: four of `first`'s face, then four of `then`'s.
fn burst_of(first: &[u8], then: &[u8]) -> Vec<u8> {
    let (a, b) = (frame(&portrait(first)), frame(&portrait(then)));
    sheet(&[a.clone(), a.clone(), a.clone(), a, b.clone(), b.clone(), b.clone(), b])
}

/// Obama turning his head to his right.
pub(crate) fn live_turn_right() -> Vec<u8> {
    burst_of(OBAMA_1, OBAMA_2)
}

/// A print of obama-1 turned 0 to 35 degrees in the hand (the face crate's attack maker).
pub(crate) fn print_turned() -> Vec<u8> {
    let (image, face) = portrait(OBAMA_1);
    let picture = attacks::picture(&image, (face.x, face.y, face.width, face.height));
    let frames = attacks::burst(attacks::Motion::PrintTurned, &picture, 8, 640, 480, &mut attacks::Rng(11));
    sheet(&frames)
}

/// The photo of the punch: obama-1 at arm's length (the first frame of the burst).
pub(crate) fn photo() -> Vec<u8> {
    jpeg(&frame(&portrait(OBAMA_1)))
}

/// A company whose FaceFront role asks for `liveness`, an enrolled Obama with a signed release,
/// and a synced device.
async fn company(app: &TestApp, liveness: &str) -> (Admin, String, String, String) {
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true, "liveness": liveness})).await;
    let device = app.device(&admin, true).await;
    let worker = app.employee(&admin, "Barack Obama", "1", &role, None).await;
    app.publish_policy(&admin).await;
    app.sign_release(&admin, &worker).await;
    enrol(app, &admin, &worker, OBAMA_3).await;
    app.sync(&device).await;
    (admin, role, device, worker)
}

/// Sends a clock-in with its photo and, when given, a burst (`prompt`, its image).
async fn punch(app: &TestApp, device: &str, worker: &str, burst: Option<(&str, &[u8])>) -> reqwest::Response {
    let mut body = punch_body(worker, "in", &hours_ago(1));
    let mut form = Form::new();
    if let Some((prompt, image)) = burst {
        body["burst"] = json!({"prompt": prompt, "frames": 8});
        form = form.part("burst", Part::bytes(image.to_vec()).file_name("burst.jpg").mime_str("image/jpeg").unwrap());
    }
    let form = form
        .part("punch", Part::text(body.to_string()).mime_str("application/json").unwrap())
        .part("photo", Part::bytes(photo()).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
    app.client.post(app.url("/api/v1/punches")).bearer_auth(device).multipart(form).send().await.unwrap()
}

async fn punched(app: &TestApp, device: &str, worker: &str, burst: Option<(&str, &[u8])>) -> Value {
    let response = punch(app, device, worker, burst).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    response.json::<Value>().await.unwrap()["punch"].clone()
}

/// A burst (its prompt and image), or none, and the reason a reviewer reads.
type Attempt<'a> = (Option<(&'a str, Vec<u8>)>, &'a str);

async fn a_head_turn_decides_whether_the_face_is_live_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.verification_workers = 1).await;
    let (admin, _, device, worker) = company(&app, "active").await;

    // A live head turned the way the clock asked: a match, and the burst is kept with the punch.
    let live = punched(&app, &device, &worker, Some(("right", &live_turn_right()))).await;
    assert_eq!(live["burst"]["prompt"], "right");
    assert_eq!(live["burst"]["frames"], 8);
    let verdict = verdict_of(&app, &admin, live["id"].as_str().unwrap()).await;
    assert_eq!(verdict["verdict"], "match", "{verdict}");
    assert!(verdict["message"].as_str().unwrap().ends_with("Head turn checked: live."), "{verdict}");
    assert_eq!(verdict["active"]["passed"], true);
    assert!(verdict["active"]["turn"].as_f64().unwrap() >= verdict["active"]["min_turn"].as_f64().unwrap(), "{verdict}");

    // The same frames when the clock had asked for the other way; a print turned in the hand; a
    // burst whose person changes midway; no burst at all where the role asks for one every time.
    let attempts: [Attempt; 4] = [
        (Some(("left", live_turn_right())), "The head turned the other way."),
        (Some(("right", print_turned())), "The head did not turn as asked (a still face, or a photo moved in the hand)."),
        (Some(("right", burst_of(OBAMA_1, BIDEN))), "A different person appeared during the check."),
        (None, "No head turn came with this photo, and the role asks for one at every punch."),
    ];
    let mut flagged = Vec::new();
    for (burst, why) in &attempts {
        let punch = punched(&app, &device, &worker, burst.as_ref().map(|(p, b)| (*p, b.as_slice()))).await;
        let verdict = verdict_of(&app, &admin, punch["id"].as_str().unwrap()).await;
        assert_eq!(verdict["verdict"], "possible_spoof", "{why}: {verdict}");
        assert_eq!(verdict["message"], *why, "{verdict}");
        assert_eq!(verdict["active"]["passed"].as_bool(), burst.as_ref().map(|_| false), "{verdict}");
        flagged.push(punch["id"].as_str().unwrap().to_owned());
    }

    // Each flagged punch is stored and waits in review with its burst beside the enrolled face;
    // the live one does not.
    let queue: Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    let waiting: Vec<&str> = queue.as_array().unwrap().iter().map(|i| i["punch"]["id"].as_str().unwrap()).collect();
    assert_eq!(waiting.len(), flagged.len(), "{queue}");
    assert!(flagged.iter().all(|id| waiting.contains(&id.as_str())));
    let print = queue.as_array().unwrap().iter().find(|i| i["punch"]["id"] == flagged[1].as_str()).unwrap();
    assert!(print["reference_photo_url"].is_string(), "{print}");
    let burst_url = print["burst_url"].as_str().unwrap();
    let shown = app.get(&admin.token, burst_url).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.bytes().await.unwrap().as_ref(), print_turned().as_slice(), "the burst as the clock sent it");
}

#[tokio::test]
async fn a_head_turn_decides_whether_the_face_is_live() {
    a_head_turn_decides_whether_the_face_is_live_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_head_turn_decides_whether_the_face_is_live_on_postgres() {
    a_head_turn_decides_whether_the_face_is_live_on(Backend::Postgres).await;
}

/// An offline clock sends its punches later in a batch, each with its photo and burst parts:
/// the burst is judged on arrival like any photo.
#[tokio::test]
async fn an_offline_burst_is_judged_on_arrival() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.verification_workers = 1).await;
    let (admin, _, device, worker) = company(&app, "step_up").await;
    let mut live = punch_body(&worker, "in", &hours_ago(5));
    live["photo_part"] = json!("p0");
    live["burst_part"] = json!("b0");
    live["burst"] = json!({"prompt": "right", "frames": 8});
    let mut print = punch_body(&worker, "out", &hours_ago(4));
    print["photo_part"] = json!("p1");
    print["burst_part"] = json!("b1");
    print["burst"] = json!({"prompt": "left", "frames": 8});
    let jpeg_part = |bytes: Vec<u8>| Part::bytes(bytes).file_name("x.jpg").mime_str("image/jpeg").unwrap();
    let form = Form::new()
        .part("punches", Part::text(json!({"punches": [live, print]}).to_string()).mime_str("application/json").unwrap())
        .part("p0", jpeg_part(photo()))
        .part("b0", jpeg_part(live_turn_right()))
        .part("p1", jpeg_part(photo()))
        .part("b1", jpeg_part(print_turned()));
    let answer = app.client.post(app.url("/api/v1/punches/batch")).bearer_auth(&device).multipart(form).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["created"], 2, "{answer}");
    let ids: Vec<String> = answer["results"].as_array().unwrap().iter().map(|r| r["punch"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(verdict_of(&app, &admin, &ids[0]).await["verdict"], "match");
    let print = verdict_of(&app, &admin, &ids[1]).await;
    assert_eq!(print["verdict"], "possible_spoof", "{print}");
    assert_eq!(print["active"]["passed"], false);
}

/// Before a punch the clock may ask: does this photo need a head turn (role `step_up`), did this
/// burst pass? Nothing is stored, and an employee whose release does not allow their face to be
/// analysed, or a role that asks for no head turn, is not looked at.
#[tokio::test]
async fn the_clock_can_ask_before_a_punch() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, role, device, worker) = company(&app, "step_up").await;
    let probe = |employee: &str, image: (&str, Vec<u8>), burst: Option<&str>| {
        let mut body = json!({"employee_id": employee});
        if let Some(prompt) = burst {
            body["burst"] = json!({"prompt": prompt, "frames": 8});
        }
        let form = Form::new()
            .part("probe", Part::text(body.to_string()).mime_str("application/json").unwrap())
            .part(image.0.to_owned(), Part::bytes(image.1).file_name("x.jpg").mime_str("image/jpeg").unwrap());
        app.client.post(app.url("/api/v1/device/liveness")).bearer_auth(&device).multipart(form).send()
    };
    let ask = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()
    };
    let print = held_print();
    let answer = ask(probe(&worker, ("photo", print), None).await.unwrap()).await;
    assert_eq!((answer["checked"].as_bool(), answer["ask_head_turn"].as_bool()), (Some(true), Some(true)), "a print: {answer}");
    let answer = ask(probe(&worker, ("burst", live_turn_right()), Some("right")).await.unwrap()).await;
    assert_eq!(answer["passed"], true, "{answer}");
    let answer = ask(probe(&worker, ("burst", print_turned()), Some("right")).await.unwrap()).await;
    assert_eq!(answer["passed"], false, "{answer}");
    let before = app.punch_count(&admin).await;
    assert_eq!(before, 0, "asking stores no punch");

    // Someone who has not signed the release is not looked at.
    let unsigned = app.employee(&admin, "Joe Biden", "2", &role, None).await;
    let answer = ask(probe(&unsigned, ("photo", photo()), None).await.unwrap()).await;
    assert_eq!((answer["checked"].as_bool(), answer["ask_head_turn"].as_bool()), (Some(false), Some(false)), "{answer}");
    // Nor anyone whose role asks for no head turn.
    let body = json!({"name": "FaceFront", "abilities": {"face_front": true, "liveness": "passive"}});
    assert_eq!(app.put(&admin.token, &format!("/api/v1/roles/{role}"), body).await.status(), StatusCode::OK);
    let answer = ask(probe(&worker, ("photo", held_print()), None).await.unwrap()).await;
    assert_eq!(answer["checked"], false, "{answer}");

    // A burst part with nothing said about it, and someone of another company, are refused.
    let form = Form::new()
        .part("probe", Part::text(json!({"employee_id": worker}).to_string()).mime_str("application/json").unwrap())
        .part("burst", Part::bytes(print_turned()).file_name("b.jpg").mime_str("image/jpeg").unwrap());
    let refused = app.client.post(app.url("/api/v1/device/liveness")).bearer_auth(&device).multipart(form).send().await.unwrap();
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let stranger = uuid::Uuid::new_v4().to_string();
    let refused = probe(&stranger, ("photo", photo()), None).await.unwrap();
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;
}

/// Asserts an error answer's status and code, and returns its body.
async fn refusal(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

/// A printed portrait of obama-1 held up to the camera (1280x960).
pub(crate) fn held_print() -> Vec<u8> {
    let (image, face) = portrait(OBAMA_1);
    let picture = attacks::picture(&image, (face.x, face.y, face.width, face.height));
    jpeg(&attacks::attack(attacks::Attack::PrintHeld, &picture, 1280, 960, 0.2, &mut attacks::Rng(3)))
}

/// A burst that does not add up is refused with what is wrong, and nothing is stored; a resend
/// must carry the same burst.
#[tokio::test]
async fn a_burst_that_does_not_add_up_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, _, device, worker) = company(&app, "active").await;
    let send = |body: Value, parts: Vec<(&'static str, Vec<u8>)>| {
        let mut form = Form::new().part("punch", Part::text(body.to_string()).mime_str("application/json").unwrap());
        for (name, bytes) in parts {
            form = form.part(name, Part::bytes(bytes).file_name("x.jpg").mime_str("image/jpeg").unwrap());
        }
        app.client.post(app.url("/api/v1/punches")).bearer_auth(&device).multipart(form).send()
    };
    let body = punch_body(&worker, "in", &hours_ago(2));
    let mut said = body.clone();
    said["burst"] = json!({"prompt": "left", "frames": 8});
    let burst = live_turn_right();

    let unsaid = send(body.clone(), vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap();
    let error = refusal(unsaid, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert_eq!(error["error"]["field"], "burst");
    let missing = send(said.clone(), vec![("photo", photo())]).await.unwrap();
    expect_error(missing, StatusCode::UNPROCESSABLE_ENTITY, "missing_part").await;
    let alone = send(said.clone(), vec![("burst", burst.clone())]).await.unwrap();
    expect_error(alone, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    // Three frames would be one row of three: a sheet of eight (four to a row) does not divide so.
    let mut three = said.clone();
    three["burst"]["frames"] = json!(3);
    let uneven = send(three, vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap();
    let error = refusal(uneven, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(error["error"]["message"].as_str().unwrap().contains("equal frames"), "{error}");
    let mut many = said.clone();
    many["burst"]["frames"] = json!(40);
    expect_error(
        send(many, vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    let mut sideways = said.clone();
    sideways["burst"]["prompt"] = json!("up");
    assert!(send(sideways, vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap().status().is_client_error());
    assert_eq!(app.punch_count(&admin).await, 0, "nothing refused was stored");

    // The punch as sent, then resent: the same burst is the same punch, another burst a conflict.
    let first = send(said.clone(), vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = send(said.clone(), vec![("photo", photo()), ("burst", burst.clone())]).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let other = send(said, vec![("photo", photo()), ("burst", print_turned())]).await.unwrap();
    let error = refusal(other, StatusCode::CONFLICT, "client_id_conflict").await;
    assert_eq!(error["error"]["details"]["differs"], json!(["burst"]), "{error}");
    assert_eq!(app.punch_count(&admin).await, 1);
}
