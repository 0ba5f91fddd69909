//! Résumé and job-description uploads over HTTP: parsing, starting a session with them,
//! reading them back, deleting them, and every hostile file answered with its code.

mod common;

use common::{TestServer, RESUME_LIMIT};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn data(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../resume/tests/data")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn file_part(path: &str) -> Part {
    let name = path.rsplit('/').next().unwrap().to_owned();
    Part::bytes(data(path)).file_name(name)
}

fn skill_names(profile: &Value) -> Vec<&str> {
    profile["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn parse_a_pdf_resume_with_a_job_description_file() {
    let server = TestServer::sqlite().await;
    let form = Form::new()
        .part("file", file_part("resumes/zh_backend_java_lina.pdf"))
        .part("jd", file_part("jd/zh_senior_java_backend.txt"));
    let reply = server.multipart("/api/resume/parse", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["format"], "pdf");
    let profile = &reply.body["profile"];
    assert_eq!(profile["name"], "李娜");
    assert_eq!(profile["contact"]["email"], "lina.dev@example.cn");
    assert!(skill_names(profile).contains(&"Kubernetes"));
    assert_eq!(reply.body["job"]["seniority"], "senior");
    let coverage = reply.body["match"]["required_coverage"].as_f64().unwrap();
    assert!(coverage > 0.5 && coverage < 1.0, "{coverage}");
    assert!(!reply.body["match"]["missing"]
        .as_array()
        .unwrap()
        .is_empty());
    server.stop().await;
}

#[tokio::test]
async fn parse_text_as_json() {
    let server = TestServer::sqlite().await;
    let reply = server
        .json(
            Method::POST,
            "/api/resume/parse",
            Some(json!({"text": "Jane Doe\njane@example.com\n\nSkills\nRust, Go, k8s\n"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["format"], "text");
    assert_eq!(reply.body["profile"]["name"], "Jane Doe");
    assert_eq!(
        skill_names(&reply.body["profile"]),
        vec!["Rust", "Go", "Kubernetes"]
    );
    assert_eq!(reply.body["job"], Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn start_with_a_docx_resume_keeps_the_documents_with_the_session() {
    let server = TestServer::postgres().await;
    let form = Form::new()
        .text("user_id", "garcia")
        .text("metadata", r#"{"position": "Front-End Engineer"}"#)
        .part("resume", file_part("resumes/en_frontend_garcia.docx"))
        .text(
            "job_description",
            String::from_utf8(data("jd/en_frontend_react.txt")).unwrap(),
        );
    let start = server.multipart("/api/interview/start", form).await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    assert_eq!(start.body["user_id"], "garcia");
    assert_eq!(start.body["metadata"]["position"], "Front-End Engineer");
    assert_eq!(start.body["documents"]["profile"]["name"], "Maria Garcia");
    assert!(
        start.body["documents"]["match"]["required_coverage"]
            .as_f64()
            .unwrap()
            > 0.5
    );

    let stored = server
        .get(&format!("/api/interview/session/{id}/documents"))
        .await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body, start.body["documents"]);

    // The seed's endpoints are unchanged by the extra data.
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["status"], "created");
    assert!(session.body.get("documents").is_none());

    let deleted = server.delete(&format!("/api/interview/session/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    server
        .get(&format!("/api/interview/session/{id}/documents"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "session_not_found");
    server.stop().await;
}

#[tokio::test]
async fn start_with_pasted_text() {
    let server = TestServer::sqlite().await;
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({
                "user_id": "user123",
                "metadata": {"position": "后端工程师"},
                "resume_text": "张伟\n电话：13800138000\n专业技能\nJava、Redis、Kafka\n",
                "job_description": "Java后端工程师\n任职要求：\n熟悉 Java、MySQL\n",
            })),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let documents = &start.body["documents"];
    assert_eq!(documents["profile"]["name"], "张伟");
    assert_eq!(documents["match"]["matched"][0]["skill"], "Java");
    assert_eq!(documents["match"]["missing"][0]["skill"], "MySQL");

    // A session started without documents says so.
    let plain = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "x"})),
        )
        .await;
    let id = plain.body["session_id"].as_str().unwrap();
    assert!(plain.body.get("documents").is_none());
    server
        .get(&format!("/api/interview/session/{id}/documents"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "documents_not_found");
    server.stop().await;
}

#[tokio::test]
async fn hostile_files_get_their_codes_and_create_nothing() {
    let server = TestServer::sqlite().await;
    let big = {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.resize(RESUME_LIMIT * 3, b' ');
        bytes
    };
    let cases: Vec<(&str, Part, StatusCode, &str)> = vec![
        (
            "encrypted",
            file_part("bad/encrypted_user_password.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resume_encrypted",
        ),
        (
            "scanned",
            file_part("bad/scanned.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resume_scanned_pdf",
        ),
        (
            "corrupt",
            file_part("bad/corrupt.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resume_unreadable",
        ),
        (
            "empty",
            file_part("bad/empty.pdf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resume_empty",
        ),
        (
            "image",
            file_part("bad/png_named.pdf"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "resume_unsupported_format",
        ),
        (
            "garbage",
            file_part("bad/garbage.pdf"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "resume_unsupported_format",
        ),
        (
            "zip without a document",
            file_part("bad/no_document.docx"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "resume_unsupported_format",
        ),
        (
            "zip bomb",
            file_part("bad/bomb.docx"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "resume_too_large",
        ),
        (
            "over the upload limit",
            Part::bytes(big).file_name("big.pdf"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "resume_too_large",
        ),
    ];
    for (name, part, status, code) in cases {
        let form = Form::new().text("user_id", "hostile").part("resume", part);
        let reply = server.multipart("/api/interview/start", form).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.body);
        reply.assert_error(status, code);
    }
    let listed = server.get("/api/interview/sessions?user_id=hostile").await;
    assert_eq!(
        listed.body["total"], 0,
        "a rejected résumé must not leave a session behind"
    );

    let no_resume = server
        .json(Method::POST, "/api/resume/parse", Some(json!({})))
        .await;
    no_resume.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let bad_metadata = server
        .multipart(
            "/api/interview/start",
            Form::new().text("metadata", "not json"),
        )
        .await;
    bad_metadata.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let broken = server
        .raw(
            Method::POST,
            "/api/resume/parse",
            Some("multipart/form-data; boundary=xyz"),
            b"--xyz\r\nnonsense".to_vec(),
        )
        .await;
    broken.assert_error(StatusCode::BAD_REQUEST, "malformed_multipart");
    let wrong_type = server
        .raw(
            Method::POST,
            "/api/resume/parse",
            Some("application/pdf"),
            data("resumes/en_pm_obrien.pdf"),
        )
        .await;
    wrong_type.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    server.stop().await;
}

async fn corrections_are_taken_until_the_plan(server: TestServer) {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({
                "user_id": "user123",
                "metadata": {"language": "en", "questions": 3},
                "resume_text": "Jane Doe\njane@example.com\n\nSkills\nJava, Redis, Kafka\n",
                "job_description": "Backend engineer\nRequirements:\n- Kubernetes\n- Redis\n",
            })),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    let path = format!("/api/interview/session/{id}/documents");
    let before = start.body["documents"]["match"]["required_coverage"]
        .as_f64()
        .unwrap();

    // A bad correction names its field and changes nothing.
    let long = "x".repeat(500);
    server
        .json(Method::PUT, &path, Some(json!({"skills": ["Rust", long]})))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_profile_edit");
    server
        .json(Method::PUT, &path, Some(json!({"salary": 1_000_000})))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(server.get(&path).await.body, start.body["documents"]);

    // The candidate keeps only what they want asked about and names a skill by an alias.
    let edited = server
        .json(
            Method::PUT,
            &path,
            Some(json!({"name": "Jane Q. Doe", "skills": ["k8s", "Redis"], "projects": []})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["profile"]["name"], "Jane Q. Doe");
    assert_eq!(
        skill_names(&edited.body["profile"]),
        vec!["Kubernetes", "Redis"]
    );
    let after = edited.body["match"]["required_coverage"].as_f64().unwrap();
    assert!(after > before, "coverage {before} → {after}");
    assert_eq!(server.get(&path).await.body, edited.body);

    // The plan follows the correction: no question is about the removed Java.
    let question = server.get(&format!("/api/interview/{id}/question")).await;
    assert_eq!(question.status, StatusCode::OK, "{}", question.body);
    let topic = question.body["question"]["topic"]["name"].to_string();
    assert!(!topic.contains("Java"), "{topic}");

    // Once planned, corrections are refused and the stored documents stay.
    server
        .json(Method::PUT, &path, Some(json!({"skills": ["Java"]})))
        .await
        .assert_error(StatusCode::CONFLICT, "interview_planned");
    assert_eq!(server.get(&path).await.body, edited.body);
    server
        .json(
            Method::PUT,
            "/api/interview/session/00000000-0000-4000-8000-000000000000/documents",
            Some(json!({"name": "x"})),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "session_not_found");
    server.stop().await;
}

#[tokio::test]
async fn corrections_are_taken_until_the_plan_on_sqlite() {
    corrections_are_taken_until_the_plan(TestServer::sqlite().await).await;
}

#[tokio::test]
async fn corrections_are_taken_until_the_plan_on_postgres() {
    corrections_are_taken_until_the_plan(TestServer::postgres().await).await;
}
