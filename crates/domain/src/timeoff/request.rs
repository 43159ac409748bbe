//! Requests for time off: which days (whole days, or part of one day as hours), of which type,
//! with a note; asked by the employee on the clock or by an admin or supervisor for them; then
//! approved, declined or cancelled, each answer with who, when and a note, kept in order.
//!
//! Whole days count the company's working days only ([`WorkSchedule`]: 8 hours Monday to Friday
//! unless it says otherwise) and skip company holidays, which pay their own hours. Only an
//! approved request is time off: it puts a line per day on the card ([`TimeOffRequest::card_lines`])
//! and takes its hours from the balance ([`TimeOffRequest::taken`]). A request that overlaps
//! punches is allowed and says so ([`overlaps`]); one in an approved pay period follows the
//! period's lock ([`check_unlocked`]).

use super::accrual::Taken;
use super::holiday::{is_holiday, HolidayCalendar};
use super::{fmt_hours, parse_hours, CardTimeOff, TimeOffSource, TimeOffType, DAY, HOUR};
use crate::ids::{AdminId, EmployeeId, TimeOffRequestId, TimeOffTypeId};
use crate::text::{check, parse_day, Lines};
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// The longest request, in calendar days: a year. Longer leave is several requests.
pub const MAX_REQUEST_DAYS: i64 = 366;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 1000;

/// A company's working days and how many hours a whole day off is worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkSchedule {
    /// A whole day off, in seconds (8 h by default).
    pub day_seconds: i64,
    /// The days a whole-day request counts; the others (a weekend) cost nothing.
    #[schema(value_type = Vec<String>)]
    pub weekdays: Vec<Weekday>,
}

impl Default for WorkSchedule {
    /// Eight hours, Monday to Friday.
    fn default() -> Self {
        WorkSchedule { day_seconds: 8 * HOUR, weekdays: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri] }
    }
}

impl WorkSchedule {
    /// A schedule of `day_seconds` (more than 0, at most 24 h) on `weekdays` (at least one).
    pub fn new(day_seconds: i64, weekdays: Vec<Weekday>) -> Result<Self, DomainError> {
        let mut refused = Vec::new();
        if !(1..=DAY).contains(&day_seconds) {
            refused.push(DomainError::invalid("day_hours", "a day off is worth more than 0 and at most 24 hours"));
        }
        if weekdays.is_empty() {
            refused.push(DomainError::invalid("weekdays", "pick at least one working day"));
        }
        DomainError::all(refused)?;
        Ok(WorkSchedule { day_seconds, weekdays })
    }
}

/// The days a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "span")]
pub enum RequestSpan {
    /// Whole days from `first` to `last`, both included.
    Days { first: NaiveDate, last: NaiveDate },
    /// Part of one day: `seconds` of it.
    Hours { date: NaiveDate, seconds: i64 },
}

/// One day of a request, with the hours it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequestedDay {
    pub date: NaiveDate,
    pub seconds: i64,
}

impl RequestSpan {
    /// Whole days `first..=last`: refused when it ends before it starts or is longer than a year.
    pub fn days(first: NaiveDate, last: NaiveDate) -> Result<Self, DomainError> {
        if last < first {
            return Err(DomainError::invalid("last", format!("the request ends on {last}, before it starts on {first}")));
        }
        if (last - first).num_days() + 1 > MAX_REQUEST_DAYS {
            return Err(DomainError::invalid(
                "last",
                format!("a request is at most {MAX_REQUEST_DAYS} days; ask for longer leave in parts"),
            ));
        }
        Ok(RequestSpan::Days { first, last })
    }

    /// `seconds` of the day `date`: refused when zero (or less), or more than a day has.
    pub fn hours(date: NaiveDate, seconds: i64) -> Result<Self, DomainError> {
        if seconds <= 0 {
            return Err(DomainError::invalid("hours", "a partial day asks for more than 0 hours"));
        }
        if seconds > DAY {
            return Err(DomainError::invalid("hours", format!("{} is more hours than a day has", fmt_hours(seconds))));
        }
        Ok(RequestSpan::Hours { date, seconds })
    }

    pub fn first(&self) -> NaiveDate {
        match *self {
            RequestSpan::Days { first, .. } => first,
            RequestSpan::Hours { date, .. } => date,
        }
    }

