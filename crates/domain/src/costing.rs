//! Job costing: a pay period's hours by job and cost code, split into regular, overtime and
//! double time exactly as payroll counts them.
//!
//! The rule. Payroll decides each day's regular, overtime and double-time seconds
//! ([`crate::payroll::classify_week`] through [`crate::timecard::build_time_card`]); costing does
//! not count hours again, it only says which job they were worked on. Each day's pay is handed out
//! to that day's paid shifts **in time order, regular first, then overtime, then double time**: the
//! first shift of the day takes regular seconds up to its length, the next shift continues where
//! the first stopped, so overtime lands on the hours worked after the threshold (California's 8
//! hours a day, or the day the federal 40 hours a week were passed) and double time on the last
//! ones. A shift's paid seconds are [`Shift::seconds`] (worked, less the meal deduction); shifts
//! with no hours (a missing clock-in or clock-out) take nothing. The last paid shift of a day takes
//! whatever is left, so a day's pay is always handed out whole: the totals over all jobs are the
//! payroll totals to the second. A day with pay and no paid shift (which pairing never makes)
//! would go to "No job".
//!
//! A shift's job and cost code are its clock-in's (Change job is a clock-out and a clock-in at the
//! same instant, so each shift has one job); when its clock-in has neither (a clock-in a correction
//! added, say), its clock-out's: the same rule the time card shows. A shift with neither is "No job".
//!
//! Paid time off (approved requests, company holidays) is paid time worked on no job: it is
//! counted under "No job" ([`add_time_off`]), apart from the regular, overtime and double-time
//! hours, which stay the payroll totals to the second.

use crate::correction::Corrected;
use crate::ids::{CostCodeId, EmployeeId, JobId};
use crate::payroll::PayHours;
use crate::punch::Punch;
use crate::timecard::{Day, Shift, TimeCard, TimedPunch};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What costing needs to know of a punch besides its time: the job and cost code it carries.
pub trait CostedPunch {
    fn job(&self) -> Option<JobId>;
    fn cost_code(&self) -> Option<CostCodeId>;
}

impl CostedPunch for Punch {
    fn job(&self) -> Option<JobId> {
        self.job_id
    }
    fn cost_code(&self) -> Option<CostCodeId> {
        self.cost_code_id
    }
}

/// A corrected punch keeps its device punch's job (a moved time is still the same work); a punch
/// a correction added has none.
impl<P: CostedPunch> CostedPunch for Corrected<P> {
    fn job(&self) -> Option<JobId> {
        self.original.as_ref().and_then(CostedPunch::job)
    }
    fn cost_code(&self) -> Option<CostCodeId> {
        self.original.as_ref().and_then(CostedPunch::cost_code)
    }
}

/// A job and cost code pair the hours are summed by; `None` in both is "No job".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CostKey {
    pub job: Option<JobId>,
    pub cost_code: Option<CostCodeId>,
}

/// The job and cost code a shift's hours go to: its clock-in's, else its clock-out's.
pub fn shift_key<P: CostedPunch>(shift: &Shift<P>) -> CostKey {
    [&shift.start, &shift.end]
        .into_iter()
        .flatten()
        .map(|p| CostKey { job: p.job(), cost_code: p.cost_code() })
        .find(|key| key.job.is_some() || key.cost_code.is_some())
        .unwrap_or_default()
}

/// Takes up to `want` seconds from `pools` (regular, overtime, double time), in that order.
fn take(pools: &mut PayHours, want: i64) -> PayHours {
    let mut want = want.max(0);
    let mut out = PayHours::default();
    for (pool, got) in [
        (&mut pools.regular_seconds, &mut out.regular_seconds),
        (&mut pools.overtime_seconds, &mut out.overtime_seconds),
        (&mut pools.double_time_seconds, &mut out.double_time_seconds),
    ] {
        let n = want.min(*pool).max(0);
        *pool -= n;
        *got += n;
        want -= n;
    }
    out
}

