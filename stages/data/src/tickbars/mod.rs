//! `data.bars`: bars from trades (ticks): time, tick, volume and dollar bars, and
//! tick-imbalance bars (López de Prado, *Advances in Financial Machine Learning*, ch. 2).
//!
//! Input `ticks`: `ts` (UTC ns), `price`, `volume` (contracts; 1 per trade when absent),
//! optionally `side` (aggressor: `B`/`A`, or +1/-1) which then signs trades instead of
//! the tick rule. Trades are taken in file order (many share a timestamp).
//!
//! - `time`: bars of `timeframe`, anchored to the trading session like `data.clean`;
//! - `tick`: a bar every `threshold` trades;
//! - `volume`: a bar once cumulative volume reaches `threshold` contracts;
//! - `dollar`: a bar once cumulative `price x volume x multiplier` reaches `threshold`
//!   (mlfinlab's convention is multiplier 1: index points x contracts);
//! - `tick_imbalance`: signed trades b_t (tick rule: the sign of the price change, the
//!   previous sign when unchanged; or the aggressor side), theta = sum of b_t over the
//!   bar; a bar closes when |theta| >= E[T] |E[b]|, where E[T] is an exponentially
//!   weighted mean of past bar lengths (span `num_prev_bars`, starting at
//!   `expected_ticks`) and E[b] an exponentially weighted mean of b_t over all trades so
//!   far (span `imbalance_span`). No bar closes before `expected_ticks` trades have been
//!   seen (the warm-up of E[b]).
//!
//! A bar is stamped `ts` = its first trade's time (the bar contract: open time), bumped
//! by 1 ns when that equals the previous bar's (trades share timestamps), with
//! `close_ts` = its last trade's time: the bar is known only at `close_ts`. Columns:
//! `ts, open, high, low, close, volume, close_ts, ticks, dollar_value, buy_volume, vwap`.
//! The trailing bar that has not reached its threshold is dropped (it would be a
//! different kind of bar) unless `keep_partial`.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::Calendar;
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME, symbol_of};
use mlfactory_market::columns::{f64_column, opt_f64_column, ts_column};
use mlfactory_market::resample::Timeframe;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clean::buckets::{Anchor, buckets};
use crate::clean::session::{SessionFilter, Windows};

/// Which bars to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BarKind {
    /// Fixed clock intervals (`timeframe`).
    #[default]
    Time,
    /// Every `threshold` trades.
    Tick,
    /// Every `threshold` contracts.
    Volume,
    /// Every `threshold` of traded value.
    Dollar,
    /// When the signed-trade imbalance exceeds its expectation (AFML 2.3.2.1).
    TickImbalance,
}

/// Params of `data.bars`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TickBarsParams {
    /// `time`, `tick`, `volume`, `dollar` or `tick_imbalance`.
    pub kind: BarKind,
    /// With `time`: the bar length.
    pub timeframe: String,
    /// With `tick`, `volume`, `dollar`: trades, contracts or value per bar.
    pub threshold: f64,
    /// With `dollar`: value per price point per contract (ES: 50; mlfinlab uses 1).
    pub multiplier: f64,
    /// With `tick_imbalance`: initial expected bar length in trades (and the warm-up).
    pub expected_ticks: usize,
    /// With `tick_imbalance`: EWMA span (in bars) of the expected bar length.
    pub num_prev_bars: usize,
    /// With `tick_imbalance`: EWMA span (in trades) of the expected trade sign.
    pub imbalance_span: usize,
    /// Keep the trailing bar that has not reached its threshold.
    pub keep_partial: bool,
    /// Symbol recorded in the output (default: the input's).
    pub symbol: Option<String>,
}

impl Default for TickBarsParams {
    fn default() -> Self {
        Self {
            kind: BarKind::Time,
            timeframe: "1m".into(),
            threshold: 100.0,
            multiplier: 1.0,
            expected_ticks: 100,
            num_prev_bars: 3,
            imbalance_span: 10_000,
            keep_partial: false,
            symbol: None,
        }
    }
}

/// Trades as columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trades {
    pub ts: Vec<i64>,
    pub price: Vec<f64>,
    pub volume: Vec<f64>,
    /// +1 buyer-initiated, -1 seller-initiated, 0 unknown.
    pub side: Option<Vec<i8>>,
}

