//! The simulator's market states and their documented default parameters.
//!
//! Three layers, each a Markov chain conditioned on the layer above:
//!
//! - a **day regime** per trading day ([`DayRegime`]), drawn from a 6x6 transition
//!   matrix whose row is yesterday's regime;
//! - an **hour phase** per hour of the trading day ([`HourPhase`]), drawn each hour from a
//!   6x6 matrix whose rows are re-weighted by the day regime's phase affinities;
//! - a **minute state** per minute ([`MinuteState`]): it stays with probability
//!   `persistence`, otherwise moves to another state drawn from a 7x7 matrix re-weighted
//!   by the hour phase's state affinities.
//!
//! A minute state is a parameter set for the tick process of its minutes: `ticks` (mean
//! price-change events per minute at activity 1), `up` (probability an event is an up
//! tick), `persistence` (probability of staying in the state next minute, so a segment
//! lasts `1 / (1 - persistence)` minutes on average) and `vol` (mean event size in ticks,
//! at least 1). RALLY and BREAKDOWN are literal directions; ZOMBIE, IMPULSIVE and BREAKOUT are
//! *directional*: their `up` is the probability of a tick in the day's current direction.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The regime of a whole trading day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayRegime {
    /// A directional day: impulses and continuations in one direction.
    Trend,
    /// Two-way trade inside a band: consolidation and choppy hours.
    Range,
    /// A quiet start that breaks out and runs.
    Breakout,
    /// A move that fails and reverses (the day's direction flips in a REVERSAL hour).
    Reversal,
    /// Low activity all day.
    Quiet,
    /// High activity, two-way.
    Volatile,
}

/// The phase of one hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HourPhase {
    /// A strong move in the day's direction.
    Impulse,
    /// Quiet two-way trade.
    Consolidation,
    /// A pull-back against the day's direction.
    Retracement,
    /// The day's move resumes.
    Continuation,
    /// The day's direction flips (at the start of the hour) and the new direction is pushed.
    Reversal,
    /// Fast two-way trade.
    Choppy,
}

/// The state of one minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MinuteState {
    /// Up ticks dominate.
    Rally,
    /// Down ticks dominate.
    Breakdown,
    /// Two-way trade at normal activity.
    Ranging,
    /// Two-way trade at low activity.
    Flat,
    /// Very low activity drifting slowly in the day's direction.
    Zombie,
    /// High activity, large ticks, two-way.
    Impulsive,
    /// Very high activity, large ticks, strongly in the day's direction.
    Breakout,
}

