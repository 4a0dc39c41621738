//! Manifests: what the action cache records for one stage key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ContentHash;

/// How an artifact's bytes are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An Arrow table as Parquet (fixed writer settings; see [`crate::table`]).
    Parquet,
    /// A JSON document.
    Json,
    /// Model weights as safetensors, with the model's config in its metadata.
    Safetensors,
    /// A self-contained HTML page.
    Html,
    /// Opaque bytes.
    Bytes,
}

impl Format {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Json => "json",
            Self::Safetensors => "safetensors",
            Self::Html => "html",
            Self::Bytes => "bin",
        }
    }
}

/// One column of a table artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// One output artifact of a stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub hash: ContentHash,
    pub bytes: u64,
    pub format: Format,
    /// Row count, for tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Column names and types, for tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Vec<ColumnInfo>>,
}

/// The action-cache entry for one stage key: everything a cache hit needs to replay the
/// stage's result without running it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// On-disk format version of this record.
    pub format_version: u32,
    pub key: ContentHash,
    pub kind: String,
    pub kind_version: String,
    /// The canonical key material (kind, version, params, inputs, seed) as JSON, kept so
    /// `status` can say *why* a key changed.
    pub material: serde_json::Value,
    pub outputs: BTreeMap<String, OutputRecord>,
    #[serde(default)]
    pub metrics: BTreeMap<String, serde_json::Value>,
    /// Wall-clock seconds the computation took (informational; not part of any key).
    pub seconds: f64,
}

impl Manifest {
    pub const FORMAT_VERSION: u32 = 1;
}
