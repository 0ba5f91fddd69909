//! Training and evaluation of the fusion model on a review dataset.
//!
//! Training: AdamW, shuffled mini-batches, modality dropout (a window loses its camera or
//! its microphone with some probability, so a missing modality at run time is something the
//! model has seen), validation after every epoch on recordings it never trained on, the best
//! checkpoint kept, early stopping, a CSV log and PNG curves.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::fusion::{loss, Batch, FusionConfig, FusionModel, DTYPE};
use crate::rules::DIMENSIONS;
use crate::window::{EXPRESSION_DIM, GAZE_DIM, MEL_DIM, POSE_DIM, SPEECH_DIM, STEPS};

pub const MODEL_FILE: &str = "model.safetensors";
pub const CONFIG_FILE: &str = "config.json";
pub const LOG_FILE: &str = "training_log.csv";
pub const CURVES_FILE: &str = "curves.png";

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("config.json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("plot: {0}")]
    Plot(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    pub validation_share: f64,
    /// Per window and epoch: the chance that its camera (or, when it has a camera, its
    /// microphone) is hidden from the model.
    pub modality_dropout: f64,
    pub seed: u64,
}

impl Default for TrainOptions {
    /// The seed's defaults: 100 epochs, batch 8, learning rate 5e-4.
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 8,
            learning_rate: 5e-4,
            patience: 15,
            validation_share: 0.2,
            modality_dropout: 0.15,
            seed: 7,
        }
    }
}

/// One epoch's numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
    pub validation_mae: f64,
    pub reminder_accuracy: f64,
    pub seconds: f64,
}

/// Where training left its files and how it went.
#[derive(Clone, Debug)]
pub struct TrainReport {
    pub out_dir: PathBuf,
    pub parameters: usize,
    pub train_windows: usize,
    pub validation_windows: usize,
    pub epochs: Vec<EpochLog>,
    pub best_epoch: usize,
    pub stopped_early: bool,
}

/// A small deterministic generator (xorshift64*), enough for shuffling and dropout.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The model's inputs and targets for some windows of a dataset.
pub struct Examples {
    pub batch: Batch,
    /// [B, 5], absent scores as 0
    pub scores: Tensor,
    /// [B, 5], 1 where the score is present
    pub score_mask: Tensor,
    /// [B, kinds]
    pub reminders: Tensor,
}

/// Which modality to hide from the model for one window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hide {
    Nothing,
    Camera,
    Microphone,
}

pub fn examples(
    data: &Dataset,
    indices: &[usize],
    hide: &dyn Fn(usize) -> Hide,
) -> candle_core::Result<Examples> {
    let b = indices.len();
    let kinds = data.kinds.len();
    let gather = |field: &[f32], width: usize, zero: &dyn Fn(usize) -> bool| {
        let mut out = Vec::with_capacity(b * width);
        for (row, &i) in indices.iter().enumerate() {
            if zero(row) {
                out.extend(std::iter::repeat_n(0.0, width));
            } else {
                out.extend_from_slice(&field[i * width..(i + 1) * width]);
            }
        }
        out
    };
    let no_camera = |row: usize| hide(row) == Hide::Camera;
    let no_mic = |row: usize| hide(row) == Hide::Microphone;
    let keep = |_: usize| false;
    let dev = &Device::Cpu;
    let mut present = gather(&data.present, 2, &keep);
    for row in 0..b {
        match hide(row) {
            Hide::Camera => present[2 * row] = 0.0,
            Hide::Microphone => present[2 * row + 1] = 0.0,
            Hide::Nothing => {}
        }
    }
    let raw_scores = gather(&data.scores, 5, &keep);
    let score_mask: Vec<f32> = raw_scores
        .iter()
        .map(|s| f32::from(u8::from(!s.is_nan())))
        .collect();
    let scores: Vec<f32> = raw_scores
        .iter()
        .map(|s| if s.is_nan() { 0.0 } else { *s })
        .collect();
    Ok(Examples {
        batch: Batch {
            expression: Tensor::from_vec(
                gather(&data.expression, STEPS * EXPRESSION_DIM, &no_camera),
                (b, STEPS, EXPRESSION_DIM),
                dev,
            )?,
            pose: Tensor::from_vec(
                gather(&data.pose, STEPS * POSE_DIM, &no_camera),
                (b, STEPS, POSE_DIM),
                dev,
            )?,
            gaze: Tensor::from_vec(
                gather(&data.gaze, STEPS * GAZE_DIM, &no_camera),
                (b, STEPS, GAZE_DIM),
                dev,
            )?,
            mel: Tensor::from_vec(gather(&data.mel, MEL_DIM, &no_mic), (b, MEL_DIM), dev)?,
            speech: Tensor::from_vec(
                gather(&data.speech, SPEECH_DIM, &no_mic),
                (b, SPEECH_DIM),
                dev,
            )?,
            present: Tensor::from_vec(present, (b, 2), dev)?,
        },
        scores: Tensor::from_vec(scores, (b, 5), dev)?,
        score_mask: Tensor::from_vec(score_mask, (b, 5), dev)?,
        reminders: Tensor::from_vec(gather(&data.reminders, kinds, &keep), (b, kinds), dev)?,
    })
}

