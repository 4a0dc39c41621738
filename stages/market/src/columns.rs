//! Reading and writing Arrow columns the way stages need them.
//!
//! Numeric columns are read as `Vec<f64>` with nulls as NaN (any integer or float type is
//! accepted); written columns turn NaN back into null, so warm-up rows are null in
//! Parquet, never zero or garbage.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int8Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use mlfactory_engine::StageError;

/// The timestamp type of every `ts` column: nanoseconds, UTC.
pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, StageError> {
    batch.column_by_name(name).ok_or_else(|| {
        let names: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        StageError::data(format!("table has no column `{name}` (columns: {})", names.join(", ")))
    })
}

/// A numeric column as f64, nulls as NaN.
pub fn f64_column(batch: &RecordBatch, name: &str) -> Result<Vec<f64>, StageError> {
    array_to_f64(column(batch, name)?).ok_or_else(|| {
        StageError::data(format!("column `{name}` is {}, expected numbers", column(batch, name).map(|c| c.data_type().to_string()).unwrap_or_default()))
    })
}

/// Any numeric (or boolean, or timestamp) array as f64, nulls as NaN.
pub fn array_to_f64(array: &ArrayRef) -> Option<Vec<f64>> {
    let source = match array.data_type() {
        DataType::Timestamp(..) => cast(array, &DataType::Int64).ok()?,
        DataType::Boolean => cast(array, &DataType::Float64).ok()?,
        dt if dt.is_numeric() => array.clone(),
        _ => return None,
    };
    let f = cast(&source, &DataType::Float64).ok()?;
    let f = f.as_primitive::<arrow::datatypes::Float64Type>();
    Some(if f.null_count() == 0 { f.values().to_vec() } else { f.iter().map(|v| v.unwrap_or(f64::NAN)).collect() })
}

/// An optional numeric column.
pub fn opt_f64_column(batch: &RecordBatch, name: &str) -> Result<Option<Vec<f64>>, StageError> {
    if batch.column_by_name(name).is_none() {
        return Ok(None);
    }
    f64_column(batch, name).map(Some)
}

/// A timestamp column as UTC nanoseconds (any timestamp unit, or Int64 nanoseconds).
pub fn ts_column(batch: &RecordBatch, name: &str) -> Result<Vec<i64>, StageError> {
    let col = column(batch, name)?;
    let ns = match col.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) | DataType::Int64 => col.clone(),
        DataType::Timestamp(..) => {
            cast(col, &DataType::Timestamp(TimeUnit::Nanosecond, None)).map_err(|e| StageError::data(format!("column `{name}`: {e}")))?
        }
        other => return Err(StageError::data(format!("column `{name}` is {other}, expected a timestamp"))),
    };
    let ns = cast(&ns, &DataType::Int64).map_err(|e| StageError::data(format!("column `{name}`: {e}")))?;
    let ns = ns.as_primitive::<arrow::datatypes::Int64Type>();
    if ns.null_count() > 0 {
        let row = (0..ns.len()).find(|&i| ns.is_null(i)).unwrap_or(0);
        return Err(StageError::data(format!("column `{name}` has a null timestamp at row {row}")));
    }
    Ok(ns.values().to_vec())
}

/// A string column (dictionary-encoded strings are accepted), nulls as `None`.
pub fn str_column(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, StageError> {
    let col = cast(column(batch, name)?, &DataType::Utf8).map_err(|e| StageError::data(format!("column `{name}`: {e}")))?;
    Ok(col.as_string::<i32>().iter().map(|s| s.map(str::to_owned)).collect())
}

/// Builds a record batch column by column.
#[derive(Debug, Default)]
pub struct TableBuilder {
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
    metadata: HashMap<String, String>,
}

impl TableBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A UTC-nanosecond timestamp column.
    pub fn ts(mut self, name: &str, values: Vec<i64>) -> Self {
        self.fields.push(Field::new(name, ts_type(), false));
        self.columns.push(Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC")));
        self
    }

    /// A timestamp column with nulls where `None`.
    pub fn opt_ts(mut self, name: &str, values: Vec<Option<i64>>) -> Self {
        self.fields.push(Field::new(name, ts_type(), true));
        self.columns.push(Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC")));
        self
    }

    /// A float column; NaN becomes null.
    pub fn f64(mut self, name: &str, values: Vec<f64>) -> Self {
        let array = nan_to_null(values);
        self.fields.push(Field::new(name, DataType::Float64, array.null_count() > 0 || array.is_empty()));
        self.columns.push(Arc::new(array));
        self
    }

    pub fn i64(mut self, name: &str, values: Vec<i64>) -> Self {
        self.fields.push(Field::new(name, DataType::Int64, false));
        self.columns.push(Arc::new(Int64Array::from(values)));
        self
    }

    pub fn i32(mut self, name: &str, values: Vec<i32>) -> Self {
        self.fields.push(Field::new(name, DataType::Int32, false));
        self.columns.push(Arc::new(Int32Array::from(values)));
        self
    }

    pub fn i8(mut self, name: &str, values: Vec<i8>) -> Self {
        self.fields.push(Field::new(name, DataType::Int8, false));
        self.columns.push(Arc::new(Int8Array::from(values)));
        self
    }

    pub fn bool(mut self, name: &str, values: Vec<bool>) -> Self {
        self.fields.push(Field::new(name, DataType::Boolean, false));
        self.columns.push(Arc::new(BooleanArray::from(values)));
        self
    }

    pub fn str<S: AsRef<str>>(mut self, name: &str, values: &[S]) -> Self {
        self.fields.push(Field::new(name, DataType::Utf8, false));
        self.columns.push(Arc::new(StringArray::from_iter_values(values.iter().map(AsRef::as_ref))));
        self
    }

    /// Any prebuilt column.
    pub fn array(mut self, field: Field, array: ArrayRef) -> Self {
        self.fields.push(field);
        self.columns.push(array);
        self
    }

    /// A schema-level metadata entry (kept in Parquet).
    pub fn meta(mut self, key: &str, value: impl Into<String>) -> Self {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }

    pub fn build(self) -> Result<RecordBatch, StageError> {
        let schema = Arc::new(Schema::new_with_metadata(self.fields, self.metadata));
        RecordBatch::try_new(schema, self.columns).map_err(|e| StageError::internal(format!("building a table: {e}")))
    }
}

/// A float array with NaN as null.
pub fn nan_to_null(values: Vec<f64>) -> Float64Array {
    if values.iter().any(|v| v.is_nan()) { values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect() } else { Float64Array::from(values) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_round_trips_through_null() {
        let t = TableBuilder::new().ts("ts", vec![1, 2, 3]).f64("x", vec![1.0, f64::NAN, 3.0]).i32("n", vec![1, 2, 3]).build().unwrap();
        assert_eq!(t.column(1).null_count(), 1);
        let x = f64_column(&t, "x").unwrap();
        assert!(x[1].is_nan() && x[2] == 3.0);
        assert_eq!(f64_column(&t, "n").unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(ts_column(&t, "ts").unwrap(), vec![1, 2, 3]);
        let err = f64_column(&t, "nope").unwrap_err().to_string();
        assert!(err.contains("no column `nope`") && err.contains("ts, x, n"), "{err}");
    }
}
