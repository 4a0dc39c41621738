//! `data.synth`: the market simulator.
//!
//! A seeded, tick-level, hierarchical Markov simulator of a futures market on the CME
//! Globex calendar (America/Chicago, with daylight saving): day regime -> hour phase ->
//! minute state ([`states`]), session effects, day-of-week multipliers and volatility
//! clustering ([`model`]), ticks turned into 1-minute bars ([`engine`]). Every bar
//! carries its labels. Given real bars on the optional `real` input it first estimates
//! the model from them ([`fit`]) and reports real vs synthetic stylized facts.

pub mod engine;
pub mod fit;
pub mod model;
pub mod states;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int8Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int8Type};
use chrono::{Datelike, NaiveDate};
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME};
use mlfactory_market::{Bars, Calendar, Instrument, Session};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::engine::{DayBars, DayPlan, Pin, normal, pick, simulate_day, uniform};
use self::model::{Clustering, DAY_MINUTES, Model};
use self::states::{DayRegime, HourPhase, MinuteState, StateParams};
use crate::stats;

/// Column names the simulator adds to the bar table.
pub mod columns {
    pub const MINUTE_STATE: &str = "minute_state";
    pub const HOUR_PHASE: &str = "hour_phase";
    pub const DAY_REGIME: &str = "day_regime";
    pub const SESSION: &str = "session";
    pub const SEGMENT_ID: &str = "segment_id";
}

/// Overrides of one minute state's parameter set (unset fields keep the default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StateOverride {
    /// Mean price-change events per minute at activity 1.
    pub ticks: Option<f64>,
    /// Probability of an up tick (in the day's direction for ZOMBIE, IMPULSIVE, BREAKOUT).
    pub up: Option<f64>,
    /// Probability of staying in the state for the next minute.
    pub persistence: Option<f64>,
    /// Mean event size in ticks (>= 1).
    pub vol: Option<f64>,
}

/// One step of an explicit minute-state sequence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceStep {
    /// Minute of the trading day this state starts at (0 = 17:00 exchange time, 930 = the
    /// 08:30 RTH open, 1379 = the last minute, 15:59).
    #[serde(default)]
    pub at: u32,
    /// The minute state from `at` until the next step.
    pub state: MinuteState,
    /// `up` or `down`: the direction of the directional states (ZOMBIE, IMPULSIVE,
    /// BREAKOUT) in this step. Default: the day's direction.
    #[serde(default)]
    pub direction: Option<Direction>,
}

/// A price direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    fn sign(self) -> i8 {
        match self {
            Self::Up => 1,
            Self::Down => -1,
        }
    }
}

/// Volatility-clustering parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClusteringParams {
    /// Per-minute persistence of the log-activity AR(1) process (0 <= phi < 1).
    pub phi: f64,
    /// Standard deviation of its innovations (0 turns clustering off).
    pub sigma: f64,
}

impl Default for ClusteringParams {
    fn default() -> Self {
        let c = Model::default().clustering;
        Self { phi: c.phi, sigma: c.sigma }
    }
}

/// Params of `data.synth`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SynthParams {
    /// Instrument symbol (tick size from the instrument table: MES, ES, NQ, GC, 6E, ...).
    pub symbol: String,
    /// First trading day, `YYYY-MM-DD` (its session opens at 17:00 exchange time the evening before).
    pub start: String,
    /// Calendar days covered from `start`: every Monday-Friday trading day in them is simulated (1380 one-minute bars each).
    pub days: u32,
    /// Exact number of 1-minute bars to make instead of `days` (the last day is cut short).
    pub bars: Option<u64>,
    /// Opening price (default by symbol: MES/ES 5000, NQ 18000, GC 2000, CL 75, 6E 1.10, ...).
    pub price: Option<f64>,
    /// Tick size, for a symbol the instrument table does not know.
    pub tick_size: Option<f64>,
    /// Mean contracts traded per minute per price-change event (volume scale).
    pub volume_per_tick: f64,
    /// Overrides of the minute states' parameter sets, by state (`RALLY: {up: 0.7}`).
    pub states: BTreeMap<MinuteState, StateOverride>,
    /// Minute-state transition weights, 7x7 in the order RALLY, BREAKDOWN, RANGING, FLAT, ZOMBIE, IMPULSIVE, BREAKOUT (diagonal ignored: staying is `persistence`).
    pub minute_transitions: Option<Vec<Vec<f64>>>,
    /// Hour-phase transition matrix, 6x6 in the order IMPULSE, CONSOLIDATION, RETRACEMENT, CONTINUATION, REVERSAL, CHOPPY.
    pub hour_transitions: Option<Vec<Vec<f64>>>,
    /// Day-regime transition matrix, 6x6 in the order TREND, RANGE, BREAKOUT, REVERSAL, QUIET, VOLATILE.
    pub day_transitions: Option<Vec<Vec<f64>>>,
    /// Forces every day's regime.
    pub day_regime: Option<DayRegime>,
    /// Explicit minute states for every day, e.g. `[{state: RANGING}, {at: 930, state: BREAKOUT, direction: up}, {at: 960, state: RALLY}]`; minutes before the first step follow the Markov chain.
    pub state_sequence: Vec<SequenceStep>,
    /// Intraday activity profile (U-shaped volume and volatility); off = flat.
    pub session_effects: bool,
    /// Day-of-week activity multipliers, Monday..Friday (all 1 turns them off).
    pub day_of_week: [f64; 5],
    /// Volatility clustering (`sigma: 0` turns it off).
    pub clustering: ClusteringParams,
    /// With a `real` input: how many k-means clusters of hourly patterns to fit (hour phases are fitted from 6).
    pub fit_clusters: usize,
}

