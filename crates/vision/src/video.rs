//! Video files in and out through the system's ffmpeg (Debian's; no codec code in our
//! binary). Decoding asks ffmpeg for frames already sampled at the analysis rate as a stream
//! of PPM images, so a long file never sits in memory: one frame at a time crosses the pipe.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use image::RgbImage;

use crate::VisionError;

/// Frames that do not need decoding to the full resolution: analysis crops are at most
/// 256×256, so anything above this only costs time.
pub const MAX_ANALYSIS_WIDTH: u32 = 1280;

fn ffmpeg_error(what: &str, e: impl std::fmt::Display) -> VisionError {
    VisionError::Video(format!("{what}: {e}"))
}

/// Decoded frames of a video file at a fixed rate, with their times in seconds.
pub struct VideoFrames {
    child: Child,
    reader: BufReader<ChildStdout>,
    fps: f64,
    index: u64,
}

impl VideoFrames {
    /// Starts ffmpeg on `path`, sampling `fps` frames per second (frames are scaled down to at
    /// most [`MAX_ANALYSIS_WIDTH`] wide, keeping the aspect ratio).
    pub fn open(path: &Path, fps: f64) -> Result<Self, VisionError> {
        if !(0.1..=60.0).contains(&fps) {
            return Err(VisionError::Video(format!(
                "sampling rate {fps} fps is outside 0.1–60"
            )));
        }
        if !path.is_file() {
            return Err(VisionError::Video(format!(
                "{} is not a file",
                path.display()
            )));
        }
        let filter = format!("fps={fps},scale='min({MAX_ANALYSIS_WIDTH},iw)':-2");
        let mut child = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(path)
            .args([
                "-an",
                "-vf",
                &filter,
                "-f",
                "image2pipe",
                "-vcodec",
                "ppm",
                "-",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                ffmpeg_error("cannot run ffmpeg (install it: apt-get install ffmpeg)", e)
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| VisionError::Video("ffmpeg has no output pipe".into()))?;
        Ok(Self {
            child,
            reader: BufReader::with_capacity(1 << 20, stdout),
            fps,
            index: 0,
        })
    }

    fn read_token(&mut self) -> Result<Option<String>, VisionError> {
        let mut token = Vec::new();
        loop {
            let buf = self
                .reader
                .fill_buf()
                .map_err(|e| ffmpeg_error("reading frames", e))?;
            if buf.is_empty() {
                return Ok((!token.is_empty()).then(|| String::from_utf8_lossy(&token).into()));
            }
            let byte = buf[0];
            self.reader.consume(1);
            if byte.is_ascii_whitespace() {
                if !token.is_empty() {
                    return Ok(Some(String::from_utf8_lossy(&token).into()));
                }
            } else {
                token.push(byte);
            }
        }
    }

    fn next_frame(&mut self) -> Result<Option<(f64, RgbImage)>, VisionError> {
        let Some(magic) = self.read_token()? else {
            return self.finish().map(|()| None);
        };
        let mut header = [0u32; 3];
        for value in header.iter_mut() {
            *value = self
                .read_token()?
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| VisionError::Video("truncated frame header".into()))?;
        }
        let [width, height, max] = header;
        if magic != "P6"
            || max != 255
            || width == 0
            || height == 0
            || width > 16384
            || height > 16384
        {
            return Err(VisionError::Video(format!(
                "unexpected frame format {magic} {width}x{height} max {max}"
            )));
        }
        let mut data = vec![0u8; width as usize * height as usize * 3];
        self.reader
            .read_exact(&mut data)
            .map_err(|e| ffmpeg_error("truncated frame", e))?;
        let frame = RgbImage::from_raw(width, height, data)
            .ok_or_else(|| VisionError::Video("frame size mismatch".into()))?;
        let t = self.index as f64 / self.fps;
        self.index += 1;
        Ok(Some((t, frame)))
    }

    fn finish(&mut self) -> Result<(), VisionError> {
        let status = self.child.wait().map_err(|e| ffmpeg_error("ffmpeg", e))?;
        if status.success() {
            return Ok(());
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let first = stderr
            .lines()
            .last()
            .unwrap_or("no details")
            .trim()
            .to_string();
        Err(VisionError::Video(format!(
            "ffmpeg could not decode the file: {first}"
        )))
    }
}

impl Iterator for VideoFrames {
    type Item = Result<(f64, RgbImage), VisionError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

impl Drop for VideoFrames {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Encodes frames into a video file (H.264 in MP4, or whatever the extension says).
pub struct VideoWriter {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl VideoWriter {
    pub fn create(path: &Path, fps: f64) -> Result<Self, VisionError> {
        let mut child = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-f",
                "image2pipe",
                "-vcodec",
                "ppm",
                "-r",
            ])
            .arg(format!("{fps}"))
            .args([
                "-i",
                "-",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            ])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ffmpeg_error("cannot run ffmpeg", e))?;
        let stdin = child.stdin.take();
        Ok(Self { child, stdin })
    }

    pub fn write(&mut self, frame: &RgbImage) -> Result<(), VisionError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| VisionError::Video("the writer is closed".into()))?;
        write!(stdin, "P6\n{} {}\n255\n", frame.width(), frame.height())
            .and_then(|()| stdin.write_all(frame.as_raw()))
            .map_err(|e| ffmpeg_error("writing the overlay video", e))
    }

    pub fn finish(mut self) -> Result<(), VisionError> {
        drop(self.stdin.take());
        let status = self.child.wait().map_err(|e| ffmpeg_error("ffmpeg", e))?;
        if status.success() {
            Ok(())
        } else {
            let mut stderr = String::new();
            if let Some(mut pipe) = self.child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            Err(VisionError::Video(format!(
                "ffmpeg could not encode: {}",
                stderr.trim()
            )))
        }
    }
}
