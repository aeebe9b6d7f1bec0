"""PFLI at scale: scoring and evaluation partitioned by users on Dask (beyond the paper).

PFLI's scores of one user depend only on that user's visible fields, the
user's friend list, and what the fitted model knows about the friends (their
observed values and known cities): rows of the score matrix are independent.
So scoring and location selection split cleanly by users:

* the driver fits the model (:func:`homelib.pfli.model.fit_pfli`, one process)
  and sends every worker a *context* once (``client.scatter(...,
  broadcast=True)``): the fitted model, the users table (attributes of every
  user, needed for friends), the places and the UPGMA clusters;
* each task gets one *partition*: at most ``partition_size`` user ids and
  their rows of the adjacency matrix (their friend lists);
* a worker scores its partition with the public entry
  :meth:`PFLIModel.score <homelib.pfli.model.PFLIModel.score>` and applies
  :func:`homelib.pfli.clusters.select_locations`; only small per-user arrays
  come back (predicted place and coordinates, cluster, cluster confidence,
  prior flag), never a score matrix.

At most ``max_in_flight`` partitions (default two per worker) are on the
cluster at any time, so the memory of a worker is the context plus a bounded
amount per task whatever the number of users. The context is O(users) small
arrays (tens of bytes per user); the score matrix of a partition is the
largest object of a task.

:func:`predict_users` is the same loop in this process (the reference path);
:func:`predict_users_dask` runs it on a ``LocalCluster`` (the default), a
scheduler address (``scheduler="tcp://host:8786"``) or an existing
``distributed.Client``, with the same code. Predictions are identical to
:meth:`PFLIModel.score` + :func:`~homelib.pfli.clusters.select_locations` on the whole world (a test
checks it with 1 and 2 workers). :func:`evaluate_pfli_dask` is PFLI's part of
the cross-validated evaluation (Sec 7) on the same path, and
:func:`prediction_table` gives the per-user rows (error distances, cluster
confidence) that AED@p, ACC@K and the exposure features are computed from.

Examples
--------
>>> from homelib.pfli.data import world_from_tables
>>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
>>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 0, 1], "hometown": [0, 0, 1],
...     "work": 0, "current_visible": [True, True, False], "hometown_visible": True,
...     "work_visible": False, "friends_visible": True})
>>> w = world_from_tables(pl, us, [[0, 1], [1, 2]])
>>> m = fit_pfli(w, config=PFLIConfig(train_users=2))
>>> p = predict_users(m, w, [2, 0], [0, 1], partition_size=1)
>>> p.selections["cmb"]["pred_place"].tolist(), p.info["n_partitions"]  # u2's evidence: friend u1
([0, 0], 2)
"""

from __future__ import annotations

import logging
import resource
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import psutil
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ...geo import haversine_km
from ...progress import bar
from ..clusters import SELECTORS, cluster_places, select_many
from ..data import SocialWorld
from ..evaluation import DEFAULT_KS, acc_table, aed_table
from ..model import PFLIConfig, PFLIModel, fit_pfli, observed_friends

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "EVALUATION_SELECTORS",
    "PFLI_METHODS",
    "Predictions",
    "ScaledEvaluation",
    "MemoryMonitor",
    "connect",
    "dask_client",
    "partition_users",
    "predict_users",
    "predict_users_dask",
    "prediction_table",
    "la_folds",
    "evaluate_pfli_dask",
    "warm_up",
    "worker_peak_rss",
]

DEFAULT_PARTITION_SIZE = 25_000
"""Users per partition (one Dask task) unless told otherwise."""

EVALUATION_SELECTORS: tuple[str, ...] = ("noclst", "dist", "cmb")
"""The selectors the PFLI methods of Sec 7 are read from (``cmb`` gives prob and cent)."""

PFLI_METHODS: dict[str, tuple[str, str]] = {
    "PFLI_noclst": ("noclst", "pred"),
    "PFLI_dist": ("dist", "pred"),
    "PFLI_cent": ("cmb", "cent"),
    "PFLI_prob": ("cmb", "pred"),
}
"""Method name -> (selector, which coordinates: ``pred_*`` or ``cent_*``)."""


# ----------------------------------------------------------------------------- results


