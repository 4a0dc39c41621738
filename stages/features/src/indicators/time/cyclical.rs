//! Cyclical encodings: `sin` and `cos` of the local minute of day (period 1440) or of the
//! trading day's weekday (period 7, Monday = 0), so that 23:59 sits next to 00:00.

use crate::indicators::{Indicator, Input};

/// Which cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cycle {
    /// `minute_of_day_sin`, `minute_of_day_cos`.
    MinuteOfDay,
    /// `day_of_week_sin`, `day_of_week_cos`.
    DayOfWeek,
}

/// Sine and cosine of a calendar cycle.
#[derive(Clone, Debug)]
pub struct Cyclical {
    pub cycle: Cycle,
}

impl Indicator for Cyclical {
    fn columns(&self) -> Vec<String> {
        let name = match self.cycle {
            Cycle::MinuteOfDay => "minute_of_day",
            Cycle::DayOfWeek => "day_of_week",
        };
        vec![format!("{name}_sin"), format!("{name}_cos")]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let local = input.local();
        let angles: Vec<f64> = match self.cycle {
            Cycle::MinuteOfDay => local.minute_of_day.iter().map(|&m| m as f64 / 1440.0).collect(),
            Cycle::DayOfWeek => local.weekday.iter().map(|&d| f64::from(d) / 7.0).collect(),
        };
        let tau = std::f64::consts::TAU;
        vec![angles.iter().map(|a| (tau * a).sin()).collect(), angles.iter().map(|a| (tau * a).cos()).collect()]
    }
}
