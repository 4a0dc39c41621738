//! Tests of every type through the catalog and the `Model` trait, on small synthetic data:
//! learning, determinism (two fits, 1 vs 4 threads), save/load, leakage, errors.

use mlfactory_engine::progress::NullProgress;
use mlfactory_models::{FitContext, Model, ModelCatalog, ModelSpec, Samples, SavedModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rstest::rstest;
use serde_json::{Value, json};

use crate::add_types;

fn catalog() -> ModelCatalog {
    let mut c = ModelCatalog::new();
    add_types(&mut c);
    c
}

/// `n` rows of 4 features in two segments; the class follows feature 0 of this row and of
/// the previous row, so both tabular and sequence models can learn it.
fn data(n: usize, seed: u64) -> Samples {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 4;
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let score = |i: usize| x[i * d] + if i > 0 { 0.5 * x[(i - 1) * d] } else { 0.0 };
    let y: Vec<u8> = (0..n)
        .map(|i| match score(i) {
            s if s > 0.4 => 2,
            s if s < -0.4 => 0,
            _ => 1,
        })
        .collect();
    let ret: Vec<f64> = (0..n).map(|i| score(i) as f64 * 0.01 + rng.random_range(-0.001..0.001)).collect();
    Samples {
        features: (0..d).map(|j| format!("f{j}")).collect(),
        x,
        y,
        weight: (0..n).map(|i| if i % 7 == 0 { 0.5 } else { 1.0 }).collect(),
        target: ret.iter().map(|r| r.abs() + 0.001).collect(),
        ret,
        ts: (0..n as i64).collect(),
        t1: (1..=n as i64).collect(),
        segment: (0..n).map(|i| i64::from(i >= n / 2)).collect(),
    }
}

const TRAIN: &str = r#"{"epochs": 4, "batch_size": 32, "lr": 0.01, "restart_epochs": 2, "patience": 0}"#;

/// Small params of every type.
fn spec(model_type: &str) -> ModelSpec {
    let train: Value = serde_json::from_str(TRAIN).unwrap();
    let arch = match model_type {
        "mlp" => json!({"hidden": [16, 8]}),
        "lstm" | "gru" => json!({"seq_len": 6, "hidden": 8, "layers": 2, "dropout": 0.1}),
        "tcn" => json!({"seq_len": 6, "channels": 8, "levels": 2}),
        "transformer" => json!({"seq_len": 6, "d_model": 8, "heads": 2, "layers": 1, "ff": 16}),
        "cnn" => json!({"seq_len": 6, "channels": [8], "kernel_size": 3}),
        "multitask" => {
            return ModelSpec { model_type: "multitask".into(), params: json!({"encoder": {"type": "lstm", "seq_len": 6, "hidden": 8}, "train": train}) };
        }
        other => panic!("no params for {other}"),
    };
    ModelSpec { model_type: model_type.into(), params: json!({"arch": arch, "train": train}) }
}

fn fit(model_type: &str, seed: u64) -> (Box<dyn Model>, mlfactory_models::FitReport) {
    let c = catalog();
    let spec = c.normalize(&spec(model_type), &["model"]).unwrap();
    let mut model = c.build(&spec).unwrap();
    let report = model.fit(&data(240, 1), Some(&data(80, 2)), &FitContext::new(seed, &NullProgress)).unwrap();
    (model, report)
}

const TYPES: [&str; 7] = ["mlp", "lstm", "gru", "tcn", "transformer", "cnn", "multitask"];

#[rstest]
fn every_type_learns_and_round_trips(#[values("mlp", "lstm", "gru", "tcn", "transformer", "cnn", "multitask")] model_type: &str) {
    let (model, report) = fit(model_type, 7);
    assert_eq!(report.train_loss.len(), 4);
    assert!(report.train_loss[3] < report.train_loss[0], "{model_type}: training loss did not fall: {:?}", report.train_loss);
    let test = data(60, 3);
    let p = model.predict_proba(&test).unwrap();
    assert_eq!(p.len(), 60);
    assert!(p.iter().all(|r| r.iter().all(|v| (0.0..=1.0).contains(v)) && (r.iter().sum::<f64>() - 1.0).abs() < 1e-5));
    // Saved bytes load back to a model that predicts exactly the same.
    let bytes = model.save().unwrap().to_bytes().unwrap();
    let loaded = catalog().load(&SavedModel::from_bytes(&bytes).unwrap()).unwrap();
    assert_eq!(loaded.type_name(), model_type);
    assert_eq!(loaded.predict_proba(&test).unwrap(), p);
    assert_eq!(loaded.predict_return(&test).unwrap(), model.predict_return(&test).unwrap());
    assert_eq!(loaded.save().unwrap().to_bytes().unwrap(), bytes);
    assert_eq!(model.predict_return(&test).unwrap().is_some(), model_type == "multitask");
}

#[test]
fn two_fits_give_identical_model_files_and_seeds_matter() {
    for model_type in TYPES {
        let a = fit(model_type, 11).0.save().unwrap().to_bytes().unwrap();
        let b = fit(model_type, 11).0.save().unwrap().to_bytes().unwrap();
        assert!(a == b, "{model_type}: two fits differ");
        let c = fit(model_type, 12).0.save().unwrap().to_bytes().unwrap();
        assert!(a != c, "{model_type}: the seed changes nothing");
    }
}

/// Env var naming the file a child process writes its model bytes to.
const CHILD_OUT: &str = "MLFACTORY_NEURAL_CHILD_OUT";

/// Run by [`identical_for_1_and_4_threads`] in a child process whose thread count is set by
/// `RAYON_NUM_THREADS` (candle reads it for its matmuls and element-wise kernels).
#[test]
#[ignore = "child of identical_for_1_and_4_threads"]
fn thread_count_child() {
    let out = std::env::var(CHILD_OUT).expect("run by identical_for_1_and_4_threads");
    let mut all = Vec::new();
    for model_type in TYPES {
        all.extend(fit(model_type, 5).0.save().unwrap().to_bytes().unwrap());
    }
    std::fs::write(out, all).unwrap();
}

#[test]
fn identical_for_1_and_4_threads() {
    let dir = std::env::temp_dir().join(format!("mlfactory-neural-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |threads: &str| {
        let out = dir.join(format!("t{threads}.bin"));
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "tests::thread_count_child", "--test-threads", "1"])
            .env("RAYON_NUM_THREADS", threads)
            .env(CHILD_OUT, &out)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "child with {threads} threads failed");
        std::fs::read(&out).unwrap()
    };
    let one = run("1");
    let four = run("4");
    std::fs::remove_dir_all(&dir).ok();
    assert!(!one.is_empty() && one == four, "1 and 4 threads give different weights");
}

