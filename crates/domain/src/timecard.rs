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
//! shift longer than the company's threshold and shown beside it; an unpaid break the employee
//! took in that shift counts toward it (a 30-minute unpaid break leaves nothing to deduct for a
//! 30-minute meal rule). Breaks are in the hours when the company pays them, left out otherwise.
//!
//! Time off (approved requests, company holidays) is attached to a built card by
//! [`attach_time_off`]: its own lines per day and the period's totals by type, beside the worked
//! hours and never in them, so it never counts toward overtime (neither a day's 8 or 12 hours,
//! nor the week's 40, nor a seventh consecutive day). A card with no time off is as it was.

use crate::payroll::{classify_week, MealDeduction, OvertimeRule, PayHours};
use crate::punch::{Punch, PunchKind};
use crate::timeoff::{totals_by_type, CardTimeOff, TimeOffTotal};
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What pairing needs to know of a punch.
pub trait TimedPunch {
    fn kind(&self) -> PunchKind;
    fn at(&self) -> DateTime<Utc>;
    /// A clock-out that starts a break, or a clock-in that ends one.
    fn on_break(&self) -> bool {
        false
    }
}

impl TimedPunch for Punch {
    fn kind(&self) -> PunchKind {
        self.kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    fn on_break(&self) -> bool {
        self.on_break
    }
}

/// A clock-in with no clock-out after it is "in progress" for this long, then "missing clock-out".
pub const OPEN_SHIFT_LIMIT: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftStatus {
    /// A clock-in and its clock-out.
    Complete,
    /// Clocked in less than a day ago and not yet out (perhaps on a break now).
    InProgress,
    /// A clock-in followed by another clock-in, or left open for over a day.
    MissingClockOut,
    /// A clock-out with no clock-in before it.
    MissingClockIn,
}

/// A break within a shift: from its Start break to its End break. A break still running when the
/// employee clocks out ends with the clock-out (`end` is none, `seconds` reach the clock-out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Break<P> {
    pub start: P,
    pub end: Option<P>,
    pub seconds: i64,
}

/// One shift: a clock-in and its clock-out, or one of them alone, with the breaks between.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift<P> {
    pub start: Option<P>,
    pub end: Option<P>,
    pub status: ShiftStatus,
    /// Paid seconds (worked, plus breaks when the company pays them, less the meal deduction);
    /// zero unless the shift is complete.
    pub seconds: i64,
    /// Seconds taken off by the company's automatic meal deduction.
    pub meal_deducted_seconds: i64,
    /// Breaks taken, in time order. A Start break never ended by an End break or a clock-out ends
    /// the shift at its start: it is the shift's `end`, and not among these.
    pub breaks: Vec<Break<P>>,
    /// The breaks' seconds, paid or not.
    pub break_seconds: i64,
}

impl<P> Shift<P> {
    fn new(start: Option<P>, end: Option<P>, status: ShiftStatus) -> Self {
        Shift { start, end, status, seconds: 0, meal_deducted_seconds: 0, breaks: Vec::new(), break_seconds: 0 }
    }

    /// The shift with `breaks`, and their seconds totalled.
    fn with_breaks(mut self, breaks: Vec<Break<P>>) -> Self {
        self.break_seconds = breaks.iter().map(|b| b.seconds).sum();
        self.breaks = breaks;
        self
    }
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
    /// The day's time off, each type its own line ([`attach_time_off`]); not in `seconds` nor `pay`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_off: Vec<CardTimeOff>,
}

impl<P> Day<P> {
    /// The day's paid time off, in seconds.
    pub fn time_off_paid_seconds(&self) -> i64 {
        self.time_off.iter().filter(|t| t.paid).map(|t| t.seconds).sum()
    }

    /// Everything the day pays: worked (by rate, in `pay`) and paid time off.
    pub fn paid_seconds(&self) -> i64 {
        self.seconds + self.time_off_paid_seconds()
    }
}

