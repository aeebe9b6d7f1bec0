"""Benchmark of PFLI at 1x, 3x and 10x the paper's users, with and without Dask
(prints figures, asserts nothing).

Usage (from the repo root)::

    python tests/benchmarks/bench_pfli.py                       # 1x, 3x, 10x (where memory allows)
    python tests/benchmarks/bench_pfli.py --scales 1            # paper scale only
    python tests/benchmarks/bench_pfli.py --scales 0.05 --upgma-scale 0.05

For every world size: building (or reading back from ``data/cache``) the world,
fitting PFLI on the LA users, UPGMA; then scoring and locating *every* user on
one process and on Dask ``LocalCluster`` s of 1 and 2 worker processes, with
wall time, peak resident memory of the driver and of each worker (Linux
high-water marks, reset before each run) and whether the predictions are
identical to the single-process ones. Worlds above paper scale are stored as
Parquet (``stored_social_world``); a size is skipped, saying why, when the
machine has less free memory than it needs. Then UPGMA on the paper's 12,863
places, component by component (the library) against all pairs at once (the
implementation before issue 14), with identical labels; the fit and predict
times of the five baselines on the paper-scale world (Base_dist's fit counts
the user pairs of every place pair); and the vectorised scores against a plain
per-user Python loop on a sample.
"""

from __future__ import annotations

import argparse
import time

import fastcluster
import numpy as np
import psutil
from scipy.cluster.hierarchy import fcluster

from homelib.geo import pairwise_haversine_km
from homelib.pfli import scale
from homelib.pfli.baselines import make_baselines
from homelib.pfli.clusters import cluster_places
from homelib.pfli.model import PFLIConfig, fit_pfli
from homelib.pfli.world import SocialConfig, build_social_world, stored_social_world

GB = 1e9
# peak memory of the whole run (driver + 2 workers) per million users, measured at 1x and 3x
NEED_GB_PER_MILLION_USERS = 3.5


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


def _same(a, b) -> bool:
    return all(a.selections[s].equals(b.selections[s]) for s in b.selections) and \
        bool(np.array_equal(a.prior, b.prior))


def bench_baselines(world, seed: int) -> None:
    la = world.users["current_visible"].to_numpy()
    test = np.flatnonzero(la)[::5]
    known = la.copy()
    known[test] = False
    for name, est in make_baselines(seed=seed).items():
        t = time.perf_counter()
        est.fit(world, known)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        est.predict(world, test)
        print(f"{name}: fit {fit_s:.1f} s, predict {test.size:,} users {time.perf_counter() - t:.1f} s")


def score_density(model, world, seed: int, sample: int = 20000) -> str:
    """Mean stored entries per score row (and of R_HT, R_WE rows) on a sample of users.

    The per-user cost of scoring and selection is proportional to the entries of the
    user's score row: above paper scale the places stay fixed while every R_k row (the
    cities of the known users with that value) fills up, so rows get denser.
    """
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(world.n_users, size=min(sample, world.n_users), replace=False))
    s = model.score(world, ids)
    rt = {k: model.RT[k].nnz / max(1, model.RT[k].shape[0]) for k in ("HT", "WE")}
    return (f"score rows: {s.nnz / ids.size:.0f} entries per user (of {world.n_places:,} places; "
            f"sample of {ids.size:,}); R_HT {rt['HT']:.1f}, R_WE {rt['WE']:.1f} entries per row")


