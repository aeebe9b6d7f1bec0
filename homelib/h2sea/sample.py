"""A survey sample of your own: people, their attribute levels, survey weights, and Table 2.

Chapter 01 describes the simulated survey; most of it (the PPS stages, Eq 1, response, the
home error) needs the sampling frame, which a survey of your own does not publish. What a
people table does give is the sample and the paper's Table 2: the share of every attribute
level, with the "no answer" rows. This module reads such a table and computes those shares,
weighted by a survey weight when there is one (population shares) and unweighted otherwise
(shares of the sample).

``people.csv`` (:data:`PEOPLE_SCHEMA`): ``person_id`` (unique integer), the home ``lat``,
``lon``, ``province`` (one of the nine), ``city``, ``county``, ``urban_type``, the four levels
``personal_income, family_income, education, occupation`` (0 low, 1 middle, 2 high; blank = no
answer), and optionally ``age`` in years (blank = no answer) and ``weight`` (a positive survey
weight).

Examples
--------
>>> people = pd.DataFrame({"person_id": [1, 2], "lat": 30.0, "lon": 120.0,
...     "province": "Zhejiang", "city": "A", "county": "a", "urban_type": "rural",
...     "personal_income": [0, None], "family_income": [1, 2], "education": [2, 2],
...     "occupation": [0, 0]})
>>> t = table2(load_people(people)).set_index(["attribute", "category"])
>>> float(t.loc[("personal_income", "no answer"), "this data"])
50.0
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .. import io, schemas
from ..geo import STUDY_PROVINCES
from ..schemas import integer, number, text

__all__ = [
    "ATTRIBUTES",
    "AGE_GROUPS",
    "PEOPLE_SCHEMA",
    "load_people",
    "age_group",
    "table2",
]

ATTRIBUTES = ("personal_income", "family_income", "education", "occupation")
"""The four attributes of Table 2 (the H2SEA tasks), as class codes 0-2."""
AGE_GROUPS = ("under 30", "31-40", "41-50", "51-60", "over 60")
"""Table 2's age groups (``under 30`` holds 30, ``over 60`` starts at 61)."""

_LEVEL = dict(low=0, high=2, nullable=True)
PEOPLE_SCHEMA: pa.DataFrameSchema = pa.DataFrameSchema({
    "person_id": integer(0, unique=True),
    "lat": number(-90.0, 90.0, description="latitude of the home, degrees"),
    "lon": number(-180.0, 180.0, description="longitude of the home, degrees"),
    "province": text(STUDY_PROVINCES, what="province"),
    "city": text(description="a place name"), "county": text(description="a place name"),
    "urban_type": text(schemas.URBAN_TYPES, what="urban type"),
    **{a: integer(**_LEVEL, description=f"{a}: 0 low, 1 middle, 2 high, blank = no answer")
       for a in ATTRIBUTES},
    "age": integer(0, 120, nullable=True, required=False, description="years, blank = no answer"),
    "weight": number(gt=0.0, required=False, description="survey weight"),
}, name="people", strict=False, coerce=False,
    description="A survey sample: homes, attribute levels, optional age and weight (chapter 01)")
"""The schema of ``people.csv``; ``age`` and ``weight`` may be left out."""


