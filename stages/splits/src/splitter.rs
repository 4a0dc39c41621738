//! The splitter library: purged and embargoed train/test index sets for overlapping labels.
//!
//! Every observation carries its information interval `[t0, t1]` (closed): the event
//! time and the time its label is known, in any monotone unit (timestamps in ns, or bar
//! positions). Observations are in time order (`t0` non-decreasing). The splitters return
//! sorted 0-based positions.
//!
//! **Purge** (closed overlap): a training observation is dropped when its interval
//! intersects the interval of any test observation. **Embargo**: after each contiguous
//! block of test positions, the `embargo` positions starting at the first observation
//! with `t0 >= ` the block's largest `t1` are dropped from training too (training data
//! right after a test period can share information with it through serial correlation).
//! This is the convention of timeseriescv's `CombPurgedKFoldCV` and of the "closed
//! overlap" reference in `shared/reference/finml`; mlfinlab's `PurgedKFold` differs (it
//! starts its purge window at the first test observation's `t1`), see `docs/splits.md`.
//!
//! ```
//! use mlfactory_splits::splitter::{CombinatorialPurgedKFold, Interval, PurgedKFold, WalkForward, Window};
//!
//! // ten events, each labelled over the next two bars
//! let info: Vec<Interval> = (0..10).map(|i| Interval::new(i, i + 2)).collect();
//! let folds = PurgedKFold::new(5).with_embargo(2).split(&info).unwrap();
//! assert_eq!(folds[1].test, vec![2, 3]);
//! // 0, 1, 4, 5 overlap the test; the embargo drops 5 (already purged) and 6
//! assert_eq!(folds[1].train, vec![7, 8, 9]);
//!
//! let cpcv = CombinatorialPurgedKFold::new(6, 2);
//! assert_eq!(cpcv.combinations().len(), 15);
//! assert_eq!(cpcv.n_paths(), 5);
//! let splits = cpcv.split(&info).unwrap();
//! assert_eq!(splits[0].test_groups, vec![0, 1]);
//!
//! let wf = WalkForward { n_splits: 3, window: Window::Expanding, test_size: None };
//! assert_eq!(wf.split(&info).unwrap().len(), 3);
//! ```

use std::ops::Range;

use mlfactory_engine::StageError;

/// An observation's information interval `[t0, t1]`, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub t0: i64,
    pub t1: i64,
}

impl Interval {
    pub const fn new(t0: i64, t1: i64) -> Self {
        Self { t0, t1 }
    }
}

