//! BERT encoder (multilingual-e5-small) on candle, following `forward_batch` in e5.c.

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Tensor, D};

use super::format::{Container, DType as FDType, Header, Q4_0_BLOCK_BYTES, QK};
use super::E5Error;

/// How the Q4_0 projection weights (Q/K/V/attention-out/FFN) are held in memory.
///
/// Measured on a 2-core AVX-512 EPYC VM: candle 0.11's Q4_0 kernel is a per-row dot product
/// (~12–15 GFLOP/s on these shapes) while gemm's f32 kernels reach ~70–120 GFLOP/s, so F32
/// is ~1.5× faster for one sentence and ~8× for a batch, at ~70 MB more RSS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    /// Keep the 4-bit blocks and run candle's Q4_0 × Q8_0 kernels (the int8-activation scheme
    /// e5.c uses): ~17 MB of projection weights, ~75 MB RSS in total.
    Q4_0,
    /// Dequantise once at load, exactly (Q4_0 values are representable in f32), and use
    /// candle's f32 GEMM: ~85 MB of projection weights, ~150 MB RSS in total.
    F32,
}

enum Weight {
    Q(QMatMul),
    /// Stored transposed, `[in, out]` contiguous: gemm streams it row-wise, which measured
    /// ~1.7× faster than a transposed view of `[out, in]` for single short sentences.
    F(Tensor),
}

struct Linear {
    w: Weight,
    b: Tensor,
}

impl Linear {
    /// `x`: [tokens, in] contiguous → [tokens, out].
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = match &self.w {
            Weight::Q(q) => q.forward(x)?,
            Weight::F(wt) => x.matmul(wt)?,
        };
        y.broadcast_add(&self.b)
    }
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    attn_ln: (Tensor, Tensor),
    ffn_in: Linear,
    ffn_out: Linear,
    out_ln: (Tensor, Tensor),
}

pub(crate) struct Bert {
    word: QTensor,
    /// Position rows with token-type row 0 already added: e5.c adds `pos[i] + type[i]` as one
    /// f32 sum before adding it to the word row, so pre-adding keeps the arithmetic identical.
    pos_type: Tensor,
    emb_ln: (Tensor, Tensor),
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    eps: f32,
    pub max_pos: usize,
}