impl Default for SynthParams {
    fn default() -> Self {
        let model = Model::default();
        Self {
            symbol: "MES".into(),
            start: "2024-01-01".into(),
            days: 365,
            bars: None,
            price: None,
            tick_size: None,
            volume_per_tick: model.volume_per_tick,
            states: BTreeMap::new(),
            minute_transitions: None,
            hour_transitions: None,
            day_transitions: None,
            day_regime: None,
            state_sequence: Vec::new(),
            session_effects: true,
            day_of_week: model.dow,
            clustering: ClusteringParams::default(),
            fit_clusters: 6,
        }
    }
}

/// Default opening price of a symbol's root.
fn default_price(symbol: &str) -> f64 {
    match symbol {
        "NQ" | "MNQ" => 18_000.0,
        "RTY" | "M2K" | "GC" | "MGC" => 2_000.0,
        "YM" | "MYM" => 38_000.0,
        "CL" | "MCL" => 75.0,
        "6E" | "M6E" => 1.10,
        "ZN" => 110.0,
        _ => 5_000.0,
    }
}

fn matrix<const N: usize>(rows: &[Vec<f64>], path: &str) -> Result<[[f64; N]; N], ParamIssue> {
    if rows.len() != N || rows.iter().any(|r| r.len() != N) {
        return Err(ParamIssue::new(&[path], format!("must be a {N}x{N} matrix")));
    }
    let mut m = [[0.0; N]; N];
    for (i, row) in rows.iter().enumerate() {
        if row.iter().any(|v| !v.is_finite() || *v < 0.0) || row.iter().sum::<f64>() <= 0.0 {
            return Err(ParamIssue::new(&[path, &i.to_string()], "weights must be finite, >= 0 and not all zero"));
        }
        m[i].copy_from_slice(row);
    }
    Ok(m)
}

impl SynthParams {
    fn start_date(&self) -> Result<NaiveDate, ParamIssue> {
        NaiveDate::parse_from_str(&self.start, "%Y-%m-%d")
            .map_err(|_| ParamIssue::new(&["start"], format!("`{}` is not a date", self.start)).hint("write it as YYYY-MM-DD, e.g. 2024-01-02"))
    }

    fn instrument(&self) -> Result<Instrument, ParamIssue> {
        match (Instrument::lookup(&self.symbol), self.tick_size) {
            (Some(mut i), Some(t)) => {
                i.tick_size = t;
                Ok(i)
            }
            (Some(i), None) => Ok(i),
            (None, Some(t)) => {
                Ok(Instrument { symbol: self.symbol.clone(), tick_size: t, tick_value: t, currency: "USD".into(), timezone: "America/Chicago".into() })
            }
            (None, None) => Err(ParamIssue::new(&["symbol"], format!("unknown symbol `{}`", self.symbol))
                .hint(format!("use one of {} or set `tick_size`", Instrument::known_symbols().collect::<Vec<_>>().join(", ")))),
        }
    }

