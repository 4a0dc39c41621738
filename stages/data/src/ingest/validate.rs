//! Validation rules for bar files, each with a policy: `error` (the default: fail,
//! naming the file, the 0-based data row, the rule and the values), `drop` (remove the
//! row) or `repair` (fix it). Every hit is counted in the validation report with sample
//! rows, whatever the policy: nothing is dropped or changed silently.
//!
//! | rule | hit when | `repair` |
//! |---|---|---|
//! | `price` | an open/high/low/close is missing, not a number, infinite or <= 0 | take the previous row's close (dropped if there is none) |
//! | `volume` | volume is negative or not a number | set it to null (unknown) |
//! | `high_low` | high < low | swap them |
//! | `open_close` | open or close outside [low, high] | widen high/low to include them |
//! | `tick_grid` | a price is not a multiple of the tick size (to 1e-6 tick) | round to the nearest tick |
//! | `unsorted` | a timestamp is earlier than the one before | sort by time (stable) |
//! | `duplicate` | a timestamp repeats | merge into one bar (first open, max high, min low, last close, summed volume) |
//! | `gap` | more than `max_gap` of open-market time without a bar inside a trading day | insert flat bars at the last close, volume 0 (`drop` removes the trading day) |
//!
//! Row rules run first, in the order above, each seeing the previous repairs; then the
//! bar-close stamps are moved to the bar open; then `unsorted`, `duplicate` and `gap`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mlfactory_engine::StageError;
use mlfactory_market::Calendar;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What to do with rows that break a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Fail, naming the rows.
    #[default]
    Error,
    /// Remove the rows (counted in the report).
    Drop,
    /// Fix the rows (counted in the report).
    Repair,
}

/// The policy of each rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Missing, non-finite or non-positive prices.
    pub price: Policy,
    /// Negative or non-numeric volume.
    pub volume: Policy,
    /// high < low.
    pub high_low: Policy,
    /// open or close outside [low, high].
    pub open_close: Policy,
    /// Prices off the tick grid (checked when a tick size is known).
    pub tick_grid: Policy,
    /// Timestamps going backwards.
    pub unsorted: Policy,
    /// Repeated timestamps.
    pub duplicate: Policy,
    /// Missing bars beyond `max_gap` inside a trading day (checked when `max_gap` is set).
    pub gap: Policy,
}

/// Rule names, in the order they run.
pub const RULES: [&str; 8] = ["price", "volume", "high_low", "open_close", "tick_grid", "unsorted", "duplicate", "gap"];

impl Rules {
    fn policy(&self, rule: &str) -> Policy {
        match rule {
            "price" => self.price,
            "volume" => self.volume,
            "high_low" => self.high_low,
            "open_close" => self.open_close,
            "tick_grid" => self.tick_grid,
            "unsorted" => self.unsorted,
            "duplicate" => self.duplicate,
            _ => self.gap,
        }
    }
}

/// One offending row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// 0-based data row in the file.
    pub row: u64,
    pub detail: String,
}

/// What one rule found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    pub policy: Option<Policy>,
    /// Whether the rule was checked (`tick_grid` needs a tick size, `gap` a `max_gap`).
    pub checked: bool,
    pub hits: usize,
    pub dropped: usize,
    pub repaired: usize,
    /// The first hits.
    pub samples: Vec<Hit>,
}

/// The validation report of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub file: String,
    pub rows_read: usize,
    pub rows_out: usize,
    pub rules: BTreeMap<String, RuleReport>,
}

/// Bars being validated: columns plus each row's 0-based row in the file. `src` maps a
/// row to the raw row whose extra columns it carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Raw {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub row: Vec<u64>,
    pub src: Vec<u32>,
    /// Text of fields that did not parse as numbers, by (raw index, column).
    pub bad_text: BTreeMap<(usize, &'static str), String>,
}

impl Raw {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    fn select(&mut self, keep: &[bool]) {
        fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
            let mut k = keep.iter();
            v.retain(|_| *k.next().unwrap_or(&true));
        }
        for v in [&mut self.open, &mut self.high, &mut self.low, &mut self.close, &mut self.volume] {
            retain(v, keep);
        }
        retain(&mut self.ts, keep);
        retain(&mut self.row, keep);
        retain(&mut self.src, keep);
    }

    fn permute(&mut self, order: &[usize]) {
        let f = |v: &Vec<f64>| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
        self.open = f(&self.open);
        self.high = f(&self.high);
        self.low = f(&self.low);
        self.close = f(&self.close);
        self.volume = f(&self.volume);
        self.ts = order.iter().map(|&i| self.ts[i]).collect();
        self.row = order.iter().map(|&i| self.row[i]).collect();
        self.src = order.iter().map(|&i| self.src[i]).collect();
    }
}

