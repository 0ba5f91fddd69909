//! The nudge catalogue (`nudges.toml`, built in; another file can replace it) and the engine
//! that fires nudges from a session's signals.
//!
//! A kind's rule is a conjunction of clauses over signals of one clock. The engine remembers
//! since when each kind's rule has held; once it has held for the kind's `for_s`, the kind
//! fires with its evidence — the clause signals' values and the span over which the rule held
//! — unless the kind is cooling down, another nudge went out less than `min_gap_s` ago, or
//! the kind reads facial expression in screening mode.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::signals::{Signal, Signals, Source};

const BUILT_IN: &str = include_str!("../nudges.toml");

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read the nudge catalogue {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the nudge catalogue is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("nudge kind {kind:?}: {problem}")]
    Invalid { kind: String, problem: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
}

/// What a kind is about: the four observable behaviour dimensions (language expression,
/// composure, body language, focus), the answer's content, and the recording set-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Language,
    Composure,
    Body,
    Focus,
    Content,
    Setup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub signal: Signal,
    pub op: Op,
    pub value: f64,
}

impl Clause {
    fn holds(&self, value: f64) -> bool {
        match self.op {
            Op::Lt => value < self.value,
            Op::Le => value <= self.value,
            Op::Gt => value > self.value,
            Op::Ge => value >= self.value,
            Op::Eq => (value - self.value).abs() < 1e-9,
        }
    }
}

/// Every clause holds on a measured value (an absent signal never satisfies a clause).
pub(crate) fn all_hold(clauses: &[Clause], signals: &Signals) -> bool {
    clauses
        .iter()
        .all(|c| signals.get(c.signal).is_some_and(|v| c.holds(v)))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub cooldown_s: f64,
    #[serde(default)]
    pub for_s: f64,
    #[serde(default)]
    pub per_answer: bool,
    #[serde(default)]
    pub uses_expression: bool,
    pub when: Vec<Clause>,
    pub zh: String,
    pub en: String,
}

impl Kind {
    /// The clock the kind's rule runs on (all its signals share it; checked at load).
    pub fn source(&self) -> Source {
        self.when
            .first()
            .map_or(Source::Audio, |c| c.signal.source())
    }

    /// Whether the rule's condition holds on these signals right now (no hold time, no
    /// cooldown): what the live engine starts timing, and a window's reminder label.
    pub fn holds(&self, signals: &Signals, screening: bool) -> bool {
        !(self.uses_expression && screening) && all_hold(&self.when, signals)
    }

    pub fn message(&self, language: &str) -> &str {
        if language.starts_with("zh") {
            &self.zh
        } else {
            &self.en
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub version: u32,
    /// No nudge within this many seconds of the previous one (any kind).
    pub min_gap_s: f64,
    #[serde(rename = "kind")]
    pub kinds: Vec<Kind>,
}

impl Catalogue {
    /// The catalogue shipped with Mianshi.
    pub fn built_in() -> Self {
        // Checked by a unit test, so it always parses.
        Self::parse(BUILT_IN).unwrap_or_else(|err| panic!("built-in nudges.toml: {err}"))
    }

    pub fn load(path: &Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for kind in &catalogue.kinds {
            let invalid = |problem: &str| CatalogueError::Invalid {
                kind: kind.id.clone(),
                problem: problem.to_owned(),
            };
            if !seen.insert(kind.id.as_str()) {
                return Err(invalid("the id is used twice"));
            }
            if kind.when.is_empty() {
                return Err(invalid("a rule needs at least one clause"));
            }
            if kind.when.iter().any(|c| c.signal.source() != kind.source()) {
                return Err(invalid(
                    "a rule's signals must all be audio or all be camera signals",
                ));
            }
            if kind.zh.trim().is_empty() || kind.en.trim().is_empty() {
                return Err(invalid("messages in zh and en are required"));
            }
            if kind.cooldown_s < 0.0 || kind.for_s < 0.0 {
                return Err(invalid("times cannot be negative"));
            }
        }
        Ok(catalogue)
    }
}

/// A fired nudge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Nudge {
    pub kind: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    pub evidence: Evidence,
}

/// Why a nudge fired: the span (on `source`'s clock, seconds) over which its rule held, and
/// the values of the signals it reads at the moment it fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub source: Source,
    pub start: f64,
    pub end: f64,
    pub values: std::collections::BTreeMap<String, f64>,
}

