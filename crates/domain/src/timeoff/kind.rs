//! Time-off types: what a company calls each kind of time off, whether it is paid, the pay code
//! each payroll system knows it by, and the accrual policy its balance follows.
//!
//! A new company gets four types (vacation, sick, holiday, unpaid, [`default_types`]) and may add
//! its own (bereavement, jury duty, ...) under a name of its choosing, unique in the company.
//! Pay codes are settings, not guesses: each payroll system names its earnings by the company's
//! own setup there, so the defaults are the common ones and the admin changes them in Payroll
//! settings to match. Unpaid time off is shown on the card and exported nowhere.

use super::accrual::AccrualPolicy;
use crate::company::parse_name;
use crate::export::ExportFormat;
use crate::ids::{CompanyId, TimeOffTypeId};
use crate::text::{check, not_formula, Lines};
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What a time-off type is at heart: the four every company has, and the company's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeOffKind {
    Vacation,
    Sick,
    /// Company holidays ([`super::HolidayCalendar`]) are time off of this kind.
    Holiday,
    /// Always unpaid: shown on the card, never in the paid hours or an export.
    Unpaid,
    /// A type the company made (bereavement, jury duty, ...), paid or not as it says.
    Custom,
}

impl TimeOffKind {
    pub const ALL: [TimeOffKind; 5] =
        [TimeOffKind::Vacation, TimeOffKind::Sick, TimeOffKind::Holiday, TimeOffKind::Unpaid, TimeOffKind::Custom];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeOffKind::Vacation => "vacation",
            TimeOffKind::Sick => "sick",
            TimeOffKind::Holiday => "holiday",
            TimeOffKind::Unpaid => "unpaid",
            TimeOffKind::Custom => "custom",
        }
    }

    /// The name a new company's type of this kind gets.
    pub fn label(self) -> &'static str {
        match self {
            TimeOffKind::Vacation => "Vacation",
            TimeOffKind::Sick => "Sick",
            TimeOffKind::Holiday => "Holiday",
            TimeOffKind::Unpaid => "Unpaid",
            TimeOffKind::Custom => "Other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw).ok_or_else(|| {
            DomainError::invalid("kind", format!("`{}` is not one of vacation, sick, holiday, unpaid, custom", raw.escape_debug()))
        })
    }
}

/// A time-off type's name: 1 to 40 characters on one line, not starting like a spreadsheet
/// formula (it is written into export files); unique in the company, case aside ([`check_unique_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeOffTypeName(String);

impl TimeOffTypeName {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = parse_name(raw, "name", Self::MAX)?;
        not_formula("name", &name)?;
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuses `name` when another of the company's types (`others`, the one being edited left out)
/// already has it, case aside: two "Vacation" lines on a card could not be told apart.
pub fn check_unique_name<'a>(name: &TimeOffTypeName, others: impl IntoIterator<Item = &'a TimeOffTypeName>) -> Result<(), DomainError> {
    let wanted = name.as_str().to_lowercase();
    if others.into_iter().any(|o| o.as_str().to_lowercase() == wanted) {
        return Err(DomainError::invalid("name", format!("the company already has a time-off type called {}", name.as_str())));
    }
    Ok(())
}

/// A time-off type's code in each payroll system's file. Empty means "not set": exporting paid
/// time off of this type in that format is refused until it is ([`TimeOffType::code_for`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffPayCodes {
    /// ADP Workforce Now: the hours code written in an EPI file's `Hours 3 Code`/`Hours 4 Code`.
    #[serde(default)]
    pub adp_wfn_hours_code: String,
    /// ADP RUN: the earnings code of its rows (`VAC`, `SCK`, `HOL`, ...).
    #[serde(default)]
    pub adp_run_earnings_code: String,
    /// Paychex Flex: the pay component (case-sensitive, as set up at Paychex).
    #[serde(default)]
    pub paychex_pay_component: String,
    /// Gusto: the hours column of the company's CSV template for this kind of time off.
    #[serde(default)]
    pub gusto_column: String,
    /// QuickBooks Desktop: the payroll item (`PITEM`), exactly as QuickBooks names it.
    #[serde(default)]
    pub quickbooks_payroll_item: String,
}

/// The longest code each system takes: Paychex documents 20 characters for a pay component and
/// QuickBooks 31 for an item's name; ADP's codes are short (1 to 3 letters in practice), 10 is
/// a generous bound; Gusto's column titles are the template's own.
const CODE_LIMITS: [(&str, usize); 5] = [
    ("adp_wfn_hours_code", 10),
    ("adp_run_earnings_code", 10),
    ("paychex_pay_component", 20),
    ("gusto_column", 60),
    ("quickbooks_payroll_item", 31),
];

