"""Your own profile, checked privately against the current-city exposure estimator.

A profile file (YAML, UTF-8) says what a person shows while hiding the
current city, and what they want::

    hometown: Lyon              # a city name, "Name, CC", or null (not shown)
    work: Paris                 # the city of your work or education, or null
    friends: [Paris, Paris, Lyon, "Villeurbanne, FR"]   # where your friends live
    # friends_csv: friends.csv  # instead of friends: a CSV, columns city[, hometown, work]
    k_km: 100                   # the error distance K that matters to you
    target_level: 2             # the risk level (1-5, PFLI Table 3) you want to reach

:func:`read_profile` parses it strictly: UTF-8 only, no duplicate keys, no
unknown keys, every required field present, the right types, finite numbers,
and every city name found in the gazetteer (:mod:`homelib.home.places`); a
bad profile raises :class:`ProfileError` naming the field. An empty friend
list is allowed and means that no friend list is shown (an empty list shows
nothing, as in PFLI Sec 8.1).

:func:`check_profile` scores the profile with an
:class:`homelib.exposure.estimator.ExposureEstimator` fitted on a simulated
world: each city maps to the nearest place of the world; the work city to a
local organisation of that place; every friend becomes a user of the world
who shows the friend's city (an LA friend, PFLI Eq 2) and, if given, hometown
and work; the person becomes a new user who hides the current city. The
estimator then gives the exposure probability EP@K, the risk level and the
smallest hiding of HT, WE, F that reaches the target (PFLI Sec 8.2.2-8.3).
Nothing is written anywhere: the check works on copies in memory.

Examples
--------
>>> p = validate_profile({"hometown": None, "work": None, "friends": [], "k_km": 50,
...                       "target_level": 1})
>>> p.friends, p.k_km
((), 50.0)
>>> validate_profile({"hometown": None, "work": None, "friends": [], "k_km": 50})
Traceback (most recent call last):
...
homelib.home.profile.ProfileError: profile: missing field 'target_level'
"""

from __future__ import annotations

import csv
import io as _io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

from ..exposure import features as exp_features
from ..exposure.estimator import ExposureEstimator, ExposureReport, exposure_report
from ..exposure.models import ExposureModel, fit_exposure_model
from ..exposure.risk import RISK_LEVELS, risk_band
from .places import CityResolver, nearest_places

__all__ = [
    "PROFILE_FIELDS",
    "FRIEND_FIELDS",
    "ProfileError",
    "Friend",
    "Profile",
    "load_yaml_strict",
    "read_profile",
    "validate_profile",
    "read_friends_csv",
    "ResolvedProfile",
    "resolve_profile",
    "profile_world",
    "fit_profile_model",
    "world_estimator",
    "ProfileCheck",
    "check_profile",
]

PROFILE_FIELDS: tuple[str, ...] = ("hometown", "work", "friends", "friends_csv", "k_km",
                                   "target_level")
"""The keys a profile may have (exactly one of ``friends`` and ``friends_csv``)."""

FRIEND_FIELDS: tuple[str, ...] = ("city", "hometown", "work")
"""What a friend entry may give: the friend's city, hometown and work city."""

_REQUIRED = ("hometown", "work", "k_km", "target_level")
_MAX_K_KM = 20_000.0  # half the Earth's circumference
_MAX_FRIENDS = 5_000


def _example_resolver() -> CityResolver:
    """A four-city gazetteer for the examples of this module.

    Paris (France; also a small Paris in the United States), Lyon and London, with the
    alternate names Lutetia, Lugdunum and Londres. With
    :func:`homelib.exposure.simulated.example_estimator`, Paris maps to the world's
    Sannois (15 km away), London to Tooting (10 km) and Lyon, which has no place nearby,
    to Marne La Vallée (381 km).
    """
    gazetteer = pd.DataFrame({
        "geonameid": [2988507, 4717560, 2996944, 2643743],
        "name": ["Paris", "Paris", "Lyon", "London"], "country": ["FR", "US", "FR", "GB"],
        "lat": [48.853, 33.661, 45.748, 51.509], "lon": [2.349, -95.556, 4.847, -0.126],
        "population": [2_138_551, 24_171, 472_317, 8_961_989],
        "alternatenames": [("Lutetia",), (), ("Lugdunum",), ("Londres",)]})
    return CityResolver(gazetteer)