/// One train/test split: sorted positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// numpy's `array_split(range(n), k)`: `k` contiguous groups, the first `n % k` one longer.
pub fn array_split(n: usize, k: usize) -> Vec<Range<usize>> {
    let k = k.max(1);
    let (base, extra) = (n / k, n % k);
    let mut start = 0;
    (0..k)
        .map(|g| {
            let len = base + usize::from(g < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

/// Checks that `t0` never decreases and `t1 >= t0`.
pub fn check_order(info: &[Interval]) -> Result<(), StageError> {
    if let Some(i) = (1..info.len()).find(|&i| info[i].t0 < info[i - 1].t0) {
        return Err(StageError::data_hint(
            format!("observation {i}: t0 {} is before the previous one's {}", info[i].t0, info[i - 1].t0),
            "sort observations by event time before splitting",
        ));
    }
    if let Some(i) = info.iter().position(|iv| iv.t1 < iv.t0) {
        return Err(StageError::data_hint(
            format!("observation {i}: t1 {} is before its t0 {}", info[i].t1, info[i].t0),
            "t1 is when the label is known, at or after the event",
        ));
    }
    Ok(())
}

/// Contiguous runs of a sorted position list.
fn blocks(test: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &p in test {
        match out.last_mut() {
            Some(r) if r.end == p => r.end = p + 1,
            _ => out.push(p..p + 1),
        }
    }
    out
}

/// Training positions for a test set: every other position, less those whose interval
/// overlaps a test interval (purge) and the `embargo` positions after each test block.
///
/// `test` must be sorted; `info` in time order (see [`check_order`]).
pub fn train_positions(info: &[Interval], test: &[usize], embargo: usize) -> Vec<usize> {
    let n = info.len();
    let mut keep = vec![true; n];
    for block in blocks(test) {
        keep[block.clone()].fill(false);
        let first_t0 = info[block.start].t0;
        let last_t1 = info[block.clone()].iter().map(|iv| iv.t1).max().unwrap_or(first_t0);
        // before the block (t0 <= first_t0): overlap iff t1 >= first_t0
        for (k, iv) in keep[..block.start].iter_mut().zip(info) {
            if iv.t1 >= first_t0 {
                *k = false;
            }
        }
        // after the block (t0 >= first_t0): overlap iff t0 <= last_t1
        let mut i = block.end;
        while i < n && info[i].t0 <= last_t1 {
            keep[i] = false;
            i += 1;
        }
        let start = info.partition_point(|iv| iv.t0 < last_t1);
        for k in keep.iter_mut().skip(start).take(embargo) {
            *k = false;
        }
    }
    (0..n).filter(|&i| keep[i]).collect()
}

/// Purged k-fold cross-validation: `n_splits` contiguous test folds (numpy
/// `array_split`), each trained on the rest after purge and embargo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgedKFold {
    pub n_splits: usize,
    /// Positions embargoed after each test fold (AFML: `int(n * pct_embargo)`).
    pub embargo: usize,
}

impl PurgedKFold {
    pub fn new(n_splits: usize) -> Self {
        Self { n_splits, embargo: 0 }
    }

    pub fn with_embargo(self, embargo: usize) -> Self {
        Self { embargo, ..self }
    }

    /// The embargo as AFML's `pct_embargo`: `int(n * pct)` positions.
    pub fn with_embargo_pct(self, n: usize, pct: f64) -> Self {
        self.with_embargo((n as f64 * pct) as usize)
    }

    pub fn split(&self, info: &[Interval]) -> Result<Vec<Fold>, StageError> {
        check_order(info)?;
        check_groups(info.len(), self.n_splits, "n_splits")?;
        Ok(array_split(info.len(), self.n_splits)
            .into_iter()
            .map(|r| {
                let test: Vec<usize> = r.collect();
                Fold { train: train_positions(info, &test, self.embargo), test }
            })
            .collect())
    }
}

fn check_groups(n: usize, k: usize, what: &str) -> Result<(), StageError> {
    if k < 2 || k > n {
        return Err(StageError::data_hint(
            format!("`{what}` = {k} with {n} observations"),
            format!("`{what}` must be between 2 and the number of observations"),
        ));
    }
    Ok(())
}

/// How a walk-forward training window grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Train on everything before the test block.
    Expanding,
    /// Train on at most this many observations before the test block.
    Rolling { train: usize },
}

/// Walk-forward splits: `n_splits` consecutive test blocks at the end of the data, each
/// trained on observations before it, purged of those whose label reaches into it.
/// Training never follows a test block, so no embargo applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkForward {
    pub n_splits: usize,
    pub window: Window,
    /// Observations per test block; `None`: `n / (n_splits + 1)` (scikit-learn's `TimeSeriesSplit`).
    pub test_size: Option<usize>,
}

impl WalkForward {
    pub fn split(&self, info: &[Interval]) -> Result<Vec<Fold>, StageError> {
        check_order(info)?;
        let n = info.len();
        if self.n_splits == 0 {
            return Err(StageError::data_hint("walk-forward with `n_splits` = 0", "use at least one split"));
        }
        let test_size = self.test_size.unwrap_or(n / (self.n_splits + 1));
        if test_size == 0 || test_size * self.n_splits >= n {
            return Err(StageError::data_hint(
                format!("walk-forward needs more than {} x {test_size} observations, got {n}", self.n_splits),
                "lower `n_splits` or `test_size`",
            ));
        }
        let first_test = n - test_size * self.n_splits;
        Ok((0..self.n_splits)
            .map(|s| {
                let start = first_test + s * test_size;
                let test: Vec<usize> = (start..start + test_size).collect();
                let earliest = match self.window {
                    Window::Expanding => 0,
                    Window::Rolling { train } => start.saturating_sub(train),
                };
                // purge against this test block; the whole future (test and after) is excluded
                let future: Vec<usize> = (start..n).collect();
                let train = train_positions(info, &future, 0).into_iter().filter(|&i| i >= earliest).collect();
                Fold { train, test }
            })
            .collect())
    }
}

/// One split of a combinatorial purged k-fold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpcvSplit {
    /// The test groups, ascending.
    pub test_groups: Vec<usize>,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Combinatorial purged cross-validation (AFML ch. 12): `n_groups` contiguous groups
/// (numpy `array_split`), every combination of `n_test_groups` of them as a test set
/// (lexicographic order), trained on the rest after purge and an embargo after each
/// contiguous test block. The test predictions assemble into
/// `n_paths = C(n_groups - 1, n_test_groups - 1)` full backtest paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CombinatorialPurgedKFold {
    pub n_groups: usize,
    pub n_test_groups: usize,
    pub embargo: usize,
}

