//! Inputs the fuzzers found (`tests/data/fuzz`): each must end in text or a typed error —
//! never a panic escaping the library.

use std::path::Path;

#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().and_then(|n| n.to_str());
        match mianshi_resume::extract_text(&bytes, name, &mianshi_resume::Limits::default()) {
            Ok(text) => {
                let _ = mianshi_resume::parse_profile(&text.text);
            }
            Err(err) => assert!(!err.code().is_empty()),
        }
        seen += 1;
    }
    assert!(seen >= 1, "no fuzzer findings in {}", dir.display());
}
