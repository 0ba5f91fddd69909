//! A bounds-checked reader for the parts of the FlatBuffers wire format that TFLite files use
//! (tables with vtables, vectors, strings, unions). Hand-written rather than generated with
//! `flatc`, because we read a dozen fields of a stable schema and want no build step; every
//! access checks its bounds, so a corrupt model file is an error, never a panic.

use super::TfliteError;

type Result<T> = std::result::Result<T, TfliteError>;

fn corrupt(what: &str) -> TfliteError {
    TfliteError::Corrupt(what.to_string())
}

fn read_u16(buf: &[u8], pos: usize) -> Result<u16> {
    buf.get(pos..pos + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| corrupt("u16 out of bounds"))
}

fn read_u32(buf: &[u8], pos: usize) -> Result<u32> {
    buf.get(pos..pos + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| corrupt("u32 out of bounds"))
}

/// A table: its position in the buffer and its vtable.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

impl<'a> Table<'a> {
    /// The root table of a buffer.
    pub fn root(buf: &'a [u8]) -> Result<Self> {
        let pos = read_u32(buf, 0)? as usize;
        Self::at(buf, pos)
    }

    fn at(buf: &'a [u8], pos: usize) -> Result<Self> {
        let soffset = read_u32(buf, pos)? as i32 as i64;
        let vtable = pos as i64 - soffset;
        if vtable < 0 {
            return Err(corrupt("vtable before buffer start"));
        }
        let vtable = vtable as usize;
        let vtable_len = read_u16(buf, vtable)? as usize;
        if vtable_len < 4 || vtable + vtable_len > buf.len() {
            return Err(corrupt("vtable out of bounds"));
        }
        Ok(Self {
            buf,
            pos,
            vtable,
            vtable_len,
        })
    }

    /// Absolute position of field `index`, or None when the field is absent (default value).
    fn field(&self, index: usize) -> Result<Option<usize>> {
        let entry = 4 + 2 * index;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        let offset = read_u16(self.buf, self.vtable + entry)? as usize;
        Ok((offset != 0).then_some(self.pos + offset))
    }

    fn indirect(&self, index: usize) -> Result<Option<usize>> {
        match self.field(index)? {
            None => Ok(None),
            Some(p) => Ok(Some(p + read_u32(self.buf, p)? as usize)),
        }
    }

    pub fn u8(&self, index: usize, default: u8) -> Result<u8> {
        match self.field(index)? {
            None => Ok(default),
            Some(p) => self
                .buf
                .get(p)
                .copied()
                .ok_or_else(|| corrupt("u8 out of bounds")),
        }
    }

    pub fn i32(&self, index: usize, default: i32) -> Result<i32> {
        match self.field(index)? {
            None => Ok(default),
            Some(p) => Ok(read_u32(self.buf, p)? as i32),
        }
    }

    pub fn u32(&self, index: usize, default: u32) -> Result<u32> {
        Ok(self.i32(index, default as i32)? as u32)
    }

    pub fn u64(&self, index: usize, default: u64) -> Result<u64> {
        match self.field(index)? {
            None => Ok(default),
            Some(p) => {
                let lo = read_u32(self.buf, p)? as u64;
                let hi = read_u32(self.buf, p + 4)? as u64;
                Ok(lo | hi << 32)
            }
        }
    }

    pub fn f32(&self, index: usize, default: f32) -> Result<f32> {
        match self.field(index)? {
            None => Ok(default),
            Some(p) => Ok(f32::from_bits(read_u32(self.buf, p)?)),
        }
    }

    pub fn table(&self, index: usize) -> Result<Option<Table<'a>>> {
        match self.indirect(index)? {
            None => Ok(None),
            Some(p) => Ok(Some(Table::at(self.buf, p)?)),
        }
    }

    pub fn vector(&self, index: usize, elem_size: usize) -> Result<Option<Vector<'a>>> {
        let Some(p) = self.indirect(index)? else {
            return Ok(None);
        };
        let len = read_u32(self.buf, p)? as usize;
        let start = p + 4;
        let end = len
            .checked_mul(elem_size)
            .and_then(|bytes| start.checked_add(bytes))
            .ok_or_else(|| corrupt("vector length overflows"))?;
        if end > self.buf.len() {
            return Err(corrupt("vector out of bounds"));
        }
        Ok(Some(Vector {
            buf: self.buf,
            start,
            len,
            elem_size,
        }))
    }

    pub fn string(&self, index: usize) -> Result<String> {
        Ok(self
            .vector(index, 1)?
            .map(|v| String::from_utf8_lossy(v.bytes()).into_owned())
            .unwrap_or_default())
    }

    pub fn i32s(&self, index: usize) -> Result<Vec<i32>> {
        self.vector(index, 4)?
            .map(|v| (0..v.len).map(|i| v.i32(i)).collect())
            .unwrap_or(Ok(Vec::new()))
    }

    pub fn f32s(&self, index: usize) -> Result<Vec<f32>> {
        self.vector(index, 4)?
            .map(|v| {
                (0..v.len)
                    .map(|i| v.i32(i).map(|x| f32::from_bits(x as u32)))
                    .collect()
            })
            .unwrap_or(Ok(Vec::new()))
    }

    pub fn i64s(&self, index: usize) -> Result<Vec<i64>> {
        self.vector(index, 8)?
            .map(|v| (0..v.len).map(|i| v.i64(i)).collect())
            .unwrap_or(Ok(Vec::new()))
    }

    /// A vector of tables.
    pub fn tables(&self, index: usize) -> Result<Vec<Table<'a>>> {
        let Some(v) = self.vector(index, 4)? else {
            return Ok(Vec::new());
        };
        (0..v.len)
            .map(|i| {
                let p = v.start + 4 * i;
                Table::at(self.buf, p + read_u32(self.buf, p)? as usize)
            })
            .collect()
    }
}

/// A vector of scalars.
pub struct Vector<'a> {
    buf: &'a [u8],
    start: usize,
    len: usize,
    elem_size: usize,
}

impl<'a> Vector<'a> {
    pub fn bytes(&self) -> &'a [u8] {
        &self.buf[self.start..self.start + self.len * self.elem_size]
    }

    fn i32(&self, i: usize) -> Result<i32> {
        Ok(read_u32(self.buf, self.start + 4 * i)? as i32)
    }

    fn i64(&self, i: usize) -> Result<i64> {
        let lo = read_u32(self.buf, self.start + 8 * i)? as u64;
        let hi = read_u32(self.buf, self.start + 8 * i + 4)? as u64;
        Ok((lo | hi << 32) as i64)
    }
}
