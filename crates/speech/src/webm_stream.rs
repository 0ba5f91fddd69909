//! Audio out of a WebM stream that arrives in pieces — what a browser's `MediaRecorder` hands
//! to `ondataavailable` and the seed's client sends as-is over the WebSocket. Only the first
//! piece carries the header; later pieces cut elements anywhere, so this parser keeps the
//! bytes of an unfinished element until the rest arrives, treats Segment, Cluster and
//! BlockGroup as transparent (MediaRecorder writes them with unknown sizes), reads the Opus
//! track from Tracks and decodes each of its blocks with libopus straight to 16 kHz mono
//! (libopus resamples and down-mixes itself). Video blocks are skipped.
//!
//! Element ids and layout: the Matroska specification (RFC 9559).

use crate::SpeechError;

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const SIMPLE_BLOCK: u32 = 0xA3;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const CODEC_ID: u32 = 0x86;
/// Largest element kept while waiting for its end (a Tracks or a block is far smaller).
const MAX_ELEMENT: u64 = 8 << 20;
/// Samples per channel of the longest Opus packet (120 ms at 16 kHz).
const MAX_PACKET_SAMPLES: usize = 1_920;

/// Whether `bytes` open a WebM (EBML) stream.
pub fn starts_webm(bytes: &[u8]) -> bool {
    bytes.starts_with(&EBML_MAGIC)
}

pub struct WebmAudioStream {
    buffer: Vec<u8>,
    opus_track: Option<u64>,
    decoder: Option<opus::Decoder>,
    pcm: Vec<f32>,
}

impl Default for WebmAudioStream {
    fn default() -> Self {
        Self::new()
    }
}

/// An EBML variable-length integer at the start of `bytes`: (value, length); ids keep their
/// marker bit, sizes drop it. `None` if more bytes are needed.
fn vint(bytes: &[u8], keep_marker: bool) -> Result<Option<(u64, usize)>, SpeechError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    if first == 0 {
        return Err(unreadable("invalid EBML length"));
    }
    let length = first.leading_zeros() as usize + 1;
    if bytes.len() < length {
        return Ok(None);
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - length)) - 1)
    };
    for &b in &bytes[1..length] {
        value = (value << 8) | u64::from(b);
    }
    Ok(Some((value, length)))
}

fn unreadable(what: &str) -> SpeechError {
    SpeechError::Unreadable(format!("WebM stream: {what}"))
}

/// Elements inside `body` as (id, payload).
fn children(mut body: &[u8]) -> Result<Vec<(u32, &[u8])>, SpeechError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let (id, id_len) = vint(body, true)?.ok_or_else(|| unreadable("cut element"))?;
        let (size, size_len) =
            vint(&body[id_len..], false)?.ok_or_else(|| unreadable("cut element"))?;
        let start = id_len + size_len;
        let end = start
            .checked_add(size as usize)
            .filter(|&e| e <= body.len())
            .ok_or_else(|| unreadable("element overruns its parent"))?;
        out.push((id as u32, &body[start..end]));
        body = &body[end..];
    }
    Ok(out)
}

fn uint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |v, &b| (v << 8) | u64::from(b))
}

impl WebmAudioStream {
    pub fn new() -> Self {
        Self {
            buffer: Vec::new(),
            opus_track: None,
            decoder: None,
            pcm: vec![0.0; MAX_PACKET_SAMPLES],
        }
    }

    /// Whether the stream's header named an Opus audio track.
    pub fn has_audio(&self) -> bool {
        self.opus_track.is_some()
    }

    /// Adds the next piece; returns the 16 kHz mono samples it completed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<f32>, SpeechError> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let rest = &self.buffer[at..];
            let Some((id, id_len)) = vint(rest, true)? else {
                break;
            };
            let Some((size, size_len)) = vint(&rest[id_len..], false)? else {
                break;
            };
            let id = id as u32;
            let header = id_len + size_len;
            if matches!(id, SEGMENT | CLUSTER | BLOCK_GROUP) {
                // Transparent: their children follow as if they were siblings.
                at += header;
                continue;
            }
            if size > MAX_ELEMENT {
                return Err(unreadable("element too large"));
            }
            let total = header + size as usize;
            if rest.len() < total {
                break;
            }
            if matches!(id, TRACKS | SIMPLE_BLOCK | BLOCK) {
                let body = rest[header..total].to_vec();
                if id == TRACKS {
                    self.read_tracks(&body)?;
                } else if let Some(samples) = self.read_block(&body)? {
                    out.extend_from_slice(samples);
                }
            }
            at += total;
        }
        self.buffer.drain(..at);
        Ok(out)
    }

    fn read_tracks(&mut self, body: &[u8]) -> Result<(), SpeechError> {
        for (id, entry) in children(body)? {
            if id != TRACK_ENTRY {
                continue;
            }
            let fields = children(entry)?;
            let number = fields
                .iter()
                .find(|(i, _)| *i == TRACK_NUMBER)
                .map(|f| uint(f.1));
            let codec = fields.iter().find(|(i, _)| *i == CODEC_ID).map(|f| f.1);
            if let (Some(number), Some(b"A_OPUS")) = (number, codec) {
                self.opus_track = Some(number);
                self.decoder = Some(
                    opus::Decoder::new(16_000, opus::Channels::Mono)
                        .map_err(|e| unreadable(&format!("Opus decoder: {e}")))?,
                );
                return Ok(());
            }
        }
        Ok(())
    }

    /// The samples of one block of the Opus track (other tracks and laced blocks give none).
    fn read_block(&mut self, body: &[u8]) -> Result<Option<&[f32]>, SpeechError> {
        let Some((track, track_len)) = vint(body, false)? else {
            return Err(unreadable("cut block"));
        };
        if Some(track) != self.opus_track || body.len() < track_len + 3 {
            return Ok(None);
        }
        let flags = body[track_len + 2];
        if flags & 0x06 != 0 {
            // Lacing: browsers do not lace Opus; skip rather than misread.
            return Ok(None);
        }
        let packet = &body[track_len + 3..];
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(None);
        };
        match decoder.decode_float(packet, &mut self.pcm, false) {
            Ok(n) => Ok(Some(&self.pcm[..n])),
            // One damaged packet is a click, not the end of the stream.
            Err(_) => Ok(None),
        }
    }
}
