//! The speech-recognition engine: dedicated threads share the loaded Whisper model and
//! serve transcription jobs from bounded queues (one per thread); handlers send a job with a reply channel
//! and await it, so inference never runs on the async workers and a burst of uploads is
//! turned away (`busy`) instead of queueing without bound. The model is loaded once, when
//! its files are in the cache (the start-up fetch may still be running), and shared.
//!
//! Live streams run on the same threads: each stream's state (a [`StreamingTranscriber`]: its
//! audio buffer and hypotheses) lives in one worker, chosen and keyed by stream id, next to the one copy
//! of the weights; a stream's owner sends it audio and awaits the resulting event.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use mianshi_models::{manifest, CacheState, ModelCache};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mianshi_speech::streaming::{StreamEvent, StreamingOptions, StreamingTranscriber};
use mianshi_speech::whisper::{
    manifest_name, TranscribeOptions, Transcript, Whisper, WhisperError,
};
use tokio::sync::oneshot;

use crate::error::ApiError;

/// The voice activity detector in the model manifest.
const VAD_MODEL: &str = "silero-vad";

#[derive(Clone)]
enum Loaded {
    No,
    Yes(Arc<Whisper>),
    Failed(String),
}

enum Job {
    Transcribe {
        samples: Vec<f32>,
        options: TranscribeOptions,
        reply: oneshot::Sender<Result<Transcript, ApiError>>,
    },
    /// Audio for a live stream (created on its first audio).
    Stream {
        id: u64,
        options: StreamingOptions,
        samples: Vec<f32>,
        reply: oneshot::Sender<Result<Vec<StreamEvent>, ApiError>>,
    },
    /// The speaker is done: the stream's final utterance.
    EndOfSpeech {
        id: u64,
        reply: oneshot::Sender<Result<Option<StreamEvent>, ApiError>>,
    },
    Close {
        id: u64,
    },
}

/// A stream whose owner sent nothing for this long is dropped (its owner vanished without
/// closing it).
const STREAM_IDLE: Duration = Duration::from_secs(600);
/// The voice detector's decisions are taken per 250 ms of a batch of streamed audio.
const STREAM_PIECE_SAMPLES: usize = 4_000;

pub struct AsrEngine {
    /// One queue per worker thread. A live stream's state lives on one worker (its id picks
    /// the queue); one-off transcriptions go to whichever queue has room.
    queues: Vec<SyncSender<Job>>,
    next_queue: AtomicU64,
    loaded: Arc<Mutex<Loaded>>,
    model_name: String,
    model_dir: PathBuf,
    next_stream: AtomicU64,
}

/// One live stream's handle: audio in, transcript events out, in order. Dropping it frees
/// the stream's state in the worker.
/// The worker's answer to a [`AsrStream::submit`].
pub type PendingResult = oneshot::Receiver<Result<Vec<StreamEvent>, ApiError>>;

pub struct AsrStream {
    engine: Arc<AsrEngine>,
    id: u64,
    options: StreamingOptions,
}

impl AsrStream {
    /// Adds 16 kHz samples; waits for the worker (so a slow engine slows the sender down
    /// instead of audio piling up).
    pub async fn push(&self, samples: Vec<f32>) -> Result<Vec<StreamEvent>, ApiError> {
        self.submit(samples)
            .await?
            .await
            .map_err(|_| ApiError::Internal("the speech engine dropped a stream".into()))?
    }

    /// Queues 16 kHz samples and returns where the result will arrive, so the caller can go
    /// on reading while the worker transcribes.
    pub async fn submit(&self, samples: Vec<f32>) -> Result<PendingResult, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.engine
            .send(
                self.id,
                Job::Stream {
                    id: self.id,
                    options: self.options.clone(),
                    samples,
                    reply,
                },
            )
            .await?;
        Ok(answer)
    }

    /// Ends the current utterance and returns it (if anything was said).
    pub async fn end_of_speech(&self) -> Result<Option<StreamEvent>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.engine
            .send(self.id, Job::EndOfSpeech { id: self.id, reply })
            .await?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the speech engine dropped a stream".into()))?
    }
}

impl Drop for AsrStream {
    fn drop(&mut self) {
        // Best effort; a stream left behind is dropped after STREAM_IDLE.
        let _ = self
            .engine
            .queue_of(self.id)
            .try_send(Job::Close { id: self.id });
    }
}

