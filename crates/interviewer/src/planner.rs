//! Topic planning: from the parsed résumé, job description and their match, an ordered queue
//! of topics — JD-required skills the résumé shows, then required gaps, then the résumé's own
//! strongest skills, then its projects, then behavioural competencies — interleaved by the
//! interview type. Only topics the question bank can ask about are planned.

use mianshi_core::{CandidateDocuments, Profile, TopicKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bank::bank;
use crate::{InterviewKind, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopicSource {
    JobRequiredShown,
    JobRequiredGap,
    JobNiceToHave,
    ResumeSkill,
    Project,
    Competency,
    General,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlannedTopic {
    pub id: String,
    /// The bank skill or competency questions are drawn from.
    pub skill: String,
    pub kind: TopicKind,
    pub source: TopicSource,
    /// A résumé project to anchor the question to.
    pub project: Option<String>,
    /// Why this topic: the résumé or JD text behind it.
    pub evidence: Option<String>,
}

pub const COMPETENCIES: &[&str] = &[
    "teamwork",
    "conflict",
    "failure",
    "leadership",
    "motivation",
    "communication",
    "pressure",
    "learning",
    "ownership",
    "prioritization",
];

/// Skills asked when there is no résumé or job to go on.
const GENERAL_SKILLS: &[&str] = &[
    "Data Structures",
    "Algorithms",
    "Computer Networks",
    "Operating Systems",
    "Databases",
    "System Design",
];

fn project_for(profile: Option<&Profile>, skill: &str) -> Option<String> {
    profile?
        .projects
        .iter()
        .find(|p| {
            p.tech.iter().any(|t| t.eq_ignore_ascii_case(skill))
                || p.highlights.iter().any(|h| h.contains(skill))
        })
        .map(|p| p.name.clone())
}

/// Résumé skills, strongest first: those listed in a skills section and mentioned most.
fn ranked_resume_skills(profile: &Profile) -> Vec<(String, String)> {
    let mut skills: Vec<_> = profile
        .skills
        .iter()
        .filter(|s| s.category != "soft")
        .map(|s| {
            let listed = u32::from(s.section == "skills");
            (
                listed * 2 + s.mentions,
                s.name.clone(),
                s.evidence_span.text.clone(),
            )
        })
        .collect();
    skills.sort_by_key(|s| std::cmp::Reverse(s.0));
    skills
        .into_iter()
        .map(|(_, name, evidence)| (name, evidence))
        .collect()
}

/// The top résumé skills the bank can ask about — what "covering the résumé" means.
pub fn top_resume_skills(profile: &Profile, n: usize) -> Vec<String> {
    ranked_resume_skills(profile)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| bank().has_skill(name))
        .take(n)
        .collect()
}

pub fn plan(documents: &CandidateDocuments, settings: &Settings) -> Vec<PlannedTopic> {
    let bank = bank();
    let profile = documents.profile.as_ref();
    let mut technical: Vec<PlannedTopic> = Vec::new();
    let push = |skill: &str,
                source: TopicSource,
                evidence: Option<String>,
                technical: &mut Vec<PlannedTopic>| {
        if !bank.has_skill(skill)
            || technical
                .iter()
                .any(|t| t.skill.eq_ignore_ascii_case(skill))
        {
            return;
        }
        let project = project_for(profile, skill);
        technical.push(PlannedTopic {
            id: format!("skill:{}", skill.to_lowercase()),
            skill: skill.to_owned(),
            kind: TopicKind::Skill,
            source,
            project,
            evidence,
        });
    };
    if let Some(m) = &documents.skill_match {
        for item in m.matched.iter().filter(|i| i.required) {
            push(
                &item.skill,
                TopicSource::JobRequiredShown,
                item.evidence.as_ref().map(|e| e.text.clone()),
                &mut technical,
            );
        }
        for item in m.missing.iter().filter(|i| i.required) {
            push(
                &item.skill,
                TopicSource::JobRequiredGap,
                None,
                &mut technical,
            );
        }
    } else if let Some(job) = &documents.job {
        for skill in &job.required_skills {
            push(
                &skill.name,
                TopicSource::JobRequiredGap,
                Some(skill.evidence_span.text.clone()),
                &mut technical,
            );
        }
    }
    if let Some(profile) = profile {
        for (skill, evidence) in ranked_resume_skills(profile) {
            push(
                &skill,
                TopicSource::ResumeSkill,
                Some(evidence),
                &mut technical,
            );
        }
        // A project whose technologies were not already topics still gets asked about.
        for project in &profile.projects {
            if let Some(tech) = project.tech.iter().find(|t| {
                bank.has_skill(t) && !technical.iter().any(|x| x.skill.eq_ignore_ascii_case(t))
            }) {
                technical.push(PlannedTopic {
                    id: format!("project:{}", project.name),
                    skill: tech.clone(),
                    kind: TopicKind::Project,
                    source: TopicSource::Project,
                    project: Some(project.name.clone()),
                    evidence: Some(project.name.clone()),
                });
            }
        }
    }
    if let Some(job) = &documents.job {
        for skill in &job.nice_to_have {
            push(
                &skill.name,
                TopicSource::JobNiceToHave,
                Some(skill.evidence_span.text.clone()),
                &mut technical,
            );
        }
    }
    if technical.is_empty() {
        for skill in GENERAL_SKILLS {
            push(skill, TopicSource::General, None, &mut technical);
        }
    }

    // Leadership first for people who lead; otherwise the classic order.
    let leads = profile.is_some_and(|p| {
        p.skills
            .iter()
            .any(|s| s.name == "Leadership" || s.name == "Mentoring")
    });
    let mut competencies: Vec<&str> = COMPETENCIES
        .iter()
        .copied()
        .filter(|c| bank.has_skill(c))
        .collect();
    if leads {
        competencies.retain(|c| *c != "leadership");
        competencies.insert(0, "leadership");
    }
    let behavioural: Vec<PlannedTopic> = competencies
        .into_iter()
        .map(|c| PlannedTopic {
            id: format!("competency:{c}"),
            skill: c.to_owned(),
            kind: TopicKind::Competency,
            source: TopicSource::Competency,
            project: None,
            evidence: None,
        })
        .collect();

    match settings.kind {
        InterviewKind::Technical => technical,
        InterviewKind::Behavioural => behavioural,
        InterviewKind::Mixed => {
            // Two technical topics, then one behavioural, while both last.
            let mut out = Vec::new();
            let (mut t, mut b) = (technical.into_iter(), behavioural.into_iter());
            loop {
                let first = t.next();
                let second = t.next();
                let third = b.next();
                if first.is_none() && second.is_none() && third.is_none() {
                    break;
                }
                out.extend(first);
                out.extend(second);
                out.extend(third);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mianshi_resume::{match_profile, parse_job, parse_profile};

    #[test]
    fn jd_skills_the_resume_shows_come_first_then_gaps() {
        let profile = parse_profile("张伟\n专业技能\nJava, Redis, Docker, React\n");
        let job = parse_job("后端工程师\n任职要求：\n熟悉 Java、MySQL、Redis\n");
        let skill_match = match_profile(&profile, &job);
        let documents = CandidateDocuments {
            profile: Some(profile),
            job: Some(job),
            skill_match: Some(skill_match),
        };
        let settings = Settings {
            kind: InterviewKind::Technical,
            ..Settings::default()
        };
        let topics = plan(&documents, &settings);
        let skills: Vec<&str> = topics.iter().map(|t| t.skill.as_str()).collect();
        assert_eq!(&skills[..3], &["Java", "Redis", "MySQL"], "{skills:?}");
        assert_eq!(topics[2].source, TopicSource::JobRequiredGap);
        assert!(skills.contains(&"Docker") && skills.contains(&"React"));
    }

    #[test]
    fn mixed_interleaves_and_behavioural_has_only_competencies() {
        let documents = CandidateDocuments {
            profile: Some(parse_profile(
                "Jane Doe\nSkills\nPython, Go, Kubernetes, SQL\n",
            )),
            ..Default::default()
        };
        let mixed = plan(&documents, &Settings::default());
        assert_eq!(mixed[2].kind, TopicKind::Competency);
        assert_eq!(mixed[0].kind, TopicKind::Skill);
        let behavioural = plan(
            &documents,
            &Settings {
                kind: InterviewKind::Behavioural,
                ..Settings::default()
            },
        );
        assert!(behavioural.iter().all(|t| t.kind == TopicKind::Competency));
        assert!(behavioural.len() >= 5);
    }

    #[test]
    fn no_documents_still_gives_an_interview() {
        let topics = plan(
            &CandidateDocuments::default(),
            &Settings {
                kind: InterviewKind::Technical,
                ..Settings::default()
            },
        );
        assert!(topics.len() >= 3);
    }
}
