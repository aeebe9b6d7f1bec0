"""Exposure of the socioeconomic attributes a home gives away (PFLI Sec 8 style).

PFLI (Han et al., Sec 8.1-8.2) turns predictions of a hidden city into an
exposure estimator: features of a user, groups of users who share them, the
group's exposure probability (Eq 8) as the target of a random forest or a
linear regression, cross-validated by MAE and RMSE (Tables 5-6), and risk
levels (Table 3). This module does the same for a home and the four H2SEA
attributes. Per person and task (the attacker's outcomes on test splits,
:func:`homelib.home.attacker.run_attack`) the *exposure features* are:

* ``task``: which attribute (personal / family income, education, occupation);
* ``has_sale_2km``, ``has_rent_2km``: housing price and renting coverage, i.e.
  whether listings exist within 2 km of the home (H2SEA Sec 3.1-3.2; without
  them the price features are fallbacks);
* ``poi_density``: ``log10(1 + POIs within 2 km)`` (Sec 3.4);
* ``urban_type``: city centre, city border or rural (Sec 3.5), and
  ``is_city`` (city vs village, Sec 5.4: not rural);
* ``confidence``: the attacker's largest class probability.

The *exposure probability* of a group is the share of its (person, task)
outcomes in which the attacker infers the level correctly.

Examples
--------
>>> BinSpec().poi_bin([0, 8, 9, 99999]).tolist()
[0, 0, 1, 4]
>>> BinSpec(conf_width=0.25).conf_bin([0.3, 0.5, 1.0]).tolist()
[1, 2, 3]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .. import io
from ..exposure.risk import RISK_LEVELS, risk_levels
from ..h2sea.features import TASKS
from ..h2sea.sources import URBAN_TYPES

__all__ = [
    "EXPOSURE_FEATURES",
    "FEATURE_LABELS",
    "HOME_COLUMNS",
    "home_columns",
    "BinSpec",
    "exposure_table",
    "exposure_groups",
    "design_matrix",
    "HomeExposureModel",
    "fit_exposure_model",
    "cross_validated_ep",
    "evaluate_exposure_models",
    "reliability_table",
]

EXPOSURE_FEATURES: tuple[str, ...] = ("task", "has_sale_2km", "has_rent_2km", "poi_density",
                                      "urban_type", "is_city", "confidence")
"""The exposure features of a home (module docstring)."""

FEATURE_LABELS: dict[str, str] = {
    "task": "task", "has_sale_2km": "housing price coverage", "has_rent_2km": "renting coverage",
    "poi_density": "POI density", "urban_type": "urban type", "is_city": "city vs village",
    "confidence": "model confidence",
}
"""Names of the exposure features as printed in chapter 13."""

_CITY_TYPES = ("city_center", "city_border")

HOME_COLUMNS: tuple[str, ...] = ("hp_count", "rp_count", "poi_count", "urban_type")
"""The columns of a home's feature table that :func:`exposure_table` reads: sale listings,
rent listings and POIs within 2 km of the home (counts) and the urban type."""


def home_columns(X: pd.DataFrame, meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """The :data:`HOME_COLUMNS` of a feature table of your own, validated.

    Each column is taken from the features ``X`` (a numeric or categorical column the
    attacker also sees) or, if it is not one, from ``meta`` (kept beside the features, text
    as read from ``features.csv``), as :func:`homelib.realdata.tables.read_feature_table`
    returns them. The counts must be finite numbers ``>= 0``, ``urban_type`` one of
    :data:`homelib.h2sea.sources.URBAN_TYPES`.

    Parameters
    ----------
    X : DataFrame
        The features, one row per person.
    meta : DataFrame, optional
        Other columns of the same people (same index as ``X``).

    Returns
    -------
    DataFrame
        ``hp_count, rp_count, poi_count`` (float) and ``urban_type`` (str), index of ``X``:
        the ``X`` argument of :func:`exposure_table`.

    Raises
    ------
    ValueError
        A column is missing (all missing ones are named), or a value is not allowed (the
        column, the row and the value are named).

    Examples
    --------
    >>> X = pd.DataFrame({"price": [3.0, 1.0], "poi_count": [40.0, 2.0],
    ...                   "urban_type": pd.Categorical(["city_center", "rural"])})
    >>> meta = pd.DataFrame({"hp_count": ["5", "0"], "rp_count": ["2", "0"]})
    >>> home_columns(X, meta).to_numpy().tolist()
    [[5.0, 2.0, 40.0, 'city_center'], [0.0, 0.0, 2.0, 'rural']]
    >>> home_columns(X)
    Traceback (most recent call last):
    ...
    ValueError: feature table: missing column(s) ['hp_count', 'rp_count'] (chapter 13's exposure features need hp_count, rp_count, poi_count: sale listings, rent listings and POIs within 2 km of the home; urban_type: city_center, city_border or rural), as numeric / categorical or meta columns
    """
    meta = meta if meta is not None else pd.DataFrame(index=X.index)
    if not meta.index.equals(X.index):
        raise ValueError("meta: its index must be that of X (the same people)")
    missing = [c for c in HOME_COLUMNS if c not in X.columns and c not in meta.columns]
    if missing:
        raise ValueError(
            f"feature table: missing column(s) {missing} (chapter 13's exposure features need "
            "hp_count, rp_count, poi_count: sale listings, rent listings and POIs within 2 km of "
            f"the home; urban_type: {', '.join(URBAN_TYPES[:-1])} or {URBAN_TYPES[-1]}), as "
            "numeric / categorical or meta columns")
    out = pd.DataFrame(index=X.index)
    for c in HOME_COLUMNS:
        raw = X[c] if c in X.columns else meta[c]
        if c == "urban_type":
            v = raw.astype(str)
            bad = ~v.isin(URBAN_TYPES)
        else:
            v = pd.to_numeric(raw, errors="coerce").astype(float)
            bad = ~np.isfinite(v.to_numpy()) | (v.to_numpy() < 0)
        if np.any(bad):
            row = int(np.flatnonzero(np.asarray(bad))[0])
            what = f"one of {URBAN_TYPES}" if c == "urban_type" else "a finite count >= 0"
            raise ValueError(f"feature table: column {c!r}, row {row}, value {raw.iloc[row]!r}: "
                             f"must be {what} ({int(np.sum(bad))} such value(s))")
        out[c] = v
    return out


def _example_table(n_people: int = 150, seed: int = 0) -> pd.DataFrame:
    """An exposure table (:func:`exposure_table`) for the examples of this module.

    ``n_people`` homes of random urban type; city homes (centre and border) have sale
    listings and 300 POIs within 2 km, city centres also rentals, rural homes 5 POIs and
    no listing. Each person has an education and an occupation outcome with a confidence
    of 0.45, 0.65 or 0.85; the inference is correct with probability the confidence in a
    city and 0.3 less in a village. Grouped (:func:`exposure_groups`), this gives 18 groups
    (2 tasks x 3 urban types x 3 confidence bins) of 11 to 23 outcomes.
    """
    rng = np.random.default_rng(seed)
    urban = rng.choice(list(URBAN_TYPES), n_people)
    city = np.isin(urban, _CITY_TYPES)
    X = pd.DataFrame({"hp_count": np.where(city, 12.0, 0.0),
                      "rp_count": np.where(urban == "city_center", 4.0, 0.0),
                      "poi_count": np.where(city, 300.0, 5.0), "urban_type": urban},
                     index=pd.Index(range(n_people), name="person_id"))
    outcomes = pd.DataFrame({"person_id": np.repeat(X.index, 2),
                             "task": ["education", "occupation"] * n_people,
                             "confidence": rng.choice([0.45, 0.65, 0.85], 2 * n_people)})
    hit = outcomes["confidence"] - np.where(np.repeat(city, 2), 0.0, 0.3)
    outcomes["correct"] = rng.uniform(size=2 * n_people) < hit
    return exposure_table(outcomes, X)


@dataclass(frozen=True)
class BinSpec:
    """How (person, task) outcomes are grouped.

    Parameters
    ----------
    poi_width : float
        Width of the ``log10(1 + POI count)`` bins (default 1: a bin per
        order of magnitude, the last one open).
    n_poi_bins : int
    n_poi_bins : int
        Number of POI density bins.
    conf_width : float
        Width of the confidence bins (confidence lies in [1/3, 1]).

    Examples
    --------
    >>> b = BinSpec()
    >>> b.poi_bin([0, 9, 99, 10**6]).tolist(), b.conf_bin([0.34, 0.65, 1.0]).tolist()
    ([0, 1, 2, 4], [3, 6, 9])
    >>> BinSpec(conf_width=0)
    Traceback (most recent call last):
    ...
    ValueError: conf_width = 0 must be in (0, 1]
    """

    poi_width: float = 1.0
    n_poi_bins: int = 5
    conf_width: float = 0.1

    def __post_init__(self) -> None:
        if not np.isfinite(self.poi_width) or self.poi_width <= 0:
            raise ValueError(f"poi_width = {self.poi_width!r} must be positive")
        if isinstance(self.n_poi_bins, bool) or not isinstance(self.n_poi_bins, int) or self.n_poi_bins < 1:
            raise ValueError(f"n_poi_bins = {self.n_poi_bins!r} must be a positive integer")
        if not np.isfinite(self.conf_width) or not 0 < self.conf_width <= 1:
            raise ValueError(f"conf_width = {self.conf_width!r} must be in (0, 1]")

    def poi_bin(self, poi_count: ArrayLike) -> NDArray[np.int64]:
        """Bin of ``log10(1 + count)``."""
        d = np.log10(1.0 + np.asarray(poi_count, dtype=float))
        return np.clip(np.floor(d / self.poi_width + 1e-9), 0, self.n_poi_bins - 1).astype(np.int64)

    def conf_bin(self, confidence: ArrayLike) -> NDArray[np.int64]:
        """Bin of the confidence (last bin closed at 1)."""
        n = int(np.ceil(1.0 / self.conf_width - 1e-9))
        c = np.asarray(confidence, dtype=float)
        return np.clip(np.floor(c / self.conf_width + 1e-9), 0, n - 1).astype(np.int64)


def exposure_table(outcomes: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
    """Exposure features and outcome of every (person, task) row of ``outcomes``.

    Parameters
    ----------
    outcomes : DataFrame
        ``person_id, task, confidence, correct`` (other columns are kept).
    X : DataFrame
        The feature table the attacker saw, indexed by ``person_id``, with
        ``hp_count, rp_count, poi_count, urban_type``.

    Returns
    -------
    DataFrame
        ``outcomes`` plus ``has_sale_2km, has_rent_2km, poi_count,
        poi_density, urban_type, is_city``.

    Examples
    --------
    >>> X = pd.DataFrame({"hp_count": [0.0, 3.0], "rp_count": [1.0, 0.0],
    ...                   "poi_count": [9.0, 999.0], "urban_type": ["rural", "city_center"]},
    ...                  index=pd.Index([7, 8], name="person_id"))
    >>> o = pd.DataFrame({"person_id": [8], "task": ["education"], "confidence": [0.6],
    ...                   "correct": [True]})
    >>> exposure_table(o, X)[["has_sale_2km", "poi_density", "is_city"]].to_numpy().tolist()
    [[True, 3.0, True]]
    """
    io.require_columns(outcomes, ["person_id", "task", "confidence", "correct"], "outcomes")
    io.require_columns(X, ["hp_count", "rp_count", "poi_count", "urban_type"], "features")
    unknown = sorted(set(outcomes["task"]) - set(TASKS))
    if unknown:
        raise ValueError(f"outcomes: unknown task(s) {unknown}; allowed {TASKS}")
    missing = ~outcomes["person_id"].isin(X.index)
    if missing.any():
        raise KeyError(f"outcomes: person_id {outcomes['person_id'][missing].tolist()[0]!r} "
                       "is not in the feature table")
    f = X.loc[outcomes["person_id"].to_numpy(), ["hp_count", "rp_count", "poi_count", "urban_type"]]
    ut = f["urban_type"].astype(str).to_numpy()
    bad = sorted(set(ut) - set(URBAN_TYPES))
    if bad:
        raise ValueError(f"features: unknown urban_type {bad}; allowed {URBAN_TYPES}")
    conf = outcomes["confidence"].to_numpy(float)
    if not np.isfinite(conf).all() or (conf < 0).any() or (conf > 1).any():
        raise ValueError("outcomes: confidence must be in [0, 1]")
    out = outcomes.reset_index(drop=True).copy()
    out["has_sale_2km"] = f["hp_count"].to_numpy(float) > 0
    out["has_rent_2km"] = f["rp_count"].to_numpy(float) > 0
    out["poi_count"] = f["poi_count"].to_numpy(float)
    out["poi_density"] = np.log10(1.0 + out["poi_count"])
    out["urban_type"] = ut
    out["is_city"] = np.isin(ut, _CITY_TYPES)
    return out


_GROUP_KEYS = ["task", "has_sale_2km", "has_rent_2km", "urban_type", "poi_bin", "conf_bin"]


def exposure_groups(table: pd.DataFrame, bins: BinSpec | None = None) -> pd.DataFrame:
    """Group exposure probabilities: the regression data of the exposure models.

    Outcomes of :func:`exposure_table` are grouped by task x housing price
    coverage x renting coverage x urban type x POI density bin x confidence
    bin; the target is the group's share of correct inferences (``ep``), the
    features are the group's keys and its mean POI density and confidence.

    Parameters
    ----------
    table : DataFrame
        :func:`exposure_table` (``correct`` and the exposure features).
    bins : BinSpec, optional
        How POI density and confidence are binned (default :class:`BinSpec`).

    Returns
    -------
    DataFrame
        ``task, has_sale_2km, has_rent_2km, urban_type, poi_bin, conf_bin,
        n, n_correct, ep, poi_density, confidence, is_city``.

    Examples
    --------
    >>> t = pd.DataFrame({"task": ["education"] * 3, "has_sale_2km": True,
    ...                   "has_rent_2km": False, "urban_type": "rural", "poi_count": 10.0,
    ...                   "poi_density": 1.04, "is_city": False,
    ...                   "confidence": [0.51, 0.55, 0.9], "correct": [True, False, True]})
    >>> exposure_groups(t)[["conf_bin", "n", "ep"]].to_numpy().tolist()
    [[5.0, 2.0, 0.5], [9.0, 1.0, 1.0]]
    >>> g = exposure_groups(_example_table())
    >>> len(g), int(g["n"].sum()), bool(g["ep"].between(0, 1).all())
    (18, 300, True)
    """
    bins = bins or BinSpec()
    need = ["task", "has_sale_2km", "has_rent_2km", "urban_type", "poi_count", "poi_density",
            "is_city", "confidence", "correct"]
    io.require_columns(table, need, "exposure table")
    if len(table) == 0:
        raise ValueError("exposure table: no rows")
    t = table[need].copy()
    t["poi_bin"] = bins.poi_bin(t["poi_count"])
    t["conf_bin"] = bins.conf_bin(t["confidence"])
    t["correct"] = t["correct"].astype(float)
    g = t.groupby(_GROUP_KEYS, sort=True, observed=True)
    out = g.agg(n=("correct", "size"), n_correct=("correct", "sum"), ep=("correct", "mean"),
                poi_density=("poi_density", "mean"), confidence=("confidence", "mean"),
                is_city=("is_city", "first")).reset_index()
    out["n_correct"] = out["n_correct"].astype(int)
    return out


def design_matrix(frame: pd.DataFrame, features: Iterable[str] = EXPOSURE_FEATURES) -> NDArray:
    """Numeric design matrix: task and urban type one-hot, flags 0/1, density, confidence.

    Works on groups (:func:`exposure_groups`) and on single outcomes
    (:func:`exposure_table`) alike.

    Parameters
    ----------
    frame : DataFrame
        Groups or outcomes, with a column per feature.
    features : subset of :data:`EXPOSURE_FEATURES`
        The features used (always in the order of :data:`EXPOSURE_FEATURES`).

    Returns
    -------
    ndarray
        One row per row of ``frame``: 4 task columns (:data:`homelib.h2sea.features.TASKS`),
        3 urban type columns (:data:`homelib.h2sea.sources.URBAN_TYPES`), one column for
        each other feature.

    Examples
    --------
    >>> f = pd.DataFrame({"task": ["occupation"], "has_sale_2km": [True],
    ...                   "has_rent_2km": [False], "poi_density": [2.0],
    ...                   "urban_type": ["rural"], "is_city": [False], "confidence": [0.7]})
    >>> design_matrix(f).tolist()
    [[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.7]]
    >>> design_matrix(f, ["confidence", "is_city"]).tolist()
    [[0.0, 0.7]]
    """
    feats = _check_features(features)
    cols = []
    for f in feats:
        if f not in frame:
            raise ValueError(f"exposure features: missing column {f!r}")
        v = frame[f].to_numpy()
        if f == "task":
            bad = sorted(set(v) - set(TASKS))
            if bad:
                raise ValueError(f"task: unknown value(s) {bad}; allowed {TASKS}")
            cols.append(np.stack([(v == t).astype(float) for t in TASKS], axis=1))
        elif f == "urban_type":
            bad = sorted(set(v) - set(URBAN_TYPES))
            if bad:
                raise ValueError(f"urban_type: unknown value(s) {bad}; allowed {URBAN_TYPES}")
            cols.append(np.stack([(v == u).astype(float) for u in URBAN_TYPES], axis=1))
        else:
            cols.append(np.asarray(v, dtype=float)[:, None])
    x = np.hstack(cols)
    if not np.isfinite(x).all():
        raise ValueError("exposure features: missing or infinite values")
    return x


def _check_features(features: Iterable[str]) -> tuple[str, ...]:
    feats = tuple(features)
    unknown = [f for f in feats if f not in EXPOSURE_FEATURES]
    if unknown:
        raise ValueError(f"features: unknown feature(s) {unknown}; allowed {EXPOSURE_FEATURES}")
    if not feats:
        raise ValueError("features: at least one feature is needed")
    return tuple(f for f in EXPOSURE_FEATURES if f in feats)


def _regressor(kind: str, seed: int, n_estimators: int, min_samples_leaf: int, n_jobs: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    if kind == "rdf":
        return RandomForestRegressor(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf,
                                     max_features=0.5, random_state=seed, n_jobs=n_jobs)
    if kind == "linear":
        return LinearRegression()
    raise ValueError(f"kind = {kind!r} must be 'rdf' or 'linear'")


def _kept(groups: pd.DataFrame, min_group_size: int) -> tuple[pd.DataFrame, int]:
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)) \
            or min_group_size < 1:
        raise ValueError(f"min_group_size = {min_group_size!r} must be a positive integer")
    io.require_columns(groups, ["n", "ep"], "groups")
    keep = groups["n"].to_numpy() >= min_group_size
    if not keep.any():
        raise ValueError(f"min_group_size = {min_group_size}: no group is that large "
                         f"(largest has {int(groups['n'].max())} outcomes)")
    return groups[keep].reset_index(drop=True), int((~keep).sum())


@dataclass
class HomeExposureModel:
    """A fitted exposure model: exposure probability from the exposure features.

    Attributes
    ----------
    kind : {"rdf", "linear"}
    features : tuple of str
    regressor : sklearn estimator
    n_groups, n_groups_dropped : int
        Groups used, and groups left out for having fewer than
        ``min_group_size`` outcomes.

    Examples
    --------
    >>> groups = exposure_groups(_example_table())
    >>> model = fit_exposure_model(groups, kind="linear")
    >>> model.kind, model.n_groups, model.n_groups_dropped
    ('linear', 18, 0)
    >>> ep = model.predict(groups)  # groups or single outcomes alike
    >>> ep.shape, bool(((ep >= 0) & (ep <= 1)).all())
    ((18,), True)
    """

    kind: str
    features: tuple[str, ...]
    regressor: Any
    n_groups: int
    n_groups_dropped: int

    def predict(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Exposure probability of each row (group or single outcome), clipped to [0, 1]."""
        return np.clip(self.regressor.predict(design_matrix(frame, self.features)), 0.0, 1.0)


def fit_exposure_model(groups: pd.DataFrame, *, kind: str = "rdf",
                       features: Iterable[str] = EXPOSURE_FEATURES, min_group_size: int = 10,
                       n_estimators: int = 100, min_samples_leaf: int = 2, n_jobs: int = 1,
                       seed: int = 0) -> HomeExposureModel:
    """Fit the random forest ("RDF") or linear exposure model on the group EPs.

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    kind : {"rdf", "linear"}
    features : subset of :data:`EXPOSURE_FEATURES`
    min_group_size : int
        Groups with fewer outcomes are left out (counted).
    n_estimators, min_samples_leaf, n_jobs, seed
        Random forest settings.

    Returns
    -------
    HomeExposureModel

    Examples
    --------
    >>> groups = exposure_groups(_example_table())
    >>> rdf = fit_exposure_model(groups, n_estimators=20, min_group_size=15)
    >>> rdf.kind, rdf.n_groups, rdf.n_groups_dropped
    ('rdf', 13, 5)
    >>> fit_exposure_model(groups, min_group_size=50)
    Traceback (most recent call last):
    ...
    ValueError: min_group_size = 50: no group is that large (largest has 23 outcomes)
    """
    feats = _check_features(features)
    kept, dropped = _kept(groups, min_group_size)
    reg = _regressor(kind, seed, n_estimators, min_samples_leaf, n_jobs)
    reg.fit(design_matrix(kept, feats), kept["ep"].to_numpy(float))
    return HomeExposureModel(kind, feats, reg, len(kept), dropped)


def cross_validated_ep(groups: pd.DataFrame, *, kind: str = "rdf",
                       features: Iterable[str] = EXPOSURE_FEATURES, folds: int = 10,
                       min_group_size: int = 10, n_estimators: int = 100,
                       min_samples_leaf: int = 2, n_jobs: int = 1, seed: int = 0) -> pd.DataFrame:
    """Out-of-fold EP predictions of the kept groups (``sklearn`` ``cross_val_predict``).

    Groups are shuffled into ``folds`` folds (``KFold``, ``seed``), as PFLI's
    Sec 8.2 cross-validates its exposure models.

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    kind, features, min_group_size, n_estimators, min_samples_leaf, n_jobs, seed
        As in :func:`fit_exposure_model`.
    folds : int
        Number of folds (at least 2, at most the number of kept groups).

    Returns
    -------
    DataFrame
        The kept groups with a column ``ep_oof``.

    Examples
    --------
    >>> cv = cross_validated_ep(exposure_groups(_example_table()), kind="linear", folds=5)
    >>> len(cv), round(float((cv["ep_oof"] - cv["ep"]).abs().mean()), 3)
    (18, 0.098)
    """
    from sklearn.model_selection import KFold, cross_val_predict

    feats = _check_features(features)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds = {folds!r} must be an integer of at least 2")
    kept, _ = _kept(groups, min_group_size)
    if len(kept) < folds:
        raise ValueError(f"folds = {folds}: only {len(kept)} groups to cross-validate")
    reg = _regressor(kind, seed, n_estimators, min_samples_leaf, n_jobs)
    pred = cross_val_predict(reg, design_matrix(kept, feats), kept["ep"].to_numpy(float),
                             cv=KFold(folds, shuffle=True, random_state=seed))
    return kept.assign(ep_oof=np.clip(pred, 0.0, 1.0))


def evaluate_exposure_models(groups: pd.DataFrame, *, folds: int = 10, min_group_size: int = 10,
                             n_estimators: int = 100, min_samples_leaf: int = 2, n_jobs: int = 1,
                             seed: int = 0, leave_one_out: bool = True,
                             drop: Sequence[str] | None = None) -> pd.DataFrame:
    """Cross-validated MAE and RMSE of RDF, LinearRegression and the RDFs without one feature.

    Parameters
    ----------
    groups : DataFrame
        From :func:`exposure_groups`.
    folds, min_group_size, n_estimators, min_samples_leaf, n_jobs, seed
        As in :func:`cross_validated_ep`.
    leave_one_out : bool
        Also fit an RDF without each feature of ``drop``.
    drop : sequence of str, optional
        Features to leave out one at a time (default: every exposure feature).

    Returns
    -------
    DataFrame
        ``model, mae, rmse, n_groups, n_groups_dropped`` (the
        ``home_exposure_models.csv`` contract plus counts); models are named
        ``RDF``, ``LinearRegression`` and ``RDF without <feature label>``.

    Examples
    --------
    In the example table, the chance of a correct inference grows with the confidence,
    so the forest does worse without it:

    >>> ev = evaluate_exposure_models(exposure_groups(_example_table()), folds=5,
    ...                               n_estimators=20, drop=["confidence"])
    >>> ev["model"].tolist()
    ['RDF', 'LinearRegression', 'RDF without model confidence']
    >>> bool(ev["mae"].iloc[2] > ev["mae"].iloc[0]), ev["n_groups"].tolist()
    (True, [18, 18, 18])
    """
    runs: list[tuple[str, str, tuple[str, ...]]] = [("RDF", "rdf", EXPOSURE_FEATURES),
                                                    ("LinearRegression", "linear", EXPOSURE_FEATURES)]
    if leave_one_out:
        for f in drop if drop is not None else EXPOSURE_FEATURES:
            rest = tuple(x for x in EXPOSURE_FEATURES if x != f)
            runs.append((f"RDF without {FEATURE_LABELS[_check_features([f])[0]]}", "rdf", rest))
    _, dropped = _kept(groups, min_group_size)
    rows = []
    for name, kind, feats in runs:
        cv = cross_validated_ep(groups, kind=kind, features=feats, folds=folds,
                                min_group_size=min_group_size, n_estimators=n_estimators,
                                min_samples_leaf=min_samples_leaf, n_jobs=n_jobs, seed=seed)
        err = cv["ep_oof"].to_numpy() - cv["ep"].to_numpy()
        rows.append({"model": name, "mae": float(np.abs(err).mean()),
                     "rmse": float(np.sqrt((err ** 2).mean())), "n_groups": len(cv),
                     "n_groups_dropped": dropped})
    return pd.DataFrame(rows)


def reliability_table(table: pd.DataFrame, cv_groups: pd.DataFrame,
                      bins: BinSpec | None = None) -> pd.DataFrame:
    """Out-of-fold predicted exposure against what happened, by risk level.

    Each (person, task) outcome of ``table`` (:func:`exposure_table`) takes the
    out-of-fold EP of its group (:func:`cross_validated_ep`, so its own group
    was not used to predict it); outcomes of groups left out are not counted.

    Parameters
    ----------
    table : DataFrame
        :func:`exposure_table`.
    cv_groups : DataFrame
        :func:`cross_validated_ep` of the groups of ``table``.
    bins : BinSpec, optional
        The binning the groups were made with.

    Returns
    -------
    DataFrame
        ``risk_level, n, mean_predicted_ep, observed_share`` (PFLI Table 3 levels).

    Examples
    --------
    >>> table = _example_table()
    >>> cv = cross_validated_ep(exposure_groups(table), kind="linear", folds=5)
    >>> r = reliability_table(table, cv)
    >>> r["risk_level"].tolist(), int(r["n"].sum())
    ([1, 2, 3, 4, 5], 300)
    """
    bins = bins or BinSpec()
    io.require_columns(cv_groups, [*_GROUP_KEYS, "ep_oof"], "cv_groups")
    t = table.copy()
    t["poi_bin"] = bins.poi_bin(t["poi_count"])
    t["conf_bin"] = bins.conf_bin(t["confidence"])
    m = t.merge(cv_groups[[*_GROUP_KEYS, "ep_oof"]], on=_GROUP_KEYS, how="inner",
                validate="many_to_one")
    m["risk_level"] = risk_levels(m["ep_oof"])
    g = m.groupby("risk_level").agg(n=("correct", "size"), mean_predicted_ep=("ep_oof", "mean"),
                                    observed_share=("correct", "mean"))
    return g.reindex(list(RISK_LEVELS)).fillna({"n": 0}).astype({"n": int}).reset_index()
