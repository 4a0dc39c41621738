//! Growing one histogram tree: the learner shared by gradient boosting and the random
//! forest.
//!
//! Each row carries `S` statistics: `S - 1` gradient components and a hessian (GBDT:
//! one class's gradient and hessian, `S = 2`; random forest: minus the weighted one-hot
//! class and the weight, `S = 4`, so the gain is the weighted Gini decrease). A leaf's
//! histogram sums them per feature bin; the best split of a leaf maximises
//! `score(left) + score(right) - score(parent)` with `score = sum_k T(G_k)^2 / (H + l2)`
//! and `T` the L1 soft threshold (LightGBM's objective). Only the smaller child's
//! histogram is built from rows; the larger one is the parent's minus it.
//!
//! Leaf-wise growth splits the leaf with the largest gain next (LightGBM); depth-wise
//! growth splits the shallowest splittable leaf next (XGBoost's `depthwise`). Ties go to
//! the lower feature, bin and leaf index, and histograms sum rows in row order whatever
//! the thread count, so a tree is a pure function of its inputs.

use rayon::prelude::*;

use super::bins::Binned;

/// Limits and penalties of one tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GrowParams {
    pub max_leaves: usize,
    /// 0: unlimited.
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian: f64,
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub min_gain: f64,
    pub depthwise: bool,
}

/// A fitted tree. Internal node `i` sends a row left iff `x[feature[i]] <= threshold[i]`
/// (equivalently `bin <= threshold_bin[i]`); a child `c < 0` is leaf `!c`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tree {
    pub feature: Vec<u32>,
    pub threshold_bin: Vec<u8>,
    pub threshold: Vec<f32>,
    pub left: Vec<i32>,
    pub right: Vec<i32>,
    pub gain: Vec<f64>,
    /// `S - 1` values per leaf.
    pub values: Vec<f64>,
}

impl Tree {
    pub(crate) fn leaves(&self) -> usize {
        self.feature.len() + 1
    }

    /// The leaf a raw feature row falls in.
    #[inline]
    pub(crate) fn leaf(&self, row: &[f32]) -> usize {
        if self.feature.is_empty() {
            return 0;
        }
        let mut node = 0i32;
        while node >= 0 {
            let n = node as usize;
            node = if row[self.feature[n] as usize] <= self.threshold[n] { self.left[n] } else { self.right[n] };
        }
        !node as usize
    }

    /// The leaf a binned row falls in.
    #[inline]
    pub(crate) fn leaf_binned(&self, row: &[u8]) -> usize {
        if self.feature.is_empty() {
            return 0;
        }
        let mut node = 0i32;
        while node >= 0 {
            let n = node as usize;
            node = if row[self.feature[n] as usize] <= self.threshold_bin[n] { self.left[n] } else { self.right[n] };
        }
        !node as usize
    }
}

#[derive(Clone, Copy, Debug)]
struct Split<const S: usize> {
    feature: u32,
    bin: u8,
    gain: f64,
    left: [f64; S],
}

struct Leaf<const S: usize> {
    begin: usize,
    end: usize,
    sum: [f64; S],
    depth: usize,
    hist: Vec<[f64; S]>,
    best: Option<Split<S>>,
    /// The internal node pointing at this leaf, and whether as its left child.
    parent: Option<(usize, bool)>,
}

/// A grown tree and, per leaf, the range of `rows` (as permuted by growing) it holds.
pub(crate) struct Grown {
    pub tree: Tree,
    pub ranges: Vec<(usize, usize)>,
}

#[inline]
fn soft_threshold(g: f64, l1: f64) -> f64 {
    if g > l1 {
        g - l1
    } else if g < -l1 {
        g + l1
    } else {
        0.0
    }
}

#[inline]
fn score<const S: usize>(s: &[f64; S], p: &GrowParams) -> f64 {
    let h = s[S - 1] + p.lambda_l2;
    s[..S - 1].iter().map(|&g| soft_threshold(g, p.lambda_l1).powi(2)).sum::<f64>() / h
}

