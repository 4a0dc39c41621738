//! Wilder's directional movement system as TA-Lib computes it (`PLUS_DM`, `MINUS_DM`,
//! `PLUS_DI`, `MINUS_DI`, `DX`, `ADX`, `ADXR`).
//!
//! +DM = H - H[-1] when it exceeds both 0 and L[-1] - L (else 0), -DM symmetrically. The
//! smoothed sums start as the plain sum of the first `n - 1` values (at `n - 1`) and then
//! follow `s = s - s/n + x`; DI = 100 DM/TR, DX = 100 |+DI - -DI| / (+DI + -DI) (the
//! previous DX when undefined), ADX = the mean of the first `n` DX, then Wilder's
//! average; ADXR = (ADX + ADX[-(n-1)]) / 2.

use crate::indicators::kernels::{is_zero, nans, true_range_at};
use crate::indicators::{Indicator, Input};

/// Which output of the directional movement system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmiOutput {
    PlusDm,
    MinusDm,
    PlusDi,
    MinusDi,
    Dx,
    Adx,
    Adxr,
}

/// One output of the directional movement system over `period` bars.
#[derive(Clone, Debug)]
pub struct Dmi {
    pub period: usize,
    pub output: DmiOutput,
}

/// Smoothed +DM, -DM and TR, defined from `n - 1`.
struct Smoothed {
    plus: Vec<f64>,
    minus: Vec<f64>,
    tr: Vec<f64>,
}

fn smoothed(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Smoothed {
    let len = c.len();
    let mut s = Smoothed { plus: nans(len), minus: nans(len), tr: nans(len) };
    if len < n {
        return s;
    }
    let nf = n as f64;
    let (mut p, mut m, mut t) = (0.0, 0.0, 0.0);
    for i in 1..len {
        let diff_p = h[i] - h[i - 1];
        let diff_m = l[i - 1] - l[i];
        let dp = if diff_p > 0.0 && diff_p > diff_m { diff_p } else { 0.0 };
        let dm = if diff_m > 0.0 && diff_p < diff_m { diff_m } else { 0.0 };
        let tr = true_range_at(h[i], l[i], c[i - 1]);
        if i < n {
            p += dp;
            m += dm;
            t += tr;
        } else {
            p = p - p / nf + dp;
            m = m - m / nf + dm;
            t = t - t / nf + tr;
        }
        if i >= n - 1 {
            (s.plus[i], s.minus[i], s.tr[i]) = (p, m, t);
        }
    }
    s
}

/// The two DIs at `i`, `None` when TR is 0.
fn di(s: &Smoothed, i: usize) -> Option<(f64, f64)> {
    (!is_zero(s.tr[i])).then(|| (100.0 * (s.plus[i] / s.tr[i]), 100.0 * (s.minus[i] / s.tr[i])))
}

/// DX at `i`, `None` when undefined (TR or the DI sum is 0).
fn dx_at(s: &Smoothed, i: usize) -> Option<f64> {
    let (plus, minus) = di(s, i)?;
    let sum = minus + plus;
    (!is_zero(sum)).then(|| 100.0 * ((minus - plus).abs() / sum))
}

fn adx(s: &Smoothed, n: usize) -> Vec<f64> {
    let len = s.tr.len();
    let mut out = nans(len);
    let first = 2 * n - 1;
    if first >= len {
        return out;
    }
    let nf = n as f64;
    let mut a = (n..=first).filter_map(|i| dx_at(s, i)).sum::<f64>() / nf;
    out[first] = a;
    for i in first + 1..len {
        if let Some(dx) = dx_at(s, i) {
            a = (a * (nf - 1.0) + dx) / nf;
        }
        out[i] = a;
    }
    out
}

impl Indicator for Dmi {
    fn columns(&self) -> Vec<String> {
        let name = match self.output {
            DmiOutput::PlusDm => "plus_dm",
            DmiOutput::MinusDm => "minus_dm",
            DmiOutput::PlusDi => "plus_di",
            DmiOutput::MinusDi => "minus_di",
            DmiOutput::Dx => "dx",
            DmiOutput::Adx => "adx",
            DmiOutput::Adxr => "adxr",
        };
        vec![format!("{name}_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        let n = self.period;
        match self.output {
            DmiOutput::PlusDm | DmiOutput::MinusDm => n - 1,
            DmiOutput::PlusDi | DmiOutput::MinusDi | DmiOutput::Dx => n,
            DmiOutput::Adx => 2 * n - 1,
            DmiOutput::Adxr => 3 * n - 2,
        }
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let s = smoothed(input.high(), input.low(), input.close(), n);
        let len = s.tr.len();
        let out = match self.output {
            DmiOutput::PlusDm => s.plus,
            DmiOutput::MinusDm => s.minus,
            DmiOutput::PlusDi | DmiOutput::MinusDi => {
                let mut out = nans(len);
                for (i, o) in out.iter_mut().enumerate().skip(n) {
                    *o = di(&s, i).map_or(0.0, |(p, m)| if self.output == DmiOutput::PlusDi { p } else { m });
                }
                out
            }
            DmiOutput::Dx => {
                let mut out = nans(len);
                let mut prev = 0.0;
                for (i, o) in out.iter_mut().enumerate().skip(n) {
                    prev = dx_at(&s, i).unwrap_or(prev);
                    *o = prev;
                }
                out
            }
            DmiOutput::Adx => adx(&s, n),
            DmiOutput::Adxr => {
                let a = adx(&s, n);
                let mut out = nans(len);
                for i in self.lookback()..len {
                    out[i] = (a[i] + a[i - (n - 1)]) / 2.0;
                }
                out
            }
        };
        vec![out]
    }
}
