//! Reliability curves: predicted probabilities in equal-width bins over [0, 1] against
//! the observed frequency in each bin, and the expected calibration error.

use serde::Serialize;

/// One non-empty bin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bin {
    /// Bin index, 0 = [0, 1/bins).
    pub bin: usize,
    pub count: usize,
    pub mean_predicted: f64,
    pub observed: f64,
}

/// The non-empty bins of `p` (probabilities) against outcomes `hit`; the last bin holds 1.
pub fn curve(p: &[f64], hit: &[bool], bins: usize) -> Vec<Bin> {
    let mut acc = vec![(0usize, 0.0, 0.0); bins];
    for (&v, &h) in p.iter().zip(hit) {
        if !v.is_finite() {
            continue;
        }
        let b = ((v * bins as f64) as usize).min(bins - 1);
        acc[b].0 += 1;
        acc[b].1 += v;
        acc[b].2 += f64::from(u8::from(h));
    }
    acc.iter()
        .enumerate()
        .filter(|(_, a)| a.0 > 0)
        .map(|(bin, &(count, sp, sh))| Bin { bin, count, mean_predicted: sp / count as f64, observed: sh / count as f64 })
        .collect()
}

/// Expected calibration error: Σ (count / n)·|mean predicted − observed| over the bins.
pub fn ece(bins: &[Bin]) -> f64 {
    let n: usize = bins.iter().map(|b| b.count).sum();
    bins.iter().map(|b| b.count as f64 / n as f64 * (b.mean_predicted - b.observed).abs()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_and_ece() {
        let p = [0.05, 0.15, 0.12, 0.95, 1.0];
        let hit = [false, true, false, true, true];
        let c = curve(&p, &hit, 10);
        assert_eq!(c.iter().map(|b| (b.bin, b.count)).collect::<Vec<_>>(), [(0, 1), (1, 2), (9, 2)]);
        assert!((c[1].mean_predicted - 0.135).abs() < 1e-15 && c[1].observed == 0.5);
        let want = (0.05 + 2.0 * (0.5 - 0.135) + 2.0 * (1.0 - 0.975)) / 5.0;
        assert!((ece(&c) - want).abs() < 1e-15);
    }
}
