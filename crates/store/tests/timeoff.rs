//! Time off in the store, written once and run against both backends (each test becomes
//! `<name>::sqlite` and `<name>::postgres`, on a fresh database): a company's types (the defaults
//! given once, names unique case aside), a request stored with its first event and answered by
//! appending (an answer that comes second is refused), approved pay periods refusing time off,
//! the lists a supervisor reads, the admins' ledger lines and the holiday calendar. Every
//! refusal leaves nothing behind, not even its audit line; nothing reaches another company.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId, TimeOffTypeId};
use clockface_domain::payroll::PayPeriod;
use clockface_domain::timeoff::accrual::AdjustmentKind;
use clockface_domain::timeoff::kind::{default_types, TimeOffTypeFields};
use clockface_domain::timeoff::request::{Actor, RequestEvent, RequestFields};
use clockface_domain::timeoff::{
    AccrualPolicy, Adjustment, Holiday, HolidayCalendar, RequestSpan, RequestStatus, TimeOffKind, TimeOffPayCodes, TimeOffRequest,
    TimeOffTypeName,
};
use clockface_domain::user::UserRole;
use clockface_store::*;
use std::sync::Arc;

type Db = Arc<dyn Store>;

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let folder = tempfile::tempdir().expect("temp folder");
                let url = clockface_store::testing::sqlite_url(folder.path());
                let store = clockface_store::connect(&url).await.expect("sqlite store");
                super::$test(store, url).await;
            }

            #[tokio::test]
            async fn postgres() {
                let url = clockface_store::testing::fresh_postgres_url().await;
                let store = clockface_store::connect(&url).await.expect("postgres store");
                super::$test(store, url).await;
            }
        }
    )*};
}

on_both_backends!(
    a_company_is_given_the_default_types_once,
    type_names_are_unique_in_a_company_case_aside,
    a_request_is_stored_with_its_first_event_and_answers_are_appended,
    a_second_answer_to_the_same_request_is_refused,
    an_approved_pay_period_refuses_time_off_and_keeps_nothing,
    nothing_of_time_off_reaches_another_company,
    pending_requests_are_listed_and_counted_per_supervisor,
    answered_requests_are_listed_latest_first_per_supervisor,
    approved_time_off_is_found_by_its_days,
    ledger_lines_are_added_never_changed,
    holidays_are_set_per_year,
    the_history_and_the_ledger_lines_cannot_be_changed_even_in_sql,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).single().unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn line(company: CompanyId, action: &str) -> AuditEntry {
    AuditEntry {
        company_id: company,
        at: now(),
        actor: "admin:x".into(),
        action: action.into(),
        subject: "time_off".into(),
        detail: "d".into(),
        employee: None,
    }
}

async fn actions(store: &Db, company: CompanyId) -> Vec<String> {
    store.audit_log(company, 100).await.unwrap().into_iter().rev().map(|e| e.action).collect()
}

/// A company (Chicago) with its admin, two employees and the default types.
struct Acme {
    company: CompanyId,
    admin: AdminId,
    ana: EmployeeId,
    bo: EmployeeId,
    vacation: TimeOffTypeId,
}

async fn acme(store: &Db, email: &str) -> Acme {
    let (company, admin) = store
        .create_company(NewCompany {
            name: CompanyName::parse("Acme Paving").unwrap(),
            time_zone: chrono_tz::America::Chicago,
            admin_email: Email::parse(email).unwrap(),
            admin_password_hash: "$argon2id$fake".into(),
            now: now(),
            min_pin_digits: 6,
        })
        .await
        .unwrap();
    let company = company.id;
    let role = store.roles(company).await.unwrap()[0].0.id;
    let mut ids = Vec::new();
    for (name, number) in [("Ana Lopez", "1"), ("Bo Diaz", "2")] {
        let fields = EmployeeFields {
            name: EmployeeName::parse(name).unwrap(),
            number: EmployeeNumber::parse(number).unwrap(),
            role_id: role,
            active: true,
            pin: PinChange::Keep,
        };
        ids.push(store.create_employee(company, &fields).await.unwrap().id);
    }
    store.seed_time_off_types(company, &default_types(), now(), &line(company, "time_off.types_created")).await.unwrap();
    let vacation = store.time_off_types(company).await.unwrap()[0].id;
    Acme { company, admin, ana: ids[0], bo: ids[1], vacation }
}

