//! Voice activity detection: Silero VAD v6 (16 kHz) on candle, and silero's segmentation rules.
//!
//! Reference: the `silero-vad==6.2.3` wheel — `silero_vad/utils_vad.py` (`OnnxWrapper`,
//! `get_speech_timestamps`, `get_speech_timestamps_from_probs`), `silero_vad/tinygrad_model.py`
//! and the 16 kHz branch of `silero_vad/data/silero_vad_op18_ifless.onnx`. Every step below was
//! checked against that graph's nodes, and the probabilities against onnxruntime running it
//! (`tests/vad_parity.rs`, reference from `tests/data/vad/make_reference.py`).
//!
//! # The network, per 512-sample chunk (32 ms at 16 kHz)
//!
//! 1. Input: the last 64 samples of the previous chunk (zeros at the start of a stream) followed
//!    by the 512 new ones: 576 samples.
//! 2. Reflection padding of 64 samples on the right only (ONNX `Pad` reflect, pads
//!    `[0, 0, 0, 64]`; the edge sample is not repeated): 640 samples.
//! 3. STFT as a convolution: `stft_conv.weight` (258, 1, 256), stride 128, no padding, no bias:
//!    4 frames. Rows 0..129 are Hann-windowed cosines, rows 129..258 the matching (negated)
//!    sines; magnitude = `sqrt(re² + im²)` per bin: (129, 4). No log, no normalisation.
//! 4. Encoder: four conv1d, kernel 3, padding 1, each followed by ReLU:
//!    129→128 stride 1 (4 frames), 128→64 stride 2 (2), 64→64 stride 2 (1), 64→128 stride 1 (1).
//! 5. The single remaining time step (ONNX `Gather` index 0 on the time axis) feeds one
//!    `LSTMCell` step (PyTorch gate order i, f, g, o; both biases) with the carried state
//!    `(h, c)`, 128 each.
//! 6. Decoder: ReLU(h) → conv1d 128→1, kernel 1 (`final_conv`) → sigmoid → mean over time (one
//!    step, so the value itself): the speech probability of the chunk.
//!
//! Convolutions and the input projection of the LSTM run batched on candle (a whole file at once
//! in [`SileroVad::probabilities`], since only the LSTM is recurrent); the LSTM recurrence and
//! the 128→1 head run as plain loops over the weights.
//!
//! # Weights
//!
//! | safetensors name (tinygrad)   | shape          | ONNX initializer (op18 if-less, 16 kHz) | role |
//! |-------------------------------|----------------|-----------------------------------------|------|
//! | `stft_conv.weight`            | (258, 1, 256)  | `model.stft.forward_basis_buffer`        | STFT basis: 129 cos rows, then 129 sin rows, Hann window |
//! | `conv1.weight` / `conv1.bias` | (128, 129, 3) / (128) | `model.encoder.0.reparam_conv.{weight,bias}` | encoder 1, stride 1 |
//! | `conv2.weight` / `conv2.bias` | (64, 128, 3) / (64)   | `model.encoder.1.reparam_conv.{weight,bias}` | encoder 2, stride 2 |
//! | `conv3.weight` / `conv3.bias` | (64, 64, 3) / (64)    | `model.encoder.2.reparam_conv.{weight,bias}` | encoder 3, stride 2 |
//! | `conv4.weight` / `conv4.bias` | (128, 64, 3) / (128)  | `model.encoder.3.reparam_conv.{weight,bias}` | encoder 4, stride 1 |
//! | `lstm_cell.weight_ih`         | (512, 128)     | `model.decoder.rnn.weight_ih`            | LSTM input weights, gates i,f,g,o |
//! | `lstm_cell.weight_hh`         | (512, 128)     | `model.decoder.rnn.weight_hh`            | LSTM recurrent weights |
//! | `lstm_cell.bias_ih` / `bias_hh` | (512) each   | `model.decoder.rnn.bias_{ih,hh}`         | LSTM biases (both added) |
//! | `final_conv.weight` / `.bias` | (1, 128, 1) / (1)     | `model.decoder.decoder.2.{weight,bias}` | head, then sigmoid |
//!
//! The safetensors file holds the 16 kHz model only, without any prefix. The ONNX graph holds
//! both branches (`model.*` and `model_8k.*`, chosen by an `If` on its `sr` input; "if-less"
//! refers to the inside of the network). Either naming is accepted by the loaders here.
//!
//! **The two files do not carry the same weights.** Only the STFT basis is identical; every
//! learned tensor of `silero_vad_16k.safetensors` differs from the ONNX graph's (correlation
//! 0.90–0.99). The ONNX graph's weights are those of `silero_vad.jit` and of every other `.onnx`
//! in the wheel (outputs agree to 1e-6); the safetensors file is another checkpoint (upstream
//! issue snakers4/silero-vad#768). On 11 s of espeak-ng speech the two sets of weights differ by
//! up to 0.79 in a chunk's probability, and agree on 98 % of chunks at threshold 0.5. Load with
//! [`SileroVad::load_onnx`] to get the probabilities of the official runtimes;
//! [`SileroVad::load_safetensors`] gives those of silero's tinygrad port.
//!
//! Only 16 kHz is supported (the 8 kHz branch exists in the ONNX graph only).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

