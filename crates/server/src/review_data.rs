//! `mianshi dataset build`: the review expert's training data, made from real recordings we
//! can obtain here.
//!
//! Camera: real talking-head videos from the package registries, analysed at 5 fps by the
//! same vision pipeline as a live session. Voice: real recorded speech clips, and spoken
//! interview answers synthesised with espeak-ng at paces from slow to rushed, with and
//! without fillers, hedges and long pauses; each track is transcribed once by Whisper (word
//! times), as the live pipeline would. Every voice track is paired with every camera
//! (shifted in time, looped to length) and with no camera at all, and augmented (quiet,
//! clipped, noisy). Windows are cut by `mianshi_review::window` and labelled by the rule
//! engine; each window records its recording and augmentation.
//!
//! Simplification, stated in docs/review.md: augmented audio keeps the clean track's word
//! times (a real recogniser would lose words in noise).

use std::path::{Path, PathBuf};
use std::process::Command;

use mianshi_review::dataset::{Dataset, Labels, Provenance};
use mianshi_review::signals::{AudioMeasures, TimedWord};
use mianshi_review::window::{self, AudioFeatures, Recording, MEL_DIM};
use mianshi_review::{Catalogue, Rules};
use mianshi_speech::whisper::{TranscribeOptions, Whisper};
use mianshi_vision::{FileOptions, FrameFeatures, Vision};

const RATE: usize = 16_000;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}: {1}")]
    Input(String, String),
    #[error("speech recognition: {0}")]
    Whisper(#[from] mianshi_speech::whisper::WhisperError),
    #[error("vision: {0}")]
    Vision(#[from] mianshi_vision::VisionError),
    #[error("espeak-ng (apt install espeak-ng): {0}")]
    Espeak(String),
    #[error(transparent)]
    Dataset(#[from] mianshi_review::dataset::DatasetError),
}

/// Where the raw material is.
pub struct Sources<'a> {
    pub whisper: &'a Whisper,
    pub vision: &'a Vision,
    /// Talking-head videos.
    pub videos: Vec<PathBuf>,
    /// A directory of `en_*.wav` and `zh_*.wav` speech clips.
    pub speech_clips: PathBuf,
}

#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Seconds between window starts.
    pub hop: f64,
    /// A small dataset (two voices, two cameras, two augmentations) for tests.
    pub quick: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            hop: 1.0,
            quick: false,
        }
    }
}

pub struct BuildReport {
    pub dataset: Dataset,
    pub recordings: usize,
    pub voice_tracks: usize,
    pub cameras: usize,
}

/// A voice track: 16 kHz samples and its transcript.
struct Voice {
    name: String,
    samples: Vec<f32>,
    words: Vec<TimedWord>,
    question: &'static str,
    /// A video's own sound: paired with that video's camera only (index into the cameras).
    own_camera: Option<usize>,
}

/// A video's sound track, if it has one with something in it.
fn own_sound(path: &Path) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    let audio = mianshi_speech::decode(&bytes, 3600).ok()?;
    let samples = audio.to_16k();
    let loud = samples.iter().filter(|s| s.abs() > 0.02).count();
    (samples.len() >= 5 * RATE && loud > RATE / 2).then_some(samples)
}