fn asked(employee: EmployeeId, type_id: TimeOffTypeId, span: RequestSpan) -> TimeOffRequest {
    let fields = RequestFields { span, note: "family visit".into() };
    TimeOffRequest::ask(employee, type_id, fields, Actor::Employee(employee), now()).unwrap()
}

fn days(first: NaiveDate, last: NaiveDate) -> RequestSpan {
    RequestSpan::days(first, last).unwrap()
}

fn answer(status: RequestStatus, by: AdminId, note: &str) -> RequestEvent {
    RequestEvent { status, by: Actor::User(by), at: now() + Duration::hours(1), note: note.into() }
}

fn custom(name: &str) -> TimeOffTypeFields {
    TimeOffTypeFields {
        kind: TimeOffKind::Custom,
        name: TimeOffTypeName::parse(name).unwrap(),
        paid: true,
        codes: TimeOffPayCodes { adp_run_earnings_code: "JUR".into(), ..TimeOffPayCodes::default() },
        policy: Some(AccrualPolicy::california_sick()),
        active: true,
    }
}

async fn a_company_is_given_the_default_types_once(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let types = store.time_off_types(a.company).await.unwrap();
    let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Vacation", "Sick", "Holiday", "Unpaid"], "in the domain's order");
    assert_eq!(types[0].codes.adp_run_earnings_code, "VAC");
    assert!(!types[3].paid);
    assert!(types.iter().all(|t| t.company_id == a.company && t.active && t.policy.is_none()));
    // A second first use (another request at the same moment) finds them and writes nothing.
    let again = store.seed_time_off_types(a.company, &default_types(), now(), &line(a.company, "time_off.types_created")).await.unwrap();
    assert!(!again);
    assert_eq!(store.time_off_types(a.company).await.unwrap(), types);
    assert_eq!(actions(&store, a.company).await, ["time_off.types_created"]);
}

async fn type_names_are_unique_in_a_company_case_aside(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let jury =
        store.save_time_off_type(a.company, None, &custom("Jury duty"), now(), &line(a.company, "time_off.type_added")).await.unwrap();
    assert_eq!((jury.name.as_str(), jury.codes.adp_run_earnings_code.as_str()), ("Jury duty", "JUR"));
    assert_eq!(jury.policy, Some(AccrualPolicy::california_sick()), "the policy is kept as it was given");
    let before = actions(&store, a.company).await;
    let taken = store.save_time_off_type(a.company, None, &custom("JURY DUTY"), now(), &line(a.company, "time_off.type_added")).await;
    assert!(matches!(taken, Err(StoreError::Duplicate(Unique::TimeOffTypeName))), "{taken:?}");
    let renamed = store.save_time_off_type(a.company, Some(jury.id), &custom("vacation"), now(), &line(a.company, "x")).await;
    assert!(matches!(renamed, Err(StoreError::Duplicate(Unique::TimeOffTypeName))), "{renamed:?}");
    assert_eq!(actions(&store, a.company).await, before, "a refused type leaves no audit line");
    // Another company may use the name; a type is changed in place only in its own company.
    let other = acme(&store, "b@other.example").await;
    store.save_time_off_type(other.company, None, &custom("Jury duty"), now(), &line(other.company, "x")).await.unwrap();
    let foreign = store.save_time_off_type(other.company, Some(jury.id), &custom("Mine"), now(), &line(other.company, "x")).await;
    assert!(matches!(foreign, Err(StoreError::NotFound)), "{foreign:?}");
    let inactive = TimeOffTypeFields { active: false, ..custom("Jury duty") };
    let changed = store.save_time_off_type(a.company, Some(jury.id), &inactive, now(), &line(a.company, "x")).await.unwrap();
    assert!(!changed.active);
}

