//! The rule engine: measured delivery signals → the five behaviour scores, each with the
//! signal values that drove it.
//!
//! It is the default scorer, it labels the training data of the fusion model, and it is the
//! fallback when no trained model is present. Its formulas and thresholds are data
//! (`rules.toml`), so a coach can read and change them without touching code.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::nudges::{all_hold, Clause};
use crate::signals::{Signal, Signals};

/// The five behaviour dimensions, in the order of every score vector and model head.
pub const DIMENSIONS: [&str; 5] = ["language", "composure", "body", "focus", "overall"];

const BUILT_IN: &str = include_str!("../rules.toml");

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("rules file does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("rules: dimension {dimension}: {problem}")]
    Invalid { dimension: String, problem: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub signal: Signal,
    pub good: [f64; 2],
    pub zero: [f64; 2],
    pub weight: f64,
    #[serde(default)]
    pub when: Vec<Clause>,
    #[serde(default)]
    pub uses_expression: bool,
}

impl Term {
    /// 100 inside the good band, linearly down to 0 at the zero bounds.
    pub fn score(&self, value: f64) -> f64 {
        let [good_low, good_high] = self.good;
        let [zero_low, zero_high] = self.zero;
        let fraction = if value < good_low {
            ramp(value - zero_low, good_low - zero_low)
        } else if value > good_high {
            ramp(zero_high - value, zero_high - good_high)
        } else {
            1.0
        };
        100.0 * fraction
    }
}

/// How far along `span` the value `distance` is, clamped to [0, 1]; an empty span is a cliff.
fn ramp(distance: f64, span: f64) -> f64 {
    if span <= 0.0 {
        return 0.0;
    }
    (distance / span).clamp(0.0, 1.0)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    /// Its share of `overall`.
    pub weight: f64,
    pub terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub version: u32,
    /// In `DIMENSIONS` order (`parse` sorts them).
    #[serde(rename = "dimension")]
    pub dimensions: Vec<Dimension>,
}

/// What one term contributed to a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TermEvidence {
    pub signal: String,
    pub value: f64,
    pub good: [f64; 2],
    pub score: f64,
    pub weight: f64,
}

/// One dimension's score and the terms behind it; `value` is `None` when nothing it needs
/// was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    pub dimension: String,
    pub value: Option<f64>,
    pub evidence: Vec<TermEvidence>,
}

/// The five scores of one moment (or window), in [`DIMENSIONS`] order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BehaviourScores {
    pub scores: Vec<DimensionScore>,
}

impl BehaviourScores {
    /// The five values in [`DIMENSIONS`] order, `None` where absent.
    pub fn values(&self) -> [Option<f64>; 5] {
        let mut values = [None; 5];
        for (slot, name) in values.iter_mut().zip(DIMENSIONS) {
            *slot = self
                .scores
                .iter()
                .find(|s| s.dimension == name)
                .and_then(|s| s.value);
        }
        values
    }
}

