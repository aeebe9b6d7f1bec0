"""The social network the PFLI study works on, simulated or real (PFLI Sec 3, 7.1.1).

:class:`SocialWorld` holds places, users (current city, hometown, work,
visibility flags), organisations and friendships; the simulator of
:mod:`homelib.pfli.world` builds one, and :func:`world_from_tables` /
:func:`read_social_world` load real tables into the same shape, validating
them. :func:`friend_distance_km` and :func:`friendship_probability_by_distance`
describe any world; :func:`known_city_world` and :func:`subsample_world` cut one
down to some of its users.

Examples
--------
>>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
>>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": -1, "work": -1,
...     "current_visible": True, "hometown_visible": False, "work_visible": False,
...     "friends_visible": True})
>>> w = world_from_tables(pl, us, [[0, 1]])
>>> w.n_users, w.n_places, int(w.degree.sum())
(2, 2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from ..geo import haversine_km
from ..io import require_columns
from ..schemas import SOCIAL_SCHEMAS, TableError, check_references, read_csv, validate

__all__ = [
    "KM_PER_MILE",
    "SocialWorld",
    "world_from_tables",
    "read_social_world",
    "friend_distance_km",
    "known_city_world",
    "subsample_world",
]


KM_PER_MILE = 1.609344


@dataclass
class SocialWorld:
    """A social network with places, users, organisations and friendships.

    Attributes
    ----------
    places : DataFrame
        ``place_id`` (= row position), ``name, country, lat, lon, population``.
    users : DataFrame
        ``user_id`` (= row position), ``current_place`` (ground truth),
        ``hometown`` (place id, -1 if none), ``work`` (organisation id, -1 if
        none), ``current_visible`` (LA user), ``hometown_visible``,
        ``work_visible``, ``friends_visible``.
    edges : ndarray, shape (E, 2)
        Friend pairs ``u < v``, no duplicates or self loops.
    adjacency : scipy.sparse.csr_matrix
        Symmetric 0/1 ``U x U`` matrix of ``edges``.
    orgs : DataFrame
        ``org_id`` (= row position), ``kind`` ("local" / "multi"),
        ``n_sites``, ``sites`` (tuple of place ids).
    config : SocialConfig or None
        The generating config (None for loaded real data).
    stats : dict
        Counts of the generation or loading (e.g. dropped self loops).

    Examples
    --------
    Build one with :func:`world_from_tables` (or :func:`read_social_world`):

    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1]])
    >>> w.n_users, w.n_places, w.degree.tolist()
    (2, 2, [1, 1])
    """

    places: pd.DataFrame
    users: pd.DataFrame
    edges: NDArray
    adjacency: sp.csr_matrix
    orgs: pd.DataFrame
    config: Any = None
    stats: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.users)

    @property
    def n_places(self) -> int:
        """Number of places."""
        return len(self.places)

    @property
    def degree(self) -> NDArray:
        """Number of friends of every user (ground truth)."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel().astype(int)


