//! Artifacts to stored blobs and back.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlfactory_artifacts::table::{column_infos, decode_parquet, encode_parquet};
use mlfactory_artifacts::{BlobRef, Format, OutputRecord, Store, StoreError};

use crate::stage::Artifact;

/// JSON artifacts are stored pretty-printed with sorted keys, so they diff well.
fn encode_json(value: &serde_json::Value) -> Vec<u8> {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let ordered: BTreeMap<&String, serde_json::Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
                serde_json::to_value(ordered).expect("string keys")
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&sorted(value)).expect("JSON values serialize");
    bytes.push(b'\n');
    bytes
}

/// Encodes an artifact to its stored bytes.
pub fn encode(artifact: &Artifact) -> Result<Vec<u8>, StoreError> {
    match artifact {
        Artifact::Table(t) => encode_parquet(t),
        Artifact::Json(v) => Ok(encode_json(v)),
        Artifact::Blob { bytes, .. } => Ok(bytes.as_ref().clone()),
    }
}

/// Stores an artifact and describes it.
pub fn store_artifact(store: &Store, artifact: &Artifact) -> Result<OutputRecord, StoreError> {
    let bytes = encode(artifact)?;
    let blob = store.put(&bytes)?;
    Ok(OutputRecord {
        hash: blob.hash,
        bytes: blob.bytes,
        format: artifact.format(),
        rows: artifact.rows(),
        schema: match artifact {
            Artifact::Table(t) => Some(column_infos(&t.schema())),
            _ => None,
        },
    })
}

/// Decodes stored bytes of a known format.
pub fn decode(bytes: Vec<u8>, format: Format) -> Result<Artifact, StoreError> {
    Ok(match format {
        Format::Parquet => Artifact::Table(Arc::new(decode_parquet(bytes)?)),
        Format::Json => Artifact::Json(serde_json::from_slice(&bytes).map_err(|source| StoreError::Json { path: "<artifact>".into(), source })?),
        other => Artifact::Blob { format: other, bytes: Arc::new(bytes) },
    })
}

/// Reads (hash-checked) and decodes an artifact from the store.
pub fn load(store: &Store, record: &OutputRecord) -> Result<Artifact, StoreError> {
    let bytes = store.read(&BlobRef { hash: record.hash, bytes: record.bytes })?;
    decode(bytes, record.format)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage downstream reads a JSON artifact from the store exactly as the upstream
    /// wrote it in memory: floats come back to the bit, so warm and cold runs agree.
    #[test]
    fn json_floats_round_trip_bit_exact() {
        let values = [-495.35999999999996, 114.36643809374607, 0.1 + 0.2, 1e-300, -25.914592534351378, f64::MAX, 5e-324];
        let doc = serde_json::json!({"x": values});
        let Artifact::Json(back) = decode(encode(&Artifact::Json(doc)).unwrap(), Format::Json).unwrap() else { panic!("not JSON") };
        let got: Vec<u64> = back["x"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap().to_bits()).collect();
        assert_eq!(got, values.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }
}