impl Rules {
    /// The rules shipped with Mianshi.
    pub fn built_in() -> Self {
        // Checked by a unit test, so it always parses.
        Self::parse(BUILT_IN).unwrap_or_else(|err| panic!("built-in rules.toml: {err}"))
    }

    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let mut rules: Rules = toml::from_str(text)?;
        let expected = &DIMENSIONS[..4];
        let ids: Vec<&str> = rules.dimensions.iter().map(|d| d.id.as_str()).collect();
        for dimension in &rules.dimensions {
            let invalid = |problem: String| RulesError::Invalid {
                dimension: dimension.id.clone(),
                problem,
            };
            if !expected.contains(&dimension.id.as_str()) {
                return Err(invalid(format!("unknown; expected one of {expected:?}")));
            }
            if dimension.terms.is_empty() || dimension.weight <= 0.0 {
                return Err(invalid("needs terms and a positive weight".into()));
            }
            for term in &dimension.terms {
                let [gl, gh] = term.good;
                let [zl, zh] = term.zero;
                if !(zl <= gl && gl <= gh && gh <= zh) || term.weight <= 0.0 {
                    return Err(invalid(format!(
                        "term {}: bands must nest (zero low ≤ good low ≤ good high ≤ zero high) and the weight be positive",
                        term.signal.name()
                    )));
                }
            }
        }
        if ids.len() != expected.len() || expected.iter().any(|e| !ids.contains(e)) {
            return Err(RulesError::Invalid {
                dimension: ids.join(","),
                problem: format!("every one of {expected:?} exactly once"),
            });
        }
        // Kept in `DIMENSIONS` order, whatever the file's order: scores come out in it.
        rules
            .dimensions
            .sort_by_key(|d| DIMENSIONS.iter().position(|name| *name == d.id));
        Ok(rules)
    }

    /// Scores one set of signals. In screening mode terms that read facial expression are
    /// skipped (composure then rests on the voice alone).
    pub fn score(&self, signals: &Signals, screening: bool) -> BehaviourScores {
        let mut scores: Vec<DimensionScore> = self
            .dimensions
            .iter()
            .map(|dimension| {
                let evidence: Vec<TermEvidence> = dimension
                    .terms
                    .iter()
                    .filter(|t| !(t.uses_expression && screening))
                    .filter(|t| all_hold(&t.when, signals))
                    .filter_map(|t| {
                        let value = signals.get(t.signal)?;
                        Some(TermEvidence {
                            signal: t.signal.name(),
                            value,
                            good: t.good,
                            score: t.score(value),
                            weight: t.weight,
                        })
                    })
                    .collect();
                DimensionScore {
                    dimension: dimension.id.clone(),
                    value: weighted_mean(evidence.iter().map(|e| (e.score, e.weight))),
                    evidence,
                }
            })
            .collect();
        let overall = weighted_mean(
            scores
                .iter()
                .zip(&self.dimensions)
                .filter_map(|(s, d)| Some((s.value?, d.weight))),
        );
        scores.push(DimensionScore {
            dimension: "overall".into(),
            value: overall,
            evidence: Vec::new(),
        });
        BehaviourScores { scores }
    }
}

