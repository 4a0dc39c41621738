//! `data.ingest`: real bars (or any table) from CSV or Parquet, on disk or behind an
//! object_store URL, validated.
//!
//! - [`source`]: fetching bytes (path, `file://`, `s3://`, `gs://`, `az://`, `http(s)://`);
//! - [`read`]: decoding CSV and Parquet, with clear errors on truncated or garbled files;
//! - [`timestamps`]: text and numeric timestamps, the file's time zone with daylight saving;
//! - [`validate`]: the bar rules and their `error | drop | repair` policies.
//!
//! The output `bars` follows the bar contract: `ts` (UTC ns, the bar's **open**: files
//! stamped at the bar close are shifted by the bar length), `open, high, low, close`
//! (times `price_scale`), `volume` (null where the file has none), then the file's other
//! columns unchanged. `schema: table` reads any other table, converting only its `ts`
//! column, with no bar rules.

pub mod read;
pub mod source;
pub mod timestamps;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, TimeUnit};
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME, OHLCV};
use mlfactory_market::columns::{TableBuilder, ts_type};
use mlfactory_market::resample::Timeframe;
use mlfactory_market::{Bars, Instrument};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::read::CsvOptions;
use self::timestamps::{LocalToUtc, TsParser, TsUnit};
use self::validate::{Raw, Rules};

const NS_PER_MIN: i64 = 60_000_000_000;

/// The file's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// From the extension (`.csv`, `.parquet`, also under `.gz`-free names), else by content.
    #[default]
    Auto,
    Csv,
    Parquet,
}

/// What the file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableSchema {
    /// OHLCV bars: mapped to the bar contract and validated.
    #[default]
    Bars,
    /// Any table (events, signals, returns): read as is, `ts` converted when present, no bar rules.
    Table,
}

/// Which moment of the bar a file's timestamps mark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stamp {
    /// The bar's open (TradingView, IB, FirstRate, our own tables).
    #[default]
    Open,
    /// The bar's close (nautilus_trader and others): shifted back by the bar length.
    Close,
}

/// Params of `data.ingest`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IngestParams {
    /// Local path (relative to the spec's folder) or URL: file://, s3://bucket/key, gs://bucket/key, az://container/key, http(s)://...
    pub path: String,
    /// `auto`, `csv` or `parquet`.
    pub format: FileFormat,
    /// `bars` (validated OHLCV) or `table` (anything else, no bar rules).
    pub schema: TableSchema,
    /// Our column name -> the file's: `{ts: timestamp_utc, open: o, volume: vol}`. Unmapped bar columns are looked up by their usual names (case-insensitive).
    pub columns: BTreeMap<String, String>,
    /// Time zone of timestamps written without an offset (IANA name, e.g. America/Chicago; daylight saving applied).
    pub timezone: String,
    /// Unit of integer timestamps: `auto`, `s`, `ms`, `us`, `ns`.
    pub ts_unit: TsUnit,
    /// chrono format of text timestamps the ISO-8601 reader does not understand, e.g. `%m/%d/%Y %H:%M`.
    pub ts_format: Option<String>,
    /// Whether the file stamps bars at their `open` or `close`.
    pub stamp: Stamp,
    /// Bar length (`1m`, `5m`, ...): needed for `stamp: close` and the gap rule; default: the most common step between bars.
    pub timeframe: Option<String>,
    /// Multiplier applied to open/high/low/close (e.g. 0.01 for prices stored in cents).
    pub price_scale: f64,
    /// Instrument symbol recorded in the output (tick size for `tick_grid` and later stages); default: the file's `instrument` metadata, if any.
    pub symbol: Option<String>,
    /// Tick size for the `tick_grid` rule when the symbol is not a known instrument.
    pub tick_size: Option<f64>,
    /// CSV field delimiter (one character).
    pub delimiter: String,
    /// Whether the CSV file has a header row.
    pub header: bool,
    /// Expected blake3 of the file's bytes (hex). Set it for remote files: it makes the stage key change when the file does, and a changed file an error.
    pub checksum: Option<String>,
    /// object_store options for remote URLs (`endpoint`, `region`, `allow_http`, ...). Credentials belong in the environment (AWS_*, GOOGLE_*, AZURE_*), not here.
    pub options: BTreeMap<String, String>,
    /// Validation policy of each rule: `error`, `drop` or `repair`.
    pub rules: Rules,
    /// The gap rule's limit: more open-market time than this without a bar inside a trading day is a gap (e.g. `30m`); unset = not checked.
    pub max_gap: Option<String>,
}

