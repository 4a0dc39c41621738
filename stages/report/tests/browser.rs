//! The report end to end: a backtest of a simple signal on generated bars, fed with
//! validation documents shaped like `validate.*` outputs into `report`; then the page
//! is opened in headless Chromium (Debian's `chromium`, installed by `.ci/run`), which
//! must render it with no console message at all (the page has no script, so any
//! message is an error: malformed SVG, a blocked fetch, ...).
//!
//! Without `/usr/bin/chromium` the browser checks skip with a notice, unless `CI` is
//! set. Set `MLFACTORY_REPORT_SCREENSHOT=/path/to.png` to keep a screenshot of the page.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use mlfactory_artifacts::table::Table;
use mlfactory_backtest::{Backtest, BacktestParams};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Artifact, Stage, StageContext, StageInputs, StageOutput};
use mlfactory_market::Calendar;
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME};
use mlfactory_market::columns::TableBuilder;
use mlfactory_report::{Report, ReportParams};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const MIN: i64 = 60_000_000_000;

/// A small deterministic generator (xorshift64*), so the test needs no RNG crate.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// 40 trading days of 5-minute MES bars (17:00-16:00 Chicago, Monday to Friday), with a
/// `day_regime` column, and predictions on every bar: a noisy momentum signal.
fn bars_and_predictions() -> (Table, Table) {
    let cal = Calendar::cme();
    let clock = cal.clock();
    let mut ts = Vec::new();
    let mut t = cal.utc_ns(2024, 3, 3, 17, 0).unwrap(); // Sunday open
    while ts.len() < 40 * 276 {
        if clock.is_open(t) {
            ts.push(t);
        }
        t += 5 * MIN;
    }
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let (mut open, mut high, mut low, mut close, mut regime) = (vec![], vec![], vec![], vec![], vec![]);
    let mut price: f64 = 5000.0;
    let mut drift = 0.0;
    for (i, &t) in ts.iter().enumerate() {
        if i % 276 == 0 {
            drift = noise.next() * 0.6;
        }
        let o = price;
        let c = (o + drift + noise.next() * 4.0).max(1.0);
        let tick = |p: f64| (p * 4.0).round() / 4.0;
        open.push(tick(o));
        close.push(tick(c));
        high.push(tick(o.max(c) + noise.next().abs() * 2.0));
        low.push(tick(o.min(c) - noise.next().abs() * 2.0));
        regime.push(if drift.abs() > 0.15 { "trend" } else { "range" });
        price = c;
        let _ = t;
    }
    let n = ts.len();
    let bars = TableBuilder::new()
        .ts("ts", ts.clone())
        .f64("open", open)
        .f64("high", high)
        .f64("low", low)
        .f64("close", close.clone())
        .str("day_regime", &regime)
        .meta(META_SYMBOL, "MES")
        .meta(META_TIMEFRAME, "5m")
        .build()
        .unwrap();
    let horizon = 12;
    let (mut split, mut label, mut ret, mut signal, mut ps, mut pn, mut pl) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        // A fake model that knows a little of the next bars: right 2 times in 3 when it trades.
        let fwd = close[(i + horizon).min(n - 1)] / close[i] - 1.0;
        let soon = close[(i + 4).min(n - 1)] - close[i];
        let (u, v) = (noise.next() + 0.5, noise.next() + 0.5);
        let dir = if soon > 0.0 { 1i8 } else { -1 };
        let side = if u < 0.5 {
            0
        } else if v < 0.67 {
            dir
        } else {
            -dir
        };
        let p_long = match side {
            1 => 0.45 + 0.2 * v,
            0 => 0.3,
            _ => 0.25 - 0.1 * v,
        };
        let p_short = (0.7 - p_long).max(0.05);
        split.push(if i < n / 2 { "val" } else { "test" });
        label.push(if fwd > 0.0008 {
            1i8
        } else if fwd < -0.0008 {
            -1
        } else {
            0
        });
        ret.push(fwd);
        signal.push(side);
        ps.push(p_short);
        pn.push(1.0 - p_long - p_short);
        pl.push(p_long);
    }
    let predictions = TableBuilder::new()
        .ts("ts", ts)
        .str("split", &split)
        .i8("label", label)
        .f64("ret", ret)
        .i8("signal", signal)
        .f64("p_short", ps)
        .f64("p_neutral", pn)
        .f64("p_long", pl.clone())
        .f64("confidence", pl)
        .build()
        .unwrap();
    (Arc::new(bars), Arc::new(predictions))
}

