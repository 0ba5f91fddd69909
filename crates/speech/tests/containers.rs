//! Compressed uploads decode to the right audio: every container and codec browsers and phones
//! produce (fixtures made from one espeak-ng recording by ffmpeg, under the target directory),
//! live-style WebM, truncation, garbage and the length limit.

use mianshi_speech::container::{decode_compressed, ContainerError, Decoded};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const LIMIT: u64 = 600;

/// Fixtures are generated on first use by make_fixtures.sh (needs ffmpeg, sox, espeak-ng).
fn fixture_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("audio-fixtures");
        if !dir.join(".complete").exists() {
            let status = std::process::Command::new("bash")
                .arg(root.join("tests/make_fixtures.sh"))
                .arg(&dir)
                .status()
                .expect("run make_fixtures.sh");
            assert!(status.success(), "make_fixtures.sh failed");
        }
        dir
    })
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The espeak-ng original, read with a hand-rolled parser so the WAV path is checked against
/// something other than itself.
fn reference() -> &'static (Vec<f32>, u32) {
    static REF: OnceLock<(Vec<f32>, u32)> = OnceLock::new();
    REF.get_or_init(|| {
        let b = load("speech.wav");
        assert_eq!(&b[..4], b"RIFF");
        let mut pos = 12;
        let (mut rate, mut data) = (0u32, None);
        while pos + 8 <= b.len() {
            let id = &b[pos..pos + 4];
            let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
            let body = &b[pos + 8..(pos + 8 + len).min(b.len())];
            match id {
                b"fmt " => {
                    assert_eq!(u16::from_le_bytes([body[0], body[1]]), 1, "PCM");
                    assert_eq!(u16::from_le_bytes([body[2], body[3]]), 1, "mono");
                    rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
                    assert_eq!(u16::from_le_bytes([body[14], body[15]]), 16);
                }
                b"data" => data = Some(body),
                _ => {}
            }
            pos += 8 + len + (len & 1);
        }
        let samples = data
            .unwrap()
            .chunks_exact(2)
            .map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0)
            .collect();
        (samples, rate)
    })
}

fn rms_db(x: &[f32]) -> f64 {
    let e: f64 = x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64;
    10.0 * e.max(1e-20).log10()
}

/// Energy per 10 ms, so signals at different sample rates can be compared. Frame edges are
/// placed by time, not by a rounded hop, so 22.05 kHz does not drift against 48 kHz.
fn envelope(x: &[f32], rate: u32) -> Vec<f64> {
    let edge = |i: usize| i * rate as usize / 100;
    (0..)
        .map_while(|i| {
            let (a, b) = (edge(i), edge(i + 1).min(x.len()));
            (a < x.len()).then(|| x[a..b].iter().map(|&s| f64::from(s).powi(2)).sum::<f64>())
        })
        .map(f64::sqrt)
        .collect()
}

/// Best Pearson correlation of the two envelopes over small lags (codec delays differ).
fn envelope_correlation(a: &[f64], b: &[f64]) -> f64 {
    let mut best = f64::MIN;
    for lag in -10i64..=10 {
        let pairs: Vec<(f64, f64)> = (0..a.len() as i64)
            .filter_map(|i| {
                let j = i + lag;
                (j >= 0 && (j as usize) < b.len()).then(|| (a[i as usize], b[j as usize]))
            })
            .collect();
        let n = pairs.len() as f64;
        let (ma, mb) = pairs
            .iter()
            .fold((0.0, 0.0), |(x, y), (p, q)| (x + p / n, y + q / n));
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (p, q) in &pairs {
            sab += (p - ma) * (q - mb);
            saa += (p - ma).powi(2);
            sbb += (q - mb).powi(2);
        }
        best = best.max(sab / (saa * sbb).sqrt());
    }
    best
}

