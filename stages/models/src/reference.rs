//! The model-type reference, generated from the catalog: what `mlfactory models` prints
//! and what `docs/models.md` quotes. Params come from each type's JSON Schema (their doc
//! comments and defaults), so the reference cannot drift from the code.

use std::fmt::Write as _;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::catalog::{ModelCatalog, ModelType};

/// One documented param of a model type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParamDoc {
    pub name: String,
    /// JSON type, or the allowed values of an enum.
    pub ty: String,
    /// The default, as JSON.
    pub default: String,
    pub description: String,
}

/// A type's params, in declaration order.
pub fn params(kind: &dyn ModelType) -> Vec<ParamDoc> {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let schema = kind.params_schema(&mut generator).to_value();
    let defs = Value::Object(generator.take_definitions(true));
    let resolve = |v: &Value| -> Value {
        v.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).and_then(|name| defs.get(name).cloned()).unwrap_or_else(|| v.clone())
    };
    let root = resolve(&schema);
    let Some(props) = root.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .map(|(name, p)| {
            let r = resolve(p);
            let enum_values = |v: &Value| -> Option<String> {
                let one_of = v.get("oneOf")?.as_array()?;
                let values: Vec<String> =
                    one_of.iter().filter_map(|o| o.get("const").or_else(|| o.get("enum").and_then(|e| e.get(0)))).map(Value::to_string).collect();
                (values.len() == one_of.len()).then(|| values.join(" | "))
            };
            let ty = r
                .get("enum")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Value::to_string).collect::<Vec<_>>().join(" | "))
                .or_else(|| enum_values(&r))
                .or_else(|| {
                    r.get("type").map(|t| match t {
                        Value::Array(a) => a.iter().filter_map(Value::as_str).filter(|s| *s != "null").collect::<Vec<_>>().join(" | "),
                        other => other.as_str().unwrap_or("object").to_owned(),
                    })
                })
                .unwrap_or_else(|| "object".to_owned());
            let default = root.get("default").and_then(|d| d.get(name)).or_else(|| p.get("default")).map(Value::to_string).unwrap_or_default();
            let description = p.get("description").or_else(|| r.get("description")).and_then(Value::as_str).unwrap_or_default().replace('\n', " ");
            ParamDoc { name: name.clone(), ty, default, description }
        })
        .collect()
}

/// One type as markdown: a heading, its summary and its params table.
pub fn describe(kind: &dyn ModelType) -> String {
    let mut out = String::new();
    let seq = if kind.sequence() { " Reads sequence windows." } else { "" };
    let _ = writeln!(out, "### `{}`\n\n{}{seq}\n", kind.name(), kind.about());
    let rows = params(kind);
    if !rows.is_empty() {
        let _ = writeln!(out, "| param | type | default | description |\n|---|---|---|---|");
        for p in rows {
            let _ = writeln!(out, "| `{}` | {} | `{}` | {} |", p.name, p.ty, p.default, p.description);
        }
    }
    out
}

/// Every type of the catalog, sorted by name.
pub fn markdown(catalog: &ModelCatalog) -> String {
    let mut out = String::new();
    for kind in catalog.types() {
        out.push_str(&describe(kind.as_ref()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_param_of_every_type_is_documented_with_a_default() {
        let mut catalog = ModelCatalog::new();
        crate::add_types(&mut catalog);
        for kind in catalog.types() {
            let rows = params(kind.as_ref());
            assert!(!rows.is_empty(), "`{}` has params", kind.name());
            for p in rows {
                assert!(!p.description.is_empty(), "`{}.{}` has a doc comment", kind.name(), p.name);
                assert!(!p.default.is_empty(), "`{}.{}` has a default", kind.name(), p.name);
            }
        }
        let gbdt = describe(catalog.get("gbdt").unwrap().as_ref());
        assert!(gbdt.contains("| `num_leaves` | integer | `31` |"), "{gbdt}");
        assert!(gbdt.contains("\"leafwise\" | \"depthwise\""), "{gbdt}");
    }

    #[test]
    fn docs_quote_the_generated_reference() {
        // `MLFACTORY_BLESS=1 cargo test --workspace docs_quote` rewrites the section.
        let dir = mlfactory_market::reference::package_dir(env!("CARGO_MANIFEST_DIR"));
        let path = dir.join("../../docs/models.md");
        let docs = std::fs::read_to_string(&path).expect("docs/models.md");
        let mut catalog = ModelCatalog::new();
        crate::add_types(&mut catalog);
        let stale: Vec<&str> = catalog.types().filter(|k| !docs.contains(&describe(k.as_ref()))).map(|k| k.name()).collect();
        if !stale.is_empty() && std::env::var_os("MLFACTORY_BLESS").is_some() {
            let head = docs.split(MARKER).next().expect("split yields one part");
            std::fs::write(&path, format!("{head}{MARKER}\n\n{}\n", markdown(&catalog).trim_end())).expect("writing docs/models.md");
            return;
        }
        assert!(stale.is_empty(), "docs/models.md is stale for {stale:?}: run `MLFACTORY_BLESS=1 cargo test --workspace docs_quote`");
    }

    const MARKER: &str = "<!-- generated: mlfactory models --markdown -->";
}
