//! [`NeuralModel`]: any network of this crate behind the [`Model`] trait: fitting,
//! prediction in batches, and the saved form (weights as `net.*` tensors, the training
//! split's feature moments as `scaler.*`, the spec and target scales in the config, and
//! with `sequence: multi_resolution` the tensor layout it was fitted on, so prediction
//! reads the same cells in the same order).

use candle_core::{D, Device};
use mlfactory_engine::StageError;
use mlfactory_engine::stage::ResultExt;
use mlfactory_market::mtf_layout::MtfLayout;
use mlfactory_models::{FitContext, FitReport, Model, Proba, Samples, SavedModel, Tensor};
use serde::{Deserialize, Serialize};

use crate::data::{Scaler, TensorView, Windows};
use crate::device;
use crate::nets::Forward;
use crate::network::{NetSpec, Network, VolTarget};
use crate::params::SequenceInput;
use crate::store::{SAVED_PREFIX, Store, to_host};
use crate::train::{self, Split};

/// The config saved beside the weights.
#[derive(Debug, Serialize, Deserialize)]
struct SavedConfig {
    spec: NetSpec,
    features: Vec<String>,
    /// Divisors of the multi-task regression targets (1 for single-head networks).
    ret_scale: f64,
    vol_scale: f64,
    /// `sequence: multi_resolution`: the tensor layout the network was fitted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layout: Option<MtfLayout>,
}

struct Fitted {
    net: Network,
    scaler: Scaler,
    features: Vec<String>,
    ret_scale: f64,
    vol_scale: f64,
    device: Device,
    /// `sequence: multi_resolution`: the layout and where each step reads its values.
    tensor: Option<(MtfLayout, TensorView)>,
}

/// A network of one of this crate's types, fitted or not.
pub(crate) struct NeuralModel {
    type_name: &'static str,
    spec: NetSpec,
    fitted: Option<Fitted>,
}

impl NeuralModel {
    pub(crate) fn new(type_name: &'static str, spec: NetSpec) -> Self {
        Self { type_name, spec, fitted: None }
    }

