"""Tables and figures of chapter 06 (housing price vs income, H2SEA Sec 6).

Examples
--------
>>> t = pd.DataFrame({"scope": ["city:a", "city:b", "china"], "kind": ["city", "city", "all"],
...                   "n": [20, 30, 50], "pearson_r": [0.2, 0.4, 0.3]})
>>> city_table(t)["scope"].tolist()
['city:b', 'city:a']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..housing import correlation

SCOPE_LABELS = {
    "china_level_2km": "all homes: area price vs income level",
    "china_exact_2km": "all homes: area price vs exact income",
    "commercial_level_2km": "commercial homes: area price vs income level",
    "noncommercial_level_2km": "non-commercial homes: area price vs income level",
    "commercial_exact_2km": "commercial homes: area price vs exact income",
    "noncommercial_exact_2km": "non-commercial homes: area price vs exact income",
    "own_price_exact:commercial": "commercial homes: own price vs exact income",
    "own_price_exact:noncommercial": "non-commercial homes: own price vs exact income",
}
"""Readable names of the correlation scopes on axes and legends (the files keep the keys)."""


def scope_label(scope: str) -> str:
    """The readable name of a correlation scope (the key itself when it has none).

    Parameters
    ----------
    scope : str
        A scope key of ``housing_income_correlation.csv``.

    Returns
    -------
    str
        Its entry in :data:`SCOPE_LABELS`, else ``scope``.

    Examples
    --------
    >>> scope_label("china_exact_2km"), scope_label("city_level_2km:Harbin")
    ('all homes: area price vs exact income', 'city_level_2km:Harbin')
    """
    return SCOPE_LABELS.get(scope, scope)

__all__ = [
    "SCOPE_LABELS",
    "scope_label",
    "plot_price_income_scatter",
    "city_table",
    "plot_city_correlations",
    "plot_sweep",
    "sec6_data_note",
]


def plot_price_income_scatter(X: pd.DataFrame, meta: pd.DataFrame, price: str = "hp_mean",
                              max_points: int = 3000, seed: int = 0):
    """Fig 3 redrawn: listed price within 2 km vs exact income, by housing type.

    Parameters
    ----------
    X : DataFrame
        Features with the ``price`` column.
    meta : DataFrame
        Row-aligned with ``X``: ``has_sale_price_2km``, ``exact_income`` and, optionally,
        ``commercial`` (without it, one colour for all homes: a table of your own).
    price : str
        Price column of ``X``.
    max_points : int
        At most this many homes are drawn (a seeded sample).
    seed : int
        Seed of that sample.

    Returns
    -------
    matplotlib.figure.Figure
        One log-log scatter, one colour per housing type with its n and r in the legend.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> X = pd.DataFrame({"hp_mean": [1e4, 2e4, 3e4, 4e4, 5e4, 6e4, 7e4, 8e4]})
    >>> meta = pd.DataFrame({"has_sale_price_2km": [True] * 7 + [False],
    ...                      "exact_income": [3e3, 4e3, 5e3, 7e3, 2e3, 9e3, 4e3, 1e4],
    ...                      "commercial": [True, True, True, True, False, False, False, False]})
    >>> fig = plot_price_income_scatter(X, meta)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['commercial (n=4, r=0.98)', 'non-commercial (n=3, r=nan)']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    has = meta["has_sale_price_2km"].astype(bool) & meta["exact_income"].notna()
    typed = "commercial" in meta.columns
    d = pd.DataFrame({"price": X.loc[has, price], "income": meta.loc[has, "exact_income"],
                      "commercial": meta.loc[has, "commercial"].astype(bool) if typed else True})
    if len(d) > max_points:
        d = d.sample(max_points, random_state=seed)
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = ((True, "C3", "commercial"), (False, "C0", "non-commercial")) if typed else \
        ((True, "C0", "all homes"),)
    for flag, color, label in groups:
        s = d[d["commercial"] == flag]
        r = correlation(s["price"], s["income"])["pearson_r"]
        ax.scatter(s["price"], s["income"], s=6, alpha=0.4, color=color,
                   label=f"{label} (n={len(s)}, r={r:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean listed sale price within 2 km (yuan/m²)" if typed
                  else f"housing price around the home ({price})")
    ax.set_ylabel("exact monthly income (yuan)" if typed else "exact income")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2,
              frameon=False, markerscale=2)
    fig.tight_layout()
    return fig


def city_table(table: pd.DataFrame, top: int = 25) -> pd.DataFrame:
    """The ``top`` cities with the most priced and labelled homes, with a plot label.

    The label is the English name where known, else ``city <k>`` by size rank
    (matplotlib's default font has no Chinese glyphs).

    Parameters
    ----------
    table : DataFrame
        Rows of :func:`~homelib.h2sea.housing.housing_income_correlations`
        (``scope``, ``kind``, ``n``, ...).
    top : int
        How many cities to keep.

    Returns
    -------
    DataFrame
        The ``kind == "city"`` rows by decreasing ``n``, with ``label`` as second column.

    Examples
    --------
    >>> t = pd.DataFrame({"scope": ["city_level_2km:Harbin", "city_level_2km:南京市x", "china"],
    ...                   "kind": ["city", "city", "all"], "n": [20, 30, 50]})
    >>> city_table(t)[["label", "n"]].values.tolist()
    [['city 1', 30], ['Harbin', 20]]
    """
    c = table[table["kind"] == "city"].sort_values("n", ascending=False).head(top).copy()
    names = [s.split(":", 1)[1] for s in c["scope"]]
    c.insert(1, "label", [n if n.isascii() else f"city {i + 1}" for i, n in enumerate(names)])
    return c.reset_index(drop=True)


