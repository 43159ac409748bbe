//! Approved means frozen: the figures of a card as they stood when it (or its pay period) was
//! approved, kept with the approval and shown, exported and costed from then on, whatever changes
//! later in the settings, the rules or this code's arithmetic.
//!
//! A card's figures are its totals by pay rate, per day, per workweek and per job and cost code,
//! with the rules they were counted by ([`ApprovedFigures::of`]). While a card is approved, its
//! live count (the punches as they stand, counted by today's settings) is still made, but only to
//! tell a person that it differs ([`ApprovedFigures::differences`]): the frozen figures are the
//! ones shown and paid. Reopening the card (or the period) drops them, and the live count is the
//! card again.
//!
//! Time off is frozen with them: each day's approved time off and company holiday by type, paid
//! or not ([`ApprovedFigures::time_off`]), and the pay codes its types had
//! ([`ApprovedFigures::time_off_codes`]), so a request cancelled, a holiday added or removed, a
//! type renamed, made unpaid or given another pay code after the approval changes nothing the
//! approval said. A code that was not set at the approval is taken as set since (so an export
//! refused for it goes once it is set, without reopening the period); one that was set is kept.
//!
//! The figures are stored as JSON. Every field added later must have a default, so that figures
//! frozen by an earlier release still read.

use crate::costing::{cost_card, CostLine, CostedPunch};
use crate::ids::TimeOffTypeId;
use crate::ids::{CostCodeId, JobId};
use crate::payroll::{MealDeduction, OvertimeRule, PayHours};
use crate::timecard::{attach_time_off, CardRules, TimeCard, TimedPunch, WeekTotal};
use crate::timeoff::{CardTimeOff, TimeOffPayCodes, TimeOffType};
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The rules a card was counted by when it was approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovedRules {
    pub overtime: OvertimeRule,
    #[schema(value_type = String, example = "Mon")]
    pub workweek_starts: Weekday,
    pub meal: Option<MealDeduction>,
    pub breaks_paid: bool,
}

impl From<&CardRules> for ApprovedRules {
    fn from(rules: &CardRules) -> Self {
        ApprovedRules { overtime: rules.overtime, workweek_starts: rules.workweek_starts, meal: rules.meal, breaks_paid: rules.breaks_paid }
    }
}

/// One day's approved figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovedDay {
    pub date: NaiveDate,
    /// Paid seconds (after the meal deduction, with paid breaks).
    pub seconds: i64,
    #[serde(flatten)]
    pub pay: PayHours,
}

/// One day's approved hours on one job and cost code (none of either: no job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovedJobDay {
    pub date: NaiveDate,
    pub job_id: Option<JobId>,
    pub cost_code_id: Option<CostCodeId>,
    #[serde(flatten)]
    pub pay: PayHours,
}

/// A card's figures, frozen when it was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovedFigures {
    pub rules: ApprovedRules,
    /// The period's paid seconds.
    pub seconds: i64,
    #[serde(flatten)]
    pub pay: PayHours,
    pub meal_deducted_seconds: i64,
    pub break_seconds: i64,
    /// Days with hours, in date order.
    pub days: Vec<ApprovedDay>,
    pub weeks: Vec<WeekTotal>,
    /// Each day's hours by job and cost code, as job costing and the exports split them.
    pub jobs: Vec<ApprovedJobDay>,
    /// The card's time off (approved requests, company holidays), a line per day and type. None
    /// in figures frozen before time off was kept with them: the card's time off as it stands
    /// is shown for those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_off: Option<Vec<CardTimeOff>>,
    /// The pay codes of the types in `time_off`, as they were ([`ApprovedFigures::with_codes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_off_codes: Vec<ApprovedPayCodes>,
}

/// A time-off type's pay codes as they were when its hours were approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovedPayCodes {
    pub type_id: TimeOffTypeId,
    pub codes: TimeOffPayCodes,
}

impl ApprovedFigures {
    /// The figures of `card`, counted by `rules`.
    pub fn of<P: TimedPunch + CostedPunch>(card: &TimeCard<P>, rules: &CardRules) -> Self {
        ApprovedFigures {
            rules: rules.into(),
            seconds: card.seconds,
            pay: card.pay,
            meal_deducted_seconds: card.meal_deducted_seconds,
            break_seconds: card.break_seconds,
            days: card
                .days
                .iter()
                .filter(|d| d.seconds != 0 || d.pay.total() != 0)
                .map(|d| ApprovedDay { date: d.date, seconds: d.seconds, pay: d.pay })
                .collect(),
            weeks: card.weeks.clone(),
            jobs: cost_card(card)
                .into_iter()
                .map(|l| ApprovedJobDay { date: l.date, job_id: l.key.job, cost_code_id: l.key.cost_code, pay: l.pay })
                .collect(),
            time_off: Some(card.days.iter().flat_map(|d| d.time_off.iter().cloned()).collect()),
            time_off_codes: Vec::new(),
        }
    }

