//! Classification metrics every model reports, per split: accuracy, log loss, macro F1
//! and per-class precision and recall (classes short / neutral / long).
//!
//! Unweighted (each row counts once), like scikit-learn's defaults, so figures compare
//! with a Python notebook's. Log loss clips probabilities to `[1e-15, 1 - 1e-15]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Proba;
use crate::samples::Class;

/// Probability floor for the log loss (scikit-learn's `eps`).
const EPS: f64 = 1e-15;

/// Class names in probability order.
pub const CLASS_NAMES: [&str; 3] = ["short", "neutral", "long"];

/// Metrics of one split.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    pub accuracy: f64,
    pub log_loss: f64,
    pub macro_f1: f64,
    /// Per class (short, neutral, long); 0 where the class was never predicted.
    pub precision: [f64; 3],
    /// Per class (short, neutral, long); 0 where the class never occurs.
    pub recall: [f64; 3],
}

/// The class a row's probabilities pick: the most probable, ties going to neutral, then
/// to the lower index (so an undecided model stays flat).
pub fn decide(p: &Proba) -> Class {
    let max = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if p[Class::Neutral.index()] == max {
        return Class::Neutral;
    }
    Class::from_index(p.iter().position(|&v| v == max).unwrap_or(Class::Neutral.index()))
}

impl Metrics {
    /// Metrics of `proba` against class indices `y` (see [`Class`]).
    pub fn compute(y: &[u8], proba: &[Proba]) -> Self {
        assert_eq!(y.len(), proba.len(), "one probability row per label");
        let rows = y.len();
        if rows == 0 {
            return Self::default();
        }
        let mut confusion = [[0usize; 3]; 3];
        let mut log_loss = 0.0;
        for (&c, p) in y.iter().zip(proba) {
            confusion[c as usize][decide(p).index()] += 1;
            log_loss -= p[c as usize].clamp(EPS, 1.0 - EPS).ln();
        }
        let correct: usize = (0..3).map(|k| confusion[k][k]).sum();
        let mut precision = [0.0; 3];
        let mut recall = [0.0; 3];
        let mut f1_sum = 0.0;
        let mut present = 0;
        for k in 0..3 {
            let predicted: usize = (0..3).map(|t| confusion[t][k]).sum();
            let actual: usize = confusion[k].iter().sum();
            precision[k] = if predicted > 0 { confusion[k][k] as f64 / predicted as f64 } else { 0.0 };
            recall[k] = if actual > 0 { confusion[k][k] as f64 / actual as f64 } else { 0.0 };
            // scikit-learn's macro F1 averages over the labels present in truth or predictions.
            if predicted + actual > 0 {
                present += 1;
                let denom = precision[k] + recall[k];
                f1_sum += if denom > 0.0 { 2.0 * precision[k] * recall[k] / denom } else { 0.0 };
            }
        }
        Self {
            rows,
            accuracy: correct as f64 / rows as f64,
            log_loss: log_loss / rows as f64,
            macro_f1: if present > 0 { f1_sum / f64::from(present) } else { 0.0 },
            precision,
            recall,
        }
    }

    /// Flat metric names for a stage's metrics: `{split}_accuracy`, `{split}_log_loss`,
    /// `{split}_macro_f1`, `{split}_precision_{class}`, `{split}_recall_{class}`.
    pub fn flatten(&self, split: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        out.insert(format!("{split}_accuracy"), self.accuracy);
        out.insert(format!("{split}_log_loss"), self.log_loss);
        out.insert(format!("{split}_macro_f1"), self.macro_f1);
        for (k, name) in CLASS_NAMES.iter().enumerate() {
            out.insert(format!("{split}_precision_{name}"), self.precision[k]);
            out.insert(format!("{split}_recall_{name}"), self.recall[k]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn matches_scikit_learn_on_a_small_case() {
        // scikit-learn 1.9.1 on y = [0,1,2,2,1,0], P below, y_pred = P.argmax(1) = [0,1,2,1,1,2]:
        // accuracy_score 0.6666666666666666, f1_score(average="macro") 0.6555555555555556,
        // precision_score(average=None) [1, 0.66666667, 0.5], recall_score(average=None) [0.5, 1, 0.5],
        // log_loss(y, P) 0.6202888798308357
        let y = [0u8, 1, 2, 2, 1, 0];
        let p = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.1, 0.5, 0.4], [0.3, 0.6, 0.1], [0.3, 0.2, 0.5]];
        let m = Metrics::compute(&y, &p);
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((m.macro_f1 - 0.655_555_555_555_555_6).abs() < 1e-12, "{}", m.macro_f1);
        assert_eq!(m.precision, [1.0, 2.0 / 3.0, 0.5]);
        assert_eq!(m.recall, [0.5, 1.0, 0.5]);
        assert!((m.log_loss - 0.620_288_879_830_835_7).abs() < 1e-12, "{}", m.log_loss);
        assert_eq!(m.flatten("test")["test_recall_long"], 0.5);
    }

    #[rstest]
    #[case([0.2, 0.6, 0.2], Class::Neutral)]
    #[case([0.4, 0.2, 0.4], Class::Short)]
    #[case([0.4, 0.4, 0.2], Class::Neutral)]
    #[case([0.1, 0.2, 0.7], Class::Long)]
    fn decides_with_ties_to_neutral(#[case] p: Proba, #[case] class: Class) {
        assert_eq!(decide(&p), class);
    }

    #[test]
    fn empty_split_has_zero_metrics() {
        assert_eq!(Metrics::compute(&[], &[]), Metrics::default());
    }
}
