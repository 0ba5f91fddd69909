//! One interview as a value: the plan, where it stands, and the two moves — ask the next
//! question, take an answer. Serializable, so the server stores it after every turn and a
//! restarted process resumes exactly where it was.

use chrono::{DateTime, Utc};
use mianshi_core::{CandidateDocuments, Question, Topic, TopicKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bank::{bank, BankQuestion};
use crate::decider::{decide, Decision, TopicProgress};
use crate::planner::{plan, PlannedTopic, TopicSource};
use crate::scorer::{score_answer, Assessment, Target};
use crate::semantic::{self, Embedder};
use crate::{Language, Settings};

/// The question waiting for an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenQuestion {
    pub bank_id: String,
    pub text: String,
    /// Key points (of the bank question) this question is about.
    pub key_points: Vec<usize>,
    pub depth: u8,
    pub asked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicState {
    pub bank_id: Option<String>,
    pub covered: Vec<usize>,
    pub followed_up: Vec<usize>,
    pub scores: Vec<u8>,
    pub depth: u8,
    pub asked_for_specifics: bool,
}

/// How a topic went, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TopicOutcome {
    pub topic_id: String,
    pub skill: String,
    pub questions: u32,
    pub mean_score: f32,
    pub key_points_covered: usize,
    pub key_points_total: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interview {
    pub settings: Settings,
    pub plan: Vec<PlannedTopic>,
    pub topic_index: usize,
    pub questions_asked: u32,
    pub asked_ids: Vec<String>,
    pub asked_texts: Vec<String>,
    pub current: Option<OpenQuestion>,
    pub topic: TopicState,
    pub outcomes: Vec<TopicOutcome>,
    pub finished: bool,
}

/// The result of one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub assessment: Assessment,
    pub decision: Decision,
    /// The next question, unless the interview ended.
    pub next: Option<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("there is no open question to answer")]
    NoOpenQuestion,
    #[error("the interview has finished")]
    Finished,
    #[error("the answer is empty")]
    EmptyAnswer,
}

/// The overall picture at the end (or so far).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    /// Mean of all answer scores; absent before the first answer.
    pub content_score: Option<f32>,
    pub answers: u32,
    pub topics: Vec<TopicOutcome>,
    pub strengths: Vec<String>,
    pub to_improve: Vec<String>,
}

impl Interview {
    pub fn new(documents: &CandidateDocuments, settings: Settings) -> Self {
        Self {
            plan: plan(documents, &settings),
            settings,
            topic_index: 0,
            questions_asked: 0,
            asked_ids: Vec::new(),
            asked_texts: Vec::new(),
            current: None,
            topic: TopicState::default(),
            outcomes: Vec::new(),
            finished: false,
        }
    }

    fn language(&self) -> Language {
        self.settings.language
    }

