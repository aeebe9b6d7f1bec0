"""Tables and figures of chapters 03-05 (H2SEA, its baselines, Tables 3-5).

Notebooks call these; every number shown is computed from the protocol's
results and the papers' tables in ``data/reference``.

Examples
--------
>>> side = table5_side_by_side(
...     pd.DataFrame({"dataset": ["city-only"], "task": ["education"], "f1": [0.5],
...                   "change_ratio_pct": [101.0]}),
...     pd.DataFrame({"dataset": ["city-only"], "education": [103.0]}))
>>> side["diff"].tolist()
[-2.0]
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ... import io
from ..models import METHODS
from ..protocol import METRICS, TASKS, run_protocol

__all__ = [
    "compare_with_paper",
    "performance_cached",
    "table3_verdict",
    "plot_architecture",
    "plot_training_curves",
    "plot_method_bars",
    "plot_sensitivity",
    "family_ranks",
    "table4_verdict",
    "plot_family_heatmap",
    "table5_side_by_side",
    "plot_change_ratios",
]


def compare_with_paper(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str],
                       metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Side-by-side table ``<metric>_book, <metric>_paper, <metric>_diff`` on ``keys``."""
    m = ours[list(keys) + list(metrics)].merge(paper[list(keys) + list(metrics)], on=list(keys),
                                               how="outer", suffixes=("_book", "_paper"))
    for met in metrics:
        m[f"{met}_diff"] = m[f"{met}_book"] - m[f"{met}_paper"]
    cols = list(keys) + [f"{met}_{s}" for met in metrics for s in ("book", "paper", "diff")]
    return m[cols]


def performance_cached(X: pd.DataFrame, y: pd.DataFrame, key: Mapping[str, Any],
                       methods: Sequence[str], grids, repeats: int, seed: int,
                       base_params=None) -> pd.DataFrame:
    """:func:`run_protocol` through ``homelib.io.cached`` (``key`` names the data set).

    The cache key also holds a hash of ``X`` and ``y`` (values, columns, dtypes), so that two
    data sets under the same ``key`` (a simulated world and a table read through chapter
    03's ``data`` parameter) never share a result.
    """

    digest = hashlib.sha256()
    for d in (X, y):
        digest.update(pd.util.hash_pandas_object(d, index=True).to_numpy().tobytes())
        digest.update(repr([(str(c), str(d[c].dtype)) for c in d.columns]).encode())
    data_hash = digest.hexdigest()[:16]
    params = {"key": dict(key), "methods": list(methods), "grids": grids, "repeats": repeats,
              "seed": seed, "base": base_params, "tasks": list(y.columns), "v": 2, "data": data_hash}
    return io.cached("h2sea_protocol", params,
                     lambda: run_protocol(X, y, methods, grids, repeats, seed, base_params))


