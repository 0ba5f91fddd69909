//! Decoding of compressed audio uploads (WAV, FLAC, MP3, Ogg/Vorbis, Ogg/Opus, MP4/AAC, WebM/Opus)
//! into mono `f32` samples at the source sample rate.
//!
//! Symphonia does the demuxing for everything except Matroska/WebM, and the decoding for
//! everything except Opus, for which it has no decoder: Opus goes through libopus (`opus` crate),
//! and WebM through `matroska-demuxer`.
//!
//! Input is untrusted. The rules this module enforces:
//! * garbage, truncated or mostly-corrupt input is `Unreadable`, never a partial result;
//! * decoding stops as soon as the output passes `max_seconds` (`TooLong`), so a long file costs
//!   at most `max_seconds` of decoding and memory;
//! * a panic inside a demuxer or decoder is caught and reported as `Unreadable`.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use matroska_demuxer::{Frame, MatroskaFile, TrackType as MkvTrackType};
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_AAC, CODEC_ID_FLAC, CODEC_ID_OPUS, CODEC_ID_VORBIS,
};
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Mono audio decoded from a compressed upload.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Mono samples in `[-1, 1]`.
    pub samples: Vec<f32>,
    /// Sample rate of `samples`; the source's own rate (48 kHz for Opus).
    pub sample_rate: u32,
    /// Short container/codec label for logs and metrics, e.g. `"webm/opus"`, `"mp3"`.
    pub format: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// Not audio, corrupt, or truncated.
    #[error("unreadable audio: {0}")]
    Unreadable(String),
    /// Recognised, but a container, codec or layout this module does not decode.
    #[error("unsupported audio: {0}")]
    Unsupported(String),
    /// Longer than the caller's limit. `seconds` is the declared length when the container states
    /// one, otherwise the amount decoded before giving up (just over `limit`).
    #[error("audio is at least {seconds} s long, the limit is {limit} s")]
    TooLong { seconds: u64, limit: u64 },
}

type Result<T> = std::result::Result<T, ContainerError>;

/// Decodes `bytes` to mono f32 at the source sample rate, refusing anything longer than
/// `max_seconds`.
pub fn decode_compressed(bytes: &[u8], max_seconds: u64) -> Result<Decoded> {
    // The demuxers parse hostile input with arithmetic and indexing that has panicked on fuzzed
    // files before; a bad upload must cost one request, not the worker. (The default panic hook
    // still prints the message to stderr.)
    panic::catch_unwind(AssertUnwindSafe(|| decode_any(bytes, max_seconds))).unwrap_or_else(
        |payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ContainerError::Unreadable(format!(
                "decoder panicked: {msg}"
            )))
        },
    )
}

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

/// Opus always decodes at 48 kHz regardless of the input rate noted in its header.
const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet is 120 ms.
const OPUS_MAX_FRAMES_PER_PACKET: usize = 5_760;

/// Sample rates outside this range are header garbage; a bogus huge rate would also turn
/// `max_seconds` into a huge allocation allowance.
const RATE_RANGE: std::ops::RangeInclusive<u32> = 1_000..=384_000;

fn decode_any(bytes: &[u8], max_seconds: u64) -> Result<Decoded> {
    if bytes.len() < 16 {
        return Err(unreadable("input is too short to be audio"));
    }
    // Matroska is sniffed by hand rather than left to Symphonia's probe: the probe would skip over
    // the EBML header looking for some other format's marker and misreport the file.
    if bytes.starts_with(&EBML_MAGIC) {
        decode_matroska(bytes, max_seconds)
    } else {
        decode_symphonia(bytes, max_seconds)
    }
}

fn unreadable(msg: impl Into<String>) -> ContainerError {
    ContainerError::Unreadable(msg.into())
}

// ---------------------------------------------------------------------------------------------
// Output accumulation, limits and stream-health bookkeeping shared by all paths.

/// Collects down-mixed output and enforces the duration limit as samples arrive.
struct MonoSink {
    samples: Vec<f32>,
    rate: u32,
    max_frames: u64,
    limit: u64,
    /// Length the container claims, used for the `TooLong` report and for truncation checks.
    declared_frames: Option<u64>,
}

