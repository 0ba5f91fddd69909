//! Streaming transcription on real clips fed in 250 ms chunks, as a live client sends them:
//! committed text only grows, partials arrive while the audio is still coming in, and the
//! final utterance is as accurate as a whole-file transcription.

use std::time::Instant;

use mianshi_speech::streaming::{StreamEvent, StreamingOptions, StreamingTranscriber};
use mianshi_speech::wer::{chinese_chars, edit_distance, english_words};

mod common;

use common::{clip, vad, whisper};

struct Run {
    partials: Vec<(String, String, f64)>,
    finals: Vec<StreamEvent>,
    update_seconds: Vec<f64>,
}

fn stream(samples: &[f32], options: StreamingOptions, end_every: Option<usize>) -> Run {
    let mut transcriber = StreamingTranscriber::new(whisper(), options);
    let mut run = Run {
        partials: Vec::new(),
        finals: Vec::new(),
        update_seconds: Vec::new(),
    };
    for (i, chunk) in samples.chunks(4_000).enumerate() {
        let started = Instant::now();
        let event = transcriber.push(chunk).expect("streams");
        run.update_seconds.push(started.elapsed().as_secs_f64());
        if let Some(StreamEvent::Partial {
            committed,
            tentative,
            audio_seconds,
        }) = event
        {
            run.partials.push((committed, tentative, audio_seconds));
        }
        if end_every.is_some_and(|n| (i + 1) % n == 0) {
            run.finals
                .extend(transcriber.end_of_speech().expect("finishes"));
        }
    }
    run.finals
        .extend(transcriber.end_of_speech().expect("finishes"));
    run
}

#[test]
fn english_streams_with_growing_commits_and_an_accurate_final() {
    let names = ["en_counting", "en_hello_world", "en_quick_brown_fox"];
    let mut samples = Vec::new();
    let mut reference = String::new();
    for name in names {
        let (audio, text) = clip(name);
        samples.extend(audio);
        samples.extend(std::iter::repeat_n(0.0, 12_000));
        reference.push_str(&text);
        reference.push(' ');
    }
    let run = stream(
        &samples,
        StreamingOptions {
            language: Some("en".into()),
            ..StreamingOptions::default()
        },
        None,
    );
    for (committed, tentative, at) in &run.partials {
        eprintln!("{at:5.2} s  [{committed}] {tentative}");
    }
    let [StreamEvent::Final { text, words, .. }] = run.finals.as_slice() else {
        panic!("one final utterance: {:?}", run.finals);
    };
    eprintln!("final: {text}");
    let (r, h) = (english_words(&reference), english_words(text));
    let wer = edit_distance(&r, &h) as f64 / r.len() as f64;
    eprintln!("streaming WER {:.1} %", wer * 100.0);
    assert!(wer <= 0.1, "WER {wer}: {text}");

    // Committed text only ever grows, and the final keeps it.
    let mut previous = String::new();
    for (committed, _, _) in &run.partials {
        assert!(
            committed.starts_with(&previous),
            "{previous:?} → {committed:?}"
        );
        previous = committed.clone();
    }
    assert!(
        text.starts_with(&previous),
        "{previous:?} vs final {text:?}"
    );
    // It streamed: words were committed well before the audio ended.
    let total = samples.len() as f64 / 16_000.0;
    assert!(
        run.partials
            .iter()
            .any(|(c, _, at)| !c.is_empty() && *at < total - 3.0),
        "no early commits"
    );
    assert!(words.windows(2).all(|p| p[0].start <= p[1].start));

    // How far behind the speech a word first shows up, in audio time (add the update's own
    // compute time for wall time; `mianshi bench stream` reports both).
    let mut lags = Vec::new();
    for word in words {
        let key = word
            .word
            .trim()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if let Some((_, _, at)) = run
            .partials
            .iter()
            .find(|(c, t, _)| format!("{c} {t}").to_lowercase().contains(&key) && !key.is_empty())
        {
            lags.push(at - word.end);
        }
    }
    lags.sort_by(f64::total_cmp);
    let updates: Vec<f64> = run
        .update_seconds
        .iter()
        .copied()
        .filter(|&s| s > 0.001)
        .collect();
    eprintln!(
        "first-seen lag behind word end: median {:.2} s, max {:.2} s; {} updates, mean {:.2} s each",
        lags.get(lags.len() / 2).copied().unwrap_or(f64::NAN),
        lags.last().copied().unwrap_or(f64::NAN),
        updates.len(),
        updates.iter().sum::<f64>() / updates.len().max(1) as f64
    );
}

