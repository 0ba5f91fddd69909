//! Black-box tests of the HTTP API: a real server on port 0 with a fresh database, driven over
//! HTTP. The seed's walk-through runs on SQLite and on PostgreSQL.

mod common;

use common::{TestServer, BODY_LIMIT};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The seed README's curl example, then every other seed endpoint on the new session.
async fn seed_walkthrough(server: &TestServer) {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "user123", "metadata": {"position": "前端工程师"}})),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    assert_eq!(start.body["status"], "created");
    assert_eq!(start.body["metadata"]["position"], "前端工程师");
    assert_eq!(
        start.headers["location"].to_str().unwrap(),
        format!("/api/interview/session/{id}")
    );

    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.status, StatusCode::OK);
    // The start answer is the session plus its credential, which is shown only there.
    let mut created = start.body.clone();
    let created = created.as_object_mut().unwrap();
    assert!(created.remove("candidate_token").unwrap().is_string());
    assert!(created.remove("interview_link").unwrap().is_string());
    assert_eq!(session.body, Value::Object(created.clone()));

    // JSON body, as documented.
    let started = server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status"),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert_eq!(started.body["status"], "in_progress");
    assert!(started.body["started_at"].is_string());

    // Query value and the seed's spelling, as FastAPI clients send it.
    let paused = server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status?status=paused"),
            None,
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    assert_eq!(paused.body["status"], "paused");
    let resumed = server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status?status=active"),
            None,
        )
        .await;
    assert_eq!(resumed.body["status"], "in_progress");
    // Idempotent: the same status again changes nothing.
    let again = server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status"),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["updated_at"], resumed.body["updated_at"]);

    let list = server.get("/api/interview/sessions?user_id=user123").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["sessions"][0]["session_id"], id.as_str());

    let results = server.get(&format!("/api/interview/results/{id}")).await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    assert_eq!(results.body["session_id"], id.as_str());
    assert_eq!(results.body["turns"], json!([]));
    assert_eq!(
        results.body["content_score"],
        Value::Null,
        "measured or absent"
    );
    assert_eq!(results.body["content_score_note"], "no answers yet");

    let done = server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status"),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(done.body["status"], "completed");
    let results = server.get(&format!("/api/interview/results/{id}")).await;
    assert!(results.body["ended_at"].is_string());
    assert!(results.body["duration_seconds"].as_f64().unwrap() >= 0.0);

    let completed = server
        .get("/api/interview/sessions?user_id=user123&status=completed")
        .await;
    assert_eq!(completed.body["total"], 1);

    let deleted = server.delete(&format!("/api/interview/session/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    server
        .get(&format!("/api/interview/session/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "session_not_found");
}

#[tokio::test]
async fn seed_walkthrough_on_sqlite() {
    let server = TestServer::sqlite().await;
    seed_walkthrough(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn seed_walkthrough_on_postgres() {
    let server = TestServer::postgres().await;
    seed_walkthrough(&server).await;
    server.stop().await;
}

async fn new_session(server: &TestServer, user: &str) -> String {
    let reply = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": user})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    reply.body["session_id"].as_str().unwrap().to_owned()
}

async fn set_status(server: &TestServer, id: &str, status: &str) -> common::Reply {
    server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status"),
            Some(json!({ "status": status })),
        )
        .await
}

#[tokio::test]
async fn bad_inputs_get_their_4xx_and_code_never_a_5xx() {
    let server = TestServer::sqlite().await;
    let id = new_session(&server, "u").await;
    let running = new_session(&server, "u").await;
    assert_eq!(
        set_status(&server, &running, "in_progress").await.status,
        StatusCode::OK
    );
    let unknown = "2f1d7a52-3c1e-4e8a-9b7e-0a5c3f4d2e10";
    let start = "/api/interview/start";
    let status_path = format!("/api/interview/session/{id}/status");
    let json_type = Some("application/json");
    use StatusCode as S;

    let cases: Vec<(&str, common::Reply, S, &str)> = vec![
        (
            "malformed id",
            server.get("/api/interview/session/not-a-uuid").await,
            S::BAD_REQUEST,
            "invalid_session_id",
        ),
        (
            "upper-case id",
            server
                .get(&format!("/api/interview/session/{}", id.to_uppercase()))
                .await,
            S::BAD_REQUEST,
            "invalid_session_id",
        ),
        (
            "huge id",
            server
                .get(&format!("/api/interview/session/{}", "9".repeat(4000)))
                .await,
            S::BAD_REQUEST,
            "invalid_session_id",
        ),
        (
            "unknown session",
            server
                .get(&format!("/api/interview/session/{unknown}"))
                .await,
            S::NOT_FOUND,
            "session_not_found",
        ),
        (
            "unknown results",
            server
                .get(&format!("/api/interview/results/{unknown}"))
                .await,
            S::NOT_FOUND,
            "session_not_found",
        ),
        (
            "status of unknown",
            set_status(&server, unknown, "paused").await,
            S::NOT_FOUND,
            "session_not_found",
        ),
        (
            "delete unknown",
            server
                .json(
                    Method::DELETE,
                    &format!("/api/interview/session/{unknown}"),
                    None,
                )
                .await,
            S::NOT_FOUND,
            "session_not_found",
        ),
        (
            "truncated JSON",
            server
                .raw(Method::POST, start, json_type, b"{\"user_id\": ".to_vec())
                .await,
            S::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not UTF-8",
            server
                .raw(Method::POST, start, json_type, vec![0xff, 0xfe, 0x7b])
                .await,
            S::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "user_id a number",
            server
                .json(Method::POST, start, Some(json!({"user_id": 123})))
                .await,
            S::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "metadata a string",
            server
                .json(
                    Method::POST,
                    start,
                    Some(json!({"user_id": "u", "metadata": "x"})),
                )
                .await,
            S::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "body an array",
            server.json(Method::POST, start, Some(json!([1, 2]))).await,
            S::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "user_id too long",
            server
                .json(
                    Method::POST,
                    start,
                    Some(json!({"user_id": "x".repeat(500)})),
                )
                .await,
            S::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "control char in user_id",
            server
                .json(Method::POST, start, Some(json!({"user_id": "a\u{7}b"})))
                .await,
            S::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "text/plain body",
            server
                .raw(Method::POST, start, Some("text/plain"), b"{}".to_vec())
                .await,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "no content type",
            server.raw(Method::POST, start, None, b"{}".to_vec()).await,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            server
                .raw(Method::POST, start, json_type, {
                    let mut big = b"{\"user_id\": \"u\", \"metadata\": {\"blob\": \"".to_vec();
                    big.extend(std::iter::repeat_n(b'a', BODY_LIMIT * 2));
                    big.extend(b"\"}}");
                    big
                })
                .await,
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "unknown status",
            set_status(&server, &id, "exploded").await,
            S::UNPROCESSABLE_ENTITY,
            "invalid_status",
        ),
        (
            "status a number",
            server
                .json(Method::PUT, &status_path, Some(json!({"status": 5})))
                .await,
            S::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "status missing",
            server
                .json(Method::PUT, &status_path, Some(json!({})))
                .await,
            S::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "created -> paused",
            set_status(&server, &id, "paused").await,
            S::CONFLICT,
            "invalid_transition",
        ),
        (
            "back to created",
            set_status(&server, &running, "created").await,
            S::CONFLICT,
            "invalid_transition",
        ),
        (
            "limit 0",
            server.get("/api/interview/sessions?limit=0").await,
            S::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "limit too big",
            server.get("/api/interview/sessions?limit=100000").await,
            S::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "limit not a number",
            server.get("/api/interview/sessions?limit=ten").await,
            S::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "negative offset",
            server.get("/api/interview/sessions?offset=-1").await,
            S::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "unknown status filter",
            server.get("/api/interview/sessions?status=weird").await,
            S::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "unknown route",
            server.get("/api/nope").await,
            S::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            server.json(Method::DELETE, start, None).await,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    assert!(cases.len() >= 15);
    for (name, reply, status, code) in &cases {
        assert!(
            !reply.status.is_server_error(),
            "{name}: got {}",
            reply.status
        );
        assert_eq!(reply.status, *status, "{name}: {}", reply.body);
        reply.assert_error(*status, code);
    }

    // Terminal states reject everything, and nothing stored was lost along the way.
    assert_eq!(set_status(&server, &id, "in_progress").await.status, S::OK);
    assert_eq!(set_status(&server, &id, "cancelled").await.status, S::OK);
    for target in ["in_progress", "paused", "completed"] {
        set_status(&server, &id, target)
            .await
            .assert_error(S::CONFLICT, "invalid_transition");
    }
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["status"], "cancelled");
    assert_eq!(session.body["user_id"], "u");
    server.stop().await;
}

#[tokio::test]
async fn listing_pages_and_filters() {
    let server = TestServer::sqlite().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(new_session(&server, if n % 2 == 0 { "even" } else { "odd" }).await);
    }
    set_status(&server, &ids[0], "in_progress").await;
    let mut seen = Vec::new();
    let mut created = Vec::new();
    for offset in [0, 3, 6] {
        let page = server
            .get(&format!("/api/interview/sessions?limit=3&offset={offset}"))
            .await;
        assert_eq!(page.body["total"], 7);
        assert_eq!(page.body["limit"], 3);
        for s in page.body["sessions"].as_array().unwrap() {
            seen.push(s["session_id"].as_str().unwrap().to_owned());
            // Compared as instants: RFC 3339 strings omit a zero fraction ("…:02Z"), so
            // string order is not time order.
            created.push(
                chrono::DateTime::parse_from_rfc3339(s["created_at"].as_str().unwrap()).unwrap(),
            );
        }
    }
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {created:?}"
    );
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "every session exactly once across pages");
    let skip = server.get("/api/interview/sessions?limit=3&skip=3").await;
    assert_eq!(skip.body["offset"], 3);
    let even = server.get("/api/interview/sessions?user_id=even").await;
    assert_eq!(even.body["total"], 4);
    let running = server
        .get("/api/interview/sessions?status=in_progress")
        .await;
    assert_eq!(running.body["total"], 1);
    assert_eq!(running.body["sessions"][0]["session_id"], ids[0].as_str());
    let none = server.get("/api/interview/sessions?user_id=nobody").await;
    assert_eq!(none.body["total"], 0);
    assert_eq!(none.body["sessions"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn concurrent_status_changes_never_break_the_rules() {
    let server = std::sync::Arc::new(TestServer::sqlite().await);
    let id = new_session(&server, "racer").await;
    set_status(&server, &id, "in_progress").await;
    let mut tasks = Vec::new();
    for n in 0..16 {
        let server = server.clone();
        let id = id.clone();
        let target = ["paused", "in_progress", "completed", "cancelled"][n % 4];
        tasks.push(tokio::spawn(async move {
            set_status(&server, &id, target).await.status
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "got {status}"
        );
    }
    let final_status = server.get(&format!("/api/interview/session/{id}")).await;
    let status = final_status.body["status"].as_str().unwrap().to_owned();
    assert!(["paused", "in_progress", "completed", "cancelled"].contains(&status.as_str()));
}

#[tokio::test]
async fn openapi_health_readiness_and_metrics() {
    let server = TestServer::sqlite().await;
    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/interview/start",
        "/api/interview/session/{session_id}",
        "/api/interview/session/{session_id}/status",
        "/api/interview/sessions",
        "/api/interview/results/{session_id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            spec.body["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    assert!(spec.body["components"]["schemas"]["ErrorBody"].is_object());

    let models = server.get("/api/ai/models/status").await;
    assert_eq!(models.status, StatusCode::OK);
    let listed = models.body["models"].as_array().unwrap();
    assert!(listed.len() >= 5);
    for model in listed {
        assert_eq!(model["status"], "missing", "{model}");
        assert!(model["reason"]
            .as_str()
            .unwrap()
            .contains("mianshi models fetch"));
    }
    assert!(spec.body["paths"]["/api/ai/models/status"].is_object());

    let health = server.get("/healthz").await;
    assert_eq!(health.body["status"], "ok");
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["database"], "sqlite");

    new_session(&server, "metrics").await;
    let response = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains("mianshi_sessions_created_total 1"), "{text}");
    assert!(
        text.contains(r#"mianshi_http_requests_total{method="POST",route="/api/interview/start",status="201"} 1"#),
        "{text}"
    );
    assert!(text.contains("mianshi_http_request_duration_seconds_bucket"));

    let docs = reqwest::get(format!("{}/docs/", server.base))
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    server.stop().await;
}
