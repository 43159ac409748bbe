//! Company holidays: a calendar per year, each holiday with the hours it pays. A holiday puts a
//! line of the company's holiday type on every card that holds its day ([`HolidayCalendar::card_lines`]);
//! those hours are paid, exported under the holiday type's pay code and never count toward
//! overtime, like any time off. A holiday that pays 0 hours is shown (the office is closed) and
//! paid nothing.

use super::{fmt_hours, parse_hours, CardTimeOff, TimeOffKind, TimeOffSource, TimeOffType, DAY};
use crate::company::parse_name;
use crate::text::parse_day;
use crate::DomainError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Holiday {
    pub date: NaiveDate,
    /// "Thanksgiving", "Día de la Independencia": 1 to 60 characters.
    pub name: String,
    /// Paid hours, in seconds (0 to 24 h).
    pub paid_seconds: i64,
}

/// A holiday as typed in a form: a day (`YYYY-MM-DD`), a name and paid hours (`8`, `4.5`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayInput {
    pub date: String,
    pub name: String,
    pub hours: String,
}

/// A company's holidays in one calendar year, in date order, one per day at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HolidayCalendar {
    pub year: i32,
    pub holidays: Vec<Holiday>,
}

impl HolidayCalendar {
    /// The year's calendar from what was typed, all or nothing: every bad line is named with its
    /// position (a day outside the year, a day given twice, no name, hours past a day's 24).
    pub fn parse(year: i32, inputs: &[HolidayInput]) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let mut calendar = HolidayCalendar { year, holidays: Vec::new() };
        for (i, input) in inputs.iter().enumerate() {
            if let Some(holiday) = DomainError::keep(calendar.check(input).map_err(|e| on_line(i + 1, e)), &mut refused) {
                calendar.holidays.push(holiday);
            }
        }
        DomainError::all(refused)?;
        calendar.holidays.sort_by_key(|h| h.date);
        Ok(calendar)
    }

    /// The calendar with one more holiday, checked as each line of [`HolidayCalendar::parse`] is
    /// (a day of this year that has no holiday yet, a name, hours up to a day's 24).
    pub fn with(&self, input: &HolidayInput) -> Result<Self, DomainError> {
        let holiday = self.check(input)?;
        let mut calendar = self.clone();
        calendar.holidays.push(holiday);
        calendar.holidays.sort_by_key(|h| h.date);
        Ok(calendar)
    }

    /// The calendar without the holiday on `date` (as it was when there is none).
    pub fn without(&self, date: NaiveDate) -> Self {
        HolidayCalendar { year: self.year, holidays: self.holidays.iter().filter(|h| h.date != date).cloned().collect() }
    }

    /// One typed holiday, checked against this calendar: every wrong field named at once.
    fn check(&self, input: &HolidayInput) -> Result<Holiday, DomainError> {
        let year = self.year;
        let mut refused = Vec::new();
        let date = DomainError::keep(parse_day("date", input.date.trim()), &mut refused);
        let name = DomainError::keep(parse_name(&input.name, "name", 60), &mut refused);
        let paid = DomainError::keep(
            parse_hours("hours", &input.hours).and_then(|s| {
                if s > DAY {
                    Err(DomainError::invalid("hours", format!("{} is more than a day has", fmt_hours(s))))
                } else {
                    Ok(s)
                }
            }),
            &mut refused,
        );
        if let Some(date) = date {
            if date.year() != year {
                refused.push(DomainError::invalid("date", format!("{date} is not in {year}")));
            } else if let Some(other) = self.on(date) {
                refused.push(DomainError::invalid("date", format!("{date} is already {}", other.name)));
            }
        }
        DomainError::all(refused)?;
        match (date, name, paid) {
            (Some(date), Some(name), Some(paid_seconds)) => Ok(Holiday { date, name, paid_seconds }),
            _ => Err(DomainError::invalid("date", "a holiday passed its checks without its fields")),
        }
    }

    /// The holiday on `date`, if any.
    pub fn on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays.iter().find(|h| h.date == date)
    }

    /// The card lines of the holidays in `from..=to`, of the company's holiday type, each with
    /// its holiday's name, paid (when the type is paid) its hours.
    pub fn card_lines(&self, from: NaiveDate, to: NaiveDate, holiday_type: &TimeOffType) -> Vec<CardTimeOff> {
        self.holidays
            .iter()
            .filter(|h| from <= h.date && h.date <= to)
            .map(|h| CardTimeOff {
                date: h.date,
                type_id: holiday_type.id,
                kind: TimeOffKind::Holiday,
                name: holiday_type.name.as_str().to_owned(),
                holiday: Some(h.name.clone()),
                paid: holiday_type.paid && h.paid_seconds > 0,
                seconds: h.paid_seconds,
                source: TimeOffSource::Holiday,
            })
            .collect()
    }
}

