//! Measuring the interviewer: simulated candidates (strong, vague, rambling, terse, off-topic,
//! in Chinese and English) run whole interviews and the harness checks the interviewer's
//! behaviour; and the scorer is compared with human-style labels (Spearman correlation).
//! Used by the tests and by `mianshi eval interviewer`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::Utc;
use mianshi_core::CandidateDocuments;
use serde::Deserialize;

use crate::bank::{bank, BankQuestion, KeyPoint, QuestionKind};
use crate::decider::Decision;
use crate::engine::Interview;
use crate::scorer::{score_answer, Target};
use crate::text::content_terms;
use crate::{InterviewKind, Language, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Persona {
    Strong,
    Vague,
    Rambling,
    Terse,
    OffTopic,
}

impl Persona {
    pub const ALL: [Persona; 5] = [
        Persona::Strong,
        Persona::Vague,
        Persona::Rambling,
        Persona::Terse,
        Persona::OffTopic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Persona::Strong => "strong",
            Persona::Vague => "vague",
            Persona::Rambling => "rambling",
            Persona::Terse => "terse",
            Persona::OffTopic => "off-topic",
        }
    }
}

/// What a simulated candidate of `persona` says to a question about `key_points`.
pub fn persona_answer(
    persona: Persona,
    question: &BankQuestion,
    key_points: &[usize],
    language: Language,
    turn: usize,
) -> String {
    let zh = language == Language::Zh;
    let points: Vec<&KeyPoint> = key_points
        .iter()
        .filter_map(|&k| question.key_points.get(k))
        .collect();
    match persona {
        Persona::Strong => {
            let mut text = String::new();
            if question.kind == QuestionKind::Behavioural || question.star {
                text.push_str(if zh {
                    "当时我们的项目上线前两周出现了问题，我的任务是保证按期交付。"
                } else {
                    "At the time our project hit a problem two weeks before launch, and my task was to deliver on schedule. "
                });
            }
            for (i, point) in points.iter().enumerate() {
                let marker = match (zh, i) {
                    (true, 0) => "首先，",
                    (true, _) => "其次，",
                    (false, 0) => "First, ",
                    (false, _) => "Then, ",
                };
                let keywords = point.keywords.iter().take(2).cloned().collect::<Vec<_>>().join(if zh { "、" } else { " and " });
                let _ = write!(text, "{marker}{}，{}{keywords}。", point.text(language), if zh { "关键是" } else { "the key is " });
            }
            text.push_str(if zh {
                "我负责落地这个方案，因为要兼顾成本和稳定性，最终把 P99 延迟从 180ms 降到 45ms，故障率下降了 60%。"
            } else {
                "I led the implementation because we had to balance cost and reliability; in the end p99 latency went from 180 ms to 45 ms and incidents dropped 60%."
            });
            text
        }
        // Vague candidates do name the subject; they just say nothing specific about it.
        Persona::Vague => if zh {
            format!("{}这块我们项目里也用过，整体效果还可以，主要还是看具体的业务场景，当时是大家一起讨论决定的，后面也做了一些优化。", question.skill)
        } else {
            format!("We used {} in our project and it worked fine overall. It mostly depends on the business scenario; the team discussed it together and we did some optimisation later.", question.skill)
        },
        Persona::Terse => if zh { "不太清楚。" } else { "Not sure." }.to_owned(),
        Persona::OffTopic => if zh {
            "我平时比较喜欢打篮球，周末会和朋友去爬山，最近还在学做饭，觉得生活和工作要平衡。"
        } else {
            "In my free time I play basketball and go hiking with friends at weekends, and lately I have been learning to cook; balance matters to me."
        }
        .to_owned(),
        Persona::Rambling => {
            let point = points.get(turn % points.len().max(1)).copied();
            let mut text = if zh {
                "嗯，这个问题怎么说呢，那个，我先讲讲我们公司的背景吧，我们公司成立好几年了，业务线很多，团队也换过好几次领导，然后呢大家的风格都不太一样，就是说有时候需求变来变去的，那个，我记得有一次开会开了一下午，最后也没定下来，".to_owned()
            } else {
                "Um, so, let me first tell you about our company, you know, it has been around for a few years and there are lots of business lines, and the team changed managers a couple of times, and basically everyone had a different style, and sometimes requirements kept changing, I remember one meeting that took the whole afternoon and nothing was decided, ".to_owned()
            };
            if let Some(point) = point {
                let _ = write!(text, "{}{}，", if zh { "其实吧，" } else { "and actually " }, point.text(language));
            }
            text.push_str(if zh {
                "然后呢后来我们又换了个方向，那个，反正就是做了很多事情，大家都挺辛苦的，嗯，大概就是这样吧，其他的我一下子也想不起来了，就是说整体还行吧。"
            } else {
                "and then later we changed direction again, um, anyway we did a lot of things and everyone worked hard, you know, that's roughly it, I can't think of anything else right now, basically it was fine overall."
            });
            text
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct PersonaStats {
    pub interviews: u32,
    pub answers: u32,
    pub score_sum: f64,
    pub follow_ups: u32,
    pub switches: u32,
    pub repeated_questions: u32,
    pub follow_ups_on_covered_points: u32,
}

impl PersonaStats {
    pub fn mean(&self) -> f64 {
        if self.answers == 0 {
            0.0
        } else {
            self.score_sum / f64::from(self.answers)
        }
    }

    pub fn follow_up_rate(&self) -> f64 {
        if self.answers == 0 {
            0.0
        } else {
            f64::from(self.follow_ups) / f64::from(self.answers)
        }
    }
}

#[derive(Debug, Default)]
pub struct HarnessReport {
    pub stats: BTreeMap<(Language, Persona), PersonaStats>,
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::Zh => "zh",
        Language::En => "en",
    }
}

impl HarnessReport {
    pub fn get(&self, language: Language, persona: Persona) -> PersonaStats {
        self.stats
            .get(&(language, persona))
            .cloned()
            .unwrap_or_default()
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<4} {:<10} {:>10} {:>8} {:>11} {:>11} {:>9} {:>16}\n",
            "lang",
            "persona",
            "interviews",
            "answers",
            "mean score",
            "follow-ups",
            "switches",
            "repeated / wrong"
        );
        for ((language, persona), s) in &self.stats {
            let _ = writeln!(
                out,
                "{:<4} {:<10} {:>10} {:>8} {:>11.1} {:>10.0}% {:>9} {:>8} / {:<6}",
                language_name(*language),
                persona.name(),
                s.interviews,
                s.answers,
                s.mean(),
                s.follow_up_rate() * 100.0,
                s.switches,
                s.repeated_questions,
                s.follow_ups_on_covered_points
            );
        }
        out
    }

    /// The harness thresholds; each failure is a sentence.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for language in [Language::Zh, Language::En] {
            let lang = language_name(language);
            let strong = self.get(language, Persona::Strong);
            let vague = self.get(language, Persona::Vague);
            if strong.mean() < vague.mean() + 20.0 {
                failures.push(format!(
                    "{lang}: strong {:.1} is not 20 above vague {:.1}",
                    strong.mean(),
                    vague.mean()
                ));
            }
            let off = self.get(language, Persona::OffTopic);
            if off.mean() >= 40.0 {
                failures.push(format!(
                    "{lang}: off-topic answers score {:.1} (≥ 40)",
                    off.mean()
                ));
            }
            if strong.follow_up_rate() + 0.3 > vague.follow_up_rate() {
                failures.push(format!(
                    "{lang}: decisions do not change with quality (follow-up rate strong {:.0}% vs vague {:.0}%)",
                    strong.follow_up_rate() * 100.0,
                    vague.follow_up_rate() * 100.0
                ));
            }
        }
        for ((language, persona), s) in &self.stats {
            if s.repeated_questions > 0 {
                failures.push(format!(
                    "{} {}: {} repeated questions",
                    language_name(*language),
                    persona.name(),
                    s.repeated_questions
                ));
            }
            if s.follow_ups_on_covered_points > 0 {
                failures.push(format!(
                    "{} {}: {} follow-ups on points already covered",
                    language_name(*language),
                    persona.name(),
                    s.follow_ups_on_covered_points
                ));
            }
        }
        failures
    }
}

