//! HTTP integration tests: each starts the real server on port 0 with a fresh database and a
//! fresh photo folder, waits for `/healthz`, and walks a flow over HTTP as a device or an admin would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod agreement;
mod bad_input;
mod breaks;
mod costing;
mod crews;
mod demo;
mod durability;
mod faces;
mod flows;
mod inputs;
mod keys;
mod kiosk;
mod liveness;
mod nodes;
mod outage;
mod pages;
mod payroll;
mod privacy;
mod process;
mod security;
mod timeoff;
mod timeoff_payroll;
mod trust;
mod upgrade;
mod users;
