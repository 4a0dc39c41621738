//! The params of the `backtest` stage, with their defaults and checks.

use mlfactory_engine::ParamIssue;
use mlfactory_market::intrabar::TieRule;
use serde::{Deserialize, Serialize};

/// Which prediction rows are traded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SplitFilter {
    /// The test split only: out of sample for the model and for every choice made on validation.
    #[default]
    Test,
    /// The validation split only.
    Val,
    /// Every row (validation then test).
    All,
}

impl SplitFilter {
    /// Whether a row of split `split` is traded.
    pub fn keeps(self, split: &str) -> bool {
        match self {
            Self::Test => split == mlfactory_market::contracts::splits::TEST,
            Self::Val => split == mlfactory_market::contracts::splits::VAL,
            Self::All => true,
        }
    }
}

/// How a signal enters the market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    /// A market order at the open of the bar after the signal (plus slippage).
    #[default]
    Market,
    /// A limit order in the signal's direction, `limit_offset_atr x ATR` better than the
    /// signal bar's close (a long bids below it), valid for `order_expiry_bars` bars.
    Limit,
    /// An OCO pair of stop orders at the signal bar's close `+/- bracket_atr x ATR`: the
    /// first one reached enters (a breakout), the other is cancelled; valid for
    /// `order_expiry_bars` bars.
    Bracket,
}

/// Which legs a bracket entry places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BracketSides {
    /// Both legs, one-cancels-other: the breakout direction decides the side.
    #[default]
    Both,
    /// Only the leg in the signal's direction (a stop entry confirming the signal).
    Signal,
}

/// How many contracts a trade takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sizing {
    /// `risk_per_trade x equity` divided by the money lost per contract if the stop is
    /// hit (stop distance, slippage on both fills, commission on both), rounded down and
    /// capped at `max_contracts`; a trade that cannot afford one contract is skipped.
    #[default]
    Risk,
    /// Always `contracts` contracts.
    Fixed,
}

/// Params of `backtest`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BacktestParams {
    /// Which prediction rows to trade: `test` (out of sample), `val` or `all`.
    pub split: SplitFilter,
    /// The predictions column holding the signal: -1 short, 0 flat, +1 long.
    pub signal_column: String,
    /// An optional boolean column of the predictions (e.g. `taken` from calibrated
    /// thresholds): rows where it is false are not traded. Empty: every row.
    pub gate_column: String,
    /// Signals whose `confidence` column is below this are not traded (0: all).
    pub min_confidence: f64,
    /// The instrument (tick size and value); empty: the bars' `mlfactory.symbol` metadata.
    pub symbol: String,
    /// `market` (next bar's open), `limit` or `bracket` (OCO stop orders).
    pub entry: EntryType,
    /// Limit entries: distance of the limit below (long) / above (short) the signal bar's close, in ATRs.
    pub limit_offset_atr: f64,
    /// Bracket entries: distance of each stop leg from the signal bar's close, in ATRs.
    pub bracket_atr: f64,
    /// Bracket entries: `both` legs (OCO) or only the `signal`'s.
    pub bracket_sides: BracketSides,
    /// Limit and bracket orders are cancelled when unfilled after this many bars.
    pub order_expiry_bars: u32,
    /// A resting limit order (limit entry, take profit) fills only when the price trades
    /// this many ticks through it (0: touching fills, as the labels' barriers do).
    pub limit_penetration_ticks: u32,
    /// Period of the Wilder ATR (TA-Lib convention) that scales stops, targets and entries.
    pub atr_period: usize,
    /// Stop loss at this many ATRs (of the signal bar) from the entry price; 0: none.
    pub stop_loss_atr: f64,
    /// Take profit at this many ATRs from the entry price; 0: none.
    pub take_profit_atr: f64,
    /// A first target at this many ATRs (below the take profit): `first_target_fraction`
    /// of the position exits there and the stop moves to the entry price (break-even)
    /// from the next bar on; 0: none.
    pub first_target_atr: f64,
    /// Fraction of the contracts closed at the first target (rounded down; 0 only moves the stop).
    pub first_target_fraction: f64,
    /// Time out: a position still open at the close of its `max_bars`-th bar (the entry
    /// bar counts as the first) exits there; 0: no time out.
    pub max_bars: u32,
    /// Close every position at the close of the trading day's last bar (CME: 16:00
    /// Chicago), and cancel unfilled orders, so nothing is held over the daily break.
    pub flat_at_day_end: bool,
    /// A bar reaching both the stop and a target, or an entry filled inside a bar whose
    /// range also reaches the stop: `stop` (the adverse move came first) or `profit`.
    /// The same rule, and default, as `labels.triple_barrier`'s `tie`.
    pub tie: TieRule,
    /// Commission and fees per contract per fill, in the instrument's currency.
    pub commission_per_contract: f64,
    /// Slippage in ticks on every market and stop fill (entries, stops, time outs);
    /// limit fills (limit entries, targets) get their price.
    pub slippage_ticks: f64,
    /// Starting equity, in the instrument's currency.
    pub initial_capital: f64,
    /// `risk`: size by `risk_per_trade`; `fixed`: always `contracts`.
    pub sizing: Sizing,
    /// Contracts per trade with `sizing: fixed`.
    pub contracts: u32,
    /// With `sizing: risk`: the fraction of current equity lost if the stop is hit.
    pub risk_per_trade: f64,
    /// With `sizing: risk`: the most contracts a trade takes.
    pub max_contracts: u32,
    /// Daily loss stop: when the trading day's loss (closed and open, at a bar's close)
    /// reaches this fraction of the day's starting equity, the position is closed and
    /// no new order is placed until the next trading day; 0: none.
    pub daily_loss_limit: f64,
    /// The bars' column naming the market regime of each bar (the simulator's
    /// `day_regime`); when absent, regimes are volatility buckets (see `vol_regime_window`).
    pub regime_column: String,
    /// Volatility regimes: ATR against its mean over this many bars (causal): below 0.8
    /// is `low_vol`, above 1.25 `high_vol`, else `normal_vol`.
    pub vol_regime_window: usize,
    /// Trading days per year, to annualise Sharpe, Sortino and returns.
    pub days_per_year: f64,
}

