//! Persistence: the [`Store`] trait every other crate talks to, and [`SqlStore`], its
//! implementation on SQLite (the embedded default, WAL mode) and PostgreSQL (scale-out).
//!
//! One SQL implementation serves both backends through sqlx's `Any` driver: the queries use
//! `$N` placeholders and portable types (TEXT, BIGINT), and only the migrations differ per
//! backend. That keeps the two backends from drifting apart — one test story runs against both.

mod migrations;
mod sql;
#[cfg(feature = "test-support")]
pub mod test_support;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mianshi_core::{
    AccessEntry, CandidateDocuments, Consent, NewSession, Session, SessionId, SessionStatus, Turn,
};

pub use sql::{Backend, SqlStore, StoreOptions};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session {0} not found")]
    SessionNotFound(SessionId),
    /// The row changed under us (another writer moved the status, or the turn index is taken).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database URL `{0}` (expected sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Filters for listing sessions; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub user_id: Option<String>,
    pub status: Option<SessionStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching rows in total, regardless of the page.
    pub total: u64,
}

/// What an operator token may do; a candidate token is not one of these (it opens one session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScope {
    /// Everything, on every session: deletion, exports, access logs, token-free sign-up off.
    Admin,
    /// Starts interviews and reads every session's results and reports; cannot answer,
    /// change, export or delete a candidate's session.
    Interviewer,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Admin => "admin",
            TokenScope::Interviewer => "interviewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(TokenScope::Admin),
            "interviewer" => Some(TokenScope::Interviewer),
            _ => None,
        }
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored operator token: never the secret itself, only its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Everything Mianshi persists about sessions.
///
/// Writes that depend on what was read are conditional (compare-and-set on the status, the
/// next turn index), so two nodes or two requests racing cannot silently overwrite each other.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Cheap round trip, for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn create_session(&self, new: NewSession) -> Result<Session, StoreError>;

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>, StoreError>;

    /// The résumé/job documents stored with the session at creation, if any.
    async fn get_documents(&self, id: SessionId) -> Result<Option<CandidateDocuments>, StoreError>;

    /// Replaces the documents of a session whose interview has not been planned yet (the
    /// candidate corrected the parsed résumé). `Conflict` once the interview is planned: the
    /// questions already follow the old documents.
    async fn replace_documents(
        &self,
        id: SessionId,
        documents: &CandidateDocuments,
    ) -> Result<(), StoreError>;

    /// Records the candidate's consent (a later one replaces it: the devices were changed).
    async fn record_consent(&self, id: SessionId, consent: &Consent) -> Result<(), StoreError>;

    async fn get_consent(&self, id: SessionId) -> Result<Option<Consent>, StoreError>;

    /// Appends a read to the session's access log.
    async fn log_access(&self, id: SessionId, entry: &AccessEntry) -> Result<(), StoreError>;

    /// The session's access log, oldest first.
    async fn access_log(&self, id: SessionId) -> Result<Vec<AccessEntry>, StoreError>;

    /// Moves `id` from `from` to `to`, stamping `started_at` on first entry to `in_progress` and
    /// `ended_at` on reaching a terminal status. Fails with `Conflict` if the stored status is no
    /// longer `from`.
    async fn update_status(
        &self,
        id: SessionId,
        from: SessionStatus,
        to: SessionStatus,
        at: DateTime<Utc>,
    ) -> Result<Session, StoreError>;

    /// Commits a turn. Its index must be the session's current turn count, so turns can be
    /// neither skipped nor overwritten.
    async fn append_turn(&self, id: SessionId, turn: &Turn) -> Result<(), StoreError>;

    async fn list_turns(&self, id: SessionId) -> Result<Vec<Turn>, StoreError>;

    /// The interviewer's saved state (opaque JSON owned by the interviewer), if any.
    async fn load_interview(&self, id: SessionId) -> Result<Option<String>, StoreError>;

    /// Saves the interviewer's state (e.g. after asking a question).
    async fn save_interview(&self, id: SessionId, state: &str) -> Result<(), StoreError>;

    /// Commits a turn and the interviewer's state after it in one transaction: the answer is
    /// on record before the next question exists anywhere. Same index rule as `append_turn`.
    async fn commit_turn(&self, id: SessionId, turn: &Turn, state: &str) -> Result<(), StoreError>;

    /// Newest first.
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Page<Session>, StoreError>;

    /// Mean answer score and number of scored answers per session (sessions without a scored
    /// answer are absent from the map).
    async fn content_scores(
        &self,
        ids: &[SessionId],
    ) -> Result<std::collections::HashMap<SessionId, (f64, u32)>, StoreError>;

    /// Deletes the session and everything kept with it (turns, documents, interviewer state,
    /// consent, access log); `false` if there was no such session. On SQLite the freed pages are zeroed and
    /// the write-ahead log truncated, so the words are gone from the files on disk too.
    async fn delete_session(&self, id: SessionId) -> Result<bool, StoreError>;

    /// Up to `limit` sessions not changed since `cutoff` (oldest first): what a retention
    /// period deletes.
    async fn sessions_untouched_since(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SessionId>, StoreError>;

    /// The session a candidate token (by its hash) opens, and the session's user.
    async fn session_for_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionId, String)>, StoreError>;

    /// Stores a new operator token under `token_hash`; `Conflict` if that hash is taken.
    async fn create_api_token(
        &self,
        name: &str,
        scope: TokenScope,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError>;

    /// The live (unrevoked) operator token with this hash.
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError>;

    /// Every operator token, revoked ones included, oldest first.
    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes the token with this id; `false` if there is no live token with it.
    async fn revoke_api_token(&self, id: &str) -> Result<bool, StoreError>;
}
