//! Balances and accrual. A time-off type's policy says how a balance is earned (per hour worked,
//! per pay period, or a yearly grant), where earning stops (a cap), what passes into a new year
//! (a carry-over limit) and whether approved time off may take it below zero.
//!
//! A balance is never a number edited in place: it is the sum of a ledger ([`ledger`]) worked
//! out from what happened (hours worked, approved time off, an admin's starting balance and
//! adjustments, each with its reason), each line saying what it is and why, with the balance
//! after it. Asking for time off shows the balance before and after ([`preview`]); a policy that
//! does not allow a negative balance refuses a request that would make one ([`check_balance`]).
//!
//! Order within one day: the year's turn (carry-over forfeit, then a yearly grant), starting
//! balances, adjustments, accruals, then time off taken. The year turns on 1 January.

use super::request::RequestedDay;
use super::{fmt_hours, HOUR};
use crate::ids::{AdminId, TimeOffRequestId};
use crate::payroll::PaySchedule;
use crate::text::{check, Lines};
use crate::DomainError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The most any one figure of a policy (a rate, a grant, a cap) or an adjustment may be: a
/// year's hours. Past it a typing mistake is more likely than a policy.
pub const MAX_SECONDS: i64 = 8760 * HOUR;

/// How a balance is earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum AccrualMethod {
    /// Nothing is earned: the balance is what an admin sets.
    None,
    /// `earned_seconds` for every `per_worked_seconds` worked (1 hour per 30 is California's
    /// paid-sick-leave minimum). Fractions are kept: what is earned is counted on the hours
    /// worked so far, so no second is lost to rounding from one line to the next.
    PerHourWorked { earned_seconds: i64, per_worked_seconds: i64 },
    /// `seconds` on the last day of each pay period.
    PerPayPeriod { seconds: i64 },
    /// `seconds` on the policy's first day, then on each 1 January.
    YearlyGrant { seconds: i64 },
}

/// A time-off type's accrual policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccrualPolicy {
    pub method: AccrualMethod,
    /// The balance does not earn past this: an accrual that would pass it earns only up to it,
    /// and says how much was not earned. Time off taken makes room again. Admins' adjustments
    /// are what they say, cap or not.
    #[serde(default)]
    pub cap_seconds: Option<i64>,
    /// At the year's turn, the balance above this is forfeited (0: use it or lose it; none:
    /// everything carries over). A negative balance carries over as it is.
    #[serde(default)]
    pub carry_over_seconds: Option<i64>,
    /// Whether approved time off may take the balance below zero (an advance on hours to come).
    #[serde(default)]
    pub allow_negative: bool,
}

impl AccrualPolicy {
    /// A policy with no accrual, no cap, everything carried over, no negative balance.
    pub fn manual() -> Self {
        AccrualPolicy { method: AccrualMethod::None, cap_seconds: None, carry_over_seconds: None, allow_negative: false }
    }

    /// California's paid sick leave as most employers set it up (Labor Code 246 as amended from
    /// 2024): 1 hour per 30 worked, accrual capped at 80 hours (10 days), unused hours carried
    /// over (the cap bounds them), no negative balance. Local ordinances may ask for more.
    pub fn california_sick() -> Self {
        AccrualPolicy {
            method: AccrualMethod::PerHourWorked { earned_seconds: HOUR, per_worked_seconds: 30 * HOUR },
            cap_seconds: Some(80 * HOUR),
            carry_over_seconds: None,
            allow_negative: false,
        }
    }