impl TimeOffPayCodes {
    /// The codes most set-ups use for `kind`, to be checked against the company's own set-up.
    pub fn defaults(kind: TimeOffKind) -> Self {
        let (wfn, run, paychex, gusto, quickbooks) = match kind {
            TimeOffKind::Vacation => ("V", "VAC", "Vacation", "vacation_hours", "Vacation Hourly"),
            TimeOffKind::Sick => ("S", "SCK", "Sick", "sick_hours", "Sick Hourly"),
            TimeOffKind::Holiday => ("H", "HOL", "Holiday", "holiday_hours", "Holiday Hourly"),
            TimeOffKind::Unpaid | TimeOffKind::Custom => ("", "", "", "", ""),
        };
        TimeOffPayCodes {
            adp_wfn_hours_code: wfn.to_owned(),
            adp_run_earnings_code: run.to_owned(),
            paychex_pay_component: paychex.to_owned(),
            gusto_column: gusto.to_owned(),
            quickbooks_payroll_item: quickbooks.to_owned(),
        }
    }

    /// The codes, trimmed and checked: one line, no control characters, not starting like a
    /// spreadsheet formula (these files cannot mark a cell as text), within each system's length.
    /// Every bad code is named at once.
    pub fn parse(self) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let mut fields = [
            self.adp_wfn_hours_code,
            self.adp_run_earnings_code,
            self.paychex_pay_component,
            self.gusto_column,
            self.quickbooks_payroll_item,
        ];
        for (value, (field, max)) in fields.iter_mut().zip(CODE_LIMITS) {
            let code = value.trim().to_owned();
            let checked = check(field, &code, Lines::One).and_then(|code| {
                not_formula(field, &code)?;
                if code.chars().count() > max {
                    return Err(DomainError::invalid(field, format!("must be at most {max} characters")));
                }
                Ok(code)
            });
            if let Some(code) = DomainError::keep(checked, &mut refused) {
                *value = code;
            }
        }
        DomainError::all(refused)?;
        let [adp_wfn_hours_code, adp_run_earnings_code, paychex_pay_component, gusto_column, quickbooks_payroll_item] = fields;
        Ok(TimeOffPayCodes { adp_wfn_hours_code, adp_run_earnings_code, paychex_pay_component, gusto_column, quickbooks_payroll_item })
    }

    /// The code `format` writes this type's hours under, and the setting's field name. `None`
    /// for clockface's own CSV, which writes the type's name instead.
    pub fn field_for(&self, format: ExportFormat) -> Option<(&'static str, &str)> {
        match format {
            ExportFormat::Csv => None,
            ExportFormat::AdpWfn => Some(("adp_wfn_hours_code", &self.adp_wfn_hours_code)),
            ExportFormat::AdpRun => Some(("adp_run_earnings_code", &self.adp_run_earnings_code)),
            ExportFormat::Paychex => Some(("paychex_pay_component", &self.paychex_pay_component)),
            ExportFormat::Gusto => Some(("gusto_column", &self.gusto_column)),
            ExportFormat::QuickbooksIif => Some(("quickbooks_payroll_item", &self.quickbooks_payroll_item)),
        }
    }

    /// These codes, each one not set taken from `other`.
    pub fn or(&self, other: &TimeOffPayCodes) -> TimeOffPayCodes {
        let pick = |mine: &str, theirs: &str| if mine.trim().is_empty() { theirs.to_owned() } else { mine.to_owned() };
        TimeOffPayCodes {
            adp_wfn_hours_code: pick(&self.adp_wfn_hours_code, &other.adp_wfn_hours_code),
            adp_run_earnings_code: pick(&self.adp_run_earnings_code, &other.adp_run_earnings_code),
            paychex_pay_component: pick(&self.paychex_pay_component, &other.paychex_pay_component),
            gusto_column: pick(&self.gusto_column, &other.gusto_column),
            quickbooks_payroll_item: pick(&self.quickbooks_payroll_item, &other.quickbooks_payroll_item),
        }
    }

    /// The code `format` writes paid hours of the type called `type_name` under: `Ok(None)` for
    /// clockface's own CSV, which writes the type's name instead; refused, naming the type, the
    /// format and the setting, when the code is not set.
    pub fn code_for(&self, format: ExportFormat, type_name: &str) -> Result<Option<&str>, DomainError> {
        match self.field_for(format) {
            None => Ok(None),
            Some((field, code)) if code.trim().is_empty() => Err(DomainError::invalid(
                field,
                format!("set the {} code for {type_name} time off in Payroll settings before exporting", format.label()),
            )),
            Some((_, code)) => Ok(Some(code.trim())),
        }
    }
}

