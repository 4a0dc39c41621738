//! Leakage tests through the real stages: `labels.optimize` -> `labels.triple_barrier` ->
//! `splits` -> `dataset` -> `scale` -> `features.select`.
//!
//! Rule (DESIGN.md): rewriting every bar after the train/val boundary changes nothing that
//! training sees: the feature rows and labels of training rows, their weights, the scaler,
//! the selected columns and the barrier search. Each assertion fails if its rule is broken
//! (e.g. a scaler fitted on all rows, weights normalised over every split, a search that
//! reads the whole series, a label that peeks past t1, a purge that keeps a label reaching
//! into val).

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use mlfactory_engine::Artifact;
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::stage::{Stage, StageContext, StageInputs, StageOutput};
use mlfactory_labels::optimize::{Optimize, OptimizeParams};
use mlfactory_labels::triple_barrier::{TripleBarrier, TripleBarrierParams};
use mlfactory_market::Bars;
use mlfactory_market::columns::{TableBuilder, f64_column, str_column, ts_column};
use mlfactory_splits::chrono_split::{Splits, SplitsParams};
use mlfactory_splits::dataset::{Dataset, DatasetParams, WeightParams, WeightScheme};
use mlfactory_splits::scale::{Scale, ScaleParams};
use mlfactory_splits::select::{Select, SelectParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 6_000;
const TRAIN: f64 = 0.6;

fn bars(seed: u64, rewrite_from: Option<usize>) -> Bars {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut other = ChaCha8Rng::seed_from_u64(seed ^ 0xdead_beef);
    let mut b = Bars::default();
    let mut price = 5000.0;
    for i in 0..N {
        // after the boundary, a different world: other shocks, 3x the volatility
        let (r, vol): (&mut ChaCha8Rng, f64) = match rewrite_from {
            Some(k) if i >= k => (&mut other, 3.0),
            _ => (&mut rng, 1.0),
        };
        let open = price;
        let close = open * (1.0 + vol * 0.001 * (r.random::<f64>() - 0.5));
        let high = open.max(close) * (1.0 + vol * 0.0004 * r.random::<f64>());
        let low = open.min(close) * (1.0 - vol * 0.0004 * r.random::<f64>());
        b.ts.push(1_700_000_000_000_000_000 + i as i64 * 300_000_000_000);
        b.open.push(open);
        b.high.push(high);
        b.low.push(low);
        b.close.push(close);
        b.volume.push(100.0);
        price = close;
    }
    b
}

/// Causal test features (bar t uses bars <= t), null during a 20-bar warm-up.
fn features(b: &Bars) -> RecordBatch {
    let n = b.len();
    let ret: Vec<f64> = (0..n).map(|i| if i == 0 { f64::NAN } else { (b.close[i] / b.close[i - 1]).ln() }).collect();
    let mom: Vec<f64> = (0..n).map(|i| if i < 20 { f64::NAN } else { (b.close[i] / b.close[i - 20]).ln() }).collect();
    let range: Vec<f64> = (0..n).map(|i| (b.high[i] - b.low[i]) / b.close[i]).collect();
    let dup: Vec<f64> = mom.iter().map(|m| 2.0 * m).collect(); // perfectly correlated: dropped by select
    let flat = vec![1.0; n]; // constant: dropped by select
    TableBuilder::new().ts("ts", b.ts.clone()).f64("ret1", ret).f64("mom20", mom).f64("range", range).f64("mom20x2", dup).f64("flat", flat).build().unwrap()
}

fn run<S: Stage>(stage: &S, params: &S::Params, inputs: &StageInputs) -> StageOutput {
    let progress = NullProgress;
    let ctx = StageContext::new(42, &progress);
    stage.run(&ctx, params, inputs).unwrap_or_else(|e| panic!("{}: {e}", S::KIND))
}

fn table(out: &StageOutput, name: &str) -> RecordBatch {
    match &out.artifacts[name] {
        Artifact::Table(t) => t.as_ref().clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn json(out: &StageOutput, name: &str) -> serde_json::Value {
    match &out.artifacts[name] {
        Artifact::Json(v) => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

/// Everything the pipeline produces for one version of the bars.
struct World {
    search: serde_json::Value,
    labels: RecordBatch,
    splits: RecordBatch,
    dataset: RecordBatch,
    scaler: serde_json::Value,
    selection: serde_json::Value,
    selected: RecordBatch,
}

fn world(b: &Bars) -> World {
    let bars_table = b.to_table().unwrap();
    let opt = OptimizeParams {
        population: 8,
        generations: 3,
        train: TRAIN,
        bounds: mlfactory_labels::optimize::Bounds { horizon: [5, 20], ..Default::default() },
        ..Default::default()
    };
    let search = run(&Optimize, &opt, &StageInputs::new().with_table("bars", bars_table.clone()));
    let best = json(&search, "best");
    let labels =
        run(&TripleBarrier, &TripleBarrierParams::default(), &StageInputs::new().with_table("bars", bars_table.clone()).with_json("params", best.clone()));
    let labels = table(&labels, "labels");
    let sp = SplitsParams { train: TRAIN, val: 0.2, embargo: 50, ..Default::default() };
    let splits = table(&run(&Splits, &sp, &StageInputs::new().with_table("labels", labels.clone())), "splits");
    let dp = DatasetParams { weights: WeightParams { scheme: WeightScheme::Returns, time_decay: 0.5, quality: true }, ..Default::default() };
    let ds_inputs = StageInputs::new()
        .with_table("features", features(b))
        .with_table("labels", labels.clone())
        .with_table("splits", splits.clone())
        .with_table("bars", bars_table);
    let dataset = table(&run(&Dataset, &dp, &ds_inputs), "dataset");
    let scaled = run(&Scale, &ScaleParams::default(), &StageInputs::new().with_table("dataset", dataset.clone()));
    let sel = run(&Select, &SelectParams::default(), &StageInputs::new().with_table("dataset", table(&scaled, "dataset")));
    World {
        search: json(&search, "best"),
        labels,
        splits,
        dataset,
        scaler: json(&scaled, "scaler"),
        selection: json(&sel, "selection"),
        selected: table(&sel, "dataset"),
    }
}

/// The rows of a table whose `split` is `train`, as columns of text (exact comparison).
fn train_rows(t: &RecordBatch) -> BTreeMap<String, Vec<String>> {
    let split = str_column(t, "split").unwrap();
    let keep: Vec<usize> = (0..t.num_rows()).filter(|&r| split[r].as_deref() == Some("train")).collect();
    t.schema_ref()
        .fields()
        .iter()
        .map(|f| {
            let v = f64_column(t, f.name()).map_or_else(
                |_| {
                    let s = str_column(t, f.name()).unwrap();
                    keep.iter().map(|&r| s[r].clone().unwrap_or_default()).collect()
                },
                |v| keep.iter().map(|&r| v[r].to_bits().to_string()).collect(),
            );
            (f.name().clone(), v)
        })
        .collect()
}

#[test]
fn rewriting_bars_after_the_boundary_changes_nothing_training_sees() {
    let boundary = (TRAIN * N as f64).floor() as usize;
    let original = bars(7, None);
    let rewritten = bars(7, Some(boundary));
    assert_eq!(original.close[..boundary], rewritten.close[..boundary]);
    assert_ne!(original.close[boundary..], rewritten.close[boundary..]);
    let (a, b) = (world(&original), world(&rewritten));

    // the search scores the training bars only
    assert_eq!(a.search, b.search, "labels.optimize saw bars after the boundary");
    // labels of training rows (and which rows train at all)
    let split_of = |w: &World| str_column(&w.splits, "split").unwrap();
    let (sa, sb) = (split_of(&a), split_of(&b));
    let train_ts = |w: &World, s: &[Option<String>]| -> Vec<i64> {
        let ts = ts_column(&w.labels, "ts").unwrap();
        (0..ts.len()).filter(|&r| s[r].as_deref() == Some("train")).map(|r| ts[r]).collect()
    };
    assert_eq!(train_ts(&a, &sa), train_ts(&b, &sb), "the set of training labels changed");
    let labels_train = |w: &World, s: &[Option<String>]| {
        let mut t = w.labels.clone();
        let split: Vec<&str> = s.iter().map(|x| x.as_deref().unwrap()).collect();
        t = arrow::compute::filter_record_batch(&t, &arrow::array::BooleanArray::from(split.iter().map(|x| *x == "train").collect::<Vec<_>>())).unwrap();
        t
    };
    assert_eq!(labels_train(&a, &sa), labels_train(&b, &sb), "a training label changed");
    // every training label ends before the boundary (purge by t1)
    let held = f64_column(&a.labels, "bars_held").unwrap();
    let bar = f64_column(&a.labels, "bar").unwrap();
    for r in 0..held.len() {
        if sa[r].as_deref() == Some("train") {
            assert!((bar[r] + held[r]) < boundary as f64, "training label {r} reaches bar {}", bar[r] + held[r]);
        }
    }
    // dataset rows of train: features, labels, weights, segments
    assert_eq!(train_rows(&a.dataset), train_rows(&b.dataset), "a training dataset row (features, label or weight) changed");
    // fitted transforms
    assert_eq!(a.scaler, b.scaler, "the scaler saw non-training rows");
    assert_eq!(a.selection, b.selection, "feature selection saw non-training rows");
    assert_eq!(train_rows(&a.selected), train_rows(&b.selected));
    let kept: Vec<String> = serde_json::from_value(a.selection["kept"].clone()).unwrap();
    assert!(!kept.contains(&"flat".to_owned()) && !kept.contains(&"mom20x2".to_owned()), "{kept:?}");
    // and the rewrite did reach the rest of the pipeline (the test is not vacuous)
    assert_ne!(a.labels, b.labels);
    assert_ne!(a.dataset, b.dataset);
}

#[test]
fn purge_and_embargo_hold_at_both_boundaries_through_the_stage() {
    let b = bars(3, None);
    let w = world(&b);
    let split = str_column(&w.splits, "split").unwrap();
    let bar = f64_column(&w.labels, "bar").unwrap();
    let held = f64_column(&w.labels, "bars_held").unwrap();
    let (v, t) = ((TRAIN * N as f64).floor(), ((TRAIN + 0.2) * N as f64).floor());
    for r in 0..split.len() {
        let end = bar[r] + held[r];
        match split[r].as_deref().unwrap() {
            "train" => assert!(end < v),
            "val" => assert!(bar[r] >= v + 50.0 && end < t),
            "test" => assert!(bar[r] >= t + 50.0),
            "embargoed" => assert!((bar[r] >= v && bar[r] < v + 50.0) || (bar[r] >= t && bar[r] < t + 50.0)),
            "purged" => assert!((bar[r] < v && end >= v) || (bar[r] < t && end >= t)),
            other => panic!("{other}"),
        }
    }
    // segments never span a split change or a gap, windows stay inside a segment
    let seg = f64_column(&w.dataset, "segment").unwrap();
    let ds_split = str_column(&w.dataset, "split").unwrap();
    for r in 1..seg.len() {
        if ds_split[r] != ds_split[r - 1] {
            assert_ne!(seg[r], seg[r - 1]);
        }
    }
    // the dataset has no nulls
    for c in w.dataset.columns() {
        assert_eq!(c.null_count(), 0);
    }
}
