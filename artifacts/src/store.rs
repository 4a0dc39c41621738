//! The local content-addressed store.
//!
//! Layout under the store root (every format carries its version in its path):
//!
//! ```text
//! cas-v1/ab/abcdef…          blobs, named by the blake3 of their bytes
//! ac-v1/ab/abcdef….json      action cache: stage key -> Manifest
//! runs-v1/<run id>.json      run records (written by the engine)
//! locks-v1/<key>.lock        per-key compute locks
//! store.lock                 shared by runs, exclusive for gc
//! tmp/                       staging for atomic writes
//! quarantine/                blobs found corrupt, kept for inspection
//! ```

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::{ContentHash, KeyLock, Manifest, StoreError, StoreLock};

/// A blob's name and size: enough to find it and to check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub hash: ContentHash,
    pub bytes: u64,
}

/// What a cheap check (no hashing) finds for a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobState {
    Present,
    Missing,
    WrongSize { found: u64 },
}

/// A content-addressed store rooted at one directory.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

const CAS: &str = "cas-v1";
const AC: &str = "ac-v1";
const RUNS: &str = "runs-v1";
const LOCKS: &str = "locks-v1";
const TMP: &str = "tmp";
const QUARANTINE: &str = "quarantine";

impl Store {
    /// Opens (creating if needed) the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        for sub in [CAS, AC, RUNS, LOCKS, TMP, QUARANTINE] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(StoreError::io("creating store directory", &dir))?;
        }
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory for run records.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join(RUNS)
    }

    /// Staging directory for atomic writes (same filesystem as the store).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP)
    }

    fn shard(dir: PathBuf, hash: &ContentHash, suffix: &str) -> PathBuf {
        let hex = hash.to_hex();
        dir.join(&hex[..2]).join(format!("{hex}{suffix}"))
    }

    /// Where the blob named `hash` lives (whether or not it exists).
    pub fn blob_path(&self, hash: &ContentHash) -> PathBuf {
        Self::shard(self.root.join(CAS), hash, "")
    }

    fn action_path(&self, key: &ContentHash) -> PathBuf {
        Self::shard(self.root.join(AC), key, ".json")
    }

    /// Stores `bytes` and returns their name. A blob already present with the right size
    /// is not rewritten.
    pub fn put(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        let blob = BlobRef { hash: ContentHash::of(bytes), bytes: bytes.len() as u64 };
        if self.blob_state(&blob) != BlobState::Present {
            write_atomic(&self.tmp_dir(), &self.blob_path(&blob.hash), bytes)?;
        }
        Ok(blob)
    }

    /// Checks that the blob exists with the expected size, without reading it.
    pub fn blob_state(&self, blob: &BlobRef) -> BlobState {
        match fs::metadata(self.blob_path(&blob.hash)) {
            Ok(meta) if meta.len() == blob.bytes => BlobState::Present,
            Ok(meta) => BlobState::WrongSize { found: meta.len() },
            Err(_) => BlobState::Missing,
        }
    }

    /// Reads a blob, checking its size and hash. A corrupt blob is moved to
    /// `quarantine/` and reported as [`StoreError::Corrupt`].
    pub fn read(&self, blob: &BlobRef) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(&blob.hash);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(StoreError::Missing { hash: blob.hash }),
            Err(e) => return Err(StoreError::io("reading artifact", &path)(e)),
        };
        let detail = if bytes.len() as u64 == blob.bytes {
            let found = ContentHash::of(&bytes);
            if found == blob.hash {
                return Ok(bytes);
            }
            format!("its content hashes to {}", found.short())
        } else {
            format!("expected {} bytes, found {}", blob.bytes, bytes.len())
        };
        self.quarantine(&blob.hash);
        Err(StoreError::Corrupt { hash: blob.hash, detail })
    }

    /// Moves a blob out of the way so the next run recomputes it.
    pub fn quarantine(&self, hash: &ContentHash) {
        let dest = self.root.join(QUARANTINE).join(hash.to_hex());
        let _ = fs::rename(self.blob_path(hash), dest);
    }

    /// Looks up the action cache. A missing entry is `None`; an unreadable one is
    /// treated as missing too (it is rewritten when the stage is recomputed).
    pub fn action(&self, key: &ContentHash) -> Option<Manifest> {
        let bytes = fs::read(self.action_path(key)).ok()?;
        serde_json::from_slice::<Manifest>(&bytes).ok().filter(|m| m.key == *key)
    }

    /// Records a stage's result. Call only after every output blob is stored.
    pub fn record_action(&self, manifest: &Manifest) -> Result<(), StoreError> {
        let path = self.action_path(&manifest.key);
        let bytes = serde_json::to_vec_pretty(manifest).map_err(|source| StoreError::Json { path: path.clone(), source })?;
        write_atomic(&self.tmp_dir(), &path, &bytes)
    }

    /// Deletes an action-cache entry (gc).
    pub fn forget_action(&self, key: &ContentHash) -> Result<(), StoreError> {
        let path = self.action_path(key);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::io("removing", &path)(e)),
            _ => Ok(()),
        }
    }

    /// Every key in the action cache.
    pub fn action_keys(&self) -> Result<Vec<ContentHash>, StoreError> {
        let mut keys = list_sharded(&self.root.join(AC), ".json")?;
        keys.sort();
        Ok(keys)
    }

    /// Every blob in the store.
    pub fn blob_hashes(&self) -> Result<Vec<ContentHash>, StoreError> {
        let mut hashes = list_sharded(&self.root.join(CAS), "")?;
        hashes.sort();
        Ok(hashes)
    }

    /// Takes the exclusive compute lock of one stage key (blocks while another process
    /// holds it).
    pub fn lock_key(&self, key: &ContentHash) -> Result<KeyLock, StoreError> {
        KeyLock::acquire(&self.root.join(LOCKS).join(format!("{}.lock", key.to_hex())))
    }

    /// The lock every run holds while it uses the store.
    pub fn lock_shared(&self) -> Result<StoreLock, StoreError> {
        StoreLock::shared(&self.root.join("store.lock"))
    }

    /// The lock `gc` holds: no run is using the store meanwhile.
    pub fn lock_exclusive(&self) -> Result<StoreLock, StoreError> {
        StoreLock::exclusive(&self.root.join("store.lock"))
    }
}

