"""Chapter 11 tables and figures: how PFLI's cost grows with the number of users.

Examples
--------
>>> t = growth_exponent([1e4, 1e5, 1e6], [1.0, 10.0, 100.0])
>>> round(t["slope"], 3), t["verdict"]
(1.0, 'linear')
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .experiment import SINGLE, ScalingRun

__all__ = [
    "LINEAR_TOLERANCE",
    "growth_exponent",
    "growth_table",
    "timing_table",
    "plot_scaling",
    "book_vs_paper",
]

LINEAR_TOLERANCE = 0.15
"""A log-log slope within ``1 +- LINEAR_TOLERANCE`` is read as linear growth."""


def _example_run() -> ScalingRun:
    """Measurements for the examples: one process and 2 Dask workers at 1,000 and 2,000 users."""
    runs = pd.DataFrame({"path": [SINGLE] * 2 + ["Dask, 2 workers"] * 2,
                         "n_users": [1000, 2000] * 2, "seconds": [1.0, 2.0, 3.0, 5.0],
                         "driver_extra_gb": [0.1, 0.2, 0.0, 0.0],
                         "workers_peak_gb": [np.nan, np.nan, 0.5, 0.7], "identical": True})
    return ScalingRun(runs=runs, worlds=pd.DataFrame({"n_places": [120, 120]}))


def growth_exponent(x: ArrayLike, y: ArrayLike, tolerance: float = LINEAR_TOLERANCE) -> dict:
    """Least-squares slope of ``log y`` on ``log x`` (cost ~ x ** slope) and its reading.

    Parameters
    ----------
    x, y : array of positive float
        E.g. users and seconds; at least two distinct ``x``.
    tolerance : float
        Slopes within ``1 +- tolerance`` read "linear".

    Returns
    -------
    dict
        ``slope``, ``intercept`` (natural logs), ``n`` points, ``verdict``:
        "linear", "faster than linear" or "slower than linear".

    Examples
    --------
    >>> growth_exponent([1, 2, 4], [1, 4, 16])["verdict"]
    'faster than linear'
    >>> growth_exponent([1, 2], [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: growth_exponent: x and y must be positive; got min x 1.0, min y 0.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"growth_exponent: x and y must be 1-d of equal length; got {x.shape}, {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()) or x.min() <= 0 or y.min() <= 0:
        raise ValueError(f"growth_exponent: x and y must be positive; got min x {x.min()}, "
                         f"min y {y.min()}")
    if np.unique(x).size < 2:
        raise ValueError("growth_exponent: needs at least two distinct x")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    verdict = ("linear" if abs(slope - 1) <= tolerance
               else "faster than linear" if slope > 1 else "slower than linear")
    return {"slope": float(slope), "intercept": float(intercept), "n": int(x.size),
            "verdict": verdict}


def growth_table(run: ScalingRun, column: str = "seconds",
                 paths: Sequence[str] | None = None) -> pd.DataFrame:
    """Growth exponent of ``column`` against users, per path (one row each).

    Parameters
    ----------
    run : ScalingRun
        The measurements (:func:`~homelib.pfli.scale.experiment.measure_scaling`).
    column : str
        The cost column of ``run.runs`` (``seconds``, ``workers_peak_gb``, ...).
    paths : sequence of str, optional
        Restrict the table to those paths (default: all).

    Returns
    -------
    DataFrame
        ``path, slope, verdict, n`` (see :func:`growth_exponent`).

    Examples
    --------
    Ten times the users, ten times the seconds: linear.

    >>> r = pd.DataFrame({"path": ["a"] * 3, "n_users": [10, 100, 1000], "seconds": [1, 10, 100.]})
    >>> growth_table(ScalingRun(runs=r, worlds=pd.DataFrame()))[["path", "verdict"]].values.tolist()
    [['a', 'linear']]
    """
    rows = []
    r = run.runs if paths is None else run.runs[run.runs["path"].isin(list(paths))]
    for path, g in r.groupby("path", sort=False):
        rows.append({"path": path, **growth_exponent(g["n_users"], g[column])})
    return pd.DataFrame(rows)[["path", "slope", "verdict", "n"]]


def timing_table(run: ScalingRun) -> pd.DataFrame:
    """Seconds and peak memory per world size (rows) and path (columns).

    Parameters
    ----------
    run : ScalingRun
        The measurements (:func:`~homelib.pfli.scale.experiment.measure_scaling`).

    Returns
    -------
    DataFrame
        Index ``users`` (formatted with thousands separators), columns ``(measure, path)`` for ``seconds``, ``workers_peak_gb`` and
        ``driver_extra_gb``.

    Examples
    --------
    >>> run = _example_run()  # one process vs 2 Dask workers at 1,000 and 2,000 users
    >>> t = timing_table(run)
    >>> float(t.loc["2,000", ("seconds", "Dask, 2 workers")])
    5.0
    >>> sorted(set(t.columns.get_level_values("measure")))
    ['driver_extra_gb', 'seconds', 'workers_peak_gb']
    """
    r = run.runs.copy()
    r["users"] = r["n_users"].map("{:,}".format)
    t = r.pivot_table(index=["n_users", "users"], columns="path",
                      values=["seconds", "workers_peak_gb", "driver_extra_gb"], sort=False)
    return t.droplevel(0).rename_axis(columns=["measure", "path"])


def plot_scaling(run: ScalingRun, paths: Sequence[str] | None = None):
    """Time and peak memory against users, log-log, one line per path.

    Parameters
    ----------
    run : ScalingRun
        The measurements (:func:`~homelib.pfli.scale.experiment.measure_scaling`).
    paths : sequence of str, optional
        The paths to draw (default: all, in the order of ``run.runs``).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: seconds (with a linear reference line) and peak memory.

    Examples
    --------
    >>> run = _example_run()  # one process vs 2 Dask workers at 1,000 and 2,000 users
    >>> fig = plot_scaling(run)
    >>> len(fig.axes), len(fig.axes[0].lines)  # two paths + the linear reference
    (2, 3)
    >>> plt.close(fig)
    """
    r = run.runs
    paths = list(paths or r["path"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for p in paths:
        g = r[r["path"] == p].sort_values("n_users")
        axes[0].plot(g["n_users"], g["seconds"], marker="o", label=p)
        mem = g["driver_extra_gb"] if p == SINGLE else g["workers_peak_gb"]
        axes[1].plot(g["n_users"], mem, marker="o", label=p)
    g = r[r["path"] == paths[0]].sort_values("n_users")
    x = g["n_users"].to_numpy(float)
    ref = g["seconds"].to_numpy(float)[0] * x / x[0]
    axes[0].plot(x, ref, color="grey", ls=":", label="linear (from the smallest world)")
    axes[0].set(xscale="log", yscale="log", xlabel="users in the world",
                ylabel="seconds to score and locate every user")
    axes[1].set(xscale="log", yscale="log", xlabel="users in the world",
                ylabel="peak memory, GB (one process: above baseline;\nDask: worker processes)")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def book_vs_paper(run: ScalingRun, facts: pd.DataFrame) -> pd.DataFrame:
    """The chapter's closing table: the paper's data size and method beside this run.

    Parameters
    ----------
    run : ScalingRun
        The measurements (:func:`~homelib.pfli.scale.experiment.measure_scaling`).
    facts : DataFrame
        ``data/reference/pfli_facts.csv`` (``key, value``).

    Returns
    -------
    DataFrame
        Columns ``"", paper, this chapter``; rows: users scored, candidate
        locations, how scoring is run, predictions identical across paths.

    Examples
    --------
    >>> run = _example_run()  # one process vs 2 Dask workers at 1,000 and 2,000 users
    >>> facts = pd.DataFrame({"key": ["users_crawled", "candidate_locations"],
    ...                       "value": ["371913", "12863"]})
    >>> book_vs_paper(run, facts)["this chapter"].tolist()[:2]
    ['2,000 (largest world here)', '120']
    """
    f = facts.set_index("key")["value"]
    largest = run.runs.loc[run.runs["n_users"].idxmax()]
    ok = bool(run.runs["identical"].all())
    return pd.DataFrame({
        "": ["users scored", "candidate locations", "how scoring is run",
             "predictions identical across paths"],
        "paper": [f"{int(f['users_crawled']):,}", f"{int(f['candidate_locations']):,}",
                  "not described", "-"],
        "this chapter": [f"{int(largest['n_users']):,} (largest world here)",
                         f"{int(run.worlds['n_places'].max()):,}",
                         "one process, or partitioned by users on Dask",
                         "yes" if ok else "NO"],
    })
