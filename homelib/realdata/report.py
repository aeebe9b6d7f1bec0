"""Tables and figures of the real-data chapter (12).

Every number shown is computed from the data of the installed packages, the
committed check-in fixture and the papers' tables in ``data/reference``.

Examples
--------
>>> t = pd.DataFrame({"task": ["education"] * 2, "method": ["POP", "H2SEA"], "f1": [0.2, 0.4]})
>>> p = pd.DataFrame({"task": ["education"] * 2, "method": ["POP", "H2SEA"], "f1": [0.33, 0.53]})
>>> us_vs_china(t, p)[["task", "H2SEA_f1_us", "H2SEA_f1_china", "gain_over_POP_us"]].values.tolist()
[['education', 0.4, 0.53, 0.2]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import io
from ..h2sea import protocol
from ..h2sea.report.models import plot_method_bars
from ..pfli.data import SocialWorld
from .ecological import between_area_share
from .homes import homes_from_checkins
from .places import nearest_places
from .tables import FeatureTable

__all__ = [
    "REALDATA_COLUMNS",
    "census_summary",
    "location_ceiling",
    "census_protocol",
    "realdata_rows",
    "us_vs_china",
    "plot_f1",
    "leak_demo",
    "plot_correlations",
    "plot_columbus",
    "home_rule_table",
    "world_table",
    "evidence_table",
    "plot_friend_errors",
]

REALDATA_COLUMNS = ["dataset", "task", "method", "f1", "auc", "gmean", "accuracy", "f1_std", "repeats"]
"""The ``realdata_h2sea.csv`` file contract."""


def census_summary(df: pd.DataFrame) -> pd.DataFrame:
    """People, states, areas and area sizes of the census extract (one-row table).

    >>> from homelib.realdata.census import load_census2000
    >>> census_summary(load_census2000())[["people", "states", "areas"]].values.tolist()
    [[29501, 51, 2024]]
    """
    size = df.groupby("area").size()
    return pd.DataFrame([{"people": len(df), "states": df["state"].nunique(), "areas": len(size),
                          "median_people_per_area": float(size.median()),
                          "areas_under_5_people": int((size < 5).sum())}])


def location_ceiling(df: pd.DataFrame, columns: Sequence[str] = ("educ", "lweekinc", "bachelor"),
                     levels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Share of each variable's variance between areas, per level (eta^2 and the ICC).

    ``levels`` maps a level name to its area key (default PUMA = ``area``, ``state``);
    see :func:`homelib.realdata.ecological.between_area_share`.

    >>> from homelib.realdata.census import load_census2000
    >>> location_ceiling(load_census2000(), ["educ"], {"state": "state"}).round(3).values.tolist()
    [['educ', 'state', 51, 0.021, 0.02]]
    """
    levels = {"PUMA": "area", "state": "state"} if levels is None else levels
    rows = []
    for col in columns:
        for name, key in levels.items():
            s = between_area_share(df, col, key)
            rows.append({"variable": col, "level": name, "areas": s["areas"], "eta2": s["eta2"],
                         "icc": s["icc"]})
    return pd.DataFrame(rows)


