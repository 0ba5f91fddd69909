//! The web app in headless Chromium (driven by playwright-core with Debian's Chromium): a
//! whole text interview from the start form to the report, keyboard included, and a whole
//! spoken interview with camera (Chromium's fake devices playing real recordings), no console
//! errors. `scripts/test.sh` installs the node package (`npm ci` in web/). Screenshots of
//! every step are kept in `target/screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn root() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(
        root.join("web/node_modules/playwright-core").is_dir(),
        "run `npm ci` in web/ first (scripts/test.sh does it)"
    );
    root
}

/// Where the screenshots stay after the test (CI artifacts).
fn screenshots() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mianshi serve` on a free port with these extra arguments; its base URL.
fn serve(dir: &Path, extra: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_mianshi"))
        .args(["serve", "--port", "0", "--fetch-models", "false"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .args(extra)
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
    (server, base)
}

/// Runs a browser script of web/tests with these arguments; its output, or a failure with
/// everything it printed.
fn run_flow(root: &Path, script: &str, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new("node")
        .arg(root.join("web/tests").join(script))
        .args(args)
        .current_dir(root.join("web"))
        .output()
        .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn a_whole_interview_in_the_browser() {
    let root = root();
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let (mut server, base) = serve(dir.path(), &["--model-dir".as_ref(), models.as_os_str()]);
    let shots = screenshots();
    for language in ["en", "zh"] {
        let stdout = run_flow(
            &root,
            "flow.mjs",
            &[base.as_ref(), shots.as_os_str(), language.as_ref()],
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

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

/// 16-bit mono WAV, as Chromium's fake microphone reads it.
fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
        .collect();
    let mut wav = Vec::with_capacity(44 + data.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
}

/// The language's recorded clips one after another with short pauses, then a longer one:
/// Chromium loops the file, so every answer hears speech.
fn spoken_answer(clips: &Path, language: &str, out: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(clips)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "wav")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{language}_")))
        })
        .collect();
    names.sort();
    let mut samples = vec![0.0f32; 8_000];
    for name in names {
        let audio = mianshi_speech::decode(&std::fs::read(name).unwrap(), 60).unwrap();
        samples.extend(audio.to_16k());
        samples.extend(std::iter::repeat_n(0.0, 8_000));
    }
    samples.extend(std::iter::repeat_n(0.0, 16_000));
    write_wav(out, &samples, 16_000);
}

#[test]
fn a_spoken_interview_with_camera_in_the_browser() {
    let root = root();
    for name in mianshi_models::LIVE_MODELS {
        fetched(name);
    }
    let clips = fetched("speech-test-clips");
    let dir = tempfile::tempdir().unwrap();
    // The camera: the demo clip's talking head (he looks away for 6.5 s at 12 s), as Y4M.
    let clip =
        mianshi_server::replay::demo_clip(&fetched("vision-test-webcam"), &clips, dir.path())
            .unwrap();
    let y4m = dir.path().join("camera.y4m");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&clip)
        .args(["-an", "-r", "10", "-pix_fmt", "yuv420p"])
        .arg(&y4m)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success());
    // No review checkpoint: the report's delivery is the rule engine's, and says so.
    let no_model = dir.path().join("no-review-model");
    let (mut server, base) = serve(
        dir.path(),
        &[
            "--model-dir".as_ref(),
            mianshi_models::user_model_dir().as_os_str(),
            "--review-model".as_ref(),
            no_model.as_os_str(),
        ],
    );
    let shots = screenshots();
    for language in ["en", "zh"] {
        let wav = dir.path().join(format!("answer-{language}.wav"));
        spoken_answer(&clips, language, &wav);
        let stdout = run_flow(
            &root,
            "voice.mjs",
            &[
                base.as_ref(),
                shots.as_os_str(),
                language.as_ref(),
                wav.as_os_str(),
                y4m.as_os_str(),
            ],
        );
        assert!(stdout.contains("voice flow ok"), "{stdout}");
        for shot in [
            "1-start",
            "2-consent",
            "3-devices",
            "4-answering",
            "6-report",
        ] {
            let file = shots.join(format!("voice-{language}-{shot}.png"));
            assert!(file.is_file(), "{} missing", file.display());
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}
