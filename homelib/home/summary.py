"""Means and intervals across splits, and the what-if table of chapter 13.

Every number of chapter 13 that comes from the attacker is measured on each
split's test people separately, then summarised across splits by its mean and
a t interval (:func:`mean_interval`), intersected with the range the quantity
cannot leave (a share stays in [0, 1]).

Examples
--------
>>> m, lo, hi = mean_interval([0.5, 0.6, 0.7])
>>> round(m, 3), round(lo, 3), round(hi, 3)
(0.6, 0.352, 0.848)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .. import io
from ..exposure.risk import risk_levels

__all__ = [
    "HOME_EXPOSURE_COLUMNS",
    "NONNEGATIVE",
    "SHARE",
    "mean_interval",
    "summarise_splits",
    "whatif_table",
]

HOME_EXPOSURE_COLUMNS = ["task", "disclosure", "exposure_probability", "risk_level", "utility", "n"]
"""The ``home_exposure.csv`` contract."""


def mean_interval(values: ArrayLike, level: float = 0.95,
                  bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean and ``level`` t interval of per-split values (NaN bounds for one value).

    Parameters
    ----------
    values : array of float
        One finite value per split.
    level : float
        Confidence level in (0, 1).
    bounds : (float, float), optional
        The range the quantity cannot leave (``(0, 1)`` for a share): the t interval is
        intersected with it. A symmetric t interval over a few splits can otherwise reach
        below 0 or above 1 for a share near either end.

    Returns
    -------
    (float, float, float)
        Mean, lower and upper bound.

    Examples
    --------
    >>> mean_interval([0.4])[0], bool(np.isnan(mean_interval([0.4])[1]))
    (0.4, True)
    >>> [round(x, 3) for x in mean_interval([0.9, 1.0])]  # t(1) over two splits
    [0.95, 0.315, 1.585]
    >>> [round(x, 3) for x in mean_interval([0.9, 1.0], bounds=(0, 1))]
    [0.95, 0.315, 1.0]
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if v.size == 0 or not np.isfinite(v).all():
        raise ValueError(f"mean_interval: need finite values; got {v.tolist()}")
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r} must be in (0, 1)")
    if bounds is not None:
        lo_b, hi_b = (float(x) for x in bounds)
        if not lo_b < hi_b or np.isnan(lo_b) or np.isnan(hi_b):
            raise ValueError(f"bounds = {bounds!r} must be (low, high) with low < high")
        if v.min() < lo_b or v.max() > hi_b:
            raise ValueError(f"mean_interval: values {v.tolist()} leave bounds {bounds!r}")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, lo_b), min(hi, hi_b)
    return m, lo, hi


SHARE = (0.0, 1.0)
"""Bounds of a share or probability (:func:`mean_interval`)."""

NONNEGATIVE = (0.0, float("inf"))
"""Bounds of a count or a distance."""


def summarise_splits(per_split: pd.DataFrame, by: Sequence[str], values: Sequence[str],
                     level: float = 0.95,
                     bounds: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Per group of ``by``: the mean of each value column over splits and its interval.

    Parameters
    ----------
    per_split : DataFrame
        One row per group and split, with the ``by`` and ``values`` columns.
    by : sequence of str
        Group columns.
    values : sequence of str
        Value columns to summarise.
    level : float
        Confidence level of the t intervals.
    bounds : mapping of str to (float, float), optional
        Per value column, the range its interval is intersected with
        (:data:`SHARE`, :data:`NONNEGATIVE`); columns not named are not bounded.

    Returns
    -------
    DataFrame
        ``by`` columns, then ``<value>, <value>_ci_low, <value>_ci_high`` for every value
        column, and ``splits``.

    Examples
    --------
    >>> d = pd.DataFrame({"g": ["a", "a"], "split": [0, 1], "x": [1.0, 3.0]})
    >>> summarise_splits(d, ["g"], ["x"])[["g", "x", "splits"]].to_numpy().tolist()
    [['a', 2.0, 2]]
    >>> d = pd.DataFrame({"g": ["a", "a"], "p": [0.9, 1.0]})
    >>> float(summarise_splits(d, ["g"], ["p"], bounds={"p": SHARE})["p_ci_high"].iloc[0])
    1.0
    """
    io.require_columns(per_split, [*by, *values], "per-split table")
    bounds = dict(bounds or {})
    unknown = sorted(set(bounds) - set(values))
    if unknown:
        raise ValueError(f"bounds: {unknown} are not value columns {list(values)}")
    rows = []
    for key, sub in per_split.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        for v in values:
            m, lo, hi = mean_interval(sub[v].to_numpy(float), level, bounds.get(v))
            row.update({v: m, f"{v}_ci_low": lo, f"{v}_ci_high": hi})
        row["splits"] = len(sub)
        rows.append(row)
    return pd.DataFrame(rows)


