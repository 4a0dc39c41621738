//! `gbdt`: histogram gradient boosting with a multiclass softmax objective, the
//! LightGBM recipe written for our determinism contract.
//!
//! Each round computes softmax probabilities of the current scores, gradients
//! `w (p_k - y_k)` and hessians `w K/(K-1) p_k (1 - p_k)` (LightGBM's multiclass factor),
//! and grows one tree per class on them (the three trees in parallel). Scores start at
//! the log class priors. Leaf values are `-T(G) / (H + lambda_l2)` times the learning
//! rate. With a validation split, training stops once the validation log loss has not
//! improved for `early_stopping_rounds` rounds and keeps the best round's trees.
//!
//! Every random draw (bagging, feature fractions) comes from the fit context's named
//! streams, drawn sequentially; trees are pure functions of their inputs (see
//! [`super::grow`]); so a model is byte-identical for any thread count.

use mlfactory_engine::{ParamIssue, StageError};
use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bins::Binned;
use super::grow::{GrowParams, Tree, grow};
use super::{Importance, importance, load_trees, save_trees};
use crate::catalog::{ModelCatalog, ModelKind};
use crate::linear::ensure_features;
use crate::linear::logistic::softmax;
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::parallel::{map_rows, sum_rows};
use crate::samples::{Class, Samples};
use crate::saved::{SavedModel, Tensor};

const K: usize = Class::COUNT;

/// Tree growth order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Split the leaf with the largest gain next (LightGBM).
    #[default]
    Leafwise,
    /// Split the shallowest leaf next, level by level (XGBoost's `depthwise`).
    Depthwise,
}

/// Params of `gbdt` (names follow LightGBM's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GbdtParams {
    /// Boosting rounds; each adds one tree per class.
    pub num_rounds: usize,
    /// Shrinkage applied to every tree's leaf values.
    pub learning_rate: f64,
    /// Leaves per tree at most.
    pub num_leaves: usize,
    /// Tree depth at most; 0 = unlimited (only `num_leaves` bounds the tree).
    pub max_depth: usize,
    /// Growth order: `leafwise` or `depthwise`.
    pub growth: Growth,
    /// Rows a leaf must hold at least.
    pub min_data_in_leaf: usize,
    /// Sum of hessians a leaf must hold at least.
    pub min_sum_hessian_in_leaf: f64,
    /// Smallest gain that makes a split.
    pub min_gain_to_split: f64,
    /// Share of features each tree may split on (drawn per tree).
    pub feature_fraction: f64,
    /// Share of rows each round trains on (1 = no bagging).
    pub bagging_fraction: f64,
    /// Redraw the bag every this many rounds (when `bagging_fraction < 1`).
    pub bagging_freq: usize,
    /// L1 penalty on leaf values.
    pub lambda_l1: f64,
    /// L2 penalty on leaf values.
    pub lambda_l2: f64,
    /// Bins per feature at most (2..=256).
    pub max_bin: usize,
    /// Rows sampled (evenly spaced) to place bin boundaries.
    pub bin_sample: usize,
    /// Stop when the validation log loss has not improved for this many rounds, keeping
    /// the best round; 0 = never stop early.
    pub early_stopping_rounds: usize,
    /// What `feature_importance` reports: `gain` or `split`.
    pub importance: Importance,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            num_rounds: 200,
            learning_rate: 0.05,
            num_leaves: 31,
            max_depth: 0,
            growth: Growth::Leafwise,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            min_gain_to_split: 0.0,
            feature_fraction: 1.0,
            bagging_fraction: 1.0,
            bagging_freq: 1,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            max_bin: 255,
            bin_sample: 200_000,
            early_stopping_rounds: 20,
            importance: Importance::Gain,
        }
    }
}

/// The `gbdt` model type.
#[derive(Debug, Default)]
pub struct Gbdt;

fn fraction(path: &str, v: f64) -> Result<(), ParamIssue> {
    if v > 0.0 && v <= 1.0 { Ok(()) } else { Err(ParamIssue::new(&[path], format!("must be in (0, 1], got {v}"))) }
}

fn non_negative(path: &str, v: f64) -> Result<(), ParamIssue> {
    if v.is_finite() && v >= 0.0 { Ok(()) } else { Err(ParamIssue::new(&[path], format!("must be a non-negative number, got {v}"))) }
}

impl ModelKind for Gbdt {
    type Params = GbdtParams;
    const NAME: &'static str = "gbdt";
    const ABOUT: &'static str = "Histogram gradient boosting (LightGBM-class): leaf-wise or depth-wise trees, softmax over 3 classes, early stopping.";

