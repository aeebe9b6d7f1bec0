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


def gazetteer(min_population: int = 15000, merge_km: float = 5.0) -> pd.DataFrame:
    """The default gazetteer: GeoNames cities of at least ``min_population`` people.

    GeoNames lists sections of large cities as places of their own ("Paris 02
    Bourse", "Brooklyn Heights"); a place within ``merge_km`` of a more
    populous one is dropped (greedily, most populous first), so that a home
    snaps to the city, as PFLI's city-level locations need. ``merge_km=0``
    keeps every place.

    Returns
    -------
    DataFrame
        ``geonameid, name, country, lat, lon, population`` (see
        :func:`homelib.geo.world_cities`), most populous first; cached in
        ``data/cache``.

    Examples
    --------
    >>> gz = gazetteer(200_000)
    >>> fr = gz[gz.country == "FR"].name.tolist()
    >>> "Paris" in fr, any(n.startswith("Paris 1") for n in fr)
    (True, False)
    >>> any(n.startswith("Paris 1") for n in gazetteer(100_000, merge_km=0).name)
    True
    """
    if int(min_population) != min_population or min_population < 15000:
        raise ValueError(f"min_population must be an integer >= 15000 (the gazetteer's floor); "
                         f"got {min_population!r}")
    if not merge_km >= 0:
        raise ValueError(f"merge_km must be >= 0; got {merge_km}")
    return cached("gazetteer", {"min_population": int(min_population), "merge_km": float(merge_km)},
                  lambda: _merged_cities(int(min_population), float(merge_km)))


def _merged_cities(min_population: int, merge_km: float) -> pd.DataFrame:
    cities = world_cities(min_population)
    cities = cities.sort_values(["population", "geonameid"], ascending=[False, True],
                                kind="stable").reset_index(drop=True)
    if merge_km == 0 or len(cities) < 2:
        return cities
    near = SphereIndex.from_coords(cities["lat"], cities["lon"]).query_radius(
        cities["lat"], cities["lon"], merge_km)
    keep = np.ones(len(cities), dtype=bool)
    for i in range(len(cities)):  # most populous first: i is dropped if a kept, larger place is near
        if keep[i]:
            nb = near[i]
            keep[nb[nb > i]] = False
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
