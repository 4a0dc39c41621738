//! From a fitted model to the inference contract: probabilities, expected returns and
//! the `predictions` table (`contracts::predictions`), plus [`fit_predict`], the one call
//! that fits a model from the catalog and predicts some splits. `models.train` and the
//! validation stages (one call per fold) share it, so every model is judged on the same
//! table whatever stage trained it.

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::contracts::predictions as pc;

use crate::catalog::{ModelCatalog, ModelSpec};
use crate::fingerprint::{Fingerprint, META_FINGERPRINT};
use crate::metrics::{Metrics, decide};
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::samples::{Class, Samples};

/// What a model predicts for a set of rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predicted {
    /// `[p_short, p_neutral, p_long]` per row.
    pub proba: Vec<Proba>,
    /// Expected forward return per row.
    pub expected_return: Vec<f64>,
}

/// Weighted mean label return per class on `train` (0 for an absent class): with the
/// class probabilities, the expected return of models without a regression head.
pub fn class_returns(train: &Samples) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut weight = [0.0; 3];
    for ((&c, &r), &w) in train.y.iter().zip(&train.ret).zip(&train.weight) {
        if r.is_finite() {
            sum[c as usize] += f64::from(w) * r;
            weight[c as usize] += f64::from(w);
        }
    }
    [0, 1, 2].map(|k| if weight[k] > 0.0 { sum[k] / weight[k] } else { 0.0 })
}

/// Probabilities and expected returns of `model` on `data`; the expected return is the
/// model's own regression head where it has one, else `sum_k p_k * class_returns[k]`.
pub fn predict(model: &dyn Model, data: &Samples, class_returns: &[f64; 3]) -> Result<Predicted, StageError> {
    let proba = model.predict_proba(data)?;
    if proba.len() != data.len() {
        return Err(StageError::internal(format!("`{}` predicted {} rows for {}", model.type_name(), proba.len(), data.len())));
    }
    if let Some((i, p)) = proba.iter().enumerate().find(|(_, p)| !p.iter().all(|v| v.is_finite() && *v >= 0.0) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-6) {
        return Err(StageError::data_hint(
            format!("`{}` predicted probabilities {p:?} at row {i} (ts {})", model.type_name(), data.ts[i]),
            "the model diverged: lower its learning rate or raise its regularisation",
        ));
    }
    let expected_return = match model.predict_return(data)? {
        Some(r) if r.len() == data.len() => r,
        Some(r) => return Err(StageError::internal(format!("`{}` predicted {} returns for {} rows", model.type_name(), r.len(), data.len()))),
        None => proba.iter().map(|p| p.iter().zip(class_returns).map(|(p, r)| p * r).sum()).collect(),
    };
    Ok(Predicted { proba, expected_return })
}

/// The `predictions` table for some splits, in the order given: `(split name, rows,
/// what the model predicted for them)`. The fingerprint, when given, goes into the
/// schema metadata so downstream stages can refuse to mix incomparable predictions.
pub fn predictions_table(parts: &[(&str, &Samples, &Predicted)], fingerprint: Option<&Fingerprint>) -> Result<RecordBatch, StageError> {
    let n: usize = parts.iter().map(|(_, s, _)| s.len()).sum();
    let mut ts = Vec::with_capacity(n);
    let mut split = Vec::with_capacity(n);
    let mut label = Vec::with_capacity(n);
    let mut ret = Vec::with_capacity(n);
    let mut signal = Vec::with_capacity(n);
    let mut p = [Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n)];
    let mut confidence = Vec::with_capacity(n);
    let mut expected = Vec::with_capacity(n);
    for (name, samples, predicted) in parts {
        if predicted.proba.len() != samples.len() || predicted.expected_return.len() != samples.len() {
            return Err(StageError::internal(format!("split `{name}`: {} rows but {} predictions", samples.len(), predicted.proba.len())));
        }
        for i in 0..samples.len() {
            let row = predicted.proba[i];
            ts.push(samples.ts[i]);
            split.push(*name);
            label.push(Class::from_index(samples.y[i] as usize).label());
            ret.push(samples.ret[i]);
            signal.push(decide(&row).label());
            for k in 0..3 {
                p[k].push(row[k]);
            }
            confidence.push(row.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            expected.push(predicted.expected_return[i]);
        }
    }
    let [p_short, p_neutral, p_long] = p;
    let mut table = TableBuilder::new()
        .ts(pc::TS, ts)
        .str(pc::SPLIT, &split)
        .i8(pc::LABEL, label)
        .f64(pc::RET, ret)
        .i8(pc::SIGNAL, signal)
        .f64(pc::P_SHORT, p_short)
        .f64(pc::P_NEUTRAL, p_neutral)
        .f64(pc::P_LONG, p_long)
        .f64(pc::CONFIDENCE, confidence)
        .f64(pc::EXPECTED_RETURN, expected);
    if let Some(f) = fingerprint {
        table = table.meta(META_FINGERPRINT, f.to_json());
    }
    table.build()
}

