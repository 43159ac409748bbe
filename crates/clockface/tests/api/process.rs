//! The real `clockface` binary as a separate process, for tests that kill it (kill -9) or cut
//! the power under it, and a burst of punches with photos sent to it by concurrent devices.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";
const FACE: &[u8] = include_bytes!("../../assets/demo/hopper-1.jpg");

/// Polls `probe` until it is true, or panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `clockface serve` running as a child process.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `clockface serve` on a free port with `data_dir`, and `env` on top of a quiet log
    /// and no verification workers; waits until it says where it serves.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> ServerProcess {
        Self::start_with_log(data_dir, env, None)
    }

    /// As `start`, with what the server logs (its standard error) written to `log`.
    pub fn start_with_log(data_dir: &Path, env: &[(&str, &str)], log: Option<&Path>) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_clockface"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir);
        command.env("CLOCKFACE_LOG", "warn").env("CLOCKFACE_VERIFICATION_WORKERS", "0");
        for (key, value) in env {
            command.env(key, value);
        }
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("create the log file")),
            None => Stdio::inherit(),
        };
        let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().expect("start clockface");
        let stdout = child.stdout.take().expect("stdout");
        let (found, url) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("clockface is serving on ") {
                    let _ = found.send(url.trim().to_owned());
                }
            }
        });
        let url = match url.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => panic!("clockface did not start (exit: {:?})", child.try_wait()),
        };
        ServerProcess { child, url }
    }

    /// Kills the server at once (SIGKILL): nothing it had not made durable survives in memory.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a company and its admin in `data_dir` with the binary, as an operator would.
