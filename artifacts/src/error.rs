//! Errors of the artifact store and codecs.

use std::path::PathBuf;

use crate::ContentHash;

/// Everything that can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filesystem operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A blob the store should hold is not there.
    #[error("artifact {hash} is missing from the store\nhint: rerun the pipeline; the stage that produced it will be recomputed")]
    Missing { hash: ContentHash },
    /// A blob is there, but its size or content does not match its name.
    #[error("artifact {hash} is corrupt: {detail}\nhint: it has been moved to `quarantine/`; rerun the pipeline to recompute it")]
    Corrupt { hash: ContentHash, detail: String },
    /// A manifest or record could not be parsed.
    #[error("reading `{}`: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Encoding or decoding a Parquet table failed.
    #[error("{context}: {source}")]
    Parquet {
        context: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// An Arrow operation failed.
    #[error("{context}: {source}")]
    Arrow {
        context: String,
        #[source]
        source: arrow::error::ArrowError,
    },
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { action, path, source }
    }
}
