//! Feature binning for histogram trees: each feature's values are cut into at most
//! `max_bin` bins at midpoints between distinct training values, roughly equal in
//! count (LightGBM's scheme), and the training matrix is stored as one byte per value.
//!
//! A row goes left at a split on bin `t` iff its value is `<= upper[t]`, so trees trained
//! on bins predict exactly the same on raw values with the `f32` thresholds.

use crate::parallel::map_rows;
use crate::samples::Samples;

/// Bin upper bounds of one feature: bin `b` holds values in `(upper[b-1], upper[b]]`;
/// the last bin is unbounded above (its bound is not stored).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BinMapper {
    pub upper: Vec<f32>,
}

impl BinMapper {
    /// Bins of a sorted sample of values (at most 256).
    pub(crate) fn fit(sorted: &[f32], max_bin: usize) -> Self {
        let mut distinct: Vec<(f32, usize)> = Vec::new();
        for &v in sorted {
            match distinct.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => distinct.push((v, 1)),
            }
        }
        let midpoint = |a: f32, b: f32| {
            let m = f64::from(a).midpoint(f64::from(b)) as f32;
            // Rounding may land on `b`; the bound must stay strictly below it.
            if m >= b { a } else { m }
        };
        if distinct.len() <= max_bin {
            return Self { upper: distinct.windows(2).map(|w| midpoint(w[0].0, w[1].0)).collect() };
        }
        // Greedy equal-frequency cuts over distinct values: a value heavier than a bin's
        // share gets a bin of its own.
        let total = sorted.len();
        let mut upper = Vec::with_capacity(max_bin - 1);
        let mut remaining = total;
        let mut in_bin = 0usize;
        for (i, &(v, count)) in distinct.iter().enumerate() {
            in_bin += count;
            remaining -= count;
            let bins_left = max_bin - 1 - upper.len();
            if bins_left == 0 || i + 1 == distinct.len() {
                continue;
            }
            let target = (remaining + in_bin) / (bins_left + 1);
            let next = distinct[i + 1].1;
            if in_bin >= target.max(1) || next > target {
                upper.push(midpoint(v, distinct[i + 1].0));
                in_bin = 0;
            }
        }
        Self { upper }
    }

    pub(crate) fn bins(&self) -> usize {
        self.upper.len() + 1
    }

    /// The bin of `value`: the first whose upper bound is `>= value`.
    #[inline]
    pub(crate) fn bin(&self, value: f32) -> u8 {
        self.upper.partition_point(|&u| u < value) as u8
    }
}

/// The training matrix as bins, row-major, one byte per value.
#[derive(Clone, Debug)]
pub(crate) struct Binned {
    pub mappers: Vec<BinMapper>,
    /// `rows x features`.
    pub bins: Vec<u8>,
    pub features: usize,
    /// Histogram offset of each feature (cumulative bin counts), plus the total at the end.
    pub offsets: Vec<usize>,
}

impl Binned {
    /// Fits bin mappers on (at most `sample` evenly spaced rows of) `train` and bins it.
    pub(crate) fn fit(train: &Samples, max_bin: usize, sample: usize) -> Self {
        let n = train.len();
        let d = train.n_features();
        let step = n.div_ceil(sample.max(1)).max(1);
        let picked: Vec<usize> = (0..n).step_by(step).collect();
        let mappers: Vec<BinMapper> = {
            use rayon::prelude::*;
            (0..d)
                .into_par_iter()
                .map(|j| {
                    let mut values: Vec<f32> = picked.iter().map(|&i| train.x[i * d + j]).collect();
                    values.sort_by(f32::total_cmp);
                    BinMapper::fit(&values, max_bin)
                })
                .collect()
        };
        let mut offsets = Vec::with_capacity(d + 1);
        let mut total = 0;
        for m in &mappers {
            offsets.push(total);
            total += m.bins();
        }
        offsets.push(total);
        let bins = Self::apply(&mappers, train);
        Self { mappers, bins, features: d, offsets }
    }

    /// Bins `data` with already fitted mappers.
    pub(crate) fn apply(mappers: &[BinMapper], data: &Samples) -> Vec<u8> {
        let d = mappers.len();
        map_rows(data.len(), |rows| {
            let mut out = Vec::with_capacity(rows.len() * d);
            for i in rows {
                out.extend(data.row(i).iter().zip(mappers).map(|(&v, m)| m.bin(v)));
            }
            out
        })
    }

    pub(crate) fn total_bins(&self) -> usize {
        self.offsets[self.features]
    }

    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[u8] {
        &self.bins[i * self.features..(i + 1) * self.features]
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn few_distinct_values_get_a_bin_each() {
        let m = BinMapper::fit(&[1.0, 1.0, 2.0, 3.0, 3.0], 255);
        assert_eq!(m.upper, [1.5, 2.5]);
        assert_eq!([m.bin(0.0), m.bin(1.0), m.bin(1.5), m.bin(2.0), m.bin(9.0)], [0, 0, 0, 1, 2]);
    }

    #[test]
    fn many_values_are_cut_into_equal_counts() {
        let values: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        let m = BinMapper::fit(&values, 10);
        assert_eq!(m.bins(), 10);
        let mut counts = [0usize; 10];
        for &v in &values {
            counts[m.bin(v) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (900..=1100).contains(&c)), "{counts:?}");
    }

    proptest! {
        #[test]
        fn prop_bin_order_matches_threshold_order(mut values in prop::collection::vec(-1e6f32..1e6, 1..400), max_bin in 2usize..40) {
            values.sort_by(f32::total_cmp);
            let m = BinMapper::fit(&values, max_bin);
            prop_assert!(m.bins() <= max_bin);
            prop_assert!(m.upper.windows(2).all(|w| w[0] < w[1]));
            for &v in &values {
                let b = m.bin(v) as usize;
                // The split rule `bin <= t` agrees with `value <= upper[t]` for every t.
                for (t, &u) in m.upper.iter().enumerate() {
                    prop_assert_eq!(b <= t, v <= u);
                }
            }
        }
    }
}
