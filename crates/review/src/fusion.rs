//! The multimodal fusion Transformer (the seed's "AI评审专家模型"), in candle.
//!
//! Architecture, following the seed's description (per-modality encoders, cross-modal
//! attention fusion, a 4-layer Transformer encoder, two heads) with the layer layout of
//! candle-transformers' pre-norm encoders:
//!
//! - per time step, the camera's three modalities are encoded and summed into one video
//!   token (`enc.expression`, `enc.pose` (2-layer MLP), `enc.gaze`), plus a learned step
//!   position; the pooled log-mel (`enc.mel`, MLP) and the speech metrics (`enc.speech`) are
//!   two audio tokens;
//! - a missing modality (no camera, no microphone — or dropped in training) is replaced by
//!   a learned "absent" token per modality (`absent.video`, `absent.audio`), so the model
//!   degrades gracefully instead of reading zeros as "eyes closed";
//! - cross-modal attention: video tokens attend to the audio tokens (`cross.v2a`) and audio
//!   to video (`cross.a2v`), each residual;
//! - `[CLS]` + 5 video + 2 audio tokens pass a pre-norm Transformer encoder (`layers.N`,
//!   multi-head self-attention + GELU feed-forward);
//! - heads on `[CLS]`: `head.scores` → 5 sigmoid scores × 100, `head.reminders` → one logit
//!   per reminder kind (multi-label).
//!
//! Tensor names in the checkpoint are the VarBuilder paths above.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{layer_norm, linear, LayerNorm, Linear, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::window::{EXPRESSION_DIM, GAZE_DIM, MEL_DIM, POSE_DIM, SPEECH_DIM, STEPS};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FusionConfig {
    pub d_model: usize,
    pub heads: usize,
    pub layers: usize,
    pub feed_forward: usize,
    pub dropout: f32,
    /// The reminder kinds, in head order.
    pub kinds: Vec<String>,
}

impl FusionConfig {
    pub fn new(kinds: Vec<String>) -> Self {
        Self {
            d_model: 96,
            heads: 4,
            layers: 4,
            feed_forward: 192,
            dropout: 0.1,
            kinds,
        }
    }
}

/// One batch of windows as tensors.
pub struct Batch {
    /// [B, 5, 7]
    pub expression: Tensor,
    /// [B, 5, 99]
    pub pose: Tensor,
    /// [B, 5, 5]
    pub gaze: Tensor,
    /// [B, 80]
    pub mel: Tensor,
    /// [B, 8]
    pub speech: Tensor,
    /// [B, 2]: video present, audio present (0 or 1)
    pub present: Tensor,
}

impl Batch {
    /// Checks shapes once, so a malformed input is an error rather than a panic deep in a
    /// matmul.
    pub fn check(&self) -> candle_core::Result<usize> {
        let b = self.expression.dim(0)?;
        let expect = [
            (&self.expression, vec![b, STEPS, EXPRESSION_DIM]),
            (&self.pose, vec![b, STEPS, POSE_DIM]),
            (&self.gaze, vec![b, STEPS, GAZE_DIM]),
            (&self.mel, vec![b, MEL_DIM]),
            (&self.speech, vec![b, SPEECH_DIM]),
            (&self.present, vec![b, 2]),
        ];
        for (tensor, shape) in expect {
            if tensor.dims() != shape.as_slice() {
                candle_core::bail!(
                    "batch tensor of shape {:?}, expected {shape:?}",
                    tensor.dims()
                );
            }
        }
        Ok(b)
    }
}

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    heads: usize,
}

impl Attention {
    fn new(d: usize, heads: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            q: linear(d, d, vb.pp("q"))?,
            k: linear(d, d, vb.pp("k"))?,
            v: linear(d, d, vb.pp("v"))?,
            out: linear(d, d, vb.pp("out"))?,
            heads,
        })
    }

    /// `query` [B, Tq, d] attends to `context` [B, Tk, d].
    fn forward(&self, query: &Tensor, context: &Tensor) -> candle_core::Result<Tensor> {
        let (b, tq, d) = query.dims3()?;
        let tk = context.dim(1)?;
        let dh = d / self.heads;
        let split = |x: Tensor, t: usize| -> candle_core::Result<Tensor> {
            x.reshape((b, t, self.heads, dh))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.q.forward(query)?, tq)?;
        let k = split(self.k.forward(context)?, tk)?;
        let v = split(self.v.forward(context)?, tk)?;
        let scores = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let mixed = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, tq, d))?;
        self.out.forward(&mixed)
    }
}

