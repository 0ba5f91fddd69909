//! Scoring one answer 0–100 with a rubric, quoted evidence, advice and an outline of a strong
//! answer — from the words of the answer alone (the no-LLM default).
//!
//! Rubric (weights): relevance to the question (20), coverage of the key points (30),
//! specificity — numbers, named technologies, own actions (20), structure — STAR for
//! behavioural questions (10/15), depth — reasons, trade-offs (10), clarity — fillers and
//! length (10/5). Caps keep a one-line, off-topic or vague answer from scoring well on style.

use mianshi_core::{Evidence, RubricItem, Score};
use serde::{Deserialize, Serialize};

use crate::bank::{BankQuestion, KeyPoint, QuestionKind};
use crate::semantic::Semantic;
use crate::text::{
    contains_keyword, content_terms, filler_count, numbers, own_actions, reasoning_markers,
    sentence_at, structure_markers, word_count,
};
use crate::Language;

/// Flags the decider reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerFlags {
    pub terse: bool,
    pub vague: bool,
    pub off_topic: bool,
    pub rambling: bool,
}

/// A scored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub score: Score,
    /// Indices (into the question's key points) the answer covered.
    pub covered: Vec<usize>,
    pub flags: AnswerFlags,
}

/// What an answer is measured against: the question asked and the key points in play (all of
/// them for an opening question, the targeted one for a follow-up).
pub struct Target<'a> {
    pub question: &'a BankQuestion,
    pub asked_text: &'a str,
    pub key_points: &'a [usize],
}

fn clamp01(x: f32) -> f32 {
    x.clamp(0.0, 1.0)
}

fn quote(answer: &str, at: usize) -> String {
    let (s, e) = sentence_at(answer, at);
    let q: String = answer[s..e].chars().take(160).collect();
    q
}

const SITUATION: &[&str] = &[
    "当时",
    "那时",
    "那次",
    "背景",
    "有一次",
    "项目",
    "at the time",
    "when i",
    "when we",
    "situation",
    "context",
    "last year",
    "once",
    "we were",
];
const TASK: &[&str] = &[
    "任务",
    "目标",
    "需要",
    "要求",
    "负责",
    "my task",
    "goal",
    "needed to",
    "had to",
    "was responsible",
    "my job",
    "the task",
];
const RESULT: &[&str] = &[
    "结果",
    "最终",
    "最后",
    "后来",
    "上线",
    "提升",
    "降低",
    "减少",
    "缩短",
    "result",
    "in the end",
    "eventually",
    "finally",
    "improved",
    "reduced",
    "increased",
    "cut",
    "shipped",
    "as a result",
    "outcome",
];

fn has_any(lower: &str, words: &[&str]) -> Option<usize> {
    words
        .iter()
        .filter_map(|w| contains_keyword(lower, w))
        .min()
}

/// Calibration of the sentence-embedding cosines (multilingual-e5-small, whose cosines sit in a
/// narrow high band: off-topic answers still reach 0.83–0.90 against the question, strong ones
/// 0.83–0.93, measured on the labelled answers in crates/interviewer/tests/data/answers). The
/// question similarity alone barely ranks answers (Spearman 0.04 with the labels), so it only
/// lifts relevance near the top of the band, and a key point counts as said in other words
/// only when a sentence is very close to it; below that, partial credit from `POINT_LOW`.
pub const QUESTION_LOW: f32 = 0.90;
pub const QUESTION_HIGH: f32 = 0.95;
pub const POINT_LOW: f32 = 0.90;
pub const POINT_COVERED: f32 = 0.95;

fn ramp(x: f32, low: f32, high: f32) -> f32 {
    clamp01((x - low) / (high - low))
}

