//! Whisper base on real recorded clips with reference transcripts (pytest-audioeval, fetched
//! through the model manifest like every model): word and character error rates, language
//! detection, long audio across 30 s windows, and no text for silence or noise.

use mianshi_speech::wer::{self, chinese_chars, edit_distance, english_words};
use mianshi_speech::whisper::{TranscribeOptions, Transcript, Whisper};

mod common;

use common::{clip, fetched, vad, whisper};

fn transcribe(model: &Whisper, samples: &[f32], language: &str, beam: usize) -> Transcript {
    model
        .transcribe(
            samples,
            &TranscribeOptions {
                language: Some(language.to_owned()),
                beam_size: beam,
                ..TranscribeOptions::default()
            },
        )
        .expect("transcribes")
}

/// Whisper base, greedy or with a beam.
fn run(samples: &[f32], language: &str, beam: usize) -> Transcript {
    transcribe(&whisper(), samples, language, beam)
}

/// `model`'s word error rate on the English clips, with the language given and detected.
fn english_wer(model: &Whisper) -> f64 {
    let (mut errors, mut words) = (0, 0);
    for name in ENGLISH {
        let (samples, reference) = clip(name);
        for language in ["en", "auto"] {
            let transcript = transcribe(model, &samples, language, 1);
            assert_eq!(transcript.language, "en", "{name}: {transcript:?}");
            let (e, n) = wer::errors(&reference, &transcript.text, "en");
            eprintln!(
                "{} {name} [{language}]: {:?} (errors {e}/{n})",
                model.name(),
                transcript.text
            );
            errors += e;
            words += n;
        }
    }
    errors as f64 / words as f64
}

const ENGLISH: [&str; 3] = ["en_counting", "en_hello_world", "en_quick_brown_fox"];
const CHINESE: [&str; 3] = ["zh_jishu", "zh_nihao_shijie", "zh_pangrama"];

#[test]
fn english_word_error_rate_with_base_is_at_most_six_percent() {
    let wer = english_wer(&whisper());
    eprintln!("English WER (whisper base, greedy): {:.1} %", wer * 100.0);
    assert!(wer <= 0.06, "WER {wer}");
}

#[test]
fn english_word_error_rate_with_tiny_en_is_at_most_ten_percent() {
    let tiny = Whisper::load(&fetched("whisper-tiny.en"), "whisper-tiny.en").expect("loads");
    assert!(!tiny.multilingual());
    let wer = english_wer(&tiny);
    eprintln!(
        "English WER (whisper tiny.en, greedy): {:.1} %",
        wer * 100.0
    );
    assert!(wer <= 0.10, "WER {wer}");
    // An English-only model refuses other languages instead of transcribing them as English.
    let (samples, _) = clip("zh_nihao_shijie");
    let options = TranscribeOptions {
        language: Some("zh".into()),
        ..TranscribeOptions::default()
    };
    assert!(matches!(
        tiny.transcribe(&samples, &options),
        Err(mianshi_speech::whisper::WhisperError::UnknownLanguage(l)) if l == "zh"
    ));
}

#[test]
fn mandarin_comes_out_in_simplified_characters_with_a_bounded_error_rate() {
    let (mut errors, mut chars) = (0, 0);
    for name in CHINESE {
        let (samples, reference) = clip(name);
        for language in ["zh", "auto"] {
            let transcript = run(&samples, language, 1);
            assert_eq!(transcript.language, "zh", "{name}: {transcript:?}");
            // 體/门 style checks: no traditional-only forms of common characters.
            assert!(
                !transcript
                    .text
                    .chars()
                    .any(|c| "們這個來時說對學會國為後們".contains(c)),
                "{name}: traditional characters in {:?}",
                transcript.text
            );
            let (r, h) = (chinese_chars(&reference), chinese_chars(&transcript.text));
            let e = edit_distance(&r, &h);
            eprintln!(
                "{name} [{language}]: {:?} (errors {e}/{})",
                transcript.text,
                r.len()
            );
            errors += e;
            chars += r.len();
        }
    }
    let cer = errors as f64 / chars as f64;
    eprintln!("Mandarin CER (whisper base, greedy): {:.1} %", cer * 100.0);
    // Whisper base on these short synthetic clips (measured: "你好事件" for 你好世界 and
    // homophones in the classical pangram; faster-whisper makes the same errors).
    assert!(cer <= 0.35, "CER {cer}");
    let (samples, _) = clip("zh_nihao_shijie");
    assert!(run(&samples, "zh", 1).text.starts_with("你好"));
}

