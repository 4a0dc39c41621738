//! A group's barrier multiples in ascending order, with an index that finds the rank
//! near any multiple in constant time.
//!
//! The rank grid asks, for every record of every event, where along the sorted multiples
//! a monotone test (does the record reach this barrier?) turns false. A binary search
//! costs a chain of dependent probes per record. The record itself says roughly where
//! the answer is (its value divided by the target is about the multiple it reaches up
//! to), so a table of buckets over the multiples' range gives a starting rank, and a
//! step or two of the exact test from there finds the answer: exact whatever the
//! starting rank, fast when it is close.

/// Buckets of the index per rank.
const BUCKETS_PER_RANK: usize = 4;

/// Ascending barrier multiples (infinite, for disabled barriers, last).
pub(super) struct Ranks {
    multiples: Vec<f64>,
    /// Bucket `b` starts at multiple `lo + b / scale`.
    lo: f64,
    scale: f64,
    /// `first[b]`: how many multiples lie below bucket `b`'s start.
    first: Vec<usize>,
}

impl Ranks {
    /// The index of `multiples`, which must be sorted ascending.
    pub(super) fn new(multiples: Vec<f64>) -> Self {
        debug_assert!(multiples.is_sorted_by(|a, b| a <= b));
        // the infinite multiples come last
        let hi = multiples.iter().rev().copied().find(|m| m.is_finite()).unwrap_or(0.0);
        let lo = multiples.first().copied().filter(|m| m.is_finite()).unwrap_or(0.0);
        let buckets = BUCKETS_PER_RANK * multiples.len();
        let scale = if hi > lo { buckets as f64 / (hi - lo) } else { 0.0 };
        let first = (0..=buckets).map(|b| if scale > 0.0 { multiples.partition_point(|&m| m < lo + b as f64 / scale) } else { 0 }).collect();
        Self { multiples, lo, scale, first }
    }

    pub(super) fn len(&self) -> usize {
        self.multiples.len()
    }

    /// The multiple of rank `r`.
    pub(super) fn get(&self, r: usize) -> f64 {
        self.multiples[r]
    }

    /// The first rank in `from..to` at which `holds(multiple)` is false (`to` if none),
    /// for a test that is true on the low ranks, then false. `guess` is a multiple near
    /// where it turns; any guess gives the exact answer, a close one in a step or two.
    pub(super) fn run_end(&self, from: usize, to: usize, guess: f64, holds: impl Fn(f64) -> bool) -> usize {
        let mut r = self.near(guess).clamp(from, to);
        while r > from && !holds(self.multiples[r - 1]) {
            r -= 1;
        }
        while r < to && holds(self.multiples[r]) {
            r += 1;
        }
        r
    }

    /// The first rank of the bucket that holds `multiple` (0 below the range or for NaN).
    fn near(&self, multiple: f64) -> usize {
        let x = (multiple - self.lo) * self.scale;
        // `as` saturates: beyond the range is the last bucket
        if x >= 0.0 { self.first[(x as usize).min(self.first.len() - 1)] } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever the guess, the run ends where a scan says it does.
        #[test]
        fn run_end_is_exact_for_any_guess(
            mut multiples in prop::collection::vec(prop_oneof![0.1f64..5.0, Just(2.0), Just(f64::INFINITY)], 1..60),
            threshold in 0.0f64..6.0,
            guess in prop_oneof![-1.0f64..7.0, Just(f64::NAN), Just(f64::INFINITY)],
            from in 0usize..60,
            len in 0usize..60,
        ) {
            multiples.sort_by(f64::total_cmp);
            let ranks = Ranks::new(multiples.clone());
            let from = from.min(ranks.len());
            let to = (from + len).min(ranks.len());
            let holds = |m: f64| m <= threshold;
            let scan = (from..to).find(|&r| !holds(multiples[r])).unwrap_or(to);
            prop_assert_eq!(ranks.run_end(from, to, guess, holds), scan);
        }
    }
}
