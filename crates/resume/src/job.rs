//! Job descriptions → [`JobSpec`] (title, seniority, required and nice-to-have skills,
//! responsibilities), and the match of a profile against it.

use std::collections::HashSet;
use std::sync::LazyLock;

use mianshi_core::{JobSkill, JobSpec, Profile, Seniority, SkillMatch, SkillMatchItem, Span};
use regex::Regex;

use crate::profile::detect_language;
use crate::taxonomy::taxonomy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Intro,
    Responsibilities,
    Requirements,
    NiceToHave,
}

const PART_HEADINGS: &[(&str, Part)] = &[
    ("岗位职责", Part::Responsibilities),
    ("工作职责", Part::Responsibilities),
    ("职位描述", Part::Responsibilities),
    ("工作内容", Part::Responsibilities),
    ("你将负责", Part::Responsibilities),
    ("responsibilities", Part::Responsibilities),
    ("what you'll do", Part::Responsibilities),
    ("what you will do", Part::Responsibilities),
    ("the role", Part::Responsibilities),
    ("duties", Part::Responsibilities),
    ("任职要求", Part::Requirements),
    ("岗位要求", Part::Requirements),
    ("任职资格", Part::Requirements),
    ("职位要求", Part::Requirements),
    ("我们希望你", Part::Requirements),
    ("requirements", Part::Requirements),
    ("qualifications", Part::Requirements),
    ("must have", Part::Requirements),
    ("must-have", Part::Requirements),
    ("what we're looking for", Part::Requirements),
    ("what we are looking for", Part::Requirements),
    ("who you are", Part::Requirements),
    ("you have", Part::Requirements),
    ("加分项", Part::NiceToHave),
    ("加分", Part::NiceToHave),
    ("优先条件", Part::NiceToHave),
    ("nice to have", Part::NiceToHave),
    ("nice-to-have", Part::NiceToHave),
    ("preferred qualifications", Part::NiceToHave),
    ("preferred", Part::NiceToHave),
    ("bonus points", Part::NiceToHave),
    ("bonus", Part::NiceToHave),
    ("pluses", Part::NiceToHave),
];

/// Words that make a single requirement line optional.
static OPTIONAL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(优先|加分|者佳|更佳|is a plus|a plus|nice to have|preferred|bonus|ideally)")
        .unwrap()
});
static TITLE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:职位名称|岗位名称|职位|岗位|招聘岗位|job title|position|title|role)\s*[:：]\s*(.+)$").unwrap()
});
static YEARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\d{1,2})\s*(?:\+|年以上|年及以上|年或以上|\s*-\s*\d{1,2}\s*年|年|\+?\s*years?)",
    )
    .unwrap()
});

fn part_heading(line: &str) -> Option<Part> {
    let cleaned: String = line
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase();
    if cleaned.is_empty() || cleaned.chars().count() > 40 {
        return None;
    }
    let cleaned = cleaned.trim_end_matches([':', '：']).trim();
    PART_HEADINGS
        .iter()
        .find(|(phrase, _)| {
            cleaned == *phrase
                || (cleaned.starts_with(phrase)
                    && cleaned.chars().count() <= phrase.chars().count() + 8)
        })
        .map(|(_, part)| *part)
}

fn seniority(title: &str, text: &str) -> Seniority {
    let lower_title = title.to_lowercase();
    let by_words = |s: &str| -> Option<Seniority> {
        let s = s.to_lowercase();
        if s.contains("实习") || s.contains("intern") {
            Some(Seniority::Intern)
        } else if [
            "专家",
            "首席",
            "架构师",
            "技术负责人",
            "lead",
            "principal",
            "staff",
            "head of",
        ]
        .iter()
        .any(|w| s.contains(w))
        {
            Some(Seniority::Lead)
        } else if ["高级", "资深", "senior", "sr."]
            .iter()
            .any(|w| s.contains(w))
        {
            Some(Seniority::Senior)
        } else if ["中级", "mid-level", "mid level", "intermediate"]
            .iter()
            .any(|w| s.contains(w))
        {
            Some(Seniority::Mid)
        } else if [
            "初级",
            "应届",
            "校招",
            "junior",
            "jr.",
            "entry-level",
            "entry level",
            "graduate",
        ]
        .iter()
        .any(|w| s.contains(w))
        {
            Some(Seniority::Junior)
        } else {
            None
        }
    };
    if let Some(level) = by_words(&lower_title) {
        return level;
    }
    if let Some(years) = YEARS.captures(text).and_then(|c| c[1].parse::<u32>().ok()) {
        return match years {
            0..=1 => Seniority::Junior,
            2..=4 => Seniority::Mid,
            5..=7 => Seniority::Senior,
            _ => Seniority::Lead,
        };
    }
    by_words(text).unwrap_or(Seniority::Unknown)
}

