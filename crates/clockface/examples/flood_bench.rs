//! Flood benchmark: what unauthenticated work does to the server. The real server in this
//! process (behind a "proxy": it trusts `X-Forwarded-For`), then, at once, 1,000 sign-ins with
//! wrong passwords (each one would take argon2's 19 MiB if nothing bounded it) from one address,
//! and again from 1,000 addresses (so that the address lock does not stop them before the hash),
//! while a device keeps sending punches and a monitor keeps asking `/healthz`; then 16 enrolment
//! uploads at once of a JPEG that decodes to 8000x5000 pixels. It prints the process's memory (resident set, sampled every 20 ms) before, at its
//! peak and after, how the sign-ins were answered, and the latency of `/healthz` and of the
//! punches during the flood.
//!
//! ```text
//! cargo run --release -p clockface --example flood_bench -- [--logins 1000]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clockface::config::Config;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server process's id (the bench runs the server in a child process of its own, so that
/// the clients' memory is not counted).
static SERVER: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// The resident set of the server process, in MiB.
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string(format!("/proc/{}/statm", SERVER.get().copied().unwrap_or(0))).unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn percentile(values: &mut [Duration], p: f64) -> f64 {
    values.sort();
    values.get(((values.len() as f64 - 1.0) * p).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A JPEG of 8000x5000 pixels that compresses to about 600 KB (flat colour with a little noise).
fn bomb() -> Vec<u8> {
    let mut image = image::RgbImage::from_pixel(8000, 5000, image::Rgb([120, 130, 140]));
    for (i, pixel) in image.pixels_mut().enumerate() {
        if i % 97 == 0 {
            *pixel = image::Rgb([(i % 251) as u8, 40, 200]);
        }
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 40).encode_image(&image).unwrap();
    out
}

/// The server half: `flood_bench --serve DATA_DIR` serves there and prints its address.
fn serve(data_dir: &std::path::Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.to_owned(),
            log: Some("error".into()),
            verification_workers: 0,
            trust_forwarded_for: true,
            ..Config::default()
        };
        let state = clockface::server::build_state(&config).await.unwrap();
        clockface::create_company(state.store.as_ref(), "Flood Co", "UTC", "ana@flood.test", "flood password 1").await.unwrap();
        let running = clockface::server::start(config.listen, state).await.unwrap();
        println!("serving on http://{}", running.addr);
        running.wait().await.unwrap();
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(dir) = args.iter().position(|a| a == "--serve").and_then(|i| args.get(i + 1)) {
        return serve(std::path::Path::new(dir));
    }
    let logins: usize = args.iter().skip_while(|a| *a != "--logins").nth(1).map_or(1000, |n| n.parse().unwrap());
    let folder = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .arg(folder.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    SERVER.set(server.id()).unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut line).unwrap();
    let base = line.trim().strip_prefix("serving on ").expect("the server says where it serves").to_owned();
    let client_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    client_runtime.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let post = |path: &str, token: Option<String>, body: Value| {
            let mut request = http.post(format!("{base}{path}")).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let admin: Value = post("/api/v1/auth/login", None, json!({"email": "ana@flood.test", "password": "flood password 1"})).await.unwrap().json().await.unwrap();
        let admin = admin["token"].as_str().unwrap().to_owned();
        let role: Value = post("/api/v1/roles", Some(admin.clone()), json!({"name": "Crew", "abilities": {}})).await.unwrap().json().await.unwrap();
        let worker: Value =
            post("/api/v1/employees", Some(admin.clone()), json!({"name": "Sam", "number": "1", "role_id": role["id"], "pin": "4444"})).await.unwrap().json().await.unwrap();
        let code: Value = post("/api/v1/devices/registration-codes", Some(admin.clone()), json!({})).await.unwrap().json().await.unwrap();
        let device: Value =
            post("/api/v1/device/register", None, json!({"code": code["code"], "name": "tablet", "has_front_camera": false})).await.unwrap().json().await.unwrap();
        let device = device["token"].as_str().unwrap().to_owned();

        let peak = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    peak.fetch_max(rss_mib().to_bits(), Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let peak_mib = |peak: &AtomicU64| f64::from_bits(peak.load(Ordering::SeqCst));
        println!("| phase | memory before MiB | memory peak MiB | memory after MiB | answers | /healthz p50 / p99 / max ms | punches answered, p50 / max ms |");
        println!("|---|---|---|---|---|---|---|");

        // The flood of wrong sign-ins, with health checks and punches going on beside it.
        for spread in [false, true] {
        let before = rss_mib();
        peak.store(before.to_bits(), Ordering::SeqCst);
        let flooding = Arc::new(AtomicBool::new(true));
        let health = {
            let (http, base, flooding) = (http.clone(), base.clone(), flooding.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while flooding.load(Ordering::SeqCst) {
                    let sent = Instant::now();
                    if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                        latencies.push(sent.elapsed());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                latencies
            })
        };
        let punching = {
            let (http, base, flooding, device, worker) = (http.clone(), base.clone(), flooding.clone(), device.clone(), worker["id"].clone());
            tokio::spawn(async move {
                let (mut latencies, mut refused) = (Vec::new(), 0);
                let mut i = 0i64;
                while flooding.load(Ordering::SeqCst) {
                    let at = (chrono::Utc::now() - chrono::Duration::minutes(1000 - i)).to_rfc3339();
                    let body = json!({"client_id": uuid::Uuid::new_v4(), "employee_id": worker, "kind": if i % 2 == 0 { "in" } else { "out" }, "device_time": at});
                    let sent = Instant::now();
                    match http.post(format!("{base}/api/v1/punches")).bearer_auth(&device).json(&body).send().await {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => latencies.push(sent.elapsed()),
                        _ => refused += 1,
                    }
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (latencies, refused)
            })
        };
        let started = Instant::now();
        let answers = futures::future::join_all((0..logins).map(|i| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let body = json!({"email": format!("guess{i}@flood.test"), "password": format!("wrong guess {i}")});
                let from = if spread { format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256) } else { "10.0.0.1".to_owned() };
                let request = http.post(format!("{base}/api/v1/auth/login")).header("x-forwarded-for", from).json(&body);
                request.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
            }
        }))
        .await;
        let flood_took = started.elapsed();
        flooding.store(false, Ordering::SeqCst);
        let mut health = health.await.unwrap();
        let (mut punches, refused) = punching.await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut counts = std::collections::BTreeMap::new();
        for status in answers {
            *counts.entry(status).or_insert(0) += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(status, n)| format!("{n}× {}", if *status == 0 { "no answer".to_owned() } else { status.to_string() })).collect();
        println!(
            "| {logins} wrong sign-ins at once from {} ({:.1} s) | {before:.0} | {:.0} | {:.0} | {} | {:.1} / {:.1} / {:.1} | {} ({refused} refused), {:.1} / {:.1} |",
            if spread { "1,000 addresses" } else { "one address" },
            flood_took.as_secs_f64(),
            peak_mib(&peak),
            rss_mib(),
            counts.join(", "),
            percentile(&mut health, 0.5),
            percentile(&mut health, 0.99),
            percentile(&mut health, 1.0),
            punches.len(),
            percentile(&mut punches, 0.5),
            percentile(&mut punches, 1.0),
        );
        }

        // Decompression bombs at enrolment: the decoding budget queues them.
        let bomb = bomb();
        let policy = http
            .put(format!("{base}/api/v1/privacy/policy"))
            .bearer_auth(&admin)
            .json(&json!({"jurisdiction": "strictest", "photo_days": 365}))
            .send()
            .await
            .unwrap();
        assert!(policy.status().is_success());
        let release = http
            .put(format!("{base}/api/v1/employees/{}/release", worker["id"].as_str().unwrap()))
            .bearer_auth(&admin)
            .json(&json!({"decision": "signed", "signed_name": "Flood Worker", "release_version": clockface_domain::privacy::RELEASE_VERSION}))
            .send()
            .await
            .unwrap();
        assert!(release.status().is_success());
        let before = rss_mib();
        peak.store(before.to_bits(), Ordering::SeqCst);
        let started = Instant::now();
        let uploads = futures::future::join_all((0..16).map(|_| {
            let (http, base, admin, bomb) = (http.clone(), base.clone(), admin.clone(), bomb.clone());
            let employee = worker["id"].as_str().unwrap().to_owned();
            async move {
                let form = reqwest::multipart::Form::new().part("photo", reqwest::multipart::Part::bytes(bomb).file_name("big.jpg").mime_str("image/jpeg").unwrap());
                http.post(format!("{base}/api/v1/employees/{employee}/enrolment")).bearer_auth(admin).multipart(form).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
            }
        }))
        .await;
        let mut counts = std::collections::BTreeMap::new();
        for status in uploads {
            *counts.entry(status).or_insert(0) += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(status, n)| format!("{n}× {status}")).collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "| 16 enrolment uploads at once of a {} KB JPEG decoding to 8000x5000 ({:.1} s) | {before:.0} | {:.0} | {:.0} | {} | | |",
            bomb.len() / 1024,
            started.elapsed().as_secs_f64(),
            peak_mib(&peak),
            rss_mib(),
            counts.join(", "),
        );
        done.store(true, Ordering::SeqCst);
        sampler.await.unwrap();
    });
    let _ = server.kill();
    let _ = server.wait();
}
