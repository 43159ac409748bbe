//! Punch ingestion benchmark: the real server on loopback, many device clients each sending
//! punches with a ~100 KB FaceFront photo over HTTP, on SQLite and on PostgreSQL, with photos in
//! the local folder or in S3 (Garage), through one node or several sharing them.
//!
//! ```text
//! cargo run --release -p clockface --example ingest_bench -- [--clients 64] [--punches 3200]
//!     [--backend sqlite|postgres|both] [--photos local|s3|both] [--nodes 1,2] [--verdicts N]
//! ```
//!
//! It prints punches per second and latency percentiles, then checks that every acknowledged
//! punch can be read back (the count in the database, and every photo's bytes). Every
//! acknowledged punch is durable (fsynced photo, fsynced commit), so around each run it also
//! measures the disk's own limit in the same folder: 100 KB files written and fsynced (file and
//! folder), with 1 and with 16 writers; the ratio says how close ingest comes to the disk. With
//! `--verdicts N` it then sends N more punches per setup and times one verification worker per
//! node emptying the queue (verdicts per second). S3 is the server in `CLOCKFACE_TEST_S3_*`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clockface::config::Config;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[path = "support/photos.rs"]
mod photos;
use photos::{base_photo, photo};

struct Args {
    clients: usize,
    punches: usize,
    setups: Vec<Setup>,
    /// Punches whose photos are then verified, for the verdicts-per-second run (0: none).
    verdicts: usize,
}

/// One configuration to measure: database, photo store, and how many nodes share them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Setup {
    backend: &'static str,
    s3: bool,
    nodes: usize,
}

impl Setup {
    fn label(&self) -> String {
        let photos = if self.s3 { "S3 (Garage)" } else { "local folder" };
        let nodes = if self.nodes == 1 { "1 node".to_owned() } else { format!("{} nodes", self.nodes) };
        format!("{}, photos in {photos}, {nodes}", self.backend)
    }
}

fn args() -> Args {
    let mut args = Args { clients: 64, punches: 3200, setups: Vec::new(), verdicts: 0 };
    let (mut backends, mut photos, mut nodes) = (vec!["sqlite", "postgres"], vec![false], vec![1]);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => args.clients = value.parse().expect("--clients N"),
            "--punches" => args.punches = value.parse().expect("--punches N"),
            "--verdicts" => args.verdicts = value.parse().expect("--verdicts N"),
            "--backend" => {
                backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => panic!("unknown backend {other}"),
                }
            }
            // local, s3 or both; s3 uses the CLOCKFACE_TEST_S3_* server (the test command's Garage).
            "--photos" => {
                photos = match value.as_str() {
                    "local" => vec![false],
                    "s3" => vec![true],
                    "both" => vec![false, true],
                    other => panic!("unknown photo store {other}"),
                }
            }
            // 1, 2 or 1,2: nodes sharing the database and photo store, each with its own runtime.
            "--nodes" => nodes = value.split(',').map(|n| n.parse().expect("--nodes 1,2")).collect(),
            other => panic!("unknown flag {other}"),
        }
    }
    for &backend in &backends {
        for &s3 in &photos {
            for &n in &nodes {
                // Several nodes share one database and one photo store: SQLite and the photo
                // folder are one machine's files.
                if n > 1 && (backend == "sqlite" || !s3) {
                    continue;
                }
                args.setups.push(Setup { backend, s3, nodes: n });
            }
        }
    }
    args
}

/// The portrait as a phone would send it: 1024 px on its longer side, JPEG quality 90 (~100 KB).
/// POSTs `body` (or nothing) with `token` and returns the JSON answer.
async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Option<Value>) -> Value {
    let mut request = http.post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "setup call failed: {}", response.status());
    response.json().await.unwrap()
}

/// Files per second the disk takes when each 100 KB file is written, fsynced, and its folder
/// fsynced, by `writers` threads at once (as durable photo writes are).
fn disk_limit(folder: &std::path::Path, writers: usize) -> f64 {
    use std::io::Write;
    let per_writer = 400 / writers.max(1) + 25;
    let bytes = vec![0x5Au8; 100 * 1024];
    let start = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (bytes, folder) = (&bytes, folder.join(format!("disk-{w}")));
            scope.spawn(move || {
                std::fs::create_dir_all(&folder).unwrap();
                for i in 0..per_writer {
                    let mut file = std::fs::File::create(folder.join(format!("{i}"))).unwrap();
                    file.write_all(bytes).unwrap();
                    file.sync_all().unwrap();
                    std::fs::File::open(&folder).unwrap().sync_all().unwrap();
                }
            });
        }
    });
    let rate = (writers * per_writer) as f64 / start.elapsed().as_secs_f64();
    for w in 0..writers {
        let _ = std::fs::remove_dir_all(folder.join(format!("disk-{w}")));
    }
    rate
}

