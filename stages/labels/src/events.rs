//! Which bars are labelled: every bar, a CUSUM filter, a signal column, or an `events`
//! table given as input.

use serde::{Deserialize, Serialize};

/// How events are chosen when no `events` table is given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum EventSource {
    /// Every bar with a defined target is an event.
    #[default]
    Every,
    /// The symmetric CUSUM filter of AFML Snippet 2.4 on one-bar log returns (as mlfinlab
    /// and mlfinpy apply it): an event when the downside sum falls below `-threshold`
    /// (checked first) or the upside sum rises above `threshold`; only the side that
    /// fired is reset.
    Cusum {
        /// Threshold in log-return units (e.g. 0.002 = 20 bp of cumulative drift).
        #[serde(default = "default_cusum_threshold")]
        threshold: f64,
    },
    /// Bars where a column of the bars table is non-zero and not null (e.g. a primary
    /// model's entries). With `meta: true` the column's sign is the side to meta-label.
    Signal {
        /// The column of the bars table.
        column: String,
        /// Meta-label: the side of each event is the sign of the signal.
        #[serde(default)]
        meta: bool,
    },
}

fn default_cusum_threshold() -> f64 {
    0.002
}

/// Positions of the CUSUM events (AFML Snippet 2.4 on log returns, the first bar skipped).
pub fn cusum(close: &[f64], threshold: f64) -> Vec<usize> {
    let mut events = Vec::new();
    let (mut up, mut down) = (0.0_f64, 0.0_f64);
    for i in 1..close.len() {
        let r = close[i].ln() - close[i - 1].ln();
        if r.is_nan() {
            continue;
        }
        up = (up + r).max(0.0);
        down = (down + r).min(0.0);
        if down < -threshold {
            down = 0.0;
            events.push(i);
        } else if up > threshold {
            up = 0.0;
            events.push(i);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cusum_fires_on_cumulative_drift_and_resets_only_the_side_that_fired() {
        // log steps of +0.6%, +0.6% (up sum 1.2% > 0.9%: event at 2), then -0.5% x3 (event at 4)
        let mut close = vec![100.0];
        for r in [0.006, 0.006, -0.005, -0.005, -0.005] {
            close.push(close.last().unwrap() * f64::exp(r));
        }
        assert_eq!(cusum(&close, 0.009), vec![2, 4]);
    }
}
