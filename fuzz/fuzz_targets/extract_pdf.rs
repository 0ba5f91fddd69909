//! Any bytes behind a PDF header: extraction returns text or a typed error, never panics,
//! hangs or grows without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mianshi_resume::{extract_text, Limits};

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(text) = extract_text(&bytes, Some("fuzz.pdf"), &Limits::default()) {
        let _ = mianshi_resume::parse_profile(&text.text);
    }
});
