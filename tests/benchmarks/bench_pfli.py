"""Benchmark of the social world and PFLI at paper scale (prints figures, asserts nothing).

Usage (from the repo root)::

    python tests/benchmarks/bench_pfli.py            # paper scale (371,913 users)
    python tests/benchmarks/bench_pfli.py --scale 0.05

Prints: world build time; PFLI fit time (with the exact leave-one-out of the
training users); scoring time and peak memory for all users over all candidate
locations (sparse batches); UPGMA time over all places; the fit and predict
times of the five baselines (Base_dist's fit counts the user pairs of every
place pair); and a plain per-user Python loop on a sample with the speed-up.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from homelib.pfli.baselines import make_baselines
from homelib.pfli.clusters import cluster_places
from homelib.pfli.model import PFLIConfig, fit_pfli
from homelib.pfli.world import SocialConfig, build_social_world


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def per_user_loop(model, world, users):
    """The same Eq 6 for one user at a time with Python dicts (the naive way)."""
    adj = world.adjacency
    out = []
    vals = model.values
    for u in users:
        p: dict[int, float] = {}
        for k in ("HT", "WE"):
            rt = model.RT[k]
            if vals[k][u] >= 0:
                row = rt.getrow(vals[k][u])
                for c, x in zip(row.indices, row.data, strict=True):
                    p[c] = p.get(c, 0.0) + model.mu[k] * x
        if world.users.friends_visible.iat[u]:
            for v in adj.indices[adj.indptr[u]: adj.indptr[u + 1]]:
                if model.known[v]:
                    w = sum(model.nu[k] * model.W[k].lookup([vals[k][u]], [vals[k][v]])[0]
                            for k in ("HT", "WE"))
                    p[model.city[v]] = p.get(model.city[v], 0.0) + w
                else:
                    for k in ("HT", "WE"):
                        if vals[k][v] >= 0:
                            row = model.RT[k].getrow(vals[k][v])
                            for c, x in zip(row.indices, row.data, strict=True):
                                p[c] = p.get(c, 0.0) + model.config.lambda_alpha * model.alpha[k] * x
        out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--loop-sample", type=int, default=2_000)
    args = ap.parse_args()

    t = time.perf_counter()
    world = build_social_world(SocialConfig.scaled(args.scale), seed=args.seed)
    print(f"world: {world.n_users:,} users, {world.n_places:,} places, {len(world.edges):,} edges "
          f"built in {time.perf_counter() - t:.1f} s (target < 180 s at paper scale)")

    t = time.perf_counter()
    model = fit_pfli(world, config=PFLIConfig(batch_size=args.batch), seed=args.seed)
    print(f"fit_pfli (R_k, W_k, alpha, mu, nu): {time.perf_counter() - t:.1f} s; "
          f"alpha={model.alpha} mu={model.mu} nu={model.nu}")

    users = np.arange(world.n_users)
    tracemalloc.start()
    t = time.perf_counter()
    nnz = 0
    for b0 in range(0, users.size, args.batch):
        s = model.score(world, users[b0: b0 + args.batch])
        nnz += s.nnz
        del s
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"PFLI scores for all {users.size:,} users x {world.n_places:,} places: {dt:.1f} s "
          f"(target < 60 s), {nnz:,} non-zeros, peak traced memory {peak / 1e9:.2f} GB, "
          f"process max RSS {_rss_gb():.2f} GB (target < 6 GB)")

    t = time.perf_counter()
    cl = cluster_places(world.places["lat"], world.places["lon"], 100.0)
    print(f"UPGMA over {world.n_places:,} places (100 km cut): {time.perf_counter() - t:.1f} s, "
          f"{cl.max() + 1:,} clusters (target < 30 s)")

    la = world.users["current_visible"].to_numpy()
    test = np.flatnonzero(la)[::5]
    known = la.copy()
    known[test] = False
    for name, est in make_baselines(seed=args.seed).items():
        t = time.perf_counter()
        est.fit(world, known)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        est.predict(world, test)
        print(f"{name}: fit {fit_s:.1f} s, predict {test.size:,} users {time.perf_counter() - t:.1f} s")

    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(users, size=min(args.loop_sample, users.size), replace=False))
    t = time.perf_counter()
    per_user_loop(model, world, sample)
    loop = time.perf_counter() - t
    t = time.perf_counter()
    model.score(world, sample)
    vec = time.perf_counter() - t
    print(f"per-user Python loop on {sample.size:,} users: {loop:.2f} s "
          f"({loop / sample.size * users.size:.0f} s extrapolated to all users); "
          f"vectorised: {vec:.2f} s; speed-up x{loop / max(vec, 1e-9):.0f} on the sample, "
          f"x{loop / sample.size * users.size / dt:.0f} against the full vectorised run")
    print(f"max RSS at the end: {_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
