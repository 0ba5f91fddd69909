//! Behaviour scores of a window — from the trained fusion model when a checkpoint is
//! present, from the rule engine otherwise, always labelled which — with the rule engine's
//! evidence beside them, and their summary over an answer (the combined view the report
//! shows).

use std::path::Path;

use candle_core::{Device, Tensor};
use mianshi_core::turn::{
    Delivery, DeliveryEvidence, DeliveryNudge, DeliveryPoint, DeliveryScore, TIMELINE_SIGNALS,
};
use serde::Serialize;

use crate::fusion::{Batch, FusionModel};
use crate::rules::{BehaviourScores, Rules, DIMENSIONS};
use crate::train::{TrainError, Trained};
use crate::window::{
    FeatureWindow, EXPRESSION_DIM, GAZE_DIM, MEL_DIM, POSE_DIM, SPEECH_DIM, STEPS,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    Model,
    Rules,
}

impl ScoreSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreSource::Model => "model",
            ScoreSource::Rules => "rules",
        }
    }
}

/// One window's behaviour scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    pub source: ScoreSource,
    /// In [`DIMENSIONS`] order; absent where what the dimension needs was not measured.
    pub values: [Option<f64>; 5],
    /// The rule engine's scores and the signal values behind them (the evidence, whichever
    /// source scored).
    pub rules: BehaviourScores,
}

pub struct BehaviourScorer {
    rules: Rules,
    model: Option<FusionModel>,
}

impl BehaviourScorer {
    pub fn rules_only(rules: Rules) -> Self {
        Self { rules, model: None }
    }

    /// With the checkpoint in `dir` (from `mianshi train review`).
    pub fn with_model(rules: Rules, dir: &Path) -> Result<Self, TrainError> {
        Ok(Self {
            rules,
            model: Some(Trained::load(dir)?.model),
        })
    }

    pub fn source(&self) -> ScoreSource {
        if self.model.is_some() {
            ScoreSource::Model
        } else {
            ScoreSource::Rules
        }
    }

    /// Scores a window. In screening mode the model never sees facial expression (its
    /// features are blanked) and the rules skip it.
    pub fn score(&self, window: &FeatureWindow, screening: bool) -> Result<Reading, TrainError> {
        let rules = self.rules.score(&window.signals, screening);
        let rule_values = rules.values();
        let Some(model) = &self.model else {
            return Ok(Reading {
                source: ScoreSource::Rules,
                values: rule_values,
                rules,
            });
        };
        let output = model.forward(&batch_of_one(window, screening)?, false)?;
        let predicted = output.scores.flatten_all()?.to_vec1::<f32>()?;
        // A dimension is reported where it was measured; the model never invents a body
        // score for a session without a camera.
        let values = std::array::from_fn(|d| rule_values[d].map(|_| f64::from(predicted[d])));
        Ok(Reading {
            source: ScoreSource::Model,
            values,
            rules,
        })
    }
}

fn batch_of_one(window: &FeatureWindow, screening: bool) -> candle_core::Result<Batch> {
    let dev = &Device::Cpu;
    let expression: Vec<f32> = if screening {
        vec![0.0; STEPS * EXPRESSION_DIM]
    } else {
        window.expression.iter().flatten().copied().collect()
    };
    Ok(Batch {
        expression: Tensor::from_vec(expression, (1, STEPS, EXPRESSION_DIM), dev)?,
        pose: Tensor::from_vec(
            window.pose.iter().flatten().copied().collect(),
            (1, STEPS, POSE_DIM),
            dev,
        )?,
        gaze: Tensor::from_vec(
            window.gaze.iter().flatten().copied().collect(),
            (1, STEPS, GAZE_DIM),
            dev,
        )?,
        mel: Tensor::from_slice(&window.mel, (1, MEL_DIM), dev)?,
        speech: Tensor::from_slice(&window.speech, (1, SPEECH_DIM), dev)?,
        present: Tensor::from_slice(
            &[f32::from(window.video_present > 0.0), window.audio_present],
            (1, 2),
            dev,
        )?,
    })
}

