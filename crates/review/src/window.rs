//! Feature windows: what the fusion model sees of five seconds of an interview, in the seed's
//! shapes — expression [5,7], pose [5,99] (33 keypoints × x, y, visibility), gaze [5,5], the
//! log-mel spectrum pooled over the window [80] — plus the measured speech metrics [8], and
//! the signals the rule engine reads at the window's end (its labels and evidence).
//!
//! Windows are cut from a whole recording ([`Recording`]) by replaying it, in time order,
//! through the same [`LiveSignals`] the live stream uses, so a file and a live session give
//! the same numbers.

use mianshi_vision::pose::keypoint;
use mianshi_vision::{aggregate, FrameFeatures};

use crate::signals::{AudioMeasures, LiveSignals, Signal, Signals, Source, TimedWord};

pub const STEPS: usize = 5;
pub const STEP_SECONDS: f64 = 1.0;
pub const WINDOW_SECONDS: f64 = STEPS as f64 * STEP_SECONDS;
pub const EXPRESSION_DIM: usize = 7;
pub const POSE_DIM: usize = 99;
pub const GAZE_DIM: usize = 5;
/// Whisper's 80 mel bands (`mianshi_speech::LOG_MEL_BANDS`).
pub const MEL_DIM: usize = 80;
/// The speech metrics of the window, in this order, each scaled to about [0, 1].
pub const SPEECH_SIGNALS: [(Signal, f64, f64); SPEECH_DIM] = [
    // (signal, offset, scale): feature = (value − offset) / scale
    (Signal::WordsPerMinute, 0.0, 200.0),
    (Signal::SpeakingSeconds, 0.0, 20.0),
    (Signal::Fillers30s, 0.0, 5.0),
    (Signal::Hedges60s, 0.0, 5.0),
    (Signal::PitchRange, 0.0, 20.0),
    (Signal::Loudness, -60.0, 60.0),
    (Signal::ClippingPct, 0.0, 5.0),
    (Signal::NoiseFloor, -90.0, 90.0),
];
pub const SPEECH_DIM: usize = 8;
const SAMPLE_RATE: f64 = 16_000.0;
/// How often the recording is advanced through the live signals.
const TICK_SECONDS: f64 = 0.5;
/// The speech analyser's metrics cover this much audio, as in the live stream.
const MEASURE_SECONDS: f64 = 20.0;
const CAMERA_WINDOW_SECONDS: f64 = 20.0;

/// One window's features and the signals at its end.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureWindow {
    pub start: f64,
    pub expression: [[f32; EXPRESSION_DIM]; STEPS],
    pub pose: [[f32; POSE_DIM]; STEPS],
    pub gaze: [[f32; GAZE_DIM]; STEPS],
    pub mel: [f32; MEL_DIM],
    pub speech: [f32; SPEECH_DIM],
    /// Share of the window's steps with a camera frame (0: no camera).
    pub video_present: f32,
    /// 1 when the window has audio.
    pub audio_present: f32,
    pub signals: Signals,
}

impl FeatureWindow {
    /// A window from its parts: the camera frames of the five seconds from `start` (on the
    /// camera clock; none without a camera), the pooled log-mel of its audio (`None` without
    /// a microphone), and the signals at its end.
    ///
    /// The camera's share signals (at camera, face visible) are taken over the window's own
    /// frames, so a window's labels describe that window; a missing modality's signals are
    /// cleared (a stale camera reading must not score a window without a camera).
    pub fn new(
        start: f64,
        frames: &[FrameFeatures],
        mel: Option<[f32; MEL_DIM]>,
        mut signals: Signals,
    ) -> Self {
        let clear = |signals: &mut Signals, source: Source| {
            for signal in Signal::ALL.into_iter().filter(|s| s.source() == source) {
                signals.set(signal, None);
            }
        };
        if frames.is_empty() {
            clear(&mut signals, Source::Video);
        } else {
            let whole = aggregate::aggregate(frames);
            signals.set(Signal::AtCameraPct, whole.at_camera_pct.map(f64::from));
            signals.set(
                Signal::FaceVisiblePct,
                Some(f64::from(whole.face_visible_pct)),
            );
            signals.set(Signal::VideoWindowSeconds, Some(whole.end - whole.start));
        }
        if mel.is_none() {
            clear(&mut signals, Source::Audio);
        }
        let mut window = FeatureWindow {
            start,
            expression: [[0.0; EXPRESSION_DIM]; STEPS],
            pose: [[0.0; POSE_DIM]; STEPS],
            gaze: [[0.0; GAZE_DIM]; STEPS],
            mel: [0.0; MEL_DIM],
            speech: [0.0; SPEECH_DIM],
            video_present: 0.0,
            audio_present: 0.0,
            signals,
        };
        window.camera(frames);
        if let Some(mel) = mel {
            window.mel = mel;
            window.speech = speech_features(&window.signals);
            window.audio_present = 1.0;
        }
        window
    }

