//! The product's flows over HTTP: set up, sync, clock in and out, time cards.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// Admin turns FaceFront on in a role, gives an employee that role and a PIN, registers a device;
/// the device syncs, signs the employee in, clocks in and out with photos; the time card shows
/// one shift with the right hours, and the admin can fetch the photo.
async fn clock_in_and_out_with_photos(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Paving crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1001", &role, Some("2468")).await;
    let device = app.device(&admin, true).await;

    let sync = app.sync(&device).await;
    let synced_role = sync["roles"].as_array().unwrap().iter().find(|r| r["id"] == role.as_str()).unwrap().clone();
    assert_eq!(synced_role["abilities"]["face_front"], true);
    assert!(sync["employees"].as_array().unwrap().iter().any(|e| e["id"] == worker.as_str()));

    let signed_in = app.post(&device, "/api/v1/device/sign-in", json!({"pin": "2468"})).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let signed_in: Value = signed_in.json().await.unwrap();
    assert_eq!(signed_in["employee"]["id"], worker.as_str());
    assert_eq!(signed_in["face_front"], true);
    assert_eq!(signed_in["clocked_in"], false);

    let version = sync["settings_version"].clone();
    let mut clock_in = punch_body(&worker, "in", "2026-11-23T07:00:00-06:00");
    clock_in["settings_version"] = version.clone();
    let response = app.punch_with_photo(&device, &clock_in, FACE_JPEG, "image/jpeg").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["created"], true);
    let sha = stored["punch"]["photo_sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha, clockface_store::blobs::sha256_hex(FACE_JPEG));
    assert_eq!(stored["punch"]["utc_offset_minutes"], -360);

    let mut clock_out = punch_body(&worker, "out", "2026-11-23T15:30:00-06:00");
    clock_out["settings_version"] = version;
    let response = app.punch_with_photo(&device, &clock_out, OTHER_FACE_JPEG, "image/jpeg").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let status: Value = app.post(&device, "/api/v1/device/sign-in", json!({"pin": "2468"})).await.json().await.unwrap();
    assert_eq!(status["clocked_in"], false);
    assert_eq!(status["last_punch"]["kind"], "out");

    let card = app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from=2026-11-23&to=2026-11-29")).await;
    assert_eq!(card.status(), StatusCode::OK);
    let card: Value = card.json().await.unwrap();
    let days = card["time_card"]["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let shifts = days[0]["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 1);
    assert_eq!(shifts[0]["status"], "complete");
    assert_eq!(shifts[0]["seconds"], 8 * 3600 + 1800);
    assert_eq!(shifts[0]["start"]["local_time"], "07:00");
    assert_eq!(shifts[0]["end"]["local_time"], "15:30");
    assert_eq!(card["time_card"]["seconds"], 8 * 3600 + 1800);
    assert_eq!(card["time_card"]["weeks"][0]["overtime_seconds"], 0);

    let photo_url = shifts[0]["start"]["photo_url"].as_str().unwrap();
    let photo = app.get(&admin.token, photo_url).await;
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    assert_eq!(photo.headers()["cache-control"], "no-store", "a photo of a person is never kept in a cache");
    assert_eq!(photo.bytes().await.unwrap().as_ref(), FACE_JPEG, "the original bytes, unchanged");
}

#[tokio::test]
async fn clock_in_and_out_with_photos_on_sqlite() {
    clock_in_and_out_with_photos(Backend::Sqlite).await;
}

#[tokio::test]
async fn clock_in_and_out_with_photos_on_postgres() {
    clock_in_and_out_with_photos(Backend::Postgres).await;
}

#[tokio::test]
async fn clock_in_and_out_with_photos_on_postgres_with_photos_in_s3() {
    clock_in_and_out_with_photos(Backend::PostgresS3).await;
}

