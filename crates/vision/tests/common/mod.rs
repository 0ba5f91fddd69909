//! What the model-backed vision tests share: models and photos through the manifest, loaded
//! once per test binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use mianshi_vision::{Vision, VisionPaths};

pub fn fetched(name: &str) -> PathBuf {
    mianshi_models::fetch_into_user_cache(name).expect("model fetched from its sources")
}

/// The model cache root with every vision model present.
pub fn model_root() -> PathBuf {
    for name in ["mediapipe-face", "mediapipe-pose", "fer-mini-xception"] {
        fetched(name);
    }
    mianshi_models::user_model_dir()
}

pub fn vision() -> Arc<Vision> {
    static MODELS: OnceLock<Arc<Vision>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            Arc::new(Vision::load(&VisionPaths::in_cache(&model_root())).expect("models load"))
        })
        .clone()
}

pub fn photo(name: &str) -> image::RgbImage {
    let path = fetched("vision-test-images").join(name);
    image::open(&path).expect("photo decodes").to_rgb8()
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(data(name)).expect("reference data")).expect("json")
}
