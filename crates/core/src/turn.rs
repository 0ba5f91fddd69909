//! One exchange of an interview: the question asked (on a topic), the candidate's answer and
//! the score it earned. A turn is the unit that is committed to storage and never lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a topic is about; the planner orders topics by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopicKind {
    Skill,
    Project,
    Experience,
    Competency,
}

/// A subject the interviewer probes, with what a strong answer covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub kind: TopicKind,
    #[serde(default)]
    pub competencies: Vec<String>,
    #[serde(default)]
    pub key_points: Vec<String>,
}

/// A question as asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Question {
    pub text: String,
    pub topic: Option<Topic>,
    /// 0 for the opening question of a topic, 1.. for follow-ups.
    pub follow_up_depth: u8,
    pub asked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    Typed,
    Voice,
}

/// The candidate's answer; the transcript for spoken answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    pub text: String,
    pub source: AnswerSource,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// How the candidate came across while giving it (spoken answers with the live stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// The review expert's behaviour scores over one answer: the mean of its 5-second windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// `model` (the trained fusion model) or `rules` (the rule engine).
    pub source: String,
    /// How many windows were scored.
    pub windows: u32,
    /// language, composure, body, focus, overall — each absent (`null`) when what it needs
    /// was not measured (no camera, nothing said, screening).
    pub scores: Vec<DeliveryScore>,
    /// The answer's windows in order, for a timeline (empty for a whole interview).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<DeliveryPoint>,
    /// The live tips shown during the answer, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nudges: Vec<DeliveryNudge>,
}

/// One scored window: when it ended (seconds of the answer) and its five scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPoint {
    pub seconds: f32,
    /// In the order of `Delivery::scores`; `null` where not measured.
    pub values: Vec<Option<f32>>,
    /// The window's readings of the signals a report draws over time (see
    /// [`TIMELINE_SIGNALS`]); a signal that was not measured is left out.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub signals: std::collections::BTreeMap<String, f32>,
}

/// The signals kept per window for "over time" charts: pace, gaze and expression. The rest
/// are summarised per answer in `DeliveryScore::evidence`, which keeps stored turns small.
pub const TIMELINE_SIGNALS: &[&str] = &[
    "words_per_minute",
    "at_camera_pct",
    "negative_expression_pct",
];

/// A tip shown during the answer: when (seconds of the answer), which kind, what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryNudge {
    pub seconds: f32,
    pub kind: String,
    pub message: String,
}

impl Delivery {
    /// Each measured signal once (a signal several dimensions read, such as pitch range, is
    /// the same measurement), in the order of the dimensions.
    pub fn metrics(&self) -> Vec<&DeliveryEvidence> {
        let mut seen: Vec<&DeliveryEvidence> = Vec::new();
        for evidence in self.scores.iter().flat_map(|s| &s.evidence) {
            if seen.iter().all(|e| e.signal != evidence.signal) {
                seen.push(evidence);
            }
        }
        seen
    }