    pub fn end(&self) -> f64 {
        self.start + WINDOW_SECONDS
    }

    /// Builds the per-step camera features from the frames inside the window.
    fn camera(&mut self, frames: &[FrameFeatures]) {
        let mut steps_seen = 0;
        for step in 0..STEPS {
            let from = self.start + step as f64 * STEP_SECONDS;
            let in_step: Vec<&FrameFeatures> = frames
                .iter()
                .filter(|f| f.t >= from && f.t < from + STEP_SECONDS)
                .collect();
            if in_step.is_empty() {
                continue;
            }
            steps_seen += 1;
            let faces: Vec<_> = in_step.iter().filter_map(|f| f.face.as_ref()).collect();
            let expressions: Vec<_> = faces.iter().filter_map(|f| f.expression.as_ref()).collect();
            for (i, slot) in self.expression[step].iter_mut().enumerate() {
                *slot = mean(expressions.iter().map(|e| e.probs[i]));
            }
            self.gaze[step] = [
                mean(faces.iter().map(|f| f.gaze.yaw / 45.0)),
                mean(faces.iter().map(|f| f.gaze.pitch / 45.0)),
                mean(faces.iter().map(|f| f32::from(u8::from(f.gaze.at_camera)))),
                faces.len() as f32 / in_step.len() as f32,
                mean(faces.iter().map(|f| f.eye_openness)),
            ];
            if let Some(pose) = in_step.iter().rev().find_map(|f| f.pose.as_ref()) {
                self.pose[step] = normalised_pose(&pose.keypoints);
            }
        }
        self.video_present = steps_seen as f32 / STEPS as f32;
    }
}

fn mean(values: impl Iterator<Item = f32>) -> f32 {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f32
    }
}

/// Keypoints relative to the shoulders' midpoint in shoulder widths (so framing and distance
/// to the camera do not matter), scaled to about [−1, 1], with their visibility.
fn normalised_pose(keypoints: &[mianshi_vision::pose::Keypoint]) -> [f32; POSE_DIM] {
    let mut out = [0f32; POSE_DIM];
    let (l, r) = (
        keypoints.get(keypoint::LEFT_SHOULDER),
        keypoints.get(keypoint::RIGHT_SHOULDER),
    );
    let (cx, cy, scale) = match (l, r) {
        (Some(l), Some(r)) => {
            let width = (l.x - r.x).hypot(l.y - r.y);
            if width > 1e-3 {
                ((l.x + r.x) / 2.0, (l.y + r.y) / 2.0, width * 3.0)
            } else {
                (0.5, 0.5, 0.5)
            }
        }
        _ => (0.5, 0.5, 0.5),
    };
    for (i, k) in keypoints.iter().take(POSE_DIM / 3).enumerate() {
        out[3 * i] = ((k.x - cx) / scale).clamp(-2.0, 2.0);
        out[3 * i + 1] = ((k.y - cy) / scale).clamp(-2.0, 2.0);
        out[3 * i + 2] = k.visibility.clamp(0.0, 1.0);
    }
    out
}