/// Role FaceFront on/off x self or Clock For x front camera yes/no x device settings current or
/// stale, each sent without a photo: a photo is required only for a self punch, FaceFront on,
/// camera present, settings current; stale settings are accepted and flagged.
#[tokio::test]
async fn the_face_front_matrix_over_http() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let with_ff = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let without_ff = app.role(&admin, "Plain", json!({})).await;
    let foreman_role = app.role(&admin, "Lead", json!({"clock_for": true})).await;
    let foreman = app.employee(&admin, "Fay Foreman", "F1", &foreman_role, None).await;
    let ff_worker = app.employee(&admin, "Wes FaceFront", "W1", &with_ff, None).await;
    let plain_worker = app.employee(&admin, "Pat Plain", "W2", &without_ff, None).await;
    let crew = app.put(&admin.token, &format!("/api/v1/employees/{foreman}/crew"), json!({"members": [ff_worker, plain_worker]})).await;
    assert_eq!(crew.status(), StatusCode::OK);
    let camera = app.device(&admin, true).await;
    let no_camera = app.device(&admin, false).await;
    let current = app.sync(&camera).await["settings_version"].as_i64().unwrap();
    app.sync(&no_camera).await;

    for role_ff in [true, false] {
        for clock_for in [false, true] {
            for has_camera in [true, false] {
                for stale in [false, true] {
                    let worker = if role_ff { &ff_worker } else { &plain_worker };
                    let device = if has_camera { &camera } else { &no_camera };
                    let mut body = punch_body(worker, "in", &hours_ago(1));
                    body["settings_version"] = json!(if stale { 0 } else { current });
                    if clock_for {
                        body["clock_for_by"] = json!(foreman);
                    }
                    let response = app.punch(device, &body).await;
                    let case = format!("role_ff={role_ff} clock_for={clock_for} camera={has_camera} stale={stale}");
                    let expected_reason = if clock_for {
                        Some("clock_for")
                    } else if !role_ff {
                        Some("role_without_face_front")
                    } else if !has_camera {
                        Some("no_front_camera")
                    } else if stale {
                        Some("synced_too_late")
                    } else {
                        None
                    };
                    match expected_reason {
                        Some(reason) => {
                            assert_eq!(response.status(), StatusCode::CREATED, "{case}");
                            let stored: Value = response.json().await.unwrap();
                            assert_eq!(stored["punch"]["no_photo_reason"], reason, "{case}");
                            assert_eq!(stored["punch"]["flagged"], reason == "synced_too_late", "{case}");
                            assert_eq!(stored["punch"]["clock_for_by"], if clock_for { json!(foreman) } else { Value::Null }, "{case}");
                        }
                        None => {
                            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "photo_required").await;
                        }
                    }
                }
            }
        }
    }
    // 16 cases, one refused.
    assert_eq!(app.punch_count(&admin).await, 15);
}

#[tokio::test]
async fn a_resent_punch_is_stored_once_and_a_changed_one_conflicts() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let body = punch_body(&worker, "in", &hours_ago(2));

    let first = app.punch_with_photo(&device, &body, FACE_JPEG, "image/jpeg").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = app.punch_with_photo(&device, &body, FACE_JPEG, "image/jpeg").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["created"], false);
    assert_eq!(again["punch"]["id"], first["punch"]["id"]);
    assert_eq!(app.punch_count(&admin).await, 1);

    let mut changed = body.clone();
    changed["kind"] = json!("out");
    let conflict = app.punch_with_photo(&device, &changed, FACE_JPEG, "image/jpeg").await;
    expect_error(conflict, StatusCode::CONFLICT, "client_id_conflict").await;
    let other_photo = app.punch_with_photo(&device, &body, OTHER_FACE_JPEG, "image/jpeg").await;
    expect_error(other_photo, StatusCode::CONFLICT, "client_id_conflict").await;
    assert_eq!(app.punch_count(&admin).await, 1);
}

