//! The live interview stream, `GET /ws/video-stream/{session_id}` (DESIGN §7,
//! docs/protocol.md): the spoken interview loop. The server sends the open question; the
//! candidate's audio comes back as live transcripts; at `answer_end` the final transcript is
//! scored and committed as the turn (as a typed answer would be) and the next question, or
//! the end of the interview, is sent. Camera frames are analysed beside it (`live_video`).
//! Every piece of audio, transcript and analysed frame updates the session's feature windows
//! (`mianshi_review::LiveSignals`), and the nudge rules are evaluated on the clock that moved;
//! a nudge goes out as soon as its evidence window closes.
//!
//! One task per connection reads frames in order. Audio goes to the speech engine's thread as
//! a stream (its state lives there, beside the shared weights) in 250 ms pieces, and the task
//! waits for each piece's result before reading more: a slow engine slows the client down
//! through TCP instead of audio piling up here, and no audio is dropped.

use std::time::Instant;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use mianshi_core::frame::Frame;
use mianshi_core::{AnswerSource, SessionId};
use mianshi_speech::streaming::{StreamEvent, StreamingOptions};
use mianshi_speech::webm_stream::{starts_webm, WebmAudioStream};
use serde::Deserialize;
use serde_json::{json, Value};

use mianshi_review::scorer::DeliveryTracker;
use mianshi_review::signals::{AudioMeasures, TimedWord};
use mianshi_review::window::{FeatureWindow, WINDOW_SECONDS};
use mianshi_review::{LiveSignals, NudgeEngine, Source, DIMENSIONS};

use crate::asr::{AsrStream, PendingResult};
use crate::error::ApiError;
use crate::extract::SessionPath;
use crate::live_video::{LiveVideo, FPS_RANGE};
use crate::routes::interview::load_session;
use crate::routes::loop_::{ask, submit_answer};
use crate::state::AppState;
use crate::webm_video::{Feed, WebmVideo};

/// What a candidate had said of an answer when their connection dropped, by session: the
/// reconnecting stream picks it up, so a dropped connection loses no words. Bounded: past
/// `MAX_PARKED` sessions the oldest parked answer is dropped (and logged).
#[derive(Default)]
pub struct ParkedAnswers {
    parked: std::sync::Mutex<std::collections::VecDeque<(SessionId, Vec<String>)>>,
    /// Sessions with a connection open (or still parking what it heard).
    connected: std::sync::Mutex<std::collections::HashSet<SessionId>>,
    /// Sessions whose connection has ended and is transcribing what it heard for the parked
    /// answer (on a busy server that can take a while).
    parking: std::sync::Mutex<std::collections::HashSet<SessionId>>,
}

/// How long a reconnect waits for an open connection of the session to go, and for an ended
/// one to finish parking its answer (waiting beats losing the words).
const RECONNECT_WAIT_OPEN: std::time::Duration = std::time::Duration::from_secs(5);
const RECONNECT_WAIT_PARKING: std::time::Duration = std::time::Duration::from_secs(120);

const MAX_PARKED: usize = 10_000;

impl ParkedAnswers {
    /// Waits for an earlier connection of the session to end (up to 5 s) and to finish
    /// parking its answer (up to 2 min), then claims the session and returns the parked
    /// answer.
    async fn connect(&self, id: SessionId) -> Vec<String> {
        self.settle(id, true).await;
        self.take(id)
    }

    /// For another node taking the session over: waits, as [`Self::connect`] does, for this
    /// node's connection to end and park its answer, then gives the parked answer away.
    pub(crate) async fn hand_over(&self, id: SessionId) -> Vec<String> {
        self.settle(id, false).await;
        self.take(id)
    }

