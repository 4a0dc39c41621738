//! The `splits` stage: a chronological train / val / test split of labelled events with
//! purge and embargo at both boundaries.
//!
//! Everything is counted in bars of the bars table the labels came from (the labels'
//! `bar` column and `mlfactory.bars` metadata), so a split means the same thing for
//! every-bar, CUSUM or signal events:
//!
//! - the boundaries are bars `floor(train x n)` and `floor((train + val) x n)`; an event
//!   belongs to the split its bar falls in;
//! - **purge** (`t1`, default): an event of train (val) whose label ends at or after the
//!   next boundary (`bar + bars_held >= boundary`) is `purged`; `bars`: every event within
//!   `purge_bars` bars before the boundary is (default: 3 x the longest horizon);
//! - **embargo**: events in the first `embargo` bars of val and of test are `embargoed`.

use std::collections::BTreeMap;

use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::{TableBuilder, f64_column, ts_column};
use mlfactory_market::contracts::{labels as lab, splits as col};
use serde::{Deserialize, Serialize};

/// How training events near a boundary are purged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purge {
    /// Purge events whose label end (`t1`) reaches the next split.
    #[default]
    T1,
    /// Purge every event within `purge_bars` bars before the next split.
    Bars,
}

/// Params of `splits`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SplitsParams {
    /// Fraction of the bars in the training split (the first part of the data).
    pub train: f64,
    /// Fraction of the bars in the validation split; test gets the rest.
    pub val: f64,
    /// `t1`: purge events whose label reaches the next split; `bars`: a fixed purge of
    /// `purge_bars` bars before each boundary.
    pub purge: Purge,
    /// Bars purged before each boundary with `purge: bars` (default: 3 x the longest
    /// label horizon or holding period).
    pub purge_bars: Option<u32>,
    /// Bars embargoed at the start of val and of test.
    pub embargo: u32,
}

impl Default for SplitsParams {
    fn default() -> Self {
        Self { train: 0.70, val: 0.15, purge: Purge::T1, purge_bars: None, embargo: 1440 }
    }
}

/// Which split each labels row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assignment {
    Train,
    Val,
    Test,
    /// Purged from the split it would belong to.
    Purged(Part),
    /// Embargoed at the start of the split it would belong to.
    Embargoed(Part),
}

/// The three parts of a chronological split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Train,
    Val,
    Test,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Train => col::TRAIN,
            Self::Val => col::VAL,
            Self::Test => col::TEST,
        }
    }
}

impl Assignment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Train => col::TRAIN,
            Self::Val => col::VAL,
            Self::Test => col::TEST,
            Self::Purged(_) => col::PURGED,
            Self::Embargoed(_) => col::EMBARGOED,
        }
    }
}

/// The chronological split rule, in bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chronological {
    /// First bar of val.
    pub val_start: usize,
    /// First bar of test.
    pub test_start: usize,
    /// `None`: purge by `t1`; `Some(b)`: purge the `b` bars before each boundary.
    pub purge_bars: Option<usize>,
    pub embargo: usize,
}

impl Chronological {
    /// Boundaries at `floor(train x n_bars)` and `floor((train + val) x n_bars)`.
    pub fn new(n_bars: usize, train: f64, val: f64, purge_bars: Option<usize>, embargo: usize) -> Self {
        let val_start = (train * n_bars as f64).floor() as usize;
        let test_start = ((train + val) * n_bars as f64).floor() as usize;
        Self { val_start, test_start: test_start.max(val_start), purge_bars, embargo }
    }

    /// The split of an event at `bar` whose label ends `bars_held` bars later.
    pub fn assign(&self, bar: usize, bars_held: usize) -> Assignment {
        let (part, start, next) = if bar < self.val_start {
            (Part::Train, 0, Some(self.val_start))
        } else if bar < self.test_start {
            (Part::Val, self.val_start, Some(self.test_start))
        } else {
            (Part::Test, self.test_start, None)
        };
        if part != Part::Train && bar < start + self.embargo {
            return Assignment::Embargoed(part);
        }
        if let Some(next) = next {
            let reaches = match self.purge_bars {
                None => bar + bars_held >= next,
                Some(b) => bar + b >= next || bar + bars_held >= next,
            };
            if reaches {
                return Assignment::Purged(part);
            }
        }
        match part {
            Part::Train => Assignment::Train,
            Part::Val => Assignment::Val,
            Part::Test => Assignment::Test,
        }
    }
}

/// The `splits` stage kind.
pub struct Splits;

