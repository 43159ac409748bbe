//! Corrections to a time card: a missed punch added, a punch's time moved, a punch voided.
//!
//! The device's punch is never changed or deleted. A correction is a record of its own that
//! names what it replaces (a device punch, or a punch an earlier correction added), who made it,
//! when and why; the time card is the punches with their corrections applied
//! ([`apply_corrections`]). The latest correction of a punch is the one in force, so correcting
//! a correction is one more record, and the whole history stays readable.

use crate::ids::{AdminId, CompanyId, CorrectionId, EmployeeId, PunchId};
use crate::punch::PunchKind;
use crate::timecard::TimedPunch;
use crate::DomainError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a correction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionAction {
    /// A punch nobody made on a device (a forgotten clock-out, say).
    Add,
    /// The punch's time was wrong.
    Move,
    /// The punch should not count.
    Void,
}

impl CorrectionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionAction::Add => "add",
            CorrectionAction::Move => "move",
            CorrectionAction::Void => "void",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "add" => Ok(CorrectionAction::Add),
            "move" => Ok(CorrectionAction::Move),
            "void" => Ok(CorrectionAction::Void),
            _ => Err(DomainError::invalid("action", format!("`{raw}` is not one of add, move, void"))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CorrectionAction::Add => "Added",
            CorrectionAction::Move => "Moved",
            CorrectionAction::Void => "Voided",
        }
    }
}

/// What a correction replaces: a device punch, or a punch an earlier correction added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Replaces {
    Punch(PunchId),
    Added(CorrectionId),
}