impl MonoSink {
    fn new(rate: u32, max_seconds: u64) -> Result<Self> {
        if !RATE_RANGE.contains(&rate) {
            return Err(unreadable(format!("implausible sample rate {rate} Hz")));
        }
        Ok(Self {
            samples: Vec::new(),
            rate,
            max_frames: max_seconds.saturating_mul(u64::from(rate)),
            limit: max_seconds,
            declared_frames: None,
        })
    }

    /// Averages the channels of planar audio into the output.
    fn push_planar(&mut self, planes: &[Vec<f32>]) -> Result<()> {
        let Some((first, rest)) = planes.split_first() else {
            return Ok(());
        };
        let start = self.samples.len();
        self.samples.extend_from_slice(first);
        let out = &mut self.samples[start..];
        for plane in rest {
            out.iter_mut().zip(plane).for_each(|(o, s)| *o += s);
        }
        let scale = 1.0 / planes.len() as f32;
        out.iter_mut().for_each(|o| *o = sanitize(*o * scale));
        self.check_limit()
    }

    /// Averages the channels of interleaved audio into the output.
    fn push_interleaved(&mut self, data: &[f32], channels: usize) -> Result<()> {
        let channels = channels.max(1);
        let scale = 1.0 / channels as f32;
        self.samples.extend(
            data.chunks_exact(channels)
                .map(|frame| sanitize(frame.iter().sum::<f32>() * scale)),
        );
        self.check_limit()
    }

    fn check_limit(&self) -> Result<()> {
        let frames = self.samples.len() as u64;
        if frames <= self.max_frames {
            return Ok(());
        }
        let rate = u64::from(self.rate);
        let decoded_secs = frames.div_ceil(rate);
        let declared_secs = self.declared_frames.map_or(0, |f| f.div_ceil(rate));
        Err(ContainerError::TooLong {
            seconds: decoded_secs.max(declared_secs),
            limit: self.limit,
        })
    }

    /// Rejects output that is much shorter than the container said it would be: demuxers often
    /// treat a cut-off file as a clean end of stream.
    fn check_complete(&self) -> Result<()> {
        if self.samples.is_empty() {
            return Err(unreadable("no audio could be decoded"));
        }
        if let Some(declared) = self.declared_frames {
            let got = self.samples.len() as u64;
            // 100 ms of slack absorbs codec delay/padding that decoders handle differently.
            let slack = u64::from(self.rate) / 10;
            if got.saturating_add(slack) < declared {
                return Err(unreadable(format!(
                    "truncated: decoded {:.2} s of a declared {:.2} s",
                    got as f64 / f64::from(self.rate),
                    declared as f64 / f64::from(self.rate)
                )));
            }
        }
        Ok(())
    }

    fn finish(self, format: &'static str) -> Result<Decoded> {
        self.check_complete()?;
        Ok(Decoded {
            samples: self.samples,
            sample_rate: self.rate,
            format,
        })
    }
}

/// Keeps output inside the documented range even for float PCM sources with overs or NaNs.
fn sanitize(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-1.0, 1.0)
    }
}

/// Counts packets the decoder rejected. A few bad packets in a long recording are survivable
/// (decoders resync), but garbage that merely happens to contain a sync word produces mostly
/// errors, and must not come back as a "successful" burst of noise.
#[derive(Default)]
struct Health {
    packets: u64,
    bad: u64,
    /// A decoder's "unsupported feature" complaint. Corrupt packets trigger these too (a flipped
    /// bit can look like an AAC coupling element), so it only becomes the verdict when nothing
    /// decoded at all.
    unsupported: Option<String>,
}

impl Health {
    fn ok(&mut self) {
        self.packets += 1;
    }

    fn bad(&mut self) {
        self.packets += 1;
        self.bad += 1;
    }