impl Default for IngestParams {
    fn default() -> Self {
        Self {
            path: String::new(),
            format: FileFormat::Auto,
            schema: TableSchema::Bars,
            columns: BTreeMap::new(),
            timezone: "UTC".into(),
            ts_unit: TsUnit::Auto,
            ts_format: None,
            stamp: Stamp::Open,
            timeframe: None,
            price_scale: 1.0,
            symbol: None,
            tick_size: None,
            delimiter: ",".into(),
            header: true,
            checksum: None,
            options: BTreeMap::new(),
            rules: Rules::default(),
            max_gap: None,
        }
    }
}

/// Usual names of each bar column, tried in order (case-insensitive).
const CANDIDATES: [(&str, &[&str]); 6] = [
    ("ts", &["ts", "timestamp", "time", "datetime", "date_time", "timestamp_utc", "ts_event", "date"]),
    ("open", &["open", "o"]),
    ("high", &["high", "h"]),
    ("low", &["low", "l"]),
    ("close", &["close", "c", "last"]),
    ("volume", &["volume", "vol", "v"]),
];

fn tf_param(s: &str, path: &str) -> Result<Timeframe, ParamIssue> {
    s.parse().map_err(|e: String| ParamIssue::new(&[path], e))
}

impl IngestParams {
    fn delimiter(&self) -> Result<u8, ParamIssue> {
        match self.delimiter.as_bytes() {
            [b] => Ok(*b),
            _ if self.delimiter == "\\t" || self.delimiter == "tab" => Ok(b'\t'),
            _ => Err(ParamIssue::new(&["delimiter"], "must be one character").hint("e.g. `,`, `;` or `tab`")),
        }
    }

    fn parser(&self) -> Result<TsParser, ParamIssue> {
        Ok(TsParser {
            zone: LocalToUtc::new(&self.timezone).map_err(|e| ParamIssue::new(&["timezone"], e))?,
            unit: self.ts_unit,
            format: self.ts_format.clone(),
        })
    }

    fn format_of(&self, bytes: &[u8]) -> FileFormat {
        let name = self.path.split(['?', '#']).next().unwrap_or_default();
        let ext = std::path::Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match self.format {
            FileFormat::Auto if matches!(ext.as_deref(), Some("parquet" | "pq")) => FileFormat::Parquet,
            FileFormat::Auto if matches!(ext.as_deref(), Some("csv" | "txt" | "tsv")) => FileFormat::Csv,
            FileFormat::Auto if read::looks_like_parquet(bytes) => FileFormat::Parquet,
            FileFormat::Auto => FileFormat::Csv,
            f => f,
        }
    }

    fn tick(&self, symbol: Option<&str>) -> Option<f64> {
        self.tick_size.or_else(|| symbol.and_then(Instrument::lookup).map(|i| i.tick_size))
    }
}

/// Finds the file's column for one of ours: the mapping, else the usual names.
fn find_column(batch: &RecordBatch, ours: &str, mapping: &BTreeMap<String, String>, file: &str) -> Result<Option<usize>, StageError> {
    let schema = batch.schema_ref();
    if let Some(theirs) = mapping.get(ours) {
        return schema.index_of(theirs).map(Some).map_err(|_| {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            StageError::data_hint(format!("`{file}` has no column `{theirs}` (mapped to `{ours}`); its columns: {}", names.join(", ")), "fix `columns`")
        });
    }
    let candidates = CANDIDATES.iter().find(|c| c.0 == ours).map_or(&[][..], |c| c.1);
    Ok(candidates.iter().find_map(|cand| schema.fields().iter().position(|f| f.name().eq_ignore_ascii_case(cand))))
}

/// A numeric column as f64 (text parsed; unparseable text recorded per row).
fn numbers(array: &ArrayRef, name: &'static str, bad: &mut BTreeMap<(usize, &'static str), String>) -> Option<Vec<f64>> {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(array, &DataType::Utf8).ok()?;
            let text = text.as_string::<i32>();
            Some(
                text.iter()
                    .enumerate()
                    .map(|(i, s)| match s {
                        None => f64::NAN,
                        Some(s) => s.parse::<f64>().unwrap_or_else(|_| {
                            bad.insert((i, name), s.to_owned());
                            f64::NAN
                        }),
                    })
                    .collect(),
            )
        }
        _ => mlfactory_market::columns::array_to_f64(array),
    }
}

