"""The two papers at a glance: their published tables, tidy, plotted and mapped.

Everything here reads ``data/reference`` (the papers' numbers) and the real
gazetteers of :mod:`homelib.geo`; nothing is simulated.

Examples
--------
>>> t3 = table3_long()
>>> sorted(t3.metric.unique())
['accuracy', 'auc', 'f1', 'gmean']
>>> best_method_per_task("f1").method.unique().tolist()
['H2SEA']
"""

from __future__ import annotations

import pandas as pd

from . import geo, io

__all__ = [
    "TASK_LABELS",
    "METRIC_LABELS",
    "METHOD_ORDER",
    "table3_long",
    "best_method_per_task",
    "h2sea_gain_over_pop",
    "pfli_aed_long",
    "plot_table3",
    "county_summary",
    "county_map",
]

TASK_LABELS = {
    "personal_income": "Personal income",
    "family_income": "Family income",
    "education": "Education level",
    "occupation": "Occupation type",
}
METRIC_LABELS = {"f1": "macro-F1", "auc": "AUC", "gmean": "G-Mean", "accuracy": "accuracy"}
"""How the book names each metric column of Table 3 on axes and in captions."""
METHOD_ORDER = ["POP", "LR", "XGBoost", "ETNA", "H2SEA-NA", "H2SEA"]
METRICS = ("f1", "auc", "gmean", "accuracy")


def table3_long() -> pd.DataFrame:
    """H2SEA Table 3 in long form: ``task, method, metric, value``."""
    t3 = io.load_reference("h2sea_table3_performance")
    long = t3.melt(id_vars=["task", "method"], var_name="metric", value_name="value")
    long["method"] = pd.Categorical(long["method"], METHOD_ORDER, ordered=True)
    return long.sort_values(["task", "method", "metric"]).reset_index(drop=True)


def best_method_per_task(metric: str = "f1") -> pd.DataFrame:
    """The best method of each task by ``metric`` in the paper's Table 3."""
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not one of {list(METRICS)}")
    t3 = io.load_reference("h2sea_table3_performance")
    idx = t3.groupby("task")[metric].idxmax()
    return t3.loc[idx, ["task", "method", metric]].reset_index(drop=True)


def h2sea_gain_over_pop(metric: str = "f1") -> pd.DataFrame:
    """Relative gain (%) of H2SEA over POP per task, as Sec 5.2 reports it.

    >>> g = h2sea_gain_over_pop("f1")
    >>> round(float(g.loc[g.task == "personal_income", "gain_pct"].iloc[0]), 2)
    80.2
    """
    t3 = io.load_reference("h2sea_table3_performance")
    wide = t3.pivot(index="task", columns="method", values=metric)
    gain = (wide["H2SEA"] / wide["POP"] - 1) * 100
    return gain.rename("gain_pct").reset_index()


def pfli_aed_long() -> pd.DataFrame:
    """PFLI Tables 1-2 in long form: ``user_set, metric, method, aed_km``."""
    t = io.load_reference("pfli_table1_2_aed")
    return t.melt(id_vars=["user_set", "metric"], var_name="method", value_name="aed_km")


def plot_table3(metric: str = "f1"):
    """Seaborn bar chart of one metric of H2SEA Table 3, by task and method.

    Tasks in the paper's order; the legend sits below the axes, off the bars.
    Returns the matplotlib ``Figure``.

    >>> fig = plot_table3("gmean")
    >>> fig.axes[0].get_ylabel(), len(fig.legends)
    ('G-Mean', 1)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not one of {list(METRICS)}")
    data = table3_long()
    data = data[data["metric"] == metric].copy()
    data["task"] = pd.Categorical(data["task"].map(TASK_LABELS), list(TASK_LABELS.values()),
                                  ordered=True)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    sns.barplot(data=data, x="task", y="value", hue="method", hue_order=METHOD_ORDER,
                palette="viridis", ax=ax, legend=True)
    ax.set_xlabel("")
    ax.set_ylabel(METRIC_LABELS[metric])
    lo = max(0.0, float(data["value"].min()) - 0.05)
    ax.set_ylim(lo, min(1.0, float(data["value"].max()) + 0.02))
    handles, labels = ax.get_legend_handles_labels()
    ax.get_legend().remove()
    fig.legend(handles, labels, title="method", ncols=len(METHOD_ORDER), fontsize="small",
               loc="lower center", frameon=False)
    ax.set_title(f"H2SEA paper, Table 3: {METRIC_LABELS[metric]} by task and method")
    plt.close(fig)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def county_summary(provinces: list[str] | None = None) -> pd.DataFrame:
    """Number of cities and county-level divisions per province."""
    df = geo.china_counties(provinces)
    return (df.groupby("province")
              .agg(cities=("city", "nunique"), counties=("county", "size"),
                   lat_min=("lat", "min"), lat_max=("lat", "max"))
              .reset_index())


def county_map(provinces: list[str] | None = None, radius: int = 3):
    """A folium map of the real county seats of the surveyed provinces.

    One small circle per county-level division, coloured by province, with the
    county, city and zip code in the tooltip.
    """
    import folium
    import seaborn as sns

    df = geo.china_counties(provinces)
    palette = sns.color_palette("tab10", n_colors=df["province"].nunique()).as_hex()
    colours = dict(zip(sorted(df["province"].unique()), palette, strict=True))
    m = folium.Map(location=[float(df.lat.mean()), float(df.lon.mean())], zoom_start=4,
                   tiles="OpenStreetMap")
    for row in df.itertuples(index=False):
        folium.CircleMarker(
            location=[row.lat, row.lon], radius=radius, weight=0, fill=True,
            fill_color=colours[row.province], fill_opacity=0.8,
            tooltip=f"{row.county}, {row.city} ({row.province}) {row.zip_code}",
        ).add_to(m)
    return m
