//! Ensembles whose members are any model types of the catalog (so neural nets can be
//! members): [`voting`] (weighted soft voting), [`stacking`] (a meta-model on purged
//! out-of-fold member probabilities) and [`blending`] (a meta-model on a chronological
//! holdout). Members are fitted inside the ensemble's own fit, on the same rows, so they
//! share one training fingerprint by construction; a saved ensemble records the feature
//! list once and refuses to load members fitted on another.

pub mod blending;
pub mod stacking;
pub mod voting;

use mlfactory_engine::{ParamIssue, StageError};

use crate::catalog::{ModelCatalog, ModelSpec};
use crate::model::{FitContext, Model, Proba};
use crate::samples::Samples;
use crate::saved::SavedModel;

/// Normalises member specs through the catalog (issues point at `members[i]`).
pub(crate) fn normalize_members(members: &[ModelSpec], catalog: &ModelCatalog, path: &str) -> Result<Vec<ModelSpec>, ParamIssue> {
    if members.is_empty() {
        return Err(ParamIssue::new(&[path], "needs at least one member").hint("members: [{type: logistic}, {type: gbdt}]"));
    }
    members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let index = i.to_string();
            catalog.normalize(m, &[path, index.as_str()])
        })
        .collect()
}

/// Fits freshly built members on `train`, each with its own child seed.
pub(crate) fn fit_members(
    catalog: &ModelCatalog,
    specs: &[ModelSpec],
    train: &Samples,
    valid: Option<&Samples>,
    ctx: &FitContext<'_>,
    tag: &str,
) -> Result<Vec<Box<dyn Model>>, StageError> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut model = catalog.build(spec)?;
            model.fit(train, valid, &ctx.child(&format!("{tag}-member-{i}")))?;
            Ok(model)
        })
        .collect()
}

/// Each member's probabilities on `data`.
pub(crate) fn member_probas(models: &[Box<dyn Model>], data: &Samples) -> Result<Vec<Vec<Proba>>, StageError> {
    models.iter().map(|m| m.predict_proba(data)).collect()
}

/// The meta-model's rows: each member's three probabilities as features (named
/// `m{i}_{type}_p_{class}`), plus the original features when `passthrough`; labels,
/// weights and times from `base`.
pub(crate) fn meta_samples(base: &Samples, specs: &[ModelSpec], probas: &[Vec<Proba>], passthrough: bool) -> Samples {
    let mut features: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        for class in crate::metrics::CLASS_NAMES {
            features.push(format!("m{i}_{}_p_{class}", spec.model_type));
        }
    }
    if passthrough {
        features.extend(base.features.iter().cloned());
    }
    let width = features.len();
    let mut x = Vec::with_capacity(base.len() * width);
    for r in 0..base.len() {
        for p in probas {
            x.extend(p[r].iter().map(|&v| v as f32));
        }
        if passthrough {
            x.extend_from_slice(base.row(r));
        }
    }
    Samples {
        features,
        x,
        y: base.y.clone(),
        weight: base.weight.clone(),
        ret: base.ret.clone(),
        ts: base.ts.clone(),
        t1: base.t1.clone(),
        segment: base.segment.clone(),
        target: base.target.clone(),
        // The passed-through features keep their names, so their tensor stays readable.
        layout: if passthrough { base.layout.clone() } else { None },
    }
}

/// Writes members into an ensemble's saved state: tensors under `{prefix}{i}.`, and
/// `[{type, config}]` for the config.
pub(crate) fn save_members(mut saved: SavedModel, models: &[Box<dyn Model>], prefix: &str) -> Result<(SavedModel, serde_json::Value), StageError> {
    let mut configs = Vec::with_capacity(models.len());
    for (i, m) in models.iter().enumerate() {
        let member = m.save()?;
        for (name, tensor) in member.tensors {
            saved.tensors.insert(format!("{prefix}{i}.{name}"), tensor);
        }
        configs.push(serde_json::json!({"type": member.model_type, "config": member.config}));
    }
    Ok((saved, serde_json::Value::Array(configs)))
}

/// Reads members written by [`save_members`].
pub(crate) fn load_members(saved: &SavedModel, configs: &serde_json::Value, prefix: &str, catalog: &ModelCatalog) -> Result<Vec<Box<dyn Model>>, StageError> {
    let bad = |what: String| StageError::data(format!("saved `{}` ensemble: {what}", saved.model_type));
    let list = configs.as_array().ok_or_else(|| bad("member list is not an array".into()))?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let model_type = entry.get("type").and_then(serde_json::Value::as_str).ok_or_else(|| bad(format!("member {i} has no type")))?;
            let config = entry.get("config").cloned().unwrap_or(serde_json::Value::Null);
            let head = format!("{prefix}{i}.");
            let mut member = SavedModel::new(model_type, config);
            for (name, tensor) in &saved.tensors {
                if let Some(rest) = name.strip_prefix(&head) {
                    member.tensors.insert(rest.to_owned(), tensor.clone());
                }
            }
            catalog.load(&member)
        })
        .collect()
}
