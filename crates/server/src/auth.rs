//! Who is calling and what they may do (issue 11, DESIGN §2).
//!
//! Two kinds of credential, both random 256-bit bearer tokens of which only the SHA-256 hash is
//! stored: a **candidate token**, made with each session and handed out once in the interview
//! link, opens that one session and nothing else; an **operator token** (`mianshi token create`)
//! carries a scope, `admin` or `interviewer`. Every API route has one entry in [`policy`]; a
//! route missing from it is admin-only, so a new endpoint is closed until someone opens it.
//!
//! The token comes as `Authorization: Bearer …`, or — for what a browser opens without
//! scripting headers (the live WebSocket, report and export links) — as `?token=` on a GET.
//! The same middleware applies the per-caller rate limit and the WebSocket origin check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mianshi_core::SessionId;
use mianshi_store::{Store, TokenScope};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Candidate tokens start with this, operator tokens with [`OPERATOR_PREFIX`]: secret scanners
/// and people can tell them apart, and neither can be mistaken for a session id.
pub const CANDIDATE_PREFIX: &str = "msc_";
pub const OPERATOR_PREFIX: &str = "mso_";

/// A new token: the prefix and 32 bytes from the operating system's CSPRNG, as hex.
pub fn new_token(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

/// What the store keeps of a token. The tokens carry 256 random bits, so a fast hash is
/// enough: there is no small password space to search.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticated caller of a request, put in its extensions by [`authorize`].
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    Anonymous,
    Candidate {
        session: SessionId,
        user_id: String,
    },
    Operator {
        id: String,
        name: String,
        scope: TokenScope,
    },
}

