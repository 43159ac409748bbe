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

/// The S3-compatible server tests put photos in (Garage, started by the README's test command),
/// from `CLOCKFACE_TEST_S3_ENDPOINT`, `_BUCKET`, `_REGION`, `_ACCESS_KEY_ID` and
/// `_SECRET_ACCESS_KEY`. Panics naming what is missing: a test that needs S3 never passes
/// without it.
pub fn s3_settings() -> crate::blobs::S3Settings {
    let var = |name: &str| match std::env::var(format!("CLOCKFACE_TEST_S3_{name}")) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("CLOCKFACE_TEST_S3_{name} is not set; run the README's test command, which starts a throwaway Garage"),
    };
    crate::blobs::S3Settings {
        endpoint: Some(var("ENDPOINT")),
        bucket: var("BUCKET"),
        region: var("REGION"),
        path_style: true,
        access_key_id: var("ACCESS_KEY_ID"),
        secret_access_key: var("SECRET_ACCESS_KEY").into(),
    }
}
