//! The users and invitations use case's rules, without a server: an invitation is a link that
//! works once and for a week, a renewed link replaces the old one, a refused invitation or
//! acceptance names every mistake and changes nothing, nobody demotes or turns off themselves, a
//! supervisor's employees are their company's own, another company's users are not found, and
//! every change is audited. Each test becomes `<name>::sqlite` and `<name>::postgres`, on a fresh
//! database, and is told the time. What only HTTP can show (status codes, the pages, CSRF on the
//! invitation form, the e-mail over SMTP, signing in after accepting) stays in the API tests
//! (`crates/clockface/tests/api/users.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clockface_app::hashing::HashGate;
use clockface_app::users::{AcceptBody, Acting, InviteBody, Invited, Users};
use clockface_app::AppError;
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::employee::{EmployeeName, EmployeeNumber};
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::secret::verify_secret;
use clockface_domain::user::UserRole;
use clockface_domain::DomainError;
use clockface_store::{AuditEntry, EmployeeFields, NewCompany, PinChange, Store, StoreError, Unique};
use std::sync::Arc;

const ORIGIN: &str = "https://clock.acme.example";

/// Two companies, each with its admin; Acme has an employee.
struct World {
    store: Arc<dyn Store>,
    hashing: HashGate,
    acme: CompanyId,
    ana: AdminId,
    other: CompanyId,
    zed: AdminId,
    worker: EmployeeId,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let (acme, ana) = company(&store, "ana@acme.test").await;
        let (other, zed) = company(&store, "zed@other.test").await;
        let worker = employee(&store, acme, "1").await;
        World { store, hashing: HashGate::new(1, 8, std::time::Duration::from_secs(60)), acme, ana, other, zed, worker }
    }

    fn users(&self) -> Users<'_> {
        Users { store: self.store.as_ref(), hashing: &self.hashing, mail: None }
    }

    /// Ana, Acme's admin.
    fn ana(&self) -> Acting<'static> {
        Acting { company: self.acme, user: self.ana, email: "ana@acme.test" }
    }

    /// Zed, the other company's admin.
    fn zed(&self) -> Acting<'static> {
        Acting { company: self.other, user: self.zed, email: "zed@other.test" }
    }

    async fn invite(&self, email: &str, role: &str, at: DateTime<Utc>) -> Invited {
        let body = InviteBody { email: email.to_owned(), name: String::new(), role: role.to_owned() };
        self.users().invite(self.ana(), &body, ORIGIN, at).await.unwrap()
    }

    /// The company's audit lines with `action`, oldest first.
    async fn audited(&self, company: CompanyId, action: &str) -> Vec<AuditEntry> {
        let mut lines: Vec<AuditEntry> =
            self.store.audit_log(company, 100).await.unwrap().into_iter().filter(|e| e.action == action).collect();
        lines.reverse();
        lines
    }
}

async fn company(store: &Arc<dyn Store>, email: &str) -> (CompanyId, AdminId) {
    let new = NewCompany {
        name: CompanyName::parse("Acme Paving").unwrap(),
        time_zone: chrono_tz::America::Chicago,
        admin_email: Email::parse(email).unwrap(),
        admin_password_hash: "$argon2id$fake".into(),
        now: t0(),
        min_pin_digits: 6,
    };
    let (company, admin) = store.create_company(new).await.unwrap();
    (company.id, admin)
}

async fn employee(store: &Arc<dyn Store>, company: CompanyId, number: &str) -> EmployeeId {
    let role = store.roles(company).await.unwrap()[0].0.id;
    let fields = EmployeeFields {
        name: EmployeeName::parse("Bo Diaz").unwrap(),
        number: EmployeeNumber::parse(number).unwrap(),
        role_id: role,
        active: true,
        pin: PinChange::Keep,
    };
    store.create_employee(company, &fields).await.unwrap().id
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap()
}

/// The token in an invitation link.
fn token(invited: &Invited) -> String {
    let prefix = format!("{ORIGIN}/admin/invitations/");
    invited.invitation_url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{} is not under {prefix}", invited.invitation_url)).to_owned()
}

fn accept_body(token: &str, password: &str, again: &str) -> AcceptBody {
    AcceptBody { token: token.to_owned(), name: "Cy Park".into(), password: password.into(), password_again: again.into() }
}

fn gone<T: std::fmt::Debug>(result: &Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::Gone { code: "invitation_gone", .. }))
}

/// The fields a refusal names, in order.
fn fields_refused<T: std::fmt::Debug>(result: &Result<T, AppError>) -> Vec<&'static str> {
    let field = |error: &AppError| match error {
        AppError::Domain(DomainError::Invalid { field, .. }) => *field,
        other => panic!("not a field's refusal: {other:?}"),
    };
    match result {
        Err(AppError::Several(errors)) => errors.iter().map(field).collect(),
        Err(error) => vec![field(error)],
        Ok(value) => panic!("expected a refusal, got {value:?}"),
    }
}

