//! Payroll's rules, without a server: an approval freezes the figures it approves (a settings
//! change that would count them differently is refused until confirmed, then leaves them as they
//! were), a period with open flags is approved only when they are acknowledged, a reopening needs
//! a reason and something approved, settings are refused field by field, a company that exports
//! only approved periods gets no file of another (and nothing is recorded), and a supervisor sees
//! and approves only their own employees' cards. A refusal changes nothing. Each test becomes
//! `<name>::sqlite` and `<name>::postgres`, on a fresh database. What only HTTP can show (the
//! status codes, `details` in the JSON, the download's headers, the pages) stays in the API tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clockface_app::payroll::{
    approve, costing_for, employees_in_reach, make_export, overview, overview_for, period_of, reopen, save_settings, SettingsBody,
};
use clockface_app::scope::Scope;
use clockface_app::AppError;
use clockface_domain::export::ExportFormat;
use clockface_domain::ids::{AdminId, CompanyId, DeviceId, EmployeeId, PunchId};
use clockface_domain::payroll::{MealDeduction, PayPeriod, PayrollSettings};
use clockface_domain::punch::{Punch, PunchKind};
use clockface_domain::user::{Reach, UserRole};
use clockface_domain::DomainError;
use clockface_store::{AuditEntry, Store, StoreError};
use std::sync::Arc;

/// Acme (Chicago, weekly pay periods from Monday) with its admin, a supervisor to whom Ana is
/// assigned, and two employees who worked in the week of Monday 30 November 2026: Ana ten hours
/// on Monday, Bo four on Tuesday. The week is over at `t0`.
struct World {
    store: Arc<dyn Store>,
    acme: CompanyId,
    admin: AdminId,
    supervisor: AdminId,
    ana: EmployeeId,
    bo: EmployeeId,
    device: DeviceId,
    /// The admin's reach (everyone) and the supervisor's (Ana).
    everyone: Reach,
    anas: Reach,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let common::Acme { store, acme, admin, supervisor, ana, bo, device } =
            common::acme(store, t0(), t0(), t0() - Duration::days(30)).await;
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
        // Ana: Monday 08:00 to 18:00 in Chicago (14:00 to 24:00 UTC); Bo: Tuesday 08:00 to 12:00.
        world.punch(ana, PunchKind::In, at(11, 30, 14)).await;
        world.punch(ana, PunchKind::Out, at(12, 1, 0)).await;
        world.punch(bo, PunchKind::In, at(12, 1, 14)).await;
        world.punch(bo, PunchKind::Out, at(12, 1, 18)).await;
        world
    }

    fn admin(&self) -> Scope<'_> {
        Scope { company: self.acme, user: self.admin, role: UserRole::Admin, reach: &self.everyone }
    }

    fn supervisor(&self) -> Scope<'_> {
        Scope { company: self.acme, user: self.supervisor, role: UserRole::Supervisor, reach: &self.anas }
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

    /// The week of Monday 30 November.
    async fn week(&self) -> PayPeriod {
        period_of(self.store.as_ref(), self.acme, Some(day(11, 30)), t0()).await.unwrap().0
    }

    /// Each employee's hours shown in the week's overview (approved figures, else counted now),
    /// as `(regular, overtime)` seconds, and whether the card's count now differs from them.
    async fn shown(&self, employee: EmployeeId) -> (i64, i64, bool) {
        let o = overview(self.store.as_ref(), self.acme, chrono_tz::America::Chicago, self.week().await, None, t0()).await.unwrap();
        let row = o.rows.iter().find(|r| r.employee.id == employee).unwrap();
        (row.pay.regular_seconds, row.pay.overtime_seconds, !row.changed_since_approval.is_empty())
    }

    /// The company's audit lines of `action`, newest first.
    async fn audited(&self, action: &str) -> Vec<AuditEntry> {
        self.store.audit_log(self.acme, 1000).await.unwrap().into_iter().filter(|e| e.action == action).collect()
    }

    /// The settings with a 30-minute meal deducted from shifts over six hours.
    async fn with_meal(&self) -> PayrollSettings {
        let mut settings = self.store.payroll_settings(self.acme).await.unwrap();
        settings.meal = Some(MealDeduction::new(360, 30).unwrap());
        settings
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 18, 0, 0).single().unwrap()
}

fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).single().unwrap()
}

const HOUR: i64 = 3600;

/// The code of a refusal, for the kinds payroll gives.
fn code(error: &AppError) -> &'static str {
    match error {
        AppError::Domain(DomainError::Invalid { .. }) => "invalid",
        AppError::Store(StoreError::NotFound) => "not_found",
        other => other.code().unwrap_or_else(|| panic!("no code: {other:?}")),
    }
}

