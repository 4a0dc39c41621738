//! Reading upstream JSON documents defensively: a report shows what a document has and
//! skips what it lacks, so a stage adding a field never breaks the report.

use serde_json::Value;

/// The value at `path` (object keys), if every step exists.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(key))
}

/// The number at `path`, NaN when absent or not a number (JSON `null` stands for NaN).
pub fn num(v: &Value, path: &[&str]) -> f64 {
    at(v, path).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// The string at `path`.
pub fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// An array of numbers at `path` (non-numbers as NaN).
pub fn numbers(v: &Value, path: &[&str]) -> Vec<f64> {
    at(v, path).and_then(Value::as_array).map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()).unwrap_or_default()
}

/// The scalar leaves of an object, flattened with `.` up to `depth` levels, in key
/// order (arrays are skipped: they are data, not figures).
pub fn scalars(v: &Value, depth: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    flatten(v, "", depth, &mut out);
    out
}

fn flatten(v: &Value, prefix: &str, depth: usize, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match x {
                    Value::Object(_) if depth > 0 => flatten(x, &key, depth - 1, out),
                    Value::Object(_) | Value::Array(_) => {}
                    scalar => out.push((key, scalar.clone())),
                }
            }
        }
        Value::Array(_) => {}
        scalar => out.push((prefix.to_owned(), scalar.clone())),
    }
}

/// Sort key of a split name: `train`, `val`, `oof`, `test` in that order, then others.
pub fn split_rank(name: &str) -> usize {
    ["train", "val", "oof", "test"].iter().position(|s| *s == name).unwrap_or(4)
}

/// A scalar for display: numbers with up to 4 decimals, strings as they are.
pub fn display(v: &Value) -> String {
    match v {
        Value::Null => crate::format::MISSING.to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => crate::format::num(i as f64, 0),
            (None, Some(f)) => crate::format::num(f, if f.abs() >= 1000.0 { 1 } else { 4 }),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_numbers_and_flattening() {
        let v = json!({"a": {"b": 1.5, "c": null, "d": [1, 2]}, "e": "x", "f": {"g": {"h": 2}}});
        assert_eq!(num(&v, &["a", "b"]), 1.5);
        assert!(num(&v, &["a", "c"]).is_nan() && num(&v, &["nope"]).is_nan());
        assert_eq!(numbers(&v, &["a", "d"]), vec![1.0, 2.0]);
        assert_eq!(text(&v, &["e"]), Some("x"));
        let flat: Vec<String> = scalars(&v, 1).into_iter().map(|(k, _)| k).collect();
        assert_eq!(flat, vec!["a.b", "a.c", "e"]);
        assert_eq!(display(&json!(12345)), "12,345");
        assert_eq!(display(&json!(0.123_456)), "0.1235");
        assert_eq!(display(&Value::Null), "–");
    }
}