    fn check(&self) -> Result<()> {
        if let Some(what) = &self.unsupported {
            if self.bad == self.packets {
                return Err(ContainerError::Unsupported(what.clone()));
            }
        }
        // More than 5% bad (and more than a couple in absolute terms) means corrupt input.
        if self.bad > 2 && self.bad * 20 > self.packets {
            return Err(unreadable(format!(
                "{} of {} packets failed to decode",
                self.bad, self.packets
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Symphonia path: WAV, FLAC, MP3, ADTS/AAC, MP4/AAC, Ogg (Vorbis, FLAC, and Opus via libopus).

fn decode_symphonia(bytes: &[u8], max_seconds: u64) -> Result<Decoded> {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut reader = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        // Probe failures are all `Unreadable`, including Symphonia's `Unsupported`: it says that
        // for random bytes and for an MP4 without its `moov` (a cut-off upload) alike.
        .map_err(|e| unreadable(format!("not a recognised audio container: {e}")))?;

    let container = reader.format_info().short_name;
    if container == "isomp4" && !mp4_boxes_complete(bytes) {
        return Err(unreadable("isomp4: truncated"));
    }
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| unreadable(format!("{container}: no audio track")))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| unreadable(format!("{container}: audio track has no codec parameters")))?
        .clone();
    let declared_frames = track.num_frames;
    let format = format_label(container, params.codec);

    if params.codec == CODEC_ID_OPUS {
        let head = params
            .extra_data
            .as_deref()
            .ok_or_else(|| unreadable("ogg/opus: missing OpusHead"))
            .and_then(OpusHead::parse)?;
        let mut opus = OpusStream::new(&head, max_seconds)?;
        // Symphonia's Ogg reader counts the track length without the pre-skip, as we do.
        opus.sink.declared_frames = declared_frames;
        let packet_budget = packet_budget(bytes);
        while let Some(packet) = next_packet(&mut *reader, container, declared_frames)? {
            if packet.track_id != track_id {
                continue;
            }
            opus.decode(&packet.data, packet.trim_end.get())?;
            if opus.health.packets > packet_budget {
                return Err(unreadable(
                    "demuxer produced more packets than the input can hold",
                ));
            }
        }
        return opus.finish(format);
    }

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| ContainerError::Unsupported(format!("{format}: {e}")))?;

    let mut sink: Option<MonoSink> = None;
    let mut health = Health::default();
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let packet_budget = packet_budget(bytes);

    while let Some(packet) = next_packet(&mut *reader, container, declared_frames)? {
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                health.ok();
                let rate = buf.spec().rate();
                // The rate is taken from the decoded audio, not the header: some containers
                // (ADTS, MP3 without headers) only know it after the first frame.
                let sink = match &mut sink {
                    Some(s) if s.rate == rate => s,
                    Some(s) => {
                        return Err(ContainerError::Unsupported(format!(
                            "{format}: sample rate changes mid-stream ({} -> {rate} Hz)",
                            s.rate
                        )))
                    }
                    None => {
                        let mut s = MonoSink::new(rate, max_seconds)?;
                        s.declared_frames = declared_frames;
                        sink.insert(s)
                    }
                };
                buf.copy_to_vecs_planar::<f32>(&mut planes);
                sink.push_planar(&planes)?;
            }
            // Corrupt packets are counted and skipped; Health decides whether the stream as a
            // whole is usable.
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => health.bad(),
            Err(SymError::ResetRequired) => {
                decoder.reset();
                health.bad();
            }
            Err(SymError::Unsupported(what)) => {
                health.bad();
                health.unsupported = Some(format!("{format}: {what}"));
            }
            Err(e) => return Err(unreadable(format!("{format}: {e}"))),
        }
        if health.packets > packet_budget {
            return Err(unreadable(
                "demuxer produced more packets than the input can hold",
            ));
        }
    }

    health.check()?;
    sink.ok_or_else(|| unreadable(format!("{format}: no audio could be decoded")))?
        .finish(format)
}

/// Upper bound on packets from a well-formed file of this size; guards against a confused demuxer
/// spinning out empty packets forever on crafted input.
fn packet_budget(bytes: &[u8]) -> u64 {
    bytes.len() as u64 + 1_000
}

/// Reads the next packet, turning a mid-stream demuxer failure into `Unreadable`: unlike a decode
/// error, it means the container itself is cut off or corrupt.
fn next_packet(
    reader: &mut dyn FormatReader,
    container: &str,
    declared_frames: Option<u64>,
) -> Result<Option<symphonia::core::packet::Packet>> {
    match reader.next_packet() {
        Ok(p) => Ok(p),
        // A WAV written to a pipe has no data length (0xFFFFFFFF), and Symphonia ends it with an
        // EOF error rather than `None`. Its truncation is undetectable by design.
        Err(SymError::IoError(e))
            if e.kind() == std::io::ErrorKind::UnexpectedEof
                && container == "wave"
                && declared_frames.is_none() =>
        {
            Ok(None)
        }
        // Chained Ogg streams (a new logical stream after the first ends) would need a new
        // decoder and possibly a new rate; uploads never do this.
        Err(SymError::ResetRequired) => Err(ContainerError::Unsupported(format!(
            "{container}: chained streams"
        ))),
        Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(unreadable(format!("{container}: truncated")))
        }
        Err(e) => Err(unreadable(format!("{container}: {e}"))),
    }
}

