//! Upgrades keep data: a data folder written by an earlier release (tests/fixtures/README.md says
//! which and how it was made) starts under this one with every row and photo, and its sealed face
//! templates, corrections, approvals and audit chain still hold.

use crate::helpers::{Backend, TestApp};
use clockface::demo::{DEMO_EMAIL, DEMO_PASSWORD};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data-2026-12-02");
/// The demo week of that data folder.
const WEEK: &str = "2026-11-30";

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn shifts(card: &Value) -> Vec<&Value> {
    card["time_card"]["days"].as_array().unwrap().iter().flat_map(|d| d["shifts"].as_array().unwrap()).collect()
}

#[tokio::test]
async fn a_data_folder_of_the_release_of_2026_12_02_starts_with_every_row_and_photo() {
    assert!(Path::new(FIXTURE).join("clockface.db").is_file(), "the fixture's database is in the repository (.gitignore skips *.db)");
    let copy = tempfile::tempdir().unwrap();
    copy_folder(Path::new(FIXTURE), copy.path());
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.data_dir = copy.path().to_owned()).await;
    let token = &app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;

    let employees: Value = app.get(token, "/api/v1/employees").await.json().await.unwrap();
    let mut names: Vec<(&str, &str)> =
        employees.as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e["id"].as_str().unwrap())).collect();
    names.sort_unstable();
    let id = |name: &str| names.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(names.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["Ana Ruiz", "Barack Obama", "Grace Hopper", "Sam Lee"]);
    let store = &app.running.state.store;
    let punches = store.count_punches(store.company_ids().await.unwrap()[0]).await.unwrap();
    assert_eq!(punches, 40, "four employees, five days, in and out");

    for (name, _) in &names {
        let card: Value = app.get(token, &format!("/api/v1/employees/{}/timecard?from={WEEK}", id(name))).await.json().await.unwrap();
        assert_eq!(shifts(&card).len(), 5, "{name} keeps the week's five shifts");
    }

    // Every photo of Grace Hopper's week is served, byte for byte the one stored.
    let card: Value = app.get(token, &format!("/api/v1/employees/{}/timecard?from={WEEK}", id("Grace Hopper"))).await.json().await.unwrap();
    let urls: Vec<&str> = shifts(&card).iter().flat_map(|s| [&s["start"], &s["end"]]).filter_map(|p| p["photo_url"].as_str()).collect();
    assert_eq!(urls.len(), 10);
    for url in urls {
        let response = app.get(token, url).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(url.rsplit('/').next().unwrap(), hex::encode(Sha256::digest(&bytes)), "{url} is the photo as it was taken");
    }
    // The verdicts stay: one clock-out photo was someone else's and still waits for a person.
    let queue: Value = app.get(token, "/api/v1/review-queue").await.json().await.unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    // The sealed templates still open with the folder's key.
    let enrolment: Value = app.get(token, &format!("/api/v1/employees/{}/enrolment", id("Grace Hopper"))).await.json().await.unwrap();
    assert_eq!(enrolment["templates"].as_array().unwrap().len(), 1, "{enrolment}");

    // Sam Lee's corrected, approved card: the moved clock-in, its reason, the lock.
    let card: Value = app.get(token, &format!("/api/v1/employees/{}/timecard?from={WEEK}", id("Sam Lee"))).await.json().await.unwrap();
    assert_eq!(card["time_card"]["seconds"], 159_000, "the hours with the correction");
    assert!(card.to_string().contains("Started early on site"), "the correction's reason");
    assert_eq!(card["locked"]["by"], "card", "{}", card["locked"]);

    // Nothing of it was a break (breaks came later), and the audit chain verifies across the upgrade.
    assert!(!card.to_string().contains("\"on_break\":true"));
    assert_eq!(app.running.state.store.verify_audit().await.unwrap(), vec![], "the audit log is unbroken");
}
