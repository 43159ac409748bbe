//! Web-app users and their invitations: an admin invites another user as Admin or Supervisor (a
//! link that works once, for a week; e-mailed only when an SMTP server is configured), makes a
//! new link for one who has not accepted yet, changes a user's role, turns their access off or on,
//! and assigns a supervisor's employees. The invited person accepts the link by choosing a
//! password. Every change is audited, in the transaction that makes it. The one use case behind
//! `/api/v1/users`, `/api/v1/invitations/accept` and the admin Users and invitation pages.
//!
//! Every use case is told the company and the acting admin ([`Acting`]; another company's users
//! are not found) and the time. The link's address (`origin`) is the web's to say.

use crate::audit::audit_entry;
use crate::hashing::HashGate;
use crate::mail::{self, MailSettings};
use crate::tokens::{new_token, token_hash};
use crate::AppError;
use chrono::{DateTime, Utc};
use clockface_domain::company::Email;
use clockface_domain::ids::{AdminId, CompanyId, EmployeeId};
use clockface_domain::secret::hash_secret;
use clockface_domain::user::{check_user_change, invitation_expires, new_password, user_name, UserChange, UserRole, UserStatus};
use clockface_store::{AdminLogin, NewInvitation, NewUser, Store, User};
use serde::{Deserialize, Serialize};

/// Prefix of an invitation token.
pub const INVITATION_PREFIX: &str = "cfi_";

/// What managing users needs of the server: the store, the bound on password hashing (accepting
/// sets a password), and the SMTP server invitations go out through, when there is one.
#[derive(Clone, Copy)]
pub struct Users<'a> {
    pub store: &'a dyn Store,
    pub hashing: &'a HashGate,
    pub mail: Option<&'a MailSettings>,
}

/// The admin acting: their company (the only one whose users they reach), who they are (the
/// audit lines' actor) and their e-mail address (an invitation names who sent it).
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub company: CompanyId,
    pub user: AdminId,
    pub email: &'a str,
}

impl Acting<'_> {
    fn actor(&self) -> String {
        format!("admin:{}", self.user)
    }
}

/// A user as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: AdminId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub status: UserStatus,
    pub invited_by: Option<AdminId>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// When their unused invitation link stops working.
    pub invitation_expires_at: Option<DateTime<Utc>>,
    /// How many employees are assigned to them (what a supervisor sees).
    pub assigned_employees: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            status: u.status(Utc::now()),
            invited_by: u.invited_by,
            created_at: u.created_at,
            last_sign_in_at: u.last_sign_in_at,
            invitation_expires_at: u.invitation_expires_at,
            assigned_employees: u.assigned,
        }
    }
}

// Whom to invite, as typed (a plain comment: a doc comment would change the OpenAPI document).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub email: String,
    /// Their name, as the pages show it (they may change it on accepting).
    #[serde(default)]
    pub name: String,
    /// `admin` or `supervisor`.
    pub role: String,
}

/// An invitation made: the link to pass on (shown once) and whether it was e-mailed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Invited {
    pub user: UserView,
    /// Works once, until `expires_at`. Shown only now.
    pub invitation_url: String,
    pub expires_at: DateTime<Utc>,
    /// Whether it went out by e-mail (only with an SMTP server configured).
    pub emailed: bool,
    /// Why the e-mail could not be sent, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_error: Option<String>,
}

// An invitation accepted, as typed (a plain comment, as for `InviteBody`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The token from the invitation link (after `/admin/invitations/`).
    pub token: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
    pub password_again: String,
}

/// The refusal of a link that does not work (any more).
pub fn link_gone() -> AppError {
    AppError::Gone {
        code: "invitation_gone",
        message: "this invitation link has expired or was already used; ask your company's admin for a new one".to_owned(),
    }
}

