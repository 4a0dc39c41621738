//! Volatility: true range, ATR and NATR, Bollinger bands (with width and %b), standard
//! deviation and variance, Keltner and Donchian channels, and the range-based estimators
//! of Parkinson, Garman-Klass, Rogers-Satchell and Yang-Zhang.

pub mod atr;
pub mod bbands;
pub mod donchian;
pub mod garman_klass;
pub mod keltner;
pub mod parkinson;
pub mod rogers_satchell;
pub mod stddev;
pub mod trange;
pub mod var;
pub mod yang_zhang;

pub use atr::Atr;
pub use bbands::Bbands;
pub use donchian::Donchian;
pub use garman_klass::GarmanKlass;
pub use keltner::Keltner;
pub use parkinson::Parkinson;
pub use rogers_satchell::RogersSatchell;
pub use stddev::StdDev;
pub use trange::TrueRange;
pub use var::Var;
pub use yang_zhang::YangZhang;

use crate::indicators::kernels::{nans, rolling_sum};

/// `sqrt(mean of term over the window)` of a per-bar variance term (first valid from
/// `from`), as the range-based estimators need.
pub(crate) fn rolling_rms(term: &[f64], n: usize, from: usize) -> Vec<f64> {
    let sums = rolling_sum(term, n, from);
    let mut out = nans(term.len());
    for (o, s) in out.iter_mut().zip(&sums).skip(from + n - 1) {
        *o = (s / n as f64).max(0.0).sqrt();
    }
    out
}