    fn check(&self, p: &GbdtParams, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        if p.num_rounds == 0 {
            return Err(ParamIssue::new(&["num_rounds"], "must be at least 1"));
        }
        if !(p.learning_rate > 0.0 && p.learning_rate <= 1.0) {
            return Err(ParamIssue::new(&["learning_rate"], format!("must be in (0, 1], got {}", p.learning_rate)).hint("0.05 to 0.1 is usual"));
        }
        if p.num_leaves < 2 {
            return Err(ParamIssue::new(&["num_leaves"], "must be at least 2"));
        }
        if !(2..=256).contains(&p.max_bin) {
            return Err(ParamIssue::new(&["max_bin"], format!("must be in 2..=256, got {}", p.max_bin)));
        }
        if p.bagging_freq == 0 {
            return Err(ParamIssue::new(&["bagging_freq"], "must be at least 1"));
        }
        if p.bin_sample == 0 {
            return Err(ParamIssue::new(&["bin_sample"], "must be at least 1"));
        }
        fraction("feature_fraction", p.feature_fraction)?;
        fraction("bagging_fraction", p.bagging_fraction)?;
        non_negative("lambda_l1", p.lambda_l1)?;
        non_negative("lambda_l2", p.lambda_l2)?;
        non_negative("min_gain_to_split", p.min_gain_to_split)?;
        non_negative("min_sum_hessian_in_leaf", p.min_sum_hessian_in_leaf)
    }

    fn build(&self, params: &GbdtParams, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(GbdtModel { params: params.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config = serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("gbdt model config: {e}")))?;
        let init = saved.f64s("init_score")?;
        let init: [f64; K] = init.try_into().map_err(|_| StageError::data("gbdt model: `init_score` must hold 3 values"))?;
        let trees = load_trees(saved, 1, config.features.len())?;
        if trees.len() % K != 0 {
            return Err(StageError::data("gbdt model: tree count is not a multiple of 3"));
        }
        Ok(Box::new(GbdtModel { params: config.params, fitted: Some(Fitted { features: config.features, init, trees }) }))
    }
}

#[derive(Serialize, Deserialize)]
struct Config {
    params: GbdtParams,
    features: Vec<String>,
}

struct Fitted {
    features: Vec<String>,
    init: [f64; K],
    /// Round-major: tree `r * 3 + k` is round `r`'s tree for class `k`.
    trees: Vec<Tree>,
}

impl Fitted {
    fn scores(&self, row: &[f32]) -> [f64; K] {
        let mut z = self.init;
        for (t, tree) in self.trees.iter().enumerate() {
            z[t % K] += tree.values[tree.leaf(row)];
        }
        z
    }
}

struct GbdtModel {
    params: GbdtParams,
    fitted: Option<Fitted>,
}

/// Weighted mean log loss of softmax(scores).
fn log_loss(scores: &[[f64; K]], y: &[u8], w: &[f32]) -> f64 {
    let acc = sum_rows(scores.len(), 2, |rows, acc| {
        for i in rows {
            let mut z = scores[i];
            let zy = z[y[i] as usize];
            let lse = softmax(&mut z);
            acc[0] += f64::from(w[i]) * (lse - zy);
            acc[1] += f64::from(w[i]);
        }
    });
    acc[0] / acc[1].max(f64::MIN_POSITIVE)
}

