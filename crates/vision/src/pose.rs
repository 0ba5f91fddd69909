//! Body pose: the BlazePose detector and the BlazePose landmark model (33 keypoints + 6
//! auxiliary points for tracking), following MediaPipe's pose_detection and
//! pose_landmark_by_roi graphs: the detector sees the letterboxed frame at 224×224 in
//! [-1, 1]; its first two keypoints (hip centre, a point on the body's enclosing circle) give a
//! region turned upright (90°), twice their distance wide, ×1.25; the landmark model sees that
//! region at 256×256 in [0, 1]. Later frames take the region from the auxiliary landmarks.

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::detect::SsdDetector;
use crate::geometry::{Border, Roi};
use crate::tflite::{Model, Runner, TfliteError};

const DETECTOR_SIZE: usize = 224;
const LANDMARK_SIZE: usize = 256;
/// Below this the landmark model says no person is in the region.
pub const MIN_PRESENCE: f32 = 0.5;

/// Keypoint indices (BlazePose topology).
pub mod keypoint {
    pub const NOSE: usize = 0;
    pub const LEFT_EAR: usize = 7;
    pub const RIGHT_EAR: usize = 8;
    pub const LEFT_SHOULDER: usize = 11;
    pub const RIGHT_SHOULDER: usize = 12;
    pub const LEFT_WRIST: usize = 15;
    pub const RIGHT_WRIST: usize = 16;
    pub const LEFT_HIP: usize = 23;
    pub const RIGHT_HIP: usize = 24;
}

/// Skeleton edges for drawing.
pub const SKELETON: [(usize, usize); 16] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (24, 26),
    (25, 27),
    (26, 28),
    (0, 7),
    (0, 8),
    (15, 17),
    (16, 18),
];

/// A keypoint in frame pixels with the model's visibility (in view and not occluded) and
/// presence probabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    pub visibility: f32,
    pub presence: f32,
}

pub struct PoseDetector {
    ssd: SsdDetector,
}

impl PoseDetector {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        Ok(Self {
            ssd: SsdDetector::load(
                path,
                ["Identity", "Identity_1"],
                DETECTOR_SIZE,
                &[8, 16, 32, 32, 32],
            )?,
        })
    }

    /// The landmark region of the most confident person, if any.
    pub fn detect(&self, frame: &RgbImage) -> Result<Option<Roi>, TfliteError> {
        let best = self.ssd.detect(frame)?.into_iter().next();
        Ok(best.map(|d| roi_from_points(d.keypoints[0], d.keypoints[1])))
    }
}

fn roi_from_points(center: (f32, f32), edge: (f32, f32)) -> Roi {
    let size = 2.0 * (edge.0 - center.0).hypot(edge.1 - center.1);
    Roi::aligned(
        center,
        size,
        center,
        edge,
        std::f32::consts::FRAC_PI_2,
        1.25,
    )
}

pub struct PoseLandmarker {
    runner: Runner,
}

/// The landmark model's answer for one region.
pub struct PoseResult {
    /// 33 body keypoints in frame pixels.
    pub keypoints: Vec<Keypoint>,
    /// 33 keypoints in metres around the hip centre (x right, y down, z away from camera).
    pub world: Vec<[f32; 3]>,
    pub presence: f32,
    /// Where to look in the next frame.
    pub next_roi: Roi,
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

impl PoseLandmarker {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        let model = Arc::new(Model::load(path)?);
        // Identity_2 (segmentation) and Identity_3 (heatmap) are never computed.
        Ok(Self {
            runner: model.runner(&["Identity", "Identity_1", "Identity_4"])?,
        })
    }

    pub fn run(&self, frame: &RgbImage, roi: &Roi) -> Result<PoseResult, TfliteError> {
        let input = roi.crop(
            frame,
            LANDMARK_SIZE,
            LANDMARK_SIZE,
            1.0 / 255.0,
            0.0,
            false,
            Border::Replicate,
        );
        let out = self.runner.run(&input)?;
        let size = LANDMARK_SIZE as f32;
        let all: Vec<Keypoint> = out[0]
            .chunks_exact(5)
            .map(|p| {
                let (x, y) = roi.project(p[0] / size, p[1] / size);
                Keypoint {
                    x,
                    y,
                    z: p[2] / size * roi.width,
                    visibility: sigmoid(p[3]),
                    presence: sigmoid(p[4]),
                }
            })
            .collect();
        let (s, c) = roi.rotation.sin_cos();
        let world = out[2]
            .chunks_exact(3)
            .take(33)
            .map(|p| [c * p[0] - s * p[1], s * p[0] + c * p[1], p[2]])
            .collect();
        let next_roi = match (all.get(33), all.get(34)) {
            (Some(a), Some(b)) => roi_from_points((a.x, a.y), (b.x, b.y)),
            _ => *roi,
        };
        Ok(PoseResult {
            keypoints: all.into_iter().take(33).collect(),
            world,
            presence: out[1][0],
            next_roi,
        })
    }
}

/// Posture measures from one frame's keypoints, in degrees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    /// Shoulder line against the horizontal; > 0 when the subject's left shoulder (image
    /// right) is lower.
    pub shoulder_tilt: f32,
    /// Ear line against the horizontal, same sign.
    pub head_tilt: f32,
    /// Shoulders' midpoint over the hips' midpoint: > 0 leaning towards the camera.
    pub torso_lean: f32,
    /// Either wrist visible in the frame.
    pub hands_visible: bool,
}

pub fn posture(result: &PoseResult, frame_width: f32, frame_height: f32) -> Posture {
    use keypoint::*;
    let k = &result.keypoints;
    let line = |a: usize, b: usize| -> f32 {
        // a is on the image's left for a subject facing the camera (their right side).
        (k[b].y - k[a].y).atan2(k[b].x - k[a].x).to_degrees()
    };
    let w = &result.world;
    let shoulders = [
        (w[LEFT_SHOULDER][1] + w[RIGHT_SHOULDER][1]) / 2.0,
        (w[LEFT_SHOULDER][2] + w[RIGHT_SHOULDER][2]) / 2.0,
    ];
    let hips = [
        (w[LEFT_HIP][1] + w[RIGHT_HIP][1]) / 2.0,
        (w[LEFT_HIP][2] + w[RIGHT_HIP][2]) / 2.0,
    ];
    let (dy, dz) = (shoulders[0] - hips[0], shoulders[1] - hips[1]);
    let in_frame = |p: &Keypoint| {
        p.visibility > 0.5 && p.x >= 0.0 && p.y >= 0.0 && p.x < frame_width && p.y < frame_height
    };
    Posture {
        shoulder_tilt: line(RIGHT_SHOULDER, LEFT_SHOULDER),
        head_tilt: line(RIGHT_EAR, LEFT_EAR),
        torso_lean: (-dz).atan2(-dy).to_degrees(),
        hands_visible: in_frame(&k[LEFT_WRIST]) || in_frame(&k[RIGHT_WRIST]),
    }
}
