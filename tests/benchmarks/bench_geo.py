"""Benchmark: radius queries with the BallTree index vs brute force (prints figures).

Paper-like scale: 4,509 homes, 200,000 listed prices, a 2 km radius.
Run: python tests/benchmarks/bench_geo.py
"""

import time

import numpy as np

from homelib import geo


def main(n_homes: int = 4509, n_points: int = 200_000, radius_km: float = 2.0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(22, 46, n_points)
    lon = rng.uniform(104, 127, n_points)
    hlat = rng.uniform(22, 46, n_homes)
    hlon = rng.uniform(104, 127, n_homes)

    t0 = time.perf_counter()
    idx = geo.SphereIndex.from_coords(lat, lon)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = idx.count_radius(hlat, hlon, radius_km)
    t_tree = time.perf_counter() - t0

    sample = 200
    t0 = time.perf_counter()
    brute = np.array([(geo.haversine_km(hlat[i], hlon[i], lat, lon) <= radius_km).sum()
                      for i in range(sample)])
    t_brute = (time.perf_counter() - t0) * n_homes / sample
    assert np.array_equal(brute, counts[:sample])
    print(f"radius {radius_km} km, {n_homes:,} homes x {n_points:,} points")
    print(f"  BallTree build: {t_build:.2f} s, queries: {t_tree:.2f} s")
    print(f"  brute force (extrapolated from {sample} homes): {t_brute:.2f} s")
    print(f"  speed-up: {t_brute / max(t_tree, 1e-9):.0f}x")


if __name__ == "__main__":
    main()
