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
        let mut out = Vec::with_capacity(w * h * 3);
        let (fw, fh) = (frame.width() as i64, frame.height() as i64);
        let raw = frame.as_raw();
        let pixel = |x: i64, y: i64| -> [f32; 3] {
            let (x, y) = match border {
                Border::Zero if x < 0 || y < 0 || x >= fw || y >= fh => return [0.0; 3],
                Border::Zero => (x, y),
                Border::Replicate => (x.clamp(0, fw - 1), y.clamp(0, fh - 1)),
            };
            let i = ((y * fw + x) * 3) as usize;
            [raw[i] as f32, raw[i + 1] as f32, raw[i + 2] as f32]
        };
        // Shrinking more than 2× with point samples aliases (a 1080p frame into 128×128 is
        // 15×): average a k×k grid of bilinear samples over each output pixel's footprint.
        let ratio = (self.width / w as f32).max(self.height / h as f32);
        let k = (ratio.floor() as usize).clamp(1, 4);
        let norm = 1.0 / (k * k) as f32;
        let sample = |x: f32, y: f32| -> [f32; 3] {
            // Pixel centres sit at integer + 0.5.
            let (x, y) = (x - 0.5, y - 0.5);
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let p00 = pixel(x0, y0);
            let p01 = pixel(x0 + 1, y0);
            let p10 = pixel(x0, y0 + 1);
            let p11 = pixel(x0 + 1, y0 + 1);
            let mut v = [0.0f32; 3];
            for ch in 0..3 {
                let top = p00[ch] * (1.0 - fx) + p01[ch] * fx;
                let bottom = p10[ch] * (1.0 - fx) + p11[ch] * fx;
                v[ch] = top * (1.0 - fy) + bottom * fy;
            }
            v
        };
        for row in 0..h {
            for col in 0..w {
                let mut acc = [0.0f32; 3];
                for sy in 0..k {
                    let v = (row as f32 + (sy as f32 + 0.5) / k as f32) / h as f32;
                    for sx in 0..k {
                        let mut u = (col as f32 + (sx as f32 + 0.5) / k as f32) / w as f32;
                        if flip {
                            u = 1.0 - u;
                        }
                        let (x, y) = self.project(u, v);
                        let p = sample(x, y);
                        for ch in 0..3 {
                            acc[ch] += p[ch];
                        }
                    }
                }
                for value in acc {
                    out.push(value * norm * scale + offset);
                }
            }
        }
        out
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
