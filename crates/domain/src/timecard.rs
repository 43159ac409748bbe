//! Time cards: an employee's punches over a pay period paired into shifts, with daily and
//! weekly totals and overtime, computed in the company's time zone.
//!
//! Nothing is dropped. Two clock-ins in a row make a shift with a missing clock-out followed by
//! a new one; a clock-out with no clock-in before it makes a shift with a missing clock-in. Such
//! shifts are shown and counted as issues, but add no hours (nobody can know how long they were).
//! A shift belongs to the day on which it starts, so an overnight shift counts on its first day.
//!
//! Overtime follows the company's rule ([`crate::payroll::classify_week`]) per workweek; a card
//! for a period that starts or ends mid-week still counts that week's other days toward the
//! week's overtime, and shows only its own days. A meal deduction is taken from each complete
//! shift longer than the company's threshold and shown beside it.

use crate::payroll::{classify_week, MealDeduction, OvertimeRule, PayHours};
use crate::punch::{Punch, PunchKind};
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

/// What pairing needs to know of a punch.
pub trait TimedPunch {
    fn kind(&self) -> PunchKind;
    fn at(&self) -> DateTime<Utc>;
}

impl TimedPunch for Punch {
    fn kind(&self) -> PunchKind {
        self.kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
}

/// A clock-in with no clock-out after it is "in progress" for this long, then "missing clock-out".
pub const OPEN_SHIFT_LIMIT: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    /// A clock-in and its clock-out.
    Complete,
    /// Clocked in less than a day ago and not yet out.
    InProgress,
    /// A clock-in followed by another clock-in, or left open for over a day.
    MissingClockOut,
    /// A clock-out with no clock-in before it.
    MissingClockIn,
}

/// One shift: a clock-in and its clock-out, or one of them alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift<P> {
    pub start: Option<P>,
    pub end: Option<P>,
    pub status: ShiftStatus,
    /// Paid seconds (worked, less the meal deduction); zero unless the shift is complete.
    pub seconds: i64,
    /// Seconds taken off by the company's automatic meal deduction.
    pub meal_deducted_seconds: i64,
}

/// One calendar day of a time card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day<P> {
    pub date: NaiveDate,
    pub shifts: Vec<Shift<P>>,
    pub seconds: i64,
    /// The day's seconds by pay rate, under the company's overtime rule.
    #[serde(flatten)]
    pub pay: PayHours,
}

/// One workweek's totals over the card's days in it, by pay rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WeekTotal {
    pub starts_on: NaiveDate,
    pub seconds: i64,
    pub regular_seconds: i64,
    pub overtime_seconds: i64,
    pub double_time_seconds: i64,
}

/// An employee's time card for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeCard<P> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub time_zone: String,
    pub days: Vec<Day<P>>,
    pub weeks: Vec<WeekTotal>,
    pub seconds: i64,
    /// The period's seconds by pay rate.
    #[serde(flatten)]
    pub pay: PayHours,
    /// Seconds taken off by the meal deduction over the period.
    pub meal_deducted_seconds: i64,
    /// Shifts with a missing clock-in or clock-out: someone should look at them.
    pub issues: usize,
}

/// The company's rules a card is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardRules {
    pub overtime: OvertimeRule,
    pub workweek_starts: Weekday,
    pub meal: Option<MealDeduction>,
}

impl Default for CardRules {
    /// Federal overtime, weeks from Monday, no meal deduction.
    fn default() -> Self {
        CardRules { overtime: OvertimeRule::Federal, workweek_starts: Weekday::Mon, meal: None }
    }
}

