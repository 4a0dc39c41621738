"""Python side of the model comparison (docs/performance.md, "## Models").

    python peers.py gen  --out DIR [--rows 100000] [--features 30]   # the shared dataset (Parquet)
    python peers.py run  DIR/dataset.parquet [--models lightgbm,logistic,random_forest,svm] [--rounds 200]

`gen` writes a `dataset` table (ts, t1, split, label, ret, weight + features) with a
non-linear, noisy 3-class target; `run` trains scikit-learn / LightGBM on its train split
(1 thread), and prints one JSON line per model: test log loss, accuracy, fit seconds
(wall and CPU). `cargo run -p mlfactory-models --example peers -- DIR/dataset.parquet`
prints the same for mlfactory's models on the same file.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

META = {"ts", "t1", "split", "label", "ret", "weight", "segment", "target"}


def gen(a):
    rng = np.random.default_rng(a.seed)
    n, d = a.rows, a.features
    x = rng.standard_normal((n, d))
    x[:, d // 2 :] = rng.standard_t(4, (n, d - d // 2))  # heavy tails, like returns
    s = (
        0.6 * x[:, 0]
        + 0.5 * x[:, 1] * x[:, 2]
        + 0.4 * np.sin(3 * x[:, 3])
        + 0.5 * (x[:, 4] > 0.5)
        - 0.25 * x[:, 5] ** 2
        + 0.3 * np.tanh(x[:, 6] + x[:, 7])
        + rng.standard_normal(n)
    )
    lo, hi = np.quantile(s, [0.35, 0.65])
    label = np.where(s < lo, -1, np.where(s > hi, 1, 0)).astype(np.int8)
    ret = 0.002 * label + 0.001 * rng.standard_normal(n)
    ts = (np.arange(n, dtype=np.int64) * 300 + 1_704_067_200) * 1_000_000_000
    t1 = ts + 12 * 300 * 1_000_000_000
    split = np.where(np.arange(n) < int(0.7 * n), "train", np.where(np.arange(n) < int(0.85 * n), "val", "test"))
    cols = {
        "ts": pa.array(ts, pa.timestamp("ns", "UTC")),
        "t1": pa.array(t1, pa.timestamp("ns", "UTC")),
        "split": pa.array(split),
        "label": pa.array(label),
        "ret": pa.array(ret),
        "weight": pa.array(np.ones(n)),
    }
    for j in range(d):
        cols[f"f{j:02d}"] = pa.array(x[:, j])
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "dataset.parquet")
    pq.write_table(pa.table(cols), path)
    print(path)


def load(path):
    t = pq.read_table(path)
    feats = [c for c in t.column_names if c not in META]
    x = np.column_stack([t.column(c).to_numpy().astype(np.float64) for c in feats])
    y = t.column("label").to_numpy().astype(np.int64) + 1
    split = np.asarray(t.column("split").to_pylist())
    return {s: (x[split == s], y[split == s]) for s in ("train", "val", "test")}


def log_loss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def run(a):
    parts = load(a.dataset)
    (xtr, ytr), (xva, yva), (xte, yte) = parts["train"], parts["val"], parts["test"]
    models = a.models.split(",")
    for name in models:
        w0, c0 = time.perf_counter(), time.process_time()
        if name == "lightgbm":
            import lightgbm as lgb

            ds = lgb.Dataset(xtr, ytr, params={"max_bin": 255, "verbose": -1})
            m = lgb.train(
                {"objective": "multiclass", "num_class": 3, "num_threads": 1, "learning_rate": 0.05, "num_leaves": 31,
                 "min_data_in_leaf": 20, "verbose": -1, "seed": 0, "deterministic": True},
                ds, num_boost_round=a.rounds)
            predict = m.predict
        elif name == "logistic":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            # mlfactory's l2 = 1e-4 per mean loss is sklearn's C = 1 / (l2 * n).
            m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0 / (1e-4 * len(ytr)), max_iter=200)).fit(xtr, ytr)
            predict = m.predict_proba
        elif name == "random_forest":
            from sklearn.ensemble import RandomForestClassifier

            m = RandomForestClassifier(n_estimators=100, max_depth=12, n_jobs=1, random_state=0).fit(xtr, ytr)
            predict = m.predict_proba
        elif name == "svm":
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
            from sklearn.svm import LinearSVC

            svc = LinearSVC(C=1.0 / (1e-4 * len(ytr)), max_iter=2000)
            m = make_pipeline(StandardScaler(), CalibratedClassifierCV(svc, method="sigmoid", cv=3, ensemble=False)).fit(xtr, ytr)
            predict = m.predict_proba
        else:
            sys.exit(f"unknown model {name}")
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        p = predict(xte)
        print(json.dumps({"model": name, "peer": True, "test_log_loss": log_loss(yte, p),
                          "test_accuracy": float(np.mean(p.argmax(1) == yte)), "fit_wall_s": wall, "fit_cpu_s": cpu,
                          "train_rows": len(ytr), "features": xtr.shape[1]}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    g.add_argument("--rows", type=int, default=100_000)
    g.add_argument("--features", type=int, default=30)
    g.add_argument("--seed", type=int, default=7)
    r = sub.add_parser("run")
    r.add_argument("dataset")
    r.add_argument("--models", default="lightgbm,logistic,random_forest,svm")
    r.add_argument("--rounds", type=int, default=200)
    a = ap.parse_args()
    gen(a) if a.cmd == "gen" else run(a)


if __name__ == "__main__":
    main()
