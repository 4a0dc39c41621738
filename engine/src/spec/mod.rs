//! The pipeline spec: YAML text -> a validated, expanded list of stages.
//!
//! A spec file looks like this:
//!
//! ```yaml
//! pipeline: mes            # a name for humans and run records
//! seed: 42                 # default seed of every stage
//! vars: {horizon: 20}      # ${horizon} anywhere below
//! stages:
//!   bars:   {kind: data.synth, params: {days: 365}}
//!   labels: {kind: labels.triple_barrier, inputs: [bars], params: {horizons: ["${horizon}"]}}
//! ```
//!
//! [`load`] parses the file into a positioned [`node::Node`] tree, applies `--set`
//! overrides, expands `matrix:` stages and interpolates `${var}`s. What it cannot know
//! (stage kinds, param types, whether inputs exist) is checked by [`crate::plan`], which
//! reports through the same [`Diagnostics`] so every error points at the file.

pub mod diagnostic;
pub mod interpolate;
pub mod matrix;
pub mod node;
mod overrides;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Diagnostics, did_you_mean};
pub use node::{Key, Node, Pos, Value};
pub use overrides::Override;

use self::interpolate::{Scope, interpolate};

/// The top-level keys a spec may have.
pub const TOP_LEVEL_KEYS: &[&str] = &["pipeline", "description", "seed", "vars", "stages"];
/// The keys a stage may have.
pub const STAGE_KEYS: &[&str] = &["kind", "inputs", "params", "matrix", "seed"];

/// A parsed spec: stages expanded and interpolated, not yet checked against kinds.
#[derive(Clone, Debug)]
pub struct Spec {
    pub path: PathBuf,
    /// The file's text, for error display.
    pub text: String,
    pub pipeline: String,
    pub description: Option<String>,
    pub seed: u64,
    /// In file order; a matrix stage's variants are consecutive.
    pub stages: Vec<StageSpec>,
}

/// One stage (or one variant of a matrix stage).
#[derive(Clone, Debug)]
pub struct StageSpec {
    /// `labels`, or `train@gbdt-5` for a matrix variant.
    pub name: String,
    /// The name as written in the file (`train`).
    pub template: String,
    /// Matrix axis values of this variant, in axis order (empty without a matrix).
    pub axes: Vec<(String, serde_json::Value)>,
    /// Position of the stage's name.
    pub pos: Pos,
    pub kind: String,
    pub kind_pos: Pos,
    pub inputs: Vec<InputRef>,
    /// The `params:` mapping, interpolated (an empty mapping when absent).
    pub params: Node,
    pub seed: u64,
}

/// One entry of a stage's `inputs:`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRef {
    /// The slot it binds to: `None` for list form (bound by position).
    pub slot: Option<Key>,
    /// `stage`, `stage.output`, `stage@variant` or `stage@variant.output`.
    pub target: String,
    pub pos: Pos,
}

/// Reads and parses a spec file, applying `--set` overrides.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Spec, Diagnostics> {
    let (spec, diags) = load_partial(path, overrides)?;
    diags.into_result()?;
    Ok(spec)
}

/// Parses spec text (`path` is used in messages only).
pub fn parse(path: &Path, text: &str, overrides: &[Override]) -> Result<Spec, Diagnostics> {
    let (spec, diags) = parse_partial(path, text, overrides)?;
    diags.into_result()?;
    Ok(spec)
}

/// Reads and parses a spec as far as it goes: the spec built from what is valid, and the
/// problems found (empty when none), so that planning can report its own problems with
/// them in one go. Only YAML that does not parse at all is an error here.
pub fn load_partial(path: &Path, overrides: &[Override]) -> Result<(Spec, Diagnostics), Diagnostics> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostics(vec![Diagnostic::new(Pos { line: 1, column: 1 }, format!("cannot read spec: {e}"))]).attach_source(path, ""))?;
    parse_partial(path, &text, overrides)
}

/// [`load_partial`] on spec text.
pub fn parse_partial(path: &Path, text: &str, overrides: &[Override]) -> Result<(Spec, Diagnostics), Diagnostics> {
    let mut root = node::parse_yaml(text).map_err(|e| yaml_error(&e).attach_source(path, text))?;
    let mut diags = Diagnostics::default();
    overrides::apply(&mut root, overrides, &mut diags);
    let spec = build(path, text, &root, &mut diags);
    Ok((spec, diags.attach_source(path, text)))
}

