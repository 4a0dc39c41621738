//! `random_forest`: bagged classification trees with random feature subsets per node
//! (Breiman's forest, scikit-learn's defaults), grown by the histogram learner.
//!
//! A tree's rows carry `[-w y_short, -w y_neutral, -w y_long, w]` (`w` the sample
//! weight times the bootstrap count), so the split gain is the weighted Gini decrease
//! and a leaf's values are its class shares; the forest averages its trees' shares.
//! Splits are searched over histogram bins (`max_bin`), not over every distinct value
//! as scikit-learn does: on continuous features the two agree to within the bin width.
//!
//! Trees are grown in parallel, each from its own seed (`tree-{i}` under the fit seed)
//! and collected in index order: byte-identical for any thread count.

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
use crate::linear::{ClassWeight, ensure_features};
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::parallel::map_rows;
use crate::samples::{Class, Samples};
use crate::saved::SavedModel;

const K: usize = Class::COUNT;

/// Features a node may split on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// `ceil(sqrt(features))` (scikit-learn's default for classifiers).
    #[default]
    Sqrt,
    /// `ceil(log2(features))`.
    Log2,
    /// Every feature (bagged trees without feature subsampling).
    All,
}

/// Params of `random_forest`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ForestParams {
    /// Trees in the forest.
    pub n_trees: usize,
    /// Tree depth at most; 0 = unlimited.
    pub max_depth: usize,
    /// Leaves per tree at most; 0 = unlimited.
    pub max_leaves: usize,
    /// Rows a leaf must hold at least.
    pub min_data_in_leaf: usize,
    /// Features each node draws to search: `sqrt`, `log2` or `all`.
    pub max_features: MaxFeatures,
    /// Draw each tree's rows with replacement (off: every tree sees every row once).
    pub bootstrap: bool,
    /// Rows drawn per tree, as a share of the training rows.
    pub max_samples: f64,
    /// `none` (sample weights only) or `balanced` (also inverse class frequency).
    pub class_weight: ClassWeight,
    /// Bins per feature at most (2..=256).
    pub max_bin: usize,
    /// What `feature_importance` reports: `gain` (Gini decrease) or `split`.
    pub importance: Importance,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            max_depth: 12,
            max_leaves: 0,
            min_data_in_leaf: 1,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            max_samples: 1.0,
            class_weight: ClassWeight::None,
            max_bin: 255,
            importance: Importance::Gain,
        }
    }
}

/// The `random_forest` model type.
#[derive(Debug, Default)]
pub struct Forest;

impl ModelKind for Forest {
    type Params = ForestParams;
    const NAME: &'static str = "random_forest";
    const ABOUT: &'static str = "Random forest of histogram classification trees (bootstrap, random features per node, Gini).";

    fn check(&self, p: &ForestParams, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        if p.n_trees == 0 {
            return Err(ParamIssue::new(&["n_trees"], "must be at least 1"));
        }
        if !(p.max_samples > 0.0 && p.max_samples <= 1.0) {
            return Err(ParamIssue::new(&["max_samples"], format!("must be in (0, 1], got {}", p.max_samples)));
        }
        if !(2..=256).contains(&p.max_bin) {
            return Err(ParamIssue::new(&["max_bin"], format!("must be in 2..=256, got {}", p.max_bin)));
        }
        if p.min_data_in_leaf == 0 {
            return Err(ParamIssue::new(&["min_data_in_leaf"], "must be at least 1"));
        }
        Ok(())
    }

    fn build(&self, params: &ForestParams, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(ForestModel { params: params.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config = serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("random_forest model config: {e}")))?;
        let trees = load_trees(saved, K, config.features.len())?;
        Ok(Box::new(ForestModel { params: config.params, fitted: Some(Fitted { features: config.features, trees }) }))
    }
}

#[derive(Serialize, Deserialize)]
struct Config {
    params: ForestParams,
    features: Vec<String>,
}

struct Fitted {
    features: Vec<String>,
    trees: Vec<Tree>,
}

struct ForestModel {
    params: ForestParams,
    fitted: Option<Fitted>,
}

