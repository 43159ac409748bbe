//! Web-app users over HTTP: an admin invites a supervisor (the link works once), assigns their
//! employees, and every path a supervisor may take is scoped to those employees (anyone else's
//! answers 404, exactly as for an employee that does not exist) while the admin-only paths answer
//! 403; access turned off ends the session; the invitation is e-mailed through a real SMTP
//! conversation when a server is configured, and shown to copy when none is.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The token at the end of an invitation link.
fn token_of(invited: &Value) -> String {
    let url = invited["invitation_url"].as_str().unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

async fn invite(app: &TestApp, admin: &Admin, email: &str, role: &str) -> Value {
    let response = app.post(&admin.token, "/api/v1/users", json!({"email": email, "name": "Sue Park", "role": role})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap()
}

async fn accept(app: &TestApp, token: &str, password: &str, again: &str) -> reqwest::Response {
    let body = json!({"token": token, "name": "Sue Park", "password": password, "password_again": again});
    app.client.post(app.url("/api/v1/invitations/accept")).json(&body).send().await.unwrap()
}

async fn status(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn supervisors_reach_only_their_employees(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    let mine = app.employee(&admin, "Ada Lovelace", "1", &role, Some("1357")).await;
    let theirs = app.employee(&admin, "Grace Hopper", "2", &role, Some("2468")).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;
    let (_, my_photo) = photo_punch_at(&app, &device, &mine, "in", FACE_JPEG, 3).await;
    let (theirs_punch, their_photo) = photo_punch_at(&app, &device, &theirs, "in", OTHER_FACE_JPEG, 3).await;

    // The invitation: a link that works once, after a good password typed twice.
    let invited = invite(&app, &admin, "Sue@Acme.test", "supervisor").await;
    assert_eq!(invited["user"]["email"], "sue@acme.test");
    assert_eq!(invited["user"]["status"], "invited");
    assert_eq!(invited["emailed"], false, "no SMTP server is configured");
    assert!(invited["invitation_url"].as_str().unwrap().starts_with(&format!("{}/admin/invitations/cfi_", app.base)), "{invited}");
    let sue = invited["user"]["id"].as_str().unwrap().to_owned();
    let link = token_of(&invited);
    let taken = app.post(&admin.token, "/api/v1/users", json!({"email": "sue@acme.test", "role": "admin"})).await;
    expect_error(taken, StatusCode::CONFLICT, "email_taken").await;
    let wrong_role = app.post(&admin.token, "/api/v1/users", json!({"email": "bo@acme.test", "role": "owner"})).await;
    assert!(expect_error(wrong_role, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await.contains("admin or supervisor"));
    assert_eq!(login(&app, "sue@acme.test", "").await.status(), StatusCode::UNAUTHORIZED, "no password until accepted");
    expect_error(accept(&app, &link, "short", "short").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let typo = accept(&app, &link, "a long password", "a long passw0rd").await;
    assert!(expect_error(typo, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await.contains("not the same"));
    assert_eq!(accept(&app, &link, "a long password", "a long password").await.status(), StatusCode::NO_CONTENT);
    expect_error(accept(&app, &link, "another password", "another password").await, StatusCode::GONE, "invitation_gone").await;
    let supervisor = app.sign_in("sue@acme.test", "a long password").await;
    let me: Value = app.get(&supervisor, "/api/v1/auth/me").await.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["assigned_employees"].as_array().map(Vec::len)), (Some("supervisor"), Some(0)));

    // Nobody assigned yet: a supervisor sees no one.
    let listed: Value = app.get(&supervisor, "/api/v1/employees").await.json().await.unwrap();
    assert_eq!(listed, json!([]));
    let assign = app.put(&admin.token, &format!("/api/v1/users/{sue}/employees"), json!({"employee_ids": [mine]})).await;
    assert_eq!(assign.status(), StatusCode::NO_CONTENT);
    let listed: Value = app.get(&supervisor, "/api/v1/employees").await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect::<Vec<_>>(), [mine.as_str()]);

    // Someone else's employee is as absent as one that does not exist, on every path.
    let ghost = uuid::Uuid::now_v7().to_string();
    let period = day_of_hours_ago(3);
    // A minute after the clock-in, so both fall in the one pay period that is approved below (an
    // hour later can be next week's when the run starts just after the week turns).
    let correction = json!({"action": "add", "kind": "out", "at": minutes_ago(179), "reason": "Forgot to clock out"});
    for (employee, punch) in [(&theirs, &theirs_punch), (&ghost, &ghost)] {
        let answers = [
            status(app.get(&supervisor, &format!("/api/v1/employees/{employee}")).await).await,
            status(app.get(&supervisor, &format!("/api/v1/employees/{employee}/timecard")).await).await,
            status(app.post(&supervisor, &format!("/api/v1/employees/{employee}/corrections"), correction.clone()).await).await,
            status(app.get(&supervisor, &format!("/api/v1/punches/{punch}")).await).await,
            status(app.get(&supervisor, &format!("/api/v1/punches/{punch}/verification")).await).await,
            status(app.post(&supervisor, &format!("/api/v1/punches/{punch}/review"), json!({"decision": "this_is_them"})).await).await,
        ];
        for (status, body) in answers {
            assert_eq!(status, StatusCode::NOT_FOUND, "{employee}: {body}");
            assert_eq!(body["error"]["message"], "not found", "the same answer as for no such employee: {body}");
        }
    }
    let overview: Value = app.get(&supervisor, &format!("/api/v1/payroll/periods?date={period}")).await.json().await.unwrap();
    let start = overview["period"]["start"].as_str().unwrap().to_owned();
    let approve_theirs = app.post(&supervisor, &format!("/api/v1/payroll/periods/{start}/approve"), json!({"employee_id": theirs})).await;
    assert_eq!(approve_theirs.status(), StatusCode::NOT_FOUND);
    let names: Vec<&str> = overview["employees"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Ada Lovelace"], "the overview lists only the supervisor's employees");
    // Photos: only their employees'.
    assert_eq!(app.get(&supervisor, &format!("/api/v1/photos/{my_photo}")).await.status(), StatusCode::OK);
    assert_eq!(app.get(&supervisor, &format!("/api/v1/photos/{their_photo}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&admin.token, &format!("/api/v1/photos/{their_photo}")).await.status(), StatusCode::OK);
    assert_eq!(app.get(&supervisor, "/api/v1/review-queue").await.status(), StatusCode::OK);

    // What only admins do answers 403 and says so.
    let forbidden = [
        app.get(&supervisor, "/api/v1/roles").await,
        app.post(&supervisor, "/api/v1/employees", json!({"name": "X", "number": "9", "role_id": role})).await,
        app.put(&supervisor, &format!("/api/v1/employees/{mine}"), json!({"name": "X", "number": "1", "role_id": role})).await,
        app.get(&supervisor, "/api/v1/devices").await,
        app.get(&supervisor, "/api/v1/users").await,
        app.get(&supervisor, "/api/v1/payroll/settings").await,
        app.get(&supervisor, "/api/v1/privacy/policy").await,
        app.get(&supervisor, "/api/v1/audit").await,
        app.get(&supervisor, &format!("/api/v1/payroll/periods/{start}/export?format=csv")).await,
        app.post(&supervisor, &format!("/api/v1/payroll/periods/{start}/approve"), json!({})).await,
        app.post(&supervisor, &format!("/api/v1/payroll/periods/{start}/reopen"), json!({"reason": "x"})).await,
        app.put(&supervisor, &format!("/api/v1/users/{sue}/employees"), json!({"employee_ids": [mine, theirs]})).await,
    ];
    for response in forbidden {
        let message = expect_error(response, StatusCode::FORBIDDEN, "admins_only").await;
        assert!(message.contains("supervisor"), "{message}");
    }

    // Their own employee: see, correct, approve.
    let card = app.get(&supervisor, &format!("/api/v1/employees/{mine}/timecard?from={period}")).await;
    assert_eq!(card.status(), StatusCode::OK);
    let fixed = app.post(&supervisor, &format!("/api/v1/employees/{mine}/corrections"), correction.clone()).await;
    assert_eq!(fixed.status(), StatusCode::CREATED);
    let approved = app.post(&supervisor, &format!("/api/v1/payroll/periods/{start}/approve"), json!({"employee_id": mine})).await;
    assert_eq!(approved.status(), StatusCode::NO_CONTENT);
    let refused = app.post(&supervisor, &format!("/api/v1/employees/{mine}/corrections"), correction.clone()).await;
    expect_error(refused, StatusCode::CONFLICT, "card_locked").await;
    // Then the admin approves the period (its photos are still to check: acknowledged); a
    // supervisor can no longer reopen the card.
    assert_eq!(
        app.post(&admin.token, &format!("/api/v1/payroll/periods/{start}/approve"), json!({"acknowledge_flags": true})).await.status(),
        StatusCode::NO_CONTENT
    );
    let reopen =
        app.post(&supervisor, &format!("/api/v1/payroll/periods/{start}/reopen"), json!({"employee_id": mine, "reason": "typo"})).await;
    expect_error(reopen, StatusCode::FORBIDDEN, "admins_only").await;

    // Nobody takes away their own admin rights or access.
    let me_admin: Value = app.get(&admin.token, "/api/v1/auth/me").await.json().await.unwrap();
    let own = format!("/api/v1/users/{}", me_admin["admin_id"].as_str().unwrap());
    let demote = app.put(&admin.token, &own, json!({"role": "supervisor", "active": true})).await;
    assert!(expect_error(demote, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await.contains("own admin rights"));
    // Access turned off: the session ends at once and signing in says why.
    let off = app.put(&admin.token, &format!("/api/v1/users/{sue}"), json!({"role": "supervisor", "active": false})).await;
    assert_eq!(off.status(), StatusCode::OK);
    assert_eq!(app.get(&supervisor, "/api/v1/employees").await.status(), StatusCode::UNAUTHORIZED);
    expect_error(login(&app, "sue@acme.test", "a long password").await, StatusCode::FORBIDDEN, "access_off").await;
    let users: Value = app.get(&admin.token, "/api/v1/users").await.json().await.unwrap();
    let statuses: Vec<(&str, &str)> =
        users.as_array().unwrap().iter().map(|u| (u["email"].as_str().unwrap(), u["status"].as_str().unwrap())).collect();
    assert_eq!(statuses, [("ana@acme.test", "active"), ("sue@acme.test", "off")]);

    // Another company reaches none of it.
    let other = app.admin("zed@other.test").await;
    assert_eq!(app.get(&other.token, &format!("/api/v1/users/{sue}")).await.status(), StatusCode::NOT_FOUND);
    let stranger = app.employee(&other, "Zed", "1", &app.role(&other, "Crew", json!({})).await, None).await;
    let wrong = app.put(&admin.token, &format!("/api/v1/users/{sue}/employees"), json!({"employee_ids": [stranger]})).await;
    expect_error(wrong, StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee").await;

    // Every step is in the audit log.
    let audit: Value = app.get(&admin.token, "/api/v1/audit").await.json().await.unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["user.invited", "user.accepted", "user.assigned", "user.changed", "card.approved", "period.approved"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // The audit log page names every user by e-mail, the supervisor as well as the admin reading it.
    let (session, _) = crate::inputs::page_session(&app, "ana@acme.test").await;
    let page = crate::inputs::browser().get(app.url("/admin/audit")).header(reqwest::header::COOKIE, session).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("<td>sue@acme.test</td>"), "the supervisor's correction is hers by e-mail");
    assert!(!html.contains(&format!("admin:{sue}")), "no user is a bare id");
}

#[tokio::test]
async fn supervisors_reach_only_their_employees_on_sqlite() {
    supervisors_reach_only_their_employees(Backend::Sqlite).await;
}

#[tokio::test]
async fn supervisors_reach_only_their_employees_on_postgres() {
    supervisors_reach_only_their_employees(Backend::Postgres).await;
}

/// A small SMTP server that takes one message and hands over what the client sent.
async fn smtp_server() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 mail.test ESMTP\r\n").await.unwrap();
        let mut transcript = String::new();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            transcript.push_str(&line);
            transcript.push('\n');
            let reply: &[u8] = if in_data {
                if line != "." {
                    continue;
                }
                in_data = false;
                b"250 queued\r\n"
            } else {
                match line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase().as_str() {
                    "EHLO" | "HELO" => b"250-mail.test\r\n250 8BITMIME\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                }
            };
            write.write_all(reply).await.unwrap();
        }
        transcript
    });
    (port, server)
}

#[tokio::test]
async fn an_invitation_is_e_mailed_when_an_smtp_server_is_configured() {
    let (port, server) = smtp_server().await;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        config.mail_from = Some("clockface <clock@acme.test>".into());
        config.public_url = Some("https://clock.acme.test/".into());
    })
    .await;
    let admin = app.admin("ana@acme.test").await;
    let invited = invite(&app, &admin, "sue@acme.test", "supervisor").await;
    assert_eq!(invited["emailed"], true, "{invited}");
    let url = invited["invitation_url"].as_str().unwrap();
    assert!(url.starts_with("https://clock.acme.test/admin/invitations/cfi_"), "links use the public address: {url}");
    let transcript = server.await.unwrap();
    // Quoted-printable soft line breaks are undone to read the link back.
    let unfolded = transcript.replace("=\n", "");
    assert!(transcript.contains("RCPT TO:<sue@acme.test>"), "{transcript}");
    assert!(transcript.contains("MAIL FROM:<clock@acme.test>"), "{transcript}");
    assert!(unfolded.contains(url), "the e-mail carries the link: {transcript}");
    assert!(unfolded.contains("Acme Paving"), "{transcript}");
    // The link from the e-mail works.
    assert_eq!(accept(&app, &token_of(&invited), "a long password", "a long password").await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_smtp_server_that_does_not_answer_still_leaves_a_link_to_copy() {
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        config.mail_from = Some("clock@acme.test".into());
    })
    .await;
    let admin = app.admin("ana@acme.test").await;
    let invited = invite(&app, &admin, "sue@acme.test", "admin").await;
    assert_eq!(invited["emailed"], false);
    assert!(invited["mail_error"].as_str().is_some_and(|m| !m.is_empty()), "{invited}");
    assert_eq!(accept(&app, &token_of(&invited), "a long password", "a long password").await.status(), StatusCode::NO_CONTENT);
    let newcomer = app.sign_in("sue@acme.test", "a long password").await;
    assert_eq!(app.get(&newcomer, "/api/v1/roles").await.status(), StatusCode::OK, "an invited admin may do everything");
}
