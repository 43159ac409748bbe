//! Starting and stopping the server: the start-up checks, the keys, the store and its migrations,
//! the photo store, then axum (and the metrics listener, when one is configured).

use crate::config::{Config, PhotoStore};
use anyhow::Context;
use axum::serve::ListenerExt;
use clockface_store::blobs::BlobStore;
use clockface_store::group::{GroupCommit, PunchWriter};
use clockface_store::inspect::{AppliedMigration, Inspection};
use clockface_web::photo::PhotoLimits;
use clockface_web::{AppState, WebSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Opens the store and the photo store and reads (or makes) the keys, in two steps.
///
/// First every check that can refuse, on the database as it is, before any migration (of any
/// earlier schema, or none yet): a database newer than this binary, a key file others can read,
/// a missing, damaged or different key that stored data depends on, a photo folder the database
/// has photos in that is gone or is not a folder, an S3 photo store that does not answer, face
/// models that do not load. A refusal leaves the data folder and the database exactly as they
/// were. Only then: keys nothing depends on yet are made, the database is migrated, the keys'
/// fingerprints recorded, and what an earlier release left to finish is finished (plain face
/// templates sealed, unchained audit entries chained). Each of those steps is durable and
/// idempotent, so a start cut off anywhere in them ends, when started again, where an
/// uninterrupted one would have.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    // 1. Checks, writing nothing.
    let url = config.database_url();
    let found = clockface_store::inspect::inspect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    check_schema(&url, &found)?;
    let pin = crate::keys::check(&config.pin_key_path(), crate::keys::PIN_KEY, &found)?;
    let secrets = crate::keys::check(&config.secrets_key_path(), crate::keys::SECRETS_KEY, &found)?;
    let checked_s3 = check_photo_store(config, &found).await?;
    let mail = config.mail_settings()?;
    // The face models load now: a damaged model stops the start, not the first punch.
    tokio::task::spawn_blocking(clockface_web::verification::engine).await?.context("cannot load the face models")?;

    // 2. Every check passed: keys, migrations, fingerprints, then what an upgrade finishes.
    clockface_store::blobs::create_dirs_durably(&config.data_dir)
        .with_context(|| format!("cannot create the data folder {}", config.data_dir.display()))?;
    let (pin_path, secrets_path) = (pin.path.clone(), secrets.path.clone());
    let pin_key = pin.make_or_use()?;
    let secrets_key = secrets.make_or_use()?;
    crash_point("keys-made");
    let store =
        clockface_store::connect(&url).await.with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    crash_point("migrated");
    crate::keys::record(store.as_ref(), crate::keys::PIN_KEY, &pin_path, &pin_key).await?;
    crate::keys::record(store.as_ref(), crate::keys::SECRETS_KEY, &secrets_path, &secrets_key).await?;
    let blobs = match checked_s3 {
        Some(blobs) => blobs,
        None => photo_store(config).await?,
    };
    let mut settings = WebSettings::new(pin_key, secrets_key);
    settings.trust_forwarded_for = config.trust_forwarded_for;
    settings.photo_limits = PhotoLimits { max_bytes: config.photo_max_bytes, max_pixels: config.photo_max_pixels };
    settings.session_ttl = chrono::Duration::hours(config.session_hours.clamp(1, 24 * 30));
    settings.verification_workers = config.verification_workers;
    settings.verification_lease = chrono::Duration::seconds(i64::try_from(config.verification_lease_seconds.clamp(1, 3600)).unwrap_or(60));
    settings.node_name = config.node_name();
    settings.public_url = config.public_url.clone().filter(|u| !u.trim().is_empty());
    settings.mail = mail;
    settings.witness = Some(clockface_app::witness::WitnessSettings { file: config.audit_heads_path() });
    let punches = PunchWriter::start(store.clone(), GroupCommit::for_backend(store.backend()));
    let gates = clockface_web::guard::Gates::new(settings.limits);
    let state = AppState {
        store,
        blobs,
        punches,
        gates,
        settings: Arc::new(settings),
        jobs: Arc::new(tokio::sync::Notify::new()),
        galleries: Arc::default(),
    };
    // An upgrade: templates an earlier release stored in plain are sealed, and audit entries
    // written before the log was chained join the chain. Both are safe on several nodes at once,
    // and resume where a cut-off start left them.
    if crash_requested("sealed-one") {
        seal_one_plain_template(&state).await?;
        crash_point("sealed-one");
    }
    let sealed = clockface_web::verification::seal_plain_templates(&state).await.context("cannot seal the stored face templates")?;
    let chained = state.store.chain_unchained_audit().await.context("cannot chain the audit log")?;
    // Approvals of releases that kept no figures get theirs frozen, as counted now.
    let frozen = clockface_app::payroll::freeze_unfrozen_approvals(&*state.store, chrono::Utc::now())
        .await
        .context("cannot freeze the figures of earlier approvals")?;
    if sealed + chained + frozen as u64 > 0 {
        tracing::info!(sealed, chained, frozen, "upgraded: face templates sealed, audit entries chained, approved figures frozen");
    }
    Ok(state)
}

