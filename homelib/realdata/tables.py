"""A generic survey-like feature table: any area keys, columns and classes per task.

The H2SEA models take a feature frame ``X`` (float columns = continuous
fields, ``category`` columns = categorical fields) and a label frame ``y``
(one ``Int64`` column of class codes per task, ``<NA>`` = no answer).
:func:`feature_table` builds both from any table, validated: every column is
named once, numeric columns are finite, categorical ones have no missing
value, class codes are ``0..K-1`` with any ``K >= 2`` per task. It also keeps
the area keys, optional survey weights, other columns (``meta``) and, for
area aggregates, how they were computed, and runs
:func:`homelib.realdata.aggregates.check_leakage` on them.

:func:`read_feature_table` reads the same from a folder with ``features.csv``
and ``schema.csv`` (the layout documented on the "Bring your own data" page).

Examples
--------
>>> df = pd.DataFrame({"zone": ["n", "n", "s", "s"], "price": [3.0, 2.5, 1.0, 1.5],
...                    "edu": [2, 1, 0, pd.NA]})
>>> t = feature_table(df, tasks=["edu"], numeric=["price"], categorical=["zone"], areas=["zone"])
>>> list(t.X.columns), t.n_classes, str(t.y["edu"].dtype)
(['price', 'zone'], {'edu': 3}, 'Int64')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from numpy.typing import ArrayLike

from .. import schemas
from ..io import require_columns
from .aggregates import AggregateInfo, check_leakage

__all__ = [
    "ROLES",
    "URBAN_TYPES",
    "FeatureTable",
    "city_village_inputs",
    "level_classes",
    "quantile_cuts",
    "SCHEMA_TABLE",
    "feature_table",
    "features_schema",
    "housing_inputs",
    "read_feature_table",
    "select_tasks",
    "table_families",
    "three_class_tasks",
]

ROLES = ("area", "numeric", "categorical", "aggregate", "task", "weight", "meta")
"""Roles of a column in ``schema.csv`` (see :func:`read_feature_table`)."""

URBAN_TYPES = {"city_center": True, "city_border": True, "rural": False}
"""The paper's urban types (H2SEA Sec 5.4) -> city (``True``) or village (``False``)."""

SCHEMA_TABLE = pa.DataFrameSchema({
    "column": schemas.text(),
    "role": schemas.text(ROLES, what="role"),
    "classes": schemas.text(pattern=r"[^|]+(\|[^|]+)+", nullable=True, required=False,
                            what="class names joined by '|'"),
    "label_source": schemas.text(nullable=True, required=False),
    "source": schemas.text(nullable=True, required=False),
    "area": schemas.text(nullable=True, required=False),
    "method": schemas.text(nullable=True, required=False),
    "family": schemas.text(nullable=True, required=False),
}, name="schema.csv", strict=False, coerce=False)
"""The pandera schema of ``schema.csv`` (validated by :func:`homelib.schemas.validate`)."""