/// A fresh link at `origin`, made at `now`: its URL (with the token) and what is stored of it.
fn new_link(origin: &str, now: DateTime<Utc>) -> (String, NewInvitation) {
    let token = new_token(INVITATION_PREFIX);
    let stored = NewInvitation { token_hash: token_hash(&token), created_at: now, expires_at: invitation_expires(now) };
    (format!("{origin}/admin/invitations/{token}"), stored)
}

fn on_off(active: bool) -> &'static str {
    if active {
        "on"
    } else {
        "off"
    }
}

impl Users<'_> {
    /// The company's users, by e-mail address.
    pub async fn list(&self, company: CompanyId) -> Result<Vec<User>, AppError> {
        Ok(self.store.users(company).await?)
    }

    /// One of the company's users; another company's is not found.
    pub async fn user(&self, company: CompanyId, id: AdminId) -> Result<User, AppError> {
        Ok(self.store.user(company, id).await?)
    }

    /// The employees assigned to one of the company's users.
    pub async fn assigned(&self, company: CompanyId, id: AdminId) -> Result<Vec<EmployeeId>, AppError> {
        self.store.user(company, id).await?;
        Ok(self.store.assigned_employees(company, id).await?)
    }

    /// Invites a user into the acting admin's company (with the audit line), with a link at
    /// `origin`, and e-mails it when it can. Every field is checked before a refusal is answered:
    /// a form with two mistakes hears of both ([`AppError::Several`]).
    pub async fn invite(&self, admin: Acting<'_>, body: &InviteBody, origin: &str, now: DateTime<Utc>) -> Result<Invited, AppError> {
        let mut refused = Vec::new();
        let email = AppError::keep(Email::parse(&body.email), &mut refused);
        let role = AppError::keep(UserRole::parse(&body.role), &mut refused);
        let name = AppError::keep(user_name(&body.name), &mut refused);
        AppError::all(refused)?;
        let (Some(email), Some(role), Some(name)) = (email, role, name) else {
            return Err(AppError::internal("a value was withheld although every check passed"));
        };
        let (url, invitation) = new_link(origin, now);
        let new = NewUser { email: email.clone(), name, role, invited_by: admin.user, now };
        let line = audit_entry(admin.company, &admin.actor(), "user.invited", &format!("user:{}", email.as_str()), role.as_str());
        let user = self.store.invite_user(admin.company, &new, &invitation, &line).await?;
        let (emailed, mail_error) = self.mail_link(admin, &user, &url, invitation.expires_at).await;
        Ok(Invited { user: UserView::from(&user), invitation_url: url, expires_at: invitation.expires_at, emailed, mail_error })
    }

    /// A new link for a user who has not accepted yet; the old one stops working (audited). A
    /// user who accepted, or whose access is off, has no link to renew.
    pub async fn renew(&self, admin: Acting<'_>, id: AdminId, origin: &str, now: DateTime<Utc>) -> Result<Invited, AppError> {
        let user = self.store.user(admin.company, id).await?;
        if user.has_password || user.disabled_at.is_some() {
            return Err(AppError::conflict(
                "not_invited",
                "this user has accepted their invitation (or their access is off): there is no link to renew",
            ));
        }
        let (url, invitation) = new_link(origin, now);
        let line = audit_entry(admin.company, &admin.actor(), "user.invitation_renewed", &format!("user:{}", user.email), "");
        let user = self.store.renew_invitation(admin.company, id, &invitation, &line).await?;
        let (emailed, mail_error) = self.mail_link(admin, &user, &url, invitation.expires_at).await;
        Ok(Invited { user: UserView::from(&user), invitation_url: url, expires_at: invitation.expires_at, emailed, mail_error })
    }

    /// Changes a user's role and access (audited); nobody demotes or turns off themselves.
    /// Turning access off ends their sessions at once.
    pub async fn change(&self, admin: Acting<'_>, id: AdminId, role: UserRole, active: bool, now: DateTime<Utc>) -> Result<User, AppError> {
        let user = self.store.user(admin.company, id).await?;
        let current = UserChange { role: user.role, active: user.disabled_at.is_none() };
        let wanted = UserChange { role, active };
        check_user_change(admin.user, id, current, wanted)?;
        let detail = format!("role {} → {}; access {} → {}", user.role.as_str(), role.as_str(), on_off(current.active), on_off(active));
        let line = audit_entry(admin.company, &admin.actor(), "user.changed", &format!("user:{}", user.email), &detail);
        Ok(self.store.update_user(admin.company, id, role, active, now, &line).await?)
    }

    /// Sets the employees assigned to a user (audited); each must be an employee of the company.
    pub async fn assign(&self, admin: Acting<'_>, id: AdminId, employees: &[EmployeeId]) -> Result<(), AppError> {
        let user = self.store.user(admin.company, id).await?;
        let detail = format!("{} employees assigned", employees.len());
        let line = audit_entry(admin.company, &admin.actor(), "user.assigned", &format!("user:{}", user.email), &detail);
        self.store.set_assigned_employees(admin.company, id, employees, &line).await?;
        Ok(())
    }

    /// The user a working invitation token is for, at `now`; any other token is gone.
    pub async fn invited_user(&self, token: &str, now: DateTime<Utc>) -> Result<User, AppError> {
        if !token.starts_with(INVITATION_PREFIX) {
            return Err(link_gone());
        }
        self.store.invitation(&token_hash(token), now).await?.ok_or_else(link_gone)
    }

    /// Accepts an invitation: checks the name and the password (both, before answering), sets
    /// them, and uses the link up (audited). Returns the user's login, to sign them in. A refused
    /// password leaves the link working.
    pub async fn accept(&self, body: &AcceptBody, now: DateTime<Utc>) -> Result<AdminLogin, AppError> {
        let user = self.invited_user(&body.token, now).await?;
        let mut refused = Vec::new();
        let name = AppError::keep(user_name(&body.name), &mut refused);
        let password = AppError::keep(new_password(&body.password, &body.password_again), &mut refused);
        AppError::all(refused)?;
        let (Some(name), Some(password)) = (name, password) else {
            return Err(AppError::internal("a value was withheld although every check passed"));
        };
        let secret = password.expose().to_owned();
        let hash = self.hashing.run(move || hash_secret(&secret)).await?;
        let line = audit_entry(
            user.company_id,
            &format!("admin:{}", user.id),
            "user.accepted",
            &format!("user:{}", user.email),
            user.role.as_str(),
        );
        self.store.accept_invitation(&token_hash(&body.token), &name, &hash, now, &line).await?.ok_or_else(link_gone)
    }

    /// E-mails the link when an SMTP server is configured: whether it went, and why not.
    async fn mail_link(&self, admin: Acting<'_>, user: &User, url: &str, expires: DateTime<Utc>) -> (bool, Option<String>) {
        let Some(settings) = self.mail else {
            return (false, None);
        };
        let company = match self.store.company(admin.company).await {
            Ok(company) => company.name.as_str().to_owned(),
            Err(error) => return (false, Some(error.to_string())),
        };
        let role = user.role.label();
        let body = format!(
            "{inviter} invited you to {company}'s clockface as {article} {role}.\n\n\
             Open this link to choose your password and sign in (it works once, until {expires} UTC):\n\n{url}\n\n\
             If you did not expect this, you can ignore this message.\n",
            inviter = admin.email,
            article = if role.starts_with('A') { "an" } else { "a" },
            expires = expires.format("%a %-d %b %Y %H:%M"),
        );
        match mail::send(settings, &user.email, &format!("You are invited to {company}'s clockface"), body).await {
            Ok(()) => (true, None),
            Err(error) => {
                tracing::warn!(%error, user = %user.id, "the invitation e-mail was not sent");
                (false, Some(error.to_string()))
            }
        }
    }
}
