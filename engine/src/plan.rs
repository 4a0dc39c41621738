//! Planning: a parsed [`Spec`] checked against the [`Registry`] becomes a [`Plan`], a
//! DAG of stages in a deterministic topological order.
//!
//! Checks, all reported together with file, line and column: unknown kinds, params that
//! do not fit the kind's typed `Params`, inputs naming no stage or no output, slots left
//! unbound or bound twice, and cycles.
//!
//! Binding rules for matrix stages: `inputs: [train]` where `train` has variants binds
//! the variant with the same axis values when this stage has those axes too (so a
//! per-variant stage follows its upstream variant); otherwise it binds every variant
//! (fan-in) and the slot must accept many. `train@gbdt` names one variant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::registry::Registry;
use crate::spec::{Diagnostic, Diagnostics, InputRef, Pos, Spec, StageSpec, did_you_mean};
use crate::stage::{Arity, DynStage, InputSlot, ParamIssue};

/// One upstream artifact feeding a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Index into [`Plan::stages`].
    pub stage: usize,
    pub output: &'static str,
}

/// The sources bound to one input slot.
#[derive(Clone, Debug)]
pub struct Binding {
    pub slot: InputSlot,
    pub sources: Vec<Source>,
}

/// A stage ready to key and run.
#[derive(Clone)]
pub struct PlannedStage {
    pub name: String,
    pub template: String,
    pub axes: Vec<(String, serde_json::Value)>,
    pub kind: Arc<dyn DynStage>,
    /// Normalized params: typed, defaults filled.
    pub params: serde_json::Value,
    pub seed: u64,
    /// One binding per declared input slot, in declaration order.
    pub bindings: Vec<Binding>,
    /// Fingerprints of what the stage reads from outside the store (see
    /// [`crate::Stage::sources`]); filled by [`Plan::fingerprint_sources`].
    pub sources: Option<serde_json::Value>,
}

impl std::fmt::Debug for PlannedStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedStage").field("name", &self.name).field("kind", &self.kind.kind()).finish_non_exhaustive()
    }
}

impl PlannedStage {
    /// Indices of the stages this one reads.
    pub fn upstream(&self) -> impl Iterator<Item = usize> + '_ {
        self.bindings.iter().flat_map(|b| b.sources.iter().map(|s| s.stage))
    }
}

/// A validated pipeline: stages in topological order (ties broken by file order).
#[derive(Clone, Debug)]
pub struct Plan {
    pub spec_path: PathBuf,
    pub pipeline: String,
    pub stages: Vec<PlannedStage>,
}

impl Plan {
    /// The folder relative paths in params resolve against: the spec's.
    pub fn base_dir(&self) -> &Path {
        self.spec_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    /// Fingerprints every stage's outside sources (files a stage reads), so that their
    /// content enters the stage keys. Needed before running or asking what would run;
    /// drawing the DAG does without (it touches no file or network).
    pub fn fingerprint_sources(&mut self) -> Result<(), crate::EngineError> {
        let base = self.base_dir().to_path_buf();
        for s in &mut self.stages {
            s.sources = s.kind.sources_json(&s.params, &base).map_err(|source| crate::EngineError::Stage {
                stage: s.name.clone(),
                kind: s.kind.kind().to_owned(),
                source,
            })?;
        }
        Ok(())
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }

    /// The DAG as a petgraph graph (node weights are stage indices; edges carry the slot).
    pub fn graph(&self) -> DiGraph<usize, &'static str> {
        let mut g = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..self.stages.len()).map(|i| g.add_node(i)).collect();
        for (i, stage) in self.stages.iter().enumerate() {
            for b in &stage.bindings {
                for s in &b.sources {
                    g.add_edge(nodes[s.stage], nodes[i], b.slot.name);
                }
            }
        }
        g
    }

    /// Keeps only `targets` and their ancestors (`--only`).
    pub fn restrict_to(self, targets: &[String]) -> Result<Self, String> {
        let mut keep = BTreeSet::new();
        let mut todo = Vec::new();
        for t in targets {
            let matched: Vec<usize> = self.stages.iter().enumerate().filter(|(_, s)| s.name == *t || s.template == *t).map(|(i, _)| i).collect();
            if matched.is_empty() {
                let hint = did_you_mean(t, self.stages.iter().map(|s| s.name.as_str())).map(|h| format!("\n  hint: {h}")).unwrap_or_default();
                return Err(format!("no stage named `{t}`{hint}"));
            }
            todo.extend(matched);
        }
        while let Some(i) = todo.pop() {
            if keep.insert(i) {
                todo.extend(self.stages[i].upstream());
            }
        }
        let remap: BTreeMap<usize, usize> = keep.iter().enumerate().map(|(new, old)| (*old, new)).collect();
        let stages = self
            .stages
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, mut s)| {
                for b in &mut s.bindings {
                    for src in &mut b.sources {
                        src.stage = remap[&src.stage];
                    }
                }
                s
            })
            .collect();
        Ok(Self { stages, ..self })
    }
}

