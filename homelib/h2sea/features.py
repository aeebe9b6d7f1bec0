"""The H2SEA feature table: a home location enriched with what is around it (Sec 3).

Families (the paper's notation):

- ``F_hp`` / ``F_rp`` (Sec 3.1-3.2): count, mean, median, max, min and std of
  the sale / rent listing prices within 2 km of the home. Missing ones are
  filled from the nearest listing within 10 km (``*_fill_nearest`` = 1), else
  from the city average (``*_fill_city`` = 1); the count stays the true count.
- ``F_clai`` (Sec 3.3): county average income 2012-2017; an unpublished county
  takes its city's average over published counties (``county_income_fill_city``).
- ``F_tb`` / ``F_tit``: town budget and tax 2012-2017; unpublished towns take
  the median of published towns of the same city (``town_budget_missing``,
  ``town_tax_missing``; the paper does not say how it filled them).
- ``F_poi_dis`` (Eq 2): ``of_j / OF_j`` for the 114 POI categories within 2 km.
- Categorical (Sec 3.5): zip code, province, city, county, town and street
  names (qualified by their parents, so equal names in different places stay
  distinct), urban type.

No feature reads a person's own attributes or own home price: everything is
computed from the home location and the collected sources.

Examples
--------
>>> TASKS
('personal_income', 'family_income', 'education', 'occupation')
>>> stats_of_prices([[1.0, 3.0], []]).round(3).to_dict("records")[0]
{'count': 2.0, 'mean': 2.0, 'median': 2.0, 'max': 3.0, 'min': 1.0, 'std': 1.0}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .. import schemas
from ..geo import SphereIndex
from .sources import POI_CATEGORIES, YEARS, Sources, validate_table

__all__ = [
    "TASKS",
    "RADIUS_KM",
    "FALLBACK_KM",
    "CATEGORICAL",
    "H2SEADataset",
    "stats_of_prices",
    "price_features",
    "statistics_features",
    "poi_features",
    "categorical_features",
    "feature_families",
    "build_features",
    "feature_columns",
    "load_feature_table",
    "dataset_from_sources",
]

TASKS = ("personal_income", "family_income", "education", "occupation")
RADIUS_KM = 2.0
FALLBACK_KM = 10.0
CATEGORICAL = ("zip_code", "province", "city", "county", "town", "street", "urban_type")
_STATS = ("count", "mean", "median", "max", "min", "std")


@dataclass(frozen=True)
class H2SEADataset:
    """Features, labels and ground truth of the kept people, indexed by ``person_id``.

    ``X``: continuous float columns (no NaN) and categorical ``category`` columns;
    ``y``: the 4 TASKS as ``Int64`` (0 low, 1 middle, 2 high, ``<NA>`` no answer);
    ``schema``: ``column, family, kind, description`` per X column;
    ``families``: Table 4's feature families -> columns;
    ``meta``: ground truth never used as a feature (own home price, housing type, ...);
    ``fills``: how many homes each fallback rule served.

    Attributes
    ----------
    X : DataFrame
        Feature table (:func:`build_features`).
    y : DataFrame
        Labels of the 4 tasks.
    schema : DataFrame
        ``column, family, kind, description`` per ``X`` column.
    families : dict
        Table 4 family -> columns (:func:`feature_families`).
    meta : DataFrame
        Ground truth per person, never a feature.
    fills : DataFrame
        ``rule, homes, share`` of the fallback rules.

    Examples
    --------
    >>> import dataclasses
    >>> idx = pd.Index([7, 8], name="person_id")
    >>> X = pd.DataFrame({"hp_mean": [2e4, 3e4]}, index=idx)
    >>> y = pd.DataFrame({"education": pd.array([0, pd.NA], dtype="Int64")}, index=idx)
    >>> ds = H2SEADataset(X, y, pd.DataFrame(), feature_families(list(X.columns)),
    ...                   pd.DataFrame(index=idx), pd.DataFrame())
    >>> ds.families["Average housing price"], int(ds.y["education"].notna().sum())
    (['hp_mean'], 1)
    >>> ds.X = X  # frozen
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'X'
    """

    X: pd.DataFrame
    y: pd.DataFrame
    schema: pd.DataFrame
    families: dict
    meta: pd.DataFrame
    fills: pd.DataFrame


# ---------------------------------------------------------------------------
# feature families
# ---------------------------------------------------------------------------


def stats_of_prices(groups: list) -> pd.DataFrame:
    """count, mean, median, max, min, std (population sd) of each group of prices.

    Empty groups give count 0 and NaN elsewhere.

    Parameters
    ----------
    groups : list of array-like of float
        One group of prices per home.

    Returns
    -------
    DataFrame
        One row per group, columns ``count, mean, median, max, min, std``.

    Examples
    --------
    >>> stats_of_prices([[2.0], []]).to_numpy().tolist()[1][:2]
    [0.0, nan]
    """
    rows = []
    for g in groups:
        a = np.asarray(g, dtype=float)
        if a.size == 0:
            rows.append((0.0, np.nan, np.nan, np.nan, np.nan, np.nan))
        else:
            rows.append((float(a.size), a.mean(), float(np.median(a)), a.max(), a.min(), a.std()))
    return pd.DataFrame(rows, columns=list(_STATS))


def price_features(lat: ArrayLike, lon: ArrayLike, city: ArrayLike, listings: pd.DataFrame,
                   city_price: pd.Series, prefix: str, radius_km: float = RADIUS_KM,
                   fallback_km: float = FALLBACK_KM) -> pd.DataFrame:
    """``F_hp`` (or ``F_rp``) for each home, with the paper's two fallbacks.

    Parameters
    ----------
    lat, lon, city : array_like
        Homes and their city names.
    listings : DataFrame
        ``lat, lon, price``.
    city_price : Series
        City -> published average (the last fallback). A city absent from it
        raises ``KeyError`` when a home needs it.
    prefix : str
        ``"hp"`` or ``"rp"``.

    Examples
    --------
    >>> lst = pd.DataFrame({"lat": [0.0, 0.0, 0.05], "lon": [0.0, 0.01, 0.0],
    ...                     "price": [10.0, 20.0, 40.0]})
    >>> f = price_features([0.0, 0.05, 5.0], [0.0, 0.05, 5.0], ["A", "A", "A"], lst,
    ...                    pd.Series({"A": 99.0}), "hp")
    >>> f[["hp_count", "hp_mean", "hp_fill_nearest", "hp_fill_city"]].to_numpy().tolist()
    [[2.0, 15.0, 0.0, 0.0], [0.0, 40.0, 1.0, 0.0], [0.0, 99.0, 0.0, 1.0]]
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    city = np.asarray(city)
    price = listings.price.to_numpy(float)
    out = pd.DataFrame(index=np.arange(lat.size), columns=[f"{prefix}_{s}" for s in _STATS],
                       dtype=float)
    near = np.ones(lat.size, dtype=bool)
    if len(listings):
        idx = SphereIndex.from_coords(listings.lat.to_numpy(), listings.lon.to_numpy(), "listings")
        ind = idx.query_radius(lat, lon, radius_km)
        out[:] = stats_of_prices([price[np.asarray(i, dtype=int)] for i in ind]).to_numpy()
        dist, nn = idx.query_nearest(lat, lon, 1)
        near = dist[:, 0] <= fallback_km
        nn_price = price[nn[:, 0]]
    else:
        out[f"{prefix}_count"] = 0.0
    missing = out[f"{prefix}_count"].to_numpy() == 0
    fill_n = missing & near if len(listings) else np.zeros(lat.size, bool)
    fill_c = missing & ~fill_n
    for s in ("mean", "median", "max", "min"):
        col = f"{prefix}_{s}"
        if fill_n.any():
            out.loc[fill_n, col] = nn_price[fill_n]
    if fill_c.any():
        unknown = sorted({str(c) for c in city[fill_c]} - {str(c) for c in city_price.index})
        if unknown:
            raise KeyError(f"city_prices: no published average for city {unknown[0]!r} "
                           f"({len(unknown)} cities without one)")
        cp = city_price.reindex(city[fill_c]).to_numpy(float)
        for s in ("mean", "median", "max", "min"):
            out.loc[fill_c, f"{prefix}_{s}"] = cp
    out.loc[missing, f"{prefix}_std"] = 0.0
    out[f"{prefix}_fill_nearest"] = fill_n.astype(float)
    out[f"{prefix}_fill_city"] = fill_c.astype(float)
    return out


