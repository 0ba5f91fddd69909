//! Résumés and job descriptions over HTTP: `POST /api/resume/parse`, the documents part of
//! `POST /api/interview/start`, and `GET /api/interview/session/{id}/documents`.
//!
//! Both upload endpoints take JSON (text) or `multipart/form-data` (files and text). Parsing is
//! CPU work and runs on the bounded [`CpuPool`](crate::cpu::CpuPool).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Json;
use mianshi_core::{CandidateDocuments, ProfileEdit};
use mianshi_resume::{Limits, ResumeError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{is_json, ApiJson, ApiMultipart, SessionPath};
use crate::state::AppState;

/// A document as sent: pasted text or an uploaded file.
#[derive(Debug, Clone)]
pub enum Upload {
    Text(String),
    File { bytes: Bytes, name: Option<String> },
}

/// The documents of one request, before parsing.
#[derive(Debug, Default)]
pub struct DocumentInput {
    pub resume: Option<Upload>,
    pub job: Option<Upload>,
}

impl DocumentInput {
    pub fn is_empty(&self) -> bool {
        self.resume.is_none() && self.job.is_none()
    }
}

/// A multipart form: its text fields, and the résumé and job-description parts.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: HashMap<String, String>,
    pub documents: DocumentInput,
}

/// A request body that is either JSON or a multipart form.
pub enum DocumentRequest<T> {
    Json(T),
    Form(Form),
}

const RESUME_PARTS: &[&str] = &["file", "resume", "resume_file", "cv"];
const JOB_PARTS: &[&str] = &["job_description", "jd", "job_description_file", "jd_file"];
const RESUME_TEXT_PARTS: &[&str] = &["resume_text", "text"];

fn multipart_error(err: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::Resume(ResumeError::TooLarge {
            size: limit + 1,
            limit,
        })
    } else {
        ApiError::MalformedMultipart(err.body_text())
    }
}

async fn read_form(mut multipart: Multipart, limit: usize) -> Result<Form, ApiError> {
    let mut form = Form::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
        let as_text = || String::from_utf8_lossy(&bytes).into_owned();
        let upload = || match &file_name {
            Some(_) => Upload::File {
                bytes: bytes.clone(),
                name: file_name.clone(),
            },
            None => Upload::Text(as_text()),
        };
        if RESUME_PARTS.contains(&name.as_str()) {
            form.documents.resume = Some(upload());
        } else if RESUME_TEXT_PARTS.contains(&name.as_str()) {
            if !bytes.is_empty() {
                form.documents.resume = Some(Upload::Text(as_text()));
            }
        } else if JOB_PARTS.contains(&name.as_str()) {
            if !bytes.is_empty() {
                form.documents.job = Some(upload());
            }
        } else {
            form.fields.insert(name, as_text());
        }
    }
    Ok(form)
}

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for DocumentRequest<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let limit = state.config.resume_max_bytes;
            let ApiMultipart(multipart) = ApiMultipart::from_request(req, state).await?;
            return Ok(DocumentRequest::Form(read_form(multipart, limit).await?));
        }
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let ApiJson(value) = ApiJson::<T>::from_request(req, state).await?;
        Ok(DocumentRequest::Json(value))
    }
}

