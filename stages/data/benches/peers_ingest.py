"""Python peers of `data.ingest` + `data.clean` (5m) on a 1-minute bar Parquet file.

The same work as the Rust example `ingest_resample`: read the Parquet file, validate
every bar (unsorted or duplicate timestamps, high < low, open/close outside [low, high],
non-positive or non-finite prices, negative volume, prices off the 0.25 tick grid),
then resample to 5-minute bars (first/max/min/last/sum, empty bins dropped).

    python peers_ingest.py polars|pandas FILE [--threads N]

Prints one line: the number of 5-minute bars and the sum of their closes (to check the
three tools agree). Timed from outside with farm-bench (whole process, imports included).
"""

import os
import sys

TICK = 0.25


def main() -> None:
    tool, path = sys.argv[1], sys.argv[2]
    threads = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--threads" else "1"
    os.environ["POLARS_MAX_THREADS"] = threads
    os.environ["OMP_NUM_THREADS"] = threads
    if tool == "polars":
        import polars as pl

        df = pl.read_parquet(path)
        prices = ["open", "high", "low", "close"]
        ts = pl.col("ts")
        bad = (
            df.select(
                (ts.diff() < pl.duration(nanoseconds=0)).sum().alias("unsorted"),
                (ts.diff() == pl.duration(nanoseconds=0)).sum().alias("duplicate"),
                (pl.col("high") < pl.col("low")).sum().alias("high_low"),
                ((pl.col("open") < pl.col("low")) | (pl.col("open") > pl.col("high")) | (pl.col("close") < pl.col("low")) | (pl.col("close") > pl.col("high"))).sum().alias("open_close"),
                pl.any_horizontal([~pl.col(c).is_finite() | (pl.col(c) <= 0) for c in prices]).sum().alias("price"),
                (pl.col("volume") < 0).sum().alias("volume"),
                pl.any_horizontal([((pl.col(c) / TICK) - (pl.col(c) / TICK).round()).abs() > 1e-6 for c in prices]).sum().alias("tick_grid"),
            )
        ).row(0)
        if any(bad):
            raise SystemExit(f"validation failed: {bad}")
        out = df.group_by_dynamic("ts", every="5m", closed="left", label="left").agg(
            pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last(), pl.col("volume").sum()
        )
        print(out.height, float(out["close"].sum()))
    else:
        import numpy as np
        import pandas as pd

        df = pd.read_parquet(path)
        t = df["ts"].to_numpy()
        o, h, l, c, v = (df[k].to_numpy() for k in ["open", "high", "low", "close", "volume"])
        d = np.diff(t.astype("int64"))
        p = np.stack([o, h, l, c])
        q = p / TICK
        bad = (
            int((d < 0).sum()),
            int((d == 0).sum()),
            int((h < l).sum()),
            int(((o < l) | (o > h) | (c < l) | (c > h)).sum()),
            int((~np.isfinite(p) | (p <= 0)).any(axis=0).sum()),
            int((v < 0).sum()),
            int((np.abs(q - np.round(q)) > 1e-6).any(axis=0).sum()),
        )
        if any(bad):
            raise SystemExit(f"validation failed: {bad}")
        r = df.set_index("ts").resample("5min", label="left", closed="left", origin="epoch").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        )
        r = r[r["close"].notna()]
        print(len(r), float(r["close"].sum()))


if __name__ == "__main__":
    main()
