//! The tape: bars prepared for the simulator, with everything it needs per bar computed
//! causally up front (ATR, trading day, whether the bar ends the day, session, regime).

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::bars::{self, timeframe_of};
use mlfactory_market::calendar::DAY_CLOSE_MINUTE;
use mlfactory_market::columns::str_column;
use mlfactory_market::{Bars, Calendar, Session};

use crate::atr::wilder_atr;

const NS_PER_MIN: i64 = 60_000_000_000;
/// The volatility-regime names, from calm to wild.
pub const VOL_REGIMES: [&str; 3] = ["low_vol", "normal_vol", "high_vol"];
/// The regime of a bar whose volatility regime is not yet known (ATR warm-up).
pub const WARMUP_REGIME: &str = "warmup";

/// Where the regime of each bar came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegimeSource {
    /// A column of the bars (e.g. the simulator's `day_regime`).
    Column(String),
    /// ATR against its trailing mean.
    Volatility,
}

/// Bars with per-bar context for the simulator.
#[derive(Clone, Debug)]
pub struct Tape {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    /// Wilder ATR at each bar's close (NaN during warm-up).
    pub atr: Vec<f64>,
    /// Trading day of each bar (days since 1970-01-01; the day opens at 17:00 Chicago).
    pub day: Vec<i64>,
    /// Whether the bar closes at or after its trading day's close (16:00 Chicago).
    pub day_end: Vec<bool>,
    /// Regime id of each bar, an index into `regime_names`.
    pub regime: Vec<u32>,
    pub regime_names: Vec<String>,
    pub regime_source: RegimeSource,
}

impl Tape {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Prepares a bar table: checks it, computes ATR(`atr_period`), trading days, day
    /// ends (from the bar length: the `mlfactory.timeframe` metadata, else the smallest
    /// step between bars), and regimes (`regime_column` when the bars have it, else
    /// volatility buckets over `vol_window` bars).
    pub fn from_table(table: &RecordBatch, atr_period: usize, regime_column: &str, vol_window: usize) -> Result<Self, StageError> {
        let b = Bars::from_table(table)?;
        check_bars(&b)?;
        let atr = wilder_atr(&b.high, &b.low, &b.close, atr_period);
        let bar_ns = bar_length_ns(timeframe_of(table), &b.ts);
        let clock = Calendar::cme().clock();
        let day: Vec<i64> = b.ts.iter().map(|&t| clock.trading_day(t)).collect();
        let day_end =
            b.ts.iter()
                .map(|&t| {
                    // The trading day closes 23 hours after it opens (17:00 -> 16:00; DST never
                    // changes inside a trading day).
                    let close_ns = clock.day_open_ns(t) + (DAY_CLOSE_MINUTE + 24 * 60 - mlfactory_market::calendar::DAY_OPEN_MINUTE) * NS_PER_MIN;
                    bar_ns.is_some_and(|len| t + len >= close_ns)
                })
                .collect();
        let (regime, regime_names, regime_source) = if table.column_by_name(regime_column).is_some() && !regime_column.is_empty() {
            let (ids, names) = intern(str_column(table, regime_column)?);
            (ids, names, RegimeSource::Column(regime_column.to_owned()))
        } else {
            let ids = vol_regimes(&atr, vol_window);
            (ids, VOL_REGIMES.iter().chain([&WARMUP_REGIME]).map(|s| (*s).to_owned()).collect(), RegimeSource::Volatility)
        };
        Ok(Self { ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, atr, day, day_end, regime, regime_names, regime_source })
    }

    /// The index of the bar opening at `ts`, if any.
    pub fn bar_at(&self, ts: i64) -> Option<usize> {
        self.ts.binary_search(&ts).ok()
    }

    /// The session a bar opens in.
    pub fn session(&self, bar: usize) -> Session {
        Calendar::cme().clock().session(self.ts[bar])
    }
}

fn check_bars(b: &Bars) -> Result<(), StageError> {
    if let Some(i) = b.ts.windows(2).position(|w| w[1] <= w[0]) {
        return Err(StageError::data_hint(
            format!("bars: column `{}` is not strictly increasing at row {} ({} then {})", bars::TS, i + 1, b.ts[i], b.ts[i + 1]),
            "pass bars from `data.clean` (sorted, de-duplicated)",
        ));
    }
    for i in 0..b.len() {
        let (o, h, l, c) = (b.open[i], b.high[i], b.low[i], b.close[i]);
        if !(o.is_finite() && h.is_finite() && l.is_finite() && c.is_finite()) || l > o.min(c) || h < o.max(c) {
            return Err(StageError::data_hint(
                format!("bars: row {i} (ts {}) has open {o}, high {h}, low {l}, close {c}: not finite or outside its high/low", b.ts[i]),
                "clean the bars first (`data.clean`)",
            ));
        }
    }
    Ok(())
}

