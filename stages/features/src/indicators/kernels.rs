//! Numeric building blocks shared by the indicators: moving averages in TA-Lib's
//! conventions, Wilder smoothing, window extremes (block prefix/suffix for values, TA-Lib's
//! rescan where the index matters) and rolling sums that
//! stay exact over millions of bars.
//!
//! Every kernel takes the index `from` of its input's first valid value, so kernels chain
//! (an EMA of an EMA, an SMA of a stochastic) with each stage's warm-up added up, and
//! returns a full-length vector with NaN before its first value.

/// A vector of `n` NaNs.
pub(crate) fn nans(n: usize) -> Vec<f64> {
    vec![f64::NAN; n]
}

/// TA-Lib's zero test (`TA_IS_ZERO`, epsilon 1e-14).
pub(crate) fn is_zero(v: f64) -> bool {
    -1e-14 < v && v < 1e-14
}

/// TA-Lib's scale-aware zero test for a difference of comparable magnitudes
/// (`TA_IS_ZERO_SCALED`): `|v| <= 1e-14 scale`, with `scale = |a| + |b|`.
pub(crate) fn is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= 1e-14 * scale
}

/// TA-Lib's `TA_IS_ZERO_OR_NEG` (epsilon 1e-14).
pub(crate) fn is_zero_or_neg(v: f64) -> bool {
    v < 1e-14
}

/// Index of the first non-NaN value (`x.len()` when there is none).
#[cfg(test)]
pub(crate) fn first_valid(x: &[f64]) -> usize {
    x.iter().position(|v| !v.is_nan()).unwrap_or(x.len())
}

/// Simple moving average of `x[from..]` (running sum, as TA-Lib): first value at
/// `from + n - 1`.
pub(crate) fn sma(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    let start = from + n - 1;
    if start >= x.len() {
        return out;
    }
    let nf = n as f64;
    let mut total: f64 = x[from..start].iter().sum();
    for i in start..x.len() {
        total += x[i];
        out[i] = total / nf;
        total -= x[i + 1 - n];
    }
    out
}

/// Exponential moving average with factor `k`, seeded with the simple mean of
/// `x[seed_from..seed_from + n]` and first written at `seed_from + n - 1` (TA-Lib's
/// default seeding; the recursion is `e += (x - e) * k`).
pub(crate) fn ema_k(x: &[f64], n: usize, k: f64, seed_from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    let start = seed_from + n - 1;
    if start >= x.len() {
        return out;
    }
    let mut e = x[seed_from..=start].iter().sum::<f64>() / n as f64;
    out[start] = e;
    for i in start + 1..x.len() {
        e = (x[i] - e) * k + e;
        out[i] = e;
    }
    out
}

/// TA-Lib's EMA factor `2 / (n + 1)`.
pub(crate) fn ema_factor(n: usize) -> f64 {
    2.0 / (n as f64 + 1.0)
}

/// EMA(n) of `x[from..]`, SMA-seeded (TA-Lib's EMA): first value at `from + n - 1`.
pub(crate) fn ema(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    ema_k(x, n, ema_factor(n), from)
}

/// Weighted moving average with linear weights 1..n (newest weighs n), TA-Lib's
/// running form: first value at `from + n - 1`.
pub(crate) fn wma(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    let start = from + n - 1;
    if start >= x.len() {
        return out;
    }
    let nf = n as f64;
    let divider = (n * (n + 1)) as f64 / 2.0;
    let (mut sum, mut sub) = (0.0, 0.0);
    for (w, &v) in x[from..start].iter().enumerate() {
        sub += v;
        sum += v * (w + 1) as f64;
    }
    let mut trailing = 0.0;
    for i in start..x.len() {
        sub += x[i];
        sub -= trailing;
        sum += x[i] * nf;
        trailing = x[i + 1 - n];
        out[i] = sum / divider;
        sum -= sub;
    }
    out
}

/// A running window sum that is recomputed exactly every `refresh` steps, so that its
/// rounding error stays bounded over any length of series.
#[derive(Debug)]
pub(crate) struct WindowSum {
    n: usize,
    steps: usize,
    sum: f64,
}

impl WindowSum {
    const REFRESH: usize = 1024;

    pub(crate) fn new(n: usize) -> Self {
        Self { n, steps: 0, sum: 0.0 }
    }

    /// The sum of `x[i + 1 - n ..= i]`, given that the previous call was for `i - 1`
    /// (or that this is the first call).
    pub(crate) fn at(&mut self, x: &[f64], i: usize) -> f64 {
        if self.steps % Self::REFRESH == 0 {
            self.sum = x[i + 1 - self.n..=i].iter().sum();
        } else {
            self.sum += x[i] - x[i - self.n];
        }
        self.steps += 1;
        self.sum
    }
}

/// Rolling sums of `x[from..]` over `n` values (first at `from + n - 1`), drift-free.
pub(crate) fn rolling_sum(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    let mut w = WindowSum::new(n);
    for i in (from + n - 1)..x.len() {
        out[i] = w.at(x, i);
    }
    out
}

