//! The sign-in use case's rules, without a server: each test below becomes `<name>::sqlite` and
//! `<name>::postgres`, each on a fresh, empty database, and is told the time (`now`) rather than
//! reading a clock, so expiry and lockout are shown at any moment without waiting. What only
//! HTTP can show (status codes, `Retry-After`, cookies, CSRF, the pages) stays in the API tests
//! (`crates/clockface/tests/api`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clockface_app::hashing::HashGate;
use clockface_app::sign_in::{Accounts, NewSession, SecondFactor, SignIn, PENDING_FOR};
use clockface_app::{totp, AppError};
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::ids::{AdminId, CompanyId};
use clockface_domain::lockout::LockoutPolicy;
use clockface_domain::secret::hash_secret;
use clockface_domain::user::{Reach, UserRole};
use clockface_store::{AuditEntry, NewCompany, NewInvitation, NewUser, Session, Store};
use secrecy::SecretSlice;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

/// A store with one company, its admin (`ana@acme.test`), and what signing in needs.
struct World {
    store: Arc<dyn Store>,
    hashing: HashGate,
    lockout: LockoutPolicy,
    secrets_key: SecretSlice<u8>,
    company: CompanyId,
    admin: AdminId,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let (company, admin) = store
            .create_company(NewCompany {
                name: CompanyName::parse("Acme Paving").unwrap(),
                time_zone: chrono_tz::America::Chicago,
                admin_email: Email::parse("ana@acme.test").unwrap(),
                admin_password_hash: hash_secret(PASSWORD),
                now: t0(),
                min_pin_digits: 6,
            })
            .await
            .unwrap();
        World {
            store,
            hashing: HashGate::new(2, 16, std::time::Duration::from_secs(60)),
            lockout: LockoutPolicy::default(),
            secrets_key: vec![9u8; 32].into(),
            company: company.id,
            admin,
        }
    }

    fn accounts(&self) -> Accounts<'_> {
        Accounts {
            store: self.store.as_ref(),
            hashing: &self.hashing,
            lockout: &self.lockout,
            secrets_key: &self.secrets_key,
            session_ttl: Duration::hours(12),
        }
    }

    async fn sign_in(&self, email: &str, password: &str, second: Option<SecondFactor>, now: DateTime<Utc>) -> Result<SignIn, AppError> {
        self.accounts().sign_in(email, password, second, "192.0.2.1", now).await
    }

    /// Turns two-step sign-in on for the admin at `now`: the secret (to make codes with), the
    /// recovery codes, and the session it was turned on in.
    async fn two_step_on(&self, now: DateTime<Utc>) -> (Vec<u8>, Vec<String>, Session) {
        let session = done(self.sign_in("ana@acme.test", PASSWORD, None, now).await).session;
        let setup = self.accounts().start_two_step("ana@acme.test").unwrap();
        let secret = self.accounts().setup_secret(&setup.setup).unwrap();
        let codes = self.accounts().confirm_two_step(&session, &setup.setup, &code(&secret, now), now).await.unwrap();
        (secret, codes, session)
    }

    /// A supervisor who accepted their invitation, with `PASSWORD`.
    async fn supervisor(&self, email: &str) -> AdminId {
        let new = NewUser {
            email: Email::parse(email).unwrap(),
            name: String::new(),
            role: UserRole::Supervisor,
            invited_by: self.admin,
            now: t0(),
        };
        let invitation = NewInvitation { token_hash: format!("invite-{email}"), created_at: t0(), expires_at: t0() + Duration::days(7) };
        let user = self.store.invite_user(self.company, &new, &invitation, &line(self.company, "user.invited")).await.unwrap();
        self.store
            .accept_invitation(&invitation.token_hash, "Sue", &hash_secret(PASSWORD), t0(), &line(self.company, "user.accepted"))
            .await
            .unwrap()
            .unwrap();
        user.id
    }
}

fn line(company: CompanyId, action: &str) -> AuditEntry {
    clockface_app::audit::audit_entry(company, "system", action, "user:test", "")
}

/// A moment on a 30-second step's edge, so that "the next step" is 30 seconds on.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap()
}

fn code(secret: &[u8], at: DateTime<Utc>) -> String {
    totp::code_at(secret, u64::try_from(at.timestamp()).unwrap()).unwrap()
}

fn done(result: Result<SignIn, AppError>) -> NewSession {
    match result {
        Ok(SignIn::Done(signed_in)) => signed_in,
        other => panic!("expected a finished sign-in, got {other:?}"),
    }
}

fn code_of(result: &Result<impl std::fmt::Debug, AppError>) -> Option<&'static str> {
    result.as_ref().err().and_then(AppError::code)
}

