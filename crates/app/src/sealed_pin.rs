//! The PIN typed at an offline sign-in, sealed on the device so that only the server can open it.
//!
//! A device must never hold anything a PIN can be tested against: a shared tablet's storage, in
//! the hands of a co-worker or a thief, would give up every PIN of the crew to a few minutes of
//! guessing. So offline, the clock does not check the PIN at all: the worker picks their name and
//! types their PIN, and each punch of that sign-in carries the PIN sealed to the server's public
//! key. The server opens it when the punch arrives and judges it under the same counts as an
//! online sign-in (`api::device`): a wrong PIN keeps the punch, flagged, for review.
//!
//! The seal is ECIES over what WebCrypto offers everywhere: an ephemeral ECDH P-256 key on the
//! device, the shared secret's x coordinate through HKDF-SHA256 (salt `clockface`, info
//! `clockface pin seal v1`) to an AES-256-GCM key, a random 12-byte IV, and the punch's
//! `client_id` as associated data, so a sealed PIN moved to another punch does not open. The
//! server's key pair is derived from `secrets.key` (HMAC-SHA256 of a label), so every node has the
//! same one and nothing new is stored; the public half goes to devices with each sync.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const HKDF_SALT: &[u8] = b"clockface";
const HKDF_INFO: &[u8] = b"clockface pin seal v1";

/// A PIN sealed on a device for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedPin {
    /// The device's ephemeral ECDH P-256 public key, SEC1 uncompressed, base64.
    pub epk: String,
    /// The AES-GCM IV (12 bytes), base64.
    pub iv: String,
    /// The PIN's digits encrypted with AES-256-GCM, tag included, base64.
    pub ct: String,
}

/// Why a sealed PIN did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed PIN is not well formed")]
    Malformed,
    #[error("the sealed PIN does not open with this server's key for this punch")]
    DoesNotOpen,
}

/// The server's key pair for sealed PINs.
#[derive(Clone)]
pub struct PinSealKey {
    secret: SecretKey,
}

impl std::fmt::Debug for PinSealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinSealKey").field("public", &self.public_base64()).finish()
    }
}

impl PinSealKey {
    /// The key pair for `secrets_key`: the first valid P-256 scalar among HMAC-SHA256 digests of a
    /// label and a counter.
    pub fn derive(secrets_key: &SecretSlice<u8>) -> Option<PinSealKey> {
        (0u8..=255).find_map(|counter| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secrets_key.expose_secret()).ok()?;
            mac.update(b"clockface pin seal key v1");
            mac.update(&[counter]);
            SecretKey::from_slice(&mac.finalize().into_bytes()).ok().map(|secret| PinSealKey { secret })
        })
    }

    /// The public key as devices get it: SEC1 uncompressed (65 bytes), base64.
    pub fn public_base64(&self) -> String {
        STANDARD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// The PIN sealed for the punch `client_id`.
    pub fn open(&self, sealed: &SealedPin, client_id: &str) -> Result<String, SealError> {
        let decode = |text: &str| STANDARD.decode(text.trim()).map_err(|_| SealError::Malformed);
        let (epk, iv, ct) = (decode(&sealed.epk)?, decode(&sealed.iv)?, decode(&sealed.ct)?);
        if iv.len() != 12 || ct.len() < 16 || ct.len() > 64 {
            return Err(SealError::Malformed);
        }
        let epk = PublicKey::from_sec1_bytes(&epk).map_err(|_| SealError::Malformed)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), epk.as_affine());
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(HKDF_SALT), shared.raw_secret_bytes()).expand(HKDF_INFO, &mut key).map_err(|_| SealError::Malformed)?;
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::Malformed)?;
        let plain =
            cipher.decrypt(Nonce::from_slice(&iv), Payload { msg: &ct, aad: client_id.as_bytes() }).map_err(|_| SealError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }

    /// Seals `pin` for the punch `client_id` as a device does (for tests and tools).
    pub fn seal(&self, pin: &str, client_id: &str) -> SealedPin {
        use rand::RngCore;
        let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
        let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), self.secret.public_key().as_affine());
        let mut key = [0u8; 32];
        if Hkdf::<Sha256>::new(Some(HKDF_SALT), shared.raw_secret_bytes()).expand(HKDF_INFO, &mut key).is_err() {
            unreachable!("32 bytes is a valid HKDF-SHA256 output length");
        }
        let mut iv = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        let ct = match Aes256Gcm::new_from_slice(&key) {
            Ok(cipher) => cipher.encrypt(Nonce::from_slice(&iv), Payload { msg: pin.as_bytes(), aad: client_id.as_bytes() }),
            Err(_) => unreachable!("a 32-byte key is an AES-256 key"),
        };
        SealedPin {
            epk: STANDARD.encode(ephemeral.public_key().to_encoded_point(false).as_bytes()),
            iv: STANDARD.encode(iv),
            ct: STANDARD.encode(ct.unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_pin_opens_only_for_its_punch_and_under_its_key() {
        let key = PinSealKey::derive(&vec![5u8; 32].into()).unwrap();
        let sealed = key.seal("482193", "punch-1");
        assert_eq!(key.open(&sealed, "punch-1"), Ok("482193".to_owned()));
        assert_eq!(key.open(&sealed, "punch-2"), Err(SealError::DoesNotOpen), "moved to another punch");
        let other = PinSealKey::derive(&vec![6u8; 32].into()).unwrap();
        assert_eq!(other.open(&sealed, "punch-1"), Err(SealError::DoesNotOpen), "another installation");
        assert_ne!(key.seal("482193", "punch-1"), sealed, "a fresh ephemeral key and IV each time");
        let garbled = SealedPin { epk: "not base64!".into(), ..sealed.clone() };
        assert_eq!(key.open(&garbled, "punch-1"), Err(SealError::Malformed));
        let public = STANDARD.decode(key.public_base64()).unwrap();
        assert_eq!((public.len(), public[0]), (65, 4), "SEC1 uncompressed, as WebCrypto imports it raw");
    }
}