/// A timestamp column as UTC nanoseconds.
fn timestamps(array: &ArrayRef, parser: &TsParser, file: &str, column: &str) -> Result<Vec<i64>, StageError> {
    let err = |row: usize, what: String| {
        StageError::data_hint(format!("`{file}` row {row}: column `{column}`: {what}"), "check `columns.ts`, `timezone`, `ts_unit` and `ts_format`")
    };
    if let Some(row) = (0..array.len()).find(|&i| array.is_null(i)) {
        return Err(err(row, "timestamp is missing".into()));
    }
    let local = |values: Vec<i64>| -> Result<Vec<i64>, StageError> {
        values.into_iter().enumerate().map(|(i, v)| parser.zone.to_utc(v).map_err(|e| err(i, e))).collect()
    };
    match array.data_type() {
        DataType::Timestamp(_, tz) => {
            let ns = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None)).map_err(|e| err(0, e.to_string()))?;
            let ns = cast(&ns, &DataType::Int64).map_err(|e| err(0, e.to_string()))?;
            let values = ns.as_primitive::<Int64Type>().values().to_vec();
            if tz.is_some() { Ok(values) } else { local(values) }
        }
        DataType::Date32 | DataType::Date64 => {
            let ns =
                cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None)).and_then(|a| cast(&a, &DataType::Int64)).map_err(|e| err(0, e.to_string()))?;
            local(ns.as_primitive::<Int64Type>().values().to_vec())
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(array, &DataType::Utf8).map_err(|e| err(0, e.to_string()))?;
            text.as_string::<i32>().iter().enumerate().map(|(i, s)| parser.parse_text(s.unwrap_or_default()).map_err(|e| err(i, e))).collect()
        }
        DataType::Float32 | DataType::Float64 => {
            let f = cast(array, &DataType::Float64).map_err(|e| err(0, e.to_string()))?;
            let f = f.as_primitive::<Float64Type>();
            let per = parser.unit.nanos(f.values().first().map_or(0, |v| *v as i64)) as f64;
            Ok(f.values().iter().map(|v| (v * per).round() as i64).collect())
        }
        dt if dt.is_integer() => {
            let ints = cast(array, &DataType::Int64).map_err(|e| err(0, e.to_string()))?;
            let ints = ints.as_primitive::<Int64Type>();
            let per = parser.unit.nanos(ints.values().first().copied().unwrap_or(0));
            Ok(ints.values().iter().map(|v| v.saturating_mul(per)).collect())
        }
        other => Err(err(0, format!("type {other} is not a timestamp"))),
    }
}

/// The most common positive step between consecutive timestamps (of the first 100k).
fn common_step(ts: &[i64]) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for w in ts.windows(2).take(100_000) {
        if w[1] > w[0] {
            *counts.entry(w[1] - w[0]).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|&(step, n)| (n, std::cmp::Reverse(step))).map(|(s, _)| s)
}

fn step_name(ns: i64) -> String {
    if ns % NS_PER_MIN == 0 { Timeframe::minutes(ns / NS_PER_MIN).to_string() } else { format!("{}s", ns as f64 / 1e9) }
}

/// `data.ingest`.
pub struct Ingest;

impl Ingest {
    /// Reads and decodes the file into a table (no mapping, no rules).
    fn load(ctx: &StageContext<'_>, p: &IngestParams) -> Result<(RecordBatch, String), StageError> {
        let path = source::resolve(&p.path, ctx.base_dir());
        let bytes = source::fetch(&path, &p.options)?;
        if let Some(want) = &p.checksum {
            let got = blake3::hash(&bytes).to_hex().to_string();
            if !got.eq_ignore_ascii_case(want.trim()) {
                return Err(StageError::data_hint(
                    format!("`{}` changed: its blake3 is {got}, `checksum` says {want}", p.path),
                    "if the new file is intended, update `checksum` (the stage will then rerun)",
                ));
            }
        }
        let table = match p.format_of(&bytes) {
            FileFormat::Parquet => read::parquet(&bytes, &p.path)?,
            _ => read::csv(&bytes, &p.path, &CsvOptions { delimiter: p.delimiter().map_err(|i| StageError::data(i.message))?, header: p.header })?,
        };
        let symbol = p.symbol.clone().or_else(|| table.schema_ref().metadata().get("instrument").cloned()).unwrap_or_default();
        Ok((table, symbol))
    }

