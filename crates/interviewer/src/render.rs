//! Plain-text rendering of scores, decisions and the summary, for the terminal.

use std::fmt::Write as _;

use mianshi_core::Score;

use crate::decider::Decision;
use crate::engine::Summary;
use crate::Language;

pub fn score_text(score: &Score, decision: &Decision, language: Language) -> String {
    let zh = language == Language::Zh;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}/100",
        if zh { "得分" } else { "Score" },
        score.overall
    );
    let dims: Vec<String> = score
        .rubric
        .iter()
        .map(|r| format!("{} {}", r.dimension, r.score))
        .collect();
    let _ = writeln!(out, "  {}", dims.join(" · "));
    for e in &score.evidence {
        let sign = if e.effect >= 0 { "+" } else { "−" };
        let _ = writeln!(out, "  {sign} {}  「{}」", e.note, e.quote);
    }
    if !score.advice.is_empty() {
        let _ = writeln!(out, "{}", if zh { "建议：" } else { "Advice:" });
        for a in &score.advice {
            let _ = writeln!(out, "  • {a}");
        }
    }
    if !score.outline.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            if zh {
                "好的回答会覆盖："
            } else {
                "A strong answer covers:"
            }
        );
        for o in &score.outline {
            let _ = writeln!(out, "  – {o}");
        }
    }
    let what = match decision {
        Decision::FollowUp { guidance, .. } => format!(
            "{} {guidance}",
            if zh {
                "→ 追问："
            } else {
                "→ Follow-up:"
            }
        ),
        Decision::Switch { reason } => format!(
            "{} {reason}",
            if zh {
                "→ 换话题："
            } else {
                "→ Next topic:"
            }
        ),
        Decision::End { reason } => format!("{} {reason}", if zh { "→ 结束：" } else { "→ End:" }),
    };
    let _ = writeln!(out, "{what}");
    out
}

pub fn summary_text(summary: &Summary, language: Language) -> String {
    let zh = language == Language::Zh;
    let mut out = String::new();
    match summary.content_score {
        Some(score) => {
            let _ = writeln!(
                out,
                "{} {score:.1}/100 ({} {})",
                if zh { "内容总分" } else { "Content score" },
                summary.answers,
                if zh { "个回答" } else { "answers" }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{}",
                if zh {
                    "还没有回答，没有分数。"
                } else {
                    "No answers yet, so no score."
                }
            );
        }
    }
    for topic in &summary.topics {
        let _ = writeln!(
            out,
            "  {:<24} {:>5.1}  {} {}/{}  ({})",
            topic.skill,
            topic.mean_score,
            if zh { "要点" } else { "key points" },
            topic.key_points_covered,
            topic.key_points_total,
            topic.reason
        );
    }
    if !summary.strengths.is_empty() {
        let _ = writeln!(
            out,
            "{} {}",
            if zh { "强项：" } else { "Strengths:" },
            summary.strengths.join(", ")
        );
    }
    if !summary.to_improve.is_empty() {
        let _ = writeln!(out, "{}", if zh { "需要加强：" } else { "To work on:" });
        for item in &summary.to_improve {
            let _ = writeln!(out, "  • {item}");
        }
    }
    out
}