    /// The whole interview's delivery from its answers': every window counts once (an answer
    /// scored over 12 windows weighs three times one over 4). `source` is `mixed` when some
    /// answers were scored by the model and some by the rules.
    pub fn combine<'a>(answers: impl IntoIterator<Item = &'a Delivery>) -> Option<Delivery> {
        let answers: Vec<&Delivery> = answers.into_iter().filter(|d| d.windows > 0).collect();
        let first = answers.first()?;
        let source = if answers.iter().all(|d| d.source == first.source) {
            first.source.clone()
        } else {
            "mixed".to_owned()
        };
        let mut scores: Vec<DeliveryScore> = Vec::new();
        for answer in &answers {
            for score in &answer.scores {
                if scores.iter().all(|s| s.dimension != score.dimension) {
                    scores.push(DeliveryScore {
                        dimension: score.dimension.clone(),
                        value: None,
                        evidence: Vec::new(),
                    });
                }
            }
        }
        let weighted = |values: Vec<(f32, u32)>| -> Option<f32> {
            let total: u32 = values.iter().map(|v| v.1).sum();
            (total > 0)
                .then(|| values.iter().map(|(v, w)| v * *w as f32).sum::<f32>() / total as f32)
        };
        for score in &mut scores {
            let parts: Vec<(&DeliveryScore, u32)> = answers
                .iter()
                .filter_map(|a| {
                    let s = a.scores.iter().find(|s| s.dimension == score.dimension)?;
                    Some((s, a.windows))
                })
                .collect();
            score.value = weighted(
                parts
                    .iter()
                    .filter_map(|(s, w)| Some((s.value?, *w)))
                    .collect(),
            );
            for (part, _) in &parts {
                for e in &part.evidence {
                    if score.evidence.iter().all(|x| x.signal != e.signal) {
                        let mean = weighted(
                            parts
                                .iter()
                                .filter_map(|(s, w)| {
                                    let x = s.evidence.iter().find(|x| x.signal == e.signal)?;
                                    Some((x.mean, *w))
                                })
                                .collect(),
                        );
                        score.evidence.push(DeliveryEvidence {
                            signal: e.signal.clone(),
                            mean: mean.unwrap_or(e.mean),
                            good: e.good,
                        });
                    }
                }
            }
        }
        Some(Delivery {
            source,
            windows: answers.iter().map(|d| d.windows).sum(),
            scores,
            timeline: Vec::new(),
            nudges: Vec::new(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryScore {
    pub dimension: String,
    pub value: Option<f32>,
    /// The measured signals behind it (the rule engine's terms), averaged over the answer.
    pub evidence: Vec<DeliveryEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryEvidence {
    pub signal: String,
    pub mean: f32,
    /// The band that scores full marks.
    pub good: [f32; 2],
}

/// How a report names a delivery signal and its unit, in English and Chinese. One table for
/// the printed report and the web app (served to it as `/app/signals.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignalLabel {
    pub signal: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub unit_en: &'static str,
    pub unit_zh: &'static str,
}

impl SignalLabel {
    pub fn name(&self, zh: bool) -> &'static str {
        if zh {
            self.zh
        } else {
            self.en
        }
    }

    pub fn unit(&self, zh: bool) -> &'static str {
        if zh {
            self.unit_zh
        } else {
            self.unit_en
        }
    }

    /// `value unit (band)`, e.g. `172.5 wpm (good 130–160)`.
    pub fn format(&self, zh: bool, mean: f32, good: [f32; 2]) -> String {
        let band = if good[0] == good[1] {
            format!("{}", good[0])
        } else if good[0] < 0.0 || good[1] < 0.0 {
            // "-32–-10" reads badly; negative bounds get a word between them.
            format!("{} {} {}", good[0], if zh { "至" } else { "to" }, good[1])
        } else {
            format!("{}–{}", good[0], good[1])
        };
        let value = match self.unit(zh) {
            "" => format!("{mean:.1}"),
            unit => format!("{mean:.1} {unit}"),
        };
        if zh {
            format!("{value}（理想 {band}）")
        } else {
            format!("{value} (good {band})")
        }
    }
}

const fn label(
    signal: &'static str,
    en: &'static str,
    zh: &'static str,
    unit_en: &'static str,
    unit_zh: &'static str,
) -> SignalLabel {
    SignalLabel {
        signal,
        en,
        zh,
        unit_en,
        unit_zh,
    }
}

/// Every signal the behaviour rules score (crates/review/rules.toml); docs/nudges.md
/// defines how each is measured.
pub const SIGNAL_LABELS: &[SignalLabel] = &[
    label("words_per_minute", "Pace", "语速", "wpm", "词/分钟"),
    label("fillers_30s", "Fillers", "口头禅", "per 30 s", "次/30 秒"),
    label(
        "hedges_60s",
        "Hedging words",
        "含糊措辞",
        "per min",
        "次/分钟",
    ),
    label("loudness", "Loudness", "音量", "dBFS", "dBFS"),
    label(
        "pitch_range",
        "Pitch variation",
        "音高变化",
        "semitones",
        "半音",
    ),
    label("clipping_pct", "Clipping", "削波", "% of samples", "% 采样"),
    label(
        "negative_expression_pct",
        "Tense or negative expression",
        "紧绷或负面表情",
        "% of time",
        "% 时间",
    ),
    label("posture_drop_pct", "Posture sinking", "坐姿下沉", "%", "%"),
    label("shoulder_tilt", "Shoulder tilt", "肩部倾斜", "°", "°"),
    label("head_roll", "Head tilt", "头部倾斜", "°", "°"),
    label(
        "hand_near_face",
        "Hand near face",
        "手靠近脸",
        "share of frames",
        "帧占比",
    ),
    label(
        "fidget",
        "Fidgeting",
        "小动作",
        "shoulder widths/s",
        "肩宽/秒",
    ),
    label(
        "at_camera_pct",
        "Looking at the camera",
        "注视镜头",
        "% of time",
        "% 时间",
    ),
    label(
        "face_visible_pct",
        "Face in view",
        "脸部在画面中",
        "% of time",
        "% 时间",
    ),
    label("faces_in_view", "Faces in view", "画面中人脸数", "", ""),
    label("eye_openness", "Eye openness", "睁眼程度", "ratio", "比例"),
];

/// The label of `signal`, if it is one the rules score.
pub fn signal_label(signal: &str) -> Option<&'static SignalLabel> {
    SIGNAL_LABELS.iter().find(|l| l.signal == signal)
}

/// A quoted span of the answer (or a measured value) that moved a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub quote: String,
    /// Points this evidence added (positive) or cost (negative).
    pub effect: i16,
    pub note: String,
}