fn check_speech(name: &str, format: &str, rate: u32) -> Decoded {
    let t = Instant::now();
    let d = decode_compressed(&load(name), LIMIT).unwrap_or_else(|e| panic!("{name}: {e}"));
    let elapsed = t.elapsed();
    let (ref_samples, ref_rate) = reference();
    let ref_secs = ref_samples.len() as f64 / f64::from(*ref_rate);
    let secs = d.samples.len() as f64 / f64::from(d.sample_rate);
    let db = rms_db(&d.samples) - rms_db(ref_samples);
    let corr = envelope_correlation(
        &envelope(ref_samples, *ref_rate),
        &envelope(&d.samples, d.sample_rate),
    );
    eprintln!(
        "{name:24} {:10} {} Hz {secs:.3} s (ref {ref_secs:.3}) rms {db:+.2} dB env-corr {corr:.3} in {elapsed:?}",
        d.format, d.sample_rate
    );
    assert_eq!(d.format, format, "{name}");
    assert_eq!(d.sample_rate, rate, "{name}");
    assert!(
        (secs - ref_secs).abs() <= 0.1,
        "{name}: {secs} s vs {ref_secs} s"
    );
    assert!(db.abs() < 3.0, "{name}: RMS differs by {db:.2} dB");
    assert!(corr > 0.9, "{name}: envelope correlation {corr:.3}");
    assert!(
        d.samples.iter().all(|s| (-1.0..=1.0).contains(s)),
        "{name}: out of range"
    );
    d
}

