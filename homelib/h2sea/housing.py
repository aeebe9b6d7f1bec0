"""Housing price vs income (Ding et al. 2021, Sec 6 and Fig 3).

The paper reports weak links between the housing price around a home and its
owner's income: Pearson r = 0.185 between the price and the personal income
level over China, 0.34 with the exact monthly income of about 2,800 people,
0.37 in Harbin and 0.05 in Nanjing, and conjectures that non-commercial
housing (welfare, housing-reform, resettlement, self-built), whose price the
owner did not pay, weakens the link. This module computes those correlations
with 95 % confidence intervals, splits them by housing type, and sweeps the
survey world's ``commercial_price_link`` mechanism.

The price is the mean listed sale price within 2 km (``hp_mean``, F_avhp of
Sec 3.1); like the paper, the headline rows keep only homes with a listing
within 2 km ("here we only consider the home location of which house prices
can be found from websites"); rows including the filled prices are reported
beside them.

Examples
--------
>>> r = correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
>>> r["n"], r["pearson_r"]
(5, 0.8)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "CORRELATION_COLUMNS",
    "CITY_NAMES",
    "correlation",
    "price_vs_income_level",
    "housing_income_correlations",
    "table_correlations",
    "price_income_pairs",
    "price_link_sweep",
    "contract_rows",
]

CORRELATION_COLUMNS = ["scope", "n", "pearson_r", "ci_low", "ci_high", "p_value"]
CITY_NAMES = {"哈尔滨市": "Harbin", "南京市": "Nanjing"}


def correlation(x: ArrayLike, y: ArrayLike, level: float = 0.95) -> dict[str, float]:
    """Pearson r of the finite pairs, Fisher-z confidence interval and two-sided p-value.

    The interval is ``tanh(atanh(r) +- z_{(1+level)/2} / sqrt(n - 3))``; rows
    where either value is NaN are dropped and counted out of ``n``. Fewer than
    4 pairs give NaN statistics.

    Parameters
    ----------
    x, y : array-like of float
        Paired values, same length; NaN in either drops the pair.
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``n``, ``pearson_r``, ``ci_low``, ``ci_high``, ``p_value``.

    Examples
    --------
    >>> c = correlation([1.0, 2.0, np.nan, 4.0], [1.0, 2.5, 3.0, 3.5])
    >>> c["n"]
    3
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"x and y must have the same length; got {a.shape} and {b.shape}")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(ok.sum())
    nan = {"n": n, "pearson_r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    if n < 4 or a.std() == 0 or b.std() == 0:
        return nan
    res = stats.pearsonr(a, b)
    r = float(res.statistic)
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + level / 2) / np.sqrt(n - 3)
    return {"n": n, "pearson_r": round(r, 12), "ci_low": float(np.tanh(z - half)),
            "ci_high": float(np.tanh(z + half)), "p_value": float(res.pvalue)}


def price_vs_income_level(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame,
                          price: str = "hp_mean") -> dict[str, float]:
    """The book's one definition of the paper's 0.185 (H2SEA Sec 6).

    Pearson r of the mean listed sale price within 2 km and the personal income
    level, over the homes with a sale listing within 2 km ("here we only
    consider the home location of which house prices can be found from
    websites"). Chapter 02's calibration and chapter 06's ``china_level_2km``
    row both use it.

    Parameters
    ----------
    X : DataFrame
        Features, with the ``price`` column.
    y : DataFrame
        Labels, with ``personal_income`` (level 0-2, nullable).
    meta : DataFrame
        With the boolean ``has_sale_price_2km``, row-aligned with ``X``.
    price : str
        Price column of ``X``.

    Returns
    -------
    dict
        As :func:`correlation`.

    Examples
    --------
    >>> X = pd.DataFrame({"hp_mean": [1.0, 2.0, 3.0, 4.0, 9.0]})
    >>> y = pd.DataFrame({"personal_income": pd.array([0, 1, 1, 2, 0], dtype="Int64")})
    >>> meta = pd.DataFrame({"has_sale_price_2km": [True, True, True, True, False]})
    >>> round(price_vs_income_level(X, y, meta)["pearson_r"], 3), price_vs_income_level(X, y, meta)["n"]
    (0.949, 4)
    """
    has = meta["has_sale_price_2km"].astype(bool).to_numpy()
    lvl = pd.to_numeric(y["personal_income"], errors="coerce").to_numpy(dtype=float)
    return correlation(X[price].to_numpy(dtype=float)[has], lvl[has])