fn run<S: Stage>(stage: &S, params: &S::Params, inputs: &StageInputs, lineage: Option<&Value>) -> StageOutput {
    let progress = NullProgress;
    let ctx = StageContext::new(7, &progress).with_lineage(lineage);
    stage.run(&ctx, params, inputs).unwrap()
}

/// Documents shaped like the `validate.*` outputs (see stages/validate).
fn validation_docs() -> Vec<(&'static str, Value)> {
    let split = |acc: f64, sharpe: f64| {
        json!({"classification": {"rows": 5000, "accuracy": acc, "log_loss": 1.02, "brier": 0.61, "macro_f1": 0.41,
                   "confusion": [[900, 500, 300], [450, 800, 420], [310, 520, 890]],
                   "classes": {"short": {"precision": 0.54, "recall": 0.53, "f1": 0.53, "support": 1700},
                               "neutral": {"precision": 0.44, "recall": 0.48, "f1": 0.46, "support": 1670},
                               "long": {"precision": 0.55, "recall": 0.52, "f1": 0.53, "support": 1720}}},
               "trading": {"trades": 3400, "hit_rate": 0.52, "mean_return": 0.00011, "sharpe": sharpe, "sharpe_per_trade": 0.03, "psr": 0.91}})
    };
    let sharpes: Vec<f64> = (0..45).map(|i| -0.8 + f64::from(i) * 0.05).collect();
    vec![
        ("evaluation", json!({"splits": {"val": split(0.47, 0.8), "test": split(0.45, 0.4)}})),
        (
            "model",
            json!({"model": {"type": "gbdt"}, "fit": {"iterations": 120, "best_iteration": 96},
                          "feature_importance": {"rsi_14": 0.21, "atr_14": 0.17, "ret_1": 0.09, "macd": 0.12, "hour_sin": 0.04, "vol_z_20": 0.07}}),
        ),
        (
            "cpcv",
            json!({"n_paths": 45, "groups": 10, "test_groups": 2, "sharpe": {"count": 45, "mean": 0.3, "std": 0.4, "median": 0.28, "p25": 0.0, "p75": 0.6, "positive_share": 0.74, "values": sharpes}}),
        ),
        (
            "pbo",
            json!({"pbo": 0.31, "prob_oos_loss": 0.22, "degradation": {"slope": -0.45, "intercept": 0.01}, "combinations": 12870, "partitions": 16,
                        "histogram": {"edges": [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], "counts": [300, 1100, 2600, 4100, 3500, 1270]}}),
        ),
        (
            "dsr",
            json!({"best": {"strategy": "model@gbdt", "sr": 0.09, "psr": 0.97, "dsr": 0.71, "sr0": 0.06, "trials": 8, "confidence": 0.95},
                        "strategies": [{"strategy": "model@gbdt", "sr": 0.09, "psr": 0.97, "periods": 250, "skew": -0.2, "kurtosis": 4.1},
                                       {"strategy": "model@logistic", "sr": 0.05, "psr": 0.8, "periods": 250, "skew": 0.1, "kurtosis": 3.4}]}),
        ),
        (
            "calibration_metrics",
            json!({"fit_split": "val", "splits": {"test": {"raw": {"log_loss": 1.05, "brier": 0.63, "accuracy": 0.45, "ece": {"mean": 0.06}},
                                                                            "calibrated": {"log_loss": 1.01, "brier": 0.61, "accuracy": 0.45, "ece": {"mean": 0.02}}}}}),
        ),
    ]
}

fn lineage() -> Value {
    let stage = |name: &str, kind: &str, outputs: Value| json!({"name": name, "kind": kind, "version": "1", "params": {}, "seed": 42, "key": format!("{:0>64}", name.len()), "outputs": outputs});
    json!({"pipeline": "mes", "stages": [
        stage("bars", "data.synth", json!({"bars": "a".repeat(64), "stats": "b".repeat(64)})),
        stage("model", "models.train", json!({"predictions": "c".repeat(64)})),
        stage("backtest", "backtest", json!({"trades": "d".repeat(64), "equity": "e".repeat(64), "metrics": "f".repeat(64)})),
    ]})
}

