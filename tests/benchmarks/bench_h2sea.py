"""Benchmark: one H2SEA fit at paper scale, and training throughput vs deepctr-torch DeepFM.

Prints figures, asserts nothing. Run from the repo root:
``python tests/benchmarks/bench_h2sea.py [--scale 1.0] [--threads 1 2]``.

Targets (issue 4): one H2SEA fit at paper scale (about 4,509 people, 4 tasks) under 30 s on
2 CPU cores; H2SEA training throughput (samples/s) at least that of DeepFM on the same features.
DeepFM (deepctr-torch, a test-only dependency) is single-task, so it trains on one binary target
(personal income high vs not); H2SEA trains on all four 3-class tasks at once. Both are timed over
their gradient steps (same batch size, 256); H2SEA's figure with its per-epoch validation passes
(early stopping needs them, DeepFM's fit here does none) is printed beside it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from homelib.h2sea.models import make_model
from homelib.h2sea.protocol import stratified_split
from homelib.h2sea.simulated import h2sea_dataset


def h2sea_fit(ds, parts, threads: int, epochs: int | None = None) -> dict:
    tr, va = parts["train"], parts["val"]
    kw = {"n_threads": threads}
    if epochs:
        kw.update(max_epochs=epochs, patience=10**6)
    m = make_model("H2SEA", **kw)
    t0 = time.perf_counter()
    m.fit(ds.X.iloc[tr], ds.y.iloc[tr], ds.X.iloc[va], ds.y.iloc[va])
    wall = time.perf_counter() - t0
    ep = len(m.history_)
    return {"wall_s": wall, "epochs": ep, "best_epoch": m.best_epoch_,
            "samples_per_s": len(tr) * ep / m.train_seconds_,
            "samples_per_s_with_validation": len(tr) * ep / m.fit_seconds_}


def deepfm_throughput(ds, parts, threads: int, epochs: int = 5) -> dict:
    from deepctr_torch.inputs import DenseFeat, SparseFeat
    from deepctr_torch.models import DeepFM

    from homelib.h2sea.models import TabularEncoder

    tr = parts["train"]
    enc = TabularEncoder().fit(ds.X.iloc[tr])
    xc, xk = enc.transform(ds.X.iloc[tr])
    y = (ds.y["personal_income"].iloc[tr].fillna(0).to_numpy(dtype=float) == 2).astype(float)
    cols = [SparseFeat(c, vocabulary_size=k, embedding_dim=6)
            for c, k in zip(enc.categorical_, enc.cardinalities, strict=True)]
    cols += [DenseFeat(c, 1) for c in enc.continuous_]
    x = {c: xk[:, j] for j, c in enumerate(enc.categorical_)}
    x.update({c: xc[:, j] for j, c in enumerate(enc.continuous_)})
    torch.set_num_threads(threads)
    model = DeepFM(cols, cols, task="binary", dnn_hidden_units=(32, 32, 32), dnn_dropout=0.3,
                   l2_reg_embedding=1e-5, device="cpu", seed=0)
    model.compile("adam", "binary_crossentropy")
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=256, epochs=epochs, verbose=0)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "epochs": epochs, "samples_per_s": len(tr) * epochs / wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=5)
    a = ap.parse_args()
    ds = h2sea_dataset(a.scale, 0)
    parts = stratified_split(ds.y, seed=0)
    print(f"data: {len(ds.X)} people, {ds.X.shape[1]} feature columns, "
          f"{len(parts['train'])} training rows; torch {torch.__version__}")
    make_model("H2SEA", max_epochs=1).fit(ds.X.iloc[:300], ds.y.iloc[:300])  # warm-up imports
    for th in a.threads:
        r = h2sea_fit(ds, parts, th)
        print(f"H2SEA fit, early stopping, {th} thread(s): {r['wall_s']:.1f} s wall, "
              f"{r['epochs']} epochs (best {r['best_epoch']})  [target < 30 s on 2 cores]")
    for th in a.threads:
        h = h2sea_fit(ds, parts, th, a.epochs)
        try:
            d = deepfm_throughput(ds, parts, th, a.epochs)
            dtxt = f"{d['samples_per_s']:,.0f}"
        except ImportError as e:  # deepctr-torch is a test-only dependency
            dtxt = f"n/a ({e})"
        print(f"throughput, {th} thread(s), {a.epochs} epochs: H2SEA {h['samples_per_s']:,.0f} "
              f"samples/s (4 tasks; {h['samples_per_s_with_validation']:,.0f} counting its "
              f"per-epoch validation passes) | deepctr-torch DeepFM {dtxt} samples/s (1 task, "
              "no validation)")
    print(f"mean over threads printed above; numpy {np.__version__}")


if __name__ == "__main__":
    main()
