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
    /// The live nudge kinds and their rules.
    pub nudges: Arc<mianshi_review::Catalogue>,
    /// Behaviour scores per window: the review model, or the rule engine without one.
    pub behaviour: Arc<mianshi_review::scorer::BehaviourScorer>,
}
