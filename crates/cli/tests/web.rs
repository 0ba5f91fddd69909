//! The web app in headless Chromium (driven by playwright-core with Debian's Chromium): a
//! whole text interview from the start form to the report, keyboard included, no console
//! errors. `scripts/test.sh` installs the node package (`npm ci` in web/).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn a_whole_interview_in_the_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(
        root.join("web/node_modules/playwright-core").is_dir(),
        "run `npm ci` in web/ first (scripts/test.sh does it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--port", "0", "--fetch-models", "false"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .arg("--model-dir")
        .arg(dir.path().join("models"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(server.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let base = line
        .strip_prefix("mianshi listening on ")
        .unwrap()
        .to_owned();
    let shots = dir.path().join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    for language in ["en", "zh"] {
        let output = Command::new("node")
            .arg(root.join("web/tests/flow.mjs"))
            .arg(&base)
            .arg(&shots)
            .arg(language)
            .current_dir(root.join("web"))
            .output()
            .expect("node is installed");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{language} browser flow failed:\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("web flow ok"), "{stdout}");
        for shot in ["1-start", "2-question", "3-scored", "4-report"] {
            let file = shots.join(format!("{language}-{shot}.png"));
            assert!(file.is_file(), "{} missing", file.display());
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}
