//! The candidate's control over their data, over HTTP: consent recorded with the session,
//! everything held in one export, and a delete that leaves nothing behind — not even in the
//! database files on disk.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

const MARKER: &str = "ZEBRA-7731-MIGRATION";

async fn started_and_answered(server: &TestServer) -> String {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({
                "user_id": "candidate-1",
                "metadata": {"language": "en", "questions": 2},
                "resume_text": "Jane Doe\njane@example.com\n\nSkills\nRedis, Kubernetes\n",
            })),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    let consent = server
        .json(
            Method::POST,
            &format!("/api/interview/session/{id}/consent"),
            Some(json!({"version": "2026-11", "microphone": true, "camera": false})),
        )
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert_eq!(consent.body["camera"], false);
    assert!(consent.body["given_at"].is_string());
    let question = server.get(&format!("/api/interview/{id}/question")).await;
    assert_eq!(question.status, StatusCode::OK, "{}", question.body);
    let answer = server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": format!("I led the {MARKER}: p95 went from 300 ms to 90 ms.")})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    id
}

async fn consent_export_and_delete(server: TestServer) {
    let id = started_and_answered(&server).await;
    let other = started_and_answered(&server).await;

    // Bad consent is refused and changes nothing.
    let path = format!("/api/interview/session/{id}/consent");
    server
        .json(
            Method::POST,
            &path,
            Some(json!({"version": "", "microphone": true, "camera": true})),
        )
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    server
        .json(Method::POST, &path, Some(json!({"microphone": true})))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    server
        .json(
            Method::POST,
            "/api/interview/session/00000000-0000-4000-8000-000000000000/consent",
            Some(json!({"version": "2026-11", "microphone": true, "camera": true})),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "session_not_found");

    // The export holds everything: session, turns with the answer, documents, consent, the
    // interviewer's state; and says no media is kept.
    let export = server.get(&format!("/api/interview/{id}/export")).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    assert!(export.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = &export.body;
    assert_eq!(body["format"], "mianshi-export");
    assert_eq!(body["results"]["session_id"], id.as_str());
    assert!(body["results"]["turns"][0]["answer"]["text"]
        .as_str()
        .unwrap()
        .contains(MARKER));
    assert!(body["results"]["turns"][0]["score"]["overall"].is_number());
    assert_eq!(body["documents"]["profile"]["name"], "Jane Doe");
    assert_eq!(body["consent"]["version"], "2026-11");
    assert_eq!(body["consent"]["microphone"], true);
    assert!(body["interviewer_state"].is_object());
    assert_eq!(body["media"], json!([]));

    // Every read of the results is in the session's access log, with who read it; reading the
    // log is not itself logged.
    assert_eq!(
        server
            .get(&format!("/api/interview/results/{id}"))
            .await
            .status,
        StatusCode::OK
    );
    let html = server
        .client
        .get(format!("{}/api/interview/{id}/report.html", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let log = server.get(&format!("/api/interview/{id}/access-log")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["export", "results", "report.html"]);
    assert!(entries.iter().all(
        |e| e["client"].as_str().unwrap().starts_with("admin tests (")
            && e["client"].as_str().unwrap().contains(" · 127.0.0.1 ")
    ));
    assert_eq!(
        server
            .get(&format!("/api/interview/{id}/access-log"))
            .await
            .body,
        log.body
    );
    let other_log = server
        .get(&format!("/api/interview/{other}/access-log"))
        .await;
    assert_eq!(
        other_log.body["entries"],
        json!([]),
        "reads are per session"
    );

    // Delete: every endpoint forgets the session; the other one is untouched.
    assert_eq!(
        server
            .delete(&format!("/api/interview/session/{id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for gone in [
        format!("/api/interview/{id}/export"),
        format!("/api/interview/results/{id}"),
        format!("/api/interview/session/{id}/documents"),
        format!("/api/interview/{id}/access-log"),
    ] {
        server
            .get(&gone)
            .await
            .assert_error(StatusCode::NOT_FOUND, "session_not_found");
    }
    let kept = server.get(&format!("/api/interview/{other}/export")).await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(kept.body["consent"]["version"], "2026-11");

    // On SQLite the answer is gone from the files too (the other session still holds the
    // same words, so it is deleted as well before looking).
    if let Some(file) = server.database_url().strip_prefix("sqlite://") {
        server
            .delete(&format!("/api/interview/session/{other}"))
            .await;
        let folder = std::path::Path::new(file).parent().unwrap().to_owned();
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(&folder).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        assert!(
            !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
            "the deleted answer is still in {}",
            folder.display()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn consent_export_and_delete_on_sqlite() {
    consent_export_and_delete(TestServer::sqlite().await).await;
}

#[tokio::test]
async fn consent_export_and_delete_on_postgres() {
    consent_export_and_delete(TestServer::postgres().await).await;
}

/// The retention period: a sweep deletes the sessions nobody changed since its cutoff, with
/// everything kept with them, and leaves newer ones alone.
async fn retention_sweeps_old_sessions(server: TestServer) {
    use mianshi_store::{SqlStore, StoreOptions};
    let old = started_and_answered(&server).await;
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let cutoff = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let fresh = started_and_answered(&server).await;
    let store = SqlStore::connect(server.database_url(), &StoreOptions::default())
        .await
        .unwrap();
    let deleted = mianshi_server::retention::sweep(&store, cutoff)
        .await
        .unwrap();
    assert!(deleted >= 1, "{deleted}");
    store.close().await;
    let gone = server.get(&format!("/api/interview/results/{old}")).await;
    gone.assert_error(StatusCode::NOT_FOUND, "session_not_found");
    let kept = server.get(&format!("/api/interview/results/{fresh}")).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    server.stop().await;
}

#[tokio::test]
async fn retention_sweeps_old_sessions_on_sqlite() {
    retention_sweeps_old_sessions(TestServer::sqlite().await).await;
}

#[tokio::test]
async fn retention_sweeps_old_sessions_on_postgres() {
    retention_sweeps_old_sessions(TestServer::postgres().await).await;
}
