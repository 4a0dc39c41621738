//! The triple-barrier kernel: where an event's path first touches a barrier.
//!
//! An event enters at the close of its bar `i` (price `c0`) with a side `s` (+1 long,
//! -1 short; +1 without meta-labeling) and a target `trgt` (a volatility, as a return).
//! The path return of a price `p` is `r = (p / c0 - 1) * s`. The profit-taking barrier
//! sits at `r = +pt * trgt`, the stop-loss at `r = -sl * trgt`; a multiplier `<= 0`
//! disables its barrier. Bars strictly after `i` are scanned up to and including the
//! last bar the caller allows (the vertical barrier, or the end of the data).
//!
//! Two ways of touching:
//! - [`TouchMode::HighLow`] (default): a bar touches a barrier when its high or low
//!   reaches it (`>=`, touching the price counts). A bar that **opens** beyond a barrier
//!   (a gap) exits at its open, at the open's return. A bar whose range reaches both
//!   barriers without a gap is resolved by the [`TieRule`] (default: the stop first,
//!   the conservative reading of an unknown intrabar order).
//! - [`TouchMode::Close`]: only closes count, with strict inequalities, exactly AFML
//!   Snippet 3.2 (mlfinlab, mlfinpy), for comparison with that code.

use serde::{Deserialize, Serialize};

/// How a bar touches a barrier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TouchMode {
    /// A bar's high or low reaching a barrier touches it; gaps exit at the open.
    #[default]
    HighLow,
    /// Only closes beyond a barrier touch it (AFML Snippet 3.2).
    Close,
}

/// Which barrier wins when one bar's range reaches both (and its open neither).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// The stop-loss was hit first (conservative).
    #[default]
    Stop,
    /// The profit-taking barrier was hit first (optimistic).
    Profit,
}

/// The barrier that ended an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Barrier {
    /// Profit taking.
    Pt,
    /// Stop loss.
    Sl,
    /// The vertical barrier (the horizon, or the event's own `t1`).
    Vertical,
}

impl Barrier {
    /// The name written in the `barrier` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pt => "pt",
            Self::Sl => "sl",
            Self::Vertical => "vertical",
        }
    }
}

/// Price columns the kernel reads (all of equal length).
#[derive(Clone, Copy, Debug)]
pub struct Prices<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
}

impl Prices<'_> {
    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }
}

/// Barrier settings shared by every event of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarrierSpec {
    /// Profit-taking multiple of the target (`<= 0`: no profit-taking barrier).
    pub pt: f64,
    /// Stop-loss multiple of the target (`<= 0`: no stop-loss barrier).
    pub sl: f64,
    pub mode: TouchMode,
    pub tie: TieRule,
}

/// Where an event's path first touched a horizontal barrier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Touch {
    /// The bar that touched.
    pub bar: usize,
    /// [`Barrier::Pt`] or [`Barrier::Sl`].
    pub barrier: Barrier,
    /// The side-adjusted return at the exit: the barrier's return, the open's on a gap,
    /// or the close's in [`TouchMode::Close`].
    pub ret: f64,
}

/// The first bar in `entry+1 ..= last` whose path touches a horizontal barrier, if any.
///
/// `side` is +1 or -1; `target` must be positive and finite (callers skip other events).
#[inline]
pub fn first_touch(prices: &Prices<'_>, entry: usize, last: usize, target: f64, side: f64, spec: &BarrierSpec) -> Option<Touch> {
    let c0 = prices.close[entry];
    let (pt, sl) = distances(spec, target);
    if pt.is_infinite() && sl.is_infinite() {
        return None;
    }
    let last = last.min(prices.len().saturating_sub(1));
    match spec.mode {
        TouchMode::Close => close_touch(prices.close, c0, entry, last, pt, sl, side),
        TouchMode::HighLow => high_low_touch(prices, c0, entry, last, pt, sl, side, spec.tie),
    }
}

