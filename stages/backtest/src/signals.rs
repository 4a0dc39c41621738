//! Signals: the prediction rows a backtest trades, each tied to the bar at whose close
//! it becomes known.
//!
//! A prediction at `ts` is about the bar that **opens** at `ts` (bars are stamped at
//! their open, labels and predictions at their event bar): it is known at that bar's
//! close, so the earliest order it can place fills on the next bar.

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{f64_column, opt_f64_column, str_column, ts_column};
use mlfactory_market::contracts::predictions as pred;

use crate::params::BacktestParams;
use crate::tape::Tape;

/// One tradeable signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal {
    /// The bar at whose close the signal is known.
    pub bar: usize,
    /// +1 long, -1 short (flat signals are not kept).
    pub side: i8,
}

/// The signals of a predictions table, in bar order, and how many rows were considered.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    pub signals: Vec<Signal>,
    /// Rows of the selected split(s).
    pub rows: usize,
    /// Selected rows with a flat signal.
    pub flat: usize,
    /// Selected, non-flat rows removed by `gate_column` or `min_confidence`.
    pub gated: usize,
    /// The first and last bar of the selected rows.
    pub span: Option<(usize, usize)>,
}

/// Reads the signals of `predictions` that `p` selects, mapping each row to its bar.
pub fn read_signals(predictions: &RecordBatch, tape: &Tape, p: &BacktestParams) -> Result<Signals, StageError> {
    let ts = ts_column(predictions, pred::TS)?;
    let split = match predictions.column_by_name(pred::SPLIT) {
        Some(_) => Some(str_column(predictions, pred::SPLIT)?),
        None => None,
    };
    let signal = f64_column(predictions, &p.signal_column).map_err(|e| {
        StageError::data_hint(format!("predictions: {e}"), "bind a predictions or signals table, or set `signal_column` to the column holding -1/0/+1")
    })?;
    let gate = if p.gate_column.is_empty() {
        None
    } else {
        Some(
            f64_column(predictions, &p.gate_column)
                .map_err(|e| StageError::data_hint(format!("predictions: {e}"), "set `gate_column: \"\"` to trade every row"))?,
        )
    };
    let confidence = if p.min_confidence > 0.0 {
        Some(opt_f64_column(predictions, pred::CONFIDENCE)?.ok_or_else(|| {
            StageError::data_hint(format!("predictions have no `{}` column for `min_confidence`", pred::CONFIDENCE), "set `min_confidence: 0`")
        })?)
    } else {
        None
    };
    let mut out = Signals::default();
    let mut rows: Vec<(usize, usize)> = Vec::new(); // (bar, row)
    for (i, &t) in ts.iter().enumerate() {
        if let Some(split) = &split
            && !p.split.keeps(split[i].as_deref().unwrap_or(""))
        {
            continue;
        }
        let bar = tape.bar_at(t).ok_or_else(|| {
            StageError::data_hint(
                format!("predictions: row {i} has ts {t}, which opens no bar of the `bars` input"),
                "bind the bars the labels were computed on (e.g. `bars: bars_5m`)",
            )
        })?;
        rows.push((bar, i));
    }
    rows.sort_unstable();
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(StageError::data_hint(
            format!("predictions: rows {} and {} are both at ts {}; a backtest needs one signal per bar", w[0].1, w[1].1, tape.ts[w[0].0]),
            "labels with several horizons give several rows per event: label one horizon for the model you backtest",
        ));
    }
    out.rows = rows.len();
    out.span = rows.first().zip(rows.last()).map(|(a, b)| (a.0, b.0));
    for (bar, i) in rows {
        let s = signal[i];
        if !(s == -1.0 || s == 0.0 || s == 1.0) {
            return Err(StageError::data_hint(
                format!("predictions: column `{}` row {i} is {s}, expected -1, 0 or +1", p.signal_column),
                "the signal is a side; threshold probabilities into -1/0/+1 upstream",
            ));
        }
        if s == 0.0 {
            out.flat += 1;
            continue;
        }
        // NaN (a null gate or confidence) gates the row out too.
        let passes = |v: f64, min: f64| v >= min;
        let gated_out = gate.as_ref().is_some_and(|g| g[i] <= 0.0 || g[i].is_nan()) || confidence.as_ref().is_some_and(|c| !passes(c[i], p.min_confidence));
        if gated_out {
            out.gated += 1;
            continue;
        }
        out.signals.push(Signal { bar, side: s as i8 });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    fn tape(n: usize) -> Tape {
        let t = TableBuilder::new()
            .ts("ts", (0..n as i64).map(|i| i * 60_000_000_000).collect())
            .f64("open", vec![1.0; n])
            .f64("high", vec![1.0; n])
            .f64("low", vec![1.0; n])
            .f64("close", vec![1.0; n])
            .build()
            .unwrap();
        Tape::from_table(&t, 2, "", 10).unwrap()
    }

    fn predictions(ts: &[i64], split: &[&str], signal: &[i8], gate: &[bool]) -> RecordBatch {
        TableBuilder::new()
            .ts("ts", ts.iter().map(|m| m * 60_000_000_000).collect())
            .str("split", split)
            .i8("signal", signal.to_vec())
            .bool("taken", gate.to_vec())
            .build()
            .unwrap()
    }

    #[test]
    fn selects_the_split_and_maps_rows_to_bars() {
        let pr = predictions(&[5, 1, 3, 7], &["test", "val", "test", "test"], &[1, -1, 0, -1], &[true, true, true, false]);
        let s = read_signals(&pr, &tape(10), &BacktestParams::default()).unwrap();
        assert_eq!(s.signals, vec![Signal { bar: 5, side: 1 }, Signal { bar: 7, side: -1 }]);
        assert_eq!((s.rows, s.flat, s.gated, s.span), (3, 1, 0, Some((3, 7))));
        let gated = BacktestParams { gate_column: "taken".into(), split: crate::params::SplitFilter::All, ..Default::default() };
        let s = read_signals(&pr, &tape(10), &gated).unwrap();
        assert_eq!(s.signals, vec![Signal { bar: 1, side: -1 }, Signal { bar: 5, side: 1 }]);
        assert_eq!(s.gated, 1);
    }

    #[test]
    fn errors_name_the_row() {
        let off_grid = predictions(&[20], &["test"], &[1], &[true]);
        let err = read_signals(&off_grid, &tape(10), &BacktestParams::default()).unwrap_err().to_string();
        assert!(err.contains("row 0") && err.contains("opens no bar"), "{err}");
        let dup = predictions(&[2, 2], &["test", "test"], &[1, 1], &[true, true]);
        let err = read_signals(&dup, &tape(10), &BacktestParams::default()).unwrap_err().to_string();
        assert!(err.contains("one signal per bar"), "{err}");
        let bad = predictions(&[2], &["test"], &[2], &[true]);
        let err = read_signals(&bad, &tape(10), &BacktestParams::default()).unwrap_err().to_string();
        assert!(err.contains("expected -1, 0 or +1"), "{err}");
    }
}
