//! The table codec: Arrow record batches to Parquet bytes and back.
//!
//! Encoding is deterministic: fixed writer settings (Snappy, fixed row-group size,
//! `created_by = "mlfactory"`, no timestamps), so equal tables give equal bytes and
//! therefore equal content hashes. The files are plain Parquet that pandas, polars and
//! DuckDB read.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

use crate::{ColumnInfo, StoreError};

/// Rows per Parquet row group. Part of the on-disk format: changing it changes hashes.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_created_by("mlfactory".to_owned())
        .build()
}

/// Encodes a table as Parquet with mlfactory's fixed writer settings.
pub fn encode_parquet(batch: &RecordBatch) -> Result<Vec<u8>, StoreError> {
    let err = |source| StoreError::Parquet { context: "encoding a table as Parquet".into(), source };
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2 + 1024);
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(writer_properties())).map_err(err)?;
    writer.write(batch).map_err(err)?;
    writer.close().map_err(err)?;
    Ok(out)
}

/// Decodes Parquet bytes into one record batch (all row groups concatenated).
pub fn decode_parquet(bytes: impl Into<Bytes>) -> Result<RecordBatch, StoreError> {
    let err = |source| StoreError::Parquet { context: "decoding a Parquet table".into(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.into()).map_err(err)?;
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let reader = builder.with_batch_size(rows.max(1)).build().map_err(err)?;
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|source| StoreError::Arrow { context: "decoding a Parquet table".into(), source })?;
    let joined = match batches.len() {
        0 => return Ok(RecordBatch::new_empty(schema)),
        1 => batches.into_iter().next().expect("one batch"),
        _ => concat_batches(&schema, &batches).map_err(|source| StoreError::Arrow { context: "joining Parquet row groups".into(), source })?,
    };
    // The reader's batches may drop the schema's metadata (instrument, timeframe, layouts
    // stages record there): put the file's full schema back.
    joined.with_schema(schema).map_err(|source| StoreError::Arrow { context: "restoring a Parquet table's schema".into(), source })
}

/// Column names and types, as recorded in manifests.
pub fn column_infos(schema: &SchemaRef) -> Vec<ColumnInfo> {
    schema.fields().iter().map(|f| ColumnInfo { name: f.name().clone(), data_type: f.data_type().to_string() }).collect()
}

/// A cheaply clonable, shared table.
pub type Table = Arc<RecordBatch>;

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn sample() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("i", DataType::Int64, false),
            Field::new("x", DataType::Float64, true),
            Field::new("s", DataType::Utf8, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(Float64Array::from(vec![Some(0.5), None, Some(f64::NAN)])),
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_deterministic_bytes() {
        let batch = sample();
        let a = encode_parquet(&batch).unwrap();
        let b = encode_parquet(&batch).unwrap();
        assert_eq!(a, b);
        let back = decode_parquet(a).unwrap();
        assert_eq!(back.num_rows(), 3);
        assert_eq!(back.schema(), batch.schema());
        assert_eq!(back.column(0), batch.column(0));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_parquet(b"not parquet at all".to_vec()).is_err());
    }

    #[test]
    fn schema_metadata_survives_the_round_trip() {
        let batch = sample();
        let mut meta = std::collections::HashMap::new();
        meta.insert("mlfactory.symbol".to_owned(), "MES".to_owned());
        let schema = Arc::new(batch.schema().as_ref().clone().with_metadata(meta.clone()));
        let batch = batch.with_schema(schema).unwrap();
        let back = decode_parquet(encode_parquet(&batch).unwrap()).unwrap();
        assert_eq!(back.schema().metadata(), &meta);
    }
}
