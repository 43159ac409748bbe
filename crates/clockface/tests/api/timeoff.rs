//! Time off over HTTP: a worker asks on the clock (their PIN judged like a sign-in) and sees the
//! balance before and after, their supervisor lists, counts and approves, and the worker reads
//! the answer on the clock; a decline's note reaches the clock too. A supervisor cannot see or
//! answer a request outside their reach (404, like another company's ids), only admins change
//! types, balances and holidays (403), bad input answers 4xx naming the field, a day in an
//! approved pay period answers 409 until it is reopened, and no refusal writes anything. A
//! request kept offline arrives once, and a role may forbid asking on the clock.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A Monday at least two weeks ahead (in Chicago, the test company's zone), so its days are
/// working days in a pay period nobody approved.
fn a_monday_ahead() -> NaiveDate {
    let today = Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive() + Duration::days(14);
    today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()))
}

/// The Monday of this week in Chicago: the first day of the current weekly pay period.
fn this_monday() -> NaiveDate {
    let today = Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
}

struct Crew {
    app: TestApp,
    admin: Admin,
    /// Sue, a supervisor to whom Ada is assigned.
    sue: String,
    ada: String,
    grace: String,
    device: String,
    vacation: String,
}

async fn crew(backend: Backend) -> Crew {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let ada = app.employee(&admin, "Ada Lovelace", "1", &role, Some("1357")).await;
    let grace = app.employee(&admin, "Grace Hopper", "2", &role, Some("2468")).await;
    let device = app.device(&admin, false).await;
    app.sync(&device).await;
    let response =
        app.post(&admin.token, "/api/v1/users", json!({"email": "sue@acme.test", "name": "Sue Park", "role": "supervisor"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invited: Value = response.json().await.unwrap();
    let sue_id = invited["user"]["id"].as_str().unwrap().to_owned();
    let token = invited["invitation_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let body = json!({"token": token, "name": "Sue Park", "password": "a long password", "password_again": "a long password"});
    let accepted = app.client.post(app.url("/api/v1/invitations/accept")).json(&body).send().await.unwrap();
    assert_eq!(accepted.status(), StatusCode::NO_CONTENT);
    let assigned = app.put(&admin.token, &format!("/api/v1/users/{sue_id}/employees"), json!({"employee_ids": [ada]})).await;
    assert_eq!(assigned.status(), StatusCode::NO_CONTENT);
    let sue = app.sign_in("sue@acme.test", "a long password").await;
    let types: Value = app.get(&admin.token, "/api/v1/time-off/types").await.json().await.unwrap();
    let names: Vec<&str> = types.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Vacation", "Sick", "Holiday", "Unpaid"], "a company starts with the four kinds");
    let vacation = types[0]["id"].as_str().unwrap().to_owned();
    Crew { app, admin, sue, ada, grace, device, vacation }
}

impl Crew {
    /// Vacation keeps a balance (nothing accrues; it may not go negative): Ada brings 24 hours, Grace 8.
    async fn with_balance(&self) {
        let body = json!({"kind": "vacation", "name": "Vacation", "paid": true,
            "codes": {"adp_run_earnings_code": "VAC", "adp_wfn_hours_code": "V", "paychex_pay_component": "Vacation",
                      "gusto_column": "vacation_hours", "quickbooks_payroll_item": "Vacation Hourly"},
            "policy": {"method": {"method": "none"}, "allow_negative": false}});
        let response = self.app.put(&self.admin.token, &format!("/api/v1/time-off/types/{}", self.vacation), body).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        for (employee, hours) in [(&self.ada, "24"), (&self.grace, "8")] {
            let body = json!({"type_id": self.vacation, "kind": "starting", "hours": hours, "reason": "carried over from paper"});
            let response = self.app.post(&self.admin.token, &format!("/api/v1/employees/{employee}/time-off/adjustments"), body).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        }
    }

    /// A request as the clock sends it.
    fn on_clock(&self, employee: &str, pin: &str, first: NaiveDate, last: NaiveDate) -> Value {
        json!({"employee_id": employee, "pin": pin, "type_id": self.vacation, "first": first.to_string(), "last": last.to_string(),
               "note": "family visit"})
    }

    async fn mine(&self, employee: &str, pin: &str) -> Value {
        let response = self.app.post(&self.device, "/api/v1/device/time-off/mine", json!({"employee_id": employee, "pin": pin})).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn ask_on_clock(&self, employee: &str, pin: &str, first: NaiveDate, last: NaiveDate) -> String {
        let response = self.app.post(&self.device, "/api/v1/device/time-off/requests", self.on_clock(employee, pin, first, last)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        let asked: Value = response.json().await.unwrap();
        asked["request"]["id"].as_str().unwrap().to_owned()
    }
}

async fn a_worker_asks_on_the_clock_and_the_supervisor_answers(backend: Backend) {
    let c = crew(backend).await;
    c.with_balance().await;
    let monday = a_monday_ahead();
    let tuesday = monday + Duration::days(1);

    // On the clock, while asking: 24 h before, 16 h asked, 8 h after.
    let preview = c.app.post(&c.device, "/api/v1/device/time-off/preview", c.on_clock(&c.ada, "1357", monday, tuesday)).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview: Value = preview.json().await.unwrap();
    assert_eq!(preview["balance"], json!({"before_seconds": 86400, "requested_seconds": 57600, "after_seconds": 28800}), "{preview}");
    // A wrong PIN asks nothing.
    let wrong = c.app.post(&c.device, "/api/v1/device/time-off/requests", c.on_clock(&c.ada, "9999", monday, tuesday)).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ada_request = c.ask_on_clock(&c.ada, "1357", monday, tuesday).await;
    let grace_request = c.ask_on_clock(&c.grace, "2468", monday, monday).await;

    // Sue lists and counts Ada's only; Grace's is out of her reach, like an id that does not exist.
    let listed: Value = c.app.get(&c.sue, "/api/v1/time-off/requests").await.json().await.unwrap();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ada_request.as_str()]);
    assert_eq!(listed[0]["note"], "family visit");
    let count: Value = c.app.get(&c.sue, "/api/v1/time-off/requests/count").await.json().await.unwrap();
    assert_eq!(count["pending"], 1);
    let count: Value = c.app.get(&c.admin.token, "/api/v1/time-off/requests/count").await.json().await.unwrap();
    assert_eq!(count["pending"], 2, "the admin answers everyone's");
    let ghost = uuid::Uuid::now_v7();
    for path in [format!("/api/v1/time-off/requests/{grace_request}"), format!("/api/v1/time-off/requests/{ghost}")] {
        expect_error(c.app.get(&c.sue, &path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    for answer in ["approve", "decline", "cancel"] {
        let response = c.app.post(&c.sue, &format!("/api/v1/time-off/requests/{grace_request}/{answer}"), json!({"note": "no"})).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = c.app.get(&c.sue, &format!("/api/v1/employees/{}/time-off/balances", c.grace)).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let for_grace = json!({"employee_id": c.grace, "type_id": c.vacation, "first": monday.to_string()});
    expect_error(c.app.post(&c.sue, "/api/v1/time-off/requests", for_grace).await, StatusCode::NOT_FOUND, "not_found").await;

    // Sue approves Ada's; the clock shows the answer and the balance.
    let approved = c.app.post(&c.sue, &format!("/api/v1/time-off/requests/{ada_request}/approve"), json!({"note": "enjoy"})).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let again = c.app.post(&c.sue, &format!("/api/v1/time-off/requests/{ada_request}/approve"), json!({})).await;
    expect_error(again, StatusCode::CONFLICT, "request_answered").await;
    let mine = c.mine(&c.ada, "1357").await;
    assert_eq!(mine["requests"][0]["status"], "approved");
    assert_eq!(mine["requests"][0]["answer"]["note"], "enjoy");
    let vacation = mine["balances"].as_array().unwrap().iter().find(|b| b["type_id"] == c.vacation.as_str()).unwrap();
    // The balance today: the days off are ahead, so it is still 24 h; through Tuesday it is 8 h.
    assert_eq!(vacation["balance_seconds"], 86400);
    let through = c.app.get(&c.sue, &format!("/api/v1/employees/{}/time-off/balances?through={tuesday}", c.ada)).await;
    let through: Value = through.json().await.unwrap();
    assert_eq!(through[0]["balance_seconds"], 28800, "{through}");

    // The admin declines Grace's, saying why; Grace reads it on the clock.
    let declined = c
        .app
        .post(&c.admin.token, &format!("/api/v1/time-off/requests/{grace_request}/decline"), json!({"note": "we pour that day"}))
        .await;
    assert_eq!(declined.status(), StatusCode::OK);
    let mine = c.mine(&c.grace, "2468").await;
    assert_eq!(
        (mine["requests"][0]["status"].as_str(), mine["requests"][0]["answer"]["note"].as_str()),
        (Some("declined"), Some("we pour that day"))
    );
    // Grace withdraws nothing that is answered; a new one she may.
    let withdraw = json!({"employee_id": c.grace, "pin": "2468"});
    let refused = c.app.post(&c.device, &format!("/api/v1/device/time-off/requests/{grace_request}/withdraw"), withdraw.clone()).await;
    expect_error(refused, StatusCode::CONFLICT, "request_answered").await;
    let another = c.ask_on_clock(&c.grace, "2468", tuesday, tuesday).await;
    let withdrawn = c.app.post(&c.device, &format!("/api/v1/device/time-off/requests/{another}/withdraw"), withdraw).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    // Ada cannot withdraw Grace's through the clock: out of reach.
    let hers = json!({"employee_id": c.ada, "pin": "1357"});
    let response = c.app.post(&c.device, &format!("/api/v1/device/time-off/requests/{another}/withdraw"), hers).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

/// How many requests of Ada's the admin lists.
async fn requests_of_ada(c: &Crew) -> usize {
    let listed: Value = c.app.get(&c.admin.token, &format!("/api/v1/employees/{}/time-off", c.ada)).await.json().await.unwrap();
    listed.as_array().unwrap().len()
}

async fn bad_input_locks_and_other_companies_change_nothing(backend: Backend) {
    let c = crew(backend).await;
    let monday = a_monday_ahead();

    // A 422 names the field; nothing is written.
    let bad = |first: &str, extra: Value| {
        let mut body = json!({"employee_id": c.ada, "type_id": c.vacation, "first": first});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (body, field) in [
        (bad("2026-02-30", json!({})), "first"),
        (bad(&monday.to_string(), json!({"last": (monday - Duration::days(1)).to_string()})), "last"),
        (bad(&monday.to_string(), json!({"hours": "25"})), "hours"),
        (bad(&monday.to_string(), json!({"last": (monday + Duration::days(1)).to_string(), "hours": "4"})), "hours"),
        (bad(&monday.to_string(), json!({"type_id": uuid::Uuid::now_v7()})), "type_id"),
    ] {
        let response = c.app.post(&c.admin.token, "/api/v1/time-off/requests", body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
    }
    let unknown = c.app.post(&c.admin.token, "/api/v1/time-off/requests", bad(&monday.to_string(), json!({"days": 3}))).await;
    assert!(unknown.status().is_client_error(), "an unknown field is refused");
    assert_eq!(requests_of_ada(&c).await, 0, "no refused request was written");

    // Only an admin changes types, balances and holidays.
    let jury = json!({"kind": "custom", "name": "Jury duty", "paid": true, "codes": {"adp_run_earnings_code": "JUR"}});
    expect_error(c.app.post(&c.sue, "/api/v1/time-off/types", jury.clone()).await, StatusCode::FORBIDDEN, "admins_only").await;
    let adjust = json!({"type_id": c.vacation, "kind": "starting", "hours": "8", "reason": "x"});
    let response = c.app.post(&c.sue, &format!("/api/v1/employees/{}/time-off/adjustments", c.ada), adjust).await;
    expect_error(response, StatusCode::FORBIDDEN, "admins_only").await;
    let holidays = json!({"year": 2026, "holidays": [{"date": "2026-12-25", "name": "Christmas", "hours": "8"}]});
    expect_error(c.app.put(&c.sue, "/api/v1/time-off/holidays", holidays.clone()).await, StatusCode::FORBIDDEN, "admins_only").await;
    // An admin's: a type's name is unique case aside; a holiday line outside its year is named.
    assert_eq!(c.app.post(&c.admin.token, "/api/v1/time-off/types", jury.clone()).await.status(), StatusCode::CREATED);
    let twice = json!({"kind": "custom", "name": "JURY DUTY", "paid": true});
    let response = c.app.post(&c.admin.token, "/api/v1/time-off/types", twice).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "name");
    let outside = json!({"year": 2026, "holidays": [{"date": "2027-01-01", "name": "New Year", "hours": "8"}]});
    let response = c.app.put(&c.admin.token, "/api/v1/time-off/holidays", outside).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "date");
    assert_eq!(c.app.put(&c.admin.token, "/api/v1/time-off/holidays", holidays).await.status(), StatusCode::OK);
    let set: Value = c.app.get(&c.sue, "/api/v1/time-off/holidays?year=2026").await.json().await.unwrap();
    assert_eq!(set["holidays"][0]["name"], "Christmas");

    // Another company's ids are not found, and its type cannot be asked for.
    let other = c.app.admin("bo@other.test").await;
    let theirs: Value = c.app.get(&other.token, "/api/v1/time-off/types").await.json().await.unwrap();
    let their_type = theirs[0]["id"].as_str().unwrap();
    let response = c.app.post(&c.admin.token, "/api/v1/time-off/requests", bad(&monday.to_string(), json!({"type_id": their_type}))).await;
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "type_id");
    let ada_request = c.ask_on_clock(&c.ada, "1357", monday, monday).await;
    for path in [format!("/api/v1/time-off/requests/{ada_request}"), format!("/api/v1/employees/{}/time-off", c.ada)] {
        expect_error(c.app.get(&other.token, &path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = c.app.post(&other.token, &format!("/api/v1/time-off/requests/{ada_request}/approve"), json!({})).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = c.app.put(&other.token, &format!("/api/v1/time-off/types/{}", c.vacation), jury).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let still: Value = c.app.get(&c.admin.token, &format!("/api/v1/time-off/requests/{ada_request}")).await.json().await.unwrap();
    assert_eq!(still["status"], "requested");

    // Ada's card of this week approved: a day in it is refused until the card is reopened.
    let start = this_monday();
    let approved = c.app.post(&c.admin.token, &format!("/api/v1/payroll/periods/{start}/approve"), json!({"employee_id": c.ada})).await;
    assert_eq!(approved.status(), StatusCode::NO_CONTENT, "{}", approved.text().await.unwrap());
    let in_it = json!({"employee_id": c.ada, "type_id": c.vacation, "first": start.to_string()});
    let before = requests_of_ada(&c).await;
    let refused = c.app.post(&c.sue, "/api/v1/time-off/requests", in_it.clone()).await;
    assert!(expect_error(refused, StatusCode::CONFLICT, "period_locked").await.contains("reopen"));
    assert_eq!(requests_of_ada(&c).await, before);
    let reopened = c
        .app
        .post(&c.admin.token, &format!("/api/v1/payroll/periods/{start}/reopen"), json!({"employee_id": c.ada, "reason": "her day off"}))
        .await;
    assert_eq!(reopened.status(), StatusCode::NO_CONTENT, "{}", reopened.text().await.unwrap());
    assert_eq!(c.app.post(&c.sue, "/api/v1/time-off/requests", in_it).await.status(), StatusCode::CREATED);
}

/// A request kept on a phone while offline is sent later with its client id and its PIN sealed
/// for it: it is asked once however often it is sent; a different request under the same id, a
/// wrong PIN or a seal made for another request asks nothing. A role may forbid asking on the
/// clock (403 saying why, nothing written), while the office still asks for its holders.
async fn an_offline_request_arrives_once_and_a_role_may_forbid_asking(backend: Backend) {
    let c = crew(backend).await;
    let monday = a_monday_ahead();
    let key = c.app.running.state.settings.pin_seal.clone().unwrap();
    let client = uuid::Uuid::now_v7().to_string();
    let kept = |pin: &str, sealed_for: &str, first: NaiveDate| {
        let mut body = c.on_clock(&c.ada, "", first, first);
        let object = body.as_object_mut().unwrap();
        object.remove("pin");
        object.insert("client_id".into(), json!(client));
        object.insert("sealed_pin".into(), serde_json::to_value(key.seal(pin, sealed_for)).unwrap());
        body
    };
    let send = |body: Value| c.app.post(&c.device, "/api/v1/device/time-off/requests", body);

    let wrong = send(kept("9999", &client, monday)).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "a wrong PIN, sealed, is judged like a typed one");
    let moved = send(kept("1357", &uuid::Uuid::now_v7().to_string(), monday)).await;
    expect_error(moved, StatusCode::UNPROCESSABLE_ENTITY, "pin_not_opened").await;
    assert_eq!(requests_of_ada(&c).await, 0);

    let first = send(kept("1357", &client, monday)).await;
    assert_eq!(first.status(), StatusCode::CREATED, "{}", first.text().await.unwrap());
    let again = send(kept("1357", &client, monday)).await;
    assert_eq!(again.status(), StatusCode::OK, "a resend answers the request already asked");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], client.as_str(), "the client id is the request's id");
    assert_eq!(again["status"], "requested");
    let other_days = send(kept("1357", &client, monday + Duration::days(1))).await;
    expect_error(other_days, StatusCode::CONFLICT, "client_id_reused").await;
    assert_eq!(requests_of_ada(&c).await, 1, "asked exactly once");

    // A role without "May ask for time off": refused on the clock with the reason, nothing written.
    let office = c.app.role(&c.admin, "Office", json!({"ask_time_off": false})).await;
    let bo = c.app.employee(&c.admin, "Bo Rivera", "3", &office, Some("8642")).await;
    let roles: Value = c.app.get(&c.admin.token, "/api/v1/roles").await.json().await.unwrap();
    let may_ask = |name: &str| roles.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()["abilities"]["ask_time_off"].clone();
    assert_eq!((may_ask("Office"), may_ask("Crew")), (json!(false), json!(true)), "on unless turned off");
    for path in ["/api/v1/device/time-off/preview", "/api/v1/device/time-off/requests"] {
        let response = c.app.post(&c.device, path, c.on_clock(&bo, "8642", monday, monday)).await;
        let message = expect_error(response, StatusCode::FORBIDDEN, "time_off_not_allowed").await;
        assert!(message.contains("Bo Rivera") && message.contains("Office"), "it says whose role: {message}");
    }
    let listed: Value = c.app.get(&c.admin.token, &format!("/api/v1/employees/{bo}/time-off")).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0, "nothing was written");
    let for_bo = json!({"employee_id": bo, "type_id": c.vacation, "first": monday.to_string()});
    assert_eq!(
        c.app.post(&c.admin.token, "/api/v1/time-off/requests", for_bo).await.status(),
        StatusCode::CREATED,
        "the office still asks"
    );
}

#[tokio::test]
async fn an_offline_request_arrives_once_and_a_role_may_forbid_asking_on_sqlite() {
    an_offline_request_arrives_once_and_a_role_may_forbid_asking(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_offline_request_arrives_once_and_a_role_may_forbid_asking_on_postgres() {
    an_offline_request_arrives_once_and_a_role_may_forbid_asking(Backend::Postgres).await;
}

#[tokio::test]
async fn a_worker_asks_on_the_clock_and_the_supervisor_answers_on_sqlite() {
    a_worker_asks_on_the_clock_and_the_supervisor_answers(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_worker_asks_on_the_clock_and_the_supervisor_answers_on_postgres() {
    a_worker_asks_on_the_clock_and_the_supervisor_answers(Backend::Postgres).await;
}

#[tokio::test]
async fn bad_input_locks_and_other_companies_change_nothing_on_sqlite() {
    bad_input_locks_and_other_companies_change_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_input_locks_and_other_companies_change_nothing_on_postgres() {
    bad_input_locks_and_other_companies_change_nothing(Backend::Postgres).await;
}
