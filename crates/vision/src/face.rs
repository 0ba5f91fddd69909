//! Faces: BlazeFace short-range detection, FaceMesh (468 landmarks), iris landmarks, and what
//! we derive from them — head pose, gaze and eye openness.
//!
//! Follows MediaPipe's face_detection_short_range, face_landmark and iris_landmark graphs
//! (as also reimplemented by the `face-detection-tflite` package): detection on the
//! letterboxed frame in [-1, 1]; landmarks on a 192×192 crop of the detection box ×1.5 turned
//! upright by the eye keypoints, in [0, 1]; iris on 64×64 crops of each eye (corner distance
//! ×2.3), the subject's left eye mirrored, in [0, 1].

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;

use crate::detect::{Detection, SsdDetector};
use crate::geometry::{bounds, Border, Point3, Roi};
use crate::tflite::{Model, Runner, TfliteError};

/// FaceMesh indices we use (canonical MediaPipe topology). "Right" is the subject's right,
/// which appears on the left of a non-mirrored image.
pub mod landmark {
    pub const RIGHT_EYE_OUTER: usize = 33;
    pub const RIGHT_EYE_INNER: usize = 133;
    pub const RIGHT_EYE_TOP: usize = 159;
    pub const RIGHT_EYE_BOTTOM: usize = 145;
    pub const LEFT_EYE_INNER: usize = 362;
    pub const LEFT_EYE_OUTER: usize = 263;
    pub const LEFT_EYE_TOP: usize = 386;
    pub const LEFT_EYE_BOTTOM: usize = 374;
    pub const FOREHEAD: usize = 10;
    pub const CHIN: usize = 152;
    pub const RIGHT_CHEEK: usize = 234;
    pub const LEFT_CHEEK: usize = 454;
    pub const NOSE_TIP: usize = 1;
    pub const MOUTH_RIGHT: usize = 61;
    pub const MOUTH_LEFT: usize = 291;
    pub const UPPER_LIP: usize = 13;
    pub const LOWER_LIP: usize = 14;
}

const DETECTOR_SIZE: usize = 128;
const MESH_SIZE: usize = 192;
const IRIS_SIZE: usize = 64;
/// Below this FaceMesh presence the tracked region has lost the face.
pub const MIN_PRESENCE: f32 = 0.5;

pub struct FaceDetector {
    ssd: SsdDetector,
}

impl FaceDetector {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        Ok(Self {
            ssd: SsdDetector::load(
                path,
                ["regressors", "classificators"],
                DETECTOR_SIZE,
                &[8, 16, 16, 16],
            )?,
        })
    }

    /// All faces in the frame, best first. Keypoints: right eye, left eye, nose tip, mouth,
    /// right ear tragion, left ear tragion.
    pub fn detect(&self, frame: &RgbImage) -> Result<Vec<Detection>, TfliteError> {
        self.ssd.detect(frame)
    }
}

/// The crop region FaceMesh needs for a detected face.
pub fn roi_from_detection(d: &Detection) -> Roi {
    let size = (d.xmax - d.xmin).max(d.ymax - d.ymin);
    Roi::aligned(
        ((d.xmin + d.xmax) / 2.0, (d.ymin + d.ymax) / 2.0),
        size,
        d.keypoints[0],
        d.keypoints[1],
        0.0,
        1.5,
    )
}

/// The crop region for the next frame from this frame's landmarks (MediaPipe's tracking path,
/// which skips the detector while the face stays in view).
pub fn roi_from_landmarks(points: &[Point3]) -> Roi {
    let (x0, y0, x1, y1) = bounds(points);
    let a = points[landmark::RIGHT_EYE_OUTER];
    let b = points[landmark::LEFT_EYE_OUTER];
    Roi::aligned(
        ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
        (x1 - x0).max(y1 - y0),
        (a.x, a.y),
        (b.x, b.y),
        0.0,
        1.5,
    )
}

pub struct FaceMesh {
    runner: Runner,
}

/// 468 landmarks in frame pixels and the model's face-presence probability.
pub struct MeshResult {
    pub points: Vec<Point3>,
    pub presence: f32,
}

