//! The live stream over a real WebSocket: the client gets the question, streams a recorded
//! answer as PCM16 frames (DESIGN §7 framing), receives partial and final transcripts, then
//! the score of the committed turn and the next question; bad frames get error events without
//! closing the stream; unknown sessions are refused before the upgrade.

mod common;

use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

fn audio_frame(timestamp_ms: u64, samples: &[f32]) -> Vec<u8> {
    let mut frame = vec![0x01];
    frame.extend(timestamp_ms.to_le_bytes());
    for s in samples {
        frame.extend(((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    frame
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next event other than a nudge or behaviour scores.
async fn next_event(socket: &mut Socket) -> Value {
    next_event_but(socket, &["nudge", "behaviour"]).await
}

/// The next event whose type is not in `skipped`.
async fn next_event_but(socket: &mut Socket, skipped: &[&str]) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(120), socket.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let event: Value = serde_json::from_str(text.as_str()).expect("JSON event");
            // Nudges and behaviour scores have their own tests (live_nudges.rs); they may come
            // at any time.
            if !skipped.iter().any(|s| event["type"] == *s) {
                return event;
            }
        }
    }
}

/// A server with the real speech models, and the directory of the test clips.
async fn speech_server() -> (TestServer, std::path::PathBuf) {
    speech_server_with(mianshi_server::ConfigLayer::default()).await
}

/// As [`speech_server`], with these settings.
async fn speech_server_with(
    settings: mianshi_server::ConfigLayer,
) -> (TestServer, std::path::PathBuf) {
    let clips = tokio::task::spawn_blocking(|| {
        fetched("whisper-base");
        fetched("silero-vad");
        fetched("speech-test-clips")
    })
    .await
    .unwrap();
    let server = TestServer::start_configured(
        mianshi_store::test_support::TestDatabase::sqlite(),
        Some(mianshi_models::user_model_dir()),
        settings,
    )
    .await;
    (server, clips)
}

/// A new English session's id.
async fn new_session(server: &TestServer, user: &str) -> String {
    let start = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": user, "metadata": {"language": "en"}})),
        )
        .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    start.body["session_id"].as_str().unwrap().to_owned()
}

fn stream_url(server: &TestServer, id: &str) -> String {
    format!(
        "{}/ws/video-stream/{id}?token={}",
        server.base.replacen("http", "ws", 1),
        server.admin_token
    )
}

async fn connect(server: &TestServer, id: &str) -> Socket {
    tokio_tungstenite::connect_async(stream_url(server, id))
        .await
        .expect("upgrade")
        .0
}

fn load_clip(clips: &std::path::Path, name: &str) -> Vec<f32> {
    let wav = std::fs::read(clips.join(format!("{name}.wav"))).unwrap();
    mianshi_speech::decode(&wav, 60).unwrap().to_16k()
}

/// Sends `samples` as 100 ms PCM16 frames, as the web app's AudioWorklet does.
async fn send_audio(socket: &mut Socket, samples: &[f32]) {
    send_audio_paced(socket, samples, None).await
}

/// Sends 100 ms frames, `speedup` times faster than real time (`None`: as fast as possible —
/// the server then transcribes the backlog in batches, with few or no partials).
async fn send_audio_paced(socket: &mut Socket, samples: &[f32], speedup: Option<f64>) {
    send_audio_from(socket, 0, samples, speedup).await
}

/// As [`send_audio_paced`], the first frame stamped `start_ms` on the stream's clock.
async fn send_audio_from(
    socket: &mut Socket,
    start_ms: u64,
    samples: &[f32],
    speedup: Option<f64>,
) {
    for (i, chunk) in samples.chunks(1_600).enumerate() {
        socket
            .send(Message::Binary(
                audio_frame(start_ms + i as u64 * 100, chunk).into(),
            ))
            .await
            .unwrap();
        if let Some(speedup) = speedup {
            tokio::time::sleep(std::time::Duration::from_secs_f64(0.1 / speedup)).await;
        }
    }
}

/// Files a turn's event by type; returns the score, which closes the turn.
fn sort_event(
    event: Value,
    partials: &mut Vec<Value>,
    finals: &mut Vec<Value>,
    metrics: &mut Vec<Value>,
) -> Option<Value> {
    match event["type"].as_str() {
        Some("transcript.partial") => partials.push(event),
        Some("transcript.final") => finals.push(event),
        Some("metrics") => metrics.push(event),
        Some("score") => return Some(event),
        _ => panic!("unexpected {event}"),
    }
    None
}

/// The clip without its trailing silence (kept: 50 ms after the last sample above -34 dBFS).
fn speech_only(mut samples: Vec<f32>) -> Vec<f32> {
    let last_loud = samples.iter().rposition(|s| s.abs() > 0.02).unwrap_or(0);
    samples.truncate((last_loud + 800).min(samples.len()));
    samples
}

fn json_message(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

#[tokio::test]
async fn a_streamed_answer_comes_back_as_partial_and_final_transcripts() {
    let (server, clips) = speech_server().await;
    let id = new_session(&server, "live").await;

    // An unknown session is refused before the upgrade.
    let unknown = stream_url(&server, "00000000-0000-4000-8000-000000000000");
    match tokio_tungstenite::connect_async(unknown).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("unknown session accepted: {:?}", other.map(|_| ())),
    }

    let mut socket = connect(&server, &id).await;
    socket
        .send(json_message(json!({"type": "hello", "version": 1})))
        .await
        .unwrap();
    let hello = next_event(&mut socket).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["language"], "en");
    // The interview starts: the first question arrives on the stream.
    let question = next_event(&mut socket).await;
    assert_eq!(question["type"], "question", "{question}");
    assert!(!question["question"]["text"].as_str().unwrap().is_empty());

    // Bad input gets an error event; the stream stays usable.
    socket
        .send(Message::Binary(vec![0x09, 0, 0].into()))
        .await
        .unwrap();
    let error = next_event(&mut socket).await;
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("bad_frame"))
    );
    socket
        .send(Message::Text("{\"type\":\"dance\"}".into()))
        .await
        .unwrap();
    assert_eq!(next_event(&mut socket).await["code"], "bad_message");

    // One answer, two utterances: the pause between them is long enough for the VAD to close
    // the first, and the committed answer must still hold both. The first utterance is sent
    // without its trailing silence and the client then waits: however far behind the
    // recogniser is (a loaded CI machine), once it catches up the utterance is still open, so
    // it must be reported as a partial.
    let mut first = vec![0.0f32; 8_000];
    first.extend(speech_only(load_clip(&clips, "en_quick_brown_fox")));
    // Whole 100 ms frames, so that the second part's clock continues exactly.
    first.resize(first.len().div_ceil(1_600) * 1_600, 0.0);
    let mut rest = vec![0.0f32; 24_000];
    rest.extend(load_clip(&clips, "en_hello_world"));
    rest.extend(std::iter::repeat_n(0.0, 8_000));
    send_audio_paced(&mut socket, &first, Some(3.0)).await;
    let mut partials = Vec::new();
    let mut finals = Vec::new();
    let mut metrics = Vec::new();
    while partials.is_empty() {
        let event = next_event(&mut socket).await;
        assert!(sort_event(event, &mut partials, &mut finals, &mut metrics).is_none());
    }
    assert!(finals.is_empty(), "the utterance ended early: {finals:?}");
    let first_ms = (first.len() / 16) as u64;
    send_audio_from(&mut socket, first_ms, &rest, Some(3.0)).await;
    socket
        .send(json_message(json!({"type": "answer_end"})))
        .await
        .unwrap();
    let score = loop {
        let event = next_event(&mut socket).await;
        if let Some(score) = sort_event(event, &mut partials, &mut finals, &mut metrics) {
            break score;
        }
    };
    // About one metrics event per second of audio (~5.9 s were sent).
    assert!(
        (4..=7).contains(&metrics.len()),
        "{} metrics events",
        metrics.len()
    );
    let last = &metrics.last().unwrap()["metrics"];
    assert_eq!(last["loudness"]["unit"], "dBFS");
    assert!(last["loudness"]["value"].as_f64().unwrap() < 0.0, "{last}");
    assert!(
        last["speaking_time"]["value"].as_f64().unwrap() > 2.0,
        "{last}"
    );
    eprintln!("{} partials; finals {finals:?}", partials.len());
    assert!(!partials.is_empty(), "no partial transcripts");
    assert_eq!(finals.len(), 2, "{finals:?}");
    let final_event = &finals[0];
    let text = final_event["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("quick brown fox"), "{final_event}");
    assert!(final_event["t"].as_f64().unwrap() > 0.0);
    let words = final_event["words"].as_array().unwrap();
    assert!(words.len() >= 8, "{final_event}");
    // Times are on the stream: the answer started after 0.5 s of silence.
    assert!(
        (final_event["start"].as_f64().unwrap() - 0.5).abs() < 0.4,
        "{final_event}"
    );

    assert!(finals[1]["text"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("hello"));
    // The spoken answer was scored and committed as the turn; the next question follows.
    assert_eq!(score["turn_index"], 0);
    let overall = score["score"]["overall"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&overall), "{score}");
    let next = next_event(&mut socket).await;
    assert!(
        matches!(next["type"].as_str(), Some("question" | "session.ended")),
        "{next}"
    );
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["turn_count"], 1, "{}", session.body);
    let results = server.get(&format!("/api/interview/results/{id}")).await;
    let stored = results.body.to_string().to_lowercase();
    assert!(
        stored.contains("quick brown fox") && stored.contains("hello world"),
        "{}",
        results.body
    );

    socket
        .send(json_message(json!({"type": "ping"})))
        .await
        .unwrap();
    assert_eq!(next_event(&mut socket).await["type"], "pong");
    socket.close(None).await.unwrap();
    server.stop().await;
}