#[derive(Clone, Copy, Default)]
struct KindState {
    held_since: Option<f64>,
    last_fired: Option<f64>,
    fired_this_answer: bool,
}

/// One session's nudge state.
pub struct NudgeEngine {
    catalogue: std::sync::Arc<Catalogue>,
    states: Vec<KindState>,
    /// The latest nudge on each clock: when, and how severe.
    last_any: [Option<(f64, Severity)>; 2],
    pub screening: bool,
}

impl NudgeEngine {
    pub fn new(catalogue: std::sync::Arc<Catalogue>, screening: bool) -> Self {
        let states = vec![KindState::default(); catalogue.kinds.len()];
        Self {
            catalogue,
            states,
            last_any: [None; 2],
            screening,
        }
    }

    /// A new answer begins: `per_answer` kinds may fire again.
    pub fn new_answer(&mut self) {
        for state in &mut self.states {
            state.fired_this_answer = false;
        }
    }

    /// Evaluates the kinds on `source`'s clock at time `now` of that clock. At most one nudge
    /// comes out (the most severe, then the first in the catalogue), respecting `min_gap_s`.
    pub fn evaluate(
        &mut self,
        signals: &Signals,
        source: Source,
        now: f64,
        language: &str,
    ) -> Option<Nudge> {
        let clock = source as usize;
        let min_gap = self.catalogue.min_gap_s;
        // A warning (something hurting the interview now) does not wait behind a tip.
        let gap_ok = |severity: Severity| {
            self.last_any[clock].is_none_or(|(last, last_severity)| {
                now - last >= min_gap
                    || (severity == Severity::Warn && last_severity == Severity::Info)
            })
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, kind) in self.catalogue.kinds.iter().enumerate() {
            if kind.source() != source {
                continue;
            }
            let state = &mut self.states[i];
            if !kind.holds(signals, self.screening) {
                state.held_since = None;
                continue;
            }
            let since = *state.held_since.get_or_insert(now);
            let cooled = state
                .last_fired
                .is_none_or(|last| now < last || now - last >= kind.cooldown_s);
            let ready = now - since >= kind.for_s - 1e-9
                && cooled
                && !(kind.per_answer && state.fired_this_answer);
            let better = best.is_none_or(|(b, _)| {
                kind.severity == Severity::Warn
                    && self.catalogue.kinds[b].severity == Severity::Info
            });
            if ready && gap_ok(kind.severity) && better {
                best = Some((i, since));
            }
        }
        let (i, since) = best?;
        let kind = &self.catalogue.kinds[i];
        let lookback = kind
            .when
            .iter()
            .map(|c| c.signal.lookback(signals))
            .fold(0.0, f64::max);
        let evidence_start = since.min(now - lookback);
        let state = &mut self.states[i];
        state.last_fired = Some(now);
        state.fired_this_answer = true;
        // Fired: the next nudge of this kind needs the rule to hold anew.
        state.held_since = None;
        self.last_any[clock] = Some((now, kind.severity));
        Some(Nudge {
            kind: kind.id.clone(),
            category: kind.category,
            severity: kind.severity,
            message: kind.message(language).to_owned(),
            evidence: Evidence {
                source,
                start: round3(evidence_start.max(0.0)),
                end: round3(now),
                values: kind
                    .when
                    .iter()
                    .filter_map(|c| Some((c.signal.name(), round3(signals.get(c.signal)?))))
                    .collect(),
            },
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn signals(pairs: &[(Signal, f64)]) -> Signals {
        let mut s = Signals::default();
        for &(signal, value) in pairs {
            s.set(signal, Some(value));
        }
        s
    }

    #[test]
    fn the_built_in_catalogue_has_thirty_kinds_in_both_languages() {
        let catalogue = Catalogue::built_in();
        assert_eq!(catalogue.kinds.len(), 30);
        for kind in &catalogue.kinds {
            assert!(
                kind.zh.chars().any(mianshi_core::text::is_cjk),
                "{}",
                kind.id
            );
            assert!(kind.en.is_ascii() || kind.en.contains('—'), "{}", kind.id);
        }
        // Only the tense-expression kind reads the expression model.
        let expression: Vec<&str> = catalogue
            .kinds
            .iter()
            .filter(|k| {
                k.when
                    .iter()
                    .any(|c| c.signal == Signal::NegativeExpressionPct)
            })
            .map(|k| k.id.as_str())
            .collect();
        assert_eq!(expression, ["tense_expression"]);
        assert!(catalogue
            .kinds
            .iter()
            .all(|k| k.uses_expression == expression.contains(&k.id.as_str())));
    }

    #[test]
    fn bad_catalogues_are_refused_with_the_reason() {
        let mixed = r#"
            version = 1
            min_gap_s = 5
            [[kind]]
            id = "x"
            category = "focus"
            severity = "info"
            cooldown_s = 1
            when = [{ signal = "at_camera", op = "==", value = 0 }, { signal = "loudness", op = "<", value = 1 }]
            zh = "中" 
            en = "e"
        "#;
        let err = Catalogue::parse(mixed).unwrap_err().to_string();
        assert!(err.contains("all be audio"), "{err}");
        let unknown = mixed.replace("loudness", "volume");
        assert!(Catalogue::parse(&unknown).is_err());
    }

    #[test]
    fn a_held_rule_fires_once_with_evidence_then_cools_down() {
        let mut engine = NudgeEngine::new(Arc::new(Catalogue::built_in()), false);
        let away = signals(&[(Signal::AtCamera, 0.0), (Signal::FaceVisible, 1.0)]);
        let mut fired = Vec::new();
        for step in 0..100 {
            let t = 10.0 + step as f64 * 0.2;
            if let Some(n) = engine.evaluate(&away, Source::Video, t, "en") {
                fired.push((t, n));
            }
        }
        // Looking away from t = 10: fires at 15 (held 5 s), then after the 30 s cooldown,
        // which is past the end of this 20 s run.
        assert_eq!(fired.len(), 1, "{fired:?}");
        let (t, nudge) = &fired[0];
        assert!((t - 15.0).abs() < 1e-6);
        assert_eq!(nudge.kind, "look_away");
        assert_eq!(nudge.evidence.start, 10.0);
        assert_eq!(nudge.evidence.end, 15.0);
        assert!(nudge.message.starts_with("You've been looking away"));
        let values: Vec<(&str, f64)> = nudge
            .evidence
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(values, [("at_camera", 0.0), ("face_visible", 1.0)]);
        // A glance back resets the hold.
        let back = signals(&[(Signal::AtCamera, 1.0), (Signal::FaceVisible, 1.0)]);
        assert!(engine.evaluate(&back, Source::Video, 46.0, "zh").is_none());
        assert!(engine.evaluate(&away, Source::Video, 47.0, "zh").is_none());
        let again = engine.evaluate(&away, Source::Video, 52.0, "zh").unwrap();
        assert!(again.message.contains("镜头"));
    }

    #[test]
    fn a_warning_does_not_wait_behind_a_tip() {
        let mut engine = NudgeEngine::new(Arc::new(Catalogue::built_in()), false);
        let at = |window: f64| {
            signals(&[
                (Signal::AtCamera, 0.0),
                (Signal::FaceVisible, 1.0),
                (Signal::AtCameraPct, 20.0),
                (Signal::FaceVisiblePct, 100.0),
                (Signal::VideoWindowSeconds, window),
            ])
        };
        assert!(engine
            .evaluate(&at(12.0), Source::Video, 17.0, "en")
            .is_none());
        let tip = engine
            .evaluate(&at(15.0), Source::Video, 20.0, "en")
            .unwrap();
        assert_eq!(tip.kind, "low_eye_contact");
        // Looking away since 17 s: due at 22 s, 2 s after the tip, inside the 6 s gap.
        let warning = engine
            .evaluate(&at(17.0), Source::Video, 22.0, "en")
            .unwrap();
        assert_eq!(warning.kind, "look_away");
        assert_eq!((warning.evidence.start, warning.evidence.end), (17.0, 22.0));
        // But tips wait the whole gap after a warning.
        let blur = signals(&[(Signal::Sharpness, 5.0), (Signal::FaceVisible, 1.0)]);
        for t in [23.0, 24.0, 25.0, 26.0, 27.0] {
            assert!(
                engine.evaluate(&blur, Source::Video, t, "en").is_none(),
                "{t}"
            );
        }
        assert_eq!(
            engine
                .evaluate(&blur, Source::Video, 28.0, "en")
                .unwrap()
                .kind,
            "blurry"
        );
    }

    #[test]
    fn screening_never_fires_expression_kinds() {
        let tense = signals(&[
            (Signal::NegativeExpressionPct, 90.0),
            (Signal::VideoWindowSeconds, 20.0),
        ]);
        let mut screening = NudgeEngine::new(Arc::new(Catalogue::built_in()), true);
        assert!(screening
            .evaluate(&tense, Source::Video, 30.0, "en")
            .is_none());
        let mut practice = NudgeEngine::new(Arc::new(Catalogue::built_in()), false);
        let nudge = practice
            .evaluate(&tense, Source::Video, 30.0, "en")
            .unwrap();
        assert_eq!(nudge.kind, "tense_expression");
    }

    #[test]
    fn the_gap_between_nudges_and_per_answer_kinds() {
        let mut engine = NudgeEngine::new(Arc::new(Catalogue::built_in()), false);
        let s = signals(&[
            (Signal::WordsPerMinute, 200.0),
            (Signal::SpeakingSeconds, 15.0),
            (Signal::Fillers30s, 5.0),
            (Signal::AnswerSeconds, 70.0),
            (Signal::ExamplesGiven, 0.0),
        ]);
        // Warn beats info: the pace first, then the others one gap apart.
        let first = engine.evaluate(&s, Source::Audio, 100.0, "en").unwrap();
        assert_eq!(first.kind, "pace_fast");
        assert!(engine.evaluate(&s, Source::Audio, 103.0, "en").is_none());
        let second = engine.evaluate(&s, Source::Audio, 106.0, "en").unwrap();
        let third = engine.evaluate(&s, Source::Audio, 112.0, "en").unwrap();
        let mut later = vec![second.kind, third.kind];
        later.sort();
        assert_eq!(later, ["filler_cluster", "no_example"]);
        // no_example is per answer: not again in this answer even after its cooldown.
        let kinds: Vec<String> = (0..40)
            .filter_map(|i| engine.evaluate(&s, Source::Audio, 300.0 + 6.0 * i as f64, "en"))
            .map(|n| n.kind)
            .collect();
        assert!(!kinds.contains(&"no_example".to_owned()), "{kinds:?}");
        engine.new_answer();
        let kinds: Vec<String> = (0..40)
            .filter_map(|i| engine.evaluate(&s, Source::Audio, 600.0 + 6.0 * i as f64, "en"))
            .map(|n| n.kind)
            .collect();
        assert!(kinds.contains(&"no_example".to_owned()), "{kinds:?}");
    }
}