/// A day's pay handed out to its paid shifts in time order, regular first (see the module's
/// rule): one entry per paid shift, in time order. The entries always add up to `day.pay`.
pub fn allocate_day<P: TimedPunch + CostedPunch>(day: &Day<P>) -> Vec<(CostKey, PayHours)> {
    let mut paid: Vec<&Shift<P>> = day.shifts.iter().filter(|s| s.seconds > 0).collect();
    paid.sort_by_key(|s| s.start.as_ref().or(s.end.as_ref()).map(TimedPunch::at));
    let mut pools = day.pay;
    let mut out = Vec::with_capacity(paid.len());
    for (i, shift) in paid.iter().enumerate() {
        let want = if i + 1 == paid.len() { pools.total() } else { shift.seconds };
        out.push((shift_key(shift), take(&mut pools, want)));
    }
    if pools.total() > 0 {
        // Pay with no paid shift to carry it: counted, under "No job", never dropped.
        out.push((CostKey::default(), pools));
    }
    out
}

/// One line of an employee's costed card: a day's hours on one job and cost code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLine {
    pub date: NaiveDate,
    pub key: CostKey,
    pub pay: PayHours,
}

/// An employee's card by day and by job and cost code: one line per day per key with hours, in
/// date order and, within a day, in the order the key was first worked.
pub fn cost_card<P: TimedPunch + CostedPunch>(card: &TimeCard<P>) -> Vec<CostLine> {
    let mut lines: Vec<CostLine> = Vec::new();
    for day in &card.days {
        let first = lines.len();
        for (key, pay) in allocate_day(day) {
            match lines[first..].iter_mut().find(|l| l.key == key) {
                Some(line) => line.pay += pay,
                None => lines.push(CostLine { date: day.date, key, pay }),
            }
        }
    }
    lines.retain(|l| l.pay.total() > 0);
    lines
}

/// One job and cost code's hours over the period, and each employee's share of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostGroup {
    pub key: CostKey,
    pub pay: PayHours,
    /// In the order the employees were given.
    pub employees: Vec<(EmployeeId, PayHours)>,
    /// Paid time off (only ever on "No job"), and each employee's share of it.
    pub time_off_seconds: i64,
    pub time_off: Vec<(EmployeeId, i64)>,
}

/// A period's job costing: the hours by job and cost code, and their total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCosting {
    /// Ordered by key; the caller orders them by number for people.
    pub groups: Vec<CostGroup>,
    pub totals: PayHours,
    /// Paid time off, all of it on "No job".
    pub time_off_seconds: i64,
}

/// Sums employees' costed cards by job and cost code.
pub fn summarize<'a>(cards: impl IntoIterator<Item = (EmployeeId, &'a [CostLine])>) -> JobCosting {
    let mut groups: BTreeMap<CostKey, CostGroup> = BTreeMap::new();
    let mut totals = PayHours::default();
    for (employee, lines) in cards {
        for line in lines {
            totals += line.pay;
            let group = groups.entry(line.key).or_insert_with(|| CostGroup::new(line.key));
            group.pay += line.pay;
            match group.employees.iter_mut().find(|(e, _)| *e == employee) {
                Some((_, pay)) => *pay += line.pay,
                None => group.employees.push((employee, line.pay)),
            }
        }
    }
    JobCosting { groups: groups.into_values().collect(), totals, time_off_seconds: 0 }
}

impl CostGroup {
    fn new(key: CostKey) -> Self {
        CostGroup { key, pay: PayHours::default(), employees: Vec::new(), time_off_seconds: 0, time_off: Vec::new() }
    }
}