/// The seed's client: `ws.send(videoBlob)` with MediaRecorder's WebM chunks as they come, no
/// framing, no hello. The audio in them is transcribed all the same.
#[tokio::test]
async fn the_seeds_client_sending_media_recorder_chunks_gets_transcripts() {
    let (server, clips) = speech_server().await;
    // A live WebM/Opus recording as Chrome makes it (unknown-size clusters), via ffmpeg.
    let dir = tempfile::tempdir().unwrap();
    let webm = dir.path().join("answer.webm");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-t",
            "0.5",
        ])
        .args(["-i", "anullsrc=r=48000:cl=mono", "-i"])
        .arg(clips.join("en_quick_brown_fox.wav"))
        .args([
            "-filter_complex",
            "[0][1]concat=n=2:v=0:a=1,apad=pad_dur=1.5",
        ])
        .args(["-c:a", "libopus", "-b:a", "32k", "-f", "webm", "-live", "1"])
        .args(["-cluster_time_limit", "500"])
        .arg(&webm)
        .status()
        .expect("ffmpeg runs (scripts install it)");
    assert!(status.success());
    let bytes = std::fs::read(&webm).unwrap();

    let id = new_session(&server, "seed").await;
    let mut socket = connect(&server, &id).await;
    // ondataavailable every 250 ms hands over a few kilobytes at a time.
    for chunk in bytes.chunks(2_000) {
        socket
            .send(Message::Binary(chunk.to_vec().into()))
            .await
            .unwrap();
    }
    // The VAD closes the utterance on the trailing silence; no control message is needed.
    let final_event = loop {
        let event = next_event(&mut socket).await;
        match event["type"].as_str() {
            Some("transcript.partial" | "metrics") => {}
            Some("transcript.final") => break event,
            _ => panic!("unexpected {event}"),
        }
    };
    assert!(
        final_event["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("quick brown fox"),
        "{final_event}"
    );
    socket.close(None).await.unwrap();
    server.stop().await;
}

