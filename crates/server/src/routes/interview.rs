//! The seed's interview-session endpoints under `/api/interview`, with the seed's paths and
//! payloads, plus deletion (every session can be deleted: DESIGN §2).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use mianshi_core::machine::{transition, Effect, Event, InterviewState};
use mianshi_core::{CandidateDocuments, NewSession, Session, SessionId, SessionStatus, Turn};
use mianshi_store::{PageRequest, SessionFilter, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, OptionalApiJson, Reader, SessionPath};
use crate::routes::documents::{parse_documents, DocumentInput, DocumentRequest, Form, Upload};
use crate::routes::privacy::log_read;
use crate::state::AppState;

pub const MAX_USER_ID_CHARS: usize = 128;
pub const MAX_PAGE_SIZE: u32 = 200;
pub const DEFAULT_PAGE_SIZE: u32 = 20;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StartRequest {
    /// Who the session belongs to; `anonymous` if omitted or blank. At most 128 characters,
    /// no control characters.
    #[serde(default)]
    #[schema(max_length = 128, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub user_id: Option<String>,
    /// Free-form data kept with the session, e.g. `{"position": "前端工程师"}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The candidate's résumé as text; upload a file with multipart/form-data instead.
    #[serde(default)]
    pub resume_text: Option<String>,
    /// The job description as text.
    #[serde(default)]
    pub job_description: Option<String>,
}

/// The multipart form of `POST /api/interview/start` (for the docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StartForm {
    #[schema(max_length = 128, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    user_id: Option<String>,
    /// JSON object, as text.
    metadata: Option<String>,
    /// Résumé file: PDF, DOCX, TXT or Markdown.
    #[schema(value_type = Option<String>, format = Binary)]
    resume: Option<Vec<u8>>,
    resume_text: Option<String>,
    /// Job description as text or as a file.
    job_description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartResponse {
    #[serde(flatten)]
    pub session: Session,
    /// The parsed résumé/job description, when they were sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<CandidateDocuments>,
    /// The candidate's credential for this session and nothing else: send it as
    /// `Authorization: Bearer …`. Shown only here; the server keeps only its hash.
    pub candidate_token: String,
    /// Where the candidate takes the interview (relative to this server), token included.
    pub interview_link: String,
}

fn start_request_from_form(form: Form) -> Result<(StartRequest, DocumentInput), ApiError> {
    let mut fields = form.fields;
    crate::extract::only_known_fields(fields.keys(), &["user_id", "metadata"])?;
    let metadata = match fields.remove("metadata").filter(|m| !m.trim().is_empty()) {
        Some(text) => Some(
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text).map_err(
                |err| ApiError::Validation(format!("`metadata` must be a JSON object: {err}")),
            )?,
        ),
        None => None,
    };
    let request = StartRequest {
        user_id: fields.remove("user_id"),
        metadata,
        ..Default::default()
    };
    Ok((request, form.documents))
}

fn validate_user_id(raw: Option<String>) -> Result<String, ApiError> {
    let user_id = raw.map(|u| u.trim().to_owned()).unwrap_or_default();
    if user_id.is_empty() {
        return Ok("anonymous".to_owned());
    }
    if user_id.chars().count() > MAX_USER_ID_CHARS {
        return Err(ApiError::Validation(format!(
            "user_id is longer than {MAX_USER_ID_CHARS} characters"
        )));
    }
    if user_id.chars().any(char::is_control) {
        return Err(ApiError::Validation(
            "user_id must not contain control characters".into(),
        ));
    }
    Ok(user_id)
}

