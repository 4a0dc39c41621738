//! Leakage: every column of `set: all` at bar t depends on bars <= t only. Rewriting the
//! future (every bar after a cut, with other prices, volumes and timestamps) must leave
//! every value at or before the cut bit-identical.

use mlfactory_features::compute;
use mlfactory_market::{Bars, Calendar};
use proptest::prelude::*;

use crate::common::{all, synthetic_bars};

/// The bars with everything after `cut` replaced by another random walk (prices jump,
/// volume and time steps change).
fn rewrite_after(bars: &Bars, cut: usize, seed: u64) -> Bars {
    let other = synthetic_bars(bars.len(), seed);
    let mut out = bars.clone();
    let shift = other.close[cut] - bars.close[cut] + 37.5;
    for i in cut + 1..bars.len() {
        out.open[i] = other.open[i] - shift;
        out.high[i] = other.high[i] - shift;
        out.low[i] = other.low[i] - shift;
        out.close[i] = other.close[i] - shift;
        out.volume[i] = other.volume[i] * 3.0;
        out.ts[i] = bars.ts[cut] + (i - cut) as i64 * 300_000_000_000;
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn prop_the_future_never_changes_the_past(seed in 1u64..1_000_000, other in 1u64..1_000_000, cut in 0usize..1_500) {
        let bars = synthetic_bars(1_600, seed);
        let selection = all();
        let base = compute(&bars, &selection, &Calendar::cme()).unwrap();
        let changed = compute(&rewrite_after(&bars, cut, other), &selection, &Calendar::cme()).unwrap();
        prop_assert_eq!(base.len(), changed.len());
        prop_assert!(base.len() >= 150, "set: all has {} columns", base.len());
        for ((name, a), (_, b)) in base.iter().zip(&changed) {
            for t in 0..=cut {
                prop_assert!(same(a[t], b[t]), "`{}` at bar {} changed from {} to {} when bars after {} were rewritten", name, t, a[t], b[t], cut);
            }
        }
    }
}

#[test]
fn every_column_has_values_after_warm_up() {
    let bars = synthetic_bars(30 * 1_380, 7);
    let out = compute(&bars, &all(), &Calendar::cme()).unwrap();
    for (name, v) in &out {
        let last = v[v.len() - 1];
        assert!(last.is_finite(), "`{name}` ends with {last}");
        let first = v.iter().position(|x| !x.is_nan()).unwrap();
        assert!(v[first..].iter().all(|x| x.is_finite()), "`{name}` has a gap or a non-finite value after its warm-up");
    }
}
