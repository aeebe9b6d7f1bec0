"""Area-level vs individual-level correlations (H2SEA Sec 6 on real data).

H2SEA Sec 6 correlates the housing price around a home with its owner's
income *person by person* (r = 0.185 with the income level over China, 0.34
with the exact income of 2,800 people) and finds the link much weaker than
single-city studies. A correlation of *area means* is a different quantity:
averaging removes the individual variation, so area-level correlations are
usually much larger than the individual ones they are built from (Robinson
1950, the *ecological fallacy* when one is read as the other).
:func:`level_correlations` computes the same pair of variables at several
levels (individuals, within areas, area means), each with a Fisher-z 95 %
interval; :func:`between_area_share` says how much of a variable's variance
lies between areas, the ceiling of what a location alone can tell about a
person.

Data: the Columbus (Ohio, 1980) neighbourhoods shipped with ``libpysal``
(:func:`load_columbus`: house value ``HOVAL`` and household income ``INC``
per neighbourhood, 49 areas, area level only) and the US census 2000 extract
(:func:`homelib.realdata.census.load_census2000`, individuals in PUMAs).

Examples
--------
>>> df = pd.DataFrame({"a": [0, 0, 1, 1], "x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 1.0, 4.0, 3.0]})
>>> level_correlations(df, "x", "y", {"individual": None, "area": "a"}, "toy", min_n=4)[
...     ["level", "n", "pearson_r"]].values.tolist()
[['individual', 4, 0.6], ['area', 0, nan]]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..h2sea.housing import correlation
from ..io import require_columns

__all__ = [
    "CORRELATION_COLUMNS",
    "COLUMBUS_COLUMNS",
    "load_columbus",
    "level_correlations",
    "between_area_share",
]

CORRELATION_COLUMNS = ["dataset", "level", "n", "pearson_r", "ci_low", "ci_high"]
"""The ``realdata_correlation.csv`` file contract."""
COLUMBUS_COLUMNS = ["POLYID", "NEIG", "HOVAL", "INC", "CRIME", "OPEN", "PLUMB", "DISCBD", "X", "Y", "AREA"]


def load_columbus() -> pd.DataFrame:
    """The Columbus neighbourhoods of ``libpysal`` (Anselin 1988), read from its ``.dbf``.

    Returns
    -------
    DataFrame
        One row per neighbourhood: :data:`COLUMBUS_COLUMNS` (``HOVAL`` house
        value and ``INC`` household income in $1,000, ``CRIME`` burglaries and
        vehicle thefts per 1,000 households, ``X, Y`` centroid in digitising
        units, ...).

    Examples
    --------
    >>> c = load_columbus()
    >>> len(c), round(float(c.INC.mean()), 2)
    (49, 14.37)
    """
    import libpysal.io
    from libpysal import examples

    path = examples.get_path("columbus.dbf")
    f = libpysal.io.open(path)
    try:
        df = pd.DataFrame({h: f.by_col(h) for h in f.header})
    finally:
        f.close()
    require_columns(df, COLUMBUS_COLUMNS, "columbus.dbf")
    out = df[COLUMBUS_COLUMNS].copy()
    for c in COLUMBUS_COLUMNS:
        out[c] = pd.to_numeric(out[c])
    out[["POLYID", "NEIG"]] = out[["POLYID", "NEIG"]].astype(int)
    return out


def level_correlations(df: pd.DataFrame, x: str, y: str, levels: Mapping[str, str | None],
                       dataset: str, *, min_n: int = 1, within: str | None = None) -> pd.DataFrame:
    """Pearson r of ``x`` and ``y`` at several levels, with Fisher-z 95 % intervals.

    Parameters
    ----------
    df : DataFrame
        One row per unit (person or area).
    x, y : str
        The two numeric columns.
    levels : dict
        Level name -> area key column to average over first (``None`` = the
        rows themselves). Only areas with at least ``min_n`` rows enter an
        area-level correlation (each area counts once, unweighted).
    dataset : str
        The ``dataset`` column of the result.
    min_n : int
        Smallest area kept at an area level.
    within : str, optional
        Also the correlation *within* areas of this key (``x`` and ``y``
        minus their area means), level ``f"within_{within}"``.

    Returns
    -------
    DataFrame
        :data:`CORRELATION_COLUMNS` plus ``p_value`` and ``min_n``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": np.repeat([0, 1, 2, 3, 4], 2), "x": np.arange(10.0),
    ...                    "y": [1, 0, 3, 2, 5, 4, 7, 6, 9, 8.0]})  # reversed within each area
    >>> level_correlations(df, "x", "y", {"area": "a"}, "toy", within="a").round(3)[
    ...     ["level", "n", "pearson_r"]].values.tolist()
    [['area', 5, 1.0], ['within_a', 10, -1.0]]
    """
    require_columns(df, [x, y, *[k for k in levels.values() if k], *([within] if within else [])],
                    dataset)
    if int(min_n) != min_n or min_n < 1:
        raise ValueError(f"min_n must be a positive integer; got {min_n!r}")
    rows = []
    for name, key in levels.items():
        if key is None:
            a, b = df[x], df[y]
        else:
            g = df.groupby(key)[[x, y]].agg(["mean", "count"])
            keep = (g[(x, "count")] >= min_n) & (g[(y, "count")] >= min_n)
            a, b = g.loc[keep, (x, "mean")], g.loc[keep, (y, "mean")]
        rows.append({"dataset": dataset, "level": name, **correlation(a, b),
                     "min_n": int(min_n) if key is not None else 1})
    if within:
        dx = df[x] - df.groupby(within)[x].transform("mean")
        dy = df[y] - df.groupby(within)[y].transform("mean")
        rows.append({"dataset": dataset, "level": f"within_{within}", **correlation(dx, dy), "min_n": 1})
    return pd.DataFrame(rows)[CORRELATION_COLUMNS + ["p_value", "min_n"]]


def between_area_share(df: pd.DataFrame, column: str, area: str) -> dict[str, float]:
    """How much of a variable's variance lies between areas.

    Returns ``eta2`` (between-area sum of squares over the total: the R^2 of
    the area means, inflated by sampling noise in small areas) and ``icc``,
    the one-way ANOVA intraclass correlation
    ``(MSB - MSW) / (MSB + (n0 - 1) MSW)`` with ``n0`` the ANOVA's average area
    size, which removes that noise: the share of the variance a perfect
    knowledge of the area explains in the population.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    column : str
        The numeric variable (NaN rows are left out).
    area : str
        The area key column.

    Returns
    -------
    dict
        ``eta2, icc, areas, n``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1], "v": [1.0, 1.0, 3.0, 3.0]})
    >>> between_area_share(df, "v", "a")
    {'eta2': 1.0, 'icc': 1.0, 'areas': 2, 'n': 4}
    """
    require_columns(df, [column, area], "between_area_share")
    d = df[[column, area]].dropna()
    v = d[column].astype(float)
    g = v.groupby(d[area])
    n_i, means = g.size(), g.mean()
    k, n = len(n_i), len(v)
    if k < 2 or n <= k:
        raise ValueError(f"between_area_share: need at least 2 areas and more rows than areas; "
                         f"got {k} areas and {n} rows")
    ssb = float((n_i * (means - v.mean()) ** 2).sum())
    ssw = float(((v - g.transform("mean")) ** 2).sum())
    msb, msw = ssb / (k - 1), ssw / (n - k)
    n0 = (n - float((n_i ** 2).sum()) / n) / (k - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw) if msb + (n0 - 1) * msw > 0 else np.nan
    total = ssb + ssw
    return {"eta2": round(ssb / total, 12) if total > 0 else np.nan, "icc": round(float(icc), 12),
            "areas": int(k), "n": int(n)}