#[tokio::test]
async fn a_device_that_missed_the_face_front_change_is_accepted_and_flagged() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Sam Lee", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    let before = app.sync(&device).await["settings_version"].clone();

    // The admin turns FaceFront on while the device is offline.
    let update = app.put(&admin.token, &format!("/api/v1/roles/{role}"), json!({"name": "Crew", "abilities": {"face_front": true}})).await;
    assert_eq!(update.status(), StatusCode::OK);

    let mut offline = punch_body(&worker, "in", &hours_ago(3));
    offline["settings_version"] = before;
    let response = app.punch(&device, &offline).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["punch"]["no_photo_reason"], "synced_too_late");
    assert_eq!(stored["punch"]["flagged"], true);

    // After a sync the device knows, and a punch without a photo needs a reason.
    let after = app.sync(&device).await;
    let synced_role = after["roles"].as_array().unwrap().iter().find(|r| r["id"] == role.as_str()).unwrap().clone();
    assert_eq!(synced_role["abilities"]["face_front"], true);
    let mut next = punch_body(&worker, "out", &hours_ago(1));
    next["settings_version"] = after["settings_version"].clone();
    let message = expect_error(app.punch(&device, &next).await, StatusCode::UNPROCESSABLE_ENTITY, "photo_required").await;
    assert!(message.contains("camera_denied"), "the message says how to send a punch without a photo: {message}");
    next["no_photo_reason"] = json!("camera_denied");
    let denied: Value = app.punch(&device, &next).await.json().await.unwrap();
    assert_eq!(denied["punch"]["no_photo_reason"], "camera_denied");
    assert_eq!(denied["punch"]["flagged"], true);
}

