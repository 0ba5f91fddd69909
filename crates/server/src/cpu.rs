//! A bounded pool for CPU-heavy request work (document parsing today, more later), so such
//! work never runs on the async workers and a burst of uploads queues briefly or is turned
//! away with 503 instead of piling up.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::ApiError;

pub struct CpuPool {
    permits: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl CpuPool {
    pub fn new(workers: usize, queue_timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            queue_timeout,
        }
    }

    /// Runs `job` on the blocking pool once one of the pool's slots is free.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::Busy)?
            .map_err(|_| ApiError::Internal("cpu pool closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            job()
        })
        .await
        .map_err(|err| ApiError::Internal(format!("cpu job failed: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_turns_work_away_after_the_queue_timeout() {
        let pool = Arc::new(CpuPool::new(1, Duration::from_millis(50)));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        assert!(matches!(pool.run(|| 1).await, Err(ApiError::Busy)));
        release_tx.send(()).unwrap();
        busy.await.unwrap().unwrap();
        assert_eq!(pool.run(|| 2).await.unwrap(), 2);
    }
}