fn q4_tensor(bytes: &[u8], rows: usize, cols: usize) -> Result<QTensor, E5Error> {
    debug_assert_eq!(bytes.len(), rows * cols / QK * Q4_0_BLOCK_BYTES);
    // candle reinterprets the bytes as `BlockQ4_0` (align 2, for its f16 scale) and panics
    // on misalignment. Vec<u8> from the system allocator is in practice 16-aligned, but that
    // is not a guarantee, so fall back to a u16-backed copy (from_data copies anyway).
    let words: Vec<u16>;
    let aligned: &[u8] = if (bytes.as_ptr() as usize).is_multiple_of(2) {
        bytes
    } else {
        words = bytes
            .chunks(2)
            .map(|c| u16::from_ne_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        // SAFETY: a u16 slice viewed as its first `bytes.len()` bytes.
        unsafe { std::slice::from_raw_parts(words.as_ptr() as *const u8, bytes.len()) }
    };
    let storage = QStorage::from_data(Cow::Borrowed(aligned), &Device::Cpu, GgmlDType::Q4_0)?;
    Ok(QTensor::new(storage, (rows, cols))?)
}

impl Bert {
    pub fn load(c: &mut Container, fmt: WeightFormat) -> Result<Self, E5Error> {
        let Header {
            hidden: h,
            layers: nl,
            heads,
            ffn,
            vocab,
            max_pos,
            type_vocab,
            eps,
        } = c.header;
        let dev = Device::Cpu;
        let vec1 = |v: Vec<f32>| {
            let n = v.len();
            Tensor::from_vec(v, n, &dev)
        };

        let word = q4_tensor(&c.read("emb.word", FDType::Q4_0, vocab * h)?, vocab, h)?;
        let pos = c.read_f32("emb.pos", max_pos * h)?;
        let typ = c.read_f32("emb.type", type_vocab * h)?;
        let pos_type: Vec<f32> = pos
            .iter()
            .enumerate()
            .map(|(i, p)| p + typ[i % h])
            .collect();
        let pos_type = Tensor::from_vec(pos_type, (max_pos, h), &dev)?;
        let emb_ln = (
            vec1(c.read_f32("emb.ln.w", h)?)?,
            vec1(c.read_f32("emb.ln.b", h)?)?,
        );

        let mut layers = Vec::with_capacity(nl);
        for l in 0..nl {
            // Row-concatenated blocks of several [out, in] matrices form one [Σout, in] matrix;
            // fusing Q/K/V this way runs one matmul where e5.c runs three on the same input.
            let mut linear = |names: &[&str], out: usize, inp: usize| -> Result<Linear, E5Error> {
                let mut wbytes = Vec::new();
                let mut bias = Vec::new();
                for n in names {
                    wbytes.extend(c.read(&format!("l{l}.{n}.w"), FDType::Q4_0, out * inp)?);
                    bias.extend(c.read_f32(&format!("l{l}.{n}.b"), out)?);
                }
                let rows = out * names.len();
                let q = q4_tensor(&wbytes, rows, inp)?;
                let w = match fmt {
                    WeightFormat::Q4_0 => Weight::Q(QMatMul::from_qtensor(q)?),
                    WeightFormat::F32 => Weight::F(q.dequantize(&Device::Cpu)?.t()?.contiguous()?),
                };
                Ok(Linear {
                    w,
                    b: Tensor::from_vec(bias, rows, &Device::Cpu)?,
                })
            };
            let qkv = linear(&["q", "k", "v"], h, h)?;
            let attn_out = linear(&["ao"], h, h)?;
            let ffn_in = linear(&["fi"], ffn, h)?;
            let ffn_out = linear(&["fo"], h, ffn)?;
            let mut ln = |n: &str| -> Result<(Tensor, Tensor), E5Error> {
                Ok((
                    vec1(c.read_f32(&format!("l{l}.{n}.w"), h)?)?,
                    vec1(c.read_f32(&format!("l{l}.{n}.b"), h)?)?,
                ))
            };
            let attn_ln = ln("aln")?;
            let out_ln = ln("oln")?;
            layers.push(Layer {
                qkv,
                attn_out,
                attn_ln,
                ffn_in,
                ffn_out,
                out_ln,
            });
        }
        Ok(Bert {
            word,
            pos_type,
            emb_ln,
            layers,
            hidden: h,
            heads,
            eps,
            max_pos,
        })
    }

    /// Mean-pooled (not yet normalised) final hidden states for a batch of id sequences,
    /// right-padded to the longest; returns [batch, hidden].
    pub fn pooled(&self, seqs: &[&[u32]], pad: u32) -> candle_core::Result<Vec<Vec<f32>>> {
        let dev = Device::Cpu;
        let (b, h, nh) = (seqs.len(), self.hidden, self.heads);
        let hd = h / nh;
        let l = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let ragged = seqs.iter().any(|s| s.len() != l);

        let mut ids = Vec::with_capacity(b * l);
        let mut keep = Vec::with_capacity(b * l);
        for s in seqs {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad, l - s.len()));
            keep.extend(std::iter::repeat_n(1f32, s.len()));
            keep.extend(std::iter::repeat_n(0f32, l - s.len()));
        }
        let keep = Tensor::from_vec(keep, (b, l), &dev)?;
        // Padding only ever appears as a key to mask; padded query rows are computed and
        // then ignored by the masked mean, which is cheaper than gathering real rows.
        let att_bias = if ragged {
            Some(((keep.clone() - 1.0)? * 1e30)?.reshape((b, 1, 1, l))?)
        } else {
            None
        };

        let ids = Tensor::from_vec(ids, b * l, &dev)?;
        let x = self.word.embedding(&ids)?.reshape((b, l, h))?;
        let x = x.broadcast_add(&self.pos_type.narrow(0, 0, l)?)?;
        let mut x = candle_nn::ops::layer_norm(&x, &self.emb_ln.0, &self.emb_ln.1, self.eps)?
            .reshape((b * l, h))?;

        let scale = 1.0 / (hd as f64).sqrt();
        for ly in &self.layers {
            let qkv = ly.qkv.forward(&x)?;
            let heads = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(1, i * h, h)?
                    .reshape((b, l, nh, hd))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (heads(0)?, heads(1)?, heads(2)?);
            let mut att = (q.matmul(&k.t()?)? * scale)?;
            if let Some(bias) = &att_bias {
                att = att.broadcast_add(bias)?;
            }
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let ctx = att.matmul(&v)?.transpose(1, 2)?.reshape((b * l, h))?;

            let a = ly.attn_out.forward(&ctx)?;
            x = candle_nn::ops::layer_norm(&(x + a)?, &ly.attn_ln.0, &ly.attn_ln.1, self.eps)?;
            let m = ly.ffn_in.forward(&x)?.apply_op1_no_bwd(&GeluErf)?;
            let f = ly.ffn_out.forward(&m)?;
            x = candle_nn::ops::layer_norm(&(x + f)?, &ly.out_ln.0, &ly.out_ln.1, self.eps)?;
        }

        let x = x.reshape((b, l, h))?;
        let sum = if ragged {
            x.broadcast_mul(&keep.unsqueeze(D::Minus1)?)?.sum(1)?
        } else {
            x.sum(1)?
        };
        let counts = Tensor::from_vec(seqs.iter().map(|s| s.len() as f32).collect(), (b, 1), &dev)?;
        sum.broadcast_div(&counts)?
            .to_dtype(DType::F32)?
            .to_vec2::<f32>()
    }
}

/// Exact (erf) GELU, as e5.c uses, with a vectorisable erf. candle's `gelu_erf` calls scalar
/// libm `erff` and took ~20% of a batched forward pass; this rational approximation (the
/// float erf of Eigen/XLA) is within a few 1e-7 of erf and compiles to straight-line SIMD.
pub(crate) struct GeluErf;

#[inline(always)]
pub(crate) fn fast_erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_6e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329e-3;
    q = q * x2 - 1.426_474e-2;
    (x * p / q).clamp(-1.0, 1.0)
}

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "e5-gelu-erf"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(src) = s else {
            candle_core::bail!("e5 gelu: expected f32 input")
        };
        let Some((a, b)) = l.contiguous_offsets() else {
            candle_core::bail!("e5 gelu: input must be contiguous")
        };
        let out = src[a..b]
            .iter()
            .map(|&x| 0.5 * x * (1.0 + fast_erf(x * std::f32::consts::FRAC_1_SQRT_2)))
            .collect();
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fast_gelu_matches_candle_erf_gelu() {
        use candle_core::{Device, Tensor};
        let xs: Vec<f32> = (-12000..=12000).map(|i| i as f32 * 1e-3).collect();
        let t = Tensor::new(xs.as_slice(), &Device::Cpu).unwrap();
        let want = t.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        let got = t
            .apply_op1_no_bwd(&super::GeluErf)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let max = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(max < 2e-6, "max abs diff {max}");
    }
}