/// Where a param issue points in the spec.
fn issue_pos(stage: &StageSpec, issue: &ParamIssue) -> Pos {
    let mut path = issue.path.clone();
    // serde reports an unknown field at its parent; point at the field itself.
    if let Some(field) = unknown_field(&issue.message)
        && path.last().map(String::as_str) != Some(field)
    {
        path.push(field.to_owned());
    }
    if stage.params.as_map().is_some_and(<[_]>::is_empty) && path.is_empty() {
        return stage.pos;
    }
    stage.params.locate(path.iter().map(String::as_str))
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// serde's "expected one of `a`, `b`" list, for suggestions.
fn expected_fields(message: &str) -> Vec<&str> {
    message
        .split_once("expected one of ")
        .or_else(|| message.split_once("expected "))
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default()
}

fn param_diagnostic(stage: &StageSpec, issue: &ParamIssue) -> Diagnostic {
    let pos = issue_pos(stage, issue);
    let where_ = if issue.path.is_empty() { String::new() } else { format!(" `{}`", issue.path.join(".")) };
    let mut message = format!("stage `{}` ({}): param{where_}: {}", stage.name, stage.kind, issue.message);
    if let Some(field) = unknown_field(&issue.message) {
        message = format!("stage `{}` ({}): unknown param `{field}`", stage.name, stage.kind);
        let hint = did_you_mean(field, expected_fields(&issue.message)).unwrap_or_else(|| format!("`mlfactory kinds {}` lists its params", stage.kind));
        return Diagnostic::new(pos, message).hint(hint);
    }
    Diagnostic::new(pos, message).maybe_hint(issue.hint.clone())
}

struct Resolver<'a> {
    spec: &'a Spec,
    kinds: Vec<Option<Arc<dyn DynStage>>>,
    by_name: BTreeMap<&'a str, usize>,
    by_template: BTreeMap<&'a str, Vec<usize>>,
}

impl Resolver<'_> {
    /// Resolves one `inputs:` entry of stage `me` to its sources.
    fn resolve(&self, me: usize, input: &InputRef, diags: &mut Diagnostics) -> Vec<Source> {
        let (stage_part, output) = match input.target.split_once('.') {
            Some((s, o)) => (s, Some(o)),
            None => (input.target.as_str(), None),
        };
        let spec_stage = &self.spec.stages[me];
        let upstream: Vec<usize> = if let Some(&i) = self.by_name.get(stage_part) {
            vec![i]
        } else if let Some(variants) = self.by_template.get(stage_part) {
            // Zip with a variant sharing our axis values, else fan in every variant.
            let zipped: Vec<usize> = variants
                .iter()
                .copied()
                .filter(|&v| {
                    let theirs = &self.spec.stages[v].axes;
                    !theirs.is_empty() && theirs.iter().all(|axis| spec_stage.axes.contains(axis))
                })
                .collect();
            if zipped.len() == 1 { zipped } else { variants.clone() }
        } else {
            let names = self.by_name.keys().chain(self.by_template.keys()).copied();
            diags.push(
                Diagnostic::new(input.pos, format!("stage `{}`: input `{}` names no stage", spec_stage.name, input.target))
                    .maybe_hint(did_you_mean(stage_part, names)),
            );
            return Vec::new();
        };
        let mut sources = Vec::new();
        for u in upstream {
            let Some(kind) = &self.kinds[u] else { continue };
            let outputs = kind.outputs();
            let slot = match output {
                None => outputs.first(),
                Some(o) => outputs.iter().find(|s| s.name == o),
            };
            match slot {
                Some(slot) => sources.push(Source { stage: u, output: slot.name }),
                None => {
                    let names = outputs.iter().map(|s| s.name);
                    let hint = did_you_mean(output.unwrap_or_default(), names.clone())
                        .unwrap_or_else(|| format!("`{}` outputs: {}", kind.kind(), names.collect::<Vec<_>>().join(", ")));
                    diags.push(
                        Diagnostic::new(input.pos, format!("stage `{}` has no output `{}`", self.spec.stages[u].name, output.unwrap_or_default())).hint(hint),
                    );
                    return Vec::new();
                }
            }
        }
        sources
    }
}

