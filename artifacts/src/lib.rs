//! # mlfactory-artifacts
//!
//! The bottom layer of mlfactory: where stage outputs live and how they are encoded.
//!
//! - [`Store`]: an on-disk, content-addressed store. Blobs are named by the blake3 of
//!   their bytes (`cas-v1/ab/abcd…`), written atomically (temp file, fsync, rename) and
//!   checked for size and hash when read. The *action cache* (`ac-v1/`) maps a stage key
//!   to the [`Manifest`] of the artifacts that stage produced. Run records live beside
//!   them (`runs-v1/`). Per-key file locks let two processes share one store safely.
//! - [`table`]: the Arrow/Parquet codec with fixed writer settings, so the same table
//!   always encodes to the same bytes.
//! - [`diff`]: column-by-column comparison of two tables, for `mlfactory diff`.
//! - [`gc`]: deletes what no kept run references.
//!
//! This crate knows nothing about pipelines or finance; the engine builds on it.
//!
//! ```
//! # fn main() -> Result<(), mlfactory_artifacts::StoreError> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = mlfactory_artifacts::Store::open(dir.path())?;
//! let blob = store.put(b"hello")?;
//! assert_eq!(store.read(&blob)?, b"hello");
//! # Ok(()) }
//! ```

mod error;
mod fsutil;
mod hash;
mod lock;
mod manifest;
mod store;

pub mod diff;
pub mod gc;
pub mod table;

pub use error::StoreError;
pub use fsutil::write_atomic;
pub use hash::{ContentHash, HashParseError};
pub use lock::{KeyLock, StoreLock};
pub use manifest::{ColumnInfo, Format, Manifest, OutputRecord};
pub use store::{BlobRef, BlobState, Store};
