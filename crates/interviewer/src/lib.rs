//! The interviewer: plans topics from a résumé and job description, picks and personalises
//! questions from the curated bank, scores answers with evidence, and decides whether to
//! follow up, switch topic or end — all without a language model (the embedded default).
//!
//! Everything here is pure and synchronous: [`engine::Interview`] is the state of one
//! interview, and its methods return what to persist and say next. The server and the
//! `practice` command do the I/O.

pub mod bank;
pub mod decider;
pub mod e5;
pub mod engine;
pub mod eval;
pub mod llm;
pub mod planner;
pub mod render;
pub mod scorer;
pub mod semantic;
pub mod text;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use engine::{Interview, Reply};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

impl Language {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "chinese" | "中文" => Some(Language::Zh),
            "en" | "en-us" | "en-gb" | "english" => Some(Language::En),
            _ => None,
        }
    }

    /// Picks one of two texts.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Zh => zh,
            Language::En => en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InterviewKind {
    Technical,
    Behavioural,
    #[default]
    Mixed,
}

impl InterviewKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "technical" | "tech" | "技术" => Some(InterviewKind::Technical),
            "behavioural" | "behavioral" | "star" | "行为" => Some(InterviewKind::Behavioural),
            "mixed" | "综合" => Some(InterviewKind::Mixed),
            _ => None,
        }
    }
}

/// How an interview is run. Defaults follow the seed: at most 3 follow-ups per topic, and a
/// topic still below 60 after them is left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    pub language: Language,
    pub kind: InterviewKind,
    /// Questions in the whole interview, follow-ups included.
    pub max_questions: u32,
    /// 1 = junior, 2 = mid, 3 = senior.
    pub difficulty: u8,
    pub max_follow_ups: u8,
    pub switch_below: u8,
    /// A topic whose answers average at least this, with its key points covered, is done.
    pub well_covered: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: Language::Zh,
            kind: InterviewKind::Mixed,
            max_questions: 8,
            difficulty: 2,
            max_follow_ups: 3,
            switch_below: 60,
            well_covered: 80,
        }
    }
}

impl Settings {
    /// Settings from a session's metadata (`language`, `interview_type`, `questions`,
    /// `difficulty`), falling back to the résumé's language and the job's seniority.
    pub fn from_metadata(
        metadata: &serde_json::Map<String, serde_json::Value>,
        documents: Option<&mianshi_core::CandidateDocuments>,
    ) -> Result<Self, String> {
        let mut settings = Settings::default();
        let text = |key: &str| metadata.get(key).and_then(|v| v.as_str());
        settings.language = match text("language") {
            Some(raw) => Language::parse(raw)
                .ok_or_else(|| format!("unknown language `{raw}` (zh or en)"))?,
            None => documents
                .and_then(|d| d.profile.as_ref())
                .and_then(|p| Language::parse(&p.language))
                .unwrap_or_default(),
        };
        if let Some(raw) = text("interview_type").or_else(|| text("type")) {
            settings.kind = InterviewKind::parse(raw).ok_or_else(|| {
                format!("unknown interview_type `{raw}` (technical, behavioural or mixed)")
            })?;
        }
        if let Some(value) = metadata
            .get("questions")
            .or_else(|| metadata.get("question_count"))
        {
            let n = value
                .as_u64()
                .filter(|n| (1..=50).contains(n))
                .ok_or("`questions` must be a whole number from 1 to 50")?;
            settings.max_questions = n as u32;
        }
        settings.difficulty = match metadata.get("difficulty") {
            Some(serde_json::Value::Number(n)) => {
                n.as_u64()
                    .filter(|d| (1..=3).contains(d))
                    .ok_or("`difficulty` must be 1, 2 or 3")? as u8
            }
            Some(serde_json::Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "junior" | "easy" | "初级" => 1,
                "mid" | "medium" | "中级" => 2,
                "senior" | "hard" | "高级" => 3,
                other => {
                    return Err(format!(
                        "unknown difficulty `{other}` (junior, mid, senior or 1–3)"
                    ))
                }
            },
            Some(_) => return Err("`difficulty` must be 1, 2, 3 or junior/mid/senior".into()),
            None => match documents.and_then(|d| d.job.as_ref()).map(|j| j.seniority) {
                Some(mianshi_core::Seniority::Intern | mianshi_core::Seniority::Junior) => 1,
                Some(mianshi_core::Seniority::Senior | mianshi_core::Seniority::Lead) => 3,
                _ => 2,
            },
        };
        Ok(settings)
    }
}
