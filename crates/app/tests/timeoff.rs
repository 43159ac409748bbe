//! Time off's use cases, without a server: an employee asks on the clock and sees the balance
//! before and after, a supervisor lists and approves (the negative-balance rule applied again),
//! reaching only their own employees; an approved pay period locks its time off until it is
//! reopened; balances accrue on the hours the cards count; a withdrawal is the employee's while
//! a request is asked; holidays are skipped by whole days; bad input is refused field by field.
//! A refusal changes nothing. Each test becomes `<name>::sqlite` and `<name>::postgres`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clockface_app::scope::Scope;
use clockface_app::timeoff::{self, AdjustBody, Answer, AskBody, Caller};
use clockface_app::AppError;
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId, PunchId, TimeOffTypeId};
use clockface_domain::punch::{Punch, PunchKind};
use clockface_domain::timeoff::accrual::{AccrualMethod, AdjustmentKind};
use clockface_domain::timeoff::holiday::HolidayInput;
use clockface_domain::timeoff::kind::TimeOffTypeInput;
use clockface_domain::timeoff::{AccrualPolicy, LedgerKind, RequestStatus, TimeOffPayCodes};
use clockface_domain::user::{Reach, UserRole};
use clockface_domain::DomainError;
use clockface_store::{AuditEntry, Store, StoreError};
use std::sync::Arc;

/// Acme (Chicago, weekly pay periods from Monday) with its admin, a supervisor (Sam) to whom
/// Ana is assigned, Ana and Bo, and a device; time-off types made 30 days before `t0` (Monday
/// 7 December 2026).
struct World {
    store: Arc<dyn Store>,
    acme: CompanyId,
    admin: AdminId,
    supervisor: AdminId,
    ana: EmployeeId,
    bo: EmployeeId,
    device: DeviceId,
    everyone: Reach,
    anas: Reach,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let common::Acme { store, acme, admin, supervisor, ana, bo, device } =
            common::acme(store, t0() - Duration::days(60), t0(), t0() - Duration::days(60)).await;
        let world = World {
            store,
            acme,
            admin,
            supervisor,
            ana,
            bo,
            device,
            everyone: Reach::Company,
            anas: Reach::of(supervisor, UserRole::Supervisor, [ana]),
        };
        // The company's types are given at first use, 30 days before t0.
        timeoff::types(world.s(), acme, t0() - Duration::days(30)).await.unwrap();
        world
    }

    fn s(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn admin(&self) -> Scope<'_> {
        Scope { company: self.acme, user: self.admin, role: UserRole::Admin, reach: &self.everyone }
    }

    fn supervisor(&self) -> Scope<'_> {
        Scope { company: self.acme, user: self.supervisor, role: UserRole::Supervisor, reach: &self.anas }
    }

    fn on_clock(&self, employee: EmployeeId) -> Caller<'static> {
        Caller::Employee { company: self.acme, employee }
    }

    async fn type_named(&self, name: &str) -> TimeOffTypeId {
        timeoff::types(self.s(), self.acme, t0()).await.unwrap().into_iter().find(|t| t.name.as_str() == name).unwrap().id
    }

    /// Gives Vacation a policy: nothing accrues, the balance may not go negative.
    async fn vacation_with_balance(&self) -> TimeOffTypeId {
        let id = self.type_named("Vacation").await;
        let input = TimeOffTypeInput {
            kind: "vacation".into(),
            name: "Vacation".into(),
            paid: true,
            codes: TimeOffPayCodes::defaults(clockface_domain::timeoff::TimeOffKind::Vacation),
            policy: Some(AccrualPolicy::manual()),
            active: true,
        };
        timeoff::save_type(self.s(), self.admin(), Some(id), input, t0()).await.unwrap();
        id
    }

    async fn starting_balance(&self, employee: EmployeeId, type_id: TimeOffTypeId, hours: &str) {
        let body = AdjustBody {
            type_id,
            kind: AdjustmentKind::Starting,
            hours: hours.into(),
            reason: "from the old system".into(),
            date: Some("2026-11-01".into()),
        };
        timeoff::adjust(self.s(), self.admin(), employee, &body, t0()).await.unwrap();
    }

    async fn punch(&self, employee: EmployeeId, kind: PunchKind, at: DateTime<Utc>) {
        let punch = Punch {
            id: PunchId::new(),
            company_id: self.acme,
            client_id: uuid::Uuid::new_v4(),
            employee_id: employee,
            device_id: self.device,
            kind,
            occurred_at: at,
            utc_offset_minutes: -360,
            received_at: at,
            clock_for_by: None,
            photo_sha256: None,
            no_photo_reason: Some(clockface_domain::punch::NoPhotoReason::NoFrontCamera),
            flagged: false,
            flags: Vec::new(),
            position: None,
            job_id: None,
            cost_code_id: None,
            no_position_reason: None,
            fence_distance_m: None,
            on_break: false,
            settings_version: 1,
            photo_rotation: None,
            burst: None,
            fingerprint: format!("fp {}", uuid::Uuid::new_v4()),
        };
        self.store.insert_punch(&punch, None).await.unwrap();
    }

    async fn audited(&self) -> Vec<AuditEntry> {
        self.store.audit_log(self.acme, 1000).await.unwrap()
    }
}

