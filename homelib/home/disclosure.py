"""What an attacker can compute from a coarsened home disclosure.

H2SEA (Ding et al. 2021, Sec 3) enriches an *exact* home point with the
listings, statistics and POIs around it and with its address (names and zip
code). A person may disclose less: a 2 km grid cell, a town, a county or a
city, or the point without its address. :data:`LADDER` lists the disclosures;
:func:`disclosed_features` recomputes the feature table of
:func:`homelib.h2sea.features.build_features` from each one, as the attacker
would:

* **location**: the price features (``F_hp``, ``F_rp``, with the paper's 10 km
  nearest-listing and city-average fallbacks) and the POI shares (Eq 2) are
  computed around the disclosed point: the home itself, the centre of its
  grid cell, or the household-weighted centroid of the disclosed area (from a
  public gazetteer of villages and communities);
* **names**: a name, the zip code or the urban type that is not disclosed
  becomes the category :data:`HIDDEN`, which every H2SEA model treats as a
  category unseen in training; the statistics (county income, town budget
  and tax) of a unit whose name is hidden take the fallbacks of
  :func:`homelib.h2sea.features.statistics_features` (city average, city
  median, or the average over all areas), with their flags set.

The POI shares keep the reference shares ``OF_j`` of the exact homes
(:func:`poi_reference_shares`), so that a disclosure changes only ``of_j``.
The attacker does not reverse-geocode a point into names: hiding the names of
an exact point protects only against an attacker who does not.

Examples
--------
>>> [d.name for d in LADDER.values()]
['exact', 'no_names', 'grid_2km', 'town', 'county', 'city']
>>> LADDER["county"].names
('province', 'city', 'county')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .. import io
from ..geo import SphereIndex, haversine_km, validate_coords
from ..h2sea.features import (
    RADIUS_KM,
    categorical_features,
    price_features,
    statistics_features,
)
from ..h2sea.sources import POI_CATEGORIES, YEARS, Sources

__all__ = [
    "HIDDEN",
    "NAME_FIELDS",
    "Disclosure",
    "LADDER",
    "KM_PER_DEG_LAT",
    "grid_centres",
    "area_centroids",
    "disclosed_homes",
    "near_points",
    "poi_counts",
    "poi_reference_shares",
    "poi_share_features",
    "disclosed_features",
    "within_tolerance",
]

HIDDEN = "<hidden>"
"""The value of a name, zip code or urban type that is not disclosed."""

NAME_FIELDS: tuple[str, ...] = ("province", "city", "county", "town", "street", "zip_code",
                                "urban_type")
"""The address fields of a home (H2SEA Sec 3.5)."""

KM_PER_DEG_LAT = 111.2
"""Kilometres per degree of latitude (the grid's cell height)."""


@dataclass(frozen=True)
class Disclosure:
    """One way of disclosing a home.

    Attributes
    ----------
    name : str
        Short label (the ``disclosure`` column of ``home_exposure.csv``).
    location : {"point", "grid", "town", "county", "city"}
        Where the attacker computes prices and POIs: the home, the centre of
        its grid cell, or the centroid of the disclosed area.
    names : tuple of str
        The fields of :data:`NAME_FIELDS` the attacker learns.
    description : str
        One line for tables and captions.

    Examples
    --------
    >>> d = Disclosure("street", "point", ("province", "city", "street"), "the street only")
    >>> d.location, "town" in d.names
    ('point', False)
    >>> Disclosure("nearby", "1 km", (), "within a kilometre")
    Traceback (most recent call last):
    ...
    ValueError: Disclosure.location = '1 km' is not a known location
    """

    name: str
    location: str
    names: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        if self.location not in ("point", "grid", "town", "county", "city"):
            raise ValueError(f"Disclosure.location = {self.location!r} is not a known location")
        unknown = [n for n in self.names if n not in NAME_FIELDS]
        if unknown:
            raise ValueError(f"Disclosure.names: unknown field(s) {unknown}; allowed {NAME_FIELDS}")


LADDER: dict[str, Disclosure] = {
    d.name: d
    for d in (
        Disclosure("exact", "point", NAME_FIELDS,
                   "the home point with its full address (chapters 02-03)"),
        Disclosure("no_names", "point", (),
                   "the home point only: names, zip code and urban type hidden"),
        Disclosure("grid_2km", "grid", (), "the centre of the 2 km grid cell holding the home"),
        Disclosure("town", "town", ("province", "city", "county", "town", "zip_code", "urban_type"),
                   "the town (its zip code and urban type follow from it)"),
        Disclosure("county", "county", ("province", "city", "county"), "the county"),
        Disclosure("city", "city", ("province", "city"), "the city"),
    )
}
"""The disclosures of chapter 13, from the most to the least precise."""


def _example_sources() -> tuple[Sources, pd.DataFrame]:
    """A tiny collection and its gazetteer for the examples of this module.

    Three homes of city A: persons 1 and 2 in town t1 of county a1 (a city centre, 500 m
    apart), person 3 in town t2 of county a2 (rural, 24 km away); three sale listings
    (two near t1, one at t2), one rental, statistics for county a1 and town t1 only, four
    POIs (three around t1, one at t2). The gazetteer has two villages in t1 (100 and 300
    households) and one in t2.
    """
    homes = pd.DataFrame({
        "person_id": [1, 2, 3], "lat": [30.000, 30.004, 30.200], "lon": [120.000, 120.003, 120.100],
        "province": "Zhejiang", "city": "A", "county": ["a1", "a1", "a2"],
        "town": ["t1", "t1", "t2"], "street": ["s1", "s2", "s3"],
        "zip_code": ["310001", "310001", "310002"],
        "urban_type": ["city_center", "city_center", "rural"]})
    sale = pd.DataFrame({"lat": [30.001, 30.002, 30.201], "lon": [120.001, 120.0, 120.1],
                         "price": [10000.0, 20000.0, 8000.0], "city": "A"})
    rent = pd.DataFrame({"lat": [30.001], "lon": [120.001], "price": [40.0], "city": ["A"]})
    county_income = pd.DataFrame({"city": "A", "county": "a1", "year": list(YEARS),
                                  "income": 30000.0})
    town_stats = pd.DataFrame({"city": "A", "county": "a1", "town": "t1", "year": list(YEARS),
                               "budget": 50.0, "tax": 20.0})
    pois = pd.DataFrame({"lat": [30.0, 30.001, 30.003, 30.2],
                         "lon": [120.0, 120.001, 120.002, 120.1],
                         "category": ["food/bar", "food/bar", "hotel/star_hotel", "food/bar"]})
    sources = Sources(homes=homes, sale=sale, rent=rent,
                      city_prices=pd.DataFrame({"city": ["A"], "avg_price": [12000.0]}),
                      county_income=county_income, town_stats=town_stats, pois=pois,
                      functions=pd.DataFrame())
    gazetteer = pd.DataFrame({"province": "Zhejiang", "city": "A", "county": ["a1", "a1", "a2"],
                              "town": ["t1", "t1", "t2"], "lat": [30.0, 30.01, 30.2],
                              "lon": [120.0, 120.0, 120.1], "households": [100, 300, 50]})
    return sources, gazetteer

_AREA_KEYS = {"town": ["city", "county", "town"], "county": ["city", "county"], "city": ["city"]}


def grid_centres(lat: ArrayLike, lon: ArrayLike, cell_km: float = 2.0) -> tuple[NDArray, NDArray]:
    """Centre of the ``cell_km`` grid cell holding each point.

    Rows of the grid are ``cell_km / 111.2`` degrees of latitude high; within
    a row, cells are ``cell_km`` wide at the row's central latitude.

    Parameters
    ----------
    lat, lon : array of float
        Points in degrees.
    cell_km : float
        Side of a cell.

    Returns
    -------
    (ndarray, ndarray)
        Latitude and longitude of each point's cell centre.

    Examples
    --------
    Two points 2 km apart north-south fall in neighbouring cells:

    >>> la, lo = grid_centres([0.001, 0.019], [0.001, 0.001], 2.0)
    >>> [round(float(x), 5) for x in la], [round(float(x), 5) for x in lo]
    ([0.00899, 0.02698], [0.00899, 0.00899])
    """
    if not np.isfinite(cell_km) or cell_km <= 0:
        raise ValueError(f"cell_km = {cell_km!r} must be a positive number of km")
    la, lo = validate_coords(lat, lon, "homes")
    dlat = cell_km / KM_PER_DEG_LAT
    row = np.floor(la / dlat)
    clat = (row + 0.5) * dlat
    dlon = cell_km / (KM_PER_DEG_LAT * np.cos(np.radians(clat)))
    col = np.floor(lo / dlon)
    return clat, (col + 0.5) * dlon


def area_centroids(gazetteer: pd.DataFrame, level: str) -> pd.DataFrame:
    """Household-weighted centroid of every town, county or city of a gazetteer.

    Parameters
    ----------
    gazetteer : DataFrame
        One row per village or community: ``city, county, town, lat, lon,
        households`` (a public list of administrative places).
    level : {"town", "county", "city"}

    Returns
    -------
    DataFrame
        The key columns of the level (``city``; ``city, county``; or
        ``city, county, town``) and ``lat, lon``.

    Examples
    --------
    >>> g = pd.DataFrame({"city": ["A", "A", "B"], "county": ["a", "a", "b"],
    ...                   "town": ["t", "u", "v"], "lat": [0.0, 1.0, 5.0],
    ...                   "lon": [0.0, 0.0, 5.0], "households": [1, 3, 2]})
    >>> area_centroids(g, "city").round(2).to_dict("records")
    [{'city': 'A', 'lat': 0.75, 'lon': 0.0}, {'city': 'B', 'lat': 5.0, 'lon': 5.0}]
    """
    if level not in _AREA_KEYS:
        raise ValueError(f"level = {level!r} must be one of {list(_AREA_KEYS)}")
    keys = _AREA_KEYS[level]
    io.require_columns(gazetteer, [*keys, "lat", "lon", "households"], "gazetteer")
    w = pd.to_numeric(gazetteer["households"], errors="coerce").to_numpy(float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("gazetteer: households must be finite and non-negative")
    validate_coords(gazetteer["lat"], gazetteer["lon"], "gazetteer")
    w = np.where(w > 0, w, 1e-9)
    g = gazetteer[keys].copy()
    g["_w"], g["_la"], g["_lo"] = w, gazetteer["lat"].to_numpy(float) * w, gazetteer["lon"].to_numpy(float) * w
    s = g.groupby(keys, sort=True)[["_w", "_la", "_lo"]].sum()
    return pd.DataFrame({"lat": s["_la"] / s["_w"], "lon": s["_lo"] / s["_w"]}).reset_index()


def _points(homes: pd.DataFrame, gazetteer: pd.DataFrame | None, disclosure: Disclosure,
            cell_km: float) -> tuple[NDArray, NDArray]:
    lat, lon = homes["lat"].to_numpy(float), homes["lon"].to_numpy(float)
    if disclosure.location == "point":
        return lat, lon
    if disclosure.location == "grid":
        return grid_centres(lat, lon, cell_km)
    if gazetteer is None:
        raise ValueError(f"disclosure {disclosure.name!r} needs a gazetteer of areas")
    keys = _AREA_KEYS[disclosure.location]
    cen = area_centroids(gazetteer, disclosure.location).set_index(keys)
    idx = pd.MultiIndex.from_frame(homes[keys]) if len(keys) > 1 else pd.Index(homes[keys[0]])
    found = cen.reindex(idx)
    missing = found["lat"].isna().to_numpy()
    if missing.any():
        first = homes[keys].iloc[int(np.flatnonzero(missing)[0])].tolist()
        raise KeyError(f"gazetteer: no {disclosure.location} {first!r} "
                       f"({int(missing.sum())} home(s) without a centroid)")
    return found["lat"].to_numpy(float), found["lon"].to_numpy(float)


def disclosed_homes(homes: pd.DataFrame, disclosure: Disclosure,
                    gazetteer: pd.DataFrame | None = None, cell_km: float = 2.0) -> pd.DataFrame:
    """The homes table as the attacker sees it after ``disclosure``.

    A copy of ``homes`` whose ``lat, lon`` are the disclosed point and whose
    undisclosed address fields are :data:`HIDDEN`; ``location_error_km`` is the
    distance between the home and the disclosed point.

    Parameters
    ----------
    homes : DataFrame
        ``lat, lon`` and the address fields :data:`NAME_FIELDS` (other columns are kept).
    disclosure : Disclosure
    gazetteer : DataFrame, optional
        Villages and communities (see :func:`area_centroids`); needed for town,
        county and city disclosures.
    cell_km : float
        Grid cell size for ``location == "grid"``.

    Returns
    -------
    DataFrame
        A copy of ``homes`` as described, plus ``location_error_km``.

    Examples
    --------
    >>> sources, gazetteer = _example_sources()
    >>> d = disclosed_homes(sources.homes, LADDER["no_names"])
    >>> d[["city", "zip_code", "location_error_km"]].to_numpy().tolist()[0]
    ['<hidden>', '<hidden>', 0.0]

    Disclosing the town moves both homes of t1 to its household-weighted centroid:

    >>> d = disclosed_homes(sources.homes, LADDER["town"], gazetteer)
    >>> d[["town", "street", "lat"]].to_numpy().tolist()
    [['t1', '<hidden>', 30.0075], ['t1', '<hidden>', 30.0075], ['t2', '<hidden>', 30.2]]
    >>> d["location_error_km"].round(2).tolist()
    [0.83, 0.48, 0.0]
    >>> disclosed_homes(sources.homes, LADDER["town"])
    Traceback (most recent call last):
    ...
    ValueError: disclosure 'town' needs a gazetteer of areas
    """
    io.require_columns(homes, ["lat", "lon", *NAME_FIELDS], "homes")
    lat, lon = _points(homes, gazetteer, disclosure, cell_km)
    out = homes.copy()
    out["lat"], out["lon"] = lat, lon
    for f in NAME_FIELDS:
        if f not in disclosure.names:
            out[f] = HIDDEN
    out["location_error_km"] = haversine_km(homes["lat"].to_numpy(float),
                                            homes["lon"].to_numpy(float), lat, lon)
    return out


def near_points(lat: ArrayLike, lon: ArrayLike, query_lat: ArrayLike, query_lon: ArrayLike,
                radius_km: float = RADIUS_KM) -> NDArray[np.bool_]:
    """Which points may lie within ``radius_km`` of some query point (a grid prefilter).

    Points are binned into cells at least ``radius_km`` wide; a point is kept
    when its cell touches the cell of a query point. Every point within
    ``radius_km`` of a query is kept (some farther ones too), so a radius
    query on the kept points gives the same answer as on all of them, and an
    index of a few nearby POIs is built in a fraction of the time.

    Parameters
    ----------
    lat, lon : array of float
        The points to filter (e.g. POIs).
    query_lat, query_lon : array of float
        The query points (e.g. disclosed homes).
    radius_km : float
        The radius of the later queries.

    Returns
    -------
    ndarray of bool
        One flag per point: True where it may be within ``radius_km`` of a query.

    Examples
    --------
    >>> near_points([0.0, 0.01, 1.0], [0.0, 0.0, 1.0], [0.0], [0.0], 2.0).tolist()
    [True, True, False]
    """
    if not np.isfinite(radius_km) or radius_km <= 0:
        raise ValueError(f"radius_km = {radius_km!r} must be positive")
    la, lo = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "points")
    qla, qlo = validate_coords(np.atleast_1d(query_lat), np.atleast_1d(query_lon), "query")
    top = min(89.0, float(max(np.abs(la).max(initial=0), np.abs(qla).max(initial=0))) + 1.0)
    dlat = radius_km / KM_PER_DEG_LAT * 1.01
    dlon = dlat / np.cos(np.radians(top))
    width = int(np.ceil(360.0 / dlon)) + 3

    def key(a, b, di=0, dj=0):
        return (np.floor(a / dlat).astype(np.int64) + di) * width + (np.floor((b + 180.0) / dlon)
                                                                      .astype(np.int64) + dj)

    wanted = np.unique(np.concatenate([key(qla, qlo, di, dj) for di in (-1, 0, 1)
                                       for dj in (-1, 0, 1)]))
    return np.isin(key(la, lo), wanted)


def poi_counts(lat: ArrayLike, lon: ArrayLike, pois: pd.DataFrame,
               radius_km: float = RADIUS_KM, *, index: SphereIndex | None = None) -> NDArray:
    """Number of POIs of each of the 114 categories within ``radius_km`` of each point.

    Returns an ``(n_points, 114)`` float array, columns in the order of
    :data:`homelib.h2sea.sources.POI_CATEGORIES`. Points that coincide (all
    homes of a town share its centroid) are queried once; ``index`` is a
    :class:`homelib.geo.SphereIndex` of ``pois`` built once for many calls.

    Parameters
    ----------
    lat, lon : array of float
        The points (homes or disclosed points).
    pois : DataFrame
        ``lat, lon, category`` (a code of :data:`homelib.h2sea.sources.POI_CATEGORIES`).
    radius_km : float
        The radius around each point.
    index : SphereIndex, optional
        An index of ``pois`` (same rows).

    Returns
    -------
    ndarray
        ``(n_points, 114)`` counts.

    Examples
    --------
    >>> pois = pd.DataFrame({"lat": [0.0, 0.0, 1.0], "lon": [0.0, 0.0, 1.0],
    ...                      "category": ["food/bar", "food/bar", "food/bar"]})
    >>> int(poi_counts([0.0, 1.0], [0.0, 1.0], pois).sum(axis=1).tolist()[0])
    2
    """
    codes = POI_CATEGORIES["code"].to_numpy()
    cat = pd.Categorical(pois["category"], categories=codes)
    if (cat.codes < 0).any():
        raise KeyError(f"pois: unknown category code {pois['category'][cat.codes < 0].iloc[0]!r}")
    la, lo = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "points")
    uniq, inv = np.unique(np.column_stack([la, lo]), axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    counts = np.zeros((uniq.shape[0], codes.size))
    if len(pois):
        if index is None:
            index = SphereIndex.from_coords(pois["lat"].to_numpy(), pois["lon"].to_numpy(), "pois")
        elif len(index) != len(pois):
            raise ValueError(f"index has {len(index)} points for {len(pois)} POIs")
        ind = index.query_radius(uniq[:, 0], uniq[:, 1], radius_km)
        sizes = np.array([len(i) for i in ind])
        if sizes.sum():
            rows = np.repeat(np.arange(uniq.shape[0]), sizes)
            flat = np.concatenate([np.asarray(i, dtype=int) for i in ind])
            counts = np.bincount(rows * codes.size + cat.codes[flat],
                                 minlength=uniq.shape[0] * codes.size)
            counts = counts.reshape(uniq.shape[0], codes.size).astype(float)
    return counts[inv]


def poi_reference_shares(counts: ArrayLike) -> NDArray:
    """``OF_j`` of H2SEA Eq 2: each category's share of all POIs collected around the homes.

    Parameters
    ----------
    counts : array, shape (n_homes, n_categories)
        POI counts around the exact homes (:func:`poi_counts`).

    Returns
    -------
    ndarray
        One share per category (all 0 when there is no POI).

    Examples
    --------
    >>> poi_reference_shares([[3.0, 1.0], [0.0, 0.0]]).tolist()
    [0.75, 0.25]
    """
    c = np.asarray(counts, dtype=float)
    return c.sum(axis=0) / max(c.sum(), 1.0)


def poi_share_features(counts: ArrayLike, reference: ArrayLike) -> pd.DataFrame:
    """``of_j / OF_j`` (H2SEA Eq 2) with fixed reference shares, plus ``poi_count``.

    With the reference of the same points this is
    :func:`homelib.h2sea.features.poi_features` (a test checks it).

    Parameters
    ----------
    counts : array, shape (n_points, n_categories)
        POI counts around each point (:func:`poi_counts`).
    reference : array, shape (n_categories,)
        ``OF_j`` (:func:`poi_reference_shares`); a category with ``OF_j = 0`` gets 0.

    Returns
    -------
    DataFrame
        ``poi_<code>`` per category (``poi_<j>`` unless there are 114 categories)
        and ``poi_count``.

    Examples
    --------
    >>> f = poi_share_features([[3.0, 1.0], [0.0, 1.0]], [0.75, 0.25])
    >>> f.iloc[:, :2].round(3).to_numpy().tolist(), f["poi_count"].tolist()
    ([[1.0, 1.0], [0.0, 4.0]], [4.0, 1.0])
    """
    c = np.asarray(counts, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if c.ndim != 2 or ref.shape != (c.shape[1],):
        raise ValueError(f"counts {c.shape} and reference {ref.shape} do not match")
    total = c.sum(axis=1, keepdims=True)
    of = np.divide(c, total, out=np.zeros_like(c), where=total > 0)
    ratio = np.divide(of, ref, out=np.zeros_like(of), where=ref > 0)
    names = ([f"poi_{code}" for code in POI_CATEGORIES["code"]] if c.shape[1] == len(POI_CATEGORIES)
             else [f"poi_{j}" for j in range(c.shape[1])])
    out = pd.DataFrame(ratio, columns=names)
    out["poi_count"] = total[:, 0]
    return out


def _city_prices(sources: Sources) -> tuple[pd.Series, pd.Series]:
    """Sale and rent city averages as build_features uses them, plus the hidden city."""
    cp = sources.city_prices.set_index("city")["avg_price"].astype(float)
    if len(sources.rent):
        rent_city = sources.rent.groupby("city")["price"].mean().reindex(cp.index)
        rent_city = rent_city.fillna(sources.rent["price"].mean())
    else:
        rent_city = pd.Series(0.0, index=cp.index)
    cp = pd.concat([cp, pd.Series({HIDDEN: float(cp.mean())})])
    rent_city = pd.concat([rent_city, pd.Series({HIDDEN: float(rent_city.mean())})])
    return cp, rent_city


def disclosed_features(sources: Sources, disclosure: Disclosure, *,
                       gazetteer: pd.DataFrame | None = None, reference_shares: ArrayLike,
                       columns: Sequence[str] | None = None, cell_km: float = 2.0,
                       poi_index: SphereIndex | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The H2SEA feature table computed from ``disclosure`` of every home of ``sources``.

    Parameters
    ----------
    sources : Sources
        The collected tables (``homes`` holds the exact homes and addresses).
    disclosure : Disclosure
        One of :data:`LADDER` (or a custom one).
    gazetteer : DataFrame, optional
        Villages and communities (``city, county, town, lat, lon,
        households``); needed for town, county and city disclosures.
    reference_shares : array
        ``OF_j`` of the exact homes (:func:`poi_reference_shares`).
    columns : sequence of str, optional
        Column order of the result (e.g. the training table's columns).
    cell_km : float
        Grid cell size for ``location == "grid"``.
    poi_index : SphereIndex, optional
        An index of ``sources.pois`` (see :func:`poi_counts`).

    Returns
    -------
    (DataFrame, DataFrame)
        The feature table indexed by ``person_id`` (the columns of
        :func:`homelib.h2sea.features.build_features`, categorical fields as
        ``category``), and the disclosed homes (:func:`disclosed_homes`).

    Examples
    --------
    >>> sources, gazetteer = _example_sources()
    >>> homes = sources.homes
    >>> ref = poi_reference_shares(poi_counts(homes["lat"], homes["lon"], sources.pois))
    >>> X, seen = disclosed_features(sources, LADDER["exact"], reference_shares=ref)
    >>> X.index.tolist(), X[["hp_count", "hp_mean", "poi_count"]].to_numpy().tolist()
    ([1, 2, 3], [[2.0, 15000.0, 3.0], [2.0, 15000.0, 3.0], [1.0, 8000.0, 1.0]])

    From the city alone, every home sits at the city's centroid, with no listing or
    POI within 2 km: the sale price is the nearest listing's (the 10 km fallback):

    >>> X, seen = disclosed_features(sources, LADDER["city"], gazetteer=gazetteer,
    ...                              reference_shares=ref)
    >>> X[["hp_count", "hp_mean", "hp_fill_nearest", "poi_count"]].iloc[0].tolist()
    [0.0, 20000.0, 1.0, 0.0]
    >>> str(X["town"].iloc[0]), seen["location_error_km"].round(1).tolist()
    ('A/<hidden>/<hidden>', [3.4, 2.9, 20.9])
    """
    homes = sources.homes.reset_index(drop=True)
    seen = disclosed_homes(homes, disclosure, gazetteer, cell_km)
    lat, lon, city = seen["lat"].to_numpy(), seen["lon"].to_numpy(), seen["city"].to_numpy()
    cp, rent_city = _city_prices(sources)
    parts = [
        price_features(lat, lon, city, sources.sale, cp, "hp"),
        price_features(lat, lon, city, sources.rent, rent_city, "rp"),
        statistics_features(seen, sources.county_income, sources.town_stats).reset_index(drop=True),
        poi_share_features(poi_counts(lat, lon, sources.pois, index=poi_index),
                           reference_shares),
        categorical_features(seen).reset_index(drop=True),
    ]
    X = pd.concat(parts, axis=1)
    X.index = pd.Index(homes["person_id"].to_numpy(), name="person_id")
    if columns is not None:
        io.require_columns(X, list(columns), "disclosed features")
        X = X[list(columns)]
    seen.index = X.index
    return X, seen


def within_tolerance(exact: ArrayLike, disclosed: ArrayLike, tolerance: float = 0.1) -> NDArray:
    """Whether a statistic computed from the disclosure is within ``tolerance`` of the exact one.

    The tolerance is relative to the value at the exact home.

    Parameters
    ----------
    exact, disclosed : array of float
        The statistic at the exact homes and at the disclosed points (same shape).
    tolerance : float
        Largest relative difference counted as "within".

    Returns
    -------
    ndarray of bool
        ``|disclosed - exact| <= tolerance * |exact|`` per element.

    Examples
    --------
    >>> within_tolerance([100.0, 100.0, 100.0], [105.0, 111.0, 89.0], 0.1).tolist()
    [True, False, False]
    """
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance = {tolerance!r} must be a non-negative number")
    a, b = np.asarray(exact, dtype=float), np.asarray(disclosed, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"exact {a.shape} and disclosed {b.shape} differ in shape")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("within_tolerance: statistics must be finite")
    return np.abs(b - a) <= tolerance * np.abs(a) + 1e-12