impl AsrEngine {
    /// Starts `workers` engine threads sharing one loaded model. `size` is the configured
    /// Whisper size (`base`, …). More than one worker pays off with several live streams:
    /// the decoder's per-token work is mostly single-threaded, so one worker leaves cores
    /// idle.
    pub fn start(model_dir: PathBuf, size: &str, queue_depth: usize, workers: usize) -> Arc<Self> {
        let loaded = Arc::new(Mutex::new(Loaded::No));
        let vad = Arc::new(Mutex::new(None));
        let mut queues = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..workers.max(1) {
            let (queue, jobs) = sync_channel(queue_depth.max(1));
            queues.push(queue);
            receivers.push(jobs);
        }
        let engine = Arc::new(Self {
            queues,
            next_queue: AtomicU64::new(0),
            loaded,
            model_name: manifest_name(size),
            model_dir,
            next_stream: AtomicU64::new(1),
        });
        for (i, jobs) in receivers.into_iter().enumerate() {
            let worker = Worker {
                loaded: engine.loaded.clone(),
                model_name: engine.model_name.clone(),
                model_dir: engine.model_dir.clone(),
                vad: vad.clone(),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("asr-{i}"))
                .spawn(move || worker.run(jobs));
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start a speech-recognition thread");
            }
        }
        engine
    }

    fn queue_of(&self, stream: u64) -> &SyncSender<Job> {
        &self.queues[(stream % self.queues.len() as u64) as usize]
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
        let mut job = Job::Transcribe {
            samples,
            options,
            reply,
        };
        let first = self.next_queue.fetch_add(1, Ordering::Relaxed) as usize;
        let n = self.queues.len();
        let mut queued = false;
        for k in 0..n {
            match self.queues[(first + k) % n].try_send(job) {
                Ok(()) => {
                    queued = true;
                    break;
                }
                Err(TrySendError::Full(back)) => job = back,
                Err(TrySendError::Disconnected(_)) => {
                    return Err(ApiError::Internal("the speech engine stopped".into()))
                }
            }
        }
        if !queued {
            return Err(ApiError::Busy);
        }
        answer
            .await
            .map_err(|_| ApiError::Internal("the speech engine dropped a job".into()))?
    }

    /// Opens a live stream (fails fast while the model is still being fetched).
    pub fn stream(self: &Arc<Self>, options: StreamingOptions) -> Result<AsrStream, ApiError> {
        self.ready()?;
        Ok(AsrStream {
            engine: self.clone(),
            id: self.next_stream.fetch_add(1, Ordering::Relaxed),
            options,
        })
    }

    /// Queues a stream job, waiting (without blocking a worker thread) while the queue is
    /// full: live audio must not be refused the way a one-off upload is.
    async fn send(&self, stream: u64, mut job: Job) -> Result<(), ApiError> {
        loop {
            match self.queue_of(stream).try_send(job) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    job = back;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(TrySendError::Disconnected(_)) => {
                    return Err(ApiError::Internal("the speech engine stopped".into()))
                }
            }
        }
    }
}

struct Worker {
    loaded: Arc<Mutex<Loaded>>,
    model_name: String,
    model_dir: PathBuf,
    /// The VAD once loaded; every stream shares it (its per-stream state is separate).
    vad: Arc<Mutex<Option<Arc<mianshi_speech::vad::SileroVad>>>>,
}

impl Worker {
    /// Silero VAD, when its files are in the cache (loaded once, then shared): long
    /// recordings are then cut at pauses and silent stretches skipped. Without it Whisper
    /// still runs, on fixed 30 s windows.
    fn vad(&self) -> Option<Arc<mianshi_speech::vad::SileroVad>> {
        let mut slot = self.vad.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(vad) = &*slot {
            return Some(vad.clone());
        }
        let spec = manifest().get(VAD_MODEL).ok()?;
        let cache = ModelCache::new(&self.model_dir);
        if cache.state(spec) != CacheState::Ready {
            tracing::info!("no voice activity detector yet: fixed 30 s windows");
            return None;
        }
        let path = cache.model_dir(spec).join("silero_vad_op18_ifless.onnx");
        match mianshi_speech::vad::SileroVad::load(&path) {
            Ok(vad) => Some(slot.insert(Arc::new(vad)).clone()),
            Err(err) => {
                tracing::warn!(%err, "voice activity detector failed to load");
                None
            }
        }
    }

    fn model(&self) -> Result<Arc<Whisper>, ApiError> {
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
        let mut streams: HashMap<u64, (StreamingTranscriber, Instant)> = HashMap::new();
        for job in jobs {
            streams.retain(|_, (_, used)| used.elapsed() < STREAM_IDLE);
            match job {
                Job::Transcribe {
                    samples,
                    options,
                    reply,
                } => {
                    if reply.is_closed() {
                        continue;
                    }
                    let _ = reply.send(self.transcribe(&samples, &options));
                }
                Job::Stream {
                    id,
                    options,
                    samples,
                    reply,
                } => {
                    let result = match streams.entry(id) {
                        std::collections::hash_map::Entry::Occupied(entry) => Ok(entry.into_mut()),
                        std::collections::hash_map::Entry::Vacant(entry) => {
                            self.model().map(|model| {
                                let mut stream = StreamingTranscriber::new(model, options);
                                if let Some(vad) = self.vad() {
                                    stream = stream.with_vad(vad);
                                }
                                entry.insert((stream, Instant::now()))
                            })
                        }
                    }
                    .and_then(|(stream, used)| {
                        *used = Instant::now();
                        stream
                            .push_batch(&samples, STREAM_PIECE_SAMPLES)
                            .map_err(api_error)
                    });
                    let _ = reply.send(result);
                }
                Job::EndOfSpeech { id, reply } => {
                    let result = match streams.get_mut(&id) {
                        Some((stream, used)) => {
                            *used = Instant::now();
                            stream.end_of_speech().map_err(api_error)
                        }
                        None => Ok(None),
                    };
                    let _ = reply.send(result);
                }
                Job::Close { id } => {
                    streams.remove(&id);
                }
            }
        }
    }

    fn transcribe(
        &self,
        samples: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcript, ApiError> {
        self.model().and_then(|model| {
            let started = std::time::Instant::now();
            let transcript = model.transcribe(samples, options).map_err(api_error);
            tracing::info!(
                audio_seconds = samples.len() as f64 / 16_000.0,
                seconds = started.elapsed().as_secs_f64(),
                "transcribed"
            );
            transcript
        })
    }
}

/// A recognition failure as the API reports it: an unknown language is the caller's mistake.
fn api_error(err: WhisperError) -> ApiError {
    match err {
        WhisperError::UnknownLanguage(_) => ApiError::Validation(err.to_string()),
        other => ApiError::Internal(other.to_string()),
    }
}
