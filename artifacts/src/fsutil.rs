//! Atomic file publication: write a temp file in the same directory tree, fsync, rename.
//!
//! A reader therefore sees either no file or the whole file, whatever happens to the
//! writer (`kill -9` included).

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::StoreError;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `dest` atomically, staging the temp file in `tmp_dir` (which must be
/// on the same filesystem). Parent directories of `dest` are created.
pub fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = tmp_dir.join(format!("{}-{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut file = File::create(&tmp).map_err(StoreError::io("creating temp file", &tmp))?;
        file.write_all(bytes).map_err(StoreError::io("writing temp file", &tmp))?;
        file.sync_all().map_err(StoreError::io("syncing temp file", &tmp))?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(StoreError::io("creating directory", parent))?;
        }
        fs::rename(&tmp, dest).map_err(StoreError::io("publishing", dest))?;
        if let Some(parent) = dest.parent() {
            // Make the rename itself durable; ignore platforms that cannot open directories.
            if let Ok(dir) = File::open(parent) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let dest = dir.path().join("a/b/c.bin");
        write_atomic(&tmp, &dest, b"payload").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"payload");
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    }
}
