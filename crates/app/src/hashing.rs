//! Password and PIN hashing (argon2: about 19 MiB and tens of milliseconds each) is work anyone
//! can cause by signing in, so it runs on blocking threads behind a small semaphore with a short
//! queue; beyond the queue, or after waiting too long, the answer is "busy" instead.

use crate::AppError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The bound on hashing, one per server; cheap to clone.
#[derive(Debug, Clone)]
pub struct HashGate {
    running: Arc<Semaphore>,
    queued: Arc<Semaphore>,
    wait: Duration,
}

impl HashGate {
    /// At most `at_once` hashes at a time, `queue` more waiting, each at most `wait`.
    pub fn new(at_once: usize, queue: usize, wait: Duration) -> HashGate {
        HashGate {
            running: Arc::new(Semaphore::new(at_once.max(1))),
            queued: Arc::new(Semaphore::new(queue.max(1) + at_once.max(1))),
            wait,
        }
    }

    /// Runs `work` (a hash, or its check) on a blocking thread once a slot is free;
    /// [`AppError::Busy`] when too many wait already or the wait is too long.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let busy = || AppError::Busy { message: "the server is busy checking sign-ins; try again in a moment".to_owned(), retry_after: 1 };
        let _queued = self.queued.clone().try_acquire_owned().map_err(|_| busy())?;
        let _slot = tokio::time::timeout(self.wait, self.running.clone().acquire_owned()).await.map_err(|_| busy())?.map_err(|_| busy())?;
        tokio::task::spawn_blocking(work).await.map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_beyond_the_queue_is_refused_as_busy_and_the_rest_runs() {
        let gate = HashGate::new(1, 1, Duration::from_secs(60));
        // The one slot and the one place in the queue are taken by work that waits to be let go.
        let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
        let blocked = |gate: HashGate, started: tokio::sync::mpsc::UnboundedSender<()>| {
            let (go, hold) = std::sync::mpsc::channel::<()>();
            let task = tokio::spawn(async move {
                gate.run(move || {
                    let _ = started.send(());
                    let _ = hold.recv();
                })
                .await
            });
            (go, task)
        };
        let (go_first, first) = blocked(gate.clone(), started_tx.clone());
        started.recv().await;
        let (go_second, second) = blocked(gate.clone(), started_tx.clone());
        // The second waits for the slot; then a third finds no place in the queue.
        while gate.queued.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.run(|| ()).await, Err(AppError::Busy { retry_after: 1, .. })));
        go_first.send(()).unwrap();
        go_second.send(()).unwrap();
        assert!(first.await.unwrap().is_ok());
        assert!(second.await.unwrap().is_ok());
        assert_eq!(gate.run(|| 2 + 2).await.unwrap(), 4, "once the others are done");
    }
}
