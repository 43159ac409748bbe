//! Punch ingestion benchmark: the real server on loopback, many device clients each sending
//! punches with a ~100 KB FaceFront photo over HTTP, on SQLite and on PostgreSQL.
//!
//! ```text
//! cargo run --release -p clockface --example ingest_bench -- [--clients 64] [--punches 3200] [--backend sqlite|postgres|both]
//! ```
//!
//! It prints punches per second and latency percentiles, then checks that every acknowledged
//! punch can be read back (the count in the database, and every photo's bytes). Every
//! acknowledged punch is durable (fsynced photo, fsynced commit), so around each run it also
//! measures the disk's own limit in the same folder: 100 KB files written and fsynced (file and
//! folder), with 1 and with 16 writers; the ratio says how close ingest comes to the disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clockface::config::Config;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const FACE: &[u8] = include_bytes!("../assets/demo/obama-2.jpg");

struct Args {
    clients: usize,
    punches: usize,
    backends: Vec<&'static str>,
}

fn args() -> Args {
    let mut args = Args { clients: 64, punches: 3200, backends: vec!["sqlite", "postgres"] };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => args.clients = value.parse().expect("--clients N"),
            "--punches" => args.punches = value.parse().expect("--punches N"),
            "--backend" => {
                args.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => panic!("unknown backend {other}"),
                }
            }
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// The portrait as a phone would send it: 1024 px on its longer side, JPEG quality 90 (~100 KB).
fn base_photo() -> Vec<u8> {
    let image = image::load_from_memory(FACE).unwrap().resize(1024, 1024, image::imageops::FilterType::Triangle).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
    out
}

/// A unique photo per punch (a real device never sends the same one twice): the base photo with
/// a comment segment after its start marker.
fn photo(base: &[u8], n: usize) -> Vec<u8> {
    let comment = format!("clockface bench punch {n}");
    let length = u16::try_from(comment.len() + 2).unwrap();
    let mut bytes = Vec::with_capacity(base.len() + comment.len() + 4);
    bytes.extend_from_slice(&base[..2]);
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(comment.as_bytes());
    bytes.extend_from_slice(&base[2..]);
    bytes
}

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
    println!("| backend | clients | punches | photo | seconds | punches/s | p50 ms | p99 ms | max ms | refused | read back | disk, 1 writer (files/s) | disk, 16 writers (files/s) | punches/s ÷ disk 16 |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for backend in &args.backends {
        let (one, sixteen) = (disk_limit(folder.path(), 1), disk_limit(folder.path(), 16));
        let rate = run(backend, &args);
        let (one_after, sixteen_after) = (disk_limit(folder.path(), 1), disk_limit(folder.path(), 16));
        println!(
            "| | | | | | | | | | | | {:.0} before, {:.0} after | {:.0} before, {:.0} after | {:.2} |",
            one,
            one_after,
            sixteen,
            sixteen_after,
            rate / ((sixteen + sixteen_after) / 2.0)
        );
    }
}

/// One run on `backend`; prints its row and returns acknowledged punches per second.
fn run(backend: &str, args: &Args) -> f64 {
    let folder = tempfile::tempdir().unwrap();
    // The server gets its own runtime, as it would in its own process.
    let server_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (running, count_store) = server_runtime.block_on(async {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: folder.path().to_owned(),
            log: Some("warn".into()),
            verification_workers: 0,
            ..Config::default()
        };
        if backend == "postgres" {
            config.database_url = Some(clockface_store::testing::fresh_postgres_url().await.into());
        }
        let state = clockface::server::build_state(&config).await.unwrap();
        let store = state.store.clone();
        (clockface::server::start(config.listen, state).await.unwrap(), store)
    });
    let base = format!("http://{}", running.addr);
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
        let tasks = employees.into_iter().zip(photos).map(|(employee, photos)| {
            let (http, base, device) = (http.clone(), base.clone(), device.clone());
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
                    let response = http.post(format!("{base}/api/v1/punches")).bearer_auth(&device).multipart(form).send().await;
                    match response {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            let stored: Value = r.json().await.unwrap();
                            latencies.push(sent.elapsed());
                            acknowledged.push(stored["punch"]["photo_sha256"].as_str().unwrap().to_owned());
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
    let read_back = server_runtime.block_on(async {
        let stored = count_store.count_punches(company).await.unwrap();
        assert_eq!(usize::try_from(stored).unwrap(), acknowledged.len(), "every acknowledged punch is stored, once");
        for sha in &acknowledged {
            let bytes = running.state.blobs.get(company, sha).await.unwrap();
            assert_eq!(&clockface_store::blobs::sha256_hex(&bytes), sha);
        }
        stored
    });
    server_runtime.block_on(async { running.stop().await.unwrap() });

    let mut sorted = latencies.clone();
    sorted.sort();
    let pct =
        |p: f64| sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(Duration::ZERO).as_secs_f64() * 1000.0;
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "| {backend} | {} | {} | {} KB | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {refused} | {read_back}/{} | | | |",
        args.clients,
        latencies.len(),
        base_photo().len() / 1024,
        elapsed.as_secs_f64(),
        rate,
        pct(0.50),
        pct(0.99),
        pct(1.0),
        acknowledged.len(),
    );
    rate
}
