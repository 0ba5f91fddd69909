//! The text interview loop over HTTP: `GET /api/interview/{session_id}/question` asks (or
//! repeats) the current question, `POST /api/interview/{session_id}/answer` scores an answer,
//! commits the turn together with the interviewer's state, and returns the next question.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use mianshi_core::machine::{transition, Event, InterviewState};
use mianshi_core::{
    Answer, AnswerSource, Question, Score, Session, SessionId, SessionStatus, Turn,
};
use mianshi_interviewer::decider::Decision;
use mianshi_interviewer::engine::{EngineError, Summary};
use mianshi_interviewer::scorer::AnswerFlags;
use mianshi_interviewer::{Interview, Settings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, SessionPath};
use crate::routes::interview::{apply_effects, load_session};
use crate::state::AppState;

pub const MAX_ANSWER_CHARS: usize = 20_000;

/// The saved interview, or a new one planned from the session's documents and metadata.
async fn load_interview(state: &AppState, session: &Session) -> Result<Interview, ApiError> {
    let id = session.session_id;
    if let Some(json) = state.store.load_interview(id).await? {
        return serde_json::from_str(&json)
            .map_err(|err| ApiError::Internal(format!("interview state of {id}: {err}")));
    }
    let documents = state.store.get_documents(id).await?.unwrap_or_default();
    let settings = Settings::from_metadata(&session.metadata, Some(&documents))
        .map_err(ApiError::Validation)?;
    state
        .cpu
        .run(move || Interview::new(&documents, settings))
        .await
}

fn state_json(interview: &Interview) -> Result<String, ApiError> {
    serde_json::to_string(interview)
        .map_err(|err| ApiError::Internal(format!("serialize interview: {err}")))
}

/// Moves the session along a lifecycle edge through the state machine.
async fn move_status(
    state: &AppState,
    session: &Session,
    event: Event,
) -> Result<Session, ApiError> {
    let machine = InterviewState {
        status: session.status,
        committed_turns: session.turn_count,
        open_question: None,
    };
    let (_, effects) = transition(&machine, event).map_err(ApiError::from)?;
    apply_effects(state, session.session_id, effects, Utc::now())
        .await?
        .ok_or_else(|| ApiError::Internal("a lifecycle event changed no status".into()))
}

fn refuse_unless_running(session: &Session) -> Result<(), ApiError> {
    match session.status {
        SessionStatus::InProgress => Ok(()),
        SessionStatus::Paused => Err(ApiError::InterviewNotRunning(
            "the session is paused; resume it first".into(),
        )),
        SessionStatus::Created => Err(ApiError::NoOpenQuestion),
        SessionStatus::Completed | SessionStatus::Cancelled => Err(ApiError::InterviewNotRunning(
            format!("the session is {}", session.status),
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResponse {
    pub session_id: SessionId,
    /// The question to answer; absent when the interview has finished.
    pub question: Option<Question>,
    /// 1-based number of this question, follow-ups included.
    pub number: u32,
    pub max_questions: u32,
    pub finished: bool,
    /// The content summary once the interview has finished.
    pub summary: Option<Summary>,
}

/// The current question; the first call plans the interview and starts the session.
#[utoipa::path(
    get,
    path = "/api/interview/{session_id}/question",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, body = QuestionResponse),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 409, description = "`interview_not_running`: paused or finished", body = ErrorBody),
    )
)]
pub async fn current_question(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
) -> Result<Json<QuestionResponse>, ApiError> {
    ask(&state, id).await.map(Json)
}