    pub fn last(&self) -> NaiveDate {
        match *self {
            RequestSpan::Days { last, .. } => last,
            RequestSpan::Hours { date, .. } => date,
        }
    }

    /// The days the request takes and the hours of each: a partial day as asked; whole days on
    /// the schedule's working days that are not company holidays, a day's hours each. Refused
    /// when whole days hold no working day at all (a request for a weekend costs nothing, and
    /// is most likely a mistake).
    pub fn requested_days(&self, schedule: &WorkSchedule, holidays: &[HolidayCalendar]) -> Result<Vec<RequestedDay>, DomainError> {
        match *self {
            RequestSpan::Hours { date, seconds } => Ok(vec![RequestedDay { date, seconds }]),
            RequestSpan::Days { first, last } => {
                let days: Vec<RequestedDay> = first
                    .iter_days()
                    .take_while(|d| *d <= last)
                    .filter(|d| schedule.weekdays.contains(&chrono::Datelike::weekday(d)) && !is_holiday(holidays, *d))
                    .map(|date| RequestedDay { date, seconds: schedule.day_seconds })
                    .collect();
                if days.is_empty() {
                    let span = if first == last { first.to_string() } else { format!("{first} to {last}") };
                    return Err(DomainError::invalid("first", format!("{span} holds no working day (only days off or company holidays)")));
                }
                Ok(days)
            }
        }
    }
}

/// A request as typed on the clock or in a form, before it is checked: the first day, the last
/// (none: the same day), hours for a partial day (none: whole days), a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub first: String,
    #[serde(default)]
    pub last: Option<String>,
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// A request's days and note, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFields {
    pub span: RequestSpan,
    pub note: String,
}

/// A note: text with lines, trimmed, at most [`MAX_NOTE`] characters (may be empty).
fn parse_note(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let note = check(field, raw.trim(), Lines::Many)?;
    if note.chars().count() > MAX_NOTE {
        return Err(DomainError::invalid(field, format!("must be at most {MAX_NOTE} characters")));
    }
    Ok(note)
}

impl RequestInput {
    /// Checks the request's fields, naming each one refused: days written `YYYY-MM-DD`, the last
    /// not before the first, hours (a partial day) only for one day, more than 0 and at most 24.
    pub fn parse(&self) -> Result<RequestFields, DomainError> {
        let mut refused = Vec::new();
        let first = DomainError::keep(parse_day("first", self.first.trim()), &mut refused);
        let last = match self.last.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => DomainError::keep(parse_day("last", raw), &mut refused),
            None => first,
        };
        let hours = match self.hours.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => DomainError::keep(parse_hours("hours", raw), &mut refused).map(Some),
            None => Some(None),
        };
        let note = DomainError::keep(parse_note("note", &self.note), &mut refused);
        let span = match (first, last, hours) {
            (Some(first), Some(last), Some(Some(seconds))) if first == last => {
                DomainError::keep(RequestSpan::hours(first, seconds), &mut refused)
            }
            (Some(_), Some(_), Some(Some(_))) => {
                refused.push(DomainError::invalid("hours", "hours are for part of one day; for several days ask for whole days"));
                None
            }
            (Some(first), Some(last), Some(None)) => DomainError::keep(RequestSpan::days(first, last), &mut refused),
            _ => None,
        };
        DomainError::all(refused)?;
        match (span, note) {
            (Some(span), Some(note)) => Ok(RequestFields { span, note }),
            _ => Err(DomainError::invalid("first", "could not be read")),
        }
    }
}

/// Who did something to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "who", content = "id")]
pub enum Actor {
    /// The employee, on the clock.
    Employee(EmployeeId),
    /// An admin or supervisor, in the web app.
    User(AdminId),
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Asked, waiting for an answer.
    Requested,
    Approved,
    Declined,
    /// Withdrawn by the employee while asked, or by an admin or supervisor later.
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Requested => "requested",
            RequestStatus::Approved => "approved",
            RequestStatus::Declined => "declined",
            RequestStatus::Cancelled => "cancelled",
        }
    }
}