#[test]
fn mandarin_streams_in_simplified_characters() {
    let (audio, reference) = clip("zh_jishu");
    let run = stream(
        &audio,
        StreamingOptions {
            language: None,
            ..StreamingOptions::default()
        },
        None,
    );
    let [StreamEvent::Final { text, language, .. }] = run.finals.as_slice() else {
        panic!("one final utterance: {:?}", run.finals);
    };
    eprintln!("final: {text} ({language})");
    assert_eq!(language, "zh");
    let (r, h) = (chinese_chars(&reference), chinese_chars(text));
    assert!(
        edit_distance(&r, &h) as f64 / r.len() as f64 <= 0.35,
        "{text} vs {reference}"
    );
}

#[test]
fn silence_streams_nothing_and_memory_stays_bounded() {
    let silence = vec![0.0f32; 16_000 * 40];
    let run = stream(
        &silence,
        StreamingOptions {
            language: Some("en".into()),
            max_buffer_seconds: 10.0,
            ..StreamingOptions::default()
        },
        None,
    );
    assert!(run.partials.is_empty() && run.finals.is_empty());
}

#[test]
fn each_end_of_speech_closes_one_utterance() {
    let (fox, _) = clip("en_quick_brown_fox");
    let (hello, _) = clip("en_hello_world");
    let mut samples = fox.clone();
    samples.resize(16_000 * 5, 0.0);
    samples.extend(&hello);
    samples.resize(16_000 * 10, 0.0);
    // end_of_speech after every 20 chunks (5 s), as the VAD would after each answer.
    let run = stream(
        &samples,
        StreamingOptions {
            language: Some("en".into()),
            ..StreamingOptions::default()
        },
        Some(20),
    );
    let texts: Vec<&str> = run
        .finals
        .iter()
        .map(|e| match e {
            StreamEvent::Final { text, .. } => text.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].to_lowercase().contains("quick brown fox"),
        "{texts:?}"
    );
    assert!(texts[1].to_lowercase().contains("hello"), "{texts:?}");
    let starts: Vec<f64> = run
        .finals
        .iter()
        .map(|e| match e {
            StreamEvent::Final { start, .. } => *start,
            _ => unreachable!(),
        })
        .collect();
    assert!(
        starts[1] >= 4.9,
        "the second utterance is timed on the stream: {starts:?}"
    );
}

#[test]
fn with_a_vad_utterances_end_on_silence_by_themselves() {
    let (fox, _) = clip("en_quick_brown_fox");
    let (hello, _) = clip("en_hello_world");
    let mut samples = vec![0.0f32; 16_000 * 2];
    samples.extend(&fox);
    samples.resize(16_000 * 7, 0.0);
    samples.extend(&hello);
    samples.resize(16_000 * 10, 0.0);
    let mut transcriber = StreamingTranscriber::new(
        whisper(),
        StreamingOptions {
            language: Some("en".into()),
            ..StreamingOptions::default()
        },
    )
    .with_vad(vad());
    let mut finals = Vec::new();
    for chunk in samples.chunks(4_000) {
        if let Some(StreamEvent::Final {
            text, start, end, ..
        }) = transcriber.push(chunk).expect("streams")
        {
            finals.push((text, start, end, transcriber.audio_seconds()));
        }
    }
    eprintln!("{finals:?}");
    assert_eq!(finals.len(), 2, "{finals:?}");
    assert!(finals[0].0.to_lowercase().contains("quick brown fox"));
    assert!(finals[1].0.to_lowercase().contains("hello"));
    // Words are timed on the stream, leading silence included.
    assert!((finals[0].1 - 2.0).abs() < 0.5, "{finals:?}");
    assert!(finals[1].1 >= 6.9, "{finals:?}");
    // Each final came soon after its speech ended: the VAD's 0.8 s plus a chunk or two.
    for (_, _, end, heard) in &finals {
        assert!(
            heard - end < 2.0,
            "final {heard:.2} s for speech ending at {end:.2} s"
        );
    }
    // Nothing left to say.
    assert!(transcriber.end_of_speech().unwrap().is_none());
}
