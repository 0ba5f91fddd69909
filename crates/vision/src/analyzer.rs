//! Per-frame analysis: runs the models on one frame and turns their outputs into
//! [`FrameFeatures`]. [`Vision`] holds the immutable models (share it in an `Arc`); a
//! [`Tracker`] holds one stream's state — the face and body regions carried from frame to frame
//! so detectors run only when tracking is lost, and the gaze calibration.

use std::path::{Path, PathBuf};

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::expression::{Expression, ExpressionModel};
use crate::face::{self, FaceDetector, FaceMesh, GazeAngles, HeadPose, IrisModel};
use crate::geometry::{bounds, Point3, Roi};
use crate::pose::{self, Keypoint, PoseDetector, PoseLandmarker, Posture};
use crate::tflite::TfliteError;
use crate::VisionError;

/// Model files, as `mianshi models fetch` lays them out.
#[derive(Clone, Debug)]
pub struct VisionPaths {
    pub face_detector: PathBuf,
    pub face_mesh: PathBuf,
    pub iris: PathBuf,
    pub pose_detector: PathBuf,
    pub pose_landmarks: PathBuf,
    pub expression: PathBuf,
}

impl VisionPaths {
    /// Paths inside the model cache: `<root>/mediapipe-face/…`, `<root>/mediapipe-pose/…`,
    /// `<root>/fer-mini-xception/…`.
    pub fn in_cache(root: &Path) -> Self {
        let face = root.join("mediapipe-face");
        let pose = root.join("mediapipe-pose");
        Self {
            face_detector: face.join("face_detection_short_range.tflite"),
            face_mesh: face.join("face_landmark.tflite"),
            iris: face.join("iris_landmark.tflite"),
            pose_detector: pose.join("pose_detection.tflite"),
            pose_landmarks: pose.join("pose_landmark_lite.tflite"),
            expression: root
                .join("fer-mini-xception")
                .join("emotion_model_quantized.tflite"),
        }
    }
}

/// What to compute.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// Screening mode (DESIGN §2): no facial-expression inference at all.
    pub expressions: bool,
    pub pose: bool,
    /// Keep the 468 face landmarks in the output (large; off for timelines).
    pub keep_landmarks: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            expressions: true,
            pose: true,
            keep_landmarks: false,
        }
    }
}

/// A box in normalised frame coordinates (0..1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NormBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gaze {
    /// Degrees; same sign conventions as the head pose.
    pub yaw: f32,
    pub pitch: f32,
    pub at_camera: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceFeatures {
    #[serde(rename = "box")]
    pub bbox: NormBox,
    /// FaceMesh presence probability.
    pub score: f32,
    /// 468 points, x and y normalised to the frame, z in units of the frame width.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub landmarks: Vec<[f32; 3]>,
    /// Iris centres (subject's right, left), normalised.
    pub iris: [[f32; 2]; 2],
    pub head_pose: HeadPose,
    pub gaze: Gaze,
    /// Eye aspect ratio, mean of both eyes (≈0.25–0.35 open, < 0.12 closed).
    pub eye_openness: f32,
    /// Absent in screening mode.
    pub expression: Option<Expression>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoseFeatures {
    /// 33 keypoints, x and y normalised to the frame.
    pub keypoints: Vec<Keypoint>,
    pub shoulder_tilt: f32,
    pub head_tilt: f32,
    pub hands_visible: bool,
    pub torso_lean: f32,
    pub score: f32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Mean luma, 0 (black) to 1 (white).
    pub brightness: f32,
    /// Sharpness of the face region (variance of the Laplacian on grey 0..255; < ~30 is
    /// blurred), or of the whole frame without a face.
    pub sharpness: f32,
    /// Face box height over frame height (0 without a face).
    pub face_size: f32,
}

/// Everything measured on one frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameFeatures {
    /// Seconds from the start of the stream or file.
    pub t: f64,
    pub width: u32,
    pub height: u32,
    pub face: Option<FaceFeatures>,
    /// How many faces the detector saw when it last ran (more than one: someone else is in
    /// view; we analyse the largest).
    pub faces_in_view: usize,
    pub pose: Option<PoseFeatures>,
    pub quality: Quality,
}

/// Where "looking at the camera" ends, in degrees around the calibrated centre. Vertical is
/// wider downwards because candidates read the screen under the camera.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GazeCalibration {
    pub center_yaw: f32,
    pub center_pitch: f32,
    pub half_width: f32,
    pub up: f32,
    pub down: f32,
}

