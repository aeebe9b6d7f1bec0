"""The H2SEA evaluation protocol (Ding et al. 2021, Sec 5.1-5.4).

* :func:`stratified_split`: 70 / 20 / 10 train / validation / test split
  (scikit-learn's ``train_test_split(stratify=...)``) on the joint labels of
  all tasks (:func:`joint_strata`: missing = its own level; rare joint strata
  are merged into coarser ones first), so that each task's class shares are
  kept in every part.
* :func:`fit_and_score`: one model fitted on the training rows (early stopping
  on the validation rows), scored on the validation and the test rows; the
  result is cached by the data's content, the split and every parameter, so
  chapters 03-05 reuse each other's fits wherever their inputs are identical.
* :func:`tune_and_test`: grid search (``sklearn.model_selection.ParameterGrid``)
  on the validation split only, then the test metrics of the selected setting
  (multi-task models: one setting for all tasks, chosen by the mean validation
  macro-F1; single-task models: per task).
* :func:`run_protocol`: ``repeats`` splits with different seeds, every
  (repeat, method, grid point) fit run in parallel (joblib) with a progress
  bar; :func:`table3_repeats` is the one-call entry point (data set -> Table 3
  per-repeat results, cached).
* :func:`summarise_performance` (Table 3 file contract) and :func:`paired_tests`.

Why not ``GridSearchCV`` with a ``PredefinedSplit``: the neural models and
XGBoost need the validation rows inside ``fit`` (early stopping), and
``GridSearchCV`` only hands the held-out fold to the scorer. The split is the
same fixed one (:func:`predefined_split` gives it as a ``PredefinedSplit``).

The analyses built on the protocol (Tables 4-5, sensitivity, readings) are in
:mod:`homelib.h2sea.analyses`; chapter tables and figures in
:mod:`homelib.h2sea.report`.

Metric choices (the paper does not say): AUC is the one-vs-rest macro AUC and
G-Mean imbalanced-learn's multi-class G-Mean (geometric mean of the per-class
recalls); one-vs-one AUC (``auc_ovo``) and the macro one-vs-rest G-Mean
(``gmean_macro``) are kept beside them. Class decisions come from the model's
``decide`` (its decision rule), probabilities from ``predict_proba``.

Examples
--------
>>> y = pd.DataFrame({"education": pd.array([0, 1, 2, 0] * 50, dtype="Int64")})
>>> parts = stratified_split(y, seed=0)
>>> [len(parts[k]) for k in ("train", "val", "test")]  # 70 / 20 / 10 %
[140, 40, 20]
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from numpy.typing import NDArray
from scipy import stats
from sklearn.model_selection import ParameterGrid, PredefinedSplit, train_test_split

from .. import io
from ..metrics import classification_report
from ..progress import bar
from .models import METHODS, NEURAL, make_model

__all__ = [
    "TASKS",
    "METRICS",
    "PERFORMANCE_COLUMNS",
    "joint_strata",
    "stratified_split",
    "predefined_split",
    "parameter_grid",
    "default_grids",
    "evaluate_model",
    "metrics_from_decisions",
    "data_fingerprint",
    "fit_and_score",
    "run_jobs",
    "protocol_jobs",
    "select_on_validation",
    "tune_and_test",
    "run_protocol",
    "table3_repeats",
    "summarise_performance",
    "paired_tests",
]

TASKS = ("personal_income", "family_income", "education", "occupation")
METRICS = ("f1", "auc", "gmean", "accuracy")
PERFORMANCE_COLUMNS = ["task", "method", "f1", "auc", "gmean", "accuracy", "f1_std", "auc_std",
                       "gmean_std", "accuracy_std", "repeats"]


def _example_data(n: int = 120, *, noise_column: bool = False,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small data set for the examples of this module and of :mod:`homelib.h2sea.analyses`.

    Levels ``0, 1, 2`` in turn; ``price`` is the level plus normal noise (sd 0.3), so it
    reveals the level; ``noise`` (with ``noise_column``) is unrelated to it.
    """
    rng = np.random.default_rng(seed)
    lv = np.arange(n) % 3
    X = pd.DataFrame({"price": lv + rng.normal(0, 0.3, n)})
    if noise_column:
        X["noise"] = rng.normal(0, 1, n)
    return X, pd.DataFrame({"education": pd.array(lv, dtype="Int64")})


