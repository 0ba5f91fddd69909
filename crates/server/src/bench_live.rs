//! `mianshi bench live`: N candidates at once, each replaying a recorded talking-head answer
//! (audio + camera) through the live stream at recording pace, against a local server (started
//! here, SQLite, the default models) or a remote one. Prints per-session real-time factor,
//! transcript lag, nudge latency, camera frames analysed and dropped, and the process's CPU
//! and memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::replay::{demo_clip, replay, Recording, ReplayOptions, ReplaySummary};
use crate::{Config, ConfigLayer, Server, ServerError};

pub struct LiveBenchOptions {
    pub sessions: usize,
    /// Seconds of answer each session streams (the 25 s demo clip repeated).
    pub duration: f64,
    /// A running server (`http://host:port`); one is started here when absent.
    pub server: Option<String>,
    /// Another recording to replay instead of the demo clip.
    pub clip: Option<PathBuf>,
    /// Camera frames per second sent (0: audio only).
    pub camera_fps: f64,
}

fn err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Serve(std::io::Error::other(e.to_string()))
}

const MODELS: [&str; 7] = [
    "whisper-base",
    "silero-vad",
    "multilingual-e5-small",
    "mediapipe-face",
    "mediapipe-pose",
    "fer-mini-xception",
    "speech-test-clips",
];

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Resident memory now and at its peak, MB.
fn rss_mb() -> (Option<f64>, Option<f64>) {
    (
        crate::bench::process_memory_mb("VmRSS:"),
        crate::bench::process_memory_mb("VmHWM:"),
    )
}

fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    crate::bench::percentile(&sorted, p)
}

fn ms(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.0}", v * 1000.0))
}

fn secs(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.2}"))
}