impl Default for GazeCalibration {
    fn default() -> Self {
        Self {
            center_yaw: 0.0,
            center_pitch: 0.0,
            half_width: 15.0,
            up: 12.0,
            down: 22.0,
        }
    }
}

impl GazeCalibration {
    pub fn at_camera(&self, g: GazeAngles) -> bool {
        let dy = g.yaw - self.center_yaw;
        let dp = g.pitch - self.center_pitch;
        dy.abs() <= self.half_width && dp <= self.up && dp >= -self.down
    }

    /// Centres the cone on the median of gaze samples taken while the candidate was asked to
    /// look at the camera.
    pub fn from_samples(samples: &[GazeAngles]) -> Option<Self> {
        if samples.len() < 3 {
            return None;
        }
        let median = |mut v: Vec<f32>| {
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        Some(Self {
            center_yaw: median(samples.iter().map(|g| g.yaw).collect()),
            center_pitch: median(samples.iter().map(|g| g.pitch).collect()),
            half_width: 12.0,
            up: 10.0,
            down: 18.0,
        })
    }
}

/// All the models, loaded once.
pub struct Vision {
    face_detector: FaceDetector,
    face_mesh: FaceMesh,
    iris: IrisModel,
    pose_detector: Option<PoseDetector>,
    pose_landmarks: Option<PoseLandmarker>,
    expression: Option<ExpressionModel>,
}

/// Time spent in each model for one frame, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timings {
    pub face_detector: f64,
    pub face_mesh: f64,
    pub iris: f64,
    pub pose_detector: f64,
    pub pose_landmarks: f64,
    pub expression: f64,
}

fn load<T>(path: &Path, f: impl Fn(&Path) -> Result<T, TfliteError>) -> Result<T, VisionError> {
    f(path).map_err(|source| VisionError::Model {
        path: path.display().to_string(),
        source,
    })
}

impl Vision {
    /// Loads the face models (required) and the pose and expression models where present.
    pub fn load(paths: &VisionPaths) -> Result<Self, VisionError> {
        let optional = |p: &Path| p.exists();
        Ok(Self {
            face_detector: load(&paths.face_detector, FaceDetector::load)?,
            face_mesh: load(&paths.face_mesh, FaceMesh::load)?,
            iris: load(&paths.iris, IrisModel::load)?,
            pose_detector: if optional(&paths.pose_detector) {
                Some(load(&paths.pose_detector, PoseDetector::load)?)
            } else {
                None
            },
            pose_landmarks: if optional(&paths.pose_landmarks) {
                Some(load(&paths.pose_landmarks, PoseLandmarker::load)?)
            } else {
                None
            },
            expression: if optional(&paths.expression) {
                Some(load(&paths.expression, ExpressionModel::load)?)
            } else {
                None
            },
        })
    }

    pub fn has_pose(&self) -> bool {
        self.pose_detector.is_some() && self.pose_landmarks.is_some()
    }

    pub fn has_expression(&self) -> bool {
        self.expression.is_some()
    }

    /// Every face FaceMesh confirms in a photo, largest first, with its expression (for
    /// `detect-emotions`; the per-frame analysis follows one face).
    pub fn expressions_of_all_faces(
        &self,
        frame: &RgbImage,
    ) -> Result<Vec<(NormBox, Expression)>, VisionError> {
        let Some(model) = &self.expression else {
            return Ok(Vec::new());
        };
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let mut detections = self.face_detector.detect(frame)?;
        detections.sort_by(|a, b| b.area().total_cmp(&a.area()));
        let mut out = Vec::new();
        for d in &detections {
            let mesh = self.face_mesh.run(frame, &face::roi_from_detection(d))?;
            if mesh.presence < face::MIN_PRESENCE {
                continue;
            }
            let roll = face::head_pose(&mesh.points).roll.to_radians();
            let expression = model.run(frame, &mesh.points, roll)?;
            let (x0, y0, x1, y1) = bounds(&mesh.points);
            out.push((
                NormBox {
                    x: x0 / w,
                    y: y0 / h,
                    w: (x1 - x0) / w,
                    h: (y1 - y0) / h,
                },
                expression,
            ));
        }
        Ok(out)
    }
}

/// One stream's tracking state.
#[derive(Default)]
pub struct Tracker {
    face_roi: Option<Roi>,
    faces_in_view: usize,
    pose_roi: Option<Roi>,
    pub calibration: GazeCalibration,
}