/// Symphonia's MP4 reader silently drops a fragment (moof+mdat) that is cut short, and
/// fragmented MP4 (Safari's MediaRecorder) declares no total length to compare against. A cut
/// file shows up as a top-level box that claims to extend past the end of the data.
fn mp4_boxes_complete(b: &[u8]) -> bool {
    // Only walk from offset 0 when that is where the boxes start; leave anything odder to
    // Symphonia.
    if b.get(4..8) != Some(b"ftyp") {
        return true;
    }
    let mut pos = 0usize;
    while pos < b.len() {
        let Some(header) = b.get(pos..pos + 8) else {
            return false;
        };
        let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            // Size 0: the box runs to the end of the file.
            0 => return true,
            1 => match b.get(pos + 8..pos + 16) {
                Some(large) => u64::from_be_bytes(large.try_into().expect("8 bytes")),
                None => return false,
            },
            s => u64::from(s),
        };
        match usize::try_from(size).ok().and_then(|s| pos.checked_add(s)) {
            Some(end) if size >= 8 && end <= b.len() => pos = end,
            _ => return false,
        }
    }
    true
}

fn format_label(container: &str, codec: AudioCodecId) -> &'static str {
    match container {
        "wave" => "wav",
        "flac" => "flac",
        "mp1" | "mp2" | "mp3" => "mp3",
        "aac" => "aac",
        "ogg" if codec == CODEC_ID_VORBIS => "ogg/vorbis",
        "ogg" if codec == CODEC_ID_OPUS => "ogg/opus",
        "ogg" if codec == CODEC_ID_FLAC => "ogg/flac",
        "ogg" => "ogg",
        "isomp4" if codec == CODEC_ID_AAC => "mp4/aac",
        "isomp4" => "mp4",
        _ => "other",
    }
}

// ---------------------------------------------------------------------------------------------
// Opus via libopus, shared by the Ogg and WebM paths.

/// The fields of the Opus identification header (RFC 7845 §5.1) that affect decoding.
struct OpusHead {
    channels: u8,
    pre_skip: u16,
    /// Q7.8 dB, applied by libopus.
    output_gain: i16,
}

impl OpusHead {
    fn parse(b: &[u8]) -> Result<Self> {
        // Only the major version (high nibble) signals an incompatible layout.
        if b.len() < 19 || &b[..8] != b"OpusHead" || b[8] >> 4 != 0 {
            return Err(unreadable("opus: malformed OpusHead"));
        }
        let channels = b[9];
        let mapping_family = b[18];
        // Family 0 is mono/stereo in one Opus stream, which is all the `opus` crate can decode
        // (it does not wrap libopus's multistream API). Other families are fine too when they
        // still describe a single stream of at most two channels.
        let single_stream = mapping_family == 0 || (b.len() > 19 && b[19] == 1);
        if !single_stream || channels > 2 {
            return Err(ContainerError::Unsupported(format!(
                "opus: {channels} channels in mapping family {mapping_family}"
            )));
        }
        Self::new(
            channels,
            u16::from_le_bytes([b[10], b[11]]),
            i16::from_le_bytes([b[16], b[17]]),
        )
    }

    fn new(channels: u8, pre_skip: u16, output_gain: i16) -> Result<Self> {
        if !(1..=2).contains(&channels) {
            return Err(unreadable(format!("opus: {channels} channels")));
        }
        Ok(Self {
            channels,
            pre_skip,
            output_gain,
        })
    }
}

struct OpusStream {
    decoder: opus::Decoder,
    channels: usize,
    /// Decoder-delay samples (per channel) still to drop from the start of the output.
    skip: usize,
    pcm: Vec<f32>,
    sink: MonoSink,
    health: Health,
}

