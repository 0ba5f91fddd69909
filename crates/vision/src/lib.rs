//! Camera analysis for Mianshi: face detection, face landmarks, iris, head pose, gaze, body
//! pose and facial expression from camera frames and video files, on CPU in pure Rust.

pub mod tflite;
