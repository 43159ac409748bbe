//! What a time card is counted by, shared by the cards and payroll: the rules from the company's
//! settings, and the instants a card for some days reads punches in (whole workweeks, in the
//! company's time zone). The time card use case itself is still in `web/api/timecards.rs`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use clockface_domain::payroll::{workweek_start, PayrollSettings};
use clockface_domain::timecard::CardRules;

/// Midnight at the start of `date` in `zone`, as a UTC instant.
pub fn start_of_day(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight).earliest().map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}

/// The instants a card for `from..=to` must read punches in: whole workweeks (for overtime) and
/// a day beyond (for shifts crossing the edges).
pub fn card_window(zone: Tz, settings: &PayrollSettings, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let starts = settings.schedule.workweek_starts;
    let first = workweek_start(from, starts) - Duration::days(1);
    let last = workweek_start(to, starts) + Duration::days(8);
    (start_of_day(zone, first), start_of_day(zone, last))
}

/// The rules a card is counted by, from the company's settings.
pub fn card_rules(settings: &PayrollSettings) -> CardRules {
    CardRules {
        overtime: settings.overtime,
        workweek_starts: settings.schedule.workweek_starts,
        meal: settings.meal,
        breaks_paid: settings.breaks_paid,
    }
}
