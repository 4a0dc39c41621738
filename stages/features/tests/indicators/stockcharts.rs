//! The StockCharts ChartSchool worked examples in `shared/reference/stockcharts` (as used
//! by the `ta` package's tests): a second source, independent of TA-Lib.
//!
//! Sheets are rounded (4-6 decimals), so the tolerances are the sheets' rounding. Sheets
//! that seed differently from TA-Lib and are too short to converge (RSI, ATR, PPO,
//! StochRSI, Keltner) are left out; ADX and SAR are compared on their tails, where the
//! seeds have washed out, as in the reference README's cross-check table.

use std::collections::BTreeMap;

use mlfactory_features::compute;
use mlfactory_market::{Bars, Calendar};

use crate::common::reference;

/// A sheet's numeric columns by header (empty cells as NaN).
fn read_sheet(name: &str) -> Option<BTreeMap<String, Vec<f64>>> {
    let dir = reference("stockcharts_sheets_match")?;
    let text = std::fs::read_to_string(dir.join("stockcharts").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(|h| h.trim().to_owned()).collect();
    let mut cols: BTreeMap<String, Vec<f64>> = header.iter().filter(|h| !h.is_empty()).map(|h| (h.clone(), Vec::new())).collect();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        for (h, cell) in header.iter().zip(line.split(',')) {
            if let Some(col) = cols.get_mut(h) {
                col.push(cell.trim().parse().unwrap_or(f64::NAN));
            }
        }
    }
    Some(cols)
}

/// Daily bars from a sheet; missing prices = close, missing volume = NaN (0 where partial).
fn bars(sheet: &BTreeMap<String, Vec<f64>>) -> Bars {
    let get = |names: &[&str]| names.iter().find_map(|n| sheet.get(*n)).cloned();
    let mut close = get(&["Close", "close"]).unwrap();
    let n = close.len();
    // Some sheets leave the close empty on rows they do not use (cs-percentr's first
    // rows): the midpoint of the range stands in, which no compared row reads.
    if let (Some(h), Some(l)) = (get(&["High", "high"]), get(&["Low", "low"])) {
        close.iter_mut().enumerate().filter(|(_, c)| c.is_nan()).for_each(|(i, c)| *c = (h[i] + l[i]) / 2.0);
    }
    // Cells a sheet leaves empty fall back to the close.
    let or_close = |v: Option<Vec<f64>>| v.map_or_else(|| close.clone(), |v| v.iter().zip(&close).map(|(x, c)| if x.is_nan() { *c } else { *x }).collect());
    let high = or_close(get(&["High", "high"]));
    let low = or_close(get(&["Low", "low"]));
    let open = or_close(get(&["Open"]));
    let mut volume = get(&["Volume"]).unwrap_or_else(|| vec![f64::NAN; n]);
    if volume.iter().any(|v| !v.is_nan()) {
        volume.iter_mut().filter(|v| v.is_nan()).for_each(|v| *v = 0.0);
    }
    Bars { ts: (0..n as i64).map(|i| 1_262_304_000_000_000_000 + i * 86_400_000_000_000).collect(), open, high, low, close, volume }
}

/// Compares our column with the sheet's over the sheet's rows with a value (the last
/// `tail` of them when given).
fn check(file: &str, params: serde_json::Value, pairs: &[(&str, &str)], atol: f64, tail: Option<usize>) {
    let Some(sheet) = read_sheet(file) else { return };
    let selection = serde_json::from_value(params).unwrap();
    let ours: BTreeMap<String, Vec<f64>> = compute(&bars(&sheet), &selection, &Calendar::cme()).unwrap_or_else(|e| panic!("{file}: {e}")).into_iter().collect();
    for &(sheet_col, our_col) in pairs {
        let want = &sheet[sheet_col];
        let got = &ours[our_col];
        let rows: Vec<usize> = (0..want.len()).filter(|&i| !want[i].is_nan()).collect();
        let rows = &rows[rows.len().saturating_sub(tail.unwrap_or(usize::MAX))..];
        assert!(!rows.is_empty(), "{file}: no values in `{sheet_col}`");
        for &i in rows {
            assert!((got[i] - want[i]).abs() <= atol, "{file} row {i}: `{our_col}` = {} but the sheet's `{sheet_col}` = {} (atol {atol})", got[i], want[i]);
        }
    }
}

#[test]
fn stockcharts_sheets_match() {
    use serde_json::json;
    check("cs-cci.csv", json!({"cci": [20]}), &[("CCI", "cci_20")], 1e-4, None);
    check("cs-percentr.csv", json!({"willr": [14]}), &[("Williams_%R", "willr_14")], 1e-5, None);
    check(
        "cs-bbands.csv",
        json!({"bbands": [[20, 2]]}),
        &[
            ("MiddleBand", "bbands_20_2_middle"),
            ("HighBand", "bbands_20_2_upper"),
            ("LowBand", "bbands_20_2_lower"),
            ("WidthBand", "bbands_20_2_width"),
            ("PercentageBand", "bbands_20_2_pctb"),
        ],
        1e-5,
        None,
    );
    check("cs-mfi.csv", json!({"mfi": [14]}), &[("MFI", "mfi_14")], 1e-4, None);
    check("cs-obv.csv", json!({"obv": true}), &[("OBV", "obv")], 0.0, None);
    check("cs-accum.csv", json!({"ad": true}), &[("ADLine", "ad")], 1e-3, None);
    check("cs-ultosc.csv", json!({"ultosc": [[7, 14, 28]]}), &[("Ult_Osc", "ultosc_7_14_28")], 1e-4, None);
    check("cs-roc.csv", json!({"roc": [12]}), &[("ROC", "roc_12")], 1e-6, None);
    check("cs-kama.csv", json!({"kama": [10]}), &[("KAMA", "kama_10")], 1e-5, Some(39)); // the sheet seeds one bar earlier
    check("cs-wma.csv", json!({"wma": [9]}), &[("WMA", "wma_9")], 1e-4, Some(32)); // the sheet starts mid-series
    check("cs-soo.csv", json!({"stochf": [[14, 3]]}), &[("SO", "stochf_14_3_fastk"), ("SO_SIG", "stochf_14_3_fastd")], 1e-5, Some(2));
    check(
        "cs-dc.csv",
        json!({"donchian": [20]}),
        &[("upper_band", "donchian_20_upper"), ("lower_band", "donchian_20_lower"), ("middle_band", "donchian_20_middle")],
        0.005 + 1e-9, // the sheet rounds to cents: a middle of 49.395 is written 49.40
        None,
    );
    check(
        "cs-adx.csv",
        json!({"adx": [14], "plus_di": [14], "minus_di": [14], "dx": [14]}),
        &[("ADX", "adx_14"), ("+DI14", "plus_di_14"), ("-DI14", "minus_di_14"), ("DX", "dx_14")],
        1e-6,
        Some(50),
    );
    check("cs-macd.csv", json!({"macd": [[12, 26, 9]]}), &[("MACD_line", "macd_12_26_9_macd"), ("MACD_signal", "macd_12_26_9_signal")], 2e-4, Some(1));
}
