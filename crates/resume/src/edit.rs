//! The candidate's corrections to a parsed résumé ([`ProfileEdit`]): validated, applied to the
//! stored documents, and the job match worked out again, so the plan uses what the candidate
//! confirmed rather than what the parser guessed.

use mianshi_core::{
    CandidateDocuments, Experience, ExperienceEdit, Profile, ProfileEdit, Project, ProjectEdit,
    Skill, Span,
};

use crate::job::match_profile;
use crate::taxonomy::taxonomy;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_FIELD_CHARS: usize = 120;
pub const MAX_SKILLS: usize = 100;
pub const MAX_ENTRIES: usize = 30;
pub const MAX_TECH: usize = 30;

/// Why an edit was refused; `field` names what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {problem}")]
pub struct EditError {
    pub field: String,
    pub problem: String,
}

fn refuse(field: impl Into<String>, problem: impl Into<String>) -> EditError {
    EditError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Trimmed text, refused when too long or with control characters (both as sent, which is
/// what the API's schema promises); `None` when blank.
fn clean(field: &str, text: &str, limit: usize) -> Result<Option<String>, EditError> {
    if text.chars().count() > limit {
        return Err(refuse(field, format!("longer than {limit} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(refuse(field, "contains control characters"));
    }
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The canonical name and category of a skill as typed: the taxonomy's when it knows the name
/// or an alias ("k8s" → Kubernetes, devops), else the text itself in `other`.
fn canonical_skill(name: &str) -> (String, String) {
    match taxonomy().lookup(name) {
        Some(entry) => (entry.name.clone(), entry.category.clone()),
        None => (name.to_owned(), "other".to_owned()),
    }
}

fn edit_skills(profile: &mut Profile, names: &[String]) -> Result<(), EditError> {
    if names.len() > MAX_SKILLS {
        return Err(refuse("skills", format!("more than {MAX_SKILLS} skills")));
    }
    let mut skills: Vec<Skill> = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let Some(name) = clean(&format!("skills[{i}]"), raw, MAX_FIELD_CHARS)? else {
            continue;
        };
        let (canonical, category) = canonical_skill(&name);
        if skills.iter().any(|s| s.name == canonical) {
            continue;
        }
        // A skill the parser found keeps where it was read; one the candidate added points
        // at nothing in the résumé and says so by its section.
        let skill = match profile.skills.iter().find(|s| s.name == canonical) {
            Some(found) => found.clone(),
            None => Skill {
                name: canonical,
                category,
                evidence_span: Span {
                    start: 0,
                    end: 0,
                    text: name,
                },
                mentions: 0,
                section: "added_by_candidate".to_owned(),
            },
        };
        skills.push(skill);
    }
    profile.skills = skills;
    Ok(())
}

fn edit_experience(profile: &mut Profile, entries: &[ExperienceEdit]) -> Result<(), EditError> {
    if entries.len() > MAX_ENTRIES {
        return Err(refuse(
            "experience",
            format!("more than {MAX_ENTRIES} entries"),
        ));
    }
    let mut experience = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("experience[{i}].{name}");
        let company = match &entry.company {
            Some(c) => clean(&field("company"), c, MAX_FIELD_CHARS)?,
            None => None,
        };
        let title = match &entry.title {
            Some(t) => clean(&field("title"), t, MAX_FIELD_CHARS)?,
            None => None,
        };
        if company.is_none() && title.is_none() {
            continue;
        }
        // Dates and highlights are not edited; they stay with the entry at the same place.
        let old = profile.experience.get(i).cloned().unwrap_or_default();
        experience.push(Experience {
            company,
            title,
            ..old
        });
    }
    profile.experience = experience;
    Ok(())
}

fn edit_projects(profile: &mut Profile, entries: &[ProjectEdit]) -> Result<(), EditError> {
    if entries.len() > MAX_ENTRIES {
        return Err(refuse(
            "projects",
            format!("more than {MAX_ENTRIES} entries"),
        ));
    }
    let mut projects = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Some(name) = clean(&format!("projects[{i}].name"), &entry.name, MAX_FIELD_CHARS)?
        else {
            continue;
        };
        if entry.tech.len() > MAX_TECH {
            return Err(refuse(
                format!("projects[{i}].tech"),
                format!("more than {MAX_TECH} entries"),
            ));
        }
        let mut tech = Vec::new();
        for (j, t) in entry.tech.iter().enumerate() {
            if let Some(t) = clean(&format!("projects[{i}].tech[{j}]"), t, MAX_FIELD_CHARS)? {
                let (canonical, _) = canonical_skill(&t);
                if !tech.contains(&canonical) {
                    tech.push(canonical);
                }
            }
        }
        let old = profile
            .projects
            .iter()
            .find(|p| p.name == name)
            .or_else(|| profile.projects.get(i))
            .cloned()
            .unwrap_or_default();
        projects.push(Project { name, tech, ..old });
    }
    profile.projects = projects;
    Ok(())
}

/// Applies `edit` to `documents` (making a profile when no résumé was sent) and works out
/// the job match again. Nothing changes when the edit is refused.
pub fn apply_edit(documents: &mut CandidateDocuments, edit: &ProfileEdit) -> Result<(), EditError> {
    let mut profile = documents.profile.clone().unwrap_or_default();
    if let Some(name) = &edit.name {
        profile.name = clean("name", name, MAX_NAME_CHARS)?;
    }
    if let Some(skills) = &edit.skills {
        edit_skills(&mut profile, skills)?;
    }
    if let Some(experience) = &edit.experience {
        edit_experience(&mut profile, experience)?;
    }
    if let Some(projects) = &edit.projects {
        edit_projects(&mut profile, projects)?;
    }
    if profile.language.is_empty() {
        let typed = [profile.name.clone().unwrap_or_default()]
            .into_iter()
            .chain(profile.skills.iter().map(|s| s.evidence_span.text.clone()))
            .chain(profile.projects.iter().map(|p| p.name.clone()))
            .collect::<String>();
        profile.language = if has_cjk(&typed) { "zh" } else { "en" }.to_owned();
    }
    documents.skill_match = documents
        .job
        .as_ref()
        .map(|job| match_profile(&profile, job));
    documents.profile = Some(profile);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build_documents;

    const RESUME: &str = "张三\nzhangsan@example.com\n\n技能\nJava, Spring Boot, MySQL\n\n项目经历\n订单系统 2021.03-2022.06\n负责下单与支付模块，使用 Redis 缓存。\n";
    const JD: &str = "Java 后端工程师\n任职要求：\n1. 熟悉 Java、MySQL；\n2. 熟悉 Kubernetes。\n";

    #[test]
    fn corrections_replace_what_the_parser_read_and_rematch_the_job() {
        let mut documents = build_documents(Some(RESUME), Some(JD));
        let before = documents.skill_match.clone().unwrap();
        assert!(before.missing.iter().any(|m| m.skill == "Kubernetes"));
        let java_span = documents.profile.as_ref().unwrap().skills[0]
            .evidence_span
            .clone();

        let edit = ProfileEdit {
            name: Some("  张三丰 ".into()),
            skills: Some(vec![
                "Java".into(),
                "k8s".into(),
                "java".into(),
                " ".into(),
                "mysql".into(),
            ]),
            projects: Some(vec![ProjectEdit {
                name: "订单系统".into(),
                tech: vec!["redis".into(), "Redis".into()],
            }]),
            experience: Some(vec![ExperienceEdit {
                company: Some("某某科技".into()),
                title: None,
            }]),
        };
        apply_edit(&mut documents, &edit).unwrap();
        let profile = documents.profile.as_ref().unwrap();
        assert_eq!(profile.name.as_deref(), Some("张三丰"));
        let names: Vec<&str> = profile.skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["Java", "Kubernetes", "MySQL"],
            "aliases resolve, duplicates and blanks go"
        );
        assert_eq!(
            profile.skills[0].evidence_span, java_span,
            "parsed evidence kept"
        );
        assert_eq!(profile.skills[1].section, "added_by_candidate");
        assert_eq!(profile.projects[0].tech, ["Redis"]);
        assert_eq!(profile.experience[0].company.as_deref(), Some("某某科技"));
        let matched = documents.skill_match.as_ref().unwrap();
        assert!(matched.matched.iter().any(|m| m.skill == "Kubernetes"));
        assert!(
            matched.required_coverage > before.required_coverage,
            "{:?} → {:?}",
            before.required_coverage,
            matched.required_coverage
        );
    }

    #[test]
    fn a_bad_edit_is_refused_by_field_and_changes_nothing() {
        let mut documents = build_documents(Some(RESUME), None);
        let before = documents.clone();
        let edit = ProfileEdit {
            name: Some("ok".into()),
            skills: Some(vec!["Rust".into(), "x".repeat(MAX_FIELD_CHARS + 1)]),
            ..Default::default()
        };
        let err = apply_edit(&mut documents, &edit).unwrap_err();
        assert_eq!(err.field, "skills[1]");
        assert_eq!(documents, before);
        let control = ProfileEdit {
            name: Some("a\u{0}b".into()),
            ..Default::default()
        };
        assert_eq!(
            apply_edit(&mut documents, &control).unwrap_err().field,
            "name"
        );
        let many = ProfileEdit {
            skills: Some(vec!["Go".into(); MAX_SKILLS + 1]),
            ..Default::default()
        };
        assert_eq!(
            apply_edit(&mut documents, &many).unwrap_err().field,
            "skills"
        );
    }

    #[test]
    fn without_a_resume_the_edit_makes_the_profile() {
        let mut documents = CandidateDocuments::default();
        let edit = ProfileEdit {
            name: Some("Ada".into()),
            skills: Some(vec!["Rust".into(), "PostgreSQL".into()]),
            ..Default::default()
        };
        apply_edit(&mut documents, &edit).unwrap();
        let profile = documents.profile.unwrap();
        assert_eq!(profile.language, "en");
        assert_eq!(profile.skills.len(), 2);
        assert!(documents.skill_match.is_none(), "no job, no match");
    }
}