    /// The policy, checked (a policy read from JSON or a form goes through here): rates and
    /// grants more than zero and at most a year's hours, at most an hour earned per hour worked,
    /// a cap more than zero and not below a grant, a carry-over limit not negative.
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let within = |s: i64| (1..=MAX_SECONDS).contains(&s);
        match self.method {
            AccrualMethod::None => {}
            AccrualMethod::PerHourWorked { earned_seconds, per_worked_seconds } => {
                if !within(earned_seconds) || !within(per_worked_seconds) {
                    refused.push(DomainError::invalid("accrual_rate", "hours earned and hours worked are both more than 0"));
                } else if earned_seconds > per_worked_seconds {
                    refused.push(DomainError::invalid("accrual_rate", "at most one hour is earned per hour worked"));
                }
            }
            AccrualMethod::PerPayPeriod { seconds } | AccrualMethod::YearlyGrant { seconds } => {
                if !within(seconds) {
                    refused.push(DomainError::invalid("accrual_hours", "the hours earned are more than 0 and at most a year's 8760"));
                }
                if let (AccrualMethod::YearlyGrant { .. }, Some(cap)) = (self.method, self.cap_seconds) {
                    if seconds > cap {
                        refused.push(DomainError::invalid(
                            "cap",
                            format!("the cap ({}) is below the yearly grant ({})", fmt_hours(cap), fmt_hours(seconds)),
                        ));
                    }
                }
            }
        }
        if let Some(cap) = self.cap_seconds {
            if !within(cap) {
                refused.push(DomainError::invalid("cap", "a cap is more than 0 hours (leave it empty for none)"));
            }
        }
        if let Some(carry) = self.carry_over_seconds {
            if !(0..=MAX_SECONDS).contains(&carry) {
                refused
                    .push(DomainError::invalid("carry_over", "a carry-over limit is 0 hours or more (leave it empty to carry everything)"));
            }
        }
        DomainError::all(refused)?;
        Ok(self)
    }
}

/// Hours worked on a day (or over a pay period, dated its last day): what per-hour accrual earns on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worked {
    pub date: NaiveDate,
    pub seconds: i64,
}

/// Approved time off taken on a day ([`super::TimeOffRequest::taken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    pub date: NaiveDate,
    pub seconds: i64,
    pub request_id: Option<TimeOffRequestId>,
}

/// What an admin's change to a balance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// The balance an employee brings in (from before clockface, or from a previous system).
    Starting,
    /// A correction, by hours added or taken away.
    Adjustment,
}

/// An admin's change to a balance, with its reason: a ledger line, audited like any change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Adjustment {
    pub date: NaiveDate,
    pub kind: AdjustmentKind,
    /// Hours added (negative: taken away), in seconds.
    pub seconds: i64,
    pub reason: String,
    pub by: AdminId,
}

impl Adjustment {
    /// An adjustment, checked: a reason is required (one line or several, at most 500
    /// characters), the hours at most a year's either way, and a correction is not zero.
    pub fn new(kind: AdjustmentKind, date: NaiveDate, seconds: i64, reason: &str, by: AdminId) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        let reason = DomainError::keep(check("reason", reason.trim(), Lines::Many), &mut refused);
        if reason.as_deref().is_some_and(str::is_empty) {
            refused.push(DomainError::invalid("reason", "say why the balance changes: the ledger shows it"));
        }
        if reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
            refused.push(DomainError::invalid("reason", "must be at most 500 characters"));
        }
        if seconds.abs() > MAX_SECONDS {
            refused.push(DomainError::invalid("hours", "must be at most 8760 hours either way"));
        }
        if kind == AdjustmentKind::Adjustment && seconds == 0 {
            refused.push(DomainError::invalid("hours", "an adjustment adds or takes away more than 0 hours"));
        }
        DomainError::all(refused)?;
        Ok(Adjustment { date, kind, seconds, reason: reason.unwrap_or_default(), by })
    }

    /// The adjustment that brings a balance of `current` to `target` (an admin says what the
    /// balance should be; the ledger records the difference, never a new number in place).
    pub fn to_reach(current: i64, target: i64, date: NaiveDate, reason: &str, by: AdminId) -> Result<Self, DomainError> {
        Adjustment::new(AdjustmentKind::Adjustment, date, target - current, reason, by)
    }
}

/// What a ledger line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Starting,
    Adjustment,
    /// Earned per hour worked or per pay period.
    Accrual,
    /// A yearly grant.
    Grant,
    /// Approved time off.
    Taken,
    /// Hours above the carry-over limit, lost at the year's turn.
    Forfeit,
}

/// One line of a balance's ledger: it says what it is, why, and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerLine {
    pub date: NaiveDate,
    pub kind: LedgerKind,
    /// Hours added (negative: taken away), in seconds.
    pub seconds: i64,
    /// The balance after this line.
    pub balance_seconds: i64,
    /// In words: "1.00 h per 30.00 h worked, on 40.00 h worked".
    pub why: String,
    /// The admin who made an adjustment.
    pub by: Option<AdminId>,
    /// The request time off was taken under.
    pub request_id: Option<TimeOffRequestId>,
}

