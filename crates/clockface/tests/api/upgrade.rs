//! Upgrades keep data: a data folder written by each earlier release that changed the schema
//! (tests/fixtures/README.md says which and how each was made, by that release's own binary), on
//! SQLite and on PostgreSQL, starts under this one with every employee, punch, photo byte,
//! verdict, template (sealed, and it opens), correction, approval and its audit chain; an upgrade
//! cut off anywhere resumes to the same end; and a start that refuses changes nothing.
//!
//! A fixture's key files are set to mode 600 after copying: git keeps only 644 and 755, and this
//! release refuses a key file others can read.

use crate::helpers::{Backend, TestApp};
use clockface::demo::{DEMO_EMAIL, DEMO_PASSWORD};
use clockface::server::CRASH_AT;
use clockface_store::inspect::{inspect, PLAIN_TEMPLATE_BYTES};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// An earlier release's data folder, and what it holds.
struct Fixture {
    /// Its folder under tests/fixtures.
    name: &'static str,
    /// PostgreSQL fixtures hold `dump.sql` (plain `pg_dump`) beside their keys and photos.
    postgres: bool,
    /// The weeks of the demo's punches (the release of 2026-12-01 picked the last five weekdays,
    /// across two weeks; later ones Monday to Friday of one).
    weeks: &'static [&'static str],
    /// The release had payroll: Sam Lee's Monday clock-in was moved and his card approved.
    corrected: bool,
    /// The release had `secrets.key` (and sealed its templates); before it, templates were plain.
    had_secrets_key: bool,
    /// The release had breaks: Ana Ruiz's demo week has a lunch break a day (ten more punches).
    breaks: bool,
    /// The release froze an approval's figures itself (migration 0013): they are kept byte for
    /// byte. Before it, approvals had none until this release's first start froze them.
    froze_figures: bool,
    /// The release kept each PIN's length (0013): the demo's six-digit PINs are not shorter than
    /// the company asks. Before it, every PIN counts as shorter (its length unknown).
    kept_pin_digits: bool,
    /// The release's audit witness signed its head into `audit-heads.log` (0013's trust release).
    witnessed: bool,
    /// make_fixture's step 3b: Sam Lee's two punches that arrived after his card's approval (on
    /// the approved week's Sunday), Grace Hopper's two flagged ones the Monday after (her
    /// clock-out reviewed), and `review-queue.json`, what the release's review queue listed.
    review_items: bool,
}

const RELEASE_2026_12_01: Fixture = Fixture {
    name: "data-2026-12-01",
    postgres: false,
    weeks: &["2026-11-23", "2026-11-30"],
    corrected: false,
    had_secrets_key: false,
    breaks: false,
    froze_figures: false,
    kept_pin_digits: false,
    witnessed: false,
    review_items: false,
};
const RELEASE_2026_12_01_PG: Fixture =
    Fixture { name: "data-2026-12-01-postgres", postgres: true, weeks: &["2026-11-30"], ..RELEASE_2026_12_01 };
const RELEASE_2026_12_02: Fixture = Fixture {
    name: "data-2026-12-02",
    postgres: false,
    weeks: &["2026-11-30"],
    corrected: true,
    had_secrets_key: true,
    ..RELEASE_2026_12_01
};
const RELEASE_2026_12_02_PG: Fixture = Fixture { name: "data-2026-12-02-postgres", postgres: true, ..RELEASE_2026_12_02 };
const RELEASE_BREAKS: Fixture = Fixture { name: "data-2026-12-02-breaks", breaks: true, ..RELEASE_2026_12_02 };
const RELEASE_BREAKS_PG: Fixture = Fixture { name: "data-2026-12-02-breaks-postgres", postgres: true, ..RELEASE_BREAKS };
const RELEASE_2026_12_06: Fixture = Fixture { name: "data-2026-12-06", ..RELEASE_BREAKS };
const RELEASE_2026_12_06_PG: Fixture = Fixture { name: "data-2026-12-06-postgres", postgres: true, ..RELEASE_BREAKS };
/// The trust release (migrations 0001-0013), the last before 0014.
const RELEASE_2026_12_07: Fixture =
    Fixture { name: "data-2026-12-07", froze_figures: true, kept_pin_digits: true, witnessed: true, ..RELEASE_BREAKS };
