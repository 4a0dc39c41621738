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
use crate::params::{SequenceInput, TrainParams};

/// Params of a single-head network: its architecture, what it reads and how to train it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetParams<A: Default> {
    /// The architecture.
    pub arch: A,
    /// Sequence types: `rows` (windows of `seq_len` consecutive dataset rows) or
    /// `multi_resolution` (each row's own `[window, timeframes x 5]` tensor from a
    /// `features.mtf` `multi_resolution` table bound to the dataset).
    pub sequence: SequenceInput,
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
    /// `rows` (windows of `seq_len` consecutive dataset rows) or `multi_resolution` (each
    /// row's own `[window, timeframes x 5]` tensor from a `features.mtf` `multi_resolution`
    /// table bound to the dataset); needs a sequence encoder.
    pub sequence: SequenceInput,
    /// Optimiser, schedule, early stopping, weighting, device.
    pub train: TrainParams,
}

fn prefixed(mut issue: ParamIssue, prefix: &str) -> ParamIssue {
    issue.path.insert(0, prefix.to_owned());
    issue
}

/// `multi_resolution` feeds a sequence; the MLP reads one row (which already holds the
/// whole tensor as columns).
fn check_sequence(sequence: SequenceInput, reads_sequences: bool, type_name: &str) -> Result<(), ParamIssue> {
    if sequence == SequenceInput::MultiResolution && !reads_sequences {
        return Err(ParamIssue::new(
            &["sequence"],
            format!(
                "`{type_name}` reads one row, not a sequence; `multi_resolution` needs lstm, gru, tcn, transformer or cnn (the row's columns already hold the tensor)"
            ),
        ));
    }
    Ok(())
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
                check_sequence(params.sequence, $sequence, $name)?;
                params.train.check()
            }

            fn build(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
                let spec =
                    NetSpec { encoder: EncoderParams::$variant(params.arch.clone()), multitask: None, train: params.train.clone(), sequence: params.sequence };
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
        check_sequence(params.sequence, !matches!(params.encoder, EncoderParams::Mlp(_)), "mlp")?;
        params.train.check()
    }

    fn build(&self, params: &Self::Params, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let spec = NetSpec { encoder: params.encoder.clone(), multitask: Some(params.heads.clone()), train: params.train.clone(), sequence: params.sequence };
        Ok(Box::new(NeuralModel::new(Self::NAME, spec)))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(NeuralModel::load(Self::NAME, saved)?))
    }
}
