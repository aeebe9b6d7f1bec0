"""Tables and figures of chapters 03-05 (H2SEA, its baselines, Tables 3-5).

Chapter 03 compares H2SEA with its ablations and baselines (Table 3, the
training curves, the dropout and task-weight sensitivity, the readings of the
paper), chapter 04 ranks the feature families (Table 4) and chapter 05 splits
the people into city and village (Table 5). This module gathers each
chapter's fits into one job list (``chapter03_jobs``, ``chapter05_jobs``), and
turns the results into the side-by-side tables, verdicts, sentences and
figures the chapters show. Notebooks call these; every number shown is
computed from the protocol's results and the papers' tables in
``data/reference``.

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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...io import load_reference
from .. import analyses, protocol
from ..features import price_features
from ..models import METHODS, NEURAL
from ..protocol import METRICS, TASKS, run_protocol
from ..sources import Sources

__all__ = [
    "compare_with_paper",
    "performance_cached",
    "chapter03_jobs",
    "min_gmean_by_repeat",
    "min_gmean_per_repeat",
    "table3_statements",
    "readings_markdown",
    "rent_nearest_anywhere",
    "table3_verdict",
    "plot_architecture",
    "plot_training_curves",
    "plot_method_bars",
    "plot_sensitivity",
    "family_ranks",
    "table4_verdict",
    "table4_statements",
    "table4_data_note",
    "chapter05_jobs",
    "table5_statements",
    "table5_data_note",
    "plot_family_heatmap",
    "table5_side_by_side",
    "plot_change_ratios",
]


def _example_table3() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A made-up book Table 3 and the paper's, for the examples.

    The book's mean F1 is the paper's minus 0.02, except XGBoost's (plus 0.03), so that
    XGBoost leads every task in the book; every ``f1_std`` is 0.01.
    """
    paper = load_reference("h2sea_table3_performance.csv")
    shift = np.where(paper["method"] == "XGBoost", 0.03, -0.02)
    return paper.assign(f1=(paper["f1"] + shift).round(4), f1_std=0.01), paper


def _example_table4() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Made-up single-family scores (three families, two tasks) for the examples.

    Returns the importance table, its top 2 per task
    (:func:`~homelib.h2sea.analyses.top_features`) and the paper's Table 4 on the same tasks.
    """
    tasks = ["personal_income"] * 3 + ["education"] * 3
    families = ["County-income", "POI", "Average housing price"] * 2
    imp = pd.DataFrame({"task": tasks, "feature": families,
                        "f1": [0.48, 0.45, 0.40, 0.30, 0.36, 0.33], "auc": 0.7, "gmean": 0.4,
                        "accuracy": 0.5})
    imp["score"] = analyses.family_score(imp)
    paper = load_reference("h2sea_table4_top_features.csv")
    return imp, analyses.top_features(imp, k=2), paper[paper["task"].isin(set(tasks))]


def _example_table5() -> pd.DataFrame:
    """A made-up book Table 5 (long) on two tasks, for the examples.

    City people are predicted better than everyone (ratios above 100 %), villagers worse.
    """
    f1 = [0.50, 0.45, 0.52, 0.47, 0.46, 0.40]
    return pd.DataFrame({"dataset": np.repeat(["city+village", "city-only", "village-only"], 2),
                         "task": ["personal_income", "education"] * 3, "f1": f1,
                         "change_ratio_pct": [100.0, 100.0, 104.0, 104.44, 92.0, 88.89]})


def compare_with_paper(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str],
                       metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Side-by-side table ``<metric>_book, <metric>_paper, <metric>_diff`` on ``keys``.

    Parameters
    ----------
    ours : DataFrame
        The book's results: ``keys`` and ``metrics`` columns.
    paper : DataFrame
        The paper's, with the same columns.
    keys : sequence of str
        The columns to join on (an outer join: a row of either side is kept).
    metrics : sequence of str
        The metrics compared (default: F1, AUC, G-Mean, accuracy).

    Returns
    -------
    pandas.DataFrame
        ``keys``, then per metric ``<metric>_book, <metric>_paper, <metric>_diff``
        (book minus paper).

    Examples
    --------
    >>> book, paper = _example_table3()  # the book: the paper's F1 - 0.02 (XGBoost + 0.03)
    >>> c = compare_with_paper(book, paper, ["task", "method"], ["f1"])
    >>> c.columns.tolist()
    ['task', 'method', 'f1_book', 'f1_paper', 'f1_diff']
    >>> c[["task", "method", "f1_book", "f1_paper"]].head(1).values.tolist()
    [['education', 'ETNA', 0.4883, 0.5083]]
    """
    m = ours[list(keys) + list(metrics)].merge(paper[list(keys) + list(metrics)], on=list(keys),
                                               how="outer", suffixes=("_book", "_paper"))
    for met in metrics:
        m[f"{met}_diff"] = m[f"{met}_book"] - m[f"{met}_paper"]
    cols = list(keys) + [f"{met}_{s}" for met in metrics for s in ("book", "paper", "diff")]
    return m[cols]


