//! The T × N matrix of strategy returns that PBO and the Deflated Sharpe Ratio judge,
//! from either input they accept:
//!
//! - a `returns` table: every numeric column but `ts` is one strategy, one row a period;
//! - the `predictions` of every variant of a sweep (fan-in of a `matrix` stage): each
//!   variant's strategy is trading its `signal` on the label return (`signal × ret`,
//!   see [`crate::stats::trading`]), summed per CME trading day ([`Bucket::Day`]; days
//!   any variant has, 0 where a variant has none), or row by row ([`Bucket::Row`], when
//!   every variant predicts the same events).

use std::collections::BTreeMap;

use arrow::datatypes::DataType;
use mlfactory_engine::{StageError, StageInputs};
use mlfactory_market::Calendar;
use mlfactory_market::columns::f64_column;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::predictions::Predictions;

/// How prediction rows become periods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Sum trade returns per CME trading day of entry.
    #[default]
    Day,
    /// One period per prediction row; every variant must have the same rows.
    Row,
}

/// N named strategies, T periods each.
#[derive(Clone, Debug, PartialEq)]
pub struct Strategies {
    pub names: Vec<String>,
    /// One vector per strategy.
    pub returns: Vec<Vec<f64>>,
}

impl Strategies {
    /// Periods per strategy.
    pub fn periods(&self) -> usize {
        self.returns.first().map_or(0, Vec::len)
    }

    /// From the stage inputs: the `returns` table if bound, else every `predictions`
    /// artifact (rows of `splits`; empty: every row).
    pub fn from_inputs(inputs: &StageInputs, splits: &[String], bucket: Bucket) -> Result<Self, StageError> {
        let variants = inputs.all("predictions");
        match (inputs.opt_table("returns")?, variants.is_empty()) {
            (Some(table), true) => Self::from_returns_table(table),
            (None, false) => {
                let mut preds = Vec::with_capacity(variants.len());
                for v in variants {
                    let mlfactory_engine::Artifact::Table(t) = &v.artifact else {
                        return Err(StageError::input("predictions", format!("`{}` is not a table", v.label)));
                    };
                    let p = Predictions::read(t, &v.label)?;
                    let rows: Vec<usize> = (0..p.len()).filter(|&i| splits.is_empty() || splits.contains(&p.split[i])).collect();
                    preds.push((v.label.clone(), p.select(&rows)));
                }
                Self::from_predictions(&preds, bucket)
            }
            (Some(_), false) => Err(StageError::input("returns", "bind either `returns` or `predictions`, not both")),
            (None, true) => Err(StageError::input("predictions", "nothing to judge: bind a `returns` table or the `predictions` of a sweep's variants")),
        }
    }

    /// Every numeric column but `ts`.
    pub fn from_returns_table(table: &arrow::array::RecordBatch) -> Result<Self, StageError> {
        let mut names = Vec::new();
        let mut returns = Vec::new();
        for field in table.schema_ref().fields() {
            if field.name() == "ts" || !(field.data_type().is_numeric() || *field.data_type() == DataType::Boolean) {
                continue;
            }
            let values = f64_column(table, field.name())?;
            if let Some(row) = values.iter().position(|v| !v.is_finite()) {
                return Err(StageError::data_hint(
                    format!("`returns` column `{}` is {} at row {row}", field.name(), values[row]),
                    "every strategy needs a finite return in every period: fill missing periods with 0 or drop them",
                ));
            }
            names.push(field.name().clone());
            returns.push(values);
        }
        Ok(Self { names, returns })
    }

    /// Trading returns of each named variant's predictions, bucketed.
    pub fn from_predictions(variants: &[(String, Predictions)], bucket: Bucket) -> Result<Self, StageError> {
        let names = variants.iter().map(|(n, _)| n.clone()).collect();
        let returns = match bucket {
            Bucket::Row => {
                let first = &variants.first().map(|(_, p)| p.ts.clone()).unwrap_or_default();
                for (name, p) in variants {
                    if &p.ts != first {
                        return Err(StageError::data_hint(
                            format!("variant `{name}` predicts other rows than `{}` ({} vs {} rows)", variants[0].0, p.len(), first.len()),
                            "use `bucket: day` when the variants label different events",
                        ));
                    }
                }
                variants.iter().map(|(_, p)| p.pnl()).collect()
            }
            Bucket::Day => {
                let clock = Calendar::cme().clock();
                let per_variant: Vec<BTreeMap<i64, f64>> = variants
                    .iter()
                    .map(|(_, p)| {
                        let mut days = BTreeMap::new();
                        for (t, r) in p.ts.iter().zip(p.pnl()) {
                            *days.entry(clock.trading_day(*t)).or_insert(0.0) += r;
                        }
                        days
                    })
                    .collect();
                let all: std::collections::BTreeSet<i64> = per_variant.iter().flat_map(|d| d.keys().copied()).collect();
                per_variant.iter().map(|d| all.iter().map(|day| d.get(day).copied().unwrap_or(0.0)).collect()).collect()
            }
        };
        Ok(Self { names, returns })
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;
    use crate::predictions::fixtures::predictions;

    #[test]
    fn reads_numeric_columns_of_a_returns_table() {
        let t = TableBuilder::new().ts("ts", vec![1, 2]).f64("a", vec![0.1, 0.2]).str("note", &["x", "y"]).f64("b", vec![0.0, -0.1]).build().unwrap();
        let s = Strategies::from_returns_table(&t).unwrap();
        assert_eq!(s.names, ["a", "b"]);
        assert_eq!(s.returns[1], [0.0, -0.1]);
        let bad = TableBuilder::new().f64("a", vec![0.1, f64::NAN]).build().unwrap();
        assert!(Strategies::from_returns_table(&bad).unwrap_err().to_string().contains("`a` is NaN at row 1"));
    }

    #[test]
    fn buckets_predictions_by_day_or_row() {
        let a = predictions(6, "test", |_| true);
        let b = predictions(6, "test", |i| i < 3);
        let variants = vec![("a".to_owned(), a.clone()), ("b".to_owned(), b)];
        let rows = Strategies::from_predictions(&variants, Bucket::Row).unwrap();
        assert_eq!(rows.returns[0], a.pnl());
        // The fixture's rows are a day apart: one period per row either way.
        let days = Strategies::from_predictions(&variants, Bucket::Day).unwrap();
        assert_eq!(days.returns, rows.returns);
        let short = vec![("a".to_owned(), a.clone()), ("c".to_owned(), predictions(4, "test", |_| true))];
        assert!(Strategies::from_predictions(&short, Bucket::Row).is_err());
        let days = Strategies::from_predictions(&short, Bucket::Day).unwrap();
        assert_eq!(days.periods(), 6);
        assert_eq!(days.returns[1][4..], [0.0, 0.0]);
    }
}