macro_rules! labelled {
    ($t:ty, $n:expr, [$($v:ident => $s:literal),*]) => {
        impl $t {
            /// Every value, in index order.
            pub const ALL: [Self; $n] = [$(Self::$v),*];
            /// The label written in the bar table.
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            /// Position in [`Self::ALL`] (the row/column of transition matrices).
            pub fn index(self) -> usize {
                self as usize
            }
            /// Parses [`Self::name`].
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.name() == name)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

labelled!(DayRegime, 6, [Trend => "TREND", Range => "RANGE", Breakout => "BREAKOUT", Reversal => "REVERSAL", Quiet => "QUIET", Volatile => "VOLATILE"]);
labelled!(HourPhase, 6, [Impulse => "IMPULSE", Consolidation => "CONSOLIDATION", Retracement => "RETRACEMENT", Continuation => "CONTINUATION", Reversal => "REVERSAL", Choppy => "CHOPPY"]);
labelled!(MinuteState, 7, [Rally => "RALLY", Breakdown => "BREAKDOWN", Ranging => "RANGING", Flat => "FLAT", Zombie => "ZOMBIE", Impulsive => "IMPULSIVE", Breakout => "BREAKOUT"]);

/// The tick process of one minute state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StateParams {
    /// Mean price-change events per minute at activity 1 (Poisson).
    pub ticks: f64,
    /// Probability that an event is an up tick (in the day's direction for directional states).
    pub up: f64,
    /// Probability of staying in this state for the next minute.
    pub persistence: f64,
    /// Mean event size in ticks (an event moves `1 + Poisson(vol - 1)` ticks), >= 1.
    pub vol: f64,
}

impl MinuteState {
    /// The documented default parameter set.
    pub fn defaults(self) -> StateParams {
        let (ticks, up, persistence, vol) = match self {
            Self::Rally => (10.0, 0.53, 0.90, 1.2),
            Self::Breakdown => (11.0, 0.47, 0.88, 1.3),
            Self::Ranging => (8.0, 0.50, 0.92, 1.0),
            Self::Flat => (4.0, 0.50, 0.95, 1.0),
            Self::Zombie => (2.0, 0.55, 0.97, 1.0),
            Self::Impulsive => (18.0, 0.50, 0.75, 1.8),
            Self::Breakout => (22.0, 0.54, 0.80, 2.0),
        };
        StateParams { ticks, up, persistence, vol }
    }

    /// Whether `up` is relative to the day's direction.
    pub fn is_directional(self) -> bool {
        matches!(self, Self::Zombie | Self::Impulsive | Self::Breakout)
    }

    /// The state as seen from a direction: with a down day, RALLY plays the role of
    /// BREAKDOWN and vice versa (used to read affinities, which are written for an up day).
    pub fn oriented(self, direction: i8) -> Self {
        match (self, direction < 0) {
            (Self::Rally, true) => Self::Breakdown,
            (Self::Breakdown, true) => Self::Rally,
            (s, _) => s,
        }
    }
}

/// How a day regime shapes its hours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegimeParams {
    /// Activity multiplier on every minute of the day.
    pub activity: f64,
    /// Weights of the hour phases (order of [`HourPhase::ALL`]) applied to the hour
    /// transition matrix's rows.
    pub phases: [f64; 6],
}

impl DayRegime {
    /// The documented default shaping of the day.
    pub fn defaults(self) -> RegimeParams {
        //                          IMP   CONS  RETR  CONT  REV   CHOP
        let (activity, phases) = match self {
            Self::Trend => (1.0, [3.0, 1.0, 1.0, 3.0, 0.2, 0.5]),
            Self::Range => (0.85, [0.4, 3.0, 1.0, 0.4, 0.5, 2.5]),
            Self::Breakout => (1.2, [2.5, 2.0, 0.5, 2.0, 0.3, 0.5]),
            Self::Reversal => (1.1, [2.0, 1.0, 1.0, 1.0, 2.5, 0.7]),
            Self::Quiet => (0.6, [0.3, 4.0, 0.6, 0.5, 0.2, 0.8]),
            Self::Volatile => (1.8, [1.5, 0.5, 1.5, 1.0, 1.2, 3.0]),
        };
        RegimeParams { activity, phases }
    }
}

/// How an hour phase shapes its minutes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseParams {
    /// Activity multiplier on every minute of the hour.
    pub activity: f64,
    /// Weights of the minute states (order of [`MinuteState::ALL`], written for an up
    /// day: RALLY is "with the day", BREAKDOWN "against") applied to the minute
    /// transition matrix's rows.
    pub states: [f64; 7],
    /// +1: minutes follow the day's direction; -1: they trade against it.
    pub orientation: i8,
}

impl HourPhase {
    /// The documented default shaping of the hour.
    pub fn defaults(self) -> PhaseParams {
        //                                RALLY BRKDN RANG  FLAT  ZOMB  IMPUL BRKOUT
        let (activity, states, orientation) = match self {
            Self::Impulse => (1.3, [4.0, 0.3, 1.0, 0.3, 0.3, 1.0, 1.5], 1),
            Self::Consolidation => (0.7, [0.5, 0.5, 3.0, 3.0, 1.5, 0.2, 0.1], 1),
            Self::Retracement => (1.0, [3.0, 0.5, 1.5, 0.5, 0.5, 0.5, 0.2], -1),
            Self::Continuation => (1.1, [3.0, 0.5, 1.5, 0.5, 1.0, 0.5, 0.5], 1),
            Self::Reversal => (1.3, [4.0, 0.2, 0.8, 0.2, 0.2, 1.5, 1.5], 1),
            Self::Choppy => (1.0, [1.5, 1.5, 2.0, 0.5, 0.3, 2.5, 0.2], 1),
        };
        PhaseParams { activity, states, orientation }
    }
}