/// Formats UTC nanoseconds as ISO-8601.
pub fn fmt_ts(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

const SAMPLES: usize = 10;

struct Checker<'a> {
    rules: &'a Rules,
    report: Report,
}

impl Checker<'_> {
    fn hit(&mut self, rule: &str, row: u64, detail: impl FnOnce() -> String) {
        let r = self.report.rules.entry(rule.to_owned()).or_default();
        r.hits += 1;
        if r.samples.len() < SAMPLES {
            r.samples.push(Hit { row, detail: detail() });
        }
    }

    fn count(&mut self, rule: &str, dropped: usize, repaired: usize) {
        let r = self.report.rules.entry(rule.to_owned()).or_default();
        r.dropped += dropped;
        r.repaired += repaired;
    }

    /// Fails when a rule whose policy is `error` has hits.
    fn fail_on_errors(&self, stage: &[&str]) -> Result<(), StageError> {
        let failing: Vec<(&String, &RuleReport)> =
            self.report.rules.iter().filter(|(k, r)| stage.contains(&k.as_str()) && r.hits > 0 && self.rules.policy(k) == Policy::Error).collect();
        if failing.is_empty() {
            return Ok(());
        }
        let total: usize = failing.iter().map(|(_, r)| r.hits).sum();
        let mut lines = Vec::new();
        for (rule, r) in &failing {
            for h in &r.samples {
                lines.push((h.row, format!("  row {}: rule `{rule}`: {}", h.row, h.detail)));
            }
        }
        lines.sort();
        let shown = lines.len().min(SAMPLES);
        let mut msg = format!("`{}`: {total} row(s) break validation rules:\n", self.report.file);
        msg.push_str(&lines[..shown].iter().map(|l| l.1.as_str()).collect::<Vec<_>>().join("\n"));
        if total > shown {
            let _ = write!(msg, "\n  ... and {} more", total - shown);
        }
        let names: Vec<&str> = failing.iter().map(|(k, _)| k.as_str()).collect();
        Err(StageError::data_hint(msg, format!("fix the file, or set `rules: {{{}: drop}}` (or `repair`) to clean it on ingest", names.join(": drop, "))))
    }
}

fn bad(v: f64) -> bool {
    !(v.is_finite() && v > 0.0)
}

fn show(raw: &Raw, i: usize, col: &'static str, v: f64) -> String {
    match raw.bad_text.get(&(raw.src[i] as usize, col)) {
        Some(t) => format!("{col} `{t}` is not a number"),
        None if v.is_nan() => format!("{col} is missing"),
        None => format!("{col} {v}"),
    }
}

