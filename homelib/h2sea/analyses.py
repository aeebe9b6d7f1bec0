"""The analyses of H2SEA Sec 5.2-5.4 built on the protocol.

* :func:`feature_family_importance`, :func:`family_score` and
  :func:`top_features`: single-family importance (Table 4);
* :func:`city_village`, :func:`housing_coverage` and
  :func:`subset_feature_ranks`: city vs village (Sec 5.4, Table 5);
* :func:`sensitivity` and :func:`lambda_settings`: hyper-parameter and task
  weight sensitivity (research question 4);
* :func:`readings` and :func:`summarise_readings`: how each reading of the
  paper's equations changes the validation scores (chapter 03);
* :func:`training_histories`: loss and validation F1 curves of the neural models.

Every function builds its fits as jobs of :func:`homelib.h2sea.protocol.run_jobs`
(``n_jobs`` processes; ``cache=True`` keeps each fit in ``data/cache``, so a
fit shared with another chapter is computed once).

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

from .models import prior_corrected_decision
from .protocol import (
    METRICS,
    NEURAL,
    TASKS,
    metrics_from_decisions,
    run_jobs,
    run_protocol,
    stratified_split,
)

__all__ = [
    "FEATURE_IMPORTANCE_COLUMNS",
    "CITY_VILLAGE_COLUMNS",
    "READINGS",
    "DECISION_READINGS",
    "LR_READINGS",
    "family_score",
    "family_jobs",
    "feature_family_importance",
    "top_features",
    "city_village",
    "settings_jobs",
    "sensitivity",
    "readings",
    "summarise_readings",
    "training_histories",
    "lambda_settings",
    "housing_coverage",
    "subset_feature_ranks",
]


FEATURE_IMPORTANCE_COLUMNS = ["task", "rank", "feature", "f1", "auc", "gmean", "accuracy"]


CITY_VILLAGE_COLUMNS = ["dataset", "task", "f1", "change_ratio_pct"]

# How the book reads the paper (the defaults of homelib.h2sea.models.NeuralMultiTask) and
# the alternatives chapter 03 measures, one change at a time (name -> parameters).
READINGS: dict[str, dict[str, Any]] = {
    "book": {},
    "earlier code: Eq 10 on every task, stop on loss, arg-max": {
        "weighted_tasks": "all", "selection": "loss", "decision": "argmax", "patience": 6},
    "Eq 10 on every task (also the balanced income tasks)": {"weighted_tasks": "all"},
    "Eq 9 on every task (no class weights)": {"class_weight": None},
    "Eq 10 read as inverse frequency (balanced)": {"class_weight": "balanced"},
    "early stopping on validation loss": {"selection": "loss"},
    "Eq 7 without the x units (x32) factor": {"attention_rescale": False},
}

# Decision rules applied to the book's fitted networks (same epochs, no refit): name -> rule.
DECISION_READINGS: dict[str, str] = {
    "arg-max decisions on every task (same networks)": "argmax",
    "prior-corrected decisions on every task (same networks)": "prior",
}


# The readings of the LR baseline (Sec 5.1's "2-degree LR") chapter 03 measures.
LR_READINGS: dict[str, dict[str, Any]] = {
    "book": {},
    "degree 1 (no order-2 products)": {"degree": 1},
    "order-2 products of 15 principal components": {"max_poly_inputs": 15},
}


def family_score(metrics: pd.DataFrame) -> pd.Series:
    """The score Table 4 ranks by: F1 + AUC + G-Mean.

    The paper ranks "mainly by the combined improvement of F1-score, AUC and
    G-Mean"; higher is better.

    Parameters
    ----------
    metrics : DataFrame
        With columns ``f1, auc, gmean``.

    Returns
    -------
    Series

    Examples
    --------
    >>> family_score(pd.DataFrame({"f1": [0.5], "auc": [0.7], "gmean": [0.4]})).round(6).tolist()
    [1.6]
    """
    return metrics["f1"] + metrics["auc"] + metrics["gmean"]


def family_jobs(X: pd.DataFrame, y: pd.DataFrame, families: Mapping[str, Sequence[str]],
                method: str = "H2SEA", params: Mapping[str, Any] | None = None, repeats: int = 2,
                seed: int = 0) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """The fits of :func:`feature_family_importance` as jobs for ``run_jobs``.

    Parameters
    ----------
    X, y, families, method, params, repeats, seed
        As in :func:`feature_family_importance`.

    Returns
    -------
    tuple
        ``(jobs, keys)`` with one ``(family, repeat)`` key per job.

    Examples
    --------
    >>> X = pd.DataFrame({"a": np.arange(40.0), "b": np.ones(40)})
    >>> y = pd.DataFrame({"t": pd.array([0, 1] * 20, dtype="Int64")})
    >>> jobs, keys = family_jobs(X, y, {"A": ["a"], "B": ["b"]}, "LR", repeats=1)
    >>> keys, list(jobs[0]["X"].columns)
    ([('A', 0), ('B', 0)], ['a'])
    """
    missing = {f: [c for c in cols if c not in X.columns] for f, cols in families.items()}
    missing = {f: c for f, c in missing.items() if c}
    if missing:
        raise KeyError(f"families name unknown feature column(s): {missing}")
    frames = {fam: X[list(cols)] for fam, cols in families.items()}
    jobs, keys = [], []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for fam in families:
            jobs.append({"method": method, "params": dict(params or {}), "parts": parts,
                         "seed": seed + r, "X": frames[fam], "y": y})
            keys.append((fam, r))
    return jobs, keys


def feature_family_importance(X: pd.DataFrame, y: pd.DataFrame, families: Mapping[str, Sequence[str]],
                              method: str = "H2SEA", params: Mapping[str, Any] | None = None,
                              repeats: int = 2, seed: int = 0, *, n_jobs: int = 1,
                              cache: bool = False) -> pd.DataFrame:
    """Metrics with one feature family at a time (Sec 5.3), averaged over repeats.

    Parameters
    ----------
    X, y : DataFrame
    families : mapping
        Family name -> feature columns.
    method : str
    params : mapping, optional
        Model parameters (no tuning: the paper does not say it retuned per family).
    repeats, seed : int
        Splits ``stratified_split(y, seed + r)``, models seeded ``seed + r``.
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        ``task, feature, f1, auc, gmean, accuracy, score`` (``score`` =
        :func:`family_score`), test metrics averaged over repeats.

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> fi = feature_family_importance(X, y, {"Price": ["price"], "Noise": ["noise"]}, method="LR", repeats=1)
    >>> [(f, round(float(v), 3)) for f, v in zip(fi.feature, fi.f1)]
    [('Price', 0.915), ('Noise', 0.311)]
    """
    jobs, keys = family_jobs(X, y, families, method, params, repeats, seed)
    results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc="Table 4 fits")
    rows = [res["test"].assign(feature=fam, repeat=r) for (fam, r), res in zip(keys, results, strict=True)]
    allr = pd.concat(rows, ignore_index=True)
    out = allr.groupby(["task", "feature"], sort=False)[list(METRICS)].mean().reset_index()
    out["score"] = family_score(out)
    return out


def top_features(importance: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Rank families per task by ``score`` (highest first) and keep the top ``k``.

    The ``h2sea_feature_importance.csv`` contract.

    Parameters
    ----------
    importance : DataFrame
        :func:`feature_family_importance` output.
    k : int

    Returns
    -------
    DataFrame
        ``FEATURE_IMPORTANCE_COLUMNS`` + ``score``.

    Examples
    --------
    >>> imp = pd.DataFrame({"task": ["education"] * 2, "feature": ["a", "b"], "f1": [0.4, 0.5],
    ...                     "auc": [0.6, 0.7], "gmean": [0.3, 0.4], "accuracy": [0.5, 0.6],
    ...                     "score": [1.3, 1.6]})
    >>> top_features(imp, 1)[["rank", "feature"]].values.tolist()
    [[1, 'b']]
    """
    out = importance.sort_values(["task", "score"], ascending=[True, False]).copy()
    out["rank"] = out.groupby("task").cumcount() + 1
    out = out[out["rank"] <= k]
    order = _task_order(importance["task"])
    out = out.sort_values(["task", "rank"], key=lambda s: s.map(order) if s.name == "task" else s)
    return out[FEATURE_IMPORTANCE_COLUMNS + ["score"]].reset_index(drop=True)


