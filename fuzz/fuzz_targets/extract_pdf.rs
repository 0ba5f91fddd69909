//! Any bytes behind a PDF header: extraction returns text or a typed error, never panics,
//! hangs or grows without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mianshi_resume::{extract_text, Limits};

fuzz_target!(|data: &[u8]| {
    // pdf-extract panics on some malformed files; the library contains that with
    // `catch_unwind`. libFuzzer's hook would abort on the contained panic, so use a silent
    // hook: a panic that escapes the library still ends in libFuzzer's abort and is reported.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(text) = extract_text(&bytes, Some("fuzz.pdf"), &Limits::default()) {
        let _ = mianshi_resume::parse_profile(&text.text);
    }
});
