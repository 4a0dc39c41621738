//! `validate.thresholds`: per (session × volatility regime) bucket, the calibrated win
//! probability a trade needs for positive expected value; every candidate signal kept,
//! taken or phantom.
//!
//! Everything fitted — the win-probability calibration, the regime cut points, each
//! bucket's average win and loss — comes from the `fit_split` (validation) rows only and
//! is then applied unchanged to every row.

use std::collections::BTreeMap;

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::bars;
use mlfactory_market::columns::{TableBuilder, f64_column, ts_column};
use mlfactory_market::contracts::{signals as sc, thresholds as tc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calibration::isotonic::Isotonic;
use crate::calibration::regime::{asof, cut_points, regime_names, regime_of, rolling_vol, sessions};
use crate::calibration::reliability::curve;
use crate::calibration::thresholds::{BucketFit, Rule, Source, fit_bucket};
use crate::predictions::Predictions;

/// Expected-value thresholds per bucket.
pub struct Thresholds;

/// `validate.thresholds` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The split everything is fit on (never `test`).
    pub fit_split: String,
    /// Lowest threshold a bucket may get, whatever its break-even.
    pub floor: f64,
    /// Highest threshold a bucket may get.
    pub ceiling: f64,
    /// Threshold of buckets with too few fitting rows (or no win or no loss).
    #[serde(rename = "static")]
    pub fallback: f64,
    /// Fewest fitting rows for a bucket to get its own threshold.
    pub min_samples: usize,
    /// Added to each bucket's break-even probability before clamping.
    pub margin: f64,
    /// Bucket by CME session (`asia`, `london`, `rth_open`, …); `false`: one session bucket `all`.
    pub by_session: bool,
    /// Number of volatility regimes (quantile bands of the fitting rows); needs `bars`. 1: none.
    pub regimes: usize,
    /// Bars in the rolling volatility (std of one-bar log returns of the close).
    pub vol_window: usize,
    /// Bins of the win-probability reliability curve in the JSON summary.
    pub bins: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            fit_split: mlfactory_market::contracts::splits::VAL.to_owned(),
            floor: 0.45,
            ceiling: 0.75,
            fallback: 0.55,
            min_samples: 30,
            margin: 0.0,
            by_session: true,
            regimes: 3,
            vol_window: 48,
            bins: 10,
        }
    }
}