/// The replay client (`mianshi stream`) in Chinese: it starts a session, streams the answer
/// at recording pace, and gets the transcript, the score and the next question.
#[tokio::test]
async fn the_replay_client_runs_a_spoken_turn_in_chinese() {
    let (server, clips) = speech_server().await;
    let mut samples = vec![0.0f32; 4_000];
    samples.extend(load_clip(&clips, "zh_pangrama"));
    samples.extend(std::iter::repeat_n(0.0, 4_000));
    let options = mianshi_server::replay::ReplayOptions {
        server: server.base.clone(),
        language: "zh".into(),
        realtime: true,
        speed: 2.0,
        ..Default::default()
    };
    let summary = mianshi_server::replay::replay(
        &mianshi_server::replay::Recording::audio_only(samples),
        &options,
        |_| {},
    )
    .await
    .expect("replays");
    let finals: Vec<&str> = summary
        .of_type("transcript.final")
        .filter_map(|e| e["text"].as_str())
        .collect();
    eprintln!(
        "{finals:?}, answer end → score {:?} s",
        summary.answer_to_score_seconds
    );
    assert!(finals.concat().contains("天地"), "{finals:?}");
    assert_eq!(summary.of_type("score").count(), 1);
    assert!(
        summary.of_type("question").count() >= 2,
        "the first and the next question"
    );
    assert!(summary.answer_to_score_seconds.unwrap() < 30.0);
    server.stop().await;
}