def bench_size(sc: float, seed: int, partition_size: int, workers: list[int],
               baselines: bool = False, single_max_scale: float = float("inf")) -> None:
    n_users = SocialConfig.scaled(sc).n_users
    need = NEED_GB_PER_MILLION_USERS * n_users / 1e6 + 2.0
    free = psutil.virtual_memory().available / GB
    if free < need:
        print(f"== {sc:g}x ({n_users:,} users): SKIPPED, {free:.1f} GB available, needs about "
              f"{need:.0f} GB")
        return
    print(f"== {sc:g}x the paper's users ({n_users:,}); {free:.1f} GB available", flush=True)
    with scale.MemoryMonitor() as mon:
        t = time.perf_counter()
        world = stored_social_world(sc, seed) if sc > 1 else build_social_world(
            SocialConfig.scaled(sc), seed=seed)
        dt = time.perf_counter() - t
    how = "built or read from Parquet" if sc > 1 else "built"
    print(f"world: {world.n_users:,} users, {world.n_places:,} places, {len(world.edges):,} edges, "
          f"{how} in {dt:.1f} s, driver peak {mon.driver_peak / GB:.2f} GB")
    t = time.perf_counter()
    model = fit_pfli(world, config=PFLIConfig(), seed=seed)
    print(f"fit_pfli (R_k, W_k, alpha, mu, nu; one process): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    clusters = cluster_places(world.places["lat"], world.places["lon"], 100.0)
    print(f"UPGMA ({world.n_places:,} places, 100 km): {time.perf_counter() - t:.1f} s, "
          f"{clusters.max() + 1:,} clusters")
    print(score_density(model, world, seed), flush=True)
    ref = None
    if sc <= single_max_scale:
        with scale.MemoryMonitor() as mon:
            t = time.perf_counter()
            ref = scale.predict_users(model, world, None, clusters, partition_size=partition_size)
            dt = time.perf_counter() - t
        print(f"single process: {dt:.1f} s for {world.n_users:,} users "
              f"({dt / world.n_users * 1e6:.1f} us per user), driver peak {mon.driver_peak / GB:.2f} GB "
              f"(+{(mon.driver_peak - mon.baseline) / GB:.2f} GB above the world and model)", flush=True)
    else:
        print(f"single process: not run above {single_max_scale:g}x (--single-max-scale); the "
              "identity of the Dask predictions is checked at the sizes where it runs", flush=True)
    t = time.perf_counter()
    with scale.dask_client(n_workers=min(workers), processes=True) as client:
        for k in sorted(set(workers)):
            t = t if k == min(workers) else time.perf_counter()
            client.cluster.scale(k)
            client.wait_for_workers(k)
            scale.warm_up(client)
            start = time.perf_counter() - t
            with scale.MemoryMonitor() as mon:
                t = time.perf_counter()
                got = scale.predict_users_dask(model, world, None, clusters, scheduler=client,
                                               partition_size=partition_size)
                dt = time.perf_counter() - t
            peaks = np.array(list(got.info["worker_peak_rss"].values())) / GB
            print(f"Dask, {k} worker process(es): {dt:.1f} s ({got.info['n_partitions']} partitions "
                  f"of {partition_size:,}; broadcast {got.info['seconds_broadcast']:.1f} s; "
                  f"workers ready in {start:.1f} s); driver peak {mon.driver_peak / GB:.2f} GB, "
                  f"worker peaks {', '.join(f'{p:.2f}' for p in peaks)} GB, driver + workers "
                  f"{mon.driver_peak / GB + peaks.sum():.2f} GB ({dt / world.n_users * 1e6:.1f} us per "
                  f"user); predictions identical to the single process: "
                  f"{'not compared' if ref is None else _same(got, ref)}", flush=True)
    if baselines:
        bench_baselines(world, seed)


def bench_upgma(sc: float, seed: int) -> None:
    world_places = build_social_world(SocialConfig.scaled(sc, n_users=1000), seed=seed).places
    lat, lon = world_places["lat"].to_numpy(), world_places["lon"].to_numpy()
    t = time.perf_counter()
    new = cluster_places(lat, lon, 100.0)
    t_new = time.perf_counter() - t
    t = time.perf_counter()
    d = pairwise_haversine_km(lat, lon)
    t_d = time.perf_counter() - t
    z = fastcluster.linkage(d, method="average", preserve_input=False)
    lab = fcluster(z, t=100.0, criterion="distance")
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    old = np.argsort(np.argsort(first))[inv]
    t_old = time.perf_counter() - t
    print(f"== UPGMA on {lat.size:,} places (100 km cut): by single-linkage components "
          f"{t_new:.2f} s (target < 5 s); all pairs at once {t_old:.2f} s "
          f"(condensed matrix {t_d:.2f} s, linkage {t_old - t_d:.2f} s); labels identical: "
          f"{bool(np.array_equal(new, old))}, {new.max() + 1:,} clusters")


def bench_loop(sc: float, seed: int, loop_sample: int) -> None:
    world = build_social_world(SocialConfig.scaled(sc), seed=seed)
    model = fit_pfli(world, seed=seed)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(world.n_users, size=min(loop_sample, world.n_users), replace=False))
    t = time.perf_counter()
    per_user_loop(model, world, sample)
    loop = time.perf_counter() - t
    t = time.perf_counter()
    model.score(world, sample)
    vec = time.perf_counter() - t
    print(f"== per-user Python loop on {sample.size:,} users of a {sc:g}x world: {loop:.2f} s; "
          f"vectorised PFLIModel.score: {vec:.2f} s (x{loop / max(vec, 1e-9):.0f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,3,10", help="comma-separated world sizes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--partition-size", type=int, default=scale.DEFAULT_PARTITION_SIZE)
    ap.add_argument("--workers", default="1,2", help="Dask worker counts")
    ap.add_argument("--upgma-scale", type=float, default=1.0)
    ap.add_argument("--single-max-scale", type=float, default=float("inf"),
                    help="run the single-process reference only up to this size (it takes 45 min at 10x)")
    ap.add_argument("--loop-sample", type=int, default=1000)
    ap.add_argument("--loop-scale", type=float, default=0.25)
    args = ap.parse_args()
    print(f"machine: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / GB:.1f} GB, "
          f"{psutil.virtual_memory().available / GB:.1f} GB available")
    bench_upgma(args.upgma_scale, args.seed)
    workers = [int(w) for w in args.workers.split(",")]
    scales = [float(s) for s in args.scales.split(",")]
    for sc in scales:
        # the baselines once, on the paper-scale world (or the largest one up to it; none above)
        at = max([s for s in scales if s <= 1], default=None)
        bench_size(sc, args.seed, args.partition_size, workers, baselines=sc == at,
                   single_max_scale=args.single_max_scale)
    if args.loop_sample > 0:
        bench_loop(args.loop_scale, args.seed, args.loop_sample)


if __name__ == "__main__":
    main()