    /// `schema: table`: converts `ts` (when present) and types text columns.
    fn table(p: &IngestParams, table: &RecordBatch) -> Result<RecordBatch, StageError> {
        let parser = p.parser().map_err(|i| StageError::data(i.message))?;
        let ts_idx = find_column(table, "ts", &p.columns, &p.path)?;
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, (field, column)) in table.schema_ref().fields().iter().zip(table.columns()).enumerate() {
            if Some(i) == ts_idx {
                let ts = timestamps(column, &parser, &p.path, field.name())?;
                fields.push(Field::new("ts", ts_type(), false));
                columns.push(Arc::new(arrow::array::TimestampNanosecondArray::from(ts).with_timezone("UTC")));
                continue;
            }
            let typed = if field.data_type() == &DataType::Utf8 { infer_text(column) } else { column.clone() };
            fields.push(Field::new(field.name(), typed.data_type().clone(), true));
            columns.push(typed);
        }
        RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, table.schema_ref().metadata().clone())), columns)
            .map_err(|e| StageError::internal(e.to_string()))
    }
}

/// A text column typed as Int64, Float64 or Boolean when every value parses, else kept.
fn infer_text(column: &ArrayRef) -> ArrayRef {
    for dt in [DataType::Int64, DataType::Float64, DataType::Boolean] {
        let opts = arrow::compute::CastOptions { safe: false, ..Default::default() };
        if let Ok(c) = arrow::compute::cast_with_options(column, &dt, &opts) {
            return c;
        }
    }
    column.clone()
}

