//! Labelling many events at several horizons at once.
//!
//! Barriers do not depend on the horizon, so one scan up to the longest horizon finds
//! the first touch, and every horizon reads its label from it: a touch at or before the
//! horizon ends the event there, otherwise the vertical barrier does. Events are split
//! in fixed chunks labelled in parallel and concatenated in order, so the result does not
//! depend on the number of threads.

use rayon::prelude::*;

use crate::barrier::{Barrier, BarrierSpec, Prices, first_touch};

/// Where an event's vertical barrier is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vertical {
    /// At each of the run's horizons (bars after the event).
    Horizons,
    /// At this bar (an `events` table's `t1`).
    At(usize),
    /// None: the path runs to the last bar (an `events` table's null `t1`).
    Open,
}

/// One event to label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// The event's bar: entry at its close.
    pub bar: usize,
    /// The volatility target (a return); barriers sit at `pt * target` and `-sl * target`.
    pub target: f64,
    /// +1 long, -1 short (meta-labeling); +1 otherwise.
    pub side: i8,
    pub vertical: Vertical,
}

/// What one (event, horizon) resolved to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Index of the event in the input slice.
    pub event: usize,
    /// The horizon in bars (0 for an event whose vertical barrier came with it).
    pub horizon: u32,
    /// The bar the label is decided at (`t1`).
    pub exit: usize,
    pub barrier: Barrier,
    /// Side-adjusted return from the entry close to the exit.
    pub ret: f64,
    pub label: i8,
}

/// How returns become class labels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelRule {
    /// At the vertical barrier, returns within `[-min_ret, min_ret]` are labelled 0.
    pub min_ret: f64,
    /// Meta-labeling: 1 for a profitable bet (pt, or a vertical exit above `min_ret`), else 0.
    pub meta: bool,
}

impl LabelRule {
    /// The label of an exit: pt -> +1, sl -> -1 (0 when meta-labeling), vertical -> the sign
    /// of the return beyond `min_ret`, else 0.
    pub fn label(&self, barrier: Barrier, ret: f64) -> i8 {
        let label = match barrier {
            Barrier::Pt => 1,
            Barrier::Sl => -1,
            Barrier::Vertical => i8::from(ret > self.min_ret) - i8::from(ret < -self.min_ret),
        };
        if self.meta { i8::from(label > 0) } else { label }
    }
}

/// Events per parallel chunk (fixed, so results never depend on the thread count).
const CHUNK: usize = 16_384;

/// Labels every event at every horizon (sorted ascending, for [`Vertical::Horizons`]).
///
/// Events whose outcome is not known within the data (no touch and the vertical barrier
/// beyond the last bar, or no vertical barrier and no touch) give no row. Rows come in
/// event order, then horizon order.
pub fn label_events(prices: &Prices<'_>, events: &[Event], horizons: &[u32], spec: &BarrierSpec, rule: &LabelRule) -> Outcomes {
    let chunks = events
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut out = Vec::with_capacity(chunk.len() * horizons.len().max(1));
            for (k, ev) in chunk.iter().enumerate() {
                label_one(prices, c * CHUNK + k, ev, horizons, spec, rule, &mut out);
            }
            out
        })
        .collect();
    Outcomes { chunks }
}

/// The rows of [`label_events`], in order, kept in the chunks they were labelled in: the
/// readers (the labels table's columns) iterate them, so joining them would only copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcomes {
    chunks: Vec<Vec<Outcome>>,
}

impl Outcomes {
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(Vec::is_empty)
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = &Outcome> {
        self.chunks.iter().flatten()
    }
}

