//! `matrix:` expansion: one stage template becomes one stage per combination of axis
//! values, named deterministically.
//!
//! ```yaml
//! train:
//!   kind: models.train
//!   matrix: {model: [gbdt, logistic], horizon: [5, 20]}
//!   params: {model: {type: "${model}"}, horizon: "${horizon}"}
//! ```
//!
//! gives `train@gbdt-5`, `train@gbdt-20`, `train@logistic-5`, `train@logistic-20`
//! (axes in file order, values in list order). Each axis is a variable in the stage's
//! interpolation scope.

use super::diagnostic::{Diagnostic, Diagnostics};
use super::node::{Key, Node, Value};

/// One combination of axis values.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// The suffix after `@` in the stage name.
    pub suffix: String,
    /// `(axis, value)` in axis order.
    pub values: Vec<(Key, Node)>,
}

/// A short, shell-friendly label for a value: scalars by their text, mappings by their
/// first scalar field (`{type: gbdt, …}` -> `gbdt`), anything else by position.
fn label(value: &Node, index: usize) -> String {
    let text = match &value.value {
        Value::Map(entries) => entries.iter().find_map(|(_, v)| v.scalar_text()),
        _ => value.scalar_text(),
    };
    let text = text.unwrap_or_else(|| index.to_string());
    let clean: String = text
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => c,
            '.' => 'p',
            _ => '_',
        })
        .collect();
    if clean.is_empty() { index.to_string() } else { clean }
}

/// Expands a `matrix:` mapping into its variants. `None` input means "no matrix".
pub fn expand(matrix: &Node, diags: &mut Diagnostics) -> Vec<Variant> {
    let Some(axes) = matrix.as_map() else {
        diags.push(Diagnostic::new(matrix.pos, format!("`matrix` must be a mapping of axis -> list of values, found {}", matrix.type_name())));
        return Vec::new();
    };
    let mut variants = vec![Variant { suffix: String::new(), values: Vec::new() }];
    for (axis, values) in axes {
        let Value::Seq(items) = &values.value else {
            diags.push(Diagnostic::new(values.pos, format!("matrix axis `{}` must be a list, found {}", axis.name, values.type_name())));
            return Vec::new();
        };
        if items.is_empty() {
            diags.push(Diagnostic::new(values.pos, format!("matrix axis `{}` has no values", axis.name)));
            return Vec::new();
        }
        let labels = unique_labels(items);
        variants = variants
            .into_iter()
            .flat_map(|v| {
                items.iter().zip(&labels).map(move |(item, lab)| {
                    let mut values = v.values.clone();
                    values.push((axis.clone(), item.clone()));
                    let suffix = if v.suffix.is_empty() { lab.clone() } else { format!("{}-{lab}", v.suffix) };
                    Variant { suffix, values }
                })
            })
            .collect();
    }
    variants
}

fn unique_labels(items: &[Node]) -> Vec<String> {
    let labels: Vec<String> = items.iter().enumerate().map(|(i, n)| label(n, i)).collect();
    labels.iter().enumerate().map(|(i, l)| if labels.iter().filter(|m| *m == l).count() > 1 { format!("{l}{i}") } else { l.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::node::parse_yaml;

    #[test]
    fn cartesian_product_in_file_order() {
        let m = parse_yaml("model: [gbdt, {type: lstm, layers: 2}]\nh: [5, 0.5]\n").unwrap();
        let mut diags = Diagnostics::default();
        let v = expand(&m, &mut diags);
        assert!(diags.is_empty());
        let names: Vec<_> = v.iter().map(|v| v.suffix.as_str()).collect();
        assert_eq!(names, ["gbdt-5", "gbdt-0p5", "lstm-5", "lstm-0p5"]);
        assert_eq!(v[3].values[1].1.to_json(), serde_json::json!(0.5));
    }

    #[test]
    fn duplicate_labels_are_disambiguated() {
        let m = parse_yaml("x: [a.b, a_b, [1]]\n").unwrap();
        let v = expand(&m, &mut Diagnostics::default());
        let names: Vec<_> = v.iter().map(|v| v.suffix.as_str()).collect();
        assert_eq!(names, ["apb", "a_b", "2"]);
        let m = parse_yaml("x: [a, a]\n").unwrap();
        let v = expand(&m, &mut Diagnostics::default());
        assert_eq!(v[0].suffix, "a0");
        assert_eq!(v[1].suffix, "a1");
    }
}
