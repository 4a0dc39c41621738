//! `--set` overrides, applied to the parsed tree before anything else:
//!
//! - `--set STAGE.PARAM=VALUE` (PARAM may be a dotted path into nested params),
//! - `--set vars.NAME=VALUE`,
//! - `--set seed=VALUE`.
//!
//! VALUE is read as YAML, so `5` is an integer, `[5, 10]` a list and `abc` a string.

use std::fmt;
use std::str::FromStr;

use super::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use super::node::{Key, Node, Pos, Value, parse_yaml};

/// One `PATH=VALUE` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: Vec<String>,
    pub value: Node,
    text: String,
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, value) = s.split_once('=').ok_or_else(|| format!("`{s}` is not STAGE.PARAM=VALUE"))?;
        let path: Vec<String> = path.trim().split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("`{s}`: empty name in the path before `=`"));
        }
        let value = match parse_yaml(value) {
            Ok(node) => reposition(node),
            Err(_) => Node::new(Pos::CLI, Value::Str(value.to_owned())),
        };
        Ok(Self { path, value, text: s.to_owned() })
    }
}

fn reposition(mut node: Node) -> Node {
    node.pos = Pos::CLI;
    node.value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(reposition).collect()),
        Value::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (Key { pos: Pos::CLI, name: k.name }, reposition(v))).collect()),
        other => other,
    };
    node
}

fn child_map<'a>(node: &'a mut Node, key: &str) -> &'a mut Node {
    if !matches!(node.value, Value::Map(_)) {
        node.value = Value::Map(Vec::new());
    }
    let Value::Map(entries) = &mut node.value else { unreachable!("made a map above") };
    let index = match entries.iter().position(|(k, _)| k.name == key) {
        Some(i) => i,
        None => {
            entries.push((Key { pos: Pos::CLI, name: key.to_owned() }, Node::new(Pos::CLI, Value::Map(Vec::new()))));
            entries.len() - 1
        }
    };
    &mut entries[index].1
}

fn set_path(node: &mut Node, path: &[String], value: Node) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut cur = node;
    for p in parents {
        cur = child_map(cur, p);
    }
    *child_map(cur, last) = value;
}

/// Applies every override to the spec's root mapping.
pub(super) fn apply(root: &mut Node, overrides: &[Override], diags: &mut Diagnostics) {
    if overrides.is_empty() || root.as_map().is_none() {
        return;
    }
    for o in overrides {
        match o.path[0].as_str() {
            "seed" if o.path.len() == 1 => set_path(root, &o.path, o.value.clone()),
            "vars" if o.path.len() > 1 => set_path(root, &o.path, o.value.clone()),
            stage if o.path.len() > 1 => {
                let names: Vec<String> = root.get("stages").and_then(Node::as_map).map(|m| m.iter().map(|(k, _)| k.name.clone()).collect()).unwrap_or_default();
                if names.iter().any(|n| n == stage) {
                    let stage_node = child_map(child_map(root, "stages"), stage);
                    set_path(child_map(stage_node, "params"), &o.path[1..], o.value.clone());
                } else {
                    diags.push(
                        Diagnostic::new(Pos::CLI, format!("`--set {o}`: no stage named `{stage}`"))
                            .maybe_hint(did_you_mean(stage, names.iter().map(String::as_str))),
                    );
                }
            }
            _ => diags.push(Diagnostic::new(Pos::CLI, format!("`--set {o}`: expected STAGE.PARAM=VALUE, vars.NAME=VALUE or seed=VALUE"))),
        }
    }
}
