//! The indicator library behind `features.indicators`: one indicator a file, grouped by
//! family the way nautilus_trader lays out its indicators, all behind [`Indicator`].
//!
//! ```
//! use mlfactory_features::indicators::{compute, Selection};
//! use mlfactory_market::{Bars, Calendar};
//!
//! let n = 300;
//! let close: Vec<f64> = (0..n).map(|i| 100.0 + (i as f64 * 0.1).sin()).collect();
//! let bars = Bars {
//!     ts: (0..n as i64).map(|i| 1_700_000_000_000_000_000 + i * 60_000_000_000).collect(),
//!     open: close.clone(),
//!     high: close.iter().map(|c| c + 0.5).collect(),
//!     low: close.iter().map(|c| c - 0.5).collect(),
//!     close,
//!     volume: vec![10.0; n],
//! };
//! let selection: Selection = serde_json::from_value(serde_json::json!({"rsi": [14], "macd": [[12, 26, 9]]})).unwrap();
//! let columns = compute(&bars, &selection, &Calendar::cme()).unwrap();
//! assert_eq!(columns[0].0, "rsi_14");
//! assert!(columns[0].1[13].is_nan() && !columns[0].1[14].is_nan()); // warm-up is NaN
//! ```
//!
//! Conventions: every output is row-aligned with the bars, NaN (null in tables) during
//! warm-up, and causal (the value at bar t reads bars <= t only). Indicators TA-Lib has
//! follow TA-Lib's conventions exactly (SMA-seeded EMAs, Wilder smoothing, its tie and
//! divide-by-zero rules) and are tested against its goldens.

pub mod average;
pub(crate) mod kernels;
pub mod microstructure;
pub mod momentum;
pub mod regime;
pub mod returns;
pub mod selection;
pub mod time;
pub mod trend;
pub mod volatility;
pub mod volume;
pub mod wavelet;

use std::fmt;
use std::sync::OnceLock;

use mlfactory_engine::StageError;
use mlfactory_market::{Bars, Calendar};
use rayon::prelude::*;

pub use selection::{FeatureSet, Selection};

/// One indicator with its parameters: a named group of output columns.
///
/// Implementors compute over the whole series at once and return one vector per output
/// column, each as long as the bars, NaN during warm-up. They must be causal: the value
/// at bar t may read bars 0..=t only.
pub trait Indicator: Send + Sync + fmt::Debug {
    /// The output column names, in output order (`macd_12_26_9_macd`, ...).
    fn columns(&self) -> Vec<String>;

    /// Bars of warm-up: the index of the first value on clean data (TA-Lib's lookback).
    fn lookback(&self) -> usize;

    /// Computes every output column.
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>>;

    /// Whether the indicator reads volume (it is skipped when the bars have none).
    fn uses_volume(&self) -> bool {
        false
    }
}

/// Per-bar exchange-local time: what the time, session and time-of-day features read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalSeries {
    /// Trading day (days since 1970-01-01; 17:00 local opens the next day).
    pub trading_day: Vec<i64>,
    /// Minutes since the trading day opened (0..1380).
    pub minutes_into_day: Vec<i64>,
    /// Local minute of the calendar day (0..1440).
    pub minute_of_day: Vec<i64>,
    /// Weekday of the trading day, 0 = Monday.
    pub weekday: Vec<u8>,
    /// [`mlfactory_market::Session::id`] of the bar's open time.
    pub session: Vec<u8>,
}

/// What an indicator reads: the bars and, computed once on first use and shared by every
/// indicator, their local times and the logs of the close.
#[derive(Debug)]
pub struct Input<'a> {
    bars: &'a Bars,
    calendar: Calendar,
    local: OnceLock<LocalSeries>,
    ln_close: OnceLock<Vec<f64>>,
    log_returns: OnceLock<Vec<f64>>,
}

impl<'a> Input<'a> {
    pub fn new(bars: &'a Bars, calendar: Calendar) -> Self {
        Self { bars, calendar, local: OnceLock::new(), ln_close: OnceLock::new(), log_returns: OnceLock::new() }
    }

    /// `ln(close)` (NaN where the close is not positive).
    pub fn ln_close(&self) -> &[f64] {
        self.ln_close.get_or_init(|| kernels::ln(&self.bars.close))
    }

    /// One-bar log returns of the close, `ln C - ln C[-1]` (NaN at row 0).
    pub fn log_returns(&self) -> &[f64] {
        self.log_returns.get_or_init(|| kernels::lag_diff(self.ln_close(), 1))
    }

