//! Field-level precision, recall and F1 of the parser against a labelled folder of résumés and
//! job descriptions (`X.pdf` + `X.expected.json`; see `tests/data/README.md` for the format).
//! Used by the test suite and by `mianshi eval resume DIR`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{extract_text, parse_job, parse_profile, Limits};

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Scores one single-valued field.
    fn single(
        &mut self,
        expected: Option<&str>,
        got: Option<&str>,
        same: impl Fn(&str, &str) -> bool,
    ) {
        match (expected, got) {
            (Some(e), Some(g)) if same(e, g) => self.tp += 1,
            (Some(_), Some(_)) => {
                self.fp += 1;
                self.fn_ += 1;
            }
            (Some(_), None) => self.fn_ += 1,
            (None, Some(_)) => self.fp += 1,
            (None, None) => {}
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

#[derive(Debug, Deserialize)]
struct ExpectedEducation {
    school: Option<String>,
    degree: Option<String>,
    major: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExpectedExperience {
    company: Option<String>,
    title: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExpectedProject {
    name: String,
}

#[derive(Debug, Deserialize)]
struct ExpectedResume {
    file: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    skills: Vec<String>,
    #[serde(default)]
    education: Vec<ExpectedEducation>,
    #[serde(default)]
    experience: Vec<ExpectedExperience>,
    #[serde(default)]
    projects: Vec<ExpectedProject>,
}

#[derive(Debug, Deserialize)]
struct ExpectedJob {
    file: String,
    title: Option<String>,
    seniority: String,
    #[serde(default)]
    required_skills: Vec<String>,
    #[serde(default)]
    nice_to_have: Vec<String>,
}

/// Scores per field, plus what went wrong where.
#[derive(Debug, Default)]
pub struct Report {
    pub documents: u32,
    pub fields: BTreeMap<&'static str, Counts>,
    pub mistakes: Vec<String>,
}

impl Report {
    pub fn f1(&self, field: &str) -> f64 {
        self.fields.get(field).map(Counts::f1).unwrap_or(0.0)
    }

    fn field(&mut self, name: &'static str) -> &mut Counts {
        self.fields.entry(name).or_default()
    }

    /// A table a person can read.
    pub fn table(&self, title: &str) -> String {
        let mut out = format!("{title} ({} documents)\n", self.documents);
        let _ = writeln!(
            out,
            "{:<22} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
            "field", "tp", "fp", "fn", "precision", "recall", "F1"
        );
        for (name, c) in &self.fields {
            let _ = writeln!(
                out,
                "{:<22} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
                name,
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            );
        }
        out
    }
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn same_text(a: &str, b: &str) -> bool {
    norm(a) == norm(b)
}

/// Organisation and project names: equal, or one contains the other (a parser may keep a
/// suffix such as a city, or drop one such as "Inc.").
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a == b || a.contains(&b) || b.contains(&a))
}

fn same_phone(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    digits(a) == digits(b)
}

fn set_counts(
    counts: &mut Counts,
    expected: &BTreeSet<String>,
    got: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>) {
    let extra: Vec<String> = got.difference(expected).cloned().collect();
    let missed: Vec<String> = expected.difference(got).cloned().collect();
    counts.tp += expected.intersection(got).count() as u32;
    counts.fp += extra.len() as u32;
    counts.fn_ += missed.len() as u32;
    (extra, missed)
}

/// Pairs expected entries with extracted ones by name, in order, and scores the pairs' fields.
fn match_entries<E, G>(
    report: &mut Report,
    entry_field: &'static str,
    expected: &[E],
    got: &[G],
    key_e: impl Fn(&E) -> Option<&str>,
    key_g: impl Fn(&G) -> Option<&str>,
    mut fields: impl FnMut(&mut Report, &E, &G),
) {
    let mut used = vec![false; got.len()];
    for e in expected {
        let Some(key) = key_e(e) else { continue };
        let found = got
            .iter()
            .enumerate()
            .find(|(i, g)| !used[*i] && key_g(g).is_some_and(|k| same_name(key, k)));
        match found {
            Some((i, g)) => {
                used[i] = true;
                report.field(entry_field).tp += 1;
                fields(report, e, g);
            }
            None => report.field(entry_field).fn_ += 1,
        }
    }
    report.field(entry_field).fp += used.iter().filter(|u| !**u).count() as u32;
}

fn labelled_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if name.ends_with(".expected.json") {
                out.push((path.clone(), std::fs::read_to_string(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Evaluates every labelled résumé in `dir`.
pub fn evaluate_resumes(dir: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    let files = labelled_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (label_path, json) in files {
        let expected: ExpectedResume =
            serde_json::from_str(&json).map_err(|e| format!("{}: {e}", label_path.display()))?;
        let path = dir.join(&expected.file);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        report.documents += 1;
        let profile = match extract_text(&bytes, Some(&expected.file), &Limits::default()) {
            Ok(text) => parse_profile(&text.text),
            Err(err) => {
                report
                    .mistakes
                    .push(format!("{}: unreadable: {err}", expected.file));
                Default::default()
            }
        };
        let file = &expected.file;
        let mut note = |field: &str, want: &Option<String>, got: &Option<String>, ok: bool| {
            if !ok {
                report
                    .mistakes
                    .push(format!("{file}: {field}: expected {want:?}, got {got:?}"));
            }
        };
        let name_ok =
            matches!((&expected.name, &profile.name), (Some(e), Some(g)) if same_text(e, g));
        note("name", &expected.name, &profile.name, name_ok);
        let email_ok = matches!((&expected.email, &profile.contact.email), (Some(e), Some(g)) if same_text(e, g));
        note("email", &expected.email, &profile.contact.email, email_ok);
        let phone_ok = matches!((&expected.phone, &profile.contact.phone), (Some(e), Some(g)) if same_phone(e, g));
        note("phone", &expected.phone, &profile.contact.phone, phone_ok);
        report
            .field("name")
            .single(expected.name.as_deref(), profile.name.as_deref(), same_text);
        report.field("email").single(
            expected.email.as_deref(),
            profile.contact.email.as_deref(),
            same_text,
        );
        report.field("phone").single(
            expected.phone.as_deref(),
            profile.contact.phone.as_deref(),
            same_phone,
        );

        let want: BTreeSet<String> = expected.skills.iter().cloned().collect();
        let got: BTreeSet<String> = profile.skills.iter().map(|s| s.name.clone()).collect();
        let (extra, missed) = set_counts(report.field("skills"), &want, &got);
        if !extra.is_empty() || !missed.is_empty() {
            report.mistakes.push(format!(
                "{file}: skills: extra {extra:?}, missed {missed:?}"
            ));
        }

        let before = report.mistakes.len();
        let mut entry_mistakes = Vec::new();
        match_entries(
            &mut report,
            "education",
            &expected.education,
            &profile.education,
            |e| e.school.as_deref(),
            |g| g.school.as_deref(),
            |r, e, g| {
                r.field("education.degree").single(
                    e.degree.as_deref(),
                    g.degree.as_deref(),
                    same_text,
                );
                r.field("education.major").single(
                    e.major.as_deref(),
                    g.major.as_deref(),
                    same_name,
                );
                let degree_ok = e.degree.as_deref().map(norm) == g.degree.as_deref().map(norm);
                let major_ok = match (e.major.as_deref(), g.major.as_deref()) {
                    (Some(a), Some(b)) => same_name(a, b),
                    (a, b) => a == b,
                };
                if !degree_ok || !major_ok {
                    r.mistakes.push(format!(
                        "{file}: education {:?}: degree {:?} / major {:?}, got {:?} / {:?}",
                        e.school, e.degree, e.major, g.degree, g.major
                    ));
                }
                r.field("education.dates").single(
                    e.start.as_deref(),
                    g.start.as_deref(),
                    same_text,
                );
                r.field("education.dates")
                    .single(e.end.as_deref(), g.end.as_deref(), same_text);
            },
        );
        match_entries(
            &mut report,
            "experience",
            &expected.experience,
            &profile.experience,
            |e| e.company.as_deref(),
            |g| g.company.as_deref(),
            |r, e, g| {
                r.field("experience.title").single(
                    e.title.as_deref(),
                    g.title.as_deref(),
                    same_name,
                );
                r.field("experience.dates").single(
                    e.start.as_deref(),
                    g.start.as_deref(),
                    same_text,
                );
                r.field("experience.dates")
                    .single(e.end.as_deref(), g.end.as_deref(), same_text);
            },
        );
        match_entries(
            &mut report,
            "projects",
            &expected.projects,
            &profile.projects,
            |e| Some(e.name.as_str()),
            |g| Some(g.name.as_str()),
            |_, _, _| {},
        );
        if expected.education.len() != profile.education.len() {
            entry_mistakes.push(format!(
                "{file}: education: expected {:?}, got {:?}",
                expected
                    .education
                    .iter()
                    .map(|e| e.school.clone())
                    .collect::<Vec<_>>(),
                profile
                    .education
                    .iter()
                    .map(|e| e.school.clone())
                    .collect::<Vec<_>>()
            ));
        }
        if expected.experience.len() != profile.experience.len() {
            entry_mistakes.push(format!(
                "{file}: experience: expected {:?}, got {:?}",
                expected
                    .experience
                    .iter()
                    .map(|e| e.company.clone())
                    .collect::<Vec<_>>(),
                profile
                    .experience
                    .iter()
                    .map(|e| e.company.clone())
                    .collect::<Vec<_>>()
            ));
        }
        report.mistakes.splice(before..before, entry_mistakes);
    }
    Ok(report)
}

/// Evaluates every labelled job description in `dir`.
pub fn evaluate_jobs(dir: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    let files = labelled_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (label_path, json) in files {
        let expected: ExpectedJob =
            serde_json::from_str(&json).map_err(|e| format!("{}: {e}", label_path.display()))?;
        let path = dir.join(&expected.file);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        report.documents += 1;
        let job = match extract_text(&bytes, Some(&expected.file), &Limits::default()) {
            Ok(text) => parse_job(&text.text),
            Err(err) => {
                report
                    .mistakes
                    .push(format!("{}: unreadable: {err}", expected.file));
                continue;
            }
        };
        let file = &expected.file;
        report
            .field("title")
            .single(expected.title.as_deref(), job.title.as_deref(), same_name);
        let seniority = serde_json::to_value(job.seniority)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        report.field("seniority").single(
            Some(&expected.seniority),
            seniority.as_deref(),
            same_text,
        );
        if seniority.as_deref() != Some(expected.seniority.as_str()) {
            report.mistakes.push(format!(
                "{file}: seniority: expected {}, got {seniority:?}",
                expected.seniority
            ));
        }
        for (field, want, got) in [
            (
                "required_skills",
                &expected.required_skills,
                &job.required_skills,
            ),
            ("nice_to_have", &expected.nice_to_have, &job.nice_to_have),
        ] {
            let want: BTreeSet<String> = want.iter().cloned().collect();
            let got: BTreeSet<String> = got.iter().map(|s| s.name.clone()).collect();
            let (extra, missed) = set_counts(report.field(field), &want, &got);
            if !extra.is_empty() || !missed.is_empty() {
                report.mistakes.push(format!(
                    "{file}: {field}: extra {extra:?}, missed {missed:?}"
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_score_like_the_textbook() {
        let c = Counts {
            tp: 8,
            fp: 2,
            fn_: 2,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.f1() - 0.8).abs() < 1e-9);
        let mut single = Counts::default();
        single.single(Some("a"), Some("b"), same_text);
        single.single(Some("a"), Some("A"), same_text);
        single.single(None, Some("x"), same_text);
        assert_eq!(
            single,
            Counts {
                tp: 1,
                fp: 2,
                fn_: 1
            }
        );
        assert!(same_phone("+86 139 1234 5678", "+8613912345678"));
        assert!(same_name(
            "杭州云帆科技有限公司",
            "杭州云帆科技有限公司 杭州"
        ));
    }
}
