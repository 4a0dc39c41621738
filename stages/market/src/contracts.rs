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
