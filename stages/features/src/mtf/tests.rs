//! Tests of `features.mtf`: the close-alignment rule on hand-built bars, agreement with
//! computing on resampled bars directly, rewriting the future, thread-count determinism.

use mlfactory_artifacts::table::encode_parquet;
use mlfactory_engine::Artifact;
use mlfactory_engine::progress::NullProgress;
use mlfactory_market::bars::META_TIMEFRAME;
use mlfactory_market::columns::{TableBuilder, f64_column};
use mlfactory_market::resample::resample;
use proptest::prelude::*;
use rstest::rstest;

use super::*;

const MIN: i64 = 60_000_000_000;

/// `n` one-minute bars from Monday 2024-03-11 `h:m` local (the daily break skipped), a
/// random walk from `seed`.
fn bars(h: u32, m: u32, n: usize, seed: u64) -> Bars {
    let cal = Calendar::cme();
    let clock = cal.clock();
    let start = cal.utc_ns(2024, 3, 11, h, m).unwrap();
    let ts: Vec<i64> = (0..).map(|k| start + k * MIN).filter(|&t| clock.is_open(t)).take(n).collect();
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut price = 5000.0;
    let mut b = Bars::default();
    for t in ts {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let step = ((state >> 33) % 9) as f64 - 4.0;
        let open = price;
        price += step * 0.25;
        b.ts.push(t);
        b.open.push(open);
        b.high.push(open.max(price) + 0.25 * ((state >> 20) % 3) as f64);
        b.low.push(open.min(price) - 0.25 * ((state >> 24) % 3) as f64);
        b.close.push(price);
        b.volume.push(100.0 + ((state >> 40) % 50) as f64);
    }
    b
}

fn table(b: &Bars) -> RecordBatch {
    b.to_builder().meta(META_TIMEFRAME, "1m").build().unwrap()
}

fn params(value: serde_json::Value) -> MtfParams {
    let p: MtfParams = serde_json::from_value(value).unwrap();
    Mtf.check(&p).unwrap();
    p
}

fn run(p: &MtfParams, t: &RecordBatch) -> Result<RecordBatch, StageError> {
    let ctx = StageContext::new(1, &NullProgress);
    let out = Mtf.run(&ctx, p, &StageInputs::new().with_table("bars", t.clone()))?;
    match out.artifacts.get("features") {
        Some(Artifact::Table(t)) => Ok(t.as_ref().clone()),
        other => panic!("no features table: {other:?}"),
    }
}

fn col(t: &RecordBatch, name: &str) -> Vec<f64> {
    f64_column(t, name).unwrap()
}

#[test]
fn a_higher_bar_reaches_the_base_bar_that_closes_it_and_not_before() {
    // 10:00 .. 10:14: the 5m bar of 10:00 closes with the 10:04 bar.
    let b = bars(10, 0, 15, 1);
    let t =
        run(&params(serde_json::json!({"timeframes": ["1m", "5m"], "mtf_strategy": "multi_resolution", "window": 2, "normalize": "raw"})), &table(&b)).unwrap();
    let close0 = col(&t, "close_5m_l0");
    let close1 = col(&t, "close_5m_l1");
    assert!(close0[..4].iter().all(|v| v.is_nan()), "{close0:?}");
    assert_eq!(&close0[4..9], &[b.close[4]; 5]);
    assert_eq!(&close0[9..14], &[b.close[9]; 5]);
    assert_eq!(close0[14], b.close[14]);
    assert!(close1[..9].iter().all(|v| v.is_nan()));
    assert_eq!(&close1[9..14], &[b.close[4]; 5]);
    let high0 = col(&t, "high_5m_l0");
    assert_eq!(high0[4], b.high[..5].iter().copied().fold(f64::MIN, f64::max));
    let volume0 = col(&t, "volume_5m_l0");
    assert_eq!(volume0[9], b.volume[5..10].iter().sum::<f64>());
    // The base timeframe's window is the bars themselves.
    assert_eq!(col(&t, "close_1m_l0"), b.close);
    let layout: serde_json::Value = serde_json::from_str(&t.schema_ref().metadata()[META_LAYOUT]).unwrap();
    assert_eq!(layout["shape"], serde_json::json!(["rows", 2, 2, 5]));
    assert_eq!(layout["timeframes"], serde_json::json!(["1m", "5m"]));
}

