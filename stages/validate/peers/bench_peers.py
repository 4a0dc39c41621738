"""The Python side of the validation benchmarks in docs/performance.md (section Validation).

Times, in process like `examples/validate_bench.rs`, the same work on the Python stack:

  pbo   CSCV for T=2000 x N=100, S=16: `pbo_blocks` (block sums, vectorised) and `pbo_direct`
        (concatenate blocks per combination) from ../shared/anchors/python-peers/bench.py,
        on the matrix bench.py's `pbo` step draws.
  cpcv  skfolio's CombinatorialPurgedCV(n_folds=10, n_test_folds=2) over n events (purged 20,
        embargo n/100): the 45 splits, path ids, the 9 paths assembled from per-split
        predictions and each path's Sharpe (numpy).

  python bench_peers.py pbo 20
  python bench_peers.py cpcv 20 100000

Needs numpy (pbo) and skfolio (cpcv); run with OMP/OpenBLAS threads at 1 to match bench.py.
"""
import os
import sys
import time
from pathlib import Path

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(v, "1")

import numpy as np  # noqa: E402

ANCHORS = Path(__file__).resolve().parents[4] / "shared" / "anchors" / "python-peers"


def timed(runs, f):
    check = f()
    secs = []
    for _ in range(runs):
        t = time.perf_counter()
        check = f()
        secs.append(time.perf_counter() - t)
    secs.sort()
    print(f"median {secs[runs // 2]:.6f} s, min {secs[0]:.6f} s over {runs} runs (check value {check:.6f})")


def pbo(runs):
    sys.path.insert(0, str(ANCHORS))
    from bench import pbo_blocks, pbo_direct  # the anchors' own implementations

    rng = np.random.default_rng(7)
    M = rng.normal(0.0, 0.01, (2000, 100)) + rng.normal(0.0, 0.0005, 100)[None, :]
    print("pbo_blocks T=2000 N=100 S=16: ", end="")
    timed(runs, lambda: pbo_blocks(M)[0])
    print("pbo_direct T=2000 N=100 S=16: ", end="")
    timed(max(3, runs // 10), lambda: pbo_direct(M)[0])


def cpcv(runs, n):
    from skfolio.model_selection import CombinatorialPurgedCV

    rng = np.random.default_rng(11)
    ret = rng.random(n) - 0.5
    p_long = rng.random(n)
    X = np.zeros((n, 1))

    def run():
        cv = CombinatorialPurgedCV(n_folds=10, n_test_folds=2, purged_size=20, embargo_size=n // 100)
        splits = list(cv.split(X))
        path_ids = cv.get_path_ids()
        paths = np.zeros((cv.n_test_paths, n))
        for s, (train, tests) in enumerate(splits):
            for j, test in enumerate(tests):
                score = np.minimum(p_long[test] + s * 0.001, 1.0)
                paths[path_ids[s][j], test] = np.where(score > 1.0 - score, ret[test], -ret[test])
        sharpes = paths.mean(axis=1) / paths.std(axis=1, ddof=1)
        return float(sharpes.mean())

    print(f"skfolio cpcv n={n} N=10 k=2: ", end="")
    timed(runs, run)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if what == "pbo":
        pbo(runs)
    elif what == "cpcv":
        cpcv(runs, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    else:
        print(__doc__)