def _series_by_key(table: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    t = table.dropna(subset=[value])
    return t.pivot_table(index=keys, columns="year", values=value, aggfunc="mean").reindex(
        columns=list(YEARS))


def statistics_features(homes: pd.DataFrame, county_income: pd.DataFrame,
                        town_stats: pd.DataFrame) -> pd.DataFrame:
    """County income, town budget and town tax histories 2012-2017, with fallbacks.

    A county without income rows takes its city's mean (``county_income_fill_city``
    = 1), else the mean of all counties; a town without budget (tax) rows takes its
    city's median, else the overall median, else 0 (``town_budget_missing`` = 1).

    Parameters
    ----------
    homes : DataFrame
        ``city, county, town`` per home.
    county_income : DataFrame
        ``city, county, year, income`` (long format).
    town_stats : DataFrame
        ``city, county, town, year, budget, tax`` (long format, NaN = not published).

    Returns
    -------
    DataFrame
        Indexed like ``homes``: ``county_income_<year>``, ``county_income_fill_city``,
        ``town_budget_<year>``, ``town_budget_missing``, ``town_tax_<year>``,
        ``town_tax_missing``.

    Examples
    --------
    >>> homes = pd.DataFrame({"city": ["A", "A"], "county": ["a1", "a2"], "town": ["t", "u"]})
    >>> ci = pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS), "income": 100.0})
    >>> ts = pd.DataFrame({"city": "A", "county": "a1", "town": "t", "year": list(YEARS),
    ...                    "budget": 5.0, "tax": np.nan})
    >>> f = statistics_features(homes, ci, ts)
    >>> f[["county_income_2017", "county_income_fill_city", "town_budget_2017",
    ...    "town_budget_missing", "town_tax_missing"]].to_numpy().tolist()
    [[100.0, 0.0, 5.0, 0.0, 1.0], [100.0, 1.0, 5.0, 1.0, 1.0]]
    """
    out = pd.DataFrame(index=homes.index)
    ck = pd.MultiIndex.from_frame(homes[["city", "county"]])
    ci = _series_by_key(county_income, ["city", "county"], "income")
    own = ci.reindex(ck)
    city_avg = ci.groupby(level="city").mean().reindex(homes.city)
    all_avg = ci.mean()
    fill = own.isna().all(axis=1).to_numpy()
    vals = own.to_numpy()
    vals = np.where(np.isnan(vals), city_avg.to_numpy(), vals)
    vals = np.where(np.isnan(vals), all_avg.to_numpy()[None, :], vals)
    for j, y in enumerate(YEARS):
        out[f"county_income_{y}"] = vals[:, j]
    out["county_income_fill_city"] = fill.astype(float)

    tk = pd.MultiIndex.from_frame(homes[["city", "county", "town"]])
    for value in ("budget", "tax"):
        s = _series_by_key(town_stats, ["city", "county", "town"], value)
        own = s.reindex(tk)
        city_med = s.groupby(level="city").median().reindex(homes.city).to_numpy()
        all_med = s.median().to_numpy()
        miss = own.isna().all(axis=1).to_numpy()
        v = own.to_numpy()
        v = np.where(np.isnan(v), city_med, v)
        v = np.where(np.isnan(v), all_med[None, :], v)
        v = np.nan_to_num(v, nan=0.0)
        for j, y in enumerate(YEARS):
            out[f"town_{value}_{y}"] = v[:, j]
        out[f"town_{value}_missing"] = miss.astype(float)
    return out


def poi_features(lat: ArrayLike, lon: ArrayLike, pois: pd.DataFrame,
                 radius_km: float = RADIUS_KM) -> pd.DataFrame:
    """``F_poi_dis`` of Eq 2: ``of_j / OF_j`` for each of the 114 categories.

    ``of_j`` is the share of category ``j`` among the POIs within
    ``radius_km`` of the home, ``OF_j`` its share among all POIs collected
    around all homes (a POI near two homes is collected twice). In the
    example, 3 bars and 1 university are collected: ``OF`` = 3/4 and 1/4. A home without POIs gets 0 everywhere and
    ``poi_count`` 0.

    Parameters
    ----------
    lat, lon : array-like of float
        Homes.
    pois : DataFrame
        ``lat, lon, category`` (codes of ``POI_CATEGORIES``; an unknown code raises
        ``KeyError``).
    radius_km : float
        Radius around a home.

    Returns
    -------
    DataFrame
        ``poi_<code>`` per category and ``poi_count``, one row per home.

    Examples
    --------
    >>> pois = pd.DataFrame({"lat": [0.0, 0.0, 0.0, 1.0], "lon": [0.0, 0.0, 0.0, 1.0],
    ...     "category": ["food/bar", "food/bar", "education/university", "food/bar"]})
    >>> f = poi_features([0.0, 1.0], [0.0, 1.0], pois)
    >>> f[["poi_food/bar", "poi_education/university", "poi_count"]].round(3).to_numpy().tolist()
    [[0.889, 1.333, 3.0], [1.333, 0.0, 1.0]]
    """
    codes = POI_CATEGORIES.code.to_numpy()
    cat = pd.Categorical(pois.category, categories=codes)
    if (cat.codes < 0).any():
        bad = pois.category[cat.codes < 0].iloc[0]
        raise KeyError(f"pois: unknown category code {bad!r}")
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    counts = np.zeros((lat.size, codes.size))
    if len(pois):
        idx = SphereIndex.from_coords(pois.lat.to_numpy(), pois.lon.to_numpy(), "pois")
        ind = idx.query_radius(lat, lon, radius_km)
        rows = np.repeat(np.arange(lat.size), [len(i) for i in ind])
        flat = (np.concatenate([np.asarray(i, dtype=int) for i in ind]) if rows.size
                else np.array([], int))
        counts = np.bincount(rows * codes.size + cat.codes[flat],
                             minlength=lat.size * codes.size).reshape(lat.size, codes.size)
        counts = counts.astype(float)
    total = counts.sum(axis=1, keepdims=True)
    of = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    OF = counts.sum(axis=0) / max(counts.sum(), 1.0)
    ratio = np.divide(of, OF, out=np.zeros_like(of), where=OF > 0)
    out = pd.DataFrame(ratio, columns=[f"poi_{c}" for c in codes])
    out["poi_count"] = total[:, 0]
    return out


def categorical_features(homes: pd.DataFrame) -> pd.DataFrame:
    """Zip code, names (qualified by their parents) and urban type as ``category`` columns.

    Parameters
    ----------
    homes : DataFrame
        ``zip_code, province, city, county, town, street, urban_type``.

    Returns
    -------
    DataFrame
        The 7 columns of ``CATEGORICAL``, indexed like ``homes``.

    Examples
    --------
    >>> h = pd.DataFrame({"zip_code": ["100001"], "province": ["Hebei"], "city": ["c"],
    ...                   "county": ["k"], "town": ["t"], "street": ["s"],
    ...                   "urban_type": ["rural"]})
    >>> categorical_features(h).town.tolist()
    ['c/k/t']
    """
    out = pd.DataFrame(index=homes.index)
    out["zip_code"] = homes.zip_code.astype(str)
    out["province"] = homes.province
    out["city"] = homes.city
    out["county"] = homes.city + "/" + homes.county
    out["town"] = out.county + "/" + homes.town
    out["street"] = out.town + "/" + homes.street
    out["urban_type"] = homes.urban_type
    return out.astype("category")


def feature_families(columns: list[str]) -> dict[str, list[str]]:
    """Table 4's families (the paper's labels) -> feature columns.

    Parameters
    ----------
    columns : list of str
        Columns of a feature table.

    Returns
    -------
    dict
        Family label -> the columns of ``columns`` in it (prefix match for the
        multi-column families; "Housing price" includes ``hp_mean``, which is also
        "Average housing price" alone).

    Examples
    --------
    >>> fam = feature_families(["hp_mean", "hp_count", "rp_mean", "city", "poi_food/bar"])
    >>> fam["Housing price"], fam["Average housing price"], fam["POI"], fam["Town tax"]
    (['hp_mean', 'hp_count'], ['hp_mean'], ['poi_food/bar'], [])
    """
    col = list(columns)

    def pick(p):
        return [c for c in col if c.startswith(p)]

    return {
        "County-income": pick("county_income_"),
        "POI": pick("poi_"),
        "City-name": ["city"], "Province-name": ["province"], "County-name": ["county"],
        "Town-name": ["town"], "Street-name": ["street"], "Zip-code": ["zip_code"],
        "Urban type": ["urban_type"],
        "Average housing price": ["hp_mean"],
        "Housing price": pick("hp_"), "Renting price": pick("rp_"),
        "Town budget": pick("town_budget_"), "Town tax": pick("town_tax_"),
    }


def _schema(X: pd.DataFrame) -> pd.DataFrame:
    desc = {
        "count": "number of listings within 2 km", "mean": "mean price", "median": "median price",
        "max": "max price", "min": "min price", "std": "price std (population)",
        "fill_nearest": "1 = filled from the nearest listing within 10 km",
        "fill_city": "1 = filled from the city average",
    }
    rows = []
    for c in X.columns:
        if c in CATEGORICAL:
            rows.append((c, c, "categorical", f"{c} (Sec 3.5)"))
        elif c.startswith(("hp_", "rp_")):
            what = "sale price yuan/m2" if c.startswith("hp_") else "rent yuan/m2/month"
            rows.append((c, "F_" + c[:2], "continuous", f"{desc[c[3:]]} ({what})"))
        elif c.startswith("county_income"):
            rows.append((c, "F_clai", "continuous", "county average income, yuan/year "
                         + ("(1 = city fallback)" if c.endswith("city") else c[-4:])))
        elif c.startswith("town_"):
            fam = "F_tb" if "budget" in c else "F_tit"
            rows.append((c, fam, "continuous", f"town {c.split('_')[1]} (10k yuan) "
                         + ("(1 = not published)" if c.endswith("missing") else c[-4:])))
        elif c.startswith("poi_"):
            rows.append((c, "F_poi_dis", "continuous",
                         "POIs within 2 km" if c == "poi_count" else f"of_j/OF_j of {c[4:]}"))
        else:
            raise KeyError(f"no schema entry for feature column {c!r}")
    return pd.DataFrame(rows, columns=["column", "family", "kind", "description"])


def build_features(sources: Sources) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The feature table ``X`` (indexed by ``person_id``) and the fallback counts.

    Works on simulated and on loaded real sources alike (the homes table is
    validated first).

    Parameters
    ----------
    sources : Sources
        The collected tables.

    Returns
    -------
    X : DataFrame
        Price, statistics, POI and categorical features, indexed by ``person_id``.
    fills : DataFrame
        ``rule, homes, share``: how many homes each fallback / missing flag served.

    Examples
    --------
    Two homes in city ``A``: the first has two sale listings within 2 km (mean
    25,000), the second (about 21 km away) none within 10 km, so it takes the
    city average 15,000.

    >>> from homelib.h2sea.sources import Sources
    >>> homes = pd.DataFrame({"person_id": [7, 8], "lat": [30.25, 30.40],
    ...                       "lon": [120.15, 120.30], "province": "Zhejiang", "city": "A",
    ...                       "county": "a1", "town": "t", "street": "s",
    ...                       "zip_code": "310000", "urban_type": "city_center"})
    >>> sale = pd.DataFrame({"lat": [30.25, 30.251], "lon": [120.15, 120.151],
    ...                      "price": [20000.0, 30000.0], "city": "A"})
    >>> rent = pd.DataFrame({"lat": [30.25], "lon": [120.15], "price": [50.0], "city": "A"})
    >>> ci = pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS), "income": 100.0})
    >>> ts = pd.DataFrame({"city": "A", "county": "a1", "town": "t", "year": list(YEARS),
    ...                    "budget": 5.0, "tax": 1.0})
    >>> pois = pd.DataFrame({"lat": [30.25], "lon": [120.15], "category": ["food/bar"]})
    >>> src = Sources(homes, sale, rent, pd.DataFrame({"city": ["A"], "avg_price": [15000.0]}),
    ...               ci, ts, pois, pd.DataFrame())
    >>> X, fills = build_features(src)
    >>> X.index.tolist(), X["hp_mean"].tolist(), X["hp_fill_city"].tolist()
    ([7, 8], [25000.0, 15000.0], [0.0, 1.0])
    >>> fills.set_index("rule").loc["hp_fill_city", "homes"].item()
    1
    """
    homes = validate_table(sources.homes, "homes").table.reset_index(drop=True)
    cp = sources.city_prices.set_index("city").avg_price
    rent_city = sources.rent.groupby("city").price.mean() if len(sources.rent) else pd.Series(dtype=float)
    rent_city = rent_city.reindex(cp.index).fillna(sources.rent.price.mean()
                                                   if len(sources.rent) else 0.0)
    lat, lon, city = homes.lat.to_numpy(), homes.lon.to_numpy(), homes.city.to_numpy()
    parts = [
        price_features(lat, lon, city, sources.sale, cp, "hp"),
        price_features(lat, lon, city, sources.rent, rent_city, "rp"),
        statistics_features(homes, sources.county_income, sources.town_stats).reset_index(drop=True),
        poi_features(lat, lon, sources.pois),
        categorical_features(homes).reset_index(drop=True),
    ]
    X = pd.concat(parts, axis=1)
    X.index = pd.Index(homes.person_id.to_numpy(), name="person_id")
    flags = [c for c in X.columns if c.endswith(("fill_nearest", "fill_city", "_missing"))]
    fills = pd.DataFrame({"rule": flags, "homes": [int(X[c].sum()) for c in flags],
                          "share": [float(X[c].mean()) for c in flags]})
    return X, fills


# ---------------------------------------------------------------------------
# the dataset the models use
# ---------------------------------------------------------------------------


def feature_columns() -> list[str]:
    """The columns of the feature table, in order (the schema a real table must follow).

    Examples
    --------
    >>> cols = feature_columns()
    >>> len(cols), cols[0], cols[-1]
    (159, 'hp_count', 'urban_type')
    """
    price = [f"{p}_{s}" for p in ("hp", "rp") for s in (*_STATS, "fill_nearest", "fill_city")]
    stats = [f"county_income_{y}" for y in YEARS] + ["county_income_fill_city"]
    for v in ("budget", "tax"):
        stats += [f"town_{v}_{y}" for y in YEARS] + [f"town_{v}_missing"]
    poi = [f"poi_{c}" for c in POI_CATEGORIES.code] + ["poi_count"]
    return price + stats + poi + list(CATEGORICAL)


def load_feature_table(source, *, drop_invalid: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a real feature table (CSV or frame with a ``person_id`` column) and validate it.

    The schema is :func:`homelib.schemas.feature_table_schema` over
    :func:`feature_columns`: every column must be there; continuous columns
    must be finite numbers, flags 0 or 1, ``province`` and ``urban_type``
    known codes, ``zip_code`` 6 digits and ``person_id`` a unique integer.
    Every problem is collected; a bad value raises
    :class:`homelib.schemas.TableError` (a ``ValueError``) naming the column,
    row and value, unless ``drop_invalid``: then the bad rows are dropped and
    returned in the second frame (``row, column, value, reason``).

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV file (read as text: 0-byte and ragged files get a clear error)
        or a frame.
    drop_invalid : bool
        Drop and report bad rows instead of raising.

    Returns
    -------
    (DataFrame, DataFrame)
        ``X`` indexed by ``person_id`` (continuous columns float, categorical
        columns ``category``) and the dropped cells.

    Examples
    --------
    >>> X = pd.DataFrame({c: [0.0] for c in feature_columns()}).assign(person_id=[7])
    >>> X[list(CATEGORICAL)] = ["100001", "Hebei", "c", "k", "t", "s", "rural"]
    >>> load_feature_table(X)[0].shape
    (1, 159)
    >>> load_feature_table(X.assign(hp_mean="cheap"))
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: features: column 'hp_mean', row 0, value 'cheap': not a number
    """
    flags = [c for c in feature_columns() if c.endswith(("fill_nearest", "fill_city", "_missing"))]
    cont = [c for c in feature_columns() if c not in CATEGORICAL and c not in flags]
    schema = schemas.feature_table_schema(cont, flags)
    if isinstance(source, pd.DataFrame):
        rep = schemas.validate(source, schema, what="features", drop_invalid=drop_invalid)
    else:
        rep = schemas.validate(schemas.read_csv(source), schema, what=Path(source).name,
                               drop_invalid=drop_invalid, line_offset=2)
    X = rep.table.set_index("person_id")[feature_columns()].copy()
    X.index.name = "person_id"
    X[list(CATEGORICAL)] = X[list(CATEGORICAL)].astype("category")
    return X, rep.dropped




