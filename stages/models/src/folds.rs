//! Purged k-fold splits of a model's training rows (the splitter library of
//! `mlfactory-splits`), for everything that fits on some rows and scores others inside
//! one training run: SVM calibration, stacking's out-of-fold predictions.

use mlfactory_engine::StageError;
use mlfactory_splits::splitter::{Fold, Interval, PurgedKFold};

use crate::samples::Samples;

/// Each row's label window `[ts, t1]`.
pub fn intervals(samples: &Samples) -> Vec<Interval> {
    samples.ts.iter().zip(&samples.t1).map(|(&t0, &t1)| Interval::new(t0, t1)).collect()
}

/// `k` contiguous test folds over `samples`, each with the training rows left after
/// purging overlapping labels and embargoing `embargo` rows after the fold.
pub fn purged_kfold(samples: &Samples, k: usize, embargo: usize) -> Result<Vec<Fold>, StageError> {
    PurgedKFold::new(k).with_embargo(embargo).split(&intervals(samples))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::blobs;

    #[test]
    fn purges_rows_whose_labels_overlap_the_test_fold() {
        let mut s = blobs(30, 1);
        // Every label ends 5 rows later.
        s.t1 = s.ts.iter().map(|t| t + 5 * 60).collect();
        let folds = purged_kfold(&s, 3, 0).unwrap();
        assert_eq!(folds[1].test, (10..20).collect::<Vec<_>>());
        // Rows 5..10 end inside the test fold; rows 20..25 start before its last label ends.
        assert_eq!(folds[1].train, (0..5).chain(25..30).collect::<Vec<_>>());
    }
}