@dataclass
class Predictions:
    """Per-user PFLI predictions, small arrays only (no score matrix).

    Attributes
    ----------
    users : ndarray of int
        The scored user ids, in the order they were given.
    prior : ndarray of bool
        True where the user had no usable evidence and got PFLI's prior.
    has_la_friends : ndarray of bool
        True where the user's visible friend list holds a friend whose city
        the model knows (the "with LA friends" user set of Table 1).
    selections : dict of str to DataFrame
        Per selector, the columns of :func:`~homelib.pfli.clusters.select_locations`
        (``user_index`` = position in ``users``).
    info : dict
        How the run went: partitions, workers, scheduler, seconds.

    Examples
    --------
    Usually returned by :func:`predict_users`; built by hand here:

    >>> sel = pd.DataFrame({"user_index": [0, 1], "pred_place": [3, -1]})
    >>> p = Predictions(users=np.array([7, 2]), prior=np.array([False, True]),
    ...                 has_la_friends=np.array([True, False]), selections={"prob": sel})
    >>> p.users[p.prior].tolist(), p.info
    ([2], {})
    """

    users: NDArray[np.int64]
    prior: NDArray[np.bool_]
    has_la_friends: NDArray[np.bool_]
    selections: dict[str, pd.DataFrame]
    info: dict = field(default_factory=dict)


@dataclass
class ScaledEvaluation:
    """PFLI's part of the cross-validated evaluation (:func:`evaluate_pfli_dask`).

    ``per_user`` has the columns of ``PFLIEvaluation.per_user`` for the PFLI
    methods; ``aed`` and ``acc_at_k`` follow the ``pfli_aed.csv`` and
    ``pfli_acc_at_k.csv`` contracts (PFLI rows only).

    Parameters
    ----------
    per_user : DataFrame
        One row per (user, PFLI method), as ``PFLIEvaluation.per_user``.
    aed, acc_at_k : DataFrame
        :func:`~homelib.pfli.evaluation.aed_table` and
        :func:`~homelib.pfli.evaluation.acc_table` of ``per_user``.
    models : list of PFLIModel
        The fitted model of every fold.
    clusters : int array
        UPGMA cluster of every place.
    ln_per_user : DataFrame or None
        Rows of the scored LN users, if any.
    info : dict
        Run facts (fold sizes, partitions, seconds).

    Examples
    --------
    Usually returned by :func:`evaluate_pfli_dask`; built by hand here:

    >>> pu = pd.DataFrame({"user_id": [0, 1], "method": "PFLI_prob", "error_km": [5.0, 80.0],
    ...                    "has_la_friends": [True, False]})
    >>> ev = ScaledEvaluation(pu, aed_table(pu), acc_table(pu, [10]), models=[],
    ...                       clusters=np.zeros(2, dtype=int))
    >>> ev.acc_at_k.query("user_set == 'overall'")["acc"].tolist()
    [0.5]
    """

    per_user: pd.DataFrame
    aed: pd.DataFrame
    acc_at_k: pd.DataFrame
    models: list
    clusters: NDArray
    ln_per_user: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- partitions


def partition_users(users: ArrayLike, partition_size: int) -> list[NDArray[np.int64]]:
    """Split user ids into consecutive partitions of at most ``partition_size``.

    Parameters
    ----------
    users : array of int
        User ids (any order).
    partition_size : int
        Largest number of users in one partition (>= 1).

    Returns
    -------
    list of ndarray
        The ids in their given order, cut into pieces.

    Examples
    --------
    >>> [p.tolist() for p in partition_users([5, 3, 9, 1, 7], 2)]
    [[5, 3], [9, 1], [7]]
    """
    if isinstance(partition_size, bool) or not isinstance(partition_size, (int, np.integer)) \
            or partition_size < 1:
        raise ValueError(f"partition_size must be an integer >= 1; got {partition_size!r}")
    ids = np.asarray(users, dtype=np.int64).ravel()
    return [ids[i: i + partition_size] for i in range(0, ids.size, partition_size)]