fn yaml_error(e: &serde_saphyr::Error) -> Diagnostics {
    let pos = e.location().map_or(Pos { line: 1, column: 1 }, |l| Pos { line: l.line() as u32, column: l.column() as u32 });
    // serde-saphyr's message may embed a snippet; keep the first line.
    let message = e.to_string();
    let first = message.lines().next().unwrap_or("invalid YAML").trim().to_owned();
    Diagnostics(vec![Diagnostic::new(pos, format!("invalid YAML: {first}")).hint("check indentation, colons and brackets near this line")])
}

fn check_keys(map: &[(Key, Node)], allowed: &[&str], what: &str, diags: &mut Diagnostics) {
    for (key, _) in map {
        if !allowed.contains(&key.name.as_str()) {
            let hint = did_you_mean(&key.name, allowed.iter().copied()).unwrap_or_else(|| format!("{what} keys are: {}", allowed.join(", ")));
            diags.push(Diagnostic::new(key.pos, format!("unknown {what} key `{}`", key.name)).hint(hint));
        }
    }
}

fn as_seed(node: &Node, diags: &mut Diagnostics) -> Option<u64> {
    match node.value {
        Value::Int(i) if i >= 0 => Some(i as u64),
        _ => {
            diags.push(Diagnostic::new(node.pos, format!("`seed` must be a non-negative integer, found {}", node.type_name())));
            None
        }
    }
}

/// Stage names become file names, CLI arguments and `stage.output` references.
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn build(path: &Path, text: &str, root: &Node, diags: &mut Diagnostics) -> Spec {
    let mut spec = Spec { path: path.to_path_buf(), text: text.to_owned(), pipeline: String::new(), description: None, seed: 0, stages: Vec::new() };
    let Some(top) = root.as_map() else {
        diags.push(Diagnostic::new(root.pos, format!("a spec must be a mapping with `pipeline` and `stages`, found {}", root.type_name())));
        return spec;
    };
    check_keys(top, TOP_LEVEL_KEYS, "top-level", diags);

    match root.get("pipeline") {
        Some(n) => match n.as_str() {
            Some(s) => s.clone_into(&mut spec.pipeline),
            None => diags.push(Diagnostic::new(n.pos, format!("`pipeline` must be a string, found {}", n.type_name()))),
        },
        None => diags.push(Diagnostic::new(root.pos, "missing `pipeline` (the pipeline's name)").hint("add `pipeline: my-pipeline` at the top")),
    }
    spec.description = root.get("description").and_then(|n| n.as_str().map(str::to_owned));
    if let Some(seed) = root.get("seed").and_then(|n| as_seed(n, diags)) {
        spec.seed = seed;
    }

    // vars, each interpolated with the vars defined before it.
    let mut vars: Vec<(String, Node)> = Vec::new();
    if let Some(v) = root.get("vars") {
        match v.as_map() {
            Some(entries) => {
                for (key, value) in entries {
                    let scope: Scope<'_> = vars.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    let value = interpolate(value, &scope, diags);
                    vars.push((key.name.clone(), value));
                }
            }
            None => diags.push(Diagnostic::new(v.pos, format!("`vars` must be a mapping, found {}", v.type_name()))),
        }
    }

    let Some(stages) = root.get("stages") else {
        diags.push(Diagnostic::new(root.pos, "missing `stages`").hint("add a `stages:` mapping of stage name -> {kind, inputs, params}"));
        return spec;
    };
    let Some(stages) = stages.as_map() else {
        diags.push(Diagnostic::new(stages.pos, format!("`stages` must be a mapping of stage name -> stage, found {}", stages.type_name())));
        return spec;
    };
    if stages.is_empty() {
        diags.push(Diagnostic::new(root.get("stages").map_or(root.pos, |n| n.pos), "`stages` is empty"));
    }
    for (key, body) in stages {
        if !valid_stage_name(&key.name) {
            diags.push(Diagnostic::new(key.pos, format!("invalid stage name `{}`", key.name)).hint("use letters, digits, `_` and `-`, starting with a letter"));
            continue;
        }
        build_stage(key, body, &vars, spec.seed, &mut spec.stages, diags);
    }
    spec
}

