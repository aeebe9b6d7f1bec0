"""Each study's results turned into the ledger's tidy tables.

The claims ledger (chapter 10) checks every claim of both papers on several
simulated worlds; it reads the studies' results in one shape only. A tidy
table (see :mod:`homelib.claims.engine`) has columns ``world, split, metric,
value`` plus keys; :data:`homelib.claims.bindings.TABLES` names the tables the
claims read. Every function here takes one world's results (as the chapters
compute them: H2SEA's Tables 3-5 and Sec 6, PFLI's Tables 1-2 and Figs 4-5,
the exposure estimator's Figs 6-8 and Tables 5-8) and the world's seed, and
returns its rows; the multi-world runs (:mod:`homelib.claims.simulated`)
concatenate them. A result lacking a column raises ``ValueError`` naming it.

Examples
--------
>>> per = pd.DataFrame({"repeat": [0, 0], "task": "education", "method": ["H2SEA", "POP"],
...                     "f1": [0.5, 0.25], "auc": [0.7, 0.5], "gmean": [0.4, 0.0],
...                     "accuracy": [0.6, 0.55]})
>>> perf = h2sea_performance(per, world=3)
>>> sorted(perf.columns)
['method', 'metric', 'split', 'task', 'value', 'world']
>>> h2sea_gains(perf).query("metric == 'f1_gain_pct'")["value"].tolist()
[100.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..exposure.features import ALL_CATEGORIES, ep_at_k
from ..exposure.risk import risk_levels
from ..h2sea.housing import housing_income_correlations

__all__ = [
    "h2sea_performance",
    "h2sea_gains",
    "h2sea_importance",
    "h2sea_city_village",
    "h2sea_coverage",
    "h2sea_people",
    "housing",
    "pfli_aed",
    "pfli_acc",
    "pfli_acc_visibility",
    "exposure_ep_tables",
    "exposure_users",
    "exposure_models",
    "exposure_whatif",
    "exposure_cases",
    "exposure_cc_curve",
    "exposure_u1",
    "cc_bins",
]

H2SEA_METRICS = ("f1", "auc", "gmean", "accuracy")
UNIVERSITY_POIS = ("poi_education/university", "poi_education/research_institute",
                   "poi_government/government_office")


def _tidy(df: pd.DataFrame, world: int, keys: Sequence[str], metrics: Sequence[str],
          split: str | None = None) -> pd.DataFrame:
    missing = [c for c in [*keys, *metrics, *([split] if split else [])] if c not in df.columns]
    if missing:
        raise ValueError(f"results lack column(s) {missing}; got {list(df.columns)}")
    out = df[[*keys, *metrics, *([split] if split else [])]].copy()
    out["split"] = out.pop(split).astype(int) if split else 0
    out = out.melt(id_vars=[*keys, "split"], value_vars=list(metrics), var_name="metric",
                   value_name="value")
    out.insert(0, "world", int(world))
    out["value"] = out["value"].astype(float)
    return out[["world", "split", *keys, "metric", "value"]]


# --------------------------------------------------------------------------- H2SEA
def _example_model():
    """A stand-in exposure model for the examples: its EP is the cluster confidence."""
    return SimpleNamespace(predict=lambda f: f["cluster_confidence"].to_numpy(dtype=float))


def h2sea_performance(per_repeat: pd.DataFrame, world: int) -> pd.DataFrame:
    """Per-repeat Table 3 metrics (``run_protocol`` rows): ``task, method`` x f1/auc/gmean/accuracy.

    Parameters
    ----------
    per_repeat : DataFrame
        :func:`homelib.h2sea.protocol.run_protocol` output (``repeat, task,
        method, f1, auc, gmean, accuracy``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, task, method, metric, value``; ``split`` is the repeat.

    Examples
    --------
    >>> per = pd.DataFrame({"repeat": [0, 1], "task": "education", "method": "LR",
    ...                     "f1": [0.5, 0.7], "auc": 0.8, "gmean": 0.6, "accuracy": 0.7})
    >>> t = h2sea_performance(per, world=3)
    >>> t[t["metric"] == "f1"].values.tolist()
    [[3, 0, 'education', 'LR', 'f1', 0.5], [3, 1, 'education', 'LR', 'f1', 0.7]]
    >>> h2sea_performance(per.drop(columns="auc"), world=3)
    Traceback (most recent call last):
    ...
    ValueError: results lack column(s) ['auc']; got ['repeat', 'task', 'method', 'f1', 'gmean', 'accuracy']
    """
    return _tidy(per_repeat, world, ["task", "method"], H2SEA_METRICS, split="repeat")


def h2sea_gains(performance: pd.DataFrame) -> pd.DataFrame:
    """Relative gains of H2SEA (H2SEA Sec 5.2): ``100 (H2SEA - X) / X`` per split and task.

    ``comparison`` is ``"H2SEA vs POP"``, ``"H2SEA vs ETNA"`` or ``"H2SEA vs
    H2SEA-NA"``; metrics ``<metric>_gain_pct``. A gain over a zero value
    (POP's G-Mean in this book) is NaN.

    Parameters
    ----------
    performance : DataFrame
        :func:`h2sea_performance` output (one or more worlds).

    Returns
    -------
    pandas.DataFrame
        ``world, split, task, comparison, metric, value``; a comparison whose
        method is absent has no rows (no rows at all without H2SEA).

    Examples
    --------
    >>> per = pd.DataFrame({"repeat": 0, "task": "education", "method": ["H2SEA", "POP"],
    ...                     "f1": [0.5, 0.25], "auc": [0.7, 0.5], "gmean": [0.4, 0.0],
    ...                     "accuracy": [0.6, 0.55]})
    >>> g = h2sea_gains(h2sea_performance(per, world=3)).set_index("metric")["value"]
    >>> float(g["f1_gain_pct"]), bool(np.isnan(g["gmean_gain_pct"]))  # POP's G-Mean is 0
    (100.0, True)
    """
    w = performance.pivot_table(index=["world", "split", "task", "metric"], columns="method",
                                values="value").reset_index()
    rows = []
    for other in ("POP", "ETNA", "H2SEA-NA"):
        if other not in w.columns or "H2SEA" not in w.columns:
            continue
        base = w[other].where(w[other] != 0)
        g = w[["world", "split", "task", "metric"]].copy()
        g["value"] = 100 * (w["H2SEA"] - base) / base
        g["metric"] = g["metric"] + "_gain_pct"
        g.insert(3, "comparison", f"H2SEA vs {other}")
        rows.append(g)
    cols = ["world", "split", "task", "comparison", "metric", "value"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def h2sea_importance(importance: pd.DataFrame, world: int,
                     dataset: str = "city+village") -> pd.DataFrame:
    """Single-family importance (Table 4): ``dataset, task, feature`` x score, rank.

    ``importance`` has ``task, feature, score`` (``feature_family_importance``)
    and optionally ``dataset`` and ``rank`` (``subset_feature_ranks``); the rank
    is recomputed per (dataset, task) from the score when absent.

    Parameters
    ----------
    importance : DataFrame
        Single-family scores of one world.
    world : int
        The world's seed.
    dataset : str
        The dataset of rows without a ``dataset`` column.

    Returns
    -------
    pandas.DataFrame
        ``world, split, dataset, task, feature, metric, value`` with metrics
        ``score`` and ``rank`` (1 = highest score); ``split`` is 0.

    Examples
    --------
    >>> imp = pd.DataFrame({"task": "education", "feature": ["POI", "Zip-code"],
    ...                     "score": [1.6, 1.2]})
    >>> t = h2sea_importance(imp, world=0)
    >>> t[t["metric"] == "rank"][["dataset", "feature", "value"]].values.tolist()
    [['city+village', 'POI', 1.0], ['city+village', 'Zip-code', 2.0]]
    """
    imp = importance.copy()
    if "dataset" not in imp.columns:
        imp["dataset"] = dataset
    if "rank" not in imp.columns:
        imp["rank"] = imp.groupby(["dataset", "task"])["score"].rank(ascending=False,
                                                                    method="first")
    return _tidy(imp, world, ["dataset", "task", "feature"], ["score", "rank"])


def h2sea_city_village(table: pd.DataFrame, world: int) -> pd.DataFrame:
    """Table 5 (``city_village`` table): ``dataset, task`` x f1, change_ratio_pct.

    Plus the derived dataset ``"city-only minus village-only"``: the gap of the
    change ratios (when both subsets are there).

    Parameters
    ----------
    table : DataFrame
        :func:`homelib.h2sea.analyses.city_village`'s table (``dataset, task,
        f1, change_ratio_pct``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, dataset, task, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> tab = pd.DataFrame({"dataset": ["city+village", "city-only", "village-only"],
    ...                     "task": "education", "f1": [0.5, 0.52, 0.45],
    ...                     "change_ratio_pct": [100.0, 104.0, 90.0]})
    >>> t = h2sea_city_village(tab, world=0)
    >>> t.tail(1)[["dataset", "metric", "value"]].values.tolist()
    [['city-only minus village-only', 'change_ratio_pct', 14.0]]
    """
    out = _tidy(table, world, ["dataset", "task"], ["f1", "change_ratio_pct"])
    cr = out[out["metric"] == "change_ratio_pct"].pivot_table(
        index=["world", "split", "task"], columns="dataset", values="value")
    if {"city-only", "village-only"} <= set(cr.columns):
        gap = (cr["city-only"] - cr["village-only"]).rename("value").reset_index()
        gap["dataset"], gap["metric"] = "city-only minus village-only", "change_ratio_pct"
        out = pd.concat([out, gap[out.columns]], ignore_index=True)
    return out


def h2sea_coverage(coverage: pd.DataFrame, world: int) -> pd.DataFrame:
    """Housing-price coverage per subset (``housing_coverage``): share_with_housing_price_pct.

    Parameters
    ----------
    coverage : DataFrame
        :func:`homelib.h2sea.analyses.housing_coverage` output (``dataset,
        coverage_pct``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, dataset, metric, value`` (metric
        ``share_with_housing_price_pct``); ``split`` is 0.

    Examples
    --------
    >>> cov = pd.DataFrame({"dataset": ["city-only", "village-only"], "coverage_pct": [57.0, 17.0]})
    >>> h2sea_coverage(cov, world=1)[["dataset", "value"]].values.tolist()
    [['city-only', 57.0], ['village-only', 17.0]]
    """
    cov = coverage.rename(columns={"coverage_pct": "share_with_housing_price_pct"})
    return _tidy(cov, world, ["dataset"], ["share_with_housing_price_pct"])


def h2sea_people(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame, world: int) -> pd.DataFrame:
    """People-level shares for Sec 5.3's readings.

    Groups ``city`` / ``village`` (``meta.is_city``): share of university-educated
    people (education level 2) among those with an education label; groups
    ``university`` / ``below university``: the mean over
    :data:`UNIVERSITY_POIS` of ``of_j / OF_j`` around the home (rows only when
    ``X`` has any of these columns).

    Parameters
    ----------
    X : DataFrame
        The feature table (the ``poi_...`` share ratios).
    y : DataFrame
        The labels (``education``: 0, 1, 2 or missing).
    meta : DataFrame
        With boolean ``is_city``; all three aligned row by row.
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, group, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> y = pd.DataFrame({"education": pd.array([2, 0, 2, pd.NA], dtype="Int64")})
    >>> meta = pd.DataFrame({"is_city": [True, True, False, False]})
    >>> X = pd.DataFrame({"poi_education/university": [2.0, 0.0, 1.0, 5.0]})
    >>> h2sea_people(X, y, meta, world=0)[["group", "value"]].values.tolist()
    [['city', 50.0], ['village', 100.0], ['university', 1.5], ['below university', 0.0]]
    """
    edu = pd.to_numeric(y["education"], errors="coerce")
    known = edu.notna()
    city = meta["is_city"].astype(bool)
    rows = [{"group": g, "metric": "share_university_pct",
             "value": 100 * float((edu[known & m] == 2).mean())}
            for g, m in (("city", city), ("village", ~city))]
    cols = [c for c in UNIVERSITY_POIS if c in X.columns]
    if cols:
        ratio = X[cols].mean(axis=1)
        rows += [{"group": g, "metric": "university_poi_ratio", "value": float(ratio[m].mean())}
                 for g, m in (("university", known & (edu == 2)),
                              ("below university", known & (edu < 2)))]
    out = pd.DataFrame(rows)
    out.insert(0, "split", 0)
    out.insert(0, "world", int(world))
    return out[["world", "split", "group", "metric", "value"]]


def housing(X: pd.DataFrame, y: pd.DataFrame, meta: pd.DataFrame, world: int,
            min_city_n: int = 15) -> pd.DataFrame:
    """Sec 6 correlations and derived quantities: ``scope`` x pearson_r (and others).

    Scopes of :func:`homelib.h2sea.housing.housing_income_correlations`, plus
    ``max_city_level_2km`` (largest r of the cities with at least
    ``min_city_n`` pairs), ``rent_vs_price`` (mean rent vs mean sale price within
    2 km, homes with both), ``low_mid_income`` (share of personal-income levels
    0-1 whose listed price is above the median: ``share_above_median_price``)
    and ``noncommercial_own_vs_area`` (mean log of the world's true own price
    over the listed price: ``mean_log_price_ratio``). A derived quantity whose
    homes are missing (no city with ``min_city_n`` pairs, fewer than 4 homes
    with both prices, ...) has no row.

    Parameters
    ----------
    X : DataFrame
        Features indexed by ``person_id`` (``hp_mean``, ``rp_mean``).
    y : DataFrame
        Labels indexed like ``X`` (``personal_income``).
    meta : DataFrame
        Indexed like ``X``: ``has_sale_price_2km``, ``has_rent_price_2km``,
        ``exact_income``, ``commercial``, ``city``, ``own_home_price``.
    world : int
        The world's seed.
    min_city_n : int
        Fewest pairs for a city's correlation.

    Returns
    -------
    pandas.DataFrame
        ``world, split, scope, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> idx = pd.Index(range(6), name="person_id")
    >>> X = pd.DataFrame({"hp_mean": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ...                   "rp_mean": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, index=idx)
    >>> y = pd.DataFrame({"personal_income": pd.array([0, 0, 1, 1, 2, 2], dtype="Int64")},
    ...                  index=idx)
    >>> meta = pd.DataFrame({"has_sale_price_2km": True, "has_rent_price_2km": True,
    ...                      "exact_income": [1.0, 3.0, 2.0, 5.0, 4.0, 6.0],
    ...                      "commercial": [True] * 4 + [False] * 2, "city": "A",
    ...                      "own_home_price": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=idx)
    >>> t = housing(X, y, meta, world=0, min_city_n=5).set_index("scope")["value"]
    >>> round(float(t["china_exact_2km"]), 3), round(float(t["rent_vs_price"]), 3)
    (0.886, 1.0)
    >>> float(t["low_mid_income"])  # levels 0-1 own the homes priced 1-4; the median is 3.5
    0.25
    """
    corr = housing_income_correlations(X, y, meta, "hp_mean", min_city_n)
    rows = corr[["scope", "pearson_r"]].assign(metric="pearson_r").rename(
        columns={"pearson_r": "value"})
    city = corr[(corr["kind"] == "city") & (corr["n"] >= min_city_n)]
    extra = []
    if len(city):
        extra.append(("max_city_level_2km", "pearson_r", float(city["pearson_r"].max())))
    has = meta["has_sale_price_2km"].astype(bool) & meta["has_rent_price_2km"].astype(bool)
    if has.sum() >= 4:
        extra.append(("rent_vs_price", "pearson_r",
                      float(np.corrcoef(X.loc[has, "rp_mean"], X.loc[has, "hp_mean"])[0, 1])))
    lvl = pd.to_numeric(y["personal_income"], errors="coerce")
    priced = meta["has_sale_price_2km"].astype(bool)
    med = X.loc[priced, "hp_mean"].median()
    low = priced & lvl.isin([0, 1])
    if low.any():
        extra.append(("low_mid_income", "share_above_median_price",
                      float((X.loc[low, "hp_mean"] > med).mean())))
    nc = priced & ~meta["commercial"].astype(bool) & (meta["own_home_price"] > 0)
    if nc.any():
        extra.append(("noncommercial_own_vs_area", "mean_log_price_ratio",
                      float(np.log(meta.loc[nc, "own_home_price"] / X.loc[nc, "hp_mean"]).mean())))
    out = pd.concat([rows, pd.DataFrame(extra, columns=["scope", "metric", "value"])],
                    ignore_index=True)
    out.insert(0, "split", 0)
    out.insert(0, "world", int(world))
    return out[["world", "split", "scope", "metric", "value"]]


# --------------------------------------------------------------------------- PFLI
def pfli_aed(aed: pd.DataFrame, world: int) -> pd.DataFrame:
    """Tables 1-2 (``PFLIEvaluation.aed``): ``user_set, method`` x aed60/80/100 and their ratio.

    ``aed100_over_aed80`` is NaN where AED@80% is 0.

    Parameters
    ----------
    aed : DataFrame
        ``PFLIEvaluation.aed`` (``user_set, method, aed60, aed80, aed100``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, user_set, method, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> aed = pd.DataFrame({"user_set": "overall", "method": ["PFLI_prob", "Base_freq"],
    ...                     "aed60": [1.0, 2.0], "aed80": [10.0, 0.0], "aed100": [200.0, 50.0]})
    >>> t = pfli_aed(aed, world=0)
    >>> t[t["metric"] == "aed100_over_aed80"]["value"].tolist()
    [20.0, nan]
    """
    a = aed.copy()
    a["aed100_over_aed80"] = a["aed100"] / a["aed80"].where(a["aed80"] > 0)
    return _tidy(a, world, ["user_set", "method"], ["aed60", "aed80", "aed100", "aed100_over_aed80"])


def pfli_acc(acc: pd.DataFrame, world: int) -> pd.DataFrame:
    """Figs 4-5 (``PFLIEvaluation.acc_at_k``): ``user_set, method, k_km`` x acc.

    Parameters
    ----------
    acc : DataFrame
        ``PFLIEvaluation.acc_at_k`` (``user_set, method, k_km, acc``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, user_set, method, k_km, metric, value`` (``k_km`` float);
        ``split`` is 0.

    Examples
    --------
    >>> acc = pd.DataFrame({"user_set": "overall", "method": "PFLI_prob", "k_km": [10, 100],
    ...                     "acc": [0.4, 0.8]})
    >>> pfli_acc(acc, world=2)[["k_km", "metric", "value"]].values.tolist()
    [[10.0, 'acc', 0.4], [100.0, 'acc', 0.8]]
    """
    a = acc.copy()
    a["k_km"] = a["k_km"].astype(float)
    return _tidy(a, world, ["user_set", "method", "k_km"], ["acc"])


def pfli_acc_visibility(by_visibility: pd.DataFrame, world: int) -> pd.DataFrame:
    """ACC@K by what users show (``accuracy_by_visibility``): ``shows, k_km`` x acc.

    Parameters
    ----------
    by_visibility : DataFrame
        :func:`homelib.pfli.evaluation.accuracy_by_visibility` output: ``shows``
        and one ``acc@<K>km`` column per K.
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, shows, k_km, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> vis = pd.DataFrame({"shows": ["HT and WE"], "acc@25km": [0.5], "acc@100km": [0.9]})
    >>> pfli_acc_visibility(vis, world=0)[["shows", "k_km", "value"]].values.tolist()
    [['HT and WE', 25.0, 0.5], ['HT and WE', 100.0, 0.9]]
    """
    long = by_visibility.melt(id_vars=["shows"], value_vars=[c for c in by_visibility.columns
                                                            if c.startswith("acc@")],
                              var_name="k", value_name="acc")
    long["k_km"] = long["k"].str.extract(r"acc@([\d.]+)km", expand=False).astype(float)
    return _tidy(long, world, ["shows", "k_km"], ["acc"])


# --------------------------------------------------------------------------- exposure
def cc_bins(cc: Sequence[float] | np.ndarray, width: float = 0.1) -> np.ndarray:
    """Fig 8's cluster-confidence bins: lower edges ``0, 0.1, ..., 0.9``; exactly 1 is its own bin.

    Parameters
    ----------
    cc : array of float
        Cluster confidences in [0, 1]; values from ``1 - 1e-4`` up count as 1.
    width : float
        Bin width.

    Returns
    -------
    numpy.ndarray
        The lower edge of each value's bin (1.0 for the bin of exactly 1).

    Examples
    --------
    >>> cc_bins([0.0, 0.15, 0.95, 0.99999, 1.0]).tolist()
    [0.0, 0.1, 0.9, 1.0, 1.0]
    >>> cc_bins([0.3, 0.6], width=0.5).tolist()
    [0.0, 0.5]
    """
    x = np.asarray(cc, dtype=float)
    n = int(round(1 / width))
    b = np.clip(np.floor(x / width + 1e-9), 0, n - 1) * width
    return np.round(np.where(x >= 1 - 1e-4, 1.0, b), 6)


def _ep_tidy(ep: pd.DataFrame, keys: Sequence[str], world: int, min_users: int) -> pd.DataFrame:
    ep = ep[ep["n_users"] >= min_users]
    return _tidy(ep, world, [*keys, "k_km"], ["ep"])


def exposure_ep_tables(users: pd.DataFrame, ks: Sequence[float], world: int,
                       min_users: int = 10, pct_width: float = 5.0) -> dict[str, pd.DataFrame]:
    """EP@K (PFLI Eq 8) of the cross-validated LA users, as Figs 6-8 group them.

    Returns ``exposure_ep_category`` (``category, k_km``), ``exposure_ep_cc``
    (``category, cc_bin, k_km``, bins of :func:`cc_bins`) and
    ``exposure_ep_friends`` (users showing F: ``pct_bin`` lower edge, ``k_km``);
    groups with fewer than ``min_users`` users are left out.

    Parameters
    ----------
    users : DataFrame
        :func:`homelib.exposure.features.exposure_user_table` output: one row per
        user with ``category, cluster_confidence, pct_friends_with_attributes``
        and the error column(s) of :func:`~homelib.exposure.features.ep_at_k`.
    ks : sequence of float
        Error distances K (km).
    world : int
        The world's seed.
    min_users : int
        Smallest group kept.
    pct_width : float
        Width of the bins of the share of friends with attributes (%).

    Returns
    -------
    dict of str to DataFrame
        The three tidy tables (metric ``ep``), by name.

    Examples
    --------
    >>> users = pd.DataFrame({"category": ["F", "F", "F", "WE"], "cluster_confidence": 0.5,
    ...                       "pct_friends_with_attributes": [2.0, 3.0, 12.0, 0.0],
    ...                       "error_km": [1.0, 50.0, 500.0, 0.0]})
    >>> t = exposure_ep_tables(users, [100.0], world=0, min_users=2)
    >>> t["exposure_ep_category"][["category", "value"]].round(3).values.tolist()  # WE: 1 user
    [['F', 0.667]]
    >>> t["exposure_ep_friends"][["pct_bin", "value"]].values.tolist()
    [[0.0, 1.0]]
    """
    u = users.copy()
    u["cc_bin"] = cc_bins(u["cluster_confidence"])
    f = u[u["category"].str.contains("F")].copy()
    f["pct_bin"] = np.floor(f["pct_friends_with_attributes"] / pct_width) * pct_width
    return {
        "exposure_ep_category": _ep_tidy(ep_at_k(u, ks, by=["category"]), ["category"], world,
                                         min_users),
        "exposure_ep_cc": _ep_tidy(ep_at_k(u, ks, by=["category", "cc_bin"]),
                                   ["category", "cc_bin"], world, min_users),
        "exposure_ep_friends": _ep_tidy(ep_at_k(f, ks, by=["pct_bin"]), ["pct_bin"], world,
                                        min_users),
    }


def exposure_users(users: pd.DataFrame, n_friends: np.ndarray, world: int) -> pd.DataFrame:
    """Friends of F-only users by cluster confidence (Fig 8's exception): ``group`` x n_friends.

    ``n_friends`` is aligned with ``users`` (the number of friends of each user).

    Parameters
    ----------
    users : DataFrame
        One row per user with ``category`` and ``cluster_confidence``.
    n_friends : array of int
        Friends of each user, in the order of ``users``.
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, group, metric, value``: the mean number of friends of
        the F-only users with cluster confidence above 0.9 and of the others.

    Examples
    --------
    >>> users = pd.DataFrame({"category": ["F", "F", "F", "WE"],
    ...                       "cluster_confidence": [0.95, 0.5, 0.7, 1.0]})
    >>> exposure_users(users, [30, 4, 6, 100], world=0)[["group", "value"]].values.tolist()
    [['F, CC > 0.9', 30.0], ['F, CC <= 0.9', 5.0]]
    """
    u = users.assign(n_friends=np.asarray(n_friends, dtype=float))
    f = u[u["category"] == "F"]
    rows = [{"group": "F, CC > 0.9", "metric": "n_friends",
             "value": float(f.loc[f["cluster_confidence"] > 0.9, "n_friends"].mean())},
            {"group": "F, CC <= 0.9", "metric": "n_friends",
             "value": float(f.loc[f["cluster_confidence"] <= 0.9, "n_friends"].mean())}]
    out = pd.DataFrame(rows)
    out.insert(0, "split", 0)
    out.insert(0, "world", int(world))
    return out[["world", "split", "group", "metric", "value"]]


def exposure_models(models: pd.DataFrame, world: int) -> pd.DataFrame:
    """Tables 5-6 (``evaluate_exposure_models``): ``model`` x mae, rmse.

    Parameters
    ----------
    models : DataFrame
        :func:`homelib.exposure.models.evaluate_exposure_models` output
        (``model, mae, rmse``).
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, model, metric, value``; ``split`` is 0.

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["RDF", "LR"], "mae": [0.05, 0.1], "rmse": [0.08, 0.15]})
    >>> exposure_models(m, world=0)[["model", "metric", "value"]].values.tolist()
    [['RDF', 'mae', 0.05], ['LR', 'mae', 0.1], ['RDF', 'rmse', 0.08], ['LR', 'rmse', 0.15]]
    """
    return _tidy(models, world, ["model"], ["mae", "rmse"])


def exposure_whatif(whatif: pd.DataFrame, world: int, high_cc: float = 0.9) -> pd.DataFrame:
    """The 8 hiding variants of many users (``what_if``): ``population, hide`` x mean_ep, mean_drop.

    Populations: ``all``; ``shows WE`` (users whose current category includes
    WE); ``F, friends CC >= 0.9`` / ``F, friends CC < 0.9`` (users showing F,
    by the cluster confidence of their friends alone, i.e. of the ``HT+WE``
    variant). ``mean_drop`` is the mean of current minus hidden EP.

    Parameters
    ----------
    whatif : DataFrame
        :func:`homelib.exposure.estimator.what_if` output: per user and hiding
        variant (``hide``; ``""`` = nothing hidden) its ``category``,
        ``cluster_confidence`` and ``exposure_probability``.
    world : int
        The world's seed.
    high_cc : float
        The friends' cluster confidence that splits the F populations.

    Returns
    -------
    pandas.DataFrame
        ``world, split, population, hide, metric, value``; empty populations
        have no rows.

    Examples
    --------
    >>> w = pd.DataFrame({"user_id": [1, 1, 2, 2], "hide": ["", "WE", "", "WE"],
    ...                   "category": ["HT+WE", "HT", "F", "F"],
    ...                   "cluster_confidence": [0.9, 0.6, 0.5, 0.5],
    ...                   "exposure_probability": [0.8, 0.5, 0.4, 0.4]})
    >>> t = exposure_whatif(w, world=0)
    >>> drop = t[(t["hide"] == "WE") & (t["metric"] == "mean_drop")]
    >>> drop[["population", "value"]].round(3).values.tolist()  # user 1 shows WE, user 2 does not
    [['all', 0.15], ['shows WE', 0.3]]
    """
    w = whatif
    now = w[w["hide"] == ""].set_index("user_id")
    shows = {f: now["category"].str.contains(f) for f in ("HT", "WE", "F")}
    friends_cc = w[w["hide"] == "HT+WE"].set_index("user_id")["cluster_confidence"]
    pops = {"all": now.index,
            "shows WE": now.index[shows["WE"].to_numpy()],
            "F, friends CC >= 0.9": now.index[(shows["F"] & (friends_cc.reindex(now.index)
                                                             >= high_cc)).to_numpy()],
            "F, friends CC < 0.9": now.index[(shows["F"] & (friends_cc.reindex(now.index)
                                                            < high_cc)).to_numpy()]}
    rows = []
    for hide, g in w.groupby("hide", sort=False):
        g = g.set_index("user_id")
        for pop, ids in pops.items():
            if len(ids) == 0:
                continue
            ep = g.loc[ids, "exposure_probability"]
            drop = now.loc[ids, "exposure_probability"] - ep
            rows += [{"population": pop, "hide": hide, "metric": "mean_ep", "value": float(ep.mean())},
                     {"population": pop, "hide": hide, "metric": "mean_drop",
                      "value": float(drop.mean())}]
    out = pd.DataFrame(rows)
    out.insert(0, "split", 0)
    out.insert(0, "world", int(world))
    return out[["world", "split", "population", "hide", "metric", "value"]]


def exposure_cases(model, cases: pd.DataFrame, world: int) -> pd.DataFrame:
    """Table 7's cases run through the exposure model at the paper's features.

    ``cases`` has the columns of ``pfli_table7_cases.csv`` (``user, category,
    cluster_confidence, error_distance_km, pct_friends_with_attributes``);
    ``model.predict`` takes ``k_km, category, pct_friends_with_attributes,
    cluster_confidence``. Returns ``case, k_km`` x ep, risk_level.

    Parameters
    ----------
    model : object
        A fitted exposure model (:func:`homelib.exposure.models.fit_exposure_model`).
    cases : DataFrame
        The cases; an unknown ``category`` raises ``ValueError``.
    world : int
        The world's seed.

    Returns
    -------
    pandas.DataFrame
        ``world, split, case, k_km, metric, value`` with metrics ``ep`` and
        ``risk_level`` (Table 3's levels of the EP).

    Examples
    --------
    >>> cases = pd.DataFrame({"user": ["U1"], "category": ["HT+WE+F"], "cluster_confidence": [0.69],
    ...                       "error_distance_km": [25], "pct_friends_with_attributes": [0.9]})
    >>> t = exposure_cases(_example_model(), cases, world=0)  # a model whose EP is the CC
    >>> t[["case", "k_km", "metric", "value"]].values.tolist()
    [['U1', 25.0, 'ep', 0.69], ['U1', 25.0, 'risk_level', 3.0]]
    >>> exposure_cases(_example_model(), cases.assign(category="X"), world=0)
    Traceback (most recent call last):
    ...
    ValueError: cases: unknown category ['X']
    """
    unknown = sorted(set(cases["category"]) - set(ALL_CATEGORIES))
    if unknown:
        raise ValueError(f"cases: unknown category {unknown}")
    f = pd.DataFrame({"case": cases["user"].to_numpy(),
                      "k_km": cases["error_distance_km"].astype(float).to_numpy(),
                      "category": cases["category"].to_numpy(),
                      "pct_friends_with_attributes": cases["pct_friends_with_attributes"]
                      .astype(float).to_numpy(),
                      "cluster_confidence": cases["cluster_confidence"].astype(float).to_numpy()})
    f["ep"] = model.predict(f)
    f["risk_level"] = risk_levels(f["ep"]).astype(float)
    return _tidy(f, world, ["case", "k_km"], ["ep", "risk_level"])


def exposure_cc_curve(model, category: str, k_km: float, pct: float, world: int,
                      grid: Sequence[float] = tuple(np.round(np.linspace(0.05, 1.0, 20), 3))
                      ) -> pd.DataFrame:
    """The exposure model's EP along a cluster-confidence grid, other inputs fixed.

    Parameters
    ----------
    model : object
        A fitted exposure model (``predict`` on ``k_km, category,
        pct_friends_with_attributes, cluster_confidence``).
    category : str
        What the users show (e.g. ``"WE+F"``).
    k_km : float
        The error distance K.
    pct : float
        The share of friends with attributes (%).
    world : int
        The world's seed.
    grid : sequence of float
        Cluster confidences (default ``0.05, 0.10, ..., 1.0``).

    Returns
    -------
    pandas.DataFrame
        ``world, split, category, k_km, cluster_confidence, metric, value``
        (metric ``ep``).

    Examples
    --------
    >>> t = exposure_cc_curve(_example_model(), "WE+F", 100.0, 2.1, world=0, grid=[0.5, 1.0])
    >>> t[["cluster_confidence", "value"]].values.tolist()  # a model whose EP is the CC
    [[0.5, 0.5], [1.0, 1.0]]
    """
    f = pd.DataFrame({"k_km": float(k_km), "category": category,
                      "pct_friends_with_attributes": float(pct),
                      "cluster_confidence": np.asarray(grid, dtype=float)})
    f["ep"] = model.predict(f)
    return _tidy(f, world, ["category", "k_km", "cluster_confidence"], ["ep"])


def exposure_u1(variants: pd.DataFrame, world: int, user: int | None = None) -> pd.DataFrame:
    """Table 8 for one user (``ExposureReport.variants``): ``setting`` x ep, risk_level.

    The current setting is labelled ``current``; its row also carries the
    user's ``cluster_confidence`` and ``pct_friends_with_attributes`` (and
    ``user_id`` when given) as metrics, so the chapter can show how like U1 the
    user is.

    Parameters
    ----------
    variants : DataFrame
        ``ExposureReport.variants``: ``setting`` (the current one starts with
        ``"current"``), ``exposure_probability``, ``risk_level``,
        ``cluster_confidence``, ``pct_friends_with_attributes``.
    world : int
        The world's seed.
    user : int, optional
        The user's id.

    Returns
    -------
    pandas.DataFrame
        ``world, split, setting, metric, value``.

    Examples
    --------
    >>> v = pd.DataFrame({"setting": ["current (HT+WE+F)", "hide WE"],
    ...                   "exposure_probability": [0.53, 0.3], "risk_level": [3, 2],
    ...                   "cluster_confidence": [0.69, 0.5],
    ...                   "pct_friends_with_attributes": [0.9, 0.9]})
    >>> t = exposure_u1(v, world=0, user=42)
    >>> t[t["setting"] == "current"][["metric", "value"]].values.tolist()
    [['ep', 0.53], ['risk_level', 3.0], ['cluster_confidence', 0.69], ['pct_friends_with_attributes', 0.9], ['user_id', 42.0]]
    """
    v = variants.assign(setting=variants["setting"].where(
        ~variants["setting"].str.startswith("current"), "current"),
        ep=variants["exposure_probability"].astype(float),
        risk_level=variants["risk_level"].astype(float))
    out = _tidy(v, world, ["setting"], ["ep", "risk_level"])
    cur = v[v["setting"] == "current"].iloc[:1]
    feats = ["cluster_confidence", "pct_friends_with_attributes"]
    extra = _tidy(cur.assign(user_id=float(user if user is not None else np.nan)), world,
                  ["setting"], [*feats, "user_id"] if user is not None else feats)
    return pd.concat([out, extra], ignore_index=True)