/// How reports name the rubric's dimensions: (id, English, Chinese).
pub const RUBRIC_LABELS: &[(&str, &str, &str)] = &[
    ("relevance", "Relevance", "切题"),
    ("coverage", "Coverage", "要点覆盖"),
    ("specificity", "Specificity", "具体"),
    ("structure", "Structure", "条理"),
    ("depth", "Depth", "深度"),
    ("clarity", "Clarity", "清晰"),
];

/// The name of a rubric dimension in the report's language (the id when unknown).
pub fn rubric_label(dimension: &str, zh: bool) -> &str {
    RUBRIC_LABELS
        .iter()
        .find(|(id, _, _)| *id == dimension)
        .map_or(dimension, |(_, en, cn)| if zh { cn } else { en })
}

/// One rubric dimension (relevance, coverage, specificity, structure, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RubricItem {
    pub dimension: String,
    /// 0–100.
    pub score: u8,
    pub weight: f32,
}

/// The score of one answer, always with the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    /// 0–100.
    pub overall: u8,
    #[serde(default)]
    pub rubric: Vec<RubricItem>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub advice: Vec<String>,
    /// A short outline of what a strong answer covers.
    #[serde(default)]
    pub outline: Vec<String>,
    /// How the score was made, and what was not measured (e.g. no embedding model).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A committed exchange. `answer` is absent when a session ended while the question was open,
/// so that what was asked is still on record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Turn {
    /// 0-based position in the session; unique per session.
    pub index: u32,
    pub question: Question,
    pub answer: Option<Answer>,
    pub score: Option<Score>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(source: &str, windows: u32, language: Option<f32>, pace: f32) -> Delivery {
        Delivery {
            source: source.into(),
            windows,
            timeline: Vec::new(),
            nudges: Vec::new(),
            scores: vec![
                DeliveryScore {
                    dimension: "language".into(),
                    value: language,
                    evidence: vec![DeliveryEvidence {
                        signal: "words_per_minute".into(),
                        mean: pace,
                        good: [130.0, 160.0],
                    }],
                },
                DeliveryScore {
                    dimension: "focus".into(),
                    value: None,
                    evidence: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn an_interviews_delivery_weighs_every_window_once() {
        let a = delivery("rules", 3, Some(90.0), 150.0);
        let b = delivery("rules", 1, Some(50.0), 210.0);
        let whole = Delivery::combine([&a, &b]).unwrap();
        assert_eq!((whole.source.as_str(), whole.windows), ("rules", 4));
        assert_eq!(whole.scores[0].value, Some(80.0));
        assert_eq!(whole.scores[0].evidence[0].mean, 165.0);
        assert_eq!(whole.scores[1].value, None, "absent stays absent");
        let c = delivery("model", 2, None, 140.0);
        let mixed = Delivery::combine([&a, &c]).unwrap();
        assert_eq!(mixed.source, "mixed");
        assert_eq!(
            mixed.scores[0].value,
            Some(90.0),
            "only answers with a value count"
        );
        assert!(Delivery::combine([]).is_none());
    }

    #[test]
    fn a_signal_reads_with_its_unit_and_band() {
        let pace = signal_label("words_per_minute").unwrap();
        assert_eq!(
            pace.format(false, 172.46, [130.0, 160.0]),
            "172.5 wpm (good 130–160)"
        );
        assert_eq!(
            pace.format(true, 150.0, [130.0, 160.0]),
            "150.0 词/分钟（理想 130–160）"
        );
        let loudness = signal_label("loudness").unwrap();
        assert_eq!(
            loudness.format(false, -22.4, [-32.0, -10.0]),
            "-22.4 dBFS (good -32 to -10)"
        );
        let faces = signal_label("faces_in_view").unwrap();
        assert_eq!(faces.format(false, 1.0, [1.0, 1.0]), "1.0 (good 1)");
        assert!(signal_label("no_such_signal").is_none());
    }
}