fn main() {
    let args = args();
    let folder = tempfile::tempdir().unwrap();
    println!("| setup | clients | punches | photo | seconds | punches/s | p50 ms | p99 ms | max ms | refused | read back | disk, 1 writer (files/s) | disk, 16 writers (files/s) | punches/s ÷ disk 16 |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for setup in &args.setups {
        let (one, sixteen) = (disk_limit(folder.path(), 1), disk_limit(folder.path(), 16));
        let rate = ingest(*setup, args.clients, args.punches, false);
        let (one_after, sixteen_after) = (disk_limit(folder.path(), 1), disk_limit(folder.path(), 16));
        println!(
            "| | | | | | | | | | | | {one:.0} before, {one_after:.0} after | {sixteen:.0} before, {sixteen_after:.0} after | {:.2} |",
            rate / ((sixteen + sixteen_after) / 2.0)
        );
    }
    if args.verdicts > 0 {
        println!();
        println!("| setup | workers | photos | seconds | verdicts/s |");
        println!("|---|---|---|---|---|");
        for setup in &args.setups {
            ingest(*setup, args.clients.min(args.verdicts), args.verdicts, true);
        }
    }
}

/// Nodes in this process, each on its own tokio runtime (as it would be in its own process),
/// all on one database and one photo store.
struct Cluster {
    runtimes: Vec<tokio::runtime::Runtime>,
    nodes: Vec<clockface::server::Running>,
    _folder: tempfile::TempDir,
}

