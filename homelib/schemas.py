"""The data contracts of every table that enters or leaves ``homelib``, as pandera schemas.

One schema per table: the survey (people and its context tables), the H2SEA
source tables (homes, sale, rent, city_prices, county_income, town_stats,
pois), the feature table, the social network (places, users, edges, orgs),
exposure profiles, and every result file contract of ``data/results``
(:data:`RESULT_SCHEMAS`, enforced by :func:`homelib.io.write_result_csv`).
The loaders of both studies are built on them, and so are those for real data.

The rules are strict and nothing is coerced silently:

- a boolean is ``True`` or ``False`` (in a CSV: ``True``/``False``, any
  case); ``yes``, ``1`` or a blank cell is an error;
- an id or count is an integer: ``1.5`` is rejected, never truncated, and a
  missing id is reported as missing;
- a number is finite and in its range (coordinates in [-90, 90] and
  [-180, 180]); text in a numeric column is an error, except that a CSV
  cell is parsed as the number it spells;
- text is non-empty; codes come from their vocabulary.

:func:`validate` runs a schema lazily (every problem of every row is
collected) and raises :class:`TableError` naming the column, the row and the
value of each, or drops the bad rows and reports them (``drop_invalid``).
:func:`read_csv` reads a file as text and gives a clear message for a 0-byte
file, a ragged row or bytes that are not UTF-8.

Examples
--------
>>> sale = pd.DataFrame({"lat": [30.0, "abc"], "lon": [120.0, 120.0],
...                      "price": [9000.0, 8000.0], "city": ["A", "A"]})
>>> validate(sale, SOURCE_SCHEMAS["sale"], what="sale")
Traceback (most recent call last):
...
homelib.schemas.TableError: sale: column 'lat', row 1, value 'abc': not a number
>>> users = pd.DataFrame({"user_id": [0], "current_place": [0], "hometown": [1.5], "work": [-1],
...     "current_visible": ["yes"], "hometown_visible": [True], "work_visible": [False],
...     "friends_visible": [True]})
>>> validate(users, SOCIAL_SCHEMAS["users"], what="users")
Traceback (most recent call last):
...
homelib.schemas.TableError: users: 2 problems: column 'hometown', row 0, value 1.5: not an integer; column 'current_visible', row 0, value 'yes': not a boolean (True or False)
"""

from __future__ import annotations

import contextvars
import csv
import io as _stdio
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .geo import STUDY_PROVINCES

__all__ = [
    "TableError",
    "Validated",
    "YEARS",
    "URBAN_TYPES",
    "POI_CATEGORIES",
    "EXPOSURE_CATEGORIES",
    "integer",
    "number",
    "boolean",
    "text",
    "read_csv",
    "validate",
    "check_references",
    "SURVEY_SCHEMAS",
    "SOURCE_SCHEMAS",
    "SOCIAL_SCHEMAS",
    "feature_table_schema",
    "ExposureProfile",
    "EXPOSURE_PROFILES",
    "validate_profile",
    "RESULT_SCHEMAS",
    "RESULT_COLUMNS",
]


class TableError(ValueError):
    """A table breaks its schema.

    Attributes
    ----------
    what : str
        The table (a name or a file).
    failures : DataFrame
        ``row, column, value, reason``: one line per bad cell (``row`` is None
        for a problem of the whole table).
    """

    def __init__(self, what: str, failures: pd.DataFrame, *, line_offset: int | None = None):
        self.what = what
        self.failures = failures
        items = [_describe(r, line_offset) for r in failures.itertuples(index=False)]
        if len(items) == 1:
            msg = f"{what}: {items[0]}"
        else:
            shown = "; ".join(items[:5])
            more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
            msg = f"{what}: {len(items)} problems: {shown}{more}"
        super().__init__(msg)


def _describe(r: Any, line_offset: int | None) -> str:
    if r.row is None or (isinstance(r.row, float) and math.isnan(r.row)):
        return f"{r.reason}" if r.column is None else f"column {r.column!r}: {r.reason}"
    where = f"row {r.row}"
    if line_offset is not None and isinstance(r.row, (int, np.integer)):
        where += f" (line {int(r.row) + line_offset})"
    return f"column {r.column!r}, {where}, value {_show(r.value)}: {r.reason}"


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Validated:
    """A validated table (canonical dtypes) and the rows dropped (``row, column, value, reason``)."""

    table: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        """Number of distinct rows dropped."""
        return int(self.dropped.row.nunique()) if len(self.dropped) else 0


# ---------------------------------------------------------------------------
# vocabularies
# ---------------------------------------------------------------------------

YEARS = tuple(range(2012, 2018))
"""Years of the published statistics (H2SEA Sec 3.3)."""
URBAN_TYPES = ("city_center", "city_border", "rural")
"""Urban types of H2SEA Sec 3.5: city centre, city border, rural."""