impl Caller {
    /// How the access log names this caller (never the token).
    pub fn describe(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Candidate { .. } => "candidate".into(),
            Caller::Operator { id, name, scope } => format!("{scope} {name} ({id})"),
        }
    }

    fn rate_key(&self, ip: Option<IpAddr>) -> String {
        match self {
            Caller::Anonymous => match ip {
                Some(ip) => format!("ip {ip}"),
                None => "ip -".into(),
            },
            Caller::Candidate { session, .. } => format!("session {session}"),
            Caller::Operator { id, .. } => format!("operator {id}"),
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Health, readiness, metrics, model status: no credential needed, no rate limit.
    Public,
    /// Starting an interview and the stateless analysis endpoints: anyone while open sign-up
    /// is on (the laptop default), otherwise any valid token.
    SignUp,
    /// One session's data: its candidate, interviewers and admins.
    SessionRead,
    /// Acting on one session (answering, changing, exporting, deleting, the live stream): its
    /// candidate and admins.
    SessionOwner,
    /// One user's history: their candidate tokens, interviewers and admins.
    UserHistory,
    /// Every session: interviewers and admins.
    Operators,
    /// Admins only.
    Admin,
}

/// The access rule of every route, by method and path template. Anything not listed is
/// [`Access::Admin`] (closed by default); `tests/auth.rs` checks that every operation in the
/// OpenAPI document is listed.
pub fn policy(method: &Method, template: &str) -> Option<Access> {
    use Access::*;
    let access = match (method.as_str(), template) {
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/ai/models/status") => Public,
        ("POST", "/api/interview/start" | "/api/resume/parse") => SignUp,
        (
            "POST",
            "/api/ai/transcribe"
            | "/api/ai/analyze-speech-quality"
            | "/api/ai/analyze-video"
            | "/api/ai/detect-emotions",
        ) => SignUp,
        (
            "GET",
            "/api/interview/session/{session_id}"
            | "/api/interview/results/{session_id}"
            | "/api/interview/{session_id}/report.html"
            | "/api/interview/{session_id}/report.pdf"
            | "/api/interview/session/{session_id}/documents",
        ) => SessionRead,
        (
            "GET",
            "/api/interview/{session_id}/question"
            | "/api/interview/{session_id}/export"
            | "/api/interview/{session_id}/access-log"
            | "/ws/video-stream/{session_id}",
        ) => SessionOwner,
        (
            "PUT",
            "/api/interview/session/{session_id}/status"
            | "/api/interview/session/{session_id}/documents",
        ) => SessionOwner,
        (
            "POST",
            "/api/interview/{session_id}/answer" | "/api/interview/session/{session_id}/consent",
        ) => SessionOwner,
        ("DELETE", "/api/interview/session/{session_id}") => SessionOwner,
        ("GET", "/api/users/{user_id}/history") => UserHistory,
        ("GET", "/api/interview/sessions") => Operators,
        _ => return None,
    };
    Some(access)
}

/// The routes whose GET may carry the token in the query: what a browser opens by URL.
fn takes_query_token(method: &Method) -> bool {
    method == Method::GET
}

/// The raw value of `name` in a path that matched `template` (both split on `/`).
fn path_param<'a>(template: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("{{{name}}}");
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| *t == wanted)
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(Some(token.trim()))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        // Tokens are hex with an ASCII prefix, so there is nothing to percent-decode.
        (key == "token" && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Resolves a presented token to its caller; an unknown or revoked one is 401.
async fn caller_for(store: &dyn Store, token: &str) -> Result<Caller, ApiError> {
    let hash = hash_token(token);
    if token.starts_with(CANDIDATE_PREFIX) {
        if let Some((session, user_id)) = store.session_for_token(&hash).await? {
            return Ok(Caller::Candidate { session, user_id });
        }
    } else if token.starts_with(OPERATOR_PREFIX) {
        if let Some(found) = store.api_token(&hash).await? {
            return Ok(Caller::Operator {
                id: found.id,
                name: found.name,
                scope: found.scope,
            });
        }
    }
    Err(ApiError::InvalidToken)
}

/// Whether `caller` passes `access` for a request on `template` and `path`.
fn permits(
    access: Access,
    caller: &Caller,
    open_signup: bool,
    template: &str,
    path: &str,
) -> Result<(), ApiError> {
    let operator = |allowed: &[TokenScope]| match caller {
        Caller::Operator { scope, .. } if allowed.contains(scope) => Ok(()),
        Caller::Anonymous => Err(ApiError::AuthRequired),
        _ => Err(ApiError::Forbidden),
    };
    let own_session = |operators: &[TokenScope]| match caller {
        Caller::Candidate { session, .. } => {
            // Compared as text so that a malformed or differently spelled id is simply not
            // the caller's session (403), rather than leaking a parse error first.
            let asked = path_param(template, path, "session_id").unwrap_or("");
            if asked == session.to_string() {
                Ok(())
            } else {
                Err(ApiError::Forbidden)
            }
        }
        _ => operator(operators),
    };
    match access {
        Access::Public => Ok(()),
        Access::SignUp if open_signup => Ok(()),
        Access::SignUp => match caller {
            Caller::Anonymous => Err(ApiError::AuthRequired),
            _ => Ok(()),
        },
        Access::SessionRead => own_session(&[TokenScope::Admin, TokenScope::Interviewer]),
        Access::SessionOwner => own_session(&[TokenScope::Admin]),
        Access::UserHistory => match caller {
            Caller::Candidate { user_id, .. } => {
                let asked = path_param(template, path, "user_id").unwrap_or("");
                if percent_decoded(asked).as_deref() == Some(user_id.as_str()) {
                    Ok(())
                } else {
                    Err(ApiError::Forbidden)
                }
            }
            _ => operator(&[TokenScope::Admin, TokenScope::Interviewer]),
        },
        Access::Operators => operator(&[TokenScope::Admin, TokenScope::Interviewer]),
        Access::Admin => operator(&[TokenScope::Admin]),
    }
}

fn percent_decoded(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A browser may open the live stream only from this server's own pages or an origin the
/// operator allowed: otherwise any page the candidate visits could drive their interview.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Not a browser: it has to bring the token like any client.
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// The API's gatekeeper, layered on every routed API request: resolves the caller, applies
/// [`policy`], the rate limit and (for the WebSocket) the origin check, and leaves the
/// [`Caller`] in the request for handlers and the access log.
pub async fn authorize(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let asked = Asked {
        template: request
            .extensions()
            .get::<MatchedPath>()
            .map_or(String::new(), |m| m.as_str().to_owned()),
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        ip: request
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip()),
    };
    match check(&state, &asked, request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(err) => err.into_response(),
    }
}

/// What the gate needs of a request (the request itself is not `Sync`, so it is not held
/// across the store lookup).
struct Asked {
    template: String,
    method: Method,
    path: String,
    query: Option<String>,
    ip: Option<IpAddr>,
}

async fn check(state: &AppState, asked: &Asked, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let access = policy(&asked.method, &asked.template).unwrap_or(Access::Admin);
    if access == Access::Public {
        return Ok(Caller::Anonymous);
    }
    let token = match bearer(headers)? {
        Some(token) => Some(token.to_owned()),
        None if takes_query_token(&asked.method) => query_token(asked.query.as_deref()),
        None => None,
    };
    let origin_ok = asked.template != "/ws/video-stream/{session_id}"
        || origin_allowed(headers, &state.config.allowed_origins);
    let caller = match token {
        Some(token) => match caller_for(state.store.as_ref(), &token).await {
            Ok(caller) => caller,
            Err(err) => {
                // Guessing tokens costs the guesser's address its budget.
                state
                    .limiter
                    .charge(&Caller::Anonymous.rate_key(asked.ip))?;
                return Err(err);
            }
        },
        None => Caller::Anonymous,
    };
    state.limiter.charge(&caller.rate_key(asked.ip))?;
    if !origin_ok {
        return Err(ApiError::OriginNotAllowed);
    }
    permits(
        access,
        &caller,
        state.config.open_signup,
        &asked.template,
        &asked.path,
    )?;
    Ok(caller)
}

/// Per-caller token buckets: a full minute's allowance may be spent at once, then it refills
/// evenly. Keyed by operator token, by session for candidates and by address for everyone
/// else; limits are per node (behind a load balancer, the balancer's own limit covers the
/// fleet).
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many callers, buckets that have refilled are dropped (they hold no state a
/// fresh bucket would not), so the map cannot grow without bound.
const MAX_TRACKED: usize = 10_000;

impl RateLimiter {
    /// `per_minute == 0` turns limiting off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long until one is back.
    pub fn charge(&self, key: &str) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second)
            .min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
            Err(ApiError::RateLimited {
                retry_after_seconds: wait.as_secs().max(1),
            })
        }
    }
}

