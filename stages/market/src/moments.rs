//! Sample moments about the mean, the one pass both the simulator's stylized facts
//! (`mlfactory-data`) and the Sharpe-ratio statistics (`mlfactory-validate`) build on.

/// The mean of `x` and its second, third and fourth central moments, each divided by
/// `n` (NaN for an empty `x`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Central {
    pub n: usize,
    pub mean: f64,
    pub m2: f64,
    pub m3: f64,
    pub m4: f64,
}

impl Central {
    pub fn of(x: &[f64]) -> Self {
        let nf = x.len() as f64;
        let mean = x.iter().sum::<f64>() / nf;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &v in x {
            let d = v - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        Self { n: x.len(), mean, m2: m2 / nf, m3: m3 / nf, m4: m4 / nf }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_moments_of_a_small_series() {
        let c = Central::of(&[1.0, 2.0, 3.0, 6.0]);
        assert_eq!((c.n, c.mean), (4, 3.0));
        // Deviations -2, -1, 0, 3.
        assert_eq!((c.m2, c.m3, c.m4), (14.0 / 4.0, 18.0 / 4.0, 98.0 / 4.0));
        assert!(Central::of(&[]).mean.is_nan());
    }
}
