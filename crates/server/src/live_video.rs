//! Camera frames of a live session: sampled to the analysis rate, analysed one at a time on
//! the CPU pool, latest wins. While a frame is being analysed, a newer frame waits in a
//! single slot; a frame that arrives while the slot is full replaces it and counts as
//! dropped (and is reported), so a slow machine never builds a queue and memory stays bounded.
//! Results come back over a channel to the connection's task, which keeps the last 20 s of
//! features and sends a video `metrics` event about once a second.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use mianshi_vision::face::GazeAngles;
use mianshi_vision::{aggregate, AnalyzeOptions, FrameFeatures, GazeCalibration, Tracker};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::state::AppState;

/// Frames analysed per second unless the client asks for another rate.
pub const DEFAULT_FPS: f64 = 5.0;
pub const FPS_RANGE: (f64, f64) = (1.0, 15.0);
/// Features kept for the rolling window.
const WINDOW_SECONDS: f64 = 20.0;
/// Gaze samples needed for a calibration.
const MIN_CALIBRATION_SAMPLES: usize = 3;

pub enum Outcome {
    /// The features and when the frame arrived (nudge latency is measured from it).
    Frame(Box<FrameFeatures>, Instant),
    Failed {
        code: &'static str,
        message: String,
    },
}

pub struct LiveVideo {
    pub fps: f64,
    pub screening: bool,
    last_sampled: Option<f64>,
    in_flight: bool,
    waiting: Option<(f64, Bytes, Instant)>,
    tracker: Arc<Mutex<Tracker>>,
    window: VecDeque<FrameFeatures>,
    pub analysed: u64,
    /// When the newest analysed frame arrived.
    pub newest_arrival: Option<Instant>,
    pub dropped: u64,
    pub not_sampled: u64,
    last_metrics: Option<f64>,
    calibration: Option<Vec<GazeAngles>>,
    /// Handed to each job, so the tracker is never locked from the connection's task.
    gaze_cone: GazeCalibration,
    /// Set when the camera models cannot be used; frames are then counted and ignored.
    unavailable: bool,
    tx: mpsc::Sender<Outcome>,
    pub rx: mpsc::Receiver<Outcome>,
}

impl LiveVideo {
    pub fn new(screening: bool) -> Self {
        // One job is in flight at a time, so two slots never fill.
        let (tx, rx) = mpsc::channel(2);
        Self {
            fps: DEFAULT_FPS,
            screening,
            last_sampled: None,
            in_flight: false,
            waiting: None,
            tracker: Arc::new(Mutex::new(Tracker::new())),
            window: VecDeque::new(),
            analysed: 0,
            newest_arrival: None,
            dropped: 0,
            not_sampled: 0,
            last_metrics: None,
            calibration: None,
            gaze_cone: GazeCalibration::default(),
            unavailable: false,
            tx,
            rx,
        }
    }

    /// A camera frame (JPEG) taken at `t` seconds.
    pub fn offer(&mut self, state: &AppState, t: f64, jpeg: Bytes, arrived: Instant) {
        if self.unavailable {
            self.not_sampled += 1;
            return;
        }
        if let Some(last) = self.last_sampled {
            // Frames closer together than the analysis rate are not needed (5 % slack for
            // camera timing jitter); frames from the past (a clock reset) restart sampling.
            if t >= last && t - last < 0.95 / self.fps {
                self.not_sampled += 1;
                return;
            }
        }
        self.last_sampled = Some(t);
        if self.in_flight {
            if self.waiting.replace((t, jpeg, arrived)).is_some() {
                self.dropped += 1;
            }
            return;
        }
        self.start(state, t, jpeg, arrived);
    }

    fn start(&mut self, state: &AppState, t: f64, jpeg: Bytes, arrived: Instant) {
        self.in_flight = true;
        let tracker = self.tracker.clone();
        let slot = state.vision.clone();
        let cpu = state.cpu.clone();
        let tx = self.tx.clone();
        let gaze_cone = self.gaze_cone;
        let options = AnalyzeOptions {
            expressions: !self.screening,
            ..AnalyzeOptions::default()
        };
        tokio::spawn(async move {
            let job = move || -> Result<FrameFeatures, ApiError> {
                let vision = slot.get()?;
                let frame = mianshi_vision::image::load_from_memory(&jpeg)
                    .map_err(|e| mianshi_vision::VisionError::Image(e.to_string()))?
                    .to_rgb8();
                let mut tracker = tracker
                    .lock()
                    .map_err(|_| ApiError::Internal("tracker poisoned".into()))?;
                tracker.calibration = gaze_cone;
                Ok(tracker.analyze(&vision, &frame, t, &options)?)
            };
            let outcome = match cpu.run(job).await.and_then(|r| r) {
                Ok(features) => Outcome::Frame(Box::new(features), arrived),
                Err(err) => Outcome::Failed {
                    code: err.code(),
                    message: err.to_string(),
                },
            };
            let _ = tx.send(outcome).await;
        });
    }

