//! The feature windows of one live session, reduced to named signals.
//!
//! Two clocks: audio seconds (samples received / 16 kHz — the transcript's words use the same
//! clock) and camera seconds (the frames' own timestamps). Each signal belongs to one of them,
//! so a nudge's evidence span is in the time of what it measured. A signal is `None` when it
//! was not measured (no camera, no transcript yet, no answer open), and a rule over an absent
//! signal never fires.

use std::collections::VecDeque;
use std::sync::LazyLock;

use mianshi_core::text::{filler_count, word_count};
use mianshi_interviewer::text::{content_terms, numbers, own_actions, structure_markers};
use mianshi_vision::pose::keypoint;
use mianshi_vision::{aggregate, FrameFeatures};
use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Audio,
    Video,
}

/// Every signal a nudge rule can read. docs/nudges.md defines each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    // Audio clock: the voice.
    /// Words per minute of speaking over the transcript of the last 20 s.
    WordsPerMinute,
    /// Seconds with voice in the last 20 s.
    SpeakingSeconds,
    #[serde(rename = "fillers_30s")]
    Fillers30s,
    #[serde(rename = "hedges_60s")]
    Hedges60s,
    /// Semitones between the 10th and 90th pitch percentiles over the last 20 s.
    PitchRange,
    /// dBFS of the voiced audio of the last 20 s.
    Loudness,
    /// % of samples at full scale in the last 20 s.
    ClippingPct,
    /// dBFS of the quietest tenth of the last 20 s (the room, between words).
    NoiseFloor,
    /// Seconds without voice since the question was asked or the candidate last spoke, while
    /// an answer is awaited.
    SilenceSeconds,
    // Audio clock: the open answer.
    AnswerSeconds,
    AnswerWords,
    /// Words of the answer that just ended (present only right after it ended).
    FinishedAnswerWords,
    ExamplesGiven,
    /// How many of the question's content terms the answer has used.
    TopicTermsHit,
    StructureMarkers,
    NumbersSaid,
    // Camera clock: the latest frame.
    FaceVisible,
    AtCamera,
    FacesInView,
    EyeOpenness,
    /// |head roll| in degrees.
    HeadRoll,
    /// |shoulder line tilt| in degrees.
    ShoulderTilt,
    /// How far the head has sunk towards the shoulders against the candidate's own posture
    /// at the start, in %.
    PostureDropPct,
    HandNearFace,
    Brightness,
    Sharpness,
    FaceSize,
    // Camera clock: the window.
    AtCameraPct,
    FaceVisiblePct,
    VideoWindowSeconds,
    /// Shoulder widths per second of upper-body movement over the last 10 s.
    Fidget,
    /// % of expression frames in the window whose top class is angry, disgust, fear or sad.
    NegativeExpressionPct,
}

impl Signal {
    pub const ALL: [Signal; 32] = [
        Signal::WordsPerMinute,
        Signal::SpeakingSeconds,
        Signal::Fillers30s,
        Signal::Hedges60s,
        Signal::PitchRange,
        Signal::Loudness,
        Signal::ClippingPct,
        Signal::NoiseFloor,
        Signal::SilenceSeconds,
        Signal::AnswerSeconds,
        Signal::AnswerWords,
        Signal::FinishedAnswerWords,
        Signal::ExamplesGiven,
        Signal::TopicTermsHit,
        Signal::StructureMarkers,
        Signal::NumbersSaid,
        Signal::FaceVisible,
        Signal::AtCamera,
        Signal::FacesInView,
        Signal::EyeOpenness,
        Signal::HeadRoll,
        Signal::ShoulderTilt,
        Signal::PostureDropPct,
        Signal::HandNearFace,
        Signal::Brightness,
        Signal::Sharpness,
        Signal::FaceSize,
        Signal::AtCameraPct,
        Signal::FaceVisiblePct,
        Signal::VideoWindowSeconds,
        Signal::Fidget,
        Signal::NegativeExpressionPct,
    ];