impl<'a> IntoIterator for &'a Outcomes {
    type Item = &'a Outcome;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Outcome>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

fn label_one(prices: &Prices<'_>, index: usize, ev: &Event, horizons: &[u32], spec: &BarrierSpec, rule: &LabelRule, out: &mut Vec<Outcome>) {
    let n = prices.len();
    let side = f64::from(ev.side);
    let c0 = prices.close[ev.bar];
    let vertical_ret = |bar: usize| (prices.close[bar] / c0 - 1.0) * side;
    let mut push = |horizon: u32, exit: usize, barrier: Barrier, ret: f64| {
        out.push(Outcome { event: index, horizon, exit, barrier, ret, label: rule.label(barrier, ret) });
    };
    match ev.vertical {
        Vertical::Horizons => {
            let Some(&longest) = horizons.last() else { return };
            let touch = first_touch(prices, ev.bar, ev.bar + longest as usize, ev.target, side, spec);
            for &h in horizons {
                let end = ev.bar + h as usize;
                match touch {
                    Some(t) if t.bar <= end => push(h, t.bar, t.barrier, t.ret),
                    _ if end < n => push(h, end, Barrier::Vertical, vertical_ret(end)),
                    _ => {}
                }
            }
        }
        Vertical::At(end) => match first_touch(prices, ev.bar, end, ev.target, side, spec) {
            Some(t) => push(0, t.bar, t.barrier, t.ret),
            None if end < n => push(0, end, Barrier::Vertical, vertical_ret(end)),
            None => {}
        },
        Vertical::Open => {
            if let Some(t) = first_touch(prices, ev.bar, n.saturating_sub(1), ev.target, side, spec) {
                push(0, t.bar, t.barrier, t.ret);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::barrier::{TieRule, TouchMode};

    fn walk(steps: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut close = vec![100.0];
        for s in steps {
            close.push(close.last().unwrap() * (1.0 + s));
        }
        let open: Vec<f64> = std::iter::once(100.0).chain(close[..close.len() - 1].iter().copied()).collect();
        let high: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.max(*c) * 1.001).collect();
        let low: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.min(*c) * 0.999).collect();
        (open, high, low, close)
    }

    #[test]
    fn one_scan_serves_every_horizon() {
        let (o, h, l, c) = walk(&[0.001, 0.001, 0.001, 0.02, 0.0, 0.0]);
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let spec = BarrierSpec { pt: 1.0, sl: 1.0, mode: TouchMode::Close, tie: TieRule::Stop };
        let ev = [Event { bar: 0, target: 0.01, side: 1, vertical: Vertical::Horizons }];
        let rule = LabelRule { min_ret: 0.0025, meta: false };
        let out = label_events(&p, &ev, &[2, 3, 4, 9], &spec, &rule);
        let summary: Vec<(u32, usize, Barrier, i8)> = out.iter().map(|o| (o.horizon, o.exit, o.barrier, o.label)).collect();
        // horizon 2: vertical with +0.2% (inside min_ret: 0); 3: vertical +0.3% (+1); 4: pt at bar 4; 9: beyond the data, but touched at 4
        assert_eq!(summary, vec![(2, 2, Barrier::Vertical, 0), (3, 3, Barrier::Vertical, 1), (4, 4, Barrier::Pt, 1), (9, 4, Barrier::Pt, 1)]);
    }

    #[test]
    fn events_without_a_known_outcome_give_no_row() {
        let (o, h, l, c) = walk(&[0.0, 0.0, 0.0]);
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let spec = BarrierSpec { pt: 1.0, sl: 1.0, mode: TouchMode::HighLow, tie: TieRule::Stop };
        let rule = LabelRule { min_ret: 0.0, meta: false };
        let ev = [Event { bar: 1, target: 0.05, side: 1, vertical: Vertical::Horizons }, Event { bar: 0, target: 0.05, side: 1, vertical: Vertical::Open }];
        let out: Vec<Outcome> = label_events(&p, &ev, &[2, 5], &spec, &rule).iter().copied().collect();
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].event, out[0].horizon, out[0].exit), (0, 2, 3));
    }

    #[test]
    fn meta_labels_are_one_for_a_profitable_bet_only() {
        let rule = LabelRule { min_ret: 0.001, meta: true };
        assert_eq!(rule.label(Barrier::Pt, 0.02), 1);
        assert_eq!(rule.label(Barrier::Sl, -0.02), 0);
        assert_eq!(rule.label(Barrier::Vertical, 0.002), 1);
        assert_eq!(rule.label(Barrier::Vertical, 0.0005), 0);
        assert_eq!(rule.label(Barrier::Vertical, -0.01), 0);
    }

    proptest! {
        /// The label never depends on a bar after `t1`: rewriting every bar after the
        /// exit leaves the outcome unchanged, and the exit is within the horizon.
        #[test]
        fn prop_outcome_uses_no_bar_after_t1(steps in proptest::collection::vec(-0.01f64..0.01, 30..60), pt in 0.2f64..3.0, sl in 0.2f64..3.0, close_mode: bool, junk in -0.5f64..0.5) {
            let (o, h, l, c) = walk(&steps);
            let p = Prices { open: &o, high: &h, low: &l, close: &c };
            let spec = BarrierSpec { pt, sl, mode: if close_mode { TouchMode::Close } else { TouchMode::HighLow }, tie: TieRule::Stop };
            let rule = LabelRule { min_ret: 0.0, meta: false };
            let ev: Vec<Event> = (0..10).map(|b| Event { bar: b, target: 0.005, side: if b % 2 == 0 { 1 } else { -1 }, vertical: Vertical::Horizons }).collect();
            let out = label_events(&p, &ev, &[3, 7, 15], &spec, &rule);
            for row in &out {
                prop_assert!(row.exit > ev[row.event].bar && row.exit <= ev[row.event].bar + row.horizon as usize);
                let cut = row.exit + 1;
                let mut fake = (o.clone(), h.clone(), l.clone(), c.clone());
                for v in [&mut fake.0, &mut fake.1, &mut fake.2, &mut fake.3] {
                    for x in &mut v[cut..] { *x *= 1.0 + junk; }
                }
                let fp = Prices { open: &fake.0, high: &fake.1, low: &fake.2, close: &fake.3 };
                let again: Vec<Outcome> = label_events(&fp, &[ev[row.event]], &[row.horizon], &spec, &rule).iter().copied().collect();
                prop_assert_eq!((again[0].exit, again[0].barrier, again[0].label), (row.exit, row.barrier, row.label));
                prop_assert_eq!(again[0].ret, row.ret);
            }
        }
    }
}
