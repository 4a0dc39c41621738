//! Absolute and percentage price oscillators (TA-Lib `APO`, `PPO`): fast MA minus slow MA
//! of the close, in points or in percent of the slow MA.
//!
//! TA-Lib's default moving average for both is the **SMA** (`matype=0`); the `_ema`
//! variants use EMAs, the fast one started at the slow one's first bar as in MACD.

use crate::indicators::kernels::{ema, ema_factor, ema_k, is_zero, nans, sma};
use crate::indicators::{Indicator, Input};

/// The moving average of a price oscillator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaType {
    Sma,
    Ema,
}

/// Points (`apo`) or percent (`ppo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceOscillatorKind {
    Absolute,
    Percentage,
}

/// `apo_{fast}_{slow}`, `ppo_{fast}_{slow}` (SMA) or `apo_ema_…`, `ppo_ema_…` (EMA).
#[derive(Clone, Debug)]
pub struct PriceOscillator {
    pub fast: usize,
    pub slow: usize,
    pub ma: MaType,
    pub kind: PriceOscillatorKind,
}

impl Indicator for PriceOscillator {
    fn columns(&self) -> Vec<String> {
        let name = match self.kind {
            PriceOscillatorKind::Absolute => "apo",
            PriceOscillatorKind::Percentage => "ppo",
        };
        let ma = if self.ma == MaType::Ema { "_ema" } else { "" };
        vec![format!("{name}{ma}_{}_{}", self.fast, self.slow)]
    }
    fn lookback(&self) -> usize {
        self.fast.max(self.slow) - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let (fast, slow) = if self.slow < self.fast { (self.slow, self.fast) } else { (self.fast, self.slow) };
        let (f, s) = match self.ma {
            MaType::Sma => (sma(x, fast, 0), sma(x, slow, 0)),
            MaType::Ema => (ema_k(x, fast, ema_factor(fast), slow - fast), ema(x, slow, 0)),
        };
        let mut out = nans(x.len());
        for i in self.lookback()..x.len() {
            out[i] = match self.kind {
                PriceOscillatorKind::Absolute => f[i] - s[i],
                PriceOscillatorKind::Percentage if is_zero(s[i]) => 0.0,
                PriceOscillatorKind::Percentage => ((f[i] - s[i]) / s[i]) * 100.0,
            };
        }
        vec![out]
    }
}
