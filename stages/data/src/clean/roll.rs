//! Continuous contracts from bars that carry a contract column.
//!
//! Two layouts are understood:
//! - **one series** whose contract column changes at each roll: the roll's price gap is
//!   the first bar's open in the new contract minus the last close in the old one (it
//!   includes the market's move over that one bar: with a single series nothing better
//!   is known);
//! - **overlapping contracts** (several rows per timestamp, one per contract): the front
//!   contract of each trading day is the one with the most volume that day, never going
//!   back to an earlier contract (contracts ranked by first appearance); the gap is
//!   measured at the first timestamp of the roll day both contracts traded
//!   (open of the new minus open of the old), and only front-contract rows are kept.
//!
//! `back_adjusted` adds each roll's gap to every bar before it (the last contract keeps
//! its prices; differences are preserved); `ratio` multiplies them by new/old (returns
//! are preserved).

use std::collections::{BTreeMap, HashMap};

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::str_column;
use mlfactory_market::{Bars, Calendar};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::with_bars;

/// How prices are adjusted at a roll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollMethod {
    /// Leave prices as they are.
    None,
    /// Add the roll gap to all earlier bars.
    #[default]
    BackAdjusted,
    /// Multiply all earlier bars by the roll ratio.
    Ratio,
}

/// One roll.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Roll {
    /// First bar of the new contract.
    pub ts: i64,
    pub from: String,
    pub to: String,
    /// New minus old price at the roll.
    pub gap: f64,
    /// New over old price at the roll.
    pub ratio: f64,
}

/// Keeps the front contract's rows and adjusts prices before each roll.
pub fn roll(table: &RecordBatch, column: &str, method: RollMethod) -> Result<(RecordBatch, Vec<Roll>), StageError> {
    let bars = Bars::from_table(table)?;
    let contracts = str_column(table, column)?;
    let n = bars.len();
    let mut names: Vec<&str> = Vec::with_capacity(n);
    for (i, c) in contracts.iter().enumerate() {
        names.push(c.as_deref().ok_or_else(|| StageError::data_hint(format!("column `{column}` is null at row {i}"), "every bar needs its contract"))?);
    }
    let overlapping = bars.ts.windows(2).any(|w| w[0] == w[1]);
    let mut keep: Vec<u32> = Vec::with_capacity(n);
    let mut rolls: Vec<(usize, usize, f64, f64)> = Vec::new(); // (first kept index in `keep`, old row, new price, old price)
    if overlapping {
        let clock = Calendar::cme().clock();
        let mut rank: HashMap<&str, usize> = HashMap::new();
        for &c in &names {
            let next = rank.len();
            rank.entry(c).or_insert(next);
        }
        let day: Vec<i64> = bars.ts.iter().map(|&t| clock.trading_day(t)).collect();
        let row_at: HashMap<(i64, usize), usize> = (0..n).map(|i| ((bars.ts[i], rank[names[i]]), i)).collect();
        let mut volume: BTreeMap<(i64, usize), f64> = BTreeMap::new();
        for i in 0..n {
            *volume.entry((day[i], rank[names[i]])).or_default() += if bars.volume[i].is_finite() { bars.volume[i] } else { 0.0 };
        }
        let mut front_of_day: BTreeMap<i64, usize> = BTreeMap::new();
        let mut front = 0usize;
        for (&(d, r), &v) in &volume {
            let best = front_of_day.get(&d).copied();
            let best_v = best.map_or(f64::NEG_INFINITY, |b| volume[&(d, b)]);
            if v > best_v {
                front_of_day.insert(d, r);
            }
        }
        for f in front_of_day.values_mut() {
            front = front.max(*f);
            *f = front;
        }
        let mut current: Option<usize> = None;
        for i in 0..n {
            let r = rank[names[i]];
            if r != front_of_day[&day[i]] {
                continue;
            }
            if let Some(old) = current.filter(|&o| o != r) {
                // Price of both contracts at the first shared timestamp of the roll day.
                let shared = (i..n)
                    .take_while(|&j| day[j] == day[i])
                    .filter(|&j| rank[names[j]] == r)
                    .find_map(|j| row_at.get(&(bars.ts[j], old)).map(|&k| (bars.open[j], bars.open[k], k)));
                let last_old = keep.iter().rev().map(|&k| k as usize).find(|&k| rank[names[k]] == old).unwrap_or(i);
                let (new_p, old_p, old_row) = shared.unwrap_or((bars.open[i], bars.close[last_old], last_old));
                rolls.push((keep.len(), old_row, new_p, old_p));
            }
            current = Some(r);
            keep.push(i as u32);
        }
    } else {
        for i in 0..n {
            if i > 0 && names[i] != names[i - 1] {
                rolls.push((keep.len(), i - 1, bars.open[i], bars.close[i - 1]));
            }
            keep.push(i as u32);
        }
    }
    let kept = take_record_batch(table, &UInt32Array::from(keep.clone())).map_err(|e| StageError::internal(format!("selecting front contract rows: {e}")))?;
    let mut out = Bars::from_table(&kept)?;
    let mut report = Vec::with_capacity(rolls.len());
    // Walk rolls from the latest back, accumulating the adjustment.
    let (mut add, mut mul) = (0.0, 1.0);
    let mut end = out.len();
    for &(start, old_row, new_p, old_p) in rolls.iter().rev() {
        for i in start..end {
            adjust(&mut out, i, method, add, mul);
        }
        add += new_p - old_p;
        mul *= new_p / old_p;
        end = start;
        report.push(Roll {
            ts: out.ts[start],
            from: names[old_row].to_owned(),
            to: names[keep[start] as usize].to_owned(),
            gap: new_p - old_p,
            ratio: new_p / old_p,
        });
    }
    for i in 0..end {
        adjust(&mut out, i, method, add, mul);
    }
    report.reverse();
    Ok((with_bars(&kept, &out, None)?, report))
}