def _task_order(tasks: pd.Series) -> dict[str, int]:
    """Task -> position: the paper's tasks in their order, then any other task as it first appears."""
    others = [t for t in pd.unique(tasks) if t not in TASKS]
    return {t: i for i, t in enumerate([*TASKS, *others])}


def city_village(X: pd.DataFrame, y: pd.DataFrame, is_city: pd.Series, grid=None,
                 base_params: Mapping[str, Any] | None = None, repeats: int = 2,
                 seed: int = 0, method: str = "H2SEA", *, n_jobs: int = 1,
                 cache: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sec 5.4: H2SEA retuned on city-only and village-only subsets.

    Each subset gets its own stratified splits and its own grid search
    (:func:`homelib.h2sea.protocol.run_protocol`); "city+village" is the whole
    data set, so with the same grid, parameters and seed its fits are chapter
    03's and come from the cache.

    Parameters
    ----------
    X, y : DataFrame
    is_city : Series
        Boolean, indexed like ``X``.
    grid : mapping, optional
    base_params : mapping, optional
    repeats, seed : int
    method : str
    n_jobs : int
    cache : bool

    Returns
    -------
    tuple of DataFrame
        ``(table, per_repeat)``: ``table`` has the ``h2sea_city_village.csv``
        columns ``dataset, task, f1, change_ratio_pct`` (F1 relative to
        "city+village" x 100, as the paper's Table 5) plus ``n`` and ``f1_std``.

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> is_city = pd.Series(np.arange(120) % 2 == 0)
    >>> table, per = city_village(X, y, is_city, grid={"C": [1.0]}, method="LR", repeats=1)
    >>> table.dataset.tolist(), float(table.change_ratio_pct[0])
    (['city+village', 'city-only', 'village-only'], 100.0)
    """
    if not is_city.index.equals(X.index):
        raise ValueError("is_city must be indexed like X")
    subsets = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
               "village-only": ~is_city.to_numpy(bool)}
    rows = []
    for name, keep in subsets.items():
        Xs, ys = (X, y) if keep.all() else (X[keep], y[keep])
        res = run_protocol(Xs, ys, [method], {method: grid or {}}, repeats, seed,
                           {method: dict(base_params or {})}, n_jobs=n_jobs, cache=cache)
        res["dataset"], res["n"] = name, int(keep.sum())
        rows.append(res)
    per = pd.concat(rows, ignore_index=True)
    tab = per.groupby(["dataset", "task"], sort=False).agg(f1=("f1", "mean"), f1_std=("f1", "std"),
                                                           n=("n", "first")).reset_index()
    full = tab[tab["dataset"] == "city+village"].set_index("task")["f1"]
    tab["change_ratio_pct"] = 100 * tab["f1"] / tab["task"].map(full)
    return tab[CITY_VILLAGE_COLUMNS + ["n", "f1_std"]], per


def settings_jobs(y: pd.DataFrame, settings: Sequence[Mapping[str, Any]], labels: Sequence[str],
                  base_params: Mapping[str, Any] | None = None, repeats: int = 2, seed: int = 0,
                  method: str = "H2SEA", X: pd.DataFrame | None = None
                  ) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """One fit per (repeat, setting), without tuning.

    The jobs of :func:`sensitivity` and :func:`readings`.

    Parameters
    ----------
    y : DataFrame
    settings : sequence of mappings
    labels : sequence of str
    base_params : mapping, optional
    repeats, seed : int
    method : str
    X : DataFrame, optional
        Features for these jobs if not the shared frame of ``run_jobs``.

    Returns
    -------
    tuple
        ``(jobs, keys)`` with one ``(label, repeat)`` key per job.

    Examples
    --------
    >>> y = pd.DataFrame({"t": pd.array([0, 1] * 20, dtype="Int64")})
    >>> jobs, keys = settings_jobs(y, [{"dropout": 0.1}], ["d"], {"max_epochs": 5}, repeats=2)
    >>> keys, jobs[1]["params"], jobs[1]["seed"]
    ([('d', 0), ('d', 1)], {'max_epochs': 5, 'dropout': 0.1}, 1)
    """
    jobs, keys = [], []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for lab, s in zip(labels, settings, strict=True):
            jobs.append({"method": method, "params": {**dict(base_params or {}), **dict(s)},
                         "parts": parts, "seed": seed + r, **({} if X is None else {"X": X, "y": y})})
            keys.append((lab, r))
    return jobs, keys


def sensitivity(X: pd.DataFrame, y: pd.DataFrame, settings: Sequence[Mapping[str, Any]],
                labels: Sequence[str] | None = None, base_params: Mapping[str, Any] | None = None,
                repeats: int = 2, seed: int = 0, method: str = "H2SEA", *, n_jobs: int = 1,
                cache: bool = False) -> pd.DataFrame:
    """Test metrics of ``method`` for each parameter setting (no tuning), per repeat.

    Parameters
    ----------
    X, y : DataFrame
    settings : sequence of mappings
    labels : sequence of str, optional
    base_params : mapping, optional
    repeats, seed : int
    method : str
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        ``setting, repeat, task, n, f1, auc, gmean, accuracy, ...``.

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> s = sensitivity(X, y, [{"C": 0.01}, {"C": 1.0}], labels=["C=0.01", "C=1"], method="LR",
    ...                 repeats=1)
    >>> s.setting.tolist(), s.repeat.tolist()
    (['C=0.01', 'C=1'], [0, 0])
    """
    labels = list(labels) if labels is not None else [repr(dict(s)) for s in settings]
    jobs, keys = settings_jobs(y, settings, labels, base_params, repeats, seed, method)
    results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc="sensitivity fits")
    rows = []
    for (lab, r), res in zip(keys, results, strict=True):
        t = res["test"].copy()
        t.insert(0, "repeat", r)
        t.insert(0, "setting", lab)
        rows.append(t)
    return pd.concat(rows, ignore_index=True)


def readings(X: pd.DataFrame, y: pd.DataFrame, settings: Mapping[str, Mapping[str, Any]] | None = None,
             base_params: Mapping[str, Any] | None = None, repeats: int = 3, seed: int = 0,
             methods: Sequence[str] = ("H2SEA",), *, decision_rules: Mapping[str, str] | None = None,
             n_jobs: int = 1, cache: bool = False) -> pd.DataFrame:
    """Validation scores of each reading of the paper (never the test rows).

    Each reading is a fit; the decision rules (``decision_rules``) are applied
    to the validation probabilities of the "book" fits instead (same networks,
    same epochs), which isolates the rule's own effect.

    Parameters
    ----------
    X, y : DataFrame
    settings : mapping, optional
        Reading name -> model parameters (default :data:`READINGS`).
    decision_rules : mapping, optional
        Reading name -> ``"argmax"`` or ``"prior"`` (default
        :data:`DECISION_READINGS`; ``{}`` for none). Neural methods only.
    base_params : mapping, optional
        Shared parameters (e.g. ``max_epochs``).
    repeats, seed : int
    methods : sequence of str
        Neural methods to run the readings on.
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        ``method, reading, repeat, task, n, f1, auc, gmean, accuracy, ...,
        best_epoch, epochs`` on the validation rows.

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> r = readings(X, y, repeats=1, base_params={"max_epochs": 2})  # H2SEA, 2 epochs
    >>> r.reading.iloc[0], sorted(r.method.unique()), int(r.repeat.max())
    ('book', ['H2SEA'], 0)
    """
    settings = dict(READINGS if settings is None else settings)
    decisions = dict(DECISION_READINGS if decision_rules is None else decision_rules)
    if decisions and "book" not in settings:
        raise KeyError("decision readings are applied to the 'book' fits: settings need a 'book' entry")
    rows = []
    for method in methods:
        jobs, keys = settings_jobs(y, list(settings.values()), list(settings), base_params,
                                   repeats, seed, method)
        results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc=f"{method} readings")
        for (lab, r), res in zip(keys, results, strict=True):
            rows.append(_reading_row(res["val"], method, lab, r, res))
            if lab == "book" and method in NEURAL:
                val_y = y.iloc[stratified_split(y, seed=seed + r)["val"]]
                for name, rule in decisions.items():
                    pred = {t: _apply_rule(rule, p, res["trained_prior"][t])
                            for t, p in res["val_proba"].items()}
                    rows.append(_reading_row(metrics_from_decisions(val_y, res["val_proba"], pred),
                                             method, name, r, res))
    out = pd.concat(rows, ignore_index=True)
    order = list(settings) + [d for d in decisions if d in set(out["reading"])]
    out["reading"] = pd.Categorical(out["reading"], categories=order, ordered=True)
    return out.sort_values(["method", "reading", "repeat"], kind="stable").assign(
        reading=lambda d: d["reading"].astype(str)).reset_index(drop=True)


def _apply_rule(rule: str, proba: np.ndarray, prior: np.ndarray) -> np.ndarray:
    return prior_corrected_decision(proba, prior) if rule == "prior" else proba.argmax(axis=1)


def _reading_row(val: pd.DataFrame, method: str, reading: str, repeat: int,
                 res: Mapping[str, Any]) -> pd.DataFrame:
    v = val.copy()
    v.insert(0, "repeat", repeat)
    v.insert(0, "reading", reading)
    v.insert(0, "method", method)
    v["best_epoch"] = res["best_epoch"]
    v["epochs"] = len(res["history"]) if res["history"] is not None else np.nan
    return v


def summarise_readings(per: pd.DataFrame) -> pd.DataFrame:
    """Per method and reading: mean validation F1 and G-Mean, and the worst G-Mean.

    Means over tasks and repeats, the smallest G-Mean of any task in any repeat, and the
    repeats with a zero G-Mean.

    Parameters
    ----------
    per : DataFrame
        :func:`readings` output.

    Returns
    -------
    DataFrame
        ``method, reading, f1, gmean, gmean_min, zero_gmean_repeats, f1_<task>..., epochs``.

    Examples
    --------
    >>> per = pd.DataFrame({"method": "H2SEA", "reading": "book", "repeat": [0, 0, 1, 1],
    ...                     "task": ["a", "b"] * 2, "f1": [0.5, 0.4, 0.6, 0.3],
    ...                     "gmean": [0.4, 0.0, 0.5, 0.2], "epochs": 10})
    >>> summarise_readings(per)[["f1", "gmean_min", "zero_gmean_repeats"]].values.tolist()
    [[0.45, 0.0, 1.0]]
    """
    g = per.groupby(["method", "reading"], sort=False)
    out = g.agg(f1=("f1", "mean"), gmean=("gmean", "mean"), gmean_min=("gmean", "min"),
                epochs=("epochs", "mean"))
    zero = per.assign(z=per["gmean"] <= 0).groupby(["method", "reading", "repeat"], sort=False)["z"].any()
    out["zero_gmean_repeats"] = zero.groupby(level=[0, 1], sort=False).sum().astype(float)
    wide = per.pivot_table(index=["method", "reading"], columns="task", values="f1", sort=False)
    wide = wide[[t for t in TASKS if t in wide.columns] + [t for t in wide.columns if t not in TASKS]]
    out = out.join(wide.add_prefix("f1_"))
    cols = ["f1", "gmean", "gmean_min", "zero_gmean_repeats", *wide.add_prefix("f1_").columns, "epochs"]
    return out[cols].reset_index()


def training_histories(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = NEURAL,
                       seed: int = 0, params: Mapping[str, Any] | None = None, *,
                       n_jobs: int = 1, cache: bool = False) -> dict[str, pd.DataFrame]:
    """Loss and validation macro-F1 per epoch of each neural method on the first split.

    Parameters
    ----------
    X, y : DataFrame
    methods : sequence of str
    seed : int
        Split and model seed.
    params : mapping, optional
    n_jobs : int
    cache : bool

    Returns
    -------
    dict
        Method -> history frame (``epoch, train_loss, val_loss, val_f1, ...``).

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> h = training_histories(X, y, methods=["H2SEA"], params={"max_epochs": 2})
    >>> list(h), h["H2SEA"].epoch.tolist(), "val_f1" in h["H2SEA"]
    (['H2SEA'], [1, 2], True)
    """
    parts = stratified_split(y, seed=seed)
    jobs = [{"method": m, "params": dict(params or {}), "parts": parts, "seed": seed} for m in methods]
    results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc="histories")
    return {m: res["history"] for m, res in zip(methods, results, strict=True)}


def lambda_settings(tasks: Sequence[str], focus: str, weights: Sequence[float]) -> tuple[list, list]:
    """Task-weight settings (H2SEA Eq 11) giving ``focus`` the weight ``w``.

    The other tasks get ``(1 - w) / (N - 1)`` each.

    Parameters
    ----------
    tasks : sequence of str
    focus : str
    weights : sequence of float

    Returns
    -------
    tuple
        ``(settings, labels)``.

    Examples
    --------
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
    """Share of people with a sale listing within 2 km, per Table 5 subset.

    H2SEA Sec 5.4: 57 % city-only, 17 % village-only in the paper.

    Parameters
    ----------
    meta : DataFrame
        With boolean ``is_city`` and ``has_sale_price_2km``.

    Returns
    -------
    DataFrame
        ``dataset, n, coverage_pct, paper_pct``.

    Examples
    --------
    >>> meta = pd.DataFrame({"is_city": [True, True, False, False],
    ...                      "has_sale_price_2km": [True, False, False, False]})
    >>> housing_coverage(meta)[["dataset", "n", "coverage_pct", "paper_pct"]].values.tolist()
    [['city+village', 4, 25.0, nan], ['city-only', 2, 50.0, 57.0], ['village-only', 2, 0.0, 17.0]]
    """
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
                         seed: int = 0, *, n_jobs: int = 1, cache: bool = False) -> pd.DataFrame:
    """Single-family importance and rank per Table 5 subset.

    Sec 5.4's re-calculated feature importance.

    Parameters
    ----------
    X, y : DataFrame
    is_city : Series
    families : mapping
    method : str
    params : mapping, optional
    repeats, seed : int
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        ``dataset, task, feature, f1, auc, gmean, accuracy, score, rank``.

    Examples
    --------
    >>> from homelib.h2sea.protocol import _example_data
    >>> X, y = _example_data(noise_column=True)  # a price that reveals the level, and noise
    >>> is_city = pd.Series(np.arange(120) % 2 == 0)
    >>> r = subset_feature_ranks(X, y, is_city, {"Price": ["price"], "Noise": ["noise"]}, method="LR")
    >>> r[r.feature == "Price"][["dataset", "rank"]].values.tolist()
    [['city+village', 1], ['city-only', 1], ['village-only', 1]]
    """
    masks = {"city+village": np.ones(len(X), bool), "city-only": is_city.to_numpy(bool),
             "village-only": ~is_city.to_numpy(bool)}
    out = []
    for name, keep in masks.items():
        Xs, ys = (X, y) if keep.all() else (X[keep], y[keep])
        imp = feature_family_importance(Xs, ys, families, method, params, repeats, seed,
                                        n_jobs=n_jobs, cache=cache)
        # a family whose score is undefined on a small subset (a class absent from a test
        # split makes AUC undefined) ranks last rather than stopping the chapter
        imp["rank"] = imp.groupby("task")["score"].rank(ascending=False, method="first",
                                                        na_option="bottom").astype(int)
        imp.insert(0, "dataset", name)
        out.append(imp)
    return pd.concat(out, ignore_index=True)
