//! The camera models as the server holds them: loaded once, on first use, from the model
//! cache (the start-up fetch may still be running, so a miss is retried on the next request),
//! shared by every request and live session. Loading and inference run on the CPU pool.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mianshi_models::{manifest, CacheState, ModelCache};
use mianshi_vision::{Vision, VisionPaths};

use crate::error::ApiError;

/// The face models are required; pose and expression are used when present.
const REQUIRED: &str = "mediapipe-face";

pub struct VisionSlot {
    model_dir: PathBuf,
    slot: Mutex<Option<Arc<Vision>>>,
}

impl VisionSlot {
    pub fn new(model_dir: PathBuf) -> Self {
        Self {
            model_dir,
            slot: Mutex::new(None),
        }
    }

    /// The models, loading them if their files are ready. Blocking: call from the CPU pool.
    pub fn get(&self) -> Result<Arc<Vision>, ApiError> {
        let mut slot = self
            .slot
            .lock()
            .map_err(|_| ApiError::Internal("vision slot poisoned".into()))?;
        if let Some(vision) = &*slot {
            return Ok(vision.clone());
        }
        let cache = ModelCache::new(&self.model_dir);
        let spec = manifest()
            .get(REQUIRED)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if cache.state(spec) != CacheState::Ready {
            return Err(ApiError::ModelLoading(format!(
                "{REQUIRED} is not in {} yet (`mianshi models fetch`)",
                self.model_dir.display()
            )));
        }
        // Optional models count only when complete and verified.
        let ready = |name: &str| {
            manifest()
                .get(name)
                .is_ok_and(|m| cache.state(m) == CacheState::Ready)
        };
        let mut paths = VisionPaths::in_cache(cache.root());
        if !ready("mediapipe-pose") {
            paths.pose_detector = PathBuf::from("/nonexistent");
        }
        if !ready("fer-mini-xception") {
            paths.expression = PathBuf::from("/nonexistent");
        }
        let vision =
            Arc::new(Vision::load(&paths).map_err(|e| ApiError::ModelUnavailable(e.to_string()))?);
        tracing::info!(
            pose = vision.has_pose(),
            expression = vision.has_expression(),
            "camera models loaded"
        );
        // Keep it only when complete, so a model fetched later is picked up.
        if vision.has_pose() && vision.has_expression() {
            *slot = Some(vision.clone());
        }
        Ok(vision)
    }
}
