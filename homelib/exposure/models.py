"""Exposure models (PFLI Sec 8.2, Tables 5-6).

A random forest ("RDF") and a linear regression of the group EP on
``(K, category, % friends with attributes, cluster confidence)``, scored by
cross-validated MAE and RMSE, and the leave-one-feature-out forests.

Examples
--------
>>> g = pd.DataFrame({"k_km": [10.0, 50.0], "category": ["HT", "F"],
...                   "pct_friends_with_attributes": [20.0, 80.0],
...                   "cluster_confidence": [0.5, 0.9]})
>>> design_matrix(g).shape  # K, 8 category indicators, % friends, cluster confidence
(2, 11)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .features import ALL_CATEGORIES, EXPOSURE_FEATURES, FEATURE_LABELS

__all__ = [
    "design_matrix",
    "ExposureModel",
    "fit_exposure_model",
    "cross_validate_exposure",
    "evaluate_exposure_models",
]


def _check_features(features: Iterable[str]) -> tuple[str, ...]:
    feats = tuple(features)
    for f in feats:
        if f not in EXPOSURE_FEATURES:
            raise ValueError(f"features: unknown feature {f!r}; allowed {EXPOSURE_FEATURES}")
    if not feats:
        raise ValueError("features: at least one feature is needed")
    return tuple(f for f in EXPOSURE_FEATURES if f in feats)


def design_matrix(frame: pd.DataFrame, features: Iterable[str] = EXPOSURE_FEATURES) -> NDArray:
    """Numeric design matrix of the exposure model.

    Columns: ``k_km`` (error distance), one indicator per category of
    :data:`ALL_CATEGORIES` (user category), ``pct_friends_with_attributes``
    and ``cluster_confidence``, for the selected ``features``.

    >>> f = pd.DataFrame({"k_km": [20.0], "category": ["WE"],
    ...                   "pct_friends_with_attributes": [0.0], "cluster_confidence": [0.4]})
    >>> design_matrix(f).tolist()
    [[20.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4]]
    """
    feats = _check_features(features)
    cols = []
    if "error_distance" in feats:
        cols.append(frame["k_km"].to_numpy(float)[:, None])
    if "user_category" in feats:
        cat = frame["category"].to_numpy(object)
        unknown = sorted(set(cat) - set(ALL_CATEGORIES))
        if unknown:
            raise ValueError(f"category: unknown value(s) {unknown}; allowed {ALL_CATEGORIES}")
        cols.append(np.stack([(cat == c).astype(float) for c in ALL_CATEGORIES], axis=1))
    if "pct_friends_with_attributes" in feats:
        cols.append(frame["pct_friends_with_attributes"].to_numpy(float)[:, None])
    if "cluster_confidence" in feats:
        cols.append(frame["cluster_confidence"].to_numpy(float)[:, None])
    x = np.hstack(cols)
    if not np.isfinite(x).all():
        raise ValueError("exposure features: missing or infinite values")
    return x


def _make_regressor(kind: str, seed: int, n_estimators: int, n_jobs: int,
                    min_samples_leaf: int, max_features: float = 1.0,
                    max_samples: float | None = None) -> Any:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    if kind == "rdf":
        return RandomForestRegressor(
            n_estimators=n_estimators,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            max_samples=max_samples,
            random_state=seed,
            n_jobs=n_jobs,
        )
    if kind == "linear":
        return LinearRegression()
    raise ValueError(f"kind = {kind!r} must be 'rdf' or 'linear'")


def _kept(groups: pd.DataFrame, min_group_size: int) -> tuple[pd.DataFrame, int]:
    if min_group_size < 1:
        raise ValueError(f"min_group_size = {min_group_size!r} must be at least 1")
    keep = groups["n_users"].to_numpy() >= min_group_size
    if not keep.any():
        raise ValueError(
            f"min_group_size = {min_group_size}: no group is that large "
            f"(largest has {int(groups['n_users'].max())} users)"
        )
    return groups[keep].reset_index(drop=True), int((~keep).sum())


@dataclass
class ExposureModel:
    """A fitted exposure model: EP@K from the exposure features.

    Attributes
    ----------
    kind : {"rdf", "linear"}
    features : tuple of str
        Subset of :data:`EXPOSURE_FEATURES` used.
    regressor : sklearn estimator
    n_rows, n_rows_dropped : int
        Group x K rows used, and rows left out for having fewer than
        ``min_group_size`` users.
    min_group_size : int
    ks : tuple of float
        The K grid the model was trained on.
    """

    kind: str
    features: tuple[str, ...]
    regressor: Any
    n_rows: int
    n_rows_dropped: int
    min_group_size: int
    ks: tuple[float, ...] = field(default_factory=tuple)

    def predict(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """EP for rows with ``k_km, category, pct_friends_with_attributes,
        cluster_confidence``, clipped to [0, 1]."""
        x = design_matrix(frame, self.features)
        return np.clip(self.regressor.predict(x), 0.0, 1.0)


def fit_exposure_model(
    groups: pd.DataFrame,
    *,
    kind: str = "rdf",
    features: Iterable[str] = EXPOSURE_FEATURES,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
) -> ExposureModel:
    """Fit the RDF (random forest) or linear exposure model on group EPs.

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    kind : {"rdf", "linear"}
    features : subset of :data:`EXPOSURE_FEATURES`
    min_group_size : int
        Groups with fewer users are left out (counted in ``n_rows_dropped``).
    n_estimators, min_samples_leaf, n_jobs : int
        Random forest settings.
    max_features, max_samples : float
        Share of the design columns tried at each split and share of the rows
        drawn for each tree (a faster forest of the same accuracy here).
    seed : int
        Random state of the forest.
    """
    feats = _check_features(features)
    kept, dropped = _kept(groups, min_group_size)
    reg = _make_regressor(kind, seed, n_estimators, n_jobs, min_samples_leaf,
                          max_features, max_samples)
    reg.fit(design_matrix(kept, feats), kept["ep"].to_numpy(float))
    ks = tuple(sorted(float(k) for k in kept["k_km"].unique()))
    return ExposureModel(kind, feats, reg, len(kept), dropped, min_group_size, ks)


def cross_validate_exposure(
    groups: pd.DataFrame,
    *,
    kind: str = "rdf",
    features: Iterable[str] = EXPOSURE_FEATURES,
    folds: int = 10,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
    by_group: bool = False,
) -> dict[str, float]:
    """K-fold cross-validated MAE and RMSE of an exposure model (Table 5).

    Rows (group x K) are shuffled into ``folds`` folds with ``seed``; the
    errors of all out-of-fold predictions are pooled. With ``by_group=True``
    all K rows of a group (``category, pct_bin, cc_bin``) fall in the same
    fold, so a group is never predicted from its own EP at another K (a
    stricter test than the paper's, which does not say how it split).

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``n_rows``, ``n_rows_dropped``.
    """
    from sklearn.model_selection import GroupKFold, KFold

    feats = _check_features(features)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds = {folds!r} must be an integer of at least 2")
    kept, dropped = _kept(groups, min_group_size)
    if len(kept) < folds:
        raise ValueError(f"folds = {folds}: only {len(kept)} rows to cross-validate")
    x = design_matrix(kept, feats)
    y = kept["ep"].to_numpy(float)
    pred = np.empty_like(y)
    if by_group:
        keys = ["category", "pct_bin", "cc_bin"]
        missing = [c for c in keys if c not in kept]
        if missing:
            raise ValueError(f"by_group: groups lack column(s) {missing}")
        gid = kept.groupby(keys, observed=True, sort=False).ngroup().to_numpy()
        if np.unique(gid).size < folds:
            raise ValueError(f"folds = {folds}: only {np.unique(gid).size} groups to split")
        splits = GroupKFold(folds, shuffle=True, random_state=seed).split(x, groups=gid)
    else:
        splits = KFold(folds, shuffle=True, random_state=seed).split(x)
    for train, test in splits:
        reg = _make_regressor(kind, seed, n_estimators, n_jobs, min_samples_leaf,
                              max_features, max_samples)
        reg.fit(x[train], y[train])
        pred[test] = np.clip(reg.predict(x[test]), 0.0, 1.0)
    err = pred - y
    return {
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "n_rows": int(len(kept)),
        "n_rows_dropped": dropped,
    }


def evaluate_exposure_models(
    groups: pd.DataFrame,
    *,
    folds: int = 10,
    min_group_size: int = 10,
    n_estimators: int = 50,
    min_samples_leaf: int = 1,
    max_features: float = 0.5,
    max_samples: float | None = 0.5,
    n_jobs: int = 1,
    seed: int = 0,
    by_group: bool = False,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tables 5-6: CV MAE/RMSE of RDF, LinearRegression and the 4 RDFs without one feature.

    ``by_group`` is passed to :func:`cross_validate_exposure`; ``models``
    restricts the runs to these names (default: all six).

    Returns
    -------
    DataFrame
        ``model, mae, rmse, n_rows, n_rows_dropped`` with models named as in
        ``data/reference/pfli_table5_6_exposure_model.csv``: ``RDF``,
        ``LinearRegression``, ``RDF without <feature>``.
    """
    common = dict(
        folds=folds, min_group_size=min_group_size, n_estimators=n_estimators,
        min_samples_leaf=min_samples_leaf, max_features=max_features,
        max_samples=max_samples, n_jobs=n_jobs, seed=seed, by_group=by_group,
    )
    runs: list[tuple[str, str, tuple[str, ...]]] = [
        ("RDF", "rdf", EXPOSURE_FEATURES),
        ("LinearRegression", "linear", EXPOSURE_FEATURES),
    ]
    for f in EXPOSURE_FEATURES:
        rest = tuple(x for x in EXPOSURE_FEATURES if x != f)
        runs.append((f"RDF without {FEATURE_LABELS[f]}", "rdf", rest))
    if models is not None:
        known = [r[0] for r in runs]
        unknown = [m for m in models if m not in known]
        if unknown:
            raise ValueError(f"models: unknown name(s) {unknown}; allowed {known}")
        runs = [r for r in runs if r[0] in set(models)]
    rows = []
    for name, kind, feats in runs:
        res = cross_validate_exposure(groups, kind=kind, features=feats, **common)
        rows.append({"model": name, **res})
    return pd.DataFrame(rows)[["model", "mae", "rmse", "n_rows", "n_rows_dropped"]]
