//! `mianshi practice` driven through stdin, as a person types: a Chinese PDF résumé and an
//! English DOCX résumé, six questions each, scores with evidence, and a summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../resume/tests/data")
        .join(path)
}

fn practice(resume: &Path, lang: &str, answers: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["practice", "--questions", "6", "--lang", lang, "--resume"])
        .arg(resume)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for answer in answers {
            writeln!(stdin, "{answer}\n.").unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_chinese_practice_interview() {
    let answers = [
        "首先我会说明原理，其次讲我的做法。当时我负责订单服务，因为要兼顾性能和成本，我设计了缓存方案，最终把延迟从 200ms 降到 40ms。",
        "这个我们也做过，效果还行。",
        "不太清楚。",
        "当时我们项目上线前出了问题，我的任务是保证按期交付，我主动拆分了需求并每天同步进度，结果提前两天上线，故障率下降了 60%。",
        "我平时喜欢打篮球。",
        "首先要看瓶颈在哪里，我用压测定位了问题，然后把 QPS 从 2000 提升到 12000。",
    ];
    let out = practice(&data("resumes/zh_backend_java_lina.pdf"), "zh", &answers);
    assert!(out.contains("候选人：李娜"), "{out}");
    assert!(out.contains("[1/6]"));
    assert!(out.matches("得分 ").count() >= 5, "{out}");
    assert!(out.contains("「"), "evidence is quoted: {out}");
    assert!(out.contains("=== 面试总结 ==="));
    assert!(out.contains("内容总分"));
    // Personalised: the first question names the résumé.
    let first = out.lines().find(|l| l.starts_with("[1/6]")).unwrap();
    assert!(
        first.contains("简历") || first.contains("项目") || first.contains("岗位"),
        "{first}"
    );
}

#[test]
fn an_english_practice_interview_ends_early_on_ctrl_d() {
    let answers = [
        "First I would explain the idea, then my own work. I led the migration because we needed lower latency; p95 went from 300 ms to 90 ms.",
        "We used it and it was fine.",
    ];
    let out = practice(&data("resumes/en_frontend_garcia.docx"), "en", &answers);
    assert!(out.contains("Candidate: Maria Garcia"), "{out}");
    assert_eq!(out.matches("Score ").count(), 2, "{out}");
    assert!(out.contains("=== Summary ==="));
    assert!(out.contains("Content score"));
}