class ProfileError(ValueError):
    """A profile (or its friends CSV) is malformed; the message names the field.

    A ``ValueError``, so callers that catch bad input in general catch it too.

    Examples
    --------
    >>> try:
    ...     validate_profile({"hometown": None})
    ... except ValueError as exc:
    ...     print(type(exc).__name__, exc)
    ProfileError profile: missing field 'work'
    """


@dataclass(frozen=True)
class Friend:
    """One friend: the city where they live (None if they hide it), hometown and work city.

    Attributes
    ----------
    city : str or None
        Where the friend lives, as shown (None: the friend hides it).
    hometown, work : str or None
        The friend's hometown and work city, if shown.

    Examples
    --------
    >>> Friend("Paris")
    Friend(city='Paris', hometown=None, work=None)
    >>> validate_profile({"hometown": None, "work": None, "k_km": 50, "target_level": 1,
    ...                   "friends": [{"city": None, "hometown": "Lyon"}]}).friends
    (Friend(city=None, hometown='Lyon', work=None),)
    """

    city: str | None
    hometown: str | None = None
    work: str | None = None


@dataclass(frozen=True)
class Profile:
    """A validated profile (names not resolved yet).

    Attributes
    ----------
    hometown, work : str or None
        City names as given (None: not shown).
    friends : tuple of Friend or None
        None when no friend list is shown, else a tuple of :class:`Friend` (an
        empty tuple is shown as no list).
    k_km : float
        The error distance K that matters to the person.
    target_level : int
        The risk level (1-5) to reach.

    Examples
    --------
    >>> validate_profile({"hometown": "Lyon", "work": None, "friends": ["Paris"],
    ...                   "k_km": 100, "target_level": 2})  # doctest: +NORMALIZE_WHITESPACE
    Profile(hometown='Lyon', work=None, friends=(Friend(city='Paris', hometown=None, work=None),),
            k_km=100.0, target_level=2)
    """

    hometown: str | None
    work: str | None
    friends: tuple[Friend, ...] | None
    k_km: float
    target_level: int


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys."""


def _mapping_no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ProfileError(f"profile: duplicate key {key!r} (lines {seen[key] + 1} and "
                               f"{key_node.start_mark.line + 1})")
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates)


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{what}: not UTF-8 text (byte {data[exc.start]:#04x} at position "
                           f"{exc.start}); save the file as UTF-8") from None


def load_yaml_strict(text: str, what: str = "profile") -> Any:
    """Parse YAML text, refusing duplicate keys (a :class:`ProfileError` naming the key).

    Parameters
    ----------
    text : str
        The YAML document.
    what : str
        How to name the document in error messages.

    Returns
    -------
    object
        The parsed document (a dict for a profile).

    Raises
    ------
    ProfileError
        A duplicate key, or text that is not valid YAML (with its line and column).

    Examples
    --------
    >>> load_yaml_strict("a: 1\\nb: 2")
    {'a': 1, 'b': 2}
    >>> load_yaml_strict("a: 1\\na: 2")
    Traceback (most recent call last):
    ...
    homelib.home.profile.ProfileError: profile: duplicate key 'a' (lines 1 and 2)
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ProfileError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProfileError(f"{what}: not valid YAML{where}: {problem}") from None


def read_profile(path: str | Path) -> Profile:
    """Read and validate a profile file (see the module docstring).

    A ``friends_csv`` path is read relative to the profile's folder.

    Parameters
    ----------
    path : str or Path
        The profile file (YAML, UTF-8).

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        No such file, not UTF-8, not valid YAML, or a malformed profile
        (:func:`validate_profile`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d, "me.yml")
    ...     _ = path.write_text("hometown: Lyon\\nwork: null\\nfriends: [Paris, London]\\n"
    ...                         "k_km: 100\\ntarget_level: 2\\n", encoding="utf-8")
    ...     [f.city for f in read_profile(path).friends]
    ['Paris', 'London']
    >>> read_profile("no/such/profile.yml")
    Traceback (most recent call last):
    ...
    homelib.home.profile.ProfileError: profile: no such file 'no/such/profile.yml'
    """
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"profile: no such file {str(path)!r}")
    raw = load_yaml_strict(_decode(path.read_bytes(), "profile"))
    return validate_profile(raw, base_dir=path.parent)