    pub fn source(self) -> Source {
        if self >= Signal::FaceVisible {
            Source::Video
        } else {
            Source::Audio
        }
    }

    /// How far back a reading of this signal looks, in seconds of its clock: the evidence
    /// span of a nudge covers it. Instantaneous signals look back 0 s; the answer's signals
    /// look back to the start of the answer.
    pub fn lookback(self, signals: &Signals) -> f64 {
        use Signal::*;
        match self {
            WordsPerMinute | SpeakingSeconds | PitchRange | Loudness | ClippingPct | NoiseFloor => {
                20.0
            }
            Fillers30s => 30.0,
            Hedges60s => 60.0,
            SilenceSeconds => signals.get(SilenceSeconds).unwrap_or(0.0),
            AnswerSeconds | AnswerWords | ExamplesGiven | TopicTermsHit | StructureMarkers
            | NumbersSaid => signals.get(AnswerSeconds).unwrap_or(0.0),
            AtCameraPct | FaceVisiblePct | NegativeExpressionPct | VideoWindowSeconds => {
                signals.get(VideoWindowSeconds).unwrap_or(0.0)
            }
            Fidget => FIDGET_WINDOW,
            _ => 0.0,
        }
    }

    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One value per signal, `None` where it was not measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    values: [Option<f64>; Signal::ALL.len()],
}

impl Signals {
    pub fn get(&self, signal: Signal) -> Option<f64> {
        self.values[signal as usize]
    }

    pub fn set(&mut self, signal: Signal, value: Option<f64>) {
        self.values[signal as usize] = value.filter(|v| v.is_finite());
    }
}

/// A word of the transcript on the audio clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedWord {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Delivery metrics of the last 20 s of audio, as the speech analyser measured them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AudioMeasures {
    pub loudness: Option<f64>,
    pub clipping_pct: Option<f64>,
    pub pitch_range: Option<f64>,
}

const SAMPLE_RATE: f64 = 16_000.0;
/// Voice activity is judged on 50 ms frames.
const FRAME_SAMPLES: usize = 800;
const LEVELS_KEPT: usize = 400; // 20 s of 50 ms frames
const WORDS_KEPT_SECONDS: f64 = 60.0;
/// A 50 ms frame is voice when it is this far above the room's noise floor (and not below
/// an absolute floor, so a silent digital line does not count its dither as speech).
const VOICE_OVER_NOISE_DB: f64 = 12.0;
const VOICE_MIN_DB: f64 = -50.0;
/// Pace needs this much transcribed speech in the window to mean anything.
const MIN_PACE_SPAN: f64 = 5.0;
/// Pose frames whose head-over-shoulders ratio sets the candidate's baseline posture.
const POSTURE_BASELINE_FRAMES: usize = 15;
const FIDGET_WINDOW: f64 = 10.0;

static HEDGES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)可能|也许|大概|好像|应该是|不太确定|说不定|\bmaybe\b|\bperhaps\b|\bprobably\b|\bi guess\b|\bi suppose\b|\bnot sure\b|\bi think maybe\b|\bsort of\b|\bkind of\b|\bmight\b").unwrap()
});

static EXAMPLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)例如|比如|举个例子|举例|有一次|当时|那次|在我(?:之前|上一|以前)|\bfor example\b|\bfor instance\b|\be\.g\.|\bonce\b|\bone time\b|\bat my (?:last|previous)\b|\bin my (?:last|previous)\b|\bwhen i was\b|\bin one project\b").unwrap()
});

/// The rolling windows of one live session.
#[derive(Default)]
pub struct LiveSignals {
    audio_t: f64,
    /// Leftover samples shorter than a level frame.
    partial_frame: Vec<f32>,
    /// dBFS of the last 20 s of 50 ms frames.
    levels: VecDeque<f32>,
    level_frames: u64,
    noise_floor: Option<f64>,
    last_voiced: Option<f64>,
    measures: AudioMeasures,
    words: VecDeque<TimedWord>,
    /// When the open question was asked (audio clock); `None` between answer and question.
    question_asked: Option<f64>,
    question_terms: Vec<String>,
    answer: Option<OpenAnswer>,
    finished_answer_words: Option<f64>,
    video_t: Option<f64>,
    video: Signals,
    posture_samples: Vec<f32>,
    posture_baseline: Option<f32>,
}