/// One workweek's totals over the card's days in it, by pay rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Seconds on breaks over the period (paid or not, as `breaks_paid` says).
    pub break_seconds: i64,
    pub breaks_paid: bool,
    /// Shifts with a missing clock-in or clock-out: someone should look at them.
    pub issues: usize,
    /// The period's time off by type ([`attach_time_off`]); not in `seconds` nor `pay`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_off: Vec<TimeOffTotal>,
}

impl<P> TimeCard<P> {
    /// The period's paid time off, in seconds.
    pub fn time_off_paid_seconds(&self) -> i64 {
        self.time_off.iter().filter(|t| t.paid).map(|t| t.seconds).sum()
    }

    /// Everything the period pays: worked (by rate, in `pay`) and paid time off.
    pub fn paid_seconds(&self) -> i64 {
        self.seconds + self.time_off_paid_seconds()
    }
}

/// The company's rules a card is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardRules {
    pub overtime: OvertimeRule,
    pub workweek_starts: Weekday,
    pub meal: Option<MealDeduction>,
    /// Breaks count as paid time (else they are left out of the hours).
    pub breaks_paid: bool,
}

impl Default for CardRules {
    /// Federal overtime, weeks from Monday, no meal deduction, unpaid breaks.
    fn default() -> Self {
        CardRules { overtime: OvertimeRule::Federal, workweek_starts: Weekday::Mon, meal: None, breaks_paid: false }
    }
}

/// A shift being paired: its clock-in, its breaks so far, and the Start break it is on, if any.
struct Open<P> {
    start: P,
    breaks: Vec<Break<P>>,
    on_break: Option<P>,
}

impl<P: TimedPunch + Clone> Open<P> {
    /// Closes the shift with `end`. A break still running ends there too.
    fn close(mut self, end: P) -> Shift<P> {
        if let Some(break_start) = self.on_break.take() {
            let seconds = (end.at() - break_start.at()).num_seconds();
            self.breaks.push(Break { start: break_start, end: None, seconds });
        }
        self.complete(end)
    }

    /// Closes the shift at the Start break it is on (the break never ended), or leaves it open
    /// with `status` when it is on none.
    fn abandon(mut self, status: ShiftStatus) -> Shift<P> {
        match self.on_break.take() {
            Some(break_start) => self.complete(break_start),
            None => Shift::new(Some(self.start), None, status).with_breaks(self.breaks),
        }
    }

    /// Worked seconds: from the clock-in to `end`, breaks left out.
    fn complete(self, end: P) -> Shift<P> {
        let span = (end.at() - self.start.at()).num_seconds();
        let mut shift = Shift::new(Some(self.start), Some(end), ShiftStatus::Complete).with_breaks(self.breaks);
        shift.seconds = span - shift.break_seconds;
        shift
    }
}