def table3_verdict(table: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: H2SEA's F1, its rank among the methods, its gain over ETNA
    (feature interactions) and H2SEA-NA (attention) and the best method, in the
    book and in the paper."""
    rows = []
    for t in [t for t in TASKS if t in set(table["task"])]:
        row = {"task": t}
        for src, tab in (("book", table), ("paper", paper)):
            s = tab[tab["task"] == t].set_index("method")["f1"]
            row[f"H2SEA_f1_{src}"] = s.get("H2SEA", np.nan)
            row[f"H2SEA_rank_{src}"] = int(s.rank(ascending=False)["H2SEA"]) if "H2SEA" in s else np.nan
            row[f"best_{src}"] = s.idxmax()
            row[f"gain_vs_ETNA_{src}"] = s.get("H2SEA", np.nan) - s.get("ETNA", np.nan)
            row[f"gain_vs_NA_{src}"] = s.get("H2SEA", np.nan) - s.get("H2SEA-NA", np.nan)
            row[f"gain_vs_POP_{src}"] = s.get("H2SEA", np.nan) - s.get("POP", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def plot_architecture(ax=None, n_tasks: int = 4):
    """Draw H2SEA (Fig 2 of the paper, redrawn): inputs, FM shared embedding,
    per-task dense + attention layers, softmax outputs."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6.4)
    ax.axis("off")

    def box(x, y, w, h, text, color):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=color, ec="k", lw=0.8))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    box(0.5, 0.2, 9, 0.7, "home-based features: prices, county income, budget, tax, POI (continuous)\n"
        "names, zip code, urban type (categorical)", "#e8eef7")
    box(0.5, 1.3, 4.3, 0.8, "field embeddings $x_iV_i$", "#cfe3cf")
    box(5.2, 1.3, 4.3, 0.8, "FM: $\\langle w,x\\rangle$ + $\\sum_{i<j}\\langle V_i,V_j\\rangle x_ix_j$ (Eq 3)",
        "#cfe3cf")
    box(0.5, 2.4, 9, 0.5, "shared embedding $e_{fm}$", "#b8d8b8")
    w = 9 / n_tasks
    names = ["personal income", "family income", "education", "occupation"][:n_tasks]
    for i, nm in enumerate(names):
        x = 0.5 + i * w
        box(x + 0.1, 3.2, w - 0.3, 0.7, "dense ReLU x3\n(Eq 4)", "#f7e3c6")
        box(x + 0.1, 4.2, w - 0.3, 0.7, "attention\n(Eq 5-7)", "#f4cfa6")
        box(x + 0.1, 5.2, w - 0.3, 0.7, f"softmax (Eq 8)\n{nm}", "#f2b8b8")
        for y0, y1 in ((2.9, 3.2), (3.9, 4.2), (4.9, 5.2)):
            ax.annotate("", (x + w / 2 - 0.05, y1), (x + w / 2 - 0.05, y0),
                        arrowprops={"arrowstyle": "->", "lw": 0.8})
    for x in (2.65, 7.35):
        ax.annotate("", (x, 1.3), (x, 0.9), arrowprops={"arrowstyle": "->", "lw": 0.8})
        ax.annotate("", (x, 2.4), (x, 2.1), arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_title("H2SEA: loss = sum_n lambda_n L_n (Eq 10-11) + alpha ||Theta||^2", fontsize=9)
    return ax.figure


def plot_training_curves(histories: Mapping[str, pd.DataFrame], ax=None):
    """Training and validation loss per epoch, one line pair per model."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for i, (name, h) in enumerate(histories.items()):
        c = f"C{i}"
        ax.plot(h["epoch"], h["train_loss"], color=c, ls="--", label=f"{name} train")
        ax.plot(h["epoch"], h["val_loss"], color=c, label=f"{name} validation")
        best = h["val_loss"].idxmin()
        ax.scatter([h.loc[best, "epoch"]], [h.loc[best, "val_loss"]], color=c, zorder=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (Eq 11, weighted)")
    ax.legend(fontsize=7)
    return ax.figure


def plot_method_bars(table: pd.DataFrame, metric: str = "f1", paper: pd.DataFrame | None = None):
    """Bars of ``metric`` per task and method (error bars = std), paper values as dots."""
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if t in set(table["task"])]
    methods = [m for m in METHODS if m in set(table["method"])]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(methods)
    for j, m in enumerate(methods):
        sub = table[table["method"] == m].set_index("task").reindex(tasks)
        x = np.arange(len(tasks)) + (j - (len(methods) - 1) / 2) * width
        std = sub.get(f"{metric}_std")
        ax.bar(x, sub[metric], width, yerr=std, label=m, color=f"C{j}", alpha=0.85)
        if paper is not None:
            ps = paper[paper["method"] == m].set_index("task").reindex(tasks)
            ax.scatter(x, ps[metric], color="k", marker="_", s=120, zorder=3,
                       label="paper" if j == 0 else None)
    ax.set_xticks(np.arange(len(tasks)), tasks)
    ax.set_ylabel(metric)
    ax.legend(fontsize=7, ncol=4)
    return fig


def plot_sensitivity(res: pd.DataFrame, metric: str = "f1", xlabel: str = "setting"):
    """Mean ``metric`` per setting and task (lines), from :func:`sensitivity`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    order = list(dict.fromkeys(res["setting"]))
    g = res.groupby(["task", "setting"])[metric].agg(["mean", "std"]).reset_index()
    for i, t in enumerate([t for t in TASKS if t in set(g["task"])]):
        s = g[g["task"] == t].set_index("setting").reindex(order)
        ax.errorbar(range(len(order)), s["mean"], yerr=s["std"], label=t, color=f"C{i}", marker="o",
                    capsize=3)
    ax.set_xticks(range(len(order)), order, rotation=20, fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
    return fig


def family_ranks(importance: pd.DataFrame) -> pd.DataFrame:
    """Rank (1 = best score) of every family per task, as ``feature x task``."""
    r = importance.assign(rank=importance.groupby("task")["score"].rank(
        ascending=False, method="first").astype(int))
    return r.pivot(index="feature", columns="task", values="rank")


def table4_verdict(top: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: best single family in the book and the paper, and how many of the
    top families the two lists share."""
    book = top.groupby("task")["feature"].apply(set)
    pap = paper.groupby("task")["feature"].apply(set)
    out = pd.DataFrame({
        "book_first": top[top["rank"] == 1].set_index("task")["feature"],
        "paper_first": paper[paper["rank"] == 1].set_index("task")["feature"],
    })
    out["shared_top"] = [len(book.get(t, set()) & pap.get(t, set())) for t in out.index]
    return out.reindex([t for t in TASKS if t in out.index])


def plot_family_heatmap(importance: pd.DataFrame, families: Sequence[str]):
    """Heat map of the combined score (F1 + AUC + G-Mean) per family and task."""
    import matplotlib.pyplot as plt

    wide = importance.pivot(index="feature", columns="task", values="score").reindex(families)
    wide = wide[[t for t in TASKS if t in wide.columns]]
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(wide.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(wide.shape[1]), wide.columns, rotation=20, fontsize=8)
    ax.set_yticks(range(wide.shape[0]), wide.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="F1 + AUC + G-Mean")
    return fig


def table5_side_by_side(table: pd.DataFrame, paper_wide: pd.DataFrame) -> pd.DataFrame:
    """Table 5 of the book (long) beside the paper's (wide: dataset x task):
    ``dataset, task, f1, change_ratio_pct, change_ratio_pct_paper, diff``."""
    paper = paper_wide.melt(id_vars="dataset", var_name="task", value_name="change_ratio_pct_paper")
    side = table.merge(paper, on=["dataset", "task"], how="left")
    side["diff"] = side["change_ratio_pct"] - side["change_ratio_pct_paper"]
    return side


def plot_change_ratios(side: pd.DataFrame):
    """Change ratios of city-only and village-only (book: circles, paper: crosses)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    sub = side[side["dataset"] != "city+village"]
    tasks = [t for t in TASKS if t in set(sub["task"])]
    for i, (name, s) in enumerate(sub.groupby("dataset")):
        s = s.set_index("task").reindex(tasks)
        ax.plot(range(len(tasks)), s["change_ratio_pct"], "o-", color=f"C{i}", label=f"{name} (book)")
        ax.plot(range(len(tasks)), s["change_ratio_pct_paper"], "x--", color=f"C{i}",
                label=f"{name} (paper)")
    ax.axhline(100, color="grey", lw=0.5)
    ax.set_xticks(range(len(tasks)), tasks, rotation=15, fontsize=8)
    ax.set_ylabel("F1 change ratio (%)")
    ax.legend(fontsize=7)
    return fig