def performance_cached(X: pd.DataFrame, y: pd.DataFrame, key: Mapping[str, Any] | None,
                       methods: Sequence[str], grids, repeats: int, seed: int,
                       base_params=None, n_jobs: int = 1) -> pd.DataFrame:
    """:func:`~homelib.h2sea.protocol.run_protocol` with every fit cached.

    Parameters
    ----------
    X, y : DataFrame
    key : mapping or None
        Unused (kept for callers): fits are cached by the data's content.
    methods, grids, repeats, seed, base_params
        As in ``run_protocol``.
    n_jobs : int
        Worker processes.

    Returns
    -------
    DataFrame
        Per-repeat results.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> X, y = protocol._example_data()  # 120 people; a noisy price reveals the education level
    >>> with mock.patch.dict(os.environ, {"HOMELIB_ROOT": tempfile.mkdtemp()}):  # scratch cache
    ...     per = performance_cached(X, y, None, ["POP", "LR"], {"LR": {"C": [1.0]}}, 1, 0)
    >>> per[["repeat", "method", "task"]].values.tolist(), per["f1"].round(3).tolist()
    ([[0, 'POP', 'education'], [0, 'LR', 'education']], [0.167, 0.915])
    """
    return run_protocol(X, y, methods, grids, repeats, seed, base_params, n_jobs=n_jobs, cache=True)


def chapter03_jobs(X: pd.DataFrame, y: pd.DataFrame, X_rent: pd.DataFrame, methods: Sequence[str],
                   grid_profile: str, repeats: int, seed: int, max_epochs: int,
                   dropout_values: Sequence[float], lambda_values: Sequence[float],
                   sensitivity_repeats: int) -> list[dict[str, Any]]:
    """Every fit chapter 03 shows, as one list of jobs for ``protocol.run_jobs``.

    Table 3 (``repeats`` splits, grid search), the training curves, the
    dropout and task-weight sensitivity and the readings (all on
    ``sensitivity_repeats`` splits); identical fits appear once.

    Parameters
    ----------
    X, y : DataFrame
    X_rent : DataFrame
        ``X`` with the paper-text rent fallback (:func:`rent_nearest_anywhere`).
    methods : sequence of str
    grid_profile : {"full", "ci"}
    repeats, seed, max_epochs : int
    dropout_values, lambda_values : sequences of float
    sensitivity_repeats : int

    Returns
    -------
    list of dict
        One job per fit (``method, params, parts, seed``, and ``X`` for the rent
        reading).

    Examples
    --------
    >>> X, y = protocol._example_data()  # 120 people, one task
    >>> jobs = chapter03_jobs(X, y, X, ["POP", "LR", "H2SEA"], "ci", repeats=1, seed=0,
    ...                       max_epochs=2, dropout_values=[0.1], lambda_values=[0.5],
    ...                       sensitivity_repeats=1)
    >>> len(jobs), sorted({j["method"] for j in jobs})
    (17, ['H2SEA', 'LR', 'POP'])
    """
    base = {"max_epochs": max_epochs}
    nn = {m: dict(base) for m in NEURAL}
    focus = "personal_income" if "personal_income" in y.columns else y.columns[0]
    lam, lam_labels = analyses.lambda_settings(list(y.columns), focus, lambda_values)
    jobs = protocol.protocol_jobs(y, methods, protocol.default_grids(grid_profile), repeats, seed, nn)[0]
    parts = protocol.stratified_split(y, seed=seed)
    jobs += [{"method": m, "params": dict(base), "parts": parts, "seed": seed}
             for m in NEURAL if m in methods]
    for settings, labels, method, Xj in (
            ([{"dropout": d} for d in dropout_values], [f"d={d}" for d in dropout_values], "H2SEA", None),
            (lam, lam_labels, "H2SEA", None),
            (list(analyses.READINGS.values()), list(analyses.READINGS), "H2SEA", None),
            ([{}], ["rent"], "H2SEA", X_rent),
            (list(analyses.LR_READINGS.values()), list(analyses.LR_READINGS), "LR", None)):
        jobs += analyses.settings_jobs(y, settings, labels, base if method in NEURAL else None,
                                       sensitivity_repeats, seed, method, X=Xj)[0]
    return jobs


def min_gmean_by_repeat(per_repeat: pd.DataFrame) -> pd.DataFrame:
    """The smallest test G-Mean over the repeats, per method and task, and its zeros.

    Also counts the repeats with a G-Mean of 0 (a class never predicted).

    Parameters
    ----------
    per_repeat : DataFrame
        ``run_protocol`` output.

    Returns
    -------
    DataFrame
        ``method, task, gmean_min, zero_gmean_repeats, repeats``.

    Examples
    --------
    >>> per = pd.DataFrame({"method": "H2SEA", "task": "education", "repeat": [0, 1],
    ...                     "gmean": [0.0, 0.4]})
    >>> r = min_gmean_by_repeat(per).iloc[0]
    >>> float(r["gmean_min"]), int(r["zero_gmean_repeats"])
    (0.0, 1)
    """
    g = per_repeat.groupby(["method", "task"], sort=False)["gmean"]
    zero = per_repeat.assign(z=per_repeat["gmean"] <= 0).groupby(["method", "task"], sort=False)["z"].sum()
    out = pd.DataFrame({"gmean_min": g.min(), "zero_gmean_repeats": zero.astype(int),
                        "repeats": g.size()}).reset_index()
    return out