/// A balance's ledger up to a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ledger {
    pub through: NaiveDate,
    pub lines: Vec<LedgerLine>,
}

impl Ledger {
    /// The balance at the end of `through`.
    pub fn balance_seconds(&self) -> i64 {
        self.lines.last().map_or(0, |l| l.balance_seconds)
    }

    /// The balance at the end of `date` (which should not be after `through`).
    pub fn balance_at(&self, date: NaiveDate) -> i64 {
        self.lines.iter().take_while(|l| l.date <= date).last().map_or(0, |l| l.balance_seconds)
    }
}

/// What a balance is counted from.
#[derive(Debug, Clone, Copy)]
pub struct LedgerInputs<'a> {
    /// The first day the policy applies to the employee (hired, or the policy began): nothing
    /// is earned before it; a yearly grant is given on it.
    pub start: NaiveDate,
    /// The company's pay periods (for per-pay-period accrual).
    pub schedule: &'a PaySchedule,
    /// Hours worked, per day or per pay period.
    pub worked: &'a [Worked],
    /// Approved time off of this type.
    pub taken: &'a [Taken],
    /// Starting balances and adjustments.
    pub adjustments: &'a [Adjustment],
}

enum Event<'a> {
    YearTurn(i32),
    Grant,
    Adjust(&'a Adjustment),
    Earn { seconds: i64, why: String },
    Take(&'a Taken),
}

impl Event<'_> {
    /// The order of events on one day.
    fn rank(&self) -> u8 {
        match self {
            Event::YearTurn(_) | Event::Grant => 0,
            Event::Adjust(a) if a.kind == AdjustmentKind::Starting => 1,
            Event::Adjust(_) => 2,
            Event::Earn { .. } => 3,
            Event::Take(_) => 4,
        }
    }
}