/// Binds a stage's resolved inputs to its kind's slots.
fn bind(stage: &StageSpec, kind: &dyn DynStage, resolved: Vec<(&InputRef, Vec<Source>)>, diags: &mut Diagnostics) -> Vec<Binding> {
    // An input that did not resolve was reported already; do not also call it missing.
    let unresolved = resolved.iter().any(|(_, sources)| sources.is_empty());
    let slots = kind.inputs();
    let mut bindings: Vec<Binding> = slots.iter().map(|s| Binding { slot: *s, sources: Vec::new() }).collect();
    let slot_names = || slots.iter().map(|s| s.name);
    let mut next_positional = 0usize;
    for (input, sources) in resolved {
        let index = match &input.slot {
            Some(key) => match slots.iter().position(|s| s.name == key.name) {
                Some(i) => i,
                None => {
                    let hint = did_you_mean(&key.name, slot_names())
                        .unwrap_or_else(|| format!("`{}` takes: {}", kind.kind(), slot_names().collect::<Vec<_>>().join(", ")));
                    diags.push(Diagnostic::new(key.pos, format!("stage `{}`: `{}` has no input `{}`", stage.name, kind.kind(), key.name)).hint(hint));
                    continue;
                }
            },
            None => {
                // Positional: fill slots in order; a `many` slot absorbs the rest.
                let i = next_positional.min(slots.len().saturating_sub(1));
                if next_positional >= slots.len() && !slots.last().is_some_and(|s| s.arity == Arity::Many) {
                    diags.push(
                        Diagnostic::new(
                            input.pos,
                            format!(
                                "stage `{}`: `{}` takes {} input(s) ({}), got more",
                                stage.name,
                                kind.kind(),
                                slots.len(),
                                slot_names().collect::<Vec<_>>().join(", ")
                            ),
                        )
                        .hint("name the slot: `inputs: {slot: stage}`"),
                    );
                    continue;
                }
                if slots[i].arity != Arity::Many {
                    next_positional += 1;
                }
                i
            }
        };
        bindings[index].sources.extend(sources);
    }
    for b in &bindings {
        match (b.slot.arity, b.sources.len()) {
            (Arity::One, 0) if !unresolved => diags.push(
                Diagnostic::new(stage.pos, format!("stage `{}`: missing input `{}` ({})", stage.name, b.slot.name, b.slot.doc))
                    .hint(format!("add `inputs: {{{}: <stage>}}`", b.slot.name)),
            ),
            (Arity::One | Arity::Optional, n) if n > 1 => diags.push(
                Diagnostic::new(
                    stage.pos,
                    format!("stage `{}`: input `{}` takes one artifact but {n} are bound (a matrix stage's variants?)", stage.name, b.slot.name),
                )
                .hint("give this stage the same `matrix` axes to run once per variant, or name one variant (`stage@variant`)"),
            ),
            _ => {}
        }
    }
    bindings
}

/// Reads, parses and plans the spec at `path`, reporting the problems of parsing and of
/// planning together (an unknown key and an input naming no stage in one message).
pub fn load_and_plan(path: &Path, overrides: &[crate::spec::Override], registry: &Registry) -> Result<Plan, Diagnostics> {
    let (spec, mut diags) = crate::spec::load_partial(path, overrides)?;
    match plan(&spec, registry) {
        Ok(planned) => diags.into_result().map(|()| planned),
        Err(more) => {
            diags.0.extend(more.0);
            Err(diags.attach_source(&spec.path, &spec.text))
        }
    }
}

