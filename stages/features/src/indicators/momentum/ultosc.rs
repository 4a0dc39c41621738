//! Ultimate oscillator (TA-Lib `ULTOSC`): buying pressure over true range on three
//! windows, weighted 4:2:1 from the shortest.

use crate::indicators::kernels::{WindowSum, is_zero, nans};
use crate::indicators::{Indicator, Input};

/// `ultosc_{p1}_{p2}_{p3}` (periods as given; weights go by length).
#[derive(Clone, Debug)]
pub struct UltOsc {
    pub periods: [usize; 3],
}

impl Indicator for UltOsc {
    fn columns(&self) -> Vec<String> {
        let [a, b, c] = self.periods;
        vec![format!("ultosc_{a}_{b}_{c}")]
    }
    fn lookback(&self) -> usize {
        self.periods.iter().copied().max().unwrap_or(1)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c) = (input.high(), input.low(), input.close());
        let len = c.len();
        let mut bp = nans(len);
        let mut tr = nans(len);
        for i in 1..len {
            let true_low = l[i].min(c[i - 1]);
            bp[i] = c[i] - true_low;
            tr[i] = crate::indicators::kernels::true_range_at(h[i], l[i], c[i - 1]);
        }
        let mut p = self.periods;
        p.sort_unstable();
        let mut sums: Vec<(WindowSum, WindowSum)> = p.iter().map(|&n| (WindowSum::new(n), WindowSum::new(n))).collect();
        let mut out = nans(len);
        for i in self.lookback()..len {
            let mut total = 0.0;
            for ((a, b), w) in sums.iter_mut().zip([4.0, 2.0, 1.0]) {
                let (sa, sb) = (a.at(&bp, i), b.at(&tr, i));
                if !is_zero(sb) {
                    total += w * (sa / sb);
                }
            }
            out[i] = 100.0 * (total / 7.0);
        }
        vec![out]
    }
}
