//! The `features.sql` stage kind.

use std::sync::Arc;

use mlfactory_artifacts::Format;
use mlfactory_artifacts::table::Table;
use mlfactory_engine::stage::{Artifact, InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::TS;
use mlfactory_market::columns::ts_column;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{output, query};

/// Features as one DataFusion SQL query.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlFeatures;

/// Params of `features.sql`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SqlParams {
    /// One DataFusion SQL query (`SELECT`, or `WITH … SELECT`). Tables: the `bars` input as
    /// `bars`, and every input by its stage's name (`-` and `@` written `_`). The result
    /// keeps `ts`, has one row per row of `bars` (in any order), and every other column is
    /// a numeric feature named with `AS`. Window functions run over one partition, so
    /// results are identical run to run. Example: `SELECT ts, close / LAG(close, 12) OVER
    /// (ORDER BY ts) - 1 AS ret_12 FROM bars`.
    pub query: String,
    /// Accept constructs that read later rows (`LEAD`, frames ending `FOLLOWING`, windows
    /// without `ORDER BY` or ordered `DESC`). Off: such queries are refused when the spec is
    /// planned. Turn on only to build a deliberately leaky control for `mlfactory
    /// check-leakage`.
    pub allow_lookahead: bool,
}

/// A SQL-friendly table name: letters, digits and `_`.
fn table_name(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// The tables the query sees: `bars`, then every input under its stage's name.
fn tables(inputs: &StageInputs) -> Result<Vec<(String, Table)>, StageError> {
    let mut out: Vec<(String, Table)> = vec![("bars".to_owned(), inputs.table("bars")?.clone())];
    for slot in ["bars", "tables"] {
        for input in inputs.all(slot) {
            let Artifact::Table(t) = &input.artifact else {
                return Err(StageError::input(slot, format!("`{}` is not a table", input.label)));
            };
            let name = table_name(&input.label);
            match out.iter().find(|(n, _)| *n == name) {
                Some((_, same)) if Arc::ptr_eq(same, t) => {}
                Some(_) => return Err(StageError::input(slot, format!("two input tables would both be called `{name}`"))),
                None => out.push((name, t.clone())),
            }
        }
    }
    Ok(out)
}

impl Stage for SqlFeatures {
    type Params = SqlParams;
    const KIND: &'static str = "features.sql";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Features written as one DataFusion SQL query over the input tables, row-aligned with the bars.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::one("bars", "the table the features are row-aligned with (usually bars); queried as `bars` and by its stage's name"),
        InputSlot::many("tables", "more tables to query (other features, labels, …), each by its stage's name"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("features", Format::Parquet, "`ts` + one f64 column per selected feature, one row per bar")];

    fn check(&self, p: &SqlParams) -> Result<(), ParamIssue> {
        query::check(&p.query, p.allow_lookahead).map_err(|issue| ParamIssue::new(&["query"], issue.message).hint(issue.hint))
    }

    fn run(&self, _ctx: &StageContext<'_>, p: &SqlParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        query::check(&p.query, p.allow_lookahead).map_err(|issue| StageError::data_hint(issue.message, issue.hint))?;
        let bars = inputs.table("bars")?;
        let bars_ts = ts_column(bars, TS)?;
        let (schema, batches) = query::run(&p.query, &tables(inputs)?)?;
        let table = output::features_table(&schema, &batches, bars, &bars_ts)?;
        let features = table.num_columns() - 1;
        Ok(StageOutput::new().metric("rows", table.num_rows()).metric("features", features).table("features", table))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_artifacts::table::encode_parquet;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_market::Bars;
    use mlfactory_market::columns::f64_column;
    use proptest::prelude::*;

    use super::*;

    const MIN: i64 = 60_000_000_000;

    fn bars(close: &[f64]) -> arrow::array::RecordBatch {
        let n = close.len();
        Bars {
            ts: (0..n as i64).map(|i| 1_700_000_000_000_000_000 + i * MIN).collect(),
            open: close.to_vec(),
            high: close.iter().map(|c| c + 1.0).collect(),
            low: close.iter().map(|c| c - 1.0).collect(),
            close: close.to_vec(),
            volume: vec![10.0; n],
        }
        .to_table()
        .unwrap()
    }

    fn run(query: &str, inputs: &StageInputs) -> Result<arrow::array::RecordBatch, StageError> {
        let p = SqlParams { query: query.into(), allow_lookahead: true };
        let ctx = StageContext::new(7, &NullProgress);
        let out = SqlFeatures.run(&ctx, &p, inputs)?;
        match out.artifacts.get("features") {
            Some(Artifact::Table(t)) => Ok(t.as_ref().clone()),
            other => panic!("no features table: {other:?}"),
        }
    }

    #[test]
    fn window_functions_compute_row_aligned_features() {
        let inputs = StageInputs::new().with_table("bars", bars(&[1.0, 2.0, 4.0, 8.0]));
        let t = run(
            "SELECT ts, close / LAG(close, 1) OVER (ORDER BY ts) - 1 AS ret_1,
                    AVG(close) OVER (ORDER BY ts ROWS 1 PRECEDING) AS sma_2, 3 AS three
             FROM bars ORDER BY ts DESC",
            &inputs,
        )
        .unwrap();
        let ret = f64_column(&t, "ret_1").unwrap();
        assert!(ret[0].is_nan());
        assert_eq!(&ret[1..], &[1.0, 1.0, 1.0]);
        assert_eq!(f64_column(&t, "sma_2").unwrap(), vec![1.0, 1.5, 3.0, 6.0]);
        assert_eq!(f64_column(&t, "three").unwrap(), vec![3.0; 4]);
        assert_eq!(t.column(1).null_count(), 1, "warm-up rows are null");
    }

    #[test]
    fn other_inputs_are_tables_named_by_their_stage() {
        let b = bars(&[1.0, 2.0, 3.0]);
        let extra =
            mlfactory_market::columns::TableBuilder::new().ts("ts", ts_column(&b, "ts").unwrap()).f64("rsi_14", vec![50.0, 60.0, 70.0]).build().unwrap();
        let mut inputs = StageInputs::new();
        inputs.insert("bars", "bars_5m", Artifact::Table(Arc::new(b)));
        inputs.insert("tables", "features@fast-1", Artifact::Table(Arc::new(extra)));
        let t = run("SELECT b.ts, f.rsi_14 / 100 AS rsi_unit, b.close AS c FROM bars_5m b JOIN features_fast_1 f ON b.ts = f.ts", &inputs).unwrap();
        assert_eq!(f64_column(&t, "rsi_unit").unwrap(), vec![0.5, 0.6, 0.7]);
        let t = run("SELECT ts, close AS c FROM bars", &inputs).unwrap();
        assert_eq!(f64_column(&t, "c").unwrap(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn lookahead_is_refused_when_planned() {
        let p = SqlParams { query: "SELECT ts, LEAD(close) OVER (ORDER BY ts) AS next FROM bars".into(), allow_lookahead: false };
        let issue = SqlFeatures.check(&p).unwrap_err();
        assert_eq!(issue.path, vec!["query".to_owned()]);
        assert!(issue.message.contains("LEAD"), "{}", issue.message);
        assert!(SqlFeatures.check(&SqlParams { allow_lookahead: true, ..p }).is_ok());
    }

    #[test]
    fn filtering_rows_is_an_error_that_says_why() {
        let inputs = StageInputs::new().with_table("bars", bars(&[1.0, 2.0, 3.0]));
        let err = run("SELECT ts, close AS c FROM bars WHERE close > 1", &inputs).unwrap_err().to_string();
        assert!(err.contains("returned 2 rows but `bars` has 3") && err.contains("CASE"), "{err}");
    }

    #[test]
    fn output_bytes_are_identical_run_to_run() {
        let close: Vec<f64> = (0..5000).map(|i| 100.0 + (f64::from(i) * 0.37).sin() * 5.0).collect();
        let inputs = StageInputs::new().with_table("bars", bars(&close));
        let q = "SELECT ts, SUM(close * volume) OVER (ORDER BY ts ROWS 99 PRECEDING) / SUM(volume) OVER (ORDER BY ts ROWS 99 PRECEDING) AS vwap_100,
                        STDDEV(close) OVER (ORDER BY ts ROWS 29 PRECEDING) AS sd_30 FROM bars";
        let a = encode_parquet(&run(q, &inputs).unwrap()).unwrap();
        let b = encode_parquet(&run(q, &inputs).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// A causal query's features at or before a cut do not move when every bar after
        /// the cut is rewritten.
        #[test]
        fn prop_rewriting_the_future_keeps_the_past(close in prop::collection::vec(1.0f64..100.0, 10..60), cut_frac in 0.0f64..1.0, scale in 0.1f64..10.0) {
            let cut = ((close.len() - 1) as f64 * cut_frac) as usize;
            let future: Vec<f64> = close.iter().enumerate().map(|(i, c)| if i > cut { c * scale } else { *c }).collect();
            let q = "SELECT ts, close / LAG(close, 3) OVER (ORDER BY ts) AS r3, MAX(high) OVER (ORDER BY ts ROWS 4 PRECEDING) AS hh,
                            AVG(close) OVER (ORDER BY ts) AS expanding FROM bars";
            let a = run(q, &StageInputs::new().with_table("bars", bars(&close))).unwrap();
            let b = run(q, &StageInputs::new().with_table("bars", bars(&future))).unwrap();
            for name in ["r3", "hh", "expanding"] {
                let (x, y) = (f64_column(&a, name).unwrap(), f64_column(&b, name).unwrap());
                for i in 0..=cut {
                    prop_assert!(x[i].to_bits() == y[i].to_bits(), "{name} row {i}: {} vs {}", x[i], y[i]);
                }
            }
        }
    }
}
