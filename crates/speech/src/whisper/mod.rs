//! Whisper speech recognition, in process on candle. Owns loading a CTranslate2
//! (faster-whisper layout) model directory, the long-form transcription loop of openai/whisper
//! `transcribe.py` (30 s windows, timestamp rules, temperature fallback, no-speech skipping,
//! conditioning on the previous window's text) and the result types.
//!
//! The model ([`Whisper`]) is immutable and shared; every call builds its own decoder state,
//! so one loaded model serves any number of threads.

pub mod ct2;
pub mod mel;
pub mod model;
pub mod timing;
pub mod tokenizer;

use std::io::Write;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::Serialize;
use utoipa::ToSchema;

use self::mel::{MelFrontEnd, HOP, SAMPLE_RATE, WINDOW_FRAMES};
use self::model::WhisperWeights;
use self::tokenizer::{Tokenizer, WhisperConfig};

#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    #[error("the speech model is damaged or not a Whisper model: {0}")]
    BadModel(String),
    #[error("the speech model files could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("speech recognition failed: {0}")]
    Inference(#[from] candle_core::Error),
    #[error("unknown language {0:?}; use a code such as zh or en, or auto")]
    UnknownLanguage(String),
    #[error("voice activity detection failed: {0}")]
    Vad(#[from] crate::vad::VadError),
}

/// Seconds per timestamp token and per encoder frame.
const TIME_PRECISION: f64 = 0.02;
/// Longest prompt carried over from the previous window (half the text context).
const MAX_PROMPT_TOKENS: usize = 223;
/// Whisper stops a window's text at half its context.
const MAX_SAMPLE_TOKENS: usize = 224;
/// The first timestamp may be at most 1 s into the window.
const MAX_INITIAL_TIMESTAMP: u32 = 50;
/// A pause after which decoding is not conditioned on the text before it (3 s).
const LONG_PAUSE_SAMPLES: usize = 48_000;
/// Audio kept before a speech region where a window starts (0.2 s).
const VAD_LEAD_SAMPLES: usize = 3_200;
/// Mel frames of silence kept after the audio when the window is fitted (1 s).
const FIT_WINDOW_PADDING_FRAMES: usize = 100;
/// openai/whisper's thresholds for retrying at a higher temperature and for silence.
const COMPRESSION_RATIO_THRESHOLD: f64 = 2.4;
const LOGPROB_THRESHOLD: f64 = -1.0;
const NO_SPEECH_THRESHOLD: f64 = 0.6;
const TEMPERATURES: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// Steers Mandarin output to simplified characters (Whisper's training data mixes scripts).
pub(crate) const SIMPLIFIED_CHINESE_PROMPT: &str = "以下是普通话的句子。";

#[derive(Debug, Clone, Default)]
pub struct TranscribeOptions {
    /// `None` or `Some("auto")` detects the language from the first window.
    pub language: Option<String>,
    /// Beam width for the temperature-0 pass; 1 is greedy.
    pub beam_size: usize,
    /// Text that precedes the audio (names, jargon) to steer spelling.
    pub initial_prompt: Option<String>,
    /// Time every word (one forced decoder pass per 30 s window).
    pub word_timestamps: bool,
    /// Encode only the audio present (plus 1 s) instead of a window padded to 30 s, as
    /// whisper.cpp's `audio_ctx`: several times faster on short audio, which is what a
    /// streaming update decodes, at some cost in accuracy.
    pub fit_window: bool,
    /// One greedy pass at temperature 0, no fallback, and at most ~10 tokens per second of
    /// audio: for streaming updates, where a poor hypothesis is replaced a second later and
    /// a runaway one must not stall the stream.
    pub single_pass: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Segment {
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub avg_logprob: f64,
    pub no_speech_prob: f64,
    pub temperature: f64,
    /// Word timings, when asked for ([`TranscribeOptions::word_timestamps`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<timing::Word>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transcript {
    pub text: String,
    pub language: String,
    /// Probability of the language among Whisper's languages (1 when it was given).
    pub language_probability: f64,
    pub segments: Vec<Segment>,
    /// Seconds of audio.
    pub duration: f64,
    pub model: String,
}

/// Speech recognition as the rest of the system sees it: 16 kHz mono in, timed text out.
/// Implementations are immutable and shareable; each call keeps its own state.
pub trait SpeechRecognizer: Send + Sync {
    fn name(&self) -> &str;
    fn transcribe(
        &self,
        samples_16k: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcript, WhisperError>;
}

impl SpeechRecognizer for Whisper {
    fn name(&self) -> &str {
        Whisper::name(self)
    }
    fn transcribe(
        &self,
        samples_16k: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcript, WhisperError> {
        Whisper::transcribe(self, samples_16k, options)
    }
}

/// A loaded Whisper model.
pub struct Whisper {
    name: String,
    weights: WhisperWeights,
    tokenizer: Tokenizer,
    config: WhisperConfig,
    mel: MelFrontEnd,
    vad: Option<std::sync::Arc<crate::vad::SileroVad>>,
}

/// What decoding one window produced.
struct WindowResult {
    tokens: Vec<u32>,
    avg_logprob: f64,
    no_speech_prob: f64,
    temperature: f64,
    compression_ratio: f64,
}

impl Whisper {
    /// Loads `model.bin`, `config.json` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path, name: &str) -> Result<Self, WhisperError> {
        let bytes = std::fs::read(dir.join("model.bin"))?;
        let ct2 = ct2::parse(&bytes)?;
        drop(bytes);
        let device = compute_device();
        let weights = WhisperWeights::load(&ct2, &device)?;
        drop(ct2);
        let config: WhisperConfig =
            serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)
                .map_err(|e| WhisperError::BadModel(format!("config.json: {e}")))?;
        let tokenizer = Tokenizer::parse(&std::fs::read(dir.join("tokenizer.json"))?)?;
        let mel = MelFrontEnd::new(weights.dims.n_mels);
        Ok(Self {
            name: name.to_owned(),
            weights,
            tokenizer,
            config,
            mel,
            vad: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// With a voice activity detector, long audio is cut into windows at pauses (never inside
    /// a word) and windows without speech are skipped.
    pub fn with_vad(mut self, vad: std::sync::Arc<crate::vad::SileroVad>) -> Self {
        self.vad = Some(vad);
        self
    }

    /// English-only models (`*.en`, a 51,864-token vocabulary) know one language and take
    /// neither a language nor a task token after `<|startoftranscript|>`.
    pub fn multilingual(&self) -> bool {
        self.weights.dims.n_vocab >= 51865
    }

    /// Transcribes 16 kHz mono samples.
    pub fn transcribe(
        &self,
        samples: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcript, WhisperError> {
        let duration = samples.len() as f64 / SAMPLE_RATE as f64;
        let content_frames = samples.len() / HOP;
        // Like whisper, compute the spectrogram over the audio plus 30 s of silence so the
        // last window has the same normalisation context. A fitted window reads at most
        // 1 s past the audio, and silence never sets the normalising maximum, so 2 s do.
        let padding = if options.fit_window {
            (FIT_WINDOW_PADDING_FRAMES * 2) * HOP
        } else {
            mel::WINDOW_SAMPLES
        };
        let mut padded = samples.to_vec();
        padded.resize(samples.len() + padding, 0.0);
        let log_mel = self.mel.log_mel(&padded);

        let requested = options
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != "auto");
        let mut language: Option<(String, f64)> = match requested {
            Some(code) => {
                let code = code.to_ascii_lowercase();
                let code = code.split(['-', '_']).next().unwrap_or_default().to_owned();
                if self.tokenizer.language_token(&code).is_none()
                    || (!self.multilingual() && code != "en")
                {
                    return Err(WhisperError::UnknownLanguage(code));
                }
                Some((code, 1.0))
            }
            None if !self.multilingual() => Some(("en".to_owned(), 1.0)),
            None => None,
        };

        // Speech regions (sample ranges) when a VAD is present.
        let speech = match &self.vad {
            Some(vad) => Some(crate::vad::speech_segments_with_length(
                &vad.probabilities(samples)?,
                samples.len(),
                &crate::vad::VadParams::default(),
            )),
            None => None,
        };

        let mut segments = Vec::new();
        let mut history: Vec<u32> = Vec::new();
        let mut seek = 0usize;
        while seek < content_frames {
            if let Some(speech) = &speech {
                // Start windows where speech starts (Whisper expects the first words within
                // its first second), and stop when no speech is left.
                let here = seek * HOP;
                match speech.iter().find(|&&(_, e)| e > here) {
                    None => break,
                    Some(&(s, _)) if s > here + VAD_LEAD_SAMPLES => {
                        seek = (s - VAD_LEAD_SAMPLES) / HOP;
                        if s - here > LONG_PAUSE_SAMPLES {
                            // After a long pause the previous words are no guide: conditioned
                            // on them, Whisper skips the same words said again.
                            history.clear();
                        }
                    }
                    Some(_) => {}
                }
            }
            let mut size = (content_frames - seek).min(WINDOW_FRAMES);
            let window_start = seek * HOP;
            if let Some(speech) = &speech {
                if size == WINDOW_FRAMES && seek + size < content_frames {
                    size = cut_at_pause(speech, window_start, size);
                }
                let end = window_start + size * HOP;
                if !speech.iter().any(|&(s, e)| s < end && e > window_start) {
                    seek += size;
                    continue;
                }
            }
            let window_end = ((seek + size) * HOP).min(samples.len());
            if !crate::has_pitched_speech(&samples[window_start..window_end], SAMPLE_RATE as u32) {
                // Whisper invents text ("Thank you.") on silence and noise; a window with no
                // voiced, pitched sound holds no speech to transcribe.
                seek += size;
                continue;
            }
            let frames = if options.fit_window {
                // Round to whole encoder frames and keep 1 s of the padding after the audio,
                // which is where Whisper learnt to put the closing timestamp.
                ((size + FIT_WINDOW_PADDING_FRAMES).div_ceil(2) * 2).min(WINDOW_FRAMES)
            } else {
                WINDOW_FRAMES
            };
            let mel_window = self.window(&log_mel, seek, size, frames)?;
            let audio = self.weights.encode(&mel_window)?;
            let (code, probability) = match &language {
                Some(l) => l.clone(),
                None => {
                    let detected = self.detect_language(&audio)?;
                    language = Some(detected.clone());
                    detected
                }
            };
            let lang_token = self
                .tokenizer
                .language_token(&code)
                .ok_or_else(|| WhisperError::UnknownLanguage(code.clone()))?;
            let _ = probability;

            let mut prompt: Vec<u32> = Vec::new();
            let initial = options
                .initial_prompt
                .clone()
                .or_else(|| (code == "zh").then(|| SIMPLIFIED_CHINESE_PROMPT.to_owned()));
            let mut previous: Vec<u32> = initial
                .map(|p| self.tokenizer.encode_greedy(&format!(" {}", p.trim())))
                .unwrap_or_default();
            previous.extend(&history);
            if !previous.is_empty() {
                prompt.push(self.tokenizer.sot_prev);
                let skip = previous.len().saturating_sub(MAX_PROMPT_TOKENS);
                prompt.extend(&previous[skip..]);
            }
            let sot_index = prompt.len();
            prompt.push(self.tokenizer.sot);
            if self.multilingual() {
                prompt.extend([lang_token, self.tokenizer.transcribe]);
            }

            let max_tokens = if options.single_pass {
                16 + size / 10
            } else {
                usize::MAX
            };
            let result =
                self.decode_with_fallback(&audio, &prompt, sot_index, options, max_tokens)?;
            if result.no_speech_prob > NO_SPEECH_THRESHOLD && result.avg_logprob < LOGPROB_THRESHOLD
            {
                seek += size;
                continue;
            }
            let offset = seek as f64 * HOP as f64 / SAMPLE_RATE as f64;
            let window_seconds = size as f64 * HOP as f64 / SAMPLE_RATE as f64;
            let first_new = segments.len();
            let mut text_tokens = Vec::new();
            let advance = self.split_segments(
                &result,
                offset,
                window_seconds,
                size,
                &mut segments,
                &mut text_tokens,
            );
            if options.word_timestamps {
                let words = timing::align_window(
                    &self.weights,
                    &self.tokenizer,
                    &self.config.alignment_heads,
                    &audio,
                    &timing::WindowText {
                        sot_sequence: &prompt[sot_index..],
                        segments: &text_tokens,
                        language: &code,
                        mel_frames: size,
                        offset,
                        samples: &samples[window_start..window_end],
                    },
                )?;
                for (segment, words) in segments[first_new..].iter_mut().zip(words) {
                    segment.words = words;
                }
            }
            seek += advance.max(1);
            if result.temperature < 0.5 {
                history.extend(result.tokens.iter().filter(|&&t| t < self.tokenizer.eot));
            } else {
                history.clear();
            }
        }
        let (language, language_probability) = language.unwrap_or_else(|| ("".into(), 0.0));
        let text = join_segments(&segments, &language);
        Ok(Transcript {
            text,
            language,
            language_probability,
            segments,
            duration,
            model: self.name.clone(),
        })
    }

    /// `frames` mel frames from `seek`: `size` of them audio, the rest zeros (whisper's
    /// `pad_or_trim` of the log-mel segment), never audio past the window's end.
    fn window(
        &self,
        log_mel: &[Vec<f32>],
        seek: usize,
        size: usize,
        frames: usize,
    ) -> Result<Tensor, WhisperError> {
        let n_mels = log_mel.len();
        let mut data = vec![0f32; n_mels * frames];
        for (m, row) in log_mel.iter().enumerate() {
            let end = (seek + size.min(frames)).min(row.len());
            let slice = &row[seek.min(end)..end];
            data[m * frames..m * frames + slice.len()].copy_from_slice(slice);
        }
        Ok(Tensor::from_vec(
            data,
            (1, n_mels, frames),
            self.weights.device(),
        )?)
    }

    fn detect_language(&self, audio: &Tensor) -> Result<(String, f64), WhisperError> {
        let mut state = self.weights.start(audio)?;
        let (logits, _) = self.weights.step(&mut state, &[self.tokenizer.sot], None)?;
        let logits: Vec<f32> = logits.to_vec1()?;
        let scores: Vec<(usize, f32)> = self
            .tokenizer
            .languages
            .iter()
            .enumerate()
            .map(|(i, (_, id))| (i, logits[*id as usize]))
            .collect();
        let max = scores.iter().map(|s| s.1).fold(f32::NEG_INFINITY, f32::max);
        let total: f64 = scores.iter().map(|s| f64::from(s.1 - max).exp()).sum();
        let (best, score) = scores
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("languages are not empty");
        Ok((
            self.tokenizer.languages[best].0.clone(),
            f64::from(score - max).exp() / total,
        ))
    }

    fn decode_with_fallback(
        &self,
        audio: &Tensor,
        prompt: &[u32],
        sot_index: usize,
        options: &TranscribeOptions,
        max_tokens: usize,
    ) -> Result<WindowResult, WhisperError> {
        let mut last = None;
        // A streaming partial gets one retry, and only when it loops ("The quick. The quick.
        // The quick…"): repeated words agreed by two partials would otherwise be committed.
        let temperatures = if options.single_pass {
            &TEMPERATURES[..2]
        } else {
            &TEMPERATURES[..]
        };
        for (attempt, &temperature) in temperatures.iter().enumerate() {
            let result = if temperature == 0.0 && options.beam_size > 1 {
                self.beam_search(audio, prompt, sot_index, options.beam_size, max_tokens)?
            } else {
                let seed = attempt as u64;
                self.sample(audio, prompt, sot_index, temperature, seed, max_tokens)?
            };
            let too_repetitive = result.compression_ratio > COMPRESSION_RATIO_THRESHOLD;
            let too_unsure = result.avg_logprob < LOGPROB_THRESHOLD && !options.single_pass;
            let silent = result.no_speech_prob > NO_SPEECH_THRESHOLD;
            if silent || (!too_repetitive && !too_unsure) {
                return Ok(result);
            }
            last = Some(result);
        }
        let result = last.expect("at least one temperature");
        if options.single_pass && result.compression_ratio > COMPRESSION_RATIO_THRESHOLD {
            // Still looping: no words from this partial; the utterance's final pass (with the
            // full fallback) decides.
            return Ok(WindowResult {
                tokens: Vec::new(),
                ..result
            });
        }
        Ok(result)
    }

    /// openai/whisper `SuppressTokens`, `SuppressBlank` and `ApplyTimestampRules`.
    fn apply_rules(&self, logits: &mut [f32], sampled: &[u32]) {
        let t = &self.tokenizer;
        let tb = t.timestamp_begin as usize;
        let kill = |l: &mut [f32], range: std::ops::Range<usize>| {
            let len = l.len();
            for v in &mut l[range.start.min(len)..range.end.min(len)] {
                *v = f32::NEG_INFINITY;
            }
        };
        for &id in &self.config.suppress_ids {
            kill(logits, id as usize..id as usize + 1);
        }
        for id in [
            t.no_timestamps,
            t.sot,
            t.sot_prev,
            t.transcribe,
            t.translate,
            t.no_speech,
        ] {
            kill(logits, id as usize..id as usize + 1);
        }
        for (_, id) in &t.languages {
            kill(logits, *id as usize..*id as usize + 1);
        }
        if sampled.is_empty() {
            for &id in &self.config.suppress_ids_begin {
                kill(logits, id as usize..id as usize + 1);
            }
        }
        let n = sampled.len();
        let last_ts = n >= 1 && sampled[n - 1] >= t.timestamp_begin;
        let penultimate_ts = n < 2 || sampled[n - 2] >= t.timestamp_begin;
        if last_ts {
            if penultimate_ts {
                kill(logits, tb..logits.len());
            } else {
                kill(logits, 0..t.eot as usize);
            }
        }
        if let Some(&latest) = sampled.iter().rev().find(|&&s| s >= t.timestamp_begin) {
            let floor = if last_ts && !penultimate_ts {
                latest
            } else {
                latest + 1
            };
            kill(logits, tb..floor as usize);
        }
        if sampled.is_empty() {
            kill(logits, 0..tb);
            kill(
                logits,
                tb + MAX_INITIAL_TIMESTAMP as usize + 1..logits.len(),
            );
        }
        // If timestamps are jointly more likely than any text token, force one.
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let log_z = max + logits.iter().map(|&v| (v - max).exp()).sum::<f32>().ln();
        let ts_mass = {
            let m = logits[tb..]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            m + logits[tb..]
                .iter()
                .map(|&v| (v - m).exp())
                .sum::<f32>()
                .ln()
                - log_z
        };
        let text_max = logits[..tb]
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
            - log_z;
        if ts_mass > text_max {
            kill(logits, 0..tb);
        }
    }

    fn sample(
        &self,
        audio: &Tensor,
        prompt: &[u32],
        sot_index: usize,
        temperature: f64,
        seed: u64,
        max_tokens: usize,
    ) -> Result<WindowResult, WhisperError> {
        let mut state = self.weights.start(audio)?;
        let (mut logits, first) = self.weights.step(&mut state, prompt, Some(sot_index))?;
        let no_speech_prob = first
            .map(|f| -> Result<f64, WhisperError> {
                let f: Vec<f32> = f.to_vec1()?;
                Ok(softmax_at(&f, self.tokenizer.no_speech as usize))
            })
            .transpose()?
            .unwrap_or(0.0);
        let mut rng = SplitMix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
        let mut sampled = Vec::new();
        let mut sum_logprob = 0.0;
        let limit = MAX_SAMPLE_TOKENS
            .min(self.weights.dims.n_text_ctx - prompt.len())
            .min(max_tokens);
        loop {
            let mut l: Vec<f32> = logits.to_vec1()?;
            self.apply_rules(&mut l, &sampled);
            let token = if temperature == 0.0 {
                argmax(&l)
            } else {
                sample_softmax(&l, temperature, &mut rng)
            };
            sum_logprob += log_softmax_at(&l, token);
            if token == self.tokenizer.eot as usize || sampled.len() >= limit {
                break;
            }
            sampled.push(token as u32);
            (logits, _) = self.weights.step(&mut state, &[token as u32], None)?;
        }
        Ok(self.finish(sampled, sum_logprob, no_speech_prob, temperature))
    }

    fn beam_search(
        &self,
        audio: &Tensor,
        prompt: &[u32],
        sot_index: usize,
        beam_size: usize,
        max_tokens: usize,
    ) -> Result<WindowResult, WhisperError> {
        struct Beam {
            state: model::DecoderState,
            logits: Vec<f32>,
            tokens: Vec<u32>,
            logprob: f64,
        }
        let mut root = self.weights.start(audio)?;
        let (logits, first) = self.weights.step(&mut root, prompt, Some(sot_index))?;
        let no_speech_prob = match first {
            Some(f) => softmax_at(&f.to_vec1()?, self.tokenizer.no_speech as usize),
            None => 0.0,
        };
        let limit = MAX_SAMPLE_TOKENS
            .min(self.weights.dims.n_text_ctx - prompt.len())
            .min(max_tokens);
        let mut beams = vec![Beam {
            state: root,
            logits: logits.to_vec1()?,
            tokens: Vec::new(),
            logprob: 0.0,
        }];
        let mut finished: Vec<(Vec<u32>, f64)> = Vec::new();
        while !beams.is_empty() && finished.len() < beam_size {
            let mut candidates: Vec<(usize, usize, f64)> = Vec::new();
            for (b, beam) in beams.iter().enumerate() {
                let mut l = beam.logits.clone();
                self.apply_rules(&mut l, &beam.tokens);
                let lse = log_sum_exp(&l);
                let mut best: Vec<(usize, f32)> = l
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                best.sort_by(|a, b| b.1.total_cmp(&a.1));
                for &(token, v) in best.iter().take(beam_size + 1) {
                    candidates.push((b, token, beam.logprob + f64::from(v - lse)));
                }
            }
            candidates.sort_by(|a, b| b.2.total_cmp(&a.2));
            let mut next = Vec::new();
            for (b, token, logprob) in candidates {
                let parent = &beams[b];
                if token == self.tokenizer.eot as usize || parent.tokens.len() >= limit {
                    if finished.len() < beam_size {
                        finished.push((parent.tokens.clone(), logprob));
                    }
                    continue;
                }
                if next.len() >= beam_size {
                    continue;
                }
                let mut state = model::DecoderState::fork(&parent.state);
                let (logits, _) = self.weights.step(&mut state, &[token as u32], None)?;
                let mut tokens = parent.tokens.clone();
                tokens.push(token as u32);
                next.push(Beam {
                    state,
                    logits: logits.to_vec1()?,
                    tokens,
                    logprob,
                });
            }
            beams = next;
        }
        for beam in beams {
            finished.push((beam.tokens, beam.logprob));
        }
        // openai/whisper's length penalty `None`: rank by log-probability / length.
        let (tokens, logprob) = finished
            .into_iter()
            .max_by(|a, b| {
                let score = |(t, l): &(Vec<u32>, f64)| l / (t.len().max(1) as f64);
                score(a).total_cmp(&score(b))
            })
            .expect("the beam search keeps at least one hypothesis");
        Ok(self.finish(tokens, logprob, no_speech_prob, 0.0))
    }

    fn finish(
        &self,
        tokens: Vec<u32>,
        sum_logprob: f64,
        no_speech_prob: f64,
        temperature: f64,
    ) -> WindowResult {
        let text = self.tokenizer.decode(&tokens);
        WindowResult {
            avg_logprob: sum_logprob / (tokens.len() + 1) as f64,
            compression_ratio: compression_ratio(&text),
            tokens,
            no_speech_prob,
            temperature,
        }
    }

    /// Cuts a window's tokens into timestamped segments; returns how many mel frames the
    /// window consumed (up to its last complete segment, so a word at the edge is decoded
    /// again in the next window rather than split).
    fn split_segments(
        &self,
        result: &WindowResult,
        offset: f64,
        window_seconds: f64,
        size: usize,
        out: &mut Vec<Segment>,
        text_tokens: &mut Vec<Vec<u32>>,
    ) -> usize {
        let t = &self.tokenizer;
        let tokens = &result.tokens;
        let is_ts: Vec<bool> = tokens.iter().map(|&x| t.is_timestamp(x)).collect();
        let n = tokens.len();
        let single_ending = n >= 2 && !is_ts[n - 2] && is_ts[n - 1];
        let mut push = |start: f64, end: f64, slice: &[u32]| {
            let text = t.decode(slice).trim().to_owned();
            if !text.is_empty() {
                out.push(Segment {
                    start: round2(offset + start),
                    end: round2(offset + end),
                    text,
                    avg_logprob: result.avg_logprob,
                    no_speech_prob: result.no_speech_prob,
                    temperature: result.temperature,
                    words: Vec::new(),
                });
                text_tokens.push(slice.iter().copied().filter(|&x| x < t.eot).collect());
            }
        };
        let mut cuts: Vec<usize> = (1..n).filter(|&i| is_ts[i] && is_ts[i - 1]).collect();
        if cuts.is_empty() {
            let mut end = window_seconds;
            if let Some(&last) = tokens.iter().rev().find(|&&x| t.is_timestamp(x)) {
                if last != t.timestamp_begin {
                    end = f64::from(last - t.timestamp_begin) * TIME_PRECISION;
                }
            }
            push(0.0, end, tokens);
            return size;
        }
        if single_ending {
            cuts.push(n);
        }
        let mut from = 0;
        for &cut in &cuts {
            let slice = &tokens[from..cut];
            let time = |x: u32| f64::from(x.saturating_sub(t.timestamp_begin)) * TIME_PRECISION;
            let start = slice.first().map(|&x| time(x)).unwrap_or(0.0);
            let end = slice.last().map(|&x| time(x)).unwrap_or(start);
            push(start, end, slice);
            from = cut;
        }
        if single_ending {
            size
        } else {
            let last = tokens[from - 1].saturating_sub(t.timestamp_begin) as usize;
            // Each timestamp step is one encoder frame, two mel frames.
            (last * 2).min(size)
        }
    }
}

/// The first CUDA GPU when built with the `cuda` feature and one is present, else the CPU.
fn compute_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(gpu) = Device::new_cuda(0) {
        return gpu;
    }
    Device::Cpu
}

/// A full window's length in mel frames, shortened to end in the longest pause between speech
/// regions that falls in its last two thirds, so no word straddles two windows.
fn cut_at_pause(speech: &[(usize, usize)], window_start: usize, size: usize) -> usize {
    let window_end = window_start + size * HOP;
    let earliest = window_start + size * HOP / 3;
    speech
        .windows(2)
        .map(|pair| (pair[0].1, pair[1].0))
        .filter(|&(gap_start, gap_end)| gap_end > gap_start && gap_start >= earliest)
        .filter(|&(_, gap_end)| gap_end <= window_end)
        .max_by_key(|&(gap_start, gap_end)| (gap_end - gap_start, gap_start))
        .map_or(size, |(gap_start, gap_end)| {
            ((gap_start + gap_end) / 2 - window_start) / HOP
        })
}

fn join_segments(segments: &[Segment], language: &str) -> String {
    let joiner = if matches!(language, "zh" | "ja" | "yue") {
        ""
    } else {
        " "
    };
    segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(joiner)
}

/// Seconds to the centisecond, as times are reported.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

fn log_sum_exp(v: &[f32]) -> f32 {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    max + v.iter().map(|&x| (x - max).exp()).sum::<f32>().ln()
}

fn log_softmax_at(v: &[f32], i: usize) -> f64 {
    f64::from(v[i] - log_sum_exp(v))
}

fn softmax_at(v: &[f32], i: usize) -> f64 {
    log_softmax_at(v, i).exp()
}

/// Small deterministic generator for temperature sampling (reproducible transcripts).
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn sample_softmax(v: &[f32], temperature: f64, rng: &mut SplitMix) -> usize {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let weights: Vec<f64> = v
        .iter()
        .map(|&x| (f64::from(x - max) / temperature).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let mut r = rng.next_f64() * total;
    for (i, w) in weights.iter().enumerate() {
        r -= w;
        if r <= 0.0 {
            return i;
        }
    }
    argmax(v)
}

/// zlib compression ratio of the text: high for repetitive loops (whisper's hallucination
/// signature).
fn compression_ratio(text: &str) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(text.as_bytes());
    let compressed = encoder.finish().map(|v| v.len()).unwrap_or(text.len());
    text.len() as f64 / compressed.max(1) as f64
}

/// The manifest entry for a configured size (`base` → `whisper-base`); full names pass.
pub fn manifest_name(size: &str) -> String {
    let size = size.trim();
    if size.starts_with("whisper-") {
        size.to_owned()
    } else {
        format!("whisper-{size}")
    }
}

fn clock(seconds: f64, decimal: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{decimal}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// SubRip subtitles.
pub fn format_srt(segments: &[Segment]) -> String {
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}\n{} --> {}\n{}\n\n",
                i + 1,
                clock(s.start, ','),
                clock(s.end, ','),
                s.text
            )
        })
        .collect()
}

/// WebVTT subtitles.
pub fn format_vtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in segments {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            clock(s.start, '.'),
            clock(s.end, '.'),
            s.text
        ));
    }
    out
}
