//! The state every handler shares: the store, the photo blobs and the settings.

use crate::guard::{Gates, Limits};
use crate::photo::PhotoLimits;
use clockface_app::devices::Devices;
use clockface_app::employees::Employees;
use clockface_app::sign_in::Accounts;
use clockface_app::users::Users;
use clockface_domain::lockout::LockoutPolicy;
use clockface_store::blobs::BlobStore;
use clockface_store::group::PunchWriter;
use clockface_store::Store;
use std::sync::Arc;

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blobs: BlobStore,
    /// Commits punches in groups: a request's punch is answered once its transaction committed.
    pub punches: PunchWriter,
    pub settings: Arc<WebSettings>,
    /// Woken when a punch with a photo is stored, so the verification worker starts at once.
    pub jobs: Arc<tokio::sync::Notify>,
    /// Bounds on work anyone can cause (hashing, decoding, requests at once).
    pub gates: Gates,
    /// The kiosks' galleries of enrolled faces, decrypted once and kept in memory.
    pub galleries: Arc<clockface_app::kiosk::Galleries>,
}

/// What the HTTP side needs of the configuration.
pub struct WebSettings {
    /// The key of the keyed digest that finds an employee by PIN. Kept out of the database so a
    /// copy of the database alone does not let anyone try all 4-digit PINs offline.
    pub pin_key: secrecy::SecretSlice<u8>,
    pub photo_limits: PhotoLimits,
    pub lockout: LockoutPolicy,
    /// How long an admin's session lasts.
    pub session_ttl: chrono::Duration,
    /// How long a device registration code stays usable unless the admin says otherwise.
    pub registration_code_ttl: chrono::Duration,
    /// Most punches one batch may carry.
    pub max_batch: usize,
    /// Largest batch upload, photos included, in bytes.
    pub max_batch_bytes: usize,
    /// How many tasks give FaceFront photos their verdicts (0: none in this process).
    pub verification_workers: usize,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Bounds on work anyone can cause.
    pub limits: Limits,
    /// The key that encrypts secrets kept in the database (admins' TOTP secrets).
    pub secrets_key: secrecy::SecretSlice<u8>,
    /// How long a worker holds a verification job before another node may take it over.
    pub verification_lease: chrono::Duration,
    /// This node's name, recorded on the verification jobs it holds.
    pub node_name: String,
    /// The address people reach clockface at (e.g. `https://clock.acme.example`), for links in
    /// invitations; without it, the address the admin's own request came to.
    pub public_url: Option<String>,
    /// The SMTP server invitations are sent through; without one, links are shown to copy.
    pub mail: Option<clockface_app::mail::MailSettings>,
    /// Where the audit witness writes the signed heads (none: no witness in this process).
    pub witness: Option<clockface_app::witness::WitnessSettings>,
    /// The key pair offline sign-ins seal their PIN to (derived from the secrets key).
    pub pin_seal: Option<clockface_app::sealed_pin::PinSealKey>,
}

impl AppState {
    /// What the sign-in use case needs of the server.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            store: self.store.as_ref(),
            hashing: self.gates.hashing(),
            lockout: &self.settings.lockout,
            secrets_key: &self.settings.secrets_key,
            session_ttl: self.settings.session_ttl,
        }
    }

    /// What the devices use case needs of the server.
    pub fn devices(&self) -> Devices<'_> {
        Devices { store: self.store.as_ref(), code_ttl: self.settings.registration_code_ttl }
    }

    /// What checking an employee's fields needs of the server.
    pub fn employees(&self) -> Employees<'_> {
        Employees { store: self.store.as_ref(), hashing: self.gates.hashing(), pin_key: &self.settings.pin_key }
    }

    /// What the users and invitations use case needs of the server.
    pub fn users(&self) -> Users<'_> {
        Users { store: self.store.as_ref(), hashing: self.gates.hashing(), mail: self.settings.mail.as_ref() }
    }
}

impl WebSettings {
    /// Defaults with the given PIN key and secrets key.
    pub fn new(pin_key: Vec<u8>, secrets_key: Vec<u8>) -> Self {
        let secrets_key: secrecy::SecretSlice<u8> = secrets_key.into();
        Self {
            pin_key: pin_key.into(),
            pin_seal: clockface_app::sealed_pin::PinSealKey::derive(&secrets_key),
            secrets_key,
            trust_forwarded_for: false,
            limits: Limits::default(),
            photo_limits: PhotoLimits::default(),
            lockout: LockoutPolicy::default(),
            session_ttl: chrono::Duration::hours(12),
            registration_code_ttl: chrono::Duration::hours(24),
            max_batch: 500,
            max_batch_bytes: 64 * 1024 * 1024,
            verification_workers: 1,
            verification_lease: chrono::Duration::seconds(60),
            node_name: "clockface".to_owned(),
            public_url: None,
            mail: None,
            witness: None,
        }
    }
}