/// A refusal of the `line`th holiday typed, saying which.
fn on_line(line: usize, error: DomainError) -> DomainError {
    match error {
        DomainError::Invalid { field, message } => DomainError::invalid(field, format!("holiday {line}: {message}")),
        DomainError::Several(all) => DomainError::Several(all.into_iter().map(|e| on_line(line, e)).collect()),
        other => other,
    }
}

/// Whether any of `calendars` has a holiday on `date` (a whole-day request skips such days: the
/// holiday pays them already).
pub fn is_holiday(calendars: &[HolidayCalendar], date: NaiveDate) -> bool {
    calendars.iter().any(|c| c.year == date.year() && c.on(date).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TimeOffTypeId;
    use crate::timeoff::{TimeOffPayCodes, TimeOffTypeName, HOUR};

    fn holiday(date: &str, name: &str, hours: &str) -> HolidayInput {
        HolidayInput { date: date.into(), name: name.into(), hours: hours.into() }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_year_of_holidays_each_with_its_paid_hours() {
        let calendar = HolidayCalendar::parse(
            2026,
            &[
                holiday("2026-12-25", "Christmas Day", "8"),
                holiday("2026-11-26", "Thanksgiving", "8"),
                holiday("2026-12-24", "Christmas Eve", "4"),
            ],
        )
        .unwrap();
        let dates: Vec<NaiveDate> = calendar.holidays.iter().map(|h| h.date).collect();
        assert_eq!(dates, [date(2026, 11, 26), date(2026, 12, 24), date(2026, 12, 25)], "kept in date order");
        assert_eq!(calendar.on(date(2026, 12, 24)).map(|h| h.paid_seconds), Some(4 * HOUR));
        assert!(is_holiday(std::slice::from_ref(&calendar), date(2026, 12, 25)));
        assert!(!is_holiday(&[calendar], date(2027, 12, 25)), "a calendar is for its year only");
    }

    #[test]
    fn a_bad_calendar_names_every_bad_line_and_keeps_nothing() {
        let error = HolidayCalendar::parse(
            2026,
            &[
                holiday("2026-07-04", "Independence Day", "8"),
                holiday("2027-01-01", "New Year", "8"),
                holiday("2026-07-04", "Fourth", "8"),
                holiday("2026-09-07", "", "25"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("holiday 2: 2027-01-01 is not in 2026"), "{error}");
        assert!(error.contains("holiday 3: 2026-07-04 is already Independence Day"), "{error}");
        assert!(error.contains("holiday 4: must not be empty"), "{error}");
        assert!(error.contains("holiday 4: 25.00 h is more than a day has"), "{error}");
    }

    #[test]
    fn a_holiday_is_added_to_a_year_once_and_removed() {
        let calendar = HolidayCalendar::parse(2026, &[holiday("2026-11-26", "Thanksgiving", "8")]).unwrap();
        let added = calendar.with(&holiday("2026-07-03", "Independence Day (observed)", "8")).unwrap();
        assert_eq!(added.holidays.iter().map(|h| h.date.to_string()).collect::<Vec<_>>(), ["2026-07-03", "2026-11-26"], "in date order");
        let twice = calendar.with(&holiday("2026-11-26", "Again", "8")).unwrap_err().to_string();
        assert!(twice.contains("2026-11-26 is already Thanksgiving"), "{twice}");
        let wrong = calendar.with(&holiday("2027-01-01", "", "30")).unwrap_err().to_string();
        assert!(wrong.contains("not in 2026") && wrong.contains("name") && wrong.contains("more than a day"), "each field named: {wrong}");
        assert_eq!(added.without(NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()), calendar);
    }

    #[test]
    fn holidays_become_card_lines_of_the_holiday_type() {
        let calendar =
            HolidayCalendar::parse(2026, &[holiday("2026-11-26", "Thanksgiving", "8"), holiday("2026-11-27", "Day after", "0")]).unwrap();
        let holiday_type = TimeOffType {
            id: TimeOffTypeId::new(),
            company_id: crate::ids::CompanyId::new(),
            kind: TimeOffKind::Holiday,
            name: TimeOffTypeName::parse("Holiday").unwrap(),
            paid: true,
            codes: TimeOffPayCodes::defaults(TimeOffKind::Holiday),
            policy: None,
            active: true,
        };
        let lines = calendar.card_lines(date(2026, 11, 23), date(2026, 11, 29), &holiday_type);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].name.as_str(), lines[0].holiday.as_deref()), ("Holiday", Some("Thanksgiving")));
        assert_eq!((lines[0].seconds, lines[0].paid), (8 * HOUR, true));
        assert_eq!((lines[1].seconds, lines[1].paid), (0, false), "a holiday paying no hours is shown, not paid");
        assert!(calendar.card_lines(date(2026, 11, 30), date(2026, 12, 6), &holiday_type).is_empty());
    }
}
