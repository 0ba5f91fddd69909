//! The real `mianshi` binary as a process: crash safety under `kill -9`, the seed's log files,
//! and the API docs page rendered by headless Chromium with the network cut off.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mianshi serve` on port 0 over a SQLite file in `dir` and waits for the line that
/// names its address.
fn serve(dir: &Path) -> Running {
    serve_on(
        dir,
        &format!("sqlite://{}", dir.join("mianshi.db").display()),
    )
}

/// Admin tokens by server address, made with `mianshi token create` (so that command is
/// exercised too) and sent by [`Http`] with every request to that server.
static TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn admin_token(database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args([
            "token",
            "create",
            "--name",
            "serve-tests",
            "--scope",
            "admin",
        ])
        .arg("--database-url")
        .arg(database_url)
        .env_remove("MIANSHI_DATABASE_URL")
        .output()
        .expect("run mianshi token create");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("mso_"), "{token}");
    token
}

fn token_for(url: &str) -> Option<String> {
    TOKENS
        .lock()
        .unwrap()
        .iter()
        .find(|(base, _)| url.starts_with(base.as_str()))
        .map(|(_, token)| token.clone())
}

fn serve_on(dir: &Path, database_url: &str) -> Running {
    let token = admin_token(database_url);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--port", "0", "--host", "127.0.0.1"])
        .arg("--database-url")
        .arg(database_url)
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .args(["--fetch-models", "false"])
        .arg("--model-dir")
        .arg(dir.join("models"))
        .env_remove("MIANSHI_DATABASE_URL")
        .env("MIANSHI_LOG_LEVEL", "info")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mianshi");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("server printed nothing")
        .expect("read server output");
    let base = line
        .strip_prefix("mianshi listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    TOKENS.lock().unwrap().push((base.clone(), token));
    Running { child, base }
}

/// A synchronous HTTP client, so these process-level tests need no async test harness.
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: reqwest::Client::new(),
        }
    }

    fn send(&self, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut request = self.client.request(method, url);
            if let Some(token) = token_for(url) {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }
}

#[test]
fn kill_9_after_a_status_change_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let http = Http::new();
    let mut expected: Vec<(String, &str)> = Vec::new();
    let cycle = ["in_progress", "paused", "in_progress", "completed"];
    for (round, target) in cycle.iter().enumerate() {
        let server = serve(dir.path());
        // Everything acknowledged before earlier crashes is still there.
        for (id, status) in &expected {
            let (code, body) = http.send(
                Method::GET,
                &format!("{}/api/interview/session/{id}", server.base),
                None,
            );
            assert_eq!(code, 200, "round {round}: {body}");
            assert_eq!(body["status"], *status, "round {round}");
        }
        let (code, created) = http.send(
            Method::POST,
            &format!("{}/api/interview/start", server.base),
            Some(json!({"user_id": format!("crash-{round}"), "metadata": {"position": "前端工程师"}})),
        );
        assert_eq!(code, 201);
        let new_id = created["session_id"].as_str().unwrap().to_owned();
        expected.push((new_id, "created"));
        // Move the first session one more step, then die without warning.
        let first = expected[0].0.clone();
        let (code, body) = http.send(
            Method::PUT,
            &format!("{}/api/interview/session/{first}/status", server.base),
            Some(json!({ "status": target })),
        );
        assert_eq!(code, 200, "{body}");
        expected[0].1 = target;
        drop(server); // SIGKILL
    }
    let server = serve(dir.path());
    let (code, list) = http.send(
        Method::GET,
        &format!("{}/api/interview/sessions?limit=50", server.base),
        None,
    );
    assert_eq!(code, 200);
    assert_eq!(list["total"], expected.len());
    let (_, first) = http.send(
        Method::GET,
        &format!("{}/api/interview/session/{}", server.base, expected[0].0),
        None,
    );
    assert_eq!(first["status"], "completed");
    assert!(first["ended_at"].is_string());
    assert_eq!(first["metadata"]["position"], "前端工程师");
}

