//! Punches signed by the device: each mobile clock makes an ECDSA P-256 key pair with WebCrypto at
//! registration (the private key cannot leave the browser) and registers the public key; every
//! punch is signed over `clockface_domain::punch::signed_content`. The server checks the signature
//! and flags a punch whose signature is missing or wrong; it never refuses one.

use crate::AppError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use clockface_domain::punch::SignatureCheck;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

/// A public key as a device sends it (base64 of the raw uncompressed point, 65 bytes), checked
/// to be a point on P-256, in the form it is stored.
pub fn parse_public_key(raw: &str) -> Result<String, AppError> {
    let invalid = || AppError::invalid("invalid", "public_key", "public_key must be a P-256 public key, raw uncompressed, in base64");
    let bytes = STANDARD.decode(raw.trim()).map_err(|_| invalid())?;
    if bytes.len() != 65 {
        return Err(invalid());
    }
    let key = VerifyingKey::from_sec1_bytes(&bytes).map_err(|_| invalid())?;
    Ok(STANDARD.encode(key.to_encoded_point(false).as_bytes()))
}

/// Checks a punch's signature (base64 of WebCrypto's 64-byte `r || s`) over `content` with the
/// device's key, if it has one.
pub fn check(device_key: Option<&str>, content: &str, signature: Option<&str>) -> SignatureCheck {
    let Some(key) = device_key else { return SignatureCheck::NoKey };
    let Some(signature) = signature.filter(|s| !s.is_empty()) else { return SignatureCheck::Missing };
    let key = STANDARD.decode(key).ok().and_then(|bytes| VerifyingKey::from_sec1_bytes(&bytes).ok());
    let signature = STANDARD.decode(signature).ok().and_then(|bytes| Signature::from_slice(&bytes).ok());
    match (key, signature) {
        (Some(key), Some(signature)) if key.verify(content.as_bytes(), &signature).is_ok() => SignatureCheck::Valid,
        _ => SignatureCheck::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::SigningKey;

    fn device() -> (SigningKey, String) {
        let signing = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let public = STANDARD.encode(signing.verifying_key().to_encoded_point(false).as_bytes());
        (signing, public)
    }

    fn sign(key: &SigningKey, content: &str) -> String {
        let signature: Signature = key.sign(content.as_bytes());
        STANDARD.encode(signature.to_bytes())
    }

    #[test]
    fn a_signature_holds_for_its_content_only() {
        let (key, public) = device();
        let signature = sign(&key, "punch one");
        assert_eq!(check(Some(&public), "punch one", Some(&signature)), SignatureCheck::Valid);
        assert_eq!(check(Some(&public), "punch two", Some(&signature)), SignatureCheck::Invalid, "replayed on another punch");
        assert_eq!(check(Some(&public), "punch one", None), SignatureCheck::Missing);
        assert_eq!(check(Some(&public), "punch one", Some("not base64!")), SignatureCheck::Invalid);
        assert_eq!(check(None, "punch one", Some(&signature)), SignatureCheck::NoKey);
    }

    #[test]
    fn only_p256_points_are_taken_as_keys() {
        let (_, public) = device();
        assert_eq!(parse_public_key(&public).unwrap(), public);
        assert!(parse_public_key(&STANDARD.encode([4u8; 65])).is_err(), "not on the curve");
        assert!(parse_public_key("AAAA").is_err());
    }
}
