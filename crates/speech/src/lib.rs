//! Speech delivery, measured from the signal (and from a transcript when there is one):
//! speaking time, pauses, loudness, clipping and pitch from the audio; pace and fillers from
//! the words. What cannot be measured is absent with the reason — never a placeholder.
//!
//! WAV is read with hound; compressed uploads (FLAC, MP3, Ogg Vorbis/Opus, MP4/AAC, browsers'
//! WebM/Opus) go through [`container`]. Speech recognition lives in [`whisper`].

pub mod container;
pub mod streaming;
pub mod vad;
pub mod webm_stream;
pub mod wer;
pub mod whisper;

use mianshi_core::text::{filler_count, filler_spans, word_count};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpeechError {
    #[error("the audio file is empty")]
    Empty,
    #[error("the audio is {seconds:.0} s long; the limit is {limit:.0} s")]
    TooLong { seconds: u64, limit: u64 },
    #[error(
        "this audio format is not supported ({0}); send WAV, FLAC, MP3, Ogg, M4A or WebM/Opus"
    )]
    UnsupportedFormat(String),
    #[error("the audio could not be read: {0}")]
    Unreadable(String),
}

impl SpeechError {
    pub fn code(&self) -> &'static str {
        match self {
            SpeechError::Empty => "audio_empty",
            SpeechError::TooLong { .. } => "audio_too_long",
            SpeechError::UnsupportedFormat(_) => "audio_unsupported_format",
            SpeechError::Unreadable(_) => "audio_unreadable",
        }
    }
}