/// Runs every rule.
///
/// The loops index the parallel columns of `raw` by row on purpose. `tick` and `max_gap_ns`/`bar_ns` enable the tick-grid and gap rules;
/// `stamp_shift_ns` is subtracted from every timestamp after the row rules (bar-close
/// stamps to bar-open).
#[allow(clippy::needless_range_loop)]
pub fn validate(
    mut raw: Raw,
    file: &str,
    rules: &Rules,
    tick: Option<f64>,
    max_gap_ns: Option<i64>,
    bar_ns: i64,
    stamp_shift_ns: i64,
) -> Result<(Raw, Report), StageError> {
    let mut c = Checker { rules, report: Report { file: file.to_owned(), rows_read: raw.len(), ..Report::default() } };
    for rule in RULES {
        let checked = match rule {
            "tick_grid" => tick.is_some(),
            "gap" => max_gap_ns.is_some(),
            _ => true,
        };
        c.report.rules.insert(rule.to_owned(), RuleReport { policy: checked.then(|| rules.policy(rule)), checked, ..RuleReport::default() });
    }
    let n = raw.len();
    let mut keep = vec![true; n];
    let mut last_close: Option<f64> = None;
    for i in 0..n {
        let row = raw.row[i];
        // price
        let prices = [("open", raw.open[i]), ("high", raw.high[i]), ("low", raw.low[i]), ("close", raw.close[i])];
        if prices.iter().any(|p| bad(p.1)) {
            let detail = prices.iter().filter(|p| bad(p.1)).map(|p| show(&raw, i, p.0, p.1)).collect::<Vec<_>>().join(", ");
            c.hit("price", row, || {
                if detail.contains("not a number") || detail.contains("missing") { detail.clone() } else { format!("{detail} (prices must be > 0)") }
            });
            match (rules.price, last_close) {
                (Policy::Repair, Some(prev)) => {
                    for v in [&mut raw.open[i], &mut raw.high[i], &mut raw.low[i], &mut raw.close[i]] {
                        if bad(*v) {
                            *v = prev;
                        }
                    }
                    c.count("price", 0, 1);
                }
                (Policy::Drop | Policy::Repair, _) => {
                    keep[i] = false;
                    c.count("price", 1, 0);
                    continue;
                }
                (Policy::Error, _) => {}
            }
        }
        // volume
        let v = raw.volume[i];
        let text = raw.bad_text.contains_key(&(raw.src[i] as usize, "volume"));
        if v < 0.0 || v.is_infinite() || text {
            c.hit("volume", row, || show(&raw, i, "volume", v));
            match rules.volume {
                Policy::Repair => {
                    raw.volume[i] = f64::NAN;
                    c.count("volume", 0, 1);
                }
                Policy::Drop => {
                    keep[i] = false;
                    c.count("volume", 1, 0);
                    continue;
                }
                Policy::Error => {}
            }
        }
        // high_low
        if raw.high[i] < raw.low[i] {
            c.hit("high_low", row, || format!("high {} < low {}", raw.high[i], raw.low[i]));
            match rules.high_low {
                Policy::Repair => {
                    std::mem::swap(&mut raw.high[i], &mut raw.low[i]);
                    c.count("high_low", 0, 1);
                }
                Policy::Drop => {
                    keep[i] = false;
                    c.count("high_low", 1, 0);
                    continue;
                }
                Policy::Error => {}
            }
        }
        // open_close
        let (lo, hi) = (raw.low[i], raw.high[i]);
        if raw.high[i] >= raw.low[i] && [raw.open[i], raw.close[i]].iter().any(|&p| p < lo || p > hi) {
            c.hit("open_close", row, || format!("open {} / close {} outside [low {lo}, high {hi}]", raw.open[i], raw.close[i]));
            match rules.open_close {
                Policy::Repair => {
                    raw.high[i] = hi.max(raw.open[i]).max(raw.close[i]);
                    raw.low[i] = lo.min(raw.open[i]).min(raw.close[i]);
                    c.count("open_close", 0, 1);
                }
                Policy::Drop => {
                    keep[i] = false;
                    c.count("open_close", 1, 0);
                    continue;
                }
                Policy::Error => {}
            }
        }
        // tick_grid
        if let Some(t) = tick {
            let off = |p: f64| {
                let q = p / t;
                (q - q.round()).abs() > 1e-6
            };
            let prices = [("open", raw.open[i]), ("high", raw.high[i]), ("low", raw.low[i]), ("close", raw.close[i])];
            if prices.iter().any(|p| p.1.is_finite() && off(p.1)) {
                c.hit("tick_grid", row, || {
                    prices.iter().filter(|p| off(p.1)).map(|p| format!("{} {} is not a multiple of the tick {t}", p.0, p.1)).collect::<Vec<_>>().join(", ")
                });
                match rules.tick_grid {
                    Policy::Repair => {
                        for v in [&mut raw.open[i], &mut raw.high[i], &mut raw.low[i], &mut raw.close[i]] {
                            *v = (*v / t).round() * t;
                        }
                        c.count("tick_grid", 0, 1);
                    }
                    Policy::Drop => {
                        keep[i] = false;
                        c.count("tick_grid", 1, 0);
                        continue;
                    }
                    Policy::Error => {}
                }
            }
        }
        if raw.close[i].is_finite() && raw.close[i] > 0.0 {
            last_close = Some(raw.close[i]);
        }
    }
    c.fail_on_errors(&RULES[..5])?;
    raw.select(&keep);
    for t in &mut raw.ts {
        *t -= stamp_shift_ns;
    }

    // unsorted
    let mut running = i64::MIN;
    let mut unsorted = vec![true; raw.len()];
    let mut any_unsorted = false;
    for i in 0..raw.len() {
        if raw.ts[i] < running {
            any_unsorted = true;
            let prev = running;
            c.hit("unsorted", raw.row[i], || format!("ts {} is earlier than {} before it", fmt_ts(raw.ts[i]), fmt_ts(prev)));
            unsorted[i] = false;
        }
        running = running.max(raw.ts[i]);
    }
    if any_unsorted {
        match rules.unsorted {
            Policy::Error => c.fail_on_errors(&["unsorted"])?,
            Policy::Drop => {
                let dropped = unsorted.iter().filter(|k| !**k).count();
                raw.select(&unsorted);
                c.count("unsorted", dropped, 0);
            }
            Policy::Repair => {
                let mut order: Vec<usize> = (0..raw.len()).collect();
                order.sort_by_key(|&i| raw.ts[i]);
                raw.permute(&order);
                c.count("unsorted", 0, unsorted.iter().filter(|k| !**k).count());
            }
        }
    }

    // duplicate (rows are sorted now)
    let mut dup_keep = vec![true; raw.len()];
    let mut first = 0usize;
    for i in 1..raw.len() {
        if raw.ts[i] == raw.ts[first] {
            let first_row = raw.row[first];
            c.hit("duplicate", raw.row[i], || format!("ts {} repeats row {first_row}", fmt_ts(raw.ts[i])));
            dup_keep[i] = false;
            match rules.duplicate {
                Policy::Repair => {
                    raw.high[first] = raw.high[first].max(raw.high[i]);
                    raw.low[first] = raw.low[first].min(raw.low[i]);
                    raw.close[first] = raw.close[i];
                    let (a, b) = (raw.volume[first], raw.volume[i]);
                    let nz = |v: f64| if v.is_nan() { 0.0 } else { v };
                    raw.volume[first] = if a.is_nan() && b.is_nan() { f64::NAN } else { nz(a) + nz(b) };
                    raw.src[first] = raw.src[i];
                    c.count("duplicate", 0, 1);
                }
                Policy::Drop => c.count("duplicate", 1, 0),
                Policy::Error => {}
            }
        } else {
            first = i;
        }
    }
    if dup_keep.iter().any(|k| !k) {
        c.fail_on_errors(&["duplicate"])?;
        raw.select(&dup_keep);
    }

    // gap
    if let Some(max_gap) = max_gap_ns {
        gaps(&mut raw, &mut c, max_gap, bar_ns)?;
    }
    c.report.rows_out = raw.len();
    Ok((raw, c.report))
}