def load_people(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read ``people.csv`` (a file, a folder holding it, or a frame) and validate it.

    Every problem is collected; the first ones are named by column, row (and line) and value.

    Parameters
    ----------
    source : str, Path or DataFrame
        ``people.csv``, a folder with ``people.csv``, or a frame with its columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``person_id``; the levels and ``age`` as ``Int64`` (``<NA>`` = no answer).

    Raises
    ------
    FileNotFoundError
        No ``people.csv`` there.
    homelib.schemas.TableError
        A missing column or a bad value.

    Examples
    --------
    >>> load_people(pd.DataFrame({"person_id": [1], "lat": [30.0], "lon": [120.0],
    ...     "province": ["Zhejiang"], "city": ["A"], "county": ["a"], "urban_type": ["rural"],
    ...     "personal_income": [3], "family_income": [1], "education": [2], "occupation": [0]}))
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: people: column 'personal_income', row 0, value 3: not an integer in [0, 2]
    """
    if isinstance(source, pd.DataFrame):
        rep = schemas.validate(source, PEOPLE_SCHEMA, what="people")
    else:
        path = Path(source)
        path = path / "people.csv" if path.is_dir() else path
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file (a people table needs people.csv)")
        rep = schemas.validate(schemas.read_csv(path), PEOPLE_SCHEMA, what=path.name, line_offset=2)
    people = rep.table.set_index("person_id")
    for col in [*ATTRIBUTES, *(["age"] if "age" in people else [])]:
        people[col] = people[col].astype("Int64")
    return people


def age_group(age: pd.Series) -> pd.Series:
    """Table 2's age group of each age (``"no answer"`` where the age is missing).

    Parameters
    ----------
    age : Series
        Ages in years (``<NA>`` = no answer).

    Returns
    -------
    Series of str

    Examples
    --------
    >>> age_group(pd.Series([30, 31, 60, 61, None], dtype="Int64")).tolist()
    ['under 30', '31-40', '51-60', 'over 60', 'no answer']
    """
    a = pd.to_numeric(age).astype("float64").to_numpy()  # <NA> -> NaN, which no bound holds
    cut = np.select([a <= 30, a <= 40, a <= 50, a <= 60], AGE_GROUPS[:4], AGE_GROUPS[4]).astype(object)
    cut[np.isnan(a)] = "no answer"
    return pd.Series(cut, index=age.index)


def table2(people: pd.DataFrame, weight: str | None = "weight") -> pd.DataFrame:
    """Table 2 on a people table: the share of every level of every attribute, beside the paper's.

    A share is over all the people (the "no answer" row included), weighted by the column
    ``weight`` when the table has it (a population share under the survey's design), else
    unweighted (a share of the sample). Categories follow the published table's rows, in code
    order; a "no answer" row the paper does not list (education) is added with no published
    value when someone did not answer. Age rows need an ``age`` column.

    Parameters
    ----------
    people : DataFrame
        As :func:`load_people` returns.
    weight : str or None
        The weight column; ``None`` (or a table without it) gives unweighted shares.

    Returns
    -------
    pandas.DataFrame
        ``attribute, category, published, this data, weighted``: percentages.

    Examples
    --------
    >>> people = pd.DataFrame({"personal_income": [0, 2, None], "family_income": [0, 0, 1],
    ...     "education": [0, 1, 2], "occupation": [0, 1, 1], "weight": [2.0, 1.0, 1.0]})
    >>> t = table2(people).set_index(["attribute", "category"])
    >>> t.loc[("personal_income", "under 2000 yuan/month"), ["published", "this data"]].tolist()
    [23.04, 50.0]
    >>> float(table2(people, weight=None).set_index(["attribute", "category"]).loc[
    ...     ("personal_income", "under 2000 yuan/month"), "this data"]).__round__(2)
    33.33
    """
    ref = io.load_reference("h2sea_table2_demographics.csv")
    weighted = weight is not None and weight in people
    w = people[weight].to_numpy(float) if weighted else np.ones(len(people))
    rows = []
    columns = {a: people[a] for a in ATTRIBUTES}
    if "age" in people:
        columns["age"] = age_group(people["age"])
    for attribute, values in columns.items():
        pub = ref[ref.attribute == attribute].set_index("category").fraction_pct
        levels = [c for c in pub.index if c != "no answer"]
        if attribute == "age":
            answer = values.to_numpy(object)
        else:
            codes = pd.array(values, dtype="Int64")
            answer = np.array([levels[int(c)] if pd.notna(c) else "no answer" for c in codes], dtype=object)
        cats = levels + (["no answer"] if "no answer" in pub.index or (answer == "no answer").any() else [])
        for c in cats:
            share = 100 * w[answer == c].sum() / w.sum() if len(w) else float("nan")
            rows.append((attribute, c, float(pub.get(c, np.nan)), float(share), weighted))
    return pd.DataFrame(rows, columns=["attribute", "category", "published", "this data", "weighted"])