fn ask(employee: Option<EmployeeId>, type_id: TimeOffTypeId, first: &str, last: Option<&str>, hours: Option<&str>) -> AskBody {
    AskBody {
        employee_id: employee,
        type_id,
        first: first.into(),
        last: last.map(Into::into),
        hours: hours.map(Into::into),
        note: "family visit".into(),
        client_id: None,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 18, 0, 0).single().unwrap()
}

fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

const HOUR: i64 = 3600;

/// The field a refusal names (the first, for several).
fn field(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::Domain(DomainError::Invalid { field, .. }) => Some(field),
        AppError::Domain(DomainError::Several(all)) => all.first().and_then(|e| match e {
            DomainError::Invalid { field, .. } => Some(*field),
            _ => None,
        }),
        AppError::Invalid { field, .. } => *field,
        AppError::Several(all) => all.first().and_then(field),
        _ => None,
    }
}

/// Every field a refusal names.
fn fields(error: &AppError) -> Vec<&'static str> {
    match error {
        AppError::Several(all) => all.iter().filter_map(field).collect(),
        AppError::Domain(DomainError::Several(all)) => all
            .iter()
            .filter_map(|e| match e {
                DomainError::Invalid { field, .. } => Some(*field),
                _ => None,
            })
            .collect(),
        other => field(other).into_iter().collect(),
    }
}

fn not_found(result: &Result<impl std::fmt::Debug, AppError>) -> bool {
    matches!(result, Err(AppError::Store(StoreError::NotFound)))
}

on_both_backends!(
    an_employee_asks_on_the_clock_and_a_supervisor_approves,
    the_negative_rule_is_applied_again_at_approval,
    a_supervisor_reaches_only_their_employees,
    an_approved_period_locks_its_time_off_until_reopened,
    balances_accrue_on_the_hours_the_cards_count,
    an_employee_withdraws_only_what_is_still_asked,
    whole_days_skip_weekends_and_company_holidays,
    bad_input_is_refused_field_by_field_and_changes_nothing,
    a_card_carries_approved_time_off_beside_the_hours_worked_never_in_overtime,
);