/// The speech features of a window from its end's signals (absent → 0).
fn speech_features(signals: &Signals) -> [f32; SPEECH_DIM] {
    let mut out = [0f32; SPEECH_DIM];
    for (slot, (signal, offset, scale)) in out.iter_mut().zip(SPEECH_SIGNALS) {
        *slot = signals
            .get(signal)
            .map_or(0.0, |v| ((v - offset) / scale).clamp(-2.0, 4.0) as f32);
    }
    out
}

/// A whole recorded answer: any of audio and camera may be missing.
pub struct Recording<'a> {
    /// 16 kHz mono.
    pub audio: Option<&'a [f32]>,
    /// The transcript's words on the audio clock.
    pub words: &'a [TimedWord],
    /// Camera frames in time order.
    pub frames: Option<&'a [FrameFeatures]>,
    /// The question being answered, if known (answer-content signals need it).
    pub question: Option<&'a str>,
}

/// The speech analyser and the mel front end, provided by the caller (the speech crate) so
/// that this crate stays free of audio DSP.
pub trait AudioFeatures {
    /// Loudness, clipping and pitch range of up to the last 20 s.
    fn measures(&mut self, recent: &[f32]) -> AudioMeasures;
    /// The log-mel spectrum averaged over the samples.
    fn pooled_mel(&mut self, samples: &[f32]) -> [f32; MEL_DIM];
}