def _name(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        raise ProfileError(f"profile[{field!r}] is NaN; write a city name or null")
    if not isinstance(value, str):
        raise ProfileError(f"profile[{field!r}] = {value!r} has type {type(value).__name__}; "
                           "expected a city name (text) or null")
    if not value.strip():
        raise ProfileError(f"profile[{field!r}] is an empty name; write a city name or null")
    return value.strip()


def _number(value: Any, field: str, *, integer: bool, low: float, high: float) -> float | int:
    kinds = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            integer and not isinstance(value, int)):
        raise ProfileError(f"profile[{field!r}] = {value!r} has type {type(value).__name__}; "
                           f"expected {kinds}")
    if not math.isfinite(value):
        raise ProfileError(f"profile[{field!r}] = {value!r} is not a finite number")
    if not low <= value <= high:
        raise ProfileError(f"profile[{field!r}] = {value!r} is outside [{low:g}, {high:g}]")
    return int(value) if integer else float(value)


def _friend(item: Any, where: str) -> Friend:
    if isinstance(item, str):
        return Friend(city=_name(item, where))
    if item is None:
        _null_friend(where)
    if isinstance(item, Mapping):
        unknown = sorted(str(k) for k in set(item) - set(FRIEND_FIELDS))
        if unknown:
            raise ProfileError(f"profile[{where!r}]: unknown key(s) {unknown}; allowed "
                               f"{list(FRIEND_FIELDS)}")
        f = Friend(*(_name(item.get(k), f"{where}.{k}") for k in FRIEND_FIELDS))
        if f == Friend(None):
            _null_friend(where)
        return f
    raise ProfileError(f"profile[{where!r}] = {item!r} has type {type(item).__name__}; expected "
                       "a city name or a mapping with city, hometown, work")


def _null_friend(where: str) -> None:
    raise ProfileError(f"profile[{where!r}] gives nothing; a friend needs a city, hometown or work")