/// The barriers' distances as returns, `(pt x target, sl x target)`; infinite when disabled.
#[inline]
pub(crate) fn distances(spec: &BarrierSpec, target: f64) -> (f64, f64) {
    (distance(multiple(spec.pt), target), distance(multiple(spec.sl), target))
}

/// A barrier's multiple of the target, infinite when the barrier is disabled (`<= 0`).
#[inline]
pub(crate) fn multiple(m: f64) -> f64 {
    if m > 0.0 { m } else { f64::INFINITY }
}

/// A barrier's distance as a return: its [`multiple`] times the target, or infinite.
#[inline]
pub(crate) fn distance(multiple: f64, target: f64) -> f64 {
    if multiple.is_finite() { multiple * target } else { f64::INFINITY }
}

/// The side-adjusted return of a price against the entry close (AFML's path return).
#[inline]
pub(crate) fn path_return(price: f64, c0: f64, side: f64) -> f64 {
    (price / c0 - 1.0) * side
}

/// AFML Snippet 3.2: `r = (c / c0 - 1) * side`; pt when `r > pt`, sl when `r < -sl`.
///
/// The return is only computed for closes outside a price band around the entry that
/// every touching close leaves: the band's edges are the barriers' price levels moved
/// 1e-9 (relative) towards the entry, far more than the rounding of `r` (about 1e-16), so
/// no touch is missed and the decision is still the one on `r`, bit for bit.
#[inline]
fn close_touch(close: &[f64], c0: f64, entry: usize, last: usize, pt: f64, sl: f64, side: f64) -> Option<Touch> {
    const SLACK: f64 = 1e-9;
    let (up, down) = if side > 0.0 { (pt, sl) } else { (sl, pt) };
    let (above, below) = (c0 * (1.0 + up) * (1.0 - SLACK), c0 * (1.0 - down) * (1.0 + SLACK));
    for (offset, &c) in close[entry + 1..=last.max(entry)].iter().enumerate() {
        if !(c > above || c < below) {
            continue;
        }
        let r = path_return(c, c0, side);
        if r < -sl {
            return Some(Touch { bar: entry + 1 + offset, barrier: Barrier::Sl, ret: r });
        }
        if r > pt {
            return Some(Touch { bar: entry + 1 + offset, barrier: Barrier::Pt, ret: r });
        }
    }
    None
}

/// Price levels `(profit, stop)` of the two barriers for high/low touches: for a long the
/// profit level is above, for a short below. A disabled barrier's level is infinite on
/// its own side, where no price reaches it.
#[inline]
pub(crate) fn levels(c0: f64, pt: f64, sl: f64, side: f64) -> (f64, f64) {
    (profit_level(c0, pt, side), stop_level(c0, sl, side))
}

/// The profit-taking level of [`levels`] alone.
#[inline]
pub(crate) fn profit_level(c0: f64, pt: f64, side: f64) -> f64 {
    let level = if side > 0.0 { c0 * (1.0 + pt) } else { c0 * (1.0 - pt) };
    if pt.is_finite() { level } else { side * f64::INFINITY }
}

/// The stop-loss level of [`levels`] alone.
#[inline]
pub(crate) fn stop_level(c0: f64, sl: f64, side: f64) -> f64 {
    let level = if side > 0.0 { c0 * (1.0 - sl) } else { c0 * (1.0 + sl) };
    if sl.is_finite() { level } else { -side * f64::INFINITY }
}

/// High/low touches in price space, with gaps resolved at the open.
#[inline]
fn high_low_touch(prices: &Prices<'_>, c0: f64, entry: usize, last: usize, pt: f64, sl: f64, side: f64, tie: TieRule) -> Option<Touch> {
    let (pt_level, sl_level) = levels(c0, pt, sl, side);
    for j in entry + 1..=last.max(entry) {
        let (high, low) = (prices.high[j], prices.low[j]);
        // favourable / adverse extremes of the bar for this side
        let (fav, adv) = if side > 0.0 { (high >= pt_level, low <= sl_level) } else { (low <= pt_level, high >= sl_level) };
        if fav || adv {
            return Some(resolve_bar(prices.open[j], j, c0, pt, sl, side, tie, fav, adv));
        }
    }
    None
}

