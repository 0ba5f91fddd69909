//! Per-window aggregates of frame features — what the review expert and nudges read.
//!
//! Definitions (all over the frames of the window, in time order):
//! - `face_visible_pct`: % of frames with a tracked face.
//! - `at_camera_pct`: % of face frames whose gaze is inside the calibrated camera cone.
//! - `longest_look_away_s`: longest run of consecutive frames that are not "at camera"
//!   (including frames without a face), from the first such frame to the next frame at camera.
//! - `blinks_per_min`: closings of the eyes (eye aspect ratio below 60 % of the window's
//!   median, after being above it) per minute. Blinks last 100–300 ms, so at the default 5 fps
//!   many are missed; sample at ≥ 10 fps where blink rate matters.
//! - `head_motion_deg_per_s`: mean absolute change of yaw + pitch + roll between consecutive
//!   face frames, per second.
//! - `fidget_per_s`: mean displacement of the visible upper-body keypoints (shoulders,
//!   elbows, wrists) between consecutive pose frames, in shoulder widths per second.
//! - `expression_mean`: mean class probabilities (absent in screening mode); `smile_pct`: %
//!   of expression frames with P(happy) > 0.5.
//! - `multiple_faces_pct`: % of frames where the detector saw more than one face.
//! - `brightness_mean` (0–1) and `sharpness_mean` (Laplacian variance, see `Quality`).

use serde::{Deserialize, Serialize};

use crate::analyzer::FrameFeatures;
use crate::expression::LABELS;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub start: f64,
    pub end: f64,
    pub frames: usize,
    pub face_visible_pct: f32,
    pub at_camera_pct: Option<f32>,
    pub longest_look_away_s: f64,
    pub blinks_per_min: Option<f32>,
    pub head_motion_deg_per_s: Option<f32>,
    pub fidget_per_s: Option<f32>,
    pub mean_head_yaw: Option<f32>,
    pub mean_head_pitch: Option<f32>,
    pub mean_shoulder_tilt: Option<f32>,
    pub mean_torso_lean: Option<f32>,
    /// Label → mean probability.
    pub expression_mean: Option<Vec<(String, f32)>>,
    pub smile_pct: Option<f32>,
    pub multiple_faces_pct: f32,
    pub brightness_mean: f32,
    pub sharpness_mean: f32,
}

fn mean(values: impl Iterator<Item = f32>) -> Option<f32> {
    let (sum, n) = values.fold((0.0f64, 0usize), |(s, n), v| (s + v as f64, n + 1));
    (n > 0).then(|| (sum / n as f64) as f32)
}

fn pct(count: usize, total: usize) -> f32 {
    if total == 0 {
        0.0
    } else {
        100.0 * count as f32 / total as f32
    }
}

