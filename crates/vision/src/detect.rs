//! SSD-style detector decoding shared by BlazeFace and the BlazePose detector: anchor
//! generation (`ssd_anchors_calculator.cc`), box/keypoint decoding and weighted
//! non-maximum suppression (`tensors_to_detections_calculator.cc`,
//! `non_max_suppression_calculator.cc` with `WEIGHTED` overlap).

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;

use crate::geometry::{Border, Roi};
use crate::tflite::{Model, Runner, TfliteError};

/// A BlazeFace-style detector: sees the letterboxed frame at `size`×`size` in [-1, 1], scores
/// anchors, keeps those above 0.5 and merges overlaps (IoU > 0.3) with weighted NMS.
pub struct SsdDetector {
    runner: Runner,
    anchors: Vec<(f32, f32)>,
    size: usize,
}

const MIN_SCORE: f32 = 0.5;
const NMS_IOU: f32 = 0.3;

impl SsdDetector {
    /// `outputs`: the regressor and score tensors' names; `strides`: the SSD layers'.
    pub fn load(
        path: &Path,
        outputs: [&str; 2],
        size: usize,
        strides: &[usize],
    ) -> Result<Self, TfliteError> {
        let model = Arc::new(Model::load(path)?);
        Ok(Self {
            runner: model.runner(&outputs)?,
            anchors: ssd_anchors(size, strides),
            size,
        })
    }

    /// Every detection in the frame, best first, in frame pixels.
    pub fn detect(&self, frame: &RgbImage) -> Result<Vec<Detection>, TfliteError> {
        let roi = Roi::letterbox(frame);
        let input = roi.crop(
            frame,
            self.size,
            self.size,
            2.0 / 255.0,
            -1.0,
            false,
            Border::Zero,
        );
        let out = self.runner.run(&input)?;
        let found = decode(
            &out[0],
            &out[1],
            &self.anchors,
            self.size as f32,
            MIN_SCORE,
            &roi,
        );
        Ok(weighted_nms(found, NMS_IOU))
    }
}

/// Anchor centres for square inputs with fixed-size anchors; layers with the same stride share
/// one grid and contribute two anchors each (`interpolated_scale_aspect_ratio = 1`).
pub fn ssd_anchors(input_size: usize, strides: &[usize]) -> Vec<(f32, f32)> {
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < strides.len() {
        let mut last = layer;
        let mut repeats = 0;
        while last < strides.len() && strides[last] == strides[layer] {
            last += 1;
            repeats += 2;
        }
        let cells = input_size / strides[layer];
        for y in 0..cells {
            let cy = (y as f32 + 0.5) / cells as f32;
            for x in 0..cells {
                let cx = (x as f32 + 0.5) / cells as f32;
                for _ in 0..repeats {
                    anchors.push((cx, cy));
                }
            }
        }
        layer = last;
    }
    anchors
}

/// A detection in frame pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub xmin: f32,
    pub ymin: f32,
    pub xmax: f32,
    pub ymax: f32,
    pub score: f32,
    pub keypoints: Vec<(f32, f32)>,
}

impl Detection {
    pub fn area(&self) -> f32 {
        (self.xmax - self.xmin).max(0.0) * (self.ymax - self.ymin).max(0.0)
    }

    fn iou(&self, other: &Detection) -> f32 {
        let w = (self.xmax.min(other.xmax) - self.xmin.max(other.xmin)).max(0.0);
        let h = (self.ymax.min(other.ymax) - self.ymin.max(other.ymin)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// Decodes raw regressors `[n, 4 + 2k]` and logits `[n]` into detections in frame pixels.
/// `roi` is the region the detector saw (the letterboxed frame).
pub fn decode(
    raw_boxes: &[f32],
    raw_scores: &[f32],
    anchors: &[(f32, f32)],
    input_size: f32,
    min_score: f32,
    roi: &Roi,
) -> Vec<Detection> {
    let stride = raw_boxes.len() / anchors.len().max(1);
    let keypoints = stride.saturating_sub(4) / 2;
    let mut out = Vec::new();
    for (i, &(ax, ay)) in anchors.iter().enumerate() {
        let logit = raw_scores[i].clamp(-100.0, 100.0);
        let score = 1.0 / (1.0 + (-logit).exp());
        if score < min_score {
            continue;
        }
        let r = &raw_boxes[i * stride..(i + 1) * stride];
        let cx = r[0] / input_size + ax;
        let cy = r[1] / input_size + ay;
        let (w, h) = (r[2] / input_size, r[3] / input_size);
        if w <= 0.0 || h <= 0.0 {
            continue;
        }
        let (x0, y0) = roi.project(cx - w / 2.0, cy - h / 2.0);
        let (x1, y1) = roi.project(cx + w / 2.0, cy + h / 2.0);
        let kps = (0..keypoints)
            .map(|k| {
                roi.project(
                    r[4 + 2 * k] / input_size + ax,
                    r[5 + 2 * k] / input_size + ay,
                )
            })
            .collect();
        out.push(Detection {
            xmin: x0.min(x1),
            ymin: y0.min(y1),
            xmax: x0.max(x1),
            ymax: y0.max(y1),
            score,
            keypoints: kps,
        });
    }
    out
}

/// Weighted NMS: overlapping detections merge into a score-weighted average of their boxes
/// and keypoints, keeping the best score (what MediaPipe does for BlazeFace and BlazePose).
pub fn weighted_nms(mut detections: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !detections.is_empty() {
        let best = detections[0].clone();
        let (group, rest): (Vec<Detection>, Vec<Detection>) = detections
            .into_iter()
            .partition(|d| d.iou(&best) > iou_threshold);
        detections = rest;
        let total: f32 = group.iter().map(|d| d.score).sum();
        if group.is_empty() || total <= 0.0 {
            out.push(best);
            continue;
        }
        let avg = |f: &dyn Fn(&Detection) -> f32| -> f32 {
            group.iter().map(|d| f(d) * d.score).sum::<f32>() / total
        };
        let keypoints = (0..best.keypoints.len())
            .map(|k| (avg(&|d| d.keypoints[k].0), avg(&|d| d.keypoints[k].1)))
            .collect();
        out.push(Detection {
            xmin: avg(&|d| d.xmin),
            ymin: avg(&|d| d.ymin),
            xmax: avg(&|d| d.xmax),
            ymax: avg(&|d| d.ymax),
            score: best.score,
            keypoints,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_the_models() {
        assert_eq!(ssd_anchors(128, &[8, 16, 16, 16]).len(), 896);
        assert_eq!(ssd_anchors(224, &[8, 16, 32, 32, 32]).len(), 2254);
    }

    #[test]
    fn overlapping_detections_merge_weighted() {
        let d = |x: f32, score: f32| Detection {
            xmin: x,
            ymin: 0.0,
            xmax: x + 10.0,
            ymax: 10.0,
            score,
            keypoints: vec![(x, 0.0)],
        };
        let merged = weighted_nms(vec![d(0.0, 0.9), d(1.0, 0.9), d(50.0, 0.6)], 0.3);
        assert_eq!(merged.len(), 2);
        assert!((merged[0].xmin - 0.5).abs() < 1e-5);
        assert_eq!(merged[0].score, 0.9);
        assert_eq!(merged[1].xmin, 50.0);
    }
}
