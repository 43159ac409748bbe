//! Secrets the database keeps but must not reveal (admins' TOTP secrets), sealed with an AEAD
//! (XChaCha20-Poly1305, a random 24-byte nonce each time) under `secrets.key` from the data
//! folder: a database dump alone reveals none of them, and a sealed value altered in the
//! database does not open.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretSlice};

const NONCE: usize = 24;

/// The key as the cipher takes it (32 bytes: the first 32 of the key file's).
fn cipher(key: &SecretSlice<u8>) -> Option<XChaCha20Poly1305> {
    let key = key.expose_secret();
    XChaCha20Poly1305::new_from_slice(key.get(..32)?).ok()
}

/// `plaintext` sealed under `key`: the nonce, then the ciphertext with its tag.
pub fn seal(key: &SecretSlice<u8>, plaintext: &[u8]) -> Option<Vec<u8>> {
    seal_bound(key, b"", plaintext)
}

/// What `seal` sealed, or `None` when it was altered or sealed under another key.
pub fn open(key: &SecretSlice<u8>, sealed: &[u8]) -> Option<Vec<u8>> {
    open_bound(key, b"", sealed)
}

/// `plaintext` sealed under `key` and bound to `context` (e.g. whose it is): it opens only with
/// the same context, so a sealed value moved to another row in the database does not open.
pub fn seal_bound(key: &SecretSlice<u8>, context: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let cipher = cipher(key)?;
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut sealed = nonce.to_vec();
    sealed.extend(cipher.encrypt(&nonce, Payload { msg: plaintext, aad: context }).ok()?);
    Some(sealed)
}

/// What `seal_bound` sealed with this `context`.
pub fn open_bound(key: &SecretSlice<u8>, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE);
    cipher(key)?.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_whole_and_under_its_key() {
        let key: SecretSlice<u8> = vec![7u8; 32].into();
        let sealed = seal(&key, b"JBSWY3DPEHPK3PXP").expect("seals");
        assert!(!sealed.windows(4).any(|w| w == b"JBSW"), "the secret does not show through");
        assert_eq!(open(&key, &sealed).as_deref(), Some(&b"JBSWY3DPEHPK3PXP"[..]));
        assert_ne!(seal(&key, b"same").unwrap(), seal(&key, b"same").unwrap(), "a fresh nonce each time");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &altered), None);
        assert_eq!(open(&vec![8u8; 32].into(), &sealed), None);
    }

    #[test]
    fn a_bound_secret_opens_only_with_its_context() {
        let key: SecretSlice<u8> = vec![7u8; 32].into();
        let sealed = seal_bound(&key, b"employee:1", &[1, 2, 3]).expect("seals");
        assert_eq!(open_bound(&key, b"employee:1", &sealed).as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(open_bound(&key, b"employee:2", &sealed), None, "moved to another employee");
        assert_eq!(open(&key, &sealed), None);
    }
}