impl OpusStream {
    fn new(head: &OpusHead, max_seconds: u64) -> Result<Self> {
        let layout = if head.channels == 1 {
            opus::Channels::Mono
        } else {
            opus::Channels::Stereo
        };
        let mut decoder = opus::Decoder::new(OPUS_RATE, layout)
            .map_err(|e| unreadable(format!("opus: decoder init failed: {e}")))?;
        if head.output_gain != 0 {
            decoder
                .set_gain(i32::from(head.output_gain))
                .map_err(|e| unreadable(format!("opus: bad output gain: {e}")))?;
        }
        let channels = usize::from(head.channels);
        Ok(Self {
            decoder,
            channels,
            skip: usize::from(head.pre_skip),
            pcm: vec![0.0; OPUS_MAX_FRAMES_PER_PACKET * channels],
            sink: MonoSink::new(OPUS_RATE, max_seconds)?,
            health: Health::default(),
        })
    }

    /// Decodes one packet; `trim_end` drops encoder padding at the end of the stream (known from
    /// the Ogg granule position; WebM's DiscardPadding is not exposed by the demuxer, which costs
    /// at most one frame of trailing silence).
    fn decode(&mut self, packet: &[u8], trim_end: u64) -> Result<()> {
        // An empty packet would ask libopus for packet-loss concealment, i.e. invented audio.
        if packet.is_empty() {
            self.health.bad();
            return Ok(());
        }
        let frames = match self.decoder.decode_float(packet, &mut self.pcm, false) {
            Ok(n) => n,
            Err(_) => {
                self.health.bad();
                return Ok(());
            }
        };
        self.health.ok();
        let trim_end = usize::try_from(trim_end).unwrap_or(usize::MAX).min(frames);
        let start = self.skip.min(frames - trim_end);
        self.skip -= start;
        let end = frames - trim_end;
        let c = self.channels;
        self.sink.push_interleaved(&self.pcm[start * c..end * c], c)
    }

    fn finish(self, format: &'static str) -> Result<Decoded> {
        self.health.check()?;
        self.sink.finish(format)
    }
}

// ---------------------------------------------------------------------------------------------
// Matroska/WebM path (MediaRecorder output): Opus, plus the raw PCM Chrome can also record.