async fn an_employee_asks_on_the_clock_and_a_supervisor_approves(w: World) {
    let vacation = w.vacation_with_balance().await;
    w.starting_balance(w.ana, vacation, "24").await;
    // Ana asks for Monday and Tuesday 14-15 December: 24 h before, 8 h after.
    let body = ask(None, vacation, "2026-12-14", Some("2026-12-15"), None);
    let seen = timeoff::preview_request(w.s(), w.on_clock(w.ana), &body, t0()).await.unwrap();
    let balance = seen.balance.unwrap();
    assert_eq!((balance.before_seconds, balance.requested_seconds, balance.after_seconds), (24 * HOUR, 16 * HOUR, 8 * HOUR));
    let asked = timeoff::ask(w.s(), w.on_clock(w.ana), &body, t0()).await.unwrap();
    assert_eq!((asked.request.status, asked.request.requested_seconds), (RequestStatus::Requested, 16 * HOUR));
    assert_eq!(asked.request.type_name, "Vacation");

    // Sam sees it waiting, and the count.
    let pending = timeoff::pending(w.s(), w.supervisor(), t0()).await.unwrap();
    assert_eq!(pending.iter().map(|r| r.id).collect::<Vec<_>>(), [asked.request.id]);
    assert_eq!(timeoff::pending_count(w.s(), w.supervisor()).await.unwrap(), 1);
    let approved = timeoff::answer(w.s(), w.supervisor(), asked.request.id, Answer::Approve, "have fun", t0()).await.unwrap();
    assert_eq!(approved.status, RequestStatus::Approved);
    assert_eq!(approved.answer.as_ref().map(|a| a.note.as_str()), Some("have fun"));
    assert_eq!(timeoff::pending_count(w.s(), w.supervisor()).await.unwrap(), 0);

    // The balance through the 15th has both days taken, each line naming the request.
    let balances = timeoff::balances(w.s(), w.on_clock(w.ana), w.ana, Some(day(12, 31)), t0()).await.unwrap();
    let vacation_balance = balances.iter().find(|b| b.type_id == vacation).unwrap();
    assert_eq!(vacation_balance.balance_seconds, 8 * HOUR);
    let taken: Vec<_> = vacation_balance.ledger.lines.iter().filter(|l| l.kind == LedgerKind::Taken).collect();
    assert_eq!(taken.len(), 2);
    assert!(taken.iter().all(|l| l.request_id == Some(asked.request.id)));
    // Ana reads the answer on the clock.
    let mine = timeoff::employee_requests(w.s(), w.on_clock(w.ana), w.ana, None, None, t0()).await.unwrap();
    assert_eq!(mine[0].answer.as_ref().map(|a| a.status), Some(RequestStatus::Approved));

    // Each change has its audit line, about Ana, by whom it was.
    let audit = w.audited().await;
    let requested = audit.iter().find(|e| e.action == "time_off.requested").unwrap();
    assert_eq!((requested.actor.as_str(), requested.employee), (format!("employee:{}", w.ana).as_str(), Some(w.ana)));
    let answered = audit.iter().find(|e| e.action == "time_off.approved").unwrap();
    assert_eq!(answered.actor, format!("admin:{}", w.supervisor));
    assert!(audit.iter().any(|e| e.action == "time_off.balance_adjusted" && e.employee == Some(w.ana)));
}

async fn the_negative_rule_is_applied_again_at_approval(w: World) {
    let vacation = w.vacation_with_balance().await;
    w.starting_balance(w.ana, vacation, "8").await;
    // Two requests of a day each: each fits the balance while asked, since neither is approved.
    let first = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-14", None, None), t0()).await.unwrap();
    let second = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-15", None, None), t0()).await.unwrap();
    // A third of two days goes below zero at once: refused, nothing written.
    let before = w.audited().await.len();
    let refused = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-16", Some("2026-12-17"), None), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("hours"), "{refused:?}");
    assert_eq!(w.audited().await.len(), before);

    timeoff::answer(w.s(), w.admin(), first.request.id, Answer::Approve, "", t0()).await.unwrap();
    let before = w.audited().await.len();
    let refused = timeoff::answer(w.s(), w.admin(), second.request.id, Answer::Approve, "", t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("hours"), "the balance moved since it was asked: {refused:?}");
    let still = timeoff::request(w.s(), Caller::User(w.admin()), second.request.id, t0()).await.unwrap();
    assert_eq!((still.status, still.history.len()), (RequestStatus::Requested, 1), "the refused approval left the request as it was");
    assert_eq!(w.audited().await.len(), before);
    // Declining needs a reason, then works.
    let refused = timeoff::answer(w.s(), w.admin(), second.request.id, Answer::Decline, "  ", t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("note"));
    timeoff::answer(w.s(), w.admin(), second.request.id, Answer::Decline, "no balance left", t0()).await.unwrap();
    let again = timeoff::answer(w.s(), w.admin(), second.request.id, Answer::Approve, "", t0()).await;
    assert_eq!(again.as_ref().err().and_then(AppError::code), Some("request_answered"));
}