    /// A fitted model from its saved state.
    pub(crate) fn load(type_name: &'static str, saved: &SavedModel) -> Result<Self, StageError> {
        let config: SavedConfig =
            serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("saved `{type_name}` model has an unreadable config: {e}")))?;
        let device = device::resolve(config.spec.train.device)?;
        let d = config.features.len();
        let tensor = match (config.spec.sequence, config.layout) {
            (SequenceInput::Rows, _) => None,
            (SequenceInput::MultiResolution, Some(layout)) => {
                let view = TensorView::new(&layout, &config.features)?;
                Some((layout, view))
            }
            (SequenceInput::MultiResolution, None) => {
                return Err(StageError::data(format!("saved `{type_name}` model reads `multi_resolution` sequences but records no tensor layout")));
            }
        };
        let net = Network::build(&config.spec, Store::saved(&device, saved), tensor.as_ref().map_or(d, |(_, v)| v.width()))?;
        let scaler = Scaler { mean: saved.f32s("scaler.mean")?.to_vec(), std: saved.f32s("scaler.std")?.to_vec() };
        if scaler.mean.len() != d || scaler.std.len() != d {
            return Err(StageError::data(format!("saved `{type_name}` model: scaler has {} values for {d} features", scaler.mean.len())));
        }
        let fitted = Fitted { net, scaler, features: config.features, ret_scale: config.ret_scale, vol_scale: config.vol_scale, device, tensor };
        Ok(Self { type_name, spec: config.spec, fitted: Some(fitted) })
    }

    fn fitted(&self) -> Result<&Fitted, StageError> {
        self.fitted.as_ref().ok_or_else(|| StageError::internal(format!("`{}` model used before fitting", self.type_name)))
    }

    /// With `sequence: multi_resolution`, the dataset's tensor layout and its view over the
    /// features; an error naming what to bind when the dataset has none.
    fn tensor(&self, data: &Samples) -> Result<Option<(MtfLayout, TensorView)>, StageError> {
        if self.spec.sequence.is_rows() {
            return Ok(None);
        }
        let layout = data.layout.clone().ok_or_else(|| {
            StageError::data_hint(
                format!("`{}` has `sequence: multi_resolution`, but the dataset carries no multi_resolution tensor layout", self.type_name),
                "bind a `features.mtf` stage with `mtf_strategy: multi_resolution` to the dataset's `features` (its layout travels in the table's metadata through `dataset`, `scale` and `features.select`), or use `sequence: rows`",
            )
        })?;
        let view = TensorView::new(&layout, &data.features)?;
        Ok(Some((layout, view)))
    }

    /// The sequences of `data`: windows of rows, or each row's tensor.
    fn windows(&self, data: &Samples, scaler: &Scaler, view: Option<&TensorView>) -> Windows {
        match view {
            Some(view) => Windows::tensor(data, scaler, view.clone()),
            None => Windows::new(data, scaler, self.spec.encoder.seq_len()),
        }
    }

    fn split(&self, data: &Samples, scaler: &Scaler, view: Option<&TensorView>, scales: (f64, f64), class_weights: [f64; 3]) -> Result<Split, StageError> {
        let (ret_scale, vol_scale) = scales;
        let sample_weight: Vec<f32> = if self.spec.train.sample_weights { data.weight.clone() } else { vec![1.0; data.len()] };
        if let Some(i) = sample_weight.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(StageError::data_hint(format!("dataset `weight` is {} at row {i}", sample_weight[i]), "sample weights must be finite and >= 0"));
        }
        let class_weight = data.y.iter().zip(&sample_weight).map(|(&y, &w)| (class_weights[y as usize] as f32) * w).collect();
        let (ret, vol) = match &self.spec.multitask {
            None => (Vec::new(), Vec::new()),
            Some(m) => {
                let vol = vol_values(data, m.volatility)?;
                (data.ret.iter().map(|r| (r / ret_scale) as f32).collect(), vol.iter().map(|v| (v / vol_scale) as f32).collect())
            }
        };
        Ok(Split { windows: self.windows(data, scaler, view), y: data.y.clone(), class_weight, sample_weight, ret, vol })
    }

    fn check_features(&self, fitted: &Fitted, data: &Samples) -> Result<(), StageError> {
        if data.features != fitted.features {
            let first = fitted.features.iter().zip(&data.features).position(|(a, b)| a != b).unwrap_or(fitted.features.len().min(data.features.len()));
            return Err(StageError::data_hint(
                format!(
                    "`{}` model was fitted on {} features but got {} (first difference at column {first}: `{}` vs `{}`)",
                    self.type_name,
                    fitted.features.len(),
                    data.features.len(),
                    fitted.features.get(first).map_or("-", String::as_str),
                    data.features.get(first).map_or("-", String::as_str)
                ),
                "predict on a dataset with the same feature columns, in the same order, as the training dataset",
            ));
        }
        Ok(())
    }

    /// Runs the network over `data` in inference mode, batch by batch.
    fn infer<T>(&self, data: &Samples, mut read: impl FnMut(&crate::network::Outputs) -> candle_core::Result<Vec<T>>) -> Result<Vec<T>, StageError> {
        let fitted = self.fitted()?;
        self.check_features(fitted, data)?;
        if let (Some((fitted_layout, _)), Some(layout)) = (&fitted.tensor, &data.layout)
            && fitted_layout != layout
        {
            return Err(StageError::data_hint(
                format!("`{}` model was fitted on the multi_resolution tensor {fitted_layout:?} but the dataset carries {layout:?}", self.type_name),
                "predict on a dataset made by the same `features.mtf` params as the training dataset",
            ));
        }
        let windows = self.windows(data, &fitted.scaler, fitted.tensor.as_ref().map(|(_, v)| v));
        let rows: Vec<usize> = (0..windows.len()).collect();
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(self.spec.train.predict_batch_size) {
            let x = windows.batch(chunk, &fitted.device)?;
            let outputs = fitted.net.forward(&x, &mut Forward::eval()).context("forward pass")?;
            out.extend(read(&outputs).context("reading predictions")?);
        }
        Ok(out)
    }
}

/// The volatility target per row.
fn vol_values(data: &Samples, target: VolTarget) -> Result<Vec<f64>, StageError> {
    match target {
        VolTarget::AbsRet => Ok(data.ret.iter().map(|r| r.abs()).collect()),
        VolTarget::Target => {
            if let Some(i) = data.target.iter().position(|t| !t.is_finite()) {
                return Err(StageError::data_hint(
                    format!("multitask `volatility: target` needs the dataset's `target` column, but it is {} at row {i}", data.target[i]),
                    "use `volatility: abs_ret`, or a dataset built from barrier labels (which carry `target`)",
                ));
            }
            Ok(data.target.clone())
        }
    }
}