fn build_stage(key: &Key, body: &Node, vars: &[(String, Node)], default_seed: u64, out: &mut Vec<StageSpec>, diags: &mut Diagnostics) {
    let Some(fields) = body.as_map() else {
        diags.push(Diagnostic::new(body.pos, format!("stage `{}` must be a mapping with `kind`, found {}", key.name, body.type_name())));
        return;
    };
    check_keys(fields, STAGE_KEYS, "stage", diags);
    let Some(kind) = body.get("kind") else {
        diags.push(Diagnostic::new(key.pos, format!("stage `{}` has no `kind`", key.name)).hint("add `kind: <stage kind>`; `mlfactory kinds` lists them"));
        return;
    };
    let Some(kind_name) = kind.as_str() else {
        diags.push(Diagnostic::new(kind.pos, format!("`kind` must be a string, found {}", kind.type_name())));
        return;
    };

    let variants = match body.get("matrix") {
        Some(m) => matrix::expand(m, diags),
        None => vec![matrix::Variant { suffix: String::new(), values: Vec::new() }],
    };
    for variant in variants {
        let mut scope: Scope<'_> = vars.iter().map(|(k, v)| (k.as_str(), v)).collect();
        for (axis, value) in &variant.values {
            if scope.insert(axis.name.as_str(), value).is_some() && vars.iter().any(|(k, _)| *k == axis.name) {
                diags.push(Diagnostic::new(axis.pos, format!("matrix axis `{}` has the same name as a var", axis.name)).hint("rename one of them"));
            }
        }
        let params = match body.get("params") {
            Some(p) if p.as_map().is_some() => interpolate(p, &scope, diags),
            Some(p) if matches!(p.value, Value::Null) => Node::new(p.pos, Value::Map(Vec::new())),
            Some(p) => {
                diags.push(Diagnostic::new(p.pos, format!("`params` must be a mapping, found {}", p.type_name())));
                Node::new(p.pos, Value::Map(Vec::new()))
            }
            None => Node::new(key.pos, Value::Map(Vec::new())),
        };
        let inputs = body.get("inputs").map(|i| parse_inputs(&interpolate(i, &scope, diags), diags)).unwrap_or_default();
        let seed = body.get("seed").map(|s| interpolate(s, &scope, diags)).and_then(|s| as_seed(&s, diags)).unwrap_or(default_seed);
        let name = if variant.suffix.is_empty() { key.name.clone() } else { format!("{}@{}", key.name, variant.suffix) };
        out.push(StageSpec {
            name,
            template: key.name.clone(),
            axes: variant.values.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect(),
            pos: key.pos,
            kind: kind_name.to_owned(),
            kind_pos: kind.pos,
            inputs,
            params,
            seed,
        });
    }
}

/// `inputs:` as a string, a list of strings, or a mapping slot -> string | list.
fn parse_inputs(node: &Node, diags: &mut Diagnostics) -> Vec<InputRef> {
    let mut out = Vec::new();
    let mut push_target = |slot: Option<&Key>, n: &Node, diags: &mut Diagnostics| match n.as_str() {
        Some(s) => out.push(InputRef { slot: slot.cloned(), target: s.to_owned(), pos: n.pos }),
        None => diags.push(Diagnostic::new(n.pos, format!("an input must name a stage (`stage` or `stage.output`), found {}", n.type_name()))),
    };
    match &node.value {
        Value::Str(_) => push_target(None, node, diags),
        Value::Seq(items) => items.iter().for_each(|i| push_target(None, i, diags)),
        Value::Map(entries) => {
            for (slot, value) in entries {
                match &value.value {
                    Value::Seq(items) => items.iter().for_each(|i| push_target(Some(slot), i, diags)),
                    _ => push_target(Some(slot), value, diags),
                }
            }
        }
        Value::Null => {}
        _ => diags.push(Diagnostic::new(node.pos, format!("`inputs` must be a list of stage names or a mapping slot -> stage, found {}", node.type_name()))),
    }
    out
}

/// Stage specs by name, for lookups.
pub fn by_name(spec: &Spec) -> BTreeMap<&str, &StageSpec> {
    spec.stages.iter().map(|s| (s.name.as_str(), s)).collect()
}

#[cfg(test)]
mod tests;
