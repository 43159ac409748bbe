//! Checking an employee's fields, without a server: every field is checked before answering (so
//! a form hears of each mistake), a new PIN is at least as long as the company asks, a PIN is kept,
//! removed or set as asked, and a set PIN is stored only as its keyed digest (which differs between
//! companies and keeps PINs unique in one) and its hash. Each test becomes `<name>::sqlite` and
//! `<name>::postgres`, on a fresh database. What only HTTP can show (422 and 409 answers, the form
//! with each refusal beside its field) stays in the API tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, TimeZone, Utc};
use clockface_app::audit::audit_entry;
use clockface_app::employees::{pin_lookup, EmployeeBody, Employees};
use clockface_app::hashing::HashGate;
use clockface_app::AppError;
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::ids::{CompanyId, RoleId};
use clockface_domain::secret::verify_secret;
use clockface_domain::DomainError;
use clockface_store::{EmployeeFields, NewCompany, PinChange, Store, StoreError, Unique};
use secrecy::SecretSlice;
use std::sync::Arc;

/// A store with two companies (each asking for 6-digit PINs), the bound on hashing and a PIN key.
struct World {
    store: Arc<dyn Store>,
    hashing: HashGate,
    pin_key: SecretSlice<u8>,
    acme: CompanyId,
    other: CompanyId,
    /// A role of each company.
    acme_role: RoleId,
    other_role: RoleId,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let acme = company(&store, "ana@acme.test").await;
        let other = company(&store, "zed@other.test").await;
        let pin_key: SecretSlice<u8> = vec![7u8; 32].into();
        let acme_role = store.roles(acme).await.unwrap()[0].0.id;
        let other_role = store.roles(other).await.unwrap()[0].0.id;
        World { store, hashing: HashGate::new(1, 8, std::time::Duration::from_secs(60)), pin_key, acme, other, acme_role, other_role }
    }

    fn employees(&self) -> Employees<'_> {
        Employees { store: self.store.as_ref(), hashing: &self.hashing, pin_key: &self.pin_key }
    }

    /// A body for an Acme employee.
    fn body(&self, name: &str, number: &str, pin: Option<Option<&str>>) -> EmployeeBody {
        EmployeeBody {
            name: name.to_owned(),
            number: number.to_owned(),
            role_id: self.acme_role,
            active: true,
            pin: pin.map(|p| p.map(str::to_owned)),
        }
    }

    /// Acme asks for PINs of at least `digits` from now on.
    async fn pin_digits(&self, digits: i64) {
        let line = audit_entry(self.acme, "admin:test", "security.pin_policy", "company", "");
        self.store.set_min_pin_digits(self.acme, digits, &line).await.unwrap();
    }

    async fn fields(&self, company: CompanyId, body: EmployeeBody) -> Result<EmployeeFields, AppError> {
        self.employees().fields(company, body).await
    }
}

async fn company(store: &Arc<dyn Store>, email: &str) -> CompanyId {
    let new = NewCompany {
        name: CompanyName::parse("Acme Paving").unwrap(),
        time_zone: chrono_tz::America::Chicago,
        admin_email: Email::parse(email).unwrap(),
        admin_password_hash: "$argon2id$fake".into(),
        now: t0(),
        min_pin_digits: 6,
    };
    store.create_company(new).await.unwrap().0.id
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap()
}

/// Each refusal as `(code, field)`, in order.
fn refusals(result: &Result<EmployeeFields, AppError>) -> Vec<(&'static str, &'static str)> {
    let one = |error: &AppError| match error {
        AppError::Domain(DomainError::Invalid { field, .. }) => ("invalid", *field),
        AppError::Invalid { code, field: Some(field), .. } => (*code, *field),
        other => panic!("not a field's refusal: {other:?}"),
    };
    match result {
        Err(AppError::Several(errors)) => errors.iter().map(one).collect(),
        Err(error) => vec![one(error)],
        Ok(fields) => panic!("expected a refusal, got {:?}", fields.name),
    }
}

on_both_backends!(
    every_field_is_checked_before_answering,
    a_new_pin_is_as_long_as_the_company_asks,
    a_pin_is_kept_removed_or_set_as_asked,
    a_pin_is_stored_as_its_companys_digest_and_its_hash,
);