/// Refuses a database that a newer release migrated (a migration this binary does not carry),
/// one whose migration started and did not finish, and one whose applied migration differs from
/// this binary's of the same number.
fn check_schema(url: &str, found: &Inspection) -> anyhow::Result<()> {
    let known = clockface_store::inspect::known_migrations(url)?;
    let list = |migrations: &[&AppliedMigration]| {
        migrations.iter().map(|m| format!("{:04} ({})", m.version, m.description)).collect::<Vec<_>>().join(", ")
    };
    let unknown = found.unknown(&known);
    if !unknown.is_empty() {
        let (first, last) = (known.first().map_or(0, |m| m.version), known.last().map_or(0, |m| m.version));
        anyhow::bail!(
            "the database was upgraded by a newer release of clockface: it has migration {}, which this binary \
             (migrations {first:04} to {last:04}) does not know. Run that release or a later one, or restore the backup made \
             before that upgrade. Nothing was changed.",
            list(&unknown)
        );
    }
    let failed = found.failed();
    if !failed.is_empty() {
        anyhow::bail!(
            "the database's migration {} started and did not finish. Restore the backup made before the upgrade, \
             then start again. Nothing was changed.",
            list(&failed)
        );
    }
    let differing = found.differing(&known);
    if !differing.is_empty() {
        anyhow::bail!(
            "the database's migration {} is not the one this binary carries under that number (its checksum differs): \
             the database was made by another build of clockface. Run the build that made it. Nothing was changed.",
            list(&differing)
        );
    }
    Ok(())
}

/// Checks the photo store before anything is written: an S3 store must answer (the checked
/// store is returned, to be used), and a local photo folder must be a folder, and must exist when
/// the database lists photos (a data folder copied without its photos).
async fn check_photo_store(config: &Config, found: &Inspection) -> anyhow::Result<Option<BlobStore>> {
    match config.photo_store().map_err(anyhow::Error::msg)? {
        PhotoStore::S3(_) => Ok(Some(photo_store(config).await?)),
        PhotoStore::Local(folder) => {
            if folder.exists() && !folder.is_dir() {
                anyhow::bail!("the photo folder {} is not a folder. Move that file away, then start again.", folder.display());
            }
            if !folder.exists() && found.photos > 0 {
                anyhow::bail!(
                    "the photo folder {} is missing, but the database lists {} photos. Restore the folder from this \
                     installation's backup (or set photo_store to where the photos are), then start again.",
                    folder.display(),
                    found.photos
                );
            }
            Ok(None)
        }
    }
}

/// The environment variable that makes a start stop dead at a named point of an upgrade, as a
/// crash or a power cut would: only the tests set it (`tests/api/upgrade.rs`), to show that
/// starting again resumes. Points: `keys-made`, `migrated`, `sealed-one`.
pub const CRASH_AT: &str = "CLOCKFACE_TEST_CRASH_AT";

fn crash_requested(point: &str) -> bool {
    std::env::var(CRASH_AT).is_ok_and(|at| at == point)
}

/// Aborts the process at `point` when the tests asked for it ([`CRASH_AT`]): no destructor,
/// flush or rollback runs, like a crash.
fn crash_point(point: &str) {
    if crash_requested(point) {
        eprintln!("clockface: stopping dead at {point} ({CRASH_AT})");
        std::process::abort();
    }
}

/// Seals one plain template, as the first step of [`clockface_web::verification::seal_plain_templates`]
/// would: the tests' crash point halfway through sealing.
async fn seal_one_plain_template(state: &AppState) -> anyhow::Result<()> {
    for (id, employee, plain) in state.store.unsealed_templates(1).await? {
        let embedding = clockface_face::Embedding::from_bytes(&plain).context("a plain template is not an embedding")?;
        let sealed = clockface_web::verification::seal_embedding(state, employee, &embedding)?;
        state.store.seal_template(id, &plain, &sealed).await?;
    }
    Ok(())
}