impl CombinatorialPurgedKFold {
    pub fn new(n_groups: usize, n_test_groups: usize) -> Self {
        Self { n_groups, n_test_groups, embargo: 0 }
    }

    pub fn with_embargo(self, embargo: usize) -> Self {
        Self { embargo, ..self }
    }

    /// The groups' position ranges for `n` observations.
    pub fn groups(&self, n: usize) -> Vec<Range<usize>> {
        array_split(n, self.n_groups)
    }

    /// Every test-group combination, in lexicographic order (`itertools.combinations`).
    pub fn combinations(&self) -> Vec<Vec<usize>> {
        combinations(self.n_groups, self.n_test_groups)
    }

    /// `C(N-1, k-1)`: how many complete backtest paths the splits assemble into.
    pub fn n_paths(&self) -> usize {
        binomial(self.n_groups.saturating_sub(1), self.n_test_groups.saturating_sub(1))
    }

    /// `paths[p][g]`: the split whose test predictions path `p` uses for group `g`: the
    /// `p`-th split (in split order) having `g` among its test groups.
    pub fn paths(&self) -> Vec<Vec<usize>> {
        let combos = self.combinations();
        let mut paths = vec![vec![0; self.n_groups]; self.n_paths()];
        for g in 0..self.n_groups {
            let using = combos.iter().enumerate().filter(|(_, c)| c.contains(&g)).map(|(s, _)| s);
            for (path, s) in paths.iter_mut().zip(using) {
                path[g] = s;
            }
        }
        paths
    }

    pub fn split(&self, info: &[Interval]) -> Result<Vec<CpcvSplit>, StageError> {
        check_order(info)?;
        check_groups(info.len(), self.n_groups, "n_groups")?;
        if self.n_test_groups == 0 || self.n_test_groups >= self.n_groups {
            return Err(StageError::data_hint(
                format!("`n_test_groups` = {} with {} groups", self.n_test_groups, self.n_groups),
                "n_test_groups must be at least 1 and less than n_groups",
            ));
        }
        let groups = self.groups(info.len());
        Ok(self
            .combinations()
            .into_iter()
            .map(|test_groups| {
                let test: Vec<usize> = test_groups.iter().flat_map(|&g| groups[g].clone()).collect();
                CpcvSplit { train: train_positions(info, &test, self.embargo), test, test_groups }
            })
            .collect())
    }
}

/// `C(n, k)`.
pub fn binomial(n: usize, k: usize) -> usize {
    if k > n {
        return 0;
    }
    (0..k.min(n - k)).fold(1usize, |acc, i| acc * (n - i) / (i + 1))
}

