//! `features.mtf`: the multi-timeframe ladder.
//!
//! The base bars (usually 1-minute) are resampled to every timeframe of the ladder
//! (`mlfactory_market::resample`: buckets anchored to the trading day's 17:00 open, never
//! spanning the daily break), features are computed on each timeframe, and each value is
//! spread back onto the base bars by [`align`]: a higher-timeframe bar reaches a base bar
//! only once it has closed, i.e. at the close of the base bar that ends its bucket.
//!
//! Strategies (`mtf_strategy`):
//! - `indicators` (default): the chosen indicators on every timeframe, as columns named
//!   with the timeframe (`rsi_14_15m`, `macd_12_26_9_hist_1h`);
//! - `none`: the chosen indicators on the base timeframe only (`rsi_14_1m`);
//! - `multi_resolution`: for sequence models, the last `window` completed bars of every
//!   timeframe as `{open,high,low,close,volume}_{tf}_l{lag}` columns (see
//!   [`multi_resolution`] for the tensor layout, recorded in the table's metadata).

mod align;
mod multi_resolution;

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::{instrument_of, timeframe_of};
use mlfactory_market::resample::{Timeframe, aggregate, buckets};
use mlfactory_market::{Bars, Calendar};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use self::multi_resolution::Normalize;
use crate::indicators::{Selection, compute, validate};
use crate::stage::features_table;

/// Schema metadata key holding the `multi_resolution` layout (JSON; the contract read by
/// `dataset` and the sequence models).
pub use mlfactory_market::contracts::mtf::META_LAYOUT;

/// `features.mtf`.
#[derive(Debug, Default)]
pub struct Mtf;

/// How the ladder becomes columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MtfStrategy {
    /// The indicators on the base timeframe only.
    None,
    /// The indicators on every timeframe, as columns suffixed with the timeframe.
    #[default]
    Indicators,
    /// Windows of every timeframe's OHLCV, for sequence models.
    MultiResolution,
}

/// Params of `features.mtf`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MtfParams {
    /// The ladder: timeframes to compute on (`1m`, `5m`, …, `1h`, `4h`, `1d`). Each is a
    /// multiple of the base bars' timeframe; shorter ones are skipped (logged). The base
    /// timeframe itself is computed without resampling.
    pub timeframes: Vec<String>,
    /// `indicators`: the indicators on every timeframe (`rsi_14_15m`); `none`: on the base
    /// timeframe only; `multi_resolution`: windows of OHLCV per timeframe.
    pub mtf_strategy: MtfStrategy,
    /// The indicators computed on each timeframe, written like the params of
    /// `features.indicators` (`{set: minimal}`, `{rsi: [14], macd: [[12, 26, 9]]}`).
    /// Default: the 20 of the Python peer benchmark (SMA 10/20, EMA 10/20/50, RSI 14,
    /// MACD 12/26/9, Bollinger 20/2, ATR/NATR/ADX 14, CCI 20, STOCH 14/3/3, WILLR 14, ROC
    /// and MOM 10).
    pub indicators: Selection,
    /// `multi_resolution`: completed bars of each timeframe in a window.
    pub window: usize,
    /// `multi_resolution`: `log_ratio` (prices as ln(price / base close), volume as
    /// ln(1 + volume)) or `raw`.
    pub normalize: Normalize,
    /// The base bars' timeframe (`1m`). Default: the table's `mlfactory.timeframe`
    /// metadata, else the smallest step between timestamps.
    pub base_timeframe: Option<String>,
}

/// The default ladder.
pub const DEFAULT_LADDER: [&str; 9] = ["1m", "5m", "10m", "15m", "20m", "25m", "30m", "45m", "1h"];

/// The default indicators per timeframe (those of the Python peer's MTF benchmark).
pub fn default_indicators() -> Selection {
    Selection {
        sma: vec![10, 20],
        ema: vec![10, 20, 50],
        rsi: vec![14],
        macd: vec![[12, 26, 9]],
        bbands: vec![(20, 2.0)],
        atr: vec![14],
        natr: vec![14],
        adx: vec![14],
        cci: vec![20],
        stoch: vec![[14, 3, 3]],
        willr: vec![14],
        roc: vec![10],
        mom: vec![10],
        ..Selection::default()
    }
}

