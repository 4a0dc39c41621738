//! A real-coded genetic algorithm over a box of bounds.
//!
//! Tournament selection, blend crossover (BLX-alpha, alpha = 0.5), Gaussian mutation
//! (sigma = 10% of each gene's range), elitism. Every random draw happens on the calling
//! thread from one RNG, in a fixed order. Each generation's new genomes go to the
//! evaluator together, so it can score them in one pass (and in parallel, as long as
//! its results do not depend on the thread count); the search is then identical for any
//! number of threads. Each distinct genome is evaluated once (a cache keyed by the
//! genome's bits).

use std::collections::BTreeMap;

use rand::Rng;
use rand_distr::{Distribution, Normal};

/// GA settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GaConfig {
    pub population: usize,
    pub generations: usize,
    /// Probability that each gene of a child mutates.
    pub mutation: f64,
    /// Probability that a pair of parents is crossed (else the child copies a parent).
    pub crossover: f64,
    /// Best individuals copied unchanged into the next generation.
    pub elitism: usize,
    /// Tournament size of parent selection.
    pub tournament: usize,
}

/// One evaluated individual of the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Individual<S> {
    pub generation: usize,
    pub index: usize,
    pub genes: Vec<f64>,
    pub fitness: f64,
    /// Whatever else the evaluation reported (for the trace).
    pub detail: S,
}

/// Runs the search. `bounds[g] = (lo, hi)`; `repair` maps raw genes to valid ones
/// (rounding integer genes); `evaluate` maps a batch of genomes to their (fitness,
/// detail), in order; NaN fitness counts as the worst. Returns every individual of every
/// generation, in order.
///
/// # Panics
/// When `evaluate` returns another number of results than it was given genomes.
pub fn run<S, R, E>(cfg: &GaConfig, bounds: &[(f64, f64)], rng: &mut R, repair: impl Fn(&mut [f64]), mut evaluate: E) -> Vec<Individual<S>>
where
    S: Clone,
    R: Rng,
    E: FnMut(&[Vec<f64>]) -> Vec<(f64, S)>,
{
    let pop_size = cfg.population.max(2);
    let mut population: Vec<Vec<f64>> = (0..pop_size)
        .map(|_| {
            let mut g: Vec<f64> = bounds.iter().map(|&(lo, hi)| if hi > lo { rng.random_range(lo..=hi) } else { lo }).collect();
            repair(&mut g);
            g
        })
        .collect();
    let mut cache: BTreeMap<Vec<u64>, (f64, S)> = BTreeMap::new();
    let mut trace = Vec::with_capacity(pop_size * cfg.generations);
    let sigma: Vec<f64> = bounds.iter().map(|&(lo, hi)| 0.1 * (hi - lo)).collect();
    for generation in 0..cfg.generations.max(1) {
        // evaluate the genomes not seen yet, together, in a fixed order
        let key = |g: &[f64]| g.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        let mut fresh: Vec<Vec<f64>> = Vec::new();
        for g in &population {
            if !cache.contains_key(&key(g)) && !fresh.iter().any(|f| f == g) {
                fresh.push(g.clone());
            }
        }
        let scored = evaluate(&fresh);
        assert_eq!(scored.len(), fresh.len(), "the evaluator must score every genome");
        for (g, s) in fresh.into_iter().zip(scored) {
            cache.insert(key(&g), s);
        }
        let fitness: Vec<f64> = population.iter().map(|g| sanitize(cache[&key(g)].0)).collect();
        for (index, g) in population.iter().enumerate() {
            let (f, detail) = &cache[&key(g)];
            trace.push(Individual { generation, index, genes: g.clone(), fitness: *f, detail: detail.clone() });
        }
        if generation + 1 == cfg.generations.max(1) {
            break;
        }
        // rank: best first, ties by position
        let mut order: Vec<usize> = (0..pop_size).collect();
        order.sort_by(|&a, &b| fitness[b].total_cmp(&fitness[a]).then(a.cmp(&b)));
        let mut next: Vec<Vec<f64>> = order.iter().take(cfg.elitism.min(pop_size)).map(|&i| population[i].clone()).collect();
        let tournament = |rng: &mut R| {
            let mut best = rng.random_range(0..pop_size);
            for _ in 1..cfg.tournament.max(1) {
                let c = rng.random_range(0..pop_size);
                if fitness[c] > fitness[best] || (fitness[c] == fitness[best] && c < best) {
                    best = c;
                }
            }
            best
        };
        while next.len() < pop_size {
            let (a, b) = (tournament(&mut *rng), tournament(&mut *rng));
            let cross = rng.random::<f64>() < cfg.crossover;
            let mut child: Vec<f64> = (0..bounds.len())
                .map(|g| {
                    let (x, y) = (population[a][g], population[b][g]);
                    // draw even when not crossing, so the stream does not depend on the outcome
                    let u: f64 = rng.random();
                    if cross {
                        let (lo, hi) = (x.min(y), x.max(y));
                        let span = hi - lo;
                        (lo - 0.5 * span) + u * (2.0 * span)
                    } else {
                        x
                    }
                })
                .collect();
            for (g, value) in child.iter_mut().enumerate() {
                let mutate = rng.random::<f64>() < cfg.mutation;
                let noise = Normal::new(0.0, sigma[g].max(f64::MIN_POSITIVE)).map_or(0.0, |n| n.sample(rng));
                if mutate {
                    *value += noise;
                }
                let (lo, hi) = bounds[g];
                *value = value.clamp(lo, hi);
            }
            repair(&mut child);
            next.push(child);
        }
        population = next;
    }
    trace
}

