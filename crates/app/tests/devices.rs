//! The devices use case's rules, without a server: registration codes (how long they last, read
//! forgivingly, used once), registering a device with one, and a company's devices (its own only,
//! revoked at once). Each test becomes `<name>::sqlite` and `<name>::postgres`, on a fresh
//! database, and is told the time. What only HTTP can show (status codes, the Devices page, the
//! code shown once) stays in the API tests (`crates/clockface/tests/api`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clockface_app::devices::Devices;
use clockface_app::tokens::token_hash;
use clockface_app::AppError;
use clockface_domain::company::{CompanyName, Email};
use clockface_domain::ids::CompanyId;
use clockface_domain::DomainError;
use clockface_store::{NewCompany, Store, StoreError};
use std::sync::Arc;

/// A store with two companies.
struct World {
    store: Arc<dyn Store>,
    acme: CompanyId,
    other: CompanyId,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let acme = company(&store, "ana@acme.test").await;
        let other = company(&store, "zed@other.test").await;
        World { store, acme, other }
    }

    fn devices(&self) -> Devices<'_> {
        Devices { store: self.store.as_ref(), code_ttl: Duration::hours(24) }
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

fn invalid_code(result: &Result<impl std::fmt::Debug, AppError>) -> bool {
    matches!(result, Err(AppError::Store(StoreError::InvalidCode)))
}

on_both_backends!(
    a_code_registers_one_device_once,
    a_code_lasts_as_long_as_asked_within_bounds,
    a_refused_registration_leaves_the_code_usable,
    a_company_sees_and_revokes_only_its_own_devices,
);

async fn a_code_registers_one_device_once(world: World) {
    let devices = world.devices();
    let code = devices.new_code(world.acme, None, t0()).await.unwrap();
    assert_eq!(code.expires_at, t0() + Duration::hours(24), "the server's default when the admin does not say");
    assert!(code.code.len() == 9 && code.code.as_bytes()[4] == b'-', "{}", code.code);
    // Typed in lower case with a space instead of the dash, it is the same code.
    let typed = code.code.to_lowercase().replace('-', " ");
    let registered = devices.register(&typed, "Site 4 tablet", true, t0() + Duration::minutes(1)).await.unwrap();
    assert_eq!(registered.device.company_id, world.acme, "in the code's company");
    assert_eq!((registered.device.name.as_str(), registered.device.has_front_camera), ("Site 4 tablet", true));
    assert!(registered.token.starts_with("cfd_"));
    let by_token = world.store.device_by_token(&token_hash(&registered.token)).await.unwrap();
    assert_eq!(by_token.map(|d| d.id), Some(registered.device.id), "the token finds the device");
    // Used once: a second device cannot register with it.
    assert!(invalid_code(&devices.register(&code.code, "Another", false, t0() + Duration::minutes(2)).await));
    assert_eq!(devices.list(world.acme).await.unwrap().len(), 1);
    // A code nobody made is refused the same way.
    assert!(invalid_code(&devices.register("ABCD-EFGH", "Guess", false, t0()).await));
}

async fn a_code_lasts_as_long_as_asked_within_bounds(world: World) {
    let devices = world.devices();
    for minutes in [4, 10_081, 0, -5] {
        match devices.new_code(world.acme, Some(minutes), t0()).await {
            Err(AppError::Invalid { code: "invalid", field: Some("expires_in_minutes"), .. }) => {}
            other => panic!("{minutes} minutes: expected a refusal of expires_in_minutes, got {other:?}"),
        }
    }
    for minutes in [5, 60, 10_080] {
        let code = devices.new_code(world.acme, Some(minutes), t0()).await.unwrap();
        assert_eq!(code.expires_at, t0() + Duration::minutes(minutes));
    }
    // A 5-minute code works in its last second and not after.
    let short = devices.new_code(world.acme, Some(5), t0()).await.unwrap();
    assert!(invalid_code(&devices.register(&short.code, "Late", false, t0() + Duration::minutes(5)).await), "expired");
    let last_second = devices.new_code(world.acme, Some(5), t0()).await.unwrap();
    devices.register(&last_second.code, "Just in time", false, t0() + Duration::minutes(5) - Duration::seconds(1)).await.unwrap();
}

async fn a_refused_registration_leaves_the_code_usable(world: World) {
    let devices = world.devices();
    let code = devices.new_code(world.acme, None, t0()).await.unwrap();
    let unnamed = devices.register(&code.code, "   ", true, t0()).await;
    assert!(matches!(unnamed, Err(AppError::Domain(DomainError::Invalid { .. }))), "{unnamed:?}");
    assert!(devices.list(world.acme).await.unwrap().is_empty(), "no device");
    devices.register(&code.code, "Named", true, t0()).await.unwrap();
}

async fn a_company_sees_and_revokes_only_its_own_devices(world: World) {
    let devices = world.devices();
    let code = devices.new_code(world.acme, None, t0()).await.unwrap();
    let registered = devices.register(&code.code, "Site tablet", true, t0()).await.unwrap();
    let id = registered.device.id;
    assert!(devices.list(world.other).await.unwrap().is_empty(), "another company sees none of it");
    assert!(matches!(devices.device(world.other, id).await, Err(AppError::Store(StoreError::NotFound))));
    assert!(matches!(devices.revoke(world.other, id, t0()).await, Err(AppError::Store(StoreError::NotFound))));
    assert_eq!(devices.device(world.acme, id).await.unwrap().revoked_at, None, "another company's revoke changed nothing");
    let at = t0() + Duration::hours(1);
    devices.revoke(world.acme, id, at).await.unwrap();
    assert_eq!(devices.device(world.acme, id).await.unwrap().revoked_at, Some(at));
    assert!(world.store.device_by_token(&token_hash(&registered.token)).await.unwrap().is_none(), "its token stops working");
}