    /// The model these params describe (defaults with overrides applied).
    pub fn model(&self) -> Result<Model, ParamIssue> {
        let mut m = Model::default();
        for (state, o) in &self.states {
            let p: &mut StateParams = &mut m.states[state.index()];
            let path = state.name();
            if let Some(v) = o.ticks {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(ParamIssue::new(&["states", path, "ticks"], "must be > 0"));
                }
                p.ticks = v;
            }
            if let Some(v) = o.up {
                if !(0.0..=1.0).contains(&v) {
                    return Err(ParamIssue::new(&["states", path, "up"], "must be a probability in [0, 1]"));
                }
                p.up = v;
            }
            if let Some(v) = o.persistence {
                if !(0.0..1.0).contains(&v) {
                    return Err(ParamIssue::new(&["states", path, "persistence"], "must be in [0, 1)"));
                }
                p.persistence = v;
            }
            if let Some(v) = o.vol {
                if !(1.0..=8.0).contains(&v) {
                    return Err(ParamIssue::new(&["states", path, "vol"], "must be in [1, 8] ticks"));
                }
                p.vol = v;
            }
        }
        if let Some(rows) = &self.minute_transitions {
            m.minute_matrix = matrix(rows, "minute_transitions")?;
        }
        if let Some(rows) = &self.hour_transitions {
            m.hour_matrix = matrix(rows, "hour_transitions")?;
        }
        if let Some(rows) = &self.day_transitions {
            m.day_matrix = matrix(rows, "day_transitions")?;
        }
        if !self.session_effects {
            m.profile = [1.0; model::SLOTS];
        }
        if self.day_of_week.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ParamIssue::new(&["day_of_week"], "multipliers must be > 0"));
        }
        m.dow = self.day_of_week;
        if !(0.0..1.0).contains(&self.clustering.phi) || !(0.0..=2.0).contains(&self.clustering.sigma) {
            return Err(ParamIssue::new(&["clustering"], "need 0 <= phi < 1 and 0 <= sigma <= 2"));
        }
        m.clustering = Clustering { phi: self.clustering.phi, sigma: self.clustering.sigma };
        if !(self.volume_per_tick > 0.0 && self.volume_per_tick.is_finite()) {
            return Err(ParamIssue::new(&["volume_per_tick"], "must be > 0"));
        }
        m.volume_per_tick = self.volume_per_tick;
        Ok(m)
    }

    fn pins(&self) -> Result<Vec<Pin>, ParamIssue> {
        let mut last = None;
        let mut pins = Vec::with_capacity(self.state_sequence.len());
        for (i, step) in self.state_sequence.iter().enumerate() {
            if step.at as usize >= DAY_MINUTES {
                return Err(ParamIssue::new(&["state_sequence", &i.to_string(), "at"], format!("minute {} is past the trading day (0..1379)", step.at)));
            }
            if last.is_some_and(|l| step.at <= l) {
                return Err(ParamIssue::new(&["state_sequence", &i.to_string(), "at"], "steps must be in increasing order of `at`"));
            }
            last = Some(step.at);
            pins.push(Pin { at: step.at as usize, state: step.state, direction: step.direction.map(Direction::sign) });
        }
        Ok(pins)
    }
}

/// `data.synth`.
pub struct Synth;

/// A trading day to simulate: its open time and plan.
struct Day {
    open_ns: i64,
    plan: DayPlan,
    /// Reopening gap from the previous day's close, ticks.
    gap: i64,
}

/// Lays out the trading days and draws their regimes, directions and gaps.
fn plan_days(p: &SynthParams, model: &Model, cal: Calendar, start: NaiveDate, rng: &mut rand_chacha::ChaCha8Rng) -> Result<Vec<Day>, StageError> {
    let mut days = Vec::new();
    let mut remaining = p.bars.map(|b| b as usize);
    let mut date = start;
    let end = start + chrono::Days::new(u64::from(p.days));
    let mut regime: Option<DayRegime> = None;
    let mut direction: i8 = if uniform(rng) < 0.5 { 1 } else { -1 };
    let mut previous_date: Option<NaiveDate> = None;
    loop {
        match remaining {
            Some(0) => break,
            None if date >= end => break,
            _ => {}
        }
        let weekday = date.weekday().num_days_from_monday();
        if weekday < 5 {
            let eve = date.pred_opt().ok_or_else(|| StageError::data("date out of range"))?;
            let open_ns = cal
                .utc_ns(eve.year(), eve.month(), eve.day(), 17, 0)
                .ok_or_else(|| StageError::data(format!("cannot place the 17:00 open of {date} in exchange time")))?;
            let next = match (p.day_regime, regime) {
                (Some(r), _) => r,
                (None, None) => DayRegime::ALL[pick(&[1.0; 6], uniform(rng))],
                (None, Some(r)) => DayRegime::ALL[pick(&model.day_matrix[r.index()], uniform(rng))],
            };
            regime = Some(next);
            // Directions persist a little from one day to the next.
            if uniform(rng) > 0.55 {
                direction = -direction;
            }
            let weekend = previous_date.is_some_and(|d| (date - d).num_days() > 1);
            let sd = if weekend { model.weekend_gap_ticks } else { model.gap_ticks };
            let gap = if previous_date.is_some() { (sd * normal(rng)).round() as i64 } else { 0 };
            let minutes = remaining.map_or(DAY_MINUTES, |r| r.min(DAY_MINUTES));
            if let Some(r) = remaining.as_mut() {
                *r -= minutes;
            }
            days.push(Day { open_ns, plan: DayPlan { weekday: weekday as u8, regime: next, direction, minutes }, gap });
            previous_date = Some(date);
        }
        date = date.succ_opt().ok_or_else(|| StageError::data("date out of range"))?;
    }
    Ok(days)
}