fn decode_matroska(bytes: &[u8], max_seconds: u64) -> Result<Decoded> {
    // MediaRecorder output is "live": Segment and Clusters have unknown size and there is no
    // SeekHead, Cues or Duration. matroska-demuxer copes because it enters a Cluster by ID and
    // reads its children linearly, never trusting the Cluster's size. The price is that a live
    // file cut between two blocks looks complete (nothing declares the length); a cut inside a
    // block is still detected.
    let mut mkv =
        MatroskaFile::open(Cursor::new(bytes)).map_err(|e| unreadable(format!("webm: {e:?}")))?;
    let track = mkv
        .tracks()
        .iter()
        .find(|t| t.track_type() == MkvTrackType::Audio)
        .ok_or_else(|| unreadable("webm: no audio track"))?;
    let track_number = track.track_number().get();
    let codec = track.codec_id().to_string();
    // Duration is a float in TimestampScale units (nanoseconds times the scale). It spans all
    // tracks, so it only says how long the audio is when there is nothing else (a video track in
    // a camera recording can run longer than the audio).
    let declared_secs = (mkv.tracks().len() == 1)
        .then(|| mkv.info().duration())
        .flatten()
        .map(|d| d * mkv.info().timestamp_scale().get() as f64 / 1e9);

    let mut out = match codec.as_str() {
        "A_OPUS" => {
            let head = match track.codec_private() {
                Some(private) => OpusHead::parse(private)?,
                // CodecPrivate is mandatory for A_OPUS, but the stream is still decodable from
                // the Audio element, with the pre-skip taken from CodecDelay (nanoseconds).
                None => {
                    let channels = track.audio().map_or(1, |a| a.channels().get());
                    let delay_ns = track.codec_delay().unwrap_or(0);
                    OpusHead::new(
                        u8::try_from(channels).unwrap_or(u8::MAX),
                        u16::try_from(delay_ns.saturating_mul(48) / 1_000_000).unwrap_or(u16::MAX),
                        0,
                    )?
                }
            };
            MkvAudio::Opus(OpusStream::new(&head, max_seconds)?)
        }
        "A_PCM/FLOAT/IEEE" | "A_PCM/INT/LIT" => {
            let audio = track
                .audio()
                .ok_or_else(|| unreadable("webm: PCM track without Audio"))?;
            let rate = audio.sampling_frequency();
            if !(rate.fract() == 0.0 && RATE_RANGE.contains(&(rate as u32))) {
                return Err(unreadable(format!("webm: implausible sample rate {rate}")));
            }
            let channels = usize::try_from(audio.channels().get()).unwrap_or(usize::MAX);
            let bits = audio.bit_depth().map_or(0, |b| b.get());
            let float = codec == "A_PCM/FLOAT/IEEE";
            let sample = match (float, bits) {
                (true, 32) => PcmSample::F32,
                (true, 64) => PcmSample::F64,
                (false, 16) => PcmSample::I16,
                (false, 24) => PcmSample::I24,
                (false, 32) => PcmSample::I32,
                _ => {
                    return Err(ContainerError::Unsupported(format!(
                        "webm: {codec} {bits}-bit"
                    )))
                }
            };
            if channels == 0 || channels > 64 {
                return Err(unreadable(format!(
                    "webm: implausible channel count {channels}"
                )));
            }
            MkvAudio::Pcm {
                sample,
                channels,
                sink: MonoSink::new(rate as u32, max_seconds)?,
            }
        }
        other => return Err(ContainerError::Unsupported(format!("webm: codec {other}"))),
    };

    if let Some(secs) = declared_secs.filter(|s| s.is_finite() && *s > 0.0) {
        let sink = out.sink_mut();
        sink.declared_frames = Some((secs * f64::from(sink.rate)) as u64);
    }

    let mut frame = Frame::default();
    let mut interleaved = Vec::new();
    let packet_budget = packet_budget(bytes);
    let mut packets = 0u64;
    loop {
        match mkv.next_frame(&mut frame) {
            Ok(true) => {}
            Ok(false) => break,
            // The demuxer reports a block that runs past the end of the data as an error (and
            // most other truncations as a clean end, caught by the declared-duration check).
            Err(e) => return Err(unreadable(format!("webm: {e:?}"))),
        }
        packets += 1;
        if packets > packet_budget {
            return Err(unreadable("webm: more blocks than the input can hold"));
        }
        if frame.track != track_number {
            continue;
        }
        match &mut out {
            MkvAudio::Opus(opus) => opus.decode(&frame.data, 0)?,
            MkvAudio::Pcm {
                sample,
                channels,
                sink,
            } => {
                sample.to_f32(&frame.data, &mut interleaved);
                sink.push_interleaved(&interleaved, *channels)?;
            }
        }
    }

    match out {
        MkvAudio::Opus(opus) => opus.finish("webm/opus"),
        MkvAudio::Pcm { sink, .. } => sink.finish("webm/pcm"),
    }
}

enum MkvAudio {
    Opus(OpusStream),
    Pcm {
        sample: PcmSample,
        channels: usize,
        sink: MonoSink,
    },
}

impl MkvAudio {
    fn sink_mut(&mut self) -> &mut MonoSink {
        match self {
            MkvAudio::Opus(o) => &mut o.sink,
            MkvAudio::Pcm { sink, .. } => sink,
        }
    }
}

#[derive(Clone, Copy)]
enum PcmSample {
    F32,
    F64,
    I16,
    I24,
    I32,
}

impl PcmSample {
    /// Little-endian bytes to f32; a trailing partial sample is ignored.
    fn to_f32(self, data: &[u8], out: &mut Vec<f32>) {
        out.clear();
        match self {
            PcmSample::F32 => out.extend(
                data.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            ),
            PcmSample::F64 => out.extend(data.chunks_exact(8).map(|b| {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            })),
            PcmSample::I16 => out.extend(
                data.chunks_exact(2)
                    .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0),
            ),
            PcmSample::I24 => out
                .extend(data.chunks_exact(3).map(|b| {
                    (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
                })),
            PcmSample::I32 => out
                .extend(data.chunks_exact(4).map(|b| {
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
                })),
        }
    }
}