on_both_backends!(
    an_approval_freezes_the_figures_it_approves,
    a_period_with_open_flags_is_approved_only_when_acknowledged,
    a_reopening_needs_a_reason_and_an_approval,
    settings_are_refused_field_by_field_and_left_as_they_were,
    a_company_that_exports_approved_periods_only_gets_no_file_of_another,
    a_supervisor_sees_and_approves_only_their_own_employees,
    job_costing_names_only_the_companys_jobs,
);

async fn an_approval_freezes_the_figures_it_approves(world: World) {
    let store = world.store.as_ref();
    let week = world.week().await;
    assert_eq!((week.start, week.end), (day(11, 30), day(12, 6)));
    assert_eq!(world.shown(world.ana).await, (10 * HOUR, 0, false));
    approve(store, world.admin(), week, Some(world.ana), false, t0()).await.unwrap();
    let approved = &world.audited("card.approved").await[0];
    assert_eq!(approved.subject, format!("employee:{}", world.ana));
    assert!(approved.detail.contains("approved figures: 36000 regular, 0 overtime, 0 double time seconds"), "{}", approved.detail);

    // Settings that would count Ana's approved card differently are refused, and saved nothing.
    let meal = world.with_meal().await;
    let before = store.payroll_settings(world.acme).await.unwrap();
    let refused = save_settings(store, world.acme, world.admin, &meal, false, t0()).await.unwrap_err();
    let AppError::Conflict { code: "approved_periods_affected", message, details: Some(details) } = &refused else { panic!("{refused:?}") };
    assert!(message.contains("one pay period (2026-11-30 to 2026-12-06)"), "{message}");
    let cards = &details["periods"][0]["cards"];
    assert_eq!(cards.as_array().unwrap().len(), 1, "only Ana's card is approved: {details}");
    assert_eq!(cards[0]["employee_id"], world.ana.to_string());
    assert_eq!(
        (cards[0]["approved"]["regular_seconds"].as_i64(), cards[0]["under_new_settings"]["regular_seconds"].as_i64()),
        (Some(36000), Some(34200))
    );
    assert_eq!(store.payroll_settings(world.acme).await.unwrap(), before);
    assert!(world.audited("payroll.settings_changed").await.is_empty());

    // Confirmed, they are saved; Ana's card keeps the figures it was approved with, Bo's counts anew.
    let affected = save_settings(store, world.acme, world.admin, &meal, true, t0()).await.unwrap();
    assert_eq!(affected.len(), 1);
    assert_eq!(store.payroll_settings(world.acme).await.unwrap(), meal);
    assert!(world.audited("payroll.settings_changed").await[0].detail.contains("approved cards of 2026-11-30 to 2026-12-06 keep"));
    assert_eq!(world.shown(world.ana).await, (10 * HOUR, 0, true), "approved: the frozen figures, and it says the count differs");
    assert_eq!(world.shown(world.bo).await, (4 * HOUR, 0, false), "four hours: no meal deducted");

    // A punch that arrives after the approval changes nothing of the approved figures either.
    world.punch(world.ana, PunchKind::In, at(12, 2, 14)).await;
    world.punch(world.ana, PunchKind::Out, at(12, 2, 16)).await;
    assert_eq!(world.shown(world.ana).await.0, 10 * HOUR);

    // Reopened, the card counts as it stands under today's settings: 9:30 and 2:00.
    reopen(store, world.admin(), week, Some(world.ana), "late punches").await.unwrap();
    assert_eq!(world.shown(world.ana).await, (11 * HOUR + 30 * 60, 0, false));
}

async fn a_period_with_open_flags_is_approved_only_when_acknowledged(world: World) {
    let store = world.store.as_ref();
    let week = world.week().await;
    // Bo forgot to clock out on Thursday.
    world.punch(world.bo, PunchKind::In, at(12, 3, 14)).await;
    let refused = approve(store, world.admin(), week, None, false, t0()).await.unwrap_err();
    let AppError::Conflict { code: "open_flags", message, details: Some(details) } = &refused else { panic!("{refused:?}") };
    assert!(message.starts_with("one card still has open flags: Bo Diaz (1 missing punch)"), "{message}");
    assert_eq!(details["cards"][0]["employee_id"], world.bo.to_string());
    assert_eq!(details["cards"][0]["missing_punches"], 1);
    assert!(store.approvals(world.acme, week).await.unwrap().period.is_none(), "nothing was approved");
    assert!(world.audited("period.approved").await.is_empty());

    approve(store, world.admin(), week, None, true, t0()).await.unwrap();
    let approvals = store.approvals(world.acme, week).await.unwrap();
    assert_eq!(approvals.period.as_ref().map(|a| (a.approved_by, a.approved_at)), Some((world.admin, t0())));
    assert_eq!(approvals.period_figures.len(), 2, "every card's figures are frozen with the period");
    assert!(world.audited("period.approved").await[0].detail.ends_with("; approved with open flags on 1 card(s)"));
}

