//! Regions of interest and the image → tensor crops the models take, in frame pixels.
//!
//! Follows MediaPipe's `ImageToTensorCalculator` and `LandmarkProjectionCalculator`: a region
//! is a rotated rectangle; a crop samples it bilinearly into the model's input size, and model
//! outputs in crop coordinates are projected back with the same rotation.

use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A point in frame pixels; `z` is relative depth in the same units as `x` (smaller is nearer
/// the camera), where a model gives one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Point3 {
    pub fn new(x: f32, y: f32, z: f32) -> Self {
        Self { x, y, z }
    }

    pub fn distance2d(&self, other: &Point3) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub fn midpoint(&self, other: &Point3) -> Point3 {
        Point3::new(
            (self.x + other.x) / 2.0,
            (self.y + other.y) / 2.0,
            (self.z + other.z) / 2.0,
        )
    }
}

/// What a crop reads outside the frame: detectors see black letterbox bars; landmark models
/// see the edge pixels repeated (MediaPipe's BORDER_ZERO / BORDER_REPLICATE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    Zero,
    Replicate,
}

/// A rotated rectangle in frame pixels; `rotation` in radians, clockwise on screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roi {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

/// Wraps an angle into [-π, π).
pub fn normalize_angle(a: f32) -> f32 {
    use std::f32::consts::PI;
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

impl Roi {
    /// A square region around a box, turned so that `from → to` points along `target` radians
    /// (0 = to the right), scaled by `scale` (MediaPipe's DetectionsToRects + RectTransformation
    /// with `square_long`).
    pub fn aligned(
        center: (f32, f32),
        size: f32,
        from: (f32, f32),
        to: (f32, f32),
        target: f32,
        scale: f32,
    ) -> Self {
        let rotation = normalize_angle(target - (-(to.1 - from.1)).atan2(to.0 - from.0));
        Roi {
            cx: center.0,
            cy: center.1,
            width: size * scale,
            height: size * scale,
            rotation,
        }
    }

    /// Frame position of a crop-normalised point (0..1 across the region's width and height).
    pub fn project(&self, u: f32, v: f32) -> (f32, f32) {
        let (x, y) = ((u - 0.5) * self.width, (v - 0.5) * self.height);
        let (s, c) = self.rotation.sin_cos();
        (self.cx + c * x - s * y, self.cy + s * x + c * y)
    }

    /// Samples the region into a `w`×`h` RGB tensor (HWC, f32) with values `pixel × scale +
    /// offset`. `flip` mirrors left to right.
    #[allow(clippy::too_many_arguments)]
    pub fn crop(
        &self,
        frame: &RgbImage,
        w: usize,
        h: usize,
        scale: f32,
        offset: f32,
        flip: bool,
        border: Border,
    ) -> Vec<f32> {
        // Shrinking more than 2× with point samples aliases (a 1080p frame into 128×128 is
        // 15×). Then the part of the frame under the region is first box-averaged by the whole
        // factor k, and the crop samples that. k stops at 4: wider boxes blurred faces in the
        // pipeline test more than they helped (MediaPipe itself does not pre-filter at all).
        let ratio = (self.width / w as f32).max(self.height / h as f32);
        let k = (ratio.floor() as usize).clamp(1, 4);
        let source = if k >= 2 {
            Source::shrunk(frame, self.bounds(), k)
        } else {
            Source::frame(frame)
        };
        let mut out = Vec::with_capacity(w * h * 3);
        for row in 0..h {
            let v = (row as f32 + 0.5) / h as f32;
            for col in 0..w {
                let mut u = (col as f32 + 0.5) / w as f32;
                if flip {
                    u = 1.0 - u;
                }
                let (x, y) = self.project(u, v);
                for value in source.sample(x, y, border) {
                    out.push(value * scale + offset);
                }
            }
        }
        out
    }

    /// The axis-aligned box around the rotated region, in frame pixels.
    fn bounds(&self) -> (f32, f32, f32, f32) {
        let corners =
            [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| self.project(u, v));
        corners.iter().fold(
            (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
            |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
        )
    }

    /// The square region that letterboxes the whole frame (detectors see the frame with its
    /// aspect ratio kept and black bars).
    pub fn letterbox(frame: &RgbImage) -> Self {
        let size = frame.width().max(frame.height()) as f32;
        Roi {
            cx: frame.width() as f32 / 2.0,
            cy: frame.height() as f32 / 2.0,
            width: size,
            height: size,
            rotation: 0.0,
        }
    }
}

/// Grey (ITU-R BT.601 luma) of an RGB tensor, keeping the value mapping.
pub fn to_grey(rgb: &[f32]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
        .collect()
}

/// Bounding box of points, as (xmin, ymin, xmax, ymax).
pub fn bounds(points: &[Point3]) -> (f32, f32, f32, f32) {
    points.iter().fold(
        (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
        |(a, b, c, d), p| (a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y)),
    )
}

/// What a crop samples: the frame itself, or a box-averaged patch of it.
struct Source<'a> {
    pixels: std::borrow::Cow<'a, [u8]>,
    shrunk: Vec<f32>,
    width: i64,
    height: i64,
    /// Frame position of the patch's top-left corner and its pixel size in frame pixels.
    origin: (f32, f32),
    step: f32,
}

impl<'a> Source<'a> {
    fn frame(frame: &'a RgbImage) -> Self {
        Source {
            pixels: std::borrow::Cow::Borrowed(frame.as_raw()),
            shrunk: Vec::new(),
            width: frame.width() as i64,
            height: frame.height() as i64,
            origin: (0.0, 0.0),
            step: 1.0,
        }
    }

    /// Averages k×k blocks of the frame over `bounds` (plus a margin, clipped to the frame so
    /// the patch's edges are the frame's wherever the region leaves it).
    fn shrunk(frame: &'a RgbImage, bounds: (f32, f32, f32, f32), k: usize) -> Self {
        let (fw, fh) = (frame.width() as i64, frame.height() as i64);
        let margin = 2 * k as i64;
        let x0 = ((bounds.0.floor() as i64) - margin).clamp(0, fw);
        let y0 = ((bounds.1.floor() as i64) - margin).clamp(0, fh);
        let x1 = ((bounds.2.ceil() as i64) + margin).clamp(0, fw);
        let y1 = ((bounds.3.ceil() as i64) + margin).clamp(0, fh);
        let k = k as i64;
        let (pw, ph) = (((x1 - x0) + k - 1) / k, ((y1 - y0) + k - 1) / k);
        if pw <= 0 || ph <= 0 {
            // The region lies wholly outside the frame: the frame's border rule decides.
            return Source::frame(frame);
        }
        let raw = frame.as_raw();
        let mut shrunk = vec![0.0f32; (pw * ph * 3) as usize];
        for py in 0..ph {
            let (ya, yb) = (y0 + py * k, (y0 + (py + 1) * k).min(y1));
            for px in 0..pw {
                let (xa, xb) = (x0 + px * k, (x0 + (px + 1) * k).min(x1));
                let mut acc = [0u32; 3];
                for y in ya..yb {
                    let row = ((y * fw + xa) * 3) as usize;
                    for p in raw[row..row + ((xb - xa) * 3) as usize].chunks_exact(3) {
                        acc[0] += p[0] as u32;
                        acc[1] += p[1] as u32;
                        acc[2] += p[2] as u32;
                    }
                }
                let n = ((yb - ya) * (xb - xa)).max(1) as f32;
                let i = ((py * pw + px) * 3) as usize;
                shrunk[i] = acc[0] as f32 / n;
                shrunk[i + 1] = acc[1] as f32 / n;
                shrunk[i + 2] = acc[2] as f32 / n;
            }
        }
        Source {
            pixels: std::borrow::Cow::Owned(Vec::new()),
            shrunk,
            width: pw,
            height: ph,
            origin: (x0 as f32, y0 as f32),
            step: k as f32,
        }
    }

    fn pixel(&self, x: i64, y: i64, border: Border) -> [f32; 3] {
        let (x, y) = match border {
            Border::Zero if x < 0 || y < 0 || x >= self.width || y >= self.height => {
                return [0.0; 3]
            }
            Border::Zero => (x, y),
            Border::Replicate => (x.clamp(0, self.width - 1), y.clamp(0, self.height - 1)),
        };
        let i = ((y * self.width + x) * 3) as usize;
        if self.shrunk.is_empty() {
            let p = &self.pixels[i..i + 3];
            [p[0] as f32, p[1] as f32, p[2] as f32]
        } else {
            [self.shrunk[i], self.shrunk[i + 1], self.shrunk[i + 2]]
        }
    }

    /// Bilinear sample at a frame position (pixel centres sit at integer + 0.5).
    fn sample(&self, x: f32, y: f32, border: Border) -> [f32; 3] {
        let x = (x - self.origin.0) / self.step - 0.5;
        let y = (y - self.origin.1) / self.step - 0.5;
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let p00 = self.pixel(x0, y0, border);
        let p01 = self.pixel(x0 + 1, y0, border);
        let p10 = self.pixel(x0, y0 + 1, border);
        let p11 = self.pixel(x0 + 1, y0 + 1, border);
        let mut v = [0.0f32; 3];
        for ch in 0..3 {
            let top = p00[ch] * (1.0 - fx) + p01[ch] * fx;
            let bottom = p10[ch] * (1.0 - fx) + p11[ch] * fx;
            v[ch] = top * (1.0 - fy) + bottom * fy;
        }
        v
    }
}
