//! [`SqlStore`]: the [`Store`] on sqlx's `Any` driver, for SQLite and PostgreSQL.

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mianshi_core::{
    AccessEntry, CandidateDocuments, Consent, NewSession, Session, SessionId, SessionStatus, Turn,
};
use serde::de::DeserializeOwned;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::{
    migrations, ApiToken, Page, PageRequest, SessionFilter, Store, StoreError, TokenScope,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

const SESSION_COLUMNS: &str =
    "id, user_id, status, metadata, created_at, updated_at, started_at, ended_at, turn_count";

/// SQLite settings applied to every connection. WAL lets readers run beside the writer;
/// `synchronous = FULL` makes each commit durable before we answer, so a killed process or a
/// power cut never loses an acknowledged status change or turn.
/// `secure_delete` zeroes freed pages, so a deleted session's words do not linger in the file.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA secure_delete = ON",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
];

impl SqlStore {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`), creating the
    /// SQLite file and its folder if needed, and brings the schema up to date.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let (backend, url, in_memory) = normalize_url(url)?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout);
        if backend == Backend::Sqlite {
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        conn.execute(pragma).await?;
                    }
                    Ok(())
                })
            });
            if in_memory {
                // Each in-memory connection is its own database: keep exactly one, forever.
                pool_options = pool_options
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
        }
        let pool = pool_options.connect(&url).await?;
        migrations::migrator().run(&pool).await?;
        tracing::info!(backend = backend.name(), "store ready");
        Ok(Self { pool, backend })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn session_exists(&self, id: SessionId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Appends a turn (and, when given, the interviewer's state after it) atomically.
    async fn write_turn(
        &self,
        id: SessionId,
        turn: &Turn,
        state: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = to_ms(Utc::now());
        let mut tx = self.pool.begin().await?;
        // Claim the index first: the write lock it takes serialises concurrent appenders.
        let claimed = sqlx::query(
            "UPDATE sessions SET turn_count = turn_count + 1, updated_at = $1 \
             WHERE id = $2 AND turn_count = $3",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(i64::from(turn.index))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            let index = turn.index;
            return Err(self
                .explain_missed_write(id, || format!("turn {index} is not the next turn of {id}"))
                .await);
        }
        sqlx::query(
            "INSERT INTO turns (session_id, idx, question, answer, score, overall, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(i64::from(turn.index))
        .bind(json_text(&turn.question))
        .bind(turn.answer.as_ref().map(json_text))
        .bind(turn.score.as_ref().map(json_text))
        .bind(turn.score.as_ref().map(|s| i64::from(s.overall)))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(state) = state {
            upsert_interview(&mut *tx, id, state).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Why a conditional write matched no row: the session is gone, or it changed under us.
    async fn explain_missed_write(
        &self,
        id: SessionId,
        conflict: impl FnOnce() -> String,
    ) -> StoreError {
        match self.session_exists(id).await {
            Ok(true) => StoreError::Conflict(conflict()),
            Ok(false) => StoreError::SessionNotFound(id),
            Err(err) => err,
        }
    }
}

/// Returns the backend, the URL sqlx should open, and whether it is an in-memory SQLite.
fn normalize_url(url: &str) -> Result<(Backend, String, bool), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned(), false));
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(StoreError::UnsupportedUrl(redact(url)));
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(redact(url)));
    }
    if path == ":memory:" {
        return Ok((Backend::Sqlite, "sqlite::memory:".to_owned(), true));
    }
    if let Some(parent) = Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((Backend::Sqlite, format!("sqlite://{path}?{query}"), false))
}

/// Database URLs may carry passwords; error messages show only the scheme.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://…"),
        None => url.chars().take(16).collect(),
    }
}

async fn upsert_interview<'e, E>(executor: E, id: SessionId, state: &str) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO interviews (session_id, state, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(id.to_string())
    .bind(state.to_owned())
    .bind(to_ms(Utc::now()))
    .execute(executor)
    .await?;
    Ok(())
}

fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

/// Storage keeps milliseconds; values handed back to callers are truncated the same way so that
/// what `create_session` returns equals what a later read returns.
fn now_ms() -> DateTime<Utc> {
    from_ms(to_ms(Utc::now())).unwrap_or_else(|_| Utc::now())
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Serializing our own plain data types cannot fail (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn parse_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("{column}: {err}")))
}

fn session_from_row(row: &AnyRow) -> Result<Session, StoreError> {
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let metadata: String = row.try_get("metadata")?;
    let turn_count: i64 = row.try_get("turn_count")?;
    Ok(Session {
        session_id: id
            .parse()
            .map_err(|err| StoreError::Corrupt(format!("id: {err}")))?,
        user_id: row.try_get("user_id")?,
        status: status.parse().map_err(StoreError::Corrupt)?,
        metadata: parse_json("metadata", &metadata)?,
        created_at: from_ms(row.try_get("created_at")?)?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
        started_at: row
            .try_get::<Option<i64>, _>("started_at")?
            .map(from_ms)
            .transpose()?,
        ended_at: row
            .try_get::<Option<i64>, _>("ended_at")?
            .map(from_ms)
            .transpose()?,
        turn_count: u32::try_from(turn_count)
            .map_err(|_| StoreError::Corrupt(format!("turn_count {turn_count}")))?,
    })
}

fn turn_from_row(row: &AnyRow) -> Result<Turn, StoreError> {
    let idx: i64 = row.try_get("idx")?;
    let question: String = row.try_get("question")?;
    let answer: Option<String> = row.try_get("answer")?;
    let score: Option<String> = row.try_get("score")?;
    Ok(Turn {
        index: u32::try_from(idx).map_err(|_| StoreError::Corrupt(format!("turn idx {idx}")))?,
        question: parse_json("question", &question)?,
        answer: answer.map(|a| parse_json("answer", &a)).transpose()?,
        score: score.map(|s| parse_json("score", &s)).transpose()?,
    })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_session(&self, new: NewSession) -> Result<Session, StoreError> {
        let now = now_ms();
        let session = Session {
            session_id: SessionId::new_random(),
            user_id: new.user_id,
            status: SessionStatus::Created,
            metadata: new.metadata,
            created_at: now,
            updated_at: now,
            started_at: None,
            ended_at: None,
            turn_count: 0,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, status, metadata, created_at, updated_at, turn_count) \
             VALUES ($1, $2, $3, $4, $5, $5, 0)",
        )
        .bind(session.session_id.to_string())
        .bind(session.user_id.clone())
        .bind(session.status.as_str())
        .bind(json_text(&session.metadata))
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?;
        if let Some(documents) = new.documents.filter(|d| !d.is_empty()) {
            sqlx::query(
                "INSERT INTO candidate_documents (session_id, documents, created_at) VALUES ($1, $2, $3)",
            )
            .bind(session.session_id.to_string())
            .bind(json_text(&documents))
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        }
        if let Some(hash) = &new.candidate_token_hash {
            sqlx::query(
                "INSERT INTO session_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(hash.clone())
            .bind(session.session_id.to_string())
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(session)
    }

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn get_documents(&self, id: SessionId) -> Result<Option<CandidateDocuments>, StoreError> {
        let row = sqlx::query("SELECT documents FROM candidate_documents WHERE session_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let text: String = row.try_get("documents")?;
            parse_json("documents", &text)
        })
        .transpose()
    }

    async fn record_consent(&self, id: SessionId, consent: &Consent) -> Result<(), StoreError> {
        // One statement, as for the access log: a session deleted meanwhile is "not found",
        // never a foreign-key failure.
        let written = sqlx::query(
            "INSERT INTO consents (session_id, consent, given_at) \
             SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1) \
             ON CONFLICT (session_id) DO UPDATE SET consent = excluded.consent, given_at = excluded.given_at",
        )
        .bind(id.to_string())
        .bind(json_text(consent))
        .bind(to_ms(consent.given_at))
        .execute(&self.pool)
        .await?;
        if written.rows_affected() == 0 {
            return Err(StoreError::SessionNotFound(id));
        }
        Ok(())
    }

    async fn get_consent(&self, id: SessionId) -> Result<Option<Consent>, StoreError> {
        let row = sqlx::query("SELECT consent FROM consents WHERE session_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let text: String = row.try_get("consent")?;
            parse_json("consent", &text)
        })
        .transpose()
    }

    async fn log_access(&self, id: SessionId, entry: &AccessEntry) -> Result<(), StoreError> {
        let written = sqlx::query(
            "INSERT INTO access_log (session_id, at, action, client) \
             SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1)",
        )
        .bind(id.to_string())
        .bind(to_ms(entry.at))
        .bind(entry.action.clone())
        .bind(entry.client.clone())
        .execute(&self.pool)
        .await?;
        if written.rows_affected() == 0 {
            return Err(StoreError::SessionNotFound(id));
        }
        Ok(())
    }

    async fn access_log(&self, id: SessionId) -> Result<Vec<AccessEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, action, client FROM access_log WHERE session_id = $1 ORDER BY at, action",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccessEntry {
                    at: from_ms(row.try_get("at")?)?,
                    action: row.try_get("action")?,
                    client: row.try_get("client")?,
                })
            })
            .collect()
    }

    async fn replace_documents(
        &self,
        id: SessionId,
        documents: &CandidateDocuments,
    ) -> Result<(), StoreError> {
        // One conditional statement, so a plan made concurrently by another request or node
        // either sees the new documents or makes this write refuse.
        let written = sqlx::query(
            "INSERT INTO candidate_documents (session_id, documents, created_at) \
             SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM interviews WHERE session_id = $1) \
             ON CONFLICT (session_id) DO UPDATE SET documents = excluded.documents \
             WHERE NOT EXISTS (SELECT 1 FROM interviews WHERE session_id = $1)",
        )
        .bind(id.to_string())
        .bind(json_text(documents))
        .bind(to_ms(now_ms()))
        .execute(&self.pool)
        .await;
        let refused = match written {
            Ok(done) if done.rows_affected() > 0 => return Ok(()),
            Ok(_) => {
                StoreError::Conflict("the interview is already planned from the documents".into())
            }
            Err(err) => err.into(),
        };
        // A missing session fails the foreign key (or writes nothing): report it as not found.
        if self.session_exists(id).await? {
            Err(refused)
        } else {
            Err(StoreError::SessionNotFound(id))
        }
    }

    async fn update_status(
        &self,
        id: SessionId,
        from: SessionStatus,
        to: SessionStatus,
        at: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        let at = to_ms(at);
        let started = (to == SessionStatus::InProgress).then_some(at);
        let ended = to.is_terminal().then_some(at);
        let result = sqlx::query(
            "UPDATE sessions SET status = $1, updated_at = $2, \
             started_at = COALESCE(started_at, $3), ended_at = COALESCE($4, ended_at) \
             WHERE id = $5 AND status = $6",
        )
        .bind(to.as_str())
        .bind(at)
        .bind(started)
        .bind(ended)
        .bind(id.to_string())
        .bind(from.as_str())
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(self
                .explain_missed_write(id, || format!("session {id} is no longer {from}"))
                .await);
        }
        self.get_session(id)
            .await?
            .ok_or(StoreError::SessionNotFound(id))
    }

    async fn append_turn(&self, id: SessionId, turn: &Turn) -> Result<(), StoreError> {
        self.write_turn(id, turn, None).await
    }

    async fn load_interview(&self, id: SessionId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT state FROM interviews WHERE session_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("state")).transpose()?)
    }

    async fn save_interview(&self, id: SessionId, state: &str) -> Result<(), StoreError> {
        if !self.session_exists(id).await? {
            return Err(StoreError::SessionNotFound(id));
        }
        upsert_interview(&self.pool, id, state).await
    }

    async fn commit_turn(&self, id: SessionId, turn: &Turn, state: &str) -> Result<(), StoreError> {
        self.write_turn(id, turn, Some(state)).await
    }

    async fn list_turns(&self, id: SessionId) -> Result<Vec<Turn>, StoreError> {
        let rows = sqlx::query(
            "SELECT idx, question, answer, score FROM turns WHERE session_id = $1 ORDER BY idx",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(turn_from_row).collect()
    }

    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        const WHERE: &str = "WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR status = $2)";
        let user = filter.user_id.clone();
        let status = filter.status.map(|s| s.as_str().to_owned());
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM sessions {WHERE}"
        )))
        .bind(user.clone())
        .bind(status.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions {WHERE} \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        )))
        .bind(user)
        .bind(status)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(Page {
            items: rows
                .iter()
                .map(session_from_row)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn content_scores(
        &self,
        ids: &[SessionId],
    ) -> Result<std::collections::HashMap<SessionId, (f64, u32)>, StoreError> {
        let mut scores = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(scores);
        }
        // Only placeholders are formatted into the SQL; the ids are bound.
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT session_id, CAST(AVG(overall) AS DOUBLE PRECISION) AS mean, COUNT(overall) AS n \
             FROM turns WHERE overall IS NOT NULL AND session_id IN ({}) GROUP BY session_id",
            placeholders.join(", ")
        ));
        let mut query = sqlx::query(sql);
        for id in ids {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&self.pool).await? {
            let id: String = row.try_get("session_id")?;
            let mean: f64 = row.try_get("mean")?;
            let n: i64 = row.try_get("n")?;
            let id = id
                .parse()
                .map_err(|err| StoreError::Corrupt(format!("turn session id: {err}")))?;
            scores.insert(id, (mean, u32::try_from(n).unwrap_or(u32::MAX)));
        }
        Ok(scores)
    }

    async fn delete_session(&self, id: SessionId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM turns WHERE session_id = $1",
            "DELETE FROM candidate_documents WHERE session_id = $1",
            "DELETE FROM interviews WHERE session_id = $1",
            "DELETE FROM consents WHERE session_id = $1",
            "DELETE FROM access_log WHERE session_id = $1",
            "DELETE FROM session_tokens WHERE session_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let deleted = sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if self.backend == Backend::Sqlite {
            // The write-ahead log still holds the pages as they were before the delete until
            // it is checkpointed; truncating it removes them from the disk. A reader holding an
            // old snapshot can make this partial: the next delete or restart finishes it.
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
            {
                tracing::warn!(%err, "write-ahead log not truncated after a delete");
            }
        }
        Ok(deleted.rows_affected() > 0)
    }

    async fn sessions_untouched_since(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SessionId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM sessions WHERE updated_at < $1 ORDER BY updated_at, id LIMIT $2",
        )
        .bind(to_ms(cutoff))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("session id `{id}`")))
            })
            .collect()
    }

    async fn session_for_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionId, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.user_id FROM session_tokens t JOIN sessions s ON s.id = t.session_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        let id = id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("session id `{id}`")))?;
        Ok(Some((id, row.try_get("user_id")?)))
    }

    async fn create_api_token(
        &self,
        name: &str,
        scope: TokenScope,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError> {
        let token = ApiToken {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            name: name.to_owned(),
            scope,
            created_at: now_ms(),
            revoked_at: None,
        };
        let written = sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, token_hash, created_at) \
             SELECT $1, $2, $3, $4, $5 \
             WHERE NOT EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = $4)",
        )
        .bind(token.id.clone())
        .bind(token.name.clone())
        .bind(scope.as_str())
        .bind(token_hash.to_owned())
        .bind(to_ms(token.created_at))
        .execute(&self.pool)
        .await?;
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict("that token is already stored".into()));
        }
        Ok(token)
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, scope, created_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(api_token_from_row).transpose()
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    async fn revoke_api_token(&self, id: &str) -> Result<bool, StoreError> {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id.to_owned())
        .bind(to_ms(now_ms()))
        .execute(&self.pool)
        .await?;
        Ok(revoked.rows_affected() > 0)
    }
}

fn api_token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let scope: String = row.try_get("scope")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope `{scope}`")))?,
        created_at: from_ms(row.try_get("created_at")?)?,
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_ms)
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized_and_secrets_never_echoed() {
        let (backend, url, memory) = normalize_url("sqlite::memory:").unwrap();
        assert_eq!(
            (backend, url.as_str(), memory),
            (Backend::Sqlite, "sqlite::memory:", true)
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/db.sqlite");
        let (_, url, _) = normalize_url(&format!("sqlite://{}", path.display())).unwrap();
        assert!(url.ends_with("?mode=rwc"), "{url}");
        assert!(path.parent().unwrap().is_dir());
        let (backend, _, _) = normalize_url("postgres://u:pw@host/db").unwrap();
        assert_eq!(backend, Backend::Postgres);
        let err = normalize_url("mysql://root:hunter2@host/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
