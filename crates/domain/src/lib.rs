//! clockface's domain: the rules of a time clock with no I/O in them.
//!
//! Values that exist are valid: names, numbers and PINs are parsed once at the edge
//! (`EmployeeName::parse`, `Pin::parse`, ...) and carried as newtypes from then on.
//! The FaceFront rule lives in one function, [`punch::decide_photo`]; pairing punches
//! into shifts lives in [`timecard::build_time_card`]; time off (types, requests, balances,
//! holidays) lives in [`timeoff`] and joins a card through [`timecard::attach_time_off`].

pub mod approval;
pub mod company;
pub mod correction;
pub mod costing;
pub mod device;
pub mod employee;
pub mod error;
pub mod export;
pub mod ids;
pub mod job;
pub mod language;
pub mod lockout;
pub mod payroll;
pub mod privacy;
pub mod punch;
pub mod role;
pub mod secret;
pub mod text;
pub mod timecard;
pub mod timeoff;
pub mod user;
pub mod verification;

pub use error::DomainError;