/// The configured photo store, checked: a wrong bucket, endpoint or key stops the start with a
/// sentence, instead of failing the first punch with a photo.
pub async fn photo_store(config: &Config) -> anyhow::Result<BlobStore> {
    match config.photo_store().map_err(anyhow::Error::msg)? {
        PhotoStore::Local(folder) => Ok(BlobStore::local(&folder)?),
        PhotoStore::S3(s3) => {
            let blobs = BlobStore::s3(&s3)?;
            let endpoint = s3.endpoint.as_deref().unwrap_or("AWS");
            blobs.check().await.with_context(|| {
                format!(
                    "the photo store s3://{} at {endpoint} does not answer or refuses the credentials; check photo_store, \
                     s3_endpoint, s3_region, s3_path_style and the keys",
                    s3.bucket
                )
            })?;
            Ok(blobs)
        }
    }
}

/// The process's metrics recorder (installed once, on first use) and the handle that renders it.
/// Servers started at once in one process (the tests) take turns: the first installs the recorder
/// and keeps its handle before any other looks, so none finds the recorder set and no handle yet.
pub fn metrics_handle() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let _turn = INSTALLING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let buckets = clockface_web::metrics::SECONDS_BUCKETS;
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()), buckets)
        .context("invalid metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| anyhow::anyhow!("another metrics recorder is installed in this process"))?;
    clockface_web::metrics::describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when a metrics listener was asked for.
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    stop_workers: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await??;
        self.stop_workers().await;
        Ok(())
    }

    /// Waits until the server stops (on Ctrl-C or SIGTERM).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        self.stop_workers().await;
        Ok(())
    }

    /// Lets each verification worker finish the job in hand, then stops it (and the destruction job).
    async fn stop_workers(&mut self) {
        let _ = self.stop_workers.send(true);
        for worker in self.workers.drain(..) {
            let _ = worker.await;
        }
    }
}

/// Starts serving `state` on `listen` (port 0 picks a free port; see [`Running::addr`]).
pub async fn start(listen: SocketAddr, state: AppState) -> anyhow::Result<Running> {
    start_with_metrics(listen, None, state).await
}

/// [`start`], and `/metrics` on `metrics` when given: a listener of its own, so that metrics are
/// only as public as the operator makes that address.
pub async fn start_with_metrics(listen: SocketAddr, metrics: Option<SocketAddr>, state: AppState) -> anyhow::Result<Running> {
    // The recorder is installed even without a metrics listener: counting costs next to nothing.
    let handle = metrics_handle()?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let metrics_addr = match metrics {
        Some(metrics) => {
            let listener =
                tokio::net::TcpListener::bind(metrics).await.with_context(|| format!("cannot listen for metrics on {metrics}"))?;
            let metrics_addr = listener.local_addr()?;
            let router = clockface_web::metrics::router(state.clone(), handle);
            // Stops with the process; it holds nothing that needs finishing.
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the metrics listener stopped");
                }
            });
            Some(metrics_addr)
        }
        None => None,
    };
    let (shutdown, stopped) = oneshot::channel::<()>();
    let app = clockface_web::app(state.clone());
    let task = tokio::spawn(async move {
        // hyper's own refusals (a target over 64 KiB, a head beyond its buffer) answered in JSON too;
        // the no-op tap is what gives the handlers the peer's address through this listener.
        let listener = clockface_web::refusals::JsonRefusals(listener).tap_io(|_| {});
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = stopped => {}
                    _ = termination() => {}
                }
            })
            .await
    });
    let (stop_workers, stopped_workers) = watch::channel(false);
    let mut workers: Vec<JoinHandle<()>> = (0..state.settings.verification_workers)
        .map(|_| tokio::spawn(clockface_web::verification::run_worker(state.clone(), stopped_workers.clone())))
        .collect();
    // Every node runs the daily destruction job; two at once destroy each thing once.
    workers.push(tokio::spawn(clockface_web::privacy::run_destruction_job(state.clone(), stopped_workers.clone())));
    // Every node witnesses the audit heads (and once more as it stops).
    if let Some(settings) = state.settings.witness.clone() {
        match clockface_app::witness::HeadKey::derive(&state.settings.secrets_key) {
            Some(key) => {
                let witness = clockface_app::witness::Witness {
                    store: state.store.clone(),
                    blobs: state.blobs.clone(),
                    settings,
                    key,
                    node_name: state.settings.node_name.clone(),
                };
                workers.push(tokio::spawn(clockface_app::witness::run(witness, stopped_workers.clone())));
            }
            None => tracing::error!("the audit witness cannot derive its key from the secrets key; heads are not witnessed"),
        }
    }
    Ok(Running { addr, metrics_addr, state, shutdown: Some(shutdown), task, stop_workers, workers })
}

async fn termination() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
