//! Each event's path as its record extremes, so that the first touch of any candidate
//! barrier is a short search instead of a rescan of the path.
//!
//! A barrier is first touched at the first bar whose favourable (or adverse) extreme
//! reaches it. That bar is always a *record*: a bar whose extreme goes strictly beyond
//! every earlier bar's of the same event, since an earlier bar that went as far would
//! have touched first. A path of `H` bars has few records (about `sqrt(2H / pi)` a side
//! for a random walk: 3.6 at H = 20), so [`Paths`] keeps, per event and side, only the
//! records' offsets and values, side-adjusted so that both lists increase:
//!
//! | mode | favourable values | adverse values | touch when |
//! |---|---|---|---|
//! | `close` | `r` of the close | `-r` of the close | value `>` distance (strict, AFML) |
//! | `high_low` | `side x` the high (long) or low (short) | `-side x` the low (long) or high (short) | value `>=` `side x` level |
//!
//! where `r = (close / c0 - 1) x side`. Negation is exact, so every comparison is the one
//! [`first_touch`](crate::barrier::first_touch) makes, bit for bit: a candidate scored
//! from the records gets exactly the labels the `labels.triple_barrier` stage writes.

use rayon::prelude::*;

use crate::barrier::{Prices, TouchMode, path_return};
use crate::label::Event;

/// Events per parallel chunk (fixed, so the layout never depends on the thread count).
const CHUNK: usize = 16_384;

/// One side's records of every event, concatenated (`starts[e]..starts[e + 1]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    starts: Vec<u32>,
    /// Bars after the entry (1 = the next bar).
    offsets: Vec<u32>,
    /// Side-adjusted extremes, strictly increasing within an event.
    values: Vec<f64>,
}

impl Records {
    /// Event `e`'s records: `(offsets, values)`.
    #[inline]
    pub fn of(&self, e: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.starts[e] as usize, self.starts[e + 1] as usize);
        (&self.offsets[a..b], &self.values[a..b])
    }

    fn with_start() -> Self {
        Self { starts: vec![0], ..Self::default() }
    }

    /// Appends the events of `other` (which starts at its own 0).
    fn append(&mut self, other: Self) {
        let base = self.values.len() as u32;
        self.starts.extend(other.starts[1..].iter().map(|s| s + base));
        self.offsets.extend(other.offsets);
        self.values.extend(other.values);
    }

    fn close_event(&mut self) {
        self.starts.push(self.values.len() as u32);
    }
}

/// The favourable and adverse records of every event up to `horizon` bars after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Paths {
    pub mode: TouchMode,
    /// The longest horizon the records cover.
    pub horizon: u32,
    pub favourable: Records,
    pub adverse: Records,
}

impl Paths {
    /// Records of `events` (all within `prices`) over at most `horizon` bars each.
    ///
    /// # Panics
    /// When the records outgrow `u32` indices (over four billion records).
    pub fn build(prices: &Prices<'_>, events: &[Event], horizon: u32, mode: TouchMode) -> Self {
        let parts: Vec<(Records, Records)> = events.par_chunks(CHUNK).map(|chunk| build_chunk(prices, chunk, horizon, mode)).collect();
        let (mut favourable, mut adverse) = (Records::with_start(), Records::with_start());
        for (f, a) in parts {
            favourable.append(f);
            adverse.append(a);
        }
        assert!(favourable.values.len() < u32::MAX as usize && adverse.values.len() < u32::MAX as usize, "too many path records");
        Self { mode, horizon, favourable, adverse }
    }
}

fn build_chunk(prices: &Prices<'_>, events: &[Event], horizon: u32, mode: TouchMode) -> (Records, Records) {
    let (mut fav, mut adv) = (Records::with_start(), Records::with_start());
    fav.starts.reserve(events.len());
    adv.starts.reserve(events.len());
    let n = prices.len();
    for ev in events {
        let side = f64::from(ev.side);
        let c0 = prices.close[ev.bar];
        let last = (ev.bar + horizon as usize).min(n.saturating_sub(1));
        let (mut best_fav, mut best_adv) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for j in ev.bar + 1..=last.max(ev.bar) {
            let (f, a) = match mode {
                TouchMode::Close => {
                    let r = path_return(prices.close[j], c0, side);
                    (r, -r)
                }
                TouchMode::HighLow if side > 0.0 => (prices.high[j], -prices.low[j]),
                TouchMode::HighLow => (-prices.low[j], prices.high[j]),
            };
            let offset = (j - ev.bar) as u32;
            if f > best_fav {
                best_fav = f;
                fav.offsets.push(offset);
                fav.values.push(f);
            }
            if a > best_adv {
                best_adv = a;
                adv.offsets.push(offset);
                adv.values.push(a);
            }
        }
        fav.close_event();
        adv.close_event();
    }
    (fav, adv)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::label::Vertical;

    #[test]
    fn records_are_the_strict_running_extremes() {
        let close = [100.0, 101.0, 100.5, 101.0, 102.0, 99.0, 98.0, 103.0];
        let p = Prices { open: &close, high: &close, low: &close, close: &close };
        let ev = [Event { bar: 0, target: 0.01, side: 1, vertical: Vertical::Horizons }];
        let paths = Paths::build(&p, &ev, 10, TouchMode::HighLow);
        // highs: 101 (1), 102 (4), 103 (7); the repeated 101 at bar 3 is no record
        assert_eq!(paths.favourable.of(0), (&[1, 4, 7][..], &[101.0, 102.0, 103.0][..]));
        // lows, negated: 101 (1), 100.5 (2), 99 (5), 98 (6)
        assert_eq!(paths.adverse.of(0), (&[1, 2, 5, 6][..], &[-101.0, -100.5, -99.0, -98.0][..]));
        let short = [Event { side: -1, ..ev[0] }];
        let paths = Paths::build(&p, &short, 3, TouchMode::HighLow);
        assert_eq!(paths.favourable.of(0).0, &[1, 2]);
        assert_eq!(paths.adverse.of(0).0, &[1]);
    }

    proptest! {
        /// Chunks built apart and appended give the records of one pass over all events.
        #[test]
        fn chunks_join_to_one_pass(steps in prop::collection::vec(-0.01f64..0.01, 2..300), h in 1u32..40, cut in 0usize..300) {
            let mut close = vec![100.0];
            for s in &steps {
                close.push(close.last().unwrap() * (1.0 + s));
            }
            let p = Prices { open: &close, high: &close, low: &close, close: &close };
            let events: Vec<Event> = (0..close.len()).map(|bar| Event { bar, target: 0.01, side: if bar % 3 == 0 { -1 } else { 1 }, vertical: Vertical::Horizons }).collect();
            let cut = cut.min(events.len());
            for mode in [TouchMode::Close, TouchMode::HighLow] {
                let (f, a) = build_chunk(&p, &events, h, mode);
                let mut whole = (Records::with_start(), Records::with_start());
                whole.0.append(f);
                whole.1.append(a);
                let mut joined = (Records::with_start(), Records::with_start());
                for part in [&events[..cut], &events[cut..]] {
                    let (f, a) = build_chunk(&p, part, h, mode);
                    joined.0.append(f);
                    joined.1.append(a);
                }
                prop_assert_eq!(&whole, &joined);
                let built = Paths::build(&p, &events, h, mode);
                prop_assert_eq!((built.favourable, built.adverse), whole);
            }
        }
    }
}
