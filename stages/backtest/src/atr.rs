//! Wilder's average true range, TA-Lib's convention, which scales the backtest's stops,
//! targets and entry offsets.
//!
//! `TR[i] = max(H-L, |H-C[i-1]|, |L-C[i-1]|)` for `i >= 1` (undefined at 0); the first
//! ATR, at index `n`, is the mean of `TR[1..=n]`; then `ATR[i] = (ATR[i-1] (n-1) + TR[i]) / n`.
//! `ATR[i]` uses bars `<= i` only: it is known at bar `i`'s close, when orders are placed.

/// ATR(`period`) per bar; NaN before index `period`.
pub fn wilder_atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return out;
    }
    let tr = |i: usize| (high[i] - low[i]).max((high[i] - close[i - 1]).abs()).max((low[i] - close[i - 1]).abs());
    let p = period as f64;
    let mut atr = (1..=period).map(tr).sum::<f64>() / p;
    out[period] = atr;
    for (i, slot) in out.iter_mut().enumerate().skip(period + 1) {
        atr = (atr * (p - 1.0) + tr(i)) / p;
        *slot = atr;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use mlfactory_artifacts::table::decode_parquet;
    use mlfactory_market::Bars;
    use mlfactory_market::columns::f64_column;

    use super::*;

    #[test]
    fn hand_computed() {
        let high = [10.0, 11.0, 12.0, 11.5];
        let low = [9.0, 10.0, 10.5, 10.0];
        let close = [9.5, 10.5, 11.0, 10.5];
        // TR[1] = max(1, 1.5, 0.5) = 1.5; TR[2] = max(1.5, 1.5, 0) = 1.5; TR[3] = max(1.5, 0.5, 1) = 1.5
        let atr = wilder_atr(&high, &low, &close, 2);
        assert!(atr[0].is_nan() && atr[1].is_nan());
        assert_eq!(atr[2], 1.5);
        assert_eq!(atr[3], 1.5);
        assert!(wilder_atr(&high, &low, &close, 4).iter().all(|v| v.is_nan()));
    }

    /// Against TA-Lib's `ATR(timeperiod=14)` on the real ES 5-minute bars
    /// (`shared/reference/indicators/es1_5m_20241203_20250630_talib.parquet`, column `atr_14`,
    /// produced by `generate_talib_goldens.py`); tolerance per the reference's CATALOG.md.
    #[test]
    fn matches_talib_on_es_5m() {
        let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "matches_talib_on_es_5m") else { return };
        let bars = decode_parquet(std::fs::read(dir.join("data/es1_5m_20241203_20250630.parquet")).unwrap()).unwrap();
        let golden = decode_parquet(std::fs::read(dir.join("indicators/es1_5m_20241203_20250630_talib.parquet")).unwrap()).unwrap();
        let b = Bars::from_table(&bars).unwrap();
        let got = wilder_atr(&b.high, &b.low, &b.close, 14);
        let rows = f64_column(&golden, "row").unwrap();
        let want = f64_column(&golden, "atr_14").unwrap();
        assert!(rows.len() > 1000);
        for (r, w) in rows.iter().zip(&want) {
            let g = got[*r as usize];
            assert_eq!(g.is_nan(), w.is_nan(), "row {r}: NaN pattern");
            if !w.is_nan() {
                assert!((g - w).abs() <= 1e-8 + 1e-9 * w.abs(), "row {r}: got {g}, TA-Lib {w}");
            }
        }
    }
}
