//! From [`Samples`] to batches: feature standardization fitted on the training split, and
//! the sequence a network reads for each row.
//!
//! With `sequence: rows` (the default) the sequence of row `i` is rows `i - seq_len + 1
//! ..= i` (oldest first). Windows never cross a segment (a run of consecutive rows with
//! the same `segment`): where fewer than `seq_len - 1` rows of the segment precede row `i`,
//! the window is **left-padded with zeros**, which after standardization is the training
//! mean. A window reads its own row and earlier ones only, so a row's prediction never
//! sees a later row.
//!
//! With `sequence: multi_resolution` the sequence of row `i` is its own tensor, read from
//! the feature columns the dataset's `multi_resolution` layout names ([`TensorView`]):
//! `window` steps, oldest first, each step the `timeframes x fields` cells of that step
//! (timeframes in ladder order, then fields), followed by the row's other features,
//! repeated at every step. Rows are independent; segments play no part.
//!
//! Either way the dataset is stored once, as the standardized row-major matrix, and each
//! batch gathers its sequences from it.

use candle_core::{Device, Tensor};
use mlfactory_engine::StageError;
use mlfactory_engine::stage::ResultExt;
use mlfactory_market::mtf_layout::MtfLayout;
use mlfactory_models::Samples;

/// Per-feature standardization `(x - mean) / std` with the training split's moments
/// (population std; a constant feature gets std 1).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scaler {
    pub(crate) mean: Vec<f32>,
    pub(crate) std: Vec<f32>,
}

