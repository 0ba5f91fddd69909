//! Access control, black-box: every operation in `/openapi.json` (and the live stream) is tried
//! with no token, forged tokens, another candidate's token, the session's own token, an
//! interviewer's, an admin's and a revoked one, and must answer as the table below says. The
//! table is written here, not read from the server, and must list exactly the operations the
//! server documents — a new endpoint fails this test until someone decides who may call it.
//!
//! `cargo test -p mianshi-server --test auth -- --nocapture` prints the matrix.

mod common;

use common::{operator_token, TestServer};
use mianshi_server::ConfigLayer;
use mianshi_store::test_support::TestDatabase;
use mianshi_store::TokenScope;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite;

/// Who may call an operation (the server's `auth::Access`, restated).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Public,
    /// Anyone while open sign-up is on.
    SignUp,
    /// The session's candidate, interviewers, admins.
    SessionRead,
    /// The session's candidate and admins.
    SessionOwner,
    /// The user's candidate tokens, interviewers, admins.
    UserHistory,
    /// Interviewers and admins.
    Operators,
}

const TABLE: &[(&str, &str, Rule)] = &[
    ("GET", "/healthz", Rule::Public),
    ("GET", "/readyz", Rule::Public),
    ("GET", "/api/ai/models/status", Rule::Public),
    ("POST", "/api/interview/start", Rule::SignUp),
    ("POST", "/api/resume/parse", Rule::SignUp),
    ("POST", "/api/ai/transcribe", Rule::SignUp),
    ("POST", "/api/ai/analyze-speech-quality", Rule::SignUp),
    ("POST", "/api/ai/analyze-video", Rule::SignUp),
    ("POST", "/api/ai/detect-emotions", Rule::SignUp),
    (
        "GET",
        "/api/interview/session/{session_id}",
        Rule::SessionRead,
    ),
    (
        "GET",
        "/api/interview/results/{session_id}",
        Rule::SessionRead,
    ),
    (
        "GET",
        "/api/interview/{session_id}/report.html",
        Rule::SessionRead,
    ),
    (
        "GET",
        "/api/interview/{session_id}/report.pdf",
        Rule::SessionRead,
    ),
    (
        "GET",
        "/api/interview/session/{session_id}/documents",
        Rule::SessionRead,
    ),
    (
        "GET",
        "/api/interview/{session_id}/question",
        Rule::SessionOwner,
    ),
    (
        "GET",
        "/api/interview/{session_id}/export",
        Rule::SessionOwner,
    ),
    (
        "GET",
        "/api/interview/{session_id}/access-log",
        Rule::SessionOwner,
    ),
    (
        "PUT",
        "/api/interview/session/{session_id}/status",
        Rule::SessionOwner,
    ),
    (
        "PUT",
        "/api/interview/session/{session_id}/documents",
        Rule::SessionOwner,
    ),
    (
        "POST",
        "/api/interview/{session_id}/answer",
        Rule::SessionOwner,
    ),
    (
        "POST",
        "/api/interview/session/{session_id}/consent",
        Rule::SessionOwner,
    ),
    (
        "DELETE",
        "/api/interview/session/{session_id}",
        Rule::SessionOwner,
    ),
    ("GET", "/api/users/{user_id}/history", Rule::UserHistory),
    ("GET", "/api/interview/sessions", Rule::Operators),
];

/// The credentials each operation is tried with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    ForgedCandidate,
    ForgedOperator,
    NotBearer,
    OtherCandidate,
    OwnCandidate,
    Interviewer,
    Admin,
    Revoked,
}

const EVERYONE: [Who; 9] = [
    Who::Nobody,
    Who::ForgedCandidate,
    Who::ForgedOperator,
    Who::NotBearer,
    Who::OtherCandidate,
    Who::OwnCandidate,
    Who::Interviewer,
    Who::Admin,
    Who::Revoked,
];

/// `None`: let through (whatever the handler then says, never 401/403); otherwise the refusal.
fn expected(rule: Rule, who: Who, open_signup: bool) -> Option<(u16, &'static str)> {
    const NEEDED: Option<(u16, &str)> = Some((401, "auth_required"));
    const INVALID: Option<(u16, &str)> = Some((401, "invalid_token"));
    const FORBIDDEN: Option<(u16, &str)> = Some((403, "forbidden"));
    match who {
        Who::ForgedCandidate | Who::ForgedOperator | Who::NotBearer | Who::Revoked
            if rule != Rule::Public =>
        {
            return INVALID
        }
        _ => {}
    }
    match (rule, who) {
        (Rule::Public, _) => None,
        (Rule::SignUp, Who::Nobody) if !open_signup => NEEDED,
        (Rule::SignUp, _) => None,
        (_, Who::Nobody) => NEEDED,
        (_, Who::Admin) => None,
        (Rule::SessionRead | Rule::SessionOwner | Rule::UserHistory, Who::OwnCandidate) => None,
        (Rule::SessionRead | Rule::UserHistory | Rule::Operators, Who::Interviewer) => None,
        _ => FORBIDDEN,
    }
}