/// Aggregates one window of frames (in time order).
pub fn aggregate(frames: &[FrameFeatures]) -> Aggregate {
    let Some(first) = frames.first() else {
        return Aggregate::default();
    };
    let last = frames.last().unwrap_or(first);
    // The last frame stands for one sampling interval.
    let step = if frames.len() > 1 {
        (last.t - first.t) / (frames.len() - 1) as f64
    } else {
        0.0
    };
    let duration = (last.t - first.t + step).max(1e-9);
    let faces: Vec<_> = frames
        .iter()
        .filter_map(|f| f.face.as_ref().map(|x| (f.t, x)))
        .collect();

    let mut longest = 0.0f64;
    let mut away_since: Option<f64> = None;
    for f in frames {
        let at_camera = f.face.as_ref().is_some_and(|x| x.gaze.at_camera);
        match (at_camera, away_since) {
            (false, None) => away_since = Some(f.t),
            (true, Some(since)) => {
                longest = longest.max(f.t - since);
                away_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = away_since {
        longest = longest.max(last.t + step - since);
    }

    let blinks = if faces.len() >= 5 {
        let mut openness: Vec<f32> = faces.iter().map(|(_, x)| x.eye_openness).collect();
        openness.sort_by(f32::total_cmp);
        let threshold = 0.6 * openness[openness.len() / 2];
        let mut count = 0;
        let mut open = true;
        for (_, x) in &faces {
            if open && x.eye_openness < threshold {
                count += 1;
                open = false;
            } else if x.eye_openness >= threshold {
                open = true;
            }
        }
        Some(count as f32 / (duration as f32 / 60.0))
    } else {
        None
    };

    let head_motion = mean(faces.windows(2).filter_map(|w| {
        let dt = (w[1].0 - w[0].0) as f32;
        let (a, b) = (&w[0].1.head_pose, &w[1].1.head_pose);
        (dt > 0.0).then(|| {
            ((b.yaw - a.yaw).abs() + (b.pitch - a.pitch).abs() + (b.roll - a.roll).abs()) / dt
        })
    }));

    let poses: Vec<_> = frames
        .iter()
        .filter_map(|f| f.pose.as_ref().map(|p| (f, p)))
        .collect();
    let fidget = mean(poses.windows(2).filter_map(|w| {
        let (fa, a) = w[0];
        let (fb, b) = w[1];
        let dt = (fb.t - fa.t) as f32;
        let aspect = fa.height as f32 / fa.width.max(1) as f32;
        let shoulders = (a.keypoints[11].x - a.keypoints[12].x)
            .hypot((a.keypoints[11].y - a.keypoints[12].y) * aspect);
        if dt <= 0.0 || shoulders < 1e-3 {
            return None;
        }
        let moved = mean([11usize, 12, 13, 14, 15, 16].iter().filter_map(|&k| {
            let (p, q) = (&a.keypoints[k], &b.keypoints[k]);
            (p.visibility > 0.5 && q.visibility > 0.5)
                .then(|| (q.x - p.x).hypot((q.y - p.y) * aspect))
        }))?;
        Some(moved / shoulders / dt)
    }));

    let expressions: Vec<_> = faces
        .iter()
        .filter_map(|(_, x)| x.expression.as_ref())
        .collect();
    let expression_mean = (!expressions.is_empty()).then(|| {
        LABELS
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    l.to_string(),
                    mean(expressions.iter().map(|e| e.probs[i])).unwrap_or(0.0),
                )
            })
            .collect()
    });
    let smile_pct = (!expressions.is_empty()).then(|| {
        pct(
            expressions.iter().filter(|e| e.prob("happy") > 0.5).count(),
            expressions.len(),
        )
    });

    Aggregate {
        start: first.t,
        end: last.t + step,
        frames: frames.len(),
        face_visible_pct: pct(faces.len(), frames.len()),
        at_camera_pct: (!faces.is_empty()).then(|| {
            pct(
                faces.iter().filter(|(_, x)| x.gaze.at_camera).count(),
                faces.len(),
            )
        }),
        longest_look_away_s: longest,
        blinks_per_min: blinks,
        head_motion_deg_per_s: head_motion,
        fidget_per_s: fidget,
        mean_head_yaw: mean(faces.iter().map(|(_, x)| x.head_pose.yaw)),
        mean_head_pitch: mean(faces.iter().map(|(_, x)| x.head_pose.pitch)),
        mean_shoulder_tilt: mean(poses.iter().map(|(_, p)| p.shoulder_tilt)),
        mean_torso_lean: mean(poses.iter().map(|(_, p)| p.torso_lean)),
        expression_mean,
        smile_pct,
        multiple_faces_pct: pct(
            frames.iter().filter(|f| f.faces_in_view > 1).count(),
            frames.len(),
        ),
        brightness_mean: mean(frames.iter().map(|f| f.quality.brightness)).unwrap_or(0.0),
        sharpness_mean: mean(frames.iter().map(|f| f.quality.sharpness)).unwrap_or(0.0),
    }
}

/// Consecutive windows of `seconds` each (the last may be shorter).
pub fn windows(frames: &[FrameFeatures], seconds: f64) -> Vec<Aggregate> {
    let Some(first) = frames.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=frames.len() {
        let boundary = i == frames.len()
            || ((frames[i].t - first.t) / seconds).floor()
                > ((frames[start].t - first.t) / seconds).floor();
        if boundary {
            out.push(aggregate(&frames[start..i]));
            start = i;
        }
    }
    out
}
