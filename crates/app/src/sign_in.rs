//! Sign-in of the web app's users (admins and supervisors), their sessions, and two-step
//! sign-in (TOTP with recovery codes): the one use case behind `POST /api/v1/auth/*` and the admin
//! pages' sign-in and Account pages.
//!
//! Every attempt is counted before it is judged, per account and per client address; a locked
//! one is refused unjudged. The answer is the same whether the e-mail or the password was wrong,
//! and takes as long. Times come in as `now`, so the rules can be tested at any moment.

use crate::audit::audit_entry;
use crate::hashing::HashGate;
use crate::tokens::{new_token, token_hash, ADMIN_TOKEN_PREFIX};
use crate::{secrets, totp, AppError};
use chrono::{DateTime, Duration, Utc};
use clockface_domain::company::{Company, Email};
use clockface_domain::ids::{AdminId, EmployeeId};
use clockface_domain::lockout::{locked_message, LockoutPolicy};
use clockface_domain::secret::{hash_secret, verify_secret};
use clockface_domain::user::{Reach, UserRole};
use clockface_store::{AdminLogin, Attempt, LockScope, Session, SignInHistory, Store};
use secrecy::SecretSlice;
use std::sync::OnceLock;

/// How long a half-done sign-in (right password, code still to come) lasts.
pub const PENDING_FOR: Duration = Duration::minutes(5);

/// What signing in needs of the server: the store, the bound on password hashing, the lockout
/// policy, the key TOTP secrets are sealed with, and how long a session lasts.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub store: &'a dyn Store,
    pub hashing: &'a HashGate,
    pub lockout: &'a LockoutPolicy,
    pub secrets_key: &'a SecretSlice<u8>,
    pub session_ttl: Duration,
}

/// A finished sign-in: the session's token (shown once), the session, and what to tell the user
/// of the failed attempts on their account since they last signed in.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub session: Session,
    pub history: SignInHistory,
}

/// What a right password is followed by.
#[derive(Debug)]
pub enum SignIn {
    Done(NewSession),
    /// The user has two-step sign-in on: ask for the code, quoting this half-done sign-in
    /// (a token, shown once; it lasts [`PENDING_FOR`]).
    NeedsCode {
        pending: String,
    },
}

/// The second factor as given: an authenticator code or a recovery code.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    Code(String),
    Recovery(String),
}

/// Who a session's user is, beyond the session: their company, whether two-step sign-in is on,
/// and a supervisor's assigned employees (`None` for an admin, who reaches everyone).
#[derive(Debug, Clone)]
pub struct Whoami {
    pub company: Company,
    pub two_step: bool,
    pub assigned_employees: Option<Vec<EmployeeId>>,
}

/// A second factor being set up: the secret to show (as a QR code and in base32), and the same
/// secret sealed, to hand back with the first code (nothing is stored until that code is right).
#[derive(Debug, Clone)]
pub struct TwoStepSetup {
    pub otpauth_url: String,
    pub secret_base32: String,
    pub setup: String,
}

/// The refusal of a locked place, with the seconds left.
pub fn locked(attempt: Attempt, now: DateTime<Utc>) -> AppError {
    match attempt {
        Attempt::Locked { place, until, .. } => {
            let left = until - now;
            AppError::Locked { message: locked_message(place, left), retry_after: u64::try_from(left.num_seconds().max(1)).unwrap_or(1) }
        }
        Attempt::Judge { .. } => AppError::internal("a lock was expected"),
    }
}

/// Logs a security event (target `security`, inside the request's span, which carries its id):
/// what happened, from where and on which account, never a secret.
fn security_event(event: &'static str, client: &str, account: &str) {
    tracing::warn!(target: "security", event, client = %client, account = %account, "security event");
}

/// Where a sign-in's guesses count: the account (whether or not it exists, so that the answer
/// does not tell) and the client's address.
fn scopes(email: &str, client: &str) -> [LockScope; 2] {
    [LockScope::Account(email.trim().to_lowercase()), LockScope::Address(client.to_owned())]
}