async fn a_request_is_stored_with_its_first_event_and_answers_are_appended(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let request = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 16)));
    store.insert_time_off_request(a.company, &request, &[], &line(a.company, "time_off.requested")).await.unwrap();
    assert_eq!(store.time_off_request(a.company, request.id).await.unwrap(), request, "read back as written, its history too");

    let approved = answer(RequestStatus::Approved, a.admin, "enjoy");
    store
        .answer_time_off_request(a.company, request.id, RequestStatus::Requested, &approved, &[], &line(a.company, "time_off.approved"))
        .await
        .unwrap();
    let read = store.time_off_request(a.company, request.id).await.unwrap();
    assert_eq!(read.status(), RequestStatus::Approved);
    assert_eq!(read.history.len(), 2);
    assert_eq!(read.history[0], request.history[0], "the asking is kept as it was");
    assert_eq!(read.answer(), Some(&approved));
    let cancelled = answer(RequestStatus::Cancelled, a.admin, "plans changed");
    store
        .answer_time_off_request(a.company, request.id, RequestStatus::Approved, &cancelled, &[], &line(a.company, "time_off.cancelled"))
        .await
        .unwrap();
    let read = store.time_off_request(a.company, request.id).await.unwrap();
    let statuses: Vec<RequestStatus> = read.history.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [RequestStatus::Requested, RequestStatus::Approved, RequestStatus::Cancelled]);
    assert_eq!(
        actions(&store, a.company).await,
        ["time_off.types_created", "time_off.requested", "time_off.approved", "time_off.cancelled"]
    );

    // A partial day keeps its hours.
    let partial = asked(a.ana, a.vacation, RequestSpan::hours(day(2026, 12, 21), 4 * 3600 + 1800).unwrap());
    store.insert_time_off_request(a.company, &partial, &[], &line(a.company, "time_off.requested")).await.unwrap();
    assert_eq!(store.time_off_request(a.company, partial.id).await.unwrap().span, partial.span);
}

async fn a_second_answer_to_the_same_request_is_refused(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let request = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14)));
    store.insert_time_off_request(a.company, &request, &[], &line(a.company, "time_off.requested")).await.unwrap();
    let declined = answer(RequestStatus::Declined, a.admin, "short-handed that week");
    store
        .answer_time_off_request(a.company, request.id, RequestStatus::Requested, &declined, &[], &line(a.company, "time_off.declined"))
        .await
        .unwrap();
    let before = actions(&store, a.company).await;
    // An approval read the request while it was still asked; the decline came first.
    let late = answer(RequestStatus::Approved, a.admin, "");
    let refused = store
        .answer_time_off_request(a.company, request.id, RequestStatus::Requested, &late, &[], &line(a.company, "time_off.approved"))
        .await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    let read = store.time_off_request(a.company, request.id).await.unwrap();
    assert_eq!((read.status(), read.history.len()), (RequestStatus::Declined, 2));
    assert_eq!(actions(&store, a.company).await, before);
}

async fn an_approved_pay_period_refuses_time_off_and_keeps_nothing(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let period = PayPeriod { start: day(2026, 11, 23), end: day(2026, 11, 29) };
    let approval = Approval {
        period,
        window: (now() - Duration::days(3), now() + Duration::days(4)),
        approved_by: a.admin,
        approved_at: now(),
        figures: None,
    };
    let new = NewApproval {
        of: ApprovalOf::Card(a.ana),
        approval: approval.clone(),
        figures: vec![],
        corrections_counted: 0,
        counted_in: approval.window,
    };
    store.approve(a.company, &new, &line(a.company, "card.approved")).await.unwrap();
    let before = actions(&store, a.company).await;

    let request = asked(a.ana, a.vacation, days(day(2026, 11, 24), day(2026, 11, 24)));
    let refused = store.insert_time_off_request(a.company, &request, &[period.start], &line(a.company, "time_off.requested")).await;
    assert!(matches!(refused, Err(StoreError::Locked)), "{refused:?}");
    assert!(matches!(store.time_off_request(a.company, request.id).await, Err(StoreError::NotFound)));
    assert_eq!(actions(&store, a.company).await, before, "no audit line for a request that was not made");
    // Bo's card is not approved: his request in the same period is taken.
    let bos = asked(a.bo, a.vacation, days(day(2026, 11, 24), day(2026, 11, 24)));
    store.insert_time_off_request(a.company, &bos, &[period.start], &line(a.company, "time_off.requested")).await.unwrap();

    // Asked before the approval: approving it now is refused, and the request stays asked.
    let earlier = asked(a.ana, a.vacation, days(day(2026, 11, 25), day(2026, 11, 25)));
    store.insert_time_off_request(a.company, &earlier, &[], &line(a.company, "time_off.requested")).await.unwrap();
    let approved = answer(RequestStatus::Approved, a.admin, "");
    let refused = store
        .answer_time_off_request(a.company, earlier.id, RequestStatus::Requested, &approved, &[period.start], &line(a.company, "x"))
        .await;
    assert!(matches!(refused, Err(StoreError::Locked)), "{refused:?}");
    let read = store.time_off_request(a.company, earlier.id).await.unwrap();
    assert_eq!((read.status(), read.history.len()), (RequestStatus::Requested, 1));
    // Reopened, it is approved.
    assert!(store.reopen(a.company, Some(a.ana), period, &line(a.company, "card.reopened")).await.unwrap());
    store
        .answer_time_off_request(a.company, earlier.id, RequestStatus::Requested, &approved, &[period.start], &line(a.company, "x"))
        .await
        .unwrap();
}