#[test]
fn early_stopping_keeps_the_best_epoch() {
    let c = catalog();
    let params = json!({"arch": {"hidden": [32]}, "train": {"epochs": 40, "lr": 0.05, "patience": 3, "batch_size": 16}});
    let spec = c.normalize(&ModelSpec { model_type: "mlp".into(), params }, &[]).unwrap();
    let mut model = c.build(&spec).unwrap();
    let report = model.fit(&data(120, 1), Some(&data(200, 9)), &FitContext::new(3, &NullProgress)).unwrap();
    let best = report.best_iteration.unwrap();
    let min = report.valid_loss.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(report.valid_loss[best], min);
    assert_eq!(report.iterations, best + 1);
    // The kept weights are the best epoch's: their validation loss is the minimum.
    let valid = data(200, 9);
    let p = model.predict_proba(&valid).unwrap();
    let weights = valid_loss_weights(&valid);
    let loss: f64 = p.iter().zip(&valid.y).zip(&weights).map(|((r, &y), w)| -w * r[y as usize].ln()).sum::<f64>() / weights.iter().sum::<f64>();
    assert!((loss - min).abs() < 1e-4, "kept weights score {loss}, best epoch {min}");
}

/// Per-row loss weights of the validation split as training sees them (balanced class
/// weights from the training split of [`early_stopping_keeps_the_best_epoch`] times sample weights).
fn valid_loss_weights(valid: &Samples) -> Vec<f64> {
    let cw = crate::params::ClassWeights::default().resolve(data(120, 1).class_counts());
    valid.y.iter().zip(&valid.weight).map(|(&y, &w)| cw[y as usize] * w as f64).collect()
}

