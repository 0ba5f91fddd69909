//! The replay client: sends a recorded answer through the live protocol (docs/protocol.md) to
//! any Mianshi server and reports the events that come back. `mianshi stream` prints them;
//! tests use it as a black-box client; the live load benchmark will run many at once.

use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// 100 ms of 16 kHz audio per frame, as the web app's AudioWorklet sends it.
const FRAME_SAMPLES: usize = 1_600;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("bad server address {0:?}: use http://host:port")]
    Address(String),
    #[error("cannot reach the server: {0}")]
    Connect(String),
    #[error("the server refused to start a session: {0}")]
    Session(String),
    #[error("the stream failed: {0}")]
    Stream(String),
    #[error("no {0} event within {1} s")]
    Timeout(&'static str, u64),
}

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// `http://host:port` of the server.
    pub server: String,
    /// An existing session; a new one is started when absent.
    pub session: Option<String>,
    pub language: String,
    /// Send audio at the pace it was recorded (divided by `speed`), as a live client would.
    pub realtime: bool,
    pub speed: f64,
    /// How long to wait for the answer's score after the audio is sent.
    pub timeout: Duration,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            server: "http://127.0.0.1:8000".into(),
            session: None,
            language: "auto".into(),
            realtime: false,
            speed: 1.0,
            timeout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Default)]
pub struct ReplaySummary {
    pub session_id: String,
    pub events: Vec<Value>,
    /// Seconds from the last audio frame to the answer's score.
    pub answer_to_score_seconds: Option<f64>,
}

impl ReplaySummary {
    pub fn of_type(&self, kind: &str) -> impl Iterator<Item = &Value> {
        let kind = kind.to_owned();
        self.events
            .iter()
            .filter(move |e| e["type"] == kind.as_str())
    }
}

fn host_port(server: &str) -> Result<(String, std::net::SocketAddr), ReplayError> {
    let host = server
        .trim_end_matches('/')
        .strip_prefix("http://")
        .ok_or_else(|| ReplayError::Address(server.into()))?;
    let addr = host
        .to_socket_addrs()
        .map_err(|e| ReplayError::Connect(e.to_string()))?
        .next()
        .ok_or_else(|| ReplayError::Address(server.into()))?;
    Ok((host.to_owned(), addr))
}

/// Streams `samples_16k` as one answer: hello, the audio, `answer_end`; returns once the
/// answer's score and the next question (or the end of the interview) have arrived.
/// `on_event` sees every server event as it arrives.
pub async fn replay(
    samples_16k: &[f32],
    options: &ReplayOptions,
    mut on_event: impl FnMut(&Value),
) -> Result<ReplaySummary, ReplayError> {
    let (host, addr) = host_port(&options.server)?;
    let session_id = match &options.session {
        Some(id) => id.clone(),
        None => {
            let language = options.language.clone();
            let (status, body) = tokio::task::spawn_blocking(move || {
                crate::bench::http(
                    addr,
                    "POST",
                    "/api/interview/start",
                    Some(&json!({"user_id": "replay", "metadata": {"language": language}})),
                )
            })
            .await
            .map_err(|e| ReplayError::Connect(e.to_string()))?
            .map_err(|e| ReplayError::Connect(e.to_string()))?;
            body["session_id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| ReplayError::Session(format!("{status}: {body}")))?
        }
    };
    let url = format!("ws://{host}/ws/video-stream/{session_id}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| ReplayError::Connect(e.to_string()))?;
    let mut summary = ReplaySummary {
        session_id,
        ..ReplaySummary::default()
    };
    let stream_error =
        |e: tokio_tungstenite::tungstenite::Error| ReplayError::Stream(e.to_string());
    let hello = json!({"type": "hello", "version": crate::routes::live::PROTOCOL_VERSION, "language": options.language});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .map_err(stream_error)?;
    socket
        .send(Message::Text(
            json!({"type": "answer_start"}).to_string().into(),
        ))
        .await
        .map_err(stream_error)?;

    let started = Instant::now();
    let (mut sink, mut events) = socket.split();
    let frames: Vec<Vec<u8>> = samples_16k
        .chunks(FRAME_SAMPLES)
        .enumerate()
        .map(|(i, chunk)| {
            let mut frame = vec![0x01];
            frame.extend((i as u64 * 100).to_le_bytes());
            for s in chunk {
                frame.extend(((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
            }
            frame
        })
        .collect();
    let realtime = options.realtime;
    let speed = options.speed.max(0.01);
    let sender = async move {
        for (i, frame) in frames.into_iter().enumerate() {
            if realtime {
                let due = Duration::from_secs_f64(i as f64 * 0.1 / speed);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            sink.send(Message::Binary(frame.into())).await?;
        }
        sink.send(Message::Text(
            json!({"type": "answer_end"}).to_string().into(),
        ))
        .await?;
        Ok::<_, tokio_tungstenite::tungstenite::Error>((sink, Instant::now()))
    };
    let receiver = async {
        let mut scored = false;
        loop {
            let next = tokio::time::timeout(options.timeout, events.next())
                .await
                .map_err(|_| ReplayError::Timeout("score", options.timeout.as_secs()))?;
            let Some(message) = next else {
                return Err(ReplayError::Stream("the server closed the stream".into()));
            };
            if let Message::Text(text) = message.map_err(stream_error)? {
                let event: Value = serde_json::from_str(text.as_str())
                    .map_err(|e| ReplayError::Stream(format!("not JSON: {e}")))?;
                on_event(&event);
                let kind = event["type"].as_str().unwrap_or_default().to_owned();
                summary.events.push(event);
                match kind.as_str() {
                    "score" => scored = true,
                    "question" | "session.ended" if scored => break,
                    _ => {}
                }
            }
        }
        Ok::<_, ReplayError>(Instant::now())
    };
    let (sent, scored_at) = tokio::join!(sender, receiver);
    let (mut sink, sent_at) = sent.map_err(stream_error)?;
    let scored_at = scored_at?;
    summary.answer_to_score_seconds = Some(scored_at.duration_since(sent_at).as_secs_f64());
    let _ = sink.send(Message::Close(None)).await;
    Ok(summary)
}
