//! Sessions: identity, lifecycle status and the metadata a client attaches at start.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A session id is a random UUID: unguessable enough to appear in interview links and stable
/// across storage backends (stored as its hyphenated text form).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, format = Uuid)]
pub struct SessionId(Uuid);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a valid session id (expected a UUID)")]
pub struct SessionIdError(pub String);

impl SessionId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for SessionId {
    type Err = SessionIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the canonical hyphenated form: ids are compared as text in storage, so accepting
        // braces or upper case here would let one session answer to several spellings.
        let parsed = Uuid::try_parse(s).map_err(|_| SessionIdError(truncate_for_message(s)))?;
        if parsed.hyphenated().to_string() != s {
            return Err(SessionIdError(truncate_for_message(s)));
        }
        Ok(Self(parsed))
    }
}

fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Lifecycle of an interview session.
///
/// `created → in_progress ⇄ paused → completed | cancelled`; the last two are terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    #[default]
    Created,
    InProgress,
    Paused,
    Completed,
    Cancelled,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 5] = [
        SessionStatus::Created,
        SessionStatus::InProgress,
        SessionStatus::Paused,
        SessionStatus::Completed,
        SessionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Created => "created",
            SessionStatus::InProgress => "in_progress",
            SessionStatus::Paused => "paused",
            SessionStatus::Completed => "completed",
            SessionStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, SessionStatus::Completed | SessionStatus::Cancelled)
    }

    /// Parses the canonical names and the spellings the Python seed's clients send
    /// (`pending`, `active`, `started`, `finished`, `ended`, `canceled`).
    pub fn parse_lenient(s: &str) -> Option<Self> {
        let normalized = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match normalized.as_str() {
            "created" | "pending" | "new" => SessionStatus::Created,
            "in_progress" | "inprogress" | "active" | "started" | "running" | "ongoing" => {
                SessionStatus::InProgress
            }
            "paused" => SessionStatus::Paused,
            "completed" | "complete" | "finished" | "ended" | "done" => SessionStatus::Completed,
            "cancelled" | "canceled" | "aborted" => SessionStatus::Cancelled,
            _ => return None,
        })
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SessionStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown session status `{s}`"))
    }
}

/// What a client supplies to open a session.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub user_id: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Parsed résumé and job description, when the client supplied them.
    pub documents: Option<crate::CandidateDocuments>,
    /// SHA-256 (hex) of the candidate's token for this session, stored with it atomically;
    /// `None` leaves the session reachable by operator tokens only.
    pub candidate_token_hash: Option<String>,
}

/// A stored session, as every API and the store see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub session_id: SessionId,
    pub user_id: String,
    pub status: SessionStatus,
    /// Free-form client data given at start (e.g. `{"position": "前端工程师"}`), returned as given.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the session first entered `in_progress`.
    pub started_at: Option<DateTime<Utc>>,
    /// When the session reached `completed` or `cancelled`.
    pub ended_at: Option<DateTime<Utc>>,
    /// Number of committed turns.
    pub turn_count: u32,
}

/// One read of a session's results, report or export: when, what, and by whom (the client's
/// address and user agent, or the API token's name once tokens are in use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    /// `results`, `report.html`, `report.pdf` or `export`.
    pub action: String,
    pub client: String,
}

/// What the candidate agreed to before any device was opened (DESIGN §2), recorded with the
/// session so an export shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    /// The version of the consent text that was shown (docs/privacy.md keeps each version).
    pub version: String,
    pub microphone: bool,
    pub camera: bool,
    pub given_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_round_trips_and_rejects_other_spellings() {
        let id = SessionId::new_random();
        assert_eq!(id.to_string().parse::<SessionId>(), Ok(id));
        assert!(id.to_string().to_uppercase().parse::<SessionId>().is_err());
        assert!("not-a-uuid".parse::<SessionId>().is_err());
        assert!("".parse::<SessionId>().is_err());
        let long = "x".repeat(10_000);
        let err = long.parse::<SessionId>().unwrap_err();
        assert!(err.0.chars().count() <= 65, "error message must stay short");
    }

    #[test]
    fn status_names_round_trip_and_seed_aliases_parse() {
        for status in SessionStatus::ALL {
            assert_eq!(status.as_str().parse::<SessionStatus>(), Ok(status));
            assert_eq!(SessionStatus::parse_lenient(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(
            SessionStatus::parse_lenient("Active"),
            Some(SessionStatus::InProgress)
        );
        assert_eq!(
            SessionStatus::parse_lenient("in-progress"),
            Some(SessionStatus::InProgress)
        );
        assert_eq!(
            SessionStatus::parse_lenient("pending"),
            Some(SessionStatus::Created)
        );
        assert_eq!(
            SessionStatus::parse_lenient("canceled"),
            Some(SessionStatus::Cancelled)
        );
        assert_eq!(SessionStatus::parse_lenient("exploded"), None);
    }
}
