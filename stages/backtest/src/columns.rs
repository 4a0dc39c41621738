//! Column names of the tables `backtest` writes (the report reads them by these names).

/// Output `trades`: one row per round trip, in entry order.
pub mod trades {
    /// Entry time (the open of the entry bar).
    pub const TS: &str = "ts";
    /// The bar whose signal placed the order.
    pub const SIGNAL_TS: &str = "signal_ts";
    pub const EXIT_TS: &str = "exit_ts";
    /// +1 long, -1 short.
    pub const SIDE: &str = "side";
    pub const QTY: &str = "qty";
    pub const ENTRY_PRICE: &str = "entry_price";
    /// Average over every exit fill.
    pub const EXIT_PRICE: &str = "exit_price";
    pub const STOP_PRICE: &str = "stop_price";
    pub const TARGET_PRICE: &str = "target_price";
    /// `take_profit`, `stop_loss`, `break_even`, `time_out`, `day_end`, `daily_stop`, `end_of_data`.
    pub const EXIT_REASON: &str = "exit_reason";
    pub const BARS_HELD: &str = "bars_held";
    pub const FIRST_TARGET_HIT: &str = "first_target_hit";
    pub const SCALED_OUT: &str = "scaled_out";
    pub const GROSS_PNL: &str = "gross_pnl";
    pub const COMMISSION: &str = "commission";
    pub const SLIPPAGE: &str = "slippage";
    pub const NET_PNL: &str = "net_pnl";
    /// Money at risk at the initial stop.
    pub const RISK: &str = "risk";
    pub const R_MULTIPLE: &str = "r_multiple";
    /// Maximum adverse / favourable excursion, in price points.
    pub const MAE: &str = "mae";
    pub const MFE: &str = "mfe";
    pub const EQUITY_AFTER: &str = "equity_after";
    /// Session of the entry bar.
    pub const SESSION: &str = "session";
    /// Regime of the signal bar.
    pub const REGIME: &str = "regime";
}

/// Output `equity`: one row per simulated bar.
pub mod equity {
    pub const TS: &str = "ts";
    /// Mark-to-market equity at the bar's close.
    pub const EQUITY: &str = "equity";
    /// Equity minus its running peak (<= 0), in money.
    pub const DRAWDOWN: &str = "drawdown";
    /// The drawdown as a fraction of the running peak (<= 0).
    pub const DRAWDOWN_PCT: &str = "drawdown_pct";
    /// Signed contracts held at the close.
    pub const POSITION: &str = "position";
}