async fn nothing_of_time_off_reaches_another_company(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let other = acme(&store, "b@other.example").await;
    // Another company's employee or type cannot be named in a request.
    for request in [
        asked(other.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14))),
        asked(a.ana, other.vacation, days(day(2026, 12, 14), day(2026, 12, 14))),
    ] {
        let refused = store.insert_time_off_request(a.company, &request, &[], &line(a.company, "time_off.requested")).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    }
    let request = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14)));
    store.insert_time_off_request(a.company, &request, &[], &line(a.company, "time_off.requested")).await.unwrap();
    assert!(matches!(store.time_off_request(other.company, request.id).await, Err(StoreError::NotFound)));
    let approved = answer(RequestStatus::Approved, other.admin, "");
    let refused =
        store.answer_time_off_request(other.company, request.id, RequestStatus::Requested, &approved, &[], &line(other.company, "x")).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert_eq!(store.time_off_request(a.company, request.id).await.unwrap().history.len(), 1);
    assert!(store.pending_time_off_requests(other.company, None, 50).await.unwrap().is_empty());
    assert_eq!(store.count_pending_time_off_requests(other.company, None).await.unwrap(), 0);
    assert!(store.employee_time_off_requests(other.company, a.ana, day(2026, 1, 1), day(2027, 1, 1)).await.unwrap().is_empty());
    let adjustment = Adjustment::new(AdjustmentKind::Starting, day(2026, 1, 1), 3600, "carried in", other.admin).unwrap();
    let refused =
        store.insert_time_off_adjustment(other.company, a.ana, other.vacation, &adjustment, now(), &line(other.company, "x")).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert!(store.time_off_adjustments(a.company, a.ana).await.unwrap().is_empty());
}

/// Sam, a supervisor to whom Ana is assigned (Bo is not).
async fn supervisor_of_ana(store: &Db, a: &Acme) -> AdminId {
    let new = NewUser {
        email: Email::parse("sam@acme.example").unwrap(),
        name: String::new(),
        role: UserRole::Supervisor,
        invited_by: a.admin,
        now: now(),
    };
    let link = NewInvitation { token_hash: "link".into(), created_at: now(), expires_at: now() + Duration::days(7) };
    let sam = store.invite_user(a.company, &new, &link, &line(a.company, "user.invited")).await.unwrap().id;
    store.set_assigned_employees(a.company, sam, &[a.ana], &line(a.company, "user.employees_assigned")).await.unwrap();
    sam
}

async fn pending_requests_are_listed_and_counted_per_supervisor(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let sam = supervisor_of_ana(&store, &a).await;

    let later = asked(a.ana, a.vacation, days(day(2026, 12, 21), day(2026, 12, 22)));
    let sooner = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14)));
    let bos = asked(a.bo, a.vacation, days(day(2026, 12, 15), day(2026, 12, 15)));
    let answered = asked(a.ana, a.vacation, days(day(2026, 12, 1), day(2026, 12, 1)));
    for r in [&later, &sooner, &bos, &answered] {
        store.insert_time_off_request(a.company, r, &[], &line(a.company, "time_off.requested")).await.unwrap();
    }
    let approved = answer(RequestStatus::Approved, a.admin, "");
    store.answer_time_off_request(a.company, answered.id, RequestStatus::Requested, &approved, &[], &line(a.company, "x")).await.unwrap();

    let ids = |list: Vec<TimeOffRequest>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.pending_time_off_requests(a.company, None, 50).await.unwrap()), [sooner.id, bos.id, later.id], "soonest first");
    assert_eq!(ids(store.pending_time_off_requests(a.company, Some(sam), 50).await.unwrap()), [sooner.id, later.id], "Sam's employee only");
    assert_eq!(ids(store.pending_time_off_requests(a.company, None, 1).await.unwrap()), [sooner.id]);
    assert_eq!(store.count_pending_time_off_requests(a.company, None).await.unwrap(), 3);
    assert_eq!(store.count_pending_time_off_requests(a.company, Some(sam)).await.unwrap(), 2);
    let listed = store.pending_time_off_requests(a.company, None, 50).await.unwrap();
    assert!(listed.iter().all(|r| r.history.len() == 1 && r.note() == "family visit"), "each with its history");
}

