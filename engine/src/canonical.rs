//! A canonical byte encoding of JSON values, for hashing.
//!
//! Map keys are sorted, every value is tagged and length-prefixed, integers are
//! little-endian, floats are encoded by their bits (never by a formatted string). Equal
//! values therefore give equal bytes on every run, thread count and platform.

use serde_json::Value;

/// Appends the canonical encoding of `value` to `out`.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0),
        Value::Bool(b) => {
            out.push(1);
            out.push(u8::from(*b));
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(2);
                out.extend_from_slice(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                out.push(3);
                out.extend_from_slice(&u.to_le_bytes());
            } else {
                out.push(4);
                out.extend_from_slice(&n.as_f64().unwrap_or(f64::NAN).to_bits().to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(5);
            encode_str(s, out);
        }
        Value::Array(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                encode(item, out);
            }
        }
        Value::Object(map) => {
            out.push(7);
            out.extend_from_slice(&(map.len() as u64).to_le_bytes());
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in entries {
                encode_str(k, out);
                encode(v, out);
            }
        }
    }
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The canonical encoding as a new buffer.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_does_not_matter_types_do() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": [1.5, "x"]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a": [1.5, "x"], "b": 1}"#).unwrap();
        assert_eq!(to_bytes(&a), to_bytes(&b));
        assert_ne!(to_bytes(&json!(1)), to_bytes(&json!(1.0)));
        assert_ne!(to_bytes(&json!("1")), to_bytes(&json!(1)));
        // Length prefixes keep ["ab"] and ["a", "b"] apart.
        assert_ne!(to_bytes(&json!(["ab"])), to_bytes(&json!(["a", "b"])));
    }
}