fn cluster(setup: Setup) -> Cluster {
    let folder = tempfile::tempdir().unwrap();
    let database = match setup.backend {
        "postgres" => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            Some(runtime.block_on(clockface_store::testing::fresh_postgres_url()))
        }
        _ => None,
    };
    let mut runtimes = Vec::new();
    let mut nodes = Vec::new();
    for n in 0..setup.nodes {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let data_dir = folder.path().join(format!("node-{n}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        // Every node gets the first node's PIN key, as docs/DEPLOY.md says.
        if n > 0 {
            std::fs::copy(folder.path().join("node-0").join("pin.key"), data_dir.join("pin.key")).unwrap();
        }
        let running = runtime.block_on(async {
            let mut config = Config {
                listen: "127.0.0.1:0".parse().unwrap(),
                data_dir,
                log: Some("warn".into()),
                verification_workers: 0,
                node_name: Some(format!("bench-{n}")),
                database_url: database.clone().map(Into::into),
                ..Config::default()
            };
            if setup.s3 {
                let s3 = clockface_store::testing::s3_settings();
                config.photo_store = format!("s3://{}", s3.bucket);
                config.s3_endpoint = s3.endpoint;
                config.s3_region = s3.region;
                config.s3_access_key_id = Some(s3.access_key_id);
                config.s3_secret_access_key = Some(s3.secret_access_key);
            }
            let state = clockface::server::build_state(&config).await.unwrap();
            clockface::server::start(config.listen, state).await.unwrap()
        });
        runtimes.push(runtime);
        nodes.push(running);
    }
    Cluster { runtimes, nodes, _folder: folder }
}

/// Sends `punches` punches from `clients` devices, spread over the cluster's nodes in turn; with
/// `verify`, then runs one verification worker on every node and times the queue to empty.
/// One run of `setup`; prints its row and returns acknowledged punches per second.
fn ingest(setup: Setup, clients: usize, punches: usize, verify: bool) -> f64 {
    let Cluster { runtimes, nodes, _folder } = cluster(setup);
    let count_store = nodes[0].state.store.clone();
    let bases: Vec<String> = nodes.iter().map(|n| format!("http://{}", n.addr)).collect();
    let base = bases[0].clone();
    let args = Args { clients, punches, setups: Vec::new(), verdicts: 0 };
    let client_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (latencies, refused, elapsed, company, acknowledged) = client_runtime.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build().unwrap();
        let store = count_store.clone();
        clockface::create_company(store.as_ref(), "Bench Co", "UTC", "bench@bench.test", "bench password 1").await.unwrap();
        let credentials = json!({"email": "bench@bench.test", "password": "bench password 1"});
        let login = post(&http, format!("{base}/api/v1/auth/login"), None, Some(credentials)).await;
        let admin = login["token"].as_str().unwrap().to_owned();
        let company: clockface_domain::ids::CompanyId = login["me"]["company_id"].as_str().unwrap().parse().unwrap();
        let crew = json!({"name": "Crew", "abilities": {"face_front": true}});
        let role = post(&http, format!("{base}/api/v1/roles"), Some(&admin), Some(crew)).await;
        let mut employees = Vec::new();
        for i in 0..args.clients {
            let body = json!({"name": format!("Worker {i}"), "number": format!("{i}"), "role_id": role["id"]});
            let employee = post(&http, format!("{base}/api/v1/employees"), Some(&admin), Some(body)).await;
            employees.push(employee["id"].as_str().unwrap().to_owned());
        }
        let code = post(&http, format!("{base}/api/v1/devices/registration-codes"), Some(&admin), None).await;
        let registered = post(
            &http,
            format!("{base}/api/v1/device/register"),
            None,
            Some(json!({"code": code["code"], "name": "bench", "has_front_camera": true})),
        )
        .await;
        let device = registered["token"].as_str().unwrap().to_owned();
        let sync = post(&http, format!("{base}/api/v1/device/sync"), Some(&device), None).await;
        let version = sync["settings_version"].as_i64().unwrap();

        let per_client = args.punches / args.clients;
        let base_jpeg = base_photo();
        let photos: Vec<Vec<Vec<u8>>> =
            (0..args.clients).map(|c| (0..per_client).map(|i| photo(&base_jpeg, c * per_client + i)).collect()).collect();
        let start = Instant::now();
        let tasks = employees.into_iter().zip(photos).enumerate().map(|(c, (employee, photos))| {
            let (http, bases, device) = (http.clone(), bases.clone(), device.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(photos.len());
                let mut refused = 0usize;
                let mut acknowledged = Vec::new();
                let t0 = chrono::Utc::now() - chrono::Duration::days(3);
                for (i, photo) in photos.into_iter().enumerate() {
                    let kind = if i % 2 == 0 { "in" } else { "out" };
                    let at = t0 + chrono::Duration::minutes(i64::try_from(i).unwrap() * 30);
                    let body = json!({"client_id": uuid::Uuid::new_v4(), "employee_id": employee, "kind": kind,
                                      "device_time": at.to_rfc3339(), "settings_version": version});
                    let form = Form::new()
                        .part("punch", Part::text(body.to_string()).mime_str("application/json").unwrap())
                        .part("photo", Part::bytes(photo).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
                    let sent = Instant::now();
                    let base = &bases[(c + i) % bases.len()];
                    let response = http.post(format!("{base}/api/v1/punches")).bearer_auth(&device).multipart(form).send().await;
                    match response {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            let stored: Value = r.json().await.unwrap();
                            latencies.push(sent.elapsed());
                            let id: clockface_domain::ids::PunchId = stored["punch"]["id"].as_str().unwrap().parse().unwrap();
                            acknowledged.push((id, stored["punch"]["photo_sha256"].as_str().unwrap().to_owned()));
                        }
                        _ => refused += 1,
                    }
                }
                (latencies, refused, acknowledged)
            })
        });
        let results = futures::future::join_all(tasks).await;
        let elapsed = start.elapsed();
        let mut latencies = Vec::new();
        let mut refused = 0;
        let mut acknowledged = Vec::new();
        for result in results {
            let (l, r, a) = result.unwrap();
            latencies.extend(l);
            refused += r;
            acknowledged.extend(a);
        }
        (latencies, refused, elapsed, company, acknowledged)
    });

    // Read back: the count of stored punches, and every acknowledged photo's bytes.
    let read_back = runtimes[0].block_on(async {
        let stored = count_store.count_punches(company).await.unwrap();
        assert_eq!(usize::try_from(stored).unwrap(), acknowledged.len(), "every acknowledged punch is stored, once");
        for (_, sha) in &acknowledged {
            let bytes = nodes[0].state.blobs.get(company, sha).await.unwrap();
            assert_eq!(&clockface_store::blobs::sha256_hex(&bytes), sha);
        }
        stored
    });

    if verify {
        // One worker per node, all started at once, on the queue the punches filled.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let start = Instant::now();
        let workers: Vec<_> = nodes
            .iter()
            .zip(&runtimes)
            .map(|(node, runtime)| runtime.spawn(clockface_web::verification::run_worker(node.state.clone(), stopped.clone())))
            .collect();
        runtimes[0].block_on(async {
            while count_store.pending_verification_jobs().await.unwrap() > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let seconds = start.elapsed().as_secs_f64();
        let _ = stop.send(true);
        for (worker, runtime) in workers.into_iter().zip(&runtimes) {
            runtime.block_on(worker).unwrap();
        }
        let verdicts = runtimes[0].block_on(async {
            let ids: Vec<_> = acknowledged.iter().map(|(id, _)| *id).collect();
            count_store.verifications(company, &ids).await.unwrap().len()
        });
        assert_eq!(verdicts, acknowledged.len(), "every photo got its verdict");
        println!("| {} | {} (1 per node) | {verdicts} | {seconds:.1} | {:.1} |", setup.label(), nodes.len(), verdicts as f64 / seconds);
    }
    for (node, runtime) in nodes.into_iter().zip(&runtimes) {
        runtime.block_on(async { node.stop().await.unwrap() });
    }
    if verify {
        return 0.0;
    }

    let mut sorted = latencies.clone();
    sorted.sort();
    let pct =
        |p: f64| sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(Duration::ZERO).as_secs_f64() * 1000.0;
    println!(
        "| {} | {} | {} | {} KB | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {refused} | {read_back}/{} | | | |",
        setup.label(),
        args.clients,
        latencies.len(),
        base_photo().len() / 1024,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(1.0),
        acknowledged.len(),
    );
    latencies.len() as f64 / elapsed.as_secs_f64()
}