const RELEASE_2026_12_07_PG: Fixture = Fixture { name: "data-2026-12-07-postgres", postgres: true, ..RELEASE_2026_12_07 };
/// The passive liveness release (migrations 0001-0016), the last before 0017's head turn.
const RELEASE_LIVENESS: Fixture = Fixture { name: "data-2026-12-07-liveness", ..RELEASE_2026_12_07 };
const RELEASE_LIVENESS_PG: Fixture = Fixture { name: "data-2026-12-07-liveness-postgres", postgres: true, ..RELEASE_LIVENESS };
/// The release before the open review items (migrations 0001-0018, `3cc0751`), with review items.
const RELEASE_REVIEWS: Fixture = Fixture { name: "data-2026-12-07-reviews", review_items: true, ..RELEASE_LIVENESS };
const RELEASE_REVIEWS_PG: Fixture = Fixture { name: "data-2026-12-07-reviews-postgres", postgres: true, ..RELEASE_REVIEWS };
/// The release before the verdict on the punch's row (migrations 0001-0019, `f5789a2`).
const RELEASE_VERDICTS: Fixture = Fixture { name: "data-2026-12-07-verdicts", ..RELEASE_REVIEWS };
const RELEASE_VERDICTS_PG: Fixture = Fixture { name: "data-2026-12-07-verdicts-postgres", postgres: true, ..RELEASE_VERDICTS };
/// The release before the kiosk (migrations 0001-0021, `4e1160b`: time off and the verdict on the
/// punch's row), whose releases were signed as `2026-12`.
const RELEASE_KIOSK: Fixture = Fixture { name: "data-2026-12-08-kiosk", ..RELEASE_VERDICTS };
const RELEASE_KIOSK_PG: Fixture = Fixture { name: "data-2026-12-08-kiosk-postgres", postgres: true, ..RELEASE_KIOSK };

/// A fixture copied to a folder of its own (and for PostgreSQL, loaded into a database of the
/// test's own), as an operator would have it before starting the new release.
struct Installed {
    folder: tempfile::TempDir,
    database_url: Option<String>,
}

impl Installed {
    fn data_dir(&self) -> &Path {
        self.folder.path()
    }

    fn config(&self) -> clockface::config::Config {
        clockface::config::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: self.data_dir().to_owned(),
            database_url: self.database_url.clone().map(Into::into),
            verification_workers: 0,
            ..clockface::config::Config::default()
        }
    }

    fn url(&self) -> String {
        self.config().database_url()
    }

    /// Starts today's server on it.
    async fn start(&self) -> TestApp {
        let (dir, url) = (self.data_dir().to_owned(), self.database_url.clone());
        TestApp::spawn_with(Backend::Sqlite, move |config| {
            config.data_dir = dir;
            config.database_url = url.map(Into::into);
        })
        .await
    }

    /// The start-up error, as a sentence.
    async fn start_error(&self) -> String {
        match clockface::server::build_state(&self.config()).await {
            Ok(_) => panic!("the server started"),
            Err(error) => format!("{error:#}"),
        }
    }

    /// Everything a refused start must leave as it was: every file's bytes in the data folder
    /// (the SHA-256 of each, by path, and each folder), and for PostgreSQL the database's contents
    /// (a plain `pg_dump`).
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        read_tree(self.data_dir(), self.data_dir(), &mut files);
        if let Some(url) = &self.database_url {
            files.insert(PathBuf::from("<pg_dump>"), pg_dump(url).into_bytes());
        }
        // Except SQLite's `-shm` (left by a crash): the WAL's shared-memory index, which every
        // reader writes (read marks), even a read-only one; it holds no data and is rebuilt from
        // the `-wal` file, which is compared.
        files
            .into_iter()
            .filter(|(path, _)| !path.to_string_lossy().ends_with("-shm"))
            .map(|(path, bytes)| (path, hex::encode(Sha256::digest(bytes))))
            .collect()
    }
}

fn read_tree(root: &Path, folder: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // A folder is part of the snapshot too, even empty (a photo folder made anew).
            files.insert(path.strip_prefix(root).unwrap().join(""), b"<folder>".to_vec());
            read_tree(root, &path, files);
        } else {
            files.insert(path.strip_prefix(root).unwrap().to_owned(), std::fs::read(&path).unwrap());
        }
    }
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "dump.sql" || name == "README.md" || name == "review-queue.json" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `psql` or `pg_dump` (the README's test command installs PostgreSQL's client).
fn pg_tool(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}): the README's test command installs PostgreSQL's client"));
    assert!(output.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The database's contents as plain SQL.
fn pg_dump(url: &str) -> String {
    without_restrict(&pg_tool("pg_dump", &["--no-owner", "--no-privileges", url]))
}

/// A dump without the `\restrict` lines pg_dump 15.14 and later write: a psql meta-command with
/// a random key each time, which an older psql would stop at. What is left is the dump's SQL.
fn without_restrict(dump: &str) -> String {
    dump.lines().filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")).map(|l| format!("{l}\n")).collect()
}

/// Copies the fixture (keys set to 600, see the module's header) and loads its dump into a new
/// database named per test.
async fn install(fixture: &Fixture) -> Installed {
    let source = Path::new(FIXTURES).join(fixture.name);
    let database = if fixture.postgres { "dump.sql" } else { "clockface.db" };
    assert!(source.join(database).is_file(), "the fixture {} holds {database} in the repository", fixture.name);
    let folder = tempfile::tempdir().unwrap();
    copy_folder(&source, folder.path());
    for key in ["pin.key", "secrets.key"] {
        let path = folder.path().join(key);
        if path.exists() {
            set_mode(&path, 0o600);
        }
    }
    let database_url = if fixture.postgres {
        let url = clockface_store::testing::fresh_postgres_url().await;
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), without_restrict(&std::fs::read_to_string(source.join("dump.sql")).unwrap())).unwrap();
        pg_tool("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f", file.path().to_str().unwrap()]);
        Some(url)
    } else {
        None
    };
    Installed { folder, database_url }
}

