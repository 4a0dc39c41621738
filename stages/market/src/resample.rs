//! Resampling bars to a longer timeframe, anchored to the trading day.
//!
//! Buckets start at the trading day's open (17:00 exchange time) and are `N` minutes
//! long, so a bar never spans the daily break or the weekend; a day's last bucket may be
//! shorter (a 45-minute ladder ends 15:30-16:00). `1d` makes one bar per trading day.
//! OHLCV aggregate as first / max / min / last / sum (null when every volume is null);
//! other columns take the value of the bucket's last bar. The output bar is stamped with
//! its bucket's open time, like the input.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::Schema;
use mlfactory_engine::StageError;

use crate::bars::{Bars, META_TIMEFRAME, OHLCV};
use crate::calendar::Clock;

const NS_PER_MIN: i64 = 60_000_000_000;

/// A bar length in minutes (`1d` = one trading day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeframe {
    pub minutes: i64,
}

impl Timeframe {
    /// The trading-day timeframe.
    pub const DAY: Self = Self { minutes: 1440 };

    pub fn minutes(minutes: i64) -> Self {
        Self { minutes }
    }

    pub fn is_daily(self) -> bool {
        self.minutes >= 1440
    }

    pub fn nanos(self) -> i64 {
        self.minutes * NS_PER_MIN
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minutes {
            m if m >= 1440 => write!(f, "1d"),
            m if m % 60 == 0 => write!(f, "{}h", m / 60),
            m => write!(f, "{m}m"),
        }
    }
}

impl FromStr for Timeframe {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a timeframe (e.g. 1m, 5m, 45m, 1h, 4h, 1d)");
        let (num, unit) = s.trim().split_at(s.trim().find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let minutes = match unit {
            "m" | "min" => n,
            "h" => n * 60,
            "d" if n == 1 => 1440,
            _ => return Err(bad()),
        };
        if minutes <= 0 || (minutes < 1440 && 1440 % minutes != 0 && minutes > 1380) {
            return Err(bad());
        }
        Ok(Self { minutes })
    }
}

/// Where each output bar comes from: `(first row, last row)` of each bucket, and the
/// bucket's open time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buckets {
    pub first: Vec<usize>,
    pub last: Vec<usize>,
    pub open_ts: Vec<i64>,
}

/// Groups sorted timestamps into timeframe buckets. Errors on unsorted input.
pub fn buckets(ts: &[i64], tf: Timeframe, clock: &Clock) -> Result<Buckets, StageError> {
    let mut out = Buckets { first: Vec::new(), last: Vec::new(), open_ts: Vec::new() };
    let mut current: Option<i64> = None;
    for (i, &t) in ts.iter().enumerate() {
        if i > 0 && t <= ts[i - 1] {
            return Err(StageError::data_hint(
                format!("timestamps are not strictly increasing at row {i}"),
                "run the bars through `data.ingest` validation (policy `drop` or `repair`) first",
            ));
        }
        let day_open = clock.day_open_ns(t);
        let start = if tf.is_daily() { day_open } else { day_open + (t - day_open) / tf.nanos() * tf.nanos() };
        if current != Some(start) {
            if current.is_some() {
                out.last.push(i - 1);
            }
            out.first.push(i);
            out.open_ts.push(start);
            current = Some(start);
        }
    }
    if !ts.is_empty() {
        out.last.push(ts.len() - 1);
    }
    Ok(out)
}

/// Aggregates OHLCV over buckets.
pub fn aggregate(bars: &Bars, b: &Buckets) -> Bars {
    let n = b.first.len();
    let mut out = Bars {
        ts: b.open_ts.clone(),
        open: Vec::with_capacity(n),
        high: Vec::with_capacity(n),
        low: Vec::with_capacity(n),
        close: Vec::with_capacity(n),
        volume: Vec::with_capacity(n),
    };
    for (&f, &l) in b.first.iter().zip(&b.last) {
        out.open.push(bars.open[f]);
        out.high.push(bars.high[f..=l].iter().copied().fold(f64::NEG_INFINITY, f64::max));
        out.low.push(bars.low[f..=l].iter().copied().fold(f64::INFINITY, f64::min));
        out.close.push(bars.close[l]);
        let vols = &bars.volume[f..=l];
        out.volume.push(if vols.iter().all(|v| v.is_nan()) { f64::NAN } else { vols.iter().filter(|v| !v.is_nan()).sum() });
    }
    out
}