fn gaps(raw: &mut Raw, c: &mut Checker<'_>, max_gap: i64, bar_ns: i64) -> Result<(), StageError> {
    let clock = Calendar::cme().clock();
    let day: Vec<i64> = raw.ts.iter().map(|&t| clock.trading_day(t)).collect();
    let mut bad_days = Vec::new();
    let mut fills: Vec<(usize, Vec<i64>)> = Vec::new();
    for i in 1..raw.len() {
        if day[i] != day[i - 1] || raw.ts[i] - raw.ts[i - 1] <= bar_ns {
            continue;
        }
        let slots = (raw.ts[i] - raw.ts[i - 1] - 1) / bar_ns;
        let missing: Vec<i64> = (1..=slots).map(|k| raw.ts[i - 1] + k * bar_ns).filter(|&t| clock.is_open(t)).collect();
        if missing.len() as i64 * bar_ns > max_gap {
            let (prev_row, n_missing) = (raw.row[i - 1], missing.len());
            c.hit("gap", raw.row[i], || {
                format!("{n_missing} bar(s) missing before ts {} (previous bar: row {prev_row} at {})", fmt_ts(raw.ts[i]), fmt_ts(raw.ts[i - 1]))
            });
            bad_days.push(day[i]);
            fills.push((i, missing));
        }
    }
    if fills.is_empty() {
        return Ok(());
    }
    match c.rules.gap {
        Policy::Error => c.fail_on_errors(&["gap"]),
        Policy::Drop => {
            let keep: Vec<bool> = day.iter().map(|d| !bad_days.contains(d)).collect();
            let dropped = keep.iter().filter(|k| !**k).count();
            raw.select(&keep);
            c.count("gap", dropped, 0);
            Ok(())
        }
        Policy::Repair => {
            let mut out = Raw { bad_text: BTreeMap::new(), ..Raw::default() };
            let mut next = fills.into_iter().peekable();
            let mut filled = 0;
            for i in 0..raw.len() {
                if let Some((_, missing)) = next.next_if(|(at, _)| *at == i) {
                    let prev = out.close.last().copied().unwrap_or(raw.open[i]);
                    for t in missing {
                        out.ts.push(t);
                        for v in [&mut out.open, &mut out.high, &mut out.low, &mut out.close] {
                            v.push(prev);
                        }
                        out.volume.push(if raw.volume[i].is_nan() { f64::NAN } else { 0.0 });
                        out.row.push(raw.row[i - 1]);
                        out.src.push(raw.src[i - 1]);
                        filled += 1;
                    }
                }
                out.ts.push(raw.ts[i]);
                out.open.push(raw.open[i]);
                out.high.push(raw.high[i]);
                out.low.push(raw.low[i]);
                out.close.push(raw.close[i]);
                out.volume.push(raw.volume[i]);
                out.row.push(raw.row[i]);
                out.src.push(raw.src[i]);
            }
            *raw = out;
            c.count("gap", 0, filled);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
