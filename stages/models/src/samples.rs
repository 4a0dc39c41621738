//! [`Samples`]: the rows a model fits on or predicts, read from a `dataset` table.
//!
//! Features are a dense row-major `f32` matrix (what every model family consumes:
//! histogram trees bin it, linear models and candle nets read it directly); labels are
//! class indices in the fixed order of [`Class`]. Row order is the dataset's (time order),
//! which sequence models rely on together with `segment`. A dataset made from a
//! `features.mtf` `multi_resolution` table also carries its tensor layout ([`MtfLayout`]),
//! from which sequence models can read each row's own multi-timeframe window.

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{f64_column, str_column, ts_column};
use mlfactory_market::contracts::dataset as ds;
use mlfactory_market::mtf_layout::MtfLayout;

/// The three classes every model predicts, in probability-column order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Short = 0,
    Neutral = 1,
    Long = 2,
}

impl Class {
    /// Number of classes.
    pub const COUNT: usize = 3;
    pub const ALL: [Class; 3] = [Class::Short, Class::Neutral, Class::Long];

    /// From a label / signal in {-1, 0, +1}.
    pub fn from_label(label: i64) -> Option<Self> {
        match label {
            -1 => Some(Self::Short),
            0 => Some(Self::Neutral),
            1 => Some(Self::Long),
            _ => None,
        }
    }

    /// The label / signal in {-1, 0, +1}.
    pub fn label(self) -> i8 {
        self as i8 - 1
    }

    /// The column-order index (0, 1, 2).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Self {
        Self::ALL[i]
    }
}

