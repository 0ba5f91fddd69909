//! Whole files: a photo or a video analysed frame by frame into a timeline plus aggregates,
//! optionally with an overlay image or video a person can check.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::{self, Aggregate};
use crate::analyzer::{AnalyzeOptions, FrameFeatures, Timings, Tracker, Vision};
use crate::video::{VideoFrames, VideoWriter};
use crate::{overlay, VisionError};

#[derive(Clone, Debug)]
pub struct FileOptions {
    /// Frames per second sampled from videos.
    pub fps: f64,
    pub analyze: AnalyzeOptions,
    /// Where to write the overlay: `.png`/`.jpg` for a photo (or a video's first analysed
    /// frame), a video extension for a video.
    pub overlay: Option<PathBuf>,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            fps: 5.0,
            analyze: AnalyzeOptions::default(),
            overlay: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileAnalysis {
    pub fps: f64,
    pub timeline: Vec<FrameFeatures>,
    /// One aggregate per second.
    pub seconds: Vec<Aggregate>,
    pub overall: Aggregate,
    /// Mean milliseconds per analysed frame, per model.
    #[serde(skip)]
    pub timings: Timings,
}

fn is_image(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("jpg" | "jpeg" | "png")
    )
}

/// Analyses a photo or a video file.
pub fn analyze_file(
    vision: &Vision,
    path: &Path,
    options: &FileOptions,
) -> Result<FileAnalysis, VisionError> {
    let mut tracker = Tracker::new();
    let mut timings = Timings::default();
    let mut timeline = Vec::new();
    let overlay_is_image = options.overlay.as_deref().is_some_and(is_image);
    if is_image(path) {
        let frame = image::open(path)
            .map_err(|e| VisionError::Image(e.to_string()))?
            .to_rgb8();
        let mut analyze = options.analyze.clone();
        analyze.keep_landmarks |= options.overlay.is_some();
        let features = tracker.analyze_timed(vision, &frame, 0.0, &analyze, &mut timings)?;
        if let Some(out) = &options.overlay {
            save_image(&overlay::draw(&frame, &features), out)?;
        }
        timeline.push(features);
    } else {
        let mut writer = match &options.overlay {
            Some(out) if !overlay_is_image => Some(VideoWriter::create(out, options.fps)?),
            _ => None,
        };
        let mut analyze = options.analyze.clone();
        let drawing = options.overlay.is_some();
        for item in VideoFrames::open(path, options.fps)? {
            let (t, frame) = item?;
            analyze.keep_landmarks = drawing;
            let mut features = tracker.analyze_timed(vision, &frame, t, &analyze, &mut timings)?;
            if let Some(w) = writer.as_mut() {
                w.write(&overlay::draw(&frame, &features))?;
            } else if let (Some(out), true) = (&options.overlay, timeline.is_empty()) {
                save_image(&overlay::draw(&frame, &features), out)?;
            }
            if !options.analyze.keep_landmarks {
                if let Some(face) = features.face.as_mut() {
                    face.landmarks.clear();
                }
            }
            timeline.push(features);
        }
        if let Some(w) = writer {
            w.finish()?;
        }
        if timeline.is_empty() {
            return Err(VisionError::Video("the file has no video frames".into()));
        }
    }
    let n = timeline.len() as f64;
    for t in [
        &mut timings.face_detector,
        &mut timings.face_mesh,
        &mut timings.iris,
        &mut timings.pose_detector,
        &mut timings.pose_landmarks,
        &mut timings.expression,
    ] {
        *t /= n;
    }
    Ok(FileAnalysis::from_timeline(options.fps, timeline, timings))
}

fn save_image(image: &image::RgbImage, path: &Path) -> Result<(), VisionError> {
    image
        .save(path)
        .map_err(|e| VisionError::Image(format!("cannot write {}: {e}", path.display())))
}

fn opt(v: Option<f32>, unit: &str) -> String {
    v.map(|v| format!("{v:.1}{unit}"))
        .unwrap_or_else(|| "—".into())
}

