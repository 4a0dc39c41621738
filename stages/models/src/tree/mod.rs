//! Histogram tree models: [`gbdt`] (gradient boosting, LightGBM-class) and [`forest`]
//! (random forest), both grown by [`grow`] on features binned by [`bins`].

pub(crate) mod bins;
pub mod forest;
pub mod gbdt;
pub(crate) mod grow;

use mlfactory_engine::StageError;
use serde::{Deserialize, Serialize};

use crate::saved::{SavedModel, Tensor};
use grow::Tree;

/// Which importance `feature_importance` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    /// Total gain of the splits on the feature.
    #[default]
    Gain,
    /// Number of splits on the feature.
    Split,
}

/// Importance per feature of some trees.
pub(crate) fn importance(trees: &[Tree], features: usize, kind: Importance) -> Vec<f64> {
    let mut out = vec![0.0; features];
    for t in trees {
        for (&f, &g) in t.feature.iter().zip(&t.gain) {
            out[f as usize] += match kind {
                Importance::Gain => g,
                Importance::Split => 1.0,
            };
        }
    }
    out
}

/// Adds trees to a saved model as flat tensors (`value_width` leaf values per leaf).
pub(crate) fn save_trees(saved: SavedModel, trees: &[Tree], value_width: usize) -> SavedModel {
    let nodes: Vec<i64> = trees.iter().map(|t| t.feature.len() as i64).collect();
    let cat_i64 = |f: &dyn Fn(&Tree) -> Vec<i64>| trees.iter().flat_map(f).collect::<Vec<i64>>();
    let feature = cat_i64(&|t| t.feature.iter().map(|&v| i64::from(v)).collect());
    let left = cat_i64(&|t| t.left.iter().map(|&v| i64::from(v)).collect());
    let right = cat_i64(&|t| t.right.iter().map(|&v| i64::from(v)).collect());
    let threshold: Vec<f32> = trees.iter().flat_map(|t| t.threshold.iter().copied()).collect();
    let gain: Vec<f64> = trees.iter().flat_map(|t| t.gain.iter().copied()).collect();
    let values: Vec<f64> = trees.iter().flat_map(|t| t.values.iter().copied()).collect();
    let total = feature.len();
    let leaves = values.len() / value_width.max(1);
    saved
        .with("tree_nodes", Tensor::i64(vec![trees.len()], nodes))
        .with("split_feature", Tensor::i64(vec![total], feature))
        .with("left", Tensor::i64(vec![total], left))
        .with("right", Tensor::i64(vec![total], right))
        .with("threshold", Tensor::f32(vec![total], threshold))
        .with("gain", Tensor::f64(vec![total], gain))
        .with("leaf_value", Tensor::f64(vec![leaves, value_width], values))
}

/// Reads trees written by [`save_trees`], checking every index.
pub(crate) fn load_trees(saved: &SavedModel, value_width: usize, features: usize) -> Result<Vec<Tree>, StageError> {
    let bad = |what: &str| StageError::data(format!("saved `{}` model: {what}", saved.model_type));
    let nodes = saved.i64s("tree_nodes")?;
    let (feature, left, right) = (saved.i64s("split_feature")?, saved.i64s("left")?, saved.i64s("right")?);
    let (threshold, gain, values) = (saved.f32s("threshold")?, saved.f64s("gain")?, saved.f64s("leaf_value")?);
    let total: usize = nodes.iter().map(|&n| n.max(0) as usize).sum();
    if [feature.len(), left.len(), right.len(), threshold.len(), gain.len()].iter().any(|&l| l != total) || values.len() != (total + nodes.len()) * value_width
    {
        return Err(bad("tree tensors disagree in length"));
    }
    let mut trees = Vec::with_capacity(nodes.len());
    let (mut at, mut leaf_at) = (0usize, 0usize);
    for &n in nodes {
        let n = n as usize;
        let leaves = n + 1;
        // Children come after their parent, so no walk can loop.
        let child_ok = |node: usize, c: i64| (c >= 0 && (c as usize) > node && (c as usize) < n) || (c < 0 && ((!c) as usize) < leaves);
        let children_ok = (0..n).all(|i| child_ok(i, left[at + i]) && child_ok(i, right[at + i]));
        if feature[at..at + n].iter().any(|&f| f < 0 || f as usize >= features) || !children_ok {
            return Err(bad("a tree points outside itself"));
        }
        trees.push(Tree {
            feature: feature[at..at + n].iter().map(|&f| f as u32).collect(),
            threshold_bin: Vec::new(),
            threshold: threshold[at..at + n].to_vec(),
            left: left[at..at + n].iter().map(|&c| c as i32).collect(),
            right: right[at..at + n].iter().map(|&c| c as i32).collect(),
            gain: gain[at..at + n].to_vec(),
            values: values[leaf_at * value_width..(leaf_at + leaves) * value_width].to_vec(),
        });
        at += n;
        leaf_at += leaves;
    }
    Ok(trees)
}
