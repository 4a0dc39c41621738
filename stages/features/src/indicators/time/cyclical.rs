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
        let (period, phase): (usize, Vec<usize>) = match self.cycle {
            Cycle::MinuteOfDay => (1440, local.minute_of_day.iter().map(|&m| m.rem_euclid(1440) as usize).collect()),
            Cycle::DayOfWeek => (7, local.weekday.iter().map(|&d| usize::from(d)).collect()),
        };
        // One sine and cosine per phase of the cycle, looked up per bar: the same values as
        // evaluating each bar, without a million trigonometric calls.
        let tau = std::f64::consts::TAU;
        let angle = |k: usize| tau * (k as f64 / period as f64);
        let (sin, cos): (Vec<f64>, Vec<f64>) = (0..period).map(|k| (angle(k).sin(), angle(k).cos())).unzip();
        vec![phase.iter().map(|&k| sin[k]).collect(), phase.iter().map(|&k| cos[k]).collect()]
    }
}
