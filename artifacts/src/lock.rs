//! Advisory file locks (`flock`) that the OS releases when a process dies.
//!
//! - A [`KeyLock`] is held while one stage key is computed, so two runs sharing a store
//!   compute each key once: the second waits, then finds the first one's result.
//! - A [`StoreLock`] is held shared by every run and exclusively by `gc`, so garbage
//!   collection never deletes what a live run is about to use.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::StoreError;

fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).map_err(StoreError::io("opening lock file", path))
}

/// An exclusive lock on one stage key; released on drop.
#[derive(Debug)]
pub struct KeyLock {
    _file: File,
}

impl KeyLock {
    pub(crate) fn acquire(path: &Path) -> Result<Self, StoreError> {
        let file = open_lock_file(path)?;
        file.lock().map_err(StoreError::io("locking", path))?;
        Ok(Self { _file: file })
    }
}

/// A shared (runs) or exclusive (gc) lock on the whole store; released on drop.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl StoreLock {
    pub(crate) fn shared(path: &Path) -> Result<Self, StoreError> {
        let file = open_lock_file(path)?;
        file.lock_shared().map_err(StoreError::io("locking (shared)", path))?;
        Ok(Self { _file: file })
    }

    pub(crate) fn exclusive(path: &Path) -> Result<Self, StoreError> {
        let file = open_lock_file(path)?;
        file.lock().map_err(StoreError::io("locking (exclusive)", path))?;
        Ok(Self { _file: file })
    }
}
