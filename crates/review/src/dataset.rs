//! The review dataset on disk: feature windows, their labels and where each came from.
//!
//! A dataset directory holds `features.safetensors` (one tensor per field, first axis the
//! window) and `dataset.json` (format version, shapes, the reminder kinds in label order, the
//! labeller, and every window's provenance). Labels come from the rule engine: five scores
//! (NaN where a dimension was not measured) and a multi-hot vector over the nudge kinds
//! whose rule held at the window's end.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::nudges::Catalogue;
use crate::rules::Rules;
use crate::signals::{Signal, Source};
use crate::window::{
    FeatureWindow, EXPRESSION_DIM, GAZE_DIM, MEL_DIM, POSE_DIM, SPEECH_DIM, STEPS,
};

pub const FORMAT_VERSION: u32 = 1;
const FEATURES_FILE: &str = "features.safetensors";
const META_FILE: &str = "dataset.json";

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("dataset {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("dataset tensors: {0}")]
    Tensor(#[from] candle_core::Error),
    #[error("dataset.json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("dataset: {0}")]
    Invalid(String),
}

/// Where a window came from, so results can be traced and splits made by recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The recording (video and audio sources) the window was cut from: train/validation
    /// splits never share one, because neighbouring windows overlap.
    pub recording: String,
    pub start: f64,
    /// The augmentations applied, e.g. "mirror,gain-12dB,no-camera".
    pub augment: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub format_version: u32,
    pub labeller: String,
    pub kinds: Vec<String>,
    pub dimensions: Vec<String>,
    pub shapes: HashMap<String, Vec<usize>>,
    pub provenance: Vec<Provenance>,
}

/// Windows with labels, as flat row-major buffers (first axis: the window).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub expression: Vec<f32>,
    pub pose: Vec<f32>,
    pub gaze: Vec<f32>,
    pub mel: Vec<f32>,
    pub speech: Vec<f32>,
    /// [video_present, audio_present] per window.
    pub present: Vec<f32>,
    /// Five scores per window in 0..100, NaN where absent.
    pub scores: Vec<f32>,
    /// Multi-hot over `kinds`.
    pub reminders: Vec<f32>,
    /// What the rule engine scores when the window's camera is missing (NaN where absent):
    /// the baseline the model is compared with when a modality drops.
    pub rules_no_camera: Vec<f32>,
    pub kinds: Vec<String>,
    pub provenance: Vec<Provenance>,
}

/// The rule engine's labels of one window.
#[derive(Clone, Debug, PartialEq)]
pub struct Labels {
    pub scores: [Option<f64>; 5],
    pub reminders: Vec<bool>,
    pub rules_no_camera: [Option<f64>; 5],
}

impl Labels {
    pub fn from_rules(rules: &Rules, catalogue: &Catalogue, window: &FeatureWindow) -> Self {
        let mut blind = window.signals.clone();
        for signal in Signal::ALL
            .into_iter()
            .filter(|s| s.source() == Source::Video)
        {
            blind.set(signal, None);
        }
        Self {
            rules_no_camera: rules.score(&blind, false).values(),
            scores: rules.score(&window.signals, false).values(),
            reminders: catalogue
                .kinds
                .iter()
                .map(|k| k.holds(&window.signals, false))
                .collect(),
        }
    }
}

