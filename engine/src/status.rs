//! `mlfactory status`: what a run would compute, and why.
//!
//! Walks the plan like the scheduler does, without running anything. A stage whose
//! inputs are all known gets its key and is looked up; a miss is explained by comparing
//! with the same stage in the spec's last successful run (params, inputs, kind version,
//! seed). A stage downstream of one that will run cannot know its key yet.

use std::collections::BTreeMap;

use mlfactory_artifacts::{BlobRef, BlobState, OutputRecord, Store};
use serde::Serialize;

use crate::key::{Lookup, key_of, lookup, material};
use crate::plan::Plan;
use crate::runs::RunRecord;

/// One reason a stage will (or will not) run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// A complete cache entry exists.
    Cached,
    /// Never run before under this name.
    New,
    ParamsChanged {
        params: Vec<String>,
    },
    InputChanged {
        inputs: Vec<String>,
    },
    KindVersionChanged {
        from: String,
        to: String,
    },
    SeedChanged {
        from: u64,
        to: u64,
    },
    /// A file or object the stage reads from outside the store changed.
    SourceChanged,
    /// Its upstream will run, so its inputs are not known yet.
    UpstreamWillRun {
        upstream: Vec<String>,
    },
    ArtifactMissing {
        output: String,
    },
    ArtifactCorrupt {
        output: String,
        detail: String,
    },
    /// Same material as the last run, but no cache entry (e.g. removed by `gc`).
    NotInCache,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cached => write!(f, "cached"),
            Self::New => write!(f, "new"),
            Self::ParamsChanged { params } => write!(f, "params changed: {}", params.join(", ")),
            Self::InputChanged { inputs } => write!(f, "input changed: {}", inputs.join(", ")),
            Self::KindVersionChanged { from, to } => write!(f, "kind version changed: {from} -> {to}"),
            Self::SeedChanged { from, to } => write!(f, "seed changed: {from} -> {to}"),
            Self::SourceChanged => write!(f, "source file changed"),
            Self::UpstreamWillRun { upstream } => write!(f, "upstream will run: {}", upstream.join(", ")),
            Self::ArtifactMissing { output } => write!(f, "artifact `{output}` missing"),
            Self::ArtifactCorrupt { output, detail } => write!(f, "artifact `{output}` corrupt ({detail})"),
            Self::NotInCache => write!(f, "not in cache"),
        }
    }
}

/// The status of one stage.
#[derive(Clone, Debug, Serialize)]
pub struct StageState {
    pub name: String,
    pub kind: String,
    /// Known when every input is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub will_run: bool,
    pub reasons: Vec<Reason>,
}

fn changed_keys(a: &serde_json::Value, b: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => changed_keys(p, q, &path, out),
                    _ => out.push(path),
                }
            }
        }
        _ if a != b => out.push(prefix.to_owned()),
        _ => {}
    }
}

/// Computes every stage's status. `deep` rehashes cached blobs (slower; finds corruption
/// that keeps the size).
pub fn status(plan: &Plan, store: &Store, previous: Option<&RunRecord>, deep: bool) -> Vec<StageState> {
    let n = plan.stages.len();
    let mut known: Vec<Option<BTreeMap<String, OutputRecord>>> = vec![None; n];
    let mut will_run = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for (i, stage) in plan.stages.iter().enumerate() {
        let mut reasons = Vec::new();
        let prev = previous.and_then(|r| r.stage(&stage.name));
        if let Some(p) = prev {
            if p.kind_version != stage.kind.version() {
                reasons.push(Reason::KindVersionChanged { from: p.kind_version.clone(), to: stage.kind.version().to_owned() });
            }
            let mut params = Vec::new();
            changed_keys(&p.params, &stage.params, "", &mut params);
            if !params.is_empty() {
                reasons.push(Reason::ParamsChanged { params });
            }
            if p.seed != stage.seed {
                reasons.push(Reason::SeedChanged { from: p.seed, to: stage.seed });
            }
            if p.sources != stage.sources {
                reasons.push(Reason::SourceChanged);
            }
        }
        let running_ups: Vec<String> = {
            let mut ups: Vec<usize> = stage.upstream().filter(|&u| will_run[u]).collect();
            ups.sort_unstable();
            ups.dedup();
            ups.into_iter().map(|u| plan.stages[u].name.clone()).collect()
        };
        let mut key = None;
        if running_ups.is_empty() {
            let m = material(plan, stage, &known).expect("all upstream known");
            let k = key_of(&m);
            key = Some(k.to_hex());
            match lookup(store, &k) {
                Lookup::Hit(manifest) => {
                    let corrupt = deep
                        .then(|| {
                            manifest
                                .outputs
                                .iter()
                                .find_map(|(name, o)| store.read(&BlobRef { hash: o.hash, bytes: o.bytes }).err().map(|e| (name.clone(), e.to_string())))
                        })
                        .flatten();
                    if let Some((output, detail)) = corrupt {
                        reasons = vec![Reason::ArtifactCorrupt { output, detail: detail.lines().next().unwrap_or_default().to_owned() }];
                    } else {
                        known[i] = Some(manifest.outputs);
                        out.push(StageState {
                            name: stage.name.clone(),
                            kind: stage.kind.kind().to_owned(),
                            key,
                            will_run: false,
                            reasons: vec![Reason::Cached],
                        });
                        continue;
                    }
                }
                Lookup::Broken { output, state } => {
                    reasons = vec![match state {
                        BlobState::WrongSize { found } => Reason::ArtifactCorrupt { output, detail: format!("found {found} bytes") },
                        _ => Reason::ArtifactMissing { output },
                    }]
                }
                Lookup::Miss => {
                    if let Some(p) = prev {
                        let changed: Vec<String> = p
                            .inputs
                            .iter()
                            .filter(|(slot, items)| {
                                let now: Vec<String> = m["inputs"][slot.as_str()]
                                    .as_array()
                                    .map(|a| a.iter().map(|x| x["hash"].as_str().unwrap_or_default().to_owned()).collect())
                                    .unwrap_or_default();
                                now != items.iter().map(|x| x.hash.to_hex()).collect::<Vec<_>>()
                            })
                            .map(|(slot, _)| slot.clone())
                            .collect();
                        if !changed.is_empty() {
                            reasons.push(Reason::InputChanged { inputs: changed });
                        }
                    }
                }
            }
        } else {
            reasons.push(Reason::UpstreamWillRun { upstream: running_ups });
        }
        if prev.is_none() && reasons.iter().all(|r| matches!(r, Reason::UpstreamWillRun { .. })) {
            reasons.insert(0, Reason::New);
        }
        if reasons.is_empty() {
            reasons.push(Reason::NotInCache);
        }
        will_run[i] = true;
        out.push(StageState { name: stage.name.clone(), kind: stage.kind.kind().to_owned(), key, will_run: true, reasons });
    }
    out
}
