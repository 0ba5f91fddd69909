//! Uploaded recordings (the seed's multipart field `audio_file`): `POST /api/ai/transcribe`
//! runs Whisper on them, `POST /api/ai/analyze-speech-quality` measures delivery (with the
//! words from Whisper when no transcript is sent and the model is ready).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mianshi_speech::whisper::{Segment, TranscribeOptions};
use mianshi_speech::{SpeechError, SpeechMetrics};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{multipart_error, ApiMultipart};
use crate::state::AppState;

/// Recordings longer than this are refused (10 minutes).
pub const MAX_AUDIO_SECONDS: u64 = 600;

#[derive(Debug, Serialize, ToSchema)]
pub struct SpeechQuality {
    pub session_id: Option<String>,
    pub sample_rate: u32,
    /// The words the pace and filler measures used: the one sent, or Whisper's.
    pub transcript: Option<String>,
    pub metrics: SpeechMetrics,
}

/// The multipart form (for the docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SpeechForm {
    /// WAV recording.
    #[schema(value_type = String, format = Binary)]
    audio_file: Vec<u8>,
    /// What was said, when known: enables pace and filler measures.
    transcript: Option<String>,
    session_id: Option<String>,
    language: Option<String>,
}

/// The text fields of each form (besides the recording).
const SPEECH_FIELDS: &[&str] = &["transcript", "session_id", "language"];
const TRANSCRIBE_FIELDS: &[&str] = &[
    "session_id",
    "language",
    "beam_size",
    "prompt",
    "word_timestamps",
];

/// An audio upload: the recording and the form's text fields.
struct AudioForm {
    audio: Bytes,
    fields: HashMap<String, String>,
}

impl AudioForm {
    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

async fn read_audio_form(
    mut form: axum::extract::Multipart,
    limit: usize,
    known: &[&str],
) -> Result<AudioForm, ApiError> {
    let multipart_error = multipart_error(limit);
    let mut audio = None;
    let mut fields = HashMap::new();
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        match name.as_str() {
            "audio_file" | "audio" | "file" => audio = Some(bytes),
            _ => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    crate::extract::only_known_fields(fields.keys(), known)?;
    let audio = audio.ok_or_else(|| {
        ApiError::Validation("send the recording as multipart field `audio_file`".into())
    })?;
    Ok(AudioForm { audio, fields })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptionResponse {
    pub session_id: Option<String>,
    pub text: String,
    /// The language spoken (given, or detected from the first 30 s).
    pub language: String,
    pub language_probability: f64,
    pub segments: Vec<Segment>,
    /// Seconds of audio.
    pub duration: f64,
    pub model: String,
    /// Seconds spent decoding and recognising.
    pub processing_seconds: f64,
}

/// The multipart form of `/api/ai/transcribe` (for the docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TranscribeForm {
    /// The recording: WAV, FLAC, MP3, Ogg (Vorbis/Opus), WebM/Opus or M4A/AAC.
    #[schema(value_type = String, format = Binary)]
    audio_file: Vec<u8>,
    session_id: Option<String>,
    /// `zh`, `en`, another Whisper language code, or `auto` (the default).
    language: Option<String>,
    /// Beam width for the first decoding pass (1–8; 1 is greedy, the default).
    #[schema(minimum = 1, maximum = 8)]
    beam_size: Option<u8>,
    /// Names or jargon to expect, which steers spelling.
    prompt: Option<String>,
    /// `true` adds `words` (start, end, word, probability) to every segment.
    word_timestamps: Option<bool>,
}

/// Speech to text with Whisper, with timed segments.
#[utoipa::path(
    post,
    path = "/api/ai/transcribe",
    tag = "speech",
    request_body(content = TranscribeForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = TranscriptionResponse),
        (status = 413, description = "`audio_too_long`, `payload_too_large`", body = ErrorBody),
        (status = 415, description = "`audio_unsupported_format`", body = ErrorBody),
        (status = 422, description = "`audio_empty`, `audio_unreadable`, `validation_failed` (no `audio_file`, unknown language, bad beam size)", body = ErrorBody),
        (status = 503, description = "`model_loading` (the model is being fetched), `model_unavailable`, `busy`", body = ErrorBody),
    )
)]
pub async fn transcribe(
    State(state): State<AppState>,
    ApiMultipart(form): ApiMultipart,
) -> Result<Json<TranscriptionResponse>, ApiError> {
    let started = std::time::Instant::now();
    let form = read_audio_form(form, state.config.upload_limit_bytes(), TRANSCRIBE_FIELDS).await?;
    let beam_size = match form.field("beam_size") {
        None => 1,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|b| (1..=8).contains(b))
            .ok_or_else(|| ApiError::Validation(format!("beam_size must be 1 to 8, not {v:?}")))?,
    };
    let word_timestamps = match form.field("word_timestamps").as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(v) => {
            return Err(ApiError::Validation(format!(
                "word_timestamps must be true or false, not {v:?}"
            )))
        }
    };
    let options = TranscribeOptions {
        language: form.field("language"),
        beam_size,
        initial_prompt: form.field("prompt"),
        word_timestamps,
        fit_window: false,
        single_pass: false,
    };
    let audio = form.audio.clone();
    let samples = state
        .cpu
        .run(move || mianshi_speech::decode(&audio, MAX_AUDIO_SECONDS).map(|a| a.to_16k()))
        .await??;
    // Only after decoding: a recording that cannot be used is refused as such even while the
    // model is being fetched (a client told to retry later would fail again).
    state.asr.ready()?;
    let transcript = state.asr.transcribe(samples, options).await?;
    Ok(Json(TranscriptionResponse {
        session_id: form.field("session_id"),
        text: transcript.text,
        language: transcript.language,
        language_probability: transcript.language_probability,
        segments: transcript.segments,
        duration: transcript.duration,
        model: transcript.model,
        processing_seconds: started.elapsed().as_secs_f64(),
    }))
}