fn adjust(b: &mut Bars, i: usize, method: RollMethod, add: f64, mul: f64) {
    for p in [&mut b.open[i], &mut b.high[i], &mut b.low[i], &mut b.close[i]] {
        match method {
            RollMethod::BackAdjusted => *p += add,
            RollMethod::Ratio => *p *= mul,
            RollMethod::None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(ts: &[i64], price: &[f64], volume: &[f64], contract: &[&str]) -> RecordBatch {
        let p = price.to_vec();
        Bars { ts: ts.to_vec(), open: p.clone(), high: p.clone(), low: p.clone(), close: p, volume: volume.to_vec() }
            .to_builder()
            .str("contract", contract)
            .build()
            .unwrap()
    }

    #[test]
    fn sequential_series_back_adjusts_and_ratio_adjusts() {
        let t = table(&[1, 2, 3, 4], &[100.0, 101.0, 111.0, 112.0], &[1.0; 4], &["H", "H", "M", "M"]);
        let (b, rolls) = roll(&t, "contract", RollMethod::BackAdjusted).unwrap();
        assert_eq!(rolls.len(), 1);
        assert_eq!((rolls[0].from.as_str(), rolls[0].to.as_str(), rolls[0].gap), ("H", "M", 10.0));
        assert_eq!(Bars::from_table(&b).unwrap().close, vec![110.0, 111.0, 111.0, 112.0]);
        let (r, _) = roll(&t, "contract", RollMethod::Ratio).unwrap();
        let c = Bars::from_table(&r).unwrap().close;
        assert!((c[1] - 111.0).abs() < 1e-9 && (c[0] / c[1] - 100.0 / 101.0).abs() < 1e-12);
    }

    #[test]
    fn overlapping_contracts_pick_the_front_by_volume_and_never_roll_back() {
        let cal = Calendar::cme();
        let day1 = cal.utc_ns(2024, 3, 12, 10, 0).unwrap();
        let day2 = cal.utc_ns(2024, 3, 13, 10, 0).unwrap();
        let day3 = cal.utc_ns(2024, 3, 14, 10, 0).unwrap();
        let t = table(
            &[day1, day1, day2, day2, day3, day3],
            &[100.0, 104.0, 101.0, 105.0, 102.0, 106.0],
            &[90.0, 10.0, 20.0, 80.0, 60.0, 40.0],
            &["H", "M", "H", "M", "H", "M"],
        );
        let (b, rolls) = roll(&t, "contract", RollMethod::BackAdjusted).unwrap();
        assert_eq!(rolls.len(), 1);
        assert_eq!(rolls[0].gap, 4.0);
        let bars = Bars::from_table(&b).unwrap();
        assert_eq!(bars.close, vec![104.0, 105.0, 106.0]);
        assert_eq!(str_column(&b, "contract").unwrap(), vec![Some("H".into()), Some("M".into()), Some("M".into())]);
    }
}