/// A company's time-off type.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimeOffType {
    pub id: TimeOffTypeId,
    #[serde(skip)]
    pub company_id: CompanyId,
    pub kind: TimeOffKind,
    #[schema(value_type = String)]
    pub name: TimeOffTypeName,
    pub paid: bool,
    pub codes: TimeOffPayCodes,
    /// How a balance of this type is earned and bounded; none: no balance is kept (holidays,
    /// unpaid time off, a type the company does not count).
    pub policy: Option<AccrualPolicy>,
    /// Inactive types are not offered on the clock; their past time off stays.
    pub active: bool,
}

impl TimeOffType {
    /// The code `format` writes this type's paid hours under: `Ok(None)` when the format names
    /// the type itself (clockface's CSV) or the type is unpaid (exported nowhere); refused, naming
    /// the setting, when it is paid and the code is not set.
    pub fn code_for(&self, format: ExportFormat) -> Result<Option<&str>, DomainError> {
        if !self.paid {
            return Ok(None);
        }
        self.codes.code_for(format, self.name.as_str())
    }
}

/// A time-off type as typed in a form or the API, before it is checked.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffTypeInput {
    pub kind: String,
    pub name: String,
    pub paid: bool,
    #[serde(default)]
    pub codes: TimeOffPayCodes,
    #[serde(default)]
    pub policy: Option<AccrualPolicy>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A time-off type's editable fields, valid.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeOffTypeFields {
    pub kind: TimeOffKind,
    pub name: TimeOffTypeName,
    pub paid: bool,
    pub codes: TimeOffPayCodes,
    pub policy: Option<AccrualPolicy>,
    pub active: bool,
}

impl TimeOffTypeInput {
    /// Checks every field and names each one refused. Unpaid time off cannot be paid, and its
    /// balance cannot be a policy's (nothing is owed for it).
    pub fn parse(self) -> Result<TimeOffTypeFields, DomainError> {
        let mut refused = Vec::new();
        let kind = DomainError::keep(TimeOffKind::parse(self.kind.trim()), &mut refused);
        let name = DomainError::keep(TimeOffTypeName::parse(&self.name), &mut refused);
        let codes = DomainError::keep(self.codes.parse(), &mut refused);
        let policy = match self.policy.map(AccrualPolicy::validate).transpose() {
            Ok(policy) => policy,
            Err(e) => {
                refused.push(e);
                None
            }
        };
        if kind == Some(TimeOffKind::Unpaid) && self.paid {
            refused.push(DomainError::invalid("paid", "unpaid time off cannot be paid; make a custom type for paid leave"));
        }
        if kind == Some(TimeOffKind::Unpaid) && policy.is_some() {
            refused.push(DomainError::invalid("policy", "unpaid time off has no balance to accrue"));
        }
        DomainError::all(refused)?;
        match (kind, name, codes) {
            (Some(kind), Some(name), Some(codes)) => {
                Ok(TimeOffTypeFields { kind, name, paid: self.paid, codes, policy, active: self.active })
            }
            _ => Err(DomainError::invalid("kind", "could not be read")),
        }
    }
}

