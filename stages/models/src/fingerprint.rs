//! What a model was trained on, in a few bytes: its feature names and a hash of its
//! training labels (event times, label end times `t1`, which carry the horizon, and
//! classes). Stages that combine models (ensembles of trained artifacts, comparisons)
//! refuse inputs whose fingerprints differ: a vote between a 5-bar and a 20-bar model, or
//! between models that saw different features, is not an ensemble but a bug.

use std::collections::HashMap;

use mlfactory_engine::StageError;
use serde::{Deserialize, Serialize};

use crate::samples::Samples;

/// Metadata key (model files and predictions tables) holding the fingerprint JSON.
pub const META_FINGERPRINT: &str = "mlfactory.fingerprint";

/// Feature set and label identity of a training set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Feature names, in column order.
    pub features: Vec<String>,
    /// blake3 (hex) over the training rows' `ts`, `t1` and class.
    pub labels: String,
    /// Training rows.
    pub rows: usize,
}

impl Fingerprint {
    pub fn of(train: &Samples) -> Self {
        let mut h = blake3::Hasher::new_derive_key("mlfactory training labels v1");
        for i in 0..train.len() {
            h.update(&train.ts[i].to_le_bytes());
            h.update(&train.t1[i].to_le_bytes());
            h.update(&[train.y[i]]);
        }
        Self { features: train.features.clone(), labels: h.finalize().to_hex().to_string(), rows: train.len() }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a fingerprint serializes")
    }

    /// `{META_FINGERPRINT: json}`, for a schema's or a model file's metadata.
    pub fn to_metadata(&self) -> HashMap<String, String> {
        [(META_FINGERPRINT.to_owned(), self.to_json())].into()
    }

    /// The fingerprint in some metadata, if there is one.
    pub fn from_metadata(metadata: &HashMap<String, String>) -> Result<Option<Self>, StageError> {
        metadata
            .get(META_FINGERPRINT)
            .map(|s| serde_json::from_str(s).map_err(|e| StageError::data(format!("unreadable `{META_FINGERPRINT}` metadata: {e}"))))
            .transpose()
    }

    /// Errors unless every `(name, fingerprint)` matches the first, naming what differs.
    pub fn ensure_same<'a>(items: impl IntoIterator<Item = (&'a str, &'a Fingerprint)>) -> Result<(), StageError> {
        let mut items = items.into_iter();
        let Some((first_name, first)) = items.next() else { return Ok(()) };
        for (name, other) in items {
            if other.features != first.features {
                let missing: Vec<&str> = first.features.iter().filter(|f| !other.features.contains(f)).map(String::as_str).collect();
                let extra: Vec<&str> = other.features.iter().filter(|f| !first.features.contains(f)).map(String::as_str).collect();
                return Err(StageError::data_hint(
                    format!(
                        "cannot combine `{first_name}` and `{name}`: trained on different feature sets ({} vs {} features; `{name}` lacks [{}] and adds [{}])",
                        first.features.len(),
                        other.features.len(),
                        missing.join(", "),
                        extra.join(", ")
                    ),
                    "combine models trained on the same dataset stage (a matrix over the model only)",
                ));
            }
            if other.labels != first.labels {
                return Err(StageError::data_hint(
                    format!(
                        "cannot combine `{first_name}` and `{name}`: trained on different labels, horizons or training rows ({} vs {} rows, label hashes {} vs {})",
                        first.rows,
                        other.rows,
                        &first.labels[..12],
                        &other.labels[..12]
                    ),
                    "combine models trained on the same labels and splits (a matrix over the model only)",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::blobs;

    #[test]
    fn differs_by_features_and_by_horizon() {
        let s = blobs(20, 1);
        let a = Fingerprint::of(&s);
        assert_eq!(a, Fingerprint::of(&s.clone()));
        Fingerprint::ensure_same([("a", &a), ("b", &a)]).unwrap();

        let mut renamed = s.clone();
        renamed.features[3] = "other".into();
        let err = Fingerprint::ensure_same([("a", &a), ("b", &Fingerprint::of(&renamed))]).unwrap_err().to_string();
        assert!(err.contains("different feature sets") && err.contains("lacks [f3] and adds [other]"), "{err}");

        let mut longer = s.clone();
        longer.t1.iter_mut().for_each(|t| *t += 600);
        let err = Fingerprint::ensure_same([("h5", &a), ("h20", &Fingerprint::of(&longer))]).unwrap_err().to_string();
        assert!(err.contains("different labels, horizons"), "{err}");

        let back = Fingerprint::from_metadata(&a.to_metadata()).unwrap().unwrap();
        assert_eq!(back, a);
    }
}