impl FaceMesh {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        let model = Arc::new(Model::load(path)?);
        let names: Vec<String> = model.output_names().iter().map(|s| s.to_string()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(Self {
            runner: model.runner(&names)?,
        })
    }

    pub fn run(&self, frame: &RgbImage, roi: &Roi) -> Result<MeshResult, TfliteError> {
        let input = roi.crop(
            frame,
            MESH_SIZE,
            MESH_SIZE,
            1.0 / 255.0,
            0.0,
            false,
            Border::Replicate,
        );
        let out = self.runner.run(&input)?;
        let presence = 1.0 / (1.0 + (-out[1][0]).exp());
        let size = MESH_SIZE as f32;
        let points = out[0]
            .chunks_exact(3)
            .take(468)
            .map(|p| {
                let (x, y) = roi.project(p[0] / size, p[1] / size);
                Point3::new(x, y, p[2] / size * roi.width)
            })
            .collect();
        Ok(MeshResult { points, presence })
    }
}

pub struct IrisModel {
    runner: Runner,
}

/// One eye: 71 contour points (eyelids and brow) and 5 iris points (centre first), in pixels.
#[derive(Clone, Debug)]
pub struct EyeResult {
    pub contour: Vec<Point3>,
    pub iris: Vec<Point3>,
}

impl EyeResult {
    pub fn iris_center(&self) -> Point3 {
        self.iris[0]
    }
}

impl IrisModel {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        let model = Arc::new(Model::load(path)?);
        Ok(Self {
            runner: model.runner(&["output_eyes_contours_and_brows", "output_iris"])?,
        })
    }

    /// Runs on the eye between two corner landmarks; `mirror` for the subject's left eye (the
    /// model was trained on right eyes).
    pub fn run(
        &self,
        frame: &RgbImage,
        corner_a: Point3,
        corner_b: Point3,
        mirror: bool,
    ) -> Result<EyeResult, TfliteError> {
        let center = corner_a.midpoint(&corner_b);
        let roi = Roi::aligned(
            (center.x, center.y),
            corner_a.distance2d(&corner_b),
            (corner_a.x, corner_a.y),
            (corner_b.x, corner_b.y),
            0.0,
            2.3,
        );
        let input = roi.crop(
            frame,
            IRIS_SIZE,
            IRIS_SIZE,
            1.0 / 255.0,
            0.0,
            mirror,
            Border::Replicate,
        );
        let out = self.runner.run(&input)?;
        let size = IRIS_SIZE as f32;
        let project = |values: &[f32]| -> Vec<Point3> {
            values
                .chunks_exact(3)
                .map(|p| {
                    let mut u = p[0] / size;
                    if mirror {
                        u = 1.0 - u;
                    }
                    let (x, y) = roi.project(u, p[1] / size);
                    Point3::new(x, y, p[2] / size * roi.width)
                })
                .collect()
        };
        Ok(EyeResult {
            contour: project(&out[0]),
            iris: project(&out[1]),
        })
    }
}

/// Head orientation in degrees. Yaw > 0: the face turns towards the image's right; pitch > 0:
/// the face tilts up; roll > 0: the head leans clockwise on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeadPose {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

