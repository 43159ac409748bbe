//! The optional second factor for admins: TOTP (RFC 6238: 6 digits, 30 s, SHA-1, what every
//! authenticator app takes) through the `totp-rs` crate, and single-use recovery codes for a
//! lost phone. The secret is kept sealed (`secrets::seal`); recovery codes only as SHA-256.

use crate::tokens::token_hash;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// How many recovery codes an admin gets when turning the second factor on.
pub const RECOVERY_CODES: usize = 10;

/// A fresh 20-byte (160-bit) secret, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// Seconds in a step.
const STEP: u64 = 30;

fn totp(secret: &[u8]) -> Option<TOTP> {
    // One step of skew either way: a phone's clock 30 seconds off still works.
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, secret.to_vec()).ok()
}

/// The secret in base32, as an admin types it into an app that cannot scan the code.
pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` address an authenticator app scans.
pub fn otpauth_url(account: &str, secret: &[u8]) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20");
    format!("otpauth://totp/clockface:{}?secret={}&issuer=clockface&algorithm=SHA1&digits=6&period=30", encode(account), base32(secret))
}

/// The address as a QR code, in SVG (drawn in the page, so the page's CSP needs no image source).
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).quiet_zone(true).build())
}

/// Whether `code` (spaces allowed) is the secret's code at `unix_seconds`, or a step either side.
pub fn check(secret: &[u8], code: &str, unix_seconds: u64) -> bool {
    matching_step(secret, code, unix_seconds).is_some()
}

/// The 30-second step (seconds since 1970 / 30) whose code `code` is, among the step of
/// `unix_seconds` and one either side; `None` when it is none of them. The step is what makes a
/// code single-use (RFC 6238 5.2): the store remembers the last one accepted.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return None;
    }
    // One step at a time (no skew of its own), so that the step that matched is known.
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, STEP, secret.to_vec()).ok()?;
    let now = unix_seconds / STEP;
    // The latest first: a code of the next step is the next step's.
    [now + 1, now, now.saturating_sub(1)].into_iter().find(|step| totp.check(&code, step * STEP))
}

/// The code at `unix_seconds` (for tests and the setup page's check).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> Option<String> {
    totp(secret).map(|totp| totp.generate(unix_seconds))
}

/// Fresh recovery codes, e.g. `K7QM-2XPA-93HD`, from an alphabet without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 12];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
            format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
        })
        .collect()
}

/// What is stored of a recovery code: the SHA-256 of its letters, upper-cased, without dashes.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).flat_map(char::to_uppercase).collect();
    token_hash(&normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_accepted_in_its_step_and_the_next_only() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert!(check(&secret, &code, now));
        assert!(check(&secret, &format!("{} {}", &code[..3], &code[3..]), now + 30), "a step late, with a space");
        assert!(!check(&secret, &code, now + 120), "long expired");
        assert!(!check(&new_secret(), &code, now), "another secret");
        assert!(!check(&secret, "12345", now));
    }

    #[test]
    fn the_step_a_code_belongs_to_is_known() {
        let secret = new_secret();
        let now = 1_800_000_000; // a multiple of 30: step 60,000,000
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(60_000_000));
        assert_eq!(matching_step(&secret, &code, now + 29), Some(60_000_000), "later in the same step");
        assert_eq!(matching_step(&secret, &code, now + 30), Some(60_000_000), "a step late");
        assert_eq!(matching_step(&secret, &code, now - 30), Some(60_000_000), "a step early");
        assert_eq!(matching_step(&secret, &code, now + 60), None);
    }

    #[test]
    fn the_otpauth_address_names_the_account_and_scans() {
        let secret = vec![1u8; 20];
        let url = otpauth_url("ana@acme.test", &secret);
        assert!(url.starts_with("otpauth://totp/clockface:ana%40acme.test?secret=AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIB&"), "{url}");
        assert!(qr_svg(&url).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_forgivingly() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), RECOVERY_CODES);
        assert_eq!(recovery_code_hash(&codes[0]), recovery_code_hash(&codes[0].to_lowercase().replace('-', " ")));
    }
}
