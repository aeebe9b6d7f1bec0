"""The scaling experiment of chapter 11: PFLI on worlds of growing size (wiring).

For every world size, the world (simulated: :func:`homelib.pfli.world.social_world`,
cached; or given, e.g. subsamples of a real network by
:func:`homelib.pfli.data.subsample_world`) is fitted once (:func:`homelib.pfli.model.fit_pfli`, one process) and
every user is scored and located on each *path*: one process
(:func:`~homelib.pfli.scale.partitioned.predict_users`) and Dask with each
number of workers (:func:`~homelib.pfli.scale.partitioned.predict_users_dask`).
Wall time and peak resident memory are measured in the run itself
(:class:`~homelib.pfli.scale.partitioned.MemoryMonitor`, psutil), and the
predictions of every path are compared with the single-process ones.

One ``LocalCluster`` serves every path and world size: it starts with the
fewest workers and is scaled up for the next path; each start-up (workers
starting and importing ``homelib``) is timed apart, so a run's time is the broadcast plus the scoring. Worker memory
is each worker's own high-water mark during the run (reset before it, Linux),
its largest over the workers (memory *per worker*) and its sum (an upper bound
of the workers' memory at any one time).

Examples
--------
>>> import inspect; list(inspect.signature(measure_scaling).parameters)[:2]
['scales', 'seed']
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..clusters import cluster_places
from ..data import SocialWorld
from ..model import PFLIConfig, fit_pfli
from ..world import social_world
from .partitioned import (
    DEFAULT_PARTITION_SIZE,
    MemoryMonitor,
    dask_client,
    predict_users,
    predict_users_dask,
    warm_up,
)

__all__ = [
    "SINGLE",
    "ScalingRun",
    "path_name",
    "measure_scaling",
]

SINGLE = "single process"
"""Name of the path without Dask."""

_GB = 1e9


def path_name(n_workers: int) -> str:
    """Name of the Dask path with ``n_workers`` workers.

    Parameters
    ----------
    n_workers : int
        Number of Dask workers of the path.

    Returns
    -------
    str
        The label used in :attr:`ScalingRun.runs` and the chapter's tables.

    Examples
    --------
    >>> path_name(2), path_name(1)
    ('Dask, 2 workers', 'Dask, 1 worker')
    """
    return f"Dask, {n_workers} worker{'s' if n_workers != 1 else ''}"


@dataclass
class ScalingRun:
    """Measurements of :func:`measure_scaling`.

    Attributes
    ----------
    runs : DataFrame
        One row per world size and path: ``scale, n_users, n_edges,
        nnz_per_user, path, n_workers, seconds, seconds_broadcast,
        driver_peak_gb, driver_extra_gb, workers_peak_gb (per worker),
        workers_total_gb, identical`` (predictions equal to the single-process
        ones).
    worlds : DataFrame
        One row per world size: ``scale, n_users, n_places, n_edges,
        seconds_world, seconds_fit, seconds_upgma`` (``seconds_world`` is NaN
        for a world given to :func:`measure_scaling`).
    startup : dict
        Seconds to start each Dask cluster, by path.
    info : dict
        Parameters of the run.

    Examples
    --------
    Usually returned by :func:`measure_scaling`; built by hand here:

    >>> runs = pd.DataFrame({"path": [SINGLE, path_name(1)], "n_users": [500, 500],
    ...                      "seconds": [1.5, 2.5], "identical": [True, True]})
    >>> r = ScalingRun(runs=runs, worlds=pd.DataFrame({"n_users": [500]}))
    >>> r.runs.path.tolist(), r.startup
    (['single process', 'Dask, 1 worker'], {})
    """

    runs: pd.DataFrame
    worlds: pd.DataFrame
    startup: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def _prepare(scale: float, seed: int, cfg: PFLIConfig, world_params: dict,
             given: SocialWorld | None = None) -> tuple:
    t0 = time.perf_counter()
    world = social_world(scale, seed, **world_params) if given is None else given
    t1 = time.perf_counter()
    model = fit_pfli(world, config=cfg, seed=seed)
    t2 = time.perf_counter()
    clusters = cluster_places(world.places["lat"], world.places["lon"], cfg.cluster_km)
    t3 = time.perf_counter()
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(world.n_users, size=min(2000, world.n_users), replace=False))
    nnz = model.score(world, sample).nnz / sample.size
    row = {"scale": scale, "n_users": world.n_users, "n_places": world.n_places,
           "n_edges": len(world.edges), "nnz_per_user": nnz,
           "seconds_world": t1 - t0 if given is None else float("nan"),
           "seconds_fit": t2 - t1, "seconds_upgma": t3 - t2}
    return world, model, clusters, row


def _same(a, b) -> bool:
    return all(a.selections[s].equals(b.selections[s]) for s in b.selections) and \
        bool(np.array_equal(a.prior, b.prior))


def _record(prep: dict, path: str, n_workers: int, seconds: float, broadcast: float,
            mon: MemoryMonitor, workers: Sequence[int], identical: bool) -> dict:
    return {"scale": prep["scale"], "n_users": prep["n_users"], "n_edges": prep["n_edges"],
            "nnz_per_user": prep["nnz_per_user"], "path": path, "n_workers": n_workers,
            "seconds": seconds, "seconds_broadcast": broadcast,
            "driver_peak_gb": mon.driver_peak / _GB,
            "driver_extra_gb": (mon.driver_peak - mon.baseline) / _GB,
            "workers_peak_gb": max(workers, default=0) / _GB,
            "workers_total_gb": sum(workers) / _GB, "identical": identical}


def _is_local(client: Any) -> bool:
    """Whether the client runs an embedded ``LocalCluster`` (which can be scaled)."""
    from distributed import LocalCluster

    return isinstance(getattr(client, "cluster", None), LocalCluster)


def measure_scaling(scales: Sequence[float], seed: int = 0, *, n_workers: Sequence[int] = (1, 2),
                    processes: bool = True, scheduler: Any = None,
                    partition_size: int = DEFAULT_PARTITION_SIZE,
                    config: PFLIConfig | None = None, world_params: dict | None = None,
                    progress: bool | None = None,
                    worlds: Sequence[SocialWorld] | None = None) -> ScalingRun:
    """Score every user of worlds of growing size on each path; time and peak memory.

    Parameters
    ----------
    scales : sequence of float
        World sizes as shares of the paper's 371,913 users (increasing); with
        ``worlds``, the label of each given world (e.g. its share of a real
        network's users), recorded in the ``scale`` columns.
    seed : int
        Seed of the worlds and of the fits.
    n_workers : sequence of int
        Dask paths to measure: one ``LocalCluster``, scaled up from the
        smallest count to each larger one. With a ``scheduler`` address (or
        a client of a remote cluster), one Dask path on that cluster instead.
    processes : bool
        Workers as processes (True) or threads of this process.
    scheduler : str or distributed.Client, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``), or an
        open client (left open: the caller can reuse its workers).
    partition_size : int
        Users per task.
    config : PFLIConfig, optional
        PFLI's settings (default: the paper's).
    world_params : dict, optional
        :class:`~homelib.pfli.world.SocialConfig` fields.
    progress : bool, optional
        Progress bars (default: only on a terminal).
    worlds : sequence of SocialWorld, optional
        The worlds to measure, one per scale, instead of simulated ones
        (``world_params`` must then be empty).

    Returns
    -------
    ScalingRun
        Times, memory and the identity check of every path and world size.

    Examples
    --------
    One tiny world, scored in this process and on one threaded Dask worker:

    >>> import os, tempfile
    >>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()  # a scratch cache for this example
    >>> run = measure_scaling([0.001], seed=0, n_workers=[1], processes=False,
    ...                       config=PFLIConfig(train_users=100), world_params={"n_multi_orgs": 3})
    >>> run.runs[["n_users", "path", "identical"]].values.tolist()
    [[372, 'single process', True], [372, 'Dask, 1 worker', True]]

    Given worlds (here two subsamples of a small network) are measured as they are:

    >>> from homelib.pfli.data import subsample_world
    >>> net = social_world(0.002, 1, n_multi_orgs=3)
    >>> subs = [subsample_world(net, s, seed=0) for s in (0.5, 1.0)]
    >>> run = measure_scaling([0.5, 1.0], n_workers=[1], processes=False, worlds=subs,
    ...                       config=PFLIConfig(train_users=100))
    >>> run.worlds.n_users.tolist() == [round(net.n_users / 2), net.n_users]
    True
    >>> bool(run.runs.identical.all()), bool(run.worlds.seconds_world.isna().all())
    (True, True)
    >>> del os.environ["HOMELIB_ROOT"]
    """
    scales = [float(s) for s in scales]
    if not scales or sorted(scales) != scales or len(set(scales)) != len(scales):
        raise ValueError(f"scales must be distinct and increasing; got {scales}")
    cfg = config or PFLIConfig()
    wp = dict(world_params or {})
    if worlds is not None:
        worlds = list(worlds)
        if len(worlds) != len(scales):
            raise ValueError(f"worlds: {len(worlds)} given for {len(scales)} scales {scales}")
        if wp:
            raise ValueError(f"world_params: must be empty with given worlds; got {wp}")
        bad = [i for i, w in enumerate(worlds) if not isinstance(w, SocialWorld)]
        if bad:
            raise ValueError(f"worlds: item {bad[0]} is a {type(worlds[bad[0]]).__name__}, "
                             f"not a SocialWorld")
    given = worlds or [None] * len(scales)
    prepared = [_prepare(s, seed, cfg, wp, w) for s, w in zip(scales, given, strict=True)]
    rows, refs = [], []
    for world, model, clusters, prep in prepared:
        with MemoryMonitor() as mon:
            t0 = time.perf_counter()
            ref = predict_users(model, world, None, clusters, partition_size=partition_size,
                                progress=progress)
            dt = time.perf_counter() - t0
        refs.append(ref)
        rows.append(_record(prep, SINGLE, 0, dt, 0.0, mon, [], True))
    startup = {}
    t_start = time.perf_counter()
    with dask_client(scheduler, n_workers=min(n_workers), processes=processes) as client:
        local = _is_local(client)
        address = client.scheduler.address
        counts = sorted(set(n_workers)) if local else [len(client.nthreads())]
        for k in counts:
            t0 = time.perf_counter() if startup else t_start
            if local and len(client.nthreads()) < k:
                client.cluster.scale(k)
                client.wait_for_workers(k)
            warm_up(client)  # workers import homelib before the first run
            k = len(client.nthreads())
            name = path_name(k)
            startup[name] = time.perf_counter() - t0
            for (world, model, clusters, prep), ref in zip(prepared, refs, strict=True):
                with MemoryMonitor() as mon:
                    t1 = time.perf_counter()
                    got = predict_users_dask(model, world, None, clusters, scheduler=client,
                                             partition_size=partition_size, progress=progress)
                    dt = time.perf_counter() - t1
                peaks = list(got.info["worker_peak_rss"].values())
                rows.append(_record(prep, name, k, dt, got.info["seconds_broadcast"], mon, peaks,
                                    _same(got, ref)))
    worlds = pd.DataFrame([p[3] for p in prepared]).drop(columns="nnz_per_user")
    return ScalingRun(runs=pd.DataFrame(rows), worlds=worlds, startup=startup,
                      info={"seed": seed, "processes": processes, "partition_size": partition_size,
                            "scheduler": address, "local_cluster": local,
                            "worlds": "simulated" if worlds is None else "given"})