/// Parses a job description.
pub fn parse_job(text: &str) -> JobSpec {
    let taxonomy = taxonomy();
    let mut title = None;
    let mut part = Part::Intro;
    let mut responsibilities = Vec::new();
    let mut required: Vec<JobSkill> = Vec::new();
    let mut nice: Vec<JobSkill> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(caps) = TITLE_LABEL.captures(trimmed) {
            title.get_or_insert_with(|| caps[1].trim().to_owned());
            continue;
        }
        if let Some(next) = part_heading(trimmed) {
            part = next;
            continue;
        }
        if title.is_none() && part == Part::Intro {
            title = Some(trimmed.trim_matches(['#', '*', ' ']).to_owned());
            continue;
        }
        if part == Part::Responsibilities {
            responsibilities.push(
                trimmed
                    .trim_start_matches(|c: char| {
                        !c.is_alphanumeric() && !matches!(c as u32, 0x3400..=0x9FFF)
                    })
                    .to_owned(),
            );
        }
        if part == Part::Intro {
            continue;
        }
        let optional = part == Part::NiceToHave || OPTIONAL_LINE.is_match(trimmed);
        for hit in taxonomy.find(line, |_| part != Part::Responsibilities) {
            let skill = taxonomy.skill(hit.skill);
            let job_skill = JobSkill {
                name: skill.name.clone(),
                category: skill.category.clone(),
                evidence_span: Span {
                    start: line_start + hit.start,
                    end: line_start + hit.end,
                    text: line[hit.start..hit.end].to_owned(),
                },
            };
            let target = if optional { &mut nice } else { &mut required };
            if !target.iter().any(|s| s.name == job_skill.name) {
                target.push(job_skill);
            }
        }
    }
    let required_names: HashSet<String> = required.iter().map(|s| s.name.clone()).collect();
    nice.retain(|s| !required_names.contains(&s.name));
    let title = title.filter(|t| t.chars().count() <= 80);
    JobSpec {
        seniority: seniority(title.as_deref().unwrap_or(""), text),
        title,
        required_skills: required,
        nice_to_have: nice,
        responsibilities,
        language: detect_language(text).to_owned(),
        text: text.to_owned(),
    }
}

/// Which of the job's skills the profile shows, with the résumé's evidence.
pub fn match_profile(profile: &Profile, job: &JobSpec) -> SkillMatch {
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    let required = job.required_skills.iter().map(|s| (s, true));
    let optional = job.nice_to_have.iter().map(|s| (s, false));
    for (skill, is_required) in required.chain(optional) {
        let evidence = profile
            .skills
            .iter()
            .find(|p| p.name == skill.name)
            .map(|p| p.evidence_span.clone());
        let item = SkillMatchItem {
            skill: skill.name.clone(),
            required: is_required,
            evidence,
        };
        if item.evidence.is_some() {
            matched.push(item);
        } else {
            missing.push(item);
        }
    }
    let required_total = job.required_skills.len();
    let required_matched = matched.iter().filter(|m| m.required).count();
    SkillMatch {
        matched,
        missing,
        required_coverage: (required_total > 0)
            .then(|| required_matched as f32 / required_total as f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_profile;

    const JD: &str = "高级Java后端工程师（杭州）\n某某科技是一家电商公司。\n\n岗位职责：\n1. 负责交易系统的设计与开发；\n2. 参与微服务架构演进。\n\n任职要求：\n1. 5年以上 Java 开发经验，熟悉 Spring Boot；\n2. 熟悉 MySQL、Redis；\n3. 有 Kafka 使用经验者优先。\n\n加分项：\n熟悉 Kubernetes。\n";

    #[test]
    fn chinese_jd_splits_required_and_optional() {
        let job = parse_job(JD);
        assert_eq!(job.title.as_deref(), Some("高级Java后端工程师（杭州）"));
        assert_eq!(job.seniority, Seniority::Senior);
        let required: Vec<&str> = job
            .required_skills
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(
            required,
            vec!["Microservices", "Java", "Spring", "MySQL", "Redis"]
        );
        let nice: Vec<&str> = job.nice_to_have.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(nice, vec!["Kafka", "Kubernetes"]);
        assert_eq!(job.responsibilities.len(), 2);
        let span = &job.required_skills[1].evidence_span;
        assert_eq!(&JD[span.start..span.end], "Java");
    }

    #[test]
    fn match_reports_evidence_and_gaps() {
        let job = parse_job(JD);
        let profile = parse_profile("张伟\n专业技能\nJava, Spring Boot, Redis, Kubernetes\n");
        let m = match_profile(&profile, &job);
        let matched: Vec<&str> = m.matched.iter().map(|i| i.skill.as_str()).collect();
        assert_eq!(matched, vec!["Java", "Spring", "Redis", "Kubernetes"]);
        let missing: Vec<&str> = m.missing.iter().map(|i| i.skill.as_str()).collect();
        assert_eq!(missing, vec!["Microservices", "MySQL", "Kafka"]);
        assert_eq!(m.required_coverage, Some(3.0 / 5.0));
        assert_eq!(m.matched[1].evidence.as_ref().unwrap().text, "Spring Boot");
    }

    #[test]
    fn english_jd() {
        let jd = "Staff Backend Engineer\n\nWhat you'll do\n- Own our Go services on AWS\n\nRequirements\n- 8+ years of experience\n- Strong Go and PostgreSQL\n\nNice to have\n- Kafka, Terraform\n";
        let job = parse_job(jd);
        assert_eq!(job.seniority, Seniority::Lead);
        let required: Vec<&str> = job
            .required_skills
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(required, vec!["AWS", "Go", "PostgreSQL"]);
        let nice: Vec<&str> = job.nice_to_have.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(nice, vec!["Kafka", "Infrastructure as Code"]);
    }
}
