//! What a bar's open, high and low say about the order of prices inside it: the rules
//! shared by everything that asks "did this bar reach that price, and which first?"
//! (`labels.triple_barrier`'s barriers, `backtest`'s fills).
//!
//! A bar only records four prices, so some questions have no answer from the data:
//!
//! - **A level is reached** when the bar's range includes it (`high >= level` above the
//!   open, `low <= level` below): touching counts.
//! - **A gap**: when the bar *opens* beyond a level, the first price traded beyond it was
//!   the open, so whatever rests at that level executes at the open, not at the level.
//! - **Both sides reached** (a bar whose range includes a level above and a level below,
//!   and whose open is beyond neither): the order is unknown. [`TieRule`] decides, and
//!   every stage uses the same default, [`TieRule::Stop`]: the adverse level was reached
//!   first, the conservative reading. A label and a backtest of the same barriers then
//!   agree on which one ended a trade.

use serde::{Deserialize, Serialize};

/// Which level a bar reached first when its range reaches both the adverse (stop) and
/// the favourable (profit) level and its open is beyond neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// The stop (adverse level) was reached first: conservative, the default.
    #[default]
    Stop,
    /// The profit level was reached first: optimistic, for comparison only.
    Profit,
}

impl TieRule {
    /// Whether the adverse level counts as reached first on a bar that reached both.
    pub fn stop_first(self) -> bool {
        self == Self::Stop
    }
}

/// The price at which an order resting at `level` executes on a bar, for an order that
/// executes when the price rises to the level (a buy stop, a sell limit), or `None` when
/// the bar does not reach it. A bar opening at or above the level executes at the open.
#[inline]
pub fn rise_to(level: f64, open: f64, high: f64) -> Option<f64> {
    if open >= level {
        Some(open)
    } else if high >= level {
        Some(level)
    } else {
        None
    }
}

/// Like [`rise_to`] for an order that executes when the price falls to `level` (a sell
/// stop, a buy limit). A bar opening at or below the level executes at the open.
#[inline]
pub fn fall_to(level: f64, open: f64, low: f64) -> Option<f64> {
    if open <= level {
        Some(open)
    } else if low <= level {
        Some(level)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::not_reached(101.0, 100.0, 100.75, None)]
    #[case::touched(101.0, 100.0, 101.0, Some(101.0))]
    #[case::crossed(101.0, 100.0, 102.0, Some(101.0))]
    #[case::gap_above(101.0, 101.5, 102.0, Some(101.5))]
    #[case::opens_at(101.0, 101.0, 101.0, Some(101.0))]
    fn rising_orders(#[case] level: f64, #[case] open: f64, #[case] high: f64, #[case] want: Option<f64>) {
        assert_eq!(rise_to(level, open, high), want);
        // the mirror image for falling orders
        assert_eq!(fall_to(-level, -open, -high), want.map(|p| -p));
    }

    #[test]
    fn the_default_is_the_conservative_reading() {
        assert!(TieRule::default().stop_first());
        assert!(!TieRule::Profit.stop_first());
    }
}