/// Without `answer_end`, the turn ends after the configured patience of silence, and the
/// answer is scored all the same.
#[tokio::test]
async fn the_turn_ends_by_itself_after_the_candidates_patience() {
    let (server, clips) = speech_server().await;
    let id = new_session(&server, "patience").await;
    let mut socket = connect(&server, &id).await;
    let hello = |patience: f64| {
        json_message(json!({"type": "hello", "version": 1, "turn_patience": patience}))
    };
    socket.send(hello(10.0)).await.unwrap();
    assert_eq!(next_event(&mut socket).await["code"], "bad_message");
    socket.send(hello(1.5)).await.unwrap();
    let greeting = next_event(&mut socket).await;
    assert_eq!(greeting["turn_patience"], 1.5, "{greeting}");
    assert_eq!(next_event(&mut socket).await["type"], "question");

    let mut audio = vec![0.0f32; 8_000];
    audio.extend(load_clip(&clips, "en_quick_brown_fox"));
    audio.extend(std::iter::repeat_n(0.0, 16_000 * 3));
    send_audio(&mut socket, &audio).await;
    let mut kinds = Vec::new();
    loop {
        let event = next_event(&mut socket).await;
        let kind = event["type"].as_str().unwrap().to_owned();
        if kind == "transcript.final" {
            assert!(event["text"].as_str().unwrap().contains("quick brown fox"));
        }
        kinds.push(kind.clone());
        if kind == "question" || kind == "session.ended" {
            break;
        }
    }
    let position = |k: &str| kinds.iter().position(|x| x == k);
    assert!(
        position("transcript.final") < position("score") && position("score").is_some(),
        "{kinds:?}"
    );
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["turn_count"], 1, "{}", session.body);
    server.stop().await;
}