impl Stage for Thresholds {
    type Params = Params;
    const KIND: &'static str = "validate.thresholds";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Win-probability thresholds per session x volatility regime for positive expected value (floor, ceiling, static fallback); every signal kept as taken or phantom.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::one("predictions", "predictions (ideally from `validate.calibrate`) with a validation split"),
        InputSlot::optional("bars", "the bars the events were labelled on, for volatility regimes"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("signals", Format::Parquet, "every candidate trade, taken or phantom (contracts::signals)"),
        OutputSlot::new("thresholds", Format::Parquet, "one row per bucket (contracts::thresholds)"),
        OutputSlot::new("summary", Format::Json, "taken vs phantom per split and bucket, regime cut points, win-probability calibration"),
    ];

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.fit_split == mlfactory_market::contracts::splits::TEST {
            return Err(ParamIssue::new(&["fit_split"], "fitting thresholds on the test split leaks it").hint("fit on `val`"));
        }
        for (name, v) in [("floor", p.floor), ("ceiling", p.ceiling), ("static", p.fallback)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ParamIssue::new(&[name], format!("a probability, got {v}")));
            }
        }
        if p.floor > p.ceiling {
            return Err(ParamIssue::new(&["floor"], format!("floor {} is above ceiling {}", p.floor, p.ceiling)));
        }
        if p.regimes == 0 || p.vol_window < 2 || p.bins == 0 {
            return Err(ParamIssue::new(&[], "`regimes` and `bins` must be at least 1, `vol_window` at least 2"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let p = Predictions::read(inputs.table("predictions")?, "predictions")?;
        let candidates = Candidates::of(&p);
        let fit: Vec<usize> = (0..candidates.len()).filter(|&i| p.split[candidates.row[i]] == params.fit_split).collect();
        if fit.len() < 2 {
            return Err(StageError::data_hint(
                format!("split `{}` has {} candidate signals (rows where p_long != p_short); at least 2 are needed", params.fit_split, fit.len()),
                "thresholds are fit on the validation split: check that the predictions have one (`fit_split`)",
            ));
        }
        // Calibrated win probability: isotonic of win on p_side, validation rows only.
        let x: Vec<f64> = fit.iter().map(|&i| candidates.p_side[i]).collect();
        let y: Vec<f64> = fit.iter().map(|&i| f64::from(u8::from(candidates.trade_ret[i] > 0.0))).collect();
        let win_map = Isotonic::fit(&x, &y, None).ok_or_else(|| StageError::internal("no finite side probabilities"))?;
        let win_prob: Vec<f64> = candidates.p_side.iter().map(|&v| win_map.predict(v)).collect();

        // Buckets.
        let ts: Vec<i64> = candidates.row.iter().map(|&r| p.ts[r]).collect();
        let session: Vec<&str> = if params.by_session { sessions(&ts) } else { vec!["all"; ts.len()] };
        let (regime_idx, cuts, names) = match inputs.opt_table("bars")? {
            Some(b) if params.regimes > 1 => {
                let bar_ts = ts_column(b, bars::TS)?;
                let vol_by_bar = rolling_vol(&f64_column(b, bars::CLOSE)?, params.vol_window);
                let vol: Vec<f64> = asof(&bar_ts, &ts).into_iter().map(|i| i.map_or(f64::NAN, |i| vol_by_bar[i])).collect();
                let cuts = cut_points(&fit.iter().map(|&i| vol[i]).collect::<Vec<_>>(), params.regimes);
                (vol.iter().map(|&v| regime_of(v, &cuts)).collect::<Vec<_>>(), cuts, regime_names(params.regimes))
            }
            _ => (vec![0; ts.len()], Vec::new(), regime_names(1)),
        };
        let rule = Rule { floor: params.floor, ceiling: params.ceiling, fallback: params.fallback, min_samples: params.min_samples, margin: params.margin };
        let mut fit_returns: BTreeMap<(&str, usize), Vec<f64>> = BTreeMap::new();
        for &i in &fit {
            fit_returns.entry((session[i], regime_idx[i])).or_default().push(candidates.trade_ret[i]);
        }
        let pooled = fit_bucket(&fit.iter().map(|&i| candidates.trade_ret[i]).collect::<Vec<_>>(), &rule);
        let mut fits: BTreeMap<(&str, usize), BucketFit> = fit_returns.iter().map(|(k, r)| (*k, fit_bucket(r, &rule))).collect();
        // Buckets seen only outside the fitting split get the static threshold.
        for i in 0..ts.len() {
            fits.entry((session[i], regime_idx[i])).or_insert_with(|| fit_bucket(&[], &rule));
        }
        let bucket = |i: usize| &fits[&(session[i], regime_idx[i])];
        let threshold: Vec<f64> = (0..ts.len()).map(|i| bucket(i).threshold).collect();
        let taken: Vec<bool> = (0..ts.len()).map(|i| win_prob[i] >= threshold[i]).collect();
        // Expected value with the bucket's W and L, or the pooled ones for static buckets.
        let ev: Vec<f64> = (0..ts.len())
            .map(|i| {
                let b = bucket(i);
                if b.avg_win.is_finite() && b.avg_loss.is_finite() { b.expected_value(win_prob[i]) } else { pooled.expected_value(win_prob[i]) }
            })
            .collect();
        let win: Vec<bool> = candidates.trade_ret.iter().map(|r| *r > 0.0).collect();

        // Summary: taken vs phantom per split, and per split and bucket.
        let mut by_split = serde_json::Map::new();
        let mut out = StageOutput::new();
        for split in p.splits() {
            let rows: Vec<usize> = (0..ts.len()).filter(|&i| p.split[candidates.row[i]] == split).collect();
            let side = |want: bool| group(rows.iter().copied().filter(|&i| taken[i] == want), &candidates.trade_ret);
            let (t, ph) = (side(true), side(false));
            out = out
                .metric(&format!("{split}_taken"), t.n)
                .metric(&format!("{split}_taken_win_rate"), t.win_rate)
                .metric(&format!("{split}_phantom_win_rate"), ph.win_rate);
            ctx.log(format_args!("{split}: taken {} (win rate {:.3}), phantom {} (win rate {:.3})", t.n, t.win_rate, ph.n, ph.win_rate));
            let mut buckets = Vec::new();
            for ((s, r), f) in &fits {
                let in_bucket: Vec<usize> = rows.iter().copied().filter(|&i| session[i] == *s && regime_idx[i] == *r).collect();
                if in_bucket.is_empty() {
                    continue;
                }
                let side = |want: bool| group(in_bucket.iter().copied().filter(|&i| taken[i] == want), &candidates.trade_ret);
                buckets.push(json!({"session": s, "regime": names[*r], "threshold": f.threshold, "taken": side(true), "phantom": side(false)}));
            }
            let probs: Vec<f64> = rows.iter().map(|&i| win_prob[i]).collect();
            let hits: Vec<bool> = rows.iter().map(|&i| win[i]).collect();
            by_split.insert(split, json!({"taken": t, "phantom": ph, "buckets": buckets, "win_prob_curve": curve(&probs, &hits, params.bins)}));
        }
        let sources: Vec<&str> = (0..ts.len()).map(|i| bucket(i).source.name()).collect();
        let signals = TableBuilder::new()
            .ts(sc::TS, ts.clone())
            .str(sc::SPLIT, &candidates.row.iter().map(|&r| p.split[r].as_str()).collect::<Vec<_>>())
            .f64(sc::SIDE, candidates.side.clone())
            .f64(sc::P_SIDE, candidates.p_side.clone())
            .f64(sc::WIN_PROB, win_prob)
            .str(sc::SESSION, &session)
            .str(sc::REGIME, &regime_idx.iter().map(|&r| names[r].as_str()).collect::<Vec<_>>())
            .f64(sc::THRESHOLD, threshold)
            .str(sc::THRESHOLD_SOURCE, &sources)
            .f64(sc::EXPECTED_VALUE, ev)
            .bool(sc::TAKEN, taken.clone())
            .f64(sc::SIGNAL, (0..ts.len()).map(|i| if taken[i] { candidates.side[i] } else { 0.0 }).collect())
            .f64(sc::RET, candidates.row.iter().map(|&r| p.ret[r]).collect())
            .f64(sc::TRADE_RET, candidates.trade_ret.clone())
            .bool(sc::WIN, win)
            .build()?;
        let table = TableBuilder::new()
            .str(tc::SESSION, &fits.keys().map(|k| k.0).collect::<Vec<_>>())
            .str(tc::REGIME, &fits.keys().map(|k| names[k.1].as_str()).collect::<Vec<_>>())
            .i64(tc::ROWS, fits.values().map(|f| f.rows as i64).collect())
            .i64(tc::WINS, fits.values().map(|f| f.wins as i64).collect())
            .f64(tc::AVG_WIN, fits.values().map(|f| f.avg_win).collect())
            .f64(tc::AVG_LOSS, fits.values().map(|f| f.avg_loss).collect())
            .f64(tc::BREAKEVEN, fits.values().map(|f| f.breakeven).collect())
            .f64(tc::THRESHOLD, fits.values().map(|f| f.threshold).collect())
            .str(tc::SOURCE, &fits.values().map(|f| f.source.name()).collect::<Vec<_>>())
            .build()?;
        Ok(out
            .metric("buckets", fits.len())
            .metric("static_buckets", fits.values().filter(|f| f.source == Source::Static).count())
            .table("signals", signals)
            .table("thresholds", table)
            .json(
                "summary",
                json!({
                    "fit_split": params.fit_split,
                    "fit_signals": fit.len(),
                    "rule": {"floor": params.floor, "ceiling": params.ceiling, "static": params.fallback, "min_samples": params.min_samples, "margin": params.margin},
                    "pooled": pooled,
                    "regimes": {"names": names, "cuts": cuts, "vol_window": params.vol_window},
                    "win_calibration": {"x": win_map.x, "y": win_map.y},
                    "splits": by_split,
                }),
            ))
    }
}

/// The candidate trades of a predictions table: every row whose p_long and p_short
/// differ, on the side the model leans to.
struct Candidates {
    /// Row in the predictions.
    row: Vec<usize>,
    side: Vec<f64>,
    p_side: Vec<f64>,
    trade_ret: Vec<f64>,
}

impl Candidates {
    fn of(p: &Predictions) -> Self {
        let mut c = Self { row: vec![], side: vec![], p_side: vec![], trade_ret: vec![] };
        for i in 0..p.len() {
            let [short, _, long] = p.proba[i];
            if short == long || !p.ret[i].is_finite() {
                continue;
            }
            let side = if long > short { 1.0 } else { -1.0 };
            c.row.push(i);
            c.side.push(side);
            c.p_side.push(long.max(short));
            c.trade_ret.push(side * p.ret[i]);
        }
        c
    }

    fn len(&self) -> usize {
        self.row.len()
    }
}

/// Count, win rate, mean and total trade return of a group of candidates.
#[derive(Clone, Copy, Debug, Serialize)]
struct Group {
    n: usize,
    win_rate: f64,
    avg_ret: f64,
    total_ret: f64,
}

fn group(rows: impl Iterator<Item = usize>, trade_ret: &[f64]) -> Group {
    let r: Vec<f64> = rows.map(|i| trade_ret[i]).collect();
    let n = r.len();
    let total: f64 = r.iter().sum();
    let nan_if_empty = |v: f64| if n == 0 { f64::NAN } else { v };
    Group { n, win_rate: nan_if_empty(r.iter().filter(|x| **x > 0.0).count() as f64 / n as f64), avg_ret: nan_if_empty(total / n as f64), total_ret: total }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::{array_to_f64, str_column};

    use super::*;
    use crate::predictions::fixtures::predictions;

    /// Validation and test rows whose long probability carries a real edge: rows with a
    /// high p_long win more often.
    fn edge(n: usize, split: &str, flip: bool) -> Predictions {
        let mut p = predictions(n, split, |_| true);
        for i in 0..n {
            let strong = i % 4 == 0;
            p.proba[i] = if strong { [0.1, 0.2, 0.7] } else { [0.3, 0.25, 0.45] };
            let won = if strong { (i / 4) % 8 != 0 } else { i % 2 == 0 };
            p.ret[i] = if won == flip { -0.01 } else { 0.01 };
        }
        p
    }

    fn run(p: &Predictions, params: &Params) -> StageOutput {
        let progress = NullProgress;
        Thresholds.run(&StageContext::new(0, &progress), params, &StageInputs::new().with_table("predictions", p.to_table().unwrap())).unwrap()
    }

    fn params() -> Params {
        Params { min_samples: 10, by_session: false, ..Params::default() }
    }

    #[test]
    fn takes_the_signals_with_positive_expected_value_and_tracks_the_rest() {
        let mut p = edge(80, "val", false);
        p.extend(edge(40, "test", false));
        let out = run(&p, &params());
        let Artifact::Table(s) = &out.artifacts["signals"] else { panic!() };
        assert_eq!(s.num_rows(), 120, "every candidate is kept");
        let taken = array_to_f64(s.column_by_name(sc::TAKEN).unwrap()).unwrap();
        let p_side = f64_column(s, sc::P_SIDE).unwrap();
        // Wins and losses of 1%: break-even 0.5; strong rows win 17 of 20, weak ones 1 in 3.
        for i in 0..120 {
            assert_eq!(taken[i] == 1.0, p_side[i] == 0.7, "row {i}");
        }
        assert!((out.metrics["val_taken_win_rate"].as_f64().unwrap() - 0.85).abs() < 1e-12);
        assert!((out.metrics["val_phantom_win_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let Artifact::Table(t) = &out.artifacts["thresholds"] else { panic!() };
        assert_eq!(str_column(t, tc::SOURCE).unwrap(), [Some("breakeven".to_owned())]);
        assert!((f64_column(t, tc::THRESHOLD).unwrap()[0] - 0.5).abs() < 1e-12);
    }

    /// Leakage: rewriting the test rows' outcomes changes nothing fitted, nor any
    /// validation row's decision.
    #[test]
    fn test_rows_never_shape_the_thresholds() {
        let mut a = edge(80, "val", false);
        let mut b = a.clone();
        a.extend(edge(40, "test", false));
        b.extend(edge(40, "test", true));
        let (oa, ob) = (run(&a, &params()), run(&b, &params()));
        let (Artifact::Table(ta), Artifact::Table(tb)) = (&oa.artifacts["thresholds"], &ob.artifacts["thresholds"]) else { panic!() };
        assert_eq!(ta, tb);
        let (Artifact::Table(sa), Artifact::Table(sb)) = (&oa.artifacts["signals"], &ob.artifacts["signals"]) else { panic!() };
        assert_eq!(f64_column(sa, sc::WIN_PROB).unwrap(), f64_column(sb, sc::WIN_PROB).unwrap());
        assert_eq!(sa.slice(0, 80), sb.slice(0, 80));
    }

    #[test]
    fn small_buckets_fall_back_to_the_static_threshold() {
        let mut p = edge(80, "val", false);
        p.extend(edge(40, "test", false));
        let out = run(&p, &Params { min_samples: 1000, ..params() });
        assert_eq!(out.metrics["static_buckets"], 1);
        let Artifact::Table(t) = &out.artifacts["thresholds"] else { panic!() };
        assert_eq!(f64_column(t, tc::THRESHOLD).unwrap(), [0.55]);
    }

    #[test]
    fn checks_params() {
        assert!(Thresholds.normalize(&json!({"fit_split": "test"})).is_err());
        assert!(Thresholds.normalize(&json!({"floor": 0.8, "ceiling": 0.6})).is_err());
        assert_eq!(Thresholds.normalize(&json!({})).unwrap()["static"], 0.55);
    }
}
