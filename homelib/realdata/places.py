"""Coordinates -> the nearest gazetteer place within a radius.

A *gazetteer* is any table of places with ``lat, lon`` (and optionally
``name, country, population, geonameid``); :func:`homelib.geo.world_cities`
(GeoNames cities of at least 15,000 people) is the default one. A point
farther than ``radius_km`` from every place gets ``-1``: it is never snapped
to a far-away city.

Examples
--------
>>> gz = pd.DataFrame({"name": ["Paris", "Lyon"], "lat": [48.857, 45.748], "lon": [2.352, 4.847]})
>>> nearest_places([48.80, 43.30], [2.13, 5.37], gz, radius_km=30).place.tolist()
[0, -1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..geo import SphereIndex, validate_coords, world_cities
from ..io import cached, require_columns

__all__ = [
    "gazetteer",
    "nearest_places",
    "places_table",
]


def gazetteer(min_population: int = 15000, merge_km: float = 5.0, section_km: float = 12.0,
              section_ratio: float = 5.0) -> pd.DataFrame:
    """The default gazetteer: GeoNames cities of at least ``min_population`` people.

    GeoNames lists sections of large cities as places of their own ("Paris 16
    Passy", "Brooklyn Heights"). Places are kept greedily, most populous
    first; a place is dropped when a kept place lies within ``merge_km``, or a
    kept place at least ``section_ratio`` times as populous lies within
    ``section_km`` (a section or suburb of it). A home then snaps to the city,
    as PFLI's city-level locations need, while distinct towns nearby stay
    (Versailles, 17 km from Paris). ``merge_km=0, section_km=0`` keeps every place.

    Parameters
    ----------
    min_population : int
        Smallest population kept (15,000 or more: the source's floor).
    merge_km : float
        A place within this distance of a kept, more populous place is dropped.
    section_km, section_ratio : float
        A place within ``section_km`` of a kept place ``section_ratio`` times as
        populous is dropped.

    Returns
    -------
    DataFrame
        ``geonameid, name, country, lat, lon, population`` (see
        :func:`homelib.geo.world_cities`), most populous first; cached in
        ``data/cache``.

    Examples
    --------
    >>> gz = gazetteer(100_000)
    >>> fr = gz[gz.country == "FR"].name.tolist()
    >>> "Paris" in fr, any(n.startswith("Paris 1") for n in fr)
    (True, False)
    >>> any(n.startswith("Paris 1") for n in gazetteer(100_000, merge_km=0, section_km=0).name)
    True
    """
    if int(min_population) != min_population or min_population < 15000:
        raise ValueError(f"min_population must be an integer >= 15000 (the gazetteer's floor); "
                         f"got {min_population!r}")
    for name, v in (("merge_km", merge_km), ("section_km", section_km)):
        if not v >= 0:
            raise ValueError(f"{name} must be >= 0; got {v}")
    if not section_ratio >= 1:
        raise ValueError(f"section_ratio must be >= 1; got {section_ratio}")
    key = {"min_population": int(min_population), "merge_km": float(merge_km),
           "section_km": float(section_km), "section_ratio": float(section_ratio)}
    return cached("gazetteer", key, lambda: _merged_cities(**key))


def _merged_cities(min_population: int, merge_km: float, section_km: float,
                   section_ratio: float) -> pd.DataFrame:
    cities = world_cities(min_population)
    cities = cities.sort_values(["population", "geonameid"], ascending=[False, True],
                                kind="stable").reset_index(drop=True)
    radius = max(merge_km, section_km)
    if radius == 0 or len(cities) < 2:
        return cities
    lat, lon = cities["lat"].to_numpy(), cities["lon"].to_numpy()
    pop = cities["population"].to_numpy(float)
    near, dist = SphereIndex.from_coords(lat, lon).query_radius(lat, lon, radius, return_distance=True)
    keep = np.ones(len(cities), dtype=bool)
    for i in range(len(cities)):  # most populous first: a kept place drops the smaller ones near it
        if keep[i]:
            nb, d = near[i], dist[i]
            drop = (nb > i) & ((d <= merge_km) | ((d <= section_km) & (pop[i] >= section_ratio * pop[nb])))
            keep[nb[drop]] = False
    return cities[keep].reset_index(drop=True)


def nearest_places(lat: ArrayLike, lon: ArrayLike, places: pd.DataFrame,
                   radius_km: float) -> pd.DataFrame:
    """The nearest place of ``places`` within ``radius_km`` of each point.

    Parameters
    ----------
    lat, lon : array_like
        Points, degrees. NaN marks a point without a location (e.g. a user
        without a home); it gets ``-1``.
    places : DataFrame
        The gazetteer, with ``lat, lon``.
    radius_km : float
        Largest accepted distance.

    Returns
    -------
    DataFrame
        One row per point: ``place`` (row position in ``places``, -1 if none
        within the radius or no location) and ``distance_km`` (to the nearest
        place, NaN without a location).

    Examples
    --------
    >>> gz = pd.DataFrame({"lat": [0.0, 0.0], "lon": [0.0, 1.0]})
    >>> nearest_places([0.0, np.nan], [0.8, np.nan], gz, 50).round(1).values.tolist()
    [[1.0, 22.2], [-1.0, nan]]
    """
    if not radius_km > 0:
        raise ValueError(f"radius_km must be positive; got {radius_km}")
    require_columns(places, ["lat", "lon"], "places")
    if len(places) == 0:
        raise ValueError("places: the gazetteer is empty")
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    if lat.shape != lon.shape:
        raise ValueError(f"lat and lon must have the same length; got {lat.shape} and {lon.shape}")
    if not np.array_equal(np.isnan(lat), np.isnan(lon)):
        raise ValueError("lat and lon must be missing (NaN) at the same points")
    has = ~np.isnan(lat)
    validate_coords(lat[has], lon[has], "points")
    idx = SphereIndex.from_coords(places["lat"], places["lon"], "places")
    place = np.full(lat.size, -1, dtype=np.int64)
    dist = np.full(lat.size, np.nan)
    if has.any():
        d, i = idx.query_nearest(lat[has], lon[has], k=1)
        dist[has] = d[:, 0]
        place[has] = np.where(d[:, 0] <= radius_km, i[:, 0], -1)
    return pd.DataFrame({"place": place, "distance_km": dist})


def places_table(places: pd.DataFrame, rows: ArrayLike) -> pd.DataFrame:
    """The places at ``rows`` of a gazetteer, in the PFLI world schema.

    Parameters
    ----------
    places : DataFrame
        The gazetteer (``lat, lon``; ``name, country, population`` kept when present).
    rows : array_like of int
        Row positions to keep (e.g. every place someone lives in), in the
        order wanted; duplicates are not allowed.

    Returns
    -------
    DataFrame
        ``place_id`` (0..N-1 in row order), ``name, country, lat, lon,
        population`` and ``gazetteer_row`` (the row in ``places``), plus
        ``geonameid`` when the gazetteer has it.

    Examples
    --------
    >>> gz = pd.DataFrame({"name": ["A", "B", "C"], "lat": [0.0, 1.0, 2.0], "lon": [0.0, 1.0, 2.0]})
    >>> places_table(gz, [2, 0])[["place_id", "name", "gazetteer_row"]].values.tolist()
    [[0, 'C', 2], [1, 'A', 0]]
    """
    rows = np.asarray(rows, dtype=np.int64).ravel()
    if ((rows < 0) | (rows >= len(places))).any():
        bad = rows[(rows < 0) | (rows >= len(places))][0]
        raise ValueError(f"rows: unknown gazetteer row {bad} (gazetteer has {len(places)} places)")
    if np.unique(rows).size != rows.size:
        raise ValueError("rows: duplicated gazetteer rows")
    src = places.iloc[rows].reset_index(drop=True)
    out = pd.DataFrame({"place_id": np.arange(rows.size)})
    for col, default in (("name", ""), ("country", ""), ("lat", None), ("lon", None), ("population", 0)):
        out[col] = src[col].to_numpy() if col in src else default
    out["gazetteer_row"] = rows
    if "geonameid" in src:
        out["geonameid"] = src["geonameid"].to_numpy()
    return out
