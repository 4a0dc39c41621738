//! Bar geometry in integer ticks.
//!
//! `delta_ticks` = close - previous close (null on the first bar), `body_ticks` =
//! close - open (signed), `range_ticks` = high - low, `upper_wick_ticks` =
//! high - max(open, close), `lower_wick_ticks` = min(open, close) - low. Prices are
//! rounded to the nearest tick first, so off-grid prices (ratio-adjusted series) still
//! give whole ticks.

use std::sync::Arc;

use arrow::array::Int64Array;
use arrow::datatypes::{DataType, Field};
use mlfactory_market::Bars;
use mlfactory_market::columns::TableBuilder;

pub const DELTA: &str = "delta_ticks";
pub const RANGE: &str = "range_ticks";
pub const BODY: &str = "body_ticks";
pub const UPPER_WICK: &str = "upper_wick_ticks";
pub const LOWER_WICK: &str = "lower_wick_ticks";

/// Adds the tick columns of `bars` to a table builder.
pub fn add_tick_columns(builder: TableBuilder, bars: &Bars, tick_size: f64) -> TableBuilder {
    let t = |p: f64| (p / tick_size).round() as i64;
    let n = bars.len();
    let (mut delta, mut range, mut body, mut upper, mut lower) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut prev: Option<i64> = None;
    for i in 0..n {
        let (o, h, l, c) = (t(bars.open[i]), t(bars.high[i]), t(bars.low[i]), t(bars.close[i]));
        delta.push(prev.map(|p| c - p));
        prev = Some(c);
        range.push(h - l);
        body.push(c - o);
        upper.push(h - o.max(c));
        lower.push(o.min(c) - l);
    }
    builder
        .array(Field::new(DELTA, DataType::Int64, true), Arc::new(Int64Array::from(delta)))
        .i64(RANGE, range)
        .i64(BODY, body)
        .i64(UPPER_WICK, upper)
        .i64(LOWER_WICK, lower)
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::f64_column;

    use super::*;

    #[test]
    fn geometry_in_ticks() {
        let bars = Bars {
            ts: vec![1, 2],
            open: vec![100.0, 101.0],
            high: vec![101.5, 101.25],
            low: vec![99.75, 100.0],
            close: vec![101.0, 100.5],
            volume: vec![1.0; 2],
        };
        let t = add_tick_columns(TableBuilder::new().ts("ts", bars.ts.clone()), &bars, 0.25).build().unwrap();
        let col = |n: &str| f64_column(&t, n).unwrap();
        assert!(col(DELTA)[0].is_nan());
        assert_eq!(col(DELTA)[1], -2.0);
        assert_eq!(col(RANGE), vec![7.0, 5.0]);
        assert_eq!(col(BODY), vec![4.0, -2.0]);
        assert_eq!(col(UPPER_WICK), vec![2.0, 1.0]);
        assert_eq!(col(LOWER_WICK), vec![1.0, 2.0]);
    }
}