struct OpenAnswer {
    started: f64,
    text: String,
}

impl LiveSignals {
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock a source's signals are on, now.
    pub fn clock(&self, source: Source) -> f64 {
        match source {
            Source::Audio => self.audio_t,
            Source::Video => self.video_t.unwrap_or(0.0),
        }
    }

    /// A question was put to the candidate: silence counts from now and the answer's topic
    /// terms come from it.
    pub fn question(&mut self, text: &str) {
        self.question_asked = Some(self.audio_t);
        self.question_terms = content_terms(text);
        self.answer = None;
    }

    /// The candidate says they start answering (otherwise their first voice does).
    pub fn answer_started(&mut self) {
        if self.answer.is_none() {
            self.answer = Some(OpenAnswer {
                started: self.audio_t,
                text: String::new(),
            });
        }
    }

    /// The answer was committed: its length is offered to the rules once, and nothing is
    /// awaited until the next question.
    pub fn answer_finished(&mut self) {
        if let Some(answer) = self.answer.take() {
            self.finished_answer_words = Some(f64::from(word_count(&answer.text)));
        }
        self.question_asked = None;
    }

    /// Audio received (16 kHz mono): advances the audio clock and tracks voice activity.
    pub fn audio(&mut self, samples: &[f32]) {
        self.finished_answer_words = None;
        let mut offset = 0;
        if !self.partial_frame.is_empty() {
            let need = (FRAME_SAMPLES - self.partial_frame.len()).min(samples.len());
            self.partial_frame.extend_from_slice(&samples[..need]);
            offset = need;
            if self.partial_frame.len() == FRAME_SAMPLES {
                let frame = std::mem::take(&mut self.partial_frame);
                self.level_frame(&frame);
            }
        }
        let mut chunks = samples[offset..].chunks_exact(FRAME_SAMPLES);
        for frame in &mut chunks {
            self.level_frame(frame);
        }
        self.partial_frame.extend_from_slice(chunks.remainder());
    }

    fn level_frame(&mut self, frame: &[f32]) {
        self.audio_t += frame.len() as f64 / SAMPLE_RATE;
        let mean_square = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
        let db = 10.0 * mean_square.max(1e-10).log10();
        if self.levels.len() == LEVELS_KEPT {
            self.levels.pop_front();
        }
        self.levels.push_back(db);
        // The noise floor moves slowly; re-estimating it once a second is plenty.
        self.level_frames += 1;
        if self.level_frames.is_multiple_of(20) || self.noise_floor.is_none() {
            let mut sorted: Vec<f32> = self.levels.iter().copied().collect();
            sorted.sort_by(f32::total_cmp);
            self.noise_floor = Some(f64::from(sorted[sorted.len() / 10]));
        }
        let floor = self.noise_floor.unwrap_or(f64::from(db));
        if f64::from(db) >= (floor + VOICE_OVER_NOISE_DB).max(VOICE_MIN_DB) {
            self.last_voiced = Some(self.audio_t);
            if self.question_asked.is_some() {
                self.answer_started();
            }
        }
    }

    /// The speech analyser's measures of the last 20 s.
    pub fn audio_measures(&mut self, measures: AudioMeasures) {
        self.measures = measures;
    }

    /// Transcribed words (audio clock), in order.
    pub fn words(&mut self, words: impl IntoIterator<Item = TimedWord>) {
        for word in words {
            if let Some(answer) = self.answer.as_mut() {
                answer.text.push_str(&word.text);
            }
            self.words.push_back(word);
        }
        let keep_from = self.audio_t - WORDS_KEPT_SECONDS;
        while self.words.front().is_some_and(|w| w.end < keep_from) {
            self.words.pop_front();
        }
    }

