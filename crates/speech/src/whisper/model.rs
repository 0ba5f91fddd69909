//! The Whisper network on candle, following openai/whisper `model.py` (AudioEncoder,
//! TextDecoder, ResidualAttentionBlock) with weights read from a CTranslate2 file.
//!
//! Tensor-name map (CTranslate2 `WhisperSpec` → this module):
//! - `encoder/conv{1,2}/{weight,bias}` → `conv1`, `conv2`
//! - `encoder/position_encodings/encodings` → encoder positional table (CT2 stores the
//!   sinusoids, so we do not recompute them)
//! - `{encoder,decoder}/layer_N/self_attention/linear_0` → fused q|k|v rows, split in three;
//!   `…/linear_1` → output projection; `…/layer_norm/{gamma,beta}` → pre-attention norm
//! - `decoder/layer_N/attention/linear_0` → cross-attention query, `linear_1` → fused k|v of
//!   the audio features, `linear_2` → output; `attention/layer_norm` → its pre-norm
//! - `…/ffn/linear_{0,1}` → MLP, `…/ffn/layer_norm` → its pre-norm
//! - `{encoder,decoder}/layer_norm` → final norms; `decoder/embeddings/weight` → token
//!   embedding, also the output projection (`decoder/projection/weight` is an alias)
//!
//! Unlike the reference, weights are immutable and shared (`Arc<WhisperWeights>`): every
//! transcription owns its own [`DecoderState`] (self-attention cache + cross-attention keys
//! and values), so many sessions can run on one copy of the model.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{LayerNorm, Linear};

use super::ct2::Ct2Model;
use super::WhisperError;

type CResult<T> = candle_core::Result<T>;

struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
}

struct Block {
    attn_ln: LayerNorm,
    attn: Attention,
    cross: Option<(LayerNorm, Attention)>,
    mlp_ln: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

pub struct Dims {
    pub n_mels: usize,
    pub n_state: usize,
    pub n_head: usize,
    pub n_audio_ctx: usize,
    pub n_text_ctx: usize,
    pub n_vocab: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
}

pub struct WhisperWeights {
    pub dims: Dims,
    conv1: (Tensor, Tensor),
    conv2: (Tensor, Tensor),
    encoder_positions: Tensor,
    encoder_blocks: Vec<Block>,
    encoder_ln: LayerNorm,
    token_embedding: Tensor,
    decoder_positions: Tensor,
    decoder_blocks: Vec<Block>,
    decoder_ln: LayerNorm,
    device: Device,
}

struct Loader<'a> {
    model: &'a Ct2Model,
    device: &'a Device,
}

impl Loader<'_> {
    fn tensor(&self, name: &str) -> Result<Tensor, WhisperError> {
        let (dims, values) = self.model.floats(name)?;
        Ok(Tensor::from_vec(values, dims, self.device)?)
    }
    fn norm(&self, prefix: &str) -> Result<LayerNorm, WhisperError> {
        Ok(LayerNorm::new(
            self.tensor(&format!("{prefix}/gamma"))?,
            self.tensor(&format!("{prefix}/beta"))?,
            1e-5,
        ))
    }
    fn linear(&self, prefix: &str) -> Result<Linear, WhisperError> {
        Ok(Linear::new(
            self.tensor(&format!("{prefix}/weight"))?,
            Some(self.tensor(&format!("{prefix}/bias"))?),
        ))
    }
    /// Splits a fused projection (rows stacked) into `parts` linears.
    fn fused(&self, prefix: &str, parts: usize) -> Result<Vec<Linear>, WhisperError> {
        let w = self.tensor(&format!("{prefix}/weight"))?;
        let b = self.tensor(&format!("{prefix}/bias"))?;
        let rows = w.dim(0)? / parts;
        (0..parts)
            .map(|i| {
                Ok(Linear::new(
                    w.narrow(0, i * rows, rows)?.contiguous()?,
                    Some(b.narrow(0, i * rows, rows)?.contiguous()?),
                ))
            })
            .collect()
    }
    fn self_attention(&self, prefix: &str) -> Result<(LayerNorm, Attention), WhisperError> {
        let mut qkv = self.fused(&format!("{prefix}/linear_0"), 3)?.into_iter();
        let (query, key, value) = (
            qkv.next().expect("3 parts"),
            qkv.next().expect("3 parts"),
            qkv.next().expect("3 parts"),
        );
        let out = self.linear(&format!("{prefix}/linear_1"))?;
        Ok((
            self.norm(&format!("{prefix}/layer_norm"))?,
            Attention {
                query,
                key,
                value,
                out,
            },
        ))
    }
    fn cross_attention(&self, prefix: &str) -> Result<(LayerNorm, Attention), WhisperError> {
        let query = self.linear(&format!("{prefix}/linear_0"))?;
        let mut kv = self.fused(&format!("{prefix}/linear_1"), 2)?.into_iter();
        let (key, value) = (kv.next().expect("2 parts"), kv.next().expect("2 parts"));
        let out = self.linear(&format!("{prefix}/linear_2"))?;
        Ok((
            self.norm(&format!("{prefix}/layer_norm"))?,
            Attention {
                query,
                key,
                value,
                out,
            },
        ))
    }
    fn block(&self, prefix: &str, cross: bool) -> Result<Block, WhisperError> {
        let (attn_ln, attn) = self.self_attention(&format!("{prefix}/self_attention"))?;
        let cross = if cross {
            Some(self.cross_attention(&format!("{prefix}/attention"))?)
        } else {
            None
        };
        Ok(Block {
            attn_ln,
            attn,
            cross,
            mlp_ln: self.norm(&format!("{prefix}/ffn/layer_norm"))?,
            fc1: self.linear(&format!("{prefix}/ffn/linear_0"))?,
            fc2: self.linear(&format!("{prefix}/ffn/linear_1"))?,
        })
    }
}

