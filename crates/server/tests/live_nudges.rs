//! A recorded talking-head interview answer replayed through the live stream at recording
//! pace, with the replay client (`mianshi stream`): transcripts, metrics about every second,
//! the nudges the clip was made to trigger, then the score and the next question.
//!
//! The clip (`replay::demo_clip`) is assembled with ffmpeg from real recordings: a webcam
//! talking head that looks away for 6.5 s from 12 s on, and recorded English sentences sped
//! up 1.3× (≈ 250 words per minute) as the sound track.

mod common;

use std::path::PathBuf;

use common::TestServer;
use mianshi_server::replay::{demo_clip, replay, Recording, ReplayOptions};
use serde_json::{json, Value};

fn fetched(name: &str) -> PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

fn kinds(events: &[Value], kind: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_replayed_talking_head_answer_gets_transcripts_metrics_nudges_and_the_next_question() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_owned();
    let recording = tokio::task::spawn_blocking(move || {
        common::fetch_live_models();
        let clip = demo_clip(
            &fetched("vision-test-webcam"),
            &fetched("speech-test-clips"),
            &dir_path,
        )
        .unwrap();
        Recording::open(&clip, 10.0).unwrap()
    })
    .await
    .unwrap();
    assert!((recording.duration() - 25.0).abs() < 0.5);
    assert!(recording.frames.len() >= 240, "{}", recording.frames.len());

    // No review checkpoint: behaviour scores come from the rule engine (and say so).
    let server = TestServer::start_configured(
        mianshi_store::test_support::TestDatabase::sqlite(),
        Some(mianshi_models::user_model_dir()),
        mianshi_server::ConfigLayer {
            review_model: Some(dir.path().join("no-checkpoint")),
            ..Default::default()
        },
    )
    .await;
    let options = ReplayOptions {
        server: server.base.clone(),
        language: "en".into(),
        realtime: true,
        speed: 1.0,
        hello: json!({"video_fps": 5}).as_object().unwrap().clone(),
        ..Default::default()
    };
    let summary = replay(&recording, &options, |_| {}).await.unwrap();
    let events = &summary.events;
    let nudges = kinds(events, "nudge");
    for event in events
        .iter()
        .filter(|e| e["type"] == "nudge" || e["type"] == "transcript.final")
    {
        let mut shown = event.clone();
        shown["words"] = json!(null);
        eprintln!("{shown}");
    }
    eprintln!(
        "real-time factor {:?}, nudge latencies {:?}",
        summary.real_time_factor, summary.nudge_latencies
    );

    // Transcripts: partials while he speaks, finals with the words.
    assert!(kinds(events, "transcript.partial").len() >= 5);
    let finals = kinds(events, "transcript.final");
    let text: String = finals
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(text.contains("quick brown fox"), "{text}");

    // Metrics about once a second, from the microphone and from the camera.
    let metrics = kinds(events, "metrics");
    let video: Vec<&Value> = metrics.iter().filter(|m| m["source"] == "video").collect();
    let audio = metrics.len() - video.len();
    assert!(audio >= 15, "{audio} audio metrics events in 25 s");
    assert!(
        video.len() >= 15,
        "{} video metrics events in 25 s",
        video.len()
    );
    let last = video.last().unwrap();
    assert!(last["frames"]["analysed"].as_u64().unwrap() >= 60, "{last}");

    // The nudges the clip was made for, with their evidence.
    let pace = nudges
        .iter()
        .find(|n| n["kind"] == "pace_fast")
        .expect("sped-up speech is too fast");
    assert!(
        pace["evidence"]["values"]["words_per_minute"]
            .as_f64()
            .unwrap()
            > 180.0
    );
    assert_eq!(pace["evidence"]["source"], "audio");
    assert!(pace["message"].as_str().unwrap().contains("fast"));
    let away = nudges
        .iter()
        .find(|n| n["kind"] == "look_away")
        .expect("the 6.5 s look-away is nudged");
    let (start, end) = (
        away["evidence"]["start"].as_f64().unwrap(),
        away["evidence"]["end"].as_f64().unwrap(),
    );
    // He turns away at 12 s of the clip; the nudge covers 5 s of it.
    assert!((11.5..14.0).contains(&start), "{away}");
    assert!((end - start - 5.0).abs() < 0.5, "{away}");
    // Every nudge is one of the catalogue's, sent soon after the data that closed its
    // evidence window arrived (the budget is 200 ms; a debug build on a busy CI machine gets
    // more room).
    let catalogue = mianshi_review::Catalogue::built_in();
    for nudge in &nudges {
        assert!(catalogue.kinds.iter().any(|k| k.id == nudge["kind"]));
        assert!(nudge["latency_ms"].as_f64().unwrap() < 1_000.0, "{nudge}");
    }

    // Behaviour scores every 5 s of audio, from the rules, with the camera dimensions
    // present; the window where he looks away has the lowest focus.
    let behaviour = kinds(events, "behaviour");
    assert!(behaviour.len() >= 4, "{} behaviour events", behaviour.len());
    for b in &behaviour {
        assert_eq!(b["source"], "rules", "{b}");
        for d in mianshi_review::DIMENSIONS {
            let v = &b["scores"][d];
            assert!(
                v.is_null() || (0.0..=100.0).contains(&v.as_f64().unwrap()),
                "{b}"
            );
        }
    }
    let focus: Vec<f64> = behaviour
        .iter()
        .filter_map(|b| b["scores"]["focus"].as_f64())
        .collect();
    eprintln!("focus per window {focus:?}");
    assert!(focus.len() >= 3, "{focus:?}");
    assert!(
        focus.iter().cloned().fold(f64::MAX, f64::min) < focus[0] - 10.0,
        "looking away lowers focus: {focus:?}"
    );
    let evidence = behaviour[0]["evidence"].to_string();
    assert!(evidence.contains("at_camera_pct"), "{evidence}");

    // After answer_end: the score with the answer's delivery summary, then the next question.
    let score_at = events.iter().position(|e| e["type"] == "score").unwrap();
    assert!(events[score_at]["score"]["overall"].is_number());
    let delivery = &events[score_at]["delivery"];
    assert_eq!(delivery["source"], "rules", "{delivery}");
    assert!(delivery["windows"].as_u64().unwrap() >= 4, "{delivery}");
    assert_eq!(delivery["scores"][3]["dimension"], "focus");
    assert!(delivery["scores"][3]["value"].is_number(), "{delivery}");
    // Its timeline: every window in order, and the tips shown during the answer.
    let timeline = delivery["timeline"].as_array().unwrap();
    assert_eq!(timeline.len() as u64, delivery["windows"].as_u64().unwrap());
    let times: Vec<f64> = timeline
        .iter()
        .map(|p| p["seconds"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[1] > w[0]), "{times:?}");
    let tips: Vec<&str> = delivery["nudges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(
        tips.contains(&"look_away") && tips.contains(&"pace_fast"),
        "{tips:?}"
    );
    assert!(events[score_at..].iter().any(|e| e["type"] == "question"));
    // The summary is kept with the answer.
    let session = summary.session_id.clone();
    let results = server
        .get(&format!("/api/interview/results/{session}"))
        .await;
    assert!(
        results.body["delivery"]["windows"].as_u64().unwrap() >= 4,
        "the interview's delivery: {}",
        results.body["delivery"]
    );
    let stored = results.body.to_string();
    assert!(
        stored.contains("\"delivery\"") && stored.contains("at_camera_pct"),
        "{stored}"
    );
    server.stop().await;
}