async fn a_supervisor_reaches_only_their_employees(w: World) {
    let vacation = w.type_named("Vacation").await;
    let bos = timeoff::ask(w.s(), w.on_clock(w.bo), &ask(None, vacation, "2026-12-14", None, None), t0()).await.unwrap();
    let anas =
        timeoff::ask(w.s(), Caller::User(w.supervisor()), &ask(Some(w.ana), vacation, "2026-12-15", None, None), t0()).await.unwrap();
    assert_eq!(anas.request.history[0].by, clockface_domain::timeoff::request::Actor::User(w.supervisor));

    let listed: Vec<_> = timeoff::pending(w.s(), w.supervisor(), t0()).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(listed, [anas.request.id], "Sam lists Ana's only");
    assert_eq!(timeoff::pending(w.s(), w.admin(), t0()).await.unwrap().len(), 2, "the admin lists both");
    assert!(not_found(&timeoff::request(w.s(), Caller::User(w.supervisor()), bos.request.id, t0()).await));
    assert!(not_found(&timeoff::answer(w.s(), w.supervisor(), bos.request.id, Answer::Approve, "", t0()).await));
    assert!(not_found(&timeoff::cancel(w.s(), Caller::User(w.supervisor()), bos.request.id, "", t0()).await));
    assert!(not_found(
        &timeoff::ask(w.s(), Caller::User(w.supervisor()), &ask(Some(w.bo), vacation, "2026-12-16", None, None), t0()).await
    ));
    assert!(not_found(&timeoff::balances(w.s(), Caller::User(w.supervisor()), w.bo, None, t0()).await));
    assert!(not_found(&timeoff::employee_requests(w.s(), Caller::User(w.supervisor()), w.bo, None, None, t0()).await));
    // An employee on the clock reaches only themselves.
    assert!(not_found(&timeoff::request(w.s(), w.on_clock(w.ana), bos.request.id, t0()).await));
    assert!(not_found(&timeoff::ask(w.s(), w.on_clock(w.ana), &ask(Some(w.bo), vacation, "2026-12-16", None, None), t0()).await));
    assert!(not_found(&timeoff::cancel(w.s(), w.on_clock(w.ana), bos.request.id, "", t0()).await));
    let bos_now = timeoff::request(w.s(), Caller::User(w.admin()), bos.request.id, t0()).await.unwrap();
    assert_eq!((bos_now.status, bos_now.history.len()), (RequestStatus::Requested, 1), "nothing happened to Bo's request");
    // Only an admin changes types, balances and holidays.
    let body = AdjustBody { type_id: vacation, kind: AdjustmentKind::Starting, hours: "8".into(), reason: "x".into(), date: None };
    let refused = timeoff::adjust(w.s(), w.supervisor(), w.ana, &body, t0()).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("admins_only"));
    let refused = timeoff::set_holidays(w.s(), w.supervisor(), 2026, &[]).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("admins_only"));
}

async fn an_approved_period_locks_its_time_off_until_reopened(w: World) {
    let vacation = w.type_named("Vacation").await;
    // Asked before the week of 30 November is approved; then Ana's card is approved.
    let asked = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-02", None, None), t0()).await.unwrap();
    let week = clockface_app::payroll::period_of(w.s(), w.acme, Some(day(12, 2)), t0()).await.unwrap().0;
    clockface_app::payroll::approve(w.s(), w.admin(), week, Some(w.ana), false, t0()).await.unwrap();
    let before = w.audited().await.len();

    let refused = timeoff::answer(w.s(), w.admin(), asked.request.id, Answer::Approve, "", t0()).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("period_locked"), "{refused:?}");
    let refused = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-03", None, None), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("period_locked"), "{refused:?}");
    assert_eq!(w.audited().await.len(), before, "refused, nothing written");
    // Bo's card is not approved.
    timeoff::ask(w.s(), w.on_clock(w.bo), &ask(None, vacation, "2026-12-03", None, None), t0()).await.unwrap();

    clockface_app::payroll::reopen(w.s(), w.admin(), week, Some(w.ana), "add her vacation").await.unwrap();
    timeoff::answer(w.s(), w.admin(), asked.request.id, Answer::Approve, "", t0()).await.unwrap();
    // Approved again, the card locks cancelling the approved day.
    clockface_app::payroll::approve(w.s(), w.admin(), week, Some(w.ana), false, t0()).await.unwrap();
    let refused = timeoff::cancel(w.s(), Caller::User(w.admin()), asked.request.id, "changed plans", t0()).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("period_locked"), "{refused:?}");
    let still = timeoff::request(w.s(), Caller::User(w.admin()), asked.request.id, t0()).await.unwrap();
    assert_eq!(still.status, RequestStatus::Approved);
}