/// Rows of one split of a dataset, ready for a model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// Feature names, in column order.
    pub features: Vec<String>,
    /// `rows x features.len()`, row-major.
    pub x: Vec<f32>,
    /// Class index per row (see [`Class`]).
    pub y: Vec<u8>,
    /// Sample weight per row.
    pub weight: Vec<f32>,
    /// Realised label return per row (regression target, trading metrics).
    pub ret: Vec<f64>,
    /// Event time (ns UTC).
    pub ts: Vec<i64>,
    /// Time the label is known (ns UTC): what purging needs.
    pub t1: Vec<i64>,
    /// Sequence segment per row (windows never cross a segment).
    pub segment: Vec<i64>,
    /// Barrier volatility target per row, NaN where the dataset has none.
    pub target: Vec<f64>,
    /// The `multi_resolution` tensor layout of the dataset's schema metadata, if any: which
    /// feature columns form each row's `[timeframes, window, fields]` tensor.
    pub layout: Option<MtfLayout>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.n_features();
        &self.x[i * d..(i + 1) * d]
    }

    /// Feature `j` of every row.
    pub fn column(&self, j: usize) -> Vec<f32> {
        let d = self.n_features();
        (0..self.len()).map(|i| self.x[i * d + j]).collect()
    }

    /// The rows at `indices`, in that order. Sequence segments are renumbered and cut
    /// wherever two neighbours in `indices` were not neighbours of one segment here (a
    /// purged or embargoed gap, another fold), so no window ever spans rows that were not
    /// adjacent in time.
    pub fn select(&self, indices: &[usize]) -> Self {
        let d = self.n_features();
        let mut x = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        let pick_u8 = |v: &[u8]| indices.iter().map(|&i| v[i]).collect();
        let pick_f32 = |v: &[f32]| indices.iter().map(|&i| v[i]).collect();
        let pick_f64 = |v: &[f64]| indices.iter().map(|&i| v[i]).collect();
        let pick_i64 = |v: &[i64]| indices.iter().map(|&i| v[i]).collect();
        Self {
            features: self.features.clone(),
            x,
            y: pick_u8(&self.y),
            weight: pick_f32(&self.weight),
            ret: pick_f64(&self.ret),
            ts: pick_i64(&self.ts),
            t1: pick_i64(&self.t1),
            segment: self.cut_segments(indices),
            target: pick_f64(&self.target),
            layout: self.layout.clone(),
        }
    }

    /// Segment ids `0, 1, …` for the rows at `indices`: a new one wherever a row does not
    /// directly follow its predecessor in the same segment.
    fn cut_segments(&self, indices: &[usize]) -> Vec<i64> {
        let mut id = 0;
        let mut out = Vec::with_capacity(indices.len());
        for (k, &i) in indices.iter().enumerate() {
            if k > 0 {
                let prev = indices[k - 1];
                if i != prev + 1 || self.segment[i] != self.segment[prev] {
                    id += 1;
                }
            }
            out.push(id);
        }
        out
    }

    /// Class counts (short, neutral, long).
    pub fn class_counts(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for &c in &self.y {
            counts[c as usize] += 1;
        }
        counts
    }

    /// The rows of `table` (a `dataset` table) whose `split` is `split` (`None`: every row).
    /// Feature columns are every column that [`ds::is_feature`] accepts, in table order;
    /// `weight`, `segment` and `target` are optional (1, 0 and NaN when absent).
    pub fn from_dataset(table: &RecordBatch, split: Option<&str>) -> Result<Self, StageError> {
        let keep: Vec<usize> = match split {
            None => (0..table.num_rows()).collect(),
            Some(want) => str_column(table, ds::SPLIT)?.iter().enumerate().filter(|(_, s)| s.as_deref() == Some(want)).map(|(i, _)| i).collect(),
        };
        let features: Vec<String> = table.schema_ref().fields().iter().map(|f| f.name().clone()).filter(|n| ds::is_feature(n)).collect();
        let d = features.len();
        let mut x = vec![0f32; keep.len() * d];
        for (j, name) in features.iter().enumerate() {
            let col = f64_column(table, name)?;
            for (r, &i) in keep.iter().enumerate() {
                let v = col[i];
                if !v.is_finite() {
                    return Err(StageError::data_hint(
                        format!("dataset feature `{name}` is {v} at row {i}"),
                        "datasets must have no nulls or non-finite values: the `dataset` stage drops warm-up rows",
                    ));
                }
                x[r * d + j] = v as f32;
            }
        }
        let labels = f64_column(table, ds::LABEL)?;
        let mut y = Vec::with_capacity(keep.len());
        for &i in &keep {
            let class = Class::from_label(labels[i] as i64)
                .filter(|_| labels[i].fract() == 0.0)
                .ok_or_else(|| StageError::data_hint(format!("dataset `label` is {} at row {i}", labels[i]), "labels must be -1, 0 or +1"))?;
            y.push(class as u8);
        }
        let pick = |v: Vec<f64>| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let optional = |name: &str, default: f64| -> Result<Vec<f64>, StageError> {
            Ok(match table.column_by_name(name) {
                Some(_) => pick(f64_column(table, name)?),
                None => vec![default; keep.len()],
            })
        };
        let ts_all = ts_column(table, ds::TS)?;
        let t1_all = ts_column(table, ds::T1)?;
        Ok(Self {
            features,
            x,
            y,
            weight: optional(ds::WEIGHT, 1.0)?.into_iter().map(|w| w as f32).collect(),
            ret: pick(f64_column(table, ds::RET)?),
            ts: keep.iter().map(|&i| ts_all[i]).collect(),
            t1: keep.iter().map(|&i| t1_all[i]).collect(),
            segment: optional(ds::SEGMENT, 0.0)?.into_iter().map(|s| s as i64).collect(),
            target: optional(ds::TARGET, f64::NAN)?,
            layout: MtfLayout::from_metadata(table.schema_ref().metadata())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    fn table() -> RecordBatch {
        TableBuilder::new()
            .ts(ds::TS, vec![1, 2, 3, 4])
            .ts(ds::T1, vec![3, 4, 5, 6])
            .str(ds::SPLIT, &["train", "train", "val", "test"])
            .f64(ds::LABEL, vec![-1.0, 1.0, 0.0, 1.0])
            .f64(ds::RET, vec![-0.01, 0.02, 0.0, 0.01])
            .f64("rsi_14", vec![10.0, 20.0, 30.0, 40.0])
            .f64("atr_14", vec![1.0, 2.0, 3.0, 4.0])
            .build()
            .unwrap()
    }

    #[test]
    fn reads_one_split_with_defaults_for_optional_columns() {
        let s = Samples::from_dataset(&table(), Some("train")).unwrap();
        assert_eq!(s.features, ["rsi_14", "atr_14"]);
        assert_eq!(s.x, [10.0, 1.0, 20.0, 2.0]);
        assert_eq!(s.y, [Class::Short as u8, Class::Long as u8]);
        assert_eq!(s.weight, [1.0, 1.0]);
        assert_eq!(s.t1, [3, 4]);
        assert_eq!(s.row(1), [20.0, 2.0]);
        assert_eq!(s.column(1), [1.0, 2.0]);
        assert_eq!(s.select(&[1]).ts, [2]);
        assert_eq!(Samples::from_dataset(&table(), None).unwrap().class_counts(), [1, 1, 2]);
        assert_eq!(s.layout, None);
    }

    #[test]
    fn carries_the_tensor_layout_of_the_metadata_through_selection() {
        use mlfactory_market::mtf_layout::META_LAYOUT;
        let t = table();
        let json = r#"{"timeframes": ["5m"], "window": 1, "fields": ["rsi", "atr"]}"#;
        let metadata = std::collections::HashMap::from([(META_LAYOUT.to_owned(), json.to_owned())]);
        let t = t.clone().with_schema(std::sync::Arc::new(t.schema_ref().as_ref().clone().with_metadata(metadata))).unwrap();
        let s = Samples::from_dataset(&t, Some("train")).unwrap();
        assert_eq!(s.layout, Some(MtfLayout::from_json(json).unwrap()));
        assert_eq!(s.select(&[1]).layout, s.layout);
    }

    #[test]
    fn selecting_cuts_sequence_segments_at_gaps() {
        let mut s = Samples::from_dataset(&table(), None).unwrap();
        s.segment = vec![7, 7, 7, 8];
        // 0 → 1 adjacent; 1 → 3 jumps a row; 3 → 2 goes back.
        assert_eq!(s.select(&[0, 1, 3, 2]).segment, [0, 0, 1, 2]);
        // 2 → 3 is adjacent but crosses from segment 7 into 8.
        assert_eq!(s.select(&[1, 2, 3]).segment, [0, 0, 1]);
    }

    #[test]
    fn rejects_bad_labels_and_missing_values() {
        let bad = TableBuilder::new()
            .ts(ds::TS, vec![1])
            .ts(ds::T1, vec![2])
            .str(ds::SPLIT, &["train"])
            .f64(ds::LABEL, vec![2.0])
            .f64(ds::RET, vec![0.0])
            .f64("x", vec![1.0])
            .build()
            .unwrap();
        assert!(Samples::from_dataset(&bad, None).unwrap_err().to_string().contains("label"));
        let nan = TableBuilder::new()
            .ts(ds::TS, vec![1])
            .ts(ds::T1, vec![2])
            .str(ds::SPLIT, &["train"])
            .f64(ds::LABEL, vec![1.0])
            .f64(ds::RET, vec![0.0])
            .f64("x", vec![f64::NAN])
            .build()
            .unwrap();
        assert!(Samples::from_dataset(&nan, None).unwrap_err().to_string().contains("feature `x`"));
    }
}