def min_gmean_per_repeat(per_repeat: pd.DataFrame, methods: Sequence[str] | None = None) -> pd.DataFrame:
    """The smallest test G-Mean over the tasks, per repeat (rows) and method (columns).

    A value above 0 means that the method predicted every class of every task
    on that repeat's test split.

    Parameters
    ----------
    per_repeat : DataFrame
        ``run_protocol`` output (``method, task, repeat, gmean``).
    methods : sequence of str, optional
        Columns, in this order (default: every method, in order of appearance).

    Returns
    -------
    DataFrame
        Indexed by ``repeat``, one column per method.

    Examples
    --------
    >>> per = pd.DataFrame({"method": "H2SEA", "task": ["a", "b", "a", "b"],
    ...                     "repeat": [0, 0, 1, 1], "gmean": [0.5, 0.3, 0.0, 0.6]})
    >>> min_gmean_per_repeat(per)["H2SEA"].tolist()
    [0.3, 0.0]
    """
    missing = [c for c in ("method", "task", "repeat", "gmean") if c not in per_repeat.columns]
    if missing:
        raise KeyError(f"per_repeat lacks column(s) {missing}")
    wide = per_repeat.pivot_table(index="repeat", columns="method", values="gmean", aggfunc="min",
                                  sort=False)
    order = list(dict.fromkeys(per_repeat["method"])) if methods is None else list(methods)
    unknown = [m for m in order if m not in wide.columns]
    if unknown:
        raise KeyError(f"methods {unknown} are not in per_repeat")
    return wide[order]


def _fmt_task(t: str) -> str:
    return t.replace("_", " ")


def table3_statements(table: pd.DataFrame, paper: pd.DataFrame) -> dict[str, str]:
    """Sentences about Table 3 computed from the book's and the paper's numbers.

    Each value is one sentence (markdown), named by what it states, so that a
    chapter can glue it and a claims ledger can later replace it.

    Parameters
    ----------
    table : DataFrame
        ``summarise_performance`` output (mean F1 per task and method).
    paper : DataFrame
        ``data/reference/h2sea_table3_performance.csv``.

    Returns
    -------
    dict
        ``beats_pop``, ``book_best``, ``paper_h2sea_margin``, ``neural_vs_boosting``.

    Examples
    --------
    >>> book, paper = _example_table3()  # the book: the paper's F1 - 0.02 (XGBoost + 0.03)
    >>> st = table3_statements(book, paper)
    >>> list(st)
    ['beats_pop', 'book_best', 'paper_h2sea_margin', 'neural_vs_boosting']
    >>> st["beats_pop"]
    'Every learned method has a higher mean macro-F1 than POP on 4 of 4 tasks.'
    """
    tasks = [t for t in TASKS if t in set(table["task"])]
    book = table.pivot(index="task", columns="method", values="f1").reindex(tasks)
    pap = paper.pivot(index="task", columns="method", values="f1").reindex(tasks)
    learned = [m for m in book.columns if m != "POP"]
    out = {}
    if "POP" in book.columns and learned:
        n = int((book[learned].min(axis=1) > book["POP"]).sum())
        out["beats_pop"] = (f"Every learned method has a higher mean macro-F1 than POP on {n} of "
                            f"{len(tasks)} tasks.")
    parts = []
    for t in tasks:
        s = book.loc[t].dropna().sort_values(ascending=False)
        rank = (f"; H2SEA ranks {int(s.index.get_loc('H2SEA')) + 1} of {len(s)} ({s['H2SEA']:.3f})"
                if "H2SEA" in s.index else "")
        parts.append(f"{_fmt_task(t)}: {s.index[0]} ({s.iloc[0]:.3f}){rank}")
    out["book_best"] = "Best mean macro-F1 in the book, per task: " + "; ".join(parts) + "."
    if "H2SEA" in pap.columns:
        others = pap.drop(columns=["H2SEA"])
        margin = 100 * (pap["H2SEA"] - others.max(axis=1))
        over_lr = 100 * (pap["H2SEA"] - pap["LR"]) if "LR" in pap.columns else None
        lr_txt = (f", and over LR by {over_lr.min():.1f}-{over_lr.max():.1f} points"
                  if over_lr is not None else "")
        out["paper_h2sea_margin"] = (
            f"In the paper's Table 3, H2SEA has the best F1 on {int((margin > 0).sum())} of "
            f"{len(tasks)} tasks; it leads the next method by {margin.min():.1f}-{margin.max():.1f} "
            f"F1 points{lr_txt}.")
    neural = [m for m in NEURAL if m in book.columns]
    trees = [m for m in ("LR", "XGBoost") if m in book.columns]
    if neural and trees:
        behind = [t for t in tasks if book.loc[t, neural].max() < book.loc[t, trees].max()]
        out["neural_vs_boosting"] = (
            f"The best neural model ({', '.join(neural)}) is behind the better of "
            f"{' and '.join(trees)} on {len(behind)} of {len(tasks)} tasks"
            + (f" ({', '.join(_fmt_task(t) for t in behind)})." if behind else "."))
    return out