/// The ledger of a balance under `policy` from `inputs.start` to `through`: every accrual,
/// grant, forfeit, adjustment and day of time off, in order, each with the balance after it.
/// The ledger records what happened, whatever the policy's negative rule: that rule is applied
/// when time off is asked for and approved ([`check_balance`]).
pub fn ledger(policy: &AccrualPolicy, inputs: &LedgerInputs<'_>, through: NaiveDate) -> Ledger {
    let start = inputs.start;
    let in_range = |d: NaiveDate| start <= d && d <= through;
    let mut events: Vec<(NaiveDate, Event<'_>)> = Vec::new();
    for year in start.year() + 1..=through.year() {
        if let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) {
            events.push((first, Event::YearTurn(year)));
        }
    }
    match policy.method {
        AccrualMethod::None => {}
        AccrualMethod::YearlyGrant { .. } => {
            if start <= through {
                events.push((start, Event::Grant));
            }
        }
        AccrualMethod::PerPayPeriod { seconds } => {
            let mut period = inputs.schedule.period_containing(start);
            while period.end <= through {
                let why = format!("{} for the pay period {} to {}", fmt_hours(seconds), period.start, period.end);
                events.push((period.end, Event::Earn { seconds, why }));
                period = inputs.schedule.next(period);
            }
        }
        AccrualMethod::PerHourWorked { earned_seconds, per_worked_seconds } => {
            let mut worked: Vec<&Worked> = inputs.worked.iter().filter(|w| in_range(w.date) && w.seconds > 0).collect();
            worked.sort_by_key(|w| w.date);
            // Earned on the hours worked so far, so that fractions add up instead of being lost.
            let mut so_far: i64 = 0;
            let mut earned_so_far: i64 = 0;
            for w in worked {
                so_far += w.seconds;
                let earned = so_far * earned_seconds / per_worked_seconds;
                let why = format!(
                    "{} per {} worked, on {} worked",
                    fmt_hours(earned_seconds),
                    fmt_hours(per_worked_seconds),
                    fmt_hours(w.seconds)
                );
                events.push((w.date, Event::Earn { seconds: earned - earned_so_far, why }));
                earned_so_far = earned;
            }
        }
    }
    events.extend(inputs.adjustments.iter().filter(|a| a.date <= through).map(|a| (a.date, Event::Adjust(a))));
    events.extend(inputs.taken.iter().filter(|t| t.date <= through).map(|t| (t.date, Event::Take(t))));
    events.sort_by_key(|(date, event)| (*date, event.rank()));

    let mut lines: Vec<LedgerLine> = Vec::new();
    let mut balance: i64 = 0;
    let mut push = |date, kind, seconds: i64, why: String, by, request_id, balance: &mut i64| {
        *balance += seconds;
        lines.push(LedgerLine { date, kind, seconds, balance_seconds: *balance, why, by, request_id });
    };
    // What an accrual or grant of `raw` earns under the cap, and the words for what it did not.
    let capped = |raw: i64, balance: i64| -> (i64, String) {
        match policy.cap_seconds {
            Some(cap) if balance + raw > cap => {
                let got = (cap - balance).clamp(0, raw);
                (got, format!("; capped at {}: {} not earned", fmt_hours(cap), fmt_hours(raw - got)))
            }
            _ => (raw, String::new()),
        }
    };
    for (date, event) in events {
        match event {
            Event::YearTurn(year) => {
                if let Some(limit) = policy.carry_over_seconds {
                    if balance > limit {
                        let lost = balance - limit;
                        let why = format!(
                            "carry-over limit {}: {} of {} not carried into {year}",
                            fmt_hours(limit),
                            fmt_hours(lost),
                            fmt_hours(balance)
                        );
                        push(date, LedgerKind::Forfeit, -lost, why, None, None, &mut balance);
                    }
                }
                if let AccrualMethod::YearlyGrant { seconds } = policy.method {
                    let (got, note) = capped(seconds, balance);
                    push(
                        date,
                        LedgerKind::Grant,
                        got,
                        format!("yearly grant of {} for {year}{note}", fmt_hours(seconds)),
                        None,
                        None,
                        &mut balance,
                    );
                }
            }
            Event::Grant => {
                if let AccrualMethod::YearlyGrant { seconds } = policy.method {
                    let (got, note) = capped(seconds, balance);
                    let why = format!("yearly grant of {} from the policy's first day{note}", fmt_hours(seconds));
                    push(date, LedgerKind::Grant, got, why, None, None, &mut balance);
                }
            }
            Event::Earn { seconds, why } => {
                if seconds > 0 {
                    let (got, note) = capped(seconds, balance);
                    push(date, LedgerKind::Accrual, got, format!("{why}{note}"), None, None, &mut balance);
                }
            }
            Event::Adjust(a) => {
                let (kind, words) = match a.kind {
                    AdjustmentKind::Starting => (LedgerKind::Starting, "starting balance"),
                    AdjustmentKind::Adjustment => (LedgerKind::Adjustment, "adjusted"),
                };
                push(date, kind, a.seconds, format!("{words} by an admin: {}", a.reason), Some(a.by), None, &mut balance);
            }
            Event::Take(t) => {
                push(
                    date,
                    LedgerKind::Taken,
                    -t.seconds,
                    format!("{} of time off taken", fmt_hours(t.seconds)),
                    None,
                    t.request_id,
                    &mut balance,
                );
            }
        }
    }
    Ledger { through, lines }
}

/// The balance before and after a request, as shown while it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BalancePreview {
    /// The balance at the end of the request's last day, without it.
    pub before_seconds: i64,
    pub requested_seconds: i64,
    pub after_seconds: i64,
}

/// The balance before and after a request of `days`, counted from `inputs` (which must not
/// hold this request's own days yet) through the request's last day: accruals known by then,
/// time off approved by then.
pub fn preview(policy: &AccrualPolicy, inputs: &LedgerInputs<'_>, days: &[RequestedDay]) -> BalancePreview {
    let through = days.iter().map(|d| d.date).max().unwrap_or(inputs.start);
    let before_seconds = ledger(policy, inputs, through).balance_seconds();
    let requested_seconds: i64 = days.iter().map(|d| d.seconds).sum();
    BalancePreview { before_seconds, requested_seconds, after_seconds: before_seconds - requested_seconds }
}