    pub fn bars(&self) -> &'a Bars {
        self.bars
    }

    pub fn len(&self) -> usize {
        self.bars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    pub fn open(&self) -> &'a [f64] {
        &self.bars.open
    }

    pub fn high(&self) -> &'a [f64] {
        &self.bars.high
    }

    pub fn low(&self) -> &'a [f64] {
        &self.bars.low
    }

    pub fn close(&self) -> &'a [f64] {
        &self.bars.close
    }

    pub fn volume(&self) -> &'a [f64] {
        &self.bars.volume
    }

    /// Exchange-local times of every bar's timestamp.
    pub fn local(&self) -> &LocalSeries {
        self.local.get_or_init(|| {
            let clock = self.calendar.clock();
            let n = self.bars.len();
            let mut s = LocalSeries {
                trading_day: Vec::with_capacity(n),
                minutes_into_day: Vec::with_capacity(n),
                minute_of_day: Vec::with_capacity(n),
                weekday: Vec::with_capacity(n),
                session: Vec::with_capacity(n),
            };
            for &ts in &self.bars.ts {
                let day = clock.trading_day(ts);
                s.trading_day.push(day);
                s.minutes_into_day.push(clock.minutes_into_day(ts));
                s.minute_of_day.push(clock.local(ts).minute_of_day);
                s.weekday.push((day + 3).rem_euclid(7) as u8);
                s.session.push(clock.session(ts).id());
            }
            s
        })
    }
}

/// Checks that the bars can be used: finite prices, increasing timestamps, volume either
/// complete or absent. Returns whether volume is present.
pub fn validate(bars: &Bars) -> Result<bool, StageError> {
    for (name, col) in [("open", &bars.open), ("high", &bars.high), ("low", &bars.low), ("close", &bars.close)] {
        if let Some(row) = col.iter().position(|v| !v.is_finite()) {
            return Err(StageError::data_hint(
                format!("column `{name}` has the value `{}` at row {row} (ts {}): indicators need finite prices", col[row], bars.ts[row]),
                "clean the bars first (`data.clean`), or drop the row",
            ));
        }
    }
    if let Some(row) = (1..bars.len()).find(|&i| bars.ts[i] <= bars.ts[i - 1]) {
        return Err(StageError::data_hint(
            format!("timestamps are not strictly increasing at row {row} (`{}` after `{}`)", bars.ts[row], bars.ts[row - 1]),
            "sort the bars and drop duplicate timestamps (`data.ingest` validation does this)",
        ));
    }
    let missing = bars.volume.iter().filter(|v| v.is_nan()).count();
    if missing > 0 && missing < bars.len() {
        let row = bars.volume.iter().position(|v| v.is_nan()).unwrap_or(0);
        return Err(StageError::data_hint(
            format!("column `volume` is null at row {row} (ts {}) but present elsewhere ({missing} of {} rows null)", bars.ts[row], bars.len()),
            "fill or drop the rows without volume (`data.clean`), or drop the column to skip volume indicators",
        ));
    }
    if let Some(row) = bars.volume.iter().position(|&v| v < 0.0 || v.is_infinite()) {
        return Err(StageError::data_hint(
            format!("column `volume` has the value `{}` at row {row} (ts {})", bars.volume[row], bars.ts[row]),
            "volume must be a finite count >= 0",
        ));
    }
    Ok(!bars.is_empty() && missing == 0)
}

/// Computes a list of indicators in parallel (one rayon task per indicator; each column
/// is computed sequentially, so the result is identical for any thread count), in order.
pub fn compute_indicators(input: &Input<'_>, indicators: &[Box<dyn Indicator>]) -> Vec<(String, Vec<f64>)> {
    let outputs: Vec<Vec<Vec<f64>>> = indicators.par_iter().with_max_len(1).map(|ind| ind.compute(input)).collect();
    indicators.iter().zip(outputs).flat_map(|(ind, cols)| ind.columns().into_iter().zip(cols)).collect()
}

/// Computes the selected features over `bars`: `(column name, values)` in selection order,
/// each row-aligned with the bars and NaN during warm-up. Volume indicators are left out
/// when the bars have no volume. Session and time features use `calendar`.
pub fn compute(bars: &Bars, selection: &Selection, calendar: &Calendar) -> Result<Vec<(String, Vec<f64>)>, StageError> {
    let has_volume = validate(bars)?;
    let indicators =
        selection.indicators().map_err(|issue| StageError::data_hint(format!("invalid selection: {}", issue.message), issue.hint.unwrap_or_default()))?;
    let indicators: Vec<Box<dyn Indicator>> = indicators.into_iter().filter(|i| has_volume || !i.uses_volume()).collect();
    Ok(compute_indicators(&Input::new(bars, *calendar), &indicators))
}
