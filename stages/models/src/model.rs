//! The [`Model`] trait every model type implements, and what fitting gets and returns.
//!
//! A model is built unfitted from its typed params (see [`crate::catalog`]), fitted once
//! on the training split (the validation split only for early stopping), then asked for
//! class probabilities. Its fitted state round-trips through [`SavedModel`]. All
//! randomness comes from [`FitContext::rng`], so fitting is a pure function of params,
//! data and seed: on CPU, byte-identical for any thread count.

use std::fmt;

use mlfactory_engine::StageError;
use mlfactory_engine::progress::ProgressSink;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::samples::Samples;
use crate::saved::SavedModel;

/// Class probabilities of one row: `[p_short, p_neutral, p_long]`, summing to 1.
pub type Proba = [f64; 3];

/// What fitting may use besides the data: a seed for named RNG streams, progress and logs.
pub struct FitContext<'a> {
    seed: u64,
    progress: &'a dyn ProgressSink,
}

impl fmt::Debug for FitContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FitContext").field("seed", &self.seed).finish_non_exhaustive()
    }
}

impl<'a> FitContext<'a> {
    pub fn new(seed: u64, progress: &'a dyn ProgressSink) -> Self {
        Self { seed, progress }
    }

    /// The fitting seed (a stage's seed, or one derived from it per fold or member).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A deterministic RNG for one named stream (`"init"`, `"bagging"`, `"shuffle"`…).
    pub fn rng(&self, stream: &str) -> ChaCha8Rng {
        let mut h = blake3::Hasher::new_derive_key("mlfactory model rng v1");
        h.update(&self.seed.to_le_bytes());
        h.update(stream.as_bytes());
        ChaCha8Rng::from_seed(*h.finalize().as_bytes())
    }

    /// A context for a sub-model (an ensemble member, a CV fold) with its own seed
    /// derived from this one and `name`.
    pub fn child(&self, name: &str) -> FitContext<'a> {
        let mut h = blake3::Hasher::new_derive_key("mlfactory model child seed v1");
        h.update(&self.seed.to_le_bytes());
        h.update(name.as_bytes());
        let bytes = h.finalize();
        FitContext { seed: u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes")), progress: self.progress }
    }

    pub fn progress(&self) -> &dyn ProgressSink {
        self.progress
    }

    pub fn log(&self, message: impl fmt::Display) {
        self.progress.log(&message.to_string());
    }
}

/// What fitting reports: the training curve and where it stopped.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitReport {
    /// Boosting rounds or epochs actually kept (after early stopping).
    pub iterations: usize,
    /// Training loss per round/epoch (empty where the model has no iterations).
    pub train_loss: Vec<f64>,
    /// Validation loss per round/epoch, when a validation split was given.
    pub valid_loss: Vec<f64>,
    /// The round/epoch whose state was kept, when early stopping chose one.
    pub best_iteration: Option<usize>,
}

/// A classifier over the three classes short / neutral / long.
///
/// Object-safe and small; grow it with defaulted methods.
pub trait Model: Send + Sync {
    /// The catalog name of this model's type (`logistic`, `gbdt`, `lstm`…).
    fn type_name(&self) -> &'static str;

    /// Fits on `train`; `valid`, when given, serves early stopping only (never fitting).
    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError>;

    /// Class probabilities per row of `data`.
    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError>;

    /// The fitted state (config and tensors), from which the catalog can load it.
    fn save(&self) -> Result<SavedModel, StageError>;

    /// Importance per feature (same order as `Samples::features`), where defined.
    fn feature_importance(&self) -> Option<Vec<f64>> {
        None
    }

    /// A direct forward-return prediction per row, for models with a regression head.
    /// Others get `expected_return` from their probabilities and the training split's
    /// mean return per class.
    fn predict_return(&self, _data: &Samples) -> Result<Option<Vec<f64>>, StageError> {
        Ok(None)
    }
}
