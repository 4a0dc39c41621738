//! Returns and their distribution: simple and log returns at any lag, the opening gap,
//! realised volatility, rolling skewness and kurtosis of returns, and the z-score of the
//! close.

pub mod gap;
pub mod kurtosis;
pub mod realized_vol;
pub mod returns;
pub mod skewness;
pub mod zscore;

pub use gap::Gap;
pub use kurtosis::Kurtosis;
pub use realized_vol::RealizedVol;
pub use returns::{ReturnKind, Returns};
pub use skewness::Skewness;
pub use zscore::ZScore;

use crate::indicators::kernels::nans;

/// Rolling central moments (m2, m3, m4, population) of `x[from..]` over `n` values, from
/// power sums of deviations from an anchor reset (and recomputed exactly) every window.
pub(crate) fn rolling_moments(x: &[f64], n: usize, from: usize) -> [Vec<f64>; 3] {
    let len = x.len();
    let mut out = [nans(len), nans(len), nans(len)];
    let start = from + n - 1;
    let nf = n as f64;
    let refresh = n.max(64);
    let (mut anchor, mut s) = (0.0, [0.0f64; 4]);
    for i in start..len {
        if (i - start) % refresh == 0 {
            anchor = x[i];
            s = [0.0; 4];
            for &v in &x[i + 1 - n..=i] {
                let d = v - anchor;
                s[0] += d;
                s[1] += d * d;
                s[2] += d * d * d;
                s[3] += d * d * d * d;
            }
        } else {
            let (a, b) = (x[i] - anchor, x[i - n] - anchor);
            s[0] += a - b;
            s[1] += a * a - b * b;
            s[2] += a * a * a - b * b * b;
            s[3] += a * a * a * a - b * b * b * b;
        }
        let mu = s[0] / nf;
        let (r2, r3, r4) = (s[1] / nf, s[2] / nf, s[3] / nf);
        out[0][i] = (r2 - mu * mu).max(0.0);
        out[1][i] = r3 - 3.0 * mu * r2 + 2.0 * mu * mu * mu;
        out[2][i] = (r4 - 4.0 * mu * r3 + 6.0 * mu * mu * r2 - 3.0 * mu * mu * mu * mu).max(0.0);
    }
    out
}