@dataclass(frozen=True)
class FeatureTable:
    """Features, labels and what surrounds them, row-aligned (same index).

    Attributes
    ----------
    X : DataFrame
        Numeric columns as ``float64``, categorical ones as ``category`` (strings).
    y : DataFrame
        One ``Int64`` column of class codes per task.
    areas : DataFrame
        Area key columns (features only if also listed as categorical).
    classes : dict
        Task -> class names, in code order.
    aggregates : dict
        Column of ``X`` -> :class:`~homelib.realdata.aggregates.AggregateInfo`.
    weights : Series or None
        Survey weights (needed for population shares such as H2SEA Table 2).
    meta : DataFrame
        Other columns kept for analysis (never features).
    leakage : DataFrame
        The report of :func:`~homelib.realdata.aggregates.check_leakage`.
    families : dict
        Feature family -> its columns of ``X`` (every column in one family; see
        :func:`table_families`).

    Examples
    --------
    >>> df = pd.DataFrame({"zone": ["n", "n", "s"], "price": [3.0, 2.5, 1.0], "edu": [2, 1, 0]})
    >>> t = feature_table(df, tasks=["edu"], numeric=["price"], categorical=["zone"])
    >>> t.tasks, t.n_classes, t.X.dtypes.astype(str).tolist()
    (['edu'], {'edu': 3}, ['float64', 'category'])
    """

    X: pd.DataFrame
    y: pd.DataFrame
    areas: pd.DataFrame
    classes: dict[str, tuple[str, ...]]
    aggregates: dict[str, AggregateInfo] = field(default_factory=dict)
    weights: pd.Series | None = None
    meta: pd.DataFrame | None = None
    leakage: pd.DataFrame | None = None
    families: dict[str, list[str]] = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        """Task names, in column order."""
        return list(self.y.columns)

    @property
    def n_classes(self) -> dict[str, int]:
        """Number of classes per task."""
        return {t: len(c) for t, c in self.classes.items()}

    @property
    def schema(self) -> pd.DataFrame:
        """``column, family, kind, description`` per column of ``X``, as the H2SEA data sets'.

        ``kind`` is ``"continuous"`` or ``"categorical"``; ``family`` is the column's family
        (:func:`table_families`).
        """
        kinds = ["categorical" if isinstance(self.X[c].dtype, pd.CategoricalDtype) else "continuous"
                 for c in self.X.columns]
        of = {c: f for f, cols in table_families(self).items() for c in cols}
        return pd.DataFrame({"column": list(self.X.columns), "family": [of[c] for c in self.X.columns],
                             "kind": kinds, "description": ""})


def level_classes(values: ArrayLike, cuts: Sequence[float]) -> pd.Series:
    """Class codes ``0..len(cuts)`` from increasing cut points (right-closed bins).

    Class ``k`` holds the values in ``(cuts[k-1], cuts[k]]``; NaN stays missing.

    Parameters
    ----------
    values : array_like
        Numbers (NaN = missing).
    cuts : list of float
        Increasing cut points.

    Returns
    -------
    Series
        ``Int64`` class codes (positional index).

    Examples
    --------
    >>> level_classes([9, 12, 13, 16, np.nan], cuts=[12, 14]).tolist()
    [0, 0, 1, 2, <NA>]
    """
    c = np.asarray(cuts, dtype=float)
    if c.ndim != 1 or c.size == 0 or not np.all(np.diff(c) > 0) or not np.isfinite(c).all():
        raise ValueError(f"cuts must be a non-empty list of increasing finite numbers; got {list(cuts)}")
    v = np.asarray(values, dtype=float)
    codes = np.searchsorted(c, v, side="left").astype(float)
    codes[np.isnan(v)] = np.nan
    return pd.Series(pd.array(codes, dtype="Int64"))


def quantile_cuts(values: ArrayLike, n_classes: int) -> list[float]:
    """Cut points giving ``n_classes`` classes of (about) equal size: the inner quantiles.

    Parameters
    ----------
    values : array_like
        Numbers; NaN are ignored.
    n_classes : int
        At least 2.

    Returns
    -------
    list of float
        ``n_classes - 1`` increasing cut points, for :func:`level_classes`.

    Examples
    --------
    >>> [round(c, 3) for c in quantile_cuts([1, 2, 3, 4, 5, 6], 3)]
    [2.667, 4.333]
    """
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < n_classes:
        raise ValueError(f"need at least {n_classes} finite values; got {v.size}")
    cuts = np.quantile(v, np.arange(1, n_classes) / n_classes)
    if not np.all(np.diff(cuts) > 0):
        raise ValueError(f"values have too many ties for {n_classes} quantile classes (cuts {cuts.tolist()})")
    return [float(x) for x in cuts]


def _names(cols: Sequence[str] | str | None, what: str) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        raise TypeError(f"{what} must be a list of column names; got the string {cols!r}")
    return list(cols)