/// Adds employees' paid time off (seconds over the period) to "No job", making the group when
/// no hours were worked on no job; an employee with time off and no such hours is listed with
/// none. Nothing is added for an employee without paid time off.
pub fn add_time_off(costing: &mut JobCosting, paid: impl IntoIterator<Item = (EmployeeId, i64)>) {
    for (employee, seconds) in paid.into_iter().filter(|(_, s)| *s > 0) {
        let i = match costing.groups.iter().position(|g| g.key == CostKey::default()) {
            Some(i) => i,
            None => {
                costing.groups.push(CostGroup::new(CostKey::default()));
                costing.groups.len() - 1
            }
        };
        let no_job = &mut costing.groups[i];
        if !no_job.employees.iter().any(|(e, _)| *e == employee) {
            no_job.employees.push((employee, PayHours::default()));
        }
        no_job.time_off_seconds += seconds;
        no_job.time_off.push((employee, seconds));
        costing.time_off_seconds += seconds;
    }
    costing.groups.sort_by_key(|g| g.key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correction::{apply_corrections, Correction, CorrectionAction, Reason};
    use crate::ids::{AdminId, CompanyId, CorrectionId, PunchId};
    use crate::payroll::{MealDeduction, OvertimeRule};
    use crate::punch::PunchKind;
    use crate::timecard::{build_time_card, CardRules};
    use chrono::{DateTime, TimeZone, Utc, Weekday};
    use chrono_tz::America::Los_Angeles;

    const HOUR: i64 = 3600;

    #[derive(Debug, Clone, PartialEq)]
    struct P {
        id: PunchId,
        kind: PunchKind,
        at: DateTime<Utc>,
        key: CostKey,
    }

    impl TimedPunch for P {
        fn kind(&self) -> PunchKind {
            self.kind
        }
        fn at(&self) -> DateTime<Utc> {
            self.at
        }
    }

    impl CostedPunch for P {
        fn job(&self) -> Option<JobId> {
            self.key.job
        }
        fn cost_code(&self) -> Option<CostCodeId> {
            self.key.cost_code
        }
    }

    fn local(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Los_Angeles.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("unambiguous").with_timezone(&Utc)
    }

    /// A shift on 2026-11-`d` from `from` to `to` (hours, local), on `key`.
    fn shift(d: u32, from: (u32, u32), to: (u32, u32), key: CostKey) -> [P; 2] {
        [
            P { id: PunchId::new(), kind: PunchKind::In, at: local(d, from.0, from.1), key },
            P { id: PunchId::new(), kind: PunchKind::Out, at: local(d, to.0, to.1), key },
        ]
    }

    fn pay(regular: i64, overtime: i64, double: i64) -> PayHours {
        PayHours { regular_seconds: regular * HOUR, overtime_seconds: overtime * HOUR, double_time_seconds: double * HOUR }
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("valid")
    }

    fn california() -> CardRules {
        CardRules { overtime: OvertimeRule::California, workweek_starts: Weekday::Mon, meal: None, breaks_paid: false }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("valid")
    }

    fn group(costing: &JobCosting, key: CostKey) -> &CostGroup {
        costing.groups.iter().find(|g| g.key == key).expect("the key has hours")
    }

    #[test]
    fn the_california_week_on_two_jobs_and_none_adds_up_to_payroll() {
        // The worked example of payroll::classify_week: Mon 13 h, Tue-Sat 8 h, Sun 10 h (all
        // seven days, Mon 23 - Sun 29 Nov 2026) = 63 h: 40 regular, 20 overtime, 3 double time.
        let depot = CostKey { job: Some(JobId::new()), cost_code: Some(CostCodeId::new()) };
        let main_st = CostKey { job: Some(JobId::new()), cost_code: None };
        let none = CostKey::default();
        let mut punches = Vec::new();
        // Mon: Depot 6:00-12:00 (6 h), Change job at 12:00, Main St 12:00-19:00 (7 h).
        punches.extend(shift(23, (6, 0), (12, 0), depot));
        punches.extend(shift(23, (12, 0), (19, 0), main_st));
        // Tue-Fri: Depot 8 h each.
        for d in 24..=27 {
            punches.extend(shift(d, (7, 0), (15, 0), depot));
        }
        // Sat: 8 h on no job.
        punches.extend(shift(28, (7, 0), (15, 0), none));
        // Sun (the seventh consecutive day): Main St 7:00-11:00 (4 h), then no job 11:00-17:00 (6 h).
        punches.extend(shift(29, (7, 0), (11, 0), main_st));
        punches.extend(shift(29, (11, 0), (17, 0), none));
        let card = build_time_card(&punches, Los_Angeles, date(23), date(29), &california(), now());
        assert_eq!(card.pay, pay(40, 20, 3));

        let employee = EmployeeId::new();
        let lines = cost_card(&card);
        let costing = summarize([(employee, lines.as_slice())]);
        // Mon's 8 regular hours: Depot's 6, then Main St's first 2; Main St's next 4 are the
        // overtime past 8 h, its last 1 the double time past 12 h.
        // Tue-Fri: Depot 4 x 8 regular (regular so far 8 + 32 = 40).
        // Depot: 6 + 32 = 38 regular.
        assert_eq!(group(&costing, depot).pay, pay(38, 0, 0));
        // Sun: 8 h at 1.5x, then 2 at 2x: Main St's 4 h are the first 4 of the 1.5x.
        // Main St: 2 regular, 4 + 4 = 8 overtime, 1 double.
        assert_eq!(group(&costing, main_st).pay, pay(2, 8, 1));
        // No job: Sat's 8 (weekly overtime, past 40 regular) + Sun's last 4 at 1.5x and 2 at 2x.
        assert_eq!(group(&costing, none).pay, pay(0, 12, 2));
        // 38 + 2 = 40 regular, 8 + 12 = 20 overtime, 1 + 2 = 3 double: payroll's totals exactly.
        assert_eq!(costing.totals, card.pay);
        let mut sum = PayHours::default();
        costing.groups.iter().for_each(|g| sum += g.pay);
        assert_eq!(sum, card.pay);
        assert_eq!(group(&costing, depot).employees, vec![(employee, pay(38, 0, 0))]);
        // Mon has a line for each job; Sun one for Main St and one for no job.
        let monday: Vec<_> = lines.iter().filter(|l| l.date == date(23)).map(|l| (l.key, l.pay)).collect();
        assert_eq!(monday, vec![(depot, pay(6, 0, 0)), (main_st, pay(2, 4, 1))]);
    }

    #[test]
    fn federal_overtime_lands_on_the_hours_after_the_fortieth() {
        // Mon-Thu 10 h on job A (40 h regular); Fri 4 h on A then 6 h on B: all of Friday is
        // overtime, so A gets 4 h overtime and B 6.
        let a = CostKey { job: Some(JobId::new()), cost_code: None };
        let b = CostKey { job: Some(JobId::new()), cost_code: None };
        let mut punches = Vec::new();
        for d in 23..=26 {
            punches.extend(shift(d, (6, 0), (16, 0), a));
        }
        punches.extend(shift(27, (6, 0), (10, 0), a));
        punches.extend(shift(27, (10, 0), (16, 0), b));
        let card = build_time_card(&punches, Los_Angeles, date(23), date(29), &CardRules::default(), now());
        let costing = summarize([(EmployeeId::new(), cost_card(&card).as_slice())]);
        assert_eq!(group(&costing, a).pay, pay(40, 4, 0));
        assert_eq!(group(&costing, b).pay, pay(0, 6, 0));
        assert_eq!(costing.totals, card.pay);
    }

    #[test]
    fn shifts_are_taken_in_time_order_and_paid_seconds_after_the_meal_deduction() {
        // One California day: B 13:00-20:00 (7 h, less a 30 min meal: 6.5 h paid) after A
        // 6:00-12:30 (6.5 h, less the meal: 6 h paid). 12.5 h paid: A, first in time, takes 6
        // regular; B 2 regular, 4 overtime (to 12 h) and the last half hour double.
        let a = CostKey { job: Some(JobId::new()), cost_code: None };
        let b = CostKey { job: Some(JobId::new()), cost_code: Some(CostCodeId::new()) };
        let mut punches = Vec::new();
        punches.extend(shift(23, (13, 0), (20, 0), b));
        punches.extend(shift(23, (6, 0), (12, 30), a));
        let rules = CardRules { meal: Some(MealDeduction::new(6 * 60, 30).expect("valid")), ..california() };
        let card = build_time_card(&punches, Los_Angeles, date(23), date(23), &rules, now());
        let allocated = allocate_day(&card.days[0]);
        assert_eq!(allocated, vec![(a, pay(6, 0, 0)), (b, PayHours { double_time_seconds: HOUR / 2, ..pay(2, 4, 0) })]);
    }

    #[test]
    fn shifts_without_hours_take_nothing_and_keep_nothing() {
        // A clock-in with no clock-out on job A (no hours), then a complete 4 h shift on B.
        let a = CostKey { job: Some(JobId::new()), cost_code: None };
        let b = CostKey { job: Some(JobId::new()), cost_code: None };
        let [open, _] = shift(23, (6, 0), (7, 0), a);
        let mut punches = vec![open];
        punches.extend(shift(23, (8, 0), (12, 0), b));
        let card = build_time_card(&punches, Los_Angeles, date(23), date(23), &CardRules::default(), now());
        assert_eq!(card.issues, 1);
        let lines = cost_card(&card);
        assert_eq!(lines, vec![CostLine { date: date(23), key: b, pay: pay(4, 0, 0) }]);
    }

    #[test]
    fn an_added_clock_in_takes_the_job_of_the_clock_out() {
        // The device's clock-out carries job A; the clock-in was forgotten and added by a correction.
        let a = CostKey { job: Some(JobId::new()), cost_code: Some(CostCodeId::new()) };
        let [_, out] = shift(23, (6, 0), (14, 0), a);
        let add = Correction {
            id: CorrectionId::new(),
            company_id: CompanyId::new(),
            employee_id: EmployeeId::new(),
            action: CorrectionAction::Add,
            replaces: None,
            kind: PunchKind::In,
            at: Some(local(23, 6, 0)),
            reason: Reason::parse("Forgot to clock in").expect("valid"),
            made_by: AdminId::new(),
            made_at: local(23, 15, 0),
        };
        let applied = apply_corrections(std::slice::from_ref(&out), |p| p.id, &[add]);
        let card = build_time_card(&applied.counted, Los_Angeles, date(23), date(23), &CardRules::default(), now());
        assert_eq!(shift_key(&card.days[0].shifts[0]), a);
        assert_eq!(cost_card(&card)[0].pay, pay(8, 0, 0));
    }

    #[test]
    fn employees_are_summed_under_each_job() {
        let a = CostKey { job: Some(JobId::new()), cost_code: None };
        let (ann, bob) = (EmployeeId::new(), EmployeeId::new());
        let line = |d, p| CostLine { date: date(d), key: a, pay: p };
        let ann_lines = [line(23, pay(8, 0, 0)), line(24, pay(8, 1, 0))];
        let bob_lines = [line(23, pay(3, 0, 0))];
        let costing = summarize([(ann, &ann_lines[..]), (bob, &bob_lines[..])]);
        assert_eq!(costing.groups.len(), 1);
        assert_eq!(costing.groups[0].pay, pay(19, 1, 0));
        assert_eq!(costing.groups[0].employees, vec![(ann, pay(16, 1, 0)), (bob, pay(3, 0, 0))]);
    }

    #[test]
    fn paid_time_off_is_costed_on_no_job_apart_from_the_hours_worked() {
        let depot = CostKey { job: Some(JobId::new()), cost_code: None };
        let (ann, bob, cy) = (EmployeeId::new(), EmployeeId::new(), EmployeeId::new());
        let ann_lines = [CostLine { date: date(23), key: depot, pay: pay(8, 0, 0) }];
        let mut costing = summarize([(ann, &ann_lines[..]), (bob, &[][..])]);
        let worked = costing.totals;
        // Ann worked on the depot only and took 8 h vacation; Bob only took 4 h sick; Cy none.
        add_time_off(&mut costing, [(ann, 8 * HOUR), (bob, 4 * HOUR), (cy, 0)]);
        assert_eq!(costing.totals, worked, "the hours worked are the payroll totals still");
        assert_eq!(costing.time_off_seconds, 12 * HOUR);
        assert_eq!(group(&costing, depot).time_off_seconds, 0, "time off is never on a job");
        let no_job = group(&costing, CostKey::default());
        assert_eq!((no_job.pay, no_job.time_off_seconds), (PayHours::default(), 12 * HOUR));
        assert_eq!(no_job.time_off, vec![(ann, 8 * HOUR), (bob, 4 * HOUR)]);
        assert_eq!(no_job.employees, vec![(ann, PayHours::default()), (bob, PayHours::default())], "listed with no hours worked");
        assert_eq!(costing.groups[0].key, CostKey::default(), "ordered by key, as summarize orders them");
    }
}
