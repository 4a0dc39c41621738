//! Classification metrics over the three classes short / neutral / long (indices 0, 1, 2,
//! the column order of `p_short, p_neutral, p_long`).
//!
//! Conventions, as scikit-learn (with the model stages' decision rule, see
//! [`predicted_class`]): log loss clips probabilities to [1e-15, 1 − 1e-15] and
//! renormalises each row; precision of a class never predicted and recall of a class never
//! present are 0 (`zero_division=0`); macro F1 is the unweighted mean over the three
//! classes.

use serde::Serialize;

/// Class names in index order.
pub const CLASSES: [&str; 3] = ["short", "neutral", "long"];

const EPS: f64 = 1e-15;

/// Precision, recall, F1 and support of one class.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Rows whose true class is this one.
    pub support: usize,
}

/// Every classification metric of one set of rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub rows: usize,
    pub accuracy: f64,
    pub log_loss: f64,
    /// Mean over rows of Σ_k (p_k − 1[y = k])².
    pub brier: f64,
    pub macro_f1: f64,
    /// Per class, keyed `short`, `neutral`, `long`.
    pub classes: std::collections::BTreeMap<&'static str, ClassScores>,
    /// `confusion[true][predicted]`, classes in the order short, neutral, long.
    pub confusion: [[usize; 3]; 3],
}

/// Metrics of predicted probabilities `proba` (rows of 3) against true classes `y`
/// (0, 1, 2). The predicted class is [`predicted_class`].
pub fn classify(y: &[u8], proba: &[[f64; 3]]) -> Classification {
    let n = y.len();
    let mut confusion = [[0usize; 3]; 3];
    let mut log_loss = 0.0;
    let mut brier = 0.0;
    for (&t, p) in y.iter().zip(proba) {
        confusion[t as usize][predicted_class(p)] += 1;
        let clipped = p.map(|v| v.clamp(EPS, 1.0 - EPS));
        let total: f64 = clipped.iter().sum();
        log_loss -= (clipped[t as usize] / total).ln();
        brier += p.iter().enumerate().map(|(k, &v)| (v - f64::from(u8::from(k == t as usize))).powi(2)).sum::<f64>();
    }
    let correct: usize = (0..3).map(|k| confusion[k][k]).sum();
    let mut classes = std::collections::BTreeMap::new();
    let mut f1_sum = 0.0;
    for (k, name) in CLASSES.iter().enumerate() {
        let tp = confusion[k][k] as f64;
        let predicted: usize = (0..3).map(|t| confusion[t][k]).sum();
        let support: usize = confusion[k].iter().sum();
        let precision = ratio(tp, predicted as f64);
        let recall = ratio(tp, support as f64);
        let f1 = ratio(2.0 * precision * recall, precision + recall);
        f1_sum += f1;
        classes.insert(*name, ClassScores { precision, recall, f1, support });
    }
    let nf = n as f64;
    Classification {
        rows: n,
        accuracy: ratio(correct as f64, nf),
        log_loss: if n == 0 { f64::NAN } else { log_loss / nf },
        brier: if n == 0 { f64::NAN } else { brier / nf },
        macro_f1: f1_sum / 3.0,
        classes,
        confusion,
    }
}

/// The class a row's probabilities pick, as every model stage decides it
/// (`mlfactory_models::metrics::decide`): the most probable, ties going to neutral, then
/// to the lower index.
pub fn predicted_class(p: &[f64; 3]) -> usize {
    mlfactory_models::metrics::decide(p).index()
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from scikit-learn 1.9:
    /// y = [0, 1, 2, 2, 0, 1], y_pred = argmax(p);
    /// accuracy_score = 0.5, log_loss(y, p, labels=[0,1,2]) = 0.9972493962431342,
    /// f1_score(average="macro") = 0.5222222222222223, precision = [1/3, 0.5, 1].
    #[test]
    fn matches_sklearn() {
        let y = [0u8, 1, 2, 2, 0, 1];
        let p = [[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5], [0.5, 0.3, 0.2], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1]];
        let c = classify(&y, &p);
        assert_eq!(c.confusion, [[1, 1, 0], [1, 1, 0], [1, 0, 1]]);
        assert!((c.accuracy - 0.5).abs() < 1e-15);
        assert!((c.log_loss - 0.997_249_396_243_134_2).abs() < 1e-12, "{}", c.log_loss);
        assert!((c.macro_f1 - 0.522_222_222_222_222_3).abs() < 1e-12, "{}", c.macro_f1);
        assert!((c.classes["short"].precision - 1.0 / 3.0).abs() < 1e-15);
        assert!((c.classes["long"].precision - 1.0).abs() < 1e-15);
        assert_eq!(c.classes["long"].support, 2);
    }

    #[test]
    fn empty_and_never_predicted_classes_are_zero_not_nan() {
        let c = classify(&[1, 1], &[[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]]);
        assert_eq!(c.classes["short"].precision, 0.0);
        assert_eq!(c.classes["short"].f1, 0.0);
        assert_eq!(c.accuracy, 1.0);
        assert!(classify(&[], &[]).log_loss.is_nan());
    }
}
