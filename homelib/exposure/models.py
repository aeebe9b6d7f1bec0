"""Exposure models (PFLI Sec 8.2, Tables 5-6).

A random forest ("RDF") and a linear regression of the group EP on
``(K, category, % friends with attributes, cluster confidence)``, scored by
cross-validated MAE and RMSE, and the leave-one-feature-out forests. The
models are scikit-learn estimators (:class:`ExposureModel`, a pipeline
``ExposureDesign -> regressor``); the cross-validation is
``cross_val_predict`` over ``KFold`` (``GroupKFold`` with ``by_group``).

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
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .features import ALL_CATEGORIES, EXPOSURE_FEATURES, FEATURE_LABELS

__all__ = [
    "design_matrix",
    "ExposureDesign",
    "ExposureModel",
    "make_exposure_pipeline",
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


class ExposureDesign(TransformerMixin, BaseEstimator):
    """The exposure features of a frame as a numeric matrix (:func:`design_matrix`), as a
    scikit-learn transformer (the first step of :func:`make_exposure_pipeline`).

    Parameters
    ----------
    features : sequence of str
        Subset of :data:`EXPOSURE_FEATURES`.

    Examples
    --------
    >>> f = pd.DataFrame({"k_km": [20.0], "category": ["WE"],
    ...                   "pct_friends_with_attributes": [0.0], "cluster_confidence": [0.4]})
    >>> ExposureDesign(("error_distance", "cluster_confidence")).fit_transform(f).tolist()
    [[20.0, 0.4]]
    """

    def __init__(self, features: Sequence[str] = EXPOSURE_FEATURES):
        self.features = features

    def fit(self, X: pd.DataFrame, y=None) -> ExposureDesign:
        """Check the features (nothing is learned).

        Parameters
        ----------
        X : DataFrame
        y : ignored

        Returns
        -------
        ExposureDesign
        """
        self.features_ = _check_features(self.features)
        return self

    def transform(self, X: pd.DataFrame) -> NDArray:
        """:func:`design_matrix` of ``X``.

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        ndarray
        """
        check_is_fitted(self, "features_")
        return design_matrix(X, self.features_)


class ExposureModel(RegressorMixin, BaseEstimator):
    """The RDF (random forest) or linear exposure model (PFLI Sec 8.2), a scikit-learn estimator.

    ``fit(X, y)`` takes a frame with the exposure features (``k_km, category,
    pct_friends_with_attributes, cluster_confidence``) and the group EPs
    (default: ``X["ep"]``); ``predict`` gives EP@K clipped to [0, 1]. The
    fitted ``pipeline_`` is ``ExposureDesign -> regressor`` (see
    :func:`make_exposure_pipeline`); ``clone``, ``get_params``, ``set_params``
    and ``cross_val_predict`` work.

    Parameters
    ----------
    kind : {"rdf", "linear"}
    features : sequence of str
        Subset of :data:`EXPOSURE_FEATURES`.
    n_estimators, min_samples_leaf, n_jobs : int
        Random forest settings.
    max_features, max_samples : float
        Share of the design columns tried at each split and share of the rows
        drawn for each tree.
    seed : int
        Random state of the forest.

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
    features_ : tuple of str
    ks_ : tuple of float
        The K grid the model was trained on.
    n_rows_ : int
        Rows (group x K) fitted. :func:`fit_exposure_model` also sets
        ``n_rows_dropped_`` and ``min_group_size_``.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> g = pd.DataFrame({"k_km": [10.0, 50.0, 10.0, 50.0], "category": ["HT", "HT", "F", "F"],
    ...                   "pct_friends_with_attributes": [20.0, 20.0, 80.0, 80.0],
    ...                   "cluster_confidence": [0.5, 0.5, 0.9, 0.9], "ep": [0.2, 0.6, 0.5, 0.9]})
    >>> m = ExposureModel(kind="linear").fit(g)
    >>> m.predict(g).round(2).tolist(), clone(m).get_params()["kind"]
    ([0.2, 0.6, 0.5, 0.9], 'linear')
    """

    def __init__(self, kind: str = "rdf", features: Sequence[str] = EXPOSURE_FEATURES,
                 n_estimators: int = 50, min_samples_leaf: int = 1, max_features: float = 0.5,
                 max_samples: float | None = 0.5, n_jobs: int = 1, seed: int = 0):
        self.kind = kind
        self.features = features
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_samples = max_samples
        self.n_jobs = n_jobs
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: ArrayLike | None = None) -> ExposureModel:
        """Fit the pipeline on the rows of ``X`` (EP from ``y`` or ``X["ep"]``).

        Parameters
        ----------
        X : DataFrame
        y : array of float, optional

        Returns
        -------
        ExposureModel
        """
        self.features_ = _check_features(self.features)
        y = X["ep"].to_numpy(float) if y is None else np.asarray(y, dtype=float)
        self.pipeline_ = make_exposure_pipeline(
            self.kind, self.features_, seed=self.seed, n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf, max_features=self.max_features,
            max_samples=self.max_samples, n_jobs=self.n_jobs,
        ).fit(X, y)
        self.ks_ = tuple(sorted(float(k) for k in pd.unique(X["k_km"])))
        self.n_rows_ = len(X)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """EP for rows with ``k_km, category, pct_friends_with_attributes,
        cluster_confidence``, clipped to [0, 1].

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        ndarray of float
        """
        check_is_fitted(self, "pipeline_")
        return np.clip(self.pipeline_.predict(X), 0.0, 1.0)


def make_exposure_pipeline(kind: str = "rdf", features: Iterable[str] = EXPOSURE_FEATURES, *,
                           seed: int = 0, n_estimators: int = 50, min_samples_leaf: int = 1,
                           max_features: float = 0.5, max_samples: float | None = 0.5,
                           n_jobs: int = 1) -> Pipeline:
    """``ExposureDesign(features) -> RandomForestRegressor | LinearRegression`` (unfitted).

    Parameters
    ----------
    kind : {"rdf", "linear"}
    features : subset of :data:`EXPOSURE_FEATURES`
    seed, n_estimators, min_samples_leaf, max_features, max_samples, n_jobs
        As :class:`ExposureModel`.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> [name for name, _ in make_exposure_pipeline("linear").steps]
    ['design', 'regressor']
    """
    reg = _make_regressor(kind, seed, n_estimators, n_jobs, min_samples_leaf, max_features, max_samples)
    return Pipeline([("design", ExposureDesign(_check_features(features))), ("regressor", reg)])


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
        Groups with fewer users are left out (counted in ``n_rows_dropped_``).
    n_estimators, min_samples_leaf, n_jobs : int
        Random forest settings.
    max_features, max_samples : float
        Share of the design columns tried at each split and share of the rows
        drawn for each tree (a faster forest of the same accuracy here).
    seed : int
        Random state of the forest.

    Returns
    -------
    ExposureModel
        Fitted, with ``n_rows_``, ``n_rows_dropped_`` and ``min_group_size_``.

    Examples
    --------
    >>> g = pd.DataFrame({"k_km": [10.0, 50.0, 10.0], "category": ["HT", "HT", "F"],
    ...                   "pct_friends_with_attributes": [20.0, 20.0, 80.0],
    ...                   "cluster_confidence": [0.5, 0.5, 0.9], "ep": [0.2, 0.6, 0.5],
    ...                   "n_users": [12, 12, 3]})
    >>> m = fit_exposure_model(g, kind="linear")
    >>> m.n_rows_, m.n_rows_dropped_
    (2, 1)
    """
    feats = _check_features(features)
    kept, dropped = _kept(groups, min_group_size)
    model = ExposureModel(kind=kind, features=feats, n_estimators=n_estimators,
                          min_samples_leaf=min_samples_leaf, max_features=max_features,
                          max_samples=max_samples, n_jobs=n_jobs, seed=seed)
    model.fit(kept, kept["ep"].to_numpy(float))
    model.n_rows_dropped_ = dropped
    model.min_group_size_ = min_group_size
    return model


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

    ``sklearn.model_selection.cross_val_predict`` of :class:`ExposureModel`
    over ``KFold(folds, shuffle=True, random_state=seed)`` on the rows
    (group x K); the errors of all out-of-fold predictions are pooled. With
    ``by_group=True`` the splitter is ``GroupKFold`` over the groups
    (``category, pct_bin, cc_bin``), so all K rows of a group fall in the
    same fold and a group is never predicted from its own EP at another K (a
    stricter test than the paper's, which does not say how it split).

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    kind, features, min_group_size, n_estimators, min_samples_leaf, max_features,
    max_samples, n_jobs, seed
        As :func:`fit_exposure_model`.
    folds : int
        At least 2.
    by_group : bool

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``n_rows``, ``n_rows_dropped``.

    Examples
    --------
    >>> g = pd.DataFrame({"k_km": np.tile([10.0, 50.0], 4), "category": "HT",
    ...                   "pct_friends_with_attributes": np.repeat([10.0, 30, 50, 70], 2),
    ...                   "cluster_confidence": 0.5, "ep": np.tile([0.2, 0.6], 4), "n_users": 20})
    >>> cross_validate_exposure(g, kind="linear", folds=2)["mae"] < 1e-9
    True
    """
    feats = _check_features(features)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds = {folds!r} must be an integer of at least 2")
    kept, dropped = _kept(groups, min_group_size)
    if len(kept) < folds:
        raise ValueError(f"folds = {folds}: only {len(kept)} rows to cross-validate")
    design_matrix(kept, feats)  # bad input fails here, naming the field
    y = kept["ep"].to_numpy(float)
    gid = None
    if by_group:
        keys = ["category", "pct_bin", "cc_bin"]
        missing = [c for c in keys if c not in kept]
        if missing:
            raise ValueError(f"by_group: groups lack column(s) {missing}")
        gid = kept.groupby(keys, observed=True, sort=False).ngroup().to_numpy()
        if np.unique(gid).size < folds:
            raise ValueError(f"folds = {folds}: only {np.unique(gid).size} groups to split")
        cv = GroupKFold(folds, shuffle=True, random_state=seed)
    else:
        cv = KFold(folds, shuffle=True, random_state=seed)
    est = ExposureModel(kind=kind, features=feats, n_estimators=n_estimators,
                        min_samples_leaf=min_samples_leaf, max_features=max_features,
                        max_samples=max_samples, n_jobs=n_jobs, seed=seed)
    pred = cross_val_predict(est, kept, y, groups=gid, cv=cv)
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