/// A trained model ready to run.
pub struct Trained {
    pub model: FusionModel,
    pub varmap: VarMap,
}

impl Trained {
    pub fn fresh(config: FusionConfig) -> Result<Self, TrainError> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DTYPE, &Device::Cpu);
        let model = FusionModel::new(config, vb)?;
        Ok(Self { model, varmap })
    }

    /// Loads `config.json` and `model.safetensors` from a checkpoint directory.
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let config_path = dir.join(CONFIG_FILE);
        let config: FusionConfig =
            serde_json::from_slice(&std::fs::read(&config_path).map_err(io_error(&config_path))?)?;
        let mut trained = Self::fresh(config)?;
        trained.varmap.load(dir.join(MODEL_FILE))?;
        Ok(trained)
    }

    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        self.varmap.save(dir.join(MODEL_FILE))?;
        let config_path = dir.join(CONFIG_FILE);
        std::fs::write(&config_path, serde_json::to_vec_pretty(&self.model.config)?)
            .map_err(io_error(&config_path))
    }
}

/// Trains on `data` (split by recording into train and validation) and writes the best
/// checkpoint, the log and the curves into `out_dir`. `progress` sees every epoch.
pub fn train(
    data: &Dataset,
    options: &TrainOptions,
    out_dir: &Path,
    progress: &mut dyn FnMut(&EpochLog),
) -> Result<TrainReport, TrainError> {
    let (train_set, validation) = data.split(options.validation_share);
    if train_set.is_empty() || validation.is_empty() {
        return Err(TrainError::Invalid(format!(
            "need windows from several recordings for a train/validation split; got {} train and {} validation windows",
            train_set.len(),
            validation.len()
        )));
    }
    if options.batch_size == 0 || options.epochs == 0 {
        return Err(TrainError::Invalid(
            "epochs and batch size must be positive".into(),
        ));
    }
    let trained = Trained::fresh(FusionConfig::new(data.kinds.clone()))?;
    let mut optimiser = AdamW::new(
        trained.varmap.all_vars(),
        ParamsAdamW {
            lr: options.learning_rate,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    std::fs::create_dir_all(out_dir).map_err(io_error(out_dir))?;
    let mut rng = Rng(options.seed.max(1));
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let mut epochs = Vec::new();
    let mut best = (f64::INFINITY, 0usize);
    let mut stopped_early = false;
    for epoch in 1..=options.epochs {
        let started = std::time::Instant::now();
        rng.shuffle(&mut order);
        let (mut total, mut batches) = (0.0, 0usize);
        for chunk in order.chunks(options.batch_size) {
            let hides: Vec<Hide> = chunk
                .iter()
                .map(|&i| {
                    let has_camera = train_set.present[2 * i] > 0.0;
                    let has_mic = train_set.present[2 * i + 1] > 0.0;
                    let roll = rng.unit();
                    if has_camera && has_mic && roll < options.modality_dropout {
                        Hide::Camera
                    } else if has_camera && has_mic && roll < options.modality_dropout * 1.5 {
                        Hide::Microphone
                    } else {
                        Hide::Nothing
                    }
                })
                .collect();
            let ex = examples(&train_set, chunk, &|row| hides[row])?;
            let output = trained.model.forward(&ex.batch, true)?;
            let l = loss(&output, &ex.scores, &ex.score_mask, &ex.reminders)?;
            optimiser.backward_step(&l)?;
            total += f64::from(l.to_scalar::<f32>()?);
            batches += 1;
        }
        let eval = evaluate(&trained.model, &validation, Hide::Nothing)?;
        let log = EpochLog {
            epoch,
            train_loss: total / batches.max(1) as f64,
            validation_loss: eval.loss,
            validation_mae: eval.mean_mae(),
            reminder_accuracy: eval.reminder_top1,
            seconds: started.elapsed().as_secs_f64(),
        };
        progress(&log);
        epochs.push(log);
        if eval.loss < best.0 {
            best = (eval.loss, epoch);
            trained.save(out_dir)?;
        } else if epoch - best.1 >= options.patience {
            stopped_early = true;
            break;
        }
    }
    write_log(&out_dir.join(LOG_FILE), &epochs)?;
    crate::plot::curves(&out_dir.join(CURVES_FILE), &epochs, best.1).map_err(TrainError::Plot)?;
    Ok(TrainReport {
        out_dir: out_dir.to_owned(),
        parameters: FusionModel::parameter_count(&trained.varmap),
        train_windows: train_set.len(),
        validation_windows: validation.len(),
        epochs,
        best_epoch: best.1,
        stopped_early,
    })
}

fn write_log(path: &Path, epochs: &[EpochLog]) -> Result<(), TrainError> {
    let mut text =
        String::from("epoch,train_loss,validation_loss,validation_mae,reminder_accuracy,seconds\n");
    for e in epochs {
        text.push_str(&format!(
            "{},{:.5},{:.5},{:.3},{:.4},{:.2}\n",
            e.epoch,
            e.train_loss,
            e.validation_loss,
            e.validation_mae,
            e.reminder_accuracy,
            e.seconds
        ));
    }
    std::fs::write(path, text).map_err(io_error(path))
}

/// How well the model matches the labels of a dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub windows: usize,
    pub loss: f64,
    /// Mean absolute error per dimension (in [`DIMENSIONS`] order) over present labels, and
    /// how many labels each had.
    pub mae: [Option<f64>; 5],
    pub labelled: [usize; 5],
    /// With the camera hidden: the rule engine's error on the same windows when it scores
    /// without the camera (it can only drop the camera's dimensions and average the rest).
    pub rules_mae: Option<[Option<f64>; 5]>,
    /// Among windows with at least one reminder: the model's most likely kind is one of them.
    pub reminder_top1: f64,
    pub windows_with_reminders: usize,
    /// Over all windows: the set of kinds above 0.5 equals the labelled set exactly.
    pub reminder_exact: f64,
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub micro_f1: f64,
    /// Rows: the labelled kind (windows with exactly one, plus "none"); columns: the model's
    /// top kind above 0.5, or "none". Only kinds that occur are listed.
    pub confusion: Confusion,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    /// counts[true][predicted]
    pub counts: Vec<Vec<usize>>,
}

impl Evaluation {
    pub fn mean_mae(&self) -> f64 {
        let present: Vec<f64> = self.mae.iter().flatten().copied().collect();
        present.iter().sum::<f64>() / present.len().max(1) as f64
    }
}

const EVAL_BATCH: usize = 256;

/// Runs the model over every window of `data` (hiding `hide` from it) and compares with the
/// labels.
pub fn evaluate(model: &FusionModel, data: &Dataset, hide: Hide) -> Result<Evaluation, TrainError> {
    let kinds = data.kinds.len();
    let mut predicted_scores = Vec::with_capacity(data.len() * 5);
    let mut probabilities = Vec::with_capacity(data.len() * kinds);
    let (mut loss_sum, mut batches) = (0.0, 0usize);
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let ex = examples(data, chunk, &|_| hide)?;
        let output = model.forward(&ex.batch, false)?;
        loss_sum += f64::from(
            loss(&output, &ex.scores, &ex.score_mask, &ex.reminders)?.to_scalar::<f32>()?,
        );
        batches += 1;
        predicted_scores.extend(output.scores.flatten_all()?.to_vec1::<f32>()?);
        probabilities.extend(
            candle_nn::ops::sigmoid(&output.reminder_logits)?
                .flatten_all()?
                .to_vec1::<f32>()?,
        );
    }
    // With a modality hidden, only windows that had it show what hiding it costs.
    let counted = |i: usize| match hide {
        Hide::Nothing => true,
        Hide::Camera => data.present[2 * i] > 0.0,
        Hide::Microphone => data.present[2 * i + 1] > 0.0,
    };
    let mae_of = |predicted: &[f32]| {
        let mut abs_sum = [0.0f64; 5];
        let mut labelled = [0usize; 5];
        for i in (0..data.len()).filter(|&i| counted(i)) {
            for d in 0..5 {
                let (label, guess) = (data.scores[i * 5 + d], predicted[i * 5 + d]);
                if !label.is_nan() && !guess.is_nan() {
                    abs_sum[d] += f64::from((guess - label).abs());
                    labelled[d] += 1;
                }
            }
        }
        let mae: [Option<f64>; 5] =
            std::array::from_fn(|d| (labelled[d] > 0).then(|| abs_sum[d] / labelled[d] as f64));
        (mae, labelled)
    };
    let (mae, labelled) = mae_of(&predicted_scores);
    let rules_mae = (hide == Hide::Camera).then(|| mae_of(&data.rules_no_camera).0);

    let (mut hits, mut with_reminders, mut exact) = (0usize, 0usize, 0usize);
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    let mut pairs = Vec::new();
    for i in 0..data.len() {
        let truth = &data.reminders[i * kinds..(i + 1) * kinds];
        let probs = &probabilities[i * kinds..(i + 1) * kinds];
        let top = (0..kinds).max_by(|&a, &b| probs[a].total_cmp(&probs[b]));
        let true_kinds: Vec<usize> = (0..kinds).filter(|&k| truth[k] > 0.5).collect();
        if !true_kinds.is_empty() {
            with_reminders += 1;
            hits += usize::from(top.is_some_and(|t| truth[t] > 0.5));
        }
        let mut same = true;
        for k in 0..kinds {
            let (t, p) = (truth[k] > 0.5, probs[k] > 0.5);
            tp += usize::from(t && p);
            fp += usize::from(!t && p);
            fneg += usize::from(t && !p);
            same &= t == p;
        }
        exact += usize::from(same);
        if true_kinds.len() <= 1 {
            let predicted = top.filter(|&t| probs[t] > 0.5);
            pairs.push((true_kinds.first().copied(), predicted));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    Ok(Evaluation {
        windows: data.len(),
        loss: loss_sum / batches.max(1) as f64,
        mae,
        labelled,
        rules_mae,
        reminder_top1: hits as f64 / with_reminders.max(1) as f64,
        windows_with_reminders: with_reminders,
        reminder_exact: exact as f64 / data.len().max(1) as f64,
        micro_precision: precision,
        micro_recall: recall,
        micro_f1: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
        confusion: confusion(&data.kinds, &pairs),
    })
}

fn confusion(kinds: &[String], pairs: &[(Option<usize>, Option<usize>)]) -> Confusion {
    let mut used: Vec<Option<usize>> = pairs
        .iter()
        .flat_map(|&(t, p)| [t, p])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    used.sort();
    let position = |k: Option<usize>| used.iter().position(|u| *u == k).unwrap_or(0);
    let mut counts = vec![vec![0; used.len()]; used.len()];
    for &(t, p) in pairs {
        counts[position(t)][position(p)] += 1;
    }
    Confusion {
        labels: used
            .iter()
            .map(|k| k.map_or_else(|| "none".to_string(), |k| kinds[k].clone()))
            .collect(),
        counts,
    }
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "windows: {}", self.windows)?;
        writeln!(f, "{:<11} {:>8} {:>8}", "dimension", "MAE", "labels")?;
        for (d, name) in DIMENSIONS.iter().enumerate() {
            let mae = self.mae[d].map_or("—".to_string(), |m| format!("{m:.2}"));
            writeln!(f, "{name:<11} {mae:>8} {:>8}", self.labelled[d])?;
        }
        writeln!(f, "{:<11} {:>8.2}   (seed: 3.41)", "mean", self.mean_mae())?;
        writeln!(
            f,
            "reminders: top-1 {:.1} % of {} windows with a reminder (seed: 71.4 %); exact set {:.1} %; micro P/R/F1 {:.2}/{:.2}/{:.2}",
            100.0 * self.reminder_top1,
            self.windows_with_reminders,
            100.0 * self.reminder_exact,
            self.micro_precision,
            self.micro_recall,
            self.micro_f1
        )?;
        let c = &self.confusion;
        if !c.labels.is_empty() {
            writeln!(
                f,
                "confusion (rows: labelled kind; columns: the model's top kind > 0.5)"
            )?;
            let width = c.labels.iter().map(|l| l.len()).max().unwrap_or(4).max(4);
            write!(f, "{:width$}", "")?;
            for (j, _) in c.labels.iter().enumerate() {
                write!(f, " {j:>5}")?;
            }
            writeln!(f)?;
            for (i, label) in c.labels.iter().enumerate() {
                write!(f, "{label:<width$}")?;
                for count in &c.counts[i] {
                    write!(f, " {count:>5}")?;
                }
                writeln!(f, "   ({i})")?;
            }
        }
        Ok(())
    }
}

