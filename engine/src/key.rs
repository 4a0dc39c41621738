//! Stage keys and the action-cache lookup.
//!
//! A stage's key is blake3 (in its own derive-key domain) over the canonical encoding of
//! its *material*:
//!
//! ```json
//! {"kind": "labels.triple_barrier", "version": "1", "params": {…defaults filled…},
//!  "seed": 42, "inputs": {"bars": [{"hash": "…"}], "runs": [{"hash": "…", "label": "train@gbdt"}]}}
//! ```
//!
//! Files a stage reads from outside the store enter as `"sources"` (their fingerprints,
//! see [`crate::Stage::sources`]); kinds that read their provenance get `"lineage"`.
//!
//! Inputs enter by content hash, never by upstream name, so renaming an upstream stage
//! or recomputing it to identical bytes keeps the key. Fan-in (`many`) slots also carry
//! each upstream's name, because stages may use it to label rows.

use std::collections::BTreeMap;

use mlfactory_artifacts::{BlobRef, BlobState, ContentHash, Manifest, OutputRecord, Store};
use serde_json::{Value, json};

use crate::canonical;
use crate::plan::{Plan, PlannedStage};
use crate::stage::Arity;

/// Builds the key material of `stage`, given the outputs of every stage before it in
/// the plan (`None` where not yet known).
pub fn material(plan: &Plan, stage: &PlannedStage, known: &[Option<BTreeMap<String, OutputRecord>>]) -> Option<Value> {
    let mut inputs = serde_json::Map::new();
    for b in &stage.bindings {
        let mut items = Vec::with_capacity(b.sources.len());
        for src in &b.sources {
            let record = known[src.stage].as_ref()?.get(src.output)?;
            let mut item = json!({"hash": record.hash.to_hex()});
            if b.slot.arity == Arity::Many {
                item["label"] = json!(plan.stages[src.stage].name);
            }
            items.push(item);
        }
        inputs.insert(b.slot.name.to_owned(), Value::Array(items));
    }
    let mut material = json!({
        "kind": stage.kind.kind(),
        "version": stage.kind.version(),
        "params": stage.params,
        "seed": stage.seed,
        "inputs": inputs,
    });
    if let Some(sources) = &stage.sources {
        material["sources"] = sources.clone();
    }
    if stage.kind.wants_lineage() {
        material["lineage"] = lineage(plan, stage, known)?;
    }
    Some(material)
}

/// Every stage upstream of `stage` (transitively), in plan order, with its key and
/// output hashes: the provenance handed to kinds that ask for it.
fn lineage(plan: &Plan, stage: &PlannedStage, known: &[Option<BTreeMap<String, OutputRecord>>]) -> Option<Value> {
    let mut upstream = std::collections::BTreeSet::new();
    let mut stack: Vec<usize> = stage.upstream().collect();
    while let Some(u) = stack.pop() {
        if upstream.insert(u) {
            stack.extend(plan.stages[u].upstream());
        }
    }
    let mut stages = Vec::with_capacity(upstream.len());
    for u in upstream {
        let s = &plan.stages[u];
        let outputs: serde_json::Map<String, Value> = known[u].as_ref()?.iter().map(|(name, rec)| (name.clone(), json!(rec.hash.to_hex()))).collect();
        stages.push(json!({
            "name": s.name,
            "kind": s.kind.kind(),
            "version": s.kind.version(),
            "params": s.params,
            "seed": s.seed,
            "key": key_of(&material(plan, s, known)?).to_hex(),
            "outputs": outputs,
        }));
    }
    Some(json!({"pipeline": plan.pipeline, "stages": stages}))
}

/// The key of some material.
pub fn key_of(material: &Value) -> ContentHash {
    let mut hasher = blake3::Hasher::new_derive_key("mlfactory stage key v1");
    hasher.update(&canonical::to_bytes(material));
    ContentHash::from_blake3(hasher.finalize())
}

/// What the action cache holds for a key.
#[derive(Debug)]
pub enum Lookup {
    /// An entry whose blobs are all present with the right sizes.
    Hit(Manifest),
    /// No entry.
    Miss,
    /// An entry whose blob `output` is missing or has the wrong size.
    Broken { output: String, state: BlobState },
}

/// Looks a key up and checks (by size, without hashing) that its blobs are there.
pub fn lookup(store: &Store, key: &ContentHash) -> Lookup {
    let Some(manifest) = store.action(key) else { return Lookup::Miss };
    for (name, out) in &manifest.outputs {
        let state = store.blob_state(&BlobRef { hash: out.hash, bytes: out.bytes });
        if state != BlobState::Present {
            return Lookup::Broken { output: name.clone(), state };
        }
    }
    Lookup::Hit(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_every_part_of_the_material() {
        let base = json!({"kind": "k", "version": "1", "params": {"a": 1.0}, "seed": 1, "inputs": {}});
        let k = key_of(&base);
        for (field, value) in [("kind", json!("j")), ("version", json!("2")), ("params", json!({"a": 2.0})), ("seed", json!(2)), ("inputs", json!({"x": []}))] {
            let mut m = base.clone();
            m[field] = value;
            assert_ne!(key_of(&m), k, "{field}");
        }
        assert_eq!(key_of(&base.clone()), k);
    }
}