def dataset_from_sources(sources: Sources) -> H2SEADataset:
    """The feature table of collected sources alone, as an :class:`H2SEADataset` without labels.

    For sources that come without a survey (a folder read by
    :func:`homelib.h2sea.sources.load_sources`): ``X``, ``schema``, ``families``
    and ``fills`` are those of :func:`build_features`; ``y`` has no columns
    (the sources hold no attributes) and ``meta`` holds only what the homes
    table and the features say: ``province, city, county, town, urban_type,
    is_city`` (not rural), ``has_sale_price_2km``, ``has_rent_price_2km``,
    ``lat, lon``. No ground truth (latent positions, exact income, own home
    price) is invented.

    Parameters
    ----------
    sources : Sources
        The collected tables.

    Returns
    -------
    H2SEADataset
        Indexed by ``person_id`` in the order of the homes table.

    Examples
    --------
    >>> homes = pd.DataFrame({"person_id": [7, 8], "lat": [30.25, 30.40],
    ...                       "lon": [120.15, 120.30], "province": "Zhejiang", "city": "A",
    ...                       "county": "a1", "town": "t", "street": "s",
    ...                       "zip_code": "310000", "urban_type": ["city_center", "rural"]})
    >>> sale = pd.DataFrame({"lat": [30.25], "lon": [120.15], "price": [2e4], "city": "A"})
    >>> ci = pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS), "income": 100.0})
    >>> ts = pd.DataFrame({"city": "A", "county": "a1", "town": "t", "year": list(YEARS),
    ...                    "budget": 5.0, "tax": 1.0})
    >>> pois = pd.DataFrame({"lat": [30.25], "lon": [120.15], "category": ["food/bar"]})
    >>> ds = dataset_from_sources(Sources(homes, sale, sale.assign(price=50.0),
    ...     pd.DataFrame({"city": ["A"], "avg_price": [15000.0]}), ci, ts, pois, pd.DataFrame()))
    >>> ds.X.shape, ds.y.shape, ds.meta.has_sale_price_2km.tolist(), ds.meta.is_city.tolist()
    ((2, 159), (2, 0), [True, False], [True, False])
    """
    X, fills = build_features(sources)
    homes = validate_table(sources.homes, "homes").table.set_index("person_id").reindex(X.index)
    meta = pd.DataFrame({
        "province": homes.province, "city": homes.city, "county": homes.county,
        "town": homes.town, "urban_type": homes.urban_type,
        "is_city": homes.urban_type != "rural",
        "has_sale_price_2km": X.hp_count > 0, "has_rent_price_2km": X.rp_count > 0,
        "lat": homes.lat, "lon": homes.lon,
    }, index=X.index)
    return H2SEADataset(X=X, y=pd.DataFrame(index=X.index), schema=_schema(X),
                        families=feature_families(list(X.columns)), meta=meta, fills=fills)
