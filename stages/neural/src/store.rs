//! The weights of a network: created from our seeded RNG, or read back from a saved model.
//!
//! candle's CPU RNG cannot be seeded, so no weight comes from `Tensor::rand*`: each is drawn
//! here from a [`ChaCha8Rng`] stream of the fit's [`FitContext`](mlfactory_models::FitContext)
//! in the fixed order the architecture asks for it, then moved to the device. The schemes
//! follow PyTorch's defaults (see [`Init`]), so a network starts where its PyTorch twin would.

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor, Var};
use mlfactory_engine::StageError;
use mlfactory_engine::stage::ResultExt;
use mlfactory_models::SavedModel;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How a tensor starts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Init {
    /// Uniform on `[-bound, bound)`. PyTorch's `Linear`/`Conv1d` default (Kaiming uniform with
    /// `a = sqrt(5)`) is `bound = 1/sqrt(fan_in)`, its `LSTM`/`GRU` default `1/sqrt(hidden)`.
    Uniform(f64),
    /// Xavier (Glorot) uniform: `bound = sqrt(6 / (fan_in + fan_out))`.
    Xavier {
        fan_in: usize,
        fan_out: usize,
    },
    Zeros,
    Ones,
}

/// Where weights come from.
enum Source<'a> {
    Seeded(Box<ChaCha8Rng>),
    Saved(&'a SavedModel),
}

/// Prefix of network tensors inside a [`SavedModel`].
pub(crate) const SAVED_PREFIX: &str = "net.";

/// A named parameter; `decay` says whether AdamW's weight decay applies (weights yes,
/// biases and norm gains no, as is usual).
pub(crate) struct Param {
    pub(crate) var: Var,
    pub(crate) decay: bool,
}

/// The parameters of one network, by name (sorted: the order of optimisation and saving).
pub(crate) struct Store<'a> {
    device: Device,
    source: Source<'a>,
    params: BTreeMap<String, Param>,
}

impl<'a> Store<'a> {
    /// Fresh weights drawn from `rng`.
    pub(crate) fn seeded(device: &Device, rng: ChaCha8Rng) -> Self {
        Self { device: device.clone(), source: Source::Seeded(Box::new(rng)), params: BTreeMap::new() }
    }

    /// The weights of a saved model.
    pub(crate) fn saved(device: &Device, saved: &'a SavedModel) -> Self {
        Self { device: device.clone(), source: Source::Saved(saved), params: BTreeMap::new() }
    }

    /// The parameter `name` of `shape`, created by `init` or read from the saved model.
    pub(crate) fn get(&mut self, name: &str, shape: &[usize], init: Init, decay: bool) -> Result<Tensor, StageError> {
        if self.params.contains_key(name) {
            return Err(StageError::internal(format!("network parameter `{name}` declared twice")));
        }
        let n: usize = shape.iter().product();
        let values: Vec<f32> = match &mut self.source {
            Source::Seeded(rng) => match init {
                Init::Uniform(bound) => uniform(rng, n, bound),
                Init::Xavier { fan_in, fan_out } => uniform(rng, n, (6.0 / (fan_in + fan_out) as f64).sqrt()),
                Init::Zeros => vec![0.0; n],
                Init::Ones => vec![1.0; n],
            },
            Source::Saved(saved) => {
                let key = format!("{SAVED_PREFIX}{name}");
                let tensor = saved.tensor(&key)?;
                if tensor.shape != shape {
                    return Err(StageError::data(format!("saved tensor `{key}` has shape {:?}, the network expects {shape:?}", tensor.shape)));
                }
                saved.f32s(&key)?.to_vec()
            }
        };
        let tensor = Tensor::from_vec(values, shape, &self.device).context("creating a weight")?;
        let var = Var::from_tensor(&tensor).context("creating a weight")?;
        let out = var.as_tensor().clone();
        self.params.insert(name.to_owned(), Param { var, decay });
        Ok(out)
    }

    /// The parameters, sorted by name.
    pub(crate) fn into_params(self) -> BTreeMap<String, Param> {
        self.params
    }
}

fn uniform(rng: &mut ChaCha8Rng, n: usize, bound: f64) -> Vec<f32> {
    let bound = bound as f32;
    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
}

/// A parameter's values on the CPU, for saving.
pub(crate) fn to_host(t: &Tensor) -> Result<Vec<f32>, StageError> {
    t.to_dtype(DType::F32).and_then(|t| t.flatten_all()).and_then(|t| t.to_vec1::<f32>()).context("reading weights back")
}
