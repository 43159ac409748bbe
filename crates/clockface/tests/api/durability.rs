//! Acknowledged means on disk: every punch answered 201 survives a kill -9, and a power cut
//! (LazyFS, which drops every byte that was not fsynced), exactly once and with its photo's
//! bytes, on SQLite and on PostgreSQL; and a power cut in a fresh install's first minute leaves a
//! server that starts again.
//!
//! The power-cut tests need LazyFS (`../shared/tools/lazyfs`, see `process::shared_tool`). Where
//! it is absent, outside this repository's CI, they say they did not run; with
//! `CLOCKFACE_REQUIRE_LAZYFS=1` (set by `.ci/run`) its absence fails them.

use crate::process::{assert_all_kept, burst, create_company, prepare, shared_tool, wait_until, ServerProcess};
use reqwest::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const DEVICES: usize = 8;
const PER_DEVICE: usize = 32;

// ------------------------------------------------------------------------------------------
// LazyFS

/// A LazyFS mount: `root` holds what reached the "disk", `mount` is where the server writes.
/// LazyFS creates files as the user it runs as, so PostgreSQL's data gets a mount of its own run
/// as the `postgres` user (PostgreSQL wants its files to be its own).
struct LazyFs {
    tool: PathBuf,
    root: PathBuf,
    mount: PathBuf,
    fifo: PathBuf,
    log: PathBuf,
    for_postgres: bool,
    child: Option<Child>,
}