    /// The camera window (frames in time order, the last is the newest).
    pub fn frames(&mut self, window: &[FrameFeatures]) {
        let Some(latest) = window.last() else {
            return;
        };
        self.video_t = Some(latest.t);
        let s = &mut self.video;
        let face = latest.face.as_ref();
        s.set(
            Signal::FaceVisible,
            Some(f64::from(u8::from(face.is_some()))),
        );
        s.set(
            Signal::AtCamera,
            face.map(|f| f64::from(u8::from(f.gaze.at_camera))),
        );
        s.set(Signal::FacesInView, Some(latest.faces_in_view as f64));
        s.set(Signal::EyeOpenness, face.map(|f| f64::from(f.eye_openness)));
        s.set(
            Signal::HeadRoll,
            face.map(|f| f64::from(f.head_pose.roll.abs())),
        );
        s.set(
            Signal::ShoulderTilt,
            latest
                .pose
                .as_ref()
                .map(|p| f64::from(p.shoulder_tilt.abs())),
        );
        s.set(
            Signal::Brightness,
            Some(f64::from(latest.quality.brightness)),
        );
        s.set(Signal::Sharpness, Some(f64::from(latest.quality.sharpness)));
        s.set(
            Signal::FaceSize,
            face.map(|_| f64::from(latest.quality.face_size)),
        );
        s.set(Signal::HandNearFace, hand_near_face(latest));

        let ratio = head_over_shoulders(latest);
        if let (None, Some(r)) = (self.posture_baseline, ratio) {
            self.posture_samples.push(r);
            if self.posture_samples.len() >= POSTURE_BASELINE_FRAMES {
                self.posture_samples.sort_by(f32::total_cmp);
                self.posture_baseline = Some(self.posture_samples[self.posture_samples.len() / 2]);
            }
        }
        let drop = match (self.posture_baseline, ratio) {
            (Some(base), Some(r)) if base > 0.0 => Some(f64::from(100.0 * (1.0 - r / base))),
            _ => None,
        };
        let s = &mut self.video;
        s.set(Signal::PostureDropPct, drop);

        let whole = aggregate::aggregate(window);
        s.set(Signal::AtCameraPct, whole.at_camera_pct.map(f64::from));
        s.set(
            Signal::FaceVisiblePct,
            Some(f64::from(whole.face_visible_pct)),
        );
        s.set(Signal::VideoWindowSeconds, Some(whole.end - whole.start));
        let recent_from = window.partition_point(|f| f.t < latest.t - FIDGET_WINDOW);
        s.set(
            Signal::Fidget,
            aggregate::aggregate(&window[recent_from..])
                .fidget_per_s
                .map(f64::from),
        );
        let tops: Vec<&str> = window
            .iter()
            .filter_map(|f| f.face.as_ref()?.expression.as_ref())
            .map(|e| e.top.as_str())
            .collect();
        let negative = tops
            .iter()
            .filter(|t| matches!(**t, "angry" | "disgust" | "fear" | "sad"))
            .count();
        s.set(
            Signal::NegativeExpressionPct,
            (!tops.is_empty()).then(|| 100.0 * negative as f64 / tops.len() as f64),
        );
    }

