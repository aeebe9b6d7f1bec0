"""Tables and figures of chapters 13 (what a home gives away) and 14 (your profile).

Every number shown is computed from the attacker's outcomes, the chain and the
profile check, or read from ``data/reference``.

Examples
--------
>>> label_baselines(pd.DataFrame({"task": ["education"], "majority_share": [0.5]}))["label"].tolist()
['education: majority 0.50']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exposure.estimator import ExposureReport
from ..exposure.risk import RISK_EDGES, RISK_LEVELS
from ..h2sea.features import TASKS
from ..io import load_reference
from .disclosure import LADDER
from .exposure import BinSpec
from .summary import SHARE, summarise_splits

__all__ = [
    "attacker_choices",
    "test_scores",
    "label_baselines",
    "task_baselines",
    "exposure_by_feature",
    "plot_privacy_utility",
    "plot_exposure_by_feature",
    "plot_chain",
    "mapping_examples",
    "book_vs_paper",
    "plot_profile_variants",
]


def attacker_choices(validation: pd.DataFrame) -> pd.DataFrame:
    """Per task: how often each candidate was chosen over the splits, and its validation F1.

    Parameters
    ----------
    validation : DataFrame
        ``split, task, method, val_f1, chosen`` (bool), one row per split, task and
        candidate (:func:`homelib.home.attacker.run_attack`).

    Returns
    -------
    DataFrame
        ``task, method, val_f1`` (mean over splits), ``chosen`` (splits in which it won)
        and ``splits``.

    Examples
    --------
    >>> v = pd.DataFrame({"split": [0, 0, 1, 1], "task": "education",
    ...                   "method": ["LR", "XGBoost"] * 2, "val_f1": [0.4, 0.5, 0.45, 0.44],
    ...                   "chosen": [False, True, True, False]})
    >>> attacker_choices(v)[["method", "chosen", "splits"]].values.tolist()
    [['LR', 1, 2], ['XGBoost', 1, 2]]
    """
    v = validation.copy()
    g = v.groupby(["task", "method"], sort=False).agg(val_f1=("val_f1", "mean"),
                                                      chosen=("chosen", "sum"))
    g["splits"] = v["split"].nunique()
    return g.reset_index()


def test_scores(outcomes: pd.DataFrame, disclosure: str = "exact") -> pd.DataFrame:
    """Test accuracy and macro-F1 of the attacker per task (mean and interval over splits).

    Parameters
    ----------
    outcomes : DataFrame
        ``split, disclosure, task, level, predicted, correct`` per test person.
    disclosure : str
        The disclosure scored (the exact home by default).

    Returns
    -------
    DataFrame
        ``task, f1, f1_ci_low, f1_ci_high, accuracy, accuracy_ci_low, accuracy_ci_high,
        splits`` (intervals cut to [0, 1]).

    Examples
    --------
    >>> o = pd.DataFrame({"split": [0, 0, 1, 1], "disclosure": "exact", "task": "education",
    ...                   "level": [0, 1, 0, 2], "predicted": [0, 1, 1, 2]})
    >>> o["correct"] = o.level == o.predicted
    >>> s = test_scores(o)
    >>> float(s.accuracy.iloc[0]), float(s.accuracy_ci_high.iloc[0]), int(s.splits.iloc[0])
    (0.75, 1.0, 2)
    """
    from sklearn.metrics import f1_score

    o = outcomes[outcomes["disclosure"] == disclosure]
    if o.empty:
        raise ValueError(f"outcomes: no rows of disclosure {disclosure!r}")
    rows = []
    for (task, split), sub in o.groupby(["task", "split"], sort=False):
        rows.append({"task": task, "split": split, "accuracy": float(sub["correct"].mean()),
                     "f1": float(f1_score(sub["level"], sub["predicted"], average="macro",
                                          labels=[0, 1, 2], zero_division=0))})
    return summarise_splits(pd.DataFrame(rows), ["task"], ["f1", "accuracy"],
                            bounds={"f1": SHARE, "accuracy": SHARE})


def task_baselines(y: pd.DataFrame) -> pd.DataFrame:
    """What an attacker knowing only the class shares gets right, per task.

    ``majority_share``: always guess the commonest level; ``random_share``: guess at
    random with the class shares (the sum of squared shares).

    Parameters
    ----------
    y : DataFrame
        One column of levels 0-2 per task (missing levels are left out).

    Returns
    -------
    DataFrame
        ``task, majority_share, random_share``.

    Examples
    --------
    >>> task_baselines(pd.DataFrame({"education": [0, 0, 1, 2]})).values.tolist()
    [['education', 0.5, 0.375]]
    """
    rows = []
    for t in y.columns:
        lab = pd.to_numeric(y[t], errors="coerce").dropna().astype(int)
        p = np.bincount(lab, minlength=3) / max(len(lab), 1)
        rows.append({"task": t, "majority_share": float(p.max()), "random_share": float((p ** 2).sum())})
    return pd.DataFrame(rows)


def label_baselines(baselines: pd.DataFrame) -> pd.DataFrame:
    """Add a legend ``label`` to :func:`task_baselines` rows.

    Parameters
    ----------
    baselines : DataFrame
        :func:`task_baselines` output.

    Returns
    -------
    DataFrame
        The same rows with ``label``.

    Examples
    --------
    >>> label_baselines(pd.DataFrame({"task": ["occupation"], "majority_share": [0.612]})).label[0]
    'occupation: majority 0.61'
    """
    return baselines.assign(label=[f"{t}: majority {m:.2f}" for t, m in
                                   zip(baselines["task"], baselines["majority_share"], strict=True)])


def exposure_by_feature(table: pd.DataFrame, bins: BinSpec | None = None) -> pd.DataFrame:
    """Share of correct inferences by each exposure feature's values, per task.

    Parameters
    ----------
    table : DataFrame
        Per test person and task: ``task, correct, poi_count, confidence, has_sale_2km,
        has_rent_2km, urban_type, is_city`` (:func:`homelib.home.exposure.exposure_groups`'s
        input).
    bins : BinSpec, optional
        Widths of the POI-density and confidence bins.

    Returns
    -------
    DataFrame
        ``feature, value, task, n, ep``.

    Examples
    --------
    >>> t = pd.DataFrame({"task": "education", "correct": [True, False, True],
    ...                   "poi_count": [5, 50, 500], "confidence": [0.9, 0.4, 0.7],
    ...                   "has_sale_2km": [True, False, True], "has_rent_2km": True,
    ...                   "urban_type": ["urban", "rural", "urban"], "is_city": [True, False, True]})
    >>> e = exposure_by_feature(t)
    >>> e[e.feature == "city vs village"][["value", "n", "ep"]].values.tolist()
    [['city', 2, 1.0], ['village', 1, 0.0]]
    """
    bins = bins or BinSpec()
    t = table.copy()
    t["POI density (log10 bin)"] = bins.poi_bin(t["poi_count"]) * bins.poi_width
    t["confidence (bin)"] = (bins.conf_bin(t["confidence"]) + 0.5) * bins.conf_width
    t["housing price coverage"] = t["has_sale_2km"].map({True: "listings", False: "none"})
    t["renting coverage"] = t["has_rent_2km"].map({True: "listings", False: "none"})
    t["city vs village"] = t["is_city"].map({True: "city", False: "village"})
    rows = []
    for f in ("housing price coverage", "renting coverage", "urban_type", "city vs village",
              "POI density (log10 bin)", "confidence (bin)"):
        g = t.groupby([f, "task"], sort=True)["correct"].agg(["size", "mean"]).reset_index()
        g.columns = ["value", "task", "n", "ep"]
        rows.append(g.assign(feature=f.replace("urban_type", "urban type")))
    return pd.concat(rows, ignore_index=True)[["feature", "value", "task", "n", "ep"]]


def plot_privacy_utility(whatif: pd.DataFrame, baselines: pd.DataFrame | None = None):
    """Exposure probability against utility, one line per task along the disclosures.

    Intervals across splits as error bars, the majority-share baselines dotted, the
    risk-level edges (PFLI Table 3) in grey.

    Parameters
    ----------
    whatif : DataFrame
        The ``home_exposure.csv`` table with its interval columns
        (:func:`homelib.home.summary.whatif_table`).
    baselines : DataFrame, optional
        :func:`task_baselines` output.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> w = pd.DataFrame({"task": "education", "disclosure": ["exact", "city"],
    ...                   "exposure_probability": [0.6, 0.45], "ci_low": [0.5, 0.4],
    ...                   "ci_high": [0.7, 0.5], "utility": [1.0, 0.1]})
    >>> fig = plot_privacy_utility(w, task_baselines(pd.DataFrame({"education": [0, 0, 1]})))
    >>> float(fig.axes[0].get_ylim()[1]), fig.axes[0].get_legend().get_texts()[0].get_text()
    (1.0, 'education')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8))
    order = [d for d in LADDER if d in set(whatif["disclosure"])]
    colors = dict(zip(TASKS, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for task, sub in whatif.groupby("task", sort=False):
        sub = sub.set_index("disclosure").loc[[d for d in order if d in set(sub["disclosure"])]]
        c = colors.get(task)
        lo = (sub["exposure_probability"] - sub["ci_low"]).clip(lower=0).fillna(0)
        hi = (sub["ci_high"] - sub["exposure_probability"]).clip(lower=0).fillna(0)
        # an array, not a list of Series: with one disclosure (a folder) matplotlib would call
        # float() on a one-element Series
        ax.errorbar(sub["utility"], sub["exposure_probability"],
                    yerr=np.vstack([lo.to_numpy(float), hi.to_numpy(float)]), marker="o",
                    capsize=3, label=task, color=c, alpha=0.9)
        if baselines is not None and task in set(baselines["task"]):
            m = float(baselines.set_index("task").loc[task, "majority_share"])
            ax.axhline(m, color=c, ls=":", lw=1)
    first = whatif[whatif["task"] == whatif["task"].iloc[0]].set_index("disclosure")
    for d in order:
        if d in first.index:
            ax.annotate(d, (first.loc[d, "utility"], first.loc[d, "exposure_probability"]),
                        textcoords="offset points", xytext=(4, 6), fontsize=7)
    for e in RISK_EDGES:
        ax.axhline(e, color="0.8", lw=0.6, zorder=0)
    ax.set(xlabel="utility: share of homes whose 2 km POI count is kept within the tolerance",
           ylabel="exposure probability (share inferred correctly)", xlim=(-0.02, 1.05),
           ylim=(0, 1))
    ax.legend(fontsize="small", loc="lower right", title="task (dotted: majority share)",
              title_fontsize="small")
    fig.tight_layout()
    return fig


def plot_exposure_by_feature(by_feature: pd.DataFrame, min_n: int = 10):
    """Share of correct inferences by each exposure feature (one panel per feature).

    Parameters
    ----------
    by_feature : DataFrame
        :func:`exposure_by_feature` output.
    min_n : int
        Values with fewer test outcomes are not drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> b = pd.DataFrame({"feature": ["city vs village"] * 2, "value": ["city", "village"],
    ...                   "task": "education", "n": [30, 20], "ep": [0.6, 0.5]})
    >>> fig = plot_exposure_by_feature(b)
    >>> fig.axes[0].get_title(), sum(ax.axison for ax in fig.axes)  # one panel drawn
    ('city vs village', 1)
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = by_feature[by_feature["n"] >= min_n].copy()
    d["value"] = d["value"].astype(str)
    feats = list(dict.fromkeys(d["feature"]))
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharey=True)
    for ax, f in zip(axes.ravel(), feats, strict=False):
        sub = d[d["feature"] == f]
        sns.barplot(data=sub, x="value", y="ep", hue="task", hue_order=list(TASKS), ax=ax,
                    legend=ax is axes.ravel()[0])
        ax.set(title=f, xlabel="", ylabel="share inferred correctly", ylim=(0, 1))
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    if axes.ravel()[0].get_legend() is not None:
        axes.ravel()[0].legend(fontsize=6, title=None, loc="upper left")
    for ax in axes.ravel()[len(feats):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_chain(summary: pd.DataFrame):
    """City exposure and chained income exposure after each hiding, with intervals.

    Parameters
    ----------
    summary : DataFrame
        :func:`homelib.home.chain.chain_over_splits`'s summary: ``hide``, ``city_exposed,
        p_income, p_both, p_prior_only`` and their ``_ci_low`` / ``_ci_high``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> cols = ["city_exposed", "p_income", "p_both"]
    >>> s = pd.DataFrame({"hide": ["", "F"], "city_exposed": [0.5, 0.2], "p_income": [0.4, 0.35],
    ...                   "p_both": [0.25, 0.1], "p_prior_only": [0.33, 0.33]})
    >>> s = s.assign(**{f"{c}_{b}": s[c] for c in cols for b in ("ci_low", "ci_high")})
    >>> fig = plot_chain(s)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['nothing', 'hide F']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    s = summary.copy()
    s["label"] = s["hide"].replace({"": "nothing"}).map(lambda h: h if h == "nothing" else f"hide {h}")
    x = np.arange(len(s))
    fig, ax = plt.subplots(figsize=(9, 4))
    for j, (col, name) in enumerate((("city_exposed", "city exposed (error < K)"),
                                     ("p_income", "income level inferred"),
                                     ("p_both", "both (the chain)"))):
        lo = (s[col] - s[f"{col}_ci_low"]).clip(lower=0).fillna(0)
        hi = (s[f"{col}_ci_high"] - s[col]).clip(lower=0).fillna(0)
        ax.bar(x + (j - 1) * 0.27, s[col], width=0.27, yerr=[lo, hi], capsize=2, label=name)
    prior = float(s["p_prior_only"].mean())
    ax.axhline(prior, color="k", ls=":", lw=1, label="income, prior-only attacker")
    ax.set_xticks(x, s["label"], rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="share of LN users (expected)", ylim=(0, 1))
    ax.legend(fontsize="small", ncols=2)
    fig.tight_layout()
    return fig


def mapping_examples(mapping: pd.Series, places: pd.DataFrame, sizes: pd.Series,
                     n: int = 8) -> pd.DataFrame:
    """The ``n`` most populous social-world places and the survey cities they map to.

    Parameters
    ----------
    mapping : Series
        Social-world place index -> survey city (:mod:`homelib.home.places`).
    places : DataFrame
        ``name, country, population`` per social-world place.
    sizes : Series
        Survey city -> households.
    n : int
        Rows shown.

    Returns
    -------
    DataFrame
        ``place, country, population, survey city, survey city households``.

    Examples
    --------
    >>> pl = pd.DataFrame({"name": ["Lyon", "Paris"], "country": "FR", "population": [5e5, 2e6]})
    >>> t = mapping_examples(pd.Series(["Wuhan", "Shanghai"]), pl, pd.Series({"Wuhan": 90, "Shanghai": 120}), n=1)
    >>> t.values.tolist()
    [['Paris', 'FR', 2000000.0, 'Shanghai', 120]]
    """
    top = places.sort_values("population", ascending=False).head(n)
    return pd.DataFrame({"place": top["name"].to_numpy(), "country": top["country"].to_numpy(),
                         "population": top["population"].to_numpy(),
                         "survey city": mapping.loc[top.index].to_numpy(),
                         "survey city households": sizes.loc[mapping.loc[top.index]].to_numpy()})


def book_vs_paper(models: pd.DataFrame, scores: pd.DataFrame, whatif: pd.DataFrame) -> pd.DataFrame:
    """The closing table of chapter 13: what each paper measured, and this chapter's analogue.

    Rows: PFLI Table 5 (RDF and linear exposure models, MAE) beside the home
    exposure models; H2SEA Table 3 (the best published macro-F1 per task)
    beside the attacker's test macro-F1; H2SEA Table 4 (F1 without the names
    family) has no direct analogue, so the no-names disclosure's exposure
    change is shown on its own.

    Parameters
    ----------
    models : DataFrame
        ``model, mae`` of the home exposure models (RDF, LinearRegression).
    scores : DataFrame
        :func:`test_scores` output.
    whatif : DataFrame
        The ``home_exposure.csv`` table.

    Returns
    -------
    DataFrame
        ``quantity, paper, book, note``.

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["RDF", "LinearRegression"], "mae": [0.05, 0.08]})
    >>> sc = pd.DataFrame({"task": ["education"], "f1": [0.45]})
    >>> w = pd.DataFrame({"task": "education", "disclosure": ["exact", "no_names"],
    ...                   "exposure_probability": [0.60, 0.55]})
    >>> t = book_vs_paper(m, sc, w)
    >>> len(t), round(float(t.book.iloc[-1]), 2)
    (4, -0.05)
    """
    pfli = load_reference("pfli_table5_6_exposure_model.csv").set_index("model")
    h2 = load_reference("h2sea_table3_performance.csv")
    m = models.set_index("model")
    rows = []
    for name in ("RDF", "LinearRegression"):
        rows.append({"quantity": f"exposure model {name}: cross-validated MAE",
                     "paper": float(pfli.loc[name, "mae"]),
                     "book": float(m.loc[name, "mae"]) if name in m.index else np.nan,
                     "note": "paper: current city (PFLI Table 5); book: socioeconomic levels"})
    sc = scores.set_index("task")
    for t in [t for t in TASKS if t in sc.index]:
        best = h2[h2["task"] == t].sort_values("f1", ascending=False).iloc[0]
        rows.append({"quantity": f"{t}: macro-F1 of the attacker (test)",
                     "paper": float(best["f1"]), "book": float(sc.loc[t, "f1"]),
                     "note": f"paper: best of Table 3 ({best['method']}); book: best on validation"})
    w = whatif.set_index(["task", "disclosure"])["exposure_probability"]
    for t in [t for t in TASKS if (t, "exact") in w.index and (t, "no_names") in w.index]:
        rows.append({"quantity": f"{t}: exposure change when names and zip are hidden",
                     "paper": np.nan, "book": float(w[(t, "no_names")] - w[(t, "exact")]),
                     "note": "not in the papers (H2SEA Table 4 ranks the name families)"})
    return pd.DataFrame(rows)


def plot_profile_variants(report: ExposureReport, target_level: int | None = None):
    """EP of the 8 hiding variants of one profile, on the risk-level bands (PFLI Table 3).

    Parameters
    ----------
    report : ExposureReport
        :func:`homelib.exposure.estimator.exposure_report` of the profile.
    target_level : int, optional
        Draw the upper edge of this level (dashed).

    Returns
    -------
    matplotlib.figure.Figure
        Red: the profile now; green: the suggested change.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from homelib.exposure.estimator import exposure_report
    >>> from homelib.exposure.simulated import example_estimator
    >>> r = exposure_report(1, 100.0, estimator=example_estimator(), target_level=1)
    >>> fig = plot_profile_variants(r, target_level=1)
    >>> len(fig.axes[0].containers[0])  # one bar per hiding variant
    8
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    v = report.variants
    fig, ax = plt.subplots(figsize=(8, 3.6))
    edges = (0.0, *RISK_EDGES, 1.0)
    shades = ["#e8f5e9", "#f1f8e9", "#fffde7", "#fff3e0", "#ffebee"]
    for lv, lo, hi, c in zip(RISK_LEVELS, edges[:-1], edges[1:], shades, strict=True):
        ax.axhspan(lo, hi, color=c, zorder=0)
        ax.text(len(v) - 0.45, (lo + hi) / 2, f"level {lv}", va="center", fontsize=7)
    colors = ["#c62828" if i == 0 else "#546e7a" for i in range(len(v))]
    if report.suggestion is not None:
        pos = int(np.flatnonzero(v["hide"].to_numpy() == report.suggestion["hide"])[0])
        colors[pos] = "#2e7d32"
    ax.bar(np.arange(len(v)), v["exposure_probability"], color=colors)
    if target_level is not None:
        ax.axhline(edges[target_level], color="k", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(v)), v["setting"], rotation=30, ha="right", fontsize=8)
    ax.set(ylabel=f"EP@{report.k_km:g} km", ylim=(0, 1), xlim=(-0.6, len(v) + 0.4))
    fig.tight_layout()
    return fig