/// Accumulates an answer's readings (and the tips shown) into its [`Delivery`].
#[derive(Default)]
pub struct DeliveryTracker {
    source: Option<ScoreSource>,
    windows: u32,
    sums: [(f64, u32); 5],
    /// (dimension, signal) → (sum, count, good band)
    evidence: Vec<(usize, String, f64, u32, [f64; 2])>,
    /// The clock reading the answer's timeline counts from (its first reading or tip).
    started: Option<f64>,
    timeline: Vec<DeliveryPoint>,
    nudges: Vec<DeliveryNudge>,
}

impl DeliveryTracker {
    fn seconds(&mut self, clock: f64) -> f32 {
        let started = *self.started.get_or_insert(clock);
        ((clock - started).max(0.0) * 10.0).round() as f32 / 10.0
    }

    /// A window scored at `clock` seconds (the session's audio clock).
    pub fn add_at(&mut self, reading: &Reading, clock: f64) {
        let seconds = self.seconds(clock);
        self.timeline.push(DeliveryPoint {
            seconds,
            values: reading
                .values
                .iter()
                .map(|v| v.map(|v| (v * 10.0).round() as f32 / 10.0))
                .collect(),
            signals: reading
                .rules
                .scores
                .iter()
                .flat_map(|score| &score.evidence)
                .filter(|term| TIMELINE_SIGNALS.contains(&term.signal.as_str()))
                .map(|term| {
                    (
                        term.signal.clone(),
                        (term.value * 10.0).round() as f32 / 10.0,
                    )
                })
                .collect(),
        });
        self.add(reading);
    }

    /// A tip shown at `clock` seconds.
    pub fn nudge_at(&mut self, kind: &str, message: &str, clock: f64) {
        let seconds = self.seconds(clock);
        self.nudges.push(DeliveryNudge {
            seconds,
            kind: kind.to_owned(),
            message: message.to_owned(),
        });
    }

    pub fn add(&mut self, reading: &Reading) {
        self.source = Some(reading.source);
        self.windows += 1;
        for (sum, value) in self.sums.iter_mut().zip(reading.values) {
            if let Some(v) = value {
                sum.0 += v;
                sum.1 += 1;
            }
        }
        for (d, score) in reading.rules.scores.iter().enumerate() {
            for term in &score.evidence {
                match self
                    .evidence
                    .iter_mut()
                    .find(|e| e.0 == d && e.1 == term.signal)
                {
                    Some(e) => {
                        e.2 += term.value;
                        e.3 += 1;
                    }
                    None => self
                        .evidence
                        .push((d, term.signal.clone(), term.value, 1, term.good)),
                }
            }
        }
    }

