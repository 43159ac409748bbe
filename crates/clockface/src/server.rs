//! Starting and stopping the server: the store, the photo store, the keys, then axum (and the
//! metrics listener, when one is configured).

use crate::config::{Config, PhotoStore};
use anyhow::Context;
use clockface_store::blobs::BlobStore;
use clockface_store::group::{GroupCommit, PunchWriter};
use clockface_web::photo::PhotoLimits;
use clockface_web::{AppState, WebSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Opens the store and the photo store and reads (or creates) the PIN key.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    clockface_store::blobs::create_dirs_durably(&config.data_dir)
        .with_context(|| format!("cannot create the data folder {}", config.data_dir.display()))?;
    let store = clockface_store::connect(&config.database_url())
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    let blobs = photo_store(config).await?;
    let pin_key = crate::keys::pin_key(&config.pin_key_path(), store.as_ref()).await?;
    let secrets_key = crate::keys::secrets_key(&config.secrets_key_path(), store.as_ref()).await?;
    let mut settings = WebSettings::new(pin_key, secrets_key);
    settings.trust_forwarded_for = config.trust_forwarded_for;
    settings.photo_limits = PhotoLimits { max_bytes: config.photo_max_bytes, max_pixels: config.photo_max_pixels };
    settings.session_ttl = chrono::Duration::hours(config.session_hours.clamp(1, 24 * 30));
    settings.verification_workers = config.verification_workers;
    settings.verification_lease = chrono::Duration::seconds(i64::try_from(config.verification_lease_seconds.clamp(1, 3600)).unwrap_or(60));
    settings.node_name = config.node_name();
    settings.public_url = config.public_url.clone().filter(|u| !u.trim().is_empty());
    settings.mail = config.mail_settings()?;
    settings.witness = Some(clockface_web::witness::WitnessSettings { file: config.audit_heads_path() });
    // Load the face models now: a damaged model stops the start, not the first punch.
    tokio::task::spawn_blocking(clockface_web::verification::engine).await?.context("cannot load the face models")?;
    let punches = PunchWriter::start(store.clone(), GroupCommit::for_backend(store.backend()));
    let gates = clockface_web::guard::Gates::new(settings.limits);
    let state = AppState { store, blobs, punches, gates, settings: Arc::new(settings), jobs: Arc::new(tokio::sync::Notify::new()) };
    // An upgrade: templates an earlier release stored in plain are sealed, and audit entries
    // written before the log was chained join the chain. Both are safe on several nodes at once.
    let sealed = clockface_web::verification::seal_plain_templates(&state).await.context("cannot seal the stored face templates")?;
    let chained = state.store.chain_unchained_audit().await.context("cannot chain the audit log")?;
    // Approvals of releases that kept no figures get theirs frozen, as counted now.
    let frozen = clockface_web::payroll::freeze_unfrozen_approvals(&*state.store, chrono::Utc::now())
        .await
        .context("cannot freeze the figures of earlier approvals")?;
    if sealed + chained + frozen as u64 > 0 {
        tracing::info!(sealed, chained, frozen, "upgraded: face templates sealed, audit entries chained, approved figures frozen");
    }
    Ok(state)
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
pub fn metrics_handle() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let buckets = clockface_web::metrics::SECONDS_BUCKETS;
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()), buckets)
        .context("invalid metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    match metrics::set_global_recorder(recorder) {
        Ok(()) => {
            clockface_web::metrics::describe();
            Ok(HANDLE.get_or_init(|| handle).clone())
        }
        // Another thread installed ours a moment earlier.
        Err(_) => HANDLE.get().cloned().context("another metrics recorder is installed in this process"),
    }
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
    workers.push(tokio::spawn(clockface_web::witness::run(state.clone(), stopped_workers.clone())));
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
