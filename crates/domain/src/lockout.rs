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

/// How many wrong guesses a place takes within a window before it is locked, and for how long.
///
/// Guesses come in rounds: the first round is `max_failures` guesses; when it ends wrong the place
/// is locked for `lock_for`. A limit that backs off then judges one guess per round, each lock
/// twice as long as the one before (at most `max_lock`), until the window is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_failures: i64,
    /// Failures and locks older than this no longer count.
    pub window: Duration,
    /// How long the first lock lasts.
    pub lock_for: Duration,
    /// Whether each further lock doubles (and each round after the first is one guess).
    pub backoff: bool,
    pub max_lock: Duration,
}

impl Limit {
    /// A limit with a fixed lock.
    pub const fn fixed(max_failures: i64, window: Duration, lock_for: Duration) -> Limit {
        Limit { max_failures, window, lock_for, backoff: false, max_lock: lock_for }
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
    /// Five wrong PINs for one employee, or ten on one device, in 15 minutes lock for 15 minutes
    /// (a shared tablet sees everyone's typos); a hundred wrong PINs in an hour across a company
    /// lock its PIN sign-in for 15 minutes. Five wrong passwords for an account lock it for a
    /// minute, doubling with each further one up to an hour; thirty from one address in 15
    /// minutes lock that address for 15 minutes.
    fn default() -> Self {
        let quarter = Duration::minutes(15);
        LockoutPolicy {
            device: Limit::fixed(10, quarter, quarter),
            employee: Limit::fixed(5, quarter, quarter),
            company: Limit::fixed(100, Duration::hours(1), quarter),
            account: Limit {
                max_failures: 5,
                window: Duration::hours(24),
                lock_for: Duration::minutes(1),
                backoff: true,
                max_lock: Duration::hours(1),
            },
            address: Limit::fixed(30, quarter, quarter),
        }
    }
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
    fn an_accounts_lock_doubles_with_each_further_wrong_password_up_to_an_hour() {
        // Worked example: the 5th wrong password locks for 1 minute; after it, each single wrong
        // password locks again, for 2, 4, 8, 16, 32 minutes, then an hour each time.
        let locks = locks_of_wrong_guesses(LockoutPolicy::default().account, 13);
        assert_eq!(locks, [None, None, None, None, Some(1), Some(2), Some(4), Some(8), Some(16), Some(32), Some(60), Some(60), Some(60)]);
    }
}