/// Runs the backtest and the report; returns the page and metrics.json.
fn render() -> (String, Value) {
    let (bars, predictions) = bars_and_predictions();
    let bt = run(
        &Backtest,
        &BacktestParams::default(),
        &StageInputs::new().with_table("predictions", (*predictions).clone()).with_table("bars", (*bars).clone()),
        None,
    );
    let mut inputs = StageInputs::new();
    for (slot, output) in [("backtest", "trades"), ("equity", "equity"), ("backtest_metrics", "metrics")] {
        inputs.insert(slot, "backtest", bt.artifacts[output].clone());
    }
    inputs.insert("predictions", "model", Artifact::Table(predictions));
    for (slot, doc) in validation_docs() {
        inputs.insert(slot, slot, Artifact::Json(doc));
    }
    let comparison = TableBuilder::new()
        .str("model", &["gbdt", "logistic", "gbdt", "logistic"])
        .str("split", &["val", "val", "test", "test"])
        .i64("rows", vec![5520, 5520, 5520, 5520])
        .f64("accuracy", vec![0.47, 0.45, 0.45, 0.44])
        .f64("log_loss", vec![1.02, 1.04, 1.03, 1.05])
        .f64("macro_f1", vec![0.41, 0.39, 0.40, 0.38])
        .i64("rank", vec![1, 2, 1, 2])
        .build()
        .unwrap();
    inputs.insert("comparison", "comparison", Artifact::Table(Arc::new(comparison)));
    inputs.insert("variants", "backtest@a", bt.artifacts["metrics"].clone());
    inputs.insert("variants", "backtest@b", Artifact::Json(json!({"summary": {"trades": 80, "net_pnl": -312.5, "sharpe": -0.4, "win_rate": 0.46}})));
    let out = run(&Report, &ReportParams::default(), &inputs, Some(&lineage()));
    let Artifact::Blob { bytes, .. } = &out.artifacts["html"] else { panic!("html is a blob") };
    let Artifact::Json(metrics) = &out.artifacts["metrics"] else { panic!("metrics is JSON") };
    (String::from_utf8(bytes.to_vec()).unwrap(), metrics.clone())
}

#[test]
fn the_report_is_complete_self_contained_and_deterministic() {
    let (html, metrics) = render();
    for id in ["summary", "backtest", "model", "calibration", "overfitting", "sweep", "provenance"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "section {id} missing");
    }
    assert!(html.matches("<svg").count() >= 10, "charts: {}", html.matches("<svg").count());
    for banned in ["<script", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(banned), "the page must not fetch anything ({banned})");
    }
    assert!(metrics["backtest"]["summary"]["trades"].as_u64().unwrap() > 20, "{}", metrics["backtest"]["summary"]);
    assert_eq!(metrics["overfitting"]["pbo"]["pbo"], 0.31);
    assert_eq!(metrics["provenance"]["stages"][2]["name"], "backtest");
    assert_eq!(render().0, html, "same inputs, same bytes");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens `page` in headless Chromium; returns (dumped DOM, console lines).
fn open_in_chromium(page: &Path, work: &Path, screenshot: Option<&Path>) -> (String, Vec<String>) {
    let profile = work.join(format!("profile-{}", page.file_stem().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&profile).unwrap();
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(["--enable-logging=stderr", "--v=0", "--hide-scrollbars"]);
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", png.display())).arg("--window-size=1280,7000"),
        None => cmd.arg("--dump-dom"),
    };
    let out = cmd.arg(format!("file://{}", page.display())).output().expect("running chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console = String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_owned).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn chromium_available(test: &str) -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{test}: {CHROMIUM} not found; CI installs it (.ci/run)");
    eprintln!("note: skipping {test}: {CHROMIUM} not found (apt-get install chromium)");
    false
}

#[test]
fn chromium_renders_the_report_without_console_messages() {
    if !chromium_available("chromium_renders_the_report_without_console_messages") {
        return;
    }
    let dir = temp_dir("report-browser");
    // The check itself must see errors: a page with a broken SVG logs them.
    let broken = dir.join("broken.html");
    std::fs::write(&broken, "<!DOCTYPE html><html><body><svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"-1\" height=\"2\"/></svg></body></html>")
        .unwrap();
    let (_, console) = open_in_chromium(&broken, &dir, None);
    assert!(!console.is_empty(), "the console check sees nothing: it would pass anything");

    let (html, _) = render();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let (dom, console) = open_in_chromium(&page, &dir, None);
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    assert!(dom.contains("<section id=\"provenance\">") && dom.contains("Net PnL"), "the DOM lacks the report");
    assert_eq!(dom.matches("<svg").count(), html.matches("<svg").count(), "every chart parsed");

    let png = std::env::var_os("MLFACTORY_REPORT_SCREENSHOT").map_or_else(|| dir.join("report.png"), PathBuf::from);
    let (_, console) = open_in_chromium(&page, &dir, Some(&png));
    assert!(console.is_empty(), "console messages while painting:\n{}", console.join("\n"));
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 50_000, "a real screenshot, got {} bytes", bytes.len());
}
