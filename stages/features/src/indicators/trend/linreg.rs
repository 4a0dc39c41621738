//! Rolling least-squares line through the last `n` closes (TA-Lib `LINEARREG`,
//! `LINEARREG_SLOPE`, `LINEARREG_ANGLE`, `LINEARREG_INTERCEPT`, `TSF`) and its r².
//!
//! TA-Lib refits every window from scratch (O(n) a bar); we slide the sums in O(1) on
//! deviations from an anchor that is reset, with the sums recomputed exactly, every 1024
//! bars, which keeps the result within rounding of the refit.

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// Which property of the fitted line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinRegOutput {
    /// `linearreg`: the line's value at the newest bar.
    Value,
    /// `linearreg_slope`: slope per bar.
    Slope,
    /// `linearreg_angle`: `atan(slope)` in degrees.
    Angle,
    /// `linearreg_intercept`: the line's value at the oldest bar of the window.
    Intercept,
    /// `tsf`: the line's value one bar ahead.
    Forecast,
    /// `linearreg_r2`: coefficient of determination (0 on a flat window).
    R2,
}

/// One property of the rolling regression of the close on time.
#[derive(Clone, Debug)]
pub struct LinReg {
    pub period: usize,
    pub output: LinRegOutput,
}

impl Indicator for LinReg {
    fn columns(&self) -> Vec<String> {
        let name = match self.output {
            LinRegOutput::Value => "linearreg",
            LinRegOutput::Slope => "linearreg_slope",
            LinRegOutput::Angle => "linearreg_angle",
            LinRegOutput::Intercept => "linearreg_intercept",
            LinRegOutput::Forecast => "tsf",
            LinRegOutput::R2 => "linearreg_r2",
        };
        vec![format!("{name}_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let n = self.period;
        let nf = n as f64;
        let mut out = nans(x.len());
        if n > x.len() {
            return vec![out];
        }
        // x axis = lag (0 = newest), as TA-Lib, which makes the slope per bar forward.
        let sum_x = nf * (nf - 1.0) * 0.5;
        let sum_x2 = nf * (nf - 1.0) * (2.0 * nf - 1.0) / 6.0;
        let divisor = sum_x * sum_x - nf * sum_x2;
        let (mut anchor, mut sy, mut sxy, mut syy) = (0.0, 0.0, 0.0, 0.0);
        for i in n - 1..x.len() {
            if (i + 1 - n) % 1024 == 0 {
                anchor = x[i];
                (sy, sxy, syy) = (0.0, 0.0, 0.0);
                for lag in 0..n {
                    let d = x[i - lag] - anchor;
                    sy += d;
                    sxy += lag as f64 * d;
                    syy += d * d;
                }
            } else {
                let old = x[i - n] - anchor;
                let new = x[i] - anchor;
                sxy += sy - nf * old;
                sy += new - old;
                syy += new * new - old * old;
            }
            let m = (nf * sxy - sum_x * sy) / divisor;
            let b = (sy - m * sum_x) / nf + anchor;
            out[i] = match self.output {
                LinRegOutput::Value => b + m * (nf - 1.0),
                LinRegOutput::Slope => m,
                LinRegOutput::Angle => m.atan() * (180.0 / std::f64::consts::PI),
                LinRegOutput::Intercept => b,
                LinRegOutput::Forecast => b + m * nf,
                LinRegOutput::R2 => {
                    let sxx = nf * sum_x2 - sum_x * sum_x;
                    let syy_c = nf * syy - sy * sy;
                    let sxy_c = nf * sxy - sum_x * sy;
                    if syy_c <= 0.0 { 0.0 } else { ((sxy_c * sxy_c) / (sxx * syy_c)).min(1.0) }
                }
            };
        }
        vec![out]
    }
}
