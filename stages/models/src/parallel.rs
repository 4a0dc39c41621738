//! Deterministic data parallelism: work is cut into chunks of a fixed size (never derived
//! from the thread count), each chunk computed on any thread, and partial results reduced
//! in chunk order. Floating-point sums are then the same bytes for 1 thread or 64.

use std::ops::Range;

use rayon::prelude::*;

/// Rows per chunk for row-wise reductions.
pub(crate) const ROW_CHUNK: usize = 4096;

/// Sums `len`-long vectors computed per row chunk: `f(rows, acc)` adds the chunk's
/// contribution into a zeroed `acc`; chunks are added up in order.
pub(crate) fn sum_rows(n_rows: usize, len: usize, f: impl Fn(Range<usize>, &mut [f64]) + Sync) -> Vec<f64> {
    let chunks: Vec<Range<usize>> = (0..n_rows.div_ceil(ROW_CHUNK)).map(|c| c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n_rows)).collect();
    let parts: Vec<Vec<f64>> = chunks
        .into_par_iter()
        .map(|rows| {
            let mut acc = vec![0.0; len];
            f(rows, &mut acc);
            acc
        })
        .collect();
    let mut total = vec![0.0; len];
    for part in parts {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
    total
}

/// Maps every row chunk to a vector of per-row outputs, concatenated in row order.
pub(crate) fn map_rows<T: Send>(n_rows: usize, f: impl Fn(Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let chunks: Vec<Range<usize>> = (0..n_rows.div_ceil(ROW_CHUNK)).map(|c| c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n_rows)).collect();
    chunks.into_par_iter().map(&f).collect::<Vec<_>>().into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_identical_for_any_thread_count() {
        let values: Vec<f64> = (0..50_000).map(|i| ((i * 7919) % 1000) as f64 * 1e-3 + 1e-9 * i as f64).collect();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                sum_rows(values.len(), 2, |rows, acc| {
                    for i in rows {
                        acc[0] += values[i];
                        acc[1] += values[i] * values[i];
                    }
                })
            })
        };
        let one = run(1);
        assert_eq!(one, run(4));
        assert_eq!(map_rows(10_000, Iterator::collect::<Vec<_>>), (0..10_000).collect::<Vec<_>>());
    }
}
