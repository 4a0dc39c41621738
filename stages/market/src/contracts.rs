//! Column names of the tables stages pass to each other. A stage that reads another
//! stage's table uses these constants, never string literals, so the contract lives in
//! one place.

/// `labels.triple_barrier` output `labels`: one row per (event, horizon).
pub mod labels {
    /// Event time (the bar the label is decided at).
    pub const TS: &str = "ts";
    /// Vertical-barrier horizon in bars.
    pub const HORIZON: &str = "horizon";
    /// Time the label becomes known (first barrier touch, or the vertical barrier).
    pub const T1: &str = "t1";
    /// `pt`, `sl` or `vertical`.
    pub const BARRIER: &str = "barrier";
    /// Return from the event to `t1` (times the side, when meta-labeling).
    pub const RET: &str = "ret";
    /// -1, 0, +1 (0/1 when meta-labeling).
    pub const LABEL: &str = "label";
    pub const BARS_HELD: &str = "bars_held";
    /// The side of the primary model, when meta-labeling.
    pub const SIDE: &str = "side";
    /// The volatility target barriers were scaled by.
    pub const TARGET: &str = "target";
    /// Position of the event's bar in the bars table the labels were made from (splits
    /// count purge and embargo windows in bars with it).
    pub const BAR: &str = "bar";
    /// Schema metadata key: the number of bars in that bars table.
    pub const META_BARS: &str = "mlfactory.bars";
}

/// `splits` output `splits`: one row per labelled event.
pub mod splits {
    pub const TS: &str = "ts";
    pub const T1: &str = "t1";
    /// One of [`TRAIN`], [`VAL`], [`TEST`], [`PURGED`], [`EMBARGOED`].
    pub const SPLIT: &str = "split";
    pub const TRAIN: &str = "train";
    pub const VAL: &str = "val";
    pub const TEST: &str = "test";
    /// Dropped from training because its label reaches into a later split.
    pub const PURGED: &str = "purged";
    /// Dropped because it falls in the embargo after a split boundary.
    pub const EMBARGOED: &str = "embargoed";
    /// The label's horizon (one splits row per labels row, in the same order).
    pub const HORIZON: &str = "horizon";
    /// The event's bar position (see [`super::labels::BAR`]).
    pub const BAR: &str = "bar";
}

/// `dataset` output `tabular`: the model-ready table. Every column not listed in
/// [`META`] is a feature.
pub mod dataset {
    pub const TS: &str = "ts";
    pub const T1: &str = "t1";
    pub const SPLIT: &str = "split";
    /// Class label (-1, 0, +1).
    pub const LABEL: &str = "label";
    /// Realised label return (for trading metrics).
    pub const RET: &str = "ret";
    /// Sample weight.
    pub const WEIGHT: &str = "weight";
    /// Rows sharing a segment are consecutive in time with no split boundary, purged or
    /// embargoed row between them: sequence windows never cross a segment.
    pub const SEGMENT: &str = "segment";
    /// The volatility target the label's barriers were scaled by.
    pub const TARGET: &str = "target";
    /// Non-feature columns.
    pub const META: &[&str] = &[TS, T1, SPLIT, LABEL, RET, WEIGHT, SEGMENT, TARGET, "horizon", "barrier", "bars_held", "side"];

    /// Whether a column of a dataset table is a feature.
    pub fn is_feature(name: &str) -> bool {
        !META.contains(&name)
    }
}

/// Schema metadata of `features.mtf` tables, carried by `dataset`, `scale` and
/// `features.select` into the model-ready table.
pub mod mtf {
    /// Schema metadata key: the `multi_resolution` tensor layout (JSON; see
    /// [`crate::mtf_layout::MtfLayout`]).
    pub const META_LAYOUT: &str = "mlfactory.mtf.layout";
}

/// `models.train` output `predictions`: one row per val/test sample (the inference
/// contract every model honours).
pub mod predictions {
    pub const TS: &str = "ts";
    pub const SPLIT: &str = "split";
    /// The true label.
    pub const LABEL: &str = "label";
    /// The realised label return.
    pub const RET: &str = "ret";
    /// -1, 0, +1.
    pub const SIGNAL: &str = "signal";
    pub const P_SHORT: &str = "p_short";
    pub const P_NEUTRAL: &str = "p_neutral";
    pub const P_LONG: &str = "p_long";
    /// The largest of the three probabilities.
    pub const CONFIDENCE: &str = "confidence";
    pub const EXPECTED_RETURN: &str = "expected_return";
}

/// `validate.pbo` output `logits`: one row per CSCV combination.
pub mod pbo_logits {
    /// Combination index (lexicographic order of the in-sample block sets).
    pub const COMBINATION: &str = "combination";
    /// The in-sample blocks, space-separated (`0 1 2 3 4 5 6 7`).
    pub const IS_BLOCKS: &str = "is_blocks";
    /// The in-sample best strategy (its column or variant name).
    pub const STRATEGY: &str = "strategy";
    /// Its in-sample Sharpe (per period).
    pub const R_IS: &str = "r_is";
    /// Its out-of-sample Sharpe (per period).
    pub const R_OOS: &str = "r_oos";
    /// Its out-of-sample rank among the N strategies (1 = worst, ties averaged).
    pub const OOS_RANK: &str = "oos_rank";
    /// rank / (N + 1).
    pub const W_BAR: &str = "w_bar";
    /// ln(w / (1 − w)): ≤ 0 means the in-sample best did no better than the median out of sample.
    pub const LOGIT: &str = "logit";
}

