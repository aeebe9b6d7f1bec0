"""The attacker of chapter 13: chapter 03's best model, chosen on validation only.

For one stratified 70 / 20 / 10 split (H2SEA Sec 5.1,
:func:`homelib.h2sea.protocol.stratified_split`) every candidate method is
fitted on the training rows (early stopping on the validation rows), scored
on the validation rows by macro-F1, and for each task the method with the
best validation macro-F1 becomes the attacker (ties: the earlier candidate).
The test rows are never looked at while choosing. :func:`attack_outcomes`
then records, for every test person and task, the level the attacker infers,
the probability it gives the true level and its confidence (the largest
class probability), and whether the inference is correct: the raw material
of the exposure estimator. :func:`run_attack` repeats this over splits and
scores every disclosure of :mod:`homelib.home.disclosure` with the same
fitted models.

Examples
--------
>>> v = pd.DataFrame({"method": ["LR", "XGBoost", "LR", "XGBoost"],
...                   "task": ["education", "education", "occupation", "occupation"],
...                   "val_f1": [0.40, 0.45, 0.50, 0.50]})
>>> choose_methods(v, ["LR", "XGBoost"])
{'education': 'XGBoost', 'occupation': 'LR'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..h2sea.models import METHODS, make_model
from ..h2sea.protocol import evaluate_model, stratified_split

__all__ = [
    "OUTCOME_COLUMNS",
    "Attacker",
    "choose_methods",
    "fit_attacker",
    "attack_outcomes",
    "run_attack",
]

OUTCOME_COLUMNS = ["split", "disclosure", "person_id", "task", "method", "level", "predicted",
                   "p_true", "confidence", "correct"]
"""Columns of :func:`run_attack`'s outcome table."""


@dataclass
class Attacker:
    """Fitted candidate models and, per task, the one chosen on validation.

    Attributes
    ----------
    chosen : dict
        task -> method name.
    models : dict
        method name -> fitted model (``predict_proba(X) -> {task: (n, 3)}``).
    validation : DataFrame
        ``method, task, val_f1, chosen`` (macro-F1 on the validation rows).

    Examples
    --------
    A price that fully reveals the level: LR (H2SEA's degree-2 logistic regression) beats
    POP (the most popular class) on validation and becomes the attacker.

    >>> X = pd.DataFrame({"price": np.repeat([1.0, 2.0, 3.0], 10)})
    >>> y = pd.DataFrame({"education": pd.array(np.repeat([0, 1, 2], 10), dtype="Int64")})
    >>> att = fit_attacker(X, y, stratified_split(y, seed=0), methods=["POP", "LR"])
    >>> isinstance(att, Attacker), att.chosen
    (True, {'education': 'LR'})
    >>> att.predict_proba(X.iloc[[0, 29]])["education"].argmax(axis=1).tolist()
    [0, 2]
    """

    chosen: dict[str, str]
    models: dict[str, Any]
    validation: pd.DataFrame

    def predict_proba(self, X: pd.DataFrame) -> dict[str, NDArray]:
        """Class probabilities per task, each from the task's chosen method.

        Parameters
        ----------
        X : DataFrame
            Features, as in training.

        Returns
        -------
        dict of str to array
            task -> ``(len(X), 3)`` class probabilities.
        """
        cache: dict[str, dict[str, NDArray]] = {}
        out = {}
        for task, method in self.chosen.items():
            if method not in cache:
                cache[method] = self.models[method].predict_proba(X)
            out[task] = np.asarray(cache[method][task], dtype=float)
        return out


def choose_methods(validation: pd.DataFrame, methods: Sequence[str]) -> dict[str, str]:
    """The method with the highest validation macro-F1 per task (ties: first in ``methods``).

    Parameters
    ----------
    validation : DataFrame
        ``method, task, val_f1``.
    methods : sequence of str
        Candidates in order of preference for ties.

    Returns
    -------
    dict of str to str
        task -> chosen method, tasks in their order of first appearance.

    Examples
    --------
    >>> v = pd.DataFrame({"method": ["LR", "XGBoost", "LR", "XGBoost"],
    ...                   "task": ["education", "education", "occupation", "occupation"],
    ...                   "val_f1": [0.40, 0.45, 0.50, 0.50]})
    >>> choose_methods(v, ["XGBoost", "LR"])  # the tie on occupation goes to the first
    {'education': 'XGBoost', 'occupation': 'XGBoost'}
    """
    need = ["method", "task", "val_f1"]
    missing = [c for c in need if c not in validation]
    if missing:
        raise ValueError(f"validation: missing column(s) {missing}")
    if validation["val_f1"].isna().any():
        raise ValueError("validation: val_f1 has missing values")
    order = {m: i for i, m in enumerate(methods)}
    unknown = sorted(set(validation["method"]) - set(order))
    if unknown:
        raise ValueError(f"validation: method(s) {unknown} are not candidates {list(methods)}")
    v = validation.assign(_o=validation["method"].map(order))
    v = v.sort_values(["task", "val_f1", "_o"], ascending=[True, False, True], kind="stable")
    first = v.drop_duplicates("task")
    tasks = list(dict.fromkeys(validation["task"]))
    pick = dict(zip(first["task"], first["method"], strict=True))
    return {t: pick[t] for t in tasks}


