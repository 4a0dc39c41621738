//! The training loop: seeded mini-batches from the sequence dataset, AdamW on a cosine
//! schedule with warm restarts (stepped per batch), gradient clipping, and early stopping
//! on the validation loss that keeps the best epoch's weights.

use std::fmt::Write as _;

use candle_core::{Device, Tensor};
use mlfactory_engine::StageError;
use mlfactory_engine::stage::ResultExt;
use mlfactory_models::{FitContext, FitReport};
use rand::seq::SliceRandom;

use crate::data::Windows;
use crate::nets::Forward;
use crate::network::{self, MultitaskHeads, Network, Targets};
use crate::optim::AdamW;
use crate::params::TrainParams;

/// One split, ready to train or score on: windows and per-row targets.
pub(crate) struct Split {
    pub(crate) windows: Windows,
    pub(crate) y: Vec<u8>,
    /// Class weight times sample weight.
    pub(crate) class_weight: Vec<f32>,
    /// Sample weight (regression terms).
    pub(crate) sample_weight: Vec<f32>,
    /// Scaled regression targets (multi-task only; empty otherwise).
    pub(crate) ret: Vec<f32>,
    pub(crate) vol: Vec<f32>,
}

impl Split {
    pub(crate) fn len(&self) -> usize {
        self.y.len()
    }

    fn targets(&self, rows: &[usize], multitask: bool, device: &Device) -> candle_core::Result<Targets> {
        let mut class = vec![0f32; rows.len() * 3];
        let mut class_weight_sum = 0f64;
        for (k, &i) in rows.iter().enumerate() {
            class[k * 3 + self.y[i] as usize] = self.class_weight[i];
            class_weight_sum += self.class_weight[i] as f64;
        }
        let class = Tensor::from_vec(class, (rows.len(), 3), device)?;
        let regression = if multitask {
            let pick = |v: &[f32]| Tensor::from_vec(rows.iter().map(|&i| v[i]).collect::<Vec<f32>>(), rows.len(), device);
            let sum = rows.iter().map(|&i| self.sample_weight[i] as f64).sum();
            Some((pick(&self.ret)?, pick(&self.vol)?, pick(&self.sample_weight)?, sum))
        } else {
            None
        };
        Ok(Targets { class, class_weight_sum, regression })
    }
}

/// Trains `net` on `train`, early-stopping on `valid`.
pub(crate) fn fit(
    net: &Network,
    multitask: Option<&MultitaskHeads>,
    params: &TrainParams,
    train: &Split,
    valid: Option<&Split>,
    device: &Device,
    ctx: &FitContext<'_>,
) -> Result<FitReport, StageError> {
    let mut opt = AdamW::new(&net.params, params).context("creating the optimizer")?;
    let mut shuffle = ctx.rng("shuffle");
    let mut dropout = Some(ctx.rng("dropout"));
    let n = train.len();
    let n_batches = n.div_ceil(params.batch_size);
    let mut report = FitReport::default();
    let mut best: Option<(f64, usize, Vec<Tensor>)> = None;
    let mut since_best = 0;
    ctx.progress().set_length(params.epochs as u64);
    let mut order: Vec<usize> = (0..n).collect();
    for epoch in 0..params.epochs {
        order.shuffle(&mut shuffle);
        let mut loss_sum = 0f64;
        for (b, rows) in order.chunks(params.batch_size).enumerate() {
            let lr = params.lr_at(epoch as f64 + b as f64 / n_batches as f64);
            let x = train.windows.batch(rows, device)?;
            let targets = train.targets(rows, multitask.is_some(), device).context("building batch targets")?;
            let mut fwd = Forward::train(dropout.take().expect("dropout rng is returned after every batch"));
            let out = net.forward(&x, &mut fwd).context("forward pass")?;
            dropout = fwd.into_rng();
            let reg_sum = targets.regression.as_ref().map_or(0.0, |r| r.3);
            let coefficients = network::loss_coefficients(multitask, targets.class_weight_sum, reg_sum);
            let loss = network::loss_sums(&out, &targets).and_then(|s| network::loss(&s, coefficients)).context("computing the loss")?;
            let value = loss.to_scalar::<f32>().context("reading the loss")? as f64;
            if !value.is_finite() {
                return Err(StageError::data_hint(
                    format!("training diverged: the loss is {value} at epoch {} batch {b}", epoch + 1),
                    "lower `train.lr`, keep `train.clip_norm` > 0 and `train.standardize: true`, or check the features for extreme values",
                ));
            }
            let grads = loss.backward().context("backward pass")?;
            opt.step(&grads, lr).context("optimizer step")?;
            loss_sum += value * rows.len() as f64;
        }
        let train_loss = loss_sum / n as f64;
        report.train_loss.push(train_loss);
        let mut line = format!("epoch {}/{}: train loss {train_loss:.5}", epoch + 1, params.epochs);
        if let Some(valid) = valid {
            let vl = evaluate(net, multitask, valid, params.predict_batch_size, device)?;
            report.valid_loss.push(vl);
            let _ = write!(line, ", valid loss {vl:.5}");
            if best.as_ref().is_none_or(|(b, _, _)| vl < b - params.min_delta) {
                let snapshot = net.params.values().map(|p| p.var.as_tensor().copy()).collect::<Result<Vec<_>, _>>().context("saving the best weights")?;
                best = Some((vl, epoch, snapshot));
                since_best = 0;
            } else {
                since_best += 1;
            }
        }
        ctx.progress().inc(1);
        ctx.progress().set_message(&line);
        ctx.log(&line);
        if params.patience > 0 && since_best >= params.patience {
            ctx.log(format!("early stop: no validation improvement for {since_best} epochs"));
            break;
        }
    }
    match best {
        Some((_, epoch, snapshot)) => {
            for (p, t) in net.params.values().zip(snapshot) {
                p.var.set(&t).context("restoring the best weights")?;
            }
            report.iterations = epoch + 1;
            report.best_iteration = Some(epoch);
        }
        None => report.iterations = report.train_loss.len(),
    }
    Ok(report)
}

/// The loss on a whole split (weighted mean, inference mode), batch by batch in row order.
pub(crate) fn evaluate(net: &Network, multitask: Option<&MultitaskHeads>, split: &Split, batch_size: usize, device: &Device) -> Result<f64, StageError> {
    let mut sums = [0f64; 3];
    let (mut class_w, mut reg_w) = (0f64, 0f64);
    let rows: Vec<usize> = (0..split.len()).collect();
    for chunk in rows.chunks(batch_size) {
        let x = split.windows.batch(chunk, device)?;
        let targets = split.targets(chunk, multitask.is_some(), device).context("building batch targets")?;
        let out = net.forward(&x, &mut Forward::eval()).context("forward pass")?;
        let parts = network::loss_sums(&out, &targets).context("computing the validation loss")?;
        for (acc, t) in sums.iter_mut().zip(&parts) {
            *acc += t.to_scalar::<f32>().context("reading the validation loss")? as f64;
        }
        class_w += targets.class_weight_sum;
        reg_w += targets.regression.as_ref().map_or(0.0, |r| r.3);
    }
    let c = network::loss_coefficients(multitask, class_w, reg_w);
    Ok(sums.iter().zip(c).map(|(s, c)| s * c).sum())
}
