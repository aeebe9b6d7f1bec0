"""Leak-safe area aggregates, and a check that refuses the combinations that leak.

An *area aggregate* gives each person the mean of a column over the other
people of their area (a PUMA, a county, a neighbourhood). When the column is
the label itself ("the area's mean education"), how the mean is computed
decides whether the label leaks into its own features:

* ``"in_sample"``: the plain area mean, which includes the person. Always a
  leak (the person's label is a ``1/n`` share of it); kept only to show it.
* ``"leave_one_out"``: the mean over the area's *other* people,
  ``(S_a - y_i) / (n_a - 1)``. No own label, but within an area it is a
  decreasing function of ``y_i``: as soon as the model can tell which area a
  person is in (the area id as a categorical, or any area-level column that
  is unique to it), it can recover ``S_a`` and decode ``y_i`` exactly. On the
  US census 2000 extract, this with the PUMA id lets XGBoost reach a macro-F1
  near 0.95 on education (the issue that asked for this module).
* ``"out_of_fold"``: the mean over the area's people in the *other* ``folds``
  (seeded). Weaker, but the same leak with the area id: a person's value
  depends on the labels of their own fold of the area.
* ``"reference"``: the mean over a separate *reference* sample only (people
  whose labels are used for statistics and never modelled), like the official
  statistics of H2SEA Sec 3.3. Constant within an area, so it leaks nothing
  whatever else the model sees; the reference rows are not returned.

:func:`check_leakage` finds own-label aggregates computed in-sample, or
leave-one-out / out-of-fold while other feature columns identify the area,
and raises :class:`LeakageError` naming the columns (or warns).

Every aggregate can be shrunk toward a prior (``smoothing`` pseudo-people):
``(S_i + m * prior_i) / (n_i + m)``, the prior being the same kind of mean over
a ``parent`` area (e.g. the state) or over everyone, computed with the same
exclusion rule; a person with no contributor gets the prior.

Examples
--------
>>> df = pd.DataFrame({"area": ["a", "a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 5.0, 7.0]})
>>> agg, info = area_aggregates(df, "area", ["y"], method="leave_one_out")
>>> agg["area_y_mean"].tolist()
[2.5, 2.0, 1.5, 7.0, 5.0]
>>> info["area_y_mean"].method
'leave_one_out'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..io import require_columns

__all__ = [
    "AGGREGATE_METHODS",
    "AggregateInfo",
    "LeakageError",
    "LeakageWarning",
    "area_aggregates",
    "identified_share",
    "check_leakage",
]

AGGREGATE_METHODS = ("reference", "out_of_fold", "leave_one_out", "in_sample")
_LOCAL = ("out_of_fold", "leave_one_out")  # vary within an area with the labels of its people


@dataclass(frozen=True)
class AggregateInfo:
    """How an aggregate column was computed (what :func:`check_leakage` reads).

    Attributes
    ----------
    column : str
        The output column.
    source : str
        The column averaged.
    area : str
        The area key column.
    method : str
        One of :data:`AGGREGATE_METHODS`.
    folds : int or None
        Number of folds (``out_of_fold`` only).
    smoothing : float
        Pseudo-count of the shrinkage toward the prior.
    parent : str or None
        The parent area key of the prior (None = everyone).

    Examples
    --------
    >>> info = AggregateInfo(column="area_y_mean", source="y", area="area", method="leave_one_out")
    >>> info.method, info.smoothing
    ('leave_one_out', 0.0)
    >>> AggregateInfo(column="c", source="y", area="area", method="mean")
    Traceback (most recent call last):
    ...
    ValueError: AggregateInfo.method must be one of ('reference', 'out_of_fold', 'leave_one_out', 'in_sample'); got 'mean'
    """

    column: str
    source: str
    area: str
    method: str
    folds: int | None = None
    smoothing: float = 0.0
    parent: str | None = None

    def __post_init__(self) -> None:
        if self.method not in AGGREGATE_METHODS:
            raise ValueError(f"AggregateInfo.method must be one of {AGGREGATE_METHODS}; got {self.method!r}")


class LeakageError(ValueError):
    """A feature set would let a model read a person's own label.

    Raised by :func:`check_leakage` with ``on_leak="raise"``; a ``ValueError``, so code
    that catches bad input catches it too.

    Examples
    --------
    >>> issubclass(LeakageError, ValueError)
    True
    """


class LeakageWarning(UserWarning):
    """Like :class:`LeakageError`, when the check is asked to warn only (``on_leak="warn"``).

    Examples
    --------
    >>> import warnings
    >>> df = pd.DataFrame({"area": list("aabb"), "y": [0., 1, 1, 2]})
    >>> agg, info = area_aggregates(df, "area", ["y"], method="in_sample")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     report = check_leakage(agg, info, df[["area"]], labels=["y"], on_leak="warn")
    >>> [w.category.__name__ for w in caught], report.leaks.tolist()
    (['LeakageWarning'], [True])
    """


def _excluded_sums(key: NDArray, x: NDArray, method: str, fold: NDArray | None,
                   reference: NDArray | None) -> tuple[NDArray, NDArray]:
    """Sum and count of the finite ``x`` of each row's contributors within its ``key`` group."""
    ok = np.isfinite(x)
    v = np.where(ok, x, 0.0)
    codes, _ = pd.factorize(key)
    k = codes.max() + 1 if codes.size else 0
    if method == "reference":
        w = ok & reference
        return (np.bincount(codes, weights=np.where(w, v, 0.0), minlength=k)[codes],
                np.bincount(codes, weights=w.astype(float), minlength=k)[codes])
    s_all = np.bincount(codes, weights=v, minlength=k)[codes]
    n_all = np.bincount(codes, weights=ok.astype(float), minlength=k)[codes]
    if method == "in_sample":
        return s_all, n_all
    if method == "leave_one_out":
        return s_all - v, n_all - ok
    nf = int(fold.max()) + 1
    cf = codes * nf + fold
    s_f = np.bincount(cf, weights=v, minlength=k * nf)[cf]
    n_f = np.bincount(cf, weights=ok.astype(float), minlength=k * nf)[cf]
    return s_all - s_f, n_all - n_f