/// Cuts a recording into windows of [`WINDOW_SECONDS`] every `hop` seconds.
pub fn windows(
    recording: &Recording,
    hop: f64,
    audio_features: &mut dyn AudioFeatures,
) -> Vec<FeatureWindow> {
    let audio_len = recording
        .audio
        .map_or(0.0, |a| a.len() as f64 / SAMPLE_RATE);
    let video_len = recording
        .frames
        .and_then(|f| f.last())
        .map_or(0.0, |f| f.t + 0.2);
    let duration = audio_len.max(video_len);
    let mut live = LiveSignals::new();
    if let Some(question) = recording.question {
        live.question(question);
    }
    let mut out = Vec::new();
    let mut words_fed = 0;
    let mut next_measure = 1.0;
    let mut next_window_end = WINDOW_SECONDS;
    let ticks = (duration / TICK_SECONDS).floor() as usize;
    for tick in 1..=ticks {
        let now = tick as f64 * TICK_SECONDS;
        if let Some(audio) = recording.audio {
            let from = (((now - TICK_SECONDS) * SAMPLE_RATE) as usize).min(audio.len());
            let to = ((now * SAMPLE_RATE) as usize).min(audio.len());
            live.audio(&audio[from..to]);
            if now >= next_measure {
                next_measure += 1.0;
                let recent_from =
                    (((now - MEASURE_SECONDS).max(0.0) * SAMPLE_RATE) as usize).min(to);
                live.audio_measures(audio_features.measures(&audio[recent_from..to]));
            }
            let ready = recording.words[words_fed..].partition_point(|w| w.end <= now);
            live.words(
                recording.words[words_fed..words_fed + ready]
                    .iter()
                    .cloned(),
            );
            words_fed += ready;
        }
        if let Some(frames) = recording.frames {
            let from = frames.partition_point(|f| f.t < now - CAMERA_WINDOW_SECONDS);
            let to = frames.partition_point(|f| f.t < now);
            live.frames(&frames[from..to]);
        }
        if now + 1e-9 < next_window_end {
            continue;
        }
        next_window_end += hop;
        let start = now - WINDOW_SECONDS;
        let frames = recording.frames.map(|frames| {
            let from = frames.partition_point(|f| f.t < start);
            let to = frames.partition_point(|f| f.t < now);
            &frames[from..to]
        });
        let mel = recording
            .audio
            .filter(|_| now <= audio_len + 1e-9)
            .map(|audio| {
                let from = ((start * SAMPLE_RATE) as usize).min(audio.len());
                let to = ((now * SAMPLE_RATE) as usize).min(audio.len());
                audio_features.pooled_mel(&audio[from..to])
            });
        out.push(FeatureWindow::new(
            start,
            frames.unwrap_or_default(),
            mel,
            live.signals(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mianshi_vision::analyzer::NormBox;
    use mianshi_vision::face::HeadPose;
    use mianshi_vision::{FaceFeatures, Gaze, Quality};

    struct Flat;
    impl AudioFeatures for Flat {
        fn measures(&mut self, recent: &[f32]) -> AudioMeasures {
            let rms = (recent.iter().map(|s| s * s).sum::<f32>() / recent.len().max(1) as f32)
                .sqrt()
                .max(1e-6);
            AudioMeasures {
                loudness: Some(20.0 * f64::from(rms.log10())),
                clipping_pct: Some(0.0),
                pitch_range: Some(6.0),
            }
        }
        fn pooled_mel(&mut self, samples: &[f32]) -> [f32; MEL_DIM] {
            [samples.len() as f32 / 80_000.0; MEL_DIM]
        }
    }

    fn frame(t: f64, at_camera: bool) -> FrameFeatures {
        FrameFeatures {
            t,
            width: 640,
            height: 480,
            face: Some(FaceFeatures {
                bbox: NormBox::default(),
                score: 0.9,
                landmarks: Vec::new(),
                iris: [[0.0; 2]; 2],
                head_pose: HeadPose::default(),
                gaze: Gaze {
                    yaw: if at_camera { 0.0 } else { 40.0 },
                    pitch: 0.0,
                    at_camera,
                },
                eye_openness: 0.3,
                expression: Some(mianshi_vision::Expression::from_probs([
                    0.0, 0.0, 0.0, 0.8, 0.0, 0.0, 0.2,
                ])),
            }),
            faces_in_view: 1,
            pose: None,
            quality: Quality::default(),
        }
    }

    #[test]
    fn a_recording_is_cut_into_overlapping_windows_with_steps_on_the_camera_clock() {
        // 12 s of a quiet tone, and a camera at 5 fps that looks away from 8 s on.
        let audio: Vec<f32> = (0..12 * 16_000)
            .map(|i| 0.1 * (i as f32 * 0.05).sin())
            .collect();
        let frames: Vec<FrameFeatures> = (0..60)
            .map(|i| frame(i as f64 * 0.2, (i as f64) * 0.2 < 8.0))
            .collect();
        let recording = Recording {
            audio: Some(&audio),
            words: &[],
            frames: Some(&frames),
            question: None,
        };
        let windows = windows(&recording, 2.5, &mut Flat);
        let starts: Vec<f64> = windows.iter().map(|w| w.start).collect();
        assert_eq!(starts, vec![0.0, 2.5, 5.0]);
        let first = &windows[0];
        assert_eq!((first.video_present, first.audio_present), (1.0, 1.0));
        assert!((first.expression[0][3] - 0.8).abs() < 1e-6);
        assert_eq!(first.gaze[0][2], 1.0);
        // The last window (5–10 s) looks away in its last two steps.
        let last = &windows[2];
        assert_eq!(last.gaze[2][2], 1.0);
        assert_eq!(last.gaze[3][2], 0.0);
        assert_eq!(last.signals.get(Signal::AtCamera), Some(0.0));
        assert!((last.mel[0] - 1.0).abs() < 1e-6, "5 s of samples pooled");
        assert!(last.signals.get(Signal::Loudness).unwrap() < -20.0);
    }

    #[test]
    fn without_a_camera_the_video_features_are_zero_and_marked_absent() {
        let audio = vec![0.0f32; 6 * 16_000];
        let recording = Recording {
            audio: Some(&audio),
            words: &[],
            frames: None,
            question: None,
        };
        let windows = windows(&recording, 5.0, &mut Flat);
        assert_eq!(windows.len(), 1);
        assert_eq!(windows[0].video_present, 0.0);
        assert!(windows[0].gaze.iter().flatten().all(|v| *v == 0.0));
        assert_eq!(windows[0].signals.get(Signal::AtCameraPct), None);
    }
}
