//! The sentence-embedding model the scorer uses for meaning-level relevance: loaded once,
//! on first use, from the model cache (the start-up fetch may still be running, so a miss is
//! retried on the next answer), shared by every session. Loading and inference happen on the
//! CPU pool, inside the answer job; question and key-point vectors are kept
//! ([`CachingEmbedder`]) and computed when the question is asked.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mianshi_interviewer::semantic::{CachingEmbedder, Embedder};
use mianshi_models::{manifest, CacheState, ModelCache};

pub const MODEL: &str = "multilingual-e5-small";

/// Question and key-point vectors kept (384 floats each: 4096 of them take 6 MB).
const CACHED_VECTORS: usize = 4096;

enum Slot {
    Empty,
    Loaded(Arc<dyn Embedder>),
    Failed,
}

pub struct EmbedderSlot {
    model_dir: PathBuf,
    slot: Mutex<Slot>,
}

impl EmbedderSlot {
    pub fn new(model_dir: PathBuf) -> Self {
        Self {
            model_dir,
            slot: Mutex::new(Slot::Empty),
        }
    }

    /// The model, loading it if its files are ready; `None` when it is not (the scorer then
    /// uses its lexical rules and says so). Blocking: call from the CPU pool.
    pub fn get(&self) -> Option<Arc<dyn Embedder>> {
        let mut slot = self.slot.lock().ok()?;
        match &*slot {
            Slot::Loaded(model) => return Some(model.clone()),
            Slot::Failed => return None,
            Slot::Empty => {}
        }
        let spec = manifest().get(MODEL).ok()?;
        let cache = ModelCache::new(&self.model_dir);
        if cache.state(spec) != CacheState::Ready {
            return None;
        }
        let path = cache.model_dir(spec).join("e5-small-q4.bin");
        match mianshi_interviewer::e5::E5Model::load(&path) {
            Ok(model) => {
                tracing::info!(model = MODEL, "sentence-embedding model loaded");
                let model: Arc<dyn Embedder> =
                    Arc::new(CachingEmbedder::new(Arc::new(model), CACHED_VECTORS));
                *slot = Slot::Loaded(model.clone());
                Some(model)
            }
            Err(err) => {
                tracing::error!(model = MODEL, %err, "sentence-embedding model failed to load");
                *slot = Slot::Failed;
                None
            }
        }
    }
}
