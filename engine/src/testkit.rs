//! Small stage kinds for the engine's own tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Float64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_artifacts::Format;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};

/// How many times any test stage ran (to assert cache hits).
pub(crate) static RUNS: AtomicUsize = AtomicUsize::new(0);

fn column(values: Vec<f64>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, false)]));
    RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(values))]).expect("valid batch")
}

fn values(t: &RecordBatch) -> Vec<f64> {
    t.column(0).as_any().downcast_ref::<Float64Array>().expect("f64").values().to_vec()
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SourceParams {
    /// Rows to draw.
    pub n: usize,
    pub scale: f64,
}

impl Default for SourceParams {
    fn default() -> Self {
        Self { n: 10, scale: 1.0 }
    }
}

/// Draws `n` random numbers.
pub(crate) struct Source;

impl Stage for Source {
    type Params = SourceParams;
    const KIND: &'static str = "test.source";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "random numbers";
    const INPUTS: &'static [InputSlot] = &[];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("out", Format::Parquet, "numbers")];

    fn check(&self, p: &SourceParams) -> Result<(), ParamIssue> {
        if p.n == 0 {
            return Err(ParamIssue::new(&["n"], "must be at least 1"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &SourceParams, _inputs: &StageInputs) -> Result<StageOutput, StageError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let mut rng = ctx.rng("source");
        let v: Vec<f64> = (0..p.n).map(|_| rng.random::<f64>() * p.scale).collect();
        Ok(StageOutput::new().table("out", column(v)).metric("n", p.n))
    }
}

#[derive(Serialize, Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MapParams {
    pub add: f64,
}

/// Adds a constant.
pub(crate) struct Map;

impl Stage for Map {
    type Params = MapParams;
    const KIND: &'static str = "test.map";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "adds a constant";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("input", "numbers")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("out", Format::Parquet, "numbers"), OutputSlot::new("summary", Format::Json, "sum")];

    fn run(&self, _ctx: &StageContext<'_>, p: &MapParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let v: Vec<f64> = values(inputs.table("input")?).iter().map(|x| x + p.add).collect();
        let sum: f64 = v.iter().sum();
        Ok(StageOutput::new().table("out", column(v)).json("summary", serde_json::json!({"sum": sum})).metric("sum", sum))
    }
}

#[derive(Serialize, Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct NoParams {}

/// Concatenates every input.
pub(crate) struct Concat;

impl Stage for Concat {
    type Params = NoParams;
    const KIND: &'static str = "test.concat";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "concatenates";
    const INPUTS: &'static [InputSlot] = &[InputSlot::many("parts", "tables")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("out", Format::Parquet, "numbers")];

    fn run(&self, _ctx: &StageContext<'_>, _p: &NoParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let mut v = Vec::new();
        for part in inputs.all("parts") {
            if let crate::stage::Artifact::Table(t) = &part.artifact {
                v.extend(values(t));
            }
        }
        Ok(StageOutput::new().table("out", column(v)))
    }
}

/// Fails on purpose.
pub(crate) struct Fail;

impl Stage for Fail {
    type Params = NoParams;
    const KIND: &'static str = "test.fail";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "fails";
    const INPUTS: &'static [InputSlot] = &[InputSlot::optional("input", "anything")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("out", Format::Json, "never")];

    fn run(&self, _ctx: &StageContext<'_>, _p: &NoParams, _inputs: &StageInputs) -> Result<StageOutput, StageError> {
        Err(StageError::data("this stage always fails"))
    }
}

pub(crate) fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(Source).register(Map).register(Concat).register(Fail);
    r
}