def _row(scope: str, x, y, **extra: Any) -> dict[str, Any]:
    return {"scope": scope, **correlation(x, y), **extra}


def housing_income_correlations(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame,
                                price: str = "hp_mean", min_city_n: int = 15) -> pd.DataFrame:
    """All Sec 6 correlations as rows of the ``housing_income_correlation.csv`` contract.

    Scopes (``price`` = ``X[price]``; "2km" = homes with a sale listing within
    2 km, ``meta.has_sale_price_2km``):

    * ``china_level_2km`` (paper 0.185), ``china_level_all`` (filled prices too);
    * ``china_exact_2km`` (paper 0.34, Fig 3), ``china_exact_all``;
    * ``city_level_2km:<city>`` for every city with at least ``min_city_n``
      pairs (Harbin 0.37 and Nanjing 0.05 in the paper);
    * ``commercial_level_2km``, ``noncommercial_level_2km``,
      ``commercial_exact_2km``, ``noncommercial_exact_2km``: the split Sec 6
      conjectures;
    * ``own_price_exact:commercial`` / ``:noncommercial``: the world's true price
      of the person's own home vs exact income (ground truth the paper did not
      have).

    Extra columns: ``published`` (the paper's value where it gives one),
    ``city``, ``kind``.

    Parameters
    ----------
    X : DataFrame
        Features indexed by ``person_id``, with the ``price`` column.
    y : DataFrame
        Labels indexed like ``X``, with ``personal_income``.
    meta : DataFrame
        Indexed like ``X``, with ``has_sale_price_2km``, ``exact_income``,
        ``commercial``, ``city`` and ``own_home_price``.
    price : str
        Price column of ``X``.
    min_city_n : int
        Fewest pairs for a city row (Harbin and Nanjing always get one).

    Returns
    -------
    DataFrame
        One row per scope: :data:`CORRELATION_COLUMNS` plus ``published``,
        ``kind``, ``city``.

    Examples
    --------
    Six homes, all with a listing; exact incomes ``1, 3, 2, 5, 4, 6`` against
    prices ``1..6`` swap two pairs of neighbours, so r = 1 - 6 * 4 / 210 = 0.886.

    >>> idx = pd.Index(range(6), name="person_id")
    >>> X = pd.DataFrame({"hp_mean": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=idx)
    >>> y = pd.DataFrame({"personal_income": pd.array([0, 0, 1, 1, 2, 2], dtype="Int64")},
    ...                  index=idx)
    >>> meta = pd.DataFrame({"has_sale_price_2km": [True] * 6,
    ...                      "exact_income": [1.0, 3.0, 2.0, 5.0, 4.0, 6.0],
    ...                      "commercial": [True] * 4 + [False] * 2, "city": ["A"] * 6,
    ...                      "own_home_price": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=idx)
    >>> t = housing_income_correlations(X, y, meta).set_index("scope")
    >>> round(float(t.loc["china_exact_2km", "pearson_r"]), 3), float(t.loc["china_exact_2km", "published"])
    (0.886, 0.34)
    >>> int(t.loc["noncommercial_exact_2km", "n"]), bool(np.isnan(t.loc["noncommercial_exact_2km", "pearson_r"]))
    (2, True)
    """
    for nm, df in (("X", X), ("y", y), ("meta", meta)):
        if not df.index.equals(X.index):
            raise ValueError(f"{nm} must be indexed like X (person_id)")
    if price not in X.columns:
        raise KeyError(f"price column {price!r} not in X")
    need = ["has_sale_price_2km", "exact_income", "commercial", "city", "own_home_price"]
    missing = [c for c in need if c not in meta.columns]
    if missing:
        raise KeyError(f"meta lacks column(s) {missing}")
    p = X[price].astype(float)
    lvl = pd.to_numeric(y["personal_income"], errors="coerce").astype(float)
    exact = meta["exact_income"].astype(float)
    has = meta["has_sale_price_2km"].astype(bool)
    com = meta["commercial"].astype(bool)
    rows = [
        {"scope": "china_level_2km", **price_vs_income_level(X, y, meta, price),
         "published": 0.185, "kind": "level"},
        _row("china_level_all", p, lvl, published=np.nan, kind="level"),
        _row("china_exact_2km", p[has], exact[has], published=0.34, kind="exact"),
        _row("china_exact_all", p, exact, published=np.nan, kind="exact"),
        _row("commercial_level_2km", p[has & com], lvl[has & com], published=np.nan, kind="level"),
        _row("noncommercial_level_2km", p[has & ~com], lvl[has & ~com], published=np.nan,
             kind="level"),
        _row("commercial_exact_2km", p[has & com], exact[has & com], published=np.nan, kind="exact"),
        _row("noncommercial_exact_2km", p[has & ~com], exact[has & ~com], published=np.nan,
             kind="exact"),
        _row("own_price_exact:commercial", meta["own_home_price"][com], exact[com],
             published=np.nan, kind="own"),
        _row("own_price_exact:noncommercial", meta["own_home_price"][~com], exact[~com],
             published=np.nan, kind="own"),
    ]
    published_city = {"哈尔滨市": 0.37, "南京市": 0.05}
    for city, idx in meta[has].groupby("city").groups.items():
        ok = lvl.loc[idx].notna()
        if ok.sum() < min_city_n and city not in published_city:
            continue
        rows.append(_row(f"city_level_2km:{CITY_NAMES.get(city, city)}", p.loc[idx], lvl.loc[idx],
                         published=published_city.get(city, np.nan), kind="city", city=city))
    out = pd.DataFrame(rows)
    if "city" not in out.columns:
        out["city"] = np.nan
    return out[CORRELATION_COLUMNS + ["published", "kind", "city"]]


