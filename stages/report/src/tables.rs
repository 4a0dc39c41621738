//! The upstream tables the report reads, as plain columns.

use arrow::array::RecordBatch;
use mlfactory_backtest::columns::{equity as eq, trades as tr};
use mlfactory_backtest::metrics::Outcome;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{f64_column, opt_f64_column, str_column, ts_column};
use mlfactory_market::contracts::predictions as pc;

fn strings(t: &RecordBatch, name: &str) -> Result<Vec<String>, StageError> {
    Ok(str_column(t, name)?.into_iter().map(Option::unwrap_or_default).collect())
}

fn opt_strings(t: &RecordBatch, name: &str) -> Result<Option<Vec<String>>, StageError> {
    if t.column_by_name(name).is_none() { Ok(None) } else { strings(t, name).map(Some) }
}

/// Names the slot in a column error, with a hint.
fn in_slot(slot: &str, e: StageError) -> StageError {
    StageError::data_hint(format!("input `{slot}`: {e}"), format!("bind the matching output to `{slot}` (see `mlfactory kinds report`)"))
}

/// The `trades` table of `backtest`.
#[derive(Clone, Debug, Default)]
pub struct TradeLog {
    pub ts: Vec<i64>,
    pub exit_ts: Vec<i64>,
    pub side: Vec<f64>,
    pub qty: Vec<f64>,
    pub entry_price: Vec<f64>,
    pub exit_price: Vec<f64>,
    pub reason: Vec<String>,
    pub bars_held: Vec<f64>,
    pub gross: Vec<f64>,
    pub commission: Vec<f64>,
    pub slippage: Vec<f64>,
    pub net: Vec<f64>,
    pub r: Vec<f64>,
    pub equity_after: Vec<f64>,
    pub session: Vec<String>,
    pub regime: Vec<String>,
}

impl TradeLog {
    pub fn read(t: &RecordBatch) -> Result<Self, StageError> {
        let read = || -> Result<Self, StageError> {
            Ok(Self {
                ts: ts_column(t, tr::TS)?,
                exit_ts: ts_column(t, tr::EXIT_TS)?,
                side: f64_column(t, tr::SIDE)?,
                qty: f64_column(t, tr::QTY)?,
                entry_price: f64_column(t, tr::ENTRY_PRICE)?,
                exit_price: f64_column(t, tr::EXIT_PRICE)?,
                reason: strings(t, tr::EXIT_REASON)?,
                bars_held: f64_column(t, tr::BARS_HELD)?,
                gross: f64_column(t, tr::GROSS_PNL)?,
                commission: f64_column(t, tr::COMMISSION)?,
                slippage: f64_column(t, tr::SLIPPAGE)?,
                net: f64_column(t, tr::NET_PNL)?,
                r: f64_column(t, tr::R_MULTIPLE)?,
                equity_after: f64_column(t, tr::EQUITY_AFTER)?,
                session: strings(t, tr::SESSION)?,
                regime: strings(t, tr::REGIME)?,
            })
        };
        read().map_err(|e| in_slot("backtest", e))
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Trade `i` for the backtest's trade statistics.
    pub fn outcome(&self, i: usize) -> Outcome {
        Outcome {
            net_pnl: self.net[i],
            gross_pnl: self.gross[i],
            commission: self.commission[i],
            slippage: self.slippage[i],
            r_multiple: self.r[i],
            bars_held: self.bars_held[i] as usize,
        }
    }
}

/// The `equity` table of `backtest`.
#[derive(Clone, Debug, Default)]
pub struct EquityCurve {
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub drawdown_pct: Vec<f64>,
}

impl EquityCurve {
    pub fn read(t: &RecordBatch) -> Result<Self, StageError> {
        let read = || -> Result<Self, StageError> {
            Ok(Self { ts: ts_column(t, eq::TS)?, equity: f64_column(t, eq::EQUITY)?, drawdown_pct: f64_column(t, eq::DRAWDOWN_PCT)? })
        };
        read().map_err(|e| in_slot("equity", e))
    }
}

/// A predictions table (`label`, `signal`, class probabilities, per split).
#[derive(Clone, Debug, Default)]
pub struct PredictionRows {
    pub split: Vec<String>,
    pub label: Vec<f64>,
    pub signal: Vec<f64>,
    pub ret: Vec<f64>,
    pub p_short: Option<Vec<f64>>,
    pub p_long: Option<Vec<f64>>,
}

impl PredictionRows {
    pub fn read(t: &RecordBatch, slot: &str) -> Result<Self, StageError> {
        let read = || -> Result<Self, StageError> {
            Ok(Self {
                split: opt_strings(t, pc::SPLIT)?.unwrap_or_else(|| vec!["all".to_owned(); t.num_rows()]),
                label: f64_column(t, pc::LABEL)?,
                signal: opt_f64_column(t, pc::SIGNAL)?.unwrap_or_else(|| vec![f64::NAN; t.num_rows()]),
                ret: opt_f64_column(t, pc::RET)?.unwrap_or_else(|| vec![f64::NAN; t.num_rows()]),
                p_short: opt_f64_column(t, pc::P_SHORT)?,
                p_long: opt_f64_column(t, pc::P_LONG)?,
            })
        };
        read().map_err(|e| in_slot(slot, e))
    }

    /// Split names in order of first appearance.
    pub fn splits(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.split {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    #[test]
    fn missing_columns_name_the_slot() {
        let t = TableBuilder::new().ts("ts", vec![1]).build().unwrap();
        let err = TradeLog::read(&t).unwrap_err().to_string();
        assert!(err.contains("input `backtest`") && err.contains("exit_ts"), "{err}");
        let p = TableBuilder::new().ts("ts", vec![1, 2]).i8("label", vec![1, -1]).str("split", &["val", "test"]).build().unwrap();
        let rows = PredictionRows::read(&p, "predictions").unwrap();
        assert_eq!(rows.splits(), vec!["val", "test"]);
        assert!(rows.p_long.is_none() && rows.signal[0].is_nan());
    }
}
