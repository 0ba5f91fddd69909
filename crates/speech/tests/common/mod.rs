//! What the model-backed speech tests share: models and clips through the manifest, loaded
//! once per test binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use mianshi_speech::vad::SileroVad;
use mianshi_speech::whisper::Whisper;

pub fn fetched(name: &str) -> PathBuf {
    mianshi_models::fetch_into_user_cache(name).expect("model fetched from its sources")
}

pub fn whisper() -> Arc<Whisper> {
    static MODEL: OnceLock<Arc<Whisper>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            Arc::new(Whisper::load(&fetched("whisper-base"), "whisper-base").expect("loads"))
        })
        .clone()
}

pub fn vad() -> Arc<SileroVad> {
    static MODEL: OnceLock<Arc<SileroVad>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = fetched("silero-vad").join("silero_vad_op18_ifless.onnx");
            Arc::new(SileroVad::load(&path).expect("VAD loads"))
        })
        .clone()
}

/// A recorded test clip at 16 kHz and its reference transcript.
pub fn clip(name: &str) -> (Vec<f32>, String) {
    let dir = fetched("speech-test-clips");
    let bytes = std::fs::read(dir.join(format!("{name}.wav"))).expect("clip");
    let audio = mianshi_speech::decode(&bytes, 600).expect("decodes");
    let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).expect("transcript");
    (audio.to_16k(), text.trim().to_owned())
}