# --------------------------------------------------------------------------- splits
def joint_strata(y: pd.DataFrame, min_stratum: int = 10) -> NDArray:
    """Stratum codes from the joint labels of all tasks, rare strata merged.

    Strata are the joint labels (``<NA>`` a level of its own). Rows of a
    stratum with fewer than ``min_stratum`` rows are regrouped by their labels
    on one task fewer (the last task is dropped first), among the rows still
    unassigned; rows still unassigned after the first task join the largest
    stratum.

    Parameters
    ----------
    y : DataFrame
        Label frame.
    min_stratum : int
        Smallest stratum kept.

    Returns
    -------
    ndarray
        One integer code per row.

    Examples
    --------
    >>> y = pd.DataFrame({"a": [0] * 12 + [1] * 12, "b": [0] * 11 + [1] + [0] * 12})
    >>> np.bincount(joint_strata(y)).tolist()  # the lone (0, 1) row joins the largest stratum
    [11, 13]
    """
    cols = list(y.columns)
    lab = y.astype("string").fillna("NA")
    key = pd.Series("", index=y.index, dtype=object)
    assigned = pd.Series(False, index=y.index)
    for level in range(len(cols), 0, -1):
        k = lab[cols[:level]].agg("|".join, axis=1)
        counts = k[~assigned].value_counts()
        ok = (~assigned) & k.map(counts).ge(min_stratum).fillna(False)
        key[ok] = k[ok]
        assigned |= ok
    if (~assigned).any():
        key[~assigned] = key[assigned].value_counts().idxmax() if assigned.any() else "all"
    return pd.factorize(key)[0]