def readings_markdown(summary: pd.DataFrame, book: str = "book") -> str:
    """One line per reading: its validation macro-F1 and smallest G-Mean beside the book's.

    Parameters
    ----------
    summary : DataFrame
        ``homelib.h2sea.analyses.summarise_readings`` output (one method).
    book : str
        Name of the book's reading.

    Returns
    -------
    str
        A markdown list.

    Examples
    --------
    >>> s = pd.DataFrame({"reading": ["book", "x"], "f1": [0.5, 0.45], "gmean_min": [0.4, 0.0],
    ...                   "zero_gmean_repeats": [0.0, 2.0]})
    >>> print(readings_markdown(s))
    - **x**: validation macro-F1 0.450 (book 0.500, -0.050); smallest G-Mean 0.000 (book 0.400); a class never predicted in 2 repeat(s)
    """
    ref = summary.set_index("reading").loc[book]
    lines = []
    for r in summary.itertuples():
        if r.reading == book:
            continue
        zero = (f"; a class never predicted in {int(r.zero_gmean_repeats)} repeat(s)"
                if r.zero_gmean_repeats > 0 else "")
        lines.append(f"- **{r.reading}**: validation macro-F1 {r.f1:.3f} ({book} {ref.f1:.3f}, "
                     f"{r.f1 - ref.f1:+.3f}); smallest G-Mean {r.gmean_min:.3f} ({book} "
                     f"{ref.gmean_min:.3f}){zero}")
    return "\n".join(lines)


def rent_nearest_anywhere(X: pd.DataFrame, sources: Sources) -> pd.DataFrame:
    """``X`` with the rent features recomputed as the paper's text reads.

    Sec 3.2: homes without a listing within 2 km use "the nearest known renting
    prices", at any distance, instead of the book's rule (the nearest within
    10 km, else the city's mean listed rent).

    Parameters
    ----------
    X : DataFrame
        The book's feature table (indexed by ``person_id``).
    sources : Sources
        The collected tables the features were built from.

    Returns
    -------
    DataFrame
        Same index as ``X``; the rent features (``rp_*``) recomputed, the other
        columns as in ``X``. For the book's feature table, the same columns.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> homes = pd.DataFrame({"person_id": [1, 2], "lat": [30.0, 31.0], "lon": [120.0, 120.0],
    ...                       "city": "A"})
    >>> rent = pd.DataFrame({"lat": [30.001], "lon": [120.0], "city": ["A"], "price": [50.0]})
    >>> X = pd.DataFrame({"hp_mean": [2e4, 3e4]}, index=pd.Index([1, 2], name="person_id"))
    >>> out = rent_nearest_anywhere(X, SimpleNamespace(homes=homes, rent=rent))  # as Sources
    >>> out[["rp_count", "rp_mean", "rp_fill_nearest", "rp_fill_city"]].values.tolist()
    [[1.0, 50.0, 0.0, 0.0], [0.0, 50.0, 1.0, 0.0]]

    Person 2 lives 111 km from the only listing: the book's rule would give the
    city's mean rent (``rp_fill_city``), the paper's text the nearest listing.
    """
    homes = sources.homes.set_index("person_id").reindex(X.index)
    city_rent = sources.rent.groupby("city").price.mean()
    rp = price_features(homes.lat.to_numpy(), homes.lon.to_numpy(), homes.city.to_numpy(),
                        sources.rent, city_rent, "rp", fallback_km=np.inf)
    rp.index = X.index
    out = X.copy()
    out[rp.columns] = rp
    return out



