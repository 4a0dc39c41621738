//! The complete description of a simulated market: state parameters, transition
//! matrices, the intraday activity profile, day-of-week multipliers and volatility
//! clustering. Built from the documented defaults, then overridden by params or
//! estimated from real bars (see `fit`).

use serde::Serialize;

use super::states::{DAY_MATRIX, DayRegime, HOUR_MATRIX, HourPhase, MINUTE_MATRIX, MinuteState, PhaseParams, RegimeParams, StateParams};

/// 30-minute slots in a trading day (17:00 to 16:00 exchange time).
pub const SLOTS: usize = 46;
/// Minutes in a trading day.
pub const DAY_MINUTES: usize = 1380;

/// Default activity per 30-minute slot of the trading day, starting 17:00 exchange time:
/// a quiet Asian night, a busier London morning with the 07:30 US data releases, the
/// U-shaped regular session (08:30 open, lunch lull, 14:30-15:00 close) and a quiet last
/// hour.
pub const PROFILE: [f64; SLOTS] = [
    0.45, 0.35, // 17:00 reopen
    0.30, 0.30, 0.35, 0.38, 0.35, 0.32, 0.30, 0.30, // 18:00-22:00 (Tokyo)
    0.28, 0.28, 0.27, 0.27, 0.27, 0.28, 0.30, 0.32, // 22:00-02:00
    0.50, 0.55, 0.55, 0.52, 0.50, 0.50, 0.50, 0.50, 0.52, 0.55, 0.60, 1.15, 0.80, // 02:00-08:30 (London, 07:30 data)
    2.20, 1.70, // 08:30-09:30 RTH open
    1.50, 1.25, 1.10, // 09:30-11:00
    0.85, 0.80, 0.75, 0.80, // 11:00-13:00 lunch
    0.90, 0.95, 1.05, // 13:00-14:30
    1.50, // 14:30-15:00 close
    0.90, 0.50, // 15:00-16:00
];

/// Default activity multipliers Monday to Friday.
pub const DAY_OF_WEEK: [f64; 5] = [0.90, 1.00, 1.05, 1.05, 0.95];

/// Volatility clustering: the log activity follows `x_t = phi x_{t-1} + sigma e_t` per
/// minute; activity is multiplied by `exp(x_t)` normalised to mean 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Clustering {
    pub phi: f64,
    pub sigma: f64,
}

impl Clustering {
    /// Stationary variance of `x`.
    pub fn variance(self) -> f64 {
        if self.sigma == 0.0 { 0.0 } else { self.sigma * self.sigma / (1.0 - self.phi * self.phi) }
    }
}

/// Everything the tick engine needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub states: [StateParams; 7],
    pub regimes: [RegimeParams; 6],
    pub phases: [PhaseParams; 6],
    pub minute_matrix: [[f64; 7]; 7],
    pub hour_matrix: [[f64; 6]; 6],
    pub day_matrix: [[f64; 6]; 6],
    /// Activity per 30-minute slot of the trading day.
    pub profile: [f64; SLOTS],
    /// Activity multipliers Monday..Friday.
    pub dow: [f64; 5],
    pub clustering: Clustering,
    /// Mean contracts traded per minute per price-change event.
    pub volume_per_tick: f64,
    /// Standard deviation of the reopening gap after the daily break, in ticks.
    pub gap_ticks: f64,
    /// Standard deviation of the reopening gap after a weekend, in ticks.
    pub weekend_gap_ticks: f64,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            states: MinuteState::ALL.map(MinuteState::defaults),
            regimes: DayRegime::ALL.map(DayRegime::defaults),
            phases: HourPhase::ALL.map(HourPhase::defaults),
            minute_matrix: MINUTE_MATRIX,
            hour_matrix: HOUR_MATRIX,
            day_matrix: DAY_MATRIX,
            profile: PROFILE,
            dow: DAY_OF_WEEK,
            clustering: Clustering { phi: 0.985, sigma: 0.08 },
            volume_per_tick: 12.0,
            gap_ticks: 2.0,
            weekend_gap_ticks: 12.0,
        }
    }
}

impl Model {
    /// The expected number of price-change events per minute of `state` at activity 1,
    /// its expected drift (ticks per minute, up day) and the per-minute variance of the
    /// close-to-open change (ticks^2), for a compound Poisson process:
    /// mean = lambda E[X], variance = lambda E[X^2], X = +-(1 + Poisson(vol - 1)).
    pub fn state_moments(&self, state: MinuteState, activity: f64) -> (f64, f64, f64) {
        let p = self.states[state.index()];
        let lambda = p.ticks * activity;
        let mean_k = p.vol;
        let second_k = (p.vol - 1.0) + p.vol * p.vol;
        (lambda, lambda * (2.0 * p.up - 1.0) * mean_k, lambda * second_k)
    }
}