def census_protocol(table: FeatureTable, key: Mapping[str, Any], methods: Sequence[str],
                    grids: Mapping[str, Any], repeats: int, seed: int,
                    base_params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """:func:`homelib.h2sea.protocol.run_protocol` on a feature table, cached by ``key``.

    ``key`` names the table (how it was built); the per-repeat results are
    cached in ``data/cache`` with the methods, grids, repeats, seed and the
    library's code.
    """
    params = {"table": dict(key), "methods": list(methods), "grids": dict(grids), "repeats": repeats,
              "seed": seed, "base": dict(base_params or {}), "tasks": table.tasks,
              "n": len(table.X), "v": 1}
    return io.cached("realdata_protocol", params, lambda: protocol.run_protocol(
        table.X, table.y, methods, grids, repeats, seed, base_params))


def realdata_rows(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The ``realdata_h2sea.csv`` rows of a :func:`~homelib.h2sea.protocol.summarise_performance` table.

    >>> s = pd.DataFrame({"task": ["education"], "method": ["POP"], "f1": [0.2], "auc": [0.5],
    ...                   "gmean": [0.0], "accuracy": [0.47], "f1_std": [0.01], "repeats": [3]})
    >>> list(realdata_rows(s, "census2000").columns) == REALDATA_COLUMNS
    True
    """
    out = summary.copy()
    out.insert(0, "dataset", dataset)
    io.require_columns(out, REALDATA_COLUMNS, "performance summary")
    return out[REALDATA_COLUMNS].reset_index(drop=True)


def us_vs_china(table: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: H2SEA's and POP's F1 and H2SEA's gain over POP, on the census and in the paper."""
    rows = []
    for task in [t for t in protocol.TASKS if t in set(table["task"])]:
        row: dict[str, Any] = {"task": task}
        for src, tab in (("us", table), ("china", paper)):
            s = tab[tab["task"] == task].set_index("method")["f1"]
            row[f"H2SEA_f1_{src}"] = float(s.get("H2SEA", np.nan))
            row[f"POP_f1_{src}"] = float(s.get("POP", np.nan))
            row[f"gain_over_POP_{src}"] = round(row[f"H2SEA_f1_{src}"] - row[f"POP_f1_{src}"], 12)
            row[f"best_{src}"] = s.idxmax()
        rows.append(row)
    return pd.DataFrame(rows)


def plot_f1(table: pd.DataFrame, paper: pd.DataFrame, metric: str = "f1"):
    """Bars of ``metric`` per task and method on the census; black ticks: the paper's Table 3."""
    fig = plot_method_bars(table, metric, paper[paper["task"].isin(set(table["task"]))])
    fig.axes[0].set_title("US census 2000 (bars) vs the paper's China (ticks)", fontsize=9)
    return fig


def leak_demo(df: pd.DataFrame, safe: FeatureTable, leaky: FeatureTable, seed: int,
              method: str = "XGBoost", grid: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """Test metrics of one model on one split, with leaking vs leak-safe aggregates.

    ``leaky`` is built with leave-one-out aggregates *and* the area id (the
    combination :func:`~homelib.realdata.aggregates.check_leakage` refuses,
    built here with ``on_leak="report"`` on purpose); ``safe`` with reference
    aggregates. Each is split by :func:`~homelib.h2sea.protocol.stratified_split`
    with the same seed and tuned on its own validation rows.
    """
    rows = []
    for name, t in (("leave-one-out + area id (refused)", leaky), ("reference + area id", safe)):
        parts = protocol.stratified_split(t.y, seed=seed)
        res, _ = protocol.tune_and_test(method, t.X, t.y, parts, grid, seed=seed)
        res.insert(0, "features", name)
        rows.append(res[["features", "task", "method", "f1", "auc", "gmean", "accuracy"]])
    return pd.concat(rows, ignore_index=True)


def plot_correlations(corr: pd.DataFrame, paper: Mapping[str, float]):
    """Pearson r with 95 % intervals per data set and level; dashed lines: the paper's values."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    labels = [f"{r.dataset}\n{r.level}" for r in corr.itertuples()]
    y = np.arange(len(corr))
    ax.errorbar(corr["pearson_r"], y, xerr=[corr["pearson_r"] - corr["ci_low"],
                                            corr["ci_high"] - corr["pearson_r"]],
                fmt="o", color="C0", capsize=3)
    for j, (name, v) in enumerate(paper.items()):
        ax.axvline(v, color=f"C{j + 1}", ls="--", lw=1, label=name)
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("Pearson r (95 % Fisher-z interval)")
    ax.set_xlim(0, 1)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_columbus(columbus: pd.DataFrame, census: pd.DataFrame, min_n: int = 10):
    """Two scatters: Columbus house value vs income per neighbourhood; census PUMA means."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    axes[0].scatter(columbus["INC"], columbus["HOVAL"], s=14)
    axes[0].set_xlabel("household income ($1,000)")
    axes[0].set_ylabel("house value ($1,000)")
    axes[0].set_title("Columbus, 49 neighbourhoods", fontsize=9)
    g = census.groupby("area")[["educ", "lweekinc"]].agg(["mean", "size"])
    g = g[g[("educ", "size")] >= min_n]
    axes[1].scatter(g[("educ", "mean")], g[("lweekinc", "mean")], s=4, alpha=0.4)
    axes[1].set_xlabel("mean years of education")
    axes[1].set_ylabel("mean log weekly income")
    axes[1].set_title(f"census 2000, PUMAs with >= {min_n} people", fontsize=9)
    fig.tight_layout()
    return fig


def home_rule_table(checkins: pd.DataFrame, truth: pd.DataFrame, places: pd.DataFrame,
                    settings: Mapping[str, Mapping[str, Any]], radius_km: float) -> pd.DataFrame:
    """For each home rule setting: share of users whose city is their true home or work city.

    ``truth`` is indexed by user with ``kind, home_city, work_city`` (the
    fixture's ``truth.csv``); ``settings`` maps a label to keyword arguments of
    :func:`~homelib.realdata.homes.homes_from_checkins`. Rows: setting x kind.
    """
    rows = []
    for label, kw in settings.items():
        h = homes_from_checkins(checkins, **kw)
        near = nearest_places(h["lat"].to_numpy(), h["lon"].to_numpy(), places, radius_km)
        city = pd.Series(np.where(near["place"] >= 0, places["name"].to_numpy()[np.maximum(near["place"], 0)],
                                  ""), index=h.index)
        j = truth.join(city.rename("city"), how="left")
        j["city"] = j["city"].fillna("")
        for kind, g in j.groupby("kind", sort=False):
            rows.append({"setting": label, "kind": kind, "users": len(g),
                         "home_city_found": float(((g.city == g.home_city) & (g.city != "")).mean()),
                         "work_city_found": float(((g.city == g.work_city) & (g.city != "")
                                                   & (g.work_city != g.home_city)).mean()),
                         "no_city": float((g.city == "").mean())})
    return pd.DataFrame(rows)


def world_table(world: SocialWorld) -> pd.DataFrame:
    """The world's loading counts (``stats``) as a two-column table."""
    return pd.DataFrame({"quantity": list(world.stats), "value": list(world.stats.values())})


def evidence_table(world: SocialWorld) -> pd.DataFrame:
    """What PFLI's components need, and whether this world has it (computed from the world).

    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [0.0], "lon": [0.0]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 0], "hometown": -1, "work": -1,
    ...     "current_visible": [True, False], "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": True})
    >>> evidence_table(world_from_tables(pl, us, [[0, 1]])).set_index("component")["available"].to_dict()
    ... # doctest: +NORMALIZE_WHITESPACE
    {'PLI (Eq 1): hometown, work/education': False, 'LA-FLI (Eq 2): friends with a visible city': True,
     'LN-FLI (Eq 3): friends with hidden city but profile fields': False,
     'Base_ann: profile fields to map to cities': False,
     'Exposure estimator (Sec 8): all of the above per user': False,
     'Evaluation: hidden users with a ground-truth city': True}
    """
    u = world.users
    ht = bool(((u["hometown"] >= 0) & u["hometown_visible"]).any())
    we = bool(((u["work"] >= 0) & u["work_visible"]).any())
    vis = u["current_visible"].to_numpy(bool)
    e = world.edges
    fv = u["friends_visible"].to_numpy(bool)
    la_friend = bool(len(e) and ((fv[e[:, 0]] & vis[e[:, 1]]) | (fv[e[:, 1]] & vis[e[:, 0]])).any())
    truth = bool(((~vis) & (u["current_place"].to_numpy() >= 0)).any())
    rows = [
        ("PLI (Eq 1): hometown, work/education", ht or we),
        ("LA-FLI (Eq 2): friends with a visible city", la_friend),
        ("LN-FLI (Eq 3): friends with hidden city but profile fields", (ht or we) and len(e) > 0),
        ("Base_ann: profile fields to map to cities", ht or we),
        ("Exposure estimator (Sec 8): all of the above per user", (ht or we) and la_friend),
        ("Evaluation: hidden users with a ground-truth city", truth),
    ]
    return pd.DataFrame(rows, columns=["component", "available"])


def plot_friend_errors(per_user: pd.DataFrame, ks: Sequence[float] = (1, 10, 25, 50, 100, 500, 1000,
                                                                        5000)):
    """ACC@K curves of the friend-only baselines on the hidden users."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for m, g in per_user.groupby("method", sort=False):
        e = g["error_km"].to_numpy()
        ax.plot(ks, [(e <= k).mean() for k in ks], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xlabel("K (km)")
    ax.set_ylabel("ACC@K")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