fn label_column<T: Copy>(values: &[T], names: &[&str], index: impl Fn(T) -> usize) -> ArrayRef {
    let keys = Int8Array::from_iter_values(values.iter().map(|&v| index(v) as i8));
    Arc::new(DictionaryArray::<Int8Type>::try_new(keys, Arc::new(StringArray::from_iter_values(names.iter().copied()))).expect("keys index the dictionary"))
}

fn label_field(name: &str) -> Field {
    Field::new(name, DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)), false)
}

/// The simulated series, assembled.
pub struct Simulated {
    pub bars: Bars,
    pub state: Vec<MinuteState>,
    pub phase: Vec<HourPhase>,
    pub regime: Vec<DayRegime>,
    pub session: Vec<Session>,
    pub segment: Vec<i64>,
    /// Trading days simulated.
    pub days: usize,
}

/// Runs the simulator: plans the days, simulates them in parallel, stitches prices.
pub fn simulate(p: &SynthParams, model: &Model, ctx: &StageContext<'_>) -> Result<(Simulated, Instrument), StageError> {
    let instrument = p.instrument().map_err(|i| StageError::data(i.message))?;
    let start = p.start_date().map_err(|i| StageError::data(i.message))?;
    let pins = p.pins().map_err(|i| StageError::data(i.message))?;
    let cal = Calendar::cme();
    let days = plan_days(p, model, cal, start, &mut ctx.rng("synth/days"))?;
    let rngs: Vec<_> = (0..days.len()).map(|i| ctx.rng(&format!("synth/day/{i}"))).collect();
    let simulated: Vec<DayBars> = days.par_iter().zip(rngs).map(|(d, mut rng)| simulate_day(model, &d.plan, &pins, &mut rng)).collect();

    let n: usize = simulated.iter().map(|d| d.open.len()).sum();
    let price = p.price.unwrap_or_else(|| default_price(&instrument.symbol));
    let mut level = instrument.to_ticks(price);
    let mut out = Simulated {
        bars: Bars {
            ts: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
        },
        state: Vec::with_capacity(n),
        phase: Vec::with_capacity(n),
        regime: Vec::with_capacity(n),
        session: Vec::with_capacity(n),
        segment: Vec::with_capacity(n),
        days: days.len(),
    };
    let clock = cal.clock();
    let mut segment = -1i64;
    for (d, bars) in days.iter().zip(&simulated) {
        level += d.gap;
        let lowest = bars.low.iter().copied().min().unwrap_or(0);
        if level + lowest < 1 {
            return Err(StageError::data_hint(
                format!("the simulated price fell to zero or below on the trading day opening at {} ns", d.open_ns),
                "raise `price` or shorten the simulation (prices move in ticks, not percent)",
            ));
        }
        let tick = |t: i64| instrument.to_price(level + t);
        for m in 0..bars.open.len() {
            let ts = d.open_ns + m as i64 * 60_000_000_000;
            out.bars.ts.push(ts);
            out.bars.open.push(tick(bars.open[m]));
            out.bars.high.push(tick(bars.high[m]));
            out.bars.low.push(tick(bars.low[m]));
            out.bars.close.push(tick(bars.close[m]));
            out.bars.volume.push(bars.volume[m]);
            if m == 0 || bars.state[m] != bars.state[m - 1] || bars.phase[m] != bars.phase[m - 1] {
                segment += 1;
            }
            out.state.push(bars.state[m]);
            out.phase.push(bars.phase[m]);
            out.regime.push(d.plan.regime);
            out.session.push(clock.session(ts));
            out.segment.push(segment);
        }
        level += bars.close.last().copied().unwrap_or(0);
    }
    Ok((out, instrument))
}