def _labels(df: pd.DataFrame, task: str, names: Sequence[str] | None) -> tuple[pd.Series, tuple[str, ...]]:
    raw = df[task]
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & (num.isna() | (num != np.round(num)) | (num < 0))
    if bad.any():
        raise ValueError(f"task {task!r}: value(s) {raw[bad].unique()[:5].tolist()} are not class codes 0..K-1")
    obs = num.dropna().astype(int)
    if obs.nunique() < 2:
        raise ValueError(f"task {task!r}: needs at least two observed classes; got {sorted(obs.unique().tolist())}")
    k = int(obs.max()) + 1 if names is None else len(names)
    if names is not None and obs.max() >= k:
        raise ValueError(f"task {task!r}: code {int(obs.max())} has no class name (classes {list(names)})")
    labels = tuple(str(n) for n in names) if names is not None else tuple(str(i) for i in range(k))
    return pd.Series(pd.array(num, dtype="Int64"), index=df.index, name=task), labels


def feature_table(df: pd.DataFrame, *, tasks: Sequence[str], numeric: Sequence[str] = (),
                  categorical: Sequence[str] = (), areas: Sequence[str] = (),
                  weight: str | None = None, meta: Sequence[str] = (),
                  classes: Mapping[str, Sequence[str]] | None = None,
                  aggregates: Mapping[str, AggregateInfo] | None = None,
                  label_sources: Sequence[str] = (), on_leak: str = "raise",
                  families: Mapping[str, str] | None = None) -> FeatureTable:
    """Validate a table and split it into features, labels, areas, weights and meta.

    Parameters
    ----------
    df : DataFrame
        One row per person; not modified.
    tasks : list of str
        Label columns: class codes ``0..K-1`` (any ``K >= 2``) or missing.
    numeric, categorical : list of str
        Feature columns (numeric: finite numbers; categorical: no missing value).
    areas : list of str
        Area key columns (no missing value); may also be listed as categorical features.
    weight : str, optional
        Survey weight column (positive numbers).
    meta : list of str
        Columns kept beside the table (e.g. the exact income a class was cut from).
    classes : dict, optional
        Task -> class names; default ``"0", "1", ...``.
    aggregates : dict, optional
        Numeric column -> :class:`~homelib.realdata.aggregates.AggregateInfo`,
        checked by :func:`~homelib.realdata.aggregates.check_leakage`.
    label_sources : list of str
        Raw columns the task labels were cut from (they count as labels for the check).
    on_leak : {"raise", "warn", "report"}
        What the leakage check does with a leaking aggregate.
    families : dict, optional
        Feature column -> the name of its feature family (H2SEA Table 4 ranks families); a
        feature column not named here is a family of its own, named by the column.

    Returns
    -------
    FeatureTable

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, np.nan], "t": [0, 1]})
    >>> feature_table(df, tasks=["t"], numeric=["x"])
    Traceback (most recent call last):
    ...
    ValueError: numeric column 'x' has 1 missing or infinite value(s) (first at row 1)
    """
    tasks, numeric, categorical = _names(tasks, "tasks"), _names(numeric, "numeric"), _names(categorical, "categorical")
    areas, meta = _names(areas, "areas"), _names(meta, "meta")
    if not tasks:
        raise ValueError("tasks: at least one task column is needed")
    listed = tasks + numeric + categorical + meta + ([weight] if weight else [])
    dup = sorted({c for c in listed if listed.count(c) > 1})
    if dup:
        raise ValueError(f"column(s) {dup} are listed in more than one role")
    require_columns(df, listed + areas, "feature table")
    if not numeric and not categorical:
        raise ValueError("feature table: no feature column (numeric or categorical)")
    X = pd.DataFrame(index=df.index)
    for c in numeric:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise TypeError(f"numeric column {c!r} has dtype {df[c].dtype}")
        v = df[c].astype(float)
        bad = ~np.isfinite(v.to_numpy())
        if bad.any():
            raise ValueError(f"numeric column {c!r} has {int(bad.sum())} missing or infinite value(s) "
                             f"(first at row {int(np.flatnonzero(bad)[0])})")
        X[c] = v
    for c in categorical + areas:
        if df[c].isna().any():
            raise ValueError(f"column {c!r} has {int(df[c].isna().sum())} missing value(s); "
                             "give them a category of their own")
    for c in categorical:
        X[c] = df[c].astype(str).astype("category")
    names = dict(classes or {})
    unknown = [t for t in names if t not in tasks]
    if unknown:
        raise ValueError(f"classes given for unknown task(s) {unknown}; tasks are {tasks}")
    y, cls = pd.DataFrame(index=df.index), {}
    for t in tasks:
        y[t], cls[t] = _labels(df, t, names.get(t))
    w = None
    if weight:
        w = pd.to_numeric(df[weight], errors="coerce")
        if w.isna().any() or (w <= 0).any():
            raise ValueError(f"weight column {weight!r} must be positive numbers; "
                             f"{int((w.isna() | (w <= 0)).sum())} are not")
    aggs = dict(aggregates or {})
    not_num = [c for c in aggs if c not in numeric]
    if not_num:
        raise ValueError(f"aggregate column(s) {not_num} must be listed as numeric features")
    area_frame = df[sorted({*areas, *(i.area for i in aggs.values())})].copy()
    report = None
    if aggs:
        report = check_leakage(X, aggs, area_frame, labels=[*tasks, *label_sources], on_leak=on_leak)
    return FeatureTable(X=X, y=y, areas=area_frame, classes=cls, aggregates=aggs, weights=w,
                        meta=df[meta].copy() if meta else None, leakage=report,
                        families=_families(list(X.columns), families or {}))