/// Interview answers to synthesise: (name, question, sentences, words per minute, pause
/// between sentences in seconds).
const SCRIPTS: &[(&str, &str, &[&str], u32, f64)] = &[
    (
        "steady",
        "Tell me about a project you are proud of.",
        &[
            "For example, in my last job I led the migration of our billing service to a new database.",
            "First, I measured the slowest queries and wrote a plan with the team.",
            "Then we moved one customer group at a time, so we could roll back quickly.",
            "As a result, response times fell by forty percent and we had no outage.",
            "I learned that small, reversible steps make a big change safe.",
        ],
        150,
        0.6,
    ),
    (
        "rushed",
        "How do you handle a tight deadline?",
        &[
            "When the deadline is tight I list everything that has to happen and cut what is not essential.",
            "I talk to the stakeholders early so nobody is surprised, and I ask for help where I need it.",
            "Last quarter we shipped a payment feature in two weeks by splitting it into three releases.",
            "Each release was tested on its own, and we monitored errors after every deploy.",
            "It was intense but the plan kept everyone calm and focused.",
        ],
        235,
        0.2,
    ),
    (
        "slow",
        "Why do you want this role?",
        &[
            "I want this role because I enjoy building tools that people use every day.",
            "Your team works on problems of scale that I have studied for years.",
            "I also value the way you mentor engineers.",
            "I believe I can contribute from the first month.",
        ],
        85,
        1.4,
    ),
    (
        "hesitant",
        "Describe a conflict in your team.",
        &[
            "Um, well, I think maybe there was a time, uh, when two colleagues disagreed about the design.",
            "I guess I, um, kind of tried to, uh, bring them together, probably in a meeting.",
            "Maybe it worked, sort of, I am not sure, uh, but we did, um, finish the project.",
            "I suppose, uh, I might do it, um, differently now, perhaps.",
        ],
        140,
        0.9,
    ),
    (
        "pausing",
        "What is your biggest weakness?",
        &[
            "That is a good question.",
            "I sometimes spend too long polishing details before I share my work.",
            "Now I share drafts early and ask for feedback within a day.",
        ],
        130,
        6.0,
    ),
    (
        "walkthrough",
        "Walk me through your resume.",
        &[
            "I studied computer science and then joined a startup as a backend developer.",
            "After three years I moved to a larger company to work on data pipelines.",
            "Most recently I have led a team of four engineers on our search platform.",
            "I am now looking for a role with more ownership of product decisions.",
        ],
        160,
        0.5,
    ),
];

/// An audio augmentation: its name and transform.
type Augmentation = (&'static str, fn(&[f32]) -> Vec<f32>);

fn augmentations(quick: bool) -> Vec<Augmentation> {
    let all: Vec<Augmentation> = vec![
        ("clean", |s| s.to_vec()),
        // −26 dB: a microphone far away or turned down.
        ("quiet", |s| s.iter().map(|x| x * 0.05).collect()),
        // +18 dB into the rails: an overdriven microphone.
        ("clipped", |s| {
            s.iter().map(|x| (x * 8.0).clamp(-1.0, 1.0)).collect()
        }),
        // A fan or a street: noise at about −37 dBFS.
        ("noisy", |s| {
            let mut state = 0x9E3779B97F4A7C15u64;
            s.iter()
                .map(|x| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                    x + noise * 0.05
                })
                .collect()
        }),
    ];
    if quick {
        all.into_iter().take(2).collect()
    } else {
        all
    }
}

struct SpeechFeatures;

impl AudioFeatures for SpeechFeatures {
    fn measures(&mut self, recent: &[f32]) -> AudioMeasures {
        let metrics = mianshi_speech::analyze(
            &mianshi_speech::Audio {
                samples: recent.to_vec(),
                sample_rate: RATE as u32,
            },
            None,
        );
        AudioMeasures {
            loudness: metrics.loudness.value,
            clipping_pct: metrics.clipping.value,
            pitch_range: metrics.pitch_range.value,
        }
    }

    fn pooled_mel(&mut self, samples: &[f32]) -> [f32; MEL_DIM] {
        mianshi_speech::pooled_log_mel(samples, 1e9)
            .first()
            .copied()
            .unwrap_or([0.0; MEL_DIM])
    }
}

