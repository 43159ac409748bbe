//! Web-app users: who may do what on the admin pages and the API.
//!
//! A company's users are **Admins** (everything) or **Supervisors** (the time cards, corrections,
//! card approvals and review queue of the employees assigned to them, nothing else). A user is
//! invited by an admin with a link that works once and for [`INVITATION_DAYS`]; accepting it sets
//! the password. The rules here are what the web layer enforces on every page and API path.

use crate::ids::{AdminId, EmployeeId};
use crate::secret::Password;
use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// A user's role in the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Everything: settings, roles, employees, devices, privacy, users, payroll.
    Admin,
    /// The time cards of the employees assigned to them: see, correct, approve; their review queue.
    Supervisor,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Supervisor => "supervisor",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(UserRole::Admin),
            "supervisor" => Ok(UserRole::Supervisor),
            other => Err(DomainError::invalid("role", format!("`{other}` is not a role: choose admin or supervisor"))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserRole::Admin => "Admin",
            UserRole::Supervisor => "Supervisor",
        }
    }

    /// Whether this role manages the company (settings, people, devices, privacy, users) and
    /// approves pay periods for payroll and exports them.
    pub fn is_admin(self) -> bool {
        self == UserRole::Admin
    }
}

/// Whose time cards a user reaches: the whole company's, or only the employees assigned to a
/// supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Company,
    Assigned { supervisor: AdminId, employees: HashSet<EmployeeId> },
}

impl Reach {
    /// What `user`, whose role is `role`, reaches, given the employees assigned to them.
    pub fn of(user: AdminId, role: UserRole, assigned: impl IntoIterator<Item = EmployeeId>) -> Self {
        match role {
            UserRole::Admin => Reach::Company,
            UserRole::Supervisor => Reach::Assigned { supervisor: user, employees: assigned.into_iter().collect() },
        }
    }

    /// Whether the user may see (and correct, and approve) this employee's card.
    pub fn includes(&self, employee: EmployeeId) -> bool {
        match self {
            Reach::Company => true,
            Reach::Assigned { employees, .. } => employees.contains(&employee),
        }
    }

    /// The supervisor whose assigned employees these are, or `None` for the whole company (the
    /// store narrows its lists by it).
    pub fn supervisor(&self) -> Option<AdminId> {
        match self {
            Reach::Company => None,
            Reach::Assigned { supervisor, .. } => Some(*supervisor),
        }
    }
}

/// A user's name as typed: optional (the pages show the e-mail address instead), otherwise a
/// display name like any other (at most 120 characters, no control characters).
pub fn user_name(raw: &str) -> Result<String, DomainError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    crate::company::parse_name(raw, "name", 120)
}

/// A password a user chose on accepting an invitation: long enough, and typed the same twice.
pub fn new_password(password: &str, again: &str) -> Result<Password, DomainError> {
    let password = Password::parse(password)?;
    if password.expose() != again {
        return Err(DomainError::invalid("password_again", "the two passwords are not the same"));
    }
    Ok(password)
}

/// When an invitation made at `now` stops working.
pub fn invitation_expires(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(INVITATION_DAYS)
}

/// Where a user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Has a password and may sign in.
    Active,
    /// Invited; the link has not been used yet and still works.
    Invited,
    /// Invited, but the link expired unused: an admin makes a new one.
    InvitationExpired,
    /// An admin turned their access off.
    Off,
}

impl UserStatus {
    /// A user's status from what is stored of them.
    pub fn of(has_password: bool, turned_off: bool, invitation_expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (turned_off, has_password, invitation_expires) {
            (true, _, _) => UserStatus::Off,
            (false, true, _) => UserStatus::Active,
            (false, false, Some(expires)) if expires > now => UserStatus::Invited,
            (false, false, _) => UserStatus::InvitationExpired,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Invited => "invited",
            UserStatus::InvitationExpired => "invitation_expired",
            UserStatus::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::Invited => "Invited",
            UserStatus::InvitationExpired => "Invitation expired",
            UserStatus::Off => "Access off",
        }
    }
}

/// What an admin asked to change about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserChange {
    pub role: UserRole,
    pub active: bool,
}

