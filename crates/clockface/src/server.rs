//! Starting and stopping the server: the store, the photo folder, the PIN key, then axum.

use crate::config::Config;
use anyhow::Context;
use clockface_store::blobs::BlobStore;
use clockface_web::photo::PhotoLimits;
use clockface_web::{AppState, WebSettings};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Opens the store and the photo folder and reads (or creates) the PIN key.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("cannot create the data folder {}", config.data_dir.display()))?;
    let store = clockface_store::connect(&config.database_url())
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url_for_logs()))?;
    let blobs = BlobStore::local(&config.data_dir.join("photos"))?;
    let mut settings = WebSettings::new(pin_key(&config.data_dir)?);
    settings.photo_limits = PhotoLimits { max_bytes: config.photo_max_bytes, max_pixels: config.photo_max_pixels };
    settings.session_ttl = chrono::Duration::hours(config.session_hours.clamp(1, 24 * 30));
    settings.verification_workers = config.verification_workers;
    // Load the face models now: a damaged model stops the start, not the first punch.
    tokio::task::spawn_blocking(clockface_web::verification::engine).await?.context("cannot load the face models")?;
    Ok(AppState { store, blobs, settings: Arc::new(settings), jobs: Arc::new(tokio::sync::Notify::new()) })
}

/// The key of the PIN lookup digest, kept in `pin.key` in the data folder (made on first start).
/// Servers that share one PostgreSQL database must share this file too.
fn pin_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("pin.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => hex_decode(text.trim()).with_context(|| format!("{} does not hold a hex key", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            let text: String = key.iter().map(|b| format!("{b:02x}")).collect();
            write_private(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn hex_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(text.len() >= 32 && text.len().is_multiple_of(2), "expected an even number of hex digits, at least 32");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(Into::into)).collect()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
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
        axum::serve(listener, app)
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
