//! Time off: a company's types (vacation, sick, holiday, unpaid, its own) with their pay codes,
//! requests and their answers, accrual policies and the ledger balances are computed from,
//! company holidays, and the lines time off puts on a time card.
//!
//! Hours are kept in seconds, as on the time card. Time off is paid time but never worked time:
//! it sits on the card beside the shifts ([`crate::timecard::attach_time_off`]) and never enters
//! the overtime count ([`crate::payroll::classify_week`] only ever sees worked seconds).
//!
//! - [`kind`]: the types and their pay code per export format;
//! - [`request`]: a request's days, its validation, its answers, and whether it overlaps punches;
//! - [`accrual`]: policies, the ledger and the balance before and after a request;
//! - [`holiday`]: the company's holiday calendar per year.

pub mod accrual;
pub mod holiday;
pub mod kind;
pub mod request;

pub use accrual::{AccrualMethod, AccrualPolicy, Adjustment, BalancePreview, Ledger, LedgerKind, LedgerLine};
pub use holiday::{Holiday, HolidayCalendar};
pub use kind::{TimeOffKind, TimeOffPayCodes, TimeOffType, TimeOffTypeName};
pub use request::{RequestSpan, RequestStatus, TimeOffRequest, WorkSchedule};

use crate::ids::{TimeOffRequestId, TimeOffTypeId};
use crate::DomainError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Seconds in an hour.
pub const HOUR: i64 = 3600;
/// Seconds in a day: no day of time off (nor a holiday's paid hours) may be longer.
pub const DAY: i64 = 24 * HOUR;

/// Hours as people read them, with two decimals and a sign when negative: `8.00 h`, `-1.50 h`.
pub fn fmt_hours(seconds: i64) -> String {
    let hundredths = (seconds.abs() * 100 + HOUR / 2) / HOUR;
    let sign = if seconds < 0 && hundredths > 0 { "-" } else { "" };
    format!("{sign}{}.{:02} h", hundredths / 100, hundredths % 100)
}

/// Hours as typed in a form (`8`, `4.5`, `0.25`: at most two decimals, not negative), in seconds.
pub fn parse_hours(field: &'static str, raw: &str) -> Result<i64, DomainError> {
    let text = raw.trim();
    let refused = || DomainError::invalid(field, format!("`{}` is not a number of hours such as 8 or 4.5", raw.escape_debug()));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) || whole.len() > 6 {
        return Err(refused());
    }
    if fraction.len() > 2 {
        return Err(DomainError::invalid(field, "hours have at most two decimals (4.25, not 4.125)"));
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| refused())? };
    let hundredths: i64 = format!("{fraction:0<2}").parse().map_err(|_| refused())?;
    Ok(whole * HOUR + hundredths * HOUR / 100)
}

/// Where a line of time off on a card comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "from", content = "id")]
pub enum TimeOffSource {
    /// An approved request.
    Request(TimeOffRequestId),
    /// The company's holiday calendar.
    Holiday,
}

/// One day's time off of one type, as a time card shows it: its own line beside the shifts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardTimeOff {
    pub date: NaiveDate,
    pub type_id: TimeOffTypeId,
    pub kind: TimeOffKind,
    /// The type's name ("Vacation", "Jury duty").
    pub name: String,
    /// The holiday's name, for a company holiday ("Thanksgiving").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday: Option<String>,
    /// Paid time off is in the card's paid hours and exported under its pay code; unpaid time
    /// off is shown and counted apart, and paid nowhere.
    pub paid: bool,
    pub seconds: i64,
    pub source: TimeOffSource,
}

/// A period's time off of one type: the card's totals by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeOffTotal {
    pub type_id: TimeOffTypeId,
    pub kind: TimeOffKind,
    pub name: String,
    pub paid: bool,
    pub seconds: i64,
}

