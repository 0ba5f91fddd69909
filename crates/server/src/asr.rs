//! The speech-recognition engine: one dedicated thread owns the loaded Whisper model and
//! serves transcription jobs from a bounded queue; handlers send a job with a reply channel
//! and await it, so inference never runs on the async workers and a burst of uploads is
//! turned away (`busy`) instead of queueing without bound. The model is loaded once, when
//! its files are in the cache (the start-up fetch may still be running), and shared.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use mianshi_models::{manifest, CacheState, ModelCache};
use mianshi_speech::whisper::{
    manifest_name, SpeechRecognizer, TranscribeOptions, Transcript, Whisper, WhisperError,
};
use tokio::sync::oneshot;

use crate::error::ApiError;

/// The voice activity detector in the model manifest.
const VAD_MODEL: &str = "silero-vad";

#[derive(Clone)]
enum Loaded {
    No,
    Yes(Arc<dyn SpeechRecognizer>),
    Failed(String),
}

struct Job {
    samples: Vec<f32>,
    options: TranscribeOptions,
    reply: oneshot::Sender<Result<Transcript, ApiError>>,
}

pub struct AsrEngine {
    queue: SyncSender<Job>,
    loaded: Arc<Mutex<Loaded>>,
    model_name: String,
    model_dir: PathBuf,
}

impl AsrEngine {
    /// Starts the engine thread. `size` is the configured Whisper size (`base`, …).
    pub fn start(model_dir: PathBuf, size: &str, queue_depth: usize) -> Arc<Self> {
        let (queue, jobs) = sync_channel(queue_depth.max(1));
        let engine = Arc::new(Self {
            queue,
            loaded: Arc::new(Mutex::new(Loaded::No)),
            model_name: manifest_name(size),
            model_dir,
        });
        let worker = Worker {
            loaded: engine.loaded.clone(),
            model_name: engine.model_name.clone(),
            model_dir: engine.model_dir.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("asr".into())
            .spawn(move || worker.run(jobs));
        if let Err(err) = spawned {
            tracing::error!(%err, "cannot start the speech-recognition thread");
        }
        engine
    }

    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// Whether a transcription could run now (the model is loaded or loadable).
    pub fn ready(&self) -> Result<(), ApiError> {
        if let Ok(Loaded::Yes(_)) = self.loaded.lock().map(|l| l.clone()) {
            return Ok(());
        }
        if let Ok(Loaded::Failed(reason)) = self.loaded.lock().map(|l| l.clone()) {
            return Err(ApiError::ModelUnavailable(reason));
        }
        let spec = manifest()
            .get(&self.model_name)
            .map_err(|e| ApiError::ModelUnavailable(e.to_string()))?;
        match ModelCache::new(&self.model_dir).state(spec) {
            CacheState::Ready => Ok(()),
            _ => Err(ApiError::ModelLoading(format!(
                "{} is not in the model cache yet; the server fetches it on start (see \
                 /api/ai/models/status) or run `mianshi models fetch {}`",
                self.model_name, self.model_name
            ))),
        }
    }

    pub async fn transcribe(
        &self,
        samples: Vec<f32>,
        options: TranscribeOptions,
    ) -> Result<Transcript, ApiError> {
        self.ready()?;
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Job {
            samples,
            options,
            reply,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(ApiError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::Internal("the speech engine stopped".into()))
            }
        }
        answer
            .await
            .map_err(|_| ApiError::Internal("the speech engine dropped a job".into()))?
    }
}

struct Worker {
    loaded: Arc<Mutex<Loaded>>,
    model_name: String,
    model_dir: PathBuf,
}

impl Worker {
    /// Silero VAD, when its files are in the cache: long recordings are then cut at pauses
    /// and silent stretches skipped. Without it Whisper still runs, on fixed 30 s windows.
    fn vad(&self) -> Option<Arc<mianshi_speech::vad::SileroVad>> {
        let spec = manifest().get(VAD_MODEL).ok()?;
        let cache = ModelCache::new(&self.model_dir);
        if cache.state(spec) != CacheState::Ready {
            tracing::info!("no voice activity detector yet: fixed 30 s windows");
            return None;
        }
        let path = cache.model_dir(spec).join("silero_vad_op18_ifless.onnx");
        match mianshi_speech::vad::SileroVad::load(&path) {
            Ok(vad) => Some(Arc::new(vad)),
            Err(err) => {
                tracing::warn!(%err, "voice activity detector failed to load");
                None
            }
        }
    }

    fn model(&self) -> Result<Arc<dyn SpeechRecognizer>, ApiError> {
        let current = self.loaded.lock().map(|l| l.clone()).unwrap_or(Loaded::No);
        match current {
            Loaded::Yes(model) => return Ok(model),
            Loaded::Failed(reason) => return Err(ApiError::ModelUnavailable(reason)),
            Loaded::No => {}
        }
        let spec = manifest()
            .get(&self.model_name)
            .map_err(|e| ApiError::ModelUnavailable(e.to_string()))?;
        let dir = ModelCache::new(&self.model_dir).model_dir(spec);
        let started = std::time::Instant::now();
        let outcome = match Whisper::load(&dir, &self.model_name) {
            Ok(model) => {
                tracing::info!(model = %self.model_name, seconds = started.elapsed().as_secs_f64(), "speech model loaded");
                let model = match self.vad() {
                    Some(vad) => model.with_vad(vad),
                    None => model,
                };
                Loaded::Yes(Arc::new(model))
            }
            // Missing files may still be arriving; anything else will not fix itself.
            Err(WhisperError::Io(err)) => {
                return Err(ApiError::ModelLoading(format!(
                    "{} is not readable yet: {err}",
                    self.model_name
                )))
            }
            Err(err) => {
                tracing::error!(model = %self.model_name, %err, "speech model failed to load");
                Loaded::Failed(err.to_string())
            }
        };
        if let Ok(mut slot) = self.loaded.lock() {
            *slot = outcome.clone();
        }
        match outcome {
            Loaded::Yes(model) => Ok(model),
            Loaded::Failed(reason) => Err(ApiError::ModelUnavailable(reason)),
            Loaded::No => unreachable!("set above"),
        }
    }

    fn run(self, jobs: Receiver<Job>) {
        // Load eagerly when the files are already here, so the first request is fast.
        if let Ok(spec) = manifest().get(&self.model_name) {
            if ModelCache::new(&self.model_dir).state(spec) == CacheState::Ready {
                let _ = self.model();
            }
        }
        for job in jobs {
            if job.reply.is_closed() {
                continue;
            }
            let result = self.model().and_then(|model| {
                let started = std::time::Instant::now();
                let transcript =
                    model
                        .transcribe(&job.samples, &job.options)
                        .map_err(|err| match err {
                            WhisperError::UnknownLanguage(_) => {
                                ApiError::Validation(err.to_string())
                            }
                            other => ApiError::Internal(other.to_string()),
                        });
                tracing::info!(
                    audio_seconds = job.samples.len() as f64 / 16_000.0,
                    seconds = started.elapsed().as_secs_f64(),
                    "transcribed"
                );
                transcript
            });
            let _ = job.reply.send(result);
        }
    }
}