impl FileAnalysis {
    /// Per-second and whole aggregates of an analysed timeline (in time order).
    pub fn from_timeline(fps: f64, timeline: Vec<FrameFeatures>, timings: Timings) -> Self {
        Self {
            fps,
            seconds: aggregate::windows(&timeline, 1.0),
            overall: aggregate::aggregate(&timeline),
            timeline,
            timings,
        }
    }

    /// A readable timeline (one line per second) and the whole-file aggregates.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "   t   face  camera  head yaw/pitch  gaze yaw/pitch  expression     posture\n",
        );
        for (second, window) in self.seconds.iter().enumerate() {
            // The middle frame of the second stands for it.
            let frames: Vec<&FrameFeatures> = self
                .timeline
                .iter()
                .filter(|f| f.t >= window.start && f.t < window.end)
                .collect();
            let Some(f) = frames.get(frames.len() / 2) else {
                continue;
            };
            let face = match &f.face {
                Some(face) => format!(
                    "yes   {:>5.0}%  {:>14} {:>14} {:<14}",
                    window.at_camera_pct.unwrap_or(0.0),
                    format!("{:.0}°/{:.0}°", face.head_pose.yaw, face.head_pose.pitch),
                    format!("{:.0}°/{:.0}°", face.gaze.yaw, face.gaze.pitch),
                    face.expression
                        .as_ref()
                        .map(|e| format!("{} {:.0}%", e.top, 100.0 * e.prob(&e.top)))
                        .unwrap_or_else(|| "—".into()),
                ),
                None => format!("no    {:>5}  {:>14} {:>14} {:<14}", "—", "—", "—", "—"),
            };
            let posture = match &f.pose {
                Some(p) => format!(
                    "shoulders {:+.0}°, lean {:+.0}°{}",
                    p.shoulder_tilt,
                    p.torso_lean,
                    if p.hands_visible { ", hands" } else { "" }
                ),
                None => "—".into(),
            };
            out.push_str(&format!("{:>4}s  {face} {posture}\n", second));
        }
        let o = &self.overall;
        out.push_str(&format!(
            "\n{} frames over {:.1} s at {} fps\n",
            o.frames,
            o.end - o.start,
            self.fps
        ));
        out.push_str(&format!("face visible        {:.0}%\n", o.face_visible_pct));
        out.push_str(&format!(
            "looking at camera   {}\n",
            opt(o.at_camera_pct, "%")
        ));
        out.push_str(&format!(
            "longest look-away   {:.1} s\n",
            o.longest_look_away_s
        ));
        out.push_str(&format!(
            "blinks              {} per min\n",
            opt(o.blinks_per_min, "")
        ));
        out.push_str(&format!(
            "head movement       {} °/s\n",
            opt(o.head_motion_deg_per_s, "")
        ));
        out.push_str(&format!(
            "fidgeting           {} shoulder widths/s\n",
            opt(o.fidget_per_s, "")
        ));
        out.push_str(&format!(
            "mean head yaw/pitch {} / {}\n",
            opt(o.mean_head_yaw, "°"),
            opt(o.mean_head_pitch, "°")
        ));
        out.push_str(&format!(
            "shoulder tilt, lean {} / {}\n",
            opt(o.mean_shoulder_tilt, "°"),
            opt(o.mean_torso_lean, "°")
        ));
        match &o.expression_mean {
            Some(probs) => {
                let mut sorted = probs.clone();
                sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
                let list: Vec<String> = sorted
                    .iter()
                    .map(|(l, p)| format!("{l} {:.0}%", 100.0 * p))
                    .collect();
                out.push_str(&format!("expressions         {}\n", list.join(", ")));
                out.push_str(&format!("smiling             {}\n", opt(o.smile_pct, "%")));
            }
            None => out.push_str("expressions         not analysed (screening mode or no face)\n"),
        }
        out.push_str(&format!(
            "more than one face  {:.0}% of frames\n",
            o.multiple_faces_pct
        ));
        out.push_str(&format!(
            "light, sharpness    {:.2}, {:.0}\n",
            o.brightness_mean, o.sharpness_mean
        ));
        out
    }
}