/// Totals by type (and paid or not: a holiday that pays nothing is apart from one that pays) of
/// `lines`, in the order each first appears.
pub fn totals_by_type<'a>(lines: impl IntoIterator<Item = &'a CardTimeOff>) -> Vec<TimeOffTotal> {
    let mut totals: Vec<TimeOffTotal> = Vec::new();
    for line in lines {
        match totals.iter_mut().find(|t| t.type_id == line.type_id && t.paid == line.paid) {
            Some(total) => total.seconds += line.seconds,
            None => totals.push(TimeOffTotal {
                type_id: line.type_id,
                kind: line.kind,
                name: line.name.clone(),
                paid: line.paid,
                seconds: line.seconds,
            }),
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AdminId, CompanyId, EmployeeId};
    use crate::payroll::{PayFrequency, PaySchedule};
    use crate::timecard::{attach_time_off, build_time_card, CardRules};
    use accrual::{check_balance, ledger, preview, LedgerInputs, Taken};
    use chrono::{TimeZone, Utc, Weekday};
    use request::{Actor, RequestInput};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_worker_asks_a_supervisor_approves_and_the_balance_and_the_card_follow() {
        // Vacation: 40 h granted on 1 January 2026, no negative balance; 16 h taken in July.
        let vacation = TimeOffType {
            id: TimeOffTypeId::new(),
            company_id: CompanyId::new(),
            kind: TimeOffKind::Vacation,
            name: TimeOffTypeName::parse("Vacation").unwrap(),
            paid: true,
            codes: TimeOffPayCodes::defaults(TimeOffKind::Vacation),
            policy: Some(AccrualPolicy { method: AccrualMethod::YearlyGrant { seconds: 40 * HOUR }, ..AccrualPolicy::manual() }),
            active: true,
        };
        let policy = vacation.policy.unwrap();
        let schedule = PaySchedule { frequency: PayFrequency::Weekly, anchor: date(2026, 1, 5), workweek_starts: Weekday::Mon };
        let mut taken = vec![
            Taken { date: date(2026, 7, 6), seconds: 8 * HOUR, request_id: None },
            Taken { date: date(2026, 7, 7), seconds: 8 * HOUR, request_id: None },
        ];
        fn inputs<'a>(schedule: &'a PaySchedule, taken: &'a [Taken]) -> LedgerInputs<'a> {
            LedgerInputs { start: date(2026, 1, 1), schedule, worked: &[], taken, adjustments: &[] }
        }

        // On the clock: Monday and Tuesday 23-24 November, whole days. The clock shows 24 h
        // before and 8 h after.
        let employee = EmployeeId::new();
        let asked = RequestInput { first: "2026-11-23".into(), last: Some("2026-11-24".into()), hours: None, note: "family visit".into() };
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).single().unwrap();
        let mut request = TimeOffRequest::ask(employee, vacation.id, asked.parse().unwrap(), Actor::Employee(employee), at).unwrap();
        let days = request.span.requested_days(&WorkSchedule::default(), &[]).unwrap();
        let seen = preview(&policy, &inputs(&schedule, &taken), &days);
        assert_eq!((seen.before_seconds, seen.after_seconds), (24 * HOUR, 8 * HOUR));
        assert!(check_balance(&policy, &seen, vacation.name.as_str()).is_ok());

        // The supervisor approves: the days are taken from the balance, each line naming the request.
        request.approve(AdminId::new(), at, "ok").unwrap();
        taken.extend(request.taken(&days));
        let l = ledger(&policy, &inputs(&schedule, &taken), date(2026, 11, 30));
        assert_eq!(l.balance_seconds(), 8 * HOUR);
        assert_eq!(l.lines.iter().filter(|l| l.request_id == Some(request.id)).count(), 2);

        // A second request for two days more would go below zero: refused, and nothing changes.
        let more = [
            request::RequestedDay { date: date(2026, 12, 1), seconds: 8 * HOUR },
            request::RequestedDay { date: date(2026, 12, 2), seconds: 8 * HOUR },
        ];
        let seen = preview(&policy, &inputs(&schedule, &taken), &more);
        assert_eq!((seen.before_seconds, seen.after_seconds), (8 * HOUR, -8 * HOUR));
        assert!(check_balance(&policy, &seen, vacation.name.as_str()).is_err());

        // The card of that week shows both days as Vacation, 16 h paid, none of it worked.
        let mut card = build_time_card::<crate::punch::Punch>(
            &[],
            chrono_tz::America::Chicago,
            date(2026, 11, 23),
            date(2026, 11, 29),
            &CardRules::default(),
            at,
        );
        attach_time_off(&mut card, &request.card_lines(&vacation, &days));
        assert_eq!(card.days[0].time_off[0].name, "Vacation");
        assert_eq!((card.seconds, card.pay.total(), card.paid_seconds()), (0, 0, 16 * HOUR));
        assert_eq!(vacation.code_for(crate::export::ExportFormat::AdpRun), Ok(Some("VAC")));
    }

    #[test]
    fn hours_are_read_with_at_most_two_decimals() {
        assert_eq!(parse_hours("hours", "8"), Ok(8 * HOUR));
        assert_eq!(parse_hours("hours", " 4.5 "), Ok(4 * HOUR + 1800));
        assert_eq!(parse_hours("hours", "0.25"), Ok(900));
        assert_eq!(parse_hours("hours", ".5"), Ok(1800));
        assert_eq!(parse_hours("hours", "0"), Ok(0), "zero is read; whether it is allowed is the caller's rule");
        for bad in ["", ".", "-1", "1,5", "4.125", "8h", "1e3", "9999999"] {
            assert!(matches!(parse_hours("hours", bad), Err(DomainError::Invalid { field: "hours", .. })), "{bad:?}");
        }
    }

    #[test]
    fn hours_are_written_with_their_sign() {
        assert_eq!(fmt_hours(8 * HOUR), "8.00 h");
        assert_eq!(fmt_hours(-(HOUR + 1800)), "-1.50 h");
        assert_eq!(fmt_hours(HOUR * 40 / 30), "1.33 h");
        assert_eq!(fmt_hours(-1), "0.00 h", "no minus sign on a value that rounds to zero");
    }
}
