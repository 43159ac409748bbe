//! Time off in payroll over HTTP: a worker's vacation asked on the clock and approved is on the
//! card, in the overview, in job costing (on no job) and in every export file under the pay
//! codes set for it, never as regular or overtime hours; unpaid time off is shown and exported
//! nowhere. Each file is parsed back and its fields read. Once the period is approved, a holiday
//! added, the type renamed or given another pay code changes none of it until the period is
//! reopened. Balances turn with the year: what is above the carry-over limit is forfeited.

use crate::helpers::*;
use chrono::{Datelike, NaiveDate, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

const H: i64 = 3600;

/// A line of a delimited file split into its fields (`"..."` quoted, `""` a quote inside).
fn fields(line: &str, separator: char) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The rows of a file whose header is the first line that `is_header` accepts, each as column
/// name -> value; only the lines `is_row` accepts after it are rows.
fn table(body: &str, separator: char, is_header: impl Fn(&str) -> bool, is_row: impl Fn(&str) -> bool) -> Vec<HashMap<String, String>> {
    let mut lines = body.split("\r\n").filter(|l| !l.is_empty());
    let header = fields(lines.by_ref().find(|l| is_header(l)).expect("a header line"), separator);
    lines
        .filter(|l| is_row(l))
        .map(|l| header.iter().cloned().zip(fields(l, separator)).collect())
        .inspect(|row: &HashMap<String, String>| assert_eq!(row.len(), header.len(), "a row has every column: {row:?}"))
        .collect()
}

fn csv_rows(body: &str) -> Vec<HashMap<String, String>> {
    table(body, ',', |_| true, |_| true)
}

/// `column` of the rows whose `key` is `value`.
fn values<'a>(rows: &'a [HashMap<String, String>], key: &str, value: &str, column: &str) -> Vec<&'a str> {
    rows.iter().filter(|r| r[key] == value).map(|r| r[column].as_str()).collect()
}

