//! `POST /api/ai/analyze-speech-quality` with the seed's multipart field names.

mod common;

use common::TestServer;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

fn tone_and_pauses(rate: u32) -> Vec<f32> {
    let voice = |seconds: f64| -> Vec<f32> {
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let wave: f64 = (1..=4)
                    .map(|h| (2.0 * std::f64::consts::PI * 180.0 * h as f64 * t).sin() / h as f64)
                    .sum();
                (wave * 0.3) as f32
            })
            .collect()
    };
    let silence = |seconds: f64| vec![0.0005f32; (seconds * f64::from(rate)) as usize];
    [
        silence(0.3),
        voice(2.0),
        silence(1.2),
        voice(2.0),
        silence(0.3),
    ]
    .concat()
}

/// A WAV whose header announces 11 minutes: refused from the header, before any decoding.
fn long_header() -> Vec<u8> {
    let mut wav = mianshi_speech::wav_bytes(&vec![0.0; 8_000], 8_000);
    let announced: u32 = 8_000 * 2 * 660;
    wav[40..44].copy_from_slice(&announced.to_le_bytes());
    wav
}

#[tokio::test]
async fn speech_quality_is_measured_or_absent_with_reasons() {
    let server = TestServer::sqlite().await;
    let wav = mianshi_speech::wav_bytes(&tone_and_pauses(16_000), 16_000);
    let form = Form::new()
        .text("session_id", "s-1")
        .text("language", "en")
        .text(
            "transcript",
            "Um, so I led the migration, you know, and we cut latency in half.",
        )
        .part(
            "audio_file",
            Part::bytes(wav.clone()).file_name("answer.wav"),
        );
    let reply = server
        .multipart("/api/ai/analyze-speech-quality", form)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let m = &reply.body["metrics"];
    assert_eq!(reply.body["session_id"], "s-1");
    assert!(
        (m["speaking_time"]["value"].as_f64().unwrap() - 4.0).abs() < 0.2,
        "{m}"
    );
    assert_eq!(m["pauses"]["value"], 1.0);
    assert!(
        (m["pitch_mean"]["value"].as_f64().unwrap() - 180.0).abs() < 4.0,
        "{m}"
    );
    assert_eq!(m["fillers"]["value"], 2.0);
    assert!(m["pace"]["value"].as_f64().unwrap() > 100.0);
    assert_eq!(m["pace"]["unit"], "words/min");

    // Without a transcript, pace is absent and says why.
    let form = Form::new().part("audio_file", Part::bytes(wav).file_name("answer.wav"));
    let reply = server
        .multipart("/api/ai/analyze-speech-quality", form)
        .await;
    assert_eq!(
        reply.body["metrics"]["pace"]["value"],
        serde_json::Value::Null
    );
    assert!(reply.body["metrics"]["pace"]["absent_reason"]
        .as_str()
        .unwrap()
        .contains("transcript"));

    let cases = [
        (
            Form::new().part(
                "audio_file",
                Part::bytes(b"OggS\0\0\0\0rest".to_vec()).file_name("a.ogg"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audio_unreadable",
        ),
        (
            Form::new().part(
                "audio_file",
                Part::bytes(b"not audio at all".to_vec()).file_name("a.wav"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audio_unreadable",
        ),
        (
            Form::new().part("audio_file", Part::bytes(Vec::new()).file_name("a.wav")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audio_empty",
        ),
        (
            Form::new().text("transcript", "no audio"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new().part(
                "audio_file",
                Part::bytes(long_header()).file_name("long.wav"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "audio_too_long",
        ),
    ];
    for (form, status, code) in cases {
        server
            .multipart("/api/ai/analyze-speech-quality", form)
            .await
            .assert_error(status, code);
    }
    server.stop().await;
}

fn model_cache() -> std::path::PathBuf {
    mianshi_models::user_model_dir()
}

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

#[tokio::test]
async fn transcribe_answers_the_seeds_curl_in_chinese_and_english() {
    let clips = tokio::task::spawn_blocking(|| {
        fetched("whisper-base");
        fetched("speech-test-clips")
    })
    .await
    .unwrap();
    let server = TestServer::start_with_models(
        mianshi_store::test_support::TestDatabase::sqlite(),
        Some(model_cache()),
    )
    .await;
    // curl -X POST …/api/ai/transcribe -F session_id=… -F language=zh -F audio_file=@audio.wav
    let cases = [
        ("zh_nihao_shijie.wav", "zh", "zh", "你好"),
        (
            "en_quick_brown_fox.wav",
            "en",
            "en",
            "The quick brown fox jumps over the lazy dog.",
        ),
        (
            "en_quick_brown_fox.wav",
            "auto",
            "en",
            "The quick brown fox jumps over the lazy dog.",
        ),
        ("zh_jishu.wav", "auto", "zh", "123456789"),
    ];
    for (file, language, expected_language, expected_text) in cases {
        let wav = std::fs::read(clips.join(file)).unwrap();
        let form = Form::new()
            .text("session_id", "s-42")
            .text("language", language)
            .part("audio_file", Part::bytes(wav).file_name("audio.wav"));
        let reply = server.multipart("/api/ai/transcribe", form).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let body = &reply.body;
        assert_eq!(body["session_id"], "s-42");
        assert_eq!(body["language"], expected_language, "{body}");
        assert_eq!(body["model"], "whisper-base");
        assert!(
            body["text"].as_str().unwrap().starts_with(expected_text),
            "{file} [{language}]: {body}"
        );
        let segments = body["segments"].as_array().unwrap();
        assert!(!segments.is_empty());
        let duration = body["duration"].as_f64().unwrap();
        for s in segments {
            assert!(s["end"].as_f64().unwrap() <= duration + 0.5, "{s}");
        }
    }

    // Word timings on request.
    let wav = std::fs::read(clips.join("en_quick_brown_fox.wav")).unwrap();
    let form = Form::new()
        .text("language", "en")
        .text("word_timestamps", "true")
        .part("audio_file", Part::bytes(wav.clone()).file_name("a.wav"));
    let reply = server.multipart("/api/ai/transcribe", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let words: Vec<&serde_json::Value> = reply.body["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap())
        .collect();
    let spelled: String = words.iter().map(|w| w["word"].as_str().unwrap()).collect();
    assert_eq!(
        spelled.trim(),
        "The quick brown fox jumps over the lazy dog."
    );
    assert!(words
        .windows(2)
        .all(|p| p[0]["end"].as_f64() <= p[1]["start"].as_f64().map(|t| t + 0.02)));

    // Without a transcript, speech quality now gets the words from Whisper.
    let form = Form::new().part("audio_file", Part::bytes(wav.clone()).file_name("a.wav"));
    let reply = server
        .multipart("/api/ai/analyze-speech-quality", form)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body["transcript"]
        .as_str()
        .unwrap()
        .contains("quick brown fox"));
    assert!(
        reply.body["metrics"]["pace"]["value"].as_f64().unwrap() > 60.0,
        "{}",
        reply.body
    );
    // Recognised words are timed, so the pace timeline is there too.
    let windows = reply.body["metrics"]["pace_windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1, "{}", reply.body);
    assert!(windows[0]["words_per_minute"].as_f64().unwrap() > 60.0);
    assert_eq!(
        reply.body["metrics"]["timeline_absent_reason"],
        serde_json::Value::Null
    );

    for (form, status, code) in [
        (
            Form::new()
                .text("language", "klingon")
                .part("audio_file", Part::bytes(wav.clone()).file_name("a.wav")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new()
                .text("word_timestamps", "maybe")
                .part("audio_file", Part::bytes(wav.clone()).file_name("a.wav")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new()
                .text("beam_size", "99")
                .part("audio_file", Part::bytes(wav.clone()).file_name("a.wav")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            Form::new().part(
                "audio_file",
                Part::bytes(b"garbage".to_vec()).file_name("a.wav"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audio_unreadable",
        ),
        (
            Form::new().text("language", "zh"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ] {
        server
            .multipart("/api/ai/transcribe", form)
            .await
            .assert_error(status, code);
    }
    server.stop().await;
}

#[tokio::test]
async fn transcribe_says_the_model_is_loading_when_it_is_not_fetched_yet() {
    // The default test server has an empty model cache and does not fetch.
    let server = TestServer::sqlite().await;
    let wav = mianshi_speech::wav_bytes(&tone_and_pauses(16_000), 16_000);
    let form = Form::new().part("audio_file", Part::bytes(wav.clone()).file_name("a.wav"));
    server
        .multipart("/api/ai/transcribe", form)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "model_loading");
    // Speech quality still works, with pace absent and the reason.
    let form = Form::new().part("audio_file", Part::bytes(wav).file_name("a.wav"));
    let reply = server
        .multipart("/api/ai/analyze-speech-quality", form)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body["metrics"]["pace"]["absent_reason"]
        .as_str()
        .unwrap()
        .contains("transcript"));
    server.stop().await;
}
