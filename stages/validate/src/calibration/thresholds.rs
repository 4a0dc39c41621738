//! A win-probability threshold per bucket, chosen for positive expected value.
//!
//! A trade on a calibrated win probability q, in a bucket whose fitting rows won W on
//! average when they won and lost L on average when they lost, has expected value
//! q·W − (1 − q)·L, positive exactly when q > L / (W + L): the break-even probability.
//! The bucket's threshold is that break-even plus `margin`, clamped to [`floor`,
//! `ceiling`]; a bucket with fewer than `min_samples` fitting rows, or without both a win
//! and a loss, falls back to the `static` threshold.
//!
//! [`floor`]: Rule::floor
//! [`ceiling`]: Rule::ceiling

use serde::Serialize;

/// How thresholds are chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub floor: f64,
    pub ceiling: f64,
    pub fallback: f64,
    pub min_samples: usize,
    pub margin: f64,
}

/// Where a bucket's threshold came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Break-even of the bucket's own average win and loss (clamped).
    Breakeven,
    /// Too few fitting rows (or no win or no loss): the static threshold.
    Static,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Self::Breakeven => "breakeven",
            Self::Static => "static",
        }
    }
}

/// A bucket's fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BucketFit {
    pub rows: usize,
    pub wins: usize,
    /// Mean trade return of the winning fitting rows (NaN without wins).
    pub avg_win: f64,
    /// Mean loss (positive) of the losing fitting rows (NaN without losses).
    pub avg_loss: f64,
    /// L / (W + L).
    pub breakeven: f64,
    pub threshold: f64,
    pub source: Source,
}

impl BucketFit {
    /// Expected trade return at win probability `q` (NaN when the bucket has no W or L).
    pub fn expected_value(&self, q: f64) -> f64 {
        q * self.avg_win - (1.0 - q) * self.avg_loss
    }
}

/// Fits one bucket from the trade returns of its fitting rows (a win is a return > 0).
pub fn fit_bucket(trade_returns: &[f64], rule: &Rule) -> BucketFit {
    let wins: Vec<f64> = trade_returns.iter().copied().filter(|r| *r > 0.0).collect();
    let losses: Vec<f64> = trade_returns.iter().copied().filter(|r| *r <= 0.0).map(|r| -r).collect();
    let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let (avg_win, avg_loss) = (mean(&wins), mean(&losses));
    let breakeven = avg_loss / (avg_win + avg_loss);
    let usable = trade_returns.len() >= rule.min_samples && breakeven.is_finite();
    let (threshold, source) =
        if usable { ((breakeven + rule.margin).clamp(rule.floor, rule.ceiling), Source::Breakeven) } else { (rule.fallback, Source::Static) };
    BucketFit { rows: trade_returns.len(), wins: wins.len(), avg_win, avg_loss, breakeven, threshold, source }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const RULE: Rule = Rule { floor: 0.4, ceiling: 0.8, fallback: 0.55, min_samples: 4, margin: 0.0 };

    #[rstest]
    // Wins of 2, losses of 1: break-even 1/3, lifted to the floor.
    #[case(&[2.0, 2.0, -1.0, -1.0], 0.4, Source::Breakeven)]
    // Wins of 1, losses of 1: break-even 1/2.
    #[case(&[1.0, -1.0, 1.0, -1.0, 1.0], 0.5, Source::Breakeven)]
    // Wins of 1, losses of 9: break-even 0.9, capped at the ceiling.
    #[case(&[1.0, 1.0, 1.0, -9.0], 0.8, Source::Breakeven)]
    // Too few rows.
    #[case(&[1.0, -1.0], 0.55, Source::Static)]
    // No loss: no break-even.
    #[case(&[1.0, 1.0, 1.0, 1.0], 0.55, Source::Static)]
    fn thresholds(#[case] r: &[f64], #[case] want: f64, #[case] source: Source) {
        let f = fit_bucket(r, &RULE);
        assert!((f.threshold - want).abs() < 1e-15, "{f:?}");
        assert_eq!(f.source, source);
    }

    #[test]
    fn breakeven_has_zero_expected_value() {
        let f = fit_bucket(&[0.03, -0.01, 0.02, -0.02, -0.01, 0.01], &RULE);
        assert!(f.expected_value(f.breakeven).abs() < 1e-15);
        assert!(f.expected_value(f.breakeven + 0.1) > 0.0);
        assert_eq!(f.wins, 3);
    }
}
