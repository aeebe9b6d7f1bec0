"""Tables and figures of chapter 09 (the exposure estimator, PFLI Sec 8).

Examples
--------
>>> ep = pd.DataFrame({"k_km": [10.0, 200.0], "ep": [0.2, 0.6]})
>>> _k_labels(ep)["K"].tolist()
['10', '200']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..io import load_reference
from .estimator import ExposureEstimator, ExposureReport, exposure_features, what_if
from .features import (
    ALL_CATEGORIES,
    CMB_SWITCH_KM,
    BinSpec,
    _check_k,
    _user_ids,
    ep_at_k,
)

__all__ = [
    "pick_report_user",
    "book_vs_paper",
    "plot_ep_by_category",
    "plot_ep_by_friends",
    "plot_ep_by_confidence",
]


def pick_report_user(
    estimator: ExposureEstimator,
    users: ArrayLike,
    k_km: float,
    category: str = "HT+WE+F",
    *,
    max_candidates: int = 500,
) -> int:
    """A user like the paper's U1: shows ``category``, top risk level, hiding matters.

    Among ``users`` of ``category`` (any category if none), the
    ``max_candidates`` most exposed at ``k_km`` are run through the 8 hiding
    variants (:func:`what_if`); the pick is the one at the highest current
    level whose variants span the most risk levels (ties: higher EP, then
    lower id).

    Parameters
    ----------
    estimator : ExposureEstimator
        World, PFLI model, clusters and exposure model.
    users : int array
        Candidate user ids (chapter 09: LN users).
    k_km : float
        Error distance K (km) of the ranking.
    category : str
        The category to pick from (PFLI Table 4), U1's ``HT+WE+F`` by default.
    max_candidates : int
        The most exposed candidates run through the 8 hiding variants.

    Returns
    -------
    int
        The user id.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()
    >>> u = pick_report_user(est, range(est.world.n_users), 100.0, max_candidates=20)
    >>> exposure_features(est.world, est.pfli_model, est.clusters, [u]).category.tolist()
    ['HT+WE+F']
    """
    if category not in ALL_CATEGORIES:
        raise ValueError(f"category = {category!r} is not one of {ALL_CATEGORIES}")
    if max_candidates < 1:
        raise ValueError(f"max_candidates = {max_candidates!r} must be at least 1")
    ids = _user_ids(estimator.world, users)
    f = exposure_features(estimator.world, estimator.pfli_model, estimator.clusters, ids)
    f["k_km"] = _check_k(k_km)
    f["ep"] = estimator.model.predict(f)
    sub = f[f["category"] == category]
    sub = sub if not sub.empty else f
    sub = sub.sort_values(["ep", "user_id"], ascending=[False, True]).head(max_candidates)
    wi = what_if(estimator, sub["user_id"].to_numpy(), k_km)
    now = wi[wi["hide"] == ""].set_index("user_id")
    spread = wi.groupby("user_id")["risk_level"].nunique()
    score = pd.DataFrame({"level": now["risk_level"], "spread": spread,
                          "ep": now["exposure_probability"]}).reset_index()
    score = score.sort_values(["level", "spread", "ep", "user_id"],
                              ascending=[False, False, False, True])
    return int(score["user_id"].iloc[0])


def book_vs_paper(
    models: pd.DataFrame,
    ep_by_category: pd.DataFrame,
    report: ExposureReport,
) -> pd.DataFrame:
    """The chapter's closing table: the paper's numbers beside this book's.

    Parameters
    ----------
    models : DataFrame
        :func:`evaluate_exposure_models` output.
    ep_by_category : DataFrame
        :func:`ep_at_k` by ``category`` including K = 100 and 20.
    report : ExposureReport
        The one-user report (Table 8 analogue, at its own K).

    Returns
    -------
    DataFrame
        ``quantity, paper, book``.

    Examples
    --------
    >>> from homelib.exposure.estimator import exposure_report
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()
    >>> models = pd.DataFrame({"model": ["RDF", "LR"], "mae": [0.03, 0.1], "rmse": [0.05, 0.14]})
    >>> users = _example_users()
    >>> ep = ep_at_k(users, [20.0, 100.0], by=["category"])
    >>> t = book_vs_paper(models, ep, exposure_report(1, 100.0, estimator=est))
    >>> t.columns.tolist(), t.quantity.iloc[0]
    (['quantity', 'paper', 'book'], 'RDF: MAE')
    """
    ref = load_reference("pfli_table5_6_exposure_model.csv").set_index("model")
    mine = models.set_index("model")
    rows = []
    for name in ref.index:
        for metric in ("mae", "rmse"):
            book = float(mine.loc[name, metric]) if name in mine.index else float("nan")
            rows.append({"quantity": f"{name}: {metric.upper()}",
                         "paper": float(ref.loc[name, metric]), "book": book})
    t8 = load_reference("pfli_table8_hiding_u1.csv")
    paper_settings = dict(zip(t8["setting"], t8["exposure_probability"], strict=True))
    v = report.variants.set_index("hide")
    rows.append({"quantity": "Table 8: EP now (paper U1 at 100 km; book user at "
                 f"{report.k_km:g} km)", "paper": paper_settings["current (HT+WE+F)"],
                 "book": float(report.current["exposure_probability"])})
    for h in ("WE", "F", "HT", "WE+F", "HT+WE"):
        rows.append({"quantity": f"Table 8: EP after hiding {h}",
                     "paper": paper_settings[f"hide {h}"],
                     "book": float(v.loc[h, "exposure_probability"])})
    ep = ep_by_category.set_index(["category", "k_km"])["ep"]
    t7 = load_reference("pfli_table7_cases.csv").set_index(["user", "error_distance_km"])
    cases = [("U9", 20, "Table 7 U9 / Sec 8.3: EP of 'WE' alone at 20 km"),
             ("U7", 100, "Table 7 U7 / Fig 6: EP of 'HT+WE' at 100 km")]
    for user, k, text in cases:
        cat = t7.loc[(user, k), "category"]
        book = float(ep.get((cat, float(k)), float("nan")))
        rows.append({"quantity": text + " (book: mean over the category)",
                     "paper": float(t7.loc[(user, k), "exposure_probability"]), "book": book})
    return pd.DataFrame(rows)


def _k_labels(ep: pd.DataFrame) -> pd.DataFrame:
    """Add a categorical ``K`` column ("20", "100", ...) ordered by distance."""
    ks = sorted(ep["k_km"].unique())
    labels = [f"{k:g}" for k in ks]
    cat = pd.Categorical([f"{k:g}" for k in ep["k_km"]], categories=labels, ordered=True)
    return ep.assign(K=cat)


def _example_users(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A synthetic exposure user table for the examples (errors shrink with confidence)."""
    rng = np.random.default_rng(seed)
    cc = rng.uniform(0, 1, n)
    return pd.DataFrame({"user_id": np.arange(n), "category": rng.choice(ALL_CATEGORIES, n),
                         "pct_friends_with_attributes": rng.uniform(0, 100, n),
                         "cluster_confidence": cc,
                         "error_km": rng.exponential(300 * (1 - cc) + 1)})


