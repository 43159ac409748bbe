//! Guessing, locked out: how many wrong PINs and passwords are allowed, where they are counted,
//! and how long a lock lasts.
//!
//! Every guess is counted *before* it is judged (one atomic write per place it counts in), and a
//! guess is judged only while the count, itself included, is within the limit: no burst of
//! concurrent guesses gets past a lock. A right guess takes back only its own count from the
//! shared places (the device, the company, the client address): it never resets what others
//! guessed wrong there, so an employee's own PIN cannot be used to wipe a device's count. It does
//! clear the counter of its own employee or admin account.

use chrono::Duration;

/// Where wrong guesses are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// The device the PINs are typed on.
    Device,
    /// The employee a PIN is for (picked by name, or found by the PIN itself).
    Employee,
    /// Every device of a company together, per hour.
    Company,
    /// An admin's account (its e-mail address, whether or not such an account exists).
    Account,
    /// The network address sign-in attempts come from.
    Address,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Device => "device",
            Place::Employee => "employee",
            Place::Company => "company",
            Place::Account => "account",
            Place::Address => "address",
        }
    }

    /// How a locked place is named to the person locked out.
    pub fn who(self) -> &'static str {
        match self {
            Place::Device => "this device",
            Place::Employee => "this employee",
            Place::Company => "PIN sign-in for this company",
            Place::Account => "this account",
            Place::Address => "sign-in from this network address",
        }
    }
}

/// How many wrong guesses a place takes before it is locked, and for how long.
///
/// Guesses come in rounds: the first round is `max_failures` guesses; when it ends wrong the place
/// is locked for `lock_for`. A limit that backs off then judges one guess per round, each lock
/// twice as long as the one before (at most `max_lock`), for as long as wrong guesses go on: only
/// `window` without any guess (and no lock in force) forgets the count and the locks. A sliding
/// limit counts the wrong guesses of the last `sliding` instead of the round's (a company's hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_failures: i64,
    /// After this long without a guess, and no lock in force, the count and the locks are forgotten.
    pub window: Duration,
    /// Count the wrong guesses of this last stretch of time (a sliding window) rather than the round's.
    pub sliding: Option<Duration>,
    /// How long the first lock lasts.
    pub lock_for: Duration,
    /// Whether each further lock doubles (and each round after the first is one guess).
    pub backoff: bool,
    pub max_lock: Duration,
}

impl Limit {
    /// A limit with a fixed lock.
    pub const fn fixed(max_failures: i64, window: Duration, lock_for: Duration) -> Limit {
        Limit { max_failures, window, sliding: None, lock_for, backoff: false, max_lock: lock_for }
    }

    /// A limit whose locks double, from `lock_for` up to `max_lock`, while wrong guesses go on,
    /// forgotten after `window` without a guess.
    pub const fn growing(max_failures: i64, window: Duration, lock_for: Duration, max_lock: Duration) -> Limit {
        Limit { max_failures, window, sliding: None, lock_for, backoff: true, max_lock }
    }

    /// How many guesses the round after `locks` earlier locks judges.
    pub fn round(&self, locks: i64) -> i64 {
        if locks > 0 && self.backoff {
            1
        } else {
            self.max_failures
        }
    }

    /// How long the lock that ends the round after `locks` earlier locks lasts.
    pub fn lock_for_round(&self, locks: i64) -> Duration {
        if !self.backoff {
            return self.lock_for;
        }
        let lock = self.lock_for * 2i32.pow(u32::try_from(locks.clamp(0, 20)).unwrap_or(20));
        if lock > self.max_lock {
            self.max_lock
        } else {
            lock
        }
    }
}

/// The limits of every place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub device: Limit,
    pub employee: Limit,
    pub company: Limit,
    pub account: Limit,
    pub address: Limit,
}

impl LockoutPolicy {
    pub fn limit(&self, place: Place) -> Limit {
        match place {
            Place::Device => self.device,
            Place::Employee => self.employee,
            Place::Company => self.company,
            Place::Account => self.account,
            Place::Address => self.address,
        }
    }