/// Runs every persona through a whole interview per profile and language.
pub fn run_harness(profiles: &[CandidateDocuments], max_questions: u32) -> HarnessReport {
    let mut report = HarnessReport::default();
    let now = Utc::now();
    for documents in profiles {
        for language in [Language::Zh, Language::En] {
            for persona in Persona::ALL {
                let settings = Settings {
                    language,
                    kind: InterviewKind::Mixed,
                    max_questions,
                    ..Settings::default()
                };
                let mut interview = Interview::new(documents, settings);
                let stats = report.stats.entry((language, persona)).or_default();
                stats.interviews += 1;
                let mut seen: Vec<String> = Vec::new();
                let Some(mut question) = interview.next_question(now) else {
                    continue;
                };
                for turn in 0..max_questions as usize + 1 {
                    if seen.contains(&question.text) {
                        stats.repeated_questions += 1;
                    }
                    seen.push(question.text.clone());
                    let Some(open) = interview.current.clone() else {
                        break;
                    };
                    let Some(bank_question) = bank().get(&open.bank_id) else {
                        break;
                    };
                    let answer =
                        persona_answer(persona, bank_question, &open.key_points, language, turn);
                    let covered_before = interview.topic.covered.clone();
                    let Ok(reply) = interview.answer(&answer, now) else {
                        break;
                    };
                    stats.answers += 1;
                    stats.score_sum += f64::from(reply.assessment.score.overall);
                    match &reply.decision {
                        Decision::FollowUp { key_point, .. } => {
                            stats.follow_ups += 1;
                            let now_covered: Vec<usize> = covered_before
                                .into_iter()
                                .chain(reply.assessment.covered.iter().copied())
                                .collect();
                            if key_point.is_some_and(|k| now_covered.contains(&k)) {
                                stats.follow_ups_on_covered_points += 1;
                            }
                        }
                        Decision::Switch { .. } => stats.switches += 1,
                        Decision::End { .. } => {}
                    }
                    match reply.next {
                        Some(next) => question = next,
                        None => break,
                    }
                }
            }
        }
    }
    report
}