on_both_backends!(
    a_wrong_address_and_a_wrong_password_are_told_alike,
    wrong_passwords_lock_the_account_and_the_lock_ends,
    a_session_lasts_its_time_and_ends_when_signed_out,
    a_totp_code_signs_in_once,
    a_half_done_sign_in_expires,
    a_recovery_code_works_once,
    a_user_whose_access_is_off_is_told_only_with_the_right_password,
    a_supervisor_reaches_their_employees_only,
    turning_two_step_off_needs_the_password,
);

async fn a_wrong_address_and_a_wrong_password_are_told_alike(world: World) {
    let nobody = world.sign_in("nobody@acme.test", PASSWORD, None, t0()).await;
    let wrong = world.sign_in("ana@acme.test", "wrong", None, t0()).await;
    assert_eq!(code_of(&nobody), Some("wrong_credentials"));
    assert_eq!(code_of(&wrong), Some("wrong_credentials"));
    assert_eq!(nobody.unwrap_err().to_string(), wrong.unwrap_err().to_string(), "the same sentence");
    done(world.sign_in("ANA@acme.test ", PASSWORD, None, t0()).await);
}

async fn wrong_passwords_lock_the_account_and_the_lock_ends(world: World) {
    let limit = world.lockout.account;
    for _ in 1..limit.max_failures {
        assert_eq!(code_of(&world.sign_in("ana@acme.test", "wrong", None, t0()).await), Some("wrong_credentials"));
    }
    // The last wrong one of the round locks the account, for the limit's first lock.
    match world.sign_in("ana@acme.test", "wrong", None, t0()).await {
        Err(AppError::Locked { retry_after, .. }) => assert_eq!(i64::try_from(retry_after).unwrap(), limit.lock_for.num_seconds()),
        other => panic!("expected a lock, got {other:?}"),
    }
    // While locked, even the right password is refused unjudged (and counted, not reset).
    let during = world.sign_in("ana@acme.test", PASSWORD, None, t0() + limit.lock_for - Duration::seconds(1)).await;
    assert!(matches!(during, Err(AppError::Locked { retry_after: 1, .. })), "{during:?}");
    // Once it ends, the right password signs in, and the user is told of the wrong attempts.
    let after = done(world.sign_in("ana@acme.test", PASSWORD, None, t0() + limit.lock_for).await);
    assert_eq!(after.history.failed_since_last, limit.max_failures);
    // Another account from the same address is not locked by this one's lock.
    assert_eq!(code_of(&world.sign_in("bob@acme.test", "wrong", None, t0()).await), Some("wrong_credentials"));
}

async fn a_session_lasts_its_time_and_ends_when_signed_out(world: World) {
    let signed_in = done(world.sign_in("ana@acme.test", PASSWORD, None, t0()).await);
    let accounts = world.accounts();
    assert!(signed_in.token.starts_with("cfs_"));
    assert_eq!(signed_in.session.expires_at, t0() + accounts.session_ttl);
    let last_moment = t0() + accounts.session_ttl - Duration::seconds(1);
    assert_eq!(accounts.session(&signed_in.token, last_moment).await.unwrap(), Some(signed_in.session.clone()));
    assert_eq!(accounts.session(&signed_in.token, t0() + accounts.session_ttl).await.unwrap(), None, "expired");
    assert_eq!(accounts.session(&format!("cfd_{}", &signed_in.token[4..]), t0()).await.unwrap(), None, "another kind of token");
    accounts.sign_out(&signed_in.session).await.unwrap();
    assert_eq!(accounts.session(&signed_in.token, t0()).await.unwrap(), None, "signed out");
}

async fn a_totp_code_signs_in_once(world: World) {
    let (secret, _, _) = world.two_step_on(t0()).await;
    // The code that turned it on is used already.
    let again = world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Code(code(&secret, t0()))), t0()).await;
    assert_eq!(code_of(&again), Some("wrong_code"));
    let next = t0() + Duration::seconds(30);
    let first = world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Code(code(&secret, next))), next).await;
    done(first);
    let replayed = world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Code(code(&secret, next))), next).await;
    assert_eq!(code_of(&replayed), Some("wrong_code"), "a code is used once");
    let earlier = world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Code(code(&secret, t0()))), next).await;
    assert_eq!(code_of(&earlier), Some("wrong_code"), "nor is an earlier step's, still within the skew");
    let later = t0() + Duration::seconds(60);
    done(world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Code(code(&secret, later))), later).await);
}

