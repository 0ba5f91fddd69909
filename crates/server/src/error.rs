//! The HTTP error boundary: every failure becomes `{"error": {"code", "message"}}` with a
//! stable machine-readable code and the right status. Internal causes are logged (inside the
//! request's span, so with its request id) and never sent to the client.

use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mianshi_core::{SessionStatus, TransitionError};
use mianshi_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no session with id {0}")]
    SessionNotFound(String),
    #[error("{0}")]
    InvalidSessionId(String),
    #[error("cannot move a session from {from} to {to}; allowed from {from}: {allowed}")]
    InvalidTransition {
        from: SessionStatus,
        to: SessionStatus,
        allowed: String,
    },
    #[error("unknown status `{0}`; use one of created, in_progress, paused, completed, cancelled")]
    InvalidStatus(String),
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request body has the wrong shape: {0}")]
    InvalidBody(String),
    #[error("{0}")]
    Validation(String),
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("invalid query parameters: {0}")]
    InvalidQuery(String),
    #[error("no route for {0}")]
    RouteNotFound(String),
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    #[error("the request conflicts with a concurrent change; retry")]
    Conflict(String),
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Resume(#[from] mianshi_resume::ResumeError),
    #[error("{0}")]
    Speech(#[from] mianshi_speech::SpeechError),
    #[error("the multipart form could not be read: {0}")]
    MalformedMultipart(String),
    #[error("session {0} has no résumé or job description")]
    DocumentsNotFound(String),
    #[error("the server is busy with other uploads; retry in a few seconds")]
    Busy,
    #[error("the model is not ready yet: {0}")]
    ModelLoading(String),
    #[error("the model cannot be used: {0}")]
    ModelUnavailable(String),
    #[error("no question is waiting for an answer; GET the question first")]
    NoOpenQuestion,
    #[error("the interview is not running: {0}")]
    InterviewNotRunning(String),
    #[error("{0}")]
    Vision(#[from] mianshi_vision::VisionError),
    #[error("facial expressions are not analysed in screening mode")]
    ScreeningMode,
    #[error("the interview is already planned from the documents; correct them before the first question")]
    InterviewPlanned,
    #[error("{0}")]
    ProfileEdit(#[from] mianshi_resume::EditError),
    #[error("the PDF cannot be made here: {0}")]
    PdfUnavailable(String),
    #[error("this needs a token: send `Authorization: Bearer <token>` (the interview link carries the candidate's)")]
    AuthRequired,
    #[error("the token is not valid (unknown, revoked, or its session was deleted)")]
    InvalidToken,
    #[error("this token does not give access to that")]
    Forbidden,
    #[error("the live stream cannot be opened from this page's origin")]
    OriginNotAllowed,
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("internal error; see the server log")]
    Internal(String),
}

/// The JSON error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `session_not_found`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// An OpenAPI response with the error envelope, for answers added to the document in bulk
/// (the access table's 401/403/429, the inputs' 400/413/415).
pub(crate) fn documented_error(
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::SessionNotFound(_)
            | ApiError::RouteNotFound(_)
            | ApiError::DocumentsNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Resume(err) => resume_status(err),
            ApiError::Speech(err) => crate::routes::speech::speech_status(err),
            ApiError::Vision(err) => crate::routes::vision::vision_status(err),
            ApiError::ScreeningMode => StatusCode::FORBIDDEN,
            ApiError::MalformedMultipart(_) => StatusCode::BAD_REQUEST,
            ApiError::Busy | ApiError::ModelLoading(_) | ApiError::ModelUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::InvalidSessionId(_)
            | ApiError::MalformedJson(_)
            | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidStatus(_)
            | ApiError::InvalidBody(_)
            | ApiError::Validation(_)
            | ApiError::ProfileEdit(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::InvalidTransition { .. }
            | ApiError::Conflict(_)
            | ApiError::NoOpenQuestion
            | ApiError::InterviewPlanned
            | ApiError::InterviewNotRunning(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) | ApiError::PdfUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::AuthRequired | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::SessionNotFound(_) => "session_not_found",
            ApiError::InvalidSessionId(_) => "invalid_session_id",
            ApiError::InvalidTransition { .. } => "invalid_transition",
            ApiError::InvalidStatus(_) => "invalid_status",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidBody(_) => "invalid_body",
            ApiError::Validation(_) => "validation_failed",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::RouteNotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "not_ready",
            ApiError::Resume(err) => err.code(),
            ApiError::Speech(err) => err.code(),
            ApiError::Vision(err) => crate::routes::vision::vision_code(err),
            ApiError::ScreeningMode => "screening_mode",
            ApiError::MalformedMultipart(_) => "malformed_multipart",
            ApiError::DocumentsNotFound(_) => "documents_not_found",
            ApiError::Busy => "busy",
            ApiError::ModelLoading(_) => "model_loading",
            ApiError::ModelUnavailable(_) => "model_unavailable",
            ApiError::NoOpenQuestion => "no_open_question",
            ApiError::InterviewNotRunning(_) => "interview_not_running",
            ApiError::PdfUnavailable(_) => "pdf_unavailable",
            ApiError::InterviewPlanned => "interview_planned",
            ApiError::ProfileEdit(_) => "invalid_profile_edit",
            ApiError::AuthRequired => "auth_required",
            ApiError::InvalidToken => "invalid_token",
            ApiError::Forbidden => "forbidden",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn invalid_transition(from: SessionStatus, to: SessionStatus) -> Self {
        let allowed = mianshi_core::machine::allowed_targets(from);
        let allowed = if allowed.is_empty() {
            "nothing (the session is finished)".to_owned()
        } else {
            allowed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        ApiError::InvalidTransition { from, to, allowed }
    }
}

fn resume_status(err: &mianshi_resume::ResumeError) -> StatusCode {
    use mianshi_resume::ResumeError as E;
    match err {
        E::TooLarge { .. } | E::DecompressionLimit { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        E::Empty | E::Encrypted | E::ScannedPdf | E::Unreadable(_) | E::NoText => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::InvalidQuery(rejection.body_text())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::SessionNotFound(id) => ApiError::SessionNotFound(id.to_string()),
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        ApiError::Conflict(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
            ApiError::Unavailable(cause) | ApiError::Conflict(cause) => {
                tracing::warn!(%cause, code = self.code(), "request refused")
            }
            _ => tracing::debug!(code = self.code(), "request rejected"),
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        match &self {
            ApiError::AuthRequired | ApiError::InvalidToken => {
                response.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    crate::auth::challenge(),
                );
            }
            ApiError::RateLimited {
                retry_after_seconds,
            } => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(*retry_after_seconds),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_causes_are_not_leaked() {
        let err = ApiError::Internal("password authentication failed for user admin".into());
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.to_string().contains("password"));
    }

    #[test]
    fn transition_errors_list_what_is_allowed() {
        let err = ApiError::invalid_transition(SessionStatus::Created, SessionStatus::Paused);
        assert_eq!(err.code(), "invalid_transition");
        assert_eq!(err.status(), StatusCode::CONFLICT);
        assert!(err.to_string().contains("in_progress, cancelled"), "{err}");
        let done = ApiError::invalid_transition(SessionStatus::Completed, SessionStatus::Paused);
        assert!(done.to_string().contains("finished"));
    }
}