impl Simulated {
    /// The bar table with its labels.
    pub fn to_table(&self, symbol: &str) -> Result<RecordBatch, StageError> {
        let state_names = MinuteState::ALL.map(MinuteState::name);
        let phase_names = HourPhase::ALL.map(HourPhase::name);
        let regime_names = DayRegime::ALL.map(DayRegime::name);
        let session_names: Vec<&str> = Session::ALL.iter().chain([&Session::Closed]).map(|s| s.name()).collect();
        self.bars
            .to_builder()
            .array(label_field(columns::MINUTE_STATE), label_column(&self.state, &state_names, MinuteState::index))
            .array(label_field(columns::HOUR_PHASE), label_column(&self.phase, &phase_names, HourPhase::index))
            .array(label_field(columns::DAY_REGIME), label_column(&self.regime, &regime_names, DayRegime::index))
            .array(label_field(columns::SESSION), label_column(&self.session, &session_names, |s| usize::from(s.id())))
            .i64(columns::SEGMENT_ID, self.segment.clone())
            .meta(META_SYMBOL, symbol)
            .meta(META_TIMEFRAME, "1m")
            .build()
    }
}

impl Stage for Synth {
    type Params = SynthParams;
    const KIND: &'static str = "data.synth";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Seeded tick-level market simulator (day regime -> hour phase -> minute state on the CME Globex calendar); 1-minute bars labelled with their states. Fits itself to real bars given on `real`.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::optional("real", "real 1-minute bars to fit the model to (optional)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new(
            "bars",
            Format::Parquet,
            "1-minute bars: ts, open, high, low, close, volume, minute_state, hour_phase, day_regime, session, segment_id",
        ),
        OutputSlot::new("stats", Format::Json, "stylized facts of the synthetic bars (and of the real ones, side by side, when fitted)"),
    ];

    fn check(&self, p: &SynthParams) -> Result<(), ParamIssue> {
        p.start_date()?;
        p.instrument()?;
        p.model()?;
        p.pins()?;
        if p.bars == Some(0) || (p.bars.is_none() && p.days == 0) {
            return Err(ParamIssue::new(&[if p.bars.is_some() { "bars" } else { "days" }], "must be at least 1"));
        }
        if let Some(price) = p.price
            && !(price > 0.0 && price.is_finite())
        {
            return Err(ParamIssue::new(&["price"], "must be > 0"));
        }
        if let Some(t) = p.tick_size
            && !(t > 0.0 && t.is_finite())
        {
            return Err(ParamIssue::new(&["tick_size"], "must be > 0"));
        }
        if !(2..=32).contains(&p.fit_clusters) {
            return Err(ParamIssue::new(&["fit_clusters"], "must be in 2..=32"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &SynthParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let mut model = p.model().map_err(|i| StageError::data(i.message))?;
        let instrument = p.instrument().map_err(|i| StageError::data(i.message))?;
        let real = match inputs.opt_table("real")? {
            Some(table) => {
                let real = Bars::from_table(table)?;
                let fitted = fit::fit(&real, instrument.tick_size, p.fit_clusters, &model, &mut ctx.rng("synth/fit"))?;
                ctx.log(format_args!("fitted the model to {} real trading days ({} hours)", fitted.real_days, fitted.real_hours));
                model = fitted.model.clone();
                Some((real, fitted))
            }
            None => None,
        };
        let (sim, instrument) = simulate(p, &model, ctx)?;
        let table = sim.to_table(&instrument.symbol)?;
        let synthetic = stats::StylizedFacts::of(&sim.bars, instrument.tick_size);
        let report = match &real {
            Some((bars, fitted)) => {
                let real_facts = stats::StylizedFacts::of(bars, instrument.tick_size);
                serde_json::json!({
                    "symbol": instrument.symbol,
                    "comparison": stats::compare(&real_facts, &synthetic),
                    "real": real_facts,
                    "synthetic": synthetic,
                    "fitted": fitted,
                })
            }
            None => serde_json::json!({ "symbol": instrument.symbol, "synthetic": synthetic }),
        };
        let out = StageOutput::new()
            .metric("bars", sim.bars.len())
            .metric("days", sim.days)
            .metric("return_kurtosis", synthetic.returns.excess_kurtosis)
            .metric("abs_return_acf1", synthetic.abs_acf.first().map_or(f64::NAN, |a| a.1));
        Ok(out.table("bars", table).json("stats", report))
    }
}

#[cfg(test)]
mod tests;