    /// Waits until no connection of the session is open here (`claim`: then marks this one
    /// as open) or the waiting limits pass.
    async fn settle(&self, id: SessionId, claim: bool) {
        let started = std::time::Instant::now();
        loop {
            let free = {
                let mut connected = self.connected.lock().unwrap_or_else(|e| e.into_inner());
                if claim {
                    connected.insert(id)
                } else {
                    !connected.contains(&id)
                }
            };
            let parking = self
                .parking
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&id);
            let waited = started.elapsed();
            if free
                || (!parking && waited >= RECONNECT_WAIT_OPEN)
                || waited >= RECONNECT_WAIT_PARKING
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    fn holds(&self, id: SessionId) -> bool {
        let parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        parked.iter().any(|(other, _)| *other == id)
    }

    /// The connection has ended and is parking what it heard.
    fn parking(&self, id: SessionId) {
        let mut parking = self.parking.lock().unwrap_or_else(|e| e.into_inner());
        parking.insert(id);
    }

    fn disconnect(&self, id: SessionId) {
        let mut connected = self.connected.lock().unwrap_or_else(|e| e.into_inner());
        connected.remove(&id);
        let mut parking = self.parking.lock().unwrap_or_else(|e| e.into_inner());
        parking.remove(&id);
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
/// Audio is handed to the recogniser in whole 250 ms pieces, as much as has arrived while
/// the previous hand-over was being transcribed, up to 8 s: a busy engine thus runs fewer,
/// larger steps per session instead of falling further behind.
const PIECE_SAMPLES: usize = 4_000;
const MAX_PUSH_SAMPLES: usize = 16_000 * 8;
/// Audio waiting for the recogniser beyond which the connection is not read (the client is
/// slowed through TCP; audio is never dropped).
const MAX_PENDING_SAMPLES: usize = 16_000 * 30;
/// Silence after speech that ends the candidate's turn unless `hello` sets another
/// (`turn_patience`, 0.5–3 s): the longest allowed, so nobody thinking is cut off.
const DEFAULT_TURN_PATIENCE: f64 = 3.0;
const TURN_PATIENCE_RANGE: (f64, f64) = (0.5, 3.0);
/// Delivery metrics are measured over the last 20 s of audio, once a second of audio.
const METRICS_WINDOW_SAMPLES: usize = 16_000 * 20;
const METRICS_EVERY_SAMPLES: usize = 16_000;
/// Behaviour scores every this many metrics events (one window of the review expert).
const BEHAVIOUR_EVERY_METRICS: u64 = 5;
/// Camera frames older than this (wall clock) no longer count as a live camera.
const CAMERA_STALE: std::time::Duration = std::time::Duration::from_secs(5);
/// Largest frame accepted: a camera JPEG or a few seconds of MediaRecorder output fit well
/// under it; anything bigger is not a live stream and must not be buffered.
const MAX_MESSAGE_BYTES: usize = 4 << 20;
/// Events queued for a client at most (see `Live::outbox`).
const OUTBOX_EVENTS: usize = 256;
/// How long an event may wait for room in a full queue before the client counts as not
/// reading.
const SLOW_CONSUMER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// A client must take each frame within this time.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a closing stream keeps reading what the client still sends (see the close above).
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the live stream of an existing session. 404 for an unknown session, 422 for a
/// request that is no WebSocket upgrade, and 503 while the speech model is still being
/// fetched, before the upgrade.
pub async fn video_stream(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let session = load_session(&state, id).await?;
    // A plain GET gets the error envelope every other endpoint answers with, not axum's text.
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::Validation(format!(
            "open the live stream as a WebSocket: {}",
            rejection.body_text()
        ))
    })?;
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
    let state_nudges = state.nudges.clone();
    Ok(upgrade.on_upgrade(move |socket| async move {
        let _open = state.drain.enter();
        let mut answer = state.parked_answers.connect(id).await;
        if let Some(cluster) = &state.cluster {
            // The candidate may have been on another node a moment ago.
            if answer.is_empty() {
                answer = cluster.claim(id).await;
            }
            cluster.hold(id, state.parked_answers.clone()).await;
        }
        let (sink, socket) = socket.split();
        let (outbox, queued) = tokio::sync::mpsc::channel(OUTBOX_EVENTS);
        let writer = tokio::spawn(write_events(sink, queued));
        let mut live = Live {
            id,
            turn_patience: DEFAULT_TURN_PATIENCE,
            answer,
            answer_started: None,
            socket,
            outbox,
            events_dropped: 0,
            samples_received: 0,
            state,
            started: Instant::now(),
            language,
            stream: None,
            asr_reply: None,
            pending: Vec::new(),
            video: LiveVideo::new(screening),
            signals: LiveSignals::new(),
            nudges: NudgeEngine::new(state_nudges, screening),
            audio_arrival: Instant::now(),
            webm: None,
            webm_video: None,
            recent: std::collections::VecDeque::with_capacity(METRICS_WINDOW_SAMPLES),
            since_metrics: 0,
            metrics_sent: 0,
            delivery: DeliveryTracker::default(),
        };
        if let Err(err) = live.run().await {
            tracing::warn!(session_id = %id, %err, "live stream ended with an error");
        }
        live.state.parked_answers.parking(id);
        live.park().await;
        live.state.parked_answers.disconnect(id);
        if let Some(cluster) = &live.state.cluster {
            if !live.state.parked_answers.holds(id) {
                cluster.release(id);
            }
        }
        // What is queued still goes out (the writer gives up on a client that stops reading).
        // Meanwhile the client's frames are read and discarded: a client blocked on sending
        // to a server that no longer reads would never read what is queued for it.
        let Live {
            mut socket, outbox, ..
        } = live;
        drop(outbox);
        let drain = async {
            while let Ok(Some(Ok(_))) = tokio::time::timeout(WRITE_TIMEOUT, socket.next()).await {}
        };
        tokio::pin!(drain);
        tokio::select! {
            _ = writer => {}
            _ = &mut drain => {}
        }
        // Frames the client sent before it saw our close are still arriving: read them until
        // it closes too, or a socket dropped with unread data is reset and the client loses
        // the last events (the score of an answer committed at shutdown).
        let _ = tokio::time::timeout(CLOSE_LINGER, drain).await;
    }))
}

/// Sends the connection's events in order. A client that does not take a frame within
/// `WRITE_TIMEOUT` is gone or stuck: the connection is dropped.
async fn write_events(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut queued: tokio::sync::mpsc::Receiver<Message>,
) {
    while let Some(message) = queued.recv().await {
        let closing = matches!(message, Message::Close(_));
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(message)).await {
            Ok(Ok(())) if !closing => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.close()).await;
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

/// What closed a turn, as the `score` event says: the client's `answer_end`, the candidate's
/// pause (`turn_patience`), or the server shutting down. A client waiting for the reply to its
/// own `answer_end` must not take a pause's score for it.
#[derive(Debug, Clone, Copy)]
enum TurnEnd {
    AnswerEnd,
    Pause,
    Shutdown,
}

impl TurnEnd {
    fn as_str(self) -> &'static str {
        match self {
            TurnEnd::AnswerEnd => "answer_end",
            TurnEnd::Pause => "pause",
            TurnEnd::Shutdown => "shutdown",
        }
    }
}

struct Live {
    id: SessionId,
    turn_patience: f64,
    /// Utterances finalised since the answer began (the VAD ends one at every pause), the
    /// answer that `answer_end` submits.
    answer: Vec<String>,
    answer_started: Option<chrono::DateTime<chrono::Utc>>,
    /// Frames from the client.
    socket: futures_util::stream::SplitStream<WebSocket>,
    /// Events to the client, written by `write_events`. Bounded: a client that stops
    /// reading first loses `metrics` and partial transcripts (counted); when the queue stays
    /// full for `SLOW_CONSUMER_WAIT` it gets `slow_consumer` and is disconnected — the server
    /// never buffers without bound.
    outbox: tokio::sync::mpsc::Sender<Message>,
    events_dropped: u64,
    /// Audio samples (16 kHz) received on this connection, counted as they arrive.
    samples_received: u64,
    state: AppState,
    started: Instant,
    language: Option<String>,
    stream: Option<AsrStream>,
    /// The recogniser's answer to the audio handed over last, while it works on it.
    asr_reply: Option<PendingResult>,
    /// Audio received and not yet handed to the recogniser.
    pending: Vec<f32>,
    /// Camera frames: sampled, analysed on the CPU pool one at a time, latest wins.
    video: LiveVideo,
    /// The feature windows the nudge rules read, and the rules' state.
    signals: LiveSignals,
    nudges: NudgeEngine,
    /// When the frame carrying the newest audio arrived (nudge latency is measured from it).
    audio_arrival: Instant,
    /// A browser MediaRecorder's WebM stream, when the client sends its chunks as they are
    /// (the seed's `ws.send(videoBlob)`): from its first chunk on, every binary frame is WebM.
    webm: Option<WebmAudioStream>,
    /// Its video track, decoded by ffmpeg into camera frames (`None` before the stream
    /// starts and once decoding has stopped).
    webm_video: Option<WebmVideo>,
    /// The last `METRICS_WINDOW_SAMPLES` of audio, and audio since the last metrics event.
    recent: std::collections::VecDeque<f32>,
    since_metrics: usize,
    metrics_sent: u64,
    /// The behaviour scores of the open answer, committed with it.
    delivery: DeliveryTracker,
}

impl Live {
    fn session_time(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    async fn send(&mut self, mut event: Value) -> Result<(), axum::Error> {
        event["t"] = json!(self.session_time());
        if self.outbox.capacity() <= OUTBOX_EVENTS / 2
            && matches!(
                event["type"].as_str(),
                Some("metrics" | "transcript.partial")
            )
        {
            // Superseded by the next one anyway.
            self.events_dropped += 1;
            return Ok(());
        }
        // A burst fills the queue faster than the writer empties it; a client that does not
        // read keeps it full.
        let deadline = Instant::now() + SLOW_CONSUMER_WAIT;
        while self.outbox.capacity() <= 1 && Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        if self.outbox.capacity() <= 1 {
            // The last slot is kept for this error.
            let error = json!({
                "type": "error",
                "code": "slow_consumer",
                "message": format!(
                    "the client is not reading its events ({} queued, {} metrics and partials dropped); reconnect to continue",
                    OUTBOX_EVENTS - 1,
                    self.events_dropped
                ),
                "t": self.session_time(),
            });
            let _ = self
                .outbox
                .try_send(Message::Text(error.to_string().into()));
            tracing::warn!(session_id = %self.id, dropped = self.events_dropped, "slow consumer disconnected");
            return Err(axum::Error::new("slow consumer"));
        }
        let text = event.to_string();
        if let Some(cluster) = &self.state.cluster {
            cluster.publish_event(self.id, &text);
        }
        self.outbox
            .try_send(Message::Text(text.into()))
            .map_err(|_| axum::Error::new("the connection's writer has stopped"))
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
        let mut drain_signal = self.state.drain.signal();
        // Set when the server began shutting down: the open answer may run until then.
        let mut drain_deadline: Option<tokio::time::Instant> = None;
        loop {
            if drain_deadline.is_none() && *drain_signal.borrow_and_update() {
                let seconds = self.state.config.drain_seconds;
                self.send(json!({
                    "type": "server.draining",
                    "seconds": seconds,
                    "message": "the server is restarting: finish this answer, then reconnect to continue",
                }))
                .await?;
                drain_deadline =
                    Some(tokio::time::Instant::now() + std::time::Duration::from_secs(seconds));
            }
            if drain_deadline.is_some() && !self.answer_open() {
                // Nothing open to wait for; words heard without an answer_start still count.
                return self.close_for_shutdown().await;
            }
            let draining = drain_deadline.is_some();
            let deadline = drain_deadline.unwrap_or_else(tokio::time::Instant::now);
            let asr_busy = self.asr_reply.is_some();
            let asr_reply = &mut self.asr_reply;
            // Only a recogniser at work on a long backlog pauses reading (its reply is the
            // branch that resumes it).
            let read = !asr_busy || self.pending.len() < MAX_PENDING_SAMPLES;
            let has_webm_video = self.webm_video.is_some();
            let webm_video = &mut self.webm_video;
            let received = tokio::select! {
                frame = async { webm_video.as_mut().expect("guarded by has_webm_video").frames.recv().await }, if has_webm_video => {
                    match frame {
                        Some((t, jpeg)) => self.video.offer(&self.state, t, jpeg, Instant::now()),
                        // ffmpeg has finished (no video track, or the stream ended).
                        None => self.webm_video = None,
                    }
                    continue;
                }
                received = tokio::time::timeout(heartbeat, self.socket.next()), if read => received,
                _ = drain_signal.changed(), if !draining => continue,
                _ = tokio::time::sleep_until(deadline), if draining => {
                    return self.close_for_shutdown().await;
                }
                reply = async { asr_reply.as_mut().expect("guarded by asr_busy").await }, if asr_busy => {
                    self.asr_reply = None;
                    let result = reply.unwrap_or_else(|_| Err(ApiError::Internal("the speech engine dropped a stream".into())));
                    let utterance_ended = matches!(
                        result.as_deref(),
                        Ok([.., StreamEvent::Final { .. }])
                    );
                    self.emit_all(result).await?;
                    if utterance_ended && self.pending.len() < PIECE_SAMPLES {
                        // The turn may have ended in the same audio as the utterance; the
                        // recogniser reports that on its next call, which must not wait for
                        // audio the client may never send.
                        self.submit(Vec::new()).await?;
                    }
                    self.recognise_pending().await?;
                    continue;
                }
                Some(outcome) = self.video.rx.recv() => {
                    let analysed = self.video.analysed;
                    for event in self.video.finished(&self.state, outcome) {
                        self.send(event).await?;
                    }
                    if self.video.analysed != analysed {
                        self.signals.frames(self.video.window());
                        let arrived = self.video.newest_arrival.unwrap_or_else(Instant::now);
                        self.nudge(Source::Video, arrived, true).await?;
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
                    let _ = self.outbox.try_send(Message::Close(None));
                    break;
                }
                Err(_) => {
                    // Skipped when events are queued: the client is then busy reading anyway
                    // (and the last slot is kept for `slow_consumer`).
                    if self.outbox.capacity() > OUTBOX_EVENTS / 2 {
                        let _ = self.outbox.try_send(Message::Ping(Vec::new().into()));
                    }
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
                    Some("screening") => {
                        self.video.screening = true;
                        self.nudges.screening = true;
                    }
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
                self.signals.answer_started();
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
        let arrived = Instant::now();
        if self.webm.is_some() || starts_webm(bytes) {
            self.audio_arrival = arrived;
            return self.webm_chunk(bytes).await;
        }
        match mianshi_core::frame::parse_frame(bytes) {
            Ok(Frame::Audio { samples, .. }) => {
                self.audio_arrival = arrived;
                self.heard(samples).await
            }
            Ok(Frame::Video { t_ms, image }) => {
                // Bytes that are no image at all are the client's mistake, said at once: the
                // decoder would say so too, but only once the camera models are there.
                if mianshi_vision::image::guess_format(image).is_err() {
                    return self
                        .error("bad_frame", "a video frame must be a JPEG image".into())
                        .await;
                }
                self.video.offer(
                    &self.state,
                    t_ms as f64 / 1000.0,
                    axum::body::Bytes::copy_from_slice(image),
                    arrived,
                );
                Ok(())
            }
            Err(err) => self.error("bad_frame", err.to_string()).await,
        }
    }

    async fn webm_chunk(&mut self, bytes: &[u8]) -> Result<(), axum::Error> {
        let webm = self.webm.get_or_insert_with(WebmAudioStream::new);
        match webm.push(bytes) {
            Ok(samples) => {
                self.webm_video_chunk(bytes).await?;
                self.heard(samples).await
            }
            Err(err) => {
                // A broken stream cannot be resynchronised; the next chunk must start anew.
                self.webm = None;
                self.webm_video = None;
                self.error("bad_frame", err.to_string()).await
            }
        }
    }

    /// Passes a WebM chunk to the video decoder, started with the stream's first chunk.
    async fn webm_video_chunk(&mut self, bytes: &[u8]) -> Result<(), axum::Error> {
        if starts_webm(bytes) {
            self.webm_video = WebmVideo::start(self.video.fps);
        }
        let Some(decoder) = self.webm_video.as_mut() else {
            return Ok(());
        };
        match decoder.feed(bytes) {
            Feed::Taken | Feed::Stopped => Ok(()),
            Feed::Behind => {
                self.error(
                    "video_not_analysed",
                    "decoding the WebM video fell behind; its frames are no longer analysed (send JPEG frames instead)".into(),
                )
                .await
            }
        }
    }

    /// New audio: it moves the feature windows and the delivery metrics at once, and joins
    /// the audio waiting for the recogniser.
    async fn heard(&mut self, samples: Vec<f32>) -> Result<(), axum::Error> {
        if samples.is_empty() {
            return Ok(());
        }
        self.samples_received += samples.len() as u64;
        self.signals.audio(&samples);
        self.measure(&samples).await?;
        self.nudge(Source::Audio, self.audio_arrival, true).await?;
        self.pending.extend(samples);
        self.recognise_pending().await
    }

    /// Hands the waiting audio (whole pieces, at most `MAX_PUSH_SAMPLES`) to the recogniser
    /// unless it is still working on the previous hand-over.
    async fn recognise_pending(&mut self) -> Result<(), axum::Error> {
        if self.asr_reply.is_some() || self.pending.len() < PIECE_SAMPLES {
            return Ok(());
        }
        let take = (self.pending.len() / PIECE_SAMPLES * PIECE_SAMPLES).min(MAX_PUSH_SAMPLES);
        let piece: Vec<f32> = self.pending.drain(..take).collect();
        self.submit(piece).await
    }

    async fn submit(&mut self, piece: Vec<f32>) -> Result<(), axum::Error> {
        let submitted = match self.stream() {
            Ok(stream) => stream.submit(piece).await,
            Err(err) => Err(err),
        };
        match submitted {
            Ok(reply) => {
                self.asr_reply = Some(reply);
                Ok(())
            }
            Err(err) => {
                // The recogniser cannot take audio (its model is unavailable): what waits for
                // it cannot be transcribed either, and must not pile up.
                self.pending.clear();
                self.emit(Err(err)).await
            }
        }
    }

    async fn emit_all(
        &mut self,
        result: Result<Vec<StreamEvent>, ApiError>,
    ) -> Result<(), axum::Error> {
        match result {
            Ok(events) => {
                for event in events {
                    self.emit(Ok(Some(event))).await?;
                }
                Ok(())
            }
            Err(err) => self.emit(Err(err)).await,
        }
    }

    /// Waits for the hand-over in flight, then transcribes all audio still waiting; returns
    /// the recogniser's results in order.
    async fn settle(&mut self) -> Vec<Result<Option<StreamEvent>, ApiError>> {
        let mut results = Vec::new();
        if let Some(reply) = self.asr_reply.take() {
            results.push(reply.await.unwrap_or_else(|_| {
                Err(ApiError::Internal(
                    "the speech engine dropped a stream".into(),
                ))
            }));
        }
        while !self.pending.is_empty() {
            let take = self.pending.len().min(MAX_PUSH_SAMPLES);
            let piece: Vec<f32> = self.pending.drain(..take).collect();
            results.push(match self.stream() {
                Ok(stream) => stream.push(piece).await,
                Err(err) => Err(err),
            });
        }
        results
            .into_iter()
            .flat_map(|result| match result {
                Ok(events) => events.into_iter().map(|e| Ok(Some(e))).collect(),
                Err(err) => vec![Err(err)],
            })
            .collect()
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
                self.signals.audio_measures(AudioMeasures {
                    loudness: metrics.loudness.value,
                    clipping_pct: metrics.clipping.value,
                    pitch_range: metrics.pitch_range.value,
                });
                self.send(json!({
                    "type": "metrics",
                    "window_seconds": (window_seconds * 100.0).round() / 100.0,
                    "metrics": metrics,
                }))
                .await?;
                self.metrics_sent += 1;
                if self.metrics_sent.is_multiple_of(BEHAVIOUR_EVERY_METRICS) {
                    self.behaviour().await?;
                }
                Ok(())
            }
            Err(err) => {
                tracing::debug!(%err, "live metrics skipped");
                Ok(())
            }
        }
    }

    /// Scores the last window (5 s of audio and of camera) on the CPU pool and sends the
    /// `behaviour` event; the open answer keeps the reading for its summary. Skipped when
    /// the pool is busy.
    async fn behaviour(&mut self) -> Result<(), axum::Error> {
        let keep = (WINDOW_SECONDS * 16_000.0) as usize;
        let audio: Vec<f32> = self
            .recent
            .iter()
            .skip(self.recent.len().saturating_sub(keep))
            .copied()
            .collect();
        let camera_live = self
            .video
            .newest_arrival
            .is_some_and(|t| t.elapsed() < CAMERA_STALE);
        let frames: Vec<mianshi_vision::FrameFeatures> = if camera_live {
            let window = self.video.window();
            let from = window.last().map_or(0.0, |f| f.t - WINDOW_SECONDS + 0.1);
            window.iter().filter(|f| f.t >= from).cloned().collect()
        } else {
            Vec::new()
        };
        let start = frames.first().map_or(0.0, |f| f.t);
        let signals = self.signals.signals();
        let scorer = self.state.behaviour.clone();
        let screening = self.video.screening;
        let scored = self
            .state
            .cpu
            .run(move || {
                let mel = mianshi_speech::pooled_log_mel(&audio, f64::MAX)
                    .first()
                    .copied();
                scorer.score(&FeatureWindow::new(start, &frames, mel, signals), screening)
            })
            .await;
        let reading = match scored {
            Ok(Ok(reading)) => reading,
            Ok(Err(err)) => {
                tracing::warn!(%err, "behaviour scoring failed");
                return Ok(());
            }
            Err(err) => {
                tracing::debug!(%err, "behaviour scores skipped");
                return Ok(());
            }
        };
        let clock = self.signals.clock(Source::Audio);
        self.delivery.add_at(&reading, clock);
        let scores: serde_json::Map<String, Value> = DIMENSIONS
            .iter()
            .zip(reading.values)
            .map(|(d, v)| ((*d).to_owned(), json!(v.map(|v| (v * 10.0).round() / 10.0))))
            .collect();
        self.send(json!({
            "type": "behaviour",
            "source": reading.source,
            "window_seconds": WINDOW_SECONDS,
            "audio_seconds": (self.signals.clock(Source::Audio) * 100.0).round() / 100.0,
            "scores": scores,
            "evidence": reading.rules.scores,
        }))
        .await
    }

    /// The connection is gone: what was said of the current answer — including audio not
    /// yet transcribed — is kept for the next connection to this session.
    async fn park(&mut self) {
        if self.stream.is_some() {
            for result in self.settle().await {
                if let Ok(Some(StreamEvent::Final { text, .. })) = result {
                    self.answer.push(text);
                }
            }
        }
        if let Some(stream) = &self.stream {
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
                if let Some(question) = &asked.question {
                    self.new_question(&question.text);
                }
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

    fn new_question(&mut self, text: &str) {
        self.signals.question(text);
        self.nudges.new_answer();
        // What was scored between answers (reading the question) is not part of the next.
        self.delivery.take();
    }

    /// Evaluates the nudge rules on `source`'s clock and sends what fires. `arrived` is when
    /// the data that closed the evidence window reached the server; `during_answer`: a tip
    /// about the open answer (kept in its delivery), not about the one just committed.
    async fn nudge(
        &mut self,
        source: Source,
        arrived: Instant,
        during_answer: bool,
    ) -> Result<(), axum::Error> {
        let signals = self.signals.signals();
        let now = self.signals.clock(source);
        let language = self.language.clone().unwrap_or_else(|| "en".into());
        let Some(nudge) = self.nudges.evaluate(&signals, source, now, &language) else {
            return Ok(());
        };
        let latency = arrived.elapsed().as_secs_f64();
        self.state.metrics.nudge_sent(&nudge.kind, latency);
        if during_answer {
            // The answer's tips go into its delivery (on the audio clock, like its windows).
            let clock = self.signals.clock(Source::Audio);
            self.delivery.nudge_at(&nudge.kind, &nudge.message, clock);
        }
        self.send(json!({
            "type": "nudge",
            "kind": nudge.kind,
            "category": nudge.category,
            "severity": nudge.severity,
            "message": nudge.message,
            "evidence": nudge.evidence,
            "latency_ms": (latency * 10_000.0).round() / 10.0,
        }))
        .await
    }

    /// An answer is under way: started by the client or with words already heard.
    fn answer_open(&self) -> bool {
        self.answer_started.is_some() || !self.answer.is_empty()
    }

    /// The server is shutting down: whatever was heard of the open answer is committed as the
    /// answer (a restart would lose words only parked in memory), then the stream closes.
    async fn close_for_shutdown(&mut self) -> Result<(), axum::Error> {
        if self.stream.is_some() {
            self.hear_out().await?;
        }
        if self.answer.iter().any(|u| !u.trim().is_empty()) {
            self.finish_turn(TurnEnd::Shutdown).await?;
        }
        let _ = self.outbox.try_send(Message::Close(None));
        Ok(())
    }

    async fn answer_end(&mut self) -> Result<(), axum::Error> {
        self.hear_out().await?;
        self.finish_turn(TurnEnd::AnswerEnd).await
    }

    /// Transcribes everything heard up to now, the last utterance closed, and sends it.
    async fn hear_out(&mut self) -> Result<(), axum::Error> {
        for result in self.settle().await {
            self.emit(result).await?;
        }
        let result = match self.stream() {
            Ok(stream) => stream.end_of_speech().await,
            Err(err) => Err(err),
        };
        self.emit(result).await
    }

    /// Scores and commits the answer (every utterance since the last turn), then sends the
    /// score and the next question.
    async fn finish_turn(&mut self, ended_by: TurnEnd) -> Result<(), axum::Error> {
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
        let delivery = self.delivery.take();
        match submit_answer(
            &self.state,
            self.id,
            &text,
            AnswerSource::Voice,
            started,
            delivery.clone(),
        )
        .await
        {
            Ok(reply) => {
                self.send(json!({
                    "type": "score",
                    "turn_index": reply.turn_index,
                    "ended_by": ended_by.as_str(),
                    // What this connection received, so a client can tell that no audio was
                    // lost on the way (the load and soak benchmarks compare it with what they
                    // sent).
                    "audio_seconds_received": self.samples_received as f64 / 16_000.0,
                    "score": reply.score,
                    "delivery": delivery,
                    "covered_key_points": reply.covered_key_points,
                    "decision": reply.decision,
                }))
                .await?;
                self.signals.answer_finished();
                let decided = Instant::now();
                match reply.next_question {
                    Some(question) => {
                        self.new_question(&question.text);
                        self.send(json!({"type": "question", "question": question}))
                            .await?;
                    }
                    None => {
                        self.send(json!({"type": "session.ended", "summary": reply.summary}))
                            .await?;
                    }
                }
                // A nudge about the answer just given comes after the next question, so the
                // client never waits for the question behind advice.
                self.nudge(Source::Audio, decided, false).await
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
                self.signals.words(words.iter().map(|w| TimedWord {
                    start: w.start,
                    end: w.end,
                    text: w.word.clone(),
                }));
                // Transcript-driven evidence closes when the recogniser delivers the words
                // (its own lag is reported with the transcript, not as nudge latency).
                self.nudge(Source::Audio, Instant::now(), true).await?;
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
            Ok(Some(StreamEvent::EndOfTurn { .. })) => self.finish_turn(TurnEnd::Pause).await,
            Err(err) => {
                let (code, message) = (err.code(), err.to_string());
                self.error(code, message).await
            }
        }
    }
}
