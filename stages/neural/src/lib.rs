//! # mlfactory-neural
//!
//! Neural model types on [candle](https://github.com/huggingface/candle): `mlp`, `lstm`,
//! `gru`, `tcn`, `transformer`, `cnn` and `multitask`, behind `mlfactory-models`'
//! [`Model`](mlfactory_models::Model) trait; [`add_types`] puts them in the catalog that
//! `models.train` and the validation stages train through.
//!
//! - [`params`]: training params every type shares (AdamW, cosine schedule with warm
//!   restarts, early stopping, class and sample weights, clipping, `device`);
//! - [`nets`]: the architectures, each a window `[batch, seq_len, features]` to a vector;
//! - [`network`]: encoder + heads (direction; multi-task adds return and volatility), loss;
//! - `data`: training-split standardization and windows that stay inside their segment;
//! - `store`: weights drawn from the fit's seeded RNG (candle's CPU RNG cannot be seeded),
//!   or read back from a saved model;
//! - `optim`, `train`: AdamW with global-norm clipping, and the training loop;
//! - `fused`: a fused CPU kernel for the LSTM, the same function as the composed ops;
//! - [`device`]: `cpu | cuda | auto`; CUDA needs the `cuda` cargo feature.
//!
//! On the CPU, fitting is deterministic to the byte for a seed, whatever the thread count.
//!
//! ```
//! let mut catalog = mlfactory_models::ModelCatalog::new();
//! mlfactory_neural::add_types(&mut catalog);
//! assert!(catalog.get("lstm").is_some_and(|t| t.sequence()));
//! assert!(catalog.get("mlp").is_some_and(|t| !t.sequence()));
//! ```

mod data;
pub mod device;
mod fused;
mod kinds;
mod model;
pub mod nets;
pub mod network;
mod optim;
pub mod params;
mod store;
#[cfg(test)]
mod tests;
mod train;

pub use kinds::{CnnKind, GruKind, LstmKind, MlpKind, MultitaskKind, MultitaskParams, NetParams, TcnKind, TransformerKind};
use mlfactory_models::ModelCatalog;

/// Adds this crate's model types to `catalog`.
pub fn add_types(catalog: &mut ModelCatalog) {
    catalog.add(MlpKind).add(LstmKind).add(GruKind).add(TcnKind).add(TransformerKind).add(CnnKind).add(MultitaskKind);
}