fn weighted_mean(values: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (sum, weights) = values.fold((0.0, 0.0), |(s, w), (v, weight)| {
        (s + v * weight, w + weight)
    });
    (weights > 0.0).then(|| sum / weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(values: &[(Signal, f64)]) -> Signals {
        let mut s = Signals::default();
        for &(signal, value) in values {
            s.set(signal, Some(value));
        }
        s
    }

    #[test]
    fn the_built_in_rules_parse_and_cover_four_dimensions() {
        let rules = Rules::built_in();
        assert_eq!(rules.dimensions.len(), 4);
        // A file may list the dimensions in any order; scores come out in DIMENSIONS order.
        let blocks: Vec<&str> = BUILT_IN.split("[[dimension]]").collect();
        let mut shuffled = blocks[0].to_owned();
        for block in blocks[1..].iter().rev() {
            shuffled.push_str("[[dimension]]");
            shuffled.push_str(block);
        }
        assert_eq!(Rules::parse(&shuffled).unwrap(), rules);
        // Every scored signal has a name and unit for the reports.
        for term in rules.dimensions.iter().flat_map(|d| &d.terms) {
            let signal = term.signal.name();
            assert!(
                mianshi_core::turn::signal_label(&signal).is_some(),
                "{signal} has no label"
            );
        }
    }

    #[test]
    fn a_term_is_full_inside_its_band_and_falls_linearly_outside() {
        let term = Term {
            signal: Signal::WordsPerMinute,
            good: [130.0, 160.0],
            zero: [60.0, 230.0],
            weight: 1.0,
            when: Vec::new(),
            uses_expression: false,
        };
        assert_eq!(term.score(145.0), 100.0);
        assert_eq!(term.score(95.0), 50.0);
        assert_eq!(term.score(195.0), 50.0);
        assert_eq!(term.score(300.0), 0.0);
        // A good bound equal to the zero bound: no penalty on that side is possible…
        let one_sided = Term {
            good: [0.0, 0.0],
            zero: [0.0, 1.0],
            ..term
        };
        assert_eq!(one_sided.score(0.0), 100.0);
        assert_eq!(one_sided.score(1.0), 0.0);
    }

    #[test]
    fn good_delivery_scores_high_and_poor_delivery_low_with_the_values_that_drove_it() {
        let rules = Rules::built_in();
        let good = signals(&[
            (Signal::SpeakingSeconds, 15.0),
            (Signal::WordsPerMinute, 145.0),
            (Signal::Fillers30s, 0.0),
            (Signal::Hedges60s, 0.0),
            (Signal::Loudness, -20.0),
            (Signal::PitchRange, 8.0),
            (Signal::AtCameraPct, 90.0),
            (Signal::FaceVisiblePct, 100.0),
            (Signal::PostureDropPct, 0.0),
            (Signal::Fidget, 0.05),
            (Signal::NegativeExpressionPct, 5.0),
        ]);
        let poor = signals(&[
            (Signal::SpeakingSeconds, 15.0),
            (Signal::WordsPerMinute, 215.0),
            (Signal::Fillers30s, 6.0),
            (Signal::Hedges60s, 7.0),
            (Signal::Loudness, -50.0),
            (Signal::PitchRange, 1.0),
            (Signal::AtCameraPct, 20.0),
            (Signal::FaceVisiblePct, 60.0),
            (Signal::PostureDropPct, 35.0),
            (Signal::Fidget, 0.9),
            (Signal::NegativeExpressionPct, 80.0),
        ]);
        let g = rules.score(&good, false).values();
        let p = rules.score(&poor, false).values();
        for i in 0..5 {
            assert!(g[i].unwrap() >= 95.0, "{} good: {g:?}", DIMENSIONS[i]);
            assert!(p[i].unwrap() <= 30.0, "{} poor: {p:?}", DIMENSIONS[i]);
        }
        let scored = rules.score(&poor, false);
        let language = &scored.scores[0];
        let pace = language
            .evidence
            .iter()
            .find(|e| e.signal == "words_per_minute")
            .unwrap();
        assert_eq!((pace.value, pace.good), (215.0, [130.0, 160.0]));
        assert!((pace.score - 100.0 * 15.0 / 70.0).abs() < 1e-9);
    }

    #[test]
    fn without_a_camera_the_camera_dimensions_are_absent_not_guessed() {
        let rules = Rules::built_in();
        let voice_only = signals(&[
            (Signal::SpeakingSeconds, 12.0),
            (Signal::WordsPerMinute, 150.0),
            (Signal::Fillers30s, 1.0),
            (Signal::Hedges60s, 0.0),
            (Signal::Loudness, -22.0),
        ]);
        let [language, composure, body, focus, overall] = rules.score(&voice_only, false).values();
        assert!(language.is_some() && composure.is_some());
        assert_eq!((body, focus), (None, None));
        // Overall averages what is present, by the dimensions' weights.
        let expected = (language.unwrap() * 0.30 + composure.unwrap() * 0.25) / 0.55;
        assert!((overall.unwrap() - expected).abs() < 1e-9);
        // Nothing said: the voice terms do not count either.
        let silent = signals(&[(Signal::SpeakingSeconds, 0.5), (Signal::Fillers30s, 0.0)]);
        assert_eq!(rules.score(&silent, false).values(), [None; 5]);
    }

    #[test]
    fn screening_drops_the_expression_term_from_composure() {
        let rules = Rules::built_in();
        let tense = signals(&[(Signal::NegativeExpressionPct, 90.0)]);
        assert_eq!(rules.score(&tense, false).values()[1], Some(0.0));
        assert_eq!(rules.score(&tense, true).values()[1], None);
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let text = BUILT_IN.replacen("good = [130, 160]", "good = [160, 130]", 1);
        let err = Rules::parse(&text).unwrap_err().to_string();
        assert!(err.contains("bands must nest"), "{err}");
        let err =
            Rules::parse("version = 1\n[[dimension]]\nid = \"charm\"\nweight = 1.0\nterms = []\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("unknown"), "{err}");
    }
}
