//! The keys kept outside the database, as files in the data folder: `pin.key`, the key of the
//! digest that finds an employee by PIN (a copy of the database alone cannot be used to try
//! every PIN offline), and `secrets.key`, which encrypts the secrets the database keeps (admins'
//! TOTP secrets): a database dump alone reveals none of them.
//!
//! A key file is written atomically and durably (temporary file, fsync, rename, fsync of the
//! folder) before anything uses it. The database keeps a fingerprint of each key (a keyed digest
//! of a fixed text, never the key), so that a server whose data folder lost or damaged its key,
//! or a second node given another key, refuses to start with a sentence saying what to restore,
//! instead of failing every PIN quietly. An empty installation makes a new key.

use clockface_store::blobs::write_file_durably;
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
        "{path} is not the key this database was made with (its fingerprint differs). Every node of an installation \
         needs the same {name}: copy it from the first node, or restore it from this installation's backup."
    )]
    Different { path: PathBuf, name: &'static str },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot check the key against the database: {0}")]
    Store(#[from] clockface_store::StoreError),
}

/// The PIN key: read from `path` (`pin.key` in the data folder unless `pin_key_file` says
/// otherwise), or made there on an installation that holds no data made with one; checked
/// against the fingerprint the database keeps.
pub async fn pin_key(path: &Path, store: &dyn Store) -> Result<Vec<u8>, KeyError> {
    let in_use = store.any_pin_set().await?;
    load(path, store, PIN_KEY, in_use).await
}

/// The secrets key (`secrets.key` in the data folder unless `secrets_key_file` says otherwise),
/// likewise.
pub async fn secrets_key(path: &Path, store: &dyn Store) -> Result<Vec<u8>, KeyError> {
    let in_use = store.any_secret_sealed().await?;
    load(path, store, SECRETS_KEY, in_use).await
}

/// The key `name` in the file `path`, where `in_use` says whether the database holds data made
/// with it even before its fingerprint was recorded (an older release's install).
async fn load(path: &Path, store: &dyn Store, name: &'static str, in_use: bool) -> Result<Vec<u8>, KeyError> {
    let path = path.to_owned();
    let recorded = store.key_fingerprint(name).await?;
    let has_data = recorded.is_some() || in_use;
    let key = match std::fs::read_to_string(&path) {
        Ok(text) => match parse_key(&text) {
            Ok(key) => key,
            Err(reason) if has_data => return Err(KeyError::Damaged { path, name, reason }),
            // Nothing depends on it yet (a cut in an older release's first minute): make it anew.
            Err(reason) => {
                tracing::warn!(path = %path.display(), %reason, "a key was damaged and no data used it: making a new one");
                new_key(&path)?
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if has_data {
                return Err(KeyError::Missing { path, name });
            }
            new_key(&path)?
        }
        Err(source) => return Err(KeyError::Read { path, source }),
    };
    let fingerprint = fingerprint(&key);
    let stored = match recorded {
        Some(recorded) => recorded,
        None => store.record_key_fingerprint(name, &fingerprint, chrono::Utc::now()).await?,
    };
    if stored != fingerprint {
        return Err(KeyError::Different { path, name });
    }
    Ok(key)
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
fn fingerprint(key: &[u8]) -> String {
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
