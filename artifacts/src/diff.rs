//! Column-by-column comparison of two tables, for `mlfactory diff`.
//!
//! Rows are compared by position. Numeric columns report how many cells differ by more
//! than a tolerance and the largest absolute difference; other columns report how many
//! cells differ. Nulls equal nulls and NaN equals NaN.

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::compute::kernels::cmp::distinct;
use arrow::datatypes::DataType;
use serde::Serialize;

/// How one column changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnDiff {
    pub name: String,
    /// Cells (of the rows both tables have) that differ beyond the tolerance.
    pub changed_cells: u64,
    /// Largest |a - b| over numeric cells present in both (None for non-numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_abs_diff: Option<f64>,
}

/// How a table changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableDiff {
    pub rows_a: u64,
    pub rows_b: u64,
    pub added_columns: Vec<String>,
    pub removed_columns: Vec<String>,
    /// Columns present in both with different types: `(name, type in a, type in b)`.
    pub retyped_columns: Vec<(String, String, String)>,
    /// Every column present in both, in `a`'s order.
    pub columns: Vec<ColumnDiff>,
}

impl TableDiff {
    /// True when nothing differs beyond the tolerance used to build it.
    pub fn is_unchanged(&self) -> bool {
        self.rows_a == self.rows_b
            && self.added_columns.is_empty()
            && self.removed_columns.is_empty()
            && self.retyped_columns.is_empty()
            && self.columns.iter().all(|c| c.changed_cells == 0)
    }
}

fn is_numeric(dt: &DataType) -> bool {
    dt.is_numeric() || matches!(dt, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 | DataType::Boolean)
}

fn as_f64(array: &ArrayRef) -> Option<arrow::array::Float64Array> {
    let source = match array.data_type() {
        DataType::Timestamp(..) => cast(array, &DataType::Int64).ok()?,
        _ => array.clone(),
    };
    let out = cast(&source, &DataType::Float64).ok()?;
    out.as_any().downcast_ref::<arrow::array::Float64Array>().cloned()
}

fn diff_numeric(a: &ArrayRef, b: &ArrayRef, tolerance: f64) -> Option<(u64, Option<f64>)> {
    let (a, b) = (as_f64(a)?, as_f64(b)?);
    let mut changed = 0;
    let mut max_abs: Option<f64> = None;
    for i in 0..a.len() {
        match (a.is_valid(i), b.is_valid(i)) {
            (true, true) => {
                let (x, y) = (a.value(i), b.value(i));
                if x.is_nan() && y.is_nan() {
                    continue;
                }
                let d = (x - y).abs();
                if d.is_nan() || d > tolerance {
                    changed += 1;
                }
                if !d.is_nan() {
                    max_abs = Some(max_abs.map_or(d, |m: f64| m.max(d)));
                }
            }
            (false, false) => {}
            _ => changed += 1,
        }
    }
    Some((changed, max_abs))
}

/// Compares `a` with `b`. `tolerance` applies to numeric cells.
pub fn diff_tables(a: &RecordBatch, b: &RecordBatch, tolerance: f64) -> TableDiff {
    let (sa, sb) = (a.schema(), b.schema());
    let added_columns = sb.fields().iter().filter(|f| sa.field_with_name(f.name()).is_err()).map(|f| f.name().clone()).collect();
    let mut removed_columns = Vec::new();
    let mut retyped_columns = Vec::new();
    let mut columns = Vec::new();
    let common_rows = a.num_rows().min(b.num_rows());
    for (i, field) in sa.fields().iter().enumerate() {
        let Ok(j) = sb.index_of(field.name()) else {
            removed_columns.push(field.name().clone());
            continue;
        };
        let (ta, tb) = (field.data_type(), sb.field(j).data_type());
        if ta != tb {
            retyped_columns.push((field.name().clone(), ta.to_string(), tb.to_string()));
            continue;
        }
        let ca = a.column(i).slice(0, common_rows);
        let cb = b.column(j).slice(0, common_rows);
        let (changed_cells, max_abs_diff) = if is_numeric(ta) {
            diff_numeric(&ca, &cb, tolerance).unwrap_or((0, None))
        } else {
            let changed = distinct(&ca, &cb).map_or(common_rows as u64, |m| m.true_count() as u64);
            (changed, None)
        };
        columns.push(ColumnDiff { name: field.name().clone(), changed_cells, max_abs_diff });
    }
    TableDiff { rows_a: a.num_rows() as u64, rows_b: b.num_rows() as u64, added_columns, removed_columns, retyped_columns, columns }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn table(x: Vec<Option<f64>>, s: Vec<&str>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, true), Field::new("s", DataType::Utf8, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(x)), Arc::new(StringArray::from(s))]).unwrap()
    }

    #[test]
    fn counts_changed_cells_and_max_diff() {
        let a = table(vec![Some(1.0), Some(2.0), None, Some(f64::NAN)], vec!["a", "b", "c", "d"]);
        let b = table(vec![Some(1.0), Some(2.5), Some(1.0), Some(f64::NAN)], vec!["a", "x", "c", "d"]);
        let d = diff_tables(&a, &b, 0.0);
        assert_eq!(d.columns[0], ColumnDiff { name: "x".into(), changed_cells: 2, max_abs_diff: Some(0.5) });
        assert_eq!(d.columns[1].changed_cells, 1);
        assert!(!d.is_unchanged());
        // Within tolerance, the numeric change disappears.
        let d = diff_tables(&a, &b, 1.0);
        assert_eq!(d.columns[0].changed_cells, 1); // the null mismatch remains
    }

    #[test]
    fn identical_tables_are_unchanged() {
        let a = table(vec![Some(1.0)], vec!["a"]);
        assert!(diff_tables(&a, &a, 0.0).is_unchanged());
    }
}