fn list_sharded(dir: &Path, suffix: &str) -> Result<Vec<ContentHash>, StoreError> {
    let mut out = Vec::new();
    let shards = fs::read_dir(dir).map_err(StoreError::io("listing", dir))?;
    for shard in shards.flatten() {
        let Ok(entries) = fs::read_dir(shard.path()) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(stem) = name.strip_suffix(suffix)
                && let Ok(hash) = stem.parse()
            {
                out.push(hash);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{Format, OutputRecord};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn put_is_idempotent_and_content_addressed() {
        let (_d, store) = store();
        let a = store.put(b"same").unwrap();
        let b = store.put(b"same").unwrap();
        assert_eq!(a, b);
        assert_eq!(store.blob_hashes().unwrap(), vec![a.hash]);
    }

    #[test]
    fn corrupt_blob_is_detected_and_quarantined() {
        let (_d, store) = store();
        let blob = store.put(b"original").unwrap();
        fs::write(store.blob_path(&blob.hash), b"tampered").unwrap(); // same length
        let err = store.read(&blob).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert_eq!(store.blob_state(&blob), BlobState::Missing);
    }

    #[test]
    fn truncated_blob_has_wrong_size() {
        let (_d, store) = store();
        let blob = store.put(b"0123456789").unwrap();
        fs::write(store.blob_path(&blob.hash), b"0123").unwrap();
        assert_eq!(store.blob_state(&blob), BlobState::WrongSize { found: 4 });
        assert!(matches!(store.read(&blob), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn action_cache_round_trip() {
        let (_d, store) = store();
        let blob = store.put(b"x").unwrap();
        let key = ContentHash::of(b"key");
        let manifest = Manifest {
            format_version: Manifest::FORMAT_VERSION,
            key,
            kind: "k".into(),
            kind_version: "1".into(),
            material: serde_json::json!({"a": 1}),
            outputs: BTreeMap::from([("out".to_owned(), OutputRecord { hash: blob.hash, bytes: blob.bytes, format: Format::Bytes, rows: None, schema: None })]),
            metrics: BTreeMap::new(),
            seconds: 0.5,
        };
        assert!(store.action(&key).is_none());
        store.record_action(&manifest).unwrap();
        assert_eq!(store.action(&key), Some(manifest));
        assert_eq!(store.action_keys().unwrap(), vec![key]);
        // A garbled entry reads as a miss, never as a panic.
        fs::write(store.action_path(&key), b"{not json").unwrap();
        assert!(store.action(&key).is_none());
    }
}
