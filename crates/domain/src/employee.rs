//! Employees, their numbers and PINs.

use crate::company::parse_name;
use crate::ids::{CompanyId, EmployeeId, RoleId};
use crate::DomainError;
use serde::Serialize;

/// An employee as the rest of the system sees them. The PIN's hashes never leave the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Employee {
    pub id: EmployeeId,
    #[serde(skip)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    pub name: EmployeeName,
    #[schema(value_type = String)]
    pub number: EmployeeNumber,
    /// Their mobile security role.
    pub role_id: RoleId,
    /// The company settings version at which `role_id` was last set.
    pub role_version: i64,
    pub active: bool,
    /// Whether a PIN is set (the PIN itself is never shown).
    pub has_pin: bool,
    /// When employment ended (the employee was made inactive), if it has.
    pub left_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An employee's full name: 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EmployeeName(String);

impl EmployeeName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_name(raw, "name", 120).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An employee number as payroll knows it: 1 to 32 letters, digits, `-` or `_`; unique in the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EmployeeNumber(String);

impl EmployeeNumber {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let number = raw.trim();
        let valid = !number.is_empty() && number.len() <= 32 && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(number.to_owned()))
        } else {
            Err(DomainError::invalid("number", "must be 1 to 32 letters, digits, - or _"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a name and a number as they are entered (not as read back): neither may start a
/// spreadsheet formula, since payroll import files cannot mark them as text (`text::not_formula`).
/// Each is checked on its own (either may be missing), so that a form says what is wrong with both.
pub fn check_entered(name: Option<&EmployeeName>, number: Option<&EmployeeNumber>) -> Vec<DomainError> {
    let name = name.map(|n| crate::text::not_formula("name", n.as_str()));
    let number = number.map(|n| crate::text::not_formula("number", n.as_str()));
    name.into_iter().chain(number).filter_map(Result::err).collect()
}

/// A PIN: 4 to 8 digits. It identifies the employee on a shared device, so it is unique in the company.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let pin = raw.trim();
        if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(pin.to_owned()))
        } else {
            Err(DomainError::invalid("pin", "must be 4 to 8 digits"))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_four_to_eight_digits() {
        for good in ["1234", "00000000", " 4321 "] {
            assert!(Pin::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["123", "123456789", "12a4", "", "12 34"] {
            assert!(Pin::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pins_never_print() {
        assert_eq!(format!("{:?}", Pin::parse("1234")), "Ok(Pin(***))");
    }

    #[test]
    fn employee_numbers_are_plain() {
        assert!(EmployeeNumber::parse("E-100_a").is_ok());
        assert!(EmployeeNumber::parse("E 100").is_err());
        assert!(EmployeeNumber::parse("").is_err());
    }
}
