//! The simulator's physics: per-state drift, variance, range and persistence against
//! the parameters, the calendar, determinism.

use std::fmt::Write as _;

use mlfactory_engine::progress::NullProgress;
use mlfactory_market::columns::{str_column, ts_column};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rstest::rstest;

use super::*;

fn run(p: &SynthParams, seed: u64) -> StageOutput {
    let progress = NullProgress;
    let ctx = StageContext::new(seed, &progress);
    Synth.check(p).unwrap();
    Synth.run(&ctx, p, &StageInputs::new()).unwrap()
}

fn bars_of(out: &StageOutput) -> RecordBatch {
    match &out.artifacts["bars"] {
        mlfactory_engine::Artifact::Table(t) => t.as_ref().clone(),
        other => panic!("bars is {:?}", other.format()),
    }
}

/// A flat world: one pinned state all day, no session, weekday or clustering effects.
fn pinned(state: MinuteState, days: u32) -> SynthParams {
    SynthParams {
        start: "2024-03-04".into(),
        days,
        state_sequence: vec![SequenceStep { at: 0, state, direction: Some(Direction::Up) }],
        session_effects: false,
        day_of_week: [1.0; 5],
        clustering: ClusteringParams { phi: 0.0, sigma: 0.0 },
        day_regime: Some(DayRegime::Trend),
        price: Some(100_000.0),
        ..SynthParams::default()
    }
}

/// Mean and variance of the minute change in ticks, mean range in ticks.
fn measured(table: &RecordBatch) -> (f64, f64, f64, usize) {
    let b = Bars::from_table(table).unwrap();
    let d: Vec<f64> = (0..b.len()).map(|i| (b.close[i] - b.open[i]) / 0.25).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let range = (0..b.len()).map(|i| (b.high[i] - b.low[i]) / 0.25).sum::<f64>() / n;
    (mean, var, range, d.len())
}

/// Expected mean range of the same compound Poisson walk, from an independent naive
/// Monte Carlo (its own RNG, f64 arithmetic, no tables).
fn expected_range(p: StateParams, lambda: f64, trials: usize) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut total = 0.0;
    for _ in 0..trials {
        let n = engine::poisson(&mut rng, lambda);
        let (mut x, mut hi, mut lo) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..n {
            let size = 1.0 + f64::from(engine::poisson(&mut rng, p.vol - 1.0));
            let up = engine::uniform(&mut rng) < p.up;
            x += if up { size } else { -size };
            hi = hi.max(x);
            lo = lo.min(x);
        }
        total += hi - lo;
    }
    total / trials as f64
}

#[rstest]
#[case(MinuteState::Rally)]
#[case(MinuteState::Breakdown)]
#[case(MinuteState::Ranging)]
#[case(MinuteState::Flat)]
#[case(MinuteState::Zombie)]
#[case(MinuteState::Impulsive)]
#[case(MinuteState::Breakout)]
fn each_state_moves_as_its_parameters_say(#[case] state: MinuteState) {
    let out = run(&pinned(state, 7), 11);
    let table = bars_of(&out);
    let model = Model::default();
    let sp = model.states[state.index()];
    // Activity of each bar: the regime's (TREND: 1) times its hour phase's.
    let phases = str_column(&table, columns::HOUR_PHASE).unwrap();
    let activity: Vec<f64> = phases.iter().map(|p| model.phases[HourPhase::from_name(p.as_deref().unwrap()).unwrap().index()].activity).collect();
    let (mut want_mean, mut want_sq) = (0.0, 0.0);
    for &a in &activity {
        let (_, drift, var) = model.state_moments(state, a);
        want_mean += drift;
        want_sq += var + drift * drift;
    }
    let n_f = activity.len() as f64;
    want_mean /= n_f;
    let want_var = want_sq / n_f - want_mean * want_mean;
    let (mean, got_var, range, n) = measured(&table);
    assert_eq!(n, 5 * 1380);
    // Drift within 5 standard errors; variance within 10% (n = 6900 minutes).
    let se = (want_var / n as f64).sqrt();
    assert!((mean - want_mean).abs() < 5.0 * se, "{state}: drift {mean} vs {want_mean} (se {se})");
    assert!((got_var / want_var - 1.0).abs() < 0.10, "{state}: variance {got_var} vs {want_var}");
    let mut want_range = 0.0;
    for phase in HourPhase::ALL {
        let a = model.phases[phase.index()].activity;
        let share = phases.iter().filter(|p| p.as_deref() == Some(phase.name())).count() as f64 / n_f;
        if share > 0.0 {
            want_range += share * expected_range(sp, sp.ticks * a, 20_000);
        }
    }
    assert!((range / want_range - 1.0).abs() < 0.06, "{state}: range {range} vs {want_range}");
    let states = str_column(&table, columns::MINUTE_STATE).unwrap();
    assert!(states.iter().all(|s| s.as_deref() == Some(state.name())));
}