/// Per-window latency of the model (batch 1, and batched per window) and of the rule engine,
/// as a table. Run it with one thread (`RAYON_NUM_THREADS=1`, as `mianshi bench review` does)
/// for the one-core figure.
pub fn bench(model: &FusionModel, data: &Dataset, iterations: usize) -> Result<String, TrainError> {
    if data.is_empty() {
        return Err(TrainError::Invalid("the dataset has no windows".into()));
    }
    let iterations = iterations.max(10);
    let time = |f: &mut dyn FnMut() -> Result<(), TrainError>| -> Result<Vec<f64>, TrainError> {
        f()?; // warm-up
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let started = std::time::Instant::now();
            f()?;
            samples.push(started.elapsed().as_secs_f64() * 1e3);
        }
        samples.sort_by(f64::total_cmp);
        Ok(samples)
    };
    let pick = |s: &[f64], q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    let mut rows = Vec::new();
    let mut next = 0usize;
    let single = time(&mut || {
        let ex = examples(data, &[next % data.len()], &|_| Hide::Nothing)?;
        next += 1;
        model.forward(&ex.batch, false)?;
        Ok(())
    })?;
    rows.push(("fusion model, batch 1", 1, single));
    let batch = 32.min(data.len());
    let indices: Vec<usize> = (0..batch).collect();
    let batched = time(&mut || {
        let ex = examples(data, &indices, &|_| Hide::Nothing)?;
        model.forward(&ex.batch, false)?;
        Ok(())
    })?;
    rows.push(("fusion model, batch 32", batch, batched));
    let rules = crate::Rules::built_in();
    let catalogue = crate::Catalogue::built_in();
    // Every signal measured, so every term and clause is evaluated.
    let mut signals = crate::Signals::default();
    for (i, signal) in crate::Signal::ALL.into_iter().enumerate() {
        signals.set(signal, Some(i as f64));
    }
    let rule_times = time(&mut || {
        std::hint::black_box(rules.score(&signals, false));
        std::hint::black_box(
            catalogue
                .kinds
                .iter()
                .filter(|k| k.holds(&signals, false))
                .count(),
        );
        Ok(())
    })?;
    rows.push(("rule engine (scores + reminders)", 1, rule_times));
    let mut out = format!(
        "threads: {}; {iterations} runs each; times per window\n{:<34} {:>10} {:>10} {:>12}\n",
        candle_core::utils::get_num_threads(),
        "path",
        "p50 ms",
        "p99 ms",
        "windows/s"
    );
    for (name, per, samples) in rows {
        let per = per as f64;
        out.push_str(&format!(
            "{name:<34} {:>10.4} {:>10.4} {:>12.0}\n",
            pick(&samples, 0.5) / per,
            pick(&samples, 0.99) / per,
            1e3 * per / pick(&samples, 0.5)
        ));
    }
    Ok(out)
}
