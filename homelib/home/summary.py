"""Means and intervals across splits, and the what-if table of chapter 13.

Every number of chapter 13 that comes from the attacker is measured on each
split's test people separately, then summarised across splits by its mean and
a t interval (:func:`mean_interval`).

Examples
--------
>>> m, lo, hi = mean_interval([0.5, 0.6, 0.7])
>>> round(m, 3), round(lo, 3), round(hi, 3)
(0.6, 0.352, 0.848)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .. import io
from ..exposure.risk import risk_levels

__all__ = [
    "HOME_EXPOSURE_COLUMNS",
    "mean_interval",
    "summarise_splits",
    "whatif_table",
]

HOME_EXPOSURE_COLUMNS = ["task", "disclosure", "exposure_probability", "risk_level", "utility", "n"]
"""The ``home_exposure.csv`` contract."""


def mean_interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and ``level`` t interval of per-split values (NaN bounds for one value).

    >>> mean_interval([0.4])[0], bool(np.isnan(mean_interval([0.4])[1]))
    (0.4, True)
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if v.size == 0 or not np.isfinite(v).all():
        raise ValueError(f"mean_interval: need finite values; got {v.tolist()}")
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r} must be in (0, 1)")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half


def summarise_splits(per_split: pd.DataFrame, by: Sequence[str], values: Sequence[str],
                     level: float = 0.95) -> pd.DataFrame:
    """Per group of ``by``: the mean of each value column over splits and its interval.

    Returns ``by`` columns, then ``<value>, <value>_ci_low, <value>_ci_high``
    for every value column, and ``splits``.

    >>> d = pd.DataFrame({"g": ["a", "a"], "split": [0, 1], "x": [1.0, 3.0]})
    >>> summarise_splits(d, ["g"], ["x"])[["g", "x", "splits"]].to_numpy().tolist()
    [['a', 2.0, 2]]
    """
    io.require_columns(per_split, [*by, *values], "per-split table")
    rows = []
    for key, sub in per_split.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        for v in values:
            m, lo, hi = mean_interval(sub[v].to_numpy(float), level)
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
    s = summarise_splits(per, ["task", "disclosure"], ["ep", "utility", "location_error_km"], level)
    n = per.groupby(["task", "disclosure"], sort=False)["n"].sum().rename("n").reset_index()
    s = s.merge(n, on=["task", "disclosure"], validate="one_to_one")
    s = s.rename(columns={"ep": "exposure_probability", "ep_ci_low": "ci_low",
                          "ep_ci_high": "ci_high"})
    s["risk_level"] = risk_levels(s["exposure_probability"])
    extra = ["ci_low", "ci_high", "utility_ci_low", "utility_ci_high", "location_error_km", "splits"]
    return s[HOME_EXPOSURE_COLUMNS + extra]
