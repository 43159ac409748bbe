//! The keys kept outside the database, as files in the data folder: `pin.key`, the key of the
//! digest that finds an employee by PIN (a copy of the database alone cannot be used to try
//! every PIN offline), and `secrets.key`, which seals the secrets the database keeps (admins'
//! TOTP secrets, face templates): a database dump alone reveals none of them.
//!
//! A key file is written atomically and durably (temporary file, fsync, rename, fsync of the
//! folder) before anything uses it. The database keeps a fingerprint of each key (a keyed digest
//! of a fixed text, never the key), so that a server whose data folder lost or damaged its key,
//! or a second node given another key, refuses to start with a sentence saying what to restore,
//! instead of failing every PIN quietly. An installation that holds nothing made with a key
//! gets a new one.
//!
//! Start-up runs in two steps so that a refusal changes nothing: [`check`] decides, from the key
//! file and what the database holds before any migration ([`Inspection`]), whether the key can be
//! used or must be made, refusing a key file others can read and a missing, damaged or different
//! key that data depends on; [`CheckedKey::make_or_use`] then writes a key that must be made,
//! and [`record`] records its fingerprint once the database is migrated.

use clockface_store::blobs::write_file_durably;
use clockface_store::inspect::Inspection;
use clockface_store::Store;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// The PIN key's file name in the data folder.
pub const PIN_KEY: &str = "pin.key";
/// The secrets key's file name in the data folder.
pub const SECRETS_KEY: &str = "secrets.key";

/// Why a key cannot be used; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{path} is missing, but the database already holds data made with it. \
         Restore {name} from this installation's backup into the data folder (or copy it from another node \
         of this installation), then start again. A new key would not read what was made with this one."
    )]
    Missing { path: PathBuf, name: &'static str },
    #[error(
        "{path} is damaged ({reason}), and the database holds data made with it. Restore {name} from this \
         installation's backup (or copy it from another node of this installation), then start again."
    )]
    Damaged { path: PathBuf, name: &'static str, reason: String },
    #[error(
        "{path} is not the key this database was made with ({how}). Every node of an installation \
         needs the same {name}: copy it from the first node, or restore it from this installation's backup."
    )]
    Different { path: PathBuf, name: &'static str, how: &'static str },
    #[error(
        "{path} can be read by users other than the one clockface runs as (its mode is {mode:03o}). \
         Run `chmod 600 {path}` as that user (and keep the file theirs), then start again."
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot check the key against the database: {0}")]
    Store(#[from] clockface_store::StoreError),
}

/// What start-up does with a key, decided before anything is written.
#[derive(Debug)]
enum Plan {
    /// The key file holds this key, which the data (if any) was made with.
    Use(Vec<u8>),
    /// Nothing stored depends on the key and the file is missing (or damaged): a new one is made.
    Make,
}

/// A key that passed [`check`].
#[derive(Debug)]
pub struct CheckedKey {
    pub name: &'static str,
    pub path: PathBuf,
    plan: Plan,
}

impl CheckedKey {
    /// The key: the one read at [`check`], or a new one written durably now.
    pub fn make_or_use(self) -> Result<Vec<u8>, KeyError> {
        match self.plan {
            Plan::Use(key) => Ok(key),
            Plan::Make => {
                if self.path.exists() {
                    tracing::warn!(path = %self.path.display(), "a key was damaged and no data used it: making a new one");
                }
                new_key(&self.path)
            }
        }
    }
}

/// Whether the database holds data made with the key `name` (before its fingerprint was
/// recorded, too): for `pin.key`, any employee's PIN; for `secrets.key`, any sealed TOTP
/// secret or sealed face template. Face templates that a release before `secrets.key` stored in
/// plain do not count: that key never touched them, and a new key seals them.
fn in_use(name: &str, found: &Inspection) -> bool {
    found.fingerprint(name).is_some()
        || match name {
            PIN_KEY => found.pins_set,
            _ => found.secrets_sealed(),
        }
}

