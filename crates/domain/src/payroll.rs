//! Payroll rules: pay periods, the workweek, overtime (US federal, California, none) and the
//! meal-break deduction. Facts behind them are in `../shared/PAYROLL.md`.
//!
//! Hours are counted in seconds throughout, as on the time card. Overtime is decided per
//! workweek (a fixed, recurring seven days starting on the company's chosen day), whatever the
//! pay period: a twice-a-month period that ends mid-week still counts the week's earlier days
//! toward its 40 hours (see [`crate::timecard::build_time_card`]).

use crate::DomainError;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3600;

/// How often the company pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayFrequency {
    /// Seven days, starting on the workweek's first day.
    Weekly,
    /// Fourteen days, counted from an anchor date (the first day of any one period).
    Biweekly,
    /// The 1st to the 15th, and the 16th to the month's end.
    Semimonthly,
    /// The calendar month.
    Monthly,
}

impl PayFrequency {
    pub const ALL: [PayFrequency; 4] = [PayFrequency::Weekly, PayFrequency::Biweekly, PayFrequency::Semimonthly, PayFrequency::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            PayFrequency::Weekly => "weekly",
            PayFrequency::Biweekly => "biweekly",
            PayFrequency::Semimonthly => "semimonthly",
            PayFrequency::Monthly => "monthly",
        }
    }

    /// Words for a page.
    pub fn label(self) -> &'static str {
        match self {
            PayFrequency::Weekly => "Weekly",
            PayFrequency::Biweekly => "Every two weeks",
            PayFrequency::Semimonthly => "Twice a month (1st–15th, 16th–end)",
            PayFrequency::Monthly => "Monthly",
        }
    }

    /// ADP RUN's pay frequency letter (W, B, S, M).
    pub fn adp_letter(self) -> &'static str {
        match self {
            PayFrequency::Weekly => "W",
            PayFrequency::Biweekly => "B",
            PayFrequency::Semimonthly => "S",
            PayFrequency::Monthly => "M",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("pay_frequency", format!("`{raw}` is not one of weekly, biweekly, semimonthly, monthly")))
    }
}

/// One pay period: its first and last day, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PayPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl PayPeriod {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

/// The first day of the workweek that holds `date`.
pub fn workweek_start(date: NaiveDate, starts: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - starts.num_days_from_monday()) % 7;
    date - Duration::days(i64::from(back))
}

fn last_of_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(NaiveDate::MAX, |first| first - Duration::days(1))
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The company's pay-period schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaySchedule {
    pub frequency: PayFrequency,
    /// The first day of one two-week period (used only by `biweekly`).
    pub anchor: NaiveDate,
    /// The workweek's first day: weekly periods and overtime weeks start on it.
    #[schema(value_type = String, example = "Mon")]
    pub workweek_starts: Weekday,
}

impl PaySchedule {
    /// The pay period that holds `date`.
    pub fn period_containing(&self, date: NaiveDate) -> PayPeriod {
        match self.frequency {
            PayFrequency::Weekly => {
                let start = workweek_start(date, self.workweek_starts);
                PayPeriod { start, end: start + Duration::days(6) }
            }
            PayFrequency::Biweekly => {
                let offset = (date - self.anchor).num_days().rem_euclid(14);
                let start = date - Duration::days(offset);
                PayPeriod { start, end: start + Duration::days(13) }
            }
            PayFrequency::Semimonthly => {
                if date.day() <= 15 {
                    let start = first_of_month(date);
                    PayPeriod { start, end: start + Duration::days(14) }
                } else {
                    let start = first_of_month(date) + Duration::days(15);
                    PayPeriod { start, end: last_of_month(date.year(), date.month()) }
                }
            }
            PayFrequency::Monthly => PayPeriod { start: first_of_month(date), end: last_of_month(date.year(), date.month()) },
        }
    }

    /// The period after `period`.
    pub fn next(&self, period: PayPeriod) -> PayPeriod {
        self.period_containing(period.end + Duration::days(1))
    }