def price_link_sweep(values: Sequence[float], build: Any, price: str = "hp_mean",
                     scopes: Sequence[str] = ("china_level_2km", "china_exact_2km",
                                              "commercial_exact_2km", "noncommercial_exact_2km",
                                              "own_price_exact:commercial",
                                              "own_price_exact:noncommercial"),
                     ) -> pd.DataFrame:
    """Correlations as the world's ``commercial_price_link`` varies.

    ``build(value)`` must return a data set (``X, y, meta``) built with that
    mechanism value, e.g. ``lambda v: h2sea_dataset(0.25, seed, commercial_price_link=v)``.
    Returns ``commercial_price_link`` plus the contract columns for each scope.

    Parameters
    ----------
    values : sequence of float
        The ``commercial_price_link`` values to build.
    build : callable
        ``build(value)`` -> object with ``X``, ``y``, ``meta`` (as
        :func:`housing_income_correlations` takes them).
    price : str
        Price column of ``X``.
    scopes : sequence of str
        Scopes of :func:`housing_income_correlations` to keep.

    Returns
    -------
    DataFrame
        ``commercial_price_link`` then the columns of
        :func:`housing_income_correlations`, one row per value and scope.

    Examples
    --------
    A toy ``build`` whose exact income is ``value * price`` plus a 0/1 wiggle:
    the link 0 leaves only the wiggle (r = 0.293), the link 1 makes r = 0.968.

    >>> from types import SimpleNamespace
    >>> idx = pd.Index(range(6), name="person_id")
    >>> X = pd.DataFrame({"hp_mean": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=idx)
    >>> y = pd.DataFrame({"personal_income": pd.array([0, 0, 1, 1, 2, 2], dtype="Int64")},
    ...                  index=idx)
    >>> def build(v):
    ...     meta = pd.DataFrame({"has_sale_price_2km": True, "commercial": True, "city": "A",
    ...                          "own_home_price": X["hp_mean"],
    ...                          "exact_income": v * X["hp_mean"] + [0, 1, 0, 1, 0, 1]}, index=idx)
    ...     return SimpleNamespace(X=X, y=y, meta=meta)
    >>> sw = price_link_sweep([0.0, 1.0], build, scopes=("china_exact_2km",))
    >>> sw["commercial_price_link"].tolist(), [round(float(r), 3) for r in sw["pearson_r"]]
    ([0.0, 1.0], [0.293, 0.968])
    """
    rows = []
    for v in values:
        ds = build(v)
        tab = housing_income_correlations(ds.X, ds.y, ds.meta, price=price)
        tab = tab[tab["scope"].isin(scopes)].copy()
        tab.insert(0, "commercial_price_link", float(v))
        rows.append(tab)
    return pd.concat(rows, ignore_index=True)


