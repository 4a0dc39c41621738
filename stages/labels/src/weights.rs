//! Sample weights for overlapping labels (AFML chapter 4) and the sequential bootstrap.
//!
//! A labelled event spans the bars `[start, end]` **inclusive of both ends** (its entry
//! bar and its exit bar, AFML Snippet 4.1). Weights here are computed on whatever set of
//! events the caller passes: `dataset` passes one split at a time, so a training weight
//! never depends on a validation or test event (AFML's global normalisations would).
//!
//! - [`concurrency`]: events alive at each bar;
//! - [`average_uniqueness`]: mean of `1/c_t` over an event's bars (Snippet 4.2);
//! - [`return_weights`]: `|sum r_t / c_t|` over its bars, scaled to sum to the number of
//!   events (Snippet 4.10; the entry bar contributes its incoming return, as in the book);
//! - [`time_decay`]: piecewise-linear decay in cumulative uniqueness (Snippet 4.11);
//! - [`quality_weights`]: how decisively a label was reached, in `[0.5, 1.5]`;
//! - [`SequentialBootstrap`]: draws favouring events that overlap little with those
//!   already drawn (Snippets 4.3-4.5), in `O(L^2 log n)` per draw.

use rand::Rng;

/// One event's bars, `[start, end]` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn len(&self) -> usize {
        self.end + 1 - self.start
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// How many events are alive at each bar `0..n_bars`.
pub fn concurrency(n_bars: usize, spans: &[Span]) -> Vec<u32> {
    let mut diff = vec![0i64; n_bars + 1];
    for s in spans {
        diff[s.start] += 1;
        diff[(s.end + 1).min(n_bars)] -= 1;
    }
    let mut running = 0i64;
    diff[..n_bars]
        .iter()
        .map(|d| {
            running += d;
            running as u32
        })
        .collect()
}

/// Mean of `1 / c_t` over each event's bars.
pub fn average_uniqueness(spans: &[Span], concurrency: &[u32]) -> Vec<f64> {
    spans.iter().map(|s| concurrency[s.start..=s.end].iter().map(|&c| 1.0 / f64::from(c)).sum::<f64>() / s.len() as f64).collect()
}

/// `|sum over the event's bars of ln(c_t / c_{t-1}) / conc_t|`, scaled so the weights sum
/// to the number of events. Bar 0 has no incoming return and contributes nothing. Log
/// returns are differences of log prices and sums follow numpy's summation order, as
/// mlfinpy computes them, so near-cancelling returns agree too.
pub fn return_weights(close: &[f64], spans: &[Span], concurrency: &[u32]) -> Vec<f64> {
    let log_close: Vec<f64> = close.iter().map(|c| c.ln()).collect();
    let term = |t: usize| if t == 0 { 0.0 } else { (log_close[t] - log_close[t - 1]) / f64::from(concurrency[t]) };
    let mut buf = Vec::new();
    let mut w: Vec<f64> = spans
        .iter()
        .map(|s| {
            buf.clear();
            buf.extend((s.start..=s.end).map(term));
            numpy_sum(&buf).abs()
        })
        .collect();
    let total = numpy_sum(&w);
    if total > 0.0 {
        let scale = w.len() as f64 / total;
        for x in &mut w {
            *x *= scale;
        }
    }
    w
}

/// numpy's `add.reduce` of a contiguous f64 array: the first element, plus the pairwise
/// sum of the rest (8-way unrolled blocks of up to 128 elements).
pub fn numpy_sum(a: &[f64]) -> f64 {
    fn pairwise(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            a.iter().fold(0.0, |acc, x| acc + x)
        } else if n <= 128 {
            let mut r: [f64; 8] = a[..8].try_into().expect("8 elements");
            let whole = n - n % 8;
            for chunk in a[8..whole].chunks_exact(8) {
                for (acc, x) in r.iter_mut().zip(chunk) {
                    *acc += x;
                }
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for x in &a[whole..] {
                res += x;
            }
            res
        } else {
            let mut half = n / 2;
            half -= half % 8;
            pairwise(&a[..half]) + pairwise(&a[half..])
        }
    }
    match a {
        [] => 0.0,
        [first, rest @ ..] => first + pairwise(rest),
    }
}

