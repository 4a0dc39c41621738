//! One LSTM training epoch on the CPU, the work of the Python peers' PyTorch anchor
//! (`../shared/anchors/python-peers`, `train_lstm`): LSTM(150 -> 64) + Linear(64 -> 3),
//! windows of 60 rows, batches of 512, Adam at 1e-3, float32; 200,000 windows per epoch.
//! `lstm_epoch_torch.py` beside this file is the same epoch in PyTorch.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo bench --workspace --bench lstm_epoch -- 200000
//! ```
//!
//! The argument is the number of windows (default 200,000). Weight decay, clipping, class
//! and sample weights and standardization are off so both sides do the same arithmetic.
//! Data are random (timing does not depend on values). Prints one line to stderr.

use std::time::Instant;

use mlfactory_engine::progress::NullProgress;
use mlfactory_models::{FitContext, ModelCatalog, ModelSpec, Samples};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let windows: usize = std::env::args().skip(1).find(|a| !a.starts_with('-')).map_or(200_000, |a| a.parse().expect("WINDOWS: a number"));
    let (seq_len, d) = (60, 150);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = Samples {
        features: (0..d).map(|j| format!("f{j}")).collect(),
        x: (0..windows * d).map(|_| rng.random_range(-2.0f32..2.0)).collect(),
        y: (0..windows).map(|_| rng.random_range(0..3u8)).collect(),
        weight: vec![1.0; windows],
        ret: vec![0.0; windows],
        ts: (0..windows as i64).collect(),
        t1: (0..windows as i64).collect(),
        segment: vec![0; windows],
        target: vec![f64::NAN; windows],
        layout: None,
    };
    let mut catalog = ModelCatalog::new();
    mlfactory_neural::add_types(&mut catalog);
    let params = serde_json::json!({
        "arch": {"seq_len": seq_len, "hidden": 64, "layers": 1, "dropout": 0.0},
        "train": {"epochs": 1, "batch_size": 512, "lr": 1e-3, "weight_decay": 0.0, "clip_norm": 0.0, "patience": 0,
                  "class_weight": "none", "sample_weights": false, "standardize": false}
    });
    let spec = catalog.normalize(&ModelSpec { model_type: "lstm".into(), params }, &[]).expect("params");
    let mut model = catalog.build(&spec).expect("build");
    let start = Instant::now();
    let report = model.fit(&data, None, &FitContext::new(0, &NullProgress)).expect("fit");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "lstm epoch: {windows} windows x {seq_len} x {d}, batch 512: {secs:.2} s wall, {:.0} windows/s, loss {:.4}",
        windows as f64 / secs,
        report.train_loss[0]
    );
}
