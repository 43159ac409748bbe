//! Tokens that stand for someone (a session, a device, a half-done sign-in, an invitation):
//! random, shown once, and stored only as their SHA-256.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of a web-app user's session token.
pub const ADMIN_TOKEN_PREFIX: &str = "cfs_";
/// Prefix of a device token.
pub const DEVICE_TOKEN_PREFIX: &str = "cfd_";

/// A new random token with `prefix`: 32 random bytes, base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of a token: its SHA-256 in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, b) = (new_token(ADMIN_TOKEN_PREFIX), new_token(ADMIN_TOKEN_PREFIX));
        assert!(a.starts_with("cfs_") && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
