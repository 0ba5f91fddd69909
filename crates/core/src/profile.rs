//! What Mianshi knows about a candidate and a job: the parsed résumé ([`Profile`]), the parsed
//! job description ([`JobSpec`]) and how the two match ([`SkillMatch`]). Produced by the
//! `resume` crate, stored with the session, read by the interviewer's planner.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A span of the source text (byte offsets into [`Profile::text`]) and the text itself, so every
/// extracted value can be traced back to where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub links: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Skill {
    /// Canonical name from the skill taxonomy, e.g. `Kubernetes` for "k8s".
    pub name: String,
    /// Taxonomy category: language, frontend, backend, database, cloud, devops, data, ml, …
    pub category: String,
    /// Where the skill was first mentioned.
    pub evidence_span: Span,
    /// How many times the résumé mentions it (any alias).
    pub mentions: u32,
    /// Section of the first mention (`skills`, `experience`, `projects`, …).
    pub section: String,
}

/// A date as written, normalised: `YYYY-MM`, `YYYY`, or `present`.
pub type DateText = String;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Experience {
    pub company: Option<String>,
    pub title: Option<String>,
    pub start: Option<DateText>,
    pub end: Option<DateText>,
    #[serde(default)]
    pub highlights: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub name: String,
    pub role: Option<String>,
    #[serde(default)]
    pub tech: Vec<String>,
    pub start: Option<DateText>,
    pub end: Option<DateText>,
    #[serde(default)]
    pub highlights: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Education {
    pub school: Option<String>,
    pub degree: Option<String>,
    pub major: Option<String>,
    pub start: Option<DateText>,
    pub end: Option<DateText>,
}

/// A parsed résumé.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub name: Option<String>,
    pub contact: Contact,
    pub summary: Option<String>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    #[serde(default)]
    pub experience: Vec<Experience>,
    #[serde(default)]
    pub projects: Vec<Project>,
    #[serde(default)]
    pub education: Vec<Education>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub certifications: Vec<String>,
    /// `zh` or `en`: the résumé's main language.
    pub language: String,
    /// The text the profile was read from, in reading order (spans point into it).
    pub text: String,
    /// What could not be read, in words (e.g. "no email address found").
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    Intern,
    Junior,
    Mid,
    Senior,
    Lead,
    Unknown,
}

/// A skill a job asks for, with where the job description says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobSkill {
    pub name: String,
    pub category: String,
    pub evidence_span: Span,
}

/// A parsed job description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobSpec {
    pub title: Option<String>,
    pub seniority: Seniority,
    #[serde(default)]
    pub required_skills: Vec<JobSkill>,
    #[serde(default)]
    pub nice_to_have: Vec<JobSkill>,
    #[serde(default)]
    pub responsibilities: Vec<String>,
    pub language: String,
    pub text: String,
}

/// One required or nice-to-have skill, and whether the résumé shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkillMatchItem {
    pub skill: String,
    pub required: bool,
    /// The résumé's evidence for it, when present.
    pub evidence: Option<Span>,
}

/// How a résumé covers a job's skills; feeds topic planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SkillMatch {
    pub matched: Vec<SkillMatchItem>,
    pub missing: Vec<SkillMatchItem>,
    /// Share of required skills the résumé shows, 0–1; absent when the job lists none.
    pub required_coverage: Option<f32>,
}

/// What a session knows about its candidate and job: the parsed résumé, the parsed job
/// description and how they match. Stored with the session at start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CandidateDocuments {
    pub profile: Option<Profile>,
    pub job: Option<JobSpec>,
    #[serde(rename = "match")]
    pub skill_match: Option<SkillMatch>,
}

impl CandidateDocuments {
    pub fn is_empty(&self) -> bool {
        self.profile.is_none() && self.job.is_none()
    }
}

/// The candidate's corrections to the parsed résumé, made on the start page before the
/// interview is planned. A field left out is unchanged; a list that is sent replaces the list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileEdit {
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub name: Option<String>,
    /// Skill names as the candidate writes them ("k8s" becomes Kubernetes).
    #[schema(schema_with = skill_list_schema::<100>)]
    pub skills: Option<Vec<String>>,
    #[schema(max_items = 30)]
    pub experience: Option<Vec<ExperienceEdit>>,
    #[schema(max_items = 30)]
    pub projects: Option<Vec<ProjectEdit>>,
}

/// Up to `N` names of at most 120 characters without control characters (the edit's limits,
/// `mianshi_resume::edit`).
fn skill_list_schema<const N: usize>() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(120))
                .pattern(Some(NO_CONTROL_CHARACTERS)),
        )
        .max_items(Some(N))
        .build()
}

/// JSON Schema pattern: no control characters (Unicode Cc), as `char::is_control` tests.
pub const NO_CONTROL_CHARACTERS: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperienceEdit {
    #[schema(max_length = 120, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub company: Option<String>,
    #[schema(max_length = 120, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectEdit {
    #[schema(max_length = 120, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = skill_list_schema::<30>)]
    pub tech: Vec<String>,
}
