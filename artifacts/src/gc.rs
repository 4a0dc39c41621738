//! Garbage collection: delete action-cache entries and blobs that no kept run uses.

use std::collections::BTreeSet;
use std::fs;

use crate::{ContentHash, Store, StoreError};

/// What a collection removed and kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    pub actions_removed: usize,
    pub actions_kept: usize,
    pub blobs_removed: usize,
    pub blobs_kept: usize,
    pub bytes_freed: u64,
}

/// Keeps the action entries in `live_keys` and every blob they (or `live_blobs`)
/// reference; deletes the rest, plus leftover temp files. Takes the store's exclusive
/// lock, so it waits for running pipelines to finish.
pub fn collect(store: &Store, live_keys: &BTreeSet<ContentHash>, live_blobs: &BTreeSet<ContentHash>) -> Result<GcReport, StoreError> {
    let _lock = store.lock_exclusive()?;
    let mut report = GcReport::default();
    let mut keep_blobs = live_blobs.clone();
    for key in store.action_keys()? {
        match store.action(&key).filter(|_| live_keys.contains(&key)) {
            Some(manifest) => {
                keep_blobs.extend(manifest.outputs.values().map(|o| o.hash));
                report.actions_kept += 1;
            }
            None => {
                store.forget_action(&key)?;
                report.actions_removed += 1;
            }
        }
    }
    for hash in store.blob_hashes()? {
        if keep_blobs.contains(&hash) {
            report.blobs_kept += 1;
            continue;
        }
        let path = store.blob_path(&hash);
        report.bytes_freed += fs::metadata(&path).map_or(0, |m| m.len());
        fs::remove_file(&path).map_err(StoreError::io("removing", &path))?;
        report.blobs_removed += 1;
    }
    // Nothing is writing (we hold the exclusive lock), so every temp file is an orphan
    // of a killed process.
    let tmp = store.tmp_dir();
    if let Ok(entries) = fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{Format, Manifest, OutputRecord};

    #[test]
    fn keeps_live_and_removes_dead() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let live_blob = store.put(b"live").unwrap();
        let dead_blob = store.put(b"dead").unwrap();
        let mk = |name: &[u8], hash| Manifest {
            format_version: 1,
            key: ContentHash::of(name),
            kind: "k".into(),
            kind_version: "1".into(),
            material: serde_json::Value::Null,
            outputs: BTreeMap::from([("o".into(), OutputRecord { hash, bytes: 4, format: Format::Bytes, rows: None, schema: None })]),
            metrics: BTreeMap::new(),
            seconds: 0.0,
        };
        let live = mk(b"live", live_blob.hash);
        store.record_action(&live).unwrap();
        store.record_action(&mk(b"dead", dead_blob.hash)).unwrap();
        fs::write(store.tmp_dir().join("orphan.tmp"), b"x").unwrap();

        let report = collect(&store, &BTreeSet::from([live.key]), &BTreeSet::new()).unwrap();
        assert_eq!((report.actions_kept, report.actions_removed), (1, 1));
        assert_eq!((report.blobs_kept, report.blobs_removed), (1, 1));
        assert_eq!(store.read(&live_blob).unwrap(), b"live");
        assert!(store.read(&dead_blob).is_err());
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }
}