on_both_backends!(
    an_invitation_is_a_link_that_works_once,
    a_refused_invitation_names_every_mistake_and_stores_nothing,
    a_refused_password_leaves_the_link_working,
    a_link_lasts_a_week_and_a_renewed_one_replaces_it,
    nobody_demotes_or_turns_off_themselves,
    a_supervisors_employees_are_their_companys_own,
    another_companys_users_are_not_found,
);

async fn an_invitation_is_a_link_that_works_once(world: World) {
    let users = world.users();
    let invited = world.invite(" Cy@Acme.test ", "supervisor", t0()).await;
    assert_eq!(invited.user.email, "cy@acme.test");
    assert_eq!((invited.user.role, invited.user.invited_by), (UserRole::Supervisor, Some(world.ana)));
    assert_eq!(invited.expires_at, t0() + Duration::days(7));
    assert_eq!((invited.emailed, invited.mail_error.as_deref()), (false, None), "no SMTP server: the link is shown to copy");
    let token = token(&invited);
    assert!(token.starts_with("cfi_"), "{token}");
    let invitations = world.audited(world.acme, "user.invited").await;
    assert_eq!(invitations.len(), 1);
    assert_eq!(
        (invitations[0].actor.as_str(), invitations[0].subject.as_str()),
        (format!("admin:{}", world.ana).as_str(), "user:cy@acme.test")
    );
    assert_eq!(invitations[0].detail, "supervisor");

    assert_eq!(users.invited_user(&token, t0() + Duration::hours(1)).await.unwrap().id, invited.user.id);
    let at = t0() + Duration::hours(2);
    let login = users.accept(&accept_body(&token, "correct horse battery", "correct horse battery"), at).await.unwrap();
    assert_eq!((login.id, login.email.as_str()), (invited.user.id, "cy@acme.test"));
    assert!(verify_secret("correct horse battery", &login.password_hash), "the password chosen is the one kept");
    let user = users.user(world.acme, invited.user.id).await.unwrap();
    assert!(user.has_password && user.name == "Cy Park", "{user:?}");
    let accepted = world.audited(world.acme, "user.accepted").await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor, format!("admin:{}", invited.user.id), "the invited user accepted");

    // Used once.
    assert!(gone(&users.invited_user(&token, at).await));
    assert!(gone(&users.accept(&accept_body(&token, "another password", "another password"), at).await));
    // A token of another shape, or one nobody made, is gone the same way.
    assert!(gone(&users.invited_user("not-a-token", at).await));
    assert!(gone(&users.invited_user("cfi_nobodymadethis", at).await));
}

async fn a_refused_invitation_names_every_mistake_and_stores_nothing(world: World) {
    let users = world.users();
    let before = users.list(world.acme).await.unwrap();
    let body = InviteBody { email: "not an address".into(), name: String::new(), role: "owner".into() };
    let refused = users.invite(world.ana(), &body, ORIGIN, t0()).await;
    assert_eq!(fields_refused(&refused), ["email", "role"], "{refused:?}");
    // An address that is taken (anywhere: they are unique across companies) is refused too.
    let body = InviteBody { email: "zed@other.test".into(), name: String::new(), role: "admin".into() };
    let taken = users.invite(world.ana(), &body, ORIGIN, t0()).await;
    assert!(matches!(taken, Err(AppError::Store(StoreError::Duplicate(Unique::AdminEmail)))), "{taken:?}");
    assert_eq!(users.list(world.acme).await.unwrap(), before, "nobody was added");
    assert!(world.audited(world.acme, "user.invited").await.is_empty(), "nothing audited");
}

async fn a_refused_password_leaves_the_link_working(world: World) {
    let users = world.users();
    let invited = world.invite("cy@acme.test", "admin", t0()).await;
    let token = token(&invited);
    let short = users.accept(&accept_body(&token, "short", "short"), t0()).await;
    assert_eq!(fields_refused(&short), ["password"], "{short:?}");
    let unlike = users.accept(&accept_body(&token, "correct horse battery", "correct horse batter"), t0()).await;
    assert_eq!(fields_refused(&unlike), ["password_again"], "{unlike:?}");
    // A bad name and a bad password are both named.
    let mut both = accept_body(&token, "short", "short");
    both.name = "x".repeat(121);
    assert_eq!(fields_refused(&users.accept(&both, t0()).await), ["name", "password"]);
    assert!(!users.user(world.acme, invited.user.id).await.unwrap().has_password);
    assert!(world.audited(world.acme, "user.accepted").await.is_empty());
    users.accept(&accept_body(&token, "correct horse battery", "correct horse battery"), t0()).await.unwrap();
}

