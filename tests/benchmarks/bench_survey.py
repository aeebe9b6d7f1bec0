"""Benchmark: build the survey world, its sources and the feature table at paper scale.

Prints wall times (no assertion). Target (issue 3): under 60 s in all on 2 cores.
Run from the repository root: ``python tests/benchmarks/bench_survey.py [--scale 1.0]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from homelib.geo import SphereIndex, haversine_km
from homelib.h2sea.collection import simulate_sources
from homelib.h2sea.features import build_features
from homelib.h2sea.simulated import dataset_from_world
from homelib.h2sea.world import SurveyConfig, simulate_survey


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    cfg = SurveyConfig(households_per_village=max(1, round(30 * a.scale)))
    t0 = time.perf_counter()
    world = simulate_survey(cfg, seed=a.seed)
    t1 = time.perf_counter()
    sources = simulate_sources(world, seed=a.seed)
    t2 = time.perf_counter()
    X, _ = build_features(sources)
    t3 = time.perf_counter()
    dataset_from_world(world, sources)
    t4 = time.perf_counter()
    print(f"surveyed {len(world.surveyed):,}; kept {len(world.people):,}; "
          f"villages {len(world.villages):,}; sale {len(sources.sale):,}; "
          f"rent {len(sources.rent):,}; POIs {len(sources.pois):,}; features {X.shape[1]}")
    print(f"world      {t1 - t0:6.1f} s")
    print(f"sources    {t2 - t1:6.1f} s")
    print(f"features   {t3 - t2:6.1f} s")
    print(f"dataset    {t4 - t3:6.1f} s  (features again + labels and meta)")
    print(f"total      {t3 - t0:6.1f} s  (world + sources + features; target < 60 s)")

    # the radius query through the BallTree vs all pairs, on the POIs around 200 homes
    h = sources.homes.iloc[:200]
    p = sources.pois
    t5 = time.perf_counter()
    idx = SphereIndex.from_coords(p.lat, p.lon)
    n_tree = sum(len(i) for i in idx.query_radius(h.lat, h.lon, 2.0))
    t6 = time.perf_counter()
    n_brute = sum(int((haversine_km(la, lo, p.lat.to_numpy(), p.lon.to_numpy()) <= 2.0).sum())
                  for la, lo in zip(h.lat, h.lon, strict=True))
    t7 = time.perf_counter()
    print(f"2 km POI query, 200 homes: BallTree {t6 - t5:.2f} s (incl. build), "
          f"all pairs {t7 - t6:.2f} s; same counts: {n_tree == n_brute}")
    print(f"home error median {np.median(world.people.home_error_km) * 1000:.0f} m")


if __name__ == "__main__":
    main()
