//! The `clockface` binary's library: configuration, starting the server, creating a company
//! and its first admin, and the demo. `main.rs` only parses the command line and calls these.

pub mod backup;
pub mod config;
pub mod demo;
pub mod keys;
pub mod server;

use anyhow::Context;
use clockface_domain::company::{parse_time_zone, Company, CompanyName, Email};
use clockface_domain::secret::{hash_secret, Password};
use clockface_store::{NewCompany, Store};

/// How many digits new PINs have at least unless a company chooses otherwise.
pub const DEFAULT_MIN_PIN_DIGITS: u8 = 6;

/// Creates a company and its first admin, new PINs of at least six digits. Argon2 runs on a
/// blocking thread.
pub async fn create_company(store: &dyn Store, name: &str, time_zone: &str, email: &str, password: &str) -> anyhow::Result<Company> {
    create_company_with(store, name, time_zone, email, password, DEFAULT_MIN_PIN_DIGITS).await
}

/// [`create_company`], new PINs of at least `min_pin_digits` digits (4 to 8).
pub async fn create_company_with(
    store: &dyn Store,
    name: &str,
    time_zone: &str,
    email: &str,
    password: &str,
    min_pin_digits: u8,
) -> anyhow::Result<Company> {
    if !(4..=8).contains(&min_pin_digits) {
        anyhow::bail!("--min-pin-digits must be 4 to 8");
    }
    let name = CompanyName::parse(name)?;
    let time_zone = parse_time_zone(time_zone)?;
    let admin_email = Email::parse(email)?;
    let password = Password::parse(password)?;
    let admin_password_hash = tokio::task::spawn_blocking(move || hash_secret(password.expose())).await?;
    let new = NewCompany { name, time_zone, admin_email, admin_password_hash, now: chrono::Utc::now(), min_pin_digits };
    let (company, _) = store.create_company(new).await.context("cannot create the company")?;
    Ok(company)
}

/// A random password for a new admin: 20 characters from an alphabet that reads aloud well.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}
