//! `POST /api/ai/analyze-speech-quality`: delivery metrics of an uploaded recording (the seed's
//! multipart field `audio_file`, optional `transcript`), measured or absent with the reason.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mianshi_speech::{SpeechError, SpeechMetrics};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiMultipart;
use crate::state::AppState;

/// Recordings longer than this are refused (10 minutes).
pub const MAX_AUDIO_SECONDS: u64 = 600;

#[derive(Debug, Serialize, ToSchema)]
pub struct SpeechQuality {
    pub session_id: Option<String>,
    pub sample_rate: u32,
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
    ApiMultipart(mut form): ApiMultipart,
) -> Result<Json<SpeechQuality>, ApiError> {
    let mut audio = None;
    let mut transcript = None;
    let mut session_id = None;
    let limit = state.config.upload_limit_bytes();
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::MalformedMultipart(e.body_text())
        }
    };
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        match name.as_str() {
            "audio_file" | "audio" | "file" => audio = Some(bytes),
            "transcript" | "text" => {
                transcript = Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            "session_id" => session_id = Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => {}
        }
    }
    let audio = audio.ok_or_else(|| {
        ApiError::Validation("send the recording as multipart field `audio_file`".into())
    })?;
    let (sample_rate, metrics) = state
        .cpu
        .run(move || -> Result<_, SpeechError> {
            let decoded = mianshi_speech::decode(&audio, MAX_AUDIO_SECONDS)?;
            Ok((
                decoded.sample_rate,
                mianshi_speech::analyze(&decoded, transcript.as_deref()),
            ))
        })
        .await??;
    Ok(Json(SpeechQuality {
        session_id,
        sample_rate,
        metrics,
    }))
}