pub fn score_answer(
    answer: &str,
    target: &Target<'_>,
    language: Language,
    semantic: Option<&Semantic>,
) -> Assessment {
    let question = target.question;
    let lower = answer.to_lowercase();
    let words = word_count(answer);
    let behavioural = question.kind == QuestionKind::Behavioural;
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    let t = |zh: &str, en: &str| language.pick(zh, en).to_owned();

    // Coverage: a key point counts when one of its keywords is in the answer.
    let points: Vec<(usize, &KeyPoint)> = target
        .key_points
        .iter()
        .filter_map(|&i| question.key_points.get(i).map(|k| (i, k)))
        .collect();
    let mut covered = Vec::new();
    for (index, point) in &points {
        let hits: Vec<usize> = point
            .keywords
            .iter()
            .filter_map(|k| contains_keyword(&lower, k))
            .collect();
        if hits.len() >= point.min_hits.max(1) {
            let at = hits.iter().copied().min().unwrap_or(0);
            covered.push(*index);
            evidence.push(Evidence {
                quote: quote(answer, at),
                effect: (30 / points.len().max(1)) as i16,
                note: format!("{}{}", t("覆盖要点：", "covers: "), point.text(language)),
            });
        }
    }
    // A STAR question's key points name the parts of the story ("Situation (S): …"); a story
    // that has the part covers the point, whatever words it uses.
    if behavioural || question.star {
        let early_actions = own_actions(answer);
        let early_numbers = numbers(answer);
        let part_at = |marker: char| -> Option<usize> {
            match marker {
                'S' => has_any(&lower, SITUATION),
                'T' => has_any(&lower, TASK),
                'A' => early_actions.first().map(|a| a.0),
                'R' => has_any(&lower, RESULT).or(early_numbers.first().map(|n| n.0)),
                _ => None,
            }
        };
        for (index, point) in &points {
            if covered.contains(index) {
                continue;
            }
            let text = point.text(Language::En).to_owned() + point.text(Language::Zh);
            let marker = ['S', 'T', 'A', 'R']
                .into_iter()
                .find(|m| text.contains(&format!("({m})")) || text.contains(&format!("（{m}）")));
            if let Some(at) = marker.and_then(part_at) {
                covered.push(*index);
                evidence.push(Evidence {
                    quote: quote(answer, at),
                    effect: (30 / points.len().max(1)) as i16,
                    note: format!("{}{}", t("覆盖要点：", "covers: "), point.text(language)),
                });
            }
        }
    }

    // A point said in other words: a sentence of the answer close in meaning to it.
    let mut partial = 0.0f32;
    if let Some(semantic) = semantic {
        for (slot, (index, point)) in points.iter().enumerate() {
            let Some(&(similarity, at)) = semantic.key_points.get(slot) else {
                continue;
            };
            if covered.contains(index) {
                continue;
            }
            if similarity >= POINT_COVERED {
                covered.push(*index);
                evidence.push(Evidence {
                    quote: quote(answer, at),
                    effect: (30 / points.len().max(1)) as i16,
                    note: format!(
                        "{}{}",
                        t("（换一种说法）覆盖要点：", "covers (in other words): "),
                        point.text(language)
                    ),
                });
            } else {
                partial += 0.5 * ramp(similarity, POINT_LOW, POINT_COVERED);
            }
        }
    }
    let coverage = if points.is_empty() {
        0.0
    } else {
        clamp01((covered.len() as f32 + partial) / points.len() as f32)
    };

    // Relevance: the question's own words and the key points' keywords in the answer.
    let answer_terms = content_terms(answer);
    let question_terms = content_terms(target.asked_text);
    let overlap = question_terms
        .iter()
        .filter(|q| answer_terms.binary_search(q).is_ok())
        .count();
    let keyword_hits = question
        .key_points
        .iter()
        .flat_map(|k| k.keywords.iter())
        .filter(|k| contains_keyword(&lower, k).is_some())
        .count();
    let skill_named = contains_keyword(&lower, &question.skill).is_some();
    let lexical_relevance = clamp01(
        0.22 * keyword_hits as f32 + 0.18 * overlap as f32 + if skill_named { 0.25 } else { 0.0 },
    );
    let relevance = match semantic {
        Some(semantic) => {
            lexical_relevance.max(ramp(semantic.question, QUESTION_LOW, QUESTION_HIGH))
        }
        None => lexical_relevance,
    };

    // Specificity: numbers, named technologies, the candidate's own actions.
    let number_spans = numbers(answer);
    let actions = own_actions(answer);
    let taxonomy = mianshi_resume::taxonomy::taxonomy();
    let mut technologies: Vec<usize> = taxonomy
        .find(answer, |_| false)
        .into_iter()
        .map(|h| h.skill)
        .collect();
    technologies.sort_unstable();
    technologies.dedup();
    let specificity = clamp01(
        0.4 * (number_spans.len().min(2) as f32 / 2.0)
            + 0.35 * (actions.len().min(2) as f32 / 2.0)
            + 0.25 * (technologies.len().min(3) as f32 / 3.0),
    );
    if let Some(&(at, _)) = number_spans.first() {
        evidence.push(Evidence {
            quote: quote(answer, at),
            effect: 6,
            note: t("给出了具体数字", "gives a concrete number"),
        });
    }
    if let Some(&(at, _)) = actions.first() {
        evidence.push(Evidence {
            quote: quote(answer, at),
            effect: 6,
            note: t("说明了自己的行动", "states own actions"),
        });
    }

    // Structure: STAR for behavioural answers, ordered reasoning otherwise.
    let sentence_count = crate::text::sentences(answer).len();
    let structure = if behavioural || question.star {
        let parts = [
            has_any(&lower, SITUATION).is_some(),
            has_any(&lower, TASK).is_some(),
            !actions.is_empty(),
            has_any(&lower, RESULT).is_some() || !number_spans.is_empty(),
        ];
        let names = [
            t("情境（S）", "situation"),
            t("任务（T）", "task"),
            t("行动（A）", "action"),
            t("结果（R）", "result"),
        ];
        let missing: Vec<String> = parts
            .iter()
            .zip(names)
            .filter(|(present, _)| !**present)
            .map(|(_, n)| n)
            .collect();
        if !missing.is_empty() && words >= 12.0 {
            advice.push(format!(
                "{}{}",
                t("按 STAR 补充：", "Complete the STAR story with the "),
                missing.join(t("、", ", ").as_str())
            ));
        }
        parts.iter().filter(|p| **p).count() as f32 / 4.0
    } else {
        clamp01(
            if sentence_count >= 2 { 0.5 } else { 0.2 }
                + 0.3 * structure_markers(answer).min(1) as f32
                + 0.2 * reasoning_markers(answer).min(1) as f32,
        )
    };

    let reasons = reasoning_markers(answer);
    let depth = clamp01(0.5 * (reasons.min(2) as f32 / 2.0) + 0.5 * coverage);

    let fillers = filler_count(&lower);
    let filler_rate = fillers as f32 * 100.0 / words.max(1.0);
    let mut clarity: f32 = 1.0;
    if filler_rate > 4.0 {
        clarity -= 0.4;
        advice.push(t(
            "减少口头禅（“嗯”“那个”），需要想的时候停顿一下。",
            "Drop the fillers (um, you know); pause instead.",
        ));
        evidence.push(Evidence {
            quote: format!("{fillers} {}", t("个口头禅", "fillers")),
            effect: -4,
            note: format!("{:.1} {}", filler_rate, t("个/百词", "per 100 words")),
        });
    }
    let rambling = words > 250.0;
    if rambling {
        clarity -= 0.4;
        advice.push(t(
            "先说结论再展开，控制在两分钟以内。",
            "Lead with the answer, then the detail; keep it under two minutes.",
        ));
    }
    let terse = words < 14.0;
    if terse {
        clarity -= 0.5;
    }

    let (w_structure, w_clarity) = if behavioural || question.star {
        (0.15, 0.05)
    } else {
        (0.10, 0.10)
    };
    let dims: [(&str, f32, f32); 6] = [
        ("relevance", relevance, 0.20),
        ("coverage", coverage, 0.30),
        ("specificity", specificity, 0.20),
        ("structure", structure, w_structure),
        ("depth", depth, 0.10),
        ("clarity", clamp01(clarity), w_clarity),
    ];
    // Specific, well-told detail earns its points only in proportion to how much of the asked
    // question it answers: numbers about something else are not evidence for this answer.
    let on_question = 0.35 + 0.65 * coverage.max(if relevance >= 0.6 { 0.5 } else { 0.0 });
    let mut overall: f32 = dims
        .iter()
        .map(|(name, v, w)| {
            let gate = if matches!(*name, "relevance" | "coverage") {
                1.0
            } else {
                on_question
            };
            v * w * gate * 100.0
        })
        .sum();

    let off_topic = relevance < 0.2 && coverage == 0.0;
    let vague = !terse && specificity < 0.25 && coverage < 0.5;
    // Long and unfocused, or all definitions and no sign of the candidate's own work.
    if rambling {
        overall = overall.min(60.0);
    }
    let no_own_evidence = number_spans.is_empty() && actions.is_empty() && words >= 40.0;
    if no_own_evidence {
        overall = overall.min(62.0);
        evidence.push(Evidence {
            quote: quote(answer, 0),
            effect: -8,
            note: t(
                "只有概念，没有自己的经历或数字",
                "definitions only: no own experience or numbers",
            ),
        });
    }
    if terse {
        overall = overall.min(35.0);
        advice.push(t(
            "回答太短：展开说明原理，并举一个你做过的例子。",
            "Too short: explain the idea and give an example from your own work.",
        ));
    }
    if off_topic {
        overall = overall.min(25.0);
        advice.insert(
            0,
            t(
                "回答没有回到问题本身，先直接回答问题。",
                "The answer did not address the question; answer it directly first.",
            ),
        );
        evidence.push(Evidence {
            quote: quote(answer, 0),
            effect: -20,
            note: t("与问题无关", "not about the question"),
        });
    } else if vague {
        overall = overall.min(45.0);
        evidence.push(Evidence {
            quote: quote(answer, 0),
            effect: -10,
            note: t(
                "泛泛而谈，没有具体做法或数字",
                "general, with no specifics or numbers",
            ),
        });
    }
    if number_spans.is_empty() && !terse && !off_topic {
        advice.push(t(
            "用数字说明结果，例如优化前后的耗时或规模。",
            "Quantify the result, e.g. latency or scale before and after.",
        ));
    }
    if actions.is_empty() && !terse && !off_topic {
        advice.push(t(
            "说清你本人做了什么（“我设计了……”），而不只是“我们”。",
            "Say what you did yourself (\"I designed…\"), not only \"we\".",
        ));
    }
    for (index, point) in &points {
        if !covered.contains(index) {
            advice.push(format!(
                "{}{}",
                t("可以补充：", "Also cover: "),
                point.text(language)
            ));
        }
    }

    let rubric = dims
        .iter()
        .map(|(name, value, weight)| RubricItem {
            dimension: (*name).to_owned(),
            score: (value * 100.0).round() as u8,
            weight: *weight,
        })
        .collect();
    let outline = points
        .iter()
        .map(|(_, p)| p.text(language).to_owned())
        .collect();
    let notes = vec![match semantic {
        Some(semantic) => format!(
            "{} {} {:.2}",
            t("语义相关度由句向量模型测量：", "Semantic relevance measured by"),
            semantic.model,
            semantic.question
        ),
        None => t(
            "语义相关度未测量（未加载句向量模型），本分数只基于词汇规则。",
            "Semantic relevance not measured (no sentence-embedding model loaded); lexical rules only.",
        ),
    }];
    Assessment {
        score: Score {
            overall: overall.round().clamp(0.0, 100.0) as u8,
            rubric,
            evidence,
            advice,
            outline,
            notes,
        },
        covered,
        flags: AnswerFlags {
            terse,
            vague,
            off_topic,
            rambling,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::bank;

    fn redis() -> &'static BankQuestion {
        bank().for_skill("Redis").next().expect("Redis questions")
    }

    fn assess(answer: &str) -> Assessment {
        let q = redis();
        let all: Vec<usize> = (0..q.key_points.len()).collect();
        score_answer(
            answer,
            &Target {
                question: q,
                asked_text: &q.zh,
                key_points: &all,
            },
            Language::Zh,
            None,
        )
    }

    #[test]
    fn better_answers_score_higher_with_evidence() {
        let q = redis();
        let strong: String = q
            .key_points
            .iter()
            .map(|k| format!("{}，因为{}。", k.zh, k.keywords.join("、")))
            .collect::<Vec<_>>()
            .join("")
            + "我在订单系统里负责这块，把 P99 从 120ms 降到 35ms。";
        let strong = assess(&strong);
        let vague =
            assess("Redis 我们项目里也用过，整体效果还可以，主要看业务需求吧，大家一起做的。");
        let terse = assess("不太清楚。");
        let off = assess("我平时喜欢打篮球，周末会去爬山。");
        assert!(
            strong.score.overall >= vague.score.overall + 20,
            "{} vs {}",
            strong.score.overall,
            vague.score.overall
        );
        assert!(off.score.overall < 40 && off.flags.off_topic);
        assert!(terse.flags.terse && terse.score.overall <= 35);
        assert!(!strong.score.evidence.is_empty());
        assert_eq!(strong.score.rubric.len(), 6);
        assert!(strong.covered.len() == q.key_points.len());
        assert!(vague.score.advice.iter().any(|a| a.contains("数字")));
    }
}
