//! Real `clockface serve` processes, as an operator runs them: two nodes on one PostgreSQL and
//! one Garage with one of them killed (kill -9) in the middle of a burst; `/metrics` on its own
//! listener, read as Prometheus text; JSON logs; a backup taken while punches arrive, restored.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One `clockface serve` process.
struct Node {
    name: String,
    child: Child,
    base: String,
    metrics: Option<String>,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
    /// Its standard error (the logs), line by line as they come.
    logs: Arc<Mutex<Vec<String>>>,
}

impl Node {
    /// Starts a node with `env` (CLOCKFACE_* settings) on the data folder `data_dir`, and waits
    /// until it says where it serves and answers `/healthz`.
    fn start(name: &str, data_dir: &Path, env: &[(&str, String)]) -> Node {
        let mut all: Vec<(String, String)> = vec![
            ("CLOCKFACE_LISTEN".into(), "127.0.0.1:0".into()),
            ("CLOCKFACE_DATA_DIR".into(), data_dir.display().to_string()),
            ("CLOCKFACE_NODE_NAME".into(), name.into()),
            ("CLOCKFACE_LOG".into(), "info".into()),
        ];
        all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        Self::spawn(name, data_dir, all)
    }

    fn spawn(name: &str, data_dir: &Path, env: Vec<(String, String)>) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_clockface"));
        command.arg("serve").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // Only what this node is told: nothing from the test's own environment.
        for (key, _) in std::env::vars() {
            if key.starts_with("CLOCKFACE_") {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut child = command.spawn().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let (sender, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut base, mut metrics) = (None, None);
        let wants_metrics = env.iter().any(|(k, _)| k == "CLOCKFACE_METRICS_LISTEN");
        while base.is_none() || (wants_metrics && metrics.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("clockface is serving on ") {
                        base = Some(url.trim().to_owned());
                    } else if let Some(url) = line.strip_prefix("metrics on ") {
                        metrics = Some(url.trim().to_owned());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("node {name} did not start in time; its log:\n{}", logs.lock().unwrap().join("\n"));
                }
            }
        }
        // Keep reading standard output so the node never blocks on a full pipe.
        std::thread::spawn(move || while lines.recv().is_ok() {});
        Node { name: name.to_owned(), child, base: base.unwrap(), metrics, data_dir: data_dir.to_owned(), env, logs }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// kill -9: no shutdown, no goodbye.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the same node again, on the same data folder and settings.
    fn restart(&self) -> Node {
        Self::spawn(&self.name, &self.data_dir, self.env.clone())
    }

    /// The node's metrics, parsed as the Prometheus text format.
    async fn scrape(&self, http: &Client) -> prometheus_parse::Scrape {
        let url = self.metrics.as_ref().expect("a metrics listener");
        let response = http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = response.text().await.unwrap();
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample `name` whose labels include `labels` (0 when there is none).
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
        .sum()
}

/// The S3 settings of the test Garage as a node's environment.
fn s3_env() -> Vec<(&'static str, String)> {
    let s3 = clockface_store::testing::s3_settings();
    vec![
        ("CLOCKFACE_PHOTO_STORE", format!("s3://{}", s3.bucket)),
        ("CLOCKFACE_S3_ENDPOINT", s3.endpoint.unwrap()),
        ("CLOCKFACE_S3_REGION", s3.region),
        ("CLOCKFACE_S3_PATH_STYLE", "true".into()),
        ("CLOCKFACE_S3_ACCESS_KEY_ID", s3.access_key_id),
        ("CLOCKFACE_S3_SECRET_ACCESS_KEY", secrecy::ExposeSecret::expose_secret(&s3.secret_access_key).to_owned()),
    ]
}

/// A unique photo per punch: the portrait with a comment segment after its start marker.
fn unique_photo(n: usize) -> Vec<u8> {
    let comment = format!("clockface test punch {n} {}", Uuid::new_v4());
    let length = u16::try_from(comment.len() + 2).unwrap();
    let mut bytes = Vec::with_capacity(FACE_JPEG.len() + comment.len() + 4);
    bytes.extend_from_slice(&FACE_JPEG[..2]);
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(comment.as_bytes());
    bytes.extend_from_slice(&FACE_JPEG[2..]);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    clockface_store::blobs::sha256_hex(bytes)
}

async fn post_json(http: &Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Signs in as the admin `email`: the session token and the company's id.
async fn sign_in(http: &Client, base: &str, email: &str) -> (String, clockface_domain::ids::CompanyId) {
    let body =
        post_json(http, format!("{base}/api/v1/auth/login"), None, json!({"email": email, "password": "correct horse battery"})).await;
    (body["token"].as_str().unwrap().to_owned(), body["me"]["company_id"].as_str().unwrap().parse().unwrap())
}

/// Registers a device through `register_on` with a code made on `code_on`.
async fn device(http: &Client, code_on: &str, register_on: &str, admin: &str) -> String {
    let code = post_json(http, format!("{code_on}/api/v1/devices/registration-codes"), Some(admin), json!({})).await;
    let body = json!({"code": code["code"], "name": "Site tablet", "has_front_camera": true});
    let registered = post_json(http, format!("{register_on}/api/v1/device/register"), None, body).await;
    registered["token"].as_str().unwrap().to_owned()
}

/// Sends one punch with its photo; `Some(answer)` when a node acknowledged it (201, or 200 for
/// a resend), `None` when the node could not be reached or failed.
async fn try_punch(http: &Client, base: &str, device: &str, body: &Value, photo: &[u8]) -> Option<Value> {
    let form = Form::new()
        .part("punch", Part::text(body.to_string()).mime_str("application/json").unwrap())
        .part("photo", Part::bytes(photo.to_vec()).file_name("photo.jpg").mime_str("image/jpeg").unwrap());
    let response = http.post(format!("{base}/api/v1/punches")).bearer_auth(device).multipart(form).send().await.ok()?;
    match response.status() {
        StatusCode::CREATED | StatusCode::OK => response.json().await.ok(),
        status if status.is_server_error() => None,
        status => panic!("a punch was refused: {status} {}", response.text().await.unwrap_or_default()),
    }
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a client saw acknowledged: punch id and photo hash, by client id.
type Acknowledged = Arc<Mutex<HashMap<Uuid, (String, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_postgres_and_one_garage_lose_nothing_when_one_is_killed() {
    let database = clockface_store::testing::fresh_postgres_url().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The operator makes the keys once and gives every node a copy (docs/DEPLOY.md).
    for name in ["pin.key", "secrets.key"] {
        let key = format!("{}\n", hex::encode(rand::random::<[u8; 32]>()));
        for dir in [&dir_a, &dir_b] {
            // Readable by the server's user only: a key file others can read is refused.
            let path = dir.path().join(name);
            std::fs::write(&path, &key).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        }
    }
    let lease_seconds = 3;
    let env = |workers: usize| {
        let mut env = s3_env();
        env.push(("CLOCKFACE_DATABASE_URL", database.clone()));
        env.push(("CLOCKFACE_VERIFICATION_WORKERS", workers.to_string()));
        env.push(("CLOCKFACE_VERIFICATION_LEASE_SECONDS", lease_seconds.to_string()));
        env.push(("CLOCKFACE_METRICS_LISTEN", "127.0.0.1:0".into()));
        env
    };
    // Both start at once on the empty database: its migrations and the key's fingerprint are
    // written by whichever comes first, and the other agrees.
    let (env_a, env_b) = (env(2), env(1));
    let (path_a, path_b) = (dir_a.path().to_owned(), dir_b.path().to_owned());
    let starting_a = std::thread::spawn(move || Node::start("node-a", &path_a, &env_a));
    let starting_b = std::thread::spawn(move || Node::start("node-b", &path_b, &env_b));
    let (mut a, b) = (starting_a.join().unwrap(), starting_b.join().unwrap());

    let http = Client::new();
    let store = clockface_store::connect(&database).await.unwrap();
    clockface::create_company(store.as_ref(), "Acme Paving", "America/Chicago", "ana@acme.test", "correct horse battery").await.unwrap();
    // An admin session made on one node works on the other.
    let (admin, company) = sign_in(&http, &a.base, "ana@acme.test").await;
    let role = post_json(&http, b.url("/api/v1/roles"), Some(&admin), json!({"name": "Crew", "abilities": {"face_front": true}})).await;
    let clients = 8;
    let mut employees = Vec::new();
    for i in 0..clients {
        let body = json!({"name": format!("Worker {i}"), "number": format!("{i}"), "role_id": role["id"]});
        let node = if i % 2 == 0 { &a } else { &b };
        employees.push(post_json(&http, node.url("/api/v1/employees"), Some(&admin), body).await["id"].as_str().unwrap().to_owned());
    }
    // Device tokens: made with a code from one node, registered through the other.
    let mut devices = Vec::new();
    for i in 0..clients {
        let (code_on, register_on) = if i % 2 == 0 { (&a.base, &b.base) } else { (&b.base, &a.base) };
        devices.push(device(&http, code_on, register_on, &admin).await);
    }
    for (i, device) in devices.iter().enumerate() {
        let node = if i % 2 == 0 { &a } else { &b };
        post_json(&http, node.url("/api/v1/device/sync"), Some(device), json!({})).await;
    }

    // The burst: every client sends its punches to both nodes in turn. A punch a node did not
    // acknowledge is sent again, with the same client id, to the other (as the clock's outbox
    // does), until one acknowledges it.
    let per_client = 12;
    let acknowledged: Acknowledged = Arc::new(Mutex::new(HashMap::new()));
    let bases = [a.base.clone(), b.base.clone()];
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, bases, acknowledged) = (http.clone(), bases.clone(), acknowledged.clone());
            let (device, employee) = (devices[c].clone(), employees[c].clone());
            tokio::spawn(async move {
                let start = chrono::Utc::now() - chrono::Duration::days(2);
                for i in 0..per_client {
                    let at = start + chrono::Duration::minutes(i64::try_from(i).unwrap() * 30);
                    let body = json!({"client_id": Uuid::new_v4(), "employee_id": employee, "kind": if i % 2 == 0 { "in" } else { "out" },
                                      "device_time": at.to_rfc3339()});
                    let photo = unique_photo(c * per_client + i);
                    let mut attempt = c + i;
                    let deadline = Instant::now() + Duration::from_secs(120);
                    let answer = loop {
                        if let Some(answer) = try_punch(&http, &bases[attempt % 2], &device, &body, &photo).await {
                            break answer;
                        }
                        assert!(Instant::now() < deadline, "no node acknowledged a punch within 2 minutes");
                        attempt += 1;
                    };
                    assert_eq!(answer["punch"]["photo_sha256"].as_str(), Some(sha256(&photo).as_str()));
                    let client_id: Uuid = body["client_id"].as_str().unwrap().parse().unwrap();
                    let stored = (answer["punch"]["id"].as_str().unwrap().to_owned(), sha256(&photo));
                    acknowledged.lock().unwrap().insert(client_id, stored);
                }
            })
        })
        .collect();

    // Kill node A in the middle of the burst, while it holds verification jobs.
    let total = clients * per_client;
    let kill_at = total / 3;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let acked = acknowledged.lock().unwrap().len();
        let held = store.leased_verification_jobs(chrono::Utc::now()).await.unwrap().iter().any(|l| l.leased_by == "node-a");
        if acked >= kill_at && held {
            break;
        }
        assert!(acked < total, "the burst ended before node A held a job at the moment of the kill");
        assert!(Instant::now() < deadline, "node A never held a verification job during the burst");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.kill();
    let killed_at = chrono::Utc::now();
    let dead_leases: HashSet<String> = store
        .leased_verification_jobs(killed_at)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.leased_by == "node-a")
        .map(|l| l.punch_id.to_string())
        .collect();
    assert!(!dead_leases.is_empty(), "node A died holding verification jobs");
    for task in tasks {
        task.await.unwrap();
    }

    // Every acknowledged punch is stored exactly once, and reads back through node B, photo too.
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), total, "every punch was acknowledged by one node or the other");
    assert_eq!(store.count_punches(company).await.unwrap(), i64::try_from(total).unwrap(), "stored once each");
    for (punch, photo) in acknowledged.values() {
        let stored: Value =
            http.get(b.url(&format!("/api/v1/punches/{punch}"))).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert_eq!(stored["photo_sha256"].as_str(), Some(photo.as_str()));
        let bytes = http.get(b.url(&format!("/api/v1/photos/{photo}"))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(bytes.status(), StatusCode::OK);
        assert_eq!(&sha256(&bytes.bytes().await.unwrap()), photo, "the photo reads back byte for byte through node B");
    }

    // Every verification job is done, once: node B takes over node A's leases once they run out.
    wait_until("the verification queue empties", Duration::from_secs(300), || {
        let store = store.clone();
        async move { store.pending_verification_jobs().await.unwrap() == 0 }
    })
    .await;
    let ids: Vec<_> = acknowledged.values().map(|(punch, _)| punch.parse().unwrap()).collect();
    let verdicts = store.verifications(company, &ids).await.unwrap();
    assert_eq!(verdicts.len(), total, "one verdict per photo");
    for punch in &dead_leases {
        let verdict = &verdicts[&punch.parse().unwrap()];
        assert!(verdict.decided_at > killed_at, "a job node A held when it died was finished after, by node B");
    }
    let metrics = b.scrape(&http).await;
    assert_eq!(sample(&metrics, "clockface_verification_queue_depth", &[]), 0.0);
    assert!(sample(&metrics, "clockface_verdicts_total", &[]) >= dead_leases.len() as f64, "node B gave the dead node's verdicts");

    // Node A comes back on its data folder; the session and a device token made before work on it.
    let a = a.restart();
    let response = http.get(a.url("/api/v1/employees")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the admin session works on the restarted node");
    let sync = http.post(a.url("/api/v1/device/sync")).bearer_auth(&devices[1]).json(&json!({})).send().await.unwrap();
    assert_eq!(sync.status(), StatusCode::OK, "a device token works on the restarted node");

    // PIN lockouts count across nodes: nine wrong PINs sent to both in turn, then the tenth locks
    // the device on both.
    let nodes = [&a, &b];
    let sign_in_wrong =
        |node: &Node| http.post(node.url("/api/v1/device/sign-in")).bearer_auth(&devices[2]).json(&json!({"pin": "0000"})).send();
    for attempt in 0..9 {
        expect_error(sign_in_wrong(nodes[attempt % 2]).await.unwrap(), StatusCode::UNAUTHORIZED, "wrong_pin").await;
    }
    expect_error(sign_in_wrong(&b).await.unwrap(), StatusCode::TOO_MANY_REQUESTS, "locked").await;
    expect_error(sign_in_wrong(&a).await.unwrap(), StatusCode::TOO_MANY_REQUESTS, "locked").await;
}

#[tokio::test]
async fn metrics_are_prometheus_text_on_their_own_listener_and_move_with_a_punch() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(
        "solo",
        dir.path(),
        &[
            ("CLOCKFACE_METRICS_LISTEN", "127.0.0.1:0".into()),
            ("CLOCKFACE_VERIFICATION_WORKERS", "1".into()),
            ("CLOCKFACE_LOG_FORMAT", "json".into()),
        ],
    );
    let http = Client::new();
    let response = http.get(node.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "metrics are not on the public listener");

    let store = clockface_store::connect(&clockface_store::testing::sqlite_url(dir.path())).await.unwrap();
    clockface::create_company(store.as_ref(), "Acme Paving", "America/Chicago", "ana@acme.test", "correct horse battery").await.unwrap();
    let (admin, _) = sign_in(&http, &node.base, "ana@acme.test").await;
    let role = post_json(&http, node.url("/api/v1/roles"), Some(&admin), json!({"name": "Crew", "abilities": {"face_front": true}})).await;
    let employee = post_json(
        &http,
        node.url("/api/v1/employees"),
        Some(&admin),
        json!({"name": "Grace Hopper", "number": "1", "role_id": role["id"]}),
    )
    .await;
    let device = device(&http, &node.base, &node.base, &admin).await;
    post_json(&http, node.url("/api/v1/device/sync"), Some(&device), json!({})).await;
    // A published policy and a signed release, so that the engine looks at the photo.
    let policy = json!({"jurisdiction": "strictest", "photo_days": 365});
    let published = http.put(node.url("/api/v1/privacy/policy")).bearer_auth(&admin).json(&policy).send().await.unwrap();
    assert_eq!(published.status(), StatusCode::CREATED);
    let release =
        json!({"decision": "signed", "signed_name": "Grace Hopper", "release_version": clockface_domain::privacy::RELEASE_VERSION});
    let release_url = node.url(&format!("/api/v1/employees/{}/release", employee["id"].as_str().unwrap()));
    assert_eq!(http.put(release_url).bearer_auth(&admin).json(&release).send().await.unwrap().status(), StatusCode::OK);

    let before = node.scrape(&http).await;
    let created = [("outcome", "created")];
    let punch_route = [("route", "/api/v1/punches"), ("status", "201")];
    assert_eq!(sample(&before, "clockface_punches_total", &created), 0.0);
    // Counters with labels are there at 0 for every known label before anything happened.
    let series =
        |name: &str, label: &str, value: &str| before.samples.iter().any(|s| s.metric == name && s.labels.get(label) == Some(value));
    for (name, label, value) in [
        ("clockface_punches_total", "outcome", "created"),
        ("clockface_punches_total", "outcome", "failed"),
        ("clockface_verdicts_total", "verdict", "match"),
        ("clockface_verdicts_total", "verdict", "possible_spoof"),
        ("clockface_store_errors_total", "kind", "photo_store"),
        ("clockface_store_errors_total", "kind", "database"),
    ] {
        assert!(series(name, label, value), "{name}{{{label}=\"{value}\"}} is scraped at 0 from the start");
    }
    let body = json!({"client_id": Uuid::new_v4(), "employee_id": employee["id"], "kind": "in", "device_time": hours_ago(1)});
    try_punch(&http, &node.base, &device, &body, FACE_JPEG).await.expect("the punch is acknowledged");
    try_punch(&http, &node.base, &device, &body, FACE_JPEG).await.expect("the resend is answered");

    // The worker gives the photo its verdict; the counters say so.
    let mut after = node.scrape(&http).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sample(&after, "clockface_verdicts_total", &[]) < 1.0 {
        assert!(Instant::now() < deadline, "no verdict was counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = node.scrape(&http).await;
    }
    assert_eq!(sample(&after, "clockface_punches_total", &created), 1.0, "one punch recorded");
    assert_eq!(sample(&after, "clockface_punches_total", &[("outcome", "resent")]), 1.0, "one resend answered");
    assert_eq!(sample(&after, "clockface_http_request_duration_seconds_count", &punch_route), 1.0, "latency by route pattern");
    assert_eq!(sample(&after, "clockface_verdicts_total", &[("verdict", "not_enrolled")]), 1.0);
    assert_eq!(sample(&after, "clockface_face_engine_seconds_count", &[]), 1.0, "engine time per photo");
    assert_eq!(sample(&after, "clockface_verification_queue_depth", &[]), 0.0);
    assert_eq!(sample(&after, "clockface_verification_oldest_job_age_seconds", &[]), 0.0);
    assert_eq!(sample(&after, "clockface_store_errors_total", &[]), 0.0);
    assert!(after.docs.contains_key("clockface_punches_total"), "every metric says what it counts");

    // Logs are JSON lines.
    let logs = node.logs.lock().unwrap().clone();
    assert!(!logs.is_empty());
    for line in &logs {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(entry["level"].is_string() && entry["timestamp"].is_string(), "{line}");
    }
    assert!(logs.iter().any(|l| l.contains("\"message\":\"punch recorded\"")), "the punch is in the log");
}

#[tokio::test]
async fn a_backup_taken_while_punches_arrive_restores_every_punch_acknowledged_before_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("ana@acme.test").await;
    let role = app.role(&admin, "Crew", json!({"face_front": true})).await;
    let worker = app.employee(&admin, "Grace Hopper", "1", &role, Some("4821")).await;
    let device = app.device(&admin, true).await;
    app.sync(&device).await;

    // Punches keep arriving from four clients until told to stop.
    let acknowledged: Acknowledged = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (http, base, device, worker) = (app.client.clone(), app.base.clone(), device.clone(), worker.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 400 {
                    let body = punch_body(&worker, "in", &hours_ago(50 - i64::from(c)));
                    let photo = unique_photo(c as usize * 1000 + n);
                    let answer = try_punch(&http, &base, &device, &body, &photo).await.expect("acknowledged");
                    let client_id = body["client_id"].as_str().unwrap().parse().unwrap();
                    acknowledged.lock().unwrap().insert(client_id, (answer["punch"]["id"].as_str().unwrap().to_owned(), sha256(&photo)));
                    n += 1;
                }
            })
        })
        .collect();
    let acked = || acknowledged.lock().unwrap().len();
    wait_until("punches arrive", Duration::from_secs(60), || std::future::ready(acked() >= 20)).await;

    // The backup begins: what was acknowledged so far must be in it.
    let before: HashMap<Uuid, (String, String)> = acknowledged.lock().unwrap().clone();
    let backup = tempfile::tempdir().unwrap();
    let dest = backup.path().join("backup");
    let mut backup_command = Command::new(env!("CARGO_BIN_EXE_clockface"));
    let keys = backup.path().join("keys");
    backup_command.args(["backup", "--data-dir"]).arg(app.data_dir()).arg(&dest).arg("--keys-to").arg(&keys).env_remove("CLOCKFACE_CONFIG");
    let output = tokio::task::spawn_blocking(move || backup_command.output()).await.unwrap().unwrap();
    assert!(output.status.success(), "backup failed: {}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Backed up to"));
    for key in ["pin.key", "secrets.key"] {
        assert!(!dest.join(key).exists() && keys.join(key).is_file(), "{key} is in the keys' folder, not the backup's");
    }
    let during = acked() - before.len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    assert!(during > 0, "punches kept arriving while the backup ran");

    // Restored into an empty folder, a server answers every punch acknowledged before the backup.
    let restored = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
        .args(["restore", "--data-dir"])
        .arg(restored.path())
        .arg(&dest)
        .arg("--keys-from")
        .arg(&keys)
        .env_remove("CLOCKFACE_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "restore failed: {}", String::from_utf8_lossy(&output.stderr));
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_clockface"))
        .args(["restore", "--data-dir"])
        .arg(restored.path())
        .arg(&dest)
        .arg("--keys-from")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a restore never overwrites an install");
    assert!(String::from_utf8_lossy(&again.stderr).contains("restore only into an empty data folder"));

    let node = Node::start("restored", restored.path(), &[]);
    let http = Client::new();
    let (token, _) = sign_in(&http, &node.base, "ana@acme.test").await;
    for (punch, photo) in before.values() {
        let stored = http.get(node.url(&format!("/api/v1/punches/{punch}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(stored.status(), StatusCode::OK, "punch {punch}, acknowledged before the backup, is in it");
        let bytes = http.get(node.url(&format!("/api/v1/photos/{photo}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(&sha256(&bytes.bytes().await.unwrap()), photo, "and so is its photo");
    }
    // The restored PIN key is the one the PINs were made with.
    let signed_in = http.post(node.url("/api/v1/device/sign-in")).bearer_auth(&device).json(&json!({"pin": "4821"})).send().await.unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK, "a PIN set before the backup still signs in");
}