struct EncoderLayer {
    norm1: LayerNorm,
    attention: Attention,
    norm2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

impl EncoderLayer {
    fn new(c: &FusionConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            norm1: layer_norm(c.d_model, 1e-5, vb.pp("norm1"))?,
            attention: Attention::new(c.d_model, c.heads, vb.pp("attention"))?,
            norm2: layer_norm(c.d_model, 1e-5, vb.pp("norm2"))?,
            ff1: linear(c.d_model, c.feed_forward, vb.pp("ff1"))?,
            ff2: linear(c.feed_forward, c.d_model, vb.pp("ff2"))?,
        })
    }

    fn forward(&self, x: &Tensor, dropout: f32) -> candle_core::Result<Tensor> {
        let h = self.norm1.forward(x)?;
        let x = (x + drop(&self.attention.forward(&h, &h)?, dropout)?)?;
        let h = self.ff1.forward(&self.norm2.forward(&x)?)?.gelu()?;
        &x + drop(&self.ff2.forward(&h)?, dropout)?
    }
}

fn drop(x: &Tensor, p: f32) -> candle_core::Result<Tensor> {
    if p > 0.0 {
        candle_nn::ops::dropout(x, p)
    } else {
        Ok(x.clone())
    }
}

struct Mlp {
    a: Linear,
    b: Linear,
}