async fn a_reopening_needs_a_reason_and_an_approval(world: World) {
    let store = world.store.as_ref();
    let week = world.week().await;
    let nothing = reopen(store, world.admin(), week, Some(world.ana), "wrong hours").await.unwrap_err();
    assert_eq!(code(&nothing), "not_approved");
    approve(store, world.admin(), week, Some(world.ana), false, t0()).await.unwrap();
    for blank in ["", "   "] {
        let refused = reopen(store, world.admin(), week, Some(world.ana), blank).await.unwrap_err();
        assert!(matches!(&refused, AppError::Domain(DomainError::Invalid { field: "reason", .. })), "{refused:?}");
        assert!(refused.to_string().contains("say why it is reopened"), "{refused}");
    }
    assert!(store.approvals(world.acme, week).await.unwrap().cards.contains_key(&world.ana), "a refusal reopens nothing");
    assert!(world.audited("card.reopened").await.is_empty());

    reopen(store, world.admin(), week, Some(world.ana), "Ana's Monday was nine hours").await.unwrap();
    assert!(store.approvals(world.acme, week).await.unwrap().cards.is_empty());
    let reopened = &world.audited("card.reopened").await[0];
    assert_eq!(reopened.detail, "pay period 2026-11-30 to 2026-12-06; reason: Ana's Monday was nine hours");
    assert_eq!(reopened.actor, format!("admin:{}", world.admin));

    // The period, likewise: an admin's to reopen, with a reason.
    approve(store, world.admin(), week, None, true, t0()).await.unwrap();
    assert_eq!(code(&reopen(store, world.supervisor(), week, None, "why not").await.unwrap_err()), "admins_only");
    reopen(store, world.admin(), week, None, "Bo's Tuesday").await.unwrap();
    assert!(store.approvals(world.acme, week).await.unwrap().period.is_none());
}

