//! Streaming transcription for the live pipeline. PCM arrives in chunks; after every `step`
//! of new audio the buffered utterance is transcribed again (with word timestamps, the
//! window fitted to the audio) and the words two consecutive hypotheses agree on are
//! committed — LocalAgreement-2 as in whisper_streaming (Macháček et al. 2023,
//! `HypothesisBuffer` and `OnlineASRProcessor`). Committed words never change; the rest of the
//! latest hypothesis is shown as tentative. When the speaker stops (the VAD's end of speech
//! or the client's `answer_end`), [`StreamingTranscriber::end_of_speech`] transcribes what is
//! left, commits all of it and returns the utterance as final.
//!
//! With a voice activity detector ([`StreamingTranscriber::with_vad`], Silero VAD) nothing is
//! transcribed before speech starts (only a short pre-roll is kept), and the utterance ends by
//! itself after `end_of_speech_silence` of silence.
//!
//! Memory is bounded: once the buffer is longer than `max_buffer_seconds` it is cut at the
//! end of the last committed word, and the committed text that fell out of the buffer is
//! passed to Whisper as the prompt instead.

use std::sync::Arc;

use serde::Serialize;

use crate::vad::{SileroVad, VadParams, VadState, CHUNK_SAMPLES};
use crate::whisper::timing::Word;
use crate::whisper::{round2, TranscribeOptions, Whisper, WhisperError, SIMPLIFIED_CHINESE_PROMPT};

const RATE: f64 = 16_000.0;
/// Characters of committed text given to Whisper as context (whisper_streaming uses 200).
const PROMPT_CHARS: usize = 200;

#[derive(Debug, Clone)]
pub struct StreamingOptions {
    /// `zh`, `en`, … or `None` to detect on the first hypothesis and keep it.
    pub language: Option<String>,
    /// New audio between two hypotheses.
    pub step_seconds: f64,
    /// Longest audio kept for re-transcription.
    pub max_buffer_seconds: f64,
    /// With a VAD: silence after speech that ends the utterance (whisper_streaming's VAC
    /// uses 0.5 s).
    pub end_of_speech_silence: f64,
    /// With a VAD: silence after speech that ends the speaker's turn ([`StreamEvent::EndOfTurn`]);
    /// `None` leaves the turn to the caller. Long enough not to cut off someone thinking.
    pub end_of_turn_silence: Option<f64>,
}

