//! The model types this crate adds to the catalog: `mlp`, `lstm`, `gru`, `tcn`,
//! `transformer`, `cnn` (params `{arch, train}`) and `multitask` (params `{encoder, heads,
//! train}`, the encoder any of the others' architecture tagged with its `type`).

use mlfactory_engine::{ParamIssue, StageError};
use mlfactory_models::{Model, ModelCatalog, ModelKind, SavedModel};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::NeuralModel;
use crate::nets::{EncoderParams, cnn::CnnArch, mlp::MlpArch, rnn::RnnArch, tcn::TcnArch, transformer::TransformerArch};
use crate::network::{MultitaskHeads, NetSpec};
use crate::params::TrainParams;

/// Params of a single-head network: its architecture and how to train it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetParams<A: Default> {
    /// The architecture.
    pub arch: A,
    /// Optimiser, schedule, early stopping, weighting, device.
    pub train: TrainParams,
}

/// Params of the multi-task network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MultitaskParams {
    /// The shared encoder: any architecture, with its `type` (`mlp`, `lstm`, `gru`, `tcn`,
    /// `transformer`, `cnn`) beside its params, e.g. `{type: lstm, hidden: 64}`.
    pub encoder: EncoderParams,
    /// The return and volatility heads: loss weights and the volatility target.
    pub heads: MultitaskHeads,
    /// Optimiser, schedule, early stopping, weighting, device.
    pub train: TrainParams,
}

fn prefixed(mut issue: ParamIssue, prefix: &str) -> ParamIssue {
    issue.path.insert(0, prefix.to_owned());
    issue
}

macro_rules! single_head_kind {
    ($kind:ident, $name:literal, $about:literal, $sequence:literal, $arch:ty, $variant:ident) => {
        #[doc = $about]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $kind;

        impl ModelKind for $kind {
            type Params = NetParams<$arch>;
            const NAME: &'static str = $name;
            const ABOUT: &'static str = $about;
            const SEQUENCE: bool = $sequence;

            fn check(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
                params.arch.check(&["arch"])?;
                params.train.check()
            }

            fn build(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
                let spec = NetSpec { encoder: EncoderParams::$variant(params.arch.clone()), multitask: None, train: params.train.clone() };
                Ok(Box::new(NeuralModel::new($name, spec)))
            }

            fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
                Ok(Box::new(NeuralModel::load($name, saved)?))
            }
        }
    };
}

single_head_kind!(MlpKind, "mlp", "Multi-layer perceptron on the current row (candle).", false, MlpArch, Mlp);
single_head_kind!(LstmKind, "lstm", "LSTM over a window of past rows, read at its last step (candle).", true, RnnArch, Lstm);
single_head_kind!(GruKind, "gru", "GRU over a window of past rows, read at its last step (candle).", true, RnnArch, Gru);
single_head_kind!(TcnKind, "tcn", "Temporal convolutional network: residual dilated causal convolutions (candle).", true, TcnArch, Tcn);
single_head_kind!(
    TransformerKind,
    "transformer",
    "Transformer encoder with a causal mask over a window of past rows (candle).",
    true,
    TransformerArch,
    Transformer
);
single_head_kind!(CnnKind, "cnn", "1D convolutional classifier over a window of past rows (candle).", true, CnnArch, Cnn);

/// Multi-task network: a shared encoder with direction, forward-return and volatility heads.
#[derive(Clone, Copy, Debug, Default)]
pub struct MultitaskKind;

impl ModelKind for MultitaskKind {
    type Params = MultitaskParams;
    const NAME: &'static str = "multitask";
    const ABOUT: &'static str =
        "Shared encoder (any neural architecture) with direction, forward-return and volatility heads; loss weights in params (candle).";
    const SEQUENCE: bool = true;

    fn check(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        params.encoder.check(&["encoder"])?;
        params.heads.check().map_err(|i| prefixed(i, "heads"))?;
        params.train.check()
    }

    fn build(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let spec = NetSpec { encoder: params.encoder.clone(), multitask: Some(params.heads.clone()), train: params.train.clone() };
        Ok(Box::new(NeuralModel::new(Self::NAME, spec)))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(NeuralModel::load(Self::NAME, saved)?))
    }
}