/// Bar length from a timeframe like `5m`, `1h`, `30s`, `1d`; else the smallest positive
/// step between bars (`None` with fewer than two bars).
fn bar_length_ns(timeframe: Option<&str>, ts: &[i64]) -> Option<i64> {
    let parsed = timeframe.and_then(|tf| {
        let split = tf.find(|c: char| !c.is_ascii_digit())?;
        let n: i64 = tf[..split].parse().ok()?;
        let unit = match &tf[split..] {
            "s" => 1_000_000_000,
            "m" | "min" => NS_PER_MIN,
            "h" => 60 * NS_PER_MIN,
            "d" => 24 * 60 * NS_PER_MIN,
            _ => return None,
        };
        Some(n * unit)
    });
    parsed.or_else(|| ts.windows(2).map(|w| w[1] - w[0]).min())
}

/// Ids (in order of first appearance) and names of a string column; nulls are `unknown`.
fn intern(values: Vec<Option<String>>) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut ids = Vec::with_capacity(values.len());
    for v in values {
        let name = v.unwrap_or_else(|| "unknown".to_owned());
        let id = names.iter().position(|n| *n == name).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        });
        ids.push(id as u32);
    }
    (ids, names)
}

/// Volatility regime per bar: ATR over its trailing mean of `window` bars (this bar
/// included): `< 0.8` low, `> 1.25` high, else normal; warm-up (index 3) while ATR is NaN.
fn vol_regimes(atr: &[f64], window: usize) -> Vec<u32> {
    let mut out = vec![3; atr.len()];
    let (mut sum, mut count) = (0.0, 0usize);
    for i in 0..atr.len() {
        if !atr[i].is_nan() {
            sum += atr[i];
            count += 1;
        }
        if i >= window && !atr[i - window].is_nan() {
            sum -= atr[i - window];
            count -= 1;
        }
        if atr[i].is_nan() || count == 0 {
            continue;
        }
        let ratio = atr[i] / (sum / count as f64);
        out[i] = if ratio < 0.8 {
            0
        } else if ratio > 1.25 {
            2
        } else {
            1
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    fn builder(ts: Vec<i64>, tf: Option<&str>) -> TableBuilder {
        let n = ts.len();
        let b = TableBuilder::new()
            .ts("ts", ts)
            .f64("open", vec![100.0; n])
            .f64("high", vec![101.0; n])
            .f64("low", vec![99.0; n])
            .f64("close", vec![100.0; n])
            .meta(bars::META_SYMBOL, "MES");
        match tf {
            Some(tf) => b.meta(bars::META_TIMEFRAME, tf),
            None => b,
        }
    }

    fn table(ts: Vec<i64>, tf: Option<&str>) -> RecordBatch {
        builder(ts, tf).build().unwrap()
    }

    #[test]
    fn day_end_is_the_bar_closing_at_four_pm_chicago() {
        let cal = Calendar::cme();
        // Tuesday 2024-03-12 (CDT): 15:50, 15:55 (ends 16:00), then 17:00 (next trading day)
        let ts = vec![cal.utc_ns(2024, 3, 12, 15, 50).unwrap(), cal.utc_ns(2024, 3, 12, 15, 55).unwrap(), cal.utc_ns(2024, 3, 12, 17, 0).unwrap()];
        let tape = Tape::from_table(&table(ts.clone(), Some("5m")), 14, "day_regime", 10).unwrap();
        assert_eq!(tape.day_end, vec![false, true, false]);
        assert_eq!(tape.day[0], tape.day[1]);
        assert_eq!(tape.day[2], tape.day[1] + 1);
        assert_eq!(tape.regime_source, RegimeSource::Volatility);
        // without metadata the smallest step (5 minutes) is the bar length
        let tape = Tape::from_table(&table(ts, None), 14, "day_regime", 10).unwrap();
        assert_eq!(tape.day_end, vec![false, true, false]);
    }

    #[test]
    fn regimes_come_from_the_column_when_present() {
        let t = builder(vec![1, 2, 3], Some("1m")).str("day_regime", &["trend", "range", "trend"]).build().unwrap();
        let tape = Tape::from_table(&t, 1, "day_regime", 10).unwrap();
        assert_eq!(tape.regime, vec![0, 1, 0]);
        assert_eq!(tape.regime_names, vec!["trend", "range"]);
    }

    #[test]
    fn bad_bars_are_named() {
        let err = Tape::from_table(&table(vec![2, 1], None), 14, "", 10).unwrap_err().to_string();
        assert!(err.contains("not strictly increasing at row 1"), "{err}");
    }

    #[test]
    fn volatility_regimes_are_causal_ratios() {
        let atr = [f64::NAN, 1.0, 1.0, 2.0, 0.5];
        // window 2: means 1, 1, 1.5, 1.25 -> ratios 1, 1, 1.33, 0.4
        assert_eq!(vol_regimes(&atr, 2), vec![3, 1, 1, 2, 0]);
    }
}