impl Default for StreamingOptions {
    fn default() -> Self {
        Self {
            language: None,
            step_seconds: 1.0,
            max_buffer_seconds: 15.0,
            end_of_speech_silence: 0.8,
            end_of_turn_silence: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The utterance so far: `committed` only grows; `tentative` may still change.
    Partial {
        committed: String,
        tentative: String,
        /// Seconds of audio received when this hypothesis was made.
        audio_seconds: f64,
    },
    /// The speaker has been silent for `end_of_turn_silence` after speaking: their turn is
    /// over (every utterance of it was sent as `Final` before this).
    EndOfTurn {
        /// Seconds of audio received when the turn ended.
        audio_seconds: f64,
    },
    /// A finished utterance, all words committed.
    Final {
        text: String,
        words: Vec<Word>,
        language: String,
        /// Seconds from the start of the stream.
        start: f64,
        end: f64,
    },
}

pub struct StreamingTranscriber {
    model: Arc<Whisper>,
    options: StreamingOptions,
    language: Option<String>,
    buffer: Vec<f32>,
    /// Stream time of `buffer[0]`, seconds.
    buffer_start: f64,
    received: usize,
    since_update: usize,
    committed: Vec<Word>,
    tentative: Vec<Word>,
    vad: Option<Vad>,
}

/// Audio kept before the first speech chunk, so the first word's onset is not cut.
const PRE_ROLL_SECONDS: f64 = 0.5;
/// Silence kept after the last speech when an utterance is transcribed for the last time.
const TAIL_SILENCE_SECONDS: f64 = 0.3;

struct Vad {
    model: Arc<SileroVad>,
    /// Silero's speech and silence thresholds, as its segmenter uses them.
    params: VadParams,
    state: VadState,
    /// Samples not yet making up a whole 32 ms chunk.
    pending: Vec<f32>,
    speaking: bool,
    silence: f64,
    /// Speech was heard since the last end of turn, and the silence since it last was.
    heard_in_turn: bool,
    quiet: f64,
    turn_end_due: bool,
}

/// Words compare on their letters only: "Hello," and " hello" agree.
fn normalised(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn join(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.word.as_str())
        .collect::<String>()
        .trim()
        .to_owned()
}

impl StreamingTranscriber {
    pub fn new(model: Arc<Whisper>, options: StreamingOptions) -> Self {
        let language = options.language.clone().filter(|l| l != "auto");
        Self {
            model,
            options,
            language,
            buffer: Vec::new(),
            buffer_start: 0.0,
            received: 0,
            since_update: 0,
            committed: Vec::new(),
            tentative: Vec::new(),
            vad: None,
        }
    }

    /// Gates transcription on detected speech and ends utterances on silence.
    pub fn with_vad(mut self, model: Arc<SileroVad>) -> Self {
        let state = model.new_state();
        self.vad = Some(Vad {
            model,
            params: VadParams::default(),
            state,
            pending: Vec::new(),
            speaking: false,
            silence: 0.0,
            heard_in_turn: false,
            quiet: 0.0,
            turn_end_due: false,
        });
        self
    }

    /// Runs the VAD over new samples; returns (speech heard in this utterance, the utterance
    /// just ended).
    fn listen(&mut self, samples: &[f32]) -> Result<(bool, bool), WhisperError> {
        let Some(vad) = &mut self.vad else {
            return Ok((true, false));
        };
        vad.pending.extend_from_slice(samples);
        let mut ended = false;
        let whole = vad.pending.len() / CHUNK_SAMPLES * CHUNK_SAMPLES;
        for chunk in vad.pending[..whole].chunks_exact(CHUNK_SAMPLES) {
            let p = vad.model.probability(&mut vad.state, chunk)?;
            let chunk_seconds = CHUNK_SAMPLES as f64 / RATE;
            let p = f64::from(p);
            if p >= vad.params.threshold {
                vad.speaking = true;
                vad.silence = 0.0;
                vad.heard_in_turn = true;
                vad.quiet = 0.0;
            } else if p < vad.params.silence_threshold() {
                if vad.speaking {
                    vad.silence += chunk_seconds;
                    if vad.silence >= self.options.end_of_speech_silence {
                        ended = true;
                    }
                }
                if vad.heard_in_turn {
                    vad.quiet += chunk_seconds;
                    if self
                        .options
                        .end_of_turn_silence
                        .is_some_and(|patience| vad.quiet >= patience)
                    {
                        vad.heard_in_turn = false;
                        vad.turn_end_due = true;
                        // The utterance ends with the turn at the latest.
                        ended |= vad.speaking;
                    }
                }
            }
        }
        vad.pending.drain(..whole);
        Ok((vad.speaking, ended))
    }

    /// Seconds of audio received so far.
    pub fn audio_seconds(&self) -> f64 {
        self.received as f64 / RATE
    }

    /// Adds 16 kHz mono samples; returns a partial hypothesis when one was due and changed,
    /// or, with a VAD, the final utterance when the speaker has stopped.
    pub fn push(&mut self, samples: &[f32]) -> Result<Option<StreamEvent>, WhisperError> {
        self.push_piece(samples, true)
    }

    /// Adds audio that arrived while the caller was busy (a live server behind its clients):
    /// the voice detector still runs over every `piece` samples, so utterances and turns end
    /// where they ended, but at most one new hypothesis is computed for the whole batch —
    /// a longer step instead of a growing backlog.
    pub fn push_batch(
        &mut self,
        samples: &[f32],
        piece: usize,
    ) -> Result<Vec<StreamEvent>, WhisperError> {
        let mut events = Vec::new();
        let pieces = samples.len().div_ceil(piece.max(1)).max(1);
        for (i, chunk) in samples
            .chunks(piece.max(1))
            .chain((samples.is_empty()).then_some(&[][..]))
            .enumerate()
        {
            events.extend(self.push_piece(chunk, i + 1 == pieces)?);
        }
        Ok(events)
    }

    fn push_piece(
        &mut self,
        samples: &[f32],
        hypothesis_allowed: bool,
    ) -> Result<Option<StreamEvent>, WhisperError> {
        self.buffer.extend_from_slice(samples);
        self.received += samples.len();
        let (speaking, ended) = self.listen(samples)?;
        if ended {
            // Its Final now; the turn's end (if due too) on the next push.
            return self.end_of_speech();
        }
        if let Some(vad) = self.vad.as_mut().filter(|v| v.turn_end_due) {
            vad.turn_end_due = false;
            return Ok(Some(StreamEvent::EndOfTurn {
                audio_seconds: self.audio_seconds(),
            }));
        }
        if !speaking {
            // Before speech: keep a short pre-roll only, and do not transcribe silence.
            let keep = (PRE_ROLL_SECONDS * RATE) as usize;
            let drop = self.buffer.len().saturating_sub(keep);
            self.buffer.drain(..drop);
            self.buffer_start += drop as f64 / RATE;
            return Ok(None);
        }
        self.since_update += samples.len();
        if !hypothesis_allowed || (self.since_update as f64) < self.options.step_seconds * RATE {
            return Ok(None);
        }
        self.since_update = 0;
        let before = (self.committed.len(), join(&self.tentative));
        let hypothesis = self.hypothesis(false)?;
        self.agree(hypothesis);
        self.trim();
        if (self.committed.len(), join(&self.tentative)) == before {
            return Ok(None);
        }
        Ok(Some(StreamEvent::Partial {
            committed: join(&self.committed),
            tentative: join(&self.tentative),
            audio_seconds: self.audio_seconds(),
        }))
    }

    /// The speaker stopped: commits the rest of the buffer and returns the utterance, or
    /// `None` if nothing was said. The next `push` starts a new utterance.
    pub fn end_of_speech(&mut self) -> Result<Option<StreamEvent>, WhisperError> {
        if let Some(vad) = &self.vad {
            if !vad.speaking && self.committed.is_empty() {
                // Nothing was said since the last utterance: Whisper would only invent words
                // in the silence of the pre-roll.
                self.buffer.clear();
                self.buffer_start = self.audio_seconds();
                self.since_update = 0;
                return Ok(None);
            }
            // The silence after the last speech is where Whisper hallucinates ("Thank you.",
            // repeated words): keep only a short tail of it.
            let excess = (vad.silence - TAIL_SILENCE_SECONDS).max(0.0);
            let keep = self.buffer.len().saturating_sub((excess * RATE) as usize);
            self.buffer.truncate(keep);
        }
        let rest = self.hypothesis(true)?;
        self.committed.extend(rest);
        self.tentative.clear();
        let words = std::mem::take(&mut self.committed);
        self.buffer.clear();
        self.buffer_start = self.audio_seconds();
        self.since_update = 0;
        if let Some(vad) = &mut self.vad {
            vad.speaking = false;
            vad.silence = 0.0;
        }
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return Ok(None);
        };
        Ok(Some(StreamEvent::Final {
            text: join(&words),
            start: first.start,
            end: last.end,
            language: self.language.clone().unwrap_or_default(),
            words,
        }))
    }

    /// Words of a fresh transcription of the buffer that come after what is committed. The
    /// final pass may fall back to higher temperatures; updates decode once, bounded.
    fn hypothesis(&mut self, last: bool) -> Result<Vec<Word>, WhisperError> {
        if self.buffer.is_empty() {
            return Ok(Vec::new());
        }
        let outside: String = self
            .committed
            .iter()
            .filter(|w| w.end <= self.buffer_start)
            .map(|w| w.word.as_str())
            .collect();
        let skip = outside.chars().count().saturating_sub(PROMPT_CHARS);
        let mut prompt: String = outside.chars().skip(skip).collect();
        if self.language.as_deref() == Some("zh") {
            prompt = format!("{SIMPLIFIED_CHINESE_PROMPT}{prompt}");
        }
        let transcript = self.model.transcribe(
            &self.buffer,
            &TranscribeOptions {
                language: self.language.clone(),
                beam_size: 1,
                initial_prompt: (!prompt.trim().is_empty()).then_some(prompt),
                word_timestamps: true,
                fit_window: true,
                single_pass: !last,
            },
        )?;
        if self.language.is_none() && !transcript.language.is_empty() {
            self.language = Some(transcript.language.clone());
        }
        let last_committed = self.committed.last().map_or(f64::NEG_INFINITY, |w| w.end);
        let mut words: Vec<Word> = transcript
            .segments
            .into_iter()
            .flat_map(|s| s.words)
            .map(|mut w| {
                w.start = round2(w.start + self.buffer_start);
                w.end = round2(w.end + self.buffer_start);
                w
            })
            .filter(|w| w.start > last_committed - 0.1)
            .collect();
        if !last {
            // A word squeezed into no time is text the alignment found no audio for — a
            // decoding loop or words past the end of the buffer. Nothing from there on is
            // trusted this round; the next hypothesis sees more audio.
            let buffer_end = self.buffer_start + self.buffer.len() as f64 / RATE;
            if let Some(cut) = words
                .iter()
                .position(|w| w.end - w.start < 0.01 || w.end > buffer_end + 0.05)
            {
                words.truncate(cut);
            }
        }
        // The first new words may repeat the last committed ones (the buffer still holds
        // their audio): drop the longest such n-gram, up to 5 words.
        if let Some(first) = words.first() {
            if (first.start - last_committed).abs() < 1.0 {
                let max = self.committed.len().min(words.len()).min(5);
                for n in (1..=max).rev() {
                    let tail = &self.committed[self.committed.len() - n..];
                    if tail
                        .iter()
                        .zip(&words[..n])
                        .all(|(a, b)| normalised(&a.word) == normalised(&b.word))
                    {
                        words.drain(..n);
                        break;
                    }
                }
            }
        }
        Ok(words)
    }

    /// LocalAgreement-2: commit the longest prefix the new hypothesis shares with the last.
    fn agree(&mut self, hypothesis: Vec<Word>) {
        let agreed = hypothesis
            .iter()
            .zip(&self.tentative)
            .take_while(|(a, b)| {
                let a = normalised(&a.word);
                !a.is_empty() && a == normalised(&b.word)
            })
            .count();
        let mut hypothesis = hypothesis;
        let rest = hypothesis.split_off(agreed);
        self.committed.extend(hypothesis);
        self.tentative = rest;
    }

    /// Keeps the buffer under `max_buffer_seconds` by cutting at the end of the last
    /// committed word; if nothing was committed for that long, the older half of the
    /// tentative words is committed first so the cut can be made.
    fn trim(&mut self) {
        let length = self.buffer.len() as f64 / RATE;
        if length <= self.options.max_buffer_seconds {
            return;
        }
        let buffer_end = self.buffer_start + length;
        let has_cut =
            |committed: &[Word], start: f64| committed.last().is_some_and(|w| w.end > start);
        if !has_cut(&self.committed, self.buffer_start) {
            let keep_from = keep_half(buffer_end, &self.options);
            let split = self
                .tentative
                .iter()
                .take_while(|w| w.end <= keep_from)
                .count();
            let older: Vec<Word> = self.tentative.drain(..split).collect();
            self.committed.extend(older);
        }
        let cut = match self.committed.last() {
            Some(w) if w.end > self.buffer_start => w.end,
            // No word inside the buffer is committed: keep the tentative words' audio, or
            // (nothing said) the last half of the buffer.
            _ => self
                .tentative
                .first()
                .map_or(keep_half(buffer_end, &self.options), |w| {
                    w.start.min(keep_half(buffer_end, &self.options))
                }),
        };
        // Never more than twice the limit, whatever the words say.
        let cut = cut.max(buffer_end - 2.0 * self.options.max_buffer_seconds);
        if cut <= self.buffer_start {
            return;
        }
        let drop = (((cut - self.buffer_start) * RATE) as usize).min(self.buffer.len());
        self.buffer.drain(..drop);
        self.buffer_start += drop as f64 / RATE;
    }
}

fn keep_half(buffer_end: f64, options: &StreamingOptions) -> f64 {
    buffer_end - options.max_buffer_seconds / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_compare_on_letters() {
        assert_eq!(normalised(" Hello,"), normalised("hello"));
        assert_eq!(normalised("你"), "你");
        assert_ne!(normalised(" two"), normalised(" too"));
    }
}