/// Fetches `models`, then opens `clip` (or builds the demo answer in `dir`) with camera frames
/// at `camera_fps` (none at 0).
async fn load_recording(
    models: &[&'static str],
    clip: Option<PathBuf>,
    camera_fps: f64,
    dir: &std::path::Path,
) -> Result<Recording, ServerError> {
    let models = models.to_vec();
    let clip_dir = dir.to_owned();
    tokio::task::spawn_blocking(move || -> Result<Recording, ServerError> {
        for name in models {
            mianshi_models::fetch_into_user_cache(name).map_err(err)?;
        }
        let path = match clip {
            Some(path) => path,
            None => demo_clip(
                &mianshi_models::fetch_into_user_cache("vision-test-webcam").map_err(err)?,
                &mianshi_models::fetch_into_user_cache("speech-test-clips").map_err(err)?,
                &clip_dir,
            )
            .map_err(err)?,
        };
        let mut recording = Recording::open(&path, camera_fps.max(1.0)).map_err(err)?;
        if camera_fps <= 0.0 {
            recording.frames.clear();
        }
        Ok(recording)
    })
    .await
    .map_err(err)?
}

pub async fn live(options: LiveBenchOptions) -> Result<String, ServerError> {
    let dir = tempfile::tempdir().map_err(ServerError::Serve)?;
    let recording = load_recording(
        &MODELS,
        options.clip.clone(),
        options.camera_fps,
        dir.path(),
    )
    .await?;
    let times = (options.duration / recording.duration()).ceil().max(1.0) as usize;
    let recording = std::sync::Arc::new(recording.repeated(times));

    let mut local = None;
    let base = match &options.server {
        Some(server) => server.clone(),
        None => {
            let config = Config::resolve([ConfigLayer {
                port: Some(0),
                database_url: Some(format!(
                    "sqlite://{}",
                    dir.path().join("bench.db").display()
                )),
                model_dir: Some(mianshi_models::user_model_dir()),
                log_files: Some(false),
                fetch_models: Some(false),
                ..Default::default()
            }])
            .map_err(err)?;
            let server = Server::bind(config).await?;
            let base = format!("http://{}", server.local_addr());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let running = tokio::spawn(server.run_until(async {
                let _ = stopped.await;
            }));
            local = Some((stop, running));
            base
        }
    };
    // The models load on first use: one short warm-up stream, not measured.
    let warm = Recording {
        audio: recording.audio[..recording.audio.len().min(16_000 * 3)].to_vec(),
        frames: recording.frames.iter().take(5).cloned().collect(),
    };
    let warm_options = ReplayOptions {
        server: base.clone(),
        language: "en".into(),
        ..Default::default()
    };
    replay(&warm, &warm_options, |_| {}).await.map_err(err)?;

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..options.sessions {
        let recording = recording.clone();
        let options = ReplayOptions {
            server: base.clone(),
            language: "en".into(),
            realtime: true,
            timeout: Duration::from_secs(900),
            hello: json!({"video_fps": 5})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        };
        tasks.push(tokio::spawn(async move {
            // Candidates do not all start in the same instant.
            tokio::time::sleep(Duration::from_millis(700 * i as u64)).await;
            replay(&recording, &options, |_| {}).await
        }));
    }
    let mut summaries: Vec<Result<ReplaySummary, String>> = Vec::new();
    for task in tasks {
        summaries.push(match task.await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        });
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_before.zip(cpu_seconds()).map(|(a, b)| b - a);
    let (rss, peak) = rss_mb();
    if let Some((stop, running)) = local {
        let _ = stop.send(());
        let _ = running.await;
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = format!(
        "live stream load: {} sessions × {:.0} s answer (16 kHz audio{}; whisper-base streaming), {cores} cores, {}\n\n",
        options.sessions,
        recording.duration(),
        if recording.frames.is_empty() {
            String::new()
        } else {
            format!(" + camera {:.0} fps, analysed at 5 fps", options.camera_fps)
        },
        options.server.as_deref().unwrap_or("local server"),
    );
    out += &format!(
        "{:<8} {:>6} {:>12} {:>12} {:>7} {:>12} {:>12} {:>9} {:>8} {:>9}\n",
        "session",
        "RTF",
        "final lag p50",
        "p95 s",
        "nudges",
        "server p50 ms",
        "p99 ms",
        "analysed",
        "dropped",
        "score s"
    );
    let mut all_server = Vec::new();
    let mut all_client = Vec::new();
    let mut all_lags = Vec::new();
    let mut realtime_sessions = 0;
    for (i, summary) in summaries.iter().enumerate() {
        let summary = match summary {
            Ok(summary) => summary,
            Err(e) => {
                out += &format!("{i:<8} failed: {e}\n");
                continue;
            }
        };
        let server: Vec<f64> = summary
            .of_type("nudge")
            .filter_map(|n| n["latency_ms"].as_f64())
            .map(|v| v / 1000.0)
            .collect();
        let frames = summary
            .of_type("metrics")
            .filter(|m| m["source"] == "video")
            .last()
            .map(|m| m["frames"].clone())
            .unwrap_or_default();
        let rtf = summary.real_time_factor;
        if rtf.is_some_and(|r| r <= 1.05)
            && percentile(&summary.final_lags, 95.0).is_some_and(|l| l <= 5.0)
        {
            realtime_sessions += 1;
        }
        out += &format!(
            "{i:<8} {:>6} {:>12} {:>12} {:>7} {:>12} {:>12} {:>9} {:>8} {:>9}\n",
            secs(rtf),
            secs(percentile(&summary.final_lags, 50.0)),
            secs(percentile(&summary.final_lags, 95.0)),
            server.len(),
            ms(percentile(&server, 50.0)),
            ms(percentile(&server, 99.0)),
            frames["analysed"]
                .as_u64()
                .map_or("-".into(), |v| v.to_string()),
            frames["dropped"]
                .as_u64()
                .map_or("-".into(), |v| v.to_string()),
            secs(summary.answer_to_score_seconds),
        );
        all_server.extend(server);
        all_client.extend(summary.nudge_latencies.iter().copied());
        all_lags.extend(summary.final_lags.iter().copied());
    }
    out += &format!(
        "\nall sessions: nudge latency (evidence closed → sent, server) p50 {} ms, p99 {} ms over {} nudges\n",
        ms(percentile(&all_server, 50.0)),
        ms(percentile(&all_server, 99.0)),
        all_server.len()
    );
    out += &format!(
        "              nudge as seen by the client (evidence end in the recording → received, incl. transcription lag) p50 {} ms, p99 {} ms\n",
        ms(percentile(&all_client, 50.0)),
        ms(percentile(&all_client, 99.0)),
    );
    out += &format!(
        "              final transcript lag (end of speech → received) p50 {} s, p95 {} s\n",
        secs(percentile(&all_lags, 50.0)),
        secs(percentile(&all_lags, 95.0)),
    );
    if options.server.is_none() {
        out += &format!(
            "process (server + {} clients): CPU {} of {cores} cores over {wall:.0} s, RSS {} MB now, peak {} MB\n",
            options.sessions,
            cpu.map_or("-".into(), |c| format!("{:.0} %", 100.0 * c / wall / cores as f64)),
            rss.map_or("-".into(), |v| format!("{v:.0}")),
            peak.map_or("-".into(), |v| format!("{v:.0}")),
        );
    }
    out += &format!(
        "real time (RTF ≤ 1.05 and final lag p95 ≤ 5 s): {realtime_sessions} of {} sessions; goal ≥ 8 sessions with nudge p99 ≤ 200 ms\n",
        options.sessions
    );
    Ok(out)
}

pub struct SoakOptions {
    /// Nodes of one deployment (`http://host:port`), sharing a database and NATS.
    pub servers: Vec<String>,
    /// Candidates at once.
    pub sessions: usize,
    pub minutes: f64,
    pub clip: Option<PathBuf>,
    pub camera_fps: f64,
}

pub struct SoakReport {
    pub table: String,
    /// No errors, no audio lost, and no node's memory grew by more than 10 % from the second
    /// minute to the last.
    pub passed: bool,
}

/// One answer of the soak, as its client saw it.
struct SoakAnswer {
    node: usize,
    moved: bool,
    result: Result<AnswerSeen, String>,
}

struct AnswerSeen {
    audio_sent: f64,
    audio_received: f64,
    score_seconds: Option<f64>,
    /// Sending time over the recording's length: above 1 when the node held the client back.
    real_time_factor: Option<f64>,
    errors: Vec<String>,
}

/// Resident memory of a node, from its `/metrics`, in MB.
fn node_memory_mb(server: &str) -> Option<f64> {
    let (_, addr) = crate::replay::host_port(server).ok()?;
    let (_, text) = crate::bench::http_text(addr, "GET", "/metrics", None, None).ok()?;
    text.lines()
        .find(|l| l.starts_with("mianshi_process_resident_memory_bytes "))?
        .split_whitespace()
        .nth(1)?
        .parse::<f64>()
        .ok()
        .map(|bytes| bytes / 1024.0 / 1024.0)
}

/// Starts an interview on `server` for the soak; its id and candidate token.
fn soak_session(server: &str, n: usize) -> Result<(String, String), String> {
    let (_, addr) = crate::replay::host_port(server).map_err(|e| e.to_string())?;
    let (status, body) = crate::bench::http(
        addr,
        "POST",
        "/api/interview/start",
        None,
        Some(&json!({"user_id": format!("soak-{n}"), "metadata": {"language": "en", "questions": 30}})),
    )
    .map_err(|e| e.to_string())?;
    match (
        body["session_id"].as_str(),
        body["candidate_token"].as_str(),
    ) {
        (Some(id), Some(token)) => Ok((id.to_owned(), token.to_owned())),
        _ => Err(format!("start: {status} {body}")),
    }
}

/// `mianshi bench live --soak-minutes M --server A --server B …`: every session answers one
/// question after another for M minutes, each answer on the next node (so every answer after
/// the first is a move between nodes), while each node's memory is read every 10 s.
pub async fn soak(options: SoakOptions) -> Result<SoakReport, ServerError> {
    let dir = tempfile::tempdir().map_err(ServerError::Serve)?;
    // The nodes load their own models; this side needs only the recordings.
    let recording = load_recording(
        &["speech-test-clips", "vision-test-webcam"],
        options.clip.clone(),
        options.camera_fps,
        dir.path(),
    )
    .await?;
    let recording = std::sync::Arc::new(recording);
    let servers = std::sync::Arc::new(options.servers.clone());
    let deadline = Instant::now() + Duration::from_secs_f64(options.minutes * 60.0);
    let started = Instant::now();

    let sampler = {
        let servers = servers.clone();
        tokio::spawn(async move {
            let mut samples: Vec<(f64, usize, f64)> = Vec::new();
            loop {
                let t = started.elapsed().as_secs_f64();
                for (node, server) in servers.iter().enumerate() {
                    let server = server.clone();
                    if let Ok(Some(mb)) =
                        tokio::task::spawn_blocking(move || node_memory_mb(&server)).await
                    {
                        samples.push((t, node, mb));
                    }
                }
                if Instant::now() >= deadline {
                    return samples;
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        })
    };

    let mut tasks = Vec::new();
    for i in 0..options.sessions {
        let (recording, servers) = (recording.clone(), servers.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1_500 * i as u64)).await;
            let mut answers = Vec::new();
            let mut session: Option<(String, String)> = None;
            let mut k = i;
            let mut last_node: Option<usize> = None;
            while Instant::now() < deadline {
                let node = k % servers.len();
                k += 1;
                let (id, token) = match &session {
                    Some(s) => s.clone(),
                    None => {
                        let server = servers[node].clone();
                        match tokio::task::spawn_blocking(move || soak_session(&server, i)).await {
                            Ok(Ok(s)) => {
                                session = Some(s.clone());
                                last_node = None;
                                s
                            }
                            Ok(Err(e)) => {
                                answers.push(SoakAnswer {
                                    node,
                                    moved: false,
                                    result: Err(e),
                                });
                                tokio::time::sleep(Duration::from_secs(1)).await;
                                continue;
                            }
                            Err(e) => {
                                answers.push(SoakAnswer {
                                    node,
                                    moved: false,
                                    result: Err(e.to_string()),
                                });
                                continue;
                            }
                        }
                    }
                };
                let replay_options = ReplayOptions {
                    server: servers[node].clone(),
                    session: Some(id),
                    token: Some(token),
                    language: "en".into(),
                    realtime: true,
                    timeout: Duration::from_secs(300),
                    hello: json!({"video_fps": 5})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    ..Default::default()
                };
                let moved = last_node.is_some_and(|last| last != node);
                last_node = Some(node);
                let result = replay(&recording, &replay_options, |_| {}).await;
                let result = match result {
                    Ok(summary) => {
                        if summary.of_type("session.ended").next().is_some() {
                            session = None;
                        }
                        let received = summary
                            .of_type("score")
                            .filter_map(|s| s["audio_seconds_received"].as_f64())
                            .last()
                            .unwrap_or(0.0);
                        Ok(AnswerSeen {
                            // The audio itself (the camera frames may run a little longer).
                            audio_sent: recording.audio.len() as f64 / 16_000.0,
                            real_time_factor: summary.real_time_factor,
                            audio_received: received,
                            score_seconds: summary.answer_to_score_seconds,
                            // `no_speech` answers an `answer_end` whose words were all scored
                            // at a pause already: the normal end of such an answer.
                            errors: summary
                                .of_type("error")
                                .filter(|e| e["code"] != "no_speech")
                                .map(|e| e["code"].as_str().unwrap_or("?").to_owned())
                                .collect(),
                        })
                    }
                    Err(e) => Err(e.to_string()),
                };
                answers.push(SoakAnswer {
                    node,
                    moved,
                    result,
                });
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.map_err(err)?);
    }
    let memory = sampler.await.map_err(err)?;
    let wall = started.elapsed().as_secs_f64();
    Ok(soak_table(&options, &recording, &answers, &memory, wall))
}

fn soak_table(
    options: &SoakOptions,
    recording: &Recording,
    answers: &[SoakAnswer],
    memory: &[(f64, usize, f64)],
    wall: f64,
) -> SoakReport {
    let mut out = format!(
        "live soak: {} sessions for {:.1} min over {} nodes, each answer ({:.1} s of audio{}) on the next node\n\n",
        options.sessions,
        wall / 60.0,
        options.servers.len(),
        recording.duration(),
        if recording.frames.is_empty() {
            String::new()
        } else {
            format!(" + camera at {:.0} fps", options.camera_fps)
        },
    );
    out += &format!(
        "{:<6} {:<28} {:>8} {:>7} {:>12} {:>12} {:>12} {:>9}\n",
        "node",
        "server",
        "answers",
        "errors",
        "RSS 2nd min",
        "RSS last min",
        "RSS peak MB",
        "growth"
    );
    let mut passed = true;
    let minute_mean = |node: usize, from: f64, to: f64| {
        let values: Vec<f64> = memory
            .iter()
            .filter(|(t, n, _)| *n == node && *t >= from && *t < to)
            .map(|(_, _, mb)| *mb)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let last = memory.iter().map(|(t, _, _)| *t).fold(0.0, f64::max);
    for (node, server) in options.servers.iter().enumerate() {
        let served = answers.iter().filter(|a| a.node == node).count();
        let failed = answers
            .iter()
            .filter(|a| a.node == node)
            .filter(|a| !matches!(&a.result, Ok(seen) if seen.errors.is_empty()))
            .count();
        // The first minute is warm-up (models load on first use).
        let early = minute_mean(node, 60.0, 120.0);
        let late = minute_mean(node, (last - 60.0).max(0.0), last + 1.0);
        let peak = memory
            .iter()
            .filter(|(_, n, _)| *n == node)
            .map(|(_, _, mb)| *mb)
            .fold(0.0, f64::max);
        let growth = early.zip(late).map(|(e, l)| (l - e) / e * 100.0);
        if growth.is_some_and(|g| g > 10.0) {
            passed = false;
        }
        let mb = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
        out += &format!(
            "{node:<6} {server:<28} {served:>8} {failed:>7} {:>12} {:>12} {:>12} {:>9}\n",
            mb(early),
            mb(late),
            format!("{peak:.0}"),
            growth.map_or("-".into(), |g| format!("{g:+.1} %")),
        );
    }
    let seen: Vec<&AnswerSeen> = answers
        .iter()
        .filter_map(|a| a.result.as_ref().ok())
        .collect();
    let failures: Vec<&String> = answers
        .iter()
        .filter_map(|a| a.result.as_ref().err())
        .collect();
    let error_events: Vec<&String> = seen.iter().flat_map(|s| s.errors.iter()).collect();
    let sent: f64 = seen.iter().map(|s| s.audio_sent).sum();
    let received: f64 = seen.iter().map(|s| s.audio_received).sum();
    let lost: f64 = seen
        .iter()
        .map(|s| (s.audio_sent - s.audio_received).max(0.0))
        .sum();
    let scored: Vec<f64> = seen.iter().filter_map(|s| s.score_seconds).collect();
    let moves = answers.iter().filter(|a| a.moved).count();
    out += &format!(
        "\nanswers {} (moved between nodes: {moves}), scored {}, failed {}, error events {}\n",
        answers.len(),
        scored.len(),
        failures.len(),
        error_events.len()
    );
    out += &format!(
        "audio sent {sent:.1} s, received by the servers {received:.1} s, lost {lost:.2} s\n"
    );
    let rtf: Vec<f64> = seen.iter().filter_map(|s| s.real_time_factor).collect();
    out += &format!(
        "answer end → score p50 {} s, p95 {} s, max {}; real-time factor of sending p50 {}, max {}\n",
        secs(percentile(&scored, 50.0)),
        secs(percentile(&scored, 95.0)),
        secs(scored.iter().copied().reduce(f64::max)),
        secs(percentile(&rtf, 50.0)),
        secs(rtf.iter().copied().reduce(f64::max)),
    );
    for failure in failures.iter().take(5) {
        out += &format!("failure: {failure}\n");
    }
    for code in error_events.iter().take(5) {
        out += &format!("error event: {code}\n");
    }
    if !failures.is_empty()
        || !error_events.is_empty()
        || lost > 0.05
        || scored.len() < answers.len()
    {
        passed = false;
    }
    out += &format!("result: {}\n", if passed { "PASS" } else { "FAIL" });
    SoakReport { table: out, passed }
}