#[test]
fn beam_search_agrees_on_clean_english() {
    let (samples, reference) = clip("en_quick_brown_fox");
    let transcript = run(&samples, "en", 4);
    assert_eq!(english_words(&transcript.text), english_words(&reference));
}

#[test]
fn long_audio_is_cut_into_windows_without_losing_words() {
    // ~50 s: every English clip three times, with 2.5 s pauses, so at least one clip
    // straddles the 30 s window boundary.
    let mut samples = Vec::new();
    let mut reference = String::new();
    for _ in 0..3 {
        for name in ENGLISH {
            let (clip, text) = clip(name);
            samples.extend(clip);
            samples.extend(std::iter::repeat_n(0.0, 40_000));
            reference.push_str(&text);
            reference.push(' ');
        }
    }
    let transcript = run(&samples, "en", 1);
    let (r, h) = (english_words(&reference), english_words(&transcript.text));
    let wer = edit_distance(&r, &h) as f64 / r.len() as f64;
    eprintln!(
        "{:.1} s → {:?} (WER {wer:.3})",
        transcript.duration, transcript.text
    );
    assert!(transcript.duration > 30.0);
    assert!(wer <= 0.1, "WER {wer}: {}", transcript.text);
    let mut last_end = 0.0;
    for segment in &transcript.segments {
        assert!(segment.start >= last_end - 0.5, "{segment:?} overlaps");
        assert!(segment.end >= segment.start && segment.end <= transcript.duration + 0.5);
        last_end = segment.end;
    }
}

#[test]
fn word_timestamps_land_on_the_spoken_words() {
    // Three clips with 2 s gaps: each clip's first word must start near where the clip was
    // placed, and its last word end before the gap is over.
    let mut samples = vec![0.0f32; 16_000];
    let mut placed = Vec::new();
    for name in ENGLISH {
        let (clip, text) = clip(name);
        let start = samples.len() as f64 / 16_000.0;
        samples.extend(&clip);
        placed.push((start, samples.len() as f64 / 16_000.0, text));
        samples.extend(std::iter::repeat_n(0.0, 32_000));
    }
    for language in ["en", "auto"] {
        let transcript = whisper()
            .transcribe(
                &samples,
                &TranscribeOptions {
                    language: Some(language.into()),
                    word_timestamps: true,
                    ..TranscribeOptions::default()
                },
            )
            .expect("transcribes");
        let words: Vec<_> = transcript.segments.iter().flat_map(|s| &s.words).collect();
        for w in &words {
            eprintln!(
                "{:6.2}–{:6.2} {:.2} {:?}",
                w.start, w.end, w.probability, w.word
            );
        }
        // Every segment's words spell its text, in time order, inside the audio.
        for segment in &transcript.segments {
            let joined: String = segment.words.iter().map(|w| w.word.as_str()).collect();
            assert_eq!(joined.trim(), segment.text, "{segment:?}");
        }
        assert!(words.windows(2).all(|p| p[0].start <= p[1].start));
        assert!(words
            .iter()
            .all(|w| w.start <= w.end && (0.0..=1.0).contains(&w.probability)));
        let mut claimed = 0;
        for (start, end, text) in &placed {
            // The gaps are 2 s: a word belongs to the clip it starts in (or just around).
            let these: Vec<_> = words
                .iter()
                .filter(|w| w.start >= start - 0.5 && w.start < end + 0.5)
                .collect();
            claimed += these.len();
            assert!(!these.is_empty(), "no words for {text:?}");
            assert!(
                (these[0].start - start).abs() <= 0.25,
                "{text:?} placed at {start:.2} s, first word {:?}",
                these[0]
            );
            let last = these.last().unwrap();
            assert!(
                (last.end - end).abs() <= 0.5,
                "{text:?} ends at {end:.2} s, last word {last:?}"
            );
        }
        assert_eq!(claimed, words.len(), "words in the gaps");
    }
    // Chinese has no spaces: every character is timed on its own.
    let (samples, _) = clip("zh_nihao_shijie");
    let transcript = whisper()
        .transcribe(
            &samples,
            &TranscribeOptions {
                language: Some("zh".into()),
                word_timestamps: true,
                ..TranscribeOptions::default()
            },
        )
        .expect("transcribes");
    let words: Vec<_> = transcript.segments.iter().flat_map(|s| &s.words).collect();
    eprintln!("{words:?}");
    assert!(words.len() >= 4, "{words:?}");
    assert!(words.iter().all(|w| w
        .word
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_punctuation() && !"，。！？".contains(*c))
        .count()
        == 1));
    assert!(words.windows(2).all(|p| p[0].end <= p[1].start + 0.02));
}