pub fn speech_status(err: &SpeechError) -> StatusCode {
    match err {
        SpeechError::TooLong { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        SpeechError::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        SpeechError::Empty | SpeechError::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Speech-delivery metrics of a recording.
#[utoipa::path(
    post,
    path = "/api/ai/analyze-speech-quality",
    tag = "speech",
    request_body(content = SpeechForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = SpeechQuality),
        (status = 413, description = "`audio_too_long`", body = ErrorBody),
        (status = 415, description = "`audio_unsupported_format`", body = ErrorBody),
        (status = 422, description = "`audio_empty`, `audio_unreadable`, or no `audio_file`", body = ErrorBody),
    )
)]
pub async fn analyze_speech_quality(
    State(state): State<AppState>,
    ApiMultipart(form): ApiMultipart,
) -> Result<Json<SpeechQuality>, ApiError> {
    let form = read_audio_form(form, state.config.upload_limit_bytes(), SPEECH_FIELDS).await?;
    let given = form.field("transcript").or_else(|| form.field("text"));
    let audio = form.audio.clone();
    let decoded = state
        .cpu
        .run(move || mianshi_speech::decode(&audio, MAX_AUDIO_SECONDS))
        .await??;
    // Pace and fillers need the words: recognise them when none were sent.
    let recognised = match (&given, state.asr.ready()) {
        (None, Ok(())) => {
            let options = TranscribeOptions {
                language: form.field("language"),
                beam_size: 1,
                initial_prompt: None,
                word_timestamps: true,
                fit_window: false,
                single_pass: false,
            };
            let samples = {
                let decoded = decoded.clone();
                state.cpu.run(move || decoded.to_16k()).await?
            };
            match state.asr.transcribe(samples, options).await {
                Ok(t) => Some(t),
                Err(err) => {
                    tracing::warn!(%err, "no transcript for speech metrics");
                    None
                }
            }
        }
        _ => None,
    };
    let sample_rate = decoded.sample_rate;
    let (transcript, metrics) = match recognised {
        Some(recognised) => {
            let words: Vec<_> = recognised
                .segments
                .iter()
                .flat_map(|s| s.words.iter().cloned())
                .collect();
            let metrics = state
                .cpu
                .run(move || mianshi_speech::analyze_timed(&decoded, &words))
                .await?;
            (Some(recognised.text), metrics)
        }
        None => {
            let words = given.clone();
            let metrics = state
                .cpu
                .run(move || mianshi_speech::analyze(&decoded, words.as_deref()))
                .await?;
            (given, metrics)
        }
    };
    Ok(Json(SpeechQuality {
        session_id: form.field("session_id"),
        sample_rate,
        transcript,
        metrics,
    }))
}