#[test]
fn the_day_s_last_bucket_closes_with_the_session() {
    // 15:00 .. 15:59 then 17:00 .. 17:29: the 45m ladder's 15:30 bucket is cut at 16:00.
    let b = bars(15, 0, 90, 2);
    let t = run(&params(serde_json::json!({"timeframes": ["45m"], "mtf_strategy": "multi_resolution", "window": 1, "normalize": "raw"})), &table(&b)).unwrap();
    let close = col(&t, "close_45m_l0");
    // 14:45 bucket (15:00-15:29 here) closes at 15:30: seen from the 15:29 bar (row 29).
    assert!(close[..29].iter().all(|v| v.is_nan()));
    assert_eq!(&close[29..59], &[b.close[29]; 30]);
    assert_eq!(close[59], b.close[59], "15:59 closes the short 15:30-16:00 bucket");
    assert_eq!(&close[60..90], &[b.close[59]; 30], "the 17:00 bucket is still open at 17:29");
}

#[test]
fn indicator_columns_equal_indicators_on_resampled_bars_at_their_close() {
    let b = bars(8, 30, 600, 3);
    let p = params(serde_json::json!({"timeframes": ["1m", "15m"], "indicators": {"rsi": [5], "sma": [3]}}));
    let t = run(&p, &table(&b)).unwrap();
    let names: Vec<String> = t.schema_ref().fields().iter().map(|f| f.name().clone()).collect();
    // Per timeframe, columns come in the indicator library's order (as `features.indicators` writes them).
    assert_eq!(names, vec!["ts", "sma_3_1m", "rsi_5_1m", "sma_3_15m", "rsi_5_15m"]);
    let calendar = Calendar::cme();
    let direct = compute(&b, &p.indicators, &calendar).unwrap();
    assert_eq!(direct[1].0, "rsi_5");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&col(&t, "rsi_5_1m")), bits(&direct[1].1), "NaN warm-up included");
    let higher = Bars::from_table(&resample(&table(&b), Timeframe::minutes(15), &calendar.clock()).unwrap()).unwrap();
    let on_higher = compute(&higher, &p.indicators, &calendar).unwrap();
    let sma = col(&t, "sma_3_15m");
    for (j, &open) in higher.ts.iter().enumerate() {
        // The base row that closes bucket j is the last one before the next bucket opens.
        let last = b.ts.iter().rposition(|&x| x < open + 15 * MIN).unwrap();
        let (want, got) = (on_higher[0].1[j], sma[last]);
        assert!(want.to_bits() == got.to_bits(), "bucket {j}: {want} vs {got}");
        if last > 0 && j > 0 {
            assert_eq!(sma[last - 1].to_bits(), on_higher[0].1[j - 1].to_bits(), "the bar before still sees bucket {}", j - 1);
        }
    }
}

#[rstest]
#[case(serde_json::json!({"mtf_strategy": "none", "indicators": {"rsi": [14]}}), vec!["ts", "rsi_14_1m"])]
#[case(serde_json::json!({"timeframes": ["1m", "5m", "1h"], "indicators": {"mom": [2]}}), vec!["ts", "mom_2_1m", "mom_2_5m", "mom_2_1h"])]
fn column_names_carry_the_timeframe(#[case] p: serde_json::Value, #[case] want: Vec<&str>) {
    let t = run(&params(p), &table(&bars(9, 0, 200, 4))).unwrap();
    let names: Vec<&str> = t.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, want);
}

#[test]
fn the_default_params_run_the_python_peer_ladder() {
    let p = MtfParams::default();
    Mtf.check(&p).unwrap();
    let t = run(&p, &table(&bars(8, 30, 400, 5))).unwrap();
    let per_tf = p.indicators.columns().unwrap().len();
    assert_eq!(per_tf, 23, "20 indicators; Bollinger gives 5 columns");
    assert_eq!(t.num_columns(), 1 + 9 * per_tf);
    assert!(t.column_by_name("rsi_14_45m").is_some() && t.column_by_name("macd_12_26_9_hist_1h").is_some());
}

#[test]
fn timeframes_are_checked_against_the_base() {
    let b = bars(9, 0, 120, 6);
    let five = resample(&table(&b), Timeframe::minutes(5), &Calendar::cme().clock()).unwrap();
    // 1m is shorter than 5m bars: skipped; 5m is the base.
    let t = run(&params(serde_json::json!({"timeframes": ["1m", "5m", "15m"], "indicators": {"mom": [1]}})), &five).unwrap();
    let names: Vec<&str> = t.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, vec!["ts", "mom_1_5m", "mom_1_15m"]);
    let err = run(&params(serde_json::json!({"timeframes": ["5m", "12m"], "indicators": {"mom": [1]}})), &five).unwrap_err().to_string();
    assert!(err.contains("`12m` is not a multiple of the base bars' `5m`"), "{err}");
    // Without metadata, the base is the smallest step.
    let plain = b.to_table().unwrap();
    assert!(run(&params(serde_json::json!({"timeframes": ["5m"], "indicators": {"mom": [1]}})), &plain).is_ok());
    let ticks = b.to_builder().meta(META_TIMEFRAME, "ticks").build().unwrap();
    let err = run(&params(serde_json::json!({"timeframes": ["5m"], "indicators": {"mom": [1]}})), &ticks).unwrap_err().to_string();
    assert!(err.contains("needs time bars"), "{err}");
}