/// Mono samples in [-1, 1].
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl Audio {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

fn is_wav(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE"
}

fn decode_compressed(bytes: &[u8], max_seconds: u64) -> Result<Audio, SpeechError> {
    use container::ContainerError;
    match container::decode_compressed(bytes, max_seconds) {
        Ok(decoded) if decoded.samples.is_empty() => Err(SpeechError::Empty),
        Ok(decoded) => Ok(Audio {
            samples: decoded.samples,
            sample_rate: decoded.sample_rate,
        }),
        Err(ContainerError::Unreadable(why)) => Err(SpeechError::Unreadable(why)),
        Err(ContainerError::Unsupported(what)) => Err(SpeechError::UnsupportedFormat(what)),
        Err(ContainerError::TooLong { seconds, limit }) => {
            Err(SpeechError::TooLong { seconds, limit })
        }
    }
}

/// Decodes and down-mixes to mono. `max_seconds` bounds the work an upload can cause.
pub fn decode(bytes: &[u8], max_seconds: u64) -> Result<Audio, SpeechError> {
    if bytes.is_empty() {
        return Err(SpeechError::Empty);
    }
    if !is_wav(bytes) {
        return decode_compressed(bytes, max_seconds);
    }
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes))
        .map_err(|e| SpeechError::Unreadable(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate < 4000 || spec.sample_rate > 384_000 {
        return Err(SpeechError::Unreadable(format!(
            "{} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    let frames = u64::from(reader.duration());
    let seconds = frames / u64::from(spec.sample_rate);
    if seconds > max_seconds {
        return Err(SpeechError::TooLong {
            seconds,
            limit: max_seconds,
        });
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(|e| SpeechError::Unreadable(e.to_string()))?;
    let channels = usize::from(spec.channels);
    let samples = interleaved
        .chunks(channels)
        .map(|frame| (frame.iter().sum::<f32>() / channels as f32).clamp(-1.0, 1.0))
        .collect();
    Ok(Audio {
        samples,
        sample_rate: spec.sample_rate,
    })
}

/// A metric value with its unit, or the reason it is absent.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Measure {
    pub value: Option<f64>,
    pub unit: &'static str,
    /// Why the value is absent.
    pub absent_reason: Option<String>,
}

impl Measure {
    fn of(value: f64, unit: &'static str) -> Self {
        Self {
            value: Some((value * 100.0).round() / 100.0),
            unit,
            absent_reason: None,
        }
    }

    fn absent(unit: &'static str, reason: &str) -> Self {
        Self {
            value: None,
            unit,
            absent_reason: Some(reason.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SpeechMetrics {
    pub duration: Measure,
    pub speaking_time: Measure,
    pub pauses: Measure,
    pub long_pauses: Measure,
    pub longest_pause: Measure,
    pub loudness: Measure,
    pub peak: Measure,
    pub clipping: Measure,
    pub pitch_mean: Measure,
    pub pitch_range: Measure,
    pub pace: Measure,
    pub fillers: Measure,
    pub filler_rate: Measure,
    /// Pace over rolling 20 s windows (every 5 s), from word timings.
    pub pace_windows: Vec<PaceWindow>,
    /// Each filler with its time, from word timings.
    pub filler_times: Vec<TimedFiller>,
    /// Why `pace_windows` and `filler_times` are empty, when they are.
    pub timeline_absent_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PaceWindow {
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
    /// Words (Chinese characters count 1/1.5 of a word) per minute of the window.
    pub words_per_minute: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimedFiller {
    pub start: f64,
    pub end: f64,
    pub filler: String,
}

/// Mel bands of the audio features the review expert takes (Whisper's front end: Slaney
/// filterbank, log10, 8-below-max floor, scaled as Whisper does).
pub const LOG_MEL_BANDS: usize = 80;

/// The log-mel spectrogram of 16 kHz audio averaged over consecutive windows of
/// `window_seconds` (the last, partial window included): one 80-band vector per window.
pub fn pooled_log_mel(samples_16k: &[f32], window_seconds: f64) -> Vec<[f32; LOG_MEL_BANDS]> {
    let mel = whisper::mel::MelFrontEnd::new(LOG_MEL_BANDS).log_mel(samples_16k);
    let frames = mel.first().map_or(0, Vec::len);
    let per_window = ((window_seconds * 100.0).round() as usize).max(1); // 10 ms frames
    (0..frames)
        .step_by(per_window)
        .map(|start| {
            let end = (start + per_window).min(frames);
            let mut pooled = [0f32; LOG_MEL_BANDS];
            for (band, row) in pooled.iter_mut().zip(&mel) {
                *band = row[start..end].iter().sum::<f32>() / (end - start) as f32;
            }
            pooled
        })
        .collect()
}

/// Rolling pace window and its step.
pub const PACE_WINDOW_SECONDS: f64 = 20.0;
const PACE_STEP_SECONDS: f64 = 5.0;

/// [`analyze`] plus the timeline that needs word timings (Whisper's `word_timestamps`).
pub fn analyze_timed(audio: &Audio, words: &[whisper::timing::Word]) -> SpeechMetrics {
    let text: String = words.iter().map(|w| w.word.as_str()).collect();
    let mut metrics = analyze(audio, Some(&text));
    if words.is_empty() {
        metrics.timeline_absent_reason = Some("no words were recognised".into());
        return metrics;
    }
    metrics.timeline_absent_reason = None;
    // Byte offset where each word starts in `text`.
    let mut offsets = Vec::with_capacity(words.len());
    let mut at = 0;
    for w in words {
        offsets.push(at);
        at += w.word.len();
    }
    let word_at = |byte: usize| offsets.partition_point(|&o| o <= byte).saturating_sub(1);
    metrics.filler_times = filler_spans(&text)
        .into_iter()
        .map(|(start, end)| TimedFiller {
            start: words[word_at(start)].start,
            end: words[word_at(end.saturating_sub(1))].end,
            filler: text[start..end].trim().to_owned(),
        })
        .collect();
    let last = words.last().map_or(0.0, |w| w.end);
    let first = words.first().map_or(0.0, |w| w.start);
    let mut start = first;
    loop {
        let end = start + PACE_WINDOW_SECONDS;
        let spoken: String = words
            .iter()
            .filter(|w| (w.start + w.end) / 2.0 >= start && (w.start + w.end) / 2.0 < end)
            .map(|w| w.word.as_str())
            .collect();
        let seconds = (end.min(last) - start).max(1.0);
        metrics.pace_windows.push(PaceWindow {
            start: (start * 100.0).round() / 100.0,
            end: (end.min(last) * 100.0).round() / 100.0,
            words_per_minute: (f64::from(word_count(&spoken)) * 60.0 / seconds * 10.0).round()
                / 10.0,
        });
        if end >= last {
            break;
        }
        start += PACE_STEP_SECONDS;
    }
    metrics
}

const FRAME_SECONDS: f64 = 0.02;
/// A silence at least this long between speech counts as a pause.
pub const PAUSE_SECONDS: f64 = 0.5;
/// Pauses longer than this are reported on their own.
pub const LONG_PAUSE_SECONDS: f64 = 2.5;

fn db(x: f64) -> f64 {
    20.0 * x.max(1e-9).log10()
}

/// Voiced frames by energy against the recording's own noise floor.
fn voiced_frames(audio: &Audio) -> (Vec<bool>, Vec<f64>, usize) {
    let frame = ((audio.sample_rate as f64 * FRAME_SECONDS) as usize).max(1);
    let rms: Vec<f64> = audio
        .samples
        .chunks(frame)
        .map(|c| {
            (c.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / c.len() as f64).sqrt()
        })
        .collect();
    let mut sorted: Vec<f64> = rms.iter().map(|&r| db(r)).collect();
    sorted.sort_by(f64::total_cmp);
    let floor = sorted.get(sorted.len() / 10).copied().unwrap_or(-90.0);
    let loudest = sorted.last().copied().unwrap_or(-90.0);
    // Speech sits well above the floor; require −50 dBFS at least so near-silence stays silent.
    let threshold = (floor + 12.0).max(loudest - 35.0).max(-50.0);
    (rms.iter().map(|&r| db(r) > threshold).collect(), rms, frame)
}

/// Whether the audio holds voiced speech: runs of at least 60 ms of steady pitch (YIN) in
/// the human voice range adding up to 0.2 s. Silence, hum-free noise and clicks have none,
/// which keeps Whisper from inventing words for them.
pub fn has_pitched_speech(samples: &[f32], sample_rate: u32) -> bool {
    let window = (f64::from(sample_rate) * 0.04) as usize;
    let hop = (f64::from(sample_rate) * 0.02) as usize;
    if window == 0 || hop == 0 || samples.len() < window {
        return false;
    }
    let quiet = 10f64.powf(-50.0 / 20.0);
    let mut voiced_seconds = 0.0;
    let mut run: Vec<f64> = Vec::new();
    let flush = |run: &mut Vec<f64>, total: &mut f64| {
        if run.len() >= 3 {
            *total += run.len() as f64 * hop as f64 / f64::from(sample_rate);
        }
        run.clear();
    };
    for start in (0..=samples.len() - window).step_by(hop) {
        let w = &samples[start..start + window];
        let rms =
            (w.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / window as f64).sqrt();
        let pitch = if rms > quiet {
            yin(w, sample_rate)
        } else {
            None
        };
        match (pitch, run.last()) {
            (Some(p), Some(&prev)) if (p / prev - 1.0).abs() < 0.15 => run.push(p),
            (Some(p), _) => {
                flush(&mut run, &mut voiced_seconds);
                run.push(p);
            }
            (None, _) => flush(&mut run, &mut voiced_seconds),
        }
        if voiced_seconds >= 0.2 {
            return true;
        }
    }
    flush(&mut run, &mut voiced_seconds);
    voiced_seconds >= 0.2
}

/// YIN fundamental frequency of one window, 70–400 Hz; `None` when unvoiced.
fn yin(window: &[f32], sample_rate: u32) -> Option<f64> {
    let min_lag = (f64::from(sample_rate) / 400.0) as usize;
    let max_lag = ((f64::from(sample_rate) / 70.0) as usize).min(window.len() / 2);
    if max_lag <= min_lag + 2 {
        return None;
    }
    let n = window.len() - max_lag;
    let mut diff = vec![0.0f64; max_lag + 1];
    for (lag, d) in diff.iter_mut().enumerate().skip(1) {
        *d = (0..n)
            .map(|i| {
                let x = f64::from(window[i]) - f64::from(window[i + lag]);
                x * x
            })
            .sum();
    }
    // Cumulative mean normalised difference.
    let mut running = 0.0;
    let mut cmnd = vec![1.0f64; max_lag + 1];
    for lag in 1..=max_lag {
        running += diff[lag];
        cmnd[lag] = if running > 0.0 {
            diff[lag] * lag as f64 / running
        } else {
            1.0
        };
    }
    let lag = (min_lag..max_lag).find(|&l| cmnd[l] < 0.15 && cmnd[l] <= cmnd[l + 1])?;
    // Parabolic interpolation around the minimum.
    let (a, b, c) = (cmnd[lag - 1], cmnd[lag], cmnd[lag + 1]);
    let shift = if (a - 2.0 * b + c).abs() > 1e-12 {
        0.5 * (a - c) / (a - 2.0 * b + c)
    } else {
        0.0
    };
    Some(f64::from(sample_rate) / (lag as f64 + shift))
}

pub fn analyze(audio: &Audio, transcript: Option<&str>) -> SpeechMetrics {
    let (voiced, rms, frame) = voiced_frames(audio);
    let frame_seconds = frame as f64 / f64::from(audio.sample_rate);
    let speaking = voiced.iter().filter(|&&v| v).count() as f64 * frame_seconds;

    // Pauses: silent runs between the first and the last voiced frame.
    let first = voiced.iter().position(|&v| v);
    let last = voiced.iter().rposition(|&v| v);
    let mut pauses = Vec::new();
    if let (Some(first), Some(last)) = (first, last) {
        let mut run = 0usize;
        for &v in &voiced[first..=last] {
            if v {
                if run as f64 * frame_seconds >= PAUSE_SECONDS {
                    pauses.push(run as f64 * frame_seconds);
                }
                run = 0;
            } else {
                run += 1;
            }
        }
    }

    let voiced_rms: Vec<f64> = rms
        .iter()
        .zip(&voiced)
        .filter(|(_, &v)| v)
        .map(|(&r, _)| r)
        .collect();
    let peak = audio.samples.iter().fold(0.0f32, |m, &s| m.max(s.abs()));
    let clipped = audio.samples.iter().filter(|s| s.abs() >= 0.999).count();

    // Pitch on 40 ms windows centred in voiced frames (every other frame is plenty).
    let window = (f64::from(audio.sample_rate) * 0.04) as usize;
    let pitches: Vec<f64> = voiced
        .iter()
        .enumerate()
        .filter(|(i, &v)| v && i % 2 == 0)
        .filter_map(|(i, _)| {
            let start = i * frame;
            audio
                .samples
                .get(start..start + window)
                .and_then(|w| yin(w, audio.sample_rate))
        })
        .collect();

    let no_speech = "no speech was detected in the audio";
    let no_transcript =
        "needs the words: send a transcript (or let the server recognise them once its Whisper model is ready)";
    let mut metrics = SpeechMetrics {
        duration: Measure::of(audio.duration_seconds(), "s"),
        speaking_time: Measure::of(speaking, "s"),
        pauses: Measure::of(pauses.len() as f64, "count"),
        long_pauses: Measure::of(
            pauses.iter().filter(|&&p| p > LONG_PAUSE_SECONDS).count() as f64,
            "count",
        ),
        longest_pause: Measure::of(pauses.iter().copied().fold(0.0, f64::max), "s"),
        loudness: Measure::absent("dBFS", no_speech),
        peak: Measure::of(db(f64::from(peak)), "dBFS"),
        clipping: Measure::of(
            clipped as f64 * 100.0 / audio.samples.len().max(1) as f64,
            "% of samples",
        ),
        pitch_mean: Measure::absent("Hz", no_speech),
        pitch_range: Measure::absent("semitones", no_speech),
        pace: Measure::absent("words/min", no_transcript),
        fillers: Measure::absent("count", no_transcript),
        filler_rate: Measure::absent("per min", no_transcript),
        pace_windows: Vec::new(),
        filler_times: Vec::new(),
        timeline_absent_reason: Some(
            "needs word timings: recognised speech (not a sent transcript)".into(),
        ),
    };
    if !voiced_rms.is_empty() {
        let mean_square = voiced_rms.iter().map(|r| r * r).sum::<f64>() / voiced_rms.len() as f64;
        metrics.loudness = Measure::of(db(mean_square.sqrt()), "dBFS");
    }
    if pitches.len() >= 3 {
        let mut sorted = pitches.clone();
        sorted.sort_by(f64::total_cmp);
        let mean = pitches.iter().sum::<f64>() / pitches.len() as f64;
        // 10th–90th percentile, so a few octave errors do not make the range.
        let low = sorted[sorted.len() / 10];
        let high = sorted[sorted.len() * 9 / 10];
        metrics.pitch_mean = Measure::of(mean, "Hz");
        metrics.pitch_range = Measure::of(12.0 * (high / low).log2(), "semitones");
    } else if speaking > 0.0 {
        metrics.pitch_mean = Measure::absent("Hz", "no voiced pitch was found");
        metrics.pitch_range = Measure::absent("semitones", "no voiced pitch was found");
    }
    if let Some(text) = transcript.filter(|t| !t.trim().is_empty()) {
        let minutes = speaking / 60.0;
        let fillers = filler_count(text) as f64;
        if minutes > 0.0 {
            metrics.pace = Measure::of(f64::from(word_count(text)) / minutes, "words/min");
            metrics.filler_rate = Measure::of(fillers / minutes, "per min");
        } else {
            metrics.pace = Measure::absent("words/min", no_speech);
            metrics.filler_rate = Measure::absent("per min", no_speech);
        }
        metrics.fillers = Measure::of(fillers, "count");
    }
    metrics
}

/// Band-limited resampling by windowed sinc (Blackman window, 32 zero crossings each
/// side, cut-off just under the lower Nyquist frequency) — enough for speech models, whose
/// input is 16 kHz.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() || from == 0 || to == 0 {
        return samples.to_vec();
    }
    const ZEROS: f64 = 32.0;
    // The kernel is tabulated at this many points per input sample and interpolated.
    const STEPS: f64 = 256.0;
    let ratio = f64::from(to) / f64::from(from);
    let cutoff = ratio.min(1.0) * 0.97;
    let half_width = ZEROS / cutoff;
    let table: Vec<f64> = (0..=(half_width * STEPS) as usize + 1)
        .map(|i| {
            let x = i as f64 / STEPS;
            let sinc = if x < 1e-9 {
                1.0
            } else {
                let a = std::f64::consts::PI * x * cutoff;
                a.sin() / a
            };
            let t = (x / half_width).min(1.0);
            let window = 0.42
                + 0.5 * (std::f64::consts::PI * t).cos()
                + 0.08 * (2.0 * std::f64::consts::PI * t).cos();
            sinc * window
        })
        .collect();
    let kernel = |x: f64| {
        let pos = x.abs() * STEPS;
        let i = pos as usize;
        if i + 1 >= table.len() {
            return 0.0;
        }
        let frac = pos - i as f64;
        table[i] * (1.0 - frac) + table[i + 1] * frac
    };
    let out_len = (samples.len() as f64 * ratio).round() as usize;
    let last = samples.len() as isize - 1;
    (0..out_len)
        .map(|n| {
            let centre = n as f64 / ratio;
            let first = (centre - half_width).ceil() as isize;
            let end = (centre + half_width).floor() as isize;
            let mut acc = 0.0f64;
            let mut norm = 0.0f64;
            for i in first.max(0)..=end.min(last) {
                let k = kernel(i as f64 - centre);
                acc += k * f64::from(samples[i as usize]);
                norm += k;
            }
            if norm.abs() > 1e-12 {
                (acc / norm) as f32
            } else {
                0.0
            }
        })
        .collect()
}

impl Audio {
    /// The same audio at 16 kHz, what speech models take.
    pub fn to_16k(&self) -> Vec<f32> {
        resample(&self.samples, self.sample_rate, 16_000)
    }
}

/// Writes 16-bit mono WAV (tests and tools).
pub fn wav_bytes(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    if let Ok(mut writer) = hound::WavWriter::new(&mut out, spec) {
        for &s in samples {
            let _ = writer.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16);
        }
        let _ = writer.finalize();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_log_mel_has_80_bands_per_window_and_finds_the_tone() {
        // 2.5 s of a 1 kHz tone: 3 windows of 1 s (the last half full).
        let tone: Vec<f32> = (0..40_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let pooled = pooled_log_mel(&tone, 1.0);
        assert_eq!(pooled.len(), 3);
        let loudest = pooled[0]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(band, _)| band)
            .unwrap();
        // 1 kHz sits around band 27 of Whisper's 80 Slaney bands (0–8 kHz).
        assert!((22..=32).contains(&loudest), "band {loudest}");
        assert!(pooled.iter().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn timed_metrics_place_fillers_and_roll_the_pace() {
        use crate::whisper::timing::Word;
        let word = |word: &str, start: f64| Word {
            start,
            end: start + 0.3,
            word: word.into(),
            probability: 1.0,
        };
        // 45 s: two words a second for 30 s (120 wpm), then one a second (60 wpm).
        let mut words = vec![word(" Um,", 0.0)];
        for i in 1..60 {
            words.push(word(" word", f64::from(i) * 0.5));
        }
        words.push(word(" you", 30.0));
        words.push(word(" know", 30.5));
        for i in 0..14 {
            words.push(word(" word", 31.0 + f64::from(i)));
        }
        let audio = Audio {
            samples: vec![0.0; 16_000 * 46],
            sample_rate: 16_000,
        };
        let metrics = analyze_timed(&audio, &words);
        assert_eq!(metrics.timeline_absent_reason, None);
        let fillers: Vec<(&str, f64)> = metrics
            .filler_times
            .iter()
            .map(|f| (f.filler.as_str(), f.start))
            .collect();
        assert_eq!(fillers, [("Um", 0.0), ("you know", 30.0)]);
        assert_eq!(metrics.filler_times[1].end, 30.8);
        let first = &metrics.pace_windows[0];
        assert_eq!((first.start, first.end), (0.0, 20.0));
        assert!((first.words_per_minute - 120.0).abs() < 4.0, "{first:?}");
        let last = metrics.pace_windows.last().unwrap();
        assert!(last.end >= 44.0 && last.words_per_minute < 90.0, "{last:?}");
        assert!(metrics
            .pace_windows
            .windows(2)
            .all(|w| w[1].start - w[0].start == 5.0));
        assert!(analyze_timed(&audio, &[]).timeline_absent_reason.is_some());
    }

    /// A voiced sound: a 150 Hz harmonic series with a slow amplitude envelope.
    fn voice(seconds: f64, f0: f64, rate: u32, amplitude: f32) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let wave: f64 = (1..=5)
                    .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                    .sum();
                (wave * 0.6) as f32 * amplitude
            })
            .collect()
    }

    fn silence(seconds: f64, rate: u32) -> Vec<f32> {
        // A faint noise floor, as real rooms have.
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * 0.002)
            .collect()
    }

    #[test]
    fn measures_a_known_signal() {
        let rate = 16_000;
        let mut samples = Vec::new();
        samples.extend(silence(0.5, rate));
        samples.extend(voice(2.0, 150.0, rate, 0.5));
        samples.extend(silence(1.0, rate)); // a pause
        samples.extend(voice(1.5, 150.0, rate, 0.5));
        samples.extend(silence(3.0, rate)); // a long pause
        samples.extend(voice(1.0, 150.0, rate, 0.5));
        let audio = decode(&wav_bytes(&samples, rate), 600).unwrap();
        let m = analyze(
            &audio,
            Some("Um, I led the migration and, you know, cut latency by half."),
        );
        assert!((m.duration.value.unwrap() - 9.0).abs() < 0.01);
        assert!(
            (m.speaking_time.value.unwrap() - 4.5).abs() < 0.15,
            "{:?}",
            m.speaking_time
        );
        assert_eq!(m.pauses.value, Some(2.0));
        assert_eq!(m.long_pauses.value, Some(1.0));
        assert!((m.longest_pause.value.unwrap() - 3.0).abs() < 0.1);
        let pitch = m.pitch_mean.value.unwrap();
        assert!((pitch - 150.0).abs() < 3.0, "pitch {pitch}");
        assert!(m.pitch_range.value.unwrap() < 1.0);
        assert_eq!(m.clipping.value, Some(0.0));
        assert_eq!(m.fillers.value, Some(2.0));
        let pace = m.pace.value.unwrap();
        assert!((pace - 12.0 / 4.5 * 60.0).abs() < 10.0, "pace {pace}");
    }

    #[test]
    fn silence_measures_no_speech_and_says_why() {
        let audio = decode(&wav_bytes(&silence(5.0, 16_000), 16_000), 600).unwrap();
        let m = analyze(&audio, None);
        assert_eq!(m.speaking_time.value, Some(0.0));
        assert_eq!(m.loudness.value, None);
        assert!(m
            .loudness
            .absent_reason
            .as_deref()
            .unwrap()
            .contains("no speech"));
        assert!(m
            .pace
            .absent_reason
            .as_deref()
            .unwrap()
            .contains("transcript"));
    }

    #[test]
    fn loud_clipped_audio_is_reported() {
        let rate = 8_000;
        let audio = decode(&wav_bytes(&voice(2.0, 200.0, rate, 3.0), rate), 600).unwrap();
        let m = analyze(&audio, None);
        assert!(m.clipping.value.unwrap() > 5.0, "{:?}", m.clipping);
        assert!(m.peak.value.unwrap() > -0.1);
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        assert_eq!(decode(b"", 600).unwrap_err(), SpeechError::Empty);
        // Truncated containers are unreadable, not a partial result.
        assert_eq!(
            decode(b"OggS\0\0\0\0\0\0\0\0", 600).unwrap_err().code(),
            "audio_unreadable"
        );
        assert_eq!(
            decode(b"\x1a\x45\xdf\xa3webm", 600).unwrap_err().code(),
            "audio_unreadable"
        );
        assert_eq!(
            decode(b"garbage bytes", 600).unwrap_err().code(),
            "audio_unreadable"
        );
        let mut truncated = wav_bytes(&voice(1.0, 150.0, 16_000, 0.5), 16_000);
        truncated.truncate(30);
        assert!(decode(&truncated, 600).is_err());
        let long = wav_bytes(&silence(5.0, 8_000), 8_000);
        assert_eq!(decode(&long, 2).unwrap_err().code(), "audio_too_long");
    }
}