/// Synthesises one script with espeak-ng, sentence by sentence with the script's pauses.
fn synthesise(
    sentences: &[&str],
    wpm: u32,
    pause: f64,
    work: &Path,
) -> Result<Vec<f32>, BuildError> {
    let mut samples = vec![0.0; RATE / 2];
    for (i, sentence) in sentences.iter().enumerate() {
        let path = work.join(format!("sentence-{i}.wav"));
        let status = Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", &wpm.to_string(), "-w"])
            .arg(&path)
            .arg(sentence)
            .status()
            .map_err(|e| BuildError::Espeak(e.to_string()))?;
        if !status.success() {
            return Err(BuildError::Espeak(format!("exit status {status}")));
        }
        let bytes = std::fs::read(&path).map_err(|e| BuildError::Espeak(e.to_string()))?;
        let audio = mianshi_speech::decode(&bytes, 600)
            .map_err(|e| BuildError::Input(path.display().to_string(), e.to_string()))?;
        samples.extend(audio.to_16k().iter().map(|s| s * 0.7));
        samples.extend(std::iter::repeat_n(0.0, (pause * RATE as f64) as usize));
    }
    samples.extend(std::iter::repeat_n(0.0, RATE));
    Ok(samples)
}

/// Real recorded clips of one language, joined with one-second gaps.
fn joined_clips(dir: &Path, prefix: &str) -> Result<Vec<f32>, BuildError> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| BuildError::Input(dir.display().to_string(), e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "wav")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    names.sort();
    let mut samples = vec![0.0; RATE / 2];
    for path in names {
        let bytes = std::fs::read(&path)
            .map_err(|e| BuildError::Input(path.display().to_string(), e.to_string()))?;
        let audio = mianshi_speech::decode(&bytes, 600)
            .map_err(|e| BuildError::Input(path.display().to_string(), e.to_string()))?;
        samples.extend(audio.to_16k());
        samples.extend(std::iter::repeat_n(0.0, RATE));
    }
    Ok(samples)
}

fn transcribe(
    whisper: &Whisper,
    samples: &[f32],
    language: &str,
) -> Result<Vec<TimedWord>, BuildError> {
    let transcript = whisper.transcribe(
        samples,
        &TranscribeOptions {
            language: Some(language.to_owned()),
            beam_size: 1,
            initial_prompt: None,
            word_timestamps: true,
            fit_window: false,
            single_pass: false,
        },
    )?;
    Ok(transcript
        .segments
        .iter()
        .flat_map(|s| &s.words)
        .map(|w| TimedWord {
            start: w.start,
            end: w.end,
            text: w.word.clone(),
        })
        .collect())
}

