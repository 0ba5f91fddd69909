//! The review expert (DESIGN §3, `review/`): what the candidate's delivery looks and sounds
//! like, measured over rolling windows, and the live nudges drawn from it.
//!
//! - [`signals`] owns the feature windows of a live session: words with their times, voice
//!   activity, the speech metrics of the last 20 s, the camera frames of the last 20 s, and
//!   the open answer's text — reduced to named [`signals::Signal`] values on two clocks
//!   (audio seconds and camera seconds).
//! - [`nudges`] owns the catalogue of 30 nudge kinds (data: `nudges.toml`) and the engine that
//!   evaluates their rules over the signals, with hold times, cooldowns and evidence.
//! - [`rules`] owns the rule engine (data: `rules.toml`): signals → the five behaviour
//!   scores with the values that drove them. Default scorer, labeller and fallback.
//! - [`window`] cuts recordings into the model's feature windows (seed shapes), through the
//!   same live signals; [`dataset`] stores windows with rule labels and provenance.
//! - [`fusion`] is the multimodal fusion Transformer; [`train`] trains and evaluates it,
//!   [`plot`] draws the curves; [`scorer`] scores windows with the model when a checkpoint
//!   is present and the rules otherwise (labelled which) and sums an answer up.

pub mod dataset;
pub mod fusion;
pub mod nudges;
pub mod plot;
pub mod rules;
pub mod scorer;
pub mod signals;
pub mod train;
pub mod window;

pub use nudges::{Catalogue, Nudge, NudgeEngine};
pub use rules::{BehaviourScores, Rules, DIMENSIONS};
pub use signals::{LiveSignals, Signal, Signals, Source};