/// Rolling population mean and variance of `x[from..]` over `n` values, computed on
/// deviations from an anchor that is reset (and the sums recomputed exactly) every
/// window, so the result is as accurate as a two-pass computation.
pub(crate) fn rolling_mean_var(x: &[f64], n: usize, from: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = nans(x.len());
    let mut var = nans(x.len());
    let start = from + n - 1;
    if start >= x.len() {
        return (mean, var);
    }
    let nf = n as f64;
    let refresh = n.max(64);
    let (mut anchor, mut s1, mut s2) = (0.0, 0.0, 0.0);
    let mut until_refresh = 0;
    for i in start..x.len() {
        if until_refresh == 0 {
            until_refresh = refresh;
            anchor = x[i];
            (s1, s2) = x[i + 1 - n..=i].iter().fold((0.0, 0.0), |(a, b), &v| (a + (v - anchor), b + (v - anchor) * (v - anchor)));
        } else {
            let (new, old) = (x[i] - anchor, x[i - n] - anchor);
            s1 += new - old;
            s2 += new * new - old * old;
        }
        until_refresh -= 1;
        let m = s1 / nf;
        mean[i] = anchor + m;
        var[i] = (s2 / nf - m * m).max(0.0);
    }
    (mean, var)
}

/// Which extreme a [`Extremes`] window tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extreme {
    Max,
    Min,
}

/// The index of the window extreme (the most recent one on ties, as TA-Lib) for each
/// window of `n` values ending at `i`, for `i >= from + n - 1`.
///
/// TA-Lib's scheme: keep the extreme's index, take a new bar that ties or beats it, and
/// rescan the window only when the extreme leaves it. O(1) a bar on market data, where the
/// extreme rarely leaves (O(n) a bar only along a strict trend against the extreme).
pub(crate) fn extreme_index(x: &[f64], n: usize, from: usize, which: Extreme) -> Vec<usize> {
    let mut out = vec![usize::MAX; x.len()];
    let start = from + n - 1;
    if n == 0 || start >= x.len() {
        return out;
    }
    let beats = |a: f64, b: f64| match which {
        Extreme::Max => a >= b,
        Extreme::Min => a <= b,
    };
    let mut best = from;
    for i in from..x.len() {
        let first = (i + 1).saturating_sub(n).max(from);
        if best < first {
            best = first;
            for j in first + 1..=i {
                if beats(x[j], x[best]) {
                    best = j;
                }
            }
        } else if beats(x[i], x[best]) {
            best = i;
        }
        if i >= start {
            out[i] = best;
        }
    }
    out
}

/// Rolling maximum (or minimum) of `x[from..]` over `n` values: first at `from + n - 1`.
///
/// The van Herk / Gil-Werman scheme: cut the series into blocks of `n`; every window
/// spans the tail of one block and the head of the next, so its extreme is the extreme of
/// a block suffix and a block prefix. Three comparisons a bar whatever `n`, and no
/// data-dependent branch (a monotonic deque mispredicts on every random-walk turn).
pub(crate) fn rolling_extreme(x: &[f64], n: usize, from: usize, which: Extreme) -> Vec<f64> {
    // Each arm instantiates the scan with its own comparison, inlined.
    match which {
        // Plain comparisons (one `maxsd` / `minsd`) rather than `f64::max`'s NaN handling:
        // the scans only meet values past `from`, which are numbers.
        Extreme::Max => block_extremes(x, n, from, |a, b| if a > b { a } else { b }),
        Extreme::Min => block_extremes(x, n, from, |a, b| if a < b { a } else { b }),
    }
}

fn block_extremes(x: &[f64], n: usize, from: usize, pick: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let mut out = nans(x.len());
    let y = &x[from.min(x.len())..];
    if n == 0 || y.len() < n {
        return out;
    }
    // suffix[i]: the extreme of y[i..] up to the end of i's block.
    let mut suffix = y.to_vec();
    for block in suffix.chunks_mut(n) {
        for k in (0..block.len() - 1).rev() {
            block[k] = pick(block[k], block[k + 1]);
        }
    }
    // The prefix of i's block up to i, carried along; the window [i + 1 - n, i] is
    // suffix[i + 1 - n] joined with that prefix (a whole block when i + 1 is a multiple of n).
    for (b, block) in y.chunks(n).enumerate() {
        let mut prefix = block[0];
        for (k, &v) in block.iter().enumerate() {
            prefix = pick(prefix, v);
            let i = b * n + k;
            if i + 1 >= n {
                out[from + i] = pick(suffix[i + 1 - n], prefix);
            }
        }
    }
    out
}

/// True range: `max(H - L, |H - C[-1]|, |L - C[-1]|)`, undefined at index 0 (TA-Lib).
pub(crate) fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    let mut out = nans(close.len());
    for i in 1..close.len() {
        out[i] = true_range_at(high[i], low[i], close[i - 1]);
    }
    out
}