async fn a_half_done_sign_in_expires(world: World) {
    let (secret, _, _) = world.two_step_on(t0()).await;
    let accounts = world.accounts();
    let pending = |result| match result {
        Ok(SignIn::NeedsCode { pending }) => pending,
        other => panic!("expected a code to be asked for, got {other:?}"),
    };
    let late = t0() + Duration::seconds(30) + PENDING_FOR + Duration::seconds(30);
    let first = pending(world.sign_in("ana@acme.test", PASSWORD, None, t0() + Duration::seconds(30)).await);
    let expired = accounts.finish_with_code(&first, SecondFactor::Code(code(&secret, late)), "192.0.2.1", late).await;
    assert_eq!(code_of(&expired), Some("sign_in_expired"));
    let now = t0() + Duration::seconds(60);
    let second = pending(world.sign_in("ana@acme.test", PASSWORD, None, now).await);
    let signed_in = accounts.finish_with_code(&second, SecondFactor::Code(code(&secret, now)), "192.0.2.1", now).await.unwrap();
    assert_eq!(signed_in.session.admin_id, world.admin);
    let reused = accounts.finish_with_code(&second, SecondFactor::Code(code(&secret, now)), "192.0.2.1", now).await;
    assert_eq!(code_of(&reused), Some("sign_in_expired"), "a half-done sign-in finishes once");
}

async fn a_recovery_code_works_once(world: World) {
    let (_, codes, _) = world.two_step_on(t0()).await;
    assert_eq!(codes.len(), totp::RECOVERY_CODES);
    let typed = codes[3].to_lowercase().replace('-', " ");
    done(world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Recovery(typed.clone())), t0()).await);
    let again = world.sign_in("ana@acme.test", PASSWORD, Some(SecondFactor::Recovery(typed)), t0()).await;
    assert_eq!(code_of(&again), Some("wrong_code"));
    assert_eq!(world.store.recovery_codes_left(world.admin).await.unwrap(), i64::try_from(totp::RECOVERY_CODES).unwrap() - 1);
}

async fn a_user_whose_access_is_off_is_told_only_with_the_right_password(world: World) {
    let sue = world.supervisor("sue@acme.test").await;
    let session = done(world.sign_in("sue@acme.test", PASSWORD, None, t0()).await).session;
    world.store.update_user(world.company, sue, UserRole::Supervisor, false, t0(), &line(world.company, "user.changed")).await.unwrap();
    assert_eq!(world.store.session(&session.token_hash, t0()).await.unwrap(), None, "turning access off ends the sessions");
    assert_eq!(code_of(&world.sign_in("sue@acme.test", "wrong", None, t0()).await), Some("wrong_credentials"));
    assert_eq!(code_of(&world.sign_in("sue@acme.test", PASSWORD, None, t0()).await), Some("access_off"));
}

async fn a_supervisor_reaches_their_employees_only(world: World) {
    let sue = world.supervisor("sue@acme.test").await;
    let session = done(world.sign_in("sue@acme.test", PASSWORD, None, t0()).await).session;
    let accounts = world.accounts();
    let reach = accounts.reach(&session).await.unwrap();
    assert_eq!(reach, Reach::Assigned { supervisor: sue, employees: Default::default() });
    assert!(!reach.includes(clockface_domain::ids::EmployeeId::new()), "no employee is assigned yet");
    let who = accounts.whoami(&session).await.unwrap();
    assert_eq!((who.company.id, who.two_step, who.assigned_employees), (world.company, false, Some(Vec::new())));
    let admin = done(world.sign_in("ana@acme.test", PASSWORD, None, t0()).await).session;
    assert_eq!(accounts.reach(&admin).await.unwrap(), Reach::Company);
    assert_eq!(accounts.whoami(&admin).await.unwrap().assigned_employees, None);
}

async fn turning_two_step_off_needs_the_password(world: World) {
    let (_, _, session) = world.two_step_on(t0()).await;
    let accounts = world.accounts();
    let wrong = accounts.turn_off_two_step(&session, "wrong", t0()).await;
    assert_eq!(code_of(&wrong), Some("wrong_credentials"));
    assert!(matches!(world.sign_in("ana@acme.test", PASSWORD, None, t0()).await, Ok(SignIn::NeedsCode { .. })), "still on");
    accounts.turn_off_two_step(&session, PASSWORD, t0()).await.unwrap();
    assert!(!accounts.whoami(&session).await.unwrap().two_step);
    done(world.sign_in("ana@acme.test", PASSWORD, None, t0()).await);
    let actions: Vec<String> = world.store.audit_log(world.company, 10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"two_step.on".to_owned()) && actions.contains(&"two_step.off".to_owned()), "{actions:?}");
}