struct World {
    server: TestServer,
    own: (String, String),
    other: (String, String),
    interviewer: String,
    revoked: String,
}

/// Starts an interview as an operator would (the admin client), so that it also works with
/// sign-up closed; anonymous starts are in the matrix.
async fn start(server: &TestServer, user: &str) -> (String, String) {
    let reply = server
        .client
        .post(format!("{}/api/interview/start", server.base))
        .json(&json!({
            "user_id": user,
            "resume_text": "Ana Li\nSkills\nRedis, Kafka, Kubernetes\n",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let body: Value = reply.json().await.unwrap();
    let id = body["session_id"].as_str().unwrap().to_owned();
    let token = body["candidate_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("msc_") && token.len() == 68, "{token}");
    assert_eq!(
        body["interview_link"],
        format!("/#session={id}&token={token}")
    );
    (id, token)
}

impl World {
    async fn make(db: TestDatabase, settings: ConfigLayer) -> World {
        let interviewer = operator_token(&db.url, "recruiter", TokenScope::Interviewer).await;
        let revoked = operator_token(&db.url, "old", TokenScope::Admin).await;
        {
            use mianshi_store::{SqlStore, Store, StoreOptions};
            let store = SqlStore::connect(&db.url, &StoreOptions::default())
                .await
                .unwrap();
            let old = store
                .list_api_tokens()
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.name == "old")
                .unwrap();
            assert!(store.revoke_api_token(&old.id).await.unwrap());
            store.close().await;
        }
        let server = TestServer::start_configured(db, None, settings).await;
        let own = start(&server, "ana").await;
        let other = start(&server, "bo").await;
        World {
            server,
            own,
            other,
            interviewer,
            revoked,
        }
    }

    fn authorization(&self, who: Who) -> Option<String> {
        let bearer = |t: &str| Some(format!("Bearer {t}"));
        match who {
            Who::Nobody => None,
            Who::ForgedCandidate => bearer(&format!("msc_{}", "ab".repeat(32))),
            Who::ForgedOperator => bearer(&format!("mso_{}", "cd".repeat(32))),
            Who::NotBearer => Some(format!("Basic {}", self.own.1)),
            Who::OtherCandidate => bearer(&self.other.1),
            Who::OwnCandidate => bearer(&self.own.1),
            Who::Interviewer => bearer(&self.interviewer),
            Who::Admin => bearer(&self.server.admin_token),
            Who::Revoked => bearer(&self.revoked),
        }
    }

    fn concrete(&self, template: &str) -> String {
        template
            .replace("{session_id}", &self.own.0)
            .replace("{user_id}", "ana")
    }

    async fn call(&self, method: &str, path: &str, who: Who) -> (u16, String) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .server
            .anonymous
            .request(method.clone(), format!("{}{path}", self.server.base));
        if let Some(value) = self.authorization(who) {
            request = request.header("authorization", value);
        }
        // Bodies good enough to get past the gate; what the handler makes of them is not
        // this test's business, only that it was reached.
        if method == Method::POST || method == Method::PUT {
            request = request.json(&json!({"text": "an answer", "status": "in_progress"}));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
        (status, code)
    }
}

/// Tries every operation with every credential; deletions last, so they do not pull the
/// session out from under the rest.
async fn matrix(world: &World, open_signup: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let mut order: Vec<_> = TABLE.iter().collect();
    order.sort_by_key(|(method, _, _)| *method == "DELETE");
    for (method, template, rule) in order {
        let path = world.concrete(template);
        let mut line = format!("{method:6} {template:52}");
        // Refusals first, then the callers let through (the own candidate's delete last).
        let mut callers = EVERYONE.to_vec();
        callers.sort_by_key(|who| expected(*rule, *who, open_signup).is_none());
        for who in callers {
            let (status, code) = world.call(method, &path, who).await;
            let want = expected(*rule, who, open_signup);
            let ok = match want {
                Some((want_status, want_code)) => status == want_status && code == want_code,
                None => status != 401 && status != 403 && status < 500,
            };
            line += &format!(" {status}");
            if !ok {
                failures.push(format!(
                    "{method} {template} as {who:?}: got {status} {code}, want {want:?}"
                ));
            }
        }
        println!("{line}");
    }
    failures
}

async fn documented_operations(server: &TestServer) -> Vec<(String, String)> {
    let doc: Value = server.get("/openapi.json").await.body;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_uppercase(), path.clone()));
                // The document tells clients the same thing the gate enforces.
                let security = operation["security"].as_array().unwrap();
                let public = security.len() == 1 && security[0] == json!({});
                let rule = TABLE
                    .iter()
                    .find(|(m, p, _)| m.eq_ignore_ascii_case(method) && p == path)
                    .map(|r| r.2);
                assert_eq!(
                    public,
                    rule == Some(Rule::Public),
                    "{method} {path}: {security:?}"
                );
                if !public {
                    assert!(operation["responses"]["401"].is_object(), "{method} {path}");
                    assert!(operation["responses"]["429"].is_object(), "{method} {path}");
                }
            }
        }
    }
    operations.sort();
    operations
}

