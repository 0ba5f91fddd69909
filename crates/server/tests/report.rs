//! The printable report: HTML in the session's language with the answers escaped, and the PDF
//! printed by headless Chromium with Chinese text that survives (pdftotext reads it back;
//! page 1 is kept as a PNG in target/screenshots to look at).

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

const RESUME: &str =
    "张伟\n邮箱：zhangwei@example.com\n\n专业技能\nRedis、MySQL、Docker、Kubernetes\n";

#[tokio::test]
async fn a_chinese_report_prints_to_pdf_with_its_chinese_text() {
    let server = TestServer::sqlite().await;
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "report", "metadata": {"language": "zh", "questions": 2}, "resume_text": RESUME})),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap().to_owned();
    let question = server.get(&format!("/api/interview/{id}/question")).await;
    let question_text = question.body["question"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = "我负责缓存层，当时把 P95 从 300ms 降到 90ms。<script>alert(1)</script>";
    let reply = server
        .json(
            Method::POST,
            &format!("/api/interview/{id}/answer"),
            Some(json!({"text": answer})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let client = &server.client;
    let html = client
        .get(format!("{}/api/interview/{id}/report.html", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(html.contains("面试报告") && html.contains("lang=\"zh\""));
    assert!(html.contains(&question_text));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));

    let pdf = client
        .get(format!("{}/api/interview/{id}/report.pdf", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &bytes).unwrap();
    // The Chinese is text in the PDF (fonts embedded), not boxes.
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("面试报告"), "{text}");
    assert!(text.contains("我负责缓存层"), "{text}");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(shots.join("report-zh-page1"))
        .status()
        .unwrap();
    assert!(status.success());

    // Unknown sessions are a 404 for the PDF too.
    let missing = server
        .get("/api/interview/00000000-0000-4000-8000-000000000000/report.pdf")
        .await;
    missing.assert_error(StatusCode::NOT_FOUND, "session_not_found");
    server.stop().await;
}