# Baidu Map's 21 first-level POI industries, each with its second-level kinds (114 in all)
# and the area function it signals.
_TAXONOMY: dict[str, tuple[str, list[str]]] = {
    "food": ("business", ["chinese_restaurant", "foreign_restaurant", "snack_bar", "cake_shop",
                          "coffee_shop", "tea_house", "bar", "hotpot", "other_food"]),
    "hotel": ("business", ["star_hotel", "budget_hotel", "apartment_hotel", "guesthouse"]),
    "shopping": ("business", ["mall", "supermarket", "convenience_store", "home_building",
                              "electronics", "market", "specialty_shop", "stationery"]),
    "life_service": ("residential", ["telecom_office", "post_office", "logistics", "laundry",
                                     "photo_studio", "housekeeping", "repair", "funeral",
                                     "public_toilet"]),
    "beauty": ("business", ["beauty_salon", "hair_salon", "nail_salon", "body_care"]),
    "scenery": ("farming", ["park", "zoo", "botanical_garden", "amusement_park", "museum",
                            "memorial", "temple", "scenic_spot"]),
    "leisure": ("business", ["resort", "farm_stay", "cinema", "ktv", "theatre", "dance_hall",
                             "internet_cafe", "game_hall"]),
    "sport": ("education", ["stadium", "gym", "swimming_pool", "sports_venue"]),
    "education": ("education", ["university", "high_school", "primary_school", "kindergarten",
                                "adult_education", "training_school", "research_institute",
                                "library", "science_museum"]),
    "culture_media": ("education", ["press", "broadcasting", "art_group", "exhibition_hall",
                                    "cultural_palace"]),
    "hospital": ("residential", ["general_hospital", "specialist_hospital", "clinic",
                                 "pharmacy", "health_centre", "disease_control"]),
    "car_service": ("industry", ["gas_station", "car_repair", "car_wash", "car_sales",
                                 "car_rental", "driving_school"]),
    "transport": ("residential", ["bus_stop", "metro_station", "railway_station",
                                  "long_distance_bus", "parking", "port"]),
    "finance": ("business", ["bank", "atm", "credit_union", "investment", "pawnshop"]),
    "real_estate": ("residential", ["residential_area", "office_building", "dormitory",
                                    "villa_area"]),
    "company": ("industry", ["company", "factory", "agriculture_forestry",
                             "industrial_park", "mine"]),
    "government": ("education", ["government_office", "party_office", "public_security",
                                 "court", "social_organisation", "foreign_affairs"]),
    "entrance": ("residential", ["gate", "highway_exit"]),
    "natural_feature": ("farming", ["island", "mountain", "river_lake"]),
    "admin_landmark": ("farming", ["village_landmark", "town_landmark"]),
    "door_address": ("residential", ["building_number"]),
}

POI_CATEGORIES = pd.DataFrame(
    [(f"{g}/{c}", g, c, f) for g, (f, cs) in _TAXONOMY.items() for c in cs],
    columns=["code", "group", "name", "function"],
)
"""The 114 second-level POI categories (``code = group/name``) in 21 first-level groups."""

EXPOSURE_CATEGORIES = ("HT", "WE", "F", "HT+WE", "HT+F", "WE+F", "HT+WE+F", "none")
"""PFLI Table 4's 7 user categories, and ``none`` for a user who shows none of HT, WE, F."""

# ---------------------------------------------------------------------------
# element checks: each bad cell fails exactly one check, whose error is the reason
# ---------------------------------------------------------------------------

_NA_TEXT = frozenset({"", "nan", "NaN", "NAN", "NA", "N/A", "n/a", "null", "NULL", "None",
                      "<NA>"})


def _all_text(s: pd.Series) -> bool:
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=False) == "string"


_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("schemas_memo", default=None)


def _memo(fn: Callable[[pd.Series], Any]) -> Callable[[pd.Series], Any]:
    """Within one :func:`validate` call, compute ``fn`` once per column (checks share it)."""
    def wrapper(s: pd.Series) -> Any:
        cache = _MEMO.get()
        values = s.to_numpy() if cache is not None and isinstance(s.array, pd.arrays.NumpyExtensionArray) else None
        if values is None:
            return fn(s)
        key = (fn.__name__, s.name, values.__array_interface__["data"][0], values.shape,
               values.strides)
        if key not in cache:
            cache[key] = fn(s)
        return cache[key]

    wrapper.__name__ = fn.__name__
    return wrapper


@_memo
def _missing(s: pd.Series) -> pd.Series:
    """Missing cells: None/NaN/NA, or blank text."""
    if _all_text(s):
        return s.str.strip() == ""
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        miss |= s.map(lambda v: isinstance(v, str) and v.strip() == "").astype(bool)
    return miss


@_memo
def _numeric_missing(s: pd.Series) -> pd.Series:
    if _all_text(s):
        return s.str.strip().isin(_NA_TEXT)
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        miss |= s.map(lambda v: isinstance(v, str) and v.strip() in _NA_TEXT).astype(bool)
    return miss


