//! Gap policy: missing bars inside the trading day.
//!
//! A gap is a run of missing bar slots between two consecutive bars of the same trading
//! day, counting only slots when the market is open and the session filter keeps them
//! (the daily break, weekends and filtered-out hours are not gaps). `fill` inserts flat
//! bars at the last close with volume 0 (extra columns copied from the bar before, and a
//! `filled` column marking them) for gaps up to `max_gap`; longer gaps are left and
//! counted. `error` fails on the first gap longer than `max_gap`.

use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_engine::StageError;
use mlfactory_market::Bars;
use mlfactory_market::bars::OHLCV;
use mlfactory_market::calendar::Clock;
use mlfactory_market::resample::Timeframe;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::session::Windows;

/// Name of the column marking filled bars.
pub const FILLED: &str = "filled";

/// What to do with missing bars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GapPolicy {
    /// Leave missing bars out.
    #[default]
    Keep,
    /// Insert flat bars (volume 0) in gaps up to `max_gap`.
    Fill,
    /// Fail on a gap longer than `max_gap`.
    Error,
}

/// What the gap pass found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GapReport {
    pub gaps: usize,
    pub missing_bars: usize,
    pub filled_bars: usize,
    pub over_max: usize,
}

/// Applies the policy. The bars must be sorted.
pub fn apply(
    table: &RecordBatch,
    policy: GapPolicy,
    tf: Timeframe,
    max_gap: Timeframe,
    windows: &Windows,
    clock: &Clock,
) -> Result<(RecordBatch, GapReport), StageError> {
    let bars = Bars::from_table(table)?;
    let step = tf.nanos();
    let max_missing = (max_gap.minutes / tf.minutes).max(0) as usize;
    let mut report = GapReport::default();
    let mut source: Vec<u32> = Vec::with_capacity(bars.len());
    let mut fill_ts: Vec<Option<i64>> = Vec::with_capacity(bars.len());
    for i in 0..bars.len() {
        if i > 0 && clock.trading_day(bars.ts[i]) == clock.trading_day(bars.ts[i - 1]) && bars.ts[i] - bars.ts[i - 1] > step {
            let slots = (bars.ts[i] - bars.ts[i - 1] - 1) / step;
            let missing: Vec<i64> =
                (1..=slots).map(|k| bars.ts[i - 1] + k * step).filter(|&t| clock.is_open(t) && windows.contains(clock.local(t).minute_of_day)).collect();
            if !missing.is_empty() {
                report.gaps += 1;
                report.missing_bars += missing.len();
                if missing.len() > max_missing {
                    report.over_max += 1;
                    if policy == GapPolicy::Error {
                        return Err(StageError::data_hint(
                            format!(
                                "gap of {} missing {tf} bar(s) between row {} (ts {}) and row {i} (ts {}), longer than `max_gap` {max_gap}",
                                missing.len(),
                                i - 1,
                                bars.ts[i - 1],
                                bars.ts[i]
                            ),
                            "raise `max_gap`, or use `gaps: fill` or `gaps: keep`",
                        ));
                    }
                } else if policy == GapPolicy::Fill {
                    report.filled_bars += missing.len();
                    for t in missing {
                        source.push((i - 1) as u32);
                        fill_ts.push(Some(t));
                    }
                }
            }
        }
        source.push(i as u32);
        fill_ts.push(None);
    }
    if report.filled_bars == 0 {
        return Ok((table.clone(), report));
    }
    let idx = UInt32Array::from(source.clone());
    let mut out = Bars::default();
    for (&s, f) in source.iter().zip(&fill_ts) {
        let s = s as usize;
        match f {
            None => {
                out.ts.push(bars.ts[s]);
                out.open.push(bars.open[s]);
                out.high.push(bars.high[s]);
                out.low.push(bars.low[s]);
                out.close.push(bars.close[s]);
                out.volume.push(bars.volume[s]);
            }
            Some(t) => {
                let c = bars.close[s];
                out.ts.push(*t);
                out.open.push(c);
                out.high.push(c);
                out.low.push(c);
                out.close.push(c);
                out.volume.push(if bars.volume[s].is_nan() { f64::NAN } else { 0.0 });
            }
        }
    }
    let mut b = out.to_builder();
    for (field, column) in table.schema_ref().fields().iter().zip(table.columns()) {
        if OHLCV.contains(&field.name().as_str()) || field.name() == FILLED {
            continue;
        }
        let taken = take(column.as_ref(), &idx, None).map_err(|e| StageError::internal(format!("filling gaps in `{}`: {e}", field.name())))?;
        b = b.array(field.as_ref().clone(), taken);
    }
    b = b.array(Field::new(FILLED, DataType::Boolean, false), Arc::new(BooleanArray::from(fill_ts.iter().map(Option::is_some).collect::<Vec<_>>())));
    let built = b.build()?;
    let schema = Arc::new(Schema::new_with_metadata(built.schema_ref().fields().clone(), table.schema_ref().metadata().clone()));
    Ok((built.with_schema(schema).map_err(|e| StageError::internal(e.to_string()))?, report))
}

#[cfg(test)]
mod tests {
    use mlfactory_market::Calendar;

    use super::*;
    use crate::clean::session::SessionFilter;

    fn table(ts: &[i64]) -> RecordBatch {
        let n = ts.len();
        let close: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
        Bars { ts: ts.to_vec(), open: close.clone(), high: close.clone(), low: close.clone(), close, volume: vec![5.0; n] }.to_table().unwrap()
    }

    #[test]
    fn fills_short_gaps_inside_the_day_only() {
        let cal = Calendar::cme();
        let clock = cal.clock();
        let m = 60_000_000_000;
        let t0 = cal.utc_ns(2024, 3, 12, 15, 57).unwrap();
        // 15:57, 15:59 (1 missing), then 17:00 next day open (break: not a gap), then 17:10 (9 missing).
        let ts = [t0, t0 + 2 * m, t0 + 63 * m, t0 + 73 * m];
        let all = Windows::of(SessionFilter::All, &[]).unwrap();
        let (out, r) = apply(&table(&ts), GapPolicy::Fill, Timeframe::minutes(1), Timeframe::minutes(5), &all, &clock).unwrap();
        assert_eq!(r, GapReport { gaps: 2, missing_bars: 10, filled_bars: 1, over_max: 1 });
        assert_eq!(out.num_rows(), 5);
        let b = Bars::from_table(&out).unwrap();
        assert_eq!(b.ts[1], t0 + m);
        assert_eq!((b.open[1], b.close[1], b.volume[1]), (100.0, 100.0, 0.0));
        let err = apply(&table(&ts), GapPolicy::Error, Timeframe::minutes(1), Timeframe::minutes(5), &all, &clock).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("row 3") && err.contains("9 missing"), "{err}");
    }
}