    /// What a worker reads after a wrong PIN with `tries_left` tries before `nearest` locks.
    pub fn wrong_pin_message(&self, nearest: Place, tries_left: i64) -> String {
        let tries = if tries_left == 1 { "1 more try".to_owned() } else { format!("{tries_left} more tries") };
        let lock = minutes(self.limit(nearest).lock_for);
        match nearest {
            Place::Device => format!("Wrong PIN. {tries} before this device locks for {lock}."),
            Place::Employee => format!("Wrong PIN. {tries} before this employee is locked for {lock}."),
            _ => format!("Wrong PIN. {tries} before PIN sign-in locks for {lock}."),
        }
    }
}

impl Default for LockoutPolicy {
    /// Ten wrong PINs on one device (a shared tablet sees everyone's typos), or five at one named
    /// employee, lock it for 15 minutes; while wrong PINs go on, each further one locks it again,
    /// twice as long each time, up to a day; three days without a wrong PIN forget it all. A hundred
    /// wrong PINs across a company in any hour (a sliding hour) lock its PIN sign-in the same way.
    /// Five wrong passwords for an account lock it for a minute, doubling with each further one up
    /// to an hour; thirty from one address in 15 minutes lock that address for 15 minutes.
    /// docs/SECURITY.md gives the arithmetic ([`days_to_find_a_pin`]).
    fn default() -> Self {
        let quarter = Duration::minutes(15);
        let (forget, day) = (Duration::days(3), Duration::days(1));
        LockoutPolicy {
            device: Limit::growing(10, forget, quarter, day),
            employee: Limit::growing(5, forget, quarter, day),
            company: Limit { sliding: Some(Duration::hours(1)), ..Limit::growing(100, forget, quarter, day) },
            account: Limit::growing(5, Duration::hours(24), Duration::minutes(1), Duration::hours(1)),
            address: Limit::fixed(30, quarter, quarter),
        }
    }
}

/// The most PINs an attacker gets judged per day on `devices` registered devices, each counted by
/// `device` and all of them by `company`: the best of guessing on at every chance, or of bursts
/// that wait for the count to be forgotten (for each, the number of single guesses after the first
/// round that gives the most per day).
pub fn most_guesses_per_day(device: Limit, company: Limit, devices: i64) -> f64 {
    let hours = |d: Duration| d.num_seconds() as f64 / 3600.0;
    // Guessing on forever: after the locks reach their longest, one guess per longest lock.
    let steady = 24.0 / hours(device.max_lock).max(1e-9);
    // Bursts: the first round, then `k` single guesses with growing locks, then waiting to be forgotten.
    let mut best = steady;
    let mut locked_hours = 0.0;
    for k in 0..64 {
        let cycle = locked_hours + hours(device.window);
        best = f64::max(best, (device.max_failures + k) as f64 * 24.0 / cycle);
        if !device.backoff {
            break;
        }
        locked_hours += hours(device.lock_for_round(k));
    }
    let per_device = best * devices as f64;
    // The company's count binds all devices together: at most its first round per forgetting.
    let company_cap = match company.sliding {
        Some(hour) => (company.max_failures as f64) * 24.0 / hours(hour).max(1e-9),
        None => f64::INFINITY,
    };
    per_device.min(company_cap)
}

/// On average, how many days `devices` devices guessing at the fastest pace the limits allow
/// need to hit any one of `employees` PINs of `digits` digits (a sign-in by PIN alone matches
/// anyone's): the expected number of guesses to the first hit, drawing without repeats among
/// 10^digits PINs of which `employees` are taken, `(S + 1) / (N + 1)`, at that pace.
pub fn days_to_find_a_pin(policy: &LockoutPolicy, devices: i64, employees: i64, digits: u32) -> f64 {
    let space = 10f64.powi(i32::try_from(digits).unwrap_or(i32::MAX));
    let guesses = (space + 1.0) / (employees as f64 + 1.0);
    guesses / most_guesses_per_day(policy.device, policy.company, devices)
}

/// What a person reads when `place` is locked for `left` more.
pub fn locked_message(place: Place, left: Duration) -> String {
    format!("Too many wrong attempts: {} is locked for {}. Try again later or ask an admin.", place.who(), minutes(left))
}

