//! The query's result as a features table: `ts` plus one f64 column per feature, one row
//! per bar, in bar order.

use arrow::array::{Array, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, SchemaRef};
use mlfactory_engine::StageError;
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME, TS};
use mlfactory_market::columns::{TableBuilder, array_to_f64, ts_column};

/// Whether `name` can name a feature column (letters, digits, `_`; not starting with a digit).
fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where each output row goes so that rows follow `bars_ts`: `None` when they already do.
fn bar_order(out_ts: &[i64], bars_ts: &[i64]) -> Result<Option<Vec<usize>>, StageError> {
    if out_ts == bars_ts {
        return Ok(None);
    }
    if out_ts.len() != bars_ts.len() {
        return Err(StageError::data_hint(
            format!("the query returned {} rows but `bars` has {}: features need exactly one row per bar", out_ts.len(), bars_ts.len()),
            "compute with window functions over the bars instead of filtering (WHERE) or aggregating (GROUP BY); blank rows with CASE … ELSE NULL",
        ));
    }
    let mut order: Vec<usize> = (0..out_ts.len()).collect();
    order.sort_by_key(|&i| out_ts[i]);
    for (row, (&i, &want)) in order.iter().zip(bars_ts).enumerate() {
        let got = out_ts[i];
        if got != want {
            let dup = order.get(row + 1).is_some_and(|&next| out_ts[next] == got) || (row > 0 && out_ts[order[row - 1]] == got);
            let message = if dup {
                format!("`ts` {got} appears more than once in the query's result")
            } else {
                format!("the query's result has no row for bar {row} (`ts` {want}); found `ts` {got} instead")
            };
            return Err(StageError::data_hint(
                message,
                "features need exactly one row per bar: a join that matches several rows repeats bars; select `ts` unchanged",
            ));
        }
    }
    Ok(Some(order))
}

/// Converts the query's result into the features table.
pub(crate) fn features_table(schema: &SchemaRef, batches: &[RecordBatch], bars: &RecordBatch, bars_ts: &[i64]) -> Result<RecordBatch, StageError> {
    let batch = concat_batches(schema, batches).map_err(|e| StageError::internal(format!("joining the query's result: {e}")))?;
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if !names.contains(&TS) {
        return Err(StageError::data_hint(
            format!("the query's result has no `ts` column (columns: {})", names.join(", ")),
            "select the bars' timestamp: `SELECT ts, … FROM bars`",
        ));
    }
    let out_ts = ts_column(&batch, TS)?;
    let order = bar_order(&out_ts, bars_ts)?;
    let mut builder = TableBuilder::new().ts(TS, bars_ts.to_vec());
    let mut seen = std::collections::BTreeSet::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if name == TS {
            continue;
        }
        if !is_plain_name(name) {
            return Err(StageError::data_hint(
                format!("the query's column `{name}` needs a name of letters, digits and `_`"),
                format!("name it with `AS`: `… AS {}`", suggested_name(name)),
            ));
        }
        if !seen.insert(name) {
            return Err(StageError::data_hint(format!("the query returns two columns named `{name}`"), "give each feature its own name with `AS`"));
        }
        let values = match column.data_type() {
            DataType::Null => vec![f64::NAN; column.len()],
            _ => array_to_f64(column).ok_or_else(|| {
                StageError::data_hint(
                    format!("the query's column `{name}` is {}, but features are numbers", column.data_type()),
                    format!("CAST it (`CAST({name} AS DOUBLE)`) or encode categories as numbers (`CASE … THEN 1 ELSE 0 END`)"),
                )
            })?,
        };
        let values = match &order {
            None => values,
            Some(order) => order.iter().map(|&i| values[i]).collect(),
        };
        builder = builder.f64(name, values);
    }
    for key in [META_SYMBOL, META_TIMEFRAME] {
        if let Some(value) = bars.schema_ref().metadata().get(key) {
            builder = builder.meta(key, value.clone());
        }
    }
    builder.build()
}

/// A plain name made from an expression's text (`lag(bars.close,Int64(1))` -> `lag_bars_close_int64_1`).
fn suggested_name(expr: &str) -> String {
    let mut out = String::new();
    for c in expr.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() { format!("f_{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::f64_column;
    use rstest::rstest;

    use super::*;

    fn bars() -> RecordBatch {
        TableBuilder::new().ts(TS, vec![10, 20, 30]).f64("close", vec![1.0, 2.0, 3.0]).meta(META_SYMBOL, "MES").build().unwrap()
    }

    fn result(ts: Vec<i64>, x: Vec<f64>) -> (SchemaRef, Vec<RecordBatch>) {
        let t = TableBuilder::new().ts(TS, ts).f64("x", x).build().unwrap();
        (t.schema(), vec![t])
    }

    #[test]
    fn rows_are_put_back_in_bar_order() {
        let (schema, batches) = result(vec![30, 10, 20], vec![3.0, 1.0, 2.0]);
        let t = features_table(&schema, &batches, &bars(), &[10, 20, 30]).unwrap();
        assert_eq!(f64_column(&t, "x").unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(t.schema_ref().metadata().get(META_SYMBOL).map(String::as_str), Some("MES"));
    }

    #[rstest]
    #[case(vec![10, 20], "returned 2 rows but `bars` has 3")]
    #[case(vec![10, 20, 20], "appears more than once")]
    #[case(vec![10, 20, 40], "no row for bar 2")]
    fn rows_must_match_the_bars(#[case] ts: Vec<i64>, #[case] needle: &str) {
        let n = ts.len();
        let (schema, batches) = result(ts, vec![0.0; n]);
        let err = features_table(&schema, &batches, &bars(), &[10, 20, 30]).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }

    #[test]
    fn columns_must_be_named_numbers() {
        let t = TableBuilder::new().ts(TS, vec![10, 20, 30]).str("session", &["a", "b", "c"]).build().unwrap();
        let err = features_table(&t.schema(), &[t.clone()], &bars(), &[10, 20, 30]).unwrap_err().to_string();
        assert!(err.contains("`session` is Utf8") && err.contains("CAST"), "{err}");
        let t = TableBuilder::new().ts(TS, vec![10, 20, 30]).f64("lag(bars.close,Int64(1))", vec![0.0; 3]).build().unwrap();
        let err = features_table(&t.schema(), &[t.clone()], &bars(), &[10, 20, 30]).unwrap_err().to_string();
        assert!(err.contains("AS lag_bars_close_int64_1"), "{err}");
        let t = TableBuilder::new().f64("x", vec![0.0; 3]).build().unwrap();
        assert!(features_table(&t.schema(), &[t.clone()], &bars(), &[10, 20, 30]).unwrap_err().to_string().contains("no `ts` column"));
    }
}
