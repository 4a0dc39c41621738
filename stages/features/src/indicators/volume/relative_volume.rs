//! Relative volume by time of day: the bar's volume over the mean volume of the bars at
//! the same minute of the trading day on the previous `days` occasions (in practice the
//! previous `days` trading days).
//!
//! Intraday volume has a strong U shape; dividing by the same slot's history removes it.
//! The denominator is floored at one contract, so a slot that never traded gives the raw
//! volume rather than infinity. NaN until the slot has `days` earlier observations.

use std::collections::{BTreeMap, VecDeque};

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `relvol_tod_{days}`.
#[derive(Clone, Debug)]
pub struct RelativeVolume {
    pub days: usize,
}

impl Indicator for RelativeVolume {
    fn columns(&self) -> Vec<String> {
        vec![format!("relvol_tod_{}", self.days)]
    }
    /// Data-dependent: `days` trading days of bars (reported as 0).
    fn lookback(&self) -> usize {
        0
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let v = input.volume();
        let slot = &input.local().minutes_into_day;
        let mut history: BTreeMap<i64, (VecDeque<f64>, f64)> = BTreeMap::new();
        let mut out = nans(v.len());
        for i in 0..v.len() {
            let (past, sum) = history.entry(slot[i]).or_default();
            if past.len() == self.days {
                out[i] = v[i] / (*sum / self.days as f64).max(1.0);
                *sum -= past.pop_front().unwrap_or(0.0);
            }
            past.push_back(v[i]);
            *sum += v[i];
        }
        vec![out]
    }
}
