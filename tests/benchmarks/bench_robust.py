"""Benchmark of the run's checks (issue 12); prints figures, asserts nothing.

Targets: ``python -m homelib run`` rejects a bad profile in under 5 s, before running
anything (the whole command, interpreter start included); the strict loaders read a
paper-sized social network (371,913 users) in reasonable time.

Usage (from the repo root)::

    python tests/benchmarks/bench_robust.py            # profile rejection only
    python tests/benchmarks/bench_robust.py --loader   # and a paper-sized read_social_world
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
BAD = {
    "tab indentation": "notebooks:\n\t00_overview: {metric: f1}\n",
    "notebook: typo": "notebook:\n  00_overview: {metric: f1}\n",
    "NaN in the last notebook": "notebooks:\n  00_overview: {}\n  09_exposure: {k_km: .nan}\n",
    "empty list": "notebooks:\n  08_pfli: {ks: []}\n",
}


def profile_rejection(repeats: int = 3) -> None:
    project = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    env = {**os.environ, "HOMELIB_ROOT": str(project), "PYTHONPATH": str(ROOT)}
    print("python -m homelib run --profile BAD (wall time of the whole command, s):")
    for name, text in BAD.items():
        (project / "notebooks" / "profiles" / "bad.yml").write_text(text)
        times, code, err = [], None, ""
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "homelib", "run", "--profile", "bad"],
                                 cwd=project, env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            code, err = out.returncode, out.stderr.strip().splitlines()[0]
        print(f"  {name:28s} median {np.median(times):5.2f}  max {max(times):5.2f}  "
              f"exit {code}  {err[:90]}")
        assert not (project / "data").exists()
    shutil.rmtree(project)


def loader(n_users: int = 371_913, n_places: int = 12_863, degree: int = 8) -> None:
    from homelib.pfli.data import read_social_world

    rng = np.random.default_rng(0)
    folder = Path(tempfile.mkdtemp())
    pd.DataFrame({"place_id": np.arange(n_places), "lat": rng.uniform(-60, 60, n_places),
                  "lon": rng.uniform(-180, 180, n_places)}).to_csv(folder / "places.csv",
                                                                    index=False)
    pd.DataFrame({"user_id": np.arange(n_users),
                  "current_place": rng.integers(0, n_places, n_users),
                  "hometown": rng.integers(-1, n_places, n_users), "work": -1,
                  "current_visible": rng.random(n_users) < 0.4,
                  "hometown_visible": rng.random(n_users) < 0.8,
                  "work_visible": False, "friends_visible": rng.random(n_users) < 0.75}
                 ).to_csv(folder / "users.csv", index=False)
    m = n_users * degree // 2
    pd.DataFrame({"u": rng.integers(0, n_users, m), "v": rng.integers(0, n_users, m)}).to_csv(
        folder / "edges.csv", index=False)
    t0 = time.perf_counter()
    w = read_social_world(folder)
    print(f"read_social_world: {n_users:,} users, {m:,} edge rows -> {w.stats['edges']:,} edges "
          f"in {time.perf_counter() - t0:.1f} s")
    shutil.rmtree(folder)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--loader", action="store_true")
    args = ap.parse_args()
    profile_rejection()
    if args.loader:
        loader()
