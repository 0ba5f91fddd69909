//! `mianshi bench asr`: our Whisper against faster-whisper on the same clips (the recorded
//! test clips plus one long recording made from them), same CTranslate2 model file, same
//! thread count — wall time, real-time factor, error rates and peak memory side by side.
//! faster-whisper runs from a Python interpreter the caller provides (scripts/bench-asr.sh
//! makes a throwaway venv); without one only our rows are printed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mianshi_models::{manifest, ModelCache, ModelError, Silent};
use mianshi_speech::wer;
use mianshi_speech::whisper::{manifest_name, TranscribeOptions, Whisper, WhisperError};

const PEER_SCRIPT: &str = include_str!("../../../scripts/faster_whisper_bench.py");

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Whisper(#[from] WhisperError),
    #[error(transparent)]
    Speech(#[from] mianshi_speech::SpeechError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("faster-whisper run failed: {0}")]
    Peer(String),
}

struct Clip {
    name: String,
    path: PathBuf,
    language: &'static str,
    reference: String,
    seconds: f64,
}

struct Run {
    engine: String,
    load_seconds: f64,
    clip_seconds: Vec<f64>,
    texts: Vec<String>,
    peak_rss_mb: f64,
}

fn peak_rss_mb() -> f64 {
    crate::bench::process_memory_mb("VmHWM:").unwrap_or(f64::NAN)
}

fn clips(dir: &Path, work: &Path) -> Result<Vec<Clip>, BenchError> {
    let names = [
        ("en_counting", "en"),
        ("en_hello_world", "en"),
        ("en_quick_brown_fox", "en"),
        ("zh_jishu", "zh"),
        ("zh_nihao_shijie", "zh"),
        ("zh_pangrama", "zh"),
    ];
    let mut out = Vec::new();
    let mut long_samples = Vec::new();
    let mut long_text = String::new();
    for (name, language) in names {
        let path = dir.join(format!("{name}.wav"));
        let audio = mianshi_speech::decode(&std::fs::read(&path)?, 600)?;
        let reference = std::fs::read_to_string(dir.join(format!("{name}.txt")))?;
        if language == "en" {
            long_samples.extend(audio.to_16k());
            long_samples.extend(std::iter::repeat_n(0.0, 24_000));
            long_text.push_str(reference.trim());
            long_text.push(' ');
        }
        out.push(Clip {
            name: name.to_owned(),
            path,
            language,
            reference: reference.trim().to_owned(),
            seconds: audio.duration_seconds(),
        });
    }
    // A long answer: the English clips four times over, past one 30 s window.
    let one = long_samples.clone();
    let long: Vec<f32> = (0..4).flat_map(|_| one.iter().copied()).collect();
    let path = work.join("en_long.wav");
    std::fs::write(&path, mianshi_speech::wav_bytes(&long, 16_000))?;
    out.push(Clip {
        name: "en_long (4 × the English clips)".into(),
        path,
        language: "en",
        reference: long_text.repeat(4).trim().to_owned(),
        seconds: long.len() as f64 / 16_000.0,
    });
    Ok(out)
}

fn ours(model_dir: &Path, name: &str, clips: &[Clip]) -> Result<Run, BenchError> {
    let started = Instant::now();
    let model = Whisper::load(model_dir, name)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let mut run = Run {
        engine: "mianshi (candle, f32)".into(),
        load_seconds,
        clip_seconds: Vec::new(),
        texts: Vec::new(),
        peak_rss_mb: 0.0,
    };
    for clip in clips {
        let started = Instant::now();
        let audio = mianshi_speech::decode(&std::fs::read(&clip.path)?, 3600)?;
        let transcript = model.transcribe(
            &audio.to_16k(),
            &TranscribeOptions {
                language: Some(clip.language.to_owned()),
                beam_size: 1,
                ..TranscribeOptions::default()
            },
        )?;
        run.clip_seconds.push(started.elapsed().as_secs_f64());
        run.texts.push(transcript.text);
    }
    run.peak_rss_mb = peak_rss_mb();
    Ok(run)
}

fn peer(
    python: &Path,
    model_dir: &Path,
    compute_type: &str,
    threads: usize,
    clips: &[Clip],
    work: &Path,
) -> Result<Run, BenchError> {
    let script = work.join("faster_whisper_bench.py");
    std::fs::write(&script, PEER_SCRIPT)?;
    let output = Command::new(python)
        .arg(&script)
        .arg(model_dir)
        .arg(compute_type)
        .arg(threads.to_string())
        .arg("1")
        .args(
            clips
                .iter()
                .map(|c| format!("{}={}", c.path.display(), c.language)),
        )
        .output()?;
    if !output.status.success() {
        return Err(BenchError::Peer(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    let mut run = Run {
        engine: format!("faster-whisper ({compute_type})"),
        load_seconds: 0.0,
        clip_seconds: Vec::new(),
        texts: Vec::new(),
        peak_rss_mb: 0.0,
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| BenchError::Peer(format!("{e}: {line}")))?;
        if let Some(seconds) = value["seconds"].as_f64() {
            run.clip_seconds.push(seconds);
            run.texts
                .push(value["text"].as_str().unwrap_or_default().to_owned());
        } else {
            run.load_seconds = value["load_seconds"].as_f64().unwrap_or(f64::NAN);
            run.peak_rss_mb = value["peak_rss_mb"].as_f64().unwrap_or(f64::NAN);
        }
    }
    if run.clip_seconds.len() != clips.len() {
        return Err(BenchError::Peer("not every clip was transcribed".into()));
    }
    Ok(run)
}

fn error_rate(run: &Run, clips: &[Clip], language: &str) -> f64 {
    let (mut errors, mut total) = (0, 0);
    for (clip, text) in clips.iter().zip(&run.texts) {
        if clip.language == language {
            let (e, n) = wer::errors(&clip.reference, text, language);
            errors += e;
            total += n;
        }
    }
    errors as f64 / total.max(1) as f64 * 100.0
}

/// Runs the benchmark and returns the printed tables.
pub fn asr(model_dir: &Path, size: &str, peer_python: Option<&Path>) -> Result<String, BenchError> {
    let cache = ModelCache::new(model_dir);
    let name = manifest_name(size);
    let whisper = manifest().get(&name)?;
    let test_clips = manifest().get("speech-test-clips")?;
    cache.fetch(whisper, &Silent)?;
    cache.fetch(test_clips, &Silent)?;
    let work = std::env::temp_dir().join(format!("mianshi-bench-asr-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let clips = clips(&cache.model_dir(test_clips), &work)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let whisper_dir = cache.model_dir(whisper);
    let mut runs = vec![ours(&whisper_dir, &name, &clips)?];
    if let Some(python) = peer_python {
        for compute_type in ["int8", "float32"] {
            runs.push(peer(
                python,
                &whisper_dir,
                compute_type,
                threads,
                &clips,
                &work,
            )?);
        }
    }
    let _ = std::fs::remove_dir_all(&work);

    let audio_seconds: f64 = clips.iter().map(|c| c.seconds).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Whisper {size} on {} clips ({audio_seconds:.1} s of audio), {threads} threads, greedy\n",
        clips.len()
    );
    let _ = writeln!(
        out,
        "{:<26} {:>8} {:>11} {:>7} {:>9} {:>9} {:>9}",
        "engine", "load s", "transcribe s", "RTF", "en WER %", "zh CER %", "peak MB"
    );
    let ours_total: f64 = runs[0].clip_seconds.iter().sum();
    for run in &runs {
        let total: f64 = run.clip_seconds.iter().sum();
        let _ = writeln!(
            out,
            "{:<26} {:>8.2} {:>11.2} {:>7.3} {:>9.1} {:>9.1} {:>9.0}",
            run.engine,
            run.load_seconds,
            total,
            total / audio_seconds,
            error_rate(run, &clips, "en"),
            error_rate(run, &clips, "zh"),
            run.peak_rss_mb
        );
    }
    for run in &runs[1..] {
        let total: f64 = run.clip_seconds.iter().sum();
        let _ = writeln!(
            out,
            "\nratio mianshi / {}: {:.2} (transcribe time; below 1.0 means we are faster)",
            run.engine,
            ours_total / total
        );
    }
    let _ = writeln!(out, "\n{}", stream(&whisper_dir, &name, &clips)?);
    let _ = writeln!(out, "\nper clip (seconds; text)");
    for (i, clip) in clips.iter().enumerate() {
        let _ = writeln!(out, "  {} ({:.1} s audio)", clip.name, clip.seconds);
        for run in &runs {
            let _ = writeln!(
                out,
                "    {:<26} {:>6.2}  {}",
                run.engine,
                run.clip_seconds[i],
                run.texts[i].chars().take(70).collect::<String>()
            );
        }
    }
    Ok(out)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    crate::bench::percentile(sorted, p).unwrap_or(f64::NAN)
}

/// Streaming on a live-paced feed: 250 ms chunks arrive in real time and queue while an
/// update runs, so a word's lag is when the hypothesis containing it was ready minus when the
/// word was spoken — what a candidate watching the subtitles sees.
fn stream(model_dir: &Path, name: &str, clips: &[Clip]) -> Result<String, BenchError> {
    use mianshi_speech::streaming::{StreamEvent, StreamingOptions, StreamingTranscriber};
    let model = std::sync::Arc::new(Whisper::load(model_dir, name)?);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "streaming (LocalAgreement-2, 1 s step, 250 ms chunks, live pace)\n{:<10} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "language", "audio s", "update p50", "update p95", "lag p50", "lag p95", "final s", "error %"
    );
    let mut finals = Vec::new();
    for language in ["en", "zh"] {
        let mut samples = Vec::new();
        let mut reference = String::new();
        for clip in clips
            .iter()
            .filter(|c| c.language == language && !c.name.contains("long"))
        {
            let audio = mianshi_speech::decode(&std::fs::read(&clip.path)?, 600)?;
            samples.extend(audio.to_16k());
            samples.extend(std::iter::repeat_n(0.0, 8_000));
            reference.push_str(&clip.reference);
            reference.push(' ');
        }
        let mut transcriber = StreamingTranscriber::new(
            model.clone(),
            StreamingOptions {
                language: Some(language.into()),
                ..StreamingOptions::default()
            },
        );
        let (mut busy_until, mut updates, mut seen) =
            (0.0f64, Vec::new(), Vec::<(String, f64)>::new());
        for (i, chunk) in samples.chunks(4_000).enumerate() {
            let arrives = (i + 1) as f64 * 0.25;
            let started = Instant::now();
            let event = transcriber.push(chunk)?;
            let compute = started.elapsed().as_secs_f64();
            busy_until = busy_until.max(arrives) + compute;
            if compute > 0.01 {
                updates.push(compute);
            }
            if let Some(StreamEvent::Partial {
                committed,
                tentative,
                ..
            }) = event
            {
                seen.push((format!("{committed} {tentative}"), busy_until));
            }
        }
        let started = Instant::now();
        let last = transcriber.end_of_speech()?;
        let final_seconds = started.elapsed().as_secs_f64();
        let Some(StreamEvent::Final { text, words, .. }) = last else {
            continue;
        };
        let mut lags: Vec<f64> = words
            .iter()
            .filter_map(|w| {
                let key: String = w.word.chars().filter(|c| c.is_alphanumeric()).collect();
                if key.is_empty() {
                    return None;
                }
                let at = seen
                    .iter()
                    .find(|(t, _)| t.contains(&key))
                    .map_or(busy_until + final_seconds, |s| s.1);
                Some((at - w.end).max(0.0))
            })
            .collect();
        lags.sort_by(f64::total_cmp);
        updates.sort_by(f64::total_cmp);
        let (errors, total) = wer::errors(&reference, &text, language);
        let _ = writeln!(
            out,
            "{:<10} {:>7.1} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>8.1}",
            language,
            samples.len() as f64 / 16_000.0,
            percentile(&updates, 50.0),
            percentile(&updates, 95.0),
            percentile(&lags, 50.0),
            percentile(&lags, 95.0),
            final_seconds,
            errors as f64 / total.max(1) as f64 * 100.0
        );
        finals.push((language, text));
    }
    for (language, text) in &finals {
        let _ = writeln!(out, "  final {language}: {text}");
    }
    let _ = writeln!(
        out,
        "goal: partials ≤ 1 s behind speech (lag) on the default model"
    );
    Ok(out)
}