impl Dataset {
    pub fn new(catalogue: &Catalogue) -> Self {
        Self {
            kinds: catalogue.kinds.iter().map(|k| k.id.clone()).collect(),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.provenance.len()
    }

    pub fn is_empty(&self) -> bool {
        self.provenance.is_empty()
    }

    pub fn push(&mut self, window: &FeatureWindow, labels: &Labels, provenance: Provenance) {
        self.expression
            .extend(window.expression.iter().flatten().copied());
        self.pose.extend(window.pose.iter().flatten().copied());
        self.gaze.extend(window.gaze.iter().flatten().copied());
        self.mel.extend(window.mel);
        self.speech.extend(window.speech);
        self.present
            .extend([window.video_present, window.audio_present]);
        self.scores
            .extend(labels.scores.map(|s| s.map_or(f32::NAN, |v| v as f32)));
        self.reminders
            .extend(labels.reminders.iter().map(|&r| f32::from(u8::from(r))));
        self.rules_no_camera.extend(
            labels
                .rules_no_camera
                .map(|s| s.map_or(f32::NAN, |v| v as f32)),
        );
        self.provenance.push(provenance);
    }

    fn fields(&self) -> [(&'static str, &Vec<f32>, Vec<usize>); 9] {
        let n = self.len();
        [
            (
                "expression",
                &self.expression,
                vec![n, STEPS, EXPRESSION_DIM],
            ),
            ("pose", &self.pose, vec![n, STEPS, POSE_DIM]),
            ("gaze", &self.gaze, vec![n, STEPS, GAZE_DIM]),
            ("mel", &self.mel, vec![n, MEL_DIM]),
            ("speech", &self.speech, vec![n, SPEECH_DIM]),
            ("present", &self.present, vec![n, 2]),
            ("scores", &self.scores, vec![n, 5]),
            ("reminders", &self.reminders, vec![n, self.kinds.len()]),
            ("rules_no_camera", &self.rules_no_camera, vec![n, 5]),
        ]
    }

    pub fn save(&self, dir: &Path) -> Result<(), DatasetError> {
        let io = |source| DatasetError::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tensors = HashMap::new();
        let mut shapes = HashMap::new();
        for (name, data, shape) in self.fields() {
            tensors.insert(
                name.to_string(),
                Tensor::from_slice(data, shape.as_slice(), &Device::Cpu)?,
            );
            shapes.insert(name.to_string(), shape);
        }
        candle_core::safetensors::save(&tensors, dir.join(FEATURES_FILE))?;
        let meta = Meta {
            format_version: FORMAT_VERSION,
            labeller: format!("rules v{}", Rules::built_in().version),
            kinds: self.kinds.clone(),
            dimensions: crate::rules::DIMENSIONS.map(String::from).to_vec(),
            shapes,
            provenance: self.provenance.clone(),
        };
        std::fs::write(dir.join(META_FILE), serde_json::to_vec_pretty(&meta)?).map_err(io)
    }

    pub fn load(dir: &Path) -> Result<Self, DatasetError> {
        let meta_path = dir.join(META_FILE);
        let text = std::fs::read(&meta_path).map_err(|source| DatasetError::Io {
            path: meta_path.display().to_string(),
            source,
        })?;
        let meta: Meta = serde_json::from_slice(&text)?;
        if meta.format_version != FORMAT_VERSION {
            return Err(DatasetError::Invalid(format!(
                "format version {} (this build reads {FORMAT_VERSION}); rebuild it with `mianshi dataset build`",
                meta.format_version
            )));
        }
        let tensors = candle_core::safetensors::load(dir.join(FEATURES_FILE), &Device::Cpu)?;
        let mut dataset = Dataset {
            kinds: meta.kinds,
            provenance: meta.provenance,
            ..Dataset::default()
        };
        let n = dataset.len();
        let expected: Vec<(&'static str, Vec<usize>)> = dataset
            .fields()
            .into_iter()
            .map(|(name, _, shape)| (name, shape))
            .collect();
        for (name, shape) in expected {
            let tensor = tensors
                .get(name)
                .ok_or_else(|| DatasetError::Invalid(format!("missing tensor {name}")))?;
            if tensor.dims() != shape.as_slice() {
                return Err(DatasetError::Invalid(format!(
                    "{name} has shape {:?}, expected {shape:?} for {n} windows",
                    tensor.dims()
                )));
            }
            let data = tensor
                .to_dtype(DType::F32)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            *dataset.field_mut(name) = data;
        }
        Ok(dataset)
    }

    fn field_mut(&mut self, name: &str) -> &mut Vec<f32> {
        match name {
            "expression" => &mut self.expression,
            "pose" => &mut self.pose,
            "gaze" => &mut self.gaze,
            "mel" => &mut self.mel,
            "speech" => &mut self.speech,
            "present" => &mut self.present,
            "scores" => &mut self.scores,
            "rules_no_camera" => &mut self.rules_no_camera,
            _ => &mut self.reminders,
        }
    }

    /// The windows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut out = Dataset {
            kinds: self.kinds.clone(),
            ..Dataset::default()
        };
        let widths: Vec<(&'static str, usize)> = self
            .fields()
            .iter()
            .map(|(name, _, shape)| (*name, shape[1..].iter().product()))
            .collect();
        for &i in indices {
            for &(name, width) in &widths {
                let source = self.field(name);
                out.field_mut(name)
                    .extend_from_slice(&source[i * width..(i + 1) * width]);
            }
            out.provenance.push(self.provenance[i].clone());
        }
        out
    }

    fn field(&self, name: &str) -> &Vec<f32> {
        self.fields()
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, data, _)| data)
            .unwrap_or(&self.reminders)
    }

