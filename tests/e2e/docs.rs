//! Generated docs are current, and every pipeline in `pipelines/` parses and plans.

use crate::support::{mlfactory, ok, repo};

fn stdout(cmd: &mut std::process::Command) -> String {
    String::from_utf8(ok(cmd).stdout).unwrap()
}

#[test]
fn schema_json_is_current() {
    let generated = stdout(mlfactory().arg("schema"));
    let checked_in = std::fs::read_to_string(repo().join("docs/schema.json")).unwrap_or_default();
    assert!(generated == checked_in, "docs/schema.json is stale: run `cargo run -- schema > docs/schema.json`");
}

#[test]
fn stage_reference_is_current() {
    let generated = stdout(mlfactory().args(["kinds", "--markdown"]));
    let checked_in = std::fs::read_to_string(repo().join("docs/stages.md")).unwrap_or_default();
    assert!(generated == checked_in, "docs/stages.md is stale: run `cargo run -- kinds --markdown > docs/stages.md`");
}

#[test]
fn every_pipeline_parses_and_plans() {
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("pipelines")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            ok(mlfactory().arg("dag").arg(&path));
            n += 1;
        }
    }
    assert!(n >= 1);
}
