//! Isotonic regression: the non-decreasing step function closest (weighted least squares)
//! to observations y at scores x, by pool adjacent violators.
//!
//! As scikit-learn's `IsotonicRegression(out_of_bounds="clip")`: equal scores are first
//! merged into their weighted mean, the fitted values at the distinct scores are joined by
//! straight lines, and scores outside the fitted range take the value at the nearest end.

use serde::Serialize;

/// A fitted isotonic map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Isotonic {
    /// Distinct fitted scores, ascending.
    pub x: Vec<f64>,
    /// Fitted values at `x`, non-decreasing.
    pub y: Vec<f64>,
}

impl Isotonic {
    /// Fits on `(x, y, weight)`; non-finite scores are skipped. `None` when nothing is left.
    pub fn fit(x: &[f64], y: &[f64], weight: Option<&[f64]>) -> Option<Self> {
        let mut points: Vec<(f64, f64, f64)> = x
            .iter()
            .zip(y)
            .enumerate()
            .filter(|(_, (a, b))| a.is_finite() && b.is_finite())
            .map(|(i, (&a, &b))| (a, b, weight.map_or(1.0, |w| w[i])))
            .collect();
        if points.is_empty() {
            return None;
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Merge equal scores.
        let mut xs: Vec<f64> = Vec::new();
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // (weighted sum of y, weight, distinct scores in block)
        for (a, b, w) in points {
            if xs.last() == Some(&a) {
                let last = blocks.last_mut().expect("a block per score");
                last.0 += b * w;
                last.1 += w;
            } else {
                xs.push(a);
                blocks.push((b * w, w, 1));
            }
        }
        // Pool adjacent violators over the merged scores.
        let mut stack: Vec<(f64, f64, usize)> = Vec::with_capacity(blocks.len());
        for block in blocks {
            stack.push(block);
            while stack.len() > 1 {
                let (s2, w2, n2) = stack[stack.len() - 1];
                let (s1, w1, n1) = stack[stack.len() - 2];
                if s1 / w1 <= s2 / w2 {
                    break;
                }
                stack.pop();
                *stack.last_mut().expect("two blocks") = (s1 + s2, w1 + w2, n1 + n2);
            }
        }
        let y = stack.iter().flat_map(|&(s, w, n)| std::iter::repeat_n(s / w, n)).collect();
        Some(Self { x: xs, y })
    }

    /// The calibrated value at score `v` (linear between fitted scores, clipped outside).
    pub fn predict(&self, v: f64) -> f64 {
        let n = self.x.len();
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= self.x[0] {
            return self.y[0];
        }
        if v >= self.x[n - 1] {
            return self.y[n - 1];
        }
        let hi = self.x.partition_point(|&a| a <= v);
        let lo = hi - 1;
        let t = (v - self.x[lo]) / (self.x[hi] - self.x[lo]);
        self.y[lo] + t * (self.y[hi] - self.y[lo])
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// scikit-learn 1.9: `IsotonicRegression(out_of_bounds="clip").fit(x, y)` with
    /// x = [1, 2, 2, 3, 4, 5, 6], y = [0, 1, 0, 0, 1, 0, 1]; predict([0, 1.5, 2, 3.5, 5.5, 9])
    /// = [0, 1/6, 1/3, 5/12, 0.75, 1].
    #[test]
    fn matches_sklearn() {
        let m = Isotonic::fit(&[1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0], None).unwrap();
        let got: Vec<f64> = [0.0, 1.5, 2.0, 3.5, 5.5, 9.0].iter().map(|&v| m.predict(v)).collect();
        let want = [0.0, 1.0 / 6.0, 1.0 / 3.0, 5.0 / 12.0, 0.75, 1.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn weights_count_as_repeated_rows() {
        let a = Isotonic::fit(&[1.0, 2.0, 3.0], &[1.0, 0.0, 1.0], Some(&[1.0, 3.0, 1.0])).unwrap();
        let b = Isotonic::fit(&[1.0, 2.0, 2.0, 2.0, 3.0], &[1.0, 0.0, 0.0, 0.0, 1.0], None).unwrap();
        assert_eq!(a, b);
        assert!(Isotonic::fit(&[f64::NAN], &[1.0], None).is_none());
    }

    proptest! {
        #[test]
        fn prop_fit_is_monotone_and_preserves_the_mean(pts in prop::collection::vec((0.0f64..1.0, prop::bool::ANY), 1..60)) {
            let x: Vec<f64> = pts.iter().map(|p| (p.0 * 20.0).round() / 20.0).collect();
            let y: Vec<f64> = pts.iter().map(|p| f64::from(u8::from(p.1))).collect();
            let m = Isotonic::fit(&x, &y, None).unwrap();
            prop_assert!(m.y.windows(2).all(|w| w[0] <= w[1] + 1e-15));
            let mean_fit = x.iter().map(|&v| m.predict(v)).sum::<f64>() / x.len() as f64;
            let mean_y = y.iter().sum::<f64>() / y.len() as f64;
            prop_assert!((mean_fit - mean_y).abs() < 1e-9);
            let grid: Vec<f64> = (0..=40).map(|i| f64::from(i) / 40.0 - 0.5).collect();
            prop_assert!(grid.windows(2).all(|w| m.predict(w[0]) <= m.predict(w[1]) + 1e-15));
        }
    }
}