    /// Takes a finished analysis; returns the events to send.
    pub fn finished(&mut self, state: &AppState, outcome: Outcome) -> Vec<Value> {
        self.in_flight = false;
        if let Outcome::Failed {
            code: "model_loading" | "model_unavailable",
            message,
        } = &outcome
        {
            // Every later frame would fail the same way: the waiting one is not started, and
            // the client hears it once per connection.
            self.waiting = None;
            if std::mem::replace(&mut self.unavailable, true) {
                return Vec::new();
            }
            return vec![
                json!({"type": "error", "code": "video_not_analysed", "message": message}),
            ];
        }
        if let Some((t, jpeg, arrived)) = self.waiting.take() {
            self.start(state, t, jpeg, arrived);
        }
        let features = match outcome {
            Outcome::Frame(features, arrived) => {
                self.newest_arrival = Some(arrived);
                *features
            }
            Outcome::Failed { code, message } => {
                let code = match code {
                    "image_unreadable" | "frame_too_small" => "bad_frame",
                    "busy" => {
                        // The pool is saturated: this frame is lost like a dropped one.
                        self.dropped += 1;
                        return Vec::new();
                    }
                    other => other,
                };
                return vec![json!({"type": "error", "code": code, "message": message})];
            }
        };
        self.analysed += 1;
        if let (Some(samples), Some(face)) = (self.calibration.as_mut(), &features.face) {
            samples.push(GazeAngles {
                yaw: face.gaze.yaw,
                pitch: face.gaze.pitch,
            });
        }
        let t = features.t;
        while self
            .window
            .front()
            .is_some_and(|f| f.t < t - WINDOW_SECONDS || f.t > t)
        {
            self.window.pop_front();
        }
        self.window.push_back(features);
        if self
            .last_metrics
            .is_some_and(|last| t >= last && t - last < 1.0)
        {
            return Vec::new();
        }
        self.last_metrics = Some(t);
        vec![self.metrics_event()]
    }

    /// The analysed frames of the last 20 s, oldest first.
    pub fn window(&mut self) -> &[FrameFeatures] {
        self.window.make_contiguous()
    }

    fn metrics_event(&mut self) -> Value {
        // Aggregated in place: the window is up to 20 s of frames, once a second.
        let window = aggregate::aggregate(self.window.make_contiguous());
        let latest = self.window.back().map(|f| {
            json!({
                "face": f.face.as_ref().map(|x| json!({
                    "at_camera": x.gaze.at_camera,
                    "gaze": {"yaw": x.gaze.yaw, "pitch": x.gaze.pitch},
                    "head_pose": x.head_pose,
                    "eye_openness": x.eye_openness,
                    "expression": x.expression.as_ref().map(|e| &e.top),
                })),
                "faces_in_view": f.faces_in_view,
                "posture": f.pose.as_ref().map(|p| json!({
                    "shoulder_tilt": p.shoulder_tilt,
                    "head_tilt": p.head_tilt,
                    "torso_lean": p.torso_lean,
                    "hands_visible": p.hands_visible,
                })),
                "quality": f.quality,
            })
        });
        json!({
            "type": "metrics",
            "source": "video",
            "window_seconds": ((window.end - window.start) * 100.0).round() / 100.0,
            "video": window,
            "latest": latest,
            "frames": {
                "analysed": self.analysed,
                "dropped": self.dropped,
                "not_sampled": self.not_sampled,
                "fps": self.fps,
            },
        })
    }

    pub fn calibration_start(&mut self) {
        self.calibration = Some(Vec::new());
    }

    /// Ends the calibration: the gaze cone is centred on what was seen since the start.
    pub fn calibration_end(&mut self) -> Value {
        let samples = self.calibration.take().unwrap_or_default();
        match GazeCalibration::from_samples(&samples) {
            Some(calibration) if samples.len() >= MIN_CALIBRATION_SAMPLES => {
                self.gaze_cone = calibration;
                json!({
                    "type": "calibrated",
                    "samples": samples.len(),
                    "center_yaw": calibration.center_yaw,
                    "center_pitch": calibration.center_pitch,
                })
            }
            _ => json!({
                "type": "error",
                "code": "calibration_failed",
                "message": format!(
                    "{} frames with a face were seen; look at the camera for two seconds with the camera on",
                    samples.len()
                ),
            }),
        }
    }
}