#[test]
fn state_persistence_matches_the_parameter() {
    // Free-running chain inside one regime; run lengths of each state are geometric with
    // mean 1 / (1 - persistence), truncated at hour boundaries (where phases may redraw).
    let p = SynthParams { start: "2024-03-04".into(), days: 60, ..SynthParams::default() };
    let out = run(&p, 5);
    let table = bars_of(&out);
    let states = str_column(&table, columns::MINUTE_STATE).unwrap();
    let ts = ts_column(&table, "ts").unwrap();
    let model = Model::default();
    for s in MinuteState::ALL {
        // P(stay) measured on minute pairs inside one hour of the trading day.
        let (mut stay, mut total) = (0usize, 0usize);
        for i in 1..states.len() {
            let same_hour = (ts[i] - ts[0]) / 3_600_000_000_000 == (ts[i - 1] - ts[0]) / 3_600_000_000_000 && ts[i] - ts[i - 1] == 60_000_000_000;
            if same_hour && states[i - 1].as_deref() == Some(s.name()) {
                total += 1;
                stay += usize::from(states[i] == states[i - 1]);
            }
        }
        let rho = model.states[s.index()].persistence;
        let got = stay as f64 / total as f64;
        let se = (rho * (1.0 - rho) / total as f64).sqrt();
        assert!(total > 500, "{s}: only {total} minutes");
        assert!((got - rho).abs() < 5.0 * se + 0.005, "{s}: persistence {got} vs {rho} over {total}");
    }
}

#[test]
fn bars_follow_the_globex_calendar() {
    // Across the March 2024 DST change.
    let p = SynthParams { start: "2024-03-07".into(), days: 7, ..SynthParams::default() };
    let out = run(&p, 1);
    let table = bars_of(&out);
    let ts = ts_column(&table, "ts").unwrap();
    let sessions = str_column(&table, columns::SESSION).unwrap();
    let clock = Calendar::cme().clock();
    assert_eq!(ts.len(), 5 * 1380);
    for (i, &t) in ts.iter().enumerate() {
        let s = clock.session(t);
        assert_ne!(s, Session::Closed, "bar at closed time {t}");
        assert_eq!(sessions[i].as_deref(), Some(s.name()));
    }
    // First bar: Wednesday 17:00 CST opening Thursday 2024-03-07 = 23:00 UTC.
    let cal = Calendar::cme();
    assert_eq!(ts[0], cal.utc_ns(2024, 3, 6, 17, 0).unwrap());
    // Monday 2024-03-11 opens Sunday 17:00 CDT = 22:00 UTC.
    let monday = cal.utc_ns(2024, 3, 10, 17, 0).unwrap();
    assert!(ts.contains(&monday) && (monday / 1_000_000_000 / 3600) % 24 == 22);
    let b = Bars::from_table(&table).unwrap();
    for i in 0..b.len() {
        assert!(b.low[i] <= b.open[i].min(b.close[i]) && b.high[i] >= b.open[i].max(b.close[i]));
        for v in [b.open[i], b.high[i], b.low[i], b.close[i]] {
            assert!((v / 0.25 - (v / 0.25).round()).abs() < 1e-9, "off the tick grid: {v}");
        }
    }
}

#[test]
fn session_effects_shape_volume_and_range() {
    let p = SynthParams { start: "2024-03-04".into(), days: 28, ..SynthParams::default() };
    let out = run(&p, 3);
    let b = Bars::from_table(&bars_of(&out)).unwrap();
    let facts = stats::StylizedFacts::of(&b, 0.25);
    // 08:30-09:30 (hour 15 of the trading day) is far busier than 22:00-23:00 (hour 5).
    assert!(facts.volume_profile[15] > 3.0 * facts.volume_profile[5], "{:?}", facts.volume_profile);
    assert!(facts.range_profile[15] > 2.0 * facts.range_profile[5], "{:?}", facts.range_profile);
    // Fat tails and volatility clustering.
    assert!(facts.returns.excess_kurtosis > 1.0, "{:?}", facts.returns);
    assert!(facts.abs_acf[0].1 > 0.1 && facts.abs_acf[3].1 > 0.05, "{:?}", facts.abs_acf);
    assert!(facts.return_acf1.abs() < 0.1, "return autocorrelation {}", facts.return_acf1);
}

