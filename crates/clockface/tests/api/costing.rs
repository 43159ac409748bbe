//! Job costing over HTTP: a period's hours by job and cost code agree with the payroll overview
//! to the second, filter to one job (or none), download as CSV; the payroll exports carry the
//! jobs; another company's jobs never appear, and a supervisor sees only their employees' hours.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const H: i64 = 3600;

/// A punch at `at` on `job` (and `code`), if any.
async fn punch(app: &TestApp, device: &str, employee: &str, kind: &str, at: &str, job: Option<&str>, code: Option<&str>) {
    let mut body = punch_body(employee, kind, at);
    if let Some(job) = job {
        body["job_id"] = json!(job);
    }
    if let Some(code) = code {
        body["cost_code_id"] = json!(code);
    }
    let response = app.punch(device, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
}

/// (job number, cost code number, regular, overtime, double time) of each costing line.
fn lines(costing: &Value) -> Vec<(String, String, i64, i64, i64)> {
    costing["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["job"]["number"].as_str().unwrap_or("none").to_owned(),
                l["cost_code"]["number"].as_str().unwrap_or("").to_owned(),
                l["regular_seconds"].as_i64().unwrap(),
                l["overtime_seconds"].as_i64().unwrap(),
                l["double_time_seconds"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(job: &str, code: &str, regular: i64, overtime: i64, double: i64) -> (String, String, i64, i64, i64) {
    (job.to_owned(), code.to_owned(), regular, overtime, double)
}

/// A supervisor of `employees`, signed in: their token.
async fn supervisor_of(app: &TestApp, admin: &Admin, email: &str, employees: &[&str]) -> String {
    let invited: Value = app
        .post(&admin.token, "/api/v1/users", json!({"email": email, "name": "Sue Park", "role": "supervisor"}))
        .await
        .json()
        .await
        .unwrap();
    let token = invited["invitation_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let accept = json!({"token": token, "name": "Sue Park", "password": "a long password", "password_again": "a long password"});
    let accepted = app.client.post(app.url("/api/v1/invitations/accept")).json(&accept).send().await.unwrap();
    assert_eq!(accepted.status(), StatusCode::NO_CONTENT);
    let user = invited["user"]["id"].as_str().unwrap();
    let assigned = app.put(&admin.token, &format!("/api/v1/users/{user}/employees"), json!({"employee_ids": employees})).await;
    assert_eq!(assigned.status(), StatusCode::NO_CONTENT);
    app.sign_in(email, "a long password").await
}

async fn hours_by_job_and_cost_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", payroll_settings()).await.status(), StatusCode::OK);
    let role = app.role(&admin, "Crew", json!({})).await;
    let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
    let grace = app.employee(&admin, "Grace Hopper", "2", &role, None).await;
    let device = app.device(&admin, false).await;
    let depot = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-100", "name": "Depot"})).await).await;
    let main_st = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-200", "name": "Main St"})).await).await;
    let forms = id(app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "03-100", "name": "Forms"})).await).await;

    // Another company, its job and its hours in the same weeks.
    let other = app.admin("zed@other.test").await;
    let other_role = app.role(&other, "Crew", json!({})).await;
    let zed = app.employee(&other, "Zed Zed", "1", &other_role, None).await;
    let other_device = app.device(&other, false).await;
    let theirs = id(app.post(&other.token, "/api/v1/jobs", json!({"number": "J-900", "name": "Theirs"})).await).await;
    punch(&app, &other_device, &zed, "in", "2026-11-16T07:00:00-06:00", Some(&theirs), None).await;
    punch(&app, &other_device, &zed, "out", "2026-11-16T12:00:00-06:00", Some(&theirs), None).await;

    // Ada, Mon 16 Nov: Depot / Forms 06:00-14:00, Change job at 14:00, Main St 14:00-19:00 (13 h);
    // Tue 17 Nov: 07:00-15:00 on no job.
    punch(&app, &device, &ada, "in", "2026-11-16T06:00:00-06:00", Some(&depot), Some(&forms)).await;
    punch(&app, &device, &ada, "out", "2026-11-16T14:00:00-06:00", Some(&depot), Some(&forms)).await;
    punch(&app, &device, &ada, "in", "2026-11-16T14:00:00-06:00", Some(&main_st), None).await;
    punch(&app, &device, &ada, "out", "2026-11-16T19:00:00-06:00", Some(&main_st), None).await;
    punch(&app, &device, &ada, "in", "2026-11-17T07:00:00-06:00", None, None).await;
    punch(&app, &device, &ada, "out", "2026-11-17T15:00:00-06:00", None, None).await;
    // Grace, Wed 18 Nov: Depot with no cost code 07:00-15:45 (8.75 h).
    punch(&app, &device, &grace, "in", "2026-11-18T07:00:00-06:00", Some(&depot), None).await;
    punch(&app, &device, &grace, "out", "2026-11-18T15:45:00-06:00", Some(&depot), None).await;

    let costing: Value = app.get(&admin.token, "/api/v1/payroll/costing?date=2026-11-20").await.json().await.unwrap();
    assert_eq!(costing["period"], json!({"start": "2026-11-16", "end": "2026-11-29"}));
    // California: Ada's Monday is 8 regular (Depot, first in time), then 4 overtime and 1 double
    // (Main St, after the 8th and the 12th hour); Grace's 8.75 h are 8 regular and 0.75 overtime.
    assert_eq!(
        lines(&costing),
        [
            line("J-100", "", 8 * H, 3 * H / 4, 0),
            line("J-100", "03-100", 8 * H, 0, 0),
            line("J-200", "", 0, 4 * H, H),
            line("none", "", 8 * H, 0, 0),
        ]
    );
    let depot_forms = &costing["lines"][1];
    assert_eq!(depot_forms["job"]["name"], "Depot");
    assert_eq!(depot_forms["cost_code"]["name"], "Forms");
    assert_eq!(depot_forms["employees"].as_array().unwrap().len(), 1);
    assert_eq!(depot_forms["employees"][0]["employee_id"], ada.as_str());
    assert_eq!(depot_forms["employees"][0]["total_seconds"], 8 * H);
    assert!(costing["lines"][3]["job"].is_null(), "hours on no job");

    // Totals over every job are the payroll overview's, to the second.
    let overview: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-20").await.json().await.unwrap();
    let sum = |field: &str| overview["employees"].as_array().unwrap().iter().map(|e| e[field].as_i64().unwrap()).sum::<i64>();
    let totals = &costing["totals"];
    assert_eq!(
        (totals["regular_seconds"].as_i64(), totals["overtime_seconds"].as_i64(), totals["double_time_seconds"].as_i64()),
        (Some(sum("regular_seconds")), Some(sum("overtime_seconds")), Some(sum("double_time_seconds")))
    );
    assert_eq!(totals["total_seconds"], 24 * H + 5 * H + 3 * H / 4);

    // One job, or the hours on none.
    let one: Value = app.get(&admin.token, &format!("/api/v1/payroll/costing?date=2026-11-20&job={main_st}")).await.json().await.unwrap();
    assert_eq!(lines(&one), [line("J-200", "", 0, 4 * H, H)]);
    assert_eq!(one["totals"]["total_seconds"], 5 * H);
    let none: Value = app.get(&admin.token, "/api/v1/payroll/costing?date=2026-11-20&job=none").await.json().await.unwrap();
    assert_eq!(lines(&none), [line("none", "", 8 * H, 0, 0)]);
    // Another company's job is no job of this one; a filter that is not an id is refused.
    let theirs_filter = app.get(&admin.token, &format!("/api/v1/payroll/costing?date=2026-11-20&job={theirs}")).await;
    expect_error(theirs_filter, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(app.get(&admin.token, "/api/v1/payroll/costing?job=J-100").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_job").await;
    let empty: Value = app.get(&admin.token, "/api/v1/payroll/costing?date=2026-10-01").await.json().await.unwrap();
    assert_eq!((empty["lines"].as_array().map(Vec::len), empty["totals"]["total_seconds"].as_i64()), (Some(0), Some(0)));

    // The other company sees its own job and nothing of this one's.
    let their_costing: Value = app.get(&other.token, "/api/v1/payroll/costing?date=2026-11-20").await.json().await.unwrap();
    assert_eq!(lines(&their_costing), [line("J-900", "", 5 * H, 0, 0)]);
    let text = serde_json::to_string(&costing).unwrap();
    assert!(!text.contains("J-900") && !text.contains("Theirs") && !text.contains(&theirs), "{text}");

    // The CSV: a line per job, cost code and employee.
    let csv = app.get(&admin.token, "/api/v1/payroll/costing/csv?date=2026-11-20").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers()["content-disposition"], "attachment; filename=\"job_costing_20261116_20261129.csv\"");
    assert_eq!(
        csv.text().await.unwrap(),
        "job_number,job_name,cost_code,cost_code_name,employee_number,employee_name,regular_hours,overtime_hours,double_time_hours,total_hours\r\n\
         J-100,Depot,,,2,Grace Hopper,8.00,0.75,0.00,8.75\r\n\
         J-100,Depot,03-100,Forms,1,Ada Lovelace,8.00,0.00,0.00,8.00\r\n\
         J-200,Main St,,,1,Ada Lovelace,0.00,4.00,1.00,5.00\r\n\
         ,No job,,,1,Ada Lovelace,8.00,0.00,0.00,8.00\r\n"
    );

    // The payroll exports carry the job where their layout has a place for it.
    let export = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=csv").await.text().await.unwrap();
    assert!(export.contains("\r\n1,Ada Lovelace,2026-11-16,8.00,0.00,0.00,8.00,J-100,03-100\r\n"), "{export}");
    assert!(export.contains("\r\n1,Ada Lovelace,2026-11-16,0.00,4.00,1.00,5.00,J-200,\r\n"), "{export}");
    assert!(export.contains("\r\n1,Ada Lovelace,2026-11-17,8.00,0.00,0.00,8.00,,\r\n"), "{export}");
    let paychex = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=paychex").await.text().await.unwrap();
    assert!(paychex.contains("\r\n7001234,1,,J-200,Overtime,,,4.00,"), "{paychex}");
    assert!(paychex.contains("\r\n7001234,2,,J-100,Hourly,,,8.00,"), "{paychex}");
    let iif = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=quickbooks_iif").await.text().await.unwrap();
    assert!(iif.contains("TIMEACT\t11/16/26\tMain St\tLovelace, Ada\t\tOvertime Rate\t4:00\t"), "{iif}");
    // ADP has no job column: the totals are as before.
    let adp = app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=adp_wfn").await.text().await.unwrap();
    assert!(adp.contains("ABC,7261116,000001,16.00,4.00,D,1.00"), "{adp}");

    // A supervisor of Grace sees Grace's hours only, on the API and in the CSV.
    let sue = supervisor_of(&app, &admin, "sue@acme.test", &[&grace]).await;
    let theirs_only: Value = app.get(&sue, "/api/v1/payroll/costing?date=2026-11-20").await.json().await.unwrap();
    assert_eq!(lines(&theirs_only), [line("J-100", "", 8 * H, 3 * H / 4, 0)]);
    assert_eq!(theirs_only["totals"]["total_seconds"], 8 * H + 3 * H / 4);
    let csv = app.get(&sue, "/api/v1/payroll/costing/csv?date=2026-11-20").await.text().await.unwrap();
    assert!(csv.contains("Grace Hopper") && !csv.contains("Ada Lovelace"), "{csv}");
    let filtered: Value = app.get(&sue, &format!("/api/v1/payroll/costing?date=2026-11-20&job={main_st}")).await.json().await.unwrap();
    assert!(lines(&filtered).is_empty(), "Ada's hours on Main St are not the supervisor's to see");

    let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["/api/v1/payroll/costing", "/api/v1/payroll/costing/csv"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} is documented");
    }
    assert!(doc["paths"]["/api/v1/payroll/costing"]["get"]["responses"]["404"].is_object());
}

#[tokio::test]
async fn hours_by_job_and_cost_code_on_sqlite() {
    hours_by_job_and_cost_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn hours_by_job_and_cost_code_on_postgres() {
    hours_by_job_and_cost_code(Backend::Postgres).await;
}
