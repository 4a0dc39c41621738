//! The `features.indicators` stage: bars in, one f64 column per selected feature out.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field};
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME, TS, instrument_of};
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::{Bars, Calendar};

use crate::indicators::{Selection, compute};

/// `features.indicators`.
#[derive(Debug, Default)]
pub struct Indicators;

/// A float column with NaN as null, reusing the vector's memory for the values.
pub fn f64_array(values: Vec<f64>) -> ArrayRef {
    let nulls = values.iter().any(|v| v.is_nan()).then(|| NullBuffer::from_iter(values.iter().map(|v| !v.is_nan())));
    Arc::new(Float64Array::new(ScalarBuffer::from(values), nulls))
}

/// The features table: `ts` then the columns, with the bars' symbol and timeframe
/// metadata carried over.
pub fn features_table(bars_table: &RecordBatch, ts: Vec<i64>, columns: Vec<(String, Vec<f64>)>) -> Result<RecordBatch, StageError> {
    let mut builder = TableBuilder::new().ts(TS, ts);
    for key in [META_SYMBOL, META_TIMEFRAME] {
        if let Some(v) = bars_table.schema_ref().metadata().get(key) {
            builder = builder.meta(key, v.clone());
        }
    }
    for (name, values) in columns {
        let array = f64_array(values);
        builder = builder.array(Field::new(name, DataType::Float64, array.null_count() > 0 || array.is_empty()), array);
    }
    builder.build()
}

impl Stage for Indicators {
    type Params = Selection;
    const KIND: &'static str = "features.indicators";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Causal technical features (150+ columns: averages, momentum, trend, volatility, volume, returns, microstructure, regime, wavelet, time), TA-Lib-exact where TA-Lib has them.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("bars", "bar table: ts, open, high, low, close, volume (may be null); other columns are ignored")];
    const OUTPUTS: &'static [OutputSlot] =
        &[OutputSlot::new("features", Format::Parquet, "ts + one f64 column per feature, row-aligned with the bars, null during warm-up")];

    fn check(&self, params: &Selection) -> Result<(), ParamIssue> {
        params.indicators().map(|_| ())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Selection, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("bars")?;
        let bars = Bars::from_table(table)?;
        let calendar = instrument_of(table).and_then(|i| Calendar::in_timezone(&i.timezone)).unwrap_or_default();
        let requested = params.columns().map_err(|i| StageError::internal(i.message))?.len();
        let columns = compute(&bars, params, &calendar)?;
        if columns.len() < requested {
            ctx.log(format!("the bars have no volume: {} volume feature(s) left out", requested - columns.len()));
        }
        let (n_cols, rows) = (columns.len(), bars.len());
        let out = features_table(table, bars.ts, columns)?;
        Ok(StageOutput::new().table("features", out).metric("columns", n_cols).metric("rows", rows).metric("dropped_volume_columns", requested - n_cols))
    }
}
