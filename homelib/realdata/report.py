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
    "book_vs_paper",
]

REALDATA_COLUMNS = ["dataset", "task", "method", "f1", "auc", "gmean", "accuracy", "f1_std", "repeats"]
"""The ``realdata_h2sea.csv`` file contract."""


def census_summary(df: pd.DataFrame) -> pd.DataFrame:
    """People, states, areas and area sizes of the census extract (one-row table).

    Parameters
    ----------
    df : DataFrame
        From :func:`homelib.realdata.census.load_census2000` (``state, area``).

    Returns
    -------
    DataFrame
        ``people, states, areas, median_people_per_area, areas_under_5_people``.

    Examples
    --------
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

    Parameters
    ----------
    df : DataFrame
        One row per person.
    columns : list of str
        Numeric variables.
    levels : dict, optional
        Level name -> area key column (default PUMA = ``area``, ``state``).

    Returns
    -------
    DataFrame
        ``variable, level, areas, eta2, icc`` (see
        :func:`homelib.realdata.ecological.between_area_share`).

    Examples
    --------
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

    Parameters
    ----------
    table : FeatureTable
        Features and labels.
    key : dict
        Names the table (how it was built); the per-repeat results are cached in
        ``data/cache`` under it with the methods, grids, repeats, seed and the
        library's code.
    methods, grids, repeats, seed, base_params
        As :func:`homelib.h2sea.protocol.run_protocol`.

    Returns
    -------
    DataFrame
        The per-repeat results of :func:`~homelib.h2sea.protocol.run_protocol`.

    Examples
    --------
    >>> from homelib.realdata.tables import feature_table
    >>> df = pd.DataFrame({"x": np.arange(40.0), "t": [0, 1] * 20})
    >>> t = feature_table(df, tasks=["t"], numeric=["x"])
    >>> census_protocol(t, {"toy": 1}, ["POP"], {}, 1, 0)[["repeat", "task", "method"]].values.tolist()
    [[0, 't', 'POP']]
    """
    params = {"table": dict(key), "methods": list(methods), "grids": dict(grids), "repeats": repeats,
              "seed": seed, "base": dict(base_params or {}), "tasks": table.tasks,
              "n": len(table.X), "v": 1}
    return io.cached("realdata_protocol", params, lambda: protocol.run_protocol(
        table.X, table.y, methods, grids, repeats, seed, base_params))