impl Tracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets tracked regions (after a seek or a gap in the stream).
    pub fn reset(&mut self) {
        self.face_roi = None;
        self.pose_roi = None;
    }

    /// Analyses one frame.
    pub fn analyze(
        &mut self,
        vision: &Vision,
        frame: &RgbImage,
        t: f64,
        options: &AnalyzeOptions,
    ) -> Result<FrameFeatures, VisionError> {
        self.analyze_timed(vision, frame, t, options, &mut Timings::default())
    }

    pub fn analyze_timed(
        &mut self,
        vision: &Vision,
        frame: &RgbImage,
        t: f64,
        options: &AnalyzeOptions,
        timings: &mut Timings,
    ) -> Result<FrameFeatures, VisionError> {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        if frame.width() < 16 || frame.height() < 16 {
            return Err(VisionError::FrameTooSmall {
                width: frame.width(),
                height: frame.height(),
            });
        }
        let face = self.face(vision, frame, options, timings)?;
        let pose = if options.pose && vision.has_pose() {
            self.pose(vision, frame, timings)?
        } else {
            None
        };
        let face_region = face.as_ref().map(|f| {
            (
                f.bbox.x * w,
                f.bbox.y * h,
                (f.bbox.x + f.bbox.w) * w,
                (f.bbox.y + f.bbox.h) * h,
            )
        });
        let quality = Quality {
            brightness: brightness(frame),
            sharpness: sharpness(frame, face_region),
            face_size: face.as_ref().map(|f| f.bbox.h).unwrap_or(0.0),
        };
        Ok(FrameFeatures {
            t,
            width: frame.width(),
            height: frame.height(),
            face,
            faces_in_view: self.faces_in_view,
            pose,
            quality,
        })
    }

    fn face(
        &mut self,
        vision: &Vision,
        frame: &RgbImage,
        options: &AnalyzeOptions,
        timings: &mut Timings,
    ) -> Result<Option<FaceFeatures>, VisionError> {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let mut mesh = None;
        if let Some(roi) = self.face_roi {
            let start = std::time::Instant::now();
            let m = vision.face_mesh.run(frame, &roi)?;
            timings.face_mesh += ms(start);
            if m.presence >= face::MIN_PRESENCE {
                mesh = Some(m);
            }
        }
        if mesh.is_none() {
            let start = std::time::Instant::now();
            let detections = vision.face_detector.detect(frame)?;
            timings.face_detector += ms(start);
            self.faces_in_view = detections.len();
            // The largest face that FaceMesh confirms: a detector false positive (a poster, a
            // pattern) must not hide the candidate behind it.
            let mut by_size: Vec<&Detection> = detections.iter().collect();
            by_size.sort_by(|a, b| b.area().total_cmp(&a.area()));
            for detection in by_size {
                let roi = face::roi_from_detection(detection);
                let start = std::time::Instant::now();
                let m = vision.face_mesh.run(frame, &roi)?;
                timings.face_mesh += ms(start);
                if m.presence >= face::MIN_PRESENCE {
                    mesh = Some(m);
                    break;
                }
            }
        }
        let Some(mesh) = mesh else {
            self.face_roi = None;
            return Ok(None);
        };
        let points = &mesh.points;
        self.face_roi = Some(face::roi_from_landmarks(points));

        use face::landmark::*;
        let start = std::time::Instant::now();
        let right_eye = vision.iris.run(
            frame,
            points[RIGHT_EYE_OUTER],
            points[RIGHT_EYE_INNER],
            false,
        )?;
        let left_eye =
            vision
                .iris
                .run(frame, points[LEFT_EYE_INNER], points[LEFT_EYE_OUTER], true)?;
        timings.iris += ms(start);
        let head = face::head_pose(points);
        let gaze_angles = face::gaze(&right_eye, &left_eye, &head);
        let expression = match (&vision.expression, options.expressions) {
            (Some(model), true) => {
                let start = std::time::Instant::now();
                let e = model.run(frame, points, head.roll.to_radians())?;
                timings.expression += ms(start);
                Some(e)
            }
            _ => None,
        };
        let (x0, y0, x1, y1) = bounds(points);
        let norm = |p: Point3| [p.x / w, p.y / h];
        Ok(Some(FaceFeatures {
            bbox: NormBox {
                x: x0 / w,
                y: y0 / h,
                w: (x1 - x0) / w,
                h: (y1 - y0) / h,
            },
            score: mesh.presence,
            landmarks: if options.keep_landmarks {
                points.iter().map(|p| [p.x / w, p.y / h, p.z / w]).collect()
            } else {
                Vec::new()
            },
            iris: [norm(right_eye.iris_center()), norm(left_eye.iris_center())],
            head_pose: head,
            gaze: Gaze {
                yaw: gaze_angles.yaw,
                pitch: gaze_angles.pitch,
                at_camera: self.calibration.at_camera(gaze_angles),
            },
            eye_openness: face::eye_openness(points),
            expression,
        }))
    }

    fn pose(
        &mut self,
        vision: &Vision,
        frame: &RgbImage,
        timings: &mut Timings,
    ) -> Result<Option<PoseFeatures>, VisionError> {
        let (Some(detector), Some(landmarker)) = (&vision.pose_detector, &vision.pose_landmarks)
        else {
            return Ok(None);
        };
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let mut result = None;
        if let Some(roi) = self.pose_roi {
            let start = std::time::Instant::now();
            let r = landmarker.run(frame, &roi)?;
            timings.pose_landmarks += ms(start);
            if r.presence >= pose::MIN_PRESENCE {
                result = Some(r);
            }
        }
        if result.is_none() {
            let start = std::time::Instant::now();
            let roi = detector.detect(frame)?;
            timings.pose_detector += ms(start);
            let Some(roi) = roi else {
                self.pose_roi = None;
                return Ok(None);
            };
            let start = std::time::Instant::now();
            let r = landmarker.run(frame, &roi)?;
            timings.pose_landmarks += ms(start);
            if r.presence < pose::MIN_PRESENCE {
                self.pose_roi = None;
                return Ok(None);
            }
            result = Some(r);
        }
        let Some(r) = result else {
            return Ok(None);
        };
        self.pose_roi = Some(r.next_roi);
        let Posture {
            shoulder_tilt,
            head_tilt,
            torso_lean,
            hands_visible,
        } = pose::posture(&r, w, h);
        Ok(Some(PoseFeatures {
            keypoints: r
                .keypoints
                .iter()
                .map(|k| Keypoint {
                    x: k.x / w,
                    y: k.y / h,
                    z: k.z / w,
                    ..*k
                })
                .collect(),
            shoulder_tilt,
            head_tilt,
            hands_visible,
            torso_lean,
            score: r.presence,
        }))
    }
}

