"""Python peers for `benches/mtf.rs`, on the same bar file, same session.

Uses bench.py from shared/anchors/python-peers (its resampling, 20 TA-Lib indicators,
shift(1) + forward-fill alignment), so the work is exactly what RESULTS.md measured:
    PEERS_THREADS=1 $PEERS_VENV/bin/python stages/features/benches/mtf_peers.py PATH/TO/python-peers DATA_DIR [SIZE]
Prints wall and CPU seconds (median of 5) for the pandas and the polars versions.
"""
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
os.environ.setdefault("PEERS_THREADS", "1")
import numpy as np  # noqa: E402

import bench  # noqa: E402


def timed(fn, repeat=5):
    w, c = [], []
    for _ in range(repeat):
        t0, p0 = time.perf_counter(), time.process_time()
        fn()
        w.append(time.perf_counter() - t0)
        c.append(time.process_time() - p0)
    return float(np.median(w)), float(np.median(c)), float(min(w))


size = sys.argv[3] if len(sys.argv) > 3 else "1M"
df = bench.load_bars(sys.argv[2], size)
cols = bench.mtf_features(df).shape[1]
print("pandas+talib %s bars, %d columns: wall %.3f cpu %.3f min %.3f" % ((len(df), cols) + timed(lambda: bench.mtf_features(df))))
import polars as pl  # noqa: E402

pdf = pl.read_parquet(bench.parquet_path(sys.argv[2], size))
print("polars+talib %s bars, %d columns: wall %.3f cpu %.3f min %.3f" % ((len(df), cols) + timed(lambda: bench.mtf_features_polars(pdf))))