/// The open question of session `id` (planning and starting the interview on first use).
pub(crate) async fn ask(state: &AppState, id: SessionId) -> Result<QuestionResponse, ApiError> {
    let state = state.clone();
    let mut session = load_session(&state, id).await?;
    if session.status == SessionStatus::Created {
        session = move_status(&state, &session, Event::Start).await?;
    }
    if session.status.is_terminal() {
        let interview = load_interview(&state, &session).await?;
        return Ok(QuestionResponse {
            session_id: id,
            question: None,
            number: interview.questions_asked,
            max_questions: interview.settings.max_questions,
            finished: true,
            summary: Some(interview.summary()),
        });
    }
    refuse_unless_running(&session)?;
    let interview = load_interview(&state, &session).await?;
    let (interview, question) = state
        .cpu
        .run(move || {
            let mut interview = interview;
            let question = interview.next_question(Utc::now());
            (interview, question)
        })
        .await?;
    state
        .store
        .save_interview(id, &state_json(&interview)?)
        .await?;
    let finished = question.is_none();
    if finished {
        move_status(&state, &session, Event::Complete).await?;
    } else {
        prepare_semantic(&state, interview.recurring_texts());
    }
    Ok(QuestionResponse {
        session_id: id,
        question,
        number: interview.questions_asked,
        max_questions: interview.settings.max_questions,
        finished,
        summary: finished.then(|| interview.summary()),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerRequest {
    /// The answer, typed or transcribed: some non-blank text, at most 20 000 characters.
    #[serde(alias = "answer")]
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResponse {
    pub session_id: SessionId,
    /// Index of the committed turn.
    pub turn_index: u32,
    pub score: Score,
    /// Key points (of the question) the answer covered.
    pub covered_key_points: Vec<usize>,
    #[schema(value_type = Object)]
    pub flags: AnswerFlags,
    pub decision: Decision,
    pub next_question: Option<Question>,
    pub finished: bool,
    pub summary: Option<Summary>,
}

/// Answer the current question (text). The turn is committed before the next question is
/// returned.
#[utoipa::path(
    post,
    path = "/api/interview/{session_id}/answer",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    request_body = AnswerRequest,
    responses(
        (status = 200, body = AnswerResponse),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 409, description = "`no_open_question`, `interview_not_running` or `conflict`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: empty or over-long answer", body = ErrorBody),
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    ApiJson(request): ApiJson<AnswerRequest>,
) -> Result<Json<AnswerResponse>, ApiError> {
    submit_answer(&state, id, &request.text, AnswerSource::Typed, None, None)
        .await
        .map(Json)
}

/// Scores `text` as the answer to the open question, commits the turn, and returns the
/// decision and the next question (typed answers here, spoken ones from the live stream).
pub(crate) async fn submit_answer(
    state: &AppState,
    id: SessionId,
    text: &str,
    source: AnswerSource,
    started_at: Option<chrono::DateTime<Utc>>,
    delivery: Option<mianshi_core::turn::Delivery>,
) -> Result<AnswerResponse, ApiError> {
    let state = state.clone();
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(ApiError::Validation("the answer is empty".into()));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(ApiError::Validation(format!(
            "the answer is longer than {MAX_ANSWER_CHARS} characters"
        )));
    }
    let session = load_session(&state, id).await?;
    refuse_unless_running(&session)?;
    let interview = load_interview(&state, &session).await?;
    if interview.current.is_none() {
        return Err(ApiError::NoOpenQuestion);
    }
    let answer_text = text.clone();
    let embedder = state.embedder.clone();
    let (interview, asked, reply) = state
        .cpu
        .run(move || {
            let mut interview = interview;
            let now = Utc::now();
            let asked = interview.next_question(now);
            let model = embedder.get();
            let reply = interview.answer_with(&answer_text, now, model.as_deref());
            (interview, asked, reply)
        })
        .await?;
    let reply = reply.map_err(|err| match err {
        EngineError::NoOpenQuestion => ApiError::NoOpenQuestion,
        EngineError::Finished => ApiError::InterviewNotRunning("the interview has finished".into()),
        EngineError::EmptyAnswer => ApiError::Validation("the answer is empty".into()),
    })?;
    let question = asked.ok_or(ApiError::NoOpenQuestion)?;
    let turn = Turn {
        index: session.turn_count,
        question,
        answer: Some(Answer {
            text,
            source,
            started_at,
            ended_at: Utc::now(),
            delivery,
        }),
        score: Some(reply.assessment.score.clone()),
    };
    state
        .store
        .commit_turn(id, &turn, &state_json(&interview)?)
        .await?;
    let finished = reply.next.is_none();
    if !finished {
        prepare_semantic(&state, interview.recurring_texts());
    }
    if finished {
        let fresh = load_session(&state, id).await?;
        if fresh.status == SessionStatus::InProgress {
            move_status(&state, &fresh, Event::Complete).await?;
        }
    }
    tracing::info!(session_id = %id, turn = turn.index, score = reply.assessment.score.overall, "answer scored");
    Ok(AnswerResponse {
        session_id: id,
        turn_index: turn.index,
        score: reply.assessment.score,
        covered_key_points: reply.assessment.covered,
        flags: reply.assessment.flags,
        decision: reply.decision,
        next_question: reply.next,
        finished,
        summary: finished.then(|| interview.summary()),
    })
}

/// Embeds the question just asked and its key points on the CPU pool while the candidate
/// thinks, so that scoring the answer only embeds the answer. Best effort: if the pool is busy
/// or the model is not loaded, the answer embeds them itself.
fn prepare_semantic(state: &AppState, texts: Vec<String>) {
    if texts.is_empty() {
        return;
    }
    let cpu = state.cpu.clone();
    let embedder = state.embedder.clone();
    tokio::spawn(async move {
        let job = cpu.run(move || {
            let Some(model) = embedder.get() else {
                return Ok(());
            };
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            model.embed_recurring(&texts).map(drop)
        });
        match job.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(%err, "embedding the next question ahead failed"),
            Err(err) => tracing::debug!(?err, "embedding the next question ahead skipped"),
        }
    });
}

/// The interview summary for the results endpoint, when an interview has run.
pub async fn summary_of(state: &AppState, id: SessionId) -> Result<Option<Summary>, ApiError> {
    let Some(json) = state.store.load_interview(id).await? else {
        return Ok(None);
    };
    // Results must stay readable even if a saved state predates the current format: the
    // turns and scores are stored on their own; only the summary is lost, and logged.
    match serde_json::from_str::<Interview>(&json) {
        Ok(interview) => Ok(Some(interview.summary())),
        Err(err) => {
            tracing::warn!(session_id = %id, %err, "interview state unreadable; results without a summary");
            Ok(None)
        }
    }
}
