"""Benchmark: H2SEA fits, training throughput, the dropout masks, and chapters 03-05 cold.

Prints figures, asserts nothing. Run from the repo root:
``python tests/benchmarks/bench_h2sea.py [--scale 1.0] [--threads 1 2] [--chapters]``.

* One H2SEA fit at paper scale (about 4,600 people, 4 tasks), early-stopped on the
  validation macro-F1: wall time, epochs, CPU seconds per epoch.
* Training throughput (samples/s over the gradient steps) of H2SEA on 4 tasks beside
  deepctr-torch's DeepFM on one binary task (same features, batch 256, 5 epochs).
* ``FastDropout`` (numpy PCG64 masks) against ``torch.nn.Dropout`` on one H2SEA layer.
* ``--chapters``: a cold ``full`` run of notebooks 03, 04 and 05 through the pipeline,
  per-notebook wall time (targets, issue 14: 03 under 240 s, 03 + 04 + 05 under 360 s on
  2 cores). It needs an empty ``data/cache`` (``make clean``); otherwise it refuses unless
  ``--allow-warm``. The times of the last pipeline run are printed either way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from homelib import io
from homelib.h2sea.models import FastDropout, TabularEncoder, make_model
from homelib.h2sea.protocol import stratified_split
from homelib.h2sea.simulated import h2sea_dataset

CHAPTERS = ("03_h2sea", "04_feature_importance", "05_city_village")


def h2sea_fit(ds, parts, threads: int, epochs: int | None = None) -> dict:
    tr, va = parts["train"], parts["val"]
    kw = {"n_threads": threads}
    if epochs:
        kw.update(max_epochs=epochs, patience=10**6)
    m = make_model("H2SEA", **kw)
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(ds.X.iloc[tr], ds.y.iloc[tr], ds.X.iloc[va], ds.y.iloc[va])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ep = len(m.history_)
    return {"wall_s": wall, "cpu_s": cpu, "epochs": ep, "best_epoch": m.best_epoch_,
            "samples_per_s": len(tr) * ep / m.train_seconds_,
            "samples_per_s_with_validation": len(tr) * ep / m.fit_seconds_}


def deepfm_throughput(ds, parts, threads: int, epochs: int = 5) -> dict:
    from deepctr_torch.inputs import DenseFeat, SparseFeat  # test-only dependency
    from deepctr_torch.models import DeepFM

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


def dropout_masks(n: int = 300) -> tuple[float, float]:
    """Microseconds per forward call on a (256, 4, 32) activation, torch vs numpy masks."""
    x = torch.randn(256, 4, 32)
    out = []
    for layer in (torch.nn.Dropout(0.3), FastDropout(0.3, seed=0)):
        layer.train()
        for _ in range(20):
            layer(x)
        t0 = time.perf_counter()
        for _ in range(n):
            layer(x)
        out.append((time.perf_counter() - t0) / n * 1e6)
    return out[0], out[1]


def last_run_times() -> dict:
    path = io.results_dir() / "manifest.json"
    if not path.exists():
        return {}
    m = json.loads(path.read_text())
    return {k: (v.get("wall_time_s"), m.get("profile")) for k, v in m.get("notebooks", {}).items()
            if k in CHAPTERS}


def cold_chapters(allow_warm: bool) -> None:
    warm = sorted(p.name for p in io.cache_dir().glob("h2sea_*"))
    if warm and not allow_warm:
        print(f"chapters: data/cache holds {len(warm)} H2SEA entries; run `make clean` for a cold "
              "run (or pass --allow-warm)")
        return
    cmd = [sys.executable, "-m", "homelib", "run", "--profile", "full", "--only", "03", "04", "05",
           "--force"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=io.project_root(), check=True, env={**os.environ})
    print(f"chapters 03-05 ({'warm' if warm else 'cold'} cache): {time.perf_counter() - t0:.0f} s "
          f"in all, {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--chapters", action="store_true", help="cold full run of notebooks 03-05")
    ap.add_argument("--allow-warm", action="store_true")
    a = ap.parse_args()
    if a.chapters:
        cold_chapters(a.allow_warm)
    ds = h2sea_dataset(a.scale, 0)
    parts = stratified_split(ds.y, seed=0)
    print(f"data: {len(ds.X)} people, {ds.X.shape[1]} feature columns, "
          f"{len(parts['train'])} training rows; torch {torch.__version__}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    make_model("H2SEA", max_epochs=1).fit(ds.X.iloc[:300], ds.y.iloc[:300])  # warm-up imports
    for th in a.threads:
        r = h2sea_fit(ds, parts, th)
        print(f"H2SEA fit, early stopping on validation macro-F1, {th} thread(s): "
              f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, {r['epochs']} epochs "
              f"(best {r['best_epoch']}), {r['cpu_s'] / r['epochs']:.3f} s CPU per epoch")
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
    torch_us, fast_us = dropout_masks()
    print(f"dropout on a (256, 4, 32) activation: torch.nn.Dropout {torch_us:.0f} us, "
          f"FastDropout {fast_us:.0f} us per call")
    for k, (s, prof) in last_run_times().items():
        print(f"last pipeline run ({prof}): {k} {s:.0f} s" if s is not None else f"{k}: n/a")
    print(f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
