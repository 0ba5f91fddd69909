//! After each answer: follow up (on the key point still missing, or for specifics), switch
//! topic, or end. Seed defaults: at most 3 follow-ups per topic; a topic still below 60 after
//! them is left; a topic answered well with its key points covered is done early.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scorer::AnswerFlags;
use crate::Settings;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    FollowUp {
        /// Why, in the interview's language.
        guidance: String,
        /// The key point the follow-up targets; none when it asks for specifics.
        key_point: Option<usize>,
    },
    Switch {
        reason: String,
    },
    End {
        reason: String,
    },
}

/// What the decider knows about the current topic after the latest answer.
#[derive(Debug, Clone)]
pub struct TopicProgress<'a> {
    /// Key points (indices) of the topic's question not yet covered by any answer.
    pub missing: &'a [usize],
    /// Key points that already had a follow-up.
    pub followed_up: &'a [usize],
    pub total_points: usize,
    /// Scores of this topic's answers so far, latest last.
    pub scores: &'a [u8],
    /// Follow-ups already asked on this topic.
    pub depth: u8,
    pub asked_for_specifics: bool,
    pub flags: AnswerFlags,
    /// Questions the interview may still ask.
    pub questions_left: u32,
    /// Whether another topic is planned.
    pub more_topics: bool,
}

pub fn decide(progress: &TopicProgress<'_>, settings: &Settings, zh: bool) -> Decision {
    let t = |a: &str, b: &str| if zh { a.to_owned() } else { b.to_owned() };
    let mean = if progress.scores.is_empty() {
        0.0
    } else {
        progress.scores.iter().map(|&s| f32::from(s)).sum::<f32>() / progress.scores.len() as f32
    };
    let coverage = 1.0 - progress.missing.len() as f32 / progress.total_points.max(1) as f32;
    let finished = |reason: String| {
        if progress.questions_left == 0 || !progress.more_topics {
            Decision::End {
                reason: t(
                    "面试问题已全部完成。",
                    "All planned questions have been asked.",
                ),
            }
        } else {
            Decision::Switch { reason }
        }
    };
    if progress.questions_left == 0 {
        return Decision::End {
            reason: t(
                "已达到本次面试的题目数量。",
                "The interview has reached its length.",
            ),
        };
    }
    if mean >= f32::from(settings.well_covered) && coverage >= 0.75 {
        return finished(t("这个话题回答得很充分。", "This topic is well covered."));
    }
    if progress.depth >= settings.max_follow_ups {
        let reason = if mean < f32::from(settings.switch_below) {
            t(
                "追问后仍低于 60 分，换一个话题。",
                "Still below 60 after the follow-ups; moving on.",
            )
        } else {
            t(
                "这个话题的追问已达上限。",
                "Follow-up limit reached for this topic.",
            )
        };
        return finished(reason);
    }
    if progress.flags.off_topic || progress.flags.terse {
        if let Some(&point) = progress
            .missing
            .iter()
            .find(|p| !progress.followed_up.contains(p))
        {
            let why = if progress.flags.off_topic {
                t(
                    "回答没有回到问题上，换个角度再问一次。",
                    "The answer missed the question; asking again from another angle.",
                )
            } else {
                t(
                    "回答太短，追问一个具体要点。",
                    "The answer was very short; asking about one specific point.",
                )
            };
            return Decision::FollowUp {
                guidance: why,
                key_point: Some(point),
            };
        }
    }
    if progress.flags.vague && !progress.asked_for_specifics {
        return Decision::FollowUp {
            guidance: t("回答比较笼统，请候选人举一个亲身经历的具体例子。", "The answer was general; asking for a concrete example from the candidate's own work."),
            key_point: None,
        };
    }
    match progress
        .missing
        .iter()
        .find(|p| !progress.followed_up.contains(p))
    {
        Some(&point) => Decision::FollowUp {
            guidance: t(
                "回答还没有覆盖这个要点。",
                "The answer has not covered this key point yet.",
            ),
            key_point: Some(point),
        },
        None => finished(if progress.missing.is_empty() {
            t("要点都已覆盖。", "All key points are covered.")
        } else {
            t(
                "未覆盖的要点都已追问过。",
                "Every missing point has been followed up.",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress<'a>(missing: &'a [usize], scores: &'a [u8], depth: u8) -> TopicProgress<'a> {
        TopicProgress {
            missing,
            followed_up: &[],
            total_points: 4,
            scores,
            depth,
            asked_for_specifics: false,
            flags: AnswerFlags::default(),
            questions_left: 10,
            more_topics: true,
        }
    }

    #[test]
    fn follows_up_on_the_missing_point_then_switches() {
        let s = Settings::default();
        assert_eq!(
            decide(&progress(&[2, 3], &[55], 0), &s, false),
            Decision::FollowUp {
                guidance: "The answer has not covered this key point yet.".into(),
                key_point: Some(2)
            }
        );
        assert!(
            matches!(decide(&progress(&[3], &[50, 40, 45, 50], 3), &s, true), Decision::Switch { reason } if reason.contains("60"))
        );
        assert!(matches!(
            decide(&progress(&[], &[90], 0), &s, false),
            Decision::Switch { .. }
        ));
        let mut last = progress(&[1], &[50], 0);
        last.questions_left = 0;
        assert!(matches!(decide(&last, &s, false), Decision::End { .. }));
    }

    #[test]
    fn vague_answers_get_a_request_for_specifics_once() {
        let s = Settings::default();
        let mut p = progress(&[], &[40], 0);
        p.flags.vague = true;
        assert!(matches!(
            decide(&p, &s, false),
            Decision::FollowUp {
                key_point: None,
                ..
            }
        ));
        p.asked_for_specifics = true;
        assert!(matches!(decide(&p, &s, false), Decision::Switch { .. }));
    }
}
