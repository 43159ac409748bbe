//! The keys in the data folder: made durably on a fresh install, checked against the database's
//! fingerprint, and a missing, damaged or different key is a plain start-up error saying what to
//! restore, never a backtrace.

use crate::helpers::*;
use clockface::config::Config;
use serde_json::json;

fn config(folder: &std::path::Path) -> Config {
    Config { listen: "127.0.0.1:0".parse().unwrap(), data_dir: folder.to_owned(), verification_workers: 0, ..Config::default() }
}

/// Writes a key file as an operator restoring one would: readable by its owner only (a key file
/// others can read is refused, see `a_key_file_others_can_read_is_refused_with_what_to_run`).
fn write_key(path: &std::path::Path, text: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The error `build_state` stops with, as a sentence.
async fn start_error(config: &Config) -> String {
    match clockface::server::build_state(config).await {
        Ok(_) => panic!("the server started"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test]
async fn a_lost_damaged_or_different_pin_key_stops_the_start_with_what_to_restore() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let key_path = app.data_dir().join("pin.key");
    let key = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(key.trim().len(), 64, "a fresh install made a 32-byte key");
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({})).await;
    app.employee(&admin, "Sam Lee", "1", &role, Some("4444")).await;
    let config = config(app.data_dir());
    let app = app.restart(0).await;
    let device = app.device(&admin, false).await;
    let signed_in = app.post(&device, "/api/v1/device/sign-in", json!({"pin": "4444"})).await;
    assert_eq!(signed_in.status(), reqwest::StatusCode::OK, "the same key after a restart finds the PIN");
    app.running.stop().await.unwrap();

    std::fs::remove_file(&key_path).unwrap();
    let error = start_error(&config).await;
    assert!(error.contains("pin.key is missing") && error.contains("Restore pin.key from this installation's backup"), "{error}");
    assert!(!key_path.exists(), "no new key was made over the data");

    write_key(&key_path, "");
    let error = start_error(&config).await;
    assert!(error.contains("is damaged (the file is empty)") && error.contains("Restore pin.key"), "{error}");

    write_key(&key_path, "ab".repeat(32));
    let error = start_error(&config).await;
    assert!(error.contains("not the key this database was made with"), "{error}");

    write_key(&key_path, key);
    assert!(clockface::server::build_state(&config).await.is_ok(), "the restored key starts the server again");
}

#[tokio::test]
async fn an_empty_folder_makes_a_key_and_a_recorded_key_is_never_replaced_silently() {
    let folder = tempfile::tempdir().unwrap();
    let config = config(folder.path());
    drop(clockface::server::build_state(&config).await.unwrap());
    let key_path = folder.path().join("pin.key");
    let first = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(first.len(), 64, "an empty data folder gets a new key");
    // Lost once the database has recorded it (even before any PIN was set): the server says so
    // rather than guess, since a new key would not match what the database recorded.
    std::fs::remove_file(&key_path).unwrap();
    let error = start_error(&config).await;
    assert!(error.contains("pin.key is missing"), "{error}");
    write_key(&key_path, &first);
    assert!(clockface::server::build_state(&config).await.is_ok());
}

#[tokio::test]
async fn a_key_file_others_can_read_is_refused_with_what_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let config = config(folder.path());
    drop(clockface::server::build_state(&config).await.unwrap());
    for name in ["pin.key", "secrets.key"] {
        let path = folder.path().join(name);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{name} is made readable by its owner only");
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = start_error(&config).await;
            assert!(
                error.contains(&format!("(its mode is {mode:03o})")) && error.contains(&format!("chmod 600 {}", path.display())),
                "{error}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert!(clockface::server::build_state(&config).await.is_ok(), "mode 600 starts");
}

#[test]
fn the_binary_says_what_is_missing_in_a_sentence_and_exits_1() {
    let folder = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
        .args(["admin", "create", "--company", "Acme", "--email", "ana@acme.test", "--password", "correct horse battery"])
        .arg("--data-dir")
        .arg(folder.path())
        .env("CLOCKFACE_LOG", "warn")
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    std::fs::remove_file(folder.path().join("pin.key")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(folder.path())
        .env("CLOCKFACE_LOG", "warn")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("clockface: ") && stderr.contains("pin.key is missing"), "{stderr}");
    assert!(!stderr.contains("backtrace") && !stderr.contains("panicked"), "{stderr}");
}