/// A model fitted by [`fit_predict`], with what it predicted.
pub struct FitPredict {
    pub model: Box<dyn Model>,
    pub report: FitReport,
    /// Mean training return per class (expected returns of classifiers come from it).
    pub class_returns: [f64; 3],
    /// One entry per requested split, in order.
    pub predicted: Vec<Predicted>,
    /// Metrics per requested split, in order.
    pub metrics: Vec<Metrics>,
}

impl std::fmt::Debug for FitPredict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitPredict")
            .field("model", &self.model.type_name())
            .field("report", &self.report)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// Builds `spec` (normalised, see [`ModelCatalog::normalize`]) from the catalog, fits it
/// on `train` (`valid` only for early stopping) and predicts each of `targets`.
///
/// The validation stages call this once per fold with a child context
/// (`ctx.child("fold-3")`), then [`predictions_table`] on the result.
pub fn fit_predict(
    catalog: &ModelCatalog,
    spec: &ModelSpec,
    train: &Samples,
    valid: Option<&Samples>,
    targets: &[&Samples],
    ctx: &FitContext<'_>,
) -> Result<FitPredict, StageError> {
    if train.is_empty() {
        return Err(StageError::data_hint("no training rows", "the `train` split is empty: check the splits stage"));
    }
    let mut model = catalog.build(spec)?;
    let report = model.fit(train, valid.filter(|v| !v.is_empty()), ctx)?;
    let returns = class_returns(train);
    let mut predicted = Vec::with_capacity(targets.len());
    let mut metrics = Vec::with_capacity(targets.len());
    for target in targets {
        let p = predict(model.as_ref(), target, &returns)?;
        metrics.push(Metrics::compute(&target.y, &p.proba));
        predicted.push(p);
    }
    Ok(FitPredict { model, report, class_returns: returns, predicted, metrics })
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::{f64_column, str_column};

    use super::*;
    use crate::testdata::blobs;

    struct Fixed(Proba);

    impl Model for Fixed {
        fn type_name(&self) -> &'static str {
            "fixed"
        }
        fn fit(&mut self, _: &Samples, _: Option<&Samples>, _: &FitContext<'_>) -> Result<FitReport, StageError> {
            Ok(FitReport::default())
        }
        fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
            Ok(vec![self.0; data.len()])
        }
        fn save(&self) -> Result<crate::SavedModel, StageError> {
            Err(StageError::internal("not saved"))
        }
    }

    #[test]
    fn builds_the_contract_table() {
        let s = blobs(10, 1);
        let returns = class_returns(&s);
        let p = predict(&Fixed([0.2, 0.3, 0.5]), &s, &returns).unwrap();
        assert!((p.expected_return[0] - (0.2 * returns[0] + 0.3 * returns[1] + 0.5 * returns[2])).abs() < 1e-15);
        let fp = Fingerprint::of(&s);
        let t = predictions_table(&[("val", &s, &p), ("test", &s, &p)], Some(&fp)).unwrap();
        assert_eq!(t.num_rows(), 20);
        assert_eq!(f64_column(&t, pc::SIGNAL).unwrap()[0], 1.0);
        assert_eq!(f64_column(&t, pc::CONFIDENCE).unwrap()[0], 0.5);
        assert_eq!(str_column(&t, pc::SPLIT).unwrap()[10].as_deref(), Some("test"));
        assert_eq!(Fingerprint::from_metadata(t.schema().metadata()).unwrap(), Some(fp));
    }

    #[test]
    fn refuses_invalid_probabilities() {
        let s = blobs(5, 1);
        let err = predict(&Fixed([0.5, 0.5, 0.5]), &s, &[0.0; 3]).unwrap_err().to_string();
        assert!(err.contains("row 0"), "{err}");
    }

    #[test]
    fn class_returns_are_weighted_means() {
        let mut s = blobs(50, 2);
        s.weight[0] = 3.0;
        let r = class_returns(&s);
        for (got, want) in r.iter().zip([-0.01, 0.0, 0.01]) {
            assert!((got - want).abs() < 1e-15, "{r:?}");
        }
    }
}