/// Checks a spec against the registry and orders it.
pub fn plan(spec: &Spec, registry: &Registry) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::default();
    let kinds: Vec<Option<Arc<dyn DynStage>>> = spec
        .stages
        .iter()
        .map(|s| {
            let kind = registry.get(&s.kind).cloned();
            if kind.is_none() {
                diags.push(
                    Diagnostic::new(s.kind_pos, format!("stage `{}`: unknown stage kind `{}`", s.template, s.kind))
                        .hint(did_you_mean(&s.kind, registry.names()).unwrap_or_else(|| "`mlfactory kinds` lists every kind".into())),
                );
            }
            kind
        })
        .collect();
    // A matrix stage's variants share one kind; report its unknown kind once.
    diags.0.dedup_by(|a, b| a.pos == b.pos);

    let mut by_template: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in spec.stages.iter().enumerate() {
        if !s.axes.is_empty() {
            by_template.entry(s.template.as_str()).or_default().push(i);
        }
    }
    let resolver = Resolver { spec, kinds: kinds.clone(), by_name: spec.stages.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect(), by_template };

    let mut planned: Vec<Option<PlannedStage>> = Vec::with_capacity(spec.stages.len());
    for (i, s) in spec.stages.iter().enumerate() {
        let Some(kind) = &kinds[i] else {
            planned.push(None);
            continue;
        };
        let params = match kind.normalize(&s.params.to_json()) {
            Ok(p) => Some(p),
            Err(issue) => {
                diags.push(param_diagnostic(s, &issue));
                None
            }
        };
        let resolved: Vec<(&InputRef, Vec<Source>)> = s.inputs.iter().map(|inp| (inp, resolver.resolve(i, inp, &mut diags))).collect();
        let bindings = bind(s, kind.as_ref(), resolved, &mut diags);
        planned.push(params.map(|params| PlannedStage {
            name: s.name.clone(),
            template: s.template.clone(),
            axes: s.axes.clone(),
            kind: kind.clone(),
            params,
            seed: s.seed,
            bindings,
            sources: None,
        }));
    }
    check_cycles(spec, &planned, &mut diags);
    // Params of a matrix stage's variants fail alike; one report per position is enough.
    diags.0.sort_by_key(|d| d.pos);
    diags.0.dedup_by(|a, b| a.pos == b.pos && a.message.split(':').nth(1) == b.message.split(':').nth(1));
    diags.into_result().map_err(|d| d.attach_source(&spec.path, &spec.text))?;

    let stages: Vec<PlannedStage> = planned.into_iter().map(|p| p.expect("no diagnostics means every stage planned")).collect();
    Ok(Plan { spec_path: spec.path.clone(), pipeline: spec.pipeline.clone(), stages: topo_order(stages) })
}

fn check_cycles(spec: &Spec, planned: &[Option<PlannedStage>], diags: &mut Diagnostics) {
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..planned.len()).map(|i| g.add_node(i)).collect();
    for (i, p) in planned.iter().enumerate() {
        for u in p.iter().flat_map(PlannedStage::upstream) {
            g.add_edge(nodes[u], nodes[i], ());
        }
    }
    for scc in tarjan_scc(&g) {
        let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut members: Vec<usize> = scc.iter().map(|n| g[*n]).collect();
        members.sort_unstable();
        let first = &spec.stages[members[0]];
        let names: Vec<&str> = members.iter().map(|&m| spec.stages[m].name.as_str()).collect();
        let pos = first.inputs.first().map_or(first.pos, |i| i.pos);
        diags.push(
            Diagnostic::new(pos, format!("cycle between stages: {} -> {}", names.join(" -> "), names[0]))
                .hint("a stage cannot depend on its own output; remove one of these inputs"),
        );
    }
}

/// Kahn's algorithm, always taking the earliest ready stage in file order.
fn topo_order(stages: Vec<PlannedStage>) -> Vec<PlannedStage> {
    let n = stages.len();
    let mut indegree = vec![0usize; n];
    let mut children: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, s) in stages.iter().enumerate() {
        let ups: BTreeSet<usize> = s.upstream().collect();
        indegree[i] = ups.len();
        for u in ups {
            children[u].insert(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.insert(c);
            }
        }
    }
    let new_index: BTreeMap<usize, usize> = order.iter().enumerate().map(|(new, old)| (*old, new)).collect();
    let mut slots: Vec<Option<PlannedStage>> = stages.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&old| {
            let mut s = slots[old].take().expect("each stage once");
            for b in &mut s.bindings {
                for src in &mut b.sources {
                    src.stage = new_index[&src.stage];
                }
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests;
