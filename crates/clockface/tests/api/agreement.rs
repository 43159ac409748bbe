//! The time card and the payroll overview agree to the second (issue 27): the overview reads the
//! period's punches its own way (one statement for the whole company, packed per employee on
//! SQLite, a row per punch on PostgreSQL), the card reads one employee's punches by index; both must
//! count the same seconds. A property test over random punches (some out of order, some breaks,
//! some outside the period's weeks), random corrections (added, moved and voided punches) and
//! random rule changes (overtime rule, meal deduction, paid breaks), from a fixed seed per case so
//! that a failure names the case that shows it. After each step, for every employee: the card's
//! regular, overtime, double-time, total and meal seconds and its count of shifts with a missing
//! punch equal the overview's; the card's days add up to its period; and the card's total equals
//! the shifts' own lengths (end minus start, less unpaid breaks and meals) counted from its punches.

use crate::helpers::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Chicago;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PERIOD: &str = "2026-11-16";

/// A random instant from the Saturday before the period to the Tuesday after it (the card's and
/// the overview's windows are whole workweeks), on the minute or the second.
fn random_time(rng: &mut StdRng) -> DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(2026, 11, 14).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let start = Chicago.from_local_datetime(&first).single().unwrap().with_timezone(&Utc);
    start + Duration::seconds(rng.gen_range(0..19 * 24 * 3600))
}

fn device_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono::FixedOffset::west_opt(6 * 3600).unwrap()).to_rfc3339()
}

/// Seconds of a time as the card's JSON writes it.
fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

