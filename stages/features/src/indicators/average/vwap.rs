//! Session-anchored VWAP: the volume-weighted typical price since the trading day opened
//! (17:00 exchange time), and the close's distance from it.

use crate::indicators::{Indicator, Input};

/// `vwap_session` (price) and `vwap_session_dist` (`close / vwap - 1`).
///
/// Resets at each trading day of the calendar. Until the day has traded any volume the
/// VWAP is the day's running mean typical price (so it is never undefined).
#[derive(Clone, Debug)]
pub struct SessionVwap;

impl Indicator for SessionVwap {
    fn columns(&self) -> Vec<String> {
        vec!["vwap_session".to_owned(), "vwap_session_dist".to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c, v) = (input.high(), input.low(), input.close(), input.volume());
        let day = &input.local().trading_day;
        let mut vwap = Vec::with_capacity(c.len());
        let mut dist = Vec::with_capacity(c.len());
        let (mut pv, mut vol, mut tp_sum, mut count) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..c.len() {
            if i == 0 || day[i] != day[i - 1] {
                (pv, vol, tp_sum, count) = (0.0, 0.0, 0.0, 0.0);
            }
            let tp = (h[i] + l[i] + c[i]) / 3.0;
            pv += tp * v[i];
            vol += v[i];
            tp_sum += tp;
            count += 1.0;
            let w = if vol > 0.0 { pv / vol } else { tp_sum / count };
            vwap.push(w);
            dist.push(c[i] / w - 1.0);
        }
        vec![vwap, dist]
    }
}