def plot_ep_by_category(table: pd.DataFrame, ks: ArrayLike, *, switch_km: float = CMB_SWITCH_KM):
    """Fig 6: EP@K by user category (one bar per category and K).

    Parameters
    ----------
    table : DataFrame
        The exposure user table (:func:`homelib.exposure.features.exposure_user_table`).
    ks : array of float
        Error distances K (km).
    switch_km : float
        Below this K the PFLI_prob error counts, else PFLI_cent's (PFLI_cmb).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_ep_by_category(_example_users(), [20, 100])
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_legend().get_title().get_text()
    ('user category', 'K (km)')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    ep = _k_labels(ep_at_k(table, ks, by=["category"], switch_km=switch_km))
    order = [c for c in ALL_CATEGORIES if c in set(ep["category"])]
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.barplot(data=ep, x="category", y="ep", hue="K", order=order, ax=ax, palette="viridis")
    ax.set(xlabel="user category", ylabel="exposure probability EP@K", ylim=(0, 1))
    ax.legend(title="K (km)", ncols=2, fontsize="small")
    fig.tight_layout()
    return fig


def plot_ep_by_friends(
    table: pd.DataFrame,
    ks: ArrayLike,
    bins: BinSpec | None = None,
    *,
    max_pct: float = 100.0,
    min_users: int = 10,
    switch_km: float = CMB_SWITCH_KM,
):
    """Fig 7: EP@K by % friends with attributes (bins) and K, as a heatmap.

    Only users who show a friend list (categories with ``F``) are drawn: for
    the others the share is not defined. Bins with fewer than ``min_users``
    users are blank.

    Parameters
    ----------
    table : DataFrame
        The exposure user table.
    ks : array of float
        Error distances K (km), the rows of the heatmap.
    bins : BinSpec, optional
        Bin widths (default 5 percentage points).
    max_pct : float
        Users above this share are left out.
    min_users : int
        Smallest bin drawn.
    switch_km : float
        As in :func:`plot_ep_by_category`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_ep_by_friends(_example_users(), [20, 100], BinSpec(pct_width=25), min_users=5)
    >>> fig.axes[0].get_ylabel(), len(fig.axes)  # the heatmap and its colour bar
    ('error distance K (km)', 2)
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    bins = bins or BinSpec()
    with_f = table["category"].astype(str).str.contains("F", regex=False)
    t = table[with_f & (table["pct_friends_with_attributes"] <= max_pct)].copy()
    if t.empty:
        raise ValueError("table: no user shows a friend list")
    t["pct_bin"] = bins.pct_bin(t["pct_friends_with_attributes"]) * bins.pct_width
    ep = ep_at_k(t, ks, by=["pct_bin"], switch_km=switch_km)
    ep = ep[ep["n_users"] >= min_users]
    grid = ep.pivot(index="k_km", columns="pct_bin", values="ep").sort_index(ascending=False)
    grid.columns = [f"{c:g}" for c in grid.columns]
    grid.index = [f"{k:g}" for k in grid.index]
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.heatmap(grid, vmin=0, vmax=1, cmap="rocket_r", ax=ax,
                cbar_kws={"label": "EP@K"})
    ax.set(xlabel="% friends with attributes (bin start)", ylabel="error distance K (km)")
    fig.tight_layout()
    return fig


