//! Companies (tenants) and their settings.

use crate::ids::CompanyId;
use crate::DomainError;
use chrono_tz::Tz;

/// A company. Every other row belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: CompanyId,
    pub name: CompanyName,
    /// Time cards are computed in this zone: a shift belongs to the day it starts there.
    pub time_zone: Tz,
    /// Raised by every change a device must sync (roles, role assignments, crews).
    /// A device that reports an older version has not seen the change yet.
    pub settings_version: i64,
    /// New PINs have at least this many digits (6 unless the company chose 4 to 8).
    pub min_pin_digits: u8,
}

/// A company's display name: 1 to 120 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_name(raw, "name", 120).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses an IANA zone name such as `America/Chicago`.
pub fn parse_time_zone(raw: &str) -> Result<Tz, DomainError> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| DomainError::invalid("time_zone", format!("`{raw}` is not an IANA time zone such as America/Chicago")))
}

/// Trims a display name and checks it is neither empty nor longer than `max` characters
/// nor holding control characters. Shared by every kind of name.
pub(crate) fn parse_name(raw: &str, field: &'static str, max: usize) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > max {
        return Err(DomainError::invalid(field, format!("must be at most {max} characters")));
    }
    crate::text::check(field, name, crate::text::Lines::One)
}

/// An admin's e-mail address, lower-cased. Checked for shape only: one `@` with text either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((user, host)) if !user.is_empty() && host.contains('.') && !host.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(DomainError::invalid("email", "must be an e-mail address such as ana@example.com"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(CompanyName::parse("  Acme  ").map(|n| n.as_str().to_owned()), Ok("Acme".to_owned()));
        assert!(CompanyName::parse("   ").is_err());
        assert!(CompanyName::parse(&"x".repeat(121)).is_err());
        assert!(CompanyName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_shape_checked() {
        assert_eq!(Email::parse(" Ana@Example.COM ").map(|e| e.as_str().to_owned()), Ok("ana@example.com".to_owned()));
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(parse_time_zone("America/Chicago"), Ok(chrono_tz::America::Chicago));
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}