/// One human-labelled answer (`tests/data/answers/answers.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledAnswer {
    pub id: String,
    pub language: String,
    pub skill: String,
    pub kind: String,
    pub question: String,
    pub key_points: Vec<String>,
    pub answer: String,
    pub persona: String,
    pub label: f64,
}

/// Key points written as prose get their informative terms as keywords; a point counts as
/// covered when about a quarter of them occur.
fn ad_hoc_question(item: &LabelledAnswer) -> BankQuestion {
    let key_points = item
        .key_points
        .iter()
        .map(|text| {
            let keywords = content_terms(text);
            let min_hits = keywords.len().div_ceil(4).clamp(1, 3);
            KeyPoint {
                zh: text.clone(),
                en: text.clone(),
                keywords,
                min_hits,
                follow_up_zh: String::new(),
                follow_up_en: String::new(),
            }
        })
        .collect();
    let behavioural = item.kind == "behavioural";
    BankQuestion {
        id: item.id.clone(),
        skill: item.skill.clone(),
        kind: if behavioural {
            QuestionKind::Behavioural
        } else {
            QuestionKind::Technical
        },
        difficulty: 2,
        star: behavioural,
        competencies: Vec::new(),
        zh: item.question.clone(),
        en: item.question.clone(),
        rubric_zh: String::new(),
        rubric_en: String::new(),
        key_points,
    }
}