/// Per earnings code (or pay component) -> hours, of one employee's rows.
fn by_code(rows: &[HashMap<String, String>], who: (&str, &str), code: &str, hours: &str) -> HashMap<String, String> {
    rows.iter().filter(|r| r[who.0] == who.1).map(|r| (r[code].clone(), r[hours].clone())).collect()
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

struct Payroll {
    app: TestApp,
    admin: Admin,
    ada: String,
    sam: String,
    device: String,
    types: HashMap<String, String>,
}

const PERIOD: &str = "2026-11-16";

/// A company on the shared payroll settings (two-week periods from Mon 16 Nov 2026, California),
/// with Ada (number 42) who worked Monday 16 Nov 07:00-15:00, and Sam (number 7).
async fn payroll(backend: Backend) -> Payroll {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", payroll_settings()).await.status(), StatusCode::OK);
    let role = app.role(&admin, "Crew", json!({})).await;
    let ada = app.employee(&admin, "Ada King Lovelace", "42", &role, Some("2468")).await;
    let sam = app.employee(&admin, "Sam Lee", "7", &role, Some("1357")).await;
    let device = app.device(&admin, false).await;
    app.sync(&device).await;
    for (kind, at) in [("in", "2026-11-16T07:00:00-06:00"), ("out", "2026-11-16T15:00:00-06:00")] {
        assert_eq!(app.punch(&device, &punch_body(&ada, kind, at)).await.status(), StatusCode::CREATED);
    }
    let listed: Value = app.get(&admin.token, "/api/v1/time-off/types").await.json().await.unwrap();
    let types =
        listed.as_array().unwrap().iter().map(|t| (t["name"].as_str().unwrap().to_owned(), t["id"].as_str().unwrap().to_owned())).collect();
    Payroll { app, admin, ada, sam, device, types }
}

impl Payroll {
    /// Saves the type called `name` (its id kept) with `body`.
    async fn save_type(&self, name: &str, body: Value) {
        let response = self.app.put(&self.admin.token, &format!("/api/v1/time-off/types/{}", self.types[name]), body).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    }

    /// Vacation under codes of this company's own (none of them the defaults).
    async fn vacation_codes(&self, name: &str, adp_run: &str) {
        let body = json!({"kind": "vacation", "name": name, "paid": true,
            "codes": {"adp_wfn_hours_code": "PV", "adp_run_earnings_code": adp_run, "paychex_pay_component": "Paid Vacation",
                      "gusto_column": "pto_hours", "quickbooks_payroll_item": "PTO Hourly"}});
        self.save_type("Vacation", body).await;
    }

    /// An admin's request for `employee`, approved; its id.
    async fn approved(&self, employee: &str, type_name: &str, first: &str, last: &str) -> String {
        let body = json!({"employee_id": employee, "type_id": self.types[type_name], "first": first, "last": last});
        let response = self.app.post(&self.admin.token, "/api/v1/time-off/requests", body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        let id = response.json::<Value>().await.unwrap()["request"]["id"].as_str().unwrap().to_owned();
        self.approve(&id).await;
        id
    }

    async fn approve(&self, request: &str) {
        let response =
            self.app.post(&self.admin.token, &format!("/api/v1/time-off/requests/{request}/approve"), json!({"note": "ok"})).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    }

    async fn export(&self, format: &str) -> String {
        let response = self.app.get(&self.admin.token, &format!("/api/v1/payroll/periods/{PERIOD}/export?format={format}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        response.text().await.unwrap()
    }

    async fn json(&self, path: &str) -> Value {
        let response = self.app.get(&self.admin.token, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    /// The overview's line of the employee numbered `number`.
    async fn overview_line(&self, number: &str) -> Value {
        let overview = self.json(&format!("/api/v1/payroll/periods?date={PERIOD}")).await;
        overview["employees"].as_array().unwrap().iter().find(|e| e["number"] == number).cloned().expect("listed")
    }
}

/// (type name, paid, seconds) of a list of time off by type.
fn by_type(list: &Value) -> Vec<(String, bool, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["paid"].as_bool().unwrap(), t["seconds"].as_i64().unwrap()))
        .collect()
}

async fn approved_time_off_is_in_every_export_under_its_pay_code(backend: Backend) {
    let p = payroll(backend).await;
    p.vacation_codes("Vacation", "PTO").await;

    // Ada asks on the clock for Tuesday and Wednesday; the admin approves. She is also off,
    // unpaid, on Thursday; Sam takes Monday 23 Nov as vacation.
    let asked = json!({"employee_id": p.ada, "pin": "2468", "type_id": p.types["Vacation"], "first": "2026-11-17", "last": "2026-11-18",
                       "note": "family visit"});
    let response = p.app.post(&p.device, "/api/v1/device/time-off/requests", asked).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let vacation = response.json::<Value>().await.unwrap()["request"]["id"].as_str().unwrap().to_owned();
    p.approve(&vacation).await;
    p.approved(&p.ada, "Unpaid", "2026-11-19", "2026-11-19").await;
    p.approved(&p.sam, "Vacation", "2026-11-23", "2026-11-23").await;

    // The card: each day of time off its own line; the hours worked are Monday's 8 only.
    let card = p.json(&format!("/api/v1/employees/{}/timecard?from={PERIOD}", p.ada)).await;
    let days = card["time_card"]["days"].as_array().unwrap();
    assert_eq!(by_type(&days[1]["time_off"]), [("Vacation".to_owned(), true, 8 * H)]);
    assert_eq!(by_type(&days[3]["time_off"]), [("Unpaid".to_owned(), false, 8 * H)]);
    assert_eq!(card["time_card"]["regular_seconds"], 8 * H);
    assert_eq!(by_type(&card["time_card"]["time_off"]), [("Vacation".to_owned(), true, 16 * H), ("Unpaid".to_owned(), false, 8 * H)]);

    // The overview: the same, beside the hours worked.
    let ada = p.overview_line("42").await;
    assert_eq!((ada["regular_seconds"].as_i64(), ada["overtime_seconds"].as_i64()), (Some(8 * H), Some(0)));
    assert_eq!(by_type(&ada["time_off"]), [("Vacation".to_owned(), true, 16 * H), ("Unpaid".to_owned(), false, 8 * H)]);
    assert_eq!(by_type(&p.overview_line("7").await["time_off"]), [("Vacation".to_owned(), true, 8 * H)]);

    // Every export, parsed back: the vacation under its code, never as regular hours; nothing of
    // the unpaid day.
    let csv = csv_rows(&p.export("csv").await);
    assert_eq!(values(&csv, "time_off_type", "Vacation", "date"), ["2026-11-17", "2026-11-18", "2026-11-23"]);
    assert_eq!(values(&csv, "time_off_type", "Vacation", "time_off_hours"), ["8.00", "8.00", "8.00"]);
    assert_eq!(values(&csv, "time_off_type", "Vacation", "regular_hours"), ["0.00", "0.00", "0.00"]);
    assert_eq!(values(&csv, "employee_number", "42", "regular_hours"), ["8.00", "0.00", "0.00"], "Monday's hours, then the two days off");
    assert!(csv.iter().all(|r| r["time_off_type"] != "Unpaid" && r["date"] != "2026-11-19"), "unpaid time off is not paid");

    let epi = csv_rows(&p.export("adp_wfn").await);
    assert_eq!(by_code(&epi, ("File #", "000042"), "Hours 3 Code", "Hours 3 Amount"), map(&[("", ""), ("PV", "16.00")]));
    assert_eq!(values(&epi, "File #", "000042", "Reg Hours"), ["8.00", ""]);
    assert_eq!(by_code(&epi, ("File #", "000007"), "Hours 3 Code", "Hours 3 Amount"), map(&[("PV", "8.00")]));

    let run_body = p.export("adp_run").await;
    let run = table(&run_body, ',', |l| l.starts_with("IID,"), |_| true);
    assert_eq!(by_code(&run, ("Employee ID", "42"), "Earnings Code", "Pay Hours"), map(&[("REG", "8.00"), ("PTO", "16.00")]));
    assert_eq!(by_code(&run, ("Employee ID", "7"), "Earnings Code", "Pay Hours"), map(&[("PTO", "8.00")]));

    let paychex = csv_rows(&p.export("paychex").await);
    assert_eq!(by_code(&paychex, ("WORKER ID", "42"), "PAY COMPONENT", "HOURS"), map(&[("Hourly", "8.00"), ("Paid Vacation", "16.00")]));
    assert_eq!(values(&paychex, "PAY COMPONENT", "Paid Vacation", "JOB NUMBER"), ["", ""], "time off is on no job");
    assert_eq!(by_code(&paychex, ("WORKER ID", "7"), "PAY COMPONENT", "HOURS"), map(&[("Paid Vacation", "8.00")]));

    let gusto = csv_rows(&p.export("gusto").await);
    assert_eq!(values(&gusto, "last_name", "Lovelace", "regular_hours"), ["8.00"]);
    assert_eq!(values(&gusto, "last_name", "Lovelace", "pto_hours"), ["16.00"]);
    assert_eq!(values(&gusto, "last_name", "Lee", "pto_hours"), ["8.00"]);

    let iif_body = p.export("quickbooks_iif").await;
    let iif = table(&iif_body, '\t', |l| l.starts_with("!TIMEACT"), |l| l.starts_with("TIMEACT"));
    let pto: Vec<(&str, &str, &str, &str)> = iif
        .iter()
        .filter(|r| r["PITEM"] == "PTO Hourly")
        .map(|r| (r["EMP"].as_str(), r["DATE"].as_str(), r["DURATION"].as_str(), r["JOB"].as_str()))
        .collect();
    assert_eq!(
        pto,
        [
            ("Lovelace, Ada King", "11/17/26", "8:00", ""),
            ("Lovelace, Ada King", "11/18/26", "8:00", ""),
            ("Lee, Sam", "11/23/26", "8:00", "")
        ]
    );
    assert_eq!(values(&iif, "EMP", "Lovelace, Ada King", "PITEM"), ["Regular", "PTO Hourly", "PTO Hourly"]);

    // Job costing: the paid time off on no job, apart from the hours worked.
    let costing = p.json(&format!("/api/v1/payroll/costing?date={PERIOD}")).await;
    let no_job = costing["lines"].as_array().unwrap().iter().find(|l| l["job"].is_null()).expect("a No job line");
    assert_eq!((no_job["regular_seconds"].as_i64(), no_job["time_off_seconds"].as_i64()), (Some(8 * H), Some(24 * H)));
    assert_eq!((costing["totals"]["regular_seconds"].as_i64(), costing["time_off_seconds"].as_i64()), (Some(8 * H), Some(24 * H)));
    let response = p.app.get(&p.admin.token, &format!("/api/v1/payroll/costing/csv?date={PERIOD}")).await;
    let costing_csv = csv_rows(&response.text().await.unwrap());
    assert_eq!(values(&costing_csv, "employee_number", "42", "time_off_hours"), ["16.00"]);
    assert_eq!(values(&costing_csv, "employee_number", "7", "job_name"), ["No job"]);

    // A paid type with no code for a format stops that export, naming the type and the format.
    let body = json!({"kind": "custom", "name": "Jury duty", "paid": true, "codes": {"adp_run_earnings_code": "JUR"}});
    let response = p.app.post(&p.admin.token, "/api/v1/time-off/types", body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let jury = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let body = json!({"employee_id": p.sam, "type_id": jury, "first": "2026-11-24"});
    let response = p.app.post(&p.admin.token, "/api/v1/time-off/requests", body).await;
    let request = response.json::<Value>().await.unwrap()["request"]["id"].as_str().unwrap().to_owned();
    p.approve(&request).await;
    let refused = p.app.get(&p.admin.token, &format!("/api/v1/payroll/periods/{PERIOD}/export?format=paychex")).await;
    let message = expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(message.contains("Jury duty") && message.contains("Paychex"), "{message}");
    let run = table(&p.export("adp_run").await, ',', |l| l.starts_with("IID,"), |_| true);
    assert_eq!(by_code(&run, ("Employee ID", "7"), "Earnings Code", "Pay Hours"), map(&[("PTO", "8.00"), ("JUR", "8.00")]));
}

async fn approved_figures_keep_their_time_off_until_reopened(backend: Backend) {
    let p = payroll(backend).await;
    p.vacation_codes("Vacation", "PTO").await;
    let vacation = p.approved(&p.ada, "Vacation", "2026-11-17", "2026-11-18").await;
    let approve = json!({"acknowledge_flags": true});
    let response = p.app.post(&p.admin.token, &format!("/api/v1/payroll/periods/{PERIOD}/approve"), approve).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", response.text().await.unwrap());

    // Cancelling the approved vacation waits for the period to be reopened.
    let refused =
        p.app.post(&p.admin.token, &format!("/api/v1/time-off/requests/{vacation}/cancel"), json!({"note": "changed plans"})).await;
    assert!(expect_error(refused, StatusCode::CONFLICT, "period_locked").await.contains("reopen"));
    // After the approval: Thanksgiving is made a holiday, the vacation type renamed and its ADP
    // RUN code changed. The approved period shows and exports what was approved.
    let holidays = json!({"year": 2026, "holidays": [{"date": "2026-11-26", "name": "Thanksgiving", "hours": "8"}]});
    assert_eq!(p.app.put(&p.admin.token, "/api/v1/time-off/holidays", holidays).await.status(), StatusCode::OK);
    p.vacation_codes("Paid leave", "VAC").await;

    let approved = [("Vacation".to_owned(), true, 16 * H)];
    assert_eq!(by_type(&p.overview_line("42").await["time_off"]), approved);
    assert!(p.overview_line("7").await.get("time_off").is_none(), "Sam's approved card has no holiday");
    let card = p.json(&format!("/api/v1/employees/{}/timecard?from={PERIOD}", p.ada)).await;
    assert_eq!(by_type(&card["time_card"]["time_off"]), approved);
    let run = table(&p.export("adp_run").await, ',', |l| l.starts_with("IID,"), |_| true);
    assert_eq!(by_code(&run, ("Employee ID", "42"), "Earnings Code", "Pay Hours"), map(&[("REG", "8.00"), ("PTO", "16.00")]));
    let csv = csv_rows(&p.export("csv").await);
    assert_eq!(values(&csv, "employee_number", "42", "time_off_type"), ["", "Vacation", "Vacation"]);

    // Reopened, the period counts as it stands: the holiday, the new name and code.
    let reopen = json!({"reason": "Thanksgiving is paid"});
    let response = p.app.post(&p.admin.token, &format!("/api/v1/payroll/periods/{PERIOD}/reopen"), reopen).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", response.text().await.unwrap());
    let response = p.app.get(&p.admin.token, &format!("/api/v1/payroll/periods/{PERIOD}/export?format=adp_run")).await;
    // The file says how each employee's paid time off changed since the last one.
    let changed = response.headers()["x-clockface-changed-since-export"].to_str().unwrap().to_owned();
    assert!(changed.contains("42:28800/0/0->28800/0/0 time_off:57600->86400"), "{changed}");
    assert!(changed.contains("7:0/0/0->0/0/0 time_off:0->28800"), "{changed}");
    let run = table(&response.text().await.unwrap(), ',', |l| l.starts_with("IID,"), |_| true);
    assert_eq!(
        by_code(&run, ("Employee ID", "42"), "Earnings Code", "Pay Hours"),
        map(&[("REG", "8.00"), ("VAC", "16.00"), ("HOL", "8.00")])
    );
    assert_eq!(by_code(&run, ("Employee ID", "7"), "Earnings Code", "Pay Hours"), map(&[("HOL", "8.00")]));
    let csv = csv_rows(&p.export("csv").await);
    assert_eq!(values(&csv, "employee_number", "42", "time_off_type"), ["", "Paid leave", "Paid leave", "Holiday"]);
}

/// The first Monday of February of `year`: a working day no test approves.
fn a_monday_in_february(year: i32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, 2, Weekday::Mon, 1).unwrap()
}

async fn a_balance_turns_with_the_year_keeping_only_the_carry_over(backend: Backend) {
    let p = payroll(backend).await;
    // Sick leave keeps a balance set by an admin, at most 16 hours carried into a new year.
    let sick = json!({"kind": "sick", "name": "Sick", "paid": true, "codes": {"adp_run_earnings_code": "SCK"},
                      "policy": {"method": {"method": "none"}, "carry_over_seconds": 16 * H, "allow_negative": false}});
    p.save_type("Sick", sick).await;
    let year = Utc::now().with_timezone(&chrono_tz::America::Chicago).year();
    let start = json!({"type_id": p.types["Sick"], "kind": "starting", "hours": "40", "reason": "brought from paper",
                       "date": format!("{year}-01-02")});
    let response = p.app.post(&p.admin.token, &format!("/api/v1/employees/{}/time-off/adjustments", p.ada), start).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let day = a_monday_in_february(year).to_string();
    p.approved(&p.ada, "Sick", &day, &day).await;

    let balance = |through: String| {
        let p = &p;
        async move {
            let balances = p.json(&format!("/api/v1/employees/{}/time-off/balances?through={through}", p.ada)).await;
            balances.as_array().unwrap().iter().find(|b| b["type_name"] == "Sick").cloned().expect("Sick keeps a balance")
        }
    };
    let before = balance(format!("{year}-12-31")).await;
    assert_eq!(before["balance_seconds"], 32 * H, "40 brought in, 8 taken");
    let after = balance(format!("{}-01-01", year + 1)).await;
    assert_eq!(after["balance_seconds"], 16 * H, "only the carry-over limit goes into the new year");
    let turn = after["ledger"]["lines"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(
        (turn["kind"].as_str(), turn["seconds"].as_i64(), turn["date"].as_str()),
        (Some("forfeit"), Some(-16 * H), Some(&*format!("{}-01-01", year + 1)))
    );
    assert!(turn["why"].as_str().unwrap().contains("carry-over limit 16.00 h"), "{turn}");
}

#[tokio::test]
async fn approved_time_off_is_in_every_export_under_its_pay_code_on_sqlite() {
    approved_time_off_is_in_every_export_under_its_pay_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn approved_time_off_is_in_every_export_under_its_pay_code_on_postgres() {
    approved_time_off_is_in_every_export_under_its_pay_code(Backend::Postgres).await;
}

#[tokio::test]
async fn approved_figures_keep_their_time_off_until_reopened_on_sqlite() {
    approved_figures_keep_their_time_off_until_reopened(Backend::Sqlite).await;
}

#[tokio::test]
async fn approved_figures_keep_their_time_off_until_reopened_on_postgres() {
    approved_figures_keep_their_time_off_until_reopened(Backend::Postgres).await;
}

#[tokio::test]
async fn a_balance_turns_with_the_year_keeping_only_the_carry_over_on_sqlite() {
    a_balance_turns_with_the_year_keeping_only_the_carry_over(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_balance_turns_with_the_year_keeping_only_the_carry_over_on_postgres() {
    a_balance_turns_with_the_year_keeping_only_the_carry_over(Backend::Postgres).await;
}