    /// The period before `period`.
    pub fn previous(&self, period: PayPeriod) -> PayPeriod {
        self.period_containing(period.start - Duration::days(1))
    }
}

/// Which overtime law the company follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OvertimeRule {
    /// No overtime: every hour is regular.
    None,
    /// US federal (FLSA): hours over 40 in the workweek at 1.5x.
    Federal,
    /// California (Labor Code 510): daily over 8 at 1.5x and over 12 at 2x; the seventh
    /// consecutive workday of the workweek its first 8 at 1.5x and beyond at 2x; weekly over 40
    /// at 1.5x, counting only hours not already paid as daily overtime.
    California,
}

impl OvertimeRule {
    pub const ALL: [OvertimeRule; 3] = [OvertimeRule::Federal, OvertimeRule::California, OvertimeRule::None];

    pub fn as_str(self) -> &'static str {
        match self {
            OvertimeRule::None => "none",
            OvertimeRule::Federal => "federal",
            OvertimeRule::California => "california",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OvertimeRule::None => "None",
            OvertimeRule::Federal => "US federal (over 40 h a week)",
            OvertimeRule::California => "California (daily 8/12 h, seventh day, weekly 40 h)",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("overtime_rule", format!("`{raw}` is not one of federal, california, none")))
    }
}

/// A day's (or a week's, or a period's) hours split by pay rate, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PayHours {
    pub regular_seconds: i64,
    /// Paid at 1.5x.
    pub overtime_seconds: i64,
    /// Paid at 2x.
    pub double_time_seconds: i64,
}

impl PayHours {
    pub fn total(&self) -> i64 {
        self.regular_seconds + self.overtime_seconds + self.double_time_seconds
    }
}

impl std::ops::AddAssign for PayHours {
    fn add_assign(&mut self, other: PayHours) {
        self.regular_seconds += other.regular_seconds;
        self.overtime_seconds += other.overtime_seconds;
        self.double_time_seconds += other.double_time_seconds;
    }
}

/// Splits one workweek's worked seconds, given per day in workweek order (index 0 is the
/// workweek's first day), into regular, overtime and double time per day. Weekly overtime falls
/// on the days on which the 40 hours are passed.
pub fn classify_week(rule: OvertimeRule, days: &[i64; 7]) -> [PayHours; 7] {
    let mut out = [PayHours::default(); 7];
    let seventh_day = days.iter().all(|s| *s > 0);
    let mut regular_so_far = 0;
    for (i, &worked) in days.iter().enumerate() {
        let worked = worked.max(0);
        let (mut regular, mut overtime, double) = match rule {
            OvertimeRule::None => {
                out[i] = PayHours { regular_seconds: worked, ..PayHours::default() };
                continue;
            }
            OvertimeRule::Federal => (worked, 0, 0),
            OvertimeRule::California if i == 6 && seventh_day => (0, worked.min(8 * HOUR), (worked - 8 * HOUR).max(0)),
            OvertimeRule::California => (worked.min(8 * HOUR), (worked - 8 * HOUR).clamp(0, 4 * HOUR), (worked - 12 * HOUR).max(0)),
        };
        // Weekly: regular hours beyond 40 become overtime; daily overtime is not counted again.
        let room = (40 * HOUR - regular_so_far).max(0);
        if regular > room {
            overtime += regular - room;
            regular = room;
        }
        regular_so_far += regular;
        out[i] = PayHours { regular_seconds: regular, overtime_seconds: overtime, double_time_seconds: double };
    }
    out
}

/// The company's automatic meal-break deduction: `minutes` off every shift longer than
/// `after_minutes`. Shown on the card as deducted; the punches stay as they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MealDeduction {
    pub after_minutes: i64,
    pub minutes: i64,
}

impl MealDeduction {
    pub fn new(after_minutes: i64, minutes: i64) -> Result<Self, DomainError> {
        if !(1..=24 * 60).contains(&after_minutes) {
            return Err(DomainError::invalid("meal_after_minutes", "must be between 1 and 1440 minutes"));
        }
        if !(1..=240).contains(&minutes) {
            return Err(DomainError::invalid("meal_minutes", "must be between 1 and 240 minutes"));
        }
        Ok(MealDeduction { after_minutes, minutes })
    }

