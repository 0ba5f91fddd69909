//! Plain-text summaries of a parsed résumé and a job match, for the terminal.

use std::fmt::Write as _;

use mianshi_core::{JobSpec, Profile, SkillMatch, Span};

fn range(start: &Option<String>, end: &Option<String>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("{s} – {e}"),
        (Some(s), None) => s.clone(),
        (None, Some(e)) => format!("– {e}"),
        (None, None) => String::new(),
    }
}

/// The evidence span with a little of the text around it, on one line.
fn in_context(text: &str, span: &Span) -> String {
    let before: String = text[..span.start.min(text.len())]
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[span.end.min(text.len())..].chars().take(12).collect();
    format!("…{before}[{}]{after}…", span.text).replace(['\n', '\t'], " ")
}

fn join_some(parts: &[&Option<String>]) -> String {
    parts
        .iter()
        .filter_map(|p| p.as_deref())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn profile_summary(profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({})",
        profile.name.as_deref().unwrap_or("(no name found)"),
        profile.language
    );
    if let Some(email) = &profile.contact.email {
        let _ = writeln!(out, "  email  {email}");
    }
    if let Some(phone) = &profile.contact.phone {
        let _ = writeln!(out, "  phone  {phone}");
    }
    for link in &profile.contact.links {
        let _ = writeln!(out, "  link   {link}");
    }
    if let Some(summary) = &profile.summary {
        let _ = writeln!(out, "\nSummary\n  {summary}");
    }
    let _ = writeln!(out, "\nSkills ({})", profile.skills.len());
    for skill in &profile.skills {
        let _ = writeln!(
            out,
            "  {:<24} {:<12} ×{:<2} {} ({})",
            skill.name,
            skill.category,
            skill.mentions,
            in_context(&profile.text, &skill.evidence_span),
            skill.section
        );
    }
    if !profile.education.is_empty() {
        let _ = writeln!(out, "\nEducation");
        for e in &profile.education {
            let _ = writeln!(
                out,
                "  {:<22} {}",
                range(&e.start, &e.end),
                join_some(&[&e.school, &e.degree, &e.major])
            );
        }
    }
    if !profile.experience.is_empty() {
        let _ = writeln!(out, "\nExperience");
        for e in &profile.experience {
            let _ = writeln!(
                out,
                "  {:<22} {}",
                range(&e.start, &e.end),
                join_some(&[&e.title, &e.company])
            );
            for h in &e.highlights {
                let _ = writeln!(out, "  {:<22}   • {h}", "");
            }
        }
    }
    if !profile.projects.is_empty() {
        let _ = writeln!(out, "\nProjects");
        for p in &profile.projects {
            let role = p
                .role
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:<22} {}{role}", range(&p.start, &p.end), p.name);
            if !p.tech.is_empty() {
                let _ = writeln!(out, "  {:<22}   tech: {}", "", p.tech.join(", "));
            }
        }
    }
    if !profile.languages.is_empty() {
        let _ = writeln!(out, "\nLanguages\n  {}", profile.languages.join("; "));
    }
    if !profile.certifications.is_empty() {
        let _ = writeln!(
            out,
            "\nCertifications\n  {}",
            profile.certifications.join("; ")
        );
    }
    if !profile.warnings.is_empty() {
        let _ = writeln!(out, "\nNot found: {}", profile.warnings.join("; "));
    }
    out
}

pub fn match_summary(job: &JobSpec, m: &SkillMatch) -> String {
    let mut out = String::new();
    let seniority = serde_json::to_value(job.seniority)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Job: {}  (seniority: {seniority})",
        job.title.as_deref().unwrap_or("(no title)")
    );
    if let Some(coverage) = m.required_coverage {
        let _ = writeln!(out, "  required skills shown: {:.0}%", coverage * 100.0);
    }
    for item in &m.matched {
        let kind = if item.required { "required" } else { "nice" };
        let evidence = item
            .evidence
            .as_ref()
            .map(|s| s.text.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "  ✓ {:<24} {kind:<8} résumé: \"{evidence}\"",
            item.skill
        );
    }
    for item in &m.missing {
        let kind = if item.required { "required" } else { "nice" };
        let _ = writeln!(out, "  ✗ {:<24} {kind:<8} not in the résumé", item.skill);
    }
    out
}