/// All `k`-subsets of `0..n` in lexicographic order.
pub fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if k > n {
        return out;
    }
    let mut c: Vec<usize> = (0..k).collect();
    loop {
        out.push(c.clone());
        let Some(i) = (0..k).rev().find(|&i| c[i] != i + n - k) else { return out };
        c[i] += 1;
        for j in i + 1..k {
            c[j] = c[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn array_split_matches_numpy() {
        assert_eq!(array_split(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(array_split(100, 6).iter().map(|r| r.end - r.start).collect::<Vec<_>>(), vec![17, 17, 17, 17, 16, 16]);
    }

    #[test]
    fn combinatorics() {
        assert_eq!(combinations(4, 2), vec![vec![0, 1], vec![0, 2], vec![0, 3], vec![1, 2], vec![1, 3], vec![2, 3]]);
        assert_eq!(binomial(6, 2), 15);
        let cpcv = CombinatorialPurgedKFold::new(6, 2);
        assert_eq!(cpcv.n_paths(), 5);
        let paths = cpcv.paths();
        // every path covers every group once, and each split's test groups are used once per group
        for g in 0..6 {
            let mut used: Vec<usize> = paths.iter().map(|p| p[g]).collect();
            used.sort_unstable();
            let expected: Vec<usize> = cpcv.combinations().iter().enumerate().filter(|(_, c)| c.contains(&g)).map(|(s, _)| s).collect();
            assert_eq!(used, expected);
        }
        assert_eq!(CombinatorialPurgedKFold::new(8, 3).n_paths(), 21);
        assert_eq!(CombinatorialPurgedKFold::new(10, 3).n_paths(), 36);
    }

    #[test]
    fn walk_forward_trains_only_on_the_past_and_purges_into_the_test() {
        let info: Vec<Interval> = (0..20).map(|i| Interval::new(i, i + 3)).collect();
        let wf = WalkForward { n_splits: 3, window: Window::Rolling { train: 6 }, test_size: Some(4) };
        let folds = wf.split(&info).unwrap();
        assert_eq!(folds[0].test, vec![8, 9, 10, 11]);
        assert_eq!(folds[0].train, vec![2, 3, 4]); // 5, 6, 7 reach into 8; rolling window starts at 2
        assert_eq!(folds[2].test, vec![16, 17, 18, 19]);
        assert_eq!(folds[2].train, vec![10, 11, 12]);
        let exp = WalkForward { window: Window::Expanding, ..wf }.split(&info).unwrap();
        assert_eq!(exp[2].train, (0..=12).collect::<Vec<_>>());
    }

    fn brute_force(info: &[Interval], test: &[usize], embargo: usize) -> Vec<usize> {
        let overlaps = |a: &Interval, b: &Interval| a.t0 <= b.t1 && b.t0 <= a.t1;
        let mut embargoed = vec![false; info.len()];
        for block in blocks(test) {
            let last_t1 = info[block].iter().map(|iv| iv.t1).max().unwrap();
            let start = info.iter().position(|iv| iv.t0 >= last_t1).unwrap_or(info.len());
            for e in embargoed.iter_mut().skip(start).take(embargo) {
                *e = true;
            }
        }
        (0..info.len()).filter(|i| !test.contains(i) && !embargoed[*i] && !test.iter().any(|&j| overlaps(&info[*i], &info[j]))).collect()
    }

    proptest! {
        /// The fast purge equals the definition (no train interval overlaps a test one).
        #[test]
        fn prop_purge_matches_brute_force(raw in proptest::collection::vec((0i64..3, 0i64..12), 5..60), k in 2usize..6, embargo in 0usize..4, g in 0usize..6) {
            let mut t = 0;
            let info: Vec<Interval> = raw.iter().map(|&(step, len)| { t += step; Interval::new(t, t + len) }).collect();
            let k = k.min(info.len());
            let groups = array_split(info.len(), k);
            let test: Vec<usize> = groups[g % k].clone().collect();
            prop_assert_eq!(train_positions(&info, &test, embargo), brute_force(&info, &test, embargo));
            let two: Vec<usize> = groups[0].clone().chain(groups[k - 1].clone()).collect();
            prop_assert_eq!(train_positions(&info, &two, embargo), brute_force(&info, &two, embargo));
        }
    }
}
