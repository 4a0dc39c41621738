"""Python peers for `benches/labels.rs`, on the same 1M-bar series, same session.

Uses bench.py from shared/anchors/python-peers (its numba labeler, mlfinpy wrapper and
optuna objective), so the work is exactly what RESULTS.md measured:
    PEERS_THREADS=1 $PEERS_VENV/bin/python stages/labels/benches/peers.py PATH/TO/python-peers DATA_DIR
Prints wall and CPU seconds (median of 3; mlfinpy once, on a 5,000-event slice, extrapolated).
"""
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
os.environ.setdefault("PEERS_THREADS", "1")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import bench  # noqa: E402


def timed(fn, repeat=3):
    w, c = [], []
    for _ in range(repeat):
        t0, p0 = time.perf_counter(), time.process_time()
        fn()
        w.append(time.perf_counter() - t0)
        c.append(time.process_time() - p0)
    return float(np.median(w)), float(np.median(c))


df = bench.load_bars(sys.argv[2], "1M")
close, trgt = bench.prep_targets(df)
n = len(close)
nb = bench.nb_funcs()
ev = np.arange(n, dtype=np.int64)
nb["tb_label"](close[:1000], trgt[:1000], 1.0, 1.0, 20, ev[:900])
print("numba 1M x H=20: wall %.4f cpu %.4f" % timed(lambda: nb["tb_label"](close, trgt, 1.0, 1.0, 20, ev)))
print("numba 1M x [5,10,15,20]: wall %.4f cpu %.4f" % timed(lambda: [nb["tb_label"](close, trgt, 1.0, 1.0, h, ev) for h in (5, 10, 15, 20)]))
m = 5_000
s = pd.Series(close, index=df.index)
t = pd.Series(trgt, index=df.index)
w, c = timed(lambda: bench.mlfinpy_label(s, t, df.index[1000:1000 + m], 20), repeat=1)
print("mlfinpy %d events x H=20: wall %.3f cpu %.3f -> 1M x 4 horizons extrapolated: cpu %.0f s" % (m, w, c, c * 4 * n / m))
import optuna  # noqa: E402
import talib as T  # noqa: E402
optuna.logging.set_verbosity(optuna.logging.WARNING)
sig = np.sign(np.nan_to_num(T.EMA(close, 10) - T.EMA(close, 50)))
events = np.arange(n - 20, dtype=np.int64)
obj = bench.opt_objective_factory(close, trgt, sig, events, 20)


def study():
    st = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    st.optimize(obj, n_trials=50)


print("optuna 50 trials: wall %.3f cpu %.3f" % timed(study))
