//! Randomised requests against a live server: whatever arrives, the answer is a 4xx with our
//! error envelope or a success — never a 5xx — and stored sessions survive the barrage.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// xorshift64*: deterministic, dependency-free randomness so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn segment(rng: &mut Rng, known: &str) -> String {
    match rng.below(6) {
        0 => known.to_owned(),
        1 => uuid::Uuid::new_v4().to_string(),
        2 => "%FF%FE".to_owned(),
        3 => "%E9%9D%A2%E8%AF%95".to_owned(),
        4 => "..%2F..%2Fetc%2Fpasswd".to_owned(),
        _ => {
            const CHARS: &[u8] = b"abcdefXYZ0123456789-_.~";
            (0..rng.below(80))
                .map(|_| *rng.pick(CHARS) as char)
                .collect()
        }
    }
}

fn body(rng: &mut Rng) -> Vec<u8> {
    let bodies = [
        json!({"user_id": "fuzz", "metadata": {"k": "v"}}),
        json!({"status": "in_progress"}),
        json!({"status": "paused"}),
        json!({"text": "I led the migration and cut latency by 40%."}),
        json!({"text": ""}),
        json!({"resume_text": "张伟\n专业技能\nJava", "job_description": "Java 工程师"}),
        json!({"status": null}),
        json!({"user_id": ["a"]}),
        json!({"user_id": "\u{0}"}),
        json!({"metadata": {"nul": "\u{0}", "deep": [[[[[[[[[[1]]]]]]]]]]}}),
        json!(12345678901234567890u64),
        json!("just a string"),
        json!(null),
    ];
    match rng.below(4) {
        0 => rng.bytes(300),
        1 => {
            // A valid body with a few bytes flipped or cut.
            let mut bytes = serde_json::to_vec(rng.pick(&bodies)).unwrap();
            for _ in 0..rng.below(3) {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
            }
            let keep = rng.below(bytes.len() + 1);
            bytes.truncate(keep.max(1));
            bytes
        }
        _ => serde_json::to_vec(rng.pick(&bodies)).unwrap(),
    }
}

async fn barrage(server: &TestServer, seed: u64, requests: usize) {
    let known = server
        .json(
            Method::POST,
            "/api/interview/start",
            Some(json!({"user_id": "keeper", "metadata": {"position": "后端"}})),
        )
        .await;
    let known_id = known.body["session_id"].as_str().unwrap().to_owned();
    let mut rng = Rng(seed);
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    let content_types = [
        Some("multipart/form-data; boundary=xyz"),
        Some("application/json"),
        Some("text/plain"),
        None,
        Some("application/json; charset=latin1"),
    ];
    for n in 0..requests {
        let path = match rng.below(13) {
            0 => "/api/interview/start".to_owned(),
            1 => format!("/api/interview/session/{}", segment(&mut rng, &known_id)),
            2 => format!(
                "/api/interview/session/{}/status",
                segment(&mut rng, &known_id)
            ),
            3 => format!("/api/interview/results/{}", segment(&mut rng, &known_id)),
            4 => format!(
                "/api/interview/sessions?limit={}&offset={}&status={}&user_id={}",
                segment(&mut rng, "5"),
                segment(&mut rng, "0"),
                segment(&mut rng, "paused"),
                segment(&mut rng, "keeper")
            ),
            5 => format!("/{}", segment(&mut rng, "healthz")),
            7 => format!("/api/interview/{}/question", segment(&mut rng, &known_id)),
            8 => format!("/api/interview/{}/answer", segment(&mut rng, &known_id)),
            9 => "/api/resume/parse".to_owned(),
            10 => "/api/ai/analyze-speech-quality".to_owned(),
            12 => "/api/ai/transcribe".to_owned(),
            11 => format!(
                "/api/interview/session/{}/documents",
                segment(&mut rng, &known_id)
            ),
            _ => format!(
                "/api/interview/session/{}/status?status={}",
                known_id,
                segment(&mut rng, "paused")
            ),
        };
        let method = rng.pick(&methods).clone();
        // Never delete the session whose survival we check at the end.
        if method == Method::DELETE && path.contains(&known_id) {
            continue;
        }
        let content_type = *rng.pick(&content_types);
        let reply = server
            .raw(method.clone(), &path, content_type, body(&mut rng))
            .await;
        assert!(
            !reply.status.is_server_error(),
            "request {n}: {method} {path} -> {} {}",
            reply.status,
            reply.body
        );
        if reply.status.is_client_error() {
            assert!(
                reply.body["error"]["code"].is_string(),
                "request {n}: {method} {path} -> {}",
                reply.body
            );
        }
    }
    let survivor = server
        .get(&format!("/api/interview/session/{known_id}"))
        .await;
    assert_eq!(survivor.status, StatusCode::OK);
    assert_eq!(survivor.body["metadata"]["position"], "后端");
    assert_eq!(survivor.body["user_id"], "keeper");
}

#[tokio::test]
async fn random_requests_never_get_a_5xx_on_sqlite() {
    let server = TestServer::sqlite().await;
    barrage(&server, 0x5eed_0001, 400).await;
    server.stop().await;
}

#[tokio::test]
async fn random_requests_never_get_a_5xx_on_postgres() {
    let server = TestServer::postgres().await;
    barrage(&server, 0x5eed_0002, 400).await;
    server.stop().await;
}
