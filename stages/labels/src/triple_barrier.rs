//! The `labels.triple_barrier` stage: triple-barrier labels at several horizons.
//!
//! Reads bars, chooses events (every bar, CUSUM, a signal column, or an `events` table),
//! sets barriers at `pt` / `sl` multiples of a causal volatility target, and writes one
//! row per (event, horizon) with the time the label becomes known (`t1`). An optional
//! `params` input (the best parameters of `labels.optimize`) replaces `pt`, `sl`,
//! `min_ret` and `horizons`, so a change to the search reaches exactly what depends on it.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::Bars;
use mlfactory_market::columns::{TableBuilder, f64_column, opt_f64_column, ts_column};
use mlfactory_market::contracts::labels as col;
use serde::{Deserialize, Serialize};

use crate::barrier::{Barrier, BarrierSpec, Prices, TieRule, TouchMode};
use crate::events::{EventSource, cusum};
use crate::label::{Event, LabelRule, Outcome, Outcomes, Vertical, label_events};
use crate::optimize::BestParams;
use crate::target::Volatility;

/// Params of `labels.triple_barrier`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TripleBarrierParams {
    /// Vertical barriers, in bars after the event; one label row per event and horizon.
    pub horizons: Vec<u32>,
    /// Profit-taking barrier at `pt x target` (a return); 0 disables it.
    pub pt: f64,
    /// Stop-loss barrier at `-sl x target`; 0 disables it.
    pub sl: f64,
    /// `high_low`: a bar's high/low touches a barrier, gaps exit at the open;
    /// `close`: only closes do, strictly beyond (AFML Snippet 3.2).
    pub mode: TouchMode,
    /// Which barrier wins when one bar's range reaches both (`stop` or `profit`).
    pub tie: TieRule,
    /// At the vertical barrier, returns within `[-min_ret, min_ret]` are labelled 0.
    pub min_ret: f64,
    /// The volatility target: `{kind: atr, window: 14}` (Wilder ATR / close) or
    /// `{kind: returns, window: 100}` (std of log returns), from bars strictly before the event.
    pub volatility: Volatility,
    /// Events whose target is not above this are skipped (AFML's `min_ret` filter of `get_events`).
    pub min_target: f64,
    /// Which bars are events when no `events` input is bound: `{kind: every}`,
    /// `{kind: cusum, threshold: 0.002}`, `{kind: signal, column: NAME, meta: false}`.
    pub events: EventSource,
}

impl Default for TripleBarrierParams {
    fn default() -> Self {
        Self {
            horizons: vec![5, 10, 15, 20],
            pt: 1.0,
            sl: 1.0,
            mode: TouchMode::HighLow,
            tie: TieRule::Stop,
            min_ret: 0.0,
            volatility: Volatility::default(),
            min_target: 0.0,
            events: EventSource::Every,
        }
    }
}

/// Checks shared with `labels.optimize`.
pub(crate) fn check_labelling(p: &TripleBarrierParams) -> Result<(), ParamIssue> {
    if p.horizons.is_empty() || p.horizons.contains(&0) {
        return Err(ParamIssue::new(&["horizons"], "needs at least one horizon, each at least 1 bar").hint("e.g. `horizons: [5, 10, 15, 20]`"));
    }
    for (name, v) in [("pt", p.pt), ("sl", p.sl), ("min_ret", p.min_ret), ("min_target", p.min_target)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(ParamIssue::new(&[name], format!("must be a finite number >= 0, got {v}")));
        }
    }
    if p.volatility.window() < 2 {
        return Err(ParamIssue::new(&["volatility", "window"], "must be at least 2 bars"));
    }
    if let EventSource::Cusum { threshold } = p.events
        && !(threshold.is_finite() && threshold > 0.0)
    {
        return Err(ParamIssue::new(&["events", "threshold"], format!("must be > 0, got {threshold}")));
    }
    Ok(())
}

/// The `labels.triple_barrier` stage kind.
pub struct TripleBarrier;

