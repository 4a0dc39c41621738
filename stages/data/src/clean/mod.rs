//! `data.clean`: session filters, gap policy, continuous-contract rolls, resampling to
//! the research timeframe and tick columns, in that order.
//!
//! - [`roll`]: when the bars have a contract column, one continuous series (front
//!   contract by volume) adjusted at each roll, back-adjusted (additive) or by ratio;
//! - [`session`]: keep all, RTH, ETH or custom windows of the trading day;
//! - [`gaps`]: keep, fill or reject missing bars inside the trading day;
//! - [`buckets`]: N-minute, 4-hour and daily bars anchored to the session (never spanning
//!   the daily break) or to the epoch (as pandas and polars do);
//! - [`ticks`]: bar geometry in integer ticks.

pub mod buckets;
pub mod gaps;
pub mod roll;
pub mod session;
pub mod ticks;

use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::Schema;
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::{self, META_TIMEFRAME, OHLCV};
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::resample::{Timeframe, resample_buckets};
use mlfactory_market::{Bars, Calendar};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::buckets::{Anchor, buckets};
use self::gaps::GapPolicy;
use self::roll::RollMethod;
use self::session::{SessionFilter, Windows};

/// How output bars are anchored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnchorParam {
    /// To the start of the session window (17:00 for `all`, 08:30 for `rth`, ...): bars never span the daily break.
    #[default]
    Session,
    /// To the Unix epoch in UTC (pandas `origin="epoch"`, polars `group_by_dynamic`): bars may span the break; `1d` is the UTC day.
    Epoch,
}

/// Params of `data.clean`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CleanParams {
    /// Output bar length: `1m` (no resampling), 5m, 10m, 15m, 20m, 25m, 30m, 45m, 60m/1h, 240m/4h or 1d; a multiple of the input's.
    pub timeframe: String,
    /// Which bars to keep: `all`, `rth` (08:30-15:00 exchange time), `eth` (the rest of the trading day) or `custom` (`windows`).
    pub session: SessionFilter,
    /// With `session: custom`: windows `HH:MM-HH:MM` in exchange time (end exclusive; may wrap past midnight).
    pub windows: Vec<String>,
    /// Where output bars start: `session` or `epoch`.
    pub anchor: AnchorParam,
    /// Missing input bars inside the trading day: `keep` (leave them out), `fill` (flat bars at the last close, volume 0, gaps up to `max_gap`), `error` (fail on a gap longer than `max_gap`).
    pub gaps: GapPolicy,
    /// Longest gap `fill` fills and `error` accepts, as a timeframe (`5m`, `1h`).
    pub max_gap: String,
    /// With a contract column: `back_adjusted` (add each roll's price gap to the bars before it), `ratio` (multiply by it) or `none`.
    pub roll: RollMethod,
    /// Name of the contract column (rolls are handled only when it exists).
    pub contract_column: String,
    /// Add `delta_ticks, range_ticks, body_ticks, upper_wick_ticks, lower_wick_ticks` (needs a tick size).
    pub tick_columns: bool,
    /// Tick size when the bars' symbol (metadata `mlfactory.symbol`) is not a known instrument.
    pub tick_size: Option<f64>,
}

impl Default for CleanParams {
    fn default() -> Self {
        Self {
            timeframe: "1m".into(),
            session: SessionFilter::All,
            windows: Vec::new(),
            anchor: AnchorParam::Session,
            gaps: GapPolicy::Keep,
            max_gap: "5m".into(),
            roll: RollMethod::BackAdjusted,
            contract_column: "contract".into(),
            tick_columns: true,
            tick_size: None,
        }
    }
}

impl CleanParams {
    fn timeframe(&self) -> Result<Timeframe, ParamIssue> {
        self.timeframe.parse().map_err(|e: String| ParamIssue::new(&["timeframe"], e))
    }

    fn max_gap(&self) -> Result<Timeframe, ParamIssue> {
        self.max_gap.parse().map_err(|e: String| ParamIssue::new(&["max_gap"], e))
    }

    fn windows(&self) -> Result<Windows, ParamIssue> {
        Windows::of(self.session, &self.windows).map_err(|e| ParamIssue::new(&["windows"], e))
    }
}

/// `data.clean`.
pub struct Clean;

/// A copy of a table's columns and metadata into a builder, leaving out `skip`.
pub(crate) fn builder_from(batch: &RecordBatch, skip: &[&str]) -> TableBuilder {
    let mut b = TableBuilder::new();
    for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if !skip.contains(&field.name().as_str()) {
            b = b.array(field.as_ref().clone(), column.clone());
        }
    }
    for (k, v) in batch.schema_ref().metadata() {
        b = b.meta(k, v.clone());
    }
    b
}

/// Replaces the OHLCV columns of a table (same row count) and sets its timeframe.
fn with_bars(batch: &RecordBatch, bars: &Bars, timeframe: Option<&str>) -> Result<RecordBatch, StageError> {
    let mut b = bars.to_builder();
    for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        if !OHLCV.contains(&field.name().as_str()) {
            b = b.array(field.as_ref().clone(), column.clone());
        }
    }
    let table = b.build()?;
    let mut metadata = batch.schema_ref().metadata().clone();
    if let Some(tf) = timeframe {
        metadata.insert(META_TIMEFRAME.to_owned(), tf.to_owned());
    }
    let schema = Arc::new(Schema::new_with_metadata(table.schema_ref().fields().clone(), metadata));
    table.with_schema(schema).map_err(|e| StageError::internal(e.to_string()))
}

