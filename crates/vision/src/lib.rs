//! Camera analysis for Mianshi: face detection, face landmarks, iris, head pose, gaze, body
//! pose and facial expression from camera frames and video files, on CPU in pure Rust.
//!
//! `tflite` runs the MediaPipe and FER model files as shipped; `face`, `pose` and
//! `expression` own each model's pre- and post-processing; `analyzer` turns one frame into
//! [`FrameFeatures`]; `aggregate` summarises windows of frames; `video` and `file` take
//! whole photos and videos (ffmpeg decodes), `overlay` draws what was found.

pub mod aggregate;
pub mod analyzer;
pub mod bench;
pub mod detect;
pub mod expression;
pub mod face;
pub mod file;
pub mod geometry;
pub mod overlay;
pub mod pose;
pub mod tflite;
pub mod video;

/// The image crate, for callers that hand us frames.
pub use image;

pub use aggregate::Aggregate;
pub use analyzer::{
    AnalyzeOptions, FaceFeatures, FrameFeatures, Gaze, GazeCalibration, PoseFeatures, Quality,
    Timings, Tracker, Vision, VisionPaths,
};
pub use expression::{Expression, LABELS};
pub use file::{analyze_file, FileAnalysis, FileOptions};

/// Why vision analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("cannot load model {path}: {source}")]
    Model {
        path: String,
        source: tflite::TfliteError,
    },
    #[error(transparent)]
    Inference(#[from] tflite::TfliteError),
    #[error("the frame is {width}×{height}; at least 16×16 is needed")]
    FrameTooSmall { width: u32, height: u32 },
    #[error("cannot decode the image: {0}")]
    Image(String),
    #[error("video: {0}")]
    Video(String),
}