#[rstest]
fn predictions_never_see_later_rows(#[values("lstm", "gru", "tcn", "transformer", "cnn", "mlp")] model_type: &str) {
    let (model, _) = fit(model_type, 4);
    let base = data(50, 5);
    let before = model.predict_proba(&base).unwrap();
    // Rewrite the future from row 30 on: rows before it must predict the same.
    let mut changed = base.clone();
    for v in &mut changed.x[30 * 4..] {
        *v = 5.0;
    }
    let after = model.predict_proba(&changed).unwrap();
    assert_eq!(before[..30], after[..30], "{model_type}");
    assert_ne!(before[30..], after[30..]);
}

#[test]
fn windows_do_not_reach_into_the_previous_segment() {
    let (model, _) = fit("lstm", 4);
    let base = data(50, 5);
    let before = model.predict_proba(&base).unwrap();
    // Rows 0..25 are segment 0: changing them must not move segment 1's predictions.
    let mut changed = base.clone();
    for v in &mut changed.x[..25 * 4] {
        *v = -3.0;
    }
    assert_eq!(model.predict_proba(&changed).unwrap()[25..], before[25..]);
}

#[rstest]
#[case("lstm", json!({"arch": {"hiden": 3}}), "arch.hiden")]
#[case("lstm", json!({"arch": {"seq_len": 0}}), "arch.seq_len")]
#[case("transformer", json!({"arch": {"d_model": 10, "heads": 3}}), "arch.heads")]
#[case("mlp", json!({"train": {"lr": -1.0}}), "train.lr")]
#[case("mlp", json!({"train": {"device": "tpu"}}), "train.device")]
#[case("multitask", json!({"encoder": {"type": "gru", "seq_len": 0}}), "encoder.seq_len")]
#[case("multitask", json!({"heads": {"loss_weights": {"direction": -1.0}}}), "heads.loss_weights.direction")]
fn bad_params_name_their_path(#[case] model_type: &str, #[case] params: Value, #[case] path: &str) {
    let issue = catalog().normalize(&ModelSpec { model_type: model_type.into(), params }, &[]).unwrap_err();
    let got = issue.path.join(".");
    assert!(got.ends_with(path) || issue.message.contains(path.rsplit('.').next().unwrap()), "{got}: {}", issue.message);
}

#[test]
fn defaults_are_documented_and_normalized() {
    let c = catalog();
    let spec = c.normalize(&ModelSpec { model_type: "lstm".into(), params: json!({}) }, &[]).unwrap();
    assert_eq!(spec.params["arch"]["seq_len"], 60);
    assert_eq!(spec.params["train"]["device"], "cpu");
    let mt = c.normalize(&ModelSpec { model_type: "multitask".into(), params: json!({"encoder": {"type": "tcn"}}) }, &[]).unwrap();
    assert_eq!(mt.params["encoder"]["levels"], 4);
    assert_eq!(mt.params["heads"]["loss_weights"]["return"], 0.5);
    let mut generator = schemars::SchemaGenerator::default();
    for t in c.types() {
        let schema = serde_json::to_string(&t.params_schema(&mut generator)).unwrap();
        assert!(!schema.is_empty());
    }
}

#[test]
fn cuda_without_the_feature_is_a_clear_error() {
    if crate::device::CUDA_COMPILED {
        return;
    }
    let c = catalog();
    let params = json!({"train": {"device": "cuda", "epochs": 1}});
    let mut model = c.build(&c.normalize(&ModelSpec { model_type: "mlp".into(), params }, &[]).unwrap()).unwrap();
    let err = model.fit(&data(20, 1), None, &FitContext::new(1, &NullProgress)).unwrap_err().to_string();
    assert!(err.contains("not compiled with CUDA support; rebuild with --features cuda"), "{err}");
}

#[test]
fn data_errors_name_the_problem() {
    let c = catalog();
    let spec = c.normalize(&spec("multitask"), &[]).unwrap();
    let mut model = c
        .build(&ModelSpec {
            params: {
                let mut p = spec.params.clone();
                p["heads"]["volatility"] = json!("target");
                p
            },
            ..spec
        })
        .unwrap();
    let mut train = data(40, 1);
    train.target[7] = f64::NAN;
    let err = model.fit(&train, None, &FitContext::new(1, &NullProgress)).unwrap_err().to_string();
    assert!(err.contains("`target`") && err.contains("row 7"), "{err}");
    let (fitted, _) = fit("mlp", 1);
    let mut other = data(10, 1);
    other.features[2] = "renamed".into();
    let err = fitted.predict_proba(&other).unwrap_err().to_string();
    assert!(err.contains("`renamed`"), "{err}");
}