/// Whether `by` may make `change` to user `target`, who is now `current`. Nobody takes away their
/// own admin rights or access: so a company always keeps at least one admin who can sign in.
pub fn check_user_change(by: AdminId, target: AdminId, current: UserChange, change: UserChange) -> Result<(), DomainError> {
    if by == target && current.role.is_admin() && !change.role.is_admin() {
        return Err(DomainError::invalid("role", "you cannot take away your own admin rights; ask another admin"));
    }
    if by == target && !change.active {
        return Err(DomainError::invalid("active", "you cannot turn off your own access; ask another admin"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e() -> EmployeeId {
        EmployeeId::new()
    }

    #[test]
    fn admins_reach_everyone_and_supervisors_only_their_employees() {
        let (mine, theirs, user) = (e(), e(), AdminId::new());
        let admin = Reach::of(user, UserRole::Admin, [mine]);
        assert!(admin.includes(mine) && admin.includes(theirs));
        assert_eq!(admin.supervisor(), None);
        let supervisor = Reach::of(user, UserRole::Supervisor, [mine]);
        assert!(supervisor.includes(mine));
        assert!(!supervisor.includes(theirs));
        assert_eq!(supervisor.supervisor(), Some(user));
        let nobody = Reach::of(user, UserRole::Supervisor, []);
        assert!(!nobody.includes(mine), "a supervisor with nobody assigned sees nobody");
    }

    #[test]
    fn roles_parse_forgivingly_and_refuse_anything_else() {
        assert_eq!(UserRole::parse(" Supervisor ").unwrap(), UserRole::Supervisor);
        assert_eq!(UserRole::parse("admin").unwrap(), UserRole::Admin);
        let error = UserRole::parse("owner").unwrap_err();
        assert!(error.to_string().contains("admin or supervisor"), "{error}");
        assert!(UserRole::Admin.is_admin() && !UserRole::Supervisor.is_admin());
    }

    #[test]
    fn new_passwords_are_long_enough_and_typed_twice() {
        assert_eq!(new_password("correct horse", "correct horse").unwrap().expose(), "correct horse");
        let short = new_password("short", "short").unwrap_err();
        assert!(short.to_string().contains("10 characters"), "{short}");
        let typo = new_password("correct horse", "correct h0rse").unwrap_err();
        assert!(typo.to_string().contains("not the same"), "{typo}");
    }

    #[test]
    fn a_users_name_is_optional_but_checked_when_given() {
        assert_eq!(user_name("  ").unwrap(), "");
        assert_eq!(user_name(" Sue Park ").unwrap(), "Sue Park");
        assert!(user_name(&"x".repeat(121)).is_err());
        assert!(user_name("Sue\u{7}").is_err());
    }

    #[test]
    fn invitations_work_for_a_week() {
        let now = Utc::now();
        assert_eq!(invitation_expires(now) - now, Duration::days(7));
    }

    #[test]
    fn a_users_status_follows_password_invitation_and_access() {
        let now = Utc::now();
        let later = Some(now + Duration::days(1));
        let earlier = Some(now - Duration::seconds(1));
        assert_eq!(UserStatus::of(true, false, None, now), UserStatus::Active);
        assert_eq!(UserStatus::of(false, false, later, now), UserStatus::Invited);
        assert_eq!(UserStatus::of(false, false, earlier, now), UserStatus::InvitationExpired);
        assert_eq!(UserStatus::of(false, false, None, now), UserStatus::InvitationExpired);
        assert_eq!(UserStatus::of(true, true, None, now), UserStatus::Off, "turned off wins over a password");
        assert_eq!(UserStatus::of(false, true, later, now), UserStatus::Off, "and over a working invitation");
    }

    #[test]
    fn nobody_demotes_or_turns_off_themselves_but_may_change_others() {
        let (me, other) = (AdminId::new(), AdminId::new());
        let admin = UserChange { role: UserRole::Admin, active: true };
        let supervisor = UserChange { role: UserRole::Supervisor, active: true };
        let off = UserChange { role: UserRole::Admin, active: false };
        assert!(check_user_change(me, me, admin, supervisor).unwrap_err().to_string().contains("own admin rights"));
        assert!(check_user_change(me, me, admin, off).unwrap_err().to_string().contains("own access"));
        assert!(check_user_change(me, me, admin, admin).is_ok(), "saving yourself unchanged is fine");
        assert!(check_user_change(me, other, admin, supervisor).is_ok());
        assert!(check_user_change(me, other, admin, off).is_ok());
        assert!(check_user_change(me, other, supervisor, admin).is_ok());
    }
}