def plot_city_correlations(table: pd.DataFrame, top: int = 25):
    """Per-city r with 95 % intervals (cities with the most pairs), paper values as crosses.

    Parameters
    ----------
    table : DataFrame
        As :func:`city_table` takes it, with ``pearson_r``, ``ci_low``, ``ci_high``
        and ``published``.
    top : int
        How many cities to draw.

    Returns
    -------
    matplotlib.figure.Figure
        One row per city, sorted by r.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"scope": ["city_level_2km:Harbin", "city_level_2km:Nanjing"],
    ...                   "kind": "city", "n": [20, 30], "pearson_r": [0.4, 0.1],
    ...                   "ci_low": [0.3, 0.0], "ci_high": [0.5, 0.2], "published": [0.37, 0.05]})
    >>> fig = plot_city_correlations(t)
    >>> [x.get_text() for x in fig.axes[0].get_yticklabels()]
    ['Nanjing', 'Harbin']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    c = city_table(table, top).sort_values("pearson_r")
    fig, ax = plt.subplots(figsize=(6, 0.25 * len(c) + 1))
    yy = np.arange(len(c))
    ax.errorbar(c["pearson_r"], yy, xerr=[c["pearson_r"] - c["ci_low"], c["ci_high"] - c["pearson_r"]],
                fmt="o", ms=3, capsize=2)
    pub = c["published"].notna()
    ax.scatter(c.loc[pub, "published"], yy[pub.to_numpy()], marker="x", color="C3", zorder=3,
               label="paper")
    ax.set_yticks(yy, c["label"], fontsize=7)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("Pearson r, price vs personal income level")
    if pub.any():
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False)
    fig.tight_layout()
    return fig


def plot_sweep(sweep: pd.DataFrame, published: Mapping[str, float] | None = None):
    """Pearson r (with 95 % intervals) per scope against ``commercial_price_link``.

    Scopes are drawn side by side around each link value and named by
    :data:`SCOPE_LABELS` in a legend below the axes.

    Parameters
    ----------
    sweep : DataFrame
        From :func:`~homelib.h2sea.housing.price_link_sweep`
        (``commercial_price_link``, ``scope``, ``pearson_r``, ``ci_low``, ``ci_high``).
    published : mapping of str to float, optional
        Paper values per scope, drawn as dotted lines.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one error-bar series per scope.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> sw = pd.DataFrame({"commercial_price_link": [0.0, 1.0], "scope": "china_exact_2km",
    ...                    "pearson_r": [0.3, 0.4], "ci_low": [0.2, 0.3], "ci_high": [0.4, 0.5]})
    >>> fig = plot_sweep(sw, {"china_exact_2km": 0.34})
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'all homes: area price vs exact income'
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    groups = list(sweep.groupby("scope", sort=False))
    values = np.sort(sweep["commercial_price_link"].unique())
    gap = float(np.diff(values).min()) if len(values) > 1 else 1.0
    width = 0.5 * gap / max(len(groups), 1)
    for i, (scope, s) in enumerate(groups):
        x = s["commercial_price_link"] + (i - (len(groups) - 1) / 2) * width
        ax.errorbar(x, s["pearson_r"],
                    yerr=[s["pearson_r"] - s["ci_low"], s["ci_high"] - s["pearson_r"]],
                    marker="o", capsize=3, label=scope_label(scope), color=f"C{i}")
        if published and scope in published:
            ax.axhline(published[scope], color=f"C{i}", ls=":", lw=1)
    ax.set_xticks(values)
    ax.set_xlabel("strength of the commercial price link (world parameter commercial_price_link)")
    ax.set_ylabel("Pearson r")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2,
              frameon=False)
    fig.tight_layout()
    return fig


def sec6_data_note(data: str, table: pd.DataFrame) -> str:
    """What chapter 06 ran on: the simulated world, or a folder and the correlations it allows.

    Parameters
    ----------
    data : str
        The chapter's ``data`` parameter (``"simulated"`` or a folder).
    table : DataFrame
        The chapter's correlations (:func:`~homelib.h2sea.housing.housing_income_correlations`
        or :func:`~homelib.h2sea.housing.table_correlations`).

    Returns
    -------
    str
        One Markdown paragraph.

    Examples
    --------
    >>> t = pd.DataFrame({"scope": ["table_level_2km", "table_level_all"], "n": [80, 200]})
    >>> sec6_data_note("mine", t)[:91]
    'This run reads the folder `mine`: the price is its `price_mean` column and the income level'
    """
    if data == "simulated":
        return "This run uses the simulated survey world (parameter `data`)."
    n = table.set_index("scope")["n"]
    if "table_exact_all" in n.index:
        exact = (f"the exact income is its `income_exact` column ({int(n['table_exact_all']):,} people "
                 "with a known value)")
    else:
        exact = ("it has no `income_exact` column, so only the correlations with the income level are "
                 "computed (no exact-income row, no scatter of Fig 3; the exercises on the exact "
                 "income use the level instead)")
    return (f"This run reads the folder `{data}`: the price is its `price_mean` column and the income "
            f"level its `personal_income` task; {exact}. The \"2km\" rows keep the "
            f"{int(n['table_level_2km']):,} labelled homes whose `has_sale_price_2km` is True (every "
            "home, when the table has no such column), and the per-city rows are per value of its "
            "first `area` column. The split by housing type (commercial vs non-commercial, own "
            "prices) needs the world's ground truth and is not computed; the sweep of "
            "`commercial_price_link` is of simulated worlds (`sweep_scale`), not of your table. The "
            "paper's values set beside your numbers, and the explanations of this chapter's text, "
            "describe the paper's survey and the simulated world: a different table from yours.")
