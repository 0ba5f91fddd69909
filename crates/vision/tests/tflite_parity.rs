//! Our TFLite interpreter against the reference runtime (ai-edge-litert 2.3.0) on the same
//! inputs: for every model, a real photo crop (tests/data/*.png, written by
//! tests/data/make_reference.py) and the reference outputs it produced.
//!
//! Tolerances: landmark and detector outputs are in input pixels (up to a few hundred), and
//! the reference itself moves by up to 1.5e-3 between its XNNPACK and builtin kernels; we
//! allow 2e-3 + 1e-5 × |value|. The expression model stores its largest kernels as int8 that
//! the reference multiplies with activations quantised on the fly, while we run in f32 on the
//! dequantised weights; its probabilities agree to 0.03 (the reference's own HDF5-vs-TFLite
//! gap is 0.031).

mod common;

use std::sync::Arc;

use mianshi_vision::tflite::Model;

fn model_path(file: &str) -> std::path::PathBuf {
    let root = common::model_root();
    match file {
        "emotion_model_quantized.tflite" => root.join("fer-mini-xception").join(file),
        f if f.starts_with("pose_") => root.join("mediapipe-pose").join(f),
        f => root.join("mediapipe-face").join(f),
    }
}

fn input(entry: &serde_json::Value) -> Vec<f32> {
    let png = common::data(entry["input_png"].as_str().unwrap());
    let image = image::open(&png).expect("png");
    let scale = entry["scale"].as_f64().unwrap() as f32;
    let offset = entry["offset"].as_f64().unwrap() as f32;
    let raw: Vec<u8> = if entry["channels"] == "RGB" {
        image.to_rgb8().into_raw()
    } else {
        image.to_luma8().into_raw()
    };
    raw.iter().map(|&p| p as f32 * scale + offset).collect()
}

#[test]
fn every_model_matches_the_reference_runtime() {
    let reference = common::json("reference.json");
    let models = reference["models"].as_object().unwrap();
    assert_eq!(models.len(), 7, "all seven models are covered");
    for (name, entry) in models {
        let model =
            Arc::new(Model::load(&model_path(entry["model_file"].as_str().unwrap())).unwrap());
        let outputs = entry["outputs"].as_object().unwrap();
        let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
        let runner = model.runner(&names).unwrap();
        let x = input(entry);
        let sum: f64 = x.iter().map(|&v| v as f64).sum();
        let expected_sum = entry["input_sum"].as_f64().unwrap();
        assert!(
            (sum - expected_sum).abs() <= 1e-4 * expected_sum.abs().max(1.0),
            "{name}: same input ({sum} vs {expected_sum})"
        );
        let ours = runner.run(&x).unwrap();
        let emotion = name == "emotion";
        for (out, (out_name, expected)) in ours.iter().zip(outputs) {
            let count = expected["count"].as_u64().map(|c| c as usize);
            let stride = expected["subsample_stride"].as_u64().unwrap_or(1) as usize;
            let values: Vec<f64> = expected["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            if let Some(count) = count {
                assert_eq!(out.len(), count, "{name}/{out_name} size");
            } else {
                assert_eq!(out.len(), values.len(), "{name}/{out_name} size");
            }
            let mut worst = 0.0f64;
            for (i, want) in values.iter().enumerate() {
                let got = out[i * stride] as f64;
                let tolerance = if emotion {
                    0.03
                } else {
                    2e-3 + 1e-5 * want.abs()
                };
                let diff = (got - want).abs();
                assert!(
                    diff <= tolerance,
                    "{name}/{out_name}[{}]: ours {got}, reference {want}",
                    i * stride
                );
                worst = worst.max(diff);
            }
            if let Some(sum) = expected["sum_abs"].as_f64() {
                let ours: f64 = out.iter().map(|v| v.abs() as f64).sum();
                assert!(
                    (ours - sum).abs() <= 1e-4 * sum,
                    "{name}/{out_name}: sum |x| {ours} vs {sum}"
                );
            }
            println!("{name}/{out_name}: max |ours - reference| = {worst:.2e}");
        }
    }
}

#[test]
fn a_corrupt_model_file_is_an_error_not_a_panic() {
    let bytes = std::fs::read(model_path("face_landmark.tflite")).unwrap();
    for cut in [0, 7, 100, 5000, bytes.len() / 2] {
        assert!(
            Model::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut flipped = bytes.clone();
    for i in (8..flipped.len()).step_by(997) {
        flipped[i] ^= 0xA5;
    }
    // Either refused or loaded; never a panic or an out-of-bounds read.
    let _ = Model::from_bytes(&flipped).map(|m| {
        let m = Arc::new(m);
        let names: Vec<String> = m.output_names().iter().map(|s| s.to_string()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        if let Ok(r) = m.runner(&names) {
            let n: usize = r.input_shape().iter().product();
            let _ = r.run(&vec![0.5; n]);
        }
    });
}