def _check_inputs(df: pd.DataFrame, area: str, columns: Sequence[str], method: str, folds: int,
                  reference: ArrayLike | None, smoothing: float, parent: str | None) -> NDArray | None:
    if method not in AGGREGATE_METHODS:
        raise ValueError(f"method must be one of {AGGREGATE_METHODS}; got {method!r}")
    if isinstance(columns, str) or not len(columns):
        raise ValueError(f"columns must be a non-empty list of column names; got {columns!r}")
    require_columns(df, [area, *columns, *([parent] if parent else [])], "area_aggregates")
    for key in [area, *([parent] if parent else [])]:
        if df[key].isna().any():
            raise ValueError(f"area_aggregates: area key {key!r} has {int(df[key].isna().sum())} missing value(s)")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise TypeError(f"area_aggregates: column {c!r} has dtype {df[c].dtype}; expected numeric")
    if not smoothing >= 0:
        raise ValueError(f"smoothing must be >= 0; got {smoothing}")
    if method == "out_of_fold" and (int(folds) != folds or folds < 2):
        raise ValueError(f"folds must be an integer >= 2; got {folds!r}")
    if method == "reference":
        if reference is None:
            raise ValueError("method 'reference' needs reference= (a bool mask of the reference rows)")
        ref = np.asarray(reference)
        if ref.dtype != bool or ref.shape != (len(df),):
            raise ValueError(f"reference must be a bool array of length {len(df)}; got {ref.dtype} {ref.shape}")
        if ref.all() or not ref.any():
            raise ValueError(f"reference must mark some but not all rows; it marks {int(ref.sum())} of {ref.size}")
        return ref
    if reference is not None:
        raise ValueError(f"reference= is only used by method 'reference'; got method {method!r}")
    return None