/// The open question as the server has it: (number, text).
fn open_question(http: &Http, base: &str, id: &str) -> (u64, String) {
    let (code, body) = http.send(
        Method::GET,
        &format!("{base}/api/interview/{id}/question"),
        None,
    );
    assert_eq!(code, 200, "{body}");
    (
        body["number"].as_u64().unwrap(),
        body["question"]["text"].as_str().unwrap().to_owned(),
    )
}

/// `kill -9` while an answer is being taken, 20 times: after each restart every answer the
/// server acknowledged is still there, the interrupted one is either committed whole or not
/// at all, and the interview resumes at the right question — the next one if the answer was
/// committed, the same one if not.
fn kill_9_mid_answer(dir: &Path, database_url: &str) {
    const ROUNDS: usize = 20;
    let http = Http::new();
    let server = serve_on(dir, database_url);
    let (code, created) = http.send(
        Method::POST,
        &format!("{}/api/interview/start", server.base),
        Some(json!({
            "user_id": "crash",
            "metadata": {"language": "en", "questions": 50},
            "resume_text": "Jane Doe\njane@example.com\n\nSkills\nRedis, Kubernetes, PostgreSQL\n",
        })),
    );
    assert_eq!(code, 201, "{created}");
    let id = created["session_id"].as_str().unwrap().to_owned();
    let mut open = open_question(&http, &server.base, &id);
    drop(server);
    // Answers as sent, by turn index, once the server has them committed.
    let mut committed: Vec<String> = Vec::new();
    let (mut whole, mut lost) = (0, 0);
    for round in 0..ROUNDS {
        let server = serve_on(dir, database_url);
        let answer = format!(
            "Round {round}: first I measured the p95 latency, then I moved the hot keys to Redis \
             and it fell from 300 ms to 90 ms."
        );
        // Send the answer on its own thread and kill the server at a different moment each
        // round: before it arrives, while it is scored, around the commit.
        let url = format!("{}/api/interview/{id}/answer", server.base);
        let body = json!({ "text": answer });
        let token = token_for(&url).unwrap();
        let sender = std::thread::spawn(move || {
            let http = Http::new();
            http.runtime.block_on(async {
                let response = http
                    .client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .ok()?;
                let reply: Value = response.json().await.ok()?;
                reply["next_question"]["text"].as_str().map(str::to_owned)
            })
        });
        std::thread::sleep(Duration::from_millis(
            [0, 1, 3, 6, 10, 20, 40, 80, 160, 1000][round % 10],
        ));
        drop(server); // SIGKILL
                      // The next question the server announced, if its reply got out before the kill.
        let announced = sender.join().unwrap();

        let server = serve_on(dir, database_url);
        let (code, results) = http.send(
            Method::GET,
            &format!("{}/api/interview/results/{id}", server.base),
            None,
        );
        assert_eq!(code, 200, "{results}");
        let turns = results["turns"].as_array().unwrap();
        for (index, text) in committed.iter().enumerate() {
            assert_eq!(
                turns[index]["answer"]["text"], *text,
                "round {round}: committed turn {index} changed"
            );
        }
        let now = open_question(&http, &server.base, &id);
        match turns.len() - committed.len() {
            0 => {
                assert!(
                    announced.is_none(),
                    "round {round}: an acknowledged answer was lost"
                );
                assert_eq!(now, open, "round {round}: not resumed at the same question");
                lost += 1;
            }
            1 => {
                let turn = &turns[committed.len()];
                assert_eq!(turn["answer"]["text"], answer.as_str(), "round {round}");
                assert!(
                    turn["score"]["overall"].is_number(),
                    "round {round}: no score"
                );
                assert_eq!(
                    now.0,
                    open.0 + 1,
                    "round {round}: not resumed at the next question"
                );
                if let Some(next) = &announced {
                    assert_eq!(&now.1, next, "round {round}: not the question announced");
                }
                committed.push(answer);
                whole += 1;
            }
            n => panic!("round {round}: {n} turns appeared for one answer"),
        }
        open = now;
        drop(server);
    }
    // Both outcomes happened, so both recoveries were checked (the 1 s rounds always commit).
    assert!(whole >= 2 && lost >= 2, "{whole} committed, {lost} not");
    println!("{database_url}: {ROUNDS} kills mid-answer: {whole} answers committed whole, {lost} not committed, 0 lost or torn");
}

