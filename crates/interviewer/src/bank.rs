//! The question bank: curated questions in Chinese and English per skill or behavioural
//! competency, with key points, keywords and a targeted follow-up per key point. Kept as data
//! (`data/questions/*.toml`) and compiled into the binary.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::Language;

const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/question_files.rs"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Technical,
    Behavioural,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeyPoint {
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Distinct keywords an answer needs to count as covering the point.
    #[serde(default = "one")]
    pub min_hits: usize,
    pub follow_up_zh: String,
    pub follow_up_en: String,
}

fn one() -> usize {
    1
}

impl KeyPoint {
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        }
    }

    pub fn follow_up(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.follow_up_zh,
            Language::En => &self.follow_up_en,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct BankQuestion {
    pub id: String,
    pub skill: String,
    pub kind: QuestionKind,
    pub difficulty: u8,
    #[serde(default)]
    pub star: bool,
    #[serde(default)]
    pub competencies: Vec<String>,
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub rubric_zh: String,
    #[serde(default)]
    pub rubric_en: String,
    #[serde(rename = "key_point", default)]
    pub key_points: Vec<KeyPoint>,
}

impl BankQuestion {
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        }
    }

    pub fn rubric(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.rubric_zh,
            Language::En => &self.rubric_en,
        }
    }

    /// Asks about the candidate's own experience, so a résumé project can be named in it.
    pub fn is_experience_anchored(&self) -> bool {
        self.competencies.iter().any(|c| c == "experience")
    }
}

#[derive(Debug, Deserialize)]
struct BankFile {
    version: u32,
    #[serde(rename = "question", default)]
    questions: Vec<BankQuestion>,
}

pub struct QuestionBank {
    pub version: u32,
    pub questions: Vec<BankQuestion>,
    by_skill: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

static BANK: LazyLock<QuestionBank> = LazyLock::new(|| {
    QuestionBank::from_files(FILES).expect("the built-in question bank is valid (tested)")
});

/// The built-in bank.
pub fn bank() -> &'static QuestionBank {
    &BANK
}

impl QuestionBank {
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, BankError> {
        let mut questions = Vec::new();
        let mut version = 0;
        for (name, text) in files {
            let file: BankFile = toml::from_str(text).map_err(|err| BankError::Invalid {
                file: (*name).to_owned(),
                message: err.to_string(),
            })?;
            version = version.max(file.version);
            questions.extend(file.questions);
        }
        let mut by_skill: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (index, question) in questions.iter().enumerate() {
            if by_id.insert(question.id.clone(), index).is_some() {
                return Err(BankError::Invalid {
                    file: "bank".into(),
                    message: format!("duplicate question id {}", question.id),
                });
            }
            if question.key_points.is_empty() {
                return Err(BankError::Invalid {
                    file: "bank".into(),
                    message: format!("question {} has no key points", question.id),
                });
            }
            by_skill
                .entry(question.skill.to_lowercase())
                .or_default()
                .push(index);
        }
        Ok(Self {
            version,
            questions,
            by_skill,
            by_id,
        })
    }

    pub fn get(&self, id: &str) -> Option<&BankQuestion> {
        self.by_id.get(id).map(|&i| &self.questions[i])
    }

    /// Questions about a skill or competency, in bank order.
    pub fn for_skill(&self, skill: &str) -> impl Iterator<Item = &BankQuestion> {
        self.by_skill
            .get(&skill.to_lowercase())
            .into_iter()
            .flatten()
            .map(|&i| &self.questions[i])
    }

    pub fn has_skill(&self, skill: &str) -> bool {
        self.by_skill.contains_key(&skill.to_lowercase())
    }

    /// The best unasked question for `skill`: difficulty closest to `difficulty`, preferring an
    /// experience-anchored one when the candidate has a project to anchor it to.
    pub fn pick(
        &self,
        skill: &str,
        difficulty: u8,
        prefer_experience: bool,
        asked: &[String],
    ) -> Option<&BankQuestion> {
        self.for_skill(skill)
            .filter(|q| !asked.iter().any(|id| id == &q.id))
            .min_by_key(|q| {
                let distance = (i16::from(q.difficulty) - i16::from(difficulty)).unsigned_abs();
                let anchor_miss = u16::from(prefer_experience != q.is_experience_anchored());
                (distance, anchor_miss)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_bank_is_large_varied_and_well_formed() {
        let bank = bank();
        assert!(
            bank.questions.len() >= 300,
            "{} questions",
            bank.questions.len()
        );
        let technical: HashSet<&str> = bank
            .questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Technical)
            .map(|q| q.skill.as_str())
            .collect();
        assert!(
            technical.len() >= 40,
            "{} technical skills",
            technical.len()
        );
        for competency in [
            "teamwork",
            "conflict",
            "failure",
            "leadership",
            "motivation",
        ] {
            let star = bank.for_skill(competency).filter(|q| q.star).count();
            assert!(star >= 3, "{competency}: {star} STAR questions");
        }
        let taxonomy = mianshi_resume::taxonomy::taxonomy();
        for question in &bank.questions {
            if question.kind == QuestionKind::Technical {
                assert!(
                    taxonomy.lookup(&question.skill).is_some(),
                    "{}: unknown skill {}",
                    question.id,
                    question.skill
                );
            }
            for text in [&question.zh, &question.en] {
                let marks = text.matches(['?', '？']).count();
                assert!(
                    marks <= 1,
                    "{} asks more than one thing: {text}",
                    question.id
                );
            }
            for point in &question.key_points {
                assert!(
                    !point.keywords.is_empty(),
                    "{}: key point without keywords",
                    question.id
                );
                assert!(
                    point.follow_up_zh.matches(['?', '？']).count() <= 1,
                    "{}",
                    question.id
                );
            }
        }
    }

    #[test]
    fn picking_respects_what_was_asked() {
        let bank = bank();
        let first = bank.pick("Redis", 2, false, &[]).expect("Redis questions");
        let second = bank
            .pick("Redis", 2, false, std::slice::from_ref(&first.id))
            .expect("a second one");
        assert_ne!(first.id, second.id);
        let all: Vec<String> = bank.for_skill("Redis").map(|q| q.id.clone()).collect();
        assert!(bank.pick("Redis", 2, false, &all).is_none());
    }
}