def _families(columns: list[str], named: Mapping[str, str]) -> dict[str, list[str]]:
    """Family -> columns, in the order of ``columns``; unnamed columns are their own family."""
    not_features = [c for c in named if c not in columns]
    if not_features:
        raise ValueError(f"family given for column(s) {not_features}, which are not feature columns "
                         f"(numeric, categorical or aggregate; features are {columns})")
    for c, f in named.items():
        if not isinstance(f, str) or not f.strip() or f != f.strip():
            raise ValueError(f"family of column {c!r} must be a non-empty name without surrounding "
                             f"blanks; got {f!r}")
    clash = sorted(c for c in columns if c not in named and c in set(named.values()))
    if clash:
        raise ValueError(f"column(s) {clash} have no family, so each is a family named by the column, "
                         "but other columns name that family: give them a family")
    out: dict[str, list[str]] = {}
    for c in columns:
        out.setdefault(named.get(c, c), []).append(c)
    return out


def read_feature_table(folder: str | Path, *, on_leak: str = "raise") -> FeatureTable:
    """Read ``features.csv`` and ``schema.csv`` from ``folder`` into a :class:`FeatureTable`.

    ``schema.csv`` has one row per column of ``features.csv``: ``column, role``
    (one of :data:`ROLES`) and optionally ``classes`` (task class names joined
    by ``|``, e.g. ``low|middle|high``) and ``label_source`` (the raw column a
    task was cut from, e.g. ``educ`` for an education level), and, for
    ``aggregate`` columns, ``source, area, method`` (how it was computed, see
    :class:`~homelib.realdata.aggregates.AggregateInfo`), and, for feature columns,
    ``family`` (the feature family, :func:`table_families`; blank = the column alone). Aggregates are
    numeric features; their leakage is checked, an aggregate whose source is a
    task or a task's ``label_source`` counting as an own-label aggregate.

    Parameters
    ----------
    folder : path
        Holds ``features.csv`` and ``schema.csv``.
    on_leak : {"raise", "warn", "report"}
        See :func:`feature_table`.

    Returns
    -------
    FeatureTable A column of ``features.csv``
    missing from the schema, or the reverse, is an error.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"zone": ["n", "s", "n"], "p": [1.0, 2.0, 3.0], "edu": [0, 1, 1]}).to_csv(
    ...     d / "features.csv", index=False)
    >>> pd.DataFrame({"column": ["zone", "p", "edu"], "role": ["area", "numeric", "task"],
    ...               "classes": ["", "", "low|high"]}).to_csv(d / "schema.csv", index=False)
    >>> t = read_feature_table(d)
    >>> t.classes, list(t.areas.columns)
    ({'edu': ('low', 'high')}, ['zone'])
    """
    folder = Path(folder)
    missing = [f for f in ("features.csv", "schema.csv") if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {missing}")
    schema = schemas.validate(schemas.read_csv(folder / "schema.csv"), SCHEMA_TABLE,
                              line_offset=2).table.fillna("")
    dup = sorted(set(schema["column"][schema["column"].duplicated()]))
    if dup:
        raise ValueError(f"schema.csv: column(s) {dup} are described more than once")
    raw = schemas.read_csv(folder / "features.csv")
    extra = [c for c in raw.columns if c not in set(schema["column"])]
    absent = [c for c in schema["column"] if c not in raw.columns]
    if extra or absent:
        raise ValueError(f"features.csv and schema.csv differ: not in the schema {extra}, "
                         f"not in features.csv {absent}")
    df = schemas.validate(raw, features_schema(schema), what="features.csv", line_offset=2).table
    by = {r: schema.loc[schema.role == r, "column"].tolist() for r in ROLES}
    if len(by["weight"]) > 1:
        raise ValueError(f"schema.csv: at most one weight column; got {by['weight']}")
    classes = {}
    if "classes" in schema:
        for r in schema[(schema.role == "task") & (schema["classes"] != "")].itertuples():
            classes[r.column] = r.classes.split("|")
    sources = []
    if "label_source" in schema:
        sources = [v for v in schema.loc[schema.role == "task", "label_source"] if v]
    aggs = {}
    for r in schema[schema.role == "aggregate"].to_dict("records"):
        for need in ("source", "area", "method"):
            if not r.get(need):
                raise ValueError(f"schema.csv: aggregate column {r['column']!r} needs {need!r}")
        aggs[r["column"]] = AggregateInfo(column=r["column"], source=r["source"], area=r["area"],
                                          method=r["method"])
    families = {}
    if "family" in schema:
        families = {r.column: r.family for r in schema[schema["family"] != ""].itertuples()}
    return feature_table(df, tasks=by["task"], numeric=by["numeric"] + by["aggregate"],
                         categorical=by["categorical"], areas=by["area"],
                         weight=by["weight"][0] if by["weight"] else None, meta=by["meta"],
                         classes=classes, aggregates=aggs, label_sources=sources, on_leak=on_leak,
                         families=families)


def features_schema(schema: pd.DataFrame) -> pa.DataFrameSchema:
    """The pandera schema of ``features.csv`` from the rows of ``schema.csv``.

    Numeric and aggregate columns: finite numbers; weights: positive numbers; tasks: class
    codes (integers >= 0, blank = no answer); area and categorical columns: non-empty text;
    meta columns: anything (blank allowed).

    Parameters
    ----------
    schema : DataFrame
        ``column, role`` (validated ``schema.csv``).

    Returns
    -------
    pandera.DataFrameSchema

    Examples
    --------
    >>> s = features_schema(pd.DataFrame({"column": ["p", "edu"], "role": ["numeric", "task"]}))
    >>> schemas.validate(pd.DataFrame({"p": ["1.5", "x"], "edu": ["0", "1"]}), s)
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: features.csv: column 'p', row 1, value 'x': not a number
    """
    make = {
        "numeric": lambda: schemas.number(), "aggregate": lambda: schemas.number(),
        "weight": lambda: schemas.number(gt=0.0), "task": lambda: schemas.integer(0, nullable=True),
        "area": lambda: schemas.text(), "categorical": lambda: schemas.text(),
        "meta": lambda: schemas.text(nullable=True),
    }
    columns = {r.column: make[r.role]() for r in schema.itertuples()}
    return pa.DataFrameSchema(columns, name="features.csv", strict=False, coerce=False)


def select_tasks(table: FeatureTable, tasks: Sequence[str], *, n_classes: int | None = None
                 ) -> FeatureTable:
    """The table with only ``tasks`` as labels (in that order), checked.

    Parameters
    ----------
    table : FeatureTable
    tasks : list of str
        Task columns of ``table`` to keep.
    n_classes : int, optional
        Required number of classes of every kept task (the H2SEA models of chapter 03 take 3,
        as the paper's tasks).

    Returns
    -------
    FeatureTable
        Same features, areas, weights and meta; ``y`` and ``classes`` cut to ``tasks``.

    Examples
    --------
    >>> df = pd.DataFrame({"p": [1.0, 2.0, 3.0], "a": [0, 1, 2], "b": [0, 1, 1]})
    >>> t = feature_table(df, tasks=["a", "b"], numeric=["p"])
    >>> select_tasks(t, ["b"]).tasks
    ['b']
    >>> select_tasks(t, ["b", "c"])
    Traceback (most recent call last):
    ...
    ValueError: task(s) ['c'] are not in the table (its tasks: ['a', 'b'])
    >>> select_tasks(t, ["a", "b"], n_classes=3)
    Traceback (most recent call last):
    ...
    ValueError: task 'b' has 2 classes ('0', '1'); this analysis needs 3 per task
    """
    tasks = _names(tasks, "tasks")
    unknown = [t for t in tasks if t not in table.classes]
    if unknown or not tasks:
        raise ValueError(f"task(s) {unknown or tasks} are not in the table (its tasks: {table.tasks})")
    if n_classes is not None:
        for t in tasks:
            if len(table.classes[t]) != n_classes:
                raise ValueError(f"task {t!r} has {len(table.classes[t])} classes {table.classes[t]}; "
                                 f"this analysis needs {n_classes} per task")
    return replace(table, y=table.y[list(tasks)].copy(), classes={t: table.classes[t] for t in tasks})


def table_families(table: FeatureTable) -> dict[str, list[str]]:
    """The feature families of a table: family name -> its feature columns (H2SEA Table 4).

    The families named by the ``family`` column of ``schema.csv`` (or the ``families``
    argument of :func:`feature_table`), in the order of their first column in ``X``; a
    feature column without a family, and every column of a table that names none, is a
    family of its own named by the column.

    Parameters
    ----------
    table : FeatureTable

    Returns
    -------
    dict
        Family -> columns of ``table.X``; every column of ``X`` is in exactly one family.

    Examples
    --------
    >>> df = pd.DataFrame({"p": [1.0, 2.0, 3.0], "q": [2.0, 1.0, 0.0], "zone": ["n", "s", "n"],
    ...                    "edu": [0, 1, 2]})
    >>> t = feature_table(df, tasks=["edu"], numeric=["p", "q"], categorical=["zone"],
    ...                   families={"p": "Price", "q": "Price"})
    >>> table_families(t)
    {'Price': ['p', 'q'], 'zone': ['zone']}
    >>> table_families(feature_table(df, tasks=["edu"], numeric=["p"]))
    {'p': ['p']}
    """
    if table.families:
        return {f: list(cols) for f, cols in table.families.items()}
    return {c: [c] for c in table.X.columns}


def three_class_tasks(table: FeatureTable) -> tuple[FeatureTable, dict[str, int]]:
    """The table cut to its tasks with three classes (the H2SEA models of chapters 03-05).

    Parameters
    ----------
    table : FeatureTable

    Returns
    -------
    tuple
        ``(table, left_out)``: the table with only its three-class tasks (in order), and
        task -> number of classes of every task left out (to report).

    Examples
    --------
    >>> df = pd.DataFrame({"p": [1.0, 2.0, 3.0], "a": [0, 1, 2], "b": [0, 1, 1]})
    >>> t, left = three_class_tasks(feature_table(df, tasks=["a", "b"], numeric=["p"]))
    >>> t.tasks, left
    (['a'], {'b': 2})
    """
    kept = [t for t in table.tasks if table.n_classes[t] == 3]
    if not kept:
        raise ValueError(f"no task with 3 classes (the H2SEA models take 3 per task); the table's "
                         f"tasks have {table.n_classes}")
    left = {t: k for t, k in table.n_classes.items() if t not in kept}
    return select_tasks(table, kept, n_classes=3), left


def city_village_inputs(table: FeatureTable) -> tuple[pd.DataFrame, str]:
    """What H2SEA Table 5 (city vs village, chapter 05) reads from a table, checked.

    The table needs three columns: ``urban_type``, a categorical feature with the paper's types
    (:data:`URBAN_TYPES`: ``city_center`` and ``city_border`` are city people, ``rural`` are
    villagers); ``price_mean``, the numeric housing price around the home (its family is the
    housing-price family ranked in each subset); and ``has_sale_price_2km``, a meta column of
    ``True`` / ``False`` (a sale listing within 2 km of the home: the coverage the paper gives
    as its explanation).

    Parameters
    ----------
    table : FeatureTable

    Returns
    -------
    tuple
        ``(people, family)``: ``people`` has the boolean columns ``is_city`` and
        ``has_sale_price_2km``, indexed like ``table.X``; ``family`` is the family of
        ``price_mean`` (:func:`table_families`).

    Examples
    --------
    >>> df = pd.DataFrame({"urban_type": ["rural", "city_center", "city_border"],
    ...                    "price_mean": [1.0, 2.0, 3.0], "has_sale_price_2km": ["False", "True", "False"],
    ...                    "edu": [0, 1, 2]})
    >>> t = feature_table(df, tasks=["edu"], numeric=["price_mean"], categorical=["urban_type"],
    ...                   meta=["has_sale_price_2km"])
    >>> people, family = city_village_inputs(t)
    >>> people.is_city.tolist(), people.has_sale_price_2km.tolist(), family
    ([False, True, True], [False, True, False], 'price_mean')
    >>> city_village_inputs(feature_table(df, tasks=["edu"], numeric=["price_mean"]))
    Traceback (most recent call last):
    ...
    KeyError: "city vs village needs column(s) ['urban_type' (a categorical feature), 'has_sale_price_2km' (a meta column of True/False)] in the table"
    """
    meta = table.meta if table.meta is not None else pd.DataFrame(index=table.X.index)
    urban_ok = "urban_type" in table.X and isinstance(table.X["urban_type"].dtype, pd.CategoricalDtype)
    price_ok = "price_mean" in table.X and not isinstance(table.X["price_mean"].dtype, pd.CategoricalDtype)
    missing = [name for name, ok in (("'urban_type' (a categorical feature)", urban_ok),
                                     ("'price_mean' (a numeric feature)", price_ok),
                                     ("'has_sale_price_2km' (a meta column of True/False)",
                                      "has_sale_price_2km" in meta)) if not ok]
    if missing:
        raise KeyError(f"city vs village needs column(s) [{', '.join(missing)}] in the table")
    urban = table.X["urban_type"].astype(str)
    unknown = sorted(set(urban) - set(URBAN_TYPES))
    if unknown:
        raise ValueError(f"column 'urban_type': value(s) {unknown} are not among the paper's types "
                         f"{list(URBAN_TYPES)}")
    flags = meta["has_sale_price_2km"].astype("string")
    bad = sorted(set(flags[~flags.isin(["True", "False"])].astype(str)))
    if bad:
        raise ValueError(f"column 'has_sale_price_2km': value(s) {bad} are not True/False")
    is_city = urban.map(URBAN_TYPES).astype(bool)
    for name, keep in (("city", is_city), ("village", ~is_city)):
        if not keep.any():
            raise ValueError(f"column 'urban_type': no {name} row (city: city_center, city_border; "
                             "village: rural); Table 5 needs both")
    people = pd.DataFrame({"is_city": is_city, "has_sale_price_2km": flags.eq("True").astype(bool)},
                          index=table.X.index)
    family = next(f for f, cols in table_families(table).items() if "price_mean" in cols)
    return people, family


def housing_inputs(table: FeatureTable) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What H2SEA Sec 6 (housing price vs income, chapter 06) reads from a table, checked.

    Needed: ``price_mean``, the numeric housing price around the home; the task
    ``personal_income`` (the income level); an ``area`` column (the first one is the unit of
    the per-area rows, the paper's per-city correlations). Optional, as meta columns:
    ``income_exact``, the exact income (numbers, blank = unknown; without the column only the
    level correlations are computed), and ``has_sale_price_2km`` (``True`` / ``False``: the
    paper keeps the homes with a sale listing within 2 km; without it every home counts).

    Parameters
    ----------
    table : FeatureTable

    Returns
    -------
    tuple of DataFrame
        ``(X, y, meta)`` indexed like ``table.X``: ``X`` holds ``price_mean``, ``y`` the
        ``personal_income`` level, ``meta`` the boolean ``has_sale_price_2km``, ``area`` and,
        when given, the float ``exact_income``.

    Examples
    --------
    >>> df = pd.DataFrame({"zone": ["n", "s", "n"], "price_mean": [1.0, 2.0, 3.0],
    ...                    "income_exact": ["900.5", "", "1200"], "personal_income": [0, 1, 2]})
    >>> t = feature_table(df, tasks=["personal_income"], numeric=["price_mean"], areas=["zone"],
    ...                   meta=["income_exact"])
    >>> X, y, meta = housing_inputs(t)
    >>> meta.exact_income.tolist(), bool(meta.has_sale_price_2km.all()), meta.area.tolist()
    ([900.5, nan, 1200.0], True, ['n', 's', 'n'])
    >>> housing_inputs(feature_table(df, tasks=["personal_income"], numeric=["price_mean"]))
    Traceback (most recent call last):
    ...
    KeyError: 'housing price vs income needs column(s) [an area column] in the table'
    """
    meta = table.meta if table.meta is not None else pd.DataFrame(index=table.X.index)
    price_ok = "price_mean" in table.X and not isinstance(table.X["price_mean"].dtype, pd.CategoricalDtype)
    missing = [name for name, ok in (("'price_mean' (a numeric feature)", price_ok),
                                     ("'personal_income' (a task)", "personal_income" in table.y),
                                     ("an area column", table.areas.shape[1] > 0)) if not ok]
    if missing:
        raise KeyError(f"housing price vs income needs column(s) [{', '.join(missing)}] in the table")
    out = pd.DataFrame({"area": table.areas.iloc[:, 0].astype(str)}, index=table.X.index)
    if "has_sale_price_2km" in meta:
        flags = meta["has_sale_price_2km"].astype("string")
        bad = sorted(set(flags[~flags.isin(["True", "False"])].astype(str)))
        if bad:
            raise ValueError(f"column 'has_sale_price_2km': value(s) {bad} are not True/False")
        out.insert(0, "has_sale_price_2km", flags.eq("True").astype(bool))
    else:
        out.insert(0, "has_sale_price_2km", True)
    if "income_exact" in meta:
        text = meta["income_exact"].astype("string").str.strip()
        given = text.notna() & (text != "")
        exact = pd.to_numeric(text.where(given), errors="coerce").astype(float)
        bad = given & ~np.isfinite(exact)
        if bad.any():
            raise ValueError(f"column 'income_exact': value(s) {text[bad].unique()[:5].tolist()} are not "
                             "finite numbers (blank = unknown)")
        out["exact_income"] = exact
    return table.X[["price_mean"]].copy(), table.y[["personal_income"]].copy(), out
