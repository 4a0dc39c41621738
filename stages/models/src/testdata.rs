//! Small synthetic datasets for unit tests.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::samples::Samples;

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller: enough for test data.
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn samples(features: usize, rows: Vec<(Vec<f32>, u8)>, seed: u64) -> Samples {
    let n = rows.len();
    let mut x = Vec::with_capacity(n * features);
    let mut y = Vec::with_capacity(n);
    for (r, c) in rows {
        x.extend(r);
        y.push(c);
    }
    let base = seed as i64 * 1_000_000;
    Samples {
        features: (0..features).map(|j| format!("f{j}")).collect(),
        ret: y.iter().map(|&c| (f64::from(c) - 1.0) * 0.01).collect(),
        weight: vec![1.0; n],
        ts: (0..n as i64).map(|i| base + i * 60).collect(),
        t1: (0..n as i64).map(|i| base + i * 60 + 300).collect(),
        segment: vec![0; n],
        target: vec![f64::NAN; n],
        layout: None,
        x,
        y,
    }
}

/// Three Gaussian blobs (one per class) in 4 features, the last one pure noise.
pub(crate) fn blobs(n: usize, seed: u64) -> Samples {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centers = [[-2.0, 0.0, 1.0], [0.0, 2.0, 0.0], [2.0, 0.0, -1.0]];
    let rows = (0..n)
        .map(|_| {
            let c = rng.random_range(0..3u8);
            let ctr = centers[c as usize];
            let mut r: Vec<f32> = ctr.iter().map(|m| (m + gaussian(&mut rng)) as f32).collect();
            r.push(gaussian(&mut rng) as f32);
            (r, c)
        })
        .collect();
    samples(4, rows, seed)
}

/// A non-linear problem: the class is set by the signs of two features (an XOR-like
/// pattern linear models cannot fit), with 10% label noise and two noise features.
pub(crate) fn checkerboard(n: usize, seed: u64) -> Samples {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rows = (0..n)
        .map(|_| {
            let a: f64 = rng.random_range(-1.0..1.0);
            let b: f64 = rng.random_range(-1.0..1.0);
            let mut c = match (a > 0.0, b > 0.0) {
                (true, true) => 2u8,
                (false, false) => 0,
                _ => 1,
            };
            if rng.random::<f64>() < 0.1 {
                c = rng.random_range(0..3u8);
            }
            (vec![a as f32, b as f32, gaussian(&mut rng) as f32, rng.random::<f32>()], c)
        })
        .collect();
    samples(4, rows, seed)
}