async fn settings_are_refused_field_by_field_and_left_as_they_were(world: World) {
    let before = world.store.payroll_settings(world.acme).await.unwrap();
    let mut body = SettingsBody::from(&before);
    body.pay_frequency = "fortnightly".into();
    body.workweek_starts = "Someday".into();
    body.meal_after_minutes = None;
    body.meal_minutes = Some(30);
    body.codes.adp_company_code = "AB".into();
    body.codes.quickbooks_company_create_time = "12a".into();
    let Err(AppError::Several(refused)) = body.parse() else { panic!("every field is refused at once") };
    let fields: Vec<&str> = refused
        .iter()
        .map(|e| match e {
            AppError::Domain(DomainError::Invalid { field, .. }) => *field,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        fields,
        ["meal_after_minutes", "adp_company_code", "quickbooks_company_create_time", "pay_frequency", "workweek_starts"],
        "each wrong field, in the form's order of checks"
    );
    // One wrong field is refused alone, by its name.
    let mut body = SettingsBody::from(&before);
    body.meal_after_minutes = Some(0);
    body.meal_minutes = Some(30);
    assert!(matches!(body.parse(), Err(AppError::Domain(DomainError::Invalid { field: "meal_after_minutes", .. }))));
    // What parses is what is saved; the create time is kept without its blanks.
    let mut body = SettingsBody::from(&before);
    body.overtime_rule = " california ".into();
    body.codes.quickbooks_company_create_time = " 1234567890 ".into();
    let settings = body.parse().unwrap();
    assert_eq!(settings.codes.quickbooks_company_create_time, "1234567890");
    assert_eq!(world.store.payroll_settings(world.acme).await.unwrap(), before, "parsing saves nothing");
    save_settings(world.store.as_ref(), world.acme, world.admin, &settings, false, t0()).await.unwrap();
    assert_eq!(world.store.payroll_settings(world.acme).await.unwrap(), settings);
    assert_eq!(SettingsBody::from(&settings).overtime_rule, "california");
}

async fn a_company_that_exports_approved_periods_only_gets_no_file_of_another(world: World) {
    let store = world.store.as_ref();
    let week = world.week().await;
    let zone = chrono_tz::America::Chicago;
    // By default an unapproved period exports, and says it is not approved.
    let made = make_export(store, world.acme, world.admin, week, zone, ExportFormat::Csv, t0()).await.unwrap();
    assert_eq!(made.approved, Some(false));
    assert!(made.earlier.is_empty() && made.changes.is_empty());
    assert!(made.file.body.contains("Ana Lopez"), "{}", made.file.body);

    let mut settings = store.payroll_settings(world.acme).await.unwrap();
    settings.require_approval_before_export = true;
    save_settings(store, world.acme, world.admin, &settings, false, t0()).await.unwrap();
    let refused = make_export(store, world.acme, world.admin, week, zone, ExportFormat::Csv, t0()).await.unwrap_err();
    assert_eq!(code(&refused), "period_not_approved");
    assert!(refused.to_string().contains("the pay period 2026-11-30 to 2026-12-06 is not approved for payroll"), "{refused}");
    assert_eq!(store.exports(world.acme, week).await.unwrap().len(), 1, "the refused export is not recorded");
    assert_eq!(world.audited("period.exported").await.len(), 1);

    // Approved, after Ana's Wednesday came in, it exports, and says what changed since the file
    // before.
    world.punch(world.ana, PunchKind::In, at(12, 2, 14)).await;
    world.punch(world.ana, PunchKind::Out, at(12, 2, 16)).await;
    approve(store, world.admin(), week, None, false, t0()).await.unwrap();
    let made = make_export(store, world.acme, world.admin, week, zone, ExportFormat::Csv, t0() + Duration::minutes(5)).await.unwrap();
    assert_eq!(made.approved, Some(true));
    assert_eq!(made.earlier.len(), 1, "the first file is listed before");
    assert_eq!(made.changes.len(), 1, "{:?}", made.changes);
    assert_eq!(
        (made.changes[0].number.as_str(), made.changes[0].before.regular_seconds, made.changes[0].now.regular_seconds),
        ("1", 10 * HOUR, 12 * HOUR)
    );
    assert_eq!(store.exports(world.acme, week).await.unwrap().len(), 2);
}

async fn a_supervisor_sees_and_approves_only_their_own_employees(world: World) {
    let store = world.store.as_ref();
    let week = world.week().await;
    assert!(employees_in_reach(store, world.admin()).await.unwrap().is_none(), "an admin's overview lists everyone");
    let theirs: Vec<EmployeeId> = employees_in_reach(store, world.supervisor()).await.unwrap().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(theirs, [world.ana]);
    let o = overview_for(store, world.supervisor(), Some(day(12, 2)), t0()).await.unwrap();
    assert_eq!((o.period, o.rows.len(), o.totals.regular_seconds), (week, 1, 10 * HOUR));

    // Bo is out of their reach: not found, as an employee who does not exist.
    assert_eq!(code(&approve(store, world.supervisor(), week, Some(world.bo), false, t0()).await.unwrap_err()), "not_found");
    assert_eq!(code(&approve(store, world.supervisor(), week, Some(EmployeeId::new()), false, t0()).await.unwrap_err()), "not_found");
    let refused = approve(store, world.supervisor(), week, None, true, t0()).await.unwrap_err();
    assert_eq!(code(&refused), "admins_only");
    assert_eq!(refused.to_string(), "only an admin can approve a pay period for payroll; you are signed in as a supervisor");
    let approvals = store.approvals(world.acme, week).await.unwrap();
    assert!(approvals.period.is_none() && approvals.cards.is_empty(), "a refusal approves nothing");

    approve(store, world.supervisor(), week, Some(world.ana), false, t0()).await.unwrap();
    assert_eq!(world.audited("card.approved").await[0].actor, format!("admin:{}", world.supervisor));
    // Once the period is approved for payroll, a supervisor reopens no card of it.
    approve(store, world.admin(), week, None, false, t0()).await.unwrap();
    let refused = reopen(store, world.supervisor(), week, Some(world.ana), "a late punch").await.unwrap_err();
    assert_eq!(code(&refused), "admins_only");
    assert!(store.approvals(world.acme, week).await.unwrap().cards.contains_key(&world.ana));
}

async fn job_costing_names_only_the_companys_jobs(world: World) {
    let store = world.store.as_ref();
    let (costing, o) = costing_for(store, world.admin(), Some(day(12, 1)), None, t0()).await.unwrap();
    assert_eq!(costing.totals, o.totals, "every job's hours are the overview's");
    assert_eq!(costing.groups.len(), 1, "all of it on no job");
    assert!(costing.groups[0].job.is_none());
    let (none, _) = costing_for(store, world.admin(), Some(day(12, 1)), Some(" none "), t0()).await.unwrap();
    assert_eq!(none.totals, o.totals);
    let (theirs, _) = costing_for(store, world.supervisor(), Some(day(12, 1)), None, t0()).await.unwrap();
    assert_eq!(theirs.totals.regular_seconds, 10 * HOUR, "a supervisor's own employees' hours only");
    let refused = costing_for(store, world.admin(), None, Some("J-100"), t0()).await.unwrap_err();
    assert!(matches!(&refused, AppError::Invalid { code: "invalid_job", field: None, .. }), "{refused:?}");
    assert_eq!(refused.to_string(), "`job` must be a job id or `none`, not `J-100`");
    let elsewhere = clockface_domain::ids::JobId::new();
    assert_eq!(code(&costing_for(store, world.admin(), None, Some(&elsewhere.to_string()), t0()).await.unwrap_err()), "not_found");
}
