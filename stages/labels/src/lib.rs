//! # mlfactory-labels
//!
//! Label stages and the labelling library they are built from:
//!
//! - [`barrier`]: the triple-barrier kernel (touch modes, the tie rule, gaps);
//! - [`target`]: causal volatility targets (ATR, rolling return volatility);
//! - [`events`]: which bars are events (every bar, CUSUM, a signal column);
//! - [`label`]: labelling many events at several horizons in one scan, in parallel;
//! - [`weights`]: AFML chapter 4 sample weights and the sequential bootstrap;
//! - [`triple_barrier`]: the `labels.triple_barrier` stage;
//! - [`optimize`]: the `labels.optimize` stage (a seeded genetic search over barriers).
//!
//! Conventions (and where they differ from mlfinlab / mlfinpy) are in `docs/labels.md`.

use mlfactory_engine::Registry;

pub mod barrier;
pub mod events;
pub mod label;
pub mod optimize;
pub mod target;
pub mod triple_barrier;
pub mod weights;

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(triple_barrier::TripleBarrier);
    registry.register(optimize::Optimize);
}
