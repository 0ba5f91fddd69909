//! The live interview stream, `GET /ws/video-stream/{session_id}` (DESIGN §7,
//! docs/protocol.md): the spoken interview loop. The server sends the open question; the
//! candidate's audio comes back as live transcripts; at `answer_end` the final transcript is
//! scored and committed as the turn (as a typed answer would be) and the next question, or
//! the end of the interview, is sent. Camera frames are analysed beside it (`live_video`);
//! nudges join in a later slice.
//!
//! One task per connection reads frames in order. Audio goes to the speech engine's thread as
//! a stream (its state lives there, beside the shared weights) in 250 ms pieces, and the task
//! waits for each piece's result before reading more: a slow engine slows the client down
//! through TCP instead of audio piling up here, and no audio is dropped.

use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use mianshi_core::{AnswerSource, SessionId};
use mianshi_speech::streaming::{StreamEvent, StreamingOptions};
use mianshi_speech::webm_stream::{starts_webm, WebmAudioStream};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::asr::AsrStream;
use crate::error::ApiError;
use crate::extract::SessionPath;
use crate::live_video::{LiveVideo, FPS_RANGE};
use crate::routes::interview::load_session;
use crate::routes::loop_::{ask, submit_answer};
use crate::state::AppState;

/// What a candidate had said of an answer when their connection dropped, by session: the
/// reconnecting stream picks it up, so a dropped connection loses no words. Bounded: past
/// `MAX_PARKED` sessions the oldest parked answer is dropped (and logged).
#[derive(Default)]
pub struct ParkedAnswers {
    parked: std::sync::Mutex<std::collections::VecDeque<(SessionId, Vec<String>)>>,
    /// Sessions with a connection open (or still parking what it heard).
    connected: std::sync::Mutex<std::collections::HashSet<SessionId>>,
}

const MAX_PARKED: usize = 10_000;

