"""What "collection" returns around the survey homes, simulated or real (H2SEA Sec 3).

Six tables, each with a fixed schema (:data:`SCHEMAS`), whether they come from
the simulated world (:func:`simulate_sources`) or from real files (the
``load_*`` functions, which validate and never drop a row silently):

- ``homes``: ``person_id, lat, lon, province, city, county, town, street,
  zip_code, urban_type`` (the estimated home and its names, Sec 3.5);
- ``sale`` / ``rent``: listings ``lat, lon, price, city`` (yuan/m2 for sale,
  yuan/m2/month for rent; Lianjia-like, Sec 3.1-3.2);
- ``city_prices``: published city average price ``city, avg_price``;
- ``county_income``: published county average income, long format
  ``city, county, year, income`` (2012-2017; missing counties have no rows);
- ``town_stats``: published town ``budget`` / ``tax``, long format
  ``city, county, town, year, budget, tax`` (NaN = not published);
- ``pois``: ``lat, lon, category`` (one of the 114 second-level codes of
  :data:`POI_CATEGORIES`, Sec 3.4).

The simulated markets are dense in cities and sparse in villages; statistics
have gaps and one-off shocks; the POI mix follows each neighbourhood's
function (education, business, industry, farming, residential), which is tied
to its residents' latent position.

Examples
--------
>>> len(POI_CATEGORIES), POI_CATEGORIES.group.nunique()
(114, 21)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .. import schemas
from ..paths import atomic_write_text
from ..schemas import SOURCE_SCHEMAS, Validated, read_csv, validate

__all__ = [
    "YEARS",
    "URBAN_TYPES",
    "AREA_FUNCTIONS",
    "POI_CATEGORIES",
    "SCHEMAS",
    "Sources",
    "LoadReport",
    "validate_table",
    "load_table",
    "load_sources",
    "write_sources",
]

YEARS = schemas.YEARS
"""Years of the published statistics (H2SEA Sec 3.3)."""
URBAN_TYPES = schemas.URBAN_TYPES
"""Urban types of Sec 3.5: city centre, city border, rural."""
POI_CATEGORIES = schemas.POI_CATEGORIES
"""The 114 second-level POI categories (``code = group/name``) in 21 first-level groups."""
AREA_FUNCTIONS = ("education", "business", "industry", "farming", "residential")
"""Area functions of a neighbourhood, signalled by its POI mix (simulation)."""

SCHEMAS: dict[str, pa.DataFrameSchema] = SOURCE_SCHEMAS
"""The pandera schema of every source table (:data:`homelib.schemas.SOURCE_SCHEMAS`)."""

LoadReport = Validated
"""A validated table and the rows dropped (``row, column, value, reason``)."""


@dataclass(frozen=True)
class Sources:
    """The collected tables (schemas in :data:`SCHEMAS`) plus the area functions.

    Attributes
    ----------
    homes : pandas.DataFrame
        One row per person: estimated home and its address.
    sale, rent : pandas.DataFrame
        Listings (``lat, lon, price, city``): yuan/m2, and yuan/m2 per month.
    city_prices : pandas.DataFrame
        Published average sale price of each city.
    county_income : pandas.DataFrame
        Published county income per year.
    town_stats : pandas.DataFrame
        Published town budget and tax per year (gaps as NaN).
    pois : pandas.DataFrame
        POIs (``lat, lon, category``).
    functions : pandas.DataFrame
        Area-function scores per village (simulation only).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame()
    >>> s = Sources(*[empty] * 8)
    >>> s.pois is empty
    True
    """

    homes: pd.DataFrame
    sale: pd.DataFrame
    rent: pd.DataFrame
    city_prices: pd.DataFrame
    county_income: pd.DataFrame
    town_stats: pd.DataFrame
    pois: pd.DataFrame
    functions: pd.DataFrame
    """Per village of the world: the five area-function scores (simulation only)."""


# ---------------------------------------------------------------------------
# validation and loaders for real data (on the pandera schemas of homelib.schemas)
# ---------------------------------------------------------------------------


def validate_table(df: pd.DataFrame, name: str, *, drop_invalid: bool = False,
                   line_offset: int | None = None) -> LoadReport:
    """Check ``df`` against the pandera schema ``SCHEMAS[name]``.

    Every problem of every row is collected. Missing columns always raise.
    Bad values raise :class:`homelib.schemas.TableError` (a ``ValueError``)
    naming the table, column, row and value of each, unless ``drop_invalid``
    is set: then the bad rows are removed and listed in the report (never
    dropped silently).

    Parameters
    ----------
    df : DataFrame
        The table; it is not modified.
    name : str
        One of :data:`SCHEMAS`.
    drop_invalid : bool
        Drop and report bad rows instead of raising.
    line_offset : int, optional
        For a table read from a CSV file: row ``i`` is on line ``i + line_offset``.

    Returns
    -------
    LoadReport
        The table in canonical dtypes and the dropped rows.

    Raises
    ------
    KeyError
        Unknown table name.
    homelib.schemas.TableError
        Missing columns, or bad values without ``drop_invalid``.

    Examples
    --------
    >>> bad = pd.DataFrame({"lat": [30.0, 95.0], "lon": [120.0, 120.0],
    ...                     "price": [10000, 12000], "city": ["A", "A"]})
    >>> validate_table(bad, "sale")
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: sale: column 'lat', row 1, value 95.0: not a finite number in [-90, 90]
    >>> validate_table(bad, "sale", drop_invalid=True).n_dropped
    1
    """
    if name not in SCHEMAS:
        raise KeyError(f"unknown source table {name!r}; known: {list(SCHEMAS)}")
    return validate(df, SCHEMAS[name], what=name, drop_invalid=drop_invalid,
                    line_offset=line_offset)


def load_table(source: str | Path | pd.DataFrame, name: str, *,
               drop_invalid: bool = False) -> LoadReport:
    """Read a CSV (or take a frame) and validate it as source table ``name``.

    A CSV is read as text (:func:`homelib.schemas.read_csv`): a 0-byte file,
    a ragged row or bytes that are not UTF-8 get a clear error, and messages
    give the line of each bad row.

    Parameters
    ----------
    source : str, Path or DataFrame
    name : str
        One of :data:`SCHEMAS`.
    drop_invalid : bool
        Drop and report bad rows instead of raising.

    Returns
    -------
    LoadReport

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "city_prices.csv"
    >>> _ = path.write_text("city,avg_price\\nA,9000\\nB,-3\\n")
    >>> load_table(path, "city_prices")
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: city_prices.csv: column 'avg_price', row 1 (line 3), value '-3': not a finite number > 0
    """
    if isinstance(source, pd.DataFrame):
        return validate_table(source, name, drop_invalid=drop_invalid)
    path = Path(source)
    df = read_csv(path)
    return validate(df, SCHEMAS[name], what=path.name, drop_invalid=drop_invalid, line_offset=2)


def load_sources(folder: str | Path, *, drop_invalid: bool = False) -> tuple[Sources, pd.DataFrame]:
    """Load ``<name>.csv`` for every table of :data:`SCHEMAS` from ``folder``.

    Parameters
    ----------
    folder : str or Path
    drop_invalid : bool
        Drop and report bad rows instead of raising.

    Returns
    -------
    (Sources, DataFrame)
        The sources (the area functions are unknown for real data) and one
        frame of every dropped row (``table, row, column, value, reason``).

    Raises
    ------
    FileNotFoundError
        Naming every missing file.

    Examples
    --------
    >>> load_sources("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent: missing homes.csv, sale.csv, rent.csv, city_prices.csv, county_income.csv, town_stats.csv, pois.csv
    """
    folder = Path(folder)
    missing = [f"{name}.csv" for name in SCHEMAS if not (folder / f"{name}.csv").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(missing)}")
    tables, dropped = {}, []
    for name in SCHEMAS:
        rep = load_table(folder / f"{name}.csv", name, drop_invalid=drop_invalid)
        tables[name] = rep.table
        dropped.append(rep.dropped.assign(table=name))
    return (Sources(**tables, functions=pd.DataFrame()),
            pd.concat(dropped, ignore_index=True)[["table", "row", "column", "value", "reason"]])


def write_sources(sources: Sources, folder: str | Path) -> Path:
    """Write every table of :data:`SCHEMAS` to ``folder/<name>.csv`` (the layout of :func:`load_sources`).

    Each table is validated first (a bad table raises and writes nothing of
    itself), then written atomically with pandas' CSV writer: floats keep their
    shortest round-trip form, a missing town budget or tax is a blank cell.
    The area functions (simulation only) are not written. ``folder`` is
    created if needed; existing files of the same names are replaced.

    Parameters
    ----------
    sources : Sources
        The collected tables (simulated or loaded).
    folder : str or Path
        Where to write them.

    Returns
    -------
    Path
        ``folder``, so that ``load_sources(write_sources(s, d))`` reads them back.

    Raises
    ------
    homelib.schemas.TableError
        A table breaks its schema (naming the table, column, row and value).

    Examples
    --------
    >>> import tempfile
    >>> homes = pd.DataFrame({"person_id": [7], "lat": [30.25], "lon": [120.15],
    ...                       "province": ["Zhejiang"], "city": ["A"], "county": ["a1"],
    ...                       "town": ["t"], "street": ["s"], "zip_code": ["310000"],
    ...                       "urban_type": ["city_center"]})
    >>> listing = pd.DataFrame({"lat": [30.25], "lon": [120.15], "price": [20000.0], "city": ["A"]})
    >>> src = Sources(homes, listing, listing.assign(price=50.0),
    ...               pd.DataFrame({"city": ["A"], "avg_price": [15000.0]}),
    ...               pd.DataFrame({"city": ["A"], "county": ["a1"], "year": [2015], "income": [9e4]}),
    ...               pd.DataFrame({"city": ["A"], "county": ["a1"], "town": ["t"], "year": [2015],
    ...                             "budget": [5.0], "tax": [float("nan")]}),
    ...               pd.DataFrame({"lat": [30.25], "lon": [120.15], "category": ["food/bar"]}),
    ...               pd.DataFrame())
    >>> back, dropped = load_sources(write_sources(src, tempfile.mkdtemp()))
    >>> back.homes.zip_code.tolist(), back.town_stats.tax.isna().tolist(), len(dropped)
    (['310000'], [True], 0)
    """
    folder = Path(folder)
    checked = {name: validate_table(getattr(sources, name), name).table for name in SCHEMAS}
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in checked.items():
        atomic_write_text(folder / f"{name}.csv", table[list(SCHEMAS[name].columns)].to_csv(index=False))
    return folder