/// The camera frames shifted to start `offset` seconds into the video and looped to cover
/// `seconds`.
fn camera_track(frames: &[FrameFeatures], offset: f64, seconds: f64) -> Vec<FrameFeatures> {
    let Some(last) = frames.last() else {
        return Vec::new();
    };
    let period = last.t + 0.2;
    let mut out = Vec::new();
    let mut lap = 0.0;
    while lap < seconds + period {
        for f in frames {
            let t = f.t - offset + lap;
            if (0.0..seconds).contains(&t) {
                let mut shifted = f.clone();
                shifted.t = t;
                out.push(shifted);
            }
        }
        lap += period;
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// Builds the dataset; `progress` is told what is being done.
pub fn build(
    sources: &Sources,
    options: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildReport, BuildError> {
    let work =
        tempfile::tempdir().map_err(|e| BuildError::Input("temp dir".into(), e.to_string()))?;
    let mut voices = Vec::new();
    let scripts = if options.quick {
        &SCRIPTS[..2]
    } else {
        SCRIPTS
    };
    for (name, question, sentences, wpm, pause) in scripts {
        progress(&format!(
            "voice: synthesising and transcribing '{name}' ({wpm} wpm)"
        ));
        let samples = synthesise(sentences, *wpm, *pause, work.path())?;
        let words = transcribe(sources.whisper, &samples, "en")?;
        voices.push(Voice {
            name: format!("tts-{name}"),
            samples,
            words,
            question,
            own_camera: None,
        });
    }
    if !options.quick {
        for (prefix, language) in [("en_", "en"), ("zh_", "zh")] {
            progress(&format!("voice: recorded {language} clips"));
            let samples = joined_clips(&sources.speech_clips, prefix)?;
            let words = transcribe(sources.whisper, &samples, language)?;
            voices.push(Voice {
                name: format!("recorded-{language}"),
                samples,
                words,
                question: "Please introduce yourself.",
                own_camera: None,
            });
        }
    }

    // (name, start offset in the video, the video's frames)
    let mut cameras: Vec<(String, f64, std::sync::Arc<Vec<FrameFeatures>>)> = Vec::new();
    for path in &sources.videos {
        progress(&format!("camera: analysing {}", path.display()));
        let analysis = mianshi_vision::analyze_file(sources.vision, path, &FileOptions::default())?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("video")
            .to_owned();
        let duration = analysis.timeline.last().map_or(0.0, |f| f.t);
        let offsets: &[f64] = if options.quick {
            &[0.0]
        } else {
            &[0.0, duration / 2.0]
        };
        let frames = std::sync::Arc::new(analysis.timeline);
        // A video with its own sound is a real recording: its voice with its face.
        if let Some(samples) = own_sound(path) {
            progress(&format!("voice: {stem}'s own sound"));
            let words = transcribe(sources.whisper, &samples, "auto")?;
            voices.push(Voice {
                name: format!("own-{stem}"),
                samples,
                words,
                question: "Please introduce yourself.",
                own_camera: Some(cameras.len()),
            });
        }
        for &offset in offsets {
            cameras.push((format!("{stem}@{offset:.0}"), offset, frames.clone()));
        }
    }

    let rules = Rules::built_in();
    let catalogue = Catalogue::built_in();
    let mut dataset = Dataset::new(&catalogue);
    let mut recordings = 0;
    let augments = augmentations(options.quick);
    for voice in &voices {
        let seconds = voice.samples.len() as f64 / RATE as f64;
        // The voice's camera tracks, the same for every version of its audio.
        let camera_choices: Vec<(&str, Option<Vec<FrameFeatures>>)> = cameras
            .iter()
            .enumerate()
            .filter(|(i, _)| voice.own_camera.is_none_or(|own| own == *i))
            .map(|(_, (name, offset, frames))| {
                (name.as_str(), Some(camera_track(frames, *offset, seconds)))
            })
            .chain([("no-camera", None)])
            .collect();
        for (augment, transform) in &augments {
            let audio = transform(&voice.samples);
            for (camera, frames) in &camera_choices {
                let recording = Recording {
                    audio: Some(&audio),
                    words: &voice.words,
                    frames: frames.as_deref(),
                    question: Some(voice.question),
                };
                let windows = window::windows(&recording, options.hop, &mut SpeechFeatures);
                for w in &windows {
                    dataset.push(
                        w,
                        &Labels::from_rules(&rules, &catalogue, w),
                        Provenance {
                            // Splits keep a voice track's every variant on one side.
                            recording: voice.name.clone(),
                            start: w.start,
                            augment: format!("{augment},{camera}"),
                        },
                    );
                }
                recordings += 1;
            }
        }
        progress(&format!("windows so far: {}", dataset.len()));
    }
    Ok(BuildReport {
        dataset,
        recordings,
        voice_tracks: voices.len(),
        cameras: cameras.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(t: f64) -> FrameFeatures {
        FrameFeatures {
            t,
            width: 10,
            height: 10,
            face: None,
            faces_in_view: 0,
            pose: None,
            quality: Default::default(),
        }
    }

    #[test]
    fn a_camera_track_is_shifted_and_looped_to_the_voice_length() {
        let frames: Vec<FrameFeatures> = (0..10).map(|i| frame(i as f64 * 0.2)).collect();
        let track = camera_track(&frames, 1.0, 5.0);
        let times: Vec<f64> = track.iter().map(|f| (f.t * 10.0).round() / 10.0).collect();
        assert_eq!(times.first(), Some(&0.0));
        assert!(times.windows(2).all(|w| w[1] > w[0]), "{times:?}");
        assert!(*times.last().unwrap() < 5.0 && *times.last().unwrap() >= 4.7);
        assert_eq!(track.len(), 25);
    }
}