impl Model for ForestModel {
    fn type_name(&self) -> &'static str {
        Forest::NAME
    }

    fn fit(&mut self, train: &Samples, _valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        let p = &self.params;
        let n = train.len();
        if n == 0 {
            return Err(StageError::data_hint("the training split has no rows", "check the `splits` stage's fractions"));
        }
        let d = train.n_features();
        let binned = Binned::fit(train, p.max_bin, 200_000);
        let base = p.class_weight.row_weights(train);
        let per_node = match p.max_features {
            MaxFeatures::Sqrt => (d as f64).sqrt().ceil() as usize,
            MaxFeatures::Log2 => (d as f64).log2().ceil() as usize,
            MaxFeatures::All => d,
        }
        .clamp(1, d.max(1));
        let draws = ((p.max_samples * n as f64).round() as usize).max(1);
        let grow_params = GrowParams {
            max_leaves: if p.max_leaves == 0 { usize::MAX } else { p.max_leaves },
            max_depth: p.max_depth,
            min_data_in_leaf: p.min_data_in_leaf,
            min_sum_hessian: 0.0,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            min_gain: 1e-12,
            depthwise: true,
        };
        ctx.progress().set_length(p.n_trees as u64);
        let trees: Vec<Tree> = (0..p.n_trees)
            .into_par_iter()
            .map(|t| {
                let tree_ctx = ctx.child(&format!("tree-{t}"));
                let mut rng = tree_ctx.rng("bootstrap");
                let mut count = vec![0u32; n];
                if p.bootstrap {
                    (0..draws).for_each(|_| count[rng.random_range(0..n)] += 1);
                } else if draws < n {
                    let mut idx: Vec<usize> = (0..n).collect();
                    idx.partial_shuffle(&mut rng, draws).0.iter().for_each(|&i| count[i] = 1);
                } else {
                    count.fill(1);
                }
                let stats: Vec<[f32; K + 1]> = (0..n)
                    .map(|i| {
                        let w = (base[i] * f64::from(count[i])) as f32;
                        let mut s = [0.0; K + 1];
                        s[train.y[i] as usize] = -w;
                        s[K] = w;
                        s
                    })
                    .collect();
                let mut rows: Vec<u32> = (0..n as u32).filter(|&i| count[i as usize] > 0).collect();
                let mut feature_rng = tree_ctx.rng("features");
                let mut pick = || {
                    let mut f: Vec<u32> = (0..d as u32).collect();
                    if per_node < d {
                        let mut chosen = f.partial_shuffle(&mut feature_rng, per_node).0.to_vec();
                        chosen.sort_unstable();
                        return chosen;
                    }
                    f
                };
                let mut tree = grow(&binned, &mut rows, &stats, &grow_params, &mut pick).tree;
                // Leaf values are minus the mean gradient: class shares. Normalise away rounding.
                for leaf in tree.values.chunks_mut(K) {
                    let s: f64 = leaf.iter().sum();
                    if s > 0.0 {
                        for v in leaf.iter_mut() {
                            *v /= s;
                        }
                    } else {
                        leaf.fill(1.0 / K as f64);
                    }
                }
                ctx.progress().inc(1);
                tree
            })
            .collect();
        self.fitted = Some(Fitted { features: train.features.clone(), trees });
        Ok(FitReport { iterations: p.n_trees, ..FitReport::default() })
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("random_forest model used before fitting"))?;
        ensure_features(Forest::NAME, &fitted.features, data)?;
        let n_trees = fitted.trees.len() as f64;
        Ok(map_rows(data.len(), |rows| {
            rows.map(|i| {
                let row = data.row(i);
                let mut p = [0.0; K];
                for tree in &fitted.trees {
                    let leaf = tree.leaf(row);
                    p.iter_mut().zip(&tree.values[leaf * K..(leaf + 1) * K]).for_each(|(a, v)| *a += v);
                }
                p.map(|v| v / n_trees)
            })
            .collect()
        }))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("random_forest model saved before fitting"))?;
        let config = serde_json::json!({"params": self.params, "features": fitted.features});
        Ok(save_trees(SavedModel::new(Forest::NAME, config), &fitted.trees, K))
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

    #[test]
    fn learns_the_checkerboard_deterministically() {
        let (train, test) = (checkerboard(3000, 1), checkerboard(1000, 2));
        let p = ForestParams { n_trees: 40, max_depth: 8, ..Default::default() };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                let mut m = Forest.build(&p, &ModelCatalog::new()).unwrap();
                m.fit(&train, None, &FitContext::new(3, &NullProgress)).unwrap();
                m
            })
        };
        let m = run(1);
        let proba = m.predict_proba(&test).unwrap();
        let metrics = Metrics::compute(&test.y, &proba);
        assert!(metrics.accuracy > 0.88, "{metrics:?}");
        assert!(proba.iter().all(|r| (r.iter().sum::<f64>() - 1.0).abs() < 1e-9));
        let bytes = m.save().unwrap().to_bytes().unwrap();
        assert_eq!(bytes, run(4).save().unwrap().to_bytes().unwrap());
        let loaded = Forest.load(&SavedModel::from_bytes(&bytes).unwrap(), &ModelCatalog::new()).unwrap();
        assert_eq!(loaded.predict_proba(&test).unwrap(), proba);
        let imp = m.feature_importance().unwrap();
        assert!(imp[0] > imp[2] && imp[1] > imp[3], "{imp:?}");
    }
}