async fn answered_requests_are_listed_latest_first_per_supervisor(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let sam = supervisor_of_ana(&store, &a).await;

    let approved = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14)));
    let declined = asked(a.ana, a.vacation, days(day(2026, 12, 15), day(2026, 12, 15)));
    let bos = asked(a.bo, a.vacation, days(day(2026, 12, 16), day(2026, 12, 16)));
    let old = asked(a.ana, a.vacation, days(day(2026, 12, 17), day(2026, 12, 17)));
    let open = asked(a.ana, a.vacation, days(day(2026, 12, 18), day(2026, 12, 18)));
    for r in [&approved, &declined, &bos, &old, &open] {
        store.insert_time_off_request(a.company, r, &[], &line(a.company, "time_off.requested")).await.unwrap();
    }
    let at = |hours: i64, status, note: &str| RequestEvent { at: now() + Duration::hours(hours), ..answer(status, a.admin, note) };
    let answers = [
        (&old, at(-48, RequestStatus::Approved, "")),
        (&approved, at(1, RequestStatus::Approved, "")),
        (&bos, at(2, RequestStatus::Declined, "short-handed")),
        (&declined, at(3, RequestStatus::Declined, "short-handed")),
    ];
    for (r, event) in &answers {
        store.answer_time_off_request(a.company, r.id, RequestStatus::Requested, event, &[], &line(a.company, "x")).await.unwrap();
    }
    let ids = |list: Vec<TimeOffRequest>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let since = now() - Duration::hours(24);
    let all = store.answered_time_off_requests(a.company, None, since, 50).await.unwrap();
    assert_eq!(ids(all.clone()), [declined.id, bos.id, approved.id], "the latest answer first; older answers and open requests left out");
    assert_eq!(all[0].answer().map(|e| e.note.as_str()), Some("short-handed"), "each with its answer");
    let sams = store.answered_time_off_requests(a.company, Some(sam), since, 50).await.unwrap();
    assert_eq!(ids(sams), [declined.id, approved.id], "Sam's employee only");
    assert_eq!(ids(store.answered_time_off_requests(a.company, None, since, 1).await.unwrap()), [declined.id]);
}

async fn approved_time_off_is_found_by_its_days(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    // Two weeks from 7 December; a day on 1 December; one asked but not approved.
    let long = asked(a.ana, a.vacation, days(day(2026, 12, 7), day(2026, 12, 18)));
    let short = asked(a.bo, a.vacation, days(day(2026, 12, 1), day(2026, 12, 1)));
    let open = asked(a.bo, a.vacation, days(day(2026, 12, 9), day(2026, 12, 9)));
    for r in [&long, &short, &open] {
        store.insert_time_off_request(a.company, r, &[], &line(a.company, "time_off.requested")).await.unwrap();
    }
    for r in [&long, &short] {
        let approved = answer(RequestStatus::Approved, a.admin, "");
        store.answer_time_off_request(a.company, r.id, RequestStatus::Requested, &approved, &[], &line(a.company, "x")).await.unwrap();
    }
    let found = |from, to| {
        let store = store.clone();
        async move { store.approved_time_off(a.company, from, to).await.unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>() }
    };
    assert_eq!(found(day(2026, 12, 14), day(2026, 12, 20)).await, [long.id], "a request that began the week before");
    assert_eq!(found(day(2026, 11, 30), day(2026, 12, 6)).await, [short.id]);
    assert_eq!(found(day(2026, 11, 30), day(2026, 12, 13)).await, [short.id, long.id]);
    assert!(found(day(2026, 12, 19), day(2026, 12, 31)).await.is_empty());
    // An employee's own list holds every status.
    let bos = store.employee_time_off_requests(a.company, a.bo, day(2026, 12, 1), day(2026, 12, 31)).await.unwrap();
    assert_eq!(bos.iter().map(|r| r.id).collect::<Vec<_>>(), [short.id, open.id]);
}

