"""The H2SEA evaluation protocol (Ding et al. 2021, Sec 5.1-5.4).

* :func:`stratified_split`: 70 / 20 / 10 train / validation / test split,
  stratified on the joint labels of all tasks (missing = its own level) so
  that each task's class shares are kept in every part; rare joint strata are
  merged into coarser ones (fewer tasks) first.
* :func:`tune_and_test`: grid search on the validation split only, then the
  test metrics of the selected model (multi-task models: one setting for all
  tasks, chosen by the mean validation macro-F1; single-task models: per task).
* :func:`run_protocol`: ``repeats`` splits with different seeds, per-repeat
  metrics (headline and alternatives of :func:`homelib.metrics.classification_report`).
* :func:`summarise_performance` (Table 3 file contract) and :func:`paired_tests`.

The analyses built on the protocol (Tables 4-5, sensitivity) are in
:mod:`homelib.h2sea.analyses`; chapter tables and figures in
:mod:`homelib.h2sea.report`.

Metric choices (the paper does not say): AUC is the one-vs-rest macro AUC and
G-Mean imbalanced-learn's multi-class G-Mean (geometric mean of the per-class
recalls); one-vs-one AUC (``auc_ovo``) and the macro one-vs-rest G-Mean
(``gmean_macro``) are kept beside them.

Examples
--------
>>> y = pd.DataFrame({"education": pd.array([0, 1, 2, 0] * 50, dtype="Int64")})
>>> parts = stratified_split(y, seed=0)
>>> [len(parts[k]) for k in ("train", "val", "test")]  # about 70 / 20 / 10 %
[140, 40, 20]
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..metrics import classification_report
from .models import METHODS, make_model

__all__ = [
    "TASKS",
    "METRICS",
    "PERFORMANCE_COLUMNS",
    "stratified_split",
    "parameter_grid",
    "default_grids",
    "evaluate_model",
    "tune_and_test",
    "run_protocol",
    "summarise_performance",
    "paired_tests",
]

TASKS = ("personal_income", "family_income", "education", "occupation")
METRICS = ("f1", "auc", "gmean", "accuracy")
PERFORMANCE_COLUMNS = ["task", "method", "f1", "auc", "gmean", "accuracy", "f1_std", "auc_std",
                       "gmean_std", "accuracy_std", "repeats"]
NEURAL = ("ETNA", "H2SEA-NA", "H2SEA")


# --------------------------------------------------------------------------- synthetic world


# --------------------------------------------------------------------------- splits
def stratified_split(y: pd.DataFrame, seed: int, fractions: Sequence[float] = (0.7, 0.2, 0.1),
                     min_stratum: int = 10) -> dict[str, NDArray]:
    """Positions of the train / validation / test rows (Sec 5.1: 70 / 20 / 10).

    Strata are the joint labels of all tasks (``<NA>`` a level of its own);
    a stratum smaller than ``min_stratum`` is merged into the stratum of its
    labels on one task fewer (the last task is dropped first), down to one
    stratum. Within a stratum rows are shuffled and cut at the cumulative
    fractions with a random offset, so every task keeps its class shares.

    >>> y = pd.DataFrame({"t": pd.array([0, 1] * 50, dtype="Int64")})
    >>> s = stratified_split(y, seed=3)
    >>> sorted(np.concatenate(list(s.values())).tolist()) == list(range(100))
    True
    """
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or (fr <= 0).any() or not np.isclose(fr.sum(), 1):
        raise ValueError(f"fractions must be 3 positive numbers summing to 1; got {fractions}")
    if len(y) < 10:
        raise ValueError(f"need at least 10 rows to split; got {len(y)}")
    rng = np.random.default_rng(seed)
    cols = list(y.columns)
    lab = y.astype("string").fillna("NA")
    key = pd.Series("all", index=y.index)
    assigned = pd.Series(False, index=y.index)
    for level in range(len(cols), 0, -1):
        k = lab[cols[:level]].agg("|".join, axis=1)
        counts = k[~assigned].value_counts()
        ok = (~assigned) & k.map(counts).ge(min_stratum).fillna(False)
        key[ok] = k[ok]
        assigned |= ok
    codes = pd.factorize(key)[0]
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    cum = np.cumsum(fr)[:-1]
    for s in range(codes.max() + 1):
        pos = rng.permutation(np.flatnonzero(codes == s))
        m = len(pos)
        cut = np.floor(cum * m + rng.random()).astype(int)
        cut = np.clip(cut, 0, m)
        a, b = cut
        parts["train"] += pos[:a].tolist()
        parts["val"] += pos[a:b].tolist()
        parts["test"] += pos[b:].tolist()
    return {k: np.sort(np.asarray(v, dtype=int)) for k, v in parts.items()}


def parameter_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """All combinations of a grid ``{name: [values]}`` (``None`` or ``{}`` = one empty setting).

    >>> parameter_grid({"a": [1, 2], "b": [0]})
    [{'a': 1, 'b': 0}, {'a': 2, 'b': 0}]
    """
    if not grid:
        return [{}]
    names = list(grid)
    for nm in names:
        if isinstance(grid[nm], (str, bytes)) or not isinstance(grid[nm], Sequence) or not len(grid[nm]):
            raise ValueError(f"grid[{nm!r}] must be a non-empty list; got {grid[nm]!r}")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[nm] for nm in names))]


def default_grids(profile: str = "full") -> dict[str, dict[str, list]]:
    """Hyper-parameter grids per method (``"ci"``: one or two points each).

    >>> sorted(default_grids("ci"))
    ['ETNA', 'H2SEA', 'H2SEA-NA', 'LR', 'POP', 'XGBoost']
    """
    if profile == "ci":
        return {"POP": {}, "LR": {"C": [0.05]}, "XGBoost": {"max_depth": [3]},
                "ETNA": {"dropout": [0.3]}, "H2SEA-NA": {"dropout": [0.3]},
                "H2SEA": {"dropout": [0.3]}}
    if profile != "full":
        raise ValueError(f"profile must be 'ci' or 'full'; got {profile!r}")
    nn_grid = {"dropout": [0.3, 0.5], "latent_dim": [6]}
    return {"POP": {}, "LR": {"C": [0.01, 0.1]}, "XGBoost": {"max_depth": [3, 5]},
            "ETNA": nn_grid, "H2SEA-NA": nn_grid, "H2SEA": nn_grid}


# --------------------------------------------------------------------------- evaluation
def evaluate_model(model: Any, X: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """Metrics per task on the rows whose label is observed.

    Returns one row per task: ``task, n, f1, auc, gmean, accuracy, auc_ovo, gmean_macro``.
    """
    proba = model.predict_proba(X)
    rows = []
    for t in y.columns:
        lab = pd.to_numeric(y[t], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(lab)
        if keep.sum() == 0:
            raise ValueError(f"task {t!r} has no observed label among the {len(y)} evaluation rows")
        rep = classification_report(lab[keep].astype(int), proba[t][keep])
        rows.append({"task": t, "n": int(keep.sum()), **rep})
    return pd.DataFrame(rows)


def _fit(method: str, params: Mapping[str, Any], X, y, parts, seed: int):
    tr, va = parts["train"], parts["val"]
    model = make_model(method, **{**params, **({"seed": seed} if method != "POP" else {})})
    return model.fit(X.iloc[tr], y.iloc[tr], X.iloc[va], y.iloc[va])


def tune_and_test(method: str, X: pd.DataFrame, y: pd.DataFrame, parts: Mapping[str, NDArray],
                  grid: Mapping[str, Sequence[Any]] | None = None,
                  base_params: Mapping[str, Any] | None = None, seed: int = 0,
                  keep_model: bool = False) -> tuple[pd.DataFrame, Any]:
    """Grid search on the validation rows only, then test metrics.

    Multi-task models (ETNA, H2SEA-NA, H2SEA) keep the setting with the best
    mean validation macro-F1 over tasks; single-task models (LR, XGBoost, POP)
    the best setting per task. Returns ``(metrics per task with a "params"
    column, fitted model of the best mean setting or None)``.
    """
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known: {list(METHODS)}")
    base = dict(base_params or {})
    va, te = parts["val"], parts["test"]
    best_val: dict[str, tuple[float, dict, pd.Series]] = {}
    best_mean, best_model = -np.inf, None
    for setting in parameter_grid(grid):
        params = {**base, **setting}
        model = _fit(method, params, X, y, parts, seed)
        val = evaluate_model(model, X.iloc[va], y.iloc[va]).set_index("task")
        test = evaluate_model(model, X.iloc[te], y.iloc[te]).set_index("task")
        mean_f1 = float(val["f1"].mean())
        if mean_f1 > best_mean:
            best_mean, best_model = mean_f1, model
        for t in y.columns:
            score = mean_f1 if method in NEURAL else float(val.loc[t, "f1"])
            if t not in best_val or score > best_val[t][0]:
                best_val[t] = (score, setting, test.loc[t])
    rows = []
    for t in y.columns:
        score, setting, test_row = best_val[t]
        rows.append({"task": t, "method": method, **test_row.to_dict(), "val_f1": score,
                     "params": repr(setting)})
    return pd.DataFrame(rows), (best_model if keep_model else None)


def run_protocol(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = METHODS,
                 grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
                 repeats: int = 10, seed: int = 0,
                 base_params: Mapping[str, Mapping[str, Any]] | None = None,
                 progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Sec 5.2: ``repeats`` stratified 70/20/10 splits, each method tuned and tested.

    Returns the per-repeat metrics (columns ``repeat, task, method, n, f1, auc,
    gmean, accuracy, auc_ovo, gmean_macro, val_f1, params, seconds``). Repeat
    ``r`` uses the split seeded ``seed + r`` and models seeded ``seed + r``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise KeyError(f"unknown method(s) {unknown}; known: {list(METHODS)}")
    grids = dict(grids or {})
    base_params = dict(base_params or {})
    out = []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for m in methods:
            t0 = time.perf_counter()
            res, _ = tune_and_test(m, X, y, parts, grids.get(m), base_params.get(m), seed=seed + r)
            res.insert(0, "repeat", r)
            res["seconds"] = time.perf_counter() - t0
            out.append(res)
            if progress:
                progress(f"repeat {r} {m}: {res['f1'].round(3).tolist()}")
    return pd.concat(out, ignore_index=True)


def summarise_performance(per_repeat: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over repeats: the ``h2sea_performance.csv`` contract
    (plus the alternative metrics ``auc_ovo, gmean_macro``)."""
    g = per_repeat.groupby(["task", "method"], sort=False)
    mean = g[[*METRICS, "auc_ovo", "gmean_macro"]].mean()
    std = g[list(METRICS)].std(ddof=1).add_suffix("_std")
    out = mean.join(std)
    out["repeats"] = g.size()
    out = out.reset_index()
    return out[PERFORMANCE_COLUMNS + ["auc_ovo", "gmean_macro"]]


