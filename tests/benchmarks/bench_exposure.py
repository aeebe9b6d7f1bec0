"""Benchmark of the exposure estimator (chapter 09); prints figures, asserts nothing.

Targets (issue 6): training the exposure models with 10-fold CV (RDF, linear
regression and the four leave-one-feature-out forests, Tables 5-6) in under
60 s on 2 cores at paper scale; one ``exposure_report`` (8 hiding variants,
each recomputed through PFLI) in under 2 s.

Usage (from the repo root)::

    python tests/benchmarks/bench_exposure.py                 # paper scale
    python tests/benchmarks/bench_exposure.py --scale 0.05    # smaller world

Part 1 trains on a synthetic user table of the paper's size (153,909 LA users
x ``scale``) with the simulated visibility rates, so the regression has the
paper's number of users without a paper-scale PFLI run; with ``--pfli`` it
trains on the PFLI evaluation of the simulated world instead (loaded from
``data/cache`` when chapters 08/09 ran with the same parameters, else built:
slow at paper scale). Part 2 builds (or loads) the world at
``--report-scale``, fits PFLI on its LA users and times reports of LN users
and of a profile given as data.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from homelib.exposure import estimator as exp_estimator
from homelib.exposure import features as exp_features
from homelib.exposure import models as exp_models
from homelib.exposure import simulated as exposure_sim
from homelib.pfli import clusters as pfli_clusters
from homelib.pfli import model as pfli_model

PAPER_LA_USERS = 153_909
KS = [10, 20, 30, 40, 60, 80, 100, 150, 200]


def synthetic_user_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Users with the simulated world's visibility rates and plausible features."""
    rng = np.random.default_rng(seed)
    ht = rng.random(n) < 122_899 / PAPER_LA_USERS
    we = rng.random(n) < 54_097 / PAPER_LA_USERS
    f = rng.random(n) < 115_807 / PAPER_LA_USERS
    cat = exp_features.category_of(ht, we, f)
    pct = np.where(f, np.clip(rng.normal(80, 15, n), 0, 100), 0.0)
    cc = np.clip(rng.beta(2 + 2 * f + we, 2, n), 0, 1)
    p_hit = np.clip(0.1 + 0.8 * cc + 0.05 * we, 0, 1)
    hit = rng.random(n) < p_hit
    err_prob = np.where(hit, rng.exponential(5, n), rng.exponential(800, n) + 40)
    err_cent = np.where(hit, rng.exponential(15, n), err_prob)
    return pd.DataFrame({"user_id": np.arange(n), "category": cat,
                         "pct_friends_with_attributes": pct, "cluster_confidence": cc,
                         "error_prob_km": err_prob, "error_cent_km": err_cent})