    /// Every signal as of now.
    pub fn signals(&self) -> Signals {
        let mut s = self.video.clone();
        let t = self.audio_t;
        s.set(Signal::NoiseFloor, self.noise_floor);
        s.set(Signal::Loudness, self.measures.loudness);
        s.set(Signal::ClippingPct, self.measures.clipping_pct);
        s.set(Signal::PitchRange, self.measures.pitch_range);
        let voiced_frames = self
            .levels
            .iter()
            .filter(|&&db| {
                f64::from(db)
                    >= (self.noise_floor.unwrap_or(0.0) + VOICE_OVER_NOISE_DB).max(VOICE_MIN_DB)
            })
            .count();
        s.set(
            Signal::SpeakingSeconds,
            Some(voiced_frames as f64 * FRAME_SAMPLES as f64 / SAMPLE_RATE),
        );

        let recent = |seconds: f64| {
            self.words
                .iter()
                .filter(move |w| w.end >= t - seconds)
                .map(|w| w.text.as_str())
                .collect::<String>()
        };
        s.set(Signal::WordsPerMinute, self.words_per_minute(t - 20.0));
        s.set(Signal::Fillers30s, Some(filler_count(&recent(30.0)) as f64));
        s.set(
            Signal::Hedges60s,
            Some(HEDGES.find_iter(&recent(60.0)).count() as f64),
        );

        if let Some(asked) = self.question_asked {
            let since_voice = self.last_voiced.map_or(asked, |v| v.max(asked));
            s.set(Signal::SilenceSeconds, Some(t - since_voice));
        }
        if let Some(answer) = &self.answer {
            let text = &answer.text;
            s.set(Signal::AnswerSeconds, Some(t - answer.started));
            s.set(Signal::AnswerWords, Some(f64::from(word_count(text))));
            let examples = EXAMPLES.find_iter(text).count() + own_actions(text).len();
            s.set(Signal::ExamplesGiven, Some(examples as f64));
            if !self.question_terms.is_empty() {
                let said = content_terms(text);
                let hit = self
                    .question_terms
                    .iter()
                    .filter(|q| said.contains(q))
                    .count();
                s.set(Signal::TopicTermsHit, Some(hit as f64));
            }
            s.set(
                Signal::StructureMarkers,
                Some(structure_markers(text) as f64),
            );
            s.set(Signal::NumbersSaid, Some(numbers(text).len() as f64));
        }
        s.set(Signal::FinishedAnswerWords, self.finished_answer_words);
        s
    }

    /// Words per minute of speaking over the words that end after `from`: pauses longer
    /// than a second between words are not speaking time.
    fn words_per_minute(&self, from: f64) -> Option<f64> {
        let mut span = 0.0;
        let mut count = 0.0f32;
        let mut previous_end: Option<f64> = None;
        for word in self.words.iter().filter(|w| w.end >= from) {
            let start = word.start.max(from);
            span += (word.end - start).max(0.0);
            if let Some(end) = previous_end {
                let gap = start - end;
                if (0.0..1.0).contains(&gap) {
                    span += gap;
                }
            }
            previous_end = Some(word.end);
            count += word_count(&word.text);
        }
        (span >= MIN_PACE_SPAN).then(|| f64::from(count) / span * 60.0)
    }
}

fn visible(k: &mianshi_vision::pose::Keypoint) -> bool {
    k.visibility > 0.5
}

/// Distance from the nose down to the shoulder line over the shoulder width (pixels): it
/// shrinks as the head sinks between the shoulders.
fn head_over_shoulders(frame: &FrameFeatures) -> Option<f32> {
    let k = &frame.pose.as_ref()?.keypoints;
    let (nose, left, right) = (
        k.get(keypoint::NOSE)?,
        k.get(keypoint::LEFT_SHOULDER)?,
        k.get(keypoint::RIGHT_SHOULDER)?,
    );
    if !(visible(nose) && visible(left) && visible(right)) {
        return None;
    }
    let (w, h) = (frame.width as f32, frame.height as f32);
    let width = ((left.x - right.x) * w).hypot((left.y - right.y) * h);
    let drop = ((left.y + right.y) / 2.0 - nose.y) * h;
    (width > 1.0).then(|| drop / width)
}