def paired_tests(per_repeat: pd.DataFrame, reference: str = "H2SEA",
                 metrics: Sequence[str] = ("f1", "auc", "gmean")) -> pd.DataFrame:
    """Paired tests of ``reference`` against every other method, per task and metric.

    Pairs are the repeats (same split). Reports the mean difference, the paired
    t-test p-value and the Wilcoxon signed-rank p-value (NaN when all
    differences are 0 or fewer than 2 repeats).
    """
    from scipy import stats

    rows = []
    ref = per_repeat[per_repeat["method"] == reference]
    if ref.empty:
        raise ValueError(f"reference method {reference!r} not in the results")
    for (task, method), sub in per_repeat.groupby(["task", "method"], sort=False):
        if method == reference:
            continue
        a = ref[ref["task"] == task].set_index("repeat")
        b = sub.set_index("repeat")
        common = a.index.intersection(b.index)
        for met in metrics:
            d = (a.loc[common, met] - b.loc[common, met]).astype(float).dropna()
            t_p = w_p = np.nan
            if len(d) >= 2 and d.abs().sum() > 0:
                t_p = float(stats.ttest_rel(a.loc[d.index, met], b.loc[d.index, met]).pvalue)
                w_p = float(stats.wilcoxon(d).pvalue)
            rows.append({"task": task, "baseline": method, "metric": met, "repeats": len(d),
                         "mean_diff": float(d.mean()) if len(d) else np.nan,
                         "t_pvalue": t_p, "wilcoxon_pvalue": w_p})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Table 4


# --------------------------------------------------------------------------- Table 5


# --------------------------------------------------------------------------- RQ 4


# --------------------------------------------------------------------------- chapter helpers


# --------------------------------------------------------------------------- plots