def area_aggregates(df: pd.DataFrame, area: str, columns: Sequence[str], *,
                    method: str = "out_of_fold", folds: int = 5, seed: int = 0,
                    reference: ArrayLike | None = None, smoothing: float = 0.0,
                    parent: str | None = None, prefix: str | None = None
                    ) -> tuple[pd.DataFrame, dict[str, AggregateInfo]]:
    """Area means of ``columns`` that leave each person's own value out (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        One row per person; not modified.
    area : str
        Area key column (combine several keys into one first, e.g. ``state:puma``).
    columns : list of str
        Numeric columns to average (NaN = missing, ignored).
    method : {"reference", "out_of_fold", "leave_one_out", "in_sample"}
    folds, seed : int
        Folds of ``out_of_fold`` (a seeded random assignment).
    reference : bool array, optional
        The reference rows (``method="reference"`` only).
    smoothing : float
        Pseudo-count ``m`` of the shrinkage toward the prior.
    parent : str, optional
        Parent area key of the prior (default: everyone).
    prefix : str, optional
        Output columns are ``f"{prefix}{column}_mean"`` (default prefix ``f"{area}_"``).

    Returns
    -------
    aggregates : DataFrame
        Indexed like ``df`` (for ``"reference"``: its non-reference rows only).
    info : dict
        Output column -> :class:`AggregateInfo`.

    Examples
    --------
    >>> df = pd.DataFrame({"area": ["a", "a", "b", "b"], "y": [0.0, 1.0, 2.0, 4.0]})
    >>> agg, _ = area_aggregates(df, "area", ["y"], method="reference",
    ...                          reference=np.array([True, False, True, False]))
    >>> agg["area_y_mean"].to_dict()
    {1: 0.0, 3: 2.0}
    >>> area_aggregates(df, "area", ["y"], method="in_sample", smoothing=2)[0]["area_y_mean"].tolist()
    [1.125, 1.125, 2.375, 2.375]

    (area a: ``(0 + 1 + 2 * 1.75) / (2 + 2)``, 1.75 being everyone's mean.)
    """
    ref = _check_inputs(df, area, columns, method, folds, reference, smoothing, parent)
    fold = None
    if method == "out_of_fold":
        fold = np.empty(len(df), dtype=np.int64)
        fold[np.random.default_rng(seed).permutation(len(df))] = np.arange(len(df)) % int(folds)
    pre = f"{area}_" if prefix is None else prefix
    key = df[area].to_numpy()
    pkey = df[parent].to_numpy() if parent else np.zeros(len(df), dtype=np.int64)
    out, info = {}, {}
    for c in columns:
        x = pd.to_numeric(df[c]).to_numpy(dtype=float)
        s, n = _excluded_sums(key, x, method, fold, ref)
        ps, pn = _excluded_sums(pkey, x, method, fold, ref)
        prior = np.divide(ps, pn, out=np.full(len(df), np.nan), where=pn > 0)
        if np.isnan(prior).any():
            raise ValueError(f"area_aggregates: column {c!r} has no contributor for the prior of "
                             f"{int(np.isnan(prior).sum())} row(s) (parent {parent!r})")
        m = float(smoothing)
        val = np.where(n + m > 0, (s + m * prior) / np.maximum(n + m, 1e-300), prior)
        name = f"{pre}{c}_mean"
        out[name] = val
        info[name] = AggregateInfo(column=name, source=c, area=area, method=method,
                                   folds=int(folds) if method == "out_of_fold" else None,
                                   smoothing=m, parent=parent)
    res = pd.DataFrame(out, index=df.index)
    if ref is not None:
        res = res[~ref]
    return res, info


def identified_share(features: pd.DataFrame, area: ArrayLike) -> float:
    """Share of rows whose area is determined by the joint values of ``features``.

    A row counts when every row with the same combination of values lies in
    the same area. With no feature column, a single area counts as identified.

    Parameters
    ----------
    features : DataFrame
        The columns that could identify an area.
    area : array_like
        The area of each row.

    Returns
    -------
    float
        In ``[0, 1]``.

    Examples
    --------
    >>> f = pd.DataFrame({"state": ["x", "x", "y", "y"]})
    >>> identified_share(f, ["x1", "x2", "y1", "y1"])  # state y has one area
    0.5
    """
    a = pd.Series(np.asarray(area), index=features.index)
    if len(a) == 0:
        return 0.0
    if features.shape[1] == 0:
        return float(a.nunique() == 1)
    combo = pd.Series(pd.MultiIndex.from_frame(features.astype(str)).factorize()[0], index=features.index)
    areas_per = pd.DataFrame({"c": combo, "a": a}).groupby("c")["a"].nunique()
    return float((combo.map(areas_per) == 1).mean())