fn sanitize(f: f64) -> f64 {
    if f.is_nan() { f64::NEG_INFINITY } else { f }
}

/// The best individual of a trace (highest fitness; the earliest on ties).
pub fn best<S>(trace: &[Individual<S>]) -> Option<&Individual<S>> {
    trace.iter().reduce(|best, x| if sanitize(x.fitness) > sanitize(best.fitness) { x } else { best })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rayon::prelude::*;

    use super::*;

    fn cfg() -> GaConfig {
        GaConfig { population: 30, generations: 25, mutation: 0.2, crossover: 0.9, elitism: 2, tournament: 3 }
    }

    #[test]
    fn finds_the_peak_of_a_smooth_function() {
        let bounds = [(-5.0, 5.0), (0.0, 10.0)];
        let trace = run(&cfg(), &bounds, &mut ChaCha8Rng::seed_from_u64(1), |_| {}, |gs| {
            gs.iter().map(|g| (-(g[0] - 1.5).powi(2) - (g[1] - 7.0).powi(2), ())).collect()
        });
        let b = best(&trace).unwrap();
        assert!((b.genes[0] - 1.5).abs() < 0.1 && (b.genes[1] - 7.0).abs() < 0.1, "{:?}", b.genes);
        assert_eq!(trace.len(), 30 * 25);
        // elitism: the best fitness never gets worse from one generation to the next
        let per_gen: Vec<f64> = (0..25).map(|g| trace.iter().filter(|i| i.generation == g).map(|i| i.fitness).fold(f64::MIN, f64::max)).collect();
        assert!(per_gen.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn same_seed_same_search_on_any_thread_count() {
        let bounds = [(0.5, 4.0), (5.0, 60.0)];
        let eval = |gs: &[Vec<f64>]| gs.par_iter().map(|g| ((g[0] * 3.0).sin() + (g[1] / 7.0).cos(), g[1].round() as i64)).collect();
        let round = |g: &mut [f64]| g[1] = g[1].round();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let many = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let a = one.install(|| run(&cfg(), &bounds, &mut ChaCha8Rng::seed_from_u64(7), round, eval));
        let b = many.install(|| run(&cfg(), &bounds, &mut ChaCha8Rng::seed_from_u64(7), round, eval));
        assert_eq!(a, b);
        assert!(a.iter().all(|i| i.genes[1].fract() == 0.0 && (5.0..=60.0).contains(&i.genes[1])));
        let c = run(&cfg(), &bounds, &mut ChaCha8Rng::seed_from_u64(8), round, eval);
        assert_ne!(a, c);
    }
}