impl Stage for TripleBarrier {
    type Params = TripleBarrierParams;
    const KIND: &'static str = "labels.triple_barrier";
    const VERSION: &'static str = "2";
    const ABOUT: &'static str = "Triple-barrier labels (pt / sl / vertical) at several horizons, with causal volatility targets and meta-labeling.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::one("bars", "bars (ts, open, high, low, close)"),
        InputSlot::optional("events", "events to label: ts, optional target, t1 (vertical barrier; null: none) and side (meta-labeling)"),
        InputSlot::optional("params", "best parameters from `labels.optimize` (replace pt, sl, min_ret, horizons)"),
    ];
    const OUTPUTS: &'static [OutputSlot] =
        &[OutputSlot::new("labels", Format::Parquet, "ts, horizon, t1, barrier, ret, label, bars_held, target, bar (+ side when meta-labeling)")];

    fn check(&self, p: &Self::Params) -> Result<(), ParamIssue> {
        check_labelling(p)
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let mut p = params.clone();
        if let Some(best) = inputs.opt_json("params")? {
            BestParams::from_json(best)?.apply(&mut p)?;
        }
        let table = inputs.table("bars")?;
        let bars = Bars::from_table(table)?;
        let labelled = match inputs.opt_table("events")? {
            Some(events) => label_table_events(&bars, events, &p)?,
            None => label_bars(&bars, table, &p)?,
        };
        ctx.log(format!("{} events -> {} label rows", labelled.events.len(), labelled.outcomes.len()));
        let out = labelled.to_table(&bars)?;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for o in &labelled.outcomes {
            *counts.entry(o.barrier.as_str()).or_default() += 1;
            *classes.entry(o.label.to_string()).or_default() += 1;
        }
        Ok(StageOutput::new()
            .table("labels", out)
            .metric("events", labelled.events.len())
            .metric("rows", labelled.outcomes.len())
            .metric("barriers", counts)
            .metric("classes", classes)
            .metric("skipped_no_target", labelled.skipped_no_target)
            .metric("pt", p.pt)
            .metric("sl", p.sl)
            .metric("min_ret", p.min_ret)
            .metric("horizons", &p.horizons))
    }
}

/// Labelled events and how many candidates were skipped.
#[derive(Debug)]
pub struct Labelled {
    pub events: Vec<Event>,
    pub outcomes: Outcomes,
    /// Candidate events skipped because their target was undefined (warm-up) or not
    /// above `min_target`.
    pub skipped_no_target: usize,
    /// Whether events carry a side (meta-labeling).
    pub meta: bool,
}

impl Labelled {
    /// The labels table.
    pub fn to_table(&self, bars: &Bars) -> Result<RecordBatch, StageError> {
        let o = &self.outcomes;
        let ev = |r: &Outcome| &self.events[r.event];
        let mut b = TableBuilder::new()
            .ts(col::TS, o.iter().map(|r| bars.ts[ev(r).bar]).collect())
            .i32(col::HORIZON, o.iter().map(|r| r.horizon as i32).collect())
            .ts(col::T1, o.iter().map(|r| bars.ts[r.exit]).collect())
            .str(col::BARRIER, &o.iter().map(|r| r.barrier.as_str()).collect::<Vec<_>>())
            .f64(col::RET, o.iter().map(|r| r.ret).collect())
            .i8(col::LABEL, o.iter().map(|r| r.label).collect())
            .i32(col::BARS_HELD, o.iter().map(|r| (r.exit - ev(r).bar) as i32).collect())
            .f64(col::TARGET, o.iter().map(|r| ev(r).target).collect())
            .i64(col::BAR, o.iter().map(|r| ev(r).bar as i64).collect());
        if self.meta {
            b = b.i8(col::SIDE, o.iter().map(|r| ev(r).side).collect());
        }
        b.meta(col::META_BARS, bars.len().to_string()).build()
    }
}

pub(crate) fn spec_and_rule(p: &TripleBarrierParams, meta: bool) -> (BarrierSpec, LabelRule) {
    (BarrierSpec { pt: p.pt, sl: p.sl, mode: p.mode, tie: p.tie }, LabelRule { min_ret: p.min_ret, meta })
}

pub(crate) fn prices(bars: &Bars) -> Prices<'_> {
    Prices { open: &bars.open, high: &bars.high, low: &bars.low, close: &bars.close }
}

fn sorted_horizons(p: &TripleBarrierParams) -> Vec<u32> {
    let mut h = p.horizons.clone();
    h.sort_unstable();
    h.dedup();
    h
}

fn usable(target: f64, min_target: f64) -> bool {
    target.is_finite() && target > min_target
}

/// Events chosen from the bars themselves (every bar, CUSUM, signal column) with their
/// targets, the number of candidates skipped for an unusable target, and whether they
/// carry a side (meta-labeling).
pub fn bar_events(bars: &Bars, table: &RecordBatch, p: &TripleBarrierParams) -> Result<(Vec<Event>, usize, bool), StageError> {
    let target = p.volatility.compute(&bars.high, &bars.low, &bars.close);
    let candidates: Vec<(usize, i8)> = match &p.events {
        EventSource::Every => (0..bars.len()).map(|i| (i, 1)).collect(),
        EventSource::Cusum { threshold } => cusum(&bars.close, *threshold).into_iter().map(|i| (i, 1)).collect(),
        EventSource::Signal { column, meta } => {
            let signal = f64_column(table, column).map_err(|e| StageError::data_hint(e.to_string(), "`events.column` names a column of the bars table"))?;
            signal.iter().enumerate().filter(|(_, s)| s.is_finite() && **s != 0.0).map(|(i, s)| (i, if *meta && *s < 0.0 { -1 } else { 1 })).collect()
        }
    };
    let meta = matches!(p.events, EventSource::Signal { meta: true, .. });
    let total = candidates.len();
    let events: Vec<Event> = candidates
        .into_iter()
        .filter(|&(i, _)| usable(target[i], p.min_target))
        .map(|(bar, side)| Event { bar, target: target[bar], side, vertical: Vertical::Horizons })
        .collect();
    let skipped = total - events.len();
    Ok((events, skipped, meta))
}