/// Resamples a bar table to `tf`, keeping extra columns (last value per bucket) and the
/// schema metadata (with `mlfactory.timeframe` updated).
pub fn resample(batch: &RecordBatch, tf: Timeframe, clock: &Clock) -> Result<RecordBatch, StageError> {
    let bars = Bars::from_table(batch)?;
    let b = buckets(&bars.ts, tf, clock)?;
    resample_buckets(batch, &bars, &b, tf)
}

/// Resamples a bar table over buckets computed by the caller (any anchoring), keeping
/// extra columns (last value per bucket) and the schema metadata (with
/// `mlfactory.timeframe` set to `tf`). `bars` are the OHLCV columns of `batch`.
pub fn resample_buckets(batch: &RecordBatch, bars: &Bars, b: &Buckets, tf: Timeframe) -> Result<RecordBatch, StageError> {
    let agg = aggregate(bars, b);
    let mut builder = agg.to_builder();
    let last = UInt32Array::from(b.last.iter().map(|&i| i as u32).collect::<Vec<_>>());
    for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if OHLCV.contains(&field.name().as_str()) {
            continue;
        }
        let taken = take(column.as_ref(), &last, None).map_err(|e| StageError::internal(format!("resampling column `{}`: {e}", field.name())))?;
        builder = builder.array(field.as_ref().clone(), taken);
    }
    let mut metadata = batch.schema_ref().metadata().clone();
    metadata.insert(META_TIMEFRAME.to_owned(), tf.to_string());
    let table = builder.build()?;
    let schema = Arc::new(Schema::new_with_metadata(table.schema_ref().fields().clone(), metadata));
    table.with_schema(schema).map_err(|e| StageError::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    #[test]
    fn parse_and_display() {
        for (s, m, back) in [("5m", 5, "5m"), ("45m", 45, "45m"), ("1h", 60, "1h"), ("4h", 240, "4h"), ("1d", 1440, "1d"), ("90min", 90, "90m")] {
            let tf: Timeframe = s.parse().unwrap();
            assert_eq!(tf.minutes, m);
            assert_eq!(tf.to_string(), back);
        }
        assert!("5x".parse::<Timeframe>().is_err());
        assert!("0m".parse::<Timeframe>().is_err());
    }

    #[test]
    fn buckets_are_anchored_to_the_day_open_and_never_span_the_break() {
        let cal = Calendar::cme();
        let clock = cal.clock();
        // Monday 15:50 .. 17:10 local, one bar a minute, skipping the 16:00-17:00 break.
        let start = cal.utc_ns(2024, 3, 11, 15, 50).unwrap();
        let ts: Vec<i64> = (0..80).map(|m| start + m * NS_PER_MIN).filter(|&t| clock.is_open(t)).collect();
        let b = buckets(&ts, Timeframe::minutes(15), &clock).unwrap();
        // 15:45 bucket (15:50-15:59), then 17:00 (17:00-17:09).
        assert_eq!(b.open_ts, vec![cal.utc_ns(2024, 3, 11, 15, 45).unwrap(), cal.utc_ns(2024, 3, 11, 17, 0).unwrap()]);
        assert_eq!(b.first, vec![0, 10]);
        assert_eq!(b.last, vec![9, 19]);
        let daily = buckets(&ts, Timeframe::DAY, &clock).unwrap();
        assert_eq!(daily.first.len(), 2);
    }

    #[test]
    fn aggregation_is_ohlcv() {
        let bars = Bars {
            ts: vec![0, 1, 2],
            open: vec![1.0, 2.0, 3.0],
            high: vec![2.0, 5.0, 4.0],
            low: vec![0.5, 1.5, 0.25],
            close: vec![1.5, 3.0, 3.5],
            volume: vec![1.0, f64::NAN, 2.0],
        };
        let b = Buckets { first: vec![0], last: vec![2], open_ts: vec![0] };
        let a = aggregate(&bars, &b);
        assert_eq!((a.open[0], a.high[0], a.low[0], a.close[0], a.volume[0]), (1.0, 5.0, 0.25, 3.5, 3.0));
    }
}