/// `[b, t, h*d] → [b, h, t, d]`
fn split_heads(x: &Tensor, n_head: usize) -> CResult<Tensor> {
    let (b, t, c) = x.dims3()?;
    x.reshape((b, t, n_head, c / n_head))?
        .transpose(1, 2)?
        .contiguous()
}

/// `[b, h, t, d] → [b, t, h*d]`
fn merge_heads(x: &Tensor) -> CResult<Tensor> {
    let (b, h, t, d) = x.dims4()?;
    x.transpose(1, 2)?.reshape((b, t, h * d))
}

fn attend(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> CResult<Tensor> {
    let d = q.dim(D::Minus1)?;
    let scores = (q.matmul(&k.t()?)? * (1.0 / (d as f64).sqrt()))?;
    let scores = match mask {
        Some(m) => scores.broadcast_add(m)?,
        None => scores,
    };
    candle_nn::ops::softmax_last_dim(&scores)?.matmul(v)
}

fn mlp(block: &Block, x: &Tensor) -> CResult<Tensor> {
    let h = block.fc1.forward(&block.mlp_ln.forward(x)?)?.gelu_erf()?;
    block.fc2.forward(&h)
}

/// One layer's cached keys and values, `[1, heads, t, d]`.
#[derive(Clone)]
struct KeyValue {
    key: Tensor,
    value: Tensor,
}

/// Per-transcription decoder state: the audio's cross-attention keys/values (computed once
/// per 30 s window) and the growing self-attention cache. Cloning is cheap (tensors share
/// storage), which is how beam search forks hypotheses.
#[derive(Clone)]
pub struct DecoderState {
    cross: Vec<KeyValue>,
    cache: Vec<Option<KeyValue>>,
    pub position: usize,
}

impl DecoderState {
    pub fn fork(other: &Self) -> Self {
        other.clone()
    }
}

impl WhisperWeights {
    pub fn load(model: &Ct2Model, device: &Device) -> Result<Self, WhisperError> {
        if !model.spec.starts_with("WhisperSpec") {
            return Err(WhisperError::BadModel(format!(
                "model.bin holds a {} model, not Whisper",
                model.spec
            )));
        }
        let l = Loader { model, device };
        let encoder_layers = model.layer_count("encoder");
        let decoder_layers = model.layer_count("decoder");
        let conv1 = (
            l.tensor("encoder/conv1/weight")?,
            l.tensor("encoder/conv1/bias")?,
        );
        let conv2 = (
            l.tensor("encoder/conv2/weight")?,
            l.tensor("encoder/conv2/bias")?,
        );
        let encoder_positions = l.tensor("encoder/position_encodings/encodings")?;
        let decoder_positions = l.tensor("decoder/position_encodings/encodings")?;
        let token_embedding = l.tensor("decoder/embeddings/weight")?;
        let n_head = model.scalar("encoder/num_heads").unwrap_or(8) as usize;
        let dims = Dims {
            n_mels: conv1.0.dim(1)?,
            n_state: conv1.0.dim(0)?,
            n_head,
            n_audio_ctx: encoder_positions.dim(0)?,
            n_text_ctx: decoder_positions.dim(0)?,
            n_vocab: token_embedding.dim(0)?,
            encoder_layers,
            decoder_layers,
        };
        if encoder_layers == 0 || decoder_layers == 0 {
            return Err(WhisperError::BadModel("model.bin has no layers".into()));
        }
        Ok(Self {
            conv1,
            conv2,
            encoder_positions,
            encoder_blocks: (0..encoder_layers)
                .map(|i| l.block(&format!("encoder/layer_{i}"), false))
                .collect::<Result<_, _>>()?,
            encoder_ln: l.norm("encoder/layer_norm")?,
            token_embedding,
            decoder_positions,
            decoder_blocks: (0..decoder_layers)
                .map(|i| l.block(&format!("decoder/layer_{i}"), true))
                .collect::<Result<_, _>>()?,
            decoder_ln: l.norm("decoder/layer_norm")?,
            dims,
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `mel`: `[1, n_mels, 3000]` → audio features `[1, 1500, n_state]`.
    pub fn encode(&self, mel: &Tensor) -> CResult<Tensor> {
        let conv = |x: &Tensor, (w, b): &(Tensor, Tensor), stride| -> CResult<Tensor> {
            x.conv1d(w, 1, stride, 1, 1)?
                .broadcast_add(&b.reshape((1, (), 1))?)?
                .gelu_erf()
        };
        let x = conv(mel, &self.conv1, 1)?;
        let x = conv(&x, &self.conv2, 2)?.transpose(1, 2)?;
        let t = x.dim(1)?;
        let mut x = x.broadcast_add(&self.encoder_positions.narrow(0, 0, t)?)?;
        let h = self.dims.n_head;
        for block in &self.encoder_blocks {
            let a = block.attn_ln.forward(&x)?;
            let q = split_heads(&block.attn.query.forward(&a)?, h)?;
            let k = split_heads(&block.attn.key.forward(&a)?, h)?;
            let v = split_heads(&block.attn.value.forward(&a)?, h)?;
            let a = block
                .attn
                .out
                .forward(&merge_heads(&attend(&q, &k, &v, None)?)?)?;
            x = (x + a)?;
            x = (&x + mlp(block, &x)?)?;
        }
        self.encoder_ln.forward(&x)
    }

    /// Prepares decoding against one window's audio features.
    pub fn start(&self, audio: &Tensor) -> CResult<DecoderState> {
        let h = self.dims.n_head;
        let cross = self
            .decoder_blocks
            .iter()
            .map(|block| {
                let (_, attn) = block
                    .cross
                    .as_ref()
                    .expect("decoder blocks attend to audio");
                Ok(KeyValue {
                    key: split_heads(&attn.key.forward(audio)?, h)?,
                    value: split_heads(&attn.value.forward(audio)?, h)?,
                })
            })
            .collect::<CResult<Vec<_>>>()?;
        Ok(DecoderState {
            cross,
            cache: vec![None; self.decoder_blocks.len()],
            position: 0,
        })
    }

    /// Feeds `tokens` after what the state has seen; returns the logits of the last one,
    /// `[n_vocab]`, and the softmax of the first fed position when `want_first` (used for
    /// the no-speech probability at the start-of-transcript position).
    pub fn step(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        first_logits_at: Option<usize>,
    ) -> CResult<(Tensor, Option<Tensor>)> {
        let x = self.decode(state, tokens, &mut [])?;
        let n = tokens.len();
        let project = |row: usize| -> CResult<Tensor> {
            // [vocab, state] · [state, 1]: the embedding stays in its stored row-major
            // layout (a matrix-vector product), instead of multiplying by its transpose.
            self.token_embedding
                .matmul(&x.narrow(0, row, 1)?.t()?.contiguous()?)?
                .squeeze(1)?
                .to_dtype(DType::F32)
        };
        let last = project(n - 1)?;
        let first = match first_logits_at {
            Some(row) if row < n => Some(project(row)?),
            _ => None,
        };
        Ok((last, first))
    }

    /// Forced alignment pass (openai/whisper `timing.find_alignment`): feeds all of `tokens`
    /// from a fresh state and returns the cross-attention scores before softmax of the
    /// `heads` (`(layer, head)` pairs, config.json's `alignment_heads`), `[heads, tokens,
    /// audio frames]`, with the log-probabilities of every next token, `[tokens, n_vocab]`.
    pub fn align(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        heads: &[(usize, usize)],
    ) -> CResult<(Tensor, Tensor)> {
        let mut captured: Vec<(usize, usize, Option<Tensor>)> =
            heads.iter().map(|&(l, h)| (l, h, None)).collect();
        let x = self.decode(state, tokens, &mut captured)?;
        let scores = captured
            .into_iter()
            .map(|(layer, head, qk)| {
                qk.ok_or_else(|| {
                    candle_core::Error::Msg(format!("no alignment head {head} in layer {layer}"))
                })
            })
            .collect::<CResult<Vec<_>>>()?;
        let logits = x.matmul(&self.token_embedding.t()?)?.to_dtype(DType::F32)?;
        Ok((
            Tensor::stack(&scores, 0)?,
            candle_nn::ops::log_softmax(&logits, D::Minus1)?,
        ))
    }

    /// The decoder stack over `tokens` after what `state` has seen; returns the final
    /// layer-normed hidden states `[tokens, n_state]`. `capture` names (layer, head) pairs
    /// whose cross-attention scores (pre-softmax, `[tokens, frames]`) are filled in.
    fn decode(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        capture: &mut [(usize, usize, Option<Tensor>)],
    ) -> CResult<Tensor> {
        let n = tokens.len();
        if state.position + n > self.dims.n_text_ctx {
            candle_core::bail!(
                "the decoder context of {} tokens is full",
                self.dims.n_text_ctx
            );
        }
        let ids = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = self
            .token_embedding
            .embedding(&ids.squeeze(0)?)?
            .unsqueeze(0)?
            .broadcast_add(&self.decoder_positions.narrow(0, state.position, n)?)?;
        let mask = if n > 1 {
            let past = state.position;
            let m: Vec<f32> = (0..n)
                .flat_map(|i| {
                    (0..past + n).map(move |j| if j > past + i { f32::NEG_INFINITY } else { 0.0 })
                })
                .collect();
            Some(Tensor::from_vec(m, (n, past + n), &self.device)?)
        } else {
            None
        };
        let h = self.dims.n_head;
        for (i, block) in self.decoder_blocks.iter().enumerate() {
            let a = block.attn_ln.forward(&x)?;
            let q = split_heads(&block.attn.query.forward(&a)?, h)?;
            let k = split_heads(&block.attn.key.forward(&a)?, h)?;
            let v = split_heads(&block.attn.value.forward(&a)?, h)?;
            let (k, v) = match &state.cache[i] {
                Some(kv) => (
                    Tensor::cat(&[&kv.key, &k], 2)?,
                    Tensor::cat(&[&kv.value, &v], 2)?,
                ),
                None => (k, v),
            };
            let out = attend(&q, &k, &v, mask.as_ref())?;
            state.cache[i] = Some(KeyValue { key: k, value: v });
            x = (x + block.attn.out.forward(&merge_heads(&out)?)?)?;
            let (ln, cross) = block
                .cross
                .as_ref()
                .expect("decoder blocks attend to audio");
            let q = split_heads(&cross.query.forward(&ln.forward(&x)?)?, h)?;
            let kv = &state.cross[i];
            if capture.iter().any(|(layer, _, _)| *layer == i) {
                let d = q.dim(D::Minus1)?;
                let qk = (q.matmul(&kv.key.t()?)? * (1.0 / (d as f64).sqrt()))?;
                for (_, head, slot) in capture.iter_mut().filter(|(layer, _, _)| *layer == i) {
                    *slot = Some(qk.get(0)?.get(*head)?.to_dtype(DType::F32)?);
                }
            }
            let out = attend(&q, &kv.key, &kv.value, None)?;
            x = (&x + cross.out.forward(&merge_heads(&out)?)?)?;
            x = (&x + mlp(block, &x)?)?;
        }
        state.position += n;
        self.decoder_ln.forward(&x)?.squeeze(0)
    }
}