def _check_methods(methods: Sequence[str]) -> list[str]:
    methods = list(methods)
    if not methods:
        raise ValueError("methods: at least one candidate method is needed")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise KeyError(f"methods: unknown method(s) {unknown}; known: {list(METHODS)}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods: a method is listed twice in {methods}")
    return methods


def fit_attacker(X: pd.DataFrame, y: pd.DataFrame, parts: Mapping[str, NDArray],
                 methods: Sequence[str] = ("LR", "XGBoost", "H2SEA"),
                 params: Mapping[str, Mapping[str, Any]] | None = None,
                 seed: int = 0) -> Attacker:
    """Fit every candidate on ``parts["train"]`` and choose per task on ``parts["val"]``.

    Parameters
    ----------
    X, y : DataFrame
        Features and ``Int64`` labels (one column per task), same index.
    parts : mapping
        Row positions ``train``, ``val`` (``test`` is not used here).
    methods : sequence of str
        Candidate methods (names of :data:`homelib.h2sea.models.METHODS`).
    params : mapping, optional
        method -> keyword parameters of :func:`homelib.h2sea.models.make_model`.
    seed : int
        Seed of every model (POP takes none).

    Returns
    -------
    Attacker
        The fitted candidates, the choice per task and the validation table.

    Examples
    --------
    >>> X = pd.DataFrame({"price": np.repeat([1.0, 2.0, 3.0], 10)})
    >>> y = pd.DataFrame({"education": pd.array(np.repeat([0, 1, 2], 10), dtype="Int64")})
    >>> att = fit_attacker(X, y, stratified_split(y, seed=0), methods=["POP", "LR"])
    >>> att.validation[["method", "val_f1", "chosen"]].round(3).to_numpy().tolist()
    [['POP', 0.167, False], ['LR', 1.0, True]]
    """
    methods = _check_methods(methods)
    params = dict(params or {})
    unknown = sorted(set(params) - set(methods))
    if unknown:
        raise KeyError(f"params: method(s) {unknown} are not candidates {methods}")
    tr, va = np.asarray(parts["train"]), np.asarray(parts["val"])
    models, rows = {}, []
    for m in methods:
        kw = dict(params.get(m, {}))
        if m != "POP":
            kw.setdefault("seed", seed)
        model = make_model(m, **kw).fit(X.iloc[tr], y.iloc[tr], X.iloc[va], y.iloc[va])
        val = evaluate_model(model, X.iloc[va], y.iloc[va])
        models[m] = model
        rows += [{"method": m, "task": r.task, "val_f1": float(r.f1)} for r in val.itertuples()]
    validation = pd.DataFrame(rows)
    chosen = choose_methods(validation, methods)
    validation["chosen"] = [chosen[t] == m for m, t in zip(validation["method"], validation["task"],
                                                           strict=True)]
    return Attacker(chosen=chosen, models=models, validation=validation)