def _checked_users(world: SocialWorld, users: ArrayLike | None) -> NDArray[np.int64]:
    n = world.n_users
    if users is None:
        return np.arange(n, dtype=np.int64)
    arr = np.asarray(users)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"users: expected integer user ids; got dtype {arr.dtype}")
    arr = arr.astype(np.int64).ravel()
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        raise ValueError(f"users: unknown user id {int(arr[bad][0])} (users are 0..{n - 1})")
    uniq, counts = np.unique(arr, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"users: user id {int(uniq[counts > 1][0])} appears more than once")
    return arr


def _checked_selectors(selectors: Sequence[str]) -> tuple[str, ...]:
    sel = tuple(selectors)
    unknown = [s for s in sel if s not in SELECTORS]
    if not sel or unknown:
        raise ValueError(f"selectors must be a non-empty subset of {SELECTORS}; got {list(sel)}")
    return sel


@dataclass(frozen=True)
class _Context:
    """What every worker gets once: the fitted model and the world without friend lists."""

    model: PFLIModel
    places: pd.DataFrame
    users: pd.DataFrame
    orgs: pd.DataFrame
    clusters: NDArray
    selectors: tuple[str, ...]


@dataclass(frozen=True)
class _Partition:
    """What one task gets: sorted user ids and their rows of the adjacency matrix."""

    ids: NDArray
    rows: sp.csr_matrix


@dataclass(frozen=True)
class _Block:
    """What one task returns (small per-user arrays)."""

    ids: NDArray
    prior: NDArray
    has_la: NDArray
    selections: dict


def _context(model: Any, world: SocialWorld, clusters: ArrayLike | None,
             selectors: tuple[str, ...]) -> _Context:
    if getattr(model, "model_", None) is not None:  # a fitted PFLI estimator
        clusters = model.clusters_ if clusters is None else clusters
        model = model.model_
    if not isinstance(model, PFLIModel):
        raise TypeError(f"model must be a PFLIModel or a fitted PFLI estimator; got {type(model).__name__}")
    if clusters is None:
        raise ValueError("clusters: the UPGMA label of every place is needed with a PFLIModel")
    cl = np.asarray(clusters, dtype=np.int64)
    if cl.shape != (world.n_places,):
        raise ValueError(f"clusters must have one label per place ({world.n_places}); got {cl.shape}")
    if model.n_places != world.n_places or model.known.shape != (world.n_users,):
        raise ValueError("model: fitted on a world of another size "
                         f"({model.known.size} users, {model.n_places} places)")
    return _Context(model=model, places=world.places, users=world.users, orgs=world.orgs,
                    clusters=cl, selectors=selectors)


def _view(ctx: _Context, part: _Partition) -> SocialWorld:
    """A scoring view of the world: every user's attributes, the friend lists of ``part``.

    The adjacency is ``U x U`` with only the partition's rows filled (the same
    rows, in the same order, as the full world's), so ``PFLIModel.score`` of
    the partition's users reads exactly what it reads on the full world.
    """
    n = len(ctx.users)
    counts = np.zeros(n, dtype=np.int64)
    counts[part.ids] = np.diff(part.rows.indptr)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    adj = sp.csr_matrix((part.rows.data, part.rows.indices, indptr), shape=(n, n), copy=False)
    return SocialWorld(places=ctx.places, users=ctx.users, edges=np.zeros((0, 2), np.int64),
                       adjacency=adj, orgs=ctx.orgs, config=None,
                       stats={"view": "friend lists of one partition"})


def _predict_block(ctx: _Context, world: SocialWorld, ids: NDArray) -> _Block:
    """Score ``ids`` with ``PFLIModel.score`` and apply the selectors (one partition)."""
    scores, prior = ctx.model.score(world, ids, return_prior=True)
    sel = select_many(scores, ctx.places, ctx.clusters, ctx.selectors)
    del scores
    a = observed_friends(world, ids)
    known = ctx.model.known.astype(np.float32)
    has_la = np.asarray(a.multiply(known[None, :]).sum(axis=1)).ravel() > 0
    return _Block(ids=ids, prior=np.asarray(prior, bool), has_la=has_la, selections=sel)


def _score_partition(ctx: _Context, part: _Partition) -> _Block:
    """The task run on a worker."""
    return _predict_block(ctx, _view(ctx, part), part.ids)