/// One step in a request's life: to which status, by whom, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequestEvent {
    pub status: RequestStatus,
    pub by: Actor,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// A request for time off, with its whole history (the first event is the asking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeOffRequest {
    pub id: TimeOffRequestId,
    pub employee_id: EmployeeId,
    pub type_id: TimeOffTypeId,
    pub span: RequestSpan,
    /// Asked, then answered: never empty, never rewritten, only added to.
    pub history: Vec<RequestEvent>,
}

impl TimeOffRequest {
    /// A new request for `employee_id`, asked by `by`: the employee for themselves, or an admin
    /// or supervisor for them (whether that user may is the caller's check of their abilities).
    pub fn ask(
        employee_id: EmployeeId,
        type_id: TimeOffTypeId,
        fields: RequestFields,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if matches!(by, Actor::Employee(other) if other != employee_id) {
            return Err(DomainError::invalid("employee_id", "an employee asks for time off for themselves only"));
        }
        Ok(TimeOffRequest {
            id: TimeOffRequestId::new(),
            employee_id,
            type_id,
            span: fields.span,
            history: vec![RequestEvent { status: RequestStatus::Requested, by, at, note: fields.note }],
        })
    }

    /// Where the request stands now.
    pub fn status(&self) -> RequestStatus {
        self.history.last().map_or(RequestStatus::Requested, |e| e.status)
    }

    /// The note the employee (or whoever asked) wrote.
    pub fn note(&self) -> &str {
        self.history.first().map_or("", |e| e.note.as_str())
    }

    /// The latest answer, if any (what the employee sees on the clock).
    pub fn answer(&self) -> Option<&RequestEvent> {
        self.history.iter().skip(1).last()
    }

    fn refuse(&self, doing: &str) -> DomainError {
        let status = self.status().as_str();
        DomainError::invalid("status", format!("this request is {status}; it cannot be {doing}"))
    }

    /// Approves a request still asked.
    pub fn approve(&mut self, by: AdminId, at: DateTime<Utc>, note: &str) -> Result<(), DomainError> {
        if self.status() != RequestStatus::Requested {
            return Err(self.refuse("approved"));
        }
        let note = parse_note("note", note)?;
        self.history.push(RequestEvent { status: RequestStatus::Approved, by: Actor::User(by), at, note });
        Ok(())
    }

    /// Declines a request still asked, saying why: the employee reads the note on the clock.
    pub fn decline(&mut self, by: AdminId, at: DateTime<Utc>, note: &str) -> Result<(), DomainError> {
        if self.status() != RequestStatus::Requested {
            return Err(self.refuse("declined"));
        }
        let note = parse_note("note", note)?;
        if note.is_empty() {
            return Err(DomainError::invalid("note", "say why it is declined: the employee sees it on the clock"));
        }
        self.history.push(RequestEvent { status: RequestStatus::Declined, by: Actor::User(by), at, note });
        Ok(())
    }

    /// Cancels a request: the employee may withdraw their own while it is asked; an admin or
    /// supervisor may cancel one asked or approved (an approved day in an approved pay period
    /// needs the period reopened first, [`check_unlocked`]). A declined or cancelled request stays so.
    pub fn cancel(&mut self, by: Actor, at: DateTime<Utc>, note: &str) -> Result<(), DomainError> {
        let allowed = match (self.status(), by) {
            (RequestStatus::Requested, Actor::Employee(e)) => e == self.employee_id,
            (RequestStatus::Requested | RequestStatus::Approved, Actor::User(_)) => true,
            (RequestStatus::Approved, Actor::Employee(_)) => {
                return Err(DomainError::invalid("status", "this request is approved; ask your supervisor to cancel it"))
            }
            _ => false,
        };
        if !allowed {
            return Err(self.refuse("cancelled"));
        }
        let note = parse_note("note", note)?;
        self.history.push(RequestEvent { status: RequestStatus::Cancelled, by, at, note });
        Ok(())
    }

    /// The request's lines on a time card, one per day: only once approved. `days` are the
    /// request's [`RequestSpan::requested_days`]; `time_off_type` is the request's type.
    pub fn card_lines(&self, time_off_type: &TimeOffType, days: &[RequestedDay]) -> Vec<CardTimeOff> {
        if self.status() != RequestStatus::Approved {
            return Vec::new();
        }
        days.iter()
            .map(|d| CardTimeOff {
                date: d.date,
                type_id: time_off_type.id,
                kind: time_off_type.kind,
                name: time_off_type.name.as_str().to_owned(),
                holiday: None,
                paid: time_off_type.paid,
                seconds: d.seconds,
                source: TimeOffSource::Request(self.id),
            })
            .collect()
    }