def attack_outcomes(attacker: Attacker, X: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """What the attacker infers about each person and task with an observed label.

    Parameters
    ----------
    attacker : Attacker
        A fitted attacker (:func:`fit_attacker`).
    X, y : DataFrame
        Features and ``Int64`` labels of the people attacked, same index; people with a
        missing label are left out of that task.

    Returns
    -------
    DataFrame
        ``person_id, task, method, level, predicted, p_true, confidence,
        correct``: the true and inferred level (0 low, 1 middle, 2 high), the
        probability given to the true level, the largest class probability
        and whether the inferred level is the true one.

    Examples
    --------
    >>> X = pd.DataFrame({"price": np.repeat([1.0, 2.0, 3.0], 10)})
    >>> y = pd.DataFrame({"education": pd.array(np.repeat([0, 1, 2], 10), dtype="Int64")})
    >>> att = fit_attacker(X, y, stratified_split(y, seed=0), methods=["POP", "LR"])
    >>> o = attack_outcomes(att, X.iloc[[0, 15]], y.iloc[[0, 15]])
    >>> o[["person_id", "method", "level", "predicted", "correct"]].to_numpy().tolist()
    [[0, 'LR', 0, 0, True], [15, 'LR', 1, 1, True]]
    >>> bool((o["p_true"] <= o["confidence"]).all())
    True
    """
    if not X.index.equals(y.index):
        raise ValueError("X and y must share the same index")
    proba = attacker.predict_proba(X)
    parts = []
    for task, p in proba.items():
        if task not in y:
            raise KeyError(f"y has no task {task!r}")
        lab = pd.to_numeric(y[task], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(lab)
        level = lab[keep].astype(int)
        pk = p[keep]
        pred = pk.argmax(axis=1)
        parts.append(pd.DataFrame({
            "person_id": X.index.to_numpy()[keep], "task": task, "method": attacker.chosen[task],
            "level": level, "predicted": pred, "p_true": pk[np.arange(level.size), level],
            "confidence": pk.max(axis=1), "correct": pred == level,
        }))
    return pd.concat(parts, ignore_index=True)


def run_attack(X: pd.DataFrame, y: pd.DataFrame, disclosed: Mapping[str, pd.DataFrame], *,
               repeats: int = 5, seed: int = 0,
               methods: Sequence[str] = ("LR", "XGBoost", "H2SEA"),
               params: Mapping[str, Mapping[str, Any]] | None = None,
               progress: Callable[[str], None] | None = None,
               splits: Sequence[Mapping[str, NDArray]] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attacker over ``repeats`` splits, scored on every disclosure of the test rows.

    Split ``r`` is :func:`stratified_split` seeded ``seed + r`` (or
    ``splits[r]`` when given, e.g. the same splits computed once for several
    analyses); its attacker (:func:`fit_attacker`, seeded ``seed + r``) is
    trained on exact homes (``X``) and then infers the test people's levels
    from each table of ``disclosed`` (same index and columns as ``X``), as an
    attacker who meets a coarser disclosure would.

    Parameters
    ----------
    X, y : DataFrame
        Features of the exact homes and ``Int64`` labels, same index.
    disclosed : mapping of str to DataFrame
        disclosure name -> features of the same people as disclosed (index and columns of
        ``X``), e.g. :func:`homelib.home.disclosure.disclosed_features`.
    repeats : int
        Number of splits.
    seed : int
        Seed of split ``0`` and of its models; split ``r`` uses ``seed + r``.
    methods : sequence of str
        Candidate methods (:func:`fit_attacker`).
    params : mapping, optional
        method -> keyword parameters of :func:`homelib.h2sea.models.make_model`.
    progress : callable, optional
        Called with one line of text after each split.
    splits : sequence of mapping, optional
        ``repeats`` precomputed splits (row positions ``train, val, test``).

    Returns
    -------
    (DataFrame, DataFrame)
        The outcomes (:data:`OUTCOME_COLUMNS`) and the validation table
        (``split, method, task, val_f1, chosen``).

    Examples
    --------
    Exact prices reveal every test person's level; a disclosure that shows the same
    middle price for everyone leaves the attacker one right guess in three.

    >>> X = pd.DataFrame({"price": np.repeat([1.0, 2.0, 3.0], 10)})
    >>> y = pd.DataFrame({"education": pd.array(np.repeat([0, 1, 2], 10), dtype="Int64")})
    >>> out, val = run_attack(X, y, {"exact": X, "blurred": X.assign(price=2.0)},
    ...                       repeats=1, methods=["POP", "LR"])
    >>> out.groupby("disclosure", sort=False)["correct"].mean().round(3).to_dict()
    {'exact': 1.0, 'blurred': 0.333}
    >>> val.loc[val["chosen"], ["split", "method"]].to_numpy().tolist()
    [[0, 'LR']]
    """
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats = {repeats!r} must be a positive integer")
    if not disclosed:
        raise ValueError("disclosed: no disclosure to score")
    for name, Xd in disclosed.items():
        if not Xd.index.equals(X.index) or list(Xd.columns) != list(X.columns):
            raise ValueError(f"disclosed[{name!r}]: index and columns must be those of X")
    if splits is not None and len(splits) != repeats:
        raise ValueError(f"splits: {len(splits)} splits given for repeats = {repeats}")
    outcomes, validation = [], []
    for r in range(repeats):
        parts = splits[r] if splits is not None else stratified_split(y, seed=seed + r)
        att = fit_attacker(X, y, parts, methods, params, seed=seed + r)
        te = np.asarray(parts["test"])
        for name, Xd in disclosed.items():
            o = attack_outcomes(att, Xd.iloc[te], y.iloc[te])
            o.insert(0, "disclosure", name)
            o.insert(0, "split", r)
            outcomes.append(o)
        validation.append(att.validation.assign(split=r))
        if progress:
            progress(f"split {r}: attacker {att.chosen}")
    out = pd.concat(outcomes, ignore_index=True)[OUTCOME_COLUMNS]
    val = pd.concat(validation, ignore_index=True)
    return out, val[["split", "method", "task", "val_f1", "chosen"]]
