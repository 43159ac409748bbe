//! Field crews over HTTP: jobs and cost codes (add, change, deactivate), their CSV imports (all
//! lines or none, every bad line named), company scoping, and the OpenAPI document.

use crate::helpers::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

async fn csv(app: &TestApp, token: &str, path: &str, body: &str) -> Response {
    app.client.post(app.url(path)).bearer_auth(token).header("content-type", "text/csv").body(body.to_owned()).send().await.unwrap()
}

#[tokio::test]
async fn jobs_and_cost_codes_are_added_changed_and_deactivated() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let body = json!({"number": "J-100", "name": "Main St garage", "address": "100 Main St",
                      "geofence": {"latitude": 41.88, "longitude": -87.63, "radius_m": 150.0}});
    let created = app.post(&admin.token, "/api/v1/jobs", body.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let job: Value = created.json().await.unwrap();
    assert_eq!(job["geofence"]["radius_m"], 150.0);
    assert_eq!(job["active"], true);
    let job_id = job["id"].as_str().unwrap().to_owned();
    expect_error(app.post(&admin.token, "/api/v1/jobs", body).await, StatusCode::CONFLICT, "job_number_taken").await;
    let too_small = json!({"number": "J-2", "name": "x", "geofence": {"latitude": 0.0, "longitude": 0.0, "radius_m": 1.0}});
    let message = expect_error(app.post(&admin.token, "/api/v1/jobs", too_small).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(message.contains("radius_m"), "{message}");

    let off = app
        .put(&admin.token, &format!("/api/v1/jobs/{job_id}"), json!({"number": "J-100", "name": "Main St garage", "active": false}))
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    let off: Value = off.json().await.unwrap();
    assert_eq!((off["active"].as_bool(), off["geofence"].is_null()), (Some(false), true));

    let code = app
        .post(&admin.token, "/api/v1/cost-codes", json!({"number": "03-100", "name": "Forms", "all_jobs": false, "job_ids": [job_id]}))
        .await;
    assert_eq!(code.status(), StatusCode::CREATED);
    let code: Value = code.json().await.unwrap();
    assert_eq!(code["job_ids"], json!([job_id]));
    let none = app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "04", "name": "x", "all_jobs": false})).await;
    expect_error(none, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let listed: Value = app.get(&admin.token, "/api/v1/cost-codes").await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/import",
        "/api/v1/cost-codes",
        "/api/v1/cost-codes/{id}",
        "/api/v1/cost-codes/import",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn an_import_takes_every_line_or_none_and_names_the_bad_ones() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let bad = "number,name,address,latitude,longitude,radius_m\n\
               J-1,Depot,1 Main St,41.88,-87.63,150\n\
               J 2,Bad number,,,,\n\
               J-3,Half a fence,,41.0,,\n";
    let refused = csv(&app, &admin.token, "/api/v1/jobs/import", bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_csv");
    let lines: Vec<i64> = body["lines"].as_array().unwrap().iter().map(|l| l["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4]);
    let jobs: Value = app.get(&admin.token, "/api/v1/jobs").await.json().await.unwrap();
    assert!(jobs.as_array().unwrap().is_empty(), "nothing was imported");

    let good = "number,name,address,latitude,longitude,radius_m\nJ-1,Depot,1 Main St,41.88,-87.63,150\nJ-2,Bridge,,,,\n";
    let done: Value = csv(&app, &admin.token, "/api/v1/jobs/import", good).await.json().await.unwrap();
    assert_eq!(done, json!({"created": 2, "updated": 0}));
    let again: Value = csv(&app, &admin.token, "/api/v1/jobs/import", "number,name\nJ-2,Bridge North\n").await.json().await.unwrap();
    assert_eq!(again, json!({"created": 0, "updated": 1}));

    let codes = "number,name,jobs\n01-000,General,\n03-100,Forms,J-1;J-2\n";
    let done: Value = csv(&app, &admin.token, "/api/v1/cost-codes/import", codes).await.json().await.unwrap();
    assert_eq!(done["created"], 2);
    let unknown = csv(&app, &admin.token, "/api/v1/cost-codes/import", "number,name,jobs\n05,Paving,J-9\n").await;
    let body: Value = unknown.json().await.unwrap();
    assert!(body["lines"][0]["message"].as_str().unwrap().contains("J-9"), "{body}");
    let not_text =
        app.client.post(app.url("/api/v1/jobs/import")).bearer_auth(&admin.token).body(vec![0xff, 0xfe, 0x00]).send().await.unwrap();
    expect_error(not_text, StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv").await;
}

#[tokio::test]
async fn another_companys_jobs_and_cost_codes_answer_404() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mine = app.admin("ana@acme.test").await;
    let theirs = app.admin("zed@other.test").await;
    let job = id(app.post(&theirs.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Theirs"})).await).await;
    let code = id(app.post(&theirs.token, "/api/v1/cost-codes", json!({"number": "01", "name": "Theirs"})).await).await;
    for path in [format!("/api/v1/jobs/{job}"), format!("/api/v1/cost-codes/{code}")] {
        expect_error(app.get(&mine.token, &path).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(app.get(&theirs.token, &path).await.status(), StatusCode::OK, "{path} is theirs to see");
    }
    let change = app.put(&mine.token, &format!("/api/v1/jobs/{job}"), json!({"number": "J-1", "name": "Mine now"})).await;
    expect_error(change, StatusCode::NOT_FOUND, "not_found").await;
    let change = app.put(&mine.token, &format!("/api/v1/cost-codes/{code}"), json!({"number": "01", "name": "Mine now"})).await;
    expect_error(change, StatusCode::NOT_FOUND, "not_found").await;
    let foreign_job =
        app.post(&mine.token, "/api/v1/cost-codes", json!({"number": "02", "name": "x", "all_jobs": false, "job_ids": [job]})).await;
    expect_error(foreign_job, StatusCode::UNPROCESSABLE_ENTITY, "unknown_job").await;
    let mine_listed: Value = app.get(&mine.token, "/api/v1/jobs").await.json().await.unwrap();
    assert!(mine_listed.as_array().unwrap().is_empty());
    // The same number in two companies is two jobs.
    assert_eq!(app.post(&mine.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Mine"})).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn devices_get_the_active_jobs_and_cost_codes_at_sync() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let theirs = app.admin("zed@other.test").await;
    let device = app.device(&admin, true).await;
    let first = app.sync(&device).await;
    assert!(first["jobs"].as_array().unwrap().is_empty() && first["cost_codes"].as_array().unwrap().is_empty());

    let open = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Open"})).await).await;
    app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-2", "name": "Closed", "active": false})).await;
    app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "01", "name": "General"})).await;
    app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "02", "name": "Old", "active": false})).await;
    app.post(&theirs.token, "/api/v1/jobs", json!({"number": "J-9", "name": "Theirs"})).await;

    let synced = app.sync(&device).await;
    assert!(synced["settings_version"].as_i64() > first["settings_version"].as_i64(), "a job change reaches devices");
    let jobs: Vec<&str> = synced["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(jobs, [open.as_str()]);
    let codes: Vec<&str> = synced["cost_codes"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(codes, ["01"]);
}

#[tokio::test]
async fn a_punch_carries_its_job_and_cost_code_within_the_company() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let theirs = app.admin("zed@other.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let worker = app.employee(&admin, "Ana Diaz", "1", &role, None).await;
    let device = app.device(&admin, false).await;
    app.sync(&device).await;
    let job = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Depot"})).await).await;
    let code = id(app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "01", "name": "General"})).await).await;
    let their_job = id(app.post(&theirs.token, "/api/v1/jobs", json!({"number": "J-9", "name": "Theirs"})).await).await;

    let mut body = punch_body(&worker, "in", &hours_ago(2));
    body["job_id"] = json!(job);
    body["cost_code_id"] = json!(code);
    let stored = app.punch(&device, &body).await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    let stored: Value = stored.json().await.unwrap();
    assert_eq!((stored["punch"]["job_id"].as_str(), stored["punch"]["cost_code_id"].as_str()), (Some(job.as_str()), Some(code.as_str())));
    // The same punch again is a resend; with another job under the same id, a conflict.
    let again: Value = app.punch(&device, &body).await.json().await.unwrap();
    assert_eq!(again["created"], false);
    let mut moved = body.clone();
    moved["cost_code_id"] = Value::Null;
    expect_error(app.punch(&device, &moved).await, StatusCode::CONFLICT, "client_id_conflict").await;

    assert_eq!(stored["punch"]["flags"], json!([]), "a code for all jobs fits any job");
    // A code only for another job (the device synced before it changed): kept, and flagged.
    let other_job = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-2", "name": "Quarry"})).await).await;
    let body = json!({"number": "02", "name": "Paving", "all_jobs": false, "job_ids": [other_job]});
    let only_there = id(app.post(&admin.token, "/api/v1/cost-codes", body).await).await;
    let mut misfit = punch_body(&worker, "out", &hours_ago(1));
    misfit["job_id"] = json!(job);
    misfit["cost_code_id"] = json!(only_there);
    let kept = app.punch(&device, &misfit).await;
    assert_eq!(kept.status(), StatusCode::CREATED);
    let kept: Value = kept.json().await.unwrap();
    assert_eq!(kept["punch"]["flagged"], true);
    assert_eq!(kept["punch"]["flags"][0]["flag"], "cost_code_not_for_job");
    assert_eq!(kept["punch"]["flags"][0]["detail"], "Cost code 02 Paving is not one for job J-1 Depot.");

    let mut foreign = punch_body(&worker, "out", &hours_ago(1));
    foreign["job_id"] = json!(their_job);
    expect_error(app.punch(&device, &foreign).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_job").await;
    // A punch with no job is as it always was.
    let plain: Value = app.punch(&device, &punch_body(&worker, "out", &hours_ago(1))).await.json().await.unwrap();
    assert!(plain["punch"]["job_id"].is_null());
}

#[tokio::test]
async fn a_punch_outside_its_jobs_fence_is_kept_and_flagged_with_the_distance() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Field", json!({"record_gps": true})).await;
    let worker = app.employee(&admin, "Ana Diaz", "1", &role, None).await;
    let device = app.device(&admin, false).await;
    app.sync(&device).await;
    let fence = json!({"latitude": 41.88, "longitude": -87.63, "radius_m": 150.0});
    let job = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Depot", "geofence": fence})).await).await;

    let mut inside = punch_body(&worker, "in", &hours_ago(3));
    inside["job_id"] = json!(job);
    inside["position"] = json!({"latitude": 41.8805, "longitude": -87.63, "accuracy_m": 5.0});
    let inside: Value = app.punch(&device, &inside).await.json().await.unwrap();
    assert_eq!(inside["punch"]["flagged"], false);
    assert!(inside["punch"]["fence_distance_m"].as_f64().unwrap() < 60.0);

    let mut outside = punch_body(&worker, "in", &hours_ago(1));
    outside["job_id"] = json!(job);
    outside["position"] = json!({"latitude": 41.885, "longitude": -87.63, "accuracy_m": 12.0});
    let outside = app.punch(&device, &outside).await;
    assert_eq!(outside.status(), StatusCode::CREATED, "flagged, never refused");
    let outside: Value = outside.json().await.unwrap();
    assert_eq!(outside["punch"]["flagged"], true);
    assert_eq!(outside["punch"]["flags"][0]["flag"], "outside_geofence");
    let detail = outside["punch"]["flags"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("406 m outside") && detail.contains("556 m from its centre"), "{detail}");

    let mut refused = punch_body(&worker, "out", &hours_ago(0));
    refused["no_position_reason"] = json!("permission_denied");
    let refused: Value = app.punch(&device, &refused).await.json().await.unwrap();
    assert_eq!(refused["punch"]["no_position_reason"], "permission_denied");
    assert!(refused["punch"]["position"].is_null());
}
