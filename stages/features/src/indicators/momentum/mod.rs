//! Momentum oscillators: RSI, MACD, stochastics (STOCH, STOCHF, STOCHRSI), Williams %R,
//! ROC/ROCP/ROCR, MOM, CCI, the Ultimate Oscillator, TRIX, BOP, CMO, APO and PPO.

pub mod apo;
pub mod bop;
pub mod cci;
pub mod cmo;
pub mod macd;
pub mod mom;
pub mod roc;
pub mod rsi;
pub mod stoch;
pub mod stochf;
pub mod stochrsi;
pub mod trix;
pub mod ultosc;
pub mod willr;

pub use apo::{MaType, PriceOscillator, PriceOscillatorKind};
pub use bop::Bop;
pub use cci::Cci;
pub use cmo::Cmo;
pub use macd::Macd;
pub use mom::Mom;
pub use roc::{Roc, RocKind};
pub use rsi::Rsi;
pub use stoch::Stoch;
pub use stochf::StochF;
pub use stochrsi::StochRsi;
pub use trix::Trix;
pub use ultosc::UltOsc;
pub use willr::WillR;

use crate::indicators::kernels::{Extreme, is_zero_scaled, nans, rolling_extreme};

/// TA-Lib's fast %K of `close` against the highs and lows of `period` bars, from `from`:
/// `(C - LL) / ((HH - LL) / 100)`, 0 when `HH == LL` (to TA-Lib's relative epsilon, so a
/// window whose values differ only by rounding counts as flat).
pub(crate) fn fast_k(high: &[f64], low: &[f64], close: &[f64], period: usize, from: usize) -> Vec<f64> {
    let hi = rolling_extreme(high, period, from, Extreme::Max);
    let lo = rolling_extreme(low, period, from, Extreme::Min);
    let mut out = nans(close.len());
    for i in (from + period - 1)..close.len() {
        let (hh, ll) = (hi[i], lo[i]);
        let diff = (hh - ll) / 100.0;
        out[i] = if is_zero_scaled(hh - ll, hh.abs() + ll.abs()) { 0.0 } else { (close[i] - ll) / diff };
    }
    out
}

/// Sets everything before `start` to NaN (TA-Lib starts all outputs of a function at the
/// same bar).
pub(crate) fn blank_before(mut x: Vec<f64>, start: usize) -> Vec<f64> {
    let end = start.min(x.len());
    x[..end].fill(f64::NAN);
    x
}