/// A device offline for a week sends everything at once, then again (it never heard back):
/// every punch is stored once, with the time it was made.
async fn a_week_offline_arrives_in_one_batch_exactly_once_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "FaceFront", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, None).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;

    let mut punches = Vec::new();
    for day in 0..7 {
        for (kind, hours) in [("in", 8 * 24 - day * 24), ("out", 8 * 24 - day * 24 - 8)] {
            let mut body = punch_body(&worker, kind, &hours_ago(hours));
            body["photo_part"] = json!(format!("photo-{day}-{kind}"));
            punches.push(body);
        }
    }
    // One bad punch in the middle must not stop the rest.
    let mut bad = punch_body(&worker, "in", "yesterday at noon");
    bad["client_id"] = json!(Uuid::new_v4());
    let mut all = punches.clone();
    all.insert(5, bad);

    let form = || {
        let mut form = Form::new().part("punches", Part::text(json!({"punches": all}).to_string()).mime_str("application/json").unwrap());
        for body in &punches {
            let name = body["photo_part"].as_str().unwrap().to_owned();
            form = form.part(name, Part::bytes(FACE_JPEG.to_vec()).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
        }
        form
    };
    let send = || async { app.client.post(app.url("/api/v1/punches/batch")).bearer_auth(&device).multipart(form()).send().await.unwrap() };

    let first = send().await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!((first["created"].as_u64(), first["duplicates"].as_u64(), first["rejected"].as_u64()), (Some(14), Some(0), Some(1)));
    assert_eq!(first["results"][5]["status"], 422);
    assert_eq!(first["results"][5]["error"]["field"], "device_time");

    let again: Value = send().await.json().await.unwrap();
    assert_eq!((again["created"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(14)));
    assert_eq!(app.punch_count(&admin).await, 14);

    let first_stored = &first["results"][0]["punch"];
    let made_at = time(punches[0]["device_time"].as_str().unwrap());
    assert_eq!(time(first_stored["occurred_at"].as_str().unwrap()), made_at, "the punch keeps the time it was made");
    assert!(time(first_stored["received_at"].as_str().unwrap()) > made_at + chrono::Duration::days(6));
}

#[tokio::test]
async fn a_week_offline_arrives_in_one_batch_exactly_once() {
    a_week_offline_arrives_in_one_batch_exactly_once_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_week_offline_arrives_in_one_batch_exactly_once_with_photos_in_s3() {
    a_week_offline_arrives_in_one_batch_exactly_once_on(Backend::PostgresS3).await;
}

#[tokio::test]
async fn a_foreman_clocks_for_their_crew_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let lead = app.role(&admin, "Lead", json!({"clock_for": true})).await;
    let plain = app.role(&admin, "Plain", json!({})).await;
    let foreman = app.employee(&admin, "Ana Ruiz", "1", &lead, Some("3333")).await;
    let crew_member = app.employee(&admin, "Sam Lee", "2", &plain, None).await;
    let stranger = app.employee(&admin, "Cy Other", "3", &plain, None).await;
    app.put(&admin.token, &format!("/api/v1/employees/{foreman}/crew"), json!({"members": [crew_member]})).await;
    let device = app.device(&admin, true).await;
    let sync = app.sync(&device).await;
    assert_eq!(sync["crews"][0]["foreman_id"], foreman.as_str());

    let signed_in: Value = app.post(&device, "/api/v1/device/sign-in", json!({"pin": "3333"})).await.json().await.unwrap();
    assert_eq!(signed_in["crew"][0]["id"], crew_member.as_str());

    let mut for_crew = punch_body(&crew_member, "in", &hours_ago(1));
    for_crew["clock_for_by"] = json!(foreman);
    assert_eq!(app.punch(&device, &for_crew).await.status(), StatusCode::CREATED);
    let mut for_stranger = punch_body(&stranger, "in", &hours_ago(1));
    for_stranger["clock_for_by"] = json!(foreman);
    expect_error(app.punch(&device, &for_stranger).await, StatusCode::FORBIDDEN, "not_in_crew").await;
    let mut by_non_foreman = punch_body(&crew_member, "in", &hours_ago(1));
    by_non_foreman["clock_for_by"] = json!(stranger);
    expect_error(app.punch(&device, &by_non_foreman).await, StatusCode::FORBIDDEN, "clock_for_not_allowed").await;
}

#[tokio::test]
async fn roles_are_managed_and_held_ones_are_kept() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let roles: Value = app.get(&admin.token, "/api/v1/roles").await.json().await.unwrap();
    assert!(roles.as_array().unwrap().iter().all(|r| r["abilities"]["face_front"] == false), "default roles have FaceFront off");
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    expect_error(app.post(&admin.token, "/api/v1/roles", json!({"name": "Crew"})).await, StatusCode::CONFLICT, "role_name_taken").await;
    app.employee(&admin, "Sam Lee", "1", &role, None).await;
    let held: Value = app.get(&admin.token, &format!("/api/v1/roles/{role}")).await.json().await.unwrap();
    assert_eq!(held["holders"], 1);
    let delete = app.client.delete(app.url(&format!("/api/v1/roles/{role}"))).bearer_auth(&admin.token).send().await.unwrap();
    let message = expect_error(delete, StatusCode::CONFLICT, "role_in_use").await;
    assert!(message.contains("1 employee"));
    let spare = app.role(&admin, "Spare", json!({})).await;
    let delete = app.client.delete(app.url(&format!("/api/v1/roles/{spare}"))).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn pins_are_unique_in_a_company_and_never_shown() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let ana = app.employee(&admin, "Ana", "1", &role, Some("1234")).await;
    let duplicate = app.post(&admin.token, "/api/v1/employees", json!({"name": "Bo", "number": "2", "role_id": role, "pin": "1234"})).await;
    let message = expect_error(duplicate, StatusCode::CONFLICT, "pin_taken").await;
    assert!(message.contains("PIN"));
    let shown = app.get(&admin.token, &format!("/api/v1/employees/{ana}")).await.text().await.unwrap();
    assert!(shown.contains("\"has_pin\":true") && !shown.contains("1234"), "{shown}");
    // Leaving the PIN out keeps it; null removes it.
    let kept: Value = app
        .put(&admin.token, &format!("/api/v1/employees/{ana}"), json!({"name": "Ana R", "number": "1", "role_id": role}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["has_pin"], true);
    let removed: Value = app
        .put(&admin.token, &format!("/api/v1/employees/{ana}"), json!({"name": "Ana R", "number": "1", "role_id": role, "pin": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(removed["has_pin"], false);
    let search: Value = app.get(&admin.token, "/api/v1/employees?search=ana").await.json().await.unwrap();
    assert_eq!(search.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_api_documents_itself_and_answers_health_checks() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in
        ["/api/v1/punches", "/api/v1/punches/batch", "/api/v1/device/sign-in", "/api/v1/roles/{id}", "/api/v1/employees/{id}/timecard"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    app.assert_healthy().await;
    expect_error(app.client.get(app.url("/nope")).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
}