fn sub(a: Point3, b: Point3) -> [f32; 3] {
    [a.x - b.x, a.y - b.y, a.z - b.z]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalize(a: [f32; 3]) -> [f32; 3] {
    let n = dot(a, a).sqrt().max(1e-9);
    [a[0] / n, a[1] / n, a[2] / n]
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Head pose from the mesh's 3D landmarks: a rigid face frame fitted to symmetric landmark
/// pairs (eye corners, cheeks, mouth corners give the left–right axis; forehead→chin the
/// vertical), orthonormalised. FaceMesh's z is in the same units as x, so the frame is metric
/// up to scale and no camera intrinsics are needed.
pub fn head_pose(points: &[Point3]) -> HeadPose {
    use landmark::*;
    let pairs = [
        (RIGHT_EYE_OUTER, LEFT_EYE_OUTER),
        (RIGHT_EYE_INNER, LEFT_EYE_INNER),
        (RIGHT_CHEEK, LEFT_CHEEK),
        (MOUTH_RIGHT, MOUTH_LEFT),
    ];
    let mut across = [0.0f32; 3];
    for (r, l) in pairs {
        let v = normalize(sub(points[l], points[r]));
        for i in 0..3 {
            across[i] += v[i];
        }
    }
    let x = normalize(across);
    let down = sub(points[CHIN], points[FOREHEAD]);
    let along = dot(down, x);
    let y = normalize([
        down[0] - along * x[0],
        down[1] - along * x[1],
        down[2] - along * x[2],
    ]);
    // x right, y down → z = x × y points away from the camera; the face looks along -z.
    let z = cross(x, y);
    let facing = [-z[0], -z[1], -z[2]];
    HeadPose {
        yaw: facing[0].atan2(-facing[2]).to_degrees(),
        pitch: (-facing[1])
            .atan2((facing[0] * facing[0] + facing[2] * facing[2]).sqrt())
            .to_degrees(),
        roll: x[1].atan2(x[0]).to_degrees(),
    }
}

/// Where the eyes point, in degrees, with the same sign conventions as [`HeadPose`].
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GazeAngles {
    pub yaw: f32,
    pub pitch: f32,
}

/// Eye-in-head rotation of one eye from the iris centre's offset inside the eye opening.
/// The opening comes from the iris model's own 16 eyelid points (contour 0–8 lower lid from
/// corner to corner, 9–15 upper lid; sharper than FaceMesh's at webcam resolution): its centre
/// is their mean, its width the corner distance. The eyeball radius is taken as 0.8 × half
/// that width (≈12 mm of ≈30 mm in adults), so an offset `d` (in half-widths) is a rotation of
/// asin(d / 0.8).
fn eye_rotation(eye: &EyeResult) -> GazeAngles {
    let lids = &eye.contour[..16.min(eye.contour.len())];
    let (a, b) = (lids[0], lids[8]);
    let (left, right) = if a.x <= b.x { (a, b) } else { (b, a) };
    let axis = [right.x - left.x, right.y - left.y];
    let width = axis[0].hypot(axis[1]).max(1e-6);
    let unit = [axis[0] / width, axis[1] / width];
    let normal = [-unit[1], unit[0]]; // points down the face
    let n = lids.len() as f32;
    let center = [
        lids.iter().map(|p| p.x).sum::<f32>() / n,
        lids.iter().map(|p| p.y).sum::<f32>() / n,
    ];
    let iris = eye.iris_center();
    let d = [iris.x - center[0], iris.y - center[1]];
    let half = width / 2.0;
    let horizontal = (d[0] * unit[0] + d[1] * unit[1]) / half;
    let vertical = (d[0] * normal[0] + d[1] * normal[1]) / half;
    let angle = |offset: f32| (offset / 0.8).clamp(-1.0, 1.0).asin().to_degrees();
    GazeAngles {
        yaw: angle(horizontal),
        pitch: -angle(vertical),
    }
}

/// Gaze = head pose + the mean eye-in-head rotation of both eyes.
pub fn gaze(right_eye: &EyeResult, left_eye: &EyeResult, head: &HeadPose) -> GazeAngles {
    let (r, l) = (eye_rotation(right_eye), eye_rotation(left_eye));
    GazeAngles {
        yaw: head.yaw + (r.yaw + l.yaw) / 2.0,
        pitch: head.pitch + (r.pitch + l.pitch) / 2.0,
    }
}

/// Eye aspect ratio (lid gap over corner width), mean of both eyes: ≈0.25–0.35 open, below
/// ≈0.12 closed.
pub fn eye_openness(points: &[Point3]) -> f32 {
    use landmark::*;
    let ratio = |top: usize, bottom: usize, a: usize, b: usize| {
        points[top].distance2d(&points[bottom]) / points[a].distance2d(&points[b]).max(1e-6)
    };
    (ratio(
        RIGHT_EYE_TOP,
        RIGHT_EYE_BOTTOM,
        RIGHT_EYE_OUTER,
        RIGHT_EYE_INNER,
    ) + ratio(
        LEFT_EYE_TOP,
        LEFT_EYE_BOTTOM,
        LEFT_EYE_INNER,
        LEFT_EYE_OUTER,
    )) / 2.0
}