fn step_of(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

fn wrong_credentials_error() -> AppError {
    AppError::Unauthenticated { code: "wrong_credentials", field: None, message: "the e-mail address or the password is wrong".to_owned() }
}

impl Accounts<'_> {
    /// Checks a user's e-mail and password (and second factor, when they have one and gave it)
    /// from `client` (the caller's address, as logs and lockout keys name it).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        second: Option<SecondFactor>,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<SignIn, AppError> {
        let scopes = scopes(email, client);
        if let attempt @ Attempt::Locked { .. } = self.store.count_attempt(&scopes, self.lockout, now).await? {
            security_event("sign_in_locked", client, email);
            return Err(locked(attempt, now));
        }
        let login = match Email::parse(email) {
            Ok(email) => self.store.admin_login(email.as_str()).await?,
            Err(_) => None,
        };
        // Without an account a dummy hash is still checked, so the answer takes as long either way.
        static DUMMY_HASH: OnceLock<String> = OnceLock::new();
        let hash = match &login {
            Some(login) => login.password_hash.clone(),
            None => DUMMY_HASH.get_or_init(|| hash_secret("no such admin, but take the time")).clone(),
        };
        let password = password.to_owned();
        let matches = self.hashing.run(move || verify_secret(&password, &hash)).await?;
        let Some(login) = login.filter(|_| matches) else {
            let known = self.login_id(email).await;
            return Err(self.wrong_credentials(&scopes, known, client, now).await);
        };
        if login.disabled {
            // The password was right, so the person is told why they cannot come in.
            self.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
            return Err(AppError::Forbidden {
                code: "access_off",
                message: "an admin of your company turned off your access to clockface; ask them to turn it back on".to_owned(),
            });
        }
        if login.totp_secret.is_none() {
            return Ok(SignIn::Done(self.finish(&scopes, &login, client, now).await?));
        }
        match second {
            Some(second) => {
                if self.second_factor_is_right(&login, &second, now).await? {
                    Ok(SignIn::Done(self.finish(&scopes, &login, client, now).await?))
                } else {
                    Err(self.wrong_second_factor(&scopes, &login, client, now).await)
                }
            }
            None => {
                // The password was right: it does not count against the account, the code will.
                self.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
                let pending = new_token("");
                self.store.create_pending_sign_in(&token_hash(&pending), login.id, now + PENDING_FOR).await?;
                Ok(SignIn::NeedsCode { pending })
            }
        }
    }

    /// Forgets a half-done sign-in (the API asks for the code with the password instead).
    pub async fn drop_pending(&self, pending: &str) -> Result<(), AppError> {
        Ok(self.store.delete_pending_sign_in(&token_hash(pending)).await?)
    }

    /// The second step of a two-step sign-in: the half-done sign-in and its code.
    pub async fn finish_with_code(
        &self,
        pending: &str,
        second: SecondFactor,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<NewSession, AppError> {
        let expired = || AppError::Unauthenticated {
            code: "sign_in_expired",
            field: None,
            message: "this sign-in has expired; enter your e-mail address and password again".to_owned(),
        };
        let login = self.store.pending_sign_in(&token_hash(pending), now).await?.ok_or_else(expired)?;
        let scopes = scopes(&login.email, client);
        if let attempt @ Attempt::Locked { .. } = self.store.count_attempt(&scopes, self.lockout, now).await? {
            security_event("sign_in_locked", client, &login.email);
            return Err(locked(attempt, now));
        }
        if !self.second_factor_is_right(&login, &second, now).await? {
            return Err(self.wrong_second_factor(&scopes, &login, client, now).await);
        }
        self.store.delete_pending_sign_in(&token_hash(pending)).await?;
        self.finish(&scopes, &login, client, now).await
    }

    async fn second_factor_is_right(&self, login: &AdminLogin, second: &SecondFactor, now: DateTime<Utc>) -> Result<bool, AppError> {
        match second {
            SecondFactor::Code(code) => {
                let secret = login.totp_secret.as_deref().and_then(|sealed| secrets::open(self.secrets_key, sealed));
                let secret = secret.ok_or_else(|| AppError::internal("an admin's TOTP secret does not open under secrets.key"))?;
                // A code is used once (RFC 6238 5.2): its step must be later than the last one used.
                match totp::matching_step(&secret, code, step_of(now)) {
                    Some(step) => Ok(self.store.use_totp_step(login.id, i64::try_from(step).unwrap_or(i64::MAX)).await?),
                    None => Ok(false),
                }
            }
            SecondFactor::Recovery(code) => Ok(self.store.use_recovery_code(login.id, &totp::recovery_code_hash(code), now).await?),
        }
    }

    /// The account id behind an e-mail address, if there is one (to count its failed sign-ins).
    async fn login_id(&self, email: &str) -> Option<AdminId> {
        let email = Email::parse(email).ok()?;
        self.store.admin_login(email.as_str()).await.ok().flatten().map(|l| l.id)
    }

    /// A wrong e-mail or password: counted, logged, and locking the account or address once its
    /// limit is reached.
    async fn wrong_credentials(&self, scopes: &[LockScope], admin: Option<AdminId>, client: &str, now: DateTime<Utc>) -> AppError {
        let account = scopes.first().map(LockScope::key).unwrap_or_default();
        security_event("wrong_password", client, &account);
        if let Some(admin) = admin {
            if let Err(error) = self.store.record_failed_sign_in(admin, now).await {
                return error.into();
            }
        }
        match self.store.attempt_was_wrong(scopes, self.lockout, now).await {
            Ok(Some(lock)) => {
                security_event("sign_in_locked", client, &account);
                locked(lock, now)
            }
            Ok(None) => wrong_credentials_error(),
            Err(error) => error.into(),
        }
    }

    async fn wrong_second_factor(&self, scopes: &[LockScope], login: &AdminLogin, client: &str, now: DateTime<Utc>) -> AppError {
        security_event("wrong_second_factor", client, &login.email);
        if let Err(error) = self.store.record_failed_sign_in(login.id, now).await {
            return error.into();
        }
        match self.store.attempt_was_wrong(scopes, self.lockout, now).await {
            Ok(Some(lock)) => locked(lock, now),
            Ok(None) => AppError::Unauthenticated {
                code: "wrong_code",
                field: Some("code"),
                message: "that code is wrong, has expired or was used already; enter the next code your app shows, or a recovery code"
                    .to_owned(),
            },
            Err(error) => error.into(),
        }
    }

    /// A right sign-in: the guess takes back its own count from the address and clears the
    /// account's; the session is made; what happened since the last sign-in comes back.
    async fn finish(&self, scopes: &[LockScope], login: &AdminLogin, client: &str, now: DateTime<Utc>) -> Result<NewSession, AppError> {
        self.store.attempt_was_right(&scopes[1..], &scopes[..1]).await?;
        let history = self.store.record_sign_in(login.id, now).await?;
        let token = new_token(ADMIN_TOKEN_PREFIX);
        let session = Session {
            token_hash: token_hash(&token),
            admin_id: login.id,
            company_id: login.company_id,
            admin_email: login.email.clone(),
            role: login.role,
            csrf_token: new_token(""),
            created_at: now,
            expires_at: now + self.session_ttl,
        };
        self.store.create_session(&session).await?;
        tracing::info!(admin = %login.id, client = %client, "admin signed in");
        Ok(NewSession { token, session, history })
    }

    /// The session a token stands for, while it lasts; `None` for anything else (another kind of
    /// token, an unknown one, one signed out or expired).
    pub async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, AppError> {
        if !token.starts_with(ADMIN_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self.store.session(&token_hash(token), now).await?)
    }

    /// Whose cards the user of `session` reaches (one query for a supervisor, none for an admin).
    pub async fn reach(&self, session: &Session) -> Result<Reach, AppError> {
        let assigned = match session.role {
            UserRole::Admin => Vec::new(),
            UserRole::Supervisor => self.store.assigned_employees(session.company_id, session.admin_id).await?,
        };
        Ok(Reach::of(session.admin_id, session.role, assigned))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session: &Session) -> Result<(), AppError> {
        Ok(self.store.delete_session(&session.token_hash).await?)
    }

    /// Who is signed in with `session`.
    pub async fn whoami(&self, session: &Session) -> Result<Whoami, AppError> {
        let company = self.store.company(session.company_id).await?;
        let login = self.store.admin_login(&session.admin_email).await?;
        Ok(Whoami {
            company,
            two_step: login.is_some_and(|l| l.totp_secret.is_some()),
            assigned_employees: match session.role {
                UserRole::Admin => None,
                UserRole::Supervisor => Some(self.store.assigned_employees(session.company_id, session.admin_id).await?),
            },
        })
    }

    /// Starts setting up two-step sign-in for `email`: nothing is stored yet.
    pub fn start_two_step(&self, email: &str) -> Result<TwoStepSetup, AppError> {
        let secret = totp::new_secret();
        let sealed = secrets::seal(self.secrets_key, &secret).ok_or_else(|| AppError::internal("cannot seal a TOTP secret"))?;
        Ok(TwoStepSetup {
            otpauth_url: totp::otpauth_url(email, &secret),
            secret_base32: totp::base32(&secret),
            setup: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sealed),
        })
    }

    /// The secret of a setup handed back, if it is one this server sealed.
    pub fn setup_secret(&self, setup: &str) -> Option<Vec<u8>> {
        let sealed = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, setup.trim()).ok()?;
        secrets::open(self.secrets_key, &sealed)
    }

    /// Turns two-step sign-in on once the first code from the app is right; returns the recovery
    /// codes (shown once; only their hashes are kept). Audited.
    pub async fn confirm_two_step(&self, session: &Session, setup: &str, code: &str, now: DateTime<Utc>) -> Result<Vec<String>, AppError> {
        let secret = self
            .setup_secret(setup)
            .ok_or_else(|| AppError::invalid("invalid", "setup", "this setup is not one the server started; start again"))?;
        let Some(step) = totp::matching_step(&secret, code, step_of(now)) else {
            return Err(AppError::invalid("wrong_code", "code", "that code is wrong or has expired; enter the code the app shows now"));
        };
        let sealed = secrets::seal(self.secrets_key, &secret).ok_or_else(|| AppError::internal("cannot seal a TOTP secret"))?;
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
        self.store.set_totp(session.admin_id, Some(&sealed), &hashes, now).await?;
        // The code that turned it on is used: it does not sign anyone in afterwards.
        self.store.use_totp_step(session.admin_id, i64::try_from(step).unwrap_or(i64::MAX)).await?;
        let actor = format!("admin:{}", session.admin_id);
        self.store.audit(&audit_entry(session.company_id, &actor, "two_step.on", &actor, "")).await?;
        Ok(codes)
    }

    /// Turns two-step sign-in off, with the user's password. Audited.
    pub async fn turn_off_two_step(&self, session: &Session, password: &str, now: DateTime<Utc>) -> Result<(), AppError> {
        let login = self.store.admin_login(&session.admin_email).await?.ok_or_else(|| AppError::NotFound("no such admin".to_owned()))?;
        let (password, hash) = (password.to_owned(), login.password_hash.clone());
        if !self.hashing.run(move || verify_secret(&password, &hash)).await? {
            return Err(AppError::Unauthenticated {
                code: "wrong_credentials",
                field: Some("password"),
                message: "the password is wrong".to_owned(),
            });
        }
        self.store.set_totp(session.admin_id, None, &[], now).await?;
        let actor = format!("admin:{}", session.admin_id);
        self.store.audit(&audit_entry(session.company_id, &actor, "two_step.off", &actor, "")).await?;
        Ok(())
    }
}