/// The reason a person gives for a correction: required, trimmed, at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid("reason", "say why: a correction needs a reason"));
        }
        if trimmed.chars().count() > 500 {
            return Err(DomainError::invalid("reason", "at most 500 characters"));
        }
        Ok(Reason(crate::text::check("reason", trimmed, crate::text::Lines::Many)?))
    }
    /// A reason as stored, read back without the checks (one kept by an earlier release may
    /// hold what is refused today; reading it must not fail).
    pub fn stored(text: String) -> Self {
        Reason(text)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One correction, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Correction {
    pub id: CorrectionId,
    #[serde(skip)]
    pub company_id: CompanyId,
    pub employee_id: EmployeeId,
    pub action: CorrectionAction,
    /// What it replaces; none for `add`.
    pub replaces: Option<Replaces>,
    /// The punch's kind (for `add`; for the others, the kind of what it replaces).
    pub kind: PunchKind,
    /// The punch's time after the correction (`add`, `move`); none for `void`.
    pub at: Option<DateTime<Utc>>,
    pub reason: Reason,
    /// Who made it.
    pub made_by: AdminId,
    pub made_at: DateTime<Utc>,
}

impl Correction {
    /// Checks that the fields fit the action: an add has a time and replaces nothing, a move a
    /// time and a target, a void a target and no time.
    pub fn validate(action: CorrectionAction, replaces: Option<Replaces>, at: Option<DateTime<Utc>>) -> Result<(), DomainError> {
        match (action, replaces, at) {
            (CorrectionAction::Add, None, Some(_)) => Ok(()),
            (CorrectionAction::Add, Some(_), _) => Err(DomainError::invalid("replaces", "an added punch replaces nothing")),
            (CorrectionAction::Add | CorrectionAction::Move, _, None) => Err(DomainError::invalid("at", "give the punch's time")),
            (CorrectionAction::Move, Some(_), Some(_)) => Ok(()),
            (CorrectionAction::Move | CorrectionAction::Void, None, _) => {
                Err(DomainError::invalid("replaces", "name the punch this corrects"))
            }
            (CorrectionAction::Void, Some(_), Some(_)) => Err(DomainError::invalid("at", "a voided punch has no new time")),
            (CorrectionAction::Void, Some(_), None) => Ok(()),
        }
    }
}

/// How far past the server's clock a corrected time may lie: a clock-out being entered as the
/// person leaves, no more (a correction is typed on the server's side, with no device clock to
/// be forgiven).
pub const MAX_AHEAD: chrono::Duration = chrono::Duration::minutes(5);

/// The earliest time a correction may name: no time card reaches before it (the same floor
/// devices get, `punch::check_device_time`).
pub fn earliest() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

/// Checks a corrected punch's time against `now`: not beyond [`MAX_AHEAD`], not before [`earliest`].
pub fn check_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> Result<(), DomainError> {
    if at > now + MAX_AHEAD {
        return Err(DomainError::invalid(
            "at",
            format!("is in the future ({}); a punch's time can be at most {} minutes from now", shown(at, zone), MAX_AHEAD.num_minutes()),
        ));
    }
    if at < earliest() {
        return Err(DomainError::invalid("at", "is before the year 2000; check the date"));
    }
    Ok(())
}

/// A time as a refusal shows it: in the company's time zone, as its time cards do, with the zone's
/// abbreviation, e.g. `2026-11-16 15:00 CST`.
fn shown(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// Checks that moving a punch of `kind` from `from` to `to` keeps its shift in order: a
/// clock-out stays after the clock-in it ends (the latest clock-in of `others` at or before
/// `from`), a clock-in before the clock-out that ends its shift (the earliest clock-out at or
/// after `from`). `others` is the rest of the card as it counts now.
pub fn check_move(
    kind: PunchKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    others: &[(PunchKind, DateTime<Utc>)],
    zone: Tz,
) -> Result<(), DomainError> {
    let shown = |t: DateTime<Utc>| shown(t, zone);
    match kind {
        PunchKind::Out => {
            let clock_in = others.iter().filter(|(k, at)| *k == PunchKind::In && *at <= from).map(|(_, at)| *at).max();
            match clock_in {
                Some(start) if to <= start => Err(DomainError::invalid(
                    "at",
                    format!("would put the clock-out before its clock-in ({}); a shift cannot end before it starts", shown(start)),
                )),
                _ => Ok(()),
            }
        }
        PunchKind::In => {
            let clock_out = others.iter().filter(|(k, at)| *k == PunchKind::Out && *at >= from).map(|(_, at)| *at).min();
            match clock_out {
                Some(end) if to >= end => Err(DomainError::invalid(
                    "at",
                    format!("would put the clock-in after its clock-out ({}); a shift cannot end before it starts", shown(end)),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// A punch as the time card counts it: a device punch (perhaps moved) or one a correction added,
/// with the correction in force on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected<P> {
    /// The device's punch, unchanged; none for a punch a correction added.
    pub original: Option<P>,
    pub kind: PunchKind,
    /// The time that counts.
    pub at: DateTime<Utc>,
    /// The latest correction of this punch (or the one that added it).
    pub correction: Option<Correction>,
    /// Every correction of it, oldest first (its history).
    pub history: Vec<Correction>,
}

impl<P: TimedPunch> TimedPunch for Corrected<P> {
    fn kind(&self) -> PunchKind {
        self.kind
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// A moved break punch stays a break punch; a punch a correction added is a plain one.
    fn on_break(&self) -> bool {
        self.original.as_ref().is_some_and(TimedPunch::on_break)
    }
}

/// What applying corrections gives: the punches that count, and those voided (kept to show).
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<P> {
    pub counted: Vec<Corrected<P>>,
    pub voided: Vec<Corrected<P>>,
}

/// Applies `corrections` (any order) to `punches`: each punch's latest correction decides its
/// time or whether it is voided; adds become punches of their own, which later corrections may
/// move or void in turn. A correction naming a punch that is not in `punches` changes nothing.
pub fn apply_corrections<P: TimedPunch + Clone>(punches: &[P], id_of: impl Fn(&P) -> PunchId, corrections: &[Correction]) -> Applied<P> {
    let mut sorted: Vec<&Correction> = corrections.iter().collect();
    sorted.sort_by_key(|c| (c.made_at, c.id));
    let mut by_target: HashMap<Replaces, Vec<Correction>> = HashMap::new();
    let mut adds: Vec<&Correction> = Vec::new();
    for c in sorted {
        match c.replaces {
            Some(target) => by_target.entry(target).or_default().push(c.clone()),
            None if c.action == CorrectionAction::Add => adds.push(c),
            None => {}
        }
    }
    let mut applied = Applied { counted: Vec::new(), voided: Vec::new() };
    let mut place = |original: Option<P>, kind: PunchKind, at: DateTime<Utc>, history: Vec<Correction>| {
        let latest = history.last().cloned();
        let (at, void) = match &latest {
            Some(c) if c.action == CorrectionAction::Void => (at, true),
            Some(c) => (c.at.unwrap_or(at), false),
            None => (at, false),
        };
        let entry = Corrected { original, kind, at, correction: latest, history };
        if void {
            applied.voided.push(entry);
        } else {
            applied.counted.push(entry);
        }
    };
    for punch in punches {
        let history = by_target.remove(&Replaces::Punch(id_of(punch))).unwrap_or_default();
        place(Some(punch.clone()), punch.kind(), punch.at(), history);
    }
    for add in adds {
        let mut history = vec![add.clone()];
        history.extend(by_target.remove(&Replaces::Added(add.id)).unwrap_or_default());
        place(None, add.kind, add.at.unwrap_or(add.made_at), history);
    }
    applied.counted.sort_by_key(|p| (p.at, p.kind == PunchKind::In));
    applied
}

/// Someone at work, as the time card counts it: the clock-in that began their shift and their
/// latest punch (that clock-in, an End break or a Start break).
#[derive(Debug, Clone, PartialEq)]
pub struct AtWork<P> {
    pub start: Corrected<P>,
    pub latest: Corrected<P>,
}

/// Whether an employee is at work at `now` with corrections applied: `punches` are their device
/// punches from the start of their last shift on, `corrections` theirs over that span. The latest
/// punch that counts at `now` (a correction's time after `now` does not count yet) must leave them
/// in a shift: a clock-in, or a break's start or end; the shift began at the last clock-in before
/// it that is not a break's end. So an added clock-out ends a shift the device left open, a voided
/// clock-in takes it back, and an added clock-in opens one the device never saw.
pub fn at_work<P: TimedPunch + Clone>(
    punches: &[P],
    id_of: impl Fn(&P) -> PunchId,
    corrections: &[Correction],
    now: DateTime<Utc>,
) -> Option<AtWork<P>> {
    let counted: Vec<Corrected<P>> = apply_corrections(punches, id_of, corrections).counted.into_iter().filter(|p| p.at <= now).collect();
    let latest = counted.last()?;
    if latest.kind != PunchKind::In && !latest.on_break() {
        return None;
    }
    let start = counted.iter().rev().find(|p| p.kind == PunchKind::In && !p.on_break()).unwrap_or(latest);
    Some(AtWork { start: start.clone(), latest: latest.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrected_time_is_a_possible_one() {
        let now = chrono::Utc::now();
        assert!(check_time(now + chrono::Duration::minutes(4), now, Tz::UTC).is_ok());
        assert!(matches!(check_time(now + chrono::Duration::days(30), now, Tz::UTC), Err(DomainError::Invalid { field: "at", .. })));
        let old = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap().and_hms_opt(8, 0, 0).unwrap().and_utc();
        assert!(matches!(check_time(old, now, Tz::UTC), Err(DomainError::Invalid { field: "at", .. })));
    }

    #[test]
    fn a_move_keeps_the_shift_in_order() {
        let t = |h: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap().and_hms_opt(h, 0, 0).unwrap().and_utc();
        let card = [(PunchKind::In, t(8)), (PunchKind::Out, t(16)), (PunchKind::In, t(18))];
        let out_others = [card[0], card[2]];
        assert!(check_move(PunchKind::Out, t(16), t(17), &out_others, Tz::UTC).is_ok());
        assert!(check_move(PunchKind::Out, t(16), t(7), &out_others, Tz::UTC).is_err(), "a clock-out before its clock-in");
        let in_others = [card[1], card[2]];
        assert!(check_move(PunchKind::In, t(8), t(9), &in_others, Tz::UTC).is_ok());
        assert!(check_move(PunchKind::In, t(8), t(17), &in_others, Tz::UTC).is_err(), "a clock-in after its clock-out");
        // The refusal shows the clock-out as the company's time cards do, in its own time zone.
        let refused = check_move(PunchKind::In, t(8), t(17), &in_others, chrono_tz::America::Chicago);
        let Err(DomainError::Invalid { message, .. }) = refused else { panic!("refused: {refused:?}") };
        assert!(message.contains("(2026-11-16 10:00 CST)"), "{message}");
    }
    use chrono::{Duration, TimeZone};

    #[derive(Debug, Clone, PartialEq)]
    struct P(PunchId, PunchKind, DateTime<Utc>);

    impl TimedPunch for P {
        fn kind(&self) -> PunchKind {
            self.1
        }
        fn at(&self) -> DateTime<Utc> {
            self.2
        }
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).single().expect("valid")
    }

    fn correction(action: CorrectionAction, replaces: Option<Replaces>, kind: PunchKind, at: Option<DateTime<Utc>>, n: i64) -> Correction {
        Correction {
            id: CorrectionId::new(),
            company_id: CompanyId::new(),
            employee_id: EmployeeId::new(),
            action,
            replaces,
            kind,
            at,
            reason: Reason::parse("forgot").expect("valid"),
            made_by: AdminId::new(),
            made_at: t(20, 0) + Duration::minutes(n),
        }
    }

    /// A device punch that may be a break's: (id, kind, at, on_break).
    #[derive(Debug, Clone, PartialEq)]
    struct B(PunchId, PunchKind, DateTime<Utc>, bool);

    impl TimedPunch for B {
        fn kind(&self) -> PunchKind {
            self.1
        }
        fn at(&self) -> DateTime<Utc> {
            self.2
        }
        fn on_break(&self) -> bool {
            self.3
        }
    }

    #[test]
    fn at_work_follows_the_corrections_not_only_the_device() {
        let clock_in = B(PunchId::new(), PunchKind::In, t(7, 0), false);
        let noon = t(12, 0);
        let device = std::slice::from_ref(&clock_in);
        let at = at_work(device, |p| p.0, &[], noon).expect("the device says at work");
        assert_eq!((at.start.at, at.latest.at), (t(7, 0), t(7, 0)));

        let out_at_11 = correction(CorrectionAction::Add, None, PunchKind::Out, Some(t(11, 0)), 0);
        assert_eq!(at_work(device, |p| p.0, std::slice::from_ref(&out_at_11), noon), None, "an added clock-out ends the shift");
        let out_at_15 = correction(CorrectionAction::Add, None, PunchKind::Out, Some(t(15, 0)), 0);
        assert!(
            at_work(device, |p| p.0, std::slice::from_ref(&out_at_15), noon).is_some(),
            "a clock-out set for later does not end it yet"
        );
        let void = correction(CorrectionAction::Void, Some(Replaces::Punch(clock_in.0)), PunchKind::In, None, 0);
        assert_eq!(at_work(device, |p| p.0, std::slice::from_ref(&void), noon), None, "a voided clock-in takes the shift back");
        let moved = correction(CorrectionAction::Move, Some(Replaces::Punch(clock_in.0)), PunchKind::In, Some(t(6, 30)), 0);
        let at = at_work(device, |p| p.0, std::slice::from_ref(&moved), noon).expect("still at work");
        assert_eq!(at.start.at, t(6, 30), "since the corrected time");
    }

    #[test]
    fn an_added_clock_in_puts_someone_at_work_and_a_break_keeps_them_there() {
        let added = correction(CorrectionAction::Add, None, PunchKind::In, Some(t(7, 0)), 0);
        let at = at_work::<B>(&[], |p| p.0, std::slice::from_ref(&added), t(9, 0)).expect("forgot to clock in, added");
        assert_eq!((at.start.original.as_ref(), at.start.at), (None, t(7, 0)));

        let punches = [
            B(PunchId::new(), PunchKind::In, t(7, 0), false),
            B(PunchId::new(), PunchKind::Out, t(10, 0), true),
            B(PunchId::new(), PunchKind::In, t(10, 15), true),
            B(PunchId::new(), PunchKind::Out, t(12, 0), true),
        ];
        let at = at_work(&punches, |p| p.0, &[], t(12, 5)).expect("on a break is at work");
        assert_eq!(
            (at.start.at, at.latest.at, at.latest.on_break()),
            (t(7, 0), t(12, 0), true),
            "the shift began at the clock-in, not at a break's end"
        );
        let out = B(PunchId::new(), PunchKind::Out, t(12, 30), false);
        let ended = [punches.as_slice(), std::slice::from_ref(&out)].concat();
        assert_eq!(at_work(&ended, |p| p.0, &[], t(13, 0)), None, "a clock-out during a break ends both");
    }

    #[test]
    fn an_added_clock_out_closes_the_shift_and_the_original_stays() {
        let clock_in = P(PunchId::new(), PunchKind::In, t(7, 0));
        let add = correction(CorrectionAction::Add, None, PunchKind::Out, Some(t(15, 30)), 0);
        let applied = apply_corrections(std::slice::from_ref(&clock_in), |p| p.0, std::slice::from_ref(&add));
        assert_eq!(applied.counted.len(), 2);
        assert_eq!(applied.counted[0].original, Some(clock_in));
        assert!(applied.counted[0].correction.is_none());
        assert_eq!(applied.counted[1].original, None);
        assert_eq!(applied.counted[1].at, t(15, 30));
        assert_eq!(applied.counted[1].correction, Some(add));
    }

    #[test]
    fn the_latest_correction_of_a_punch_decides_and_the_device_time_is_kept() {
        let out = P(PunchId::new(), PunchKind::Out, t(18, 0));
        let first = correction(CorrectionAction::Move, Some(Replaces::Punch(out.0)), PunchKind::Out, Some(t(16, 0)), 0);
        let second = correction(CorrectionAction::Move, Some(Replaces::Punch(out.0)), PunchKind::Out, Some(t(16, 30)), 5);
        // Given newest first, still applied in the order they were made.
        let applied = apply_corrections(std::slice::from_ref(&out), |p| p.0, &[second.clone(), first.clone()]);
        let punch = &applied.counted[0];
        assert_eq!(punch.at, t(16, 30));
        assert_eq!(punch.original.as_ref().map(|p| p.2), Some(t(18, 0)));
        assert_eq!(punch.history, vec![first, second]);
    }

    #[test]
    fn a_voided_punch_is_kept_apart_and_not_counted() {
        let a = P(PunchId::new(), PunchKind::In, t(7, 0));
        let b = P(PunchId::new(), PunchKind::In, t(7, 5));
        let void = correction(CorrectionAction::Void, Some(Replaces::Punch(b.0)), PunchKind::In, None, 0);
        let applied = apply_corrections(&[a.clone(), b.clone()], |p| p.0, &[void]);
        assert_eq!(applied.counted.iter().map(|c| c.original.clone()).collect::<Vec<_>>(), vec![Some(a)]);
        assert_eq!(applied.voided[0].original, Some(b));
    }

    #[test]
    fn an_added_punch_can_be_moved_then_voided() {
        let add = correction(CorrectionAction::Add, None, PunchKind::Out, Some(t(15, 0)), 0);
        let mv = correction(CorrectionAction::Move, Some(Replaces::Added(add.id)), PunchKind::Out, Some(t(15, 45)), 1);
        let applied = apply_corrections::<P>(&[], |p| p.0, &[add.clone(), mv]);
        assert_eq!(applied.counted[0].at, t(15, 45));
        let void = correction(CorrectionAction::Void, Some(Replaces::Added(add.id)), PunchKind::Out, None, 2);
        let applied = apply_corrections::<P>(&[], |p| p.0, &[add, void]);
        assert!(applied.counted.is_empty());
        assert_eq!(applied.voided.len(), 1);
    }

    #[test]
    fn fields_must_fit_the_action_and_a_reason_is_required() {
        let punch = Some(Replaces::Punch(PunchId::new()));
        assert!(Correction::validate(CorrectionAction::Add, None, Some(t(9, 0))).is_ok());
        assert!(Correction::validate(CorrectionAction::Add, None, None).is_err());
        assert!(Correction::validate(CorrectionAction::Add, punch, Some(t(9, 0))).is_err());
        assert!(Correction::validate(CorrectionAction::Move, punch, Some(t(9, 0))).is_ok());
        assert!(Correction::validate(CorrectionAction::Move, None, Some(t(9, 0))).is_err());
        assert!(Correction::validate(CorrectionAction::Void, punch, None).is_ok());
        assert!(Correction::validate(CorrectionAction::Void, punch, Some(t(9, 0))).is_err());
        assert_eq!(Reason::parse("  ").unwrap_err(), DomainError::invalid("reason", "say why: a correction needs a reason"));
        assert_eq!(Reason::parse(" left at 4 ").map(|r| r.as_str().to_owned()), Ok("left at 4".to_owned()));
    }
}