/// Start a new interview session.
#[utoipa::path(
    post,
    path = "/api/interview/start",
    tag = "interview",
    request_body(content(
        (StartRequest = "application/json"),
        (StartForm = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Session created", body = StartResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Wrong field types, invalid values, or an unreadable résumé (`resume_*` codes)", body = ErrorBody),
    )
)]
pub async fn start_interview(
    State(state): State<AppState>,
    request: DocumentRequest<StartRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (request, input) = match request {
        DocumentRequest::Json(mut body) => {
            let input = DocumentInput {
                resume: body.resume_text.take().map(Upload::Text),
                job: body.job_description.take().map(Upload::Text),
            };
            (body, input)
        }
        DocumentRequest::Form(form) => start_request_from_form(form)?,
    };
    let user_id = validate_user_id(request.user_id)?;
    // Parse before creating anything: an unreadable résumé leaves no half-made session.
    let documents = parse_documents(&state, input)
        .await?
        .map(|(documents, _)| documents);
    let metadata = request.metadata.unwrap_or_default();
    mianshi_interviewer::Settings::from_metadata(&metadata, documents.as_ref())
        .map_err(ApiError::Validation)?;
    let candidate_token = crate::auth::new_token(crate::auth::CANDIDATE_PREFIX)
        .map_err(|err| ApiError::Internal(format!("no randomness for a token: {err}")))?;
    let session = state
        .store
        .create_session(NewSession {
            user_id,
            metadata,
            documents: documents.clone(),
            candidate_token_hash: Some(crate::auth::hash_token(&candidate_token)),
        })
        .await?;
    state.metrics.session_created();
    tracing::info!(session_id = %session.session_id, user_id = %session.user_id, "session created");
    let location = format!("/api/interview/session/{}", session.session_id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(StartResponse {
            interview_link: format!("/#session={}&token={candidate_token}", session.session_id),
            candidate_token,
            session,
            documents,
        }),
    ))
}

pub(crate) async fn load_session(state: &AppState, id: SessionId) -> Result<Session, ApiError> {
    state
        .store
        .get_session(id)
        .await?
        .ok_or_else(|| ApiError::SessionNotFound(id.to_string()))
}

/// Get one session.
#[utoipa::path(
    get,
    path = "/api/interview/session/{session_id}",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, body = Session),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
    )
)]
pub async fn get_session(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
) -> Result<Json<Session>, ApiError> {
    load_session(&state, id).await.map(Json)
}

/// Delete a session and everything stored with it.
#[utoipa::path(
    delete,
    path = "/api/interview/session/{session_id}",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
    )
)]
pub async fn delete_session(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_session(id).await? {
        tracing::info!(session_id = %id, "session deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::SessionNotFound(id.to_string()))
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusUpdate {
    /// Target status: created, in_progress, paused, completed or cancelled (the seed's
    /// `active`, `pending`, `finished` … are understood too); or in the JSON body.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
}

/// The JSON body of a status change (for the docs; the same field may come as `?status=`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StatusBody {
    /// Target status: created, in_progress, paused, completed or cancelled (the seed's
    /// `active`, `pending`, `finished` … are understood too).
    #[schema(schema_with = status_schema)]
    status: String,
}

/// Every status name the server understands: the canonical ones and the seed's spellings
/// (`SessionStatus::parse_lenient`).
const STATUS_NAMES: [&str; 17] = [
    "created",
    "in_progress",
    "paused",
    "completed",
    "cancelled",
    "pending",
    "new",
    "active",
    "started",
    "running",
    "ongoing",
    "complete",
    "finished",
    "ended",
    "done",
    "canceled",
    "aborted",
];

pub(crate) fn status_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(STATUS_NAMES))
        .build()
}

/// As [`status_schema`], and the empty value of a filter that is left blank.
fn status_filter_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(std::iter::once("").chain(STATUS_NAMES)))
        .build()
}

