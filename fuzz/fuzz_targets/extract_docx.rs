//! Any bytes behind a ZIP signature (DOCX): extraction returns text or a typed error and keeps
//! to its decompression cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mianshi_resume::{extract_text, Limits};

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(data);
    let limits = Limits {
        max_decompressed: 8 * 1024 * 1024,
        ..Limits::default()
    };
    if let Ok(text) = extract_text(&bytes, Some("fuzz.docx"), &limits) {
        let _ = mianshi_resume::parse_profile(&text.text);
    }
});
