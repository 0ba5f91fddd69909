//! `mianshi resume` and `mianshi eval resume` as a user runs them: real files from the labelled
//! set, every hostile input answered with its code, quickly and in bounded memory.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../resume/tests/data")
        .join(path)
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss_mib: f64,
}

/// Runs `mianshi ARGS` and measures its wall time and peak resident memory (from `wait4`).
// The child is reaped by `wait4` (which also gives its resource usage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn mianshi(args: &[&std::ffi::OsStr]) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mianshi");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout_pipe.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own child's, not yet reaped; both pointers are valid.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let elapsed = started.elapsed();
    Run {
        success: std::process::ExitStatus::from_raw(status).success(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed,
        // Linux reports ru_maxrss in KiB.
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn every_bad_input_gets_its_code_fast_and_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.pdf");
    // Sparse: the test process itself stays small, so the child's peak RSS is its own.
    std::fs::write(&huge, b"%PDF-1.4\n").unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (data("bad/encrypted_user_password.pdf"), "resume_encrypted"),
        (data("bad/scanned.pdf"), "resume_scanned_pdf"),
        (data("bad/corrupt.pdf"), "resume_unreadable"),
        (data("bad/garbage.pdf"), "resume_unsupported_format"),
        (data("bad/empty.pdf"), "resume_empty"),
        (data("bad/png_named.pdf"), "resume_unsupported_format"),
        (data("bad/no_document.docx"), "resume_unsupported_format"),
        (data("bad/bomb.docx"), "resume_too_large"),
        (huge, "resume_too_large"),
    ];
    println!(
        "{:<34} {:<28} {:>8} {:>9}",
        "input", "code", "ms", "peak MiB"
    );
    for (path, code) in cases {
        let run = mianshi(&[os("resume"), path.as_os_str(), os("--json")]);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        println!(
            "{name:<34} {code:<28} {:>8.1} {:>9.1}",
            run.elapsed.as_secs_f64() * 1000.0,
            run.max_rss_mib
        );
        assert!(!run.success, "{name} was accepted");
        assert!(
            run.stderr.contains(&format!("[{code}]")),
            "{name}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        assert!(
            run.elapsed < Duration::from_secs(2),
            "{name} took {:?}",
            run.elapsed
        );
        assert!(
            run.max_rss_mib < 200.0,
            "{name} peaked at {:.0} MiB",
            run.max_rss_mib
        );
    }
}

#[test]
fn content_decides_the_format_and_owner_only_encryption_is_read() {
    let text = mianshi(&[
        os("resume"),
        data("bad/text_named.docx").as_os_str(),
        os("--json"),
    ]);
    assert!(text.success, "{}", text.stderr);
    let owner_only = mianshi(&[
        os("resume"),
        data("bad/encrypted_owner_only.pdf").as_os_str(),
        os("--json"),
    ]);
    assert!(owner_only.success, "{}", owner_only.stderr);
    let json: Value = serde_json::from_str(&owner_only.stdout).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(data("bad/encrypted_owner_only.expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["profile"]["name"], expected["name"]);
    assert_eq!(json["profile"]["contact"]["email"], expected["email"]);
}

fn skill_names(json: &Value) -> Vec<String> {
    json["profile"]["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_chinese_pdf_and_an_english_docx_come_out_right() {
    for (file, jd) in [
        (
            "resumes/zh_backend_java_lina.pdf",
            "jd/zh_senior_java_backend.txt",
        ),
        (
            "resumes/en_frontend_garcia.docx",
            "jd/en_frontend_react.txt",
        ),
    ] {
        let run = mianshi(&[
            os("resume"),
            data(file).as_os_str(),
            os("--jd"),
            data(jd).as_os_str(),
            os("--json"),
        ]);
        assert!(run.success, "{file}: {}", run.stderr);
        let json: Value = serde_json::from_str(&run.stdout).unwrap();
        let label_path = data(file).with_extension("expected.json");
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(label_path).unwrap()).unwrap();
        let profile = &json["profile"];
        assert_eq!(profile["name"], expected["name"], "{file}");
        assert_eq!(profile["contact"]["email"], expected["email"], "{file}");
        assert_eq!(profile["contact"]["phone"], expected["phone"], "{file}");
        assert_eq!(
            profile["education"][0]["school"], expected["education"][0]["school"],
            "{file}"
        );
        assert_eq!(
            profile["experience"][0]["company"], expected["experience"][0]["company"],
            "{file}"
        );
        let skills = skill_names(&json);
        for skill in expected["skills"].as_array().unwrap().iter().take(5) {
            assert!(
                skills.contains(&skill.as_str().unwrap().to_owned()),
                "{file}: {skill} missing from {skills:?}"
            );
        }
        // Every skill carries the text it was read from.
        for skill in profile["skills"].as_array().unwrap() {
            let span = &skill["evidence_span"];
            let (start, end) = (
                span["start"].as_u64().unwrap() as usize,
                span["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                &profile["text"].as_str().unwrap()[start..end],
                span["text"].as_str().unwrap()
            );
        }
        assert!(
            json["match"]["required_coverage"].as_f64().unwrap() > 0.5,
            "{file}"
        );
        let summary = mianshi(&[os("resume"), data(file).as_os_str()]);
        assert!(summary.stdout.contains(expected["name"].as_str().unwrap()));
        assert!(summary.stdout.contains("Skills ("));
    }
}

#[test]
fn eval_resume_prints_the_f1_table() {
    let run = mianshi(&[os("eval"), os("resume"), data("").as_os_str()]);
    assert!(run.success, "{}", run.stderr);
    println!("{}", run.stdout);
    assert!(run.stdout.contains("résumés (16 documents)") || run.stdout.contains("résumés ("));
    for field in ["name", "email", "phone", "skills", "required_skills"] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(field)),
            "{field} row missing"
        );
    }
}