impl Mlp {
    fn new(input: usize, d: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            a: linear(input, d, vb.pp("0"))?,
            b: linear(d, d, vb.pp("1"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.b.forward(&self.a.forward(x)?.gelu()?)
    }
}

pub struct FusionModel {
    pub config: FusionConfig,
    expression: Linear,
    pose: Mlp,
    gaze: Linear,
    mel: Mlp,
    speech: Linear,
    step_position: Tensor,
    absent_video: Tensor,
    absent_audio: Tensor,
    audio_type: Tensor,
    cls: Tensor,
    video_to_audio: Attention,
    audio_to_video: Attention,
    cross_norm: LayerNorm,
    layers: Vec<EncoderLayer>,
    final_norm: LayerNorm,
    scores_head: Linear,
    reminders_head: Linear,
}

/// What the model says about a batch.
pub struct Output {
    /// [B, 5] in 0..100
    pub scores: Tensor,
    /// [B, kinds] logits
    pub reminder_logits: Tensor,
}

impl FusionModel {
    pub fn new(config: FusionConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = config.d_model;
        if config.heads == 0 || !d.is_multiple_of(config.heads) {
            candle_core::bail!("d_model {d} is not a multiple of {} heads", config.heads);
        }
        let init = candle_nn::Init::Randn {
            mean: 0.0,
            stdev: 0.02,
        };
        let enc = vb.pp("enc");
        Ok(Self {
            expression: linear(EXPRESSION_DIM, d, enc.pp("expression"))?,
            pose: Mlp::new(POSE_DIM, d, enc.pp("pose"))?,
            gaze: linear(GAZE_DIM, d, enc.pp("gaze"))?,
            mel: Mlp::new(MEL_DIM, d, enc.pp("mel"))?,
            speech: linear(SPEECH_DIM, d, enc.pp("speech"))?,
            step_position: vb.get_with_hints((STEPS, d), "step_position", init)?,
            absent_video: vb.get_with_hints((1, 1, d), "absent.video", init)?,
            absent_audio: vb.get_with_hints((1, 1, d), "absent.audio", init)?,
            audio_type: vb.get_with_hints((2, d), "audio_type", init)?,
            cls: vb.get_with_hints((1, 1, d), "cls", init)?,
            video_to_audio: Attention::new(d, config.heads, vb.pp("cross.v2a"))?,
            audio_to_video: Attention::new(d, config.heads, vb.pp("cross.a2v"))?,
            cross_norm: layer_norm(d, 1e-5, vb.pp("cross.norm"))?,
            layers: (0..config.layers)
                .map(|i| EncoderLayer::new(&config, vb.pp(format!("layers.{i}"))))
                .collect::<candle_core::Result<_>>()?,
            final_norm: layer_norm(d, 1e-5, vb.pp("final_norm"))?,
            scores_head: linear(d, 5, vb.pp("head.scores"))?,
            reminders_head: linear(d, config.kinds.len(), vb.pp("head.reminders"))?,
            config,
        })
    }

    /// `train`: dropout on.
    pub fn forward(&self, batch: &Batch, train: bool) -> candle_core::Result<Output> {
        let b = batch.check()?;
        let d = self.config.d_model;
        let dropout = if train { self.config.dropout } else { 0.0 };
        let video = (self.expression.forward(&batch.expression)?
            + self.pose.forward(&batch.pose)?)?
        .add(&self.gaze.forward(&batch.gaze)?)?
        .broadcast_add(&self.step_position.unsqueeze(0)?)?;
        let audio = Tensor::stack(
            &[
                self.mel.forward(&batch.mel)?,
                self.speech.forward(&batch.speech)?,
            ],
            1,
        )?
        .broadcast_add(&self.audio_type.unsqueeze(0)?)?;
        // Swap absent modalities for their learned placeholders.
        let video_on = batch.present.narrow(1, 0, 1)?.unsqueeze(2)?; // [B,1,1]
        let audio_on = batch.present.narrow(1, 1, 1)?.unsqueeze(2)?;
        let video = blend(&video, &self.absent_video, &video_on)?;
        let audio = blend(&audio, &self.absent_audio, &audio_on)?;

        let nv = self.cross_norm.forward(&video)?;
        let na = self.cross_norm.forward(&audio)?;
        let video = (&video + self.video_to_audio.forward(&nv, &na)?)?;
        let audio = (&audio + self.audio_to_video.forward(&na, &nv)?)?;

        let cls = self.cls.broadcast_as((b, 1, d))?.contiguous()?;
        let mut x = Tensor::cat(&[cls, video, audio], 1)?;
        for layer in &self.layers {
            x = layer.forward(&x, dropout)?;
        }
        let pooled = self.final_norm.forward(&x.narrow(1, 0, 1)?.squeeze(1)?)?;
        let scores = (candle_nn::ops::sigmoid(&self.scores_head.forward(&pooled)?)? * 100.0)?;
        let reminder_logits = self.reminders_head.forward(&pooled)?;
        Ok(Output {
            scores,
            reminder_logits,
        })
    }

    pub fn parameter_count(varmap: &candle_nn::VarMap) -> usize {
        varmap.all_vars().iter().map(|v| v.elem_count()).sum()
    }
}

/// `on` × x + (1 − `on`) × placeholder, per batch row.
fn blend(x: &Tensor, placeholder: &Tensor, on: &Tensor) -> candle_core::Result<Tensor> {
    let off = (1.0 - on)?;
    x.broadcast_mul(on)?
        .broadcast_add(&placeholder.broadcast_mul(&off)?)
}

/// The masked training loss: MSE of the present scores (in units of 100) plus binary
/// cross-entropy of the reminders.
pub fn loss(
    output: &Output,
    target_scores: &Tensor,
    score_mask: &Tensor,
    target_reminders: &Tensor,
) -> candle_core::Result<Tensor> {
    let diff = ((&output.scores - target_scores)? / 100.0)?;
    let squared = (diff.sqr()? * score_mask)?;
    let present = score_mask.sum_all()?.maximum(1.0)?;
    let score_loss = (squared.sum_all()? / present)?;
    score_loss + bce_with_logits(&output.reminder_logits, target_reminders)?
}

/// Binary cross-entropy on logits in the stable form max(x, 0) − x·t + log(1 + e^−|x|)
/// (candle's version takes the log of a sigmoid and overflows on confident logits).
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = ((logits.abs()?.neg()?.exp()? + 1.0)?).log()?;
    (logits.relu()? - (logits * targets)?)?
        .add(&softplus)?
        .mean_all()
}

pub fn device() -> Device {
    Device::Cpu
}

pub const DTYPE: DType = DType::F32;

/// The last dimension's index of the largest value, per row.
pub fn argmax_rows(t: &Tensor) -> candle_core::Result<Vec<u32>> {
    t.argmax(D::Minus1)?.to_vec1::<u32>()
}