/// `WWW-Authenticate` for 401 answers (RFC 6750).
pub fn challenge() -> HeaderValue {
    HeaderValue::from_static("Bearer realm=\"mianshi\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hashed_stably() {
        let a = new_token(CANDIDATE_PREFIX).unwrap();
        let b = new_token(CANDIDATE_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(CANDIDATE_PREFIX));
        assert_eq!(a.len(), CANDIDATE_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn path_params_come_from_the_matching_segment() {
        assert_eq!(
            path_param(
                "/api/interview/{session_id}/report.pdf",
                "/api/interview/abc/report.pdf",
                "session_id"
            ),
            Some("abc")
        );
        assert_eq!(
            path_param(
                "/api/users/{user_id}/history",
                "/api/users/a%20b/history",
                "user_id"
            ),
            Some("a%20b")
        );
        assert_eq!(percent_decoded("a%20b%E4%BD%A0").as_deref(), Some("a b你"));
        assert_eq!(percent_decoded("%zz"), None);
    }

    #[test]
    fn the_bucket_allows_a_minute_at_once_then_refuses() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            limiter.charge("k").unwrap();
        }
        assert!(matches!(
            limiter.charge("k"),
            Err(ApiError::RateLimited { retry_after_seconds }) if retry_after_seconds >= 1
        ));
        limiter.charge("other").unwrap();
        RateLimiter::new(0).charge("k").unwrap();
    }

    #[test]
    fn the_origin_must_be_this_server_or_allowed() {
        let mut headers = HeaderMap::new();
        assert!(origin_allowed(&headers, &[]));
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8000"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8000"),
        );
        assert!(origin_allowed(&headers, &[]));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!origin_allowed(&headers, &[]));
        assert!(origin_allowed(&headers, &["https://evil.example".into()]));
    }

    #[test]
    fn only_bearer_is_a_scheme() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers).unwrap(), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer msc_1"),
        );
        assert_eq!(bearer(&headers).unwrap(), Some("msc_1"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcg=="),
        );
        assert!(bearer(&headers).is_err());
        assert_eq!(
            query_token(Some("a=1&token=msc_2")).as_deref(),
            Some("msc_2")
        );
        assert_eq!(query_token(Some("token=")), None);
    }
}

