//! `pipelines/factory.yaml` end to end: every model type of the catalog trains on the same
//! rows and lands in the comparison table. About 15 minutes in a debug build (the neural
//! nets dominate), so it is ignored by default:
//!
//! ```sh
//! cargo test --workspace --test e2e factory -- --ignored
//! ```

use crate::support::{mlfactory, ok, repo};

/// The model types `factory.yaml`'s matrix trains: the whole catalog.
const TYPES: &[&str] =
    &["logistic", "svm", "random_forest", "gbdt", "mlp", "lstm", "gru", "tcn", "transformer", "cnn", "multitask", "voting", "stacking", "blending"];

#[test]
#[ignore = "trains all 14 model types: about 15 minutes in a debug build"]
fn factory_trains_every_model_type_on_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo().join("pipelines/factory.yaml");
    ok(mlfactory().arg("run").arg(&spec).args(["--set", "bars.days=40", "--set", "splits.embargo=24", "-q"]).arg("--cache-dir").arg(dir.path()));
    let out = ok(mlfactory()
        .args(["query", "SELECT model, count(*) AS splits, sum(rows) AS rows FROM comparison GROUP BY model ORDER BY model", "--format", "csv"])
        .arg("--cache-dir")
        .arg(dir.path()));
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    // The comparison names each model by its stage, `train@<type>`.
    let mut models: Vec<&str> = rows.iter().map(|r| r[0].trim_start_matches("train@")).collect();
    let mut want = TYPES.to_vec();
    models.sort_unstable();
    want.sort_unstable();
    assert_eq!(models, want, "{csv}");
    // Identical data: every model is scored on val and test, on the same number of rows.
    assert!(rows.iter().all(|r| r[1] == "2" && r[2] == rows[0][2]), "{csv}");
}
