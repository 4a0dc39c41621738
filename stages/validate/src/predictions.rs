//! A `predictions` table (see `mlfactory_market::contracts::predictions`) read into
//! plain columns, and written back.
//!
//! Every stage here that consumes model output reads it through [`Predictions`], so the
//! checks (labels in −1/0/+1, probabilities finite) and their error messages live in one
//! place. Row order is the table's (time order within each split).

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{TableBuilder, f64_column, str_column, ts_column};
use mlfactory_market::contracts::predictions as pc;

/// The rows of a predictions table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predictions {
    pub ts: Vec<i64>,
    pub split: Vec<String>,
    /// True class index: 0 short, 1 neutral, 2 long.
    pub class: Vec<u8>,
    pub ret: Vec<f64>,
    /// −1, 0, +1.
    pub signal: Vec<f64>,
    /// `[p_short, p_neutral, p_long]` per row.
    pub proba: Vec<[f64; 3]>,
    pub expected_return: Vec<f64>,
}

impl Predictions {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Reads and checks a predictions table; `input` names it in errors.
    pub fn read(table: &RecordBatch, input: &str) -> Result<Self, StageError> {
        let labels = f64_column(table, pc::LABEL)?;
        let mut class = Vec::with_capacity(labels.len());
        for (row, &l) in labels.iter().enumerate() {
            if !matches!(l, -1.0 | 0.0 | 1.0) {
                return Err(StageError::data_hint(
                    format!("`{input}`: column `{}` is {l} at row {row}", pc::LABEL),
                    "predictions carry the true label as -1, 0 or +1; meta-label (0/1) predictions are not supported here",
                ));
            }
            class.push((l + 1.0) as u8);
        }
        let [ps, pn, pl] = [pc::P_SHORT, pc::P_NEUTRAL, pc::P_LONG].map(|c| f64_column(table, c));
        let (ps, pn, pl) = (ps?, pn?, pl?);
        let mut proba = Vec::with_capacity(ps.len());
        for row in 0..ps.len() {
            let p = [ps[row], pn[row], pl[row]];
            if p.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(StageError::data_hint(
                    format!("`{input}`: probabilities {p:?} at row {row} are not finite and non-negative"),
                    "check the model stage that wrote these predictions",
                ));
            }
            proba.push(p);
        }
        let split = str_column(table, pc::SPLIT)?.into_iter().map(Option::unwrap_or_default).collect();
        let expected_return = match table.column_by_name(pc::EXPECTED_RETURN) {
            Some(_) => f64_column(table, pc::EXPECTED_RETURN)?,
            None => vec![f64::NAN; labels.len()],
        };
        Ok(Self {
            ts: ts_column(table, pc::TS)?,
            split,
            class,
            ret: f64_column(table, pc::RET)?,
            signal: f64_column(table, pc::SIGNAL)?,
            proba,
            expected_return,
        })
    }

    /// Distinct split names in order of first appearance.
    pub fn splits(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.split {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }

    /// Row indices of split `name`.
    pub fn rows(&self, name: &str) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.split[i] == name).collect()
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Self {
        Self {
            ts: idx.iter().map(|&i| self.ts[i]).collect(),
            split: idx.iter().map(|&i| self.split[i].clone()).collect(),
            class: idx.iter().map(|&i| self.class[i]).collect(),
            ret: idx.iter().map(|&i| self.ret[i]).collect(),
            signal: idx.iter().map(|&i| self.signal[i]).collect(),
            proba: idx.iter().map(|&i| self.proba[i]).collect(),
            expected_return: idx.iter().map(|&i| self.expected_return[i]).collect(),
        }
    }

    /// Appends the rows of `other`.
    pub fn extend(&mut self, other: Self) {
        self.ts.extend(other.ts);
        self.split.extend(other.split);
        self.class.extend(other.class);
        self.ret.extend(other.ret);
        self.signal.extend(other.signal);
        self.proba.extend(other.proba);
        self.expected_return.extend(other.expected_return);
    }

    /// Per-row `signal × ret` (0 where no signal).
    pub fn pnl(&self) -> Vec<f64> {
        self.signal.iter().zip(&self.ret).map(|(s, r)| if *s == 0.0 { 0.0 } else { s.signum() * r }).collect()
    }

    /// The predictions table (contract column order).
    pub fn to_table(&self) -> Result<RecordBatch, StageError> {
        let col = |k: usize| self.proba.iter().map(|p| p[k]).collect::<Vec<f64>>();
        TableBuilder::new()
            .ts(pc::TS, self.ts.clone())
            .str(pc::SPLIT, &self.split)
            .f64(pc::LABEL, self.class.iter().map(|&c| f64::from(c) - 1.0).collect())
            .f64(pc::RET, self.ret.clone())
            .f64(pc::SIGNAL, self.signal.clone())
            .f64(pc::P_SHORT, col(0))
            .f64(pc::P_NEUTRAL, col(1))
            .f64(pc::P_LONG, col(2))
            .f64(pc::CONFIDENCE, self.proba.iter().map(|p| p.iter().copied().fold(f64::NEG_INFINITY, f64::max)).collect())
            .f64(pc::EXPECTED_RETURN, self.expected_return.clone())
            .build()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Small predictions tables for tests.

    use super::*;

    /// `n` rows a day apart from 2024-01-02 15:00 UTC, split `split`; true labels cycle
    /// −1, 0, +1; the model is right on every row where `right(i)`.
    pub(crate) fn predictions(n: usize, split: &str, right: impl Fn(usize) -> bool) -> Predictions {
        const DAY: i64 = 86_400_000_000_000;
        let class: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let predicted: Vec<u8> = (0..n).map(|i| if right(i) { class[i] } else { (class[i] + 1) % 3 }).collect();
        let proba = predicted
            .iter()
            .map(|&k| {
                let mut p = [0.2, 0.2, 0.2];
                p[k as usize] = 0.6;
                p
            })
            .collect();
        Predictions {
            ts: (0..n as i64).map(|i| 1_704_207_600_000_000_000 + i * DAY).collect(),
            split: vec![split.to_owned(); n],
            ret: class.iter().map(|&c| (f64::from(c) - 1.0) * 0.01).collect(),
            signal: predicted.iter().map(|&k| f64::from(k) - 1.0).collect(),
            class,
            proba,
            expected_return: vec![0.0; n],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_table() {
        let mut p = fixtures::predictions(5, "val", |i| i % 2 == 0);
        p.extend(fixtures::predictions(3, "test", |_| true));
        let back = Predictions::read(&p.to_table().unwrap(), "model").unwrap();
        assert_eq!(back, p);
        assert_eq!(back.splits(), ["val", "test"]);
        assert_eq!(back.rows("test"), [5, 6, 7]);
    }

    #[test]
    fn bad_labels_name_the_row() {
        let t = TableBuilder::new()
            .ts(pc::TS, vec![1, 2, 3])
            .str(pc::SPLIT, &["val"; 3])
            .f64(pc::LABEL, vec![-1.0, 0.5, 1.0])
            .f64(pc::RET, vec![0.0; 3])
            .f64(pc::SIGNAL, vec![0.0; 3])
            .f64(pc::P_SHORT, vec![0.3; 3])
            .f64(pc::P_NEUTRAL, vec![0.3; 3])
            .f64(pc::P_LONG, vec![0.4; 3])
            .build()
            .unwrap();
        let err = Predictions::read(&t, "model").unwrap_err().to_string();
        assert!(err.contains("is 0.5 at row 1"), "{err}");
    }
}