/// Sums `stats` of `rows` per feature bin into `out` (zeroed first). Features are cut
/// into blocks processed in parallel; each bin still sums its rows in row order.
pub(crate) fn build_histogram<const S: usize>(binned: &Binned, rows: &[u32], stats: &[[f32; S]], out: &mut [[f64; S]]) {
    out.fill([0.0; S]);
    let d = binned.features;
    let threads = rayon::current_num_threads();
    let blocks = if rows.len() * d < 1 << 16 { 1 } else { threads.min(d).max(1) };
    let per = d.div_ceil(blocks);
    let mut slices: Vec<(usize, usize, &mut [[f64; S]])> = Vec::with_capacity(blocks);
    let mut rest = out;
    for b in 0..blocks {
        let (f0, f1) = (b * per, ((b + 1) * per).min(d));
        if f0 >= f1 {
            break;
        }
        let (head, tail) = rest.split_at_mut(binned.offsets[f1] - binned.offsets[f0]);
        slices.push((f0, f1, head));
        rest = tail;
    }
    slices.into_par_iter().for_each(|(f0, f1, hist)| {
        let base = binned.offsets[f0];
        let local: Vec<usize> = binned.offsets[f0..f1].iter().map(|o| o - base).collect();
        for &r in rows {
            let r = r as usize;
            let s = stats[r];
            let s64: [f64; S] = s.map(f64::from);
            let row = &binned.bins[r * d + f0..r * d + f1];
            for (&off, &b) in local.iter().zip(row) {
                let e = &mut hist[off + b as usize];
                for k in 0..S {
                    e[k] += s64[k];
                }
            }
        }
    });
}

fn best_split<const S: usize>(binned: &Binned, hist: &[[f64; S]], sum: &[f64; S], rows: usize, features: &[u32], p: &GrowParams) -> Option<Split<S>> {
    if rows < 2 * p.min_data_in_leaf.max(1) || sum[S - 1] < 2.0 * p.min_sum_hessian {
        return None;
    }
    let parent = score(sum, p);
    let count_per_hess = rows as f64 / sum[S - 1];
    let mut best: Option<Split<S>> = None;
    for &f in features {
        let off = binned.offsets[f as usize];
        let bins = binned.mappers[f as usize].bins();
        let mut acc = [0.0; S];
        for b in 0..bins - 1 {
            let e = &hist[off + b];
            for k in 0..S {
                acc[k] += e[k];
            }
            let left_h = acc[S - 1];
            let right_h = sum[S - 1] - left_h;
            // Row counts estimated from hessians, as LightGBM does.
            let left_n = (left_h * count_per_hess).round() as usize;
            if left_n < p.min_data_in_leaf || left_h < p.min_sum_hessian {
                continue;
            }
            if rows.saturating_sub(left_n) < p.min_data_in_leaf || right_h < p.min_sum_hessian {
                break;
            }
            let mut right = [0.0; S];
            for k in 0..S {
                right[k] = sum[k] - acc[k];
            }
            let gain = score(&acc, p) + score(&right, p) - parent;
            if gain > p.min_gain && best.as_ref().is_none_or(|b| gain > b.gain) {
                best = Some(Split { feature: f, bin: b as u8, gain, left: acc });
            }
        }
    }
    best
}

/// Stable partition of `rows` by `bin(feature) <= bin`; returns the left count.
fn partition(binned: &Binned, rows: &mut [u32], feature: u32, bin: u8, scratch: &mut Vec<u32>) -> usize {
    let d = binned.features;
    let f = feature as usize;
    scratch.clear();
    let mut left = 0;
    for i in 0..rows.len() {
        let r = rows[i];
        if binned.bins[r as usize * d + f] <= bin {
            rows[left] = r;
            left += 1;
        } else {
            scratch.push(r);
        }
    }
    rows[left..].copy_from_slice(scratch);
    left
}