/// Refuses a request that would leave the balance below zero when the policy does not allow it
/// (checked when it is asked and again when it is approved, since the balance may have moved).
pub fn check_balance(policy: &AccrualPolicy, preview: &BalancePreview, type_name: &str) -> Result<(), DomainError> {
    if policy.allow_negative || preview.after_seconds >= 0 {
        return Ok(());
    }
    Err(DomainError::invalid(
        "hours",
        format!(
            "{} of {type_name} asked with {} available would leave {}; the {type_name} balance may not go below zero",
            fmt_hours(preview.requested_seconds),
            fmt_hours(preview.before_seconds),
            fmt_hours(preview.after_seconds)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payroll::{PayFrequency, PaySchedule};
    use chrono::Weekday;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn weekly() -> PaySchedule {
        PaySchedule { frequency: PayFrequency::Weekly, anchor: date(2026, 1, 5), workweek_starts: Weekday::Mon }
    }

    fn h(hours: i64) -> i64 {
        hours * HOUR
    }

    fn inputs<'a>(
        start: NaiveDate,
        schedule: &'a PaySchedule,
        worked: &'a [Worked],
        taken: &'a [Taken],
        adjustments: &'a [Adjustment],
    ) -> LedgerInputs<'a> {
        LedgerInputs { start, schedule, worked, taken, adjustments }
    }

    fn policy(method: AccrualMethod) -> AccrualPolicy {
        AccrualPolicy { method, ..AccrualPolicy::manual() }
    }

    /// Forty hours worked each Friday from `first` for `weeks` weeks.
    fn forty_a_week(first: NaiveDate, weeks: i64) -> Vec<Worked> {
        (0..weeks).map(|w| Worked { date: first + chrono::Duration::weeks(w), seconds: h(40) }).collect()
    }

    #[test]
    fn one_hour_per_thirty_worked_keeps_the_fractions() {
        // 40 h a week at 1 per 30: 1.333.. h a week; three weeks (120 h) earn exactly 4 h.
        let schedule = weekly();
        let worked = forty_a_week(date(2026, 1, 9), 3);
        let l = ledger(&AccrualPolicy::california_sick(), &inputs(date(2026, 1, 5), &schedule, &worked, &[], &[]), date(2026, 1, 31));
        let earned: Vec<i64> = l.lines.iter().map(|l| l.seconds).collect();
        assert_eq!(earned, [4800, 4800, 4800], "1 h 20 min each week");
        assert_eq!(l.balance_seconds(), h(4), "120 h worked / 30 = 4 h, no second lost to rounding");
        assert_eq!(l.lines[0].why, "1.00 h per 30.00 h worked, on 40.00 h worked");
        assert_eq!(l.lines[0].kind, LedgerKind::Accrual);
        // Odd hours: 7 h, then 8 h: 7/30 h = 840 s, then 15/30 h = 1800 s in all, so 960 s more.
        let odd = [Worked { date: date(2026, 1, 5), seconds: h(7) }, Worked { date: date(2026, 1, 6), seconds: h(8) }];
        let l = ledger(&AccrualPolicy::california_sick(), &inputs(date(2026, 1, 5), &schedule, &odd, &[], &[]), date(2026, 1, 31));
        assert_eq!(l.lines.iter().map(|l| l.seconds).collect::<Vec<_>>(), [840, 960]);
        // Nothing is earned before the policy's first day nor after the ledger's last.
        let l = ledger(&AccrualPolicy::california_sick(), &inputs(date(2026, 1, 6), &schedule, &odd, &[], &[]), date(2026, 1, 5));
        assert!(l.lines.is_empty());
    }

    #[test]
    fn the_cap_stops_accrual_and_says_how_much_was_not_earned() {
        // California sick: cap 80 h. A starting balance of 79 h, then a 40-hour week (1.33 h).
        let schedule = weekly();
        let admin = AdminId::new();
        let start = [Adjustment::new(AdjustmentKind::Starting, date(2026, 1, 5), h(79), "balance from the old system", admin).unwrap()];
        let worked = forty_a_week(date(2026, 1, 9), 2);
        let taken = [Taken { date: date(2026, 1, 12), seconds: h(8), request_id: None }];
        let l = ledger(&AccrualPolicy::california_sick(), &inputs(date(2026, 1, 5), &schedule, &worked, &taken, &start), date(2026, 1, 31));
        assert_eq!(l.lines[0].kind, LedgerKind::Starting);
        assert_eq!(l.lines[0].why, "starting balance by an admin: balance from the old system");
        assert_eq!(l.lines[0].by, Some(admin));
        // Week 1: only 1 h of the 1.33 h fits under the cap.
        assert_eq!((l.lines[1].seconds, l.lines[1].balance_seconds), (h(1), h(80)));
        assert_eq!(l.lines[1].why, "1.00 h per 30.00 h worked, on 40.00 h worked; capped at 80.00 h: 0.33 h not earned");
        // Eight hours taken make room again: week 2 earns all of its 1.33 h.
        assert_eq!((l.lines[2].kind, l.lines[2].seconds, l.lines[2].balance_seconds), (LedgerKind::Taken, -h(8), h(72)));
        assert_eq!((l.lines[3].seconds, l.balance_seconds()), (4800, h(72) + 4800));
        // At the cap, an accrual is still a line, of nothing, that says why.
        let full = [Adjustment::new(AdjustmentKind::Starting, date(2026, 1, 5), h(80), "brought in", admin).unwrap()];
        let l =
            ledger(&AccrualPolicy::california_sick(), &inputs(date(2026, 1, 5), &schedule, &worked[..1], &[], &full), date(2026, 1, 31));
        assert_eq!((l.lines[1].seconds, l.balance_seconds()), (0, h(80)));
        assert!(l.lines[1].why.ends_with("capped at 80.00 h: 1.33 h not earned"), "{}", l.lines[1].why);
    }

    #[test]
    fn a_yearly_grant_is_capped_too() {
        let schedule = weekly();
        let grant =
            AccrualPolicy { method: AccrualMethod::YearlyGrant { seconds: h(40) }, cap_seconds: Some(h(60)), ..AccrualPolicy::manual() };
        // Granted 40 on the first day, nothing used; on 1 January only 20 more fit under 60.
        let l = ledger(&grant, &inputs(date(2026, 3, 2), &schedule, &[], &[], &[]), date(2027, 6, 30));
        let seen: Vec<(NaiveDate, LedgerKind, i64, i64)> = l.lines.iter().map(|l| (l.date, l.kind, l.seconds, l.balance_seconds)).collect();
        assert_eq!(seen, [(date(2026, 3, 2), LedgerKind::Grant, h(40), h(40)), (date(2027, 1, 1), LedgerKind::Grant, h(20), h(60))]);
        assert_eq!(l.lines[1].why, "yearly grant of 40.00 h for 2027; capped at 60.00 h: 20.00 h not earned");
    }

    #[test]
    fn at_the_years_turn_what_passes_the_carry_over_limit_is_forfeited() {
        // 40 h granted a year, at most 16 h carried over. 2026: 40 granted, 8 taken = 32 at the
        // year's end; on 1 Jan 2027, 16 forfeited, then 40 granted: 56.
        let schedule = weekly();
        let policy = AccrualPolicy {
            method: AccrualMethod::YearlyGrant { seconds: h(40) },
            carry_over_seconds: Some(h(16)),
            ..AccrualPolicy::manual()
        };
        let taken = [Taken { date: date(2026, 7, 3), seconds: h(8), request_id: None }];
        let l = ledger(&policy, &inputs(date(2026, 1, 1), &schedule, &[], &taken, &[]), date(2027, 1, 1));
        assert_eq!(l.balance_at(date(2026, 12, 31)), h(32), "the old year ends with everything");
        let turn: Vec<(LedgerKind, i64, i64)> =
            l.lines.iter().filter(|l| l.date == date(2027, 1, 1)).map(|l| (l.kind, l.seconds, l.balance_seconds)).collect();
        assert_eq!(turn, [(LedgerKind::Forfeit, -h(16), h(16)), (LedgerKind::Grant, h(40), h(56))], "forfeit first, then the new grant");
        assert_eq!(l.lines[2].why, "carry-over limit 16.00 h: 16.00 h of 32.00 h not carried into 2027");
        // Under the limit nothing is lost; use-it-or-lose-it (limit 0) loses it all.
        let lenient = AccrualPolicy { carry_over_seconds: Some(h(40)), ..policy };
        assert!(ledger(&lenient, &inputs(date(2026, 1, 1), &schedule, &[], &taken, &[]), date(2027, 1, 1))
            .lines
            .iter()
            .all(|l| l.kind != LedgerKind::Forfeit));
        let strict = AccrualPolicy { carry_over_seconds: Some(0), ..policy };
        let l = ledger(&strict, &inputs(date(2026, 1, 1), &schedule, &[], &taken, &[]), date(2027, 1, 1));
        assert_eq!(l.lines.iter().find(|l| l.kind == LedgerKind::Forfeit).map(|l| l.seconds), Some(-h(32)));
        assert_eq!(l.balance_seconds(), h(40));
    }

    #[test]
    fn a_negative_balance_carries_over_as_it_is_and_each_year_turns_once() {
        let schedule = weekly();
        let policy = AccrualPolicy {
            method: AccrualMethod::PerHourWorked { earned_seconds: HOUR, per_worked_seconds: 30 * HOUR },
            carry_over_seconds: Some(h(8)),
            allow_negative: true,
            ..AccrualPolicy::manual()
        };
        let taken = [Taken { date: date(2026, 12, 28), seconds: h(8), request_id: None }];
        let l = ledger(&policy, &inputs(date(2026, 12, 1), &schedule, &[], &taken, &[]), date(2029, 1, 2));
        assert_eq!(l.balance_seconds(), -h(8), "nothing is forfeited from a negative balance");
        assert!(l.lines.iter().all(|l| l.kind != LedgerKind::Forfeit));
    }

    #[test]
    fn per_pay_period_accrual_lands_on_each_periods_last_day() {
        // Weekly periods Mon-Sun: periods ending Sun 11, 18 and 25 Jan 2026 in range; the one
        // ending 1 Feb is after the ledger's last day.
        let schedule = weekly();
        let p = policy(AccrualMethod::PerPayPeriod { seconds: h(2) });
        let l = ledger(&p, &inputs(date(2026, 1, 5), &schedule, &[], &[], &[]), date(2026, 1, 31));
        let dates: Vec<NaiveDate> = l.lines.iter().map(|l| l.date).collect();
        assert_eq!(dates, [date(2026, 1, 11), date(2026, 1, 18), date(2026, 1, 25)]);
        assert_eq!(l.balance_seconds(), h(6));
        assert_eq!(l.lines[0].why, "2.00 h for the pay period 2026-01-05 to 2026-01-11");
        // Twice a month: the 15th and the month's last day.
        let semi = PaySchedule { frequency: PayFrequency::Semimonthly, ..schedule };
        let l = ledger(&p, &inputs(date(2026, 1, 1), &semi, &[], &[], &[]), date(2026, 2, 28));
        assert_eq!(
            l.lines.iter().map(|l| l.date).collect::<Vec<_>>(),
            [date(2026, 1, 15), date(2026, 1, 31), date(2026, 2, 15), date(2026, 2, 28)]
        );
    }

    #[test]
    fn the_balance_before_and_after_a_request_and_the_negative_rule() {
        // 12 h brought in; asking for 16 h: 12 before, -4 after.
        let schedule = weekly();
        let admin = AdminId::new();
        let start = [Adjustment::new(AdjustmentKind::Starting, date(2026, 1, 5), h(12), "from ADP", admin).unwrap()];
        let days = [RequestedDay { date: date(2026, 2, 2), seconds: h(8) }, RequestedDay { date: date(2026, 2, 3), seconds: h(8) }];
        let strict = AccrualPolicy::manual();
        let seen = preview(&strict, &inputs(date(2026, 1, 5), &schedule, &[], &[], &start), &days);
        assert_eq!(seen, BalancePreview { before_seconds: h(12), requested_seconds: h(16), after_seconds: -h(4) });
        let error = check_balance(&strict, &seen, "Vacation").unwrap_err();
        assert_eq!(
            error.to_string(),
            "hours: 16.00 h of Vacation asked with 12.00 h available would leave -4.00 h; the Vacation balance may not go below zero"
        );
        // A policy that allows it lets the balance go negative, and the ledger shows it.
        let lenient = AccrualPolicy { allow_negative: true, ..strict };
        assert!(check_balance(&lenient, &seen, "Vacation").is_ok());
        let taken: Vec<Taken> = days.iter().map(|d| Taken { date: d.date, seconds: d.seconds, request_id: None }).collect();
        let l = ledger(&lenient, &inputs(date(2026, 1, 5), &schedule, &[], &taken, &start), date(2026, 2, 28));
        assert_eq!(l.balance_seconds(), -h(4));
        // Exactly to zero is allowed under either rule.
        let eight = preview(&strict, &inputs(date(2026, 1, 5), &schedule, &[], &taken[..1], &start), &days[1..]);
        assert_eq!((eight.before_seconds, eight.after_seconds), (h(4), -h(4)));
        let four = preview(
            &strict,
            &inputs(date(2026, 1, 5), &schedule, &[], &taken[..1], &start),
            &[RequestedDay { date: date(2026, 2, 3), seconds: h(4) }],
        );
        assert!(check_balance(&strict, &four, "Vacation").is_ok());
    }

    #[test]
    fn the_preview_counts_what_is_earned_by_the_requests_day() {
        // 1 per 30: 90 h worked by 16 Jan = 3 h; a request on 14 Jan sees only the 2.67 h earned by then.
        let schedule = weekly();
        let worked = [
            Worked { date: date(2026, 1, 9), seconds: h(40) },
            Worked { date: date(2026, 1, 13), seconds: h(40) },
            Worked { date: date(2026, 1, 16), seconds: h(10) },
        ];
        let seen = preview(
            &AccrualPolicy::california_sick(),
            &inputs(date(2026, 1, 5), &schedule, &worked, &[], &[]),
            &[RequestedDay { date: date(2026, 1, 14), seconds: h(2) }],
        );
        assert_eq!(seen.before_seconds, h(80) / 30);
        assert_eq!(seen.after_seconds, h(80) / 30 - h(2));
    }

    #[test]
    fn an_admin_sets_a_balance_by_a_line_with_a_reason() {
        let admin = AdminId::new();
        let to = Adjustment::to_reach(h(10), h(24), date(2026, 5, 1), "agreed at hiring", admin).unwrap();
        assert_eq!((to.kind, to.seconds), (AdjustmentKind::Adjustment, h(14)));
        let no_reason = Adjustment::new(AdjustmentKind::Starting, date(2026, 5, 1), h(8), "  ", admin).unwrap_err();
        assert!(matches!(no_reason, DomainError::Invalid { field: "reason", .. }));
        let nothing = Adjustment::to_reach(h(10), h(10), date(2026, 5, 1), "no change", admin).unwrap_err();
        assert!(matches!(nothing, DomainError::Invalid { field: "hours", .. }));
        assert!(
            Adjustment::new(AdjustmentKind::Starting, date(2026, 5, 1), 0, "starts empty", admin).is_ok(),
            "a starting balance may be zero"
        );
    }

    #[test]
    fn a_policy_that_makes_no_sense_is_refused() {
        let bad = [
            policy(AccrualMethod::PerHourWorked { earned_seconds: 0, per_worked_seconds: h(30) }),
            policy(AccrualMethod::PerHourWorked { earned_seconds: h(2), per_worked_seconds: h(1) }),
            policy(AccrualMethod::PerPayPeriod { seconds: -h(1) }),
            AccrualPolicy { method: AccrualMethod::YearlyGrant { seconds: h(80) }, cap_seconds: Some(h(40)), ..AccrualPolicy::manual() },
            AccrualPolicy { cap_seconds: Some(0), ..AccrualPolicy::manual() },
            AccrualPolicy { carry_over_seconds: Some(-1), ..AccrualPolicy::manual() },
        ];
        for p in bad {
            assert!(p.validate().is_err(), "{p:?}");
        }
        assert!(AccrualPolicy::california_sick().validate().is_ok());
        assert!(AccrualPolicy { carry_over_seconds: Some(0), ..AccrualPolicy::manual() }.validate().is_ok(), "use it or lose it");
    }
}