/// Time-decay factors for events in time order: linear in cumulative uniqueness, 1 for
/// the newest; the oldest gets `decay` (`decay < 0`: the oldest `-decay` fraction is zeroed).
pub fn time_decay(uniqueness: &[f64], decay: f64) -> Vec<f64> {
    let mut cum = Vec::with_capacity(uniqueness.len());
    let mut acc = 0.0;
    for u in uniqueness {
        acc += u;
        cum.push(acc);
    }
    let Some(&last) = cum.last() else { return Vec::new() };
    let slope = if decay >= 0.0 { (1.0 - decay) / last } else { 1.0 / ((decay + 1.0) * last) };
    let constant = 1.0 - slope * last;
    cum.iter().map(|x| (constant + slope * x).max(0.0)).collect()
}

/// Label quality in `[0.5, 1.5]`: `0.5 + min(1, |ret| / target)`. A move of at least one
/// target width gets 1.5, a flat exit 0.5.
pub fn quality_weights(ret: &[f64], target: &[f64]) -> Vec<f64> {
    ret.iter().zip(target).map(|(r, t)| 0.5 + if *t > 0.0 { (r.abs() / t).min(1.0) } else { 1.0 }).collect()
}

/// The sequential bootstrap of AFML Snippet 4.5: each draw picks event `i` with
/// probability proportional to its average uniqueness **if added** to the events drawn
/// so far, `mean over t in span_i of 1 / (c_t + 1)` (`c_t`: drawn events alive at `t`).
///
/// Only events overlapping a drawn one change their odds, so a draw updates those
/// (through the events alive at each of its bars) and samples from a Fenwick tree.
#[derive(Debug)]
pub struct SequentialBootstrap {
    spans: Vec<Span>,
    /// Events alive at each bar (indices into `spans`).
    alive: Vec<Vec<u32>>,
    /// Drawn events alive at each bar.
    drawn_at: Vec<u32>,
    /// Sum over each event's bars of `1 / (drawn_at + 1)`.
    sums: Vec<f64>,
    tree: Fenwick,
}

impl SequentialBootstrap {
    /// Prepares draws over events spanning bars `0..n_bars`.
    pub fn new(n_bars: usize, spans: &[Span]) -> Self {
        let mut alive = vec![Vec::new(); n_bars];
        for (i, s) in spans.iter().enumerate() {
            for a in &mut alive[s.start..=s.end] {
                a.push(i as u32);
            }
        }
        let sums: Vec<f64> = spans.iter().map(|s| s.len() as f64).collect();
        let mut tree = Fenwick::new(spans.len());
        for i in 0..spans.len() {
            tree.add(i, 1.0);
        }
        Self { spans: spans.to_vec(), alive, drawn_at: vec![0; n_bars], sums, tree }
    }

    /// The current draw probabilities (for inspection and tests).
    pub fn probabilities(&self) -> Vec<f64> {
        let u: Vec<f64> = self.spans.iter().zip(&self.sums).map(|(s, sum)| sum / s.len() as f64).collect();
        let total: f64 = u.iter().sum();
        u.iter().map(|x| x / total).collect()
    }

    /// Draws one event and updates the odds of the others.
    pub fn draw(&mut self, rng: &mut impl Rng) -> usize {
        let total = self.tree.total();
        let i = self.tree.find(rng.random::<f64>() * total);
        let span = self.spans[i];
        for t in span.start..=span.end {
            let c = f64::from(self.drawn_at[t]);
            let delta = 1.0 / (c + 2.0) - 1.0 / (c + 1.0);
            self.drawn_at[t] += 1;
            for &j in &self.alive[t] {
                let j = j as usize;
                self.sums[j] += delta;
                self.tree.add(j, delta / self.spans[j].len() as f64);
            }
        }
        i
    }

    /// Draws `n` events (with replacement).
    pub fn sample(&mut self, n: usize, rng: &mut impl Rng) -> Vec<usize> {
        (0..n).map(|_| self.draw(rng)).collect()
    }
}

