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

import numpy as np
import pandas as pd

from ..geo import STUDY_PROVINCES

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
]

YEARS = tuple(range(2012, 2018))
URBAN_TYPES = ("city_center", "city_border", "rural")
"""Urban types of Sec 3.5: city centre, city border, rural."""
AREA_FUNCTIONS = ("education", "business", "industry", "farming", "residential")

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

SCHEMAS: dict[str, dict[str, str]] = {
    "homes": {"person_id": "id", "lat": "lat", "lon": "lon", "province": "province",
              "city": "name", "county": "name", "town": "name", "street": "name",
              "zip_code": "zip", "urban_type": "urban_type"},
    "sale": {"lat": "lat", "lon": "lon", "price": "price", "city": "name"},
    "rent": {"lat": "lat", "lon": "lon", "price": "price", "city": "name"},
    "city_prices": {"city": "name", "avg_price": "price"},
    "county_income": {"city": "name", "county": "name", "year": "year", "income": "price"},
    "town_stats": {"city": "name", "county": "name", "town": "name", "year": "year",
                   "budget": "amount", "tax": "amount"},
    "pois": {"lat": "lat", "lon": "lon", "category": "poi"},
}
"""Column kinds of every source table (see :func:`validate_table`)."""


@dataclass(frozen=True)
class Sources:
    """The collected tables (schemas in :data:`SCHEMAS`) plus the area functions."""

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
# simulation
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# validation and loaders for real data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """A validated table and the rows dropped (``row, column, value, reason``)."""

    table: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        return int(self.dropped.row.nunique()) if len(self.dropped) else 0


def _problems(df: pd.DataFrame, col: str, kind: str) -> tuple[pd.Series, str]:
    """Boolean mask of bad values in ``col`` and the reason."""
    s = df[col]
    num = pd.to_numeric(s, errors="coerce")
    if kind == "lat":
        return ~num.between(-90, 90), "latitude outside [-90, 90] or not a number"
    if kind == "lon":
        return ~num.between(-180, 180), "longitude outside [-180, 180] or not a number"
    if kind == "price":
        return ~(num > 0) | ~np.isfinite(num), "not a positive number"
    if kind == "amount":
        return (s.notna() & ~(num >= 0)), "not a non-negative number"
    if kind == "year":
        return ~num.isin(YEARS), f"year not in {YEARS[0]}-{YEARS[-1]}"
    if kind == "province":
        return ~s.isin(list(STUDY_PROVINCES)), f"unknown province (known: {list(STUDY_PROVINCES)})"
    if kind == "urban_type":
        return ~s.isin(URBAN_TYPES), f"unknown urban type (known: {list(URBAN_TYPES)})"
    if kind == "poi":
        return ~s.isin(POI_CATEGORIES.code), "unknown POI category code"
    if kind == "zip":
        return ~s.astype(str).str.fullmatch(r"\d{6}"), "zip code is not 6 digits"
    if kind == "name":
        return s.isna() | (s.astype(str).str.strip() == ""), "empty name"
    if kind == "id":
        return s.isna() | s.duplicated(keep="first"), "missing or duplicate id"
    raise KeyError(f"unknown column kind {kind!r}")


def validate_table(df: pd.DataFrame, name: str, *, drop_invalid: bool = False) -> LoadReport:
    """Check ``df`` against ``SCHEMAS[name]``.

    Missing columns always raise. Bad values raise ``ValueError`` naming the
    table, column, row and value, unless ``drop_invalid`` is set: then the
    bad rows are removed and listed in the report (never dropped silently).

    >>> bad = pd.DataFrame({"lat": [30.0, 95.0], "lon": [120.0, 120.0],
    ...                     "price": [10000, 12000], "city": ["A", "A"]})
    >>> validate_table(bad, "sale")
    Traceback (most recent call last):
    ...
    ValueError: sale: column 'lat', row 1, value 95.0: latitude outside [-90, 90] or not a number
    >>> validate_table(bad, "sale", drop_invalid=True).n_dropped
    1
    """
    if name not in SCHEMAS:
        raise KeyError(f"unknown source table {name!r}; known: {list(SCHEMAS)}")
    spec = SCHEMAS[name]
    missing = [c for c in spec if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; got {list(df.columns)}")
    issues = []
    for col, kind in spec.items():
        bad, reason = _problems(df, col, kind)
        for i in np.flatnonzero(bad.to_numpy()):
            value = df[col].iloc[i]
            issues.append((df.index[i], col, value.item() if isinstance(value, np.generic)
                           else value, reason))
    dropped = pd.DataFrame(issues, columns=["row", "column", "value", "reason"])
    if issues and not drop_invalid:
        row, col, value, reason = issues[0]
        more = f" ({len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        raise ValueError(f"{name}: column {col!r}, row {row}, value {value!r}: {reason}{more}")
    out = df.drop(index=dropped.row.unique()).copy()
    for col, kind in spec.items():
        if kind in ("lat", "lon", "price", "amount"):
            out[col] = pd.to_numeric(out[col]).astype(float)
        elif kind == "year":
            out[col] = pd.to_numeric(out[col]).astype(int)
        elif kind == "zip":
            out[col] = out[col].astype(str)
    return LoadReport(table=out, dropped=dropped)


def load_table(source: str | Path | pd.DataFrame, name: str, *,
               drop_invalid: bool = False) -> LoadReport:
    """Read a CSV (or take a frame) and validate it as source table ``name``."""
    df = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(
        source, dtype={"zip_code": str})
    return validate_table(df, name, drop_invalid=drop_invalid)


def load_sources(folder: str | Path, *, drop_invalid: bool = False) -> tuple[Sources, pd.DataFrame]:
    """Load ``<name>.csv`` for every table of :data:`SCHEMAS` from ``folder``.

    Returns the sources and one frame of every dropped row (``table, row,
    column, value, reason``); the area functions are unknown for real data.
    """
    folder = Path(folder)
    tables, dropped = {}, []
    for name in SCHEMAS:
        rep = load_table(folder / f"{name}.csv", name, drop_invalid=drop_invalid)
        tables[name] = rep.table
        dropped.append(rep.dropped.assign(table=name))
    return (Sources(**tables, functions=pd.DataFrame()),
            pd.concat(dropped, ignore_index=True)[["table", "row", "column", "value", "reason"]])