def table3_verdict(table: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: H2SEA's F1, its rank, its gains and the best method, in the book and the paper.

    The gains are over ETNA (what the feature interactions add), H2SEA-NA
    (what the attention adds) and POP.

    Parameters
    ----------
    table : DataFrame
        The book's Table 3 (``task, method, f1``; mean F1 per task and method).
    paper : DataFrame
        The paper's (``data/reference/h2sea_table3_performance.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per task (in :data:`~homelib.h2sea.protocol.TASKS` order): ``task``
        and, for ``src`` in book and paper, ``H2SEA_f1_<src>, H2SEA_rank_<src>,
        best_<src>, gain_vs_ETNA_<src>, gain_vs_NA_<src>, gain_vs_POP_<src>``.

    Examples
    --------
    >>> book, paper = _example_table3()  # the book: the paper's F1 - 0.02 (XGBoost + 0.03)
    >>> v = table3_verdict(book, paper)
    >>> v[["task", "H2SEA_rank_book", "best_book", "H2SEA_rank_paper", "best_paper"]].head(1).values.tolist()
    [['personal_income', 2, 'XGBoost', 1, 'H2SEA']]
    """
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
    """Draw H2SEA (Fig 2 of the paper, redrawn).

    From the bottom: the inputs, the field embeddings and FM (Eq 3), the shared
    embedding, then per task the dense layers (Eq 4), the attention (Eq 5-7) and
    the softmax output (Eq 8).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 9 x 5 in figure).
    n_tasks : int
        Task columns drawn (at most 4).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_architecture(n_tasks=2)
    >>> fig.axes[0].get_title()
    'H2SEA: loss = sum_n lambda_n L_n (Eq 10-11) + alpha ||Theta||^2'
    >>> plt.close(fig)
    """
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


def plot_training_curves(histories: Mapping[str, pd.DataFrame]):
    """Loss (left) and validation macro-F1 (right) per epoch, one colour per model.

    Dots mark the epoch with the lowest validation loss (left) and the epoch
    kept (right: the best mean validation macro-F1).

    Parameters
    ----------
    histories : mapping of str to DataFrame
        Model name -> its training history (``epoch, train_loss, val_loss,
        val_f1``), e.g. from :func:`homelib.h2sea.analyses.training_curves`.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels; per model a dashed training and a solid validation loss
        line on the left, the validation macro-F1 on the right.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> h = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [1.0, 0.8, 0.7],
    ...                   "val_loss": [1.1, 0.9, 1.0], "val_f1": [0.3, 0.4, 0.35]})
    >>> fig = plot_training_curves({"H2SEA": h})
    >>> len(fig.axes[0].lines), fig.axes[1].get_ylabel()
    (2, 'validation macro-F1 (mean over tasks)')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for i, (name, h) in enumerate(histories.items()):
        c = f"C{i}"
        ax.plot(h["epoch"], h["train_loss"], color=c, ls="--", label=f"{name} train")
        ax.plot(h["epoch"], h["val_loss"], color=c, label=f"{name} validation")
        lo = h["val_loss"].idxmin()
        ax.scatter([h.loc[lo, "epoch"]], [h.loc[lo, "val_loss"]], color=c, zorder=3)
        ax2.plot(h["epoch"], h["val_f1"], color=c, label=name)
        best = h["val_f1"].idxmax()
        ax2.scatter([h.loc[best, "epoch"]], [h.loc[best, "val_f1"]], color=c, zorder=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (Eq 11, with the L2 term)")
    ax.legend(fontsize=7)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("validation macro-F1 (mean over tasks)")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_method_bars(table: pd.DataFrame, metric: str = "f1", paper: pd.DataFrame | None = None):
    """Bars of ``metric`` per task and method (error bars = std), paper values as dots.

    Parameters
    ----------
    table : DataFrame
        The book's Table 3: ``task, method, <metric>`` and optionally
        ``<metric>_std``.
    metric : str
        The metric drawn (``"f1"``, ``"auc"``, ``"gmean"``, ``"accuracy"``).
    paper : DataFrame, optional
        The paper's Table 3, drawn as black marks.

    Returns
    -------
    matplotlib.figure.Figure
        One group of bars per task, one bar per method.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> book, paper = _example_table3()  # six methods on four tasks
    >>> fig = plot_method_bars(book, paper=paper)
    >>> fig.axes[0].get_ylabel(), len(fig.axes[0].patches)
    ('f1', 24)
    >>> plt.close(fig)
    """
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
    """Mean ``metric`` per setting and task (lines, error bars = std over repeats).

    Parameters
    ----------
    res : DataFrame
        :func:`homelib.h2sea.analyses.sensitivity` output (``setting, task,
        <metric>``, one row per repeat); settings are drawn in order of appearance.
    metric : str
        The metric drawn.
    xlabel : str
        Label of the x axis.

    Returns
    -------
    matplotlib.figure.Figure
        One line per task.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> res = pd.DataFrame({"setting": ["d=0.1", "d=0.5"] * 2, "task": "education",
    ...                     "f1": [0.5, 0.6, 0.55, 0.65]})
    >>> fig = plot_sensitivity(res, xlabel="dropout")
    >>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ('dropout', ['d=0.1', 'd=0.5'])
    >>> plt.close(fig)
    """
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
    """Rank (1 = best score) of every family per task, as ``feature x task``.

    Parameters
    ----------
    importance : DataFrame
        :func:`homelib.h2sea.analyses.feature_family_importance` output
        (``task, feature, score``); ties are ranked in order of appearance.

    Returns
    -------
    pandas.DataFrame
        Indexed by family, one column per task.

    Examples
    --------
    >>> imp, _, _ = _example_table4()  # three families, two tasks
    >>> family_ranks(imp)["education"].to_dict()
    {'Average housing price': 2, 'County-income': 3, 'POI': 1}
    """
    r = importance.assign(rank=importance.groupby("task")["score"].rank(
        ascending=False, method="first").astype(int))
    return r.pivot(index="feature", columns="task", values="rank")


def table4_verdict(top: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per task: best single family in the book and the paper, and the top families they share.

    Parameters
    ----------
    top : DataFrame
        The book's top families (:func:`homelib.h2sea.analyses.top_features`:
        ``task, rank, feature``).
    paper : DataFrame
        The paper's (``data/reference/h2sea_table4_top_features.csv``).

    Returns
    -------
    pandas.DataFrame
        Indexed by task (in :data:`~homelib.h2sea.protocol.TASKS` order):
        ``book_first, paper_first, shared_top``.

    Examples
    --------
    >>> _, top, paper = _example_table4()  # the book's top 2; the paper's top 5
    >>> table4_verdict(top, paper).to_dict("index")["education"]
    {'book_first': 'POI', 'paper_first': 'POI', 'shared_top': 2}
    """
    book = top.groupby("task")["feature"].apply(set)
    pap = paper.groupby("task")["feature"].apply(set)
    out = pd.DataFrame({
        "book_first": top[top["rank"] == 1].set_index("task")["feature"],
        "paper_first": paper[paper["rank"] == 1].set_index("task")["feature"],
    })
    out["shared_top"] = [len(book.get(t, set()) & pap.get(t, set())) for t in out.index]
    return out.reindex(_tasks_in_order(top["task"]))


def _tasks_in_order(tasks: Sequence[str]) -> list[str]:
    """The paper's tasks among ``tasks`` in the paper's order, then the others as they come."""
    present = list(dict.fromkeys(tasks))
    return [t for t in TASKS if t in present] + [t for t in present if t not in TASKS]


def table4_data_note(data: str, families: Mapping[str, Sequence[str]], tasks: Sequence[str],
                     left_out: Mapping[str, int]) -> str:
    """What chapter 04 ran on: the simulated world, or a folder's families and tasks.

    Parameters
    ----------
    data : str
        The chapter's ``data`` parameter (``"simulated"`` or a folder).
    families : mapping
        Family -> columns, as run.
    tasks : list of str
        The tasks run.
    left_out : mapping
        Task -> number of classes of the folder's tasks not run.

    Returns
    -------
    str
        One Markdown paragraph.

    Examples
    --------
    >>> table4_data_note("my_table", {"Price": ["p", "q"], "zone": ["zone"]}, ["edu"], {"job": 2})[:62]
    'This run reads the folder `my_table`: its 2 feature families ('
    """
    if data == "simulated":
        return (f"This run uses the simulated survey world (parameter `data`) and the paper's "
                f"{len(families)} families named by the parameter `families`.")
    fams = "; ".join(f"{f} ({', '.join(f'`{c}`' for c in cols)})" for f, cols in families.items())
    left = (" Left out: " + ", ".join(f"{_fmt_task(t)} ({k} classes)" for t, k in left_out.items())
            + ", as the H2SEA models take three classes per task (chapter 03).") if left_out else ""
    return (f"This run reads the folder `{data}`: its {len(families)} feature families (from the "
            f"`family` column of `schema.csv`, a column without one being a family of its own): "
            f"{fams}. Tasks: {', '.join(_fmt_task(t) for t in tasks)}.{left} The paper's Table 4, "
            "set beside the ranking below, and the explanations of this chapter's text describe the "
            "paper's survey and the simulated world: a different table from yours, so the comparison "
            "shows where your ranking differs, not whether either is right.")


def table4_statements(importance: pd.DataFrame, top: pd.DataFrame, paper: pd.DataFrame,
                      anchor: str = "Average housing price") -> dict[str, str]:
    """Sentences about Table 4 computed from the book's and the paper's rankings.

    Parameters
    ----------
    importance : DataFrame
        ``feature_family_importance`` output (all families).
    top : DataFrame
        ``top_features`` output.
    paper : DataFrame
        ``data/reference/h2sea_table4_top_features.csv``.
    anchor : str
        The family the others are compared with.

    Returns
    -------
    dict
        ``first_match``, ``shared_top`` and ``above_anchor`` sentences.

    Examples
    --------
    >>> imp, top, paper = _example_table4()  # three families, two tasks
    >>> st = table4_statements(imp, top, paper)
    >>> st["first_match"]
    "The book's best single family is the paper's on 2 of 2 tasks."
    >>> st["above_anchor"]
    'Families ranked above average housing price on every task: POI.'
    """
    v = table4_verdict(top, paper)
    out = {"first_match": (f"The book's best single family is the paper's on "
                           f"{int((v.book_first == v.paper_first).sum())} of {len(v)} tasks."),
           "shared_top": (f"The two top-{int(top['rank'].max())} lists share "
                          f"{', '.join(f'{_fmt_task(t)} {n}' for t, n in v.shared_top.items())} "
                          "families.")}
    ranks = family_ranks(importance)
    if anchor in ranks.index:
        above = ranks.index[(ranks.lt(ranks.loc[anchor], axis=1)).all(axis=1)].tolist()
        out["above_anchor"] = (f"Families ranked above {anchor.lower()} on every task: "
                               f"{', '.join(above) if above else 'none'}.")
    return out


def chapter05_jobs(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series, grid: Mapping[str, Any],
                   base: Mapping[str, Any], repeats: int, seed: int,
                   families: Mapping[str, Sequence[str]], rank_repeats: int) -> list[dict[str, Any]]:
    """Every fit chapter 05 shows, as one list of jobs for ``protocol.run_jobs``.

    Table 5's retuning per subset and the single-family ranks per subset.

    Parameters
    ----------
    X, y : DataFrame
    is_city : Series
    grid, base : mapping
        H2SEA's grid and shared parameters.
    repeats, seed : int
    families : mapping
    rank_repeats : int

    Returns
    -------
    list of dict
        One job per fit, each with its subset's ``X`` and ``y``.

    Examples
    --------
    >>> X, y = protocol._example_data()  # 120 people, half of them in a city
    >>> is_city = pd.Series(np.arange(120) % 2 == 0, index=X.index)
    >>> jobs = chapter05_jobs(X, y, is_city, {"dropout": [0.1]}, {"max_epochs": 2}, repeats=1,
    ...                       seed=0, families={"Price": ["price"]}, rank_repeats=1)
    >>> [len(j["X"]) for j in jobs]  # per subset: the grid point, then the family
    [120, 120, 60, 60, 60, 60]
    """
    masks = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
             "village-only": ~is_city.to_numpy(bool)}
    jobs = []
    for keep in masks.values():
        Xs, ys = (X, y) if keep.all() else (X[keep], y[keep])
        sub = protocol.protocol_jobs(ys, ["H2SEA"], {"H2SEA": dict(grid)}, repeats, seed,
                                     {"H2SEA": dict(base)})[0]
        jobs += [{**j, "X": Xs, "y": ys} for j in sub]
        if families:
            jobs += analyses.family_jobs(Xs, ys, families, "H2SEA", base, rank_repeats, seed)[0]
    return jobs


def table5_statements(table: pd.DataFrame, paper_wide: pd.DataFrame, coverage: pd.DataFrame,
                      ranks: pd.DataFrame) -> dict[str, str]:
    """Sentences about Table 5 and its explanation, computed from the results.

    Parameters
    ----------
    table : DataFrame
        ``city_village`` table (``dataset, task, f1, change_ratio_pct``).
    paper_wide : DataFrame
        ``data/reference/h2sea_table5_city_village.csv``.
    coverage : DataFrame
        ``housing_coverage`` output.
    ranks : DataFrame
        ``subset_feature_ranks`` output.

    Returns
    -------
    dict
        ``coverage``, ``city_gain`` and, when ranked, ``hp_rank`` sentences.

    Examples
    --------
    >>> table = _example_table5()  # city people predicted better, villagers worse
    >>> paper = load_reference("h2sea_table5_city_village.csv")
    >>> meta = pd.DataFrame({"is_city": [True, True, False, False],
    ...                      "has_sale_price_2km": [True, False, False, False]})
    >>> ranks = pd.DataFrame({"dataset": ["city-only", "village-only"] * 2,
    ...                       "task": np.repeat(["personal_income", "education"], 2),
    ...                       "feature": "Average housing price", "rank": [1, 3, 2, 2]})
    >>> st = table5_statements(table, paper, analyses.housing_coverage(meta), ranks)
    >>> st["coverage"]
    'Sale-listing coverage within 2 km is 50% for city people and 0% for villagers (the paper: 57% and 17%).'
    >>> st["hp_rank"]
    'Average housing price ranks better among city people than among villagers on 1 of 2 tasks (worse on 0).'
    """
    cov = coverage.set_index("dataset")
    out = {"coverage": (
        f"Sale-listing coverage within 2 km is {cov.loc['city-only', 'coverage_pct']:.0f}% for city "
        f"people and {cov.loc['village-only', 'coverage_pct']:.0f}% for villagers (the paper: "
        f"{cov.loc['city-only', 'paper_pct']:.0f}% and {cov.loc['village-only', 'paper_pct']:.0f}%).")}
    book = table.set_index(["dataset", "task"])["change_ratio_pct"]
    pap = paper_wide.melt(id_vars="dataset", var_name="task", value_name="r").set_index(["dataset", "task"])["r"]
    parts = []
    for d in ("city-only", "village-only"):
        if d not in book.index.get_level_values(0):
            continue
        b, p = book.loc[d], pap.loc[d].reindex(book.loc[d].index)
        parts.append(f"{d}: above 100% on {int((b > 100).sum())} of {len(b)} tasks in the book and "
                     f"{int((p > 100).sum())} of {int(p.notna().sum())} in the paper")
    out["city_gain"] = "F1 change ratio " + "; ".join(parts) + "."
    for fam in ("Housing price", "Average housing price"):
        r = ranks[ranks.feature == fam].pivot(index="task", columns="dataset", values="rank")
        if {"city-only", "village-only"} <= set(r.columns):
            better = int((r["city-only"] < r["village-only"]).sum())
            worse = int((r["city-only"] > r["village-only"]).sum())
            out.setdefault("hp_rank", "")
            out["hp_rank"] += (f"{fam} ranks better among city people than among villagers on "
                               f"{better} of {len(r)} tasks (worse on {worse}). ")
    if "hp_rank" in out:
        out["hp_rank"] = out["hp_rank"].strip()
    return out


def table5_data_note(data: str, people: pd.DataFrame, families: Mapping[str, Sequence[str]],
                     hp_family: str, tasks: Sequence[str], left_out: Mapping[str, int]) -> str:
    """What chapter 05 ran on: the simulated world, or a folder's subsets, families and tasks.

    Parameters
    ----------
    data : str
        The chapter's ``data`` parameter (``"simulated"`` or a folder).
    people : DataFrame
        With the boolean ``is_city``.
    families : mapping
        Family -> columns, as ranked within each subset.
    hp_family : str
        The housing-price family.
    tasks : list of str
        The tasks run.
    left_out : mapping
        Task -> number of classes of the folder's tasks not run.

    Returns
    -------
    str
        One Markdown paragraph.

    Examples
    --------
    >>> people = pd.DataFrame({"is_city": [True, False, False]})
    >>> table5_data_note("t", people, {"Price": ["price_mean"]}, "Price", ["edu"], {})[:58]
    'This run reads the folder `t`: 1 city people (`urban_type`'
    """
    if data == "simulated":
        return ("This run uses the simulated survey world (parameter `data`) and the families named "
                "by the parameter `rank_families`.")
    n_city = int(people["is_city"].sum())
    left = (" Left out: " + ", ".join(f"{_fmt_task(t)} ({k} classes)" for t, k in left_out.items())
            + ", as the H2SEA models take three classes per task (chapter 03).") if left_out else ""
    return (f"This run reads the folder `{data}`: {n_city:,} city people (`urban_type` "
            f"`city_center` or `city_border`) and {len(people) - n_city:,} villagers (`rural`). "
            f"Tasks: {', '.join(_fmt_task(t) for t in tasks)}.{left} The families ranked within "
            f"each subset are the {len(families)} of its `schema.csv` ({', '.join(families)}); the "
            f"housing-price family is {hp_family}, the family of `price_mean`, and the coverage is "
            "its `has_sale_price_2km` column. The paper's Table 5 and 57 % / 17 % coverage, set "
            "beside these numbers, and the explanations of this chapter's text describe the paper's "
            "survey and the simulated world, a different table from yours.")


def plot_family_heatmap(importance: pd.DataFrame, families: Sequence[str]):
    """Heat map of the combined score (F1 + AUC + G-Mean) per family and task.

    Parameters
    ----------
    importance : DataFrame
        :func:`homelib.h2sea.analyses.feature_family_importance` output
        (``task, feature, score``).
    families : sequence of str
        The rows, in this order.

    Returns
    -------
    matplotlib.figure.Figure
        Families by tasks (in :data:`~homelib.h2sea.protocol.TASKS` order), with
        a colour bar.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> imp, _, _ = _example_table4()  # three families, two tasks
    >>> fig = plot_family_heatmap(imp, ["POI", "County-income"])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()], fig.axes[1].get_ylabel()
    (['POI', 'County-income'], 'F1 + AUC + G-Mean')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    wide = importance.pivot(index="feature", columns="task", values="score").reindex(families)
    wide = wide[_tasks_in_order(wide.columns)]
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(wide.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(wide.shape[1]), wide.columns, rotation=20, fontsize=8)
    ax.set_yticks(range(wide.shape[0]), wide.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="F1 + AUC + G-Mean")
    return fig