impl Default for MtfParams {
    fn default() -> Self {
        Self {
            timeframes: DEFAULT_LADDER.iter().map(|s| (*s).to_owned()).collect(),
            mtf_strategy: MtfStrategy::Indicators,
            indicators: default_indicators(),
            window: 16,
            normalize: Normalize::LogRatio,
            base_timeframe: None,
        }
    }
}

fn parse_tf(s: &str, path: &[&str]) -> Result<Timeframe, ParamIssue> {
    s.parse::<Timeframe>().map_err(|e| ParamIssue::new(path, e))
}

impl MtfParams {
    /// The ladder, parsed, in the order given.
    fn ladder(&self) -> Result<Vec<Timeframe>, ParamIssue> {
        if self.timeframes.is_empty() {
            return Err(ParamIssue::new(&["timeframes"], "the ladder is empty").hint("e.g. `timeframes: [1m, 5m, 15m, 1h]`"));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(self.timeframes.len());
        for (i, s) in self.timeframes.iter().enumerate() {
            let index = i.to_string();
            let tf = parse_tf(s, &["timeframes", index.as_str()])?;
            if !seen.insert(tf) {
                return Err(ParamIssue::new(&["timeframes", index.as_str()], format!("`{s}` is listed twice (as `{tf}`)")));
            }
            out.push(tf);
        }
        Ok(out)
    }
}

/// Checks that `tf` can be built from whole base bars; `Ok(false)` when it is shorter
/// than the base (skipped).
fn usable(tf: Timeframe, base: Timeframe) -> Result<bool, StageError> {
    if tf < base {
        return Ok(false);
    }
    if !tf.is_daily() && tf.minutes % base.minutes != 0 {
        return Err(StageError::data_hint(
            format!("timeframe `{tf}` is not a multiple of the base bars' `{base}`: its buckets would split base bars"),
            format!("use multiples of `{base}` in `timeframes`, or feed shorter base bars"),
        ));
    }
    Ok(true)
}

/// The base bars' timeframe: the param, else the metadata, else the smallest step.
fn base_timeframe(param: Option<&str>, table: &RecordBatch, bars: &Bars) -> Result<Timeframe, StageError> {
    if let Some(s) = param {
        return s.parse().map_err(|e: String| StageError::data(format!("`base_timeframe`: {e}")));
    }
    if let Some(meta) = timeframe_of(table) {
        return meta.parse().map_err(|_| {
            StageError::data_hint(
                format!("the bars' timeframe is `{meta}`: the ladder needs time bars"),
                "feed time bars (1m, 5m, …), or set `base_timeframe` if the metadata is wrong",
            )
        });
    }
    let step = bars
        .ts
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .min()
        .ok_or_else(|| StageError::data_hint("fewer than two bars: cannot tell their timeframe", "set `base_timeframe`, or feed more bars"))?;
    let ns_per_min = Timeframe::minutes(1).nanos();
    if step % ns_per_min != 0 {
        return Err(StageError::data_hint(
            format!("the bars are {step} ns apart, not whole minutes: the ladder needs minute bars"),
            "set `base_timeframe`, or resample the bars first (`data.clean` with `timeframe`)",
        ));
    }
    Ok(Timeframe::minutes(step / ns_per_min))
}

/// The columns of one timeframe, aligned onto the base bars.
fn timeframe_columns(bars: &Bars, base: Timeframe, tf: Timeframe, p: &MtfParams, calendar: &Calendar) -> Result<Vec<(String, Vec<f64>)>, StageError> {
    let label = tf.to_string();
    let clock = calendar.clock();
    let (higher, map) = if tf == base {
        (None, align::identity(bars.len()))
    } else {
        let b = buckets(&bars.ts, tf, &clock)?;
        let close = align::close_times(&bars.ts, base, &b, tf, &clock);
        let map = align::visible(&bars.ts, base, &close, &b.last);
        (Some(aggregate(bars, &b)), map)
    };
    let source = higher.as_ref().unwrap_or(bars);
    Ok(match p.mtf_strategy {
        MtfStrategy::MultiResolution => multi_resolution::window_columns(source, &map, &label, p.window, p.normalize, &bars.close),
        MtfStrategy::None | MtfStrategy::Indicators => compute(source, &p.indicators, calendar)?
            .into_iter()
            .map(|(name, values)| {
                let values = if higher.is_some() { align::gather(&values, &map) } else { values };
                (format!("{name}_{label}"), values)
            })
            .collect(),
    })
}

impl Stage for Mtf {
    type Params = MtfParams;
    const KIND: &'static str = "features.mtf";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str =
        "Multi-timeframe features: indicators (or OHLCV windows) on a ladder of timeframes, each value reaching a base bar only once its bar has closed.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("bars", "base time bars (usually 1m): ts, open, high, low, close, volume (may be null)")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new(
        "features",
        Format::Parquet,
        "ts + one f64 column per feature and timeframe (`rsi_14_15m`), row-aligned with the base bars, null until the first higher bar has closed",
    )];

    fn check(&self, p: &MtfParams) -> Result<(), ParamIssue> {
        let ladder = p.ladder()?;
        if let Some(base) = &p.base_timeframe {
            let base = parse_tf(base, &["base_timeframe"])?;
            for (i, tf) in ladder.iter().enumerate() {
                if let Err(e) = usable(*tf, base) {
                    return Err(ParamIssue::new(&["timeframes", i.to_string().as_str()], e.to_string()));
                }
            }
        }
        match p.mtf_strategy {
            MtfStrategy::MultiResolution if p.window == 0 || p.window > 4096 => {
                Err(ParamIssue::new(&["window"], format!("{} is out of range: a window holds 1 to 4096 bars", p.window)))
            }
            MtfStrategy::MultiResolution => Ok(()),
            MtfStrategy::None | MtfStrategy::Indicators => p.indicators.indicators().map(|_| ()).map_err(|mut issue| {
                issue.path.insert(0, "indicators".to_owned());
                issue
            }),
        }
    }

    fn run(&self, ctx: &StageContext<'_>, p: &MtfParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("bars")?;
        let bars = Bars::from_table(table)?;
        validate(&bars)?;
        let calendar = instrument_of(table).and_then(|i| Calendar::in_timezone(&i.timezone)).unwrap_or_default();
        let base = base_timeframe(p.base_timeframe.as_deref(), table, &bars)?;
        let ladder = match p.mtf_strategy {
            MtfStrategy::None => vec![base],
            _ => p.ladder().map_err(|i| StageError::data(i.message))?,
        };
        let mut used = Vec::with_capacity(ladder.len());
        for tf in ladder {
            if usable(tf, base)? {
                used.push(tf);
            } else {
                ctx.log(format!("skipping `{tf}`: shorter than the base bars (`{base}`)"));
            }
        }
        if used.is_empty() {
            return Err(StageError::data_hint(
                format!("no timeframe of the ladder is at least the base bars' `{base}`"),
                "add longer timeframes to `timeframes`",
            ));
        }
        let per_tf: Vec<Vec<(String, Vec<f64>)>> =
            used.par_iter().with_max_len(1).map(|&tf| timeframe_columns(&bars, base, tf, p, &calendar)).collect::<Result<_, _>>()?;
        let columns: Vec<(String, Vec<f64>)> = per_tf.into_iter().flatten().collect();
        let n_cols = columns.len();
        let rows = bars.len();
        let mut out = features_table(table, bars.ts, columns)?;
        if p.mtf_strategy == MtfStrategy::MultiResolution {
            let labels: Vec<String> = used.iter().map(ToString::to_string).collect();
            let mut metadata = out.schema_ref().metadata().clone();
            metadata.insert(META_LAYOUT.to_owned(), multi_resolution::layout(&labels, p.window, p.normalize).to_string());
            let schema = Arc::new(Schema::new_with_metadata(out.schema_ref().fields().clone(), metadata));
            out = out.with_schema(schema).map_err(|e| StageError::internal(e.to_string()))?;
        }
        Ok(StageOutput::new()
            .table("features", out)
            .metric("columns", n_cols)
            .metric("rows", rows)
            .metric("timeframes", used.iter().map(ToString::to_string).collect::<Vec<_>>())
            .metric("base_timeframe", base.to_string()))
    }
}

#[cfg(test)]
mod tests;
