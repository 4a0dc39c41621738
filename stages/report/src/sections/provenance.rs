//! The provenance section: every stage upstream of the report (from the engine's
//! lineage), with its kind, version, seed, params and stage key, and the content hash
//! of every artifact it produced, so a reader can trace (and `mlfactory verify`) each
//! number back to its inputs.

use serde_json::{Value, json};

use crate::format;
use crate::html::{Block, Cell, Section};
use crate::json;

/// Longest params shown inline (the full params are in metrics.json).
const PARAMS_CHARS: usize = 140;

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= PARAMS_CHARS { s } else { format!("{}…", s.chars().take(PARAMS_CHARS).collect::<String>()) }
}

/// The section, and the lineage for metrics.json (`null` when the report ran outside the engine).
pub fn section(lineage: Option<&Value>) -> (Section, Value) {
    let mut s = Section::new("provenance", "Provenance");
    let Some(l) = lineage else {
        s.push(Block::Note("No lineage: this report was rendered outside a pipeline run.".into()));
        return (s, Value::Null);
    };
    let stages = json::at(l, &["stages"]).and_then(Value::as_array).cloned().unwrap_or_default();
    s.push(Block::Facts(vec![
        ("pipeline".into(), json::text(l, &["pipeline"]).unwrap_or(format::MISSING).to_owned()),
        ("stages upstream".into(), stages.len().to_string()),
        ("check".into(), "`mlfactory verify` recomputes every stage below and compares these hashes".into()),
    ]));
    let rows = stages
        .iter()
        .map(|st| {
            vec![
                Cell::text(json::text(st, &["name"]).unwrap_or("")),
                Cell::text(json::text(st, &["kind"]).unwrap_or("")),
                Cell::text(json::display(json::at(st, &["version"]).unwrap_or(&Value::Null))),
                Cell::num(json::display(json::at(st, &["seed"]).unwrap_or(&Value::Null))),
                Cell::text(format::short_hash(json::text(st, &["key"]).unwrap_or(""), 16)),
                Cell::text(compact(json::at(st, &["params"]).unwrap_or(&Value::Null))),
            ]
        })
        .collect();
    s.push(Block::table("Stages, in run order (key: the first 16 hex digits of the stage key)", ["stage", "kind", "version", "seed", "key", "params"], rows));
    let mut artifacts = Vec::new();
    for st in &stages {
        let name = json::text(st, &["name"]).unwrap_or("");
        if let Some(outputs) = json::at(st, &["outputs"]).and_then(Value::as_object) {
            for (output, hash) in outputs {
                artifacts.push(vec![Cell::text(format!("{name}.{output}")), Cell::text(hash.as_str().unwrap_or(""))]);
            }
        }
    }
    s.push(Block::table("Artifacts (blake3 content hashes)", ["artifact", "hash"], artifacts));
    let doc = json!({
        "pipeline": json::at(l, &["pipeline"]),
        "stages": stages.iter().map(|st| json!({
            "name": st.get("name"), "kind": st.get("kind"), "version": st.get("version"), "seed": st.get("seed"),
            "key": st.get("key"), "params": st.get("params"), "outputs": st.get("outputs"),
        })).collect::<Vec<_>>(),
    });
    (s, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_becomes_stage_and_artifact_tables() {
        let lineage = json!({"pipeline": "mes", "stages": [
            {"name": "bars", "kind": "data.synth", "version": "1", "params": {"days": 5}, "seed": 42, "key": "0123456789abcdef0123", "outputs": {"bars": "aa11", "stats": "bb22"}},
            {"name": "labels", "kind": "labels.triple_barrier", "version": "2", "params": {"pt": 1.0, "note": "x".repeat(300)}, "seed": 42, "key": "fedcba", "outputs": {"labels": "cc33"}},
        ]});
        let (s, doc) = section(Some(&lineage));
        assert_eq!(doc["stages"][1]["key"], "fedcba");
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains("<td>0123456789abcdef</td>"));
        assert!(html.contains("<td>bars.stats</td><td>bb22</td>"));
        assert!(html.contains('…'), "long params are cut");
        let (s, doc) = section(None);
        assert!(doc.is_null() && matches!(s.blocks[0], Block::Note(_)));
    }
}
