//! Drawing what was detected onto a frame so a person can check it: face box, landmarks,
//! irises, a gaze ray (green box: looking at the camera; red: away) and the body skeleton.

use image::{Rgb, RgbImage};

use crate::analyzer::FrameFeatures;
use crate::pose::SKELETON;

const GREEN: Rgb<u8> = Rgb([40, 220, 90]);
const YELLOW: Rgb<u8> = Rgb([250, 220, 40]);
const RED: Rgb<u8> = Rgb([240, 60, 50]);
const CYAN: Rgb<u8> = Rgb([40, 200, 240]);
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

fn put(img: &mut RgbImage, x: i64, y: i64, color: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, color);
    }
}

fn dot(img: &mut RgbImage, x: f32, y: f32, radius: i64, color: Rgb<u8>) {
    let (cx, cy) = (x.round() as i64, y.round() as i64);
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            if dx * dx + dy * dy <= radius * radius {
                put(img, cx + dx, cy + dy, color);
            }
        }
    }
}

fn line(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), width: i64, color: Rgb<u8>) {
    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).clamp(1, 20_000);
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        dot(
            img,
            a.0 + (b.0 - a.0) * t,
            a.1 + (b.1 - a.1) * t,
            width,
            color,
        );
    }
}

fn circle(img: &mut RgbImage, x: f32, y: f32, r: f32, color: Rgb<u8>) {
    let steps = (r * 8.0).clamp(16.0, 2000.0) as usize;
    for i in 0..steps {
        let a = i as f32 / steps as f32 * std::f32::consts::TAU;
        put(
            img,
            (x + r * a.cos()) as i64,
            (y + r * a.sin()) as i64,
            color,
        );
    }
}

/// Draws the features onto a copy of the frame.
pub fn draw(frame: &RgbImage, features: &FrameFeatures) -> RgbImage {
    let mut img = frame.clone();
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let thick = ((w.max(h) / 400.0).round() as i64).max(1);
    if let Some(face) = &features.face {
        let b = face.bbox;
        let (x0, y0, x1, y1) = (b.x * w, b.y * h, (b.x + b.w) * w, (b.y + b.h) * h);
        let color = if face.gaze.at_camera { GREEN } else { RED };
        for (p, q) in [
            ((x0, y0), (x1, y0)),
            ((x1, y0), (x1, y1)),
            ((x1, y1), (x0, y1)),
            ((x0, y1), (x0, y0)),
        ] {
            line(&mut img, p, q, thick, color);
        }
        for p in &face.landmarks {
            dot(&mut img, p[0] * w, p[1] * h, thick.max(1) - 1, WHITE);
        }
        let eye_r = b.w * w * 0.04;
        for iris in face.iris {
            circle(&mut img, iris[0] * w, iris[1] * h, eye_r, CYAN);
            dot(&mut img, iris[0] * w, iris[1] * h, thick, CYAN);
        }
        // Gaze ray from between the eyes, as long as the face is wide.
        let mid = (
            (face.iris[0][0] + face.iris[1][0]) / 2.0 * w,
            (face.iris[0][1] + face.iris[1][1]) / 2.0 * h,
        );
        let len = b.w * w;
        let (yaw, pitch) = (face.gaze.yaw.to_radians(), face.gaze.pitch.to_radians());
        let end = (mid.0 + len * yaw.sin(), mid.1 - len * pitch.sin());
        line(&mut img, mid, end, thick, YELLOW);
    }
    if let Some(pose) = &features.pose {
        let k = &pose.keypoints;
        for (a, b) in SKELETON {
            if k[a].visibility > 0.5 && k[b].visibility > 0.5 {
                line(
                    &mut img,
                    (k[a].x * w, k[a].y * h),
                    (k[b].x * w, k[b].y * h),
                    thick,
                    YELLOW,
                );
            }
        }
        for p in k.iter().filter(|p| p.visibility > 0.5) {
            dot(&mut img, p.x * w, p.y * h, thick * 2, RED);
        }
    }
    img
}