    /// Seconds to deduct from a shift of `worked` seconds (breaks left out) in which the employee
    /// took `unpaid_breaks` seconds of unpaid breaks: those count toward the meal, so only what
    /// is left of it is deducted.
    pub fn deducted(&self, worked: i64, unpaid_breaks: i64) -> i64 {
        if worked > self.after_minutes * 60 {
            (self.minutes * 60 - unpaid_breaks.max(0)).clamp(0, worked)
        } else {
            0
        }
    }
}

/// The codes each payroll system needs, as the company set them up there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportCodes {
    /// ADP Workforce Now company code (3 characters) and batch id.
    pub adp_company_code: String,
    pub adp_batch_id: String,
    /// ADP's earnings code for double time (goes in `Hours 3 Code`).
    pub adp_double_time_code: String,
    /// ADP RUN's client id (`IID`) and earnings codes.
    pub adp_run_iid: String,
    pub adp_run_regular_code: String,
    pub adp_run_overtime_code: String,
    pub adp_run_double_time_code: String,
    /// Paychex Flex client id and pay components (case-sensitive, as set up at Paychex).
    pub paychex_client_id: String,
    pub paychex_regular: String,
    pub paychex_overtime: String,
    pub paychex_double_time: String,
    /// QuickBooks Desktop company name and payroll items (must match exactly).
    pub quickbooks_company: String,
    pub quickbooks_regular_item: String,
    pub quickbooks_overtime_item: String,
    pub quickbooks_double_time_item: String,
    /// The QuickBooks company file's `COMPANYCREATETIME` (a number QuickBooks writes in the
    /// `TIMERHDR` line of a Timer list export: File → Utilities → Export → Timer Lists), which
    /// tells QuickBooks which company file an IIF is for. Empty: the export's time is written
    /// instead (Unix seconds), as clockface did before this setting.
    #[serde(default)]
    pub quickbooks_company_create_time: String,
}

impl Default for ExportCodes {
    fn default() -> Self {
        ExportCodes {
            adp_company_code: String::new(),
            adp_batch_id: "1".to_owned(),
            adp_double_time_code: "D".to_owned(),
            adp_run_iid: String::new(),
            adp_run_regular_code: "REG".to_owned(),
            adp_run_overtime_code: "OVT".to_owned(),
            adp_run_double_time_code: "DBL".to_owned(),
            paychex_client_id: String::new(),
            paychex_regular: "Hourly".to_owned(),
            paychex_overtime: "Overtime".to_owned(),
            paychex_double_time: "Doubletime".to_owned(),
            quickbooks_company: String::new(),
            quickbooks_regular_item: "Regular".to_owned(),
            quickbooks_overtime_item: "Overtime Rate".to_owned(),
            quickbooks_double_time_item: "Overtime Rate (2)".to_owned(),
            quickbooks_company_create_time: String::new(),
        }
    }
}

/// Everything payroll about a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PayrollSettings {
    pub schedule: PaySchedule,
    pub overtime: OvertimeRule,
    /// None: no automatic deduction.
    pub meal: Option<MealDeduction>,
    /// Breaks (Start break to End break on the clock) are paid time; by default they are not.
    #[serde(default)]
    pub breaks_paid: bool,
    pub codes: ExportCodes,
    /// A pay period must be approved for payroll before it is exported (peers lock the period
    /// first, so the file cannot disagree with what is corrected later). Off by default: an
    /// unapproved period exports, and the page says it is not approved before the download.
    #[serde(default)]
    pub require_approval_before_export: bool,
}

impl Default for PayrollSettings {
    /// Weekly from Monday, federal overtime, no meal deduction: what clockface did before payroll settings.
    fn default() -> Self {
        PayrollSettings {
            schedule: PaySchedule {
                frequency: PayFrequency::Weekly,
                anchor: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
                workweek_starts: Weekday::Mon,
            },
            overtime: OvertimeRule::Federal,
            meal: None,
            breaks_paid: false,
            codes: ExportCodes::default(),
            require_approval_before_export: false,
        }
    }
}

