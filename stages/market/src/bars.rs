//! The bar table shared by every stage.
//!
//! Columns: `ts` (timestamp ns UTC, the bar's **open** time, strictly increasing),
//! `open, high, low, close` (f64), `volume` (f64, null where the source has none), then
//! any extra columns (the simulator's state labels, `session`, tick columns). Schema
//! metadata carries `mlfactory.symbol` and `mlfactory.timeframe` (`1m`, `5m`, …).

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;

use crate::Instrument;
use crate::columns::{TableBuilder, f64_column, ts_column};

pub const TS: &str = "ts";
pub const OPEN: &str = "open";
pub const HIGH: &str = "high";
pub const LOW: &str = "low";
pub const CLOSE: &str = "close";
pub const VOLUME: &str = "volume";
/// The OHLCV columns in order.
pub const OHLCV: [&str; 6] = [TS, OPEN, HIGH, LOW, CLOSE, VOLUME];
/// Schema metadata key: the instrument's symbol.
pub const META_SYMBOL: &str = "mlfactory.symbol";
/// Schema metadata key: the bar length (`1m`, `5m`, `1h`, `1d`, or `ticks`/`volume`/…).
pub const META_TIMEFRAME: &str = "mlfactory.timeframe";

/// OHLCV bars as plain columns (volume NaN where missing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bars {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Bars {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Reads the OHLCV columns of a bar table (extra columns are ignored). A missing
    /// `volume` column reads as all-NaN.
    pub fn from_table(batch: &RecordBatch) -> Result<Self, StageError> {
        let volume = match batch.column_by_name(VOLUME) {
            Some(_) => f64_column(batch, VOLUME)?,
            None => vec![f64::NAN; batch.num_rows()],
        };
        Ok(Self {
            ts: ts_column(batch, TS)?,
            open: f64_column(batch, OPEN)?,
            high: f64_column(batch, HIGH)?,
            low: f64_column(batch, LOW)?,
            close: f64_column(batch, CLOSE)?,
            volume,
        })
    }

    /// The OHLCV columns as a table builder, to which extra columns can be added.
    pub fn to_builder(&self) -> TableBuilder {
        TableBuilder::new()
            .ts(TS, self.ts.clone())
            .f64(OPEN, self.open.clone())
            .f64(HIGH, self.high.clone())
            .f64(LOW, self.low.clone())
            .f64(CLOSE, self.close.clone())
            .f64(VOLUME, self.volume.clone())
    }

    /// The bars as a table.
    pub fn to_table(&self) -> Result<RecordBatch, StageError> {
        self.to_builder().build()
    }
}

/// The symbol recorded in a bar table's metadata, if any.
pub fn symbol_of(batch: &RecordBatch) -> Option<&str> {
    batch.schema_ref().metadata().get(META_SYMBOL).map(String::as_str)
}

/// The instrument of a bar table, from its metadata (`None` if unknown).
pub fn instrument_of(batch: &RecordBatch) -> Option<Instrument> {
    symbol_of(batch).and_then(Instrument::lookup)
}

/// The timeframe recorded in a bar table's metadata, if any.
pub fn timeframe_of(batch: &RecordBatch) -> Option<&str> {
    batch.schema_ref().metadata().get(META_TIMEFRAME).map(String::as_str)
}
