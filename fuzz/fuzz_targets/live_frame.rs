//! The live stream's binary frames as a client may send them: the bytes are cut into frames
//! (each led by a 2-byte length) and fed in order, as the server does — PCM16 and JPEG frames
//! through the frame parser and the image decoder, a WebM/Opus stream (opened by its EBML
//! magic) through the incremental demuxer and Opus decoder, which keep state across frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mianshi_core::frame::{parse_frame, Frame};
use mianshi_speech::webm_stream::{starts_webm, WebmAudioStream};

fuzz_target!(|data: &[u8]| {
    let mut webm: Option<WebmAudioStream> = None;
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (frame, tail) = rest[2..].split_at(len);
        rest = tail;
        if webm.is_some() || starts_webm(frame) {
            let stream = webm.get_or_insert_with(WebmAudioStream::new);
            match stream.push(frame) {
                Ok(samples) => assert!(samples.iter().all(|s| s.is_finite())),
                Err(_) => webm = None,
            }
            continue;
        }
        match parse_frame(frame) {
            Ok(Frame::Audio { samples, .. }) => {
                assert_eq!(samples.len() * 2 + 9, frame.len());
                assert!(samples.iter().all(|s| (-1.0..1.0).contains(s)));
            }
            Ok(Frame::Video { image, .. }) => {
                if mianshi_vision::image::guess_format(image).is_ok() {
                    let _ = mianshi_vision::image::load_from_memory(image);
                }
            }
            Err(_) => {}
        }
    }
});