def _assemble(users: NDArray, order: NDArray, blocks: list[_Block],
              selectors: tuple[str, ...], info: dict) -> Predictions:
    """Concatenate the blocks (sorted ids) and put them back in the order of ``users``."""
    back = np.argsort(order, kind="stable")  # position in the sorted ids of each given user
    if blocks:
        prior = np.concatenate([b.prior for b in blocks])[back]
        has_la = np.concatenate([b.has_la for b in blocks])[back]
    else:
        prior = has_la = np.zeros(0, dtype=bool)
    selections = {}
    for s in selectors:
        df = pd.concat([b.selections[s] for b in blocks], ignore_index=True) if blocks else \
            pd.DataFrame(columns=["user_index", "pred_place", "pred_lat", "pred_lon", "cluster",
                                  "cluster_prob"])
        df = df.iloc[back].reset_index(drop=True)
        df["user_index"] = np.arange(len(df))
        selections[s] = df
    return Predictions(users=users, prior=prior, has_la_friends=has_la, selections=selections,
                       info=info)


# ----------------------------------------------------------------------------- single process


def predict_users(model: Any, world: SocialWorld, users: ArrayLike | None,
                  clusters: ArrayLike | None = None, *, selectors: Sequence[str] = EVALUATION_SELECTORS,
                  partition_size: int = DEFAULT_PARTITION_SIZE,
                  progress: bool | None = None) -> Predictions:
    """Score ``users`` and select a location for each, partition by partition, in this process.

    The reference path of :func:`predict_users_dask`: the same partitions, the
    same per-partition work, no cluster.

    Parameters
    ----------
    model : PFLIModel or PFLI
        Fitted on ``world``: a :class:`~homelib.pfli.model.PFLIModel`
        (:func:`~homelib.pfli.model.fit_pfli`) or a fitted
        :class:`~homelib.pfli.model.PFLI` estimator (its model and clusters).
    world : SocialWorld
    users : array of int or None
        Distinct user ids (None = every user).
    clusters : array of int, optional
        UPGMA label of every place (:func:`homelib.pfli.clusters.cluster_places`);
        required with a ``PFLIModel``, default ``clusters_`` of an estimator.
    selectors : sequence of str
        Selectors of :data:`homelib.pfli.clusters.SELECTORS` to apply.
    partition_size : int
        Users scored at once.
    progress : bool, optional
        Show a progress bar (default: only on a terminal, never on CI).

    Returns
    -------
    Predictions

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=0)
    >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
    >>> p = predict_users(m, w, None, np.zeros(20, int), selectors=["prob"], partition_size=100)
    >>> len(p.selections["prob"]), p.info["n_partitions"]
    (300, 3)
    """
    sel = _checked_selectors(selectors)
    ids = _checked_users(world, users)
    ctx = _context(model, world, clusters, sel)
    order = np.argsort(ids, kind="stable")
    parts = partition_users(ids[order], partition_size)
    t0 = time.perf_counter()
    blocks = []
    for part in bar(parts, desc="PFLI partitions", unit="partition", enabled=progress):
        blocks.append(_predict_block(ctx, world, part))
    info = {"path": "single process", "n_partitions": len(parts), "partition_size": partition_size,
            "n_workers": 1, "seconds_scoring": time.perf_counter() - t0}
    return _assemble(ids, order, blocks, sel, info)


# ----------------------------------------------------------------------------- Dask


def connect(scheduler: Any = None, *, n_workers: int = 2, processes: bool = True,
            threads_per_worker: int = 1, memory_limit: str | int = "auto") -> Any:
    """A ``distributed.Client``: to a new ``LocalCluster``, to a scheduler address, or the one given.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        None starts an embedded ``LocalCluster`` of ``n_workers`` workers,
        owned by the client (``client.close()`` closes it); a string is a
        scheduler address such as ``"tcp://10.0.0.5:8786"`` (a cluster
        started with ``dask scheduler`` and ``dask worker`` on other
        machines); a ``Client`` is returned as it is.
    n_workers, processes, threads_per_worker, memory_limit
        Only for the ``LocalCluster``: workers as processes (default) or
        threads of this process, threads each, memory limit per worker.

    Returns
    -------
    distributed.Client

    Examples
    --------
    >>> c = connect(n_workers=1, processes=False)
    >>> len(c.scheduler_info()["workers"])
    1
    >>> c.close()
    """
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be None, an address string or a Client; got {scheduler!r}")
    if scheduler is not None:
        return Client(scheduler)
    for name, v in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {v!r}")
    with warnings.catch_warnings():  # "port 8787 in use": the HTTP server moves to a free port
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        return Client(n_workers=n_workers, threads_per_worker=threads_per_worker,
                      processes=processes, memory_limit=memory_limit, dashboard_address=None,
                      silence_logs=logging.ERROR)