    /// Splits by recording: about `validation_share` of the recordings (chosen by a hash of
    /// their names, so the split is stable), at least one, go to validation.
    pub fn split(&self, validation_share: f64) -> (Dataset, Dataset) {
        let recordings: BTreeSet<&str> = self
            .provenance
            .iter()
            .map(|p| p.recording.as_str())
            .collect();
        // Recordings in a stable pseudo-random order; the first share is held out, at least
        // one and never all (when there are two or more).
        let mut ordered: Vec<&str> = recordings.into_iter().collect();
        ordered.sort_by_key(|r| fnv(r));
        let wanted = (ordered.len() as f64 * validation_share).round() as usize;
        let held = wanted.clamp(
            usize::from(ordered.len() >= 2 && validation_share > 0.0),
            ordered
                .len()
                .saturating_sub(1)
                .max(usize::from(ordered.len() == 1 && validation_share >= 1.0)),
        );
        let held_out: BTreeSet<&str> = ordered[..held].iter().copied().collect();
        let (mut train, mut val) = (Vec::new(), Vec::new());
        for (i, p) in self.provenance.iter().enumerate() {
            if held_out.contains(p.recording.as_str()) {
                val.push(i);
            } else {
                train.push(i);
            }
        }
        (self.subset(&train), self.subset(&val))
    }

    /// How many windows carry each reminder kind.
    pub fn reminder_counts(&self) -> Vec<(String, usize)> {
        let k = self.kinds.len();
        self.kinds
            .iter()
            .enumerate()
            .map(|(j, kind)| {
                let count = (0..self.len())
                    .filter(|i| self.reminders[i * k + j] > 0.5)
                    .count();
                (kind.clone(), count)
            })
            .collect()
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Signals;

    fn window(wpm: f64) -> FeatureWindow {
        let mut signals = Signals::default();
        signals.set(Signal::WordsPerMinute, Some(wpm));
        signals.set(Signal::SpeakingSeconds, Some(12.0));
        FeatureWindow {
            start: 0.0,
            expression: [[0.1; EXPRESSION_DIM]; STEPS],
            pose: [[0.2; POSE_DIM]; STEPS],
            gaze: [[0.3; GAZE_DIM]; STEPS],
            mel: [0.4; MEL_DIM],
            speech: [0.5; SPEECH_DIM],
            video_present: 1.0,
            audio_present: 1.0,
            signals,
        }
    }

    #[test]
    fn a_dataset_round_trips_through_disk_with_rule_labels() {
        let rules = Rules::built_in();
        let catalogue = Catalogue::built_in();
        let mut dataset = Dataset::new(&catalogue);
        for (i, wpm) in [150.0, 200.0, 95.0].into_iter().enumerate() {
            let w = window(wpm);
            let labels = Labels::from_rules(&rules, &catalogue, &w);
            dataset.push(
                &w,
                &labels,
                Provenance {
                    recording: format!("r{i}"),
                    start: 0.0,
                    augment: String::new(),
                },
            );
        }
        let fast = dataset.kinds.iter().position(|k| k == "pace_fast").unwrap();
        let k = dataset.kinds.len();
        assert_eq!(dataset.reminders[k + fast], 1.0, "200 wpm is fast");
        assert_eq!(dataset.reminders[fast], 0.0);
        assert_eq!(dataset.scores[0], 100.0, "language at 150 wpm");
        assert!(dataset.scores[2].is_nan(), "no camera: body absent");

        let dir = tempfile::tempdir().unwrap();
        dataset.save(dir.path()).unwrap();
        let loaded = Dataset::load(dir.path()).unwrap();
        assert_eq!(loaded.len(), 3);
        assert_eq!(loaded.kinds, dataset.kinds);
        assert_eq!(loaded.pose, dataset.pose);
        assert_eq!(loaded.provenance, dataset.provenance);
        assert!(loaded.scores[2].is_nan());

        let (train, val) = loaded.split(0.5);
        assert_eq!(train.len() + val.len(), 3);
        assert_eq!(train.mel.len(), train.len() * MEL_DIM);
        let train_recordings: BTreeSet<_> = train.provenance.iter().map(|p| &p.recording).collect();
        assert!(val
            .provenance
            .iter()
            .all(|p| !train_recordings.contains(&p.recording)));
    }

    #[test]
    fn a_damaged_dataset_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Dataset::load(dir.path()),
            Err(DatasetError::Io { .. })
        ));
        std::fs::write(
            dir.path().join(META_FILE),
            r#"{"format_version":99,"labeller":"","kinds":[],"dimensions":[],"shapes":{},"provenance":[]}"#,
        )
        .unwrap();
        let err = Dataset::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("format version 99"), "{err}");
    }
}