    /// What the request takes from its type's balance: its days, only once approved.
    pub fn taken(&self, days: &[RequestedDay]) -> Vec<Taken> {
        if self.status() != RequestStatus::Approved {
            return Vec::new();
        }
        days.iter().map(|d| Taken { date: d.date, seconds: d.seconds, request_id: Some(self.id) }).collect()
    }
}

/// A requested day on which the employee also has punched hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PunchOverlap {
    pub date: NaiveDate,
    /// Hours worked that day, from the punches.
    pub worked_seconds: i64,
    /// Hours of time off asked for that day.
    pub requested_seconds: i64,
}

impl PunchOverlap {
    /// Worked and asked together pass 24 hours: surely a mistake somewhere.
    pub fn over_a_day(&self) -> bool {
        self.worked_seconds + self.requested_seconds > DAY
    }

    /// What a supervisor is told.
    pub fn message(&self) -> String {
        let mut text =
            format!("{} has {} worked and asks for {} off", self.date, fmt_hours(self.worked_seconds), fmt_hours(self.requested_seconds));
        if self.over_a_day() {
            text.push_str(&format!(": {} in all, more than a day has", fmt_hours(self.worked_seconds + self.requested_seconds)));
        }
        text
    }
}

/// Whether a requested day overlaps punches: it does when the day has worked seconds.
pub fn punch_overlap(day: RequestedDay, worked_seconds: i64) -> Option<PunchOverlap> {
    (worked_seconds > 0).then_some(PunchOverlap { date: day.date, worked_seconds, requested_seconds: day.seconds })
}

/// The requested days that overlap punches, given each day's worked seconds.
pub fn overlaps(days: &[RequestedDay], worked_on: impl Fn(NaiveDate) -> i64) -> Vec<PunchOverlap> {
    days.iter().filter_map(|d| punch_overlap(*d, worked_on(d.date))).collect()
}