async fn a_link_lasts_a_week_and_a_renewed_one_replaces_it(world: World) {
    let users = world.users();
    let invited = world.invite("cy@acme.test", "supervisor", t0()).await;
    let first = token(&invited);
    assert!(users.invited_user(&first, t0() + Duration::days(7) - Duration::seconds(1)).await.is_ok(), "in its last second");
    assert!(gone(&users.invited_user(&first, t0() + Duration::days(7)).await), "a week on");

    let later = t0() + Duration::days(8);
    let renewed = users.renew(world.ana(), invited.user.id, ORIGIN, later).await.unwrap();
    assert_eq!(renewed.expires_at, later + Duration::days(7));
    let second = token(&renewed);
    assert_ne!(first, second);
    assert!(gone(&users.invited_user(&first, later).await), "the old link stops working");
    assert_eq!(users.invited_user(&second, later).await.unwrap().id, invited.user.id);
    assert_eq!(world.audited(world.acme, "user.invitation_renewed").await.len(), 1);

    // Once accepted there is no link to renew; nor for a user who has always had a password.
    users.accept(&accept_body(&second, "correct horse battery", "correct horse battery"), later).await.unwrap();
    for id in [invited.user.id, world.ana] {
        let refused = users.renew(world.ana(), id, ORIGIN, later).await;
        assert!(matches!(refused, Err(AppError::Conflict { code: "not_invited", .. })), "{refused:?}");
    }
    assert_eq!(world.audited(world.acme, "user.invitation_renewed").await.len(), 1, "a refusal is not audited");
}

async fn nobody_demotes_or_turns_off_themselves(world: World) {
    let users = world.users();
    let demoted = users.change(world.ana(), world.ana, UserRole::Supervisor, true, t0()).await;
    assert_eq!(fields_refused(&demoted), ["role"]);
    let off = users.change(world.ana(), world.ana, UserRole::Admin, false, t0()).await;
    assert_eq!(fields_refused(&off), ["active"]);
    let me = users.user(world.acme, world.ana).await.unwrap();
    assert_eq!((me.role, me.disabled_at), (UserRole::Admin, None), "unchanged");
    assert!(world.audited(world.acme, "user.changed").await.is_empty());

    // Another user's role and access are changed, and each change is audited.
    let cy = world.invite("cy@acme.test", "supervisor", t0()).await.user.id;
    let at = t0() + Duration::hours(1);
    let changed = users.change(world.ana(), cy, UserRole::Admin, false, at).await.unwrap();
    assert_eq!((changed.role, changed.disabled_at), (UserRole::Admin, Some(at)));
    let back = users.change(world.ana(), cy, UserRole::Admin, true, at).await.unwrap();
    assert_eq!(back.disabled_at, None);
    let lines = world.audited(world.acme, "user.changed").await;
    let details: Vec<&str> = lines.iter().map(|l| l.detail.as_str()).collect();
    assert_eq!(details, ["role supervisor → admin; access on → off", "role admin → admin; access off → on"]);
    assert!(lines.iter().all(|l| l.subject == "user:cy@acme.test"));
}

async fn a_supervisors_employees_are_their_companys_own(world: World) {
    let users = world.users();
    let cy = world.invite("cy@acme.test", "supervisor", t0()).await.user.id;
    users.assign(world.ana(), cy, &[world.worker]).await.unwrap();
    assert_eq!(users.assigned(world.acme, cy).await.unwrap(), [world.worker]);
    assert_eq!(users.user(world.acme, cy).await.unwrap().assigned, 1);
    let lines = world.audited(world.acme, "user.assigned").await;
    assert_eq!(lines.iter().map(|l| l.detail.as_str()).collect::<Vec<_>>(), ["1 employees assigned"]);

    // Another company's employee is refused, and the assignment stays as it was.
    let foreign = employee(&world.store, world.other, "1").await;
    let refused = users.assign(world.ana(), cy, &[world.worker, foreign]).await;
    assert!(matches!(refused, Err(AppError::Store(StoreError::UnknownEmployee))), "{refused:?}");
    assert_eq!(users.assigned(world.acme, cy).await.unwrap(), [world.worker]);

    users.assign(world.ana(), cy, &[]).await.unwrap();
    assert!(users.assigned(world.acme, cy).await.unwrap().is_empty(), "replaced, not added to");
}

async fn another_companys_users_are_not_found(world: World) {
    let users = world.users();
    let cy = world.invite("cy@acme.test", "supervisor", t0()).await.user.id;
    let not_found = |result: &Result<_, AppError>| matches!(result, Err(AppError::Store(StoreError::NotFound)));
    assert!(not_found(&users.user(world.other, cy).await.map(|_| ())));
    assert!(not_found(&users.assigned(world.other, cy).await.map(|_| ())));
    assert!(not_found(&users.change(world.zed(), cy, UserRole::Admin, false, t0()).await.map(|_| ())));
    assert!(not_found(&users.renew(world.zed(), cy, ORIGIN, t0()).await.map(|_| ())));
    assert!(not_found(&users.assign(world.zed(), cy, &[]).await));
    assert!(users.list(world.other).await.unwrap().iter().all(|u| u.company_id == world.other));
    let cy = users.user(world.acme, cy).await.unwrap();
    assert_eq!((cy.role, cy.disabled_at), (UserRole::Supervisor, None), "unchanged");
    assert!(world.audited(world.other, "user.changed").await.is_empty() && world.audited(world.acme, "user.changed").await.is_empty());
}
