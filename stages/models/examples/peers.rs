//! Rust side of the model comparison with Python peers (see `peers/peers.py` and
//! docs/performance.md, "## Models"): trains mlfactory's models on the train split of a
//! `dataset` Parquet file and prints one JSON line per model with the test log loss,
//! accuracy and fit time (wall and CPU of this process).
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo run -p mlfactory-models --example peers \
//!   --config 'profile.dev.package.mlfactory-models.opt-level=3' -- DIR/dataset.parquet [gbdt,logistic,random_forest,svm] [ROUNDS]
//! ```
#![allow(clippy::print_stdout)]

use std::time::Instant;

use anyhow::Context as _;
use mlfactory_engine::progress::NullProgress;
use mlfactory_models::{FitContext, Metrics, ModelSpec, Samples};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).context("usage: peers DATASET.parquet [MODELS] [ROUNDS]")?;
    let models = args.get(2).map_or("gbdt,logistic,random_forest,svm", String::as_str);
    let rounds: usize = args.get(3).map_or(Ok(200), |r| r.parse())?;
    let table = mlfactory_artifacts::table::decode_parquet(std::fs::read(path)?)?;
    let train = Samples::from_dataset(&table, Some("train"))?;
    let test = Samples::from_dataset(&table, Some("test"))?;
    let mut catalog = mlfactory_models::ModelCatalog::new();
    mlfactory_models::add_types(&mut catalog);
    for name in models.split(',') {
        // The peers' settings: LightGBM without early stopping, sklearn's forest defaults.
        let params = match name {
            "gbdt" => serde_json::json!({"num_rounds": rounds, "early_stopping_rounds": 0}),
            _ => serde_json::json!({}),
        };
        let spec = catalog.normalize(&ModelSpec { model_type: name.to_owned(), params }, &[]).map_err(|i| anyhow::anyhow!("{}", i.message))?;
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let mut model = catalog.build(&spec)?;
        model.fit(&train, None, &FitContext::new(0, &NullProgress))?;
        let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        let m = Metrics::compute(&test.y, &model.predict_proba(&test)?);
        let line = serde_json::json!({"model": name, "peer": false, "test_log_loss": m.log_loss, "test_accuracy": m.accuracy,
            "fit_wall_s": wall, "fit_cpu_s": cpu, "train_rows": train.len(), "features": train.n_features()});
        println!("{line}");
    }
    Ok(())
}
