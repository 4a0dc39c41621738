//! `${name}` interpolation of vars and matrix axes into a node tree.
//!
//! A string that is exactly `${name}` becomes the variable's value with its type (so
//! `horizon: ${h}` stays an integer); `${name}` inside a longer string is replaced by
//! the value's text. `$${` writes a literal `${`.

use std::collections::BTreeMap;

use super::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use super::node::{Node, Value};

/// Names in scope for interpolation, with their values.
pub type Scope<'a> = BTreeMap<&'a str, &'a Node>;

/// Replaces every `${name}` in `node` (recursively). Problems are pushed to `diags`.
pub fn interpolate(node: &Node, scope: &Scope<'_>, diags: &mut Diagnostics) -> Node {
    match &node.value {
        Value::Str(s) if s.contains('$') => interpolate_str(node, s, scope, diags),
        Value::Seq(items) => Node::new(node.pos, Value::Seq(items.iter().map(|i| interpolate(i, scope, diags)).collect())),
        Value::Map(entries) => Node::new(node.pos, Value::Map(entries.iter().map(|(k, v)| (k.clone(), interpolate(v, scope, diags))).collect())),
        _ => node.clone(),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn lookup<'a>(name: &str, node: &Node, scope: &Scope<'a>, diags: &mut Diagnostics) -> Option<&'a Node> {
    let found = scope.get(name).copied();
    if found.is_none() {
        diags.push(
            Diagnostic::new(node.pos, format!("unknown variable `${{{name}}}`"))
                .maybe_hint(did_you_mean(name, scope.keys().copied()).or_else(|| Some("define it under `vars:` or as a `matrix:` axis".into()))),
        );
    }
    found
}

fn interpolate_str(node: &Node, s: &str, scope: &Scope<'_>, diags: &mut Diagnostics) -> Node {
    // Whole-string reference: keep the value's type.
    if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
        && is_name(name)
    {
        return match lookup(name, node, scope, diags) {
            Some(value) => Node { pos: node.pos, value: value.value.clone() },
            None => node.clone(),
        };
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                diags.push(Diagnostic::new(node.pos, format!("unclosed `${{` in `{s}`")).hint("write `$${` for a literal `${`"));
                return node.clone();
            };
            let name = &after[..end];
            if let Some(value) = lookup(name, node, scope, diags) {
                match value.scalar_text() {
                    Some(text) => out.push_str(&text),
                    None => {
                        diags.push(Diagnostic::new(node.pos, format!("`${{{name}}}` is {} and cannot be spliced into the string `{s}`", value.type_name())))
                    }
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Node::new(node.pos, Value::Str(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::node::{Pos, parse_yaml};

    fn run(doc: &str, vars: &str) -> (serde_json::Value, Diagnostics) {
        let node = parse_yaml(doc).unwrap();
        let vars = parse_yaml(vars).unwrap();
        let scope: Scope<'_> = vars.as_map().unwrap().iter().map(|(k, v)| (k.name.as_str(), v)).collect();
        let mut diags = Diagnostics::default();
        let out = interpolate(&node, &scope, &mut diags);
        (out.to_json(), diags)
    }

    #[test]
    fn typed_whole_and_spliced_parts() {
        let (out, diags) = run("a: ${h}\nb: bars_${h}m\nc: $${literal}\nd: ${list}\n", "h: 5\nlist: [1, 2]\n");
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(out, serde_json::json!({"a": 5, "b": "bars_5m", "c": "${literal}", "d": [1, 2]}));
    }

    #[test]
    fn unknown_variable_suggests_nearest() {
        let (_, diags) = run("a: ${horizn}\n", "horizon: 5\n");
        assert_eq!(diags.0.len(), 1);
        assert_eq!(diags.0[0].pos, Pos { line: 1, column: 4 });
        assert_eq!(diags.0[0].hint.as_deref(), Some("did you mean `horizon`?"));
    }
}
