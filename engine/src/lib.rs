//! # mlfactory-engine
//!
//! The engine turns a pipeline spec into results, and knows nothing about finance:
//!
//! 1. [`spec`]: YAML -> positioned tree -> expanded stages (vars, `--set`, matrix),
//!    with errors that name file, line and column;
//! 2. [`plan`]: stages checked against the [`registry::Registry`] of stage kinds (typed
//!    params with defaults, input slots, cycles) into a petgraph DAG;
//! 3. [`key`]: each stage's key, blake3 over a canonical encoding of its kind, version,
//!    params, input content hashes and seed;
//! 4. [`exec`]: the scheduler, which replays cache hits, computes the rest (independent
//!    stages in parallel, one per key across processes) and writes a [`runs::RunRecord`];
//! 5. [`status`], [`verify`] and [`rundiff`]: what would run and why, the determinism
//!    proof, and the comparison of two runs.
//!
//! Stage kinds implement [`stage::Stage`]; the `mlfactory-stages` crate registers them.

pub mod canonical;
pub mod error;
pub mod exec;
pub mod key;
pub mod plan;
pub mod probe;
pub mod progress;
pub mod registry;
pub mod render;
pub mod rundiff;
pub mod runs;
pub mod schema;
pub mod spec;
pub mod stage;
pub mod status;
pub mod verify;

#[cfg(test)]
mod testkit;

pub use error::EngineError;
pub use registry::Registry;
pub use stage::{Arity, Artifact, InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
