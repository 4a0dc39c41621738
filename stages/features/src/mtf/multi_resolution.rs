//! `mtf_strategy: multi_resolution`: aligned windows of every timeframe's OHLCV, for
//! sequence models.
//!
//! Layout: one row per base bar; for each timeframe of the ladder (in ladder order), the
//! last `window` **completed** bars of that timeframe visible at the base bar's close,
//! oldest first, each as `open, high, low, close, volume`. Column
//! `{field}_{tf}_l{lag}` holds the bar `lag` steps back (`l0` the most recent), so a row
//! read in column order reshapes to a tensor `[timeframes, window, 5]` whose time axis
//! runs forward. A window that reaches before the first bar is NaN (null) there.
//!
//! With `normalize: log_ratio` (the default) prices are `ln(price / close of the base
//! bar)` and volume is `ln(1 + volume)`: the window is scale-free and the current price
//! is the origin, which is what recurrent and convolutional models train on well.
//! `raw` keeps prices and volumes as they are.

use mlfactory_market::Bars;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::align::gather_lagged;

/// The fields of each bar in a window, in order.
pub(crate) const FIELDS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// How `multi_resolution` windows are scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Prices as `ln(price / base close)`, volume as `ln(1 + volume)`.
    #[default]
    LogRatio,
    /// Prices and volumes unchanged.
    Raw,
}

/// Column name of one cell of a window.
pub(crate) fn column_name(field: &str, tf: &str, lag: usize) -> String {
    format!("{field}_{tf}_l{lag}")
}

/// The window columns of one timeframe, oldest lag first then field, aligned by `map`.
pub(crate) fn window_columns(bars: &Bars, map: &[Option<usize>], tf: &str, window: usize, normalize: Normalize, base_close: &[f64]) -> Vec<(String, Vec<f64>)> {
    let sources: [&[f64]; 5] = [&bars.open, &bars.high, &bars.low, &bars.close, &bars.volume];
    let mut out = Vec::with_capacity(window * FIELDS.len());
    for lag in (0..window).rev() {
        for (field, source) in FIELDS.iter().zip(sources) {
            let mut values = gather_lagged(source, map, lag);
            if normalize == Normalize::LogRatio {
                if *field == "volume" {
                    values.iter_mut().for_each(|v| *v = v.ln_1p());
                } else {
                    values.iter_mut().zip(base_close).for_each(|(v, c)| *v = (*v / c).ln());
                }
            }
            out.push((column_name(field, tf, lag), values));
        }
    }
    out
}

/// The layout recorded in the table's metadata (`mlfactory.mtf.layout`), so a data loader
/// can reshape rows without parsing column names.
pub(crate) fn layout(timeframes: &[String], window: usize, normalize: Normalize) -> serde_json::Value {
    serde_json::json!({
        "strategy": "multi_resolution",
        "shape": ["rows", timeframes.len(), window, FIELDS.len()],
        "timeframes": timeframes,
        "window": window,
        "fields": FIELDS,
        "order": "timeframe, then step (oldest first: lag window-1 .. 0), then field",
        "normalize": normalize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_run_forward_in_time_and_normalise_to_the_current_close() {
        let higher = Bars {
            ts: vec![0, 1, 2],
            open: vec![1.0, 2.0, 4.0],
            high: vec![2.0, 4.0, 8.0],
            low: vec![0.5, 1.0, 2.0],
            close: vec![2.0, 4.0, 8.0],
            volume: vec![0.0, 1.0, 3.0],
        };
        let map = vec![None, Some(0), Some(1), Some(2)];
        let base_close = [1.0, 2.0, 4.0, 8.0];
        let cols = window_columns(&higher, &map, "5m", 2, Normalize::Raw, &base_close);
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(&names[..6], &["open_5m_l1", "high_5m_l1", "low_5m_l1", "close_5m_l1", "volume_5m_l1", "open_5m_l0"]);
        let close_l1 = &cols[3].1;
        let close_l0 = &cols[8].1;
        assert!(close_l1[0].is_nan() && close_l1[1].is_nan());
        assert_eq!(&close_l1[2..], &[2.0, 4.0]);
        assert!(close_l0[0].is_nan());
        assert_eq!(&close_l0[1..], &[2.0, 4.0, 8.0]);

        let cols = window_columns(&higher, &map, "5m", 1, Normalize::LogRatio, &base_close);
        assert_eq!(cols[3].1[3], 0.0, "close of the visible bar over the base close: ln(8/8)");
        assert!((cols[0].1[1] - (1.0f64 / 2.0).ln()).abs() < 1e-15);
        assert!((cols[4].1[3] - 3.0f64.ln_1p()).abs() < 1e-15);
        let l = layout(&["1m".into(), "5m".into()], 1, Normalize::LogRatio);
        assert_eq!(l["shape"], serde_json::json!(["rows", 2, 1, 5]));
        assert_eq!(l["normalize"], "log_ratio");
    }
}