/// A Fenwick (binary indexed) tree of non-negative weights with prefix search.
#[derive(Debug)]
struct Fenwick {
    tree: Vec<f64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Self { tree: vec![0.0; n + 1] }
    }

    fn add(&mut self, i: usize, delta: f64) {
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] += delta;
            k += k & k.wrapping_neg();
        }
    }

    fn total(&self) -> f64 {
        let mut k = self.tree.len() - 1;
        let mut s = 0.0;
        while k > 0 {
            s += self.tree[k];
            k -= k & k.wrapping_neg();
        }
        s
    }

    /// The smallest index whose prefix sum exceeds `target`.
    fn find(&self, mut target: f64) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= target {
                target -= self.tree[next];
                pos = next;
            }
            step >>= 1;
        }
        pos.min(n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn spans(v: &[(usize, usize)]) -> Vec<Span> {
        v.iter().map(|&(start, end)| Span { start, end }).collect()
    }

    #[test]
    fn book_example_of_sequential_bootstrap_odds() {
        // a "random" source returning a fixed uniform, to force the draw of event 1
        struct Fixed(f64);
        impl rand::RngCore for Fixed {
            fn next_u32(&mut self) -> u32 {
                (self.next_u64() >> 32) as u32
            }
            fn next_u64(&mut self) -> u64 {
                // rand's f64 uses the top 53 bits
                ((self.0 * (1u64 << 53) as f64) as u64) << 11
            }
            fn fill_bytes(&mut self, dst: &mut [u8]) {
                dst.fill(0);
            }
        }
        // AFML 4.5.3: three labels over bars {0,1,2}, {2,3}, {4,5}; after drawing the
        // second, the odds are 5/14, 3/14, 6/14.
        let s = spans(&[(0, 2), (2, 3), (4, 5)]);
        let mut boot = SequentialBootstrap::new(6, &s);
        for p in boot.probabilities() {
            assert!((p - 1.0 / 3.0).abs() < 1e-15);
        }
        assert_eq!(boot.draw(&mut Fixed(0.5)), 1);
        let p = boot.probabilities();
        for (got, want) in p.iter().zip([5.0 / 14.0, 3.0 / 14.0, 6.0 / 14.0]) {
            assert!((got - want).abs() < 1e-15, "{p:?}");
        }
    }

    #[test]
    fn concurrency_and_uniqueness_count_both_ends() {
        let s = spans(&[(0, 2), (2, 3)]);
        let c = concurrency(5, &s);
        assert_eq!(c, vec![1, 1, 2, 1, 0]);
        let u = average_uniqueness(&s, &c);
        assert!((u[0] - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-15);
        assert!((u[1] - 0.75).abs() < 1e-15);
    }

    #[test]
    fn time_decay_runs_from_decay_to_one() {
        let u = [0.5, 0.5, 1.0];
        let w = time_decay(&u, 0.5);
        assert!((w[2] - 1.0).abs() < 1e-15);
        // x = [.5, 1, 2], slope = .5/2, const = .5: w = .5 + .25 x
        assert!((w[0] - 0.625).abs() < 1e-15 && (w[1] - 0.75).abs() < 1e-15);
        let z = time_decay(&u, -0.5);
        // slope = 1 / (.5 * 2) = 1, const = -1: w = max(0, x - 1)
        assert_eq!(z, vec![0.0, 0.0, 1.0]);
        assert_eq!(time_decay(&u, 1.0), vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn quality_weights_stay_in_range() {
        let q = quality_weights(&[0.0, 0.005, 0.02, -0.03], &[0.01, 0.01, 0.01, 0.01]);
        assert_eq!(q, vec![0.5, 1.0, 1.5, 1.5]);
    }

    proptest! {
        /// The incremental odds equal a from-scratch recomputation after any draws.
        #[test]
        fn prop_incremental_odds_match_direct(raw in proptest::collection::vec((0usize..40, 0usize..6), 1..30), seed: u64, draws in 1usize..20) {
            let s: Vec<Span> = raw.iter().map(|&(a, l)| Span { start: a, end: a + l }).collect();
            let mut boot = SequentialBootstrap::new(46, &s);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let drawn = boot.sample(draws, &mut rng);
            let c = concurrency(46, &drawn.iter().map(|&i| s[i]).collect::<Vec<_>>());
            let direct: Vec<f64> = s.iter().map(|sp| (sp.start..=sp.end).map(|t| 1.0 / (f64::from(c[t]) + 1.0)).sum::<f64>() / sp.len() as f64).collect();
            let total: f64 = direct.iter().sum();
            for (got, want) in boot.probabilities().iter().zip(&direct) {
                prop_assert!((got - want / total).abs() < 1e-12);
            }
            prop_assert!(drawn.iter().all(|&i| i < s.len()));
        }
    }
}