def whatif_table(outcomes: pd.DataFrame, usefulness: pd.DataFrame,
                 level: float = 0.95) -> pd.DataFrame:
    """Exposure and utility of every disclosure and task, across splits.

    Parameters
    ----------
    outcomes : DataFrame
        :func:`homelib.home.attacker.run_attack` outcomes (``split,
        disclosure, person_id, task, correct``).
    usefulness : DataFrame
        ``disclosure, person_id, useful`` (bool: the disclosure still serves
        the neighbourhood statistic) and ``location_error_km``.

    Returns
    -------
    DataFrame
        The ``home_exposure.csv`` contract (:data:`HOME_EXPOSURE_COLUMNS`:
        mean share of correct inferences over splits, its risk level (PFLI
        Table 3), mean utility of the split's test people, and ``n`` the
        (person, split) outcomes), then intervals, ``location_error_km``
        (median over test people, mean over splits) and ``splits``.

    Examples
    --------
    Split 0 gets one of two people right, split 1 both: the mean share is 0.75.

    >>> o = pd.DataFrame({"split": [0, 0, 1, 1], "disclosure": "exact",
    ...                   "person_id": [1, 2, 3, 4], "task": "income",
    ...                   "correct": [True, False, True, True]})
    >>> u = pd.DataFrame({"disclosure": "exact", "person_id": [1, 2, 3, 4],
    ...                   "useful": True, "location_error_km": 0.0})
    >>> t = whatif_table(o, u)
    >>> t[["task", "exposure_probability", "utility", "n", "splits"]].to_numpy().tolist()
    [['income', 0.75, 1.0, 4, 2]]
    """
    io.require_columns(outcomes, ["split", "disclosure", "person_id", "task", "correct"], "outcomes")
    io.require_columns(usefulness, ["disclosure", "person_id", "useful", "location_error_km"],
                       "usefulness")
    miss = sorted(set(outcomes["disclosure"]) - set(usefulness["disclosure"]))
    if miss:
        raise ValueError(f"usefulness: no rows for disclosure(s) {miss}")
    ep = outcomes.groupby(["task", "disclosure", "split"], sort=False).agg(
        ep=("correct", "mean"), n=("correct", "size")).reset_index()
    people = outcomes[["split", "disclosure", "person_id"]].drop_duplicates()
    u = people.merge(usefulness, on=["disclosure", "person_id"], how="left", validate="many_to_one")
    if u["useful"].isna().any():
        raise ValueError("usefulness: some tested person has no row")
    u = u.groupby(["disclosure", "split"], sort=False).agg(
        utility=("useful", "mean"), location_error_km=("location_error_km", "median")).reset_index()
    per = ep.merge(u, on=["disclosure", "split"], how="left", validate="many_to_one")
    s = summarise_splits(per, ["task", "disclosure"], ["ep", "utility", "location_error_km"], level,
                         bounds={"ep": SHARE, "utility": SHARE, "location_error_km": NONNEGATIVE})
    n = per.groupby(["task", "disclosure"], sort=False)["n"].sum().rename("n").reset_index()
    s = s.merge(n, on=["task", "disclosure"], validate="one_to_one")
    s = s.rename(columns={"ep": "exposure_probability", "ep_ci_low": "ci_low",
                          "ep_ci_high": "ci_high"})
    s["risk_level"] = risk_levels(s["exposure_probability"])
    extra = ["ci_low", "ci_high", "utility_ci_low", "utility_ci_high", "location_error_km", "splits"]
    return s[HOME_EXPOSURE_COLUMNS + extra]