    /// These figures with the pay codes, among `types` (the company's), of the types their time
    /// off is of: what an approval freezes.
    pub fn with_codes(mut self, types: &[TimeOffType]) -> Self {
        let lines = self.time_off.as_deref().unwrap_or_default();
        self.time_off_codes = types
            .iter()
            .filter(|t| lines.iter().any(|l| l.type_id == t.id))
            .map(|t| ApprovedPayCodes { type_id: t.id, codes: t.codes.clone() })
            .collect();
        self
    }

    /// The codes to export a type's approved hours under: those it had at the approval, each one
    /// not set then taken from `now` (the type's codes today); `now` alone for a type the figures
    /// kept none of.
    pub fn codes_of(&self, type_id: TimeOffTypeId, now: &TimeOffPayCodes) -> TimeOffPayCodes {
        match self.time_off_codes.iter().find(|c| c.type_id == type_id) {
            Some(kept) => kept.codes.or(now),
            None => now.clone(),
        }
    }

    /// The time off these figures show: the frozen lines, or for figures frozen before time off
    /// was kept, `live` (the card's as it stands).
    pub fn time_off_or<'a>(&'a self, live: &'a [CardTimeOff]) -> &'a [CardTimeOff] {
        self.time_off.as_deref().unwrap_or(live)
    }

    /// The approved hours of `date` (none when the day had no hours).
    pub fn day(&self, date: NaiveDate) -> Option<&ApprovedDay> {
        self.days.iter().find(|d| d.date == date)
    }

    /// The approved hours by day and job, as job costing reads them.
    pub fn cost_lines(&self) -> Vec<CostLine> {
        self.jobs
            .iter()
            .map(|j| CostLine { date: j.date, key: crate::costing::CostKey { job: j.job_id, cost_code: j.cost_code_id }, pay: j.pay })
            .collect()
    }

    /// Writes these figures over `card`'s totals (each day's, each week's and the period's); the
    /// shifts, which are the punches' record, stay as they are.
    pub fn apply_to<P>(&self, card: &mut TimeCard<P>) {
        for day in &mut card.days {
            let approved = self.day(day.date);
            day.seconds = approved.map_or(0, |d| d.seconds);
            day.pay = approved.map_or_else(PayHours::default, |d| d.pay);
        }
        card.weeks.clone_from(&self.weeks);
        card.seconds = self.seconds;
        card.pay = self.pay;
        card.meal_deducted_seconds = self.meal_deducted_seconds;
        card.break_seconds = self.break_seconds;
        card.breaks_paid = self.rules.breaks_paid;
        if let Some(time_off) = &self.time_off {
            for day in &mut card.days {
                day.time_off.clear();
            }
            attach_time_off(card, time_off);
        }
    }

    /// How `live` (the card counted now) differs from these figures: the period's totals and
    /// each day whose hours differ. Empty when they agree.
    pub fn differences(&self, live: &ApprovedFigures) -> Vec<FigureChange> {
        let mut changes = Vec::new();
        if (self.pay, self.seconds) != (live.pay, live.seconds) {
            changes.push(FigureChange { date: None, approved: self.pay, now: live.pay });
        }
        let mut dates: Vec<NaiveDate> = self.days.iter().chain(&live.days).map(|d| d.date).collect();
        dates.sort_unstable();
        dates.dedup();
        for date in dates {
            let (approved, now) = (self.day(date).map(|d| d.pay).unwrap_or_default(), live.day(date).map(|d| d.pay).unwrap_or_default());
            if approved != now {
                changes.push(FigureChange { date: Some(date), approved, now });
            }
        }
        changes
    }
}

/// A difference between approved figures and the card counted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FigureChange {
    /// The day; none for the period's totals.
    pub date: Option<NaiveDate>,
    pub approved: PayHours,
    pub now: PayHours,
}

/// What is still open on a card when its pay period is to be approved for payroll: things a
/// person should look at first, since the approval freezes the hours as they stand. Approving
/// the period while a card has any asks first (`is_open`), and goes ahead only when told to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenFlags {
    /// Shifts with a missing clock-out or clock-in: their hours are not counted.
    pub missing_punches: usize,
    /// Shifts still running (clocked in, not out yet): counted only up to now.
    pub in_progress: usize,
    /// Photos not verified yet or whose verdict needs a person, and punches flagged on arrival.
    pub photos_to_check: usize,
    /// Punches that reached the server after the card was approved: not in its approved hours.
    pub arrived_after_approval: usize,
}

impl OpenFlags {
    /// Whether anything is open.
    pub fn is_open(&self) -> bool {
        *self != OpenFlags::default()
    }

