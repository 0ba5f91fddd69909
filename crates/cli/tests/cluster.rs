//! Two `mianshi serve` processes on one PostgreSQL database and one NATS server: a candidate's
//! live interview moves from one node to the other mid-answer and nothing is lost — the first
//! answer committed on node A, the second begun on A and finished on B, both whole in the
//! results; and a follower on NATS sees the session's events from both nodes.
//!
//! Needs PostgreSQL (`MIANSHI_TEST_POSTGRES_URL`) and NATS (`MIANSHI_TEST_NATS_URL`, default
//! `nats://127.0.0.1:4222`), like the rest of the suite's services.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mianshi_store::test_support::TestDatabase;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn nats_url() -> String {
    std::env::var("MIANSHI_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node(dir: &Path, name: &str, database_url: &str) -> Node {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--port", "0", "--host", "127.0.0.1"])
        .args(["--fetch-models", "false", "--log-files", "false"])
        .arg("--database-url")
        .arg(database_url)
        .arg("--nats-url")
        .arg(nats_url())
        .arg("--model-dir")
        .arg(mianshi_models::user_model_dir())
        .arg("--data-dir")
        .arg(dir.join(name))
        .env_remove("MIANSHI_DATABASE_URL")
        .env("HOSTNAME", name)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mianshi");
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .expect("the server printed its address")
        .unwrap();
    let base = line
        .strip_prefix("mianshi listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    Node { child, base }
}

fn admin_token(database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["token", "create", "--name", "cluster-test"])
        .arg("--database-url")
        .arg(database_url)
        .env_remove("MIANSHI_DATABASE_URL")
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn audio_frame(timestamp_ms: u64, samples: &[f32]) -> Vec<u8> {
    let mut frame = vec![0x01];
    frame.extend(timestamp_ms.to_le_bytes());
    for s in samples {
        frame.extend(((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    frame
}

async fn send_audio(socket: &mut Socket, samples: &[f32]) {
    for (i, chunk) in samples.chunks(1_600).enumerate() {
        socket
            .send(Message::Binary(audio_frame(i as u64 * 100, chunk).into()))
            .await
            .unwrap();
    }
}

/// The next event of one of these types (others — metrics, partials, nudges — are skipped).
async fn next_of(socket: &mut Socket, types: &[&str]) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(180), socket.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let event: Value = serde_json::from_str(text.as_str()).unwrap();
            if types.iter().any(|t| event["type"] == *t) {
                return event;
            }
        }
    }
}

async fn open(node: &Node, id: &str, token: &str) -> Socket {
    let url = format!(
        "{}/ws/video-stream/{id}?token={token}",
        node.base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    socket
        .send(Message::Text(
            json!({"type": "hello", "version": 1, "language": "en"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    socket
}

fn clip(clips: &Path, name: &str) -> Vec<f32> {
    let wav = std::fs::read(clips.join(format!("{name}.wav"))).unwrap();
    mianshi_speech::decode(&wav, 60).unwrap().to_16k()
}

#[test]
fn a_live_interview_moves_between_nodes_mid_answer_and_loses_nothing() {
    let clips = {
        mianshi_models::fetch_into_user_cache("whisper-base").unwrap();
        mianshi_models::fetch_into_user_cache("silero-vad").unwrap();
        mianshi_models::fetch_into_user_cache("speech-test-clips").unwrap()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDatabase::postgres());
    let dir = tempfile::tempdir().unwrap();
    let token = admin_token(&db.url);
    let a = node(dir.path(), "node-a", &db.url);
    let b = node(dir.path(), "node-b", &db.url);

    runtime.block_on(async {
        let http = reqwest::Client::new();
        let started: Value = http
            .post(format!("{}/api/interview/start", a.base))
            .bearer_auth(&token)
            .json(&json!({"user_id": "mover", "metadata": {"language": "en", "questions": 3}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = started["session_id"].as_str().unwrap().to_owned();
        let candidate = started["candidate_token"].as_str().unwrap().to_owned();

        // A follower of the session's events, on no node at all.
        let nats = async_nats::connect(nats_url())
            .await
            .expect("NATS is running");
        let mut follower = nats
            .subscribe(format!("mianshi.live.{id}.events"))
            .await
            .unwrap();
        nats.flush().await.unwrap();

        // Node A: the first answer, whole.
        let mut on_a = open(&a, &id, &candidate).await;
        next_of(&mut on_a, &["hello"]).await;
        let first = next_of(&mut on_a, &["question"]).await;
        let mut audio = clip(&clips, "en_quick_brown_fox");
        audio.extend(std::iter::repeat_n(0.0, 8_000));
        send_audio(&mut on_a, &audio).await;
        on_a.send(Message::Text(
            json!({"type": "answer_end"}).to_string().into(),
        ))
        .await
        .unwrap();
        next_of(&mut on_a, &["score"]).await;
        let second = next_of(&mut on_a, &["question"]).await;
        assert_ne!(first["question"], second["question"]);

        // The second answer begins on A; A hears it ...
        let mut audio = vec![0.0f32; 8_000];
        audio.extend(clip(&clips, "en_hello_world"));
        audio.extend(std::iter::repeat_n(0.0, 16_000));
        send_audio(&mut on_a, &audio).await;
        next_of(&mut on_a, &["transcript.final"]).await;
        // ... and the candidate's connection is cut (no close frame): they come back on B.
        drop(on_a);

        let mut on_b = open(&b, &id, &candidate).await;
        next_of(&mut on_b, &["hello"]).await;
        let resumed = next_of(&mut on_b, &["question"]).await;
        assert_eq!(
            resumed["question"], second["question"],
            "the same open question"
        );
        let mut audio = clip(&clips, "en_quick_brown_fox");
        audio.extend(std::iter::repeat_n(0.0, 8_000));
        send_audio(&mut on_b, &audio).await;
        on_b.send(Message::Text(
            json!({"type": "answer_end"}).to_string().into(),
        ))
        .await
        .unwrap();
        let score = next_of(&mut on_b, &["score"]).await;
        assert!(score["score"]["overall"].is_number(), "{score}");
        drop(on_b);

        // Both answers are whole, whichever node is asked.
        for node in [&a, &b] {
            let results: Value = http
                .get(format!("{}/api/interview/results/{id}", node.base))
                .bearer_auth(&candidate)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let turns = results["turns"].as_array().unwrap();
            assert_eq!(turns.len(), 2, "{results}");
            let answer = |i: usize| turns[i]["answer"]["text"].as_str().unwrap().to_lowercase();
            assert!(answer(0).contains("quick brown fox"), "{}", answer(0));
            assert!(
                answer(1).contains("hello world") && answer(1).contains("quick brown fox"),
                "the words said on node A before the move are lost: {}",
                answer(1)
            );
            println!("{}: {:?} / {:?}", node.base, answer(0), answer(1));
        }

        // The follower saw the interview on NATS from both nodes: A's first score and B's.
        let mut scores = 0;
        let mut finals = 0;
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(2), follower.next()).await
        {
            let event: Value = serde_json::from_slice(&message.payload).unwrap();
            match event["type"].as_str() {
                Some("score") => scores += 1,
                Some("transcript.final") => finals += 1,
                _ => {}
            }
        }
        assert_eq!(scores, 2, "both answers' scores were published");
        assert!(finals >= 3, "{finals} final transcripts published");
    });
    drop((a, b));
    drop(db);
}