#[tokio::test]
async fn with_a_review_checkpoint_behaviour_scores_come_from_the_model_and_say_so() {
    // A checkpoint as `mianshi train review` writes it (untrained weights: this test is about
    // the plumbing; tests/review_model.rs trains one).
    let checkpoint = tempfile::tempdir().unwrap();
    let kinds = mianshi_review::Catalogue::built_in()
        .kinds
        .iter()
        .map(|k| k.id.clone())
        .collect();
    mianshi_review::train::Trained::fresh(mianshi_review::fusion::FusionConfig::new(kinds))
        .unwrap()
        .save(checkpoint.path())
        .unwrap();
    let (server, clips) = speech_server_with(mianshi_server::ConfigLayer {
        review_model: Some(checkpoint.path().to_owned()),
        ..Default::default()
    })
    .await;
    let id = new_session(&server, "behaviour").await;
    let mut socket = connect(&server, &id).await;
    socket
        .send(json_message(json!({"type": "hello", "version": 1})))
        .await
        .unwrap();
    assert_eq!(next_event(&mut socket).await["type"], "hello");
    assert_eq!(next_event(&mut socket).await["type"], "question");
    // About 11 s of speech with short pauses: two behaviour windows.
    let mut audio = vec![0.0f32; 8_000];
    for _ in 0..3 {
        audio.extend(load_clip(&clips, "en_quick_brown_fox"));
        audio.extend(std::iter::repeat_n(0.0, 4_000));
    }
    audio.resize(11 * 16_000, 0.0);
    send_audio_paced(&mut socket, &audio, Some(3.0)).await;
    socket
        .send(json_message(json!({"type": "answer_end"})))
        .await
        .unwrap();
    let mut behaviour = Vec::new();
    let score = loop {
        let event = next_event_but(&mut socket, &["nudge"]).await;
        match event["type"].as_str() {
            Some("behaviour") => behaviour.push(event),
            Some("score") => break event,
            _ => {}
        }
    };
    assert!(!behaviour.is_empty(), "no behaviour events");
    for b in &behaviour {
        assert_eq!(b["source"], "model", "{b}");
        assert!(b["scores"]["language"].is_number(), "{b}");
        // No camera: no body or focus score, from the model either.
        assert!(
            b["scores"]["focus"].is_null() && b["scores"]["body"].is_null(),
            "{b}"
        );
    }
    assert_eq!(score["delivery"]["source"], "model", "{score}");
    socket.close(None).await.unwrap();
    server.stop().await;
}

/// The client drops mid-answer (no close frame) and reconnects: the session continues at the
/// same question and the answer keeps what was said before the drop.
#[tokio::test]
async fn a_dropped_connection_loses_nothing_of_the_answer() {
    let (server, clips) = speech_server().await;
    let id = new_session(&server, "reconnect").await;
    let clip = |name: &str| load_clip(&clips, name);
    let hello = json_message(json!({"type": "hello", "version": 1}));

    let mut first = connect(&server, &id).await;
    first.send(hello.clone()).await.unwrap();
    assert_eq!(next_event(&mut first).await["type"], "hello");
    let question = next_event(&mut first).await;
    let mut audio = vec![0.0f32; 8_000];
    audio.extend(clip("en_quick_brown_fox"));
    send_audio(&mut first, &audio).await;
    // Mid-answer, the connection dies: the socket is dropped without a close frame.
    drop(first);

    let mut second = connect(&server, &id).await;
    second.send(hello).await.unwrap();
    assert_eq!(next_event(&mut second).await["type"], "hello");
    let again = next_event(&mut second).await;
    assert_eq!(
        again["question"], question["question"],
        "the same open question"
    );
    let mut audio = clip("en_hello_world");
    audio.extend(std::iter::repeat_n(0.0, 8_000));
    send_audio(&mut second, &audio).await;
    second
        .send(json_message(json!({"type": "answer_end"})))
        .await
        .unwrap();
    loop {
        if next_event(&mut second).await["type"] == "score" {
            break;
        }
    }
    let results = server.get(&format!("/api/interview/results/{id}")).await;
    let stored = results.body.to_string().to_lowercase();
    assert!(
        stored.contains("quick brown fox") && stored.contains("hello world"),
        "{}",
        results.body
    );
    let session = server.get(&format!("/api/interview/session/{id}")).await;
    assert_eq!(session.body["turn_count"], 1);
    server.stop().await;
}