/// Change a session's status.
///
/// `created → in_progress ⇄ paused → completed | cancelled`. The status may come in a JSON
/// body (`{"status": "paused"}`) or, as the seed's clients send it, as a `?status=` query value.
/// Setting the current status again is a no-op (PUT is idempotent).
#[utoipa::path(
    put,
    path = "/api/interview/session/{session_id}/status",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)"), StatusUpdate),
    request_body(content = StatusBody, description = "The target status; or send none and use `?status=`"),
    responses(
        (status = 200, description = "The session after the change", body = Session),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "Illegal transition (`invalid_transition`)", body = ErrorBody),
        (status = 422, description = "Unknown or missing status", body = ErrorBody),
    )
)]
pub async fn update_status(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    ApiQuery(query): ApiQuery<StatusUpdate>,
    OptionalApiJson(body): OptionalApiJson<StatusUpdate>,
) -> Result<Json<Session>, ApiError> {
    // A query value is checked even when the body also names a status: a request that says
    // two things, one of them nonsense, is refused rather than half-read.
    let queried = query
        .status
        .map(|raw| SessionStatus::parse_lenient(&raw).ok_or(ApiError::InvalidStatus(raw)))
        .transpose()?;
    let target = match body.and_then(|b| b.status) {
        Some(raw) => SessionStatus::parse_lenient(&raw).ok_or(ApiError::InvalidStatus(raw))?,
        None => queried.ok_or_else(|| ApiError::Validation("missing `status`".into()))?,
    };

    // A concurrent writer can move the status between our read and our write; the store's
    // compare-and-set catches it and we decide again from the fresh state.
    const ATTEMPTS: usize = 3;
    for _ in 0..ATTEMPTS {
        let session = load_session(&state, id).await?;
        if session.status == target {
            return Ok(Json(session));
        }
        let machine_state = InterviewState {
            status: session.status,
            committed_turns: session.turn_count,
            open_question: None,
        };
        let (_, effects) = Event::for_status_change(session.status, target)
            .and_then(|event| transition(&machine_state, event).ok())
            .ok_or_else(|| ApiError::invalid_transition(session.status, target))?;
        match apply_effects(&state, id, effects, Utc::now()).await {
            Ok(Some(updated)) => {
                state.metrics.status_changed(updated.status.as_str());
                tracing::info!(session_id = %id, from = %session.status, to = %updated.status, "status changed");
                return Ok(Json(updated));
            }
            Ok(None) => return load_session(&state, id).await.map(Json),
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::Conflict(format!(
        "status of {id} kept changing during {ATTEMPTS} attempts"
    )))
}

/// Carries out the state machine's effects in order; returns the session after the last
/// status change, if there was one.
pub(crate) async fn apply_effects(
    state: &AppState,
    id: SessionId,
    effects: Vec<Effect>,
    at: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let mut updated = None;
    for effect in effects {
        match effect {
            Effect::CommitTurn(turn) => state.store.append_turn(id, &turn).await?,
            Effect::PersistStatus { from, to } => {
                updated = Some(state.store.update_status(id, from, to, at).await?);
            }
            // Questions are delivered by the interview loop, not by status changes.
            Effect::SendQuestion(_) => {}
        }
    }
    Ok(updated)
}

/// A page from query values: `limit` 1–200 (default 20), `offset` default 0.
fn page_request(limit: Option<u32>, offset: Option<u64>) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let offset = offset.unwrap_or(0);
    // The databases count rows in signed 64 bits.
    if offset > i64::MAX as u64 {
        return Err(ApiError::InvalidQuery(format!(
            "offset must be at most {}",
            i64::MAX
        )));
    }
    Ok(PageRequest { limit, offset })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only sessions of this user.
    pub user_id: Option<String>,
    /// Only sessions in this status (empty: any).
    #[param(schema_with = status_filter_schema)]
    pub status: Option<String>,
    /// Page size, 1–200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Sessions to skip (newest first).
    #[param(maximum = 9_223_372_036_854_775_807_i64)]
    pub offset: Option<u64>,
    /// The seed's name for `offset`.
    #[param(maximum = 9_223_372_036_854_775_807_i64)]
    pub skip: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<Session>,
    /// All sessions matching the filters.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// List sessions, newest first, with paging and filters.
#[utoipa::path(
    get,
    path = "/api/interview/sessions",
    tag = "interview",
    params(ListQuery),
    responses(
        (status = 200, body = SessionList),
        (status = 400, description = "Bad query value", body = ErrorBody),
    )
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<SessionList>, ApiError> {
    let requested = page_request(query.limit, query.offset.or(query.skip))?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            SessionStatus::parse_lenient(raw)
                .ok_or_else(|| ApiError::InvalidQuery(format!("unknown status `{raw}`")))?,
        ),
    };
    let filter = SessionFilter {
        user_id: query.user_id.filter(|u| !u.is_empty()),
        status,
    };
    let page = state.store.list_sessions(&filter, requested).await?;
    Ok(Json(SessionList {
        sessions: page.items,
        total: page.total,
        limit: requested.limit,
        offset: requested.offset,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewResults {
    #[serde(flatten)]
    pub session: Session,
    /// Seconds from first start to the end, once the session has ended.
    pub duration_seconds: Option<f64>,
    pub turns: Vec<Turn>,
    pub answered_turns: u32,
    /// Mean of the scored answers (0–100); absent until an answer has been scored.
    pub content_score: Option<f64>,
    /// Why `content_score` is absent, when it is.
    pub content_score_note: Option<String>,
    /// Per-topic outcomes, strengths and what to work on, once the interview has run.
    pub summary: Option<mianshi_interviewer::engine::Summary>,
    /// The whole interview's behaviour scores: every spoken answer's windows (docs/review.md);
    /// absent when no answer was given over the live stream.
    pub delivery: Option<mianshi_core::turn::Delivery>,
}

/// Results of a session: every committed turn with its score, and the overall content score.
#[utoipa::path(
    get,
    path = "/api/interview/results/{session_id}",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, body = InterviewResults),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
    )
)]
pub async fn get_results(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    reader: Reader,
) -> Result<Json<InterviewResults>, ApiError> {
    let results = results_of(&state, id).await?;
    log_read(&state, id, &reader, "results").await?;
    Ok(Json(results))
}

