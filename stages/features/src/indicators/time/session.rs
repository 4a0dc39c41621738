//! Session features from the exchange calendar: `session_id` (0 Asia, 1 London, 2 RTH
//! open, 3 RTH morning, 4 RTH lunch, 5 RTH afternoon, 6 RTH close, 7 post-close, 8
//! closed) and `minutes_since_open` (minutes since the trading day opened at 17:00).

use crate::indicators::{Indicator, Input};

/// `session_id`, `minutes_since_open`.
#[derive(Clone, Debug)]
pub struct SessionClock;

impl Indicator for SessionClock {
    fn columns(&self) -> Vec<String> {
        vec!["session_id".to_owned(), "minutes_since_open".to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let local = input.local();
        vec![local.session.iter().map(|&s| f64::from(s)).collect(), local.minutes_into_day.iter().map(|&m| m as f64).collect()]
    }
}
