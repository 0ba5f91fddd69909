//! `mianshi bench interviewer`: end of answer → next question, measured through the whole
//! stack (HTTP, scoring on the CPU pool, the turn and state committed to SQLite with
//! `synchronous = FULL`), next to the interviewer engine alone.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use mianshi_interviewer::eval::{persona_answer, Persona};
use mianshi_interviewer::{Interview, Language, Settings};
use serde_json::{json, Value};

use crate::{Config, ConfigLayer, Server, ServerError};

/// A minimal HTTP/1.1 client: one request per connection, JSON in and out.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let (status, text) = http_text(addr, method, path, token, body)?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// One HTTP/1.1 exchange on a fresh connection: status and body as text.
pub(crate) fn http_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let authorization = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

/// The `p`-th percentile (nearest rank) of ascending `sorted`; `None` when it is empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((p / 100.0) * last as f64).round() as usize;
    sorted.get(rank.min(last)).copied()
}

/// A `/proc/self/status` memory field (`VmRSS:`, `VmHWM:`, …) in MB.
pub(crate) fn process_memory_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn row(name: &str, mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    format!(
        "{name:<34} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
        samples.len(),
        percentile(&samples, 50.0).unwrap_or(0.0),
        percentile(&samples, 95.0).unwrap_or(0.0),
        percentile(&samples, 99.0).unwrap_or(0.0),
        samples.last().copied().unwrap_or(0.0)
    )
}

/// The answer a simulated candidate gives to the open question, from the question's key
/// points as the API returns them.
fn answer_for(question: &Value, turn: usize, zh: bool) -> String {
    let points: Vec<&str> = question["topic"]["key_points"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match (turn % 3, zh) {
        (0, true) => format!("首先，{}。当时我负责这部分，因为要兼顾性能和成本，最终把延迟从 200ms 降到 40ms。", points.join("；其次，")),
        (0, false) => format!("First, {}. I led this because we had to balance cost and speed; latency went from 200 ms to 40 ms.", points.join("; then, ")),
        (1, true) => "这个我们项目里也用过，整体效果还可以，主要看业务场景。".to_owned(),
        (1, false) => "We used it in our project and it was fine overall; it depends on the scenario.".to_owned(),
        (_, true) => "不太清楚。".to_owned(),
        (_, false) => "Not sure.".to_owned(),
    }
}

/// `think`: the candidate's time between seeing a question and sending the answer (real
/// candidates take seconds); the server embeds the question's texts meanwhile.
pub async fn interviewer(
    sessions: usize,
    questions: u32,
    think: Duration,
) -> Result<String, ServerError> {
    let dir = tempfile::tempdir().map_err(ServerError::Serve)?;
    let config = Config::resolve([ConfigLayer {
        port: Some(0),
        database_url: Some(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        )),
        log_files: Some(false),
        fetch_models: Some(false),
        ..Default::default()
    }])
    .map_err(|e| ServerError::Serve(std::io::Error::other(e.to_string())))?;
    let model_dir = config.model_dir.clone();
    let server = Server::bind(config).await?;
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let http_samples = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<f64>> {
        let mut samples = Vec::new();
        for session in 0..sessions {
            let zh = session % 2 == 0;
            let (_, started) = http(
                addr,
                "POST",
                "/api/interview/start",
                None,
                Some(&json!({"user_id": "bench", "metadata": {"language": if zh { "zh" } else { "en" }, "questions": questions},
                    "resume_text": "Jane Doe\nSkills\nJava, Redis, MySQL, Kafka, Docker, Kubernetes, Python\n"})),
            )?;
            let id = started["session_id"].as_str().unwrap_or_default().to_owned();
            let token = started["candidate_token"].as_str().map(str::to_owned);
            let token = token.as_deref();
            let (_, first) = http(addr, "GET", &format!("/api/interview/{id}/question"), token, None)?;
            let mut question = first["question"].clone();
            for turn in 0..questions as usize {
                let body = json!({ "text": answer_for(&question, turn, zh) });
                std::thread::sleep(think);
                let started = Instant::now();
                let (status, reply) = http(addr, "POST", &format!("/api/interview/{id}/answer"), token, Some(&body))?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                if status != 200 || reply["finished"] == true {
                    break;
                }
                question = reply["next_question"].clone();
            }
        }
        Ok(samples)
    })
    .await
    .map_err(|e| ServerError::Serve(std::io::Error::other(e.to_string())))?
    .map_err(ServerError::Serve)?;
    let _ = stop.send(());
    let _ = running.await;

    // The engine alone, on the same kind of answers, with the same model if it is cached.
    let embedder =
        tokio::task::spawn_blocking(move || crate::semantic::EmbedderSlot::new(model_dir).get())
            .await
            .map_err(|e| ServerError::Serve(std::io::Error::other(e.to_string())))?;
    let mut engine_samples = Vec::new();
    let documents = mianshi_resume::build_documents(
        Some("Jane Doe\nSkills\nJava, Redis, MySQL, Kafka, Docker, Kubernetes, Python\n"),
        None,
    );
    for session in 0..sessions {
        let language = if session % 2 == 0 {
            Language::Zh
        } else {
            Language::En
        };
        let mut interview = Interview::new(
            &documents,
            Settings {
                language,
                max_questions: questions,
                ..Settings::default()
            },
        );
        let now = chrono::Utc::now();
        interview.next_question(now);
        for turn in 0..questions as usize {
            let Some(open) = interview.current.clone() else {
                break;
            };
            let Some(q) = mianshi_interviewer::bank::bank().get(&open.bank_id) else {
                break;
            };
            let persona = [Persona::Strong, Persona::Vague, Persona::Terse][turn % 3];
            let answer = persona_answer(persona, q, &open.key_points, language, turn);
            if let Some(model) = &embedder {
                let texts = interview.recurring_texts();
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                let _ = model.embed_recurring(&texts);
            }
            let started = Instant::now();
            let reply = interview.answer_with(&answer, now, embedder.as_deref());
            engine_samples.push(started.elapsed().as_secs_f64() * 1000.0);
            if reply.map(|r| r.next.is_none()).unwrap_or(true) {
                break;
            }
        }
    }

    let mut out = format!(
        "End of answer → next question, {sessions} sessions × up to {questions} answers (no LLM)\n{:<34} {:>6} {:>9} {:>9} {:>9} {:>9}\n",
        "path", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    out.push_str(&format!(
        "semantic relevance: {}; candidate think time {} ms\n",
        embedder
            .as_ref()
            .map(|m| format!("{} (in process)", m.name()))
            .unwrap_or_else(|| "off (model not in the cache: lexical rules only)".into()),
        think.as_millis()
    ));
    out.push_str(&row("HTTP + scoring + SQLite commit", http_samples));
    out.push_str(&row("interviewer engine alone", engine_samples));
    out.push_str("goal: p95 ≤ 300 ms end to end\n");
    Ok(out)
}