def table5_side_by_side(table: pd.DataFrame, paper_wide: pd.DataFrame) -> pd.DataFrame:
    """Table 5 of the book (long) beside the paper's (wide: dataset x task).

    Parameters
    ----------
    table : DataFrame
        The book's (``dataset, task, f1, change_ratio_pct``).
    paper_wide : DataFrame
        The paper's (``data/reference/h2sea_table5_city_village.csv``: ``dataset``
        and one column per task).

    Returns
    -------
    pandas.DataFrame
        ``table``'s rows with ``change_ratio_pct_paper`` (NaN where the paper has
        no value) and ``diff`` (book minus paper).

    Examples
    --------
    >>> side = table5_side_by_side(_example_table5(),
    ...                            load_reference("h2sea_table5_city_village.csv"))
    >>> side.columns.tolist()[-2:], side["diff"].round(2).tolist()[2:]
    (['change_ratio_pct_paper', 'diff'], [1.31, -3.54, -0.67, 3.32])
    """
    paper = paper_wide.melt(id_vars="dataset", var_name="task", value_name="change_ratio_pct_paper")
    side = table.merge(paper, on=["dataset", "task"], how="left")
    side["diff"] = side["change_ratio_pct"] - side["change_ratio_pct_paper"]
    return side


def plot_change_ratios(side: pd.DataFrame):
    """Change ratios of city-only and village-only (book: circles, paper: crosses).

    Parameters
    ----------
    side : DataFrame
        :func:`table5_side_by_side` output (the ``city+village`` rows are left out).

    Returns
    -------
    matplotlib.figure.Figure
        Per subset a solid (book) and a dashed (paper) line over the tasks, and
        the 100 % line.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> side = table5_side_by_side(_example_table5(),
    ...                            load_reference("h2sea_table5_city_village.csv"))
    >>> fig = plot_change_ratios(side)
    >>> [line.get_label() for line in fig.axes[0].lines[:2]], fig.axes[0].get_ylabel()
    (['city-only (book)', 'city-only (paper)'], 'F1 change ratio (%)')
    >>> plt.close(fig)
    """
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