def stratified_split(y: pd.DataFrame, seed: int, fractions: Sequence[float] = (0.7, 0.2, 0.1),
                     min_stratum: int = 10) -> dict[str, NDArray]:
    """Positions of the train / validation / test rows (Sec 5.1: 70 / 20 / 10).

    Two calls of ``sklearn.model_selection.train_test_split`` stratified on
    :func:`joint_strata` (test first, then validation from the rest), so every
    task keeps its class shares in every part.

    Parameters
    ----------
    y : DataFrame
        Label frame.
    seed : int
        ``random_state`` of both cuts.
    fractions : three floats
        Train, validation and test shares (sum 1).
    min_stratum : int
        See :func:`joint_strata`.

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted positions.

    Examples
    --------
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
    strata = joint_strata(y, min_stratum)
    pos = np.arange(len(y))
    n_test = max(1, int(round(fr[2] * len(y))))
    n_val = max(1, int(round(fr[1] * len(y))))
    rest, test = train_test_split(pos, test_size=n_test, random_state=seed,
                                  stratify=_stratify_or_none(strata, n_test))
    train, val = train_test_split(rest, test_size=n_val, random_state=seed,
                                  stratify=_stratify_or_none(strata[rest], n_val))
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def _stratify_or_none(strata: NDArray, n_cut: int) -> NDArray | None:
    """The strata, or None when scikit-learn cannot stratify them.

    That is a stratum of one row, or more strata than rows in the cut; only tiny data sets
    meet the fallback.
    """
    counts = np.bincount(strata)
    counts = counts[counts > 0]
    if counts.min() < 2 or len(counts) > n_cut or len(counts) > len(strata) - n_cut:
        return None
    return strata


def predefined_split(parts: Mapping[str, NDArray], n: int) -> PredefinedSplit:
    """The fixed train / validation split as a ``PredefinedSplit`` (test rows left out).

    Parameters
    ----------
    parts : mapping
        Output of :func:`stratified_split`.
    n : int
        Number of rows.

    Returns
    -------
    sklearn.model_selection.PredefinedSplit
        One split: training rows (fold -1) vs validation rows (fold 0); test
        rows are marked -2 and must be dropped before use.

    Examples
    --------
    >>> ps = predefined_split({"train": np.array([0, 1]), "val": np.array([2]),
    ...                        "test": np.array([3])}, 4)
    >>> ps.test_fold.tolist()
    [-1, -1, 0, -2]
    """
    fold = np.full(n, -2)
    fold[parts["train"]] = -1
    fold[parts["val"]] = 0
    return PredefinedSplit(fold)


def parameter_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """All settings of a grid ``{name: [values]}`` (``sklearn.model_selection.ParameterGrid``).

    Parameters
    ----------
    grid : mapping or None
        ``None`` or ``{}`` is one empty setting.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> parameter_grid({"a": [1, 2], "b": [0]})
    [{'a': 1, 'b': 0}, {'a': 2, 'b': 0}]
    >>> parameter_grid({"a": "x"})
    Traceback (most recent call last):
    ...
    ValueError: grid['a'] must be a non-empty list; got 'x'
    """
    if not grid:
        return [{}]
    for nm, v in grid.items():
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) or not len(v):
            raise ValueError(f"grid[{nm!r}] must be a non-empty list; got {v!r}")
    return list(ParameterGrid(dict(grid)))


def default_grids(profile: str = "full") -> dict[str, dict[str, list]]:
    """Hyper-parameter grids per method (``"ci"``: one point each).

    Parameters
    ----------
    profile : {"full", "ci"}

    Returns
    -------
    dict
        Method -> grid.

    Examples
    --------
    >>> sorted(default_grids("ci"))
    ['ETNA', 'H2SEA', 'H2SEA-NA', 'LR', 'POP', 'XGBoost']
    """
    if profile == "ci":
        return {"POP": {}, "LR": {"C": [0.05]}, "XGBoost": {"max_depth": [3]},
                "ETNA": {"dropout": [0.3]}, "H2SEA-NA": {"dropout": [0.3]},
                "H2SEA": {"dropout": [0.3]}}
    if profile != "full":
        raise ValueError(f"profile must be 'ci' or 'full'; got {profile!r}")
    nn_grid = {"dropout": [0.3, 0.5]}
    return {"POP": {}, "LR": {"C": [0.01, 0.1]}, "XGBoost": {"max_depth": [3, 5]},
            "ETNA": nn_grid, "H2SEA-NA": nn_grid, "H2SEA": nn_grid}


# --------------------------------------------------------------------------- evaluation
def evaluate_model(model: Any, X: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """Metrics per task on the rows whose label is observed.

    Parameters
    ----------
    model : fitted estimator
        With ``predict_proba(X) -> {task: (n, K)}`` and optionally
        ``decide(proba) -> {task: classes}`` (default: arg-max).
    X, y : DataFrame
        Evaluation rows and their labels.

    Returns
    -------
    DataFrame
        One row per task: ``task, n, f1, auc, gmean, accuracy, auc_ovo, gmean_macro``.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> from homelib.h2sea.models import make_model
    >>> pop = make_model("POP").fit(X.iloc[parts["train"]], y.iloc[parts["train"]])
    >>> r = evaluate_model(pop, X.iloc[parts["test"]], y.iloc[parts["test"]])
    >>> int(r.n[0]), round(float(r.accuracy[0]), 3), float(r.gmean[0])  # one class for everyone
    (12, 0.333, 0.0)
    """
    proba = model.predict_proba(X)
    pred = model.decide(proba) if hasattr(model, "decide") else {t: p.argmax(1) for t, p in proba.items()}
    return metrics_from_decisions(y, proba, pred)


def metrics_from_decisions(y: pd.DataFrame, proba: Mapping[str, NDArray],
                           pred: Mapping[str, NDArray]) -> pd.DataFrame:
    """Metrics per task from probabilities (AUC) and class decisions (the rest).

    Parameters
    ----------
    y : DataFrame
        Labels of the evaluation rows (``<NA>`` rows are left out per task).
    proba : mapping
        ``{task: (n, K)}``.
    pred : mapping
        ``{task: (n,)}`` class codes.

    Returns
    -------
    DataFrame
        As :func:`evaluate_model`.

    Examples
    --------
    >>> y = pd.DataFrame({"t": pd.array([0, 1, pd.NA], dtype="Int64")})
    >>> p = {"t": np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])}
    >>> metrics_from_decisions(y, p, {"t": np.array([0, 0, 1])})[["n", "accuracy", "auc"]].values.tolist()
    [[2.0, 0.5, 1.0]]
    """
    rows = []
    for t in y.columns:
        lab = pd.to_numeric(y[t], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(lab)
        if keep.sum() == 0:
            raise ValueError(f"task {t!r} has no observed label among the {len(y)} evaluation rows")
        k = proba[t].shape[1]
        if lab[keep].max() >= k:
            raise ValueError(f"task {t!r}: evaluation label {int(lab[keep].max())} is not among the "
                             f"model's {k} classes")
        rep = classification_report(lab[keep].astype(int), proba[t][keep],
                                    y_pred=np.asarray(pred[t])[keep].astype(int))
        rows.append({"task": t, "n": int(keep.sum()), **rep})
    return pd.DataFrame(rows)


def data_fingerprint(X: pd.DataFrame, y: pd.DataFrame) -> str:
    """A content hash of a feature and a label frame (values, index, columns, dtypes).

    Parameters
    ----------
    X, y : DataFrame

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0]}); b = pd.DataFrame({"t": [0, 1]})
    >>> data_fingerprint(a, b) == data_fingerprint(a.copy(), b.copy())
    True
    >>> data_fingerprint(a, b) == data_fingerprint(a.assign(x=[1.0, 2.5]), b)
    False
    """
    h = hashlib.sha256()
    for df in (X, y):
        h.update(repr([(c, str(df[c].dtype)) for c in df.columns]).encode())
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def _positions_hash(a: NDArray) -> str:
    return hashlib.sha256(np.asarray(a, dtype=np.int64).tobytes()).hexdigest()[:16]


def _model_params(method: str, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    extra = {} if method == "POP" else {"seed": seed}
    return {**dict(params), **extra}


def _cache_key(method: str, model: Any, fingerprint: str, parts: Mapping[str, NDArray],
               tasks: Sequence[str]) -> dict[str, Any]:
    p = model.get_params(deep=True)
    if p.get("task_weights") is not None:  # None and the uniform mapping are the same model
        p["task_weights"] = {t: float(p["task_weights"].get(t, 0.0)) for t in tasks}
    elif "task_weights" in p:
        p["task_weights"] = {t: 1.0 / len(tasks) for t in tasks}
    return {"method": method, "params": p, "data": fingerprint, "v": 2,
            **{k: _positions_hash(parts[k]) for k in ("train", "val", "test")}}


def fit_and_score(method: str, params: Mapping[str, Any], X: pd.DataFrame, y: pd.DataFrame,
                  parts: Mapping[str, NDArray], seed: int, *, cache: bool = False,
                  fingerprint: str | None = None) -> dict[str, Any]:
    """Fit one model on the training rows and score it on the validation and test rows.

    Parameters
    ----------
    method : str
        One of ``METHODS``.
    params : mapping
        Constructor parameters (``seed`` is added for every method but POP).
    X, y : DataFrame
        All rows; ``parts`` picks them.
    parts : mapping
        ``train``, ``val``, ``test`` positions (:func:`stratified_split`).
    seed : int
        Model seed.
    cache : bool
        Keep the result in ``data/cache`` (:func:`homelib.io.cached`), keyed by
        the data's content, the three position sets and every model parameter.
    fingerprint : str, optional
        :func:`data_fingerprint` of ``(X, y)`` if already computed.

    Returns
    -------
    dict
        ``val`` and ``test`` (metrics per task, :func:`evaluate_model`),
        ``val_pred`` / ``test_pred`` (class decisions), ``val_proba`` /
        ``test_proba`` (``{task: (n, K)}``), ``history`` (per-epoch frame or
        None), ``best_epoch`` and ``trained_prior`` (neural models, else None),
        ``seconds`` and ``cpu_seconds`` of the fit.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> r = fit_and_score("LR", {"C": 1.0}, X, y, parts, seed=0)
    >>> sorted(k for k in r if not k.endswith(("_proba", "_pred")))[:4]
    ['best_epoch', 'cpu_seconds', 'history', 'seconds']
    >>> round(float(r["val"].f1[0]), 3), list(r["test"].columns[:3])
    (0.958, ['task', 'n', 'f1'])
    """
    model = make_model(method, **_model_params(method, params, seed))
    tr, va, te = parts["train"], parts["val"], parts["test"]

    def build() -> dict[str, Any]:
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(X.iloc[tr], y.iloc[tr], X.iloc[va], y.iloc[va])
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        out = {"history": getattr(model, "history_", None), "seconds": seconds, "cpu_seconds": cpu,
               "best_epoch": getattr(model, "best_epoch_", None),
               "trained_prior": getattr(model, "trained_prior_", None)}
        for part, rows in (("val", va), ("test", te)):
            proba = model.predict_proba(X.iloc[rows])
            pred = model.decide(proba)
            out[part] = metrics_from_decisions(y.iloc[rows], proba, pred)
            out[f"{part}_proba"] = proba
            out[f"{part}_pred"] = pd.DataFrame(pred, index=X.index[rows])
        return out

    if not cache:
        return build()
    fp = fingerprint or data_fingerprint(X, y)
    return io.cached("h2sea_fit", _cache_key(method, model, fp, parts, list(y.columns)), build)


def run_jobs(jobs: Sequence[Mapping[str, Any]], X: pd.DataFrame, y: pd.DataFrame, *,
             n_jobs: int = 1, cache: bool = False, desc: str = "fits") -> list[dict[str, Any]]:
    """Run :func:`fit_and_score` for every job, in parallel over ``n_jobs`` processes.

    Identical jobs (same method, parameters, data and split) run once. Chapters
    gather the jobs of all their analyses into one call, so both cores stay
    busy until the last fit, and later calls read the cache.

    Parameters
    ----------
    jobs : sequence of mappings
        Each with ``method``, ``params``, ``parts`` and ``seed``; ``X`` and ``y``
        may override the shared frames (a subset of rows or columns).
    X, y : DataFrame
        The shared frames.
    n_jobs : int
        Worker processes (joblib, loky backend); 1 runs in this process.
    cache : bool
        See :func:`fit_and_score`.
    desc : str
        Progress-bar label.

    Returns
    -------
    list of dict
        The results, in the order of ``jobs``.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> jobs = [{"method": "POP", "params": {}, "parts": parts, "seed": 0}] * 2  # run once
    >>> out = run_jobs(jobs, X, y)
    >>> len(out), out[0] is out[1] or out[0]["test"].equals(out[1]["test"])
    (2, True)
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1; got {n_jobs}")
    fps: dict[tuple[int, int], str] = {}
    unique: dict[str, tuple] = {}
    order = []
    for j in jobs:
        Xj, yj = j.get("X", X), j.get("y", y)
        if (id(Xj), id(yj)) not in fps:
            fps[id(Xj), id(yj)] = data_fingerprint(Xj, yj)
        fp = fps[id(Xj), id(yj)]
        model = make_model(j["method"], **_model_params(j["method"], j["params"], j["seed"]))
        key = io.param_hash(_cache_key(j["method"], model, fp, j["parts"], list(yj.columns)))
        unique.setdefault(key, (j["method"], j["params"], Xj, yj, j["parts"], j["seed"], fp))
        order.append(key)
    # the slow fits first, so that the last ones to finish are short (better use of the cores)
    keys = sorted(unique, key=lambda k: _COST_RANK.get(unique[k][0], 0), reverse=True)
    calls = [delayed(fit_and_score)(m, p, Xj, yj, parts, sd, cache=cache, fingerprint=fp)
             for m, p, Xj, yj, parts, sd, fp in (unique[k] for k in keys)]
    if n_jobs == 1 or len(calls) <= 1:
        done = [f(*a, **kw) for f, a, kw in bar(calls, total=len(calls), desc=desc, unit="fit")]
    else:
        done = list(bar(Parallel(n_jobs=n_jobs, return_as="generator")(calls), total=len(calls),
                        desc=desc, unit="fit"))
    by_key = dict(zip(keys, done, strict=True))
    return [by_key[k] for k in order]


