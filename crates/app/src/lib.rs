//! clockface's use cases: what the JSON API and the admin pages both do, written once, with no
//! HTTP in it (no axum, no status codes, no templates). Below it are the domain's rules, the store
//! and the face engine; above it `web`, whose two faces parse a request, call a use case here and
//! render its answer (JSON or a page). Errors are this crate's own ([`AppError`]), mapped once to
//! HTTP in `web/error.rs`. Scoping (the company, a supervisor's reach) is a parameter of every use
//! case, never something a handler remembers.
//!
//! Today it holds the shared services (the audit writer, key handling, the mailer, TOTP, the audit
//! witness, the bound on password hashing), sign-in, devices and their registration codes, who
//! may see a photo, users and their invitations, jobs' and cost codes' imports, checking an
//! employee's fields, payroll (the pay period overview, approvals, settings, exports and job
//! costing), and what the faces share of privacy (the policy as shown, the release's answer, the
//! audit viewer); docs/ARCHITECTURE.md lists what is still in `web` to move here.

pub mod audit;
pub mod devices;
pub mod employees;
pub mod error;
pub mod hashing;
pub mod jobs;
pub mod kiosk;
pub mod mail;
pub mod payroll;
pub mod photos;
pub mod privacy;
pub mod reviews;
pub mod scope;
pub mod sealed_pin;
pub mod secrets;
pub mod sign_in;
pub mod signing;
pub mod timecards;
pub mod timeoff;
pub mod tokens;
pub mod totp;
pub mod users;
pub mod witness;

pub use error::AppError;
