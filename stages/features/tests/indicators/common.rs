//! Shared helpers: reference files, bar tables, synthetic bars.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use mlfactory_market::Bars;
use mlfactory_market::columns::{f64_column, ts_column};

/// `shared/reference`, or `None` (skip) outside CI when it is absent.
pub(crate) fn reference(test: &str) -> Option<PathBuf> {
    mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), test)
}

pub(crate) fn read_parquet(path: &Path) -> RecordBatch {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    mlfactory_artifacts::table::decode_parquet(bytes).unwrap_or_else(|e| panic!("decoding {}: {e}", path.display()))
}

/// Bars from a table whose volume column is `volume_col` (may be all null).
pub(crate) fn bars_from(table: &RecordBatch, volume_col: &str) -> Bars {
    Bars {
        ts: ts_column(table, "ts").unwrap(),
        open: f64_column(table, "open").unwrap(),
        high: f64_column(table, "high").unwrap(),
        low: f64_column(table, "low").unwrap(),
        close: f64_column(table, "close").unwrap(),
        volume: f64_column(table, volume_col).unwrap(),
    }
}

/// A deterministic random walk of `n` one-minute bars on a 0.25 tick grid, with volume,
/// starting on a Sunday evening (CME open).
pub(crate) fn synthetic_bars(n: usize, seed: u64) -> Bars {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = 1_704_668_400_000_000_000i64; // 2024-01-07 23:00 UTC = Sunday 17:00 CT
    let mut close = 4800.0;
    let mut bars = Bars::default();
    for i in 0..n {
        let open = close;
        let step = (next() % 9) as f64 - 4.0;
        close = open + step * 0.25;
        let high = open.max(close) + (next() % 4) as f64 * 0.25;
        let low = open.min(close) - (next() % 4) as f64 * 0.25;
        bars.ts.push(start + i as i64 * 60_000_000_000);
        bars.open.push(open);
        bars.high.push(high);
        bars.low.push(low);
        bars.close.push(close);
        bars.volume.push((next() % 500) as f64 + if i % 97 == 0 { 0.0 } else { 1.0 });
    }
    bars
}

/// The `all` selection.
pub(crate) fn all() -> mlfactory_features::Selection {
    serde_json::from_value(serde_json::json!({"set": "all"})).unwrap()
}