/// Default day-regime transition matrix (row: yesterday, column: today; rows need not
/// sum to 1, they are normalised).
pub const DAY_MATRIX: [[f64; 6]; 6] = [
    // TREND RANGE BRKOUT REVERS QUIET VOLAT
    [0.35, 0.25, 0.10, 0.12, 0.10, 0.08],
    [0.20, 0.35, 0.15, 0.10, 0.12, 0.08],
    [0.30, 0.20, 0.10, 0.15, 0.10, 0.15],
    [0.20, 0.30, 0.10, 0.15, 0.10, 0.15],
    [0.15, 0.30, 0.20, 0.10, 0.20, 0.05],
    [0.20, 0.20, 0.10, 0.15, 0.05, 0.30],
];

/// Default hour-phase transition matrix (row: this hour, column: next hour), before the
/// day regime's weights.
pub const HOUR_MATRIX: [[f64; 6]; 6] = [
    // IMP  CONS  RETR  CONT  REV   CHOP
    [0.25, 0.25, 0.25, 0.15, 0.05, 0.05],
    [0.20, 0.40, 0.05, 0.15, 0.05, 0.15],
    [0.10, 0.20, 0.15, 0.40, 0.10, 0.05],
    [0.25, 0.25, 0.20, 0.20, 0.05, 0.05],
    [0.30, 0.20, 0.15, 0.20, 0.05, 0.10],
    [0.15, 0.30, 0.10, 0.10, 0.10, 0.25],
];

/// Default minute-state transition weights (row: this minute, column: the state moved to
/// when leaving; the diagonal is ignored, staying is `persistence`).
pub const MINUTE_MATRIX: [[f64; 7]; 7] = [
    // RALLY BRKDN RANG FLAT ZOMB IMPUL BRKOUT
    [0.0, 0.10, 0.40, 0.15, 0.05, 0.15, 0.15],
    [0.10, 0.0, 0.40, 0.15, 0.05, 0.15, 0.15],
    [0.20, 0.20, 0.0, 0.25, 0.10, 0.10, 0.15],
    [0.15, 0.15, 0.40, 0.0, 0.20, 0.05, 0.05],
    [0.15, 0.10, 0.30, 0.40, 0.0, 0.02, 0.03],
    [0.25, 0.25, 0.35, 0.05, 0.0, 0.0, 0.10],
    [0.50, 0.10, 0.20, 0.0, 0.0, 0.20, 0.0],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_matches_order() {
        for (i, s) in MinuteState::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(MinuteState::from_name(s.name()), Some(s));
        }
        for (i, s) in HourPhase::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(HourPhase::from_name(s.name()), Some(s));
        }
        for (i, s) in DayRegime::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(DayRegime::from_name(s.name()), Some(s));
        }
        assert_eq!(serde_json::to_value(MinuteState::Breakout).unwrap(), "BREAKOUT");
    }

    #[test]
    fn defaults_are_valid_probabilities() {
        for s in MinuteState::ALL {
            let p = s.defaults();
            assert!(p.ticks > 0.0 && (0.0..=1.0).contains(&p.up) && (0.0..1.0).contains(&p.persistence) && p.vol >= 1.0, "{s}");
        }
        assert_eq!(MinuteState::Rally.oriented(-1), MinuteState::Breakdown);
        assert_eq!(MinuteState::Ranging.oriented(-1), MinuteState::Ranging);
    }
}
