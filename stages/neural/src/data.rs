//! From [`Samples`] to batches: feature standardization fitted on the training split, and
//! the sequence dataset of windows.
//!
//! The window of row `i` is rows `i - seq_len + 1 ..= i` (oldest first). Windows never cross
//! a segment (a run of consecutive rows with the same `segment`): where fewer than
//! `seq_len - 1` rows of the segment precede row `i`, the window is **left-padded with
//! zeros**, which after standardization is the training mean. A window reads its own row
//! and earlier ones only, so a row's prediction never sees a later row.

use candle_core::{Device, Tensor};
use mlfactory_engine::StageError;
use mlfactory_engine::stage::ResultExt;
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

/// Windows over one split, ready to batch.
pub(crate) struct Windows {
    x: Vec<f32>,
    d: usize,
    seq_len: usize,
    /// Per row: the index of the first row of its segment run.
    segment_start: Vec<usize>,
}

impl Windows {
    pub(crate) fn new(data: &Samples, scaler: &Scaler, seq_len: usize) -> Self {
        let mut segment_start = Vec::with_capacity(data.len());
        for i in 0..data.len() {
            let start = if i > 0 && data.segment[i] == data.segment[i - 1] { segment_start[i - 1] } else { i };
            segment_start.push(start);
        }
        Self { x: scaler.apply(data), d: data.n_features(), seq_len, segment_start }
    }

    pub(crate) fn len(&self) -> usize {
        self.segment_start.len()
    }

    /// Writes row `i`'s window (`seq_len x d`, oldest first, zero-padded on the left) to `out`.
    pub(crate) fn window_into(&self, i: usize, out: &mut [f32]) {
        let (l, d) = (self.seq_len, self.d);
        let available = i - self.segment_start[i] + 1;
        let take = available.min(l);
        let pad = l - take;
        out[..pad * d].fill(0.0);
        let first = i + 1 - take;
        out[pad * d..].copy_from_slice(&self.x[first * d..(i + 1) * d]);
    }

    /// The windows of `rows` as `[rows.len(), seq_len, d]`.
    pub(crate) fn batch(&self, rows: &[usize], device: &Device) -> Result<Tensor, StageError> {
        let size = self.seq_len * self.d;
        let mut buf = vec![0f32; rows.len() * size];
        for (out, &i) in buf.chunks_exact_mut(size).zip(rows) {
            self.window_into(i, out);
        }
        Tensor::from_vec(buf, (rows.len(), self.seq_len, self.d), device).context("building a batch")
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
}