/// Refuses a change to time off on a day in an approved (locked) pay period, naming the first
/// such day: asking, approving or cancelling there waits until the period is reopened.
pub fn check_unlocked(days: &[RequestedDay], locked: impl Fn(NaiveDate) -> bool) -> Result<(), DomainError> {
    match days.iter().find(|d| locked(d.date)) {
        Some(day) => Err(DomainError::invalid(
            "first",
            format!("{} is in an approved pay period; reopen the period before changing its time off", day.date),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeoff::holiday::HolidayInput;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).single().expect("valid")
    }

    fn input(first: &str, last: Option<&str>, hours: Option<&str>) -> RequestInput {
        RequestInput { first: first.into(), last: last.map(Into::into), hours: hours.map(Into::into), note: "dentist".into() }
    }

    fn field_of(error: &DomainError) -> &'static str {
        match error {
            DomainError::Invalid { field, .. } => field,
            _ => "",
        }
    }

    #[test]
    fn whole_days_and_partial_days_are_read() {
        let fields = input("2026-11-23", Some("2026-11-25"), None).parse().unwrap();
        assert_eq!(fields.span, RequestSpan::Days { first: date(2026, 11, 23), last: date(2026, 11, 25) });
        assert_eq!(fields.note, "dentist");
        let one = input("2026-11-23", None, None).parse().unwrap();
        assert_eq!(one.span, RequestSpan::Days { first: date(2026, 11, 23), last: date(2026, 11, 23) });
        let partial = input("2026-11-23", Some("2026-11-23"), Some("2.5")).parse().unwrap();
        assert_eq!(partial.span, RequestSpan::Hours { date: date(2026, 11, 23), seconds: 9000 });
    }

    #[test]
    fn a_request_that_makes_no_sense_is_refused_with_a_clear_reason() {
        let cases: [(RequestInput, &str, &str); 7] = [
            (input("2026-11-25", Some("2026-11-23"), None), "last", "ends on 2026-11-23, before it starts on 2026-11-25"),
            (input("2026-11-23", None, Some("0")), "hours", "more than 0 hours"),
            (input("2026-11-23", None, Some("25")), "hours", "25.00 h is more hours than a day has"),
            (input("2026-11-23", Some("2026-11-24"), Some("4")), "hours", "part of one day"),
            (input("2026-11-31", None, None), "first", "not a day written YYYY-MM-DD"),
            (input("2026-01-01", Some("2027-01-02"), None), "last", "at most 366 days"),
            (RequestInput { note: "x\u{0}".into(), ..input("2026-11-23", None, None) }, "note", "NUL"),
        ];
        for (input, field, words) in cases {
            let error = input.parse().unwrap_err();
            assert_eq!(field_of(&error), field, "{error}");
            assert!(error.to_string().contains(words), "{error} should say {words:?}");
        }
    }

    #[test]
    fn whole_days_count_working_days_and_skip_holidays() {
        // Wed 25 Nov to Tue 1 Dec 2026, Thanksgiving (Thu 26) a company holiday: Wed, Fri, Mon, Tue.
        let holidays =
            [HolidayCalendar::parse(2026, &[HolidayInput { date: "2026-11-26".into(), name: "Thanksgiving".into(), hours: "8".into() }])
                .unwrap()];
        let span = RequestSpan::days(date(2026, 11, 25), date(2026, 12, 1)).unwrap();
        let days = span.requested_days(&WorkSchedule::default(), &holidays).unwrap();
        let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
        assert_eq!(dates, [date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)]);
        assert!(days.iter().all(|d| d.seconds == 8 * HOUR));
        // Ten-hour days, Monday to Thursday: Friday costs nothing.
        let four_tens = WorkSchedule::new(10 * HOUR, vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu]).unwrap();
        let total: i64 = span.requested_days(&four_tens, &holidays).unwrap().iter().map(|d| d.seconds).sum();
        assert_eq!(total, 3 * 10 * HOUR, "Wed, Mon, Tue at 10 h");
        // A weekend alone holds no working day.
        let weekend = RequestSpan::days(date(2026, 11, 28), date(2026, 11, 29)).unwrap();
        let error = weekend.requested_days(&WorkSchedule::default(), &holidays).unwrap_err();
        assert!(error.to_string().contains("2026-11-28 to 2026-11-29 holds no working day"), "{error}");
        assert!(WorkSchedule::new(0, vec![Weekday::Mon]).is_err());
        assert!(WorkSchedule::new(8 * HOUR, Vec::new()).is_err());
    }

    fn asked() -> (TimeOffRequest, EmployeeId) {
        let employee = EmployeeId::new();
        let fields = input("2026-11-23", None, Some("4")).parse().unwrap();
        (TimeOffRequest::ask(employee, TimeOffTypeId::new(), fields, Actor::Employee(employee), now()).unwrap(), employee)
    }

    #[test]
    fn a_request_is_asked_then_approved_with_who_when_and_a_note() {
        let (mut request, _) = asked();
        assert_eq!(request.status(), RequestStatus::Requested);
        assert_eq!(request.note(), "dentist");
        assert!(request.answer().is_none());
        let supervisor = AdminId::new();
        request.approve(supervisor, now(), " enjoy ").unwrap();
        assert_eq!(request.status(), RequestStatus::Approved);
        let answer = request.answer().unwrap();
        assert_eq!((answer.by, answer.at, answer.note.as_str()), (Actor::User(supervisor), now(), "enjoy"));
        // An answer is given once.
        assert_eq!(field_of(&request.approve(supervisor, now(), "").unwrap_err()), "status");
        assert_eq!(field_of(&request.decline(supervisor, now(), "no").unwrap_err()), "status");
    }

    #[test]
    fn a_decline_says_why_and_is_final() {
        let (mut request, employee) = asked();
        let supervisor = AdminId::new();
        assert_eq!(field_of(&request.decline(supervisor, now(), "  ").unwrap_err()), "note");
        assert_eq!(request.status(), RequestStatus::Requested, "a refusal changes nothing");
        request.decline(supervisor, now(), "we are short that day").unwrap();
        assert_eq!(request.answer().map(|a| a.note.as_str()), Some("we are short that day"));
        assert!(request.cancel(Actor::Employee(employee), now(), "").is_err());
        assert!(request.cancel(Actor::User(supervisor), now(), "").is_err());
        assert_eq!(request.history.len(), 2);
    }

    #[test]
    fn who_may_cancel_depends_on_where_the_request_stands() {
        let (mut request, employee) = asked();
        assert!(request.cancel(Actor::Employee(EmployeeId::new()), now(), "").is_err(), "not someone else's");
        request.cancel(Actor::Employee(employee), now(), "feeling better").unwrap();
        assert_eq!(request.status(), RequestStatus::Cancelled);

        let (mut request, employee) = asked();
        request.approve(AdminId::new(), now(), "").unwrap();
        let error = request.cancel(Actor::Employee(employee), now(), "").unwrap_err();
        assert!(error.to_string().contains("ask your supervisor"), "{error}");
        request.cancel(Actor::User(AdminId::new()), now(), "plans changed").unwrap();
        assert_eq!(request.status(), RequestStatus::Cancelled);
        let statuses: Vec<RequestStatus> = request.history.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [RequestStatus::Requested, RequestStatus::Approved, RequestStatus::Cancelled], "the history keeps every step");
    }

    #[test]
    fn an_employee_asks_only_for_themselves() {
        let fields = input("2026-11-23", None, None).parse().unwrap();
        let error = TimeOffRequest::ask(EmployeeId::new(), TimeOffTypeId::new(), fields.clone(), Actor::Employee(EmployeeId::new()), now());
        assert_eq!(field_of(&error.unwrap_err()), "employee_id");
        assert!(TimeOffRequest::ask(EmployeeId::new(), TimeOffTypeId::new(), fields, Actor::User(AdminId::new()), now()).is_ok());
    }

    #[test]
    fn only_an_approved_request_is_time_off() {
        let (mut request, _) = asked();
        let days = request.span.requested_days(&WorkSchedule::default(), &[]).unwrap();
        let sick = TimeOffType {
            id: request.type_id,
            company_id: crate::ids::CompanyId::new(),
            kind: crate::timeoff::TimeOffKind::Sick,
            name: crate::timeoff::TimeOffTypeName::parse("Sick").unwrap(),
            paid: true,
            codes: crate::timeoff::TimeOffPayCodes::default(),
            policy: None,
            active: true,
        };
        assert!(request.card_lines(&sick, &days).is_empty());
        assert!(request.taken(&days).is_empty());
        request.approve(AdminId::new(), now(), "").unwrap();
        let lines = request.card_lines(&sick, &days);
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].date, lines[0].seconds, lines[0].source), (date(2026, 11, 23), 4 * HOUR, TimeOffSource::Request(request.id)));
        assert_eq!(request.taken(&days)[0].seconds, 4 * HOUR);
    }

    #[test]
    fn a_request_on_a_day_with_punches_says_so() {
        let days =
            [RequestedDay { date: date(2026, 11, 23), seconds: 8 * HOUR }, RequestedDay { date: date(2026, 11, 24), seconds: 8 * HOUR }];
        let worked = |d: NaiveDate| if d == date(2026, 11, 24) { 17 * HOUR } else { 0 };
        let found = overlaps(&days, worked);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].date, found[0].worked_seconds, found[0].requested_seconds), (date(2026, 11, 24), 17 * HOUR, 8 * HOUR));
        assert!(found[0].over_a_day());
        assert_eq!(found[0].message(), "2026-11-24 has 17.00 h worked and asks for 8.00 h off: 25.00 h in all, more than a day has");
        // Four hours worked and four asked for is a half day off, overlapping but plausible.
        let half = punch_overlap(RequestedDay { date: date(2026, 11, 23), seconds: 4 * HOUR }, 4 * HOUR).unwrap();
        assert!(!half.over_a_day());
        assert_eq!(punch_overlap(days[0], 0), None, "no punches, no overlap");
    }

    #[test]
    fn a_day_in_an_approved_period_waits_for_the_period_to_reopen() {
        let days =
            [RequestedDay { date: date(2026, 11, 20), seconds: 8 * HOUR }, RequestedDay { date: date(2026, 11, 23), seconds: 8 * HOUR }];
        let error = check_unlocked(&days, |d| d < date(2026, 11, 23)).unwrap_err();
        assert!(error.to_string().contains("2026-11-20 is in an approved pay period; reopen"), "{error}");
        assert!(check_unlocked(&days, |_| false).is_ok());
    }
}
