//! Fresh, empty databases for tests: one per test, on either backend.

use sqlx::Connection;
use uuid::Uuid;

/// The PostgreSQL server tests create their databases on: `CLOCKFACE_TEST_POSTGRES_URL`, or the
/// local server on 127.0.0.1:5432 as user `postgres`. The README's test command sets the variable
/// after making sure a server answers (starting a throwaway one when none does).
pub fn postgres_server_url() -> String {
    std::env::var("CLOCKFACE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database named `clockface_test_<random>` on the test server and returns its URL.
/// Panics with the reason when the server cannot be reached: a test that needs PostgreSQL never
/// passes without it.
pub async fn fresh_postgres_url() -> String {
    let server = postgres_server_url();
    let mut connection = match sqlx::PgConnection::connect(&server).await {
        Ok(connection) => connection,
        Err(error) => panic!("cannot reach the test PostgreSQL at {server}: {error}; run the README's test command, which starts one"),
    };
    let name = format!("clockface_test_{}", Uuid::new_v4().simple());
    if let Err(error) = sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut connection).await {
        panic!("cannot create a test database on {server}: {error}");
    }
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// A SQLite database file in `folder`.
pub fn sqlite_url(folder: &std::path::Path) -> String {
    format!("sqlite://{}", folder.join("clockface.db").display())
}