#[test]
fn kill_9_mid_answer_resumes_at_the_right_turn_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    kill_9_mid_answer(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("mianshi.db").display()),
    );
}

#[test]
fn kill_9_mid_answer_resumes_at_the_right_turn_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(mianshi_store::test_support::TestDatabase::postgres());
    kill_9_mid_answer(dir.path(), &db.url);
}

#[test]
fn logs_go_to_the_seed_named_daily_files_with_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let http = Http::new();
    let server = serve(dir.path());
    let (code, _) = http.send(
        Method::POST,
        &format!("{}/api/interview/start", server.base),
        Some(json!({"user_id": "logged"})),
    );
    assert_eq!(code, 201);
    let log_dir = dir.path().join("logs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let (all, errors) = loop {
        let names: Vec<String> = std::fs::read_dir(&log_dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let find = |prefix: &str| {
            names
                .iter()
                .find(|n| n.starts_with(prefix) && is_dated_log(n, prefix))
                .map(|n| log_dir.join(n))
        };
        if let (Some(all), Some(errors)) = (find("ai_interview_"), find("error_")) {
            let text = std::fs::read_to_string(&all).unwrap_or_default();
            if text.contains("session created") {
                break (text, errors);
            }
        }
        assert!(
            Instant::now() < deadline,
            "log files not written: {names:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let line = all.lines().find(|l| l.contains("session created")).unwrap();
    assert!(line.contains("request{id="), "no request id on: {line}");
    assert!(!std::fs::read_to_string(errors)
        .unwrap()
        .contains("session created"));
}

fn is_dated_log(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(".log"))
        .is_some_and(|day| day.len() == 8 && day.chars().all(|c| c.is_ascii_digit()))
}

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("MIANSHI_CHROMIUM") {
        return PathBuf::from(path);
    }
    for candidate in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("headless Chromium is needed for this test: `apt-get install chromium` (scripts/test.sh does it) or set MIANSHI_CHROMIUM");
}

#[test]
fn docs_page_renders_offline_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // The network is cut off: every host but loopback resolves to nothing and every
            // non-loopback connection goes to a proxy that does not exist.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{}/docs/", server.base))
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    assert!(output.status.success(), "chromium failed");
    let dom = String::from_utf8_lossy(&output.stdout);
    // Swagger UI's script ran (its assets came from our binary) and rendered the spec it
    // fetched from /openapi.json: one block per operation.
    assert!(
        dom.contains("swagger-ui"),
        "Swagger UI did not load:\n{dom}"
    );
    assert!(
        dom.contains("Mianshi API"),
        "the spec's title is not on the page"
    );
    for path in [
        "/api/interview/start",
        "/api/interview/sessions",
        "/api/interview/results/",
    ] {
        assert!(dom.contains(path), "operation {path} not rendered");
    }
    assert!(
        dom.matches("opblock-summary").count() >= 7,
        "too few operations rendered"
    );
}

#[test]
fn version_and_help_document_every_option() {
    let version = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("mianshi "));
    let help = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--config",
        "--host",
        "--port",
        "--database-url",
        "--data-dir",
        "--db-max-connections",
        "--log-level",
        "--log-dir",
        "--log-files",
        "--body-limit-bytes",
        "--resume-max-bytes",
        "--parse-workers",
        "--model-dir",
        "--whisper-model",
        "MIANSHI_PORT",
        "PORT",
        "HOST",
        "LOG_LEVEL",
        "MODEL_CACHE_DIR",
    ] {
        assert!(
            help.contains(option),
            "`serve --help` does not mention {option}:\n{help}"
        );
    }
}

#[test]
fn a_bad_setting_is_a_clear_error_not_a_panic() {
    let output = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--database-url", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database_url"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
