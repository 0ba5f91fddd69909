//! The live stream's binary frames (docs/protocol.md): 1 byte kind, 8 bytes timestamp (ms,
//! little-endian), payload. Parsing is a pure function here so that it is fuzzed on its own
//! (`fuzz/fuzz_targets/live_frame.rs`); what a payload means is the server's business.

/// 16 kHz mono PCM16 little-endian audio.
pub const KIND_AUDIO_PCM16: u8 = 0x01;
/// One camera frame as a JPEG image.
pub const KIND_VIDEO_JPEG: u8 = 0x02;
pub const HEADER_BYTES: usize = 9;

#[derive(Debug, Clone, PartialEq)]
pub enum Frame<'a> {
    /// Samples in [-1, 1).
    Audio { t_ms: u64, samples: Vec<f32> },
    /// The payload, not yet checked to be an image.
    Video { t_ms: u64, image: &'a [u8] },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a binary frame needs {HEADER_BYTES} header bytes")]
    TooShort,
    #[error("PCM16 audio has an odd byte count")]
    OddAudio,
    #[error("unknown frame kind {0:#04x}")]
    UnknownKind(u8),
}

pub fn parse_frame(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (header, payload) = bytes
        .split_at_checked(HEADER_BYTES)
        .ok_or(FrameError::TooShort)?;
    let mut stamp = [0u8; 8];
    stamp.copy_from_slice(&header[1..]);
    let t_ms = u64::from_le_bytes(stamp);
    match header[0] {
        KIND_AUDIO_PCM16 => {
            if !payload.len().is_multiple_of(2) {
                return Err(FrameError::OddAudio);
            }
            let samples = payload
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect();
            Ok(Frame::Audio { t_ms, samples })
        }
        KIND_VIDEO_JPEG => Ok(Frame::Video {
            t_ms,
            image: payload,
        }),
        kind => Err(FrameError::UnknownKind(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_by_kind() {
        let mut audio = vec![KIND_AUDIO_PCM16];
        audio.extend(1_500u64.to_le_bytes());
        audio.extend(i16::MIN.to_le_bytes());
        audio.extend(16_384i16.to_le_bytes());
        assert_eq!(
            parse_frame(&audio),
            Ok(Frame::Audio {
                t_ms: 1_500,
                samples: vec![-1.0, 0.5]
            })
        );
        audio.push(0);
        assert_eq!(parse_frame(&audio), Err(FrameError::OddAudio));
        let mut video = vec![KIND_VIDEO_JPEG];
        video.extend(7u64.to_le_bytes());
        video.extend(b"\xff\xd8");
        assert_eq!(
            parse_frame(&video),
            Ok(Frame::Video {
                t_ms: 7,
                image: b"\xff\xd8"
            })
        );
        assert_eq!(parse_frame(&[0x01; 8]), Err(FrameError::TooShort));
        assert_eq!(parse_frame(&[0x07; 9]), Err(FrameError::UnknownKind(7)));
    }
}