/// `validate.calibrate` output `curve`: reliability bins of each class's probability,
/// before and after calibration, per split.
pub mod calibration_curve {
    pub const SPLIT: &str = "split";
    /// `short`, `neutral` or `long`.
    pub const CLASS: &str = "class";
    /// `raw` (the model's) or `calibrated`.
    pub const STAGE: &str = "stage";
    /// Bin index over [0, 1] (0 = [0, 1/bins)); only non-empty bins have rows.
    pub const BIN: &str = "bin";
    pub const COUNT: &str = "count";
    /// Mean predicted probability in the bin.
    pub const MEAN_PREDICTED: &str = "mean_predicted";
    /// Share of the bin's rows whose true class is `class`.
    pub const OBSERVED: &str = "observed";
}

/// `validate.thresholds` output `signals`: every candidate trade, taken or not (phantom).
pub mod signals {
    /// Event time (the prediction's `ts`).
    pub const TS: &str = "ts";
    pub const SPLIT: &str = "split";
    /// The side the model leans to: +1 when p_long > p_short, else −1.
    pub const SIDE: &str = "side";
    /// The model's probability of that side (p_long or p_short).
    pub const P_SIDE: &str = "p_side";
    /// Calibrated probability that the trade wins (`side × ret > 0`).
    pub const WIN_PROB: &str = "win_prob";
    /// CME session of the event (`asia`, `london`, `rth_open`, …).
    pub const SESSION: &str = "session";
    /// Volatility regime (`low`, `mid`, `high`, or `all` without bars).
    pub const REGIME: &str = "regime";
    /// The bucket's win-probability threshold.
    pub const THRESHOLD: &str = "threshold";
    /// `breakeven` or `static`.
    pub const THRESHOLD_SOURCE: &str = "threshold_source";
    /// q·W − (1 − q)·L with the bucket's average win W and loss L (per unit notional).
    pub const EXPECTED_VALUE: &str = "expected_value";
    /// Whether `win_prob >= threshold`: the trade is taken; otherwise it is a phantom.
    pub const TAKEN: &str = "taken";
    /// `side` when taken, else 0: what the backtest trades.
    pub const SIGNAL: &str = "signal";
    /// The label return (as in predictions).
    pub const RET: &str = "ret";
    /// `side × ret`: what the trade earned (or would have, for a phantom).
    pub const TRADE_RET: &str = "trade_ret";
    /// `trade_ret > 0`.
    pub const WIN: &str = "win";
}

/// `validate.thresholds` output `thresholds`: one row per (session, regime) bucket.
pub mod thresholds {
    pub const SESSION: &str = "session";
    pub const REGIME: &str = "regime";
    /// Fitting (validation) rows in the bucket.
    pub const ROWS: &str = "rows";
    pub const WINS: &str = "wins";
    pub const AVG_WIN: &str = "avg_win";
    /// Average loss, positive.
    pub const AVG_LOSS: &str = "avg_loss";
    /// avg_loss / (avg_win + avg_loss).
    pub const BREAKEVEN: &str = "breakeven";
    pub const THRESHOLD: &str = "threshold";
    /// `breakeven` or `static`.
    pub const SOURCE: &str = "source";
}

/// `validate.gates` output `gates`: one row per (gate, split).
pub mod gates {
    /// Filter columns joined by ` & `.
    pub const GATE: &str = "gate";
    /// Number of filters in the gate (1, 2 or 3).
    pub const SIZE: &str = "size";
    pub const SPLIT: &str = "split";
    pub const N_PASS: &str = "n_pass";
    pub const WIN_RATE_PASS: &str = "win_rate_pass";
    pub const AVG_RET_PASS: &str = "avg_ret_pass";
    pub const N_FAIL: &str = "n_fail";
    pub const WIN_RATE_FAIL: &str = "win_rate_fail";
    pub const AVG_RET_FAIL: &str = "avg_ret_fail";
    /// Win rate of every signal in the split.
    pub const BASELINE: &str = "baseline";
    /// win_rate_pass − baseline.
    pub const LIFT: &str = "lift";
}

/// `validate.cpcv` output `path_stats`: one row per CPCV backtest path. (Its `paths`
/// output is a predictions table whose `split` is `path-P`, plus `path` and
/// `cpcv_split` columns.)
pub mod cpcv_paths {
    /// Path index, 0-based.
    pub const PATH: &str = "path";
    /// Daily Sharpe of trading the path's signal, annualised (√252).
    pub const SHARPE: &str = "sharpe";
    /// Per-trade Sharpe, not annualised.
    pub const SHARPE_PER_TRADE: &str = "sharpe_per_trade";
    pub const ACCURACY: &str = "accuracy";
    pub const LOG_LOSS: &str = "log_loss";
    pub const HIT_RATE: &str = "hit_rate";
    pub const TRADES: &str = "trades";
    /// Sum of `signal × ret` over the path.
    pub const TOTAL_RETURN: &str = "total_return";
    /// The CPCV split the path's predictions for each row came from (in the `paths` table).
    pub const CPCV_SPLIT: &str = "cpcv_split";
}
