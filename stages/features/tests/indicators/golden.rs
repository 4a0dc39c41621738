//! Every column of the TA-Lib goldens in `shared/reference/indicators` (TA-Lib C 0.8.1
//! through the Python wrapper 0.8.2, default compatibility mode, unstable period 0;
//! produced by `indicators/generate_talib_goldens.py`), compared as its CATALOG.md says:
//! compute over the whole input file, pick the golden's `row`s, require the same NaN
//! pattern and `|got - want| <= atol + 1e-9 |want|` with the per-group `atol`.
//!
//! The test walks `catalog.json`, so a new golden column is checked without a new test.

use std::collections::BTreeMap;
use std::path::Path;

use mlfactory_features::compute;
use mlfactory_market::Calendar;
use mlfactory_market::columns::f64_column;

use crate::common::{all, bars_from, read_parquet, reference};

/// (golden file, input data file (None: inputs are in the golden), volume column).
const FILES: &[(&str, Option<&str>, &str)] = &[
    ("es1_1m_20241203_20250630_talib.parquet", Some("data/es1_1m_20241203_20250630.parquet"), "volume"),
    ("es1_5m_20241203_20250630_talib.parquet", Some("data/es1_5m_20241203_20250630.parquet"), "volume"),
    ("6eh4_1m_202401_talib.parquet", Some("data/6eh4_1m_202401.parquet"), "volume"),
    ("es_dollar_bars_201501_talib.parquet", Some("data/es_dollar_bars_201501.parquet"), "cum_vol"),
    ("synthetic_edge_cases_talib.parquet", None, "volume"),
];

/// How a column is compared.
#[derive(Debug, Clone, Copy)]
enum Tol {
    Exact,
    Abs(f64),
}

/// The tolerance group of a TA-Lib function (CATALOG.md, "How tests should compare").
fn tolerance(function: &str, price_level: f64, ad_scale: f64) -> Tol {
    match function {
        "OBV" => Tol::Exact,
        "AD" => Tol::Abs(1e-12 * ad_scale),
        "ADOSC" => Tol::Abs(1e-9 * ad_scale),
        "STOCHRSI" => Tol::Abs(1e-6),
        "MACD" | "MOM" | "APO" | "PPO" | "ROC" | "ROCP" | "ROCR" | "TRIX" | "LINEARREG_SLOPE" | "LINEARREG_ANGLE" => Tol::Abs(1e-9 * price_level),
        // Our variance is compensated (deviations from an anchor), so the tight bound holds.
        _ => Tol::Abs(1e-8),
    }
}

#[test]
fn every_talib_golden_column_matches() {
    let Some(dir) = reference("every_talib_golden_column_matches") else { return };
    let catalog: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("indicators/catalog.json")).unwrap()).unwrap();
    let function_of: BTreeMap<String, String> = catalog["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["column"].as_str().unwrap().to_owned(), c["talib_function"].as_str().unwrap().to_owned()))
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for &(golden_file, data, volume_col) in FILES {
        let golden = read_parquet(&dir.join("indicators").join(golden_file));
        let input = match data {
            Some(d) => read_parquet(&dir.join(d)),
            None => golden.clone(),
        };
        let bars = bars_from(&input, volume_col);
        let ours: BTreeMap<String, Vec<f64>> = compute(&bars, &all(), &Calendar::cme()).unwrap().into_iter().collect();
        let rows: Vec<usize> = f64_column(&golden, "row").unwrap().into_iter().map(|r| r as usize).collect();
        let price_level = bars.close.iter().fold(0.0f64, |m, c| m.max(c.abs()));
        let ad_scale = f64_column(&golden, "ad").map(|ad| ad.iter().fold(0.0f64, |m, v| if v.is_nan() { m } else { m.max(v.abs()) })).unwrap_or(1.0);
        for (column, function) in &function_of {
            if golden.column_by_name(column).is_none() {
                continue;
            }
            let want = f64_column(&golden, column).unwrap();
            let Some(got) = ours.get(column) else {
                failures.push(format!("{golden_file}: `{column}` is not in `set: all`"));
                continue;
            };
            checked += 1;
            let tol = tolerance(function, price_level, ad_scale);
            if let Some(f) = compare(got, &want, &rows, tol) {
                failures.push(format!("{golden_file}: `{column}` ({function}, {tol:?}): {f}"));
            }
        }
    }
    assert!(checked >= 4 * 78, "only {checked} golden columns checked");
    assert!(failures.is_empty(), "{} of {checked} golden columns differ:\n{}", failures.len(), failures.join("\n"));
}

/// `None` when equal, else a description of the first and worst differences.
fn compare(got: &[f64], want: &[f64], rows: &[usize], tol: Tol) -> Option<String> {
    let (mut bad, mut first, mut worst) = (0usize, None, (0.0f64, 0usize));
    for (k, &row) in rows.iter().enumerate() {
        let (g, w) = (got[row], want[k]);
        let ok = match (g.is_nan(), w.is_nan()) {
            (true, true) => true,
            (false, false) => match tol {
                Tol::Exact => g == w,
                Tol::Abs(atol) => (g - w).abs() <= atol + 1e-9 * w.abs(),
            },
            _ => false,
        };
        if !ok {
            bad += 1;
            first.get_or_insert((row, g, w));
            let d = if g.is_nan() || w.is_nan() { f64::INFINITY } else { (g - w).abs() };
            if d > worst.0 {
                worst = (d, row);
            }
        }
    }
    first.map(|(row, g, w)| format!("{bad} rows differ; first at row {row}: got {g} want {w}; worst |diff| {:.3e} at row {}", worst.0, worst.1))
}

#[test]
fn golden_files_are_where_the_catalog_says() {
    let Some(dir) = reference("golden_files_are_where_the_catalog_says") else { return };
    for &(golden, data, _) in FILES {
        assert!(dir.join("indicators").join(golden).is_file(), "{golden}");
        if let Some(d) = data {
            assert!(Path::new(&dir.join(d)).is_file(), "{d}");
        }
    }
}
