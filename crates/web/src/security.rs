//! Guessing gets noticed: the first lock of a device, an employee or a company's PIN sign-in
//! becomes a notice for the company's admins (the admin pages' banner, Manage → Devices) and, where
//! an SMTP server is configured, an e-mail to each admin; and what an admin does about it (mark
//! the notices seen, lift a lock, choose how many digits new PINs have).

use crate::{ApiError, AppState};
use chrono::{DateTime, Utc};
use clockface_app::audit::audit_entry;
use clockface_domain::device::Device;
use clockface_domain::employee::Employee;
use clockface_domain::ids::{AdminId, CompanyId};
use clockface_domain::lockout::Place;
use clockface_store::{LockScope, NewNotice, StoreError};

/// Tells the company's admins that `place` was locked until `until` for the first time since its
/// count was last forgotten, by a PIN typed on `device` (at `named`, when the PIN was for someone
/// picked by name). The notice is stored at once; the e-mails go out in the background.
pub async fn lock_noticed(
    state: &AppState,
    device: &Device,
    named: Option<&Employee>,
    place: Place,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    let company = state.store.company(device.company_id).await?;
    let when = until.with_timezone(&company.time_zone).format("%a %-d %b %H:%M").to_string();
    let policy = state.settings.lockout;
    let (subject, detail) = match (place, named) {
        (Place::Employee, Some(employee)) => (
            employee.id.to_string(),
            format!(
                "PIN sign-in for {} was locked until {when} after {} wrong PINs typed for them, the last on the device \"{}\".",
                employee.name.as_str(),
                policy.employee.max_failures,
                device.name
            ),
        ),
        (Place::Company, _) => (
            company.id.to_string(),
            format!(
                "PIN sign-in on every device of the company was locked until {when} after {} wrong PINs within an hour, the last on the device \"{}\".",
                policy.company.max_failures, device.name
            ),
        ),
        _ => (
            device.id.to_string(),
            format!("The device \"{}\" was locked until {when} after {} wrong PINs typed on it.", device.name, policy.device.max_failures),
        ),
    };
    let place = match place {
        Place::Employee | Place::Company => place,
        _ => Place::Device,
    };
    let notice = NewNotice { at: Utc::now(), place, subject, locked_until: until, detail: detail.clone() };
    state.store.insert_notice(company.id, &notice).await?;
    tracing::warn!(target: "security", event = "lock_noticed", company = %company.id, place = place.as_str(), %until, "the admins were told of a lock");
    if let Some(mail) = state.settings.mail.clone() {
        let admins: Vec<String> = state
            .store
            .users(company.id)
            .await?
            .into_iter()
            .filter(|u| u.role.is_admin() && u.disabled_at.is_none() && u.has_password)
            .map(|u| u.email)
            .collect();
        let body = format!(
            "{detail}\n\nIf nobody you know mistyped their PIN that often, someone may be guessing PINs. On the admin pages, \
             Manage → Devices lists the locks: revoke a device you do not trust, or lift a lock you know the reason for.\n\n\
             — clockface, {}",
            company.name.as_str()
        );
        tokio::spawn(async move {
            for to in admins {
                if let Err(error) =
                    clockface_app::mail::send(&mail, &to, "clockface: PIN sign-in locked after wrong PINs", body.clone()).await
                {
                    tracing::warn!(%error, "the e-mail about a lock did not go out");
                }
            }
        });
    }
    Ok(())
}

/// Marks the company's unseen notices seen by `admin`.
pub async fn notices_seen(state: &AppState, company: CompanyId, admin: AdminId) -> Result<u64, ApiError> {
    Ok(state.store.mark_notices_seen(company, admin, Utc::now()).await?)
}

/// What an admin unlocks: a device of the company, an employee of it, or its PIN sign-in.
#[derive(Debug, Clone, Copy)]
pub enum Unlock {
    Device(clockface_domain::ids::DeviceId),
    Employee(clockface_domain::ids::EmployeeId),
    Company,
}

/// Lifts a lock (and forgets its count), audited; a device or employee of another company is
/// not found. False when nothing was locked or counted there.
pub async fn unlock(state: &AppState, company: CompanyId, admin: AdminId, what: Unlock) -> Result<bool, ApiError> {
    let (scope, subject) = match what {
        Unlock::Device(id) => {
            state.store.device(company, id).await?;
            (LockScope::Device(id), format!("device:{id}"))
        }
        Unlock::Employee(id) => {
            state.store.employee(company, id).await?;
            (LockScope::Employee(id), format!("employee:{id}"))
        }
        Unlock::Company => (LockScope::Company(company), format!("company:{company}")),
    };
    let line = audit_entry(company, &format!("admin:{admin}"), "pin_lock.lifted", &subject, "an admin lifted the lock and its count");
    Ok(state.store.unlock(&scope, &line).await?)
}

/// The company's PIN length for new PINs (4 to 8), audited.
pub async fn set_min_pin_digits(state: &AppState, company: CompanyId, admin: AdminId, digits: i64) -> Result<(), ApiError> {
    if !(4..=8).contains(&digits) {
        return Err(ApiError::unprocessable("invalid", "PINs have 4 to 8 digits").with_field("min_pin_digits"));
    }
    let line = audit_entry(
        company,
        &format!("admin:{admin}"),
        "pin_policy.changed",
        &format!("company:{company}"),
        &format!("new PINs have at least {digits} digits"),
    );
    Ok(state.store.set_min_pin_digits(company, digits, &line).await?)
}