impl Stage for Ingest {
    type Params = IngestParams;
    const KIND: &'static str = "data.ingest";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Reads bars (or any table) from CSV or Parquet on disk or at an object_store URL; column mapping, time zone, price scale, bar-open/close stamps; validation rules with error|drop|repair policies.";
    const INPUTS: &'static [InputSlot] = &[];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("bars", Format::Parquet, "the bars (ts at the bar open, UTC), or the table with `schema: table`"),
        OutputSlot::new("report", Format::Json, "validation report: rows read and kept, each rule's policy, hits, drops, repairs and sample rows"),
    ];

    fn check(&self, p: &IngestParams) -> Result<(), ParamIssue> {
        if p.path.trim().is_empty() {
            return Err(ParamIssue::new(&["path"], "is required").hint("a file path or URL, e.g. data/6e/6eh4_1m_202401.parquet"));
        }
        p.delimiter()?;
        p.parser()?;
        if let Some(tf) = &p.timeframe {
            tf_param(tf, "timeframe")?;
        }
        if let Some(g) = &p.max_gap {
            tf_param(g, "max_gap")?;
        }
        if !(p.price_scale > 0.0 && p.price_scale.is_finite()) {
            return Err(ParamIssue::new(&["price_scale"], "must be > 0"));
        }
        if let Some(t) = p.tick_size
            && !(t > 0.0 && t.is_finite())
        {
            return Err(ParamIssue::new(&["tick_size"], "must be > 0"));
        }
        if let Some(c) = &p.checksum
            && (c.trim().len() != 64 || !c.trim().chars().all(|ch| ch.is_ascii_hexdigit()))
        {
            return Err(ParamIssue::new(&["checksum"], "must be a blake3 hash: 64 hex digits").hint("`b3sum FILE` prints it"));
        }
        for key in p.columns.keys() {
            if p.schema == TableSchema::Bars && !OHLCV.contains(&key.as_str()) {
                return Err(ParamIssue::new(&["columns", key], format!("`{key}` is not a bar column")).hint("map ts, open, high, low, close or volume"));
            }
        }
        Ok(())
    }

    /// The file's content fingerprint enters the key: editing the file reruns the stage.
    fn sources(&self, p: &IngestParams, base: &std::path::Path) -> Result<Option<serde_json::Value>, StageError> {
        source::fingerprint(&source::resolve(&p.path, Some(base)), &p.options).map(Some)
    }

    fn run(&self, ctx: &StageContext<'_>, p: &IngestParams, _inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let (table, symbol) = Self::load(ctx, p)?;
        if p.schema == TableSchema::Table {
            let out = Self::table(p, &table)?;
            let report = serde_json::json!({ "file": p.path, "rows_read": table.num_rows(), "rows_out": out.num_rows(), "schema": "table" });
            return Ok(StageOutput::new().metric("rows", out.num_rows()).table("bars", out).json("report", report));
        }
        let file = p.path.as_str();
        let mut idx = BTreeMap::new();
        for (ours, _) in CANDIDATES {
            idx.insert(ours, find_column(&table, ours, &p.columns, file)?);
        }
        let names: Vec<&str> = table.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        for ours in ["ts", "open", "high", "low", "close"] {
            if idx[ours].is_none() {
                return Err(StageError::data_hint(
                    format!("`{file}` has no `{ours}` column (columns: {})", names.join(", ")),
                    format!("map it: `columns: {{{ours}: <the file's name>}}`"),
                ));
            }
        }
        let col = |ours: &str| idx[ours].map(|i| table.column(i));
        let parser = p.parser().map_err(|i| StageError::data(i.message))?;
        let ts_field = names[idx["ts"].expect("checked")];
        let ts = timestamps(col("ts").expect("checked"), &parser, file, ts_field)?;
        let mut bad_text = BTreeMap::new();
        let mut price = |ours: &'static str| -> Result<Vec<f64>, StageError> {
            let c = col(ours).expect("checked");
            let mut v = numbers(c, ours, &mut bad_text)
                .ok_or_else(|| StageError::data(format!("`{file}`: column `{}` is {}, expected numbers", names[idx[ours].expect("checked")], c.data_type())))?;
            if p.price_scale != 1.0 {
                for x in &mut v {
                    *x *= p.price_scale;
                }
            }
            Ok(v)
        };
        let (open, high, low, close) = (price("open")?, price("high")?, price("low")?, price("close")?);
        let volume = match col("volume") {
            Some(c) => numbers(c, "volume", &mut bad_text)
                .ok_or_else(|| StageError::data(format!("`{file}`: the volume column is {}, expected numbers", c.data_type())))?,
            None => vec![f64::NAN; table.num_rows()],
        };
        let n = table.num_rows();
        let raw = Raw { ts, open, high, low, close, volume, row: (0..n as u64).collect(), src: (0..n as u32).collect(), bad_text };
        let bar_ns = match &p.timeframe {
            Some(tf) => tf_param(tf, "timeframe").map_err(|i| StageError::data(i.message))?.nanos(),
            None => common_step(&raw.ts).unwrap_or(NS_PER_MIN),
        };
        let max_gap = p.max_gap.as_deref().map(|g| tf_param(g, "max_gap").map(Timeframe::nanos)).transpose().map_err(|i| StageError::data(i.message))?;
        let shift = if p.stamp == Stamp::Close { bar_ns } else { 0 };
        let tick = p.tick(Some(symbol.as_str()).filter(|s| !s.is_empty()));
        let (raw, report) = validate::validate(raw, file, &p.rules, tick, max_gap, bar_ns, shift)?;
        let hits: usize = report.rules.values().map(|r| r.hits).sum();
        if hits > 0 {
            ctx.log(format_args!("{hits} validation hit(s) handled by policy; see the `report` output"));
        }

        let bars = Bars { ts: raw.ts, open: raw.open, high: raw.high, low: raw.low, close: raw.close, volume: raw.volume };
        let mut builder: TableBuilder = bars.to_builder();
        let used: Vec<usize> = idx.values().flatten().copied().collect();
        let src = UInt32Array::from(raw.src);
        for (i, (field, column)) in table.schema_ref().fields().iter().zip(table.columns()).enumerate() {
            if used.contains(&i) || OHLCV.contains(&field.name().as_str()) {
                continue;
            }
            let typed = if field.data_type() == &DataType::Utf8 { infer_text(column) } else { column.clone() };
            let taken = take(typed.as_ref(), &src, None).map_err(|e| StageError::internal(format!("carrying column `{}`: {e}", field.name())))?;
            builder = builder.array(Field::new(field.name(), taken.data_type().clone(), true), taken);
        }
        if !symbol.is_empty() {
            builder = builder.meta(META_SYMBOL, symbol.as_str());
        }
        let out = builder.meta(META_TIMEFRAME, step_name(bar_ns)).build()?;
        let report_json = serde_json::to_value(&report).map_err(|e| StageError::internal(e.to_string()))?;
        Ok(StageOutput::new()
            .metric("rows_read", report.rows_read)
            .metric("rows", out.num_rows())
            .metric("validation_hits", hits)
            .table("bars", out)
            .json("report", report_json))
    }
}

#[cfg(test)]
mod tests;