fn ms(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Mean luma over a sparse grid of pixels (every 4th in each direction is plenty).
fn brightness(frame: &RgbImage) -> f32 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for y in (0..frame.height()).step_by(4) {
        for x in (0..frame.width()).step_by(4) {
            let p = frame.get_pixel(x, y).0;
            sum += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
            n += 1;
        }
    }
    (sum / n.max(1) as f64 / 255.0) as f32
}

/// Variance of the 4-neighbour Laplacian of luma inside a region (the face, else the frame),
/// sampled on a grid of at most ~128×128 so it costs the same for any resolution.
fn sharpness(frame: &RgbImage, region: Option<(f32, f32, f32, f32)>) -> f32 {
    let (fw, fh) = (frame.width() as f32, frame.height() as f32);
    let (x0, y0, x1, y1) = region.unwrap_or((0.0, 0.0, fw, fh));
    let (x0, y0) = (x0.max(1.0) as u32, y0.max(1.0) as u32);
    let (x1, y1) = ((x1.min(fw - 2.0)) as u32, (y1.min(fh - 2.0)) as u32);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return 0.0;
    }
    let step = ((x1 - x0).max(y1 - y0) / 128).max(1);
    let luma = |x: u32, y: u32| {
        let p = frame.get_pixel(x, y).0;
        0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64
    };
    let (mut sum, mut sum2, mut n) = (0.0f64, 0.0f64, 0usize);
    let mut y = y0;
    while y < y1 {
        let mut x = x0;
        while x < x1 {
            let lap = luma(x - 1, y) + luma(x + 1, y) + luma(x, y - 1) + luma(x, y + 1)
                - 4.0 * luma(x, y);
            sum += lap;
            sum2 += lap * lap;
            n += 1;
            x += step;
        }
        y += step;
    }
    let mean = sum / n.max(1) as f64;
    (sum2 / n.max(1) as f64 - mean * mean) as f32
}