/// Writes [`policy`] into the OpenAPI document: the bearer scheme (and the `token` query
/// parameter browsers use for links), each operation's requirement, and its 401/403/429
/// answers — so the document and the gate cannot drift apart.
pub fn document_access(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
    };

    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components.add_security_scheme(
        "query_token",
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("token"))),
    );
    let error = crate::error::documented_error;
    for (template, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, item.get.as_mut()),
            (Method::POST, item.post.as_mut()),
            (Method::PUT, item.put.as_mut()),
            (Method::DELETE, item.delete.as_mut()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let access = policy(&method, template).unwrap_or(Access::Admin);
            if access == Access::Public {
                operation.security = Some(vec![SecurityRequirement::default()]);
                continue;
            }
            let mut requirements = Vec::new();
            if access == Access::SignUp {
                // Open sign-up (the default) needs no token at all.
                requirements.push(SecurityRequirement::default());
            }
            requirements.push(SecurityRequirement::new("bearer", Vec::<String>::new()));
            if takes_query_token(&method) {
                requirements.push(SecurityRequirement::new(
                    "query_token",
                    Vec::<String>::new(),
                ));
            }
            operation.security = Some(requirements);
            let responses = &mut operation.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| error("No token (`auth_required`) or an unknown, revoked or deleted session's token (`invalid_token`)"));
            if access != Access::SignUp {
                responses.entry("403".into()).or_insert_with(|| {
                    error("The token does not reach this session, user or operation (`forbidden`)")
                });
            }
            responses.entry("429".into()).or_insert_with(|| {
                error("Over the caller's request budget (`rate_limited`); see `Retry-After`")
            });
        }
    }
}

pub use mianshi_store::{ApiToken, TokenScope as Scope};

/// Operator-token management for `mianshi token`: straight on the configured database, so it
/// works before the first server starts and on any node of a fleet.
pub mod manage {
    use super::*;
    use crate::config::Config;
    use mianshi_store::{SqlStore, StoreError, StoreOptions};

    #[derive(Debug, thiserror::Error)]
    pub enum TokenError {
        #[error("cannot open the database: {0}")]
        Store(#[from] StoreError),
        #[error("the operating system gave no randomness: {0}")]
        Random(String),
        #[error("unknown scope `{0}`; use admin or interviewer")]
        Scope(String),
    }

    async fn open(config: &Config) -> Result<SqlStore, StoreError> {
        SqlStore::connect(&config.database_url, &StoreOptions::default()).await
    }

    /// Creates a token and returns it with the secret, which is shown this once.
    pub async fn create(
        config: &Config,
        name: &str,
        scope: &str,
    ) -> Result<(ApiToken, String), TokenError> {
        let scope = TokenScope::parse(scope).ok_or_else(|| TokenError::Scope(scope.into()))?;
        let secret =
            new_token(OPERATOR_PREFIX).map_err(|err| TokenError::Random(err.to_string()))?;
        let store = open(config).await?;
        let token = store
            .create_api_token(name, scope, &hash_token(&secret))
            .await;
        store.close().await;
        Ok((token?, secret))
    }

    pub async fn list(config: &Config) -> Result<Vec<ApiToken>, TokenError> {
        let store = open(config).await?;
        let tokens = store.list_api_tokens().await;
        store.close().await;
        Ok(tokens?)
    }

    pub async fn revoke(config: &Config, id: &str) -> Result<bool, TokenError> {
        let store = open(config).await?;
        let revoked = store.revoke_api_token(id).await;
        store.close().await;
        Ok(revoked?)
    }
}