/// Root mean square (1 when it is 0 or the data is empty).
fn rms(v: &[f64]) -> f64 {
    let s = (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt();
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

impl Model for NeuralModel {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        if train.is_empty() || train.n_features() == 0 {
            return Err(StageError::data_hint(
                format!("`{}` needs training rows and features, got {} rows x {} features", self.type_name, train.len(), train.n_features()),
                "check the dataset's `split` column and feature selection",
            ));
        }
        if let Some(v) = valid
            && v.features != train.features
        {
            return Err(StageError::internal("validation and training samples have different features"));
        }
        let device = device::resolve(self.spec.train.device)?;
        let scaler = if self.spec.train.standardize { Scaler::fit(train) } else { Scaler::identity(train.n_features()) };
        let (ret_scale, vol_scale) = match &self.spec.multitask {
            Some(m) => (rms(&train.ret), rms(&vol_values(train, m.volatility)?)),
            None => (1.0, 1.0),
        };
        let class_weights = self.spec.train.class_weight.resolve(train.class_counts());
        let tensor = self.tensor(train)?;
        let view = tensor.as_ref().map(|(_, v)| v);
        let train_split = self.split(train, &scaler, view, (ret_scale, vol_scale), class_weights)?;
        let valid_split = valid.filter(|v| !v.is_empty()).map(|v| self.split(v, &scaler, view, (ret_scale, vol_scale), class_weights)).transpose()?;
        let width = view.map_or(train.n_features(), TensorView::width);
        let net = Network::build(&self.spec, Store::seeded(&device, ctx.rng("init")), width)?;
        let sequence = match view {
            Some(v) => format!("multi_resolution tensor of {} steps x {} values (arch `seq_len` unused)", v.steps(), v.width()),
            None => format!("window {}", self.spec.encoder.seq_len()),
        };
        ctx.log(format!(
            "{}: {} parameters, {} training rows, {sequence}, on {}",
            self.type_name,
            net.params.values().map(|p| p.var.elem_count()).sum::<usize>(),
            train.len(),
            device::name(&device)
        ));
        let report = train::fit(&net, self.spec.multitask.as_ref(), &self.spec.train, &train_split, valid_split.as_ref(), &device, ctx)?;
        self.fitted = Some(Fitted { net, scaler, features: train.features.clone(), ret_scale, vol_scale, device, tensor });
        Ok(report)
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        self.infer(data, |out| {
            let p = candle_nn::ops::softmax(&out.logits, D::Minus1)?.to_vec2::<f32>()?;
            Ok(p.into_iter().map(|r| [r[0] as f64, r[1] as f64, r[2] as f64]).collect())
        })
    }

    fn predict_return(&self, data: &Samples) -> Result<Option<Vec<f64>>, StageError> {
        if self.spec.multitask.is_none() {
            return Ok(None);
        }
        let scale = self.fitted()?.ret_scale;
        let r = self.infer(data, |out| {
            let ret = out.ret.as_ref().expect("multi-task networks have a return head");
            Ok(ret.to_vec1::<f32>()?.into_iter().map(|v| v as f64 * scale).collect())
        })?;
        Ok(Some(r))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted()?;
        let config = SavedConfig {
            spec: self.spec.clone(),
            features: fitted.features.clone(),
            ret_scale: fitted.ret_scale,
            vol_scale: fitted.vol_scale,
            layout: fitted.tensor.as_ref().map(|(l, _)| l.clone()),
        };
        let config = serde_json::to_value(&config).map_err(|e| StageError::internal(format!("model config: {e}")))?;
        let d = fitted.features.len();
        let mut saved = SavedModel::new(self.type_name, config)
            .with("scaler.mean", Tensor::f32(vec![d], fitted.scaler.mean.clone()))
            .with("scaler.std", Tensor::f32(vec![d], fitted.scaler.std.clone()));
        for (name, p) in &fitted.net.params {
            saved = saved.with(&format!("{SAVED_PREFIX}{name}"), Tensor::f32(p.var.dims().to_vec(), to_host(p.var.as_tensor())?));
        }
        Ok(saved)
    }
}