/// Spearman's rank correlation (average ranks for ties).
pub fn spearman(xs: &[f64], ys: &[f64]) -> f64 {
    fn ranks(values: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut ranks = vec![0.0; values.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
                j += 1;
            }
            let rank = (i + j) as f64 / 2.0 + 1.0;
            for k in i..=j {
                ranks[order[k]] = rank;
            }
            i = j + 1;
        }
        ranks
    }
    let (rx, ry) = (ranks(xs), ranks(ys));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    if vx == 0.0 || vy == 0.0 {
        0.0
    } else {
        cov / (vx * vy).sqrt()
    }
}

#[derive(Debug, Default)]
pub struct LabelledReport {
    pub items: Vec<(LabelledAnswer, u8)>,
    /// The embedding signal per item, when a model was used.
    pub semantic: Vec<Option<crate::semantic::Semantic>>,
}

impl LabelledReport {
    pub fn spearman(&self) -> f64 {
        let labels: Vec<f64> = self.items.iter().map(|(a, _)| a.label).collect();
        let scores: Vec<f64> = self.items.iter().map(|(_, s)| f64::from(*s)).collect();
        spearman(&scores, &labels)
    }

    /// Spearman over the answers of every persona but `persona` — shows what one kind of
    /// answer costs (confidently wrong answers need a model that checks facts).
    pub fn spearman_without(&self, persona: &str) -> f64 {
        let kept: Vec<&(LabelledAnswer, u8)> = self
            .items
            .iter()
            .filter(|(a, _)| a.persona != persona)
            .collect();
        let labels: Vec<f64> = kept.iter().map(|(a, _)| a.label).collect();
        let scores: Vec<f64> = kept.iter().map(|(_, s)| f64::from(*s)).collect();
        spearman(&scores, &labels)
    }

    pub fn mean_absolute_error(&self) -> f64 {
        self.items
            .iter()
            .map(|(a, s)| (a.label - f64::from(*s)).abs())
            .sum::<f64>()
            / self.items.len().max(1) as f64
    }

    pub fn table(&self) -> String {
        let mut by_persona: BTreeMap<&str, (u32, f64, f64)> = BTreeMap::new();
        for (answer, score) in &self.items {
            let entry = by_persona.entry(answer.persona.as_str()).or_default();
            entry.0 += 1;
            entry.1 += answer.label;
            entry.2 += f64::from(*score);
        }
        let mut out = format!(
            "labelled answers: {}  Spearman {:.3} (without `wrong` answers {:.3})  mean |score − label| {:.1}\n{:<10} {:>4} {:>11} {:>11}\n",
            self.items.len(),
            self.spearman(),
            self.spearman_without("wrong"),
            self.mean_absolute_error(),
            "persona",
            "n",
            "mean label",
            "mean score"
        );
        for (persona, (n, label, score)) in by_persona {
            let _ = writeln!(
                out,
                "{persona:<10} {n:>4} {:>11.1} {:>11.1}",
                label / f64::from(n),
                score / f64::from(n)
            );
        }
        out
    }
}

/// Scores every labelled answer in a JSON-lines file, with meaning-level relevance when an
/// embedding model is given.
pub fn evaluate_labelled(
    path: &Path,
    embedder: Option<&dyn crate::semantic::Embedder>,
) -> Result<LabelledReport, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut report = LabelledReport::default();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let item: LabelledAnswer =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let question = ad_hoc_question(&item);
        let language = Language::parse(&item.language).unwrap_or_default();
        let all: Vec<usize> = (0..question.key_points.len()).collect();
        let semantic = match embedder {
            Some(embedder) => {
                let points: Vec<&str> = item.key_points.iter().map(String::as_str).collect();
                Some(
                    crate::semantic::measure(embedder, &item.question, &points, &item.answer)
                        .map_err(|e| e.to_string())?,
                )
            }
            None => None,
        };
        let assessment = score_answer(
            &item.answer,
            &Target {
                question: &question,
                asked_text: &item.question,
                key_points: &all,
            },
            language,
            semantic.as_ref(),
        );
        report.semantic.push(semantic);
        report.items.push((item, assessment.score.overall));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_known_orders() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert!(
            (spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]) - 0.866_025_403_784_438_6).abs() < 1e-9
        );
    }
}
