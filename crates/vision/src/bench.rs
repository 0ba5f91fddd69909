//! The camera benchmark behind `mianshi bench vision`: each model alone (ours, and the
//! reference TFLite runtime on the same input when a Python with ai-edge-litert is given),
//! then whole frames of a real video — tracked frames (the steady state: FaceMesh, both
//! irises, pose landmarks, expression) and frames where both detectors run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use crate::analyzer::{AnalyzeOptions, Timings, Tracker, Vision, VisionPaths};
use crate::tflite::Model;
use crate::video::VideoFrames;
use crate::VisionError;

/// Per-model runs and frames to time.
pub struct BenchOptions {
    pub runs: usize,
    pub video: PathBuf,
    pub frames: usize,
    pub peer_python: Option<PathBuf>,
}

fn model_files(paths: &VisionPaths) -> Vec<(&'static str, PathBuf, Vec<&'static str>)> {
    let pose_outputs = vec!["Identity", "Identity_1", "Identity_4"];
    vec![
        ("face detector", paths.face_detector.clone(), vec![]),
        ("face mesh", paths.face_mesh.clone(), vec![]),
        ("iris (per eye)", paths.iris.clone(), vec![]),
        ("pose detector", paths.pose_detector.clone(), vec![]),
        (
            "pose landmarks lite",
            paths.pose_landmarks.clone(),
            pose_outputs.clone(),
        ),
        (
            "pose landmarks full",
            paths
                .pose_landmarks
                .with_file_name("pose_landmark_full.tflite"),
            pose_outputs,
        ),
        ("expression", paths.expression.clone(), vec![]),
    ]
}

fn time_model(path: &Path, outputs: &[&str], runs: usize) -> Result<f64, VisionError> {
    let load = |source| VisionError::Model {
        path: path.display().to_string(),
        source,
    };
    let model = Arc::new(Model::load(path).map_err(load)?);
    let names = if outputs.is_empty() {
        model.output_names()
    } else {
        outputs.to_vec()
    };
    let runner = model.runner(&names).map_err(load)?;
    let n: usize = runner.input_shape().iter().product();
    let input: Vec<f32> = (0..n).map(|i| (i as f32 * 0.013).sin()).collect();
    runner.run(&input)?;
    let start = Instant::now();
    for _ in 0..runs {
        runner.run(&input)?;
    }
    Ok(start.elapsed().as_secs_f64() * 1000.0 / runs as f64)
}

fn peer_times(
    python: &Path,
    files: &[PathBuf],
    runs: usize,
) -> Result<HashMap<String, f64>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_vision_peer.py");
    let out = Command::new(python)
        .arg(script)
        .arg(runs.to_string())
        .args(files)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.lines().last().unwrap_or("{}")).map_err(|e| e.to_string())
}

fn timing_rows(t: &Timings, frames: usize) -> Vec<(&'static str, f64)> {
    let n = frames.max(1) as f64;
    vec![
        ("face detector", t.face_detector / n),
        ("face mesh", t.face_mesh / n),
        ("iris (both eyes)", t.iris / n),
        ("pose detector", t.pose_detector / n),
        ("pose landmarks", t.pose_landmarks / n),
        ("expression", t.expression / n),
    ]
}

/// Runs the benchmark and returns the tables as text.
pub fn run(model_root: &Path, options: &BenchOptions) -> Result<String, VisionError> {
    let paths = VisionPaths::in_cache(model_root);
    let mut out = String::new();
    let models = model_files(&paths);
    let peer = match &options.peer_python {
        Some(python) => {
            let files: Vec<PathBuf> = models.iter().map(|(_, p, _)| p.clone()).collect();
            match peer_times(python, &files, options.runs) {
                Ok(t) => Some(t),
                Err(e) => {
                    out.push_str(&format!("(reference runtime not timed: {e})\n"));
                    None
                }
            }
        }
        None => None,
    };
    out.push_str(&format!(
        "Each model alone, one thread, mean of {} runs (ms)\n",
        options.runs
    ));
    out.push_str("model                  ours     TFLite+XNNPACK  ours/TFLite\n");
    for (label, path, outputs) in &models {
        let ours = time_model(path, outputs, options.runs)?;
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        match peer.as_ref().and_then(|p| p.get(file)) {
            Some(theirs) => out.push_str(&format!(
                "{label:<20} {ours:>7.2}  {theirs:>14.2}  {:>10.2}\n",
                ours / theirs
            )),
            None => out.push_str(&format!(
                "{label:<20} {ours:>7.2}  {:>14}  {:>10}\n",
                "—", "—"
            )),
        }
    }

    let vision = Vision::load(&paths)?;
    let options_all = AnalyzeOptions::default();
    let frames: Vec<_> = VideoFrames::open(&options.video, 5.0)?
        .take(options.frames)
        .collect::<Result<_, _>>()?;
    if frames.is_empty() {
        return Err(VisionError::Video(
            "the benchmark video has no frames".into(),
        ));
    }
    let (mut tracked, mut detected) = (Timings::default(), Timings::default());
    let mut tracker = Tracker::new();
    // The first frame detects; the rest track.
    tracker.analyze(&vision, &frames[0].1, 0.0, &options_all)?;
    let start = Instant::now();
    for (t, frame) in &frames {
        tracker.analyze_timed(&vision, frame, *t, &options_all, &mut tracked)?;
    }
    let tracked_wall = start.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64;
    let start = Instant::now();
    for (t, frame) in &frames {
        let mut fresh = Tracker::new();
        fresh.analyze_timed(&vision, frame, *t, &options_all, &mut detected)?;
    }
    let detected_wall = start.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64;
    let (w, h) = (frames[0].1.width(), frames[0].1.height());
    out.push_str(&format!(
        "\nWhole frames of {} ({}×{}, {} frames), one thread (ms per frame)\n",
        options
            .video
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("video"),
        w,
        h,
        frames.len()
    ));
    out.push_str("stage                tracked  detecting\n");
    for ((label, a), (_, b)) in timing_rows(&tracked, frames.len())
        .into_iter()
        .zip(timing_rows(&detected, frames.len()))
    {
        out.push_str(&format!("{label:<20} {a:>7.2}  {b:>9.2}\n"));
    }
    out.push_str(&format!(
        "{:<20} {tracked_wall:>7.2}  {detected_wall:>9.2}\n{:<20} {:>7.1}  {:>9.1}\n",
        "total (with crops)",
        "frames per second",
        1000.0 / tracked_wall,
        1000.0 / detected_wall
    ));
    out.push_str("budget: 25 ms per tracked frame on one core\n");
    Ok(out)
}