/// One true range, in TA-Lib's order of comparisons.
pub(crate) fn true_range_at(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut tr = high - low;
    let up = (prev_close - high).abs();
    if up > tr {
        tr = up;
    }
    let down = (low - prev_close).abs();
    if down > tr {
        tr = down;
    }
    tr
}

/// Wilder's average (TA-Lib's ATR recursion): the simple mean of `x[from..from + n]`
/// first (written at `from + n - 1`), then `a = (a * (n - 1) + x) / n`.
pub(crate) fn wilder(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    let start = from + n - 1;
    if start >= x.len() {
        return out;
    }
    let nf = n as f64;
    let mut a = x[from..=start].iter().sum::<f64>() / nf;
    out[start] = a;
    for i in start + 1..x.len() {
        a *= nf - 1.0;
        a += x[i];
        a /= nf;
        out[i] = a;
    }
    out
}

/// Natural log of each value (NaN where the value is not positive).
pub(crate) fn ln(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| if v > 0.0 { v.ln() } else { f64::NAN }).collect()
}

/// `x[i] - x[i - lag]` (NaN for the first `lag`): log returns from logs.
pub(crate) fn lag_diff(x: &[f64], lag: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    for i in lag..x.len() {
        out[i] = x[i] - x[i - lag];
    }
    out
}

/// Formats a parameter for a column name: integers without a decimal point (`2`), other
/// values in their shortest form (`0.7`, `0.02`).
pub(crate) fn fmt_param(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn naive_extreme(x: &[f64], n: usize, i: usize, max: bool) -> usize {
        let mut best = i + 1 - n;
        for j in i + 1 - n..=i {
            if (max && x[j] >= x[best]) || (!max && x[j] <= x[best]) {
                best = j;
            }
        }
        best
    }

    #[test]
    fn extremes_take_the_most_recent_tie() {
        let x = [5.0, 3.0, 5.0, 1.0, 1.0, 4.0, 5.0, 2.0, 2.0, 2.0];
        for n in 1..5 {
            let mx = extreme_index(&x, n, 0, Extreme::Max);
            let mn = extreme_index(&x, n, 0, Extreme::Min);
            for i in n - 1..x.len() {
                assert_eq!(mx[i], naive_extreme(&x, n, i, true), "max n={n} i={i}");
                assert_eq!(mn[i], naive_extreme(&x, n, i, false), "min n={n} i={i}");
            }
        }
    }

    #[test]
    fn rolling_extremes_match_a_scan_of_each_window() {
        // Ties, plateaus and both trends, from several starts and for every window width.
        let x: Vec<f64> = (0..97).map(|i| f64::from((i * 37 % 11) as u8) + if i % 13 < 4 { 20.0 } else { 0.0 }).collect();
        for from in [0, 1, 5] {
            for n in 1..40 {
                let (mx, mn) = (rolling_extreme(&x, n, from, Extreme::Max), rolling_extreme(&x, n, from, Extreme::Min));
                for i in 0..x.len() {
                    if i + 1 < from + n {
                        assert!(mx[i].is_nan() && mn[i].is_nan(), "warm-up n={n} from={from} i={i}");
                    } else {
                        let w = &x[i + 1 - n..=i];
                        assert_eq!(mx[i], w.iter().copied().fold(f64::MIN, f64::max), "max n={n} from={from} i={i}");
                        assert_eq!(mn[i], w.iter().copied().fold(f64::MAX, f64::min), "min n={n} from={from} i={i}");
                    }
                }
            }
        }
        assert!(rolling_extreme(&x, 200, 0, Extreme::Max).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn variance_matches_two_pass() {
        let x: Vec<f64> = (0..5000).map(|i| 6000.0 + ((i * 7919) % 113) as f64 * 0.25 + (i as f64 * 0.01).sin()).collect();
        let (m, v) = rolling_mean_var(&x, 20, 3);
        for i in 22..x.len() {
            let w = &x[i - 19..=i];
            let mean = w.iter().sum::<f64>() / 20.0;
            let var = w.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / 20.0;
            assert!((m[i] - mean).abs() < 1e-9 && (v[i] - var).abs() < 1e-9, "row {i}: {} vs {var}", v[i]);
        }
        assert!(v[21].is_nan());
    }

    #[rstest]
    #[case(2.0, "2")]
    #[case(0.7, "0.7")]
    #[case(0.02, "0.02")]
    #[case(20.0, "20")]
    fn params_format_like_the_goldens(#[case] v: f64, #[case] s: &str) {
        assert_eq!(fmt_param(v), s);
    }

    #[test]
    fn chained_kernels_start_after_their_input() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let e = ema(&x, 5, 0);
        assert_eq!(first_valid(&e), 4);
        assert_eq!(e[4], 2.0);
        let ee = ema(&e, 5, 4);
        assert_eq!(first_valid(&ee), 8);
        assert_eq!(first_valid(&sma(&ee, 3, 8)), 10);
        assert_eq!(wma(&x, 3, 0)[2], (0.0 + 2.0 + 6.0) / 6.0);
    }
}
