//! A small TFLite interpreter in pure Rust for the MediaPipe and FER models.
//!
//! Why our own: `tract-tflite` runs none of these files (it ignores `deprecated_builtin_code`
//! and lacks fp16 `DEQUANTIZE` and `DENSIFY`), and a Python conversion step at set-up would
//! make every install depend on Python packages. The models need a dozen float operators; this
//! module reads the flatbuffer (`fb`), turns it into a graph with every constant decoded to
//! dense f32 at load (fp16, int8 with scales and sparse weights all become plain arrays, so
//! `DEQUANTIZE` and `DENSIFY` fold away), and runs it on NHWC buffers (`ops`), convolutions
//! as im2col + `gemm`. Semantics follow TFLite's reference kernels
//! (`tensorflow/lite/kernels/internal/reference/*.h`), e.g. SAME padding and bilinear resize.
//! Parity with the reference runtime is tested in `tests/tflite_parity.rs`.

mod fb;
mod model;
mod ops;

pub use model::{Model, Runner};

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum TfliteError {
    #[error("cannot read model file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the model file is corrupt: {0}")]
    Corrupt(String),
    #[error("the model uses {0}, which this interpreter does not implement")]
    Unsupported(String),
    #[error("no tensor named {0:?} in the model")]
    UnknownTensor(String),
    #[error("input has {got} values, the model expects {expected}")]
    InputSize { expected: usize, got: usize },
}