/// Labels events chosen from the bars themselves (every bar, CUSUM, signal column).
pub fn label_bars(bars: &Bars, table: &RecordBatch, p: &TripleBarrierParams) -> Result<Labelled, StageError> {
    let (events, skipped_no_target, meta) = bar_events(bars, table, p)?;
    let (spec, rule) = spec_and_rule(p, meta);
    let outcomes = label_events(&prices(bars), &events, &sorted_horizons(p), &spec, &rule);
    Ok(Labelled { events, outcomes, skipped_no_target, meta })
}

/// Labels exactly the events of an `events` table, AFML style: `ts` (a bar's ts),
/// optional `target` (else the volatility target), optional `t1` (the vertical barrier;
/// null: none) and optional `side` (meta-labeling).
pub fn label_table_events(bars: &Bars, events: &RecordBatch, p: &TripleBarrierParams) -> Result<Labelled, StageError> {
    let ts = ts_column(events, col::TS)?;
    let n = ts.len();
    let given_target = opt_f64_column(events, col::TARGET)?;
    let computed = if given_target.is_none() { p.volatility.compute(&bars.high, &bars.low, &bars.close) } else { Vec::new() };
    let t1 = if events.column_by_name(col::T1).is_some() { Some(nullable_ts(events, col::T1)?) } else { None };
    let side = opt_f64_column(events, col::SIDE)?;
    let position = |row: usize, t: i64, what: &str| {
        bars.ts.binary_search(&t).map_err(|_| {
            StageError::data_hint(
                format!("events row {row}: `{what}` {t} is not the ts of any bar"),
                "event times and t1 must be bar timestamps of the `bars` input (bar open times, UTC ns)",
            )
        })
    };
    let mut out = Vec::with_capacity(n);
    let mut skipped = 0;
    for row in 0..n {
        let bar = position(row, ts[row], col::TS)?;
        let target = given_target.as_ref().map_or_else(|| computed[bar], |t| t[row]);
        if !usable(target, p.min_target) {
            skipped += 1;
            continue;
        }
        let vertical = match &t1 {
            None => Vertical::Horizons,
            Some(t1) => match t1[row] {
                None => Vertical::Open,
                Some(t) => {
                    let end = bars.ts.partition_point(|&b| b < t);
                    if end <= bar {
                        return Err(StageError::data_hint(
                            format!("events row {row}: `t1` {t} is not after the event's ts {}", ts[row]),
                            "t1 is the vertical barrier, after the event",
                        ));
                    }
                    // a t1 past the last bar means the vertical barrier is beyond the data
                    if end >= bars.len() { Vertical::At(usize::MAX) } else { Vertical::At(end) }
                }
            },
        };
        let side = match side.as_ref().map(|s| s[row]) {
            None => 1,
            Some(s) if s > 0.0 => 1,
            Some(s) if s < 0.0 => -1,
            Some(s) => {
                return Err(StageError::data_hint(format!("events row {row}: `side` is {s}"), "side must be +1 (long) or -1 (short) for meta-labeling"));
            }
        };
        out.push(Event { bar, target, side, vertical });
    }
    let (spec, rule) = spec_and_rule(p, side.is_some());
    let outcomes = label_events(&prices(bars), &out, &sorted_horizons(p), &spec, &rule);
    Ok(Labelled { events: out, outcomes, skipped_no_target: skipped, meta: side.is_some() })
}

fn nullable_ts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>, StageError> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Int64Type, TimeUnit};
    let array = batch.column_by_name(name).ok_or_else(|| StageError::data(format!("events table has no column `{name}`")))?;
    let err = |e: arrow::error::ArrowError| StageError::data(format!("column `{name}`: {e}"));
    let ns = match array.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) | DataType::Int64 => array.clone(),
        DataType::Timestamp(..) => arrow::compute::cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None)).map_err(err)?,
        other => return Err(StageError::data(format!("column `{name}` is {other}, expected a timestamp"))),
    };
    let ints = arrow::compute::cast(&ns, &DataType::Int64).map_err(err)?;
    let ints = ints.as_primitive::<Int64Type>();
    Ok((0..ints.len()).map(|i| ints.is_valid(i).then(|| ints.value(i))).collect())
}

impl Barrier {
    /// Parses a `barrier` column value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pt" => Some(Self::Pt),
            "sl" => Some(Self::Sl),
            "vertical" => Some(Self::Vertical),
            _ => None,
        }
    }
}