fn shifts(card: &Value) -> Vec<&Value> {
    card["time_card"]["days"].as_array().unwrap().iter().flat_map(|d| d["shifts"].as_array().unwrap()).collect()
}

/// Every employee, punch, photo byte, verdict, template, correction, approval and the audit
/// chain of a started fixture, as the earlier release left them.
async fn assert_all_kept(app: &TestApp, fixture: &Fixture, installed: &Installed) {
    let token = &app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let employees: Value = app.get(token, "/api/v1/employees").await.json().await.unwrap();
    let mut names: Vec<(&str, &str)> =
        employees.as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e["id"].as_str().unwrap())).collect();
    names.sort_unstable();
    assert_eq!(names.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["Ana Ruiz", "Barack Obama", "Grace Hopper", "Sam Lee"]);
    let id = |name: &str| names.iter().find(|(n, _)| *n == name).unwrap().1;
    let store = &app.running.state.store;
    let company = store.company_ids().await.unwrap()[0];
    let punches = if fixture.breaks { 50 } else { 40 } + if fixture.review_items { 4 } else { 0 };
    assert_eq!(store.count_punches(company).await.unwrap(), punches, "four employees, five days, in and out (and Ana Ruiz's breaks)");

    let mut cards = Vec::new();
    for (name, _) in &names {
        let mut count = 0;
        for week in fixture.weeks {
            let card: Value = app.get(token, &format!("/api/v1/employees/{}/timecard?from={week}", id(name))).await.json().await.unwrap();
            count += shifts(&card).len();
            cards.push(card);
        }
        let late = usize::from(fixture.review_items && *name == "Sam Lee");
        assert_eq!(count, 5 + late, "{name} keeps the week's five shifts (and Sam Lee's Sunday that arrived after approval)");
    }

    // Every photo is served byte for byte as the fixture holds it, and keeps its verdict: one
    // clock-out photo was someone else's and still waits for a person.
    let photos = Path::new(FIXTURES).join(fixture.name).join("photos");
    let mut fixture_photos = BTreeMap::new();
    read_tree(&photos, &photos, &mut fixture_photos);
    let fixture_photos: BTreeMap<String, Vec<u8>> =
        fixture_photos.into_iter().map(|(path, bytes)| (path.file_name().unwrap().to_str().unwrap().to_owned(), bytes)).collect();
    let punches: Vec<&Value> = cards.iter().flat_map(shifts).flat_map(|s| [&s["start"], &s["end"]]).collect();
    let with_photos: Vec<&&Value> = punches.iter().filter(|p| p["photo_url"].is_string()).collect();
    assert_eq!(with_photos.len(), 20, "every FaceFront punch keeps its photo");
    let mut verdicts = BTreeMap::new();
    for punch in with_photos {
        let url = punch["photo_url"].as_str().unwrap();
        let response = app.get(token, url).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
        let bytes = response.bytes().await.unwrap();
        let sha = hex::encode(Sha256::digest(&bytes));
        assert_eq!(fixture_photos.get(&sha).map(Vec::as_slice), Some(&bytes[..]), "{url} is the fixture's photo, byte for byte");
        *verdicts.entry(punch["verification"]["verdict"].as_str().unwrap_or("none").to_owned()).or_insert(0) += 1;
    }
    assert_eq!(verdicts, BTreeMap::from([("match".to_owned(), 19), ("mismatch".to_owned(), 1)]), "every verdict is kept");
    // And the overview reads the same verdicts from the punches' own rows (0021 copies them there).
    let far = chrono::Duration::days(3650);
    let period_punches = store.period_punches(company, chrono::Utc::now() - far, chrono::Utc::now() + far).await.unwrap();
    let mut on_rows = BTreeMap::new();
    for punch in period_punches.iter().filter(|p| p.has_photo) {
        *on_rows.entry(punch.verdict.map_or("none", |v| v.as_str()).to_owned()).or_insert(0) += 1;
    }
    assert_eq!(on_rows, verdicts, "the overview sees every verdict");
    let queue: Value = app.get(token, "/api/v1/review-queue").await.json().await.unwrap();
    // The mismatch; with the script's step 3b, what the release itself listed (Grace Hopper's
    // flagged clock-in, and Sam Lee's two punches when the fixture was made more than a day after
    // their time, so that they came before the tablet's registration and were flagged).
    let listed = if fixture.review_items { listed_by_release(fixture).len() } else { 1 };
    assert_eq!(queue.as_array().unwrap().len(), listed, "the release's review queue, no more and no less: {queue}");

    // Both enrolled faces: stored sealed (none left plain), bound to their employee, and they
    // open with the folder's secrets.key.
    let key = &app.running.state.settings.secrets_key;
    let mut templates = 0;
    for (name, _) in &names {
        let employee = id(name).parse().unwrap();
        for template in store.templates(company, employee).await.unwrap() {
            assert_ne!(i64::try_from(template.embedding.len()).unwrap(), PLAIN_TEMPLATE_BYTES, "{name}'s template is sealed");
            assert!(clockface_web::verification::sealed_template_opens(key, employee, &template.embedding), "{name}'s template opens");
            templates += 1;
        }
    }
    assert_eq!(templates, 2, "Grace Hopper's and Barack Obama's templates");
    let found = inspect(&installed.url()).await.unwrap();
    assert_eq!((found.sealed_templates, found.plain_templates), (2, 0));
    assert!(found.fingerprint("pin.key").is_some() && found.fingerprint("secrets.key").is_some(), "both keys' fingerprints are recorded");

    // Sam Lee's corrected, approved card: the moved clock-in, its reason, the lock.
    let card: Value =
        app.get(token, &format!("/api/v1/employees/{}/timecard?from={}", id("Sam Lee"), fixture.weeks[0])).await.json().await.unwrap();
    if fixture.corrected {
        // An approved card shows its approved figures: the hour that arrived after approval is not in them.
        assert_eq!(card["time_card"]["seconds"], 159_000, "the hours with the correction");
        assert!(card.to_string().contains("Started early on site"), "the correction's reason");
        assert_eq!(card["locked"]["by"], "card", "{}", card["locked"]);
        // Frozen by the release itself or, before 0013, by this release's first start: either
        // way the card shows the approved figures, and they are what the punches count to now.
        assert_eq!(card["approved_figures"], true, "the card shows its approved figures");
        if !fixture.review_items {
            assert_eq!(card["changed_since_approval"], serde_json::json!([]), "nothing changed since the approval");
        }
    } else {
        assert!(card["locked"].is_null(), "that release approved nothing");
    }
    assert!(!card.to_string().contains("\"on_break\":true"), "Sam Lee took no break");
    let ana: Value =
        app.get(token, &format!("/api/v1/employees/{}/timecard?from={}", id("Ana Ruiz"), fixture.weeks[0])).await.json().await.unwrap();
    assert_eq!(ana.to_string().contains("\"on_break\":true"), fixture.breaks, "Ana Ruiz's breaks are kept (none before breaks)");

    // The demo's four employees have PINs. The company asks for six digits (0013's default);
    // PINs set before lengths were kept count as shorter, the trust release's six-digit ones do not.
    let policy: Value = app.get(token, "/api/v1/security/pin-policy").await.json().await.unwrap();
    let shorter = if fixture.kept_pin_digits { 0 } else { 4 };
    assert_eq!((policy["min_pin_digits"].as_i64(), policy["shorter_pins"].as_i64()), (Some(6), Some(shorter)), "{policy}");
    assert_eq!(store.verify_audit().await.unwrap(), vec![], "the audit log is unbroken across the upgrade");
}