/// Parses a weekday's three-letter English name (`Mon` .. `Sun`), as stored.
pub fn parse_weekday(raw: &str) -> Result<Weekday, DomainError> {
    raw.parse::<Weekday>().map_err(|_| DomainError::invalid("workweek_starts", format!("`{raw}` is not a day of the week (Mon..Sun)")))
}

/// A weekday's three-letter name, as stored.
pub fn weekday_str(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn h(hours: f64) -> i64 {
        (hours * 3600.0) as i64
    }

    fn schedule(frequency: PayFrequency) -> PaySchedule {
        PaySchedule { frequency, anchor: date(2026, 11, 2), workweek_starts: Weekday::Mon }
    }

    fn period(start: NaiveDate, end: NaiveDate) -> PayPeriod {
        PayPeriod { start, end }
    }

    #[test]
    fn weekly_periods_start_on_the_workweek_day() {
        // Thursday 26 November 2026: the Monday before is the 23rd, the Sunday before the 22nd.
        let monday = schedule(PayFrequency::Weekly);
        assert_eq!(monday.period_containing(date(2026, 11, 26)), period(date(2026, 11, 23), date(2026, 11, 29)));
        let sunday = PaySchedule { workweek_starts: Weekday::Sun, ..monday };
        assert_eq!(sunday.period_containing(date(2026, 11, 26)), period(date(2026, 11, 22), date(2026, 11, 28)));
        assert_eq!(monday.next(period(date(2026, 11, 23), date(2026, 11, 29))), period(date(2026, 11, 30), date(2026, 12, 6)));
    }

    #[test]
    fn biweekly_periods_count_fourteen_days_from_the_anchor_either_way() {
        // Anchor Monday 2 Nov: periods are 2-15 Nov, 16-29 Nov, and before it 19 Oct - 1 Nov.
        let s = schedule(PayFrequency::Biweekly);
        assert_eq!(s.period_containing(date(2026, 11, 2)), period(date(2026, 11, 2), date(2026, 11, 15)));
        assert_eq!(s.period_containing(date(2026, 11, 15)), period(date(2026, 11, 2), date(2026, 11, 15)));
        assert_eq!(s.period_containing(date(2026, 11, 20)), period(date(2026, 11, 16), date(2026, 11, 29)));
        // 1 Nov is 1 day before the anchor: -1 mod 14 = 13 days into the period starting 19 Oct.
        assert_eq!(s.period_containing(date(2026, 11, 1)), period(date(2026, 10, 19), date(2026, 11, 1)));
        assert_eq!(s.previous(period(date(2026, 11, 2), date(2026, 11, 15))), period(date(2026, 10, 19), date(2026, 11, 1)));
    }

    #[test]
    fn semimonthly_periods_split_on_the_fifteenth() {
        let s = schedule(PayFrequency::Semimonthly);
        assert_eq!(s.period_containing(date(2026, 2, 15)), period(date(2026, 2, 1), date(2026, 2, 15)));
        // February 2026 has 28 days; 2028 is a leap year with 29.
        assert_eq!(s.period_containing(date(2026, 2, 16)), period(date(2026, 2, 16), date(2026, 2, 28)));
        assert_eq!(s.period_containing(date(2028, 2, 20)), period(date(2028, 2, 16), date(2028, 2, 29)));
        assert_eq!(s.period_containing(date(2026, 12, 31)), period(date(2026, 12, 16), date(2026, 12, 31)));
        assert_eq!(s.next(period(date(2026, 12, 16), date(2026, 12, 31))), period(date(2027, 1, 1), date(2027, 1, 15)));
        assert_eq!(s.previous(period(date(2026, 3, 1), date(2026, 3, 15))), period(date(2026, 2, 16), date(2026, 2, 28)));
    }

    #[test]
    fn monthly_periods_are_calendar_months() {
        let s = schedule(PayFrequency::Monthly);
        assert_eq!(s.period_containing(date(2026, 4, 30)), period(date(2026, 4, 1), date(2026, 4, 30)));
        assert_eq!(s.next(period(date(2026, 12, 1), date(2026, 12, 31))), period(date(2027, 1, 1), date(2027, 1, 31)));
        assert_eq!(s.period_containing(date(2026, 7, 4)).days(), 31);
    }

    #[test]
    fn federal_overtime_is_hours_over_forty_in_the_week() {
        // Mon-Fri 10 h each = 50 h: 40 regular, 10 overtime. The 40 are passed on Friday:
        // Mon-Thu 4 x 10 = 40 regular, so all of Friday's 10 are overtime.
        let week = classify_week(OvertimeRule::Federal, &[h(10.0), h(10.0), h(10.0), h(10.0), h(10.0), 0, 0]);
        let total = week.iter().fold(PayHours::default(), |mut t, d| {
            t += *d;
            t
        });
        assert_eq!(total, PayHours { regular_seconds: h(40.0), overtime_seconds: h(10.0), double_time_seconds: 0 });
        assert_eq!(week[4], PayHours { regular_seconds: 0, overtime_seconds: h(10.0), double_time_seconds: 0 });
        // A 13-hour day alone is all regular under the federal rule (no daily overtime).
        assert_eq!(classify_week(OvertimeRule::Federal, &[h(13.0), 0, 0, 0, 0, 0, 0])[0].regular_seconds, h(13.0));
    }

    #[test]
    fn no_overtime_rule_counts_everything_as_regular() {
        let week = classify_week(OvertimeRule::None, &[h(13.0); 7]);
        // 7 x 13 = 91 h, all regular.
        assert_eq!(week.iter().map(|d| d.regular_seconds).sum::<i64>(), h(91.0));
        assert!(week.iter().all(|d| d.overtime_seconds == 0 && d.double_time_seconds == 0));
    }

    #[test]
    fn california_daily_overtime_and_double_time() {
        // 13 h in a day: 8 regular, 12 - 8 = 4 at 1.5x, 13 - 12 = 1 at 2x.
        let day = classify_week(OvertimeRule::California, &[h(13.0), 0, 0, 0, 0, 0, 0])[0];
        assert_eq!(day, PayHours { regular_seconds: h(8.0), overtime_seconds: h(4.0), double_time_seconds: h(1.0) });
        // 9.5 h: 8 regular, 1.5 overtime.
        let day = classify_week(OvertimeRule::California, &[h(9.5), 0, 0, 0, 0, 0, 0])[0];
        assert_eq!(day, PayHours { regular_seconds: h(8.0), overtime_seconds: h(1.5), double_time_seconds: 0 });
    }

    #[test]
    fn california_week_with_a_thirteen_hour_day_and_a_seventh_consecutive_day() {
        // Mon 13, Tue-Sat 8 each, Sun 10: worked all seven days, 13 + 5 x 8 + 10 = 63 h.
        let week = classify_week(OvertimeRule::California, &[h(13.0), h(8.0), h(8.0), h(8.0), h(8.0), h(8.0), h(10.0)]);
        // Mon: 8 regular, 4 overtime (8-12), 1 double (past 12). Regular so far 8.
        assert_eq!(week[0], PayHours { regular_seconds: h(8.0), overtime_seconds: h(4.0), double_time_seconds: h(1.0) });
        // Tue-Fri: 8 regular each; regular so far 8 + 4 x 8 = 40.
        for day in &week[1..5] {
            assert_eq!(*day, PayHours { regular_seconds: h(8.0), overtime_seconds: 0, double_time_seconds: 0 });
        }
        // Sat: no daily overtime, but the 40 regular hours are reached: all 8 are weekly overtime.
        // (Monday's 4 daily overtime hours are not counted toward the 40 again.)
        assert_eq!(week[5], PayHours { regular_seconds: 0, overtime_seconds: h(8.0), double_time_seconds: 0 });
        // Sun, the seventh consecutive day: first 8 at 1.5x, 10 - 8 = 2 at 2x.
        assert_eq!(week[6], PayHours { regular_seconds: 0, overtime_seconds: h(8.0), double_time_seconds: h(2.0) });
        // Week: regular 8 + 4 x 8 = 40; overtime 4 + 8 + 8 = 20; double 1 + 2 = 3; 40 + 20 + 3 = 63.
        let mut total = PayHours::default();
        week.iter().for_each(|d| total += *d);
        assert_eq!(total, PayHours { regular_seconds: h(40.0), overtime_seconds: h(20.0), double_time_seconds: h(3.0) });
        assert_eq!(total.total(), h(63.0));
    }

    #[test]
    fn california_seventh_day_needs_all_seven_days_worked() {
        // Thursday off, so Sunday is not a seventh consecutive day: Sunday's 10 h are 8 regular +
        // 2 daily overtime. Regular hours: 5 x 6 = 30 + 8 = 38, not over 40: no weekly overtime.
        let week = classify_week(OvertimeRule::California, &[h(6.0), h(6.0), h(6.0), 0, h(6.0), h(6.0), h(10.0)]);
        assert_eq!(week[6], PayHours { regular_seconds: h(8.0), overtime_seconds: h(2.0), double_time_seconds: 0 });
        let week = classify_week(OvertimeRule::California, &[h(6.0), h(6.0), h(6.0), h(6.0), h(6.0), h(6.0), 0]);
        // Six days worked, Sunday not: 36 h all regular.
        assert_eq!(week.iter().map(|d| d.regular_seconds).sum::<i64>(), h(36.0));
        // Seven 6-hour days: Sunday is the seventh consecutive day, its 6 h all at 1.5x.
        let week = classify_week(OvertimeRule::California, &[h(6.0); 7]);
        assert_eq!(week[6], PayHours { regular_seconds: 0, overtime_seconds: h(6.0), double_time_seconds: 0 });
    }

    #[test]
    fn california_weekly_overtime_is_not_counted_twice() {
        // Mon-Fri 10 h = 50 h. Daily: 8 regular + 2 overtime each day = 40 regular, 10 overtime.
        // The weekly rule finds 40 regular hours, not over 40: no more overtime. Federal would give
        // the same 10 h; counting both rules would wrongly give 20.
        let week = classify_week(OvertimeRule::California, &[h(10.0), h(10.0), h(10.0), h(10.0), h(10.0), 0, 0]);
        let overtime: i64 = week.iter().map(|d| d.overtime_seconds).sum();
        let regular: i64 = week.iter().map(|d| d.regular_seconds).sum();
        assert_eq!((regular, overtime), (h(40.0), h(10.0)));
    }

    #[test]
    fn meal_deduction_applies_only_past_the_threshold() {
        let meal = MealDeduction::new(6 * 60, 30).expect("valid");
        // 6 h exactly is not over 6 h: nothing deducted. 6 h 1 min: 30 min off.
        assert_eq!(meal.deducted(h(6.0), 0), 0);
        assert_eq!(meal.deducted(h(6.0) + 60, 0), 1800);
        assert!(MealDeduction::new(0, 30).is_err());
        assert!(MealDeduction::new(360, 0).is_err());
    }

    #[test]
    fn an_unpaid_break_taken_counts_toward_the_meal() {
        let meal = MealDeduction::new(5 * 60, 30).expect("valid");
        // A 30-minute unpaid break leaves nothing to deduct; a 10-minute one leaves 20 minutes;
        // a longer one never adds time back.
        assert_eq!(meal.deducted(h(8.0), 1800), 0);
        assert_eq!(meal.deducted(h(8.0), 600), 1200);
        assert_eq!(meal.deducted(h(8.0), 3600), 0);
    }

    #[test]
    fn names_round_trip() {
        for f in PayFrequency::ALL {
            assert_eq!(PayFrequency::parse(f.as_str()), Ok(f));
        }
        for r in OvertimeRule::ALL {
            assert_eq!(OvertimeRule::parse(r.as_str()), Ok(r));
        }
        assert!(PayFrequency::parse("daily").is_err());
        assert_eq!(parse_weekday(weekday_str(Weekday::Sun)), Ok(Weekday::Sun));
        assert!(parse_weekday("Funday").is_err());
    }
}
