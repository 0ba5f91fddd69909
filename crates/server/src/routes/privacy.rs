//! The candidate's control over their data (DESIGN §2): consent recorded with the session
//! (`POST /api/interview/session/{id}/consent`), everything held about a session in one
//! download (`GET /api/interview/{id}/export`) and the log of who read it
//! (`GET /api/interview/{id}/access-log`). Deletion is `DELETE /api/interview/session/{id}`
//! (interview.rs), which also scrubs the SQLite files (see `Store::delete_session`).

use axum::extract::State;
use axum::http::header::CONTENT_DISPOSITION;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use mianshi_core::{AccessEntry, CandidateDocuments, Consent, SessionId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Reader, SessionPath};
use crate::routes::interview::{load_session, results_of, InterviewResults};
use crate::state::AppState;

const MAX_VERSION_CHARS: usize = 32;

/// What the candidate agreed to on the consent screen.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The version of the consent text shown, e.g. `2026-11`: 1–32 characters, not blank,
    /// no control characters.
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub version: String,
    pub microphone: bool,
    pub camera: bool,
}

/// Record the candidate's consent before any device is opened.
#[utoipa::path(
    post,
    path = "/api/interview/session/{session_id}/consent",
    tag = "privacy",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    request_body = ConsentRequest,
    responses(
        (status = 200, description = "The consent as recorded", body = Consent),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed` or `invalid_body`", body = ErrorBody),
    )
)]
pub async fn record_consent(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    ApiJson(request): ApiJson<ConsentRequest>,
) -> Result<Json<Consent>, ApiError> {
    // Measured as sent, which is what the schema promises.
    let version = request.version.trim();
    if version.is_empty()
        || request.version.chars().count() > MAX_VERSION_CHARS
        || request.version.chars().any(char::is_control)
    {
        return Err(ApiError::Validation(format!(
            "`version` must be 1–{MAX_VERSION_CHARS} characters without control characters"
        )));
    }
    let consent = Consent {
        version: version.to_owned(),
        microphone: request.microphone,
        camera: request.camera,
        given_at: Utc::now().trunc_subsecs(3),
    };
    state.store.record_consent(id, &consent).await?;
    tracing::info!(session_id = %id, microphone = consent.microphone, camera = consent.camera, "consent recorded");
    Ok(Json(consent))
}

/// Everything Mianshi holds about one session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    /// `mianshi-export`, so a file explains itself.
    pub format: &'static str,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// The session, every turn (question, answer, score, delivery) and the summary.
    pub results: InterviewResults,
    pub documents: Option<CandidateDocuments>,
    pub consent: Option<Consent>,
    /// The interviewer's saved state (plan, topics, open question), as stored.
    #[schema(value_type = Option<Object>)]
    pub interviewer_state: Option<serde_json::Value>,
    /// Recordings kept for the session. Raw audio and video are not stored, so this is empty;
    /// only what was derived from them (transcripts, measurements, scores) is above.
    pub media: Vec<String>,
}

/// Download everything held about a session (JSON), e.g. to keep it or to check it.
#[utoipa::path(
    get,
    path = "/api/interview/{session_id}/export",
    tag = "privacy",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, description = "Everything held about the session", body = Export),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    )
)]
pub async fn export_session(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    reader: Reader,
) -> Result<impl IntoResponse, ApiError> {
    let results = results_of(&state, id).await?;
    log_read(&state, id, &reader, "export").await?;
    let documents = state.store.get_documents(id).await?;
    let consent = state.store.get_consent(id).await?;
    let interviewer_state = match state.store.load_interview(id).await? {
        Some(text) => Some(
            serde_json::from_str(&text)
                .map_err(|err| ApiError::Internal(format!("stored interviewer state: {err}")))?,
        ),
        None => None,
    };
    let export = Export {
        format: "mianshi-export",
        version: 1,
        exported_at: Utc::now().trunc_subsecs(3),
        results,
        documents,
        consent,
        interviewer_state,
        media: Vec::new(),
    };
    let disposition = format!("attachment; filename=\"mianshi-{id}.json\"");
    Ok(([(CONTENT_DISPOSITION, disposition)], Json(export)))
}

/// Records a read of session `id`'s results in its access log.
pub(crate) async fn log_read(
    state: &AppState,
    id: SessionId,
    reader: &Reader,
    action: &str,
) -> Result<(), ApiError> {
    let entry = AccessEntry {
        at: Utc::now().trunc_subsecs(3),
        action: action.to_owned(),
        client: reader.0.clone(),
    };
    state.store.log_access(id, &entry).await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// Oldest first. Reading the log is not itself logged.
    pub entries: Vec<AccessEntry>,
}

/// Who read the session's results, report or export, and when.
#[utoipa::path(
    get,
    path = "/api/interview/{session_id}/access-log",
    tag = "privacy",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, body = AccessLog),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    )
)]
pub async fn access_log(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
) -> Result<Json<AccessLog>, ApiError> {
    load_session(&state, id).await?;
    let entries = state.store.access_log(id).await?;
    Ok(Json(AccessLog { entries }))
}
