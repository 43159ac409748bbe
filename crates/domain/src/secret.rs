//! Hashing of passwords and PINs with argon2id. Pure computation (no I/O), but slow by design.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a secret into a PHC string (`$argon2id$...`) with a fresh random salt.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    match Argon2::default().hash_password(secret.as_bytes(), &salt) {
        Ok(hash) => hash.to_string(),
        // Only reachable with invalid parameters, which `Argon2::default()` never has.
        Err(error) => unreachable!("argon2 with default parameters failed: {error}"),
    }
}

/// True when `secret` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|parsed| Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

/// An admin's password: 10 to 200 characters.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, crate::DomainError> {
        let count = raw.chars().count();
        if count < 10 {
            return Err(crate::DomainError::invalid("password", "must be at least 10 characters"));
        }
        if count > 200 {
            return Err(crate::DomainError::invalid("password", "must be at most 200 characters"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let hash = hash_secret("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse", &hash));
        assert!(!verify_secret("wrong horse", &hash));
        assert!(!verify_secret("correct horse", "not a hash"));
    }

    #[test]
    fn two_hashes_of_one_secret_differ_by_salt() {
        assert_ne!(hash_secret("1234"), hash_secret("1234"));
    }

    #[test]
    fn passwords_have_a_minimum_length_and_never_print() {
        assert!(Password::parse("short").is_err());
        let password = Password::parse("long enough secret").expect("valid");
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