async fn card(app: &TestApp, admin: &Admin, worker: &str) -> Value {
    let response = app.get(&admin.token, &format!("/api/v1/employees/{worker}/timecard?from={PERIOD}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every figure the overview and the card both give, for one employee.
fn figures(line: &Value) -> [i64; 5] {
    ["regular_seconds", "overtime_seconds", "double_time_seconds", "total_seconds", "meal_deducted_seconds"]
        .map(|key| line[key].as_i64().unwrap_or_else(|| panic!("{key} in {line}")))
}

/// Checks the card against the overview and against its own shifts, for every employee.
async fn check_agreement(app: &TestApp, admin: &Admin, workers: &[String], step: &str) {
    let response = app.get(&admin.token, &format!("/api/v1/payroll/periods?date={PERIOD}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let overview: Value = response.json().await.unwrap();
    for worker in workers {
        let body = card(app, admin, worker).await;
        let c = &body["time_card"];
        let line = overview["employees"].as_array().unwrap().iter().find(|l| l["employee_id"] == json!(worker));
        let line = line.unwrap_or_else(|| panic!("{step}: {worker} is not in the overview {overview}"));
        let mut on_card = c.clone();
        on_card["total_seconds"] = c["seconds"].clone();
        assert_eq!(figures(&on_card), figures(line), "{step}: the card of {worker} and the overview differ\ncard: {c}\noverview: {line}");
        assert_eq!(c["issues"], line["missing_punches"], "{step}: shifts with a missing punch, card and overview");

        // The card's days add up to its period, rate by rate.
        let days = c["days"].as_array().unwrap();
        for key in ["regular_seconds", "overtime_seconds", "double_time_seconds"] {
            let sum: i64 = days.iter().map(|d| d[key].as_i64().unwrap()).sum();
            assert_eq!(sum, c[key].as_i64().unwrap(), "{step}: {worker}'s days' {key} add up to the period's");
        }

        // To the second with the punches: each whole shift counts its end minus its start, less
        // its unpaid breaks and its meal deduction; a shift missing a punch counts nothing.
        let breaks_paid = c["breaks_paid"].as_bool().unwrap();
        let mut counted = 0;
        for shift in days.iter().flat_map(|d| d["shifts"].as_array().unwrap()) {
            if shift["status"] != "complete" {
                assert_eq!(shift["seconds"], 0, "{step}: a shift missing a punch or in progress counts nothing\n{shift}");
                continue;
            }
            let mut seconds = (instant(&shift["end"]["effective_at"]) - instant(&shift["start"]["effective_at"])).num_seconds();
            if !breaks_paid {
                seconds -= shift["break_seconds"].as_i64().unwrap_or(0);
            }
            seconds -= shift["meal_deducted_seconds"].as_i64().unwrap_or(0);
            counted += seconds;
        }
        let in_period: i64 = days.iter().map(|d| d["seconds"].as_i64().unwrap()).sum();
        assert_eq!(in_period, c["seconds"].as_i64().unwrap(), "{step}: {worker}'s days' seconds add up to the period's");
        assert_eq!(counted, in_period, "{step}: {worker}'s shifts, counted from their punches, and the card's total\ncard: {c}");
    }
}

async fn random_steps(backend: Backend, seed: u64, steps: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", payroll_settings()).await.status(), StatusCode::OK);
    let role = app.role(&admin, "Crew", json!({})).await;
    let mut workers = Vec::new();
    for n in 0..3 {
        workers.push(app.employee(&admin, &format!("Worker {n}"), &format!("{}", 10 + n), &role, None).await);
    }
    let device = app.device(&admin, false).await;
    // A first week of ordinary shifts for each, so that overtime and meals have hours to work on.
    for worker in &workers {
        for day in 16..21 {
            for (kind, hour) in [("in", 7), ("out", 12), ("in", 12 + rng.gen_range(0..2)), ("out", 16 + rng.gen_range(0..4))] {
                let local = NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(hour, rng.gen_range(0..60), 0).unwrap();
                let at = Chicago.from_local_datetime(&local).single().unwrap().with_timezone(&Utc);
                assert_eq!(app.punch(&device, &punch_body(worker, kind, &device_time(at))).await.status(), StatusCode::CREATED);
            }
        }
    }
    check_agreement(&app, &admin, &workers, &format!("seed {seed}, the first week")).await;
    let (mut punches_taken, mut corrections_made, mut rule_changes) = (0, 0, 0);
    for step in 0..steps {
        let worker = workers[rng.gen_range(0..workers.len())].clone();
        let what = rng.gen_range(0..10);
        let label = format!("seed {seed}, step {step} ({what})");
        match what {
            // A punch, sometimes a break, at a random time (often out of order).
            0..=3 => {
                let mut body = punch_body(&worker, if rng.gen_bool(0.5) { "in" } else { "out" }, &device_time(random_time(&mut rng)));
                if rng.gen_bool(0.25) {
                    body["on_break"] = json!(true);
                }
                let status = app.punch(&device, &body).await.status();
                assert!(status == StatusCode::CREATED || status.is_client_error(), "{label}: a punch answered {status}");
                punches_taken += usize::from(status == StatusCode::CREATED);
            }
            // A correction: add a punch, or move or void one of the card's.
            4..=6 => {
                let body = card(&app, &admin, &worker).await;
                let punches: Vec<&Value> = body["time_card"]["days"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|d| d["shifts"].as_array().unwrap())
                    .flat_map(|s| [&s["start"], &s["end"]])
                    .filter(|p| p.get("id").is_some_and(|id| id.is_string()))
                    .collect();
                let at = device_time(random_time(&mut rng));
                let correction = match (rng.gen_range(0..3), punches.is_empty()) {
                    (0, _) | (_, true) => {
                        json!({"action": "add", "kind": if rng.gen_bool(0.5) { "in" } else { "out" }, "at": at, "reason": "property test"})
                    }
                    (1, false) => {
                        let id = &punches[rng.gen_range(0..punches.len())]["id"];
                        json!({"action": "move", "replaces": {"type": "punch", "id": id}, "at": at, "reason": "property test"})
                    }
                    _ => {
                        let id = &punches[rng.gen_range(0..punches.len())]["id"];
                        json!({"action": "void", "replaces": {"type": "punch", "id": id}, "reason": "property test"})
                    }
                };
                let response = app.post(&admin.token, &format!("/api/v1/employees/{worker}/corrections"), correction.clone()).await;
                let status = response.status();
                assert!(status == StatusCode::CREATED || status.is_client_error(), "{label}: {correction} answered {status}");
                corrections_made += usize::from(status == StatusCode::CREATED);
            }
            // The rules change: overtime, meal deduction, paid breaks.
            _ => {
                let mut settings = payroll_settings();
                settings["overtime_rule"] = json!(["none", "federal", "california"][rng.gen_range(0..3)]);
                if rng.gen_bool(0.5) {
                    settings["meal_after_minutes"] = json!(rng.gen_range(4..7) * 60);
                    settings["meal_minutes"] = json!(30);
                }
                settings["breaks_paid"] = json!(rng.gen_bool(0.5));
                let response = app.put(&admin.token, "/api/v1/payroll/settings", settings).await;
                assert_eq!(response.status(), StatusCode::OK, "{label}");
                rule_changes += 1;
            }
        }
        check_agreement(&app, &admin, &workers, &label).await;
    }
    // The steps did what they say: a test of agreement over nothing would prove nothing.
    let done = (punches_taken, corrections_made, rule_changes);
    assert!(
        punches_taken >= steps / 10 && corrections_made >= steps / 10 && rule_changes >= 1,
        "seed {seed}: punches, corrections, rule changes {done:?}"
    );
}

#[tokio::test]
async fn card_and_overview_agree_over_random_punches_corrections_and_rules_on_sqlite() {
    for seed in 1..=3 {
        random_steps(Backend::Sqlite, seed, 60).await;
    }
}

#[tokio::test]
async fn card_and_overview_agree_over_random_punches_corrections_and_rules_on_postgres() {
    for seed in 11..=12 {
        random_steps(Backend::Postgres, seed, 60).await;
    }
}