/// How bar `j`, whose range reached the favourable barrier (`fav`) and/or the adverse one
/// (`adv`), exits: at its open on a gap through a barrier, else at the barrier it reached,
/// by the tie rule when it reached both.
#[inline]
pub(crate) fn resolve_bar(open: f64, j: usize, c0: f64, pt: f64, sl: f64, side: f64, tie: TieRule, fav: bool, adv: bool) -> Touch {
    let open_ret = path_return(open, c0, side);
    let (profit, at_open) = exit_rule((fav, adv), (open_ret >= pt, open_ret <= -sl), tie);
    let ret = if at_open {
        open_ret
    } else if profit {
        pt
    } else {
        -sl
    };
    Touch { bar: j, barrier: if profit { Barrier::Pt } else { Barrier::Sl }, ret }
}

/// The rule of [`resolve_bar`] on its own: for a bar whose range reached the favourable
/// barrier and/or the adverse one (`fav`, `adv`), and whose open is beyond the first or
/// the second (`open_pt`, `open_sl`), whether it exits at the profit-taking barrier
/// and whether at its open: `(profit, at_open)`.
///
/// An open beyond a barrier lies in a range that reached it; requiring the flag too keeps
/// the return-space test of the open from overruling the price-space test of the range by
/// a rounding. Written as selects: the barrier search resolves many candidates per bar.
#[inline]
pub(crate) fn exit_rule((fav, adv): (bool, bool), (open_pt, open_sl): (bool, bool), tie: TieRule) -> (bool, bool) {
    let (gap_pt, gap_sl) = (fav && open_pt, adv && open_sl);
    let profit_first = if fav && adv { tie == TieRule::Profit } else { fav };
    (gap_pt || (!gap_sl && profit_first), gap_pt || gap_sl)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    fn flat(n: usize, price: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        (vec![price; n], vec![price; n], vec![price; n], vec![price; n])
    }

    fn spec(mode: TouchMode) -> BarrierSpec {
        BarrierSpec { pt: 1.0, sl: 1.0, mode, tie: TieRule::Stop }
    }

    #[rstest]
    #[case::long_pt(1.0, 102.0, 100.0, Barrier::Pt, 0.01)]
    #[case::long_sl(1.0, 100.0, 98.0, Barrier::Sl, -0.01)]
    #[case::short_pt(-1.0, 100.0, 98.0, Barrier::Pt, 0.01)]
    #[case::short_sl(-1.0, 102.0, 100.0, Barrier::Sl, -0.01)]
    fn high_low_touch_exits_at_the_barrier(#[case] side: f64, #[case] high: f64, #[case] low: f64, #[case] barrier: Barrier, #[case] ret: f64) {
        let (o, mut h, mut l, c) = flat(5, 100.0);
        h[3] = high;
        l[3] = low;
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let t = first_touch(&p, 0, 4, 0.01, side, &spec(TouchMode::HighLow)).unwrap();
        assert_eq!((t.bar, t.barrier), (3, barrier));
        assert!((t.ret - ret).abs() < 1e-15);
    }

    #[test]
    fn a_bar_reaching_both_barriers_follows_the_tie_rule() {
        let (o, mut h, mut l, c) = flat(3, 100.0);
        h[1] = 102.0;
        l[1] = 98.0;
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let mut s = spec(TouchMode::HighLow);
        assert_eq!(first_touch(&p, 0, 2, 0.01, 1.0, &s).unwrap().barrier, Barrier::Sl);
        s.tie = TieRule::Profit;
        assert_eq!(first_touch(&p, 0, 2, 0.01, 1.0, &s).unwrap().barrier, Barrier::Pt);
    }

    #[test]
    fn a_gap_through_a_barrier_exits_at_the_open_whatever_the_tie_rule() {
        let (mut o, mut h, mut l, c) = flat(3, 100.0);
        (o[1], h[1], l[1]) = (103.0, 103.5, 97.0);
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let t = first_touch(&p, 0, 2, 0.01, 1.0, &spec(TouchMode::HighLow)).unwrap();
        assert_eq!((t.bar, t.barrier), (1, Barrier::Pt));
        assert!((t.ret - 0.03).abs() < 1e-15, "a gap fills at the open, not at the barrier");
        (o[1], h[1], l[1]) = (96.0, 103.0, 95.0);
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let t = first_touch(&p, 0, 2, 0.01, 1.0, &spec(TouchMode::HighLow)).unwrap();
        assert_eq!(t.barrier, Barrier::Sl);
        assert!((t.ret + 0.04).abs() < 1e-15);
    }

    #[test]
    fn close_mode_ignores_wicks_and_needs_a_strict_cross() {
        let (o, mut h, mut l, mut c) = flat(4, 100.0);
        (h[1], l[1]) = (110.0, 90.0);
        c[2] = 100.99; // below the barrier: no touch, although the wick of bar 1 went through
        c[3] = 101.5;
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        let t = first_touch(&p, 0, 3, 0.01, 1.0, &spec(TouchMode::Close)).unwrap();
        assert_eq!((t.bar, t.barrier), (3, Barrier::Pt));
        assert!((t.ret - 0.015).abs() < 1e-15);
    }

    #[test]
    fn the_scan_never_reads_past_last_and_disabled_barriers_never_fire() {
        let (o, mut h, l, c) = flat(5, 100.0);
        h[4] = 150.0;
        let p = Prices { open: &o, high: &h, low: &l, close: &c };
        assert!(first_touch(&p, 0, 3, 0.01, 1.0, &spec(TouchMode::HighLow)).is_none());
        let off = BarrierSpec { pt: 0.0, sl: 0.0, ..spec(TouchMode::HighLow) };
        assert!(first_touch(&p, 0, 4, 0.01, 1.0, &off).is_none());
        let no_pt = BarrierSpec { pt: 0.0, ..spec(TouchMode::HighLow) };
        assert!(first_touch(&p, 0, 4, 0.01, 1.0, &no_pt).is_none());
    }

    /// One ulp step of `x` (`k` > 0 up, `k` < 0 down).
    fn nudge(x: f64, k: i64) -> f64 {
        f64::from_bits((x.to_bits() as i64 + k) as u64)
    }

    proptest! {
        /// The price band of close mode never hides a touch: closes within a few ulps of
        /// either barrier's level get the decision of the plain scan on `r`.
        #[test]
        fn close_mode_band_decides_as_the_plain_scan(
            c0 in 1.0f64..5000.0,
            target in 1e-5f64..0.05,
            pt in 0.0f64..4.0,
            sl in 0.0f64..4.0,
            short in any::<bool>(),
            ks in prop::collection::vec((any::<bool>(), -4i64..=4), 1..12),
        ) {
            let side = if short { -1.0 } else { 1.0 };
            let spec = BarrierSpec { pt, sl, mode: TouchMode::Close, tie: TieRule::Stop };
            let (d_pt, d_sl) = distances(&spec, target);
            let level = |profit: bool| {
                let d = if profit { d_pt } else { -d_sl };
                c0 * (1.0 + d * side)
            };
            let mut close = vec![c0];
            close.extend(ks.iter().map(|&(profit, k)| {
                let l = level(profit);
                if l.is_finite() { nudge(l, k) } else { c0 }
            }));
            let p = Prices { open: &close, high: &close, low: &close, close: &close };
            let got = first_touch(&p, 0, close.len() - 1, target, side, &spec);
            let plain = close.iter().enumerate().skip(1).find_map(|(j, &c)| {
                let r = path_return(c, c0, side);
                if r < -d_sl {
                    Some(Touch { bar: j, barrier: Barrier::Sl, ret: r })
                } else if r > d_pt {
                    Some(Touch { bar: j, barrier: Barrier::Pt, ret: r })
                } else {
                    None
                }
            });
            prop_assert_eq!(got, plain);
        }
    }
}
