//! `clockface demo`: what it seeds and prints, as someone trying the product first sees it.

use crate::helpers::{Backend, TestApp};
use chrono::{Datelike, Utc, Weekday};
use clockface::demo::{banner, demo_week, landing, seed, DEMO_EMAIL, DEMO_PASSWORD, DEMO_SUPERVISOR};
use serde_json::Value;

#[tokio::test]
async fn the_demo_week_lies_in_one_pay_week_and_the_admin_lands_on_a_card_with_photos() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let demo = seed(&app.running.state).await.unwrap();
    let token = &app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;

    let today = Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let week = demo_week(today);
    assert_eq!(week[0].weekday(), Weekday::Mon);
    assert_eq!(week[4].weekday(), Weekday::Fri);
    assert!(week[4] < today, "the demo week is over");
    let (from, to) = (week[0], week[0] + chrono::Duration::days(6));
    for (name, id) in &demo.employees {
        let card: Value = app.get(token, &format!("/api/v1/employees/{id}/timecard?from={from}&to={to}")).await.json().await.unwrap();
        let shifts: Vec<&Value> =
            card["time_card"]["days"].as_array().unwrap().iter().flat_map(|d| d["shifts"].as_array().unwrap()).collect();
        assert_eq!(shifts.len(), 5, "{name} has all five shifts of the demo in that one week");
    }

    // The week's hours are on the demo's two jobs, each with its cost code: Job costing has something to show.
    let costing: Value = app.get(token, &format!("/api/v1/payroll/costing?date={from}")).await.json().await.unwrap();
    let mut jobs: Vec<(&str, &str)> = costing["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["job"]["number"].as_str().unwrap_or("none"), l["cost_code"]["number"].as_str().unwrap_or("none")))
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    assert_eq!(jobs, [("J-101", "01-100"), ("J-102", "03-300")], "{costing}");

    let link = landing(&app.running.state).await.unwrap();
    let hopper = &demo.employees.iter().find(|(name, _)| name == "Grace Hopper").unwrap().1;
    assert_eq!(link, format!("/admin/time-cards?employee={hopper}&from={from}"));
    let card: Value = app.get(token, &format!("/api/v1/employees/{hopper}/timecard?from={from}")).await.json().await.unwrap();
    let photos = card.to_string().matches("\"photo_url\":\"/api/v1/photos/").count();
    assert_eq!(photos, 10, "the landing card shows a photo beside every start and stop");

    let printed = banner("127.0.0.1:8080", &link, std::path::Path::new("clockface-demo-data"));
    assert!(printed.contains(&format!("http://127.0.0.1:8080{link}")), "{printed}");
    assert!(printed.contains("FaceFront on, faces enrolled: Grace Hopper (PIN 111111), Barack Obama (PIN 222222)"), "{printed}");
    assert!(printed.contains("No FaceFront:                 Sam Lee (PIN 444444)"), "{printed}");
    assert!(printed.contains("Ana Ruiz (PIN 333333)"), "{printed}");
    assert!(printed.contains("J-101 Riverside Library (Grace, Barack), J-102 Oak St resurfacing (Ana, Sam)"), "{printed}");
    assert!(printed.contains(&format!("Supervisor:    {DEMO_SUPERVISOR}  /  {DEMO_PASSWORD}")), "{printed}");

    // The demo supervisor signs in and reaches Ana Ruiz and Sam Lee only.
    let sue = &app.sign_in(DEMO_SUPERVISOR, DEMO_PASSWORD).await;
    let hers: Value = app.get(sue, "/api/v1/employees").await.json().await.unwrap();
    let mut names: Vec<&str> = hers.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Ana Ruiz", "Sam Lee"]);
    assert_eq!(app.get(sue, &format!("/api/v1/employees/{hopper}/timecard?from={from}")).await.status(), reqwest::StatusCode::NOT_FOUND);
}

#[test]
fn the_demo_help_names_the_demo_data_folder() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clockface")).args(["demo", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("[default: ./clockface-demo-data]"), "{help}");
    assert!(!help.contains("./clockface-data"), "{help}");
    let serve = std::process::Command::new(env!("CARGO_BIN_EXE_clockface")).args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8(serve.stdout).unwrap().contains("[default: ./clockface-data]"));
}
