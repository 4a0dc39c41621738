//! The standard normal distribution: [`cdf`] Φ from libm's `erfc` (about 1 ulp), and
//! [`inv_cdf`] Φ⁻¹ by Acklam's rational approximation refined with one Halley step
//! against that `erfc` in the lower tail (the upper by symmetry), which brings it to full
//! double precision.

use std::f64::consts::{PI, SQRT_2};

/// Φ(x), the standard normal CDF.
pub fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1); `-inf` / `+inf` at 0 / 1 and NaN outside [0, 1].
pub fn inv_cdf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // Φ⁻¹(p) = -Φ⁻¹(1 - p), and `1 - p` is exact here (Sterbenz). Refining in the lower
        // tail keeps the Halley residual relative to the small tail probability; near 1,
        // `cdf(x) - p` could not resolve anything finer than an ulp of 1.
        return -inv_cdf(1.0 - p);
    }
    let x = acklam(p);
    // One Halley step on f(x) = Φ(x) - p.
    let e = cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Acklam's approximation of Φ⁻¹ for p ≤ 0.5 (relative error below 1.2e-9).
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] =
        [-3.969_683_028_665_376e1, 2.209_460_984_245_205e2, -2.759_285_104_469_687e2, 1.383_577_518_672_69e2, -3.066_479_806_614_716e1, 2.506_628_277_459_239];
    const B: [f64; 5] = [-5.447_609_879_822_406e1, 1.615_858_368_580_409e2, -1.556_989_798_598_866e2, 6.680_131_188_771_972e1, -1.328_068_155_288_572e1];
    const C: [f64; 6] =
        [-7.784_894_002_430_293e-3, -3.223_964_580_411_365e-1, -2.400_758_277_161_838, -2.549_732_539_343_734, 4.374_664_141_464_968, 2.938_163_982_698_783];
    const D: [f64; 4] = [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.024_25;
    let tail = |q: f64| (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0);
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    // Values from scipy.stats.norm.cdf / norm.ppf (scipy 1.17).
    #[rstest]
    #[case(0.0, 0.5)]
    #[case(1.0, 0.841_344_746_068_542_9)]
    #[case(-1.96, 0.024_997_895_148_220_435)]
    #[case(3.5, 0.999_767_370_920_964_5)]
    #[case(-8.0, 6.220_960_574_271_784e-16)]
    fn cdf_matches_scipy(#[case] x: f64, #[case] want: f64) {
        assert!((cdf(x) - want).abs() <= 1e-15 * want.max(1e-300) + 1e-16, "{x}: {} vs {want}", cdf(x));
    }

    #[rstest]
    #[case(0.975, 1.959_963_984_540_054)]
    #[case(0.99, 2.326_347_874_040_840_8)]
    #[case(0.01, -2.326_347_874_040_840_8)]
    #[case(1e-10, -6.361_340_902_404_056)]
    #[case(0.5, 0.0)]
    fn inv_cdf_matches_scipy(#[case] p: f64, #[case] want: f64) {
        assert!((inv_cdf(p) - want).abs() < 1e-13, "{p}: {} vs {want}", inv_cdf(p));
    }

    #[test]
    fn inv_cdf_edges() {
        assert_eq!(inv_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inv_cdf(1.0), f64::INFINITY);
        assert!(inv_cdf(1.5).is_nan() && inv_cdf(f64::NAN).is_nan());
    }

    proptest! {
        #[test]
        fn prop_inv_cdf_inverts_cdf(p in 1e-12f64..(1.0 - 1e-12)) {
            // Compare in the tail that holds the precision: above 0.5, `1 - p` is exact
            // (Sterbenz) while `cdf(x)` itself cannot be nearer to `p` than an ulp of 1.
            let x = inv_cdf(p);
            let (got, want) = if p <= 0.5 { (cdf(x), p) } else { (cdf(-x), 1.0 - p) };
            prop_assert!((got - want).abs() <= 1e-14 * want, "p = {p}: {got} vs {want}");
        }
    }
}