    fn bank_question(&self) -> Option<&'static BankQuestion> {
        self.topic.bank_id.as_deref().and_then(|id| bank().get(id))
    }

    fn personalise(&self, planned: &PlannedTopic, question: &BankQuestion) -> String {
        let zh = self.language() == Language::Zh;
        let prefix = match (&planned.project, planned.source) {
            (Some(project), _) if question.is_experience_anchored() => {
                if zh {
                    format!("你在项目「{project}」中用到了 {}。", planned.skill)
                } else {
                    format!("In your project \"{project}\" you used {}. ", planned.skill)
                }
            }
            (_, TopicSource::JobRequiredGap)
                if question.kind == crate::bank::QuestionKind::Technical =>
            {
                if zh {
                    format!("这个岗位要求 {}。", planned.skill)
                } else {
                    format!("This role asks for {}. ", planned.skill)
                }
            }
            (_, TopicSource::JobRequiredShown | TopicSource::ResumeSkill) => {
                match &planned.evidence {
                    Some(evidence) if zh => format!("你的简历里写到了“{evidence}”。"),
                    Some(evidence) => format!("Your résumé mentions \"{evidence}\". "),
                    None => String::new(),
                }
            }
            _ => String::new(),
        };
        format!("{prefix}{}", question.text(self.language()))
    }

    fn as_question(&self, open: &OpenQuestion, planned: &PlannedTopic) -> Question {
        let key_points = self
            .bank_question()
            .map(|q| {
                q.key_points
                    .iter()
                    .map(|k| k.text(self.language()).to_owned())
                    .collect()
            })
            .unwrap_or_default();
        Question {
            text: open.text.clone(),
            topic: Some(Topic {
                id: planned.id.clone(),
                name: planned.skill.clone(),
                kind: planned.kind,
                competencies: self
                    .bank_question()
                    .map(|q| q.competencies.clone())
                    .unwrap_or_default(),
                key_points,
            }),
            follow_up_depth: open.depth,
            asked_at: open.asked_at,
        }
    }

    fn questions_left(&self) -> u32 {
        self.settings
            .max_questions
            .saturating_sub(self.questions_asked)
    }

    /// The next topic index (from `from`) with an unasked question.
    fn next_askable_topic(&self, from: usize) -> Option<(usize, &'static BankQuestion)> {
        (from..self.plan.len()).find_map(|index| {
            let planned = &self.plan[index];
            bank()
                .pick(
                    &planned.skill,
                    self.settings.difficulty,
                    planned.project.is_some(),
                    &self.asked_ids,
                )
                .map(|q| (index, q))
        })
    }

    /// The open question, asking a new one if none is open. `None` when the interview is over.
    pub fn next_question(&mut self, now: DateTime<Utc>) -> Option<Question> {
        if let Some(open) = &self.current {
            return Some(self.as_question(open, &self.plan[self.topic_index]));
        }
        if self.finished || self.questions_left() == 0 {
            self.finished = true;
            return None;
        }
        let Some((index, question)) = self.next_askable_topic(self.topic_index) else {
            self.finished = true;
            return None;
        };
        self.topic_index = index;
        self.topic = TopicState {
            bank_id: Some(question.id.clone()),
            ..Default::default()
        };
        let text = self.personalise(&self.plan[index], question);
        let open = OpenQuestion {
            bank_id: question.id.clone(),
            text: text.clone(),
            key_points: (0..question.key_points.len()).collect(),
            depth: 0,
            asked_at: now,
        };
        self.asked_ids.push(question.id.clone());
        self.asked_texts.push(text);
        self.questions_asked += 1;
        let asked = self.as_question(&open, &self.plan[index]);
        self.current = Some(open);
        Some(asked)
    }

    fn close_topic(&mut self, reason: String) {
        let total = self
            .bank_question()
            .map(|q| q.key_points.len())
            .unwrap_or(0);
        let scores = &self.topic.scores;
        let planned = &self.plan[self.topic_index];
        self.outcomes.push(TopicOutcome {
            topic_id: planned.id.clone(),
            skill: planned.skill.clone(),
            questions: scores.len() as u32,
            mean_score: if scores.is_empty() {
                0.0
            } else {
                scores.iter().map(|&s| f32::from(s)).sum::<f32>() / scores.len() as f32
            },
            key_points_covered: self.topic.covered.len(),
            key_points_total: total,
            reason,
        });
    }

    /// The follow-up to ask: for `preferred` (a key point, or `None` for "give an example"),
    /// else another missing point — the first whose text has not been asked in this session.
    fn follow_up_for(
        &mut self,
        question: &BankQuestion,
        preferred: Option<usize>,
        missing: &[usize],
        open_points: &[usize],
    ) -> Option<(String, Vec<usize>)> {
        let language = self.language();
        let mut candidates: Vec<Option<usize>> = vec![preferred];
        candidates.extend(
            missing
                .iter()
                .filter(|p| !self.topic.followed_up.contains(p))
                .map(|&p| Some(p)),
        );
        for candidate in candidates {
            let (text, points) = match candidate {
                Some(point) => {
                    if !self.topic.followed_up.contains(&point) {
                        self.topic.followed_up.push(point);
                    }
                    (
                        question.key_points[point].follow_up(language).to_owned(),
                        vec![point],
                    )
                }
                None => {
                    self.topic.asked_for_specifics = true;
                    let skill = &self.plan[self.topic_index].skill;
                    let text = match language {
                        Language::Zh => format!("关于{skill}，能举一个你亲自处理过的具体例子吗？说说当时的数字和你做的决定。"),
                        Language::En => format!("On {skill}: can you give one concrete example you handled yourself, with the numbers and the decision you made?"),
                    };
                    let mut points: Vec<usize> =
                        missing.iter().chain(open_points).copied().collect();
                    points.sort_unstable();
                    points.dedup();
                    (text, points)
                }
            };
            if !self.asked_texts.contains(&text) {
                return Some((text, points));
            }
        }
        None
    }

    /// The key points in play for `open`, in the session's language.
    fn key_point_texts<'q>(&self, open: &OpenQuestion, question: &'q BankQuestion) -> Vec<&'q str> {
        open.key_points
            .iter()
            .filter_map(|&i| question.key_points.get(i))
            .map(|k| k.text(self.language()))
            .collect()
    }

    /// The open question and its key points: the texts its answer is measured against. Embed
    /// them with [`Embedder::embed_recurring`] when the question is asked, so that a caching
    /// embedder ([`semantic::CachingEmbedder`]) has them when the answer arrives.
    pub fn recurring_texts(&self) -> Vec<String> {
        let Some(open) = &self.current else {
            return Vec::new();
        };
        let Some(question) = bank().get(&open.bank_id) else {
            return Vec::new();
        };
        std::iter::once(open.text.clone())
            .chain(
                self.key_point_texts(open, question)
                    .into_iter()
                    .map(str::to_owned),
            )
            .collect()
    }

    /// Scores the answer to the open question, decides, and (unless the interview ends) asks
    /// the next question.
    pub fn answer(&mut self, text: &str, now: DateTime<Utc>) -> Result<Reply, EngineError> {
        self.answer_with(text, now, None)
    }

    /// [`Interview::answer`] with a sentence-embedding model for meaning-level relevance; if
    /// the model fails the answer is scored by the lexical rules and the score says so.
    pub fn answer_with(
        &mut self,
        text: &str,
        now: DateTime<Utc>,
        embedder: Option<&dyn Embedder>,
    ) -> Result<Reply, EngineError> {
        if self.finished {
            return Err(EngineError::Finished);
        }
        let open = self.current.clone().ok_or(EngineError::NoOpenQuestion)?;
        if text.trim().is_empty() {
            return Err(EngineError::EmptyAnswer);
        }
        let question = bank()
            .get(&open.bank_id)
            .ok_or(EngineError::NoOpenQuestion)?;
        let semantic = embedder.and_then(|embedder| {
            let points = self.key_point_texts(&open, question);
            semantic::measure(embedder, &open.text, &points, text).ok()
        });
        let assessment = score_answer(
            text,
            &Target {
                question,
                asked_text: &open.text,
                key_points: &open.key_points,
            },
            self.language(),
            semantic.as_ref(),
        );
        for point in &assessment.covered {
            if !self.topic.covered.contains(point) {
                self.topic.covered.push(*point);
            }
        }
        self.topic.scores.push(assessment.score.overall);
        self.current = None;

        let missing: Vec<usize> = (0..question.key_points.len())
            .filter(|p| !self.topic.covered.contains(p))
            .collect();
        let more_topics = self.next_askable_topic(self.topic_index + 1).is_some();
        let decision = decide(
            &TopicProgress {
                missing: &missing,
                followed_up: &self.topic.followed_up,
                total_points: question.key_points.len(),
                scores: &self.topic.scores,
                depth: self.topic.depth,
                asked_for_specifics: self.topic.asked_for_specifics,
                flags: assessment.flags,
                questions_left: self.questions_left(),
                more_topics,
            },
            &self.settings,
            self.language() == Language::Zh,
        );
        // A follow-up that would repeat an earlier question is not asked: another missing point
        // is tried, then the topic is left.
        let follow_up = match &decision {
            Decision::FollowUp { key_point, .. } => {
                self.follow_up_for(question, *key_point, &missing, &open.key_points)
            }
            _ => None,
        };
        let decision = match decision {
            Decision::FollowUp { .. } if follow_up.is_none() => {
                let reason = self
                    .language()
                    .pick(
                        "追问的问题都已问过，换一个话题。",
                        "Every follow-up here has been asked; moving on.",
                    )
                    .to_owned();
                if more_topics && self.questions_left() > 0 {
                    Decision::Switch { reason }
                } else {
                    Decision::End { reason }
                }
            }
            other => other,
        };
        let next = match &decision {
            Decision::FollowUp { .. } => {
                let (text, points) = follow_up.unwrap_or_default();
                self.topic.depth += 1;
                self.questions_asked += 1;
                self.asked_texts.push(text.clone());
                let follow_up = OpenQuestion {
                    bank_id: open.bank_id.clone(),
                    text,
                    key_points: points,
                    depth: self.topic.depth,
                    asked_at: now,
                };
                let asked = self.as_question(&follow_up, &self.plan[self.topic_index]);
                self.current = Some(follow_up);
                Some(asked)
            }
            Decision::Switch { reason } => {
                self.close_topic(reason.clone());
                self.topic_index += 1;
                self.next_question(now)
            }
            Decision::End { reason } => {
                self.close_topic(reason.clone());
                self.finished = true;
                None
            }
        };
        // Running out of topics after a switch also ends the interview.
        let decision = match (&decision, &next) {
            (Decision::Switch { reason }, None) => Decision::End {
                reason: reason.clone(),
            },
            _ => decision,
        };
        Ok(Reply {
            assessment,
            decision,
            next,
        })
    }

    /// Content score, per-topic outcomes, strengths and what to work on.
    pub fn summary(&self) -> Summary {
        let zh = self.language() == Language::Zh;
        let mut topics = self.outcomes.clone();
        if !self.topic.scores.is_empty() && !self.finished && self.topic_index < self.plan.len() {
            let mut copy = self.clone();
            copy.close_topic(if zh {
                "进行中".into()
            } else {
                "in progress".into()
            });
            topics.extend(copy.outcomes.last().cloned());
        }
        let scores: Vec<f32> = topics
            .iter()
            .flat_map(|t| std::iter::repeat_n(t.mean_score, t.questions as usize))
            .collect();
        let content_score = (!scores.is_empty())
            .then(|| (scores.iter().sum::<f32>() / scores.len() as f32 * 10.0).round() / 10.0);
        let mut ranked: Vec<&TopicOutcome> = topics.iter().filter(|t| t.questions > 0).collect();
        ranked.sort_by(|a, b| b.mean_score.total_cmp(&a.mean_score));
        let strengths = ranked
            .iter()
            .filter(|t| t.mean_score >= 70.0)
            .take(3)
            .map(|t| format!("{} ({:.0})", t.skill, t.mean_score))
            .collect();
        let to_improve = ranked
            .iter()
            .rev()
            .filter(|t| t.mean_score < 60.0)
            .take(3)
            .map(|t| {
                if zh {
                    format!(
                        "{}：{:.0} 分，要点覆盖 {}/{}",
                        t.skill, t.mean_score, t.key_points_covered, t.key_points_total
                    )
                } else {
                    format!(
                        "{}: {:.0}, key points {}/{}",
                        t.skill, t.mean_score, t.key_points_covered, t.key_points_total
                    )
                }
            })
            .collect();
        Summary {
            content_score,
            answers: scores.len() as u32,
            topics,
            strengths,
            to_improve,
        }
    }

    pub fn topic_kind(&self) -> Option<TopicKind> {
        self.plan.get(self.topic_index).map(|t| t.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InterviewKind;
    use mianshi_resume::parse_profile;

    fn strong_answer(interview: &Interview) -> String {
        let open = interview.current.as_ref().unwrap();
        let q = bank().get(&open.bank_id).unwrap();
        let mut text: String = open
            .key_points
            .iter()
            .map(|&k| {
                format!(
                    "{}，因为 {}。",
                    q.key_points[k].zh,
                    q.key_points[k].keywords.join("、")
                )
            })
            .collect();
        text.push_str(
            "当时我负责这部分，首先定位瓶颈，最终把延迟从 200ms 降到 40ms，结果提升了 5 倍。",
        );
        text
    }

    #[test]
    fn a_whole_interview_never_repeats_and_ends() {
        let documents = CandidateDocuments {
            profile: Some(parse_profile(
                "张伟\n专业技能\nJava, Redis, MySQL, Kafka, Docker\n",
            )),
            ..Default::default()
        };
        let settings = Settings {
            max_questions: 10,
            kind: InterviewKind::Mixed,
            ..Settings::default()
        };
        let mut interview = Interview::new(&documents, settings);
        let now = Utc::now();
        let mut asked = Vec::new();
        let mut question = interview.next_question(now).unwrap();
        for turn in 0..30 {
            asked.push(question.text.clone());
            let answer = if turn % 2 == 0 {
                strong_answer(&interview)
            } else {
                "这个不太清楚。".to_owned()
            };
            let reply = interview.answer(&answer, now).unwrap();
            match reply.next {
                Some(next) => question = next,
                None => break,
            }
        }
        assert!(interview.finished);
        assert!(asked.len() <= 10);
        let mut unique = asked.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            asked.len(),
            "a question was repeated: {asked:#?}"
        );
        let summary = interview.summary();
        assert!(summary.content_score.is_some());
        assert_eq!(interview.answer("late", now), Err(EngineError::Finished));
    }

    #[test]
    fn the_state_survives_serialization_mid_interview() {
        let mut interview = Interview::new(&CandidateDocuments::default(), Settings::default());
        let q = interview.next_question(Utc::now()).unwrap();
        let json = serde_json::to_string(&interview).unwrap();
        let mut restored: Interview = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, interview);
        assert_eq!(
            restored.next_question(Utc::now()).unwrap().text,
            q.text,
            "the open question is asked again, not a new one"
        );
    }
}