def realdata_rows(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The ``realdata_h2sea.csv`` rows of a :func:`~homelib.h2sea.protocol.summarise_performance` table.

    Parameters
    ----------
    summary : DataFrame
        The performance summary (``task, method, f1, ...``).
    dataset : str
        The ``dataset`` column.

    Returns
    -------
    DataFrame
        :data:`REALDATA_COLUMNS`.

    Examples
    --------
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
    """Per task: H2SEA's and POP's F1, H2SEA's gain over POP and the best method, here and in the paper.

    Parameters
    ----------
    table : DataFrame
        This book's performance summary (``task, method, f1``).
    paper : DataFrame
        The paper's Table 3 (same columns).

    Returns
    -------
    DataFrame
        ``task`` and ``H2SEA_f1_*, POP_f1_*, gain_over_POP_*, best_*`` for ``us`` and ``china``.

    Examples
    --------
    >>> t = pd.DataFrame({"task": ["education"] * 3, "method": ["POP", "H2SEA", "XGBoost"],
    ...                   "f1": [0.2, 0.4, 0.45]})
    >>> p = pd.DataFrame({"task": ["education"] * 2, "method": ["POP", "H2SEA"], "f1": [0.33, 0.53]})
    >>> r = us_vs_china(t, p).iloc[0]
    >>> float(r["gain_over_POP_us"]), float(r["gain_over_POP_china"]), r["best_us"], r["best_china"]
    (0.2, 0.2, 'XGBoost', 'H2SEA')
    """
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
    """Bars of ``metric`` per task and method on the census; black ticks: the paper's Table 3.

    Parameters
    ----------
    table : DataFrame
        Performance summary with ``task, method, <metric>, <metric>_std``.
    paper : DataFrame
        The paper's Table 3.
    metric : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"task": ["education"], "method": ["H2SEA"], "f1": [0.4], "f1_std": [0.01]})
    >>> fig = plot_f1(t, t)
    >>> len(fig.axes); plt.close(fig)
    1
    """
    fig = plot_method_bars(table, metric, paper[paper["task"].isin(set(table["task"]))])
    fig.axes[0].set_title("US census 2000 (bars) vs the paper's China (ticks)", fontsize=9)
    return fig


def leak_demo(safe: FeatureTable, leaky: FeatureTable, seed: int, method: str = "XGBoost",
              grid: Mapping[str, Sequence[Any]] | None = None,
              parts: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Test metrics of one model on one split, with leaking vs leak-safe aggregates.

    ``leaky`` is built with leave-one-out aggregates *and* the area id (the
    combination :func:`~homelib.realdata.aggregates.check_leakage` refuses,
    built here with ``on_leak="report"`` on purpose); ``safe`` with reference
    aggregates. Each is split by :func:`~homelib.h2sea.protocol.stratified_split`
    with ``seed`` (or takes its split from ``parts["safe"]`` / ``parts["leaky"]``)
    and is tuned on its own validation rows.

    Parameters
    ----------
    safe, leaky : FeatureTable
    seed : int
        Split and model seed.
    method : str
        A method of :data:`homelib.h2sea.models.METHODS`.
    grid : dict, optional
        Its hyper-parameter grid.
    parts : dict, optional
        Precomputed splits (``"safe"``, ``"leaky"``).

    Returns
    -------
    DataFrame
        ``features, task, method, f1, auc, gmean, accuracy``, leaky rows first.

    Examples
    --------
    >>> from homelib.realdata.tables import feature_table
    >>> df = pd.DataFrame({"x": np.arange(40.0), "t": [0, 1] * 20})
    >>> t = feature_table(df, tasks=["t"], numeric=["x"])
    >>> leak_demo(t, t, 0, "POP").features.unique().tolist()
    ['leave-one-out + area id (refused)', 'reference + area id']
    """
    parts = dict(parts or {})
    rows = []
    for name, label, t in (("safe", "reference + area id", safe),
                           ("leaky", "leave-one-out + area id (refused)", leaky)):
        split = parts.get(name) or protocol.stratified_split(t.y, seed=seed)
        res = protocol.tune_and_test(method, t.X, t.y, split, grid, seed=seed)
        res.insert(0, "features", label)
        rows.append(res[["features", "task", "method", "f1", "auc", "gmean", "accuracy"]])
    return pd.concat(rows[::-1], ignore_index=True)


def plot_correlations(corr: pd.DataFrame, paper: Mapping[str, float]):
    """Pearson r with 95 % intervals per data set and level; dashed lines: the paper's values.

    Parameters
    ----------
    corr : DataFrame
        ``dataset, level, pearson_r, ci_low, ci_high``.
    paper : dict
        Label -> published value.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> c = pd.DataFrame({"dataset": ["x"], "level": ["area"], "pearson_r": [0.5], "ci_low": [0.3],
    ...                   "ci_high": [0.7]})
    >>> fig = plot_correlations(c, {"paper": 0.34})
    >>> len(fig.axes[0].lines) >= 2; plt.close(fig)
    True
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    labels = [f"{r.dataset}\n{r.level}" for r in corr.itertuples()]
    y = np.arange(len(corr))
    r = corr["pearson_r"].to_numpy(float)
    err = np.vstack([r - corr["ci_low"].to_numpy(float), corr["ci_high"].to_numpy(float) - r])
    ax.errorbar(r, y, xerr=err, fmt="o", color="C0", capsize=3)
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
    """Two scatters: Columbus house value vs income per neighbourhood; census PUMA means.

    Parameters
    ----------
    columbus : DataFrame
        ``HOVAL, INC`` per neighbourhood.
    census : DataFrame
        ``area, educ, lweekinc`` per person.
    min_n : int
        Smallest PUMA drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> c = pd.DataFrame({"HOVAL": [1.0, 2.0], "INC": [3.0, 4.0]})
    >>> p = pd.DataFrame({"area": ["a", "a"], "educ": [12, 16], "lweekinc": [6.0, 7.0]})
    >>> len(plot_columbus(c, p, min_n=1).axes); plt.close("all")
    2
    """
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
    :func:`~homelib.realdata.homes.homes_from_checkins`.

    Parameters
    ----------
    checkins : DataFrame
        ``user, time, lat, lon``.
    truth : DataFrame
        Indexed by user: ``kind, home_city, work_city``.
    places : DataFrame
        Gazetteer with ``name, lat, lon``.
    settings : dict
        Label -> keyword arguments of the home rule.
    radius_km : float
        City radius of :func:`~homelib.realdata.places.nearest_places`.

    Returns
    -------
    DataFrame
        One row per setting and kind: ``setting, kind, users, home_city_found,
        work_city_found, no_city``.

    Examples
    --------
    >>> ci = pd.DataFrame({"user": [1], "lat": [48.85], "lon": [2.35],
    ...                    "time": pd.to_datetime(["2010-01-01T23:00Z"])})
    >>> tr = pd.DataFrame({"kind": ["stayer"], "home_city": ["Paris"], "work_city": ["Paris"]}, index=[1])
    >>> gz = pd.DataFrame({"name": ["Paris"], "lat": [48.853], "lon": [2.349]})
    >>> home_rule_table(ci, tr, gz, {"night": {"rule": "night"}}, 25.0).home_city_found.tolist()
    [1.0]
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
    """The world's loading counts (``stats``) as a two-column table.

    Parameters
    ----------
    world : SocialWorld

    Returns
    -------
    DataFrame
        ``quantity, value``.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [0.0], "lon": [0.0]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 0], "hometown": -1, "work": -1,
    ...     "current_visible": True, "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": True})
    >>> world_table(world_from_tables(pl, us, [[0, 1], [1, 1]])).set_index("quantity").value["self_loops_dropped"]
    np.int64(1)
    """
    return pd.DataFrame({"quantity": list(world.stats), "value": list(world.stats.values())})


def evidence_table(world: SocialWorld) -> pd.DataFrame:
    """What PFLI's components need, and whether this world has it (computed from the world).

    Parameters
    ----------
    world : SocialWorld

    Returns
    -------
    DataFrame
        ``component, available``.

    Examples
    --------
    >>> from homelib.pfli.data import world_from_tables
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [0.0], "lon": [0.0]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 0], "hometown": -1, "work": -1,
    ...     "current_visible": [True, False], "hometown_visible": False, "work_visible": False,
    ...     "friends_visible": True})
    >>> evidence_table(world_from_tables(pl, us, [[0, 1]])).set_index("component")["available"].to_dict()
    ... # doctest: +NORMALIZE_WHITESPACE
    {'PLI (Eq 1): hometown, work/education': False, 'LA-FLI (Eq 2): friends with a visible city': True,
     'LN-FLI (Eq 3): friends with hidden city but profile fields': False,
     'Base_ann (its profile inputs): fields to map to cities': False,
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
        ("Base_ann (its profile inputs): fields to map to cities", ht or we),
        ("Exposure estimator (Sec 8): all of the above per user", (ht or we) and la_friend),
        ("Evaluation: hidden users with a ground-truth city", truth),
    ]
    return pd.DataFrame(rows, columns=["component", "available"])


def plot_friend_errors(per_user: pd.DataFrame, ks: Sequence[float] = (1, 10, 25, 50, 100, 500, 1000,
                                                                        5000)):
    """ACC@K curves of every method on the hidden users.

    Parameters
    ----------
    per_user : DataFrame
        ``method, error_km`` (e.g. ``ln_per_user`` of :func:`homelib.pfli.evaluation.evaluate_pfli`).
    ks : list of float
        Distances K (km).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_friend_errors(pd.DataFrame({"method": ["Base_freq"] * 2, "error_km": [0.0, 900.0]}))
    >>> [round(float(v), 1) for v in fig.axes[0].lines[0].get_ydata()][:2]; plt.close(fig)
    [0.5, 0.5]
    """
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



def book_vs_paper(comparison: pd.DataFrame, corr: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """The chapter's closing table: the census and Columbus beside the paper's China.

    Parameters
    ----------
    comparison : DataFrame
        :func:`us_vs_china` of the census performance and the paper's Table 3.
    corr : DataFrame
        The ``realdata_correlation.csv`` rows (``dataset, level, pearson_r, ...``).
    facts : DataFrame
        ``data/reference/h2sea_facts.csv`` (``key, value``).

    Returns
    -------
    DataFrame
        ``quantity, paper (China), book (US), book source``.

    Examples
    --------
    >>> cmp = pd.DataFrame({"task": ["education"], "H2SEA_f1_us": [0.4], "H2SEA_f1_china": [0.53],
    ...     "gain_over_POP_us": [0.2], "gain_over_POP_china": [0.2], "best_us": ["LR"],
    ...     "best_china": ["H2SEA"]})
    >>> corr = pd.DataFrame({"dataset": ["census2000", "columbus"], "level": ["individual_vs_area_mean",
    ...     "neighbourhood"], "pearson_r": [0.3, 0.5]})
    >>> facts = pd.DataFrame({"key": ["corr_price_vs_income_level_china", "corr_price_vs_exact_income_2800"],
    ...                       "value": ["0.185", "0.34"]})
    >>> book_vs_paper(cmp, corr, facts)["book (US)"].tolist()
    [0.4, 0.2, 'LR', 0.3, 0.5]
    """
    f = facts.set_index("key")["value"]
    rows = []
    for r in comparison.itertuples():
        rows += [(f"H2SEA macro-F1, {r.task}", r.H2SEA_f1_china, r.H2SEA_f1_us, "census2000, Table 3 protocol"),
                 (f"gain of H2SEA over POP, {r.task}", r.gain_over_POP_china, r.gain_over_POP_us,
                  "census2000"),
                 (f"best method, {r.task}", r.best_china, r.best_us, "census2000")]
    c = corr.set_index(["dataset", "level"])["pearson_r"]
    rows.append(("r, own income vs an area statistic around the home (individual level)",
                 float(f["corr_price_vs_exact_income_2800"]),
                 float(c.get(("census2000", "individual_vs_area_mean"), np.nan)),
                 "census2000: own log income vs the PUMA's reference mean"))
    rows.append(("r, house value vs income (area level)", np.nan,
                 float(c.get(("columbus", "neighbourhood"), np.nan)), "Columbus, 49 neighbourhoods"))
    return pd.DataFrame(rows, columns=["quantity", "paper (China)", "book (US)", "book source"])