#[test]
fn with_a_vad_long_audio_is_cut_at_pauses() {
    let model = Whisper::load(&fetched("whisper-base"), "whisper-base")
        .expect("loads")
        .with_vad(vad());
    // ~38 s: the English clips with 1.5 s pauses, 15 s of silence, the clips again in another
    // order (identical text back to back makes Whisper skip repeats, VAD or not).
    let mut samples = Vec::new();
    let mut reference = String::new();
    let mut silence_start = 0.0;
    for (round, names) in [ENGLISH, [ENGLISH[2], ENGLISH[1], ENGLISH[0]]]
        .into_iter()
        .enumerate()
    {
        if round == 1 {
            silence_start = samples.len() as f64 / 16_000.0;
            samples.extend(std::iter::repeat_n(0.0, 16_000 * 15));
        }
        for name in names {
            let (clip, text) = clip(name);
            samples.extend(clip);
            samples.extend(std::iter::repeat_n(0.0, 24_000));
            reference.push_str(&text);
            reference.push(' ');
        }
    }
    let transcript = model
        .transcribe(
            &samples,
            &TranscribeOptions {
                language: Some("en".into()),
                ..TranscribeOptions::default()
            },
        )
        .expect("transcribes");
    let (r, h) = (english_words(&reference), english_words(&transcript.text));
    let wer = edit_distance(&r, &h) as f64 / r.len() as f64;
    eprintln!(
        "{:.1} s, WER {wer:.3}: {}",
        transcript.duration, transcript.text
    );
    for s in &transcript.segments {
        eprintln!("  {:6.2} – {:6.2} {}", s.start, s.end, s.text);
    }
    assert!(wer <= 0.1, "WER {wer}");
    assert!(transcript.duration > 30.0);
    // Nothing is transcribed inside the long silence.
    assert!(transcript
        .segments
        .iter()
        .all(|s| s.end <= silence_start + 0.5 || s.start >= silence_start + 14.5));
}

#[test]
fn silence_and_noise_produce_no_text() {
    let silence = vec![0.0f32; 160_000];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let white: Vec<f32> = (0..160_000).map(|_| noise() * 0.3).collect();
    // Brown noise: integrated white noise, the rumble that fools naive detectors.
    let mut level = 0.0f32;
    let brown: Vec<f32> = (0..160_000)
        .map(|_| {
            level = (level + noise() * 0.02).clamp(-0.5, 0.5) * 0.999;
            level
        })
        .collect();
    for (what, samples) in [
        ("silence", &silence),
        ("white noise", &white),
        ("brown noise", &brown),
    ] {
        for language in ["auto", "en", "zh"] {
            let transcript = run(samples, language, 1);
            assert!(
                transcript.text.trim().is_empty() && transcript.segments.is_empty(),
                "{what} [{language}] gave {:?}",
                transcript.text
            );
        }
    }
}

/// Encodes a clip the way browsers and phones send it (ffmpeg from Debian; scripts/test.sh
/// installs it).
fn encoded(name: &str, args: &[&str], extension: &str) -> Vec<u8> {
    let dir = fetched("speech-test-clips");
    let out = std::env::temp_dir().join(format!(
        "mianshi-asr-{}-{name}.{extension}",
        std::process::id()
    ));
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(dir.join(format!("{name}.wav")))
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success());
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

#[test]
fn browser_and_phone_recordings_transcribe_like_the_wav() {
    let (_, reference) = clip("en_quick_brown_fox");
    for (what, bytes) in [
        (
            "WebM/Opus 48 kHz (MediaRecorder)",
            encoded(
                "en_quick_brown_fox",
                &["-ar", "48000", "-c:a", "libopus", "-b:a", "32k"],
                "webm",
            ),
        ),
        (
            "M4A/AAC 44.1 kHz stereo (phones)",
            encoded(
                "en_quick_brown_fox",
                &["-ar", "44100", "-ac", "2", "-c:a", "aac"],
                "m4a",
            ),
        ),
        (
            "MP3 22.05 kHz",
            encoded(
                "en_quick_brown_fox",
                &["-ar", "22050", "-c:a", "libmp3lame"],
                "mp3",
            ),
        ),
    ] {
        let audio = mianshi_speech::decode(&bytes, 600).expect(what);
        let transcript = run(&audio.to_16k(), "auto", 1);
        assert_eq!(
            english_words(&transcript.text),
            english_words(&reference),
            "{what}: {:?}",
            transcript.text
        );
    }
}