def _adjacency(edges: NDArray, n: int) -> sp.csr_matrix:
    u, v = edges[:, 0], edges[:, 1]
    data = np.ones(2 * u.size, dtype=np.float32)
    a = sp.csr_matrix((data, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
    a.sum_duplicates()
    return a


_USER_COLUMNS = ["user_id", "current_place", "hometown", "work", "current_visible",
                 "hometown_visible", "work_visible", "friends_visible"]


def _edges_frame(edges: pd.DataFrame | NDArray | list) -> pd.DataFrame:
    """Edges as a frame ``u, v`` (the values untouched, for validation)."""
    if isinstance(edges, pd.DataFrame):
        if {"u", "v"} <= set(edges.columns):
            return edges[["u", "v"]]
        if edges.shape[1] != 2:
            raise ValueError(f"edges: expected columns u, v; got {list(edges.columns)}")
        return edges.set_axis(["u", "v"], axis=1)
    e = np.asarray(edges, dtype=object) if len(edges) else np.zeros((0, 2), dtype=np.int64)
    if e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"edges: expected shape (E, 2); got {e.shape}")
    return pd.DataFrame(e, columns=["u", "v"])


def world_from_tables(
    places: pd.DataFrame,
    users: pd.DataFrame,
    edges: pd.DataFrame | NDArray,
    orgs: pd.DataFrame | None = None,
    *,
    line_offset: int | None = None,
    names: Mapping[str, str] | None = None,
) -> SocialWorld:
    """Validate real data in the world's schema and return a :class:`SocialWorld`.

    Every table is checked against its pandera schema
    (:data:`homelib.schemas.SOCIAL_SCHEMAS`), collecting every problem:
    places need ``place_id, lat, lon`` (``name, country, population`` are
    filled if missing), users the columns of :class:`SocialWorld`, edges two
    columns of user ids. Handling of bad input:

    * ids that are not integers (``1.5``, NaN), booleans that are not
      ``True``/``False`` (``yes``, blank), coordinates out of range or not
      numbers, ids that are not ``0..n-1`` in row order, unknown place,
      organisation or user ids: :class:`homelib.schemas.TableError` (a
      ``ValueError``) naming the table, column, row and value;
    * self loops and duplicate edges (in either direction): dropped and counted
      in ``stats`` (``self_loops_dropped``, ``duplicates_dropped``);
    * a user without any visible field is kept (PFLI gives them the prior) and
      counted in ``stats["users_without_information"]``.

    For a user whose current city is not known at all (real LN users), set
    ``current_place`` to -1: such users can be scored but never evaluated.

    Parameters
    ----------
    places, users : DataFrame
    edges : DataFrame or array of shape (E, 2)
    orgs : DataFrame, optional
        ``org_id`` (= row position), optionally ``kind, n_sites, sites``;
        by default one organisation per work id used.
    line_offset : int, optional
        For tables read from CSV files: row ``i`` is on line ``i + line_offset``.
    names : mapping, optional
        How to name each table (``places``, ``users``, ``edges``, ``orgs``) in
        messages, e.g. its file name.

    Returns
    -------
    SocialWorld

    Examples
    --------
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 48.63], "lon": [2.35, 2.45]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, 1, 1],
    ...     "hometown": [0, -1, 1], "work": [-1, -1, -1], "current_visible": [True, True, False],
    ...     "hometown_visible": [True, False, True], "work_visible": False,
    ...     "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [1, 0], [2, 2], [1, 2]])
    >>> w.edges.tolist(), w.stats["self_loops_dropped"], w.stats["duplicates_dropped"]
    ([[0, 1], [1, 2]], 1, 1)
    >>> world_from_tables(pl, us, [[0, 7]])
    Traceback (most recent call last):
    ...
    homelib.schemas.TableError: edges: column 'v', row 0, value 7: unknown user id (users are 0..2)
    """
    lo = line_offset
    nm = {t: t for t in ("places", "users", "edges", "orgs")} | dict(names or {})
    places = validate(places, SOCIAL_SCHEMAS["places"], what=nm["places"], line_offset=lo).table
    for col, default in (("name", ""), ("country", ""), ("population", 0)):
        if col not in places:
            places[col] = default
    users = validate(users, SOCIAL_SCHEMAS["users"], what=nm["users"], line_offset=lo).table
    n, n_pl = len(users), len(places)
    for col in ("current_place", "hometown"):
        check_references(users, col, range(n_pl), allow=(-1,), what=nm["users"], line_offset=lo,
                         target=f"place id (places are 0..{n_pl - 1}; -1 for none)")
    unknown = users["current_visible"] & (users["current_place"] < 0)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise TableError(nm["users"], pd.DataFrame(
            [(users.index[i], "current_visible", True,
              "True for a user whose current_place is -1 (unknown)")],
            columns=["row", "column", "value", "reason"]), line_offset=lo)
    if orgs is None:
        n_org = int(users["work"].max()) + 1 if len(users) else 0
        orgs = pd.DataFrame({"org_id": np.arange(n_org), "kind": "unknown", "n_sites": 0,
                             "sites": [()] * n_org})
    else:
        sites = orgs["sites"] if "sites" in orgs else None
        orgs = validate(orgs, SOCIAL_SCHEMAS["orgs"], what=nm["orgs"], line_offset=lo).table
        orgs["sites"] = list(sites) if sites is not None else [()] * len(orgs)
    check_references(users, "work", range(len(orgs)), allow=(-1,), what=nm["users"], line_offset=lo,
                     target=f"organisation id (orgs are 0..{len(orgs) - 1}; -1 for none)")
    ef = validate(_edges_frame(edges), SOCIAL_SCHEMAS["edges"], what=nm["edges"],
                  line_offset=lo).table
    for col in ("u", "v"):
        check_references(ef, col, range(n), what=nm["edges"], line_offset=lo,
                         target=f"user id (users are 0..{n - 1})")
    e = ef[["u", "v"]].to_numpy(dtype=np.int64).reshape(-1, 2)
    loops = e[:, 0] == e[:, 1]
    e = e[~loops]
    lo_, hi_ = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    key = np.unique(lo_ * n + hi_)
    clean = np.column_stack([key // n, key % n]).astype(np.int64) if n else e
    none = ~(users["current_visible"] | (users["hometown_visible"] & (users["hometown"] >= 0))
             | (users["work_visible"] & (users["work"] >= 0)) | users["friends_visible"])
    stats = {
        "self_loops_dropped": int(loops.sum()),
        "duplicates_dropped": int(e.shape[0] - key.size),
        "edges": int(key.size),
        "users_without_information": int(none.sum()),
    }
    return SocialWorld(places=places, users=users, edges=clean, adjacency=_adjacency(clean, n),
                       orgs=orgs, config=None, stats=stats)


def read_social_world(folder: str | Path) -> SocialWorld:
    """Load a real social network from CSV files in ``folder``.

    ``places.csv``, ``users.csv``, ``edges.csv`` (columns ``u, v``) and
    optionally ``orgs.csv`` (``org_id, kind, n_sites``), read as text
    (:func:`homelib.schemas.read_csv`: 0-byte files, ragged rows and bytes
    that are not UTF-8 get a clear error) and validated by
    :func:`world_from_tables`; messages give the file line of each bad row.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    SocialWorld

    Raises
    ------
    FileNotFoundError
        Naming the missing files.
    homelib.schemas.TableError
        Naming the table, column, row (and line) and value of each problem.

    Examples
    --------
    >>> read_social_world("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent: missing ['places.csv', 'users.csv', 'edges.csv']
    """
    folder = Path(folder)
    missing = [f for f in ("places.csv", "users.csv", "edges.csv") if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {missing}")
    places = read_csv(folder / "places.csv")
    users = read_csv(folder / "users.csv")
    edges = read_csv(folder / "edges.csv")
    require_columns(edges, ["u", "v"], "edges.csv")
    orgs = read_csv(folder / "orgs.csv") if (folder / "orgs.csv").exists() else None
    return world_from_tables(places, users, edges[["u", "v"]], orgs, line_offset=2,
                             names={t: f"{t}.csv" for t in ("places", "users", "edges", "orgs")})


def friend_distance_km(world: SocialWorld) -> NDArray:
    """Distance in km between the current cities of the two ends of every edge.

    Parameters
    ----------
    world : SocialWorld
        A world; ``edges`` and the users' ``current_place`` are read.

    Returns
    -------
    numpy.ndarray of float
        One distance per row of ``world.edges``.

    Examples
    --------
    >>> pl = pd.DataFrame({"place_id": [0, 1], "lat": [48.85, 45.76], "lon": [2.35, 4.84]})
    >>> us = pd.DataFrame({"user_id": [0, 1], "current_place": [0, 1], "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> friend_distance_km(world_from_tables(pl, us, [[0, 1]])).round(0).tolist()
    [391.0]
    """
    p = world.places
    cu = world.users["current_place"].to_numpy()
    a, b = cu[world.edges[:, 0]], cu[world.edges[:, 1]]
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    return haversine_km(lat[a], lon[a], lat[b], lon[b])




def known_city_world(world: SocialWorld) -> SocialWorld:
    """The users whose current city is known (``current_place >= 0``) and their friendships.

    A real network can hold users whose city nobody knows (``current_place = -1``);
    the descriptive parts of chapter 07 (users per place, friendship distances) need
    a city at both ends of a friendship. Users are renumbered ``0..U'-1`` in their
    order; places and organisations are kept; ``stats["users_without_city"]`` counts
    the users left out. A world where every city is known is returned as it is.

    Parameters
    ----------
    world : SocialWorld

    Returns
    -------
    SocialWorld
        ``world`` itself when nothing is left out; otherwise a new world (``world`` is
        not modified).

    Examples
    --------
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    >>> us = pd.DataFrame({"user_id": [0, 1, 2], "current_place": [0, -1, 0], "hometown": -1,
    ...     "work": -1, "current_visible": [True, False, False], "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = known_city_world(world_from_tables(pl, us, [[0, 1], [0, 2], [1, 2]]))
    >>> w.users.user_id.tolist(), w.edges.tolist(), w.stats["users_without_city"]
    ([0, 1], [[0, 1]], 1)
    """
    keep = world.users["current_place"].to_numpy() >= 0
    if keep.all():
        return world
    new_id = np.full(keep.size, -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    both = keep[world.edges[:, 0]] & keep[world.edges[:, 1]]
    edges = new_id[world.edges[both]].reshape(-1, 2)
    users = world.users[keep].reset_index(drop=True).assign(user_id=np.arange(int(keep.sum())))
    stats = {**world.stats, "users_without_city": int((~keep).sum())}
    return SocialWorld(places=world.places, users=users, edges=edges,
                       adjacency=_adjacency(edges, len(users)), orgs=world.orgs,
                       config=world.config, stats=stats)


def subsample_world(world: SocialWorld, share: float, seed: int) -> SocialWorld:
    """A seeded random share of the users of ``world`` and the friendships among them.

    ``round(share * n_users)`` users are drawn without replacement (the first ones
    of a permutation drawn with ``seed``, so with one seed a smaller share keeps a
    subset of the users of a larger one), kept in their order and renumbered
    ``0..n-1``; an edge is kept when both its ends are (the induced sub-network).
    Places and organisations are kept as they are; ``stats["subsample"]`` records
    the share, the seed and the users of the input. Chapter 11 measures PFLI on
    such growing subsamples of a real network.

    Parameters
    ----------
    world : SocialWorld
        Not modified.
    share : float
        Share of the users to keep, in (0, 1]; 1.0 keeps every user.
    seed : int
        Seed of the draw.

    Returns
    -------
    SocialWorld
        A new world; with ``share = 1.0`` its tables equal those of ``world``.

    Raises
    ------
    ValueError
        Naming ``share`` when it is not a number in (0, 1] or keeps no user.

    Examples
    --------
    >>> pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    >>> us = pd.DataFrame({"user_id": range(4), "current_place": 0, "hometown": -1,
    ...     "work": -1, "current_visible": True, "hometown_visible": False,
    ...     "work_visible": False, "friends_visible": True})
    >>> w = world_from_tables(pl, us, [[0, 1], [1, 2], [2, 3], [0, 3]])
    >>> half = subsample_world(w, 0.5, seed=0)
    >>> half.n_users, half.users.user_id.tolist(), half.edges.shape[1]
    (2, [0, 1], 2)
    >>> subsample_world(w, 1.5, seed=0)
    Traceback (most recent call last):
    ...
    ValueError: share: must be a number in (0, 1]; got 1.5
    """
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)) \
            or not 0 < float(share) <= 1:
        raise ValueError(f"share: must be a number in (0, 1]; got {share!r}")
    n = world.n_users
    k = int(round(float(share) * n))
    if k < 1:
        raise ValueError(f"share: {share!r} of {n:,} users keeps no user")
    order = np.random.default_rng(seed).permutation(n)
    keep = np.zeros(n, dtype=bool)
    keep[order[:k]] = True
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep] = np.arange(k)
    both = keep[world.edges[:, 0]] & keep[world.edges[:, 1]]
    edges = new_id[world.edges[both]].reshape(-1, 2)
    users = world.users[keep].reset_index(drop=True).assign(user_id=np.arange(k))
    stats = {**world.stats, "subsample": {"share": float(share), "seed": seed, "of_users": n}}
    return SocialWorld(places=world.places.copy(), users=users, edges=edges,
                       adjacency=_adjacency(edges, k), orgs=world.orgs.copy(),
                       config=world.config, stats=stats)