@contextmanager
def dask_client(scheduler: Any = None, **options: Any) -> Iterator[Any]:
    """:func:`connect` as a context: the client (and its ``LocalCluster``) is closed on exit.

    A ``scheduler`` that was an open ``Client`` is left open.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        As in :func:`connect`.
    **options
        ``n_workers, processes, threads_per_worker, memory_limit`` of :func:`connect`.

    Yields
    ------
    distributed.Client

    Examples
    --------
    >>> with dask_client(n_workers=1, processes=False) as c:
    ...     len(c.scheduler_info()["workers"])
    1
    """
    from distributed import Client

    given = isinstance(scheduler, Client)
    client = connect(scheduler, **options)
    try:
        yield client
    finally:
        if not given:
            client.close()


def _imported() -> bool:
    """Runs on a worker: unpickling this function imports this module there."""
    return True


def warm_up(client: Any) -> float:
    """Make every worker import ``homelib`` now (not in its first task).

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster whose workers are warmed up.

    Returns
    -------
    float
        Seconds it took.

    Examples
    --------
    >>> with dask_client(n_workers=1, processes=False) as c:
    ...     warm_up(c) >= 0
    True
    """
    t0 = time.perf_counter()
    client.run(_imported)
    return time.perf_counter() - t0


def _peak_rss_bytes() -> int:
    """High-water mark of this process's resident memory, in bytes.

    Linux: ``VmHWM`` of ``/proc/self/status`` (the process's own, reset by
    :func:`_reset_peak_rss`); elsewhere ``ru_maxrss``, which a spawned
    process inherits from its parent and so can overstate a worker's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(ru) * (1 if sys.platform == "darwin" else 1024)


def _reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux ``clear_refs``); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def worker_peak_rss(client: Any, *, reset: bool = False) -> dict[str, int]:
    """Peak resident memory (bytes) of every worker process, by worker address.

    The peak since the worker started, or since the last ``reset=True`` call
    (which returns the peaks, then resets them where the system allows it:
    Linux). Threaded workers (``processes=False``) all report the process of
    the client.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster to measure.
    reset : bool
        Reset the peaks after reading them.

    Returns
    -------
    dict of str to int
        Peak resident bytes by worker address.

    Examples
    --------
    >>> with dask_client(n_workers=1, processes=False) as c:
    ...     list(worker_peak_rss(c).values())[0] > 0
    True
    """
    peaks = {addr: int(v) for addr, v in client.run(_peak_rss_bytes).items()}
    if reset:
        client.run(_reset_peak_rss)
    return peaks


def predict_users_dask(model: Any, world: SocialWorld, users: ArrayLike | None,
                       clusters: ArrayLike | None = None, *, scheduler: Any = None, n_workers: int = 2,
                       processes: bool = True, selectors: Sequence[str] = EVALUATION_SELECTORS,
                       partition_size: int = DEFAULT_PARTITION_SIZE,
                       max_in_flight: int | None = None,
                       progress: bool | None = None) -> Predictions:
    """:func:`predict_users` on a Dask cluster, partitioned by users.

    The context (model, users table, places, clusters) is broadcast to every
    worker once; then partitions are scattered and scored, at most
    ``max_in_flight`` at a time, and only per-user arrays come back.

    Parameters
    ----------
    model, world, users, clusters, selectors, partition_size, progress
        As in :func:`predict_users`.
    scheduler : None, str or distributed.Client
        Where to run (:func:`dask_client`): None = a new ``LocalCluster``
        with ``n_workers`` workers (``processes`` or threads), an address
        such as ``"tcp://host:8786"``, or an open ``Client``. Remote workers
        need the same ``homelib`` installed.
    max_in_flight : int, optional
        Partitions on the cluster at once (default: 2 per worker thread).

    Returns
    -------
    Predictions
        Identical to :func:`predict_users`; ``info`` adds the scheduler
        address, the number of workers, the broadcast and scoring seconds and
        ``worker_peak_rss`` (bytes per worker since it started).

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=0)
    >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
    >>> cl = np.zeros(20, int)
    >>> a = predict_users_dask(m, w, None, cl, n_workers=1, processes=False, partition_size=100)
    >>> b = predict_users(m, w, None, cl)
    >>> a.selections["cmb"].equals(b.selections["cmb"])
    True
    """
    sel = _checked_selectors(selectors)
    ids = _checked_users(world, users)
    ctx = _context(model, world, clusters, sel)
    order = np.argsort(ids, kind="stable")
    parts = partition_users(ids[order], partition_size)
    with dask_client(scheduler, n_workers=n_workers, processes=processes) as client:
        from distributed import as_completed

        nthreads = sum(client.nthreads().values())
        window = max_in_flight or 2 * max(1, nthreads)
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"max_in_flight must be an integer >= 1; got {max_in_flight!r}")
        worker_peak_rss(client, reset=True)  # peaks of this run only (where the system allows)
        t0 = time.perf_counter()
        ctx_f = client.scatter(ctx, broadcast=True, hash=False)
        t1 = time.perf_counter()
        blocks: list[_Block | None] = [None] * len(parts)
        todo = iter(enumerate(parts))
        running = as_completed()
        index_of: dict = {}

        def submit_next() -> bool:
            nxt = next(todo, None)
            if nxt is None:
                return False
            i, pids = nxt
            part_f = client.scatter(_Partition(ids=pids, rows=world.adjacency[pids]), hash=False)
            fut = client.submit(_score_partition, ctx_f, part_f, pure=False)
            index_of[fut.key] = i
            running.add(fut)
            return True

        for _ in range(window):
            if not submit_next():
                break
        pbar = bar(total=len(parts), desc="PFLI partitions (Dask)", unit="partition",
                   enabled=progress)
        for fut in running:
            blocks[index_of.pop(fut.key)] = fut.result()
            fut.release()
            pbar.update(1)
            submit_next()
        pbar.close()
        t2 = time.perf_counter()
        info = {"path": "dask", "scheduler": client.scheduler.address, "n_workers": len(client.nthreads()),
                "processes": bool(processes) if scheduler is None else None,
                "n_partitions": len(parts), "partition_size": partition_size,
                "max_in_flight": int(window), "seconds_broadcast": t1 - t0,
                "seconds_scoring": t2 - t1, "worker_peak_rss": worker_peak_rss(client)}
    return _assemble(ids, order, blocks, sel, info)


# ----------------------------------------------------------------------------- evaluation


def prediction_table(world: SocialWorld, predictions: Predictions) -> pd.DataFrame:
    """One row per user and PFLI method: prediction, error distance, cluster confidence.

    The columns of ``PFLIEvaluation.per_user`` (:mod:`homelib.pfli.evaluation`):
    ``user_id, method, pred_lat, pred_lon, error_km, has_la_friends,
    cluster_prob, pfli_prior``; ``cluster_prob`` of PFLI_prob is the cluster
    confidence of Eq 9 (rows of PFLI scores sum to 1). The error is NaN for a
    user whose true city is unknown (``current_place`` -1).

    Parameters
    ----------
    world : SocialWorld
        The world the predictions were made on (for the true cities).
    predictions : Predictions
        With the selectors of :data:`EVALUATION_SELECTORS`.

    Returns
    -------
    DataFrame
        Methods in the order of :data:`PFLI_METHODS`.

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=0)
    >>> m = fit_pfli(w, config=PFLIConfig(train_users=50))
    >>> t = prediction_table(w, predict_users(m, w, [0, 1, 2], np.arange(20)))
    >>> sorted(t.method.unique()), len(t)
    (['PFLI_cent', 'PFLI_dist', 'PFLI_noclst', 'PFLI_prob'], 12)
    """
    missing = [s for s in EVALUATION_SELECTORS if s not in predictions.selections]
    if missing:
        raise ValueError(f"predictions: selector(s) {missing} missing; got "
                         f"{sorted(predictions.selections)}")
    users = predictions.users
    truth = world.users["current_place"].to_numpy(np.int64)[users]
    lat, lon = world.places["lat"].to_numpy(float), world.places["lon"].to_numpy(float)
    known = truth >= 0
    tlat = np.where(known, lat[np.maximum(truth, 0)], np.nan)
    tlon = np.where(known, lon[np.maximum(truth, 0)], np.nan)
    rows = []
    for method, (selector, which) in PFLI_METHODS.items():
        d = predictions.selections[selector]
        plat, plon = d[f"{which}_lat"].to_numpy(float), d[f"{which}_lon"].to_numpy(float)
        err = np.where(known, haversine_km(np.nan_to_num(tlat), np.nan_to_num(tlon), plat, plon),
                       np.nan)
        rows.append(pd.DataFrame({"user_id": users, "method": method, "pred_lat": plat,
                                  "pred_lon": plon, "error_km": err,
                                  "has_la_friends": predictions.has_la_friends,
                                  "cluster_prob": d["cluster_prob"].to_numpy(float),
                                  "pfli_prior": predictions.prior}))
    return pd.concat(rows, ignore_index=True)


def la_folds(world: SocialWorld, folds: int, seed: int) -> list[NDArray[np.int64]]:
    """Test users of every fold, drawn as :func:`~homelib.pfli.evaluation.evaluate_pfli` draws them.

    The LA users are split by ``sklearn.model_selection.KFold`` (shuffled with
    ``seed``); each fold's ids are sorted.

    Parameters
    ----------
    world : SocialWorld
    folds : int
        At least 2, at most the number of LA users.
    seed : int

    Returns
    -------
    list of ndarray

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=300, n_places=20, n_multi_orgs=3), seed=0)
    >>> f = la_folds(w, 3, seed=0)
    >>> sum(x.size for x in f) == int(w.users.current_visible.sum()), len(f)
    (True, 3)
    """
    from sklearn.model_selection import KFold

    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2; got {folds!r}")
    la_ids = np.flatnonzero(world.users["current_visible"].to_numpy(bool))
    if la_ids.size < folds:
        raise ValueError(f"folds = {folds}: only {la_ids.size} LA users to split")
    splits = KFold(folds, shuffle=True, random_state=seed).split(la_ids)
    return [np.sort(la_ids[test]) for _, test in splits]


def evaluate_pfli_dask(world: SocialWorld, *, config: PFLIConfig | None = None, folds: int = 5,
                       seed: int = 0, ks: ArrayLike = DEFAULT_KS, ln_users: int = 0,
                       clusters: ArrayLike | None = None, scheduler: Any = None,
                       n_workers: int = 2, processes: bool = True,
                       partition_size: int = DEFAULT_PARTITION_SIZE,
                       progress: bool | None = None) -> ScaledEvaluation:
    """PFLI's cross-validated evaluation (Sec 7), each fold scored on Dask.

    The folds, fits, seeds and LN sample are those of
    :func:`homelib.pfli.evaluation.evaluate_pfli` (the baselines are not
    run): for each fold the model is fitted in this process with the other
    folds as the only known users, then its test users are scored on the
    cluster (one broadcast per fold). A test checks that the PFLI rows equal
    ``evaluate_pfli``'s.

    Parameters
    ----------
    world : SocialWorld
    config : PFLIConfig, optional
    folds, seed, ks, ln_users
        As in :func:`~homelib.pfli.evaluation.evaluate_pfli`.
    clusters : array of int, optional
        UPGMA labels (computed from ``config.cluster_km`` if None).
    scheduler, n_workers, processes, partition_size, progress
        As in :func:`predict_users_dask`; one cluster serves every fold.

    Returns
    -------
    ScaledEvaluation

    Examples
    --------
    >>> from homelib.pfli.world import SocialConfig, build_social_world
    >>> w = build_social_world(SocialConfig(n_users=400, n_places=20, n_multi_orgs=3), seed=0)
    >>> ev = evaluate_pfli_dask(w, config=PFLIConfig(train_users=50), folds=2, ks=[100],
    ...                         n_workers=1, processes=False)
    >>> sorted(ev.aed.method.unique())
    ['PFLI_cent', 'PFLI_cmb', 'PFLI_dist', 'PFLI_noclst', 'PFLI_prob']
    """
    cfg = config or PFLIConfig()
    rng = np.random.default_rng(seed)
    la = world.users["current_visible"].to_numpy(bool)
    cur = world.users["current_place"].to_numpy(np.int64)
    tests = la_folds(world, folds, seed)
    if clusters is None:
        clusters = cluster_places(world.places["lat"], world.places["lon"], cfg.cluster_km)
    clusters = np.asarray(clusters)
    parts, models, runs = [], [], []
    ln_df = None
    t0 = time.perf_counter()
    with dask_client(scheduler, n_workers=n_workers, processes=processes) as client:
        def run(known, users, fit_seed):
            model = fit_pfli(world, known=known, config=cfg, seed=fit_seed)
            pred = predict_users_dask(model, world, users, clusters, scheduler=client,
                                      partition_size=partition_size, progress=progress)
            runs.append(pred.info)
            models.append(model)
            return prediction_table(world, pred)

        for f, test in enumerate(tests):
            known = la.copy()
            known[test] = False
            df = run(known, test, seed + f)
            df["fold"] = f
            parts.append(df)
        if ln_users > 0:
            ln_ids = np.flatnonzero(~la & (cur >= 0))
            ln_ids = np.sort(rng.choice(ln_ids, size=min(ln_users, ln_ids.size), replace=False))
            ln_df = run(la, ln_ids, seed + folds)
    per_user = pd.concat(parts, ignore_index=True)
    ks = np.asarray(ks, dtype=float)
    return ScaledEvaluation(per_user=per_user, aed=aed_table(per_user),
                            acc_at_k=acc_table(per_user, ks, cfg), models=models,
                            clusters=clusters, ln_per_user=ln_df,
                            info={"folds": folds, "seed": seed,
                                  "n_clusters": int(clusters.max()) + 1, "runs": runs,
                                  "seconds": time.perf_counter() - t0})


# ----------------------------------------------------------------------------- memory


class MemoryMonitor:
    """Peak resident memory (RSS) of this process and of its child processes (psutil).

    A background thread samples every ``interval`` seconds. On Linux the
    kernel's high-water mark of this process is reset when the block starts
    and read when it ends, so the driver's peak is exact (a peak between two
    samples is not missed); elsewhere it is used only when it rose during the
    block. Children are the worker processes of a ``LocalCluster``; their
    resident memory is summed over the processes sampled together.

    Attributes
    ----------
    driver_peak : int
        Bytes, this process.
    children_peak : int
        Bytes, the largest sum over the child processes at one sample.
    total_peak : int
        Bytes, the largest sum of this process and its children at one sample
        (or the driver's peak, if larger).
    baseline : int
        Bytes of this process when the block started.

    Examples
    --------
    >>> with MemoryMonitor() as mon:
    ...     x = np.ones(10_000_000)
    >>> mon.driver_peak >= mon.baseline > 0
    True
    """

    def __init__(self, interval: float = 0.05) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive; got {interval!r}")
        self.interval = float(interval)
        self.driver_peak = self.children_peak = self.total_peak = self.baseline = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        drv = self._proc.memory_info().rss
        kids = 0
        for c in self._proc.children(recursive=True):
            try:
                kids += c.memory_info().rss
            except psutil.Error:  # a process that just ended
                pass
        self.driver_peak = max(self.driver_peak, drv)
        self.children_peak = max(self.children_peak, kids)
        self.total_peak = max(self.total_peak, drv + kids)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> MemoryMonitor:
        self.baseline = self._proc.memory_info().rss
        self._reset = _reset_peak_rss()
        self._hwm0 = _peak_rss_bytes()
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        hwm = _peak_rss_bytes()
        if self._reset or hwm > self._hwm0:  # the high-water mark was reached inside the block
            self.driver_peak = max(self.driver_peak, hwm)
        self.total_peak = max(self.total_peak, self.driver_peak)
