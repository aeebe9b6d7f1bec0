"""The analyses of H2SEA Sec 5.2-5.4 built on the protocol.

* :func:`feature_family_importance` and :func:`top_features`: single-family
  importance (Table 4);
* :func:`city_village`, :func:`housing_coverage` and
  :func:`subset_feature_ranks`: city vs village (Sec 5.4, Table 5);
* :func:`sensitivity` and :func:`lambda_settings`: hyper-parameter and task
  weight sensitivity (research question 4);
* :func:`training_histories`: loss curves of the neural models.

Examples
--------
>>> lambda_settings(["a", "b"], "a", [0.5])[1]
['lambda_a=0.5']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .protocol import METRICS, NEURAL, TASKS, _fit, evaluate_model, run_protocol, stratified_split

__all__ = [
    "FEATURE_IMPORTANCE_COLUMNS",
    "CITY_VILLAGE_COLUMNS",
    "feature_family_importance",
    "top_features",
    "city_village",
    "sensitivity",
    "training_histories",
    "lambda_settings",
    "housing_coverage",
    "subset_feature_ranks",
]


FEATURE_IMPORTANCE_COLUMNS = ["task", "rank", "feature", "f1", "auc", "gmean", "accuracy"]


CITY_VILLAGE_COLUMNS = ["dataset", "task", "f1", "change_ratio_pct"]


def feature_family_importance(X: pd.DataFrame, y: pd.DataFrame, families: Mapping[str, Sequence[str]],
                              method: str = "H2SEA", params: Mapping[str, Any] | None = None,
                              repeats: int = 2, seed: int = 0) -> pd.DataFrame:
    """Metrics with one feature family at a time (Sec 5.3), averaged over repeats.

    Returns ``task, feature, f1, auc, gmean, accuracy, score`` where ``score``
    is the combined improvement ``f1 + auc + gmean`` used to rank (the paper
    ranks "mainly by the combined improvement of F1-score, AUC and G-Mean").
    """
    missing = {f: [c for c in cols if c not in X.columns] for f, cols in families.items()}
    missing = {f: c for f, c in missing.items() if c}
    if missing:
        raise KeyError(f"families name unknown feature column(s): {missing}")
    rows = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for fam, cols in families.items():
            model = _fit(method, dict(params or {}), X[list(cols)], y, parts, seed + r)
            te = parts["test"]
            res = evaluate_model(model, X.iloc[te][list(cols)], y.iloc[te])
            res["feature"], res["repeat"] = fam, r
            rows.append(res)
    allr = pd.concat(rows, ignore_index=True)
    out = allr.groupby(["task", "feature"], sort=False)[list(METRICS)].mean().reset_index()
    out["score"] = out["f1"] + out["auc"] + out["gmean"]
    return out


def top_features(importance: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Rank families per task by ``score`` (descending) and keep the top ``k``:
    the ``h2sea_feature_importance.csv`` contract."""
    out = importance.sort_values(["task", "score"], ascending=[True, False]).copy()
    out["rank"] = out.groupby("task").cumcount() + 1
    out = out[out["rank"] <= k]
    order = {t: i for i, t in enumerate(TASKS)}
    out = out.sort_values(["task", "rank"], key=lambda s: s.map(order) if s.name == "task" else s)
    return out[FEATURE_IMPORTANCE_COLUMNS + ["score"]].reset_index(drop=True)