/// A wrist or hand keypoint inside the face box (grown by a fifth): touching the face, chin
/// in hand, covering the mouth.
fn hand_near_face(frame: &FrameFeatures) -> Option<f64> {
    let face = frame.face.as_ref()?;
    let pose = frame.pose.as_ref()?;
    let b = &face.bbox;
    let (grow_x, grow_y) = (b.w * 0.2, b.h * 0.2);
    // Wrists and the index fingertips (19, 20).
    let near = [keypoint::LEFT_WRIST, keypoint::RIGHT_WRIST, 19, 20]
        .iter()
        .filter_map(|&i| pose.keypoints.get(i))
        .filter(|k| visible(k))
        .any(|k| {
            k.x >= b.x - grow_x
                && k.x <= b.x + b.w + grow_x
                && k.y >= b.y - grow_y
                && k.y <= b.y + b.h + grow_y
        });
    Some(f64::from(u8::from(near)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f64, amplitude: f32) -> Vec<f32> {
        (0..(seconds * SAMPLE_RATE) as usize)
            .map(|i| amplitude * (i as f32 * 0.07).sin())
            .collect()
    }

    #[test]
    fn every_signal_has_a_distinct_name_and_its_index() {
        for (i, signal) in Signal::ALL.iter().enumerate() {
            assert_eq!(*signal as usize, i);
            assert!(!signal.name().is_empty());
        }
        assert_eq!(Signal::Fillers30s.name(), "fillers_30s");
        assert_eq!(Signal::WordsPerMinute.source(), Source::Audio);
        assert_eq!(Signal::FaceVisible.source(), Source::Video);
        assert_eq!(Signal::NegativeExpressionPct.source(), Source::Video);
    }

    #[test]
    fn silence_counts_from_the_question_and_voice_starts_the_answer() {
        let mut live = LiveSignals::new();
        live.audio(&tone(2.0, 0.001));
        live.question("Tell me about a project you led.");
        live.audio(&tone(4.0, 0.001));
        let s = live.signals();
        assert!((s.get(Signal::SilenceSeconds).unwrap() - 4.0).abs() < 0.06);
        assert_eq!(s.get(Signal::AnswerSeconds), None);
        live.audio(&tone(1.0, 0.3));
        live.audio(&tone(2.0, 0.001));
        let s = live.signals();
        assert!((s.get(Signal::SilenceSeconds).unwrap() - 2.0).abs() < 0.06);
        assert!((s.get(Signal::AnswerSeconds).unwrap() - 3.0).abs() < 0.06);
        assert!((s.get(Signal::SpeakingSeconds).unwrap() - 1.0).abs() < 0.11);
        live.answer_finished();
        assert_eq!(live.signals().get(Signal::SilenceSeconds), None);
        assert_eq!(live.signals().get(Signal::FinishedAnswerWords), Some(0.0));
        live.audio(&tone(0.1, 0.001));
        assert_eq!(live.signals().get(Signal::FinishedAnswerWords), None);
    }

    #[test]
    fn pace_fillers_and_answer_content_from_words() {
        let mut live = LiveSignals::new();
        live.question("How did you make the payment service faster?");
        live.answer_started();
        live.audio(&tone(12.0, 0.2));
        // 40 words in 10 s of speech: 240 wpm.
        let words = (0..40).map(|i| TimedWord {
            start: 1.0 + i as f64 * 0.25,
            end: 1.0 + i as f64 * 0.25 + 0.2,
            text: if i % 10 == 0 {
                " um".into()
            } else {
                " payment".into()
            },
        });
        live.words(words);
        live.words([TimedWord {
            start: 11.1,
            end: 11.5,
            text: " for example 30%".into(),
        }]);
        let s = live.signals();
        let wpm = s.get(Signal::WordsPerMinute).unwrap();
        assert!((235.0..250.0).contains(&wpm), "{wpm}");
        assert_eq!(s.get(Signal::Fillers30s), Some(4.0));
        assert_eq!(s.get(Signal::TopicTermsHit), Some(1.0));
        assert_eq!(s.get(Signal::ExamplesGiven), Some(1.0));
        assert_eq!(s.get(Signal::NumbersSaid), Some(1.0));
    }

    #[test]
    fn too_little_speech_has_no_pace() {
        let mut live = LiveSignals::new();
        live.audio(&tone(3.0, 0.2));
        live.words([TimedWord {
            start: 0.0,
            end: 0.4,
            text: " hello".into(),
        }]);
        assert_eq!(live.signals().get(Signal::WordsPerMinute), None);
    }
}
