//! Group commit for punches. A durable commit costs an fsync (a few milliseconds on most disks),
//! and one commit per punch would cap ingest at the disk's fsync rate. The [`PunchWriter`] queues
//! the punches of concurrent requests, and each of its writer tasks takes everything waiting (up
//! to a batch) and commits it in one transaction ([`Store::insert_punches`]), then answers each
//! request with its own outcome. Nothing waits on purpose: while one commit is on its way to the
//! disk the next batch gathers, so under light load a punch is committed alone at once and under
//! heavy load many share each fsync. A request is answered only after its transaction committed.

use crate::{PhotoRecord, PunchInsert, Store, StoreError};
use clockface_domain::punch::Punch;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// Writer tasks, each committing one batch at a time: 1 suits SQLite (one writer at a time
    /// anyway); PostgreSQL commits several transactions at once.
    pub writers: usize,
    /// Most punches one transaction takes.
    pub max_batch: usize,
}

impl GroupCommit {
    /// The defaults for a backend (`sqlite` or `postgres`).
    pub fn for_backend(backend: &str) -> Self {
        match backend {
            "postgres" => GroupCommit { writers: 4, max_batch: 128 },
            _ => GroupCommit { writers: 1, max_batch: 256 },
        }
    }
}

struct Pending {
    punch: Punch,
    photo: Option<PhotoRecord>,
    reply: oneshot::Sender<Result<PunchInsert, StoreError>>,
}

/// Where requests hand their punches to be committed in groups. Cheap to clone.
#[derive(Clone)]
pub struct PunchWriter {
    queue: mpsc::Sender<Pending>,
}

impl PunchWriter {
    /// Starts the writer tasks on the current tokio runtime. They stop when every `PunchWriter`
    /// clone is dropped, after committing what was queued.
    pub fn start(store: Arc<dyn Store>, config: GroupCommit) -> PunchWriter {
        let (queue, incoming) = mpsc::channel(config.max_batch.max(1) * config.writers.max(1) * 8);
        let incoming = Arc::new(Mutex::new(incoming));
        for _ in 0..config.writers.max(1) {
            tokio::spawn(write_batches(store.clone(), incoming.clone(), config.max_batch.max(1)));
        }
        PunchWriter { queue }
    }

    /// Stores a punch (with its photo's record and verification job) and answers once its
    /// transaction has committed durably. A punch whose client id is stored already comes back
    /// as [`PunchInsert::Existing`].
    pub async fn insert(&self, punch: Punch, photo: Option<PhotoRecord>) -> Result<PunchInsert, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { punch, photo, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the punch writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the punch writer stopped before committing".into()))?
    }
}

/// One writer: takes the first waiting punch and whatever else is waiting by then, commits them
/// together, answers each, and goes again.
async fn write_batches(store: Arc<dyn Store>, incoming: Arc<Mutex<mpsc::Receiver<Pending>>>, max_batch: usize) {
    loop {
        let mut batch = Vec::new();
        {
            let mut incoming = incoming.lock().await;
            if incoming.recv_many(&mut batch, max_batch).await == 0 {
                return;
            }
        }
        let punches: Vec<(Punch, Option<PhotoRecord>)> = batch.iter().map(|p| (p.punch.clone(), p.photo.clone())).collect();
        match store.insert_punches(&punches).await {
            Ok(results) => {
                for (pending, result) in batch.into_iter().zip(results) {
                    let _ = pending.reply.send(result);
                }
            }
            Err(error) => {
                // The transaction failed as a whole: nothing was stored, each request hears so.
                tracing::error!(%error, punches = punches.len(), "a group commit failed");
                let message = error.to_string();
                for pending in batch {
                    let _ = pending.reply.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }
}