def plot_ep_by_confidence(
    table: pd.DataFrame,
    ks: ArrayLike,
    bins: BinSpec | None = None,
    *,
    min_users: int = 10,
    switch_km: float = CMB_SWITCH_KM,
):
    """Fig 8: EP@K by cluster confidence (bins) per user category, one line per K.

    Parameters
    ----------
    table : DataFrame
        The exposure user table.
    ks : array of float
        Error distances K (km), one line each.
    bins : BinSpec, optional
        Bin widths (default 0.1 of cluster confidence).
    min_users : int
        Smallest bin drawn.
    switch_km : float
        As in :func:`plot_ep_by_category`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per category.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_ep_by_confidence(_example_users(), [20, 100], BinSpec(cc_width=0.25), min_users=3)
    >>> len(fig.axes) >= 4
    True
    >>> plt.close(fig)
    """
    import seaborn as sns

    bins = bins or BinSpec(cc_width=0.1)
    t = table.copy()
    t["cc_bin"] = (bins.cc_bin(t["cluster_confidence"]) + 0.5) * bins.cc_width
    ep = _k_labels(ep_at_k(t, ks, by=["category", "cc_bin"], switch_km=switch_km))
    ep = ep[ep["n_users"] >= min_users]
    order = [c for c in ALL_CATEGORIES if c in set(ep["category"])]
    g = sns.relplot(
        data=ep, x="cc_bin", y="ep", hue="K", col="category", col_order=order,
        col_wrap=4, kind="line", marker="o", palette="viridis", height=2.4, aspect=1.1,
    )
    g.set(xlim=(0, 1), ylim=(0, 1))
    g.set_axis_labels("cluster confidence", "EP@K")
    g.set_titles("{col_name}")
    if g.legend is not None:
        g.legend.set_title("K (km)")
    return g.figure