#[rstest]
#[case(serde_json::json!({"timeframes": []}), "timeframes")]
#[case(serde_json::json!({"timeframes": ["5m", "7x"]}), "timeframes.1")]
#[case(serde_json::json!({"timeframes": ["5m", "300s"]}), "timeframes.1")]
#[case(serde_json::json!({"timeframes": ["5m", "5min"]}), "timeframes.1")]
#[case(serde_json::json!({"timeframes": ["5m", "7m"], "base_timeframe": "5m"}), "timeframes.1")]
#[case(serde_json::json!({"mtf_strategy": "multi_resolution", "window": 0}), "window")]
#[case(serde_json::json!({"indicators": {"rsi": [0]}}), "indicators.rsi")]
fn bad_params_point_at_the_param(#[case] p: serde_json::Value, #[case] path: &str) {
    let p: MtfParams = serde_json::from_value(p).unwrap();
    let issue = Mtf.check(&p).unwrap_err();
    assert!(issue.path.join(".").starts_with(path), "{issue:?}");
}

#[test]
fn output_bytes_do_not_depend_on_the_thread_count() {
    let b = table(&bars(8, 30, 3000, 7));
    let p = MtfParams::default();
    let encode = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| encode_parquet(&run(&p, &b).unwrap()).unwrap())
    };
    let one = encode(1);
    assert_eq!(one, encode(2));
    assert_eq!(one, encode(5));
}

fn rewrite_after(b: &Bars, cut: usize, scale: f64) -> Bars {
    let mut r = b.clone();
    for i in cut + 1..b.len() {
        for col in [&mut r.open, &mut r.high, &mut r.low, &mut r.close] {
            col[i] *= scale;
        }
        r.volume[i] = (r.volume[i] * scale).round();
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Whatever happens after the cut, every value at or before it is unchanged: for the
    /// indicator ladder and for the multi-resolution windows, across the daily break.
    #[test]
    fn prop_rewriting_the_future_never_changes_the_past(seed in 0u64..1000, cut_frac in 0.0f64..1.0, scale in 0.5f64..2.0, windows in any::<bool>()) {
        let b = bars(14, 0, 260, seed);
        let cut = ((b.len() - 2) as f64 * cut_frac) as usize;
        let p = if windows {
            params(serde_json::json!({"timeframes": ["1m", "5m", "15m", "45m", "1h"], "mtf_strategy": "multi_resolution", "window": 3}))
        } else {
            params(serde_json::json!({"timeframes": ["1m", "5m", "15m", "45m", "1h"], "indicators": {"rsi": [3], "atr": [2], "sma": [2]}}))
        };
        let base = run(&p, &table(&b)).unwrap();
        let changed = run(&p, &table(&rewrite_after(&b, cut, scale))).unwrap();
        prop_assert_eq!(base.num_columns(), changed.num_columns());
        for (field, a) in base.schema_ref().fields().iter().zip(base.columns()).skip(1) {
            let x = mlfactory_market::columns::array_to_f64(a).unwrap();
            let y = col(&changed, field.name());
            for i in 0..=cut {
                prop_assert!(x[i].to_bits() == y[i].to_bits(), "{} row {}: {} vs {}", field.name(), i, x[i], y[i]);
            }
        }
    }
}

#[test]
fn volume_free_bars_get_price_features_only() {
    let mut b = bars(9, 0, 100, 8);
    b.volume = vec![f64::NAN; b.len()];
    let t = TableBuilder::new()
        .ts("ts", b.ts.clone())
        .f64("open", b.open.clone())
        .f64("high", b.high.clone())
        .f64("low", b.low.clone())
        .f64("close", b.close.clone());
    let t = t.meta(META_TIMEFRAME, "1m").build().unwrap();
    let out = run(&params(serde_json::json!({"timeframes": ["1m", "5m"], "indicators": {"rsi": [3], "obv": true}})), &t).unwrap();
    let names: Vec<&str> = out.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, vec!["ts", "rsi_3_1m", "rsi_3_5m"]);
}
