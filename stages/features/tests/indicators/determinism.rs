//! Determinism: the same bars give byte-identical features on 1 and 4 threads.

use mlfactory_features::compute;
use mlfactory_market::Calendar;

use crate::common::{all, synthetic_bars};

#[test]
fn one_and_four_threads_give_identical_bytes() {
    let bars = synthetic_bars(20_000, 11);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| compute(&bars, &all(), &Calendar::cme()).unwrap())
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(one.len(), four.len());
    for ((na, a), (nb, b)) in one.iter().zip(&four) {
        assert_eq!(na, nb);
        let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert!(bits(a) == bits(b), "`{na}` differs between 1 and 4 threads");
    }
}
