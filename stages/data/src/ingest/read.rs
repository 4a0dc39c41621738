//! Decoding file bytes into an Arrow table: Parquet as stored, CSV as text columns
//! (typed later, so every unparseable field can be reported with its row). A truncated
//! or garbled file is an error naming the file and, for CSV, the line; never a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use mlfactory_engine::StageError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

/// Parquet files start and end with this magic.
const PARQUET_MAGIC: &[u8] = b"PAR1";

/// Whether the bytes look like Parquet.
pub fn looks_like_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(PARQUET_MAGIC)
}

fn corrupt(file: &str, what: impl std::fmt::Display) -> StageError {
    StageError::data_hint(
        format!("`{file}` is not a readable Parquet file: {what}"),
        "the file may be truncated or corrupt: download it again, or check `format`",
    )
}

/// Decodes Parquet, row groups in parallel (concatenated in file order).
pub fn parquet(bytes: &Bytes, file: &str) -> Result<RecordBatch, StageError> {
    if !bytes.ends_with(PARQUET_MAGIC) || !looks_like_parquet(bytes) {
        return Err(corrupt(file, "it does not start and end with the Parquet magic bytes"));
    }
    let decode = || -> Result<RecordBatch, StageError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).map_err(|e| corrupt(file, e))?;
        let schema = builder.schema().clone();
        let groups: Vec<usize> = (0..builder.metadata().num_row_groups()).collect();
        let rows: Vec<usize> = builder.metadata().row_groups().iter().map(|g| usize::try_from(g.num_rows()).unwrap_or(0)).collect();
        drop(builder);
        let batches: Vec<Vec<RecordBatch>> = groups
            .par_iter()
            .map(|&g| {
                let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
                    .and_then(|b| b.with_row_groups(vec![g]).with_batch_size(rows[g].max(1)).build())
                    .map_err(|e| corrupt(file, e))?;
                reader.collect::<Result<Vec<_>, _>>().map_err(|e| corrupt(file, e))
            })
            .collect::<Result<_, _>>()?;
        let batches: Vec<RecordBatch> = batches.into_iter().flatten().collect();
        match batches.len() {
            0 => Ok(RecordBatch::new_empty(schema)),
            1 => Ok(batches.into_iter().next().expect("one batch")),
            _ => concat_batches(&schema, &batches).map_err(|e| corrupt(file, e)),
        }
    };
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_else(|_| Err(corrupt(file, "the decoder failed on malformed data")))
}

/// CSV reading options.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub header: bool,
}

/// Reads CSV into text columns (null for empty fields). Column names come from the
/// header, or are `column_0`, `column_1`, ... without one.
pub fn csv(bytes: &[u8], file: &str, options: &CsvOptions) -> Result<RecordBatch, StageError> {
    let mut reader = ::csv::ReaderBuilder::new().delimiter(options.delimiter).has_headers(options.header).flexible(false).from_reader(bytes);
    let names: Vec<String> = if options.header {
        let h = reader.byte_headers().map_err(|e| StageError::data(format!("`{file}`: cannot read the CSV header: {e}")))?;
        h.iter().map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_owned()).collect()
    } else {
        Vec::new()
    };
    let mut builders: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    let mut record = ::csv::ByteRecord::new();
    let mut row = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(String::new(), |p| format!(" (line {})", p.line()));
                let what = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("row {row}{line} has {len} field(s), the header has {expected_len}"),
                    _ => format!("row {row}{line}: {e}"),
                };
                return Err(StageError::data_hint(
                    format!("`{file}` is not valid CSV: {what}"),
                    "the file may be truncated or garbled; check `delimiter` and `header`",
                ));
            }
        }
        if builders.is_empty() {
            builders = (0..record.len()).map(|_| StringBuilder::new()).collect();
        }
        for (b, field) in builders.iter_mut().zip(record.iter()) {
            let text = String::from_utf8_lossy(field);
            let text = text.trim();
            if text.is_empty() { b.append_null() } else { b.append_value(text) }
        }
        row += 1;
    }
    let names: Vec<String> = if names.is_empty() { (0..builders.len()).map(|i| format!("column_{i}")).collect() } else { names };
    let fields: Vec<Field> = names.iter().map(|n| Field::new(n, DataType::Utf8, true)).collect();
    let columns: Vec<ArrayRef> = builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
    if fields.is_empty() {
        return Err(StageError::data(format!("`{file}` is empty")));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| StageError::data(format!("`{file}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> CsvOptions {
        CsvOptions { delimiter: b',', header: true }
    }

    #[test]
    fn csv_reads_text_columns_and_names_bad_rows() {
        let t = csv(b"ts,open\n2024-01-01,1.5\n2024-01-02,\n", "f.csv", &opts()).unwrap();
        assert_eq!(t.num_rows(), 2);
        assert_eq!(t.column(1).null_count(), 1);
        let err = csv(b"ts,open\n2024-01-01,1.5\n2024-01-02\n", "f.csv", &opts()).unwrap_err().to_string();
        assert!(err.contains("`f.csv`") && err.contains("row 1") && err.contains("1 field(s), the header has 2"), "{err}");
        let bare = csv(b"1,2\n3,4\n", "f.csv", &CsvOptions { delimiter: b',', header: false }).unwrap();
        assert_eq!(bare.schema().field(1).name(), "column_1");
    }

    #[test]
    fn truncated_or_garbled_parquet_is_an_error_not_a_panic() {
        let table = csv(b"a,b\n1,2\n3,4\n", "f", &opts()).unwrap();
        let bytes = Bytes::from(mlfactory_artifacts::table::encode_parquet(&table).unwrap());
        assert_eq!(parquet(&bytes, "ok.parquet").unwrap().num_rows(), 2);
        for cut in (0..bytes.len()).step_by(7) {
            let err = parquet(&bytes.slice(..cut), "cut.parquet").unwrap_err().to_string();
            assert!(err.contains("`cut.parquet`") && err.contains("hint:"), "{err}");
        }
        let mut garbled = bytes.to_vec();
        for i in (8..garbled.len() - 8).step_by(5) {
            garbled[i] ^= 0x5a;
        }
        assert!(parquet(&Bytes::from(garbled), "garbled.parquet").is_err());
    }
}