/// Starts the fixture under this release, checks everything, then starts it again (nothing more
/// to do: the templates keep their sealed bytes) and checks again.
async fn upgrades(fixture: &Fixture) {
    let installed = install(fixture).await;
    let secrets_key = installed.data_dir().join("secrets.key");
    assert_eq!(secrets_key.exists(), fixture.had_secrets_key);
    let frozen = if fixture.froze_figures { approval_figures(&installed).await } else { vec![] };
    if fixture.froze_figures {
        assert!(matches!(frozen.as_slice(), [Some(_)]), "the release froze its one approval's figures: {frozen:?}");
    }
    let app = installed.start().await;
    assert_all_kept(&app, fixture, &installed).await;
    assert_trust_kept(&app, fixture, &installed, &frozen).await;
    let checks = active_checks(&installed).await;
    // Releases before 0017 had no head turn: an upgrade asks nobody for one. The fixtures with
    // review items come from a release that had it (its demo asks one role `when_unsure`).
    if !fixture.review_items {
        assert!(!checks.is_empty() && checks.iter().all(|c| c == "never"), "an upgrade asks nobody for a head turn: {checks:?}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&secrets_key).unwrap().permissions().mode() & 0o777, 0o600, "secrets.key is the server's alone");
    let sealed = sealed_templates(&app).await;
    let app = app.restart(0).await;
    assert_eq!(sealed_templates(&app).await, sealed, "a second start seals nothing again");
    assert_all_kept(&app, fixture, &installed).await;
    assert_trust_kept(&app, fixture, &installed, &frozen).await;
    app.running.stop().await.unwrap();
    if fixture.witnessed {
        let (code, said) = audit_verify(&installed);
        assert_eq!(code, Some(0), "{said}");
        assert!(said.contains("reaches every head the witness signed (1 company)"), "{said}");
    }
}

/// Each card approval's figures (JSON, as stored), by employee: the column migration 0013 added.
async fn approval_figures(installed: &Installed) -> Vec<Option<String>> {
    let sql = "SELECT figures FROM card_approvals ORDER BY employee_id";
    match &installed.database_url {
        // psql prints NULL as the empty string, which frozen figures (a JSON object) never are.
        Some(url) => pg_tool("psql", &["-X", "-A", "-t", "-d", url, "-c", sql])
            .lines()
            .map(|l| Some(l.to_owned()).filter(|l| !l.is_empty()))
            .collect(),
        None => {
            use sqlx::{ConnectOptions, Connection};
            let options: sqlx::sqlite::SqliteConnectOptions = installed.url().parse().unwrap();
            let mut connection = options.read_only(true).connect().await.unwrap();
            let rows = sqlx::query_scalar(sql).fetch_all(&mut connection).await.unwrap();
            connection.close().await.unwrap();
            rows
        }
    }
}

/// When each role's clock asks for a head turn (`roles.active_check`, migration 0017).
async fn active_checks(installed: &Installed) -> Vec<String> {
    let sql = "SELECT active_check FROM roles ORDER BY id";
    match &installed.database_url {
        Some(url) => pg_tool("psql", &["-X", "-A", "-t", "-d", url, "-c", sql]).lines().map(str::to_owned).collect(),
        None => {
            use sqlx::{ConnectOptions, Connection};
            let options: sqlx::sqlite::SqliteConnectOptions = installed.url().parse().unwrap();
            let mut connection = options.read_only(true).connect().await.unwrap();
            let rows = sqlx::query_scalar(sql).fetch_all(&mut connection).await.unwrap();
            connection.close().await.unwrap();
            rows
        }
    }
}

/// What the trust release (migration 0013) added, after the upgrade: the approval's figures (as
/// the release froze them, byte for byte, or frozen at this release's start for earlier ones),
/// the folder's own secrets.key, and the audit head the release's witness signed, which still
/// verifies with that key and is reached by the upgraded chain.
async fn assert_trust_kept(app: &TestApp, fixture: &Fixture, installed: &Installed, frozen: &[Option<String>]) {
    let figures = approval_figures(installed).await;
    if fixture.froze_figures {
        assert_eq!(figures, frozen, "the release's approved figures are kept as it froze them");
    } else if fixture.corrected {
        assert!(matches!(figures.as_slice(), [Some(_)]), "the earlier approval's figures are frozen at start: {figures:?}");
    } else {
        assert_eq!(figures, [], "that release approved nothing");
    }
    let source = Path::new(FIXTURES).join(fixture.name);
    if fixture.had_secrets_key {
        assert_eq!(
            std::fs::read(installed.data_dir().join("secrets.key")).unwrap(),
            std::fs::read(source.join("secrets.key")).unwrap(),
            "the folder's secrets.key is kept"
        );
    }
    if fixture.witnessed {
        let signed = std::fs::read(source.join("audit-heads.log")).unwrap();
        let now = std::fs::read(installed.data_dir().join("audit-heads.log")).unwrap();
        assert!(now.starts_with(&signed), "the witness file is appended to, never rewritten");
        let key = clockface_app::witness::HeadKey::derive(&app.running.state.settings.secrets_key).unwrap();
        let release = clockface_app::witness::read_file(&source.join("audit-heads.log")).unwrap();
        let store = app.running.state.store.as_ref();
        let (problems, heads) = clockface_app::witness::verify(store, &key, &[release]).await.unwrap();
        assert_eq!((problems, heads), (vec![], 1), "the release's signed head verifies and the upgraded chain reaches it");
    }
}

/// `clockface audit verify` on the installed folder (and database): its exit code and output.
fn audit_verify(installed: &Installed) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockface"));
    command.args(["audit", "verify", "--data-dir"]).arg(installed.data_dir());
    command.env("CLOCKFACE_LOG", "error").env_remove("CLOCKFACE_CONFIG");
    if let Some(url) = &installed.database_url {
        command.args(["--database-url", url]);
    }
    let output = command.output().unwrap();
    (output.status.code(), format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

async fn sealed_templates(app: &TestApp) -> Vec<Vec<u8>> {
    let store = &app.running.state.store;
    let company = store.company_ids().await.unwrap()[0];
    let mut all = Vec::new();
    for employee in store.employees(company, None).await.unwrap() {
        all.extend(store.templates(company, employee.id).await.unwrap().into_iter().map(|t| t.embedding));
    }
    all.sort();
    all
}

#[tokio::test]
async fn a_data_folder_of_the_release_of_2026_12_01_gets_secrets_key_and_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_2026_12_01).await;
}

#[tokio::test]
async fn a_database_of_the_release_of_2026_12_01_gets_secrets_key_and_keeps_everything_on_postgres() {
    upgrades(&RELEASE_2026_12_01_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_release_of_2026_12_02_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_2026_12_02).await;
}

#[tokio::test]
async fn a_database_of_the_release_of_2026_12_02_keeps_everything_on_postgres() {
    upgrades(&RELEASE_2026_12_02_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_breaks_release_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_BREAKS).await;
}

#[tokio::test]
async fn a_database_of_the_breaks_release_keeps_everything_on_postgres() {
    upgrades(&RELEASE_BREAKS_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_release_of_2026_12_06_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_2026_12_06).await;
}

#[tokio::test]
async fn a_database_of_the_release_of_2026_12_06_keeps_everything_on_postgres() {
    upgrades(&RELEASE_2026_12_06_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_trust_release_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_2026_12_07).await;
}

#[tokio::test]
async fn a_database_of_the_trust_release_keeps_everything_on_postgres() {
    upgrades(&RELEASE_2026_12_07_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_passive_liveness_release_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_LIVENESS).await;
}

#[tokio::test]
async fn a_database_of_the_passive_liveness_release_keeps_everything_on_postgres() {
    upgrades(&RELEASE_LIVENESS_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_release_before_open_review_items_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_REVIEWS).await;
}

#[tokio::test]
async fn a_database_of_the_release_before_open_review_items_keeps_everything_on_postgres() {
    upgrades(&RELEASE_REVIEWS_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_release_before_verdicts_on_punches_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_VERDICTS).await;
}

#[tokio::test]
async fn a_database_of_the_release_before_verdicts_on_punches_keeps_everything_on_postgres() {
    upgrades(&RELEASE_VERDICTS_PG).await;
}

#[tokio::test]
async fn a_data_folder_of_the_release_before_the_kiosk_keeps_everything_on_sqlite() {
    upgrades(&RELEASE_KIOSK).await;
}

#[tokio::test]
async fn a_database_of_the_release_before_the_kiosk_keeps_everything_on_postgres() {
    upgrades(&RELEASE_KIOSK_PG).await;
}

#[tokio::test]
async fn the_review_queue_of_the_release_before_verdicts_on_punches_is_kept_on_sqlite() {
    the_review_queue_is_kept(&RELEASE_VERDICTS).await;
}

#[tokio::test]
async fn the_review_queue_of_the_release_before_verdicts_on_punches_is_kept_on_postgres() {
    the_review_queue_is_kept(&RELEASE_VERDICTS_PG).await;
}

/// What the release's own review queue listed when the fixture was made (punch ids, in order).
fn listed_by_release(fixture: &Fixture) -> Vec<String> {
    serde_json::from_str(&std::fs::read_to_string(Path::new(FIXTURES).join(fixture.name).join("review-queue.json")).unwrap()).unwrap()
}

/// Migration 0019 finds the open review items and the punches that arrived after approval among
/// the punches an earlier release stored: the review queue lists what that release listed (its
/// own answer, `review-queue.json`), in the same order, with the same count, and the two punches
/// that arrived after Sam Lee's approval, until his card is reopened.
async fn the_review_queue_is_kept(fixture: &Fixture) {
    let installed = install(fixture).await;
    let listed = listed_by_release(fixture);
    assert_eq!(listed.len(), 2, "the release listed the mismatch and Grace Hopper's flagged clock-in");
    let app = installed.start().await;
    let token = &app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let queue: Value = app.get(token, "/api/v1/review-queue").await.json().await.unwrap();
    let ids: Vec<&str> = queue.as_array().unwrap().iter().map(|item| item["punch"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, listed, "the same punches, in the same order");
    let store = &app.running.state.store;
    let company = store.company_ids().await.unwrap()[0];
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 2, "and the same count");

    let employees = store.employees(company, None).await.unwrap();
    let sam = employees.iter().find(|e| e.name.as_str() == "Sam Lee").unwrap().id;
    let late = store.arrived_after_approval(company, None, 200).await.unwrap();
    assert_eq!(late.len(), 2, "Sam Lee's Sunday arrived after his card's approval: {late:?}");
    assert!(late.iter().all(|p| p.employee_id == sam), "{late:?}");
    assert!(late[0].received_at >= late[1].received_at, "latest arrived first");

    // Reviewing Grace Hopper's clock-in closes the last flagged item; reopening Sam Lee's card
    // takes his punches off the other list.
    let response = app.post(token, &format!("/api/v1/punches/{}/review", listed[0]), serde_json::json!({"decision": "this_is_them"})).await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(store.count_review_queue(company, None).await.unwrap(), 1);
    let start = late[0].occurred_at.with_timezone(&chrono_tz::America::Chicago).date_naive() - chrono::Duration::days(6);
    let body = serde_json::json!({"employee_id": sam, "reason": "a late punch"});
    let response = app.post(token, &format!("/api/v1/payroll/periods/{start}/reopen"), body).await;
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    assert_eq!(store.arrived_after_approval(company, None, 200).await.unwrap(), vec![], "a reopened card's punches are off the list");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn the_review_queue_of_the_release_before_open_review_items_is_kept_on_sqlite() {
    the_review_queue_is_kept(&RELEASE_REVIEWS).await;
}

#[tokio::test]
async fn the_review_queue_of_the_release_before_open_review_items_is_kept_on_postgres() {
    the_review_queue_is_kept(&RELEASE_REVIEWS_PG).await;
}

/// Runs the real binary on the installed fixture, told to stop dead at `point`; returns the
/// secrets.key it left.
fn crash_at(installed: &Installed, point: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockface"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(installed.data_dir()).env(CRASH_AT, point);
    command.env("CLOCKFACE_LOG", "warn");
    if let Some(url) = &installed.database_url {
        command.args(["--database-url", url]);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains(&format!("stopping dead at {point}")), "{:?}: {stderr}", output.status);
    std::fs::read_to_string(installed.data_dir().join("secrets.key")).unwrap()
}

/// The release of 2026-12-01's folder (no secrets.key, plain templates) is cut off after the new
/// key is written, after the migrations, and halfway through sealing; each time, starting again
/// keeps the key made, finishes the upgrade and ends where an uninterrupted one does.
async fn an_upgrade_cut_off_anywhere_resumes(fixture: &Fixture) {
    let backend = if fixture.postgres { "postgres:" } else { "sqlite:" };
    let all = clockface_store::inspect::known_migrations(backend).unwrap().len();
    for (point, migrations, sealed, plain) in [("keys-made", 2, 0, 2), ("migrated", all, 0, 2), ("sealed-one", all, 1, 1)] {
        let installed = install(fixture).await;
        let key = crash_at(&installed, point);
        let found = inspect(&installed.url()).await.unwrap();
        assert_eq!(found.applied.len(), migrations, "{point}: migrations applied when it stopped");
        assert_eq!((found.sealed_templates, found.plain_templates), (sealed, plain), "{point}: templates when it stopped");
        let app = installed.start().await;
        assert_eq!(std::fs::read_to_string(installed.data_dir().join("secrets.key")).unwrap(), key, "{point}: the key made is kept");
        assert_all_kept(&app, fixture, &installed).await;
        app.running.stop().await.unwrap();
    }
}

#[tokio::test]
async fn an_upgrade_cut_off_anywhere_resumes_on_sqlite() {
    an_upgrade_cut_off_anywhere_resumes(&RELEASE_2026_12_01).await;
}

#[tokio::test]
async fn an_upgrade_cut_off_anywhere_resumes_on_postgres() {
    an_upgrade_cut_off_anywhere_resumes(&RELEASE_2026_12_01_PG).await;
}

/// The folder the issue found: the release of 2026-12-06 started on the release of 2026-12-01's
/// folder applied migrations 0003-0012 and recorded pin.key's fingerprint, then refused for want
/// of a secrets.key no release had made. This release finishes that upgrade.
async fn a_folder_left_half_upgraded_recovers(fixture: &Fixture) {
    let installed = install(fixture).await;
    let store = clockface_store::connect(&installed.url()).await.unwrap();
    let pin_key = hex::decode(std::fs::read_to_string(installed.data_dir().join("pin.key")).unwrap().trim()).unwrap();
    store.record_key_fingerprint("pin.key", &clockface::keys::fingerprint(&pin_key), chrono::Utc::now()).await.unwrap();
    drop(store);
    assert!(!installed.data_dir().join("secrets.key").exists());
    let app = installed.start().await;
    assert_all_kept(&app, fixture, &installed).await;
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_folder_the_last_release_left_half_upgraded_recovers_on_sqlite() {
    a_folder_left_half_upgraded_recovers(&RELEASE_2026_12_01).await;
}

#[tokio::test]
async fn a_database_the_last_release_left_half_upgraded_recovers_on_postgres() {
    a_folder_left_half_upgraded_recovers(&RELEASE_2026_12_01_PG).await;
}

/// Records a migration this binary does not carry, as a newer release would have.
async fn record_future_migration(installed: &Installed) {
    let sql = "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
               VALUES (9999, 'from a newer release', CURRENT_TIMESTAMP, TRUE, X'00', 0)";
    match &installed.database_url {
        Some(url) => {
            pg_tool("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", &sql.replace("X'00'", "'\\x00'::bytea")]);
        }
        None => {
            use sqlx::{ConnectOptions, Connection};
            let options: sqlx::sqlite::SqliteConnectOptions = installed.url().parse().unwrap();
            let mut connection = options.connect().await.unwrap();
            sqlx::query(sql).execute(&mut connection).await.unwrap();
            connection.close().await.unwrap();
        }
    }
}

/// Each refusal: the start stops with a sentence saying what to do, and the data folder's bytes
/// (every file, and which files there are) and the PostgreSQL database's dump are exactly as before.
async fn a_refused_start_changes_nothing(first: &Fixture, last: &Fixture) {
    // The case: the first release's folder with its pin.key lost (its employees have PINs).
    let installed = install(first).await;
    let pin_key = installed.data_dir().join("pin.key");
    let kept = std::fs::read(&pin_key).unwrap();
    std::fs::remove_file(&pin_key).unwrap();
    let before = installed.snapshot();
    let error = installed.start_error().await;
    assert!(error.contains("pin.key is missing") && error.contains("Restore pin.key"), "{error}");
    assert_eq!(installed.snapshot(), before, "a missing key changes nothing");
    // Restored, the same folder upgrades as if nothing had happened.
    std::fs::write(&pin_key, kept).unwrap();
    set_mode(&pin_key, 0o600);
    let app = installed.start().await;
    assert_all_kept(&app, first, &installed).await;
    app.running.stop().await.unwrap();

    // A key file others can read.
    let installed = install(first).await;
    set_mode(&installed.data_dir().join("pin.key"), 0o644);
    let before = installed.snapshot();
    let error = installed.start_error().await;
    let chmod = format!("chmod 600 {}", installed.data_dir().join("pin.key").display());
    assert!(error.contains("can be read by users other than") && error.contains(&chmod), "{error}");
    assert_eq!(installed.snapshot(), before, "a key file others can read changes nothing");

    // A folder a crash left mid-upgrade (on SQLite, with commits still in its WAL file), then
    // its key lost: the WAL file is not folded into the database either.
    let installed = install(first).await;
    crash_at(&installed, "migrated");
    std::fs::remove_file(installed.data_dir().join("pin.key")).unwrap();
    let before = installed.snapshot();
    let error = installed.start_error().await;
    assert!(error.contains("pin.key is missing"), "{error}");
    assert_eq!(installed.snapshot(), before, "a start refused after a crash changes nothing");

    // A data folder copied without its photos.
    let installed = install(first).await;
    std::fs::remove_dir_all(installed.data_dir().join("photos")).unwrap();
    let before = installed.snapshot();
    let error = installed.start_error().await;
    assert!(error.contains("is missing, but the database lists 4 photos"), "{error}");
    assert_eq!(installed.snapshot(), before, "a lost photo folder changes nothing (and is not made anew)");

    // Another installation's secrets.key (the database recorded this one's fingerprint).
    let installed = install(last).await;
    std::fs::write(installed.data_dir().join("secrets.key"), "ab".repeat(32)).unwrap();
    set_mode(&installed.data_dir().join("secrets.key"), 0o600);
    let before = installed.snapshot();
    let error = installed.start_error().await;
    assert!(error.contains("secrets.key is not the key this database was made with"), "{error}");
    assert_eq!(installed.snapshot(), before, "a different key changes nothing");

    // A database a newer release migrated.
    let installed = install(last).await;
    record_future_migration(&installed).await;
    let before = installed.snapshot();
    let error = installed.start_error().await;
    assert!(error.contains("upgraded by a newer release") && error.contains("9999 (from a newer release)"), "{error}");
    assert_eq!(installed.snapshot(), before, "a database newer than the binary is left as it is");
}

#[tokio::test]
async fn a_refused_start_changes_nothing_on_sqlite() {
    a_refused_start_changes_nothing(&RELEASE_2026_12_01, &RELEASE_2026_12_07).await;
}

#[tokio::test]
async fn a_refused_start_changes_nothing_on_postgres() {
    a_refused_start_changes_nothing(&RELEASE_2026_12_01_PG, &RELEASE_2026_12_07_PG).await;
}
