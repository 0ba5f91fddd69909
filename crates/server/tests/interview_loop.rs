//! The text interview loop over HTTP, start to completed results, on SQLite and PostgreSQL.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const RESUME: &str = "张伟\n电话：13800138000\n邮箱：zhangwei@example.com\n\n专业技能\nJava、Redis、MySQL、Kafka、Docker\n\n项目经验\n订单中心重构 2022.01-2022.12\n技术栈：Java, Redis, MySQL\n• 拆分单体为 12 个服务。\n";

/// An answer built from the question's own key points, with numbers and own actions.
fn good_answer(question: &Value) -> String {
    let points: Vec<String> = question["topic"]["key_points"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "首先，{}。当时我负责这部分，因为要兼顾性能和成本，最终把延迟从 200ms 降到 40ms。",
        points.join("；其次，")
    )
}

async fn run_interview(server: &TestServer) {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({
                "user_id": "loop",
                "metadata": {"language": "zh", "questions": 6, "interview_type": "mixed"},
                "resume_text": RESUME,
            })),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();

    // Answering before any question was asked is refused.
    server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": "hi"})),
        )
        .await
        .assert_error(StatusCode::CONFLICT, "no_open_question");

    let first = server.get(&format!("/api/interview/{id}/question")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["number"], 1);
    assert_eq!(first.body["max_questions"], 6);
    let again = server.get(&format!("/api/interview/{id}/question")).await;
    assert_eq!(
        again.body["question"]["text"], first.body["question"]["text"],
        "asking again repeats the open question"
    );
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["status"], "in_progress");

    server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": "   "})),
        )
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let mut question = first.body["question"].clone();
    let mut asked = vec![question["text"].as_str().unwrap().to_owned()];
    let mut finished = false;
    for turn in 0..6 {
        let text = if turn % 2 == 0 {
            good_answer(&question)
        } else {
            "这个我们也做过，效果还行。".to_owned()
        };
        let reply = server
            .json(
                Method::POST,
                &format!("/api/interview/{id}/answer"),
                Some(json!({ "text": text })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["turn_index"], turn);
        let score = reply.body["score"]["overall"].as_u64().unwrap();
        assert!(score <= 100);
        assert!(!reply.body["score"]["rubric"].as_array().unwrap().is_empty());
        assert!(["FOLLOW_UP", "SWITCH", "END"]
            .contains(&reply.body["decision"]["action"].as_str().unwrap()));
        // Committed before the next question came back.
        let results = server.get(&format!("/api/interview/results/{id}")).await;
        assert_eq!(results.body["turns"].as_array().unwrap().len(), turn + 1);
        assert_eq!(results.body["turns"][turn]["score"]["overall"], score);
        if reply.body["finished"] == true {
            finished = true;
            assert!(reply.body["summary"]["content_score"].is_number());
            break;
        }
        question = reply.body["next_question"].clone();
        let text = question["text"].as_str().unwrap().to_owned();
        assert!(!asked.contains(&text), "repeated question: {text}");
        asked.push(text);
    }
    assert!(finished, "a 6-question interview finished within 6 answers");
    let results = server.get(&format!("/api/interview/results/{id}")).await;
    assert_eq!(results.body["status"], "completed");
    assert!(results.body["content_score"].is_number());
    assert!(!results.body["summary"]["topics"]
        .as_array()
        .unwrap()
        .is_empty());
    server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": "late"})),
        )
        .await
        .assert_error(StatusCode::CONFLICT, "interview_not_running");
    let done = server.get(&format!("/api/interview/{id}/question")).await;
    assert_eq!(done.body["finished"], true);
    assert_eq!(done.body["question"], Value::Null);

    // The candidate's history shows the session with its content score.
    let history = server.get("/api/users/loop/history").await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    assert_eq!(history.body["total"], 1);
    let entry = &history.body["sessions"][0];
    assert_eq!(entry["session_id"], id.as_str());
    assert_eq!(entry["status"], "completed");
    assert_eq!(entry["content_score"], results.body["content_score"]);
    assert!(entry["scored_answers"].as_u64().unwrap() >= 1);
    let empty = server.get("/api/users/nobody/history").await;
    assert_eq!(empty.body["total"], 0);
    server
        .get("/api/users/loop/history?limit=0")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn a_whole_text_interview_on_sqlite() {
    let server = TestServer::sqlite().await;
    run_interview(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_whole_text_interview_on_postgres() {
    let server = TestServer::postgres().await;
    run_interview(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn paused_sessions_and_bad_settings_are_refused() {
    let server = TestServer::sqlite().await;
    for metadata in [
        json!({"questions": 0}),
        json!({"language": "fr"}),
        json!({"difficulty": 9}),
        json!({"interview_type": "stress-me"}),
    ] {
        server
            .json(
                Method::POST,
                "/api/interview/start",
                Some(json!({"user_id": "x", "metadata": metadata})),
            )
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "p", "metadata": {"language": "en"}})),
        )
        .await;
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    let first = server.get(&format!("/api/interview/{id}/question")).await;
    let text = first.body["question"]["text"].as_str().unwrap();
    assert!(
        !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "asked in English: {text}"
    );
    server
        .json(
            Method::PUT,
            &format!("/api/interview/session/{id}/status"),
            Some(json!({"status": "paused"})),
        )
        .await;
    server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": "an answer"})),
        )
        .await
        .assert_error(StatusCode::CONFLICT, "interview_not_running");
    server
        .get(&format!("/api/interview/{id}/question"))
        .await
        .assert_error(StatusCode::CONFLICT, "interview_not_running");
    server.stop().await;
}