#[test]
fn archetype_sequence_labels_its_minutes() {
    let p = SynthParams {
        start: "2024-03-05".into(),
        days: 1,
        state_sequence: vec![
            SequenceStep { at: 0, state: MinuteState::Ranging, direction: None },
            SequenceStep { at: 930, state: MinuteState::Breakout, direction: Some(Direction::Up) },
            SequenceStep { at: 960, state: MinuteState::Rally, direction: None },
        ],
        ..SynthParams::default()
    };
    let table = bars_of(&run(&p, 9));
    let states = str_column(&table, columns::MINUTE_STATE).unwrap();
    assert!(states[..930].iter().all(|s| s.as_deref() == Some("RANGING")));
    assert!(states[930..960].iter().all(|s| s.as_deref() == Some("BREAKOUT")));
    assert!(states[960..].iter().all(|s| s.as_deref() == Some("RALLY")));
    let b = Bars::from_table(&table).unwrap();
    assert!(b.close[959] > b.open[930], "an up breakout goes up");
}

#[test]
fn deterministic_and_bars_param_is_exact() {
    let p = SynthParams { bars: Some(3000), ..SynthParams::default() };
    let a = bars_of(&run(&p, 42));
    let b = bars_of(&run(&p, 42));
    let c = bars_of(&run(&p, 43));
    assert_eq!(a.num_rows(), 3000);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let seg = mlfactory_market::columns::f64_column(&a, columns::SEGMENT_ID).unwrap();
    assert!(seg.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1.0));
    assert_eq!(bars_of(&run(&p, 42)).schema().metadata()[META_SYMBOL], "MES");
}

#[test]
fn params_are_checked() {
    let bad = |p: SynthParams| Synth.check(&p).unwrap_err();
    assert_eq!(bad(SynthParams { start: "2024-13-01".into(), ..SynthParams::default() }).path, ["start"]);
    assert!(bad(SynthParams { symbol: "XYZ".into(), ..SynthParams::default() }).hint.unwrap().contains("tick_size"));
    let mut states = BTreeMap::new();
    states.insert(MinuteState::Rally, StateOverride { up: Some(1.5), ..StateOverride::default() });
    assert_eq!(bad(SynthParams { states, ..SynthParams::default() }).path, ["states", "RALLY", "up"]);
    assert_eq!(bad(SynthParams { hour_transitions: Some(vec![vec![1.0; 6]; 5]), ..SynthParams::default() }).path, ["hour_transitions"]);
    let seq = vec![SequenceStep { at: 10, state: MinuteState::Flat, direction: None }, SequenceStep { at: 5, state: MinuteState::Rally, direction: None }];
    assert_eq!(bad(SynthParams { state_sequence: seq, ..SynthParams::default() }).path, ["state_sequence", "1", "at"]);
    assert!(Synth.check(&SynthParams { symbol: "XYZ".into(), tick_size: Some(0.5), ..SynthParams::default() }).is_ok());
}

/// Fits the simulator to the real ES 1-minute bars and prints the real-vs-synthetic table
/// of docs/data.md: `cargo test --workspace --release -- --ignored es_fit_table --nocapture`.
#[test]
#[ignore = "prints the docs table; a few seconds in release"]
fn es_fit_table() {
    let Some(dir) = mlfactory_market::reference::dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), "es_fit_table") else { return };
    let real = mlfactory_artifacts::table::decode_parquet(std::fs::read(dir.join("data/es1_1m_20241203_20250630.parquet")).unwrap()).unwrap();
    let progress = NullProgress;
    let ctx = StageContext::new(42, &progress);
    let p = SynthParams { symbol: "ES".into(), start: "2024-12-03".into(), days: 210, ..SynthParams::default() };
    let out = Synth.run(&ctx, &p, &StageInputs::new().with_table("real", real)).unwrap();
    let mlfactory_engine::Artifact::Json(stats) = &out.artifacts["stats"] else { panic!() };
    let mut table = String::from("| statistic | real ES 1m | synthetic (fitted) |\n|---|---|---|\n");
    for row in stats["comparison"].as_array().unwrap() {
        let f = |v: &serde_json::Value| v.as_f64().map_or("n/a".to_owned(), |x| format!("{x:.4}"));
        let _ = writeln!(table, "| {} | {} | {} |", row["statistic"].as_str().unwrap(), f(&row["real"]), f(&row["synthetic"]));
    }
    eprintln!("{table}");
    eprintln!("fitted: {}", serde_json::to_string(&stats["fitted"]).unwrap());
    let default = run(&SynthParams { symbol: "ES".into(), start: "2024-12-03".into(), days: 210, ..SynthParams::default() }, 42);
    let mlfactory_engine::Artifact::Json(d) = &default.artifacts["stats"] else { panic!() };
    eprintln!("default model: {}", serde_json::to_string(&d["synthetic"]).unwrap());
}

#[test]
fn identical_bars_for_any_thread_count() {
    let p = SynthParams { start: "2024-03-04".into(), days: 10, ..SynthParams::default() };
    let with = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| bars_of(&run(&p, 8)));
    let one = with(1);
    assert_eq!(one, with(2));
    assert_eq!(one, with(3));
}
