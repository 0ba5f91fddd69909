//! The review expert (DESIGN §3, `review/`): what the candidate's delivery looks and sounds
//! like, measured over rolling windows, and the live nudges drawn from it.
//!
//! - [`signals`] owns the feature windows of a live session: words with their times, voice
//!   activity, the speech metrics of the last 20 s, the camera frames of the last 20 s, and
//!   the open answer's text — reduced to named [`signals::Signal`] values on two clocks
//!   (audio seconds and camera seconds).
//! - [`nudges`] owns the catalogue of 30 nudge kinds (data: `nudges.toml`) and the engine that
//!   evaluates their rules over the signals, with hold times, cooldowns and evidence.

pub mod nudges;
pub mod signals;

pub use nudges::{Catalogue, Nudge, NudgeEngine};
pub use signals::{LiveSignals, Signal, Signals, Source};