async fn ledger_lines_are_added_never_changed(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let starting = Adjustment::new(AdjustmentKind::Starting, day(2026, 1, 1), 40 * 3600, "from the old system", a.admin).unwrap();
    let fix = Adjustment::new(AdjustmentKind::Adjustment, day(2026, 6, 1), -4 * 3600, "typed twice", a.admin).unwrap();
    let first = store
        .insert_time_off_adjustment(a.company, a.ana, a.vacation, &starting, now(), &line(a.company, "time_off.balance_adjusted"))
        .await
        .unwrap();
    let second = store
        .insert_time_off_adjustment(a.company, a.ana, a.vacation, &fix, now(), &line(a.company, "time_off.balance_adjusted"))
        .await
        .unwrap();
    let lines = store.time_off_adjustments(a.company, a.ana).await.unwrap();
    assert_eq!(lines, [first, second], "both kept, in the order they count");
    assert_eq!(lines[0].adjustment, starting);
    assert_eq!(lines[1].adjustment.seconds, -4 * 3600);
    assert!(store.time_off_adjustments(a.company, a.bo).await.unwrap().is_empty());
    assert_eq!(actions(&store, a.company).await.iter().filter(|a| *a == "time_off.balance_adjusted").count(), 2);
}

async fn holidays_are_set_per_year(store: Db, _url: String) {
    let a = acme(&store, "a@acme.example").await;
    let calendar = |year, list: &[(NaiveDate, &str, i64)]| HolidayCalendar {
        year,
        holidays: list.iter().map(|(date, name, paid)| Holiday { date: *date, name: (*name).into(), paid_seconds: *paid }).collect(),
    };
    let y2026 = calendar(2026, &[(day(2026, 11, 26), "Thanksgiving", 8 * 3600), (day(2026, 12, 25), "Christmas", 8 * 3600)]);
    let y2027 = calendar(2027, &[(day(2027, 1, 1), "New Year", 0)]);
    store.set_holidays(a.company, &y2026, &line(a.company, "time_off.holidays_set")).await.unwrap();
    store.set_holidays(a.company, &y2027, &line(a.company, "time_off.holidays_set")).await.unwrap();
    assert_eq!(store.holidays(a.company, 2026, 2027).await.unwrap(), [y2026.clone(), y2027.clone()]);
    // Setting 2026 again replaces 2026 only.
    let fewer = calendar(2026, &[(day(2026, 12, 25), "Christmas Day", 4 * 3600)]);
    store.set_holidays(a.company, &fewer, &line(a.company, "time_off.holidays_set")).await.unwrap();
    assert_eq!(store.holidays(a.company, 2026, 2027).await.unwrap(), [fewer, y2027]);
    assert_eq!(store.holidays(a.company, 2025, 2025).await.unwrap(), [calendar(2025, &[])]);
    let other = acme(&store, "b@other.example").await;
    assert_eq!(store.holidays(other.company, 2026, 2026).await.unwrap(), [calendar(2026, &[])]);
}

async fn the_history_and_the_ledger_lines_cannot_be_changed_even_in_sql(store: Db, url: String) {
    use sqlx::Connection;
    let a = acme(&store, "a@acme.example").await;
    let request = asked(a.ana, a.vacation, days(day(2026, 12, 14), day(2026, 12, 14)));
    store.insert_time_off_request(a.company, &request, &[], &line(a.company, "time_off.requested")).await.unwrap();
    let starting = Adjustment::new(AdjustmentKind::Starting, day(2026, 1, 1), 8 * 3600, "carried in", a.admin).unwrap();
    store.insert_time_off_adjustment(a.company, a.ana, a.vacation, &starting, now(), &line(a.company, "x")).await.unwrap();
    let statements = [
        "UPDATE time_off_request_events SET note = 'rewritten'",
        "DELETE FROM time_off_request_events",
        "UPDATE time_off_adjustments SET seconds = 999999",
        "DELETE FROM time_off_adjustments",
    ];
    for statement in statements {
        let refused = if url.starts_with("sqlite:") {
            let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut connection).await.map(|_| ())
        } else {
            let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut connection).await.map(|_| ())
        };
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("only added to"), "{statement}: {message}");
    }
    assert_eq!(store.time_off_request(a.company, request.id).await.unwrap(), request);
    assert_eq!(store.time_off_adjustments(a.company, a.ana).await.unwrap()[0].adjustment, starting);
}
