//! Starting and stopping the server: the store, the photo folder, the keys, then axum.

use crate::config::Config;
use anyhow::Context;
use clockface_store::blobs::BlobStore;
use clockface_store::group::{GroupCommit, PunchWriter};
use clockface_web::photo::PhotoLimits;
use clockface_web::{AppState, WebSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Opens the store and the photo folder and reads (or creates) the PIN key.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    clockface_store::blobs::create_dirs_durably(&config.data_dir)
        .with_context(|| format!("cannot create the data folder {}", config.data_dir.display()))?;
    let store = clockface_store::connect(&config.database_url())
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    let blobs = BlobStore::local(&config.data_dir.join("photos"))?;
    let pin_key = crate::keys::pin_key(&config.data_dir, store.as_ref()).await?;
    let secrets_key = crate::keys::secrets_key(&config.data_dir, store.as_ref()).await?;
    let mut settings = WebSettings::new(pin_key, secrets_key);
    settings.trust_forwarded_for = config.trust_forwarded_for;
    settings.photo_limits = PhotoLimits { max_bytes: config.photo_max_bytes, max_pixels: config.photo_max_pixels };
    settings.session_ttl = chrono::Duration::hours(config.session_hours.clamp(1, 24 * 30));
    settings.verification_workers = config.verification_workers;
    // Load the face models now: a damaged model stops the start, not the first punch.
    tokio::task::spawn_blocking(clockface_web::verification::engine).await?.context("cannot load the face models")?;
    let punches = PunchWriter::start(store.clone(), GroupCommit::for_backend(store.backend()));
    let gates = clockface_web::guard::Gates::new(settings.limits);
    Ok(AppState { store, blobs, punches, gates, settings: Arc::new(settings), jobs: Arc::new(tokio::sync::Notify::new()) })
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
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

    /// Lets each verification worker finish the job in hand, then stops it.
    async fn stop_workers(&mut self) {
        let _ = self.stop_workers.send(true);
        for worker in self.workers.drain(..) {
            let _ = worker.await;
        }
    }
}

/// Starts serving `state` on `listen` (port 0 picks a free port; see [`Running::addr`]).
pub async fn start(listen: SocketAddr, state: AppState) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
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
    let workers = (0..state.settings.verification_workers)
        .map(|_| tokio::spawn(clockface_web::verification::run_worker(state.clone(), stopped_workers.clone())))
        .collect();
    Ok(Running { addr, state, shutdown: Some(shutdown), task, stop_workers, workers })
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