/// LazyFS mounts one at a time: in a full run under load, two FUSE mounts started at once were
/// seen to leave one never mounted.
static ONE_MOUNT_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl LazyFs {
    /// LazyFS, or `None` (after saying so) where it is absent and not required.
    fn find(test: &str) -> Option<PathBuf> {
        match shared_tool("lazyfs") {
            Some(tool) => Some(tool),
            None if std::env::var_os("CLOCKFACE_REQUIRE_LAZYFS").is_some() => {
                panic!("{test}: LazyFS is required here (CLOCKFACE_REQUIRE_LAZYFS) but ../shared/tools/lazyfs was not found")
            }
            None => {
                eprintln!("{test}: DID NOT RUN: LazyFS (../shared/tools/lazyfs) is not on this machine");
                None
            }
        }
    }

    /// A mount in `folder/name` (its disk in `folder/name-disk`) for the server, run as root.
    fn mount(tool: &Path, folder: &Path, name: &str) -> LazyFs {
        Self::new(tool, folder, name, false)
    }

    /// A mount for PostgreSQL's data, run as the `postgres` user; `folder` must let it through.
    fn mount_for_postgres(tool: &Path, folder: &Path, name: &str) -> LazyFs {
        Self::new(tool, folder, name, true)
    }

    fn new(tool: &Path, folder: &Path, name: &str, for_postgres: bool) -> LazyFs {
        // LazyFS makes its fifo in a folder of the user it runs as.
        let control = folder.join(format!("{name}-control"));
        std::fs::create_dir_all(&control).unwrap();
        if for_postgres {
            assert!(Command::new("chown").arg("postgres:postgres").arg(&control).status().unwrap().success());
            let fuse = Command::new("runuser").args(["-u", "postgres", "--", "test", "-r", "/dev/fuse", "-a", "-w", "/dev/fuse"]).status();
            assert!(
                fuse.is_ok_and(|s| s.success()),
                "the postgres user cannot open /dev/fuse, so LazyFS cannot mount PostgreSQL's data: as root, `chmod 666 /dev/fuse` \
                 (its usual mode; scripts/test does it)"
            );
        }
        let mut fs = LazyFs {
            tool: tool.to_owned(),
            root: folder.join(format!("{name}-disk")),
            mount: folder.join(name),
            fifo: control.join("faults.fifo"),
            log: control.join("lazyfs.log"),
            for_postgres,
            child: None,
        };
        fs.start();
        fs
    }

    /// `program` run as the user LazyFS runs as.
    fn as_owner(&self, program: &str) -> Command {
        let mut command = Command::new(if self.for_postgres { "runuser" } else { program });
        if self.for_postgres {
            command.args(["-u", "postgres", "--", program]);
        }
        command
    }

    fn start(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap();
        let child = if self.for_postgres {
            // The same settings as lazyfs-mount, without allow_other (which a user other than root
            // may not ask for here); only the postgres user reads this mount.
            for folder in [&self.root, &self.mount] {
                std::fs::create_dir_all(folder).unwrap();
                assert!(Command::new("chown").arg("postgres:postgres").arg(folder).status().unwrap().success());
            }
            let config = self.log.with_extension("toml");
            std::fs::write(
                &config,
                format!(
                    "[faults]\nfifo_path=\"{}\"\n[cache]\napply_eviction=false\n[cache.simple]\ncustom_size=\"2gb\"\nblocks_per_page=1\n\
                     [filesystem]\nlog_all_operations=false\nlogfile=\"\"\n",
                    self.fifo.display()
                ),
            )
            .unwrap();
            self.as_owner("env")
                .arg(format!("LD_LIBRARY_PATH={}", self.tool.display()))
                .arg(self.tool.join("lazyfs"))
                .arg(&self.mount)
                .arg("--config-path")
                .arg(&config)
                .args(["-o", "modules=subdir", "-o"])
                .arg(format!("subdir={}", self.root.display()))
                .arg("-f")
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
        } else {
            Command::new(self.tool.join("lazyfs-mount"))
                .args([&self.root, &self.mount, &self.fifo])
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
        };
        self.child = Some(child.expect("start LazyFS"));
        wait_until("LazyFS to mount", Duration::from_secs(120), || {
            self.as_owner("mountpoint").arg("-q").arg(&self.mount).status().is_ok_and(|s| s.success()) && self.fifo.exists()
        });
    }

    fn cleared(&self) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().matches("cache is cleared").count()
    }

    /// The power cut: every byte not fsynced is gone.
    fn cut_power(&self) {
        let before = self.cleared();
        std::fs::write(&self.fifo, "lazyfs::clear-cache\n").expect("write to the LazyFS fifo");
        wait_until("LazyFS to drop its cache", Duration::from_secs(60), || self.cleared() > before);
    }

    /// Unmounts and mounts again on the same disk, as after a reboot.
    fn remount(&mut self) {
        self.unmount();
        self.start();
    }

    /// Unmounts, trying again while the mount is busy (a killed PostgreSQL's backends can take a
    /// moment to let go of their files on a loaded machine); LazyFS exits once unmounted.
    fn unmount(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while self.as_owner("mountpoint").arg("-q").arg(&self.mount).status().is_ok_and(|s| s.success()) {
            if self.as_owner("fusermount3").arg("-u").arg(&self.mount).status().is_ok_and(|s| s.success()) {
                break;
            }
            if std::time::Instant::now() > deadline {
                // Still busy after a minute: stop LazyFS itself rather than wait for it forever.
                if let Some(child) = self.child.as_mut() {
                    let _ = child.kill();
                }
                let _ = self.as_owner("fusermount3").args(["-u", "-z"]).arg(&self.mount).status();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

impl Drop for LazyFs {
    fn drop(&mut self) {
        self.unmount();
    }
}

// ------------------------------------------------------------------------------------------
// A throwaway PostgreSQL cluster (for the power cut under PostgreSQL itself)

/// A PostgreSQL server of its own, its data in `data` (on LazyFS), listening only on a Unix
/// socket in `socket`, run as the `postgres` user in a process group of its own so that one
/// kill -9 stops all its processes at once, as a power cut does.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

impl Postgres {
    fn bin() -> PathBuf {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (Debian's postgresql package) are installed")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        versions.sort();
        versions.pop().expect("an initdb")
    }

    fn as_postgres(program: &Path) -> Command {
        let mut command = Command::new("setsid");
        command.args(["runuser", "-u", "postgres", "--"]).arg(program);
        command
    }

    /// A new cluster in `data`; every folder above it must let the `postgres` user through.
    fn init(data: &Path, socket: &Path) -> Postgres {
        let bin = Self::bin();
        std::fs::create_dir_all(socket).unwrap();
        assert!(Command::new("chown").args(["postgres:postgres"]).arg(socket).status().unwrap().success());
        let status = Self::as_postgres(&bin.join("initdb"))
            .args(["-D"])
            .arg(data)
            .args(["-U", "postgres", "--auth=trust", "--no-instructions"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb on LazyFS");
        let mut pg = Postgres { bin, data: data.to_owned(), socket: socket.to_owned(), child: None };
        pg.start();
        pg
    }

    fn start(&mut self) {
        let child = Self::as_postgres(&self.bin.join("postgres"))
            .arg("-D")
            .arg(&self.data)
            .args(["-c", "listen_addresses=", "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"])
            .args(["-c", "max_connections=100", "-k"])
            .arg(&self.socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let ready = self.bin.join("pg_isready");
        let socket = self.socket.clone();
        wait_until("PostgreSQL to accept connections", Duration::from_secs(120), || {
            Command::new(&ready).arg("-q").arg("-h").arg(&socket).status().is_ok_and(|s| s.success())
        });
    }

    /// A database URL for clockface (`?host=` is the socket folder).
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@localhost/{database}?host={}", self.socket.display())
    }

    fn create_database(&self, name: &str) {
        let status = Command::new("psql")
            .arg("-h")
            .arg(&self.socket)
            .args(["-U", "postgres", "-qc"])
            .arg(format!("CREATE DATABASE {name}"))
            .status()
            .unwrap();
        assert!(status.success(), "create the database");
    }

    /// Every process of the cluster killed at once.
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-9", "--", &group]).status();
            let _ = child.wait();
        }
        let data = self.data.clone();
        wait_until("PostgreSQL to be gone", Duration::from_secs(30), || {
            Command::new("pgrep").arg("-f").arg(format!("postgres -D {}", data.display())).status().is_ok_and(|s| !s.success())
        });
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.kill9();
    }
}

// ------------------------------------------------------------------------------------------
// The tests

/// Runs a burst against `server` and kills everything (server, and `also` — PostgreSQL) once
/// half of it was acknowledged; returns what was acknowledged.
async fn burst_then_kill(
    server: ServerProcess,
    company: &crate::process::Company,
    also: impl FnOnce(),
) -> std::collections::HashMap<uuid::Uuid, String> {
    let acked = Arc::new(AtomicUsize::new(0));
    let url = server.url.clone();
    let running = tokio::spawn({
        let (company, acked) = (company.clone(), acked.clone());
        async move { burst(&url, &company, PER_DEVICE, acked).await }
    });
    let half = DEVICES * PER_DEVICE / 2;
    let counter = acked.clone();
    tokio::task::spawn_blocking(move || {
        wait_until("half the burst to be acknowledged", Duration::from_secs(600), || counter.load(Ordering::SeqCst) >= half)
    })
    .await
    .unwrap();
    server.kill9();
    also();
    let acknowledged = running.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= half, "{} punches acknowledged", acknowledged.len());
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_power_cut_keeps_every_acknowledged_punch_and_photo_on_sqlite() {
    let Some(tool) = LazyFs::find("power cut on SQLite") else { return };
    let _alone = ONE_MOUNT_AT_A_TIME.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let mut fs = LazyFs::mount(&tool, folder.path(), "mnt");
    let data = fs.mount.join("data");
    create_company(&data, &[]);
    let server = ServerProcess::start(&data, &[]);
    let company = prepare(&Client::new(), &server.url, DEVICES).await;
    let acknowledged = burst_then_kill(server, &company, || fs.cut_power()).await;

    fs.remount();
    let server = ServerProcess::start(&data, &[]);
    let stored = assert_all_kept(&server.url, &company, &acknowledged).await;
    assert!(stored >= acknowledged.len() && stored <= DEVICES * PER_DEVICE, "{stored} punches stored");
    eprintln!("power cut on SQLite: {} acknowledged, all kept ({stored} stored)", acknowledged.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_power_cut_keeps_every_acknowledged_punch_on_postgres_and_photo_on_disk() {
    let Some(tool) = LazyFs::find("power cut on PostgreSQL") else { return };
    let _alone = ONE_MOUNT_AT_A_TIME.lock().await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::set_permissions(folder.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut fs = LazyFs::mount(&tool, folder.path(), "mnt");
    let mut pg_fs = LazyFs::mount_for_postgres(&tool, folder.path(), "pg");
    let mut pg = Postgres::init(&pg_fs.mount.join("data"), &folder.path().join("socket"));
    pg.create_database("clockface");
    let url = pg.url("clockface");
    let env = [("CLOCKFACE_DATABASE_URL", url.as_str())];
    let data = fs.mount.join("data");
    create_company(&data, &env);
    let server = ServerProcess::start(&data, &env);
    let company = prepare(&Client::new(), &server.url, DEVICES).await;
    let acknowledged = burst_then_kill(server, &company, || {
        pg.kill9();
        fs.cut_power();
        pg_fs.cut_power();
    })
    .await;

    fs.remount();
    pg_fs.remount();
    pg.start();
    let server = ServerProcess::start(&data, &env);
    let stored = assert_all_kept(&server.url, &company, &acknowledged).await;
    eprintln!("power cut on PostgreSQL: {} acknowledged, all kept ({stored} stored)", acknowledged.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_power_cut_in_a_fresh_installs_first_minute_leaves_a_server_that_starts() {
    let Some(tool) = LazyFs::find("power cut in the first minute") else { return };
    let _alone = ONE_MOUNT_AT_A_TIME.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let mut fs = LazyFs::mount(&tool, folder.path(), "mnt");
    let data = fs.mount.join("data");
    create_company(&data, &[]);
    let server = ServerProcess::start(&data, &[]);
    // What the operator was told had worked: the company (admin create returned), a role.
    let client = Client::new();
    let token = crate::process::login(&client, &server.url).await;
    let role = client
        .post(format!("{}/api/v1/roles", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Crew", "abilities": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(role.status(), reqwest::StatusCode::CREATED);
    server.kill9();
    fs.cut_power();

    fs.remount();
    let server = ServerProcess::start(&data, &[]);
    let token = crate::process::login(&client, &server.url).await;
    let roles: serde_json::Value =
        client.get(format!("{}/api/v1/roles", server.url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert!(roles.as_array().unwrap().iter().any(|r| r["name"] == "Crew"), "the acknowledged role is there: {roles}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_a_burst_keeps_every_acknowledged_punch_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    create_company(&data, &[]);
    let server = ServerProcess::start(&data, &[]);
    let company = prepare(&Client::new(), &server.url, DEVICES).await;
    let acknowledged = burst_then_kill(server, &company, || {}).await;
    let server = ServerProcess::start(&data, &[]);
    assert_all_kept(&server.url, &company, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_a_burst_keeps_every_acknowledged_punch_on_postgres() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let url = clockface_store::testing::fresh_postgres_url().await;
    let env = [("CLOCKFACE_DATABASE_URL", url.as_str())];
    create_company(&data, &env);
    let server = ServerProcess::start(&data, &env);
    let company = prepare(&Client::new(), &server.url, DEVICES).await;
    let acknowledged = burst_then_kill(server, &company, || {}).await;
    let server = ServerProcess::start(&data, &env);
    assert_all_kept(&server.url, &company, &acknowledged).await;
}