/// The types a new company starts with: vacation and sick (paid, no accrual until the admin sets
/// a policy), holiday (paid) and unpaid, each with the common pay codes.
pub fn default_types() -> Vec<TimeOffTypeFields> {
    [TimeOffKind::Vacation, TimeOffKind::Sick, TimeOffKind::Holiday, TimeOffKind::Unpaid]
        .into_iter()
        .map(|kind| TimeOffTypeFields {
            kind,
            name: TimeOffTypeName(kind.label().to_owned()),
            paid: kind != TimeOffKind::Unpaid,
            codes: TimeOffPayCodes::defaults(kind),
            policy: None,
            active: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, name: &str, paid: bool) -> TimeOffTypeInput {
        TimeOffTypeInput { kind: kind.into(), name: name.into(), paid, codes: TimeOffPayCodes::default(), policy: None, active: true }
    }

    #[test]
    fn a_company_starts_with_the_four_kinds_and_the_common_codes() {
        let types = default_types();
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Vacation", "Sick", "Holiday", "Unpaid"]);
        assert_eq!(types[0].codes.adp_run_earnings_code, "VAC");
        assert_eq!(types[1].codes.adp_run_earnings_code, "SCK");
        assert!(types[..3].iter().all(|t| t.paid));
        assert!(!types[3].paid);
        assert!(types[3].codes == TimeOffPayCodes::default(), "unpaid time off has no pay code");
    }

    #[test]
    fn a_company_type_has_a_checked_name() {
        let fields = input("custom", "  Jury duty ", true).parse().unwrap();
        assert_eq!((fields.kind, fields.name.as_str(), fields.paid), (TimeOffKind::Custom, "Jury duty", true));
        for bad in ["", "   ", "=1+1", "Bereave\tment", &"x".repeat(41)] {
            assert!(matches!(input("custom", bad, true).parse(), Err(DomainError::Invalid { field: "name", .. })), "{bad:?}");
        }
    }

    #[test]
    fn names_are_unique_in_the_company_case_aside() {
        let existing = [TimeOffTypeName::parse("Vacation").unwrap(), TimeOffTypeName::parse("Sick").unwrap()];
        let again = TimeOffTypeName::parse("vacation").unwrap();
        assert!(matches!(check_unique_name(&again, &existing), Err(DomainError::Invalid { field: "name", .. })));
        assert!(check_unique_name(&TimeOffTypeName::parse("Bereavement").unwrap(), &existing).is_ok());
    }

    #[test]
    fn unpaid_time_off_is_never_paid_and_every_refusal_is_named() {
        let error = TimeOffTypeInput {
            codes: TimeOffPayCodes { paychex_pay_component: "@Vacation".into(), ..TimeOffPayCodes::default() },
            ..input("unpaid", "Unpaid", true)
        }
        .parse()
        .unwrap_err();
        let DomainError::Several(errors) = error else { panic!("several refusals expected: {error:?}") };
        let fields: Vec<&str> = errors.iter().map(|e| if let DomainError::Invalid { field, .. } = e { *field } else { "" }).collect();
        assert_eq!(fields, ["paychex_pay_component", "paid"]);
        assert!(matches!(input("leave", "Leave", true).parse(), Err(DomainError::Invalid { field: "kind", .. })));
    }

    #[test]
    fn pay_codes_are_trimmed_and_bounded_per_system() {
        let codes = TimeOffPayCodes { adp_run_earnings_code: " VAC ".into(), ..TimeOffPayCodes::default() }.parse().unwrap();
        assert_eq!(codes.adp_run_earnings_code, "VAC");
        let long = TimeOffPayCodes { paychex_pay_component: "x".repeat(21), ..TimeOffPayCodes::default() }.parse();
        assert!(matches!(long, Err(DomainError::Invalid { field: "paychex_pay_component", .. })));
        let item = TimeOffPayCodes { quickbooks_payroll_item: "Sick\nHourly".into(), ..TimeOffPayCodes::default() }.parse();
        assert!(matches!(item, Err(DomainError::Invalid { field: "quickbooks_payroll_item", .. })));
    }

    #[test]
    fn each_export_format_has_its_code_and_a_missing_one_is_named() {
        let fields = input("vacation", "Vacation", true).parse().unwrap();
        let mut vacation = TimeOffType {
            id: TimeOffTypeId::new(),
            company_id: CompanyId::new(),
            kind: fields.kind,
            name: fields.name,
            paid: true,
            codes: TimeOffPayCodes::defaults(TimeOffKind::Vacation),
            policy: None,
            active: true,
        };
        assert_eq!(vacation.code_for(ExportFormat::AdpRun), Ok(Some("VAC")));
        assert_eq!(vacation.code_for(ExportFormat::AdpWfn), Ok(Some("V")));
        assert_eq!(vacation.code_for(ExportFormat::Paychex), Ok(Some("Vacation")));
        assert_eq!(vacation.code_for(ExportFormat::Gusto), Ok(Some("vacation_hours")));
        assert_eq!(vacation.code_for(ExportFormat::QuickbooksIif), Ok(Some("Vacation Hourly")));
        assert_eq!(vacation.code_for(ExportFormat::Csv), Ok(None), "the CSV names the type");
        vacation.codes.paychex_pay_component.clear();
        let missing = vacation.code_for(ExportFormat::Paychex).unwrap_err();
        assert!(
            matches!(&missing, DomainError::Invalid { field: "paychex_pay_component", message } if message.contains("Vacation")),
            "{missing}"
        );
        vacation.paid = false;
        assert_eq!(vacation.code_for(ExportFormat::Paychex), Ok(None), "unpaid time off is exported nowhere");
    }
}