def validate_profile(raw: Any, base_dir: str | Path | None = None) -> Profile:
    """Check a profile given as data (the parsed YAML) and return a :class:`Profile`.

    Parameters
    ----------
    raw : mapping
        The fields of :data:`PROFILE_FIELDS`: ``hometown``, ``work``, ``k_km``,
        ``target_level`` and exactly one of ``friends`` / ``friends_csv``.
    base_dir : str or Path, optional
        Folder a relative ``friends_csv`` path is read from.

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        Not a mapping, unknown or missing keys, both or neither of
        ``friends`` / ``friends_csv``, wrong types, NaN or out-of-range numbers,
        empty names, malformed friend entries or CSV.

    Examples
    --------
    >>> p = validate_profile({"hometown": " Lyon ", "work": None, "friends": None,
    ...                       "k_km": 25, "target_level": 3})
    >>> p.hometown, p.friends, p.k_km
    ('Lyon', None, 25.0)
    >>> validate_profile({"hometown": None, "work": None, "friends": [], "k_km": 0,
    ...                   "target_level": 3})
    Traceback (most recent call last):
    ...
    homelib.home.profile.ProfileError: profile['k_km'] = 0 is outside [0.001, 20000]
    """
    if not isinstance(raw, Mapping):
        raise ProfileError(f"profile: expected a mapping of fields {list(PROFILE_FIELDS)}; "
                           f"got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in PROFILE_FIELDS)
    if unknown:
        raise ProfileError(f"profile: unknown field(s) {unknown}; allowed {list(PROFILE_FIELDS)}")
    for key in _REQUIRED:
        if key not in raw:
            raise ProfileError(f"profile: missing field {key!r}")
    has_list, has_csv = "friends" in raw, "friends_csv" in raw
    if has_list == has_csv:
        raise ProfileError("profile: give exactly one of 'friends' (a list, [] or null) and "
                           "'friends_csv' (a path)" + ("; both are given" if has_list else
                                                      "; missing field 'friends'"))
    friends: tuple[Friend, ...] | None
    if has_csv:
        p = raw["friends_csv"]
        if not isinstance(p, str) or not p.strip():
            raise ProfileError(f"profile['friends_csv'] = {p!r}: expected a file path (text)")
        path = Path(p)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        friends = read_friends_csv(path)
    else:
        items = raw["friends"]
        if items is None:
            friends = None
        elif isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
            raise ProfileError(f"profile['friends'] = {items!r} has type {type(items).__name__}; "
                               "expected a list of cities, [] or null")
        else:
            if len(items) > _MAX_FRIENDS:
                raise ProfileError(f"profile['friends'] has {len(items)} entries; at most "
                                   f"{_MAX_FRIENDS}")
            friends = tuple(_friend(x, f"friends[{i}]") for i, x in enumerate(items))
    return Profile(
        hometown=_name(raw["hometown"], "hometown"),
        work=_name(raw["work"], "work"),
        friends=friends,
        k_km=_number(raw["k_km"], "k_km", integer=False, low=0.001, high=_MAX_K_KM),
        target_level=_number(raw["target_level"], "target_level", integer=True,
                             low=min(RISK_LEVELS), high=max(RISK_LEVELS)),
    )


def read_friends_csv(path: str | Path) -> tuple[Friend, ...]:
    """Friends from a CSV file, one per row; an empty cell is "not shown".

    The header has ``city`` and optionally ``hometown`` and ``work``; blank lines are
    skipped.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8).

    Returns
    -------
    tuple of Friend

    Raises
    ------
    ProfileError
        No such file, not UTF-8, an unknown, missing or repeated column, a row with
        the wrong number of fields, a row that gives nothing, too many friends.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d, "f.csv")
    ...     _ = path.write_text("city,hometown\\nParis,\\nLyon,Lille\\n", encoding="utf-8")
    ...     friends = read_friends_csv(path)
    >>> [f.city for f in friends], friends[1].hometown
    (['Paris', 'Lyon'], 'Lille')
    """
    path = Path(path)
    what = f"profile['friends_csv'] ({path.name})"
    if not path.is_file():
        raise ProfileError(f"{what}: no such file {str(path)!r}")
    text = _decode(path.read_bytes(), what)
    rows = list(csv.reader(_io.StringIO(text)))
    if not rows:
        raise ProfileError(f"{what}: the file is empty; it needs a header line with 'city'")
    header = [h.strip() for h in rows[0]]
    unknown = sorted(set(header) - set(FRIEND_FIELDS))
    if unknown:
        raise ProfileError(f"{what}: unknown column(s) {unknown}; allowed {list(FRIEND_FIELDS)}")
    if "city" not in header:
        raise ProfileError(f"{what}: missing column 'city'")
    if len(set(header)) != len(header):
        raise ProfileError(f"{what}: a column appears twice in {header}")
    friends = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ProfileError(f"{what}: line {line} has {len(row)} fields; the header has "
                               f"{len(header)}")
        cells = {h: (c.strip() or None) for h, c in zip(header, row, strict=True)}
        friends.append(_friend(cells, f"friends_csv line {line}"))
    if len(friends) > _MAX_FRIENDS:
        raise ProfileError(f"{what}: {len(friends)} friends; at most {_MAX_FRIENDS}")
    return tuple(friends)


@dataclass(frozen=True)
class ResolvedProfile:
    """A profile whose city names are found in the gazetteer.

    Attributes
    ----------
    profile : Profile
    places : DataFrame
        One row per name (``field, given, city, country, geonameid, lat, lon,
        population, alternatives``); ``field`` is ``hometown``, ``work`` or
        ``friends[i].city`` etc.

    Examples
    --------
    >>> p = validate_profile({"hometown": "Lugdunum", "work": None, "friends": None,
    ...                       "k_km": 50, "target_level": 2})
    >>> r = resolve_profile(p, _example_resolver())
    >>> r.profile is p, r.places[["field", "given", "city"]].to_numpy().tolist()
    (True, [['hometown', 'Lugdunum', 'Lyon']])
    """

    profile: Profile
    places: pd.DataFrame


def resolve_profile(profile: Profile, resolver: CityResolver) -> ResolvedProfile:
    """Find every city name of ``profile`` in the gazetteer (ProfileError naming the field).

    Parameters
    ----------
    profile : Profile
    resolver : CityResolver
        The gazetteer (:class:`homelib.home.places.CityResolver`).

    Returns
    -------
    ResolvedProfile

    Examples
    --------
    >>> p = validate_profile({"hometown": "Lyon", "work": "Paris",
    ...                       "friends": ["Londres", {"city": "Paris, US"}],
    ...                       "k_km": 100, "target_level": 2})
    >>> r = resolve_profile(p, _example_resolver())
    >>> r.places[["field", "city", "country", "alternatives"]].to_numpy().tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['hometown', 'Lyon', 'FR', 0], ['work', 'Paris', 'FR', 1],
     ['friends[0].city', 'London', 'GB', 0], ['friends[1].city', 'Paris', 'US', 0]]
    >>> resolve_profile(validate_profile({"hometown": "Atlantis", "work": None,
    ...     "friends": None, "k_km": 50, "target_level": 2}), _example_resolver())
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    homelib.home.profile.ProfileError: ...'Atlantis'...
    """
    named: list[tuple[str, str]] = []
    if profile.hometown is not None:
        named.append(("hometown", profile.hometown))
    if profile.work is not None:
        named.append(("work", profile.work))
    for i, f in enumerate(profile.friends or ()):
        for k in FRIEND_FIELDS:
            v = getattr(f, k)
            if v is not None:
                named.append((f"friends[{i}].{k}", v))
    rows, memo = [], {}
    for field, text in named:
        if text not in memo:
            try:
                memo[text] = resolver.resolve(text, field)
            except (TypeError, ValueError) as exc:
                raise ProfileError(str(exc)) from None
        r = memo[text]
        rows.append({"field": field, "given": text, "city": r["name"], "country": r["country"],
                     "geonameid": int(r["geonameid"]), "lat": float(r["lat"]),
                     "lon": float(r["lon"]), "population": int(r["population"]),
                     "alternatives": int(r["alternatives"])})
    cols = ["field", "given", "city", "country", "geonameid", "lat", "lon", "population",
            "alternatives"]
    return ResolvedProfile(profile, pd.DataFrame(rows, columns=cols))


def _local_orgs(world: Any) -> pd.DataFrame:
    """Local (one-site) organisations: ``org_id, place, la_members``.

    A social world folder's ``orgs.csv`` has no sites: there a local organisation's place is
    the current city most of its LA members show (ties: the smaller place id), and a local
    organisation without LA members has no place and cannot stand for a work city.
    """
    orgs = world.orgs
    local = orgs[(orgs["kind"] == "local") & (orgs["n_sites"] == 1)]
    u = world.users
    la = u.loc[u["current_visible"].to_numpy(bool) & (u["work"].to_numpy() >= 0), "work"]
    if any(len(s) == 0 for s in local["sites"]):
        shown = u.loc[la.index]
        modal = (shown.groupby(["work", "current_place"]).size().rename("n").reset_index()
                 .sort_values(["work", "n", "current_place"], ascending=[True, False, True])
                 .drop_duplicates("work").set_index("work")["current_place"])
        sites = [tuple(s) if len(s) else ((int(modal[o]),) if o in modal.index else ())
                 for o, s in zip(local["org_id"], local["sites"], strict=True)]
        local = local.assign(sites=sites)
        local = local[[len(x) > 0 for x in sites]]
    place = np.array([int(s[0]) for s in local["sites"]], dtype=np.int64)
    members = la.value_counts().reindex(local["org_id"].to_numpy(), fill_value=0).to_numpy()
    return pd.DataFrame({"org_id": local["org_id"].to_numpy(np.int64), "place": place,
                         "la_members": members})


def _work_org(world: Any, place: int, local: pd.DataFrame) -> tuple[int, int]:
    """The local organisation of ``place`` (else of the nearest place that has one).

    Among several, the one with the most LA members. Returns ``(org_id, its place)``.
    """
    if local.empty:
        raise ProfileError("profile['work']: the world has no local organisation to stand for it")
    here = local[local["place"] == place]
    if here.empty:
        pl = world.places
        cand = local["place"].unique()
        from_lat, from_lon = pl["lat"].to_numpy()[place], pl["lon"].to_numpy()[place]
        i, _ = nearest_places(pl.iloc[cand], [from_lat], [from_lon])
        here = local[local["place"] == cand[int(i[0])]]
    best = here.sort_values(["la_members", "org_id"], ascending=[False, True]).iloc[0]
    return int(best["org_id"]), int(best["place"])


def profile_world(estimator: ExposureEstimator, resolved: ResolvedProfile
                  ) -> tuple[ExposureEstimator, dict[str, Any], pd.DataFrame]:
    """A copy of the estimator's world with the profile's friends as new users.

    Every friend becomes a user who shows the given fields (city = an LA user
    whom PFLI treats as known, Eq 2; hometown; work as a local organisation);
    the PFLI model is extended to know these users' cities and values, exactly
    as if they had been in the world when it was fitted (its matrices are not
    refitted). Returns the new estimator, the profile as
    :func:`homelib.exposure.estimator.exposure_report` takes it (place and
    organisation ids, friend user ids) and the places table with the world
    place each name maps to (``world_place, world_place_name, distance_km``).

    Parameters
    ----------
    estimator : ExposureEstimator
        Its world and PFLI model are copied, never changed.
    resolved : ResolvedProfile

    Returns
    -------
    (ExposureEstimator, dict, DataFrame)
        As described above.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> est = example_estimator()
    >>> p = validate_profile({"hometown": "Lyon", "work": "Paris", "friends": ["Paris", "London"],
    ...                       "k_km": 100, "target_level": 2})
    >>> grown, user, places = profile_world(est, resolve_profile(p, _example_resolver()))
    >>> grown.world.n_users - est.world.n_users, user["friends"]
    (2, [300, 301])
    >>> places[["field", "world_place_name"]].to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['hometown', 'Marne La Vallée'], ['work', 'Sannois'], ['friends[0].city', 'Sannois'],
     ['friends[1].city', 'Tooting']]
    """
    world, model = estimator.world, estimator.pfli_model
    pl = resolved.places.copy()
    if len(pl):
        idx, dist = nearest_places(world.places, pl["lat"], pl["lon"], pl["geonameid"])
    else:
        idx, dist = np.zeros(0, np.int64), np.zeros(0)
    pl["world_place"] = idx
    pl["world_place_name"] = world.places["name"].to_numpy()[idx] if len(pl) else []
    pl["distance_km"] = dist
    place_of = dict(zip(pl["field"], pl["world_place"], strict=True))
    local = _local_orgs(world)
    org_of: dict[str, int] = {}
    for field in pl["field"]:
        if field == "work" or field.endswith(".work"):
            org, org_place = _work_org(world, int(place_of[field]), local)
            org_of[field] = org
            if org_place != place_of[field]:
                k = pl.index[pl["field"] == field][0]
                pl.loc[k, "note"] = (f"no local organisation at {pl.loc[k, 'world_place_name']}; "
                                     f"using one at {world.places['name'].iloc[org_place]}")
    if "note" not in pl:
        pl["note"] = ""
    pl["note"] = pl["note"].fillna("")
    prof = resolved.profile
    friends = prof.friends or ()
    n = len(world.users)
    rows = []
    for i, f in enumerate(friends):
        city = int(place_of[f"friends[{i}].city"]) if f.city is not None else -1
        ht = int(place_of[f"friends[{i}].hometown"]) if f.hometown is not None else -1
        we = org_of.get(f"friends[{i}].work", -1)
        rows.append({"user_id": n + i, "current_place": city, "hometown": ht, "work": we,
                     "current_visible": city >= 0, "hometown_visible": ht >= 0,
                     "work_visible": we >= 0, "friends_visible": False})
    users = world.users
    if rows:
        add = pd.DataFrame(rows)
        for c in users.columns:
            if c not in add:
                add[c] = users[c].iloc[0]
        users = pd.concat([users, add[users.columns]], ignore_index=True).astype(
            world.users.dtypes.to_dict())
    grown_world = _grow(world, users)
    grown_model = _grow_model(model, users, n)
    est = replace(estimator, world=grown_world, pfli_model=grown_model)
    user = {"hometown": int(place_of["hometown"]) if prof.hometown is not None else None,
            "work": org_of.get("work") if prof.work is not None else None,
            "friends": list(range(n, n + len(friends))) if friends else None}
    return est, user, pl


def fit_profile_model(world: Any, evaluation: Any, ks: Sequence[float], *,
                      min_group_size: int = 10, n_estimators: int = 50,
                      seed: int = 0) -> ExposureModel:
    """The RDF exposure model of the profile check, fitted as chapter 09 fits it.

    The LA users' exposure features and PFLI errors (``evaluation.per_user``) are grouped
    at every K of ``ks`` (:func:`homelib.exposure.features.exposure_groups`) and the
    forest is fitted on the groups' EPs.

    Parameters
    ----------
    world : SocialWorld
        The world the estimator stands for (simulated, or a folder of your own).
    evaluation : PFLIEvaluation
        Its cross-validated PFLI evaluation (:func:`homelib.pfli.evaluation.evaluate_pfli`).
    ks : sequence of float
        The K grid (km) of the groups.
    min_group_size, n_estimators, seed
        As :func:`homelib.exposure.models.fit_exposure_model`.

    Returns
    -------
    ExposureModel

    Examples
    --------
    Fitting needs a PFLI evaluation (seconds on a small world); the chapters and
    ``tests/test_home.py`` build one. The example shows a check made first:

    >>> fit_profile_model(None, None, [])
    Traceback (most recent call last):
    ...
    ValueError: ks: at least one K (km) is needed
    """
    if len(ks) == 0:
        raise ValueError("ks: at least one K (km) is needed")
    users = exp_features.exposure_user_table(world, evaluation.per_user)
    groups = exp_features.exposure_groups(users, tuple(ks), exp_features.BinSpec())
    return fit_exposure_model(groups, min_group_size=min_group_size, n_estimators=n_estimators,
                              n_jobs=1, seed=seed)


def world_estimator(world: Any, evaluation: Any, model: ExposureModel) -> ExposureEstimator:
    """The estimator a profile is checked against.

    It holds the world, the PFLI model of the evaluation's last fold, its clusters and the
    exposure model.

    Parameters
    ----------
    world : SocialWorld
    evaluation : PFLIEvaluation
        Of ``world``; its last fold's PFLI model scores the profile.
    model : ExposureModel
        :func:`fit_profile_model`.

    Returns
    -------
    ExposureEstimator

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ev = SimpleNamespace(models=["fold 0", "fold 1"], clusters=[0, 0, 1])  # stand-ins
    >>> est = world_estimator("world", ev, "rdf")
    >>> est.pfli_model, est.clusters.tolist(), est.model
    ('fold 1', [0, 0, 1], 'rdf')
    """
    return ExposureEstimator(world, evaluation.models[-1], np.asarray(evaluation.clusters), model)


def _grow(world: Any, users: pd.DataFrame) -> Any:
    """``world`` with more users (no new edges): adjacency padded with empty rows."""
    n_old, n_new = len(world.users), len(users)
    if n_new == n_old:
        return world
    old = sp.csr_matrix(world.adjacency)
    indptr = np.concatenate([old.indptr, np.full(n_new - n_old, old.indptr[-1])])
    adj = sp.csr_matrix((old.data, old.indices, indptr), shape=(n_new, n_new))
    return replace(world, users=users, adjacency=adj)


def _grow_model(model: Any, users: pd.DataFrame, n_old: int) -> Any:
    """The PFLI model extended to users ``n_old..``: known where they show a city."""
    extra = users.iloc[n_old:]
    if extra.empty or not hasattr(model, "known"):
        return model
    vis = extra["current_visible"].to_numpy(bool)
    city = np.where(vis, extra["current_place"].to_numpy(np.int64), -1)
    values = {}
    cols = {"HT": ("hometown", "hometown_visible"), "WE": ("work", "work_visible")}
    for k, v in model.values.items():
        col, shown = cols[k]
        val = extra[col].to_numpy(np.int64)
        values[k] = np.concatenate([np.asarray(v),
                                    np.where(extra[shown].to_numpy(bool) & (val >= 0), val, -1)])
    return replace(model, known=np.concatenate([np.asarray(model.known, bool), vis]),
                   city=np.concatenate([np.asarray(model.city), city]), values=values)


@dataclass
class ProfileCheck:
    """The result of :func:`check_profile`.

    Attributes
    ----------
    profile : Profile
    report : ExposureReport
        EP, risk level, the 8 hiding variants and the smallest change.
    places : DataFrame
        Every name, the city found and the world place it maps to.
    info : dict
        What the estimator was fitted on.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> p = validate_profile({"hometown": "Lyon", "work": None, "friends": ["Paris"] * 3,
    ...                       "k_km": 100, "target_level": 2})
    >>> chk = check_profile(p, example_estimator(), _example_resolver(),
    ...                     {"preset": "example", "users": 300, "places": 20})
    >>> chk.text().splitlines()[:2]  # doctest: +NORMALIZE_WHITESPACE
    ['Exposure of your hidden current city within 100 km',
     "(estimator fitted on the simulated 'example' world: 300 users, 20 places)"]
    >>> s = chk.summary()
    >>> s["category"], len(s["variants"]), s["places"][1]["world_place_name"]
    ('HT+F', 8, 'Sannois')
    """

    profile: Profile
    report: ExposureReport
    places: pd.DataFrame
    info: dict

    def summary(self) -> dict[str, Any]:
        """The check as plain data (what ``--output`` writes)."""
        cur = self.report.current
        s = self.report.suggestion
        return {
            "k_km": self.profile.k_km, "target_level": self.profile.target_level,
            "category": str(cur["category"]),
            "pct_friends_with_attributes": float(cur["pct_friends_with_attributes"]),
            "cluster_confidence": float(cur["cluster_confidence"]),
            "exposure_probability": float(cur["exposure_probability"]),
            "risk_level": int(cur["risk_level"]), "advice": self.report.advice(),
            "suggestion": None if s is None else {
                "hide": str(s["changed"]), "exposure_probability": float(s["exposure_probability"]),
                "risk_level": int(s["risk_level"])},
            "variants": [{"setting": r.setting, "exposure_probability": float(r.exposure_probability),
                          "risk_level": int(r.risk_level)}
                         for r in self.report.variants.itertuples()],
            "places": self.places[["field", "given", "city", "country", "world_place_name",
                                   "distance_km"]].to_dict("records"),
            "estimator": dict(self.info),
        }

    def text(self) -> str:
        """A human-readable report."""
        cur = self.report.current
        lo, hi = risk_band(int(cur["risk_level"]))
        lines = [
            f"Exposure of your hidden current city within {self.profile.k_km:g} km",
            f"(estimator fitted on the simulated '{self.info.get('preset')}' world: "
            f"{self.info.get('users', 0):,} users, {self.info.get('places', 0):,} places)",
            "",
            f"  you show:                    {cur['category']}",
            f"  % friends with attributes:   {float(cur['pct_friends_with_attributes']):.1f}",
            f"  cluster confidence:          {float(cur['cluster_confidence']):.3f}",
            f"  exposure probability EP@K:   {float(cur['exposure_probability']):.3f}",
            f"  risk level (PFLI Table 3):   {int(cur['risk_level'])} (EP in [{lo:g}, {hi:g}))",
            f"  target level {self.profile.target_level}: {self.report.advice()}",
            "",
            "  every way of hiding HT (hometown), WE (work-education), F (friend list):",
        ]
        for r in self.report.variants.itertuples():
            lines.append(f"    {r.setting:<24} EP {r.exposure_probability:.3f}  level {r.risk_level}")
        if len(self.places):
            lines += ["", "  places (your city -> the nearest place of the simulated world):"]
            for r in self.places.itertuples():
                alt = f", {r.alternatives} other match(es)" if r.alternatives else ""
                note = f"; {r.note}" if r.note else ""
                lines.append(f"    {r.field}: {r.given!r} -> {r.city} ({r.country}{alt}) -> "
                             f"{r.world_place_name}, {r.distance_km:.0f} km{note}")
        lines += ["", "  This is an estimate for a simulated world, not a measurement of yours: "
                  "see the book's page 'What the profile check means'."]
        return "\n".join(lines)


def check_profile(profile: Profile | ResolvedProfile, estimator: ExposureEstimator,
                  resolver: CityResolver | None = None,
                  info: Mapping[str, Any] | None = None) -> ProfileCheck:
    """Score ``profile`` with ``estimator`` (see the module docstring).

    Parameters
    ----------
    profile : Profile or ResolvedProfile
        A :class:`Profile` needs ``resolver`` to find its city names.
    estimator : ExposureEstimator
    resolver : CityResolver, optional
    info : mapping, optional
        What the estimator was fitted on (shown in the report).

    Returns
    -------
    ProfileCheck

    Raises
    ------
    ProfileError
        A city name is not in the gazetteer.

    Examples
    --------
    >>> from homelib.exposure.simulated import example_estimator
    >>> p = validate_profile({"hometown": "Lyon", "work": "Paris",
    ...                       "friends": ["Paris", "Paris", {"city": "London", "hometown": "Lyon"}],
    ...                       "k_km": 100, "target_level": 2})
    >>> chk = check_profile(p, example_estimator(), _example_resolver())
    >>> cur = chk.report.current
    >>> cur["category"], round(float(cur["pct_friends_with_attributes"]), 1)  # 1 friend of 3
    ('HT+WE+F', 33.3)
    >>> chk.report.variants["setting"].tolist()[:2], len(chk.report.variants)
    (['current (HT+WE+F)', 'hide HT'], 8)
    """
    if isinstance(profile, ResolvedProfile):
        resolved = profile
    else:
        if resolver is None:
            raise TypeError("check_profile: a Profile needs a resolver (or pass a ResolvedProfile)")
        resolved = resolve_profile(profile, resolver)
    est, user, places = profile_world(estimator, resolved)
    p = resolved.profile
    report = exposure_report(user, p.k_km, estimator=est, target_level=p.target_level)
    return ProfileCheck(p, report, places, dict(info or {}))