@_memo
def _as_float(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(values, is_number)``: the cells as floats (NaN where not a number) and which are."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index), pd.Series(False, index=s.index)
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.astype("float64")
        return vals, pd.Series(True, index=s.index)
    if _all_text(s):  # a CSV column: parse the text, vectorised
        t = s.str.strip()
        na = t.isin(_NA_TEXT)
        vals = pd.to_numeric(t.where(~na, "nan"), errors="coerce").astype("float64")
        return vals, vals.notna() | na

    def one(v: Any) -> float | None:
        if isinstance(v, (bool, np.bool_)):
            return None
        if isinstance(v, (int, float, np.integer, np.floating)):
            return float(v)
        if isinstance(v, str):
            t = v.strip()
            if t in _NA_TEXT:
                return math.nan
            try:
                return float(t)
            except ValueError:
                return None
        return math.nan if v is None or v is pd.NA else None

    parsed = s.map(one)
    ok = parsed.notna() | _numeric_missing(s)
    return parsed.astype("float64"), ok


@_memo
def _is_integer_text(s: pd.Series) -> pd.Series:
    vals, ok = _as_float(s)
    integral = ok & (vals.isna() | (np.isfinite(vals) & (vals == np.floor(vals))))
    return integral | _numeric_missing(s)


def _element(fn: Callable[[pd.Series], pd.Series], error: str, name: str) -> pa.Check:
    return pa.Check(fn, error=error, name=name, ignore_na=False)


def _not_missing() -> pa.Check:
    return _element(lambda s: ~_numeric_missing(s) & ~_missing(s), "missing value", "present")


def _range_text(low: float | None, high: float | None, gt: float | None) -> str:
    parts = []
    if gt is not None:
        parts.append(f"> {gt:g}")
    if low is not None and high is not None:
        return f"in [{low:g}, {high:g}]"
    if low is not None:
        parts.append(f">= {low:g}")
    if high is not None:
        parts.append(f"<= {high:g}")
    return " and ".join(parts)


def number(low: float | None = None, high: float | None = None, *, gt: float | None = None,
           nullable: bool = False, required: bool = True, description: str = "") -> pa.Column:
    """A column of finite numbers in ``[low, high]`` (and ``> gt``).

    Parameters
    ----------
    low, high, gt : float, optional
        Bounds.
    nullable : bool
        Whether a missing value is allowed (it stays NaN).
    required : bool
        Whether the column must be present.
    description : str

    Returns
    -------
    pandera.Column

    Examples
    --------
    >>> number(0, 1).metadata["kind"]
    'float'
    """
    rng = _range_text(low, high, gt)

    def number_in_range(s: pd.Series) -> pd.Series:
        vals, ok = _as_float(s)
        good = np.isfinite(vals)
        if low is not None:
            good &= vals >= low
        if high is not None:
            good &= vals <= high
        if gt is not None:
            good &= vals > gt
        return good | ~ok | _numeric_missing(s)

    checks = [_element(lambda s: _as_float(s)[1], "not a number", "number"),
              _element(number_in_range, f"not a finite number {rng}".rstrip(), "range")]
    if not nullable:
        checks.insert(1, _not_missing())
    return pa.Column(checks=checks, nullable=True, required=required, description=description,
                     metadata={"kind": "float", "nullable": nullable})


def integer(low: int | None = None, high: int | None = None, *, nullable: bool = False,
            unique: bool = False, required: bool = True, description: str = "") -> pa.Column:
    """A column of integers in ``[low, high]``; ``1.5`` and booleans are errors.

    Parameters
    ----------
    low, high : int, optional
        Bounds.
    nullable : bool
        Whether a missing value is allowed (the column becomes ``Int64``).
    unique : bool
        Whether a repeated value is an error (the second occurrence is reported).
    required : bool
    description : str

    Returns
    -------
    pandera.Column

    Examples
    --------
    >>> integer(0, unique=True).metadata["kind"]
    'int'
    """
    rng = _range_text(low, high, None)

    def integer_in_range(s: pd.Series) -> pd.Series:
        vals, _ = _as_float(s)
        good = pd.Series(True, index=s.index)
        if low is not None:
            good &= vals >= low
        if high is not None:
            good &= vals <= high
        return good | ~_is_integer_text(s) | vals.isna()

    checks = [_element(_is_integer_text, "not an integer", "integer"),
              _element(integer_in_range, f"not an integer {rng}", "range")]
    if not nullable:
        checks.insert(1, _not_missing())
    if unique:
        def first(s: pd.Series) -> pd.Series:
            vals, _ = _as_float(s)
            return ~(vals.duplicated(keep="first") & vals.notna())

        checks.append(_element(first, "duplicate id", "unique"))
    return pa.Column(checks=checks, nullable=True, required=required, description=description,
                     metadata={"kind": "int", "nullable": nullable})


@_memo
def _is_bool(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(True, index=s.index)
    if _all_text(s):
        return s.str.strip().str.lower().isin(("true", "false"))
    return s.map(lambda v: isinstance(v, (bool, np.bool_)) or (
        isinstance(v, str) and v.strip().lower() in ("true", "false"))).astype(bool)


def boolean(*, required: bool = True, description: str = "") -> pa.Column:
    """A column of ``True`` / ``False`` (CSV text ``True``/``False`` in any case).

    ``yes``, ``no``, ``1``, ``0`` or a blank cell are errors: nothing is
    guessed.

    Parameters
    ----------
    required : bool
    description : str

    Returns
    -------
    pandera.Column

    Examples
    --------
    >>> boolean().metadata["kind"]
    'bool'
    """
    def is_bool_or_missing(s: pd.Series) -> pd.Series:
        return _is_bool(s) | _missing(s)

    checks = [_element(is_bool_or_missing, "not a boolean (True or False)", "boolean"),
              _element(lambda s: ~_missing(s), "missing value (a boolean is True or False)",
                       "present")]
    return pa.Column(checks=checks, nullable=True, required=required, description=description,
                     metadata={"kind": "bool", "nullable": False})


def text(choices: Iterable[str] | None = None, *, pattern: str | None = None,
         nullable: bool = False, required: bool = True, description: str = "",
         what: str = "") -> pa.Column:
    """A column of non-empty text, optionally from ``choices`` or matching ``pattern``.

    Parameters
    ----------
    choices : iterable of str, optional
        The vocabulary.
    pattern : str, optional
        A regular expression the whole value must match.
    nullable : bool
        Whether a missing value is allowed.
    required : bool
    description : str
    what : str
        How to name a value outside ``choices`` / ``pattern`` in messages.

    Returns
    -------
    pandera.Column

    Examples
    --------
    >>> text(["a", "b"]).metadata["kind"]
    'str'
    """
    allowed = None if choices is None else frozenset(choices)

    def is_text(s: pd.Series) -> pd.Series:
        return s.map(lambda v: isinstance(v, str)).astype(bool) | _missing(s)

    checks = [_element(is_text, "not text", "text")]
    if not nullable:
        checks.append(_element(lambda s: ~_missing(s), "missing or empty", "present"))
    if allowed is not None:
        shown = sorted(allowed)
        listed = ", ".join(shown) if len(shown) <= 10 else f"{len(shown)} known codes"
        checks.append(_element(
            lambda s: s.map(lambda v: not isinstance(v, str) or v in allowed).astype(bool)
            | _missing(s), f"unknown {what or 'value'} (allowed: {listed})", "choices"))
    if pattern is not None:
        checks.append(_element(
            lambda s: s.map(lambda v: not isinstance(v, str)).astype(bool)
            | s.astype(str).str.fullmatch(pattern) | _missing(s),
            f"{what or 'value'} does not match {pattern}", "pattern"))
    return pa.Column(checks=checks, nullable=True, required=required, description=description,
                     metadata={"kind": "str", "nullable": nullable})


# ---------------------------------------------------------------------------
# reading and validating
# ---------------------------------------------------------------------------


def read_csv(path: str | Path, what: str | None = None) -> pd.DataFrame:
    """Read a CSV file as text cells, with clear errors for broken files.

    Every cell is a string (``""`` when blank), so that :func:`validate`
    sees what the file says: nothing is guessed by the reader.

    Parameters
    ----------
    path : str or Path
    what : str, optional
        Name used in messages (defaults to the file name).

    Returns
    -------
    DataFrame
        Index ``0..n-1``: data row ``i`` is on line ``i + 2`` of the file.

    Raises
    ------
    TableError
        The file is empty (0 bytes or no header), not UTF-8, or a row has
        more or fewer fields than the header.
    FileNotFoundError
        The file does not exist.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b\\n1,2\\n3\\n")
    >>> read_csv(p)
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: t.csv: line 3 has 1 field(s), the header has 2 (a ragged row)
    """
    path = Path(path)
    what = what or path.name
    data = path.read_bytes()

    def fail(reason: str) -> TableError:
        return TableError(what, pd.DataFrame([(None, None, None, reason)],
                                             columns=["row", "column", "value", "reason"]))

    if not data.strip():
        raise fail(f"the file is empty ({len(data)} bytes): expected a header row of column "
                   "names and one row per record")
    try:
        text_ = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(f"line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    rows = csv.reader(_stdio.StringIO(text_, newline=""))
    try:
        header = next(rows)
        width = len(header)
        for fields in rows:
            if fields and len(fields) != width:
                raise fail(f"line {rows.line_num} has {len(fields)} field(s), the header has "
                           f"{width} (a ragged row)")
    except csv.Error as exc:
        raise fail(f"line {rows.line_num}: {exc}") from None
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise fail(f"duplicate column name(s) {dupes} in the header")
    return pd.read_csv(_stdio.StringIO(text_), dtype=str, keep_default_na=False,
                       na_values=[], skip_blank_lines=True)


def _failures(exc: SchemaErrors) -> pd.DataFrame:
    fc = exc.failure_cases
    rows = []
    for r in fc.itertuples(index=False):
        if r.check == "column_in_dataframe":
            rows.append((None, r.failure_case, None, "missing column"))
            continue
        row = r.index
        if isinstance(row, float) and math.isnan(row):
            row = None
        rows.append((row, r.column, r.failure_case, str(r.check)))
    out = pd.DataFrame(rows, columns=["row", "column", "value", "reason"])
    return out


def _sort_key(df: pd.DataFrame) -> pd.Series:
    return df["row"].map(lambda r: (0, r) if isinstance(r, (int, np.integer)) else (1, str(r)))


def _convert(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    out = df.copy()
    for name, col in schema.columns.items():
        if name not in out:
            continue
        kind = (col.metadata or {}).get("kind")
        s = out[name]
        if kind == "float":
            out[name] = _as_float(s)[0]
        elif kind == "int":
            vals = _as_float(s)[0]
            out[name] = vals.astype("Int64") if vals.isna().any() else vals.astype("int64")
        elif kind == "bool":
            out[name] = s if pd.api.types.is_bool_dtype(s.dtype) else s.map(
                lambda v: v if isinstance(v, (bool, np.bool_)) else v.strip().lower() == "true"
            ).astype(bool)
        elif kind == "str":
            out[name] = s.map(lambda v: None if not isinstance(v, str) or v.strip() == ""
                              else v).astype(object)
    return out


def validate(
    df: pd.DataFrame,
    schema: pa.DataFrameSchema,
    *,
    what: str | None = None,
    drop_invalid: bool = False,
    line_offset: int | None = None,
) -> Validated:
    """Validate ``df`` against ``schema``, collecting every problem (pandera ``lazy=True``).

    Parameters
    ----------
    df : DataFrame
        The table; it is not modified.
    schema : pandera.DataFrameSchema
        One of this module's schemas.
    what : str, optional
        Name of the table in messages (defaults to the schema's name).
    drop_invalid : bool
        Drop the rows with bad cells and report them instead of raising.
        Missing columns always raise.
    line_offset : int, optional
        For a table read from a file: add this to a row number to give its
        line (2 for :func:`read_csv`).

    Returns
    -------
    Validated
        The table with the schema's columns in canonical dtypes (``int64``
        or ``Int64``, ``float64``, ``bool``, text), and the rows dropped.

    Raises
    ------
    TableError
        Naming the column, the row and the value of every problem.

    Examples
    --------
    >>> t = pd.DataFrame({"lat": ["30.5", "91"], "lon": [120, 120], "price": [1, 2],
    ...                   "city": ["A", "A"]})
    >>> rep = validate(t, SOURCE_SCHEMAS["sale"], drop_invalid=True)
    >>> rep.table.lat.tolist(), rep.dropped[["row", "column", "reason"]].values.tolist()
    ([30.5], [[1, 'lat', 'not a finite number in [-90, 90]']])
    """
    what = what or schema.name or "table"
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    if missing:
        raise TableError(what, pd.DataFrame(
            [(None, None, None, f"missing column(s) {missing}; got {list(df.columns)}")],
            columns=["row", "column", "value", "reason"]))
    token = _MEMO.set({})
    try:
        schema.validate(df, lazy=True)
        failures = pd.DataFrame(columns=["row", "column", "value", "reason"])
    except SchemaErrors as exc:
        failures = _failures(exc)
    finally:
        _MEMO.reset(token)
    if len(failures):
        failures = failures.iloc[np.argsort(_sort_key(failures).to_numpy(), kind="stable")]
        failures = failures.reset_index(drop=True)
    whole = failures[failures.row.isna()] if len(failures) else failures
    if len(failures) and (not drop_invalid or len(whole)):
        raise TableError(what, failures if not len(whole) else whole, line_offset=line_offset)
    kept = df.drop(index=failures.row.unique()) if len(failures) else df
    return Validated(table=_convert(kept, schema), dropped=failures)


def check_references(
    df: pd.DataFrame,
    column: str,
    valid: Iterable[Any] | pd.Index,
    *,
    what: str,
    target: str,
    allow: Sequence[Any] = (),
    line_offset: int | None = None,
) -> None:
    """Raise :class:`TableError` for the values of ``df[column]`` that are not in ``valid``.

    Parameters
    ----------
    df : DataFrame
        A validated table.
    column : str
    valid : iterable
        The ids that exist (e.g. the place ids).
    what : str
        The table, for messages.
    target : str
        What the column refers to, for messages (``"place id"``).
    allow : sequence
        Extra allowed values (``-1`` for "none").
    line_offset : int, optional
        As in :func:`validate`.

    Examples
    --------
    >>> check_references(pd.DataFrame({"u": [0, 3]}), "u", range(3), what="edges",
    ...                  target="user id (users are 0..2)")
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: edges: column 'u', row 1, value 3: unknown user id (users are 0..2)
    """
    ok = pd.Index(list(valid) + list(allow))
    bad = ~df[column].isin(ok)
    if bad.any():
        rows = [(i, column, v, f"unknown {target}") for i, v in df.loc[bad, column].items()]
        raise TableError(what, pd.DataFrame(rows, columns=["row", "column", "value", "reason"]),
                         line_offset=line_offset)


def _schema(name: str, columns: Mapping[str, pa.Column], *, checks: list | None = None,
            description: str = "") -> pa.DataFrameSchema:
    return pa.DataFrameSchema(dict(columns), name=name, strict=False, coerce=False,
                              checks=checks, description=description)


def _lat(**kw: Any) -> pa.Column:
    return number(-90.0, 90.0, description="latitude, degrees", **kw)


def _lon(**kw: Any) -> pa.Column:
    return number(-180.0, 180.0, description="longitude, degrees", **kw)


def _name(**kw: Any) -> pa.Column:
    return text(description="a place name", **kw)


def _zip(**kw: Any) -> pa.Column:
    return text(pattern=r"\d{6}", what="zip code (6 digits)", description="6-digit zip code",
                **kw)


_PROVINCES = tuple(STUDY_PROVINCES)
_CLASS = dict(low=0, high=2, nullable=True)  # an attribute class 0 low, 1 middle, 2 high; NA = no answer

# ---------------------------------------------------------------------------
# H2SEA: the survey, the collected sources, the feature table
# ---------------------------------------------------------------------------

SURVEY_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "people": _schema("people", {
        "person_id": integer(0, unique=True),
        "survey_year": integer(1990, 2100),
        "province": text(_PROVINCES, what="province"),
        "city": _name(), "county": _name(),
        "urban_type": text(URBAN_TYPES, what="urban type"),
        "age": integer(0, 120), "male": boolean(),
        "personal_income": integer(**_CLASS), "family_income": integer(**_CLASS),
        "education": integer(**_CLASS), "occupation": integer(**_CLASS),
        "lat": _lat(), "lon": _lon(),
    }, description="Surveyed home owners kept for the study (H2SEA Sec 2, Table 2)"),
    "counties": _schema("counties", {
        "county_id": integer(0, unique=True), "province": text(_PROVINCES, what="province"),
        "city": _name(), "county": _name(), "lat": _lat(), "lon": _lon(), "zip_code": _zip(),
        "households": integer(0),
    }, description="The sampling frame's counties"),
    "cities": _schema("cities", {
        "city": _name(), "province": text(_PROVINCES, what="province"),
        "avg_price": number(gt=0.0, nullable=True),
    }, description="Cities and their published average housing price (yuan/m2)"),
    "towns": _schema("towns", {
        "town_id": integer(0, unique=True), "county_id": integer(0), "name": _name(),
        "zip_code": _zip(), "urban_type": text(URBAN_TYPES, what="urban type"),
        "lat": _lat(), "lon": _lon(), "households": integer(0),
    }, description="Towns of the sampled counties"),
    "villages": _schema("villages", {
        "village_id": integer(0, unique=True), "town_id": integer(0), "street": _name(),
        "name": _name(), "lat": _lat(), "lon": _lon(), "households": integer(0),
    }, description="Villages (rural) and communities (urban) of the sampled towns"),
}
"""The survey's tables: the kept people and the context tables of the sampling frame."""

_PRICE = dict(gt=0.0)
SOURCE_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "homes": _schema("homes", {
        "person_id": integer(0, unique=True), "lat": _lat(), "lon": _lon(),
        "province": text(_PROVINCES, what="province"), "city": _name(), "county": _name(),
        "town": _name(), "street": _name(), "zip_code": _zip(),
        "urban_type": text(URBAN_TYPES, what="urban type"),
    }, description="Estimated homes and their names (H2SEA Sec 3.5)"),
    "sale": _schema("sale", {"lat": _lat(), "lon": _lon(), "price": number(**_PRICE),
                             "city": _name()},
                    description="Sale listings, yuan/m2 (H2SEA Sec 3.1)"),
    "rent": _schema("rent", {"lat": _lat(), "lon": _lon(), "price": number(**_PRICE),
                             "city": _name()},
                    description="Rent listings, yuan/m2/month (H2SEA Sec 3.2)"),
    "city_prices": _schema("city_prices", {"city": _name(), "avg_price": number(**_PRICE)},
                           description="Published city average housing price"),
    "county_income": _schema("county_income", {
        "city": _name(), "county": _name(), "year": integer(YEARS[0], YEARS[-1]),
        "income": number(**_PRICE)}, description="Published county average income, long format"),
    "town_stats": _schema("town_stats", {
        "city": _name(), "county": _name(), "town": _name(),
        "year": integer(YEARS[0], YEARS[-1]), "budget": number(0.0, nullable=True),
        "tax": number(0.0, nullable=True)},
        description="Published town budget and tax, long format (NaN = not published)"),
    "pois": _schema("pois", {"lat": _lat(), "lon": _lon(),
                             "category": text(POI_CATEGORIES.code, what="POI category code")},
                    description="POIs with one of the 114 second-level codes (H2SEA Sec 3.4)"),
}
"""The collected source tables of H2SEA Sec 3 (simulated or real)."""


def feature_table_schema(continuous: Sequence[str], flags: Sequence[str]) -> pa.DataFrameSchema:
    """Schema of an H2SEA feature table with these continuous and 0/1 flag columns.

    The categorical columns are ``zip_code, province, city, county, town,
    street, urban_type``; ``person_id`` is a unique integer.

    Parameters
    ----------
    continuous : sequence of str
        Finite-number columns.
    flags : sequence of str
        Columns that are 0 or 1.

    Returns
    -------
    pandera.DataFrameSchema

    Examples
    --------
    >>> s = feature_table_schema(["hp_mean"], ["hp_fill_city"])
    >>> validate(pd.DataFrame({"person_id": [1], "hp_mean": [1.0], "hp_fill_city": [2],
    ...     "zip_code": ["100001"], "province": ["Hebei"], "city": ["c"], "county": ["k"],
    ...     "town": ["t"], "street": ["s"], "urban_type": ["rural"]}), s)
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: features: column 'hp_fill_city', row 0, value 2: a flag must be 0 or 1
    """
    cols: dict[str, pa.Column] = {"person_id": integer(0, unique=True)}
    for c in continuous:
        cols[c] = number()
    for c in flags:
        col = number()
        col.checks.append(_element(
            lambda s: _as_float(s)[0].isin([0.0, 1.0]) | ~_as_float(s)[1] | _numeric_missing(s),
            "a flag must be 0 or 1", "flag"))
        cols[c] = col
    cols.update({"zip_code": _zip(), "province": text(_PROVINCES, what="province"),
                 "city": _name(), "county": _name(), "town": _name(), "street": _name(),
                 "urban_type": text(URBAN_TYPES, what="urban type")})
    return _schema("features", cols, description="The H2SEA feature table (Sec 3)")


# ---------------------------------------------------------------------------
# PFLI: the social network and exposure profiles
# ---------------------------------------------------------------------------


def _row_order(column: pa.Column, name: str) -> pa.Column:
    """``column`` (an integer id) must also equal the row position: ``0..N-1`` in order."""
    def in_order(s: pd.Series) -> pd.Series:
        vals, _ = _as_float(s)
        return (pd.Series(vals.to_numpy() == np.arange(len(s)), index=s.index)
                | ~_is_integer_text(s) | vals.isna())

    column.checks.append(_element(in_order, f"{name} must be 0..N-1 in row order (the row "
                                  "position)", "row_order"))
    return column


SOCIAL_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "places": _schema("places", {
        "place_id": _row_order(integer(0, unique=True), "place_id"), "lat": _lat(), "lon": _lon(),
        "name": text(nullable=True, required=False), "country": text(nullable=True, required=False),
        "population": integer(0, required=False),
    }, description="Candidate places (PFLI Sec 3)"),
    "users": _schema("users", {
        "user_id": _row_order(integer(0, unique=True), "user_id"),
        "current_place": integer(-1, description="place id; -1 when unknown"),
        "hometown": integer(-1, description="place id; -1 when none"),
        "work": integer(-1, description="organisation id; -1 when none"),
        "current_visible": boolean(), "hometown_visible": boolean(),
        "work_visible": boolean(), "friends_visible": boolean(),
    }, description="Users and what they show (PFLI Sec 3)"),
    "edges": _schema("edges", {"u": integer(0), "v": integer(0)},
                     description="Friend pairs (user ids)"),
    "orgs": _schema("orgs", {
        "org_id": _row_order(integer(0, unique=True), "org_id"), "kind": text(nullable=True, required=False),
        "n_sites": integer(0, required=False),
    }, description="Work and education organisations"),
}
"""The social network's tables (simulated or real; PFLI Sec 3, 7.1.1)."""


_PlaceRef = Annotated[int, Field(ge=0)] | Annotated[str, Field(min_length=1)]


class ExposureProfile(BaseModel):
    """A profile given as data (PFLI Sec 8.3): what a user shows, as a new user of a world.

    ``hometown`` and ``current_place`` are a place id or a unique place name,
    ``work`` an organisation id, ``friends`` a list of user ids; None means
    "not shown". Strict: ``True`` is not an id and ``1.5`` is not an id.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hometown: _PlaceRef | None = None
    work: Annotated[int, Field(ge=0)] | None = None
    friends: list[Annotated[int, Field(ge=0)]] | None = None
    current_place: _PlaceRef | None = None


def validate_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Check one exposure profile's fields and types (references are checked against a world later).

    Parameters
    ----------
    profile : mapping
        ``hometown``, ``work``, ``friends``, ``current_place`` (all optional).

    Returns
    -------
    dict
        The profile with every field present.

    Raises
    ------
    TypeError
        Not a mapping.
    ValueError
        Naming each bad field and its value.

    Examples
    --------
    >>> validate_profile({"hometown": "Lyon", "friends": [3, 4]})["friends"]
    [3, 4]
    >>> validate_profile({"friends": [5, True]})
    Traceback (most recent call last):
    ...
    ValueError: profile: field 'friends' item 1 = True: input should be a valid integer
    """
    if not isinstance(profile, Mapping):
        raise TypeError(f"profile: expected a mapping of fields; got {type(profile).__name__}")
    try:
        return ExposureProfile.model_validate(dict(profile)).model_dump()
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = err["loc"]
            where = f"field {loc[0]!r}" + (f" item {loc[1]}" if len(loc) > 1
                                           and isinstance(loc[1], int) else "")
            if err["type"] == "extra_forbidden":
                msgs.append(f"unknown field {loc[0]!r} (allowed: "
                            f"{', '.join(ExposureProfile.model_fields)})")
            else:
                msg = err["msg"][0].lower() + err["msg"][1:]
                msgs.append(f"{where} = {_show(err.get('input'))}: {msg}")
        raise ValueError("profile: " + "; ".join(dict.fromkeys(msgs))) from None


EXPOSURE_PROFILES = _schema("exposure_profiles", {
    "profile_id": integer(0, unique=True),
    "hometown": text(nullable=True, description="place id or name; blank when not shown"),
    "work": integer(0, nullable=True, description="organisation id; blank when not shown"),
    "friends": text(nullable=True, pattern=r"\d+( \d+)*",
                    what="friend list (user ids separated by spaces)",
                    description="user ids separated by spaces; blank when not shown"),
}, description="Exposure profiles as a table, one row per profile")
"""Exposure profiles as a table (e.g. a CSV given to the estimator), one row per profile."""

# ---------------------------------------------------------------------------
# result file contracts (shared/design.md, "File contracts")
# ---------------------------------------------------------------------------

_UNIT = dict(low=0.0, high=1.0)
_METRICS = {m: number(**_UNIT) for m in ("f1", "auc", "gmean", "accuracy")}


def _calibration(name: str) -> pa.DataFrameSchema:
    return _schema(name, {"quantity": text(), "published": number(nullable=True),
                          "simulated": number(nullable=True), "unit": text(nullable=True),
                          "within": boolean()})


RESULT_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "h2sea_calibration.csv": _calibration("h2sea_calibration.csv"),
    "h2sea_performance.csv": _schema("h2sea_performance.csv", {
        "task": text(), "method": text(), **_METRICS,
        **{f"{m}_std": number(0.0, nullable=True) for m in ("f1", "auc", "gmean", "accuracy")},
        "repeats": integer(1)}),
    "h2sea_feature_importance.csv": _schema("h2sea_feature_importance.csv", {
        "task": text(), "rank": integer(1), "feature": text(), **_METRICS}),
    "h2sea_city_village.csv": _schema("h2sea_city_village.csv", {
        "dataset": text(), "task": text(), "f1": number(**_UNIT),
        "change_ratio_pct": number(nullable=True)}),
    "housing_income_correlation.csv": _schema("housing_income_correlation.csv", {
        "scope": text(), "n": integer(0), "pearson_r": number(-1.0, 1.0, nullable=True),
        "ci_low": number(-1.0, 1.0, nullable=True), "ci_high": number(-1.0, 1.0, nullable=True),
        "p_value": number(**_UNIT, nullable=True)}),
    "pfli_calibration.csv": _calibration("pfli_calibration.csv"),
    "pfli_aed.csv": _schema("pfli_aed.csv", {
        "user_set": text(("with_la_friends", "overall"), what="user set"), "method": text(),
        "aed60": number(0.0, nullable=True), "aed80": number(0.0, nullable=True),
        "aed100": number(0.0, nullable=True), "n_users": integer(0)}),
    "pfli_acc_at_k.csv": _schema("pfli_acc_at_k.csv", {
        "user_set": text(("with_la_friends", "overall"), what="user set"), "method": text(),
        "k_km": number(gt=0.0), "acc": number(**_UNIT)}),
    "exposure_models.csv": _schema("exposure_models.csv", {
        "model": text(), "mae": number(0.0), "rmse": number(0.0)}),
    "exposure_cases.csv": _schema("exposure_cases.csv", {
        "user": integer(0), "category": text(EXPOSURE_CATEGORIES, what="user category"),
        "cluster_confidence": number(**_UNIT), "error_distance_km": number(0.0),
        "pct_friends_with_attributes": number(0.0, 100.0),
        "exposure_probability": number(**_UNIT), "risk_level": integer(1, 5)}),
    "claims.csv": _schema("claims.csv", {
        "paper": text(), "claim_id": text(), "section": text(nullable=True), "claim": text(),
        "scope": text(nullable=True), "verdict": text(), "effect": number(nullable=True),
        "ci_low": number(nullable=True), "ci_high": number(nullable=True),
        "n_worlds": integer(0), "chapter": text(nullable=True)}),
    "realdata_h2sea.csv": _schema("realdata_h2sea.csv", {
        "dataset": text(), "task": text(), "method": text(), **_METRICS,
        "f1_std": number(0.0, nullable=True), "repeats": integer(1)}),
    "realdata_correlation.csv": _schema("realdata_correlation.csv", {
        "dataset": text(), "level": text(), "n": integer(0),
        "pearson_r": number(-1.0, 1.0, nullable=True), "ci_low": number(-1.0, 1.0, nullable=True),
        "ci_high": number(-1.0, 1.0, nullable=True)}),
    "home_exposure.csv": _schema("home_exposure.csv", {
        "task": text(), "disclosure": text(), "exposure_probability": number(**_UNIT),
        "risk_level": integer(1, 5), "utility": number(nullable=True), "n": integer(0)}),
    "home_exposure_models.csv": _schema("home_exposure_models.csv", {
        "model": text(), "mae": number(0.0), "rmse": number(0.0)}),
}
"""Every result file contract of ``data/results`` (shared/design.md), by file name."""

RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(schema.columns) for name, schema in RESULT_SCHEMAS.items()
}
"""The contract's columns of each result file, in order (extra columns may follow)."""