/// Sample rate of the model.
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per chunk: one probability per 32 ms.
pub const CHUNK_SAMPLES: usize = 512;
/// Samples of the previous chunk prepended to each chunk.
pub const CONTEXT_SAMPLES: usize = 64;
/// LSTM state size.
pub const HIDDEN: usize = 128;

const WINDOW: usize = CONTEXT_SAMPLES + CHUNK_SAMPLES; // 576
const N_FFT: usize = 256;
const HOP: usize = 128;
const BINS: usize = N_FFT / 2 + 1; // 129
const REFLECT_PAD: usize = 64;
const FRAMES: usize = (WINDOW + REFLECT_PAD - N_FFT) / HOP + 1; // 4
const GATES: usize = 4 * HIDDEN; // 512
/// Chunks encoded per batch in [`SileroVad::probabilities`] (about 16 s of audio).
const BATCH_CHUNKS: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum VadError {
    #[error("the voice-activity model {path} could not be read: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("the voice-activity model has no tensor {0}")]
    MissingTensor(&'static str),
    #[error("voice-activity tensor {name} has shape {got:?}; expected {expected:?}")]
    Shape {
        name: &'static str,
        expected: &'static [usize],
        got: Vec<usize>,
    },
    #[error("a voice-activity chunk has {0} samples; the 16 kHz model takes exactly 512")]
    ChunkLength(usize),
    #[error("voice-activity computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

impl VadError {
    pub fn code(&self) -> &'static str {
        match self {
            VadError::Unreadable { .. } => "vad_model_unreadable",
            VadError::MissingTensor(_) | VadError::Shape { .. } => "vad_model_invalid",
            VadError::ChunkLength(_) => "vad_chunk_length",
            VadError::Compute(_) => "vad_compute",
        }
    }
}

/// (safetensors name, ONNX initializer name, shape)
const TENSORS: [(&str, &str, &[usize]); 15] = [
    (
        "stft_conv.weight",
        "model.stft.forward_basis_buffer",
        &[2 * BINS, 1, N_FFT],
    ),
    (
        "conv1.weight",
        "model.encoder.0.reparam_conv.weight",
        &[128, BINS, 3],
    ),
    ("conv1.bias", "model.encoder.0.reparam_conv.bias", &[128]),
    (
        "conv2.weight",
        "model.encoder.1.reparam_conv.weight",
        &[64, 128, 3],
    ),
    ("conv2.bias", "model.encoder.1.reparam_conv.bias", &[64]),
    (
        "conv3.weight",
        "model.encoder.2.reparam_conv.weight",
        &[64, 64, 3],
    ),
    ("conv3.bias", "model.encoder.2.reparam_conv.bias", &[64]),
    (
        "conv4.weight",
        "model.encoder.3.reparam_conv.weight",
        &[128, 64, 3],
    ),
    ("conv4.bias", "model.encoder.3.reparam_conv.bias", &[128]),
    (
        "lstm_cell.weight_ih",
        "model.decoder.rnn.weight_ih",
        &[GATES, HIDDEN],
    ),
    (
        "lstm_cell.weight_hh",
        "model.decoder.rnn.weight_hh",
        &[GATES, HIDDEN],
    ),
    ("lstm_cell.bias_ih", "model.decoder.rnn.bias_ih", &[GATES]),
    ("lstm_cell.bias_hh", "model.decoder.rnn.bias_hh", &[GATES]),
    (
        "final_conv.weight",
        "model.decoder.decoder.2.weight",
        &[1, HIDDEN, 1],
    ),
    ("final_conv.bias", "model.decoder.decoder.2.bias", &[1]),
];

struct Conv {
    weight: Tensor,
    /// (1, out, 1), for broadcasting over (batch, out, time).
    bias: Tensor,
    stride: usize,
}

/// The Silero VAD v6 16 kHz network: immutable weights, shareable across threads and streams.
/// Per-stream state lives in [`VadState`].
pub struct SileroVad {
    device: Device,
    /// (256, 258): the STFT basis transposed, so frames (n, 256) @ basis = (n, 258).
    stft_basis_t: Tensor,
    encoder: [Conv; 4],
    /// (128, 512): `weight_ih` transposed.
    w_ih_t: Tensor,
    /// (1, 512)
    b_ih: Tensor,
    /// (512 × 128) row-major.
    w_hh: Vec<f32>,
    b_hh: Vec<f32>,
    head_w: Vec<f32>,
    head_b: f32,
}

/// Per-stream state: the LSTM's `(h, c)` and the last 64 samples seen.
#[derive(Debug, Clone, PartialEq)]
pub struct VadState {
    h: [f32; HIDDEN],
    c: [f32; HIDDEN],
    context: [f32; CONTEXT_SAMPLES],
}

impl Default for VadState {
    fn default() -> Self {
        VadState {
            h: [0.0; HIDDEN],
            c: [0.0; HIDDEN],
            context: [0.0; CONTEXT_SAMPLES],
        }
    }
}

impl VadState {
    /// Back to the start of a stream (what silero's `reset_states` does).
    pub fn reset(&mut self) {
        *self = VadState::default();
    }
}

impl SileroVad {
    /// Loads `.onnx` files with [`SileroVad::load_onnx`], anything else as safetensors.
    pub fn load(path: &Path) -> Result<SileroVad, VadError> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
        {
            SileroVad::load_onnx(path)
        } else {
            SileroVad::load_safetensors(path)
        }
    }

    /// `silero_vad_16k.safetensors` (tensor names of the table in the module docs; the ONNX
    /// initializer names are accepted too).
    pub fn load_safetensors(path: &Path) -> Result<SileroVad, VadError> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| {
            VadError::Unreadable {
                path: path.to_owned(),
                message: e.to_string(),
            }
        })?;
        SileroVad::from_tensors(tensors)
    }

    /// The 16 kHz initializers of `silero_vad_op18_ifless.onnx` (read with a minimal protobuf
    /// walker: top-level float initializers only, which is where that graph keeps them).
    pub fn load_onnx(path: &Path) -> Result<SileroVad, VadError> {
        let unreadable = |message: String| VadError::Unreadable {
            path: path.to_owned(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        let wanted: Vec<&str> = TENSORS.iter().map(|t| t.1).collect();
        let mut tensors = HashMap::new();
        for (name, dims, data) in onnx::float_initializers(&bytes, &wanted).map_err(unreadable)? {
            tensors.insert(name, Tensor::from_vec(data, dims, &Device::Cpu)?);
        }
        SileroVad::from_tensors(tensors)
    }

    /// From named tensors (either naming of the module docs' table).
    pub fn from_tensors(mut tensors: HashMap<String, Tensor>) -> Result<SileroVad, VadError> {
        let device = Device::Cpu;
        let mut take = |i: usize| -> Result<Tensor, VadError> {
            let (name, onnx_name, shape) = TENSORS[i];
            let t = tensors
                .remove(name)
                .or_else(|| tensors.remove(onnx_name))
                .ok_or(VadError::MissingTensor(name))?;
            if t.dims() != shape {
                return Err(VadError::Shape {
                    name,
                    expected: shape,
                    got: t.dims().to_vec(),
                });
            }
            Ok(t.to_device(&device)?.to_dtype(DType::F32)?)
        };
        let stft = take(0)?;
        let stft_basis_t = stft.reshape((2 * BINS, N_FFT))?.t()?.contiguous()?;
        let mut conv = |w: usize, stride: usize| -> Result<Conv, VadError> {
            let weight = take(w)?;
            let bias = take(w + 1)?;
            let out = bias.dims1()?;
            Ok(Conv {
                weight,
                bias: bias.reshape((1, out, 1))?,
                stride,
            })
        };
        let encoder = [conv(1, 1)?, conv(3, 2)?, conv(5, 2)?, conv(7, 1)?];
        let w_ih_t = take(9)?.t()?.contiguous()?;
        let w_hh = take(10)?.flatten_all()?.to_vec1::<f32>()?;
        let b_ih = take(11)?.reshape((1, GATES))?;
        let b_hh = take(12)?.to_vec1::<f32>()?;
        let head_w = take(13)?.flatten_all()?.to_vec1::<f32>()?;
        let head_b = take(14)?.to_vec1::<f32>()?[0];
        Ok(SileroVad {
            device,
            stft_basis_t,
            encoder,
            w_ih_t,
            b_ih,
            w_hh,
            b_hh,
            head_w,
            head_b,
        })
    }

    pub fn new_state(&self) -> VadState {
        VadState::default()
    }

    /// Speech probability of the next 512 samples (16 kHz, in [-1, 1]) of a stream; updates
    /// the stream's state like one call of silero's model does.
    pub fn probability(&self, state: &mut VadState, chunk: &[f32]) -> Result<f32, VadError> {
        if chunk.len() != CHUNK_SAMPLES {
            return Err(VadError::ChunkLength(chunk.len()));
        }
        let mut window = [0f32; WINDOW];
        window[..CONTEXT_SAMPLES].copy_from_slice(&state.context);
        window[CONTEXT_SAMPLES..].copy_from_slice(chunk);
        let gx = self.input_gates(&window, 1)?;
        let p = self.lstm_step(&gx, &mut state.h, &mut state.c);
        state
            .context
            .copy_from_slice(&chunk[CHUNK_SAMPLES - CONTEXT_SAMPLES..]);
        Ok(p)
    }

    /// One probability per 512-sample chunk of a whole recording (16 kHz, in [-1, 1]), the last
    /// chunk zero-padded, from a fresh state: silero's `audio_forward` / the loop of
    /// `get_speech_timestamps`. Same values as [`SileroVad::probability`] chunk by chunk, but
    /// the convolutions run batched.
    pub fn probabilities(&self, samples_16k: &[f32]) -> Result<Vec<f32>, VadError> {
        let chunks = samples_16k.len().div_ceil(CHUNK_SAMPLES);
        // [64 zeros][samples][zeros to a whole chunk]: chunk i's window starts at i * 512.
        let mut padded = vec![0f32; CONTEXT_SAMPLES + chunks * CHUNK_SAMPLES];
        padded[CONTEXT_SAMPLES..CONTEXT_SAMPLES + samples_16k.len()].copy_from_slice(samples_16k);
        let mut state = VadState::default();
        let mut probs = Vec::with_capacity(chunks);
        let mut windows = Vec::with_capacity(BATCH_CHUNKS.min(chunks) * WINDOW);
        for first in (0..chunks).step_by(BATCH_CHUNKS) {
            let n = BATCH_CHUNKS.min(chunks - first);
            windows.clear();
            for i in first..first + n {
                let at = i * CHUNK_SAMPLES;
                windows.extend_from_slice(&padded[at..at + WINDOW]);
            }
            let gx = self.input_gates(&windows, n)?;
            for g in gx.chunks_exact(GATES) {
                probs.push(self.lstm_step(g, &mut state.h, &mut state.c));
            }
        }
        Ok(probs)
    }

    /// STFT magnitude → encoder → `x @ weight_ihᵀ + bias_ih` for `n` windows of 576 samples:
    /// n × 512 values.
    fn input_gates(&self, windows: &[f32], n: usize) -> Result<Vec<f32>, VadError> {
        debug_assert_eq!(windows.len(), n * WINDOW);
        // Frames of the reflect-padded window: padded[576 + j] = window[574 - j].
        let mut frames = vec![0f32; n * FRAMES * N_FFT];
        for (w, out) in windows
            .chunks_exact(WINDOW)
            .zip(frames.chunks_exact_mut(FRAMES * N_FFT))
        {
            for (t, frame) in out.chunks_exact_mut(N_FFT).enumerate() {
                for (k, v) in frame.iter_mut().enumerate() {
                    let idx = t * HOP + k;
                    *v = if idx < WINDOW {
                        w[idx]
                    } else {
                        w[2 * (WINDOW - 1) - idx]
                    };
                }
            }
        }
        let frames = Tensor::from_vec(frames, (n * FRAMES, N_FFT), &self.device)?;
        let spec = frames.matmul(&self.stft_basis_t)?; // (n*4, 258)
        let re = spec.narrow(1, 0, BINS)?;
        let im = spec.narrow(1, BINS, BINS)?;
        let mag = (re.sqr()? + im.sqr()?)?.sqrt()?; // (n*4, 129)
        let mut x = mag
            .reshape((n, FRAMES, BINS))?
            .transpose(1, 2)?
            .contiguous()?; // (n, 129, 4)
        for conv in &self.encoder {
            x = x
                .conv1d(&conv.weight, 1, conv.stride, 1, 1)?
                .broadcast_add(&conv.bias)?
                .relu()?;
        }
        // (n, 128, 1): the one time step left.
        let x = x.reshape((n, HIDDEN))?;
        let gx = x.matmul(&self.w_ih_t)?.broadcast_add(&self.b_ih)?;
        Ok(gx.flatten_all()?.to_vec1::<f32>()?)
    }

    /// One LSTMCell step from the input gates `gx` (512), then the head: the probability.
    fn lstm_step(&self, gx: &[f32], h: &mut [f32; HIDDEN], c: &mut [f32; HIDDEN]) -> f32 {
        let mut gates = [0f32; GATES];
        for (j, g) in gates.iter_mut().enumerate() {
            let row = &self.w_hh[j * HIDDEN..(j + 1) * HIDDEN];
            *g = gx[j] + (dot(row, h) + self.b_hh[j]);
        }
        for k in 0..HIDDEN {
            let i = sigmoid(gates[k]);
            let f = sigmoid(gates[HIDDEN + k]);
            let g = gates[2 * HIDDEN + k].tanh();
            let o = sigmoid(gates[3 * HIDDEN + k]);
            c[k] = f * c[k] + i * g;
            h[k] = o * c[k].tanh();
        }
        let logit: f32 = h
            .iter()
            .zip(&self.head_w)
            .map(|(h, w)| h.max(0.0) * w)
            .sum::<f32>()
            + self.head_b;
        sigmoid(logit)
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Dot product with 8 independent accumulators, so it vectorises.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Parameters of silero's `get_speech_timestamps` (16 kHz), with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct VadParams {
    /// Probabilities at or above this start (or continue) speech.
    pub threshold: f64,
    /// In speech, probabilities below this are silence; `None`: `max(threshold - 0.15, 0.01)`.
    pub neg_threshold: Option<f64>,
    /// Segments not longer than this are dropped.
    pub min_speech_duration_ms: u32,
    /// Segments are cut before reaching this length (infinite by default).
    pub max_speech_duration_s: f64,
    /// Silence needed to end a segment.
    pub min_silence_duration_ms: u32,
    /// Padding added on each side of a segment.
    pub speech_pad_ms: u32,
    /// Silences longer than this are candidate cut points when a segment hits the maximum.
    pub min_silence_at_max_speech_ms: u32,
    /// At the maximum, cut at the longest candidate silence (else at the last one).
    pub use_max_poss_sil_at_max_speech: bool,
}

impl VadParams {
    /// The probability below which speech turns to silence (`neg_threshold` as silero
    /// resolves it).
    pub fn silence_threshold(&self) -> f64 {
        self.neg_threshold
            .unwrap_or_else(|| (self.threshold - 0.15).max(0.01))
    }
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams {
            threshold: 0.5,
            neg_threshold: None,
            min_speech_duration_ms: 250,
            max_speech_duration_s: f64::INFINITY,
            min_silence_duration_ms: 100,
            speech_pad_ms: 30,
            min_silence_at_max_speech_ms: 98,
            use_max_poss_sil_at_max_speech: true,
        }
    }
}

/// Speech segments `(start, end)` in samples (16 kHz, end exclusive) from per-chunk
/// probabilities, the audio taken as `probs.len() * 512` samples long.
pub fn speech_segments(probs: &[f32], params: &VadParams) -> Vec<(usize, usize)> {
    speech_segments_with_length(probs, probs.len() * CHUNK_SAMPLES, params)
}

/// [`speech_segments`] for audio of `audio_length_samples` samples (the last segment ends
/// there at most), as `get_speech_timestamps` calls it. A line-by-line port of silero-vad
/// 6.2.3's `get_speech_timestamps_from_probs` (16 kHz, `return_seconds=False`, `step=1`),
/// including its max-speech splitting; positions are integers and durations compared as `f64`,
/// as in Python.
pub fn speech_segments_with_length(
    probs: &[f32],
    audio_length_samples: usize,
    params: &VadParams,
) -> Vec<(usize, usize)> {
    let sr = f64::from(SAMPLE_RATE);
    let window = CHUNK_SAMPLES as i64;
    let audio_len = audio_length_samples as i64;
    let threshold = params.threshold;
    let neg_threshold = params.silence_threshold();
    let min_speech_samples = sr * f64::from(params.min_speech_duration_ms) / 1000.0;
    let speech_pad_samples = sr * f64::from(params.speech_pad_ms) / 1000.0;
    let max_speech_samples =
        sr * params.max_speech_duration_s - window as f64 - 2.0 * speech_pad_samples;
    let min_silence_samples = sr * f64::from(params.min_silence_duration_ms) / 1000.0;
    let min_silence_samples_at_max_speech =
        sr * f64::from(params.min_silence_at_max_speech_ms) / 1000.0;
    let use_max_poss = params.use_max_poss_sil_at_max_speech;

    let mut triggered = false;
    let mut speeches: Vec<(i64, i64)> = Vec::new();
    // Python's `current_speech` dict: Some(start) while it has a 'start'.
    let mut current: Option<i64> = None;
    // 0 means "unset", as the Python's truthiness tests do.
    let (mut temp_end, mut prev_end, mut next_start) = (0i64, 0i64, 0i64);
    let mut possible_ends: Vec<(i64, i64)> = Vec::new();

    for (i, &p) in probs.iter().enumerate() {
        let p = f64::from(p);
        let cur = window * i as i64;

        // Speech returns after a temp_end: record the silence if long enough.
        if p >= threshold && temp_end != 0 {
            let sil_dur = cur - temp_end;
            if sil_dur as f64 > min_silence_samples_at_max_speech {
                possible_ends.push((temp_end, sil_dur));
            }
            temp_end = 0;
            if next_start < prev_end {
                next_start = cur;
            }
        }

        // Start of speech.
        if p >= threshold && !triggered {
            triggered = true;
            current = Some(cur);
            continue;
        }

        // Maximum speech length reached: decide where to cut.
        if let (true, Some(start)) = (triggered, current) {
            if (cur - start) as f64 > max_speech_samples {
                if use_max_poss && !possible_ends.is_empty() {
                    // Python's max() keeps the first of equal durations.
                    let mut best = possible_ends[0];
                    for &e in &possible_ends[1..] {
                        if e.1 > best.1 {
                            best = e;
                        }
                    }
                    let (end, dur) = best;
                    prev_end = end;
                    speeches.push((start, prev_end));
                    current = None;
                    next_start = prev_end + dur;
                    if next_start < prev_end + cur {
                        current = Some(next_start);
                    } else {
                        triggered = false;
                    }
                    prev_end = 0;
                    next_start = 0;
                    temp_end = 0;
                    possible_ends.clear();
                } else if prev_end != 0 {
                    speeches.push((start, prev_end));
                    current = None;
                    if next_start < prev_end {
                        triggered = false;
                    } else {
                        current = Some(next_start);
                    }
                    prev_end = 0;
                    next_start = 0;
                    temp_end = 0;
                    possible_ends.clear();
                } else {
                    speeches.push((start, cur));
                    current = None;
                    prev_end = 0;
                    next_start = 0;
                    temp_end = 0;
                    triggered = false;
                    possible_ends.clear();
                    continue;
                }
            }
        }

        // Silence while in speech.
        if p < neg_threshold && triggered {
            if temp_end == 0 {
                temp_end = cur;
            }
            let sil_dur_now = cur - temp_end;
            if !use_max_poss && sil_dur_now as f64 > min_silence_samples_at_max_speech {
                prev_end = temp_end;
            }
            if (sil_dur_now as f64) < min_silence_samples {
                continue;
            }
            if let Some(start) = current.take() {
                if (temp_end - start) as f64 > min_speech_samples {
                    speeches.push((start, temp_end));
                }
            }
            prev_end = 0;
            next_start = 0;
            temp_end = 0;
            triggered = false;
            possible_ends.clear();
            continue;
        }
    }

    if let Some(start) = current {
        if (audio_len - start) as f64 > min_speech_samples {
            speeches.push((start, audio_len));
        }
    }

    // Padding: split short gaps in half, pad the rest, clamp to the audio.
    let n = speeches.len();
    for i in 0..n {
        if i == 0 {
            speeches[0].0 = (speeches[0].0 as f64 - speech_pad_samples).max(0.0) as i64;
        }
        if i != n - 1 {
            let silence = speeches[i + 1].0 - speeches[i].1;
            if (silence as f64) < 2.0 * speech_pad_samples {
                let half = silence.div_euclid(2);
                speeches[i].1 += half;
                speeches[i + 1].0 = (speeches[i + 1].0 - half).max(0);
            } else {
                speeches[i].1 =
                    (audio_len as f64).min(speeches[i].1 as f64 + speech_pad_samples) as i64;
                speeches[i + 1].0 = (speeches[i + 1].0 as f64 - speech_pad_samples).max(0.0) as i64;
            }
        } else {
            speeches[i].1 =
                (audio_len as f64).min(speeches[i].1 as f64 + speech_pad_samples) as i64;
        }
    }
    speeches
        .into_iter()
        .map(|(s, e)| (s.max(0) as usize, e.max(0) as usize))
        .collect()
}

/// Just enough protobuf to read an ONNX model's top-level float initializers.
mod onnx {
    /// (name, dims, values)
    pub(super) type Initializer = (String, Vec<usize>, Vec<f32>);

    enum Value<'a> {
        Varint(u64),
        Fixed64,
        Bytes(&'a [u8]),
        Fixed32(u32),
    }

    struct Fields<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl<'a> Fields<'a> {
        fn new(buf: &'a [u8]) -> Self {
            Fields { buf, pos: 0 }
        }

        fn varint(&mut self) -> Result<u64, String> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
                self.pos += 1;
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("varint too long".into())
        }

        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
            let end = end.ok_or("truncated field")?;
            let s = &self.buf[self.pos..end];
            self.pos = end;
            Ok(s)
        }

        fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, String> {
            if self.pos >= self.buf.len() {
                return Ok(None);
            }
            let key = self.varint()?;
            let value = match key & 7 {
                0 => Value::Varint(self.varint()?),
                1 => {
                    self.take(8)?;
                    Value::Fixed64
                }
                2 => {
                    let n = usize::try_from(self.varint()?).map_err(|e| e.to_string())?;
                    Value::Bytes(self.take(n)?)
                }
                5 => {
                    let b = self.take(4)?;
                    Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                }
                w => return Err(format!("unsupported protobuf wire type {w}")),
            };
            Ok(Some((key >> 3, value)))
        }
    }

    const MODEL_GRAPH: u64 = 7;
    const GRAPH_INITIALIZER: u64 = 5;
    const TENSOR_DIMS: u64 = 1;
    const TENSOR_DATA_TYPE: u64 = 2;
    const TENSOR_FLOAT_DATA: u64 = 4;
    const TENSOR_NAME: u64 = 8;
    const TENSOR_RAW_DATA: u64 = 9;
    const TENSOR_DATA_LOCATION: u64 = 14;
    const FLOAT: u64 = 1;

    /// (name, dims, values) of the float initializers named in `wanted`.
    pub(super) fn float_initializers(
        model: &[u8],
        wanted: &[&str],
    ) -> Result<Vec<Initializer>, String> {
        let mut out = Vec::new();
        let mut fields = Fields::new(model);
        while let Some((field, value)) = fields.next()? {
            let (MODEL_GRAPH, Value::Bytes(graph)) = (field, value) else {
                continue;
            };
            let mut graph = Fields::new(graph);
            while let Some((field, value)) = graph.next()? {
                if let (GRAPH_INITIALIZER, Value::Bytes(t)) = (field, value) {
                    if let Some(t) = tensor(t, wanted)? {
                        out.push(t);
                    }
                }
            }
        }
        Ok(out)
    }

    fn tensor(bytes: &[u8], wanted: &[&str]) -> Result<Option<Initializer>, String> {
        let (mut name, mut dims, mut data_type) = (String::new(), Vec::new(), 0);
        let (mut raw, mut floats, mut external) = (None, Vec::new(), false);
        let mut fields = Fields::new(bytes);
        while let Some((field, value)) = fields.next()? {
            match (field, value) {
                (TENSOR_DIMS, Value::Varint(d)) => dims.push(d as usize),
                (TENSOR_DIMS, Value::Bytes(packed)) => {
                    let mut p = Fields::new(packed);
                    while p.pos < packed.len() {
                        dims.push(p.varint()? as usize);
                    }
                }
                (TENSOR_DATA_TYPE, Value::Varint(t)) => data_type = t,
                (TENSOR_FLOAT_DATA, Value::Fixed32(bits)) => floats.push(f32::from_bits(bits)),
                (TENSOR_FLOAT_DATA, Value::Bytes(packed)) => floats.extend(le_f32(packed)?),
                (TENSOR_NAME, Value::Bytes(n)) => {
                    name = String::from_utf8(n.to_vec()).map_err(|e| e.to_string())?
                }
                (TENSOR_RAW_DATA, Value::Bytes(r)) => raw = Some(r),
                (TENSOR_DATA_LOCATION, Value::Varint(1)) => external = true,
                _ => {}
            }
        }
        if !wanted.contains(&name.as_str()) || data_type != FLOAT {
            return Ok(None);
        }
        if external {
            return Err(format!("initializer {name} is stored outside the file"));
        }
        let values = match raw {
            Some(r) => le_f32(r)?,
            None => floats,
        };
        if values.len() != dims.iter().product::<usize>() {
            return Err(format!(
                "initializer {name}: {} values for dims {dims:?}",
                values.len()
            ));
        }
        Ok(Some((name, dims, values)))
    }

    fn le_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
        if !bytes.len().is_multiple_of(4) {
            return Err("float data not a multiple of 4 bytes".into());
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_and_state_are_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<SileroVad>();
        check::<VadState>();
    }

    #[test]
    fn reflect_padding_indices_match_onnx_pad() {
        // padded[576 + j] = window[574 - j], j = 0..64
        assert_eq!(2 * (WINDOW - 1) - WINDOW, 574);
        assert_eq!(2 * (WINDOW - 1) - (WINDOW + REFLECT_PAD - 1), 511);
        assert_eq!(FRAMES, 4);
        assert_eq!((FRAMES - 1) * HOP + N_FFT, WINDOW + REFLECT_PAD);
    }

    #[test]
    fn segments_of_a_simple_burst() {
        // 10 chunks of silence, 20 of speech, 10 of silence.
        let mut probs = vec![0.01f32; 10];
        probs.extend(vec![0.9f32; 20]);
        probs.extend(vec![0.01f32; 10]);
        let segs = speech_segments(&probs, &VadParams::default());
        // start 10*512 - 480 pad; end 30*512 + 480 pad
        assert_eq!(segs, vec![(10 * 512 - 480, 30 * 512 + 480)]);
        assert!(speech_segments(&[], &VadParams::default()).is_empty());
    }
}