impl Trades {
    /// Reads a trades table.
    pub fn from_table(t: &RecordBatch) -> Result<Self, StageError> {
        let price = f64_column(t, "price")?;
        let volume = opt_f64_column(t, "volume")?.unwrap_or_else(|| vec![1.0; price.len()]);
        let side = match t.column_by_name("side") {
            None => None,
            Some(c) => Some(match c.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Dictionary(..) | DataType::Utf8View => mlfactory_market::columns::str_column(t, "side")?
                    .iter()
                    .map(|s| match s.as_deref().map(str::trim) {
                        Some("B" | "b" | "buy" | "BUY" | "1" | "+1") => 1,
                        Some("A" | "a" | "S" | "s" | "sell" | "SELL" | "-1") => -1,
                        _ => 0,
                    })
                    .collect(),
                _ => {
                    let ints = arrow::compute::cast(c, &DataType::Int64).map_err(|e| StageError::data(format!("column `side`: {e}")))?;
                    let ints = ints.as_primitive::<Int64Type>();
                    (0..ints.len()).map(|i| if ints.is_null(i) { 0 } else { ints.value(i).signum() as i8 }).collect()
                }
            }),
        };
        let trades = Self { ts: ts_column(t, "ts")?, price, volume, side };
        if let Some(i) = trades.price.iter().position(|p| !(p.is_finite() && *p > 0.0)) {
            return Err(StageError::data_hint(
                format!("trade {i} has price {}", trades.price[i]),
                "validate the ticks with `data.ingest` (schema: table) or clean the file",
            ));
        }
        if let Some(i) = trades.ts.windows(2).position(|w| w[1] < w[0]) {
            return Err(StageError::data_hint(
                format!("trades are not in time order at row {}", i + 1),
                "sort the trades by `ts` (keep the file order of equal timestamps)",
            ));
        }
        Ok(trades)
    }

    /// Signed trades: the side when known, else the tick rule.
    pub fn signs(&self) -> Vec<i8> {
        let mut out = Vec::with_capacity(self.price.len());
        let mut last = 0i8;
        for i in 0..self.price.len() {
            let side = self.side.as_ref().map_or(0, |s| s[i]);
            let b = if side != 0 {
                side
            } else if i == 0 {
                0
            } else {
                match self.price[i].partial_cmp(&self.price[i - 1]) {
                    Some(std::cmp::Ordering::Greater) => 1,
                    Some(std::cmp::Ordering::Less) => -1,
                    _ => last,
                }
            };
            if b != 0 {
                last = b;
            }
            out.push(b);
        }
        out
    }
}

/// Bars built from trades.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TradeBars {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub close_ts: Vec<i64>,
    pub ticks: Vec<i64>,
    pub dollar_value: Vec<f64>,
    pub buy_volume: Vec<f64>,
    pub vwap: Vec<f64>,
}

impl TradeBars {
    fn push(&mut self, t: &Trades, signs: &[i8], first: usize, last: usize, ts: i64, multiplier: f64) {
        let r = first..=last;
        let volume: f64 = t.volume[r.clone()].iter().sum();
        let value: f64 = r.clone().map(|i| t.price[i] * t.volume[i]).sum();
        let stamp = match self.ts.last() {
            Some(&prev) if ts <= prev => prev + 1,
            _ => ts,
        };
        self.ts.push(stamp);
        self.open.push(t.price[first]);
        self.high.push(t.price[r.clone()].iter().copied().fold(f64::MIN, f64::max));
        self.low.push(t.price[r.clone()].iter().copied().fold(f64::MAX, f64::min));
        self.close.push(t.price[last]);
        self.volume.push(volume);
        self.close_ts.push(t.ts[last]);
        self.ticks.push((last - first + 1) as i64);
        self.dollar_value.push(value * multiplier);
        self.buy_volume.push(r.clone().filter(|&i| signs[i] > 0).map(|i| t.volume[i]).sum());
        self.vwap.push(if volume > 0.0 { value / volume } else { f64::NAN });
    }
}

/// Splits trades into bars `[first, last]` by a running condition.
fn by_threshold(t: &Trades, mut add: impl FnMut(usize) -> f64, threshold: f64) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let (mut first, mut acc) = (0usize, 0.0);
    for i in 0..t.price.len() {
        acc += add(i);
        if acc >= threshold {
            out.push((first, i, true));
            first = i + 1;
            acc = 0.0;
        }
    }
    if first < t.price.len() {
        out.push((first, t.price.len() - 1, false));
    }
    out
}

/// Tick-imbalance bar boundaries (AFML 2.3.2.1).
pub fn imbalance_bars(signs: &[i8], expected_ticks: usize, num_prev_bars: usize, imbalance_span: usize) -> Vec<(usize, usize, bool)> {
    let a_t = 2.0 / (num_prev_bars as f64 + 1.0);
    let a_b = 2.0 / (imbalance_span as f64 + 1.0);
    let mut exp_t = expected_ticks as f64;
    let mut exp_b = 0.0;
    let mut out = Vec::new();
    let (mut first, mut theta) = (0usize, 0.0f64);
    for (i, &b) in signs.iter().enumerate() {
        let b = f64::from(b);
        exp_b = if i == 0 { b } else { a_b * b + (1.0 - a_b) * exp_b };
        theta += b;
        if i + 1 >= expected_ticks && theta.abs() >= exp_t * exp_b.abs() && exp_b != 0.0 {
            out.push((first, i, true));
            let len = (i + 1 - first) as f64;
            exp_t = a_t * len + (1.0 - a_t) * exp_t;
            first = i + 1;
            theta = 0.0;
        }
    }
    if first < signs.len() {
        out.push((first, signs.len() - 1, false));
    }
    out
}