/// A client that sends nothing (and answers no ping) is told so and disconnected after the
/// configured idle time; one that keeps talking is not.
#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_time() {
    fetched("whisper-base");
    let server = TestServer::start_configured(
        mianshi_store::test_support::TestDatabase::sqlite(),
        Some(mianshi_models::user_model_dir()),
        mianshi_server::ConfigLayer {
            live_idle_seconds: Some(1),
            ..Default::default()
        },
    )
    .await;
    let id = new_session(&server, "idle").await;
    // A raw client: the handshake, then silence — it never reads, so pings go unanswered (a
    // WebSocket library would answer them on its next read).
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut raw = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET /ws/video-stream/{id}?token={} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        server.admin_token
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raw.write_all(handshake.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let mut received = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        raw.read_to_end(&mut received),
    )
    .await
    .expect("the server closed the connection")
    .unwrap();
    let received = String::from_utf8_lossy(&received);
    assert!(received.starts_with("HTTP/1.1 101"), "{received}");
    assert!(received.contains("\"code\":\"idle_timeout\""), "{received}");

    // Pings every 250 ms keep an attentive client connected well past the idle time.
    let mut socket = connect(&server, &id).await;
    for _ in 0..8 {
        socket
            .send(json_message(json!({"type": "ping"})))
            .await
            .unwrap();
        assert_eq!(next_event(&mut socket).await["type"], "pong");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    server.stop().await;
}

/// SIGTERM mid-answer: every live stream is told the server is going; an idle one closes at
/// once, the open answer may run for the drain time and what was heard is then committed as
/// the answer (a restart would lose words only parked in memory); the server exits after.
#[tokio::test]
async fn a_shutdown_commits_the_open_answer_before_the_server_exits() {
    let (mut server, clips) = speech_server_with(mianshi_server::ConfigLayer {
        drain_seconds: Some(3),
        ..Default::default()
    })
    .await;
    let hello = json_message(json!({"type": "hello", "version": 1}));
    let idle_id = new_session(&server, "drain-idle").await;
    let mut idle = connect(&server, &idle_id).await;
    idle.send(hello.clone()).await.unwrap();
    assert_eq!(next_event(&mut idle).await["type"], "hello");
    assert_eq!(next_event(&mut idle).await["type"], "question");

    let id = new_session(&server, "drain").await;
    let mut socket = connect(&server, &id).await;
    socket.send(hello).await.unwrap();
    assert_eq!(next_event(&mut socket).await["type"], "hello");
    assert_eq!(next_event(&mut socket).await["type"], "question");
    socket
        .send(json_message(json!({"type": "answer_start"})))
        .await
        .unwrap();
    send_audio(&mut socket, &load_clip(&clips, "en_quick_brown_fox")).await;
    // Shut down once the recogniser is at work on the answer (the first words are out).
    let mut heard = String::new();
    loop {
        let event = next_event_but(&mut socket, &["nudge", "behaviour", "metrics"]).await;
        match event["type"].as_str() {
            Some("transcript.partial") => break,
            Some("transcript.final") => {
                heard.push_str(event["text"].as_str().unwrap_or(""));
                break;
            }
            _ => {}
        }
    }

    server.begin_shutdown();
    let started = std::time::Instant::now();
    assert_eq!(
        next_event_but(&mut idle, &["nudge", "behaviour", "metrics"]).await["type"],
        "server.draining"
    );
    assert!(
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(10), idle.next()).await,
            Ok(None | Some(Ok(Message::Close(_))) | Some(Err(_)))
        ),
        "an idle stream closes at once"
    );

    // The candidate never says "done": after the drain time the words heard are the answer.
    let mut draining = false;
    let score = loop {
        let event = next_event_but(
            &mut socket,
            &["nudge", "behaviour", "metrics", "transcript.partial"],
        )
        .await;
        match event["type"].as_str() {
            Some("server.draining") => {
                assert_eq!(event["seconds"], 3);
                draining = true;
            }
            Some("transcript.final") => heard.push_str(event["text"].as_str().unwrap_or("")),
            Some("score") => break event,
            _ => {}
        }
    };
    assert!(draining, "the stream was told the server is going");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "the answer got its drain time"
    );
    assert_eq!(score["turn_index"], 0, "the answer was committed");
    assert!(heard.to_lowercase().contains("brown fox"), "{heard}");
    // Then the stream closes and the server exits.
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("the stream stayed open after its answer was committed"),
        }
    }
    tokio::time::timeout(std::time::Duration::from_secs(30), server.stop())
        .await
        .expect("the server exits once its streams have closed");
}