async fn every_field_is_checked_before_answering(world: World) {
    let all_wrong = world.fields(world.acme, world.body("  ", "no spaces allowed", Some(Some("12ab")))).await;
    assert_eq!(refusals(&all_wrong), [("invalid", "name"), ("invalid", "number"), ("invalid", "pin")]);
    // A name or number a spreadsheet would take for a formula, and a PIN too short for the company.
    let formula = world.fields(world.acme, world.body("=SUM(A1)", "-1", Some(Some("1234")))).await;
    assert_eq!(refusals(&formula), [("invalid", "name"), ("invalid", "number"), ("pin_too_short", "pin")]);
    let fine = world.fields(world.acme, world.body("Ana Lopez", "17", None)).await.unwrap();
    assert_eq!((fine.name.as_str(), fine.number.as_str(), fine.active), ("Ana Lopez", "17", true));
}

async fn a_new_pin_is_as_long_as_the_company_asks(world: World) {
    let short = world.fields(world.acme, world.body("Ana Lopez", "17", Some(Some("12345")))).await;
    assert_eq!(refusals(&short), [("pin_too_short", "pin")]);
    match short {
        Err(error) => assert_eq!(
            error.to_string(),
            "a new PIN has at least 6 digits in this company (Manage → Devices → PIN sign-in); this one has 5"
        ),
        Ok(_) => unreachable!(),
    }
    world.pin_digits(4).await;
    let fields = world.fields(world.acme, world.body("Ana Lopez", "17", Some(Some("1234")))).await.unwrap();
    assert!(matches!(fields.pin, PinChange::Set(ref secret) if secret.digits == 4));
    // Keeping or removing a PIN is not held to the length.
    world.pin_digits(8).await;
    assert_eq!(world.fields(world.acme, world.body("Ana Lopez", "17", None)).await.unwrap().pin, PinChange::Keep);
}

async fn a_pin_is_kept_removed_or_set_as_asked(world: World) {
    assert_eq!(world.fields(world.acme, world.body("Ana Lopez", "17", None)).await.unwrap().pin, PinChange::Keep);
    assert_eq!(world.fields(world.acme, world.body("Ana Lopez", "17", Some(None))).await.unwrap().pin, PinChange::Clear);
    let set = world.fields(world.acme, world.body("Ana Lopez", "17", Some(Some(" 246810 ")))).await.unwrap();
    match set.pin {
        PinChange::Set(secret) => {
            assert_eq!(secret.digits, 6);
            assert!(verify_secret("246810", &secret.hash), "the hash is of the PIN, trimmed");
            assert!(!secret.hash.contains("246810") && !secret.lookup.contains("246810"), "the PIN itself is not kept");
        }
        other => panic!("expected a new PIN, got {other:?}"),
    }
}

async fn a_pin_is_stored_as_its_companys_digest_and_its_hash(world: World) {
    let fields = world.fields(world.acme, world.body("Ana Lopez", "17", Some(Some("246810")))).await.unwrap();
    let PinChange::Set(ref secret) = fields.pin else { panic!("expected a new PIN") };
    assert_eq!(secret.lookup, pin_lookup(&world.pin_key, world.acme, "246810"));
    assert_ne!(secret.lookup, pin_lookup(&world.pin_key, world.other, "246810"), "another company's digest differs");
    let other_key: SecretSlice<u8> = vec![8u8; 32].into();
    assert_ne!(secret.lookup, pin_lookup(&other_key, world.acme, "246810"), "and so does another key's");
    let ana = world.store.create_employee(world.acme, &fields).await.unwrap();
    let (found, _) = world.store.employee_by_pin(world.acme, &secret.lookup).await.unwrap().unwrap();
    assert_eq!(found.id, ana.id, "the digest finds her");
    // The same PIN for someone else in the company is taken; in another company it is not.
    let bo = world.fields(world.acme, world.body("Bo Diaz", "18", Some(Some("246810")))).await.unwrap();
    let taken = world.store.create_employee(world.acme, &bo).await;
    assert!(matches!(taken, Err(StoreError::Duplicate(Unique::EmployeePin))), "{taken:?}");
    let mut theirs = world.body("Bo Diaz", "18", Some(Some("246810")));
    theirs.role_id = world.other_role;
    let theirs = world.fields(world.other, theirs).await.unwrap();
    world.store.create_employee(world.other, &theirs).await.unwrap();
}