impl ParkedAnswers {
    /// Waits (up to 5 s) for an earlier connection of the session to finish parking, then
    /// claims the session and returns its parked answer.
    async fn connect(&self, id: SessionId) -> Vec<String> {
        for _ in 0..100 {
            let claimed = self
                .connected
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id);
            if claimed {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.take(id)
    }

    fn disconnect(&self, id: SessionId) {
        let mut connected = self.connected.lock().unwrap_or_else(|e| e.into_inner());
        connected.remove(&id);
    }

    fn park(&self, id: SessionId, utterances: Vec<String>) {
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        parked.retain(|(other, _)| *other != id);
        if parked.len() >= MAX_PARKED {
            if let Some((lost, _)) = parked.pop_front() {
                tracing::warn!(session_id = %lost, "parked answer dropped: too many parked");
            }
        }
        parked.push_back((id, utterances));
    }

    fn take(&self, id: SessionId) -> Vec<String> {
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        match parked.iter().position(|(other, _)| *other == id) {
            Some(at) => parked.remove(at).map(|(_, u)| u).unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// Protocol version spoken here; `hello` may name it.
pub const PROTOCOL_VERSION: u32 = 1;
/// Binary frame kinds: 1 byte kind, 8 bytes timestamp (ms, little-endian), payload.
const KIND_AUDIO_PCM16: u8 = 0x01;
const KIND_VIDEO_JPEG: u8 = 0x02;
const HEADER_BYTES: usize = 9;
/// Audio handed to the recogniser at a time (250 ms at 16 kHz).
const PIECE_SAMPLES: usize = 4_000;
/// Silence after speech that ends the candidate's turn unless `hello` sets another
/// (`turn_patience`, 0.5–3 s): the longest allowed, so nobody thinking is cut off.
const DEFAULT_TURN_PATIENCE: f64 = 3.0;
const TURN_PATIENCE_RANGE: (f64, f64) = (0.5, 3.0);
/// Delivery metrics are measured over the last 20 s of audio, once a second of audio.
const METRICS_WINDOW_SAMPLES: usize = 16_000 * 20;
const METRICS_EVERY_SAMPLES: usize = 16_000;
/// Largest frame accepted: a camera JPEG or a few seconds of MediaRecorder output fit well
/// under it; anything bigger is not a live stream and must not be buffered.
const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// Opens the live stream of an existing session. 404 for an unknown session and 503 while
/// the speech model is still being fetched, before the upgrade.
pub async fn video_stream(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let session = load_session(&state, id).await?;
    state.asr.ready()?;
    // Screening sessions never infer facial expressions (DESIGN §2).
    let screening = session.metadata.get("mode").and_then(Value::as_str) == Some("screening");
    // The session's interview language is the stream's default; `hello` may change it.
    let language = session
        .metadata
        .get("language")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let upgrade = upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES);
    Ok(upgrade.on_upgrade(move |socket| async move {
        let answer = state.parked_answers.connect(id).await;
        let mut live = Live {
            id,
            turn_patience: DEFAULT_TURN_PATIENCE,
            answer,
            answer_started: None,
            socket,
            state,
            started: Instant::now(),
            language,
            stream: None,
            pending: Vec::new(),
            video: LiveVideo::new(screening),
            webm: None,
            recent: std::collections::VecDeque::with_capacity(METRICS_WINDOW_SAMPLES),
            since_metrics: 0,
        };
        if let Err(err) = live.run().await {
            tracing::warn!(session_id = %id, %err, "live stream ended with an error");
        }
        live.park().await;
        live.state.parked_answers.disconnect(id);
    }))
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Control {
    Hello {
        #[serde(default)]
        version: Option<u32>,
        #[serde(default)]
        language: Option<String>,
        /// Seconds of silence after speech that end the turn.
        #[serde(default)]
        turn_patience: Option<f64>,
        /// Camera frames analysed per second (1–15).
        #[serde(default)]
        video_fps: Option<f64>,
        /// `screening`: no facial-expression inference for the rest of the connection.
        #[serde(default)]
        mode: Option<String>,
    },
    /// The candidate looks at the camera from now until `calibration_end`.
    CalibrationStart,
    CalibrationEnd,
    AnswerStart,
    AnswerEnd,
    Ping,
}

struct Live {
    id: SessionId,
    turn_patience: f64,
    /// Utterances finalised since the answer began (the VAD ends one at every pause), the
    /// answer that `answer_end` submits.
    answer: Vec<String>,
    answer_started: Option<chrono::DateTime<chrono::Utc>>,
    socket: WebSocket,
    state: AppState,
    started: Instant,
    language: Option<String>,
    stream: Option<AsrStream>,
    pending: Vec<f32>,
    /// Camera frames: sampled, analysed on the CPU pool one at a time, latest wins.
    video: LiveVideo,
    /// A browser MediaRecorder's WebM stream, when the client sends its chunks as they are
    /// (the seed's `ws.send(videoBlob)`): from its first chunk on, every binary frame is WebM.
    webm: Option<WebmAudioStream>,
    /// The last `METRICS_WINDOW_SAMPLES` of audio, and audio since the last metrics event.
    recent: std::collections::VecDeque<f32>,
    since_metrics: usize,
}

impl Live {
    fn session_time(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    async fn send(&mut self, mut event: Value) -> Result<(), axum::Error> {
        event["t"] = json!(self.session_time());
        self.socket
            .send(Message::Text(event.to_string().into()))
            .await
    }

    async fn error(&mut self, code: &str, message: String) -> Result<(), axum::Error> {
        self.send(json!({"type": "error", "code": code, "message": message}))
            .await
    }

    /// Reads frames until the client closes, goes away, or stays silent for the configured
    /// idle time (pinged at a quarter of it, so a live client's pongs keep it open).
    async fn run(&mut self) -> Result<(), axum::Error> {
        let idle = std::time::Duration::from_secs(self.state.config.live_idle_seconds);
        let heartbeat = idle / 4;
        let mut last_heard = Instant::now();
        loop {
            let received = tokio::select! {
                received = tokio::time::timeout(heartbeat, self.socket.recv()) => received,
                Some(outcome) = self.video.rx.recv() => {
                    for event in self.video.finished(&self.state, outcome) {
                        self.send(event).await?;
                    }
                    continue;
                }
            };
            let message = match received {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(_) if last_heard.elapsed() >= idle => {
                    self.error(
                        "idle_timeout",
                        format!("nothing received for {} s", idle.as_secs()),
                    )
                    .await?;
                    let _ = self.socket.send(Message::Close(None)).await;
                    break;
                }
                Err(_) => {
                    self.socket.send(Message::Ping(Vec::new().into())).await?;
                    continue;
                }
            };
            last_heard = Instant::now();
            match message? {
                Message::Binary(bytes) => self.frame(&bytes).await?,
                Message::Text(text) => self.control(text.as_str()).await?,
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
        Ok(())
    }

    async fn control(&mut self, text: &str) -> Result<(), axum::Error> {
        let control = match serde_json::from_str::<Control>(text) {
            Ok(control) => control,
            Err(err) => {
                return self
                    .error("bad_message", format!("not a control message: {err}"))
                    .await
            }
        };
        match control {
            Control::Hello {
                version,
                language,
                turn_patience,
                video_fps,
                mode,
            } => {
                if let Some(v) = version.filter(|&v| v != PROTOCOL_VERSION) {
                    return self
                        .error(
                            "unsupported_version",
                            format!(
                                "protocol version {v} is not spoken here; use {PROTOCOL_VERSION}"
                            ),
                        )
                        .await;
                }
                if let Some(language) = language {
                    self.language = Some(language);
                    self.stream = None;
                }
                if let Some(patience) = turn_patience {
                    let (low, high) = TURN_PATIENCE_RANGE;
                    if !(low..=high).contains(&patience) {
                        return self
                            .error(
                                "bad_message",
                                format!("turn_patience must be {low} to {high} seconds"),
                            )
                            .await;
                    }
                    self.turn_patience = patience;
                    self.stream = None;
                }
                if let Some(fps) = video_fps {
                    let (low, high) = FPS_RANGE;
                    if !(low..=high).contains(&fps) {
                        return self
                            .error("bad_message", format!("video_fps must be {low} to {high}"))
                            .await;
                    }
                    self.video.fps = fps;
                }
                match mode.as_deref() {
                    None | Some("practice") => {}
                    Some("screening") => self.video.screening = true,
                    Some(other) => {
                        return self
                            .error(
                                "bad_message",
                                format!("mode must be practice or screening, not {other:?}"),
                            )
                            .await
                    }
                }
                let language = self.language.clone();
                self.send(json!({
                    "type": "hello",
                    "version": PROTOCOL_VERSION,
                    "capabilities": ["audio/pcm16", "audio/webm", "video/jpeg"],
                    "language": language,
                    "turn_patience": self.turn_patience,
                    "video_fps": self.video.fps,
                    "mode": if self.video.screening { "screening" } else { "practice" },
                }))
                .await?;
                self.send_question().await
            }
            Control::AnswerStart => {
                self.answer_started = Some(chrono::Utc::now());
                Ok(())
            }
            Control::AnswerEnd => self.answer_end().await,
            Control::Ping => self.send(json!({"type": "pong"})).await,
            Control::CalibrationStart => {
                self.video.calibration_start();
                Ok(())
            }
            Control::CalibrationEnd => {
                let event = self.video.calibration_end();
                self.send(event).await
            }
        }
    }

    async fn frame(&mut self, bytes: &[u8]) -> Result<(), axum::Error> {
        if self.webm.is_some() || starts_webm(bytes) {
            return self.webm_chunk(bytes).await;
        }
        if bytes.len() < HEADER_BYTES {
            return self
                .error(
                    "bad_frame",
                    format!("a binary frame needs {HEADER_BYTES} header bytes"),
                )
                .await;
        }
        let payload = &bytes[HEADER_BYTES..];
        match bytes[0] {
            KIND_AUDIO_PCM16 => {
                if !payload.len().is_multiple_of(2) {
                    return self
                        .error("bad_frame", "PCM16 audio has an odd byte count".into())
                        .await;
                }
                self.pending.extend(
                    payload
                        .chunks_exact(2)
                        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
                );
                self.recognise_pending().await
            }
            KIND_VIDEO_JPEG => {
                let millis =
                    u64::from_le_bytes(bytes[1..HEADER_BYTES].try_into().unwrap_or([0; 8]));
                let t = millis as f64 / 1000.0;
                self.video
                    .offer(&self.state, t, axum::body::Bytes::copy_from_slice(payload));
                Ok(())
            }
            kind => {
                self.error("bad_frame", format!("unknown frame kind {kind:#04x}"))
                    .await
            }
        }
    }

    async fn webm_chunk(&mut self, bytes: &[u8]) -> Result<(), axum::Error> {
        let webm = self.webm.get_or_insert_with(WebmAudioStream::new);
        match webm.push(bytes) {
            Ok(samples) => {
                self.pending.extend(samples);
                self.recognise_pending().await
            }
            Err(err) => {
                // A broken stream cannot be resynchronised; the next chunk must start anew.
                self.webm = None;
                self.error("bad_frame", err.to_string()).await
            }
        }
    }

    async fn recognise_pending(&mut self) -> Result<(), axum::Error> {
        while self.pending.len() >= PIECE_SAMPLES {
            let piece: Vec<f32> = self.pending.drain(..PIECE_SAMPLES).collect();
            self.recognise(piece).await?;
        }
        Ok(())
    }

    fn stream(&mut self) -> Result<&AsrStream, ApiError> {
        match &mut self.stream {
            Some(stream) => Ok(stream),
            slot @ None => Ok(slot.insert(self.state.asr.stream(StreamingOptions {
                language: self.language.clone().filter(|l| l != "auto"),
                end_of_turn_silence: Some(self.turn_patience),
                ..StreamingOptions::default()
            })?)),
        }
    }

    /// Loudness, pitch and pauses over the recent window, about once a second of audio.
    /// Measured on the CPU pool; skipped (not queued) when the pool is busy.
    async fn measure(&mut self, piece: &[f32]) -> Result<(), axum::Error> {
        if self.recent.len() + piece.len() > METRICS_WINDOW_SAMPLES {
            let excess = self.recent.len() + piece.len() - METRICS_WINDOW_SAMPLES;
            self.recent.drain(..excess.min(self.recent.len()));
        }
        self.recent.extend(piece);
        self.since_metrics += piece.len();
        if self.since_metrics < METRICS_EVERY_SAMPLES {
            return Ok(());
        }
        self.since_metrics = 0;
        let audio = mianshi_speech::Audio {
            samples: self.recent.iter().copied().collect(),
            sample_rate: 16_000,
        };
        let window_seconds = audio.duration_seconds();
        match self
            .state
            .cpu
            .run(move || mianshi_speech::analyze(&audio, None))
            .await
        {
            Ok(metrics) => {
                self.send(json!({
                    "type": "metrics",
                    "window_seconds": (window_seconds * 100.0).round() / 100.0,
                    "metrics": metrics,
                }))
                .await
            }
            Err(err) => {
                tracing::debug!(%err, "live metrics skipped");
                Ok(())
            }
        }
    }

    async fn recognise(&mut self, piece: Vec<f32>) -> Result<(), axum::Error> {
        self.measure(&piece).await?;
        let result = match self.stream() {
            Ok(stream) => stream.push(piece).await,
            Err(err) => Err(err),
        };
        self.emit(result).await
    }

    /// The connection is gone: what was said of the current answer — including audio not
    /// yet transcribed — is kept for the next connection to this session.
    async fn park(&mut self) {
        let rest = std::mem::take(&mut self.pending);
        if let Some(stream) = &self.stream {
            if !rest.is_empty() {
                if let Ok(Some(StreamEvent::Final { text, .. })) = stream.push(rest).await {
                    self.answer.push(text);
                }
            }
            if let Ok(Some(StreamEvent::Final { text, .. })) = stream.end_of_speech().await {
                self.answer.push(text);
            }
        }
        let utterances = std::mem::take(&mut self.answer);
        if !utterances.is_empty() {
            tracing::info!(session_id = %self.id, utterances = utterances.len(), "connection dropped mid-answer; answer kept for the reconnect");
            self.state.parked_answers.park(self.id, utterances);
        }
    }

    /// The open question (or the end of the interview) as an event.
    async fn send_question(&mut self) -> Result<(), axum::Error> {
        match ask(&self.state, self.id).await {
            Ok(asked) if asked.finished => {
                self.send(json!({"type": "session.ended", "summary": asked.summary}))
                    .await
            }
            Ok(asked) => {
                self.send(json!({
                    "type": "question",
                    "question": asked.question,
                    "number": asked.number,
                    "max_questions": asked.max_questions,
                }))
                .await
            }
            Err(err) => self.error(err.code(), err.to_string()).await,
        }
    }

    async fn answer_end(&mut self) -> Result<(), axum::Error> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.recognise(rest).await?;
        }
        let result = match self.stream() {
            Ok(stream) => stream.end_of_speech().await,
            Err(err) => Err(err),
        };
        self.emit(result).await?;
        self.finish_turn().await
    }

    /// Scores and commits the answer (every utterance since the last turn), then sends the
    /// score and the next question.
    async fn finish_turn(&mut self) -> Result<(), axum::Error> {
        let joiner = if self.language.as_deref() == Some("zh") {
            ""
        } else {
            " "
        };
        let text = std::mem::take(&mut self.answer).join(joiner);
        if text.trim().is_empty() {
            return self
                .error("no_speech", "no speech was heard in this answer".into())
                .await;
        }
        let started = self.answer_started.take();
        match submit_answer(&self.state, self.id, &text, AnswerSource::Voice, started).await {
            Ok(reply) => {
                self.send(json!({
                    "type": "score",
                    "turn_index": reply.turn_index,
                    "score": reply.score,
                    "covered_key_points": reply.covered_key_points,
                    "decision": reply.decision,
                }))
                .await?;
                match reply.next_question {
                    Some(question) => {
                        self.send(json!({"type": "question", "question": question}))
                            .await
                    }
                    None => {
                        self.send(json!({"type": "session.ended", "summary": reply.summary}))
                            .await
                    }
                }
            }
            Err(err) => self.error(err.code(), err.to_string()).await,
        }
    }

    async fn emit(
        &mut self,
        result: Result<Option<StreamEvent>, ApiError>,
    ) -> Result<(), axum::Error> {
        match result {
            Ok(None) => Ok(()),
            Ok(Some(StreamEvent::Partial {
                committed,
                tentative,
                audio_seconds,
            })) => {
                self.send(json!({
                    "type": "transcript.partial",
                    "committed": committed,
                    "tentative": tentative,
                    "audio_seconds": audio_seconds,
                }))
                .await
            }
            Ok(Some(StreamEvent::Final {
                text,
                words,
                language,
                start,
                end,
            })) => {
                self.answer.push(text.clone());
                self.send(json!({
                    "type": "transcript.final",
                    "text": text,
                    "words": words,
                    "language": language,
                    "start": start,
                    "end": end,
                }))
                .await
            }
            Ok(Some(StreamEvent::EndOfTurn { .. })) => self.finish_turn().await,
            Err(err) => {
                let (code, message) = (err.code(), err.to_string());
                self.error(code, message).await
            }
        }
    }
}