def bench_training(table: pd.DataFrame, n_jobs: int, n_estimators: int, min_group_size: int,
                   seed: int) -> None:
    t0 = time.perf_counter()
    groups = exp_features.exposure_groups(table, KS)
    t_groups = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    res = exp_models.evaluate_exposure_models(groups, folds=10, min_group_size=min_group_size,
                                      n_estimators=n_estimators, n_jobs=n_jobs, seed=seed)
    t_cv, c_cv = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    exp_models.fit_exposure_model(groups, min_group_size=min_group_size, n_estimators=n_estimators,
                          n_jobs=n_jobs, seed=seed)
    t_fit = time.perf_counter() - t0
    print(f"users: {len(table):,}; group x K rows: {len(groups):,}; "
          f"used (>= {min_group_size} users): {int(res['n_rows'].iloc[0]):,}")
    print(f"EP@K groups built in {t_groups:.2f} s")
    print(f"10-fold CV of 6 models (RDF, LR, 4 leave-one-out; {n_estimators} trees, "
          f"n_jobs={n_jobs}): {t_cv:.1f} s wall, {c_cv:.1f} s CPU   [target < 60 s]")
    print(f"final RDF fit: {t_fit:.2f} s")
    print(res.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def bench_report(scale: float, seed: int, n_reports: int, model: exp_models.ExposureModel) -> None:
    from homelib.pfli.world import social_world

    t0 = time.perf_counter()
    world = social_world(scale=scale, seed=seed)
    t_world = time.perf_counter() - t0
    t0 = time.perf_counter()
    pmodel = pfli_model.fit_pfli(world, seed=seed)
    clusters = pfli_clusters.cluster_places(world.places["lat"], world.places["lon"], 100.0)
    t_fit = time.perf_counter() - t0
    est = exp_estimator.ExposureEstimator(world, pmodel, clusters, model)
    ln = np.flatnonzero(~world.users["current_visible"].to_numpy())
    rng = np.random.default_rng(seed)
    picks = rng.choice(ln, size=min(n_reports, ln.size), replace=False)
    times = []
    for uid in picks:
        t0 = time.perf_counter()
        exp_estimator.exposure_report(int(uid), 100.0, estimator=est, target_level=2)
        times.append(time.perf_counter() - t0)
    u = world.users.iloc[int(picks[0])]
    prof = {"hometown": int(u.hometown), "work": int(u.work),
            "friends": world.adjacency[int(picks[0])].indices.tolist()}
    t0 = time.perf_counter()
    exp_estimator.exposure_report(prof, 100.0, estimator=est, target_level=2)
    t_prof = time.perf_counter() - t0
    t = np.array(times)
    print(f"world: {len(world.users):,} users, {len(world.places):,} places "
          f"(built/loaded in {t_world:.1f} s); PFLI fit + clusters {t_fit:.1f} s")
    print(f"exposure_report (8 variants) over {t.size} LN users: median {np.median(t):.3f} s, "
          f"max {t.max():.3f} s   [target < 2 s]")
    print(f"exposure_report of a profile given as data: {t_prof:.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the paper's users")
    ap.add_argument("--report-scale", type=float, default=None,
                    help="world scale for the report timing (default: --scale)")
    ap.add_argument("--pfli", action="store_true",
                    help="run the PFLI evaluation if it is not cached (slow at paper scale)")
    ap.add_argument("--folds", type=int, default=5, help="PFLI folds (with --pfli)")
    ap.add_argument("--ln-users", type=int, default=20000, help="LN users (with --pfli)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--n-estimators", type=int, default=50)
    ap.add_argument("--min-group-size", type=int, default=10)
    ap.add_argument("--reports", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-report", action="store_true")
    ap.add_argument("--skip-training", action="store_true",
                    help="only time the reports (the model is fitted without CV)")
    args = ap.parse_args()
    print(f"cores visible: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")

    table = None
    if args.pfli:
        world, evaluation = exposure_sim.world_and_evaluation(args.scale, args.seed, folds=args.folds,
                                                      ln_users=args.ln_users)
        table = exp_features.exposure_user_table(world, evaluation.per_user)
        print(f"== training on the PFLI evaluation of the simulated world (scale {args.scale})")
    if table is None:
        n = int(round(PAPER_LA_USERS * args.scale))
        table = synthetic_user_table(n, args.seed)
        print(f"== training on a synthetic user table of {n:,} LA users (scale {args.scale})")
    if not args.skip_training:
        bench_training(table, args.n_jobs, args.n_estimators, args.min_group_size, args.seed)
    if not args.skip_report:
        groups = exp_features.exposure_groups(table, KS)
        model = exp_models.fit_exposure_model(groups, min_group_size=args.min_group_size,
                                      n_estimators=args.n_estimators, n_jobs=args.n_jobs,
                                      seed=args.seed)
        scale = args.report_scale if args.report_scale is not None else args.scale
        print(f"== exposure_report on the simulated world at scale {scale}")
        bench_report(scale, args.seed, args.reports, model)


if __name__ == "__main__":
    main()