/// Parses the documents on the CPU pool. `None` when none were sent.
pub async fn parse_documents(
    state: &AppState,
    input: DocumentInput,
) -> Result<Option<(CandidateDocuments, Option<&'static str>)>, ApiError> {
    if input.is_empty() {
        return Ok(None);
    }
    let limits = Limits {
        max_bytes: state.config.resume_max_bytes,
        ..Limits::default()
    };
    let parsed = state
        .cpu
        .run(move || -> Result<_, ResumeError> {
            let read = |upload: &Upload| match upload {
                Upload::Text(text) => mianshi_resume::extract_text(text.as_bytes(), None, &limits),
                Upload::File { bytes, name } => {
                    mianshi_resume::extract_text(bytes, name.as_deref(), &limits)
                }
            };
            let resume = input.resume.as_ref().map(read).transpose()?;
            let job = input.job.as_ref().map(read).transpose()?;
            let format = resume.as_ref().map(|r| r.format.name());
            let documents = mianshi_resume::build_documents(
                resume.as_ref().map(|r| r.text.as_str()),
                job.as_ref().map(|j| j.text.as_str()),
            );
            Ok((documents, format))
        })
        .await??;
    Ok(Some(parsed))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ParseRequest {
    /// The résumé as text (plain or Markdown).
    #[serde(alias = "resume_text")]
    #[schema(required = true, value_type = String, min_length = 1, pattern = "\\S")]
    pub text: Option<String>,
    /// A job description to match the résumé against.
    pub job_description: Option<String>,
}

/// The multipart form of `POST /api/resume/parse` (for the docs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParseForm {
    /// The résumé file: PDF, DOCX, TXT or Markdown (also accepted as `resume`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A job description as text or as a file (also accepted as `jd`).
    job_description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParseResponse {
    /// `pdf`, `docx`, `text` or `markdown`: how the résumé was read.
    pub format: Option<&'static str>,
    #[serde(flatten)]
    pub documents: CandidateDocuments,
}

/// Parse a résumé (and optionally a job description) into a profile.
#[utoipa::path(
    post,
    path = "/api/resume/parse",
    tag = "resume",
    request_body(content(
        (ParseRequest = "application/json"),
        (ParseForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "The parsed profile, job and match", body = ParseResponse),
        (status = 413, description = "`resume_too_large`", body = ErrorBody),
        (status = 415, description = "`resume_unsupported_format` or not JSON/multipart", body = ErrorBody),
        (status = 422, description = "`resume_encrypted`, `resume_scanned_pdf`, `resume_unreadable`, `resume_empty` …", body = ErrorBody),
        (status = 503, description = "`busy`: too many uploads at once", body = ErrorBody),
    )
)]
pub async fn parse_resume(
    State(state): State<AppState>,
    request: DocumentRequest<ParseRequest>,
) -> Result<Json<ParseResponse>, ApiError> {
    let input = match request {
        DocumentRequest::Json(body) => DocumentInput {
            resume: body.text.map(Upload::Text),
            job: body.job_description.map(Upload::Text),
        },
        DocumentRequest::Form(form) => {
            crate::extract::only_known_fields(form.fields.keys(), &[])?;
            form.documents
        }
    };
    if input.resume.is_none() {
        return Err(ApiError::Validation(
            "send the résumé as a file (multipart field `file`) or as JSON `text`".into(),
        ));
    }
    let (documents, format) = parse_documents(&state, input).await?.unwrap_or_default();
    Ok(Json(ParseResponse { format, documents }))
}

/// The résumé and job description stored with a session.
#[utoipa::path(
    get,
    path = "/api/interview/session/{session_id}/documents",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    responses(
        (status = 200, body = CandidateDocuments),
        (status = 404, description = "`session_not_found` or `documents_not_found`", body = ErrorBody),
    )
)]
pub async fn get_documents(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
) -> Result<Json<CandidateDocuments>, ApiError> {
    if let Some(documents) = state.store.get_documents(id).await? {
        return Ok(Json(documents));
    }
    match state.store.get_session(id).await? {
        Some(_) => Err(ApiError::DocumentsNotFound(id.to_string())),
        None => Err(ApiError::SessionNotFound(id.to_string())),
    }
}

/// Correct the parsed résumé before the interview starts.
///
/// The plan is made from the documents at the first question, so corrections are taken until
/// then (`409 interview_planned` after). Skills are written as the candidate would ("k8s"); the
/// job match is worked out again.
#[utoipa::path(
    put,
    path = "/api/interview/session/{session_id}/documents",
    tag = "interview",
    params(("session_id" = uuid::Uuid, Path, description = "Session id (UUID)")),
    request_body = ProfileEdit,
    responses(
        (status = 200, description = "The corrected documents", body = CandidateDocuments),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 409, description = "`interview_planned`", body = ErrorBody),
        (status = 422, description = "`invalid_profile_edit` (names the field) or `invalid_body`", body = ErrorBody),
    )
)]
pub async fn edit_documents(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    ApiJson(edit): ApiJson<ProfileEdit>,
) -> Result<Json<CandidateDocuments>, ApiError> {
    if state.store.get_session(id).await?.is_none() {
        return Err(ApiError::SessionNotFound(id.to_string()));
    }
    if state.store.load_interview(id).await?.is_some() {
        return Err(ApiError::InterviewPlanned);
    }
    let mut documents = state.store.get_documents(id).await?.unwrap_or_default();
    mianshi_resume::apply_edit(&mut documents, &edit)?;
    match state.store.replace_documents(id, &documents).await {
        Ok(()) => Ok(Json(documents)),
        // Planned between the check above and the write.
        Err(mianshi_store::StoreError::Conflict(_)) => Err(ApiError::InterviewPlanned),
        Err(err) => Err(err.into()),
    }
}
