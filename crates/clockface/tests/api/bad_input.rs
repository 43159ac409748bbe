//! Bad input gets a 4xx that says what was wrong, stores nothing, and the server keeps serving.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;

/// A server with a 300 KB photo limit, one FaceFront employee and a synced device.
async fn setup() -> (TestApp, Admin, String, String) {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.photo_max_bytes = 300_000).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    (app, admin, worker, device)
}

/// A real PNG whose header claims `width` x `height` (the CRC is fixed up; the pixels are not there).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(1, 1).write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    let mut bytes = bytes.into_inner();
    // IHDR's data starts at byte 16: width, height, then 5 more bytes; its CRC covers type + data.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[tokio::test]
async fn bad_photos_are_refused_with_their_reason() {
    let (app, admin, worker, device) = setup().await;
    let body = || punch_body(&worker, "in", &hours_ago(1));
    let mut corrupt = FACE_JPEG[..2000].to_vec();
    corrupt.extend(std::iter::repeat_n(0x55u8, 3000));
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("corrupt jpeg", corrupt, StatusCode::UNPROCESSABLE_ENTITY, "photo_corrupt"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_unsupported_format"),
        ("text", b"hello, I am not a photo".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_unsupported_format"),
        ("empty", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "photo_empty"),
        ("over the size limit", [FACE_JPEG; 6].concat(), StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large"),
        ("decompression bomb", png_claiming(50_000, 50_000), StatusCode::PAYLOAD_TOO_LARGE, "photo_too_many_pixels"),
    ];
    for (case, photo, status, code) in cases {
        let response = app.punch_with_photo(&device, &body(), &photo, "image/jpeg").await;
        assert_eq!(response.status(), status, "{case}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{case}: {error}");
        app.assert_healthy().await;
    }
    // Far over the limit, the upload itself is cut off.
    let huge = vec![0xFFu8; 2_000_000];
    let response = app.punch_with_photo(&device, &body(), &huge, "image/jpeg").await;
    let message = expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    assert!(message.contains("at most 292 KiB"), "the configured limit, not a built-in one: {message}");
    assert_eq!(app.punch_count(&admin).await, 0, "no refused punch was stored");
    // The enrolment upload follows the same configured limit.
    let form = Form::new().part("photo", Part::bytes(huge.clone()).file_name("face.jpg").mime_str("image/jpeg").unwrap());
    let response = app
        .client
        .post(app.url(&format!("/api/v1/employees/{worker}/enrolment")))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    assert!(message.contains("at most 292 KiB"), "{message}");
    // And a good photo still goes through.
    assert_eq!(app.punch_with_photo(&device, &body(), FACE_JPEG, "image/jpeg").await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_requests_are_refused_with_their_reason() {
    let (app, admin, worker, device) = setup().await;
    let raw = |body: &'static str, content_type: &'static str| {
        app.client.post(app.url("/api/v1/punches")).bearer_auth(&device).header("content-type", content_type).body(body).send()
    };
    expect_error(raw("{\"client_id\": ", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "malformed_json").await;
    expect_error(raw("{}", "text/plain").await.unwrap(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    expect_error(raw("{\"kind\": \"in\"}", "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;

    let mut unknown_field = punch_body(&worker, "in", &hours_ago(1));
    unknown_field["colour"] = json!("blue");
    expect_error(app.punch(&device, &unknown_field).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    let mut bad_kind = punch_body(&worker, "in", &hours_ago(1));
    bad_kind["kind"] = json!("sideways");
    expect_error(app.punch(&device, &bad_kind).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    let no_offset = punch_body(&worker, "in", "2026-11-20T07:00:00");
    let message = expect_error(app.punch(&device, &no_offset).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(message.contains("device_time"));
    let future = punch_body(&worker, "in", "2099-01-01T07:00:00Z");
    expect_error(app.punch(&device, &future).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let stranger = punch_body(&uuid::Uuid::new_v4().to_string(), "in", &hours_ago(1));
    expect_error(app.punch(&device, &stranger).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;
    let mut bad_position = punch_body(&worker, "in", &hours_ago(1));
    bad_position["position"] = json!({"latitude": 123.0, "longitude": 0.0});
    bad_position["no_photo_reason"] = json!("camera_denied");
    expect_error(app.punch(&device, &bad_position).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;

    let no_punch_part = Form::new().part("photo", Part::bytes(FACE_JPEG.to_vec()).file_name("a.jpg"));
    let response = app.client.post(app.url("/api/v1/punches")).bearer_auth(&device).multipart(no_punch_part).send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "missing_part").await;
    let malformed_part = Form::new().part("punch", Part::text("{not json"));
    let response = app.client.post(app.url("/api/v1/punches")).bearer_auth(&device).multipart(malformed_part).send().await.unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;

    expect_error(app.post(&admin.token, "/api/v1/roles", json!({"name": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let bad_pin = app
        .post(&admin.token, "/api/v1/employees", json!({"name": "A", "number": "9", "role_id": uuid::Uuid::new_v4(), "pin": "12"}))
        .await;
    let message = expect_error(bad_pin, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(message.contains("pin"));
    expect_error(app.get(&admin.token, "/api/v1/roles/not-a-uuid").await, StatusCode::BAD_REQUEST, "invalid_path").await;
    expect_error(
        app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from=2026-13-01")).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    let backwards = app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from=2026-11-10&to=2026-11-01")).await;
    expect_error(backwards, StatusCode::UNPROCESSABLE_ENTITY, "invalid_period").await;

    assert_eq!(app.punch_count(&admin).await, 0);
    app.assert_healthy().await;
}

/// A photo that passes the cheap checks (format, size, dimensions, a whole file) but does not
/// decode costs no time record: the punch is stored, and the worker gives it `unreadable`.
#[tokio::test]
async fn a_photo_that_does_not_decode_is_kept_with_its_punch_and_judged_unreadable() {
    let (app, admin, worker, device) = setup().await;
    // A PNG of the face whose image data was overwritten: its header, dimensions and end chunk
    // are all there, but no decoder can read the pixels.
    let mut hollow = std::io::Cursor::new(Vec::new());
    image::load_from_memory(FACE_JPEG)
        .unwrap()
        .resize(200, 200, image::imageops::FilterType::Triangle)
        .write_to(&mut hollow, image::ImageFormat::Png)
        .unwrap();
    let mut hollow = hollow.into_inner();
    let data = hollow.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
    hollow[data..data + 200].fill(0x5A);
    assert!(image::load_from_memory(&hollow).is_err(), "it does not decode");
    // The employee signed the release, so the engine does look at the photo.
    app.publish_policy(&admin).await;
    app.sign_release(&admin, &worker).await;
    let response = app.punch_with_photo(&device, &punch_body(&worker, "in", &hours_ago(1)), &hollow, "image/png").await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    assert_eq!(app.punch_count(&admin).await, 1);
    let store = &app.running.state.store;
    let now = chrono::Utc::now();
    let job =
        store.claim_verification_job("test", now, now + chrono::Duration::minutes(1)).await.unwrap().expect("its verification is queued");
    clockface_web::verification::verify_claimed(&app.running.state, job).await;
    let verdict = store.verification(admin.company_id.parse().unwrap(), job.punch_id).await.unwrap().expect("a verdict");
    assert_eq!(verdict.verdict, clockface_domain::verification::Verdict::Unreadable, "{}", verdict.message);
    let queue: serde_json::Value = app.get(&admin.token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1, "a person looks at it");
}