def contract_rows(table: pd.DataFrame, sweep: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows for ``housing_income_correlation.csv``: the Sec 6 table plus the sweep rows.

    A sweep row's scope becomes ``sweep_link=<value>:<scope>``.

    Parameters
    ----------
    table : DataFrame
        From :func:`housing_income_correlations`.
    sweep : DataFrame, optional
        From :func:`price_link_sweep`.

    Returns
    -------
    DataFrame
        ``table``'s rows, then the sweep rows (without ``commercial_price_link``).

    Examples
    --------
    >>> table = pd.DataFrame({"scope": ["china_level_2km"], "n": [6]})
    >>> sweep = pd.DataFrame({"commercial_price_link": [0.0, 0.5], "scope": ["china_exact_2km"] * 2,
    ...                       "n": [6, 6]})
    >>> contract_rows(table, sweep)["scope"].tolist()
    ['china_level_2km', 'sweep_link=0:china_exact_2km', 'sweep_link=0.5:china_exact_2km']
    """
    parts = [table]
    if sweep is not None and len(sweep):
        sw = sweep.copy()
        sw["scope"] = [f"sweep_link={v:g}:{s}"
                       for v, s in zip(sw["commercial_price_link"], sw["scope"], strict=True)]
        parts.append(sw.drop(columns="commercial_price_link"))
    return pd.concat(parts, ignore_index=True)




def table_correlations(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame, price: str = "price_mean",
                       min_area_n: int = 15) -> pd.DataFrame:
    """The Sec 6 correlations a table of your own supports (chapter 06 on a folder).

    Scopes ("2km" = homes with ``meta.has_sale_price_2km``, as the paper keeps):

    * ``table_level_2km`` (the paper's 0.185 over China), ``table_level_all``;
    * ``table_exact_2km`` (the paper's 0.34), ``table_exact_all``: only when ``meta`` has an
      ``exact_income`` column (without it, only the level correlations are computed);
    * ``area_level_2km:<area>`` (kind ``"city"``) for every value of ``meta.area`` with at
      least ``min_area_n`` pairs: the per-city rows of the paper, per area of the table.

    The housing-type split and the own-price rows need the world's ground truth and are not
    computed.

    Parameters
    ----------
    X : DataFrame
        Features with the ``price`` column.
    y : DataFrame
        Labels indexed like ``X``, with ``personal_income``.
    meta : DataFrame
        Indexed like ``X``: boolean ``has_sale_price_2km``, ``area`` and optionally
        ``exact_income`` (NaN = unknown).
    price : str
        Price column of ``X``.
    min_area_n : int
        Fewest pairs for an area row.

    Returns
    -------
    DataFrame
        As :func:`housing_income_correlations`: :data:`CORRELATION_COLUMNS` plus ``published``
        (the paper's value for the rows it has one for), ``kind`` and ``city`` (the area).

    Examples
    --------
    >>> idx = pd.RangeIndex(6)
    >>> X = pd.DataFrame({"price_mean": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> y = pd.DataFrame({"personal_income": pd.array([0, 0, 1, 1, 2, 2], dtype="Int64")})
    >>> meta = pd.DataFrame({"has_sale_price_2km": [True] * 6, "area": ["a"] * 6})
    >>> t = table_correlations(X, y, meta, min_area_n=4)
    >>> t.scope.tolist(), round(float(t.pearson_r[0]), 3)
    (['table_level_2km', 'table_level_all', 'area_level_2km:a'], 0.956)
    """
    for nm, df in (("y", y), ("meta", meta)):
        if not df.index.equals(X.index):
            raise ValueError(f"{nm} must be indexed like X")
    if price not in X.columns:
        raise KeyError(f"price column {price!r} not in X")
    missing = [c for c in ("has_sale_price_2km", "area") if c not in meta.columns]
    if missing:
        raise KeyError(f"meta lacks column(s) {missing}")
    p = X[price].astype(float)
    lvl = pd.to_numeric(y["personal_income"], errors="coerce").astype(float)
    has = meta["has_sale_price_2km"].astype(bool)
    rows = [_row("table_level_2km", p[has], lvl[has], published=0.185, kind="level"),
            _row("table_level_all", p, lvl, published=np.nan, kind="level")]
    if "exact_income" in meta.columns:
        exact = meta["exact_income"].astype(float)
        rows += [_row("table_exact_2km", p[has], exact[has], published=0.34, kind="exact"),
                 _row("table_exact_all", p, exact, published=np.nan, kind="exact")]
    for area, idx in meta[has].groupby("area").groups.items():
        if lvl.loc[idx].notna().sum() >= min_area_n:
            rows.append(_row(f"area_level_2km:{area}", p.loc[idx], lvl.loc[idx], published=np.nan,
                             kind="city", city=area))
    out = pd.DataFrame(rows)
    if "city" not in out.columns:
        out["city"] = np.nan
    return out[CORRELATION_COLUMNS + ["published", "kind", "city"]]


def price_income_pairs(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame, price: str,
                       income: str = "exact") -> tuple[np.ndarray, np.ndarray]:
    """The (price, income) pairs of the "2km" rows: listed homes whose income is known.

    Parameters
    ----------
    X, y, meta : DataFrame
        As :func:`housing_income_correlations` or :func:`table_correlations` take them.
    price : str
        Price column of ``X``.
    income : {"exact", "level"}
        ``meta.exact_income``, or the personal income level ``y.personal_income``.

    Returns
    -------
    tuple of ndarray
        ``(price, income)``, the pairs of the ``*_exact_2km`` (or ``*_level_2km``) row.

    Examples
    --------
    >>> X = pd.DataFrame({"p": [1.0, 2.0, 3.0]})
    >>> y = pd.DataFrame({"personal_income": pd.array([0, pd.NA, 2], dtype="Int64")})
    >>> meta = pd.DataFrame({"has_sale_price_2km": [True, True, False], "exact_income": [5.0, 6.0, 7.0]})
    >>> [a.tolist() for a in price_income_pairs(X, y, meta, "p", "level")]
    [[1.0], [0.0]]
    """
    if income == "exact":
        values = meta["exact_income"].astype(float)
    elif income == "level":
        values = pd.to_numeric(y["personal_income"], errors="coerce").astype(float)
    else:
        raise ValueError(f"income must be 'exact' or 'level'; got {income!r}")
    keep = meta["has_sale_price_2km"].astype(bool) & values.notna()
    return X[price][keep].to_numpy(dtype=float), values[keep].to_numpy(dtype=float)