def _area_level(X: pd.DataFrame, area: pd.Series, exclude: Iterable[str]) -> list[str]:
    """Columns that could identify an area: categorical ones, and any constant within areas."""
    out = []
    for c in X.columns:
        if c in exclude:
            continue
        s = X[c]
        categorical = not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
        if categorical or (s.groupby(area.to_numpy()).nunique(dropna=False) <= 1).all():
            out.append(c)
    return out


def check_leakage(X: pd.DataFrame, aggregates: dict[str, AggregateInfo], areas: pd.DataFrame,
                  labels: Iterable[str], *, on_leak: str = "raise",
                  max_identified_share: float = 0.0) -> pd.DataFrame:
    """Refuse feature sets in which an own-label area aggregate leaks the label.

    An aggregate column of ``X`` whose source is in ``labels`` leaks when it
    was computed ``"in_sample"``, or ``"leave_one_out"`` / ``"out_of_fold"``
    while the other area-level columns of ``X`` (categorical columns, and any
    column constant within areas, such as the area id or a reference
    aggregate) identify the person's area for more than
    ``max_identified_share`` of the rows. ``"reference"`` aggregates never leak.

    Parameters
    ----------
    X : DataFrame
        The features a model will see.
    aggregates : dict
        Column -> :class:`AggregateInfo` (columns not in ``X`` are ignored).
    areas : DataFrame
        The area keys of the rows of ``X`` (same index), one column per
        ``AggregateInfo.area``.
    labels : iterable of str
        The label columns (and the raw columns the labels are cut from).
    on_leak : {"raise", "warn", "report"}
        Raise :class:`LeakageError`, warn with :class:`LeakageWarning`, or only return the report.
    max_identified_share : float
        Tolerated share of rows whose area is identified.

    Returns
    -------
    DataFrame
        One row per aggregate column: ``column, source, method, own_label,
        identified_by, identified_share, leaks``.

    Examples
    --------
    >>> df = pd.DataFrame({"area": list("aabbcc"), "y": [0., 1, 1, 2, 0, 2]})
    >>> agg, info = area_aggregates(df, "area", ["y"], method="leave_one_out")
    >>> X = agg.assign(area_id=df["area"].astype("category"))
    >>> check_leakage(X, info, df[["area"]], labels=["y"])
    Traceback (most recent call last):
    ...
    homelib.realdata.aggregates.LeakageError: own-label area aggregate(s) leak the label: 'area_y_mean' (leave_one_out of 'y') with ['area_id'] identifying the area of 100% of rows; use method='reference', or drop the identifying column(s)
    >>> check_leakage(agg, info, df[["area"]], labels=["y"]).leaks.tolist()
    [False]
    """
    if on_leak not in ("raise", "warn", "report"):
        raise ValueError(f"on_leak must be 'raise', 'warn' or 'report'; got {on_leak!r}")
    labels = set(labels)
    present = {c: i for c, i in aggregates.items() if c in X.columns}
    if not areas.index.equals(X.index):
        raise ValueError("areas must have the same index as X")
    local = [c for c, i in present.items() if i.method in _LOCAL or i.method == "in_sample"]
    rows, problems = [], []
    for c, i in present.items():
        require_columns(areas, [i.area], "areas")
        own = i.source in labels or c in labels
        ident, share = [], 0.0
        if own and i.method in _LOCAL:
            ident = _area_level(X, areas[i.area], exclude=local)
            share = identified_share(X[ident], areas[i.area])
        leaks = own and (i.method == "in_sample" or (i.method in _LOCAL and share > max_identified_share))
        rows.append({"column": c, "source": i.source, "method": i.method, "own_label": own,
                     "identified_by": ident, "identified_share": share, "leaks": leaks})
        if leaks:
            why = ("includes the person's own label" if i.method == "in_sample" else
                   f"with {ident} identifying the area of {share:.0%} of rows")
            problems.append(f"{c!r} ({i.method} of {i.source!r}) {why}")
    report = pd.DataFrame(rows, columns=["column", "source", "method", "own_label", "identified_by",
                                         "identified_share", "leaks"])
    if problems:
        msg = ("own-label area aggregate(s) leak the label: " + "; ".join(problems)
               + "; use method='reference', or drop the identifying column(s)")
        if on_leak == "raise":
            raise LeakageError(msg)
        if on_leak == "warn":
            warnings.warn(msg, LeakageWarning, stacklevel=2)
    return report