    /// The answer's summary, `None` when nothing was scored; starts over.
    pub fn take(&mut self) -> Option<Delivery> {
        let tracker = std::mem::take(self);
        let source = tracker.source?;
        Some(Delivery {
            source: source.as_str().to_owned(),
            windows: tracker.windows,
            timeline: tracker.timeline,
            nudges: tracker.nudges,
            scores: DIMENSIONS
                .iter()
                .enumerate()
                .map(|(d, name)| {
                    let (sum, n) = tracker.sums[d];
                    DeliveryScore {
                        dimension: (*name).to_owned(),
                        value: (n > 0).then(|| (sum / f64::from(n)) as f32),
                        evidence: tracker
                            .evidence
                            .iter()
                            .filter(|e| e.0 == d)
                            .map(|e| DeliveryEvidence {
                                signal: e.1.clone(),
                                mean: (e.2 / f64::from(e.3)) as f32,
                                good: [e.4[0] as f32, e.4[1] as f32],
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::FusionConfig;
    use crate::signals::{Signal, Signals};

    fn window(wpm: f64) -> FeatureWindow {
        let mut signals = Signals::default();
        signals.set(Signal::WordsPerMinute, Some(wpm));
        signals.set(Signal::SpeakingSeconds, Some(12.0));
        signals.set(Signal::Fillers30s, Some(0.0));
        FeatureWindow::new(0.0, &[], Some([0.1; MEL_DIM]), signals)
    }

    #[test]
    fn without_a_checkpoint_the_rules_score_and_say_so() {
        let scorer = BehaviourScorer::rules_only(Rules::built_in());
        let reading = scorer.score(&window(150.0), false).unwrap();
        assert_eq!(reading.source, ScoreSource::Rules);
        assert_eq!(reading.values[0], Some(100.0));
        assert_eq!((reading.values[2], reading.values[3]), (None, None));
    }

    #[test]
    fn with_a_checkpoint_the_model_scores_only_what_was_measured() {
        let dir = tempfile::tempdir().unwrap();
        let kinds = crate::Catalogue::built_in()
            .kinds
            .iter()
            .map(|k| k.id.clone())
            .collect();
        Trained::fresh(FusionConfig::new(kinds))
            .unwrap()
            .save(dir.path())
            .unwrap();
        let scorer = BehaviourScorer::with_model(Rules::built_in(), dir.path()).unwrap();
        assert_eq!(scorer.source(), ScoreSource::Model);
        let reading = scorer.score(&window(200.0), true).unwrap();
        assert_eq!(reading.source, ScoreSource::Model);
        let language = reading.values[0].unwrap();
        assert!((0.0..=100.0).contains(&language));
        // No camera: no body or focus score, from the model either.
        assert_eq!((reading.values[2], reading.values[3]), (None, None));
        // The rule engine's evidence rides along.
        assert!(reading.rules.scores[0]
            .evidence
            .iter()
            .any(|e| e.signal == "words_per_minute" && e.value == 200.0));
    }

    #[test]
    fn an_answer_summary_averages_its_windows_and_their_evidence() {
        let scorer = BehaviourScorer::rules_only(Rules::built_in());
        let mut tracker = DeliveryTracker::default();
        assert!(tracker.take().is_none());
        for wpm in [150.0, 195.0] {
            tracker.add(&scorer.score(&window(wpm), false).unwrap());
        }
        let delivery = tracker.take().unwrap();
        assert_eq!((delivery.source.as_str(), delivery.windows), ("rules", 2));
        let language = &delivery.scores[0];
        assert_eq!(language.dimension, "language");
        // 150 wpm scores 100; 195 wpm halves the pace term (weight 2 of 3.5 with fillers).
        let expected = (100.0 + (50.0 * 2.0 + 100.0 * 1.5) / 3.5) / 2.0;
        assert!((f64::from(language.value.unwrap()) - expected).abs() < 1e-3);
        let pace = language
            .evidence
            .iter()
            .find(|e| e.signal == "words_per_minute")
            .unwrap();
        assert_eq!((pace.mean, pace.good), (172.5, [130.0, 160.0]));
        assert_eq!(delivery.scores[2].value, None);
        assert!(tracker.take().is_none(), "taking starts over");

        // With times: a timeline from the answer's first reading, and the tips shown.
        tracker.add_at(&scorer.score(&window(150.0), false).unwrap(), 30.0);
        tracker.nudge_at("pace_fast", "slow down", 33.2);
        tracker.add_at(&scorer.score(&window(195.0), false).unwrap(), 35.0);
        let delivery = tracker.take().unwrap();
        let times: Vec<f32> = delivery.timeline.iter().map(|p| p.seconds).collect();
        assert_eq!(times, vec![0.0, 5.0]);
        assert_eq!(delivery.timeline[0].values[0], Some(100.0));
        assert_eq!(delivery.timeline[1].values[2], None);
        // Pace is kept per window for the charts; gaze was not measured, so it is left out.
        assert_eq!(
            delivery.timeline[1].signals.get("words_per_minute"),
            Some(&195.0)
        );
        assert!(!delivery.timeline[1].signals.contains_key("at_camera_pct"));
        assert_eq!(
            (delivery.nudges[0].seconds, delivery.nudges[0].kind.as_str()),
            (3.2, "pace_fast")
        );
    }
}
