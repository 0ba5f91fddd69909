//! What every handler can reach: the store, the settings, the metrics and the CPU pool.

use std::sync::Arc;

use mianshi_store::Store;

use crate::config::Config;
use crate::cpu::CpuPool;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// CPU-heavy request work (document parsing) runs here, never on the async workers.
    pub cpu: Arc<CpuPool>,
    /// Speech recognition: a dedicated thread with the loaded model and a bounded queue.
    pub asr: Arc<crate::asr::AsrEngine>,
    /// The sentence-embedding model for answer relevance, loaded on first use.
    pub embedder: Arc<crate::semantic::EmbedderSlot>,
    /// The camera models, loaded on first use.
    pub vision: Arc<crate::camera::VisionSlot>,
    /// Model fetches in progress or failed.
    pub models: Arc<crate::models::ModelBoard>,
    /// Spoken answers whose live connection dropped mid-answer, kept for the reconnect.
    pub parked_answers: Arc<crate::routes::live::ParkedAnswers>,
    /// Shutdown with live answers in flight (see [`Drain`]).
    pub drain: Arc<Drain>,
    /// The live nudge kinds and their rules.
    pub nudges: Arc<mianshi_review::Catalogue>,
    /// Behaviour scores per window: the review model, or the rule engine without one.
    pub behaviour: Arc<mianshi_review::scorer::BehaviourScorer>,
    /// Request budgets per caller (see [`crate::auth`]).
    pub limiter: Arc<crate::auth::RateLimiter>,
    /// The other nodes, over NATS, when `nats_url` is set.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// A shutdown that lets live answers finish: the signal every live stream watches, and a count
/// of the streams still open so the server can wait for them before it exits.
pub struct Drain {
    started: tokio::sync::watch::Sender<bool>,
    open: std::sync::atomic::AtomicUsize,
    closed: tokio::sync::Notify,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            started: tokio::sync::watch::channel(false).0,
            open: std::sync::atomic::AtomicUsize::new(0),
            closed: tokio::sync::Notify::new(),
        }
    }
}

/// A live stream counted as open until this is dropped.
pub struct OpenStream(Arc<Drain>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0
            .open
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.0.closed.notify_waiters();
    }
}

impl Drain {
    pub fn begin(&self) {
        self.started.send_replace(true);
    }

    pub fn signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.started.subscribe()
    }

    pub fn enter(self: &Arc<Self>) -> OpenStream {
        self.open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        OpenStream(self.clone())
    }

    /// Waits until every live stream has closed, or `limit`; `false` if some were still open.
    pub async fn wait_closed(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let closed = self.closed.notified();
            if self.open.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                return false;
            }
        }
    }
}
