//! Uploaded recordings (`/api/ai/transcribe`, `/api/ai/analyze-speech-quality`): every
//! container and codec the decoder accepts (WAV, FLAC, MP3, Ogg/Vorbis, M4A/AAC, WebM/Opus),
//! resampled to 16 kHz. Anything may be refused; nothing may panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = mianshi_speech::decode(data, 30) {
        let samples = audio.to_16k();
        assert!(samples.len() <= 16_000 * 31);
        assert!(samples.iter().all(|s| s.is_finite()));
    }
});