async fn every_operation_answers_as_the_table_says(db: TestDatabase) {
    let world = World::make(db, ConfigLayer::default()).await;
    let mut documented = documented_operations(&world.server).await;
    let mut listed: Vec<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    listed.sort();
    documented.sort();
    assert_eq!(
        listed, documented,
        "the table and /openapi.json list different operations"
    );
    let failures = matrix(&world, true).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The candidate deleted their session above: its token died with it.
    let (status, code) = world
        .call(
            "GET",
            &world.concrete("/api/interview/session/{session_id}"),
            Who::OwnCandidate,
        )
        .await;
    assert_eq!((status, code.as_str()), (401, "invalid_token"));
    world.server.stop().await;
}

#[tokio::test]
async fn every_operation_answers_as_the_table_says_on_sqlite() {
    every_operation_answers_as_the_table_says(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn every_operation_answers_as_the_table_says_on_postgres() {
    every_operation_answers_as_the_table_says(TestDatabase::postgres().await).await;
}

#[tokio::test]
async fn closed_sign_up_needs_a_token_to_start() {
    let world = World::make(
        TestDatabase::sqlite(),
        ConfigLayer {
            open_signup: Some(false),
            ..Default::default()
        },
    )
    .await;
    let failures = matrix(&world, false).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    world.server.stop().await;
}

#[tokio::test]
async fn a_candidate_token_opens_its_own_session_and_nothing_else() {
    let world = World::make(TestDatabase::sqlite(), ConfigLayer::default()).await;
    let server = &world.server;
    let other_id = &world.other.0;

    // Another session, an unknown one and a malformed id all look the same to a candidate: 403,
    // so a token cannot probe which sessions exist.
    for id in [
        other_id.as_str(),
        "2f1d7a52-3c1e-4e8a-9b7e-0a5c3f4d2e10",
        "not-a-session",
        &world.own.0.to_uppercase(),
    ] {
        let (status, code) = world
            .call(
                "GET",
                &format!("/api/interview/results/{id}"),
                Who::OwnCandidate,
            )
            .await;
        assert_eq!((status, code.as_str()), (403, "forbidden"), "{id}");
    }
    // An admin sees what is really there.
    let (status, _) = world
        .call(
            "GET",
            "/api/interview/results/2f1d7a52-3c1e-4e8a-9b7e-0a5c3f4d2e10",
            Who::Admin,
        )
        .await;
    assert_eq!(status, 404);

    // A user's history: only their own.
    let (status, code) = world
        .call("GET", "/api/users/bo/history", Who::OwnCandidate)
        .await;
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    let history: Value = server
        .anonymous
        .get(format!("{}/api/users/ana/history", server.base))
        .bearer_auth(&world.own.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["sessions"].as_array().unwrap().len(), 1);

    // Links carry the token in the query — for GET only: a change needs the header.
    let own = &world.own;
    let link = server
        .anonymous
        .get(format!(
            "{}/api/interview/{}/export?token={}",
            server.base, own.0, own.1
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 200);
    let post = server
        .anonymous
        .post(format!(
            "{}/api/interview/session/{}/consent?token={}",
            server.base, own.0, own.1
        ))
        .json(&json!({"version": "2026-11", "microphone": true, "camera": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);
    assert_eq!(
        post.headers()["www-authenticate"],
        "Bearer realm=\"mianshi\""
    );

    // The access log names the reader: an interviewer's read is on the candidate's record.
    let read = world
        .call(
            "GET",
            &format!("/api/interview/results/{}", own.0),
            Who::Interviewer,
        )
        .await;
    assert_eq!(read.0, 200);
    let log: Value = server
        .anonymous
        .get(format!(
            "{}/api/interview/{}/access-log",
            server.base, own.0
        ))
        .bearer_auth(&own.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let clients: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["client"].as_str())
        .collect();
    assert!(
        clients
            .iter()
            .any(|c| c.starts_with("interviewer recruiter (")),
        "{clients:?}"
    );
    assert!(
        clients.iter().any(|c| c.starts_with("candidate ·")),
        "{clients:?}"
    );
    world.server.stop().await;
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let db = TestDatabase::sqlite();
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let world = World::make(db, ConfigLayer::default()).await;
    let admin = world.server.admin_token.clone();
    let (candidate, interviewer) = (world.own.1.clone(), world.interviewer.clone());
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(file) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(file);
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    for token in [&admin, &candidate, &interviewer] {
        assert!(!text.contains(token.as_str()), "a token is stored in clear");
        assert!(
            text.contains(&mianshi_server::auth::hash_token(token)),
            "the token's hash is not where the store keeps it"
        );
    }
    world.server.stop().await;
}

#[tokio::test]
async fn the_live_stream_checks_token_and_origin() {
    let world = World::make(TestDatabase::sqlite(), ConfigLayer::default()).await;
    let server = &world.server;
    let ws = server.base.replacen("http", "ws", 1);
    let (id, token) = &world.own;
    let open = |url: String, origin: Option<&'static str>| async move {
        use tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => 101,
            Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("{other}"),
        }
    };
    let own = format!("{ws}/ws/video-stream/{id}?token={token}");
    assert_eq!(open(format!("{ws}/ws/video-stream/{id}"), None).await, 401);
    assert_eq!(
        open(
            format!("{ws}/ws/video-stream/{id}?token={}", world.other.1),
            None
        )
        .await,
        403
    );
    assert_eq!(
        open(
            format!("{ws}/ws/video-stream/{id}?token={}", world.interviewer),
            None
        )
        .await,
        403
    );
    // Another site's page cannot drive the interview, even holding the token.
    assert_eq!(open(own.clone(), Some("https://evil.example")).await, 403);
    // This server's own page can (no models here, so the stream is refused past the gate).
    let same = Box::leak(server.base.clone().into_boxed_str());
    let status = open(own.clone(), Some(same)).await;
    assert!(status != 401 && status != 403, "{status}");
    world.server.stop().await;
}

#[tokio::test]
async fn rate_limits_are_per_caller_and_spare_health_checks() {
    let world = World::make(
        TestDatabase::sqlite(),
        ConfigLayer {
            rate_limit_per_minute: Some(8),
            ..Default::default()
        },
    )
    .await;
    let server = &world.server;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let (status, _) = world
            .call("GET", "/api/interview/sessions", Who::Nobody)
            .await;
        statuses.push(status);
    }
    assert_eq!(&statuses[..8], &[401; 8], "{statuses:?}");
    assert_eq!(&statuses[8..], &[429, 429], "{statuses:?}");
    let limited = server
        .anonymous
        .get(format!("{}/api/interview/sessions", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=8).contains(&retry), "{retry}");
    // Guessing tokens spends the guesser's address budget too.
    let (status, code) = world
        .call("GET", "/api/interview/sessions", Who::ForgedOperator)
        .await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // Each token has its own budget; health checks have none.
    let (status, _) = world
        .call("GET", "/api/interview/sessions", Who::Interviewer)
        .await;
    assert_eq!(status, 200);
    for _ in 0..20 {
        assert_eq!(server.get("/healthz").await.status, 200);
    }
    world.server.stop().await;
}

#[tokio::test]
async fn cross_origin_pages_are_allowed_only_when_configured() {
    let world = World::make(
        TestDatabase::sqlite(),
        ConfigLayer {
            allowed_origins: Some("https://hr.example.com".into()),
            ..Default::default()
        },
    )
    .await;
    let server = &world.server;
    let preflight = |origin: &'static str| {
        server
            .anonymous
            .request(
                Method::OPTIONS,
                format!("{}/api/interview/sessions", server.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://hr.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://hr.example.com"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    world.server.stop().await;
}
