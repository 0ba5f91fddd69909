//! Reader for CTranslate2 model files (`model.bin`, the faster-whisper layout).
//!
//! Layout (CTranslate2 `models/model.cc`, binary version ≥ 2): u32 binary version, u16-length
//! spec name, u32 spec revision, u32 variable count, then per variable a u16-length name,
//! u8 rank, rank × u32 dims, u8 dtype, u32 byte count and the raw little-endian data; then a
//! u32 alias count and (alias, target) name pairs. Names are NUL-terminated inside their
//! length. We read only what Whisper needs: float32/float16 tensors and small integer scalars.

use std::collections::HashMap;

use super::WhisperError;

#[derive(Debug, Clone)]
pub enum Ct2Data {
    F32(Vec<f32>),
    F16(Vec<half::f16>),
    Int(Vec<i64>),
    /// int8 weights and other types we do not use; kept so the reader can skip them.
    Other(u8),
}

#[derive(Debug, Clone)]
pub struct Ct2Variable {
    pub dims: Vec<usize>,
    pub data: Ct2Data,
}

#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub revision: u32,
    pub variables: HashMap<String, Ct2Variable>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WhisperError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| {
            WhisperError::BadModel(format!("model.bin ends early at byte {}", self.at))
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, WhisperError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, WhisperError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, WhisperError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn name(&mut self) -> Result<String, WhisperError> {
        let len = usize::from(self.u16()?);
        let raw = self.take(len)?;
        let raw = raw.split(|&b| b == 0).next().unwrap_or_default();
        String::from_utf8(raw.to_vec())
            .map_err(|_| WhisperError::BadModel("a variable name is not UTF-8".into()))
    }
}

/// CTranslate2's `DataType` enum.
const DTYPE_F32: u8 = 0;
const DTYPE_I8: u8 = 1;
const DTYPE_I16: u8 = 2;
const DTYPE_I32: u8 = 3;
const DTYPE_F16: u8 = 4;

pub fn parse(bytes: &[u8]) -> Result<Ct2Model, WhisperError> {
    let mut c = Cursor { bytes, at: 0 };
    let version = c.u32()?;
    if !(2..=6).contains(&version) {
        return Err(WhisperError::BadModel(format!(
            "CTranslate2 binary version {version} is not supported"
        )));
    }
    let spec = c.name()?;
    let revision = c.u32()?;
    let count = c.u32()? as usize;
    let mut variables = HashMap::with_capacity(count);
    for _ in 0..count {
        let name = c.name()?;
        let rank = usize::from(c.u8()?);
        let dims = (0..rank)
            .map(|_| c.u32().map(|d| d as usize))
            .collect::<Result<Vec<_>, _>>()?;
        let dtype = c.u8()?;
        let nbytes = c.u32()? as usize;
        let raw = c.take(nbytes)?;
        let elements: usize = dims.iter().product();
        let width = match dtype {
            DTYPE_F32 | DTYPE_I32 => 4,
            DTYPE_F16 | DTYPE_I16 => 2,
            DTYPE_I8 => 1,
            _ => 0,
        };
        if width != 0 && elements * width != nbytes {
            return Err(WhisperError::BadModel(format!(
                "{name}: {nbytes} bytes for {elements} elements"
            )));
        }
        let data = match dtype {
            DTYPE_F32 => Ct2Data::F32(
                raw.chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect(),
            ),
            DTYPE_F16 => Ct2Data::F16(
                raw.chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes(b.try_into().expect("2 bytes")))
                    .collect(),
            ),
            DTYPE_I8 if elements <= 1 => {
                Ct2Data::Int(raw.iter().map(|&b| i64::from(b as i8)).collect())
            }
            DTYPE_I16 => Ct2Data::Int(
                raw.chunks_exact(2)
                    .map(|b| i64::from(i16::from_le_bytes(b.try_into().expect("2 bytes"))))
                    .collect(),
            ),
            DTYPE_I32 => Ct2Data::Int(
                raw.chunks_exact(4)
                    .map(|b| i64::from(i32::from_le_bytes(b.try_into().expect("4 bytes"))))
                    .collect(),
            ),
            other => Ct2Data::Other(other),
        };
        variables.insert(name, Ct2Variable { dims, data });
    }
    if version >= 3 {
        let aliases = c.u32()?;
        for _ in 0..aliases {
            let alias = c.name()?;
            let target = c.name()?;
            if let Some(var) = variables.get(&target).cloned() {
                variables.insert(alias, var);
            }
        }
    }
    Ok(Ct2Model {
        spec,
        revision,
        variables,
    })
}

impl Ct2Model {
    pub fn get(&self, name: &str) -> Result<&Ct2Variable, WhisperError> {
        self.variables
            .get(name)
            .ok_or_else(|| WhisperError::BadModel(format!("model.bin has no variable {name}")))
    }

    /// A float tensor as f32 values, whatever precision it is stored in.
    pub fn floats(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), WhisperError> {
        let var = self.get(name)?;
        let values = match &var.data {
            Ct2Data::F32(v) => v.clone(),
            Ct2Data::F16(v) => v.iter().map(|x| x.to_f32()).collect(),
            _ => {
                return Err(WhisperError::BadModel(format!(
                    "{name} is not a float tensor (quantized CTranslate2 models are not supported)"
                )))
            }
        };
        Ok((var.dims.clone(), values))
    }

    pub fn scalar(&self, name: &str) -> Option<i64> {
        match &self.get(name).ok()?.data {
            Ct2Data::Int(v) => v.first().copied(),
            _ => None,
        }
    }

    /// Counts `prefix/layer_N/…` blocks.
    pub fn layer_count(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| {
                let p = format!("{prefix}/layer_{i}/");
                self.variables.keys().any(|k| k.starts_with(&p))
            })
            .count()
    }
}