/// Best normalised cross-correlation of `x` against `reference` within ±`max_lag` samples.
fn best_lag(reference: &[f32], x: &[f32], max_lag: i64) -> (i64, f64) {
    let n = reference.len().min(x.len()) as i64;
    let mut best = (0, f64::MIN);
    for lag in -max_lag..=max_lag {
        let (mut sxy, mut sxx, mut syy) = (0.0f64, 0.0f64, 0.0f64);
        for i in max_lag..n - max_lag {
            let (a, b) = (
                f64::from(reference[i as usize]),
                f64::from(x[(i + lag) as usize]),
            );
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        let c = sxy / (sxx * syy).sqrt();
        if c > best.1 {
            best = (lag, c);
        }
    }
    best
}

/// Waveform-level check at 48 kHz: Opus output must line up with the input sample-for-sample
/// (pre-skip applied exactly once) and match it closely, not just in loudness.
#[test]
fn opus_output_is_sample_aligned_with_source() {
    let reference = decode_compressed(&load("speech_stereo48_f32.wav"), LIMIT).unwrap();
    for name in [
        "speech.opus",
        "speech.webm",
        "speech_live.webm",
        "speech_pcm.mka",
    ] {
        let d = decode_compressed(&load(name), LIMIT).unwrap();
        // Seconds 1-3 hold speech; ±400 samples covers a missing or doubled 312-sample
        // pre-skip.
        let (lag, corr) = best_lag(
            &reference.samples[48_000..144_000],
            &d.samples[48_000..144_000],
            400,
        );
        eprintln!("{name:20} lag {lag:+4} samples, waveform correlation {corr:.3}");
        // libopus's own analysis delay leaves a couple of samples of offset.
        assert!(lag.abs() <= 4, "{name}: lag {lag}");
        assert!(corr > 0.9, "{name}: {corr}");
    }
}

#[test]
fn wav_mono_22k() {
    check_speech("speech.wav", "wav", 22_050);
}

#[test]
fn wav_stereo_44k_is_averaged_not_summed() {
    check_speech("speech_stereo44.wav", "wav", 44_100);
}

#[test]
fn wav_float_stereo_48k() {
    check_speech("speech_stereo48_f32.wav", "wav", 48_000);
}

#[test]
fn flac() {
    check_speech("speech.flac", "flac", 22_050);
}

#[test]
fn mp3() {
    check_speech("speech.mp3", "mp3", 44_100);
}

#[test]
fn ogg_vorbis() {
    check_speech("speech.ogg", "ogg/vorbis", 44_100);
}

#[test]
fn ogg_opus() {
    check_speech("speech.opus", "ogg/opus", 48_000);
}

#[test]
fn webm_opus_mono() {
    check_speech("speech.webm", "webm/opus", 48_000);
}

#[test]
fn webm_opus_stereo() {
    check_speech("speech_stereo.webm", "webm/opus", 48_000);
}

#[test]
fn webm_opus_live_unknown_size_clusters() {
    let bytes = load("speech_live.webm");
    // The fixture really has the MediaRecorder shape: 8-byte unknown sizes.
    let unknown = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    let segment = [&[0x18, 0x53, 0x80, 0x67][..], &unknown].concat();
    let cluster = [&[0x1F, 0x43, 0xB6, 0x75][..], &unknown].concat();
    assert!(bytes.windows(12).any(|w| w == segment));
    assert!(bytes.windows(12).filter(|w| *w == cluster).count() > 1);
    check_speech("speech_live.webm", "webm/opus", 48_000);
}

#[test]
fn webm_opus_live_one_byte_unknown_sizes() {
    let bytes = load("speech_live_ff.webm");
    assert!(bytes
        .windows(5)
        .any(|w| w == [0x1F, 0x43, 0xB6, 0x75, 0xFF]));
    check_speech("speech_live_ff.webm", "webm/opus", 48_000);
}

#[test]
fn matroska_pcm() {
    check_speech("speech_pcm.mka", "webm/pcm", 48_000);
}

#[test]
fn m4a_aac_moov_at_end() {
    check_speech("speech.m4a", "mp4/aac", 44_100);
}

#[test]
fn m4a_aac_faststart() {
    check_speech("speech_faststart.m4a", "mp4/aac", 44_100);
}

#[test]
fn fragmented_mp4_like_safari() {
    check_speech("speech_frag.m4a", "mp4/aac", 44_100);
}

#[test]
fn adts_aac() {
    check_speech("speech.aac", "aac", 22_050);
}

#[test]
fn wav_of_unknown_length_from_a_pipe() {
    let bytes = load("speech_piped.wav");
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    assert_eq!(
        bytes[data + 4..data + 8],
        [0xFF; 4],
        "data length should be unknown"
    );
    check_speech("speech_piped.wav", "wav", 22_050);
}

#[test]
fn webm_with_video_track() {
    check_speech("speech_av.webm", "webm/opus", 48_000);
}

#[test]
fn chained_ogg_is_unsupported() {
    let r = decode_compressed(&load("chained.opus"), LIMIT);
    assert!(matches!(r, Err(ContainerError::Unsupported(_))), "{r:?}");
}

const SPEECH: [&str; 17] = [
    "speech.wav",
    "speech_stereo44.wav",
    "speech.flac",
    "speech.mp3",
    "speech.ogg",
    "speech.opus",
    "speech.webm",
    "speech_stereo.webm",
    "speech_live.webm",
    "speech_live_ff.webm",
    "speech_pcm.mka",
    "speech.m4a",
    "speech_faststart.m4a",
    "speech_frag.m4a",
    "speech.aac",
    "speech_piped.wav",
    "speech_av.webm",
];

#[test]
fn too_long_is_reported_for_every_format() {
    for name in SPEECH {
        match decode_compressed(&load(name), 3) {
            Err(ContainerError::TooLong { seconds, limit: 3 }) => {
                assert!((4..=7).contains(&seconds), "{name}: seconds = {seconds}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn zero_limit_rejects_any_audio() {
    assert!(matches!(
        decode_compressed(&load("speech.opus"), 0),
        Err(ContainerError::TooLong { limit: 0, .. })
    ));
}

#[test]
fn hour_long_file_is_rejected_without_decoding_it() {
    let bytes = load("long_silence.flac");
    let t = Instant::now();
    let r = decode_compressed(&bytes, 60);
    let limited = t.elapsed();
    eprintln!("1 h FLAC, limit 60 s: {r:?} after {limited:?}");
    // Declared length is reported, though decoding stopped just past the limit.
    assert!(
        matches!(
            r,
            Err(ContainerError::TooLong {
                seconds: 3600,
                limit: 60
            })
        ),
        "{r:?}"
    );

    let t = Instant::now();
    let full = decode_compressed(&bytes, 4000).expect("full decode");
    let unlimited = t.elapsed();
    eprintln!("1 h FLAC, full decode: {unlimited:?}");
    assert_eq!(full.samples.len(), 3600 * 8000);
    // Stopping at 60 s of 3600 s should be an order of magnitude cheaper.
    assert!(limited * 10 < unlimited, "{limited:?} vs {unlimited:?}");
}

fn expect_unreadable(what: &str, bytes: &[u8]) {
    match decode_compressed(bytes, LIMIT) {
        Err(ContainerError::Unreadable(msg)) => eprintln!("{what:40} -> Unreadable({msg})"),
        other => panic!(
            "{what}: expected Unreadable, got {:?}",
            other.map(|d| d.format)
        ),
    }
}

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed.max(1);
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

#[test]
fn garbage_is_unreadable() {
    let mut rng = xorshift(42);
    let random: Vec<u8> = (0..200_000).map(|_| rng() as u8).collect();
    let text = "The quick brown fox. ".repeat(2000).into_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("one byte", vec![0x1A]),
        ("zeros", vec![0; 100_000]),
        ("0xFF run (MP3 sync everywhere)", vec![0xFF; 100_000]),
        ("random", random.clone()),
        ("text", text),
        (
            "JSON",
            br#"{"audio": "not really", "n": [1,2,3,4,5,6,7,8,9]}"#.to_vec(),
        ),
        (
            "RIFF header, zero length",
            b"RIFF\0\0\0\0WAVEfmt \0\0\0\0".to_vec(),
        ),
        (
            "RIFF + random",
            [&b"RIFF\xff\xff\x00\x00WAVE"[..], &random[..5000]].concat(),
        ),
        (
            "OggS + random",
            [&b"OggS\0\x02"[..], &random[..5000]].concat(),
        ),
        ("fLaC + random", [&b"fLaC"[..], &random[..5000]].concat()),
        (
            "ID3 + random",
            [&b"ID3\x04\0\0\0\0\x01\0"[..], &random[..5000]].concat(),
        ),
        (
            "ftyp + random",
            [&b"\0\0\0\x18ftypM4A "[..], &random[..5000]].concat(),
        ),
        (
            "EBML magic + random",
            [&[0x1A, 0x45, 0xDF, 0xA3][..], &random[..5000]].concat(),
        ),
        ("EBML header only", load("speech_live.webm")[..40].to_vec()),
        ("PNG", [&b"\x89PNG\r\n\x1a\n"[..], &random[..5000]].concat()),
    ];
    for (what, bytes) in cases {
        expect_unreadable(what, &bytes);
    }
}

#[test]
fn truncated_files_are_unreadable() {
    // A WAV of unknown length has nothing to be truncated against; see below for live WebM.
    for name in SPEECH.iter().filter(|n| **n != "speech_piped.wav") {
        let bytes = load(name);
        for frac in [0.05, 0.5, 0.9] {
            let cut = (bytes.len() as f64 * frac) as usize;
            expect_unreadable(
                &format!("{name} cut to {:.0}%", frac * 100.0),
                &bytes[..cut],
            );
        }
    }
}

/// Documents the limit of truncation detection: a live WebM (no Duration) cut exactly between
/// two clusters is a valid, shorter recording.
#[test]
fn live_webm_cut_at_a_cluster_boundary_is_just_shorter() {
    let bytes = load("speech_live.webm");
    let cluster = [0x1F, 0x43, 0xB6, 0x75];
    let cut = bytes.windows(4).rposition(|w| w == cluster).unwrap();
    let d = decode_compressed(&bytes[..cut], LIMIT).unwrap();
    let secs = d.samples.len() as f64 / 48_000.0;
    eprintln!("live webm cut before its last cluster: {secs:.3} s");
    assert!(secs > 4.0 && secs < 6.5, "{secs}");
}

/// Random corruption of real files must never panic out of, hang in, or abort the decoder.
/// The result may be Ok (a flipped bit in the middle of audio is still audio) or any error.
#[test]
fn mutated_files_do_not_escape() {
    let mut rng = xorshift(7);
    let deadline = Duration::from_secs(5);
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for name in SPEECH {
        let original = load(name);
        for _ in 0..100 {
            let mut b = original.clone();
            match rng() % 4 {
                // Flip a few bytes, biased to the header where parsers make decisions.
                0 | 1 => {
                    for _ in 0..1 + rng() % 8 {
                        let span = if rng() & 1 == 0 {
                            512.min(b.len())
                        } else {
                            b.len()
                        };
                        let i = (rng() as usize) % span;
                        b[i] = rng() as u8;
                    }
                }
                // Cut at a random point.
                2 => b.truncate((rng() as usize) % b.len()),
                // Duplicate a chunk elsewhere (desynchronises sizes and timestamps).
                _ => {
                    let i = (rng() as usize) % b.len();
                    let n = ((rng() as usize) % 4096).min(b.len() - i);
                    let chunk = b[i..i + n].to_vec();
                    let at = (rng() as usize) % b.len();
                    b.splice(at..at, chunk);
                }
            }
            let t = Instant::now();
            let r = decode_compressed(&b, LIMIT);
            assert!(t.elapsed() < deadline, "{name}: took {:?}", t.elapsed());
            let key = match r {
                Ok(_) => "ok".to_string(),
                Err(ContainerError::Unreadable(m)) if m.starts_with("decoder panicked") => {
                    format!("caught panic: {m}")
                }
                Err(ContainerError::Unreadable(_)) => "unreadable".to_string(),
                Err(ContainerError::Unsupported(m)) => format!("unsupported: {m}"),
                Err(ContainerError::TooLong { .. }) => "too long".to_string(),
            };
            *outcomes.entry(key).or_default() += 1;
        }
    }
    eprintln!("mutation outcomes: {outcomes:#?}");
}

/// MediaRecorder pieces: the WebM stream cut at arbitrary byte offsets, fed one at a time,
/// gives the same audio as decoding the whole file.
#[test]
fn webm_streams_piece_by_piece_like_media_recorder_chunks() {
    use mianshi_speech::webm_stream::{starts_webm, WebmAudioStream};
    for name in [
        "speech_live.webm",
        "speech_live_ff.webm",
        "speech_stereo.webm",
        "speech_av.webm",
    ] {
        let bytes = load(name);
        assert!(starts_webm(&bytes));
        let whole = mianshi_speech::decode(&bytes, LIMIT).unwrap().to_16k();
        let mut stream = WebmAudioStream::new();
        let mut streamed = Vec::new();
        // Uneven piece sizes, so cuts fall inside headers, sizes and blocks.
        let mut at = 0;
        for size in [1usize, 3, 17, 250, 999, 4096].iter().cycle() {
            if at >= bytes.len() {
                break;
            }
            let end = (at + size).min(bytes.len());
            streamed.extend(stream.push(&bytes[at..end]).unwrap());
            at = end;
        }
        assert!(stream.has_audio(), "{name}");
        let seconds = |x: &[f32]| x.len() as f64 / 16_000.0;
        assert!(
            (seconds(&streamed) - seconds(&whole)).abs() < 0.1,
            "{name}: {:.2} s streamed vs {:.2} s whole",
            seconds(&streamed),
            seconds(&whole)
        );
        assert!(
            (rms_db(&streamed) - rms_db(&whole)).abs() < 1.0,
            "{name}: {:.1} dB vs {:.1} dB",
            rms_db(&streamed),
            rms_db(&whole)
        );
    }
    // Not WebM at all: refused, not panicked on.
    let mut stream = WebmAudioStream::new();
    assert!(stream.push(&[0u8; 64]).is_err());
}
