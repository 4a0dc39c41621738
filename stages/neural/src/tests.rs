//! Tests of every type through the catalog and the `Model` trait, on small synthetic data:
//! learning, determinism (two fits, 1 vs 4 threads), save/load, leakage, errors.

use mlfactory_engine::progress::NullProgress;
use mlfactory_models::{FitContext, Model, ModelCatalog, ModelSpec, Samples, SavedModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rstest::rstest;
use serde_json::{Value, json};

use mlfactory_market::mtf_layout::MtfLayout;

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
        layout: None,
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
#[case("mlp", json!({"sequence": "multi_resolution"}), "sequence")]
#[case("multitask", json!({"encoder": {"type": "mlp"}, "sequence": "multi_resolution"}), "sequence")]
#[case("lstm", json!({"sequence": "windows"}), "sequence")]
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

/// A `multi_resolution` tensor of 2 timeframes x 4 steps x 5 fields, as `features.mtf`
/// lays it out.
fn layout() -> MtfLayout {
    MtfLayout::from_json(r#"{"timeframes": ["1m", "5m"], "window": 4, "fields": ["open", "high", "low", "close", "volume"]}"#).unwrap()
}

/// `n` rows whose features are the tensor of [`layout`] (in layout order) and `rsi_14`;
/// the class follows the 5m close's change over the window (last step minus first), so
/// only a model reading the row's tensor along its time axis learns it. One segment per
/// row: nothing links neighbouring rows.
fn tensor_data(n: usize, seed: u64) -> Samples {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let layout = layout();
    let mut features = layout.columns();
    features.push("rsi_14".into());
    let d = features.len();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let (first, last) = (features.iter().position(|f| f == "close_5m_l3").unwrap(), features.iter().position(|f| f == "close_5m_l0").unwrap());
    let score = |i: usize| x[i * d + last] - x[i * d + first];
    let scores: Vec<f32> = (0..n).map(score).collect();
    let y = scores
        .iter()
        .map(|&s| match s {
            s if s > 0.5 => 2,
            s if s < -0.5 => 0,
            _ => 1,
        })
        .collect();
    Samples {
        features,
        x,
        y,
        weight: vec![1.0; n],
        ret: scores.iter().map(|&s| f64::from(s) * 0.01).collect(),
        ts: (0..n as i64).collect(),
        t1: (1..=n as i64).collect(),
        segment: (0..n as i64).collect(),
        target: vec![0.01; n],
        layout: Some(layout),
    }
}

fn tensor_model(model_type: &str, sequence: &str) -> Box<dyn Model> {
    let c = catalog();
    let mut spec = spec(model_type);
    spec.params["sequence"] = json!(sequence);
    spec.params["train"]["epochs"] = json!(6);
    c.build(&c.normalize(&spec, &["model"]).unwrap()).unwrap()
}

#[rstest]
fn multi_resolution_trains_on_each_rows_own_tensor(#[values("lstm", "cnn", "multitask")] model_type: &str) {
    let mut model = tensor_model(model_type, "multi_resolution");
    let report = model.fit(&tensor_data(300, 1), Some(&tensor_data(60, 2)), &FitContext::new(3, &NullProgress)).unwrap();
    assert!(report.train_loss.last() < report.train_loss.first(), "{model_type}: {:?}", report.train_loss);
    // Rows are independent: rewriting every other row leaves a row's prediction alone
    // (with `sequence: rows` and seq_len 6 it would move).
    let test = tensor_data(40, 3);
    let p = model.predict_proba(&test).unwrap();
    let mut others = test.clone();
    let d = test.n_features();
    for (k, v) in others.x.iter_mut().enumerate() {
        if k / d != 20 {
            *v = 0.9;
        }
    }
    assert_eq!(model.predict_proba(&others).unwrap()[20], p[20], "{model_type}");
    // The saved model records the mode and the layout, and predicts the same once loaded.
    let saved = model.save().unwrap();
    assert_eq!(saved.config["spec"]["sequence"], "multi_resolution");
    assert_eq!(saved.config["layout"]["window"], 4);
    let loaded = catalog().load(&SavedModel::from_bytes(&saved.to_bytes().unwrap()).unwrap()).unwrap();
    assert_eq!(loaded.predict_proba(&test).unwrap(), p);
}

#[test]
fn multi_resolution_without_a_layout_says_what_to_bind() {
    let mut model = tensor_model("lstm", "multi_resolution");
    let mut train = tensor_data(50, 1);
    train.layout = None;
    let err = model.fit(&train, None, &FitContext::new(1, &NullProgress)).unwrap_err().to_string();
    assert!(err.contains("no multi_resolution tensor layout") && err.contains("`features.mtf` stage with `mtf_strategy: multi_resolution`"), "{err}");
}

#[test]
fn prediction_reads_the_tensor_it_was_fitted_on() {
    let mut model = tensor_model("gru", "multi_resolution");
    model.fit(&tensor_data(60, 1), None, &FitContext::new(1, &NullProgress)).unwrap();
    let mut other = tensor_data(10, 2);
    other.layout = Some(MtfLayout { window: 2, ..layout() });
    let err = model.predict_proba(&other).unwrap_err().to_string();
    assert!(err.contains("fitted on the multi_resolution tensor"), "{err}");
    // `rows` ignores the layout: same data, the model of today.
    let mut rows = tensor_model("gru", "rows");
    rows.fit(&tensor_data(60, 1), None, &FitContext::new(1, &NullProgress)).unwrap();
    assert!(rows.save().unwrap().config.get("layout").is_none());
    assert!(rows.save().unwrap().config["spec"].get("sequence").is_none(), "`rows` models save as before");
}
