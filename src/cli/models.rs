//! `mlfactory models`: the model types a spec's `model: {type, params}` may name, with
//! their documented params (generated from the catalog's schemas).

use std::fmt::Write as _;
use std::process::ExitCode;

use mlfactory_engine::EngineError;
use mlfactory_models::reference;

use super::store::{print_json, print_text};

pub(crate) fn models(name: Option<&str>, markdown: bool, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = mlfactory_stages::model_catalog();
    if markdown {
        print_text(&reference::markdown(&catalog));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = name else {
        if json {
            let all: Vec<serde_json::Value> = catalog
                .types()
                .map(|k| serde_json::json!({"type": k.name(), "about": k.about(), "sequence": k.sequence(), "params": reference::params(k.as_ref())}))
                .collect();
            print_json(&all)?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut out = String::new();
        for k in catalog.types() {
            let _ = writeln!(out, "{:<16} {}", k.name(), k.about());
        }
        out.push_str("\n`mlfactory models TYPE` lists a type's params.\n");
        print_text(&out);
        return Ok(ExitCode::SUCCESS);
    };
    let Some(kind) = catalog.get(name) else {
        let names: Vec<&str> = catalog.types().map(|k| k.name()).collect();
        let hint = mlfactory_engine::spec::did_you_mean(name, names.iter().copied()).unwrap_or_else(|| format!("model types: {}", names.join(", ")));
        return Err(EngineError::Usage(format!("no model type `{name}`\n  hint: {hint}")).into());
    };
    if json {
        print_json(&serde_json::json!({"type": kind.name(), "about": kind.about(), "sequence": kind.sequence(), "params": reference::params(kind.as_ref())}))?;
    } else {
        print_text(&reference::describe(kind.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}