/// Pairs punches into shifts, in time order. `now` tells an open shift from a forgotten clock-out.
///
/// Breaks: a Start break (a clock-out marked `on_break`) inside a shift starts a break, and the
/// End break (a clock-in marked `on_break`) after it ends it; the shift goes on. A Start break
/// with no shift open is a clock-out without a clock-in; an End break with no break running is a
/// clock-in. A plain clock-in after a Start break, or none for over a day, means the break never
/// ended: the shift ends at the Start break. A clock-out during a break ends the break and the
/// shift. `seconds` here are worked seconds, breaks left out; the card decides whether breaks are paid.
pub fn pair_shifts<P: TimedPunch + Clone>(punches: &[P], now: DateTime<Utc>) -> Vec<Shift<P>> {
    let mut sorted: Vec<&P> = punches.iter().collect();
    // At the same instant a clock-out closes the previous shift before a clock-in opens the next.
    sorted.sort_by_key(|p| (p.at(), p.kind() == PunchKind::In));
    let mut shifts = Vec::new();
    let mut open: Option<Open<P>> = None;
    for punch in sorted {
        let punch = punch.clone();
        open = match (punch.kind(), open.take()) {
            (PunchKind::In, Some(Open { start, mut breaks, on_break: Some(break_start) })) if punch.on_break() => {
                let seconds = (punch.at() - break_start.at()).num_seconds();
                breaks.push(Break { start: break_start, end: Some(punch), seconds });
                Some(Open { start, breaks, on_break: None })
            }
            (PunchKind::In, previous) => {
                if let Some(previous) = previous {
                    shifts.push(previous.abandon(ShiftStatus::MissingClockOut));
                }
                Some(Open { start: punch, breaks: Vec::new(), on_break: None })
            }
            (PunchKind::Out, Some(mut shift)) if punch.on_break() && shift.on_break.is_none() => {
                shift.on_break = Some(punch);
                Some(shift)
            }
            (PunchKind::Out, Some(shift)) => {
                shifts.push(shift.close(punch));
                None
            }
            (PunchKind::Out, None) => {
                shifts.push(Shift::new(None, Some(punch), ShiftStatus::MissingClockIn));
                None
            }
        };
    }
    if let Some(shift) = open {
        let last = shift.on_break.as_ref().unwrap_or(&shift.start).at();
        if now - last <= OPEN_SHIFT_LIMIT {
            // In progress, perhaps on a break now: the running break is shown with no end yet.
            let mut breaks = shift.breaks;
            if let Some(break_start) = shift.on_break {
                let seconds = (now - break_start.at()).num_seconds().max(0);
                breaks.push(Break { start: break_start, end: None, seconds });
            }
            shifts.push(Shift::new(Some(shift.start), None, ShiftStatus::InProgress).with_breaks(breaks));
        } else {
            shifts.push(shift.abandon(ShiftStatus::MissingClockOut));
        }
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
        .map(|date| Day { date, shifts: Vec::new(), seconds: 0, pay: PayHours::default(), time_off: Vec::new() })
        .collect();
    for mut shift in pair_shifts(punches, now) {
        let Some(anchor) = shift.start.as_ref().or(shift.end.as_ref()).map(|p| local_date(p.at())) else {
            continue;
        };
        let Some(day) = days.get_mut(usize::try_from((anchor - first).num_days()).unwrap_or(usize::MAX)) else {
            continue;
        };
        if shift.status == ShiftStatus::Complete {
            // Pairing counted the worked seconds; paid breaks join them, unpaid ones count toward the meal.
            let worked = shift.seconds;
            let (paid_breaks, unpaid_breaks) = if rules.breaks_paid { (shift.break_seconds, 0) } else { (0, shift.break_seconds) };
            shift.meal_deducted_seconds = rules.meal.map_or(0, |meal| meal.deducted(worked, unpaid_breaks));
            shift.seconds = worked + paid_breaks - shift.meal_deducted_seconds;
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
    let mut break_seconds = 0;
    for day in &days {
        pay += day.pay;
        for shift in &day.shifts {
            meal_deducted_seconds += shift.meal_deducted_seconds;
            break_seconds += shift.break_seconds;
            if matches!(shift.status, ShiftStatus::MissingClockIn | ShiftStatus::MissingClockOut) {
                issues += 1;
            }
        }
    }
    let seconds = days.iter().map(|day| day.seconds).sum();
    TimeCard {
        from,
        to,
        time_zone: time_zone.name().to_owned(),
        days,
        weeks,
        seconds,
        pay,
        meal_deducted_seconds,
        break_seconds,
        breaks_paid: rules.breaks_paid,
        issues,
        time_off: Vec::new(),
    }
}

/// Puts time off on a built card: each line on its day (lines for days outside the card are
/// left out), after the lines already there, and the period's totals by type made again. The
/// worked hours, their split by pay rate and the week totals stay exactly as the punches made
/// them: time off is paid, not worked, and never counts toward overtime.
pub fn attach_time_off<P>(card: &mut TimeCard<P>, lines: &[CardTimeOff]) {
    for line in lines {
        if let Some(day) = card.days.iter_mut().find(|d| d.date == line.date) {
            day.time_off.push(line.clone());
        }
    }
    card.time_off = totals_by_type(card.days.iter().flat_map(|d| &d.time_off));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payroll::{MealDeduction, OvertimeRule, PayHours};
    use chrono::TimeZone;
    use chrono_tz::America::Chicago;

    #[derive(Debug, Clone, PartialEq)]
    struct P(PunchKind, DateTime<Utc>, bool);

    impl TimedPunch for P {
        fn kind(&self) -> PunchKind {
            self.0
        }
        fn at(&self) -> DateTime<Utc> {
            self.1
        }
        fn on_break(&self) -> bool {
            self.2
        }
    }

    /// A punch at a local Chicago time.
    fn at(kind: PunchKind, y: i32, m: u32, d: u32, h: u32, min: u32) -> P {
        let local = Chicago.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("unambiguous local time");
        P(kind, local.with_timezone(&Utc), false)
    }

    /// Start break (`Out`) or End break (`In`) at a local Chicago time.
    fn on_break(kind: PunchKind, y: i32, m: u32, d: u32, h: u32, min: u32) -> P {
        P(at(kind, y, m, d, h, min).0, at(kind, y, m, d, h, min).1, true)
    }

    /// 7:00 in, a break 12:00-12:30, 15:30 out, on Mon 23 Nov 2026.
    fn day_with_a_break() -> Vec<P> {
        vec![
            at(PunchKind::In, 2026, 11, 23, 7, 0),
            on_break(PunchKind::Out, 2026, 11, 23, 12, 0),
            on_break(PunchKind::In, 2026, 11, 23, 12, 30),
            at(PunchKind::Out, 2026, 11, 23, 15, 30),
        ]
    }

    fn monday(rules: &CardRules, punches: &[P]) -> TimeCard<P> {
        build_time_card(punches, Chicago, date(2026, 11, 23), date(2026, 11, 23), rules, now())
    }

    #[test]
    fn an_unpaid_break_is_one_shift_with_the_break_left_out() {
        let card = monday(&CardRules::default(), &day_with_a_break());
        let shifts = &card.days[0].shifts;
        assert_eq!(shifts.len(), 1, "a break does not split the shift");
        assert_eq!(shifts[0].status, ShiftStatus::Complete);
        assert_eq!(shifts[0].breaks.len(), 1);
        assert_eq!(shifts[0].breaks[0].seconds, 1800);
        assert_eq!(shifts[0].break_seconds, 1800);
        assert_eq!(card.seconds, 8 * 3600, "8.5 h at work, 30 min of it unpaid");
        assert_eq!((card.break_seconds, card.breaks_paid, card.issues), (1800, false, 0));
    }

    #[test]
    fn a_paid_break_counts_in_the_hours() {
        let rules = CardRules { breaks_paid: true, ..CardRules::default() };
        let card = monday(&rules, &day_with_a_break());
        assert_eq!(card.seconds, 8 * 3600 + 1800);
        assert_eq!(card.break_seconds, 1800);
    }

    #[test]
    fn the_meal_deduction_counts_an_unpaid_break_taken() {
        // Meal rule: 30 min off a shift over 5 h. The 30-minute unpaid break already is the meal;
        // a paid break is not, so the full 30 minutes come off.
        let meal = Some(MealDeduction::new(5 * 60, 30).expect("valid"));
        let unpaid = monday(&CardRules { meal, ..CardRules::default() }, &day_with_a_break());
        assert_eq!((unpaid.seconds, unpaid.meal_deducted_seconds), (8 * 3600, 0));
        let paid = monday(&CardRules { meal, breaks_paid: true, ..CardRules::default() }, &day_with_a_break());
        assert_eq!((paid.seconds, paid.meal_deducted_seconds), (8 * 3600, 1800));
        // A 10-minute unpaid break leaves 20 minutes to deduct.
        let short = [
            at(PunchKind::In, 2026, 11, 23, 7, 0),
            on_break(PunchKind::Out, 2026, 11, 23, 10, 0),
            on_break(PunchKind::In, 2026, 11, 23, 10, 10),
            at(PunchKind::Out, 2026, 11, 23, 15, 10),
        ];
        let card = monday(&CardRules { meal, ..CardRules::default() }, &short);
        assert_eq!((card.seconds, card.meal_deducted_seconds), (8 * 3600 - 1200, 1200));
    }

    #[test]
    fn a_break_never_ended_ends_the_shift_at_its_start() {
        // Start break at 12:00, then the next morning's clock-in: the shift ends at 12:00.
        let punches =
            [at(PunchKind::In, 2026, 11, 23, 7, 0), on_break(PunchKind::Out, 2026, 11, 23, 12, 0), at(PunchKind::In, 2026, 11, 24, 7, 0)];
        let card = build_time_card(&punches, Chicago, date(2026, 11, 23), date(2026, 11, 23), &CardRules::default(), now());
        let shift = &card.days[0].shifts[0];
        assert_eq!(shift.status, ShiftStatus::Complete);
        assert_eq!(shift.end.as_ref().map(|p| p.1), Some(punches[1].1));
        assert!(shift.breaks.is_empty());
        assert_eq!(card.seconds, 5 * 3600);
        // Left alone for over a day, likewise.
        let alone = &punches[..2];
        assert_eq!(pair_shifts(alone, punches[1].1 + Duration::hours(30))[0].seconds, 5 * 3600);
    }

    #[test]
    fn a_clock_out_during_a_break_ends_both() {
        let punches = [
            at(PunchKind::In, 2026, 11, 23, 7, 0),
            on_break(PunchKind::Out, 2026, 11, 23, 12, 0),
            at(PunchKind::Out, 2026, 11, 23, 12, 20),
        ];
        let card = monday(&CardRules::default(), &punches);
        let shift = &card.days[0].shifts[0];
        assert_eq!(shift.status, ShiftStatus::Complete);
        assert_eq!(shift.breaks.len(), 1);
        assert!(shift.breaks[0].end.is_none());
        assert_eq!(card.seconds, 5 * 3600);
        assert_eq!(card.break_seconds, 1200);
    }

    #[test]
    fn on_a_break_now_the_shift_is_in_progress_with_the_break_running() {
        let punches = [at(PunchKind::In, 2026, 11, 23, 7, 0), on_break(PunchKind::Out, 2026, 11, 23, 12, 0)];
        let later = punches[1].1 + Duration::minutes(10);
        let shifts = pair_shifts(&punches, later);
        assert_eq!(shifts.len(), 1);
        assert_eq!(shifts[0].status, ShiftStatus::InProgress);
        assert_eq!(shifts[0].breaks.len(), 1);
        assert_eq!(shifts[0].breaks[0].seconds, 600);
        assert!(shifts[0].breaks[0].end.is_none());
    }

    #[test]
    fn break_punches_outside_a_shift_pair_as_plain_punches() {
        // An End break with no break running opens a shift; a Start break with none open is a
        // clock-out without a clock-in. Nothing is dropped.
        let punches = [
            on_break(PunchKind::Out, 2026, 11, 23, 6, 0),
            on_break(PunchKind::In, 2026, 11, 23, 7, 0),
            at(PunchKind::Out, 2026, 11, 23, 11, 0),
        ];
        let card = monday(&CardRules::default(), &punches);
        let shifts = &card.days[0].shifts;
        assert_eq!(shifts.len(), 2);
        assert_eq!(shifts[0].status, ShiftStatus::MissingClockIn);
        assert_eq!(shifts[1].status, ShiftStatus::Complete);
        assert_eq!(card.seconds, 4 * 3600);
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
            breaks_paid: false,
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

/// Time off on the card: its own lines and totals, and never in the overtime count, under
/// California's rule and the federal one.
#[cfg(test)]
mod time_off_tests {
    use super::*;
    use crate::ids::{TimeOffRequestId, TimeOffTypeId};
    use crate::payroll::{OvertimeRule, PayHours};
    use crate::timeoff::holiday::HolidayInput;
    use crate::timeoff::{HolidayCalendar, TimeOffKind, TimeOffPayCodes, TimeOffSource, TimeOffType, TimeOffTypeName};
    use chrono::TimeZone;
    use chrono_tz::America::{Chicago, Los_Angeles};

    const H: i64 = 3600;

    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Q(PunchKind, DateTime<Utc>);

    impl TimedPunch for Q {
        fn kind(&self) -> PunchKind {
            self.0
        }
        fn at(&self) -> DateTime<Utc> {
            self.1
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("valid")
    }

    /// A shift from 6:00 local for `hours` on each (day of November 2026, hours).
    fn shifts(zone: Tz, days: &[(u32, i64)]) -> Vec<Q> {
        let mut punches = Vec::new();
        for &(day, hours) in days {
            let start = zone.with_ymd_and_hms(2026, 11, day, 6, 0, 0).single().expect("unambiguous").with_timezone(&Utc);
            punches.push(Q(PunchKind::In, start));
            punches.push(Q(PunchKind::Out, start + Duration::hours(hours)));
        }
        punches
    }

    fn kind_type(kind: TimeOffKind, name: &str, paid: bool) -> TimeOffType {
        TimeOffType {
            id: TimeOffTypeId::new(),
            company_id: crate::ids::CompanyId::new(),
            kind,
            name: TimeOffTypeName::parse(name).expect("valid name"),
            paid,
            codes: TimeOffPayCodes::defaults(kind),
            policy: None,
            active: true,
        }
    }

    /// A line of approved time off of `of` on `day` of November 2026.
    fn off(of: &TimeOffType, day: u32, seconds: i64) -> CardTimeOff {
        CardTimeOff {
            date: date(2026, 11, day),
            type_id: of.id,
            kind: of.kind,
            name: of.name.as_str().to_owned(),
            holiday: None,
            paid: of.paid,
            seconds,
            source: TimeOffSource::Request(TimeOffRequestId::new()),
        }
    }

    fn california() -> CardRules {
        CardRules { overtime: OvertimeRule::California, ..CardRules::default() }
    }

    /// The week of Monday 23 November 2026.
    fn week(zone: Tz, rules: &CardRules, punches: &[Q]) -> TimeCard<Q> {
        build_time_card(punches, zone, date(2026, 11, 23), date(2026, 11, 29), rules, now())
    }

    fn pay(regular: i64, overtime: i64, double: i64) -> PayHours {
        PayHours { regular_seconds: regular * H, overtime_seconds: overtime * H, double_time_seconds: double * H }
    }

    #[test]
    fn a_card_without_time_off_is_as_it_was() {
        let punches = shifts(Chicago, &[(23, 10), (24, 10), (25, 10), (26, 10), (27, 10)]);
        let built = week(Chicago, &CardRules::default(), &punches);
        let mut card = built.clone();
        attach_time_off(&mut card, &[]);
        assert_eq!(card, built);
        // Time off outside the card's days is left out.
        attach_time_off(&mut card, &[off(&kind_type(TimeOffKind::Vacation, "Vacation", true), 30, 8 * H)]);
        assert_eq!(card, built);
        // And the card's JSON says nothing of time off.
        let json = serde_json::to_value(&card).expect("serialises");
        assert!(json.get("time_off").is_none());
        assert!(json["days"].as_array().expect("days").iter().all(|d| d.get("time_off").is_none()));
        assert_eq!(card.paid_seconds(), card.seconds);
    }

    #[test]
    fn california_time_off_never_counts_toward_daily_overtime() {
        // Mon 6 h worked + 4 h sick; Tue 4 h worked + 8 h vacation. Worked, those would be 10 and
        // 12 h: 2 and 4 h of daily overtime. As time off, all the worked hours are regular.
        let sick = kind_type(TimeOffKind::Sick, "Sick", true);
        let vacation = kind_type(TimeOffKind::Vacation, "Vacation", true);
        let mut card = week(Los_Angeles, &california(), &shifts(Los_Angeles, &[(23, 6), (24, 4)]));
        attach_time_off(&mut card, &[off(&sick, 23, 4 * H), off(&vacation, 24, 8 * H)]);
        let (monday, tuesday) = (&card.days[0], &card.days[1]);
        assert_eq!((monday.seconds, monday.pay), (6 * H, pay(6, 0, 0)));
        assert_eq!((tuesday.seconds, tuesday.pay), (4 * H, pay(4, 0, 0)));
        assert_eq!((monday.paid_seconds(), tuesday.paid_seconds()), (10 * H, 12 * H));
        assert_eq!(monday.time_off.len(), 1, "time off is its own line on the day");
        assert_eq!((monday.time_off[0].name.as_str(), monday.time_off[0].seconds), ("Sick", 4 * H));
        // The period: 10 h worked, all regular; 12 h of time off, by type.
        assert_eq!(card.pay, pay(10, 0, 0));
        let totals: Vec<(&str, i64)> = card.time_off.iter().map(|t| (t.name.as_str(), t.seconds)).collect();
        assert_eq!(totals, [("Sick", 4 * H), ("Vacation", 8 * H)]);
        assert_eq!((card.seconds, card.time_off_paid_seconds(), card.paid_seconds()), (10 * H, 12 * H, 22 * H));
    }

    #[test]
    fn california_time_off_does_not_make_a_seventh_consecutive_day() {
        // Tue-Sun 6 h worked and Monday on vacation: Sunday is not the seventh consecutive
        // workday, so its 6 h are regular (36 h worked, all regular).
        let vacation = kind_type(TimeOffKind::Vacation, "Vacation", true);
        let six_days = shifts(Los_Angeles, &[(24, 6), (25, 6), (26, 6), (27, 6), (28, 6), (29, 6)]);
        let mut card = week(Los_Angeles, &california(), &six_days);
        attach_time_off(&mut card, &[off(&vacation, 23, 8 * H)]);
        assert_eq!(card.days[6].pay, pay(6, 0, 0));
        assert_eq!(card.pay, pay(36, 0, 0));
        assert_eq!(card.paid_seconds(), 44 * H);
        // Worked on Monday too, Sunday would be the seventh day: its 6 h at 1.5x.
        let seven_days = [shifts(Los_Angeles, &[(23, 6)]), six_days].concat();
        assert_eq!(week(Los_Angeles, &california(), &seven_days).days[6].pay, pay(0, 6, 0));
    }

    #[test]
    fn california_weekly_forty_counts_worked_hours_only() {
        // Thanksgiving week: Mon-Wed and Fri-Sat 9 h worked (8 regular + 1 daily overtime each),
        // Thursday a company holiday paying 8 h. Regular hours: 5 x 8 = 40, not over 40, so no
        // weekly overtime. Had the holiday counted as worked, 8 more hours would be overtime.
        let holiday = kind_type(TimeOffKind::Holiday, "Holiday", true);
        let calendar =
            HolidayCalendar::parse(2026, &[HolidayInput { date: "2026-11-26".into(), name: "Thanksgiving".into(), hours: "8".into() }])
                .expect("valid calendar");
        let mut card = week(Los_Angeles, &california(), &shifts(Los_Angeles, &[(23, 9), (24, 9), (25, 9), (27, 9), (28, 9)]));
        let built = card.clone();
        let lines = calendar.card_lines(card.from, card.to, &holiday);
        attach_time_off(&mut card, &lines);
        assert_eq!(card.pay, pay(40, 5, 0));
        assert_eq!(card.weeks, built.weeks, "week totals are the worked hours'");
        let thursday = &card.days[3];
        assert_eq!(
            (thursday.seconds, thursday.time_off[0].holiday.as_deref(), thursday.time_off[0].seconds),
            (0, Some("Thanksgiving"), 8 * H)
        );
        assert_eq!(card.time_off.len(), 1);
        assert_eq!((card.time_off[0].kind, card.time_off[0].seconds), (TimeOffKind::Holiday, 8 * H));
        assert_eq!(card.paid_seconds(), 53 * H);
    }

    #[test]
    fn federal_time_off_never_counts_toward_the_weekly_forty() {
        // Mon-Thu 10 h worked (40 h) and Friday on vacation: 40 regular, no overtime, 48 h paid.
        let vacation = kind_type(TimeOffKind::Vacation, "Vacation", true);
        let mut card = week(Chicago, &CardRules::default(), &shifts(Chicago, &[(23, 10), (24, 10), (25, 10), (26, 10)]));
        let built = card.clone();
        attach_time_off(&mut card, &[off(&vacation, 27, 8 * H)]);
        assert_eq!(card.pay, pay(40, 0, 0));
        assert_eq!(card.weeks, built.weeks);
        assert_eq!((card.days[4].seconds, card.days[4].paid_seconds()), (0, 8 * H));
        assert_eq!(card.paid_seconds(), 48 * H);
        // Mon-Fri 9 h worked (45 h) and 4 h sick on Wednesday: 5 h of overtime, not 9.
        let sick = kind_type(TimeOffKind::Sick, "Sick", true);
        let mut card = week(Chicago, &CardRules::default(), &shifts(Chicago, &[(23, 9), (24, 9), (25, 9), (26, 9), (27, 9)]));
        attach_time_off(&mut card, &[off(&sick, 25, 4 * H)]);
        assert_eq!(card.pay, pay(40, 5, 0));
        assert_eq!(card.days[4].pay, pay(4, 5, 0), "the 40 are passed on Friday, by worked hours alone");
        assert_eq!(card.paid_seconds(), 49 * H);
    }

    #[test]
    fn unpaid_time_off_is_shown_and_paid_nowhere() {
        let unpaid = kind_type(TimeOffKind::Unpaid, "Unpaid", false);
        let vacation = kind_type(TimeOffKind::Vacation, "Vacation", true);
        let mut card = week(Chicago, &CardRules::default(), &shifts(Chicago, &[(23, 8)]));
        attach_time_off(&mut card, &[off(&unpaid, 24, 8 * H), off(&vacation, 25, 8 * H), off(&vacation, 26, 8 * H)]);
        assert_eq!(card.days[1].time_off.len(), 1);
        assert_eq!(card.days[1].paid_seconds(), 0);
        let totals: Vec<(&str, bool, i64)> = card.time_off.iter().map(|t| (t.name.as_str(), t.paid, t.seconds)).collect();
        assert_eq!(totals, [("Unpaid", false, 8 * H), ("Vacation", true, 16 * H)]);
        assert_eq!((card.time_off_paid_seconds(), card.paid_seconds()), (16 * H, 24 * H));
    }

    #[test]
    fn time_off_lines_sit_beside_the_shifts_of_a_day() {
        // Attached twice (a request, then a holiday), a day keeps both lines in that order.
        let sick = kind_type(TimeOffKind::Sick, "Sick", true);
        let holiday = kind_type(TimeOffKind::Holiday, "Holiday", true);
        let mut card = week(Chicago, &CardRules::default(), &shifts(Chicago, &[(26, 4)]));
        attach_time_off(&mut card, &[off(&sick, 26, 2 * H)]);
        attach_time_off(&mut card, &[off(&holiday, 26, 2 * H)]);
        let thursday = &card.days[3];
        assert_eq!(thursday.shifts.len(), 1);
        assert_eq!(thursday.time_off.iter().map(|t| t.kind).collect::<Vec<_>>(), [TimeOffKind::Sick, TimeOffKind::Holiday]);
        assert_eq!(card.time_off.len(), 2, "the totals are made again from every day's lines");
        assert_eq!(thursday.paid_seconds(), 8 * H);
    }
}
