"""Like-for-like comparisons with the papers' Tables 4, 7 and 8.

* :func:`table4_aligned`: H2SEA Table 4 aligned by feature family (name), not
  by rank: for every family in the paper's or the book's top five of a task,
  both ranks and all four metrics (accuracy included).
* :func:`table7_cases`: PFLI Table 7's users rebuilt from their published
  characteristics (category, cluster confidence, % friends with attributes, K)
  and run through the exposure model; and, for each, the world's LN user of
  the same category closest to those characteristics, run through the whole
  estimator (its features recomputed through PFLI).
* :func:`u1_like_user` and :func:`table8_u1`: PFLI Table 8 for the world's user
  most like U1.

Examples
--------
>>> top = pd.DataFrame({"task": "t", "feature": ["A", "B"], "f1": [0.5, 0.4], "auc": 0.6,
...                     "gmean": 0.3, "accuracy": 0.5, "score": [1.4, 1.3]})
>>> paper = pd.DataFrame({"task": "t", "rank": [1, 2], "feature": ["B", "C"], "f1": [0.45, 0.4],
...                       "auc": 0.7, "gmean": 0.4, "accuracy": 0.5})
>>> table4_aligned(top, paper)[["feature", "rank_paper", "rank_book"]].values.tolist()
[['B', 1.0, 2.0], ['C', 2.0, nan], ['A', nan, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exposure import estimator as exp_estimator
from ..exposure.risk import risk_levels

__all__ = [
    "U1",
    "table4_aligned",
    "table7_cases",
    "u1_like_user",
    "table8_u1",
]

#: The paper's U1 (Table 7): the user of Table 8.
U1 = {"category": "HT+WE+F", "cluster_confidence": 0.69, "pct_friends_with_attributes": 0.9}
METRICS = ("f1", "auc", "gmean", "accuracy")


def table4_aligned(importance: pd.DataFrame, paper: pd.DataFrame, top_k: int = 5) -> pd.DataFrame:
    """Table 4 aligned by family: every family in either top ``top_k``, with both ranks.

    Parameters
    ----------
    importance : DataFrame
        The book's single-family results of every family: ``task, feature,
        f1, auc, gmean, accuracy, score`` (``feature_family_importance``).
    paper : DataFrame
        ``data/reference/h2sea_table4_top_features.csv``: ``task, rank,
        feature, f1, auc, gmean, accuracy``.
    top_k : int
        How many of the book's families per task to add besides the paper's.

    Returns
    -------
    DataFrame
        ``task, feature, rank_paper, rank_book, <metric>_paper, <metric>_book``
        for the four metrics; the paper's families first (in its rank order),
        then the book's other top families. ``rank_book`` is the family's rank
        among all the book's families (NaN when the book did not run it).

    Raises
    ------
    ValueError
        A column is missing from ``importance`` or ``paper`` (the message names it).

    Examples
    --------
    >>> book = pd.DataFrame({"task": "t", "feature": ["D", "B", "A"], "f1": [0.3, 0.4, 0.5],
    ...                      "auc": 0.6, "gmean": 0.3, "accuracy": [0.31, 0.41, 0.51],
    ...                      "score": [1.2, 1.3, 1.4]})
    >>> paper = pd.DataFrame({"task": "t", "rank": [1, 2], "feature": ["B", "C"], "f1": [0.45, 0.4],
    ...                       "auc": 0.7, "gmean": 0.4, "accuracy": [0.46, 0.42]})
    >>> t = table4_aligned(book, paper, top_k=2)   # D is the book's 3rd: left out
    >>> t[["feature", "rank_paper", "rank_book", "accuracy_paper", "accuracy_book"]].values.tolist()
    [['B', 1.0, 2.0, 0.46, 0.41], ['C', 2.0, nan, 0.42, nan], ['A', nan, 1.0, nan, 0.51]]
    """
    for nm, df, cols in (("importance", importance, ["task", "feature", *METRICS, "score"]),
                         ("paper", paper, ["task", "rank", "feature", *METRICS])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{nm}: missing column(s) {missing}")
    book = importance.copy()
    book["rank"] = book.groupby("task")["score"].rank(ascending=False, method="first")
    rows = []
    for task in dict.fromkeys([*paper["task"], *book["task"]]):
        p = paper[paper["task"] == task].sort_values("rank")
        b = book[book["task"] == task].set_index("feature")
        extra = b[b["rank"] <= top_k].sort_values("rank").index
        order = list(dict.fromkeys([*p["feature"], *[f for f in extra if f not in set(p["feature"])]]))
        pp = p.set_index("feature")
        for f in order:
            row = {"task": task, "feature": f,
                   "rank_paper": float(pp.loc[f, "rank"]) if f in pp.index else np.nan,
                   "rank_book": float(b.loc[f, "rank"]) if f in b.index else np.nan}
            for m in METRICS:
                row[f"{m}_paper"] = float(pp.loc[f, m]) if f in pp.index else np.nan
                row[f"{m}_book"] = float(b.loc[f, m]) if f in b.index else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _distance(f: pd.DataFrame, cc: float, pct: float) -> pd.Series:
    """How unlike (cc, pct) the users are: |cluster confidence difference| + |% difference| / 100."""
    return ((f["cluster_confidence"] - cc).abs()
            + (f["pct_friends_with_attributes"] - pct).abs() / 100)


def table7_cases(estimator: exp_estimator.ExposureEstimator, users: Sequence[int] | np.ndarray,
                 cases: pd.DataFrame) -> pd.DataFrame:
    """PFLI Table 7's cases, rebuilt and run through the estimator.

    Parameters
    ----------
    estimator : ExposureEstimator
        A fitted exposure estimator (its world, PFLI model, clusters and model).
    users : array of int
        Candidate users of ``estimator.world`` (LN users: their city is hidden).
    cases : DataFrame
        ``data/reference/pfli_table7_cases.csv``.

    Returns
    -------
    DataFrame
        One row per case: ``user, category, error_distance_km`` and the
        paper's ``cluster_confidence, pct_friends_with_attributes,
        exposure_probability, risk_level``; ``model_ep``, ``model_level``: the
        exposure model at the paper's features; ``nearest_user``,
        ``nearest_cc``, ``nearest_pct``, ``nearest_ep``, ``nearest_level``:
        the world's user of the same category closest to the case, through
        the whole estimator (NaN when the world has no such user).

    Raises
    ------
    ValueError
        A column of ``cases`` is missing.

    Examples
    --------
    A stand-in estimator whose exposure model returns the cluster confidence,
    and whose users' features are a hand-made table (a fitted estimator needs a
    whole social world):

    >>> from types import SimpleNamespace
    >>> from unittest import mock
    >>> feats = pd.DataFrame({"user_id": [10, 11], "category": ["HT+WE+F", "WE"],
    ...                       "cluster_confidence": [0.95, 0.5],
    ...                       "pct_friends_with_attributes": [1.0, 20.0]})
    >>> model = SimpleNamespace(predict=lambda X: X["cluster_confidence"].to_numpy(dtype=float))
    >>> est = SimpleNamespace(world=None, pfli_model=None, clusters=None, model=model)
    >>> cases = pd.DataFrame({"user": ["U1"], "category": ["HT+WE+F"], "cluster_confidence": [0.69],
    ...                       "error_distance_km": [25], "pct_friends_with_attributes": [0.9],
    ...                       "exposure_probability": [0.53], "risk_level": [3]})
    >>> with mock.patch.object(exp_estimator, "exposure_features", lambda w, m, c, u: feats):
    ...     t = table7_cases(est, [10, 11], cases)
    >>> r = t.iloc[0]
    >>> float(r.model_ep), int(r.model_level), int(r.nearest_user), float(r.nearest_ep), int(r.nearest_level)
    (0.69, 3, 10, 0.95, 5)
    """
    need = ["user", "category", "cluster_confidence", "error_distance_km",
            "pct_friends_with_attributes", "exposure_probability", "risk_level"]
    missing = [c for c in need if c not in cases.columns]
    if missing:
        raise ValueError(f"cases: missing column(s) {missing}")
    feats = exp_estimator.exposure_features(estimator.world, estimator.pfli_model,
                                            estimator.clusters, np.asarray(users))
    at_paper = pd.DataFrame({"k_km": cases["error_distance_km"].astype(float),
                             "category": cases["category"],
                             "pct_friends_with_attributes": cases["pct_friends_with_attributes"]
                             .astype(float),
                             "cluster_confidence": cases["cluster_confidence"].astype(float)})
    model_ep = estimator.model.predict(at_paper)
    rows = []
    for i, c in enumerate(cases.itertuples()):
        row = {k: getattr(c, k) for k in need}
        row.update(model_ep=float(model_ep[i]), model_level=int(risk_levels([model_ep[i]])[0]))
        same = feats[feats["category"] == c.category]
        if same.empty:
            row.update(nearest_user=np.nan, nearest_cc=np.nan, nearest_pct=np.nan,
                       nearest_ep=np.nan, nearest_level=np.nan)
        else:
            n = same.loc[_distance(same, c.cluster_confidence, c.pct_friends_with_attributes)
                         .idxmin()]
            one = pd.DataFrame({"k_km": [float(c.error_distance_km)], "category": [c.category],
                                "pct_friends_with_attributes":
                                    [float(n["pct_friends_with_attributes"])],
                                "cluster_confidence": [float(n["cluster_confidence"])]})
            ep = float(estimator.model.predict(one)[0])
            row.update(nearest_user=int(n["user_id"]), nearest_cc=float(n["cluster_confidence"]),
                       nearest_pct=float(n["pct_friends_with_attributes"]), nearest_ep=ep,
                       nearest_level=int(risk_levels([ep])[0]))
        rows.append(row)
    return pd.DataFrame(rows)


def u1_like_user(estimator: exp_estimator.ExposureEstimator,
                 users: Sequence[int] | np.ndarray) -> int:
    """The user of ``users`` most like the paper's U1 (Tables 7-8).

    Among the users of U1's category (HT+WE+F), the one closest to U1's cluster
    confidence (0.69) and % friends with attributes (0.9%), by the sum of the
    absolute differences (% friends as a fraction).

    Parameters
    ----------
    estimator : ExposureEstimator
        A fitted exposure estimator (its world, PFLI model and clusters give
        the users' features).
    users : array of int
        Candidate users (LN users).

    Returns
    -------
    int
        The chosen user's id.

    Raises
    ------
    ValueError
        No user of ``users`` is in U1's category.

    Examples
    --------
    With the users' features stubbed (distances to U1: user 10 0.261, user 11
    0.401):

    >>> from types import SimpleNamespace
    >>> from unittest import mock
    >>> feats = pd.DataFrame({"user_id": [10, 11, 12], "category": ["HT+WE+F", "HT+WE+F", "WE"],
    ...                       "cluster_confidence": [0.95, 0.70, 0.69],
    ...                       "pct_friends_with_attributes": [1.0, 40.0, 0.9]})
    >>> est = SimpleNamespace(world=None, pfli_model=None, clusters=None)
    >>> with mock.patch.object(exp_estimator, "exposure_features", lambda w, m, c, u: feats):
    ...     u1_like_user(est, [10, 11, 12])
    10
    """
    f = exp_estimator.exposure_features(estimator.world, estimator.pfli_model,
                                        estimator.clusters, np.asarray(users))
    f = f[f["category"] == U1["category"]]
    if f.empty:
        raise ValueError(f"no user of category {U1['category']} among {len(users)} users")
    d = _distance(f, U1["cluster_confidence"], U1["pct_friends_with_attributes"])
    return int(f.loc[d.idxmin(), "user_id"])


def table8_u1(report: exp_estimator.ExposureReport, paper: pd.DataFrame) -> pd.DataFrame:
    """Table 8 side by side: the paper's U1 and the book's user (``exposure_report``).

    Parameters
    ----------
    report : ExposureReport
        The book's what-if report for its U1-like user (its ``variants``:
        ``setting, exposure_probability, risk_level``).
    paper : DataFrame
        ``data/reference/pfli_table8_hiding_u1.csv``.

    Returns
    -------
    DataFrame
        ``setting, paper_ep, paper_level, book_ep, book_level`` for the
        paper's settings, then the book's extra ones (``hide HT+F``, ``hide
        HT+WE+F``) with the paper's columns empty. A setting starting with
        "current" is called ``current`` on both sides.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> paper = pd.DataFrame({"setting": ["current (HT+WE+F)", "hide WE"],
    ...                       "exposure_probability": [0.69, 0.4], "risk_level": [3, 2]})
    >>> book = SimpleNamespace(variants=pd.DataFrame({
    ...     "setting": ["current (HT+WE+F)", "hide WE", "hide HT+F"],
    ...     "exposure_probability": [0.9, 0.5, 0.2], "risk_level": [5, 3, 1]}))
    >>> table8_u1(book, paper).values.tolist()
    [['current', 0.69, 3.0, 0.9, 5], ['hide WE', 0.4, 2.0, 0.5, 3], ['hide HT+F', nan, nan, 0.2, 1]]
    """
    t8 = paper.rename(columns={"exposure_probability": "paper_ep", "risk_level": "paper_level"})
    t8 = t8.assign(setting=t8["setting"].where(~t8["setting"].str.startswith("current"),
                                               "current"))
    ours = report.variants[["setting", "exposure_probability", "risk_level"]].rename(
        columns={"exposure_probability": "book_ep", "risk_level": "book_level"})
    ours = ours.assign(setting=ours["setting"].where(~ours["setting"].str.startswith("current"),
                                                     "current"))
    # an outer merge sorts the keys whatever ``sort`` says: put the paper's order back
    order = list(dict.fromkeys([*t8["setting"], *ours["setting"]]))
    out = t8.merge(ours, on="setting", how="outer")
    return out.set_index("setting").loc[order].reset_index()