impl Stage for Clean {
    type Params = CleanParams;
    const KIND: &'static str = "data.clean";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Session filter, gap policy, continuous-contract rolls, N-minute/4h/1d resampling anchored to the session, tick columns.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("bars", "bars (from data.synth or data.ingest)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("bars", Format::Parquet, "cleaned bars at the requested timeframe"),
        OutputSlot::new("report", Format::Json, "what cleaning did: rows in and out, rolls, gaps"),
    ];

    fn check(&self, p: &CleanParams) -> Result<(), ParamIssue> {
        let tf = p.timeframe()?;
        if !tf.is_daily() && tf.minutes > 1380 {
            return Err(ParamIssue::new(&["timeframe"], "longer than a trading day").hint("use `1d`"));
        }
        p.max_gap()?;
        p.windows()?;
        if p.session != SessionFilter::Custom && !p.windows.is_empty() {
            return Err(ParamIssue::new(&["windows"], "only used with `session: custom`").hint("set `session: custom` or remove `windows`"));
        }
        if let Some(t) = p.tick_size
            && !(t > 0.0 && t.is_finite())
        {
            return Err(ParamIssue::new(&["tick_size"], "must be > 0"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &CleanParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let input = inputs.table("bars")?;
        let tf = p.timeframe().map_err(|i| StageError::data(i.message))?;
        let windows = p.windows().map_err(|i| StageError::data(i.message))?;
        let clock = Calendar::cme().clock();
        let rows_in = input.num_rows();
        let mut table: RecordBatch = input.as_ref().clone();
        let mut report = serde_json::Map::new();
        report.insert("rows_in".into(), rows_in.into());

        // 1. Continuous contract.
        if p.roll != RollMethod::None && table.column_by_name(&p.contract_column).is_some() {
            let (rolled, rolls) = roll::roll(&table, &p.contract_column, p.roll)?;
            ctx.log(format_args!("{} contract roll(s) adjusted ({:?})", rolls.len(), p.roll));
            report.insert("rolls".into(), serde_json::to_value(&rolls).unwrap_or_default());
            table = rolled;
        }

        // 2. Session filter.
        if !windows.is_all() {
            let ts = mlfactory_market::columns::ts_column(&table, bars::TS)?;
            let keep: BooleanArray = ts.iter().map(|&t| Some(windows.contains(clock.local(t).minute_of_day))).collect();
            table = filter_record_batch(&table, &keep).map_err(|e| StageError::internal(format!("filtering sessions: {e}")))?;
            report.insert("rows_after_session_filter".into(), table.num_rows().into());
        }

        // 3. Gaps.
        let input_tf: Timeframe = bars::timeframe_of(&table).and_then(|t| t.parse().ok()).unwrap_or(Timeframe::minutes(1));
        if p.gaps != GapPolicy::Keep {
            let max_gap = p.max_gap().map_err(|i| StageError::data(i.message))?;
            let (filled, gap_report) = gaps::apply(&table, p.gaps, input_tf, max_gap, &windows, &clock)?;
            report.insert("gaps".into(), serde_json::to_value(gap_report).unwrap_or_default());
            table = filled;
        }

        // 4. Resample.
        if tf.minutes % input_tf.minutes != 0 && !tf.is_daily() {
            return Err(StageError::data_hint(
                format!("cannot resample {input_tf} bars to {tf}: not a multiple"),
                format!("choose a timeframe that is a multiple of {input_tf}"),
            ));
        }
        if tf.minutes < input_tf.minutes {
            return Err(StageError::data_hint(
                format!("the bars are {input_tf}, cannot make shorter {tf} bars"),
                format!("use `timeframe: {input_tf}` or longer"),
            ));
        }
        let anchor = match p.anchor {
            AnchorParam::Session => Anchor::Session,
            AnchorParam::Epoch => Anchor::Epoch,
        };
        let bars = Bars::from_table(&table)?;
        if tf != input_tf {
            let b = buckets(&bars.ts, tf, anchor, &windows, &clock)?;
            table = resample_buckets(&table, &bars, &b, tf)?;
        }

        // 5. Tick columns.
        let symbol = bars::symbol_of(&table).map(str::to_owned);
        let tick_size = p.tick_size.or_else(|| bars::instrument_of(&table).map(|i| i.tick_size));
        if p.tick_columns {
            match tick_size {
                Some(t) => {
                    let bars = Bars::from_table(&table)?;
                    let skip = [ticks::DELTA, ticks::RANGE, ticks::BODY, ticks::UPPER_WICK, ticks::LOWER_WICK];
                    table = ticks::add_tick_columns(builder_from(&table, &skip), &bars, t).build()?;
                }
                None => ctx.log(format_args!(
                    "no tick columns: symbol {} is not a known instrument and `tick_size` is not set",
                    symbol.as_deref().map_or("(none)".to_owned(), |s| format!("`{s}`"))
                )),
            }
        }
        let table = with_bars(&table, &Bars::from_table(&table)?, Some(&tf.to_string()))?;
        report.insert("rows_out".into(), table.num_rows().into());
        Ok(StageOutput::new().metric("rows_in", rows_in).metric("rows_out", table.num_rows()).table("bars", table).json("report", report.into()))
    }
}

#[cfg(test)]
mod tests;