/// "15 minutes", "1 minute": whole minutes, rounded up.
pub fn minutes(duration: Duration) -> String {
    let minutes = (duration.num_seconds() + 59).div_euclid(60).max(1);
    if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences_in_whole_minutes() {
        let policy = LockoutPolicy::default();
        assert_eq!(policy.wrong_pin_message(Place::Device, 4), "Wrong PIN. 4 more tries before this device locks for 15 minutes.");
        assert_eq!(policy.wrong_pin_message(Place::Device, 1), "Wrong PIN. 1 more try before this device locks for 15 minutes.");
        assert_eq!(policy.wrong_pin_message(Place::Employee, 2), "Wrong PIN. 2 more tries before this employee is locked for 15 minutes.");
        assert_eq!(
            locked_message(Place::Device, Duration::seconds(14 * 60 + 1)),
            "Too many wrong attempts: this device is locked for 15 minutes. Try again later or ask an admin."
        );
        assert_eq!(locked_message(Place::Employee, Duration::seconds(30)), locked_message(Place::Employee, Duration::seconds(60)));
        assert!(locked_message(Place::Account, Duration::minutes(2)).contains("this account is locked for 2 minutes"));
    }

    /// The locks a run of wrong guesses causes, waiting out each lock before the next guess.
    fn locks_of_wrong_guesses(limit: Limit, guesses: usize) -> Vec<Option<i64>> {
        let (mut in_round, mut locks) = (0, 0);
        (0..guesses)
            .map(|_| {
                in_round += 1;
                if in_round < limit.round(locks) {
                    return None;
                }
                let lock = limit.lock_for_round(locks).num_minutes();
                (in_round, locks) = (0, locks + 1);
                Some(lock)
            })
            .collect()
    }

    #[test]
    fn a_fixed_limit_locks_at_its_count_each_round() {
        let limit = Limit::fixed(5, Duration::minutes(15), Duration::minutes(15));
        assert_eq!(locks_of_wrong_guesses(limit, 10), [None, None, None, None, Some(15), None, None, None, None, Some(15)]);
    }

    #[test]
    fn a_devices_lock_doubles_while_wrong_pins_go_on_up_to_a_day() {
        // The 10th wrong PIN locks for 15 minutes; each single wrong PIN after a lock ends locks
        // again for 30, 60, 120, 240, 480, 960 minutes, then a day each time.
        let locks = locks_of_wrong_guesses(LockoutPolicy::default().device, 19);
        let mut expected = vec![None; 9];
        expected.extend([15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440].map(Some));
        assert_eq!(locks, expected);
    }

    #[test]
    fn one_device_needs_more_than_a_year_and_two_more_than_six_months_to_find_any_six_digit_pin_of_500() {
        let policy = LockoutPolicy::default();
        // Worked: the best pace is a burst of 10 + 5 guesses (the 5 after locks of 15 min to 4 h,
        // 7.75 h in all) then three days' wait to be forgotten: 15 guesses per 79.75 h = 4.51 a day
        // (stopping after 4 or 6 single guesses gives 4.44 or 4.38; guessing on, 1 a day).
        let pace = most_guesses_per_day(policy.device, policy.company, 1);
        assert!((pace - 15.0 * 24.0 / 79.75).abs() < 1e-9, "{pace}");
        // (10^6 + 1) / 501 = 1,996 guesses to the first hit, on average.
        let one = days_to_find_a_pin(&policy, 1, 500, 6);
        let two = days_to_find_a_pin(&policy, 2, 500, 6);
        assert!(one > 365.0 && two > 182.0, "one device {one:.0} days, two {two:.0} days");
        assert!((one - 442.2).abs() < 0.1 && (two - 221.1).abs() < 0.1, "as docs/SECURITY.md says: {one:.1}, {two:.1}");
        // Four-digit PINs fall in days: why new PINs have six.
        assert!(days_to_find_a_pin(&policy, 1, 500, 4) < 10.0);
    }

    #[test]
    fn an_accounts_lock_doubles_with_each_further_wrong_password_up_to_an_hour() {
        // Worked example: the 5th wrong password locks for 1 minute; after it, each single wrong
        // password locks again, for 2, 4, 8, 16, 32 minutes, then an hour each time.
        let locks = locks_of_wrong_guesses(LockoutPolicy::default().account, 13);
        assert_eq!(locks, [None, None, None, None, Some(1), Some(2), Some(4), Some(8), Some(16), Some(32), Some(60), Some(60), Some(60)]);
    }
}