impl Stage for Splits {
    type Params = SplitsParams;
    const KIND: &'static str = "splits";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Chronological train/val/test split of labelled events, purged by t1 and embargoed at each boundary.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("labels", "labels from labels.triple_barrier (ts, t1, horizon, bars_held, bar)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("splits", Format::Parquet, "one row per labels row: ts, t1, horizon, bar, split (train/val/test/purged/embargoed)"),
        OutputSlot::new("report", Format::Json, "boundaries and the rows dropped by purge and embargo"),
    ];

    fn check(&self, p: &Self::Params) -> Result<(), ParamIssue> {
        if !(p.train > 0.0 && p.val >= 0.0 && p.train + p.val < 1.0) {
            return Err(ParamIssue::new(&["train"], format!("need train > 0, val >= 0 and train + val < 1; got {} and {}", p.train, p.val))
                .hint("e.g. `train: 0.7, val: 0.15` (test gets the remaining 0.15)"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let labels = inputs.table("labels")?;
        let ts = ts_column(labels, lab::TS)?;
        let t1 = ts_column(labels, lab::T1)?;
        let horizon = f64_column(labels, lab::HORIZON)?;
        let held = f64_column(labels, lab::BARS_HELD)?;
        let bar = f64_column(labels, lab::BAR)
            .map_err(|e| StageError::data_hint(e.to_string(), "splits needs the `bar` column that labels.triple_barrier writes"))?;
        let n_bars = if let Some(v) = labels.schema_ref().metadata().get(lab::META_BARS) {
            v.parse::<usize>().map_err(|_| StageError::data(format!("labels metadata `{}` is `{v}`, expected a count", lab::META_BARS)))?
        } else {
            let last = bar.iter().zip(&held).map(|(b, h)| (b + h) as usize + 1).max().unwrap_or(0);
            ctx.log(format!("labels carry no `{}`; counting {last} bars (up to the last t1)", lab::META_BARS));
            last
        };
        let longest = horizon.iter().chain(&held).fold(0.0_f64, |a, &b| a.max(b)) as usize;
        let purge_bars = match p.purge {
            Purge::T1 => None,
            Purge::Bars => Some(p.purge_bars.map_or(3 * longest, |b| b as usize)),
        };
        let rule = Chronological::new(n_bars, p.train, p.val, purge_bars, p.embargo as usize);
        let assigned: Vec<Assignment> = bar.iter().zip(&held).map(|(&b, &h)| rule.assign(b as usize, h as usize)).collect();

        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut purged: BTreeMap<&str, usize> = BTreeMap::new();
        let mut embargoed: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &assigned {
            *counts.entry(a.as_str()).or_default() += 1;
            match a {
                Assignment::Purged(part) => *purged.entry(part.as_str()).or_default() += 1,
                Assignment::Embargoed(part) => *embargoed.entry(part.as_str()).or_default() += 1,
                _ => {}
            }
        }
        for part in [Part::Train, Part::Val, Part::Test] {
            if counts.get(part.as_str()).copied().unwrap_or(0) == 0 {
                return Err(StageError::data_hint(
                    format!("the `{}` split has no rows left ({} labels rows over {n_bars} bars, embargo {} bars)", part.as_str(), ts.len(), p.embargo),
                    "use more data, or lower `embargo` / change `train` and `val`",
                ));
            }
        }
        let report = serde_json::json!({
            "n_bars": n_bars,
            "rows": ts.len(),
            "val_start_bar": rule.val_start,
            "test_start_bar": rule.test_start,
            "purge": match purge_bars { None => serde_json::json!("t1"), Some(b) => serde_json::json!({"bars": b}) },
            "embargo_bars": p.embargo,
            "counts": counts,
            "purged": purged,
            "embargoed": embargoed,
        });
        let table = TableBuilder::new()
            .ts(col::TS, ts)
            .ts(col::T1, t1)
            .i32(col::HORIZON, horizon.iter().map(|&h| h as i32).collect())
            .i64(col::BAR, bar.iter().map(|&b| b as i64).collect())
            .str(col::SPLIT, &assigned.iter().map(|a| a.as_str()).collect::<Vec<_>>())
            .build()?;
        let mut out = StageOutput::new().table("splits", table).json("report", report);
        for (k, v) in &counts {
            out = out.metric(k, v);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn boundaries_purge_and_embargo_in_bars() {
        let rule = Chronological::new(100, 0.7, 0.15, None, 5);
        assert_eq!((rule.val_start, rule.test_start), (70, 85));
        assert_eq!(rule.assign(60, 9), Assignment::Train);
        assert_eq!(rule.assign(60, 10), Assignment::Purged(Part::Train));
        assert_eq!(rule.assign(70, 0), Assignment::Embargoed(Part::Val));
        assert_eq!(rule.assign(75, 9), Assignment::Val);
        assert_eq!(rule.assign(80, 5), Assignment::Purged(Part::Val));
        assert_eq!(rule.assign(89, 50), Assignment::Embargoed(Part::Test));
        assert_eq!(rule.assign(90, 50), Assignment::Test);
        let fixed = Chronological { purge_bars: Some(6), ..rule };
        assert_eq!(fixed.assign(63, 1), Assignment::Train);
        assert_eq!(fixed.assign(64, 1), Assignment::Purged(Part::Train));
    }

    proptest! {
        /// At every boundary: no kept row's label reaches the next split, no kept row of
        /// val/test lies in an embargo window, and every dropped row broke a rule.
        #[test]
        fn prop_purge_and_embargo_hold_at_every_boundary(n in 50usize..400, train in 0.3f64..0.7, val in 0.05f64..0.25, embargo in 0usize..20, bar in 0usize..400, held in 0usize..30, fixed in proptest::option::of(0usize..40)) {
            let bar = bar % n;
            let rule = Chronological::new(n, train, val, fixed, embargo);
            let next = |b: usize| if b < rule.val_start { Some(rule.val_start) } else if b < rule.test_start { Some(rule.test_start) } else { None };
            let start = if bar < rule.val_start { None } else if bar < rule.test_start { Some(rule.val_start) } else { Some(rule.test_start) };
            let in_embargo = start.is_some_and(|s| bar < s + embargo);
            let reaches = next(bar).is_some_and(|nx| bar + held >= nx || fixed.is_some_and(|f| bar + f >= nx));
            match rule.assign(bar, held) {
                Assignment::Embargoed(_) => prop_assert!(in_embargo),
                Assignment::Purged(_) => prop_assert!(reaches && !in_embargo),
                kept => {
                    prop_assert!(!in_embargo && !reaches);
                    let expected = match start { None => Assignment::Train, Some(s) if s == rule.val_start && rule.val_start < rule.test_start => Assignment::Val, Some(_) => Assignment::Test };
                    prop_assert_eq!(kept, expected);
                }
            }
        }
    }
}