def city_village(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series, grid=None,
                 base_params: Mapping[str, Any] | None = None, repeats: int = 2,
                 seed: int = 0, method: str = "H2SEA") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sec 5.4: H2SEA retuned on city-only and village-only subsets.

    Returns ``(table, per_repeat)``: ``table`` has the ``h2sea_city_village.csv``
    columns ``dataset, task, f1, change_ratio_pct`` (F1 relative to
    "city+village" x 100, as the paper's Table 5) plus ``n`` and ``f1_std``.
    Each subset gets its own stratified splits and its own grid search.
    """
    if not is_city.index.equals(X.index):
        raise ValueError("is_city must be indexed like X")
    subsets = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
               "village-only": ~is_city.to_numpy(bool)}
    rows = []
    for name, keep in subsets.items():
        Xs, ys = X[keep], y[keep]
        res = run_protocol(Xs, ys, [method], {method: grid or {}}, repeats, seed,
                           {method: dict(base_params or {})})
        res["dataset"], res["n"] = name, int(keep.sum())
        rows.append(res)
    per = pd.concat(rows, ignore_index=True)
    tab = per.groupby(["dataset", "task"], sort=False).agg(f1=("f1", "mean"), f1_std=("f1", "std"),
                                                           n=("n", "first")).reset_index()
    full = tab[tab["dataset"] == "city+village"].set_index("task")["f1"]
    tab["change_ratio_pct"] = 100 * tab["f1"] / tab["task"].map(full)
    return tab[CITY_VILLAGE_COLUMNS + ["n", "f1_std"]], per


def sensitivity(X: pd.DataFrame, y: pd.DataFrame, settings: Sequence[Mapping[str, Any]],
                labels: Sequence[str] | None = None, base_params: Mapping[str, Any] | None = None,
                repeats: int = 2, seed: int = 0, method: str = "H2SEA") -> pd.DataFrame:
    """Test metrics of ``method`` for each parameter setting (no tuning), per repeat.

    Returns ``setting, repeat, task, f1, auc, gmean, accuracy, ...``.
    """
    labels = list(labels) if labels is not None else [repr(dict(s)) for s in settings]
    rows = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for lab, s in zip(labels, settings, strict=True):
            model = _fit(method, {**(base_params or {}), **s}, X, y, parts, seed + r)
            te = parts["test"]
            res = evaluate_model(model, X.iloc[te], y.iloc[te])
            res.insert(0, "repeat", r)
            res.insert(0, "setting", lab)
            rows.append(res)
    return pd.concat(rows, ignore_index=True)


def training_histories(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = NEURAL,
                       seed: int = 0, params: Mapping[str, Any] | None = None
                       ) -> dict[str, pd.DataFrame]:
    """Loss per epoch of each neural method on the first split (seed ``seed``)."""
    parts = stratified_split(y, seed=seed)
    return {m: _fit(m, dict(params or {}), X, y, parts, seed).history_ for m in methods}


def lambda_settings(tasks: Sequence[str], focus: str, weights: Sequence[float]) -> tuple[list, list]:
    """Task-weight settings (Eq 11) giving ``focus`` the weight ``w`` and the other tasks
    ``(1 - w) / (N - 1)`` each; returns ``(settings, labels)``.

    >>> lambda_settings(["a", "b"], "a", [0.5])
    ([{'task_weights': {'a': 0.5, 'b': 0.5}}], ['lambda_a=0.5'])
    """
    tasks = list(tasks)
    if focus not in tasks:
        raise KeyError(f"focus task {focus!r} not in {tasks}")
    out, labels = [], []
    for w in weights:
        if not 0 <= w <= 1:
            raise ValueError(f"task weight must be in [0, 1]; got {w}")
        rest = (1 - w) / (len(tasks) - 1) if len(tasks) > 1 else 0.0
        out.append({"task_weights": {t: (w if t == focus else rest) for t in tasks}})
        labels.append(f"lambda_{focus}={w:g}")
    return out, labels


def housing_coverage(meta: pd.DataFrame) -> pd.DataFrame:
    """Share of people with a sale listing within 2 km, per Table 5 subset (Sec 5.4:
    57 % city-only, 17 % village-only in the paper)."""
    is_city = meta["is_city"].astype(bool)
    has = meta["has_sale_price_2km"].astype(bool)
    rows = [("city+village", len(meta), has.mean(), np.nan),
            ("city-only", int(is_city.sum()), has[is_city].mean(), 57.0),
            ("village-only", int((~is_city).sum()), has[~is_city].mean(), 17.0)]
    out = pd.DataFrame(rows, columns=["dataset", "n", "coverage_pct", "paper_pct"])
    out["coverage_pct"] *= 100
    return out


def subset_feature_ranks(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series,
                         families: Mapping[str, Sequence[str]], method: str = "H2SEA",
                         params: Mapping[str, Any] | None = None, repeats: int = 1,
                         seed: int = 0) -> pd.DataFrame:
    """Single-family importance and rank per Table 5 subset (Sec 5.4's re-calculated
    feature importance): ``dataset, task, feature, f1, auc, gmean, accuracy, score, rank``."""
    masks = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
             "village-only": ~is_city.to_numpy(bool)}
    out = []
    for name, keep in masks.items():
        imp = feature_family_importance(X[keep], y[keep], families, method, params, repeats, seed)
        imp["rank"] = imp.groupby("task")["score"].rank(ascending=False, method="first").astype(int)
        imp.insert(0, "dataset", name)
        out.append(imp)
    return pd.concat(out, ignore_index=True)