/// A session's results (unlogged: each endpoint that hands them out logs its own read).
pub(crate) async fn results_of(
    state: &AppState,
    id: SessionId,
) -> Result<InterviewResults, ApiError> {
    let session = load_session(state, id).await?;
    let turns = state.store.list_turns(id).await?;
    let answered_turns = turns.iter().filter(|t| t.answer.is_some()).count() as u32;
    let scores: Vec<f64> = turns
        .iter()
        .filter_map(|t| t.score.as_ref().map(|s| f64::from(s.overall)))
        .collect();
    let (content_score, content_score_note) = if scores.is_empty() {
        let why = if answered_turns == 0 {
            "no answers yet"
        } else {
            "no answer has been scored yet"
        };
        (None, Some(why.to_owned()))
    } else {
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        (Some((mean * 10.0).round() / 10.0), None)
    };
    let duration_seconds = match (session.started_at, session.ended_at) {
        (Some(start), Some(end)) => Some((end - start).num_milliseconds() as f64 / 1000.0),
        _ => None,
    };
    let summary = crate::routes::loop_::summary_of(state, id).await?;
    let delivery = mianshi_core::turn::Delivery::combine(
        turns
            .iter()
            .filter_map(|t| t.answer.as_ref()?.delivery.as_ref()),
    );
    Ok(InterviewResults {
        delivery,
        session,
        duration_seconds,
        turns,
        answered_turns,
        content_score,
        content_score_note,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_trimmed_defaulted_and_bounded() {
        assert_eq!(validate_user_id(None).unwrap(), "anonymous");
        assert_eq!(validate_user_id(Some("  ".into())).unwrap(), "anonymous");
        assert_eq!(
            validate_user_id(Some(" user123 ".into())).unwrap(),
            "user123"
        );
        assert_eq!(validate_user_id(Some("张三".into())).unwrap(), "张三");
        assert!(validate_user_id(Some("a\u{0}b".into())).is_err());
        assert!(validate_user_id(Some("x".repeat(MAX_USER_ID_CHARS + 1))).is_err());
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1–200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Sessions to skip (newest first).
    #[param(maximum = 9_223_372_036_854_775_807_i64)]
    pub offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub session_id: SessionId,
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub turn_count: u32,
    /// `metadata.position`, when the session was started with one.
    pub position: Option<String>,
    /// Mean of the session's scored answers; absent until one is scored.
    pub content_score: Option<f64>,
    pub scored_answers: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub user_id: String,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    pub sessions: Vec<HistoryEntry>,
}

/// A candidate's sessions, newest first, with each session's content score — progress over
/// time.
#[utoipa::path(
    get,
    path = "/api/users/{user_id}/history",
    tag = "interview",
    params(("user_id" = String, Path, description = "The user_id sessions were started with"), HistoryQuery),
    responses(
        (status = 200, body = History),
        (status = 400, description = "Bad query value", body = ErrorBody),
        (status = 422, description = "Invalid user id", body = ErrorBody),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    axum::extract::Path(user_id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<History>, ApiError> {
    let user_id = validate_user_id(Some(user_id))?;
    let requested = page_request(query.limit, query.offset)?;
    let page = state
        .store
        .list_sessions(
            &SessionFilter {
                user_id: Some(user_id.clone()),
                status: None,
            },
            requested,
        )
        .await?;
    let ids: Vec<SessionId> = page.items.iter().map(|s| s.session_id).collect();
    let scores = state.store.content_scores(&ids).await?;
    let sessions = page
        .items
        .into_iter()
        .map(|s| {
            let score = scores.get(&s.session_id).copied();
            HistoryEntry {
                session_id: s.session_id,
                status: s.status,
                created_at: s.created_at,
                ended_at: s.ended_at,
                turn_count: s.turn_count,
                position: s
                    .metadata
                    .get("position")
                    .and_then(|p| p.as_str())
                    .map(str::to_owned),
                content_score: score.map(|(mean, _)| (mean * 10.0).round() / 10.0),
                scored_answers: score.map(|(_, n)| n).unwrap_or(0),
            }
        })
        .collect();
    Ok(Json(History {
        user_id,
        total: page.total,
        limit: requested.limit,
        offset: requested.offset,
        sessions,
    }))
}
