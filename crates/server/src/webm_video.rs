//! Camera frames inside a browser MediaRecorder's WebM stream (VP8/VP9 video beside the Opus
//! audio — the seed's `ws.send(videoBlob)`). We carry no video codec: the chunks are piped,
//! as they arrive, through the system's ffmpeg (already needed for video files), which
//! decodes the video track at the analysis rate and writes one JPEG per frame; the frames
//! come back with their times and join the camera pipeline like frames sent as JPEGs.
//!
//! Bounded everywhere: chunks wait for ffmpeg in a queue of `QUEUED_CHUNKS`; if it falls that
//! far behind, video decoding stops for the connection (the audio is unaffected) and the
//! caller reports it. Decoded frames wait in a queue of two; newer frames are dropped while
//! it is full (the camera pipeline keeps the latest anyway).

use std::process::Stdio;

use axum::body::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// About 16 s of MediaRecorder output at 250 ms per chunk.
const QUEUED_CHUNKS: usize = 64;
/// Decoded frames are scaled down to this width at most (analysis crops are far smaller).
const MAX_WIDTH: u32 = 640;
/// A JPEG larger than this in the pipe means the stream is not what we asked ffmpeg for.
const MAX_JPEG_BYTES: usize = 4 << 20;

pub enum Feed {
    Taken,
    /// The decoder fell too far behind and was stopped just now.
    Behind,
    Stopped,
}

pub struct WebmVideo {
    chunks: Option<mpsc::Sender<Bytes>>,
    /// Decoded frames: seconds from the start of the stream, JPEG.
    pub frames: mpsc::Receiver<(f64, Bytes)>,
}

impl WebmVideo {
    /// Starts ffmpeg decoding at `fps` frames per second; `None` when it cannot run.
    pub fn start(fps: f64) -> Option<Self> {
        let filter = format!("fps={fps},scale='min({MAX_WIDTH},iw)':-2");
        let mut child = tokio::process::Command::new("ffmpeg")
            .args([
                "-nostdin", "-v", "error", "-f", "matroska", "-i", "pipe:0", "-an",
            ])
            .args([
                "-vf",
                &filter,
                "-f",
                "image2pipe",
                "-c:v",
                "mjpeg",
                "-q:v",
                "4",
            ])
            .arg("pipe:1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| tracing::warn!(%err, "cannot start ffmpeg for WebM video"))
            .ok()?;
        let mut stdin = child.stdin.take()?;
        let mut stdout = child.stdout.take()?;
        let (chunks, mut queued) = mpsc::channel::<Bytes>(QUEUED_CHUNKS);
        let (frame_tx, frames) = mpsc::channel(2);
        tokio::spawn(async move {
            while let Some(chunk) = queued.recv().await {
                if stdin.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            // Closing stdin lets ffmpeg flush its last frames and exit.
        });
        tokio::spawn(async move {
            let mut pending: Vec<u8> = Vec::new();
            let mut buffer = vec![0u8; 64 * 1024];
            let mut index = 0u64;
            loop {
                let read = match stdout.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                pending.extend_from_slice(&buffer[..read]);
                while let Some(jpeg) = next_jpeg(&mut pending) {
                    let t = index as f64 / fps;
                    index += 1;
                    // Full: the camera pipeline is behind; this frame is not needed.
                    let _ = frame_tx.try_send((t, Bytes::from(jpeg)));
                }
                if pending.len() > MAX_JPEG_BYTES {
                    break;
                }
            }
            let _ = child.wait().await;
        });
        Some(Self {
            chunks: Some(chunks),
            frames,
        })
    }

    /// Hands a chunk of the WebM stream to the decoder; once it has stopped, later chunks
    /// are ignored.
    pub fn feed(&mut self, chunk: &[u8]) -> Feed {
        let Some(chunks) = &self.chunks else {
            return Feed::Stopped;
        };
        match chunks.try_send(Bytes::copy_from_slice(chunk)) {
            Ok(()) => Feed::Taken,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.chunks = None;
                Feed::Behind
            }
            // ffmpeg is done: the stream has no video track, or it ended.
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.chunks = None;
                Feed::Stopped
            }
        }
    }
}

/// Cuts the first whole JPEG (SOI … EOI) off the front of `pending`. Inside a JPEG's
/// entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so the
/// first FF D9 after the SOI is its end.
fn next_jpeg(pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let start = pending.windows(2).position(|w| w == [0xFF, 0xD8])?;
    let end = pending[start + 2..]
        .windows(2)
        .position(|w| w == [0xFF, 0xD9])?
        + start
        + 4;
    let jpeg = pending[start..end].to_vec();
    pending.drain(..end);
    Some(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpegs_are_cut_from_a_pipe_in_pieces() {
        let a = [0xFF, 0xD8, 1, 2, 0xFF, 0x00, 3, 0xFF, 0xD9];
        let b = [0xFF, 0xD8, 9, 0xFF, 0xD9];
        let mut pending: Vec<u8> = a.to_vec();
        pending.extend(&b[..3]);
        assert_eq!(next_jpeg(&mut pending).unwrap(), a);
        assert_eq!(next_jpeg(&mut pending), None);
        pending.extend(&b[3..]);
        assert_eq!(next_jpeg(&mut pending).unwrap(), b);
        assert!(pending.is_empty());
    }
}