/// Pairs punches into shifts, in time order. `now` tells an open shift from a forgotten clock-out.
pub fn pair_shifts<P: TimedPunch + Clone>(punches: &[P], now: DateTime<Utc>) -> Vec<Shift<P>> {
    let mut sorted: Vec<&P> = punches.iter().collect();
    // At the same instant a clock-out closes the previous shift before a clock-in opens the next.
    sorted.sort_by_key(|p| (p.at(), p.kind() == PunchKind::In));
    let mut shifts = Vec::new();
    let mut open: Option<P> = None;
    for punch in sorted {
        match punch.kind() {
            PunchKind::In => {
                if let Some(previous) = open.replace(punch.clone()) {
                    shifts.push(Shift {
                        start: Some(previous),
                        end: None,
                        status: ShiftStatus::MissingClockOut,
                        seconds: 0,
                        meal_deducted_seconds: 0,
                    });
                }
            }
            PunchKind::Out => match open.take() {
                Some(start) => {
                    let seconds = (punch.at() - start.at()).num_seconds();
                    shifts.push(Shift {
                        start: Some(start),
                        end: Some(punch.clone()),
                        status: ShiftStatus::Complete,
                        seconds,
                        meal_deducted_seconds: 0,
                    });
                }
                None => shifts.push(Shift {
                    start: None,
                    end: Some(punch.clone()),
                    status: ShiftStatus::MissingClockIn,
                    seconds: 0,
                    meal_deducted_seconds: 0,
                }),
            },
        }
    }
    if let Some(start) = open {
        let status = if now - start.at() <= OPEN_SHIFT_LIMIT { ShiftStatus::InProgress } else { ShiftStatus::MissingClockOut };
        shifts.push(Shift { start: Some(start), end: None, status, seconds: 0, meal_deducted_seconds: 0 });
    }
    shifts
}

/// The first day of the week that holds `date`.
pub fn week_start(date: NaiveDate, week_starts: Weekday) -> NaiveDate {
    crate::payroll::workweek_start(date, week_starts)
}

/// The weekly pay period that holds `date`: its first and last day.
pub fn weekly_period(date: NaiveDate, week_starts: Weekday) -> (NaiveDate, NaiveDate) {
    let first = week_start(date, week_starts);
    (first, first + Duration::days(6))
}