impl Default for BacktestParams {
    fn default() -> Self {
        Self {
            split: SplitFilter::Test,
            signal_column: mlfactory_market::contracts::predictions::SIGNAL.to_owned(),
            gate_column: String::new(),
            min_confidence: 0.0,
            symbol: String::new(),
            entry: EntryType::Market,
            limit_offset_atr: 0.25,
            bracket_atr: 0.5,
            bracket_sides: BracketSides::Both,
            order_expiry_bars: 3,
            limit_penetration_ticks: 0,
            atr_period: 14,
            stop_loss_atr: 1.0,
            take_profit_atr: 1.0,
            first_target_atr: 0.0,
            first_target_fraction: 0.5,
            max_bars: 12,
            flat_at_day_end: true,
            tie: TieRule::Stop,
            commission_per_contract: 0.62,
            slippage_ticks: 1.0,
            initial_capital: 25_000.0,
            sizing: Sizing::Risk,
            contracts: 1,
            risk_per_trade: 0.005,
            max_contracts: 20,
            daily_loss_limit: 0.02,
            regime_column: "day_regime".to_owned(),
            vol_regime_window: 1000,
            days_per_year: 252.0,
        }
    }
}

impl BacktestParams {
    /// Checks ranges and consistency.
    pub fn check(&self) -> Result<(), ParamIssue> {
        let non_negative = [
            ("min_confidence", self.min_confidence),
            ("limit_offset_atr", self.limit_offset_atr),
            ("stop_loss_atr", self.stop_loss_atr),
            ("take_profit_atr", self.take_profit_atr),
            ("first_target_atr", self.first_target_atr),
            ("commission_per_contract", self.commission_per_contract),
            ("slippage_ticks", self.slippage_ticks),
            ("daily_loss_limit", self.daily_loss_limit),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ParamIssue::new(&[name], format!("must be a finite number >= 0, got {v}")));
            }
        }
        if !(self.initial_capital.is_finite() && self.initial_capital > 0.0) {
            return Err(ParamIssue::new(&["initial_capital"], format!("must be > 0, got {}", self.initial_capital)));
        }
        if !(0.0..=1.0).contains(&self.first_target_fraction) {
            return Err(ParamIssue::new(&["first_target_fraction"], format!("must be in [0, 1], got {}", self.first_target_fraction)));
        }
        if self.first_target_atr > 0.0 && self.take_profit_atr > 0.0 && self.first_target_atr >= self.take_profit_atr {
            return Err(ParamIssue::new(
                &["first_target_atr"],
                format!("the first target ({} ATR) must be nearer than the take profit ({} ATR)", self.first_target_atr, self.take_profit_atr),
            )
            .hint("lower `first_target_atr`, raise `take_profit_atr`, or set `take_profit_atr: 0` to let the rest run"));
        }
        if self.entry == EntryType::Bracket && !(self.bracket_atr.is_finite() && self.bracket_atr > 0.0) {
            return Err(ParamIssue::new(&["bracket_atr"], format!("a bracket needs legs away from the price: must be > 0, got {}", self.bracket_atr)));
        }
        if self.entry != EntryType::Market && self.order_expiry_bars == 0 {
            return Err(ParamIssue::new(&["order_expiry_bars"], "a resting order must live at least 1 bar").hint("e.g. `order_expiry_bars: 3`"));
        }
        if self.atr_period < 1 {
            return Err(ParamIssue::new(&["atr_period"], "must be at least 1"));
        }
        if self.vol_regime_window < 1 {
            return Err(ParamIssue::new(&["vol_regime_window"], "must be at least 1"));
        }
        if !(self.days_per_year.is_finite() && self.days_per_year > 0.0) {
            return Err(ParamIssue::new(&["days_per_year"], format!("must be > 0, got {}", self.days_per_year)));
        }
        match self.sizing {
            Sizing::Risk => {
                if self.stop_loss_atr <= 0.0 {
                    return Err(ParamIssue::new(&["sizing"], "`risk` sizing needs a stop loss to measure the risk")
                        .hint("set `stop_loss_atr` > 0, or use `sizing: fixed`"));
                }
                if !(self.risk_per_trade > 0.0 && self.risk_per_trade < 1.0) {
                    return Err(
                        ParamIssue::new(&["risk_per_trade"], format!("must be in (0, 1), got {}", self.risk_per_trade)).hint("e.g. 0.005 (0.5% of equity)")
                    );
                }
                if self.max_contracts == 0 {
                    return Err(ParamIssue::new(&["max_contracts"], "must be at least 1"));
                }
            }
            Sizing::Fixed => {
                if self.contracts == 0 {
                    return Err(ParamIssue::new(&["contracts"], "must be at least 1"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn defaults_pass_their_checks() {
        BacktestParams::default().check().unwrap();
    }

    #[rstest]
    #[case::negative_slippage(BacktestParams { slippage_ticks: -1.0, ..Default::default() }, "slippage_ticks")]
    #[case::first_target_beyond_target(BacktestParams { first_target_atr: 2.0, take_profit_atr: 1.5, ..Default::default() }, "first_target_atr")]
    #[case::risk_without_stop(BacktestParams { stop_loss_atr: 0.0, ..Default::default() }, "sizing")]
    #[case::bracket_at_the_price(BacktestParams { entry: EntryType::Bracket, bracket_atr: 0.0, ..Default::default() }, "bracket_atr")]
    #[case::limit_without_life(BacktestParams { entry: EntryType::Limit, order_expiry_bars: 0, ..Default::default() }, "order_expiry_bars")]
    #[case::fraction(BacktestParams { first_target_fraction: 1.5, ..Default::default() }, "first_target_fraction")]
    fn bad_params_name_their_field(#[case] p: BacktestParams, #[case] field: &str) {
        assert_eq!(p.check().unwrap_err().path, vec![field.to_owned()]);
    }

    #[test]
    fn split_filter() {
        assert!(SplitFilter::Test.keeps("test") && !SplitFilter::Test.keeps("val"));
        assert!(SplitFilter::Val.keeps("val") && SplitFilter::All.keeps("val"));
    }
}