pub fn create_company(data_dir: &Path, env: &[(&str, &str)]) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockface"));
    command.args(["admin", "create", "--company", "Acme Paving", "--email", "ana@acme.test", "--password", PASSWORD]);
    // The tests' PINs have four digits: this company chose 4 (the default is 6).
    command.args(["--time-zone", "America/Chicago", "--min-pin-digits", "4", "--data-dir"]).arg(data_dir).env("CLOCKFACE_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run admin create");
    assert!(output.status.success(), "admin create failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// A company ready for a burst: FaceFront employees, and registered devices.
#[derive(Clone)]
pub struct Company {
    pub employees: Vec<String>,
    pub devices: Vec<String>,
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// Signs in and returns the session token.
pub async fn login(client: &Client, url: &str) -> String {
    let body = ok(client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": "ana@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap())
    .await;
    body["token"].as_str().unwrap().to_owned()
}

/// A FaceFront role, `devices` employees (one per device) and `devices` registered, synced devices.
pub async fn prepare(client: &Client, url: &str, devices: usize) -> Company {
    let token = login(client, url).await;
    let role = ok(client
        .post(format!("{url}/api/v1/roles"))
        .bearer_auth(&token)
        .json(&json!({"name": "Field", "abilities": {"face_front": true}}))
        .send()
        .await
        .unwrap())
    .await;
    let mut company = Company { employees: Vec::new(), devices: Vec::new() };
    for i in 0..devices {
        let employee = ok(client
            .post(format!("{url}/api/v1/employees"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Worker {i}"), "number": format!("W{i}"), "role_id": role["id"]}))
            .send()
            .await
            .unwrap())
        .await;
        company.employees.push(employee["id"].as_str().unwrap().to_owned());
        let code =
            ok(client.post(format!("{url}/api/v1/devices/registration-codes")).bearer_auth(&token).json(&json!({})).send().await.unwrap())
                .await;
        let device = ok(client
            .post(format!("{url}/api/v1/device/register"))
            .json(&json!({"code": code["code"], "name": format!("Tablet {i}"), "has_front_camera": true}))
            .send()
            .await
            .unwrap())
        .await;
        let device_token = device["token"].as_str().unwrap().to_owned();
        ok(client.post(format!("{url}/api/v1/device/sync")).bearer_auth(&device_token).json(&json!({})).send().await.unwrap()).await;
        company.devices.push(device_token);
    }
    company
}

/// A valid JPEG of a real face, different in its bytes for each `n` (a comment segment).
pub fn unique_photo(n: usize) -> Vec<u8> {
    let comment = format!("clockface test photo {n}");
    let length = u16::try_from(comment.len() + 2).unwrap();
    let mut photo = FACE[..2].to_vec();
    photo.extend([0xFF, 0xFE]);
    photo.extend(length.to_be_bytes());
    photo.extend(comment.as_bytes());
    photo.extend(&FACE[2..]);
    photo
}

/// What the server acknowledged with a 201: client id -> the photo's SHA-256.
pub type Acknowledged = Arc<Mutex<HashMap<Uuid, String>>>;

/// Sends `per_device` punches with photos from each device at once (one request after another
/// per device). Every 201 goes into the returned map; failures (the server died) end that
/// device's run. `acked` counts acknowledgements as they come, for a test that cuts mid-burst.
pub async fn burst(url: &str, company: &Company, per_device: usize, acked: Arc<AtomicUsize>) -> Acknowledged {
    let acknowledged: Acknowledged = Arc::default();
    let client = Client::new();
    let runs = company.devices.iter().zip(&company.employees).enumerate().map(|(d, (device, employee))| {
        let (client, acknowledged, acked) = (client.clone(), acknowledged.clone(), acked.clone());
        let url = url.to_owned();
        async move {
            for i in 0..per_device {
                let n = d * per_device + i;
                let photo = unique_photo(n);
                let sha = clockface_store::blobs::sha256_hex(&photo);
                let client_id = Uuid::new_v4();
                let minutes_ago = i64::try_from(per_device - i).unwrap() * 3;
                let time = (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339();
                let punch = json!({"client_id": client_id, "employee_id": employee, "kind": if i % 2 == 0 { "in" } else { "out" }, "device_time": time});
                let form = Form::new()
                    .part("punch", Part::text(punch.to_string()).mime_str("application/json").unwrap())
                    .part("photo", Part::bytes(photo).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
                match client.post(format!("{url}/api/v1/punches")).bearer_auth(device).multipart(form).send().await {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        acknowledged.lock().unwrap().insert(client_id, sha);
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(response) => panic!("punch {n} refused: {} {}", response.status(), response.text().await.unwrap_or_default()),
                    Err(_) => return,
                }
            }
        }
    });
    futures::future::join_all(runs).await;
    acknowledged
}

/// Checks that every acknowledged punch is stored exactly once with its photo's bytes intact,
/// read through the server at `url`; returns how many punches the server holds in all.
pub async fn assert_all_kept(url: &str, company: &Company, acknowledged: &HashMap<Uuid, String>) -> usize {
    let client = Client::new();
    let token = login(&client, url).await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let (from, to) = (today - chrono::Duration::days(2), today + chrono::Duration::days(1));
    let mut seen: HashMap<Uuid, (usize, Option<String>)> = HashMap::new();
    for employee in &company.employees {
        let card = ok(client
            .get(format!("{url}/api/v1/employees/{employee}/timecard?from={from}&to={to}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap())
        .await;
        let mut punches = Vec::new();
        collect_punches(&card["time_card"], &mut punches);
        for punch in punches {
            let client_id: Uuid = punch["client_id"].as_str().unwrap().parse().unwrap();
            let entry = seen.entry(client_id).or_insert((0, None));
            entry.0 += 1;
            entry.1 = punch["photo_sha256"].as_str().map(str::to_owned);
        }
    }
    for (client_id, sha) in acknowledged {
        let (times, stored_sha) = seen.get(client_id).unwrap_or_else(|| panic!("acknowledged punch {client_id} is gone"));
        assert_eq!(*times, 1, "punch {client_id} is stored exactly once");
        assert_eq!(stored_sha.as_deref(), Some(sha.as_str()), "punch {client_id} keeps its photo");
        let photo = client.get(format!("{url}/api/v1/photos/{sha}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(photo.status(), StatusCode::OK, "the photo of punch {client_id} is there");
        let bytes = photo.bytes().await.unwrap();
        assert_eq!(&clockface_store::blobs::sha256_hex(&bytes), sha, "the photo of punch {client_id} has all its bytes");
    }
    seen.len()
}

/// Every punch (an object with a `client_id`) in a time card, once each.
fn collect_punches(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_punches(v, out)),
        Value::Object(map) if map.contains_key("client_id") => out.push(value.clone()),
        Value::Object(map) => map.values().for_each(|v| collect_punches(v, out)),
        _ => {}
    }
}

/// The folder of a shared test tool (`lazyfs`, `garage`): `$CLOCKFACE_SHARED/tools/NAME`, else
/// `../shared/tools/NAME` beside the repository, else `/work/shared/tools/NAME`.
pub fn shared_tool(name: &str) -> Option<PathBuf> {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("CLOCKFACE_SHARED").map(|s| PathBuf::from(s).join("tools").join(name)),
        Some(repository.join("../shared/tools").join(name)),
        Some(PathBuf::from("/work/shared/tools").join(name)),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}