/// Builds the time card for the days `from..=to` in `time_zone`, counted by `rules`. `punches`
/// should reach a day beyond either end so that shifts crossing the edges pair correctly, and
/// back to the start of the first workweek (and on to the end of the last) so that its overtime
/// is right; shifts are kept when the day they belong to lies within the period.
pub fn build_time_card<P: TimedPunch + Clone>(
    punches: &[P],
    time_zone: Tz,
    from: NaiveDate,
    to: NaiveDate,
    rules: &CardRules,
    now: DateTime<Utc>,
) -> TimeCard<P> {
    let local_date = |at: DateTime<Utc>| at.with_timezone(&time_zone).date_naive();
    // Whole workweeks, so that overtime sees every day of each week the period touches.
    let first = week_start(from, rules.workweek_starts);
    let last = week_start(to, rules.workweek_starts) + Duration::days(6);
    let mut days: Vec<Day<P>> = first
        .iter_days()
        .take_while(|date| *date <= last)
        .map(|date| Day { date, shifts: Vec::new(), seconds: 0, pay: PayHours::default() })
        .collect();
    for mut shift in pair_shifts(punches, now) {
        let Some(anchor) = shift.start.as_ref().or(shift.end.as_ref()).map(|p| local_date(p.at())) else {
            continue;
        };
        let Some(day) = days.get_mut(usize::try_from((anchor - first).num_days()).unwrap_or(usize::MAX)) else {
            continue;
        };
        if let Some(meal) = rules.meal {
            shift.meal_deducted_seconds = meal.deducted(shift.seconds);
            shift.seconds -= shift.meal_deducted_seconds;
        }
        day.seconds += shift.seconds;
        day.shifts.push(shift);
    }
    for week in days.chunks_mut(7) {
        let mut worked = [0; 7];
        for (i, day) in week.iter().enumerate() {
            worked[i] = day.seconds;
        }
        for (day, pay) in week.iter_mut().zip(classify_week(rules.overtime, &worked)) {
            day.pay = pay;
        }
    }
    days.retain(|day| from <= day.date && day.date <= to);
    let mut weeks: Vec<WeekTotal> = Vec::new();
    for day in &days {
        let starts_on = week_start(day.date, rules.workweek_starts);
        let week = match weeks.last_mut() {
            Some(week) if week.starts_on == starts_on => week,
            _ => {
                weeks.push(WeekTotal { starts_on, seconds: 0, regular_seconds: 0, overtime_seconds: 0, double_time_seconds: 0 });
                let at = weeks.len() - 1;
                &mut weeks[at]
            }
        };
        week.seconds += day.seconds;
        week.regular_seconds += day.pay.regular_seconds;
        week.overtime_seconds += day.pay.overtime_seconds;
        week.double_time_seconds += day.pay.double_time_seconds;
    }
    let mut pay = PayHours::default();
    let mut issues = 0;
    let mut meal_deducted_seconds = 0;
    for day in &days {
        pay += day.pay;
        for shift in &day.shifts {
            meal_deducted_seconds += shift.meal_deducted_seconds;
            if matches!(shift.status, ShiftStatus::MissingClockIn | ShiftStatus::MissingClockOut) {
                issues += 1;
            }
        }
    }
    let seconds = days.iter().map(|day| day.seconds).sum();
    TimeCard { from, to, time_zone: time_zone.name().to_owned(), days, weeks, seconds, pay, meal_deducted_seconds, issues }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payroll::{MealDeduction, OvertimeRule, PayHours};
    use chrono::TimeZone;
    use chrono_tz::America::Chicago;

    #[derive(Debug, Clone, PartialEq)]
    struct P(PunchKind, DateTime<Utc>);

    impl TimedPunch for P {
        fn kind(&self) -> PunchKind {
            self.0
        }
        fn at(&self) -> DateTime<Utc> {
            self.1
        }
    }

    /// A punch at a local Chicago time.
    fn at(kind: PunchKind, y: i32, m: u32, d: u32, h: u32, min: u32) -> P {
        let local = Chicago.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("unambiguous local time");
        P(kind, local.with_timezone(&Utc))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("valid")
    }

    #[test]
    fn a_day_shift_pairs_and_totals() {
        let punches = [at(PunchKind::In, 2026, 11, 23, 7, 0), at(PunchKind::Out, 2026, 11, 23, 15, 30)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 29), &CardRules::default(), now());
        assert_eq!(card.days.len(), 7);
        assert_eq!(card.days[0].shifts.len(), 1);
        assert_eq!(card.days[0].shifts[0].status, ShiftStatus::Complete);
        assert_eq!(card.days[0].seconds, 8 * 3600 + 1800);
        assert_eq!(card.seconds, 8 * 3600 + 1800);
        assert_eq!(card.issues, 0);
    }

    #[test]
    fn an_overnight_shift_counts_on_the_day_it_starts() {
        let punches = [at(PunchKind::Out, 2026, 11, 25, 6, 0), at(PunchKind::In, 2026, 11, 24, 22, 0)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 29), &CardRules::default(), now());
        let tuesday = &card.days[1];
        assert_eq!(tuesday.date, date(2026, 11, 24));
        assert_eq!(tuesday.seconds, 8 * 3600);
        assert!(card.days[2].shifts.is_empty());
    }

    #[test]
    fn two_clock_ins_in_a_row_keep_both_and_flag_the_first() {
        let punches =
            [at(PunchKind::In, 2026, 11, 23, 7, 0), at(PunchKind::In, 2026, 11, 23, 12, 0), at(PunchKind::Out, 2026, 11, 23, 16, 0)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 23), &CardRules::default(), now());
        let shifts = &card.days[0].shifts;
        assert_eq!(shifts.len(), 2);
        assert_eq!(shifts[0].status, ShiftStatus::MissingClockOut);
        assert_eq!(shifts[0].seconds, 0);
        assert_eq!(shifts[1].status, ShiftStatus::Complete);
        assert_eq!(card.seconds, 4 * 3600);
        assert_eq!(card.issues, 1);
    }

    #[test]
    fn a_clock_out_without_a_clock_in_is_shown() {
        let punches = [at(PunchKind::Out, 2026, 11, 23, 16, 0)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 23), &CardRules::default(), now());
        assert_eq!(card.days[0].shifts[0].status, ShiftStatus::MissingClockIn);
        assert!(card.days[0].shifts[0].start.is_none());
        assert_eq!(card.issues, 1);
    }

    #[test]
    fn an_open_shift_is_in_progress_for_a_day_then_missing_its_clock_out() {
        let start = at(PunchKind::In, 2026, 11, 23, 7, 0);
        let soon = start.1 + Duration::hours(3);
        assert_eq!(pair_shifts(std::slice::from_ref(&start), soon)[0].status, ShiftStatus::InProgress);
        let much_later = start.1 + Duration::hours(30);
        assert_eq!(pair_shifts(&[start], much_later)[0].status, ShiftStatus::MissingClockOut);
    }

    #[test]
    fn the_company_time_zone_decides_the_day() {
        // 23:30 in Chicago on the 23rd is already the 24th in UTC.
        let punches = [at(PunchKind::In, 2026, 11, 23, 23, 30), at(PunchKind::Out, 2026, 11, 23, 23, 50)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 24), &CardRules::default(), now());
        assert_eq!(card.days[0].shifts.len(), 1);
        assert!(card.days[1].shifts.is_empty());
    }

    #[test]
    fn weekly_hours_over_forty_are_overtime() {
        let mut punches = Vec::new();
        for day in 23..=27 {
            punches.push(at(PunchKind::In, 2026, 11, day, 6, 0));
            punches.push(at(PunchKind::Out, 2026, 11, day, 16, 0));
        }
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 29), &CardRules::default(), now());
        assert_eq!(card.weeks.len(), 1);
        assert_eq!(card.weeks[0].seconds, 50 * 3600);
        assert_eq!(card.weeks[0].regular_seconds, 40 * 3600);
        assert_eq!(card.weeks[0].overtime_seconds, 10 * 3600);
    }

    #[test]
    fn weekly_periods_start_on_the_chosen_day() {
        assert_eq!(weekly_period(date(2026, 11, 26), Weekday::Mon), (date(2026, 11, 23), date(2026, 11, 29)));
        assert_eq!(weekly_period(date(2026, 11, 26), Weekday::Sun), (date(2026, 11, 22), date(2026, 11, 28)));
        assert_eq!(weekly_period(date(2026, 11, 23), Weekday::Mon).0, date(2026, 11, 23));
    }

    #[test]
    fn a_california_card_with_a_meal_deduction() {
        // Mon 6:00-19:30 is 13.5 h worked, less the 30 min meal (over 6 h) = 13 h paid:
        // 8 regular, 4 overtime, 1 double time. Tue 8:00-13:00 is 5 h: under 6 h, nothing deducted.
        let rules = CardRules {
            overtime: OvertimeRule::California,
            workweek_starts: Weekday::Mon,
            meal: Some(MealDeduction::new(6 * 60, 30).expect("valid")),
        };
        let punches = [
            at(PunchKind::In, 2026, 11, 23, 6, 0),
            at(PunchKind::Out, 2026, 11, 23, 19, 30),
            at(PunchKind::In, 2026, 11, 24, 8, 0),
            at(PunchKind::Out, 2026, 11, 24, 13, 0),
        ];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 29), &rules, now());
        assert_eq!(card.days[0].shifts[0].meal_deducted_seconds, 1800);
        assert_eq!(card.days[0].seconds, 13 * 3600);
        assert_eq!(card.days[0].pay, PayHours { regular_seconds: 8 * 3600, overtime_seconds: 4 * 3600, double_time_seconds: 3600 });
        assert_eq!(card.days[1].shifts[0].meal_deducted_seconds, 0);
        // Period: 13 + 5 = 18 h paid; 8 + 5 = 13 regular, 4 overtime, 1 double; 30 min deducted.
        assert_eq!(card.seconds, 18 * 3600);
        assert_eq!(card.pay, PayHours { regular_seconds: 13 * 3600, overtime_seconds: 4 * 3600, double_time_seconds: 3600 });
        assert_eq!(card.meal_deducted_seconds, 1800);
    }

    #[test]
    fn a_period_ending_mid_week_counts_the_whole_week_for_overtime() {
        // Twice-a-month period 16-30 Nov 2026; Monday 30 Nov starts a week that ends in December.
        // The week of Mon 23 Nov: Mon-Thu 10 h each (40 h), then Fri 27 Nov 10 h: 10 h federal overtime.
        // A card for 27-29 Nov alone still shows Friday's 10 h as overtime.
        let mut punches = Vec::new();
        for day in 23..=27 {
            punches.push(at(PunchKind::In, 2026, 11, day, 6, 0));
            punches.push(at(PunchKind::Out, 2026, 11, day, 16, 0));
        }
        let card = build_time_card(&punches, Chicago, date(2026, 11, 27), date(2026, 11, 29), &CardRules::default(), now());
        assert_eq!(card.days.len(), 3);
        assert_eq!(card.seconds, 10 * 3600);
        assert_eq!(card.pay.overtime_seconds, 10 * 3600);
        assert_eq!(card.pay.regular_seconds, 0);
    }
}
