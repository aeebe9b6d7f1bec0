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
    """Per task: how often each candidate was chosen over the splits, and its mean
    validation macro-F1."""
    v = validation.copy()
    g = v.groupby(["task", "method"], sort=False).agg(val_f1=("val_f1", "mean"),
                                                      chosen=("chosen", "sum"))
    g["splits"] = v["split"].nunique()
    return g.reset_index()


def test_scores(outcomes: pd.DataFrame, disclosure: str = "exact") -> pd.DataFrame:
    """Test accuracy and macro-F1 of the attacker per task (mean and interval over splits)."""
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
    """What an attacker knowing only the class shares gets right, per task:
    ``majority_share`` (always guess the commonest level) and ``random_share``
    (guess at random with the class shares: the sum of squared shares)."""
    rows = []
    for t in y.columns:
        lab = pd.to_numeric(y[t], errors="coerce").dropna().astype(int)
        p = np.bincount(lab, minlength=3) / max(len(lab), 1)
        rows.append({"task": t, "majority_share": float(p.max()), "random_share": float((p ** 2).sum())})
    return pd.DataFrame(rows)


def label_baselines(baselines: pd.DataFrame) -> pd.DataFrame:
    """Add a legend ``label`` to :func:`task_baselines` rows."""
    return baselines.assign(label=[f"{t}: majority {m:.2f}" for t, m in
                                   zip(baselines["task"], baselines["majority_share"], strict=True)])


def exposure_by_feature(table: pd.DataFrame, bins: BinSpec | None = None) -> pd.DataFrame:
    """Share of correct inferences by each exposure feature's values, per task.

    Returns ``feature, value, task, n, ep``.
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
    """Exposure probability against utility, one line per task along the disclosures,
    with intervals across splits (bars) and the majority-share baselines (dotted)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8))
    order = [d for d in LADDER if d in set(whatif["disclosure"])]
    colors = dict(zip(TASKS, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for task, sub in whatif.groupby("task", sort=False):
        sub = sub.set_index("disclosure").loc[[d for d in order if d in set(sub["disclosure"])]]
        c = colors.get(task)
        lo = (sub["exposure_probability"] - sub["ci_low"]).clip(lower=0).fillna(0)
        hi = (sub["ci_high"] - sub["exposure_probability"]).clip(lower=0).fillna(0)
        ax.errorbar(sub["utility"], sub["exposure_probability"], yerr=[lo, hi], marker="o",
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
    """Share of correct inferences by each exposure feature (one panel per feature)."""
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
    """City exposure and chained income exposure after each hiding, with intervals."""
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
    """The ``n`` most populous social-world places and the survey cities they map to."""
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
    """EP of the 8 hiding variants of one profile, on the risk-level bands (PFLI Table 3)."""
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
