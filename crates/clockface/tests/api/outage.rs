//! When the photo store does not answer: a punch with a photo gets a 503 that a device and an
//! operator understand (`photo_store_unavailable`, with `Retry-After`), nothing is half stored,
//! the readiness endpoint says which part is down, and the same punch goes in once the store is back.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn a_photo_store_that_does_not_answer_is_a_503_and_not_ready(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", serde_json::json!({"face_front": true})).await;
    let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "{backend:?}");
    assert_eq!(ready.json::<Value>().await.unwrap(), serde_json::json!({"database": "ok", "photo_store": "ok"}));

    // The photo folder is gone and a file stands in its place: nothing can be written there.
    let photos = app.config.data_dir.join("photos");
    let away = app.config.data_dir.join("photos.away");
    std::fs::rename(&photos, &away).unwrap();
    std::fs::write(&photos, b"not a folder").unwrap();
    let punch = punch_body(&ada, "in", &hours_ago(1));
    let refused = app.punch_with_photo(&device, &punch, FACE_JPEG, "image/jpeg").await;
    assert_eq!(refused.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"), "{backend:?}");
    let message = expect_error(refused, StatusCode::SERVICE_UNAVAILABLE, "photo_store_unavailable").await;
    assert!(message.contains("nothing was stored"), "{message}");
    assert_eq!(app.punch_count(&admin).await, 0, "{backend:?}: no punch without its photo");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "{backend:?}");
    assert_eq!(ready.json::<Value>().await.unwrap(), serde_json::json!({"database": "ok", "photo_store": "down"}));
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK, "the node itself is alive");

    // Back again: the device's resend is taken, once.
    std::fs::remove_file(&photos).unwrap();
    std::fs::rename(&away, &photos).unwrap();
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK, "{backend:?}");
    let taken = app.punch_with_photo(&device, &punch, FACE_JPEG, "image/jpeg").await;
    assert_eq!(taken.status(), StatusCode::CREATED, "{backend:?}");
    assert_eq!(app.punch_count(&admin).await, 1, "{backend:?}");
}

#[tokio::test]
async fn a_photo_store_that_does_not_answer_is_a_503_and_not_ready_on_sqlite() {
    a_photo_store_that_does_not_answer_is_a_503_and_not_ready(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_photo_store_that_does_not_answer_is_a_503_and_not_ready_on_postgres() {
    a_photo_store_that_does_not_answer_is_a_503_and_not_ready(Backend::Postgres).await;
}