/// Grows one tree on `rows` (permuted in place so each leaf's rows are contiguous).
/// `features` picks the features a node may split on (called once per node).
pub(crate) fn grow<const S: usize>(binned: &Binned, rows: &mut [u32], stats: &[[f32; S]], p: &GrowParams, features: &mut dyn FnMut() -> Vec<u32>) -> Grown {
    let total_bins = binned.total_bins();
    let mut sum = [0.0; S];
    for &r in rows.iter() {
        let s = stats[r as usize];
        for k in 0..S {
            sum[k] += f64::from(s[k]);
        }
    }
    let mut hist = vec![[0.0; S]; total_bins];
    build_histogram(binned, rows, stats, &mut hist);
    let splittable = |depth: usize| p.max_depth == 0 || depth < p.max_depth;
    let best = if splittable(0) { best_split(binned, &hist, &sum, rows.len(), &features(), p) } else { None };
    let mut leaves: Vec<Leaf<S>> = vec![Leaf { begin: 0, end: rows.len(), sum, depth: 0, hist, best, parent: None }];
    let mut tree = Tree::default();
    let mut scratch = Vec::new();
    while leaves.len() < p.max_leaves.max(1) {
        let pick = leaves.iter().enumerate().filter_map(|(i, l)| l.best.map(|b| (i, b.gain, l.depth))).reduce(|a, b| {
            let better = if p.depthwise { b.2 < a.2 } else { b.1 > a.1 };
            if better { b } else { a }
        });
        let Some((li, _, _)) = pick else { break };
        let split = leaves[li].best.take().expect("picked leaf has a split");
        let (begin, end, depth) = (leaves[li].begin, leaves[li].end, leaves[li].depth);
        let n_left = partition(binned, &mut rows[begin..end], split.feature, split.bin, &mut scratch);

        let node = tree.feature.len();
        tree.feature.push(split.feature);
        tree.threshold_bin.push(split.bin);
        tree.threshold.push(binned.mappers[split.feature as usize].upper[split.bin as usize]);
        tree.gain.push(split.gain);
        let new_leaf = leaves.len();
        tree.left.push(!(li as i32));
        tree.right.push(!(new_leaf as i32));
        if let Some((parent, is_left)) = leaves[li].parent {
            if is_left {
                tree.left[parent] = node as i32;
            } else {
                tree.right[parent] = node as i32;
            }
        }

        let parent_sum = leaves[li].sum;
        let mut right_sum = [0.0; S];
        for k in 0..S {
            right_sum[k] = parent_sum[k] - split.left[k];
        }
        let (l_range, r_range) = ((begin, begin + n_left), (begin + n_left, end));
        // Histogram of the smaller child from its rows; the larger is parent minus it.
        let mut small = vec![[0.0; S]; total_bins];
        let left_is_small = n_left <= end - begin - n_left;
        let (s0, s1) = if left_is_small { l_range } else { r_range };
        build_histogram(binned, &rows[s0..s1], stats, &mut small);
        let mut large = std::mem::take(&mut leaves[li].hist);
        large.iter_mut().zip(&small).for_each(|(a, b)| {
            for k in 0..S {
                a[k] -= b[k];
            }
        });
        let (left_hist, right_hist) = if left_is_small { (small, large) } else { (large, small) };

        let child_depth = depth + 1;
        let left_best = if splittable(child_depth) { best_split(binned, &left_hist, &split.left, n_left, &features(), p) } else { None };
        let right_best = if splittable(child_depth) { best_split(binned, &right_hist, &right_sum, end - begin - n_left, &features(), p) } else { None };
        leaves[li] =
            Leaf { begin: l_range.0, end: l_range.1, sum: split.left, depth: child_depth, hist: left_hist, best: left_best, parent: Some((node, true)) };
        leaves.push(Leaf {
            begin: r_range.0,
            end: r_range.1,
            sum: right_sum,
            depth: child_depth,
            hist: right_hist,
            best: right_best,
            parent: Some((node, false)),
        });
    }
    let mut ranges = Vec::with_capacity(leaves.len());
    for leaf in &leaves {
        let h = leaf.sum[S - 1] + p.lambda_l2;
        for k in 0..S - 1 {
            tree.values.push(if h > 0.0 { -soft_threshold(leaf.sum[k], p.lambda_l1) / h } else { 0.0 });
        }
        ranges.push((leaf.begin, leaf.end));
    }
    Grown { tree, ranges }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::checkerboard;

    fn params() -> GrowParams {
        GrowParams { max_leaves: 8, max_depth: 0, min_data_in_leaf: 5, min_sum_hessian: 1e-3, lambda_l1: 0.0, lambda_l2: 0.0, min_gain: 0.0, depthwise: false }
    }

    #[test]
    fn finds_the_splits_of_a_checkerboard_and_routes_raw_and_binned_rows_alike() {
        let s = checkerboard(2000, 1);
        let binned = Binned::fit(&s, 63, 100_000);
        // Regression on "is long": gradient -y, hessian 1.
        let stats: Vec<[f32; 2]> = s.y.iter().map(|&c| [-f32::from(u8::from(c == 2)), 1.0]).collect();
        let mut rows: Vec<u32> = (0..s.len() as u32).collect();
        let all: Vec<u32> = (0..4).collect();
        let grown = grow(&binned, &mut rows, &stats, &params(), &mut || all.clone());
        let t = &grown.tree;
        assert!(t.feature[..2].iter().all(|&f| f < 2), "first splits use the informative features: {:?}", t.feature);
        for i in 0..s.len() {
            assert_eq!(t.leaf(s.row(i)), t.leaf_binned(binned.row(i)));
        }
        for (leaf, &(b, e)) in grown.ranges.iter().enumerate() {
            assert!(rows[b..e].iter().all(|&r| t.leaf(s.row(r as usize)) == leaf));
        }
        // Leaf values are minus the mean gradient: the share of "long" rows.
        let v = t.values[t.leaf(&[0.5, 0.5, 0.0, 0.0])];
        assert!(v > 0.8, "{v}");
    }

    #[test]
    fn respects_depth_leaves_and_min_data() {
        let s = checkerboard(1000, 2);
        let binned = Binned::fit(&s, 255, 100_000);
        let stats: Vec<[f32; 2]> = s.y.iter().map(|&c| [f32::from(c) - 1.0, 1.0]).collect();
        let all: Vec<u32> = (0..4).collect();
        for depthwise in [false, true] {
            let p = GrowParams { max_leaves: 64, max_depth: 3, min_data_in_leaf: 40, depthwise, ..params() };
            let mut rows: Vec<u32> = (0..s.len() as u32).collect();
            let g = grow(&binned, &mut rows, &stats, &p, &mut || all.clone());
            assert!(g.tree.leaves() <= 8);
            assert!(g.ranges.iter().all(|(b, e)| e - b >= 40 - 1), "{:?}", g.ranges);
        }
    }

    #[test]
    fn histograms_do_not_depend_on_the_thread_count() {
        let s = checkerboard(30_000, 3);
        let binned = Binned::fit(&s, 255, 100_000);
        let stats: Vec<[f32; 2]> = (0..s.len()).map(|i| [(i % 7) as f32 * 0.1 - 0.3, 1.0 + (i % 3) as f32]).collect();
        let rows: Vec<u32> = (0..s.len() as u32).step_by(3).collect();
        let run = |threads| {
            let mut out = vec![[0.0; 2]; binned.total_bins()];
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| build_histogram(&binned, &rows, &stats, &mut out));
            out
        };
        assert_eq!(run(1), run(3));
    }
}