impl Model for GbdtModel {
    fn type_name(&self) -> &'static str {
        Gbdt::NAME
    }

    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        let p = &self.params;
        let n = train.len();
        if n == 0 {
            return Err(StageError::data_hint("the training split has no rows", "check the `splits` stage's fractions"));
        }
        if n > u32::MAX as usize {
            return Err(StageError::data(format!("gbdt trains on at most {} rows, got {n}", u32::MAX)));
        }
        let d = train.n_features();
        let binned = Binned::fit(train, p.max_bin, p.bin_sample);
        let w = &train.weight;
        let mut prior = [0.0; K];
        for (&c, &wi) in train.y.iter().zip(w) {
            prior[c as usize] += f64::from(wi);
        }
        let total: f64 = prior.iter().sum();
        if total <= 0.0 {
            return Err(StageError::data_hint("training rows have zero total weight", "check the dataset's `weight` column"));
        }
        let init = prior.map(|c| (c / total).max(1e-15).ln());
        let grow_params = GrowParams {
            max_leaves: p.num_leaves,
            max_depth: p.max_depth,
            min_data_in_leaf: p.min_data_in_leaf,
            min_sum_hessian: p.min_sum_hessian_in_leaf,
            lambda_l1: p.lambda_l1,
            lambda_l2: p.lambda_l2,
            min_gain: p.min_gain_to_split,
            depthwise: p.growth == Growth::Depthwise,
        };
        let mut scores = vec![init; n];
        let mut valid_scores = valid.map(|v| vec![init; v.len()]);
        let mut bag_rng = ctx.rng("bagging");
        let mut feature_rng = ctx.rng("features");
        let all_rows: Vec<u32> = (0..n as u32).collect();
        let mut bag = all_rows.clone();
        let bagging = p.bagging_fraction < 1.0;
        let n_features = ((p.feature_fraction * d as f64).ceil() as usize).clamp(1, d.max(1));
        let mut trees: Vec<Tree> = Vec::with_capacity(p.num_rounds * K);
        let mut report = FitReport::default();
        let mut best: Option<(usize, f64)> = None;
        ctx.progress().set_length(p.num_rounds as u64);
        for round in 0..p.num_rounds {
            // Gradients and hessians of every class from the current scores.
            let stats: Vec<[[f32; 2]; K]> = map_rows(n, |rows| {
                rows.map(|i| {
                    let mut z = scores[i];
                    softmax(&mut z);
                    let wi = f64::from(w[i]);
                    let y = train.y[i] as usize;
                    std::array::from_fn(|k| {
                        let target = if k == y { 1.0 } else { 0.0 };
                        [(wi * (z[k] - target)) as f32, (wi * 1.5 * z[k] * (1.0 - z[k])).max(1e-16) as f32]
                    })
                })
                .collect()
            });
            let per_class: Vec<Vec<[f32; 2]>> = (0..K).map(|k| stats.iter().map(|s| s[k]).collect()).collect();
            drop(stats);
            if bagging && round % p.bagging_freq == 0 {
                bag = all_rows.iter().copied().filter(|_| bag_rng.random::<f64>() < p.bagging_fraction).collect();
                if bag.is_empty() {
                    bag.push(bag_rng.random_range(0..n as u32));
                }
            }
            let feature_sets: Vec<Vec<u32>> = (0..K)
                .map(|_| {
                    let mut f: Vec<u32> = (0..d as u32).collect();
                    if n_features < d {
                        f.shuffle(&mut feature_rng);
                        f.truncate(n_features);
                        f.sort_unstable();
                    }
                    f
                })
                .collect();
            let grown: Vec<_> = (0..K)
                .into_par_iter()
                .map(|k| {
                    let mut rows = bag.clone();
                    let features = &feature_sets[k];
                    let g = grow(&binned, &mut rows, &per_class[k], &grow_params, &mut || features.clone());
                    (g, rows)
                })
                .collect();
            let mut split_any = false;
            for (k, (mut g, rows)) in grown.into_iter().enumerate() {
                g.tree.values.iter_mut().for_each(|v| *v *= p.learning_rate);
                split_any |= g.tree.leaves() > 1;
                if bagging {
                    let tree = &g.tree;
                    scores.par_iter_mut().enumerate().for_each(|(i, s)| s[k] += tree.values[tree.leaf_binned(binned.row(i))]);
                } else {
                    for (leaf, &(b, e)) in g.ranges.iter().enumerate() {
                        let v = g.tree.values[leaf];
                        rows[b..e].iter().for_each(|&r| scores[r as usize][k] += v);
                    }
                }
                if let (Some(vs), Some(v)) = (valid_scores.as_mut(), valid) {
                    let tree = &g.tree;
                    vs.par_iter_mut().enumerate().for_each(|(i, s)| s[k] += tree.values[tree.leaf(v.row(i))]);
                }
                trees.push(g.tree);
            }
            report.train_loss.push(log_loss(&scores, &train.y, w));
            ctx.progress().inc(1);
            if let (Some(vs), Some(v)) = (valid_scores.as_ref(), valid) {
                let loss = log_loss(vs, &v.y, &v.weight);
                report.valid_loss.push(loss);
                if best.is_none_or(|(_, b)| loss < b) {
                    best = Some((round, loss));
                }
                if p.early_stopping_rounds > 0 && best.is_some_and(|(b, _)| round - b >= p.early_stopping_rounds) {
                    break;
                }
            }
            if !split_any {
                ctx.log(format!("gbdt: no leaf can be split further after {} rounds", round + 1));
                break;
            }
        }
        let kept = match (best, p.early_stopping_rounds) {
            (Some((b, _)), stop) if stop > 0 => {
                report.best_iteration = Some(b);
                b + 1
            }
            _ => trees.len() / K,
        };
        trees.truncate(kept * K);
        report.iterations = kept;
        self.fitted = Some(Fitted { features: train.features.clone(), init, trees });
        Ok(report)
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("gbdt model used before fitting"))?;
        ensure_features(Gbdt::NAME, &fitted.features, data)?;
        Ok(map_rows(data.len(), |rows| {
            rows.map(|i| {
                let mut z = fitted.scores(data.row(i));
                softmax(&mut z);
                z
            })
            .collect()
        }))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("gbdt model saved before fitting"))?;
        let config = serde_json::json!({"params": self.params, "features": fitted.features});
        let saved = SavedModel::new(Gbdt::NAME, config).with("init_score", Tensor::f64(vec![K], fitted.init.to_vec()));
        Ok(save_trees(saved, &fitted.trees, 1))
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        let fitted = self.fitted.as_ref()?;
        Some(importance(&fitted.trees, fitted.features.len(), self.params.importance))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::metrics::Metrics;
    use crate::testdata::checkerboard;

    fn fit(params: GbdtParams, train: &Samples, valid: Option<&Samples>, seed: u64) -> (Box<dyn Model>, FitReport) {
        let mut m = Gbdt.build(&params, &ModelCatalog::new()).unwrap();
        let r = m.fit(train, valid, &FitContext::new(seed, &NullProgress)).unwrap();
        (m, r)
    }

    #[test]
    fn learns_a_pattern_linear_models_cannot() {
        let (train, valid, test) = (checkerboard(3000, 1), checkerboard(1000, 2), checkerboard(1000, 3));
        let (m, report) = fit(GbdtParams { num_rounds: 100, learning_rate: 0.1, ..Default::default() }, &train, Some(&valid), 0);
        let metrics = Metrics::compute(&test.y, &m.predict_proba(&test).unwrap());
        // 10% label noise over 3 classes: the Bayes accuracy is about 93%.
        assert!(metrics.accuracy > 0.88, "{metrics:?}");
        assert!(report.train_loss.windows(2).all(|w| w[1] <= w[0] + 1e-12));
        let imp = m.feature_importance().unwrap();
        assert!(imp[0] > imp[2] && imp[1] > imp[3], "informative features matter most: {imp:?}");
    }

    #[test]
    fn early_stopping_keeps_the_best_round() {
        let (train, valid) = (checkerboard(500, 4), checkerboard(500, 5));
        let p = GbdtParams { num_rounds: 400, learning_rate: 0.3, min_data_in_leaf: 2, early_stopping_rounds: 10, ..Default::default() };
        let (m, report) = fit(p, &train, Some(&valid), 0);
        let best = report.best_iteration.unwrap();
        assert_eq!(report.iterations, best + 1);
        assert!(report.valid_loss.len() < 400 && report.valid_loss.len() == best + 11);
        let min = report.valid_loss.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(report.valid_loss[best], min);
        let loss = Metrics::compute(&valid.y, &m.predict_proba(&valid).unwrap()).log_loss;
        assert!((loss - min).abs() < 1e-9, "kept model scores the best validation loss: {loss} vs {min}");
    }

    #[test]
    fn is_byte_identical_across_runs_and_thread_counts_and_round_trips() {
        let (train, valid) = (checkerboard(2000, 6), checkerboard(500, 7));
        let p = GbdtParams { num_rounds: 30, feature_fraction: 0.75, bagging_fraction: 0.8, lambda_l1: 0.1, lambda_l2: 1.0, ..Default::default() };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fit(p.clone(), &train, Some(&valid), 11).0.save().unwrap().to_bytes().unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(1));
        assert_eq!(one, run(4));
        let (other_seed, _) = fit(p.clone(), &train, Some(&valid), 12);
        assert_ne!(other_seed.save().unwrap().to_bytes().unwrap(), one, "bagging follows the seed");
        let (m, _) = fit(p, &train, Some(&valid), 11);
        let loaded = Gbdt.load(&SavedModel::from_bytes(&one).unwrap(), &ModelCatalog::new()).unwrap();
        assert_eq!(loaded.predict_proba(&valid).unwrap(), m.predict_proba(&valid).unwrap());
    }

    #[test]
    fn sample_weights_shift_the_prior() {
        let mut train = checkerboard(600, 8);
        for (i, &c) in train.y.clone().iter().enumerate() {
            if c == 0 {
                train.weight[i] = 10.0;
            }
        }
        let (m, _) = fit(GbdtParams { num_rounds: 1, ..Default::default() }, &train, None, 0);
        let p = m.predict_proba(&train).unwrap();
        let mean_short = p.iter().map(|r| r[0]).sum::<f64>() / p.len() as f64;
        assert!(mean_short > 0.6, "{mean_short}");
    }

    #[test]
    fn checks_params() {
        let c = ModelCatalog::new();
        assert_eq!(Gbdt.check(&GbdtParams { feature_fraction: 0.0, ..Default::default() }, &c).unwrap_err().path, ["feature_fraction"]);
        assert_eq!(Gbdt.check(&GbdtParams { max_bin: 1000, ..Default::default() }, &c).unwrap_err().path, ["max_bin"]);
        assert!(Gbdt.check(&GbdtParams::default(), &c).is_ok());
    }
}