    /// The open flags in words, e.g. `1 missing punch, 2 photos to check`.
    pub fn describe(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        let mut parts = Vec::new();
        if self.missing_punches > 0 {
            parts.push(plural(self.missing_punches, "missing punch", "missing punches"));
        }
        if self.in_progress > 0 {
            parts.push(plural(self.in_progress, "shift still in progress", "shifts still in progress"));
        }
        if self.photos_to_check > 0 {
            parts.push(plural(self.photos_to_check, "photo or punch to check", "photos or punches to check"));
        }
        if self.arrived_after_approval > 0 {
            parts.push(plural(self.arrived_after_approval, "punch that arrived after approval", "punches that arrived after approval"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costing::CostKey;
    use crate::punch::PunchKind;
    use crate::timecard::build_time_card;
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(Debug, Clone)]
    struct P(PunchKind, DateTime<Utc>);
    impl TimedPunch for P {
        fn kind(&self) -> PunchKind {
            self.0
        }
        fn at(&self) -> DateTime<Utc> {
            self.1
        }
    }
    impl CostedPunch for P {
        fn job(&self) -> Option<JobId> {
            None
        }
        fn cost_code(&self) -> Option<CostCodeId> {
            None
        }
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().unwrap()
    }

    /// A 13-hour Monday and four 8-hour days, week of 2026-11-30 (UTC).
    fn week() -> Vec<P> {
        let mut punches = vec![P(PunchKind::In, at(30, 6)), P(PunchKind::Out, at(30, 19))];
        for day in 1..=4 {
            let d = Utc.with_ymd_and_hms(2026, 12, day, 8, 0, 0).single().unwrap();
            punches.push(P(PunchKind::In, d));
            punches.push(P(PunchKind::Out, d + chrono::Duration::hours(8)));
        }
        punches
    }

    fn card(rules: &CardRules) -> TimeCard<P> {
        let from = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        build_time_card(&week(), chrono_tz::UTC, from, from + chrono::Duration::days(6), rules, at(30, 0) + chrono::Duration::days(10))
    }

    #[test]
    fn figures_frozen_under_one_rule_stay_when_the_card_is_counted_under_another() {
        let federal = CardRules::default();
        let california = CardRules { overtime: OvertimeRule::California, ..federal };
        let approved = ApprovedFigures::of(&card(&federal), &federal);
        // 45 hours: federal pays 40 regular and 5 overtime.
        assert_eq!(approved.pay, PayHours { regular_seconds: 40 * 3600, overtime_seconds: 5 * 3600, double_time_seconds: 0 });

        let mut live = card(&california);
        let now = ApprovedFigures::of(&live, &california);
        // California: Monday's 13 h are 8 regular, 4 overtime and 1 double time; the other days 32
        // regular, so the week's regular hours are 40 and nothing is weekly overtime.
        assert_eq!(now.pay, PayHours { regular_seconds: 40 * 3600, overtime_seconds: 4 * 3600, double_time_seconds: 3600 });
        let changes = approved.differences(&now);
        assert_eq!(changes[0], FigureChange { date: None, approved: approved.pay, now: now.pay });
        assert_eq!(changes.len(), 3, "the totals, Monday and Friday differ: {changes:?}");

        approved.apply_to(&mut live);
        assert_eq!(live.pay, approved.pay);
        assert_eq!(ApprovedFigures::of(&live, &federal).days, approved.days, "each day shows its approved hours");
        assert_eq!(live.days.iter().map(|d| d.shifts.len()).sum::<usize>(), 5, "the shifts stay");
    }

    #[test]
    fn figures_read_back_from_their_json_and_split_by_job() {
        let rules = CardRules { meal: Some(MealDeduction::new(360, 30).unwrap()), ..CardRules::default() };
        let approved = ApprovedFigures::of(&card(&rules), &rules);
        let json = serde_json::to_string(&approved).unwrap();
        assert_eq!(serde_json::from_str::<ApprovedFigures>(&json).unwrap(), approved);
        assert_eq!(approved.meal_deducted_seconds, 5 * 1800);
        let lines = approved.cost_lines();
        assert_eq!(lines.len(), 5);
        assert!(lines.iter().all(|l| l.key == CostKey::default()), "no job");
        let split: i64 = lines.iter().map(|l| l.pay.total()).sum();
        assert_eq!(split, approved.pay.total(), "the job split adds up to the card");
    }

    fn vacation(day: u32, seconds: i64) -> CardTimeOff {
        use crate::ids::{TimeOffRequestId, TimeOffTypeId};
        use crate::timeoff::{TimeOffKind, TimeOffSource};
        CardTimeOff {
            date: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            type_id: TimeOffTypeId(uuid::Uuid::from_u128(1)),
            kind: TimeOffKind::Vacation,
            name: "Vacation".to_owned(),
            holiday: None,
            paid: true,
            seconds,
            source: TimeOffSource::Request(TimeOffRequestId(uuid::Uuid::from_u128(2))),
        }
    }

    #[test]
    fn time_off_is_frozen_with_the_figures_and_older_figures_show_the_card_as_it_stands() {
        let rules = CardRules::default();
        let mut approved_card = card(&rules);
        attach_time_off(&mut approved_card, &[vacation(5, 8 * 3600)]);
        let approved = ApprovedFigures::of(&approved_card, &rules);
        assert_eq!(approved.time_off.as_deref(), Some(&[vacation(5, 8 * 3600)][..]));

        // The request is cancelled after the approval: the live card has no time off, and the
        // approved figures put it back, with the period's totals by type.
        let mut live = card(&rules);
        approved.apply_to(&mut live);
        assert_eq!(live.days[5].time_off, [vacation(5, 8 * 3600)]);
        assert_eq!((live.time_off.len(), live.time_off_paid_seconds()), (1, 8 * 3600));
        let json = serde_json::to_value(&approved).unwrap();
        assert_eq!(serde_json::from_value::<ApprovedFigures>(json.clone()).unwrap(), approved);

        // Figures frozen before time off was kept read back without it, and leave the card's own.
        let mut older = json;
        older.as_object_mut().unwrap().remove("time_off");
        let older: ApprovedFigures = serde_json::from_value(older).unwrap();
        assert_eq!(older.time_off, None);
        let mut card_now = card(&rules);
        attach_time_off(&mut card_now, &[vacation(4, 4 * 3600)]);
        older.apply_to(&mut card_now);
        assert_eq!(card_now.days[4].time_off, [vacation(4, 4 * 3600)]);
        assert_eq!(older.time_off_or(&[vacation(4, 4 * 3600)]), [vacation(4, 4 * 3600)]);
        assert_eq!(approved.time_off_or(&[]), [vacation(5, 8 * 3600)]);
    }

    #[test]
    fn pay_codes_are_kept_as_approved_and_one_not_set_then_is_taken_as_set_since() {
        use crate::ids::CompanyId;
        use crate::timeoff::{TimeOffKind, TimeOffTypeName};
        let rules = CardRules::default();
        let mut approved_card = card(&rules);
        attach_time_off(&mut approved_card, &[vacation(5, 8 * 3600)]);
        let kind = |id: u128, codes: TimeOffPayCodes| TimeOffType {
            id: TimeOffTypeId(uuid::Uuid::from_u128(id)),
            company_id: CompanyId::new(),
            kind: TimeOffKind::Vacation,
            name: TimeOffTypeName::parse("Vacation").unwrap(),
            paid: true,
            codes,
            policy: None,
            active: true,
        };
        let at_approval = TimeOffPayCodes { paychex_pay_component: String::new(), ..TimeOffPayCodes::defaults(TimeOffKind::Vacation) };
        let approved = ApprovedFigures::of(&approved_card, &rules)
            .with_codes(&[kind(1, at_approval), kind(9, TimeOffPayCodes::defaults(TimeOffKind::Sick))]);
        assert_eq!(approved.time_off_codes.len(), 1, "only the types of its time off");

        // Since then: ADP RUN's code changed, Paychex's was set.
        let now = TimeOffPayCodes {
            adp_run_earnings_code: "PTO".to_owned(),
            paychex_pay_component: "Vacation Pay".to_owned(),
            ..TimeOffPayCodes::defaults(TimeOffKind::Vacation)
        };
        let codes = approved.codes_of(TimeOffTypeId(uuid::Uuid::from_u128(1)), &now);
        assert_eq!((codes.adp_run_earnings_code.as_str(), codes.paychex_pay_component.as_str()), ("VAC", "Vacation Pay"));
        let read: ApprovedFigures = serde_json::from_value(serde_json::to_value(&approved).unwrap()).unwrap();
        assert_eq!(read, approved);
        let unknown = approved.codes_of(TimeOffTypeId(uuid::Uuid::from_u128(7)), &now);
        assert_eq!(unknown, now, "a type the figures kept no codes of: today's");
    }

    #[test]
    fn open_flags_say_what_is_open_and_nothing_is_open_by_default() {
        assert!(!OpenFlags::default().is_open());
        assert_eq!(OpenFlags::default().describe(), "");
        let flags = OpenFlags { missing_punches: 1, in_progress: 0, photos_to_check: 2, arrived_after_approval: 1 };
        assert!(flags.is_open());
        assert_eq!(flags.describe(), "1 missing punch, 2 photos or punches to check, 1 punch that arrived after approval");
        assert!(OpenFlags { in_progress: 1, ..OpenFlags::default() }.is_open());
    }
}