/// Decides what to do with the key `name` whose file is `path`, from what the database holds
/// before any migration; writes nothing. Refuses a key file that others can read, and a
/// missing, damaged or different key that stored data depends on.
pub fn check(path: &Path, name: &'static str, found: &Inspection) -> Result<CheckedKey, KeyError> {
    let path = path.to_owned();
    let has_data = in_use(name, found);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if has_data {
                return Err(KeyError::Missing { path, name });
            }
            return Ok(CheckedKey { name, path, plan: Plan::Make });
        }
        Err(source) => return Err(KeyError::Read { path, source }),
    };
    refuse_exposed(&path)?;
    let key = match parse_key(&text) {
        Ok(key) => key,
        Err(reason) if has_data => return Err(KeyError::Damaged { path, name, reason }),
        // Nothing depends on it yet (a cut in an older release's first minute): made anew.
        Err(_) => return Ok(CheckedKey { name, path, plan: Plan::Make }),
    };
    if let Some(recorded) = found.fingerprint(name) {
        if recorded != fingerprint(&key) {
            return Err(KeyError::Different { path, name, how: "its fingerprint differs" });
        }
    } else if name == SECRETS_KEY && !opens_what_is_sealed(&key, found) {
        // A release that sealed before recording fingerprints (or a crash between the two):
        // the sealed data itself tells.
        return Err(KeyError::Different { path, name, how: "what the database keeps sealed does not open with it" });
    }
    Ok(CheckedKey { name, path, plan: Plan::Use(key) })
}

/// Whether the sealed samples the inspection found (one TOTP secret, one face template) open
/// with `key`; true when there are none.
fn opens_what_is_sealed(key: &[u8], found: &Inspection) -> bool {
    let key: secrecy::SecretSlice<u8> = key.to_vec().into();
    let totp = found.totp_sample.as_ref().is_none_or(|sealed| clockface_app::secrets::open(&key, sealed).is_some());
    let template = found
        .sealed_template_sample
        .as_ref()
        .is_none_or(|(employee, sealed)| clockface_web::verification::sealed_template_opens(&key, *employee, sealed));
    totp && template
}

/// Refuses a key file whose mode lets anyone but its owner read (or write) it.
fn refuse_exposed(path: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|source| KeyError::Read { path: path.to_owned(), source })?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed { path: path.to_owned(), mode });
        }
    }
    Ok(())
}

/// Records the key's fingerprint once the database is migrated, unless one is recorded already,
/// and checks the recorded one: two servers starting at once with different new keys agree on
/// the first, and the other refuses.
pub async fn record(store: &dyn Store, name: &'static str, path: &Path, key: &[u8]) -> Result<(), KeyError> {
    let fingerprint = fingerprint(key);
    let stored = match store.key_fingerprint(name).await? {
        Some(recorded) => recorded,
        None => store.record_key_fingerprint(name, &fingerprint, chrono::Utc::now()).await?,
    };
    if stored != fingerprint {
        return Err(KeyError::Different { path: path.to_owned(), name, how: "its fingerprint differs" });
    }
    Ok(())
}

/// A new random 32-byte key, written durably to `path` as hex.
fn new_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    let mut key = vec![0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    write_file_durably(path, hex::encode(&key).as_bytes(), 0o600).map_err(|source| KeyError::Write { path: path.to_owned(), source })?;
    Ok(key)
}

/// The key in the file at `path`, which must exist and be whole (for commands that read an
/// installation without changing it, such as `audit verify`).
pub fn read_existing(path: &Path, name: &'static str) -> Result<Vec<u8>, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text).map_err(|reason| KeyError::Damaged { path: path.to_owned(), name, reason }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(KeyError::Missing { path: path.to_owned(), name }),
        Err(source) => Err(KeyError::Read { path: path.to_owned(), source }),
    }
}

/// A key file's hex text as bytes (at least 16 bytes).
fn parse_key(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the file is empty".to_owned());
    }
    let key = hex::decode(text).map_err(|e| format!("not hex digits: {e}"))?;
    if key.len() < 16 {
        return Err(format!("{} bytes; a key has at least 16", key.len()));
    }
    Ok(key)
}

/// What the database keeps of a key: an HMAC of a fixed text under it, which tells keys apart
/// without revealing them.
pub fn fingerprint(key: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(error) => unreachable!("HMAC takes keys of any length: {error}"),
    };
    mac.update(b"clockface key fingerprint v1");
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_hex_of_at_least_16_bytes() {
        assert_eq!(parse_key(&format!("{}\n", "ab".repeat(32))), Ok(vec![0xab; 32]));
        assert!(parse_key("").is_err());
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn fingerprints_tell_keys_apart_and_do_not_contain_them() {
        let (a, b) = (vec![1u8; 32], vec![2u8; 32]);
        assert_eq!(fingerprint(&a), fingerprint(&a));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert!(!fingerprint(&a).contains(&hex::encode(&a)[..8]));
    }
}