_COST_RANK = {"H2SEA": 3, "H2SEA-NA": 3, "ETNA": 3, "XGBoost": 2, "LR": 1, "POP": 0}


def protocol_jobs(y: pd.DataFrame, methods: Sequence[str] = METHODS,
                  grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
                  repeats: int = 10, seed: int = 0,
                  base_params: Mapping[str, Mapping[str, Any]] | None = None
                  ) -> tuple[list[dict[str, Any]], list[tuple[int, str, list, int]]]:
    """The fits of :func:`run_protocol` as jobs for :func:`run_jobs`.

    Parameters
    ----------
    y : DataFrame
    methods, grids, repeats, seed, base_params
        As in :func:`run_protocol`.

    Returns
    -------
    tuple
        ``(jobs, plan)``: ``plan`` has one ``(repeat, method, settings,
        first job index)`` per repeat and method.

    Examples
    --------
    >>> y = pd.DataFrame({"t": pd.array([0, 1] * 20, dtype="Int64")})
    >>> jobs, plan = protocol_jobs(y, ["POP", "LR"], {"LR": {"C": [0.1, 1.0]}}, repeats=2)
    >>> len(jobs), [p[:2] for p in plan]
    (6, [(0, 'POP'), (0, 'LR'), (1, 'POP'), (1, 'LR')])
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise KeyError(f"unknown method(s) {unknown}; known: {list(METHODS)}")
    grids = dict(grids or {})
    base_params = dict(base_params or {})
    plan, jobs = [], []
    for r in range(repeats):
        parts = stratified_split(y, seed=seed + r)
        for m in methods:
            settings = parameter_grid(grids.get(m))
            plan.append((r, m, settings, len(jobs)))
            jobs += [{"method": m, "params": {**dict(base_params.get(m) or {}), **s}, "parts": parts,
                      "seed": seed + r} for s in settings]
    return jobs, plan


def select_on_validation(method: str, results: Sequence[Mapping[str, Any]],
                         settings: Sequence[Mapping[str, Any]], tasks: Sequence[str]) -> pd.DataFrame:
    """Pick the grid setting by validation macro-F1 and return its test metrics.

    Multi-task models (``NEURAL``) keep one setting for all tasks (best mean
    validation macro-F1 over tasks); single-task models the best setting per
    task. Ties keep the first setting.

    Parameters
    ----------
    method : str
    results : sequence of dict
        :func:`fit_and_score` results, one per setting.
    settings : sequence of mappings
        The grid settings, aligned with ``results``.
    tasks : sequence of str

    Returns
    -------
    DataFrame
        Per task: ``task, method``, the test metrics, ``val_f1`` (the score the
        setting was chosen by), ``params`` and ``best_epoch``.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> settings = [{"C": 0.001}, {"C": 1.0}]
    >>> results = [fit_and_score("LR", s, X, y, parts, seed=0) for s in settings]
    >>> t = select_on_validation("LR", results, settings, ["education"])
    >>> [round(float(r["val"].f1[0]), 3) for r in results]  # validation macro-F1 per setting
    [1.0, 0.958]
    >>> t.params[0], float(t.val_f1[0])  # the better one on validation; t holds its test metrics
    ("{'C': 0.001}", 1.0)
    """
    rows = []
    for t in tasks:
        best = None
        for res, setting in zip(results, settings, strict=True):
            val = res["val"].set_index("task")
            score = float(val["f1"].mean()) if method in NEURAL else float(val.loc[t, "f1"])
            if best is None or score > best[0]:
                best = (score, setting, res)
        score, setting, res = best
        test = res["test"].set_index("task").loc[t]
        rows.append({"task": t, "method": method, **test.to_dict(), "val_f1": score,
                     "params": repr(dict(setting)), "best_epoch": res["best_epoch"],
                     "fit_seconds": res["seconds"]})
    return pd.DataFrame(rows)


def tune_and_test(method: str, X: pd.DataFrame, y: pd.DataFrame, parts: Mapping[str, NDArray],
                  grid: Mapping[str, Sequence[Any]] | None = None,
                  base_params: Mapping[str, Any] | None = None, seed: int = 0, *,
                  n_jobs: int = 1, cache: bool = False) -> pd.DataFrame:
    """Grid search on the validation rows only, then test metrics (one split).

    Parameters
    ----------
    method : str
    X, y : DataFrame
    parts : mapping
        :func:`stratified_split` output.
    grid : mapping, optional
        ``{parameter: [values]}``.
    base_params : mapping, optional
        Parameters shared by every grid point.
    seed : int
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        :func:`select_on_validation` output.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> t = tune_and_test("LR", X, y, parts, grid={"C": [0.1, 1.0]})
    >>> t.method[0], t.params[0], round(float(t.f1[0]), 3)  # chosen on validation, scored on test
    ('LR', "{'C': 0.1}", 0.915)
    """
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known: {list(METHODS)}")
    settings = parameter_grid(grid)
    jobs = [{"method": method, "params": {**dict(base_params or {}), **s}, "parts": parts, "seed": seed}
            for s in settings]
    results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc=method)
    return select_on_validation(method, results, settings, list(y.columns))


def run_protocol(X: pd.DataFrame, y: pd.DataFrame, methods: Sequence[str] = METHODS,
                 grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
                 repeats: int = 10, seed: int = 0,
                 base_params: Mapping[str, Mapping[str, Any]] | None = None,
                 progress_fn: Callable[[str], None] | None = None, *, n_jobs: int = 1,
                 cache: bool = False) -> pd.DataFrame:
    """Sec 5.2: ``repeats`` stratified 70/20/10 splits, each method tuned and tested.

    Every (repeat, method, grid point) fit is one job of :func:`run_jobs`
    (parallel over ``n_jobs`` processes, cached if ``cache``); the selection
    then uses the validation scores only (:func:`select_on_validation`).

    Parameters
    ----------
    X, y : DataFrame
    methods : sequence of str
    grids : mapping, optional
        Method -> grid (:func:`default_grids`).
    repeats : int
        Splits; repeat ``r`` uses the split seeded ``seed + r`` and models seeded ``seed + r``.
    seed : int
    base_params : mapping, optional
        Method -> parameters shared by its grid points.
    progress_fn : callable, optional
        Called with one line per (repeat, method) once all fits are done.
    n_jobs : int
    cache : bool

    Returns
    -------
    DataFrame
        Per-repeat metrics: ``repeat, task, method, n, f1, auc, gmean, accuracy,
        auc_ovo, gmean_macro, val_f1, params, best_epoch, fit_seconds``.

    Examples
    --------
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> parts = stratified_split(y, seed=0)
    >>> per = run_protocol(X, y, methods=["POP", "LR"], grids={"LR": {"C": [1.0]}}, repeats=2)
    >>> per.groupby("method", sort=False).f1.mean().round(3).to_dict()
    {'POP': 0.167, 'LR': 0.915}
    """
    jobs, plan = protocol_jobs(y, methods, grids, repeats, seed, base_params)
    results = run_jobs(jobs, X, y, n_jobs=n_jobs, cache=cache, desc="Table 3 fits")
    out = []
    for r, m, settings, start in plan:
        res = select_on_validation(m, results[start:start + len(settings)], settings, list(y.columns))
        res.insert(0, "repeat", r)
        out.append(res)
        if progress_fn:
            progress_fn(f"repeat {r} {m}: {res['f1'].round(3).tolist()}")
    return pd.concat(out, ignore_index=True)


def table3_repeats(X: pd.DataFrame, y: pd.DataFrame, *, grid_profile: str = "full",
                   repeats: int = 10, seed: int = 0, max_epochs: int = 60,
                   methods: Sequence[str] = METHODS, n_jobs: int = 2) -> pd.DataFrame:
    """Table 3's per-repeat results for a data set in one call (cached fit by fit).

    The book's protocol: :func:`default_grids` of ``grid_profile``, the neural
    models with ``max_epochs``, ``repeats`` splits. A second call with the same
    inputs only reads the cache; a call with more repeats fits only the new ones.

    Parameters
    ----------
    X, y : DataFrame
    grid_profile : {"full", "ci"}
    repeats, seed, max_epochs : int
    methods : sequence of str
    n_jobs : int

    Returns
    -------
    DataFrame
        :func:`run_protocol` output.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HOMELIB_ROOT"] = tempfile.mkdtemp()  # a scratch cache for this example
    >>> X, y = _example_data()  # 120 people; a noisy price reveals the education level
    >>> per = table3_repeats(X, y, grid_profile="ci", repeats=1, methods=["POP"], n_jobs=1)
    >>> per[["repeat", "method", "task"]].values.tolist()
    [[0, 'POP', 'education']]
    >>> del os.environ["HOMELIB_ROOT"]
    """
    base = {m: {"max_epochs": max_epochs} for m in NEURAL}
    return run_protocol(X, y, methods, default_grids(grid_profile), repeats, seed, base,
                        n_jobs=n_jobs, cache=True)


def summarise_performance(per_repeat: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over repeats: the ``h2sea_performance.csv`` contract.

    Plus the alternative metrics ``auc_ovo, gmean_macro``.

    Parameters
    ----------
    per_repeat : DataFrame
        :func:`run_protocol` output.

    Returns
    -------
    DataFrame
        ``PERFORMANCE_COLUMNS`` + ``auc_ovo, gmean_macro``.

    Examples
    --------
    >>> per = pd.DataFrame({"repeat": [0, 1], "task": "education", "method": "LR", "n": 12,
    ...                     "f1": [0.5, 0.7], "auc": 0.8, "gmean": 0.6, "accuracy": 0.7,
    ...                     "auc_ovo": 0.8, "gmean_macro": 0.6})
    >>> s = summarise_performance(per)
    >>> float(s.f1[0]), round(float(s.f1_std[0]), 3), int(s.repeats[0])
    (0.6, 0.141, 2)
    """
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

    Parameters
    ----------
    per_repeat : DataFrame
    reference : str
    metrics : sequence of str

    Returns
    -------
    DataFrame
        ``task, baseline, metric, repeats, mean_diff, t_pvalue, wilcoxon_pvalue``.

    Examples
    --------
    >>> per = pd.DataFrame({"repeat": [0, 1, 2] * 2, "task": "education",
    ...                     "method": ["H2SEA"] * 3 + ["LR"] * 3,
    ...                     "f1": [0.52, 0.55, 0.50, 0.48, 0.50, 0.47], "auc": 0.7, "gmean": 0.5})
    >>> t = paired_tests(per, metrics=["f1"])
    >>> t.baseline[0], round(float(t.mean_diff[0]), 3), int(t.repeats[0])
    ('LR', 0.04, 3)
    """
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