impl Scaler {
    /// Moments of `train`'s features (f64 sums in row order: deterministic).
    pub(crate) fn fit(train: &Samples) -> Self {
        let d = train.n_features();
        let n = train.len().max(1) as f64;
        let mut sum = vec![0f64; d];
        for i in 0..train.len() {
            for (s, &v) in sum.iter_mut().zip(train.row(i)) {
                *s += v as f64;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let mut ss = vec![0f64; d];
        for i in 0..train.len() {
            for ((s, &v), m) in ss.iter_mut().zip(train.row(i)).zip(&mean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        let std = ss.iter().map(|s| (s / n).sqrt()).map(|s| if s > 1e-12 { s as f32 } else { 1.0 }).collect();
        Self { mean: mean.iter().map(|&m| m as f32).collect(), std }
    }

    /// No scaling.
    pub(crate) fn identity(d: usize) -> Self {
        Self { mean: vec![0.0; d], std: vec![1.0; d] }
    }

    /// `data`'s feature matrix, scaled.
    fn apply(&self, data: &Samples) -> Vec<f32> {
        let d = self.mean.len();
        let mut x = data.x.clone();
        for row in x.chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        x
    }
}

/// Where each step of a row's `multi_resolution` sequence reads its values: the feature
/// columns of the layout's cells, then the row's other features.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TensorView {
    steps: usize,
    width: usize,
    /// `gather[s * width + k]`: the feature column of step `s`, slot `k`.
    gather: Vec<usize>,
}

impl TensorView {
    /// The view of `layout` over `features` (the dataset's feature columns, in order).
    pub(crate) fn new(layout: &MtfLayout, features: &[String]) -> Result<Self, StageError> {
        let position: std::collections::HashMap<&str, usize> = features.iter().enumerate().map(|(j, f)| (f.as_str(), j)).collect();
        let cells = layout.columns();
        let in_tensor: std::collections::HashSet<&str> = cells.iter().map(String::as_str).collect();
        if let Some(missing) = cells.iter().find(|c| !position.contains_key(c.as_str())) {
            return Err(StageError::data_hint(
                format!("the dataset's multi_resolution layout names the column `{missing}`, which is not among its features"),
                "a stage between `features.mtf` and the model dropped or renamed tensor columns; bind the `dataset` (or `scale`, `features.select`) output directly",
            ));
        }
        let extras: Vec<usize> = features.iter().enumerate().filter(|(_, f)| !in_tensor.contains(f.as_str())).map(|(j, _)| j).collect();
        let width = layout.step_width() + extras.len();
        let mut gather = Vec::with_capacity(layout.window * width);
        for step in 0..layout.window {
            for tf in 0..layout.timeframes.len() {
                for field in 0..layout.fields.len() {
                    gather.push(position[layout.column(tf, step, field).as_str()]);
                }
            }
            gather.extend_from_slice(&extras);
        }
        Ok(Self { steps: layout.window, width, gather })
    }

    /// Values per step.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Steps per sequence.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }
}

/// How a row's sequence is read from the matrix.
enum Steps {
    /// The row and the `seq_len - 1` before it in its segment; per row, the index of the
    /// first row of its segment run.
    Rows { seq_len: usize, segment_start: Vec<usize> },
    /// The row's own tensor.
    Tensor(TensorView),
}

/// The sequences of one split, ready to batch.
pub(crate) struct Windows {
    /// The standardized features, row-major.
    x: Vec<f32>,
    /// Features per row.
    d: usize,
    rows: usize,
    steps: Steps,
}

impl Windows {
    /// Windows of `seq_len` consecutive rows within a segment (`sequence: rows`).
    pub(crate) fn new(data: &Samples, scaler: &Scaler, seq_len: usize) -> Self {
        let mut segment_start = Vec::with_capacity(data.len());
        for i in 0..data.len() {
            let start = if i > 0 && data.segment[i] == data.segment[i - 1] { segment_start[i - 1] } else { i };
            segment_start.push(start);
        }
        Self { x: scaler.apply(data), d: data.n_features(), rows: data.len(), steps: Steps::Rows { seq_len, segment_start } }
    }

    /// Each row's own tensor (`sequence: multi_resolution`).
    pub(crate) fn tensor(data: &Samples, scaler: &Scaler, view: TensorView) -> Self {
        Self { x: scaler.apply(data), d: data.n_features(), rows: data.len(), steps: Steps::Tensor(view) }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Steps per sequence.
    fn seq_len(&self) -> usize {
        match &self.steps {
            Steps::Rows { seq_len, .. } => *seq_len,
            Steps::Tensor(view) => view.steps,
        }
    }

    /// Values per step.
    fn width(&self) -> usize {
        match &self.steps {
            Steps::Rows { .. } => self.d,
            Steps::Tensor(view) => view.width,
        }
    }

    /// Writes row `i`'s sequence (`seq_len x width`, oldest step first) to `out`.
    pub(crate) fn window_into(&self, i: usize, out: &mut [f32]) {
        let d = self.d;
        match &self.steps {
            Steps::Rows { seq_len, segment_start } => {
                let available = i - segment_start[i] + 1;
                let take = available.min(*seq_len);
                let pad = seq_len - take;
                out[..pad * d].fill(0.0);
                let first = i + 1 - take;
                out[pad * d..].copy_from_slice(&self.x[first * d..(i + 1) * d]);
            }
            Steps::Tensor(view) => {
                let row = &self.x[i * d..(i + 1) * d];
                for (o, &j) in out.iter_mut().zip(&view.gather) {
                    *o = row[j];
                }
            }
        }
    }

    /// The sequences of `rows` as `[rows.len(), seq_len, width]`.
    pub(crate) fn batch(&self, rows: &[usize], device: &Device) -> Result<Tensor, StageError> {
        let (seq_len, width) = (self.seq_len(), self.width());
        let size = seq_len * width;
        let mut buf = vec![0f32; rows.len() * size];
        for (out, &i) in buf.chunks_exact_mut(size).zip(rows) {
            self.window_into(i, out);
        }
        Tensor::from_vec(buf, (rows.len(), seq_len, width), device).context("building a batch")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(segment: Vec<i64>) -> Samples {
        let n = segment.len();
        Samples {
            features: vec!["a".into(), "b".into()],
            x: (0..n).flat_map(|i| [i as f32 + 1.0, -(i as f32) - 1.0]).collect(),
            y: vec![1; n],
            weight: vec![1.0; n],
            ret: vec![0.0; n],
            ts: (0..n as i64).collect(),
            t1: (0..n as i64).collect(),
            segment,
            target: vec![f64::NAN; n],
            layout: None,
        }
    }

    #[test]
    fn windows_stay_in_their_segment_and_pad_with_zeros() {
        let s = samples(vec![0, 0, 0, 1, 1]);
        let w = Windows::new(&s, &Scaler::identity(2), 3);
        let mut out = vec![9.0; 6];
        w.window_into(2, &mut out);
        assert_eq!(out, [1.0, -1.0, 2.0, -2.0, 3.0, -3.0]);
        w.window_into(1, &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0, -1.0, 2.0, -2.0]);
        // Row 3 starts segment 1: rows of segment 0 never leak into its window.
        w.window_into(3, &mut out);
        assert_eq!(out, [0.0, 0.0, 0.0, 0.0, 4.0, -4.0]);
        w.window_into(4, &mut out);
        assert_eq!(out, [0.0, 0.0, 4.0, -4.0, 5.0, -5.0]);
    }

    #[test]
    fn a_window_never_reads_later_rows() {
        // Rewrite the future: windows of earlier rows must not change.
        let a = samples(vec![0; 6]);
        let mut b = a.clone();
        for v in &mut b.x[8..] {
            *v = 1e6;
        }
        let (wa, wb) = (Windows::new(&a, &Scaler::identity(2), 4), Windows::new(&b, &Scaler::identity(2), 4));
        let (mut oa, mut ob) = (vec![0.0; 8], vec![0.0; 8]);
        for i in 0..4 {
            wa.window_into(i, &mut oa);
            wb.window_into(i, &mut ob);
            assert_eq!(oa, ob, "row {i}");
        }
    }

    #[test]
    fn scaler_standardizes_with_training_moments() {
        let s = samples(vec![0; 4]);
        let sc = Scaler::fit(&s);
        assert_eq!(sc.mean, [2.5, -2.5]);
        assert!((sc.std[0] - 1.25f32.sqrt()).abs() < 1e-6);
        let constant = Samples { x: vec![3.0; 8], ..s };
        assert_eq!(Scaler::fit(&constant).std, [1.0, 1.0]);
    }

    #[test]
    fn a_rows_tensor_is_its_columns_reshaped_time_major_with_other_features_at_every_step() {
        let layout = MtfLayout::from_json(r#"{"timeframes": ["1m", "5m"], "window": 3, "fields": ["open", "high", "low", "close", "volume"]}"#).unwrap();
        // Features: `rsi`, the 30 tensor columns in layout order, `atr`.
        let mut features = vec!["rsi".to_owned()];
        features.extend(layout.columns());
        features.push("atr".into());
        let d = features.len();
        let n = 3;
        let data = Samples { x: (0..n * d).map(|k| k as f32).collect(), ..samples(vec![0; n]) };
        let data = Samples { features: features.clone(), y: vec![1; n], ..data };
        let view = TensorView::new(&layout, &features).unwrap();
        assert_eq!((view.steps(), view.width()), (3, 12));
        let w = Windows::tensor(&data, &Scaler::identity(d), view);
        let mut out = vec![0.0; 3 * 12];
        let row = 1;
        w.window_into(row, &mut out);
        let cell = |name: &str| data.row(row)[features.iter().position(|f| f == name).unwrap()];
        // By name: the last step holds lag 0, the first the oldest lag.
        assert_eq!(out[2 * 12 + 5 + 3], cell("close_5m_l0"));
        assert_eq!(out[0], cell("open_1m_l2"));
        assert_eq!(out[12 + 4], cell("volume_1m_l1"));
        // All of it: layout cell (tf, step, field) sits at position 1 + (tf * 3 + step) * 5 + field
        // of the row; the sequence is [step][tf][field], then rsi and atr.
        for step in 0..3 {
            for tf in 0..2 {
                for field in 0..5 {
                    assert_eq!(out[step * 12 + tf * 5 + field], data.row(row)[1 + (tf * 3 + step) * 5 + field]);
                }
            }
            assert_eq!(out[step * 12 + 10..step * 12 + 12], [cell("rsi"), cell("atr")]);
        }
        let batch = w.batch(&[0, 2], &Device::Cpu).unwrap();
        assert_eq!(batch.dims(), [2, 3, 12]);

        let missing = &features[..d - 5];
        let err = TensorView::new(&layout, missing).unwrap_err().to_string();
        assert!(err.contains("`high_5m_l0`, which is not among its features"), "{err}");
    }
}