async fn balances_accrue_on_the_hours_the_cards_count(w: World) {
    // Sick gets California's policy (1 h per 30 worked, capped at 80 h); the type dates from 30
    // days before t0 (7 November), so hours worked before then earn nothing.
    let sick = w.type_named("Sick").await;
    let input = TimeOffTypeInput {
        kind: "sick".into(),
        name: "Sick".into(),
        paid: true,
        codes: TimeOffPayCodes::defaults(clockface_domain::timeoff::TimeOffKind::Sick),
        policy: Some(AccrualPolicy::california_sick()),
        active: true,
    };
    timeoff::save_type(w.s(), w.admin(), Some(sick), input, t0()).await.unwrap();
    // Ana works 10 hours (08:00 to 18:00 in Chicago) on 2 November, then on 9, 10 and 11 November.
    for d in [2, 9, 10, 11] {
        w.punch(w.ana, PunchKind::In, Utc.with_ymd_and_hms(2026, 11, d, 14, 0, 0).single().unwrap()).await;
        w.punch(w.ana, PunchKind::Out, Utc.with_ymd_and_hms(2026, 11, d + 1, 0, 0, 0).single().unwrap()).await;
    }
    let balances = timeoff::balances(w.s(), Caller::User(w.admin()), w.ana, None, t0()).await.unwrap();
    let sick_balance = balances.iter().find(|b| b.type_id == sick).unwrap();
    assert!(matches!(sick_balance.policy.method, AccrualMethod::PerHourWorked { .. }));
    // 30 hours since 7 November earn 1 hour; the 10 of 2 November earn nothing.
    assert_eq!(sick_balance.balance_seconds, HOUR);
    let accruals: Vec<_> = sick_balance.ledger.lines.iter().filter(|l| l.kind == LedgerKind::Accrual).collect();
    assert_eq!(accruals.iter().map(|l| l.date).collect::<Vec<_>>(), [day(11, 9), day(11, 10), day(11, 11)]);
    assert_eq!(accruals.iter().map(|l| l.seconds).sum::<i64>(), HOUR, "fractions add up to the hour, no second lost");
    assert!(accruals[0].why.contains("per 30.00 h worked"), "{}", accruals[0].why);
    // Bo worked nothing: no balance yet.
    let bos = timeoff::balances(w.s(), Caller::User(w.admin()), w.bo, None, t0()).await.unwrap();
    assert_eq!(bos.iter().find(|b| b.type_id == sick).unwrap().balance_seconds, 0);
    // Types with no policy keep no balance.
    assert!(balances.iter().all(|b| b.type_name != "Vacation"));
}

async fn an_employee_withdraws_only_what_is_still_asked(w: World) {
    let vacation = w.type_named("Vacation").await;
    let one = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-14", None, None), t0()).await.unwrap();
    let withdrawn = timeoff::cancel(w.s(), w.on_clock(w.ana), one.request.id, "not needed", t0()).await.unwrap();
    assert_eq!(withdrawn.status, RequestStatus::Cancelled);
    let two = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-15", None, Some("4.5")), t0()).await.unwrap();
    assert_eq!(two.request.requested_seconds, 4 * HOUR + 1800, "a partial day");
    timeoff::answer(w.s(), w.supervisor(), two.request.id, Answer::Approve, "", t0()).await.unwrap();
    let before = w.audited().await.len();
    let refused = timeoff::cancel(w.s(), w.on_clock(w.ana), two.request.id, "", t0()).await;
    assert_eq!(refused.as_ref().err().and_then(AppError::code), Some("request_answered"), "{refused:?}");
    assert_eq!(w.audited().await.len(), before);
    // Her supervisor may cancel it.
    let cancelled = timeoff::cancel(w.s(), Caller::User(w.supervisor()), two.request.id, "covered by Bo", t0()).await.unwrap();
    let statuses: Vec<_> = cancelled.history.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [RequestStatus::Requested, RequestStatus::Approved, RequestStatus::Cancelled]);
}