/// Builds the bars.
pub fn build(t: &Trades, p: &TickBarsParams) -> Result<TradeBars, StageError> {
    let signs = t.signs();
    let mut bars = TradeBars::default();
    match p.kind {
        BarKind::Time => {
            let tf: Timeframe = p.timeframe.parse().map_err(StageError::data)?;
            // Trades share timestamps: bucket the distinct ones, then map trades back.
            let clock = Calendar::cme().clock();
            let windows = Windows::of(SessionFilter::All, &[]).map_err(StageError::internal)?;
            let mut distinct: Vec<i64> = t.ts.clone();
            distinct.dedup();
            let b = buckets(&distinct, tf, Anchor::Session, &windows, &clock)?;
            let mut trade = 0usize;
            for k in 0..b.first.len() {
                let end_ts = distinct[b.last[k]];
                let first = trade;
                while trade < t.ts.len() && t.ts[trade] <= end_ts {
                    trade += 1;
                }
                bars.push(t, &signs, first, trade - 1, b.open_ts[k], p.multiplier);
            }
            return Ok(bars);
        }
        BarKind::Tick => {
            for (f, l, done) in by_threshold(t, |_| 1.0, p.threshold) {
                if done || p.keep_partial {
                    bars.push(t, &signs, f, l, t.ts[f], p.multiplier);
                }
            }
        }
        BarKind::Volume => {
            for (f, l, done) in by_threshold(t, |i| t.volume[i], p.threshold) {
                if done || p.keep_partial {
                    bars.push(t, &signs, f, l, t.ts[f], p.multiplier);
                }
            }
        }
        BarKind::Dollar => {
            for (f, l, done) in by_threshold(t, |i| t.price[i] * t.volume[i] * p.multiplier, p.threshold) {
                if done || p.keep_partial {
                    bars.push(t, &signs, f, l, t.ts[f], p.multiplier);
                }
            }
        }
        BarKind::TickImbalance => {
            for (f, l, done) in imbalance_bars(&signs, p.expected_ticks, p.num_prev_bars, p.imbalance_span) {
                if done || p.keep_partial {
                    bars.push(t, &signs, f, l, t.ts[f], p.multiplier);
                }
            }
        }
    }
    Ok(bars)
}

/// `data.bars`.
pub struct TickBars;

impl Stage for TickBars {
    type Params = TickBarsParams;
    const KIND: &'static str = "data.bars";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Bars from trades: time, tick, volume, dollar and tick-imbalance bars (AFML ch. 2).";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("ticks", "trades: ts, price, volume (optional), side (optional)")];
    const OUTPUTS: &'static [OutputSlot] =
        &[OutputSlot::new("bars", Format::Parquet, "bars: ts (first trade), OHLCV, close_ts (last trade), ticks, dollar_value, buy_volume, vwap")];

    fn check(&self, p: &TickBarsParams) -> Result<(), ParamIssue> {
        if p.kind == BarKind::Time {
            p.timeframe.parse::<Timeframe>().map_err(|e| ParamIssue::new(&["timeframe"], e))?;
        }
        if matches!(p.kind, BarKind::Tick | BarKind::Volume | BarKind::Dollar) && !(p.threshold > 0.0 && p.threshold.is_finite()) {
            return Err(ParamIssue::new(&["threshold"], "must be > 0"));
        }
        if !(p.multiplier > 0.0 && p.multiplier.is_finite()) {
            return Err(ParamIssue::new(&["multiplier"], "must be > 0"));
        }
        if p.kind == BarKind::TickImbalance && (p.expected_ticks == 0 || p.num_prev_bars == 0 || p.imbalance_span == 0) {
            return Err(ParamIssue::new(&[], "`expected_ticks`, `num_prev_bars` and `imbalance_span` must be at least 1"));
        }
        Ok(())
    }

    fn run(&self, _ctx: &StageContext<'_>, p: &TickBarsParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("ticks")?;
        let trades = Trades::from_table(table)?;
        let b = build(&trades, p)?;
        let name = match p.kind {
            BarKind::Time => p.timeframe.clone(),
            BarKind::Tick => format!("tick:{}", p.threshold),
            BarKind::Volume => format!("volume:{}", p.threshold),
            BarKind::Dollar => format!("dollar:{}", p.threshold),
            BarKind::TickImbalance => "tick_imbalance".to_owned(),
        };
        let mut builder = mlfactory_market::Bars { ts: b.ts.clone(), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }
            .to_builder()
            .ts("close_ts", b.close_ts)
            .i64("ticks", b.ticks)
            .f64("dollar_value", b.dollar_value)
            .f64("buy_volume", b.buy_volume)
            .f64("vwap", b.vwap)
            .meta(META_TIMEFRAME, name);
        if let Some(s) = p.symbol.clone().or_else(|| symbol_of(table).map(str::to_owned)) {
            builder = builder.meta(META_SYMBOL, s);
        }
        let out = builder.build()?;
        let n = out.num_rows();
        Ok(StageOutput::new().metric("trades", trades.price.len()).metric("bars", n).table("bars", out))
    }
}

#[cfg(test)]
mod tests;