async fn whole_days_skip_weekends_and_company_holidays(w: World) {
    let holidays = [
        HolidayInput { date: "2026-12-25".into(), name: "Christmas".into(), hours: "8".into() },
        HolidayInput { date: "2026-12-24".into(), name: "Christmas Eve".into(), hours: "4".into() },
    ];
    let set = timeoff::set_holidays(w.s(), w.admin(), 2026, &holidays).await.unwrap();
    assert_eq!(set.holidays.iter().map(|h| h.date).collect::<Vec<_>>(), [day(12, 24), day(12, 25)], "in date order");
    assert_eq!(timeoff::holidays(w.s(), w.acme, 2026).await.unwrap(), set);
    let vacation = w.type_named("Vacation").await;
    // Tuesday 22 to Monday 28 December: Tuesday, Wednesday and Monday; Thursday and Friday are
    // holidays, then a weekend.
    let seen = timeoff::preview_request(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-22", Some("2026-12-28"), None), t0())
        .await
        .unwrap();
    assert_eq!(seen.days.iter().map(|d| d.date).collect::<Vec<_>>(), [day(12, 22), day(12, 23), day(12, 28)]);
    assert_eq!(seen.requested_seconds, 24 * HOUR);
    assert!(seen.balance.is_none(), "Vacation keeps no balance until it has a policy");
    // A request of holidays and a weekend only holds no working day.
    let refused = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-24", Some("2026-12-27"), None), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("first"), "{refused:?}");
    assert!(w.audited().await.iter().all(|e| e.action != "time_off.requested"));
}

async fn bad_input_is_refused_field_by_field_and_changes_nothing(w: World) {
    let vacation = w.type_named("Vacation").await;
    let before = w.audited().await.len();
    // Every field at once: a day that is not one, hours over a day, an unknown type.
    let bad = AskBody { note: "x".into(), ..ask(Some(w.ana), TimeOffTypeId::new(), "2026-13-01", None, Some("25")) };
    let refused = timeoff::ask(w.s(), Caller::User(w.admin()), &bad, t0()).await.unwrap_err();
    let named = fields(&refused);
    assert!(named.contains(&"first") && named.contains(&"type_id"), "{named:?}");
    // Hours for several days; the end before the start.
    let refused =
        timeoff::ask(w.s(), Caller::User(w.admin()), &ask(Some(w.ana), vacation, "2026-12-14", Some("2026-12-15"), Some("4")), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("hours"));
    let refused =
        timeoff::ask(w.s(), Caller::User(w.admin()), &ask(Some(w.ana), vacation, "2026-12-15", Some("2026-12-14"), None), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("last"));
    // A user must say whose.
    let refused = timeoff::ask(w.s(), Caller::User(w.admin()), &ask(None, vacation, "2026-12-14", None, None), t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("employee_id"));
    // A type named like another, case aside; an unpaid type that pays.
    let dup = TimeOffTypeInput {
        kind: "custom".into(),
        name: "VACATION".into(),
        paid: true,
        codes: TimeOffPayCodes::default(),
        policy: None,
        active: true,
    };
    let refused = timeoff::save_type(w.s(), w.admin(), None, dup, t0()).await;
    assert_eq!(refused.as_ref().err().and_then(field), Some("name"), "{refused:?}");
    let paid_unpaid = TimeOffTypeInput {
        kind: "unpaid".into(),
        name: "Leave".into(),
        paid: true,
        codes: TimeOffPayCodes::default(),
        policy: None,
        active: true,
    };
    assert_eq!(timeoff::save_type(w.s(), w.admin(), None, paid_unpaid, t0()).await.as_ref().err().and_then(field), Some("paid"));
    // An adjustment with no reason, on a type that keeps no balance, of hours that are not a number.
    let body = AdjustBody { type_id: vacation, kind: AdjustmentKind::Adjustment, hours: "lots".into(), reason: " ".into(), date: None };
    let named = fields(&timeoff::adjust(w.s(), w.admin(), w.ana, &body, t0()).await.unwrap_err());
    assert!(named.contains(&"type_id") && named.contains(&"hours"), "{named:?}");
    // A holiday calendar with a bad line is refused whole.
    let holidays = [
        HolidayInput { date: "2026-12-25".into(), name: "Christmas".into(), hours: "8".into() },
        HolidayInput { date: "2027-01-01".into(), name: "New Year".into(), hours: "8".into() },
    ];
    assert_eq!(timeoff::set_holidays(w.s(), w.admin(), 2026, &holidays).await.as_ref().err().and_then(field), Some("date"));
    assert!(timeoff::holidays(w.s(), w.acme, 2026).await.unwrap().holidays.is_empty());
    assert_eq!(w.audited().await.len(), before, "no refusal wrote anything");
    assert!(timeoff::employee_requests(w.s(), Caller::User(w.admin()), w.ana, None, None, t0()).await.unwrap().is_empty());
}

async fn a_card_carries_approved_time_off_beside_the_hours_worked_never_in_overtime(w: World) {
    // Ana works 10 hours Monday to Thursday, 30 November to 3 December (40 h, federal rule), and
    // takes Friday off; Thursday 3 December is also a company holiday paying 8 hours.
    for d in [30, 31, 32, 33] {
        let start = Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).single().unwrap() + Duration::days(d - 30);
        w.punch(w.ana, PunchKind::In, start).await;
        w.punch(w.ana, PunchKind::Out, start + Duration::hours(10)).await;
    }
    let holiday = [HolidayInput { date: "2026-12-03".into(), name: "Founders' Day".into(), hours: "8".into() }];
    timeoff::set_holidays(w.s(), w.admin(), 2026, &holiday).await.unwrap();
    let vacation = w.type_named("Vacation").await;
    let friday = timeoff::ask(w.s(), w.on_clock(w.ana), &ask(None, vacation, "2026-12-04", None, None), t0()).await.unwrap();
    // While it is only asked, the card has no vacation.
    let week = clockface_app::payroll::period_of(w.s(), w.acme, Some(day(12, 1)), t0()).await.unwrap().0;
    let row = |o: &clockface_app::payroll::Overview, e: EmployeeId| o.rows.iter().find(|r| r.employee.id == e).cloned().unwrap();
    let o = clockface_app::payroll::overview(w.s(), w.acme, chrono_tz::America::Chicago, week, None, t0()).await.unwrap();
    assert_eq!(row(&o, w.ana).time_off.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Holiday"]);
    timeoff::answer(w.s(), w.supervisor(), friday.request.id, Answer::Approve, "", t0()).await.unwrap();

    let o = clockface_app::payroll::overview(w.s(), w.acme, chrono_tz::America::Chicago, week, None, t0()).await.unwrap();
    let ana = row(&o, w.ana);
    assert_eq!(
        (ana.seconds, ana.pay.regular_seconds, ana.pay.overtime_seconds),
        (40 * HOUR, 40 * HOUR, 0),
        "48 h paid, 40 worked: no overtime"
    );
    let totals: Vec<(&str, i64, bool)> = ana.time_off.iter().map(|t| (t.name.as_str(), t.seconds, t.paid)).collect();
    assert_eq!(totals, [("Holiday", 8 * HOUR, true), ("Vacation", 8 * HOUR, true)]);
    let friday_line = ana.time_off_days.iter().find(|l| l.date == day(12, 4)).unwrap();
    assert_eq!(friday_line.source, clockface_domain::timeoff::TimeOffSource::Request(friday.request.id));
    // Bo has the holiday only; his worked hours are untouched.
    let bo = row(&o, w.bo);
    assert_eq!((bo.seconds, bo.time_off.len()), (0, 1));
}
